/* Unit tests for the SMTP server engine: raw bytes in, exact bytes out. */
#include <string.h>
#include "proto/smtp-server.h"

#define NOW_USEC (G_GINT64_CONSTANT (1778784519) * G_USEC_PER_SEC)  /* 2026-05-14 18:48:39 UTC */
#define DATE     "Thu, 14 May 2026 18:48:39 +0000"
#define EHLO_REPLY \
  "250-mx.b.example\r\n250-PIPELINING\r\n250-SIZE 0\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"

typedef struct {
  MlSmtpServerConfig config;
  MlSmtpServerPolicy policy;
  MlSmtpServer      *server;
  GPtrArray         *events;     /* MlEngineEvent*, everything drained */
  GPtrArray         *messages;   /* GBytes*, what accept_message got */
  GPtrArray         *envelopes;  /* char*, one summary per accept_message */

  /* What the fake owner decides. */
  const char        *refuse_sender;    /* 550 5.7.1 for this mailbox */
  const char        *refuse_rcpt;      /* 550 5.1.1 for this mailbox */
  guint              message_code;     /* accept_message answers this (0: accept) */
} Fixture;

/* ---- the fake owner ---- */

static void
policy_check_sender (MlSmtpServer *server, const MlSmtpPath *reverse_path,
                     MlSmtpVerdict *verdict, gpointer user_data)
{
  Fixture *f = user_data;

  if (f->refuse_sender && g_strcmp0 (reverse_path->mailbox, f->refuse_sender) == 0)
    ml_smtp_verdict_set (verdict, 550, "5.7.1", "<%s>: Sender address rejected", reverse_path->mailbox);
}

static void
policy_check_recipient (MlSmtpServer *server, const char *reverse_path,
                        const MlSmtpPath *forward_path, MlSmtpVerdict *verdict,
                        gpointer user_data)
{
  Fixture *f = user_data;

  if (f->refuse_rcpt && g_strcmp0 (forward_path->mailbox, f->refuse_rcpt) == 0)
    ml_smtp_verdict_set (verdict, 550, "5.1.1", "<%s>: Recipient address rejected: User unknown",
                         forward_path->mailbox);
}

static void
policy_accept_message (MlSmtpServer *server, const MlSmtpEnvelope *envelope,
                       GBytes *message, MlSmtpVerdict *verdict, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GString) s = g_string_new (NULL);

  if (f->message_code != 0)
    {
      ml_smtp_verdict_set (verdict, f->message_code, NULL, NULL);
      return;
    }
  g_string_append_printf (s, "id=%s helo=%s proto=%s client=%s/%s from=<%s> size=%" G_GUINT64_FORMAT
                          " declared=%" G_GUINT64_FORMAT " body=%d to=",
                          envelope->id, envelope->helo_name, envelope->protocol,
                          envelope->client_name, envelope->client_address,
                          envelope->reverse_path, envelope->size, envelope->declared_size,
                          envelope->body);
  for (guint i = 0; i < envelope->recipients->len; i++)
    g_string_append_printf (s, "%s<%s>", i ? "," : "",
                            (const char *) g_ptr_array_index (envelope->recipients, i));
  g_ptr_array_add (f->envelopes, g_strdup (s->str));
  g_ptr_array_add (f->messages, g_bytes_ref (message));
}

static void
policy_verify (MlSmtpServer *server, const char *command, const char *argument,
               MlSmtpVerdict *verdict, gpointer user_data)
{
  if (g_str_equal (command, "VRFY") && g_str_equal (argument, "alice"))
    ml_smtp_verdict_set (verdict, 250, "2.1.5", "Alice Liddell <alice@b.example>");
  else if (g_str_equal (command, "EXPN") && g_str_equal (argument, "team"))
    ml_smtp_verdict_set (verdict, 250, "2.1.5", "<alice@b.example>\n<bob@b.example>");
  else if (g_str_equal (command, "VRFY") && g_str_equal (argument, "maybe"))
    ;  /* undecided: the engine must not claim a 250 */
  else
    ml_smtp_verdict_set (verdict, 550, "5.1.1", "No such user here");
}

/* ---- driving the engine ---- */

static void
free_event (gpointer data)
{
  ml_engine_event_clear (data);
  g_free (data);
}

/* Moves events to f->events and returns the output as a string. */
static char *
drain (Fixture *f)
{
  MlEngineEvent event = { 0 };
  g_autoptr(GBytes) out = NULL;

  while (ml_smtp_server_next_event (f->server, &event))
    {
      g_ptr_array_add (f->events, g_memdup2 (&event, sizeof event));
      memset (&event, 0, sizeof event);
    }
  out = ml_smtp_server_take_output (f->server);
  if (out == NULL)
    return g_strdup ("");
  return g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
}

static char *
feed_bytes (Fixture *f, const char *data, gsize len)
{
  ml_smtp_server_feed (f->server, (const guint8 *) data, len);
  return drain (f);
}

static char *
feed (Fixture *f, const char *text)
{
  return feed_bytes (f, text, strlen (text));
}

#define assert_feed(f, input, expected) \
  G_STMT_START { \
    g_autofree char *out_ = feed ((f), (input)); \
    g_assert_cmpstr (out_, ==, (expected)); \
  } G_STMT_END

static void
fixture_start (Fixture *f)
{
  g_autofree char *greeting = NULL;

  g_clear_pointer (&f->server, ml_smtp_server_free);
  g_ptr_array_set_size (f->events, 0);
  f->server = ml_smtp_server_new (&f->config, &f->policy, f);
  ml_smtp_server_set_peer (f->server, "client.a.example", "192.0.2.10");
  ml_smtp_server_set_now (f->server, NOW_USEC);
  ml_smtp_server_start (f->server);
  greeting = drain (f);
  g_assert_cmpstr (greeting, ==, "220 mx.b.example ESMTP maillab\r\n");
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  ml_smtp_server_config_init (&f->config);
  f->config.hostname = "mx.b.example";
  f->config.id_base = 0x1A2A;
  f->policy.check_sender = policy_check_sender;
  f->policy.check_recipient = policy_check_recipient;
  f->policy.accept_message = policy_accept_message;
  f->policy.verify = policy_verify;
  f->events = g_ptr_array_new_with_free_func (free_event);
  f->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->envelopes = g_ptr_array_new_with_free_func (g_free);
  fixture_start (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->server, ml_smtp_server_free);
  g_ptr_array_unref (f->events);
  g_ptr_array_unref (f->messages);
  g_ptr_array_unref (f->envelopes);
}

/* Greets; the exact EHLO reply is checked in test_ehlo, here only its shape
 * since the configuration varies. */
static void
ehlo (Fixture *f)
{
  g_autofree char *out = feed (f, "EHLO client.a.example\r\n");

  g_assert_true (g_str_has_prefix (out, "250-mx.b.example\r\n"));
  g_assert_nonnull (strstr (out, "\r\n250 "));
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
}

static void
open_transaction (Fixture *f)
{
  ehlo (f);
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "250 2.1.5 Ok\r\n");
}

static char *
message_string (Fixture *f, guint i)
{
  GBytes *b = g_ptr_array_index (f->messages, i);

  return g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

static guint
count_events (Fixture *f, MlEngineEventKind kind)
{
  guint n = 0;

  for (guint i = 0; i < f->events->len; i++)
    n += ((MlEngineEvent *) g_ptr_array_index (f->events, i))->kind == kind;
  return n;
}

/* The last event of @kind; the test fails when there is none. */
static MlEngineEvent *
last_event (Fixture *f, MlEngineEventKind kind)
{
  for (guint i = f->events->len; i > 0; i--)
    {
      MlEngineEvent *e = g_ptr_array_index (f->events, i - 1);

      if (e->kind == kind)
        return e;
    }
  g_error ("no event of kind %d", kind);
}

/* ---- tests ---- */

static void
test_greeting (Fixture *f, gconstpointer data)
{
  MlEngineEvent *state = last_event (f, ML_ENGINE_EVENT_STATE);
  MlEngineEvent *reply = last_event (f, ML_ENGINE_EVENT_REPLY);

  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "greeting");
  g_assert_nonnull (state);
  g_assert_cmpstr (state->state_from, ==, "init");
  g_assert_cmpstr (state->state_to, ==, "greeting");
  g_assert_cmpstr (state->explain_key, ==, "smtp.state.greeting");
  /* RFC 2034 3: no enhanced code on the greeting. */
  g_assert_nonnull (reply);
  g_assert_cmpuint (reply->code, ==, 220);
  g_assert_null (reply->enhanced);
  g_assert_cmpstr (reply->line, ==, "220 mx.b.example ESMTP maillab");
  g_assert_true (reply->outgoing);
  g_assert_cmpint (reply->direction, ==, ML_DIR_SERVER_TO_CLIENT);
  g_assert_false (ml_smtp_server_wants_close (f->server));
}

static void
test_ehlo (Fixture *f, gconstpointer data)
{
  MlEngineEvent *reply, *command;

  ehlo (f);
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
  g_assert_cmpstr (ml_smtp_server_get_protocol_name (f->server), ==, "ESMTP");

  reply = last_event (f, ML_ENGINE_EVENT_REPLY);
  g_assert_cmpstr (reply->line, ==,
                   "250-mx.b.example\n250-PIPELINING\n250-SIZE 0\n250-8BITMIME\n250 ENHANCEDSTATUSCODES");
  g_assert_cmpstr (reply->explain_key, ==, "smtp.reply.250");
  g_assert_null (reply->enhanced);

  command = last_event (f, ML_ENGINE_EVENT_COMMAND);
  g_assert_cmpstr (command->verb, ==, "EHLO");
  g_assert_cmpstr (command->args, ==, "client.a.example");
  g_assert_cmpstr (command->line, ==, "EHLO client.a.example");
  g_assert_cmpstr (command->explain_key, ==, "smtp.ehlo");
  g_assert_false (command->outgoing);
  g_assert_cmpint (command->direction, ==, ML_DIR_CLIENT_TO_SERVER);

  /* Lower case verb, address literal, and trailing words (RFC 5321
   * 4.1.1.1) are all fine. */
  assert_feed (f, "ehlo [192.0.2.10] extra words\r\n", EHLO_REPLY);
  command = last_event (f, ML_ENGINE_EVENT_COMMAND);
  g_assert_cmpstr (command->verb, ==, "EHLO");

  f->config.max_message_size = 10485760;
  f->config.offer_pipelining = FALSE;
  f->config.answer_expn = TRUE;
  fixture_start (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               "250-mx.b.example\r\n250-SIZE 10485760\r\n250-EXPN\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
}

static void
test_helo (Fixture *f, gconstpointer data)
{
  assert_feed (f, "HELO client.a.example\r\n", "250 mx.b.example\r\n");
  g_assert_cmpstr (ml_smtp_server_get_protocol_name (f->server), ==, "SMTP");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
}

static void
test_hello_syntax (Fixture *f, gconstpointer data)
{
  /* No enhanced codes in answers to EHLO/HELO (RFC 2034 3); the state
   * does not move (RFC 5321 4.1.4). */
  assert_feed (f, "EHLO\r\n", "501 Syntax: EHLO hostname\r\n");
  assert_feed (f, "HELO\r\n", "501 Syntax: HELO hostname\r\n");
  assert_feed (f, "EHLO bad_name.example\r\n", "501 Error: invalid domain name or address literal\r\n");
  assert_feed (f, "EHLO [300.1.1.1]\r\n", "501 Error: invalid domain name or address literal\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "greeting");
  g_assert_null (ml_smtp_server_get_protocol_name (f->server));
}

static void
test_full_transaction (Fixture *f, gconstpointer data)
{
  g_autofree char *msg = NULL;
  static const char *const expected_keys[] = {
    "smtp.ehlo", "smtp.reply.250", "smtp.state.ready",
    "smtp.mail", "smtp.reply.250", "smtp.state.mail",
    "smtp.rcpt", "smtp.reply.250", "smtp.state.rcpt",
    "smtp.data", "smtp.reply.354", "smtp.state.data",
    "smtp.message", "smtp.transaction.queued", "smtp.reply.250", "smtp.state.ready",
    "smtp.quit", "smtp.reply.221", "smtp.state.quit", "smtp.close",
  };

  g_ptr_array_set_size (f->events, 0);
  ehlo (f);
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "250 2.1.5 Ok\r\n");
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, "Subject: hi\r\n\r\nHello Bob.\r\n", "");
  assert_feed (f, ".\r\n", "250 2.0.0 Ok: queued as 1A2B\r\n");
  assert_feed (f, "QUIT\r\n", "221 2.0.0 mx.b.example Service closing transmission channel\r\n");
  g_assert_true (ml_smtp_server_wants_close (f->server));

  g_assert_cmpuint (f->messages->len, ==, 1);
  msg = message_string (f, 0);
  g_assert_cmpstr (msg, ==,
                   "Received: from client.a.example (client.a.example [192.0.2.10])\r\n"
                   "\tby mx.b.example with ESMTP id 1A2B\r\n"
                   "\tfor <bob@b.example>; " DATE "\r\n"
                   "Subject: hi\r\n\r\nHello Bob.\r\n");
  g_assert_cmpstr (g_ptr_array_index (f->envelopes, 0), ==,
                   "id=1A2B helo=client.a.example proto=ESMTP client=client.a.example/192.0.2.10 "
                   "from=<alice@a.example> size=27 declared=0 body=0 to=<bob@b.example>");

  g_assert_cmpuint (f->events->len, ==, G_N_ELEMENTS (expected_keys));
  for (guint i = 0; i < f->events->len; i++)
    g_assert_cmpstr (((MlEngineEvent *) g_ptr_array_index (f->events, i))->explain_key, ==,
                     expected_keys[i]);
  g_assert_cmpstr (((MlEngineEvent *) g_ptr_array_index (f->events, 12))->detail, ==, "27 octets, 3 lines");
  g_assert_cmpstr (((MlEngineEvent *) g_ptr_array_index (f->events, 13))->detail, ==, "queued as 1A2B");
  g_assert_cmpstr (((MlEngineEvent *) g_ptr_array_index (f->events, 14))->enhanced, ==, "2.0.0");
}

static void
test_second_transaction_and_ids (Fixture *f, gconstpointer data)
{
  open_transaction (f);
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, "a\r\n.\r\n", "250 2.0.0 Ok: queued as 1A2B\r\n");
  /* After the final dot a new MAIL needs no RSET (RFC 5321 4.1.4). */
  assert_feed (f, "MAIL FROM:<>\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "250 2.1.5 Ok\r\n");
  assert_feed (f, "RCPT TO:<Postmaster>\r\n", "250 2.1.5 Ok\r\n");
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, "b\r\n.\r\n", "250 2.0.0 Ok: queued as 1A2C\r\n");
  g_assert_cmpuint (f->messages->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->envelopes, 1), ==,
                   "id=1A2C helo=client.a.example proto=ESMTP client=client.a.example/192.0.2.10 "
                   "from=<> size=3 declared=0 body=0 to=<bob@b.example>,<Postmaster>");
}

static char *
policy_new_id (MlSmtpServer *server, gpointer user_data)
{
  return g_strdup ("4XbQ7k1Zz");
}

static void
test_owner_ids (Fixture *f, gconstpointer data)
{
  g_autofree char *msg = NULL;

  f->policy.new_id = policy_new_id;
  fixture_start (f);
  open_transaction (f);
  assert_feed (f, "DATA\r\nx\r\n.\r\n",
               "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 4XbQ7k1Zz\r\n");
  msg = message_string (f, 0);
  g_assert_true (g_str_has_prefix (msg, "Received: from client.a.example (client.a.example [192.0.2.10])\r\n"
                                        "\tby mx.b.example with ESMTP id 4XbQ7k1Zz\r\n"));
  g_assert_true (g_str_has_prefix (g_ptr_array_index (f->envelopes, 0), "id=4XbQ7k1Zz "));
  g_assert_cmpstr (last_event (f, ML_ENGINE_EVENT_TRANSACTION)->detail, ==, "queued as 4XbQ7k1Zz");
  g_assert_cmpstr (ml_smtp_server_get_peer_name (f->server), ==, "client.a.example");
  g_assert_cmpstr (ml_smtp_server_get_peer_address (f->server), ==, "192.0.2.10");
}

static void
test_received_variants (Fixture *f, gconstpointer data)
{
  g_autofree char *msg = NULL;

  /* HELO gives "with SMTP"; several recipients, no FOR clause (RFC 5321
   * 4.4, 7.2); an IPv6 peer becomes an IPv6 address literal. */
  ml_smtp_server_set_peer (f->server, NULL, "2001:db8::10");
  assert_feed (f, "HELO client.a.example\r\n", "250 mx.b.example\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "250 2.1.5 Ok\r\n");
  assert_feed (f, "RCPT TO:<carol@b.example>\r\n", "250 2.1.5 Ok\r\n");
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, "x\r\n.\r\n", "250 2.0.0 Ok: queued as 1A2B\r\n");
  msg = message_string (f, 0);
  g_assert_cmpstr (msg, ==,
                   "Received: from client.a.example ([IPv6:2001:db8::10])\r\n"
                   "\tby mx.b.example with SMTP id 1A2B; " DATE "\r\n"
                   "x\r\n");

  f->config.add_received = FALSE;
  fixture_start (f);
  open_transaction (f);
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, "x\r\n.\r\n", "250 2.0.0 Ok: queued as 1A2B\r\n");
  g_clear_pointer (&msg, g_free);
  msg = message_string (f, 1);
  g_assert_cmpstr (msg, ==, "x\r\n");
}

static void
test_dot_stuffing (Fixture *f, gconstpointer data)
{
  g_autofree char *msg = NULL;

  f->config.add_received = FALSE;
  fixture_start (f);
  open_transaction (f);
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  /* RFC 5321 4.5.2: the client doubled every leading dot. ". \r\n" and
   * "..\r\n" are content, not the end. */
  assert_feed (f, "..\r\n...\r\n..hidden\r\n. \r\nplain.\r\n.x\r\n", "");
  assert_feed (f, ".\r\n", "250 2.0.0 Ok: queued as 1A2B\r\n");
  msg = message_string (f, 0);
  g_assert_cmpstr (msg, ==, ".\r\n..\r\n.hidden\r\n \r\nplain.\r\nx\r\n");
  /* RFC 1870 5: the stuffing dots are not part of the size. */
  g_assert_cmpstr (last_event (f, ML_ENGINE_EVENT_DATA)->detail, ==, "30 octets, 6 lines");
}

static void
test_empty_message (Fixture *f, gconstpointer data)
{
  g_autofree char *msg = NULL;

  f->config.add_received = FALSE;
  fixture_start (f);
  open_transaction (f);
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, ".\r\n", "250 2.0.0 Ok: queued as 1A2B\r\n");
  msg = message_string (f, 0);
  g_assert_cmpstr (msg, ==, "");
}

static void
test_bare_lf_in_data (Fixture *f, gconstpointer data)
{
  open_transaction (f);
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  /* The SMTP smuggling shape: "\n.\n" then a second transaction. */
  assert_feed (f, "Subject: one\r\n\nbody\n.\nMAIL FROM:<evil@a.example>\r\n",
               "550 5.5.2 Error: bare <LF> received\r\n");
  g_assert_true (ml_smtp_server_wants_close (f->server));
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "quit");
  g_assert_cmpuint (f->messages->len, ==, 0);
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_CLOSE), ==, 1);
  g_assert_cmpstr (last_event (f, ML_ENGINE_EVENT_CLOSE)->detail, ==, "bare LF");
  /* Nothing after it is read. */
  g_assert_cmpuint (ml_smtp_server_feed (f->server, (const guint8 *) ".\r\n", 3), ==, 0);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

static void
test_bare_cr_in_data (Fixture *f, gconstpointer data)
{
  open_transaction (f);
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, "a\r.\rb\r\n.\r\n", "550 5.5.2 Error: bare <CR> received\r\n");
  g_assert_true (ml_smtp_server_wants_close (f->server));
  g_assert_cmpuint (f->messages->len, ==, 0);
}

static void
test_bare_lf_in_command (Fixture *f, gconstpointer data)
{
  assert_feed (f, "EHLO client.a.example\nQUIT\r\n", "550 5.5.2 Error: bare <LF> received\r\n");
  g_assert_true (ml_smtp_server_wants_close (f->server));
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_COMMAND), ==, 0);
}

static void
test_command_line_too_long (Fixture *f, gconstpointer data)
{
  g_autofree char *x505 = g_strnfill (505, 'x');
  g_autofree char *x506 = g_strnfill (506, 'x');
  g_autofree char *ok_line = g_strdup_printf ("NOOP %s\r\n", x505);
  g_autofree char *long_line = g_strdup_printf ("NOOP %s\r\n", x506);

  /* 512 octets with CRLF is the limit (RFC 5321 4.5.3.1.4): exactly 512
   * passes, 513 is answered 500 and the session goes on. */
  g_assert_cmpuint (strlen (ok_line), ==, 512);
  assert_feed (f, ok_line, "250 2.0.0 Ok\r\n");
  assert_feed (f, long_line, "500 5.5.2 Error: line too long\r\n");
  assert_feed (f, "NOOP\r\n", "250 2.0.0 Ok\r\n");
  g_assert_false (ml_smtp_server_wants_close (f->server));

  /* A line that never ends is answered once, not buffered. */
  for (int i = 0; i < 100; i++)
    {
      g_autofree char *out = feed (f, x505);

      g_assert_cmpstr (out, ==, i == 1 ? "500 5.5.2 Error: line too long\r\n" : "");
    }
  assert_feed (f, "\r\nNOOP\r\n", "250 2.0.0 Ok\r\n");
}

static void
test_text_line_too_long (Fixture *f, gconstpointer data)
{
  g_autofree char *x998 = g_strnfill (998, 'x');
  g_autofree char *x999 = g_strnfill (999, 'x');
  g_autofree char *ok = g_strdup_printf ("%s\r\n.%s\r\n", x998, x998);
  g_autofree char *bad = g_strdup_printf ("%s\r\n", x999);
  g_autofree char *msg = NULL;

  f->config.add_received = FALSE;
  fixture_start (f);
  open_transaction (f);
  /* 1000 octets with CRLF (RFC 5321 4.5.3.1.6), the doubled dot not
   * counted. */
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, ok, "");
  assert_feed (f, ".\r\n", "250 2.0.0 Ok: queued as 1A2B\r\n");
  msg = message_string (f, 0);
  g_assert_cmpuint (strlen (msg), ==, 2000);

  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "250 2.1.5 Ok\r\n");
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, "before\r\n", "");
  assert_feed (f, bad, "");
  assert_feed (f, "after\r\n", "");
  assert_feed (f, ".\r\n", "554 5.6.0 Error: message has a line longer than 1000 octets\r\n");
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
  /* A much longer one is skipped by the line buffer the same way. */
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n",
               "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  for (int i = 0; i < 10; i++)
    assert_feed (f, x999, "");
  assert_feed (f, "\r\n.\r\n", "554 5.6.0 Error: message has a line longer than 1000 octets\r\n");
  g_assert_cmpuint (f->messages->len, ==, 1);
}

static void
test_too_many_recipients (Fixture *f, gconstpointer data)
{
  ehlo (f);
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  /* RFC 5321 4.5.3.1.8: 100 must fit; 4.5.3.1.10: the next gets 452. */
  for (int i = 0; i < 100; i++)
    {
      g_autofree char *cmd = g_strdup_printf ("RCPT TO:<u%d@b.example>\r\n", i);

      assert_feed (f, cmd, "250 2.1.5 Ok\r\n");
    }
  assert_feed (f, "RCPT TO:<u100@b.example>\r\n", "452 4.5.3 Error: too many recipients\r\n");
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, "x\r\n.\r\n", "250 2.0.0 Ok: queued as 1A2B\r\n");
  g_assert_true (g_str_has_suffix (g_ptr_array_index (f->envelopes, 0), ",<u99@b.example>"));

  /* max_recipients 0 means the RFC minimum, not "none". */
  f->config.max_recipients = 0;
  fixture_start (f);
  open_transaction (f);
}

static void
test_size_declared (Fixture *f, gconstpointer data)
{
  f->config.max_message_size = 1000;
  fixture_start (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               "250-mx.b.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
  /* RFC 1870 6.1 (2). */
  assert_feed (f, "MAIL FROM:<alice@a.example> SIZE=1001\r\n",
               "552 5.3.4 Error: message size exceeds fixed maximum message size (1000)\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> SIZE=99999999999999999999\r\n",
               "552 5.3.4 Error: message size exceeds fixed maximum message size (1000)\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
  assert_feed (f, "MAIL FROM:<alice@a.example> SIZE=12x\r\n", "501 5.5.4 Error: bad SIZE value\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> SIZE\r\n", "501 5.5.4 Error: bad SIZE value\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> SIZE=123456789012345678901\r\n",
               "501 5.5.4 Error: bad SIZE value\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> SIZE=1 SIZE=2\r\n",
               "501 5.5.4 Error: duplicate SIZE parameter\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> size=1000 body=8bitmime\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "250 2.1.5 Ok\r\n");
  assert_feed (f, "DATA\r\nx\r\n.\r\n",
               "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 1A2B\r\n");
  g_assert_nonnull (strstr (g_ptr_array_index (f->envelopes, 0), " declared=1000 body=2 "));
}

static void
test_size_actual (Fixture *f, gconstpointer data)
{
  f->config.max_message_size = 100;
  fixture_start (f);
  open_transaction (f);
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, "Subject: big\r\n\r\n"
                  "0123456789012345678901234567890123456789\r\n"
                  "0123456789012345678901234567890123456789\r\n"
                  "0123456789012345678901234567890123456789\r\n", "");
  /* Over the limit: read to the final dot, then 552 (RFC 1870 6.3). */
  assert_feed (f, ".\r\n", "552 5.3.4 Error: message size exceeds fixed maximum message size (100)\r\n");
  g_assert_cmpuint (f->messages->len, ==, 0);
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION), ==, 0);
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");

  /* Exactly at the limit is accepted: 96 octets, CRLF, an empty line. */
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n",
               "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  {
    g_autofree char *x96 = g_strnfill (96, 'x');
    g_autofree char *body = g_strdup_printf ("%s\r\n\r\n.\r\n", x96);

    assert_feed (f, body, "250 2.0.0 Ok: queued as 1A2B\r\n");
  }
}

static void
test_pipelined_batch (Fixture *f, gconstpointer data)
{
  g_autofree char *msg = NULL;

  f->config.add_received = FALSE;
  fixture_start (f);
  ehlo (f);
  /* RFC 2920: one batch, replies in order. */
  assert_feed (f,
               "MAIL FROM:<alice@a.example>\r\n"
               "RCPT TO:<bob@b.example>\r\n"
               "RCPT TO:<nobody@b.example>\r\n"
               "RCPT TO:<carol@b.example>\r\n"
               "DATA\r\n",
               "250 2.1.0 Ok\r\n"
               "250 2.1.5 Ok\r\n"
               "250 2.1.5 Ok\r\n"
               "250 2.1.5 Ok\r\n"
               "354 End data with <CR><LF>.<CR><LF>\r\n");
  /* The message, the next transaction and QUIT in one more. */
  f->refuse_rcpt = "nobody@b.example";
  assert_feed (f,
               "Subject: batch\r\n\r\nhi\r\n.\r\n"
               "MAIL FROM:<alice@a.example>\r\n"
               "RCPT TO:<nobody@b.example>\r\n"
               "RCPT TO:<bob@b.example>\r\n"
               "DATA\r\n"
               "second\r\n.\r\n"
               "QUIT\r\n",
               "250 2.0.0 Ok: queued as 1A2B\r\n"
               "250 2.1.0 Ok\r\n"
               "550 5.1.1 <nobody@b.example>: Recipient address rejected: User unknown\r\n"
               "250 2.1.5 Ok\r\n"
               "354 End data with <CR><LF>.<CR><LF>\r\n"
               "250 2.0.0 Ok: queued as 1A2C\r\n"
               "221 2.0.0 mx.b.example Service closing transmission channel\r\n");
  g_assert_cmpuint (f->messages->len, ==, 2);
  msg = message_string (f, 0);
  g_assert_cmpstr (msg, ==, "Subject: batch\r\n\r\nhi\r\n");
  g_assert_true (g_str_has_suffix (g_ptr_array_index (f->envelopes, 1), "to=<bob@b.example>"));
}

static void
test_pasted_header (Fixture *f, gconstpointer data)
{
  MlEngineEvent *command;

  /* A pipelining client whose every RCPT was refused: DATA gets 554 and
   * what it sends next are header lines, read as commands (RFC 2920 3.1). */
  f->refuse_rcpt = "nobody@b.example";
  ehlo (f);
  assert_feed (f,
               "MAIL FROM:<alice@a.example>\r\n"
               "RCPT TO:<nobody@b.example>\r\n"
               "DATA\r\n"
               "Subject: hello\r\n"
               "RCPT TO:<bob@b.example>\r\n",
               "250 2.1.0 Ok\r\n"
               "550 5.1.1 <nobody@b.example>: Recipient address rejected: User unknown\r\n"
               "554 5.5.1 Error: no valid recipients\r\n"
               "521 5.7.0 Error: a message header line is not an SMTP command; closing\r\n");
  g_assert_true (ml_smtp_server_wants_close (f->server));
  command = last_event (f, ML_ENGINE_EVENT_COMMAND);
  g_assert_cmpstr (command->explain_key, ==, "smtp.pasted-header");
  g_assert_cmpstr (command->verb, ==, "SUBJECT:");
  g_assert_cmpuint (f->messages->len, ==, 0);

  for (gsize i = 0; i < 4; i++)
    {
      static const char *const headers[] = {
        "Received: from x by y; " DATE "\r\n",
        "From:alice@a.example\r\n",
        "Message-ID: <1@a.example>\r\n",
        "content-type: text/plain\r\n",
      };

      fixture_start (f);
      assert_feed (f, headers[i],
                   "521 5.7.0 Error: a message header line is not an SMTP command; closing\r\n");
    }
}

static void
test_sequence_errors (Fixture *f, gconstpointer data)
{
  /* RFC 5321 4.1.4: 503, and the state stays where it was. */
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "503 5.5.1 Error: send HELO/EHLO first\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "503 5.5.1 Error: send HELO/EHLO first\r\n");
  assert_feed (f, "DATA\r\n", "503 5.5.1 Error: send HELO/EHLO first\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "greeting");
  ehlo (f);
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "503 5.5.1 Error: need MAIL command\r\n");
  assert_feed (f, "DATA\r\n", "503 5.5.1 Error: need MAIL command\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "503 5.5.1 Error: nested MAIL command\r\n");
  /* RFC 5321 3.3: no RCPT at all is out of order… */
  assert_feed (f, "DATA\r\n", "503 5.5.1 Error: need RCPT command\r\n");
  /* …every RCPT refused leaves no valid recipients. */
  f->refuse_rcpt = "nobody@b.example";
  assert_feed (f, "RCPT TO:<nobody@b.example>\r\n",
               "550 5.1.1 <nobody@b.example>: Recipient address rejected: User unknown\r\n");
  assert_feed (f, "DATA\r\n", "554 5.5.1 Error: no valid recipients\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "mail");
  g_assert_cmpuint (f->messages->len, ==, 0);
}

static void
test_syntax_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *local = g_strnfill (65, 'l');
  g_autofree char *too_long = g_strdup_printf ("MAIL FROM:<%s@a.example>\r\n", local);
  g_autofree char *rcpt_too_long = g_strdup_printf ("RCPT TO:<%s@a.example>\r\n", local);

  ehlo (f);
  assert_feed (f, "MAIL TO:<alice@a.example>\r\n", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  assert_feed (f, "MAIL\r\n", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  /* RFC 5321 3.3: no space on either side of the colon. */
  assert_feed (f, "MAIL FROM: <alice@a.example>\r\n", "501 5.1.7 Error: bad sender address syntax\r\n");
  assert_feed (f, "MAIL FROM:alice@a.example\r\n", "501 5.1.7 Error: bad sender address syntax\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example\r\n", "501 5.1.7 Error: bad sender address syntax\r\n");
  assert_feed (f, too_long, "501 5.1.7 Error: sender path too long\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example>  SIZE=1\r\n", "501 5.5.4 Error: bad parameter syntax\r\n");
  /* RFC 5321 4.1.1.11: an unknown parameter is 555. */
  assert_feed (f, "MAIL FROM:<alice@a.example> RET=HDRS\r\n", "555 5.5.4 Error: unsupported parameter RET\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> BODY=BINARYMIME\r\n", "501 5.5.4 Error: bad BODY value\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> BODY=7BIT BODY=7BIT\r\n",
               "501 5.5.4 Error: duplicate BODY parameter\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");

  assert_feed (f, "mail from:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "RCPT FROM:<bob@b.example>\r\n", "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  assert_feed (f, "RCPT TO:<bob@>\r\n", "501 5.1.3 Error: bad recipient address syntax\r\n");
  assert_feed (f, "RCPT TO:<>\r\n", "501 5.1.3 Error: bad recipient address syntax\r\n");
  assert_feed (f, rcpt_too_long, "501 5.1.3 Error: recipient path too long\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example> NOTIFY=NEVER\r\n",
               "555 5.5.4 Error: unsupported parameter NOTIFY\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example> =\r\n", "501 5.5.4 Error: bad parameter syntax\r\n");
  /* Source routes are accepted and ignored (RFC 5321 4.1.1.3). */
  assert_feed (f, "rcpt to:<@relay.example:bob@b.example>\r\n", "250 2.1.5 Ok\r\n");
  /* RFC 5321 4.3.2: DATA, RSET and QUIT take no arguments. */
  assert_feed (f, "DATA now\r\n", "501 5.5.4 Syntax: DATA\r\n");
  assert_feed (f, "RSET all\r\n", "501 5.5.4 Syntax: RSET\r\n");
  assert_feed (f, "QUIT now\r\n", "501 5.5.4 Syntax: QUIT\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "rcpt");
  assert_feed (f, "DATA\r\nx\r\n.\r\n",
               "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 1A2B\r\n");
  g_assert_true (g_str_has_suffix (g_ptr_array_index (f->envelopes, 0), "to=<bob@b.example>"));
}

static void
test_params_need_ehlo (Fixture *f, gconstpointer data)
{
  /* After HELO no extension is in force (RFC 5321 4.1.1.3, 2.2). */
  assert_feed (f, "HELO client.a.example\r\n", "250 mx.b.example\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> SIZE=10\r\n", "555 5.5.4 Error: unsupported parameter SIZE\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> BODY=8BITMIME\r\n", "555 5.5.4 Error: unsupported parameter BODY\r\n");

  f->config.offer_8bitmime = FALSE;
  fixture_start (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               "250-mx.b.example\r\n250-PIPELINING\r\n250-SIZE 0\r\n250 ENHANCEDSTATUSCODES\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> BODY=8BITMIME\r\n", "555 5.5.4 Error: unsupported parameter BODY\r\n");
}

static void
test_unknown_and_not_implemented (Fixture *f, gconstpointer data)
{
  MlEngineEvent *command;

  assert_feed (f, "FOO bar\r\n", "500 5.5.1 Error: command not recognized\r\n");
  command = last_event (f, ML_ENGINE_EVENT_COMMAND);
  g_assert_cmpstr (command->verb, ==, "FOO");
  g_assert_cmpstr (command->args, ==, "bar");
  g_assert_cmpstr (command->explain_key, ==, "smtp.unknown");
  /* RFC 5321 4.1.5: private X commands we do not know are 500 too. */
  assert_feed (f, "XCLIENT ADDR=1.2.3.4\r\n", "500 5.5.1 Error: command not recognized\r\n");
  /* RFC 5321 4.2.4: known but not implemented is 502. */
  assert_feed (f, "BDAT 10 LAST\r\n", "502 5.5.1 Error: command not implemented\r\n");
  g_assert_cmpstr (last_event (f, ML_ENGINE_EVENT_COMMAND)->explain_key, ==, "smtp.bdat");
  assert_feed (f, "TURN\r\n", "502 5.5.1 Error: command not implemented\r\n");
  assert_feed (f, "starttls\r\n", "502 5.5.1 Error: command not implemented\r\n");
  assert_feed (f, "\r\n", "500 5.5.2 Error: bad syntax\r\n");
  {
    g_autofree char *out = feed_bytes (f, "NO\0OP\r\n", 7);

    g_assert_cmpstr (out, ==, "500 5.5.2 Error: NUL character in command\r\n");
  }
  /* High octets are answered, and events stay valid UTF-8. */
  assert_feed (f, "\xff\xfe\r\n", "500 5.5.1 Error: command not recognized\r\n");
  g_assert_true (g_utf8_validate (last_event (f, ML_ENGINE_EVENT_COMMAND)->line, -1, NULL));
  g_assert_false (ml_smtp_server_wants_close (f->server));
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "greeting");
}

static void
test_rset_noop (Fixture *f, gconstpointer data)
{
  /* Before EHLO both are fine and change nothing (RFC 5321 4.1.4). */
  assert_feed (f, "RSET\r\n", "250 2.0.0 Ok\r\n");
  assert_feed (f, "NOOP anything at all\r\n", "250 2.0.0 Ok\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "greeting");
  open_transaction (f);
  assert_feed (f, "RSET\r\n", "250 2.0.0 Ok\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "503 5.5.1 Error: need MAIL command\r\n");
  /* Trailing blanks are tolerated. */
  assert_feed (f, "NOOP  \r\n", "250 2.0.0 Ok\r\n");
}

static void
test_second_ehlo_resets (Fixture *f, gconstpointer data)
{
  open_transaction (f);
  /* RFC 5321 4.1.4: EHLO mid-transaction is a RSET. */
  ehlo (f);
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "503 5.5.1 Error: need MAIL command\r\n");
}

static void
test_vrfy_expn (Fixture *f, gconstpointer data)
{
  /* RFC 5321 3.5.3, 7.3: not verified is 252, never 250. */
  assert_feed (f, "VRFY alice\r\n",
               "252 2.0.0 Cannot verify this user, but will accept mail for it and attempt delivery\r\n");
  assert_feed (f, "VRFY\r\n", "501 5.5.4 Syntax: VRFY address\r\n");
  /* Not implemented unless configured (RFC 5321 4.2.4). */
  assert_feed (f, "EXPN team\r\n", "502 5.5.1 Error: EXPN not implemented\r\n");

  f->config.answer_vrfy = TRUE;
  f->config.answer_expn = TRUE;
  fixture_start (f);
  assert_feed (f, "VRFY alice\r\n", "250 2.1.5 Alice Liddell <alice@b.example>\r\n");
  assert_feed (f, "VRFY mallory\r\n", "550 5.1.1 No such user here\r\n");
  assert_feed (f, "VRFY maybe\r\n",
               "252 2.0.0 Cannot verify this user, but will accept mail for it and attempt delivery\r\n");
  /* Multi-line: the enhanced code on every line (RFC 2034 4). */
  assert_feed (f, "EXPN team\r\n", "250-2.1.5 <alice@b.example>\r\n250 2.1.5 <bob@b.example>\r\n");
  assert_feed (f, "EXPN\r\n", "501 5.5.4 Syntax: EXPN mailing-list\r\n");
  g_assert_cmpstr (last_event (f, ML_ENGINE_EVENT_COMMAND)->explain_key, ==, "smtp.expn");

  /* Without a verify callback an answered VRFY is still a 252. */
  f->policy.verify = NULL;
  fixture_start (f);
  assert_feed (f, "VRFY alice\r\n",
               "252 2.0.0 Cannot verify this user, but will accept mail for it and attempt delivery\r\n");
}

static void
test_help (Fixture *f, gconstpointer data)
{
  MlEngineEvent *reply;

  assert_feed (f, "HELP\r\n",
               "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n"
               "214 2.0.0 \"HELP command\" shows the syntax of one (RFC 5321 4.1.1)\r\n");
  reply = last_event (f, ML_ENGINE_EVENT_REPLY);
  g_assert_cmpstr (reply->line, ==,
                   "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\n"
                   "214 2.0.0 \"HELP command\" shows the syntax of one (RFC 5321 4.1.1)");
  g_assert_cmpstr (reply->enhanced, ==, "2.0.0");
  assert_feed (f, "HELP mail\r\n", "214 2.0.0 Syntax: MAIL FROM:<reverse-path> [SP parameters]\r\n");
  assert_feed (f, "HELP BDAT\r\n", "504 5.5.4 Error: no help on that topic\r\n");
  assert_feed (f, "HELP EXPN\r\n", "504 5.5.4 Error: no help on that topic\r\n");
}

static void
test_quit (Fixture *f, gconstpointer data)
{
  MlEngineEvent *close_event;

  open_transaction (f);
  assert_feed (f, "QUIT\r\nNOOP\r\n", "221 2.0.0 mx.b.example Service closing transmission channel\r\n");
  g_assert_true (ml_smtp_server_wants_close (f->server));
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "quit");
  close_event = last_event (f, ML_ENGINE_EVENT_CLOSE);
  g_assert_nonnull (close_event);
  g_assert_cmpstr (close_event->detail, ==, "QUIT");
  g_assert_cmpuint (ml_smtp_server_feed (f->server, (const guint8 *) "NOOP\r\n", 6), ==, 0);
  g_assert_null (ml_smtp_server_take_output (f->server));
  /* The owner closes the socket and reports it; nothing changes. */
  ml_smtp_server_connection_lost (f->server);
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION), ==, 0);
  g_assert_false (ml_smtp_server_next_event (f->server, &(MlEngineEvent) { 0 }));
}

static void
test_shutdown (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;

  open_transaction (f);
  ml_smtp_server_shutdown (f->server, "4.4.2", "Error: timeout exceeded");
  out = drain (f);
  g_assert_cmpstr (out, ==, "421 4.4.2 mx.b.example Error: timeout exceeded\r\n");
  g_assert_true (ml_smtp_server_wants_close (f->server));
  g_assert_cmpuint (f->messages->len, ==, 0);
}

static void
test_connection_lost_mid_data (Fixture *f, gconstpointer data)
{
  MlEngineEvent *aborted;

  open_transaction (f);
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_feed (f, "Subject: cut short\r\n\r\nhalf a mess", "");
  ml_smtp_server_connection_lost (f->server);
  g_free (drain (f));
  g_assert_cmpuint (f->messages->len, ==, 0);
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "quit");
  aborted = last_event (f, ML_ENGINE_EVENT_TRANSACTION);
  g_assert_nonnull (aborted);
  g_assert_cmpstr (aborted->explain_key, ==, "smtp.transaction.aborted");
  g_assert_cmpstr (aborted->detail, ==, "transaction aborted in state data: connection lost");
  /* Whatever arrives later is not read; a second report changes nothing. */
  g_assert_cmpuint (ml_smtp_server_feed (f->server, (const guint8 *) "ge\r\n.\r\n", 7), ==, 0);
  ml_smtp_server_connection_lost (f->server);
  g_assert_cmpuint (f->messages->len, ==, 0);
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION), ==, 1);
}

static void
test_policy_verdicts (Fixture *f, gconstpointer data)
{
  f->refuse_sender = "spam@a.example";
  ehlo (f);
  assert_feed (f, "MAIL FROM:<spam@a.example>\r\n", "550 5.7.1 <spam@a.example>: Sender address rejected\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "250 2.1.5 Ok\r\n");
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  /* The owner could not store it: no 250, nothing "queued" (RFC 5321
   * 4.2.5); the engine supplies the text and the enhanced class. */
  f->message_code = 451;
  assert_feed (f, "x\r\n.\r\n", "451 4.0.0 Local error in processing\r\n");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION), ==, 0);
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
}

static void
test_verdict_formatting (Fixture *f, gconstpointer data)
{
  MlSmtpVerdict verdict = { 0 };

  verdict.text = g_string_new ("old");
  ml_smtp_verdict_set (&verdict, 553, "5.1.8", "Bad %s", "domain");
  g_assert_cmpuint (verdict.code, ==, 553);
  g_assert_cmpstr (verdict.enhanced, ==, "5.1.8");
  g_assert_cmpstr (verdict.text->str, ==, "Bad domain");
  ml_smtp_verdict_set (&verdict, 250, NULL, NULL);
  g_assert_cmpstr (verdict.enhanced, ==, "");
  g_assert_cmpstr (verdict.text->str, ==, "");
  g_string_free (verdict.text, TRUE);

  /* Without ENHANCEDSTATUSCODES no reply carries one. */
  f->config.offer_enhanced_status_codes = FALSE;
  fixture_start (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               "250-mx.b.example\r\n250-PIPELINING\r\n250-SIZE 0\r\n250 8BITMIME\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 Ok\r\n");
  assert_feed (f, "FOO\r\n", "500 Error: command not recognized\r\n");
  g_assert_null (last_event (f, ML_ENGINE_EVENT_REPLY)->enhanced);
}

/* Owners may put anything in a verdict; the reply stays well-formed. */
static void
policy_messy_recipient (MlSmtpServer *server, const char *reverse_path,
                        const MlSmtpPath *forward_path, MlSmtpVerdict *verdict,
                        gpointer user_data)
{
  g_autofree char *longtext = g_strnfill (600, 'y');

  if (g_str_equal (forward_path->mailbox, "ctl@b.example"))
    ml_smtp_verdict_set (verdict, 450, "2.1.1", "temp\r\nfail\x01");  /* class disagrees */
  else if (g_str_equal (forward_path->mailbox, "long@b.example"))
    ml_smtp_verdict_set (verdict, 550, NULL, "%s", longtext);
  else if (g_str_equal (forward_path->mailbox, "fwd@b.example"))
    ml_smtp_verdict_set (verdict, 251, NULL, "User not local; will forward to <fwd@c.example>");
  else if (g_str_equal (forward_path->mailbox, "moved@b.example"))
    ml_smtp_verdict_set (verdict, 551, "5.1.6", "User not local; please try <moved@c.example>");
  else if (g_str_equal (forward_path->mailbox, "x+y@b.example"))
    ml_smtp_verdict_set (verdict, 553, "5.1.3", "Mailbox name not allowed");
  else if (g_str_equal (forward_path->mailbox, "full@b.example"))
    ml_smtp_verdict_set (verdict, 452, "4.2.2", NULL);
  else if (g_str_equal (forward_path->mailbox, "odd@b.example"))
    ml_smtp_verdict_set (verdict, 250, "2.1.5 junk", "Ok");  /* bad enhanced: default used */
}

static void
test_verdict_sanitising (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;

  f->policy.check_recipient = policy_messy_recipient;
  fixture_start (f);
  ehlo (f);
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "RCPT TO:<ctl@b.example>\r\n", "450-4.0.0 temp?\r\n450 4.0.0 fail?\r\n");
  out = feed (f, "RCPT TO:<long@b.example>\r\n");
  /* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with CRLF. */
  g_assert_cmpuint (strlen (out), ==, 512);
  g_assert_true (g_str_has_prefix (out, "550 5.0.0 yyy"));
  assert_feed (f, "RCPT TO:<moved@b.example>\r\n", "551 5.1.6 User not local; please try <moved@c.example>\r\n");
  assert_feed (f, "RCPT TO:<x+y@b.example>\r\n", "553 5.1.3 Mailbox name not allowed\r\n");
  assert_feed (f, "RCPT TO:<full@b.example>\r\n", "452 4.2.2 Insufficient system storage\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "mail");
  assert_feed (f, "RCPT TO:<odd@b.example>\r\n", "250 2.1.5 Ok\r\n");
  assert_feed (f, "RCPT TO:<fwd@b.example>\r\n", "251 2.1.5 User not local; will forward to <fwd@c.example>\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "rcpt");
}

static void
test_feed_before_start (Fixture *f, gconstpointer data)
{
  g_autoptr(MlSmtpServer) server = ml_smtp_server_new (&f->config, NULL, NULL);
  g_autoptr(GBytes) out = NULL;
  const char *early = "EHLO early.example\r\nQUIT\r\n";

  /* A client that talks before the greeting is read after it. */
  g_assert_cmpuint (ml_smtp_server_feed (server, (const guint8 *) early, strlen (early)), ==, strlen (early));
  g_assert_null (ml_smtp_server_take_output (server));
  ml_smtp_server_start (server);
  out = ml_smtp_server_take_output (server);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
                   "220 mx.b.example ESMTP maillab\r\n" EHLO_REPLY
                   "221 2.0.0 mx.b.example Service closing transmission channel\r\n",
                   strlen ("220 mx.b.example ESMTP maillab\r\n" EHLO_REPLY
                           "221 2.0.0 mx.b.example Service closing transmission channel\r\n"));
}

/* ---- the same session, however it is split ---- */

static const char session[] =
  "EHLO client.a.example\r\n"
  "VRFY bob\r\n"
  "MAIL FROM:<alice@a.example> SIZE=120 BODY=8BITMIME\r\n"
  "RCPT TO:<bob@b.example>\r\n"
  "RCPT TO:<nobody@b.example>\r\n"
  "RCPT TO:<\"carol q\"@[192.0.2.20]>\r\n"
  "DATA\r\n"
  "From: alice@a.example\r\n"
  "Subject: split\r\n"
  "\r\n"
  "..leading dot\r\n"
  "caf\xc3\xa9\r\n"
  ".\r\n"
  "NOOP\r\n"
  "MAIL FROM:<>\r\n"
  "RCPT TO:<postmaster>\r\n"
  "DATA\r\n"
  "bounce\r\n"
  ".\r\n"
  "HELP\r\n"
  "QUIT\r\n";

/* Output bytes, accepted messages and events, as one string to compare. */
static char *
run_session (Fixture *f, const gsize *splits, gsize n_splits)
{
  GString *all = g_string_new (NULL);
  gsize pos = 0, len = sizeof session - 1;

  g_ptr_array_set_size (f->messages, 0);
  g_ptr_array_set_size (f->envelopes, 0);
  f->refuse_rcpt = "nobody@b.example";
  fixture_start (f);
  for (gsize i = 0; i <= n_splits; i++)
    {
      gsize end = i < n_splits ? splits[i] : len;
      g_autofree char *out = feed_bytes (f, session + pos, end - pos);

      g_string_append (all, out);
      pos = end;
    }
  g_assert_cmpuint (pos, ==, len);
  for (guint i = 0; i < f->messages->len; i++)
    {
      g_autofree char *msg = message_string (f, i);

      g_string_append_printf (all, "[message %u] %s [envelope] %s\n", i, msg,
                              (const char *) g_ptr_array_index (f->envelopes, i));
    }
  for (guint i = 0; i < f->events->len; i++)
    {
      MlEngineEvent *e = g_ptr_array_index (f->events, i);

      g_string_append_printf (all, "[event] %d %s %s %s\n", e->kind, e->explain_key,
                              e->line ? e->line : "", e->detail ? e->detail : "");
    }
  return g_string_free (all, FALSE);
}

static void
test_split_invariance (Fixture *f, gconstpointer data)
{
  gsize len = sizeof session - 1;
  g_autofree char *whole = run_session (f, NULL, 0);
  g_autofree gsize *each = g_new (gsize, len);
  g_autofree char *bytewise = NULL;

  /* The session really did something. */
  g_assert_cmpuint (f->messages->len, ==, 2);
  g_assert_nonnull (strstr (whole, "250 2.0.0 Ok: queued as 1A2C\r\n214-2.0.0"));
  g_assert_nonnull (strstr (whole, "\r\n.leading dot\r\ncaf\xc3\xa9\r\n"));

  for (gsize i = 0; i < len; i++)
    each[i] = i + 1;
  bytewise = run_session (f, each, len - 1);
  g_assert_cmpstr (bytewise, ==, whole);

  for (int round = 0; round < 50; round++)
    {
      gsize splits[12];
      gsize n = (gsize) g_test_rand_int_range (1, G_N_ELEMENTS (splits) + 1);
      g_autofree char *split = NULL;

      for (gsize i = 0; i < n; i++)
        splits[i] = (gsize) g_test_rand_int_range (0, (gint32) len + 1);
      /* Sorted, so each feed is a forward slice (empty ones included). */
      for (gsize i = 1; i < n; i++)
        for (gsize j = i; j > 0 && splits[j - 1] > splits[j]; j--)
          {
            gsize t = splits[j];

            splits[j] = splits[j - 1];
            splits[j - 1] = t;
          }
      split = run_session (f, splits, n);
      g_assert_cmpstr (split, ==, whole);
    }
}

/* Many messages through one connection: linear, no buffer creeping. */
static void
test_many_messages (Fixture *f, gconstpointer data)
{
  GString *batch = g_string_new (NULL);
  g_autofree char *out = NULL;
  const guint n = 2000;

  f->policy.accept_message = NULL;  /* accept, keep nothing */
  fixture_start (f);
  ehlo (f);
  for (guint i = 0; i < n; i++)
    g_string_append (batch,
                     "MAIL FROM:<alice@a.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n"
                     "Subject: many\r\n\r\nline one\r\nline two\r\n.\r\n");
  out = feed_bytes (f, batch->str, batch->len);
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION), ==, n);
  g_assert_true (g_str_has_suffix (out, "250 2.0.0 Ok: queued as 21FA\r\n"));
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
  g_string_free (batch, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/smtp-server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("greeting", test_greeting);
  ADD ("ehlo", test_ehlo);
  ADD ("helo", test_helo);
  ADD ("hello-syntax", test_hello_syntax);
  ADD ("full-transaction", test_full_transaction);
  ADD ("second-transaction-and-ids", test_second_transaction_and_ids);
  ADD ("owner-ids", test_owner_ids);
  ADD ("received-variants", test_received_variants);
  ADD ("dot-stuffing", test_dot_stuffing);
  ADD ("empty-message", test_empty_message);
  ADD ("bare-lf-in-data", test_bare_lf_in_data);
  ADD ("bare-cr-in-data", test_bare_cr_in_data);
  ADD ("bare-lf-in-command", test_bare_lf_in_command);
  ADD ("command-line-too-long", test_command_line_too_long);
  ADD ("text-line-too-long", test_text_line_too_long);
  ADD ("too-many-recipients", test_too_many_recipients);
  ADD ("size-declared", test_size_declared);
  ADD ("size-actual", test_size_actual);
  ADD ("pipelined-batch", test_pipelined_batch);
  ADD ("pasted-header", test_pasted_header);
  ADD ("sequence-errors", test_sequence_errors);
  ADD ("syntax-errors", test_syntax_errors);
  ADD ("params-need-ehlo", test_params_need_ehlo);
  ADD ("unknown-and-not-implemented", test_unknown_and_not_implemented);
  ADD ("rset-noop", test_rset_noop);
  ADD ("second-ehlo-resets", test_second_ehlo_resets);
  ADD ("vrfy-expn", test_vrfy_expn);
  ADD ("help", test_help);
  ADD ("quit", test_quit);
  ADD ("shutdown", test_shutdown);
  ADD ("connection-lost-mid-data", test_connection_lost_mid_data);
  ADD ("policy-verdicts", test_policy_verdicts);
  ADD ("verdict-formatting", test_verdict_formatting);
  ADD ("verdict-sanitising", test_verdict_sanitising);
  ADD ("feed-before-start", test_feed_before_start);
  ADD ("split-invariance", test_split_invariance);
  ADD ("many-messages", test_many_messages);

#undef ADD
  return g_test_run ();
}

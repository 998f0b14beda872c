/* The server side is scripted by hand: feed its reply bytes, then check the
 * exact bytes the client sent (curl tests/data style golden transcripts). */
#include <string.h>
#include "proto/smtp-client.h"

#define EHLO_PIPELINING \
  "250-mx.b.example\r\n" \
  "250-PIPELINING\r\n" \
  "250-SIZE 10000\r\n" \
  "250-8BITMIME\r\n" \
  "250 ENHANCEDSTATUSCODES\r\n"

#define EHLO_PLAIN \
  "250-mx.b.example\r\n" \
  "250-SIZE 10000\r\n" \
  "250 8BITMIME\r\n"

#define MSG "Subject: hi\r\n\r\nHello\r\n"   /* 22 octets */

typedef struct {
  MlSmtpClient *client;
  GPtrArray    *events;  /* one string per event, see event_string() */
} Fixture;

static char *
event_string (const MlEngineEvent *ev)
{
  switch (ev->kind)
    {
    case ML_ENGINE_EVENT_COMMAND:     return g_strdup_printf ("C:%s", ev->line);
    case ML_ENGINE_EVENT_REPLY:       return g_strdup_printf ("R:%u", ev->code);
    case ML_ENGINE_EVENT_STATE:       return g_strdup_printf ("S:%s>%s", ev->state_from, ev->state_to);
    case ML_ENGINE_EVENT_DATA:        return g_strdup_printf ("D:%s", ev->detail);
    case ML_ENGINE_EVENT_TRANSACTION: return g_strdup_printf ("T:%s", ev->detail);
    case ML_ENGINE_EVENT_CLOSE:       return g_strdup ("X");
    default:                          return g_strdup ("?");
    }
}

static void
drain_events (Fixture *fx)
{
  MlEngineEvent ev = { 0 };

  while (ml_smtp_client_next_event (fx->client, &ev))
    {
      g_ptr_array_add (fx->events, event_string (&ev));
      ml_engine_event_clear (&ev);
    }
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  MlSmtpClientConfig config;

  ml_smtp_client_config_init (&config);
  config.helo_name = "client.a.example";
  fx->client = ml_smtp_client_new (&config);
  fx->events = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  ml_smtp_client_free (fx->client);
  g_ptr_array_unref (fx->events);
}

static void
reconfigure (Fixture *fx, const MlSmtpClientConfig *config)
{
  ml_smtp_client_free (fx->client);
  fx->client = ml_smtp_client_new (config);
}

static guint
add (Fixture *fx, const char *from, const char *rcpts, const char *message)
{
  g_auto(GStrv) list = g_strsplit (rcpts, " ", -1);
  g_autoptr(GBytes) bytes = g_bytes_new (message, strlen (message));

  return ml_smtp_client_add_message (fx->client, from, (const char * const *) list, bytes);
}

static void
feed (Fixture *fx, const char *server)
{
  gsize n = ml_smtp_client_feed (fx->client, (const guint8 *) server, strlen (server));

  g_assert_cmpuint (n, ==, strlen (server));
  drain_events (fx);
}

/* The client's output since the last call, byte for byte. */
static void
expect (Fixture *fx, const char *client)
{
  g_autoptr(GBytes) out = ml_smtp_client_take_output (fx->client);
  g_autofree char *got = NULL;

  if (client == NULL)
    {
      g_assert_null (out);
      return;
    }
  g_assert_nonnull (out);
  got = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  g_assert_cmpstr (got, ==, client);
}

static void
assert_rcpt (Fixture *fx, guint msg, guint rcpt, MlSmtpOutcome outcome, guint code,
             const char *enhanced, const char *text)
{
  const MlSmtpClientResult *res = ml_smtp_client_get_result (fx->client, msg);
  const MlSmtpRecipientResult *r;

  g_assert_nonnull (res);
  g_assert_cmpuint (rcpt, <, res->n_recipients);
  r = &res->recipients[rcpt];
  g_assert_cmpstr (ml_smtp_outcome_to_string (r->outcome), ==, ml_smtp_outcome_to_string (outcome));
  g_assert_cmpuint (r->code, ==, code);
  g_assert_cmpstr (r->enhanced, ==, enhanced);
  if (text != NULL)
    g_assert_cmpstr (r->text, ==, text);
}

static gboolean
has_event (Fixture *fx, const char *s)
{
  for (guint i = 0; i < fx->events->len; i++)
    if (strcmp (fx->events->pdata[i], s) == 0)
      return TRUE;
  return FALSE;
}

static void
assert_event (Fixture *fx, const char *s)
{
  if (!has_event (fx, s))
    {
      for (guint i = 0; i < fx->events->len; i++)
        g_test_message ("event %u: %s", i, (char *) fx->events->pdata[i]);
      g_assert_cmpstr (s, ==, "(an event that did not come)");
    }
}

/* ---- whole sessions ---- */

static void
test_session_pipelining (Fixture *fx, gconstpointer data)
{
  const MlSmtpClientResult *res;
  const char * const golden[] = {
    "R:220",
    "S:greeting>ehlo", "C:EHLO client.a.example",
    "R:250",
    "S:ehlo>mail", "C:MAIL FROM:<alice@a.example> SIZE=22",
    "C:RCPT TO:<bob@b.example>", "C:RCPT TO:<carol@b.example>", "C:DATA",
    "R:250", "S:mail>rcpt",
    "R:250",
    "R:250", "S:rcpt>data",
    "R:354", "S:data>content", "D:22 octets",
    "R:250", "T:message 1 of this session: handed over for 2 of 2 recipients",
    "S:content>quit", "C:QUIT",
    "R:221", "S:quit>done", "X",
    NULL
  };

  g_assert_cmpuint (add (fx, "alice@a.example", "bob@b.example carol@b.example", MSG), ==, 0);
  expect (fx, NULL);
  g_assert_cmpstr (ml_smtp_client_state_to_string (ml_smtp_client_get_state (fx->client)), ==, "greeting");

  feed (fx, "220 mx.b.example ESMTP\r\n");
  expect (fx, "EHLO client.a.example\r\n");
  feed (fx, EHLO_PIPELINING);
  /* RFC 2920 3.1: the whole envelope in one group, DATA last. */
  expect (fx, "MAIL FROM:<alice@a.example> SIZE=22\r\n"
              "RCPT TO:<bob@b.example>\r\n"
              "RCPT TO:<carol@b.example>\r\n"
              "DATA\r\n");
  feed (fx, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
  expect (fx, NULL);
  feed (fx, "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "250 2.0.0 Ok: queued as 4A1F2C\r\n");
  expect (fx, "QUIT\r\n");
  g_assert_false (ml_smtp_client_is_done (fx->client));
  feed (fx, "221 2.0.0 Bye\r\n");
  expect (fx, NULL);
  g_assert_true (ml_smtp_client_is_done (fx->client));

  res = ml_smtp_client_get_result (fx->client, 0);
  g_assert_true (res->finished);
  g_assert_false (res->try_next_host);
  g_assert_cmpuint (res->data_code, ==, 250);
  g_assert_cmpstr (res->data_enhanced, ==, "2.0.0");
  g_assert_cmpstr (res->data_text, ==, "Ok: queued as 4A1F2C");
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_DELIVERED, 250, "2.0.0", "Ok: queued as 4A1F2C");
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_DELIVERED, 250, "2.0.0", NULL);
  g_assert_cmpstr (res->recipients[1].address, ==, "carol@b.example");
  g_assert_false (res->recipients[1].local);

  for (guint i = 0; golden[i] != NULL && i < fx->events->len; i++)
    g_assert_cmpstr (fx->events->pdata[i], ==, golden[i]);
  g_assert_cmpuint (fx->events->len, ==, g_strv_length ((char **) golden));
  g_assert_true (ml_smtp_capabilities_has (ml_smtp_client_get_capabilities (fx->client),
                                           ML_SMTP_EXT_PIPELINING));
  /* Nothing is taken once the session is over. */
  g_assert_cmpuint (ml_smtp_client_feed (fx->client, (const guint8 *) "250 x\r\n", 7), ==, 0);
}

static void
test_session_plain (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "bob@b.example carol@b.example", MSG);
  feed (fx, "220 mx.b.example ESMTP\r\n");
  expect (fx, "EHLO client.a.example\r\n");
  feed (fx, EHLO_PLAIN);
  /* No PIPELINING: one command, one reply. */
  expect (fx, "MAIL FROM:<alice@a.example> SIZE=22\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "RCPT TO:<bob@b.example>\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "RCPT TO:<carol@b.example>\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "DATA\r\n");
  feed (fx, "354 go ahead\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "QUIT\r\n");
  feed (fx, "221 Bye\r\n");
  g_assert_true (ml_smtp_client_is_done (fx->client));
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_DELIVERED, 250, NULL, "Ok");
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_DELIVERED, 250, NULL, "Ok");

  assert_event (fx, "S:mail>rcpt");
  assert_event (fx, "S:rcpt>data");
}

static void
test_events_fields (Fixture *fx, gconstpointer data)
{
  MlEngineEvent ev = { 0 };
  gboolean saw_mail = FALSE, saw_reply = FALSE, saw_state = FALSE, saw_data = FALSE;

  add (fx, "alice@a.example", "bob@b.example", MSG);
  ml_smtp_client_feed (fx->client, (const guint8 *) "220 mx ESMTP\r\n" EHLO_PIPELINING,
                       strlen ("220 mx ESMTP\r\n" EHLO_PIPELINING));
  {
    const char *replies = "250 2.1.0 Ok\r\n250-2.1.5 a\r\n250 2.1.5 b\r\n354 go\r\n";

    ml_smtp_client_feed (fx->client, (const guint8 *) replies, strlen (replies));
  }

  while (ml_smtp_client_next_event (fx->client, &ev))
    {
      g_assert_cmpint (ev.protocol, ==, ML_PROTO_SMTP);
      if (ev.kind == ML_ENGINE_EVENT_COMMAND && g_strcmp0 (ev.verb, "MAIL") == 0)
        {
          saw_mail = TRUE;
          g_assert_true (ev.outgoing);
          g_assert_cmpint (ev.direction, ==, ML_DIR_CLIENT_TO_SERVER);
          g_assert_cmpstr (ev.args, ==, "FROM:<alice@a.example> SIZE=22");
          g_assert_cmpstr (ev.line, ==, "MAIL FROM:<alice@a.example> SIZE=22");
          g_assert_cmpstr (ev.explain_key, ==, "smtp.mail");
        }
      else if (ev.kind == ML_ENGINE_EVENT_REPLY && ev.code == 250 && g_strcmp0 (ev.enhanced, "2.1.5") == 0)
        {
          saw_reply = TRUE;
          g_assert_false (ev.outgoing);
          g_assert_cmpint (ev.direction, ==, ML_DIR_SERVER_TO_CLIENT);
          g_assert_cmpstr (ev.line, ==, "250-2.1.5 a\n250 2.1.5 b");
          g_assert_cmpstr (ev.explain_key, ==, "smtp.reply.250");
        }
      else if (ev.kind == ML_ENGINE_EVENT_STATE && g_strcmp0 (ev.state_to, "rcpt") == 0)
        {
          saw_state = TRUE;
          g_assert_cmpstr (ev.state_from, ==, "mail");
          g_assert_cmpstr (ev.explain_key, ==, "smtp.client.state.rcpt");
        }
      else if (ev.kind == ML_ENGINE_EVENT_DATA)
        {
          saw_data = TRUE;
          g_assert_true (ev.outgoing);
          g_assert_cmpstr (ev.detail, ==, "22 octets");
        }
      ml_engine_event_clear (&ev);
    }
  g_assert_true (saw_mail);
  g_assert_true (saw_reply);
  g_assert_true (saw_state);
  g_assert_true (saw_data);
}

static void
test_helo_fallback (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 old.b.example SMTP\r\n");
  expect (fx, "EHLO client.a.example\r\n");
  /* RFC 5321 3.2: "command not recognized" → HELO. */
  feed (fx, "502 5.5.1 Command not implemented\r\n");
  expect (fx, "HELO client.a.example\r\n");
  feed (fx, "250 old.b.example\r\n");
  /* No extensions after HELO: no SIZE, no pipelining. */
  expect (fx, "MAIL FROM:<alice@a.example>\r\n");
  feed (fx, "250 ok\r\n");
  expect (fx, "RCPT TO:<bob@b.example>\r\n");
  feed (fx, "250 ok\r\n");
  expect (fx, "DATA\r\n");
  feed (fx, "354 go\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "250 ok\r\n");
  expect (fx, "QUIT\r\n");
  feed (fx, "221 bye\r\n");
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_DELIVERED, 250, NULL, "ok");
  assert_event (fx, "S:ehlo>helo");
}

static void
test_helo_refused (Fixture *fx, gconstpointer data)
{
  const MlSmtpClientResult *res;

  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 b.example\r\n");
  expect (fx, "EHLO client.a.example\r\n");
  feed (fx, "500 what\r\n");
  expect (fx, "HELO client.a.example\r\n");
  feed (fx, "550 5.7.1 go away\r\n");
  /* Not a verdict on the message: another MX may take it. */
  expect (fx, "QUIT\r\n");
  res = ml_smtp_client_get_result (fx->client, 0);
  g_assert_true (res->finished);
  g_assert_true (res->try_next_host);
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_PERMANENT, 550, "5.7.1", "go away");
  feed (fx, "221 bye\r\n");
  g_assert_true (ml_smtp_client_is_done (fx->client));
}

static void
test_use_helo_config (Fixture *fx, gconstpointer data)
{
  MlSmtpClientConfig config;

  ml_smtp_client_config_init (&config);
  config.use_ehlo = FALSE;
  reconfigure (fx, &config);
  add (fx, "", "bob@b.example", MSG);
  feed (fx, "220 b.example\r\n");
  /* No helo_name: "localhost"; null reverse-path (RFC 5321 4.5.5). */
  expect (fx, "HELO localhost\r\n");
  feed (fx, "250 b.example\r\n");
  expect (fx, "MAIL FROM:<>\r\n");
}

static void
test_greeting_554 (Fixture *fx, gconstpointer data)
{
  const MlSmtpClientResult *res;

  add (fx, "alice@a.example", "bob@b.example carol@b.example", MSG);
  add (fx, "alice@a.example", "dave@b.example", MSG);
  feed (fx, "554 5.7.1 No SMTP service here for 192.0.2.1\r\n");
  /* RFC 5321 3.1: the server waits for QUIT. */
  expect (fx, "QUIT\r\n");
  g_assert_false (ml_smtp_client_is_done (fx->client));
  for (guint m = 0; m < 2; m++)
    {
      res = ml_smtp_client_get_result (fx->client, m);
      g_assert_true (res->finished);
      g_assert_true (res->try_next_host);
      g_assert_cmpuint (res->data_code, ==, 0);
    }
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_PERMANENT, 554, "5.7.1", "No SMTP service here for 192.0.2.1");
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_PERMANENT, 554, "5.7.1", NULL);
  assert_rcpt (fx, 1, 0, ML_SMTP_OUTCOME_PERMANENT, 554, "5.7.1", NULL);
  feed (fx, "221 bye\r\n");
  g_assert_true (ml_smtp_client_is_done (fx->client));
  expect (fx, NULL);
}

static void
test_greeting_421 (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "421 4.3.2 Too busy, try later\r\n");
  /* RFC 5321 3.8: the server closes after 421; nothing to say. */
  expect (fx, NULL);
  g_assert_true (ml_smtp_client_is_done (fx->client));
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_TEMPORARY, 421, "4.3.2", "Too busy, try later");
  g_assert_true (ml_smtp_client_get_result (fx->client, 0)->try_next_host);
}

/* ---- failures inside a transaction ---- */

static void
test_mail_refused_plain (Fixture *fx, gconstpointer data)
{
  const MlSmtpClientResult *res;

  add (fx, "spammer@x.example", "bob@b.example carol@b.example", MSG);
  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 b\r\n");
  expect (fx, "EHLO client.a.example\r\n");
  feed (fx, EHLO_PLAIN);
  expect (fx, "MAIL FROM:<spammer@x.example> SIZE=22\r\n");
  feed (fx, "550 5.7.1 Sender rejected\r\n");
  /* RFC 5321 4.1.1.5: RSET after the failed transaction. */
  expect (fx, "RSET\r\n");
  res = ml_smtp_client_get_result (fx->client, 0);
  g_assert_true (res->finished);
  g_assert_false (res->try_next_host);
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_PERMANENT, 550, "5.7.1", "Sender rejected");
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_PERMANENT, 550, "5.7.1", "Sender rejected");
  assert_event (fx, "T:message 1 of this session: handed over for 0 of 2 recipients, 2 permanent failures (MAIL refused)");
  feed (fx, "250 Ok\r\n");
  expect (fx, "MAIL FROM:<alice@a.example> SIZE=22\r\n");
  g_assert_false (ml_smtp_client_get_result (fx->client, 1)->finished);
}

static void
test_mail_refused_pipelining (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "bob@b.example carol@b.example", MSG);
  add (fx, "alice@a.example", "bob@b.example", MSG);
  add (fx, "alice@a.example", "carol@b.example", MSG);
  feed (fx, "220 b\r\n");
  expect (fx, "EHLO client.a.example\r\n");
  feed (fx, EHLO_PIPELINING);
  expect (fx, "MAIL FROM:<alice@a.example> SIZE=22\r\nRCPT TO:<bob@b.example>\r\n"
              "RCPT TO:<carol@b.example>\r\nDATA\r\n");
  /* RFC 2920 3.1: every reply of the group is counted, none matched by code. */
  feed (fx, "452 4.3.1 Insufficient system storage\r\n"
            "503 5.5.1 Error: need MAIL command\r\n"
            "503 5.5.1 Error: need MAIL command\r\n");
  expect (fx, NULL);
  feed (fx, "503 5.5.1 Error: need RCPT command\r\n");
  expect (fx, "RSET\r\n");
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_TEMPORARY, 452, "4.3.1", "Insufficient system storage");
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_TEMPORARY, 452, "4.3.1", NULL);
  feed (fx, "250 2.0.0 Ok\r\n");
  expect (fx, "MAIL FROM:<alice@a.example> SIZE=22\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n");
  feed (fx, "250 Ok\r\n250 Ok\r\n354 go\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "250 Ok\r\n");
  /* After a successful transaction no RSET is needed. */
  expect (fx, "MAIL FROM:<alice@a.example> SIZE=22\r\nRCPT TO:<carol@b.example>\r\nDATA\r\n");
  assert_rcpt (fx, 1, 0, ML_SMTP_OUTCOME_DELIVERED, 250, NULL, "Ok");
}

static void
test_some_rcpts_refused (Fixture *fx, gconstpointer data)
{
  const MlSmtpClientResult *res;

  add (fx, "alice@a.example", "bob@b.example nobody@b.example carol@b.example", MSG);
  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  expect (fx, "EHLO client.a.example\r\n"
              "MAIL FROM:<alice@a.example> SIZE=22\r\n"
              "RCPT TO:<bob@b.example>\r\n"
              "RCPT TO:<nobody@b.example>\r\n"
              "RCPT TO:<carol@b.example>\r\n"
              "DATA\r\n");
  feed (fx, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <nobody@b.example>: Recipient address rejected\r\n"
            "250 2.1.5 Ok\r\n354 go\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "250 2.0.0 queued\r\n");
  expect (fx, "QUIT\r\n");
  res = ml_smtp_client_get_result (fx->client, 0);
  g_assert_cmpuint (res->data_code, ==, 250);
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_DELIVERED, 250, "2.0.0", "queued");
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_PERMANENT, 550, "5.1.1",
               "<nobody@b.example>: Recipient address rejected");
  assert_rcpt (fx, 0, 2, ML_SMTP_OUTCOME_DELIVERED, 250, "2.0.0", "queued");
  assert_event (fx, "T:message 1 of this session: handed over for 2 of 3 recipients, 1 permanent failure");
}

static void
test_all_rcpts_refused_plain (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "x@b.example y@b.example", MSG);
  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 b\r\n" EHLO_PLAIN);
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=22\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "RCPT TO:<x@b.example>\r\n");
  feed (fx, "550 5.1.1 no\r\n");
  expect (fx, "RCPT TO:<y@b.example>\r\n");
  feed (fx, "450 4.2.0 greylisted\r\n");
  /* No recipient: no DATA, and RSET before the next transaction. */
  expect (fx, "RSET\r\n");
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_PERMANENT, 550, "5.1.1", "no");
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_TEMPORARY, 450, "4.2.0", "greylisted");
  g_assert_cmpuint (ml_smtp_client_get_result (fx->client, 0)->data_code, ==, 0);
  g_assert_false (has_event (fx, "C:DATA"));
}

static void
test_all_rcpts_refused_pipelining (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "x@b.example", MSG);
  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=22\r\n"
              "RCPT TO:<x@b.example>\r\nDATA\r\n");
  /* The server refuses DATA, as RFC 2920 3.2 (3) asks: no content. */
  feed (fx, "250 Ok\r\n550 5.1.1 no such user\r\n554 5.5.1 Error: no valid recipients\r\n");
  expect (fx, "QUIT\r\n");
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_PERMANENT, 550, "5.1.1", "no such user");
  g_assert_cmpuint (ml_smtp_client_get_result (fx->client, 0)->data_code, ==, 0);
}

static void
test_all_rcpts_refused_data_accepted (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "x@b.example", MSG);
  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=22\r\n"
              "RCPT TO:<x@b.example>\r\nDATA\r\n");
  /* RFC 2920 3.1: DATA accepted with no valid recipient — send a single
   * dot, never the content. */
  feed (fx, "250 Ok\r\n550 5.1.1 no such user\r\n354 go ahead\r\n");
  expect (fx, ".\r\n");
  assert_event (fx, "D:0 octets (no recipient accepted: only the final \".\", RFC 2920 3.1)");
  /* Its reply decides nothing: the RCPT refusal stands. */
  feed (fx, "554 5.5.1 no valid recipients\r\n");
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_PERMANENT, 550, "5.1.1", "no such user");
  g_assert_cmpuint (ml_smtp_client_get_result (fx->client, 0)->data_code, ==, 0);
  /* The dot closed the transaction on the server: no RSET. */
  expect (fx, "MAIL FROM:<alice@a.example> SIZE=22\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n");
}

static void
test_classification (Fixture *fx, gconstpointer data)
{
  add (fx, "a@a.example", "t@b.example p@b.example ok@b.example", MSG);  /* dot 451 */
  add (fx, "a@a.example", "ok@b.example", MSG);                           /* dot 554 */
  add (fx, "a@a.example", "ok@b.example", MSG);                           /* DATA 452 */
  add (fx, "a@a.example", "ok@b.example", MSG);                           /* DATA 554 */
  feed (fx, "220 b\r\n" EHLO_PLAIN);
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<a@a.example> SIZE=22\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "RCPT TO:<t@b.example>\r\n");
  feed (fx, "450 4.2.1 mailbox busy\r\n");
  expect (fx, "RCPT TO:<p@b.example>\r\n");
  feed (fx, "553 5.1.3 bad address\r\n");
  expect (fx, "RCPT TO:<ok@b.example>\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "DATA\r\n");
  feed (fx, "354 go\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "451 4.3.0 local error in processing\r\n");
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_TEMPORARY, 450, "4.2.1", "mailbox busy");
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_PERMANENT, 553, "5.1.3", "bad address");
  assert_rcpt (fx, 0, 2, ML_SMTP_OUTCOME_TEMPORARY, 451, "4.3.0", "local error in processing");
  g_assert_cmpuint (ml_smtp_client_get_result (fx->client, 0)->data_code, ==, 451);

  /* The end of data closes the transaction whatever the reply. */
  expect (fx, "MAIL FROM:<a@a.example> SIZE=22\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "RCPT TO:<ok@b.example>\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "DATA\r\n");
  feed (fx, "354 go\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "554 5.7.1 message content rejected\r\n");
  assert_rcpt (fx, 1, 0, ML_SMTP_OUTCOME_PERMANENT, 554, "5.7.1", "message content rejected");

  expect (fx, "MAIL FROM:<a@a.example> SIZE=22\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "RCPT TO:<ok@b.example>\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "DATA\r\n");
  feed (fx, "452 4.3.1 out of storage\r\n");
  assert_rcpt (fx, 2, 0, ML_SMTP_OUTCOME_TEMPORARY, 452, "4.3.1", "out of storage");
  g_assert_cmpuint (ml_smtp_client_get_result (fx->client, 2)->data_code, ==, 0);

  expect (fx, "RSET\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "MAIL FROM:<a@a.example> SIZE=22\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "RCPT TO:<ok@b.example>\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "DATA\r\n");
  feed (fx, "554 5.5.0 no\r\n");
  assert_rcpt (fx, 3, 0, ML_SMTP_OUTCOME_PERMANENT, 554, "5.5.0", "no");
  /* The last transaction failed, but QUIT needs no RSET before it. */
  expect (fx, "QUIT\r\n");
}

static void
test_421_mid_session (Fixture *fx, gconstpointer data)
{
  const MlSmtpClientResult *res;

  add (fx, "alice@a.example", "bob@b.example nobody@b.example carol@b.example", MSG);
  add (fx, "alice@a.example", "dave@b.example", MSG);
  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=22\r\n"
              "RCPT TO:<bob@b.example>\r\nRCPT TO:<nobody@b.example>\r\n"
              "RCPT TO:<carol@b.example>\r\nDATA\r\n");
  feed (fx, "250 Ok\r\n250 Ok\r\n550 5.1.1 unknown\r\n421 4.3.2 Service shutting down\r\n");
  /* RFC 5321 3.8: the session is over, nothing more is sent. */
  expect (fx, NULL);
  g_assert_true (ml_smtp_client_is_done (fx->client));
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_TEMPORARY, 421, "4.3.2", "Service shutting down");
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_PERMANENT, 550, "5.1.1", "unknown");
  assert_rcpt (fx, 0, 2, ML_SMTP_OUTCOME_TEMPORARY, 421, "4.3.2", NULL);
  assert_rcpt (fx, 1, 0, ML_SMTP_OUTCOME_TEMPORARY, 421, "4.3.2", NULL);
  for (guint m = 0; m < 2; m++)
    {
      res = ml_smtp_client_get_result (fx->client, m);
      g_assert_true (res->finished);
      g_assert_true (res->try_next_host);
    }
  assert_event (fx, "X");
}

static void
test_421_unsolicited (Fixture *fx, gconstpointer data)
{
  MlSmtpClientConfig config;

  ml_smtp_client_config_init (&config);
  config.send_quit = FALSE;
  reconfigure (fx, &config);
  feed (fx, "220 b\r\n" EHLO_PLAIN);
  expect (fx, "EHLO localhost\r\n");
  g_assert_cmpint (ml_smtp_client_get_state (fx->client), ==, ML_SMTP_CLIENT_STATE_READY);
  /* RFC 5321 3.8: 421 may come without a command. */
  feed (fx, "421 4.4.2 idle too long\r\n");
  g_assert_true (ml_smtp_client_is_done (fx->client));
  /* A message queued now cannot be sent here. */
  add (fx, "alice@a.example", "bob@b.example", MSG);
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_TEMPORARY, 421, "4.4.2", "idle too long");
  g_assert_true (ml_smtp_client_get_result (fx->client, 0)->finished);
  expect (fx, NULL);
}

/* ---- content ---- */

static void
run_to_content (Fixture *fx, const char *message, const char *ehlo)
{
  add (fx, "alice@a.example", "bob@b.example", message);
  feed (fx, "220 b\r\n");
  feed (fx, ehlo);
  g_clear_pointer (&fx->events, g_ptr_array_unref);
  fx->events = g_ptr_array_new_with_free_func (g_free);
  g_bytes_unref (ml_smtp_client_take_output (fx->client));
  feed (fx, "250 Ok\r\n250 Ok\r\n354 go\r\n");
}

static void
test_dot_stuffing (Fixture *fx, gconstpointer data)
{
  /* RFC 5321 4.5.2: a line starting with "." gets one more; a lone "." in
   * the content must not end it. */
  run_to_content (fx, ".hidden\r\nmiddle . dot\r\n..\r\n.\r\nend.\r\n.", EHLO_PIPELINING);
  expect (fx, "..hidden\r\nmiddle . dot\r\n...\r\n..\r\nend.\r\n..\r\n.\r\n");
  /* SIZE counts the content without the doubled dots (RFC 1870 5). */
  assert_event (fx, "D:39 octets");
}

static void
test_bare_lf (Fixture *fx, gconstpointer data)
{
  run_to_content (fx, "Subject: x\n\nbody\nline\r\nold mac\rend", EHLO_PIPELINING);
  expect (fx, "Subject: x\r\n\r\nbody\r\nline\r\nold mac\r\nend\r\n.\r\n");
  assert_event (fx, "D:40 octets");
}

static void
test_no_final_crlf (Fixture *fx, gconstpointer data)
{
  run_to_content (fx, "Subject: x\r\n\r\nno newline", EHLO_PIPELINING);
  expect (fx, "Subject: x\r\n\r\nno newline\r\n.\r\n");
}

static void
test_size_declared (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "bob@b.example", "line one\nline two\n");  /* 20 as CRLF */
  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  /* The declared size is the size sent: bare LF counted as CRLF. */
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=20\r\n"
              "RCPT TO:<bob@b.example>\r\nDATA\r\n");
}

static void
test_size_exceeded (Fixture *fx, gconstpointer data)
{
  g_autofree char *big = g_strnfill (10001, 'x');
  const MlSmtpClientResult *res;

  add (fx, "alice@a.example", "bob@b.example carol@b.example", big);
  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  /* RFC 1870 4: over the advertised SIZE 10000: not sent at all. */
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=22\r\n"
              "RCPT TO:<bob@b.example>\r\nDATA\r\n");
  res = ml_smtp_client_get_result (fx->client, 0);
  g_assert_true (res->finished);
  g_assert_false (res->try_next_host);
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_PERMANENT, 552, "5.3.4", NULL);
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_PERMANENT, 552, "5.3.4", NULL);
  g_assert_true (res->recipients[0].local);
}

static void
test_8bitmime (Fixture *fx, gconstpointer data)
{
  const char *eight = "Subject: caf\xc3\xa9\r\n\r\ncaf\xc3\xa9\r\n";  /* 25 octets */

  add (fx, "alice@a.example", "bob@b.example", eight);
  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  /* RFC 6152 3: BODY=8BITMIME when the server offers it. */
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=25 BODY=8BITMIME\r\n"
              "RCPT TO:<bob@b.example>\r\nDATA\r\n");
  feed (fx, "250 Ok\r\n250 Ok\r\n354 go\r\n");
  expect (fx, "Subject: caf\xc3\xa9\r\n\r\ncaf\xc3\xa9\r\n.\r\n");
}

static void
test_8bit_without_8bitmime (Fixture *fx, gconstpointer data)
{
  const MlSmtpClientResult *res;

  add (fx, "alice@a.example", "bob@b.example", "Subject: caf\xc3\xa9\r\n\r\nx\r\n");
  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 b\r\n250-b\r\n250 PIPELINING\r\n");
  /* RFC 6152 3: no 8BITMIME, no octet above 127: the first message bounces
   * here, the second goes. */
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example>\r\n"
              "RCPT TO:<bob@b.example>\r\nDATA\r\n");
  res = ml_smtp_client_get_result (fx->client, 0);
  g_assert_true (res->finished);
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_PERMANENT, 554, "5.6.3", NULL);
  g_assert_true (res->recipients[0].local);
  assert_event (fx, "T:message 1 of this session: handed over for 0 of 1 recipient, 1 permanent failure "
                    "(not sent: conversion to 7-bit required)");
}

/* ---- the session breaking ---- */

static void
test_connection_lost (Fixture *fx, gconstpointer data)
{
  const MlSmtpClientResult *res;

  add (fx, "alice@a.example", "bob@b.example nobody@b.example carol@b.example", MSG);
  add (fx, "alice@a.example", "dave@b.example", MSG);
  feed (fx, "220 b\r\n" EHLO_PLAIN);
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=22\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "RCPT TO:<bob@b.example>\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "RCPT TO:<nobody@b.example>\r\n");
  feed (fx, "550 5.1.1 unknown\r\n");
  ml_smtp_client_connection_lost (fx->client);
  drain_events (fx);
  g_assert_true (ml_smtp_client_is_done (fx->client));
  /* Nothing is left to send on a dead connection. */
  expect (fx, NULL);
  /* RFC 5321 3.8: as if 451 had come. */
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_TEMPORARY, 451, "4.4.2", "connection lost");
  assert_rcpt (fx, 0, 1, ML_SMTP_OUTCOME_PERMANENT, 550, "5.1.1", "unknown");
  assert_rcpt (fx, 0, 2, ML_SMTP_OUTCOME_TEMPORARY, 451, "4.4.2", "connection lost");
  assert_rcpt (fx, 1, 0, ML_SMTP_OUTCOME_TEMPORARY, 451, "4.4.2", "connection lost");
  for (guint m = 0; m < 2; m++)
    {
      res = ml_smtp_client_get_result (fx->client, m);
      g_assert_true (res->finished);
      g_assert_true (res->recipients[0].local);
    }
  assert_event (fx, "X");
}

static void
test_connection_lost_after_dot (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 b\r\n" EHLO_PIPELINING "250 Ok\r\n250 Ok\r\n354 go\r\n");
  ml_smtp_client_connection_lost (fx->client);
  /* No reply to the dot: the server is not responsible yet. */
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_TEMPORARY, 451, "4.4.2", NULL);
  g_assert_cmpuint (ml_smtp_client_get_result (fx->client, 0)->data_code, ==, 0);
}

static void
test_connection_lost_after_quit (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 b\r\n" EHLO_PIPELINING "250 Ok\r\n250 Ok\r\n354 go\r\n250 Ok\r\n");
  ml_smtp_client_connection_lost (fx->client);
  /* Delivered before the line broke: stays delivered. */
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_DELIVERED, 250, NULL, "Ok");
  g_assert_true (ml_smtp_client_is_done (fx->client));
}

static void
test_malformed_reply (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 b\r\n" EHLO_PLAIN);
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=22\r\n");
  feed (fx, "250-ok\r\n251 mixed\r\n");
  /* The reply stream is out of step: QUIT, then done without waiting. */
  expect (fx, "QUIT\r\n");
  g_assert_true (ml_smtp_client_is_done (fx->client));
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_TEMPORARY, 451, "4.5.0", NULL);
  g_assert_true (ml_smtp_client_get_result (fx->client, 0)->recipients[0].local);
  g_assert_true (g_str_has_prefix (ml_smtp_client_get_result (fx->client, 0)->recipients[0].text,
                                   "malformed reply: "));
  assert_event (fx, "T:the session ends: malformed reply: reply code 251 inside a multi-line reply of 250");
}

static void
test_reply_line_too_long (Fixture *fx, gconstpointer data)
{
  g_autofree char *junk = g_strnfill (600, 'x');
  g_autofree char *line = g_strdup_printf ("250 %s\r\n", junk);

  add (fx, "alice@a.example", "bob@b.example", MSG);
  feed (fx, "220 b\r\n");
  expect (fx, "EHLO client.a.example\r\n");
  feed (fx, line);
  expect (fx, "QUIT\r\n");
  g_assert_true (ml_smtp_client_is_done (fx->client));
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_TEMPORARY, 451, "4.5.0",
               "malformed reply: reply line longer than 512 octets (RFC 5321 4.5.3.1.5)");
}

static void
test_unsolicited_reply (Fixture *fx, gconstpointer data)
{
  MlSmtpClientConfig config;

  ml_smtp_client_config_init (&config);
  config.send_quit = FALSE;
  reconfigure (fx, &config);
  feed (fx, "220 b\r\n" EHLO_PLAIN);
  expect (fx, "EHLO localhost\r\n");
  /* A reply with no command waiting: replies and commands no longer pair
   * up (RFC 5321 4.2), so nothing after it can be trusted. */
  feed (fx, "250 what\r\n");
  expect (fx, "QUIT\r\n");
  g_assert_true (ml_smtp_client_is_done (fx->client));
  add (fx, "alice@a.example", "bob@b.example", MSG);
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_TEMPORARY, 451, "4.5.0", NULL);
}

/* ---- several messages ---- */

static void
test_two_messages (Fixture *fx, gconstpointer data)
{
  add (fx, "alice@a.example", "bob@b.example", MSG);
  add (fx, "alice@a.example", "carol@b.example", "Subject: second\r\n\r\n.\r\n");
  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=22\r\n"
              "RCPT TO:<bob@b.example>\r\nDATA\r\n");
  feed (fx, "250 Ok\r\n250 Ok\r\n354 go\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "250 Ok: queued as 1\r\n");
  /* RFC 5321 4.1.4: after a completed DATA the next MAIL may follow. */
  expect (fx, "MAIL FROM:<alice@a.example> SIZE=22\r\nRCPT TO:<carol@b.example>\r\nDATA\r\n");
  feed (fx, "250 Ok\r\n250 Ok\r\n354 go\r\n");
  expect (fx, "Subject: second\r\n\r\n..\r\n.\r\n");
  feed (fx, "250 Ok: queued as 2\r\n");
  expect (fx, "QUIT\r\n");
  feed (fx, "221 Bye\r\n");
  assert_rcpt (fx, 0, 0, ML_SMTP_OUTCOME_DELIVERED, 250, NULL, "Ok: queued as 1");
  assert_rcpt (fx, 1, 0, ML_SMTP_OUTCOME_DELIVERED, 250, NULL, "Ok: queued as 2");
  g_assert_false (has_event (fx, "C:RSET"));
  g_assert_cmpuint (ml_smtp_client_get_n_messages (fx->client), ==, 2);
  g_assert_null (ml_smtp_client_get_result (fx->client, 2));
}

static void
test_queue_during_session (Fixture *fx, gconstpointer data)
{
  MlSmtpClientConfig config;

  ml_smtp_client_config_init (&config);
  config.send_quit = FALSE;
  config.helo_name = "[192.0.2.1]";
  reconfigure (fx, &config);

  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  expect (fx, "EHLO [192.0.2.1]\r\n");
  /* Ready and idle: the connection stays open for more. */
  g_assert_false (ml_smtp_client_is_done (fx->client));
  g_assert_cmpint (ml_smtp_client_get_state (fx->client), ==, ML_SMTP_CLIENT_STATE_READY);
  g_assert_cmpuint (add (fx, "<alice@a.example>", "<bob@b.example>", MSG), ==, 0);
  expect (fx, "MAIL FROM:<alice@a.example> SIZE=22\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n");
  /* Queued mid-transaction: waits its turn. */
  g_assert_cmpuint (add (fx, "alice@a.example", "carol@b.example", MSG), ==, 1);
  expect (fx, NULL);
  feed (fx, "250 Ok\r\n250 Ok\r\n354 go\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "MAIL FROM:<alice@a.example> SIZE=22\r\nRCPT TO:<carol@b.example>\r\nDATA\r\n");
  ml_smtp_client_quit (fx->client);
  expect (fx, NULL);
  feed (fx, "250 Ok\r\n250 Ok\r\n354 go\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "QUIT\r\n");
  /* Queued after QUIT: not sent, back to the MTA queue. */
  add (fx, "alice@a.example", "dave@b.example", MSG);
  assert_rcpt (fx, 2, 0, ML_SMTP_OUTCOME_TEMPORARY, 451, "4.3.0", NULL);
  feed (fx, "221 Bye\r\n");
  g_assert_true (ml_smtp_client_is_done (fx->client));
  assert_rcpt (fx, 1, 0, ML_SMTP_OUTCOME_DELIVERED, 250, NULL, "Ok");
}

static void
test_no_messages (Fixture *fx, gconstpointer data)
{
  /* Nothing yet: no bytes, no output, still waiting for the greeting. */
  g_assert_cmpuint (ml_smtp_client_feed (fx->client, NULL, 0), ==, 0);
  expect (fx, NULL);
  g_assert_cmpint (ml_smtp_client_get_state (fx->client), ==, ML_SMTP_CLIENT_STATE_GREETING);
  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  expect (fx, "EHLO client.a.example\r\nQUIT\r\n");
  feed (fx, "221 Bye\r\n");
  g_assert_true (ml_smtp_client_is_done (fx->client));
}

static void
test_bad_addresses (Fixture *fx, gconstpointer data)
{
  const char *rcpts[] = { "bob@b.example", "evil@b.example>\r\nRCPT TO:<x@y", NULL };
  const char *only_bad[] = { "a\nb", NULL };
  g_autoptr(GBytes) msg = g_bytes_new_static (MSG, strlen (MSG));
  g_autofree char *local_part = g_strnfill (250, 'l');
  g_autofree char *long_addr = g_strdup_printf ("%s@b.example", local_part);
  const char *too_long[] = { long_addr, NULL };
  guint i0, i1, i2, i3;

  i0 = ml_smtp_client_add_message (fx->client, "alice@a.example", rcpts, msg);
  i1 = ml_smtp_client_add_message (fx->client, "alice@a.example", only_bad, msg);
  i2 = ml_smtp_client_add_message (fx->client, "al\rice@a.example", rcpts, msg);
  i3 = ml_smtp_client_add_message (fx->client, "alice@a.example", too_long, msg);
  /* Nothing that can end a command line gets into one. */
  assert_rcpt (fx, i0, 1, ML_SMTP_OUTCOME_PERMANENT, 501, "5.1.3", NULL);
  g_assert_false (ml_smtp_client_get_result (fx->client, i0)->finished);
  g_assert_true (ml_smtp_client_get_result (fx->client, i1)->finished);
  assert_rcpt (fx, i2, 0, ML_SMTP_OUTCOME_PERMANENT, 501, "5.1.7", NULL);
  assert_rcpt (fx, i2, 1, ML_SMTP_OUTCOME_PERMANENT, 501, "5.1.3", NULL);
  g_assert_true (ml_smtp_client_get_result (fx->client, i3)->finished);
  assert_rcpt (fx, i3, 0, ML_SMTP_OUTCOME_PERMANENT, 501, "5.1.3", NULL);

  feed (fx, "220 b\r\n" EHLO_PIPELINING);
  expect (fx, "EHLO client.a.example\r\nMAIL FROM:<alice@a.example> SIZE=22\r\n"
              "RCPT TO:<bob@b.example>\r\nDATA\r\n");
  feed (fx, "250 Ok\r\n250 Ok\r\n354 go\r\n");
  expect (fx, MSG ".\r\n");
  feed (fx, "250 Ok\r\n");
  expect (fx, "QUIT\r\n");
  assert_rcpt (fx, i0, 0, ML_SMTP_OUTCOME_DELIVERED, 250, NULL, NULL);
  assert_rcpt (fx, i0, 1, ML_SMTP_OUTCOME_PERMANENT, 501, "5.1.3", NULL);
}

/* ---- splits and speed ---- */

static const char *split_replies =
  "220-mx.b.example ESMTP\r\n220 ready\r\n"
  EHLO_PIPELINING
  "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550-5.1.1 no\r\n550 5.1.1 such user\r\n354 go\r\n"
  "250 2.0.0 queued\r\n"
  "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n"
  "250 2.0.0 queued\r\n"
  "221 2.0.0 Bye\r\n";

static char *
run_split (gsize chunk, GRand *rand, GPtrArray *events)
{
  MlSmtpClientConfig config;
  g_autoptr(MlSmtpClient) client = NULL;
  g_autoptr(GBytes) m1 = g_bytes_new_static (".dot first\nbody\n", 16);
  g_autoptr(GBytes) m2 = g_bytes_new_static (MSG, strlen (MSG));
  const char *r1[] = { "bob@b.example", "nobody@b.example", NULL };
  const char *r2[] = { "carol@b.example", NULL };
  GString *out = g_string_new (NULL);
  gsize len = strlen (split_replies), pos = 0;
  MlEngineEvent ev = { 0 };

  ml_smtp_client_config_init (&config);
  client = ml_smtp_client_new (&config);
  ml_smtp_client_add_message (client, "alice@a.example", r1, m1);
  ml_smtp_client_add_message (client, "alice@a.example", r2, m2);
  while (pos < len)
    {
      gsize n = len - pos;
      GBytes *o;

      if (rand != NULL)
        {
          gsize piece = (gsize) g_rand_int_range (rand, 1, 30);

          n = MIN (n, piece);
        }
      else if (chunk > 0)
        n = MIN (n, chunk);
      ml_smtp_client_feed (client, (const guint8 *) split_replies + pos, n);
      pos += n;
      o = ml_smtp_client_take_output (client);
      if (o != NULL)
        {
          g_string_append_len (out, g_bytes_get_data (o, NULL), (gssize) g_bytes_get_size (o));
          g_bytes_unref (o);
        }
    }
  while (ml_smtp_client_next_event (client, &ev))
    {
      g_ptr_array_add (events, event_string (&ev));
      ml_engine_event_clear (&ev);
    }
  g_assert_true (ml_smtp_client_is_done (client));
  g_assert_cmpint (ml_smtp_client_get_result (client, 0)->recipients[1].outcome, ==,
                   ML_SMTP_OUTCOME_PERMANENT);
  g_assert_cmpstr (ml_smtp_client_get_result (client, 0)->recipients[1].text, ==, "no\nsuch user");
  return g_string_free (out, FALSE);
}

static void
test_splits (void)
{
  g_autoptr(GPtrArray) ev_whole = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ev_bytes = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *whole = run_split (0, NULL, ev_whole);
  g_autofree char *bytes = run_split (1, NULL, ev_bytes);
  g_autoptr(GRand) rand = g_rand_new_with_seed (2920);

  g_assert_cmpstr (whole, ==,
                   "EHLO localhost\r\n"
                   "MAIL FROM:<alice@a.example> SIZE=18\r\n"
                   "RCPT TO:<bob@b.example>\r\nRCPT TO:<nobody@b.example>\r\nDATA\r\n"
                   "..dot first\r\nbody\r\n.\r\n"
                   "MAIL FROM:<alice@a.example> SIZE=22\r\nRCPT TO:<carol@b.example>\r\nDATA\r\n"
                   MSG ".\r\n"
                   "QUIT\r\n");
  g_assert_cmpstr (bytes, ==, whole);
  g_assert_cmpuint (ev_bytes->len, ==, ev_whole->len);
  for (guint i = 0; i < ev_whole->len; i++)
    g_assert_cmpstr (ev_bytes->pdata[i], ==, ev_whole->pdata[i]);

  for (int round = 0; round < 50; round++)
    {
      g_autoptr(GPtrArray) ev = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *random = run_split (0, rand, ev);

      g_assert_cmpstr (random, ==, whole);
      g_assert_cmpuint (ev->len, ==, ev_whole->len);
    }
}

#define N_BENCH 10000

static void
test_many_messages (void)
{
  g_autoptr(MlSmtpClient) client = ml_smtp_client_new (NULL);
  g_autoptr(GBytes) msg = g_bytes_new_static (MSG, strlen (MSG));
  g_autoptr(GTimer) timer = g_timer_new ();
  const char *rcpts[] = { "bob@b.example", "carol@b.example", NULL };
  const char *per_message = "250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go\r\n250 Ok\r\n";
  gsize per_len = strlen (per_message);
  gsize sent = 0;
  MlEngineEvent ev = { 0 };
  guint n_events = 0;

  for (guint i = 0; i < N_BENCH; i++)
    ml_smtp_client_add_message (client, "alice@a.example", rcpts, msg);
  ml_smtp_client_feed (client, (const guint8 *) "220 b\r\n" EHLO_PIPELINING,
                       strlen ("220 b\r\n" EHLO_PIPELINING));
  for (guint i = 0; i < N_BENCH; i++)
    {
      g_autoptr(GBytes) out = ml_smtp_client_take_output (client);

      g_assert_nonnull (out);
      sent += g_bytes_get_size (out);
      ml_smtp_client_feed (client, (const guint8 *) per_message, per_len);
      while (ml_smtp_client_next_event (client, &ev))
        {
          n_events++;
          ml_engine_event_clear (&ev);
        }
    }
  ml_smtp_client_feed (client, (const guint8 *) "221 Bye\r\n", 9);
  g_assert_true (ml_smtp_client_is_done (client));
  for (guint i = 0; i < N_BENCH; i++)
    {
      const MlSmtpClientResult *res = ml_smtp_client_get_result (client, i);

      g_assert_true (res->finished);
      g_assert_cmpint (res->recipients[1].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);
    }
  g_test_message ("%u messages, %" G_GSIZE_FORMAT " octets, %u events in %.3f s",
                  N_BENCH, sent, n_events, g_timer_elapsed (timer, NULL));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/smtp-client/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("session/pipelining", test_session_pipelining);
  ADD ("session/plain", test_session_plain);
  ADD ("session/event-fields", test_events_fields);
  ADD ("session/no-messages", test_no_messages);
  ADD ("hello/helo-fallback", test_helo_fallback);
  ADD ("hello/helo-refused", test_helo_refused);
  ADD ("hello/use-helo", test_use_helo_config);
  ADD ("greeting/554", test_greeting_554);
  ADD ("greeting/421", test_greeting_421);
  ADD ("transaction/mail-refused", test_mail_refused_plain);
  ADD ("transaction/mail-refused-pipelining", test_mail_refused_pipelining);
  ADD ("transaction/some-rcpts-refused", test_some_rcpts_refused);
  ADD ("transaction/all-rcpts-refused", test_all_rcpts_refused_plain);
  ADD ("transaction/all-rcpts-refused-pipelining", test_all_rcpts_refused_pipelining);
  ADD ("transaction/all-rcpts-refused-data-accepted", test_all_rcpts_refused_data_accepted);
  ADD ("transaction/classification", test_classification);
  ADD ("transaction/bad-addresses", test_bad_addresses);
  ADD ("content/dot-stuffing", test_dot_stuffing);
  ADD ("content/bare-lf", test_bare_lf);
  ADD ("content/no-final-crlf", test_no_final_crlf);
  ADD ("content/size-declared", test_size_declared);
  ADD ("content/size-exceeded", test_size_exceeded);
  ADD ("content/8bitmime", test_8bitmime);
  ADD ("content/8bit-without-8bitmime", test_8bit_without_8bitmime);
  ADD ("broken/421-mid-session", test_421_mid_session);
  ADD ("broken/421-unsolicited", test_421_unsolicited);
  ADD ("broken/connection-lost", test_connection_lost);
  ADD ("broken/connection-lost-after-dot", test_connection_lost_after_dot);
  ADD ("broken/connection-lost-after-reply", test_connection_lost_after_quit);
  ADD ("broken/malformed-reply", test_malformed_reply);
  ADD ("broken/reply-line-too-long", test_reply_line_too_long);
  ADD ("broken/unsolicited-reply", test_unsolicited_reply);
  ADD ("queue/two-messages", test_two_messages);
  ADD ("queue/during-session", test_queue_during_session);
  g_test_add_func ("/smtp-client/splits", test_splits);
  g_test_add_func ("/smtp-client/many-messages", test_many_messages);

#undef ADD

  return g_test_run ();
}

/* Unit tests for the POP3 server engine: raw bytes in, exact bytes out. */
#include <string.h>
#include "proto/pop3-server.h"

#define NOW_USEC  (G_GINT64_CONSTANT (1709625600) * G_USEC_PER_SEC)  /* 2024-03-05 08:00 UTC */
#define TIMESTAMP "<7.1709625600000000@mail.b.example>"
#define GREETING  "+OK mail.b.example POP3 server ready " TIMESTAMP "\r\n"

/* Sizes as the server counts them: octets with CRLF (RFC 1939 11). */
#define MSG1 "From: alice@a.example\r\nSubject: one\r\n\r\nHello Bob\r\n"   /* 50 */
#define MSG2 "Subject: dots\r\n\r\n.hidden\r\n..two\r\n.\r\nend\r\n"          /* 41 */
#define MSG3 "Subject: three\r\n\r\nl1\r\nl2\r\nl3\r\n"                      /* 30 */
#define LOGIN "USER bob@b.example\r\nPASS bob-secret\r\n"
#define LOGIN_OK "+OK send PASS\r\n+OK maildrop has 3 messages (121 octets)\r\n"

typedef struct {
  MlMailStore        *store;
  MlAccount          *bob;
  MlMailbox          *inbox;
  MlPop3ServerConfig  config;
  MlPop3Server       *server;
  GPtrArray          *events;  /* MlEngineEvent* */
} Fixture;

static void
free_event (gpointer data)
{
  ml_engine_event_clear (data);
  g_free (data);
}

static void
append (MlMailbox *mailbox, const char *text)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  g_assert_cmpuint (ml_mailbox_append (mailbox, bytes, 0, 1709620000), !=, 0);
}

static char *
drain_server (MlPop3Server *server, GPtrArray *events)
{
  MlEngineEvent event = { 0 };
  g_autoptr(GBytes) out = NULL;

  while (ml_pop3_server_next_event (server, &event))
    {
      if (events != NULL)
        g_ptr_array_add (events, g_memdup2 (&event, sizeof event));
      else
        ml_engine_event_clear (&event);
      memset (&event, 0, sizeof event);
    }
  out = ml_pop3_server_take_output (server);
  if (out == NULL)
    return g_strdup ("");
  return g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
}

static char *
drain (Fixture *f)
{
  return drain_server (f->server, f->events);
}

static char *
feed (Fixture *f, const char *text)
{
  ml_pop3_server_feed (f->server, (const guint8 *) text, strlen (text));
  return drain (f);
}

#define assert_feed(f, input, expected) \
  G_STMT_START { \
    g_autofree char *out_ = feed ((f), (input)); \
    g_assert_cmpstr (out_, ==, (expected)); \
  } G_STMT_END

static MlPop3Server *
new_server (Fixture *f)
{
  MlPop3Server *server = ml_pop3_server_new (f->store, &f->config);

  ml_pop3_server_set_now (server, NOW_USEC);
  ml_pop3_server_start (server);
  return server;
}

static void
fixture_start (Fixture *f)
{
  g_autofree char *greeting = NULL;

  g_clear_pointer (&f->server, ml_pop3_server_free);
  g_ptr_array_set_size (f->events, 0);
  f->server = new_server (f);
  greeting = drain (f);
  if (f->config.offer_apop)
    g_assert_cmpstr (greeting, ==, GREETING);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->store = ml_mail_store_new ();
  f->bob = ml_mail_store_add_account (f->store, "bob@b.example", "bob-secret");
  f->inbox = ml_account_get_inbox (f->bob);
  append (f->inbox, MSG1);
  append (f->inbox, MSG2);
  append (f->inbox, MSG3);
  ml_pop3_server_config_init (&f->config);
  f->config.hostname = "mail.b.example";
  f->config.session_id = 7;
  f->events = g_ptr_array_new_with_free_func (free_event);
  fixture_start (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->server, ml_pop3_server_free);
  g_ptr_array_unref (f->events);
  ml_mail_store_free (f->store);
}

static void
login (Fixture *f)
{
  assert_feed (f, LOGIN, LOGIN_OK);
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "transaction");
}

static const MlEngineEvent *
find_event (Fixture *f, MlEngineEventKind kind, guint nth)
{
  for (guint i = 0; i < f->events->len; i++)
    {
      const MlEngineEvent *ev = g_ptr_array_index (f->events, i);

      if (ev->kind == kind && nth-- == 0)
        return ev;
    }
  /* Not an assertion on purpose: g_error() does not return, so callers
   * need no NULL check. */
  g_error ("no event of kind %d number %u among %u", kind, nth, f->events->len);
}

/* ---- AUTHORIZATION ---- */

static void
test_greeting (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *reply = find_event (f, ML_ENGINE_EVENT_REPLY, 0);
  const MlEngineEvent *state = find_event (f, ML_ENGINE_EVENT_STATE, 0);

  g_assert_cmpstr (ml_pop3_server_get_timestamp (f->server), ==, TIMESTAMP);
  g_assert_nonnull (reply);
  g_assert_cmpstr (reply->line, ==, "+OK mail.b.example POP3 server ready " TIMESTAMP);
  g_assert_cmpstr (reply->explain_key, ==, "pop3.reply.ok");
  g_assert_cmpuint (reply->code, ==, 0);
  g_assert_true (reply->outgoing);
  g_assert_cmpint (reply->protocol, ==, ML_PROTO_POP3);
  g_assert_nonnull (state);
  g_assert_cmpstr (state->state_from, ==, "init");
  g_assert_cmpstr (state->state_to, ==, "authorization");
  g_assert_cmpstr (state->explain_key, ==, "pop3.state.authorization");
}

static void
test_greeting_without_apop (Fixture *f, gconstpointer data)
{
  g_autofree char *greeting = NULL;

  f->config.offer_apop = FALSE;
  fixture_start (f);
  greeting = g_strdup (((const MlEngineEvent *) find_event (f, ML_ENGINE_EVENT_REPLY, 0))->line);
  g_assert_cmpstr (greeting, ==, "+OK mail.b.example POP3 server ready");
  g_assert_null (ml_pop3_server_get_timestamp (f->server));
  assert_feed (f, "APOP bob@b.example c4c9334bac560ecc979e58001b3e22fb\r\n",
               "-ERR APOP not supported\r\n");
}

static void
test_user_pass (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *pass, *state;

  login (f);
  pass = find_event (f, ML_ENGINE_EVENT_COMMAND, 1);
  g_assert_cmpstr (pass->verb, ==, "PASS");
  /* Shown as sent (the lesson's point), marked as a credential. */
  g_assert_cmpstr (pass->args, ==, "bob-secret");
  g_assert_cmpstr (pass->line, ==, "PASS bob-secret");
  g_assert_cmpstr (pass->detail, ==, "credential");
  g_assert_cmpstr (pass->explain_key, ==, "pop3.pass");
  g_assert_false (pass->outgoing);
  g_assert_cmpint (pass->direction, ==, ML_DIR_CLIENT_TO_SERVER);
  g_assert_null (find_event (f, ML_ENGINE_EVENT_COMMAND, 0)->detail);
  state = find_event (f, ML_ENGINE_EVENT_STATE, 1);
  g_assert_cmpstr (state->explain_key, ==, "pop3.state.transaction");
  g_assert_true (ml_account_is_locked (f->bob));
  g_assert_true (ml_pop3_server_get_account (f->server) == f->bob);
}

static void
test_bad_password (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *reply;

  assert_feed (f, "USER bob@b.example\r\nPASS wrong\r\n",
               "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n");
  reply = find_event (f, ML_ENGINE_EVENT_REPLY, 2);
  g_assert_cmpstr (reply->enhanced, ==, "AUTH");
  g_assert_cmpstr (reply->explain_key, ==, "pop3.reply.err");
  /* An unknown user gets the very same answers. */
  assert_feed (f, "USER nobody@b.example\r\nPASS wrong\r\n",
               "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n");
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "authorization");
  g_assert_false (ml_account_is_locked (f->bob));
  /* And the client may start again (RFC 1939 4). */
  login (f);
}

static void
test_pass_without_user (Fixture *f, gconstpointer data)
{
  assert_feed (f, "PASS bob-secret\r\n", "-ERR send USER first\r\n");
  /* "immediately after a successful USER" (RFC 1939 7). */
  assert_feed (f, "USER bob@b.example\r\nNOOP\r\nPASS bob-secret\r\n",
               "+OK send PASS\r\n-ERR NOOP is not valid in the AUTHORIZATION state\r\n"
               "-ERR send USER first\r\n");
}

/* Spaces belong to the password (RFC 1939 7). */
static void
test_pass_with_spaces (Fixture *f, gconstpointer data)
{
  MlAccount *carol = ml_mail_store_add_account (f->store, "carol@b.example", "two words");

  g_assert_nonnull (carol);
  assert_feed (f, "USER carol@b.example\r\nPASS two words\r\n",
               "+OK send PASS\r\n+OK maildrop has 0 messages (0 octets)\r\n");
}

/* RFC 1939 7's example: timestamp, secret "tanstaaf", and its digest. */
static void
test_apop_rfc_vector (Fixture *f, gconstpointer data)
{
  g_autofree char *greeting = NULL;

  g_assert_nonnull (ml_mail_store_add_account (f->store, "mrose", "tanstaaf"));
  f->config.hostname = "dbc.mtview.ca.us";
  f->config.session_id = 1896;
  g_clear_pointer (&f->server, ml_pop3_server_free);
  f->server = ml_pop3_server_new (f->store, &f->config);
  ml_pop3_server_set_now (f->server, 697170952);
  ml_pop3_server_start (f->server);
  greeting = drain (f);
  g_assert_cmpstr (greeting, ==,
                   "+OK dbc.mtview.ca.us POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
  assert_feed (f, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
               "+OK maildrop has 0 messages (0 octets)\r\n");
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "transaction");
}

static void
test_apop_bad_digest (Fixture *f, gconstpointer data)
{
  g_autofree char *good = ml_pop3_apop_digest (TIMESTAMP, "bob-secret");
  g_autofree char *cmd = g_strdup_printf ("APOP bob@b.example %s\r\n", good);

  assert_feed (f, "APOP bob@b.example c4c9334bac560ecc979e58001b3e22fb\r\n",
               "-ERR [AUTH] invalid user name or password\r\n");
  assert_feed (f, "APOP bob@b.example xyz\r\n", "-ERR digest must be 32 hexadecimal digits\r\n");
  assert_feed (f, "APOP bob@b.example\r\n", "-ERR APOP needs two arguments\r\n");
  assert_feed (f, "APOP nobody@b.example c4c9334bac560ecc979e58001b3e22fb\r\n",
               "-ERR [AUTH] invalid user name or password\r\n");
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "authorization");
  /* The digest of this greeting's own timestamp works. */
  assert_feed (f, cmd, "+OK maildrop has 3 messages (121 octets)\r\n");
}

static void
test_apop_upper_case_digest (Fixture *f, gconstpointer data)
{
  g_autofree char *good = ml_pop3_apop_digest (TIMESTAMP, "bob-secret");
  g_autofree char *upper = g_ascii_strup (good, -1);
  g_autofree char *cmd = g_strdup_printf ("APOP bob@b.example %s\r\n", upper);

  assert_feed (f, cmd, "+OK maildrop has 3 messages (121 octets)\r\n");
}

static void
test_plaintext_disallowed (Fixture *f, gconstpointer data)
{
  f->config.allow_plaintext_auth = FALSE;
  fixture_start (f);
  assert_feed (f, "USER bob@b.example\r\nPASS bob-secret\r\n",
               "-ERR [AUTH] plaintext authentication disallowed\r\n"
               "-ERR send USER first\r\n");
  /* Nor is USER in CAPA (RFC 2449 6.2). */
  assert_feed (f, "CAPA\r\n",
               "+OK Capability list follows\r\nTOP\r\nRESP-CODES\r\nPIPELINING\r\nUIDL\r\n"
               "IMPLEMENTATION maillab\r\n.\r\n");
}

static void
test_quit_in_authorization (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *state, *close;

  assert_feed (f, "QUIT\r\n", "+OK mail.b.example POP3 server signing off\r\n");
  g_assert_true (ml_pop3_server_wants_close (f->server));
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "closed");
  state = find_event (f, ML_ENGINE_EVENT_STATE, 1);
  g_assert_cmpstr (state->state_to, ==, "closed");
  close = find_event (f, ML_ENGINE_EVENT_CLOSE, 0);
  g_assert_nonnull (close);
  g_assert_cmpstr (close->explain_key, ==, "pop3.close");
  /* No UPDATE state was entered. */
  for (guint i = 0; i < f->events->len; i++)
    {
      const MlEngineEvent *ev = g_ptr_array_index (f->events, i);

      if (ev->kind == ML_ENGINE_EVENT_STATE)
        g_assert_cmpstr (ev->state_to, !=, "update");
    }
  /* Later bytes are refused. */
  g_assert_cmpuint (ml_pop3_server_feed (f->server, (const guint8 *) "NOOP\r\n", 6), ==, 0);
}

/* ---- wrong state, unknown, syntax ---- */

static void
test_wrong_state (Fixture *f, gconstpointer data)
{
  assert_feed (f, "STAT\r\n", "-ERR STAT is not valid in the AUTHORIZATION state\r\n");
  assert_feed (f, "RETR 1\r\n", "-ERR RETR is not valid in the AUTHORIZATION state\r\n");
  assert_feed (f, "DELE 1\r\n", "-ERR DELE is not valid in the AUTHORIZATION state\r\n");
  assert_feed (f, "LIST\r\n", "-ERR LIST is not valid in the AUTHORIZATION state\r\n");
  assert_feed (f, "UIDL\r\n", "-ERR UIDL is not valid in the AUTHORIZATION state\r\n");
  assert_feed (f, "TOP 1 1\r\n", "-ERR TOP is not valid in the AUTHORIZATION state\r\n");
  assert_feed (f, "RSET\r\n", "-ERR RSET is not valid in the AUTHORIZATION state\r\n");
  login (f);
  assert_feed (f, "USER bob@b.example\r\n", "-ERR USER is not valid in the TRANSACTION state\r\n");
  assert_feed (f, "PASS x\r\n", "-ERR PASS is not valid in the TRANSACTION state\r\n");
  assert_feed (f, "APOP bob@b.example c4c9334bac560ecc979e58001b3e22fb\r\n",
               "-ERR APOP is not valid in the TRANSACTION state\r\n");
  assert_feed (f, "STLS\r\n", "-ERR STLS is not valid in the TRANSACTION state\r\n");
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "transaction");
}

static void
test_unknown (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *cmd;

  assert_feed (f, "HELO there\r\n", "-ERR unknown command\r\n");
  cmd = find_event (f, ML_ENGINE_EVENT_COMMAND, 0);
  g_assert_cmpstr (cmd->verb, ==, "HELO");
  g_assert_cmpstr (cmd->args, ==, "there");
  g_assert_cmpstr (cmd->explain_key, ==, "pop3.unknown");
  assert_feed (f, "\r\n", "-ERR empty command\r\n");
  assert_feed (f, "XTND XMIT\r\n", "-ERR unknown command\r\n");
}

static void
test_not_implemented (Fixture *f, gconstpointer data)
{
  assert_feed (f, "STLS\r\n", "-ERR STLS not supported\r\n");
  assert_feed (f, "AUTH PLAIN\r\n", "-ERR AUTH not supported\r\n");
  assert_feed (f, "AUTH\r\n", "-ERR AUTH not supported\r\n");
  g_assert_cmpstr (find_event (f, ML_ENGINE_EVENT_COMMAND, 0)->explain_key, ==, "pop3.stls");
}

static void
test_case_insensitive (Fixture *f, gconstpointer data)
{
  assert_feed (f, "user bob@b.example\r\npAsS bob-secret\r\n", LOGIN_OK);
  assert_feed (f, "stat\r\n", "+OK 3 121\r\n");
}

static void
test_arguments (Fixture *f, gconstpointer data)
{
  g_autofree char *long_arg = g_strnfill (ML_POP3_MAX_ARG + 1, 'a');
  g_autofree char *max_arg = g_strnfill (ML_POP3_MAX_ARG, 'a');
  g_autofree char *too_long = g_strdup_printf ("USER %s\r\n", long_arg);
  g_autofree char *just_fits = g_strdup_printf ("USER %s\r\n", max_arg);

  assert_feed (f, "USER\r\n", "-ERR USER needs an argument\r\n");
  assert_feed (f, "USER a b\r\n", "-ERR too many arguments for USER\r\n");
  assert_feed (f, "PASS\r\n", "-ERR PASS needs an argument\r\n");
  assert_feed (f, too_long, "-ERR argument too long (at most 40 characters)\r\n");
  assert_feed (f, just_fits, "+OK send PASS\r\n");
  assert_feed (f, "CAPA now\r\n", "-ERR too many arguments for CAPA\r\n");
  login (f);
  assert_feed (f, "RETR\r\n", "-ERR RETR needs an argument\r\n");
  assert_feed (f, "DELE\r\n", "-ERR DELE needs an argument\r\n");
  assert_feed (f, "TOP 1\r\n", "-ERR TOP needs two arguments\r\n");
  assert_feed (f, "LIST 1 2\r\n", "-ERR too many arguments for LIST\r\n");
  assert_feed (f, "STAT 1\r\n", "-ERR too many arguments for STAT\r\n");
  assert_feed (f, "QUIT now\r\n", "-ERR too many arguments for QUIT\r\n");
  g_assert_false (ml_pop3_server_wants_close (f->server));
}

/* RFC 2449 4: 255 octets with CRLF; the next command is read normally. */
static void
test_line_too_long (Fixture *f, gconstpointer data)
{
  g_autofree char *fits = g_strnfill (ML_POP3_MAX_COMMAND_LINE - 2 - 5, 'p');
  g_autofree char *over = g_strnfill (ML_POP3_MAX_COMMAND_LINE - 2 - 5 + 1, 'p');
  g_autofree char *line_fits = g_strdup_printf ("PASS %s\r\n", fits);
  g_autofree char *line_over = g_strdup_printf ("PASS %s\r\nNOOP\r\n", over);

  g_assert_cmpuint (strlen (line_fits), ==, ML_POP3_MAX_COMMAND_LINE);
  assert_feed (f, "USER bob@b.example\r\n", "+OK send PASS\r\n");
  assert_feed (f, line_fits, "-ERR [AUTH] invalid user name or password\r\n");
  assert_feed (f, line_over,
               "-ERR line too long (at most 255 octets with CRLF)\r\n"
               "-ERR NOOP is not valid in the AUTHORIZATION state\r\n");
  /* Also when it arrives in pieces without a line end. */
  assert_feed (f, over, "");
  assert_feed (f, over, "-ERR line too long (at most 255 octets with CRLF)\r\n");
  assert_feed (f, "still the long line\r\nQUIT\r\n",
               "+OK mail.b.example POP3 server signing off\r\n");
}

static void
test_bad_characters (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *cmd;

  ml_pop3_server_feed (f->server, (const guint8 *) "US\0R x\r\n", 8);
  {
    g_autofree char *out = drain (f);
    g_assert_cmpstr (out, ==, "-ERR bad character in command\r\n");
  }
  cmd = find_event (f, ML_ENGINE_EVENT_COMMAND, 0);
  g_assert_cmpstr (cmd->line, ==, "US");
  g_assert_cmpstr (cmd->explain_key, ==, "pop3.unknown");
  assert_feed (f, "USER a\rb\r\n", "-ERR bad character in command\r\n");
  /* A bare LF still ends a line (console typing). */
  assert_feed (f, "USER bob@b.example\nPASS bob-secret\n", LOGIN_OK);
}

/* ---- TRANSACTION ---- */

static void
test_stat (Fixture *f, gconstpointer data)
{
  login (f);
  assert_feed (f, "STAT\r\n", "+OK 3 121\r\n");
}

static void
test_list (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *reply;

  login (f);
  assert_feed (f, "LIST\r\n", "+OK 3 messages (121 octets)\r\n1 50\r\n2 41\r\n3 30\r\n.\r\n");
  reply = find_event (f, ML_ENGINE_EVENT_REPLY, 3);
  /* One event for the whole multi-line response, exactly the bytes sent. */
  g_assert_cmpstr (reply->line, ==, "+OK 3 messages (121 octets)\n1 50\n2 41\n3 30\n.");
  assert_feed (f, "LIST 2\r\n", "+OK 2 41\r\n");
  assert_feed (f, "LIST 4\r\n", "-ERR no such message, only 3 messages in maildrop\r\n");
  assert_feed (f, "LIST 0\r\n", "-ERR no such message, only 3 messages in maildrop\r\n");
  assert_feed (f, "LIST x\r\n", "-ERR invalid message number: x\r\n");
  assert_feed (f, "LIST -1\r\n", "-ERR invalid message number: -1\r\n");
  assert_feed (f, "LIST 99999999999\r\n", "-ERR invalid message number: 99999999999\r\n");
}

static void
test_retr (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *reply;

  login (f);
  assert_feed (f, "RETR 1\r\n", "+OK 50 octets\r\n" MSG1 ".\r\n");
  /* Byte-stuffing (RFC 1939 3): every line starting with "." gets
   * another. */
  assert_feed (f, "RETR 2\r\n",
               "+OK 41 octets\r\nSubject: dots\r\n\r\n..hidden\r\n...two\r\n..\r\nend\r\n.\r\n");
  reply = find_event (f, ML_ENGINE_EVENT_REPLY, 4);
  g_assert_cmpstr (reply->line, ==,
                   "+OK 41 octets\nSubject: dots\n\n..hidden\n...two\n..\nend\n.");
  assert_feed (f, "RETR 4\r\n", "-ERR no such message, only 3 messages in maildrop\r\n");
}

static void
test_dele_rset (Fixture *f, gconstpointer data)
{
  login (f);
  assert_feed (f, "DELE 2\r\n", "+OK message 2 deleted\r\n");
  assert_feed (f, "DELE 2\r\n", "-ERR message 2 already deleted\r\n");
  assert_feed (f, "RETR 2\r\n", "-ERR message 2 already deleted\r\n");
  assert_feed (f, "LIST 2\r\n", "-ERR message 2 already deleted\r\n");
  assert_feed (f, "TOP 2 0\r\n", "-ERR message 2 already deleted\r\n");
  assert_feed (f, "UIDL 2\r\n", "-ERR message 2 already deleted\r\n");
  /* Deleted messages are neither counted nor listed (RFC 1939 5). */
  assert_feed (f, "STAT\r\n", "+OK 2 80\r\n");
  assert_feed (f, "LIST\r\n", "+OK 2 messages (80 octets)\r\n1 50\r\n3 30\r\n.\r\n");
  /* Nothing has left the store yet. */
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 3);
  assert_feed (f, "RSET\r\n", "+OK maildrop has 3 messages (121 octets)\r\n");
  assert_feed (f, "STAT\r\n", "+OK 3 121\r\n");
  assert_feed (f, "RETR 2\r\n",
               "+OK 41 octets\r\nSubject: dots\r\n\r\n..hidden\r\n...two\r\n..\r\nend\r\n.\r\n");
}

static void
test_noop (Fixture *f, gconstpointer data)
{
  login (f);
  assert_feed (f, "NOOP\r\n", "+OK\r\n");
  g_assert_cmpstr (find_event (f, ML_ENGINE_EVENT_REPLY, 3)->line, ==, "+OK");
}

static void
test_top (Fixture *f, gconstpointer data)
{
  login (f);
  assert_feed (f, "TOP 3 0\r\n", "+OK\r\nSubject: three\r\n\r\n.\r\n");
  assert_feed (f, "TOP 3 2\r\n",
               "+OK\r\nSubject: three\r\n\r\nl1\r\nl2\r\n.\r\n");
  /* More lines than the body has: the whole message (RFC 1939 7). */
  assert_feed (f, "TOP 3 100\r\n", "+OK\r\n" MSG3 ".\r\n");
  assert_feed (f, "TOP 2 1\r\n",
               "+OK\r\nSubject: dots\r\n\r\n..hidden\r\n.\r\n");
  assert_feed (f, "TOP 3 -1\r\n", "-ERR invalid number of lines: -1\r\n");
  assert_feed (f, "TOP 9 1\r\n", "-ERR no such message, only 3 messages in maildrop\r\n");
}

static void
test_uidl (Fixture *f, gconstpointer data)
{
  guint32 v = ml_mailbox_get_uidvalidity (f->inbox);
  g_autofree char *expected = g_strdup_printf ("+OK\r\n1 %08x00000001\r\n2 %08x00000002\r\n"
                                               "3 %08x00000003\r\n.\r\n", v, v, v);
  g_autofree char *one = g_strdup_printf ("+OK 2 %08x00000002\r\n", v);
  g_autofree char *uid = ml_pop3_dup_unique_id (v, 2);

  g_assert_cmpuint (strlen (uid), ==, 16);
  login (f);
  assert_feed (f, "UIDL\r\n", expected);
  assert_feed (f, "UIDL 2\r\n", one);
  assert_feed (f, "UIDL 5\r\n", "-ERR no such message, only 3 messages in maildrop\r\n");

  /* The same ids in a later session, even after another message went
   * (RFC 1939 7: they persist, numbers do not). */
  assert_feed (f, "DELE 1\r\nQUIT\r\n",
               "+OK message 1 deleted\r\n"
               "+OK mail.b.example POP3 server signing off (2 messages left)\r\n");
  fixture_start (f);
  {
    g_autofree char *out = feed (f, LOGIN);
    g_autofree char *later = g_strdup_printf ("+OK\r\n1 %08x00000002\r\n2 %08x00000003\r\n.\r\n", v, v);

    g_assert_cmpstr (out, ==, "+OK send PASS\r\n+OK maildrop has 2 messages (71 octets)\r\n");
    assert_feed (f, "UIDL\r\n", later);
  }
}

static void
test_capa (Fixture *f, gconstpointer data)
{
  const char *capa = "+OK Capability list follows\r\nTOP\r\nUSER\r\nRESP-CODES\r\nPIPELINING\r\n"
                     "UIDL\r\nIMPLEMENTATION maillab\r\n.\r\n";

  /* The same list in both states (RFC 2449 5); no STLS or SASL yet. */
  assert_feed (f, "CAPA\r\n", capa);
  login (f);
  assert_feed (f, "CAPA\r\n", capa);
}

static void
test_capa_implementation (Fixture *f, gconstpointer data)
{
  f->config.implementation = "maillab-0.1\x01x";
  fixture_start (f);
  assert_feed (f, "CAPA\r\n", "+OK Capability list follows\r\nTOP\r\nUSER\r\nRESP-CODES\r\n"
               "PIPELINING\r\nUIDL\r\nIMPLEMENTATION maillab-0.1?x\r\n.\r\n");
  f->config.implementation = NULL;
  fixture_start (f);
  assert_feed (f, "CAPA\r\n", "+OK Capability list follows\r\nTOP\r\nUSER\r\nRESP-CODES\r\n"
               "PIPELINING\r\nUIDL\r\n.\r\n");
}

/* ---- UPDATE ---- */

static void
test_quit_deletes_marked (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *t;
  g_autoptr(GBytes) remaining = NULL;

  login (f);
  assert_feed (f, "DELE 1\r\nDELE 3\r\nQUIT\r\n",
               "+OK message 1 deleted\r\n+OK message 3 deleted\r\n"
               "+OK mail.b.example POP3 server signing off (1 message left)\r\n");
  g_assert_true (ml_pop3_server_wants_close (f->server));
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "update");
  g_assert_cmpuint (ml_pop3_server_get_n_removed (f->server), ==, 2);
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 1);
  remaining = g_bytes_new_static (MSG2, strlen (MSG2));
  g_assert_true (g_bytes_equal (ml_message_get_data (ml_mailbox_get_message (f->inbox, 0)),
                                remaining));
  t = find_event (f, ML_ENGINE_EVENT_TRANSACTION, 0);
  g_assert_nonnull (t);
  g_assert_cmpstr (t->detail, ==, "2 messages deleted in UPDATE");
  g_assert_cmpstr (t->explain_key, ==, "pop3.transaction.update");
  g_assert_false (ml_account_is_locked (f->bob));
}

static void
test_quit_all (Fixture *f, gconstpointer data)
{
  login (f);
  assert_feed (f, "DELE 1\r\nDELE 2\r\nDELE 3\r\nQUIT\r\n",
               "+OK message 1 deleted\r\n+OK message 2 deleted\r\n+OK message 3 deleted\r\n"
               "+OK mail.b.example POP3 server signing off (maildrop empty)\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 0);
  g_assert_cmpstr (find_event (f, ML_ENGINE_EVENT_TRANSACTION, 0)->detail, ==,
                   "3 messages deleted in UPDATE");
}

/* RFC 1939 6: no QUIT, no UPDATE. */
static void
test_connection_lost_deletes_nothing (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *t;

  login (f);
  assert_feed (f, "DELE 1\r\nDELE 2\r\n", "+OK message 1 deleted\r\n+OK message 2 deleted\r\n");
  ml_pop3_server_connection_lost (f->server);
  g_free (drain (f));
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 3);
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "closed");
  g_assert_true (ml_pop3_server_wants_close (f->server));
  g_assert_false (ml_account_is_locked (f->bob));
  t = find_event (f, ML_ENGINE_EVENT_TRANSACTION, 0);
  g_assert_nonnull (t);
  g_assert_cmpstr (t->explain_key, ==, "pop3.transaction.kept");
  g_assert_cmpstr (t->detail, ==, "connection lost before QUIT: 2 messages marked for deletion kept");
  /* Twice is harmless. */
  ml_pop3_server_connection_lost (f->server);
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 3);
}

/* Freeing without a word from the owner is a lost connection too. */
static void
test_free_releases_lock (Fixture *f, gconstpointer data)
{
  login (f);
  assert_feed (f, "DELE 1\r\n", "+OK message 1 deleted\r\n");
  g_clear_pointer (&f->server, ml_pop3_server_free);
  g_assert_false (ml_account_is_locked (f->bob));
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 3);
}

/* RFC 2449 8.1.2: a second session finds the maildrop locked. */
static void
test_lock (Fixture *f, gconstpointer data)
{
  g_autoptr(MlPop3Server) second = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (free_event);
  g_autofree char *greeting = NULL;
  g_autofree char *out = NULL;
  g_autofree char *again = NULL;

  login (f);
  f->config.session_id = 8;
  second = new_server (f);
  greeting = drain_server (second, events);
  ml_pop3_server_feed (second, (const guint8 *) LOGIN, strlen (LOGIN));
  out = drain_server (second, events);
  g_assert_cmpstr (out, ==, "+OK send PASS\r\n-ERR [IN-USE] maildrop already locked\r\n");
  g_assert_cmpstr (ml_pop3_server_get_state_name (second), ==, "authorization");

  /* Once the first has quit, the second gets in. */
  assert_feed (f, "QUIT\r\n", "+OK mail.b.example POP3 server signing off (3 messages left)\r\n");
  ml_pop3_server_feed (second, (const guint8 *) LOGIN, strlen (LOGIN));
  again = drain_server (second, events);
  g_assert_cmpstr (again, ==, LOGIN_OK);
}

/* The listing is a snapshot: mail arriving meanwhile waits for the next
 * session (RFC 1939 5: numbers stay put). */
static void
test_snapshot (Fixture *f, gconstpointer data)
{
  login (f);
  append (f->inbox, "Subject: late\r\n\r\nlate\r\n");
  assert_feed (f, "STAT\r\n", "+OK 3 121\r\n");
  assert_feed (f, "RETR 4\r\n", "-ERR no such message, only 3 messages in maildrop\r\n");
  assert_feed (f, "DELE 1\r\nQUIT\r\n", "+OK message 1 deleted\r\n"
               "+OK mail.b.example POP3 server signing off (3 messages left)\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 3);
}

/* A \Deleted flag set over IMAP is not ours to act on (RFC 1939 6). */
static void
test_update_leaves_imap_deleted (Fixture *f, gconstpointer data)
{
  MlMessage *third = ml_mailbox_get_message (f->inbox, 2);

  ml_mailbox_set_flags (f->inbox, third, ML_FLAG_DELETED);
  login (f);
  assert_feed (f, "DELE 1\r\nQUIT\r\n", "+OK message 1 deleted\r\n"
               "+OK mail.b.example POP3 server signing off (2 messages left)\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 2);
  g_assert_cmpuint (ml_message_get_uid (ml_mailbox_get_message (f->inbox, 1)), ==, 3);
}

/* ---- splitting and pipelining ---- */

#define SESSION \
  "CAPA\r\n" LOGIN "STAT\r\nLIST\r\nUIDL 1\r\nRETR 2\r\nTOP 1 0\r\nDELE 1\r\nRETR 1\r\n" \
  "RSET\r\nDELE 3\r\nNOOP\r\nBOGUS\r\nQUIT\r\n"

static char *
run_split (Fixture *f, const char *input, guint mode, guint32 seed)
{
  GString *all = g_string_new (NULL);
  gsize len = strlen (input), pos = 0;
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  while (pos < len)
    {
      gsize n = len - pos;
      g_autofree char *out = NULL;

      if (mode == 1)
        n = 1;
      else if (mode == 2)
        {
          /* MIN() evaluates its arguments twice: draw once. */
          gsize piece = (gsize) g_rand_int_range (rand, 1, 20);

          n = MIN (n, piece);
        }
      ml_pop3_server_feed (f->server, (const guint8 *) input + pos, n);
      pos += n;
      out = drain (f);
      g_string_append (all, out);
    }
  return g_string_free (all, FALSE);
}

static void
test_splits (Fixture *f, gconstpointer data)
{
  g_autofree char *whole = run_split (f, SESSION, 0, 0);
  guint n_events = f->events->len;

  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 2);
  g_assert_true (g_str_has_suffix (whole, "signing off (2 messages left)\r\n"));
  g_assert_nonnull (strstr (whole, "-ERR message 1 already deleted\r\n"));

  for (guint mode = 1; mode <= 2; mode++)
    for (guint32 seed = 1; seed <= (mode == 2 ? 20u : 1u); seed++)
      {
        g_autofree char *again = NULL;

        fixture_teardown (f, NULL);
        fixture_setup (f, NULL);
        g_ptr_array_set_size (f->events, 0);
        again = run_split (f, SESSION, mode, seed);
        g_assert_cmpstr (again, ==, whole);
        g_assert_cmpuint (f->events->len, ==, n_events - 2);  /* greeting's reply and state */
        g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 2);
      }
}

/* RFC 2449 6.6: everything buffered is answered, in order. */
static void
test_pipelined (Fixture *f, gconstpointer data)
{
  g_autofree char *out = feed (f, LOGIN "STAT\r\nDELE 1\r\nSTAT\r\nQUIT\r\nNOOP\r\n");

  g_assert_cmpstr (out, ==, LOGIN_OK "+OK 3 121\r\n+OK message 1 deleted\r\n+OK 2 71\r\n"
                   "+OK mail.b.example POP3 server signing off (2 messages left)\r\n");
}

/* Bytes fed before start() are read after the greeting. */
static void
test_feed_before_start (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;

  g_clear_pointer (&f->server, ml_pop3_server_free);
  f->server = ml_pop3_server_new (f->store, &f->config);
  ml_pop3_server_set_now (f->server, NOW_USEC);
  ml_pop3_server_feed (f->server, (const guint8 *) "CAPA\r\n", 6);
  g_free (drain (f));
  ml_pop3_server_start (f->server);
  out = drain (f);
  g_assert_true (g_str_has_prefix (out, GREETING "+OK Capability list follows\r\n"));
}

/* Every sent event's line is the bytes sent minus CRLF: joined, the lines
 * give the output back. */
static void
test_reply_lines_match_wire (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  GString *joined = g_string_new (NULL);
  g_autofree char *from_events = NULL;
  GString *all = g_string_new (GREETING);

  /* The fixture's drain kept the greeting's events. */
  out = feed (f, SESSION);
  g_string_append (all, out);
  for (guint i = 0; i < f->events->len; i++)
    {
      const MlEngineEvent *ev = g_ptr_array_index (f->events, i);
      g_auto(GStrv) lines = NULL;

      if (ev->kind != ML_ENGINE_EVENT_REPLY)
        continue;
      g_assert_true (ev->outgoing);
      lines = g_strsplit (ev->line, "\n", -1);
      for (guint j = 0; lines[j] != NULL; j++)
        g_string_append_printf (joined, "%s\r\n", lines[j]);
    }
  from_events = g_string_free (joined, FALSE);
  g_assert_cmpstr (from_events, ==, all->str);
  g_string_free (all, TRUE);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ((path), Fixture, NULL, fixture_setup, (func), fixture_teardown)
  ADD ("/pop3-server/greeting", test_greeting);
  ADD ("/pop3-server/greeting/without-apop", test_greeting_without_apop);
  ADD ("/pop3-server/user-pass", test_user_pass);
  ADD ("/pop3-server/user-pass/bad-password", test_bad_password);
  ADD ("/pop3-server/user-pass/pass-without-user", test_pass_without_user);
  ADD ("/pop3-server/user-pass/spaces", test_pass_with_spaces);
  ADD ("/pop3-server/user-pass/plaintext-disallowed", test_plaintext_disallowed);
  ADD ("/pop3-server/apop/rfc-vector", test_apop_rfc_vector);
  ADD ("/pop3-server/apop/bad-digest", test_apop_bad_digest);
  ADD ("/pop3-server/apop/upper-case", test_apop_upper_case_digest);
  ADD ("/pop3-server/quit/authorization", test_quit_in_authorization);
  ADD ("/pop3-server/wrong-state", test_wrong_state);
  ADD ("/pop3-server/unknown", test_unknown);
  ADD ("/pop3-server/not-implemented", test_not_implemented);
  ADD ("/pop3-server/case-insensitive", test_case_insensitive);
  ADD ("/pop3-server/arguments", test_arguments);
  ADD ("/pop3-server/line-too-long", test_line_too_long);
  ADD ("/pop3-server/bad-characters", test_bad_characters);
  ADD ("/pop3-server/stat", test_stat);
  ADD ("/pop3-server/list", test_list);
  ADD ("/pop3-server/retr", test_retr);
  ADD ("/pop3-server/dele-rset", test_dele_rset);
  ADD ("/pop3-server/noop", test_noop);
  ADD ("/pop3-server/top", test_top);
  ADD ("/pop3-server/uidl", test_uidl);
  ADD ("/pop3-server/capa", test_capa);
  ADD ("/pop3-server/capa/implementation", test_capa_implementation);
  ADD ("/pop3-server/update/quit-deletes-marked", test_quit_deletes_marked);
  ADD ("/pop3-server/update/all", test_quit_all);
  ADD ("/pop3-server/update/connection-lost", test_connection_lost_deletes_nothing);
  ADD ("/pop3-server/update/free", test_free_releases_lock);
  ADD ("/pop3-server/update/imap-deleted", test_update_leaves_imap_deleted);
  ADD ("/pop3-server/lock", test_lock);
  ADD ("/pop3-server/snapshot", test_snapshot);
  ADD ("/pop3-server/input/splits", test_splits);
  ADD ("/pop3-server/input/pipelined", test_pipelined);
  ADD ("/pop3-server/input/before-start", test_feed_before_start);
  ADD ("/pop3-server/events/reply-lines-match-wire", test_reply_lines_match_wire);
#undef ADD
  return g_test_run ();
}

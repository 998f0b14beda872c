/* STARTTLS (RFC 3207) and AUTH (RFC 4954) in the SMTP server engine:
 * raw bytes in, exact bytes and events out. The "TLS" here is only the
 * call to ml_smtp_server_tls_started(): the engine never sees ciphertext. */
#include <string.h>
#include "proto/smtp-server.h"
#include "proto/smtp-client.h"

#define EHLO_HEAD "250-mx.b.example\r\n250-PIPELINING\r\n250-SIZE 0\r\n250-8BITMIME\r\n"
#define ALL_MECHANISMS ((1u << ML_SASL_PLAIN) | (1u << ML_SASL_LOGIN) | (1u << ML_SASL_SCRAM_SHA_256))
/* "\0alice@a.example\0wonderland" */
#define ALICE_PLAIN "AGFsaWNlQGEuZXhhbXBsZQB3b25kZXJsYW5k"

typedef struct {
  MlSmtpServerConfig config;
  MlSmtpServerPolicy policy;
  MlSmtpServer      *server;
  GPtrArray         *events;    /* MlEngineEvent* */
  GPtrArray         *envelopes; /* char* */
  GPtrArray         *messages;  /* GBytes* */
} Fixture;

static gboolean
lookup (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  static const guint8 salt[ML_SASL_SCRAM_SALT_LEN] = "0123456789abcdef";

  if (strcmp (authcid, "alice@a.example") != 0)
    return FALSE;
  ml_sasl_secret_init_from_password (secret_out, "wonderland", salt, ML_SASL_SCRAM_ITERATIONS);
  return TRUE;
}

static void
accept_message (MlSmtpServer *server, const MlSmtpEnvelope *envelope, GBytes *message,
                MlSmtpVerdict *verdict, gpointer user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->envelopes, g_strdup_printf ("proto=%s user=%s tls=%d", envelope->protocol,
                                                  envelope->auth_user ? envelope->auth_user : "-",
                                                  envelope->tls));
  g_ptr_array_add (f->messages, g_bytes_ref (message));
}

static void
free_event (gpointer data)
{
  ml_engine_event_clear (data);
  g_free (data);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  ml_smtp_server_config_init (&f->config);
  f->config.hostname = "mx.b.example";
  f->config.tls = ML_SMTP_TLS_STARTTLS;
  f->config.auth_mechanisms = ALL_MECHANISMS;
  f->config.sasl_nonce_seed = 42;
  f->config.add_received = TRUE;
  f->policy.lookup_secret = lookup;
  f->policy.accept_message = accept_message;
  f->events = g_ptr_array_new_with_free_func (free_event);
  f->envelopes = g_ptr_array_new_with_free_func (g_free);
  f->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  ml_smtp_server_free (f->server);
  g_ptr_array_unref (f->events);
  g_ptr_array_unref (f->envelopes);
  g_ptr_array_unref (f->messages);
}

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
feed (Fixture *f, const char *text)
{
  ml_smtp_server_feed (f->server, (const guint8 *) text, strlen (text));
  return drain (f);
}

#define assert_feed(f, in, expected) \
  G_STMT_START { g_autofree char *out_ = feed ((f), (in)); \
                 g_assert_cmpstr (out_, ==, (expected)); } G_STMT_END

/* Creates the server from f->config and reads the greeting. */
static void
start (Fixture *f)
{
  g_autofree char *greeting = NULL;

  f->server = ml_smtp_server_new (&f->config, &f->policy, f);
  ml_smtp_server_start (f->server);
  greeting = drain (f);
  g_assert_cmpstr (greeting, ==, "220 mx.b.example ESMTP maillab\r\n");
}

static guint
count_events (Fixture *f, MlEngineEventKind kind, const char *explain_key)
{
  guint n = 0;

  for (guint i = 0; i < f->events->len; i++)
    {
      MlEngineEvent *e = g_ptr_array_index (f->events, i);

      if (e->kind == kind && (explain_key == NULL || g_strcmp0 (e->explain_key, explain_key) == 0))
        n++;
    }
  return n;
}

static MlEngineEvent *
find_event (Fixture *f, MlEngineEventKind kind, const char *explain_key)
{
  for (guint i = 0; i < f->events->len; i++)
    {
      MlEngineEvent *e = g_ptr_array_index (f->events, i);

      if (e->kind == kind && g_strcmp0 (e->explain_key, explain_key) == 0)
        return e;
    }
  g_error ("no event %d with explain key %s", kind, explain_key);
}

/* The fake handshake's end: nothing is sent, events are drained. */
static void
tls_started (Fixture *f)
{
  g_autofree char *out = NULL;

  ml_smtp_server_tls_started (f->server);
  out = drain (f);
  g_assert_cmpstr (out, ==, "");
}

/* STARTTLS, the fake handshake, and the second EHLO. */
static void
go_tls (Fixture *f)
{
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250 AUTH SCRAM-SHA-256\r\n");
  assert_feed (f, "STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n");
  tls_started (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN SCRAM-SHA-256\r\n");
}

/* ---- STARTTLS ---- */

static void
test_starttls_flow (Fixture *f, gconstpointer data)
{
  MlEngineEvent *e;

  start (f);
  g_assert_false (ml_smtp_server_is_tls_active (f->server));
  go_tls (f);
  g_assert_true (ml_smtp_server_is_tls_active (f->server));
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_START_TLS, "smtp.starttls"), ==, 1);
  e = find_event (f, ML_ENGINE_EVENT_TRANSACTION, "smtp.tls.established");
  g_assert_nonnull (e);
  /* RFC 3207 4.2: STARTTLS again is refused. */
  assert_feed (f, "STARTTLS\r\n", "503 5.5.1 Error: TLS already active\r\n");
  g_assert_cmpstr (ml_smtp_server_get_protocol_name (f->server), ==, "ESMTPS");
}

static void
test_starttls_forgets_ehlo (Fixture *f, gconstpointer data)
{
  start (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250 AUTH SCRAM-SHA-256\r\n");
  assert_feed (f, "STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n");
  tls_started (f);
  g_assert_cmpint (ml_smtp_server_get_state (f->server), ==, ML_SMTP_SERVER_STATE_GREETING);
  /* RFC 3207 4.2: the first EHLO no longer counts. */
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "503 5.5.1 Error: send HELO/EHLO first\r\n");
  g_assert_null (ml_smtp_server_get_protocol_name (f->server));
}

/* CVE-2011-0411: a command pipelined after STARTTLS in the clear must not
 * run after the handshake as if it had come through TLS. */
static void
test_starttls_injection (Fixture *f, gconstpointer data)
{
  MlEngineEvent *e;

  start (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250 AUTH SCRAM-SHA-256\r\n");
  assert_feed (f, "STARTTLS\r\nRSET\r\nMAIL FROM:<evil@x.example>\r\n",
               "220 2.0.0 Ready to start TLS\r\n");
  /* Fed before the handshake ended: dropped too. */
  assert_feed (f, "NOOP\r\n", "");
  tls_started (f);
  e = find_event (f, ML_ENGINE_EVENT_TRANSACTION, "smtp.starttls.discarded");
  g_assert_nonnull (e);
  g_assert_true (g_str_has_prefix (e->detail, "40 octets"));
  /* None of the injected commands ran: no COMMAND event after STARTTLS. */
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_COMMAND, NULL), ==, 2);
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN SCRAM-SHA-256\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
}

static void
test_starttls_injection_bytewise (Fixture *f, gconstpointer data)
{
  static const char input[] = "EHLO c.a.example\r\nSTARTTLS\r\nMAIL FROM:<evil@x.example>\r\n";
  g_autoptr(GString) out = g_string_new (NULL);

  start (f);
  for (gsize i = 0; i < strlen (input); i++)
    {
      g_autofree char *o = NULL;

      ml_smtp_server_feed (f->server, (const guint8 *) input + i, 1);
      o = drain (f);
      g_string_append (out, o);
    }
  g_assert_true (g_str_has_suffix (out->str, "250 AUTH SCRAM-SHA-256\r\n220 2.0.0 Ready to start TLS\r\n"));
  tls_started (f);
  g_assert_nonnull (find_event (f, ML_ENGINE_EVENT_TRANSACTION, "smtp.starttls.discarded"));
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_COMMAND, "smtp.mail"), ==, 0);
}

static void
test_starttls_errors (Fixture *f, gconstpointer data)
{
  start (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250 AUTH SCRAM-SHA-256\r\n");
  assert_feed (f, "STARTTLS now\r\n", "501 5.5.4 Syntax error (no parameters allowed)\r\n");
  ml_smtp_server_set_tls_available (f->server, FALSE);
  assert_feed (f, "STARTTLS\r\n", "454 4.7.0 TLS not available due to temporary reason\r\n");
  ml_smtp_server_set_tls_available (f->server, TRUE);
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "STARTTLS\r\n", "503 5.5.1 Error: MAIL transaction in progress\r\n");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_START_TLS, NULL), ==, 0);
}

static void
test_starttls_not_configured (Fixture *f, gconstpointer data)
{
  f->config.tls = ML_SMTP_TLS_NONE;
  f->config.auth_mechanisms = 0;
  start (f);
  assert_feed (f, "EHLO client.a.example\r\n", EHLO_HEAD "250 ENHANCEDSTATUSCODES\r\n");
  assert_feed (f, "STARTTLS\r\n", "502 5.5.1 Error: command not implemented\r\n");
  assert_feed (f, "AUTH PLAIN " ALICE_PLAIN "\r\n", "502 5.5.1 Error: command not implemented\r\n");
  assert_feed (f, "MAIL FROM:<a@a.example> AUTH=<>\r\n",
               "555 5.5.4 Error: unsupported parameter AUTH\r\n");
}

static void
test_implicit_tls (Fixture *f, gconstpointer data)
{
  f->config.tls = ML_SMTP_TLS_IMPLICIT;
  start (f);
  g_assert_true (ml_smtp_server_is_tls_active (f->server));
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN SCRAM-SHA-256\r\n");
  assert_feed (f, "STARTTLS\r\n", "503 5.5.1 Error: TLS already active\r\n");
  assert_feed (f, "AUTH PLAIN " ALICE_PLAIN "\r\n", "235 2.7.0 Authentication successful\r\n");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION, "smtp.auth.cleartext"), ==, 0);
}

/* ---- AUTH ---- */

static void
test_auth_plain_under_tls (Fixture *f, gconstpointer data)
{
  MlEngineEvent *e;

  start (f);
  go_tls (f);
  assert_feed (f, "AUTH PLAIN " ALICE_PLAIN "\r\n", "235 2.7.0 Authentication successful\r\n");
  g_assert_cmpstr (ml_smtp_server_get_auth_user (f->server), ==, "alice@a.example");
  g_assert_cmpstr (ml_smtp_server_get_protocol_name (f->server), ==, "ESMTPSA");
  e = find_event (f, ML_ENGINE_EVENT_COMMAND, "smtp.auth");
  g_assert_nonnull (e);
  /* The line as the wire carries it, never the decoded password. */
  g_assert_cmpstr (e->line, ==, "AUTH PLAIN " ALICE_PLAIN);
  for (guint i = 0; i < f->events->len; i++)
    {
      MlEngineEvent *ev = g_ptr_array_index (f->events, i);

      g_assert_null (ev->line != NULL ? strstr (ev->line, "wonderland") : NULL);
      g_assert_null (ev->detail != NULL ? strstr (ev->detail, "wonderland") : NULL);
    }
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION, "smtp.auth.plain"), ==, 1);
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION, "smtp.auth.cleartext"), ==, 0);
  assert_feed (f, "AUTH PLAIN " ALICE_PLAIN "\r\n", "503 5.5.1 Error: already authenticated\r\n");

  assert_feed (f, "MAIL FROM:<alice@a.example> AUTH=alice+40a.example\r\n", "250 2.1.0 Ok\r\n");
  assert_feed (f, "RCPT TO:<bob@b.example>\r\n", "250 2.1.5 Ok\r\n");
  assert_feed (f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
  {
    g_autofree char *out = feed (f, "Subject: hi\r\n\r\nhello\r\n.\r\n");
    g_autofree char *text = NULL;

    g_assert_true (g_str_has_prefix (out, "250 2.0.0 Ok: queued as"));
    g_assert_cmpuint (f->envelopes->len, ==, 1);
    g_assert_cmpstr (g_ptr_array_index (f->envelopes, 0), ==, "proto=ESMTPSA user=alice@a.example tls=1");
    text = g_strndup (g_bytes_get_data (g_ptr_array_index (f->messages, 0), NULL),
                      g_bytes_get_size (g_ptr_array_index (f->messages, 0)));
    /* RFC 3848: Received: says "with ESMTPSA". */
    g_assert_nonnull (strstr (text, "with ESMTPSA id"));
  }
}

static void
test_auth_plain_refused_in_clear (Fixture *f, gconstpointer data)
{
  start (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250 AUTH SCRAM-SHA-256\r\n");
  assert_feed (f, "AUTH PLAIN " ALICE_PLAIN "\r\n",
               "538 5.7.11 Error: encryption required for requested authentication mechanism\r\n");
  assert_feed (f, "AUTH LOGIN\r\n",
               "538 5.7.11 Error: encryption required for requested authentication mechanism\r\n");
  g_assert_null (ml_smtp_server_get_auth_user (f->server));
}

static void
test_auth_plain_in_clear_allowed (Fixture *f, gconstpointer data)
{
  MlEngineEvent *e;

  f->config.auth_plaintext_needs_tls = FALSE;
  start (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN SCRAM-SHA-256\r\n");
  assert_feed (f, "AUTH PLAIN " ALICE_PLAIN "\r\n", "235 2.7.0 Authentication successful\r\n");
  e = find_event (f, ML_ENGINE_EVENT_TRANSACTION, "smtp.auth.cleartext");
  g_assert_nonnull (e);
  g_assert_true (g_str_has_prefix (e->detail, "PLAIN credentials for alice@a.example "
                                              "(password visible to anyone on the path"));
  g_assert_cmpstr (ml_smtp_server_get_protocol_name (f->server), ==, "ESMTPA");
}

static void
test_auth_plain_no_initial_response (Fixture *f, gconstpointer data)
{
  start (f);
  go_tls (f);
  assert_feed (f, "AUTH PLAIN\r\n", "334 \r\n");
  assert_feed (f, ALICE_PLAIN "\r\n", "235 2.7.0 Authentication successful\r\n");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_COMMAND, "smtp.auth.response"), ==, 1);
}

static void
test_auth_login (Fixture *f, gconstpointer data)
{
  start (f);
  go_tls (f);
  assert_feed (f, "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n");
  assert_feed (f, "YWxpY2VAYS5leGFtcGxl\r\n", "334 UGFzc3dvcmQ6\r\n");
  assert_feed (f, "d29uZGVybGFuZA==\r\n", "235 2.7.0 Authentication successful\r\n");
  g_assert_cmpstr (ml_smtp_server_get_auth_user (f->server), ==, "alice@a.example");
  /* With the user name as initial response (a common client habit). */
  g_clear_pointer (&f->server, ml_smtp_server_free);
  start (f);
  go_tls (f);
  assert_feed (f, "AUTH LOGIN YWxpY2VAYS5leGFtcGxl\r\n", "334 UGFzc3dvcmQ6\r\n");
  assert_feed (f, "d29uZGVybGFuZA==\r\n", "235 2.7.0 Authentication successful\r\n");
}

static void
test_auth_cancel_and_malformed (Fixture *f, gconstpointer data)
{
  start (f);
  go_tls (f);
  assert_feed (f, "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n");
  assert_feed (f, "*\r\n", "501 5.0.0 Error: authentication cancelled\r\n");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_COMMAND, "smtp.auth.cancel"), ==, 1);
  /* Back to commands: */
  assert_feed (f, "NOOP\r\n", "250 2.0.0 Ok\r\n");
  assert_feed (f, "AUTH PLAIN AGFsaWNl!!!\r\n", "501 5.5.2 Error: invalid base64 data\r\n");
  assert_feed (f, "AUTH PLAIN\r\n", "334 \r\n");
  assert_feed (f, "AGFsaWNl QGEu\r\n", "501 5.5.2 Error: invalid base64 data\r\n");
  /* Valid base64, not a PLAIN message: */
  assert_feed (f, "AUTH PLAIN YWxpY2U=\r\n", "501 5.5.2 Error: malformed authentication data\r\n");
  assert_feed (f, "AUTH\r\n", "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n");
  assert_feed (f, "AUTH CRAM-MD5\r\n", "504 5.5.4 Error: unrecognized authentication type\r\n");
  assert_feed (f, "AUTH PLAIN " ALICE_PLAIN "\r\n", "235 2.7.0 Authentication successful\r\n");
}

static void
test_auth_not_offered_mechanism (Fixture *f, gconstpointer data)
{
  f->config.auth_mechanisms = 1u << ML_SASL_SCRAM_SHA_256;
  start (f);
  assert_feed (f, "STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n");
  tls_started (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250 AUTH SCRAM-SHA-256\r\n");
  assert_feed (f, "AUTH PLAIN " ALICE_PLAIN "\r\n", "504 5.5.4 Error: unrecognized authentication type\r\n");
  assert_feed (f, "AUTH LOGIN\r\n", "504 5.5.4 Error: unrecognized authentication type\r\n");
}

static void
test_auth_line_too_long (Fixture *f, gconstpointer data)
{
  g_autofree char *longline = NULL;

  start (f);
  go_tls (f);
  assert_feed (f, "AUTH PLAIN\r\n", "334 \r\n");
  longline = g_strnfill (2000, 'A');
  {
    g_autofree char *in = g_strconcat (longline, "\r\n", NULL);

    assert_feed (f, in, "500 5.5.6 Error: authentication exchange line is too long\r\n");
  }
  assert_feed (f, "NOOP\r\n", "250 2.0.0 Ok\r\n");
}

static void
test_auth_failure_delay (Fixture *f, gconstpointer data)
{
  MlEngineEvent *e;
  g_autofree char *out = NULL;

  start (f);
  go_tls (f);
  /* "\0alice@a.example\0wrong" */
  ml_smtp_server_feed (f->server, (const guint8 *) "AUTH PLAIN AGFsaWNlQGEuZXhhbXBsZQB3cm9uZw==\r\n", 45);
  g_assert_cmpuint (ml_smtp_server_failure_delay (f->server), ==, 1000);
  out = drain (f);
  g_assert_cmpstr (out, ==, "535 5.7.8 Error: authentication failed\r\n");
  g_assert_cmpuint (ml_smtp_server_failure_delay (f->server), ==, 0);
  e = find_event (f, ML_ENGINE_EVENT_TRANSACTION, "smtp.auth.plain");
  g_assert_nonnull (e);
  g_assert_nonnull (strstr (e->detail, "1000 ms"));
  g_assert_null (ml_smtp_server_get_auth_user (f->server));
  /* Unknown user: the same reply. */
  assert_feed (f, "AUTH PLAIN AG5vYm9keQB3b25kZXJsYW5k\r\n", "535 5.7.8 Error: authentication failed\r\n");
  /* The third failure ends the session. */
  assert_feed (f, "AUTH PLAIN AGFsaWNlQGEuZXhhbXBsZQB3cm9uZw==\r\n",
               "535 5.7.8 Error: authentication failed\r\n"
               "421 4.7.0 mx.b.example Error: too many authentication failures\r\n");
  g_assert_true (ml_smtp_server_wants_close (f->server));
}

static void
test_auth_states (Fixture *f, gconstpointer data)
{
  start (f);
  assert_feed (f, "AUTH SCRAM-SHA-256\r\n", "503 5.5.1 Error: send EHLO first\r\n");
  assert_feed (f, "HELO client.a.example\r\n", "250 mx.b.example\r\n");
  assert_feed (f, "AUTH SCRAM-SHA-256\r\n", "503 5.5.1 Error: send EHLO first\r\n");
  go_tls (f);
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
  /* RFC 4954 4: not during a mail transaction. */
  assert_feed (f, "AUTH PLAIN " ALICE_PLAIN "\r\n", "503 5.5.1 Error: MAIL transaction in progress\r\n");
  assert_feed (f, "RSET\r\n", "250 2.0.0 Ok\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> AUTH=+zz\r\n", "501 5.5.4 Error: bad AUTH parameter\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> AUTH=<> AUTH=<>\r\n",
               "501 5.5.4 Error: duplicate AUTH parameter\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example> AUTH=<>\r\n", "250 2.1.0 Ok\r\n");
}

/* RFC 4954 3 (5): AUTH= lengthens MAIL by up to 500 characters. */
static void
test_auth_param_line_length (Fixture *f, gconstpointer data)
{
  g_autofree char *local = g_strnfill (60, 'a');
  g_autofree char *xtext = g_strnfill (480, 'x');
  g_autofree char *line = g_strdup_printf ("MAIL FROM:<%s@a.example> SIZE=100 AUTH=%s\r\n", local, xtext);
  g_autofree char *too_long = g_strdup_printf ("MAIL FROM:<%s@a.example> AUTH=%s%s\r\n", local, xtext, xtext);

  start (f);
  go_tls (f);
  g_assert_cmpuint (strlen (line), >, 512);
  assert_feed (f, line, "250 2.1.0 Ok\r\n");
  assert_feed (f, "RSET\r\n", "250 2.0.0 Ok\r\n");
  assert_feed (f, too_long, "500 5.5.2 Error: line too long\r\n");
}

static void
test_auth_required (Fixture *f, gconstpointer data)
{
  f->config.require_auth = TRUE;
  start (f);
  go_tls (f);
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "530 5.7.0 Error: authentication required\r\n");
  assert_feed (f, "AUTH PLAIN " ALICE_PLAIN "\r\n", "235 2.7.0 Authentication successful\r\n");
  assert_feed (f, "MAIL FROM:<alice@a.example>\r\n", "250 2.1.0 Ok\r\n");
}

/* The whole SCRAM exchange, the client side done by MlSaslClient. */
static void
test_auth_scram (Fixture *f, gconstpointer data)
{
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, "alice@a.example",
                                                       "wonderland", 7);
  g_autoptr(GBytes) first = ml_sasl_client_initial (client);
  g_autofree char *first64 = ml_sasl_base64_encode (g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  g_autofree char *cmd = g_strdup_printf ("AUTH SCRAM-SHA-256 %s\r\n", first64);
  g_autofree char *out1 = NULL, *out2 = NULL, *out3 = NULL, *line2 = NULL, *final64 = NULL;
  g_autoptr(GBytes) s1 = NULL, c2 = NULL, s2 = NULL, c3 = NULL;
  g_autoptr(GError) error = NULL;

  /* SCRAM is fine in clear: the password never crosses the wire. */
  start (f);
  assert_feed (f, "EHLO client.a.example\r\n",
               EHLO_HEAD "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250 AUTH SCRAM-SHA-256\r\n");
  out1 = feed (f, cmd);
  g_assert_true (g_str_has_prefix (out1, "334 "));
  g_assert_true (g_str_has_suffix (out1, "\r\n"));
  s1 = ml_sasl_base64_decode (out1 + 4, strlen (out1) - 6, &error);
  g_assert_no_error (error);
  c2 = ml_sasl_client_step (client, s1, &error);
  g_assert_no_error (error);
  final64 = g_base64_encode (g_bytes_get_data (c2, NULL), g_bytes_get_size (c2));
  line2 = g_strconcat (final64, "\r\n", NULL);
  out2 = feed (f, line2);
  g_test_message ("server-final: %s", out2);
  g_assert_true (g_str_has_prefix (out2, "334 dj"));  /* base64 of "v=" */
  s2 = ml_sasl_base64_decode (out2 + 4, strlen (out2) - 6, &error);
  c3 = ml_sasl_client_step (client, s2, &error);
  g_assert_no_error (error);
  g_assert_true (ml_sasl_client_server_verified (client));
  g_assert_cmpuint (g_bytes_get_size (c3), ==, 0);
  out3 = feed (f, "\r\n");
  g_assert_cmpstr (out3, ==, "235 2.7.0 Authentication successful\r\n");
  g_assert_cmpstr (ml_smtp_server_get_auth_user (f->server), ==, "alice@a.example");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION, "smtp.auth.scram-sha-256"), ==, 1);
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION, "smtp.auth.cleartext"), ==, 0);
}

static void
test_auth_scram_wrong_password (Fixture *f, gconstpointer data)
{
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, "alice@a.example",
                                                       "looking-glass", 7);
  g_autoptr(GBytes) first = ml_sasl_client_initial (client);
  g_autofree char *first64 = ml_sasl_base64_encode (g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  g_autofree char *cmd = g_strdup_printf ("AUTH SCRAM-SHA-256 %s\r\n", first64);
  g_autofree char *out1 = NULL, *line2 = NULL, *final64 = NULL;
  g_autoptr(GBytes) s1 = NULL, c2 = NULL;

  start (f);
  go_tls (f);
  out1 = feed (f, cmd);
  s1 = ml_sasl_base64_decode (out1 + 4, strlen (out1) - 6, NULL);
  c2 = ml_sasl_client_step (client, s1, NULL);
  final64 = g_base64_encode (g_bytes_get_data (c2, NULL), g_bytes_get_size (c2));
  line2 = g_strconcat (final64, "\r\n", NULL);
  assert_feed (f, line2, "535 5.7.8 Error: authentication failed\r\n");
}


/* ---- the client against a scripted server ---- */

typedef struct {
  MlSmtpClient *client;
  GPtrArray    *events;   /* MlEngineEvent* */
} ClientFixture;

static char *
client_drain (ClientFixture *c)
{
  MlEngineEvent event = { 0 };
  g_autoptr(GBytes) out = NULL;

  while (ml_smtp_client_next_event (c->client, &event))
    {
      g_ptr_array_add (c->events, g_memdup2 (&event, sizeof event));
      memset (&event, 0, sizeof event);
    }
  out = ml_smtp_client_take_output (c->client);
  if (out == NULL)
    return g_strdup ("");
  return g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
}

static char *
client_feed (ClientFixture *c, const char *text)
{
  ml_smtp_client_feed (c->client, (const guint8 *) text, strlen (text));
  return client_drain (c);
}

#define assert_client(c, in, expected) \
  G_STMT_START { g_autofree char *out_ = client_feed ((c), (in)); \
                 g_assert_cmpstr (out_, ==, (expected)); } G_STMT_END

static void
client_setup (ClientFixture *c, MlSmtpClientTls tls, MlSmtpClientAuth auth)
{
  MlSmtpClientConfig config;
  const char *rcpts[] = { "bob@b.example", NULL };
  g_autoptr(GBytes) msg = g_bytes_new_static ("Subject: hi\r\n\r\nhello\r\n", 22);

  ml_smtp_client_config_init (&config);
  config.helo_name = "client.a.example";
  config.tls = tls;
  config.auth = auth;
  config.user = "alice@a.example";
  config.password = "wonderland";
  config.sasl_nonce_seed = 9;
  c->client = ml_smtp_client_new (&config);
  c->events = g_ptr_array_new_with_free_func (free_event);
  ml_smtp_client_add_message (c->client, "alice@a.example", rcpts, msg);
}

static void
client_teardown (ClientFixture *c)
{
  ml_smtp_client_free (c->client);
  g_ptr_array_unref (c->events);
}

static MlEngineEvent *
client_find (ClientFixture *c, MlEngineEventKind kind, const char *explain_key)
{
  for (guint i = 0; i < c->events->len; i++)
    {
      MlEngineEvent *e = g_ptr_array_index (c->events, i);

      if (e->kind == kind && g_strcmp0 (e->explain_key, explain_key) == 0)
        return e;
    }
  g_error ("no client event %d with explain key %s", kind, explain_key);
}

static void
test_client_discards_after_go_ahead (void)
{
  ClientFixture c = { 0 };
  MlEngineEvent *e;

  client_setup (&c, ML_SMTP_CLIENT_TLS_REQUIRED, ML_SMTP_CLIENT_AUTH_NONE);
  assert_client (&c, "220 mx.b.example ESMTP\r\n", "EHLO client.a.example\r\n");
  assert_client (&c, "250-mx.b.example\r\n250 STARTTLS\r\n", "STARTTLS\r\n");
  /* The go-ahead, and a reply an attacker slipped in behind it. */
  assert_client (&c, "220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected\r\n", "");
  g_assert_cmpint (ml_smtp_client_get_state (c.client), ==, ML_SMTP_CLIENT_STATE_STARTTLS);
  client_find (&c, ML_ENGINE_EVENT_START_TLS, "smtp.starttls");
  assert_client (&c, "250 2.0.0 more\r\n", "");
  g_assert_false (ml_smtp_client_is_tls_active (c.client));
  ml_smtp_client_tls_started (c.client);
  {
    g_autofree char *out = client_drain (&c);

    /* RFC 3207 4.2: EHLO again, and nothing that was injected counted. */
    g_assert_cmpstr (out, ==, "EHLO client.a.example\r\n");
  }
  e = client_find (&c, ML_ENGINE_EVENT_TRANSACTION, "smtp.starttls.discarded");
  /* "250 2.0.0 injected\r\n" behind the 220, then "250 2.0.0 more\r\n". */
  g_assert_true (g_str_has_prefix (e->detail, "36 octets"));
  g_assert_true (ml_smtp_client_is_tls_active (c.client));
  assert_client (&c, "250 mx.b.example\r\n", "MAIL FROM:<alice@a.example>\r\n");
  client_teardown (&c);
}

static void
test_client_required_not_offered (void)
{
  ClientFixture c = { 0 };
  const MlSmtpClientResult *r;
  MlEngineEvent *e;

  client_setup (&c, ML_SMTP_CLIENT_TLS_REQUIRED, ML_SMTP_CLIENT_AUTH_PLAIN);
  assert_client (&c, "220 mx.b.example ESMTP\r\n", "EHLO client.a.example\r\n");
  /* STARTTLS stripped from the list by someone on the path. */
  assert_client (&c, "250-mx.b.example\r\n250 AUTH PLAIN LOGIN\r\n", "QUIT\r\n");
  e = client_find (&c, ML_ENGINE_EVENT_TRANSACTION, "smtp.client.tls.missing");
  g_assert_cmpstr (e->detail, ==, "the server did not offer STARTTLS (possible downgrade)");
  r = ml_smtp_client_get_result (c.client, 0);
  g_assert_true (r->finished);
  g_assert_cmpint (r->recipients[0].outcome, ==, ML_SMTP_OUTCOME_TEMPORARY);
  g_assert_cmpstr (r->recipients[0].text, ==, "the server did not offer STARTTLS (possible downgrade)");
  g_assert_true (r->recipients[0].local);
  client_teardown (&c);
}

static void
test_client_opportunistic_refused (void)
{
  ClientFixture c = { 0 };

  client_setup (&c, ML_SMTP_CLIENT_TLS_OPPORTUNISTIC, ML_SMTP_CLIENT_AUTH_NONE);
  assert_client (&c, "220 mx.b.example ESMTP\r\n", "EHLO client.a.example\r\n");
  assert_client (&c, "250-mx.b.example\r\n250 STARTTLS\r\n", "STARTTLS\r\n");
  /* RFC 3207 4: 454, and an opportunistic client goes on in clear. */
  assert_client (&c, "454 4.7.0 TLS not available\r\n", "MAIL FROM:<alice@a.example>\r\n");
  client_teardown (&c);
}

static void
test_client_no_plaintext_in_clear (void)
{
  ClientFixture c = { 0 };
  MlEngineEvent *e;

  client_setup (&c, ML_SMTP_CLIENT_TLS_NONE, ML_SMTP_CLIENT_AUTH_BEST);
  assert_client (&c, "220 mx.b.example ESMTP\r\n", "EHLO client.a.example\r\n");
  assert_client (&c, "250-mx.b.example\r\n250 AUTH PLAIN LOGIN\r\n", "QUIT\r\n");
  e = client_find (&c, ML_ENGINE_EVENT_TRANSACTION, "smtp.client.auth.refused");
  g_assert_nonnull (strstr (e->detail, "in clear"));
  for (guint i = 0; i < c.events->len; i++)
    {
      MlEngineEvent *ev = g_ptr_array_index (c.events, i);

      g_assert_cmpstr (ev->kind == ML_ENGINE_EVENT_COMMAND ? ev->verb : NULL, !=, "AUTH");
    }
  client_teardown (&c);
}

static void
test_client_login (void)
{
  ClientFixture c = { 0 };

  client_setup (&c, ML_SMTP_CLIENT_TLS_IMPLICIT, ML_SMTP_CLIENT_AUTH_LOGIN);
  assert_client (&c, "220 mx.b.example ESMTP\r\n", "EHLO client.a.example\r\n");
  assert_client (&c, "250-mx.b.example\r\n250 AUTH PLAIN LOGIN\r\n", "AUTH LOGIN\r\n");
  assert_client (&c, "334 VXNlcm5hbWU6\r\n", "YWxpY2VAYS5leGFtcGxl\r\n");
  assert_client (&c, "334 UGFzc3dvcmQ6\r\n", "d29uZGVybGFuZA==\r\n");
  assert_client (&c, "235 2.7.0 ok\r\n", "MAIL FROM:<alice@a.example>\r\n");
  g_assert_true (ml_smtp_client_is_authenticated (c.client));
  client_find (&c, ML_ENGINE_EVENT_COMMAND, "smtp.auth.response");
  client_teardown (&c);
}

static void
test_client_scram_unverified (void)
{
  ClientFixture c = { 0 };

  client_setup (&c, ML_SMTP_CLIENT_TLS_NONE, ML_SMTP_CLIENT_AUTH_SCRAM_SHA_256);
  assert_client (&c, "220 mx.b.example ESMTP\r\n", "EHLO client.a.example\r\n");
  {
    g_autofree char *out = client_feed (&c, "250-mx.b.example\r\n250 AUTH SCRAM-SHA-256\r\n");

    g_assert_true (g_str_has_prefix (out, "AUTH SCRAM-SHA-256 biwsbj1hbGljZUBhLmV4YW1wbGUscj"));
  }
  /* A server that says yes without proving it knows the password. */
  assert_client (&c, "235 2.7.0 ok\r\n", "QUIT\r\n");
  g_assert_false (ml_smtp_client_is_authenticated (c.client));
  client_find (&c, ML_ENGINE_EVENT_TRANSACTION, "smtp.client.auth.failed");
  client_teardown (&c);
}

static void
test_client_auth_refused_by_server (void)
{
  ClientFixture c = { 0 };
  const MlSmtpClientResult *r;

  client_setup (&c, ML_SMTP_CLIENT_TLS_IMPLICIT, ML_SMTP_CLIENT_AUTH_PLAIN);
  assert_client (&c, "220 mx.b.example ESMTP\r\n", "EHLO client.a.example\r\n");
  assert_client (&c, "250-mx.b.example\r\n250 AUTH PLAIN\r\n", "AUTH PLAIN " ALICE_PLAIN "\r\n");
  assert_client (&c, "535 5.7.8 Error: authentication failed\r\n", "QUIT\r\n");
  r = ml_smtp_client_get_result (c.client, 0);
  g_assert_cmpint (r->recipients[0].outcome, ==, ML_SMTP_OUTCOME_PERMANENT);
  g_assert_cmpuint (r->recipients[0].code, ==, 535);
  client_teardown (&c);
}

/* ---- our client against our server, with a fake TLS ---- */

typedef struct {
  MlSmtpClient *client;
  MlSmtpServer *server;
  GPtrArray    *client_events;
  GPtrArray    *server_events;
  GPtrArray    *envelopes;
  GPtrArray    *messages;
  gsize         chunk;          /* 0: whole; G_MAXSIZE: random pieces */
  GRand        *rand;
  GString      *wire_clear;     /* what an eavesdropper reads */
  gboolean      tls_on;
} Pair;

static void
pair_accept (MlSmtpServer *server, const MlSmtpEnvelope *envelope, GBytes *message,
             MlSmtpVerdict *verdict, gpointer user_data)
{
  Pair *p = user_data;

  g_ptr_array_add (p->envelopes, g_strdup_printf ("proto=%s user=%s tls=%d", envelope->protocol,
                                                  envelope->auth_user ? envelope->auth_user : "-",
                                                  envelope->tls));
  g_ptr_array_add (p->messages, g_bytes_ref (message));
}

/* Drains one engine's events into @into; TRUE if one was START_TLS. */
static gboolean
drain_pair_events (Pair *p, gboolean server)
{
  MlEngineEvent event = { 0 };
  gboolean start = FALSE;
  GPtrArray *into = server ? p->server_events : p->client_events;

  while (server ? ml_smtp_server_next_event (p->server, &event)
                : ml_smtp_client_next_event (p->client, &event))
    {
      start |= event.kind == ML_ENGINE_EVENT_START_TLS;
      g_ptr_array_add (into, g_memdup2 (&event, sizeof event));
      memset (&event, 0, sizeof event);
    }
  return start;
}

static void
deliver (Pair *p, GBytes *bytes, gboolean to_server)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  gsize step = p->chunk == 0 ? len : p->chunk;

  if (!p->tls_on)
    g_string_append_len (p->wire_clear, (const char *) data, (gssize) len);
  for (gsize off = 0; off < len; off += step)
    {
      gsize n;

      if (p->chunk == G_MAXSIZE)
        step = (gsize) g_rand_int_range (p->rand, 1, 40);
      n = MIN (step, len - off);

      if (to_server)
        ml_smtp_server_feed (p->server, data + off, n);
      else
        ml_smtp_client_feed (p->client, data + off, n);
    }
}

/* Moves bytes both ways until both engines are quiet; a START_TLS from
 * both ends is the "handshake": both are told TLS is up. */
static void
pair_run (Pair *p)
{
  gboolean server_wants_tls = FALSE, client_wants_tls = FALSE;

  for (guint round = 0; round < 200; round++)
    {
      g_autoptr(GBytes) from_client = NULL, from_server = NULL;

      server_wants_tls |= drain_pair_events (p, TRUE);
      from_server = ml_smtp_server_take_output (p->server);
      if (from_server != NULL)
        deliver (p, from_server, FALSE);
      client_wants_tls |= drain_pair_events (p, FALSE);
      if (server_wants_tls && client_wants_tls)
        {
          p->tls_on = TRUE;
          ml_smtp_server_tls_started (p->server);
          ml_smtp_client_tls_started (p->client);
          server_wants_tls = client_wants_tls = FALSE;
          continue;
        }
      from_client = ml_smtp_client_take_output (p->client);
      if (from_client != NULL)
        deliver (p, from_client, TRUE);
      if (from_client == NULL && from_server == NULL)
        return;
    }
  g_assert_not_reached ();
}

static void
pair_init (Pair *p, MlSmtpServerConfig *sc, MlSmtpClientConfig *cc, gsize chunk)
{
  static const MlSmtpServerPolicy policy = { .accept_message = pair_accept, .lookup_secret = lookup };
  const char *rcpts[] = { "bob@b.example", NULL };
  g_autoptr(GBytes) msg = g_bytes_new_static ("Subject: secret plans\r\n\r\nmeet at noon\r\n", 40);

  memset (p, 0, sizeof *p);
  p->chunk = chunk;
  p->rand = g_rand_new_with_seed (2026);
  p->client_events = g_ptr_array_new_with_free_func (free_event);
  p->server_events = g_ptr_array_new_with_free_func (free_event);
  p->envelopes = g_ptr_array_new_with_free_func (g_free);
  p->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  p->wire_clear = g_string_new (NULL);
  p->server = ml_smtp_server_new (sc, &policy, p);
  p->client = ml_smtp_client_new (cc);
  ml_smtp_client_add_message (p->client, "alice@a.example", rcpts, msg);
  ml_smtp_server_start (p->server);
}

static void
pair_clear (Pair *p)
{
  ml_smtp_server_free (p->server);
  ml_smtp_client_free (p->client);
  g_ptr_array_unref (p->client_events);
  g_ptr_array_unref (p->server_events);
  g_ptr_array_unref (p->envelopes);
  g_ptr_array_unref (p->messages);
  g_string_free (p->wire_clear, TRUE);
  g_rand_free (p->rand);
}

static void
pair_configs (MlSmtpServerConfig *sc, MlSmtpClientConfig *cc)
{
  ml_smtp_server_config_init (sc);
  sc->hostname = "mx.b.example";
  sc->tls = ML_SMTP_TLS_STARTTLS;
  sc->auth_mechanisms = ALL_MECHANISMS;
  sc->require_auth = TRUE;
  sc->sasl_nonce_seed = 77;
  ml_smtp_client_config_init (cc);
  cc->helo_name = "client.a.example";
  cc->tls = ML_SMTP_CLIENT_TLS_REQUIRED;
  cc->auth = ML_SMTP_CLIENT_AUTH_BEST;
  cc->user = "alice@a.example";
  cc->password = "wonderland";
  cc->sasl_nonce_seed = 78;
}

/* The commands the client sent, verbs only ("-" for a response line). */
static char *
client_verbs (Pair *p)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < p->client_events->len; i++)
    {
      MlEngineEvent *e = g_ptr_array_index (p->client_events, i);

      if (e->kind == ML_ENGINE_EVENT_COMMAND)
        g_string_append_printf (s, "%s%s", s->len ? " " : "", e->verb ? e->verb : "-");
    }
  return g_string_free (s, FALSE);
}

static void
test_pair_starttls_auth (gconstpointer data)
{
  static const struct { MlSmtpClientAuth auth; const char *verbs; } cases[] = {
    { ML_SMTP_CLIENT_AUTH_BEST, "EHLO STARTTLS EHLO AUTH - - MAIL RCPT DATA QUIT" },
    { ML_SMTP_CLIENT_AUTH_PLAIN, "EHLO STARTTLS EHLO AUTH MAIL RCPT DATA QUIT" },
    { ML_SMTP_CLIENT_AUTH_LOGIN, "EHLO STARTTLS EHLO AUTH - - MAIL RCPT DATA QUIT" },
  };
  gsize chunk = GPOINTER_TO_SIZE (data);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      MlSmtpServerConfig sc;
      MlSmtpClientConfig cc;
      Pair p;
      g_autofree char *verbs = NULL;
      const MlSmtpClientResult *r;

      pair_configs (&sc, &cc);
      cc.auth = cases[i].auth;
      pair_init (&p, &sc, &cc, chunk);
      pair_run (&p);
      verbs = client_verbs (&p);
      g_assert_cmpstr (verbs, ==, cases[i].verbs);
      g_assert_cmpuint (p.envelopes->len, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (p.envelopes, 0), ==, "proto=ESMTPSA user=alice@a.example tls=1");
      r = ml_smtp_client_get_result (p.client, 0);
      g_assert_cmpint (r->recipients[0].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);
      g_assert_true (ml_smtp_client_is_authenticated (p.client));
      /* What crossed in clear: EHLO, STARTTLS and the 220, nothing else. */
      g_assert_null (strstr (p.wire_clear->str, "\nAUTH "));
      g_assert_null (strstr (p.wire_clear->str, "secret plans"));
      g_assert_null (strstr (p.wire_clear->str, "MAIL FROM"));
      g_assert_true (g_str_has_suffix (p.wire_clear->str, "STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n"));
      pair_clear (&p);
    }
}

static void
test_pair_scram_in_clear (void)
{
  MlSmtpServerConfig sc;
  MlSmtpClientConfig cc;
  Pair p;

  pair_configs (&sc, &cc);
  sc.tls = ML_SMTP_TLS_NONE;
  cc.tls = ML_SMTP_CLIENT_TLS_NONE;
  pair_init (&p, &sc, &cc, 0);
  pair_run (&p);
  g_assert_cmpstr (g_ptr_array_index (p.envelopes, 0), ==, "proto=ESMTPA user=alice@a.example tls=0");
  /* The exchange is on the wire, the password is not. */
  g_assert_nonnull (strstr (p.wire_clear->str, "AUTH SCRAM-SHA-256 "));
  g_assert_null (strstr (p.wire_clear->str, "wonderland"));
  {
    g_autofree char *b64 = g_base64_encode ((const guint8 *) "wonderland", 10);

    g_assert_null (strstr (p.wire_clear->str, b64));
  }
  pair_clear (&p);
}

static void
test_pair_plain_in_clear_leaks (void)
{
  MlSmtpServerConfig sc;
  MlSmtpClientConfig cc;
  Pair p;

  pair_configs (&sc, &cc);
  sc.tls = ML_SMTP_TLS_NONE;
  sc.auth_plaintext_needs_tls = FALSE;
  cc.tls = ML_SMTP_CLIENT_TLS_OPPORTUNISTIC;
  cc.auth = ML_SMTP_CLIENT_AUTH_PLAIN;
  cc.allow_plaintext_auth = TRUE;
  pair_init (&p, &sc, &cc, 0);
  pair_run (&p);
  g_assert_cmpuint (p.envelopes->len, ==, 1);
  /* The lesson's point: anyone on the path reads the password. */
  g_assert_nonnull (strstr (p.wire_clear->str, "AUTH PLAIN " ALICE_PLAIN));
  {
    g_autoptr(GBytes) decoded = ml_sasl_base64_decode (ALICE_PLAIN, strlen (ALICE_PLAIN), NULL);

    g_assert_cmpmem (g_bytes_get_data (decoded, NULL), g_bytes_get_size (decoded),
                     "\0alice@a.example\0wonderland", 27);
  }
  {
    gboolean found = FALSE;

    for (guint i = 0; i < p.server_events->len; i++)
      {
        MlEngineEvent *e = g_ptr_array_index (p.server_events, i);

        found |= g_strcmp0 (e->explain_key, "smtp.auth.cleartext") == 0;
      }
    g_assert_true (found);
  }
  pair_clear (&p);
}

static void
test_pair_stripped_starttls (void)
{
  MlSmtpServerConfig sc;
  MlSmtpClientConfig cc;
  Pair p;
  g_autofree char *verbs = NULL;
  const MlSmtpClientResult *r;

  pair_configs (&sc, &cc);
  sc.tls = ML_SMTP_TLS_NONE;   /* as if STARTTLS had been removed on the path */
  sc.auth_plaintext_needs_tls = FALSE;
  cc.auth = ML_SMTP_CLIENT_AUTH_PLAIN;
  pair_init (&p, &sc, &cc, 0);
  pair_run (&p);
  verbs = client_verbs (&p);
  g_assert_cmpstr (verbs, ==, "EHLO QUIT");
  g_assert_null (strstr (p.wire_clear->str, "\nAUTH PLAIN "));
  g_assert_cmpuint (p.envelopes->len, ==, 0);
  r = ml_smtp_client_get_result (p.client, 0);
  g_assert_cmpint (r->recipients[0].outcome, ==, ML_SMTP_OUTCOME_TEMPORARY);
  pair_clear (&p);
}

static void
test_pair_wrong_password (void)
{
  MlSmtpServerConfig sc;
  MlSmtpClientConfig cc;
  Pair p;
  const MlSmtpClientResult *r;

  pair_configs (&sc, &cc);
  cc.password = "looking-glass";
  pair_init (&p, &sc, &cc, 0);
  pair_run (&p);
  g_assert_cmpuint (p.envelopes->len, ==, 0);
  r = ml_smtp_client_get_result (p.client, 0);
  g_assert_cmpint (r->recipients[0].outcome, ==, ML_SMTP_OUTCOME_PERMANENT);
  g_assert_cmpuint (r->recipients[0].code, ==, 535);
  g_assert_false (ml_smtp_client_is_authenticated (p.client));
  pair_clear (&p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/smtp-auth/server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("starttls/flow", test_starttls_flow);
  ADD ("starttls/forgets-ehlo", test_starttls_forgets_ehlo);
  ADD ("starttls/injection-discarded", test_starttls_injection);
  ADD ("starttls/injection-discarded-bytewise", test_starttls_injection_bytewise);
  ADD ("starttls/errors", test_starttls_errors);
  ADD ("starttls/not-configured", test_starttls_not_configured);
  ADD ("starttls/implicit-tls", test_implicit_tls);
  ADD ("auth/plain-under-tls", test_auth_plain_under_tls);
  ADD ("auth/plain-refused-in-clear", test_auth_plain_refused_in_clear);
  ADD ("auth/plain-in-clear-allowed", test_auth_plain_in_clear_allowed);
  ADD ("auth/plain-no-initial-response", test_auth_plain_no_initial_response);
  ADD ("auth/login", test_auth_login);
  ADD ("auth/cancel-and-malformed", test_auth_cancel_and_malformed);
  ADD ("auth/not-offered-mechanism", test_auth_not_offered_mechanism);
  ADD ("auth/line-too-long", test_auth_line_too_long);
  ADD ("auth/failure-delay", test_auth_failure_delay);
  ADD ("auth/states", test_auth_states);
  ADD ("auth/required", test_auth_required);
  ADD ("auth/param-line-length", test_auth_param_line_length);
  ADD ("auth/scram", test_auth_scram);
  ADD ("auth/scram-wrong-password", test_auth_scram_wrong_password);
#undef ADD
  g_test_add_func ("/smtp-auth/client/discards-after-go-ahead", test_client_discards_after_go_ahead);
  g_test_add_func ("/smtp-auth/client/required-not-offered", test_client_required_not_offered);
  g_test_add_func ("/smtp-auth/client/opportunistic-refused", test_client_opportunistic_refused);
  g_test_add_func ("/smtp-auth/client/no-plaintext-in-clear", test_client_no_plaintext_in_clear);
  g_test_add_func ("/smtp-auth/client/login", test_client_login);
  g_test_add_func ("/smtp-auth/client/scram-unverified", test_client_scram_unverified);
  g_test_add_func ("/smtp-auth/client/auth-refused-by-server", test_client_auth_refused_by_server);
  g_test_add_data_func ("/smtp-auth/pair/starttls-auth", GSIZE_TO_POINTER (0), test_pair_starttls_auth);
  g_test_add_data_func ("/smtp-auth/pair/starttls-auth-bytewise", GSIZE_TO_POINTER (1),
                        test_pair_starttls_auth);
  g_test_add_data_func ("/smtp-auth/pair/starttls-auth-7-byte-pieces", GSIZE_TO_POINTER (7),
                        test_pair_starttls_auth);
  g_test_add_data_func ("/smtp-auth/pair/starttls-auth-random-pieces", GSIZE_TO_POINTER (G_MAXSIZE),
                        test_pair_starttls_auth);
  g_test_add_func ("/smtp-auth/pair/scram-in-clear", test_pair_scram_in_clear);
  g_test_add_func ("/smtp-auth/pair/plain-in-clear-leaks", test_pair_plain_in_clear_leaks);
  g_test_add_func ("/smtp-auth/pair/stripped-starttls", test_pair_stripped_starttls);
  g_test_add_func ("/smtp-auth/pair/wrong-password", test_pair_wrong_password);

  return g_test_run ();
}

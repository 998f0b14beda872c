/* STARTTLS (RFC 3207) and AUTH (RFC 4954) in the SMTP server engine:
 * raw bytes in, exact bytes and events out. The "TLS" here is only the
 * call to ml_smtp_server_tls_started(): the engine never sees ciphertext. */
#include <string.h>
#include "proto/smtp-server.h"

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
  ADD ("auth/scram", test_auth_scram);
  ADD ("auth/scram-wrong-password", test_auth_scram_wrong_password);
#undef ADD

  return g_test_run ();
}

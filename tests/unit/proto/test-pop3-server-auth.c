/* Unit tests for the POP3 server's STLS and AUTH (RFC 2595 4, RFC 5034):
 * raw bytes in, exact bytes out, with a "TLS" that is only the call to
 * ml_pop3_server_tls_started() (the real stream is sim/tls/). */
#include <string.h>
#include "proto/pop3-server.h"

#define PLAIN_BOB    "AGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA=="   /* \0bob@b.example\0bob-secret */
#define PLAIN_WRONG  "AGJvYkBiLmV4YW1wbGUAd3Jvbmc="           /* \0bob@b.example\0wrong */
#define PLAIN_OTHER  "AGJvYkBiLmV4YW1wbGUAb3RoZXItc2VjcmV0"   /* \0bob@b.example\0other-secret */
#define PLAIN_CAROL  "AGNhcm9sQGIuZXhhbXBsZQBjYXJvbC1wdw=="   /* \0carol@b.example\0carol-pw */
#define MAILDROP_OK  "+OK maildrop has 1 message (14 octets)\r\n"
#define AUTH_FAILED  "-ERR [AUTH] invalid user name or password\r\n"

#define ALL_MECHANISMS ((1u << ML_SASL_PLAIN) | (1u << ML_SASL_LOGIN) \
                        | (1u << ML_SASL_SCRAM_SHA_256))

typedef struct {
  MlMailStore        *store;
  MlAccount          *bob;
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

static char *
drain (Fixture *f)
{
  MlEngineEvent event = { 0 };
  g_autoptr(GBytes) out = NULL;

  while (ml_pop3_server_next_event (f->server, &event))
    {
      g_ptr_array_add (f->events, g_memdup2 (&event, sizeof event));
      memset (&event, 0, sizeof event);
    }
  out = ml_pop3_server_take_output (f->server);
  if (out == NULL)
    return g_strdup ("");
  return g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
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

static void
fixture_start (Fixture *f)
{
  g_autofree char *greeting = NULL;

  g_clear_pointer (&f->server, ml_pop3_server_free);
  g_ptr_array_set_size (f->events, 0);
  f->server = ml_pop3_server_new (f->store, &f->config);
  ml_pop3_server_start (f->server);
  greeting = drain (f);
  g_assert_true (g_str_has_prefix (greeting, "+OK mail.b.example POP3 server ready"));
}

/* The policy a TLS-capable server runs with: STLS, every mechanism, no
 * password in clear. */
static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) msg = g_bytes_new_static ("Subject: x\r\n\r\n", 14);

  f->store = ml_mail_store_new ();
  f->bob = ml_mail_store_add_account (f->store, "bob@b.example", "bob-secret");
  g_assert_cmpuint (ml_mailbox_append (ml_account_get_inbox (f->bob), msg, 0, 1709620000), !=, 0);
  ml_pop3_server_config_init (&f->config);
  f->config.hostname = "mail.b.example";
  f->config.offer_apop = FALSE;
  f->config.offer_stls = TRUE;
  f->config.allow_plaintext_auth = FALSE;
  f->config.sasl_mechanisms = ALL_MECHANISMS;
  f->config.nonce_seed = 42;
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

static guint
count_events (Fixture *f, MlEngineEventKind kind, const char *explain_key)
{
  guint n = 0;

  for (guint i = 0; i < f->events->len; i++)
    {
      const MlEngineEvent *ev = g_ptr_array_index (f->events, i);

      if (ev->kind == kind && (explain_key == NULL || g_strcmp0 (ev->explain_key, explain_key) == 0))
        n++;
    }
  return n;
}

static const MlEngineEvent *
last_event (Fixture *f, MlEngineEventKind kind)
{
  for (guint i = f->events->len; i > 0; i--)
    {
      const MlEngineEvent *ev = g_ptr_array_index (f->events, i - 1);

      if (ev->kind == kind)
        return ev;
    }
  g_error ("no event of kind %d among %u", kind, f->events->len);
}

static void
start_tls (Fixture *f)
{
  assert_feed (f, "STLS\r\n", "+OK Begin TLS negotiation\r\n");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_START_TLS, "pop3.stls.begin"), ==, 1);
  ml_pop3_server_tls_started (f->server);
  g_assert_true (ml_pop3_server_is_tls (f->server));
}

/* ---- STLS (RFC 2595 4) ---- */

static void
test_capa_before_and_after_tls (Fixture *f, gconstpointer data)
{
  /* Before TLS: STLS, and only the mechanism that sends no password;
   * no USER (RFC 2449 6.2, RFC 2595 4). */
  assert_feed (f, "CAPA\r\n",
               "+OK Capability list follows\r\nTOP\r\nRESP-CODES\r\nPIPELINING\r\nUIDL\r\n"
               "STLS\r\nSASL SCRAM-SHA-256\r\nIMPLEMENTATION maillab\r\n.\r\n");
  g_assert_false (ml_pop3_server_is_tls (f->server));
  start_tls (f);
  assert_feed (f, "CAPA\r\n",
               "+OK Capability list follows\r\nTOP\r\nUSER\r\nRESP-CODES\r\nPIPELINING\r\nUIDL\r\n"
               "SASL PLAIN LOGIN SCRAM-SHA-256\r\nIMPLEMENTATION maillab\r\n.\r\n");
}

static void
test_stls_injection (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *ev;

  /* The classic: commands pipelined behind STLS in the same packet. Not
   * one of them may be answered, before or after the handshake. */
  assert_feed (f, "STLS\r\nUSER bob@b.example\r\nPASS bob-secret\r\n",
               "+OK Begin TLS negotiation\r\n");
  ev = last_event (f, ML_ENGINE_EVENT_TRANSACTION);
  g_assert_cmpstr (ev->explain_key, ==, "pop3.tls.discarded");
  g_assert_cmpstr (ev->detail, ==, "37 octets pipelined after STLS discarded");
  /* Clear bytes before the handshake ends are dropped too. */
  assert_feed (f, "STAT\r\n", "");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION, "pop3.tls.discarded"), ==, 2);
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_COMMAND, NULL), ==, 1);
  ml_pop3_server_tls_started (f->server);
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION, "pop3.tls.active"), ==, 0);
  /* USER was never read: PASS alone is out of order. */
  assert_feed (f, "PASS bob-secret\r\n", "-ERR send USER first\r\n");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_TRANSACTION, "pop3.tls.active"), ==, 1);
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "authorization");
}

static void
test_stls_refused (Fixture *f, gconstpointer data)
{
  start_tls (f);
  /* RFC 2595 4: -ERR once TLS is on. */
  assert_feed (f, "STLS\r\n", "-ERR TLS already active\r\n");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_START_TLS, NULL), ==, 1);

  f->config.offer_stls = FALSE;
  fixture_start (f);
  assert_feed (f, "STLS\r\n", "-ERR STLS not supported\r\n");

  f->config.implicit_tls = TRUE;
  fixture_start (f);
  assert_feed (f, "STLS\r\n", "-ERR TLS already active\r\n");
  g_assert_cmpuint (count_events (f, ML_ENGINE_EVENT_START_TLS, NULL), ==, 0);
  /* Port 995: a password is fine from the start. */
  assert_feed (f, "USER bob@b.example\r\nPASS bob-secret\r\n", "+OK send PASS\r\n" MAILDROP_OK);
}

static void
test_plaintext_before_tls (Fixture *f, gconstpointer data)
{
  assert_feed (f, "USER bob@b.example\r\n", "-ERR [AUTH] plaintext authentication disallowed\r\n");
  assert_feed (f, "AUTH PLAIN " PLAIN_BOB "\r\n",
               "-ERR [AUTH] plaintext authentication disallowed without TLS\r\n");
  assert_feed (f, "AUTH LOGIN\r\n", "-ERR [AUTH] plaintext authentication disallowed without TLS\r\n");
  /* Refusing a way of logging in is no failed login: no delay. */
  g_assert_cmpuint (ml_pop3_server_get_n_auth_failures (f->server), ==, 0);
  g_assert_cmpuint (ml_pop3_server_take_delay_ms (f->server), ==, 0);
  start_tls (f);
  assert_feed (f, "AUTH PLAIN " PLAIN_BOB "\r\n", MAILDROP_OK);
}

static void
test_apop_before_tls (Fixture *f, gconstpointer data)
{
  g_autofree char *digest = NULL;
  g_autofree char *cmd = NULL;

  /* APOP sends no password, so the policy lets it through in clear; what
   * it sends is MD5 of something an eavesdropper sees plus the password. */
  f->config.offer_apop = TRUE;
  fixture_start (f);
  digest = ml_pop3_apop_digest (ml_pop3_server_get_timestamp (f->server), "bob-secret");
  cmd = g_strdup_printf ("APOP bob@b.example %s\r\n", digest);
  assert_feed (f, cmd, MAILDROP_OK);
}

/* ---- AUTH (RFC 5034 4) ---- */

static void
test_auth_plain (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *ev;

  start_tls (f);
  /* Without an initial response: the empty challenge is "+ ". */
  assert_feed (f, "AUTH PLAIN\r\n", "+ \r\n");
  ev = last_event (f, ML_ENGINE_EVENT_REPLY);
  g_assert_cmpstr (ev->explain_key, ==, "pop3.reply.challenge");
  g_assert_cmpstr (ev->line, ==, "+ ");
  assert_feed (f, PLAIN_BOB "\r\n", MAILDROP_OK);
  ev = g_ptr_array_index (f->events, f->events->len - 3);
  g_assert_cmpint (ev->kind, ==, ML_ENGINE_EVENT_COMMAND);
  g_assert_cmpstr (ev->explain_key, ==, "pop3.auth.response");
  g_assert_cmpstr (ev->detail, ==, "credential");
  g_assert_null (ev->verb);
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "transaction");
  /* RFC 5034 4: no AUTH after a successful one. */
  assert_feed (f, "AUTH PLAIN " PLAIN_BOB "\r\n", "-ERR AUTH is not valid in the TRANSACTION state\r\n");
}

static void
test_auth_plain_pipelined (Fixture *f, gconstpointer data)
{
  start_tls (f);
  /* RFC 2449 6.6: the answer and the next command in one read. */
  assert_feed (f, "AUTH PLAIN\r\n" PLAIN_BOB "\r\nSTAT\r\n", "+ \r\n" MAILDROP_OK "+OK 1 14\r\n");
}

static void
test_auth_login (Fixture *f, gconstpointer data)
{
  start_tls (f);
  /* "Username:" and "Password:" in base64. */
  assert_feed (f, "AUTH LOGIN\r\n", "+ VXNlcm5hbWU6\r\n");
  assert_feed (f, "Ym9iQGIuZXhhbXBsZQ==\r\n", "+ UGFzc3dvcmQ6\r\n");
  assert_feed (f, "Ym9iLXNlY3JldA==\r\n", MAILDROP_OK);
}

static void
test_auth_scram (Fixture *f, gconstpointer data)
{
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, "bob@b.example",
                                                       "bob-secret", 7);
  g_autoptr(GBytes) first = ml_sasl_client_initial (client);
  g_autofree char *b64 = ml_sasl_base64_encode (g_bytes_get_data (first, NULL),
                                                g_bytes_get_size (first));
  g_autofree char *cmd = g_strdup_printf ("AUTH SCRAM-SHA-256 %s\r\n", b64);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;

  /* Before TLS: SCRAM sends no password, so it is allowed. */
  out = feed (f, cmd);
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GBytes) challenge = NULL;
      g_autoptr(GBytes) answer = NULL;
      g_autofree char *line = NULL;

      g_assert_true (g_str_has_prefix (out, "+ "));
      g_assert_true (g_str_has_suffix (out, "\r\n"));
      challenge = ml_sasl_base64_decode (out + 2, strlen (out) - 4, &error);
      g_assert_no_error (error);
      answer = ml_sasl_client_step (client, challenge, &error);
      g_assert_no_error (error);
      line = g_bytes_get_size (answer) > 0
             ? ml_sasl_base64_encode (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer))
             : g_strdup ("");
      g_free (out);
      /* The second round answers the server-final sent as a challenge:
       * POP3 has no data with +OK (RFC 5034 4), so the answer is empty. */
      if (round == 1)
        g_assert_cmpstr (line, ==, "");
      {
        g_autofree char *answer_b64 = g_steal_pointer (&line);

        line = g_strconcat (answer_b64, "\r\n", NULL);
      }
      out = feed (f, line);
    }
  g_assert_cmpstr (out, ==, MAILDROP_OK);
  g_assert_true (ml_sasl_client_server_verified (client));
}

static void
test_auth_scram_wrong_password (Fixture *f, gconstpointer data)
{
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, "bob@b.example",
                                                       "not-it", 7);
  g_autoptr(GBytes) first = ml_sasl_client_initial (client);
  g_autofree char *b64 = ml_sasl_base64_encode (g_bytes_get_data (first, NULL),
                                                g_bytes_get_size (first));
  g_autofree char *cmd = g_strdup_printf ("AUTH SCRAM-SHA-256 %s\r\n", b64);
  g_autofree char *out = feed (f, cmd);
  g_autoptr(GBytes) challenge = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *line = NULL;
  g_autofree char *final = NULL;

  challenge = ml_sasl_base64_decode (out + 2, strlen (out) - 4, NULL);
  answer = ml_sasl_client_step (client, challenge, NULL);
  g_assert_nonnull (answer);
  line = ml_sasl_base64_encode (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  final = g_strconcat (line, "\r\n", NULL);
  assert_feed (f, final, AUTH_FAILED);
  g_assert_cmpuint (ml_pop3_server_get_n_auth_failures (f->server), ==, 1);
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "authorization");
}

static void
test_auth_cancel (Fixture *f, gconstpointer data)
{
  start_tls (f);
  /* RFC 5034 4: "*" cancels, the server says -ERR and forgets the AUTH. */
  assert_feed (f, "AUTH LOGIN\r\n*\r\n", "+ VXNlcm5hbWU6\r\n-ERR authentication cancelled\r\n");
  g_assert_cmpuint (ml_pop3_server_get_n_auth_failures (f->server), ==, 0);
  assert_feed (f, "AUTH PLAIN " PLAIN_BOB "\r\n", MAILDROP_OK);
}

static void
test_auth_bad_base64 (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;

  start_tls (f);
  /* RFC 5034 4: pad in the middle, or a character outside the alphabet,
   * is rejected, not ignored. */
  out = feed (f, "AUTH PLAIN AAA=BBBB\r\n");
  g_assert_true (g_str_has_prefix (out, "-ERR invalid initial response: "));
  g_clear_pointer (&out, g_free);
  out = feed (f, "AUTH PLAIN\r\nAG!v\r\n");
  g_assert_true (g_str_has_prefix (out, "+ \r\n-ERR invalid base64: "));
  g_clear_pointer (&out, g_free);
  /* Valid base64 that is not PLAIN's syntax: -ERR without [AUTH]. */
  out = feed (f, "AUTH PLAIN Ym9i\r\n");
  g_assert_true (g_str_has_prefix (out, "-ERR AUTH PLAIN: "));
  g_assert_cmpuint (ml_pop3_server_get_n_auth_failures (f->server), ==, 0);
  assert_feed (f, "AUTH PLAIN " PLAIN_BOB "\r\n", MAILDROP_OK);
}

static void
test_auth_mechanisms (Fixture *f, gconstpointer data)
{
  assert_feed (f, "AUTH\r\n", "-ERR AUTH needs a mechanism name\r\n");
  assert_feed (f, "AUTH CRAM-MD5\r\n", "-ERR unsupported authentication mechanism\r\n");
  assert_feed (f, "AUTH PLAIN a b\r\n", "-ERR too many arguments for AUTH\r\n");
  f->config.sasl_mechanisms = 1u << ML_SASL_SCRAM_SHA_256;
  fixture_start (f);
  start_tls (f);
  assert_feed (f, "AUTH LOGIN\r\n", "-ERR unsupported authentication mechanism\r\n");
  assert_feed (f, "CAPA\r\n",
               "+OK Capability list follows\r\nTOP\r\nUSER\r\nRESP-CODES\r\nPIPELINING\r\nUIDL\r\n"
               "SASL SCRAM-SHA-256\r\nIMPLEMENTATION maillab\r\n.\r\n");
}

static void
test_auth_failure_delay (Fixture *f, gconstpointer data)
{
  const MlEngineEvent *ev;

  start_tls (f);
  assert_feed (f, "AUTH PLAIN " PLAIN_WRONG "\r\n", AUTH_FAILED);
  g_assert_cmpuint (ml_pop3_server_take_delay_ms (f->server), ==, 1000);
  /* Taken once. */
  g_assert_cmpuint (ml_pop3_server_take_delay_ms (f->server), ==, 0);
  ev = last_event (f, ML_ENGINE_EVENT_TRANSACTION);
  g_assert_cmpstr (ev->explain_key, ==, "pop3.auth.failed");
  g_assert_cmpstr (ev->detail, ==, "AUTH PLAIN failed (1 failure in this session): "
                                   "answer held back 1000 ms");
  /* Doubling, whichever way the guess comes. */
  assert_feed (f, "USER bob@b.example\r\nPASS nope\r\n", "+OK send PASS\r\n" AUTH_FAILED);
  g_assert_cmpuint (ml_pop3_server_take_delay_ms (f->server), ==, 2000);
  for (guint i = 0; i < 5; i++)
    assert_feed (f, "AUTH PLAIN " PLAIN_WRONG "\r\n", AUTH_FAILED);
  g_assert_cmpuint (ml_pop3_server_take_delay_ms (f->server), ==, ML_POP3_MAX_AUTH_DELAY_MS);
  g_assert_cmpuint (ml_pop3_server_get_n_auth_failures (f->server), ==, 7);
  /* The owner's login still works, and takes the lock. */
  assert_feed (f, "AUTH PLAIN " PLAIN_BOB "\r\n", MAILDROP_OK);
  g_assert_false (ml_account_try_lock (f->bob, f));
}

static void
test_auth_in_use (Fixture *f, gconstpointer data)
{
  int other;

  start_tls (f);
  /* RFC 2449 8.1.2: the right password, the maildrop busy. */
  g_assert_true (ml_account_try_lock (f->bob, &other));
  assert_feed (f, "AUTH PLAIN " PLAIN_BOB "\r\n", "-ERR [IN-USE] maildrop already locked\r\n");
  g_assert_cmpstr (ml_pop3_server_get_state_name (f->server), ==, "authorization");
  g_assert_cmpuint (ml_pop3_server_get_n_auth_failures (f->server), ==, 0);
  ml_account_unlock (f->bob, &other);
  assert_feed (f, "AUTH PLAIN " PLAIN_BOB "\r\n", MAILDROP_OK);
}

static void
test_auth_response_too_long (Fixture *f, gconstpointer data)
{
  g_autofree char *longline = g_strnfill (ML_POP3_MAX_SASL_LINE + 10, 'A');
  g_autofree char *input = g_strconcat ("AUTH PLAIN\r\n", longline, "\r\n", NULL);

  start_tls (f);
  assert_feed (f, input, "+ \r\n-ERR authentication aborted: response too long\r\n");
  /* Back to command lines, with their own limit. */
  assert_feed (f, "AUTH PLAIN " PLAIN_BOB "\r\n", MAILDROP_OK);
}

/* ---- the owner's credentials ---- */

static gboolean
lookup_other (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  static const guint8 salt[ML_SASL_SCRAM_SALT_LEN] = { 1, 2, 3 };
  guint *calls = user_data;

  (*calls)++;
  if (strcmp (authcid, "bob@b.example") == 0)
    ml_sasl_secret_init_from_password (secret_out, "other-secret", salt, ML_SASL_SCRAM_ITERATIONS);
  else if (strcmp (authcid, "carol@b.example") == 0)
    ml_sasl_secret_init_from_password (secret_out, "carol-pw", salt, ML_SASL_SCRAM_ITERATIONS);
  else
    return FALSE;
  return TRUE;
}

static void
test_lookup (Fixture *f, gconstpointer data)
{
  guint calls = 0;

  f->config.lookup = lookup_other;
  f->config.lookup_data = &calls;
  fixture_start (f);
  start_tls (f);
  /* The store's password is not the one that counts any more. */
  assert_feed (f, "AUTH PLAIN " PLAIN_BOB "\r\n", AUTH_FAILED);
  /* carol is known to the lookup, but has no maildrop here (RFC 3206 4). */
  assert_feed (f, "AUTH PLAIN " PLAIN_CAROL "\r\n", "-ERR [SYS/PERM] no maildrop for this user\r\n");
  assert_feed (f, "USER carol@b.example\r\nPASS carol-pw\r\n",
               "+OK send PASS\r\n-ERR [SYS/PERM] no maildrop for this user\r\n");
  assert_feed (f, "USER bob@b.example\r\nPASS bob-secret\r\n", "+OK send PASS\r\n" AUTH_FAILED);
  assert_feed (f, "AUTH PLAIN " PLAIN_OTHER "\r\n", MAILDROP_OK);
  g_assert_cmpuint (calls, >=, 5);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ((path), Fixture, NULL, fixture_setup, (func), fixture_teardown)
  ADD ("/pop3-server-auth/stls/capa", test_capa_before_and_after_tls);
  ADD ("/pop3-server-auth/stls/injection", test_stls_injection);
  ADD ("/pop3-server-auth/stls/refused", test_stls_refused);
  ADD ("/pop3-server-auth/policy/plaintext-before-tls", test_plaintext_before_tls);
  ADD ("/pop3-server-auth/policy/apop-before-tls", test_apop_before_tls);
  ADD ("/pop3-server-auth/auth/plain", test_auth_plain);
  ADD ("/pop3-server-auth/auth/plain-pipelined", test_auth_plain_pipelined);
  ADD ("/pop3-server-auth/auth/login", test_auth_login);
  ADD ("/pop3-server-auth/auth/scram", test_auth_scram);
  ADD ("/pop3-server-auth/auth/scram-wrong-password", test_auth_scram_wrong_password);
  ADD ("/pop3-server-auth/auth/cancel", test_auth_cancel);
  ADD ("/pop3-server-auth/auth/bad-base64", test_auth_bad_base64);
  ADD ("/pop3-server-auth/auth/mechanisms", test_auth_mechanisms);
  ADD ("/pop3-server-auth/auth/failure-delay", test_auth_failure_delay);
  ADD ("/pop3-server-auth/auth/in-use", test_auth_in_use);
  ADD ("/pop3-server-auth/auth/response-too-long", test_auth_response_too_long);
  ADD ("/pop3-server-auth/lookup", test_lookup);
#undef ADD
  return g_test_run ();
}

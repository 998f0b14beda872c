/* Unit tests for the IMAP server's STARTTLS, LOGIN and AUTHENTICATE
 * (RFC 3501 6.2, RFC 2595 3.1, RFC 4959, RFC 5530): exact bytes out, with
 * a "TLS" that is only ml_imap_server_tls_started() (the real stream is
 * sim/tls/'s). */
#include "imap-test-util.h"

#define PLAIN_OK    "AGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA=="  /* \0bob@b.example\0bob-secret */
#define PLAIN_WRONG "AGJvYkBiLmV4YW1wbGUAd3Jvbmc="          /* \0bob@b.example\0wrong */
#define FAILED      " NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
#define ALL_MECHANISMS ((1u << ML_SASL_PLAIN) | (1u << ML_SASL_LOGIN) \
                        | (1u << ML_SASL_SCRAM_SHA_256))

typedef struct {
  MlMailStore *store;
  MlAccount   *bob;
  Session     *s;
} TlsFixture;

/* A server as the TLS lessons run it: STARTTLS, every mechanism, no
 * password in clear. */
static void
tls_setup (TlsFixture *f, gconstpointer data)
{
  MlImapServerConfig config;

  f->store = ml_mail_store_new ();
  f->bob = ml_mail_store_add_account (f->store, BOB, BOB_PASS);
  ml_imap_server_config_init (&config);
  config.hostname = "mail.b.example";
  config.offer_starttls = TRUE;
  config.allow_plaintext_login = FALSE;
  config.sasl_mechanisms = ALL_MECHANISMS;
  config.nonce_seed = 5;
  f->s = session_new (f->store, &config);
  session_start (f->s);
}

static void
tls_teardown (TlsFixture *f, gconstpointer data)
{
  session_free (f->s);
  ml_mail_store_free (f->store);
}

static guint
count_events (Session *s, MlEngineEventKind kind, const char *explain_key)
{
  guint n = 0;

  for (guint i = 0; i < s->events->len; i++)
    {
      const MlEngineEvent *ev = g_ptr_array_index (s->events, i);

      if (ev->kind == kind && g_strcmp0 (ev->explain_key, explain_key) == 0)
        n++;
    }
  return n;
}

static void
start_tls (TlsFixture *f)
{
  g_autofree char *r = session_send (f->s, "t1 STARTTLS\r\n");

  g_assert_cmpstr (r, ==, "t1 OK Begin TLS negotiation now\r\n");
  g_assert_cmpuint (count_events (f->s, ML_ENGINE_EVENT_START_TLS, "imap.starttls.begin"), ==, 1);
  ml_imap_server_tls_started (f->s->server);
  g_free (session_drain (f->s));
  g_assert_true (ml_imap_server_is_tls (f->s->server));
}

/* ---- STARTTLS ---- */

static void
test_capabilities (TlsFixture *f, gconstpointer data)
{
  g_autofree char *before = session_send (f->s, "c1 CAPABILITY\r\n");
  g_autofree char *after = NULL;

  /* RFC 3501 6.2.1, 6.2.3: STARTTLS and LOGINDISABLED, and only the
   * mechanism that sends no password. */
  assert_contains (before, " STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED\r\n");
  assert_lacks (before, "AUTH=PLAIN");
  /* The greeting said the same. */
  assert_contains (f->s->out->str, "STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED] ");
  start_tls (f);
  /* Recomputed after TLS: the client must ask again (RFC 3501 6.2.1). */
  after = session_send (f->s, "c2 CAPABILITY\r\n");
  assert_contains (after, " AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256\r\n");
  assert_lacks (after, "STARTTLS");
  assert_lacks (after, "LOGINDISABLED");
}

static void
test_injection (TlsFixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;
  g_autofree char *late = NULL;
  g_autofree char *after = NULL;
  const MlEngineEvent *ev;

  /* Pipelined behind STARTTLS in one packet: never answered. */
  r = session_send (f->s, "t1 STARTTLS\r\nx1 LOGIN " BOB " " BOB_PASS "\r\nx2 SELECT INBOX\r\n");
  g_assert_cmpstr (r, ==, "t1 OK Begin TLS negotiation now\r\n");
  ev = last_event (f->s, 0);
  g_assert_cmpstr (ev->explain_key, ==, "imap.tls.discarded");
  g_assert_cmpstr (ev->detail, ==, "52 octets pipelined after STARTTLS discarded");
  late = session_send (f->s, "x3 LOGOUT\r\n");
  g_assert_cmpstr (late, ==, "");
  g_assert_cmpuint (count_events (f->s, ML_ENGINE_EVENT_TRANSACTION, "imap.tls.discarded"), ==, 2);
  g_assert_false (ml_imap_server_wants_close (f->s->server));
  ml_imap_server_tls_started (f->s->server);
  after = session_send (f->s, "a1 NOOP\r\n");
  g_assert_cmpstr (after, ==, "a1 OK NOOP completed\r\n");
  g_assert_cmpstr (ml_imap_server_get_state_name (f->s->server), ==, "not-authenticated");
  g_assert_cmpuint (count_events (f->s, ML_ENGINE_EVENT_TRANSACTION, "imap.tls.active"), ==, 1);
}

static void
test_starttls_refused (TlsFixture *f, gconstpointer data)
{
  g_autofree char *args = session_send (f->s, "t0 STARTTLS now\r\n");
  g_autofree char *again = NULL;
  g_autofree char *authed = NULL;

  g_assert_cmpstr (args, ==, "t0 BAD Too many arguments\r\n");
  start_tls (f);
  again = session_send (f->s, "t2 STARTTLS\r\n");
  g_assert_cmpstr (again, ==, "t2 BAD TLS is already active\r\n");
  g_assert_cmpuint (count_events (f->s, ML_ENGINE_EVENT_START_TLS, "imap.starttls.begin"), ==, 1);
  session_login (f->s);
  /* RFC 3501 6.2.1: STARTTLS only before login. */
  authed = session_send (f->s, "t3 STARTTLS\r\n");
  g_assert_cmpstr (authed, ==, "t3 BAD [CLIENTBUG] Not allowed after logging in\r\n");
}

static void
test_implicit_tls (void)
{
  g_autoptr (MlMailStore) store = ml_mail_store_new ();
  MlImapServerConfig config;
  Session *s;
  g_autofree char *login = NULL;

  ml_mail_store_add_account (store, BOB, BOB_PASS);
  ml_imap_server_config_init (&config);
  config.offer_starttls = TRUE;
  config.implicit_tls = TRUE;
  config.allow_plaintext_login = FALSE;
  s = session_new (store, &config);
  session_start (s);
  /* Port 993: no STARTTLS, no LOGINDISABLED. */
  assert_lacks (s->out->str, "STARTTLS");
  assert_lacks (s->out->str, "LOGINDISABLED");
  login = session_send (s, "l1 LOGIN " BOB " " BOB_PASS "\r\n");
  g_assert_true (g_str_has_prefix (login, "l1 OK [CAPABILITY "));
  session_free (s);
}

/* ---- the login policy ---- */

static void
test_plaintext_refused (TlsFixture *f, gconstpointer data)
{
  g_autofree char *login = session_send (f->s, "l1 LOGIN " BOB " " BOB_PASS "\r\n");
  g_autofree char *plain = session_send (f->s, "l2 AUTHENTICATE PLAIN " PLAIN_OK "\r\n");
  g_autofree char *lgn = session_send (f->s, "l3 AUTHENTICATE LOGIN\r\n");
  g_autofree char *ok = NULL;

  g_assert_cmpstr (login, ==, "l1 NO [PRIVACYREQUIRED] Plaintext login is disabled\r\n");
  g_assert_cmpstr (plain, ==, "l2 NO [PRIVACYREQUIRED] Plaintext authentication is disabled\r\n");
  g_assert_cmpstr (lgn, ==, "l3 NO [PRIVACYREQUIRED] Plaintext authentication is disabled\r\n");
  /* A refused way of logging in is not a failed login. */
  g_assert_cmpuint (ml_imap_server_get_n_auth_failures (f->s->server), ==, 0);
  start_tls (f);
  ok = session_send (f->s, "l4 LOGIN " BOB " " BOB_PASS "\r\n");
  g_assert_true (g_str_has_prefix (ok, "l4 OK [CAPABILITY "));
}

static void
test_failure_delay (TlsFixture *f, gconstpointer data)
{
  g_autofree char *r1 = NULL;
  g_autofree char *r2 = NULL;
  const MlEngineEvent *ev;

  start_tls (f);
  r1 = session_send (f->s, "f1 AUTHENTICATE PLAIN " PLAIN_WRONG "\r\n");
  g_assert_cmpstr (r1, ==, "f1" FAILED);
  g_assert_cmpuint (ml_imap_server_take_delay_ms (f->s->server), ==, 1000);
  g_assert_cmpuint (ml_imap_server_take_delay_ms (f->s->server), ==, 0);
  ev = last_event (f->s, 0);
  g_assert_cmpstr (ev->explain_key, ==, "imap.auth.failed");
  g_assert_cmpstr (ev->detail, ==, "AUTHENTICATE PLAIN failed (1 failure in this session): "
                                   "answer held back 1000 ms");
  r2 = session_send (f->s, "f2 LOGIN " BOB " nope\r\n");
  g_assert_cmpstr (r2, ==, "f2" FAILED);
  g_assert_cmpuint (ml_imap_server_take_delay_ms (f->s->server), ==, 2000);
  for (guint i = 0; i < 6; i++)
    g_free (session_send (f->s, "f3 LOGIN " BOB " nope\r\n"));
  g_assert_cmpuint (ml_imap_server_take_delay_ms (f->s->server), ==, ML_IMAP_MAX_AUTH_DELAY_MS);
  g_assert_cmpuint (ml_imap_server_get_n_auth_failures (f->s->server), ==, 8);
  session_login (f->s);
}

/* ---- AUTHENTICATE ---- */

static void
test_authenticate_login (TlsFixture *f, gconstpointer data)
{
  g_autofree char *c1 = NULL;
  g_autofree char *c2 = NULL;
  g_autofree char *ok = NULL;

  start_tls (f);
  /* "Username:" then "Password:" (draft-murchison-sasl-login). */
  c1 = session_send (f->s, "a1 AUTHENTICATE LOGIN\r\n");
  g_assert_cmpstr (c1, ==, "+ VXNlcm5hbWU6\r\n");
  c2 = session_send (f->s, "Ym9iQGIuZXhhbXBsZQ==\r\n");
  g_assert_cmpstr (c2, ==, "+ UGFzc3dvcmQ6\r\n");
  ok = session_send (f->s, "Ym9iLXNlY3JldA==\r\n");
  g_assert_true (g_str_has_prefix (ok, "a1 OK [CAPABILITY "));
  g_assert_cmpstr (last_event (f->s, 0)->args, ==, "a1");
}

static char *
scram_exchange (TlsFixture *f, const char *password, gboolean *verified)
{
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, BOB, password, 3);
  g_autoptr(GBytes) first = ml_sasl_client_initial (client);
  g_autofree char *b64 = ml_sasl_base64_encode (g_bytes_get_data (first, NULL),
                                                g_bytes_get_size (first));
  g_autofree char *cmd = g_strdup_printf ("s1 AUTHENTICATE SCRAM-SHA-256 %s\r\n", b64);
  char *out = session_send (f->s, cmd);

  while (g_str_has_prefix (out, "+ "))
    {
      g_autoptr(GBytes) challenge = ml_sasl_base64_decode (out + 2, strlen (out) - 4, NULL);
      g_autoptr(GBytes) answer = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *line = NULL;

      g_assert_nonnull (challenge);
      answer = ml_sasl_client_step (client, challenge, &error);
      g_assert_no_error (error);
      line = g_bytes_get_size (answer) > 0
             ? ml_sasl_base64_encode (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer))
             : g_strdup ("");
      g_free (out);
      {
        g_autofree char *answer_b64 = g_steal_pointer (&line);

        line = g_strconcat (answer_b64, "\r\n", NULL);
      }
      out = session_send (f->s, line);
    }
  *verified = ml_sasl_client_server_verified (client);
  return out;
}

static void
test_authenticate_scram (TlsFixture *f, gconstpointer data)
{
  gboolean verified = FALSE;
  g_autofree char *ok = NULL;
  g_autofree char *bad = NULL;

  /* Before TLS: SCRAM is allowed, the password never crosses. A wrong
   * one fails at the client's proof. */
  bad = scram_exchange (f, "guess", &verified);
  g_assert_cmpstr (bad, ==, "s1" FAILED);
  g_assert_false (verified);
  ok = scram_exchange (f, BOB_PASS, &verified);
  g_assert_true (g_str_has_prefix (ok, "s1 OK [CAPABILITY "));
  g_assert_true (verified);
  g_assert_cmpstr (ml_imap_server_get_state_name (f->s->server), ==, "authenticated");
}

static void
test_authenticate_errors (TlsFixture *f, gconstpointer data)
{
  g_autofree char *mech = NULL, *ir = NULL, *cont = NULL, *bad64 = NULL;
  g_autofree char *cont2 = NULL, *cancel = NULL, *missing = NULL, *empty = NULL;

  start_tls (f);
  mech = session_send (f->s, "e1 AUTHENTICATE GSSAPI\r\n");
  g_assert_cmpstr (mech, ==, "e1 NO [CANNOT] Unsupported authentication mechanism\r\n");
  ir = session_send (f->s, "e2 AUTHENTICATE PLAIN AAA=BBBB\r\n");
  g_assert_cmpstr (ir, ==, "e2 BAD Invalid base64\r\n");
  cont = session_send (f->s, "e3 AUTHENTICATE SCRAM-SHA-256\r\n");
  g_assert_cmpstr (cont, ==, "+ \r\n");
  bad64 = session_send (f->s, "AG!v\r\n");
  g_assert_cmpstr (bad64, ==, "e3 BAD Invalid base64\r\n");
  cont2 = session_send (f->s, "e4 AUTHENTICATE LOGIN\r\n");
  cancel = session_send (f->s, "*\r\n");
  g_assert_cmpstr (cancel, ==, "e4 BAD Authentication cancelled\r\n");
  missing = session_send (f->s, "e5 AUTHENTICATE\r\n");
  g_assert_cmpstr (missing, ==, "e5 BAD Missing mechanism\r\n");
  /* RFC 4959 3: "=" is the empty initial response, which PLAIN rejects. */
  empty = session_send (f->s, "e6 AUTHENTICATE PLAIN =\r\n");
  g_assert_true (g_str_has_prefix (empty, "e6 BAD "));
  g_assert_cmpuint (ml_imap_server_get_n_auth_failures (f->s->server), ==, 0);
  g_assert_cmpstr (ml_imap_server_get_state_name (f->s->server), ==, "not-authenticated");
  session_login (f->s);
}

/* ---- the owner's credentials ---- */

static gboolean
lookup_other (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  static const guint8 salt[ML_SASL_SCRAM_SALT_LEN] = { 9 };

  if (g_strcmp0 (authcid, BOB) == 0)
    ml_sasl_secret_init_from_password (secret_out, "other-secret", salt, ML_SASL_SCRAM_ITERATIONS);
  else if (g_strcmp0 (authcid, "carol@b.example") == 0)
    ml_sasl_secret_init_from_password (secret_out, "carol-pw", salt, ML_SASL_SCRAM_ITERATIONS);
  else
    return FALSE;
  return TRUE;
}

static void
test_lookup (void)
{
  g_autoptr (MlMailStore) store = ml_mail_store_new ();
  MlImapServerConfig config;
  Session *s;
  g_autofree char *store_pw = NULL, *carol = NULL, *ok = NULL;

  ml_mail_store_add_account (store, BOB, BOB_PASS);
  ml_imap_server_config_init (&config);
  config.lookup = lookup_other;
  s = session_new (store, &config);
  session_start (s);
  store_pw = session_send (s, "k1 LOGIN " BOB " " BOB_PASS "\r\n");
  g_assert_cmpstr (store_pw, ==, "k1" FAILED);
  /* Known to the lookup, no mailboxes here (RFC 5530 3). */
  carol = session_send (s, "k2 LOGIN carol@b.example carol-pw\r\n");
  g_assert_cmpstr (carol, ==, "k2 NO [UNAVAILABLE] No mailboxes for this user\r\n");
  ok = session_send (s, "k3 LOGIN " BOB " other-secret\r\n");
  g_assert_true (g_str_has_prefix (ok, "k3 OK [CAPABILITY "));
  session_free (s);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ((path), TlsFixture, NULL, tls_setup, (func), tls_teardown)
  ADD ("/imap-server-auth/starttls/capabilities", test_capabilities);
  ADD ("/imap-server-auth/starttls/injection", test_injection);
  ADD ("/imap-server-auth/starttls/refused", test_starttls_refused);
  g_test_add_func ("/imap-server-auth/starttls/implicit", test_implicit_tls);
  ADD ("/imap-server-auth/policy/plaintext-refused", test_plaintext_refused);
  ADD ("/imap-server-auth/policy/failure-delay", test_failure_delay);
  ADD ("/imap-server-auth/authenticate/login", test_authenticate_login);
  ADD ("/imap-server-auth/authenticate/scram", test_authenticate_scram);
  ADD ("/imap-server-auth/authenticate/errors", test_authenticate_errors);
  g_test_add_func ("/imap-server-auth/lookup", test_lookup);
#undef ADD
  return g_test_run ();
}

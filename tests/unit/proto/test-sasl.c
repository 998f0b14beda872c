#include <string.h>
#include "proto/sasl.h"

/* RFC 7677 3: user "user", password "pencil", and the exchange's nonces
 * and salt. */
#define VEC_CLIENT_NONCE "rOprNGfwEbeRWgbNEkqO"
#define VEC_SERVER_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define VEC_SALT64       "W22ZaJ0SNY7soEsUEjb6gQ=="
#define VEC_C1 "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define VEC_S1 "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define VEC_C2 "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," \
               "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define VEC_S2 "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* The accounts every test's server knows: "user"/"pencil" with the
 * vector's salt, "tim"/"tanstaaftanstaaf" and "Kurt"/"xipj3plmq" from
 * RFC 4616 4. With @data non-NULL the plaintext is forgotten, as a live
 * server's user file would. */
static gboolean
lookup (const char *authcid, MlSaslSecret *secret_out, gpointer data)
{
  static const char *const accounts[][2] = {
    { "user", "pencil" },
    { "tim", "tanstaaftanstaaf" },
    { "Kurt", "xipj3plmq" },
    { "a,b=c", "commas" },
  };
  g_autoptr(GBytes) salt = ml_sasl_base64_decode (VEC_SALT64, strlen (VEC_SALT64), NULL);

  g_assert_nonnull (salt);
  g_assert_cmpuint (g_bytes_get_size (salt), ==, ML_SASL_SCRAM_SALT_LEN);
  for (gsize i = 0; i < G_N_ELEMENTS (accounts); i++)
    if (strcmp (authcid, accounts[i][0]) == 0)
      {
        ml_sasl_secret_init_from_password (secret_out, accounts[i][1],
                                           g_bytes_get_data (salt, NULL),
                                           ML_SASL_SCRAM_ITERATIONS);
        if (data != NULL)
          g_clear_pointer (&secret_out->password, g_free);
        return TRUE;
      }
  return FALSE;
}

static GBytes *
bytes_of (const char *s)
{
  return g_bytes_new (s, strlen (s));
}

static GBytes *
bytes_of_len (const char *s, gsize len)
{
  return g_bytes_new (s, len);
}

static void
assert_bytes_eq (GBytes *bytes, const char *expected)
{
  gsize len;
  const char *data;

  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpmem (data, len, expected, strlen (expected));
}

/* ---- base64 ---- */

static void
test_base64_strict (void)
{
  static const struct { const char *in; const char *out; } good[] = {
    { "dGVzdA==", "test" },
    { "dGVzdDE=", "test1" },
    { "dGVzdDEy", "test12" },
    { "=", "" },
    { "", "" },
  };
  static const char *const bad[] = {
    "dGVzdA=",        /* length not a multiple of 4 */
    "dGV zdA=",       /* a space inside */
    "dGVzdA==\r",     /* trailing CR */
    "dGVzdB==",       /* pad bits not zero (RFC 4648 3.5) */
    "dGVzdDF=",       /* pad bits not zero, one '=' */
    "====",           /* padding only */
    "dG=z",           /* padding in the middle */
    "dGVz=A==",       /* '=' not at the end */
    "dGVzdA=\xc3\xa9", /* non-ASCII */
    "dG*zdA==",       /* outside the alphabet */
    "==",             /* not the one-character empty message */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) b = ml_sasl_base64_decode (good[i].in, strlen (good[i].in), &error);

      g_assert_no_error (error);
      assert_bytes_eq (b, good[i].out);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) b = ml_sasl_base64_decode (bad[i], strlen (bad[i]), &error);

      g_test_message ("bad base64 %s", bad[i]);
      g_assert_null (b);
      g_assert_error (error, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED);
    }
}

static void
test_base64_limit (void)
{
  guint8 raw[ML_SASL_MAX_MESSAGE + 1];
  g_autofree char *at_limit = NULL, *over = NULL;
  g_autoptr(GBytes) ok = NULL, too_long = NULL;
  g_autoptr(GError) error = NULL;

  memset (raw, 'x', sizeof raw);
  at_limit = ml_sasl_base64_encode (raw, ML_SASL_MAX_MESSAGE);
  over = ml_sasl_base64_encode (raw, ML_SASL_MAX_MESSAGE + 1);
  ok = ml_sasl_base64_decode (at_limit, strlen (at_limit), NULL);
  g_assert_nonnull (ok);
  g_assert_cmpuint (g_bytes_get_size (ok), ==, ML_SASL_MAX_MESSAGE);
  too_long = ml_sasl_base64_decode (over, strlen (over), &error);
  g_assert_null (too_long);
  g_assert_error (error, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED);
}

static void
test_base64_encode (void)
{
  g_autofree char *empty = ml_sasl_base64_encode (NULL, 0);
  g_autofree char *plain = ml_sasl_base64_encode ((const guint8 *) "\0tim\0tanstaaftanstaaf", 21);

  g_assert_cmpstr (empty, ==, "=");
  g_assert_cmpstr (plain, ==, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}

static void
test_mechanism_names (void)
{
  MlSaslMechanism m = ML_SASL_N_MECHANISMS;

  g_assert_true (ml_sasl_mechanism_from_name ("scram-sha-256", &m));
  g_assert_cmpint (m, ==, ML_SASL_SCRAM_SHA_256);
  g_assert_cmpstr (ml_sasl_mechanism_name (m), ==, "SCRAM-SHA-256");
  g_assert_true (ml_sasl_mechanism_from_name ("Plain", &m));
  g_assert_cmpint (m, ==, ML_SASL_PLAIN);
  g_assert_false (ml_sasl_mechanism_from_name ("CRAM-MD5", &m));
  g_assert_false (ml_sasl_mechanism_from_name ("SCRAM-SHA-256-PLUS", &m));
  g_assert_true (ml_sasl_mechanism_is_plaintext (ML_SASL_PLAIN));
  g_assert_true (ml_sasl_mechanism_is_plaintext (ML_SASL_LOGIN));
  g_assert_false (ml_sasl_mechanism_is_plaintext (ML_SASL_SCRAM_SHA_256));
}

static void
test_secret_check (void)
{
  MlSaslSecret with = { 0 }, without = { 0 };

  g_assert_true (lookup ("user", &with, NULL));
  g_assert_true (lookup ("user", &without, GINT_TO_POINTER (1)));
  g_assert_null (without.password);
  g_assert_true (ml_sasl_secret_check_password (&with, "pencil"));
  g_assert_true (ml_sasl_secret_check_password (&without, "pencil"));
  g_assert_false (ml_sasl_secret_check_password (&with, "pencil "));
  g_assert_false (ml_sasl_secret_check_password (&without, "Pencil"));
  g_assert_false (ml_sasl_secret_check_password (&with, ""));
  ml_sasl_secret_clear (&with);
  ml_sasl_secret_clear (&without);
}

/* ---- PLAIN (RFC 4616) ---- */

static MlSaslStep
server_once (MlSaslMechanism mech, GBytes *response, GBytes **out, GError **error,
             char **user_out)
{
  g_autoptr(MlSaslServer) server = ml_sasl_server_new (mech, lookup, NULL, 1);
  MlSaslStep step = ml_sasl_server_step (server, response, out, error);

  if (user_out != NULL)
    *user_out = g_strdup (ml_sasl_server_get_user (server));
  return step;
}

static void
test_plain_rfc4616_examples (void)
{
  g_autoptr(GBytes) first = bytes_of_len ("\0tim\0tanstaaftanstaaf", 21);
  g_autoptr(GBytes) second = bytes_of_len ("Ursel\0Kurt\0xipj3plmq", 20);
  g_autoptr(GBytes) out = NULL, out2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL, *user2 = NULL;

  g_assert_cmpint (server_once (ML_SASL_PLAIN, first, &out, &error, &user),
                   ==, ML_SASL_STEP_SUCCESS);
  g_assert_no_error (error);
  g_assert_null (out);
  g_assert_cmpstr (user, ==, "tim");

  /* Kurt's password is right, but he asks to act as Ursel: refused. */
  g_assert_cmpint (server_once (ML_SASL_PLAIN, second, &out2, &error, &user2),
                   ==, ML_SASL_STEP_FAILURE);
  g_assert_error (error, ML_SASL_ERROR, ML_SASL_ERROR_FAILED);
  g_assert_null (user2);
}

static void
test_plain_authzid_self (void)
{
  g_autoptr(GBytes) msg = bytes_of_len ("tim\0tim\0tanstaaftanstaaf", 24);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;

  g_assert_cmpint (server_once (ML_SASL_PLAIN, msg, &out, &error, &user),
                   ==, ML_SASL_STEP_SUCCESS);
  g_assert_cmpstr (user, ==, "tim");
}

static void
test_plain_no_initial_response (void)
{
  g_autoptr(MlSaslServer) server = ml_sasl_server_new (ML_SASL_PLAIN, lookup, NULL, 1);
  g_autoptr(GBytes) challenge = NULL, out = NULL;
  g_autoptr(GBytes) msg = bytes_of_len ("\0tim\0tanstaaftanstaaf", 21);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (ml_sasl_server_step (server, NULL, &challenge, &error),
                   ==, ML_SASL_STEP_CONTINUE);
  g_assert_nonnull (challenge);
  g_assert_cmpuint (g_bytes_get_size (challenge), ==, 0);
  g_assert_null (ml_sasl_server_get_user (server));
  g_assert_cmpint (ml_sasl_server_step (server, msg, &out, &error),
                   ==, ML_SASL_STEP_SUCCESS);
  g_assert_cmpstr (ml_sasl_server_get_user (server), ==, "tim");
}

static void
test_plain_wrong_password_unknown_user (void)
{
  g_autoptr(GBytes) wrong = bytes_of_len ("\0tim\0tanstaaf", 13);
  g_autoptr(GBytes) unknown = bytes_of_len ("\0nobody\0tanstaaftanstaaf", 24);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) e1 = NULL, e2 = NULL;

  g_assert_cmpint (server_once (ML_SASL_PLAIN, wrong, &out, &e1, NULL), ==, ML_SASL_STEP_FAILURE);
  g_assert_error (e1, ML_SASL_ERROR, ML_SASL_ERROR_FAILED);
  g_assert_cmpint (server_once (ML_SASL_PLAIN, unknown, &out, &e2, NULL), ==, ML_SASL_STEP_FAILURE);
  g_assert_error (e2, ML_SASL_ERROR, ML_SASL_ERROR_FAILED);
}

static void
test_plain_malformed (void)
{
  char long_user[300];
  g_autoptr(GString) too_long = g_string_new (NULL);
  struct { const char *data; gsize len; } cases[] = {
    { "tim", 3 },                          /* no NUL at all */
    { "\0tim", 4 },                        /* one NUL */
    { "\0\0pw", 4 },                       /* empty authcid */
    { "\0tim\0", 5 },                      /* empty password */
    { "\0tim\0pw\0x", 9 },                 /* a third NUL */
    { "\0t\xffm\0pw", 7 },                 /* not UTF-8 */
    { NULL, 0 },
  };

  memset (long_user, 'u', sizeof long_user);
  g_string_append_c (too_long, '\0');
  g_string_append_len (too_long, long_user, 256);  /* RFC 4616 2: 255 at most */
  g_string_append_c (too_long, '\0');
  g_string_append (too_long, "pw");
  cases[G_N_ELEMENTS (cases) - 1].data = too_long->str;
  cases[G_N_ELEMENTS (cases) - 1].len = too_long->len;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) msg = bytes_of_len (cases[i].data, cases[i].len);
      g_autoptr(GBytes) out = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_cmpint (server_once (ML_SASL_PLAIN, msg, &out, &error, NULL),
                       ==, ML_SASL_STEP_FAILURE);
      g_assert_error (error, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED);
    }
}

static void
test_plain_client (void)
{
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_PLAIN, "tim", "tanstaaftanstaaf", 7);
  g_autoptr(GBytes) initial = ml_sasl_client_initial (client);

  g_assert_nonnull (initial);
  g_assert_cmpmem (g_bytes_get_data (initial, NULL), g_bytes_get_size (initial),
                   "\0tim\0tanstaaftanstaaf", 21);
  g_assert_true (ml_sasl_client_server_verified (client));
}

static void
test_over_long_message (void)
{
  g_autofree char *big = g_malloc0 (ML_SASL_MAX_MESSAGE + 1);
  g_autoptr(GBytes) msg = NULL, out = NULL;
  g_autoptr(GError) error = NULL;

  memset (big, 'a', ML_SASL_MAX_MESSAGE + 1);
  msg = g_bytes_new (big, ML_SASL_MAX_MESSAGE + 1);
  for (MlSaslMechanism m = 0; m < ML_SASL_N_MECHANISMS; m++)
    {
      g_clear_error (&error);
      g_assert_cmpint (server_once (m, msg, &out, &error, NULL), ==, ML_SASL_STEP_FAILURE);
      g_assert_error (error, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED);
    }
}

/* ---- LOGIN ---- */

static void
test_login_exchange (void)
{
  g_autoptr(MlSaslServer) server = ml_sasl_server_new (ML_SASL_LOGIN, lookup, NULL, 1);
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_LOGIN, "tim", "tanstaaftanstaaf", 1);
  g_autoptr(GBytes) c1 = NULL, c2 = NULL, r1 = NULL, r2 = NULL, last = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt64 = NULL;

  g_assert_null (ml_sasl_client_initial (client));
  g_assert_cmpint (ml_sasl_server_step (server, NULL, &c1, &error), ==, ML_SASL_STEP_CONTINUE);
  assert_bytes_eq (c1, "Username:");
  /* What clients expect on the wire after "334 ". */
  prompt64 = ml_sasl_base64_encode (g_bytes_get_data (c1, NULL), g_bytes_get_size (c1));
  g_assert_cmpstr (prompt64, ==, "VXNlcm5hbWU6");

  r1 = ml_sasl_client_step (client, c1, &error);
  g_assert_no_error (error);
  assert_bytes_eq (r1, "tim");
  g_assert_cmpint (ml_sasl_server_step (server, r1, &c2, &error), ==, ML_SASL_STEP_CONTINUE);
  assert_bytes_eq (c2, "Password:");
  r2 = ml_sasl_client_step (client, c2, &error);
  assert_bytes_eq (r2, "tanstaaftanstaaf");
  g_assert_cmpint (ml_sasl_server_step (server, r2, &last, &error), ==, ML_SASL_STEP_SUCCESS);
  g_assert_no_error (error);
  g_assert_null (last);
  g_assert_cmpstr (ml_sasl_server_get_user (server), ==, "tim");
}

static void
test_login_initial_response_and_failure (void)
{
  g_autoptr(MlSaslServer) server = ml_sasl_server_new (ML_SASL_LOGIN, lookup, NULL, 1);
  g_autoptr(GBytes) user = bytes_of ("tim"), pw = bytes_of ("nope");
  g_autoptr(GBytes) c = NULL, last = NULL, again = NULL;
  g_autoptr(GError) error = NULL, error2 = NULL;

  g_assert_cmpint (ml_sasl_server_step (server, user, &c, &error), ==, ML_SASL_STEP_CONTINUE);
  assert_bytes_eq (c, "Password:");
  g_assert_cmpint (ml_sasl_server_step (server, pw, &last, &error), ==, ML_SASL_STEP_FAILURE);
  g_assert_error (error, ML_SASL_ERROR, ML_SASL_ERROR_FAILED);
  g_assert_null (ml_sasl_server_get_user (server));
  /* Nothing more is taken once the exchange is over. */
  g_assert_cmpint (ml_sasl_server_step (server, pw, &again, &error2), ==, ML_SASL_STEP_FAILURE);
  g_assert_error (error2, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED);
}

/* ---- SCRAM-SHA-256 (RFC 5802, RFC 7677) ---- */

static void
test_scram_rfc7677_vector (gconstpointer forget_password)
{
  g_autoptr(MlSaslServer) server = ml_sasl_server_new (ML_SASL_SCRAM_SHA_256, lookup,
                                                       (gpointer) forget_password, 1);
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, "user", "pencil", 1);
  g_autoptr(GBytes) c1 = NULL, s1 = NULL, c2 = NULL, s2 = NULL, c3 = NULL;
  g_autoptr(GError) error = NULL;

  ml_sasl_client_set_nonce (client, VEC_CLIENT_NONCE);
  ml_sasl_server_set_nonce (server, VEC_SERVER_NONCE);

  c1 = ml_sasl_client_initial (client);
  assert_bytes_eq (c1, VEC_C1);
  g_assert_cmpint (ml_sasl_server_step (server, c1, &s1, &error), ==, ML_SASL_STEP_CONTINUE);
  g_assert_no_error (error);
  assert_bytes_eq (s1, VEC_S1);
  c2 = ml_sasl_client_step (client, s1, &error);
  g_assert_no_error (error);
  assert_bytes_eq (c2, VEC_C2);
  g_assert_false (ml_sasl_client_server_verified (client));
  g_assert_cmpint (ml_sasl_server_step (server, c2, &s2, &error), ==, ML_SASL_STEP_SUCCESS);
  g_assert_no_error (error);
  assert_bytes_eq (s2, VEC_S2);
  g_assert_cmpstr (ml_sasl_server_get_user (server), ==, "user");
  c3 = ml_sasl_client_step (client, s2, &error);
  g_assert_no_error (error);
  g_assert_nonnull (c3);
  g_assert_cmpuint (g_bytes_get_size (c3), ==, 0);
  g_assert_true (ml_sasl_client_server_verified (client));
}

/* Runs client and server against each other with seeded nonces; returns
 * the server's final step and its error. */
static MlSaslStep
scram_run (const char *user, const char *password, GError **error)
{
  g_autoptr(MlSaslServer) server = ml_sasl_server_new (ML_SASL_SCRAM_SHA_256, lookup, NULL, 11);
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, user, password, 12);
  g_autoptr(GBytes) c1 = ml_sasl_client_initial (client);
  g_autoptr(GBytes) s1 = NULL, c2 = NULL, s2 = NULL;

  g_assert_cmpint (ml_sasl_server_step (server, c1, &s1, error), ==, ML_SASL_STEP_CONTINUE);
  c2 = ml_sasl_client_step (client, s1, error);
  g_assert_nonnull (c2);
  return ml_sasl_server_step (server, c2, &s2, error);
}

static void
test_scram_seeded_pair (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlSaslClient) a = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, "user", "pencil", 5);
  g_autoptr(MlSaslClient) b = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, "user", "pencil", 5);
  g_autoptr(MlSaslClient) c = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, "user", "pencil", 6);
  g_autoptr(GBytes) ia = ml_sasl_client_initial (a);
  g_autoptr(GBytes) ib = ml_sasl_client_initial (b);
  g_autoptr(GBytes) ic = ml_sasl_client_initial (c);

  g_assert_cmpint (scram_run ("user", "pencil", &error), ==, ML_SASL_STEP_SUCCESS);
  g_assert_no_error (error);
  /* Same seed, same nonce: traces repeat. Another seed, another nonce. */
  g_assert_true (g_bytes_equal (ia, ib));
  g_assert_false (g_bytes_equal (ia, ic));
}

static void
test_scram_wrong_password (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (scram_run ("user", "pencil2", &error), ==, ML_SASL_STEP_FAILURE);
  g_assert_error (error, ML_SASL_ERROR, ML_SASL_ERROR_FAILED);
}

static void
test_scram_unknown_user (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlSaslServer) server = ml_sasl_server_new (ML_SASL_SCRAM_SHA_256, lookup, NULL, 11);
  g_autoptr(GBytes) c1 = bytes_of ("n,,n=nobody,r=abcdef");
  g_autoptr(GBytes) s1 = NULL;

  /* The second message looks like a known user's (RFC 5802 5.1)... */
  g_assert_cmpint (ml_sasl_server_step (server, c1, &s1, &error), ==, ML_SASL_STEP_CONTINUE);
  g_assert_no_error (error);
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (s1, NULL), g_bytes_get_size (s1));

    g_assert_true (g_str_has_prefix (text, "r=abcdef"));
  }
  /* ...and the end fails like a wrong password. */
  g_assert_cmpint (scram_run ("nobody", "pencil", &error), ==, ML_SASL_STEP_FAILURE);
  g_assert_error (error, ML_SASL_ERROR, ML_SASL_ERROR_FAILED);
}

static void
test_scram_saslname_escaping (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, "a,b=c", "commas", 3);
  g_autoptr(GBytes) c1 = NULL;

  ml_sasl_client_set_nonce (client, "xyz");
  c1 = ml_sasl_client_initial (client);
  assert_bytes_eq (c1, "n,,n=a=2Cb=3Dc,r=xyz");
  g_assert_cmpint (scram_run ("a,b=c", "commas", &error), ==, ML_SASL_STEP_SUCCESS);
  g_assert_no_error (error);
}

static void
test_scram_server_rejects (void)
{
  static const struct { const char *msg; gint code; } cases[] = {
    { "p=tls-unique,,n=user,r=abc", ML_SASL_ERROR_FAILED },   /* needs channel binding */
    { "x,,n=user,r=abc", ML_SASL_ERROR_MALFORMED },           /* bad cbind flag */
    { "n,,n=us=2Xer,r=abc", ML_SASL_ERROR_MALFORMED },        /* bad saslname escape */
    { "n,,n=user=,r=abc", ML_SASL_ERROR_MALFORMED },          /* '=' at the end */
    { "n,,m=ext,n=user,r=abc", ML_SASL_ERROR_MALFORMED },     /* mandatory extension */
    { "n,,r=abc,n=user", ML_SASL_ERROR_MALFORMED },           /* order */
    { "n,,n=user", ML_SASL_ERROR_MALFORMED },                 /* no nonce */
    { "n,,n=user,r=", ML_SASL_ERROR_MALFORMED },              /* empty nonce */
    { "n,,n=,r=abc", ML_SASL_ERROR_MALFORMED },               /* empty user */
    { "n,a=Kurt,n=user,r=abc", ML_SASL_ERROR_FAILED },        /* act as another */
    { "n,", ML_SASL_ERROR_MALFORMED },
    { "", ML_SASL_ERROR_MALFORMED },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) msg = bytes_of (cases[i].msg);
      g_autoptr(GBytes) out = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("client-first %s", cases[i].msg);
      g_assert_cmpint (server_once (ML_SASL_SCRAM_SHA_256, msg, &out, &error, NULL),
                       ==, ML_SASL_STEP_FAILURE);
      g_assert_error (error, ML_SASL_ERROR, cases[i].code);
      g_assert_null (out);
    }
}

static void
test_scram_y_flag_accepted (void)
{
  g_autoptr(MlSaslServer) server = ml_sasl_server_new (ML_SASL_SCRAM_SHA_256, lookup, NULL, 1);
  g_autoptr(GBytes) c1 = bytes_of ("y,,n=user,r=" VEC_CLIENT_NONCE);
  g_autoptr(GBytes) s1 = NULL, c2 = NULL, s2 = NULL;
  g_autoptr(GError) error = NULL;

  /* RFC 5802 6: "y" is only a downgrade sign for a server that could
   * bind; ours cannot, so the exchange goes on, and c= must carry "y,,". */
  ml_sasl_server_set_nonce (server, VEC_SERVER_NONCE);
  g_assert_cmpint (ml_sasl_server_step (server, c1, &s1, &error), ==, ML_SASL_STEP_CONTINUE);
  g_assert_no_error (error);
  /* The vector's proof was made over c=biws ("n,,"): with "y,," it must
   * fail on the channel-binding check. */
  c2 = bytes_of (VEC_C2);
  g_assert_cmpint (ml_sasl_server_step (server, c2, &s2, &error), ==, ML_SASL_STEP_FAILURE);
  g_assert_error (error, ML_SASL_ERROR, ML_SASL_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "c="));
}

static void
test_scram_final_rejects (void)
{
  static const char *const finals[] = {
    /* the wrong nonce */
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    /* a proof one bit off */
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVU=",
    /* a proof that is not base64 */
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzb!",
    /* no proof */
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    /* channel binding that is not our header */
    "c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (finals); i++)
    {
      g_autoptr(MlSaslServer) server = ml_sasl_server_new (ML_SASL_SCRAM_SHA_256, lookup, NULL, 1);
      g_autoptr(GBytes) c1 = bytes_of (VEC_C1), c2 = bytes_of (finals[i]);
      g_autoptr(GBytes) s1 = NULL, s2 = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("client-final %s", finals[i]);
      ml_sasl_server_set_nonce (server, VEC_SERVER_NONCE);
      g_assert_cmpint (ml_sasl_server_step (server, c1, &s1, &error), ==, ML_SASL_STEP_CONTINUE);
      g_assert_cmpint (ml_sasl_server_step (server, c2, &s2, &error), ==, ML_SASL_STEP_FAILURE);
      g_assert_nonnull (error);
      g_assert_null (s2);
      g_assert_null (ml_sasl_server_get_user (server));
    }
}

static void
test_scram_client_checks_server (void)
{
  static const struct { const char *s1; const char *s2; gint code; } cases[] = {
    /* a forged server signature: the server does not know the password */
    { VEC_S1, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=", ML_SASL_ERROR_SERVER },
    { VEC_S1, "e=invalid-proof", ML_SASL_ERROR_FAILED },
    { VEC_S1, "x=whatever", ML_SASL_ERROR_MALFORMED },
    /* a nonce that is not ours */
    { "r=XXprNGfwEbeRWgbNEkqO%hvYDp,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", NULL, ML_SASL_ERROR_SERVER },
    /* a nonce the server added nothing to */
    { "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", NULL, ML_SASL_ERROR_SERVER },
    /* too few iterations (RFC 7677 4) */
    { "r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1", NULL, ML_SASL_ERROR_SERVER },
    { "r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=40x96", NULL, ML_SASL_ERROR_SERVER },
    { "r=rOprNGfwEbeRWgbNEkqO%hv,s=W22Z!,i=4096", NULL, ML_SASL_ERROR_MALFORMED },
    { "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqO%hv,i=4096", NULL, ML_SASL_ERROR_MALFORMED },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MlSaslClient) client = ml_sasl_client_new (ML_SASL_SCRAM_SHA_256, "user", "pencil", 1);
      g_autoptr(GBytes) c1 = NULL, s1 = bytes_of (cases[i].s1), c2 = NULL, c3 = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("server messages %s / %s", cases[i].s1, cases[i].s2);
      ml_sasl_client_set_nonce (client, VEC_CLIENT_NONCE);
      c1 = ml_sasl_client_initial (client);
      c2 = ml_sasl_client_step (client, s1, &error);
      if (cases[i].s2 != NULL)
        {
          g_autoptr(GBytes) s2 = bytes_of (cases[i].s2);

          g_assert_no_error (error);
          assert_bytes_eq (c2, VEC_C2);
          c3 = ml_sasl_client_step (client, s2, &error);
        }
      g_assert_null (cases[i].s2 != NULL ? c3 : c2);
      g_assert_error (error, ML_SASL_ERROR, cases[i].code);
      g_assert_false (ml_sasl_client_server_verified (client));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sasl/base64/strict", test_base64_strict);
  g_test_add_func ("/sasl/base64/limit", test_base64_limit);
  g_test_add_func ("/sasl/base64/encode", test_base64_encode);
  g_test_add_func ("/sasl/mechanism/names", test_mechanism_names);
  g_test_add_func ("/sasl/secret/check-password", test_secret_check);
  g_test_add_func ("/sasl/plain/rfc4616-examples", test_plain_rfc4616_examples);
  g_test_add_func ("/sasl/plain/authzid-self", test_plain_authzid_self);
  g_test_add_func ("/sasl/plain/no-initial-response", test_plain_no_initial_response);
  g_test_add_func ("/sasl/plain/wrong-password-unknown-user", test_plain_wrong_password_unknown_user);
  g_test_add_func ("/sasl/plain/malformed", test_plain_malformed);
  g_test_add_func ("/sasl/plain/client", test_plain_client);
  g_test_add_func ("/sasl/server/over-long-message", test_over_long_message);
  g_test_add_func ("/sasl/login/exchange", test_login_exchange);
  g_test_add_func ("/sasl/login/initial-response-and-failure", test_login_initial_response_and_failure);
  g_test_add_data_func ("/sasl/scram/rfc7677-vector", NULL, test_scram_rfc7677_vector);
  g_test_add_data_func ("/sasl/scram/rfc7677-vector-keys-only", GINT_TO_POINTER (1),
                        test_scram_rfc7677_vector);
  g_test_add_func ("/sasl/scram/seeded-pair", test_scram_seeded_pair);
  g_test_add_func ("/sasl/scram/wrong-password", test_scram_wrong_password);
  g_test_add_func ("/sasl/scram/unknown-user", test_scram_unknown_user);
  g_test_add_func ("/sasl/scram/saslname-escaping", test_scram_saslname_escaping);
  g_test_add_func ("/sasl/scram/server-rejects-first", test_scram_server_rejects);
  g_test_add_func ("/sasl/scram/y-flag-accepted", test_scram_y_flag_accepted);
  g_test_add_func ("/sasl/scram/server-rejects-final", test_scram_final_rejects);
  g_test_add_func ("/sasl/scram/client-checks-server", test_scram_client_checks_server);

  return g_test_run ();
}

/* sasl.c — PLAIN, LOGIN and SCRAM-SHA-256 on decoded bytes (see sasl.h).
 *
 * The cryptography is OpenSSL's: PBKDF2 for SaltedPassword (RFC 5802 3 Hi),
 * HMAC-SHA-256 and SHA-256 for the keys and signatures, CRYPTO_memcmp for
 * every comparison a timing could leak. base64 is our own strict decoder:
 * GLib's g_base64_decode skips characters outside the alphabet, and
 * OpenSSL's EVP_DecodeBlock accepts whitespace and hides how much padding
 * there was, while RFC 4954 4 asks us to reject anything that is not
 * exactly base64.
 */
#define G_LOG_DOMAIN "ml-sasl"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include "proto/sasl.h"

/* RFC 4616 2: "authzid", "authcid" and "passwd" are each at most 255
 * octets of UTF-8 (the ABNF's 1*SAFE / 0*SAFE with the prose limit). */
#define ML_SASL_PLAIN_MAX_FIELD   255
/* RFC 5802 5.1: the nonce is the client's plus the server's part; ours is
 * 18 random bytes in base64 (printable, never ','). */
#define ML_SASL_SCRAM_NONCE_BYTES 18
/* RFC 7677 4 wants at least 4096 iterations; a client also bounds them
 * from above so a hostile server cannot make it spin (RFC 5802 9). */
#define ML_SASL_SCRAM_MAX_ITERATIONS 1000000

G_DEFINE_QUARK (ml-sasl-error-quark, ml_sasl_error)

static const char *const mechanism_names[ML_SASL_N_MECHANISMS] = {
  [ML_SASL_PLAIN] = "PLAIN",
  [ML_SASL_LOGIN] = "LOGIN",
  [ML_SASL_SCRAM_SHA_256] = "SCRAM-SHA-256",
};

const char *
ml_sasl_mechanism_name (MlSaslMechanism mechanism)
{
  g_return_val_if_fail (mechanism < ML_SASL_N_MECHANISMS, NULL);
  return mechanism_names[mechanism];
}

gboolean
ml_sasl_mechanism_from_name (const char *name, MlSaslMechanism *mechanism_out)
{
  g_return_val_if_fail (name != NULL, FALSE);
  for (guint i = 0; i < ML_SASL_N_MECHANISMS; i++)
    if (g_ascii_strcasecmp (name, mechanism_names[i]) == 0)
      {
        if (mechanism_out != NULL)
          *mechanism_out = (MlSaslMechanism) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
ml_sasl_mechanism_is_plaintext (MlSaslMechanism mechanism)
{
  return mechanism == ML_SASL_PLAIN || mechanism == ML_SASL_LOGIN;
}

/* ---- base64 (RFC 4648 4) ---- */

static int
b64_value (guchar c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

GBytes *
ml_sasl_base64_decode (const char *text, gsize len, GError **error)
{
  g_autoptr(GByteArray) out = NULL;
  gsize pad = 0;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  /* RFC 4954 4: "=" is an empty initial response; an empty line is the
   * empty string's base64 (RFC 4648 10), an empty response. */
  if (len == 0 || (len == 1 && text[0] == '='))
    return g_bytes_new (NULL, 0);
  if (len % 4 != 0)
    {
      g_set_error (error, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED,
                   "base64 length %" G_GSIZE_FORMAT " is not a multiple of 4", len);
      return NULL;
    }
  if (len / 4 * 3 > ML_SASL_MAX_MESSAGE + 2)
    {
      g_set_error (error, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED,
                   "SASL message longer than %d octets", ML_SASL_MAX_MESSAGE);
      return NULL;
    }
  if (text[len - 1] == '=')
    pad = text[len - 2] == '=' ? 2 : 1;

  out = g_byte_array_sized_new (len / 4 * 3);
  for (gsize i = 0; i < len; i += 4)
    {
      gboolean last = i + 4 == len;
      int v[4];
      guint32 group;

      for (int k = 0; k < 4; k++)
        {
          guchar c = (guchar) text[i + k];

          /* Padding only at the very end (RFC 4648 3.3: anything else is
           * not base64 and must be rejected, not skipped). */
          if (c == '=' && last && k >= 4 - (int) pad)
            v[k] = 0;
          else if ((v[k] = b64_value (c)) < 0)
            {
              g_set_error (error, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED,
                           "character 0x%02x at %" G_GSIZE_FORMAT " is not base64",
                           c, i + k);
              return NULL;
            }
        }
      group = (guint32) v[0] << 18 | (guint32) v[1] << 12 | (guint32) v[2] << 6 | (guint32) v[3];
      /* RFC 4648 3.5: the bits padding leaves over must be zero, so every
       * message has exactly one encoding. */
      if (last && ((pad == 1 && (group & 0xff) != 0) || (pad == 2 && (group & 0xffff) != 0)))
        {
          g_set_error_literal (error, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED,
                               "base64 pad bits are not zero");
          return NULL;
        }
      {
        guint8 b[3] = { group >> 16, (group >> 8) & 0xff, group & 0xff };

        g_byte_array_append (out, b, last ? 3 - pad : 3);
      }
    }
  if (out->len > ML_SASL_MAX_MESSAGE)
    {
      g_set_error (error, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED,
                   "SASL message longer than %d octets", ML_SASL_MAX_MESSAGE);
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

char *
ml_sasl_base64_encode (const guint8 *data, gsize len)
{
  if (len == 0)
    return g_strdup ("=");
  return g_base64_encode (data, len);
}

/* ---- crypto helpers (RFC 5802 3) ---- */

static void
hmac_sha256 (const guint8 *key, gsize key_len, const void *data, gsize data_len,
             guint8 out[ML_SASL_SHA256_LEN])
{
  unsigned int out_len = ML_SASL_SHA256_LEN;

  if (HMAC (EVP_sha256 (), key, (int) key_len, data, data_len, out, &out_len) == NULL
      || out_len != ML_SASL_SHA256_LEN)
    g_error ("OpenSSL HMAC-SHA-256 failed");
}

static void
salted_password (const char *password, const guint8 *salt, gsize salt_len,
                 guint iterations, guint8 out[ML_SASL_SHA256_LEN])
{
  /* RFC 5802 3: Hi() is PBKDF2 (RFC 2898) with HMAC as the PRF and one
   * block of output. */
  if (PKCS5_PBKDF2_HMAC (password, (int) strlen (password), salt, (int) salt_len,
                         (int) iterations, EVP_sha256 (), ML_SASL_SHA256_LEN, out) != 1)
    g_error ("OpenSSL PBKDF2 failed");
}

static void
keys_from_salted (const guint8 salted[ML_SASL_SHA256_LEN],
                  guint8 client_key[ML_SASL_SHA256_LEN],
                  guint8 stored_key[ML_SASL_SHA256_LEN],
                  guint8 server_key[ML_SASL_SHA256_LEN])
{
  hmac_sha256 (salted, ML_SASL_SHA256_LEN, "Client Key", 10, client_key);
  SHA256 (client_key, ML_SASL_SHA256_LEN, stored_key);
  hmac_sha256 (salted, ML_SASL_SHA256_LEN, "Server Key", 10, server_key);
}

void
ml_sasl_secret_init_from_password (MlSaslSecret *secret, const char *password,
                                   const guint8 *salt, guint iterations)
{
  guint8 salted[ML_SASL_SHA256_LEN], client_key[ML_SASL_SHA256_LEN];

  g_return_if_fail (secret != NULL && password != NULL && salt != NULL);
  g_return_if_fail (iterations > 0);

  memset (secret, 0, sizeof *secret);
  secret->password = g_strdup (password);
  memcpy (secret->salt, salt, ML_SASL_SCRAM_SALT_LEN);
  secret->iterations = iterations;
  salted_password (password, salt, ML_SASL_SCRAM_SALT_LEN, iterations, salted);
  keys_from_salted (salted, client_key, secret->stored_key, secret->server_key);
  OPENSSL_cleanse (salted, sizeof salted);
  OPENSSL_cleanse (client_key, sizeof client_key);
}

void
ml_sasl_secret_clear (MlSaslSecret *secret)
{
  if (secret == NULL)
    return;
  if (secret->password != NULL)
    OPENSSL_cleanse (secret->password, strlen (secret->password));
  g_free (secret->password);
  OPENSSL_cleanse (secret, sizeof *secret);
}

gboolean
ml_sasl_secret_check_password (const MlSaslSecret *secret, const char *password)
{
  guint8 salted[ML_SASL_SHA256_LEN], client_key[ML_SASL_SHA256_LEN];
  guint8 stored[ML_SASL_SHA256_LEN], server[ML_SASL_SHA256_LEN];
  gboolean ok;

  g_return_val_if_fail (secret != NULL && password != NULL, FALSE);

  if (secret->password != NULL)
    {
      gsize a = strlen (secret->password), b = strlen (password);

      /* Compare digests, not the strings: equal-length buffers for
       * CRYPTO_memcmp whatever the lengths are. */
      SHA256 ((const guint8 *) secret->password, a, stored);
      SHA256 ((const guint8 *) password, b, server);
      return CRYPTO_memcmp (stored, server, ML_SASL_SHA256_LEN) == 0 && a == b;
    }
  if (secret->iterations == 0)
    return FALSE;
  salted_password (password, secret->salt, ML_SASL_SCRAM_SALT_LEN, secret->iterations, salted);
  keys_from_salted (salted, client_key, stored, server);
  ok = CRYPTO_memcmp (stored, secret->stored_key, ML_SASL_SHA256_LEN) == 0;
  OPENSSL_cleanse (salted, sizeof salted);
  OPENSSL_cleanse (client_key, sizeof client_key);
  return ok;
}

/* ---- shared syntax helpers ---- */

static GBytes *
bytes_from_string (GString *s)
{
  gsize len = s->len;

  return g_bytes_new_take (g_string_free (s, FALSE), len);
}

static char *
nonce_from_seed (guint64 seed)
{
  guint32 words[2] = { (guint32) seed, (guint32) (seed >> 32) };
  g_autoptr(GRand) rand = g_rand_new_with_seed_array (words, 2);
  guint8 raw[ML_SASL_SCRAM_NONCE_BYTES];

  for (gsize i = 0; i < sizeof raw; i++)
    raw[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return g_base64_encode (raw, sizeof raw);
}

/* RFC 5802 7: printable = %x21-2B / %x2D-7E (no ','). */
static gboolean
nonce_is_valid (const char *s, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
      return FALSE;
  return TRUE;
}

/* RFC 5802 5.1: in a saslname ',' is "=2C" and '=' is "=3D"; any other
 * '=' makes the message invalid. */
static char *
saslname_decode (const char *s, gsize len)
{
  g_autoptr(GString) out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == ',' || s[i] == '\0')
        return NULL;
      if (s[i] != '=')
        {
          g_string_append_c (out, s[i]);
          continue;
        }
      if (i + 2 < len && s[i + 1] == '2' && s[i + 2] == 'C')
        g_string_append_c (out, ',');
      else if (i + 2 < len && s[i + 1] == '3' && s[i + 2] == 'D')
        g_string_append_c (out, '=');
      else
        return NULL;
      i += 2;
    }
  if (out->len == 0 || !g_utf8_validate (out->str, out->len, NULL))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
saslname_encode (const char *s)
{
  GString *out = g_string_new (NULL);

  for (; *s != '\0'; s++)
    if (*s == ',')
      g_string_append (out, "=2C");
    else if (*s == '=')
      g_string_append (out, "=3D");
    else
      g_string_append_c (out, *s);
  return g_string_free (out, FALSE);
}

/* Splits "a=v,b=w" into attributes; each must be "x=" with a single
 * letter (RFC 5802 7 attr-val). Returns NULL on a syntax error. */
static char **
split_attributes (const char *msg)
{
  g_auto(GStrv) parts = g_strsplit (msg, ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (!g_ascii_isalpha (parts[i][0]) || parts[i][1] != '=')
      return NULL;
  return g_steal_pointer (&parts);
}

static gboolean
message_is_text (GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len == 0)
    return TRUE;
  return memchr (data, '\0', len) == NULL && g_utf8_validate (data, len, NULL);
}

static char *
message_dup (GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return len == 0 ? g_strdup ("") : g_strndup (data, len);
}

/* ---- server ---- */

typedef enum {
  SERVER_START = 0,
  SERVER_LOGIN_PASSWORD,   /* LOGIN: user name given, waiting for the password */
  SERVER_SCRAM_FINAL,      /* SCRAM: server-first sent, waiting for client-final */
  SERVER_DONE,
} ServerPhase;

struct _MlSaslServer
{
  MlSaslMechanism  mechanism;
  MlSaslLookupFunc lookup;
  gpointer         user_data;
  ServerPhase      phase;
  char            *nonce;        /* SCRAM: our part of the nonce */
  char            *user;         /* authcid, once known */
  gboolean         authenticated;

  /* SCRAM state between the two client messages */
  MlSaslSecret     secret;
  gboolean         user_known;
  char            *gs2_header;   /* "n,," as the client sent it */
  char            *client_first_bare;
  char            *server_first;
  char            *full_nonce;
};

MlSaslServer *
ml_sasl_server_new (MlSaslMechanism mechanism, MlSaslLookupFunc lookup,
                    gpointer user_data, guint64 nonce_seed)
{
  MlSaslServer *self;

  g_return_val_if_fail (mechanism < ML_SASL_N_MECHANISMS, NULL);
  g_return_val_if_fail (lookup != NULL, NULL);

  self = g_new0 (MlSaslServer, 1);
  self->mechanism = mechanism;
  self->lookup = lookup;
  self->user_data = user_data;
  self->nonce = nonce_from_seed (nonce_seed);
  return self;
}

void
ml_sasl_server_set_nonce (MlSaslServer *self, const char *nonce)
{
  g_return_if_fail (self != NULL && nonce != NULL);
  g_return_if_fail (nonce_is_valid (nonce, strlen (nonce)));
  g_free (self->nonce);
  self->nonce = g_strdup (nonce);
}

void
ml_sasl_server_free (MlSaslServer *self)
{
  if (self == NULL)
    return;
  ml_sasl_secret_clear (&self->secret);
  g_free (self->nonce);
  g_free (self->user);
  g_free (self->gs2_header);
  g_free (self->client_first_bare);
  g_free (self->server_first);
  g_free (self->full_nonce);
  g_free (self);
}

const char *
ml_sasl_server_get_user (MlSaslServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->authenticated ? self->user : NULL;
}

const char *
ml_sasl_server_get_authcid (MlSaslServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->user;
}

static MlSaslStep
server_fail (MlSaslServer *self, GError **error, MlSaslError code, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static MlSaslStep
server_fail (MlSaslServer *self, GError **error, MlSaslError code, const char *fmt, ...)
{
  va_list ap;

  self->phase = SERVER_DONE;
  va_start (ap, fmt);
  if (error != NULL)
    {
      g_assert (*error == NULL);
      *error = g_error_new_valist (ML_SASL_ERROR, code, fmt, ap);
    }
  va_end (ap);
  return ML_SASL_STEP_FAILURE;
}

/* PLAIN and LOGIN end here: the password against the account. */
static MlSaslStep
server_check_password (MlSaslServer *self, const char *user, const char *password,
                       GError **error)
{
  MlSaslSecret secret = { 0 };
  gboolean ok;

  g_free (self->user);
  self->user = g_strdup (user);
  if (!self->lookup (user, &secret, self->user_data))
    {
      ml_sasl_secret_clear (&secret);
      return server_fail (self, error, ML_SASL_ERROR_FAILED, "no such user %s", user);
    }
  ok = ml_sasl_secret_check_password (&secret, password);
  ml_sasl_secret_clear (&secret);
  if (!ok)
    return server_fail (self, error, ML_SASL_ERROR_FAILED, "wrong password for %s", user);
  self->phase = SERVER_DONE;
  self->authenticated = TRUE;
  return ML_SASL_STEP_SUCCESS;
}

static gboolean
plain_field_ok (const char *field, gsize len, gboolean may_be_empty)
{
  if (len == 0)
    return may_be_empty;
  return len <= ML_SASL_PLAIN_MAX_FIELD && g_utf8_validate (field, len, NULL);
}

/* RFC 4616 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd. */
static MlSaslStep
server_plain (MlSaslServer *self, GBytes *response, GBytes **out, GError **error)
{
  gsize len;
  const char *data;
  const char *nul1, *nul2;
  g_autofree char *authzid = NULL, *authcid = NULL, *passwd = NULL;
  MlSaslStep step;

  if (response == NULL)
    {
      /* RFC 4422 3.3: no initial response, so an empty challenge asks
       * for it. */
      *out = g_bytes_new (NULL, 0);
      return ML_SASL_STEP_CONTINUE;
    }
  data = g_bytes_get_data (response, &len);
  nul1 = len > 0 ? memchr (data, '\0', len) : NULL;
  nul2 = nul1 != NULL ? memchr (nul1 + 1, '\0', len - (gsize) (nul1 + 1 - data)) : NULL;
  if (nul1 == NULL || nul2 == NULL)
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "PLAIN message needs authzid NUL authcid NUL passwd (RFC 4616 2)");
  {
    gsize zlen = (gsize) (nul1 - data);
    gsize clen = (gsize) (nul2 - nul1 - 1);
    gsize plen = len - (gsize) (nul2 + 1 - data);

    if (!plain_field_ok (data, zlen, TRUE)
        || !plain_field_ok (nul1 + 1, clen, FALSE)
        || !plain_field_ok (nul2 + 1, plen, FALSE)
        || memchr (nul2 + 1, '\0', plen) != NULL)
      return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                          "PLAIN field empty, over %d octets or not UTF-8 (RFC 4616 2)",
                          ML_SASL_PLAIN_MAX_FIELD);
    authzid = g_strndup (data, zlen);
    authcid = g_strndup (nul1 + 1, clen);
    passwd = g_strndup (nul2 + 1, plen);
  }
  step = server_check_password (self, authcid, passwd, error);
  OPENSSL_cleanse (passwd, strlen (passwd));
  if (step != ML_SASL_STEP_SUCCESS)
    return step;
  /* RFC 4616 2: an authzid asks to act as someone else; we only allow
   * acting as oneself. */
  if (authzid[0] != '\0' && strcmp (authzid, authcid) != 0)
    {
      self->authenticated = FALSE;
      return server_fail (self, error, ML_SASL_ERROR_FAILED,
                          "%s may not act as %s (RFC 4616 2 authzid)", authcid, authzid);
    }
  return step;
}

/* draft-murchison-sasl-login 2: the server asks "Username:" then
 * "Password:"; a client may send the user name as an initial response. */
static MlSaslStep
server_login (MlSaslServer *self, GBytes *response, GBytes **out, GError **error)
{
  g_autofree char *text = NULL;

  if (self->phase == SERVER_START && response == NULL)
    {
      *out = g_bytes_new_static ("Username:", 9);
      return ML_SASL_STEP_CONTINUE;
    }
  if (!message_is_text (response) || g_bytes_get_size (response) == 0
      || g_bytes_get_size (response) > ML_SASL_PLAIN_MAX_FIELD)
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "LOGIN %s empty, over %d octets or not UTF-8",
                        self->phase == SERVER_START ? "user name" : "password",
                        ML_SASL_PLAIN_MAX_FIELD);
  text = message_dup (response);
  if (self->phase == SERVER_START)
    {
      self->user = g_steal_pointer (&text);
      self->phase = SERVER_LOGIN_PASSWORD;
      *out = g_bytes_new_static ("Password:", 9);
      return ML_SASL_STEP_CONTINUE;
    }
  {
    g_autofree char *user = g_strdup (self->user);
    MlSaslStep step = server_check_password (self, user, text, error);

    OPENSSL_cleanse (text, strlen (text));
    return step;
  }
}

/* RFC 5802 5.1: an unknown user gets the same exchange as a known one,
 * with a salt made from the name, so the second message does not say
 * whether the account exists. */
static void
fake_secret (MlSaslServer *self, const char *user)
{
  guint8 digest[ML_SASL_SHA256_LEN];

  hmac_sha256 ((const guint8 *) self->nonce, strlen (self->nonce), user, strlen (user), digest);
  memset (&self->secret, 0, sizeof self->secret);
  memcpy (self->secret.salt, digest, ML_SASL_SCRAM_SALT_LEN);
  self->secret.iterations = ML_SASL_SCRAM_ITERATIONS;
  hmac_sha256 (digest, sizeof digest, "stored", 6, self->secret.stored_key);
  hmac_sha256 (digest, sizeof digest, "server", 6, self->secret.server_key);
}

static MlSaslStep
server_scram_first (MlSaslServer *self, GBytes *response, GBytes **out, GError **error)
{
  g_autofree char *msg = NULL;
  g_auto(GStrv) attrs = NULL;
  const char *p, *bare, *user_attr, *nonce_attr;
  g_autofree char *user = NULL;
  g_autofree char *salt64 = NULL;
  gsize gs2_len;

  if (response == NULL)
    {
      /* RFC 5802 5: the client speaks first; ask for client-first. */
      *out = g_bytes_new (NULL, 0);
      return ML_SASL_STEP_CONTINUE;
    }
  if (!message_is_text (response))
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM message is not UTF-8 text");
  msg = message_dup (response);

  /* RFC 5802 7: gs2-header = gs2-cbind-flag "," [ authzid ] "," */
  p = msg;
  if (p[0] == 'p' && p[1] == '=')
    return server_fail (self, error, ML_SASL_ERROR_FAILED,
                        "client requires channel binding, which this server does not offer "
                        "(RFC 5802 6: e=channel-bindings-not-supported)");
  /* RFC 5802 6: "y" means the client could bind but believes we cannot;
   * we indeed cannot (no -PLUS offered), so that is no downgrade. */
  if ((p[0] != 'n' && p[0] != 'y') || p[1] != ',')
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM gs2 header must start with n, y or p= (RFC 5802 7)");
  p += 2;
  if (p[0] == 'a' && p[1] == '=')
    {
      const char *comma = strchr (p, ',');
      g_autofree char *authzid = NULL;

      if (comma == NULL || (authzid = saslname_decode (p + 2, (gsize) (comma - p - 2))) == NULL)
        return server_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM authzid is not a saslname");
      g_free (self->gs2_header);
      self->gs2_header = g_strndup (msg, (gsize) (comma + 1 - msg));
      p = comma + 1;
      /* Checked against the user name below. */
      g_free (self->user);
      self->user = g_steal_pointer (&authzid);
    }
  else if (p[0] == ',')
    {
      p++;
      g_free (self->gs2_header);
      self->gs2_header = g_strndup (msg, (gsize) (p - msg));
    }
  else
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM gs2 header is malformed");
  gs2_len = (gsize) (p - msg);
  bare = msg + gs2_len;

  attrs = split_attributes (bare);
  if (attrs == NULL || g_strv_length (attrs) < 2)
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM client-first-message needs n= and r= (RFC 5802 7)");
  /* RFC 5802 5.1: "m" is reserved for mandatory extensions we cannot know. */
  if (attrs[0][0] == 'm')
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM mandatory extension not supported (RFC 5802 5.1 m=)");
  user_attr = attrs[0];
  nonce_attr = attrs[1];
  if (user_attr[0] != 'n' || nonce_attr[0] != 'r'
      || (user = saslname_decode (user_attr + 2, strlen (user_attr + 2))) == NULL
      || !nonce_is_valid (nonce_attr + 2, strlen (nonce_attr + 2)))
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM client-first-message has a bad n= or r= (RFC 5802 7)");
  if (self->user != NULL && strcmp (self->user, user) != 0)
    return server_fail (self, error, ML_SASL_ERROR_FAILED,
                        "%s may not act as %s (RFC 5802 5.1 a=)", user, self->user);
  g_free (self->user);
  self->user = g_steal_pointer (&user);

  self->user_known = self->lookup (self->user, &self->secret, self->user_data);
  if (!self->user_known || self->secret.iterations == 0)
    {
      ml_sasl_secret_clear (&self->secret);
      fake_secret (self, self->user);
    }

  self->client_first_bare = g_strdup (bare);
  self->full_nonce = g_strconcat (nonce_attr + 2, self->nonce, NULL);
  salt64 = g_base64_encode (self->secret.salt, ML_SASL_SCRAM_SALT_LEN);
  self->server_first = g_strdup_printf ("r=%s,s=%s,i=%u", self->full_nonce, salt64,
                                        self->secret.iterations);
  self->phase = SERVER_SCRAM_FINAL;
  *out = g_bytes_new (self->server_first, strlen (self->server_first));
  return ML_SASL_STEP_CONTINUE;
}

static MlSaslStep
server_scram_final (MlSaslServer *self, GBytes *response, GBytes **out, GError **error)
{
  g_autofree char *msg = NULL;
  g_auto(GStrv) attrs = NULL;
  g_autofree char *cbind = NULL;
  g_autoptr(GBytes) proof = NULL;
  g_autoptr(GString) auth_message = NULL;
  const char *proof_attr;
  guint n;
  guint8 signature[ML_SASL_SHA256_LEN], client_key[ML_SASL_SHA256_LEN];
  guint8 stored[ML_SASL_SHA256_LEN], server_sig[ML_SASL_SHA256_LEN];
  g_autofree char *v64 = NULL;
  const guint8 *p;

  if (response == NULL || !message_is_text (response))
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM client-final is not text");
  msg = message_dup (response);
  attrs = split_attributes (msg);
  if (attrs == NULL || (n = g_strv_length (attrs)) < 3)
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM client-final-message needs c=, r= and p= (RFC 5802 7)");
  proof_attr = attrs[n - 1];
  if (attrs[0][0] != 'c' || attrs[1][0] != 'r' || proof_attr[0] != 'p')
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM client-final-message needs c=, r= and p= (RFC 5802 7)");
  /* RFC 5802 6: the server must always check c= against the header. */
  cbind = g_base64_encode ((const guint8 *) self->gs2_header, strlen (self->gs2_header));
  if (strcmp (attrs[0] + 2, cbind) != 0)
    return server_fail (self, error, ML_SASL_ERROR_FAILED,
                        "SCRAM channel binding c= does not match the gs2 header (RFC 5802 6)");
  if (strcmp (attrs[1] + 2, self->full_nonce) != 0)
    return server_fail (self, error, ML_SASL_ERROR_FAILED,
                        "SCRAM nonce r= is not the one we agreed (RFC 5802 5.1)");
  {
    g_autoptr(GError) local = NULL;

    proof = ml_sasl_base64_decode (proof_attr + 2, strlen (proof_attr + 2), &local);
    if (proof == NULL || g_bytes_get_size (proof) != ML_SASL_SHA256_LEN)
      return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                          "SCRAM proof p= is not %d octets of base64", ML_SASL_SHA256_LEN);
  }

  /* RFC 5802 3: AuthMessage = client-first-message-bare + "," +
   * server-first-message + "," + client-final-message-without-proof. */
  auth_message = g_string_new (self->client_first_bare);
  g_string_append_c (auth_message, ',');
  g_string_append (auth_message, self->server_first);
  g_string_append_c (auth_message, ',');
  g_string_append_len (auth_message, msg, (gssize) (strlen (msg) - strlen (proof_attr) - 1));

  hmac_sha256 (self->secret.stored_key, ML_SASL_SHA256_LEN,
               auth_message->str, auth_message->len, signature);
  p = g_bytes_get_data (proof, NULL);
  for (int i = 0; i < ML_SASL_SHA256_LEN; i++)
    client_key[i] = p[i] ^ signature[i];
  SHA256 (client_key, ML_SASL_SHA256_LEN, stored);
  if (CRYPTO_memcmp (stored, self->secret.stored_key, ML_SASL_SHA256_LEN) != 0 || !self->user_known)
    return server_fail (self, error, ML_SASL_ERROR_FAILED,
                        self->user_known ? "SCRAM proof for %s does not verify (wrong password)"
                                         : "no such user %s",
                        self->user);

  hmac_sha256 (self->secret.server_key, ML_SASL_SHA256_LEN,
               auth_message->str, auth_message->len, server_sig);
  v64 = g_base64_encode (server_sig, ML_SASL_SHA256_LEN);
  {
    GString *v = g_string_new ("v=");

    g_string_append (v, v64);
    *out = bytes_from_string (v);
  }
  self->phase = SERVER_DONE;
  self->authenticated = TRUE;
  return ML_SASL_STEP_SUCCESS;
}

MlSaslStep
ml_sasl_server_step (MlSaslServer *self, GBytes *response, GBytes **out, GError **error)
{
  g_return_val_if_fail (self != NULL, ML_SASL_STEP_FAILURE);
  g_return_val_if_fail (out != NULL, ML_SASL_STEP_FAILURE);

  *out = NULL;
  if (response != NULL && g_bytes_get_size (response) > ML_SASL_MAX_MESSAGE)
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SASL message longer than %d octets", ML_SASL_MAX_MESSAGE);
  if (self->phase == SERVER_DONE)
    return server_fail (self, error, ML_SASL_ERROR_MALFORMED, "SASL exchange already finished");

  switch (self->mechanism)
    {
    case ML_SASL_PLAIN:
      return server_plain (self, response, out, error);
    case ML_SASL_LOGIN:
      return server_login (self, response, out, error);
    case ML_SASL_SCRAM_SHA_256:
      if (self->phase == SERVER_START)
        return server_scram_first (self, response, out, error);
      return server_scram_final (self, response, out, error);
    case ML_SASL_N_MECHANISMS:
    default:
      break;
    }
  return server_fail (self, error, ML_SASL_ERROR_UNSUPPORTED, "unknown mechanism");
}

/* ---- client ---- */

typedef enum {
  CLIENT_START = 0,
  CLIENT_LOGIN_USER,
  CLIENT_LOGIN_PASSWORD,
  CLIENT_SCRAM_FIRST_SENT,
  CLIENT_SCRAM_FINAL_SENT,
  CLIENT_DONE,
} ClientPhase;

struct _MlSaslClient
{
  MlSaslMechanism mechanism;
  char           *user;
  char           *password;
  char           *nonce;
  ClientPhase     phase;
  gboolean        server_verified;
  char           *client_first_bare;
  guint8          server_signature[ML_SASL_SHA256_LEN];
};

MlSaslClient *
ml_sasl_client_new (MlSaslMechanism mechanism, const char *user,
                    const char *password, guint64 nonce_seed)
{
  MlSaslClient *self;

  g_return_val_if_fail (mechanism < ML_SASL_N_MECHANISMS, NULL);
  g_return_val_if_fail (user != NULL && password != NULL, NULL);

  self = g_new0 (MlSaslClient, 1);
  self->mechanism = mechanism;
  self->user = g_strdup (user);
  self->password = g_strdup (password);
  self->nonce = nonce_from_seed (nonce_seed);
  return self;
}

void
ml_sasl_client_set_nonce (MlSaslClient *self, const char *nonce)
{
  g_return_if_fail (self != NULL && nonce != NULL);
  g_return_if_fail (nonce_is_valid (nonce, strlen (nonce)));
  g_free (self->nonce);
  self->nonce = g_strdup (nonce);
}

void
ml_sasl_client_free (MlSaslClient *self)
{
  if (self == NULL)
    return;
  OPENSSL_cleanse (self->password, strlen (self->password));
  g_free (self->password);
  g_free (self->user);
  g_free (self->nonce);
  g_free (self->client_first_bare);
  g_free (self);
}

GBytes *
ml_sasl_client_initial (MlSaslClient *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  switch (self->mechanism)
    {
    case ML_SASL_PLAIN:
      {
        /* RFC 4616 2, with an empty authzid: act as ourselves. */
        GString *m = g_string_new (NULL);

        g_string_append_c (m, '\0');
        g_string_append (m, self->user);
        g_string_append_c (m, '\0');
        g_string_append (m, self->password);
        self->phase = CLIENT_DONE;
        return bytes_from_string (m);
      }
    case ML_SASL_SCRAM_SHA_256:
      {
        g_autofree char *name = saslname_encode (self->user);

        /* RFC 5802 7: gs2 header "n,," — we do not support channel
         * binding, and say so (RFC 5802 6). */
        g_free (self->client_first_bare);
        self->client_first_bare = g_strdup_printf ("n=%s,r=%s", name, self->nonce);
        self->phase = CLIENT_SCRAM_FIRST_SENT;
        {
          GString *m = g_string_new ("n,,");

          g_string_append (m, self->client_first_bare);
          return bytes_from_string (m);
        }
      }
    case ML_SASL_LOGIN:
    case ML_SASL_N_MECHANISMS:
    default:
      self->phase = CLIENT_LOGIN_USER;
      return NULL;
    }
}

static GBytes *
client_fail (MlSaslClient *self, GError **error, MlSaslError code, const char *message)
{
  self->phase = CLIENT_DONE;
  g_set_error_literal (error, ML_SASL_ERROR, code, message);
  return NULL;
}

/* RFC 5802 5.1: server-first-message = r=nonce,s=salt,i=count. */
static GBytes *
client_scram_final (MlSaslClient *self, GBytes *challenge, GError **error)
{
  g_autofree char *msg = NULL;
  g_auto(GStrv) attrs = NULL;
  g_autoptr(GBytes) salt = NULL;
  g_autoptr(GString) without_proof = NULL;
  g_autoptr(GString) auth_message = NULL;
  const char *nonce;
  guint64 iterations;
  char *end = NULL;
  guint8 salted[ML_SASL_SHA256_LEN], client_key[ML_SASL_SHA256_LEN];
  guint8 stored[ML_SASL_SHA256_LEN], server_key[ML_SASL_SHA256_LEN];
  guint8 signature[ML_SASL_SHA256_LEN], proof[ML_SASL_SHA256_LEN];
  g_autofree char *proof64 = NULL;
  GString *final;

  if (!message_is_text (challenge))
    return client_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM server-first is not text");
  msg = message_dup (challenge);
  attrs = split_attributes (msg);
  if (attrs == NULL || g_strv_length (attrs) < 3
      || attrs[0][0] != 'r' || attrs[1][0] != 's' || attrs[2][0] != 'i')
    return client_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM server-first-message needs r=, s= and i= (RFC 5802 7)");
  nonce = attrs[0] + 2;
  /* RFC 5802 5.1: the combined nonce starts with ours and adds the
   * server's part. */
  if (!g_str_has_prefix (nonce, self->nonce) || strlen (nonce) == strlen (self->nonce)
      || !nonce_is_valid (nonce, strlen (nonce)))
    return client_fail (self, error, ML_SASL_ERROR_SERVER,
                        "SCRAM server nonce does not extend ours (RFC 5802 5.1)");
  salt = ml_sasl_base64_decode (attrs[1] + 2, strlen (attrs[1] + 2), NULL);
  if (salt == NULL || g_bytes_get_size (salt) == 0)
    return client_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM salt s= is not base64");
  iterations = g_ascii_strtoull (attrs[2] + 2, &end, 10);
  if (end == attrs[2] + 2 || *end != '\0'
      || iterations < ML_SASL_SCRAM_ITERATIONS || iterations > ML_SASL_SCRAM_MAX_ITERATIONS)
    return client_fail (self, error, ML_SASL_ERROR_SERVER,
                        "SCRAM iteration count i= outside 4096..1000000 (RFC 7677 4)");

  without_proof = g_string_new (NULL);
  /* "biws" is base64("n,,"): the gs2 header we sent (RFC 5802 7 c=). */
  g_string_append_printf (without_proof, "c=biws,r=%s", nonce);
  auth_message = g_string_new (self->client_first_bare);
  g_string_append_printf (auth_message, ",%s,%s", msg, without_proof->str);

  {
    gsize salt_len;
    const guint8 *salt_data = g_bytes_get_data (salt, &salt_len);

    salted_password (self->password, salt_data, salt_len, (guint) iterations, salted);
  }
  keys_from_salted (salted, client_key, stored, server_key);
  hmac_sha256 (stored, ML_SASL_SHA256_LEN, auth_message->str, auth_message->len, signature);
  for (int i = 0; i < ML_SASL_SHA256_LEN; i++)
    proof[i] = client_key[i] ^ signature[i];
  hmac_sha256 (server_key, ML_SASL_SHA256_LEN, auth_message->str, auth_message->len,
               self->server_signature);
  OPENSSL_cleanse (salted, sizeof salted);
  OPENSSL_cleanse (client_key, sizeof client_key);

  proof64 = g_base64_encode (proof, sizeof proof);
  final = g_string_new (without_proof->str);
  g_string_append_printf (final, ",p=%s", proof64);
  self->phase = CLIENT_SCRAM_FINAL_SENT;
  return bytes_from_string (final);
}

/* RFC 5802 5.1: server-final-message = "v=" signature, or "e=" error. */
static GBytes *
client_scram_verify (MlSaslClient *self, GBytes *challenge, GError **error)
{
  g_autofree char *msg = NULL;
  g_autoptr(GBytes) sig = NULL;

  if (!message_is_text (challenge))
    return client_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM server-final is not text");
  msg = message_dup (challenge);
  if (g_str_has_prefix (msg, "e="))
    return client_fail (self, error, ML_SASL_ERROR_FAILED, msg);
  if (!g_str_has_prefix (msg, "v="))
    return client_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM server-final-message needs v= (RFC 5802 7)");
  {
    const char *v = msg + 2;
    const char *comma = strchr (v, ',');

    sig = ml_sasl_base64_decode (v, comma != NULL ? (gsize) (comma - v) : strlen (v), NULL);
  }
  if (sig == NULL || g_bytes_get_size (sig) != ML_SASL_SHA256_LEN
      || CRYPTO_memcmp (g_bytes_get_data (sig, NULL), self->server_signature,
                        ML_SASL_SHA256_LEN) != 0)
    return client_fail (self, error, ML_SASL_ERROR_SERVER,
                        "SCRAM server signature does not verify: this server does not "
                        "know our password (RFC 5802 3 ServerSignature)");
  self->server_verified = TRUE;
  self->phase = CLIENT_DONE;
  return g_bytes_new (NULL, 0);
}

GBytes *
ml_sasl_client_step (MlSaslClient *self, GBytes *challenge, GError **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (challenge != NULL, NULL);

  if (g_bytes_get_size (challenge) > ML_SASL_MAX_MESSAGE)
    return client_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SASL challenge longer than the limit");
  switch (self->phase)
    {
    case CLIENT_START:
      /* A server that sends an empty challenge where we have an initial
       * response wants that response now (RFC 4422 3.3). */
      if (g_bytes_get_size (challenge) == 0 && self->mechanism != ML_SASL_LOGIN)
        return ml_sasl_client_initial (self);
      if (self->mechanism != ML_SASL_LOGIN)
        return client_fail (self, error, ML_SASL_ERROR_MALFORMED,
                            "unexpected challenge before the initial response");
      self->phase = CLIENT_LOGIN_USER;
      G_GNUC_FALLTHROUGH;
    case CLIENT_LOGIN_USER:
    case CLIENT_LOGIN_PASSWORD:
      {
        gsize len;
        const char *prompt = g_bytes_get_data (challenge, &len);

        /* draft-murchison-sasl-login: the prompts are "Username:" and
         * "Password:"; servers vary the words ("User Name"), so the
         * password prompt is recognised by its start and the order. */
        if ((len >= 4 && g_ascii_strncasecmp (prompt, "Pass", 4) == 0)
            || self->phase == CLIENT_LOGIN_PASSWORD)
          {
            self->phase = CLIENT_DONE;
            return g_bytes_new (self->password, strlen (self->password));
          }
        self->phase = CLIENT_LOGIN_PASSWORD;
        return g_bytes_new (self->user, strlen (self->user));
      }
    case CLIENT_SCRAM_FIRST_SENT:
      return client_scram_final (self, challenge, error);
    case CLIENT_SCRAM_FINAL_SENT:
      return client_scram_verify (self, challenge, error);
    case CLIENT_DONE:
    default:
      break;
    }
  return client_fail (self, error, ML_SASL_ERROR_MALFORMED,
                      "challenge after the exchange finished");
}

gboolean
ml_sasl_client_server_verified (MlSaslClient *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->mechanism != ML_SASL_SCRAM_SHA_256)
    return TRUE;
  return self->server_verified;
}

/* sasl.c — mechanism names, strict base64, account secrets, PLAIN and
 * LOGIN, and the step dispatch (see sasl.h); SCRAM-SHA-256's messages are
 * in sasl-scram.c.
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
#include "proto/sasl-private.h"

/* RFC 4616 2: "authzid", "authcid" and "passwd" are each at most 255
 * octets of UTF-8 (the ABNF's 1*SAFE / 0*SAFE with the prose limit). */
#define ML_SASL_PLAIN_MAX_FIELD   255
/* RFC 5802 5.1: the nonce is the client's plus the server's part; ours is
 * 18 random bytes in base64 (printable, never ','). */
#define ML_SASL_SCRAM_NONCE_BYTES 18

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

void
_ml_sasl_hmac_sha256 (const guint8 *key, gsize key_len, const void *data, gsize data_len,
             guint8 out[ML_SASL_SHA256_LEN])
{
  unsigned int out_len = ML_SASL_SHA256_LEN;

  if (HMAC (EVP_sha256 (), key, (int) key_len, data, data_len, out, &out_len) == NULL
      || out_len != ML_SASL_SHA256_LEN)
    g_error ("OpenSSL HMAC-SHA-256 failed");
}

void
_ml_sasl_salted_password (const char *password, const guint8 *salt, gsize salt_len,
                 guint iterations, guint8 out[ML_SASL_SHA256_LEN])
{
  /* RFC 5802 3: Hi() is PBKDF2 (RFC 2898) with HMAC as the PRF and one
   * block of output. */
  if (PKCS5_PBKDF2_HMAC (password, (int) strlen (password), salt, (int) salt_len,
                         (int) iterations, EVP_sha256 (), ML_SASL_SHA256_LEN, out) != 1)
    g_error ("OpenSSL PBKDF2 failed");
}

void
_ml_sasl_keys_from_salted (const guint8 salted[ML_SASL_SHA256_LEN],
                  guint8 client_key[ML_SASL_SHA256_LEN],
                  guint8 stored_key[ML_SASL_SHA256_LEN],
                  guint8 server_key[ML_SASL_SHA256_LEN])
{
  _ml_sasl_hmac_sha256 (salted, ML_SASL_SHA256_LEN, "Client Key", 10, client_key);
  SHA256 (client_key, ML_SASL_SHA256_LEN, stored_key);
  _ml_sasl_hmac_sha256 (salted, ML_SASL_SHA256_LEN, "Server Key", 10, server_key);
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
  _ml_sasl_salted_password (password, salt, ML_SASL_SCRAM_SALT_LEN, iterations, salted);
  _ml_sasl_keys_from_salted (salted, client_key, secret->stored_key, secret->server_key);
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
  _ml_sasl_salted_password (password, secret->salt, ML_SASL_SCRAM_SALT_LEN, secret->iterations, salted);
  _ml_sasl_keys_from_salted (salted, client_key, stored, server);
  ok = CRYPTO_memcmp (stored, secret->stored_key, ML_SASL_SHA256_LEN) == 0;
  OPENSSL_cleanse (salted, sizeof salted);
  OPENSSL_cleanse (client_key, sizeof client_key);
  return ok;
}

/* ---- shared syntax helpers ---- */

GBytes *
_ml_sasl_bytes_from_string (GString *s)
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
gboolean
_ml_sasl_nonce_is_valid (const char *s, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
      return FALSE;
  return TRUE;
}

gboolean
_ml_sasl_message_is_text (GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len == 0)
    return TRUE;
  return memchr (data, '\0', len) == NULL && g_utf8_validate (data, len, NULL);
}

char *
_ml_sasl_message_dup (GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return len == 0 ? g_strdup ("") : g_strndup (data, len);
}

/* ---- server ---- */

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
  g_return_if_fail (_ml_sasl_nonce_is_valid (nonce, strlen (nonce)));
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

MlSaslStep
_ml_sasl_server_fail (MlSaslServer *self, GError **error, MlSaslError code, const char *fmt, ...)
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
      return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_FAILED, "no such user %s", user);
    }
  ok = ml_sasl_secret_check_password (&secret, password);
  ml_sasl_secret_clear (&secret);
  if (!ok)
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_FAILED, "wrong password for %s", user);
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
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "PLAIN message needs authzid NUL authcid NUL passwd (RFC 4616 2)");
  {
    gsize zlen = (gsize) (nul1 - data);
    gsize clen = (gsize) (nul2 - nul1 - 1);
    gsize plen = len - (gsize) (nul2 + 1 - data);

    if (!plain_field_ok (data, zlen, TRUE)
        || !plain_field_ok (nul1 + 1, clen, FALSE)
        || !plain_field_ok (nul2 + 1, plen, FALSE)
        || memchr (nul2 + 1, '\0', plen) != NULL)
      return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
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
      return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_FAILED,
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
  if (!_ml_sasl_message_is_text (response) || g_bytes_get_size (response) == 0
      || g_bytes_get_size (response) > ML_SASL_PLAIN_MAX_FIELD)
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "LOGIN %s empty, over %d octets or not UTF-8",
                        self->phase == SERVER_START ? "user name" : "password",
                        ML_SASL_PLAIN_MAX_FIELD);
  text = _ml_sasl_message_dup (response);
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

MlSaslStep
ml_sasl_server_step (MlSaslServer *self, GBytes *response, GBytes **out, GError **error)
{
  g_return_val_if_fail (self != NULL, ML_SASL_STEP_FAILURE);
  g_return_val_if_fail (out != NULL, ML_SASL_STEP_FAILURE);

  *out = NULL;
  if (response != NULL && g_bytes_get_size (response) > ML_SASL_MAX_MESSAGE)
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SASL message longer than %d octets", ML_SASL_MAX_MESSAGE);
  if (self->phase == SERVER_DONE)
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED, "SASL exchange already finished");

  switch (self->mechanism)
    {
    case ML_SASL_PLAIN:
      return server_plain (self, response, out, error);
    case ML_SASL_LOGIN:
      return server_login (self, response, out, error);
    case ML_SASL_SCRAM_SHA_256:
      if (self->phase == SERVER_START)
        return _ml_sasl_scram_server_first (self, response, out, error);
      return _ml_sasl_scram_server_final (self, response, out, error);
    case ML_SASL_N_MECHANISMS:
    default:
      break;
    }
  return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_UNSUPPORTED, "unknown mechanism");
}

/* ---- client ---- */

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
  g_return_if_fail (_ml_sasl_nonce_is_valid (nonce, strlen (nonce)));
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
        return _ml_sasl_bytes_from_string (m);
      }
    case ML_SASL_SCRAM_SHA_256:
      return _ml_sasl_scram_client_first (self);
    case ML_SASL_LOGIN:
    case ML_SASL_N_MECHANISMS:
    default:
      self->phase = CLIENT_LOGIN_USER;
      return NULL;
    }
}

GBytes *
_ml_sasl_client_fail (MlSaslClient *self, GError **error, MlSaslError code, const char *message)
{
  self->phase = CLIENT_DONE;
  g_set_error_literal (error, ML_SASL_ERROR, code, message);
  return NULL;
}

GBytes *
ml_sasl_client_step (MlSaslClient *self, GBytes *challenge, GError **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (challenge != NULL, NULL);

  if (g_bytes_get_size (challenge) > ML_SASL_MAX_MESSAGE)
    return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SASL challenge longer than the limit");
  switch (self->phase)
    {
    case CLIENT_START:
      /* A server that sends an empty challenge where we have an initial
       * response wants that response now (RFC 4422 3.3). */
      if (g_bytes_get_size (challenge) == 0 && self->mechanism != ML_SASL_LOGIN)
        return ml_sasl_client_initial (self);
      if (self->mechanism != ML_SASL_LOGIN)
        return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_MALFORMED,
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
      return _ml_sasl_scram_client_final (self, challenge, error);
    case CLIENT_SCRAM_FINAL_SENT:
      return _ml_sasl_scram_client_verify (self, challenge, error);
    case CLIENT_DONE:
    default:
      break;
    }
  return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_MALFORMED,
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

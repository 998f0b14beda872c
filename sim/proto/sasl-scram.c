/* sasl-scram.c — SCRAM-SHA-256 (RFC 5802 with SHA-256, RFC 7677), both
 * sides: the message syntax of RFC 5802 7, the proofs of RFC 5802 3, and
 * no channel binding (we offer no -PLUS variant, RFC 5802 6).
 */
#define G_LOG_DOMAIN "ml-sasl"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "proto/sasl-private.h"

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

/* RFC 5802 5.1: an unknown user gets the same exchange as a known one,
 * with a salt made from the name, so the second message does not say
 * whether the account exists. */
static void
fake_secret (MlSaslServer *self, const char *user)
{
  guint8 digest[ML_SASL_SHA256_LEN];

  _ml_sasl_hmac_sha256 ((const guint8 *) self->nonce, strlen (self->nonce), user, strlen (user), digest);
  memset (&self->secret, 0, sizeof self->secret);
  memcpy (self->secret.salt, digest, ML_SASL_SCRAM_SALT_LEN);
  self->secret.iterations = ML_SASL_SCRAM_ITERATIONS;
  _ml_sasl_hmac_sha256 (digest, sizeof digest, "stored", 6, self->secret.stored_key);
  _ml_sasl_hmac_sha256 (digest, sizeof digest, "server", 6, self->secret.server_key);
}

MlSaslStep
_ml_sasl_scram_server_first (MlSaslServer *self, GBytes *response, GBytes **out, GError **error)
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
  if (!_ml_sasl_message_is_text (response))
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM message is not UTF-8 text");
  msg = _ml_sasl_message_dup (response);

  /* RFC 5802 7: gs2-header = gs2-cbind-flag "," [ authzid ] "," */
  p = msg;
  if (p[0] == 'p' && p[1] == '=')
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_FAILED,
                        "client requires channel binding, which this server does not offer "
                        "(RFC 5802 6: e=channel-bindings-not-supported)");
  /* RFC 5802 6: "y" means the client could bind but believes we cannot;
   * we indeed cannot (no -PLUS offered), so that is no downgrade. */
  if ((p[0] != 'n' && p[0] != 'y') || p[1] != ',')
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM gs2 header must start with n, y or p= (RFC 5802 7)");
  p += 2;
  if (p[0] == 'a' && p[1] == '=')
    {
      const char *comma = strchr (p, ',');
      g_autofree char *authzid = NULL;

      if (comma == NULL || (authzid = saslname_decode (p + 2, (gsize) (comma - p - 2))) == NULL)
        return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM authzid is not a saslname");
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
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM gs2 header is malformed");
  gs2_len = (gsize) (p - msg);
  bare = msg + gs2_len;

  attrs = split_attributes (bare);
  if (attrs == NULL || g_strv_length (attrs) < 2)
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM client-first-message needs n= and r= (RFC 5802 7)");
  /* RFC 5802 5.1: "m" is reserved for mandatory extensions we cannot know. */
  if (attrs[0][0] == 'm')
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM mandatory extension not supported (RFC 5802 5.1 m=)");
  user_attr = attrs[0];
  nonce_attr = attrs[1];
  if (user_attr[0] != 'n' || nonce_attr[0] != 'r'
      || (user = saslname_decode (user_attr + 2, strlen (user_attr + 2))) == NULL
      || !_ml_sasl_nonce_is_valid (nonce_attr + 2, strlen (nonce_attr + 2)))
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM client-first-message has a bad n= or r= (RFC 5802 7)");
  if (self->user != NULL && strcmp (self->user, user) != 0)
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_FAILED,
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

MlSaslStep
_ml_sasl_scram_server_final (MlSaslServer *self, GBytes *response, GBytes **out, GError **error)
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

  if (response == NULL || !_ml_sasl_message_is_text (response))
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM client-final is not text");
  msg = _ml_sasl_message_dup (response);
  attrs = split_attributes (msg);
  if (attrs == NULL || (n = g_strv_length (attrs)) < 3)
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM client-final-message needs c=, r= and p= (RFC 5802 7)");
  proof_attr = attrs[n - 1];
  if (attrs[0][0] != 'c' || attrs[1][0] != 'r' || proof_attr[0] != 'p')
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM client-final-message needs c=, r= and p= (RFC 5802 7)");
  /* RFC 5802 6: the server must always check c= against the header. */
  cbind = g_base64_encode ((const guint8 *) self->gs2_header, strlen (self->gs2_header));
  if (strcmp (attrs[0] + 2, cbind) != 0)
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_FAILED,
                        "SCRAM channel binding c= does not match the gs2 header (RFC 5802 6)");
  if (strcmp (attrs[1] + 2, self->full_nonce) != 0)
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_FAILED,
                        "SCRAM nonce r= is not the one we agreed (RFC 5802 5.1)");
  {
    g_autoptr(GError) local = NULL;

    proof = ml_sasl_base64_decode (proof_attr + 2, strlen (proof_attr + 2), &local);
    if (proof == NULL || g_bytes_get_size (proof) != ML_SASL_SHA256_LEN)
      return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_MALFORMED,
                          "SCRAM proof p= is not %d octets of base64", ML_SASL_SHA256_LEN);
  }

  /* RFC 5802 3: AuthMessage = client-first-message-bare + "," +
   * server-first-message + "," + client-final-message-without-proof. */
  auth_message = g_string_new (self->client_first_bare);
  g_string_append_c (auth_message, ',');
  g_string_append (auth_message, self->server_first);
  g_string_append_c (auth_message, ',');
  g_string_append_len (auth_message, msg, (gssize) (strlen (msg) - strlen (proof_attr) - 1));

  _ml_sasl_hmac_sha256 (self->secret.stored_key, ML_SASL_SHA256_LEN,
               auth_message->str, auth_message->len, signature);
  p = g_bytes_get_data (proof, NULL);
  for (int i = 0; i < ML_SASL_SHA256_LEN; i++)
    client_key[i] = p[i] ^ signature[i];
  SHA256 (client_key, ML_SASL_SHA256_LEN, stored);
  if (CRYPTO_memcmp (stored, self->secret.stored_key, ML_SASL_SHA256_LEN) != 0 || !self->user_known)
    return _ml_sasl_server_fail (self, error, ML_SASL_ERROR_FAILED,
                        self->user_known ? "SCRAM proof for %s does not verify (wrong password)"
                                         : "no such user %s",
                        self->user);

  _ml_sasl_hmac_sha256 (self->secret.server_key, ML_SASL_SHA256_LEN,
               auth_message->str, auth_message->len, server_sig);
  v64 = g_base64_encode (server_sig, ML_SASL_SHA256_LEN);
  {
    GString *v = g_string_new ("v=");

    g_string_append (v, v64);
    *out = _ml_sasl_bytes_from_string (v);
  }
  self->phase = SERVER_DONE;
  self->authenticated = TRUE;
  return ML_SASL_STEP_SUCCESS;
}

/* RFC 5802 5.1: server-first-message = r=nonce,s=salt,i=count. */
GBytes *
_ml_sasl_scram_client_final (MlSaslClient *self, GBytes *challenge, GError **error)
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

  if (!_ml_sasl_message_is_text (challenge))
    return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM server-first is not text");
  msg = _ml_sasl_message_dup (challenge);
  attrs = split_attributes (msg);
  if (attrs == NULL || g_strv_length (attrs) < 3
      || attrs[0][0] != 'r' || attrs[1][0] != 's' || attrs[2][0] != 'i')
    return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM server-first-message needs r=, s= and i= (RFC 5802 7)");
  nonce = attrs[0] + 2;
  /* RFC 5802 5.1: the combined nonce starts with ours and adds the
   * server's part. */
  if (!g_str_has_prefix (nonce, self->nonce) || strlen (nonce) == strlen (self->nonce)
      || !_ml_sasl_nonce_is_valid (nonce, strlen (nonce)))
    return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_SERVER,
                        "SCRAM server nonce does not extend ours (RFC 5802 5.1)");
  salt = ml_sasl_base64_decode (attrs[1] + 2, strlen (attrs[1] + 2), NULL);
  if (salt == NULL || g_bytes_get_size (salt) == 0)
    return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM salt s= is not base64");
  iterations = g_ascii_strtoull (attrs[2] + 2, &end, 10);
  if (end == attrs[2] + 2 || *end != '\0'
      || iterations < ML_SASL_SCRAM_ITERATIONS || iterations > ML_SASL_SCRAM_MAX_ITERATIONS)
    return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_SERVER,
                        "SCRAM iteration count i= outside 4096..1000000 (RFC 7677 4)");

  without_proof = g_string_new (NULL);
  /* "biws" is base64("n,,"): the gs2 header we sent (RFC 5802 7 c=). */
  g_string_append_printf (without_proof, "c=biws,r=%s", nonce);
  auth_message = g_string_new (self->client_first_bare);
  g_string_append_printf (auth_message, ",%s,%s", msg, without_proof->str);

  {
    gsize salt_len;
    const guint8 *salt_data = g_bytes_get_data (salt, &salt_len);

    _ml_sasl_salted_password (self->password, salt_data, salt_len, (guint) iterations, salted);
  }
  _ml_sasl_keys_from_salted (salted, client_key, stored, server_key);
  _ml_sasl_hmac_sha256 (stored, ML_SASL_SHA256_LEN, auth_message->str, auth_message->len, signature);
  for (int i = 0; i < ML_SASL_SHA256_LEN; i++)
    proof[i] = client_key[i] ^ signature[i];
  _ml_sasl_hmac_sha256 (server_key, ML_SASL_SHA256_LEN, auth_message->str, auth_message->len,
               self->server_signature);
  OPENSSL_cleanse (salted, sizeof salted);
  OPENSSL_cleanse (client_key, sizeof client_key);

  proof64 = g_base64_encode (proof, sizeof proof);
  final = g_string_new (without_proof->str);
  g_string_append_printf (final, ",p=%s", proof64);
  self->phase = CLIENT_SCRAM_FINAL_SENT;
  return _ml_sasl_bytes_from_string (final);
}

/* RFC 5802 5.1: server-final-message = "v=" signature, or "e=" error. */
GBytes *
_ml_sasl_scram_client_verify (MlSaslClient *self, GBytes *challenge, GError **error)
{
  g_autofree char *msg = NULL;
  g_autoptr(GBytes) sig = NULL;

  if (!_ml_sasl_message_is_text (challenge))
    return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_MALFORMED, "SCRAM server-final is not text");
  msg = _ml_sasl_message_dup (challenge);
  if (g_str_has_prefix (msg, "e="))
    return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_FAILED, msg);
  if (!g_str_has_prefix (msg, "v="))
    return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_MALFORMED,
                        "SCRAM server-final-message needs v= (RFC 5802 7)");
  {
    const char *v = msg + 2;
    const char *comma = strchr (v, ',');

    sig = ml_sasl_base64_decode (v, comma != NULL ? (gsize) (comma - v) : strlen (v), NULL);
  }
  if (sig == NULL || g_bytes_get_size (sig) != ML_SASL_SHA256_LEN
      || CRYPTO_memcmp (g_bytes_get_data (sig, NULL), self->server_signature,
                        ML_SASL_SHA256_LEN) != 0)
    return _ml_sasl_client_fail (self, error, ML_SASL_ERROR_SERVER,
                        "SCRAM server signature does not verify: this server does not "
                        "know our password (RFC 5802 3 ServerSignature)");
  self->server_verified = TRUE;
  self->phase = CLIENT_DONE;
  return g_bytes_new (NULL, 0);
}

GBytes *
_ml_sasl_scram_client_first (MlSaslClient *self)
{
  g_autofree char *name = saslname_encode (self->user);
  GString *m = g_string_new ("n,,");

  /* RFC 5802 7: gs2 header "n,," — we do not support channel binding,
   * and say so (RFC 5802 6). */
  g_free (self->client_first_bare);
  self->client_first_bare = g_strdup_printf ("n=%s,r=%s", name, self->nonce);
  self->phase = CLIENT_SCRAM_FIRST_SENT;
  g_string_append (m, self->client_first_bare);
  return _ml_sasl_bytes_from_string (m);
}


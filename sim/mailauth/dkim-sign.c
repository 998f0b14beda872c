/* dkim-sign.c — the signer's side of RFC 6376 (5) with RFC 8463's
 * ed25519-sha256, and the keys the simulation publishes (3.6.1).
 */
#include "mailauth/dkim-private.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

/* RFC 5322 2.1.1: lines SHOULD stay under 78 characters; we fold there. */
#define FOLD_COLUMN 76

static const char *const default_fields[] = {
  "From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To",
  "In-Reply-To", "References", "MIME-Version", "Content-Type",
  "Content-Transfer-Encoding", NULL,
};

const char * const *
ml_dkim_default_signed_fields (void)
{
  return default_fields;
}

static gboolean
message_has_field (GArray *fields, const char *name)
{
  gsize n = strlen (name);

  for (guint i = 0; i < fields->len; i++)
    {
      MlDkimField *f = &g_array_index (fields, MlDkimField, i);

      if (f->name_len == n && g_ascii_strncasecmp (f->start, name, n) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Appends @piece after a space, or on a new folded line when the current
 * one would pass FOLD_COLUMN (RFC 5322 3.2.2 FWS). */
static void
fold_append (GString *out, gsize *column, const char *piece)
{
  gsize n = strlen (piece);

  if (*column + 1 + n > FOLD_COLUMN)
    {
      g_string_append (out, "\r\n\t");
      *column = 8;
    }
  else
    {
      g_string_append_c (out, ' ');
      (*column)++;
    }
  g_string_append (out, piece);
  *column += n;
}

/* RFC 6376 3.5 d= and s= are domain names (selectors are sub-domains,
 * 3.1): letters, digits, "-", "_" and dots, so nothing that could end
 * the tag early. */
static gboolean
valid_name (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > 253)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
key_algorithm (EVP_PKEY *key, MlDkimAlgorithm *alg, GError **error)
{
  if (EVP_PKEY_is_a (key, "ED25519"))
    *alg = ML_DKIM_ED25519_SHA256;
  else if (EVP_PKEY_is_a (key, "RSA") && EVP_PKEY_get_bits (key) >= ML_DKIM_MIN_RSA_BITS)
    *alg = ML_DKIM_RSA_SHA256;
  else
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_KEY,
                   "the key is neither Ed25519 nor RSA of at least %d bits (RFC 8301 3.2)",
                   ML_DKIM_MIN_RSA_BITS);
      return FALSE;
    }
  return TRUE;
}

char *
ml_dkim_sign (const char              *message,
              gsize                    len,
              const MlDkimSignOptions *options,
              EVP_PKEY                *key,
              GError                 **error)
{
  g_autoptr(GArray) fields = NULL;
  g_autoptr(GPtrArray) h_list = g_ptr_array_new ();
  g_autoptr(GString) out = g_string_new ("DKIM-Signature: v=1;");
  g_autoptr(GByteArray) data = NULL;
  g_autoptr(MlDkimMdCtx) ctx = NULL;
  g_autofree char *bh = NULL, *h = NULL, *piece = NULL, *b = NULL;
  g_autofree guchar *sig = NULL;
  const char * const *wanted = options->fields ? options->fields : default_fields;
  gboolean from = FALSE;
  MlDkimAlgorithm alg;
  gsize body, column = out->len, sig_len = 0;
  guint8 hash[SHA256_DIGEST_LENGTH];

  if (!valid_name (options->domain) || !valid_name (options->selector))
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_MESSAGE,
                   "d= and s= must be domain names (RFC 6376 3.5)");
      return NULL;
    }
  if (!key_algorithm (key, &alg, error))
    return NULL;
  fields = ml_dkim_split_message (message, len, &body);
  if (!message_has_field (fields, "From"))
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_MESSAGE,
                   "the message has no From field (RFC 6376 5.4: it MUST be signed)");
      return NULL;
    }
  for (guint i = 0; wanted[i] != NULL; i++)
    {
      from |= g_ascii_strcasecmp (wanted[i], "From") == 0;
      /* the default list names only what the message has, to keep h=
       * short; an explicit list is taken as given (5.4: signing an
       * absent field forbids adding it later) */
      if (options->fields != NULL || message_has_field (fields, wanted[i]))
        g_ptr_array_add (h_list, (gpointer) wanted[i]);
    }
  if (!from || h_list->len > ML_DKIM_MAX_SIGNED_FIELDS)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_MESSAGE,
                   "the fields to sign must include From (RFC 6376 5.4) and be at most %d",
                   ML_DKIM_MAX_SIGNED_FIELDS);
      return NULL;
    }
  g_ptr_array_add (h_list, NULL);
  bh = ml_dkim_body_hash (message + body, len - body, options->body_canon, -1);

  piece = g_strdup_printf ("a=%s;", ml_dkim_algorithm_to_string (alg));
  fold_append (out, &column, piece);
  g_free (piece);
  piece = g_strdup_printf ("c=%s/%s;", ml_dkim_canon_to_string (options->header_canon),
                           ml_dkim_canon_to_string (options->body_canon));
  fold_append (out, &column, piece);
  g_free (piece);
  piece = g_strdup_printf ("d=%s;", options->domain);
  fold_append (out, &column, piece);
  g_free (piece);
  piece = g_strdup_printf ("s=%s;", options->selector);
  fold_append (out, &column, piece);
  g_free (piece);
  if (options->timestamp >= 0)
    {
      piece = g_strdup_printf ("t=%" G_GINT64_FORMAT ";", options->timestamp);
      fold_append (out, &column, piece);
      g_clear_pointer (&piece, g_free);
    }
  h = g_strjoinv (":", (char **) h_list->pdata);
  piece = g_strdup_printf ("h=%s;", h);
  fold_append (out, &column, piece);
  g_free (piece);
  piece = g_strdup_printf ("bh=%s;", bh);
  fold_append (out, &column, piece);
  fold_append (out, &column, "b=");

  /* 3.7: hash the signed fields, then this field with b= empty. */
  data = ml_dkim_signed_data (fields, (char **) h_list->pdata, out->str, out->len,
                              options->header_canon);
  ctx = EVP_MD_CTX_new ();
  if (alg == ML_DKIM_ED25519_SHA256)
    {
      /* RFC 8463 3: PureEdDSA over the SHA-256 hash of the data */
      SHA256 (data->data, data->len, hash);
      if (EVP_DigestSignInit (ctx, NULL, NULL, NULL, key) != 1
          || EVP_DigestSign (ctx, NULL, &sig_len, hash, sizeof hash) != 1)
        goto crypto_error;
      sig = g_malloc (sig_len);
      if (EVP_DigestSign (ctx, sig, &sig_len, hash, sizeof hash) != 1)
        goto crypto_error;
    }
  else
    {
      /* 3.3.1: RSASSA-PKCS1-v1_5 with SHA-256 */
      if (EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key) != 1
          || EVP_DigestSign (ctx, NULL, &sig_len, data->data, data->len) != 1)
        goto crypto_error;
      sig = g_malloc (sig_len);
      if (EVP_DigestSign (ctx, sig, &sig_len, data->data, data->len) != 1)
        goto crypto_error;
    }
  b = g_base64_encode (sig, sig_len);
  /* fold b= in pieces; 3.5: whitespace in b= is ignored */
  for (gsize i = 0, n = strlen (b); i < n;)
    {
      gsize room = column < FOLD_COLUMN ? FOLD_COLUMN - column : 0;

      if (room < 8)
        {
          g_string_append (out, "\r\n\t");
          column = 8;
          continue;
        }
      room = MIN (room, n - i);
      g_string_append_len (out, b + i, room);
      column += room;
      i += room;
    }
  g_string_append (out, "\r\n");
  return g_string_free (g_steal_pointer (&out), FALSE);

crypto_error:
  g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_KEY, "OpenSSL could not sign with the key");
  return NULL;
}

/* A prime of @bits bits from SHA-256(@label, counter): the first prime
 * at or above a seeded odd number with its top two bits set (so p*q has
 * exactly 2*@bits bits), and p mod e != 1 so that e is invertible. The
 * primality test is OpenSSL's (FIPS 186-4 C.3 rounds); its own random
 * witnesses change how it tests, not which number it accepts. */
static BIGNUM *
seeded_prime (const char *label, int bits, BN_CTX *ctx)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  BIGNUM *p;

  for (guint32 counter = 0; bytes->len < (guint) bits / 8; counter++)
    {
      g_autofree char *input = g_strdup_printf ("%s/%u", label, counter);
      guint8 digest[SHA256_DIGEST_LENGTH];

      SHA256 ((const guint8 *) input, strlen (input), digest);
      g_byte_array_append (bytes, digest, sizeof digest);
    }
  p = BN_bin2bn (bytes->data, bits / 8, NULL);
  if (p == NULL || !BN_set_bit (p, bits - 1) || !BN_set_bit (p, bits - 2) || !BN_set_bit (p, 0))
    goto fail;
  while (BN_check_prime (p, ctx, NULL) != 1 || BN_mod_word (p, RSA_F4) == 1)
    if (!BN_add_word (p, 2))
      goto fail;
  return p;

fail:
  BN_free (p);
  return NULL;
}

/* RSA from seeded primes, so that a lesson's keys, and hence its b=
 * values and trace, are the same on every run (RSASSA-PKCS1-v1_5
 * signing itself is deterministic). */
static EVP_PKEY *
seeded_rsa (const char *label)
{
  g_autofree char *lp = g_strconcat (label, "/p", NULL);
  g_autofree char *lq = g_strconcat (label, "/q", NULL);
  BN_CTX *ctx = BN_CTX_new ();
  BIGNUM *p = seeded_prime (lp, ML_DKIM_SIGN_RSA_BITS / 2, ctx);
  BIGNUM *q = seeded_prime (lq, ML_DKIM_SIGN_RSA_BITS / 2, ctx);
  BIGNUM *n = BN_new (), *e = BN_new (), *d = BN_new (), *p1 = BN_new (), *q1 = BN_new ();
  BIGNUM *phi = BN_new (), *dp = BN_new (), *dq = BN_new (), *qinv = BN_new ();
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new ();
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *pctx = NULL;
  EVP_PKEY *key = NULL;

  if (p == NULL || q == NULL || BN_cmp (p, q) == 0
      || !BN_set_word (e, RSA_F4) || !BN_mul (n, p, q, ctx)
      || !BN_sub (p1, p, BN_value_one ()) || !BN_sub (q1, q, BN_value_one ())
      || !BN_mul (phi, p1, q1, ctx) || !BN_mod_inverse (d, e, phi, ctx)
      || !BN_mod (dp, d, p1, ctx) || !BN_mod (dq, d, q1, ctx)
      || !BN_mod_inverse (qinv, q, p, ctx))
    goto out;
  if (!OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_N, n)
      || !OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_E, e)
      || !OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_D, d)
      || !OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p)
      || !OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q)
      || !OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp)
      || !OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq)
      || !OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv)
      || (params = OSSL_PARAM_BLD_to_param (bld)) == NULL)
    goto out;
  pctx = EVP_PKEY_CTX_new_from_name (NULL, "RSA", NULL);
  if (pctx == NULL || EVP_PKEY_fromdata_init (pctx) != 1
      || EVP_PKEY_fromdata (pctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
    key = NULL;

out:
  EVP_PKEY_CTX_free (pctx);
  OSSL_PARAM_free (params);
  OSSL_PARAM_BLD_free (bld);
  BN_free (p);
  BN_free (q);
  BN_free (n);
  BN_free (e);
  BN_clear_free (d);
  BN_free (p1);
  BN_free (q1);
  BN_clear_free (phi);
  BN_clear_free (dp);
  BN_clear_free (dq);
  BN_free (qinv);
  BN_CTX_free (ctx);
  return key;
}

EVP_PKEY *
ml_dkim_key_generate (MlDkimAlgorithm alg,
                      guint64         seed,
                      const char     *domain,
                      const char     *selector)
{
  g_autofree char *input = g_strdup_printf ("maillab-dkim/%" G_GUINT64_FORMAT "/%s/%s",
                                            seed, domain, selector);

  if (alg == ML_DKIM_ED25519_SHA256)
    {
      guint8 secret[SHA256_DIGEST_LENGTH];

      /* RFC 8032 5.1.5: any 32 octets are a private key */
      SHA256 ((const guint8 *) input, strlen (input), secret);
      return EVP_PKEY_new_raw_private_key (EVP_PKEY_ED25519, NULL, secret, sizeof secret);
    }
  return seeded_rsa (input);
}

char *
ml_dkim_key_txt_record (EVP_PKEY *key)
{
  g_autofree guchar *der = NULL;
  g_autofree char *p = NULL;

  if (EVP_PKEY_is_a (key, "ED25519"))
    {
      guint8 raw[32];
      size_t n = sizeof raw;

      /* RFC 8463 4: p= is the bare 32-octet public key */
      if (EVP_PKEY_get_raw_public_key (key, raw, &n) != 1)
        return NULL;
      p = g_base64_encode (raw, n);
      return g_strdup_printf ("v=DKIM1; k=ed25519; p=%s", p);
    }
  else
    {
      guchar *q = NULL;
      int n = i2d_PUBKEY (key, &q);

      /* RFC 6376 3.6.1 p= (and C.3): SubjectPublicKeyInfo in DER */
      if (n <= 0)
        return NULL;
      der = q;
      p = g_base64_encode (der, (gsize) n);
      return g_strdup_printf ("v=DKIM1; k=rsa; p=%s", p);
    }
}

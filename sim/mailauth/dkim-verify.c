/* dkim-verify.c — the verifier of RFC 6376 6, over TXT answers handed in
 * by the owner (see dkim.h for why it restarts instead of blocking).
 */
#include "mailauth/dkim-private.h"

#include <string.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

/* RFC 1035 2.3.4: a name is at most 255 octets; a key's name is
 * <selector>._domainkey.<domain> (RFC 6376 3.6.2.1). */
#define MAX_KEY_NAME 255

typedef struct {
  MlDkimDnsStatus status;
  GStrv           values;
} Answer;

typedef struct {
  MlDkimResult result;
  char        *reason;
  const char  *explain_key;
  char        *domain;
  char        *selector;
} Verdict;

struct _MlDkimVerify
{
  char       *message;
  gsize       len;
  GArray     *fields;
  gsize       body;
  gint64      now;
  gboolean    has_now;
  GHashTable *answers;    /* lower-case name -> Answer* */
  GPtrArray  *verdicts;   /* Verdict* */
  char       *pending;
};

static void
answer_free (gpointer data)
{
  Answer *a = data;

  g_strfreev (a->values);
  g_free (a);
}

static void
verdict_free (gpointer data)
{
  Verdict *v = data;

  g_free (v->reason);
  g_free (v->domain);
  g_free (v->selector);
  g_free (v);
}

MlDkimVerify *
ml_dkim_verify_new (const char *message, gsize len)
{
  MlDkimVerify *self = g_new0 (MlDkimVerify, 1);

  self->message = g_strndup (message, len);
  self->len = len;
  self->fields = ml_dkim_split_message (self->message, len, &self->body);
  self->answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, answer_free);
  self->verdicts = g_ptr_array_new_with_free_func (verdict_free);
  return self;
}

void
ml_dkim_verify_free (MlDkimVerify *self)
{
  if (self == NULL)
    return;
  g_free (self->message);
  g_array_unref (self->fields);
  g_hash_table_unref (self->answers);
  g_ptr_array_unref (self->verdicts);
  g_free (self->pending);
  g_free (self);
}

void
ml_dkim_verify_set_now (MlDkimVerify *self, gint64 unix_seconds)
{
  self->now = unix_seconds;
  self->has_now = TRUE;
}

void
ml_dkim_verify_add_answer (MlDkimVerify       *self,
                           const char         *name,
                           MlDkimDnsStatus     status,
                           const char * const *values)
{
  Answer *a = g_new0 (Answer, 1);

  a->status = status;
  a->values = g_strdupv ((char **) (values ? values : (const char * const[]) { NULL }));
  g_hash_table_replace (self->answers, g_ascii_strdown (name, -1), a);
}

static void
add_verdict (MlDkimVerify *self, MlDkimSig *sig, MlDkimResult result,
             const char *explain_key, char *reason /* transfer full */)
{
  Verdict *v = g_new0 (Verdict, 1);

  v->result = result;
  v->reason = reason;
  v->explain_key = explain_key;
  if (sig != NULL)
    {
      v->domain = g_strdup (sig->domain);
      v->selector = g_strdup (sig->selector);
    }
  g_ptr_array_add (self->verdicts, v);
}

static EVP_PKEY *
load_key (MlDkimKeyRecord *rec)
{
  gsize n;
  const guchar *p = g_bytes_get_data (rec->key, &n);
  const guchar *q = p;
  EVP_PKEY *key;

  if (rec->alg == ML_DKIM_ED25519_SHA256)
    return EVP_PKEY_new_raw_public_key (EVP_PKEY_ED25519, NULL, p, n);
  /* RFC 6376 3.6.1 names RSAPublicKey, but everyone publishes (and
   * C.3 shows) SubjectPublicKeyInfo: accept both. */
  key = d2i_PUBKEY (NULL, &q, (long) n);
  if (key == NULL)
    {
      q = p;
      key = d2i_PublicKey (EVP_PKEY_RSA, NULL, &q, (long) n);
    }
  if (key != NULL && !EVP_PKEY_is_a (key, "RSA"))
    g_clear_pointer (&key, EVP_PKEY_free);
  return key;
}

static gboolean
check_signature (EVP_PKEY *key, MlDkimAlgorithm alg, GByteArray *data,
                 const guchar *sig, gsize sig_len)
{
  g_autoptr(MlDkimMdCtx) ctx = EVP_MD_CTX_new ();
  guint8 hash[SHA256_DIGEST_LENGTH];

  if (alg == ML_DKIM_ED25519_SHA256)
    {
      /* RFC 8463 3: the signature is over SHA-256(data), PureEdDSA */
      SHA256 (data->data, data->len, hash);
      return EVP_DigestVerifyInit (ctx, NULL, NULL, NULL, key) == 1
             && EVP_DigestVerify (ctx, sig, sig_len, hash, sizeof hash) == 1;
    }
  return EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, key) == 1
         && EVP_DigestVerify (ctx, sig, sig_len, data->data, data->len) == 1;
}

/* Verifies one signature; FALSE when its key's answer is still missing. */
static gboolean
verify_one (MlDkimVerify *self, MlDkimField *field)
{
  gsize value_off = field->name_len;
  g_autoptr(GError) error = NULL;
  MlDkimSig *sig;
  Answer *answer;
  g_autofree char *name = NULL, *bh = NULL;
  g_autoptr(GString) blanked = NULL;
  g_autoptr(GByteArray) data = NULL;
  g_autoptr(MlDkimPkey) key = NULL;
  g_autofree guchar *b = NULL;
  MlDkimKeyRecord *rec = NULL;
  gsize b_len = 0;

  while (value_off < field->len && field->start[value_off] != ':')
    value_off++;
  value_off++;
  sig = ml_dkim_sig_parse (field->start + value_off, field->len - value_off, &error);
  if (sig == NULL)
    {
      add_verdict (self, NULL, ML_DKIM_PERMERROR, "dkim.permerror",
                   g_strdup (error->message));
      return TRUE;
    }
  /* 3.5 x=: verifiers MAY treat an expired signature as invalid */
  if (self->has_now && sig->expires >= 0 && self->now > sig->expires)
    {
      add_verdict (self, sig, ML_DKIM_PERMERROR, "dkim.permerror",
                   g_strdup ("signature expired (x=)"));
      goto done;
    }
  {
    g_autofree char *full = g_strdup_printf ("%s._domainkey.%s", sig->selector, sig->domain);

    name = g_ascii_strdown (full, -1);
  }
  if (strlen (name) > MAX_KEY_NAME)
    {
      add_verdict (self, sig, ML_DKIM_PERMERROR, "dkim.permerror",
                   g_strdup ("key name longer than 255 octets"));
      goto done;
    }
  answer = g_hash_table_lookup (self->answers, name);
  if (answer == NULL)
    {
      g_free (self->pending);
      self->pending = g_steal_pointer (&name);
      ml_dkim_sig_free (sig);
      return FALSE;
    }
  /* 6.1.2: a DNS failure is temporary, a missing key permanent */
  if (answer->status == ML_DKIM_DNS_ERROR)
    {
      add_verdict (self, sig, ML_DKIM_TEMPERROR, "dkim.temperror",
                   g_strdup_printf ("DNS error fetching the key at %s", name));
      goto done;
    }
  if (answer->status == ML_DKIM_DNS_NXDOMAIN || answer->values[0] == NULL)
    {
      add_verdict (self, sig, ML_DKIM_PERMERROR, "dkim.permerror",
                   g_strdup_printf ("no key at %s", name));
      goto done;
    }
  for (guint i = 0; answer->values[i] != NULL && rec == NULL; i++)
    {
      g_clear_error (&error);
      rec = ml_dkim_key_record_parse (answer->values[i], &error);
    }
  if (rec == NULL)
    {
      add_verdict (self, sig, ML_DKIM_PERMERROR, "dkim.permerror",
                   g_strdup_printf ("unusable key record at %s: %s", name, error->message));
      goto done;
    }
  if (rec->key == NULL)
    {
      /* 3.6.1 p=: an empty value means the key has been revoked */
      add_verdict (self, sig, ML_DKIM_PERMERROR, "dkim.permerror", g_strdup ("key revoked"));
      goto done;
    }
  if (rec->alg != sig->alg)
    {
      add_verdict (self, sig, ML_DKIM_PERMERROR, "dkim.permerror",
                   g_strdup ("key type k= does not match a="));
      goto done;
    }
  if (rec->strict && sig->auid_domain != NULL
      && g_ascii_strcasecmp (sig->auid_domain, sig->domain) != 0)
    {
      add_verdict (self, sig, ML_DKIM_PERMERROR, "dkim.permerror",
                   g_strdup ("key has t=s but i= is a subdomain of d="));
      goto done;
    }
  key = load_key (rec);
  if (key == NULL || (rec->alg == ML_DKIM_RSA_SHA256
                      && EVP_PKEY_get_bits (key) < ML_DKIM_MIN_RSA_BITS))
    {
      add_verdict (self, sig, ML_DKIM_PERMERROR, "dkim.permerror",
                   g_strdup ("the public key cannot be used (RFC 8301 3.2)"));
      goto done;
    }
  /* 6.1.3: first the body hash, then the signature */
  bh = ml_dkim_body_hash (self->message + self->body, self->len - self->body,
                          sig->body_canon, sig->length);
  if (bh == NULL)
    {
      add_verdict (self, sig, ML_DKIM_PERMERROR, "dkim.permerror",
                   g_strdup ("l= is longer than the body"));
      goto done;
    }
  if (strcmp (bh, sig->bh) != 0)
    {
      add_verdict (self, sig, ML_DKIM_FAIL, "dkim.fail.body-hash",
                   g_strdup ("body hash did not verify"));
      goto done;
    }
  /* 3.7: this field with the b= value (and its whitespace) deleted */
  for (guint i = 0; i < sig->tags->len; i++)
    {
      MlDkimTag *tag = sig->tags->pdata[i];

      if (strcmp (tag->name, "b") != 0)
        continue;
      blanked = g_string_new_len (field->start, (gssize) (value_off + tag->value_start));
      g_string_append_len (blanked, field->start + value_off + tag->value_end,
                           (gssize) (field->len - value_off - tag->value_end));
    }
  if (blanked == NULL)   /* b= is required, ml_dkim_sig_parse checked it */
    {
      add_verdict (self, sig, ML_DKIM_PERMERROR, "dkim.permerror", g_strdup ("no b= tag"));
      goto done;
    }
  data = ml_dkim_signed_data (self->fields, sig->h_list, blanked->str, blanked->len,
                              sig->header_canon);
  b = g_base64_decode (sig->b, &b_len);
  if (!check_signature (key, sig->alg, data, b, b_len))
    {
      add_verdict (self, sig, ML_DKIM_FAIL, "dkim.fail.signature",
                   g_strdup ("signature did not verify"));
      goto done;
    }
  add_verdict (self, sig, ML_DKIM_PASS, "dkim.pass",
               g_strdup (rec->testing ? "good signature (key in testing mode, t=y)"
                                      : "good signature"));

done:
  ml_dkim_key_record_free (rec);
  ml_dkim_sig_free (sig);
  return TRUE;
}

gboolean
ml_dkim_verify_run (MlDkimVerify *self, const char **name_out)
{
  g_ptr_array_set_size (self->verdicts, 0);
  for (guint i = 0; i < self->fields->len; i++)
    {
      MlDkimField *f = &g_array_index (self->fields, MlDkimField, i);

      if (f->name_len != 14 || g_ascii_strncasecmp (f->start, "DKIM-Signature", 14) != 0)
        continue;
      /* 6.1: a verifier MAY limit the signatures it checks */
      if (self->verdicts->len >= ML_DKIM_MAX_SIGNATURES)
        break;
      if (!verify_one (self, f))
        {
          *name_out = self->pending;
          return FALSE;
        }
    }
  return TRUE;
}

static Verdict *
verdict_at (MlDkimVerify *self, guint i)
{
  g_return_val_if_fail (i < self->verdicts->len, NULL);
  return self->verdicts->pdata[i];
}

guint
ml_dkim_verify_get_n_signatures (MlDkimVerify *self)
{
  return self->verdicts->len;
}

MlDkimResult
ml_dkim_verify_get_result (MlDkimVerify *self, guint i)
{
  Verdict *v = verdict_at (self, i);

  return v ? v->result : ML_DKIM_NONE;
}

const char *
ml_dkim_verify_get_reason (MlDkimVerify *self, guint i)
{
  Verdict *v = verdict_at (self, i);

  return v ? v->reason : NULL;
}

const char *
ml_dkim_verify_get_explain_key (MlDkimVerify *self, guint i)
{
  Verdict *v = verdict_at (self, i);

  return v ? v->explain_key : "dkim.none";
}

const char *
ml_dkim_verify_get_domain (MlDkimVerify *self, guint i)
{
  Verdict *v = verdict_at (self, i);

  return v ? v->domain : NULL;
}

const char *
ml_dkim_verify_get_selector (MlDkimVerify *self, guint i)
{
  Verdict *v = verdict_at (self, i);

  return v ? v->selector : NULL;
}

MlDkimResult
ml_dkim_verify_get_overall (MlDkimVerify *self)
{
  /* one good signature is enough (RFC 6376 6.1: a message passes when
   * any signature verifies); otherwise the most telling failure */
  static const int rank[] = {
    [ML_DKIM_NONE] = 0, [ML_DKIM_NEUTRAL] = 1, [ML_DKIM_PERMERROR] = 2,
    [ML_DKIM_TEMPERROR] = 3, [ML_DKIM_POLICY] = 4, [ML_DKIM_FAIL] = 5, [ML_DKIM_PASS] = 6,
  };
  MlDkimResult best = ML_DKIM_NONE;

  for (guint i = 0; i < self->verdicts->len; i++)
    {
      Verdict *v = self->verdicts->pdata[i];

      if (rank[v->result] > rank[best])
        best = v->result;
    }
  return best;
}

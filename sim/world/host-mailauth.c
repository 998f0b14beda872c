/* host-mailauth.c — DKIM signing at an MSA and SPF, DKIM and DMARC
 * verification at a receiving MTA (host-mailauth.h), over the engines of
 * sim/mailauth/ and the simulated DNS.
 *
 * The checks never look anything up themselves (spf.h, dkim.h, dmarc.h):
 * each run names the query it still needs; here that query goes out
 * through the host's stub resolver as real UDP frames, its answer is
 * handed in and the check runs again. One query at a time, in the order
 * the RFCs evaluate, so a lesson's trace repeats exactly.
 */
#define G_LOG_DOMAIN "ml-host-mailauth"

#include <string.h>

#include "world/host-mailauth.h"
#include "world/session-record.h"
#include "world/mail-host.h"
#include "world/mailing-list.h"
#include "lesson/lesson-mailauth.h"
#include "mailauth/spf.h"
#include "mailauth/dkim.h"
#include "mailauth/dmarc.h"
#include "mailauth/auth-results.h"

/* RFC 5322 2.1.1: the header block we read to find From: is the
 * message's; no RFC bounds it, ours does (Postfix's header_size_limit). */
#define MAX_HEADER_BLOCK (100 * 1024)
/* RFC 7208 4.6.4 bounds SPF at a few dozen queries; DKIM one per
 * signature, DMARC two. A check that asks for more is broken: stop it. */
#define MAX_QUERIES 64

struct _MlHostMailauth
{
  MlNetwork     *network;
  MlHost        *host;
  char          *name;
  MlDnsResolver *resolver;
  /* signing */
  EVP_PKEY      *key;
  char          *domain;
  char          *selector;
  MlDkimCanon    header_canon, body_canon;
  GStrv          fields;
  /* verifying */
  gboolean       verify;
  GPtrArray     *checks;   /* MlMailauthCheck*, running */
};

typedef enum {
  STAGE_SPF = 0,
  STAGE_DKIM,
  STAGE_DMARC,
  STAGE_DONE,
} Stage;

struct _MlMailauthCheck
{
  MlHostMailauth    *owner;
  Stage              stage;
  char              *ip, *helo, *mail_from, *from_domain;
  GBytes            *message;
  MlSpfCheck        *spf;
  MlDkimVerify      *dkim;
  MlDmarcCheck      *dmarc;
  GHashTable        *spf_records;  /* domain → its "v=spf1" text, for the notes */
  guint              queries;
  gboolean           waiting;    /* a lookup is out */
  gboolean           cancelled;  /* dropped while a lookup is out */
  MlMailauthDoneFunc done;
  gpointer           user_data;
};

/* ---- life cycle ---- */

static void
check_free (MlMailauthCheck *c)
{
  g_free (c->ip);
  g_free (c->helo);
  g_free (c->mail_from);
  g_free (c->from_domain);
  g_bytes_unref (c->message);
  g_clear_pointer (&c->spf, ml_spf_check_free);
  g_clear_pointer (&c->dkim, ml_dkim_verify_free);
  g_clear_pointer (&c->dmarc, ml_dmarc_check_free);
  g_hash_table_unref (c->spf_records);
  g_free (c);
}

MlHostMailauth *
ml_host_mailauth_new (MlNetwork *network, MlHost *host, MlDnsResolver *resolver,
                      MlDnsZone *zone, const MlLessonHost *lh, guint32 seed, GError **error)
{
  g_autoptr(MlHostMailauth) self = NULL;
  const MlLessonDkim *dkim = lh->dkim;

  if (dkim == NULL && !lh->verify_mail)
    return NULL;
  self = g_new0 (MlHostMailauth, 1);
  self->network = network;
  self->host = host;
  self->name = g_strdup (lh->name);
  self->resolver = resolver;
  self->verify = lh->verify_mail;
  self->checks = g_ptr_array_new ();

  if (dkim != NULL)
    {
      MlDkimAlgorithm alg = dkim->algorithm == ML_LESSON_DKIM_ED25519_SHA256
                            ? ML_DKIM_ED25519_SHA256 : ML_DKIM_RSA_SHA256;
      g_autofree char *owner = NULL;

      self->domain = g_strdup (dkim->domain ? dkim->domain
                               : (lh->domains && lh->domains[0]) ? lh->domains[0] : NULL);
      if (self->domain == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "host %s signs with DKIM but has no domain to sign for (give "
                       "dkim.domain or domains)", lh->name);
          return NULL;
        }
      self->selector = g_strdup (dkim->selector);
      self->header_canon = dkim->header_relaxed ? ML_DKIM_CANON_RELAXED : ML_DKIM_CANON_SIMPLE;
      self->body_canon = dkim->body_relaxed ? ML_DKIM_CANON_RELAXED : ML_DKIM_CANON_SIMPLE;
      self->fields = g_strdupv (dkim->headers);
      /* Derived from the run's seed (dkim.h): the same lesson signs with
       * the same key every run, so its trace and pcap repeat. */
      self->key = ml_dkim_key_generate (alg, seed, self->domain, self->selector);
      if (self->key == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "host %s: the DKIM key could not be made", lh->name);
          return NULL;
        }
      /* RFC 6376 3.6.2.1: the key lives at <selector>._domainkey.<d>. A
       * lesson that wrote its own record there (a revoked or wrong key,
       * to show the failure) keeps it. */
      owner = g_strdup_printf ("%s._domainkey.%s", self->selector, self->domain);
      if (zone != NULL && !ml_dns_zone_has (zone, owner, ML_DNS_TYPE_TXT))
        {
          g_autofree char *record = ml_dkim_key_txt_record (self->key);

          if (!ml_dns_zone_add_txt (zone, owner, 3600, record, error))
            return NULL;
        }
    }
  return g_steal_pointer (&self);
}

void
ml_host_mailauth_free (MlHostMailauth *self)
{
  if (self == NULL)
    return;
  /* The resolver went first (world.c frees DNS before the hosts) and
   * dropped their lookups: no callback will come. */
  for (guint i = 0; i < self->checks->len; i++)
    check_free (self->checks->pdata[i]);
  g_ptr_array_unref (self->checks);
  g_clear_pointer (&self->key, EVP_PKEY_free);
  g_free (self->domain);
  g_free (self->selector);
  g_strfreev (self->fields);
  g_free (self->name);
  g_free (self);
}

gboolean
ml_host_mailauth_signs (MlHostMailauth *self)
{
  return self != NULL && self->key != NULL;
}

gboolean
ml_host_mailauth_verifies (MlHostMailauth *self)
{
  return self != NULL && self->verify;
}

static void
note (MlHostMailauth *self, const char *key, const char *text, const char *detail)
{
  ml_network_note (self->network, self->name, key, text, detail);
}

/* ---- signing (RFC 6376 5) ---- */

GBytes *
ml_host_mailauth_sign (MlHostMailauth *self, GBytes *message, const char *id)
{
  MlDkimSignOptions options = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *field = NULL;
  g_autofree char *text = NULL;
  g_autofree char *detail = NULL;
  GByteArray *signed_message;
  gsize len;
  const char *data;

  if (!ml_host_mailauth_signs (self))
    return g_bytes_ref (message);
  data = g_bytes_get_data (message, &len);
  options.domain = self->domain;
  options.selector = self->selector;
  options.header_canon = self->header_canon;
  options.body_canon = self->body_canon;
  options.fields = (const char * const *) self->fields;
  /* t= (RFC 6376 3.5) from the virtual clock: the same every run. */
  options.timestamp = ml_network_now_unix_usec (self->network) / G_USEC_PER_SEC;
  field = ml_dkim_sign (data, len, &options, self->key, &error);
  if (field == NULL)
    {
      text = g_strdup_printf ("message %s is not signed: %s", id, error->message);
      note (self, "mailauth.dkim.sign-failed", text, NULL);
      return g_bytes_ref (message);
    }
  text = g_strdup_printf ("%s signs message %s with DKIM: d=%s s=%s a=%s c=%s/%s",
                          self->name, id, self->domain, self->selector,
                          ml_dkim_algorithm_to_string (EVP_PKEY_get_base_id (self->key) == EVP_PKEY_ED25519
                                                       ? ML_DKIM_ED25519_SHA256
                                                       : ML_DKIM_RSA_SHA256),
                          ml_dkim_canon_to_string (self->header_canon),
                          ml_dkim_canon_to_string (self->body_canon));
  detail = g_strdup_printf ("the public key is published as TXT at %s._domainkey.%s",
                            self->selector, self->domain);
  note (self, "mailauth.dkim.sign", text, detail);
  /* RFC 6376 5.6: the signature is prepended to the header. */
  signed_message = g_byte_array_sized_new ((guint) (strlen (field) + len));
  g_byte_array_append (signed_message, (const guint8 *) field, (guint) strlen (field));
  g_byte_array_append (signed_message, (const guint8 *) data, (guint) len);
  return g_byte_array_free_to_bytes (signed_message);
}

/* ---- verifying ---- */

/* The RFC5322.From domain (RFC 7489 3.1): NULL unless the header block
 * has exactly one From field holding one mailbox (RFC 7489 6.6.1 leaves
 * the rest to the receiver; we do not guess). The field is unfolded
 * (RFC 5322 2.2.3); "Name <local@domain>" or a bare addr-spec. Transfer
 * full. */
static char *
dup_from_domain (GBytes *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  const char *end = data + MIN (len, (gsize) MAX_HEADER_BLOCK);
  g_autoptr(GString) value = NULL;
  guint n_from = 0;
  gboolean in_from = FALSE;
  const char *p = data, *lt, *gt, *at;
  g_autofree char *mailbox = NULL;

  while (p < end)
    {
      const char *eol = memchr (p, '\n', (gsize) (end - p));
      const char *line_end = eol ? eol : end;
      gsize n = (gsize) (line_end - p);

      if (n > 0 && p[n - 1] == '\r')
        n--;
      if (n == 0)
        break;   /* the empty line ends the header (RFC 5322 2.1) */
      if (p[0] == ' ' || p[0] == '\t')
        {
          if (in_from)
            g_string_append_len (value, p, (gssize) n);
        }
      else if (n >= 5 && g_ascii_strncasecmp (p, "From:", 5) == 0)
        {
          n_from++;
          in_from = n_from == 1;
          if (in_from)
            value = g_string_new_len (p + 5, (gssize) n - 5);
        }
      else
        in_from = FALSE;
      p = eol ? eol + 1 : end;
    }
  if (n_from != 1 || value == NULL)
    return NULL;
  lt = strrchr (value->str, '<');
  gt = lt ? strchr (lt, '>') : NULL;
  if (lt != NULL && gt != NULL)
    mailbox = g_strndup (lt + 1, (gsize) (gt - lt - 1));
  else if (strchr (value->str, ',') == NULL)
    mailbox = g_strstrip (g_strdup (value->str));
  if (mailbox == NULL || strchr (mailbox, ',') != NULL)
    return NULL;
  at = strrchr (mailbox, '@');
  if (at == NULL || at[1] == '\0' || strpbrk (at + 1, " \t<>()") != NULL)
    return NULL;
  return g_ascii_strdown (at + 1, -1);
}

static const char *
spf_key (MlSpfResult result)
{
  switch (result)
    {
    case ML_SPF_PASS:      return "mailauth.spf.pass";
    case ML_SPF_FAIL:      return "mailauth.spf.fail";
    case ML_SPF_SOFTFAIL:  return "mailauth.spf.softfail";
    case ML_SPF_NEUTRAL:   return "mailauth.spf.neutral";
    case ML_SPF_TEMPERROR: return "mailauth.spf.temperror";
    case ML_SPF_PERMERROR: return "mailauth.spf.permerror";
    case ML_SPF_NONE:
    default:               return "mailauth.spf.none";
    }
}

/* The library's verdict keys (dkim.h) as this host's notes name them. */
static const char *
dkim_key (const char *library_key)
{
  if (g_strcmp0 (library_key, "dkim.pass") == 0)
    return "mailauth.dkim.pass";
  if (g_strcmp0 (library_key, "dkim.fail.body-hash") == 0)
    return "mailauth.dkim.body-hash-mismatch";
  if (g_strcmp0 (library_key, "dkim.fail.signature") == 0)
    return "mailauth.dkim.signature-mismatch";
  if (g_strcmp0 (library_key, "dkim.temperror") == 0)
    return "mailauth.dkim.temperror";
  return "mailauth.dkim.permerror";
}

static void step (MlMailauthCheck *c);

static MlSpfDnsStatus
status_of (const MlDnsResult *result)
{
  if (result->rcode == ML_DNS_RCODE_NOERROR)
    return ML_SPF_DNS_OK;
  if (result->rcode == ML_DNS_RCODE_NXDOMAIN)
    return ML_SPF_DNS_NXDOMAIN;
  return ML_SPF_DNS_ERROR;
}

static gint
compare_preference (gconstpointer a, gconstpointer b)
{
  const MlDnsRecord *x = *(MlDnsRecord * const *) a;
  const MlDnsRecord *y = *(MlDnsRecord * const *) b;

  return (gint) x->preference - (gint) y->preference;
}

/* The answers of @type as the checks take them: TXT texts (strings
 * joined), addresses as text, MX exchanges by preference. */
static GStrv
answer_values (const MlDnsResult *result, MlDnsType type)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new ();
  GPtrArray *values = g_ptr_array_new ();

  for (guint i = 0; i < result->answers->len; i++)
    {
      MlDnsRecord *rr = result->answers->pdata[i];
      if (rr->type == type)
        g_ptr_array_add (records, rr);
    }
  if (type == ML_DNS_TYPE_MX)
    g_ptr_array_sort (records, compare_preference);
  for (guint i = 0; i < records->len; i++)
    {
      MlDnsRecord *rr = records->pdata[i];

      if (type == ML_DNS_TYPE_A)
        g_ptr_array_add (values, ml_ipv4_to_string (rr->address));
      else if (rr->value != NULL)
        g_ptr_array_add (values, g_strdup (rr->value));
    }
  g_ptr_array_add (values, NULL);
  return (GStrv) g_ptr_array_free (values, FALSE);
}

static void
on_answer (MlDnsResolver *resolver, const MlDnsResult *result, gpointer user_data)
{
  MlMailauthCheck *c = user_data;
  g_auto(GStrv) values = NULL;
  MlSpfDnsStatus status = status_of (result);

  c->waiting = FALSE;
  if (c->cancelled)
    {
      g_ptr_array_remove (c->owner->checks, c);
      check_free (c);
      return;
    }
  values = answer_values (result, result->type);
  switch (c->stage)
    {
    case STAGE_SPF:
      {
        MlSpfRrType t = result->type == ML_DNS_TYPE_A ? ML_SPF_RR_A
                        : result->type == ML_DNS_TYPE_MX ? ML_SPF_RR_MX
                        : result->type == ML_DNS_TYPE_AAAA ? ML_SPF_RR_AAAA
                        : result->type == ML_DNS_TYPE_PTR ? ML_SPF_RR_PTR : ML_SPF_RR_TXT;

        ml_spf_check_add_answer (c->spf, result->name, t, status, (const char * const *) values);
        /* RFC 7208 4.5: the record is the TXT that starts "v=spf1". */
        for (guint i = 0; t == ML_SPF_RR_TXT && values[i]; i++)
          if (g_ascii_strncasecmp (values[i], "v=spf1", 6) == 0 &&
              (values[i][6] == ' ' || values[i][6] == '\0'))
            g_hash_table_replace (c->spf_records, g_ascii_strdown (result->name, -1),
                                  g_strdup (values[i]));
      }
      break;
    case STAGE_DKIM:
      ml_dkim_verify_add_answer (c->dkim, result->name, (MlDkimDnsStatus) status,
                                 (const char * const *) values);
      break;
    case STAGE_DMARC:
      ml_dmarc_check_add_answer (c->dmarc, result->name, (MlDmarcDnsStatus) status,
                                 (const char * const *) values);
      break;
    case STAGE_DONE:
    default:
      break;
    }
  step (c);
}

static void
ask (MlMailauthCheck *c, const char *name, MlDnsType type)
{
  c->queries++;
  c->waiting = TRUE;
  ml_dns_resolver_lookup (c->owner->resolver, name, type, on_answer, c);
}

static MlDnsType
spf_dns_type (MlSpfRrType type)
{
  switch (type)
    {
    case ML_SPF_RR_A:    return ML_DNS_TYPE_A;
    case ML_SPF_RR_AAAA: return ML_DNS_TYPE_AAAA;
    case ML_SPF_RR_MX:   return ML_DNS_TYPE_MX;
    case ML_SPF_RR_PTR:  return ML_DNS_TYPE_PTR;
    case ML_SPF_RR_TXT:
    default:             return ML_DNS_TYPE_TXT;
    }
}

/* The note says why in the student's terms: the address against the
 * record that decided ("203.0.113.9 is not in v=spf1 ip4:… -all"). */
static void
note_spf (MlMailauthCheck *c)
{
  MlSpfResult result = ml_spf_check_get_result (c->spf);
  const char *domain = ml_spf_check_get_domain (c->spf);
  g_autofree char *lower = g_ascii_strdown (domain ? domain : "", -1);
  const char *record = g_hash_table_lookup (c->spf_records, lower);
  const char *sender = c->mail_from[0] ? c->mail_from : "<>";
  g_autofree char *text = NULL;

  if (record != NULL && result == ML_SPF_PASS)
    text = g_strdup_printf ("SPF pass for MAIL FROM %s: %s is allowed by %s's \"%s\"",
                            sender, c->ip, domain, record);
  else if (record != NULL && (result == ML_SPF_FAIL || result == ML_SPF_SOFTFAIL))
    text = g_strdup_printf ("SPF %s for MAIL FROM %s: %s is not in %s's \"%s\"",
                            ml_spf_result_to_string (result), sender, c->ip, domain, record);
  else
    text = g_strdup_printf ("SPF %s for MAIL FROM %s from %s (check_host for %s)",
                            ml_spf_result_to_string (result), sender, c->ip,
                            domain ? domain : c->helo);
  note (c->owner, spf_key (result), text, ml_spf_check_get_reason (c->spf));
}

static void
note_dkim (MlMailauthCheck *c)
{
  guint n = ml_dkim_verify_get_n_signatures (c->dkim);

  if (n == 0)
    {
      note (c->owner, "mailauth.dkim.none", "DKIM none: the message carries no DKIM-Signature",
            NULL);
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text =
        g_strdup_printf ("DKIM %s for d=%s s=%s",
                         ml_dkim_result_to_string (ml_dkim_verify_get_result (c->dkim, i)),
                         ml_dkim_verify_get_domain (c->dkim, i) ? ml_dkim_verify_get_domain (c->dkim, i) : "?",
                         ml_dkim_verify_get_selector (c->dkim, i) ? ml_dkim_verify_get_selector (c->dkim, i) : "?");

      note (c->owner, dkim_key (ml_dkim_verify_get_explain_key (c->dkim, i)), text,
            ml_dkim_verify_get_reason (c->dkim, i));
    }
}

/* Whether the Authentication-Results value @v (after the colon) names
 * @id as its authserv-id (RFC 8601 2.2). */
static gboolean
claims_authserv_id (const char *v, gsize n, const char *id)
{
  gsize id_len = strlen (id);

  while (n > 0 && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n'))
    {
      v++;
      n--;
    }
  return n >= id_len && g_ascii_strncasecmp (v, id, id_len) == 0 &&
         (n == id_len || strchr (" \t\r\n;", v[id_len]) != NULL);
}

/* RFC 8601 5: a receiver removes fields that claim to be its own
 * verdicts before adding its own, or a sender could forge "dmarc=pass"
 * under the receiver's name. Transfer full; *@removed counts them. */
static GBytes *
strip_own_fields (GBytes *message, const char *id, guint *removed)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  const char *p = data, *end = data + len;
  GByteArray *out = g_byte_array_sized_new ((guint) len);
  gboolean skipping = FALSE, in_header = TRUE;

  *removed = 0;
  while (p < end)
    {
      const char *eol = memchr (p, '\n', (gsize) (end - p));
      gsize n = eol ? (gsize) (eol - p) + 1 : (gsize) (end - p);

      if (in_header && (n <= 2 && (p[0] == '\r' || p[0] == '\n')))
        in_header = FALSE;
      else if (in_header && (p[0] == ' ' || p[0] == '\t'))
        {
          if (skipping)
            {
              p += n;
              continue;
            }
        }
      else if (in_header)
        {
          skipping = n > 23 && g_ascii_strncasecmp (p, "Authentication-Results:", 23) == 0 &&
                     claims_authserv_id (p + 23, n - 23, id);
          if (skipping)
            {
              (*removed)++;
              p += n;
              continue;
            }
        }
      g_byte_array_append (out, (const guint8 *) p, (guint) n);
      p += n;
    }
  return g_byte_array_free_to_bytes (out);
}

/* OpenDMARC's refusal (opendmarc.c: "rejected by DMARC policy for %s"). */
static void
finish (MlMailauthCheck *c)
{
  MlHostMailauth *self = c->owner;
  g_autoptr(MlAuthResults) ar = ml_auth_results_new (self->name);
  g_autofree char *header = NULL;
  g_autofree char *text = NULL;
  g_autofree char *reply = NULL;
  MlMailauthVerdict verdict = { 0 };
  GByteArray *buf;
  gsize len;
  guint forged = 0;
  g_autoptr(GBytes) clean = strip_own_fields (c->message, self->name, &forged);
  const guint8 *data = g_bytes_get_data (clean, &len);
  MlDmarcResult dmarc = c->dmarc ? ml_dmarc_check_get_result (c->dmarc) : ML_DMARC_NONE;
  MlDmarcPolicy disposition = c->dmarc ? ml_dmarc_check_get_disposition (c->dmarc)
                                       : ML_DMARC_POLICY_NONE;
  const char *key;

  ml_auth_results_add_spf (ar, ml_spf_check_get_result (c->spf), c->mail_from, c->helo);
  ml_auth_results_add_dkim_verify (ar, c->dkim);
  if (c->dmarc != NULL)
    ml_auth_results_add_dmarc (ar, c->dmarc);
  header = ml_auth_results_to_string (ar);
  if (forged > 0)
    {
      g_autofree char *what = g_strdup_printf ("removed %u Authentication-Results field%s "
                                               "claiming to be from %s", forged,
                                               forged == 1 ? "" : "s", self->name);
      note (self, "mailauth.auth-results.forged", what,
            "only this server may write verdicts under its own name (RFC 8601 5)");
    }

  if (c->dmarc == NULL)
    {
      key = "mailauth.dmarc.no-from";
      text = g_strdup ("DMARC not evaluated: the message has no single From: mailbox "
                       "(RFC 7489 6.6.1)");
    }
  else if (dmarc == ML_DMARC_FAIL && disposition == ML_DMARC_POLICY_REJECT)
    {
      key = "mailauth.dmarc.reject";
      text = g_strdup_printf ("DMARC fail for From: %s with p=reject: the message is refused",
                              c->from_domain);
      reply = g_strdup_printf ("rejected by DMARC policy for %s", c->from_domain);
      verdict.disposition = ML_MAILAUTH_REJECT;
      verdict.code = 550;
      verdict.enhanced = "5.7.1";
      verdict.text = reply;
    }
  else if (dmarc == ML_DMARC_FAIL && disposition == ML_DMARC_POLICY_QUARANTINE)
    {
      key = "mailauth.dmarc.quarantine";
      text = g_strdup_printf ("DMARC fail for From: %s with p=quarantine: delivered to Junk",
                              c->from_domain);
      verdict.disposition = ML_MAILAUTH_JUNK;
    }
  else
    {
      key = dmarc == ML_DMARC_PASS ? "mailauth.dmarc.pass"
            : dmarc == ML_DMARC_FAIL ? "mailauth.dmarc.fail"
            : dmarc == ML_DMARC_TEMPERROR ? "mailauth.dmarc.temperror"
            : dmarc == ML_DMARC_PERMERROR ? "mailauth.dmarc.permerror" : "mailauth.dmarc.none";
      text = g_strdup_printf ("DMARC %s for From: %s (policy %s): delivered",
                              ml_dmarc_result_to_string (dmarc), c->from_domain,
                              ml_dmarc_policy_to_string (ml_dmarc_check_get_policy (c->dmarc)));
    }
  note (self, key, text, c->dmarc ? ml_dmarc_check_get_reason (c->dmarc) : NULL);

  /* RFC 8601 5: the field goes on top, above the trace fields. */
  buf = g_byte_array_sized_new ((guint) (strlen (header) + len));
  g_byte_array_append (buf, (const guint8 *) header, (guint) strlen (header));
  g_byte_array_append (buf, data, (guint) len);
  verdict.message = g_byte_array_free_to_bytes (buf);
  if (verdict.disposition != ML_MAILAUTH_REJECT)
    note (self, "mailauth.auth-results", "Authentication-Results added for the reader's "
          "mail program (RFC 8601)", header);

  g_ptr_array_remove (self->checks, c);
  c->done (&verdict, c->user_data);
  g_bytes_unref (verdict.message);
  check_free (c);
}

/* Runs the current stage as far as its answers go; asks for the next
 * one, or moves on. */
static void
step (MlMailauthCheck *c)
{
  const char *name = NULL;

  while (c->stage != STAGE_DONE)
    {
      if (c->queries > MAX_QUERIES)
        {
          /* A check that loops is our bug, not the sender's: decide
           * with what we have (temperror-like), never hang the session. */
          g_warning ("mail authentication asked more than %d queries", MAX_QUERIES);
          c->stage = STAGE_DONE;
          break;
        }
      switch (c->stage)
        {
        case STAGE_SPF:
          {
            MlSpfRrType type;

            if (!ml_spf_check_run (c->spf, &name, &type))
              {
                ask (c, name, spf_dns_type (type));
                return;
              }
            note_spf (c);
            c->stage = STAGE_DKIM;
          }
          break;
        case STAGE_DKIM:
          if (!ml_dkim_verify_run (c->dkim, &name))
            {
              ask (c, name, ML_DNS_TYPE_TXT);
              return;
            }
          note_dkim (c);
          c->stage = STAGE_DMARC;
          if (c->from_domain != NULL)
            {
              const char *spf_domain = ml_spf_check_get_domain (c->spf);
              const char *at = strrchr (c->mail_from, '@');

              c->dmarc = ml_dmarc_check_new (c->from_domain);
              /* RFC 7489 6.6.4: pct= samples with a random number; the
               * run's seeded one, so a lesson replays. */
              ml_dmarc_check_set_sample (c->dmarc, (guint) g_rand_int_range (
                ml_scheduler_get_rand (ml_network_get_scheduler (c->owner->network)), 0, 100));
              /* RFC 7489 4.2: the SPF-authenticated identifier is MAIL
               * FROM's domain (HELO's with the null path). */
              ml_dmarc_check_set_spf (c->dmarc, ml_spf_check_get_result (c->spf),
                                      at ? at + 1 : c->helo ? c->helo : spf_domain);
              for (guint i = 0; i < ml_dkim_verify_get_n_signatures (c->dkim); i++)
                ml_dmarc_check_add_dkim (c->dmarc, ml_dkim_verify_get_result (c->dkim, i),
                                         ml_dkim_verify_get_domain (c->dkim, i));
            }
          break;
        case STAGE_DMARC:
          if (c->dmarc != NULL && !ml_dmarc_check_run (c->dmarc, &name))
            {
              ask (c, name, ML_DNS_TYPE_TXT);
              return;
            }
          c->stage = STAGE_DONE;
          break;
        case STAGE_DONE:
        default:
          break;
        }
    }
  finish (c);
}

static void
start_check (gpointer data)
{
  MlMailauthCheck *c = data;

  c->waiting = FALSE;
  if (c->cancelled)
    {
      g_ptr_array_remove (c->owner->checks, c);
      check_free (c);
      return;
    }
  step (c);
}

MlMailauthCheck *
ml_host_mailauth_verify (MlHostMailauth *self, const char *client_ip, const char *helo,
                         const char *mail_from, GBytes *message,
                         MlMailauthDoneFunc done, gpointer user_data)
{
  MlMailauthCheck *c;
  gsize len;
  const char *data;
  gint64 now;

  g_return_val_if_fail (ml_host_mailauth_verifies (self), NULL);

  data = g_bytes_get_data (message, &len);
  now = ml_network_now_unix_usec (self->network) / G_USEC_PER_SEC;
  c = g_new0 (MlMailauthCheck, 1);
  c->owner = self;
  c->ip = g_strdup (client_ip ? client_ip : "0.0.0.0");
  c->helo = g_strdup (helo ? helo : "");
  c->mail_from = g_strdup (mail_from ? mail_from : "");
  c->message = g_bytes_ref (message);
  c->from_domain = dup_from_domain (message);
  c->spf_records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->done = done;
  c->user_data = user_data;
  c->spf = ml_spf_check_new (c->ip, c->mail_from, c->helo, self->name);
  if (c->spf != NULL)
    ml_spf_check_set_now (c->spf, now);
  else
    c->spf = ml_spf_check_new ("0.0.0.0", c->mail_from, c->helo, self->name);
  c->dkim = ml_dkim_verify_new (data, len);
  ml_dkim_verify_set_now (c->dkim, now);
  g_ptr_array_add (self->checks, c);
  /* From the scheduler, never inside the caller (the SMTP engine's
   * callback), as a resolver's answer would come. */
  c->waiting = TRUE;
  ml_scheduler_schedule (ml_network_get_scheduler (self->network), 0, start_check, c, NULL);
  return c;
}

void
ml_mailauth_check_cancel (MlMailauthCheck *c)
{
  if (c == NULL)
    return;
  /* A lookup or the start is still scheduled with @c: it frees it, or
   * ml_host_mailauth_free does if it never comes. */
  if (c->waiting)
    c->cancelled = TRUE;
  else
    {
      g_ptr_array_remove (c->owner->checks, c);
      check_free (c);
    }
}

/* ---- world setup ---- */

gboolean
ml_host_mailauth_attach (MlMailHost *mail_host, MlNetwork *network, MlDnsResolver *resolver,
                         MlDnsZone *zone, const char *lesson_path, const MlLessonHost *lh,
                         guint32 seed, GError **error)
{
  MlHostMailauth *mailauth;
  GPtrArray *lists = NULL;

  if (lh->dkim == NULL && !lh->verify_mail && lh->lists == NULL)
    return TRUE;
  if (lh->dkim != NULL && !(lh->roles & ML_ROLE_MSA))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s:%u:%u: host %s has dkim but is no MSA: signing happens on "
                   "submission (RFC 6376 2.1)", lesson_path, lh->line, lh->column, lh->name);
      return FALSE;
    }
  if (lh->verify_mail && !(lh->roles & (ML_ROLE_MTA | ML_ROLE_MDA)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s:%u:%u: host %s has verify_mail but no port 25 (MTA or MDA role)",
                   lesson_path, lh->line, lh->column, lh->name);
      return FALSE;
    }
  mailauth = ml_host_mailauth_new (network, ml_mail_host_get_host (mail_host), resolver, zone,
                                   lh, seed, error);
  if (mailauth == NULL && (lh->dkim != NULL || lh->verify_mail))
    {
      g_prefix_error (error, "%s:%u:%u: ", lesson_path, lh->line, lh->column);
      return FALSE;
    }
  for (guint i = 0; lh->lists && i < lh->lists->len; i++)
    {
      const MlLessonList *l = lh->lists->pdata[i];
      const char *at = strrchr (l->address, '@');

      if (at == NULL || !ml_mail_host_serves_domain (mail_host, at + 1) ||
          !(lh->roles & (ML_ROLE_MTA | ML_ROLE_MDA)))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "%s:%u:%u: host %s cannot serve the list %s: it needs the MTA or "
                       "MDA role and the list's domain among its domains",
                       lesson_path, l->line, l->column, lh->name, l->address);
          g_clear_pointer (&lists, g_ptr_array_unref);
          ml_host_mailauth_free (mailauth);
          return FALSE;
        }
      if (lists == NULL)
        lists = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_mailing_list_free);
      g_ptr_array_add (lists, ml_mailing_list_new (l));
    }
  ml_mail_host_set_mailauth (mail_host, mailauth, lists);
  return TRUE;
}

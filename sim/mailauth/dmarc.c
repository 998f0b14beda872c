/* dmarc.c — RFC 7489 policy discovery (6.6.3), alignment (3.1) and the
 * disposition (6.6.4), over TXT answers handed in by the owner.
 */
#include "mailauth/dmarc.h"

#include <string.h>

/* RFC 1035 2.3.4: names are at most 255 octets, so at most 127 labels. */
#define MAX_NAME   255
#define MAX_LABELS 127

typedef struct {
  MlDmarcDnsStatus status;
  GStrv            values;
} Answer;

typedef struct {
  MlDkimResult result;
  char        *domain;
} DkimVerdict;

struct _MlDmarcCheck
{
  char          *from;
  MlSpfResult    spf;
  char          *spf_domain;
  GArray        *dkim;        /* DkimVerdict */
  guint          sample;
  GHashTable    *answers;     /* lower-case name -> Answer* */
  char          *pending;
  MlDmarcResult  result;
  MlDmarcPolicy  policy;
  MlDmarcPolicy  disposition;
  char          *reason;
  const char    *explain_key;
};

const char *
ml_dmarc_result_to_string (MlDmarcResult result)
{
  static const char *const words[] = { "none", "pass", "fail", "temperror", "permerror" };

  return (guint) result < G_N_ELEMENTS (words) ? words[result] : "permerror";
}

const char *
ml_dmarc_policy_to_string (MlDmarcPolicy policy)
{
  static const char *const words[] = { "none", "quarantine", "reject" };

  return (guint) policy < G_N_ELEMENTS (words) ? words[policy] : "none";
}

void
ml_dmarc_record_free (MlDmarcRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->rua);
  g_free (record->ruf);
  g_free (record);
}

static gboolean
parse_policy (const char *text, MlDmarcPolicy *out)
{
  if (g_ascii_strcasecmp (text, "none") == 0)
    *out = ML_DMARC_POLICY_NONE;
  else if (g_ascii_strcasecmp (text, "quarantine") == 0)
    *out = ML_DMARC_POLICY_QUARANTINE;
  else if (g_ascii_strcasecmp (text, "reject") == 0)
    *out = ML_DMARC_POLICY_REJECT;
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_align (const char *text, MlDmarcAlign *out)
{
  if (text == NULL)
    return TRUE;   /* 6.3: "r" is the default */
  if (g_ascii_strcasecmp (text, "r") == 0)
    *out = ML_DMARC_ALIGN_RELAXED;
  else if (g_ascii_strcasecmp (text, "s") == 0)
    *out = ML_DMARC_ALIGN_STRICT;
  else
    return FALSE;
  return TRUE;
}

MlDmarcRecord *
ml_dmarc_record_parse (const char *text, GError **error)
{
  g_autoptr(GPtrArray) tags = NULL;
  g_autoptr(MlDmarcRecord) rec = g_new0 (MlDmarcRecord, 1);
  const char *p, *sp, *pct;

  if (strlen (text) > ML_DMARC_MAX_RECORD)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "record longer than %d octets", ML_DMARC_MAX_RECORD);
      return NULL;
    }
  tags = ml_dkim_tags_parse (text, strlen (text), error);
  if (tags == NULL)
    return NULL;
  /* 6.4: v=DMARC1 MUST be the first tag */
  if (tags->len == 0 || strcmp (((MlDkimTag *) tags->pdata[0])->name, "v") != 0
      || strcmp (((MlDkimTag *) tags->pdata[0])->value, "DMARC1") != 0)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX, "not a DMARC1 record");
      return NULL;
    }
  p = ml_dkim_tags_lookup (tags, "p");
  if (p == NULL || !parse_policy (p, &rec->p))
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "p= missing or not none/quarantine/reject");
      return NULL;
    }
  rec->sp = rec->p;   /* 6.3 sp=: absent means p= applies */
  sp = ml_dkim_tags_lookup (tags, "sp");
  if (sp != NULL && !parse_policy (sp, &rec->sp))
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX, "bad sp=%s", sp);
      return NULL;
    }
  if (!parse_align (ml_dkim_tags_lookup (tags, "adkim"), &rec->adkim)
      || !parse_align (ml_dkim_tags_lookup (tags, "aspf"), &rec->aspf))
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX, "adkim= or aspf= not r/s");
      return NULL;
    }
  rec->pct = 100;
  pct = ml_dkim_tags_lookup (tags, "pct");
  if (pct != NULL)
    {
      guint64 v = 0;

      if (!g_ascii_string_to_unsigned (pct, 10, 0, 100, &v, NULL))
        {
          g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX, "pct=%s not 0..100", pct);
          return NULL;
        }
      rec->pct = (guint) v;
    }
  rec->rua = g_strdup (ml_dkim_tags_lookup (tags, "rua"));
  rec->ruf = g_strdup (ml_dkim_tags_lookup (tags, "ruf"));
  return g_steal_pointer (&rec);
}

/* The PSL's rules, read once (the file is static data, not simulation
 * state, so this does not touch determinism). NULL when absent. */
static GHashTable *
psl_rules (void)
{
  static gsize loaded = 0;
  static GHashTable *rules = NULL;

  if (g_once_init_enter (&loaded))
    {
      g_autofree char *text = NULL;

      if (g_file_get_contents (ML_DMARC_PSL_PATH, &text, NULL, NULL))
        {
          g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

          rules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          for (guint i = 0; lines[i] != NULL; i++)
            {
              char *line = g_strstrip (lines[i]);

              if (*line != '\0' && !g_str_has_prefix (line, "//"))
                g_hash_table_add (rules, g_utf8_strdown (line, -1));
            }
        }
      g_once_init_leave (&loaded, 1);
    }
  return rules;
}

char *
ml_dmarc_organizational_domain (const char *domain)
{
  g_autofree char *lower = g_ascii_strdown (domain, -1);
  g_auto(GStrv) labels = NULL;
  GHashTable *rules = psl_rules ();
  guint n, suffix_labels = 1;   /* the PSL's implicit "*" rule */

  if (g_str_has_suffix (lower, "."))
    lower[strlen (lower) - 1] = '\0';
  labels = g_strsplit (lower, ".", MAX_LABELS);
  n = g_strv_length (labels);
  if (n <= 2 || rules == NULL)
    return n <= 2 ? g_strdup (lower) : g_strjoinv (".", labels + n - 2);
  /* PSL algorithm: the longest matching rule wins, "!" exceptions first */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *suffix = g_strjoinv (".", labels + i);
      g_autofree char *exception = g_strconcat ("!", suffix, NULL);
      g_autofree char *wild = i + 1 < n ? g_strconcat ("*.", suffix + strlen (labels[i]) + 1, NULL)
                                        : NULL;

      if (g_hash_table_contains (rules, exception))
        {
          suffix_labels = n - i - 1;
          break;
        }
      if (g_hash_table_contains (rules, suffix) || (wild && g_hash_table_contains (rules, wild)))
        {
          suffix_labels = n - i;
          break;
        }
    }
  /* 3.2: the public suffix plus one label */
  if (suffix_labels >= n)
    return g_strdup (lower);
  return g_strjoinv (".", labels + n - suffix_labels - 1);
}

gboolean
ml_dmarc_aligned (const char *a, const char *b, MlDmarcAlign mode)
{
  g_autofree char *oa = NULL, *ob = NULL;

  if (a == NULL || b == NULL)
    return FALSE;
  if (mode == ML_DMARC_ALIGN_STRICT)
    return g_ascii_strcasecmp (a, b) == 0;
  oa = ml_dmarc_organizational_domain (a);
  ob = ml_dmarc_organizational_domain (b);
  return strcmp (oa, ob) == 0;
}

static void
answer_free (gpointer data)
{
  Answer *a = data;

  g_strfreev (a->values);
  g_free (a);
}

MlDmarcCheck *
ml_dmarc_check_new (const char *from_domain)
{
  MlDmarcCheck *self = g_new0 (MlDmarcCheck, 1);

  self->from = g_strdup (from_domain);
  self->spf = ML_SPF_NONE;
  self->dkim = g_array_new (FALSE, TRUE, sizeof (DkimVerdict));
  self->answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, answer_free);
  self->explain_key = "dmarc.none";
  return self;
}

void
ml_dmarc_check_free (MlDmarcCheck *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->dkim->len; i++)
    g_free (g_array_index (self->dkim, DkimVerdict, i).domain);
  g_array_unref (self->dkim);
  g_hash_table_unref (self->answers);
  g_free (self->from);
  g_free (self->spf_domain);
  g_free (self->pending);
  g_free (self->reason);
  g_free (self);
}

void
ml_dmarc_check_set_spf (MlDmarcCheck *self, MlSpfResult result, const char *domain)
{
  self->spf = result;
  g_free (self->spf_domain);
  self->spf_domain = g_strdup (domain);
}

void
ml_dmarc_check_add_dkim (MlDmarcCheck *self, MlDkimResult result, const char *domain)
{
  DkimVerdict v = { result, g_strdup (domain) };

  g_array_append_val (self->dkim, v);
}

void
ml_dmarc_check_set_sample (MlDmarcCheck *self, guint sample)
{
  self->sample = sample % 100;
}

void
ml_dmarc_check_add_answer (MlDmarcCheck       *self,
                           const char         *name,
                           MlDmarcDnsStatus    status,
                           const char * const *values)
{
  Answer *a = g_new0 (Answer, 1);

  a->status = status;
  a->values = g_strdupv ((char **) (values ? values : (const char * const[]) { NULL }));
  g_hash_table_replace (self->answers, g_ascii_strdown (name, -1), a);
}

static void
decide (MlDmarcCheck *self, MlDmarcResult result, const char *key, char *reason)
{
  self->result = result;
  self->explain_key = key;
  g_free (self->reason);
  self->reason = reason;
}

/* 6.6.3 steps 1–3 for one name: 1 when exactly one record was found
 * (*@record_out), 0 when none, -1 when the answer is missing, -2 on a
 * DNS error. */
static int
lookup (MlDmarcCheck *self, const char *domain, MlDmarcRecord **record_out,
        char **error_out)
{
  g_autofree char *name = g_strconcat ("_dmarc.", domain, NULL);
  g_autofree char *lower = g_ascii_strdown (name, -1);
  Answer *a = g_hash_table_lookup (self->answers, lower);
  MlDmarcRecord *found = NULL;
  guint n = 0;

  if (a == NULL)
    {
      g_free (self->pending);
      self->pending = g_steal_pointer (&lower);
      return -1;
    }
  if (a->status == ML_DMARC_DNS_ERROR)
    return -2;
  for (guint i = 0; a->values[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      MlDmarcRecord *rec;

      /* 6.6.3 step 3: records not starting with v=DMARC1 are ignored */
      if (!g_str_has_prefix (a->values[i], "v=DMARC1"))
        continue;
      n++;
      rec = ml_dmarc_record_parse (a->values[i], &error);
      if (rec == NULL && *error_out == NULL)
        *error_out = g_strdup_printf ("record at %s: %s", name, error->message);
      ml_dmarc_record_free (found);
      found = rec;
    }
  /* step 6: more than one record means no policy */
  if (n != 1 || found == NULL)
    {
      if (n > 1 && *error_out == NULL)
        *error_out = g_strdup_printf ("%u DMARC records at %s", n, name);
      ml_dmarc_record_free (found);
      return 0;
    }
  *record_out = found;
  return 1;
}

gboolean
ml_dmarc_check_run (MlDmarcCheck *self, const char **name_out)
{
  g_autofree char *org = NULL, *bad = NULL;
  g_autoptr(MlDmarcRecord) rec = NULL;
  gboolean at_org = FALSE, pass = FALSE;
  GString *why = NULL;
  int r;

  if (self->from == NULL || *self->from == '\0' || strlen (self->from) > MAX_NAME)
    {
      decide (self, ML_DMARC_PERMERROR, "dmarc.permerror", g_strdup ("no usable From domain"));
      return TRUE;
    }
  org = ml_dmarc_organizational_domain (self->from);
  r = lookup (self, self->from, &rec, &bad);
  /* 6.6.3 step 2: fall back to the Organizational Domain */
  if (r == 0 && g_ascii_strcasecmp (org, self->from) != 0)
    {
      r = lookup (self, org, &rec, &bad);
      at_org = TRUE;
    }
  if (r == -1)
    {
      *name_out = self->pending;
      return FALSE;
    }
  self->policy = self->disposition = ML_DMARC_POLICY_NONE;
  if (r == -2)
    {
      decide (self, ML_DMARC_TEMPERROR, "dmarc.temperror",
              g_strdup ("DNS error fetching the DMARC policy"));
      return TRUE;
    }
  if (r == 0)
    {
      decide (self, ML_DMARC_NONE, "dmarc.none",
              bad ? g_steal_pointer (&bad) : g_strdup_printf ("no DMARC policy for %s", self->from));
      return TRUE;
    }
  /* 6.6.2: pass when SPF or DKIM passed for an aligned identifier */
  why = g_string_new (NULL);
  for (guint i = 0; i < self->dkim->len && !pass; i++)
    {
      DkimVerdict *v = &g_array_index (self->dkim, DkimVerdict, i);

      if (v->result == ML_DKIM_PASS && ml_dmarc_aligned (v->domain, self->from, rec->adkim))
        {
          pass = TRUE;
          g_string_printf (why, "DKIM d=%s is aligned with From %s", v->domain, self->from);
        }
    }
  if (!pass && self->spf == ML_SPF_PASS
      && ml_dmarc_aligned (self->spf_domain, self->from, rec->aspf))
    {
      pass = TRUE;
      g_string_printf (why, "SPF for %s is aligned with From %s", self->spf_domain, self->from);
    }
  /* 6.3 sp=: the subdomain policy when the record came from the
   * Organizational Domain for a subdomain's mail */
  self->policy = at_org ? rec->sp : rec->p;
  if (pass)
    {
      decide (self, ML_DMARC_PASS, "dmarc.pass", g_string_free (why, FALSE));
      return TRUE;
    }
  g_string_printf (why, "no aligned SPF or DKIM pass for From %s", self->from);
  self->disposition = self->policy;
  /* 6.6.4: outside the pct= sample, apply the next weaker policy */
  if (self->sample >= rec->pct && self->disposition != ML_DMARC_POLICY_NONE)
    {
      self->disposition--;
      g_string_append_printf (why, " (pct=%u: outside the sample)", rec->pct);
    }
  decide (self, ML_DMARC_FAIL, "dmarc.fail", g_string_free (why, FALSE));
  return TRUE;
}

MlDmarcResult
ml_dmarc_check_get_result (MlDmarcCheck *self)
{
  return self->result;
}

MlDmarcPolicy
ml_dmarc_check_get_disposition (MlDmarcCheck *self)
{
  return self->disposition;
}

MlDmarcPolicy
ml_dmarc_check_get_policy (MlDmarcCheck *self)
{
  return self->policy;
}

const char *
ml_dmarc_check_get_reason (MlDmarcCheck *self)
{
  return self->reason;
}

const char *
ml_dmarc_check_get_explain_key (MlDmarcCheck *self)
{
  return self->explain_key;
}

const char *
ml_dmarc_check_get_from_domain (MlDmarcCheck *self)
{
  return self->from;
}

/* auth-results.c — formatting RFC 8601's header field. */
#include "mailauth/auth-results.h"

#include <string.h>

struct _MlAuthResults
{
  char      *authserv_id;
  GPtrArray *results;   /* char*, one resinfo each */
};

MlAuthResults *
ml_auth_results_new (const char *authserv_id)
{
  MlAuthResults *self = g_new0 (MlAuthResults, 1);

  self->authserv_id = g_strdup (authserv_id);
  self->results = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
ml_auth_results_free (MlAuthResults *self)
{
  if (self == NULL)
    return;
  g_free (self->authserv_id);
  g_ptr_array_unref (self->results);
  g_free (self);
}

/* RFC 5322 3.2.2 comment: ctext, with "(", ")" and "\" quoted; control
 * characters dropped; cut at ML_AUTH_RESULTS_MAX_COMMENT. */
static void
append_comment (GString *out, const char *text)
{
  gsize n = 0;

  g_string_append (out, " (");
  for (const char *p = text; *p && n < ML_AUTH_RESULTS_MAX_COMMENT; p++, n++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        continue;
      if (*p == '(' || *p == ')' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, ')');
}

/* RFC 8601 2.2 pvalue: a token (RFC 2045 5.1), an addr-spec-like
 * [local-part "@"] domain, or else a quoted-string. */
static void
append_pvalue (GString *out, const char *value)
{
  gboolean plain = *value != '\0';

  for (const char *p = value; *p; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || strchr ("()<>,;:\\\"/[]?=", *p))
      plain = FALSE;
  if (plain)
    {
      g_string_append (out, value);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = value; *p; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        continue;
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
add (MlAuthResults *self, GString *resinfo /* transfer full */)
{
  if (self->results->len >= ML_AUTH_RESULTS_MAX_RESULTS)
    {
      g_string_free (resinfo, TRUE);
      return;
    }
  g_ptr_array_add (self->results, g_string_free (resinfo, FALSE));
}

void
ml_auth_results_add_spf (MlAuthResults *self,
                         MlSpfResult    result,
                         const char    *mailfrom,
                         const char    *helo)
{
  GString *r = g_string_new ("spf=");

  g_string_append (r, ml_spf_result_to_string (result));
  if (mailfrom != NULL && *mailfrom != '\0')
    {
      g_string_append (r, " smtp.mailfrom=");
      append_pvalue (r, mailfrom);
    }
  else if (helo != NULL && *helo != '\0')
    {
      g_string_append (r, " smtp.helo=");
      append_pvalue (r, helo);
    }
  add (self, r);
}

void
ml_auth_results_add_dkim (MlAuthResults *self,
                          MlDkimResult   result,
                          const char    *reason,
                          const char    *domain,
                          const char    *selector)
{
  GString *r = g_string_new ("dkim=");

  g_string_append (r, ml_dkim_result_to_string (result));
  if (result != ML_DKIM_PASS && reason != NULL)
    append_comment (r, reason);
  if (domain != NULL)
    {
      g_string_append (r, " header.d=");
      append_pvalue (r, domain);
    }
  if (selector != NULL)
    {
      g_string_append (r, " header.s=");
      append_pvalue (r, selector);
    }
  add (self, r);
}

void
ml_auth_results_add_dkim_verify (MlAuthResults *self, MlDkimVerify *verify)
{
  guint n = ml_dkim_verify_get_n_signatures (verify);

  if (n == 0)
    ml_auth_results_add_dkim (self, ML_DKIM_NONE, NULL, NULL, NULL);
  for (guint i = 0; i < n; i++)
    ml_auth_results_add_dkim (self, ml_dkim_verify_get_result (verify, i),
                              ml_dkim_verify_get_reason (verify, i),
                              ml_dkim_verify_get_domain (verify, i),
                              ml_dkim_verify_get_selector (verify, i));
}

void
ml_auth_results_add_dmarc (MlAuthResults *self, MlDmarcCheck *check)
{
  GString *r = g_string_new ("dmarc=");
  MlDmarcResult result = ml_dmarc_check_get_result (check);

  g_string_append (r, ml_dmarc_result_to_string (result));
  if (result == ML_DMARC_PASS || result == ML_DMARC_FAIL)
    {
      g_autofree char *p = g_strconcat ("p=", ml_dmarc_policy_to_string (
                                          ml_dmarc_check_get_policy (check)), NULL);

      append_comment (r, p);
    }
  if (ml_dmarc_check_get_from_domain (check) != NULL)
    {
      g_string_append (r, " header.from=");
      append_pvalue (r, ml_dmarc_check_get_from_domain (check));
    }
  add (self, r);
}

char *
ml_auth_results_to_string (MlAuthResults *self)
{
  GString *out = g_string_new ("Authentication-Results: ");

  append_pvalue (out, self->authserv_id);
  /* 2.2: "none" when no method was applied */
  if (self->results->len == 0)
    g_string_append (out, "; none");
  /* one resinfo per folded line keeps each under 78 columns for the
   * usual values (RFC 5322 2.1.1) */
  for (guint i = 0; i < self->results->len; i++)
    g_string_append_printf (out, ";\r\n\t%s", (const char *) self->results->pdata[i]);
  g_string_append (out, "\r\n");
  return g_string_free (out, FALSE);
}

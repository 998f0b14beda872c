/* test-dmarc.c — RFC 7489 alignment, policy discovery and disposition. */
#include <string.h>
#include "mailauth/dmarc.h"

typedef struct {
  const char *name;
  const char *txt;   /* NULL: NXDOMAIN */
} Rr;

/* The owner's loop; *@asked_out gets the names queried, in order. */
static MlDmarcCheck *
run (MlDmarcCheck *c, const Rr *zone, gsize n, gboolean servfail, GString *asked)
{
  const char *name;
  guint queries = 0;

  while (!ml_dmarc_check_run (c, &name))
    {
      const Rr *rr = NULL;

      g_assert_cmpuint (++queries, <=, 2);   /* 6.6.3: at most two */
      g_string_append_printf (asked, "%s ", name);
      for (gsize i = 0; i < n; i++)
        if (g_ascii_strcasecmp (zone[i].name, name) == 0)
          rr = &zone[i];
      if (servfail)
        ml_dmarc_check_add_answer (c, name, ML_DMARC_DNS_ERROR, NULL);
      else if (rr == NULL)
        ml_dmarc_check_add_answer (c, name, ML_DMARC_DNS_NXDOMAIN, NULL);
      else
        {
          const char *values[] = { rr->txt, NULL };

          ml_dmarc_check_add_answer (c, name, ML_DMARC_DNS_OK, values);
        }
    }
  return c;
}

static void
test_org_domain (void)
{
  const struct { const char *in, *out; } cases[] = {
    { "a.example", "a.example" },
    { "mail.a.example", "a.example" },
    { "x.y.MAIL.A.Example", "a.example" },
    { "example", "example" },
    { "www.bbc.co.uk", g_file_test (ML_DMARC_PSL_PATH, G_FILE_TEST_EXISTS) ? "bbc.co.uk" : "co.uk" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *org = ml_dmarc_organizational_domain (cases[i].in);

      g_assert_cmpstr (org, ==, cases[i].out);
    }
}

/* RFC 7489 3.1: strict/relaxed × same/sub/other domain. */
static void
test_alignment_table (void)
{
  static const struct {
    const char  *id;
    MlDmarcAlign mode;
    gboolean     aligned;
  } cases[] = {
    { "a.example",      ML_DMARC_ALIGN_STRICT,  TRUE },
    { "mail.a.example", ML_DMARC_ALIGN_STRICT,  FALSE },
    { "c.example",      ML_DMARC_ALIGN_STRICT,  FALSE },
    { "A.EXAMPLE",      ML_DMARC_ALIGN_RELAXED, TRUE },
    { "mail.a.example", ML_DMARC_ALIGN_RELAXED, TRUE },
    { "c.example",      ML_DMARC_ALIGN_RELAXED, FALSE },
    { "a.example.net",  ML_DMARC_ALIGN_RELAXED, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (ml_dmarc_aligned (cases[i].id, "a.example", cases[i].mode), ==, cases[i].aligned);
  g_assert_false (ml_dmarc_aligned (NULL, "a.example", ML_DMARC_ALIGN_RELAXED));
}

static const Rr zone[] = {
  { "_dmarc.a.example", "v=DMARC1; p=reject; sp=quarantine; adkim=s; rua=mailto:d@a.example" },
  { "_dmarc.r.example", "v=DMARC1; p=quarantine; pct=50" },
  { "_dmarc.bad.example", "v=DMARC1; p=maybe" },
  { "_dmarc.sub.bad.example", "v=DMARC1; p=none" },
  { "_dmarc.two.example", "v=DMARC1; p=none" },
};

static void
test_discovery (void)
{
  g_autoptr(GString) asked = g_string_new (NULL);
  g_autoptr(MlDmarcCheck) c = ml_dmarc_check_new ("mail.a.example");

  /* no record at the subdomain: the Organizational Domain's, with sp= */
  run (c, zone, G_N_ELEMENTS (zone), FALSE, asked);
  g_assert_cmpstr (asked->str, ==, "_dmarc.mail.a.example _dmarc.a.example ");
  g_assert_cmpint (ml_dmarc_check_get_result (c), ==, ML_DMARC_FAIL);
  g_assert_cmpint (ml_dmarc_check_get_policy (c), ==, ML_DMARC_POLICY_QUARANTINE);
  g_assert_cmpint (ml_dmarc_check_get_disposition (c), ==, ML_DMARC_POLICY_QUARANTINE);
  g_assert_cmpstr (ml_dmarc_check_get_explain_key (c), ==, "dmarc.fail");
}

static void
test_pass_and_fail (void)
{
  g_autoptr(GString) asked = g_string_new (NULL);
  g_autoptr(MlDmarcCheck) dkim_strict = ml_dmarc_check_new ("a.example");
  g_autoptr(MlDmarcCheck) dkim_sub = ml_dmarc_check_new ("a.example");
  g_autoptr(MlDmarcCheck) spf_sub = ml_dmarc_check_new ("a.example");
  g_autoptr(MlDmarcCheck) spf_fail = ml_dmarc_check_new ("a.example");

  ml_dmarc_check_add_dkim (dkim_strict, ML_DKIM_FAIL, "a.example");
  ml_dmarc_check_add_dkim (dkim_strict, ML_DKIM_PASS, "a.example");
  run (dkim_strict, zone, G_N_ELEMENTS (zone), FALSE, asked);
  g_assert_cmpint (ml_dmarc_check_get_result (dkim_strict), ==, ML_DMARC_PASS);
  g_assert_cmpstr (ml_dmarc_check_get_reason (dkim_strict), ==, "DKIM d=a.example is aligned with From a.example");
  g_assert_cmpint (ml_dmarc_check_get_disposition (dkim_strict), ==, ML_DMARC_POLICY_NONE);

  /* adkim=s: a subdomain's signature is not aligned */
  ml_dmarc_check_add_dkim (dkim_sub, ML_DKIM_PASS, "mail.a.example");
  run (dkim_sub, zone, G_N_ELEMENTS (zone), FALSE, asked);
  g_assert_cmpint (ml_dmarc_check_get_result (dkim_sub), ==, ML_DMARC_FAIL);
  g_assert_cmpint (ml_dmarc_check_get_disposition (dkim_sub), ==, ML_DMARC_POLICY_REJECT);

  /* aspf=r (default): a subdomain's SPF pass is aligned */
  ml_dmarc_check_set_spf (spf_sub, ML_SPF_PASS, "bounces.a.example");
  run (spf_sub, zone, G_N_ELEMENTS (zone), FALSE, asked);
  g_assert_cmpint (ml_dmarc_check_get_result (spf_sub), ==, ML_DMARC_PASS);

  ml_dmarc_check_set_spf (spf_fail, ML_SPF_PASS, "c.example");
  run (spf_fail, zone, G_N_ELEMENTS (zone), FALSE, asked);
  g_assert_cmpint (ml_dmarc_check_get_result (spf_fail), ==, ML_DMARC_FAIL);
  g_assert_cmpstr (ml_dmarc_check_get_reason (spf_fail), ==, "no aligned SPF or DKIM pass for From a.example");
}

/* 6.6.4: outside the pct= sample the next weaker policy applies. */
static void
test_pct (void)
{
  g_autoptr(GString) asked = g_string_new (NULL);
  g_autoptr(MlDmarcCheck) in = ml_dmarc_check_new ("r.example");
  g_autoptr(MlDmarcCheck) out = ml_dmarc_check_new ("r.example");

  ml_dmarc_check_set_sample (in, 49);
  ml_dmarc_check_set_sample (out, 50);
  run (in, zone, G_N_ELEMENTS (zone), FALSE, asked);
  run (out, zone, G_N_ELEMENTS (zone), FALSE, asked);
  g_assert_cmpint (ml_dmarc_check_get_disposition (in), ==, ML_DMARC_POLICY_QUARANTINE);
  g_assert_cmpint (ml_dmarc_check_get_disposition (out), ==, ML_DMARC_POLICY_NONE);
}

static void
test_none_and_errors (void)
{
  g_autoptr(GString) asked = g_string_new (NULL);
  g_autoptr(MlDmarcCheck) none = ml_dmarc_check_new ("c.example");
  g_autoptr(MlDmarcCheck) bad = ml_dmarc_check_new ("bad.example");
  g_autoptr(MlDmarcCheck) sub_bad = ml_dmarc_check_new ("sub.bad.example");
  g_autoptr(MlDmarcCheck) tmp = ml_dmarc_check_new ("a.example");

  run (none, zone, G_N_ELEMENTS (zone), FALSE, asked);
  g_assert_cmpint (ml_dmarc_check_get_result (none), ==, ML_DMARC_NONE);
  g_assert_cmpstr (ml_dmarc_check_get_reason (none), ==, "no DMARC policy for c.example");
  run (bad, zone, G_N_ELEMENTS (zone), FALSE, asked);
  g_assert_cmpint (ml_dmarc_check_get_result (bad), ==, ML_DMARC_NONE);
  g_assert_true (g_str_has_prefix (ml_dmarc_check_get_reason (bad), "record at _dmarc.bad.example: p="));
  /* the subdomain's own record is used, the org's bad one never asked */
  g_string_truncate (asked, 0);
  run (sub_bad, zone, G_N_ELEMENTS (zone), FALSE, asked);
  g_assert_cmpstr (asked->str, ==, "_dmarc.sub.bad.example ");
  g_assert_cmpint (ml_dmarc_check_get_result (sub_bad), ==, ML_DMARC_FAIL);
  g_assert_cmpint (ml_dmarc_check_get_disposition (sub_bad), ==, ML_DMARC_POLICY_NONE);
  run (tmp, zone, G_N_ELEMENTS (zone), TRUE, asked);
  g_assert_cmpint (ml_dmarc_check_get_result (tmp), ==, ML_DMARC_TEMPERROR);
}

static void
test_record_parse (void)
{
  static const char *const bad[] = {
    "p=reject; v=DMARC1", "v=DMARC1", "v=DMARC1; p=reject; sp=drop",
    "v=DMARC1; p=reject; adkim=x", "v=DMARC1; p=reject; pct=101",
    "v=DMARC1; p=reject; pct=-1", "v=DMARC2; p=none", "v=DMARC1; p=none; p=none",
  };
  g_autoptr(MlDmarcRecord) rec = ml_dmarc_record_parse (
      "v=DMARC1; p=quarantine; aspf=s; pct=20; rua=mailto:a@a.example; ruf=mailto:f@a.example; fo=1", NULL);

  g_assert_nonnull (rec);
  g_assert_cmpint (rec->p, ==, ML_DMARC_POLICY_QUARANTINE);
  g_assert_cmpint (rec->sp, ==, ML_DMARC_POLICY_QUARANTINE);
  g_assert_cmpint (rec->aspf, ==, ML_DMARC_ALIGN_STRICT);
  g_assert_cmpint (rec->adkim, ==, ML_DMARC_ALIGN_RELAXED);
  g_assert_cmpuint (rec->pct, ==, 20);
  g_assert_cmpstr (rec->rua, ==, "mailto:a@a.example");
  g_assert_cmpstr (rec->ruf, ==, "mailto:f@a.example");
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (ml_dmarc_record_parse (bad[i], &error));
      g_assert_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dmarc/org-domain", test_org_domain);
  g_test_add_func ("/dmarc/alignment-table", test_alignment_table);
  g_test_add_func ("/dmarc/discovery/org-fallback-sp", test_discovery);
  g_test_add_func ("/dmarc/pass-and-fail", test_pass_and_fail);
  g_test_add_func ("/dmarc/pct", test_pct);
  g_test_add_func ("/dmarc/none-and-errors", test_none_and_errors);
  g_test_add_func ("/dmarc/record-parse", test_record_parse);
  return g_test_run ();
}

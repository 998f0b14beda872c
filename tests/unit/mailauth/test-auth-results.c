/* test-auth-results.c — the exact text of RFC 8601 header fields. */
#include <string.h>
#include "mailauth/auth-results.h"

static void
test_none (void)
{
  g_autoptr(MlAuthResults) ar = ml_auth_results_new ("mx.b.example");
  g_autofree char *text = ml_auth_results_to_string (ar);

  g_assert_cmpstr (text, ==, "Authentication-Results: mx.b.example; none\r\n");
}

static void
test_all_three (void)
{
  const char *values[] = { "v=DMARC1; p=reject", NULL };
  g_autoptr(MlAuthResults) ar = ml_auth_results_new ("mx.b.example");
  g_autoptr(MlDmarcCheck) dmarc = ml_dmarc_check_new ("a.example");
  g_autofree char *text = NULL;
  const char *name;

  ml_dmarc_check_add_dkim (dmarc, ML_DKIM_FAIL, "a.example");
  g_assert_false (ml_dmarc_check_run (dmarc, &name));
  ml_dmarc_check_add_answer (dmarc, name, ML_DMARC_DNS_OK, values);
  g_assert_true (ml_dmarc_check_run (dmarc, &name));
  ml_auth_results_add_spf (ar, ML_SPF_PASS, "alice@a.example", "mail.a.example");
  ml_auth_results_add_dkim (ar, ML_DKIM_FAIL, "body hash did not verify", "a.example", "lab");
  ml_auth_results_add_dmarc (ar, dmarc);
  text = ml_auth_results_to_string (ar);
  g_assert_cmpstr (text, ==,
                   "Authentication-Results: mx.b.example;\r\n"
                   "\tspf=pass smtp.mailfrom=alice@a.example;\r\n"
                   "\tdkim=fail (body hash did not verify) header.d=a.example header.s=lab;\r\n"
                   "\tdmarc=fail (p=reject) header.from=a.example\r\n");
}

static void
test_quoting (void)
{
  g_autoptr(MlAuthResults) ar = ml_auth_results_new ("mx.b.example");
  g_autofree char *text = NULL;

  ml_auth_results_add_spf (ar, ML_SPF_SOFTFAIL, "", "helo.c.example");
  ml_auth_results_add_dkim (ar, ML_DKIM_PERMERROR, "bad (really) \\ key", "odd domain", NULL);
  ml_auth_results_add_dkim (ar, ML_DKIM_PASS, "good signature", "a.example", "s1");
  text = ml_auth_results_to_string (ar);
  g_assert_cmpstr (text, ==,
                   "Authentication-Results: mx.b.example;\r\n"
                   "\tspf=softfail smtp.helo=helo.c.example;\r\n"
                   "\tdkim=permerror (bad \\(really\\) \\\\ key) header.d=\"odd domain\";\r\n"
                   "\tdkim=pass header.d=a.example header.s=s1\r\n");
}

static void
test_dkim_none (void)
{
  const char msg[] = "From: a@a.example\r\n\r\nhi\r\n";
  g_autoptr(MlDkimVerify) v = ml_dkim_verify_new (msg, strlen (msg));
  g_autoptr(MlAuthResults) ar = ml_auth_results_new ("mx.b.example");
  g_autofree char *text = NULL;
  const char *name;

  g_assert_true (ml_dkim_verify_run (v, &name));
  ml_auth_results_add_dkim_verify (ar, v);
  text = ml_auth_results_to_string (ar);
  g_assert_cmpstr (text, ==, "Authentication-Results: mx.b.example;\r\n\tdkim=none\r\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/auth-results/none", test_none);
  g_test_add_func ("/auth-results/spf-dkim-dmarc", test_all_three);
  g_test_add_func ("/auth-results/quoting", test_quoting);
  g_test_add_func ("/auth-results/dkim-none", test_dkim_none);
  return g_test_run ();
}

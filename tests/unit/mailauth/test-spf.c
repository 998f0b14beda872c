/* test-spf.c — check_host() against RFC 7208's own examples. */
#include <string.h>
#include "mailauth/spf-private.h"

typedef struct {
  const char  *name;
  MlSpfRrType  type;
  const char  *values[12];
} Rr;

/* RFC 7208 Appendix A's zone (with www's CNAME left out: the lab's DNS
 * has none), plus the records each test publishes. */
static const Rr appendix_a[] = {
  { "example.com", ML_SPF_RR_MX, { "mail-a.example.com", "mail-b.example.com" } },
  { "example.com", ML_SPF_RR_A, { "192.0.2.10", "192.0.2.11" } },
  { "amy.example.com", ML_SPF_RR_A, { "192.0.2.65" } },
  { "bob.example.com", ML_SPF_RR_A, { "192.0.2.66" } },
  { "mail-a.example.com", ML_SPF_RR_A, { "192.0.2.129" } },
  { "mail-b.example.com", ML_SPF_RR_A, { "192.0.2.130" } },
  { "example.org", ML_SPF_RR_MX, { "mail-c.example.org" } },
  { "mail-c.example.org", ML_SPF_RR_A, { "192.0.2.140" } },
  { "10.2.0.192.in-addr.arpa", ML_SPF_RR_PTR, { "example.com" } },
  { "11.2.0.192.in-addr.arpa", ML_SPF_RR_PTR, { "example.com" } },
  { "65.2.0.192.in-addr.arpa", ML_SPF_RR_PTR, { "amy.example.com" } },
  { "66.2.0.192.in-addr.arpa", ML_SPF_RR_PTR, { "bob.example.com" } },
  { "129.2.0.192.in-addr.arpa", ML_SPF_RR_PTR, { "mail-a.example.com" } },
  { "130.2.0.192.in-addr.arpa", ML_SPF_RR_PTR, { "mail-b.example.com" } },
  { "140.2.0.192.in-addr.arpa", ML_SPF_RR_PTR, { "mail-c.example.org" } },
  { "4.0.0.10.in-addr.arpa", ML_SPF_RR_PTR, { "bob.example.com" } },
  /* A.3 */
  { "mary.mobile-users._spf.example.com", ML_SPF_RR_A, { "127.0.0.2" } },
  { "fred.mobile-users._spf.example.com", ML_SPF_RR_A, { "127.0.0.2" } },
  { "15.15.168.192.joel.remote-users._spf.example.com", ML_SPF_RR_A, { "127.0.0.2" } },
  { "16.15.168.192.joel.remote-users._spf.example.com", ML_SPF_RR_A, { "127.0.0.2" } },
  { "mobile-users._spf.example.com", ML_SPF_RR_TXT, { "v=spf1 exists:%{l1r+}.%{d}" } },
  { "remote-users._spf.example.com", ML_SPF_RR_TXT, { "v=spf1 exists:%{ir}.%{l1r+}.%{d}" } },
};

typedef struct {
  GPtrArray  *extra;      /* Rr* published by the test */
  gboolean    servfail;   /* every lookup fails */
  guint       queries;
} Zone;

static const Rr *
find (const Rr *rrs, gsize n, const char *name, MlSpfRrType type)
{
  for (gsize i = 0; i < n; i++)
    if (rrs[i].type == type && g_ascii_strcasecmp (rrs[i].name, name) == 0)
      return &rrs[i];
  return NULL;
}

static gboolean
name_exists (Zone *zone, const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (appendix_a); i++)
    if (g_ascii_strcasecmp (appendix_a[i].name, name) == 0)
      return TRUE;
  for (guint i = 0; i < zone->extra->len; i++)
    if (g_ascii_strcasecmp (((Rr *) g_ptr_array_index (zone->extra, i))->name, name) == 0)
      return TRUE;
  return FALSE;
}

/* The owner's loop: run, answer what it asks, run again. */
static MlSpfResult
check (Zone *zone, const char *ip, const char *sender, MlSpfCheck **out)
{
  MlSpfCheck *c = ml_spf_check_new (ip, sender, "mx.example.net", "receiver.example.net");
  const char *name;
  MlSpfRrType type;

  g_assert_nonnull (c);
  while (!ml_spf_check_run (c, &name, &type))
    {
      const Rr *rr = NULL;

      zone->queries++;
      g_assert_cmpuint (zone->queries, <, 200);
      for (guint i = 0; i < zone->extra->len && rr == NULL; i++)
        {
          Rr *x = g_ptr_array_index (zone->extra, i);
          if (x->type == type && g_ascii_strcasecmp (x->name, name) == 0)
            rr = x;
        }
      if (rr == NULL)
        rr = find (appendix_a, G_N_ELEMENTS (appendix_a), name, type);
      if (zone->servfail)
        ml_spf_check_add_answer (c, name, type, ML_SPF_DNS_ERROR, NULL);
      else if (rr != NULL)
        ml_spf_check_add_answer (c, name, type, ML_SPF_DNS_OK, rr->values);
      else
        ml_spf_check_add_answer (c, name, type,
                                 name_exists (zone, name) ? ML_SPF_DNS_OK : ML_SPF_DNS_NXDOMAIN, NULL);
    }
  if (out != NULL)
    *out = c;
  else
    {
      MlSpfResult r = ml_spf_check_get_result (c);
      ml_spf_check_free (c);
      return r;
    }
  return ml_spf_check_get_result (c);
}

static void
publish (Zone *zone, const char *name, MlSpfRrType type, const char *value)
{
  Rr *rr = g_new0 (Rr, 1);

  rr->name = name;
  rr->type = type;
  rr->values[0] = value;
  g_ptr_array_add (zone->extra, rr);
}

static void
zone_init (Zone *zone, const char *example_com_spf)
{
  zone->extra = g_ptr_array_new_with_free_func (g_free);
  zone->servfail = FALSE;
  zone->queries = 0;
  if (example_com_spf != NULL)
    publish (zone, "example.com", ML_SPF_RR_TXT, example_com_spf);
}

static void
zone_clear (Zone *zone)
{
  g_ptr_array_unref (zone->extra);
}

typedef struct {
  const char *record;
  const char *ip;
  MlSpfResult expected;
} Case;

/* RFC 7208 A.1: which hosts pass each record of example.com. */
static void
test_appendix_a1 (void)
{
  static const Case cases[] = {
    { "v=spf1 +all", "198.51.100.7", ML_SPF_PASS },
    { "v=spf1 a -all", "192.0.2.10", ML_SPF_PASS },
    { "v=spf1 a -all", "192.0.2.11", ML_SPF_PASS },
    { "v=spf1 a -all", "192.0.2.65", ML_SPF_FAIL },
    { "v=spf1 a:example.org -all", "192.0.2.140", ML_SPF_FAIL },
    { "v=spf1 mx -all", "192.0.2.129", ML_SPF_PASS },
    { "v=spf1 mx -all", "192.0.2.130", ML_SPF_PASS },
    { "v=spf1 mx -all", "192.0.2.10", ML_SPF_FAIL },
    { "v=spf1 mx:example.org -all", "192.0.2.140", ML_SPF_PASS },
    { "v=spf1 mx mx:example.org -all", "192.0.2.129", ML_SPF_PASS },
    { "v=spf1 mx mx:example.org -all", "192.0.2.140", ML_SPF_PASS },
    { "v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.131", ML_SPF_PASS },
    { "v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.143", ML_SPF_PASS },
    { "v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.132", ML_SPF_FAIL },
    { "v=spf1 ptr -all", "192.0.2.65", ML_SPF_PASS },
    { "v=spf1 ptr -all", "192.0.2.140", ML_SPF_FAIL },
    { "v=spf1 ptr -all", "10.0.0.4", ML_SPF_FAIL },
    { "v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.65", ML_SPF_FAIL },
    { "v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.129", ML_SPF_PASS },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Zone zone;

      zone_init (&zone, cases[i].record);
      g_test_message ("%s from %s", cases[i].record, cases[i].ip);
      g_assert_cmpstr (ml_spf_result_to_string (check (&zone, cases[i].ip, "amy@example.com", NULL)), ==,
                       ml_spf_result_to_string (cases[i].expected));
      zone_clear (&zone);
    }
}

/* RFC 7208 A.2 and A.3: include, redirect, and exists with macros. */
static void
test_appendix_a2_a3 (void)
{
  Zone zone;

  zone_init (&zone, "v=spf1 mx include:mobile-users._spf.%{d} include:remote-users._spf.%{d} -all");
  publish (&zone, "example.org", ML_SPF_RR_TXT, "v=spf1 include:example.com -all");
  publish (&zone, "la.example.org", ML_SPF_RR_TXT, "v=spf1 redirect=example.org");

  g_assert_cmpint (check (&zone, "192.0.2.129", "amy@example.com", NULL), ==, ML_SPF_PASS);
  /* mary is a mobile user: any address passes. */
  g_assert_cmpint (check (&zone, "203.0.113.9", "mary@example.com", NULL), ==, ML_SPF_PASS);
  g_assert_cmpint (check (&zone, "203.0.113.9", "amy@example.com", NULL), ==, ML_SPF_FAIL);
  /* joel mails from his own servers only. */
  g_assert_cmpint (check (&zone, "192.168.15.15", "joel@example.com", NULL), ==, ML_SPF_PASS);
  g_assert_cmpint (check (&zone, "192.168.15.17", "joel@example.com", NULL), ==, ML_SPF_FAIL);
  /* la.example.org uses example.org's record, which includes example.com's. */
  g_assert_cmpint (check (&zone, "192.0.2.130", "news@la.example.org", NULL), ==, ML_SPF_PASS);
  g_assert_cmpint (check (&zone, "198.51.100.1", "news@la.example.org", NULL), ==, ML_SPF_FAIL);
  zone_clear (&zone);
}

/* RFC 7208 7.4's expansion table. */
static void
test_macro_examples (void)
{
  g_autoptr(GInetAddress) ip4 = g_inet_address_new_from_string ("192.0.2.3");
  g_autoptr(GInetAddress) ip6 = g_inet_address_new_from_string ("2001:db8::cb01");
  MlSpfMacroContext ctx = {
    .sender = "strong-bad@email.example.com", .local = "strong-bad",
    .sender_domain = "email.example.com", .domain = "email.example.com",
    .ip = ip4, .validated = "mx.example.org", .helo = "mx.example.org",
  };
  static const char *const table[][2] = {
    { "%{s}", "strong-bad@email.example.com" },
    { "%{o}", "email.example.com" },
    { "%{d}", "email.example.com" },
    { "%{d4}", "email.example.com" },
    { "%{d3}", "email.example.com" },
    { "%{d2}", "example.com" },
    { "%{d1}", "com" },
    { "%{dr}", "com.example.email" },
    { "%{d2r}", "example.email" },
    { "%{l}", "strong-bad" },
    { "%{l-}", "strong.bad" },
    { "%{lr}", "strong-bad" },
    { "%{lr-}", "bad.strong" },
    { "%{l1r-}", "strong" },
    { "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
    { "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
    { "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
    { "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com" },
    { "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = _ml_spf_macro_expand (table[i][0], &ctx, FALSE, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, table[i][1]);
    }

  ctx.ip = ip6;
  {
    g_autofree char *out = _ml_spf_macro_expand ("%{ir}.%{v}._spf.%{d2}", &ctx, FALSE, NULL);
    g_assert_cmpstr (out, ==, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
  }
  {
    g_autofree char *out = _ml_spf_macro_expand ("%%%_%-%{L}", &ctx, FALSE, NULL);
    g_assert_cmpstr (out, ==, "% %20strong-bad");
  }
  /* c, r and t only in explanations (7.3). */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *out = _ml_spf_macro_expand ("%{c}", &ctx, FALSE, &error);
    g_assert_null (out);
    g_assert_error (error, ML_SPF_ERROR, ML_SPF_ERROR_SYNTAX);
  }
  {
    g_autofree char *out = _ml_spf_macro_expand ("%{c} is not %{d}", &ctx, TRUE, NULL);
    g_assert_cmpstr (out, ==, "2001:db8::cb01 is not email.example.com");
  }
}

static void
test_syntax (void)
{
  static const char *const good[] = {
    "v=spf1", "v=spf1 -all", "V=SPF1 IP4:192.0.2.0/24 ~ALL", "v=spf1 a/24//64 mx:%{d}/30",
    "v=spf1 ip6:2001:db8::/32 -all", "v=spf1 exists:%{ir}.%{l1r+}.%{d} -all",
    "v=spf1 redirect=_spf.example.com", "v=spf1 foo=bar -all", "v=spf1 ptr:example.com ?all",
  };
  static const char *const bad[] = {
    "v=spf10", "spf1 -all", "v=spf1 foo", "v=spf1 ip4:192.0.2.0/33", "v=spf1 ip4:192.0.2.256",
    "v=spf1 ip6:192.0.2.1", "v=spf1 a:-", "v=spf1 include", "v=spf1 all:x",
    "v=spf1 redirect=a.example redirect=b.example", "v=spf1 a:%{z}.example.com",
    "v=spf1 exists:%{c}.example.com", "v=spf1 mx/024", "v=spf1 a:example.123",
    "v=spf1 1foo=bar",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_test_message ("good: %s", good[i]);
      g_assert_true (ml_spf_record_validate (good[i], &error));
      g_assert_no_error (error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_test_message ("bad: %s", bad[i]);
      g_assert_false (ml_spf_record_validate (bad[i], &error));
      g_assert_error (error, ML_SPF_ERROR, ML_SPF_ERROR_SYNTAX);
    }
}

static void
test_results (void)
{
  Zone zone;
  MlSpfCheck *c = NULL;

  /* No record: none (4.5). */
  zone_init (&zone, NULL);
  g_assert_cmpint (check (&zone, "192.0.2.10", "amy@example.com", NULL), ==, ML_SPF_NONE);
  zone_clear (&zone);

  /* A syntax error after a matching term is still a permerror (4.6). */
  zone_init (&zone, "v=spf1 +all foo:bar");
  g_assert_cmpint (check (&zone, "192.0.2.10", "amy@example.com", NULL), ==, ML_SPF_PERMERROR);
  zone_clear (&zone);

  /* Two SPF records: permerror (4.5). */
  zone_init (&zone, "v=spf1 -all");
  publish (&zone, "example.com", ML_SPF_RR_TXT, NULL);
  ((Rr *) g_ptr_array_index (zone.extra, 0))->values[1] = "v=spf1 +all";
  g_assert_cmpint (check (&zone, "192.0.2.10", "amy@example.com", NULL), ==, ML_SPF_PERMERROR);
  zone_clear (&zone);

  /* A DNS failure: temperror (4.4). */
  zone_init (&zone, "v=spf1 -all");
  zone.servfail = TRUE;
  g_assert_cmpint (check (&zone, "192.0.2.10", "amy@example.com", NULL), ==, ML_SPF_TEMPERROR);
  zone_clear (&zone);

  /* softfail and neutral qualifiers; no match and no all: neutral (4.7). */
  zone_init (&zone, "v=spf1 ~all");
  g_assert_cmpint (check (&zone, "192.0.2.10", "amy@example.com", NULL), ==, ML_SPF_SOFTFAIL);
  zone_clear (&zone);
  zone_init (&zone, "v=spf1 ip4:198.51.100.0/24");
  g_assert_cmpint (check (&zone, "192.0.2.10", "amy@example.com", NULL), ==, ML_SPF_NEUTRAL);
  zone_clear (&zone);

  /* include of a domain without a record, redirect to one: permerror. */
  zone_init (&zone, "v=spf1 include:example.org -all");
  g_assert_cmpint (check (&zone, "192.0.2.10", "amy@example.com", NULL), ==, ML_SPF_PERMERROR);
  zone_clear (&zone);
  zone_init (&zone, "v=spf1 redirect=example.org");
  g_assert_cmpint (check (&zone, "192.0.2.10", "amy@example.com", NULL), ==, ML_SPF_PERMERROR);
  zone_clear (&zone);

  /* redirect is ignored when the record has "all" (6.1). */
  zone_init (&zone, "v=spf1 ?all redirect=example.org");
  g_assert_cmpint (check (&zone, "192.0.2.10", "amy@example.com", NULL), ==, ML_SPF_NEUTRAL);
  zone_clear (&zone);

  /* The null reverse-path checks postmaster@HELO (2.4): the HELO name's
   * domain decides. */
  zone_init (&zone, NULL);
  publish (&zone, "mx.example.net", ML_SPF_RR_TXT, "v=spf1 ip4:192.0.2.200 -all");
  g_assert_cmpint (check (&zone, "192.0.2.200", "", &c), ==, ML_SPF_PASS);
  g_assert_cmpstr (ml_spf_check_get_domain (c), ==, "mx.example.net");
  ml_spf_check_free (c);
  zone_clear (&zone);

  /* The explanation of a fail (6.2), with its macros expanded. */
  zone_init (&zone, "v=spf1 mx -all exp=explain._spf.%{d}");
  publish (&zone, "explain._spf.example.com", ML_SPF_RR_TXT, "%{i} is not one of %{d}'s designated mail servers.");
  g_assert_cmpint (check (&zone, "192.0.2.9", "amy@example.com", &c), ==, ML_SPF_FAIL);
  g_assert_cmpstr (ml_spf_check_get_explanation (c), ==, "192.0.2.9 is not one of example.com's designated mail servers.");
  g_assert_nonnull (strstr (ml_spf_check_get_reason (c), "-all"));
  ml_spf_check_free (c);
  zone_clear (&zone);

  /* An IPv6 client: ip6 matches, ip4 does not. */
  zone_init (&zone, "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all");
  g_assert_cmpint (check (&zone, "2001:db8::cb01", "amy@example.com", NULL), ==, ML_SPF_PASS);
  g_assert_cmpint (check (&zone, "2001:db9::1", "amy@example.com", NULL), ==, ML_SPF_FAIL);
  /* An IPv4-mapped IPv6 client is the IPv4 address (5.6). */
  g_assert_cmpint (check (&zone, "::ffff:192.0.2.1", "amy@example.com", NULL), ==, ML_SPF_PASS);
  zone_clear (&zone);
}

/* RFC 7208 4.6.4. */
static void
test_limits (void)
{
  Zone zone;
  MlSpfCheck *c = NULL;
  Rr *mx;

  /* Eleven DNS-querying terms. */
  zone_init (&zone, "v=spf1 a a a a a a a a a a a:example.org -all");
  g_assert_cmpint (check (&zone, "198.51.100.1", "amy@example.com", &c), ==, ML_SPF_PERMERROR);
  g_assert_cmpuint (ml_spf_check_get_dns_terms (c), ==, 11);
  ml_spf_check_free (c);
  zone_clear (&zone);
  /* Ten are fine. */
  zone_init (&zone, "v=spf1 a a a a a a a a a a:example.org -all");
  g_assert_cmpint (check (&zone, "198.51.100.1", "amy@example.com", NULL), ==, ML_SPF_FAIL);
  zone_clear (&zone);

  /* An include loop ends at the limit, not in a stack overflow. */
  zone_init (&zone, "v=spf1 include:example.com -all");
  g_assert_cmpint (check (&zone, "198.51.100.1", "amy@example.com", NULL), ==, ML_SPF_PERMERROR);
  zone_clear (&zone);

  /* Three void lookups. */
  zone_init (&zone, "v=spf1 a:none1.example.com a:none2.example.com a:none3.example.com -all");
  g_assert_cmpint (check (&zone, "198.51.100.1", "amy@example.com", &c), ==, ML_SPF_PERMERROR);
  g_assert_nonnull (strstr (ml_spf_check_get_reason (c), "void"));
  ml_spf_check_free (c);
  zone_clear (&zone);

  /* An MX set of eleven names. */
  zone_init (&zone, "v=spf1 mx:big.example.com -all");
  mx = g_new0 (Rr, 1);
  mx->name = "big.example.com";
  mx->type = ML_SPF_RR_MX;
  for (int i = 0; i < 11; i++)
    mx->values[i] = "mail-a.example.com";
  g_ptr_array_add (zone.extra, mx);
  g_assert_cmpint (check (&zone, "192.0.2.129", "amy@example.com", NULL), ==, ML_SPF_PERMERROR);
  zone_clear (&zone);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spf/appendix-a1", test_appendix_a1);
  g_test_add_func ("/spf/appendix-a2-a3", test_appendix_a2_a3);
  g_test_add_func ("/spf/macro-examples", test_macro_examples);
  g_test_add_func ("/spf/syntax", test_syntax);
  g_test_add_func ("/spf/results", test_results);
  g_test_add_func ("/spf/limits", test_limits);
  return g_test_run ();
}

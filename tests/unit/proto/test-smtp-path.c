/* Unit tests for the MAIL FROM:/RCPT TO: argument parser, RFC 5321 4.1.2. */
#include <string.h>
#include "proto/smtp-path.h"

/* Parses and expects success; returns the path (caller frees). */
static MlSmtpPath *
parse_ok (const char *text, MlSmtpPathKind kind)
{
  MlSmtpPathStatus status = ML_SMTP_PATH_ERROR_SYNTAX;
  MlSmtpPath *path = ml_smtp_path_parse (text, kind, &status);

  if (path == NULL)
    g_test_message ("rejected: %s", text);
  g_assert_cmpstr (ml_smtp_path_status_to_string (status), ==, "ok");
  g_assert_nonnull (path);
  return path;
}

static MlSmtpPathStatus
parse_status (const char *text, MlSmtpPathKind kind)
{
  MlSmtpPathStatus status = ML_SMTP_PATH_OK;
  g_autoptr(MlSmtpPath) path = ml_smtp_path_parse (text, kind, &status);

  /* A path comes back exactly when the status says ok. */
  g_assert_cmpint (path != NULL, ==, status == ML_SMTP_PATH_OK);
  return status;
}

static void
test_plain_mailbox (void)
{
  g_autoptr(MlSmtpPath) path = parse_ok ("<alice@a.example>", ML_SMTP_PATH_REVERSE);

  g_assert_cmpstr (path->mailbox, ==, "alice@a.example");
  g_assert_cmpstr (path->local_part, ==, "alice");
  g_assert_cmpstr (path->domain, ==, "a.example");
  g_assert_null (path->source_route);
  g_assert_false (path->is_null);
  g_assert_false (path->is_postmaster);
  g_assert_cmpuint (path->params->len, ==, 0);
}

static void
test_null_reverse_path (void)
{
  g_autoptr(MlSmtpPath) path = parse_ok ("<>", ML_SMTP_PATH_REVERSE);

  g_assert_true (path->is_null);
  g_assert_cmpstr (path->mailbox, ==, "");
  g_assert_null (path->local_part);
  g_assert_null (path->domain);

  /* RFC 5321 4.1.2: only a Reverse-path may be null. */
  g_assert_cmpint (parse_status ("<>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
}

static void
test_postmaster (void)
{
  g_autoptr(MlSmtpPath) bare = parse_ok ("<PostMaster>", ML_SMTP_PATH_FORWARD);
  g_autoptr(MlSmtpPath) full = parse_ok ("<postmaster@b.example>", ML_SMTP_PATH_FORWARD);
  g_autoptr(MlSmtpPath) quoted = parse_ok ("<\"post\\master\"@b.example>", ML_SMTP_PATH_FORWARD);

  g_assert_true (bare->is_postmaster);
  g_assert_cmpstr (bare->mailbox, ==, "PostMaster");
  g_assert_null (bare->domain);
  g_assert_true (full->is_postmaster);
  g_assert_cmpstr (full->domain, ==, "b.example");
  /* All quoted forms are the same local part (RFC 5321 4.1.2). */
  g_assert_true (quoted->is_postmaster);

  /* The domainless form exists only for RCPT, and only for postmaster. */
  g_assert_cmpint (parse_status ("<postmaster>", ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<alice>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<@a.example:postmaster>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
}

static void
test_quoted_local_part (void)
{
  g_autoptr(MlSmtpPath) path = parse_ok ("<\"John Smith\\\" <x>\"@b.example>", ML_SMTP_PATH_FORWARD);

  g_assert_cmpstr (path->local_part, ==, "\"John Smith\\\" <x>\"");
  g_assert_cmpstr (path->domain, ==, "b.example");

  /* Unterminated, control character inside, backslash before a control. */
  g_assert_cmpint (parse_status ("<\"abc@b.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<\"a\tb\"@b.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<\"a\\\x01\"@b.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
}

static void
test_dot_string (void)
{
  g_autoptr(MlSmtpPath) path = parse_ok ("<a.b+tag!#$%&'*/=?^_`{|}~-@b.example>", ML_SMTP_PATH_FORWARD);

  g_assert_cmpstr (path->local_part, ==, "a.b+tag!#$%&'*/=?^_`{|}~-");

  g_assert_cmpint (parse_status ("<.a@b.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<a.@b.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<a..b@b.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<a b@b.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<a(b)@b.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<@b.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
}

static void
test_domains (void)
{
  g_autoptr(MlSmtpPath) path = parse_ok ("<a@Mail-1.B.example>", ML_SMTP_PATH_FORWARD);

  g_assert_cmpstr (path->domain, ==, "Mail-1.B.example");
  g_assert_cmpint (parse_status ("<a@-b.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b-.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b..example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b.example.>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  /* RFC 5321 4.1.2: the underscore is not permitted in domain labels. */
  g_assert_cmpint (parse_status ("<a@b_c.example>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<a@>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b@c>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);

  g_assert_true (ml_smtp_is_domain ("localhost", 9));
  g_assert_true (ml_smtp_is_domain ("a.b", 3));
  g_assert_false (ml_smtp_is_domain ("a.b", 2));  /* "a." */
  g_assert_false (ml_smtp_is_domain ("", 0));
}

static void
test_address_literals (void)
{
  static const char *good[] = {
    "<a@[192.0.2.1]>",
    "<a@[0.0.0.0]>",
    "<a@[255.255.255.255]>",
    "<a@[IPv6:2001:db8::1]>",
    "<a@[ipv6:2001:DB8:0:0:0:0:0:1]>",
    "<a@[IPv6:::]>",
    "<a@[IPv6:::1]>",
    "<a@[IPv6:fe80::]>",
    "<a@[IPv6:::ffff:192.0.2.1]>",
    "<a@[IPv6:0:0:0:0:0:ffff:192.0.2.1]>",
    "<a@[IPv6:1:2:3:4::192.0.2.1]>",
    "<a@[IPv6:1:2:3::4:5:6]>",
  };
  static const char *bad[] = {
    "<a@[256.0.0.1]>",
    "<a@[1.2.3]>",
    "<a@[1.2.3.4.5]>",
    "<a@[1.2.3.04444]>",
    "<a@[1..2.3]>",
    "<a@[]>",
    "<a@[1.2.3.4>",
    "<a@[IPv6:1:2:3:4:5:6:7]>",        /* 7 groups, no "::" */
    "<a@[IPv6:1:2:3:4:5:6:7:8:9]>",
    "<a@[IPv6:1::2::3]>",             /* two "::" */
    "<a@[IPv6:1:::2]>",
    "<a@[IPv6:12345::1]>",            /* five hex digits */
    "<a@[IPv6:1:2:3:4:5:6:7::]>",     /* "::" must stand for two groups */
    "<a@[IPv6:1:2:3:4:5::192.0.2.1]>",/* too many groups with IPv4 */
    "<a@[IPv6:1:2:3:4:5:192.0.2.1]>", /* IPv6v4-full needs six */
    "<a@[IPv6:g::1]>",
    "<a@[IPv6:1:]>",
    "<a@[IPv6:]>",
    "<a@[x-tag:stuff]>",              /* General-address-literal, no registered tag */
    "<a@[192.0.2.1 ]>",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(MlSmtpPath) path = parse_ok (good[i], ML_SMTP_PATH_FORWARD);

      g_assert_cmpint (path->domain[0], ==, '[');
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("bad literal: %s", bad[i]);
      g_assert_cmpint (parse_status (bad[i], ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
    }

  g_assert_true (ml_smtp_is_address_literal ("[10.0.0.1]", 10));
  g_assert_false (ml_smtp_is_address_literal ("10.0.0.1", 8));
}

static void
test_source_route (void)
{
  g_autoptr(MlSmtpPath) path = parse_ok ("<@hosta.int,@jkl.org:userc@d.bar.org>", ML_SMTP_PATH_FORWARD);

  /* RFC 5321 4.1.1.3: recognised, then ignored. */
  g_assert_cmpstr (path->mailbox, ==, "userc@d.bar.org");
  g_assert_cmpstr (path->source_route, ==, "@hosta.int,@jkl.org");

  g_assert_cmpint (parse_status ("<@hosta.int:>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<@hosta.int,userc@d.bar.org>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<@:userc@d.bar.org>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<@a,:u@d.org>", ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
}

static void
test_params (void)
{
  g_autoptr(MlSmtpPath) path = parse_ok ("<a@b.example> SIZE=1000 BODY=8BITMIME X-FLAG", ML_SMTP_PATH_REVERSE);
  const char *value = NULL;

  g_assert_cmpuint (path->params->len, ==, 3);
  g_assert_true (ml_smtp_path_lookup_param (path, "size", &value));
  g_assert_cmpstr (value, ==, "1000");
  g_assert_true (ml_smtp_path_lookup_param (path, "Body", &value));
  g_assert_cmpstr (value, ==, "8BITMIME");
  g_assert_true (ml_smtp_path_lookup_param (path, "X-FLAG", &value));
  g_assert_null (value);
  g_assert_false (ml_smtp_path_lookup_param (path, "RET", &value));

  g_assert_cmpint (parse_status ("<a@b.example>  SIZE=1", ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_PARAM_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b.example> SIZE=", ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_PARAM_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b.example> =1", ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_PARAM_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b.example> -X", ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_PARAM_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b.example> A=b=c", ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_PARAM_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b.example> A=\x7f", ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_PARAM_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b.example> ", ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_PARAM_SYNTAX);
  /* Glued to the ">" is a broken path, not a parameter. */
  g_assert_cmpint (parse_status ("<a@b.example>SIZE=1", ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_SYNTAX);
  g_assert_cmpint (parse_status ("<a@b.example>>", ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_SYNTAX);
}

static void
test_limits (void)
{
  g_autofree char *local64 = g_strnfill (64, 'l');
  g_autofree char *local65 = g_strnfill (65, 'l');
  g_autofree char *label63 = g_strnfill (63, 'd');
  g_autofree char *label64 = g_strnfill (64, 'd');
  g_autofree char *ok = g_strdup_printf ("<%s@%s.example>", local64, label63);
  g_autofree char *long_local = g_strdup_printf ("<%s@b.example>", local65);
  g_autofree char *long_label = g_strdup_printf ("<a@%s.example>", label64);
  g_autofree char *long_path = NULL;
  g_autofree char *long_domain = NULL;
  GString *domain = g_string_new (NULL);

  g_assert_cmpint (parse_status (ok, ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_OK);
  g_assert_cmpint (parse_status (long_local, ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_TOO_LONG);
  g_assert_cmpint (parse_status (long_label, ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);

  /* Four 63-octet labels: a 255-octet domain; the path is then 64 + 1 +
   * 255 + 2 = 322 octets, over the 256 of RFC 5321 4.5.3.1.3. */
  for (int i = 0; i < 4; i++)
    g_string_append_printf (domain, "%s%s", i ? "." : "", label63);
  g_assert_cmpuint (domain->len, ==, 255);
  long_path = g_strdup_printf ("<%s@%s>", local64, domain->str);
  g_assert_cmpint (parse_status (long_path, ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_TOO_LONG);
  g_string_append (domain, ".x");
  long_domain = g_strdup_printf ("<a@%s>", domain->str);
  g_assert_cmpint (parse_status (long_domain, ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_TOO_LONG);
  g_assert_false (ml_smtp_is_domain (domain->str, domain->len));
  g_string_free (domain, TRUE);
}

static void
test_hostile (void)
{
  static const char *bad[] = {
    "",
    "<",
    ">",
    "a@b.example",
    "<a@b.example",
    "<<a@b.example>>",
    "<a@b.example\r>",
    "<a\xc3\xa9@b.example>",      /* UTF-8 without SMTPUTF8 */
    "<a@b\xc3\xa9.example>",
    "<\"\xff\"@b.example>",
    "< a@b.example>",
    "<a@b.example >",
    "<a@[IPv6:::1>",
    "<\"a\"\"b\"@c>",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *shown = g_strescape (bad[i], NULL);

      g_test_message ("hostile: %s", shown);
      g_assert_cmpint (parse_status (bad[i], ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_ERROR_SYNTAX);
      g_assert_cmpint (parse_status (bad[i], ML_SMTP_PATH_REVERSE), ==, ML_SMTP_PATH_ERROR_SYNTAX);
    }
}

/* Every prefix and random bytes must come back as a status, never a crash
 * or a read past the end (run under valgrind/ASan via the test setups). */
static void
test_fuzz_prefixes (void)
{
  const char *seed = "<@r.example,@s.example:\"q\\\"x\"@[IPv6:1::192.0.2.1]> SIZE=12 BODY=7BIT";
  gsize len = strlen (seed);

  for (gsize i = 0; i <= len; i++)
    {
      g_autofree char *prefix = g_strndup (seed, i);
      MlSmtpPathStatus status = parse_status (prefix, ML_SMTP_PATH_FORWARD);

      g_assert_cmpint (status, <=, ML_SMTP_PATH_ERROR_PARAM_SYNTAX);
    }
  g_assert_cmpint (parse_status (seed, ML_SMTP_PATH_FORWARD), ==, ML_SMTP_PATH_OK);

  for (int round = 0; round < 2000; round++)
    {
      char buf[40];
      gsize n = (gsize) g_test_rand_int_range (1, (int) sizeof buf);

      buf[0] = '<';
      for (gsize i = 1; i < n; i++)
        buf[i] = (char) g_test_rand_int_range (1, 256);
      buf[n] = '\0';
      (void) parse_status (buf, (MlSmtpPathKind) (round & 1));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/smtp-path/plain-mailbox", test_plain_mailbox);
  g_test_add_func ("/smtp-path/null-reverse-path", test_null_reverse_path);
  g_test_add_func ("/smtp-path/postmaster", test_postmaster);
  g_test_add_func ("/smtp-path/quoted-local-part", test_quoted_local_part);
  g_test_add_func ("/smtp-path/dot-string", test_dot_string);
  g_test_add_func ("/smtp-path/domains", test_domains);
  g_test_add_func ("/smtp-path/address-literals", test_address_literals);
  g_test_add_func ("/smtp-path/source-route", test_source_route);
  g_test_add_func ("/smtp-path/params", test_params);
  g_test_add_func ("/smtp-path/limits", test_limits);
  g_test_add_func ("/smtp-path/hostile", test_hostile);
  g_test_add_func ("/smtp-path/fuzz-prefixes", test_fuzz_prefixes);
  return g_test_run ();
}

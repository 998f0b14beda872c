#include <string.h>
#include "proto/smtp-reply.h"

/* Everything the parser hands out for @input, pushed in pieces of @chunk
 * bytes (0: whole), as one string per outcome:
 * "CODE|ENHANCED|raw" for a reply, "ERROR:n" for an error. */
static GPtrArray *
parse_all (const char *input, gsize chunk, GRand *rand)
{
  g_autoptr(MlSmtpReplyParser) parser = ml_smtp_reply_parser_new ();
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  gsize len = strlen (input);
  gsize pos = 0;

  while (pos < len)
    {
      gsize n = len - pos;
      MlSmtpReplyStatus status;

      if (rand != NULL)
        {
          gsize piece = (gsize) g_rand_int_range (rand, 1, 40);

          n = MIN (n, piece);
        }
      else if (chunk > 0)
        n = MIN (n, chunk);
      ml_smtp_reply_parser_push (parser, (const guint8 *) input + pos, n);
      pos += n;

      for (;;)
        {
          g_autoptr(MlSmtpReply) reply = NULL;
          g_autoptr(GError) error = NULL;

          status = ml_smtp_reply_parser_next (parser, &reply, &error);
          if (status == ML_SMTP_REPLY_NEED_MORE)
            {
              g_assert_null (reply);
              break;
            }
          if (status == ML_SMTP_REPLY_ERROR)
            {
              g_assert_nonnull (error);
              g_assert_null (reply);
              g_ptr_array_add (out, g_strdup_printf ("ERROR:%d", error->code));
              continue;
            }
          g_assert_cmpint (status, ==, ML_SMTP_REPLY_DONE);
          g_assert_no_error (error);
          g_ptr_array_add (out, g_strdup_printf ("%u|%s|%s", reply->code,
                                                 reply->enhanced ? reply->enhanced : "",
                                                 reply->raw));
        }
    }
  return out;
}

static MlSmtpReply *
parse_one (const char *input)
{
  g_autoptr(MlSmtpReplyParser) parser = ml_smtp_reply_parser_new ();
  g_autoptr(GError) error = NULL;
  MlSmtpReply *reply = NULL;

  ml_smtp_reply_parser_push (parser, (const guint8 *) input, strlen (input));
  g_assert_cmpint (ml_smtp_reply_parser_next (parser, &reply, &error), ==, ML_SMTP_REPLY_DONE);
  g_assert_no_error (error);
  return reply;
}

static void
assert_outcomes (GPtrArray *got, const char * const *expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MIN (n, got->len); i++)
    g_assert_cmpstr (got->pdata[i], ==, expected[i]);
  g_assert_cmpuint (got->len, ==, n);
}

/* Same outcomes whole, one byte at a time, and in random pieces. */
static void
assert_all_splits (const char *input, const char * const *expected)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5321);

  {
    g_autoptr(GPtrArray) got = parse_all (input, 0, NULL);
    assert_outcomes (got, expected);
  }
  {
    g_autoptr(GPtrArray) got = parse_all (input, 1, NULL);
    assert_outcomes (got, expected);
  }
  for (int i = 0; i < 20; i++)
    {
      g_autoptr(GPtrArray) got = parse_all (input, 0, rand);
      assert_outcomes (got, expected);
    }
}

static void
test_single_line (void)
{
  g_autoptr(MlSmtpReply) reply = parse_one ("250 OK\r\n");
  g_autofree char *text = ml_smtp_reply_dup_text (reply);

  g_assert_cmpuint (reply->code, ==, 250);
  g_assert_null (reply->enhanced);
  g_assert_cmpuint (g_strv_length (reply->lines), ==, 1);
  g_assert_cmpstr (reply->lines[0], ==, "OK");
  g_assert_cmpstr (reply->raw, ==, "250 OK");
  g_assert_cmpstr (text, ==, "OK");
  g_assert_cmpuint (ml_smtp_reply_get_class (reply), ==, 2);
}

static void
test_bare_code (void)
{
  /* RFC 5321 4.2: clients must take a code alone, with or without SP. */
  const char *input = "354\r\n250 \r\n";
  const char * const expected[] = { "354||354", "250||250 ", NULL };
  g_autoptr(MlSmtpReply) reply = parse_one ("221\r\n");

  g_assert_cmpuint (reply->code, ==, 221);
  g_assert_cmpstr (reply->lines[0], ==, "");
  assert_all_splits (input, expected);
}

static void
test_multi_line (void)
{
  const char *input =
    "250-mx.b.example Hello\r\n"
    "250-First line\r\n"
    "250-234 Text beginning with numbers\r\n"
    "250 The last line\r\n";
  const char * const expected[] = {
    "250||250-mx.b.example Hello\n250-First line\n250-234 Text beginning with numbers\n"
    "250 The last line",
    NULL
  };
  g_autoptr(MlSmtpReply) reply = parse_one (input);
  g_autofree char *text = ml_smtp_reply_dup_text (reply);

  g_assert_cmpuint (g_strv_length (reply->lines), ==, 4);
  g_assert_cmpstr (reply->lines[2], ==, "234 Text beginning with numbers");
  g_assert_cmpstr (text, ==, "mx.b.example Hello\nFirst line\n234 Text beginning with numbers\n"
                   "The last line");
  assert_all_splits (input, expected);
}

static void
test_several_replies (void)
{
  /* A pipelined group's replies arrive together (RFC 2920 3.2 (2)); each
   * is counted on its own, a multi-line one is still one reply. */
  const char *input =
    "250 2.1.0 Sender OK\r\n"
    "550-5.1.1 No such\r\n"
    "550 5.1.1 user here\r\n"
    "250 2.1.5 Recipient OK\r\n"
    "354 End data with <CR><LF>.<CR><LF>\r\n";
  const char * const expected[] = {
    "250|2.1.0|250 2.1.0 Sender OK",
    "550|5.1.1|550-5.1.1 No such\n550 5.1.1 user here",
    "250|2.1.5|250 2.1.5 Recipient OK",
    "354||354 End data with <CR><LF>.<CR><LF>",
    NULL
  };

  assert_all_splits (input, expected);
}

static void
test_enhanced (void)
{
  struct {
    const char *input;
    const char *enhanced;
    const char *text;
  } cases[] = {
    { "550 5.1.1 User unknown\r\n", "5.1.1", "User unknown" },
    { "250 2.0.0\r\n", "2.0.0", "" },
    { "452 4.5.3 Too many recipients\r\n", "4.5.3", "Too many recipients" },
    { "250 2.100.999 wide\r\n", "2.100.999", "wide" },
    /* RFC 2034 4: the class must agree with the reply code. */
    { "250 5.1.1 disagrees\r\n", NULL, "5.1.1 disagrees" },
    /* RFC 2034 4: 3yz replies carry none, and class 3 does not exist. */
    { "354 3.0.0 go ahead\r\n", NULL, "3.0.0 go ahead" },
    /* RFC 3463 2: subject and detail are 1 to 3 digits. */
    { "250 2.1000.0 too wide\r\n", NULL, "2.1000.0 too wide" },
    { "250 2.1.0x glued\r\n", NULL, "2.1.0x glued" },
    { "250 2.1 short\r\n", NULL, "2.1 short" },
    { "550-5.7.1 first\r\n550 5.7.1 second\r\n", "5.7.1", "first\nsecond" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MlSmtpReply) reply = parse_one (cases[i].input);
      g_autofree char *text = ml_smtp_reply_dup_text (reply);

      g_assert_cmpstr (reply->enhanced, ==, cases[i].enhanced);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_reply_new_and_copy (void)
{
  g_autoptr(MlSmtpReply) reply = ml_smtp_reply_new (554, "5.6.3", "Conversion required");
  g_autoptr(MlSmtpReply) bare = ml_smtp_reply_new (451, NULL, NULL);
  g_autoptr(MlSmtpReply) copy = ml_smtp_reply_copy (reply);
  g_autofree char *text = ml_smtp_reply_dup_text (copy);

  g_assert_cmpstr (reply->raw, ==, "554 5.6.3 Conversion required");
  g_assert_cmpstr (copy->raw, ==, reply->raw);
  g_assert_cmpstr (copy->enhanced, ==, "5.6.3");
  g_assert_cmpstr (text, ==, "Conversion required");
  g_assert_cmpstr (bare->raw, ==, "451");
  g_assert_null (bare->enhanced);
}

static void
test_bare_lf (void)
{
  const char * const expected[] = { "250||250 OK", "221||221 Bye", NULL };

  assert_all_splits ("250 OK\n221 Bye\r\n", expected);
}

static void
test_bad_code (void)
{
  /* After each error parsing goes on with the next line. */
  const char *input =
    "hello there\r\n"
    "2500 four digits\r\n"
    "150 below the range\r\n"
    "260 second digit 6\r\n"
    "25\r\n"
    "250x no separator\r\n"
    "250 recovered\r\n";
  const char * const expected[] = {
    "ERROR:0", "ERROR:0", "ERROR:0", "ERROR:0", "ERROR:0", "ERROR:0",
    "250||250 recovered",
    NULL
  };

  G_STATIC_ASSERT (ML_SMTP_REPLY_ERROR_BAD_CODE == 0);
  assert_all_splits (input, expected);
}

static void
test_mixed_codes (void)
{
  const char *input = "250-first\r\n251 second\r\n250 OK\r\n";
  g_autofree char *err = g_strdup_printf ("ERROR:%d", ML_SMTP_REPLY_ERROR_MIXED_CODES);
  const char * const expected[] = { err, "250||250 OK", NULL };

  assert_all_splits (input, expected);
}

static void
test_line_too_long (void)
{
  /* RFC 5321 4.5.3.1.5: 512 octets with the code and CRLF. */
  g_autofree char *fits_text = g_strnfill (ML_SMTP_REPLY_MAX_LINE - 6, 'x');
  g_autofree char *long_text = g_strnfill (ML_SMTP_REPLY_MAX_LINE - 5, 'x');
  g_autofree char *input = g_strdup_printf ("250 %s\r\n250-%s\r\n250 after\r\n",
                                            fits_text, long_text);
  g_autofree char *fits = g_strdup_printf ("250||250 %s", fits_text);
  g_autofree char *err = g_strdup_printf ("ERROR:%d", ML_SMTP_REPLY_ERROR_LINE_TOO_LONG);
  const char * const expected[] = { fits, err, "250||250 after", NULL };

  assert_all_splits (input, expected);
}

static void
test_too_many_lines (void)
{
  GString *ok = g_string_new (NULL);
  GString *bad = g_string_new (NULL);
  g_autofree char *err = g_strdup_printf ("ERROR:%d", ML_SMTP_REPLY_ERROR_TOO_MANY_LINES);
  g_autoptr(GPtrArray) got = NULL;
  g_autoptr(MlSmtpReply) reply = NULL;

  for (guint i = 0; i < ML_SMTP_REPLY_MAX_LINES - 1; i++)
    g_string_append_printf (ok, "250-line %u\r\n", i);
  g_string_append (ok, "250 last\r\n");
  reply = parse_one (ok->str);
  g_assert_cmpuint (g_strv_length (reply->lines), ==, ML_SMTP_REPLY_MAX_LINES);

  for (guint i = 0; i < ML_SMTP_REPLY_MAX_LINES + 1; i++)
    g_string_append_printf (bad, "250-line %u\r\n", i);
  g_string_append (bad, "250 last\r\n");
  got = parse_all (bad->str, 0, NULL);
  /* The line past the limit is the error; the rest reads as a new reply. */
  g_assert_cmpuint (got->len, ==, 2);
  g_assert_cmpstr (got->pdata[0], ==, err);
  g_assert_true (g_str_has_prefix (got->pdata[1], "250||250 last"));

  g_string_free (ok, TRUE);
  g_string_free (bad, TRUE);
}

static void
test_nul_byte (void)
{
  g_autoptr(MlSmtpReplyParser) parser = ml_smtp_reply_parser_new ();
  g_autoptr(MlSmtpReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 input[] = "250 a\0b\r\n";

  ml_smtp_reply_parser_push (parser, input, sizeof input - 1);
  g_assert_cmpint (ml_smtp_reply_parser_next (parser, &reply, &error), ==, ML_SMTP_REPLY_ERROR);
  g_assert_error (error, ML_SMTP_REPLY_ERROR, ML_SMTP_REPLY_ERROR_BAD_CHARACTER);
  g_assert_null (reply);
}

static void
test_reset (void)
{
  g_autoptr(MlSmtpReplyParser) parser = ml_smtp_reply_parser_new ();
  g_autoptr(MlSmtpReply) reply = NULL;
  const char *half = "250-half\r\n250-more";
  const char *next = "221 Bye\r\n";

  ml_smtp_reply_parser_push (parser, (const guint8 *) half, strlen (half));
  g_assert_cmpint (ml_smtp_reply_parser_next (parser, &reply, NULL), ==, ML_SMTP_REPLY_NEED_MORE);
  ml_smtp_reply_parser_reset (parser);
  ml_smtp_reply_parser_push (parser, (const guint8 *) next, strlen (next));
  g_assert_cmpint (ml_smtp_reply_parser_next (parser, &reply, NULL), ==, ML_SMTP_REPLY_DONE);
  g_assert_cmpstr (reply->raw, ==, "221 Bye");
}

static void
test_capabilities_ehlo (void)
{
  g_autoptr(MlSmtpReply) reply = parse_one (
    "250-mx.b.example Hello a.example [192.0.2.1]\r\n"
    "250-pipelining\r\n"
    "250-SIZE 10240000\r\n"
    "250-8BITMIME\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-STARTTLS\r\n"
    "250-AUTH PLAIN login\r\n"
    "250-AUTH=LOGIN CRAM-MD5\r\n"
    "250-DSN\r\n"
    "250-X-EXPERIMENT on off\r\n"
    "250--bad keyword\r\n"
    "250 SMTPUTF8\r\n");
  g_autoptr(MlSmtpCapabilities) caps = ml_smtp_capabilities_parse (reply);
  const char * const *auth = ml_smtp_capabilities_get_auth_mechanisms (caps);

  g_assert_cmpstr (ml_smtp_capabilities_get_domain (caps), ==, "mx.b.example");
  g_assert_true (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_PIPELINING));
  g_assert_true (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_SIZE));
  g_assert_true (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_8BITMIME));
  g_assert_true (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_ENHANCEDSTATUSCODES));
  g_assert_true (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_STARTTLS));
  g_assert_true (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_AUTH));
  g_assert_true (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_DSN));
  g_assert_true (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_SMTPUTF8));
  g_assert_false (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_CHUNKING));
  g_assert_false (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_BINARYMIME));
  g_assert_cmpuint (ml_smtp_capabilities_get_size_max (caps), ==, 10240000);

  g_assert_cmpuint (g_strv_length ((char **) auth), ==, 3);
  g_assert_cmpstr (auth[0], ==, "PLAIN");
  g_assert_cmpstr (auth[1], ==, "LOGIN");
  g_assert_cmpstr (auth[2], ==, "CRAM-MD5");

  g_assert_cmpstr (ml_smtp_capabilities_lookup (caps, "x-experiment"), ==, "on off");
  g_assert_cmpstr (ml_smtp_capabilities_lookup (caps, "Pipelining"), ==, "");
  g_assert_cmpstr (ml_smtp_capabilities_lookup (caps, "size"), ==, "10240000");
  g_assert_null (ml_smtp_capabilities_lookup (caps, "-bad"));
  g_assert_null (ml_smtp_capabilities_lookup (caps, "CHUNKING"));
}

static void
test_capabilities_size (void)
{
  const struct {
    const char *line;
    guint64     max;
  } cases[] = {
    { "250 SIZE\r\n", 0 },         /* RFC 1870 4: no number, no fixed limit */
    { "250 SIZE 0\r\n", 0 },
    { "250 SIZE 52428800\r\n", 52428800 },
    { "250 SIZE lots\r\n", 0 },
    { "250 SIZE 99999999999999999999999\r\n", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *input = g_strdup_printf ("250-mx.example\r\n%s", cases[i].line);
      g_autoptr(MlSmtpReply) reply = parse_one (input);
      g_autoptr(MlSmtpCapabilities) caps = ml_smtp_capabilities_parse (reply);

      g_assert_true (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_SIZE));
      g_assert_cmpuint (ml_smtp_capabilities_get_size_max (caps), ==, cases[i].max);
    }
}

static void
test_capabilities_none (void)
{
  g_autoptr(MlSmtpReply) single = parse_one ("250 mx.example greets you\r\n");
  g_autoptr(MlSmtpReply) refused = parse_one ("502-5.5.1 PIPELINING\r\n502 5.5.1 no EHLO here\r\n");
  g_autoptr(MlSmtpCapabilities) caps1 = ml_smtp_capabilities_parse (single);
  g_autoptr(MlSmtpCapabilities) caps2 = ml_smtp_capabilities_parse (refused);
  g_autoptr(MlSmtpCapabilities) empty = ml_smtp_capabilities_new ();

  g_assert_cmpstr (ml_smtp_capabilities_get_domain (caps1), ==, "mx.example");
  g_assert_cmpuint (ml_smtp_capabilities_get_extensions (caps1), ==, ML_SMTP_EXT_NONE);
  /* Only a 2yz reply to EHLO offers extensions. */
  g_assert_cmpuint (ml_smtp_capabilities_get_extensions (caps2), ==, ML_SMTP_EXT_NONE);
  g_assert_false (ml_smtp_capabilities_has (caps2, ML_SMTP_EXT_PIPELINING));
  g_assert_cmpuint (ml_smtp_capabilities_get_extensions (empty), ==, ML_SMTP_EXT_NONE);
  g_assert_cmpuint (g_strv_length ((char **) ml_smtp_capabilities_get_auth_mechanisms (empty)), ==, 0);
  g_assert_null (ml_smtp_capabilities_get_domain (empty));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smtp-reply/single-line", test_single_line);
  g_test_add_func ("/smtp-reply/bare-code", test_bare_code);
  g_test_add_func ("/smtp-reply/multi-line", test_multi_line);
  g_test_add_func ("/smtp-reply/several-replies", test_several_replies);
  g_test_add_func ("/smtp-reply/enhanced", test_enhanced);
  g_test_add_func ("/smtp-reply/new-and-copy", test_reply_new_and_copy);
  g_test_add_func ("/smtp-reply/bare-lf", test_bare_lf);
  g_test_add_func ("/smtp-reply/reset", test_reset);
  g_test_add_func ("/smtp-reply/malformed/bad-code", test_bad_code);
  g_test_add_func ("/smtp-reply/malformed/mixed-codes", test_mixed_codes);
  g_test_add_func ("/smtp-reply/malformed/line-too-long", test_line_too_long);
  g_test_add_func ("/smtp-reply/malformed/too-many-lines", test_too_many_lines);
  g_test_add_func ("/smtp-reply/malformed/nul-byte", test_nul_byte);
  g_test_add_func ("/smtp-capabilities/ehlo", test_capabilities_ehlo);
  g_test_add_func ("/smtp-capabilities/size", test_capabilities_size);
  g_test_add_func ("/smtp-capabilities/none", test_capabilities_none);

  return g_test_run ();
}

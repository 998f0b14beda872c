/* Unit tests for the IMAP tokenizer, sequence sets, dates and sections
 * (RFC 3501 9, RFC 7888). */
#include <string.h>
#include "proto/imap-parser.h"
#include "proto/imap-sequence.h"

typedef enum {
  FEED_WHOLE,
  FEED_BYTES,
  FEED_RANDOM,
} FeedMode;

static void
describe (GString *out, GPtrArray *args)
{
  guint i;

  for (i = 0; i < args->len; i++)
    {
      const MlImapArg *arg = g_ptr_array_index (args, i);

      if (i > 0)
        g_string_append_c (out, ' ');
      switch (arg->kind)
        {
        case ML_IMAP_TOKEN_ATOM:
          g_string_append_printf (out, "A:%s", arg->data);
          break;
        case ML_IMAP_TOKEN_NIL:
          g_string_append (out, "NIL");
          break;
        case ML_IMAP_TOKEN_QUOTED:
          g_string_append_printf (out, "Q:%s", arg->data);
          break;
        case ML_IMAP_TOKEN_LITERAL:
          g_string_append_printf (out, "L%s%" G_GSIZE_FORMAT ":", arg->nonsync ? "+" : "", arg->len);
          g_string_append_len (out, arg->data, (gssize) arg->len);
          break;
        case ML_IMAP_TOKEN_LIST:
          g_string_append_c (out, '(');
          describe (out, arg->children);
          g_string_append_c (out, ')');
          break;
        default:
          g_string_append (out, "?");
          break;
        }
    }
}

/* Feeds @input as @mode says and reads one command's arguments. Returns
 * their description, or "ERROR:<message>"; *n_literal counts LITERAL
 * answers (one per synchronizing literal that had to be waited for). */
static char *
parse_args (const char *input, gsize len, FeedMode mode, guint *n_literal)
{
  g_autoptr (MlImapParser) parser = ml_imap_parser_new (0, 0);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  GString *out = g_string_new (NULL);
  gsize fed = 0;
  guint literals = 0;

  for (;;)
    {
      GPtrArray *args = NULL;
      MlImapParseStatus status = ml_imap_parser_read_args (parser, &args);

      if (status == ML_IMAP_PARSE_OK)
        {
          describe (out, args);
          break;
        }
      if (status == ML_IMAP_PARSE_ERROR)
        {
          g_string_printf (out, "ERROR:%s", ml_imap_parser_get_error_message (parser));
          break;
        }
      if (status == ML_IMAP_PARSE_LITERAL)
        literals++;
      if (fed == len)
        {
          g_string_assign (out, "INCOMPLETE");
          break;
        }
      {
        gsize n = len - fed;

        if (mode == FEED_BYTES)
          n = 1;
        else if (mode == FEED_RANDOM)
          {
            gsize r = (gsize) g_rand_int_range (rand, 1, 8);

            n = MIN (n, r);
          }
        ml_imap_parser_feed (parser, (const guint8 *) input + fed, n);
        fed += n;
      }
    }
  if (n_literal != NULL)
    *n_literal = literals;
  return g_string_free (out, FALSE);
}

/* The same description in all three feeding modes. */
static char *
parse_all_modes (const char *input)
{
  char *whole = parse_args (input, strlen (input), FEED_WHOLE, NULL);
  g_autofree char *bytes = parse_args (input, strlen (input), FEED_BYTES, NULL);
  g_autofree char *random = parse_args (input, strlen (input), FEED_RANDOM, NULL);

  g_assert_cmpstr (bytes, ==, whole);
  g_assert_cmpstr (random, ==, whole);
  return whole;
}

static void
check_args (const char *input, const char *expected)
{
  g_autofree char *got = parse_all_modes (input);

  g_assert_cmpstr (got, ==, expected);
}

static void
test_atoms (void)
{
  check_args ("a001 CAPABILITY\r\n", "A:a001 A:CAPABILITY");
  check_args ("A1 FETCH 1:*,3 (FLAGS \\Seen \\*)\r\n",
              "A:A1 A:FETCH A:1:*,3 (A:FLAGS A:\\Seen A:\\*)");
  check_args ("A2 LIST \"\" %\r\n", "A:A2 A:LIST Q: A:%");
  /* RFC 3501 9: ASTRING-CHAR includes "]", so Gmail's names are atoms. */
  check_args ("A3 SELECT [Gmail]/Sent\r\n", "A:A3 A:SELECT A:[Gmail]/Sent");
  check_args ("A4 FETCH 1 BODY.PEEK[1.2]<0.10>\r\n", "A:A4 A:FETCH A:1 A:BODY.PEEK[1.2]<0.10>");
  /* A bare LF ends a line too. */
  check_args ("A5 NOOP\n", "A:A5 A:NOOP");
}

static void
test_nil (void)
{
  g_autoptr (MlImapParser) parser = ml_imap_parser_new (0, 0);
  GPtrArray *args = NULL;
  const char *s = NULL;
  gsize len = 0;
  const MlImapArg *arg;

  check_args ("* 1 FETCH (ENVELOPE (NIL nil \"x\"))\r\n",
              "A:* A:1 A:FETCH (A:ENVELOPE (NIL NIL Q:x))");

  ml_imap_parser_feed (parser, (const guint8 *) "a CREATE NIL\r\n", 14);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_OK);
  arg = g_ptr_array_index (args, 2);
  g_assert_cmpint (arg->kind, ==, ML_IMAP_TOKEN_NIL);
  /* A mailbox may be called NIL: as an astring it is the atom. */
  g_assert_true (ml_imap_arg_get_astring (arg, &s, &len));
  g_assert_cmpstr (s, ==, "NIL");
  /* As an nstring it is nothing. */
  g_assert_true (ml_imap_arg_get_nstring (arg, &s, &len));
  g_assert_null (s);
  g_assert_false (ml_imap_arg_get_string (arg, &s, &len));
}

static void
test_quoted (void)
{
  check_args ("a LOGIN \"fred\" \"a \\\"b\\\" \\\\c\"\r\n",
              "A:a A:LOGIN Q:fred Q:a \"b\" \\c");
  check_args ("a X \"\"\r\n", "A:a A:X Q:");
  check_args ("a X \"bad \\n escape\"\r\n",
              "ERROR:only \\\" and \\\\ may be escaped in a quoted string");
  check_args ("a X \"no\rcr\"\r\n", "ERROR:a quoted string cannot hold CR or LF; use a literal");
}

static void
test_literals (void)
{
  guint n_literal = 0;
  g_autofree char *got = NULL;
  const char *input = "A1 LOGIN {4}\r\nfred {6}\r\nfa\r\nan\r\n";

  /* A literal in the middle of a line, holding a CRLF itself. */
  check_args (input, "A:A1 A:LOGIN L4:fred L6:fa\r\nan");

  /* Fed piecewise, each synchronizing literal is announced exactly once. */
  got = parse_args (input, strlen (input), FEED_BYTES, &n_literal);
  g_assert_cmpuint (n_literal, ==, 2);

  /* RFC 7888 3: {n+} */
  check_args ("A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n",
              "A:A001 A:LOGIN L+11:FRED FOOBAR L+7:fat man");
  check_args ("a APPEND x {0}\r\n\r\n", "A:a A:APPEND A:x L0:");
  check_args ("a X ({3}\r\nabc)\r\n", "A:a A:X (L3:abc)");
  check_args ("a X {3} more\r\n", "ERROR:literal announcement not at the end of the line");
  check_args ("a X {}\r\n", "ERROR:literal without a size");
  check_args ("a X ~{3}\r\nabc\r\n", "ERROR:literal8 (RFC 3516 BINARY) is not supported");
}

static void
test_literal_status (void)
{
  g_autoptr (MlImapParser) parser = ml_imap_parser_new (0, 0);
  GPtrArray *args = NULL;
  guint64 size = 0;
  gboolean nonsync = TRUE;
  const char *line = "a APPEND INBOX {5}\r\n";

  ml_imap_parser_feed (parser, (const guint8 *) line, strlen (line));
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_LITERAL);
  g_assert_true (ml_imap_parser_get_literal (parser, &size, &nonsync));
  g_assert_cmpuint (size, ==, 5);
  g_assert_false (nonsync);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_NEED_MORE);
  ml_imap_parser_feed (parser, (const guint8 *) "hel", 3);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_NEED_MORE);
  ml_imap_parser_feed (parser, (const guint8 *) "lo\r\nb NOOP\r\n", 12);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_OK);
  g_assert_cmpuint (args->len, ==, 4);
  g_assert_false (ml_imap_parser_get_literal (parser, NULL, NULL));

  /* The next pipelined command is still there after reset. */
  ml_imap_parser_reset (parser);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_OK);
  g_assert_cmpuint (args->len, ==, 2);
}

static void
test_literal_refused (void)
{
  g_autoptr (MlImapParser) parser = ml_imap_parser_new (0, 100);
  GPtrArray *args = NULL;
  const char *sync = "a APPEND INBOX {500}\r\nb NOOP\r\n";
  const char *nonsync = "c APPEND INBOX {500+}\r\n";
  g_autofree char *body = g_strnfill (500, 'x');

  /* Over the limit: an error, and a synchronizing literal is then never
   * sent, so the next line is the next command (RFC 3501 7.5). */
  ml_imap_parser_feed (parser, (const guint8 *) sync, strlen (sync));
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_ERROR);
  g_assert_cmpint (ml_imap_parser_get_error (parser), ==, ML_IMAP_PARSE_ERROR_LITERAL_TOO_BIG);
  g_assert_cmpint (ml_imap_parser_skip_command (parser), ==, ML_IMAP_PARSE_OK);
  ml_imap_parser_reset (parser);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_OK);
  g_assert_cmpstr (((MlImapArg *) g_ptr_array_index (args, 0))->data, ==, "b");
  ml_imap_parser_reset (parser);

  /* A non-synchronizing one comes anyway: its octets are stepped over. */
  ml_imap_parser_feed (parser, (const guint8 *) nonsync, strlen (nonsync));
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_ERROR);
  g_assert_cmpint (ml_imap_parser_skip_command (parser), ==, ML_IMAP_PARSE_NEED_MORE);
  ml_imap_parser_feed (parser, (const guint8 *) body, 300);
  g_assert_cmpint (ml_imap_parser_skip_command (parser), ==, ML_IMAP_PARSE_NEED_MORE);
  ml_imap_parser_feed (parser, (const guint8 *) body, 200);
  ml_imap_parser_feed (parser, (const guint8 *) " (\\Seen)\r\nd NOOP\r\n", 18);
  g_assert_cmpint (ml_imap_parser_skip_command (parser), ==, ML_IMAP_PARSE_OK);
  ml_imap_parser_reset (parser);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_OK);
  g_assert_cmpstr (((MlImapArg *) g_ptr_array_index (args, 0))->data, ==, "d");
}

static void
test_refuse_announced (void)
{
  g_autoptr (MlImapParser) parser = ml_imap_parser_new (0, 0);
  GPtrArray *args = NULL;
  const char *line = "a APPEND INBOX {5}\r\nb NOOP\r\n";

  /* The server may refuse a literal it was asked "+" for (quota). */
  ml_imap_parser_feed (parser, (const guint8 *) line, 20);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_LITERAL);
  g_assert_cmpint (ml_imap_parser_skip_command (parser), ==, ML_IMAP_PARSE_OK);
  ml_imap_parser_reset (parser);
  ml_imap_parser_feed (parser, (const guint8 *) line + 20, strlen (line) - 20);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_OK);
  g_assert_cmpstr (((MlImapArg *) g_ptr_array_index (args, 1))->data, ==, "NOOP");
}

static void
test_lists (void)
{
  check_args ("a STORE 1 +FLAGS (\\Deleted \\Seen)\r\n",
              "A:a A:STORE A:1 A:+FLAGS (A:\\Deleted A:\\Seen)");
  check_args ("a X ((a) (b (c)) ())\r\n", "A:a A:X ((A:a) (A:b (A:c)) ())");
  /* Dovecot's reading of a header list inside a section. */
  check_args ("a FETCH 1 BODY[HEADER.FIELDS (From To)]<0.100>\r\n",
              "A:a A:FETCH A:1 A:BODY[HEADER.FIELDS (A:From A:To) A:]<0.100>");
  check_args ("a X (a\r\n", "ERROR:unbalanced \"(\"");
  check_args ("a X a)\r\n", "ERROR:\")\" without \"(\"");
}

static void
test_depth_limit (void)
{
  GString *line = g_string_new ("a X ");
  g_autofree char *got = NULL;
  guint i;

  for (i = 0; i < ML_IMAP_MAX_LIST_DEPTH + 1; i++)
    g_string_append_c (line, '(');
  for (i = 0; i < ML_IMAP_MAX_LIST_DEPTH + 1; i++)
    g_string_append_c (line, ')');
  g_string_append (line, "\r\n");
  got = parse_all_modes (line->str);
  g_assert_cmpstr (got, ==, "ERROR:lists nested too deep");
  g_string_free (line, TRUE);
}

static void
test_line_limit (void)
{
  g_autoptr (MlImapParser) parser = ml_imap_parser_new (64, 0);
  GPtrArray *args = NULL;
  g_autofree char *longer = g_strnfill (100, 'x');

  ml_imap_parser_feed (parser, (const guint8 *) "a X ", 4);
  ml_imap_parser_feed (parser, (const guint8 *) longer, 100);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_ERROR);
  g_assert_cmpint (ml_imap_parser_get_error (parser), ==, ML_IMAP_PARSE_ERROR_LINE_TOO_LONG);
  g_assert_cmpint (ml_imap_parser_skip_command (parser), ==, ML_IMAP_PARSE_NEED_MORE);
  ml_imap_parser_feed (parser, (const guint8 *) longer, 100);
  ml_imap_parser_feed (parser, (const guint8 *) "\r\nb NOOP\r\n", 10);
  g_assert_cmpint (ml_imap_parser_skip_command (parser), ==, ML_IMAP_PARSE_OK);
  ml_imap_parser_reset (parser);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_OK);
  g_assert_cmpuint (args->len, ==, 2);

  /* Literal octets do not count against the line. */
  ml_imap_parser_reset (parser);
  ml_imap_parser_feed (parser, (const guint8 *) "c X {100}\r\n", 11);
  ml_imap_parser_feed (parser, (const guint8 *) longer, 100);
  ml_imap_parser_feed (parser, (const guint8 *) "\r\n", 2);
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_OK);
}

static void
test_syntax_errors (void)
{
  check_args ("a X b\"c\r\n", "ERROR:unexpected character in an atom");
  check_args ("a X \x01\r\n", "ERROR:control character in an atom");
  check_args ("a X caf\xc3\xa9\r\n", "ERROR:8-bit octet outside a string");
  check_args ("a X\rY\r\n", "ERROR:CR not followed by LF");
}

static void
test_brackets_and_text (void)
{
  g_autoptr (MlImapParser) parser = ml_imap_parser_new (0, 0);
  const char *line = "* OK [PERMANENTFLAGS (\\Deleted \\*)] Limited [sic] \"text\r\n";
  MlImapToken tok;
  static const MlImapTokenKind kinds[] = {
    ML_IMAP_TOKEN_ATOM, ML_IMAP_TOKEN_ATOM, ML_IMAP_TOKEN_BRACKET_BEGIN,
    ML_IMAP_TOKEN_ATOM, ML_IMAP_TOKEN_LIST_BEGIN, ML_IMAP_TOKEN_ATOM,
    ML_IMAP_TOKEN_ATOM, ML_IMAP_TOKEN_LIST_END, ML_IMAP_TOKEN_BRACKET_END,
  };
  guint i;

  ml_imap_parser_feed (parser, (const guint8 *) line, strlen (line));
  for (i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_assert_cmpint (ml_imap_parser_next (parser, ML_IMAP_READ_BRACKETS, &tok), ==, ML_IMAP_PARSE_OK);
      g_assert_cmpint (tok.kind, ==, kinds[i]);
    }
  g_assert_cmpint (ml_imap_parser_next_text (parser, &tok), ==, ML_IMAP_PARSE_OK);
  g_assert_cmpint (tok.kind, ==, ML_IMAP_TOKEN_TEXT);
  g_assert_cmpstr (tok.data, ==, "Limited [sic] \"text");
  g_assert_cmpint (ml_imap_parser_next (parser, 0, &tok), ==, ML_IMAP_PARSE_OK);
  g_assert_cmpint (tok.kind, ==, ML_IMAP_TOKEN_EOL);
  g_assert_false (tok.bare_lf);
}

static void
test_raw (void)
{
  g_autoptr (MlImapParser) parser = ml_imap_parser_new (0, 0);
  const char *input = "a LOGIN {3}\r\nbob x\r\nb NOOP\r\n";
  GPtrArray *args = NULL;
  const guint8 *raw;
  gsize len = 0;
  const MlImapArg *arg;

  ml_imap_parser_feed (parser, (const guint8 *) input, strlen (input));
  g_assert_cmpint (ml_imap_parser_read_args (parser, &args), ==, ML_IMAP_PARSE_OK);
  raw = ml_imap_parser_get_raw (parser, &len);
  g_assert_cmpuint (len, ==, 20);
  g_assert_cmpint (memcmp (raw, input, len), ==, 0);
  arg = g_ptr_array_index (args, 2);
  g_assert_cmpuint (arg->offset, ==, 8);
  arg = g_ptr_array_index (args, 3);
  g_assert_cmpuint (arg->offset, ==, 17);
  g_assert_true (arg->spaced);
  g_assert_cmpuint (ml_imap_parser_get_buffered (parser), ==, strlen (input));
  ml_imap_parser_reset (parser);
  g_assert_cmpuint (ml_imap_parser_get_buffered (parser), ==, 8);
}

static void
test_numbers (void)
{
  guint32 n = 0;

  g_assert_true (ml_imap_parse_number ("4294967295", 10, &n));
  g_assert_cmpuint (n, ==, G_MAXUINT32);
  g_assert_false (ml_imap_parse_number ("4294967296", 10, &n));
  g_assert_false (ml_imap_parse_number ("-1", 2, &n));
  g_assert_false (ml_imap_parse_number ("", 0, &n));
  g_assert_false (ml_imap_parse_number ("1a", 2, &n));
}

static char *
resolve_to_string (const char *text, guint32 star)
{
  g_autoptr (MlImapSequenceSet) set = ml_imap_sequence_set_parse (text, strlen (text));
  g_autoptr (GArray) ranges = NULL;
  GString *s = g_string_new (NULL);
  guint i;

  if (set == NULL)
    return g_string_free (s, FALSE);
  ranges = ml_imap_sequence_set_resolve (set, star);
  for (i = 0; i < ranges->len; i++)
    {
      MlImapSeqRange *r = &g_array_index (ranges, MlImapSeqRange, i);

      g_string_append_printf (s, "%s%u-%u", i > 0 ? "," : "", r->first, r->last);
    }
  return g_string_free (s, FALSE);
}

static void
check_resolve (const char *text, guint32 star, const char *expected)
{
  g_autofree char *got = resolve_to_string (text, star);

  g_assert_cmpstr (got, ==, expected);
}

static void
test_sequence_sets (void)
{
  g_autoptr (MlImapSequenceSet) set = NULL;
  static const char *const bad[] = {
    "", "0", "1:", ":1", "1,", ",1", "1::2", "01", "a", "1:*:2", "$", "1 2", "4294967296",
  };
  guint i;

  check_resolve ("1:*", 10, "1-10");
  check_resolve ("*:5", 10, "5-10");
  /* RFC 3501 9: 2,4:7,9,12:* in a mailbox of 15 messages. */
  check_resolve ("2,4:7,9,12:*", 15, "2-2,4-7,9-9,12-15");
  check_resolve ("1,3:4,10:*", 12, "1-1,3-4,10-12");
  check_resolve ("4:2", 10, "2-4");
  check_resolve ("5,1:3,2:6", 10, "1-6");
  /* RFC 3501 9: a UID range 3291:* includes the last UID even if lower. */
  check_resolve ("3291:*", 100, "100-3291");
  /* "*" in an empty mailbox names nothing. */
  check_resolve ("1:*", 0, "");
  check_resolve ("*", 0, "");

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (MlImapSequenceSet) b = ml_imap_sequence_set_parse (bad[i], strlen (bad[i]));

      if (b != NULL)
        g_test_message ("accepted: %s", bad[i]);
      g_assert_null (b);
    }

  set = ml_imap_sequence_set_parse ("1,3:4,10:*", 10);
  g_assert_nonnull (set);
  g_assert_true (ml_imap_sequence_set_has_star (set));
  g_assert_cmpuint (ml_imap_sequence_set_get_n_ranges (set), ==, 3);
  g_assert_true (ml_imap_sequence_set_contains (set, 4, 20));
  g_assert_false (ml_imap_sequence_set_contains (set, 5, 20));
  g_assert_true (ml_imap_sequence_set_contains (set, 20, 20));
  g_assert_false (ml_imap_sequence_set_contains (set, 21, 20));
  g_assert_cmpuint (ml_imap_sequence_set_get_max (set, 20), ==, 20);
}

static void
test_sequence_format (void)
{
  const guint32 nums[] = { 3, 4, 5, 9, 1, 2 };
  g_autofree char *s = ml_imap_sequence_format (nums, G_N_ELEMENTS (nums));
  g_autofree char *one = ml_imap_sequence_format (nums + 3, 1);

  g_assert_cmpstr (s, ==, "3:5,9,1:2");
  g_assert_cmpstr (one, ==, "9");
}

static void
test_dates (void)
{
  GDate date;
  g_autoptr (GDateTime) dt = ml_imap_parse_date_time ("17-Jul-1996 02:44:25 -0700");
  g_autoptr (GDateTime) padded = ml_imap_parse_date_time (" 7-jul-1996 02:44:25 +0000");
  g_autofree char *formatted = NULL;
  g_autofree char *early = NULL;

  g_assert_true (ml_imap_parse_date ("1-Feb-1994", &date));
  g_assert_cmpint (g_date_get_day (&date), ==, 1);
  g_assert_cmpint (g_date_get_month (&date), ==, G_DATE_FEBRUARY);
  g_assert_cmpint (g_date_get_year (&date), ==, 1994);
  g_assert_true (ml_imap_parse_date ("01-feb-1994", &date));
  g_assert_false (ml_imap_parse_date ("1-Foo-1994", &date));
  g_assert_false (ml_imap_parse_date ("31-Feb-1994", &date));
  g_assert_false (ml_imap_parse_date ("1-Feb-94", &date));
  g_assert_false (ml_imap_parse_date ("1-Feb-1994x", &date));

  g_assert_nonnull (dt);
  g_assert_cmpint (g_date_time_to_unix (dt), ==, 837596665);
  g_assert_nonnull (padded);
  g_assert_cmpint (g_date_time_get_day_of_month (padded), ==, 7);
  g_assert_null (ml_imap_parse_date_time ("17-Jul-1996 02:44:25"));
  g_assert_null (ml_imap_parse_date_time ("17-Jul-1996 25:44:25 +0000"));

  formatted = ml_imap_format_date_time (837596665, -7 * 60);
  g_assert_cmpstr (formatted, ==, "17-Jul-1996 02:44:25 -0700");
  early = ml_imap_format_date_time (0, 0);
  g_assert_cmpstr (early, ==, " 1-Jan-1970 00:00:00 +0000");
}

static void
test_sections (void)
{
  MlImapSection s;
  g_autofree char *text = NULL;
  guint32 off = 0, len = 0;

  g_assert_true (ml_imap_section_parse_spec ("", 0, &s));
  g_assert_cmpuint (s.n_parts, ==, 0);
  g_assert_cmpint (s.kind, ==, ML_IMAP_SECTION_FULL);
  ml_imap_section_clear (&s);

  g_assert_true (ml_imap_section_parse_spec ("1.2.HEADER.FIELDS", 17, &s));
  g_assert_cmpuint (s.n_parts, ==, 2);
  g_assert_cmpuint (s.parts[1], ==, 2);
  g_assert_cmpint (s.kind, ==, ML_IMAP_SECTION_HEADER_FIELDS);
  ml_imap_section_add_field (&s, "From", 4);
  ml_imap_section_add_field (&s, "to", 2);
  text = ml_imap_section_to_string (&s);
  g_assert_cmpstr (text, ==, "1.2.HEADER.FIELDS (FROM TO)");
  ml_imap_section_clear (&s);

  g_assert_true (ml_imap_section_parse_spec ("header.fields.not", 17, &s));
  g_assert_cmpint (s.kind, ==, ML_IMAP_SECTION_HEADER_FIELDS_NOT);
  ml_imap_section_clear (&s);
  g_assert_true (ml_imap_section_parse_spec ("3.MIME", 6, &s));
  g_assert_cmpint (s.kind, ==, ML_IMAP_SECTION_MIME);
  ml_imap_section_clear (&s);
  g_assert_true (ml_imap_section_parse_spec ("4.1", 3, &s));
  g_assert_cmpint (s.kind, ==, ML_IMAP_SECTION_FULL);
  ml_imap_section_clear (&s);

  /* MIME needs a part (RFC 3501 6.4.5); no zero parts, no trailing dot. */
  g_assert_false (ml_imap_section_parse_spec ("MIME", 4, &s));
  g_assert_false (ml_imap_section_parse_spec ("0", 1, &s));
  g_assert_false (ml_imap_section_parse_spec ("1.", 2, &s));
  g_assert_false (ml_imap_section_parse_spec ("BODY", 4, &s));
  g_assert_false (ml_imap_section_parse_spec ("1..2", 4, &s));

  g_assert_true (ml_imap_parse_partial ("<0.100>", 7, TRUE, &off, &len));
  g_assert_cmpuint (off, ==, 0);
  g_assert_cmpuint (len, ==, 100);
  g_assert_true (ml_imap_parse_partial ("<42>", 4, FALSE, &off, &len));
  g_assert_cmpuint (off, ==, 42);
  g_assert_false (ml_imap_parse_partial ("<0.0>", 5, TRUE, &off, &len));
  g_assert_false (ml_imap_parse_partial ("<0>", 3, TRUE, &off, &len));
  g_assert_false (ml_imap_parse_partial ("<.5>", 4, TRUE, &off, &len));
  g_assert_false (ml_imap_parse_partial ("0.5", 3, TRUE, &off, &len));
}

static void
test_writers (void)
{
  g_autoptr (GString) s = g_string_new (NULL);

  ml_imap_append_astring (s, "INBOX", 5);
  g_string_append_c (s, ' ');
  ml_imap_append_astring (s, "a b", 3);
  g_string_append_c (s, ' ');
  ml_imap_append_astring (s, "", 0);
  g_string_append_c (s, ' ');
  ml_imap_append_astring (s, "q\"\\", 3);
  g_string_append_c (s, ' ');
  ml_imap_append_astring (s, "NIL", 3);
  g_string_append_c (s, ' ');
  ml_imap_append_string (s, "two\r\nlines", 10);
  g_string_append_c (s, ' ');
  ml_imap_append_nstring (s, NULL, 0);
  g_assert_cmpstr (s->str, ==, "INBOX \"a b\" \"\" \"q\\\"\\\\\" \"NIL\" {10}\r\ntwo\r\nlines NIL");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/imap-parser/atoms", test_atoms);
  g_test_add_func ("/imap-parser/nil", test_nil);
  g_test_add_func ("/imap-parser/quoted", test_quoted);
  g_test_add_func ("/imap-parser/literals", test_literals);
  g_test_add_func ("/imap-parser/literal-status", test_literal_status);
  g_test_add_func ("/imap-parser/literal-too-big", test_literal_refused);
  g_test_add_func ("/imap-parser/literal-refused-by-owner", test_refuse_announced);
  g_test_add_func ("/imap-parser/lists", test_lists);
  g_test_add_func ("/imap-parser/depth-limit", test_depth_limit);
  g_test_add_func ("/imap-parser/line-limit", test_line_limit);
  g_test_add_func ("/imap-parser/syntax-errors", test_syntax_errors);
  g_test_add_func ("/imap-parser/brackets-and-text", test_brackets_and_text);
  g_test_add_func ("/imap-parser/raw", test_raw);
  g_test_add_func ("/imap-parser/numbers", test_numbers);
  g_test_add_func ("/imap-parser/sequence-sets", test_sequence_sets);
  g_test_add_func ("/imap-parser/sequence-format", test_sequence_format);
  g_test_add_func ("/imap-parser/dates", test_dates);
  g_test_add_func ("/imap-parser/sections", test_sections);
  g_test_add_func ("/imap-parser/writers", test_writers);
  return g_test_run ();
}

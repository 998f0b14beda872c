/* test-lesson-markdown.c — the lessons' Markdown subset: every construct
 * for the terminal (plain and ANSI) and for Pango, the nesting rules, and
 * hostile input (unbalanced markers, markup characters, 64 KiB of '*'). */
#include <string.h>

#include "lesson/lesson-markdown.h"

/* Pango markup is well-formed XML inside a root element. */
static void
assert_valid_markup (const char *markup)
{
  g_autofree char *doc = g_strconcat ("<markup>", markup, "</markup>", NULL);
  GMarkupParser parser = { 0 };
  g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_markup_parse_context_parse (ctx, doc, -1, &error);
  if (error == NULL)
    g_markup_parse_context_end_parse (ctx, &error);
  g_assert_no_error (error);
  g_assert_true (g_utf8_validate (markup, -1, NULL));
}

static const struct {
  const char *in, *plain, *ansi, *pango;
} cases[] = {
  /* paragraphs: a single break is kept on a terminal, a space in a label */
  { "one\ntwo\n\nthree", "one\ntwo\n\nthree", "one\ntwo\n\nthree", "one two\n\nthree" },
  { "\n\n  \nalone\n\n\n", "alone", "alone", "alone" },
  /* code */
  { "type `QUIT` now", "type `QUIT` now", "type \033[36mQUIT\033[39m now",
    "type <tt>QUIT</tt> now" },
  { "`**not bold**`", "`**not bold**`", "\033[36m**not bold**\033[39m", "<tt>**not bold**</tt>" },
  /* emphasis and strong */
  { "*a* and **b**", "a and b", "\033[3ma\033[23m and \033[1mb\033[22m", "<i>a</i> and <b>b</b>" },
  { "**a *b* c**", "a b c", "\033[1ma \033[3mb\033[23m c\033[22m", "<b>a <i>b</i> c</b>" },
  { "*a **b** c*", "a b c", "\033[3ma \033[1mb\033[22m c\033[23m", "<i>a <b>b</b> c</i>" },
  /* a kind already open cannot open again: it closes or is text */
  { "**a **b** c**", "a **b c**", "\033[1ma **b\033[22m c**", "<b>a **b</b> c**" },
  /* crossing markers: the inner opener stays text */
  { "*a **b* c**", "a **b c**", "\033[3ma **b\033[23m c**", "<i>a **b</i> c**" },
  /* three stars and more are text */
  { "a *** b ***x***", "a *** b ***x***", "a *** b ***x***", "a *** b ***x***" },
  /* unbalanced and unflanked markers */
  { "*a", "*a", "*a", "*a" },
  { "a* b", "a* b", "a* b", "a* b" },
  { "2 * 3 * 4", "2 * 3 * 4", "2 * 3 * 4", "2 * 3 * 4" },
  { "`open", "`open", "`open", "`open" },
  { "``", "``", "``", "``" },
  /* markup characters */
  { "a < b & c > d \"q\"", "a < b & c > d \"q\"", "a < b & c > d \"q\"",
    "a &lt; b &amp; c &gt; d &quot;q&quot;" },
  { "`<b>&`", "`<b>&`", "\033[36m<b>&\033[39m", "<tt>&lt;b&gt;&amp;</tt>" },
  /* links */
  { "see [the RFC](https://www.rfc-editor.org/) now", "see the RFC <https://www.rfc-editor.org/> now",
    "see \033[4mthe RFC\033[24m <https://www.rfc-editor.org/> now",
    "see <a href=\"https://www.rfc-editor.org/\">the RFC</a> now" },
  { "[a<b](https://x.example/?a=1&b=2)", "a<b <https://x.example/?a=1&b=2>",
    "\033[4ma<b\033[24m <https://x.example/?a=1&b=2>",
    "<a href=\"https://x.example/?a=1&amp;b=2\">a&lt;b</a>" },
  { "[x](javascript:alert(1))", "[x](javascript:alert(1))", "[x](javascript:alert(1))",
    "[x](javascript:alert(1))" },
  { "[x](https://a.example/ b)", "[x](https://a.example/ b)", "[x](https://a.example/ b)",
    "[x](https://a.example/ b)" },
  { "[[x](mailto:bob@b.example)", "[x <mailto:bob@b.example>", "[\033[4mx\033[24m <mailto:bob@b.example>",
    "[<a href=\"mailto:bob@b.example\">x</a>" },
  /* RFC references link in a label */
  { "(RFC 3501 6.4.4)", "(RFC 3501 6.4.4)", "(RFC 3501 6.4.4)",
    "(<a href=\"https://www.rfc-editor.org/rfc/rfc3501#section-6.4.4\">RFC 3501 6.4.4</a>)" },
  { "RFC 1939. Then", "RFC 1939. Then", "RFC 1939. Then",
    "<a href=\"https://www.rfc-editor.org/rfc/rfc1939\">RFC 1939</a>. Then" },
  { "RFCs and XRFC 1 and RFC x", "RFCs and XRFC 1 and RFC x", "RFCs and XRFC 1 and RFC x",
    "RFCs and XRFC 1 and RFC x" },
  /* lists */
  { "Intro:\n- one\n- `two`\n  more\n\nEnd", "Intro:\n\n- one\n- `two`\n  more\n\nEnd",
    "Intro:\n\n- one\n- \033[36mtwo\033[39m\n  more\n\nEnd",
    "Intro:\n\n• one\n• <tt>two</tt> more\n\nEnd" },
  { "- a\n\n- b", "- a\n\n- b", "- a\n\n- b", "• a\n\n• b" },
  { "-not an item", "-not an item", "-not an item", "-not an item" },
  /* control bytes never reach a terminal */
  { "a\033[31mred\x7f", "a?[31mred?", "a?[31mred?", "a?[31mred?" },
};

static void
test_constructs (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *plain = ml_markdown_to_terminal (cases[i].in, FALSE);
      g_autofree char *ansi = ml_markdown_to_terminal (cases[i].in, TRUE);
      g_autofree char *pango = ml_markdown_to_pango (cases[i].in);

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].in);
      g_assert_cmpstr (plain, ==, cases[i].plain);
      g_assert_cmpstr (ansi, ==, cases[i].ansi);
      g_assert_cmpstr (pango, ==, cases[i].pango);
      assert_valid_markup (pango);
    }
}

static void
test_null_and_empty (void)
{
  g_autofree char *a = ml_markdown_to_terminal (NULL, TRUE);
  g_autofree char *b = ml_markdown_to_pango (NULL);
  g_autofree char *c = ml_markdown_to_pango ("");

  g_assert_cmpstr (a, ==, "");
  g_assert_cmpstr (b, ==, "");
  g_assert_cmpstr (c, ==, "");
}

static void
test_invalid_utf8 (void)
{
  g_autofree char *pango = ml_markdown_to_pango ("\xff\xfe **ok** \xc3");
  g_autofree char *plain = ml_markdown_to_terminal ("\xff **ok**", FALSE);

  assert_valid_markup (pango);
  g_assert_nonnull (strstr (pango, "<b>ok</b>"));
  g_assert_true (g_utf8_validate (plain, -1, NULL));
}

/* Hostile texts of 64 KiB: each renders, as valid markup, in far less
 * than a second (every pass is linear). */
static void
test_hostile (void)
{
  static const char *const units[] = { "*", "**a", "[", "[a](", "`", "*a ", "RFC 1 ", "<&>", "- *\n" };

  for (gsize u = 0; u < G_N_ELEMENTS (units); u++)
    {
      GString *in = g_string_new (NULL);
      g_autofree char *text = NULL;
      g_autofree char *pango = NULL;
      g_autofree char *plain = NULL;
      g_autoptr(GTimer) timer = g_timer_new ();

      while (in->len < 64 * 1024)
        g_string_append (in, units[u]);
      text = g_string_free (in, FALSE);
      pango = ml_markdown_to_pango (text);
      plain = ml_markdown_to_terminal (text, TRUE);
      g_test_message ("%s x 64 KiB: %.3f s", units[u], g_timer_elapsed (timer, NULL));
      g_assert_cmpfloat (g_timer_elapsed (timer, NULL), <, 1.0);
      assert_valid_markup (pango);
      g_assert_cmpuint (strlen (plain), >, 0);
    }
}

static void
test_all_stars_kept (void)
{
  g_autofree char *stars = g_strnfill (64 * 1024, '*');
  g_autofree char *plain = ml_markdown_to_terminal (stars, FALSE);
  g_autofree char *pango = ml_markdown_to_pango (stars);

  /* One run of 65536: text, every star kept. */
  g_assert_cmpstr (plain, ==, stars);
  g_assert_cmpstr (pango, ==, stars);
}

static void
test_cut (void)
{
  g_autofree char *big = g_strnfill (ML_MARKDOWN_MAX_INPUT + 100, 'a');
  g_autofree char *plain = ml_markdown_to_terminal (big, FALSE);

  g_assert_cmpuint (strlen (plain), ==, ML_MARKDOWN_MAX_INPUT + strlen ("…"));
  g_assert_true (g_str_has_suffix (plain, "…"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lesson/markdown/constructs", test_constructs);
  g_test_add_func ("/lesson/markdown/null-and-empty", test_null_and_empty);
  g_test_add_func ("/lesson/markdown/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/lesson/markdown/hostile", test_hostile);
  g_test_add_func ("/lesson/markdown/all-stars-kept", test_all_stars_kept);
  g_test_add_func ("/lesson/markdown/cut", test_cut);
  return g_test_run ();
}

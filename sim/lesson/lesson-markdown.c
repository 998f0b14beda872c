/* lesson-markdown.c — the lessons' Markdown subset, for a terminal and for
 * Pango (see lesson-markdown.h for the subset).
 *
 * A text is cut into blocks (paragraphs, list items); each block's inline
 * markup is first cut into tokens, then its '*' delimiters are paired with
 * a stack that holds at most one emphasis and one strong, then the tokens
 * are written out. Every step is one pass over the block, so a hostile
 * text (64 KiB of '*', thousands of '[' or '`') costs linear time.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>

#include "lesson/lesson-markdown.h"

#define MAX_RFC_DIGITS      5    /* RFC numbers have at most 5 digits today */
#define MAX_SECTION_LEN     24   /* "4.5.3.1.1": deeper is not a section */

typedef enum {
  TARGET_PLAIN,
  TARGET_ANSI,
  TARGET_PANGO,
} Target;

typedef enum {
  TOKEN_TEXT,
  TOKEN_CODE,
  TOKEN_STARS,
  TOKEN_LINK,
} TokenKind;

typedef enum {
  ROLE_LITERAL = 0,   /* unpaired: written as typed */
  ROLE_OPEN,
  ROLE_CLOSE,
} Role;

typedef struct {
  TokenKind   kind;
  const char *start;    /* TEXT, CODE (inside the backticks), STARS, LINK text */
  gsize       len;
  const char *url;      /* LINK */
  gsize       url_len;
  guint       stars;    /* STARS: 1 emphasis, 2 strong */
  gboolean    can_open, can_close;
  Role        role;
} Token;

/* ---- writing -------------------------------------------------------------- */

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\n';
}

/* Text as typed, control bytes shown as '?': a lesson cannot send escape
 * sequences to a terminal, nor characters XML refuses to a label. For
 * Pango it is escaped, and a line break is a space (the label wraps). */
static void
put_raw (GString *out, Target target, const char *s, gsize len)
{
  g_autofree char *clean = g_strndup (s, len);

  for (char *p = clean; *p; p++)
    if (((guchar) *p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
      *p = '?';
  if (target == TARGET_PANGO)
    {
      g_autofree char *escaped = NULL;

      g_strdelimit (clean, "\n", ' ');
      escaped = g_markup_escape_text (clean, -1);
      g_string_append (out, escaped);
      return;
    }
  g_string_append (out, clean);
}

/* "RFC 3501" or "RFC 3501 6.4.4" at @p (after a non-letter): its length,
 * the number's and the section's. */
static gsize
rfc_reference (const char *p, const char *end, gsize *number_len, gsize *section_len)
{
  const char *q = p + 4;
  const char *s;

  if (end - p < 5 || strncmp (p, "RFC ", 4) != 0)
    return 0;
  while (q < end && g_ascii_isdigit (*q) && q - (p + 4) < MAX_RFC_DIGITS)
    q++;
  if (q == p + 4 || (q < end && g_ascii_isalnum (*q)))
    return 0;
  *number_len = (gsize) (q - (p + 4));
  *section_len = 0;
  if (q + 1 < end && *q == ' ' && g_ascii_isdigit (q[1]))
    {
      s = q + 1;
      while (s < end && s - (q + 1) < MAX_SECTION_LEN &&
             (g_ascii_isdigit (*s) || (*s == '.' && s + 1 < end && g_ascii_isdigit (s[1]))))
        s++;
      if (s == end || !g_ascii_isalnum (*s))
        {
          *section_len = (gsize) (s - (q + 1));
          q = s;
        }
    }
  return (gsize) (q - p);
}

static void
put_text (GString *out, Target target, const char *s, gsize len)
{
  const char *end = s + len;
  const char *run = s;

  if (target != TARGET_PANGO)
    {
      put_raw (out, target, s, len);
      return;
    }
  for (const char *p = s; p < end;)
    {
      gsize number_len, section_len;
      gsize ref = (p == s || !g_ascii_isalnum (p[-1]))
                  ? rfc_reference (p, end, &number_len, &section_len) : 0;

      if (ref == 0)
        {
          p++;
          continue;
        }
      put_raw (out, target, run, (gsize) (p - run));
      g_string_append_printf (out, "<a href=\"https://www.rfc-editor.org/rfc/rfc%.*s",
                              (int) number_len, p + 4);
      if (section_len > 0)
        g_string_append_printf (out, "#section-%.*s", (int) section_len, p + 5 + number_len);
      g_string_append (out, "\">");
      put_raw (out, target, p, ref);
      g_string_append (out, "</a>");
      p += ref;
      run = p;
    }
  put_raw (out, target, run, (gsize) (end - run));
}

static const char *
style (Target target, guint stars, Role role)
{
  static const char *const pango[2][2] = { { "<i>", "</i>" }, { "<b>", "</b>" } };
  /* ECMA-48 8.3.117 SGR: 1 bold, 3 italic, 22 and 23 undo them. */
  static const char *const ansi[2][2] = { { "\033[3m", "\033[23m" }, { "\033[1m", "\033[22m" } };

  if (target == TARGET_PLAIN)
    return "";
  return (target == TARGET_PANGO ? pango : ansi)[stars - 1][role == ROLE_CLOSE];
}

/* ---- inline --------------------------------------------------------------- */

/* http, https and mailto only: a label's link is opened by the desktop,
 * and a lesson has no business starting anything else. */
static gboolean
url_allowed (const char *url, gsize len)
{
  static const char *const schemes[] = { "https://", "http://", "mailto:" };

  for (gsize i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (len > strlen (schemes[i]) && g_ascii_strncasecmp (url, schemes[i], strlen (schemes[i])) == 0)
      return TRUE;
  return FALSE;
}

/* [text](url) at @p: the whole length, or 0. The text has no '[' or ']',
 * the url no blank, '[' or ')'; both end within ML_MARKDOWN_MAX_LINK. A
 * failed try stops at the next '[', so tries never overlap. */
static gsize
link_at (const char *p, const char *end, Token *t)
{
  const char *limit = p + MIN ((gsize) (end - p), (gsize) ML_MARKDOWN_MAX_LINK);
  const char *close = p + 1, *url, *u;

  while (close < limit && *close != ']' && *close != '[')
    close++;
  if (close >= limit || *close != ']' || close == p + 1 || close + 1 >= end || close[1] != '(')
    return 0;
  url = close + 2;
  limit = url + MIN ((gsize) (end - url), (gsize) ML_MARKDOWN_MAX_LINK);
  for (u = url; u < limit && *u != ')' && *u != '[' && !is_blank (*u); u++)
    ;
  if (u >= limit || *u != ')' || !url_allowed (url, (gsize) (u - url)))
    return 0;
  t->kind = TOKEN_LINK;
  t->start = p + 1;
  t->len = (gsize) (close - (p + 1));
  t->url = url;
  t->url_len = (gsize) (u - url);
  return (gsize) (u + 1 - p);
}

static void
add_text (GArray *tokens, const char *start, gsize len)
{
  Token t = { TOKEN_TEXT, start, len, NULL, 0, 0, FALSE, FALSE, ROLE_LITERAL };

  if (len > 0)
    g_array_append_val (tokens, t);
}

static GArray *
tokenize (const char *s, gsize len)
{
  GArray *tokens = g_array_new (FALSE, TRUE, sizeof (Token));
  const char *end = s + len;
  const char *text = s;
  const char *p = s;
  /* Once no backtick follows, none is looked for again: no rescans. */
  gboolean ticks_left = TRUE;

  while (p < end)
    {
      Token t = { 0 };
      gsize used = 0;

      if (*p == '`' && ticks_left)
        {
          const char *close = memchr (p + 1, '`', (gsize) (end - p - 1));

          ticks_left = close != NULL;
          if (close != NULL && close > p + 1)
            {
              t.kind = TOKEN_CODE;
              t.start = p + 1;
              t.len = (gsize) (close - (p + 1));
              used = t.len + 2;
            }
        }
      else if (*p == '*')
        {
          const char *q = p;

          while (q < end && *q == '*')
            q++;
          if (q - p <= 2)
            {
              t.kind = TOKEN_STARS;
              t.start = p;
              t.len = (gsize) (q - p);
              t.stars = (guint) t.len;
              t.can_open = q < end && !is_blank (*q);
              t.can_close = p > s && !is_blank (p[-1]);
            }
          used = (gsize) (q - p);
          if (t.kind != TOKEN_STARS)
            {
              p = q;  /* three or more: text, kept with what surrounds it */
              continue;
            }
        }
      else if (*p == '[')
        used = link_at (p, end, &t);
      if (used == 0)
        {
          p++;
          continue;
        }
      add_text (tokens, text, (gsize) (p - text));
      g_array_append_val (tokens, t);
      p += used;
      text = p;
    }
  add_text (tokens, text, (gsize) (end - text));
  return tokens;
}

/* Pairs the '*' runs. The stack holds at most an emphasis and a strong:
 * a run of a kind already open can only close it. A closer drops what
 * was opened inside it and not closed (it stays literal), so the output
 * nests properly. */
static void
pair_stars (GArray *tokens)
{
  guint stack[2];
  guint depth = 0;

  for (guint i = 0; i < tokens->len; i++)
    {
      Token *t = &g_array_index (tokens, Token, i);
      guint found = G_MAXUINT;

      if (t->kind != TOKEN_STARS)
        continue;
      for (guint d = 0; d < depth; d++)
        if (g_array_index (tokens, Token, stack[d]).stars == t->stars)
          found = d;
      if (found != G_MAXUINT && t->can_close)
        {
          g_array_index (tokens, Token, stack[found]).role = ROLE_OPEN;
          t->role = ROLE_CLOSE;
          depth = found;
        }
      else if (found == G_MAXUINT && t->can_open && depth < G_N_ELEMENTS (stack))
        stack[depth++] = i;
    }
  /* Openers never closed stay ROLE_LITERAL. */
}

static void
render_inline (GString *out, Target target, const char *s, gsize len)
{
  g_autoptr(GArray) tokens = tokenize (s, len);

  pair_stars (tokens);
  for (guint i = 0; i < tokens->len; i++)
    {
      const Token *t = &g_array_index (tokens, Token, i);

      switch (t->kind)
        {
        case TOKEN_TEXT:
          put_text (out, target, t->start, t->len);
          break;
        case TOKEN_STARS:
          if (t->role == ROLE_LITERAL)
            put_raw (out, target, t->start, t->len);
          else
            g_string_append (out, style (target, t->stars, t->role));
          break;
        case TOKEN_CODE:
          if (target == TARGET_PANGO)
            g_string_append (out, "<tt>");
          else
            g_string_append (out, target == TARGET_ANSI ? "\033[36m" : "`");
          put_raw (out, target, t->start, t->len);
          if (target == TARGET_PANGO)
            g_string_append (out, "</tt>");
          else
            g_string_append (out, target == TARGET_ANSI ? "\033[39m" : "`");
          break;
        case TOKEN_LINK:
        default:
          if (target == TARGET_PANGO)
            {
              g_autofree char *url = g_strndup (t->url, t->url_len);
              g_autofree char *escaped = g_markup_escape_text (url, -1);

              g_string_append_printf (out, "<a href=\"%s\">", escaped);
              put_raw (out, target, t->start, t->len);
              g_string_append (out, "</a>");
              break;
            }
          if (target == TARGET_ANSI)
            g_string_append (out, "\033[4m");   /* SGR 4: underline */
          put_raw (out, target, t->start, t->len);
          if (target == TARGET_ANSI)
            g_string_append (out, "\033[24m");
          g_string_append (out, " <");
          put_raw (out, target, t->url, t->url_len);
          g_string_append_c (out, '>');
          break;
        }
    }
}

/* ---- blocks --------------------------------------------------------------- */

static gboolean
line_is_blank (const char *line)
{
  for (; *line; line++)
    if (!is_blank (*line) && *line != '\r')
      return FALSE;
  return TRUE;
}

static gboolean
is_item (const char *line)
{
  return line[0] == '-' && line[1] == ' ';
}

static char *
render (const char *text, Target target)
{
  g_autofree char *valid = NULL;
  g_auto(GStrv) lines = NULL;
  GString *out = g_string_new (NULL);
  g_autoptr(GString) block = g_string_new (NULL);
  gboolean block_is_item = FALSE, have_block = FALSE, any = FALSE, last_was_item = FALSE;
  gboolean cut = FALSE;
  gsize len;

  if (text == NULL)
    return g_string_free (out, FALSE);
  len = strlen (text);
  if (len > ML_MARKDOWN_MAX_INPUT)
    {
      len = ML_MARKDOWN_MAX_INPUT;
      cut = TRUE;
    }
  valid = g_utf8_make_valid (text, (gssize) len);
  lines = g_strsplit (valid, "\n", -1);

  for (guint i = 0; ; i++)
    {
      char *line = lines[i] ? g_strchomp (lines[i]) : NULL;
      gboolean blank = line == NULL || line_is_blank (line);
      gboolean item = line != NULL && is_item (line);
      gboolean continues = line != NULL && !blank && have_block &&
                           (!block_is_item || line[0] == ' ' || line[0] == '\t') && !item;

      if (continues)
        {
          g_string_append_c (block, '\n');
          g_string_append (block, block_is_item ? g_strchug (line) : line);
          continue;
        }
      if (have_block)
        {
          /* Items follow one another on their own lines; anything else
           * is a paragraph apart. */
          if (any)
            g_string_append (out, block_is_item && last_was_item ? "\n" : "\n\n");
          if (block_is_item)
            {
              g_autoptr(GString) item_text = g_string_new (NULL);

              render_inline (item_text, target, block->str, block->len);
              /* A terminal shows an item's later lines under its text. */
              if (target != TARGET_PANGO)
                g_string_replace (item_text, "\n", "\n  ", 0);
              g_string_append (out, target == TARGET_PANGO ? "• " : "- ");
              g_string_append_len (out, item_text->str, (gssize) item_text->len);
            }
          else
            render_inline (out, target, block->str, block->len);
          any = TRUE;
          last_was_item = block_is_item;
          have_block = FALSE;
          g_string_truncate (block, 0);
        }
      if (line == NULL)
        break;
      if (blank)
        {
          last_was_item = FALSE;
          continue;
        }
      have_block = TRUE;
      block_is_item = item;
      g_string_append (block, item ? line + 2 : line);
    }
  if (cut)
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

char *
ml_markdown_to_terminal (const char *text, gboolean ansi)
{
  return render (text, ansi ? TARGET_ANSI : TARGET_PLAIN);
}

char *
ml_markdown_to_pango (const char *text)
{
  return render (text, TARGET_PANGO);
}

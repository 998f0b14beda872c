/* lesson-syntax.c — the loader's words for a teacher: an error at a
 * FILE:LINE:COLUMN with the path of the key, a value quoted safely, "did
 * you mean", and the syntax of DNS names and dotted quads that several
 * parsers and the second pass share.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>

#include "lesson/lesson.h"
#include "lesson/lesson-private.h"
#include "lesson/yaml-node.h"

#define MAX_DNS_NAME            253   /* RFC 1035 2.3.4: 255 octets on the wire */
#define MAX_DNS_LABEL           63    /* RFC 1035 2.3.4 */
#define MAX_QUOTED_CHARS        40    /* of a value repeated in a message */
#define MAX_SUGGEST_LEN         64    /* longer words get no "did you mean" */

typedef MlLessonLoader Loader;

/* ---- messages ---------------------------------------------------------- */

static gboolean
fail_valist (const Loader     *ld,
             const MlYamlNode *at,
             const char       *path,
             GError          **error,
             const char       *format,
             va_list           args) G_GNUC_PRINTF (5, 0);

static gboolean
fail_valist (const Loader     *ld,
             const MlYamlNode *at,
             const char       *path,
             GError          **error,
             const char       *format,
             va_list           args)
{
  g_autofree char *msg = g_strdup_vprintf (format, args);

  g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID, "%s:%u:%u: %s%s%s",
               ld->filename, at ? at->line : 1, at ? at->column : 1,
               path ? path : "", path ? ": " : "", msg);
  return FALSE;
}

gboolean
_ml_lesson_fail (const Loader     *ld,
                 const MlYamlNode *at,
                 const char       *path,
                 GError          **error,
                 const char       *format,
                 ...)
{
  va_list args;

  va_start (args, format);
  fail_valist (ld, at, path, error, format, args);
  va_end (args);
  return FALSE;
}

/* A value as a message may repeat it: short, one line, no control bytes. */
static char *
quote_text (const char *text, gsize len)
{
  GString *s = g_string_new ("'");
  const char *p = text, *end = text + len;
  guint chars = 0;

  while (p < end && chars < MAX_QUOTED_CHARS)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (s, "\\x%02x", (guchar) *p);
          p++;
        }
      else
        {
          if (c == '\n')
            g_string_append (s, "\\n");
          else if (c == '\t')
            g_string_append (s, "\\t");
          else if (c < 0x20 || c == 0x7f)
            g_string_append_printf (s, "\\x%02x", (guint) c);
          else
            g_string_append_unichar (s, c);
          p = g_utf8_next_char (p);
        }
      chars++;
    }
  if (p < end)
    g_string_append (s, "...");
  g_string_append_c (s, '\'');
  return g_string_free (s, FALSE);
}

static char *
quote (const MlYamlNode *node)
{
  if (node->kind != ML_YAML_SCALAR)
    return g_strdup (ml_yaml_kind_describe (node->kind));
  return quote_text (node->text, node->len);
}

static char *
join_path (const char *path, const char *key)
{
  return path ? g_strdup_printf ("%s.%s", path, key) : g_strdup (key);
}

/* Levenshtein distance, case-insensitive, for "did you mean". */
static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  guint row[MAX_SUGGEST_LEN + 1], prev[MAX_SUGGEST_LEN + 1];

  if (la > MAX_SUGGEST_LEN || lb > MAX_SUGGEST_LEN)
    return G_MAXUINT;
  for (gsize j = 0; j <= lb; j++)
    prev[j] = (guint) j;
  for (gsize i = 1; i <= la; i++)
    {
      row[0] = (guint) i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint cost = g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 1]) ? 0 : 1;

          row[j] = MIN (MIN (prev[j] + 1, row[j - 1] + 1), prev[j - 1] + cost);
        }
      memcpy (prev, row, sizeof (guint) * (lb + 1));
    }
  return prev[lb];
}

/* "; did you mean 'latency'?" or "" (transfer full). */
static char *
did_you_mean (const char *word, const char *const *candidates, gsize n)
{
  const char *best = NULL;
  guint best_d = G_MAXUINT;

  for (gsize i = 0; i < n; i++)
    {
      guint d = edit_distance (word, candidates[i]);
      guint allowed = MAX (1, (guint) strlen (candidates[i]) / 3);

      if (d <= allowed && d < best_d)
        {
          best = candidates[i];
          best_d = d;
        }
    }
  return best ? g_strdup_printf ("; did you mean '%s'?", best) : g_strdup ("");
}

/* ---- syntax of names and addresses ------------------------------------- */

/* NULL if @name is a DNS name, else why not (transfer full).
 * RFC 1035 2.3.1 (letters, digits, hyphen), RFC 1123 2.1 (may start with a
 * digit, but the last label is never all digits). Owner names of TXT
 * records may hold '_' (RFC 7489 6.1 "_dmarc", RFC 6376 3.6.2.1). */
static char *
dns_name_problem (const char *name, gboolean allow_underscore)
{
  gsize len = strlen (name);
  const char *label = name;
  gboolean all_digits = TRUE;

  if (len == 0)
    return g_strdup ("it is empty");
  if (len > MAX_DNS_NAME)
    return g_strdup_printf ("it is longer than %u characters (RFC 1035 2.3.4)", MAX_DNS_NAME);
  if (name[len - 1] == '.')
    return g_strdup ("write it without the final '.'");

  for (const char *p = name;; p++)
    {
      if (*p == '.' || *p == '\0')
        {
          gsize llen = (gsize) (p - label);

          if (llen == 0)
            return g_strdup ("it has an empty part between two dots");
          if (llen > MAX_DNS_LABEL)
            return g_strdup_printf ("a part between dots is longer than %u characters "
                                    "(RFC 1035 2.3.4)", MAX_DNS_LABEL);
          if (label[0] == '-' || p[-1] == '-')
            return g_strdup ("a part between dots starts or ends with '-' (RFC 1035 2.3.1)");
          if (*p == '\0')
            break;
          label = p + 1;
          all_digits = TRUE;
          continue;
        }
      if (!g_ascii_isdigit (*p))
        all_digits = FALSE;
      if (!g_ascii_isalnum (*p) && *p != '-' && !(allow_underscore && *p == '_'))
        {
          if ((guchar) *p >= 0x80)
            return g_strdup ("it has a non-ASCII character; write the name in ASCII "
                             "(RFC 1035 2.3.1)");
          return g_strdup_printf ("'%c' is not allowed; use letters, digits and '-' "
                                  "(RFC 1035 2.3.1)", *p);
        }
    }
  if (all_digits)
    return g_strdup ("its last part is all digits, so it would look like an IP address "
                     "(RFC 1123 2.1)");
  return NULL;
}

/* Dotted quad, no leading zeros: "010" would be octal to some readers. */
static gboolean
ipv4_parse (const char *s, guint32 *out)
{
  guint32 addr = 0;

  for (int part = 0; part < 4; part++)
    {
      guint value = 0, digits = 0;

      while (g_ascii_isdigit (*s) && digits < 4)
        {
          value = value * 10 + (guint) (*s - '0');
          digits++;
          s++;
        }
      if (digits == 0 || digits > 3 || value > 255 ||
          (digits > 1 && s[-(int) digits] == '0'))
        return FALSE;
      addr = (addr << 8) | value;
      if (part < 3 && *s++ != '.')
        return FALSE;
    }
  if (*s != '\0')
    return FALSE;
  *out = addr;
  return TRUE;
}

/* ---- for the other parts of the loader (lesson-private.h) ---------------- */

char *
_ml_lesson_quote (const MlYamlNode *node)
{
  return quote (node);
}

char *
_ml_lesson_join_path (const char *path, const char *key)
{
  return join_path (path, key);
}

char *
_ml_lesson_did_you_mean (const char *word, const char *const *candidates, gsize n)
{
  return did_you_mean (word, candidates, n);
}

char *
_ml_lesson_quote_text (const char *text, gsize len)
{
  return quote_text (text, len);
}

char *
_ml_lesson_dns_name_problem (const char *name, gboolean allow_underscore)
{
  return dns_name_problem (name, allow_underscore);
}

gboolean
_ml_lesson_ipv4_parse (const char *s, guint32 *out)
{
  return ipv4_parse (s, out);
}

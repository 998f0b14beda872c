/* explain.c — lessons/explain/NAME.yaml into a key → note table.
 *
 * The files are read with the lesson loader's bounded YAML tree
 * (yaml-node.c), so a catalog file has the same limits and the same
 * FILE:LINE:COLUMN errors as a lesson. Loading is all or nothing per call:
 * notes are collected in a staging table and join the catalog only when
 * every file of the call is valid, so a typo never leaves half a folder.
 */
#define G_LOG_DOMAIN "ml-explain"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lesson/explain.h"
#include "lesson/yaml-node.h"

/* "RFC" and up to five digits: RFC numbers are past 9000 today. */
#define MAX_RFC_DIGITS  5
/* Characters of a key or value a message repeats. */
#define MAX_QUOTED      40

struct _MlExplainCatalog {
  GHashTable *entries;  /* key (the entry's own) -> MlExplanation* (owned) */
};

static void
explanation_free (gpointer data)
{
  MlExplanation *e = data;

  if (e == NULL)
    return;
  g_free (e->key);
  g_free (e->title);
  g_free (e->text);
  g_free (e->rfc);
  g_free (e->file);
  g_free (e);
}

static GHashTable *
entries_new (void)
{
  /* The key belongs to the entry, which frees it. */
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, explanation_free);
}

MlExplainCatalog *
ml_explain_catalog_new (void)
{
  MlExplainCatalog *self = g_new0 (MlExplainCatalog, 1);

  self->entries = entries_new ();
  return self;
}

void
ml_explain_catalog_free (MlExplainCatalog *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->entries);
  g_free (self);
}

/* ---- errors ---- */

static gboolean
fail (const char       *filename,
      const MlYamlNode *at,
      GError          **error,
      const char       *format,
      ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (const char       *filename,
      const MlYamlNode *at,
      GError          **error,
      const char       *format,
      ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID, "%s:%u:%u: %s",
               filename, at ? at->line : 1, at ? at->column : 1, msg);
  return FALSE;
}

/* A value as a message may repeat it: short, one line, printable. */
static char *
quote (const char *text)
{
  GString *s = g_string_new ("'");
  guint chars = 0;

  for (const char *p = text; *p != '\0' && chars < MAX_QUOTED; p = g_utf8_next_char (p), chars++)
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || c == 0x7f)
        g_string_append_printf (s, "\\x%02x", (guint) c);
      else
        g_string_append_unichar (s, c);
    }
  if (g_utf8_strlen (text, -1) > MAX_QUOTED)
    g_string_append (s, "…");
  g_string_append_c (s, '\'');
  return g_string_free (s, FALSE);
}

/* ---- syntax of keys and references ---- */

/* key = part *("." part), part = word *("-" word), word = 1*(a-z / 0-9),
 * starting with a letter: what the engines build from lower-cased verbs,
 * state names and reply codes. Upper case is refused rather than folded,
 * so "smtp.RCPT" is not silently a second spelling. */
static const char *
key_problem (const char *key, gsize len)
{
  if (len == 0)
    return "an empty key";
  if (strlen (key) != len)
    return "it contains a NUL character";
  if (len > ML_EXPLAIN_MAX_KEY)
    return "longer than " G_STRINGIFY (ML_EXPLAIN_MAX_KEY) " characters";
  if (!g_ascii_islower (key[0]))
    return "it must start with a lower-case letter";
  for (gsize i = 0; i < len; i++)
    {
      char c = key[i];

      if (c == '.' || c == '-')
        {
          if (i + 1 == len || key[i + 1] == '.' || key[i + 1] == '-')
            return "'.' and '-' must stand between letters or digits";
        }
      else if (g_ascii_isupper (c))
        return "keys are written in lower case";
      else if (!g_ascii_islower (c) && !g_ascii_isdigit (c))
        return "only a-z, 0-9, '.' and '-' may appear in a key";
    }
  return NULL;
}

/* ref = "RFC" SP number [SP section] *(";" SP ref)
 * section = (1*DIGIT / ALPHA) *("." 1*DIGIT)  — "4.1.1.3", appendix "F.6" */
static gboolean
rfc_is_valid (const char *s)
{
  const char *p = s;

  for (;;)
    {
      guint digits = 0;

      if (strncmp (p, "RFC ", 4) != 0)
        return FALSE;
      p += 4;
      if (*p < '1' || *p > '9')
        return FALSE;
      while (g_ascii_isdigit (*p))
        {
          p++;
          digits++;
        }
      if (digits > MAX_RFC_DIGITS)
        return FALSE;
      if (*p == ' ')
        {
          p++;
          if (g_ascii_isdigit (*p))
            while (g_ascii_isdigit (*p))
              p++;
          else if (g_ascii_isupper (*p))
            p++;
          else
            return FALSE;
          while (*p == '.')
            {
              p++;
              if (!g_ascii_isdigit (*p))
                return FALSE;
              while (g_ascii_isdigit (*p))
                p++;
            }
        }
      if (*p == '\0')
        return TRUE;
      if (p[0] != ';' || p[1] != ' ')
        return FALSE;
      p += 2;
    }
}

/* ---- one file ---- */

typedef struct {
  MlExplainCatalog *self;
  GHashTable       *staging;  /* like self->entries, not yet merged */
  const char       *filename;
} Loader;

static const MlExplanation *
loaded (Loader *ld, const char *key)
{
  const MlExplanation *e = g_hash_table_lookup (ld->self->entries, key);

  return e != NULL ? e : g_hash_table_lookup (ld->staging, key);
}

/* Returns the scalar's text, or NULL with @error set. */
static const char *
field_text (Loader *ld, const char *key, const char *field,
            const MlYamlNode *value, GError **error)
{
  if (value->kind != ML_YAML_SCALAR)
    {
      fail (ld->filename, value, error, "%s: %s: expected a single value, found %s",
            key, field, ml_yaml_kind_describe (value->kind));
      return NULL;
    }
  if (ml_yaml_node_is_null (value) || value->len == 0)
    {
      fail (ld->filename, value, error, "%s: %s is empty", key, field);
      return NULL;
    }
  if (strlen (value->text) != value->len)
    {
      fail (ld->filename, value, error, "%s: %s contains a NUL character", key, field);
      return NULL;
    }
  return value->text;
}

/* Control characters show as boxes in the GUI; "\n" separates paragraphs
 * of a text and nothing else. */
static gboolean
check_printable (Loader *ld, const char *key, const char *field, const MlYamlNode *at,
                 const char *text, gboolean allow_newline, GError **error)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' && allow_newline)
        continue;
      if (c == '\n')
        return fail (ld->filename, at, error, "%s: the %s must be one line", key, field);
      if (c == '\t')
        return fail (ld->filename, at, error, "%s: the %s contains a tab; use spaces", key, field);
      if (c < 0x20 || (c >= 0x7f && c < 0xa0))
        return fail (ld->filename, at, error,
                     "%s: the %s contains the control character U+%04X", key, field, c);
    }
  return TRUE;
}

static gboolean
load_entry (Loader *ld, const MlYamlNode *key_node, const MlYamlNode *value, GError **error)
{
  static const char *const fields[] = { "title", "rfc", "text" };
  const MlYamlNode *seen[G_N_ELEMENTS (fields)] = { NULL };
  const char *key = key_node->text;
  const char *problem = key_problem (key, key_node->len);
  const MlExplanation *other;
  g_autoptr(GString) text = NULL;
  MlExplanation *e;
  glong n;

  if (problem != NULL)
    {
      g_autofree char *q = quote (key);
      return fail (ld->filename, key_node, error, "%s is not a valid explanation key: %s",
                   q, problem);
    }
  other = loaded (ld, key);
  if (other != NULL)
    {
      if (g_strcmp0 (other->file, ld->filename) == 0)
        return fail (ld->filename, key_node, error, "'%s' is explained twice (first on line %u)",
                     key, other->line);
      return fail (ld->filename, key_node, error, "'%s' is already explained in %s, line %u",
                   key, other->file, other->line);
    }
  if (g_hash_table_size (ld->self->entries) + g_hash_table_size (ld->staging)
      >= ML_EXPLAIN_MAX_ENTRIES)
    return fail (ld->filename, key_node, error, "the catalog holds more than %u notes",
                 (guint) ML_EXPLAIN_MAX_ENTRIES);

  if (value->kind != ML_YAML_MAPPING)
    return fail (ld->filename, ml_yaml_node_is_null (value) ? key_node : value, error,
                 "%s: expected 'title:', 'rfc:' and 'text:' lines indented under the key, "
                 "found %s", key,
                 ml_yaml_node_is_null (value) ? "nothing" : ml_yaml_kind_describe (value->kind));

  for (guint i = 0; i + 1 < value->items->len; i += 2)
    {
      const MlYamlNode *k = g_ptr_array_index (value->items, i);
      gsize f;

      for (f = 0; f < G_N_ELEMENTS (fields); f++)
        if (strcmp (k->text, fields[f]) == 0)
          break;
      if (f == G_N_ELEMENTS (fields))
        {
          g_autofree char *q = quote (k->text);
          return fail (ld->filename, k, error,
                       "%s: unknown field %s; a note has 'title', 'rfc' and 'text'", key, q);
        }
      if (seen[f] != NULL)
        return fail (ld->filename, k, error, "%s: '%s' appears twice (first on line %u)",
                     key, fields[f], seen[f]->line);
      seen[f] = k;
    }
  for (gsize f = 0; f < G_N_ELEMENTS (fields); f++)
    if (seen[f] == NULL)
      return fail (ld->filename, value, error, "%s: '%s' is missing", key, fields[f]);

  e = g_new0 (MlExplanation, 1);
  e->key = g_strdup (key);
  e->file = g_strdup (ld->filename);
  e->line = key_node->line;
  g_hash_table_insert (ld->staging, e->key, e);

  {
    const MlYamlNode *node = ml_yaml_node_lookup (value, "title");
    const char *s = field_text (ld, key, "title", node, error);

    if (s == NULL || !check_printable (ld, key, "title", node, s, FALSE, error))
      return FALSE;
    e->title = g_strstrip (g_strdup (s));
    n = g_utf8_strlen (e->title, -1);
    if (n == 0 || n > ML_EXPLAIN_MAX_TITLE)
      return fail (ld->filename, node, error, "%s: the title has %ld characters; "
                   "it must have 1 to %u", key, n, (guint) ML_EXPLAIN_MAX_TITLE);
  }
  {
    const MlYamlNode *node = ml_yaml_node_lookup (value, "rfc");
    const char *s = field_text (ld, key, "rfc", node, error);
    g_autofree char *q = NULL;

    if (s == NULL)
      return FALSE;
    e->rfc = g_strstrip (g_strdup (s));
    if (g_utf8_strlen (e->rfc, -1) > ML_EXPLAIN_MAX_RFC || !rfc_is_valid (e->rfc))
      {
        q = quote (s);
        return fail (ld->filename, node, error,
                     "%s: rfc %s is not a reference like 'RFC 5321 4.1.1.3', 'RFC 5321' "
                     "or 'RFC 5321 3.3; RFC 2920 3.1'", key, q);
      }
  }
  {
    const MlYamlNode *node = ml_yaml_node_lookup (value, "text");
    const char *s = field_text (ld, key, "text", node, error);

    if (s == NULL || !check_printable (ld, key, "text", node, s, TRUE, error))
      return FALSE;
    /* A folded block (">") ends in a newline; blank lines inside it are
     * paragraph breaks and stay. */
    text = g_string_new (s);
    while (text->len > 0 && g_ascii_isspace (text->str[text->len - 1]))
      g_string_truncate (text, text->len - 1);
    while (text->len > 0 && g_ascii_isspace (text->str[0]))
      g_string_erase (text, 0, 1);
    n = g_utf8_strlen (text->str, -1);
    if (n < ML_EXPLAIN_MIN_TEXT || n > ML_EXPLAIN_MAX_TEXT)
      return fail (ld->filename, node, error, "%s: the text has %ld characters; "
                   "a note has %u to %u", key, n,
                   (guint) ML_EXPLAIN_MIN_TEXT, (guint) ML_EXPLAIN_MAX_TEXT);
    e->text = g_string_free (g_steal_pointer (&text), FALSE);
  }
  return TRUE;
}

static gboolean
load_into (Loader *ld, const char *data, gsize len, GError **error)
{
  g_autoptr(MlYamlNode) root = NULL;

  if (!ml_yaml_parse (data, len, ld->filename, &root, error))
    return FALSE;
  /* An empty file explains nothing, which is no mistake. */
  if (root == NULL || ml_yaml_node_is_null (root))
    return TRUE;
  if (root->kind != ML_YAML_MAPPING)
    return fail (ld->filename, root, error,
                 "a catalog file is a group of notes, each an explanation key "
                 "followed by 'title:', 'rfc:' and 'text:' lines; this file is %s",
                 ml_yaml_kind_describe (root->kind));

  for (guint i = 0; i + 1 < root->items->len; i += 2)
    if (!load_entry (ld, g_ptr_array_index (root->items, i),
                     g_ptr_array_index (root->items, i + 1), error))
      return FALSE;
  return TRUE;
}

static void
merge (MlExplainCatalog *self, GHashTable *staging)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, staging);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      MlExplanation *e = value;

      g_hash_table_iter_steal (&iter);
      g_hash_table_insert (self->entries, e->key, e);
    }
}

gboolean
ml_explain_catalog_load_data (MlExplainCatalog *self,
                              const char       *data,
                              gsize             len,
                              const char       *filename,
                              GError          **error)
{
  g_autoptr(GHashTable) staging = entries_new ();
  Loader ld = { self, staging, filename ? filename : "<memory>" };

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!load_into (&ld, data, len, error))
    return FALSE;
  merge (self, staging);
  return TRUE;
}

/* ---- a folder ---- */

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Reads at most one byte past the limit, so a huge file or an endless
 * device costs nothing before it is refused. */
static char *
read_limited (const char *path, gsize *len_out, GError **error)
{
  g_autoptr(GString) buf = g_string_new (NULL);
  FILE *f = g_fopen (path, "rb");
  char chunk[16384];
  int saved_errno;

  if (f == NULL)
    {
      saved_errno = errno;
      g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE,
                   "%s:1:1: cannot open the file: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  while (buf->len <= ML_LESSON_MAX_FILE_SIZE)
    {
      gsize want = MIN (sizeof chunk, ML_LESSON_MAX_FILE_SIZE + 1 - buf->len);
      gsize n = fread (chunk, 1, want, f);

      g_string_append_len (buf, chunk, (gssize) n);
      if (n < want)
        break;
    }
  if (ferror (f))
    {
      saved_errno = errno;
      fclose (f);
      g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE,
                   "%s:1:1: cannot read the file: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  fclose (f);
  if (buf->len > ML_LESSON_MAX_FILE_SIZE)
    {
      g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE,
                   "%s:1:1: the file is larger than %u bytes", path,
                   (guint) ML_LESSON_MAX_FILE_SIZE);
      return NULL;
    }
  *len_out = buf->len;
  return g_string_free (g_steal_pointer (&buf), FALSE);
}

gboolean
ml_explain_catalog_load_dir (MlExplainCatalog *self,
                             const char       *dir,
                             GError          **error)
{
  g_autoptr(GHashTable) staging = entries_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) d = NULL;
  g_autoptr(GError) local = NULL;
  const char *name;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  d = g_dir_open (dir, 0, &local);
  if (d == NULL)
    {
      g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE,
                   "%s: cannot open the folder: %s", dir, local->message);
      return FALSE;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      /* Editors leave ".#smtp.yaml" and "smtp.yaml~" behind; only what a
       * teacher named *.yaml is content. */
      if (name[0] == '.' || !g_str_has_suffix (name, ".yaml"))
        continue;
      if (names->len >= ML_EXPLAIN_MAX_FILES)
        {
          g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID,
                       "%s: more than %u .yaml files", dir, (guint) ML_EXPLAIN_MAX_FILES);
          return FALSE;
        }
      g_ptr_array_add (names, g_strdup (name));
    }
  /* Name order, so "already explained in" always names the same file. */
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      Loader ld = { self, staging, path };

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      data = read_limited (path, &len, error);
      if (data == NULL || !load_into (&ld, data, len, error))
        return FALSE;
    }
  merge (self, staging);
  return TRUE;
}

/* ---- lookup ---- */

const MlExplanation *
ml_explain_catalog_lookup (MlExplainCatalog *self, const char *key)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return g_hash_table_lookup (self->entries, key);
}

static gboolean
is_reply_code (const char *part)
{
  return strlen (part) == 3 && g_ascii_isdigit (part[0]) &&
         g_ascii_isdigit (part[1]) && g_ascii_isdigit (part[2]);
}

const MlExplanation *
ml_explain_catalog_find (MlExplainCatalog *self, const char *key)
{
  const MlExplanation *e;
  g_autofree char *buf = NULL;
  char *dot;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  e = g_hash_table_lookup (self->entries, key);
  if (e != NULL)
    return e;
  buf = g_strdup (key);
  dot = strrchr (buf, '.');
  if (dot == NULL)
    return NULL;

  /* RFC 5321 4.2.1: the first digit alone says success, wait, retry later
   * or give up, so a code the catalog lacks still gets its class. */
  if (is_reply_code (dot + 1))
    {
      dot[2] = 'x';
      dot[3] = 'x';
      e = g_hash_table_lookup (self->entries, buf);
      if (e != NULL)
        return e;
    }

  while ((dot = strrchr (buf, '.')) != NULL)
    {
      *dot = '\0';
      if (strchr (buf, '.') == NULL)
        break;
      e = g_hash_table_lookup (self->entries, buf);
      if (e != NULL)
        return e;
    }
  return NULL;
}

guint
ml_explain_catalog_get_size (MlExplainCatalog *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return g_hash_table_size (self->entries);
}

static gint
compare_keys (gconstpointer a, gconstpointer b)
{
  const MlExplanation *x = *(MlExplanation * const *) a;
  const MlExplanation *y = *(MlExplanation * const *) b;

  return strcmp (x->key, y->key);
}

GPtrArray *
ml_explain_catalog_list (MlExplainCatalog *self)
{
  GPtrArray *list;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (self != NULL, NULL);

  list = g_ptr_array_sized_new (g_hash_table_size (self->entries));
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (list, value);
  g_ptr_array_sort (list, compare_keys);
  return list;
}

/* lesson-mailauth.c — a host's `dkim`, `verify_mail` and `lists` keys
 * (lesson-mailauth.h): their syntax. Which roles may carry them is the
 * world's to say when it builds the host (host-mailauth.c).
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>

#include "lesson/lesson-private.h"
#include "lesson/lesson-mailauth.h"

#define MAX_LISTS 8   /* on one host; no RFC limit, a lesson's size */

/* ---- dkim: one group ---- */

void
_ml_lesson_dkim_free (gpointer data)
{
  MlLessonDkim *d = data;

  if (d == NULL)
    return;
  g_free (d->selector);
  g_free (d->domain);
  g_strfreev (d->headers);
  g_free (d);
}

/* RFC 6376 3.1: selector = sub-domain *( "." sub-domain ). */
static gboolean
parse_selector (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                const MlLessonField *field, gpointer dest, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *problem = NULL;

  if (!_ml_lesson_parse_line (ld, node, path, field, &text, error))
    return FALSE;
  if (strlen (text) > ML_LESSON_MAX_DKIM_SELECTOR ||
      (problem = _ml_lesson_dns_name_problem (text, FALSE)) != NULL)
    return _ml_lesson_fail (ld, node, path, error,
                            "'%s' is not a selector (DNS labels, RFC 6376 3.1)%s%s", text,
                            problem ? ": " : "", problem ? problem : "");
  g_free (*(char **) dest);
  *(char **) dest = g_ascii_strdown (text, -1);
  return TRUE;
}

static gboolean
parse_domain (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
              const MlLessonField *field, gpointer dest, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *problem = NULL;

  if (!_ml_lesson_parse_line (ld, node, path, field, &text, error))
    return FALSE;
  if ((problem = _ml_lesson_dns_name_problem (text, FALSE)) != NULL)
    return _ml_lesson_fail (ld, node, path, error, "'%s' is not a domain: %s", text, problem);
  g_free (*(char **) dest);
  *(char **) dest = g_ascii_strdown (text, -1);
  return TRUE;
}

static gboolean
parse_algorithm (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                 const MlLessonField *field, gpointer dest, GError **error)
{
  static const char *const names[] = { "rsa-sha256", "ed25519-sha256" };
  gsize i;

  if (!_ml_lesson_check_choice (ld, node, path, names, G_N_ELEMENTS (names),
                                "a DKIM algorithm (RFC 6376 3.3, RFC 8463)", &i, error))
    return FALSE;
  *(MlLessonDkimAlgorithm *) dest = (MlLessonDkimAlgorithm) i;
  return TRUE;
}

/* c= (RFC 6376 3.5): header/body; a lone word is the header's, and the
 * body's is then "simple". Written into the group's two booleans. */
static gboolean
parse_canonicalization (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                        const MlLessonField *field, gpointer dest, GError **error)
{
  static const char *const names[] = {
    "relaxed/relaxed", "relaxed/simple", "simple/relaxed", "simple/simple", "relaxed", "simple",
  };
  MlLessonDkim *d = (MlLessonDkim *) ((char *) dest - G_STRUCT_OFFSET (MlLessonDkim, header_relaxed));
  gsize i;

  if (!_ml_lesson_check_choice (ld, node, path, names, G_N_ELEMENTS (names),
                                "a canonicalization like relaxed/relaxed (RFC 6376 3.4)", &i, error))
    return FALSE;
  d->header_relaxed = g_str_has_prefix (names[i], "relaxed");
  d->body_relaxed = g_str_has_suffix (names[i], "/relaxed");
  return TRUE;
}

/* Field names (RFC 5322 3.6.8 ftext), From among them (RFC 6376 5.4). */
static gboolean
parse_headers (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
               const MlLessonField *field, gpointer dest, GError **error)
{
  GStrv *slot = dest;
  gboolean from = FALSE;

  if (!_ml_lesson_parse_lines (ld, node, path, field, dest, error))
    return FALSE;
  for (guint i = 0; *slot && (*slot)[i]; i++)
    {
      const char *name = (*slot)[i];

      for (const char *p = name; *p; p++)
        if (*p <= 32 || *p >= 127 || *p == ':')
          return _ml_lesson_fail (ld, node, path, error, "'%s' is not a header field name", name);
      from |= g_ascii_strcasecmp (name, "From") == 0;
    }
  if (!from)
    return _ml_lesson_fail (ld, node, path, error, "the signed headers must include From "
                            "(RFC 6376 5.4)");
  return TRUE;
}

#define D(member) G_STRUCT_OFFSET (MlLessonDkim, member)

static const MlLessonField dkim_fields[] = {
  { "selector",         parse_selector,         D (selector),       TRUE },
  { "domain",           parse_domain,           D (domain),         FALSE },
  { "algorithm",        parse_algorithm,        D (algorithm),      FALSE },
  { "canonicalization", parse_canonicalization, D (header_relaxed), FALSE },
  { "headers",          parse_headers,          D (headers),        FALSE, 1 },
};

#undef D

gboolean
_ml_lesson_parse_dkim (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                       const MlLessonField *field, gpointer dest, GError **error)
{
  MlLessonDkim **slot = dest;
  MlLessonDkim *d;

  if (node->kind != ML_YAML_MAPPING)
    return _ml_lesson_fail (ld, node, path, error, "expected a group like "
                            "'{selector: s1, algorithm: rsa-sha256}'");
  d = g_new0 (MlLessonDkim, 1);
  d->header_relaxed = d->body_relaxed = TRUE;
  d->line = node->line;
  d->column = node->column;
  _ml_lesson_dkim_free (*slot);
  *slot = d;

  for (guint i = 0; i + 1 < node->items->len; i += 2)
    {
      const MlYamlNode *key = g_ptr_array_index (node->items, i);
      const MlYamlNode *value = g_ptr_array_index (node->items, i + 1);
      g_autofree char *sub = g_strdup_printf ("%s.%s", path, key->text);
      gsize f;

      for (f = 0; f < G_N_ELEMENTS (dkim_fields); f++)
        if (strcmp (key->text, dkim_fields[f].key) == 0)
          break;
      if (f == G_N_ELEMENTS (dkim_fields))
        return _ml_lesson_fail (ld, key, sub, error, "dkim has no '%s' (selector, domain, "
                                "algorithm, canonicalization, headers)", key->text);
      if (!dkim_fields[f].parse (ld, value, sub, &dkim_fields[f],
                                 (char *) d + dkim_fields[f].offset, error))
        return FALSE;
    }
  if (d->selector == NULL)
    return _ml_lesson_fail (ld, node, path, error, "dkim needs a 'selector' (RFC 6376 3.1)");
  return TRUE;
}

/* ---- lists: a list of groups ---- */

static gpointer
list_alloc (void)
{
  return g_new0 (MlLessonList, 1);
}

static void
list_free (gpointer data)
{
  MlLessonList *l = data;

  g_free (l->address);
  g_strfreev (l->members);
  g_free (l->footer);
  g_free (l->subject_prefix);
  g_free (l);
}

static gboolean
parse_members (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
               const MlLessonField *field, gpointer dest, GError **error)
{
  if (node->kind == ML_YAML_SEQUENCE && node->items->len > ML_LESSON_MAX_LIST_MEMBERS)
    return _ml_lesson_fail (ld, node, path, error, "a list has at most %u members",
                            ML_LESSON_MAX_LIST_MEMBERS);
  return _ml_lesson_parse_addresses (ld, node, path, field, dest, error);
}

#define L(member) G_STRUCT_OFFSET (MlLessonList, member)

static const MlLessonField list_fields[] = {
  { "address",        _ml_lesson_parse_address, L (address),        TRUE },
  { "members",        parse_members,            L (members),        TRUE, 1 },
  { "footer",         _ml_lesson_parse_text,    L (footer),         FALSE },
  { "subject_prefix", _ml_lesson_parse_line,    L (subject_prefix), FALSE },
};

#undef L

const MlLessonElementType _ml_lesson_list_type = ML_LESSON_ELEMENT (MlLessonList, list_fields, list);

gboolean
_ml_lesson_parse_lists (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                        const MlLessonField *field, gpointer dest, GError **error)
{
  GPtrArray **slot = dest;

  if (node->kind == ML_YAML_SEQUENCE && node->items->len > MAX_LISTS)
    return _ml_lesson_fail (ld, node, path, error, "a host serves at most %u lists", MAX_LISTS);
  if (*slot == NULL)
    *slot = g_ptr_array_new_with_free_func (list_free);
  return _ml_lesson_parse_list (ld, node, path, field, dest, error);
}

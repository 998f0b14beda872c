/* lesson-faults.c — a step's `faults`: what breaks (or mends) in the
 * network just before the step's action: a link goes down or up or starts
 * losing packets, a host is cut off from every link or joined again.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>

#include "lesson/lesson-private.h"

#define MAX_FAULTS 16  /* on one step */

#define F(member) G_STRUCT_OFFSET (MlLessonFault, member)

static gpointer
fault_alloc (void)
{
  return g_new0 (MlLessonFault, 1);
}

static void
fault_free (gpointer data)
{
  MlLessonFault *f = data;

  g_free (f->a);
  g_free (f->b);
  g_free (f);
}

static gboolean
parse_fault_host (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                  const MlLessonField *field, gpointer dest, GError **error)
{
  return _ml_lesson_parse_host_name (ld, node, path, field, dest, error);
}

static gboolean
parse_fault_loss (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                  const MlLessonField *field, gpointer dest, GError **error)
{
  MlLessonFault *f = (MlLessonFault *) ((char *) dest - F (loss));

  if (!_ml_lesson_parse_loss (ld, node, path, field, dest, error))
    return FALSE;
  f->set_loss = TRUE;
  return TRUE;
}

/* The host key writes into `a`; `link` writes `a` and `b`. Which one was
 * given is read from the group in the second pass. */
static const MlLessonField fault_fields[] = {
  { "link", _ml_lesson_parse_between,  F (a),    FALSE },
  { "host", parse_fault_host,          F (a),    FALSE },
  { "up",   _ml_lesson_parse_tristate, F (up),   FALSE },
  { "loss", parse_fault_loss,          F (loss), FALSE },
};

const MlLessonElementType _ml_lesson_fault_type =
  ML_LESSON_ELEMENT (MlLessonFault, fault_fields, fault);

#undef F

gboolean
_ml_lesson_parse_faults (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                         const MlLessonField *field, gpointer dest, GError **error)
{
  GPtrArray **slot = dest;

  if (node->kind == ML_YAML_SEQUENCE && node->items->len > MAX_FAULTS)
    return _ml_lesson_fail (ld, node, path, error, "a step has at most %u faults",
                            MAX_FAULTS);
  if (*slot == NULL)
    *slot = g_ptr_array_new_with_free_func (fault_free);
  return _ml_lesson_parse_list (ld, node, path, field, dest, error);
}

static gboolean
check_fault (MlLessonLoader *ld, MlLessonFault *f, const char *path, GError **error)
{
  const MlYamlNode *group = g_hash_table_lookup (ld->origin, f);
  const MlYamlNode *link = ml_yaml_node_lookup (group, "link");
  const MlYamlNode *host = ml_yaml_node_lookup (group, "host");
  const MlLessonHost *ends[2];

  if ((link == NULL) == (host == NULL))
    return _ml_lesson_fail (ld, group, path, error, "a fault names either a 'link' "
                            "([host, host]) or a 'host', not %s",
                            link ? "both" : "neither");
  if (host != NULL)
    {
      g_autofree char *sub = g_strdup_printf ("%s.host", path);

      f->kind = ML_LESSON_FAULT_HOST;
      if (!_ml_lesson_resolve_host (ld, host, sub, &f->a, &ends[0], error))
        return FALSE;
      if (f->set_loss)
        return _ml_lesson_fail (ld, ml_yaml_node_lookup (group, "loss"), path, error,
                                "loss belongs to a link; name the 'link' instead");
      if (f->up == ML_LESSON_DEFAULT)
        return _ml_lesson_fail (ld, group, path, error, "say what happens to the host: "
                                "'up: false' cuts it off, 'up: true' joins it again");
      return TRUE;
    }

  f->kind = ML_LESSON_FAULT_LINK;
  for (guint e = 0; e < 2; e++)
    {
      g_autofree char *sub = g_strdup_printf ("%s.link[%u]", path, e + 1);
      char **ref = e == 0 ? &f->a : &f->b;

      if (!_ml_lesson_resolve_host (ld, g_ptr_array_index (link->items, e), sub, ref,
                                    &ends[e], error))
        return FALSE;
    }
  {
    gboolean found = FALSE;

    for (guint i = 0; i < ld->lesson->links->len && !found; i++)
      {
        const MlLessonLink *l = ld->lesson->links->pdata[i];

        found = (strcmp (l->a, f->a) == 0 && strcmp (l->b, f->b) == 0) ||
                (strcmp (l->a, f->b) == 0 && strcmp (l->b, f->a) == 0);
      }
    if (!found)
      {
        g_autofree char *sub = g_strdup_printf ("%s.link", path);
        return _ml_lesson_fail (ld, link, sub, error, "no link joins '%s' and '%s'; "
                                "a fault acts on one of the lesson's 'links'", f->a, f->b);
      }
  }
  if (f->up == ML_LESSON_DEFAULT && !f->set_loss)
    return _ml_lesson_fail (ld, group, path, error, "say what happens to the link: "
                            "'up: false', 'up: true' or a 'loss' like 30%%");
  return TRUE;
}

gboolean
_ml_lesson_check_faults (MlLessonLoader *ld, GError **error)
{
  GPtrArray *steps = ld->lesson->steps;

  for (guint s = 0; s < steps->len; s++)
    {
      MlLessonStep *step = steps->pdata[s];

      for (guint i = 0; step->faults != NULL && i < step->faults->len; i++)
        {
          g_autofree char *path = g_strdup_printf ("steps[%u].faults[%u]", s + 1, i + 1);

          if (!check_fault (ld, step->faults->pdata[i], path, error))
            return FALSE;
        }
    }
  return TRUE;
}

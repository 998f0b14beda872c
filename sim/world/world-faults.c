/* world-faults.c — what breaks (or mends) in the network at a lesson step:
 * a link cut or mended, a link that starts losing packets, a host cut off
 * from every link (as if its power failed or its cable were pulled).
 *
 * A down link drops every frame and the drop is traced (network.h), so the
 * student sees TCP retransmit (RFC 6298 5) and, if it lasts, an SMTP
 * client give up and queue the message for a later try (RFC 5321 4.5.4.1).
 */
#define G_LOG_DOMAIN "ml-world"

#include <string.h>

#include "world/world-faults.h"
#include "world/session-record.h"

static void
apply_link (MlNetwork *network, const MlLessonStep *step, const MlLessonFault *f)
{
  MlLink *link = ml_network_find_link (network, f->a, f->b);
  g_autofree char *what = NULL;

  if (link == NULL)
    {
      g_autofree char *text = g_strdup_printf ("no link joins %s and %s", f->a, f->b);
      ml_network_note (network, step->host, "lesson.fault.missing", text, NULL);
      return;
    }
  if (f->up != ML_LESSON_DEFAULT)
    ml_link_set_up (link, f->up == ML_LESSON_YES);
  if (f->set_loss)
    ml_link_set_loss (link, f->loss);

  if (f->up == ML_LESSON_NO)
    what = g_strdup_printf ("the link %s goes down: every frame on it is lost",
                            ml_link_get_name (link));
  else if (f->up == ML_LESSON_YES && f->set_loss)
    what = g_strdup_printf ("the link %s is up again and loses %.0f%% of its frames",
                            ml_link_get_name (link), f->loss * 100.0);
  else if (f->up == ML_LESSON_YES)
    what = g_strdup_printf ("the link %s is up again", ml_link_get_name (link));
  else
    what = g_strdup_printf ("the link %s now loses %.0f%% of its frames",
                            ml_link_get_name (link), f->loss * 100.0);
  ml_network_note (network, f->a,
                   f->up == ML_LESSON_NO ? "lesson.fault.link-down"
                   : f->up == ML_LESSON_YES ? "lesson.fault.link-up" : "lesson.fault.loss",
                   what, NULL);
}

static void
apply_host (MlNetwork *network, const MlLessonStep *step, const MlLessonFault *f)
{
  GPtrArray *links = ml_network_get_links (network);
  gboolean up = f->up == ML_LESSON_YES;
  guint n = 0;
  g_autofree char *text = NULL;

  for (guint i = 0; i < links->len; i++)
    {
      MlLink *link = links->pdata[i];

      if (g_ascii_strcasecmp (ml_host_get_name (ml_link_get_a (link)), f->a) == 0 ||
          g_ascii_strcasecmp (ml_host_get_name (ml_link_get_b (link)), f->a) == 0)
        {
          ml_link_set_up (link, up);
          n++;
        }
    }
  if (n == 0)
    {
      text = g_strdup_printf ("%s has no link to cut or mend", f->a);
      ml_network_note (network, step->host, "lesson.fault.missing", text, NULL);
      return;
    }
  text = up ? g_strdup_printf ("%s is back on the network", f->a)
            : g_strdup_printf ("%s goes down: none of its %u link%s carries a frame",
                               f->a, n, n == 1 ? "" : "s");
  ml_network_note (network, f->a, up ? "lesson.fault.host-up" : "lesson.fault.host-down",
                   text, NULL);
}

void
ml_world_faults_apply (MlNetwork *network, const MlLessonStep *step)
{
  g_return_if_fail (network != NULL);
  g_return_if_fail (step != NULL);

  for (guint i = 0; step->faults != NULL && i < step->faults->len; i++)
    {
      const MlLessonFault *f = step->faults->pdata[i];

      if (f->kind == ML_LESSON_FAULT_LINK)
        apply_link (network, step, f);
      else
        apply_host (network, step, f);
    }
}

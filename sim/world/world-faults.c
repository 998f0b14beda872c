/* world-faults.c — what breaks (or mends) in the world at a lesson step:
 * a link cut or mended, a link that starts losing packets, a host cut off
 * from every link (as if its power failed or its cable were pulled), a
 * mail host that answers a chosen reply (a greylister), a DNS record
 * taken away or added (an MX removed: RFC 5321 5.1's implicit MX).
 *
 * A down link drops every frame and the drop is traced (network.h), so the
 * student sees TCP retransmit (RFC 6298 5) and, if it lasts, an SMTP
 * client give up and queue the message for a later try (RFC 5321 4.5.4.1).
 */
#define G_LOG_DOMAIN "ml-world"

#include <string.h>

#include "world/world-faults.h"
#include "world/session-record.h"
#include "world/mail-host.h"

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

static void
apply_reply (MlNetwork *network, GPtrArray *mail_hosts, const MlLessonStep *step,
             const MlLessonFault *f)
{
  g_autofree char *text = NULL;
  g_autofree char *times = NULL;

  for (guint i = 0; mail_hosts != NULL && i < mail_hosts->len; i++)
    {
      MlMailHost *mh = mail_hosts->pdata[i];

      if (g_ascii_strcasecmp (ml_host_get_name (ml_mail_host_get_host (mh)), f->a) != 0)
        continue;
      if (!ml_reply_faults_add (ml_mail_host_get_reply_faults (mh), f->command, f->reply_code,
                                f->reply_enhanced, f->reply_text, f->times))
        break;
      times = f->times == 0 ? g_strdup ("every time")
              : f->times == 1 ? g_strdup ("once") : g_strdup_printf ("%u times", f->times);
      text = g_strdup_printf ("%s will answer %s with \"%s\" (%s)", f->a, f->command,
                              f->reply, times);
      ml_network_note (network, f->a, "lesson.fault.reply", text,
                       f->reply_code == 451 && g_strcmp0 (f->command, "RCPT") == 0
                       ? "greylisting (RFC 6647): a real MTA's queue comes back later; "
                         "a spam cannon often does not"
                       : NULL);
      return;
    }
  text = g_strdup_printf ("%s runs no mail service to answer %s", f->a, f->command);
  ml_network_note (network, step->host, "lesson.fault.missing", text, NULL);
}

static void
apply_dns (MlNetwork *network, MlDnsZone *zone, const MlLessonStep *step,
           const MlLessonFault *f)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  MlDnsType type;

  if (zone == NULL || !ml_dns_type_from_string (f->type, &type))
    {
      text = g_strdup_printf ("no DNS zone to change %s %s in", f->name, f->type);
      ml_network_note (network, step->host, "lesson.fault.missing", text, NULL);
      return;
    }
  if (f->dns_change == ML_LESSON_DNS_REMOVE)
    {
      guint n = ml_dns_zone_remove (zone, f->name, type);

      text = g_strdup_printf ("DNS: %u %s record%s of %s removed", n, f->type,
                              n == 1 ? "" : "s", f->name);
      ml_network_note (network, step->host, "lesson.fault.dns-remove", text,
                       type == ML_DNS_TYPE_MX ? "with no MX, mail goes to the domain's own "
                                                "address, the implicit MX (RFC 5321 5.1)" : NULL);
      return;
    }
  if (!ml_dns_zone_add_text (zone, f->name, f->type, 3600, (guint16) f->preference, f->value,
                             &error))
    {
      text = g_strdup_printf ("DNS: %s %s %s not added: %s", f->name, f->type, f->value,
                              error->message);
      ml_network_note (network, step->host, "lesson.fault.missing", text, NULL);
      return;
    }
  text = type == ML_DNS_TYPE_MX
         ? g_strdup_printf ("DNS: %s MX %u %s added", f->name, f->preference, f->value)
         : g_strdup_printf ("DNS: %s %s %s added", f->name, f->type, f->value);
  ml_network_note (network, step->host, "lesson.fault.dns-add", text, NULL);
}

void
ml_world_faults_apply_full (MlNetwork *network, MlDnsZone *zone, GPtrArray *mail_hosts,
                            const MlLessonStep *step)
{
  g_return_if_fail (network != NULL);
  g_return_if_fail (step != NULL);

  for (guint i = 0; step->faults != NULL && i < step->faults->len; i++)
    {
      const MlLessonFault *f = step->faults->pdata[i];

      switch (f->kind)
        {
        case ML_LESSON_FAULT_LINK:
          apply_link (network, step, f);
          break;
        case ML_LESSON_FAULT_HOST:
          apply_host (network, step, f);
          break;
        case ML_LESSON_FAULT_REPLY:
          apply_reply (network, mail_hosts, step, f);
          break;
        case ML_LESSON_FAULT_DNS:
        default:
          apply_dns (network, zone, step, f);
          break;
        }
    }
}

void
ml_world_faults_apply (MlNetwork *network, const MlLessonStep *step)
{
  ml_world_faults_apply_full (network, NULL, NULL, step);
}

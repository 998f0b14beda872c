/* mail-host-bounce.c — the bounce an MTA sends when it gives up.
 *
 * RFC 5321 4.2.5 and 6.1: once a server has said 250 to the final dot it
 * is responsible for the message, so when delivery then fails for good
 * (a 5yz from the next hop, or the queue lifetime running out, 4.5.4.1)
 * it must tell the envelope sender. The notice is a DSN (RFC 3464) sent
 * from the null reverse-path, so that it can never cause another bounce
 * (RFC 5321 4.5.5, RFC 3461 6.1). Like Postfix we send one DSN per
 * attempt, listing every recipient that attempt failed.
 */
#define G_LOG_DOMAIN "ml-mail-host"

#include <string.h>

#include "world/mail-host-private.h"
#include "world/session-record.h"

void
_ml_mail_host_queue_take_dsn (MlQueueEntry *entry, const MlSmtpEnvelope *envelope)
{
  ml_queue_entry_set_dsn (entry, envelope->dsn_ret, envelope->dsn_envid);
  if (envelope->recipient_dsn == NULL)
    return;
  for (guint i = 0; i < envelope->recipients->len && i < envelope->recipient_dsn->len; i++)
    {
      const MlSmtpRecipientDsn *rd = envelope->recipient_dsn->pdata[i];

      for (guint j = 0; rd && j < entry->recipients->len; j++)
        {
          MlQueueRecipient *r = entry->recipients->pdata[j];

          if (g_ascii_strcasecmp (r->address, envelope->recipients->pdata[i]) == 0)
            ml_queue_recipient_set_dsn (r, rd->notify, rd->orcpt);
        }
    }
}

gboolean
_ml_mail_host_wants_failure_notice (const MlQueueRecipient *r)
{
  /* RFC 3461 4.1: no NOTIFY reads as FAILURE,DELAY. */
  return r->notify == ML_DSN_NOTIFY_DEFAULT
         || ((r->notify & ML_DSN_NOTIFY_FAILURE) && !(r->notify & ML_DSN_NOTIFY_NEVER));
}

GBytes *
_ml_mail_host_compose_bounce (MlNetwork *network, const char *host_name,
                              const MlQueueEntry *entry, GPtrArray *failed,
                              const char *bounce_id)
{
  MlScheduler *sched = ml_network_get_scheduler (network);
  gint64 now_unix = ml_network_now_unix_usec (network) / G_USEC_PER_SEC;
  guint64 queued_for = ml_scheduler_now (sched) - entry->arrival_us;
  g_autofree MlDsnRecipient *rcpts = g_new0 (MlDsnRecipient, failed->len);
  g_autofree char *message_id = g_strdup_printf ("%s.bounce@%s", bounce_id, host_name);
  g_autoptr(GPtrArray) wanted = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  MlDsnSpec spec = { 0 };
  GBytes *dsn;

  if (entry->reverse_path[0] == '\0')
    {
      g_autofree char *text = g_strdup_printf ("message %s came from <>: it is itself a bounce, "
                                               "so its failure is only logged", entry->id);
      ml_network_note (network, host_name, "smtp.queue.bounce-null-sender", text,
                       "RFC 5321 4.5.5, RFC 3461 6.1: never a bounce to a bounce");
      return NULL;
    }

  for (guint i = 0; i < failed->len; i++)
    {
      const MlQueueRecipient *r = failed->pdata[i];
      MlDsnRecipient *d = &rcpts[i];

      if (_ml_mail_host_wants_failure_notice (r))
        g_ptr_array_add (wanted, (gpointer) r->address);
      d->final_recipient = r->address;
      d->original_recipient = r->orcpt;
      d->action = ML_DSN_ACTION_FAILED;
      d->status = ml_queue_recipient_failure_status (r);
      d->remote_mta = r->remote_mta;
      d->diagnostic = r->diagnostic;
      d->last_attempt = now_unix;
      d->notify = r->notify;
    }
  if (wanted->len == 0)
    {
      g_autofree char *text = g_strdup_printf ("no bounce for message %s: the sender asked "
                                               "for none (NOTIFY=NEVER or without FAILURE)",
                                               entry->id);
      ml_network_note (network, host_name, "smtp.queue.bounce-suppressed", text, "RFC 3461 4.1");
      return NULL;
    }

  spec.reporting_mta = host_name;
  spec.envelope_sender = entry->reverse_path;
  spec.envid = entry->envid;
  spec.ret = entry->ret;
  spec.arrival_date = now_unix - (gint64) (queued_for / G_USEC_PER_SEC);
  spec.date = now_unix;
  spec.message_id = message_id;
  spec.recipients = rcpts;
  spec.n_recipients = failed->len;
  dsn = ml_dsn_compose (&spec, entry->data, &error);
  if (dsn == NULL)
    {
      /* The queue holds only what our own server accepted, so this is a
       * value the DSN cannot carry (a non-ASCII reply text, say): logged
       * as Postfix logs a bounce it could not build. */
      g_autofree char *text = g_strdup_printf ("no bounce for message %s: %s", entry->id,
                                               error->message);
      ml_network_note (network, host_name, "smtp.queue.bounce-failed", text, NULL);
      return NULL;
    }
  if (wanted->len < failed->len)
    {
      g_autofree char *text = g_strdup_printf ("the bounce for message %s leaves out %u "
                                               "recipient%s whose NOTIFY did not ask for it",
                                               entry->id, failed->len - wanted->len,
                                               failed->len - wanted->len == 1 ? "" : "s");
      ml_network_note (network, host_name, "smtp.queue.bounce-suppressed", text, "RFC 3461 4.1");
    }
  return dsn;
}

#define G_LOG_DOMAIN "ml-queue"

#include "mail/mail-queue.h"

struct _MlMailQueue
{
  GPtrArray *entries;
  guint32    next_id;
  guint64    lifetime_us;
};

static void
recipient_free (MlQueueRecipient *r)
{
  g_free (r->address);
  g_free (r->reply);
  g_free (r->remote_mta);
  g_free (r->diagnostic);
  g_free (r->dsn_status);
  g_free (r->orcpt);
  g_free (r);
}

static void
entry_free (MlQueueEntry *e)
{
  g_free (e->id);
  g_free (e->reverse_path);
  g_ptr_array_unref (e->recipients);
  g_bytes_unref (e->data);
  g_free (e->envid);
  g_free (e);
}

MlMailQueue *
ml_mail_queue_new (guint32 id_seed)
{
  MlMailQueue *self = g_new0 (MlMailQueue, 1);

  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  /* Ids look like Postfix's short hex ids; seeding per host keeps them
   * different between hosts and identical between runs. */
  self->next_id = 0x1000 + (id_seed & 0xffff) * 0x100;
  self->lifetime_us = ML_QUEUE_LIFETIME_US;
  return self;
}

void
ml_mail_queue_set_lifetime (MlMailQueue *self, guint64 lifetime_us)
{
  g_return_if_fail (lifetime_us > 0);
  self->lifetime_us = lifetime_us;
}

void
ml_mail_queue_free (MlMailQueue *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->entries);
  g_free (self);
}

char *
ml_mail_queue_dup_next_id (MlMailQueue *self)
{
  return g_strdup_printf ("%06X", self->next_id++);
}

MlQueueEntry *
ml_mail_queue_add (MlMailQueue *self, const char *id, const char *reverse_path,
                   const char * const *recipients, GBytes *data, guint64 now_us)
{
  MlQueueEntry *e = g_new0 (MlQueueEntry, 1);

  e->id = g_strdup (id);
  e->reverse_path = g_strdup (reverse_path ? reverse_path : "");
  e->recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) recipient_free);
  for (gsize i = 0; recipients && recipients[i]; i++)
    {
      MlQueueRecipient *r = g_new0 (MlQueueRecipient, 1);
      r->address = g_strdup (recipients[i]);
      g_ptr_array_add (e->recipients, r);
    }
  e->data = g_bytes_ref (data);
  e->arrival_us = now_us;
  e->next_attempt_us = now_us;
  g_ptr_array_add (self->entries, e);
  return e;
}

GPtrArray *
ml_mail_queue_get_entries (MlMailQueue *self)
{
  return self->entries;
}

MlQueueEntry *
ml_mail_queue_find (MlMailQueue *self, const char *id)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      MlQueueEntry *e = self->entries->pdata[i];
      if (g_strcmp0 (e->id, id) == 0)
        return e;
    }
  return NULL;
}

guint
ml_mail_queue_count_pending_recipients (MlQueueEntry *entry)
{
  guint n = 0;

  for (guint i = 0; i < entry->recipients->len; i++)
    if (((MlQueueRecipient *) entry->recipients->pdata[i])->status == ML_RCPT_PENDING)
      n++;
  return n;
}

void
ml_queue_recipient_set (MlQueueRecipient *rcpt, MlRcptStatus status,
                        guint code, const char *reply)
{
  rcpt->status = status;
  rcpt->code = code;
  g_free (rcpt->reply);
  rcpt->reply = g_strdup (reply);
}

void
ml_queue_recipient_set_remote (MlQueueRecipient *rcpt, const char *remote_mta,
                               const char *diagnostic, const char *status)
{
  g_free (rcpt->remote_mta);
  g_free (rcpt->diagnostic);
  g_free (rcpt->dsn_status);
  rcpt->remote_mta = g_strdup (remote_mta);
  rcpt->diagnostic = g_strdup (diagnostic);
  rcpt->dsn_status = g_strdup (status);
}

void
ml_queue_recipient_set_dsn (MlQueueRecipient *rcpt, MlDsnNotify notify, const char *orcpt)
{
  rcpt->notify = notify;
  g_free (rcpt->orcpt);
  rcpt->orcpt = g_strdup (orcpt);
}

void
ml_queue_entry_set_dsn (MlQueueEntry *entry, MlDsnRet ret, const char *envid)
{
  entry->ret = ret;
  g_free (entry->envid);
  entry->envid = g_strdup (envid);
}

const char *
ml_queue_recipient_failure_status (const MlQueueRecipient *rcpt)
{
  if (rcpt->expired)
    return "5.4.7";
  if (rcpt->dsn_status != NULL && rcpt->dsn_status[0] == '5')
    return rcpt->dsn_status;
  return "5.0.0";
}

gboolean
ml_mail_queue_defer (MlMailQueue *self, MlQueueEntry *entry, guint64 now_us)
{
  guint64 backoff = ML_QUEUE_MIN_BACKOFF_US;

  entry->in_flight = FALSE;
  if (ml_mail_queue_count_pending_recipients (entry) == 0)
    return FALSE;

  for (guint i = 1; i < entry->attempts && backoff < ML_QUEUE_MAX_BACKOFF_US; i++)
    backoff *= 2;
  backoff = MIN (backoff, ML_QUEUE_MAX_BACKOFF_US);

  if (now_us + backoff > entry->arrival_us + self->lifetime_us)
    {
      for (guint i = 0; i < entry->recipients->len; i++)
        {
          MlQueueRecipient *r = entry->recipients->pdata[i];
          if (r->status == ML_RCPT_PENDING)
            {
              g_autofree char *why = g_strdup_printf ("message expired in the queue after %u attempts; last reply: %s",
                                                      entry->attempts, r->reply ? r->reply : "none");
              ml_queue_recipient_set (r, ML_RCPT_FAILED, r->code, why);
              r->expired = TRUE;
            }
        }
      return FALSE;
    }
  entry->next_attempt_us = now_us + backoff;
  return TRUE;
}

void
ml_mail_queue_remove (MlMailQueue *self, MlQueueEntry *entry)
{
  g_ptr_array_remove (self->entries, entry);
}

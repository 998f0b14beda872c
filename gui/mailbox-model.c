/* mailbox-model.c — replaying STORE events into mailboxes and devices. */
#define G_LOG_DOMAIN "ml-mailbox-model"

#include "mailbox-model.h"

#include <string.h>

struct _MlMailboxModel {
  MlTrace      *trace;
  guint64       applied;      /* events 0 … applied-1 are in the state */
  GPtrArray    *mailboxes;    /* of MlMailboxState, first appearance order */
  GPtrArray    *devices;      /* of MlDeviceState */
  MlTraceStats *stats;
};

static void
message_free (MlMailboxMessage *m)
{
  g_free (m->flags);
  g_free (m);
}

static void
mailbox_state_free (MlMailboxState *mb)
{
  g_free (mb->host);
  g_free (mb->account);
  g_free (mb->name);
  g_ptr_array_unref (mb->messages);
  g_free (mb);
}

static void
device_state_free (MlDeviceState *d)
{
  g_free (d->host);
  g_free (d->account);
  g_free (d->holdings);
  g_free (d);
}

static void
reset (MlMailboxModel *self)
{
  self->applied = 0;
  g_ptr_array_set_size (self->mailboxes, 0);
  g_ptr_array_set_size (self->devices, 0);
  g_clear_pointer (&self->stats, ml_trace_stats_free);
  self->stats = ml_trace_stats_new ();
}

MlMailboxModel *
ml_mailbox_model_new (MlTrace *trace)
{
  MlMailboxModel *self;

  g_return_val_if_fail (ML_IS_TRACE (trace), NULL);

  self = g_new0 (MlMailboxModel, 1);
  self->trace = g_object_ref (trace);
  self->mailboxes = g_ptr_array_new_with_free_func ((GDestroyNotify) mailbox_state_free);
  self->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_state_free);
  reset (self);
  return self;
}

void
ml_mailbox_model_free (MlMailboxModel *self)
{
  if (self == NULL)
    return;
  g_object_unref (self->trace);
  g_ptr_array_unref (self->mailboxes);
  g_ptr_array_unref (self->devices);
  ml_trace_stats_free (self->stats);
  g_free (self);
}

MlMailboxState *
ml_mailbox_model_find (MlMailboxModel *self, const char *host,
                       const char *account, const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MlMailboxState *mb = g_ptr_array_index (self->mailboxes, i);

      if (g_strcmp0 (mb->host, host) == 0 && g_strcmp0 (mb->account, account) == 0
          && g_strcmp0 (mb->name, name) == 0)
        return mb;
    }
  return NULL;
}

MlDeviceState *
ml_mailbox_model_find_device (MlMailboxModel *self, const char *host)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->devices->len; i++)
    {
      MlDeviceState *d = g_ptr_array_index (self->devices, i);

      if (g_strcmp0 (d->host, host) == 0)
        return d;
    }
  return NULL;
}

static MlMailboxState *
ensure_mailbox (MlMailboxModel *self, const MlTraceEvent *e)
{
  MlMailboxState *mb = ml_mailbox_model_find (self, e->host, e->account, e->mailbox);

  if (mb == NULL)
    {
      mb = g_new0 (MlMailboxState, 1);
      mb->host = g_strdup (e->host);
      mb->account = g_strdup (e->account);
      mb->name = g_strdup (e->mailbox);
      mb->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) message_free);
      g_ptr_array_add (self->mailboxes, mb);
    }
  return mb;
}

static MlMailboxMessage *
find_message (MlMailboxState *mb, guint32 uid, guint *index_out)
{
  for (guint i = 0; i < mb->messages->len; i++)
    {
      MlMailboxMessage *m = g_ptr_array_index (mb->messages, i);

      if (m->uid == uid)
        {
          if (index_out)
            *index_out = i;
          return m;
        }
    }
  return NULL;
}

/* The trace writes flags as the store spells them, or "no flags". */
static char *
flags_from_detail (const char *detail)
{
  if (detail == NULL || g_str_equal (detail, "no flags"))
    return g_strdup ("");
  return g_strdup (detail);
}

static void
apply_store (MlMailboxModel *self, const MlTraceEvent *e)
{
  MlMailboxState *mb;
  MlMailboxMessage *m;
  guint index;

  if (g_strcmp0 (e->text, "device") == 0)
    {
      MlDeviceState *d = ml_mailbox_model_find_device (self, e->host);

      if (d == NULL)
        {
          d = g_new0 (MlDeviceState, 1);
          d->host = g_strdup (e->host);
          g_ptr_array_add (self->devices, d);
        }
      g_free (d->account);
      d->account = g_strdup (e->account);
      g_free (d->holdings);
      d->holdings = g_strdup (e->detail ? e->detail : "");
      d->index = e->index;
      return;
    }

  if (e->host == NULL || e->account == NULL || e->mailbox == NULL)
    return;

  if (g_strcmp0 (e->text, "mailbox-deleted") == 0)
    {
      mb = ml_mailbox_model_find (self, e->host, e->account, e->mailbox);
      if (mb)
        g_ptr_array_remove (self->mailboxes, mb);
      return;
    }
  if (g_strcmp0 (e->text, "mailbox-renamed") == 0)
    {
      /* detail carries the new name when the store said it. */
      mb = ml_mailbox_model_find (self, e->host, e->account, e->mailbox);
      if (mb && e->detail && *e->detail)
        {
          g_free (mb->name);
          mb->name = g_strdup (e->detail);
        }
      return;
    }

  mb = ensure_mailbox (self, e);
  if (g_strcmp0 (e->text, "append") == 0)
    {
      m = find_message (mb, e->uid, NULL);
      if (m == NULL)
        {
          m = g_new0 (MlMailboxMessage, 1);
          m->uid = e->uid;
          m->flags = g_strdup ("");
          g_ptr_array_add (mb->messages, m);
        }
      /* detail is "820 octets". */
      m->size = e->detail ? g_ascii_strtoull (e->detail, NULL, 10) : 0;
    }
  else if (g_strcmp0 (e->text, "flags") == 0)
    {
      m = find_message (mb, e->uid, NULL);
      if (m)
        {
          g_free (m->flags);
          m->flags = flags_from_detail (e->detail);
        }
    }
  else if (g_strcmp0 (e->text, "expunge") == 0)
    {
      if (find_message (mb, e->uid, &index))
        g_ptr_array_remove_index (mb->messages, index);
    }
}

gboolean
ml_mailbox_model_step (MlMailboxModel *self)
{
  const MlTraceEvent *e;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->applied >= ml_trace_get_length (self->trace))
    return FALSE;
  e = ml_trace_get_event (self->trace, self->applied);
  self->applied++;
  if (e == NULL)
    return TRUE;
  ml_trace_stats_add_event (self->stats, e);
  if (e->kind == ML_TRACE_STORE)
    apply_store (self, e);
  return TRUE;
}

void
ml_mailbox_model_seek (MlMailboxModel *self, guint64 position)
{
  guint64 want;

  g_return_if_fail (self != NULL);

  want = MIN (position + 1, ml_trace_get_length (self->trace));
  if (want < self->applied)
    reset (self);
  while (self->applied < want && ml_mailbox_model_step (self))
    ;
}

guint64
ml_mailbox_model_get_applied (MlMailboxModel *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->applied;
}

GPtrArray *
ml_mailbox_model_get_mailboxes (MlMailboxModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->mailboxes;
}

GPtrArray *
ml_mailbox_model_get_devices (MlMailboxModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->devices;
}

MlTraceStats *
ml_mailbox_model_get_stats (MlMailboxModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->stats;
}

char *
ml_mailbox_model_dup_text (MlMailboxModel *self)
{
  GString *s = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MlMailboxState *mb = g_ptr_array_index (self->mailboxes, i);

      g_string_append_printf (s, "%s %s/%s:", mb->host, mb->account, mb->name);
      for (guint j = 0; j < mb->messages->len; j++)
        {
          MlMailboxMessage *m = g_ptr_array_index (mb->messages, j);

          g_string_append_printf (s, " %u(%s)%" G_GUINT64_FORMAT, m->uid, m->flags, m->size);
        }
      g_string_append_c (s, '\n');
    }
  for (guint i = 0; i < self->devices->len; i++)
    {
      MlDeviceState *d = g_ptr_array_index (self->devices, i);

      g_string_append_printf (s, "device %s @%" G_GUINT64_FORMAT ": %s\n",
                              d->host, d->index, d->holdings);
    }
  return g_string_free (s, FALSE);
}

/* The device summary says "POP3 downloads: N messages" and, per IMAP
 * mailbox, "exists N:" (RFC 3501 7.3.1: EXISTS is the mailbox's size). */
guint
ml_device_state_count_messages (const MlDeviceState *device)
{
  static const char *const markers[] = { "POP3 downloads: ", " exists " };
  guint n = 0;

  g_return_val_if_fail (device != NULL, 0);

  for (guint i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      const char *p = device->holdings;

      while (p && (p = strstr (p, markers[i])) != NULL)
        {
          p += strlen (markers[i]);
          n += (guint) g_ascii_strtoull (p, NULL, 10);
        }
    }
  return n;
}

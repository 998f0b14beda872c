/* The model of the selected mailbox: what untagged data says, whenever it
 * comes (RFC 3501 5.2, 7). Sequence numbers map to UIDs here (RFC 3501
 * 2.3.1.2): EXISTS grows the map, EXPUNGE shifts it, FETCH fills it in;
 * the device's local copy is keyed by UID and follows. A server breaking
 * the rules that keep the map true (EXISTS going down, a FETCH or EXPUNGE
 * past the end, a UID changing) ends the session: after that the client
 * could not tell which message a response is about.
 */
#define G_LOG_DOMAIN "ml-imap-client"

#include <string.h>
#include "proto/imap-client-private.h"

static MlImapLocalMailbox *
current_mailbox (MlImapClient *self)
{
  const char *name = self->selecting != NULL ? self->selecting : self->selected;

  return name != NULL ? _ml_imap_local_store_lookup (self->local, name) : NULL;
}

static void
wake_idle (MlImapClient *self)
{
  /* RFC 2177 3: the server told us something; stop waiting and act on it. */
  if (self->idling && !self->done_sent)
    {
      if (self->cur != NULL && self->cur->result.kind == ML_IMAP_ACTION_IDLE)
        self->cur->result.woken = TRUE;
      _ml_imap_client_send_done (self);
    }
}

void
_ml_imap_client_set_caps (MlImapClient *self, GStrv list)
{
  g_strfreev (self->caps);
  self->caps = g_strdupv (list);
}

void
_ml_imap_client_on_code (MlImapClient *self, const MlImapResponse *r)
{
  const MlImapResponseCode *c = r->code;
  MlImapLocalMailbox *mbox = current_mailbox (self);

  switch (c->kind)
    {
    case ML_IMAP_CODE_CAPABILITY:
      _ml_imap_client_set_caps (self, c->list);
      break;
    case ML_IMAP_CODE_UIDVALIDITY:
      if (mbox == NULL)
        break;
      if (mbox->uidvalidity != 0 && mbox->uidvalidity != c->number)
        {
          /* RFC 3501 2.3.1.1: the UIDs the device holds name other
           * messages now, or none; everything it has is stale. */
          guint dropped = _ml_imap_local_mailbox_clear (mbox);

          _ml_imap_client_note (self, "imap.client.uidvalidity-changed",
                g_strdup_printf ("%s: UIDVALIDITY %u became %u: the %u message%s this device held %s dropped (RFC 3501 2.3.1.1)",
                                 mbox->name, mbox->uidvalidity, c->number, dropped,
                                 dropped == 1 ? "" : "s", dropped == 1 ? "is" : "are"));
          if (self->cur != NULL)
            {
              self->cur->result.uidvalidity_changed = TRUE;
              self->cur->result.n_removed += dropped;
            }
        }
      mbox->uidvalidity = c->number;
      break;
    case ML_IMAP_CODE_UIDNEXT:
      if (mbox != NULL)
        mbox->uidnext = c->number;
      break;
    case ML_IMAP_CODE_ALERT:
      /* RFC 3501 7.1: an ALERT must be shown to the user. */
      _ml_imap_client_note (self, "imap.client.alert", g_strdup (r->text));
      break;
    case ML_IMAP_CODE_COPYUID:
      if (self->cur != NULL && self->cur->result.kind == ML_IMAP_ACTION_MOVE)
        {
          g_autoptr(GArray) src = ml_imap_uid_set_expand (c->source_uids, ML_IMAP_CLIENT_MAX_EXISTS);
          g_autoptr(GArray) dst = ml_imap_uid_set_expand (c->dest_uids, ML_IMAP_CLIENT_MAX_EXISTS);
          MlImapLocalMailbox *from = current_mailbox (self);
          MlImapLocalMailbox *to = _ml_imap_local_store_lookup (self->local, self->cur->folder);

          if (src == NULL || dst == NULL || src->len != dst->len)
            break;
          g_array_set_size (self->cur->result.new_uids, 0);
          g_array_append_vals (self->cur->result.new_uids, dst->data, dst->len);
          self->cur->result.dest_uidvalidity = c->number;
          /* RFC 4315 1: with COPYUID the device knows the copies' UIDs
           * and can keep what it had under them, without fetching. */
          if (from != NULL && to != NULL && to->uidvalidity == c->number)
            for (guint i = 0; i < src->len; i++)
              {
                const MlImapLocalMessage *m =
                  _ml_imap_local_mailbox_lookup (from, g_array_index (src, guint32, i));
                guint32 uid = g_array_index (dst, guint32, i);

                if (m != NULL && _ml_imap_local_mailbox_lookup (to, uid) == NULL)
                  {
                    MlImapLocalMessage *copy = _ml_imap_local_message_copy (m, uid);
                    gboolean created;
                    MlImapLocalMessage *slot = _ml_imap_local_mailbox_ensure (to, uid, &created);

                    /* Swap the fresh slot's contents for the copy's. */
                    MlImapLocalMessage tmp = *slot;
                    *slot = *copy;
                    *copy = tmp;
                    _ml_imap_local_message_free (copy);
                  }
              }
        }
      break;
    default:
      break;
    }
}

static void
on_exists (MlImapClient *self, guint32 n)
{
  MlImapLocalMailbox *mbox = current_mailbox (self);
  guint old = self->seq_uids->len;
  g_autofree char *why = NULL;

  if (mbox == NULL)
    return;
  if (n > ML_IMAP_CLIENT_MAX_EXISTS)
    {
      why = g_strdup_printf ("%u EXISTS: more messages than this client keeps track of (%u)",
                             n, (guint) ML_IMAP_CLIENT_MAX_EXISTS);
      _ml_imap_client_protocol_error (self, why);
      return;
    }
  if (n < old)
    {
      /* RFC 3501 7.3.1: the count only goes down through EXPUNGE. */
      why = g_strdup_printf ("EXISTS went from %u down to %u without EXPUNGE (RFC 3501 7.3.1)", old, n);
      _ml_imap_client_protocol_error (self, why);
      return;
    }
  g_array_set_size (self->seq_uids, n);
  mbox->exists = n;
  if (n > old)
    wake_idle (self);
}

static void
on_expunge (MlImapClient *self, guint32 n)
{
  MlImapLocalMailbox *mbox = current_mailbox (self);
  guint32 uid;

  if (mbox == NULL)
    return;
  if (n > self->seq_uids->len)
    {
      g_autofree char *why = g_strdup_printf ("EXPUNGE of message %u, but the mailbox has %u (RFC 3501 7.4.1)",
                                              n, self->seq_uids->len);

      _ml_imap_client_protocol_error (self, why);
      return;
    }
  /* RFC 3501 7.4.1: every later message's number goes down by one. */
  uid = g_array_index (self->seq_uids, guint32, n - 1);
  g_array_remove_index (self->seq_uids, n - 1);
  mbox->exists = self->seq_uids->len;
  if (uid != 0 && _ml_imap_local_mailbox_remove (mbox, uid) && self->cur != NULL)
    self->cur->result.n_removed++;
  wake_idle (self);
}

static void
on_fetch (MlImapClient *self, const MlImapResponse *r)
{
  MlImapLocalMailbox *mbox = current_mailbox (self);
  const MlImapFetch *f = r->fetch;
  ImapAction *a = self->cur;
  MlImapLocalMessage *msg;
  guint32 *slot, uid;
  gboolean created;

  if (mbox == NULL)
    return;
  if (r->number > self->seq_uids->len)
    {
      g_autofree char *why = g_strdup_printf ("FETCH for message %u, but the mailbox has %u (RFC 3501 7.4.2)",
                                              r->number, self->seq_uids->len);

      _ml_imap_client_protocol_error (self, why);
      return;
    }
  slot = &g_array_index (self->seq_uids, guint32, r->number - 1);
  uid = f->uid;
  if (uid != 0)
    {
      if (*slot != 0 && *slot != uid)
        {
          g_autofree char *why = g_strdup_printf ("message %u had UID %u and now %u (RFC 3501 2.3.1.1)",
                                                  r->number, *slot, uid);

          _ml_imap_client_protocol_error (self, why);
          return;
        }
      *slot = uid;
    }
  else
    uid = *slot;
  wake_idle (self);
  if (uid == 0)
    return;

  msg = _ml_imap_local_mailbox_ensure (mbox, uid, &created);
  /* RFC 3501 2.3.1.1: the next UID is above every one assigned. */
  if (mbox->uidnext != 0 && uid >= mbox->uidnext)
    mbox->uidnext = uid + 1;
  if (a != NULL && a->seen != NULL)
    g_hash_table_add (a->seen, GUINT_TO_POINTER (uid));
  if (f->flags != NULL && _ml_imap_local_message_set_flags (msg, (const char * const *) f->flags)
      && !created && a != NULL)
    a->result.n_changed++;
  if (f->has_size)
    msg->size = f->rfc822_size;
  for (guint i = 0; i < f->bodies->len; i++)
    {
      const MlImapFetchBody *b = g_ptr_array_index (f->bodies, i);
      gboolean header = b->section != NULL ? g_ascii_strcasecmp (b->section, "HEADER") == 0
                                           : strcmp (b->name, "RFC822.HEADER") == 0;
      gboolean whole = b->section != NULL ? b->section[0] == '\0' : strcmp (b->name, "RFC822") == 0;

      if (b->data == NULL || b->origin > 0)
        continue;
      if (header)
        {
          if (msg->header == NULL && a != NULL)
            a->result.n_new++;
          _ml_imap_local_message_set_header (msg, b->data);
        }
      else if (whole)
        _ml_imap_local_message_set_body (msg, b->data);
    }
  if (f->envelope != NULL && f->envelope->subject != NULL)
    {
      if (msg->header == NULL && msg->subject == NULL && a != NULL)
        a->result.n_new++;
      if (msg->subject == NULL)
        msg->subject = g_strdup (f->envelope->subject);
    }
}

void
_ml_imap_client_on_untagged (MlImapClient *self, const MlImapResponse *r)
{
  if (r->code != NULL)
    _ml_imap_client_on_code (self, r);

  switch (r->status)
    {
    case ML_IMAP_STATUS_BYE:
      /* RFC 3501 7.1.5: the server is closing. After our LOGOUT that is
       * the expected answer, with the tagged OK still to come. */
      self->bye_received = TRUE;
      if (!self->logout_sent)
        {
          g_autofree char *text = g_strdup_printf ("the server closed the session: %s", r->text);

          _ml_imap_client_set_state (self, ML_IMAP_CLIENT_STATE_LOGOUT);
          _ml_imap_client_fail_all (self, ML_IMAP_STATUS_BYE, text);
          _ml_imap_client_session_done (self);
        }
      return;
    case ML_IMAP_STATUS_NONE:
      break;
    default:
      return;
    }

  switch (r->data)
    {
    case ML_IMAP_DATA_CAPABILITY:
      _ml_imap_client_set_caps (self, r->atoms);
      break;
    case ML_IMAP_DATA_LIST:
      {
        MlImapLocalMailbox *m = _ml_imap_local_store_ensure (self->local, r->mailbox);

        _ml_imap_local_mailbox_set_list (m, (const char * const *) r->atoms, r->delimiter);
        g_ptr_array_add (self->listed, g_strdup (r->mailbox));
        break;
      }
    case ML_IMAP_DATA_SEARCH:
      g_array_append_vals (self->hits, r->numbers->data, r->numbers->len);
      break;
    case ML_IMAP_DATA_EXISTS:
      on_exists (self, r->number);
      break;
    case ML_IMAP_DATA_EXPUNGE:
      on_expunge (self, r->number);
      break;
    case ML_IMAP_DATA_FETCH:
      on_fetch (self, r);
      break;
    default:
      break;
    }
}


/* imap-server-view.c — the session's view of the selected mailbox and the
 * updates held for it (RFC 3501 2.3.1.2, 5.2, 5.5, 7.4.1; RFC 2177).
 *
 * The view is the list of UIDs the client knows, in sequence order: it
 * grows only when EXISTS is sent and shrinks only when EXPUNGE is, so the
 * client's sequence numbers never move behind its back. The store's
 * notifications (every session's, the MDA's) are kept here until a moment
 * the RFC allows, or told at once while the client is in IDLE.
 */
#define G_LOG_DOMAIN "ml-imap-server"

#include <string.h>
#include "proto/imap-server-private.h"

/* ---- the view of the selected mailbox ---- */

/* RFC 3501 2.3.2: a message is \Recent for the first session told of it.
 * The MDA and COPY store it with ML_FLAG_RECENT; the session that claims
 * it clears that flag (as its own change), so no other session sees it
 * recent. A read-only session only looks. */
static gboolean
claim_recent (MlImapServer *self, MlMailbox *mailbox, guint32 uid, gboolean take)
{
  MlMessage *message = ml_mailbox_find_uid (mailbox, uid);
  MlMessageFlags flags;

  if (message == NULL)
    return FALSE;
  flags = ml_message_get_flags (message);
  if (!(flags & ML_FLAG_RECENT))
    return FALSE;
  if (take)
    {
      _ml_imap_server_begin_change (self);
      ml_mailbox_set_flags (mailbox, message, flags & ~ML_FLAG_RECENT);
      _ml_imap_server_end_change (self);
    }
  return TRUE;
}

void
_ml_imap_server_begin_change (MlImapServer *self)
{
  self->saved_actor = ml_mail_store_get_actor (self->store);
  ml_mail_store_set_actor (self->store, self);
}

void
_ml_imap_server_end_change (MlImapServer *self)
{
  ml_mail_store_set_actor (self->store, self->saved_actor);
  self->saved_actor = NULL;
}

static MlImapView *
view_new (MlMailbox *mailbox, gboolean read_only)
{
  MlImapView *view = g_new0 (MlImapView, 1);

  view->mailbox = mailbox;
  view->read_only = read_only;
  view->uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  view->recent = g_hash_table_new (NULL, NULL);
  view->pending_new = g_array_new (FALSE, FALSE, sizeof (guint32));
  view->pending_expunge = g_hash_table_new (NULL, NULL);
  view->pending_flags = g_hash_table_new (NULL, NULL);
  return view;
}

static void
view_free (MlImapView *view)
{
  if (view == NULL)
    return;
  g_array_unref (view->uids);
  g_hash_table_unref (view->recent);
  g_array_unref (view->pending_new);
  g_hash_table_unref (view->pending_expunge);
  g_hash_table_unref (view->pending_flags);
  g_free (view);
}

void
_ml_imap_server_select_view (MlImapServer *self, MlMailbox *mailbox, gboolean read_only)
{
  MlImapView *view;
  guint i, n;

  _ml_imap_server_drop_view (self);
  view = view_new (mailbox, read_only);
  n = ml_mailbox_get_count (mailbox);
  g_array_set_size (view->uids, n);
  for (i = 0; i < n; i++)
    {
      MlMessage *message = ml_mailbox_get_message (mailbox, i);

      g_array_index (view->uids, guint32, i) = ml_message_get_uid (message);
    }
  /* RFC 3501 2.3.2: \Recent goes to the first session told of the message;
   * a read-only session sees it but does not take it from the others. */
  for (i = 0; i < n; i++)
    {
      guint32 uid = g_array_index (view->uids, guint32, i);

      if (claim_recent (self, mailbox, uid, !read_only))
        g_hash_table_add (view->recent, GUINT_TO_POINTER (uid));
    }
  view->recent_told = g_hash_table_size (view->recent);
  self->view = view;
}

void
_ml_imap_server_drop_view (MlImapServer *self)
{
  g_clear_pointer (&self->view, view_free);
}

guint
_ml_imap_server_uid_to_seq (MlImapServer *self, guint32 uid)
{
  GArray *uids;
  guint lo = 0, hi;

  if (self->view == NULL)
    return 0;
  uids = self->view->uids;
  hi = uids->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      guint32 v = g_array_index (uids, guint32, mid);

      if (v == uid)
        return mid + 1;
      if (v < uid)
        lo = mid + 1;
      else
        hi = mid;
    }
  return 0;
}

/* Index of the first UID >= @uid. */
static guint
lower_bound (GArray *uids, guint32 uid)
{
  guint lo = 0, hi = uids->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (uids, guint32, mid) < uid)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

gboolean
_ml_imap_server_resolve_set (MlImapServer *self, const MlImapSequenceSet *set,
                             gboolean uid, GArray *seqs_out)
{
  GArray *uids = self->view->uids;
  g_autoptr (GArray) ranges = NULL;
  guint i;

  g_array_set_size (seqs_out, 0);
  if (!uid)
    {
      /* RFC 3501 9 seq-number: BAD past the last message, "*" included
       * when the mailbox is empty. */
      if (uids->len == 0 || ml_imap_sequence_set_get_max (set, uids->len) > uids->len)
        return FALSE;
      ranges = ml_imap_sequence_set_resolve (set, uids->len);
      for (i = 0; i < ranges->len; i++)
        {
          MlImapSeqRange *r = &g_array_index (ranges, MlImapSeqRange, i);
          guint32 s;

          for (s = r->first; s <= r->last; s++)
            g_array_append_val (seqs_out, s);
        }
      return TRUE;
    }

  /* RFC 3501 9: for UIDs "*" is the last message's UID; in an empty
   * mailbox nothing matches whatever it stands for. */
  if (uids->len == 0)
    return TRUE;
  ranges = ml_imap_sequence_set_resolve (set, g_array_index (uids, guint32, uids->len - 1));
  for (i = 0; i < ranges->len; i++)
    {
      MlImapSeqRange *r = &g_array_index (ranges, MlImapSeqRange, i);
      guint j;

      for (j = lower_bound (uids, r->first);
           j < uids->len && g_array_index (uids, guint32, j) <= r->last; j++)
        {
          guint32 s = j + 1;

          g_array_append_val (seqs_out, s);
        }
    }
  return TRUE;
}

MlMessage *
_ml_imap_server_get_message (MlImapServer *self, guint seq)
{
  guint32 uid;

  if (self->view == NULL || seq == 0 || seq > self->view->uids->len)
    return NULL;
  uid = g_array_index (self->view->uids, guint32, seq - 1);
  if (g_hash_table_contains (self->view->pending_expunge, GUINT_TO_POINTER (uid)))
    return NULL;
  return ml_mailbox_find_uid (self->view->mailbox, uid);
}

gboolean
_ml_imap_server_is_recent (MlImapServer *self, guint32 uid)
{
  return self->view != NULL
         && g_hash_table_contains (self->view->recent, GUINT_TO_POINTER (uid));
}

static gint
compare_guint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

void
_ml_imap_server_flush_updates (MlImapServer *self, gboolean allow_expunge)
{
  MlImapView *view = self->view;
  guint recent;

  if (view == NULL)
    return;

  if (allow_expunge && g_hash_table_size (view->pending_expunge) > 0)
    {
      GArray *uids = view->uids;
      guint r, w = 0;

      /* RFC 3501 7.4.1: each EXPUNGE renumbers the messages after it at
       * once, so the number sent is the message's place among those kept
       * so far. */
      for (r = 0; r < uids->len; r++)
        {
          guint32 uid = g_array_index (uids, guint32, r);

          if (g_hash_table_contains (view->pending_expunge, GUINT_TO_POINTER (uid)))
            {
              _ml_imap_server_untagged (self, "EXPUNGE", "%u EXPUNGE", w + 1);
              g_hash_table_remove (view->recent, GUINT_TO_POINTER (uid));
              g_hash_table_remove (view->pending_flags, GUINT_TO_POINTER (uid));
            }
          else
            g_array_index (uids, guint32, w++) = uid;
        }
      g_array_set_size (uids, w);
      g_hash_table_remove_all (view->pending_expunge);
      view->recent_told = g_hash_table_size (view->recent);
    }

  if (view->pending_new->len > 0)
    {
      guint i;

      for (i = 0; i < view->pending_new->len; i++)
        {
          guint32 uid = g_array_index (view->pending_new, guint32, i);

          g_array_append_val (view->uids, uid);
          /* RFC 3501 2.3.2: told first, so \Recent is ours. */
          if (claim_recent (self, view->mailbox, uid, !view->read_only))
            g_hash_table_add (view->recent, GUINT_TO_POINTER (uid));
          g_hash_table_remove (view->pending_flags, GUINT_TO_POINTER (uid));
        }
      g_array_set_size (view->pending_new, 0);
      /* RFC 3501 7.3.1, 7.3.2 */
      _ml_imap_server_untagged (self, "EXISTS", "%u EXISTS", view->uids->len);
      recent = g_hash_table_size (view->recent);
      _ml_imap_server_untagged (self, "RECENT", "%u RECENT", recent);
      view->recent_told = recent;
    }

  if (g_hash_table_size (view->pending_flags) > 0)
    {
      g_autoptr (GArray) seqs = g_array_new (FALSE, FALSE, sizeof (guint));
      GHashTableIter iter;
      gpointer key;
      guint i;

      /* In sequence order: a hash table's order would make two runs of
       * the same lesson differ. */
      g_hash_table_iter_init (&iter, view->pending_flags);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          guint seq = _ml_imap_server_uid_to_seq (self, GPOINTER_TO_UINT (key));

          if (seq != 0)
            g_array_append_val (seqs, seq);
        }
      g_hash_table_remove_all (view->pending_flags);
      g_array_sort (seqs, compare_guint);
      for (i = 0; i < seqs->len; i++)
        {
          guint seq = g_array_index (seqs, guint, i);
          MlMessage *message = _ml_imap_server_get_message (self, seq);
          gsize start;

          if (message == NULL)
            continue;
          /* RFC 3501 7.4.2: an unsolicited FETCH tells the new flags. */
          start = _ml_imap_server_line_begin (self);
          g_string_append_printf (self->output, "* %u FETCH (", seq);
          if (self->uid_command)
            g_string_append_printf (self->output, "UID %u ", ml_message_get_uid (message));
          _ml_imap_server_append_flags (self, self->output, message, ml_message_get_uid (message));
          g_string_append_c (self->output, ')');
          _ml_imap_server_line_end (self, start, NULL, "FETCH", NULL, "imap.untagged.fetch");
        }
    }
}

/* ---- the store's changes ---- */

static void
remove_pending_new (MlImapView *view, guint32 uid)
{
  guint i;

  for (i = 0; i < view->pending_new->len; i++)
    if (g_array_index (view->pending_new, guint32, i) == uid)
      {
        g_array_remove_index (view->pending_new, i);
        return;
      }
}

/* RFC 2180 3.3: the selected mailbox was deleted under us (by another
 * session; our own DELETE deals with it itself): say BYE and close, as
 * Dovecot and Cyrus do. The MlMailbox may be freed right after this. */
static void
selected_mailbox_deleted (MlImapServer *self)
{
  g_autofree char *name = g_strdup (ml_mailbox_get_name (self->view->mailbox));

  _ml_imap_server_drop_view (self);
  _ml_imap_server_status (self, NULL, ML_IMAP_BYE, NULL, "Mailbox %s has been deleted", name);
  _ml_imap_server_close (self, "selected mailbox deleted");
  if (!self->in_feed && self->wakeup != NULL)
    self->wakeup (self, self->wakeup_data);
}

void
_ml_imap_server_on_store_change (MlMailStore *store, const MlStoreChange *change, gpointer user_data)
{
  MlImapServer *self = user_data;
  MlImapView *view = self->view;
  gboolean own = change->actor == (gconstpointer) self;
  guint32 uid;

  if (view == NULL || change->mailbox != view->mailbox)
    return;

  switch (change->kind)
    {
    case ML_STORE_CHANGE_APPEND:
      /* Our own APPEND/COPY into the selected mailbox is told like anyone
       * else's (RFC 3501 6.3.11: "the normal new message actions"). */
      uid = ml_message_get_uid (change->message);
      g_array_append_val (view->pending_new, uid);
      break;

    case ML_STORE_CHANGE_EXPUNGE:
      uid = ml_message_get_uid (change->message);
      if (own && self->own_expunged != NULL)
        {
          /* Our EXPUNGE/CLOSE/MOVE tells these itself, right away. */
          g_array_append_val (self->own_expunged, uid);
          break;
        }
      remove_pending_new (view, uid);
      if (_ml_imap_server_uid_to_seq (self, uid) != 0)
        g_hash_table_add (view->pending_expunge, GUINT_TO_POINTER (uid));
      g_hash_table_remove (view->pending_flags, GUINT_TO_POINTER (uid));
      break;

    case ML_STORE_CHANGE_FLAGS:
      /* Our STORE answers with its own FETCH (RFC 3501 6.4.6). A session
       * claiming \Recent changes only that bit, which is per session and
       * nothing to tell the others. */
      if (own || (change->old_flags ^ ml_message_get_flags (change->message)) == ML_FLAG_RECENT)
        break;
      uid = ml_message_get_uid (change->message);
      if (_ml_imap_server_uid_to_seq (self, uid) != 0)
        g_hash_table_add (view->pending_flags, GUINT_TO_POINTER (uid));
      break;

    case ML_STORE_CHANGE_MAILBOX_DELETED:
      if (!own)
        selected_mailbox_deleted (self);
      return;

    default:
      /* RENAMED: RFC 2180 3.4, the session keeps working on the mailbox
       * under its new name. */
      return;
    }

  /* RFC 2177 3: in IDLE the server tells at once. */
  if (self->idling && !own)
    {
      _ml_imap_server_flush_updates (self, TRUE);
      if (!self->in_feed && self->wakeup != NULL)
        self->wakeup (self, self->wakeup_data);
    }
}

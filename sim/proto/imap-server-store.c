/* imap-server-store.c — STORE, COPY and MOVE, plain and UID (RFC 3501
 * 6.4.6, 6.4.7, 6.4.8; RFC 4315 COPYUID; RFC 6851 MOVE).
 */
#define G_LOG_DOMAIN "ml-imap-server"

#include <string.h>
#include "proto/imap-server-private.h"

typedef enum {
  STORE_REPLACE = 0,  /* FLAGS */
  STORE_ADD,          /* +FLAGS */
  STORE_REMOVE,       /* -FLAGS */
} StoreMode;

/* The keywords a message ends up with. Caller frees (NULL-terminated). */
static GPtrArray *
merge_keywords (MlMessage *message, StoreMode mode, GPtrArray *given)
{
  const char * const *have = ml_message_get_keywords (message);
  GPtrArray *out = g_ptr_array_new ();
  guint i, j;

  if (mode != STORE_REPLACE)
    for (i = 0; have != NULL && have[i] != NULL; i++)
      {
        gboolean named = FALSE;

        for (j = 0; j < given->len; j++)
          if (g_ascii_strcasecmp (have[i], g_ptr_array_index (given, j)) == 0)
            named = TRUE;
        if (mode == STORE_ADD || !named)
          g_ptr_array_add (out, (gpointer) have[i]);
      }
  if (mode != STORE_REMOVE)
    for (j = 0; j < given->len; j++)
      {
        const char *kw = g_ptr_array_index (given, j);
        gboolean present = FALSE;

        for (i = 0; i < out->len; i++)
          if (g_ascii_strcasecmp (g_ptr_array_index (out, i), kw) == 0)
            present = TRUE;
        if (!present)
          g_ptr_array_add (out, (gpointer) kw);
      }
  g_ptr_array_add (out, NULL);
  return out;
}

static gboolean
same_keywords (const char * const *a, const char * const *b)
{
  guint i;

  for (i = 0; a[i] != NULL && b[i] != NULL; i++)
    if (g_ascii_strcasecmp (a[i], b[i]) != 0)
      return FALSE;
  return a[i] == NULL && b[i] == NULL;
}

void
_ml_imap_cmd_store (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autoptr (MlImapSequenceSet) set = NULL;
  g_autoptr (GArray) seqs = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GPtrArray) keywords = g_ptr_array_new_with_free_func (g_free);
  const MlImapArg *item;
  g_autofree char *word = NULL;
  MlMessageFlags flags = 0;
  StoreMode mode;
  gboolean silent;
  guint i, missing = 0;
  const char *p;

  set = _ml_imap_server_get_sequence_set (self, args, first);
  if (set == NULL)
    return;
  item = args->len > first + 1 ? g_ptr_array_index (args, first + 1) : NULL;
  if (item == NULL || item->kind != ML_IMAP_TOKEN_ATOM)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Expected FLAGS, +FLAGS or -FLAGS");
      return;
    }
  /* RFC 3501 9: store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP
   * (flag-list / (flag *(SP flag))) */
  word = g_ascii_strup (item->data, -1);
  p = word;
  mode = *p == '+' ? STORE_ADD : *p == '-' ? STORE_REMOVE : STORE_REPLACE;
  if (mode != STORE_REPLACE)
    p++;
  if (strcmp (p, "FLAGS") == 0)
    silent = FALSE;
  else if (strcmp (p, "FLAGS.SILENT") == 0)
    silent = TRUE;
  else
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Expected FLAGS, +FLAGS or -FLAGS");
      return;
    }
  if (args->len == first + 3)
    {
      if (!_ml_imap_server_parse_flags (self, g_ptr_array_index (args, first + 2), TRUE,
                                        &flags, keywords))
        return;
    }
  else
    {
      /* The list-less form: flags as separate arguments. */
      for (i = first + 2; i < args->len; i++)
        {
          MlMessageFlags one = 0;

          if (!_ml_imap_server_parse_flags (self, g_ptr_array_index (args, i), TRUE, &one, keywords))
            return;
          flags |= one;
        }
      if (args->len <= first + 2)
        {
          _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Missing flags");
          return;
        }
    }
  if (!_ml_imap_server_resolve_set (self, set, self->uid_command, seqs))
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid message sequence number");
      return;
    }

  /* Keywords are checked before anything changes: all or nothing. */
  if (keywords->len > 0 && mode != STORE_REMOVE)
    for (i = 0; i < seqs->len; i++)
      {
        MlMessage *message = _ml_imap_server_get_message (self, g_array_index (seqs, guint32, i));
        g_autoptr (GPtrArray) merged = NULL;
        g_autoptr (GError) error = NULL;

        if (message == NULL)
          continue;
        merged = merge_keywords (message, mode, keywords);
        if (!ml_mailbox_check_keywords (self->view->mailbox, message,
                                        (const char * const *) merged->pdata, &error))
          {
            _ml_imap_server_complete (self, ML_IMAP_NO,
                                      g_error_matches (error, ML_STORE_ERROR, ML_STORE_ERROR_LIMIT)
                                        ? "LIMIT" : "CANNOT",
                                      "%s", error->message);
            return;
          }
      }

  for (i = 0; i < seqs->len; i++)
    {
      guint seq = g_array_index (seqs, guint32, i);
      MlMessage *message = _ml_imap_server_get_message (self, seq);
      MlMessageFlags old, now;
      g_autoptr (GPtrArray) merged = NULL;
      guint32 uid;

      if (message == NULL)
        {
          missing++;
          continue;
        }
      uid = ml_message_get_uid (message);
      old = ml_message_get_flags (message);
      /* The store's \Recent bit is not the client's to change (RFC 3501
       * 2.3.2): keep it as it is. */
      switch (mode)
        {
        case STORE_ADD:    now = old | flags; break;
        case STORE_REMOVE: now = old & ~flags; break;
        default:           now = (old & ML_FLAG_RECENT) | flags; break;
        }
      merged = merge_keywords (message, mode, keywords);
      if (now != old || !same_keywords (ml_message_get_keywords (message),
                                        (const char * const *) merged->pdata))
        {
          _ml_imap_server_begin_change (self);
          ml_mailbox_store_flags (self->view->mailbox, message, now,
                                  (const char * const *) merged->pdata);
          _ml_imap_server_end_change (self);
        }
      /* RFC 3501 6.4.6: the new flags, unless .SILENT; RFC 3501 6.4.8:
       * UID STORE answers carry UID. */
      if (!silent)
        {
          gsize start = _ml_imap_server_line_begin (self);

          g_string_append_printf (self->output, "* %u FETCH (", seq);
          if (self->uid_command)
            g_string_append_printf (self->output, "UID %u ", uid);
          _ml_imap_server_append_flags (self, self->output, message, uid);
          g_string_append_c (self->output, ')');
          _ml_imap_server_line_end (self, start, NULL, "FETCH", NULL, "imap.untagged.fetch");
        }
    }
  if (missing > 0)
    /* RFC 2180 4.2: a STORE on messages another session expunged. */
    _ml_imap_server_complete (self, ML_IMAP_NO, "EXPUNGEISSUED",
                              "Some messages were expunged by another session");
  else
    _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "%s completed",
                              self->uid_command ? "UID STORE" : "STORE");
}

/* COPY, and the copy half of MOVE. On success @src_uids/@dst_uids hold
 * the pairs for COPYUID (RFC 4315 3); on failure the response is sent
 * and whatever was copied is removed again (RFC 3501 6.4.7: "the
 * destination mailbox SHOULD be restored to its state before the COPY").
 * Returns the destination, or NULL. */
static MlMailbox *
copy_messages (MlImapServer *self, GPtrArray *args, guint first, GArray *src_uids,
               GArray *dst_uids, gboolean *nothing_to_do)
{
  g_autoptr (MlImapSequenceSet) set = NULL;
  g_autoptr (GArray) seqs = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autofree char *name = NULL;
  MlMailbox *dst;
  guint i;

  *nothing_to_do = FALSE;
  set = _ml_imap_server_get_sequence_set (self, args, first);
  if (set == NULL)
    return NULL;
  if (!_ml_imap_server_get_mailbox (self, args, first + 1, &name)
      || !_ml_imap_server_no_more_args (self, args, first + 2))
    return NULL;
  if (!_ml_imap_server_resolve_set (self, set, self->uid_command, seqs))
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid message sequence number");
      return NULL;
    }
  dst = ml_account_find_mailbox (self->account, name);
  if (dst == NULL)
    {
      /* RFC 3501 6.4.7: TRYCREATE if it could be created. */
      _ml_imap_server_complete (self, ML_IMAP_NO, "TRYCREATE", "Mailbox does not exist");
      return NULL;
    }
  if (seqs->len == 0)
    {
      *nothing_to_do = TRUE;
      return dst;
    }
  for (i = 0; i < seqs->len; i++)
    {
      MlMessage *message = _ml_imap_server_get_message (self, g_array_index (seqs, guint32, i));
      g_autoptr (GError) error = NULL;
      guint32 src_uid, dst_uid;

      if (message == NULL)
        {
          /* RFC 2180 4.4.1: no partial copy of expunged messages. */
          error = g_error_new_literal (ML_STORE_ERROR, ML_STORE_ERROR_NOT_FOUND,
                                       "Some messages were expunged by another session");
        }
      else
        {
          src_uid = ml_message_get_uid (message);
          _ml_imap_server_begin_change (self);
          dst_uid = ml_mailbox_copy_message (self->view->mailbox, message, dst, &error);
          _ml_imap_server_end_change (self);
          if (dst_uid != 0)
            {
              g_array_append_val (src_uids, src_uid);
              g_array_append_val (dst_uids, dst_uid);
              continue;
            }
        }

      /* Undo: flag the copies \Deleted and expunge just them. */
      if (dst_uids->len > 0)
        {
          guint k;

          _ml_imap_server_begin_change (self);
          for (k = 0; k < dst_uids->len; k++)
            {
              MlMessage *copy = ml_mailbox_find_uid (dst, g_array_index (dst_uids, guint32, k));

              if (copy != NULL)
                ml_mailbox_set_flags (dst, copy, ml_message_get_flags (copy) | ML_FLAG_DELETED);
            }
          ml_mailbox_expunge_uids (dst, (const guint32 *) (gpointer) dst_uids->data, dst_uids->len);
          _ml_imap_server_end_change (self);
          g_array_set_size (src_uids, 0);
          g_array_set_size (dst_uids, 0);
        }
      if (g_error_matches (error, ML_STORE_ERROR, ML_STORE_ERROR_OVERQUOTA))
        _ml_imap_server_complete (self, ML_IMAP_NO, "OVERQUOTA", "Quota exceeded");
      else if (g_error_matches (error, ML_STORE_ERROR, ML_STORE_ERROR_NOT_FOUND))
        _ml_imap_server_complete (self, ML_IMAP_NO, "EXPUNGEISSUED", "%s", error->message);
      else if (g_error_matches (error, ML_STORE_ERROR, ML_STORE_ERROR_LIMIT))
        _ml_imap_server_complete (self, ML_IMAP_NO, "LIMIT", "%s", error->message);
      else
        _ml_imap_server_complete (self, ML_IMAP_NO, "CANNOT", "%s",
                                  error != NULL ? error->message : "Copy failed");
      return NULL;
    }
  return dst;
}

static char *
dup_copyuid (MlMailbox *dst, GArray *src_uids, GArray *dst_uids)
{
  g_autofree char *src = ml_imap_sequence_format ((const guint32 *) (gpointer) src_uids->data,
                                                  src_uids->len);
  g_autofree char *dest = ml_imap_sequence_format ((const guint32 *) (gpointer) dst_uids->data,
                                                   dst_uids->len);

  /* RFC 4315 3: COPYUID uidvalidity source-uids dest-uids */
  return g_strdup_printf ("COPYUID %u %s %s", ml_mailbox_get_uidvalidity (dst), src, dest);
}

void
_ml_imap_cmd_copy (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autoptr (GArray) src_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GArray) dst_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  gboolean nothing = FALSE;
  MlMailbox *dst = copy_messages (self, args, first, src_uids, dst_uids, &nothing);
  g_autofree char *code = NULL;

  if (dst == NULL)
    return;
  if (!nothing)
    code = dup_copyuid (dst, src_uids, dst_uids);
  _ml_imap_server_complete (self, ML_IMAP_OK, code, "%s completed",
                            self->uid_command ? "UID COPY" : "COPY");
}

void
_ml_imap_cmd_move (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autoptr (GArray) src_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GArray) dst_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  gboolean nothing = FALSE;
  MlMailbox *dst = copy_messages (self, args, first, src_uids, dst_uids, &nothing);
  guint i;

  if (dst == NULL)
    return;
  if (!nothing)
    {
      g_autofree char *code = dup_copyuid (dst, src_uids, dst_uids);

      /* RFC 6851 3.3, 4.3: COPYUID goes in an untagged OK before the
       * EXPUNGEs, since the tagged OK comes after them. */
      _ml_imap_server_status (self, NULL, ML_IMAP_OK, code, "Moved UIDs");
      /* The originals: \Deleted, then expunged by UID so nothing else the
       * client flagged goes with them (RFC 6851 3.3). */
      _ml_imap_server_begin_change (self);
      for (i = 0; i < src_uids->len; i++)
        {
          MlMessage *message = ml_mailbox_find_uid (self->view->mailbox,
                                                    g_array_index (src_uids, guint32, i));

          if (message != NULL)
            ml_mailbox_set_flags (self->view->mailbox, message,
                                  ml_message_get_flags (message) | ML_FLAG_DELETED);
        }
      _ml_imap_server_end_change (self);
      _ml_imap_server_expunge (self, src_uids, FALSE);
    }
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "%s completed",
                            self->uid_command ? "UID MOVE" : "MOVE");
}

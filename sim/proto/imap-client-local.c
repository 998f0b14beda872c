/* The device's local copy: what a laptop or a phone holds of the server's
 * mailboxes. It is keyed by UID, which is only meaningful together with
 * the mailbox's UIDVALIDITY (RFC 3501 2.3.1.1): the session drops a
 * mailbox's messages when that changes. Messages are kept sorted by UID,
 * so the highest one (where the next sync starts) is the last.
 */
#define G_LOG_DOMAIN "ml-imap-client"

#include <string.h>
#include "proto/imap-client-private.h"

struct _MlImapLocalStore
{
  GPtrArray *mailboxes;  /* MlImapLocalMailbox*, owned, in LIST order */
};

/* RFC 6154 2: the special-use attributes. */
static const char * const special_uses[] = {
  "\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash",
};

void
_ml_imap_local_message_free (MlImapLocalMessage *msg)
{
  if (msg == NULL)
    return;
  g_strfreev (msg->flags);
  g_free (msg->subject);
  g_clear_pointer (&msg->header, g_bytes_unref);
  g_clear_pointer (&msg->body, g_bytes_unref);
  g_free (msg);
}

static void
mailbox_free (gpointer data)
{
  MlImapLocalMailbox *m = data;

  g_free (m->name);
  g_strfreev (m->attributes);
  g_free (m->special_use);
  g_ptr_array_unref (m->messages);
  g_free (m);
}

MlImapLocalStore *
ml_imap_local_store_new (void)
{
  MlImapLocalStore *self = g_new0 (MlImapLocalStore, 1);

  self->mailboxes = g_ptr_array_new_with_free_func (mailbox_free);
  return self;
}

void
ml_imap_local_store_free (MlImapLocalStore *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->mailboxes);
  g_free (self);
}

static gboolean
same_mailbox (const char *a, const char *b)
{
  /* RFC 3501 5.1: INBOX is case-insensitive, other names are not. */
  if (g_ascii_strcasecmp (a, "INBOX") == 0)
    return g_ascii_strcasecmp (b, "INBOX") == 0;
  return strcmp (a, b) == 0;
}

MlImapLocalMailbox *
_ml_imap_local_store_lookup (MlImapLocalStore *self, const char *name)
{
  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MlImapLocalMailbox *m = g_ptr_array_index (self->mailboxes, i);

      if (same_mailbox (m->name, name))
        return m;
    }
  return NULL;
}

MlImapLocalMailbox *
_ml_imap_local_store_ensure (MlImapLocalStore *self, const char *name)
{
  MlImapLocalMailbox *m = _ml_imap_local_store_lookup (self, name);

  if (m != NULL)
    return m;
  m = g_new0 (MlImapLocalMailbox, 1);
  m->name = g_ascii_strcasecmp (name, "INBOX") == 0 ? g_strdup ("INBOX") : g_strdup (name);
  m->attributes = g_new0 (char *, 1);
  m->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) _ml_imap_local_message_free);
  g_ptr_array_add (self->mailboxes, m);
  return m;
}

guint
_ml_imap_local_store_retain (MlImapLocalStore *self, GPtrArray *names)
{
  guint dropped = 0;

  for (guint i = self->mailboxes->len; i-- > 0;)
    {
      MlImapLocalMailbox *m = g_ptr_array_index (self->mailboxes, i);
      gboolean listed = g_ascii_strcasecmp (m->name, "INBOX") == 0;

      for (guint k = 0; !listed && k < names->len; k++)
        listed = same_mailbox (m->name, g_ptr_array_index (names, k));
      if (!listed)
        {
          g_ptr_array_remove_index (self->mailboxes, i);
          dropped++;
        }
    }
  return dropped;
}

const MlImapLocalMailbox *
ml_imap_local_store_get_mailbox (MlImapLocalStore *self, const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return _ml_imap_local_store_lookup (self, name);
}

GPtrArray *
ml_imap_local_store_get_mailboxes (MlImapLocalStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->mailboxes;
}

/* Index of @uid, or of where it would go. */
static guint
find_index (const MlImapLocalMailbox *mbox, guint32 uid, gboolean *found)
{
  guint lo = 0, hi = mbox->messages->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      guint32 u = ((MlImapLocalMessage *) g_ptr_array_index (mbox->messages, mid))->uid;

      if (u == uid)
        {
          *found = TRUE;
          return mid;
        }
      if (u < uid)
        lo = mid + 1;
      else
        hi = mid;
    }
  *found = FALSE;
  return lo;
}

const MlImapLocalMessage *
ml_imap_local_mailbox_find_uid (const MlImapLocalMailbox *mailbox, guint32 uid)
{
  gboolean found;
  guint i;

  g_return_val_if_fail (mailbox != NULL, NULL);

  i = find_index (mailbox, uid, &found);
  return found ? g_ptr_array_index (mailbox->messages, i) : NULL;
}

MlImapLocalMessage *
_ml_imap_local_mailbox_lookup (MlImapLocalMailbox *mbox, guint32 uid)
{
  return (MlImapLocalMessage *) ml_imap_local_mailbox_find_uid (mbox, uid);
}

MlImapLocalMessage *
_ml_imap_local_mailbox_ensure (MlImapLocalMailbox *mbox, guint32 uid, gboolean *created)
{
  gboolean found;
  guint i = find_index (mbox, uid, &found);
  MlImapLocalMessage *msg;

  if (created != NULL)
    *created = !found;
  if (found)
    return g_ptr_array_index (mbox->messages, i);
  msg = g_new0 (MlImapLocalMessage, 1);
  msg->uid = uid;
  msg->flags = g_new0 (char *, 1);
  g_ptr_array_insert (mbox->messages, (gint) i, msg);
  return msg;
}

gboolean
_ml_imap_local_mailbox_remove (MlImapLocalMailbox *mbox, guint32 uid)
{
  gboolean found;
  guint i = find_index (mbox, uid, &found);

  if (found)
    g_ptr_array_remove_index (mbox->messages, i);
  return found;
}

guint
_ml_imap_local_mailbox_clear (MlImapLocalMailbox *mbox)
{
  guint n = mbox->messages->len;

  g_ptr_array_set_size (mbox->messages, 0);
  return n;
}

guint32
_ml_imap_local_mailbox_max_uid (MlImapLocalMailbox *mbox)
{
  if (mbox == NULL || mbox->messages->len == 0)
    return 0;
  return ((MlImapLocalMessage *) g_ptr_array_index (mbox->messages, mbox->messages->len - 1))->uid;
}

gboolean
ml_imap_local_message_has_flag (const MlImapLocalMessage *message, const char *flag)
{
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (flag != NULL, FALSE);

  for (guint i = 0; message->flags[i] != NULL; i++)
    if (g_ascii_strcasecmp (message->flags[i], flag) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
strv_has (const char * const *v, const char *s)
{
  for (guint i = 0; v != NULL && v[i] != NULL; i++)
    if (g_ascii_strcasecmp (v[i], s) == 0)
      return TRUE;
  return FALSE;
}

/* RFC 3501 2.3.2: \Recent belongs to one session, not to the message:
 * the next session sees it cleared. The device keeps only what lasts. */
static gboolean
is_recent (const char *flag)
{
  return g_ascii_strcasecmp (flag, "\\Recent") == 0;
}

gboolean
_ml_imap_local_message_set_flags (MlImapLocalMessage *msg, const char * const *flags)
{
  GStrvBuilder *b = g_strv_builder_new ();
  gboolean changed = FALSE;

  for (guint i = 0; flags[i] != NULL; i++)
    if (!is_recent (flags[i]))
      {
        g_strv_builder_add (b, flags[i]);
        changed = changed || !strv_has ((const char * const *) msg->flags, flags[i]);
      }
  for (guint i = 0; msg->flags[i] != NULL && !changed; i++)
    changed = !strv_has (flags, msg->flags[i]);
  g_strfreev (msg->flags);
  msg->flags = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return changed;
}

gboolean
_ml_imap_local_message_change_flags (MlImapLocalMessage *msg, const char * const *flags,
                                     gboolean add)
{
  GStrvBuilder *b = g_strv_builder_new ();
  gboolean changed = FALSE;

  for (guint i = 0; msg->flags[i] != NULL; i++)
    if (add || !strv_has (flags, msg->flags[i]))
      g_strv_builder_add (b, msg->flags[i]);
    else
      changed = TRUE;
  if (add)
    for (guint i = 0; flags[i] != NULL; i++)
      if (!strv_has ((const char * const *) msg->flags, flags[i]))
        {
          g_strv_builder_add (b, flags[i]);
          changed = TRUE;
        }
  g_strfreev (msg->flags);
  msg->flags = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return changed;
}

char *
_ml_imap_header_dup_subject (const char *header, gsize len)
{
  gsize i = 0;

  /* RFC 5322 2.2: a field starts a line; RFC 5322 2.2.3: a line that starts
   * with WSP continues the one before; the header ends at an empty line. */
  while (i < len)
    {
      gsize eol = i;

      while (eol < len && header[eol] != '\n')
        eol++;
      if (eol == i || (eol == i + 1 && header[i] == '\r'))
        return NULL;
      if (eol - i >= 8 && g_ascii_strncasecmp (header + i, "Subject:", 8) == 0)
        {
          GString *s = g_string_new (NULL);
          gsize p = i + 8;

          for (;;)
            {
              gsize end = eol;

              if (end > p && header[end - 1] == '\r')
                end--;
              g_string_append_len (s, header + p, (gssize) (end - p));
              if (eol + 1 >= len || (header[eol + 1] != ' ' && header[eol + 1] != '\t'))
                break;
              p = eol + 1;
              eol = p;
              while (eol < len && header[eol] != '\n')
                eol++;
            }
          return g_strstrip (g_string_free (s, FALSE));
        }
      i = eol + 1;
    }
  return NULL;
}

void
_ml_imap_local_message_set_header (MlImapLocalMessage *msg, GBytes *header)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (header, &len);

  g_clear_pointer (&msg->header, g_bytes_unref);
  msg->header = g_bytes_ref (header);
  g_free (msg->subject);
  msg->subject = _ml_imap_header_dup_subject (data, len);
}

void
_ml_imap_local_message_set_body (MlImapLocalMessage *msg, GBytes *message)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);

  g_clear_pointer (&msg->body, g_bytes_unref);
  msg->body = g_bytes_ref (message);
  if (msg->header == NULL)
    {
      /* RFC 5322 2.1: the header ends at the first empty line. */
      const char *sep = g_strstr_len (data, (gssize) len, "\r\n\r\n");
      gsize hlen = sep != NULL ? (gsize) (sep - data) + 4 : len;
      g_autoptr(GBytes) header = g_bytes_new_from_bytes (message, 0, hlen);

      _ml_imap_local_message_set_header (msg, header);
    }
  if (msg->size == 0)
    msg->size = len;
}

MlImapLocalMessage *
_ml_imap_local_message_copy (const MlImapLocalMessage *msg, guint32 uid)
{
  MlImapLocalMessage *c = g_new0 (MlImapLocalMessage, 1);

  c->uid = uid;
  c->flags = g_strdupv (msg->flags);
  c->size = msg->size;
  c->subject = g_strdup (msg->subject);
  c->header = msg->header != NULL ? g_bytes_ref (msg->header) : NULL;
  c->body = msg->body != NULL ? g_bytes_ref (msg->body) : NULL;
  return c;
}

char *
ml_imap_local_store_dup_summary (MlImapLocalStore *self)
{
  GString *s;

  g_return_val_if_fail (self != NULL, NULL);

  s = g_string_new (NULL);
  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      const MlImapLocalMailbox *m = g_ptr_array_index (self->mailboxes, i);

      if (s->len > 0)
        g_string_append_c (s, '\n');
      g_string_append (s, m->name);
      if (m->special_use != NULL)
        g_string_append_printf (s, " %s", m->special_use);
      if (m->uidvalidity == 0)
        {
          g_string_append (s, ": not synchronised");
          continue;
        }
      g_string_append_printf (s, " uidvalidity %u uidnext %u exists %u:",
                              m->uidvalidity, m->uidnext, m->exists);
      if (m->messages->len == 0)
        g_string_append (s, " empty");
      for (guint k = 0; k < m->messages->len; k++)
        {
          const MlImapLocalMessage *msg = g_ptr_array_index (m->messages, k);
          g_autofree char *flags = g_strjoinv (" ", msg->flags);

          g_string_append_printf (s, "%s %u (%s)", k > 0 ? ";" : "", msg->uid, flags);
          if (msg->header != NULL)
            g_string_append (s, " header");
          if (msg->body != NULL)
            g_string_append (s, " body");
        }
    }
  return g_string_free (s, FALSE);
}

void
_ml_imap_local_mailbox_set_list (MlImapLocalMailbox *m, const char * const *attributes,
                                 char delimiter)
{
  g_strfreev (m->attributes);
  m->attributes = g_strdupv ((char **) attributes);
  m->delimiter = delimiter;
  g_clear_pointer (&m->special_use, g_free);
  for (guint i = 0; attributes[i] != NULL && m->special_use == NULL; i++)
    for (guint k = 0; k < G_N_ELEMENTS (special_uses); k++)
      if (g_ascii_strcasecmp (attributes[i], special_uses[k]) == 0)
        m->special_use = g_strdup (special_uses[k]);
}

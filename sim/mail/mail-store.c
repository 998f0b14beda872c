#define G_LOG_DOMAIN "ml-store"

#include <stdlib.h>
#include <string.h>
#include "mail/mail-store.h"

struct _MlMessage
{
  guint32        uid;
  MlMessageFlags flags;
  gint64         internal_date;
  GBytes        *data;
};

struct _MlMailbox
{
  MlAccount *account;
  char      *name;
  guint32    uidvalidity;
  guint32    uidnext;
  GPtrArray *messages;   /* MlMessage*, in UID order */
};

struct _MlAccount
{
  MlMailStore *store;
  char        *address;
  char        *password;
  GPtrArray   *mailboxes;  /* MlMailbox*, INBOX first */
};

typedef struct {
  guint           id;
  MlStoreListener func;
  gpointer        user_data;
} Listener;

struct _MlMailStore
{
  GPtrArray *accounts;
  GArray    *listeners;
  guint      next_listener_id;
  guint32    next_uidvalidity;
};

static void
message_free (MlMessage *m)
{
  g_bytes_unref (m->data);
  g_free (m);
}

static void
mailbox_free (MlMailbox *mb)
{
  g_ptr_array_unref (mb->messages);
  g_free (mb->name);
  g_free (mb);
}

static void
account_free (MlAccount *a)
{
  g_ptr_array_unref (a->mailboxes);
  g_free (a->address);
  g_free (a->password);
  g_free (a);
}

static void
notify (MlMailStore *self, MlStoreChangeKind kind, MlAccount *account,
        MlMailbox *mailbox, MlMessage *message)
{
  MlStoreChange change = { kind, account, mailbox, message };

  for (guint i = 0; i < self->listeners->len; i++)
    {
      Listener *l = &g_array_index (self->listeners, Listener, i);
      l->func (self, &change, l->user_data);
    }
}

MlMailStore *
ml_mail_store_new (void)
{
  MlMailStore *self = g_new0 (MlMailStore, 1);

  self->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) account_free);
  self->listeners = g_array_new (FALSE, FALSE, sizeof (Listener));
  self->next_listener_id = 1;
  /* Deterministic, not time-based: a simulation must replay identically.
   * RFC 3501 2.3.1.1 only asks that it never repeat for a reused name. */
  self->next_uidvalidity = 1;
  return self;
}

void
ml_mail_store_free (MlMailStore *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->accounts);
  g_array_unref (self->listeners);
  g_free (self);
}

guint
ml_mail_store_add_listener (MlMailStore *self, MlStoreListener func, gpointer user_data)
{
  Listener l = { self->next_listener_id++, func, user_data };

  g_array_append_val (self->listeners, l);
  return l.id;
}

void
ml_mail_store_remove_listener (MlMailStore *self, guint id)
{
  for (guint i = 0; i < self->listeners->len; i++)
    if (g_array_index (self->listeners, Listener, i).id == id)
      {
        g_array_remove_index (self->listeners, i);
        return;
      }
}

MlAccount *
ml_mail_store_find_account (MlMailStore *self, const char *address)
{
  for (guint i = 0; i < self->accounts->len; i++)
    {
      MlAccount *a = self->accounts->pdata[i];
      if (g_ascii_strcasecmp (a->address, address) == 0)
        return a;
    }
  return NULL;
}

MlAccount *
ml_mail_store_add_account (MlMailStore *self, const char *address, const char *password)
{
  MlAccount *a;

  g_return_val_if_fail (address != NULL, NULL);
  if (ml_mail_store_find_account (self, address) != NULL)
    return NULL;

  a = g_new0 (MlAccount, 1);
  a->store = self;
  a->address = g_strdup (address);
  a->password = g_strdup (password);
  a->mailboxes = g_ptr_array_new_with_free_func ((GDestroyNotify) mailbox_free);
  g_ptr_array_add (self->accounts, a);
  notify (self, ML_STORE_CHANGE_ACCOUNT_ADDED, a, NULL, NULL);
  ml_account_add_mailbox (a, "INBOX");
  return a;
}

GPtrArray *
ml_mail_store_get_accounts (MlMailStore *self)
{
  return self->accounts;
}

const char *
ml_account_get_address (MlAccount *self)
{
  return self->address;
}

gboolean
ml_account_check_password (MlAccount *self, const char *password)
{
  gsize a, b;
  guint diff = 0;

  if (self->password == NULL || password == NULL)
    return FALSE;
  /* Compare in time independent of where the first difference is. */
  a = strlen (self->password);
  b = strlen (password);
  diff = a ^ b;
  for (gsize i = 0; i < MIN (a, b); i++)
    diff |= (guchar) self->password[i] ^ (guchar) password[i];
  return diff == 0;
}

const char *
ml_account_get_password (MlAccount *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->password;
}

MlMailbox *
ml_account_find_mailbox (MlAccount *self, const char *name)
{
  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MlMailbox *mb = self->mailboxes->pdata[i];
      /* RFC 3501 5.1: INBOX is case-insensitive, other names are not. */
      if (g_ascii_strcasecmp (name, "INBOX") == 0
          ? g_ascii_strcasecmp (mb->name, "INBOX") == 0
          : g_strcmp0 (mb->name, name) == 0)
        return mb;
    }
  return NULL;
}

MlMailbox *
ml_account_get_inbox (MlAccount *self)
{
  return self->mailboxes->len > 0 ? self->mailboxes->pdata[0] : NULL;
}

MlMailbox *
ml_account_add_mailbox (MlAccount *self, const char *name)
{
  MlMailbox *mb;

  if (ml_account_find_mailbox (self, name) != NULL)
    return NULL;
  mb = g_new0 (MlMailbox, 1);
  mb->account = self;
  mb->name = g_strdup (name);
  mb->uidvalidity = self->store->next_uidvalidity++;
  mb->uidnext = 1;
  mb->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) message_free);
  g_ptr_array_add (self->mailboxes, mb);
  notify (self->store, ML_STORE_CHANGE_MAILBOX_ADDED, self, mb, NULL);
  return mb;
}

GPtrArray *
ml_account_get_mailboxes (MlAccount *self)
{
  return self->mailboxes;
}

const char *
ml_mailbox_get_name (MlMailbox *self)
{
  return self->name;
}

MlAccount *
ml_mailbox_get_account (MlMailbox *self)
{
  return self->account;
}

guint32
ml_mailbox_get_uidvalidity (MlMailbox *self)
{
  return self->uidvalidity;
}

guint32
ml_mailbox_get_uidnext (MlMailbox *self)
{
  return self->uidnext;
}

guint
ml_mailbox_get_count (MlMailbox *self)
{
  return self->messages->len;
}

MlMessage *
ml_mailbox_get_message (MlMailbox *self, guint index)
{
  if (index >= self->messages->len)
    return NULL;
  return self->messages->pdata[index];
}

static gint
compare_uid (gconstpointer key, gconstpointer element)
{
  guint32 uid = *(const guint32 *) key;
  const MlMessage *m = *(MlMessage * const *) element;

  return uid < m->uid ? -1 : uid > m->uid ? 1 : 0;
}

MlMessage *
ml_mailbox_find_uid (MlMailbox *self, guint32 uid)
{
  MlMessage **found = bsearch (&uid, self->messages->pdata, self->messages->len,
                               sizeof (gpointer), compare_uid);

  return found ? *found : NULL;
}

guint64
ml_mailbox_get_total_size (MlMailbox *self)
{
  guint64 total = 0;

  for (guint i = 0; i < self->messages->len; i++)
    total += ml_message_get_size (self->messages->pdata[i]);
  return total;
}

guint32
ml_mailbox_append (MlMailbox *self, GBytes *data, MlMessageFlags flags, gint64 internal_date_unix)
{
  MlMessage *m = g_new0 (MlMessage, 1);

  m->uid = self->uidnext++;
  m->flags = flags;
  m->internal_date = internal_date_unix;
  m->data = g_bytes_ref (data);
  g_ptr_array_add (self->messages, m);
  notify (self->account->store, ML_STORE_CHANGE_APPEND, self->account, self, m);
  return m->uid;
}

void
ml_mailbox_set_flags (MlMailbox *self, MlMessage *message, MlMessageFlags flags)
{
  if (message->flags == flags)
    return;
  message->flags = flags;
  notify (self->account->store, ML_STORE_CHANGE_FLAGS, self->account, self, message);
}

guint
ml_mailbox_expunge (MlMailbox *self)
{
  guint removed = 0;

  for (guint i = 0; i < self->messages->len;)
    {
      MlMessage *m = self->messages->pdata[i];
      if (m->flags & ML_FLAG_DELETED)
        {
          /* Listeners see the message before it is freed. */
          notify (self->account->store, ML_STORE_CHANGE_EXPUNGE, self->account, self, m);
          g_ptr_array_remove_index (self->messages, i);
          removed++;
        }
      else
        i++;
    }
  return removed;
}

guint32
ml_message_get_uid (MlMessage *self)
{
  return self->uid;
}

MlMessageFlags
ml_message_get_flags (MlMessage *self)
{
  return self->flags;
}

gint64
ml_message_get_internal_date (MlMessage *self)
{
  return self->internal_date;
}

gsize
ml_message_get_size (MlMessage *self)
{
  return g_bytes_get_size (self->data);
}

GBytes *
ml_message_get_data (MlMessage *self)
{
  return self->data;
}

char *
ml_message_flags_dup_string (MlMessageFlags flags)
{
  static const struct { MlMessageFlags flag; const char *name; } names[] = {
    { ML_FLAG_SEEN, "\\Seen" }, { ML_FLAG_ANSWERED, "\\Answered" },
    { ML_FLAG_FLAGGED, "\\Flagged" }, { ML_FLAG_DELETED, "\\Deleted" },
    { ML_FLAG_DRAFT, "\\Draft" }, { ML_FLAG_RECENT, "\\Recent" },
  };
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (flags & names[i].flag)
      {
        if (s->len)
          g_string_append_c (s, ' ');
        g_string_append (s, names[i].name);
      }
  return g_string_free (s, FALSE);
}

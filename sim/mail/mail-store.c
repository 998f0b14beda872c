#define G_LOG_DOMAIN "ml-store"

#include <stdlib.h>
#include <string.h>
#include "mail/mail-store.h"

struct _MlMessage
{
  MlMailbox     *mailbox;
  guint32        uid;
  MlMessageFlags flags;
  gint64         internal_date;
  GBytes        *data;
  /* NULL-terminated; the strings belong to mailbox->keywords, which only
   * grows while the mailbox lives, so the message can borrow them. */
  const char   **keywords;
  gpointer       mime_cache;
  GDestroyNotify mime_destroy;
};

struct _MlMailbox
{
  MlAccount   *account;
  char        *name;
  MlSpecialUse special_use;
  gboolean     selectable;
  guint32      uidvalidity;
  guint32      uidnext;
  GPtrArray   *messages;   /* MlMessage*, in UID order */
  GPtrArray   *keywords;   /* char*, NULL-terminated, first spelling wins */
  /* Kept on every change so SELECT/STATUS never walk the messages. */
  guint64      total_size;
  guint        recent;
  guint        unseen;
};

struct _MlAccount
{
  MlMailStore  *store;
  char         *address;
  char         *password;
  GPtrArray    *mailboxes;      /* MlMailbox*, INBOX first */
  GHashTable   *subscriptions;  /* char* set */
  guint64       quota;          /* octets, 0 = none */
  guint64       usage;
  guint         message_count;
  gconstpointer lock_owner;
};

typedef struct {
  guint           id;
  MlStoreListener func;
  gpointer        user_data;
} Listener;

struct _MlMailStore
{
  GPtrArray    *accounts;
  GArray       *listeners;
  guint         next_listener_id;
  guint32       next_uidvalidity;
  gconstpointer actor;
  MlPasswordCheckFunc password_check;
  gpointer            password_check_data;
  MlAppendCheckFunc   append_check;
  gpointer            append_check_data;
};

static const char *const no_keywords[] = { NULL };

G_DEFINE_QUARK (ml-store-error-quark, ml_store_error)

/* ---- freeing ---- */

static void
message_free (MlMessage *m)
{
  if (m->mime_destroy != NULL && m->mime_cache != NULL)
    m->mime_destroy (m->mime_cache);
  g_bytes_unref (m->data);
  g_free (m->keywords);
  g_free (m);
}

static void
mailbox_free (MlMailbox *mb)
{
  /* Messages first: they borrow the keyword strings. */
  g_ptr_array_unref (mb->messages);
  g_ptr_array_unref (mb->keywords);
  g_free (mb->name);
  g_free (mb);
}

static void
account_free (MlAccount *a)
{
  g_ptr_array_unref (a->mailboxes);
  g_hash_table_unref (a->subscriptions);
  g_free (a->address);
  g_free (a->password);
  g_free (a);
}

/* ---- notifications ---- */

static void
notify_change (MlMailStore *self, MlStoreChange *change)
{
  change->actor = self->actor;
  for (guint i = 0; i < self->listeners->len; i++)
    {
      Listener *l = &g_array_index (self->listeners, Listener, i);
      l->func (self, change, l->user_data);
    }
}

static void
notify_mailbox (MlMailbox *mb, MlStoreChangeKind kind, const char *old_name)
{
  MlStoreChange change = {
    .kind = kind, .account = mb->account, .mailbox = mb, .old_name = old_name,
  };

  notify_change (mb->account->store, &change);
}

static void
notify_message (MlMailbox *mb, MlStoreChangeKind kind, MlMessage *m, guint index,
                MlMessageFlags old_flags)
{
  MlStoreChange change = {
    .kind = kind, .account = mb->account, .mailbox = mb, .message = m,
    .index = index, .old_flags = old_flags,
  };

  notify_change (mb->account->store, &change);
}

const char *
ml_store_change_kind_to_string (MlStoreChangeKind kind)
{
  static const char *const names[] = {
    "account", "mailbox", "append", "expunge", "flags", "mailbox-deleted", "mailbox-renamed",
  };

  if ((guint) kind >= G_N_ELEMENTS (names))
    return "unknown";
  return names[kind];
}

/* ---- the store ---- */

MlMailStore *
ml_mail_store_new (void)
{
  MlMailStore *self = g_new0 (MlMailStore, 1);

  self->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) account_free);
  self->listeners = g_array_new (FALSE, FALSE, sizeof (Listener));
  self->next_listener_id = 1;
  /* Deterministic, not time-based: a simulation must replay identically.
   * RFC 3501 2.3.1.1 only asks that it never repeat for a reused name;
   * a store-wide counter also covers deleted and renamed names
   * (6.3.4, 6.3.5: "UNLESS the new incarnation has a different unique
   * identifier validity value"). */
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

void
ml_mail_store_set_actor (MlMailStore *self, gconstpointer actor)
{
  self->actor = actor;
}

gconstpointer
ml_mail_store_get_actor (MlMailStore *self)
{
  return self->actor;
}

MlAccount *
ml_mail_store_find_account (MlMailStore *self, const char *address)
{
  g_return_val_if_fail (address != NULL, NULL);
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
  static const struct { const char *name; MlSpecialUse use; } defaults[] = {
    { "INBOX", ML_SPECIAL_USE_NONE },
    { "Sent", ML_SPECIAL_USE_SENT },
    { "Drafts", ML_SPECIAL_USE_DRAFTS },
    { "Trash", ML_SPECIAL_USE_TRASH },
    { "Junk", ML_SPECIAL_USE_JUNK },
  };
  MlAccount *a;

  g_return_val_if_fail (address != NULL, NULL);
  if (ml_mail_store_find_account (self, address) != NULL)
    return NULL;

  a = g_new0 (MlAccount, 1);
  a->store = self;
  a->address = g_strdup (address);
  a->password = g_strdup (password);
  a->mailboxes = g_ptr_array_new_with_free_func ((GDestroyNotify) mailbox_free);
  a->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_ptr_array_add (self->accounts, a);
  {
    MlStoreChange change = { .kind = ML_STORE_CHANGE_ACCOUNT_ADDED, .account = a };
    notify_change (self, &change);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (defaults); i++)
    {
      ml_account_create_mailbox (a, defaults[i].name, defaults[i].use, NULL);
      ml_account_set_subscribed (a, defaults[i].name, TRUE);
    }
  return a;
}

GPtrArray *
ml_mail_store_get_accounts (MlMailStore *self)
{
  return self->accounts;
}

void
ml_mail_store_set_password_check (MlMailStore *self, MlPasswordCheckFunc func,
                                  gpointer user_data)
{
  g_return_if_fail (self != NULL);
  self->password_check = func;
  self->password_check_data = user_data;
}

void
ml_mail_store_set_append_check (MlMailStore *self, MlAppendCheckFunc func,
                                gpointer user_data)
{
  g_return_if_fail (self != NULL);
  self->append_check = func;
  self->append_check_data = user_data;
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

  if (self->store->password_check != NULL && password != NULL)
    return self->store->password_check (self->address, password,
                                        self->store->password_check_data);
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

/* ---- names ---- */

static gboolean
is_inbox_level (const char *name, gsize len)
{
  return len == 5 && g_ascii_strncasecmp (name, "INBOX", 5) == 0;
}

/* RFC 3501 5.1: "INBOX" is case-insensitive; we also spell its inferiors
 * "INBOX/..." whatever case the client used, so there is one name for one
 * mailbox. Caller frees. */
static char *
normalize_name (const char *name)
{
  const char *delim = strchr (name, ML_MAILBOX_DELIMITER);
  gsize first = delim ? (gsize) (delim - name) : strlen (name);

  if (is_inbox_level (name, first))
    return g_strconcat ("INBOX", name + first, NULL);
  return g_strdup (name);
}

static gboolean
is_base64_mutf7 (char c)
{
  /* RFC 3501 5.1.3: modified BASE64 uses "," instead of "/". */
  return g_ascii_isalnum (c) || c == '+' || c == ',';
}

gboolean
ml_mailbox_name_is_valid (const char *name, GError **error)
{
  gsize len, depth = 1;

  if (name == NULL || *name == '\0')
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME,
                   "A mailbox name cannot be empty");
      return FALSE;
    }
  len = strlen (name);
  if (len > ML_MAILBOX_MAX_NAME)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME,
                   "Mailbox name too long (%" G_GSIZE_FORMAT " octets, at most %u)",
                   len, ML_MAILBOX_MAX_NAME);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    {
      guchar c = name[i];

      if (c == '*' || c == '%')
        {
          g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME,
                       "Mailbox names cannot contain '%c': it is a LIST wildcard (RFC 3501 6.3.8)", c);
          return FALSE;
        }
      if (c < 0x20 || c >= 0x7f)
        {
          g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME,
                       "Mailbox names are 7-bit printable; other characters are written "
                       "in modified UTF-7 (RFC 3501 5.1.3)");
          return FALSE;
        }
      if (c == ML_MAILBOX_DELIMITER)
        {
          if (i == 0 || i + 1 == len || name[i + 1] == ML_MAILBOX_DELIMITER)
            {
              g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME,
                           "Mailbox name “%s” has an empty level of hierarchy", name);
              return FALSE;
            }
          if (++depth > ML_MAILBOX_MAX_DEPTH)
            {
              g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME,
                           "Mailbox name has more than %u levels", ML_MAILBOX_MAX_DEPTH);
              return FALSE;
            }
        }
      if (c == '&')
        {
          /* "&-" is a literal '&'; otherwise modified BASE64 up to '-'. */
          gsize j = i + 1;

          while (j < len && is_base64_mutf7 (name[j]))
            j++;
          if (j >= len || name[j] != '-')
            {
              g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME,
                           "“&” in a mailbox name starts modified UTF-7 and must end "
                           "with “-” (write “&-” for “&”, RFC 3501 5.1.3)");
              return FALSE;
            }
          i = j;
        }
    }
  return TRUE;
}

/* ---- mailboxes ---- */

static MlMailbox *
find_normalized (MlAccount *self, const char *name)
{
  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MlMailbox *mb = self->mailboxes->pdata[i];
      if (strcmp (mb->name, name) == 0)
        return mb;
    }
  return NULL;
}

MlMailbox *
ml_account_find_mailbox (MlAccount *self, const char *name)
{
  g_autofree char *normal = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  normal = normalize_name (name);
  return find_normalized (self, normal);
}

MlMailbox *
ml_account_get_inbox (MlAccount *self)
{
  return find_normalized (self, "INBOX");
}

MlMailbox *
ml_account_find_special_use (MlAccount *self, MlSpecialUse use)
{
  if (use == ML_SPECIAL_USE_NONE)
    return NULL;
  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MlMailbox *mb = self->mailboxes->pdata[i];
      if (mb->special_use == use)
        return mb;
    }
  return NULL;
}

GPtrArray *
ml_account_get_mailboxes (MlAccount *self)
{
  return self->mailboxes;
}

static gboolean
is_inferior_of (const char *name, const char *superior)
{
  gsize n = strlen (superior);

  return strncmp (name, superior, n) == 0 && name[n] == ML_MAILBOX_DELIMITER;
}

gboolean
ml_account_mailbox_has_children (MlAccount *self, const char *name)
{
  g_autofree char *normal = NULL;

  g_return_val_if_fail (name != NULL, FALSE);
  normal = normalize_name (name);
  for (guint i = 0; i < self->mailboxes->len; i++)
    if (is_inferior_of (((MlMailbox *) self->mailboxes->pdata[i])->name, normal))
      return TRUE;
  return FALSE;
}

static void
mailbox_reset (MlMailbox *mb, gboolean selectable)
{
  MlMailStore *store = mb->account->store;

  mb->selectable = selectable;
  mb->uidvalidity = store->next_uidvalidity++;
  mb->uidnext = 1;
}

static MlMailbox *
mailbox_new (MlAccount *self, const char *name, MlSpecialUse use, gboolean selectable)
{
  MlMailbox *mb = g_new0 (MlMailbox, 1);

  mb->account = self;
  mb->name = g_strdup (name);
  mb->special_use = use;
  mb->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) message_free);
  mb->keywords = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  mailbox_reset (mb, selectable);
  /* INBOX stays first: ml_account_get_mailboxes promises it. */
  g_ptr_array_add (self->mailboxes, mb);
  notify_mailbox (mb, ML_STORE_CHANGE_MAILBOX_ADDED, NULL);
  return mb;
}

/* How many superiors of @name are missing (each costs a mailbox slot). */
static guint
count_missing_superiors (MlAccount *self, const char *name)
{
  g_autofree char *path = g_strdup (name);
  guint missing = 0;

  for (char *p = strchr (path, ML_MAILBOX_DELIMITER); p != NULL;
       p = strchr (p + 1, ML_MAILBOX_DELIMITER))
    {
      *p = '\0';
      if (find_normalized (self, path) == NULL)
        missing++;
      *p = ML_MAILBOX_DELIMITER;
    }
  return missing;
}

/* RFC 3501 6.3.3, 6.3.5: "SHOULD create any superior hierarchical names".
 * They are hierarchy names only (\Noselect), as in the 6.3.4 examples. */
static void
create_superiors (MlAccount *self, const char *name)
{
  g_autofree char *path = g_strdup (name);

  for (char *p = strchr (path, ML_MAILBOX_DELIMITER); p != NULL;
       p = strchr (p + 1, ML_MAILBOX_DELIMITER))
    {
      *p = '\0';
      if (find_normalized (self, path) == NULL)
        mailbox_new (self, path, ML_SPECIAL_USE_NONE, FALSE);
      *p = ML_MAILBOX_DELIMITER;
    }
}

static gboolean
check_room (MlAccount *self, guint needed, GError **error)
{
  if (self->mailboxes->len + needed > ML_ACCOUNT_MAX_MAILBOXES)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_LIMIT,
                   "Too many mailboxes (at most %u per account)", ML_ACCOUNT_MAX_MAILBOXES);
      return FALSE;
    }
  return TRUE;
}

/* Validates, drops one trailing delimiter (RFC 3501 6.3.3: "the name
 * created is without the trailing hierarchy delimiter") and normalizes. */
static char *
prepare_new_name (const char *name, GError **error)
{
  g_autofree char *trimmed = NULL;
  gsize len;

  if (name == NULL)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME,
                   "A mailbox name cannot be empty");
      return NULL;
    }
  trimmed = g_strdup (name);
  len = strlen (trimmed);
  if (len > 1 && trimmed[len - 1] == ML_MAILBOX_DELIMITER)
    trimmed[len - 1] = '\0';
  if (!ml_mailbox_name_is_valid (trimmed, error))
    return NULL;
  return normalize_name (trimmed);
}

MlMailbox *
ml_account_create_mailbox (MlAccount *self, const char *name, MlSpecialUse use, GError **error)
{
  g_autofree char *normal = NULL;
  MlMailbox *mb;

  g_return_val_if_fail (self != NULL, NULL);
  normal = prepare_new_name (name, error);
  if (normal == NULL)
    return NULL;

  mb = find_normalized (self, normal);
  if (mb != NULL && mb->selectable)
    {
      /* RFC 3501 6.3.3: "It is an error to attempt to create INBOX or a
       * mailbox with a name that refers to an extant mailbox." */
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_EXISTS,
                   "Mailbox “%s” already exists", normal);
      return NULL;
    }
  if (mb != NULL)
    {
      /* A hierarchy name becomes a real mailbox: a new incarnation. */
      mailbox_reset (mb, TRUE);
      mb->special_use = use;
      notify_mailbox (mb, ML_STORE_CHANGE_MAILBOX_ADDED, NULL);
      return mb;
    }
  if (!check_room (self, count_missing_superiors (self, normal) + 1, error))
    return NULL;
  create_superiors (self, normal);
  return mailbox_new (self, normal, use, TRUE);
}

MlMailbox *
ml_account_add_mailbox (MlAccount *self, const char *name)
{
  return ml_account_create_mailbox (self, name, ML_SPECIAL_USE_NONE, NULL);
}

/* ---- messages: bookkeeping in one place ---- */

static void
account_add_usage (MlMailbox *mb, MlMessage *m)
{
  gsize size = g_bytes_get_size (m->data);

  mb->total_size += size;
  mb->account->usage += size;
  mb->account->message_count++;
  if (m->flags & ML_FLAG_RECENT)
    mb->recent++;
  if (!(m->flags & ML_FLAG_SEEN))
    mb->unseen++;
}

static void
account_remove_usage (MlMailbox *mb, MlMessage *m)
{
  gsize size = g_bytes_get_size (m->data);

  mb->total_size -= size;
  mb->account->usage -= size;
  mb->account->message_count--;
  if (m->flags & ML_FLAG_RECENT)
    mb->recent--;
  if (!(m->flags & ML_FLAG_SEEN))
    mb->unseen--;
}

static void
update_flag_counts (MlMailbox *mb, MlMessageFlags old_flags, MlMessageFlags new_flags)
{
  if ((old_flags ^ new_flags) & ML_FLAG_RECENT)
    {
      if (new_flags & ML_FLAG_RECENT)
        mb->recent++;
      else
        mb->recent--;
    }
  if ((old_flags ^ new_flags) & ML_FLAG_SEEN)
    {
      if (new_flags & ML_FLAG_SEEN)
        mb->unseen--;
      else
        mb->unseen++;
    }
}

/* Notifies EXPUNGE while the message is still at @index, then removes it. */
static void
expunge_at (MlMailbox *mb, guint index)
{
  MlMessage *m = mb->messages->pdata[index];

  notify_message (mb, ML_STORE_CHANGE_EXPUNGE, m, index, m->flags);
  account_remove_usage (mb, m);
  g_ptr_array_remove_index (mb->messages, index);
}

static void
mailbox_remove_all_silently (MlMailbox *mb)
{
  for (guint i = 0; i < mb->messages->len; i++)
    account_remove_usage (mb, mb->messages->pdata[i]);
  g_ptr_array_set_size (mb->messages, 0);
}

gboolean
ml_account_delete_mailbox (MlAccount *self, const char *name, GError **error)
{
  g_autofree char *normal = NULL;
  MlMailbox *mb;

  g_return_val_if_fail (name != NULL, FALSE);
  normal = normalize_name (name);
  if (strcmp (normal, "INBOX") == 0)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_PERMISSION,
                   "INBOX cannot be deleted (RFC 3501 6.3.4)");
      return FALSE;
    }
  mb = find_normalized (self, normal);
  if (mb == NULL)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_NOT_FOUND,
                   "No mailbox named “%s”", normal);
      return FALSE;
    }
  if (ml_account_mailbox_has_children (self, normal))
    {
      if (!mb->selectable)
        {
          g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_HAS_CHILDREN,
                       "“%s” is only a hierarchy name and has inferior names; "
                       "delete those first (RFC 3501 6.3.4)", normal);
          return FALSE;
        }
      /* RFC 3501 6.3.4: "all messages in that mailbox are removed, and the
       * name will acquire the \Noselect mailbox name attribute". Listeners
       * see the mailbox with its messages one last time. */
      notify_mailbox (mb, ML_STORE_CHANGE_MAILBOX_DELETED, NULL);
      mailbox_remove_all_silently (mb);
      g_ptr_array_set_size (mb->keywords, 0);
      mb->special_use = ML_SPECIAL_USE_NONE;
      mb->selectable = FALSE;
      return TRUE;
    }
  notify_mailbox (mb, ML_STORE_CHANGE_MAILBOX_DELETED, NULL);
  mailbox_remove_all_silently (mb);
  g_ptr_array_remove (self->mailboxes, mb);
  return TRUE;
}

static const char **
keywords_copy_into (MlMailbox *dst, const char *const *keywords);

static guint32
append_message (MlMailbox *mb, GBytes *data, MlMessageFlags flags, const char **keywords,
                gint64 internal_date)
{
  MlMessage *m = g_new0 (MlMessage, 1);

  m->mailbox = mb;
  m->uid = mb->uidnext++;
  m->flags = flags;
  m->internal_date = internal_date;
  m->data = g_bytes_ref (data);
  m->keywords = keywords;
  g_ptr_array_add (mb->messages, m);
  account_add_usage (mb, m);
  notify_message (mb, ML_STORE_CHANGE_APPEND, m, mb->messages->len - 1, 0);
  return m->uid;
}

/* RFC 3501 6.3.5: INBOX's messages go to a new mailbox, INBOX stays. */
static gboolean
rename_inbox (MlAccount *self, const char *new_name, GError **error)
{
  MlMailbox *inbox = ml_account_get_inbox (self);
  MlMailbox *dst;

  if (!check_room (self, count_missing_superiors (self, new_name) + 1, error))
    return FALSE;
  create_superiors (self, new_name);
  dst = mailbox_new (self, new_name, ML_SPECIAL_USE_NONE, TRUE);
  for (guint i = 0; i < inbox->messages->len; i++)
    {
      MlMessage *m = inbox->messages->pdata[i];
      append_message (dst, m->data, m->flags, keywords_copy_into (dst, m->keywords),
                      m->internal_date);
    }
  while (inbox->messages->len > 0)
    expunge_at (inbox, 0);
  return TRUE;
}

static void
rename_subscriptions (MlAccount *self, const char *old_name, const char *new_name)
{
  g_autoptr(GPtrArray) subs = ml_account_dup_subscriptions (self);

  for (guint i = 0; i < subs->len; i++)
    {
      const char *s = subs->pdata[i];

      if (strcmp (s, old_name) == 0 || is_inferior_of (s, old_name))
        {
          g_autofree char *renamed = g_strconcat (new_name, s + strlen (old_name), NULL);

          ml_account_set_subscribed (self, s, FALSE);
          ml_account_set_subscribed (self, renamed, TRUE);
        }
    }
}

gboolean
ml_account_rename_mailbox (MlAccount *self, const char *old_name, const char *new_name,
                           GError **error)
{
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autoptr(GPtrArray) moving = NULL;
  gsize from_len;
  MlMailbox *mb;

  g_return_val_if_fail (old_name != NULL, FALSE);
  from = normalize_name (old_name);
  to = prepare_new_name (new_name, error);
  if (to == NULL)
    return FALSE;
  mb = find_normalized (self, from);
  if (mb == NULL)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_NOT_FOUND,
                   "No mailbox named “%s”", from);
      return FALSE;
    }
  if (find_normalized (self, to) != NULL)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_EXISTS,
                   "Mailbox “%s” already exists (RFC 3501 6.3.5)", to);
      return FALSE;
    }
  if (strcmp (from, "INBOX") == 0)
    return rename_inbox (self, to, error);
  if (is_inferior_of (to, from))
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME,
                   "“%s” cannot be renamed into its own inferior “%s”", from, to);
      return FALSE;
    }

  /* Check every new name before changing anything. */
  from_len = strlen (from);
  moving = g_ptr_array_new ();
  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MlMailbox *each = self->mailboxes->pdata[i];

      if (each == mb || is_inferior_of (each->name, from))
        {
          g_autofree char *renamed = g_strconcat (to, each->name + from_len, NULL);
          g_autoptr(GError) local = NULL;

          if (!ml_mailbox_name_is_valid (renamed, &local))
            {
              g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME,
                           "Renaming “%s” would make “%s”: %s", each->name, renamed,
                           local->message);
              return FALSE;
            }
          if (find_normalized (self, renamed) != NULL)
            {
              g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_EXISTS,
                           "Mailbox “%s” already exists (RFC 3501 6.3.5)", renamed);
              return FALSE;
            }
          g_ptr_array_add (moving, each);
        }
    }
  if (!check_room (self, count_missing_superiors (self, to), error))
    return FALSE;

  create_superiors (self, to);
  for (guint i = 0; i < moving->len; i++)
    {
      MlMailbox *each = moving->pdata[i];
      g_autofree char *before = each->name;

      each->name = g_strconcat (to, before + from_len, NULL);
      notify_mailbox (each, ML_STORE_CHANGE_MAILBOX_RENAMED, before);
    }
  rename_subscriptions (self, from, to);
  return TRUE;
}

/* ---- subscriptions ---- */

void
ml_account_set_subscribed (MlAccount *self, const char *name, gboolean subscribed)
{
  g_return_if_fail (name != NULL);
  if (subscribed)
    g_hash_table_add (self->subscriptions, normalize_name (name));
  else
    {
      g_autofree char *normal = normalize_name (name);
      g_hash_table_remove (self->subscriptions, normal);
    }
}

gboolean
ml_account_is_subscribed (MlAccount *self, const char *name)
{
  g_autofree char *normal = NULL;

  g_return_val_if_fail (name != NULL, FALSE);
  normal = normalize_name (name);
  return g_hash_table_contains (self->subscriptions, normal);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
ml_account_dup_subscriptions (MlAccount *self)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  g_ptr_array_sort (names, compare_strings);
  return names;
}

/* ---- quota, lock ---- */

void
ml_account_set_quota (MlAccount *self, guint64 storage_limit_octets)
{
  self->quota = storage_limit_octets;
}

guint64
ml_account_get_quota (MlAccount *self)
{
  return self->quota;
}

guint64
ml_account_get_usage (MlAccount *self)
{
  return self->usage;
}

guint
ml_account_get_message_count (MlAccount *self)
{
  return self->message_count;
}

gboolean
ml_account_try_lock (MlAccount *self, gconstpointer owner)
{
  g_return_val_if_fail (owner != NULL, FALSE);
  if (self->lock_owner != NULL && self->lock_owner != owner)
    return FALSE;
  self->lock_owner = owner;
  return TRUE;
}

void
ml_account_unlock (MlAccount *self, gconstpointer owner)
{
  if (self->lock_owner == owner)
    self->lock_owner = NULL;
}

gboolean
ml_account_is_locked (MlAccount *self)
{
  return self->lock_owner != NULL;
}

/* ---- one mailbox ---- */

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

MlSpecialUse
ml_mailbox_get_special_use (MlMailbox *self)
{
  return self->special_use;
}

gboolean
ml_mailbox_is_selectable (MlMailbox *self)
{
  return self->selectable;
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

gboolean
ml_mailbox_restore_uid_state (MlMailbox *self, guint32 uidvalidity, guint32 uidnext)
{
  MlMessage *last;

  g_return_val_if_fail (self != NULL && uidvalidity != 0 && uidnext != 0, FALSE);
  last = self->messages->len > 0 ? self->messages->pdata[self->messages->len - 1] : NULL;
  /* RFC 3501 2.3.1.1: UIDs only grow within one UIDVALIDITY. */
  if (last != NULL && (uidvalidity != self->uidvalidity || uidnext <= last->uid))
    return FALSE;
  self->uidvalidity = uidvalidity;
  self->uidnext = uidnext;
  /* A mailbox made later must not reuse a restored UIDVALIDITY. */
  if (uidvalidity >= self->account->store->next_uidvalidity)
    self->account->store->next_uidvalidity = uidvalidity + 1;
  return TRUE;
}

guint
ml_mailbox_get_count (MlMailbox *self)
{
  return self->messages->len;
}

guint64
ml_mailbox_get_total_size (MlMailbox *self)
{
  return self->total_size;
}

guint
ml_mailbox_get_recent_count (MlMailbox *self)
{
  return self->recent;
}

guint
ml_mailbox_get_unseen_count (MlMailbox *self)
{
  return self->unseen;
}

guint
ml_mailbox_get_first_unseen_index (MlMailbox *self)
{
  if (self->unseen == 0)
    return ML_MAILBOX_NO_INDEX;
  for (guint i = 0; i < self->messages->len; i++)
    if (!(((MlMessage *) self->messages->pdata[i])->flags & ML_FLAG_SEEN))
      return i;
  return ML_MAILBOX_NO_INDEX;
}

MlMessage *
ml_mailbox_get_message (MlMailbox *self, guint index)
{
  if (index >= self->messages->len)
    return NULL;
  return self->messages->pdata[index];
}

static guint
lower_bound_from (MlMailbox *self, guint from, guint32 uid)
{
  guint lo = from, hi = self->messages->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (((MlMessage *) self->messages->pdata[mid])->uid < uid)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

guint
ml_mailbox_uid_lower_bound (MlMailbox *self, guint32 uid)
{
  return lower_bound_from (self, 0, uid);
}

guint
ml_mailbox_uid_to_index (MlMailbox *self, guint32 uid)
{
  guint i = ml_mailbox_uid_lower_bound (self, uid);

  if (i < self->messages->len && ((MlMessage *) self->messages->pdata[i])->uid == uid)
    return i;
  return ML_MAILBOX_NO_INDEX;
}

MlMessage *
ml_mailbox_find_uid (MlMailbox *self, guint32 uid)
{
  guint i = ml_mailbox_uid_to_index (self, uid);

  return i == ML_MAILBOX_NO_INDEX ? NULL : self->messages->pdata[i];
}

/* ---- keywords (RFC 3501 2.3.2) ---- */

gboolean
ml_keyword_is_valid (const char *keyword)
{
  gsize len;

  if (keyword == NULL || *keyword == '\0')
    return FALSE;
  len = strlen (keyword);
  if (len > ML_KEYWORD_MAX_LEN)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = keyword[i];

      /* RFC 3501 9: ATOM-CHAR is any CHAR except atom-specials: "(" ")"
       * "{" SP CTL list-wildcards quoted-specials resp-specials. */
      if (c <= 0x20 || c >= 0x7f || strchr ("(){%*\"\\]", c) != NULL)
        return FALSE;
    }
  return TRUE;
}

const char *const *
ml_mailbox_get_keywords (MlMailbox *self)
{
  return (const char *const *) self->keywords->pdata;
}

gboolean
ml_mailbox_can_create_keywords (MlMailbox *self)
{
  return self->keywords->len < ML_MAILBOX_MAX_KEYWORDS;
}

static const char *
mailbox_lookup_keyword (MlMailbox *mb, const char *keyword)
{
  /* RFC 3501 9: "all alphabetic characters are case-insensitive". */
  for (guint i = 0; i < mb->keywords->len; i++)
    if (g_ascii_strcasecmp (mb->keywords->pdata[i], keyword) == 0)
      return mb->keywords->pdata[i];
  return NULL;
}

static const char *
mailbox_intern_keyword (MlMailbox *mb, const char *keyword)
{
  const char *known = mailbox_lookup_keyword (mb, keyword);

  if (known != NULL)
    return known;
  if (!ml_mailbox_can_create_keywords (mb))
    return NULL;
  g_ptr_array_add (mb->keywords, g_strdup (keyword));
  return mb->keywords->pdata[mb->keywords->len - 1];
}

static gboolean
strv_contains_nocase (const char *const *list, guint n, const char *s)
{
  for (guint i = 0; i < n; i++)
    if (g_ascii_strcasecmp (list[i], s) == 0)
      return TRUE;
  return FALSE;
}

gboolean
ml_mailbox_check_keywords (MlMailbox *self, MlMessage *message,
                           const char *const *keywords, GError **error)
{
  g_autofree const char **distinct = NULL;
  guint n = 0, fresh = 0;

  if (keywords == NULL)
    return TRUE;
  distinct = g_new0 (const char *, g_strv_length ((char **) keywords) + 1);
  for (guint i = 0; keywords[i] != NULL; i++)
    {
      if (!ml_keyword_is_valid (keywords[i]))
        {
          g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_KEYWORD,
                       "“%s” is not a valid keyword: an atom of at most %u characters, "
                       "without “\\” (RFC 3501 2.3.2)", keywords[i], ML_KEYWORD_MAX_LEN);
          return FALSE;
        }
      if (strv_contains_nocase (distinct, n, keywords[i]))
        continue;
      distinct[n++] = keywords[i];
      if (mailbox_lookup_keyword (self, keywords[i]) == NULL)
        fresh++;
    }
  if (n > ML_MESSAGE_MAX_KEYWORDS)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_LIMIT,
                   "Too many keywords on one message (at most %u)", ML_MESSAGE_MAX_KEYWORDS);
      return FALSE;
    }
  if (self->keywords->len + fresh > ML_MAILBOX_MAX_KEYWORDS)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_LIMIT,
                   "This mailbox cannot hold more keywords (at most %u)", ML_MAILBOX_MAX_KEYWORDS);
      return FALSE;
    }
  return TRUE;
}

/* The interned, de-duplicated list for a message of @dst; skips what
 * would be refused. NULL when empty. */
static const char **
keywords_copy_into (MlMailbox *dst, const char *const *keywords)
{
  const char **out;
  guint n = 0;

  if (keywords == NULL || keywords[0] == NULL)
    return NULL;
  out = g_new0 (const char *, MIN (g_strv_length ((char **) keywords), ML_MESSAGE_MAX_KEYWORDS) + 1);
  for (guint i = 0; keywords[i] != NULL && n < ML_MESSAGE_MAX_KEYWORDS; i++)
    {
      const char *interned;

      if (!ml_keyword_is_valid (keywords[i]) || strv_contains_nocase (out, n, keywords[i]))
        continue;
      interned = mailbox_intern_keyword (dst, keywords[i]);
      if (interned != NULL)
        out[n++] = interned;
    }
  if (n == 0)
    g_clear_pointer (&out, g_free);
  return out;
}

static gboolean
keyword_sets_equal (const char **a, const char **b)
{
  guint na = a ? g_strv_length ((char **) a) : 0;
  guint nb = b ? g_strv_length ((char **) b) : 0;

  if (na != nb)
    return FALSE;
  /* Interned: the same keyword is the same pointer. */
  for (guint i = 0; i < na; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < nb && !found; j++)
        found = a[i] == b[j];
      if (!found)
        return FALSE;
    }
  return TRUE;
}

const char *const *
ml_message_get_keywords (MlMessage *self)
{
  return self->keywords ? (const char *const *) self->keywords : no_keywords;
}

gboolean
ml_message_has_keyword (MlMessage *self, const char *keyword)
{
  if (self->keywords == NULL || keyword == NULL)
    return FALSE;
  return strv_contains_nocase (self->keywords, g_strv_length ((char **) self->keywords), keyword);
}

/* ---- changing messages ---- */

static gboolean
check_append (MlMailbox *self, gsize size, GError **error)
{
  MlAccount *a = self->account;

  if (!self->selectable)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_NOT_SELECTABLE,
                   "“%s” is only a hierarchy name and holds no messages", self->name);
      return FALSE;
    }
  if (size > ML_STORE_MAX_MESSAGE_SIZE)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_TOO_BIG,
                   "Message too big (%" G_GSIZE_FORMAT " octets, at most %u)",
                   size, ML_STORE_MAX_MESSAGE_SIZE);
      return FALSE;
    }
  /* RFC 9208 5.1: STORAGE counts every message of the account. */
  if (a->quota != 0 && a->usage + size > a->quota)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_OVERQUOTA,
                   "Over quota: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                   " octets used, this message needs %" G_GSIZE_FORMAT,
                   a->usage, a->quota, size);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_append_check (MlMailbox *self, GBytes *data, MlMessageFlags flags,
                  gint64 internal_date_unix, GError **error)
{
  MlMailStore *store = self->account->store;

  return store->append_check == NULL
      || store->append_check (self, data, flags, internal_date_unix, error,
                              store->append_check_data);
}

guint32
ml_mailbox_append_full (MlMailbox *self, GBytes *data, MlMessageFlags flags,
                        const char *const *keywords, gint64 internal_date_unix, GError **error)
{
  g_return_val_if_fail (self != NULL && data != NULL, 0);
  if (!check_append (self, g_bytes_get_size (data), error))
    return 0;
  if (!ml_mailbox_check_keywords (self, NULL, keywords, error))
    return 0;
  if (!run_append_check (self, data, flags, internal_date_unix, error))
    return 0;
  return append_message (self, data, flags, keywords_copy_into (self, keywords),
                         internal_date_unix);
}

guint32
ml_mailbox_append (MlMailbox *self, GBytes *data, MlMessageFlags flags, gint64 internal_date_unix)
{
  return ml_mailbox_append_full (self, data, flags, NULL, internal_date_unix, NULL);
}

guint32
ml_mailbox_copy_message (MlMailbox *src, MlMessage *message, MlMailbox *dst, GError **error)
{
  g_return_val_if_fail (src != NULL && message != NULL && dst != NULL, 0);
  g_return_val_if_fail (message->mailbox == src, 0);
  if (!check_append (dst, g_bytes_get_size (message->data), error))
    return 0;
  if (!ml_mailbox_check_keywords (dst, NULL, ml_message_get_keywords (message), error))
    return 0;
  if (!run_append_check (dst, message->data, message->flags | ML_FLAG_RECENT,
                         message->internal_date, error))
    return 0;
  /* RFC 3501 6.4.7: "the flags and internal date of the message SHOULD be
   * preserved, and the Recent flag SHOULD be set, in the copy". */
  return append_message (dst, message->data, message->flags | ML_FLAG_RECENT,
                         keywords_copy_into (dst, ml_message_get_keywords (message)),
                         message->internal_date);
}

static void
change_flags (MlMailbox *self, MlMessage *message, MlMessageFlags flags, const char **keywords,
              gboolean replace_keywords)
{
  MlMessageFlags old_flags = message->flags;
  gboolean same_keywords = !replace_keywords || keyword_sets_equal (message->keywords, keywords);

  if (old_flags == flags && same_keywords)
    {
      if (replace_keywords)
        g_free (keywords);
      return;
    }
  if (replace_keywords)
    {
      g_free (message->keywords);
      message->keywords = keywords;
    }
  message->flags = flags;
  update_flag_counts (self, old_flags, flags);
  notify_message (self, ML_STORE_CHANGE_FLAGS, message,
                  ml_mailbox_uid_to_index (self, message->uid), old_flags);
}

void
ml_mailbox_set_flags (MlMailbox *self, MlMessage *message, MlMessageFlags flags)
{
  g_return_if_fail (message != NULL && message->mailbox == self);
  change_flags (self, message, flags, NULL, FALSE);
}

void
ml_mailbox_store_flags (MlMailbox *self, MlMessage *message, MlMessageFlags flags,
                        const char *const *keywords)
{
  g_return_if_fail (message != NULL && message->mailbox == self);
  change_flags (self, message, flags, keywords_copy_into (self, keywords), TRUE);
}

guint
ml_mailbox_expunge (MlMailbox *self)
{
  guint removed = 0;

  for (guint i = 0; i < self->messages->len;)
    {
      if (((MlMessage *) self->messages->pdata[i])->flags & ML_FLAG_DELETED)
        {
          expunge_at (self, i);
          removed++;
        }
      else
        i++;
    }
  return removed;
}

static gint
compare_uid32 (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

guint
ml_mailbox_expunge_uids (MlMailbox *self, const guint32 *uids, gsize n_uids)
{
  g_autofree guint32 *sorted = NULL;
  guint removed = 0;
  guint from = 0;

  if (n_uids == 0)
    return 0;
  g_return_val_if_fail (uids != NULL, 0);
  sorted = g_memdup2 (uids, n_uids * sizeof (guint32));
  qsort (sorted, n_uids, sizeof (guint32), compare_uid32);
  for (gsize k = 0; k < n_uids; k++)
    {
      guint i;

      if (k > 0 && sorted[k] == sorted[k - 1])
        continue;
      /* Ascending UIDs: each search starts where the last one ended. */
      i = lower_bound_from (self, from, sorted[k]);
      from = i;
      if (i < self->messages->len
          && ((MlMessage *) self->messages->pdata[i])->uid == sorted[k]
          && (((MlMessage *) self->messages->pdata[i])->flags & ML_FLAG_DELETED))
        {
          expunge_at (self, i);
          removed++;
        }
    }
  return removed;
}

/* ---- one message ---- */

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

MlMailbox *
ml_message_get_mailbox (MlMessage *self)
{
  return self->mailbox;
}

gpointer
_ml_message_get_mime_cache (MlMessage *self)
{
  return self->mime_cache;
}

void
_ml_message_set_mime_cache (MlMessage *self, gpointer cache, GDestroyNotify destroy)
{
  gpointer old = self->mime_cache;
  GDestroyNotify old_destroy = self->mime_destroy;

  self->mime_cache = cache;
  self->mime_destroy = destroy;
  if (old != NULL && old != cache && old_destroy != NULL)
    old_destroy (old);
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

static const char *const special_use_names[] = {
  [ML_SPECIAL_USE_NONE] = NULL,
  [ML_SPECIAL_USE_ARCHIVE] = "\\Archive",
  [ML_SPECIAL_USE_DRAFTS] = "\\Drafts",
  [ML_SPECIAL_USE_JUNK] = "\\Junk",
  [ML_SPECIAL_USE_SENT] = "\\Sent",
  [ML_SPECIAL_USE_TRASH] = "\\Trash",
};

const char *
ml_special_use_to_string (MlSpecialUse use)
{
  if ((guint) use >= G_N_ELEMENTS (special_use_names))
    return NULL;
  return special_use_names[use];
}

MlSpecialUse
ml_special_use_from_string (const char *attribute)
{
  if (attribute == NULL)
    return ML_SPECIAL_USE_NONE;
  /* RFC 3501 9: attribute names are case-insensitive like every atom. */
  for (guint i = 1; i < G_N_ELEMENTS (special_use_names); i++)
    if (g_ascii_strcasecmp (attribute, special_use_names[i]) == 0)
      return i;
  return ML_SPECIAL_USE_NONE;
}

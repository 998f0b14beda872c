/* Reading a Maildir++ back into the store at start: folders, messages,
 * flags from the info, keywords and UIDs from maillab-uidlist. */
#define G_LOG_DOMAIN "ml-maildir"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include "live/maildir-private.h"

typedef struct {
  char          *base;
  gboolean       in_new;
  MlMessageFlags flags;
  guint32        uid;
  char         **keywords;
  gint64         mtime;
  GBytes        *data;
} Loaded;

static void
loaded_free (gpointer data)
{
  Loaded *l = data;

  g_free (l->base);
  g_strfreev (l->keywords);
  g_clear_pointer (&l->data, g_bytes_unref);
  g_free (l);
}

typedef struct {
  guint32  uid;
  char   **keywords;
} UidEntry;

static void
uid_entry_free (gpointer data)
{
  UidEntry *e = data;

  g_strfreev (e->keywords);
  g_free (e);
}

/* Reads the uidlist into @entries (base → UidEntry). FALSE when there is
 * none or its header is not ours: every UID is then new. */
static gboolean
read_uidlist (const char *path, guint32 *uidvalidity, guint32 *uidnext, GHashTable *entries)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  unsigned int v = 0, n = 0, version = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  if (lines[0] == NULL
      || sscanf (lines[0], "maillab-uidlist %u %u %u", &version, &v, &n) != 3
      || version != 1 || v == 0 || n == 0)
    return FALSE;
  *uidvalidity = v;
  *uidnext = n;
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = NULL;
      UidEntry *e;
      guint64 uid;
      char *end;

      if (lines[i][0] == '\0' || strlen (lines[i]) > ML_MAILDIR_MAX_UIDLIST_LINE)
        continue;
      words = g_strsplit (lines[i], " ", -1);
      if (g_strv_length (words) < 2)
        continue;
      uid = g_ascii_strtoull (words[0], &end, 10);
      if (*end != '\0' || uid == 0 || uid > G_MAXUINT32)
        continue;
      e = g_new0 (UidEntry, 1);
      e->uid = uid;
      e->keywords = g_strdupv (words + 2);
      g_hash_table_replace (entries, g_strdup (words[1]), e);
    }
  return TRUE;
}

static void
scan_dir (const char *folder_path, const char *sub, GPtrArray *out)
{
  g_autofree char *path = g_build_filename (folder_path, sub, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = NULL;
      const char *colon;
      Loaded *l;
      GStatBuf st;
      char *contents = NULL;
      gsize len = 0;

      if (name[0] == '.' || strlen (name) > ML_MAILDIR_MAX_NAME)
        continue;
      file = g_build_filename (path, name, NULL);
      if (g_stat (file, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      if ((guint64) st.st_size > ML_STORE_MAX_MESSAGE_SIZE)
        {
          g_warning ("%s: larger than the store takes, left alone", file);
          continue;
        }
      if (!g_file_get_contents (file, &contents, &len, NULL))
        continue;
      l = g_new0 (Loaded, 1);
      colon = strchr (name, ':');
      l->base = colon ? g_strndup (name, colon - name) : g_strdup (name);
      l->in_new = strcmp (sub, "new") == 0;
      l->flags = colon ? ml_maildir_info_to_flags (colon + 1) : 0;
      l->mtime = st.st_mtime;
      l->data = g_bytes_new_take (contents, len);
      g_ptr_array_add (out, l);
    }
}

static gint
compare_by_base (gconstpointer a, gconstpointer b)
{
  const Loaded *la = *(const Loaded *const *) a, *lb = *(const Loaded *const *) b;

  return strcmp (la->base, lb->base);
}

static gint
compare_by_uid (gconstpointer a, gconstpointer b)
{
  const Loaded *la = *(const Loaded *const *) a, *lb = *(const Loaded *const *) b;

  return la->uid < lb->uid ? -1 : la->uid > lb->uid;
}

static gboolean
load_folder (MlMaildir *self, MlMailbox *mb, gboolean inbox, GError **error)
{
  g_autoptr(GHashTable) entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, uid_entry_free);
  g_autoptr(GHashTable) used = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GPtrArray) loaded = g_ptr_array_new_with_free_func (loaded_free);
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *uidlist = NULL;
  guint32 uidvalidity = 0, uidnext = 1, next;
  Folder *f = g_new0 (Folder, 1);

  f->mailbox = mb;
  f->path = _ml_maildir_folder_path_for (self, mb);
  f->uidlist_fd = -1;
  g_hash_table_insert (self->folders, mb, f);
  if (!_ml_maildir_make_folder_dirs (f->path, inbox, error))
    return FALSE;
  uidlist = g_build_filename (f->path, ML_MAILDIR_UIDLIST, NULL);
  if (!read_uidlist (uidlist, &uidvalidity, &uidnext, entries))
    {
      g_hash_table_remove_all (entries);
      uidvalidity = _ml_maildir_new_uidvalidity (self);
      uidnext = 1;
    }
  else if (uidvalidity > self->last_uidvalidity)
    self->last_uidvalidity = uidvalidity;

  scan_dir (f->path, "cur", loaded);
  scan_dir (f->path, "new", loaded);
  /* Oldest first (the names start with the delivery time), so new UIDs
   * follow the order mail arrived in. */
  g_ptr_array_sort (loaded, compare_by_base);
  next = uidnext;
  {
    GHashTableIter iter;
    gpointer value;

    /* Lines of messages expunged since the last start still count: their
     * UIDs are never given again (RFC 3501 2.3.1.1). */
    g_hash_table_iter_init (&iter, entries);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (((UidEntry *) value)->uid >= next)
        next = ((UidEntry *) value)->uid + 1;
  }
  for (guint i = 0; i < loaded->len; i++)
    {
      Loaded *l = loaded->pdata[i];
      UidEntry *e = g_hash_table_lookup (entries, l->base);

      if (e != NULL && !g_hash_table_contains (used, GUINT_TO_POINTER (e->uid)))
        {
          l->uid = e->uid;
          l->keywords = g_strdupv (e->keywords);
          g_hash_table_add (used, GUINT_TO_POINTER (e->uid));
          if (e->uid >= next)
            next = e->uid + 1;
        }
    }
  for (guint i = 0; i < loaded->len; i++)
    {
      Loaded *l = loaded->pdata[i];

      if (l->uid == 0)
        l->uid = next++;
    }
  g_ptr_array_sort (loaded, compare_by_uid);

  for (guint i = 0; i < loaded->len; i++)
    {
      Loaded *l = loaded->pdata[i];
      MlMessageFlags flags = l->flags | (l->in_new ? ML_FLAG_RECENT : 0);
      MsgFile *mf;
      MlMessage *m;
      guint32 uid;

      ml_mailbox_restore_uid_state (mb, uidvalidity, l->uid);
      uid = ml_mailbox_append_full (mb, l->data, flags, (const char *const *) l->keywords,
                                    l->mtime, NULL);
      if (uid == 0)   /* keywords the store refuses: keep the message */
        uid = ml_mailbox_append_full (mb, l->data, flags, NULL, l->mtime, NULL);
      if (uid == 0)
        {
          g_warning ("%s/%s: the store refused it, left on disk", f->path, l->base);
          continue;
        }
      m = ml_mailbox_find_uid (mb, uid);
      mf = g_new0 (MsgFile, 1);
      mf->base = g_strdup (l->base);
      mf->in_new = l->in_new;
      mf->flags = l->flags;
      mf->keywords = _ml_maildir_keywords_string (m);
      g_hash_table_insert (self->files, m, mf);
      g_string_append_printf (body, "%u %s%s%s\n", uid, mf->base,
                              *mf->keywords ? " " : "", mf->keywords);
      /* The store holds the bytes now; the list need not. */
      g_clear_pointer (&l->data, g_bytes_unref);
    }
  ml_mailbox_restore_uid_state (mb, uidvalidity, next);
  return _ml_maildir_uidlist_rewrite (f, uidvalidity, next, body, error);
}

static gboolean
address_is_safe (const char *address)
{
  return address != NULL && *address != '\0' && *address != '.'
    && strchr (address, '/') == NULL && strchr (address, '\\') == NULL
    && strlen (address) <= ML_MAILDIR_MAX_NAME;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

MlAccount *
ml_maildir_load_account (MlMaildir *self, const char *address, GError **error)
{
  g_autofree char *dir_path = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) mailboxes = NULL;
  MlAccount *account;
  const char *name;
  gboolean ok = TRUE;

  if (!address_is_safe (address))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                   "“%s” cannot name a maildir", address ? address : "");
      return NULL;
    }
  dir_path = g_build_filename (self->root, address, NULL);
  if (!_ml_maildir_make_dir (dir_path, error))
    return NULL;

  self->loading = TRUE;
  account = ml_mail_store_find_account (self->store, address);
  if (account == NULL)
    account = ml_mail_store_add_account (self->store, address, NULL);
  dir = g_dir_open (dir_path, 0, error);
  if (dir == NULL)
    {
      self->loading = FALSE;
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir_path, name, NULL);
      char *folder = ml_maildir_folder_from_dir_name (name);

      if (folder != NULL && g_file_test (child, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (names, folder);
      else
        g_free (folder);
    }
  /* Superiors before inferiors, the same order at every start. */
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GError) local = NULL;
      MlMailbox *mb = ml_account_find_mailbox (account, names->pdata[i]);

      if (mb == NULL || !ml_mailbox_is_selectable (mb))
        mb = ml_account_create_mailbox (account, names->pdata[i], ML_SPECIAL_USE_NONE, &local);
      if (mb == NULL)
        g_warning ("%s/%s: not a mailbox name the store takes: %s", dir_path,
                   (char *) names->pdata[i], local->message);
    }
  /* A plain copy: g_ptr_array_copy would take the store's free function. */
  mailboxes = g_ptr_array_new ();
  for (guint i = 0; i < ml_account_get_mailboxes (account)->len; i++)
    g_ptr_array_add (mailboxes, ml_account_get_mailboxes (account)->pdata[i]);
  for (guint i = 0; i < mailboxes->len && ok; i++)
    {
      MlMailbox *mb = mailboxes->pdata[i];

      if (ml_mailbox_is_selectable (mb) && !g_hash_table_contains (self->folders, mb))
        ok = load_folder (self, mb, mb == ml_account_get_inbox (account), error);
    }
  self->loading = FALSE;
  return ok ? account : NULL;
}

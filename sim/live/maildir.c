#define G_LOG_DOMAIN "ml-maildir"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include "live/maildir-private.h"

void
_ml_maildir_folder_free (gpointer data)
{
  Folder *f = data;

  if (f->uidlist_fd >= 0)
    close (f->uidlist_fd);
  g_free (f->path);
  g_free (f);
}

void
_ml_maildir_msg_file_free (gpointer data)
{
  MsgFile *mf = data;

  g_free (mf->base);
  g_free (mf->keywords);
  g_free (mf);
}

/* ---- names ---- */

char *
ml_maildir_flags_to_info (MlMessageFlags flags)
{
  GString *s = g_string_new ("2,");

  /* maildir(5): the letters in ASCII order. */
  if (flags & ML_FLAG_DRAFT)
    g_string_append_c (s, 'D');
  if (flags & ML_FLAG_FLAGGED)
    g_string_append_c (s, 'F');
  if (flags & ML_FLAG_ANSWERED)
    g_string_append_c (s, 'R');
  if (flags & ML_FLAG_SEEN)
    g_string_append_c (s, 'S');
  if (flags & ML_FLAG_DELETED)
    g_string_append_c (s, 'T');
  return g_string_free (s, FALSE);
}

MlMessageFlags
ml_maildir_info_to_flags (const char *info)
{
  MlMessageFlags flags = 0;

  if (info == NULL || !g_str_has_prefix (info, "2,"))
    return 0;
  for (const char *p = info + 2; *p; p++)
    switch (*p)
      {
      case 'D': flags |= ML_FLAG_DRAFT; break;
      case 'F': flags |= ML_FLAG_FLAGGED; break;
      case 'R': flags |= ML_FLAG_ANSWERED; break;
      case 'S': flags |= ML_FLAG_SEEN; break;
      case 'T': flags |= ML_FLAG_DELETED; break;
      default: break;   /* P (passed) and keyword letters: not ours */
      }
  return flags;
}

char *
ml_maildir_folder_dir_name (const char *mailbox_name)
{
  GString *s;

  if (g_ascii_strcasecmp (mailbox_name, "INBOX") == 0)
    return g_strdup ("");
  s = g_string_new (".");
  for (const char *p = mailbox_name; *p; p++)
    {
      if (*p == ML_MAILBOX_DELIMITER)
        g_string_append_c (s, '.');
      else if (*p == '.')
        g_string_append (s, "&AC4-");   /* '.' in modified UTF-7, RFC 3501 5.1.3 */
      else
        g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

char *
ml_maildir_folder_from_dir_name (const char *dir_name)
{
  GString *s;

  if (dir_name[0] != '.' || dir_name[1] == '\0' || strcmp (dir_name, "..") == 0)
    return NULL;
  s = g_string_new (NULL);
  for (const char *p = dir_name + 1; *p; p++)
    {
      if (*p == '.')
        g_string_append_c (s, ML_MAILBOX_DELIMITER);
      else if (g_str_has_prefix (p, "&AC4-"))
        {
          g_string_append_c (s, '.');
          p += 4;
        }
      else
        g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

static char *
file_name (const MsgFile *mf)
{
  g_autofree char *info = NULL;

  /* maildir(5): a file in new/ has no info yet. */
  if (mf->in_new)
    return g_strdup (mf->base);
  info = ml_maildir_flags_to_info (mf->flags);
  return g_strconcat (mf->base, ":", info, NULL);
}

char *
_ml_maildir_file_path (const Folder *f, const MsgFile *mf)
{
  g_autofree char *name = file_name (mf);

  return g_build_filename (f->path, mf->in_new ? "new" : "cur", name, NULL);
}

char *
_ml_maildir_keywords_string (MlMessage *m)
{
  const char *const *kw = ml_message_get_keywords (m);

  return g_strjoinv (" ", (char **) kw);
}

/* A new UIDVALIDITY: the time, as Dovecot does, and never one given
 * before, even by an earlier run in the same second (RFC 3501 2.3.1.1):
 * the last one is kept in ROOT/maillab-uidvalidity. */
guint32
_ml_maildir_new_uidvalidity (MlMaildir *self)
{
  guint32 v = (guint32) time (NULL);
  g_autofree char *path = g_build_filename (self->root, ML_MAILDIR_UIDVALIDITY_FILE, NULL);
  g_autofree char *text = NULL;

  if (v <= self->last_uidvalidity)
    v = self->last_uidvalidity + 1;
  self->last_uidvalidity = v;
  text = g_strdup_printf ("%u\n", v);
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT
                                 | G_FILE_SET_CONTENTS_DURABLE, 0600, NULL))
    self->n_errors++;
  return v;
}

static void
read_last_uidvalidity (MlMaildir *self)
{
  g_autofree char *path = g_build_filename (self->root, ML_MAILDIR_UIDVALIDITY_FILE, NULL);
  g_autofree char *text = NULL;

  if (g_file_get_contents (path, &text, NULL, NULL))
    self->last_uidvalidity = (guint32) MIN (g_ascii_strtoull (text, NULL, 10), G_MAXUINT32);
}

/* ---- small file helpers ---- */

gboolean
_ml_maildir_fsync_dir (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved;

  if (fd < 0 || fsync (fd) != 0)
    {
      saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "fsync %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

gboolean
_ml_maildir_make_dir (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "mkdir %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_all (int fd, const guint8 *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

/* ---- folders and the uidlist ---- */

gboolean
_ml_maildir_uidlist_rewrite (Folder *f, guint32 uidvalidity, guint32 uidnext, GString *body,
                             GError **error)
{
  g_autofree char *path = g_build_filename (f->path, ML_MAILDIR_UIDLIST, NULL);
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_append_printf (text, "maillab-uidlist 1 %u %u\n", uidvalidity, uidnext);
  if (body)
    g_string_append_len (text, body->str, body->len);
  if (f->uidlist_fd >= 0)
    {
      close (f->uidlist_fd);
      f->uidlist_fd = -1;
    }
  if (!g_file_set_contents_full (path, text->str, text->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    return FALSE;
  f->uidlist_fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (f->uidlist_fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "open %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static void
uidlist_append (MlMaildir *self, Folder *f, guint32 uid, MsgFile *mf, const char *keywords)
{
  g_autofree char *line = NULL;

  g_free (mf->keywords);
  mf->keywords = g_strdup (keywords);
  line = g_strdup_printf ("%u %s%s%s\n", uid, mf->base, *keywords ? " " : "", keywords);
  /* No fsync: a lost line only costs the message its UID at the next
   * start (it gets a new, higher one); the message itself is safe. */
  if (f->uidlist_fd < 0 || !write_all (f->uidlist_fd, (const guint8 *) line, strlen (line)))
    {
      self->n_errors++;
      g_warning ("%s: could not append to %s", f->path, ML_MAILDIR_UIDLIST);
    }
}

gboolean
_ml_maildir_make_folder_dirs (const char *path, gboolean is_inbox, GError **error)
{
  static const char *const subdirs[] = { "tmp", "new", "cur" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[i], NULL);

      if (!_ml_maildir_make_dir (sub, error))
        return FALSE;
    }
  if (!is_inbox)
    {
      /* Maildir++: marks a folder as one, for Courier and Dovecot. */
      g_autofree char *marker = g_build_filename (path, "maildirfolder", NULL);

      if (!g_file_test (marker, G_FILE_TEST_EXISTS)
          && !g_file_set_contents (marker, "", 0, error))
        return FALSE;
    }
  return TRUE;
}

char *
_ml_maildir_folder_path_for (MlMaildir *self, MlMailbox *mb)
{
  g_autofree char *dir = ml_maildir_folder_dir_name (ml_mailbox_get_name (mb));

  return g_build_filename (self->root, ml_account_get_address (ml_mailbox_get_account (mb)),
                           dir, NULL);
}

/* The folder of @mb, made on disk (with a fresh uidlist) if it is new. */
Folder *
_ml_maildir_get_folder (MlMaildir *self, MlMailbox *mb, GError **error)
{
  Folder *f = g_hash_table_lookup (self->folders, mb);
  gboolean inbox;

  if (f != NULL)
    return f;
  inbox = ml_mailbox_get_account (mb) && mb == ml_account_get_inbox (ml_mailbox_get_account (mb));
  f = g_new0 (Folder, 1);
  f->mailbox = mb;
  f->path = _ml_maildir_folder_path_for (self, mb);
  f->uidlist_fd = -1;
  if (!_ml_maildir_make_folder_dirs (f->path, inbox, error))
    {
      _ml_maildir_folder_free (f);
      return NULL;
    }
  if (ml_mailbox_get_count (mb) == 0)
    ml_mailbox_restore_uid_state (mb, _ml_maildir_new_uidvalidity (self), ml_mailbox_get_uidnext (mb));
  if (!_ml_maildir_uidlist_rewrite (f, ml_mailbox_get_uidvalidity (mb), ml_mailbox_get_uidnext (mb),
                        NULL, error))
    {
      _ml_maildir_folder_free (f);
      return NULL;
    }
  g_hash_table_insert (self->folders, mb, f);
  return f;
}

/* ---- writing a message ---- */

/* A new file's name (not yet on disk): maildir(5)'s unique name, in new/
 * for \Recent mail. */
MsgFile *
_ml_maildir_msg_file_new (MlMaildir *self, gsize size, MlMessageFlags flags)
{
  MsgFile *mf = g_new0 (MsgFile, 1);
  gint64 now = g_get_real_time ();

  /* maildir(5): time, M microseconds, P pid, Q a delivery counter, host. */
  mf->base = g_strdup_printf ("%" G_GINT64_FORMAT ".M%06dP%dQ%u.%s,S=%" G_GSIZE_FORMAT,
                              now / G_USEC_PER_SEC, (int) (now % G_USEC_PER_SEC),
                              (int) getpid (), ++self->counter, self->hostname, size);
  mf->in_new = (flags & ML_FLAG_RECENT) != 0;
  mf->flags = flags & ML_MAILDIR_PERSISTED_FLAGS;
  mf->keywords = g_strdup ("");
  return mf;
}

gboolean
_ml_maildir_write_file (const char *tmp, const char *final, GBytes *data,
                        gint64 internal_date, gboolean fail, GError **error)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  int fd, saved = 0;

  fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    saved = errno;
  else if (fail)
    saved = ENOSPC;
  else if (!write_all (fd, bytes, len) || fsync (fd) != 0)
    saved = errno ? errno : EIO;
  else if (internal_date > 0)
    {
      /* Dovecot and mutt take the file's mtime as the received date. */
      struct timespec times[2] = { { internal_date, 0 }, { internal_date, 0 } };

      futimens (fd, times);
    }
  if (fd >= 0 && close (fd) != 0 && saved == 0)
    saved = errno;
  if (saved == 0 && rename (tmp, final) != 0)
    saved = errno;
  if (saved != 0)
    {
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "writing %s: %s", final, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
_ml_maildir_take_failure (MlMaildir *self)
{
  if (self->fail_writes == 0)
    return FALSE;
  self->fail_writes--;
  return TRUE;
}

/* tmp/ → fsync → rename into new/ or cur/, on this thread. The caller
 * fsyncs the target directory. */
static MsgFile *
write_message (MlMaildir *self, Folder *f, GBytes *data, MlMessageFlags flags,
               gint64 internal_date, GError **error)
{
  MsgFile *mf = _ml_maildir_msg_file_new (self, g_bytes_get_size (data), flags);
  g_autofree char *tmp = g_build_filename (f->path, "tmp", mf->base, NULL);
  g_autofree char *final = _ml_maildir_file_path (f, mf);

  if (!_ml_maildir_write_file (tmp, final, data, internal_date,
                               _ml_maildir_take_failure (self), error))
    {
      _ml_maildir_msg_file_free (mf);
      return NULL;
    }
  return mf;
}

static void
register_file (MlMaildir *self, Folder *f, MlMessage *m, MsgFile *mf)
{
  g_autofree char *kw = _ml_maildir_keywords_string (m);

  g_hash_table_insert (self->files, m, mf);
  uidlist_append (self, f, ml_message_get_uid (m), mf, kw);
}

/* The store asks before it adds a message (IMAP APPEND, COPY, MOVE): the
 * file is written and durable first, so that a failure is the command's
 * NO (RFC 3501 6.3.11: "If the destination mailbox does not exist, or the
 * append fails, a server MUST return an error"), never an OK for a message
 * that is not on disk. on_append then files it under its UID. */
static gboolean
on_append_check (MlMailbox *mb, GBytes *data, MlMessageFlags flags, gint64 internal_date,
                 GError **error, gpointer user_data)
{
  MlMaildir *self = user_data;
  g_autofree char *dir = NULL;
  Folder *f;
  MsgFile *mf;

  /* Loading reads files that exist; a delivery wrote its own already. */
  if (self->loading || self->delivering != NULL)
    return TRUE;
  f = _ml_maildir_get_folder (self, mb, error);
  mf = f ? write_message (self, f, data, flags, internal_date, error) : NULL;
  if (mf == NULL)
    {
      self->n_errors++;
      return FALSE;
    }
  dir = g_build_filename (f->path, mf->in_new ? "new" : "cur", NULL);
  if (!_ml_maildir_fsync_dir (dir, error))
    {
      g_autofree char *path = _ml_maildir_file_path (f, mf);

      g_unlink (path);
      _ml_maildir_msg_file_free (mf);
      self->n_errors++;
      return FALSE;
    }
  self->delivering = mf;
  return TRUE;
}

/* ---- the store listener: everything else the engines do ---- */

static void
on_append (MlMaildir *self, MlMailbox *mb, MlMessage *m)
{
  g_autoptr(GError) error = NULL;
  Folder *f = _ml_maildir_get_folder (self, mb, &error);
  MsgFile *mf;

  if (f == NULL)
    goto failed;
  if (self->delivering != NULL)
    {
      register_file (self, f, m, g_steal_pointer (&self->delivering));
      return;
    }
  /* Only without the append check (a store change made while it was
   * not set): written now, and a failure can only be logged. */
  mf = write_message (self, f, ml_message_get_data (m), ml_message_get_flags (m),
                      ml_message_get_internal_date (m), &error);
  if (mf == NULL)
    goto failed;
  {
    g_autofree char *dir = g_build_filename (f->path, mf->in_new ? "new" : "cur", NULL);

    _ml_maildir_fsync_dir (dir, NULL);
  }
  register_file (self, f, m, mf);
  return;

failed:
  self->n_errors++;
  g_warning ("message %u of %s not written: %s", ml_message_get_uid (m),
             ml_mailbox_get_name (mb), error ? error->message : "?");
}

static void
on_flags (MlMaildir *self, MlMailbox *mb, MlMessage *m)
{
  Folder *f = g_hash_table_lookup (self->folders, mb);
  MsgFile *mf = g_hash_table_lookup (self->files, m);
  g_autofree char *old_path = NULL;
  g_autofree char *new_path = NULL;
  g_autofree char *kw = NULL;
  MlMessageFlags flags = ml_message_get_flags (m);

  if (f == NULL || mf == NULL)
    return;
  old_path = _ml_maildir_file_path (f, mf);
  /* maildir(5): once a session has seen it (\Recent gone) or its flags
   * change, a message belongs in cur/ with its info. */
  mf->in_new = mf->in_new && (flags & ML_FLAG_RECENT) && (flags & ML_MAILDIR_PERSISTED_FLAGS) == 0;
  mf->flags = flags & ML_MAILDIR_PERSISTED_FLAGS;
  new_path = _ml_maildir_file_path (f, mf);
  if (strcmp (old_path, new_path) != 0 && g_rename (old_path, new_path) != 0)
    {
      self->n_errors++;
      g_warning ("rename %s → %s: %s", old_path, new_path, g_strerror (errno));
    }
  kw = _ml_maildir_keywords_string (m);
  if (strcmp (kw, mf->keywords) != 0)
    uidlist_append (self, f, ml_message_get_uid (m), mf, kw);
}

static void
on_expunge (MlMaildir *self, MlMailbox *mb, MlMessage *m)
{
  Folder *f = g_hash_table_lookup (self->folders, mb);
  MsgFile *mf = g_hash_table_lookup (self->files, m);
  g_autofree char *path = NULL;

  if (f == NULL || mf == NULL)
    return;
  path = _ml_maildir_file_path (f, mf);
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      self->n_errors++;
      g_warning ("unlink %s: %s", path, g_strerror (errno));
    }
  g_hash_table_remove (self->files, m);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
on_mailbox_deleted (MlMaildir *self, MlMailbox *mb)
{
  Folder *f = g_hash_table_lookup (self->folders, mb);

  /* The store drops the messages right after this, without notices. */
  for (guint i = 0; i < ml_mailbox_get_count (mb); i++)
    g_hash_table_remove (self->files, ml_mailbox_get_message (mb, i));
  if (f == NULL)
    return;
  remove_tree (f->path);
  g_hash_table_remove (self->folders, mb);
}

static void
on_mailbox_renamed (MlMaildir *self, MlMailbox *mb)
{
  Folder *f = g_hash_table_lookup (self->folders, mb);
  g_autofree char *path = NULL;

  if (f == NULL)
    return;
  path = _ml_maildir_folder_path_for (self, mb);
  if (g_rename (f->path, path) != 0)
    {
      self->n_errors++;
      g_warning ("rename %s → %s: %s", f->path, path, g_strerror (errno));
      return;
    }
  g_free (f->path);
  f->path = g_steal_pointer (&path);
}

static void
on_store_change (MlMailStore *store, const MlStoreChange *change, gpointer user_data)
{
  MlMaildir *self = user_data;

  if (self->loading)
    return;
  switch (change->kind)
    {
    case ML_STORE_CHANGE_APPEND:
      on_append (self, change->mailbox, change->message);
      break;
    case ML_STORE_CHANGE_FLAGS:
      on_flags (self, change->mailbox, change->message);
      break;
    case ML_STORE_CHANGE_EXPUNGE:
      on_expunge (self, change->mailbox, change->message);
      break;
    case ML_STORE_CHANGE_MAILBOX_ADDED:
      if (ml_mailbox_is_selectable (change->mailbox))
        _ml_maildir_get_folder (self, change->mailbox, NULL);
      break;
    case ML_STORE_CHANGE_MAILBOX_DELETED:
      on_mailbox_deleted (self, change->mailbox);
      break;
    case ML_STORE_CHANGE_MAILBOX_RENAMED:
      on_mailbox_renamed (self, change->mailbox);
      break;
    case ML_STORE_CHANGE_ACCOUNT_ADDED:
    default:
      break;
    }
}

/* ---- the rest ---- */

MlMaildir *
ml_maildir_new (const char *root, MlMailStore *store, GError **error)
{
  MlMaildir *self;
  char host[256] = "localhost";
  GString *safe;

  g_return_val_if_fail (root != NULL && store != NULL, NULL);
  if (!_ml_maildir_make_dir (root, error))
    return NULL;
  self = g_new0 (MlMaildir, 1);
  self->root = g_canonicalize_filename (root, NULL);
  self->store = store;
  self->folders = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, _ml_maildir_folder_free);
  self->files = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, _ml_maildir_msg_file_free);
  gethostname (host, sizeof host - 1);
  /* maildir(5): '/' and ':' cannot be in a name's host part. */
  safe = g_string_new (NULL);
  for (const char *p = host; *p; p++)
    {
      if (*p == '/')
        g_string_append (safe, "\\057");
      else if (*p == ':')
        g_string_append (safe, "\\072");
      else
        g_string_append_c (safe, *p);
    }
  self->hostname = g_string_free (safe, FALSE);
  read_last_uidvalidity (self);
  self->listener_id = ml_mail_store_add_listener (store, on_store_change, self);
  ml_mail_store_set_append_check (store, on_append_check, self);
  self->in_flight = g_ptr_array_new ();
  self->dir_syncs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) _ml_dir_sync_unref);
  return self;
}

void
ml_maildir_free (MlMaildir *self)
{
  if (self == NULL)
    return;
  ml_mail_store_remove_listener (self->store, self->listener_id);
  ml_mail_store_set_append_check (self->store, NULL, NULL);
  _ml_maildir_orphan_deliveries (self);
  g_hash_table_unref (self->dir_syncs);
  g_hash_table_unref (self->files);
  g_hash_table_unref (self->folders);
  g_free (self->hostname);
  g_free (self->root);
  g_free (self);
}

const char *
ml_maildir_get_root (MlMaildir *self)
{
  return self->root;
}

char *
ml_maildir_dup_path (MlMaildir *self, MlMessage *message)
{
  MsgFile *mf = g_hash_table_lookup (self->files, message);
  Folder *f = g_hash_table_lookup (self->folders, ml_message_get_mailbox (message));
  g_autofree char *path = NULL;

  if (mf == NULL || f == NULL)
    return NULL;
  path = _ml_maildir_file_path (f, mf);
  return g_strdup (path + strlen (self->root) + 1);
}

guint
ml_maildir_get_n_errors (MlMaildir *self)
{
  return self->n_errors;
}

void
ml_maildir_fail_next_writes (MlMaildir *self, guint n)
{
  self->fail_writes = n;
}

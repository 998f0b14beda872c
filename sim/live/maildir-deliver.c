/* maildir-deliver.c — final delivery into Maildir++, off the main loop.
 *
 * A delivery is three steps. prepare (the main thread): the store's checks
 * and the file names. write (a worker thread, or the caller for the
 * synchronous form): each copy to tmp/, fsync, rename into new/, then one
 * fsync per target directory, so the renames survive a crash (maildir(5);
 * the 250 may only follow that, RFC 5321 4.2.5, 6.1). commit (the main
 * thread again): the copies go into the store, which is not thread-safe.
 * Many deliveries can be in the write step at once: the disk merges their
 * fsyncs, which is where a busy MTA's throughput comes from.
 */
#define G_LOG_DOMAIN "ml-maildir"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include "live/maildir-private.h"

/* ---- one fsync of a directory for many renames (group commit) ---- */

/* A target directory (new/ or cur/) kept open, with the tickets of the
 * renames waiting for its fsync. An fsync that starts after a rename
 * makes it durable, so every delivery that renamed before one starts is
 * served by it: under load the disk sees one directory fsync per batch,
 * not one per message. Shared by the workers (lock), reference-counted
 * so that a delivery outliving its maildir still has it. */
struct _MlDirSync {
  GMutex  lock;
  GCond   cond;
  int     fd;
  dev_t   dev;
  ino_t   ino;
  guint64 requested;   /* tickets given */
  guint64 synced;      /* every ticket up to this one is durable */
  gboolean syncing;
};

static void
dir_sync_clear (gpointer data)
{
  MlDirSync *d = data;

  if (d->fd >= 0)
    close (d->fd);
  g_mutex_clear (&d->lock);
  g_cond_clear (&d->cond);
}

void
_ml_dir_sync_unref (MlDirSync *d)
{
  g_atomic_rc_box_release_full (d, dir_sync_clear);
}

/* The main thread: @path's entry, opened (again if the directory at that
 * path is not the one open, e.g. a folder made anew after a RENAME). */
static MlDirSync *
dir_sync_get (MlMaildir *self, const char *path, GError **error)
{
  MlDirSync *d = g_hash_table_lookup (self->dir_syncs, path);
  struct stat st;
  int fd;

  if (d != NULL && stat (path, &st) == 0 && st.st_dev == d->dev && st.st_ino == d->ino)
    return g_atomic_rc_box_acquire (d);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "open %s: %s", path, g_strerror (saved));
      return NULL;
    }
  d = g_atomic_rc_box_new0 (MlDirSync);
  g_mutex_init (&d->lock);
  g_cond_init (&d->cond);
  d->fd = fd;
  d->dev = st.st_dev;
  d->ino = st.st_ino;
  g_hash_table_replace (self->dir_syncs, g_strdup (path), d);
  return g_atomic_rc_box_acquire (d);
}

/* Any thread, after its rename: returns once an fsync of the directory
 * that started after the call has succeeded. */
static gboolean
dir_sync_wait (MlDirSync *d, GError **error)
{
  guint64 ticket;

  g_mutex_lock (&d->lock);
  ticket = ++d->requested;
  while (d->synced < ticket)
    {
      guint64 target;
      int r, saved;

      if (d->syncing)
        {
          g_cond_wait (&d->cond, &d->lock);
          continue;
        }
      target = d->requested;
      d->syncing = TRUE;
      g_mutex_unlock (&d->lock);
      r = fsync (d->fd);
      saved = errno;
      g_mutex_lock (&d->lock);
      d->syncing = FALSE;
      g_cond_broadcast (&d->cond);
      if (r != 0)
        {
          /* Ours failed; a waiter tries again with its own fsync. */
          g_mutex_unlock (&d->lock);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "fsync of a maildir directory: %s", g_strerror (saved));
          return FALSE;
        }
      if (target > d->synced)
        d->synced = target;
    }
  g_mutex_unlock (&d->lock);
  return TRUE;
}

typedef struct {
  MlMaildir     *maildir;      /* NULL once the maildir is freed */
  GPtrArray     *mailboxes;    /* MlMailbox*, borrowed */
  GPtrArray     *files;        /* MsgFile*, owned; NULL once committed */
  GPtrArray     *tmp_paths;    /* char*, one per file */
  GPtrArray     *final_paths;  /* char*, one per file */
  GPtrArray     *dirs;         /* MlDirSync*, each target directory once */
  GBytes        *message;
  MlMessageFlags flags;
  gint64         internal_date;
  guint          n_fail;       /* test hook: the first n writes fail */
} Delivery;

static void
delivery_free (gpointer data)
{
  Delivery *d = data;

  g_ptr_array_unref (d->mailboxes);
  g_ptr_array_unref (d->files);
  g_ptr_array_unref (d->tmp_paths);
  g_ptr_array_unref (d->final_paths);
  g_ptr_array_unref (d->dirs);
  g_bytes_unref (d->message);
  g_free (d);
}

static void
msg_file_free0 (gpointer data)
{
  if (data != NULL)
    _ml_maildir_msg_file_free (data);
}

/* What the store would refuse after the write, refused before it. */
static gboolean
check_room (MlMailbox **mailboxes, guint n_mailboxes, gsize size, GError **error)
{
  if (size > ML_STORE_MAX_MESSAGE_SIZE)
    {
      g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_TOO_BIG,
                   "Message too big (%" G_GSIZE_FORMAT " octets)", size);
      return FALSE;
    }
  for (guint i = 0; i < n_mailboxes; i++)
    {
      MlAccount *a = ml_mailbox_get_account (mailboxes[i]);
      guint64 needed = 0;

      for (guint j = 0; j < n_mailboxes; j++)
        if (ml_mailbox_get_account (mailboxes[j]) == a)
          needed += size;
      if (ml_account_get_quota (a) != 0
          && ml_account_get_usage (a) + needed > ml_account_get_quota (a))
        {
          g_set_error (error, ML_STORE_ERROR, ML_STORE_ERROR_OVERQUOTA,
                       "%s is over its quota", ml_account_get_address (a));
          return FALSE;
        }
    }
  return TRUE;
}

static Delivery *
delivery_prepare (MlMaildir *self, MlMailbox **mailboxes, guint n_mailboxes, GBytes *message,
                  MlMessageFlags flags, gint64 internal_date, GError **error)
{
  Delivery *d;

  if (!check_room (mailboxes, n_mailboxes, g_bytes_get_size (message), error))
    return NULL;
  d = g_new0 (Delivery, 1);
  d->maildir = self;
  d->mailboxes = g_ptr_array_new ();
  d->files = g_ptr_array_new_with_free_func (msg_file_free0);
  d->tmp_paths = g_ptr_array_new_with_free_func (g_free);
  d->final_paths = g_ptr_array_new_with_free_func (g_free);
  d->dirs = g_ptr_array_new_with_free_func ((GDestroyNotify) _ml_dir_sync_unref);
  d->message = g_bytes_ref (message);
  d->flags = flags;
  d->internal_date = internal_date;
  for (guint i = 0; i < n_mailboxes; i++)
    {
      Folder *f = _ml_maildir_get_folder (self, mailboxes[i], error);
      MsgFile *mf;
      g_autofree char *dir = NULL;
      MlDirSync *sync;

      if (f == NULL)
        {
          delivery_free (d);
          return NULL;
        }
      mf = _ml_maildir_msg_file_new (self, g_bytes_get_size (message), flags);
      g_ptr_array_add (d->mailboxes, mailboxes[i]);
      g_ptr_array_add (d->tmp_paths, g_build_filename (f->path, "tmp", mf->base, NULL));
      g_ptr_array_add (d->final_paths, _ml_maildir_file_path (f, mf));
      g_ptr_array_add (d->files, mf);
      if (_ml_maildir_take_failure (self))
        d->n_fail = i + 1;
      dir = g_build_filename (f->path, mf->in_new ? "new" : "cur", NULL);
      sync = dir_sync_get (self, dir, error);
      if (sync == NULL)
        {
          delivery_free (d);
          return NULL;
        }
      if (g_ptr_array_find (d->dirs, sync, NULL))
        _ml_dir_sync_unref (sync);
      else
        g_ptr_array_add (d->dirs, sync);
    }
  return d;
}

/* Any thread: only the delivery's own paths and bytes are touched. All
 * copies or none: a failure removes the ones written. */
static gboolean
delivery_write (Delivery *d, GError **error)
{
  guint written = 0;
  gboolean ok = TRUE;

  for (; ok && written < d->files->len; written++)
    if (!_ml_maildir_write_file (d->tmp_paths->pdata[written], d->final_paths->pdata[written],
                                 d->message, d->internal_date, written < d->n_fail, error))
      ok = FALSE;
  if (!ok)
    written--;   /* the one that failed left nothing */
  for (guint i = 0; ok && i < d->dirs->len; i++)
    ok = dir_sync_wait (d->dirs->pdata[i], error);
  if (!ok)
    for (guint i = 0; i < written; i++)
      g_unlink (d->final_paths->pdata[i]);
  return ok;
}

static void
delivery_unlink_all (Delivery *d)
{
  for (guint i = 0; i < d->final_paths->len; i++)
    g_unlink (d->final_paths->pdata[i]);
}

/* The main thread: the durable files become messages of the store. */
static gboolean
delivery_commit (Delivery *d, GError **error)
{
  MlMaildir *self = d->maildir;

  /* Other mail may have filled the quota while the files were written. */
  if (!check_room ((MlMailbox **) d->mailboxes->pdata, d->mailboxes->len,
                   g_bytes_get_size (d->message), error))
    {
      delivery_unlink_all (d);
      return FALSE;
    }
  for (guint i = 0; i < d->mailboxes->len; i++)
    {
      MlMailbox *mb = d->mailboxes->pdata[i];
      g_autoptr(GError) local = NULL;
      guint32 uid;

      if (g_hash_table_lookup (self->folders, mb) == NULL)
        {
          /* The folder was deleted meanwhile (never INBOX, RFC 3501 6.3.4). */
          g_unlink (d->final_paths->pdata[i]);
          self->n_errors++;
          continue;
        }
      self->delivering = g_steal_pointer (&d->files->pdata[i]);
      uid = ml_mailbox_append_full (mb, d->message, d->flags, NULL, d->internal_date, &local);
      if (uid == 0)
        {
          /* Checked above; only a store refusing for its own reasons. */
          g_warning ("%s: delivered file removed, the store refused it: %s",
                     (char *) d->final_paths->pdata[i], local->message);
          g_unlink (d->final_paths->pdata[i]);
          g_clear_pointer (&self->delivering, _ml_maildir_msg_file_free);
          self->n_errors++;
        }
      self->delivering = NULL;
    }
  return TRUE;
}

gboolean
ml_maildir_deliver (MlMaildir *self, MlMailbox **mailboxes, guint n_mailboxes,
                    GBytes *message, MlMessageFlags flags, gint64 internal_date_unix,
                    GError **error)
{
  Delivery *d;
  gboolean ok;

  g_return_val_if_fail (self != NULL && mailboxes != NULL && message != NULL, FALSE);
  d = delivery_prepare (self, mailboxes, n_mailboxes, message, flags, internal_date_unix, error);
  if (d == NULL)
    return FALSE;
  ok = delivery_write (d, error) && delivery_commit (d, error);
  delivery_free (d);
  return ok;
}

/* ---- the asynchronous form ---- */

static void
write_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (delivery_write (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) outer = user_data;
  Delivery *d = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (d->maildir != NULL)
    g_ptr_array_remove_fast (d->maildir->in_flight, d);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (outer, error);
  else if (d->maildir == NULL)
    /* Durable, so the next start finds it; but nobody may be told 250
     * by a server that is gone. */
    g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "the mail store closed during the delivery");
  else if (!delivery_commit (d, &error))
    g_task_return_error (outer, error);
  else
    g_task_return_boolean (outer, TRUE);
}

void
ml_maildir_deliver_async (MlMaildir *self, MlMailbox **mailboxes, guint n_mailboxes,
                          GBytes *message, MlMessageFlags flags, gint64 internal_date_unix,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *outer;
  g_autoptr(GTask) inner = NULL;
  GError *error = NULL;
  Delivery *d;

  g_return_if_fail (self != NULL && mailboxes != NULL && message != NULL);
  outer = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (outer, ml_maildir_deliver_async);
  d = delivery_prepare (self, mailboxes, n_mailboxes, message, flags, internal_date_unix, &error);
  if (d == NULL)
    {
      g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }
  g_ptr_array_add (self->in_flight, d);
  inner = g_task_new (NULL, NULL, on_written, outer);
  g_task_set_task_data (inner, d, delivery_free);
  g_task_run_in_thread (inner, write_in_thread);
}

gboolean
ml_maildir_deliver_finish (MlMaildir *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
ml_maildir_get_n_in_flight (MlMaildir *self)
{
  return self->in_flight->len;
}

void
_ml_maildir_orphan_deliveries (MlMaildir *self)
{
  for (guint i = 0; i < self->in_flight->len; i++)
    ((Delivery *) self->in_flight->pdata[i])->maildir = NULL;
  g_ptr_array_unref (self->in_flight);
  self->in_flight = NULL;
}

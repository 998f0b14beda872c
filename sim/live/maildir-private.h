/* maildir-private.h — what maildir.c and maildir-load.c share. */
#pragma once

#include "live/maildir.h"

G_BEGIN_DECLS

typedef struct _MlDirSync MlDirSync;
void      _ml_dir_sync_unref           (MlDirSync *d);

typedef struct {
  MlMailbox *mailbox;
  char      *path;         /* absolute folder directory */
  int        uidlist_fd;   /* open for appending, -1 if not */
} Folder;

typedef struct {
  char          *base;     /* unique name without ":2,…" */
  gboolean       in_new;
  MlMessageFlags flags;    /* the flags its name says (no \Recent) */
  char          *keywords; /* as last written to the uidlist, "" if none */
} MsgFile;

struct _MlMaildir
{
  char        *root;
  MlMailStore *store;
  guint        listener_id;
  GHashTable  *folders;     /* MlMailbox* → Folder* */
  GHashTable  *files;       /* MlMessage* → MsgFile* */
  gboolean     loading;
  MsgFile     *delivering;  /* the file the coming APPEND notification is for */
  guint        counter;
  char        *hostname;
  guint32      last_uidvalidity;
  guint        n_errors;
  guint        fail_writes;
  GPtrArray   *in_flight;   /* deliveries being written by a worker */
  GHashTable  *dir_syncs;   /* char* path → MlDirSync* (maildir-deliver.c) */
};

/* The flags a file name's info carries; \Recent is being in new/. */
#define ML_MAILDIR_PERSISTED_FLAGS (ML_FLAG_SEEN | ML_FLAG_ANSWERED | ML_FLAG_FLAGGED \
                                    | ML_FLAG_DELETED | ML_FLAG_DRAFT)

void      _ml_maildir_folder_free      (gpointer data);
void      _ml_maildir_msg_file_free    (gpointer data);
char     *_ml_maildir_keywords_string  (MlMessage *m);
guint32   _ml_maildir_new_uidvalidity  (MlMaildir *self);
gboolean  _ml_maildir_make_dir         (const char *path, GError **error);
gboolean  _ml_maildir_make_folder_dirs (const char *path, gboolean is_inbox, GError **error);
char     *_ml_maildir_folder_path_for  (MlMaildir *self, MlMailbox *mb);
/* Writes the header and @body (may be NULL) to a temporary name, fsyncs,
 * renames, and reopens the file for appending. */
gboolean  _ml_maildir_uidlist_rewrite  (Folder *f, guint32 uidvalidity, guint32 uidnext,
                                        GString *body, GError **error);

char     *_ml_maildir_file_path        (const Folder *f, const MsgFile *mf);
gboolean  _ml_maildir_fsync_dir        (const char *path, GError **error);
Folder   *_ml_maildir_get_folder       (MlMaildir *self, MlMailbox *mb, GError **error);
MsgFile  *_ml_maildir_msg_file_new     (MlMaildir *self, gsize size, MlMessageFlags flags);
/* Writes @data to @tmp, fsyncs, sets the mtime to @internal_date (if > 0)
 * and renames it to @final; on failure nothing is left. Touches nothing
 * shared, so a worker thread runs it. @fail: act as if the disk were full. */
gboolean  _ml_maildir_write_file       (const char *tmp, const char *final, GBytes *data,
                                        gint64 internal_date, gboolean fail, GError **error);
/* The test hook: whether the next write is to fail. */
gboolean  _ml_maildir_take_failure     (MlMaildir *self);
/* The maildir is going away: deliveries still being written finish on
 * disk (the next start loads them) but touch it no more. */
void      _ml_maildir_orphan_deliveries (MlMaildir *self);

G_END_DECLS

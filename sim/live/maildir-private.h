/* maildir-private.h — what maildir.c and maildir-load.c share. */
#pragma once

#include "live/maildir.h"

G_BEGIN_DECLS

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

G_END_DECLS

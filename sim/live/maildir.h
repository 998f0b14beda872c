/* maildir.h — the live server's mail on disk, as Maildir++.
 *
 * The in-memory MlMailStore stays what every engine reads; this keeps it
 * on disk in the layout mutt (`mutt -f ROOT/alice@example.org`), Dovecot
 * and Courier read:
 *
 *   ROOT/<address>/{tmp,new,cur}/            INBOX
 *   ROOT/<address>/.Sent/{tmp,new,cur}/      "Sent"   (Maildir++ folder)
 *   ROOT/<address>/.Work.2024/…              "Work/2024"
 *   ROOT/<address>/<folder>/maillab-uidlist  UIDs (below)
 *
 * A folder name's '/' becomes '.', and a '.' inside a name is written
 * "&AC4-" (its modified UTF-7 form, RFC 3501 5.1.3). Each folder also has
 * the empty "maildirfolder" file Maildir++ asks for.
 *
 * Messages are files named "<sec>.M<usec>P<pid>Q<n>.<host>,S=<size>:2,<flags>"
 * (the maildir(5) unique name, Dovecot's S= size, the info of flags:
 * D Draft, F Flagged, R Answered, S Seen, T Deleted, in ASCII order). new/
 * holds delivered mail no session has looked at (\Recent), cur/ the rest.
 *
 * maillab-uidlist keeps UIDs stable across restarts, like Dovecot's
 * dovecot-uidlist but our own: a header line
 *   maillab-uidlist 1 <UIDVALIDITY> <UIDNEXT>
 * then one line per message, appended as messages arrive or change
 * keywords:
 *   <uid> <unique name without ":2,…"> [keyword …]
 * A later line for the same name replaces an earlier one; a line whose file
 * is gone is a message expunged. On start the file is read, files without
 * a line get UIDs after every known one, and the file is rewritten whole
 * (temporary name, fsync, rename) without the dead lines. If it is lost,
 * UIDVALIDITY changes and every message gets a new UID (RFC 3501 2.3.1.1);
 * ROOT/maillab-uidvalidity remembers the last one given, so a new one is
 * always higher.
 *
 * Delivery (ml_maildir_deliver, or _async on a worker) writes tmp/ →
 * fsync → rename into new/ → fsync of new/ before it reports success: the
 * caller answers 250 only then. APPEND, COPY and MOVE go through the
 * store's append check (ml_mail_store_set_append_check): the file is
 * durable before the store takes the message, and a failed write fails
 * the command. Everything else the engines do to the store (flags,
 * EXPUNGE, CREATE, DELETE, RENAME) is mirrored by a store listener: a flag
 * change renames the file, an expunge unlinks it.
 */
#pragma once

#include <gio/gio.h>
#include "mail/mail-store.h"

G_BEGIN_DECLS

/* The uidlist's own lines: a name (~60 octets), a UID and the keywords a
 * message may carry (ML_MESSAGE_MAX_KEYWORDS of ML_KEYWORD_MAX_LEN). */
#define ML_MAILDIR_MAX_UIDLIST_LINE  (128 + ML_MESSAGE_MAX_KEYWORDS * (ML_KEYWORD_MAX_LEN + 1))
/* maildir(5) asks for unique names; ours are about 60 octets. A longer
 * file name in a maildir is not a message we wrote or can read safely. */
#define ML_MAILDIR_MAX_NAME          255

#define ML_MAILDIR_UIDLIST "maillab-uidlist"
/* ROOT/maillab-uidvalidity: the last UIDVALIDITY given, so a folder made
 * again never gets an old one back. */
#define ML_MAILDIR_UIDVALIDITY_FILE "maillab-uidvalidity"

typedef struct _MlMaildir MlMaildir;

/* Keeps @store (borrowed, must outlive this) on disk under @root, made if
 * missing. Listens to the store from now on. */
MlMaildir *ml_maildir_new          (const char  *root,
                                    MlMailStore *store,
                                    GError     **error);
void       ml_maildir_free         (MlMaildir *self);
const char *ml_maildir_get_root    (MlMaildir *self);

/* Adds @address to the store (if it is not there yet) and reads its
 * Maildir++ (made if missing): folders, messages, flags, keywords, UIDs.
 * The account is borrowed from the store. */
MlAccount *ml_maildir_load_account (MlMaildir   *self,
                                    const char  *address,
                                    GError     **error);

/* Final delivery of one message to several mailboxes (one per recipient,
 * possibly the same twice): every copy is written and made durable before
 * any is appended to the store, so either all recipients have it on disk
 * or none does (G_IO_ERROR / G_FILE_ERROR: answer 451 4.3.0). A store
 * refusal after that (over quota) is ML_STORE_ERROR and also leaves
 * nothing behind. @flags usually ML_FLAG_RECENT. */
gboolean   ml_maildir_deliver      (MlMaildir   *self,
                                    MlMailbox  **mailboxes,
                                    guint        n_mailboxes,
                                    GBytes      *message,
                                    MlMessageFlags flags,
                                    gint64       internal_date_unix,
                                    GError     **error);

/* The same, with the writing and fsyncs on a worker thread so the main
 * loop goes on serving (and many deliveries can be in flight at once):
 * the checks and names are made now, the store gets the copies on the
 * main context once they are durable, then @callback runs there; ask
 * ml_maildir_deliver_finish() for the outcome, which is the synchronous
 * form's. If the maildir is freed meanwhile the files stay on disk (the
 * next start loads them) and the result is G_IO_ERROR_CANCELLED. */
void       ml_maildir_deliver_async (MlMaildir          *self,
                                     MlMailbox         **mailboxes,
                                     guint               n_mailboxes,
                                     GBytes             *message,
                                     MlMessageFlags      flags,
                                     gint64              internal_date_unix,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
gboolean   ml_maildir_deliver_finish (MlMaildir    *self,
                                      GAsyncResult *result,
                                      GError      **error);
/* Deliveries written by a worker now. */
guint      ml_maildir_get_n_in_flight (MlMaildir *self);

/* The file holding @message now, relative to the root ("alice@x/new/…").
 * NULL if none (it failed to be written). Caller frees. */
char      *ml_maildir_dup_path     (MlMaildir *self, MlMessage *message);
/* Failures of the listener (a flag rename, a copy written for APPEND)
 * since the start: logged, and counted here for tests. */
guint      ml_maildir_get_n_errors (MlMaildir *self);

/* Test hook: make the next @n file writes fail as a full disk would. */
void       ml_maildir_fail_next_writes (MlMaildir *self, guint n);

/* "2,FS" for the flags (maildir(5) info, letters in ASCII order). */
char      *ml_maildir_flags_to_info (MlMessageFlags flags);
/* The flags an info string names; unknown letters are ignored. */
MlMessageFlags ml_maildir_info_to_flags (const char *info);
/* "Work/2024" → ".Work.2024"; "INBOX" → "" (the root). Caller frees. */
char      *ml_maildir_folder_dir_name (const char *mailbox_name);
/* The inverse, NULL for a directory that is not a Maildir++ folder. */
char      *ml_maildir_folder_from_dir_name (const char *dir_name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlMaildir, ml_maildir_free)

G_END_DECLS

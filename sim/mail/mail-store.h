/* mail-store.h — accounts, mailboxes and messages, in memory.
 *
 * The shape of RFC 3501's world from the start (UIDs, UIDVALIDITY, flags),
 * because POP3 and IMAP (issue 3) will read the same store the MDA writes.
 * The store knows nothing of the trace: owners subscribe to changes and
 * record them, which is also how IMAP sessions will see each other.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MlMailStore MlMailStore;
typedef struct _MlAccount   MlAccount;
typedef struct _MlMailbox   MlMailbox;
typedef struct _MlMessage   MlMessage;

/* System flags of RFC 3501 2.3.2. */
typedef enum {
  ML_FLAG_SEEN     = 1 << 0,
  ML_FLAG_ANSWERED = 1 << 1,
  ML_FLAG_FLAGGED  = 1 << 2,
  ML_FLAG_DELETED  = 1 << 3,
  ML_FLAG_DRAFT    = 1 << 4,
  ML_FLAG_RECENT   = 1 << 5,
} MlMessageFlags;

typedef enum {
  ML_STORE_CHANGE_ACCOUNT_ADDED = 0,
  ML_STORE_CHANGE_MAILBOX_ADDED,
  ML_STORE_CHANGE_APPEND,
  ML_STORE_CHANGE_EXPUNGE,
  ML_STORE_CHANGE_FLAGS,
} MlStoreChangeKind;

typedef struct {
  MlStoreChangeKind kind;
  MlAccount        *account;
  MlMailbox        *mailbox;   /* NULL for ACCOUNT_ADDED */
  MlMessage        *message;   /* APPEND, EXPUNGE, FLAGS */
} MlStoreChange;

typedef void (*MlStoreListener) (MlMailStore *store, const MlStoreChange *change,
                                 gpointer user_data);

MlMailStore *ml_mail_store_new             (void);
void         ml_mail_store_free            (MlMailStore *self);
guint        ml_mail_store_add_listener    (MlMailStore *self, MlStoreListener func,
                                            gpointer user_data);
void         ml_mail_store_remove_listener (MlMailStore *self, guint id);

/* Creates the account with its INBOX. NULL if it already exists. */
MlAccount   *ml_mail_store_add_account     (MlMailStore *self, const char *address,
                                            const char *password);
/* Domains compare without case; local parts too — RFC 5321 2.4 lets a host
 * treat them case-sensitively, but every mail system a student meets folds. */
MlAccount   *ml_mail_store_find_account    (MlMailStore *self, const char *address);
GPtrArray   *ml_mail_store_get_accounts    (MlMailStore *self);  /* borrowed */

const char  *ml_account_get_address       (MlAccount *self);
gboolean     ml_account_check_password    (MlAccount *self, const char *password);
MlMailbox   *ml_account_get_inbox         (MlAccount *self);
MlMailbox   *ml_account_find_mailbox      (MlAccount *self, const char *name);
MlMailbox   *ml_account_add_mailbox       (MlAccount *self, const char *name);
GPtrArray   *ml_account_get_mailboxes     (MlAccount *self);  /* borrowed */

const char  *ml_mailbox_get_name         (MlMailbox *self);
MlAccount   *ml_mailbox_get_account      (MlMailbox *self);
guint32      ml_mailbox_get_uidvalidity  (MlMailbox *self);
guint32      ml_mailbox_get_uidnext      (MlMailbox *self);
guint        ml_mailbox_get_count        (MlMailbox *self);
MlMessage   *ml_mailbox_get_message      (MlMailbox *self, guint index);  /* borrowed, 0-based */
MlMessage   *ml_mailbox_find_uid         (MlMailbox *self, guint32 uid);  /* borrowed */
guint64      ml_mailbox_get_total_size   (MlMailbox *self);
/* Appends a copy of @data (the store refs it). Returns the new UID. */
guint32      ml_mailbox_append           (MlMailbox *self, GBytes *data,
                                          MlMessageFlags flags, gint64 internal_date_unix);
void         ml_mailbox_set_flags        (MlMailbox *self, MlMessage *message,
                                          MlMessageFlags flags);
/* Removes every message flagged \Deleted. Returns how many. */
guint        ml_mailbox_expunge          (MlMailbox *self);

guint32        ml_message_get_uid           (MlMessage *self);
MlMessageFlags ml_message_get_flags         (MlMessage *self);
gint64         ml_message_get_internal_date (MlMessage *self);
gsize          ml_message_get_size          (MlMessage *self);
GBytes        *ml_message_get_data          (MlMessage *self);  /* borrowed */

char          *ml_message_flags_dup_string  (MlMessageFlags flags); /* "\\Seen \\Flagged" */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlMailStore, ml_mail_store_free)

G_END_DECLS

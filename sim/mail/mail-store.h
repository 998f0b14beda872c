/* mail-store.h — accounts, mailboxes and messages, in memory.
 *
 * The shape of RFC 3501's world (UIDs, UIDVALIDITY, flags, keywords, a
 * hierarchy of mailboxes, subscriptions) so that the MDA, POP3 and IMAP all
 * read and write one store. The store knows nothing of the trace: owners
 * subscribe to changes and record them, which is also how IMAP sessions see
 * each other and how a POP3 deletion shows up over IMAP.
 *
 * Everything is synchronous: a listener runs inside the call that made the
 * change, before that call returns.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MlMailStore MlMailStore;
typedef struct _MlAccount   MlAccount;
typedef struct _MlMailbox   MlMailbox;
typedef struct _MlMessage   MlMessage;

/* RFC 3501 5.1: the hierarchy delimiter we announce in LIST. */
#define ML_MAILBOX_DELIMITER '/'
#define ML_MAILBOX_DELIMITER_STR "/"
/* RFC 3501 5.1 sets no limit; these are ours, so a peer's CREATE cannot grow
 * the store without bound. A name is the full path ("Work/2024/Q1"). */
#define ML_MAILBOX_MAX_NAME   255   /* octets of the whole (modified UTF-7) name */
#define ML_MAILBOX_MAX_DEPTH  16    /* levels of hierarchy */
#define ML_ACCOUNT_MAX_MAILBOXES 1000
/* RFC 3501 2.3.2 sets no limit on keywords; ours (Dovecot's default per
 * mailbox is similar in spirit). \* disappears from PERMANENTFLAGS once a
 * mailbox holds ML_MAILBOX_MAX_KEYWORDS different ones. */
#define ML_KEYWORD_MAX_LEN           64
#define ML_MESSAGE_MAX_KEYWORDS      32
#define ML_MAILBOX_MAX_KEYWORDS      128
/* The largest message APPEND/delivery accepts; an IMAP server may announce it
 * as APPENDLIMIT (RFC 7889). */
#define ML_STORE_MAX_MESSAGE_SIZE (64u * 1024u * 1024u)

/* System flags of RFC 3501 2.3.2. */
typedef enum {
  ML_FLAG_SEEN     = 1 << 0,
  ML_FLAG_ANSWERED = 1 << 1,
  ML_FLAG_FLAGGED  = 1 << 2,
  ML_FLAG_DELETED  = 1 << 3,
  ML_FLAG_DRAFT    = 1 << 4,
  ML_FLAG_RECENT   = 1 << 5,
} MlMessageFlags;

/* RFC 6154 2: the special-use attributes this store supports. */
typedef enum {
  ML_SPECIAL_USE_NONE = 0,
  ML_SPECIAL_USE_ARCHIVE,
  ML_SPECIAL_USE_DRAFTS,
  ML_SPECIAL_USE_JUNK,
  ML_SPECIAL_USE_SENT,
  ML_SPECIAL_USE_TRASH,
} MlSpecialUse;

#define ML_STORE_ERROR (ml_store_error_quark ())
typedef enum {
  ML_STORE_ERROR_EXISTS,           /* CREATE/RENAME onto an extant name */
  ML_STORE_ERROR_NOT_FOUND,        /* no mailbox/message of that name */
  ML_STORE_ERROR_INVALID_NAME,     /* RFC 3501 5.1 rules, our limits */
  ML_STORE_ERROR_OVERQUOTA,        /* RFC 9208: storage limit reached */
  ML_STORE_ERROR_TOO_BIG,          /* over ML_STORE_MAX_MESSAGE_SIZE */
  ML_STORE_ERROR_NOT_SELECTABLE,   /* a \Noselect hierarchy name */
  ML_STORE_ERROR_HAS_CHILDREN,     /* RFC 3501 6.3.4: \Noselect with inferiors */
  ML_STORE_ERROR_PERMISSION,       /* e.g. DELETE INBOX */
  ML_STORE_ERROR_INVALID_KEYWORD,  /* not an atom, or starts with '\' */
  ML_STORE_ERROR_LIMIT,            /* too many keywords or mailboxes */
} MlStoreError;

GQuark ml_store_error_quark (void);

/* Never reorder: the numbers are in traces and in world.c's tables. */
typedef enum {
  ML_STORE_CHANGE_ACCOUNT_ADDED = 0,
  ML_STORE_CHANGE_MAILBOX_ADDED,
  ML_STORE_CHANGE_APPEND,
  ML_STORE_CHANGE_EXPUNGE,
  ML_STORE_CHANGE_FLAGS,
  ML_STORE_CHANGE_MAILBOX_DELETED,
  ML_STORE_CHANGE_MAILBOX_RENAMED,
} MlStoreChangeKind;

typedef struct {
  MlStoreChangeKind kind;
  MlAccount        *account;
  MlMailbox        *mailbox;   /* NULL for ACCOUNT_ADDED */
  MlMessage        *message;   /* APPEND, EXPUNGE, FLAGS; NULL otherwise */
  /* APPEND, EXPUNGE, FLAGS: the message's 0-based position in @mailbox at
   * the moment of this notification. Expunges are told one message at a
   * time in ascending order, each removed right after its notification, so
   * index + 1 is exactly the n of RFC 3501 7.4.1's "* n EXPUNGE". */
  guint             index;
  /* Whoever ml_mail_store_set_actor() named when the change was made (an
   * IMAP session tells its own changes from others'); NULL for the MDA. */
  gconstpointer     actor;
  /* MAILBOX_RENAMED: the name before (borrowed, valid during the call);
   * @mailbox already carries the new one. */
  const char       *old_name;
  /* FLAGS: the system flags before the change. */
  MlMessageFlags    old_flags;
} MlStoreChange;

/* Lifetimes during a notification: EXPUNGE's message and MAILBOX_DELETED's
 * mailbox are freed right after the listeners return, unless the deleted
 * name stays as a \Noselect name because it has inferiors (RFC 3501 6.3.4):
 * then the same MlMailbox remains, empty and not selectable. */
typedef void (*MlStoreListener) (MlMailStore *store, const MlStoreChange *change,
                                 gpointer user_data);

const char  *ml_store_change_kind_to_string (MlStoreChangeKind kind); /* "append" */

MlMailStore *ml_mail_store_new             (void);
void         ml_mail_store_free            (MlMailStore *self);
guint        ml_mail_store_add_listener    (MlMailStore *self, MlStoreListener func,
                                            gpointer user_data);
void         ml_mail_store_remove_listener (MlMailStore *self, guint id);
/* The engine sets itself before it mutates the store and NULL after; every
 * change notified meanwhile carries @actor. */
void          ml_mail_store_set_actor      (MlMailStore *self, gconstpointer actor);
gconstpointer ml_mail_store_get_actor      (MlMailStore *self);

/* Creates the account with INBOX, Sent, Drafts, Trash and Junk (the last
 * four with their RFC 6154 attributes), all subscribed. NULL if the account
 * already exists. */
MlAccount   *ml_mail_store_add_account     (MlMailStore *self, const char *address,
                                            const char *password);
/* Domains compare without case; local parts too — RFC 5321 2.4 lets a host
 * treat them case-sensitively, but every mail system a student meets folds. */
MlAccount   *ml_mail_store_find_account    (MlMailStore *self, const char *address);
GPtrArray   *ml_mail_store_get_accounts    (MlMailStore *self);  /* borrowed */

/* A backend that keeps no plaintext passwords (live mode's users file,
 * SCRAM keys only) checks them itself: with @func set, every
 * ml_account_check_password of this store asks it instead. */
typedef gboolean (*MlPasswordCheckFunc) (const char *address, const char *password,
                                         gpointer user_data);
void         ml_mail_store_set_password_check (MlMailStore *self, MlPasswordCheckFunc func,
                                               gpointer user_data);

/* A backend that keeps messages elsewhere (live mode's Maildir) gets a
 * say before a message is added by append or copy, after the store's own
 * checks: it writes the message durably and returns TRUE, or FALSE with
 * @error (not ML_STORE_ERROR: an IMAP APPEND then answers NO [SERVERBUG],
 * RFC 3501 6.3.11, RFC 5530) and nothing is added. NULL: no check. */
typedef gboolean (*MlAppendCheckFunc) (MlMailbox *mailbox, GBytes *data,
                                       MlMessageFlags flags, gint64 internal_date_unix,
                                       GError **error, gpointer user_data);
void         ml_mail_store_set_append_check (MlMailStore *self, MlAppendCheckFunc func,
                                             gpointer user_data);

const char  *ml_account_get_address       (MlAccount *self);
gboolean     ml_account_check_password    (MlAccount *self, const char *password);
/* The shared secret itself, for challenge-response logins that must compute
 * with it (APOP, RFC 1939 7). Borrowed, NULL if none. */
const char  *ml_account_get_password      (MlAccount *self);

/* ---- mailboxes (RFC 3501 5.1, 6.3) ---- */

MlMailbox   *ml_account_get_inbox         (MlAccount *self);  /* borrowed */
/* "INBOX" in any case, and as the first level of a name ("inbox/x"), means
 * INBOX (RFC 3501 5.1); other names compare exactly. Finds \Noselect names
 * too. Borrowed. */
MlMailbox   *ml_account_find_mailbox      (MlAccount *self, const char *name);
/* The first mailbox with that attribute, or NULL. Borrowed. */
MlMailbox   *ml_account_find_special_use  (MlAccount *self, MlSpecialUse use);
/* Every name, \Noselect ones included: INBOX first, then in creation order.
 * Borrowed; changes under the caller when mailboxes are created/deleted. */
GPtrArray   *ml_account_get_mailboxes     (MlAccount *self);
/* RFC 3501 6.3.3. Checks the name (ml_mailbox_name_is_valid), ignores a
 * trailing delimiter, and creates missing superiors as \Noselect names.
 * Creating over a \Noselect name makes it selectable (fresh UIDVALIDITY).
 * Borrowed, or NULL and ML_STORE_ERROR_EXISTS / _INVALID_NAME / _LIMIT. */
MlMailbox   *ml_account_create_mailbox    (MlAccount *self, const char *name,
                                           MlSpecialUse use, GError **error);
/* ml_account_create_mailbox without attribute or error report. */
MlMailbox   *ml_account_add_mailbox       (MlAccount *self, const char *name);
/* RFC 3501 6.3.4. INBOX: ML_STORE_ERROR_PERMISSION. A selectable name with
 * inferiors loses its messages and becomes \Noselect; a \Noselect name with
 * inferiors is refused (ML_STORE_ERROR_HAS_CHILDREN); otherwise the name goes.
 * Inferiors are never removed; subscriptions are left alone (RFC 3501 6.3.6). */
gboolean     ml_account_delete_mailbox    (MlAccount *self, const char *name, GError **error);
/* RFC 3501 6.3.5. Inferiors are renamed with it, missing superiors of the
 * new name are created (\Noselect), UIDVALIDITY and UIDs are kept, and so
 * are subscriptions (they follow the name). Renaming INBOX moves its
 * messages (new UIDs, flags and keywords kept) into a new mailbox and leaves
 * INBOX empty; INBOX's inferiors stay. Errors: NOT_FOUND, EXISTS,
 * INVALID_NAME (also: into its own inferior). */
gboolean     ml_account_rename_mailbox    (MlAccount *self, const char *old_name,
                                           const char *new_name, GError **error);
/* RFC 3348: does any other name have @name as a superior? */
gboolean     ml_account_mailbox_has_children (MlAccount *self, const char *name);
/* RFC 3501 5.1 and our limits: not empty, no empty level, no '*' or '%'
 * (LIST wildcards), 7-bit printable, '&' only as modified UTF-7 (5.1.3).
 * @name is taken as is (a trailing delimiter is an empty level here). */
gboolean     ml_mailbox_name_is_valid     (const char *name, GError **error);

/* ---- subscriptions (RFC 3501 6.3.6, 6.3.7) ---- */

/* Names, not mailboxes: a name may be subscribed that does not exist. */
void         ml_account_set_subscribed    (MlAccount *self, const char *name,
                                           gboolean subscribed);
gboolean     ml_account_is_subscribed     (MlAccount *self, const char *name);
GPtrArray   *ml_account_dup_subscriptions (MlAccount *self);  /* transfer full, char*, sorted */

/* ---- quota (RFC 9208) ---- */

/* In octets (RFC 9208 5.1 counts STORAGE in units of 1024 octets: the IMAP
 * server divides). 0 = no limit. Lowering it below the usage refuses new
 * messages; nothing is deleted. */
void         ml_account_set_quota         (MlAccount *self, guint64 storage_limit_octets);
guint64      ml_account_get_quota         (MlAccount *self);
guint64      ml_account_get_usage         (MlAccount *self);   /* octets, all mailboxes */
guint        ml_account_get_message_count (MlAccount *self);   /* all mailboxes */

/* ---- POP3 maildrop lock (RFC 1939 8) ---- */

/* Exclusive: TRUE if @owner now holds it (or already did). Only POP3 takes
 * it; IMAP and the MDA keep working on a locked account. */
gboolean     ml_account_try_lock          (MlAccount *self, gconstpointer owner);
void         ml_account_unlock            (MlAccount *self, gconstpointer owner); /* no-op if not @owner */
gboolean     ml_account_is_locked         (MlAccount *self);

/* ---- one mailbox ---- */

const char  *ml_mailbox_get_name         (MlMailbox *self);   /* full path, borrowed */
MlAccount   *ml_mailbox_get_account      (MlMailbox *self);
MlSpecialUse ml_mailbox_get_special_use  (MlMailbox *self);
gboolean     ml_mailbox_is_selectable    (MlMailbox *self);   /* FALSE for \Noselect */
guint32      ml_mailbox_get_uidvalidity  (MlMailbox *self);
guint32      ml_mailbox_get_uidnext      (MlMailbox *self);
/* For a persistent backend restoring a mailbox (live mode's Maildir):
 * sets UIDVALIDITY and the UID the next append gets, so UIDs survive a
 * restart. With messages in the mailbox, @uidvalidity must stay the same
 * and @uidnext be above the last UID (RFC 3501 2.3.1.1); FALSE otherwise. */
gboolean     ml_mailbox_restore_uid_state (MlMailbox *self, guint32 uidvalidity,
                                           guint32 uidnext);
guint        ml_mailbox_get_count        (MlMailbox *self);
/* The totals are kept up to date on every change: O(1). */
guint64      ml_mailbox_get_total_size   (MlMailbox *self);
guint        ml_mailbox_get_recent_count (MlMailbox *self);
guint        ml_mailbox_get_unseen_count (MlMailbox *self);
/* 0-based index of the first message without \Seen, or ML_MAILBOX_NO_INDEX
 * (RFC 3501 7.1 [UNSEEN n] is this + 1). O(n) once per SELECT at worst. */
guint        ml_mailbox_get_first_unseen_index (MlMailbox *self);

#define ML_MAILBOX_NO_INDEX G_MAXUINT

MlMessage   *ml_mailbox_get_message      (MlMailbox *self, guint index);  /* borrowed, 0-based */
/* Messages are kept in UID order; these are binary searches, O(log n). */
MlMessage   *ml_mailbox_find_uid         (MlMailbox *self, guint32 uid);  /* borrowed */
guint        ml_mailbox_uid_to_index     (MlMailbox *self, guint32 uid);  /* or ML_MAILBOX_NO_INDEX */
/* Index of the first message whose UID is >= @uid (the count if none): a
 * UID range lo:hi is [lower_bound (lo), lower_bound (hi + 1)). */
guint        ml_mailbox_uid_lower_bound  (MlMailbox *self, guint32 uid);

/* Keywords ever set in this mailbox, in order of first use, spelled as
 * first seen: the FLAGS/PERMANENTFLAGS list (RFC 3501 7.2.6, 7.1).
 * NULL-terminated, borrowed, only grows. */
const char * const *ml_mailbox_get_keywords (MlMailbox *self);
/* FALSE once ML_MAILBOX_MAX_KEYWORDS are in use: drop \* from PERMANENTFLAGS. */
gboolean     ml_mailbox_can_create_keywords (MlMailbox *self);

/* Appends @data (the store refs it) at the next UID. @keywords may be NULL.
 * @flags is stored as given: the MDA passes ML_FLAG_RECENT.
 * Returns the UID, or 0 with ML_STORE_ERROR_TOO_BIG / _OVERQUOTA /
 * _NOT_SELECTABLE / _INVALID_KEYWORD / _LIMIT. */
guint32      ml_mailbox_append_full      (MlMailbox *self, GBytes *data, MlMessageFlags flags,
                                          const char * const *keywords,
                                          gint64 internal_date_unix, GError **error);
/* ml_mailbox_append_full without keywords; 0 on any failure. */
guint32      ml_mailbox_append           (MlMailbox *self, GBytes *data,
                                          MlMessageFlags flags, gint64 internal_date_unix);
/* RFC 3501 6.4.7 COPY (and MOVE, RFC 6851, as copy + expunge): a new
 * message in @dst with the same bytes, internal date, flags and keywords,
 * plus \Recent. Returns its UID (for COPYUID, RFC 4315), or 0 with
 * ML_STORE_ERROR_OVERQUOTA / _NOT_SELECTABLE / _LIMIT. */
guint32      ml_mailbox_copy_message     (MlMailbox *src, MlMessage *message,
                                          MlMailbox *dst, GError **error);
/* Replaces the system flags, keeps the keywords. Notifies FLAGS if changed. */
void         ml_mailbox_set_flags        (MlMailbox *self, MlMessage *message,
                                          MlMessageFlags flags);
/* Replaces both the system flags and the keywords (NULL = none). Keywords
 * that are invalid, or past ML_MESSAGE_MAX_KEYWORDS / a full mailbox set,
 * are skipped: check first with ml_mailbox_check_keywords to answer the
 * peer. Notifies FLAGS only if something changed. */
void         ml_mailbox_store_flags      (MlMailbox *self, MlMessage *message,
                                          MlMessageFlags flags, const char * const *keywords);
/* Would @keywords be accepted on @message (NULL: on a new message)?
 * ML_STORE_ERROR_INVALID_KEYWORD or _LIMIT with a readable message. */
gboolean     ml_mailbox_check_keywords   (MlMailbox *self, MlMessage *message,
                                          const char * const *keywords, GError **error);
/* RFC 3501 9 flag-keyword = atom; '\' would make it a system flag. */
gboolean     ml_keyword_is_valid         (const char *keyword);
/* Removes every message flagged \Deleted, one EXPUNGE notification each, in
 * ascending order. Returns how many. */
guint        ml_mailbox_expunge          (MlMailbox *self);
/* RFC 4315 2.1 UID EXPUNGE: only messages both in @uids and \Deleted.
 * @uids in any order, duplicates and unknown UIDs ignored. */
guint        ml_mailbox_expunge_uids     (MlMailbox *self, const guint32 *uids, gsize n_uids);

/* ---- one message ---- */

guint32        ml_message_get_uid           (MlMessage *self);
MlMessageFlags ml_message_get_flags         (MlMessage *self);
/* NULL-terminated, never NULL, borrowed; changes with ml_mailbox_store_flags. */
const char * const *ml_message_get_keywords (MlMessage *self);
gboolean       ml_message_has_keyword       (MlMessage *self, const char *keyword); /* no case */
gint64         ml_message_get_internal_date (MlMessage *self);
gsize          ml_message_get_size          (MlMessage *self);
GBytes        *ml_message_get_data          (MlMessage *self);  /* borrowed */
MlMailbox     *ml_message_get_mailbox       (MlMessage *self);  /* borrowed */

char          *ml_message_flags_dup_string  (MlMessageFlags flags); /* "\\Seen \\Flagged" */
/* "\\Sent"; NULL for ML_SPECIAL_USE_NONE. */
const char    *ml_special_use_to_string     (MlSpecialUse use);
/* "\\Sent" (any case) → ML_SPECIAL_USE_SENT; NONE if not one we support. */
MlSpecialUse   ml_special_use_from_string   (const char *attribute);

/* For message-mime.c only: one slot per message for its parsed MIME,
 * destroyed with the message (or when replaced). */
gpointer       _ml_message_get_mime_cache   (MlMessage *self);
void           _ml_message_set_mime_cache   (MlMessage *self, gpointer cache,
                                             GDestroyNotify destroy);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlMailStore, ml_mail_store_free)

G_END_DECLS

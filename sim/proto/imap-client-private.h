/* imap-client-private.h — what the IMAP client's files share.
 *
 * imap-client.c        the session: sending, continuations, responses,
 *                      logging in, events
 * imap-client-model.c  the selected mailbox's model, from untagged data
 * imap-client-actions.c the lesson actions, each a small step machine
 * imap-client-local.c  the device's local copy (MlImapLocalStore)
 * imap-client-auth.c   STARTTLS, the login choice, AUTHENTICATE
 */
#pragma once

#include "proto/imap-client.h"

G_BEGIN_DECLS

typedef enum {
  CMD_CAPABILITY = 0,
  CMD_LOGIN,
  CMD_AUTHENTICATE,
  CMD_LIST,
  CMD_SELECT,
  CMD_FETCH_NEW,     /* headers of what the device does not have */
  CMD_FETCH_FLAGS,   /* flags of what it has */
  CMD_FETCH_BODY,
  CMD_FIND,          /* UID SEARCH to pick a message by subject / unseen */
  CMD_SEARCH,
  CMD_STORE,
  CMD_COPY,
  CMD_MOVE,
  CMD_EXPUNGE,
  CMD_UID_EXPUNGE,
  CMD_CREATE,
  CMD_IDLE,
  CMD_LOGOUT,
  CMD_STARTTLS,      /* RFC 3501 6.2.1 */
  CMD_N_KINDS
} ImapCmdKind;

typedef struct _ImapAction ImapAction;

typedef struct {
  ImapCmdKind  kind;
  char        *verb;       /* "UID FETCH" */
  char        *tag;        /* given when it is sent: "a7" */
  GPtrArray   *parts;      /* GByteArray*: the first goes out at once, each
                              later one after a "+" (RFC 3501 7.5) */
  guint        next_part;
  GString     *sent;       /* the bytes sent so far */
  gsize        line_len;   /* the line's octets outside literals */
  char        *sasl;       /* AUTHENTICATE without SASL-IR: the response
                              line, sent after the server's "+" */
  ImapAction  *action;     /* borrowed; NULL for the session's own commands */
  char        *mailbox;    /* SELECT, CREATE: the mailbox */
  gboolean     begun;      /* SELECT: the server is at it (every command
                              before it has completed) */
  GArray      *uids;       /* STORE .SILENT: guint32 it changes */
  GStrv        flags;      /* STORE .SILENT: the flags */
  gboolean     add;        /* STORE .SILENT: + or - */
} ImapCommand;

struct _ImapAction {
  MlImapActionResult result;
  char        *mailbox;
  GArray      *want_uids;     /* guint32 */
  char        *subject;
  gboolean     first_unseen;
  GStrv        flags;
  gboolean     set;
  char        *folder;
  char        *criteria;
  gboolean     expunge;

  guint        step;
  guint        outstanding;   /* its commands not completed yet */
  GHashTable  *seen;          /* SYNC: UIDs the flags fetch named */
  guint32      last_uid;      /* SYNC, IDLE: the highest UID held before */
};

struct _MlImapClient
{
  MlImapClientConfig    config;
  char                 *username;
  char                 *password;
  MlImapClientState     state;
  MlImapResponseParser *parser;
  GByteArray           *out;
  GQueue                events;     /* MlEngineEvent*, owned */
  MlImapLocalStore     *local;
  gboolean              own_local;
  guint                 next_tag;

  GQueue                outbox;     /* ImapCommand*: built, not sent */
  GQueue                in_flight;  /* ImapCommand*: sent, waiting for their tag */
  ImapCommand          *sending;    /* waiting for "+" before its next part */

  GPtrArray            *actions;    /* ImapAction*, owned */
  guint                 next_action;
  ImapAction           *cur;

  GStrv                 caps;
  gboolean              greeted;
  gboolean              caps_after_login;  /* the login OK carried them */
  gboolean              authenticated;
  gboolean              logout_sent;
  gboolean              bye_received;
  gboolean              done;

  char                 *selected;   /* the selected mailbox, NULL if none */
  char                 *selecting;  /* SELECT sent, not completed */
  GArray               *seq_uids;   /* guint32 per sequence number (RFC 3501
                                       2.3.1.2); 0 while unknown */
  guint                 n_untagged; /* since the last tagged response */
  GArray               *hits;       /* guint32: SEARCH of the command in flight */
  GPtrArray            *listed;     /* char*: names the running LIST gave */

  ImapCommand          *idle_cmd;   /* IDLE sent, not completed */
  gboolean              idling;     /* "+" came */
  gboolean              done_sent;
  gboolean              stop_idle;  /* DONE as soon as "+" comes */

  /* TLS (RFC 3501 6.2.1): on; STARTTLS's OK came and the handshake is
   * the owner's (input dropped meanwhile). */
  gboolean              tls_active;
  gboolean              tls_pending;
  MlSaslClient         *sasl;       /* AUTHENTICATE SCRAM-SHA-256 in progress */
};

/* ---- imap-client.c, for the actions ---- */

ImapCommand *_ml_imap_command_new      (ImapCmdKind kind, const char *verb);
/* " " is not added: @text is appended as is. */
void         _ml_imap_command_add      (ImapCommand *cmd, const char *text);
/* Appends SP and @s as an atom, quoted string or literal (RFC 3501 4.3),
 * literal+ when the server offers it (RFC 7888). */
void         _ml_imap_command_add_string (MlImapClient *self, ImapCommand *cmd,
                                          const char *s, gboolean astring);
/* Queues @cmd (steals) for @action (may be NULL); sent as soon as RFC 3501
 * 5.5 allows. FALSE (and @cmd freed, the action failed) when the command
 * line would pass ML_IMAP_CLIENT_MAX_COMMAND. */
gboolean     _ml_imap_client_queue     (MlImapClient *self, ImapAction *action,
                                        ImapCommand *cmd);
void         _ml_imap_client_set_state (MlImapClient *self, MlImapClientState state);
MlEngineEvent *_ml_imap_client_push_event (MlImapClient *self, MlEngineEventKind kind,
                                           MlDirection direction, gboolean outgoing);
void         _ml_imap_client_send_done (MlImapClient *self);
void         _ml_imap_client_note      (MlImapClient *self, const char *key,
                                        char *detail /* steals */);
/* The stream cannot be trusted: every action fails, the session ends. */
void         _ml_imap_client_protocol_error (MlImapClient *self, const char *why);
void         _ml_imap_client_session_done   (MlImapClient *self);
/* Drops @action's commands not sent yet (it failed). */
void         _ml_imap_client_drop_queued (MlImapClient *self, ImapAction *action);

void         _ml_imap_client_queue_session (MlImapClient *self, ImapCommand *cmd);
/* Login impossible or refused: every action fails, LOGOUT. */
void         _ml_imap_client_give_up_login (MlImapClient *self, const char *why);
/* A line after "+" in AUTHENTICATE (RFC 3501 6.2.2), with its event. */
void         _ml_imap_client_send_sasl_line (MlImapClient *self, ImapCommand *cmd,
                                             const char *line, const char *key);

/* ---- imap-client-auth.c ---- */

/* Capabilities are known and the client is not logged in: STARTTLS if
 * the TLS mode wants it, else LOGIN or AUTHENTICATE. */
void         _ml_imap_client_begin_login      (MlImapClient *self);
void         _ml_imap_client_on_starttls_done (MlImapClient *self, const MlImapResponse *r);
void         _ml_imap_client_on_login_done    (MlImapClient *self, const MlImapResponse *r);
/* "+" while AUTHENTICATE @cmd is in flight and has nothing queued. */
void         _ml_imap_client_sasl_challenge   (MlImapClient *self, ImapCommand *cmd,
                                               const MlImapResponse *r);

/* ---- imap-client-model.c ---- */

void         _ml_imap_client_set_caps    (MlImapClient *self, GStrv list);
/* A response code, in a tagged or untagged response. */
void         _ml_imap_client_on_code     (MlImapClient *self, const MlImapResponse *r);
void         _ml_imap_client_on_untagged (MlImapClient *self, const MlImapResponse *r);

/* ---- imap-client-actions.c ---- */

/* Start the next action if the session is ready for one. */
void         _ml_imap_client_proceed   (MlImapClient *self);
/* A command of @a completed; @resp is its tagged response. */
void         _ml_imap_action_command_done (MlImapClient *self, ImapAction *a,
                                           ImapCommand *cmd, const MlImapResponse *resp);
void         _ml_imap_action_finish    (MlImapClient *self, ImapAction *a, gboolean ok,
                                        MlImapStatus status, const char *text);
/* Every unfinished action fails with @text. */
void         _ml_imap_client_fail_all  (MlImapClient *self, MlImapStatus status,
                                        const char *text);
void         _ml_imap_action_free      (ImapAction *a);

/* ---- imap-client-local.c ---- */

MlImapLocalMailbox *_ml_imap_local_store_ensure   (MlImapLocalStore *self, const char *name);
MlImapLocalMailbox *_ml_imap_local_store_lookup   (MlImapLocalStore *self, const char *name);
/* Drops mailboxes not in @names (INBOX is kept). Returns how many. */
guint               _ml_imap_local_store_retain   (MlImapLocalStore *self, GPtrArray *names);
/* LIST said this of the mailbox: attributes (RFC 6154 special use among
 * them) and the hierarchy delimiter. */
void                _ml_imap_local_mailbox_set_list (MlImapLocalMailbox *mbox,
                                                     const char * const *attributes,
                                                     char delimiter);
MlImapLocalMessage *_ml_imap_local_mailbox_lookup (MlImapLocalMailbox *mbox, guint32 uid);
MlImapLocalMessage *_ml_imap_local_mailbox_ensure (MlImapLocalMailbox *mbox, guint32 uid,
                                                   gboolean *created);
gboolean            _ml_imap_local_mailbox_remove (MlImapLocalMailbox *mbox, guint32 uid);
guint               _ml_imap_local_mailbox_clear  (MlImapLocalMailbox *mbox);
guint32             _ml_imap_local_mailbox_max_uid (MlImapLocalMailbox *mbox);
/* TRUE when the set of flags changed (order and case aside). */
gboolean            _ml_imap_local_message_set_flags (MlImapLocalMessage *msg,
                                                      const char * const *flags);
/* Adds (@add) or removes @flags. TRUE when something changed. */
gboolean            _ml_imap_local_message_change_flags (MlImapLocalMessage *msg,
                                                         const char * const *flags,
                                                         gboolean add);
void                _ml_imap_local_message_set_header (MlImapLocalMessage *msg, GBytes *header);
void                _ml_imap_local_message_set_body   (MlImapLocalMessage *msg, GBytes *message);
MlImapLocalMessage *_ml_imap_local_message_copy   (const MlImapLocalMessage *msg, guint32 uid);
void                _ml_imap_local_message_free   (MlImapLocalMessage *msg);
/* The Subject: field of an RFC 5322 header, unfolded (RFC 5322 2.2.3),
 * NULL if none. Caller frees. */
char               *_ml_imap_header_dup_subject   (const char *header, gsize len);

G_END_DECLS

/* imap-server-private.h — what the imap-server*.c files share.
 *
 *   imap-server.c          bytes in (parser, literals, continuations),
 *                          responses and events out, states
 *   imap-server-view.c     the selected mailbox's view, the store
 *                          listener and the held updates (RFC 3501 7.4.1)
 *   imap-server-commands.c the command table, dispatch, any-state and
 *                          not-authenticated commands (LOGIN, AUTHENTICATE,
 *                          CAPABILITY, ID, …), NAMESPACE, QUOTA
 *   imap-server-mailbox.c  SELECT … APPEND, LIST, STATUS, CLOSE, EXPUNGE
 *   imap-server-fetch.c    FETCH and UID FETCH
 *   imap-server-store.c    STORE, COPY, MOVE, UID EXPUNGE
 *   imap-server-search.c   SEARCH and UID SEARCH
 *   imap-server-idle.c     IDLE and DONE
 *   imap-server-auth.c     STARTTLS, LOGIN, AUTHENTICATE and the login
 *                          policy (RFC 3501 6.2, RFC 2595, RFC 4959)
 * Not for other modules.
 */
#pragma once

#include "proto/imap-server.h"
#include "proto/imap-parser.h"
#include "proto/imap-sequence.h"

G_BEGIN_DECLS

/* States a command may run in, one bit per MlImapServerState. */
#define ML_IMAP_ALLOW_NOT_AUTH  (1u << ML_IMAP_SERVER_STATE_NOT_AUTHENTICATED)
#define ML_IMAP_ALLOW_AUTH      (1u << ML_IMAP_SERVER_STATE_AUTHENTICATED)
#define ML_IMAP_ALLOW_SELECTED  (1u << ML_IMAP_SERVER_STATE_SELECTED)
#define ML_IMAP_ALLOW_ANY       (ML_IMAP_ALLOW_NOT_AUTH | ML_IMAP_ALLOW_AUTH | ML_IMAP_ALLOW_SELECTED)
#define ML_IMAP_ALLOW_AUTHED    (ML_IMAP_ALLOW_AUTH | ML_IMAP_ALLOW_SELECTED)

typedef enum {
  ML_IMAP_CMD_NONE       = 0,
  ML_IMAP_CMD_UID        = 1 << 0,  /* has a "UID …" form (RFC 3501 6.4.8) */
  /* RFC 3501 7.4.1: no EXPUNGE while answering FETCH, STORE, SEARCH. */
  ML_IMAP_CMD_NO_EXPUNGE = 1 << 1,
  ML_IMAP_CMD_WRITES     = 1 << 2,  /* refused in a read-only (EXAMINE) mailbox */
} MlImapCommandFlags;

typedef enum {
  ML_IMAP_OK = 0,
  ML_IMAP_NO,
  ML_IMAP_BAD,
  ML_IMAP_BYE,
  ML_IMAP_PREAUTH,
} MlImapStatusKind;

typedef struct _MlImapCommand MlImapCommand;
typedef void (*MlImapCommandFunc) (MlImapServer *self, GPtrArray *args, guint first);

struct _MlImapCommand {
  const char        *name;
  MlImapCommandFunc  func;
  guint              allowed;   /* ML_IMAP_ALLOW_* */
  MlImapCommandFlags flags;
};

/* The client's view of the selected mailbox (RFC 3501 2.3.1.2): message
 * sequence number n is uids[n-1]. Only sending EXPUNGE shrinks it and only
 * sending EXISTS grows it, so numbers never change behind the client. */
typedef struct {
  MlMailbox  *mailbox;
  gboolean    read_only;         /* EXAMINE, or SELECT of a read-only box */
  GArray     *uids;              /* guint32, ascending */
  GHashTable *recent;            /* uid set: \Recent in this session */
  guint       recent_told;       /* last RECENT count sent */
  /* Held until a moment RFC 3501 7.4.1 allows. */
  GArray     *pending_new;       /* guint32 UIDs appended, not yet in uids */
  GHashTable *pending_expunge;   /* uid set: gone from the store, in uids */
  GHashTable *pending_flags;     /* uid set: flags changed by someone else */
} MlImapView;

struct _MlImapServer
{
  MlImapServerConfig config;        /* strings owned */
  MlMailStore       *store;
  guint              listener_id;
  MlImapServerWakeup wakeup;
  gpointer           wakeup_data;
  gint64             now_usec;

  MlImapServerState  state;
  gboolean           wants_close;
  MlImapParser      *parser;
  gboolean           skipping;       /* dropping a refused command */
  GString           *output;
  GQueue             events;         /* MlEngineEvent*, oldest first */
  gboolean           in_feed;        /* inside feed(): no wakeup needed */

  MlAccount         *account;
  MlImapView        *view;           /* SELECTED only */

  /* The command being answered. */
  const MlImapCommand *command;
  char              *tag;
  gboolean           uid_command;    /* "UID FETCH" etc. */
  gboolean           held_back;      /* output backlog: input waits */
  GArray            *own_expunged;   /* UIDs our own expunge removed */
  gconstpointer      saved_actor;

  /* Continuations that read a raw line instead of a command. */
  gboolean           auth_pending;   /* AUTHENTICATE awaits a response */
  /* TLS (RFC 3501 6.2.1): on, or asked for with START_TLS and not yet
   * started (input is dropped meanwhile). */
  gboolean           tls_active;
  gboolean           tls_pending;
  /* AUTHENTICATE in progress; sasl_final: SCRAM's server-final sent as a
   * last challenge, the empty answer awaited (RFC 4422 3.6). */
  MlSaslServer      *sasl;
  MlSaslMechanism    sasl_mechanism;
  gboolean           sasl_final;
  guint              auth_attempts;
  guint              auth_failures;
  guint              delay_ms;       /* for take_delay_ms() */
  gboolean           idling;         /* IDLE awaits DONE (RFC 2177) */
};

/* ---- imap-server.c ---- */

/* Bytes as a trace shows them: CRLF as "\n", valid UTF-8. Caller frees. */
char *_ml_imap_dup_event_text (const char *data, gsize len);

MlEngineEvent *_ml_imap_server_event_new (MlEngineEventKind kind, gboolean outgoing);
void  _ml_imap_server_push_event      (MlImapServer *self, MlEngineEvent *event);
void  _ml_imap_server_transaction     (MlImapServer *self, const char *explain_key,
                                       const char *format, ...) G_GNUC_PRINTF (3, 4);
void  _ml_imap_server_set_state       (MlImapServer *self, MlImapServerState state);

/* Response lines are written straight into self->output: begin returns
 * where the line starts, end adds the CRLF and the REPLY event for exactly
 * those bytes. @verb, @code may be NULL. */
gsize _ml_imap_server_line_begin      (MlImapServer *self);
void  _ml_imap_server_line_end        (MlImapServer *self, gsize start, const char *tag,
                                       const char *verb, const char *code,
                                       const char *explain_key);
/* "* <format>" as one untagged data line, @verb naming it for the event. */
void  _ml_imap_server_untagged        (MlImapServer *self, const char *verb,
                                       const char *format, ...) G_GNUC_PRINTF (3, 4);
/* A status response; @tag NULL for untagged. @code is what goes between
 * the brackets ("UIDNEXT 4"), or NULL. */
void  _ml_imap_server_status          (MlImapServer *self, const char *tag,
                                       MlImapStatusKind status, const char *code,
                                       const char *format, ...) G_GNUC_PRINTF (5, 6);
/* The current command's tagged completion. OK and NO first tell the held
 * updates the command allows (RFC 3501 7.4.1). */
void  _ml_imap_server_complete        (MlImapServer *self, MlImapStatusKind status,
                                       const char *code, const char *format,
                                       ...) G_GNUC_PRINTF (4, 5);
void  _ml_imap_server_continuation    (MlImapServer *self, const char *text);
void  _ml_imap_server_close           (MlImapServer *self, const char *reason);

/* "IMAP4rev1 LITERAL+ …" for CAPABILITY and the greeting. Caller frees. */
char *_ml_imap_server_dup_capabilities (MlImapServer *self);

/* ---- imap-server-view.c ---- */

void  _ml_imap_server_on_store_change (MlMailStore *store, const MlStoreChange *change,
                                       gpointer user_data);
/* The selected mailbox's view. */
void  _ml_imap_server_select_view     (MlImapServer *self, MlMailbox *mailbox,
                                       gboolean read_only);
void  _ml_imap_server_drop_view       (MlImapServer *self);
/* Sends what is held: EXPUNGEs when @allow_expunge, then EXISTS/RECENT,
 * then FETCH FLAGS (RFC 3501 7.3.1, 7.4.1). */
void  _ml_imap_server_flush_updates   (MlImapServer *self, gboolean allow_expunge);
/* 1-based sequence number of @uid in the view, 0 if it is not there.
 * O(log n). */
guint _ml_imap_server_uid_to_seq      (MlImapServer *self, guint32 uid);
/* Messages the client names with @set (sequence numbers, or UIDs for a
 * UID command), as ascending 1-based sequence numbers into the view.
 * FALSE if a sequence number is past the view (RFC 3501 9 "seq-number":
 * tagged BAD); UIDs that do not exist are simply not there. */
gboolean _ml_imap_server_resolve_set  (MlImapServer *self, const MlImapSequenceSet *set,
                                       gboolean uid, GArray *seqs_out);
/* The message behind sequence number @seq, NULL if another session
 * expunged it and the client has not been told (RFC 2180 4.1). */
MlMessage *_ml_imap_server_get_message (MlImapServer *self, guint seq);
gboolean _ml_imap_server_is_recent    (MlImapServer *self, guint32 uid);
/* Our own changes to the store are tagged with us as the actor. */
void  _ml_imap_server_begin_change    (MlImapServer *self);
void  _ml_imap_server_end_change      (MlImapServer *self);

/* ---- imap-server-auth.c ---- */

void  _ml_imap_cmd_starttls           (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_authenticate       (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_login              (MlImapServer *self, GPtrArray *args, guint first);
/* A line answering an AUTHENTICATE challenge (RFC 3501 6.2.2). */
void  _ml_imap_server_auth_response   (MlImapServer *self, const char *line, gsize len);
/* The AUTHENTICATE in progress is over (answered elsewhere). */
void  _ml_imap_server_end_sasl        (MlImapServer *self);
/* Plaintext logins allowed now: by configuration, or inside TLS. */
gboolean _ml_imap_server_plaintext_ok (MlImapServer *self);
/* STARTTLS, AUTH=… or LOGINDISABLED, for the capability list before
 * login (RFC 3501 6.2.1, 6.2.3, 7.2.1). */
void  _ml_imap_server_append_auth_capabilities (MlImapServer *self, GString *caps);

/* ---- imap-server-commands.c ---- */

void  _ml_imap_server_dispatch        (MlImapServer *self, GPtrArray *args);
/* Before "+": may this literal come? FALSE after answering the command. */
gboolean _ml_imap_server_check_literal (MlImapServer *self, GPtrArray *args_so_far,
                                        guint64 size, gboolean nonsync);
/* The session's account is @account from now on (RFC 3501 6.2). */
void  _ml_imap_server_login           (MlImapServer *self, MlAccount *account,
                                       const char *how);
/* Arguments after the command name; helpers answer BAD themselves when
 * they return FALSE. */
gboolean _ml_imap_server_no_more_args (MlImapServer *self, GPtrArray *args, guint i);
gboolean _ml_imap_server_get_astring  (MlImapServer *self, GPtrArray *args, guint i,
                                       const char **out, gsize *len);
gboolean _ml_imap_server_get_mailbox  (MlImapServer *self, GPtrArray *args, guint i,
                                       char **out);
MlImapSequenceSet *_ml_imap_server_get_sequence_set (MlImapServer *self, GPtrArray *args,
                                                     guint i);
/* Parses a flag list or single flag (RFC 3501 9 "flag-list") into system
 * flags and keywords; BAD on \Recent or an unknown system flag. */
gboolean _ml_imap_server_parse_flags  (MlImapServer *self, const MlImapArg *arg,
                                       gboolean allow_single, MlMessageFlags *flags,
                                       GPtrArray *keywords);
void  _ml_imap_server_append_flags    (MlImapServer *self, GString *out, MlMessage *message,
                                       guint32 uid);

/* Command handlers, by file. */
void  _ml_imap_cmd_select      (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_examine     (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_create      (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_delete      (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_rename      (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_subscribe   (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_unsubscribe (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_list        (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_lsub        (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_status      (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_append      (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_check       (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_close       (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_unselect    (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_expunge     (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_fetch       (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_store       (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_copy        (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_move        (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_search      (MlImapServer *self, GPtrArray *args, guint first);
void  _ml_imap_cmd_idle        (MlImapServer *self, GPtrArray *args, guint first);
/* A line read while in IDLE (RFC 2177 3: "DONE"). */
void  _ml_imap_server_idle_line (MlImapServer *self, const char *line, gsize len);

/* imap-server-mailbox.c: APPEND's checks before "+" (RFC 3501 6.3.11, 7.5);
 * answers the command itself when it returns FALSE. */
gboolean _ml_imap_server_check_append_literal (MlImapServer *self, GPtrArray *args,
                                               guint64 size);
/* Expunges @uids (NULL: every \Deleted message) of the selected mailbox,
 * telling the client each EXPUNGE unless @silent (CLOSE, RFC 3501 6.4.2). */
void  _ml_imap_server_expunge  (MlImapServer *self, GArray *uids, gboolean silent);

G_END_DECLS

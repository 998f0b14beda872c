/* imap-client.h — the IMAP client engine (RFC 3501, RFC 9051), sans-I/O.
 *
 * Fed the server's bytes, it hands out the bytes to send and events a
 * teacher can point at. It is what a mail program on a laptop or a phone
 * does: read the greeting, ask for CAPABILITY when the greeting did not
 * carry it, log in (LOGIN, or AUTHENTICATE PLAIN with SASL-IR), then run a
 * queue of high-level actions, the ones lessons use (imap-sync, imap-read,
 * imap-flag, …). Each action is a short sequence of commands and ends with
 * a result and a TRANSACTION event.
 *
 * The client keeps a model of what the device holds (MlImapLocalStore):
 * per mailbox its UIDVALIDITY and per UID the flags, the size and whether
 * the header and the body were downloaded. Untagged data updates it at any
 * time (RFC 3501 5.2: EXISTS, EXPUNGE and FETCH may come unasked), which is
 * how one device sees another's change during IDLE (RFC 2177).
 *
 * Commands are tagged "a1", "a2", … in order, so the same session gives
 * the same bytes every time.
 *
 * Events (all ML_PROTO_IMAP), named as the server names its own
 * (imap-server.h), so the two ends of a pair agree line for line:
 *   COMMAND  outgoing TRUE, once every byte of the command went out: line
 *            = the bytes without the final CRLF, the CRLFs before and
 *            inside literals as "\n" ("a1 LOGIN {13}\nbob@b.example …");
 *            verb = "LOGIN", "UID FETCH"; args = the rest after tag and
 *            verb. Key "imap.<verb lower>", "imap.uid.<cmd>". IDLE's "DONE"
 *            is one too (verb "DONE", "imap.done"), and so is an
 *            AUTHENTICATE response line sent after "+" (verb
 *            "AUTHENTICATE", "imap.authenticate.response" or ".cancel").
 *   REPLY    outgoing FALSE, one per response as received, literals
 *            included: line as above (made valid UTF-8); verb = "OK" …
 *            "BYE", the data name ("FETCH") or "+"; args = the tag, "*" or
 *            "+"; enhanced = the response code's atom; key "imap.ok",
 *            "imap.untagged.<data lower>", "imap.continuation".
 *   STATE    "imap.client.state.<name>".
 *   TRANSACTION  an action's end: "imap.client.action.<sync|read|…>" or
 *            "imap.client.action.failed", detail = the result's detail;
 *            and "imap.client.logged-in", ".login-failed", ".alert" (RFC
 *            3501 7.1 ALERT), ".uidvalidity-changed",
 *            ".malformed-response", ".tls-active".
 *   START_TLS  "imap.client.starttls": STARTTLS was answered OK; the owner
 *            runs the handshake and calls ml_imap_client_tls_started().
 *
 * TLS (RFC 3501 6.2.1): in the opportunistic and required modes the client
 * sends STARTTLS when CAPABILITY lists it (required: LOGOUT, no credential,
 * when it does not), forgets the capabilities after the handshake and asks
 * CAPABILITY again before logging in.
 *   CLOSE    "imap.client.close": done, close once the output is written.
 */
#pragma once

#include <glib.h>
#include "proto/engine-event.h"
#include "proto/imap-response.h"
#include "proto/sasl.h"

G_BEGIN_DECLS

/* A command line outside its literals, CRLF included (RFC 7162 4). A
 * command that would be longer fails before it is sent. */
#define ML_IMAP_CLIENT_MAX_COMMAND    8192
/* Untagged responses while the same commands are in progress. RFC 3501
 * sets no limit; a server that streams data and never completes a command
 * is stopped here. */
#define ML_IMAP_CLIENT_MAX_UNTAGGED   200000
/* Messages in the selected mailbox (EXISTS, RFC 3501 7.3.1). The client
 * keeps one sequence-number-to-UID slot per message, so a server announcing
 * 4 billion must not make it allocate them. */
#define ML_IMAP_CLIENT_MAX_EXISTS     1000000
/* RFC 7888 5: with LITERAL- only literals up to 4096 octets may be
 * non-synchronizing. */
#define ML_IMAP_CLIENT_LITERAL_MINUS_MAX 4096

typedef enum {
  ML_IMAP_CLIENT_AUTH_LOGIN = 0,  /* LOGIN user password (RFC 3501 6.2.3) */
  ML_IMAP_CLIENT_AUTH_PLAIN,      /* AUTHENTICATE PLAIN (RFC 4616, RFC 3501 6.2.2) */
  ML_IMAP_CLIENT_AUTH_SCRAM_SHA_256, /* AUTHENTICATE SCRAM-SHA-256 (RFC 7677):
                                        fails when not offered */
} MlImapClientAuth;

typedef enum {
  ML_IMAP_CLIENT_TLS_NONE = 0,       /* never STARTTLS */
  ML_IMAP_CLIENT_TLS_OPPORTUNISTIC,  /* STARTTLS when offered, else on in clear */
  ML_IMAP_CLIENT_TLS_REQUIRED,       /* STARTTLS or LOGOUT before any credential */
  ML_IMAP_CLIENT_TLS_IMPLICIT,       /* TLS from the first octet (993, RFC 8314) */
} MlImapClientTls;

typedef struct {
  const char       *username;          /* copied by _new() */
  const char       *password;
  MlImapClientAuth  auth;              /* LOGIN by default */
  gboolean          use_sasl_ir;       /* initial response in the AUTHENTICATE
                                          line when SASL-IR is offered (RFC 4959) */
  gboolean          use_literal_plus;  /* non-synchronizing literals when LITERAL+
                                          or LITERAL- is offered (RFC 7888) */
  gboolean          use_pipelining;    /* send commands without waiting where
                                          RFC 3501 5.5 allows it */
  gboolean          use_move;          /* UID MOVE when MOVE is offered (RFC 6851) */
  gboolean          use_uidplus;       /* UID EXPUNGE when UIDPLUS is offered (RFC 4315) */
  gboolean          fetch_envelope;    /* imap-sync fetches ENVELOPE instead of
                                          BODY.PEEK[HEADER] */
  gboolean          literal_strings;   /* send every string argument (user,
                                          password, mailbox) as a literal,
                                          where a quoted string would do: to
                                          show literals in a lesson */
  MlImapClientTls   tls;
  guint64           nonce_seed;        /* SCRAM's client nonce */
} MlImapClientConfig;

/* Everything TRUE except literal_strings and fetch_envelope; LOGIN; no
 * TLS. */
void ml_imap_client_config_init (MlImapClientConfig *config);

/* RFC 3501 3, plus the waits a teacher wants to see. */
typedef enum {
  ML_IMAP_CLIENT_STATE_GREETING = 0,      /* waiting for the server to speak */
  ML_IMAP_CLIENT_STATE_NOT_AUTHENTICATED, /* RFC 3501 3.1 */
  ML_IMAP_CLIENT_STATE_AUTHENTICATED,     /* RFC 3501 3.2 */
  ML_IMAP_CLIENT_STATE_SELECTED,          /* RFC 3501 3.3 */
  ML_IMAP_CLIENT_STATE_IDLE,              /* IDLE accepted, waiting for news (RFC 2177) */
  ML_IMAP_CLIENT_STATE_LOGOUT,            /* RFC 3501 3.4: LOGOUT sent or BYE received */
  ML_IMAP_CLIENT_STATE_DONE,              /* nothing more to say; close */
} MlImapClientState;

const char *ml_imap_client_state_to_string (MlImapClientState state);

/* ---- the device's local copy ---- */

typedef struct {
  guint32  uid;
  GStrv    flags;       /* as the server last said; never NULL */
  guint64  size;        /* RFC822.SIZE, 0 until known */
  char    *subject;     /* from the header or ENVELOPE, unfolded, encoded
                           words left as they are; NULL until known */
  GBytes  *header;      /* the header as fetched (BODY[HEADER]), NULL if not */
  GBytes  *body;        /* the whole message (BODY[]), NULL until read */
} MlImapLocalMessage;

typedef struct {
  char      *name;        /* "INBOX", "Projects" */
  GStrv      attributes;  /* from LIST ("\HasNoChildren", "\Sent"); never NULL */
  char      *special_use; /* the RFC 6154 2 attribute ("\Sent"), NULL if none */
  char       delimiter;   /* hierarchy delimiter, 0 if none or unknown */
  guint32    uidvalidity; /* 0 until the mailbox was selected */
  guint32    uidnext;     /* as SELECT said, 0 if unknown */
  guint32    exists;      /* messages on the server, as last heard */
  GPtrArray *messages;    /* MlImapLocalMessage*, by ascending UID */
} MlImapLocalMailbox;

typedef struct _MlImapLocalStore MlImapLocalStore;

/* What one device holds; it outlives a session, so a device that connects
 * again resumes from it (RFC 4549 4). */
MlImapLocalStore         *ml_imap_local_store_new           (void);
void                      ml_imap_local_store_free          (MlImapLocalStore *self);
/* Borrowed; NULL when the device knows no such mailbox. INBOX in any case. */
const MlImapLocalMailbox *ml_imap_local_store_get_mailbox   (MlImapLocalStore *self,
                                                             const char *name);
/* Borrowed: MlImapLocalMailbox*, in the order LIST gave them. */
GPtrArray                *ml_imap_local_store_get_mailboxes (MlImapLocalStore *self);
/* A few lines a trace can carry and a view can show ("what the laptop
 * has"), one per mailbox:
 *   INBOX uidvalidity 7 uidnext 4: 1 (\Seen) header body; 2 () header
 * Caller frees. */
char                     *ml_imap_local_store_dup_summary   (MlImapLocalStore *self);
/* Borrowed; NULL when absent. */
const MlImapLocalMessage *ml_imap_local_mailbox_find_uid    (const MlImapLocalMailbox *mailbox,
                                                             guint32 uid);
/* Case-insensitive, as flags compare (RFC 3501 2.3.2). */
gboolean                  ml_imap_local_message_has_flag    (const MlImapLocalMessage *message,
                                                             const char *flag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlImapLocalStore, ml_imap_local_store_free)

/* ---- actions ---- */

/* The lesson actions (lessons/README.md), same order as MlLessonActionKind
 * from ML_LESSON_ACTION_IMAP_SYNC on. */
typedef enum {
  ML_IMAP_ACTION_SYNC = 0,       /* LIST, SELECT, headers of what is new, flags of the rest */
  ML_IMAP_ACTION_READ,           /* UID FETCH n (BODY[]): sets \Seen (RFC 3501 6.4.5) */
  ML_IMAP_ACTION_FLAG,           /* UID STORE n +FLAGS / -FLAGS */
  ML_IMAP_ACTION_MOVE,           /* UID MOVE, or UID COPY + \Deleted + EXPUNGE */
  ML_IMAP_ACTION_SEARCH,         /* UID SEARCH criteria */
  ML_IMAP_ACTION_DELETE,         /* \Deleted, then EXPUNGE unless told not to */
  ML_IMAP_ACTION_IDLE,           /* IDLE until the server pushes news */
  ML_IMAP_ACTION_CREATE_FOLDER,  /* CREATE */
  ML_IMAP_ACTION_LOGOUT,         /* LOGOUT */
} MlImapActionKind;

const char *ml_imap_action_kind_to_string (MlImapActionKind kind); /* "imap-sync" */

/* Which message(s): uids if given; else the first whose Subject contains
 * subject; else (READ) the first without \Seen. The device looks in its
 * local copy first and asks the server (UID SEARCH) when it has no match. */
typedef struct {
  MlImapActionKind    kind;
  const char         *mailbox;      /* acted in; NULL: "INBOX" */
  const guint32      *uids;
  guint               n_uids;
  const char         *subject;
  gboolean            first_unseen;
  const char * const *flags;        /* FLAG: "\Flagged", "$Important" */
  gboolean            set;          /* FLAG: TRUE +FLAGS, FALSE -FLAGS */
  const char         *folder;       /* MOVE: destination; CREATE_FOLDER: name */
  const char         *criteria;     /* SEARCH: keys as IMAP writes them */
  gboolean            expunge;      /* DELETE: EXPUNGE after \Deleted */
} MlImapAction;

/* Zeroes @action and sets set and expunge TRUE. */
void ml_imap_action_init (MlImapAction *action, MlImapActionKind kind);

typedef struct {
  guint             index;
  MlImapActionKind  kind;
  gboolean          finished;
  gboolean          ok;
  MlImapStatus      status;     /* the completion that decided: OK, NO, BAD;
                                   NONE when the client decided itself */
  char             *text;       /* its text, or why the client gave up */
  char             *mailbox;
  GArray           *uids;       /* guint32. READ/FLAG/MOVE/DELETE: the
                                   messages acted on; SEARCH: what it found */
  GArray           *new_uids;   /* guint32. MOVE: the UIDs in the destination
                                   (COPYUID, RFC 4315 3); empty if not told */
  guint32           dest_uidvalidity;
  guint             n_new;      /* SYNC, IDLE: messages whose header arrived */
  guint             n_changed;  /* SYNC: local messages whose flags changed */
  guint             n_removed;  /* SYNC: local copies dropped (expunged, or
                                   the UIDVALIDITY changed) */
  gboolean          uidvalidity_changed;
  gboolean          woken;      /* IDLE: the server pushed news (FALSE: the
                                   owner stopped it) */
  char             *detail;     /* the TRANSACTION event's text */
} MlImapActionResult;

/* ---- the engine ---- */

typedef struct _MlImapClient MlImapClient;

/* @local: the device's copy (borrowed; it must outlive the client), or
 * NULL for one the client keeps itself. */
MlImapClient *ml_imap_client_new          (const MlImapClientConfig *config,
                                           MlImapLocalStore *local);
void          ml_imap_client_free         (MlImapClient *self);
/* Copies @action. Returns its index for get_result(). Actions run one
 * after the other; one queued during IDLE ends the IDLE first (DONE). One
 * queued after the session ended fails at once. */
guint         ml_imap_client_add_action   (MlImapClient *self,
                                           const MlImapAction *action);
/* Returns how many bytes were taken: all of them, or 0 once done. */
gsize         ml_imap_client_feed         (MlImapClient *self,
                                           const guint8 *data, gsize len);
/* Moves the next event into @event_out (clear it with
 * ml_engine_event_clear()). FALSE when there is none. */
gboolean      ml_imap_client_next_event   (MlImapClient *self,
                                           MlEngineEvent *event_out);
GBytes       *ml_imap_client_take_output  (MlImapClient *self);  /* transfer full; NULL if nothing */
/* LOGOUT answered, BYE received, or the session failed: the owner may
 * close once the output is drained. */
gboolean      ml_imap_client_is_done      (MlImapClient *self);
/* The connection broke: every unfinished action fails. */
void          ml_imap_client_connection_lost (MlImapClient *self);
/* The owner's IDLE timeout (RFC 2177 3: at most 29 minutes) or any other
 * reason to stop waiting: sends DONE. Nothing happens when not idling. */
void          ml_imap_client_stop_idle    (MlImapClient *self);
/* IDLE accepted ("+") and DONE not sent yet. */
gboolean      ml_imap_client_is_idling    (MlImapClient *self);
/* The handshake START_TLS asked for is done: the client asks CAPABILITY
 * again (RFC 3501 6.2.1). Bytes fed since START_TLS were dropped. */
void          ml_imap_client_tls_started  (MlImapClient *self);
gboolean      ml_imap_client_is_tls       (MlImapClient *self);
MlImapClientState ml_imap_client_get_state (MlImapClient *self);
guint         ml_imap_client_get_n_actions (MlImapClient *self);
/* Borrowed; valid until the client is freed. NULL for a bad index. */
const MlImapActionResult *ml_imap_client_get_result (MlImapClient *self, guint index);
/* Actions queued and not finished yet. */
guint         ml_imap_client_get_n_pending (MlImapClient *self);
/* The server's capabilities as last announced, upper-cased (borrowed,
 * empty before any). */
const char * const *ml_imap_client_get_capabilities (MlImapClient *self);
gboolean      ml_imap_client_has_capability (MlImapClient *self, const char *name);
/* The selected mailbox (borrowed), NULL when none. */
const char   *ml_imap_client_get_selected (MlImapClient *self);
/* The device's copy of @mailbox (borrowed), NULL if it has none. */
const MlImapLocalMailbox *ml_imap_client_get_local (MlImapClient *self,
                                                    const char *mailbox);
MlImapLocalStore *ml_imap_client_get_local_store (MlImapClient *self); /* borrowed */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlImapClient, ml_imap_client_free)

G_END_DECLS

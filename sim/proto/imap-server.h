/* imap-server.h — the IMAP4rev1 server engine (RFC 3501), sans-I/O.
 *
 * One engine per connection, over one MlMailStore shared with the MDA, POP3
 * and the other IMAP sessions. It is fed the client's bytes and hands out
 * response bytes and MlEngineEvents; no socket, clock or file.
 *
 *   server = ml_imap_server_new (store, &config);
 *   ml_imap_server_set_wakeup (server, schedule_pump, owner);  // IDLE push
 *   ml_imap_server_start (server);                 // "* OK [CAPABILITY …] …"
 *   loop:
 *     ml_imap_server_set_now (server, clock_usec); // APPEND's internal date
 *     ml_imap_server_feed (server, bytes, len);
 *     while (ml_imap_server_next_event (server, &ev)) { …; ml_engine_event_clear (&ev); }
 *     out = ml_imap_server_take_output (server);   // write it, unref it
 *     if (ml_imap_server_wants_close (server)) close once out is written;
 *   on a reset/EOF: ml_imap_server_connection_lost (server);
 *
 * Extensions: LITERAL+ (RFC 7888), SASL-IR (RFC 4959), ID (RFC 2971), IDLE
 * (RFC 2177), MOVE (RFC 6851), UIDPLUS (RFC 4315), UNSELECT (RFC 3691),
 * NAMESPACE (RFC 2342), SPECIAL-USE (RFC 6154), CHILDREN (RFC 3348), QUOTA
 * (RFC 9208, STORAGE in KiB), APPENDLIMIT (RFC 7889), response codes of
 * RFC 5530. STARTTLS (RFC 3501 6.2.1, RFC 2595 3.1) when configured, and
 * AUTHENTICATE with the mechanisms of sasl.h (PLAIN, LOGIN, SCRAM-SHA-256).
 *
 * TLS and logins: after "OK Begin TLS negotiation now" the engine queues a
 * START_TLS event (imap.starttls.begin), reads nothing until the owner
 * calls ml_imap_server_tls_started(), and drops whatever the client had
 * pipelined after STARTTLS (imap.tls.discarded). Capabilities change with
 * TLS: STARTTLS and LOGINDISABLED go, the plaintext AUTH= appear. A failed
 * login is NO [AUTHENTICATIONFAILED] (RFC 5530) and asks the owner for a
 * delay (take_delay_ms(), event imap.auth.failed).
 *
 * Other sessions: changes the store reports for the selected mailbox are
 * held and told only when RFC 3501 allows (7.4.1, 5.2, 5.5): at the end of a
 * command, never an EXPUNGE while answering FETCH, STORE or SEARCH (nor
 * their UID forms), and at once while the client is in IDLE (RFC 2177).
 * Sequence numbers are the client's: a message leaves the session's view
 * only when its EXPUNGE is sent.
 *
 * Events (all ML_PROTO_IMAP):
 *   COMMAND  one per complete command, outgoing FALSE: line = the command's
 *            bytes, literals included, CRLFs inside as "\n", without the
 *            final CRLF; verb = the command upper-cased ("FETCH",
 *            "UID FETCH"; NULL if unreadable); args = the rest after tag and
 *            command. Explain key "imap.<command lower>", "imap.uid.<cmd>"
 *            for UID commands, "imap.unknown". Sent once the whole command
 *            is in: after the "+" that asked for its literal.
 *            IDLE's "DONE" and an AUTHENTICATE response line are COMMAND
 *            events too (verb "DONE", "AUTHENTICATE" with key
 *            "imap.done", "imap.authenticate.response").
 *   REPLY    one per response line as sent, outgoing TRUE: line = its exact
 *            bytes without the final CRLF, a literal's CRLFs as "\n" (so
 *            every byte written is in exactly one event, when the bytes are
 *            UTF-8: anything else is made valid with U+FFFD). One
 *            ambiguity is left: a literal's own bare LF (a partial FETCH
 *            that cuts a CRLF in two, "BODY[]<4.3>", or a message stored
 *            with bare LFs — APPEND stores CRLF) reads like a CRLF here;
 *            compare with CRLF taken as LF on both sides. code 0.
 *              verb  = "OK" "NO" "BAD" "BYE" "PREAUTH" for status
 *                      responses, the data name for untagged data
 *                      ("EXISTS", "FETCH", "LIST", "CAPABILITY", …), "+" for
 *                      a continuation request;
 *              args  = the tag, "*" when untagged, "+" for continuation;
 *              enhanced = the response code's atom ("UIDNEXT", "OVERQUOTA")
 *                      or NULL;
 *              explain key "imap.ok" "imap.no" "imap.bad" "imap.bye"
 *                      "imap.preauth" for status responses (tagged or not),
 *                      "imap.untagged.<data lower>" for data,
 *                      "imap.continuation".
 *   STATE    "imap.state.<name>": not-authenticated → authenticated →
 *            selected → logout (RFC 3501 3), and back to authenticated on
 *            CLOSE/UNSELECT or a failed SELECT.
 *   TRANSACTION  facts: "imap.transaction.append" (appended as UID n),
 *            "imap.transaction.expunge", "imap.transaction.login".
 *   CLOSE    the engine wants the connection closed (imap.close).
 */
#pragma once

#include <glib.h>
#include "mail/mail-store.h"
#include "proto/engine-event.h"
#include "proto/sasl.h"

G_BEGIN_DECLS

/* One APPEND message by default; advertised as APPENDLIMIT (RFC 7889). */
#define ML_IMAP_MAX_APPEND        (32 * 1024 * 1024)
/* Literals of every other command: astrings and search strings are short.
 * RFC 7888 4 lets servers keep non-APPEND literals much smaller. */
#define ML_IMAP_MAX_COMMAND_LITERAL (64 * 1024)
/* SEARCH keys nest through NOT, OR and parentheses (RFC 3501 6.4.4); our
 * bound keeps evaluation from recursing without end. */
#define ML_IMAP_MAX_SEARCH_DEPTH  16
/* RFC 2971 3.3: at most 30 field-value pairs, field 30 octets, value 1024. */
#define ML_IMAP_ID_MAX_PAIRS      30
#define ML_IMAP_ID_MAX_FIELD      30
#define ML_IMAP_ID_MAX_VALUE      1024
/* RFC 4616 2: authzid, authcid and passwd up to 255 octets each, so a
 * PLAIN message is at most 767 octets, 1024 in base64. */
#define ML_IMAP_MAX_SASL_LINE     1024
/* After a failed login the owner holds the answer back, doubling from
 * the configured delay up to this (RFC 4954 6 and RFC 5034 8 say why;
 * RFC 3501 6.2.3 leaves it to the server). */
#define ML_IMAP_MAX_AUTH_DELAY_MS 16000
/* Output not yet taken by the owner past which no further pipelined
 * command is started (our own bound, not an RFC's): a client asking for
 * "FETCH 1:* BODY[]" a hundred times in one packet is answered as the owner
 * drains the output, not all at once into memory. */
#define ML_IMAP_MAX_OUTPUT_BACKLOG (8 * 1024 * 1024)

typedef struct _MlImapServer MlImapServer;

/* RFC 3501 3; names (for explain keys and get_state_name) in brackets. */
typedef enum {
  ML_IMAP_SERVER_STATE_INIT = 0,           /* [init] before start() */
  ML_IMAP_SERVER_STATE_NOT_AUTHENTICATED,  /* [not-authenticated] */
  ML_IMAP_SERVER_STATE_AUTHENTICATED,      /* [authenticated] */
  ML_IMAP_SERVER_STATE_SELECTED,           /* [selected] */
  ML_IMAP_SERVER_STATE_LOGOUT,             /* [logout] after LOGOUT, BYE or a
                                              lost connection */
} MlImapServerState;

typedef struct {
  const char *hostname;               /* in the greeting (copied) */
  const char *greeting;               /* text after the hostname (copied) */
  /* LOGIN and AUTHENTICATE PLAIN/LOGIN send the password in the clear.
   * FALSE advertises LOGINDISABLED and refuses them with PRIVACYREQUIRED
   * until TLS is on (RFC 3501 6.2.3, 7.2.1; RFC 5530 3; RFC 8314); inside
   * TLS they are always allowed. */
  gboolean    allow_plaintext_login;
  /* STARTTLS (RFC 3501 6.2.1): advertised before TLS, and answered. */
  gboolean    offer_starttls;
  /* TLS from the first octet (993, RFC 8314 3.3): no STARTTLS. */
  gboolean    implicit_tls;
  /* AUTHENTICATE: one bit (1u << MlSaslMechanism) per mechanism offered
   * as AUTH=…; 0 refuses every AUTHENTICATE. */
  guint       sasl_mechanisms;
  /* Whose credentials: NULL checks the store's accounts (their password,
   * with SCRAM keys derived from it). The account logged in is the
   * store's account of that name. */
  MlSaslLookupFunc lookup;
  gpointer    lookup_data;
  /* Seeds SCRAM's server nonces (seeded RNG in a simulation). */
  guint64     nonce_seed;
  /* The delay asked of the owner after the first failed login (ms). */
  guint       auth_failure_delay_ms;
  guint64     max_append_size;        /* 0: ML_IMAP_MAX_APPEND */
  /* Offered as LITERAL+; FALSE makes every literal synchronizing (a
   * teaching switch: the "+" round trip shows up in the ladder). */
  gboolean    offer_literal_plus;
  /* The store's account to log in without credentials ("PREAUTH",
   * RFC 3501 7.1.4), e.g. for a local console; NULL for none (copied). */
  const char *preauth_user;
} MlImapServerConfig;

/* hostname "localhost", greeting "IMAP4rev1 maillab ready", plaintext
 * login allowed, APPEND up to ML_IMAP_MAX_APPEND, LITERAL+ offered; no
 * STARTTLS, AUTH=PLAIN only, store accounts, a failed login delayed
 * 1000 ms. */
void          ml_imap_server_config_init  (MlImapServerConfig *config);

/* @store is borrowed and must outlive the engine; @config is copied. */
MlImapServer *ml_imap_server_new          (MlMailStore              *store,
                                           const MlImapServerConfig *config);
void          ml_imap_server_free         (MlImapServer *self);

/* Called when the engine has events or output that no feed() caused:
 * another session's change pushed to a client in IDLE, or pipelined
 * commands taken up again after take_output() relieved the backlog. It
 * runs inside a store notification, i.e. inside someone else's
 * mutation: schedule the drain, do not feed or free the engine from it. */
typedef void (*MlImapServerWakeup) (MlImapServer *server, gpointer user_data);
void          ml_imap_server_set_wakeup   (MlImapServer      *self,
                                           MlImapServerWakeup func,
                                           gpointer           user_data);

/* The owner's clock, microseconds since the epoch: the internal date of
 * an APPEND without one (RFC 3501 6.3.11). Until set: the epoch. */
void          ml_imap_server_set_now      (MlImapServer *self, gint64 unix_usec);

/* Queues the greeting: "* OK [CAPABILITY …]", or "* PREAUTH" with
 * config.preauth_user (RFC 3501 7.1.1, 7.1.4). */
void          ml_imap_server_start        (MlImapServer *self);
/* Takes the client's bytes and answers every complete command in them, in
 * order. Returns @len (the bytes are kept, possibly for later), or 0 once
 * the engine wants the connection closed. */
gsize         ml_imap_server_feed         (MlImapServer *self,
                                           const guint8 *data,
                                           gsize         len);
/* Pops the oldest event into @event_out (clear it with
 * ml_engine_event_clear()). FALSE when there is none. */
gboolean      ml_imap_server_next_event   (MlImapServer  *self,
                                           MlEngineEvent *event_out);
/* All response bytes queued so far (transfer full), NULL if none. May take
 * up pipelined commands held back by ML_IMAP_MAX_OUTPUT_BACKLOG; their
 * output is announced through the wakeup callback. */
GBytes       *ml_imap_server_take_output  (MlImapServer *self);
/* TRUE after LOGOUT or BYE: close once the output is written. */
gboolean      ml_imap_server_wants_close  (MlImapServer *self);

/* The owner's reasons to end the session (autologout, shutdown): an
 * untagged BYE (RFC 3501 7.1.5) with @text (NULL: "Server shutting
 * down"), then close. */
void          ml_imap_server_shutdown     (MlImapServer *self, const char *text);
/* "* OK [ALERT] @text" now (RFC 3501 7.1): a notice the client must show
 * its user, e.g. a lesson's "maintenance at 17:00". */
void          ml_imap_server_send_alert   (MlImapServer *self, const char *text);
/* The peer vanished. Nothing is lost that a command completed; an APPEND
 * whose literal had not all arrived appends nothing. Safe twice. */
void          ml_imap_server_connection_lost (MlImapServer *self);

/* The handshake START_TLS asked for is done (RFC 3501 6.2.1): input is
 * read again, as protected. Bytes fed since START_TLS were dropped. */
void          ml_imap_server_tls_started        (MlImapServer *self);
/* TRUE once TLS is on (implicit, or after STARTTLS). */
gboolean      ml_imap_server_is_tls             (MlImapServer *self);
/* How long the owner should wait before writing the output it takes next
 * (ms): non-zero right after a failed login, then reset. */
guint         ml_imap_server_take_delay_ms      (MlImapServer *self);
/* Failed logins in this session (LOGIN and AUTHENTICATE). */
guint         ml_imap_server_get_n_auth_failures (MlImapServer *self);

MlImapServerState ml_imap_server_get_state      (MlImapServer *self);
const char   *ml_imap_server_get_state_name     (MlImapServer *self);      /* static */
const char   *ml_imap_server_state_to_string    (MlImapServerState state); /* static */
/* After LOGIN/AUTHENTICATE, else NULL. Borrowed. */
MlAccount    *ml_imap_server_get_account        (MlImapServer *self);
/* The selected mailbox, else NULL. Borrowed. */
MlMailbox    *ml_imap_server_get_selected       (MlImapServer *self);
/* TRUE while the client is in IDLE: an owner's autologout timer is 30
 * minutes then, or longer (RFC 2177 3, RFC 3501 5.4). */
gboolean      ml_imap_server_is_idling          (MlImapServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlImapServer, ml_imap_server_free)

G_END_DECLS

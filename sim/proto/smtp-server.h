/* smtp-server.h — the SMTP server engine (RFC 5321), sans-I/O.
 *
 * One engine per connection. It is fed the client's bytes and hands out the
 * reply bytes and MlEngineEvents; it never touches a socket, a clock or a
 * file. What the owner decides (which senders and recipients to take, where
 * an accepted message goes) comes in through MlSmtpServerPolicy, a set of
 * synchronous callbacks, so the engine stays a pure function of its input.
 *
 *   server = ml_smtp_server_new (&config, &policy, owner);
 *   ml_smtp_server_start (server);                 // queues "220 …"
 *   loop:
 *     ml_smtp_server_set_now (server, clock_usec); // for Received: dates
 *     ml_smtp_server_feed (server, bytes, len);
 *     while (ml_smtp_server_next_event (server, &ev)) { …; ml_engine_event_clear (&ev); }
 *     out = ml_smtp_server_take_output (server);   // write it, unref it
 *     if (ml_smtp_server_wants_close (server)) close once out is written;
 *   on a reset/EOF: ml_smtp_server_connection_lost (server);
 *
 * Accepted mail is never lost: the 250 after DATA is sent only when the
 * owner's accept_message() callback said so (RFC 5321 4.1.1.4, 6.1).
 *
 * Events (all ML_PROTO_SMTP):
 *   COMMAND      every command line received; verb upper-cased, explain key
 *                "smtp.<verb>" ("smtp.unknown" when not recognised,
 *                "smtp.pasted-header" for a header line sent as a command)
 *   REPLY        every reply sent; code, enhanced code, the whole text with
 *                lines joined by "\n"; explain key "smtp.reply.<code>"
 *   STATE        explain key "smtp.state.<name>", names below
 *   DATA         the message content, summarised ("1234 octets, 18 lines")
 *   TRANSACTION  "queued as <id>" (smtp.transaction.queued), or an open
 *                transaction dropped by a lost connection
 *                (smtp.transaction.aborted)
 *   CLOSE        the engine wants the connection closed (smtp.close)
 *   START_TLS    after "220 2.0.0 Ready to start TLS" (smtp.starttls)
 *
 * STARTTLS (RFC 3207), when config.tls is ML_SMTP_TLS_STARTTLS. On the
 * START_TLS event the owner writes the output taken so far in the clear,
 * runs the TLS handshake as server, and then calls
 * ml_smtp_server_tls_started(); from then on it feeds the decrypted bytes.
 * Until then the engine takes nothing: any byte fed after the STARTTLS
 * line, pipelined in the same packet or fed before tls_started(), is
 * discarded (RFC 3207 4.2 and the STARTTLS command injection bug class,
 * CVE-2011-0411), with a TRANSACTION event smtp.starttls.discarded. After
 * tls_started() (which queues a TRANSACTION event smtp.tls.established and
 * no bytes) the session is as before EHLO (RFC 3207 4.2: everything learnt
 * from the client is forgotten, the client speaks first with EHLO). If the handshake fails, the owner
 * closes the connection (RFC 3207 4.1). ML_SMTP_TLS_IMPLICIT (RFC 8314
 * 3.3): the owner runs the handshake before start(); the session is
 * protected from the first byte and STARTTLS is not offered.
 *
 * AUTH (RFC 4954), when config.auth_mechanisms is not 0. Credentials come
 * from policy.lookup_secret. COMMAND events show AUTH lines and the
 * client's responses as sent — base64, which is an encoding, not
 * encryption; a plaintext mechanism completed outside TLS adds a
 * TRANSACTION event smtp.auth.cleartext saying whose password went in
 * clear. Each outcome is a TRANSACTION event smtp.auth.<mechanism>. After
 * a failure (535), ml_smtp_server_failure_delay() says how long the owner
 * must hold the output before writing it (the engine has no clock).
 */
#pragma once

#include <glib.h>
#include "proto/engine-event.h"
#include "proto/smtp-path.h"
#include "proto/sasl.h"
#include "mail/dsn.h"

G_BEGIN_DECLS

#define ML_SMTP_MAX_COMMAND_LINE  512   /* octets incl. CRLF, RFC 5321 4.5.3.1.4 */
#define ML_SMTP_MAX_TEXT_LINE     1000  /* octets incl. CRLF, without the
                                           transparency dot, RFC 5321 4.5.3.1.6 */
#define ML_SMTP_MAX_REPLY_LINE    512   /* octets incl. CRLF, RFC 5321 4.5.3.1.5 */
#define ML_SMTP_MIN_RECIPIENTS    100   /* RFC 5321 4.5.3.1.8: at least this many */
/* RFC 4954 4: a line of the AUTH exchange may be far longer than a
 * command; 12288 octets is the RFC's "sufficient" buffer. */
#define ML_SMTP_MAX_AUTH_LINE     12288
/* RFC 4954 3 (5): the AUTH= parameter lengthens MAIL by 500 characters. */
#define ML_SMTP_AUTH_PARAM_EXTRA  500
/* RFC 3461 5.4: " NOTIFY=" + 28 and " ORCPT=" + 500 characters on RCPT
 * (more than " RET=" + 8 and " ENVID=" + 100 on MAIL). */
#define ML_SMTP_DSN_PARAM_EXTRA   (8 + 28 + 7 + 500)
/* AUTH failures a session gets before a 421 and the close. No RFC sets
 * it (RFC 4954 4 leaves retrying to the server); Postfix's
 * smtpd_hard_error_limit is the same idea. */
#define ML_SMTP_MAX_AUTH_FAILURES 3

typedef struct _MlSmtpServer MlSmtpServer;

typedef enum {
  ML_SMTP_TLS_NONE = 0,   /* no TLS: STARTTLS is not implemented (502) */
  ML_SMTP_TLS_STARTTLS,   /* STARTTLS offered in EHLO (RFC 3207) */
  ML_SMTP_TLS_IMPLICIT,   /* TLS from the first byte (RFC 8314 3.3, port 465) */
} MlSmtpServerTls;

/* States, in the order a transaction walks them. Names (for explain keys
 * and get_state_name) in brackets. */
typedef enum {
  ML_SMTP_SERVER_STATE_INIT = 0,   /* [init] before start() */
  ML_SMTP_SERVER_STATE_GREETING,   /* [greeting] 220 sent, no EHLO/HELO yet */
  ML_SMTP_SERVER_STATE_READY,      /* [ready] greeted, no transaction */
  ML_SMTP_SERVER_STATE_MAIL,       /* [mail] MAIL accepted, no recipient yet */
  ML_SMTP_SERVER_STATE_RCPT,       /* [rcpt] at least one recipient accepted */
  ML_SMTP_SERVER_STATE_DATA,       /* [data] 354 sent, reading the message */
  ML_SMTP_SERVER_STATE_QUIT,       /* [quit] the session is over: after QUIT,
                                      a 421/521/fatal reply, or a lost
                                      connection */
} MlSmtpServerState;

typedef enum {
  ML_SMTP_BODY_NONE = 0,  /* no BODY= given: 7-bit by RFC 5321 */
  ML_SMTP_BODY_7BIT,      /* BODY=7BIT, RFC 6152 */
  ML_SMTP_BODY_8BITMIME,  /* BODY=8BITMIME, RFC 6152 */
} MlSmtpBody;

/* The owner's answer to a question the engine asked. The engine fills
 * code = 0 (meaning "accept, with the engine's usual reply"), enhanced = ""
 * and an empty text; the owner sets what it wants, usually with
 * ml_smtp_verdict_set(). Text lines are separated by "\n" for a multi-line
 * reply; the engine adds the codes, the enhanced code when
 * ENHANCEDSTATUSCODES is offered (RFC 2034 4), and turns controls into "?"
 * and cuts lines at ML_SMTP_MAX_REPLY_LINE. An empty enhanced code gets a
 * default for the code and the command (e.g. 2.1.5 for RCPT 250, X.0.0 for
 * an error). */
typedef struct {
  guint    code;          /* 0, or 2yz / 4yz / 5yz */
  char     enhanced[16];  /* "5.1.1" or "" */
  GString *text;          /* owned by the engine */
  gboolean deferred;      /* set by ml_smtp_verdict_defer() only */
} MlSmtpVerdict;

void ml_smtp_verdict_set (MlSmtpVerdict *verdict,
                          guint          code,
                          const char    *enhanced,   /* NULL or "" for the default */
                          const char    *format,
                          ...) G_GNUC_PRINTF (4, 5);

/* Deferring the verdict at the end of the data (accept_message only,
 * and only in SMTP, not LMTP): the owner has checks to run that take
 * time — DNS lookups for SPF, DKIM and DMARC, as a milter or OpenDMARC
 * does at exactly this point — and answers later with
 * ml_smtp_server_complete_message(). Until then the engine sends no
 * reply to the final "." (or BDAT LAST) and reads no further input: a
 * pipelined command waits (RFC 2920 3.1: the reply to DATA's content
 * comes before any reply to what follows it). The envelope and message
 * given to accept_message are borrowed for the callback only: keep what
 * you need (g_bytes_ref the message). The engine reports with
 * policy.deferred_dropped if the session ends before the answer. */
void ml_smtp_verdict_defer (MlSmtpVerdict *verdict);

/* What a RCPT asked of the DSN extension (RFC 3461 4.1, 4.2). */
typedef struct {
  MlDsnNotify  notify;  /* 0 when no NOTIFY was given */
  char        *orcpt;   /* "rfc822;bob@b.example", xtext decoded; NULL if none */
} MlSmtpRecipientDsn;

/* One mail transaction as the owner sees it when the message is complete.
 * Everything is borrowed and valid only during the callback. */
typedef struct {
  const char *id;              /* this transaction's id: in our Received:
                                  header and in "queued as" */
  const char *helo_name;       /* EHLO/HELO argument (its first word) */
  const char *protocol;        /* "ESMTP" after EHLO, "SMTP" after HELO
                                  (RFC 5321 4.4 "with", RFC 3848) */
  const char *client_name;     /* from set_peer(), may be NULL */
  const char *client_address;  /* from set_peer(), may be NULL */
  const char *reverse_path;    /* mailbox, "" for the null path "<>" */
  GPtrArray  *recipients;      /* char* mailboxes that got a 2yz, in order */
  guint64     declared_size;   /* SIZE= from MAIL (RFC 1870), 0 if none */
  MlSmtpBody  body;            /* BODY= from MAIL (RFC 6152) */
  guint64     size;            /* octets received, RFC 1870 5: CRLFs
                                  counted, dot-stuffing and the final dot
                                  not; without our Received: header */
  const char *auth_user;       /* who authenticated (RFC 4954), NULL if
                                  nobody; protocol is then "ESMTPA" or
                                  "ESMTPSA" (RFC 3848) */
  gboolean    tls;             /* the session is under TLS (RFC 3848 "S") */
  /* DSN (RFC 3461), with config.offer_dsn: RET= and ENVID= (decoded, NULL
   * if none) from MAIL, and one MlSmtpRecipientDsn* per entry of
   * recipients, in the same order (never NULL). */
  MlDsnRet    dsn_ret;
  const char *dsn_envid;
  GPtrArray  *recipient_dsn;
} MlSmtpEnvelope;

/* Synchronous decisions; any member may be NULL, which means "accept".
 * @server is borrowed; do not feed or free it from inside a callback. */
typedef struct {
  /* MAIL FROM: (RFC 5321 4.1.1.2, 3.3): 250, or 550/553/450/451/452/552. */
  void (*check_sender)    (MlSmtpServer     *server,
                           const MlSmtpPath *reverse_path,  /* with params */
                           MlSmtpVerdict    *verdict,
                           gpointer          user_data);
  /* RCPT TO: (RFC 5321 4.1.1.3): 250/251, or 550/551/552/553/450/451/452. */
  void (*check_recipient) (MlSmtpServer     *server,
                           const char       *reverse_path,  /* "" for <> */
                           const MlSmtpPath *forward_path,
                           MlSmtpVerdict    *verdict,
                           gpointer          user_data);
  /* End of DATA: @message is the whole message, dot-stuffing removed, with
   * our Received: header on top (when add_received). Keep it with
   * g_bytes_ref(). 250 means the owner has taken responsibility for it
   * (RFC 5321 4.2.5); 4yz/5yz refuse it. */
  void (*accept_message)  (MlSmtpServer         *server,
                           const MlSmtpEnvelope *envelope,
                           GBytes               *message,
                           MlSmtpVerdict        *verdict,
                           gpointer              user_data);
  /* VRFY and EXPN when the config answers them: @command is "VRFY" or
   * "EXPN". 250/251/252, or 550/551/553 (RFC 5321 3.5). Left at 0: 252. */
  void (*verify)          (MlSmtpServer  *server,
                           const char    *command,
                           const char    *argument,
                           MlSmtpVerdict *verdict,
                           gpointer       user_data);
  /* The id for a message about to be handed over (transfer full), e.g. the
   * owner's queue id, so Received: and "queued as" name what the owner
   * files it under. NULL callback or NULL result: id_base + n in hex. */
  char *(*new_id)         (MlSmtpServer  *server,
                           gpointer       user_data);
  /* AUTH: the account behind an authcid (sasl.h), called with the
   * policy's user_data. NULL: every AUTH fails with 535. */
  MlSaslLookupFunc lookup_secret;
  /* LMTP (RFC 2033 4.2), with config.lmtp: after the final "." one verdict
   * per accepted recipient, @index into envelope->recipients, called in
   * RCPT order. NULL: accept_message's single verdict is given to each. */
  void (*accept_for_recipient) (MlSmtpServer         *server,
                                const MlSmtpEnvelope *envelope,
                                GBytes               *message,
                                guint                 index,
                                MlSmtpVerdict        *verdict,
                                gpointer              user_data);
  /* A deferred verdict will never be heard: the connection was lost, the
   * owner shut the session down, or the engine is being freed. The
   * client got no 250, so it still holds the message and will try again
   * (RFC 5321 4.1.1.4, 6.1): the owner drops what it kept and must not
   * call complete_message() any more. Called once; may be NULL. */
  void (*deferred_dropped) (MlSmtpServer *server,
                            gpointer      user_data);
} MlSmtpServerPolicy;

typedef struct {
  const char *hostname;          /* in 220, EHLO, 221, Received: (copied) */
  const char *greeting;          /* text after the hostname in 220 (copied) */
  guint64     max_message_size;  /* RFC 1870 fixed maximum; 0 = no limit */
  guint       max_recipients;    /* per transaction; 0 means the RFC
                                    minimum, ML_SMTP_MIN_RECIPIENTS */
  gboolean    offer_pipelining;  /* RFC 2920 */
  gboolean    offer_8bitmime;    /* RFC 6152 */
  gboolean    offer_size;        /* RFC 1870 */
  gboolean    offer_enhanced_status_codes;  /* RFC 2034 */
  /* VRFY: FALSE answers every VRFY with 252 "cannot verify, will attempt
   * delivery" (RFC 5321 3.5.3, 7.3); TRUE asks policy->verify. */
  gboolean    answer_vrfy;
  /* EXPN: FALSE means the command is not implemented: 502 (RFC 5321
   * 4.2.4), and it is not listed in EHLO (3.5.2 requires listing it when
   * it is supported). TRUE lists EXPN and asks policy->verify. */
  gboolean    answer_expn;
  gboolean    add_received;      /* prepend Received: (RFC 5321 4.4) */
  /* Without policy->new_id, transaction ids are id_base + 1, + 2, … in
   * upper-case hex. One engine serves one connection, so an owner serving
   * many gives each its own base (e.g. connection number << 16). */
  guint64     id_base;
  MlSmtpServerTls tls;           /* default NONE */
  /* AUTH (RFC 4954): one bit (1u << MlSaslMechanism) per mechanism to
   * offer; 0 (the default) means AUTH is not implemented here (502). */
  guint       auth_mechanisms;
  /* TRUE (default): PLAIN and LOGIN are neither listed nor accepted
   * before TLS, as Postfix's smtpd_tls_auth_only; AUTH answers 538
   * 5.7.11 (RFC 4954 6). FALSE lets a lesson show the risk. */
  gboolean    auth_plaintext_needs_tls;
  /* Submission (RFC 6409 4.3, RFC 4954 6): MAIL before AUTH gets 530
   * 5.7.0. Default FALSE. */
  gboolean    require_auth;
  /* How long the owner holds the reply to a failed AUTH (default 1000 ms,
   * Postfix's smtpd_error_sleep_time): slows password guessing. */
  guint       auth_failure_delay_ms;
  /* Seeds SCRAM's server nonce: a simulation passes one from its seeded
   * RNG so the trace repeats, a live server real random bits. */
  guint64     sasl_nonce_seed;
  /* RFC 3461: list DSN and take RET/ENVID on MAIL, NOTIFY/ORCPT on RCPT.
   * Default FALSE (the parameters then get 555). */
  gboolean    offer_dsn;
  /* RFC 2033: speak LMTP: LHLO instead of EHLO/HELO (those get 500), one
   * reply per recipient after the data. Default FALSE. */
  gboolean    lmtp;
  /* RFC 3030: list CHUNKING and take BDAT. Default FALSE (BDAT: 502). */
  gboolean    offer_chunking;
} MlSmtpServerConfig;

/* hostname "localhost", greeting "ESMTP maillab", no size limit, 100
 * recipients, every extension offered, VRFY 252, EXPN 502, Received: on,
 * no TLS, no AUTH (plaintext mechanisms only under TLS when turned on). */
void          ml_smtp_server_config_init (MlSmtpServerConfig *config);

/* @config is copied. @policy is copied and may be NULL (accept everything);
 * @policy_data is passed to every callback and must outlive the engine. */
MlSmtpServer *ml_smtp_server_new         (const MlSmtpServerConfig *config,
                                          const MlSmtpServerPolicy *policy,
                                          gpointer                  policy_data);
void          ml_smtp_server_free        (MlSmtpServer *self);

/* The client's host name (reverse DNS) and IP address for Received:
 * (RFC 5321 4.4 TCP-info); either may be NULL. Copied. */
void          ml_smtp_server_set_peer    (MlSmtpServer *self,
                                          const char   *peer_name,
                                          const char   *peer_address);
const char   *ml_smtp_server_get_peer_name    (MlSmtpServer *self);  /* borrowed, may be NULL */
const char   *ml_smtp_server_get_peer_address (MlSmtpServer *self);  /* borrowed, may be NULL */
/* The owner's clock (simulated or real), microseconds since the epoch, used
 * only for the Received: date. Until set: the epoch. */
void          ml_smtp_server_set_now     (MlSmtpServer *self, gint64 unix_usec);

/* Queues the 220 greeting (RFC 5321 3.1). Bytes fed before this are kept
 * and read after it. */
void          ml_smtp_server_start       (MlSmtpServer *self);
/* Takes the client's bytes and answers everything complete in them, in
 * order (RFC 2920 3.2). Returns @len, or 0 once the engine wants the
 * connection closed (the bytes are then dropped). */
gsize         ml_smtp_server_feed        (MlSmtpServer *self,
                                          const guint8 *data,
                                          gsize         len);
/* Pops the oldest event into @event_out (the caller clears it with
 * ml_engine_event_clear()). FALSE when there is none. */
gboolean      ml_smtp_server_next_event  (MlSmtpServer  *self,
                                          MlEngineEvent *event_out);
/* All reply bytes queued so far (transfer full), NULL if none. */
GBytes       *ml_smtp_server_take_output (MlSmtpServer *self);
/* TRUE after QUIT's 221 or a 421/521/fatal reply: close once the output
 * is written. */
gboolean      ml_smtp_server_wants_close (MlSmtpServer *self);

/* The owner's own reasons to end the session (timeout, shutdown): a 421
 * reply (RFC 5321 3.8, 4.2.3), the open transaction dropped, close.
 * @enhanced may be NULL ("4.3.2"); @text NULL gives "Service not
 * available, closing transmission channel". */
void          ml_smtp_server_shutdown    (MlSmtpServer *self,
                                          const char   *enhanced,
                                          const char   *text);
/* The peer vanished: an open transaction is dropped and nothing of it is
 * accepted (RFC 5321 4.1.1.10, 3.8). Safe to call at any time, twice. */
void          ml_smtp_server_connection_lost (MlSmtpServer *self);

MlSmtpServerState ml_smtp_server_get_state      (MlSmtpServer *self);
const char   *ml_smtp_server_get_state_name     (MlSmtpServer *self);  /* static */
const char   *ml_smtp_server_state_to_string    (MlSmtpServerState state);  /* static */
/* "ESMTP" after EHLO, "SMTP" after HELO, NULL before either; with RFC
 * 3848's "S" under TLS and "A" once authenticated ("ESMTPSA"). Static. */
const char   *ml_smtp_server_get_protocol_name  (MlSmtpServer *self);

/* The owner's answer to a deferred accept_message (ml_smtp_verdict_defer):
 * @code 0 or 2yz means taken (RFC 5321 4.2.5: the owner is now
 * responsible for it), 4yz/5yz refuses it; @enhanced and @text as in
 * ml_smtp_verdict_set (NULL for the defaults). The reply is queued, then
 * the input that waited is read. The owner must then pump the session:
 * the wake function below does that for it. Only while deferred. */
void          ml_smtp_server_complete_message   (MlSmtpServer *self,
                                                 guint         code,
                                                 const char   *enhanced,
                                                 const char   *text);
/* TRUE between a deferred verdict and its completion. */
gboolean      ml_smtp_server_is_deferred        (MlSmtpServer *self);
/* Called (from complete_message) when the engine has output that no
 * feed() produced, so its owner's session loop drains it; the session
 * glue sets it. NULL to unset. */
void          ml_smtp_server_set_wake_func      (MlSmtpServer *self,
                                                 void        (*wake) (gpointer data),
                                                 gpointer      data);

/* The owner finished the TLS handshake the START_TLS event asked for:
 * the session starts again before EHLO (RFC 3207 4.2). */
void          ml_smtp_server_tls_started        (MlSmtpServer *self);
/* With config.tls STARTTLS: FALSE when the owner cannot do TLS now (no
 * certificate, the library failed); STARTTLS stays listed and answers
 * 454 4.7.0 (RFC 3207 4). TRUE by default. */
void          ml_smtp_server_set_tls_available  (MlSmtpServer *self,
                                                 gboolean      available);
/* TRUE under TLS (after tls_started(), or implicit TLS). */
gboolean      ml_smtp_server_is_tls_active      (MlSmtpServer *self);
/* The authenticated user (RFC 4954), NULL before a 235. Borrowed. For
 * Received: "with ESMTPSA" (RFC 3848) and the MSA's sender check. */
const char   *ml_smtp_server_get_auth_user      (MlSmtpServer *self);
/* Milliseconds the owner must wait before writing the output queued now:
 * non-zero right after an AUTH failure (535), 0 otherwise. Ask before
 * ml_smtp_server_take_output(), which resets it. */
guint         ml_smtp_server_failure_delay      (MlSmtpServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlSmtpServer, ml_smtp_server_free)

G_END_DECLS

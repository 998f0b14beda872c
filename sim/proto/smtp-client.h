/* smtp-client.h — the SMTP client engine (RFC 5321), sans-I/O.
 *
 * Fed the server's bytes, it hands out the bytes to send and events a
 * teacher can point at. It delivers a queue of messages over one session:
 * greeting, EHLO (HELO when EHLO is refused), then per message MAIL, RCPT…,
 * DATA and the content — batched when the server offers PIPELINING
 * (RFC 2920) — and QUIT at the end.
 *
 * What the MTA queue reads afterwards is the result of each message: for
 * every recipient one final outcome, delivered, temporary (retry later) or
 * permanent (bounce), with the reply that decided it.
 *
 * Queue messages before feeding the greeting: with send_quit set, the
 * client says QUIT as soon as it is ready and finds the queue empty.
 *
 * TLS and AUTH (config.tls, config.auth; smtp-client-auth.c): after EHLO
 * the client says STARTTLS when the mode wants it and the server offers
 * it; on "220" it queues an ML_ENGINE_EVENT_START_TLS event (smtp.starttls)
 * and sends nothing until the owner calls ml_smtp_client_tls_started().
 * Then EHLO again, AUTH when configured, and the mail. A REQUIRED client
 * not offered STARTTLS sends QUIT, and every message gets a local
 * temporary result "the server did not offer STARTTLS (possible
 * downgrade)" with a TRANSACTION event smtp.client.tls.missing.
 */
#pragma once

#include <glib.h>
#include "proto/engine-event.h"
#include "proto/smtp-reply.h"
#include "mail/dsn.h"

G_BEGIN_DECLS

/* A command line with its CRLF (RFC 5321 4.5.3.1.4). */
#define ML_SMTP_CLIENT_MAX_COMMAND  512
/* A reverse- or forward-path with its angle brackets (RFC 5321 4.5.3.1.3). */
#define ML_SMTP_CLIENT_MAX_PATH     256

/* How the client uses TLS; the same meanings as the lesson's tls field,
 * defined here so the engine does not depend on lessons. */
typedef enum {
  ML_SMTP_CLIENT_TLS_NONE = 0,      /* never STARTTLS (the default) */
  ML_SMTP_CLIENT_TLS_OPPORTUNISTIC, /* STARTTLS when offered, else go on
                                       in clear (RFC 3207 4.1, RFC 7435) */
  ML_SMTP_CLIENT_TLS_REQUIRED,      /* STARTTLS or QUIT: a missing STARTTLS
                                       may be an attacker's stripping
                                       (RFC 3207 5, RFC 8314 4.1) */
  ML_SMTP_CLIENT_TLS_IMPLICIT,      /* the owner runs the handshake before
                                       the greeting (RFC 8314 3.3) */
} MlSmtpClientTls;

/* Which SASL mechanism to log in with (RFC 4954). */
typedef enum {
  ML_SMTP_CLIENT_AUTH_NONE = 0,     /* no AUTH (the default) */
  ML_SMTP_CLIENT_AUTH_PLAIN,
  ML_SMTP_CLIENT_AUTH_LOGIN,
  ML_SMTP_CLIENT_AUTH_SCRAM_SHA_256,
  ML_SMTP_CLIENT_AUTH_BEST,         /* the strongest offered and allowed:
                                       SCRAM-SHA-256, then PLAIN, LOGIN */
} MlSmtpClientAuth;

typedef struct {
  const char *helo_name;      /* our name in EHLO/HELO; "localhost" if NULL
                                 (RFC 5321 4.1.1.1 wants an FQDN or an
                                 address literal) */
  gboolean    use_ehlo;       /* TRUE: EHLO, HELO if it is refused */
  gboolean    use_pipelining; /* TRUE: batch when the server offers it */
  gboolean    send_quit;      /* TRUE: QUIT when the queue is empty;
                                 FALSE: stay ready for more messages until
                                 ml_smtp_client_quit() */
  MlSmtpClientTls  tls;
  MlSmtpClientAuth auth;
  const char *user;           /* for AUTH (copied) */
  const char *password;       /* for AUTH (copied) */
  /* FALSE (default): PLAIN and LOGIN are never sent outside TLS; TRUE lets
   * a lesson show a password crossing the network readable. */
  gboolean    allow_plaintext_auth;
  /* Seeds SCRAM's client nonce (the simulation's seeded RNG). */
  guint64     sasl_nonce_seed;
  /* RFC 2033: speak LMTP: LHLO (no HELO fallback), and after the data one
   * reply per accepted recipient, each deciding that recipient's outcome
   * (data_code is then the last of them). Default FALSE. */
  gboolean    lmtp;
  /* RFC 3030: when the server lists CHUNKING, send the content with BDAT
   * in chunks of this many octets (the last one "BDAT n LAST"), as is: no
   * dot-stuffing. 0 (the default): always DATA. */
  gsize       bdat_chunk_size;
} MlSmtpClientConfig;

void ml_smtp_client_config_init (MlSmtpClientConfig *config);

typedef enum {
  ML_SMTP_OUTCOME_PENDING = 0,  /* no final word yet */
  ML_SMTP_OUTCOME_DELIVERED,    /* the server took responsibility (2yz after ".") */
  ML_SMTP_OUTCOME_TEMPORARY,    /* 4yz, or the session broke: try again later */
  ML_SMTP_OUTCOME_PERMANENT,    /* 5yz: do not repeat, bounce (RFC 5321 4.2.1) */
} MlSmtpOutcome;

const char *ml_smtp_outcome_to_string (MlSmtpOutcome outcome);

typedef struct {
  char          *address;   /* as queued, without angle brackets */
  MlSmtpOutcome  outcome;
  guint          code;      /* the reply that decided: the RCPT refusal, or
                               for an accepted recipient the reply after the
                               final "." (or a refusal of DATA); 0 if pending */
  char          *enhanced;  /* "5.1.1", NULL if the reply had none */
  char          *text;      /* the reply's text, lines joined by "\n", without
                               code and enhanced code */
  gboolean       local;     /* the client decided without the server saying
                               it to this transaction: connection lost,
                               malformed reply, SIZE or 8BITMIME refused
                               before sending, bad address */
} MlSmtpRecipientResult;

typedef struct {
  guint                  index;
  gboolean               finished;       /* every recipient has its outcome */
  guint                  n_recipients;
  MlSmtpRecipientResult *recipients;
  /* The reply to the final "." (RFC 5321 4.2.5), 0 if the content was not
   * sent or no reply came. */
  guint                  data_code;
  char                  *data_enhanced;
  char                  *data_text;
  /* TRUE when the failure is about this server, not the message: it
   * refused the session (554 greeting, RFC 5321 3.1; HELO/EHLO refused), or
   * closed it (421, connection lost). The queue should try the next MX
   * (RFC 5321 5.1) before retrying or bouncing. */
  gboolean               try_next_host;
} MlSmtpClientResult;

typedef enum {
  ML_SMTP_CLIENT_STATE_GREETING = 0, /* waiting for 220 */
  ML_SMTP_CLIENT_STATE_EHLO,
  ML_SMTP_CLIENT_STATE_HELO,
  ML_SMTP_CLIENT_STATE_READY,        /* no transaction, nothing to send */
  ML_SMTP_CLIENT_STATE_RSET,
  ML_SMTP_CLIENT_STATE_MAIL,
  ML_SMTP_CLIENT_STATE_RCPT,
  ML_SMTP_CLIENT_STATE_DATA,         /* waiting for 354 */
  ML_SMTP_CLIENT_STATE_CONTENT,      /* content sent, waiting for its reply */
  ML_SMTP_CLIENT_STATE_QUIT,
  ML_SMTP_CLIENT_STATE_DONE,
  ML_SMTP_CLIENT_STATE_STARTTLS,     /* STARTTLS sent, or TLS being set up */
  ML_SMTP_CLIENT_STATE_AUTH,         /* in the AUTH exchange */
} MlSmtpClientState;

const char *ml_smtp_client_state_to_string (MlSmtpClientState state);

typedef struct _MlSmtpClient MlSmtpClient;

MlSmtpClient *ml_smtp_client_new          (const MlSmtpClientConfig *config);
void          ml_smtp_client_free         (MlSmtpClient *self);
/* Queues one transaction; several may be queued before or during the
 * session. @reverse_path: "" for the null path <> (RFC 5321 4.5.5); angle
 * brackets optional. @message: the message (header and body); any line
 * ending is sent as CRLF. Returns the message's index for get_result().
 * A message queued after the session ended finishes at once as temporary. */
guint         ml_smtp_client_add_message  (MlSmtpClient *self,
                                           const char *reverse_path,
                                           const char * const *recipients,
                                           GBytes *message);
/* What to ask of the DSN extension (RFC 3461 4) for one message: sent
 * only when the server lists DSN. Borrowed during the call. */
typedef struct {
  MlDsnRet            ret;     /* RET= on MAIL; DEFAULT: none */
  const char         *envid;   /* ENVID= on MAIL, plain text (sent as xtext); NULL: none */
  const MlDsnNotify  *notify;  /* NOTIFY= per recipient, same order; NULL: none */
  const char * const *orcpt;   /* ORCPT= per recipient ("rfc822;a@b"); NULL
                                  array or entries: none */
} MlSmtpClientDsn;

/* ml_smtp_client_add_message() with DSN parameters; @dsn may be NULL. */
guint         ml_smtp_client_add_message_dsn (MlSmtpClient          *self,
                                              const char            *reverse_path,
                                              const char * const    *recipients,
                                              GBytes                *message,
                                              const MlSmtpClientDsn *dsn);
/* Returns how many bytes were taken: all of them, or 0 once done. */
gsize         ml_smtp_client_feed         (MlSmtpClient *self,
                                           const guint8 *data, gsize len);
/* Moves the next event into @event_out (clear it with
 * ml_engine_event_clear()). FALSE when there is none. */
gboolean      ml_smtp_client_next_event   (MlSmtpClient *self,
                                           MlEngineEvent *event_out);
GBytes       *ml_smtp_client_take_output  (MlSmtpClient *self);  /* transfer full; NULL if nothing */
/* QUIT answered, or the session failed; the owner may close once the
 * output is drained. */
gboolean      ml_smtp_client_is_done      (MlSmtpClient *self);
/* Sends QUIT once the current transaction is over (for send_quit FALSE). */
void          ml_smtp_client_quit         (MlSmtpClient *self);
/* The connection broke: every unfinished recipient becomes temporary, as if
 * 451 had come (RFC 5321 3.8). */
void          ml_smtp_client_connection_lost (MlSmtpClient *self);
MlSmtpClientState ml_smtp_client_get_state (MlSmtpClient *self);
guint         ml_smtp_client_get_n_messages (MlSmtpClient *self);
/* Borrowed; valid until the client is freed. NULL for a bad index. */
const MlSmtpClientResult *ml_smtp_client_get_result (MlSmtpClient *self,
                                                     guint message_index);
/* The owner finished the TLS handshake a START_TLS event asked for (as
 * client; it must check the server's certificate and name itself). The
 * client says EHLO again (RFC 3207 4.2). Server bytes that arrived in the
 * clear after the 220 go-ahead were discarded by the engine. If the
 * handshake fails, the owner calls connection_lost() instead. */
void          ml_smtp_client_tls_started    (MlSmtpClient *self);
gboolean      ml_smtp_client_is_tls_active  (MlSmtpClient *self);
/* TRUE after 235 (and, for SCRAM, the server's signature verified). */
gboolean      ml_smtp_client_is_authenticated (MlSmtpClient *self);
/* The EHLO capabilities (empty after HELO or before EHLO). Borrowed. */
const MlSmtpCapabilities *ml_smtp_client_get_capabilities (MlSmtpClient *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlSmtpClient, ml_smtp_client_free)

G_END_DECLS

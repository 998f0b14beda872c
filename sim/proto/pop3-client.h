/* pop3-client.h — the POP3 client engine (RFC 1939, RFC 2449), sans-I/O.
 *
 * Fed the server's bytes, it hands out the bytes to send and events a
 * teacher can point at. It runs one "fetch" as a mail client does:
 *
 *   greeting → CAPA → USER/PASS (or APOP) → STAT → UIDL (LIST when the
 *   server has no UIDL) → RETR each wanted message → DELE (unless kept)
 *   → QUIT
 *
 * "Leave on server" clients remember the unique-ids they have (RFC 1939 8)
 * and download only the others; known_uidls is that memory, and
 * get_server_uidls() what to remember next time. With PIPELINING offered
 * (RFC 2449 6.6) the RETRs go out together, then the DELEs and QUIT.
 * A DELE is sent only for a message whose RETR succeeded.
 *
 * Events (all ML_PROTO_POP3):
 *   COMMAND  every line sent (outgoing): line is the exact bytes minus
 *            CRLF, verb, args, explain key "pop3.<verb>"; PASS has detail
 *            "credential"
 *   REPLY    every response read (incoming): code 0, enhanced the RFC 2449
 *            8 response code or NULL, explain key "pop3.reply.ok" /
 *            "pop3.reply.err", line every line as received joined by
 *            "\n" (stuffing and the final "." included)
 *   STATE    "pop3.client.state.<name>", names below
 *   TRANSACTION  "pop3.client.fetched" ("message 2 fetched, 1234 octets"),
 *            "pop3.client.failed" (why the fetch stopped),
 *            "pop3.client.tls-active" (tls_started() was called)
 *   START_TLS  "pop3.client.stls": STLS was answered "+OK"; the owner runs
 *            the handshake as client and calls ml_pop3_client_tls_started()
 *   COMMAND  an answer to an AUTH challenge has verb NULL, explain key
 *            "pop3.auth.response" and detail "credential"
 *   REPLY    a challenge "+ base64" has explain key "pop3.reply.challenge"
 *
 * TLS (RFC 2595 4): in the opportunistic and required modes the client
 * asks CAPA, sends STLS when it is offered (required: gives up before any
 * credential when it is not), and after the handshake forgets the
 * capabilities and asks CAPA again.
 */
#pragma once

#include <glib.h>
#include "proto/engine-event.h"
#include "proto/pop3-parser.h"
#include "proto/sasl.h"

G_BEGIN_DECLS

typedef enum {
  ML_POP3_CLIENT_TLS_NONE = 0,       /* never STLS */
  ML_POP3_CLIENT_TLS_OPPORTUNISTIC,  /* STLS when CAPA lists it, else on in
                                        clear (what stripping defeats) */
  ML_POP3_CLIENT_TLS_REQUIRED,       /* STLS or QUIT before any credential */
  ML_POP3_CLIENT_TLS_IMPLICIT,       /* TLS from the first octet (995,
                                        RFC 8314 3.3): no STLS */
} MlPop3ClientTls;

typedef enum {
  ML_POP3_CLIENT_AUTH_AUTO = 0,  /* use_apop's choice, as before */
  ML_POP3_CLIENT_AUTH_USER,      /* USER/PASS (RFC 1939 7) */
  ML_POP3_CLIENT_AUTH_APOP,      /* APOP (RFC 1939 7); fails without a
                                    timestamp in the greeting */
  ML_POP3_CLIENT_AUTH_SASL,      /* AUTH sasl_mechanism (RFC 5034) */
} MlPop3ClientAuth;

typedef struct {
  const char         *user;            /* USER / APOP name (copied) */
  const char         *password;        /* PASS, or APOP's shared secret (copied) */
  gboolean            use_apop;        /* APOP when the greeting has a
                                          timestamp (RFC 1939 7); else
                                          USER/PASS. APOP is also used
                                          when CAPA lists no USER */
  gboolean            keep;            /* TRUE: leave messages on the
                                          server; FALSE: DELE what was
                                          downloaded */
  const char * const *known_uidls;     /* NULL-terminated unique-ids this
                                          device already holds: not
                                          downloaded again. NULL: none
                                          (copied) */
  gboolean            use_capa;        /* CAPA first (RFC 2449 5) */
  gboolean            use_pipelining;  /* batch when PIPELINING is offered */
  MlPop3ClientTls     tls;
  MlPop3ClientAuth    auth;
  MlSaslMechanism     sasl_mechanism;  /* for ML_POP3_CLIENT_AUTH_SASL */
  guint64             nonce_seed;      /* SCRAM's client nonce */
} MlPop3ClientConfig;

/* USER/PASS, delete after download, CAPA and pipelining on, no TLS. */
void ml_pop3_client_config_init (MlPop3ClientConfig *config);

typedef enum {
  ML_POP3_CLIENT_STATE_GREETING = 0,  /* waiting for "+OK" */
  ML_POP3_CLIENT_STATE_CAPA,
  ML_POP3_CLIENT_STATE_USER,
  ML_POP3_CLIENT_STATE_PASS,
  ML_POP3_CLIENT_STATE_APOP,
  ML_POP3_CLIENT_STATE_STAT,
  ML_POP3_CLIENT_STATE_UIDL,
  ML_POP3_CLIENT_STATE_LIST,
  ML_POP3_CLIENT_STATE_RETR,
  ML_POP3_CLIENT_STATE_DELE,
  ML_POP3_CLIENT_STATE_QUIT,
  ML_POP3_CLIENT_STATE_DONE,
  ML_POP3_CLIENT_STATE_STLS,          /* STLS sent */
  ML_POP3_CLIENT_STATE_TLS,           /* waiting for the handshake */
  ML_POP3_CLIENT_STATE_AUTH,          /* AUTH exchange */
} MlPop3ClientState;

const char *ml_pop3_client_state_to_string (MlPop3ClientState state);

/* One message the client downloaded. */
typedef struct {
  guint    number;    /* message-number in that session (RFC 1939 4) */
  char    *uidl;      /* its unique-id, NULL without UIDL */
  guint64  size;      /* octets received, un-stuffed: the exact size */
  GBytes  *data;      /* the message, un-stuffed, CRLF lines */
  gboolean deleted;   /* DELE answered "+OK" and QUIT's UPDATE succeeded */
} MlPop3FetchedMessage;

typedef struct _MlPop3Client MlPop3Client;

MlPop3Client *ml_pop3_client_new          (const MlPop3ClientConfig *config);
void          ml_pop3_client_free         (MlPop3Client *self);
/* Returns how many bytes were taken: all of them, or 0 once done. */
gsize         ml_pop3_client_feed         (MlPop3Client *self,
                                           const guint8 *data,
                                           gsize         len);
/* Moves the next event into @event_out (clear it with
 * ml_engine_event_clear()). FALSE when there is none. */
gboolean      ml_pop3_client_next_event   (MlPop3Client  *self,
                                           MlEngineEvent *event_out);
GBytes       *ml_pop3_client_take_output  (MlPop3Client *self);  /* transfer full; NULL if nothing */
/* QUIT answered, or the session failed: close once the output is sent. */
gboolean      ml_pop3_client_is_done      (MlPop3Client *self);
/* The connection broke. Nothing counts as deleted unless QUIT's "+OK"
 * came (RFC 1939 6). */
void          ml_pop3_client_connection_lost (MlPop3Client *self);
/* The handshake START_TLS asked for is done: the client asks CAPA again
 * (RFC 2595 4). Bytes fed between START_TLS and this call were dropped. */
void          ml_pop3_client_tls_started  (MlPop3Client *self);
gboolean      ml_pop3_client_is_tls       (MlPop3Client *self);

MlPop3ClientState ml_pop3_client_get_state (MlPop3Client *self);
/* Why the fetch failed ("authentication failed: [AUTH] …", "connection
 * lost"), NULL when it did not. Borrowed. */
const char   *ml_pop3_client_get_error    (MlPop3Client *self);
/* The RFC 2449 8 code of the response that failed the fetch ("IN-USE",
 * "AUTH"), NULL if none. Borrowed. */
const char   *ml_pop3_client_get_error_code (MlPop3Client *self);
/* STAT's drop listing (RFC 1939 5); both 0 before it. */
void          ml_pop3_client_get_stat     (MlPop3Client *self,
                                           guint        *n_messages,
                                           guint64      *size);
guint         ml_pop3_client_get_n_messages (MlPop3Client *self);
/* Borrowed; valid until the client is freed. NULL for a bad index. */
const MlPop3FetchedMessage *ml_pop3_client_get_message (MlPop3Client *self,
                                                        guint         index);
/* How many messages the server removed in UPDATE for us. */
guint         ml_pop3_client_get_n_deleted (MlPop3Client *self);
/* Every unique-id the server listed, in message order (NULL-terminated,
 * empty without UIDL). Borrowed. */
const char * const *ml_pop3_client_get_server_uidls (MlPop3Client *self);
/* CAPA's capability lines, NULL-terminated, as sent; empty when CAPA was
 * not used or refused. Borrowed. */
const char * const *ml_pop3_client_get_capabilities (MlPop3Client *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlPop3Client, ml_pop3_client_free)

G_END_DECLS

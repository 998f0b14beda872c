/* pop3-server.h — the POP3 server engine (RFC 1939, RFC 2449), sans-I/O.
 *
 * One engine per connection, over an MlMailStore shared with the MDA and
 * the IMAP server. It is fed the client's bytes and hands out the response
 * bytes and MlEngineEvents; it never touches a socket, a clock or a file.
 *
 *   server = ml_pop3_server_new (store, &config);
 *   ml_pop3_server_set_now (server, clock_usec);   // before start: APOP timestamp
 *   ml_pop3_server_start (server);                 // queues "+OK … <ts>"
 *   loop:
 *     ml_pop3_server_feed (server, bytes, len);
 *     while (ml_pop3_server_next_event (server, &ev)) { …; ml_engine_event_clear (&ev); }
 *     out = ml_pop3_server_take_output (server);   // write it, unref it
 *     if (ml_pop3_server_wants_close (server)) close once out is written;
 *   on a reset/EOF/timeout: ml_pop3_server_connection_lost (server);
 *
 * The maildrop (RFC 1939 4, 5): on entering TRANSACTION the account's
 * exclusive POP3 lock is taken and the INBOX listed once; message numbers
 * 1..n and their sizes hold for the whole session. DELE only marks; the
 * messages leave the store in the UPDATE state, which only QUIT from
 * TRANSACTION reaches (RFC 1939 6). A lost connection deletes nothing.
 *
 * Events (all ML_PROTO_POP3):
 *   COMMAND      every command line received: line, verb (upper-cased), args
 *                (the rest of the line), explain key "pop3.<verb>" in lower
 *                case ("pop3.unknown" when not recognised). PASS's password
 *                is shown as sent — the lessons show it crossing the wire in
 *                clear on purpose — and its event has detail "credential"
 *                so a view may mask it.
 *   REPLY        every response sent. POP3 has no numeric codes: code is 0,
 *                the status is the explain key ("pop3.reply.ok",
 *                "pop3.reply.err"), and enhanced holds the RFC 2449 8
 *                response code without brackets ("IN-USE", "AUTH",
 *                "SYS/TEMP"; RFC 3206), NULL if there is none. line is the
 *                bytes sent minus CRLFs: a multi-line response is one event
 *                whose line holds every line, byte-stuffed, and the final
 *                ".", joined by "\n".
 *   STATE        explain key "pop3.state.<name>", names below
 *   TRANSACTION  "pop3.transaction.update" ("3 messages deleted in
 *                UPDATE"), "pop3.transaction.kept" (a lost connection kept
 *                messages DELE had marked, RFC 1939 6),
 *                "pop3.tls.discarded" (octets pipelined after STLS thrown
 *                away), "pop3.tls.active" (tls_started() was called),
 *                "pop3.auth.failed" (detail: the delay asked of the owner)
 *   START_TLS    after "+OK Begin TLS negotiation" (pop3.stls.begin): the
 *                owner sends the output taken so far in clear, runs the
 *                handshake and calls ml_pop3_server_tls_started()
 *   REPLY        a SASL challenge "+ base64" (RFC 5034 4) has explain key
 *                "pop3.reply.challenge"
 *   COMMAND      a line answering a challenge has verb NULL, explain key
 *                "pop3.auth.response" and detail "credential"
 *   CLOSE        the engine wants the connection closed (pop3.close)
 *
 * TLS and authentication (RFC 2595, RFC 5034): STLS is answered only when
 * offered and only in AUTHORIZATION before TLS; whatever the client
 * pipelined after it is discarded, never read as if protected. Plaintext
 * logins (USER/PASS, AUTH PLAIN and LOGIN) follow allow_plaintext_auth
 * before TLS and are always allowed inside it; CAPA says which.
 */
#pragma once

#include <glib.h>
#include "proto/engine-event.h"
#include "proto/pop3-parser.h"
#include "proto/sasl.h"
#include "mail/mail-store.h"

G_BEGIN_DECLS

typedef struct _MlPop3Server MlPop3Server;

/* Names (for explain keys and get_state_name) in brackets. */
typedef enum {
  ML_POP3_SERVER_STATE_INIT = 0,       /* [init] before start() */
  ML_POP3_SERVER_STATE_AUTHORIZATION,  /* [authorization] RFC 1939 4 */
  ML_POP3_SERVER_STATE_TRANSACTION,    /* [transaction] RFC 1939 5 */
  ML_POP3_SERVER_STATE_UPDATE,         /* [update] after QUIT in TRANSACTION,
                                          RFC 1939 6; the session is over */
  ML_POP3_SERVER_STATE_CLOSED,         /* [closed] over without UPDATE: QUIT
                                          in AUTHORIZATION, a lost
                                          connection, an unusable input */
} MlPop3ServerState;

/* The longest answer to a "+ " challenge: the base64 of the longest SASL
 * message we take, with CRLF. RFC 5034 4 sets no limit ("arbitrary
 * length"); this is ours, from ML_SASL_MAX_MESSAGE. */
#define ML_POP3_MAX_SASL_LINE          (((ML_SASL_MAX_MESSAGE + 2) / 3) * 4 + 2)
/* After a failed login the owner holds the answer back (RFC 5034 8 and
 * RFC 4954 6 ask servers to slow password guessing): the configured delay
 * doubles with every further failure, up to this. */
#define ML_POP3_MAX_AUTH_DELAY_MS      16000

typedef struct {
  const char *hostname;        /* in the greeting and its APOP timestamp (copied) */
  const char *implementation;  /* CAPA IMPLEMENTATION (RFC 2449 6.9); NULL or
                                  "" leaves it out (copied) */
  /* Plaintext logins before TLS: USER/PASS (RFC 1939 7), AUTH PLAIN and
   * LOGIN. FALSE answers them "-ERR [AUTH]" and leaves USER and those
   * mechanisms out of CAPA (RFC 2449 6.2, RFC 2595 4) until TLS is on;
   * inside TLS they are always allowed. */
  gboolean    allow_plaintext_auth;
  /* STLS (RFC 2595 4): in CAPA before TLS, and answered. */
  gboolean    offer_stls;
  /* The connection is TLS from its first octet (port 995, RFC 8314 3.3):
   * no STLS, plaintext logins allowed. */
  gboolean    implicit_tls;
  /* AUTH (RFC 5034): one bit (1u << MlSaslMechanism) per mechanism, listed
   * in CAPA as "SASL …"; 0 leaves AUTH unoffered. */
  guint       sasl_mechanisms;
  /* Whose credentials: NULL checks the store's accounts (their password,
   * with SCRAM keys derived from it). The account logged in is always
   * the store's account of that name. */
  MlSaslLookupFunc lookup;
  gpointer    lookup_data;
  /* Seeds SCRAM's server nonces (a simulation's seeded RNG; a live server
   * real random bytes). */
  guint64     nonce_seed;
  /* The delay asked of the owner after the first failed login (ms). */
  guint       auth_failure_delay_ms;
  /* APOP (RFC 1939 7): a timestamp in the greeting, and the command
   * answered. */
  gboolean    offer_apop;
  /* The "process-ID" part of the APOP timestamp <id.clock@hostname>. The
   * RFC wants a timestamp different in every greeting; an owner serving
   * many connections gives each its own (e.g. the connection number), the
   * clock part is set_now()'s. */
  guint64     session_id;
} MlPop3ServerConfig;

/* hostname "localhost", implementation "maillab", USER/PASS allowed, APOP
 * offered, session_id 1; no STLS, no AUTH, store accounts, a failed login
 * delayed 1000 ms. */
void          ml_pop3_server_config_init (MlPop3ServerConfig *config);

/* @store is borrowed and must outlive the engine. @config is copied. */
MlPop3Server *ml_pop3_server_new         (MlMailStore              *store,
                                          const MlPop3ServerConfig *config);
void          ml_pop3_server_free        (MlPop3Server *self);

/* The owner's clock (simulated or real), microseconds since the epoch: the
 * "clock" of the APOP timestamp. Until set: 0. */
void          ml_pop3_server_set_now     (MlPop3Server *self, gint64 unix_usec);

/* Queues the greeting (RFC 1939 4). Bytes fed before this are kept and
 * read after it. */
void          ml_pop3_server_start       (MlPop3Server *self);
/* Takes the client's bytes and answers every complete command in them, in
 * order (RFC 2449 6.6). Returns @len, or 0 once the engine wants the
 * connection closed (the bytes are then dropped). */
gsize         ml_pop3_server_feed        (MlPop3Server *self,
                                          const guint8 *data,
                                          gsize         len);
/* Pops the oldest event into @event_out (the caller clears it with
 * ml_engine_event_clear()). FALSE when there is none. */
gboolean      ml_pop3_server_next_event  (MlPop3Server  *self,
                                          MlEngineEvent *event_out);
/* All response bytes queued so far (transfer full), NULL if none. */
GBytes       *ml_pop3_server_take_output (MlPop3Server *self);
/* TRUE after QUIT's answer or a lost connection: close once the output is
 * written. */
gboolean      ml_pop3_server_wants_close (MlPop3Server *self);
/* The peer vanished, or the owner's inactivity timer ran out (RFC 1939 3:
 * no response, no UPDATE): nothing marked is deleted (RFC 1939 6) and the
 * lock is released. Safe to call at any time, twice. */
void          ml_pop3_server_connection_lost (MlPop3Server *self);

/* The TLS handshake the START_TLS event asked for is done (RFC 2595 4):
 * the connection is protected from here on and the client starts over
 * with CAPA. Bytes fed between START_TLS and this call were dropped. */
void          ml_pop3_server_tls_started     (MlPop3Server *self);
/* TRUE once TLS is on (implicit, or after STLS). */
gboolean      ml_pop3_server_is_tls          (MlPop3Server *self);
/* How long the owner should wait before writing the output it takes next
 * (ms): non-zero right after a failed login, then reset. The engine has no
 * clock, so the delay is the owner's to apply. */
guint         ml_pop3_server_take_delay_ms   (MlPop3Server *self);
/* Failed logins in this session (USER/PASS, APOP, AUTH). */
guint         ml_pop3_server_get_n_auth_failures (MlPop3Server *self);

MlPop3ServerState ml_pop3_server_get_state   (MlPop3Server *self);
const char   *ml_pop3_server_get_state_name  (MlPop3Server *self);          /* static */
const char   *ml_pop3_server_state_to_string (MlPop3ServerState state);     /* static */
/* The APOP timestamp of the greeting ("<1.1709625600000000@host>"), NULL
 * before start() or when APOP is not offered. Borrowed. */
const char   *ml_pop3_server_get_timestamp   (MlPop3Server *self);
/* The account logged in, NULL in AUTHORIZATION. Borrowed. */
MlAccount    *ml_pop3_server_get_account     (MlPop3Server *self);
/* What UPDATE removed from the store (0 until then). */
guint         ml_pop3_server_get_n_removed   (MlPop3Server *self);

/* The unique-id UIDL gives a message (RFC 1939 7): UIDVALIDITY and UID as
 * 16 hex digits, so it persists across sessions and is never reused while
 * the mailbox keeps its UIDVALIDITY. Caller frees. */
char         *ml_pop3_dup_unique_id          (guint32 uidvalidity,
                                              guint32 uid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlPop3Server, ml_pop3_server_free)

G_END_DECLS

/* live-session.h — one server engine driving one real connection.
 *
 * The live twin of world/engine-session: the same MlEngineOps table feeds
 * the engine what the stream delivers and writes what it answers, but the
 * clock is the wall clock and the peer is a real client, so the session
 * also does what a real server owes its peers and the simulation does not
 * need:
 *   - an inactivity timer (RFC 5321 4.5.3.2.7: 5 minutes for an SMTP
 *     server; RFC 1939 3: at least 10 minutes for POP3; RFC 3501 5.4: at
 *     least 30 minutes for IMAP, IDLE included), after which the engine
 *     says goodbye its protocol's way and the connection is closed;
 *   - the failed-login delay the engines ask for (take_delay_ms): the
 *     answer is held back and no further input is read meanwhile;
 *   - STARTTLS (ML_ENGINE_EVENT_START_TLS): the output so far goes in the
 *     clear, then the stream is wrapped in an MlTlsStream;
 *   - a graceful shutdown on the server's request.
 * Every engine event goes into the trace with both directions recorded
 * (the client is not ours), stamped with the real time in microseconds.
 *
 * A session owns itself: it ends when its stream is finished, calls its
 * done function and frees the engine.
 */
#pragma once

#include <openssl/ssl.h>
#include "world/engine-session.h"
#include "trace/trace.h"
#include "tls/tls-stream.h"

G_BEGIN_DECLS

/* The RFCs' inactivity timeouts, the defaults of MlLiveTimeouts. */
#define ML_LIVE_SMTP_TIMEOUT_MS  (5 * 60 * 1000)   /* RFC 5321 4.5.3.2.7 */
#define ML_LIVE_POP3_TIMEOUT_MS  (10 * 60 * 1000)  /* RFC 1939 3 */
#define ML_LIVE_IMAP_TIMEOUT_MS  (30 * 60 * 1000)  /* RFC 3501 5.4, RFC 2177 3 */
/* After the engine is finished or told to stop, how long the output may
 * take to leave before the connection is dropped (a peer that does not
 * read must not keep a descriptor). */
#define ML_LIVE_CLOSE_GRACE_MS   10000
/* A stopping server waits this long for each client to close after the
 * goodbye, well inside ML_MAIL_SERVER_STOP_GRACE_MS. */
#define ML_LIVE_SHUTDOWN_LINGER_MS 1000

typedef struct {
  MlEngineOps engine;
  /* The inactivity timer ran out (@shutting_down FALSE) or the server is
   * stopping (TRUE): queue the protocol's goodbye (SMTP 421, IMAP BYE) so
   * that the engine is finished afterwards. NULL: connection_lost() is
   * called and the connection closed without a word (POP3, RFC 1939 3). */
  void  (*say_goodbye)   (gpointer engine, gboolean shutting_down);
  /* How long to hold the output taken next (a failed login); may be NULL. */
  guint (*take_delay_ms) (gpointer engine);
  /* TRUE while the engine reads nothing (SMTP waiting for a deferred
   * verdict, smtp-server.h): what the client sends meanwhile waits, and
   * the socket stops being read, so a connection's memory stays bounded.
   * May be NULL. */
  gboolean (*holds_input) (gpointer engine);
} MlLiveEngineOps;

typedef struct _MlLiveSession MlLiveSession;

/* Called once, just before the session frees its engine (borrowed). */
typedef void (*MlLiveSessionDoneFunc) (MlLiveSession *session,
                                       gpointer       engine,
                                       gpointer       user_data);

/* Serves @stream (a reference is taken) with @engine (transfer full).
 * @trace is referenced and may be NULL. @host names this server in the
 * trace, @peer the client ("127.0.0.1:40312"); @timeout_ms of silence from
 * the client end the session (0: never). Nothing is sent until
 * ml_live_session_pump() (after the engine's start()). */
MlLiveSession *ml_live_session_new        (MlStream              *stream,
                                           gpointer               engine,
                                           const MlLiveEngineOps *ops,
                                           MlTrace               *trace,
                                           const char            *host,
                                           const char            *peer,
                                           guint                  conn_id,
                                           guint                  timeout_ms);
void           ml_live_session_set_done_func (MlLiveSession        *self,
                                              MlLiveSessionDoneFunc func,
                                              gpointer              user_data);
/* The TLS context a START_TLS event wraps the stream with (referenced);
 * NULL (the default): the engine must not have offered STARTTLS. */
void           ml_live_session_set_tls    (MlLiveSession *self, SSL_CTX *ctx);
/* Client role (maillab-cli send/fetch): a START_TLS event starts a client
 * handshake with @ctx (referenced) instead, sending SNI and checking the
 * certificate against @server_name (RFC 7817 3) at the current time.
 * @func (may be NULL) hears the outcome before the engine does. */
void           ml_live_session_set_tls_client (MlLiveSession     *self,
                                               SSL_CTX           *ctx,
                                               const char        *server_name,
                                               MlTlsHandshakeFunc func,
                                               gpointer           user_data);
/* Drain the engine's events and output now. */
void           ml_live_session_pump       (MlLiveSession *self);
/* The same from the main loop a moment later: for an engine woken inside
 * another session's store change (IMAP IDLE). */
void           ml_live_session_schedule_pump (MlLiveSession *self);
/* The server is stopping: goodbye, flush, close. */
void           ml_live_session_shutdown   (MlLiveSession *self);
/* Drops the connection now (the server's grace period is over); the done
 * function runs before this returns. */
void           ml_live_session_abort      (MlLiveSession *self);
gpointer       ml_live_session_get_engine (MlLiveSession *self);     /* borrowed */
guint          ml_live_session_get_id     (MlLiveSession *self);

G_END_DECLS

/* client-session.h — one client engine on a real connection it dials.
 *
 * The client twin of `serve`: `maillab-cli send` and `fetch` run the
 * sans-I/O client engines (SMTP, POP3, IMAP) against real servers. This
 * object does what only a client does: resolve HOST:PORT through GIO (real
 * DNS), connect, run an implicit-TLS handshake before the greeting (RFC
 * 8314 3.3) and check the server's certificate against the name dialled
 * (RFC 7817 3, RFC 6125 6) with the system's trust store or a given CA.
 * Once connected, the loop is MlLiveSession's, unchanged: events into the
 * trace with both directions, output to the socket, STARTTLS (here as the
 * TLS client), an inactivity timer.
 *
 * The engine is made when the connection is up, so that it can name the
 * end it speaks from (RFC 5321 4.1.3 address literal for EHLO). After each
 * pump the owner may give it more work (fetch queues its IMAP actions as
 * the previous ones finish). The session frees itself after the done
 * function: read the engine's results there.
 */
#pragma once

#include <stdio.h>
#include <gio/gio.h>
#include <openssl/ssl.h>
#include "live/live-session.h"
#include "trace/trace.h"

G_BEGIN_DECLS

/* How long resolving and connecting may take, TLS handshake included. */
#define ML_CLIENT_CONNECT_TIMEOUT_MS  30000
/* After our FIN (QUIT answered, or we gave up), how long to wait for the
 * server's: what we wanted is over, and a server that never closes must
 * not hold the command up (serve's sessions wait longer, for their peers). */
#define ML_CLIENT_LINGER_MS           1000
/* The longest HOST:PORT taken (RFC 1035 2.3.4: 255 for a name, plus the
 * port and brackets of an IPv6 literal). */
#define ML_CLIENT_MAX_SERVER          (255 + 8)

typedef enum {
  ML_CLIENT_TLS_NONE = 0,  /* plain TCP; the engine may still ask for
                              STARTTLS, which then fails */
  ML_CLIENT_TLS_STARTTLS,  /* the engine asks (RFC 3207, RFC 2595, RFC 3501 6.2.1) */
  ML_CLIENT_TLS_IMPLICIT,  /* handshake before the first octet (RFC 8314 3.3) */
} MlClientTls;

typedef struct _MlClientSession MlClientSession;

/* Connected: make the engine (transfer full) and say its ops (static).
 * @local_literal is our end as an address literal ("[127.0.0.1]",
 * "[IPv6:::1]", RFC 5321 4.1.3). NULL: give up (the done function follows
 * with an error). */
typedef gpointer (*MlClientEngineFactory) (MlClientSession         *self,
                                           const char              *local_literal,
                                           const MlLiveEngineOps  **ops_out,
                                           gpointer                 user_data);
/* After every pump, while the session lives: queue more work if wanted. */
typedef void     (*MlClientAdvanceFunc)   (MlClientSession *self,
                                           gpointer         engine,
                                           gpointer         user_data);
/* Once. @engine is NULL when none was made (no connection); @error says
 * why the session could not run (resolve, connect, TLS handshake, a
 * dropped connection before the engine was done), NULL otherwise. */
typedef void     (*MlClientDoneFunc)      (MlClientSession *self,
                                           gpointer         engine,
                                           const GError    *error,
                                           gpointer         user_data);

/* A client SSL_CTX (transfer full): TLS 1.2 at least (RFC 8996, RFC 8314
 * 4.1), peers verified against @ca_file (PEM) or, when NULL, the system's
 * trust store. @insecure: the handshake goes on whatever the certificate,
 * and the outcome says it was not verified. */
SSL_CTX         *ml_client_tls_context_new (const char  *ca_file,
                                            gboolean     insecure,
                                            GError     **error);

/* @server is "HOST:PORT", "HOST" (then @default_port) or "[v6]:PORT".
 * @trace (referenced) gets the dialogue; @timeout_ms of silence from the
 * server end the session (0: never). NULL with G_IO_ERROR_INVALID_ARGUMENT
 * when @server does not parse. */
MlClientSession *ml_client_session_new     (const char  *server,
                                            guint16      default_port,
                                            MlTrace     *trace,
                                            guint        timeout_ms,
                                            GError     **error);
/* Frees a session that was never started (a started one frees itself
 * after its done function). */
void             ml_client_session_free    (MlClientSession *self);
/* @ctx is referenced; needed for any mode but NONE. */
void             ml_client_session_set_tls (MlClientSession *self,
                                            MlClientTls      mode,
                                            SSL_CTX         *ctx);
/* Starts resolving and connecting on the thread-default main context. */
void             ml_client_session_start   (MlClientSession       *self,
                                            MlClientEngineFactory  factory,
                                            MlClientAdvanceFunc    advance,
                                            MlClientDoneFunc       done,
                                            gpointer               user_data);
/* The host name dialled (borrowed), what the certificate must name. */
const char      *ml_client_session_get_host (MlClientSession *self);
/* The last TLS handshake's summary ("TLSv1.3 TLS_AES_256_GCM_SHA384,
 * certificate verified for mail.example"), NULL when none finished
 * (borrowed). */
const char      *ml_client_session_get_tls_summary (MlClientSession *self);
/* Stop now (a signal): the connection is dropped, done follows. */
void             ml_client_session_abort   (MlClientSession *self);
/* ml_client_session_start(), then the thread-default main context runs
 * until @done has returned; SIGINT and SIGTERM abort the session meanwhile
 * (done still follows). For the command line's send and fetch. */
void             ml_client_session_run     (MlClientSession       *self,
                                            MlClientEngineFactory  factory,
                                            MlClientAdvanceFunc    advance,
                                            MlClientDoneFunc       done,
                                            gpointer               user_data);

/* ---- what the user sees ---- */

/* A password file's first line (RFC 4616 2: up to 255 octets). */
#define ML_CLIENT_MAX_PASSWORD 255

/* The first line of @path without its line end (transfer full): a
 * password kept out of the command line (and so out of ps). */
char            *ml_client_read_password_file (const char *path, GError **error);

/* What stands in for a secret in the printout and the trace file. */
#define ML_CLIENT_MASK "********"

/* A copy of @event (transfer full) with any credential our client sent
 * replaced by ML_CLIENT_MASK: PASS's argument, LOGIN's password, the
 * initial response of AUTH/AUTHENTICATE and every SASL response line, an
 * APOP digest. Other events are copied unchanged. */
MlTraceEvent    *ml_client_mask_credentials (const MlTraceEvent *event);

/* Streams @trace's events, masked, to a transcript on @out (may be NULL;
 * times counted from the first event) and as JSON lines, with the real
 * time as `serve --trace` writes them, to @json_path (may be NULL). */
typedef struct _MlClientOutput MlClientOutput;
MlClientOutput  *ml_client_output_new   (MlTrace     *trace,
                                         FILE        *out,
                                         const char  *json_path,
                                         GError     **error);
/* Detaches and flushes; FALSE with the first write error. */
gboolean         ml_client_output_close (MlClientOutput *self,
                                         GError        **error);
void             ml_client_output_free  (MlClientOutput *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlClientOutput, ml_client_output_free)

G_END_DECLS

/* engine-session.h — any sans-I/O engine wired to an MlStream and the trace.
 *
 * The engines (SMTP, POP3, IMAP; server and client) share one shape:
 * bytes in, events and bytes out. A session feeds its engine what the
 * stream delivers, records the engine's events in the trace, writes its
 * output to the stream, and closes the stream when the engine is finished.
 * The engine-specific calls come in through an MlEngineOps table, so this
 * loop is written once.
 */
#pragma once

#include "net/network.h"
#include "proto/engine-event.h"
#include "tls/tls-context.h"

G_BEGIN_DECLS

typedef struct {
  gsize    (*feed)            (gpointer engine, const guint8 *data, gsize len);
  gboolean (*next_event)      (gpointer engine, MlEngineEvent *event_out);
  GBytes  *(*take_output)     (gpointer engine);               /* transfer full */
  gboolean (*finished)        (gpointer engine);               /* close once flushed */
  void     (*connection_lost) (gpointer engine);
  void     (*set_now)         (gpointer engine, gint64 unix_usec);  /* may be NULL */
  void     (*free)            (gpointer engine);
  /* The TLS handshake the engine asked for (ML_ENGINE_EVENT_START_TLS)
   * completed: what flows from now on is protected. May be NULL for an
   * engine that never asks. If the handshake fails the connection is
   * closed and connection_lost() is called instead. */
  void     (*tls_started)     (gpointer engine);
  /* After a failed login the engine asks its owner to hold the answer
   * back (RFC 4954 6, RFC 5034 8: slow password guessing); it has no
   * clock. Returns the delay asked since the last call, in ms, or 0.
   * May be NULL. The session holds the output (and the close) that
   * long in virtual time. */
  guint    (*take_delay_ms)   (gpointer engine);
} MlEngineOps;

typedef struct _MlEngineSession MlEngineSession;

/* Called once when the session ends, however it ends, just before the
 * engine is freed: read its results here. @error is set when the
 * connection failed (refused, reset, timed out) before the engine was
 * finished. */
typedef void (*MlEngineDoneFunc) (gpointer      engine,
                                  const GError *error,
                                  gpointer      user_data);

/* Serves one accepted connection with @engine (transfer full). */
MlEngineSession *ml_engine_session_serve   (MlNetwork         *network,
                                            MlStream          *stream,
                                            const char        *host_name,
                                            gpointer           engine,
                                            const MlEngineOps *ops);
/* Connects from @host to @dst_ip:@port and runs @engine (transfer full). */
MlEngineSession *ml_engine_session_connect (MlNetwork         *network,
                                            MlHost            *host,
                                            guint32            dst_ip,
                                            guint16            port,
                                            gpointer           engine,
                                            const MlEngineOps *ops,
                                            MlEngineDoneFunc   done,
                                            gpointer           user_data);
/* The run's TLS (borrowed; outlives the session). With it, an engine's
 * START_TLS event is honoured: a server session sends what the engine
 * wrote so far in the clear (the go-ahead) and answers the handshake; a
 * client session starts the handshake and verifies the certificate
 * against the host name it dialled (RFC 7817 3). Without it START_TLS
 * ends the session, recorded as tls.unavailable. The handshake (start,
 * version and cipher, or why it failed) is recorded as tls.* notes. */
void             ml_engine_session_set_tls (MlEngineSession *self, MlTlsContext *tls);
/* Every session made on @network from now on gets @tls (borrowed) as if
 * by set_tls: a world registers its TLS once instead of handing it to
 * each host and device. NULL unregisters; do so before freeing @tls. */
void             ml_engine_session_register_tls (MlNetwork *network, MlTlsContext *tls);
/* Implicit TLS (RFC 8314 3.3, ports 465, 993, 995): the handshake runs
 * first and the engine's first byte is already protected. Call right
 * after set_tls, before the first pump; the engine's tls_started is not
 * called (it was made for implicit TLS). */
void             ml_engine_session_start_tls (MlEngineSession *self);
/* The session's connection is under TLS. */
gboolean         ml_engine_session_is_tls  (MlEngineSession *self);
/* After the owner gave the engine more work (a client action): drain its
 * events and send its output. The session may end inside this call; don't
 * use it afterwards unless it is still known to be alive. */
void             ml_engine_session_pump    (MlEngineSession *self);
/* The same, a moment later (a zero-delay event): for an engine that wakes
 * up inside somebody else's store change (IMAP IDLE), where draining it at
 * once would run inside that change. Several calls before it runs make one
 * pump. */
void             ml_engine_session_schedule_pump (MlEngineSession *self);
gpointer         ml_engine_session_get_engine (MlEngineSession *self);
/* Called after every pump while the session lives (a client owner sees its
 * actions finish at the moment they do). */
void             ml_engine_session_set_pump_hook (MlEngineSession *self,
                                                  void (*hook) (gpointer engine, gpointer user_data),
                                                  gpointer user_data);

G_END_DECLS

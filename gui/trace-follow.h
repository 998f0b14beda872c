/* trace-follow.h — following a running server's trace (GTK-free).
 *
 * `maillab-cli serve` publishes its trace on a Unix socket
 * (sim/live/trace-socket.h): a hello line, then one JSON line per event.
 * An MlTraceFollow connects to it, reads asynchronously on the main
 * context (the window never waits on the server), and appends each event
 * to its own MlTrace, saying when the trace grew. Losing the server is a
 * state, not an error the caller must handle: the trace read so far stays.
 */
#pragma once

#include <gio/gio.h>
#include "trace/trace.h"

G_BEGIN_DECLS

/* One read asks for at most this much; a busy server's burst of events is
 * taken in pieces this size, each followed by one "grew". */
#define ML_TRACE_FOLLOW_READ_SIZE  (64 * 1024)

typedef enum {
  ML_TRACE_FOLLOW_IDLE = 0,     /* not started */
  ML_TRACE_FOLLOW_CONNECTING,   /* connected or connecting, no hello yet */
  ML_TRACE_FOLLOW_ATTACHED,     /* hello read; events arrive */
  ML_TRACE_FOLLOW_CLOSED,       /* the server went away, or stop */
} MlTraceFollowState;

#define ML_TYPE_TRACE_FOLLOW (ml_trace_follow_get_type ())
G_DECLARE_FINAL_TYPE (MlTraceFollow, ml_trace_follow, ML, TRACE_FOLLOW, GObject)

/* Transfer full. Nothing happens until ml_trace_follow_start. */
MlTraceFollow     *ml_trace_follow_new          (const char *socket_path);
/* Connects and reads on the thread-default main context. Signals:
 * "attached" once the hello is read; "grew" (guint64 events added) after
 * each read that appended events; "closed" (the GError, or NULL for an
 * orderly end or stop) once. */
void               ml_trace_follow_start        (MlTraceFollow *self);
/* Stops reading and closes the connection ("closed" with NULL).
 * Harmless when already closed. */
void               ml_trace_follow_stop         (MlTraceFollow *self);

MlTrace           *ml_trace_follow_get_trace    (MlTraceFollow *self);  /* borrowed */
const char        *ml_trace_follow_get_path     (MlTraceFollow *self);  /* borrowed */
/* The server's name from its hello (borrowed), NULL before. */
const char        *ml_trace_follow_get_server   (MlTraceFollow *self);
MlTraceFollowState ml_trace_follow_get_state    (MlTraceFollow *self);
/* Why it closed (borrowed), NULL while open or after an orderly end. */
const GError      *ml_trace_follow_get_error    (MlTraceFollow *self);
/* TCP connections seen in the events so far (distinct conn_id). */
guint              ml_trace_follow_get_n_sessions (MlTraceFollow *self);

G_END_DECLS

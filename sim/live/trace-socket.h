/* trace-socket.h — a live server's trace, published on a Unix socket.
 *
 * `maillab-cli serve` appends every session's events to one MlTrace; this
 * subscribes to it and writes each event as a JSON line (json-writer's
 * ml_json_format_event) to every program connected to the socket, so the
 * visualizer can draw the sessions as they happen. A watcher first gets a
 * hello line naming the server, then the events from that moment on.
 *
 * The socket is created mode 0600: only the user running the server may
 * watch, because the trace holds every line of every session (AUTH PLAIN
 * included). The server never waits for a watcher: writes are
 * non-blocking, and a watcher whose unsent lines pass
 * ML_TRACE_SOCKET_MAX_PENDING is dropped with a message, so a stalled
 * viewer costs at most that much memory.
 */
#pragma once

#include <gio/gio.h>
#include "trace/trace.h"

G_BEGIN_DECLS

/* What one watcher may have waiting beyond the kernel's socket buffer: a
 * few seconds of a busy server's events, far more than a viewer that keeps
 * up ever holds. One line more may be queued when the queue was empty, so
 * a single large event never drops a watcher that keeps up. */
#define ML_TRACE_SOCKET_MAX_PENDING   (4 * 1024 * 1024)
/* Watchers at once: a teacher's projector and a few students' laptops. */
#define ML_TRACE_SOCKET_MAX_WATCHERS  32
/* sockaddr_un's sun_path is 108 bytes on Linux, NUL included (unix(7)). */
#define ML_TRACE_SOCKET_MAX_PATH      107
/* The hello line's "maillab" member, and its format version. */
#define ML_TRACE_SOCKET_HELLO         "trace"
#define ML_TRACE_SOCKET_VERSION       1

#define ML_TRACE_SOCKET_ERROR (ml_trace_socket_error_quark ())
GQuark ml_trace_socket_error_quark (void);

typedef enum {
  ML_TRACE_SOCKET_ERROR_PATH,    /* too long, or taken by something else */
  ML_TRACE_SOCKET_ERROR_IN_USE,  /* another server answers on it */
  ML_TRACE_SOCKET_ERROR_HELLO,   /* the first line is no hello */
} MlTraceSocketError;

typedef struct _MlTraceSocket MlTraceSocket;

/* Listens on @path (a stale socket left by a server that died is
 * replaced; anything else there is an error) and subscribes to @trace
 * (a reference is taken). @server_name goes into the hello ("localhost").
 * Sources run on the thread-default main context. Transfer full. */
MlTraceSocket *ml_trace_socket_new              (const char *path,
                                                 MlTrace    *trace,
                                                 const char *server_name,
                                                 GError    **error);
/* Unsubscribes, closes every watcher and removes the socket file. */
void           ml_trace_socket_free             (MlTraceSocket *self);
const char    *ml_trace_socket_get_path         (MlTraceSocket *self);   /* borrowed */
guint          ml_trace_socket_get_n_watchers   (MlTraceSocket *self);
/* Watchers dropped for being too slow, since the start. */
guint          ml_trace_socket_get_n_dropped    (MlTraceSocket *self);
/* Bytes queued for all watchers now, and the most ever queued for one. */
gsize          ml_trace_socket_get_pending      (MlTraceSocket *self);
gsize          ml_trace_socket_get_max_pending  (MlTraceSocket *self);

/* The watcher's side: reads the hello line. TRUE and the server's name
 * (transfer full, may be NULL) when @line is a hello of a version this
 * build reads. */
gboolean       ml_trace_socket_parse_hello      (const char *line,
                                                 gsize       len,
                                                 char      **server_name_out,
                                                 GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlTraceSocket, ml_trace_socket_free)

G_END_DECLS

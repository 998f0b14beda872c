/* socket-stream.h — MlSocketStream, an MlStream over a real TCP socket.
 *
 * Live mode serves real clients with the same engines the simulation
 * drives; this is the seam between them and GIO. The socket is
 * non-blocking and served from sources on the thread-default GMainContext
 * of the thread that made the stream (nothing blocks the loop): a write
 * goes straight to the socket, and what it does not take now is queued
 * and written as it becomes writable. While more than ML_SOCKET_STREAM_HIGH_WATER octets wait to be
 * written, no further input is read: a client that pipelines commands but
 * never reads the answers is slowed down by its own TCP window instead of
 * growing our memory.
 *
 * ml_stream_close() shuts down the sending side once the queue is written
 * (FIN, RFC 9293 3.10.4); the connection is released when the peer closes
 * too, or after ML_SOCKET_STREAM_LINGER_MS. End of input, a reset or any
 * other socket error ends the stream: the closed callback runs once, with
 * NULL for an orderly close by the peer, otherwise with the GError.
 */
#pragma once

#include "stream/stream.h"

G_BEGIN_DECLS

/* One read asks the kernel for at most this much. */
#define ML_SOCKET_STREAM_READ_SIZE   (16 * 1024)
/* Output waiting to be written past which reading pauses (our bound: a few
 * of the largest replies the engines hand out in one go) … */
#define ML_SOCKET_STREAM_HIGH_WATER  (1024 * 1024)
/* … and below which it resumes. */
#define ML_SOCKET_STREAM_LOW_WATER   (256 * 1024)
/* After our FIN, how long we wait for the peer's before dropping the
 * connection (a peer that never closes must not hold a descriptor). */
#define ML_SOCKET_STREAM_LINGER_MS   10000

#define ML_TYPE_SOCKET_STREAM (ml_socket_stream_get_type ())
G_DECLARE_FINAL_TYPE (MlSocketStream, ml_socket_stream, ML, SOCKET_STREAM, MlStream)

/* Wraps an accepted or connected @connection (a reference is taken) and
 * starts reading at once: set the callbacks before returning to the main
 * loop. Transfer full. */
MlSocketStream *ml_socket_stream_new              (GSocketConnection *connection);
/* "127.0.0.1:2525 ← 127.0.0.1:40312", borrowed. */
const char     *ml_socket_stream_get_peer_address (MlSocketStream *self);  /* "127.0.0.1" */
guint16         ml_socket_stream_get_peer_port    (MlSocketStream *self);
guint16         ml_socket_stream_get_local_port   (MlSocketStream *self);
/* Octets queued and not yet taken by the kernel. */
gsize           ml_socket_stream_get_pending      (MlSocketStream *self);
/* How long to wait for the peer's FIN after ours (default
 * ML_SOCKET_STREAM_LINGER_MS); a stopping server waits less. */
void            ml_socket_stream_set_linger       (MlSocketStream *self, guint ms);
/* Called (from the main loop) when the output waiting to be written falls
 * below ML_SOCKET_STREAM_LOW_WATER after it was above the high-water mark:
 * an owner that stopped producing output can go on. */
typedef void (*MlSocketStreamDrainedFunc) (MlSocketStream *stream, gpointer user_data);
void            ml_socket_stream_set_drained_func (MlSocketStream           *self,
                                                   MlSocketStreamDrainedFunc func,
                                                   gpointer                  user_data);
/* While paused nothing more is read from the socket (the kernel's buffer
 * and then TCP's window hold the peer back); unpausing reads again. For an
 * owner that cannot take input for a while, as an SMTP server waiting for
 * a delivery's fsync before its 250. */
void            ml_socket_stream_set_paused       (MlSocketStream *self, gboolean paused);
/* Drops the connection now: queued output is discarded, the closed callback
 * runs with G_IO_ERROR_CANCELLED (a shutdown that cannot wait). */
void            ml_socket_stream_abort            (MlSocketStream *self);

G_END_DECLS

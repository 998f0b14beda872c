/* stream.h — MlStream, the one transport seam.
 *
 * Engines never see sockets: whoever owns an engine wires it to an MlStream.
 * Implementations: simulated TCP (net/tcp-stream.c), later real sockets (GIO)
 * and TLS wrapping either. Callbacks run from the owner's event loop (the
 * simulation scheduler, or a GMainContext in live mode), never re-entrantly
 * from inside ml_stream_write().
 */
#pragma once

#include <glib-object.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define ML_TYPE_STREAM (ml_stream_get_type ())
G_DECLARE_DERIVABLE_TYPE (MlStream, ml_stream, ML, STREAM, GObject)

/* The connection is established (a connecting client stream only). */
typedef void (*MlStreamConnectedFunc) (MlStream *stream, gpointer user_data);
/* Bytes arrived, in order. */
typedef void (*MlStreamDataFunc)      (MlStream *stream, const guint8 *data,
                                       gsize len, gpointer user_data);
/* The stream is finished: @error is NULL when the peer closed in order (FIN),
 * G_IO_ERROR_CONNECTION_REFUSED for a refused connect, another GIOError for a
 * reset or timeout. No callback runs after this one. */
typedef void (*MlStreamClosedFunc)    (MlStream *stream, const GError *error,
                                       gpointer user_data);

struct _MlStreamClass
{
  GObjectClass parent_class;

  void         (*write)       (MlStream *self, const guint8 *data, gsize len);
  void         (*close)       (MlStream *self);
  const char * (*describe)    (MlStream *self);  /* "10.0.0.1:49152 → 10.0.0.2:25" */

  gpointer padding[8];
};

void        ml_stream_set_callbacks   (MlStream              *self,
                                       MlStreamConnectedFunc  connected,
                                       MlStreamDataFunc       data,
                                       MlStreamClosedFunc     closed,
                                       gpointer               user_data);
void        ml_stream_write           (MlStream *self, const guint8 *data, gsize len);
void        ml_stream_write_bytes     (MlStream *self, GBytes *bytes);
/* Orderly close of our sending side (FIN). Reading goes on until the peer
 * closes too. */
void        ml_stream_close           (MlStream *self);
const char *ml_stream_describe        (MlStream *self);
gboolean    ml_stream_is_closed       (MlStream *self);
/* A number naming the connection in the trace (conn_id of its events);
 * 0 when the implementation has none. */
guint       ml_stream_get_id          (MlStream *self);
void        ml_stream_set_id          (MlStream *self, guint id);

/* For implementations: report what happened to whoever listens. */
void        ml_stream_emit_connected  (MlStream *self);
void        ml_stream_emit_data       (MlStream *self, const guint8 *data, gsize len);
void        ml_stream_emit_closed     (MlStream *self, const GError *error);

G_END_DECLS

/* MlSocketStream: an MlStream over a GSocketConnection. Every socket source
 * attached (reading, output waiting, the linger timer) holds a reference on
 * the stream, so the owner may drop its own reference at any time (inside a
 * callback too) and the queued output is still written and the FIN still
 * sent. */
#define G_LOG_DOMAIN "ml-socket-stream"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include "live/socket-stream.h"

struct _MlSocketStream
{
  MlStream           parent_instance;
  GSocketConnection *connection;
  GSource           *read_source;    /* set while reading */
  GSource           *write_source;   /* set while output waits for the socket */
  guint8            *read_buffer;
  GQueue             queue;          /* GBytes* waiting to be written */
  gsize              head_offset;    /* octets of the queue's head already written */
  gsize              pending;
  gboolean           close_requested;
  gboolean           write_shut;
  gboolean           eof;
  gboolean           released;
  guint              linger_id;
  guint              linger_ms;
  gboolean           above_high_water;
  gboolean           paused;         /* the owner takes no input for now */
  MlSocketStreamDrainedFunc drained;
  gpointer           drained_data;
  char              *peer_address;
  guint16            peer_port;
  guint16            local_port;
  char              *description;
};

G_DEFINE_FINAL_TYPE (MlSocketStream, ml_socket_stream, ML_TYPE_STREAM)

static void start_read (MlSocketStream *self);
static void kick_write (MlSocketStream *self);
static void stop_source (GSource **source);

/* Lets go of the socket: nothing more is read or written. */
static void
release (MlSocketStream *self)
{
  if (self->released)
    return;
  self->released = TRUE;
  stop_source (&self->read_source);
  stop_source (&self->write_source);
  g_clear_handle_id (&self->linger_id, g_source_remove);
  g_queue_clear_full (&self->queue, (GDestroyNotify) g_bytes_unref);
  self->pending = 0;
  /* Closing a socket does not block; errors here change nothing. */
  g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
}

static void
fail (MlSocketStream *self, const GError *error)
{
  g_autoptr(MlSocketStream) hold = g_object_ref (self);

  release (self);
  ml_stream_emit_closed (ML_STREAM (self), error);
}

static gboolean
on_linger_timeout (gpointer data)
{
  MlSocketStream *self = data;

  self->linger_id = 0;
  release (self);
  /* The peer never sent its FIN: for the owner the connection is over. */
  ml_stream_emit_closed (ML_STREAM (self), NULL);
  return G_SOURCE_REMOVE;
}

static void
shut_write_side (MlSocketStream *self)
{
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_connection_get_socket (self->connection);

  self->write_shut = TRUE;
  if (self->eof)
    {
      release (self);
      return;
    }
  if (!g_socket_shutdown (socket, FALSE, TRUE, &error))
    {
      /* ENOTCONN: the peer is already gone. */
      release (self);
      ml_stream_emit_closed (ML_STREAM (self), NULL);
      return;
    }
  self->linger_id = g_timeout_add_full (G_PRIORITY_DEFAULT, self->linger_ms,
                                        on_linger_timeout, g_object_ref (self),
                                        g_object_unref);
}

/* The socket, non-blocking, straight from the main loop: a readable or
 * writable socket is served in the dispatch that saw it, where GIO's
 * read_async/write_async would complete through a GTask and a further
 * main-loop iteration each (three wakeups per request and answer, which
 * is what a POP3 client fetching one message at a time waits for). */
static GSocket *
get_socket (MlSocketStream *self)
{
  return g_socket_connection_get_socket (self->connection);
}

static void
stop_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
after_written (MlSocketStream *self)
{
  if (self->read_source == NULL && self->pending < ML_SOCKET_STREAM_LOW_WATER)
    start_read (self);
  if (self->above_high_water && self->pending < ML_SOCKET_STREAM_LOW_WATER)
    {
      self->above_high_water = FALSE;
      if (self->drained != NULL && !self->released)
        self->drained (self, self->drained_data);
    }
}

/* Writes what the socket takes now. FALSE after an error (the stream has
 * failed) — the caller must then stop. */
static gboolean
write_queue (MlSocketStream *self)
{
  GBytes *head;

  while (!self->released && (head = g_queue_peek_head (&self->queue)) != NULL)
    {
      g_autoptr(GError) error = NULL;
      gsize size;
      const guint8 *data = g_bytes_get_data (head, &size);
      gssize n = g_socket_send_with_blocking (get_socket (self),
                                              (const char *) data + self->head_offset,
                                              size - self->head_offset, FALSE, NULL, &error);

      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return TRUE;
          fail (self, error);
          return FALSE;
        }
      self->head_offset += n;
      self->pending -= n;
      if (self->head_offset == size)
        {
          g_bytes_unref (g_queue_pop_head (&self->queue));
          self->head_offset = 0;
        }
    }
  return TRUE;
}

static gboolean
on_writable (GSocket *socket, GIOCondition condition, gpointer data)
{
  MlSocketStream *self = data;

  if (self->released)
    return G_SOURCE_REMOVE;
  if (!write_queue (self))
    return G_SOURCE_REMOVE;   /* failed: release() destroyed this source */
  if (!g_queue_is_empty (&self->queue))
    {
      after_written (self);
      return G_SOURCE_CONTINUE;
    }
  g_clear_pointer (&self->write_source, g_source_unref);
  kick_write (self);
  after_written (self);
  return G_SOURCE_REMOVE;
}

/* Queued output waits for the socket to be writable; once the queue is
 * empty after a close, the FIN goes. The source holds a reference, so
 * the output leaves even if the owner has let go. */
static void
watch_writable (MlSocketStream *self)
{
  if (self->write_source != NULL || self->released)
    return;
  self->write_source = g_socket_create_source (get_socket (self), G_IO_OUT | G_IO_ERR | G_IO_HUP,
                                               NULL);
  g_source_set_callback (self->write_source, G_SOURCE_FUNC (on_writable), g_object_ref (self),
                         g_object_unref);
  g_source_set_can_recurse (self->write_source, TRUE);   /* as for reading */
  g_source_attach (self->write_source, NULL);
}

static void
kick_write (MlSocketStream *self)
{
  if (self->write_source != NULL || self->released)
    return;
  if (g_queue_is_empty (&self->queue))
    {
      if (self->close_requested && !self->write_shut)
        shut_write_side (self);
      return;
    }
  watch_writable (self);
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer data)
{
  MlSocketStream *self = data;
  g_autoptr(GError) error = NULL;
  gssize n;

  if (self->released || self->eof || self->paused || self->pending > ML_SOCKET_STREAM_HIGH_WATER)
    {
      /* Paused (on_writable resumes below the low-water mark, the owner
       * by ml_socket_stream_set_paused) or over. */
      g_clear_pointer (&self->read_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  n = g_socket_receive_with_blocking (socket, (char *) self->read_buffer,
                                      ML_SOCKET_STREAM_READ_SIZE, FALSE, NULL, &error);
  if (n < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      g_clear_pointer (&self->read_source, g_source_unref);
      fail (self, error);
      return G_SOURCE_REMOVE;
    }
  if (n == 0)
    {
      /* The peer's FIN: nothing more will come. What is queued still goes
       * out, then our side closes too. */
      g_autoptr(MlSocketStream) hold = g_object_ref (self);

      g_clear_pointer (&self->read_source, g_source_unref);
      self->eof = TRUE;
      self->close_requested = TRUE;
      if (self->write_shut)
        release (self);
      ml_stream_emit_closed (ML_STREAM (self), NULL);
      kick_write (self);
      return G_SOURCE_REMOVE;
    }
  ml_stream_emit_data (ML_STREAM (self), self->read_buffer, n);
  if (self->read_source == NULL)
    return G_SOURCE_REMOVE;   /* released meanwhile */
  if (self->released || self->paused || self->pending > ML_SOCKET_STREAM_HIGH_WATER)
    {
      g_clear_pointer (&self->read_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
start_read (MlSocketStream *self)
{
  if (self->read_source != NULL || self->eof || self->released || self->paused)
    return;
  if (self->pending > ML_SOCKET_STREAM_HIGH_WATER)
    return;   /* on_writable resumes below the low-water mark */
  self->read_source = g_socket_create_source (get_socket (self), G_IO_IN | G_IO_ERR | G_IO_HUP,
                                              NULL);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (on_readable), g_object_ref (self),
                         g_object_unref);
  /* GLib blocks a source that cannot recurse while it is dispatched, by
   * taking its descriptor out of the poll set and putting it back, each a
   * write to the context's wakeup descriptor and one more poll: per
   * request and per answer. Nothing here runs a nested loop. */
  g_source_set_can_recurse (self->read_source, TRUE);
  g_source_attach (self->read_source, NULL);
}

void
ml_socket_stream_set_paused (MlSocketStream *self, gboolean paused)
{
  g_return_if_fail (ML_IS_SOCKET_STREAM (self));
  if (self->paused == paused)
    return;
  self->paused = paused;
  if (!paused)
    start_read (self);
  /* Pausing takes effect at the next readable event, which then removes
   * the source without reading. */
}

static void
ml_socket_stream_write (MlStream *stream, const guint8 *data, gsize len)
{
  MlSocketStream *self = ML_SOCKET_STREAM (stream);

  if (self->released || self->close_requested || len == 0)
    return;
  if (g_queue_is_empty (&self->queue))
    {
      /* Straight to the socket; only what it does not take now waits. */
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send_with_blocking (get_socket (self), (const char *) data, len,
                                              FALSE, NULL, &error);

      /* An error is left for the writable source to meet and report,
       * from the main loop rather than inside the owner's write. */
      if (n > 0)
        {
          data += n;
          len -= n;
        }
      if (len == 0)
        return;
    }
  g_queue_push_tail (&self->queue, g_bytes_new (data, len));
  self->pending += len;
  if (self->pending > ML_SOCKET_STREAM_HIGH_WATER)
    self->above_high_water = TRUE;
  kick_write (self);
}

static void
ml_socket_stream_close (MlStream *stream)
{
  MlSocketStream *self = ML_SOCKET_STREAM (stream);

  if (self->close_requested)
    return;
  self->close_requested = TRUE;
  /* The FIN goes from the main loop (on_writable), never from inside the
   * owner's call: a peer already gone ends the stream there, and the
   * owner must not be told so while it is still closing. */
  watch_writable (self);
}

static const char *
ml_socket_stream_describe (MlStream *stream)
{
  return ML_SOCKET_STREAM (stream)->description;
}

static void
ml_socket_stream_finalize (GObject *object)
{
  MlSocketStream *self = ML_SOCKET_STREAM (object);

  release (self);
  g_object_unref (self->connection);
  g_free (self->read_buffer);
  g_free (self->peer_address);
  g_free (self->description);
  G_OBJECT_CLASS (ml_socket_stream_parent_class)->finalize (object);
}

static void
ml_socket_stream_class_init (MlSocketStreamClass *klass)
{
  MlStreamClass *stream_class = ML_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ml_socket_stream_finalize;
  stream_class->write = ml_socket_stream_write;
  stream_class->close = ml_socket_stream_close;
  stream_class->describe = ml_socket_stream_describe;
}

static void
ml_socket_stream_init (MlSocketStream *self)
{
  g_queue_init (&self->queue);
  self->linger_ms = ML_SOCKET_STREAM_LINGER_MS;
}

static char *
dup_address (GSocketAddress *address, guint16 *port_out)
{
  GInetSocketAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    {
      *port_out = 0;
      return g_strdup ("?");
    }
  inet = G_INET_SOCKET_ADDRESS (address);
  *port_out = g_inet_socket_address_get_port (inet);
  return g_inet_address_to_string (g_inet_socket_address_get_address (inet));
}

MlSocketStream *
ml_socket_stream_new (GSocketConnection *connection)
{
  MlSocketStream *self;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autofree char *local_address = NULL;
  GSocket *socket;

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);
  self = g_object_new (ML_TYPE_SOCKET_STREAM, NULL);
  self->connection = g_object_ref (connection);
  self->read_buffer = g_malloc (ML_SOCKET_STREAM_READ_SIZE);

  socket = g_socket_connection_get_socket (connection);
  /* Replies are written whole; Nagle would only hold the last segment of
   * a pipelined answer back for the peer's delayed ACK. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  local = g_socket_connection_get_local_address (connection, NULL);
  remote = g_socket_connection_get_remote_address (connection, NULL);
  local_address = local ? dup_address (local, &self->local_port) : g_strdup ("?");
  self->peer_address = remote ? dup_address (remote, &self->peer_port) : g_strdup ("?");
  self->description = g_strdup_printf ("%s:%u ← %s:%u", local_address, self->local_port,
                                       self->peer_address, self->peer_port);
  start_read (self);
  return self;
}

const char *
ml_socket_stream_get_peer_address (MlSocketStream *self)
{
  g_return_val_if_fail (ML_IS_SOCKET_STREAM (self), NULL);
  return self->peer_address;
}

guint16
ml_socket_stream_get_peer_port (MlSocketStream *self)
{
  g_return_val_if_fail (ML_IS_SOCKET_STREAM (self), 0);
  return self->peer_port;
}

guint16
ml_socket_stream_get_local_port (MlSocketStream *self)
{
  g_return_val_if_fail (ML_IS_SOCKET_STREAM (self), 0);
  return self->local_port;
}

gsize
ml_socket_stream_get_pending (MlSocketStream *self)
{
  g_return_val_if_fail (ML_IS_SOCKET_STREAM (self), 0);
  return self->pending;
}

void
ml_socket_stream_set_drained_func (MlSocketStream *self, MlSocketStreamDrainedFunc func,
                                   gpointer user_data)
{
  g_return_if_fail (ML_IS_SOCKET_STREAM (self));
  self->drained = func;
  self->drained_data = user_data;
}

void
ml_socket_stream_set_linger (MlSocketStream *self, guint ms)
{
  g_return_if_fail (ML_IS_SOCKET_STREAM (self));
  self->linger_ms = ms;
  if (self->linger_id != 0)
    {
      g_source_remove (self->linger_id);
      self->linger_id = g_timeout_add_full (G_PRIORITY_DEFAULT, ms, on_linger_timeout,
                                            g_object_ref (self), g_object_unref);
    }
}

void
ml_socket_stream_abort (MlSocketStream *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (ML_IS_SOCKET_STREAM (self));
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "connection dropped by the server");
  fail (self, error);
}

#define G_LOG_DOMAIN "ml-trace-follow"

#include "trace-follow.h"

#include <gio/gunixsocketaddress.h>
#include "live/trace-socket.h"
#include "trace/json-reader.h"

struct _MlTraceFollow
{
  GObject            parent_instance;

  char              *path;
  MlTrace           *trace;
  MlTraceFollowState state;
  char              *server;
  GError            *error;
  GHashTable        *conn_ids;     /* guint → present */

  GSocketClient     *client;
  GSocketConnection *connection;
  GCancellable      *cancellable;
  MlJsonLines       *lines;
  guint64            appended;     /* events added by the current read */
};

G_DEFINE_FINAL_TYPE (MlTraceFollow, ml_trace_follow, G_TYPE_OBJECT)

enum {
  SIGNAL_ATTACHED,
  SIGNAL_GREW,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
close_with (MlTraceFollow *self, GError *error)
{
  if (self->state == ML_TRACE_FOLLOW_CLOSED)
    {
      g_clear_error (&error);
      return;
    }
  self->state = ML_TRACE_FOLLOW_CLOSED;
  self->error = error;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->connection)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
  g_clear_object (&self->connection);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, self->error);
}

static gboolean
on_line (const char *line, gsize len, gpointer user_data, GError **error)
{
  MlTraceFollow *self = user_data;
  MlTraceEvent *event;

  if (self->state == ML_TRACE_FOLLOW_CONNECTING)
    {
      g_autofree char *server = NULL;

      if (!ml_trace_socket_parse_hello (line, len, &server, error))
        return FALSE;
      self->server = g_steal_pointer (&server);
      self->state = ML_TRACE_FOLLOW_ATTACHED;
      g_signal_emit (self, signals[SIGNAL_ATTACHED], 0);
      return TRUE;
    }

  event = ml_json_parse_event (line, len, error);
  if (event == NULL)
    return FALSE;
  if (event->conn_id != 0)
    g_hash_table_add (self->conn_ids, GUINT_TO_POINTER (event->conn_id));
  /* The server's index counts from its start; ours from the attach. */
  ml_trace_append (self->trace, event);
  self->appended++;
  return TRUE;
}

static void read_more (MlTraceFollow *self);

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(MlTraceFollow) self = user_data;
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;
  gsize len;
  const char *data;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (self->state == ML_TRACE_FOLLOW_CLOSED)
    {
      g_clear_error (&error);
      return;
    }
  if (bytes == NULL)
    {
      close_with (self, error);
      return;
    }
  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      /* The server stopped (or dropped us for reading too slowly). */
      close_with (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                             "the server closed the trace"));
      return;
    }
  self->appended = 0;
  if (!ml_json_lines_feed (self->lines, data, len, on_line, self, &error))
    {
      g_autoptr(GError) bad = error;

      if (self->appended > 0)
        g_signal_emit (self, signals[SIGNAL_GREW], 0, self->appended);
      close_with (self, g_error_new (bad->domain, bad->code, "line %" G_GUINT64_FORMAT ": %s",
                                     ml_json_lines_get_n_lines (self->lines), bad->message));
      return;
    }
  if (self->appended > 0)
    g_signal_emit (self, signals[SIGNAL_GREW], 0, self->appended);
  if (self->state != ML_TRACE_FOLLOW_CLOSED)
    read_more (self);
}

static void
read_more (MlTraceFollow *self)
{
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (self->connection)),
                                   ML_TRACE_FOLLOW_READ_SIZE, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_read, g_object_ref (self));
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(MlTraceFollow) self = user_data;
  GError *error = NULL;
  GSocketConnection *connection;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (self->state == ML_TRACE_FOLLOW_CLOSED)
    {
      g_clear_object (&connection);
      g_clear_error (&error);
      return;
    }
  if (connection == NULL)
    {
      close_with (self, error);
      return;
    }
  self->connection = connection;
  read_more (self);
}

static void
ml_trace_follow_dispose (GObject *object)
{
  MlTraceFollow *self = ML_TRACE_FOLLOW (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->connection);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (ml_trace_follow_parent_class)->dispose (object);
}

static void
ml_trace_follow_finalize (GObject *object)
{
  MlTraceFollow *self = ML_TRACE_FOLLOW (object);

  g_clear_object (&self->trace);
  g_clear_pointer (&self->lines, ml_json_lines_free);
  g_clear_pointer (&self->conn_ids, g_hash_table_unref);
  g_clear_error (&self->error);
  g_free (self->server);
  g_free (self->path);
  G_OBJECT_CLASS (ml_trace_follow_parent_class)->finalize (object);
}

static void
ml_trace_follow_class_init (MlTraceFollowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ml_trace_follow_dispose;
  object_class->finalize = ml_trace_follow_finalize;

  signals[SIGNAL_ATTACHED] =
    g_signal_new ("attached", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_GREW] =
    g_signal_new ("grew", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT64);
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ml_trace_follow_init (MlTraceFollow *self)
{
  self->trace = ml_trace_new ();
  self->conn_ids = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->lines = ml_json_lines_new (ML_JSON_READER_MAX_LINE);
}

MlTraceFollow *
ml_trace_follow_new (const char *socket_path)
{
  MlTraceFollow *self;

  g_return_val_if_fail (socket_path != NULL, NULL);

  self = g_object_new (ML_TYPE_TRACE_FOLLOW, NULL);
  self->path = g_strdup (socket_path);
  return self;
}

void
ml_trace_follow_start (MlTraceFollow *self)
{
  g_autoptr(GSocketAddress) address = NULL;

  g_return_if_fail (ML_IS_TRACE_FOLLOW (self));
  g_return_if_fail (self->state == ML_TRACE_FOLLOW_IDLE);

  self->state = ML_TRACE_FOLLOW_CONNECTING;
  self->cancellable = g_cancellable_new ();
  self->client = g_socket_client_new ();
  address = g_unix_socket_address_new (self->path);
  g_socket_client_connect_async (self->client, G_SOCKET_CONNECTABLE (address),
                                 self->cancellable, on_connected, g_object_ref (self));
}

void
ml_trace_follow_stop (MlTraceFollow *self)
{
  g_return_if_fail (ML_IS_TRACE_FOLLOW (self));
  close_with (self, NULL);
}

MlTrace *
ml_trace_follow_get_trace (MlTraceFollow *self)
{
  g_return_val_if_fail (ML_IS_TRACE_FOLLOW (self), NULL);
  return self->trace;
}

const char *
ml_trace_follow_get_path (MlTraceFollow *self)
{
  g_return_val_if_fail (ML_IS_TRACE_FOLLOW (self), NULL);
  return self->path;
}

const char *
ml_trace_follow_get_server (MlTraceFollow *self)
{
  g_return_val_if_fail (ML_IS_TRACE_FOLLOW (self), NULL);
  return self->server;
}

MlTraceFollowState
ml_trace_follow_get_state (MlTraceFollow *self)
{
  g_return_val_if_fail (ML_IS_TRACE_FOLLOW (self), ML_TRACE_FOLLOW_CLOSED);
  return self->state;
}

const GError *
ml_trace_follow_get_error (MlTraceFollow *self)
{
  g_return_val_if_fail (ML_IS_TRACE_FOLLOW (self), NULL);
  return self->error;
}

guint
ml_trace_follow_get_n_sessions (MlTraceFollow *self)
{
  g_return_val_if_fail (ML_IS_TRACE_FOLLOW (self), 0);
  return g_hash_table_size (self->conn_ids);
}

#define G_LOG_DOMAIN "ml-trace-socket"

#include "ml-config.h"
#include "live/trace-socket.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>
#include "trace/json-writer.h"

G_DEFINE_QUARK (ml-trace-socket-error-quark, ml_trace_socket_error)

/* What one read of a watcher's socket takes: watchers have nothing to say,
 * this only notices that they left. */
#define ML_TRACE_SOCKET_DISCARD 512

typedef struct _Watcher Watcher;

struct _MlTraceSocket
{
  char               *path;
  GSocket            *listener;
  GSource            *accept_source;
  MlTraceSubscription sub;
  char               *hello;      /* with its newline */
  GList              *watchers;   /* Watcher*, oldest first */
  guint               n_watchers;
  guint               n_dropped;
  guint               next_id;
  gsize               max_pending;
};

struct _Watcher
{
  MlTraceSocket *owner;
  guint          id;
  GSocket       *socket;
  GByteArray    *pending;     /* bytes not yet taken by the kernel */
  gsize          sent;        /* of @pending, already written */
  GSource       *in_source;   /* notices the watcher leaving */
  GSource       *out_source;  /* only while something is pending */
};

static gsize
watcher_pending (const Watcher *w)
{
  return w->pending->len - w->sent;
}

static void
watcher_free (Watcher *w)
{
  if (w->in_source)
    {
      g_source_destroy (w->in_source);
      g_source_unref (w->in_source);
    }
  if (w->out_source)
    {
      g_source_destroy (w->out_source);
      g_source_unref (w->out_source);
    }
  g_socket_close (w->socket, NULL);
  g_object_unref (w->socket);
  g_byte_array_unref (w->pending);
  g_free (w);
}

static void
watcher_remove (Watcher *w)
{
  MlTraceSocket *self = w->owner;

  self->watchers = g_list_remove (self->watchers, w);
  self->n_watchers--;
  watcher_free (w);
}

static gboolean on_writable (GSocket *socket, GIOCondition condition, gpointer user_data);

/* Writes what the kernel takes now. FALSE when the watcher is gone (and
 * freed). */
static gboolean
watcher_flush (Watcher *w)
{
  while (watcher_pending (w) > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (w->socket, (const char *) w->pending->data + w->sent,
                                watcher_pending (w), NULL, &error);

      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          /* A viewer that closed its window is no error of the server's. */
          g_debug ("watcher %u left: %s", w->id, error->message);
          watcher_remove (w);
          return FALSE;
        }
      w->sent += (gsize) n;
    }

  if (watcher_pending (w) == 0)
    {
      g_byte_array_set_size (w->pending, 0);
      w->sent = 0;
      if (w->out_source)
        {
          g_source_destroy (w->out_source);
          g_clear_pointer (&w->out_source, g_source_unref);
        }
      return TRUE;
    }
  /* Keep the buffer from creeping along: drop what was written once it
   * is most of it. */
  if (w->sent > w->pending->len / 2)
    {
      g_byte_array_remove_range (w->pending, 0, (guint) w->sent);
      w->sent = 0;
    }
  if (w->out_source == NULL)
    {
      w->out_source = g_socket_create_source (w->socket, G_IO_OUT, NULL);
      g_source_set_callback (w->out_source, G_SOURCE_FUNC (on_writable), w, NULL);
      g_source_set_name (w->out_source, "[maillab] trace watcher write");
      g_source_attach (w->out_source, g_main_context_get_thread_default ());
    }
  return TRUE;
}

static gboolean
on_writable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Watcher *w = user_data;

  /* flush removes this source itself once everything is written, or
   * frees the watcher with it; either way the source's fate is decided. */
  watcher_flush (w);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Watcher *w = user_data;
  char buf[ML_TRACE_SOCKET_DISCARD];
  gssize n;

  n = g_socket_receive (socket, buf, sizeof buf, NULL, NULL);
  if (n > 0 || (n < 0 && !(condition & (G_IO_HUP | G_IO_ERR))))
    return G_SOURCE_CONTINUE;
  /* End of file or an error: the watcher left. The source is destroyed
   * with the watcher; returning CONTINUE keeps GLib from doing it twice. */
  watcher_remove (w);
  return G_SOURCE_CONTINUE;
}

/* Queues @line for @w and writes what it can. */
static void
watcher_send (Watcher *w, const char *line, gsize len)
{
  MlTraceSocket *self = w->owner;
  gsize pending = watcher_pending (w);

  if (pending > 0 && pending + len > ML_TRACE_SOCKET_MAX_PENDING)
    {
      /* Waiting for it would stall every session; holding on would grow
       * without end. It reconnects and carries on from the present. */
      g_message ("trace watcher %u dropped: it fell %" G_GSIZE_FORMAT
                 " bytes behind (limit %d)", w->id, pending, ML_TRACE_SOCKET_MAX_PENDING);
      self->n_dropped++;
      watcher_remove (w);
      return;
    }
  g_byte_array_append (w->pending, (const guint8 *) line, (guint) len);
  self->max_pending = MAX (self->max_pending, watcher_pending (w));
  /* With something already queued the socket is known to be full; the
   * write source will take it. */
  if (pending == 0)
    watcher_flush (w);
}

static void
on_trace_event (MlTrace *trace, const MlTraceEvent *event, gpointer user_data)
{
  MlTraceSocket *self = user_data;
  g_autofree char *line = NULL;
  gsize len;
  GList *l, *next;

  if (self->watchers == NULL)
    return;
  line = ml_json_format_event_line (event, &len);
  for (l = self->watchers; l != NULL; l = next)
    {
      next = l->next;
      watcher_send (l->data, line, len);
    }
}

static gboolean
on_accept (GSocket *listener, GIOCondition condition, gpointer user_data)
{
  MlTraceSocket *self = user_data;
  g_autoptr(GError) error = NULL;
  GSocket *socket;
  Watcher *w;

  socket = g_socket_accept (listener, NULL, &error);
  if (socket == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_message ("trace socket: %s", error->message);
      return G_SOURCE_CONTINUE;
    }
  if (self->n_watchers >= ML_TRACE_SOCKET_MAX_WATCHERS)
    {
      g_message ("trace socket: %d watchers already, one more refused",
                 ML_TRACE_SOCKET_MAX_WATCHERS);
      g_socket_close (socket, NULL);
      g_object_unref (socket);
      return G_SOURCE_CONTINUE;
    }
  g_socket_set_blocking (socket, FALSE);

  w = g_new0 (Watcher, 1);
  w->owner = self;
  w->id = ++self->next_id;
  w->socket = socket;
  w->pending = g_byte_array_new ();
  w->in_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (w->in_source, G_SOURCE_FUNC (on_readable), w, NULL);
  g_source_set_name (w->in_source, "[maillab] trace watcher read");
  g_source_attach (w->in_source, g_main_context_get_thread_default ());
  self->watchers = g_list_append (self->watchers, w);
  self->n_watchers++;
  watcher_send (w, self->hello, strlen (self->hello));
  return G_SOURCE_CONTINUE;
}

static char *
make_hello (const char *server_name)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "maillab");
  json_builder_add_string_value (b, ML_TRACE_SOCKET_HELLO);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, ML_TRACE_SOCKET_VERSION);
  json_builder_set_member_name (b, "server");
  json_builder_add_string_value (b, server_name ? server_name : "localhost");
  json_builder_set_member_name (b, "program");
  json_builder_add_string_value (b, "maillab-cli serve " ML_VERSION);
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, getpid ());
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json = json_generator_to_data (gen, NULL);
  return g_strconcat (json, "\n", NULL);
}

/* A socket file left by a server that died answers no connect; one that
 * answers belongs to a server still running. */
static gboolean
clear_stale (const char *path, GError **error)
{
  struct stat st;
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocket) probe = NULL;

  if (lstat (path, &st) != 0)
    return TRUE;
  if (!S_ISSOCK (st.st_mode))
    {
      g_set_error (error, ML_TRACE_SOCKET_ERROR, ML_TRACE_SOCKET_ERROR_PATH,
                   "%s exists and is not a socket", path);
      return FALSE;
    }
  addr = g_unix_socket_address_new (path);
  probe = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
  if (probe && g_socket_connect (probe, addr, NULL, NULL))
    {
      g_set_error (error, ML_TRACE_SOCKET_ERROR, ML_TRACE_SOCKET_ERROR_IN_USE,
                   "another server publishes its trace on %s", path);
      return FALSE;
    }
  if (unlink (path) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

MlTraceSocket *
ml_trace_socket_new (const char *path, MlTrace *trace, const char *server_name, GError **error)
{
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocket) listener = NULL;
  MlTraceSocket *self;
  mode_t old_mask;
  gboolean bound;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (ML_IS_TRACE (trace), NULL);

  if (strlen (path) > ML_TRACE_SOCKET_MAX_PATH)
    {
      g_set_error (error, ML_TRACE_SOCKET_ERROR, ML_TRACE_SOCKET_ERROR_PATH,
                   "%s: a socket path is at most %d bytes", path, ML_TRACE_SOCKET_MAX_PATH);
      return NULL;
    }
  if (!clear_stale (path, error))
    return NULL;

  listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_DEFAULT, error);
  if (listener == NULL)
    return NULL;
  addr = g_unix_socket_address_new (path);
  /* Born 0600, so there is no moment at which another user could connect
   * (chmod after bind would leave one). */
  old_mask = umask (0177);
  bound = g_socket_bind (listener, addr, FALSE, error);
  umask (old_mask);
  if (!bound)
    return NULL;
  if (!g_socket_listen (listener, error))
    {
      unlink (path);
      return NULL;
    }
  g_socket_set_blocking (listener, FALSE);

  self = g_new0 (MlTraceSocket, 1);
  self->path = g_strdup (path);
  self->listener = g_steal_pointer (&listener);
  self->hello = make_hello (server_name);
  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_accept), self, NULL);
  g_source_set_name (self->accept_source, "[maillab] trace socket accept");
  g_source_attach (self->accept_source, g_main_context_get_thread_default ());
  ml_trace_subscribe (&self->sub, trace, on_trace_event, self);
  return self;
}

void
ml_trace_socket_free (MlTraceSocket *self)
{
  if (self == NULL)
    return;
  ml_trace_unsubscribe (&self->sub);
  while (self->watchers)
    watcher_remove (self->watchers->data);
  g_source_destroy (self->accept_source);
  g_source_unref (self->accept_source);
  g_socket_close (self->listener, NULL);
  g_object_unref (self->listener);
  unlink (self->path);
  g_free (self->path);
  g_free (self->hello);
  g_free (self);
}

const char *
ml_trace_socket_get_path (MlTraceSocket *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

guint
ml_trace_socket_get_n_watchers (MlTraceSocket *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_watchers;
}

guint
ml_trace_socket_get_n_dropped (MlTraceSocket *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_dropped;
}

gsize
ml_trace_socket_get_pending (MlTraceSocket *self)
{
  gsize total = 0;

  g_return_val_if_fail (self != NULL, 0);
  for (GList *l = self->watchers; l; l = l->next)
    total += watcher_pending (l->data);
  return total;
}

gsize
ml_trace_socket_get_max_pending (MlTraceSocket *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->max_pending;
}

gboolean
ml_trace_socket_parse_hello (const char *line, gsize len, char **server_name_out, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObject *obj;
  JsonNode *root;

  g_return_val_if_fail (line != NULL, FALSE);

  if (!json_parser_load_from_data (parser, line, (gssize) len, NULL)
      || (root = json_parser_get_root (parser)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (root)
      || g_strcmp0 (json_object_get_string_member_with_default (
                      (obj = json_node_get_object (root)), "maillab", NULL),
                    ML_TRACE_SOCKET_HELLO) != 0)
    {
      g_set_error_literal (error, ML_TRACE_SOCKET_ERROR, ML_TRACE_SOCKET_ERROR_HELLO,
                           "this socket does not speak maillab's trace");
      return FALSE;
    }
  if (json_object_get_int_member_with_default (obj, "version", 0) != ML_TRACE_SOCKET_VERSION)
    {
      g_set_error (error, ML_TRACE_SOCKET_ERROR, ML_TRACE_SOCKET_ERROR_HELLO,
                   "the server's trace is version %" G_GINT64_FORMAT ", this build reads %d",
                   json_object_get_int_member_with_default (obj, "version", 0),
                   ML_TRACE_SOCKET_VERSION);
      return FALSE;
    }
  if (server_name_out)
    *server_name_out = g_strdup (json_object_get_string_member_with_default (obj, "server", NULL));
  return TRUE;
}

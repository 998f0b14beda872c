#define G_LOG_DOMAIN "ml-json-writer"

#include "trace/json-writer.h"

#include <string.h>
#include <json-glib/json-glib.h>

struct _MlJsonWriter
{
  GOutputStream *stream;       /* owned */
  gboolean       owns_stream;  /* opened by new_for_path: close it too */
  MlTraceSubscription sub;   /* while attached */
  GError        *error;        /* first write error, reported by close */
  gboolean       closed;
};

/* JSON text must be Unicode (RFC 8259 8.1), and a dialogue line from a peer
 * need not be; json-glib would write the invalid bytes through. */
static void
add_string (JsonBuilder *b, const char *key, const char *value)
{
  g_autofree char *valid = NULL;

  if (value == NULL)
    return;
  valid = g_utf8_make_valid (value, -1);
  json_builder_set_member_name (b, key);
  json_builder_add_string_value (b, valid);
}

static void
add_uint (JsonBuilder *b, const char *key, guint64 value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, (gint64) value);
}

static void
add_true (JsonBuilder *b, const char *key, gboolean value)
{
  if (!value)
    return;
  json_builder_set_member_name (b, key);
  json_builder_add_boolean_value (b, TRUE);
}

char *
ml_json_format_event (const MlTraceEvent *e)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (e != NULL, NULL);

  json_builder_begin_object (b);
  add_uint (b, "index", e->index);
  add_uint (b, "time_us", e->time_us);
  add_string (b, "kind", ml_trace_kind_to_string (e->kind));
  add_string (b, "host", e->host);
  add_string (b, "peer", e->peer);
  if (e->conn_id != 0)
    add_uint (b, "conn_id", e->conn_id);
  if (e->protocol != ML_PROTO_NONE)
    add_string (b, "protocol", ml_protocol_to_string (e->protocol));
  /* The direction's zero value is a real direction, so "set" can only mean
   * "the kind has one". */
  if (e->kind == ML_TRACE_DIALOGUE)
    add_string (b, "direction", e->direction == ML_DIR_CLIENT_TO_SERVER
                                ? "client-to-server" : "server-to-client");
  add_string (b, "text", e->text);
  add_string (b, "verb", e->verb);
  add_string (b, "args", e->args);
  if (e->code != 0)
    add_uint (b, "code", e->code);
  add_string (b, "explain_key", e->explain_key);
  add_string (b, "state_from", e->state_from);
  add_string (b, "state_to", e->state_to);
  add_string (b, "detail", e->detail);
  add_string (b, "account", e->account);
  add_string (b, "mailbox", e->mailbox);
  if (e->uid != 0)
    add_uint (b, "uid", e->uid);
  if (e->kind == ML_TRACE_FRAME)
    add_uint (b, "hop", e->hop);
  add_string (b, "link", e->link);
  add_true (b, "dropped", e->dropped);
  add_true (b, "retransmission", e->retransmission);
  if (e->bytes != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (e->bytes, &len);
      g_autofree char *b64 = g_base64_encode (data, len);

      add_string (b, "bytes_base64", b64);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, FALSE);
  return json_generator_to_data (gen, NULL);
}

char *
ml_json_format_event_line (const MlTraceEvent *event, gsize *len_out)
{
  char *line;
  gsize len;

  g_return_val_if_fail (event != NULL, NULL);
  g_return_val_if_fail (len_out != NULL, NULL);

  line = ml_json_format_event (event);
  len = strlen (line);
  line = g_realloc (line, len + 2);
  line[len++] = '\n';
  line[len] = '\0';
  *len_out = len;
  return line;
}

static MlJsonWriter *
writer_new (GOutputStream *stream, gboolean owns)
{
  MlJsonWriter *self = g_new0 (MlJsonWriter, 1);

  self->stream = stream;
  self->owns_stream = owns;
  return self;
}

MlJsonWriter *
ml_json_writer_new (GOutputStream *stream)
{
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);
  return writer_new (g_object_ref (stream), FALSE);
}

MlJsonWriter *
ml_json_writer_new_for_path (const char *path, GError **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) out = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_file_new_for_path (path);
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL, error);
  if (out == NULL)
    return NULL;
  /* One write per event would be one system call per event on a long run. */
  return writer_new (g_buffered_output_stream_new (G_OUTPUT_STREAM (out)), TRUE);
}

void
ml_json_writer_write_event (MlJsonWriter *self, const MlTraceEvent *event)
{
  g_autofree char *line = NULL;
  gsize len;

  g_return_if_fail (self != NULL);
  g_return_if_fail (event != NULL);

  if (self->closed || self->error != NULL)
    return;

  line = ml_json_format_event_line (event, &len);
  g_output_stream_write_all (self->stream, line, len, NULL, NULL, &self->error);
}

static void
on_trace_event (MlTrace *trace, const MlTraceEvent *event, gpointer user_data)
{
  ml_json_writer_write_event (user_data, event);
}

void
ml_json_writer_attach (MlJsonWriter *self, MlTrace *trace)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (ML_IS_TRACE (trace));
  g_return_if_fail (!ml_trace_is_subscribed (&self->sub));

  ml_trace_subscribe (&self->sub, trace, on_trace_event, self);
}

gboolean
ml_json_writer_close (MlJsonWriter *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  ml_trace_unsubscribe (&self->sub);
  if (!self->closed)
    {
      GError **first = self->error == NULL ? &self->error : NULL;

      self->closed = TRUE;
      if (self->owns_stream)
        g_output_stream_close (self->stream, NULL, first);
      else
        g_output_stream_flush (self->stream, NULL, first);
    }
  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  return TRUE;
}

void
ml_json_writer_free (MlJsonWriter *self)
{
  if (self == NULL)
    return;
  ml_json_writer_close (self, NULL);
  g_clear_object (&self->stream);
  g_clear_error (&self->error);
  g_free (self);
}

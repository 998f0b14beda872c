#define G_LOG_DOMAIN "ml-json-reader"

#include "trace/json-reader.h"

#include <string.h>
#include <json-glib/json-glib.h>

G_DEFINE_QUARK (ml-json-reader-error-quark, ml_json_reader_error)

/* ---- one line → one event ----------------------------------------------- */

static gboolean
field_error (GError **error, const char *key, const char *what)
{
  g_set_error (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_FIELD,
               "\"%s\" %s", key, what);
  return FALSE;
}

/* A member the writer wrote with add_string. Absent leaves *out NULL. */
static gboolean
get_string (JsonObject *obj, const char *key, char **out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, key);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return field_error (error, key, "is not a string");
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

/* A member the writer wrote with add_uint: an integer in 0 … @max. JSON
 * numbers with a fraction or an exponent are no event's field. */
static gboolean
get_uint (JsonObject *obj, const char *key, guint64 max, gboolean required,
          guint64 *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, key);
  gint64 value;

  if (node == NULL)
    return required ? field_error (error, key, "is missing") : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return field_error (error, key, "is not an integer");
  value = json_node_get_int (node);
  if (value < 0 || (guint64) value > max)
    return field_error (error, key, "is out of range");
  *out = (guint64) value;
  return TRUE;
}

static gboolean
get_true (JsonObject *obj, const char *key, gboolean *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, key);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return field_error (error, key, "is not a boolean");
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
parse_kind (const char *name, MlTraceKind *out)
{
  for (MlTraceKind k = ML_TRACE_FRAME; k <= ML_TRACE_NOTE; k++)
    if (g_strcmp0 (name, ml_trace_kind_to_string (k)) == 0)
      {
        *out = k;
        return TRUE;
      }
  return FALSE;
}

static gboolean
parse_protocol (const char *name, MlProtocol *out)
{
  /* ML_PROTO_NONE is written as no member at all, never as "-". */
  for (MlProtocol p = ML_PROTO_SMTP; p <= ML_PROTO_TCP; p++)
    if (g_strcmp0 (name, ml_protocol_to_string (p)) == 0)
      {
        *out = p;
        return TRUE;
      }
  return FALSE;
}

/* RFC 4648 4 without the leniency of g_base64_decode, which skips any
 * character it does not know: a corrupted frame must not read as a shorter
 * one. */
static GBytes *
decode_base64 (const char *text)
{
  gsize len = strlen (text), out_len;
  guchar *data;

  if (len % 4 != 0)
    return NULL;
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (g_ascii_isalnum (c) || c == '+' || c == '/')
        continue;
      /* Padding only in the last two places, and only at the end. */
      if (c == '=' && i >= len - 2 && (i == len - 1 || text[len - 1] == '='))
        continue;
      return NULL;
    }
  data = g_base64_decode (text, &out_len);
  return g_bytes_new_take (data, out_len);
}

static gboolean
fill_event (JsonObject *obj, MlTraceEvent *e, GError **error)
{
  g_autofree char *kind = NULL, *protocol = NULL, *direction = NULL, *b64 = NULL;
  guint64 conn_id = 0, code = 0, uid = 0, hop = 0;

  if (!get_uint (obj, "index", G_MAXINT64, TRUE, &e->index, error)
      || !get_uint (obj, "time_us", G_MAXINT64, TRUE, &e->time_us, error)
      || !get_string (obj, "kind", &kind, error))
    return FALSE;
  if (kind == NULL)
    return field_error (error, "kind", "is missing");
  if (!parse_kind (kind, &e->kind))
    return field_error (error, "kind", "names no event kind");

  if (!get_string (obj, "host", &e->host, error)
      || !get_string (obj, "peer", &e->peer, error)
      || !get_uint (obj, "conn_id", G_MAXUINT, FALSE, &conn_id, error)
      || !get_string (obj, "protocol", &protocol, error)
      || !get_string (obj, "direction", &direction, error)
      || !get_string (obj, "text", &e->text, error)
      || !get_string (obj, "verb", &e->verb, error)
      || !get_string (obj, "args", &e->args, error)
      || !get_uint (obj, "code", G_MAXUINT, FALSE, &code, error)
      || !get_string (obj, "explain_key", &e->explain_key, error)
      || !get_string (obj, "state_from", &e->state_from, error)
      || !get_string (obj, "state_to", &e->state_to, error)
      || !get_string (obj, "detail", &e->detail, error)
      || !get_string (obj, "account", &e->account, error)
      || !get_string (obj, "mailbox", &e->mailbox, error)
      || !get_uint (obj, "uid", G_MAXUINT32, FALSE, &uid, error)
      || !get_uint (obj, "hop", G_MAXUINT, e->kind == ML_TRACE_FRAME, &hop, error)
      || !get_string (obj, "link", &e->link, error)
      || !get_true (obj, "dropped", &e->dropped, error)
      || !get_true (obj, "retransmission", &e->retransmission, error)
      || !get_string (obj, "bytes_base64", &b64, error))
    return FALSE;

  /* The writer leaves out what is zero; a zero written anyway would not
   * format back to the same line. */
  if (json_object_has_member (obj, "conn_id") && conn_id == 0)
    return field_error (error, "conn_id", "is 0 (the writer leaves it out)");
  if (json_object_has_member (obj, "code") && code == 0)
    return field_error (error, "code", "is 0 (the writer leaves it out)");
  if (json_object_has_member (obj, "uid") && uid == 0)
    return field_error (error, "uid", "is 0 (the writer leaves it out)");
  if (json_object_has_member (obj, "hop") && e->kind != ML_TRACE_FRAME)
    return field_error (error, "hop", "belongs to frames only");
  e->conn_id = (guint) conn_id;
  e->code = (guint) code;
  e->uid = (guint32) uid;
  e->hop = (guint) hop;

  if (protocol != NULL && !parse_protocol (protocol, &e->protocol))
    return field_error (error, "protocol", "names no protocol");

  if (e->kind == ML_TRACE_DIALOGUE)
    {
      if (direction == NULL)
        return field_error (error, "direction", "is missing from a dialogue line");
      if (strcmp (direction, "client-to-server") == 0)
        e->direction = ML_DIR_CLIENT_TO_SERVER;
      else if (strcmp (direction, "server-to-client") == 0)
        e->direction = ML_DIR_SERVER_TO_CLIENT;
      else
        return field_error (error, "direction", "is neither client-to-server nor server-to-client");
    }
  else if (direction != NULL)
    return field_error (error, "direction", "belongs to dialogue lines only");

  if (b64 != NULL)
    {
      e->bytes = decode_base64 (b64);
      if (e->bytes == NULL)
        return field_error (error, "bytes_base64", "is not base64 (RFC 4648 4)");
    }
  return TRUE;
}

MlTraceEvent *
ml_json_parse_event (const char *line, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(MlTraceEvent) event = NULL;
  g_autoptr(GError) local = NULL;
  JsonNode *root;

  g_return_val_if_fail (line != NULL || len == 0, NULL);

  if (len > ML_JSON_READER_MAX_LINE)
    {
      g_set_error (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_TOO_LONG,
                   "line of %" G_GSIZE_FORMAT " bytes is longer than %d", len,
                   ML_JSON_READER_MAX_LINE);
      return NULL;
    }
  if (len == 0)
    {
      g_set_error_literal (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_SYNTAX,
                           "an empty line");
      return NULL;
    }
  /* One line is one event: an embedded newline would be a second one, and
   * json-glib takes a NUL as the end of the text. */
  if (memchr (line, '\n', len) != NULL || memchr (line, '\r', len) != NULL
      || memchr (line, '\0', len) != NULL)
    {
      g_set_error_literal (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_SYNTAX,
                           "a line holds a line break or a NUL byte");
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, line, (gssize) len, &local))
    {
      g_set_error (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_SYNTAX,
                   "not JSON: %s", local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_SYNTAX,
                           "not a JSON object");
      return NULL;
    }

  event = ml_trace_event_new (ML_TRACE_NOTE);
  if (!fill_event (json_node_get_object (root), event, error))
    return NULL;
  return g_steal_pointer (&event);
}

/* ---- bytes → lines ------------------------------------------------------ */

struct _MlJsonLines
{
  GByteArray *partial;
  gsize       max_line;
  guint64     n_lines;
  gboolean    broken;
};

MlJsonLines *
ml_json_lines_new (gsize max_line)
{
  MlJsonLines *self = g_new0 (MlJsonLines, 1);

  g_return_val_if_fail (max_line > 0, NULL);
  self->partial = g_byte_array_new ();
  self->max_line = max_line;
  return self;
}

void
ml_json_lines_free (MlJsonLines *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->partial);
  g_free (self);
}

gsize
ml_json_lines_get_pending (const MlJsonLines *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->partial->len;
}

guint64
ml_json_lines_get_n_lines (const MlJsonLines *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_lines;
}

static gboolean
too_long (MlJsonLines *self, GError **error)
{
  self->broken = TRUE;
  g_set_error (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_TOO_LONG,
               "line %" G_GUINT64_FORMAT " is longer than %" G_GSIZE_FORMAT " bytes",
               self->n_lines + 1, self->max_line);
  return FALSE;
}

static gboolean
deliver (MlJsonLines *self, const char *line, gsize len,
         MlJsonLineFunc func, gpointer user_data, GError **error)
{
  self->n_lines++;
  return func (line, len, user_data, error);
}

gboolean
ml_json_lines_feed (MlJsonLines *self, const char *data, gsize len,
                    MlJsonLineFunc func, gpointer user_data, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (self->broken)
    return too_long (self, error);

  while (len > 0)
    {
      const char *nl = memchr (data, '\n', len);
      gsize take = nl ? (gsize) (nl - data) : len;

      if (self->partial->len + take > self->max_line)
        return too_long (self, error);
      if (nl == NULL)
        {
          g_byte_array_append (self->partial, (const guint8 *) data, take);
          return TRUE;
        }
      if (self->partial->len == 0)
        {
          /* The usual case, a whole line in one read: the callback wants
           * it NUL-terminated, and @data is not ours to write into. */
          g_autofree char *line = g_strndup (data, take);

          if (!deliver (self, line, take, func, user_data, error))
            return FALSE;
        }
      else
        {
          gboolean ok;

          g_byte_array_append (self->partial, (const guint8 *) data, take);
          g_byte_array_append (self->partial, (const guint8 *) "", 1);
          ok = deliver (self, (const char *) self->partial->data,
                        self->partial->len - 1, func, user_data, error);
          g_byte_array_set_size (self->partial, 0);
          if (!ok)
            return FALSE;
        }
      data += take + 1;
      len -= take + 1;
    }
  return TRUE;
}

/* ---- a whole file ------------------------------------------------------- */

/* Reading a file in pieces this size keeps memory at one line plus this. */
#define ML_JSON_READER_CHUNK (64 * 1024)

typedef struct {
  MlTrace *trace;
} FileRead;

static gboolean
append_line (const char *line, gsize len, gpointer user_data, GError **error)
{
  FileRead *fr = user_data;
  MlTraceEvent *event;

  event = ml_json_parse_event (line, len, error);
  if (event == NULL)
    return FALSE;
  ml_trace_append (fr->trace, event);
  return TRUE;
}

gboolean
ml_json_read_file (const char *path, MlTrace *trace, GError **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(MlJsonLines) lines = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *buf = NULL;
  FileRead fr = { trace };
  gssize n;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (ML_IS_TRACE (trace), FALSE);

  file = g_file_new_for_path (path);
  in = g_file_read (file, NULL, error);
  if (in == NULL)
    return FALSE;
  lines = ml_json_lines_new (ML_JSON_READER_MAX_LINE);
  buf = g_malloc (ML_JSON_READER_CHUNK);
  while ((n = g_input_stream_read (G_INPUT_STREAM (in), buf, ML_JSON_READER_CHUNK, NULL, &local)) > 0)
    if (!ml_json_lines_feed (lines, buf, (gsize) n, append_line, &fr, &local))
      break;
  /* A last line without its newline is still a line. */
  if (local == NULL && ml_json_lines_get_pending (lines) > 0)
    ml_json_lines_feed (lines, "\n", 1, append_line, &fr, &local);
  if (local != NULL)
    {
      if (local->domain == ML_JSON_READER_ERROR && local->code == ML_JSON_READER_ERROR_TOO_LONG)
        g_set_error (error, local->domain, local->code, "%s: %s", path, local->message);
      else if (local->domain == ML_JSON_READER_ERROR)
        g_set_error (error, local->domain, local->code, "%s:%" G_GUINT64_FORMAT ": %s",
                     path, ml_json_lines_get_n_lines (lines), local->message);
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

/* JSON lines: exact text per kind, and a file that json-glib reads back. */
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "trace/json-writer.h"

static void
test_format_dialogue (void)
{
  g_autoptr(MlTraceEvent) e = ml_trace_event_new (ML_TRACE_DIALOGUE);
  g_autofree char *line = NULL;

  e->index = 7;
  e->time_us = 12345;
  e->host = g_strdup ("alice-laptop");
  e->peer = g_strdup ("smtp.a.example");
  e->conn_id = 2;
  e->protocol = ML_PROTO_SMTP;
  e->direction = ML_DIR_CLIENT_TO_SERVER;
  e->text = g_strdup ("MAIL FROM:<alice@a.example>");
  e->verb = g_strdup ("MAIL");
  e->args = g_strdup ("FROM:<alice@a.example>");
  e->explain_key = g_strdup ("smtp.mail");
  line = ml_json_format_event (e);
  g_assert_cmpstr (line, ==,
                   "{\"index\":7,\"time_us\":12345,\"kind\":\"dialogue\","
                   "\"host\":\"alice-laptop\",\"peer\":\"smtp.a.example\",\"conn_id\":2,"
                   "\"protocol\":\"SMTP\",\"direction\":\"client-to-server\","
                   "\"text\":\"MAIL FROM:<alice@a.example>\",\"verb\":\"MAIL\","
                   "\"args\":\"FROM:<alice@a.example>\",\"explain_key\":\"smtp.mail\"}");
}

static void
test_format_reply (void)
{
  g_autoptr(MlTraceEvent) e = ml_trace_event_new (ML_TRACE_DIALOGUE);
  g_autofree char *line = NULL;

  e->host = g_strdup ("smtp.a.example");
  e->protocol = ML_PROTO_SMTP;
  e->direction = ML_DIR_SERVER_TO_CLIENT;
  e->text = g_strdup ("250-smtp.a.example\n250 \"PIPELINING\"\xff");
  e->code = 250;
  line = ml_json_format_event (e);
  /* One line whatever the text holds; invalid UTF-8 becomes U+FFFD. */
  g_assert_null (strchr (line, '\n'));
  g_assert_cmpstr (line, ==,
                   "{\"index\":0,\"time_us\":0,\"kind\":\"dialogue\","
                   "\"host\":\"smtp.a.example\",\"protocol\":\"SMTP\","
                   "\"direction\":\"server-to-client\","
                   "\"text\":\"250-smtp.a.example\\n250 \\\"PIPELINING\\\"\xef\xbf\xbd\","
                   "\"code\":250}");
}

static void
test_format_frame (void)
{
  static const guint8 bytes[] = { 0x00, 0x01, 0xfe, 0xff, 'A' };
  g_autoptr(MlTraceEvent) e = ml_trace_event_new (ML_TRACE_FRAME);
  g_autofree char *line = NULL;

  e->index = 1;
  e->time_us = 1000;
  e->host = g_strdup ("rtr");
  e->peer = g_strdup ("mx.b.example");
  e->text = g_strdup ("TCP 49152 → 25 [SYN] Seq=0");
  e->link = g_strdup ("wan");
  e->dropped = TRUE;
  e->bytes = g_bytes_new_static (bytes, sizeof bytes);
  line = ml_json_format_event (e);
  /* hop 0 is written for a frame; FALSE booleans and unset fields are not. */
  g_assert_cmpstr (line, ==,
                   "{\"index\":1,\"time_us\":1000,\"kind\":\"frame\","
                   "\"host\":\"rtr\",\"peer\":\"mx.b.example\","
                   "\"text\":\"TCP 49152 → 25 [SYN] Seq=0\",\"hop\":0,\"link\":\"wan\","
                   "\"dropped\":true,\"bytes_base64\":\"AAH+/0E=\"}");
}

static void
test_format_store_and_state (void)
{
  g_autoptr(MlTraceEvent) s = ml_trace_event_new (ML_TRACE_STORE);
  g_autoptr(MlTraceEvent) st = ml_trace_event_new (ML_TRACE_STATE);
  g_autofree char *l1 = NULL, *l2 = NULL;

  s->host = g_strdup ("mail.b.example");
  s->text = g_strdup ("append");
  s->account = g_strdup ("bob");
  s->mailbox = g_strdup ("INBOX");
  s->uid = 4;
  st->host = g_strdup ("mail.b.example");
  st->protocol = ML_PROTO_POP3;
  st->state_from = g_strdup ("AUTHORIZATION");
  st->state_to = g_strdup ("TRANSACTION");
  st->explain_key = g_strdup ("pop3.state.transaction");
  l1 = ml_json_format_event (s);
  l2 = ml_json_format_event (st);
  g_assert_cmpstr (l1, ==,
                   "{\"index\":0,\"time_us\":0,\"kind\":\"store\",\"host\":\"mail.b.example\","
                   "\"text\":\"append\",\"account\":\"bob\",\"mailbox\":\"INBOX\",\"uid\":4}");
  g_assert_cmpstr (l2, ==,
                   "{\"index\":0,\"time_us\":0,\"kind\":\"state\",\"host\":\"mail.b.example\","
                   "\"protocol\":\"POP3\",\"explain_key\":\"pop3.state.transaction\","
                   "\"state_from\":\"AUTHORIZATION\",\"state_to\":\"TRANSACTION\"}");
}

static MlTraceEvent *
note (guint64 t, const char *text)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_NOTE);

  e->time_us = t;
  e->host = g_strdup ("h");
  e->text = g_strdup (text);
  return e;
}

/* A file written through the trace listener: one parseable object per
 * line, indexes as the trace gave them. */
static void
test_file_lines (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ml-json-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlJsonWriter) w = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "trace.jsonl", NULL);
  w = ml_json_writer_new_for_path (path, &error);
  g_assert_no_error (error);
  ml_trace_append (trace, note (1, "before attach"));
  ml_json_writer_attach (w, trace);
  ml_trace_append (trace, note (2, "one"));
  ml_trace_append (trace, note (3, "two\nlines"));
  g_assert_true (ml_json_writer_close (w, &error));
  g_assert_no_error (error);
  ml_trace_append (trace, note (4, "after close"));

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_unlink (path);
  g_rmdir (dir);

  lines = g_strsplit (contents, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[2], ==, "");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *obj;

      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      obj = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpint (json_object_get_int_member (obj, "index"), ==, i + 1);
      g_assert_cmpstr (json_object_get_string_member (obj, "text"), ==,
                       i == 0 ? "one" : "two\nlines");
    }
}

static void
test_bad_path (void)
{
  g_autoptr(GError) error = NULL;
  MlJsonWriter *w = ml_json_writer_new_for_path ("/nonexistent-dir/t.jsonl", &error);

  g_assert_null (w);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json-writer/format/dialogue", test_format_dialogue);
  g_test_add_func ("/json-writer/format/reply", test_format_reply);
  g_test_add_func ("/json-writer/format/frame", test_format_frame);
  g_test_add_func ("/json-writer/format/store-and-state", test_format_store_and_state);
  g_test_add_func ("/json-writer/file-lines", test_file_lines);
  g_test_add_func ("/json-writer/bad-path", test_bad_path);

  return g_test_run ();
}

/* JSON lines read back: every lesson's trace round-trips byte for byte,
 * malformed lines are errors with a reason, lines are bounded. */
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "trace/json-reader.h"
#include "trace/json-writer.h"
#include "lesson/lesson.h"
#include "world/world.h"

/* ---- round trip over every lesson --------------------------------------- */

typedef struct {
  guint64 n_events;
  guint64 n_frames;
  guint64 n_dialogue;
  guint64 n_mismatch;
  char   *first_mismatch;
} RoundTrip;

static void
on_event (MlTrace *trace, const MlTraceEvent *event, gpointer user_data)
{
  RoundTrip *rt = user_data;
  g_autofree char *first = ml_json_format_event (event);
  g_autofree char *second = NULL;
  g_autoptr(MlTraceEvent) back = NULL;
  g_autoptr(GError) error = NULL;

  back = ml_json_parse_event (first, strlen (first), &error);
  g_assert_no_error (error);
  second = ml_json_format_event (back);
  rt->n_events++;
  rt->n_frames += event->kind == ML_TRACE_FRAME;
  rt->n_dialogue += event->kind == ML_TRACE_DIALOGUE;
  if (strcmp (first, second) != 0)
    {
      rt->n_mismatch++;
      if (rt->first_mismatch == NULL)
        rt->first_mismatch = g_strdup_printf ("%s\n%s", first, second);
    }
}

static void
test_round_trip_lesson (gconstpointer data)
{
  const char *path = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = ml_lesson_load_file (path, &error);
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlWorld) world = NULL;
  RoundTrip rt = { 0 };

  g_assert_no_error (error);
  ml_trace_set_keep_events (trace, FALSE);
  ml_trace_add_listener (trace, on_event, &rt, NULL);
  world = ml_world_new (lesson, lesson->seed, trace, &error);
  g_assert_no_error (error);
  ml_world_run (world);

  g_test_message ("%s: %" G_GUINT64_FORMAT " events", path, rt.n_events);
  g_assert_cmpuint (rt.n_frames, >, 0);
  g_assert_cmpuint (rt.n_dialogue, >, 0);
  g_assert_cmpstr (rt.first_mismatch, ==, NULL);
  g_assert_cmpuint (rt.n_mismatch, ==, 0);
}

/* Every field the writer knows, set, so the test fails if one is lost. */
static void
test_round_trip_every_field (void)
{
  static const guint8 bytes[] = { 0x00, 0x01, 0xfe, 0xff, 'A', 'B' };
  g_autoptr(MlTraceEvent) e = ml_trace_event_new (ML_TRACE_FRAME);
  g_autoptr(MlTraceEvent) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL, *again = NULL;

  e->index = 123456789012;
  e->time_us = 987654321;
  e->host = g_strdup ("rtr");
  e->peer = g_strdup ("mx.b.example");
  e->conn_id = 7;
  e->protocol = ML_PROTO_TCP;
  e->text = g_strdup ("TCP 49152 → 25 [SYN] \"Seq\"=0\t\\");
  e->explain_key = g_strdup ("tcp.syn");
  e->detail = g_strdup ("line one\nline two");
  e->account = g_strdup ("bob@b.example");
  e->mailbox = g_strdup ("INBOX");
  e->uid = 4294967295u;
  e->hop = 3;
  e->link = g_strdup ("wan");
  e->dropped = TRUE;
  e->retransmission = TRUE;
  e->bytes = g_bytes_new_static (bytes, sizeof bytes);
  line = ml_json_format_event (e);
  back = ml_json_parse_event (line, strlen (line), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->kind, ==, ML_TRACE_FRAME);
  g_assert_cmpuint (back->index, ==, e->index);
  g_assert_cmpuint (back->time_us, ==, e->time_us);
  g_assert_cmpstr (back->text, ==, e->text);
  g_assert_cmpstr (back->detail, ==, e->detail);
  g_assert_cmpuint (back->uid, ==, e->uid);
  g_assert_cmpuint (back->hop, ==, 3);
  g_assert_cmpint (back->protocol, ==, ML_PROTO_TCP);
  g_assert_true (back->dropped);
  g_assert_true (back->retransmission);
  g_assert_true (g_bytes_equal (back->bytes, e->bytes));
  again = ml_json_format_event (back);
  g_assert_cmpstr (again, ==, line);
}

/* ---- malformed lines ---------------------------------------------------- */

static const struct {
  const char *line;
  int         code;
  const char *reason;   /* a part of the message */
} bad_lines[] = {
  { "", ML_JSON_READER_ERROR_SYNTAX, "empty" },
  { "{\"index\":0,", ML_JSON_READER_ERROR_SYNTAX, "not JSON" },
  { "[1,2]", ML_JSON_READER_ERROR_SYNTAX, "object" },
  { "{\"time_us\":0,\"kind\":\"note\"}", ML_JSON_READER_ERROR_FIELD, "\"index\" is missing" },
  { "{\"index\":-1,\"time_us\":0,\"kind\":\"note\"}", ML_JSON_READER_ERROR_FIELD, "\"index\" is out of range" },
  { "{\"index\":1.5,\"time_us\":0,\"kind\":\"note\"}", ML_JSON_READER_ERROR_FIELD, "\"index\" is not an integer" },
  { "{\"index\":0,\"time_us\":0}", ML_JSON_READER_ERROR_FIELD, "\"kind\" is missing" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"packet\"}", ML_JSON_READER_ERROR_FIELD, "names no event kind" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"note\",\"host\":7}", ML_JSON_READER_ERROR_FIELD, "\"host\" is not a string" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"note\",\"protocol\":\"-\"}", ML_JSON_READER_ERROR_FIELD, "names no protocol" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"dialogue\",\"text\":\"QUIT\"}", ML_JSON_READER_ERROR_FIELD, "\"direction\" is missing" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"dialogue\",\"direction\":\"up\"}", ML_JSON_READER_ERROR_FIELD, "neither" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"note\",\"direction\":\"client-to-server\"}", ML_JSON_READER_ERROR_FIELD, "dialogue lines only" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"frame\"}", ML_JSON_READER_ERROR_FIELD, "\"hop\" is missing" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"note\",\"hop\":0}", ML_JSON_READER_ERROR_FIELD, "frames only" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"frame\",\"hop\":0,\"bytes_base64\":\"AA$=\"}", ML_JSON_READER_ERROR_FIELD, "not base64" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"frame\",\"hop\":0,\"bytes_base64\":\"AAA\"}", ML_JSON_READER_ERROR_FIELD, "not base64" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"frame\",\"hop\":0,\"bytes_base64\":\"A=AA\"}", ML_JSON_READER_ERROR_FIELD, "not base64" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"note\",\"uid\":4294967296}", ML_JSON_READER_ERROR_FIELD, "\"uid\" is out of range" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"note\",\"code\":0}", ML_JSON_READER_ERROR_FIELD, "leaves it out" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"note\",\"dropped\":\"yes\"}", ML_JSON_READER_ERROR_FIELD, "not a boolean" },
  { "{\"index\":0,\"time_us\":0,\"kind\":\"note\"}\r", ML_JSON_READER_ERROR_SYNTAX, "line break" },
};

static void
test_malformed (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_lines); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MlTraceEvent) e = ml_json_parse_event (bad_lines[i].line, strlen (bad_lines[i].line), &error);

      g_assert_null (e);
      g_assert_error (error, ML_JSON_READER_ERROR, bad_lines[i].code);
      g_test_message ("%s → %s", bad_lines[i].line, error->message);
      g_assert_nonnull (strstr (error->message, bad_lines[i].reason));
    }
}

static void
test_embedded_nul (void)
{
  static const char line[] = "{\"index\":0,\"time_us\":0,\"kind\":\"note\"}\0{}";
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTraceEvent) e = ml_json_parse_event (line, sizeof line - 1, &error);

  g_assert_null (e);
  g_assert_error (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_SYNTAX);
}

static void
test_unknown_member_ignored (void)
{
  static const char line[] = "{\"index\":3,\"time_us\":5,\"kind\":\"note\",\"text\":\"x\",\"future\":[1]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTraceEvent) e = ml_json_parse_event (line, sizeof line - 1, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (e->kind, ==, ML_TRACE_NOTE);
  g_assert_cmpstr (e->text, ==, "x");
}

/* ---- the line splitter -------------------------------------------------- */

static gboolean
collect (const char *line, gsize len, gpointer user_data, GError **error)
{
  GPtrArray *out = user_data;

  g_assert_cmpuint (strlen (line), ==, len);
  g_ptr_array_add (out, g_strdup (line));
  return TRUE;
}

static void
test_lines_byte_at_a_time (void)
{
  static const char text[] = "one\ntwo\n\nthree, the long one\nfour";
  g_autoptr(MlJsonLines) lines = ml_json_lines_new (64);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < sizeof text - 1; i++)
    g_assert_true (ml_json_lines_feed (lines, text + i, 1, collect, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 4);
  g_assert_cmpstr (out->pdata[0], ==, "one");
  g_assert_cmpstr (out->pdata[2], ==, "");
  g_assert_cmpstr (out->pdata[3], ==, "three, the long one");
  g_assert_cmpuint (ml_json_lines_get_pending (lines), ==, 4);
  g_assert_cmpuint (ml_json_lines_get_n_lines (lines), ==, 4);
}

static void
test_lines_bounded (void)
{
  g_autoptr(MlJsonLines) lines = ml_json_lines_new (16);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  char chunk[10];

  memset (chunk, 'x', sizeof chunk);
  g_assert_true (ml_json_lines_feed (lines, "ok\n", 3, collect, out, &error));
  g_assert_true (ml_json_lines_feed (lines, chunk, sizeof chunk, collect, out, &error));
  /* The second chunk would hold 20 bytes of one line: refused, and the
   * splitter never held more than its limit. */
  g_assert_false (ml_json_lines_feed (lines, chunk, sizeof chunk, collect, out, &error));
  g_assert_error (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_TOO_LONG);
  g_assert_cmpuint (ml_json_lines_get_pending (lines), <=, 16);
  g_assert_cmpuint (out->len, ==, 1);
  g_clear_error (&error);
  /* Broken for good: a stream that lost a line's end has lost framing. */
  g_assert_false (ml_json_lines_feed (lines, "\n", 1, collect, out, &error));
  g_assert_error (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_TOO_LONG);
}

static void
test_parse_too_long (void)
{
  g_autoptr(GError) error = NULL;

  /* The length is checked before the bytes are looked at. */
  g_assert_null (ml_json_parse_event ("{}", (gsize) ML_JSON_READER_MAX_LINE + 1, &error));
  g_assert_error (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_TOO_LONG);
}

/* ---- a file -------------------------------------------------------------- */

static void
test_read_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ml-json-reader-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "t.jsonl", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.jsonl", NULL);
  g_autoptr(MlTrace) written = ml_trace_new ();
  g_autoptr(MlTrace) read = ml_trace_new ();
  g_autoptr(MlJsonWriter) w = NULL;
  g_autoptr(GError) error = NULL;

  w = ml_json_writer_new_for_path (path, &error);
  g_assert_no_error (error);
  ml_json_writer_attach (w, written);
  for (guint i = 0; i < 3; i++)
    {
      MlTraceEvent *e = ml_trace_event_new (i == 1 ? ML_TRACE_DIALOGUE : ML_TRACE_NOTE);

      e->time_us = 10 * i;
      e->text = g_strdup_printf ("event %u", i);
      ml_trace_append (written, e);
    }
  g_assert_true (ml_json_writer_close (w, &error));
  g_assert_true (ml_json_read_file (path, read, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ml_trace_get_length (read), ==, 3);
  g_assert_cmpstr (ml_trace_get_event (read, 2)->text, ==, "event 2");
  g_assert_cmpuint (ml_trace_get_event (read, 1)->kind, ==, ML_TRACE_DIALOGUE);

  g_assert_true (g_file_set_contents (bad,
    "{\"index\":0,\"time_us\":0,\"kind\":\"note\"}\n{\"index\":1,\"time_us\":0}\n", -1, NULL));
  g_assert_false (ml_json_read_file (bad, read, &error));
  g_assert_error (error, ML_JSON_READER_ERROR, ML_JSON_READER_ERROR_FIELD);
  g_assert_nonnull (strstr (error->message, "bad.jsonl:2: \"kind\" is missing"));

  g_unlink (path);
  g_unlink (bad);
  g_rmdir (dir);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

int
main (int argc, char **argv)
{
  const char *src = g_getenv ("ML_SOURCE_DIR");
  g_autofree char *lessons = g_build_filename (src ? src : ".", "lessons", NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_mime_init ();
  g_test_add_func ("/trace/json-reader/every-field", test_round_trip_every_field);
  g_test_add_func ("/trace/json-reader/malformed", test_malformed);
  g_test_add_func ("/trace/json-reader/embedded-nul", test_embedded_nul);
  g_test_add_func ("/trace/json-reader/unknown-member", test_unknown_member_ignored);
  g_test_add_func ("/trace/json-reader/lines/byte-at-a-time", test_lines_byte_at_a_time);
  g_test_add_func ("/trace/json-reader/lines/bounded", test_lines_bounded);
  g_test_add_func ("/trace/json-reader/too-long", test_parse_too_long);
  g_test_add_func ("/trace/json-reader/file", test_read_file);

  dir = g_dir_open (lessons, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".yaml"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *test = NULL;
      char *stem = g_strndup (names->pdata[i], strlen (names->pdata[i]) - 5);

      test = g_strdup_printf ("/trace/json-reader/round-trip/%s", stem);
      g_test_add_data_func_full (test, g_build_filename (lessons, names->pdata[i], NULL),
                                 test_round_trip_lesson, g_free);
      g_free (stem);
    }
  /* A test that finds no lesson proves nothing about them. */
  g_assert_cmpuint (names->len, >, 0);
  status = g_test_run ();
  return status;
}

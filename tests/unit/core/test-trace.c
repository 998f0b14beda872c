#include "trace/trace.h"

static void
count_listener (MlTrace *trace, const MlTraceEvent *event, gpointer data)
{
  GString *log = data;

  g_string_append_printf (log, "%" G_GUINT64_FORMAT ":%s ", event->index, event->text);
}

static MlTraceEvent *
note (const char *text)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_NOTE);

  e->text = g_strdup (text);
  return e;
}

static void
test_append_and_listen (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  guint id = ml_trace_add_listener (trace, count_listener, log, NULL);

  ml_trace_append (trace, note ("a"));
  ml_trace_append (trace, note ("b"));
  ml_trace_remove_listener (trace, id);
  ml_trace_append (trace, note ("c"));

  g_assert_cmpstr (log->str, ==, "0:a 1:b ");
  g_assert_cmpuint (ml_trace_get_length (trace), ==, 3);
  g_assert_cmpstr (ml_trace_get_event (trace, 2)->text, ==, "c");
  g_assert_cmpuint (ml_trace_get_event (trace, 2)->index, ==, 2);
  g_assert_null (ml_trace_get_event (trace, 3));
}

static void
test_streaming_only (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(GString) log = g_string_new (NULL);

  ml_trace_set_keep_events (trace, FALSE);
  ml_trace_add_listener (trace, count_listener, log, NULL);
  g_assert_null (ml_trace_append (trace, note ("x")));
  ml_trace_append (trace, note ("y"));
  g_assert_cmpstr (log->str, ==, "0:x 1:y ");
  g_assert_cmpuint (ml_trace_get_length (trace), ==, 2);
  g_assert_null (ml_trace_get_event (trace, 0));
}

static void
test_copy (void)
{
  g_autoptr(MlTraceEvent) e = ml_trace_event_new (ML_TRACE_FRAME);
  g_autoptr(MlTraceEvent) c = NULL;
  static const guint8 raw[] = { 1, 2, 3 };

  e->bytes = g_bytes_new_static (raw, sizeof raw);
  e->link = g_strdup ("a--b");
  c = ml_trace_event_copy (e);
  g_assert_true (g_bytes_equal (c->bytes, e->bytes));
  g_assert_cmpstr (c->link, ==, "a--b");
  g_assert_true (c->link != e->link);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/trace/append-and-listen", test_append_and_listen);
  g_test_add_func ("/trace/streaming-only", test_streaming_only);
  g_test_add_func ("/trace/copy", test_copy);
  return g_test_run ();
}

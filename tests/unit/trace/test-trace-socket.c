/* The live trace socket: a watcher gets the hello then every event as a
 * JSON line; a watcher that never reads is dropped with memory bounded;
 * the socket is 0600; a stale socket file is replaced, a live one is not. */
#include <string.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "live/trace-socket.h"
#include "trace/json-reader.h"

typedef struct {
  char          *dir;
  char          *path;
  MlTrace       *trace;
  MlTraceSocket *ts;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("ml-trace-socket-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "trace.sock", NULL);
  f->trace = ml_trace_new ();
  ml_trace_set_keep_events (f->trace, FALSE);
  f->ts = ml_trace_socket_new (f->path, f->trace, "mail.test", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->ts, ml_trace_socket_free);
  g_clear_object (&f->trace);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static GSocket *
connect_watcher (Fixture *f, guint expect_watchers)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new (f->path);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                             G_SOCKET_PROTOCOL_DEFAULT, &error);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_assert_no_error (error);
  g_assert_true (g_socket_connect (s, addr, NULL, &error));
  g_assert_no_error (error);
  while (ml_trace_socket_get_n_watchers (f->ts) < expect_watchers
         && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (ml_trace_socket_get_n_watchers (f->ts), ==, expect_watchers);
  return s;
}

static void
append_note (MlTrace *trace, const char *text)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_NOTE);

  e->host = g_strdup ("mail.test");
  e->text = g_strdup (text);
  ml_trace_append (trace, e);
}

/* Reads complete lines from @s until @n have arrived (5 s at most). */
static GPtrArray *
read_lines (GSocket *s, guint n)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  GString *buf = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_socket_set_timeout (s, 1);
  while (lines->len < n && g_get_monotonic_time () < deadline)
    {
      char chunk[4096];
      gssize got;
      char *nl;

      g_main_context_iteration (NULL, FALSE);
      got = g_socket_receive (s, chunk, sizeof chunk, NULL, NULL);
      if (got <= 0)
        continue;
      g_string_append_len (buf, chunk, got);
      while ((nl = strchr (buf->str, '\n')) != NULL)
        {
          g_ptr_array_add (lines, g_strndup (buf->str, nl - buf->str));
          g_string_erase (buf, 0, nl - buf->str + 1);
        }
    }
  g_string_free (buf, TRUE);
  return lines;
}

static void
test_hello_then_events (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autoptr(MlTraceEvent) e = NULL;

  /* Before anyone watches: not sent, not kept. */
  append_note (f->trace, "before");
  s = connect_watcher (f, 1);
  append_note (f->trace, "one");
  append_note (f->trace, "two");
  lines = read_lines (s, 3);
  g_assert_cmpuint (lines->len, ==, 3);
  g_assert_true (ml_trace_socket_parse_hello (lines->pdata[0], strlen (lines->pdata[0]),
                                              &server, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (server, ==, "mail.test");
  e = ml_json_parse_event (lines->pdata[1], strlen (lines->pdata[1]), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->text, ==, "one");
  g_assert_cmpuint (e->index, ==, 1);
  g_assert_cmpuint (ml_trace_socket_get_pending (f->ts), ==, 0);
}

static void
test_mode_0600 (Fixture *f, gconstpointer data)
{
  struct stat st;

  g_assert_cmpint (lstat (f->path, &st), ==, 0);
  g_assert_true (S_ISSOCK (st.st_mode));
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_watcher_leaves (Fixture *f, gconstpointer data)
{
  GSocket *s = connect_watcher (f, 1);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_socket_close (s, NULL);
  g_object_unref (s);
  while (ml_trace_socket_get_n_watchers (f->ts) > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (ml_trace_socket_get_n_watchers (f->ts), ==, 0);
  append_note (f->trace, "nobody listens");
  g_assert_cmpuint (ml_trace_socket_get_n_dropped (f->ts), ==, 0);
}

/* A watcher that never reads: the kernel buffer fills, then our queue,
 * then it is dropped. A second watcher that reads keeps everything. */
static void
test_slow_watcher_dropped (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) slow = connect_watcher (f, 1);
  g_autoptr(GSocket) fast = connect_watcher (f, 2);
  g_autofree char *text = g_strnfill (16 * 1024, 'x');
  guint64 n_events = 0, n_bytes = 0;
  gsize fast_got = 0;
  char chunk[65536];

  g_socket_set_blocking (fast, FALSE);
  while (ml_trace_socket_get_n_dropped (f->ts) == 0 && n_bytes < 256 * 1024 * 1024)
    {
      gssize got;

      append_note (f->trace, text);
      n_events++;
      n_bytes += strlen (text);
      g_assert_cmpuint (ml_trace_socket_get_max_pending (f->ts), <=,
                        ML_TRACE_SOCKET_MAX_PENDING + strlen (text) + 256);
      /* The fast one drains its socket as a viewer would. */
      g_main_context_iteration (NULL, FALSE);
      while ((got = g_socket_receive (fast, chunk, sizeof chunk, NULL, NULL)) > 0)
        fast_got += (gsize) got;
      g_main_context_iteration (NULL, FALSE);
    }
  g_test_message ("dropped after %" G_GUINT64_FORMAT " events (%" G_GUINT64_FORMAT
                  " bytes), most queued for one watcher %" G_GSIZE_FORMAT,
                  n_events, n_bytes, ml_trace_socket_get_max_pending (f->ts));
  g_assert_cmpuint (ml_trace_socket_get_n_dropped (f->ts), ==, 1);
  g_assert_cmpuint (ml_trace_socket_get_n_watchers (f->ts), ==, 1);
  g_assert_cmpuint (ml_trace_socket_get_max_pending (f->ts), >, ML_TRACE_SOCKET_MAX_PENDING / 2);
  g_assert_cmpuint (ml_trace_socket_get_max_pending (f->ts), <=,
                    ML_TRACE_SOCKET_MAX_PENDING + strlen (text) + 256);
  g_assert_cmpuint (fast_got, >, n_bytes / 2);
}

static void
test_in_use (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTraceSocket) second = ml_trace_socket_new (f->path, f->trace, "x", &error);

  g_assert_null (second);
  g_assert_error (error, ML_TRACE_SOCKET_ERROR, ML_TRACE_SOCKET_ERROR_IN_USE);
}

static void
test_stale_replaced (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ml-trace-socket-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "trace.sock", NULL);
  g_autofree char *file = g_build_filename (dir, "plain", NULL);
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new (path);
  g_autoptr(GSocket) dead = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(GError) error = NULL;
  MlTraceSocket *ts;

  /* Bound and closed without unlink: what a killed server leaves. */
  g_assert_true (g_socket_bind (dead, addr, FALSE, &error));
  g_socket_close (dead, NULL);
  ts = ml_trace_socket_new (path, trace, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ts);
  ml_trace_socket_free (ts);

  /* A file that is not a socket is never removed. */
  g_assert_true (g_file_set_contents (file, "keep me", -1, NULL));
  ts = ml_trace_socket_new (file, trace, NULL, &error);
  g_assert_null (ts);
  g_assert_error (error, ML_TRACE_SOCKET_ERROR, ML_TRACE_SOCKET_ERROR_PATH);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  g_unlink (file);
  g_rmdir (dir);
}

static void
test_hello_rejected (void)
{
  static const char *bad[] = {
    "{\"index\":0,\"time_us\":0,\"kind\":\"note\"}",
    "{\"maillab\":\"trace\",\"version\":99}",
    "not json",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (ml_trace_socket_parse_hello (bad[i], strlen (bad[i]), NULL, &error));
      g_assert_error (error, ML_TRACE_SOCKET_ERROR, ML_TRACE_SOCKET_ERROR_HELLO);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/trace/socket/hello-then-events", Fixture, NULL,
              fixture_set_up, test_hello_then_events, fixture_tear_down);
  g_test_add ("/trace/socket/mode-0600", Fixture, NULL,
              fixture_set_up, test_mode_0600, fixture_tear_down);
  g_test_add ("/trace/socket/watcher-leaves", Fixture, NULL,
              fixture_set_up, test_watcher_leaves, fixture_tear_down);
  g_test_add ("/trace/socket/slow-watcher-dropped", Fixture, NULL,
              fixture_set_up, test_slow_watcher_dropped, fixture_tear_down);
  g_test_add ("/trace/socket/in-use", Fixture, NULL,
              fixture_set_up, test_in_use, fixture_tear_down);
  g_test_add_func ("/trace/socket/stale-replaced", test_stale_replaced);
  g_test_add_func ("/trace/socket/hello-rejected", test_hello_rejected);
  return g_test_run ();
}

/* MlTraceFollow against an in-process MlTraceSocket: the hello, then every
 * event appended on the server side arrives equal (large ones split over
 * many reads too); a socket that speaks something else, or goes away,
 * closes the follower with a reason and keeps what was read. No display. */
#include <string.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include "trace-follow.h"
#include "live/trace-socket.h"
#include "trace/json-writer.h"

#define WAIT_TIMEOUT_S 10

typedef struct {
  char          *dir;
  char          *path;
  MlTrace       *server_trace;
  MlTraceSocket *ts;
  MlTraceFollow *follow;
  guint          grew;
  gboolean       closed;
} Fixture;

static void
on_grew (MlTraceFollow *follow, guint64 added, Fixture *f)
{
  f->grew++;
}

static void
on_closed (MlTraceFollow *follow, const GError *error, Fixture *f)
{
  f->closed = TRUE;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("ml-trace-follow-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "trace.sock", NULL);
  f->server_trace = ml_trace_new ();
  f->ts = ml_trace_socket_new (f->path, f->server_trace, "mail.test", &error);
  g_assert_no_error (error);
  f->follow = ml_trace_follow_new (f->path);
  g_signal_connect (f->follow, "grew", G_CALLBACK (on_grew), f);
  g_signal_connect (f->follow, "closed", G_CALLBACK (on_closed), f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->follow);
  g_clear_pointer (&f->ts, ml_trace_socket_free);
  g_clear_object (&f->server_trace);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static void
iterate_until (gboolean (*done) (Fixture *f), Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_S * G_USEC_PER_SEC;

  while (!done (f) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (done (f));
}

static gboolean
attached (Fixture *f)
{
  return ml_trace_follow_get_state (f->follow) == ML_TRACE_FOLLOW_ATTACHED;
}

static gboolean
closed (Fixture *f)
{
  return f->closed;
}

static guint64 want_events;

static gboolean
has_events (Fixture *f)
{
  return ml_trace_get_length (ml_trace_follow_get_trace (f->follow)) >= want_events;
}

static MlTraceEvent *
make_dialogue (guint conn, const char *text)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_DIALOGUE);

  e->time_us = 1700000000000000ull + conn;
  e->host = g_strdup ("127.0.0.1:40000");
  e->peer = g_strdup ("localhost");
  e->conn_id = conn;
  e->protocol = ML_PROTO_SMTP;
  e->direction = ML_DIR_CLIENT_TO_SERVER;
  e->text = g_strdup (text);
  return e;
}

static void
test_events_arrive (Fixture *f, gconstpointer data)
{
  g_autofree char *big = g_strnfill (300 * 1024, 'x');
  MlTrace *got;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);

  ml_trace_follow_start (f->follow);
  iterate_until (attached, f);
  g_assert_cmpstr (ml_trace_follow_get_server (f->follow), ==, "mail.test");

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *text = g_strdup_printf ("RCPT TO:<user%u@example.org>", i);
      const MlTraceEvent *e = ml_trace_append (f->server_trace, make_dialogue (1 + i % 3, i == 25 ? big : text));

      g_ptr_array_add (sent, ml_json_format_event (e));
    }
  want_events = 50;
  iterate_until (has_events, f);
  got = ml_trace_follow_get_trace (f->follow);
  g_assert_cmpuint (ml_trace_get_length (got), ==, 50);
  for (guint i = 0; i < 50; i++)
    {
      MlTraceEvent *copy = ml_trace_event_copy (ml_trace_get_event (got, i));
      g_autofree char *line = NULL;

      /* Our trace numbers events from the attach, the server's from its
       * start: the same here, as both start together. */
      line = ml_json_format_event (copy);
      ml_trace_event_free (copy);
      g_assert_cmpstr (line, ==, sent->pdata[i]);
    }
  /* 300 KiB in one line took several reads, each a "grew" at most. */
  g_assert_cmpuint (f->grew, >=, 1);
  g_assert_cmpuint (ml_trace_follow_get_n_sessions (f->follow), ==, 3);

  /* The server goes away: closed with a reason, the events kept. */
  g_clear_pointer (&f->ts, ml_trace_socket_free);
  iterate_until (closed, f);
  g_assert_cmpint (ml_trace_follow_get_state (f->follow), ==, ML_TRACE_FOLLOW_CLOSED);
  g_assert_nonnull (ml_trace_follow_get_error (f->follow));
  g_assert_cmpuint (ml_trace_get_length (got), ==, 50);
}

static void
test_stop (Fixture *f, gconstpointer data)
{
  ml_trace_follow_start (f->follow);
  iterate_until (attached, f);
  ml_trace_follow_stop (f->follow);
  g_assert_true (f->closed);
  g_assert_null (ml_trace_follow_get_error (f->follow));
  /* Events after the stop are not read. */
  ml_trace_append (f->server_trace, make_dialogue (1, "QUIT"));
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (ml_trace_get_length (ml_trace_follow_get_trace (f->follow)), ==, 0);
}

/* Something else listening on the path: the first line is no hello. */
static void
test_not_a_trace_socket (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ml-trace-follow-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "other.sock", NULL);
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new (path);
  g_autoptr(GSocket) listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr(MlTraceFollow) follow = ml_trace_follow_new (path);
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_S * G_USEC_PER_SEC;

  g_assert_true (g_socket_bind (listener, addr, FALSE, &error));
  g_assert_true (g_socket_listen (listener, &error));
  ml_trace_follow_start (follow);
  g_socket_set_blocking (listener, FALSE);
  while (peer == NULL && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      peer = g_socket_accept (listener, NULL, NULL);
    }
  g_assert_nonnull (peer);
  g_socket_send (peer, "220 not maillab ESMTP\n", 22, NULL, &error);
  g_assert_no_error (error);
  while (ml_trace_follow_get_state (follow) != ML_TRACE_FOLLOW_CLOSED
         && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (ml_trace_follow_get_state (follow), ==, ML_TRACE_FOLLOW_CLOSED);
  g_assert_error ((GError *) ml_trace_follow_get_error (follow),
                  ML_TRACE_SOCKET_ERROR, ML_TRACE_SOCKET_ERROR_HELLO);
  g_socket_close (peer, NULL);
  g_socket_close (listener, NULL);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/gui/trace-follow/events-arrive", Fixture, NULL, fixture_set_up, test_events_arrive, fixture_tear_down);
  g_test_add ("/gui/trace-follow/stop", Fixture, NULL, fixture_set_up, test_stop, fixture_tear_down);
  g_test_add_func ("/gui/trace-follow/not-a-trace-socket", test_not_a_trace_socket);
  return g_test_run ();
}

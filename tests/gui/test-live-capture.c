/* Capture → Live…: a live capture on lo shows an SMTP-like exchange made
 * in this process while it happens, and stops cleanly. Needs root (or
 * CAP_NET_RAW) and a display; skips saying so otherwise. */
#include <string.h>
#include <unistd.h>
#include <adwaita.h>
#include "gui.h"
#include "window.h"
#include "live-capture.h"
#include "screenshot.h"

#define WAIT_TIMEOUT_S 30
#define LINE_MAX_BYTES 256

typedef struct {
  GIOStream *conn;
  GString   *in;
  char       buf[LINE_MAX_BYTES];
} Peer;

typedef struct {
  MlWindow       *window;
  MlPlayer       *player;
  GSocketListener *listener;
  guint16         port;
  Peer            server;
  Peer            client;
  gboolean        done;
  GError         *error;
} Fixture;

static gboolean
timed_out (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_for (gboolean (*done) (Fixture *f), Fixture *f, const char *what)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (WAIT_TIMEOUT_S, timed_out, &expired);

  while (!done (f) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (expired)
    g_error ("gave up waiting for %s", what);
  g_source_remove (id);
}

static gboolean
can_capture (void)
{
  return geteuid () == 0;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  f->window = ml_window_new (NULL);
  g_object_ref_sink (f->window);
  f->player = ml_window_get_player (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1200, 800);
  gtk_window_present (GTK_WINDOW (f->window));

  /* Port 0: the kernel picks a free one, so the filter sees only this. */
  f->listener = g_socket_listener_new ();
  g_assert_true (g_socket_listener_add_address (f->listener, any_port, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error));
  g_assert_no_error (error);
  f->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_assert_cmpuint (f->port, >, 0);
  f->server.in = g_string_new (NULL);
  f->client.in = g_string_new (NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  if (f->server.conn)
    g_io_stream_close (f->server.conn, NULL, NULL);
  if (f->client.conn)
    g_io_stream_close (f->client.conn, NULL, NULL);
  g_clear_object (&f->server.conn);
  g_clear_object (&f->client.conn);
  g_string_free (f->server.in, TRUE);
  g_string_free (f->client.in, TRUE);
  g_socket_listener_close (f->listener);
  g_clear_object (&f->listener);
  g_clear_error (&f->error);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The exchange, one callback per step, all on the main loop: the server
 * greets, the client says EHLO, the server answers, both close. */

static void on_client_line (GObject *source, GAsyncResult *result, gpointer user_data);
static void on_server_line (GObject *source, GAsyncResult *result, gpointer user_data);

static void
fail (Fixture *f, GError *error)
{
  if (f->error == NULL)
    f->error = error;
  else
    g_error_free (error);
  f->done = TRUE;
}

static void
send_line (Peer *peer, const char *line)
{
  GError *error = NULL;
  gsize written = 0;

  /* A dozen bytes to a loopback socket buffer: never waits. */
  g_output_stream_write_all (g_io_stream_get_output_stream (peer->conn), line, strlen (line),
                             &written, NULL, &error);
  g_assert_no_error (error);
}

static void
read_line (Peer *peer, GAsyncReadyCallback callback, Fixture *f)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (peer->conn), peer->buf, sizeof peer->buf,
                             G_PRIORITY_DEFAULT, NULL, callback, f);
}

/* TRUE once @peer holds a whole line; reads on otherwise. */
static gboolean
line_complete (Fixture *f, Peer *peer, GObject *source, GAsyncResult *result, GAsyncReadyCallback again)
{
  GError *error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n <= 0)
    {
      fail (f, error ? error : g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED, "peer closed early"));
      return FALSE;
    }
  g_string_append_len (peer->in, peer->buf, n);
  if (!g_str_has_suffix (peer->in->str, "\r\n"))
    {
      read_line (peer, again, f);
      return FALSE;
    }
  return TRUE;
}

static void
on_client_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  if (!line_complete (f, &f->client, source, result, on_client_line))
    return;
  if (g_str_equal (f->client.in->str, "220 x ESMTP\r\n"))
    {
      g_string_truncate (f->client.in, 0);
      send_line (&f->client, "EHLO a\r\n");
      read_line (&f->client, on_client_line, f);
      return;
    }
  g_assert_cmpstr (f->client.in->str, ==, "250 ok\r\n");
  f->done = TRUE;
}

static void
on_server_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  if (!line_complete (f, &f->server, source, result, on_server_line))
    return;
  g_assert_cmpstr (f->server.in->str, ==, "EHLO a\r\n");
  send_line (&f->server, "250 ok\r\n");
}

static void
on_accepted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  GError *error = NULL;

  f->server.conn = G_IO_STREAM (g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error));
  if (f->server.conn == NULL)
    {
      fail (f, error);
      return;
    }
  send_line (&f->server, "220 x ESMTP\r\n");
  read_line (&f->server, on_server_line, f);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  GError *error = NULL;

  f->client.conn = G_IO_STREAM (g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error));
  if (f->client.conn == NULL)
    {
      fail (f, error);
      return;
    }
  read_line (&f->client, on_client_line, f);
}

static gboolean
exchange_done (Fixture *f)
{
  return f->done;
}

static gboolean
has_line (MlTrace *trace, const char *text)
{
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *event = ml_trace_get_event (trace, i);

      if (event->kind == ML_TRACE_DIALOGUE && g_strcmp0 (event->text, text) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Frames drawn since the window settled, for the picture. */
static guint settled_frames;

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  Fixture *f = user_data;

  /* The ladder is laid out only on the lesson page; the dialog alone
   * on the start page. */
  if (gtk_widget_get_width (widget) <= 0 || ml_window_is_busy (f->window)
      || (ml_window_is_live_capturing (f->window)
          && gtk_widget_get_width (GTK_WIDGET (ml_window_get_ladder (f->window))) <= 0))
    settled_frames = 0;
  else
    settled_frames++;
  return G_SOURCE_CONTINUE;
}

static gboolean
window_settled (Fixture *f)
{
  return settled_frames >= 3;
}

/* Kept for a person to look at, like the other GUI tests' pictures. */
static void
take_picture (Fixture *f, GtkWidget *widget, const char *name)
{
  const char *dir = g_getenv ("ML_SCREENSHOT_DIR");
  g_autoptr(GError) error = NULL;
  g_autofree char *png = NULL;
  guint tick;

  if (dir == NULL)
    return;
  png = g_build_filename (dir, name, NULL);
  tick = gtk_widget_add_tick_callback (widget, on_tick, f, NULL);
  settled_frames = 0;
  wait_for (window_settled, f, "the window to settle");
  gtk_widget_remove_tick_callback (widget, tick);
  g_mkdir_with_parents (dir, 0755);
  g_assert_true (ml_screenshot_save_widget (widget, png, &error));
  g_assert_no_error (error);
}

static gboolean
dialogue_captured (Fixture *f)
{
  MlTrace *trace = ml_player_get_trace (f->player);

  return trace && has_line (trace, "220 x ESMTP") && has_line (trace, "EHLO a")
         && has_line (trace, "250 ok");
}

/* The ladder draws the player's steps: it shows the lines once the
 * player's index holds them, which happens on the window's timer. */
static gboolean
dialogue_shown (Fixture *f)
{
  return dialogue_captured (f) && ml_ladder_view_get_n_rows (ml_window_get_ladder (f->window)) >= 3;
}

/* The lines of the ladder's rows, in order, "|"-joined. */
static char *
ladder_lines (Fixture *f)
{
  g_autoptr(GString) lines = g_string_new (NULL);
  guint64 n = ml_player_get_n_steps (f->player);

  g_assert_cmpuint (n, ==, ml_ladder_view_get_n_rows (ml_window_get_ladder (f->window)));
  for (guint64 step = 1; step <= n; step++)
    {
      const MlTraceEvent *event;

      g_assert_true (ml_player_go_to_step (f->player, step));
      event = ml_player_get_event (f->player);
      g_assert_nonnull (event);
      if (event->kind == ML_TRACE_DIALOGUE)
        g_string_append_printf (lines, "%s%s", lines->len ? "|" : "", event->text);
    }
  return g_string_free (g_steal_pointer (&lines), FALSE);
}

static void
test_smtp_lines (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autofree char *filter = g_strdup_printf ("tcp port %u", f->port);
  g_autofree char *spec = g_strdup_printf ("smtp=%u", f->port);
  MlLadderView *ladder = ml_window_get_ladder (f->window);
  const MlCaptureStats *stats;
  MlCaptureOptions options;
  g_autofree char *lines = NULL;

  if (!can_capture ())
    {
      g_test_skip ("live capture needs root or CAP_NET_RAW");
      return;
    }
  ml_capture_options_init (&options);
  g_assert_true (ml_capture_options_add_port (&options, spec, &error));
  g_assert_no_error (error);
  g_assert_true (ml_window_start_live_capture (f->window, "lo", filter, &options, &error));
  g_assert_no_error (error);
  g_assert_true (ml_window_is_live_capturing (f->window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window)));

  g_socket_listener_accept_async (f->listener, NULL, on_accepted, f);
  g_socket_client_connect_to_host_async (client, "127.0.0.1", f->port, NULL, on_connected, f);
  wait_for (exchange_done, f, "the SMTP-like exchange");
  g_assert_no_error (f->error);
  /* The views catch up on their timer, while the capture still runs. */
  wait_for (dialogue_shown, f, "the dialogue in the views");
  g_assert_true (ml_window_is_live_capturing (f->window));
  g_assert_cmpuint (ml_ladder_view_get_n_rows (ladder), >=, 3);
  /* The player was at the end, so it follows the newest line. */
  g_assert_cmpint (ml_ladder_view_get_highlighted_row (ladder), ==,
                   (gint64) ml_ladder_view_get_n_rows (ladder) - 1);
  g_assert_false (ml_player_can_step_forward (f->player));
  take_picture (f, GTK_WIDGET (f->window), "live-capture.png");
  lines = ladder_lines (f);
  g_assert_cmpstr (lines, ==, "220 x ESMTP|EHLO a|250 ok");

  ml_window_stop_live_capture (f->window);
  g_assert_false (ml_window_is_live_capturing (f->window));
  stats = ml_window_get_live_stats (f->window);
  g_assert_nonnull (stats);
  g_assert_cmpuint (stats->flows, ==, 1);
  g_assert_cmpuint (stats->smtp.commands, ==, 1);
  g_assert_cmpuint (stats->smtp.replies, ==, 2);
  g_assert_cmpuint (stats->packets, >=, 6);
  g_assert_true (dialogue_captured (f));
  /* Stopped twice is harmless, and the trace stays. */
  ml_window_stop_live_capture (f->window);
  g_assert_true (dialogue_shown (f));
}

/* The dialog shows why a capture cannot start, in the dialog. */
static void
test_dialog_error (Fixture *f, gconstpointer data)
{
  GtkWindow *dialog = ml_live_capture_dialog_new (f->window);
  GtkLabel *label = ml_live_capture_dialog_get_error (dialog);

  g_assert_cmpstr (ml_live_capture_dialog_get_device (dialog), ==, "lo");
  g_assert_cmpstr (gtk_editable_get_text (ml_live_capture_dialog_get_filter (dialog)), ==,
                   ML_LIVE_CAPTURE_DEFAULT_FILTER);
  gtk_window_present (dialog);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (label)));
  if (can_capture ())
    /* Root: the filter is what fails. */
    gtk_editable_set_text (ml_live_capture_dialog_get_filter (dialog), "tcp port");
  g_assert_false (ml_live_capture_dialog_start (dialog));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (label)));
  g_assert_false (ml_window_is_live_capturing (f->window));
  if (can_capture ())
    g_assert_cmpuint (strlen (gtk_label_get_label (label)), >, 0);
  else
    g_assert_nonnull (strstr (gtk_label_get_label (label), "CAP_NET_RAW"));
  take_picture (f, GTK_WIDGET (dialog), "live-capture-dialog.png");
  gtk_window_destroy (dialog);
}

static void
skip_no_display (void)
{
  g_test_skip ("no display: run the GUI tests under xvfb-run (script/test does)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_add_func ("/gui/live-capture/no-display", skip_no_display);
      return g_test_run ();
    }
  adw_init ();
  ml_gui_init ();
  g_test_add ("/gui/live-capture/lo/smtp-lines", Fixture, NULL, fixture_set_up, test_smtp_lines, fixture_tear_down);
  g_test_add ("/gui/live-capture/dialog/error", Fixture, NULL, fixture_set_up, test_dialog_error, fixture_tear_down);
  return g_test_run ();
}

/* File → Attach to Server: `maillab-cli serve` runs on a free loopback
 * port with a temporary data directory, the window attaches to its trace
 * socket, Python's smtplib sends a message, and the ladder grows the SMTP
 * dialogue as it happens — by extension, never by replacing the trace.
 * Then the cursor stays where the reader put it while more mail arrives,
 * and stopping the server shows as "Detached", with the trace kept.
 * Needs a display (xvfb-run); skips without one or without python3. */
#include <string.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <adwaita.h>
#include "gui.h"
#include "window.h"
#include "server-attach.h"
#include "screenshot.h"

#define WAIT_TIMEOUT_S 30

/* Sends one message over SMTP with smtplib, the way a student's script
 * would; argv: port, subject. */
static const char send_script[] =
  "import smtplib, sys\n"
  "from email.message import EmailMessage\n"
  "m = EmailMessage()\n"
  "m['From'] = 'alice@example.org'\n"
  "m['To'] = 'bob@example.org'\n"
  "m['Subject'] = sys.argv[2]\n"
  "m.set_content('Hello Bob, this is ' + sys.argv[2] + '.')\n"
  "with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='alice.example.org', timeout=10) as s:\n"
  "    s.send_message(m)\n";

typedef struct {
  char        *dir;
  char        *socket_path;
  GSubprocess *server;
  guint16      smtp_port;
  MlWindow    *window;
  MlPlayer    *player;
  guint        trace_sets;   /* notify::trace after the attach */
} Fixture;

static const char *
cli_path (void)
{
  static char *path;

  if (path == NULL)
    path = g_build_filename (g_getenv ("ML_BUILD_DIR"), "sim", "cli", "maillab-cli", NULL);
  return path;
}

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

static void
run_cli_user_add (Fixture *f, const char *address, const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = NULL;
  g_autofree char *input = g_strconcat (password, "\n", NULL);

  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                        cli_path (), "user", "add", address, "--data", f->dir,
                        "--password-stdin", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, input, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 0);
}

/* Starts the server and reads what it prints until "ready". */
static void
start_server (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  gboolean trace_line = FALSE;

  f->server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                cli_path (), "serve", "--data", f->dir,
                                "--smtp-port", "0", "--submission-port", "-1",
                                "--smtps-port", "-1", "--pop3-port", "-1", "--pop3s-port", "-1",
                                "--imap-port", "-1", "--imaps-port", "-1",
                                "--trace-socket", f->socket_path, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->server));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
      unsigned port;

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (sscanf (line, "listening smtp %*[0-9.]:%u", &port) == 1)
        f->smtp_port = (guint16) port;
      if (g_str_has_prefix (line, "trace socket "))
        {
          g_assert_cmpstr (line + strlen ("trace socket "), ==, f->socket_path);
          trace_line = TRUE;
        }
      if (g_str_has_prefix (line, "ready"))
        break;
    }
  g_assert_cmpuint (f->smtp_port, >, 0);
  g_assert_true (trace_line);
}

static void
on_trace_set (Fixture *f)
{
  f->trace_sets++;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("ml-attach-XXXXXX", &error);
  g_assert_no_error (error);
  f->socket_path = g_build_filename (f->dir, "trace.sock", NULL);
  run_cli_user_add (f, "bob@example.org", "bob-secret");
  start_server (f);

  f->window = ml_window_new (NULL);
  g_object_ref_sink (f->window);
  f->player = ml_window_get_player (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 960);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
stop_server (Fixture *f)
{
  if (f->server == NULL)
    return;
  g_subprocess_send_signal (f->server, SIGTERM);
  g_subprocess_wait (f->server, NULL, NULL);
  g_clear_object (&f->server);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autoptr(GFile) dir = g_file_new_for_path (f->dir);

  stop_server (f);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  /* The data directory: users, mail/, tls/. */
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);
    g_assert_cmpint (system (cmd), ==, 0);
  }
  g_free (f->socket_path);
  g_free (f->dir);
}

/* ---- waiting on the window ---------------------------------------------- */

static gboolean
is_attached (Fixture *f)
{
  MlTraceFollow *follow = ml_window_get_attached (f->window);

  return follow && ml_trace_follow_get_state (follow) == ML_TRACE_FOLLOW_ATTACHED;
}

static gboolean
is_closed (Fixture *f)
{
  MlTraceFollow *follow = ml_window_get_attached (f->window);

  return follow && ml_trace_follow_get_state (follow) == ML_TRACE_FOLLOW_CLOSED;
}

typedef struct {
  GSubprocess *proc;
  gboolean     done;
} Send;

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Send *send = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error);
  g_assert_no_error (error);
  send->done = TRUE;
}

/* Runs the smtplib script while the main loop goes on, as the window
 * reads the server's trace at the same time. */
static void
send_message (Fixture *f, const char *subject)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *port = g_strdup_printf ("%u", f->smtp_port);
  gboolean expired = FALSE;
  Send send = { 0 };
  guint id;

  send.proc = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                                "python3", "-c", send_script, port, subject, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check_async (send.proc, NULL, on_sent, &send);
  id = g_timeout_add_seconds (WAIT_TIMEOUT_S, timed_out, &expired);
  while (!send.done && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (expired)
    g_error ("smtplib did not finish");
  g_source_remove (id);
  g_object_unref (send.proc);
}

/* The ladder's rows as "C: EHLO …"/"S: 250 …" firsts words, joined. */
static char *
ladder_dialogue (Fixture *f, guint *n_sessions_out)
{
  MlLadderView *ladder = ml_window_get_ladder (f->window);
  const MlStepIndex *index = ml_player_get_step_index (f->player);
  MlTrace *trace = ml_player_get_trace (f->player);
  GString *out = g_string_new (NULL);
  g_autoptr(GHashTable) conns = g_hash_table_new (g_direct_hash, g_direct_equal);

  g_assert_cmpuint (ml_ladder_view_get_n_rows (ladder), ==, ml_step_index_get_n_rows (index));
  for (guint64 row = 0; row < ml_ladder_view_get_n_rows (ladder); row++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, ml_step_index_get_event (index, row));

      if (e->kind != ML_TRACE_DIALOGUE || e->protocol != ML_PROTO_SMTP)
        continue;
      g_hash_table_add (conns, GUINT_TO_POINTER (e->conn_id));
      if (e->direction == ML_DIR_CLIENT_TO_SERVER)
        /* The message itself is a client line without a verb. */
        g_string_append_printf (out, "C:%s ", e->verb ? e->verb : "content");
      else
        g_string_append_printf (out, "S:%u ", e->code);
    }
  if (n_sessions_out)
    *n_sessions_out = g_hash_table_size (conns);
  if (out->len > 0)
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

static guint want_sessions;

static gboolean
ladder_has_sessions (Fixture *f)
{
  guint n = 0;
  g_autofree char *text = NULL;

  /* The window hands new events over a few times a second. */
  text = ladder_dialogue (f, &n);
  return n >= want_sessions && g_str_has_suffix (text, "S:221");
}

/* ---- the test ----------------------------------------------------------- */

static const char *smtp_dialogue =
  "S:220 C:EHLO S:250 C:MAIL S:250 C:RCPT S:250 C:DATA S:354 C:content S:250 C:QUIT S:221";

static void
test_attach_serve (Fixture *f, gconstpointer data)
{
  MlTraceFollow *follow;
  MlLadderView *ladder = ml_window_get_ladder (f->window);
  g_autofree char *first = NULL;
  g_autofree char *both = NULL;
  g_autofree char *shot = NULL;
  g_autoptr(GError) error = NULL;
  const char *title;
  guint64 rows_one, position;
  guint n_sessions = 0;

  ml_window_attach_server (f->window, f->socket_path);
  g_signal_connect_swapped (f->player, "notify::trace", G_CALLBACK (on_trace_set), f);
  wait_for (is_attached, f, "the hello of the server's trace");
  follow = ml_window_get_attached (f->window);
  g_assert_cmpstr (ml_trace_follow_get_server (follow), ==, "localhost");

  want_sessions = 1;
  send_message (f, "first");
  wait_for (ladder_has_sessions, f, "the first SMTP session on the ladder");
  first = ladder_dialogue (f, &n_sessions);
  g_test_message ("ladder: %s", first);
  g_assert_cmpstr (first, ==, smtp_dialogue);
  g_assert_cmpuint (n_sessions, ==, 1);
  /* Client and server lanes. */
  g_assert_cmpuint (ml_ladder_view_get_n_lanes (ladder), >=, 2);
  /* Following: the cursor is on the newest row. */
  g_assert_false (ml_player_can_step_forward (f->player));
  title = gtk_window_get_title (GTK_WINDOW (f->window));
  g_assert_cmpstr (title, ==, "Attached to localhost");

  /* Let the ladder draw, then keep the picture: zoomed out so the whole
   * dialogue, greeting to 221, fits the README's picture. */
  ml_ladder_view_set_zoom (ladder, 0.7);
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  if (g_getenv ("ML_SCREENSHOT_DIR"))
    {
      g_mkdir_with_parents (g_getenv ("ML_SCREENSHOT_DIR"), 0755);
      shot = g_build_filename (g_getenv ("ML_SCREENSHOT_DIR"), "attach-serve.png", NULL);
      g_assert_true (ml_screenshot_save_widget (GTK_WIDGET (f->window), shot, &error));
      g_assert_no_error (error);
      g_test_message ("screenshot %s", shot);
    }

  /* Follow is on by default; the header's toggle is the player's. */
  g_assert_true (ml_player_get_follow (f->player));

  /* A reader who went back stays there while the next mail arrives. */
  rows_one = ml_ladder_view_get_n_rows (ladder);
  ml_player_go_to_start (f->player);
  position = ml_player_get_position (f->player);
  want_sessions = 2;
  send_message (f, "second");
  wait_for (ladder_has_sessions, f, "the second SMTP session on the ladder");
  both = ladder_dialogue (f, &n_sessions);
  g_assert_cmpuint (n_sessions, ==, 2);
  g_assert_cmpuint (ml_ladder_view_get_n_rows (ladder), >, rows_one);
  g_assert_cmpuint (ml_player_get_position (f->player), ==, position);
  g_assert_true (g_str_has_prefix (both, smtp_dialogue));
  g_assert_true (g_str_has_suffix (both, smtp_dialogue));
  /* The trace was given to the player once, at the attach, then grew. */
  g_assert_cmpuint (f->trace_sets, ==, 0);
  g_assert_cmpuint (ml_trace_follow_get_n_sessions (follow), ==, 2);

  /* The server stops: shown, not fatal, and the trace stays. */
  stop_server (f);
  wait_for (is_closed, f, "the end of the server's trace");
  g_assert_true (g_str_has_prefix (gtk_window_get_title (GTK_WINDOW (f->window)), "Detached from localhost"));
  g_assert_cmpuint (ml_ladder_view_get_n_rows (ladder), >, rows_one);
}

/* The dialog proposes the last socket attached to. */
static void
test_dialog_remembers (Fixture *f, gconstpointer data)
{
  GtkWindow *dialog;

  ml_window_attach_server (f->window, f->socket_path);
  wait_for (is_attached, f, "the hello of the server's trace");
  dialog = ml_attach_dialog_new (f->window);
  g_assert_cmpstr (gtk_editable_get_text (ml_attach_dialog_get_path (dialog)), ==, f->socket_path);
  gtk_window_destroy (dialog);
}

/* No server there: shown as detached with the reason, nothing fatal. */
static void
test_no_server (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (f->dir, "nobody.sock", NULL);

  ml_window_attach_server (f->window, missing);
  wait_for (is_closed, f, "the connection to fail");
  g_assert_nonnull (ml_trace_follow_get_error (ml_window_get_attached (f->window)));
  g_assert_true (g_str_has_prefix (gtk_window_get_title (GTK_WINDOW (f->window)), "Detached from"));
}

int
main (int argc, char **argv)
{
  g_autofree char *config = g_dir_make_tmp ("ml-attach-config-XXXXXX", NULL);
  g_autofree char *python = g_find_program_in_path ("python3");
  int status;

  /* The dialog remembers the last socket in the user's config: not ours. */
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check () || python == NULL)
    {
      g_test_add_data_func ("/gui/attach/skipped", python ? "no display" : "no python3",
                            (GTestDataFunc) g_test_skip);
      return g_test_run ();
    }
  adw_init ();
  ml_gui_init ();
  g_test_add ("/gui/attach/serve", Fixture, NULL, fixture_set_up, test_attach_serve, fixture_tear_down);
  g_test_add ("/gui/attach/dialog-remembers", Fixture, NULL, fixture_set_up, test_dialog_remembers, fixture_tear_down);
  g_test_add ("/gui/attach/no-server", Fixture, NULL, fixture_set_up, test_no_server, fixture_tear_down);
  status = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", config);
    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", config);
  }
  return status;
}

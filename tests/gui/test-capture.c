/* File → Open Capture: a pcapng written by `maillab-cli run 01 --pcapng`
 * opens off the main thread with progress and shows the same dialogue as
 * the simulation that wrote it; the views with nothing to show for a
 * capture say so. */
#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>
#include "gui.h"
#include "window.h"
#include "capture-open.h"
#include "mailbox-view.h"
#include "topology-view.h"
#include "lesson/lessons-dir.h"

#define WAIT_TIMEOUT_S 60

typedef struct {
  MlWindow *window;
  MlPlayer *player;
  gboolean  loaded;
  char     *failed;
  char     *dir;
  char     *pcapng;
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
is_loaded (Fixture *f)
{
  return f->loaded || f->failed;
}

static void
on_loaded (Fixture *f)
{
  f->loaded = TRUE;
}

static void
on_failed (Fixture *f, const char *message)
{
  f->failed = g_strdup (message);
}

/* The CLI writes the capture, as a teacher would. */
static void
write_capture (Fixture *f)
{
  const char *build = g_getenv ("ML_BUILD_DIR");
  g_autofree char *cli = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;

  if (build == NULL)
    build = ".";
  cli = g_build_filename (build, "sim", "cli", "maillab-cli", NULL);
  f->dir = g_dir_make_tmp ("maillab-capture-XXXXXX", &error);
  g_assert_no_error (error);
  f->pcapng = g_build_filename (f->dir, "lesson-01.pcapng", NULL);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                           cli, "run", "01", "--quiet", "--pcapng", f->pcapng, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (proc, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (f->pcapng, G_FILE_TEST_IS_REGULAR));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  write_capture (f);
  f->window = ml_window_new (NULL);
  g_object_ref_sink (f->window);
  f->player = ml_window_get_player (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1200, 800);
  g_signal_connect_swapped (f->window, "lesson-loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect_swapped (f->window, "lesson-failed", G_CALLBACK (on_failed), f);
  g_signal_connect_swapped (f->window, "capture-loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect_swapped (f->window, "capture-failed", G_CALLBACK (on_failed), f);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  g_free (f->failed);
  g_unlink (f->pcapng);
  g_rmdir (f->dir);
  g_free (f->pcapng);
  g_free (f->dir);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static guint64
count_kind (MlTrace *trace, MlTraceKind kind)
{
  guint64 n = 0;

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    n += ml_trace_get_event (trace, i)->kind == kind;
  return n;
}

static void
test_same_dialogue (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *lesson = ml_lessons_dir_find ("01", &error);
  g_autoptr(MlTrace) simulated = NULL;
  MlTrace *captured;
  MlLadderView *ladder = ml_window_get_ladder (f->window);
  guint64 sim_lines, sim_first_hops = 0, sim_rows;
  MlMailboxView *mailboxes = ML_MAILBOX_VIEW (ml_window_get_view_widget (f->window, "mailboxes"));
  MlTopologyView *topology = ML_TOPOLOGY_VIEW (ml_window_get_view_widget (f->window, "topology"));

  g_assert_no_error (error);
  ml_window_open_lesson (f->window, lesson);
  wait_for (is_loaded, f, "the lesson to run");
  g_assert_null (f->failed);
  simulated = g_object_ref (ml_player_get_trace (f->player));
  sim_lines = count_kind (simulated, ML_TRACE_DIALOGUE);
  for (guint64 i = 0; i < ml_trace_get_length (simulated); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (simulated, i);

      sim_first_hops += e->kind == ML_TRACE_FRAME && e->hop == 0;
    }
  ml_player_set_mode (f->player, ML_STEP_MODE_DIALOGUE);
  sim_rows = ml_ladder_view_get_n_rows (ladder);
  g_assert_cmpuint (sim_lines, >, 20);
  g_assert_true (ml_topology_view_has_topology (topology));

  f->loaded = FALSE;
  ml_window_open_capture (f->window, f->pcapng);
  g_assert_true (ml_window_is_busy (f->window));
  wait_for (is_loaded, f, "the capture to be read");
  g_assert_null (f->failed);
  g_assert_cmpstr (ml_window_get_capture_path (f->window), ==, f->pcapng);
  g_assert_null (ml_window_get_lesson (f->window));
  captured = ml_player_get_trace (f->player);
  g_assert_true (captured != simulated);

  /* The pcapng holds each frame once, on its first hop; the capture reader
   * reads the same dialogue lines back out of it. */
  g_assert_cmpuint (count_kind (captured, ML_TRACE_FRAME), ==, sim_first_hops);
  g_assert_cmpuint (count_kind (captured, ML_TRACE_DIALOGUE), ==, sim_lines);
  g_test_message ("simulation: %" G_GUINT64_FORMAT " ladder rows, %" G_GUINT64_FORMAT
                  " lines; capture: %" G_GUINT64_FORMAT " ladder rows",
                  sim_rows, sim_lines, ml_ladder_view_get_n_rows (ladder));
  /* In dialogue mode the ladder has one row per event that is not a
   * frame. A capture holds the dialogue and the server states the reader
   * infers from it (and its own notes); the simulation also lists DNS,
   * store changes and the engines' notes, which no capture holds. */
  g_assert_cmpuint (ml_ladder_view_get_n_rows (ladder), ==,
                    ml_trace_get_length (captured) - count_kind (captured, ML_TRACE_FRAME));
  g_assert_cmpuint (ml_ladder_view_get_n_rows (ladder), >=, sim_lines);
  g_assert_cmpuint (ml_ladder_view_get_n_rows (ladder), <, sim_rows);
  g_assert_cmpuint (sim_rows, >, sim_lines);
  /* Stepping through the capture visits every line, in the same order. */
  ml_player_go_to_start (f->player);
  {
    guint64 k = 0, j = 0;

    do
      {
        const MlTraceEvent *e = ml_player_get_event (f->player);

        if (e->kind != ML_TRACE_DIALOGUE)
          continue;
        while (ml_trace_get_event (simulated, j)->kind != ML_TRACE_DIALOGUE)
          j++;
        g_assert_cmpstr (e->text, ==, ml_trace_get_event (simulated, j)->text);
        j++;
        k++;
      }
    while (ml_player_step_forward (f->player));
    g_assert_cmpuint (k, ==, sim_lines);
  }

  /* The views with nothing to show for a capture say so. */
  g_assert_false (ml_topology_view_has_topology (topology));
  g_assert_nonnull (strstr (ml_mailbox_view_get_column_text (mailboxes, 0), "A capture holds the frames"));
}

/* A file that is no capture fails plainly and leaves the start screen. */
static void
test_not_a_capture (Fixture *f, gconstpointer data)
{
  g_autofree char *bogus = g_build_filename (f->dir, "notes.pcap", NULL);

  g_assert_true (g_file_set_contents (bogus, "this is not a capture\n", -1, NULL));
  ml_window_open_capture (f->window, bogus);
  wait_for (is_loaded, f, "the capture to fail");
  g_assert_nonnull (f->failed);
  g_assert_true (g_str_has_prefix (f->failed, "The capture could not be opened: "));
  g_assert_null (ml_window_get_capture_path (f->window));
  g_unlink (bogus);
}

typedef struct {
  GMainLoop *loop;
  MlTrace   *trace;
  double     last;
  guint      calls;
  gboolean   decreasing;
} AsyncRun;

static void
on_progress (double fraction, gpointer user_data)
{
  AsyncRun *run = user_data;

  run->decreasing |= fraction < run->last;
  run->last = fraction;
  run->calls++;
}

static void
on_open (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncRun *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) warning = NULL;

  run->trace = ml_capture_open_finish (result, &warning, &error);
  g_assert_no_error (error);
  g_assert_no_error (warning);
  g_main_loop_quit (run->loop);
}

/* The worker reports progress on the caller's main context, rising to the
 * whole file. */
static void
test_progress (Fixture *f, gconstpointer data)
{
  AsyncRun run = { g_main_loop_new (NULL, FALSE), NULL, 0.0, 0, FALSE };

  ml_capture_open_async (f->pcapng, NULL, on_progress, &run, on_open, &run);
  g_main_loop_run (run.loop);
  /* Progress arrives by idle callbacks: let the last ones run. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_nonnull (run.trace);
  g_assert_cmpuint (ml_trace_get_length (run.trace), >, 0);
  g_assert_cmpuint (run.calls, >=, 1);
  g_assert_false (run.decreasing);
  g_assert_cmpfloat (run.last, ==, 1.0);
  g_object_unref (run.trace);
  g_main_loop_unref (run.loop);
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
      g_test_add_func ("/gui/capture/no-display", skip_no_display);
      return g_test_run ();
    }
  adw_init ();
  ml_gui_init ();
  g_test_add ("/gui/capture/lesson-01/same-dialogue", Fixture, NULL, fixture_set_up, test_same_dialogue, fixture_tear_down);
  g_test_add ("/gui/capture/not-a-capture", Fixture, NULL, fixture_set_up, test_not_a_capture, fixture_tear_down);
  g_test_add ("/gui/capture/progress", Fixture, NULL, fixture_set_up, test_progress, fixture_tear_down);
  return g_test_run ();
}

/* File → Open Trace: a lesson's trace saved as JSON lines opens in the
 * window with every event and the same rows the lesson itself shows; a
 * malformed file fails with its file and line. Needs a display. */
#include <string.h>
#include <glib/gstdio.h>
#include <adwaita.h>
#include "gui.h"
#include "window.h"
#include "trace-open.h"
#include "trace/json-writer.h"
#include "lesson/lesson.h"
#include "lesson/lessons-dir.h"
#include "world/world.h"

#define WAIT_TIMEOUT_S 30

typedef struct {
  MlWindow *window;
  gboolean  loaded;
  char     *failed;
  char     *dir;
} Fixture;

static void
on_loaded (Fixture *f)
{
  f->loaded = TRUE;
}

static void
on_failed (MlWindow *window, const char *message, Fixture *f)
{
  f->failed = g_strdup (message);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("ml-trace-open-XXXXXX", NULL);
  f->window = ml_window_new (NULL);
  g_object_ref_sink (f->window);
  g_signal_connect_swapped (f->window, "capture-loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect (f->window, "capture-failed", G_CALLBACK (on_failed), f);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (f->failed);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static gboolean
timed_out (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_done (Fixture *f)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (WAIT_TIMEOUT_S, timed_out, &expired);

  while (!f->loaded && f->failed == NULL && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (id);
}

/* Lesson 01 run to its end, its trace written by json-writer. */
static MlTrace *
run_lesson_to (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = ml_lessons_dir_find ("01", &error);
  g_autoptr(MlLesson) lesson = NULL;
  g_autoptr(MlWorld) world = NULL;
  g_autoptr(MlJsonWriter) writer = NULL;
  MlTrace *trace = ml_trace_new ();

  g_assert_no_error (error);
  lesson = ml_lesson_load_file (file, &error);
  g_assert_no_error (error);
  writer = ml_json_writer_new_for_path (path, &error);
  g_assert_no_error (error);
  ml_json_writer_attach (writer, trace);
  world = ml_world_new (lesson, lesson->seed, trace, &error);
  g_assert_no_error (error);
  ml_world_run (world);
  g_assert_true (ml_json_writer_close (writer, &error));
  return trace;
}

static void
test_open_lesson_trace (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "lesson-01.jsonl", NULL);
  g_autoptr(MlTrace) original = run_lesson_to (path);
  g_autoptr(MlStepIndex) rows = NULL;
  MlPlayer *player = ml_window_get_player (f->window);
  MlTrace *shown;

  ml_window_open_trace (f->window, path);
  wait_done (f);
  g_assert_cmpstr (f->failed, ==, NULL);
  shown = ml_player_get_trace (player);
  g_assert_cmpuint (ml_trace_get_length (shown), ==, ml_trace_get_length (original));
  rows = ml_step_index_new (original, ML_STEP_MODE_DIALOGUE);
  g_assert_cmpuint (ml_ladder_view_get_n_rows (ml_window_get_ladder (f->window)), ==,
                    ml_step_index_get_n_rows (rows));
  for (guint64 i = 0; i < ml_trace_get_length (original); i++)
    {
      g_autofree char *a = ml_json_format_event (ml_trace_get_event (original, i));
      g_autofree char *b = ml_json_format_event (ml_trace_get_event (shown, i));

      g_assert_cmpstr (a, ==, b);
    }
  g_assert_cmpstr (ml_window_get_capture_path (f->window), ==, path);
  g_assert_true (g_str_has_suffix (gtk_window_get_title (GTK_WINDOW (f->window)), "lesson-01.jsonl"));
  g_unlink (path);
}

static void
test_open_malformed (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "bad.jsonl", NULL);

  g_assert_true (g_file_set_contents (path,
    "{\"index\":0,\"time_us\":0,\"kind\":\"note\",\"text\":\"fine\"}\n"
    "{\"index\":1,\"time_us\":0,\"kind\":\"dialogue\",\"text\":\"QUIT\"}\n", -1, NULL));
  ml_window_open_trace (f->window, path);
  wait_done (f);
  g_assert_false (f->loaded);
  g_assert_nonnull (f->failed);
  g_assert_nonnull (strstr (f->failed, "bad.jsonl:2:"));
  g_assert_nonnull (strstr (f->failed, "direction"));
  g_unlink (path);
}

static void
skip_no_display (void)
{
  g_test_skip ("no display");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_add_func ("/gui/trace-open/no-display", skip_no_display);
      return g_test_run ();
    }
  adw_init ();
  ml_gui_init ();
  g_test_add ("/gui/trace-open/lesson-01", Fixture, NULL, fixture_set_up, test_open_lesson_trace, fixture_tear_down);
  g_test_add ("/gui/trace-open/malformed", Fixture, NULL, fixture_set_up, test_open_malformed, fixture_tear_down);
  return g_test_run ();
}

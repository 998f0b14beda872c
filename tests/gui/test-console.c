/* "Be the client": the console types raw lines at a server of the lesson's
 * world; replies come back into the transcript and the trace, and the
 * console view puts them on the ladder. */
#include <string.h>
#include <adwaita.h>
#include "gui.h"
#include "console-run.h"
#include "console-view.h"
#include "window.h"
#include "lesson/lessons-dir.h"

static MlLesson *
load_lesson (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ml_lessons_dir_find (name, &error);
  MlLesson *lesson;

  g_assert_no_error (error);
  lesson = ml_lesson_load_file (path, &error);
  g_assert_no_error (error);
  return lesson;
}

static int
find_target (MlConsoleRun *run, const char *host, guint16 port)
{
  GPtrArray *targets = ml_console_run_get_targets (run);

  for (guint i = 0; i < targets->len; i++)
    {
      const MlConsoleTarget *t = g_ptr_array_index (targets, i);

      if (g_str_equal (t->host, host) && t->port == port)
        return (int) i;
    }
  return -1;
}

static guint64
count_dialogue (MlTrace *trace, const char *prefix)
{
  guint64 n = 0;

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      n += e->kind == ML_TRACE_DIALOGUE && e->text && g_str_has_prefix (e->text, prefix);
    }
  return n;
}

/* SMTP by hand at lesson 01's MX: greeting, EHLO, a bad command's hint
 * before sending, QUIT closes. */
static void
test_smtp (void)
{
  g_autoptr(MlLesson) lesson = load_lesson ("01");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlConsoleRun) run = ml_console_run_new (lesson, lesson->seed, &error);
  g_autofree char *hint = NULL;
  g_autofree char *refused = NULL;
  MlTrace *trace;
  guint64 before, ehlo_before;
  int mx;

  g_assert_no_error (error);
  g_assert_nonnull (run);
  trace = ml_console_run_get_trace (run);
  mx = find_target (run, "mx.b.example", 25);
  g_assert_cmpint (mx, >=, 0);
  g_assert_cmpint (find_target (run, "mail.b.example", 143), >=, 0);
  g_assert_cmpint (find_target (run, "smtp.a.example", 587), >=, 0);

  before = ml_trace_get_length (trace);
  ehlo_before = count_dialogue (trace, "EHLO student");
  g_assert_true (ml_console_run_connect (run, (guint) mx, &error));
  g_assert_no_error (error);
  g_assert_true (ml_console_run_is_connected (run));
  g_assert_nonnull (strstr (ml_console_run_get_transcript (run), "S: 220 "));
  g_assert_cmpuint (ml_trace_get_length (trace), >, before);

  /* The check as typed, before anything is sent. */
  hint = ml_console_run_check_line (run, "MAIL bob");
  g_assert_nonnull (hint);
  g_assert_null (ml_console_run_check_line (run, "EHLO student.a.example"));

  g_assert_true (ml_console_run_send_line (run, "EHLO student.a.example", NULL));
  g_assert_nonnull (strstr (ml_console_run_get_transcript (run), "C: EHLO student.a.example\nS: 250"));
  g_assert_cmpuint (count_dialogue (trace, "EHLO student"), ==, ehlo_before + 1);

  g_assert_true (ml_console_run_send_line (run, "QUIT", NULL));
  g_assert_nonnull (strstr (ml_console_run_get_transcript (run), "S: 221"));
  g_assert_false (ml_console_run_is_connected (run));
  g_assert_false (ml_console_run_send_line (run, "NOOP", &refused));
  g_assert_nonnull (refused);
}

typedef struct {
  gboolean loaded;
  char    *failed;
} Loading;

static void
on_loaded (Loading *l)
{
  l->loaded = TRUE;
}

static void
on_failed (Loading *l, const char *message)
{
  l->failed = g_strdup (message);
}

/* The view in the window: replies in the console, on the ladder, and the
 * note explains the reply under the cursor. */
static void
test_view (void)
{
  MlWindow *window = ml_window_new (NULL);
  MlConsoleView *console;
  MlPlayer *player;
  Loading loading = { FALSE, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ml_lessons_dir_find ("01", &error);
  g_autofree char *text = NULL;
  MlTrace *lesson_trace;
  const MlTraceEvent *last;
  int mx = -1;

  g_assert_no_error (error);
  g_object_ref_sink (window);
  player = ml_window_get_player (window);
  console = ML_CONSOLE_VIEW (ml_window_get_view_widget (window, "console"));
  g_assert_nonnull (console);
  g_signal_connect_swapped (window, "lesson-loaded", G_CALLBACK (on_loaded), &loading);
  g_signal_connect_swapped (window, "lesson-failed", G_CALLBACK (on_failed), &loading);
  gtk_window_present (GTK_WINDOW (window));
  ml_window_open_lesson (window, path);
  while (!loading.loaded && loading.failed == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (loading.failed);
  g_assert_true (ml_window_set_view (window, "console"));
  lesson_trace = ml_player_get_trace (player);

  for (guint i = 0; i < ml_console_view_get_n_targets (console); i++)
    if (g_str_equal (ml_console_view_get_target_label (console, i), "mx.b.example — SMTP (25)"))
      mx = (int) i;
  g_assert_cmpint (mx, >=, 0);
  g_assert_false (ml_console_view_send (console, "EHLO too.early"));
  g_assert_true (ml_console_view_connect (console, (guint) mx));
  g_assert_true (ml_player_get_trace (player) != lesson_trace);

  /* Checked as typed: a MAIL without FROM:<…> gets a hint at once. */
  ml_console_view_set_input (console, "MAIL bob");
  g_assert_cmpstr (ml_console_view_get_hint (console), !=, "");
  ml_console_view_set_input (console, "EHLO student.a.example");
  g_assert_cmpstr (ml_console_view_get_hint (console), ==, "");

  g_assert_true (ml_console_view_send (console, "EHLO student.a.example"));
  text = ml_console_view_dup_transcript (console);
  g_assert_nonnull (strstr (text, "C: EHLO student.a.example\nS: 250"));
  /* The player sits at the end of the console's trace: the last dialogue
   * line is the EHLO's reply, from mx.b.example to the student. */
  ml_player_set_mode (player, ML_STEP_MODE_DIALOGUE);
  ml_player_go_to_end (player);
  do
    last = ml_player_get_event (player);
  while (last->kind != ML_TRACE_DIALOGUE && ml_player_step_back (player));
  g_assert_cmpint (last->kind, ==, ML_TRACE_DIALOGUE);
  g_assert_cmpuint (last->code, ==, 250);
  g_assert_cmpstr (last->host, ==, "mx.b.example");
  g_assert_cmpstr (ml_note_view_get_title (ml_window_get_note_view (window)), !=, "No note for this event");

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
  g_free (loading.failed);
  while (g_main_context_iteration (NULL, FALSE))
    ;
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
  g_test_add_func ("/gui/console/lesson-01/smtp", test_smtp);
  if (!gtk_init_check ())
    {
      g_test_add_func ("/gui/console/no-display", skip_no_display);
      return g_test_run ();
    }
  adw_init ();
  ml_gui_init ();
  g_test_add_func ("/gui/console/lesson-01/view", test_view);
  return g_test_run ();
}

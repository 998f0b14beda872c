/* The lesson panel follows the player through a lesson's steps, asks the
 * questions placed there, grades answers with the lesson runner, keeps
 * the feedback when the cursor comes back, and shows the checks at the
 * end. */
#include <string.h>
#include <adwaita.h>
#include "gui.h"
#include "window.h"
#include "lesson-panel.h"
#include "lesson/lessons-dir.h"

#define WAIT_TIMEOUT_S 60

typedef struct {
  MlWindow      *window;
  MlPlayer      *player;
  MlLessonPanel *panel;
  gboolean       loaded;
  char          *failed;
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

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ml_lessons_dir_find (data, &error);

  g_assert_no_error (error);
  f->window = ml_window_new (NULL);
  g_object_ref_sink (f->window);
  f->player = ml_window_get_player (f->window);
  f->panel = ml_window_get_lesson_panel (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  g_signal_connect_swapped (f->window, "lesson-loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect_swapped (f->window, "lesson-failed", G_CALLBACK (on_failed), f);
  gtk_window_present (GTK_WINDOW (f->window));
  ml_window_open_lesson (f->window, path);
  wait_for (is_loaded, f, "the lesson to run");
  g_assert_null (f->failed);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  g_free (f->failed);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Questions the runner places in lesson step @step, walked anew from a
 * second runner of the same lesson (the panel's has been walked). */
static guint
questions_in_step (const MlLesson *lesson, guint step)
{
  g_autoptr(MlLessonRunner) runner = ml_lesson_runner_new (lesson, lesson->seed);
  MlLessonItem item;
  guint n = 0;

  g_assert_true (ml_lesson_runner_run (runner, NULL));
  while (ml_lesson_runner_next_item (runner, &item))
    n += item.kind == ML_LESSON_ITEM_QUESTION && item.step == step;
  return n;
}

/* Lesson 01 has one step with a narrative. */
static void
test_narrative (Fixture *f, gconstpointer data)
{
  const MlLesson *lesson = ml_window_get_lesson (f->window);
  const MlLessonStep *step = g_ptr_array_index (lesson->steps, 0);

  g_assert_nonnull (ml_lesson_panel_get_runner (f->panel));
  g_assert_cmpuint (ml_lesson_panel_get_step (f->panel), ==, 1);
  g_assert_cmpstr (ml_lesson_panel_get_narrative (f->panel), ==, step->narrative);
  g_assert_true (g_str_has_prefix (ml_lesson_panel_get_narrative (f->panel), "Alice presses Send."));
  g_assert_cmpuint (ml_lesson_panel_get_n_questions (f->panel), ==, questions_in_step (lesson, 1));
  g_assert_cmpuint (ml_lesson_panel_get_n_checks (f->panel), ==, 0);
  g_assert_true (ml_window_get_lesson_panel_visible (f->window));
  ml_player_go_to_end (f->player);
  g_assert_cmpuint (ml_lesson_panel_get_step (f->panel), ==, 1);
  g_assert_cmpuint (ml_lesson_panel_get_n_checks (f->panel), ==, lesson->checks->len);
}

static guint
first_step_with_question (const MlLesson *lesson, const char *id)
{
  for (guint i = 0; i < lesson->questions->len; i++)
    {
      const MlLessonQuestion *q = g_ptr_array_index (lesson->questions, i);

      if (g_str_equal (q->id, id))
        return q->after_step;
    }
  return G_MAXUINT;
}

/* Walks the player forward until the panel shows lesson step @step. */
static void
go_to_lesson_step (Fixture *f, guint step)
{
  ml_player_go_to_start (f->player);
  while (ml_lesson_panel_get_step (f->panel) < step)
    g_assert_true (ml_player_step_forward (f->player));
  g_assert_cmpuint (ml_lesson_panel_get_step (f->panel), ==, step);
}

/* Lesson 11: questions in place, graded by the runner, feedback kept. */
static void
test_questions (Fixture *f, gconstpointer data)
{
  const MlLesson *lesson = ml_window_get_lesson (f->window);
  guint step = first_step_with_question (lesson, "ehlo-lines");
  guint earned_before, earned, possible;
  g_autofree char *score_before = NULL;
  MlLessonRunner *runner = ml_lesson_panel_get_runner (f->panel);

  g_assert_cmpuint (step, >=, 1);
  g_assert_cmpuint (step, <=, lesson->steps->len);
  go_to_lesson_step (f, step);
  g_assert_cmpuint (ml_lesson_panel_get_n_questions (f->panel), ==, questions_in_step (lesson, step));
  g_assert_cmpuint (ml_lesson_panel_get_n_questions (f->panel), >=, 1);
  g_assert_null (ml_lesson_panel_get_feedback (f->panel, "ehlo-lines"));
  ml_lesson_runner_get_score (runner, &earned_before, &possible);
  score_before = g_strdup (ml_lesson_panel_get_score_text (f->panel));

  /* Wrong, then right: the last answer counts. */
  g_assert_false (ml_lesson_panel_answer (f->panel, "ehlo-lines", "3"));
  g_assert_true (g_str_has_prefix (ml_lesson_panel_get_feedback (f->panel, "ehlo-lines"), "Not quite."));
  g_assert_true (ml_lesson_panel_answer (f->panel, "ehlo-lines", " 5 "));
  g_assert_true (g_str_has_prefix (ml_lesson_panel_get_feedback (f->panel, "ehlo-lines"), "Right."));
  ml_lesson_runner_get_score (runner, &earned, &possible);
  g_assert_cmpuint (earned, ==, earned_before + 1);
  g_assert_cmpstr (ml_lesson_panel_get_score_text (f->panel), !=, score_before);

  /* At the end: the checks, graded on the run. */
  ml_player_go_to_end (f->player);
  g_assert_cmpuint (ml_lesson_panel_get_step (f->panel), ==, lesson->steps->len);
  g_assert_cmpuint (ml_lesson_panel_get_n_checks (f->panel), ==, lesson->checks->len);

  /* Back at the question's step the answer and its feedback are there. */
  go_to_lesson_step (f, step);
  g_assert_cmpuint (ml_lesson_panel_get_n_checks (f->panel), ==, 0);
  g_assert_true (g_str_has_prefix (ml_lesson_panel_get_feedback (f->panel, "ehlo-lines"), "Right."));
}

/* The predictions of the first lesson step that has any, walked from a
 * second runner: their ids into @ids, the last one (whose reply comes
 * last) into @last. */
static void
step_predictions (const MlLesson *lesson, GPtrArray *ids, MlLessonItem *last)
{
  g_autoptr(MlLessonRunner) runner = ml_lesson_runner_new (lesson, lesson->seed);
  MlLessonItem item;

  g_assert_true (ml_lesson_runner_run (runner, NULL));
  while (ml_lesson_runner_next_item (runner, &item))
    if (item.kind == ML_LESSON_ITEM_QUESTION && item.question
        && item.question->kind == ML_LESSON_QUESTION_PREDICT
        && (ids->len == 0 || item.step == last->step))
      {
        if (ids->len == 0 || item.trace_end > last->trace_end)
          *last = item;
        g_ptr_array_add (ids, g_strdup (item.question->id));
      }
}

/* Lesson 01: while a prediction of the cursor's step is unanswered and
 * its reply still ahead, the ladder draws nothing after the cursor; the
 * replies reached, or the questions answered, every row is back. */
static void
test_fair_prediction (Fixture *f, gconstpointer data)
{
  const MlLesson *lesson = ml_window_get_lesson (f->window);
  MlLadderView *ladder = ml_window_get_ladder (f->window);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  MlLessonItem last = { 0 };
  guint64 n_rows, row;

  step_predictions (lesson, ids, &last);
  g_assert_cmpuint (ids->len, >=, 1);
  go_to_lesson_step (f, last.step);
  g_assert_cmpuint (ml_player_get_position (f->player), <, last.trace_end);
  g_assert_true (ml_lesson_panel_get_hide_ahead (f->panel));
  g_assert_true (ml_ladder_view_get_hide_ahead (ladder));
  n_rows = ml_ladder_view_get_n_rows (ladder);
  row = (guint64) ml_ladder_view_get_highlighted_row (ladder);
  g_assert_cmpuint (row + 1, <, n_rows);
  g_assert_true (ml_ladder_view_is_row_shown (ladder, row));
  g_assert_false (ml_ladder_view_is_row_shown (ladder, row + 1));
  g_assert_false (ml_ladder_view_is_row_shown (ladder, n_rows - 1));

  /* On the last reply, no prediction of the step is ahead any more. */
  while (ml_player_get_position (f->player) < last.trace_end)
    g_assert_true (ml_player_step_forward (f->player));
  g_assert_false (ml_lesson_panel_get_hide_ahead (f->panel));
  g_assert_false (ml_ladder_view_get_hide_ahead (ladder));
  g_assert_true (ml_ladder_view_is_row_shown (ladder, n_rows - 1));

  /* Back before them, then answered: everything is shown again. */
  go_to_lesson_step (f, last.step);
  g_assert_true (ml_ladder_view_get_hide_ahead (ladder));
  for (guint i = 0; i < ids->len; i++)
    {
      ml_lesson_panel_answer (f->panel, ids->pdata[i], "250");
      g_assert_nonnull (ml_lesson_panel_get_feedback (f->panel, ids->pdata[i]));
      /* Hidden until the last open one is answered. */
      g_assert_cmpint (ml_lesson_panel_get_hide_ahead (f->panel), ==, i + 1 < ids->len);
    }
  g_assert_false (ml_ladder_view_get_hide_ahead (ladder));
  g_assert_true (ml_ladder_view_is_row_shown (ladder, n_rows - 1));
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
      g_test_add_func ("/gui/lesson-panel/no-display", skip_no_display);
      return g_test_run ();
    }
  adw_init ();
  ml_gui_init ();
  g_test_add ("/gui/lesson-panel/lesson-01/narrative", Fixture, "01", fixture_set_up, test_narrative, fixture_tear_down);
  g_test_add ("/gui/lesson-panel/lesson-01/fair-prediction", Fixture, "01", fixture_set_up, test_fair_prediction, fixture_tear_down);
  g_test_add ("/gui/lesson-panel/lesson-11/questions", Fixture, "11", fixture_set_up, test_questions, fixture_tear_down);
  return g_test_run ();
}

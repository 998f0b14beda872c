/* lesson-runner.c — plays a lesson's world to the end, then walks its
 * narrative, questions and checks.
 *
 * Everything is decided by the finished run: a prediction's answer is the
 * reply the engines really sent (lesson-runner-trace.c), a check reads the
 * stores and the trace (lesson-runner-grade.c), answers are graded and the
 * results written in lesson-runner-results.c. The runner never prints; the
 * CLI and the GUI present its items.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>

#include "lesson/lesson-runner.h"
#include "lesson/lesson-runner-private.h"
#include "world/world.h"

G_DEFINE_FINAL_TYPE (MlLessonRunner, ml_lesson_runner, G_TYPE_OBJECT)

void
_ml_lesson_runner_question_state_free (gpointer data)
{
  QuestionState *qs = data;

  g_free (qs->expected);
  g_free (qs->given);
  g_free (qs);
}

void
_ml_lesson_runner_check_state_free (gpointer data)
{
  CheckState *cs = data;

  g_free (cs->observed);
  g_free (cs);
}

static void
ml_lesson_runner_finalize (GObject *object)
{
  MlLessonRunner *self = ML_LESSON_RUNNER (object);

  g_clear_object (&self->trace);
  g_clear_pointer (&self->step_start, g_array_unref);
  g_clear_pointer (&self->questions, g_ptr_array_unref);
  g_clear_pointer (&self->checks, g_ptr_array_unref);
  g_clear_pointer (&self->items, g_array_unref);
  G_OBJECT_CLASS (ml_lesson_runner_parent_class)->finalize (object);
}

static void
ml_lesson_runner_class_init (MlLessonRunnerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ml_lesson_runner_finalize;
}

static void
ml_lesson_runner_init (MlLessonRunner *self)
{
  self->step_start = g_array_new (FALSE, FALSE, sizeof (guint64));
  self->questions = g_ptr_array_new_with_free_func (_ml_lesson_runner_question_state_free);
  self->checks = g_ptr_array_new_with_free_func (_ml_lesson_runner_check_state_free);
  self->items = g_array_new (FALSE, TRUE, sizeof (MlLessonItem));
}

MlLessonRunner *
ml_lesson_runner_new (const MlLesson *lesson, guint32 seed)
{
  MlLessonRunner *self;

  g_return_val_if_fail (lesson != NULL, NULL);
  self = g_object_new (ML_TYPE_LESSON_RUNNER, NULL);
  self->lesson = lesson;
  self->seed = seed;
  for (guint i = 0; i < lesson->questions->len; i++)
    {
      QuestionState *qs = g_new0 (QuestionState, 1);

      qs->question = lesson->questions->pdata[i];
      g_ptr_array_add (self->questions, qs);
    }
  for (guint i = 0; i < lesson->checks->len; i++)
    {
      CheckState *cs = g_new0 (CheckState, 1);

      cs->check = lesson->checks->pdata[i];
      g_ptr_array_add (self->checks, cs);
    }
  return self;
}

/* ---- the walk ------------------------------------------------------------------ */

static void
add_item (MlLessonRunner *self, MlLessonItemKind kind, guint step, guint64 start, guint64 end)
{
  MlLessonItem item = { 0 };

  item.kind = kind;
  item.step = step;
  item.step_data = (step > 0 && kind != ML_LESSON_ITEM_QUESTION)
                   ? self->lesson->steps->pdata[step - 1] : NULL;
  item.trace_start = start;
  item.trace_end = end;
  g_array_append_val (self->items, item);
}

static void
add_questions_after (MlLessonRunner *self, guint step, guint64 at)
{
  for (guint i = 0; i < self->questions->len; i++)
    {
      QuestionState *qs = self->questions->pdata[i];

      if (qs->question->kind != ML_LESSON_QUESTION_PREDICT && qs->question->after_step == step)
        {
          add_item (self, ML_LESSON_ITEM_QUESTION, step, at, at);
          g_array_index (self->items, MlLessonItem, self->items->len - 1).question = qs->question;
        }
    }
}

static gint
compare_reply_index (gconstpointer a, gconstpointer b)
{
  const QuestionState *qa = *(QuestionState *const *) a;
  const QuestionState *qb = *(QuestionState *const *) b;

  return qa->reply_index < qb->reply_index ? -1 : qa->reply_index > qb->reply_index;
}

static void
build_items (MlLessonRunner *self)
{
  const MlLesson *lesson = self->lesson;
  guint64 end = g_array_index (self->step_start, guint64, lesson->steps->len);

  add_questions_after (self, 0, 0);
  for (guint s = 1; s <= lesson->steps->len; s++)
    {
      const MlLessonStep *step = lesson->steps->pdata[s - 1];
      guint64 start = g_array_index (self->step_start, guint64, s - 1);
      guint64 stop = g_array_index (self->step_start, guint64, s);

      g_autoptr(GPtrArray) predictions = g_ptr_array_new ();

      add_item (self, ML_LESSON_ITEM_NARRATIVE, s, start, stop);
      for (guint i = 0; i < self->questions->len; i++)
        {
          QuestionState *qs = self->questions->pdata[i];

          if (qs->question->kind == ML_LESSON_QUESTION_PREDICT && qs->question->predict_step == s)
            g_ptr_array_add (predictions, qs);
        }
      /* In the order the replies came, so a player only moves forward. */
      g_ptr_array_sort (predictions, compare_reply_index);
      for (guint i = 0; i < predictions->len; i++)
        {
          QuestionState *qs = predictions->pdata[i];

          add_item (self, ML_LESSON_ITEM_QUESTION, s, start, qs->reply_index);
          g_array_index (self->items, MlLessonItem, self->items->len - 1).question = qs->question;
        }
      if (step->pause)
        add_item (self, ML_LESSON_ITEM_PAUSE, s, stop, stop);
      add_questions_after (self, s, stop);
    }
  for (guint i = 0; i < self->checks->len; i++)
    {
      CheckState *cs = self->checks->pdata[i];
      MlLessonItem *item;

      add_item (self, ML_LESSON_ITEM_CHECK, 0, end, ml_trace_get_length (self->trace));
      item = &g_array_index (self->items, MlLessonItem, self->items->len - 1);
      item->check = cs->check;
      item->passed = cs->passed;
      item->observed = cs->observed;
    }
}

gboolean
ml_lesson_runner_run (MlLessonRunner *self, GError **error)
{
  g_autoptr(MlWorld) world = NULL;
  guint64 at;

  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), FALSE);
  g_return_val_if_fail (!self->ran, FALSE);

  self->ran = TRUE;
  self->trace = ml_trace_new ();
  world = ml_world_new (self->lesson, self->seed, self->trace, error);
  if (world == NULL)
    return FALSE;
  for (guint i = 0; i < self->lesson->steps->len; i++)
    {
      at = ml_trace_get_length (self->trace);
      g_array_append_val (self->step_start, at);
      ml_world_run_step (world, i);
    }
  ml_world_finish (world);
  /* The end of the last step: the summary notes of finish belong to no step. */
  at = ml_trace_get_length (self->trace);
  g_array_append_val (self->step_start, at);

  for (guint i = 0; i < self->questions->len; i++)
    {
      QuestionState *qs = self->questions->pdata[i];

      if (qs->question->kind == ML_LESSON_QUESTION_PREDICT)
        _ml_lesson_runner_prepare_prediction (self, qs);
    }
  for (guint i = 0; i < self->checks->len; i++)
    _ml_lesson_runner_grade_check (self, world, self->checks->pdata[i]);
  build_items (self);
  return TRUE;
}

MlTrace *
ml_lesson_runner_get_trace (MlLessonRunner *self)
{
  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), NULL);
  return self->trace;
}

const MlLesson *
ml_lesson_runner_get_lesson (MlLessonRunner *self)
{
  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), NULL);
  return self->lesson;
}

gboolean
ml_lesson_runner_next_item (MlLessonRunner *self, MlLessonItem *item)
{
  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), FALSE);
  g_return_val_if_fail (item != NULL, FALSE);

  if (!self->ran || self->next >= self->items->len)
    {
      memset (item, 0, sizeof *item);
      item->kind = ML_LESSON_ITEM_END;
      item->trace_start = item->trace_end = self->trace ? ml_trace_get_length (self->trace) : 0;
      return FALSE;
    }
  *item = g_array_index (self->items, MlLessonItem, self->next++);
  return TRUE;
}

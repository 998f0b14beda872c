#define G_LOG_DOMAIN "ml-lesson-run"

#include "lesson-run.h"
#include "lesson/lesson-runner.h"

typedef struct {
  MlLesson       *lesson;
  MlTrace        *trace;
  MlLessonRunner *runner;
} RunResult;

static void
run_result_free (RunResult *result)
{
  /* The runner borrows the lesson: it goes first. */
  g_clear_object (&result->runner);
  g_clear_object (&result->trace);
  g_clear_pointer (&result->lesson, ml_lesson_free);
  g_free (result);
}

/* One world at a time: the engines share process-wide library state
 * (GMime's initialisation count among it) that is not meant to be set up
 * from two threads at once. */
G_LOCK_DEFINE_STATIC (world_lock);

static void
run_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(MlLesson) lesson = NULL;
  MlLessonRunner *runner;
  g_autoptr(GError) error = NULL;
  RunResult *result;
  gboolean ok;

  lesson = ml_lesson_load_file (path, &error);
  if (lesson == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  /* The runner plays the same world with the lesson's seed, and keeps
   * what the lesson panel grades answers and checks with. */
  runner = ml_lesson_runner_new (lesson, lesson->seed);
  G_LOCK (world_lock);
  ok = ml_lesson_runner_run (runner, &error);
  G_UNLOCK (world_lock);
  if (!ok)
    {
      g_clear_object (&runner);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  result = g_new0 (RunResult, 1);
  result->trace = g_object_ref (ml_lesson_runner_get_trace (runner));
  result->runner = runner;
  result->lesson = g_steal_pointer (&lesson);
  g_task_return_pointer (task, result, (GDestroyNotify) run_result_free);
}

void
ml_lesson_run_async (const char          *path,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (path != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ml_lesson_run_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, run_in_thread);
}

MlTrace *
ml_lesson_run_finish (GAsyncResult    *result,
                      MlLesson       **lesson_out,
                      MlLessonRunner **runner_out,
                      GError         **error)
{
  RunResult *run;
  MlTrace *trace;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ml_lesson_run_async, NULL);

  run = g_task_propagate_pointer (G_TASK (result), error);
  if (run == NULL)
    return NULL;
  trace = g_steal_pointer (&run->trace);
  if (runner_out)
    *runner_out = g_steal_pointer (&run->runner);
  g_clear_object (&run->runner);
  if (lesson_out)
    *lesson_out = g_steal_pointer (&run->lesson);
  run_result_free (run);
  return trace;
}

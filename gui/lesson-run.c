#define G_LOG_DOMAIN "ml-lesson-run"

#include "lesson-run.h"
#include "world/world.h"

typedef struct {
  MlLesson *lesson;
  MlTrace  *trace;
} RunResult;

static void
run_result_free (RunResult *result)
{
  g_clear_pointer (&result->lesson, ml_lesson_free);
  g_clear_object (&result->trace);
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
  g_autoptr(MlTrace) trace = NULL;
  g_autoptr(GError) error = NULL;
  RunResult *result;

  lesson = ml_lesson_load_file (path, &error);
  if (lesson == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  trace = ml_trace_new ();
  G_LOCK (world_lock);
  {
    g_autoptr(MlWorld) world = ml_world_new (lesson, lesson->seed, trace, &error);

    if (world)
      ml_world_run (world);
  }
  G_UNLOCK (world_lock);
  if (error)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  result = g_new0 (RunResult, 1);
  result->lesson = g_steal_pointer (&lesson);
  result->trace = g_steal_pointer (&trace);
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
ml_lesson_run_finish (GAsyncResult *result, MlLesson **lesson_out, GError **error)
{
  RunResult *run;
  MlTrace *trace;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ml_lesson_run_async, NULL);

  run = g_task_propagate_pointer (G_TASK (result), error);
  if (run == NULL)
    return NULL;
  trace = g_steal_pointer (&run->trace);
  if (lesson_out)
    *lesson_out = g_steal_pointer (&run->lesson);
  run_result_free (run);
  return trace;
}

/* capture-open.c — ml_capture_read_file in a GTask thread, its progress
 * handed to the main context with g_main_context_invoke. */
#define G_LOG_DOMAIN "ml-capture-open"

#include "capture-open.h"
#include "capture/capture-reader.h"

/* Progress updates sent to the main thread at most this often (in
 * thousandths of the file), so a big file does not flood the main loop. */
#define ML_CAPTURE_OPEN_PROGRESS_STEPS 200

typedef struct {
  char                  *path;
  MlCaptureOpenProgress  progress;
  gpointer               progress_data;
  GMainContext          *context;
  GCancellable          *cancellable;
  guint                  last_step;
} OpenData;

typedef struct {
  MlTrace *trace;
  GError  *warning;
} OpenResult;

typedef struct {
  MlCaptureOpenProgress  progress;
  gpointer               progress_data;
  GCancellable          *cancellable;
  double                 fraction;
} ProgressCall;

static void
open_data_free (OpenData *data)
{
  g_free (data->path);
  g_main_context_unref (data->context);
  g_clear_object (&data->cancellable);
  g_free (data);
}

static void
open_result_free (OpenResult *result)
{
  g_clear_object (&result->trace);
  g_clear_error (&result->warning);
  g_free (result);
}

static gboolean
deliver_progress (gpointer user_data)
{
  ProgressCall *call = user_data;

  /* A cancelled open's caller may be gone already. */
  if (call->cancellable == NULL || !g_cancellable_is_cancelled (call->cancellable))
    call->progress (call->fraction, call->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_call_free (gpointer data)
{
  ProgressCall *call = data;

  g_clear_object (&call->cancellable);
  g_free (call);
}

static void
on_progress (guint64 bytes_read, guint64 bytes_total, gpointer user_data)
{
  OpenData *data = user_data;
  ProgressCall *call;
  double fraction;
  guint step;

  if (data->progress == NULL || bytes_total == 0)
    return;
  fraction = CLAMP ((double) bytes_read / (double) bytes_total, 0.0, 1.0);
  step = (guint) (fraction * ML_CAPTURE_OPEN_PROGRESS_STEPS);
  if (step == data->last_step)
    return;
  data->last_step = step;
  call = g_new0 (ProgressCall, 1);
  call->progress = data->progress;
  call->progress_data = data->progress_data;
  call->cancellable = data->cancellable ? g_object_ref (data->cancellable) : NULL;
  call->fraction = fraction;
  g_main_context_invoke_full (data->context, G_PRIORITY_DEFAULT, deliver_progress, call, progress_call_free);
}

static void
open_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  OpenData *data = task_data;
  g_autoptr(GError) error = NULL;
  MlTrace *trace;
  OpenResult *result;

  trace = ml_capture_read_file (data->path, NULL, on_progress, data, cancellable, &error);
  if (trace == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_object (&trace);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  result = g_new0 (OpenResult, 1);
  result->trace = trace;
  result->warning = g_steal_pointer (&error);
  g_task_return_pointer (task, result, (GDestroyNotify) open_result_free);
}

void
ml_capture_open_async (const char            *path,
                       GCancellable          *cancellable,
                       MlCaptureOpenProgress  progress,
                       gpointer               progress_data,
                       GAsyncReadyCallback    callback,
                       gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  OpenData *data;

  g_return_if_fail (path != NULL);

  data = g_new0 (OpenData, 1);
  data->path = g_strdup (path);
  data->progress = progress;
  data->progress_data = progress_data;
  data->context = g_main_context_ref_thread_default ();
  data->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  data->last_step = G_MAXUINT;
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ml_capture_open_async);
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);
  g_task_run_in_thread (task, open_in_thread);
}

MlTrace *
ml_capture_open_finish (GAsyncResult *result, GError **warning, GError **error)
{
  OpenResult *open;
  MlTrace *trace;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ml_capture_open_async, NULL);

  open = g_task_propagate_pointer (G_TASK (result), error);
  if (open == NULL)
    return NULL;
  trace = g_steal_pointer (&open->trace);
  if (warning)
    *warning = g_steal_pointer (&open->warning);
  open_result_free (open);
  return trace;
}

/* lesson-run.h — load and run a lesson off the main thread.
 *
 * The simulation is single-threaded and fast, but a lesson that sends
 * thousands of messages takes seconds; a worker thread owns the world for
 * the whole run and hands the finished trace to the caller, so the main
 * loop never waits on it.
 */
#pragma once

#include <gio/gio.h>
#include "lesson/lesson.h"
#include "trace/trace.h"
#include "lesson/lesson-runner.h"

G_BEGIN_DECLS

/* Runs the lesson in @path with its own seed, through an MlLessonRunner. */
void     ml_lesson_run_async  (const char          *path,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data);
/* The finished trace (transfer full), in @lesson_out the lesson it came
 * from (transfer full) and in @runner_out the runner that played it
 * (transfer full; it borrows the lesson, so drop it first), or NULL with
 * @error set. Either out argument may be NULL. */
MlTrace *ml_lesson_run_finish (GAsyncResult    *result,
                               MlLesson       **lesson_out,
                               MlLessonRunner **runner_out,
                               GError         **error);

G_END_DECLS

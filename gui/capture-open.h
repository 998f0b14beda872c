/* capture-open.h — read a pcap or pcapng file off the main thread.
 *
 * sim/capture turns the file into the same kind of trace a lesson makes;
 * a big capture takes seconds, so a worker thread reads it and reports
 * its progress to the main thread, which stays free to draw.
 */
#pragma once

#include <gio/gio.h>
#include "trace/trace.h"

G_BEGIN_DECLS

/* Called on the main context of the caller of ml_capture_open_async with
 * the fraction read (0 … 1). */
typedef void (*MlCaptureOpenProgress) (double fraction, gpointer user_data);

/* @progress may be NULL; @progress_data must live until @callback runs. */
void     ml_capture_open_async  (const char            *path,
                                 GCancellable          *cancellable,
                                 MlCaptureOpenProgress  progress,
                                 gpointer               progress_data,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data);
/* The trace (transfer full), or NULL with @error set. A damaged file
 * still gives the packets before the damage: the trace is returned and
 * @warning (may be NULL) says what was wrong. */
MlTrace *ml_capture_open_finish (GAsyncResult  *result,
                                 GError       **warning,
                                 GError       **error);

G_END_DECLS

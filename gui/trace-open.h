/* trace-open.h — File → Open Trace…: a saved JSON-lines trace
 * (`maillab-cli run --json`, `serve --trace FILE.jsonl`) in the views.
 */
#pragma once

#include "window.h"

G_BEGIN_DECLS

/* Reads @path with sim/trace/json-reader off the main thread and shows it
 * as a capture is shown (no topology, no mail stores). Emits the window's
 * "capture-loaded", or "capture-failed" (const char *message) with the
 * file and line of the first bad line. */
void ml_window_open_trace (MlWindow *self, const char *path);

G_END_DECLS

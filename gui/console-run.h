/* console-run.h — "be the client" behind the console view: the lesson's
 * world, played to its end in the main thread, kept alive so a student
 * can connect to one of its servers and type raw commands
 * (sim/world/console-session.h).
 *
 * GTK-free. Each typed line runs the world's scheduler for a slice of
 * virtual time, so the reply (and every frame under it) is in the trace
 * when ml_console_run_send_line returns.
 */
#pragma once

#include <glib.h>
#include "lesson/lesson.h"
#include "trace/trace.h"
#include "world/console-session.h"

G_BEGIN_DECLS

/* Virtual time run after each line: long enough for a reply across the
 * slowest lesson link and back, with a retransmission or two on a lossy
 * one (TCP's initial RTO is 1 s, RFC 6298 2.1). */
#define ML_CONSOLE_RUN_SLICE_US   (5 * G_USEC_PER_SEC)
/* Responses kept for the view; older ones are dropped first. */
#define ML_CONSOLE_RUN_MAX_LINES  2000

typedef struct _MlConsoleRun MlConsoleRun;

/* One place a student can connect to. */
typedef struct {
  char       *label;     /* "mx.b.example — SMTP (25)" */
  char       *host;
  guint16     port;
  MlProtocol  protocol;
} MlConsoleTarget;

/* Builds @lesson's world (it must outlive the run) with @seed into a new
 * trace, plays every step and finishes. NULL with @error when the world
 * cannot be built. */
MlConsoleRun *ml_console_run_new        (const MlLesson *lesson, guint32 seed, GError **error);
void          ml_console_run_free       (MlConsoleRun *self);
MlTrace      *ml_console_run_get_trace  (MlConsoleRun *self);   /* borrowed */
/* The servers of the lesson by their roles (MSA 587, MTA 25 — SMTP;
 * MDA 110 — POP3, 143 — IMAP), in the lesson's order (borrowed). */
GPtrArray    *ml_console_run_get_targets (MlConsoleRun *self);  /* MlConsoleTarget* */
/* Opens a session from the lesson's first MUA to @target (index into the
 * targets), closing any earlier one, and runs until the greeting. */
gboolean      ml_console_run_connect    (MlConsoleRun *self, guint target, GError **error);
gboolean      ml_console_run_is_connected (MlConsoleRun *self);
/* Sends @line and runs a slice. FALSE (nothing sent) when the console
 * refused it; @hint_out then gets the reason (transfer full). */
gboolean      ml_console_run_send_line  (MlConsoleRun *self, const char *line, char **hint_out);
/* ml_console_check_line for the open session (transfer full), NULL when
 * the line looks right. */
char         *ml_console_run_check_line (MlConsoleRun *self, const char *line);
/* What was typed and answered so far, "C: …" and "S: …" lines (borrowed). */
const char   *ml_console_run_get_transcript (MlConsoleRun *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlConsoleRun, ml_console_run_free)

G_END_DECLS

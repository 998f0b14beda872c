/* window.h — the main window: the lesson list, then a lesson's ladder,
 * teaching note and packet detail under one set of transport controls.
 */
#pragma once

#include <adwaita.h>
#include "lesson/lesson.h"
#include "player.h"
#include "ladder-view.h"
#include "packet-view.h"
#include "note-view.h"
#include "lesson-list.h"
#include "lesson-panel.h"

G_BEGIN_DECLS

#define ML_TYPE_WINDOW (ml_window_get_type ())
G_DECLARE_FINAL_TYPE (MlWindow, ml_window, ML, WINDOW, AdwApplicationWindow)

/* @application may be NULL (tests). */
MlWindow       *ml_window_new               (GtkApplication *application);
/* Runs the lesson in @path off the main thread and shows it; emits
 * "lesson-loaded" or "lesson-failed" (const char *message) when done. */
void            ml_window_open_lesson       (MlWindow *self, const char *path);
/* Reads the pcap or pcapng file in @path off the main thread, with a
 * progress bar, and shows its trace in the same views (the topology and
 * mailboxes say a capture has none); emits "capture-loaded" or
 * "capture-failed" (const char *message). */
void            ml_window_open_capture      (MlWindow *self, const char *path);
/* The capture shown (borrowed), NULL when a lesson is. */
const char     *ml_window_get_capture_path  (MlWindow *self);
/* Back to the lesson list. */
void            ml_window_show_lessons      (MlWindow *self);

const MlLesson *ml_window_get_lesson        (MlWindow *self);   /* borrowed, may be NULL */
MlPlayer       *ml_window_get_player        (MlWindow *self);   /* borrowed */
MlLadderView   *ml_window_get_ladder        (MlWindow *self);   /* borrowed */
MlPacketView   *ml_window_get_packet_view   (MlWindow *self);   /* borrowed */
MlNoteView     *ml_window_get_note_view     (MlWindow *self);   /* borrowed */
MlLessonList   *ml_window_get_lesson_list   (MlWindow *self);   /* borrowed */
MlLessonPanel  *ml_window_get_lesson_panel  (MlWindow *self);   /* borrowed */
/* The lesson panel beside the views (F9); shown when a lesson opens. */
void            ml_window_set_lesson_panel_visible (MlWindow *self, gboolean visible);
gboolean        ml_window_get_lesson_panel_visible (MlWindow *self);
/* The big view above the detail panes: "ladder", "topology", "mailboxes",
 * "compare" or "console". FALSE for a name there is no view of. */
gboolean        ml_window_set_view          (MlWindow *self, const char *name);
const char     *ml_window_get_view          (MlWindow *self);
GtkWidget      *ml_window_get_view_widget   (MlWindow *self, const char *name); /* borrowed */
/* TRUE while a lesson runs or the page change is still animating: a
 * picture taken now would not show the lesson alone. */
gboolean        ml_window_is_busy           (MlWindow *self);
/* "step k / n" as shown in the header bar (borrowed). */
const char     *ml_window_get_step_text     (MlWindow *self);

G_END_DECLS

/* window-private.h — MlWindow's parts, shared by window.c and
 * window-actions.c. */
#pragma once

#include "window.h"
#include "mailbox-view.h"
#include "compare-chart.h"
#include "topology-view.h"
#include "lesson-panel.h"
#include "console-view.h"
#include "capture/capture-live.h"
#include "trace-follow.h"

G_BEGIN_DECLS

struct _MlWindow
{
  AdwApplicationWindow  parent_instance;

  /* template */
  AdwToastOverlay      *toasts;
  GtkWidget            *back_button;
  GtkWidget            *transport;
  GtkButton            *play_button;
  AdwWindowTitle       *window_title;
  GtkWidget            *lesson_controls;
  GtkLabel             *step_label;
  GtkToggleButton      *dialogue_toggle;
  GtkToggleButton      *packets_toggle;
  GtkAdjustment        *speed_adjustment;
  GtkLabel             *speed_label;
  GtkStack             *stack;
  MlLessonList         *lesson_list;
  GtkSpinner           *spinner;
  AdwStatusPage        *loading_page;
  GtkProgressBar       *progress;
  MlLadderView         *ladder;
  MlNoteView           *note;
  MlPacketView         *packet;
  AdwViewStack         *views;
  MlMailboxView        *mailbox_view;
  MlCompareChart       *compare_chart;
  MlTopologyView       *topology;
  AdwFlap              *lesson_flap;
  MlLessonPanel        *lesson_panel;
  MlConsoleView        *console;

  MlPlayer             *player;
  MlLesson             *lesson;
  char                 *capture_path; /* the capture shown, NULL for a lesson */
  char                 *pending_capture; /* the capture being read */
  MlExplainCatalog     *catalog;
  GCancellable         *loading;
  GtkFileChooserNative *chooser;

  /* Capture → Live… (live-capture.c) */
  GtkWidget            *live_stop;    /* template: the header's Stop button */
  MlCaptureLive        *live;         /* kept after Stop for its counts */
  MlTrace              *live_trace;
  char                 *live_device;
  guint64               live_seen;    /* trace length the player was given */
  guint                 live_refresh;
  gboolean              live_running;

  /* File → Attach to Server… (server-attach.c) */
  GtkWidget            *follow_toggle; /* template: shown while a trace grows */
  MlTraceFollow        *follow;
  guint                 follow_refresh;
};

/* What the Mailboxes view says for a capture, from a file or live. */
#define ML_WINDOW_CAPTURE_MAILBOXES \
  "A capture holds the frames, not the mail stores: what the mailboxes held is not in it."

/* Zoom steps of the ladder (Ctrl+plus / Ctrl+minus). */
#define ML_WINDOW_ZOOM_STEP 1.15

void _ml_window_class_init_actions (GtkWidgetClass *widget_class);
void _ml_window_init_shortcuts     (MlWindow *self);
void _ml_window_update_actions     (MlWindow *self);
/* The header's title for the lesson, capture or trace file shown. */
void _ml_window_show_title         (MlWindow *self);
/* Ends what was shown or running and shows the loading page (window.c). */
void _ml_window_begin_loading      (MlWindow *self, const char *title, gboolean progress);
/* Ends and forgets the live capture (live-capture.c). */
void _ml_window_live_clear         (MlWindow *self);

G_END_DECLS

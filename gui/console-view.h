/* console-view.h — "be the client": pick a server of the lesson, type
 * raw commands, see the replies here and on the ladder (the player is
 * switched to the console's trace), with the syntax checked as typed. */
#pragma once

#include <gtk/gtk.h>
#include "player.h"
#include "lesson/lesson.h"

G_BEGIN_DECLS

#define ML_TYPE_CONSOLE_VIEW (ml_console_view_get_type ())
G_DECLARE_FINAL_TYPE (MlConsoleView, ml_console_view, ML, CONSOLE_VIEW, GtkWidget)

GtkWidget  *ml_console_view_new        (void);
void        ml_console_view_set_player (MlConsoleView *self, MlPlayer *player);
/* The lesson whose world the console is typed into (borrowed: it must
 * outlive the view's use of it, or be replaced first). NULL: a capture,
 * no console. The world is built at the first Connect. */
void        ml_console_view_set_lesson (MlConsoleView *self, const MlLesson *lesson);

/* What the buttons and the entry do, for tests and shortcuts. */
guint       ml_console_view_get_n_targets (MlConsoleView *self);
const char *ml_console_view_get_target_label (MlConsoleView *self, guint i); /* borrowed */
gboolean    ml_console_view_connect    (MlConsoleView *self, guint target);
gboolean    ml_console_view_send       (MlConsoleView *self, const char *line);
/* The transcript shown (transfer full) and the hint under the entry
 * (borrowed, "" when the line looks right). */
char       *ml_console_view_dup_transcript (MlConsoleView *self);
const char *ml_console_view_get_hint   (MlConsoleView *self);
/* Sets the entry's text as typing would (the hint follows). */
void        ml_console_view_set_input  (MlConsoleView *self, const char *text);

G_END_DECLS

/* ladder-view.h — the sequence diagram of a trace: one lane per host,
 * time running downwards, each dialogue line an arrow between lanes.
 *
 * The widget is virtual: it keeps the player's compact row index and draws
 * only the rows in the viewport, so a million-event trace opens as fast as
 * a short one. Put it in a GtkScrolledWindow (it is a GtkScrollable).
 */
#pragma once

#include <gtk/gtk.h>
#include "player.h"

G_BEGIN_DECLS

#define ML_LADDER_MIN_ZOOM  0.5
#define ML_LADDER_MAX_ZOOM  3.0

#define ML_TYPE_LADDER_VIEW (ml_ladder_view_get_type ())
G_DECLARE_FINAL_TYPE (MlLadderView, ml_ladder_view, ML, LADDER_VIEW, GtkWidget)

GtkWidget  *ml_ladder_view_new            (void);
MlPlayer   *ml_ladder_view_get_player     (MlLadderView *self);  /* borrowed */
void        ml_ladder_view_set_player     (MlLadderView *self, MlPlayer *player);
double      ml_ladder_view_get_zoom       (MlLadderView *self);
void        ml_ladder_view_set_zoom       (MlLadderView *self, double zoom);

/* Lanes of the current mode, left to right. X is in widget coordinates
 * (valid once the widget has been allocated). */
guint       ml_ladder_view_get_n_lanes    (MlLadderView *self);
const char *ml_ladder_view_get_lane_name  (MlLadderView *self, guint lane);  /* borrowed */
double      ml_ladder_view_get_lane_x     (MlLadderView *self, guint lane);

/* Rows are the player's steps of the current mode. The highlighted row is
 * the player's step (−1 when there is none). */
guint64     ml_ladder_view_get_n_rows     (MlLadderView *self);
gint64      ml_ladder_view_get_highlighted_row (MlLadderView *self);
/* "hide-ahead": the rows after the player's step are left blank (all of
 * them before the first step), so the reply a student is asked to
 * predict is not on screen. Exports draw every row regardless. */
void        ml_ladder_view_set_hide_ahead (MlLadderView *self, gboolean hide);
gboolean    ml_ladder_view_get_hide_ahead (MlLadderView *self);
/* Whether @row is drawn now (FALSE for a row hidden ahead). */
gboolean    ml_ladder_view_is_row_shown   (MlLadderView *self, guint64 row);
/* The row under widget coordinate @y, or −1 (header, or below the end). */
gint64      ml_ladder_view_get_row_at_y   (MlLadderView *self, double y);
/* The top of @row in widget coordinates (may lie outside the widget). */
double      ml_ladder_view_get_row_y      (MlLadderView *self, guint64 row);
double      ml_ladder_view_get_row_height (MlLadderView *self);

/* For drawing the whole ladder (ladder-export): the width the lanes need
 * at least, the lane header's height and a row's height, in pixels. */
void        ml_ladder_view_get_page_metrics (MlLadderView *self, double *content_width,
                                             double *header_height, double *row_height);
/* Draws the header and the rows from @first_row on, as the widget would
 * scrolled there, onto a @width × @height page (not scrolled sideways). */
void        ml_ladder_view_snapshot_page  (MlLadderView *self, GtkSnapshot *snapshot,
                                           guint64 first_row, int width, int height);

G_END_DECLS

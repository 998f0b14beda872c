/* ladder-view-private.h — MlLadderView's parts, shared by ladder-view.c
 * (the widget and its player), ladder-view-layout.c (geometry) and
 * ladder-view-draw.c (drawing). */
#pragma once

#include "ladder-view.h"
#include "ladder-lanes.h"

G_BEGIN_DECLS

/* Colours come from the libadwaita stylesheet so light and dark both
 * follow the system; these are only used when a name is missing. */
typedef struct {
  GdkRGBA fg;
  GdkRGBA dim;
  GdkRGBA lane;
  GdkRGBA packet;
  GdkRGBA command;
  GdkRGBA reply;
  GdkRGBA warning;
  GdkRGBA error;
  GdkRGBA highlight;
  GdkRGBA accent;
  GdkRGBA label_bg;
  GdkRGBA header_bg;
  GdkRGBA border;
} Palette;

struct _MlLadderView
{
  GtkWidget      parent_instance;

  MlPlayer      *player;
  gulong         player_handlers[5];

  GtkAdjustment *hadjustment;
  GtkAdjustment *vadjustment;
  /* While a page is drawn for export: the scroll position it stands for. */
  gboolean       page_override;
  double         page_v;
  guint          hscroll_policy : 1;
  guint          vscroll_policy : 1;

  double         zoom;
  MlLadderLanes *lanes;          /* of the player's mode; NULL when stale */

  gboolean       metrics_valid;
  PangoFontDescription *font;    /* dialogue labels */
  PangoFontDescription *small_font;  /* frames, marks, times */
  PangoFontDescription *header_font;
  int            row_h;
  int            header_h;
  int            time_w;
  int            min_spacing;
  int            margin;

  gboolean       palette_valid;
  Palette        palette;

  double         spacing;        /* between lanes, from the allocation */
  double         content_w;
  gboolean       scroll_pending;
  gboolean       hide_ahead;     /* rows after the cursor left blank */
};

/* ladder-view-layout.c */
void                 _ml_ladder_view_clear_metrics         (MlLadderView *self);
void                 _ml_ladder_view_ensure_metrics        (MlLadderView *self);
const MlStepIndex   *_ml_ladder_view_current_index         (MlLadderView *self);
MlTrace             *_ml_ladder_view_current_trace         (MlLadderView *self);
MlLadderLanes       *_ml_ladder_view_ensure_lanes          (MlLadderView *self);
void                 _ml_ladder_view_layout_lanes          (MlLadderView *self, int width);
double               _ml_ladder_view_lane_content_x        (MlLadderView *self, guint lane);
double               _ml_ladder_view_hvalue                (MlLadderView *self);
double               _ml_ladder_view_vvalue                (MlLadderView *self);
void                 _ml_ladder_view_configure_adjustments (MlLadderView *self, int width, int height);
gboolean             _ml_ladder_view_current_row           (MlLadderView *self, guint64 *row_out);
void                 _ml_ladder_view_scroll_to_current     (MlLadderView *self);
void                 _ml_ladder_view_measure               (GtkWidget *widget, GtkOrientation orientation,
                                                            int for_size, int *minimum, int *natural,
                                                            int *minimum_baseline, int *natural_baseline);
void                 _ml_ladder_view_size_allocate         (GtkWidget *widget, int width, int height,
                                                            int baseline);

/* ladder-view-draw.c */
void                 _ml_ladder_view_ensure_palette        (MlLadderView *self);
void                 _ml_ladder_view_draw_content          (MlLadderView *self, GtkSnapshot *snapshot,
                                                            int width, int height);
void                 _ml_ladder_view_snapshot              (GtkWidget *widget, GtkSnapshot *snapshot);

G_END_DECLS

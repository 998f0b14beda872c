/* topology-view-private.h — MlTopologyView's parts, shared by
 * topology-view.c (time, the player, the host popover, the widget),
 * topology-view-geometry.c (where cards and links go) and
 * topology-view-draw.c (colours, frames in flight, drawing). */
#pragma once

#include "topology-view.h"
#include "topology-layout.h"

G_BEGIN_DECLS

/* Room around the picture, and the size of the type, relative to the
 * base font: the class reads this from the back of the room. */
#define ML_TOPOLOGY_MARGIN        24.0
#define ML_TOPOLOGY_NAME_SCALE    1.45
#define ML_TOPOLOGY_BADGE_SCALE   0.95
#define ML_TOPOLOGY_CARD_PAD      12.0
#define ML_TOPOLOGY_CARD_RADIUS   12.0
#define ML_TOPOLOGY_CARD_GAP      14.0
#define ML_TOPOLOGY_LABEL_OFFSET  24.0

typedef struct {
  double            x, y;
  MlTopologyDotKind kind;
  gboolean          dropped;
} Dot;

typedef struct {
  GdkRGBA fg, dim, line, card, card_border, accent, error, view_bg;
  GdkRGBA dot[ML_TOPOLOGY_N_DOT_KINDS];
} Palette;

struct _MlTopologyView
{
  GtkWidget         parent_instance;

  MlPlayer         *player;
  MlTopologyLayout *layout;

  guint64           shown_us;      /* the time drawn */
  guint64           target_us;     /* the cursor's time */
  guint64           glide_from_us;
  guint64           glide_to_us;
  gint64            glide_start;   /* frame time (µs) the glide began, 0 none */
  double            glide_rate;    /* virtual µs per real µs */
  guint             tick_id;

  guint             n_drawn;
  GtkWidget        *popover;
  GtkLabel         *popover_label;
  char             *popup_host;
  char             *popup_text;
  Palette           palette;
  gboolean          palette_valid;
  GArray           *cards;         /* graphene_rect_t per host, for cards_w × cards_h */
  double            text_scale;    /* < 1 when the cards would not fit side by side */
  int               cards_w, cards_h;
};

/* topology-view-geometry.c */
PangoLayout           *_ml_topology_view_make_layout      (MlTopologyView *self, const char *text,
                                                           double scale, gboolean bold);
void                   _ml_topology_view_host_centre      (MlTopologyView *self, const MlTopologyHost *h,
                                                           double *x, double *y);
char                  *_ml_topology_view_dup_badge_text   (const MlTopologyHost *h);
void                   _ml_topology_view_host_card        (MlTopologyView *self, guint i,
                                                           graphene_rect_t *rect,
                                                           PangoLayout **name_out,
                                                           PangoLayout **badge_out);
const graphene_rect_t *_ml_topology_view_card_rects       (MlTopologyView *self);
void                   _ml_topology_view_invalidate_cards (MlTopologyView *self);
double                 _ml_topology_view_edge_fraction    (const graphene_rect_t *r, double dx, double dy);

/* topology-view-draw.c */
void                   _ml_topology_view_snapshot         (GtkWidget *widget, GtkSnapshot *snapshot);

G_END_DECLS

/* topology-view-draw.c — MlTopologyView's colours, the frames in flight
 * at the time drawn, and the cairo drawing of links, host cards, dots and
 * the legend. */
#define G_LOG_DOMAIN "ml-topology"

#include <math.h>
#include <string.h>
#include "topology-view-private.h"
#include "frame-flight.h"

/* ---- colours ---------------------------------------------------------- */

static void
load_color (GtkStyleContext *context, const char *name, const char *fallback, GdkRGBA *out)
{
  if (!gtk_style_context_lookup_color (context, name, out))
    gdk_rgba_parse (out, fallback);
}

static GdkRGBA
with_alpha (const GdkRGBA *color, float alpha)
{
  GdkRGBA c = *color;

  c.alpha *= alpha;
  return c;
}

/* libadwaita's palette (blue_3, orange_3 …) for the protocols, the
 * style's named colours for the rest, so dark mode follows by itself. */
static void
ensure_palette (MlTopologyView *self)
{
  GtkStyleContext *context;
  Palette *p = &self->palette;

  if (self->palette_valid)
    return;
  context = gtk_widget_get_style_context (GTK_WIDGET (self));
  gtk_style_context_get_color (context, &p->fg);
  load_color (context, "view_bg_color", "#ffffff", &p->view_bg);
  load_color (context, "card_bg_color", "#ffffff", &p->card);
  load_color (context, "accent_color", "#1c71d8", &p->accent);
  load_color (context, "error_color", "#c01c28", &p->error);
  load_color (context, "blue_3", "#3584e4", &p->dot[ML_TOPOLOGY_DOT_SMTP]);
  load_color (context, "orange_3", "#ff7800", &p->dot[ML_TOPOLOGY_DOT_POP3]);
  /* The same colours as the Compare chart's lines. */
  load_color (context, "green_4", "#2ec27e", &p->dot[ML_TOPOLOGY_DOT_IMAP]);
  load_color (context, "yellow_5", "#e5a50a", &p->dot[ML_TOPOLOGY_DOT_DNS]);
  load_color (context, "purple_2", "#c061cb", &p->dot[ML_TOPOLOGY_DOT_OTHER]);
  p->dot[ML_TOPOLOGY_DOT_TCP] = with_alpha (&p->fg, 0.45f);
  p->dim = with_alpha (&p->fg, 0.65f);
  p->line = with_alpha (&p->fg, 0.30f);
  p->card_border = with_alpha (&p->fg, 0.18f);
  self->palette_valid = TRUE;
}

/* ---- frames in flight ------------------------------------------------- */

typedef void (*DotFunc) (MlTopologyView *self, const Dot *dot, gpointer user_data);

typedef struct {
  MlTopologyView *self;
  DotFunc         func;
  gpointer        user_data;
} DotWalk;

/* A frame's place on the picture: from the edge of one card to the edge
 * of the other (a dot on a card would hide the host's name), each
 * direction on its own side of the line so a command and its reply on
 * one link never hide each other. */
static void
place_dot (const MlFrameFlight *flight, gpointer user_data)
{
  DotWalk *walk = user_data;
  MlTopologyView *self = walk->self;
  const graphene_rect_t *cards = _ml_topology_view_card_rects (self);
  double fx, fy, tx, ty, dx, dy, len, start, end, progress;
  Dot dot;

  _ml_topology_view_host_centre (self, g_ptr_array_index (self->layout->hosts, flight->from), &fx, &fy);
  _ml_topology_view_host_centre (self, g_ptr_array_index (self->layout->hosts, flight->to), &tx, &ty);
  dx = tx - fx;
  dy = ty - fy;
  len = MAX (hypot (dx, dy), 1.0);
  start = _ml_topology_view_edge_fraction (&cards[flight->from], dx, dy);
  end = 1.0 - _ml_topology_view_edge_fraction (&cards[flight->to], dx, dy);
  progress = start + (end - start) * flight->progress;
  dot.x = fx + dx * progress - dy / len * 7.0;
  dot.y = fy + dy * progress + dx / len * 7.0;
  dot.kind = flight->kind;
  dot.dropped = flight->event->dropped;
  if (walk->func)
    walk->func (self, &dot, walk->user_data);
}

/* Calls @func for each frame in flight at @time_us; returns how many. */
static guint
for_each_in_flight (MlTopologyView *self, guint64 time_us, DotFunc func, gpointer user_data)
{
  DotWalk walk = { self, func, user_data };

  return ml_frame_flight_foreach (self->player ? ml_player_get_trace (self->player) : NULL,
                                  self->layout, time_us, func ? place_dot : NULL, &walk);
}

static void
count_dot (const MlFrameFlight *flight, gpointer user_data)
{
  guint *counts = user_data;

  counts[flight->kind]++;
}

guint
ml_topology_view_count_in_flight (MlTopologyView *self, guint64 time_us, guint *counts)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), 0);

  if (counts)
    memset (counts, 0, sizeof (guint) * ML_TOPOLOGY_N_DOT_KINDS);
  return ml_frame_flight_foreach (self->player ? ml_player_get_trace (self->player) : NULL,
                                  self->layout, time_us, counts ? count_dot : NULL, counts);
}

/* ---- drawing ---------------------------------------------------------- */

static void
set_source (cairo_t *cr, const GdkRGBA *c)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha);
}

static void
rounded_rect (cairo_t *cr, double x, double y, double w, double h, double r)
{
  r = MIN (r, MIN (w, h) / 2);
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
draw_label_pill (MlTopologyView *self, cairo_t *cr, const char *text, double x, double y)
{
  g_autoptr(PangoLayout) layout = _ml_topology_view_make_layout (self, text, 1.0, TRUE);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  rounded_rect (cr, x - w / 2.0 - 6, y - h / 2.0 - 2, w + 12, h + 4, (h + 4) / 2.0);
  set_source (cr, &self->palette.view_bg);
  cairo_fill_preserve (cr);
  set_source (cr, &self->palette.card_border);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  set_source (cr, &self->palette.dim);
  cairo_move_to (cr, x - w / 2.0, y - h / 2.0);
  pango_cairo_show_layout (cr, layout);
}

static void
draw_links (MlTopologyView *self, cairo_t *cr)
{
  for (guint i = 0; i < self->layout->links->len; i++)
    {
      const MlTopologyLink *l = g_ptr_array_index (self->layout->links, i);
      double ax, ay, bx, by;

      _ml_topology_view_host_centre (self, g_ptr_array_index (self->layout->hosts, l->a), &ax, &ay);
      _ml_topology_view_host_centre (self, g_ptr_array_index (self->layout->hosts, l->b), &bx, &by);
      cairo_set_line_width (cr, 4);
      set_source (cr, l->up ? &self->palette.line : &self->palette.error);
      if (!l->up)
        cairo_set_dash (cr, (double[]) { 10, 8 }, 2, 0);
      cairo_move_to (cr, ax, ay);
      cairo_line_to (cr, bx, by);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
    }
  /* Labels last, over every line. */
  for (guint i = 0; i < self->layout->links->len; i++)
    {
      const MlTopologyLink *l = g_ptr_array_index (self->layout->links, i);
      g_autofree char *text = NULL;
      double ax, ay, bx, by;

      _ml_topology_view_host_centre (self, g_ptr_array_index (self->layout->hosts, l->a), &ax, &ay);
      _ml_topology_view_host_centre (self, g_ptr_array_index (self->layout->hosts, l->b), &bx, &by);
      if (l->latency_us % 1000 == 0)
        text = g_strdup_printf ("%s%" G_GUINT64_FORMAT " ms", l->up ? "" : "down · ", l->latency_us / 1000);
      else
        text = g_strdup_printf ("%s%.3g ms", l->up ? "" : "down · ", l->latency_us / 1000.0);
      /* Beside the line, not on it, so no dot passing by hides it: on
       * the side of the normal that points up (right for a vertical). */
      {
        double dx = bx - ax, dy = by - ay, len = MAX (hypot (dx, dy), 1.0);
        double nx = -dy / len, ny = dx / len;

        if (ny > 0 || (fabs (ny) < 1e-6 && nx < 0))
          {
            nx = -nx;
            ny = -ny;
          }
        draw_label_pill (self, cr, text, ax + dx * 0.5 + nx * ML_TOPOLOGY_LABEL_OFFSET,
                         ay + dy * 0.5 + ny * ML_TOPOLOGY_LABEL_OFFSET);
      }
    }
}

static gboolean
host_is_busy (MlTopologyView *self, const char *name)
{
  const MlTraceEvent *e = self->player ? ml_player_get_event (self->player) : NULL;

  return e != NULL && (g_strcmp0 (e->host, name) == 0 || g_strcmp0 (e->peer, name) == 0);
}

static void
draw_hosts (MlTopologyView *self, cairo_t *cr)
{
  /* Fixes the type's scale for this size. */
  _ml_topology_view_card_rects (self);
  for (guint i = 0; i < self->layout->hosts->len; i++)
    {
      const MlTopologyHost *h = g_ptr_array_index (self->layout->hosts, i);
      g_autoptr(PangoLayout) name = NULL;
      g_autoptr(PangoLayout) badge = NULL;
      graphene_rect_t r;
      gboolean busy = host_is_busy (self, h->name);
      int nw, nh, bw, bh;

      _ml_topology_view_host_card (self, i, &r, &name, &badge);
      pango_layout_get_pixel_size (name, &nw, &nh);
      pango_layout_get_pixel_size (badge, &bw, &bh);
      rounded_rect (cr, r.origin.x, r.origin.y, r.size.width, r.size.height, ML_TOPOLOGY_CARD_RADIUS);
      /* The dark style's card colour is translucent: lay it on the view's
       * background so the links do not show through. */
      set_source (cr, &self->palette.view_bg);
      cairo_fill_preserve (cr);
      set_source (cr, &self->palette.card);
      cairo_fill_preserve (cr);
      /* The hosts of the event under the cursor wear the accent. */
      cairo_set_line_width (cr, busy ? 3.5 : 1.5);
      set_source (cr, busy ? &self->palette.accent : &self->palette.card_border);
      cairo_stroke (cr);
      set_source (cr, &self->palette.fg);
      cairo_move_to (cr, r.origin.x + (r.size.width - nw) / 2, r.origin.y + ML_TOPOLOGY_CARD_PAD);
      pango_cairo_show_layout (cr, name);
      set_source (cr, &self->palette.dim);
      cairo_move_to (cr, r.origin.x + (r.size.width - bw) / 2, r.origin.y + ML_TOPOLOGY_CARD_PAD + nh + 2);
      pango_cairo_show_layout (cr, badge);
    }
}

static void
paint_dot (MlTopologyView *self, const Dot *dot, gpointer user_data)
{
  cairo_t *cr = user_data;
  double r = 9.0;

  cairo_arc (cr, dot->x, dot->y, r + 2.5, 0, 2 * G_PI);
  set_source (cr, &self->palette.view_bg);
  cairo_fill (cr);
  cairo_arc (cr, dot->x, dot->y, r, 0, 2 * G_PI);
  set_source (cr, &self->palette.dot[dot->kind]);
  cairo_fill (cr);
  if (dot->dropped)
    {
      set_source (cr, &self->palette.error);
      cairo_set_line_width (cr, 3.5);
      cairo_move_to (cr, dot->x - r, dot->y - r);
      cairo_line_to (cr, dot->x + r, dot->y + r);
      cairo_move_to (cr, dot->x + r, dot->y - r);
      cairo_line_to (cr, dot->x - r, dot->y + r);
      cairo_stroke (cr);
    }
  self->n_drawn++;
}

static void
draw_legend (MlTopologyView *self, cairo_t *cr, double height)
{
  static const MlTopologyDotKind shown[] = {
    ML_TOPOLOGY_DOT_SMTP, ML_TOPOLOGY_DOT_POP3, ML_TOPOLOGY_DOT_IMAP,
    ML_TOPOLOGY_DOT_DNS, ML_TOPOLOGY_DOT_TCP,
  };
  double x = ML_TOPOLOGY_MARGIN;
  g_autofree char *clock = g_strdup_printf ("t = %.3f s", self->shown_us / 1e6);
  g_autoptr(PangoLayout) time_layout = _ml_topology_view_make_layout (self, clock, 1.2, TRUE);
  int tw, th;

  for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
    {
      g_autoptr(PangoLayout) layout = _ml_topology_view_make_layout (self, ml_frame_flight_kind_name (shown[i]), 1.0, FALSE);
      int w, h;

      pango_layout_get_pixel_size (layout, &w, &h);
      cairo_arc (cr, x + 7, height - ML_TOPOLOGY_MARGIN - h / 2.0, 7, 0, 2 * G_PI);
      set_source (cr, &self->palette.dot[shown[i]]);
      cairo_fill (cr);
      set_source (cr, &self->palette.dim);
      cairo_move_to (cr, x + 20, height - ML_TOPOLOGY_MARGIN - h);
      pango_cairo_show_layout (cr, layout);
      x += 20 + w + 24;
    }
  /* The virtual clock, so the class sees time pass while dots move. */
  pango_layout_get_pixel_size (time_layout, &tw, &th);
  set_source (cr, &self->palette.fg);
  cairo_move_to (cr, gtk_widget_get_width (GTK_WIDGET (self)) - ML_TOPOLOGY_MARGIN - tw, height - ML_TOPOLOGY_MARGIN - th);
  pango_cairo_show_layout (cr, time_layout);
}

static void
draw_message (MlTopologyView *self, cairo_t *cr, double w, double h, const char *text)
{
  g_autoptr(PangoLayout) layout = _ml_topology_view_make_layout (self, text, 1.3, FALSE);
  int tw, th;

  pango_layout_set_width (layout, (int) (MAX (w - 4 * ML_TOPOLOGY_MARGIN, 100) * PANGO_SCALE));
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_get_pixel_size (layout, &tw, &th);
  set_source (cr, &self->palette.dim);
  cairo_move_to (cr, (w - tw) / 2, (h - th) / 2);
  pango_cairo_show_layout (cr, layout);
}

void
ml_topology_view_render (MlTopologyView *self, cairo_t *cr)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));

  g_return_if_fail (ML_IS_TOPOLOGY_VIEW (self));
  g_return_if_fail (cr != NULL);

  self->n_drawn = 0;
  if (w <= 0 || h <= 0)
    return;
  ensure_palette (self);
  if (self->layout == NULL)
    {
      draw_message (self, cr, w, h,
                    "No topology for a capture: a capture file records frames, not the network\n"
                    "they crossed. The ladder, the packets and the transcript show what it holds.");
      return;
    }
  draw_links (self, cr);
  draw_hosts (self, cr);
  for_each_in_flight (self, self->shown_us, paint_dot, cr);
  draw_legend (self, cr, h);
}

void
_ml_topology_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (w <= 0 || h <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, (float) w, (float) h));
  ml_topology_view_render (ML_TOPOLOGY_VIEW (widget), cr);
  cairo_destroy (cr);
}

/* topology-view.c — hosts, links and frames in flight, drawn with cairo.
 *
 * The time drawn follows the player: at rest it is the time of the event
 * under the cursor; while playing it runs on from there at the player's
 * speed towards the next step, so the dots move between steps the way
 * the frames did in the simulation; a manual step forward glides there.
 * A frame is in flight on its link from the moment it went on the wire
 * (its FRAME event's time) until its last bit arrives: serialisation at
 * the link's bandwidth plus the link's latency, as sim/net computes it.
 */
#define G_LOG_DOMAIN "ml-topology"

#include <math.h>
#include <string.h>
#include "topology-view.h"
#include "topology-layout.h"
#include "host-state.h"
#include "frame-flight.h"

/* Room around the picture, and the size of the type, relative to the
 * base font: the class reads this from the back of the room. */
#define MARGIN        24.0
#define NAME_SCALE    1.45
#define BADGE_SCALE   0.95
#define CARD_PAD      12.0
#define CARD_RADIUS   12.0
#define CARD_GAP      14.0
#define LABEL_OFFSET  24.0

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

G_DEFINE_FINAL_TYPE (MlTopologyView, ml_topology_view, GTK_TYPE_WIDGET)

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

/* ---- geometry --------------------------------------------------------- */

static PangoLayout *
make_layout (MlTopologyView *self, const char *text, double scale, gboolean bold)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  const PangoFontDescription *base = pango_context_get_font_description (pango_layout_get_context (layout));
  PangoFontDescription *font = pango_font_description_copy (base);
  int size = pango_font_description_get_size (font);

  if (size <= 0)
    size = 11 * PANGO_SCALE;
  pango_font_description_set_size (font, (int) (size * scale));
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  return layout;
}

static void
host_centre (MlTopologyView *self, const MlTopologyHost *h, double *x, double *y)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double ht = gtk_widget_get_height (GTK_WIDGET (self));

  *x = MARGIN + h->x * MAX (w - 2 * MARGIN, 1);
  *y = MARGIN + h->y * MAX (ht - 2 * MARGIN, 1);
}

static char *
dup_badge_text (const MlTopologyHost *h)
{
  g_autofree char *roles = ml_roles_dup_string (h->roles);

  return g_strdup_printf ("%s · %u.%u.%u.%u", roles, (h->ipv4 >> 24) & 0xff,
                          (h->ipv4 >> 16) & 0xff, (h->ipv4 >> 8) & 0xff, h->ipv4 & 0xff);
}

static void
host_card (MlTopologyView *self, guint i, graphene_rect_t *rect,
           PangoLayout **name_out, PangoLayout **badge_out)
{
  const MlTopologyHost *h = g_ptr_array_index (self->layout->hosts, i);
  g_autofree char *badge_text = dup_badge_text (h);
  PangoLayout *name = make_layout (self, h->name, NAME_SCALE * self->text_scale, TRUE);
  PangoLayout *badge = make_layout (self, badge_text, BADGE_SCALE * self->text_scale, FALSE);
  int nw, nh, bw, bh;
  double cx, cy, w, ht;

  pango_layout_get_pixel_size (name, &nw, &nh);
  pango_layout_get_pixel_size (badge, &bw, &bh);
  w = MAX (nw, bw) + 2 * CARD_PAD;
  ht = nh + bh + 2 * CARD_PAD + 2;
  host_centre (self, h, &cx, &cy);
  graphene_rect_init (rect, (float) (cx - w / 2), (float) (cy - ht / 2), (float) w, (float) ht);
  if (name_out)
    *name_out = name;
  else
    g_object_unref (name);
  if (badge_out)
    *badge_out = badge;
  else
    g_object_unref (badge);
}

/* The cards' rectangles for the current size (borrowed): a dot's path and
 * a click both need them, and measuring text for each would be slow. */
static const graphene_rect_t *
card_rects (MlTopologyView *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));

  if (self->cards->len != self->layout->hosts->len || w != self->cards_w || h != self->cards_h)
    {
      guint n = self->layout->hosts->len;
      double fit = 1.0, span = MAX (w - 2 * MARGIN, 1);

      g_array_set_size (self->cards, n);
      /* Measured at full size first; when two cards of one row would
       * touch, every card's type shrinks alike (never below
       * ML_TOPOLOGY_MIN_TEXT_SCALE) so a narrow window still shows all. */
      self->text_scale = 1.0;
      for (guint i = 0; i < n; i++)
        host_card (self, i, &g_array_index (self->cards, graphene_rect_t, i), NULL, NULL);
      for (guint i = 0; i < n; i++)
        for (guint j = i + 1; j < n; j++)
          {
            const MlTopologyHost *a = g_ptr_array_index (self->layout->hosts, i);
            const MlTopologyHost *b = g_ptr_array_index (self->layout->hosts, j);
            double need = (g_array_index (self->cards, graphene_rect_t, i).size.width
                           + g_array_index (self->cards, graphene_rect_t, j).size.width) / 2 + CARD_GAP;

            if (a->y == b->y)
              fit = MIN (fit, fabs (a->x - b->x) * span / need);
          }
      if (fit < 1.0)
        {
          self->text_scale = MAX (fit, ML_TOPOLOGY_MIN_TEXT_SCALE);
          for (guint i = 0; i < n; i++)
            host_card (self, i, &g_array_index (self->cards, graphene_rect_t, i), NULL, NULL);
        }
      self->cards_w = w;
      self->cards_h = h;
    }
  return (const graphene_rect_t *) (gpointer) self->cards->data;
}

static void
invalidate_cards (MlTopologyView *self)
{
  g_array_set_size (self->cards, 0);
}

/* How far along @dx, @dy (a fraction of it) the centre of @r is from its
 * edge: where a link leaves the card. */
static double
edge_fraction (const graphene_rect_t *r, double dx, double dy)
{
  double fx = fabs (dx) > 1e-6 ? (r->size.width / 2.0) / fabs (dx) : G_MAXDOUBLE;
  double fy = fabs (dy) > 1e-6 ? (r->size.height / 2.0) / fabs (dy) : G_MAXDOUBLE;

  return MIN (MIN (fx, fy), 0.45);
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
  const graphene_rect_t *cards = card_rects (self);
  double fx, fy, tx, ty, dx, dy, len, start, end, progress;
  Dot dot;

  host_centre (self, g_ptr_array_index (self->layout->hosts, flight->from), &fx, &fy);
  host_centre (self, g_ptr_array_index (self->layout->hosts, flight->to), &tx, &ty);
  dx = tx - fx;
  dy = ty - fy;
  len = MAX (hypot (dx, dy), 1.0);
  start = edge_fraction (&cards[flight->from], dx, dy);
  end = 1.0 - edge_fraction (&cards[flight->to], dx, dy);
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
  g_autoptr(PangoLayout) layout = make_layout (self, text, 1.0, TRUE);
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

      host_centre (self, g_ptr_array_index (self->layout->hosts, l->a), &ax, &ay);
      host_centre (self, g_ptr_array_index (self->layout->hosts, l->b), &bx, &by);
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

      host_centre (self, g_ptr_array_index (self->layout->hosts, l->a), &ax, &ay);
      host_centre (self, g_ptr_array_index (self->layout->hosts, l->b), &bx, &by);
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
        draw_label_pill (self, cr, text, ax + dx * 0.5 + nx * LABEL_OFFSET,
                         ay + dy * 0.5 + ny * LABEL_OFFSET);
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
  card_rects (self);
  for (guint i = 0; i < self->layout->hosts->len; i++)
    {
      const MlTopologyHost *h = g_ptr_array_index (self->layout->hosts, i);
      g_autoptr(PangoLayout) name = NULL;
      g_autoptr(PangoLayout) badge = NULL;
      graphene_rect_t r;
      gboolean busy = host_is_busy (self, h->name);
      int nw, nh, bw, bh;

      host_card (self, i, &r, &name, &badge);
      pango_layout_get_pixel_size (name, &nw, &nh);
      pango_layout_get_pixel_size (badge, &bw, &bh);
      rounded_rect (cr, r.origin.x, r.origin.y, r.size.width, r.size.height, CARD_RADIUS);
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
      cairo_move_to (cr, r.origin.x + (r.size.width - nw) / 2, r.origin.y + CARD_PAD);
      pango_cairo_show_layout (cr, name);
      set_source (cr, &self->palette.dim);
      cairo_move_to (cr, r.origin.x + (r.size.width - bw) / 2, r.origin.y + CARD_PAD + nh + 2);
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
  double x = MARGIN;
  g_autofree char *clock = g_strdup_printf ("t = %.3f s", self->shown_us / 1e6);
  g_autoptr(PangoLayout) time_layout = make_layout (self, clock, 1.2, TRUE);
  int tw, th;

  for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
    {
      g_autoptr(PangoLayout) layout = make_layout (self, ml_frame_flight_kind_name (shown[i]), 1.0, FALSE);
      int w, h;

      pango_layout_get_pixel_size (layout, &w, &h);
      cairo_arc (cr, x + 7, height - MARGIN - h / 2.0, 7, 0, 2 * G_PI);
      set_source (cr, &self->palette.dot[shown[i]]);
      cairo_fill (cr);
      set_source (cr, &self->palette.dim);
      cairo_move_to (cr, x + 20, height - MARGIN - h);
      pango_cairo_show_layout (cr, layout);
      x += 20 + w + 24;
    }
  /* The virtual clock, so the class sees time pass while dots move. */
  pango_layout_get_pixel_size (time_layout, &tw, &th);
  set_source (cr, &self->palette.fg);
  cairo_move_to (cr, gtk_widget_get_width (GTK_WIDGET (self)) - MARGIN - tw, height - MARGIN - th);
  pango_cairo_show_layout (cr, time_layout);
}

static void
draw_message (MlTopologyView *self, cairo_t *cr, double w, double h, const char *text)
{
  g_autoptr(PangoLayout) layout = make_layout (self, text, 1.3, FALSE);
  int tw, th;

  pango_layout_set_width (layout, (int) (MAX (w - 4 * MARGIN, 100) * PANGO_SCALE));
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

static void
ml_topology_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (w <= 0 || h <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, (float) w, (float) h));
  ml_topology_view_render (ML_TOPOLOGY_VIEW (widget), cr);
  cairo_destroy (cr);
}

/* ---- time ------------------------------------------------------------- */

static guint64
cursor_time (MlTopologyView *self)
{
  const MlTraceEvent *e = self->player ? ml_player_get_event (self->player) : NULL;

  return e ? e->time_us : 0;
}

/* The time of the step after the cursor's, or the cursor's own. */
static guint64
next_step_time (MlTopologyView *self)
{
  const MlStepIndex *index = ml_player_get_step_index (self->player);
  MlTrace *trace = ml_player_get_trace (self->player);
  guint64 row;

  if (trace == NULL || index == NULL
      || !ml_step_index_find_row (index, ml_player_get_position (self->player), &row)
      || row + 1 >= ml_step_index_get_n_rows (index))
    return cursor_time (self);
  return MAX (ml_trace_get_event (trace, ml_step_index_get_event (index, row + 1))->time_us,
              cursor_time (self));
}

static void
stop_glide (MlTopologyView *self)
{
  if (self->tick_id)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
  self->tick_id = 0;
  self->glide_start = 0;
}

static gboolean
glide_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  MlTopologyView *self = ML_TOPOLOGY_VIEW (widget);
  gint64 now = gdk_frame_clock_get_frame_time (clock);
  double t;

  if (self->glide_start == 0)
    self->glide_start = now;
  t = (double) self->glide_from_us + (double) (now - self->glide_start) * self->glide_rate;
  if (t >= (double) self->glide_to_us)
    {
      self->shown_us = self->glide_to_us;
      self->tick_id = 0;
      self->glide_start = 0;
      gtk_widget_queue_draw (widget);
      return G_SOURCE_REMOVE;
    }
  self->shown_us = (guint64) t;
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static gboolean
animations_enabled (MlTopologyView *self)
{
  gboolean enabled = TRUE;

  g_object_get (gtk_widget_get_settings (GTK_WIDGET (self)), "gtk-enable-animations", &enabled, NULL);
  return enabled && gtk_widget_get_mapped (GTK_WIDGET (self));
}

static void
glide (MlTopologyView *self, guint64 from_us, guint64 to_us, double rate)
{
  stop_glide (self);
  self->shown_us = from_us;
  if (to_us <= from_us || rate <= 0 || !animations_enabled (self))
    {
      self->shown_us = to_us;
      return;
    }
  self->glide_from_us = from_us;
  self->glide_to_us = to_us;
  self->glide_rate = rate;
  self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), glide_tick, NULL, NULL);
}

static void update_popup (MlTopologyView *self);

static void
on_position_changed (MlTopologyView *self)
{
  guint64 before = self->shown_us;

  self->target_us = cursor_time (self);
  if (self->player && ml_player_get_playing (self->player))
    /* Run on from the step at the player's speed towards the next one:
     * the player moves there when its dwell is up. */
    glide (self, self->target_us, next_step_time (self),
           ml_player_get_speed (self->player));
  else if (self->target_us > before && self->target_us - before <= ML_TOPOLOGY_GLIDE_MAX_US)
    glide (self, before, self->target_us,
           (double) (self->target_us - before) / (ML_TOPOLOGY_GLIDE_MS * 1000.0));
  else
    glide (self, self->target_us, self->target_us, 0);
  update_popup (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_trace_changed (MlTopologyView *self)
{
  stop_glide (self);
  self->target_us = self->shown_us = cursor_time (self);
  if (self->popover)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ml_topology_view_settle (MlTopologyView *self)
{
  g_return_if_fail (ML_IS_TOPOLOGY_VIEW (self));

  stop_glide (self);
  self->target_us = self->shown_us = cursor_time (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint64
ml_topology_view_get_time (MlTopologyView *self)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), 0);
  return self->shown_us;
}

guint
ml_topology_view_get_n_drawn (MlTopologyView *self)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), 0);
  return self->n_drawn;
}

/* ---- hosts and the popover -------------------------------------------- */

guint
ml_topology_view_get_n_hosts (MlTopologyView *self)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), 0);
  return self->layout ? self->layout->hosts->len : 0;
}

const char *
ml_topology_view_get_host_name (MlTopologyView *self, guint i)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), NULL);
  if (self->layout == NULL || i >= self->layout->hosts->len)
    return NULL;
  return ((MlTopologyHost *) g_ptr_array_index (self->layout->hosts, i))->name;
}

gboolean
ml_topology_view_get_host_rect (MlTopologyView *self, guint i, graphene_rect_t *rect)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), FALSE);
  g_return_val_if_fail (rect != NULL, FALSE);

  if (self->layout == NULL || i >= self->layout->hosts->len)
    return FALSE;
  *rect = card_rects (self)[i];
  return TRUE;
}

int
ml_topology_view_get_host_at (MlTopologyView *self, double x, double y)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), -1);

  for (guint i = 0; self->layout && i < self->layout->hosts->len; i++)
    {
      if (graphene_rect_contains_point (&card_rects (self)[i], &GRAPHENE_POINT_INIT ((float) x, (float) y)))
        return (int) i;
    }
  return -1;
}

char *
ml_topology_view_dup_host_text (MlTopologyView *self, const char *host)
{
  MlTrace *trace;
  int i;
  const MlTopologyHost *h;
  g_autofree char *badge = NULL;
  g_autofree char *header = NULL;
  g_autoptr(MlHostState) state = NULL;
  guint links = 0;

  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), NULL);

  if (self->layout == NULL || (i = ml_topology_layout_find_host (self->layout, host)) < 0)
    return NULL;
  h = g_ptr_array_index (self->layout->hosts, i);
  for (guint k = 0; k < self->layout->links->len; k++)
    {
      const MlTopologyLink *l = g_ptr_array_index (self->layout->links, k);

      links += l->a == (guint) i || l->b == (guint) i;
    }
  badge = dup_badge_text (h);
  header = g_strdup_printf ("%s\n%s · %u link%s", h->name, badge, links, links == 1 ? "" : "s");
  trace = self->player ? ml_player_get_trace (self->player) : NULL;
  if (trace == NULL)
    return g_steal_pointer (&header);
  state = ml_host_state_new (trace, host, ml_player_get_position (self->player));
  return ml_host_state_dup_text (state, header);
}

static void
update_popup (MlTopologyView *self)
{
  if (self->popup_host == NULL || self->popover == NULL
      || !gtk_widget_get_visible (self->popover))
    return;
  g_free (self->popup_text);
  self->popup_text = ml_topology_view_dup_host_text (self, self->popup_host);
  gtk_label_set_text (self->popover_label, self->popup_text ? self->popup_text : "");
}

static void
on_popover_closed (MlTopologyView *self)
{
  g_clear_pointer (&self->popup_host, g_free);
  g_clear_pointer (&self->popup_text, g_free);
}

gboolean
ml_topology_view_show_host (MlTopologyView *self, const char *host)
{
  int i;
  graphene_rect_t r;

  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), FALSE);

  if (self->layout == NULL || (i = ml_topology_layout_find_host (self->layout, host)) < 0)
    return FALSE;
  r = card_rects (self)[i];
  g_free (self->popup_host);
  self->popup_host = g_strdup (host);
  g_free (self->popup_text);
  self->popup_text = ml_topology_view_dup_host_text (self, host);
  gtk_label_set_text (self->popover_label, self->popup_text ? self->popup_text : "");
  gtk_popover_set_pointing_to (GTK_POPOVER (self->popover),
                               &(GdkRectangle) { (int) r.origin.x, (int) r.origin.y,
                                                 (int) r.size.width, (int) r.size.height });
  gtk_popover_popup (GTK_POPOVER (self->popover));
  return TRUE;
}

const char *
ml_topology_view_get_popup_text (MlTopologyView *self)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), NULL);
  return self->popup_host ? self->popup_text : NULL;
}

static void
on_pressed (GtkGestureClick *gesture, int n_press, double x, double y, MlTopologyView *self)
{
  int i = ml_topology_view_get_host_at (self, x, y);

  if (i >= 0)
    ml_topology_view_show_host (self, ml_topology_view_get_host_name (self, (guint) i));
}

/* ---- plumbing --------------------------------------------------------- */

void
ml_topology_view_set_player (MlTopologyView *self, MlPlayer *player)
{
  g_return_if_fail (ML_IS_TOPOLOGY_VIEW (self));

  if (self->player)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_set_object (&self->player, player);
  if (player)
    {
      g_signal_connect_swapped (player, "notify::position", G_CALLBACK (on_position_changed), self);
      g_signal_connect_swapped (player, "notify::trace", G_CALLBACK (on_trace_changed), self);
      g_signal_connect_swapped (player, "notify::playing", G_CALLBACK (on_position_changed), self);
      g_signal_connect_swapped (player, "notify::speed", G_CALLBACK (on_position_changed), self);
    }
  on_trace_changed (self);
}

void
ml_topology_view_set_lesson (MlTopologyView *self, const MlLesson *lesson)
{
  g_return_if_fail (ML_IS_TOPOLOGY_VIEW (self));

  g_clear_pointer (&self->layout, ml_topology_layout_free);
  if (lesson)
    self->layout = ml_topology_layout_new (lesson);
  invalidate_cards (self);
  if (self->popover)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
ml_topology_view_has_topology (MlTopologyView *self)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), FALSE);
  return self->layout != NULL;
}

GtkWidget *
ml_topology_view_new (void)
{
  return g_object_new (ML_TYPE_TOPOLOGY_VIEW, NULL);
}

static void
ml_topology_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                          int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 480 : 300;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 1000 : 520;
}

static void
ml_topology_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  MlTopologyView *self = ML_TOPOLOGY_VIEW (widget);

  if (self->popover)
    gtk_popover_present (GTK_POPOVER (self->popover));
}

static void
ml_topology_view_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  MlTopologyView *self = ML_TOPOLOGY_VIEW (widget);

  GTK_WIDGET_CLASS (ml_topology_view_parent_class)->css_changed (widget, change);
  /* Dark mode and the accent colour arrive this way. */
  self->palette_valid = FALSE;
  invalidate_cards (self);
  gtk_widget_queue_draw (widget);
}

static void
ml_topology_view_dispose (GObject *object)
{
  MlTopologyView *self = ML_TOPOLOGY_VIEW (object);

  stop_glide (self);
  if (self->player)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_clear_object (&self->player);
  g_clear_pointer (&self->popover, gtk_widget_unparent);
  G_OBJECT_CLASS (ml_topology_view_parent_class)->dispose (object);
}

static void
ml_topology_view_finalize (GObject *object)
{
  MlTopologyView *self = ML_TOPOLOGY_VIEW (object);

  g_clear_pointer (&self->layout, ml_topology_layout_free);
  g_array_unref (self->cards);
  g_free (self->popup_host);
  g_free (self->popup_text);
  G_OBJECT_CLASS (ml_topology_view_parent_class)->finalize (object);
}

static void
ml_topology_view_class_init (MlTopologyViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_topology_view_dispose;
  object_class->finalize = ml_topology_view_finalize;
  widget_class->snapshot = ml_topology_view_snapshot;
  widget_class->measure = ml_topology_view_measure;
  widget_class->size_allocate = ml_topology_view_size_allocate;
  widget_class->css_changed = ml_topology_view_css_changed;
  gtk_widget_class_set_css_name (widget_class, "topologyview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ml_topology_view_init (MlTopologyView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkWidget *label = gtk_label_new ("");

  self->cards = g_array_new (FALSE, TRUE, sizeof (graphene_rect_t));
  self->text_scale = 1.0;
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  self->popover = gtk_popover_new ();
  self->popover_label = GTK_LABEL (label);
  gtk_label_set_xalign (self->popover_label, 0);
  gtk_label_set_selectable (self->popover_label, FALSE);
  gtk_widget_add_css_class (label, "ml-host-state");
  gtk_widget_set_margin_start (label, 6);
  gtk_widget_set_margin_end (label, 6);
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_popover_set_child (GTK_POPOVER (self->popover), label);
  gtk_popover_set_position (GTK_POPOVER (self->popover), GTK_POS_BOTTOM);
  gtk_widget_set_parent (self->popover, GTK_WIDGET (self));
  g_signal_connect_swapped (self->popover, "closed", G_CALLBACK (on_popover_closed), self);
  gtk_widget_set_focusable (GTK_WIDGET (self), FALSE);
}

#define G_LOG_DOMAIN "ml-ladder-view"

#include <math.h>
#include "ladder-view.h"
#include "ladder-label.h"
#include "ladder-lanes.h"

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
  gulong         player_handlers[4];

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

static void ml_ladder_view_scrollable_init (GtkScrollableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MlLadderView, ml_ladder_view, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE,
                                                      ml_ladder_view_scrollable_init))

enum {
  PROP_0,
  PROP_PLAYER,
  PROP_ZOOM,
  PROP_HIDE_AHEAD,
  N_PROPS,
  /* GtkScrollable */
  PROP_HADJUSTMENT = N_PROPS,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY,
};

static GParamSpec *properties[N_PROPS];

static void
ml_ladder_view_scrollable_init (GtkScrollableInterface *iface)
{
}

/* ---- geometry ---------------------------------------------------------- */

static PangoFontDescription *
scaled_font (const PangoFontDescription *base, double factor, gboolean bold)
{
  PangoFontDescription *desc = pango_font_description_copy (base);
  int size = pango_font_description_get_size (base);

  if (size <= 0)
    size = 11 * PANGO_SCALE;
  if (pango_font_description_get_size_is_absolute (base))
    pango_font_description_set_absolute_size (desc, size * factor);
  else
    pango_font_description_set_size (desc, (int) (size * factor));
  if (bold)
    pango_font_description_set_weight (desc, PANGO_WEIGHT_BOLD);
  return desc;
}

static int
text_height (MlLadderView *self, const PangoFontDescription *font, int *width_out, const char *sample)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), sample);
  int w, h;

  pango_layout_set_font_description (layout, font);
  pango_layout_get_pixel_size (layout, &w, &h);
  if (width_out)
    *width_out = w;
  return h;
}

static void
clear_metrics (MlLadderView *self)
{
  self->metrics_valid = FALSE;
  g_clear_pointer (&self->font, pango_font_description_free);
  g_clear_pointer (&self->small_font, pango_font_description_free);
  g_clear_pointer (&self->header_font, pango_font_description_free);
}

/* Sizes follow the system font times the zoom, and start a good deal
 * larger than body text: a ladder is read from the back of a room. */
static void
ensure_metrics (MlLadderView *self)
{
  const PangoFontDescription *base;
  int line_h, digits_w, em_w;

  if (self->metrics_valid)
    return;
  clear_metrics (self);

  base = pango_context_get_font_description (gtk_widget_get_pango_context (GTK_WIDGET (self)));
  self->font = scaled_font (base, 1.25 * self->zoom, FALSE);
  self->small_font = scaled_font (base, 1.0 * self->zoom, FALSE);
  self->header_font = scaled_font (base, 1.25 * self->zoom, TRUE);

  line_h = text_height (self, self->font, &em_w, "MMMMMMMMMM");
  self->margin = (int) round (16 * self->zoom);
  self->row_h = line_h + (int) round (24 * self->zoom);
  self->header_h = text_height (self, self->header_font, NULL, "Mg") + (int) round (20 * self->zoom);
  text_height (self, self->small_font, &digits_w, "000.000 s");
  self->time_w = digits_w + 2 * self->margin;
  /* Room for most of a typical command ("RCPT TO:<bob@b.example>")
   * between neighbouring lanes; a longer label overhangs its arrow. */
  self->min_spacing = MAX (em_w * 3 / 2, (int) round (180 * self->zoom));
  self->metrics_valid = TRUE;
}

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

static void
ensure_palette (MlLadderView *self)
{
  GtkStyleContext *context;
  Palette *p = &self->palette;
  GdkRGBA view_bg, accent_bg;

  if (self->palette_valid)
    return;
  context = gtk_widget_get_style_context (GTK_WIDGET (self));
  gtk_style_context_get_color (context, &p->fg);
  load_color (context, "accent_color", "#1c71d8", &p->command);
  load_color (context, "accent_color", "#1c71d8", &p->accent);
  load_color (context, "success_color", "#26a269", &p->reply);
  load_color (context, "warning_color", "#9c6e03", &p->warning);
  load_color (context, "error_color", "#c01c28", &p->error);
  load_color (context, "accent_bg_color", "#3584e4", &accent_bg);
  load_color (context, "view_bg_color", "#ffffff", &view_bg);
  load_color (context, "headerbar_bg_color", "#ebebeb", &p->header_bg);
  load_color (context, "headerbar_shade_color", "rgba(0,0,0,0.07)", &p->border);
  p->dim = with_alpha (&p->fg, 0.62f);
  p->lane = with_alpha (&p->fg, 0.16f);
  p->packet = with_alpha (&p->fg, 0.42f);
  p->highlight = with_alpha (&accent_bg, 0.18f);
  p->label_bg = with_alpha (&view_bg, 0.88f);
  self->palette_valid = TRUE;
}

static const MlStepIndex *
current_index (MlLadderView *self)
{
  if (self->player == NULL)
    return NULL;
  return ml_player_get_step_index (self->player);
}

static MlTrace *
current_trace (MlLadderView *self)
{
  return self->player ? ml_player_get_trace (self->player) : NULL;
}

static MlLadderLanes *
ensure_lanes (MlLadderView *self)
{
  if (self->lanes == NULL)
    self->lanes = ml_ladder_lanes_new (current_trace (self), current_index (self),
                                       self->player ? ml_player_get_hosts (self->player) : NULL);
  return self->lanes;
}

guint64
ml_ladder_view_get_n_rows (MlLadderView *self)
{
  const MlStepIndex *index;

  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 0);
  index = current_index (self);
  return index ? ml_step_index_get_n_rows (index) : 0;
}

/* Lanes share the width left of the time column; when they would be
 * closer than a label needs, the ladder grows wider and scrolls. */
static void
layout_lanes (MlLadderView *self, int width)
{
  guint n = ml_ladder_lanes_get_n (ensure_lanes (self));
  double avail = width - self->time_w - 2.0 * self->margin;

  self->spacing = n ? MAX ((double) self->min_spacing, avail / n) : 0;
  self->content_w = MAX ((double) width, self->time_w + 2.0 * self->margin + self->spacing * n);
}

static double
lane_content_x (MlLadderView *self, guint lane)
{
  return self->time_w + self->margin + self->spacing * (lane + 0.5);
}

static double
hvalue (MlLadderView *self)
{
  if (self->page_override)
    return 0;
  return self->hadjustment ? gtk_adjustment_get_value (self->hadjustment) : 0;
}

static double
vvalue (MlLadderView *self)
{
  if (self->page_override)
    return self->page_v;
  return self->vadjustment ? gtk_adjustment_get_value (self->vadjustment) : 0;
}

static void
configure_adjustments (MlLadderView *self, int width, int height)
{
  double page, upper;

  if (self->vadjustment)
    {
      page = MAX (1.0, (double) height - self->header_h);
      /* Half a row of air below the last one. */
      upper = MAX (page, (double) ml_ladder_view_get_n_rows (self) * self->row_h + self->row_h / 2.0);
      gtk_adjustment_configure (self->vadjustment,
                                CLAMP (vvalue (self), 0, upper - page),
                                0, upper, self->row_h, page * 0.9, page);
    }
  if (self->hadjustment)
    {
      page = MAX (1, width);
      upper = MAX (page, self->content_w);
      gtk_adjustment_configure (self->hadjustment,
                                CLAMP (hvalue (self), 0, upper - page),
                                0, upper, self->spacing / 4 + 1, page * 0.9, page);
    }
}

static gboolean
current_row (MlLadderView *self, guint64 *row_out)
{
  const MlStepIndex *index = current_index (self);

  if (index == NULL || current_trace (self) == NULL)
    return FALSE;
  return ml_step_index_find_row (index, ml_player_get_position (self->player), row_out);
}

/* Keeps the current step in view; a long jump centres it. */
static void
scroll_to_current (MlLadderView *self)
{
  double page, value, top, target;
  guint64 row;

  if (self->vadjustment == NULL || !current_row (self, &row))
    {
      self->scroll_pending = FALSE;
      return;
    }
  page = gtk_adjustment_get_page_size (self->vadjustment);
  if (page <= 1 || self->row_h == 0)
    {
      self->scroll_pending = TRUE;
      return;
    }
  self->scroll_pending = FALSE;
  value = gtk_adjustment_get_value (self->vadjustment);
  top = (double) row * self->row_h;
  if (top >= value && top + self->row_h <= value + page)
    return;
  if (top < value - page || top > value + 2 * page)
    target = top - (page - self->row_h) / 2;
  else if (top < value)
    target = top - self->row_h;
  else
    target = top + 2.0 * self->row_h - page;
  gtk_adjustment_set_value (self->vadjustment, target);
}

/* ---- drawing ------------------------------------------------------------ */

static void
fill_rounded (GtkSnapshot *snapshot, const graphene_rect_t *rect, float radius, const GdkRGBA *color)
{
  GskRoundedRect rounded;

  gsk_rounded_rect_init_from_rect (&rounded, rect, radius);
  gtk_snapshot_push_rounded_clip (snapshot, &rounded);
  gtk_snapshot_append_color (snapshot, color, rect);
  gtk_snapshot_pop (snapshot);
}

/* A line of @thickness from the origin to (−length, 0), turned by @degrees. */
static void
draw_barb (GtkSnapshot *snapshot, float x, float y, float degrees, float length,
           float thickness, const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_rotate (snapshot, degrees);
  gtk_snapshot_append_color (snapshot, color,
                             &GRAPHENE_RECT_INIT (-length, -thickness / 2, length, thickness));
  gtk_snapshot_restore (snapshot);
}

static PangoLayout *
make_layout (MlLadderView *self, const char *text, const PangoFontDescription *font, double max_w)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);

  pango_layout_set_font_description (layout, font);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_width (layout, (int) (MAX (max_w, 20) * PANGO_SCALE));
  return layout;
}

/* Text on a soft plate, so lane lines never strike through a label. */
static void
draw_label (MlLadderView *self, GtkSnapshot *snapshot, PangoLayout *layout,
            double x, double y, const GdkRGBA *color, gboolean current)
{
  int w, h;
  float pad = (float) (6 * self->zoom);
  graphene_rect_t plate;

  pango_layout_get_pixel_size (layout, &w, &h);
  graphene_rect_init (&plate, (float) x - pad, (float) y, w + 2 * pad, h);
  fill_rounded (snapshot, &plate, pad, &self->palette.label_bg);
  /* On the current row the plate takes the row's tint, so it does not
   * read as a white box. */
  if (current)
    fill_rounded (snapshot, &plate, pad, &self->palette.highlight);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) x, (float) y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static const GdkRGBA *
tone_color (MlLadderView *self, MlLadderTone tone)
{
  switch (tone)
    {
    case ML_LADDER_TONE_COMMAND:
      return &self->palette.command;
    case ML_LADDER_TONE_REPLY:
      return &self->palette.reply;
    case ML_LADDER_TONE_WARNING:
      return &self->palette.warning;
    case ML_LADDER_TONE_ERROR:
      return &self->palette.error;
    case ML_LADDER_TONE_PACKET:
      return &self->palette.packet;
    case ML_LADDER_TONE_MARK:
    default:
      return &self->palette.dim;
    }
}

static void
draw_arrow (MlLadderView *self, GtkSnapshot *snapshot, const MlTraceEvent *event,
            double x1, double x2, double row_y, const char *label, gboolean current)
{
  gboolean frame = event->kind == ML_TRACE_FRAME;
  const GdkRGBA *color = tone_color (self, ml_ladder_label_tone (event));
  float t = (float) MAX (1.0, (frame ? 1.5 : 3.0) * self->zoom);
  float head = (float) ((frame ? 9 : 13) * self->zoom);
  double ay = row_y + self->row_h - round (12 * self->zoom);
  double end = event->dropped ? (x1 + x2) / 2 : x2;
  double dir = x2 > x1 ? 1 : -1;
  double max_w, lx;
  g_autoptr(PangoLayout) layout = NULL;
  int lw, lh;

  gtk_snapshot_append_color (snapshot, color,
                             &GRAPHENE_RECT_INIT ((float) MIN (x1, end), (float) ay - t / 2,
                                                  (float) fabs (end - x1), t));
  if (event->dropped)
    {
      /* A lost frame stops halfway, crossed out. */
      draw_barb (snapshot, (float) end + head / 2, (float) ay + head / 2, 45, head * 1.4f, t * 1.5f, color);
      draw_barb (snapshot, (float) end + head / 2, (float) ay - head / 2, -45, head * 1.4f, t * 1.5f, color);
    }
  else
    {
      float base = dir > 0 ? 0 : 180;

      draw_barb (snapshot, (float) end, (float) ay, base + 28, head, t, color);
      draw_barb (snapshot, (float) end, (float) ay, base - 28, head, t, color);
    }

  /* The label may overhang a short arrow by half a lane either way, but
   * never leaves the ladder. */
  max_w = MAX (fabs (x2 - x1) - 16 * self->zoom, self->spacing * 1.6);
  max_w = MIN (max_w, self->content_w - self->time_w - 2.0 * self->margin);
  layout = make_layout (self, label, frame ? self->small_font : self->font, max_w);
  pango_layout_get_pixel_size (layout, &lw, &lh);
  lx = (x1 + x2) / 2 - lw / 2.0;
  lx = CLAMP (lx, self->time_w + self->margin - hvalue (self),
              self->content_w - self->margin - lw - hvalue (self));
  draw_label (self, snapshot, layout, lx, ay - round (5 * self->zoom) - lh,
              frame ? &self->palette.dim : &self->palette.fg, current);
}

static void
draw_mark (MlLadderView *self, GtkSnapshot *snapshot, const MlTraceEvent *event,
           double x, double row_y, const char *label, gboolean current)
{
  float s = (float) round (12 * self->zoom);
  float cy = (float) (row_y + self->row_h / 2.0);
  const GdkRGBA *color;
  g_autoptr(PangoLayout) layout = NULL;
  double max_w, lx, right;
  int lw, lh;

  switch (event->kind)
    {
    case ML_TRACE_STATE:
      color = &self->palette.accent;
      fill_rounded (snapshot, &GRAPHENE_RECT_INIT ((float) x - s / 2, cy - s / 2, s, s), s / 2, color);
      break;
    case ML_TRACE_DNS:
      {
        GskRoundedRect ring;
        float w = (float) MAX (1.5, 2.5 * self->zoom);
        const float widths[4] = { w, w, w, w };
        GdkRGBA colors[4];

        color = &self->palette.command;
        for (guint i = 0; i < 4; i++)
          colors[i] = *color;
        gsk_rounded_rect_init_from_rect (&ring, &GRAPHENE_RECT_INIT ((float) x - s / 2, cy - s / 2, s, s), s / 2);
        gtk_snapshot_append_border (snapshot, &ring, widths, colors);
      }
      break;
    case ML_TRACE_STORE:
      color = &self->palette.reply;
      gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT ((float) x - s / 2, cy - s / 2, s, s));
      break;
    case ML_TRACE_NOTE:
    default:
      color = &self->palette.warning;
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) x, cy));
      gtk_snapshot_rotate (snapshot, 45);
      gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT (-s / 2.8f, -s / 2.8f, s / 1.4f, s / 1.4f));
      gtk_snapshot_restore (snapshot);
      break;
    }

  max_w = MAX (self->spacing * 2.2, 240 * self->zoom);
  layout = make_layout (self, label, self->small_font, max_w);
  pango_layout_get_pixel_size (layout, &lw, &lh);
  lx = x + s;
  right = self->content_w - self->margin - hvalue (self);
  /* Near the right edge the text goes to the left of the mark. */
  if (lx + lw > right)
    lx = MAX (x - s - lw, self->time_w + self->margin - hvalue (self));
  draw_label (self, snapshot, layout, lx, cy - lh / 2.0,
              current ? &self->palette.fg : &self->palette.dim, current);
}

static void
draw_row (MlLadderView *self, GtkSnapshot *snapshot, const MlLadderLanes *lanes,
          const MlTraceEvent *event, const MlTraceEvent *prev, double y, gboolean current)
{
  g_autofree char *label = ml_ladder_label_format (event);
  int from = ml_ladder_lanes_lookup (lanes, event->host);
  int to = ml_ladder_lanes_lookup (lanes, event->peer);
  double hv = hvalue (self);

  /* Time runs downwards; only a row that moves the clock says so, and
   * the top row, so the viewport always shows where it is. */
  if (prev == NULL || prev->time_us != event->time_us)
    {
      g_autofree char *time = g_strdup_printf ("%.3f s", event->time_us / 1e6);
      g_autoptr(PangoLayout) layout = make_layout (self, time, self->small_font, self->time_w);
      int lw, lh;

      pango_layout_get_pixel_size (layout, &lw, &lh);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot,
                              &GRAPHENE_POINT_INIT ((float) (self->time_w - self->margin / 2.0 - lw - hv),
                                                    (float) (y + (self->row_h - lh) / 2.0)));
      gtk_snapshot_append_layout (snapshot, layout, &self->palette.dim);
      gtk_snapshot_restore (snapshot);
    }

  if ((event->kind == ML_TRACE_DIALOGUE || event->kind == ML_TRACE_FRAME)
      && from >= 0 && to >= 0 && from != to)
    draw_arrow (self, snapshot, event,
                lane_content_x (self, from) - hv, lane_content_x (self, to) - hv, y, label, current);
  else
    draw_mark (self, snapshot, event,
               from >= 0 ? lane_content_x (self, from) - hv : self->time_w + self->margin - hv,
               y, label, current);
}

static void
draw_header (MlLadderView *self, GtkSnapshot *snapshot, const MlLadderLanes *lanes, int width)
{
  double hv = hvalue (self);
  float line = (float) MAX (1.0, self->zoom);

  gtk_snapshot_append_color (snapshot, &self->palette.header_bg,
                             &GRAPHENE_RECT_INIT (0, 0, width, self->header_h));
  gtk_snapshot_append_color (snapshot, &self->palette.border,
                             &GRAPHENE_RECT_INIT (0, self->header_h - line, width, line));

  for (guint i = 0; i < ml_ladder_lanes_get_n (lanes); i++)
    {
      g_autoptr(PangoLayout) layout = make_layout (self, ml_ladder_lanes_get_name (lanes, i),
                                                   self->header_font,
                                                   self->spacing - 8 * self->zoom);
      int lw, lh;
      double x = lane_content_x (self, i) - hv;

      pango_layout_get_pixel_size (layout, &lw, &lh);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) (x - lw / 2.0),
                                                              (float) ((self->header_h - lh) / 2.0)));
      gtk_snapshot_append_layout (snapshot, layout, &self->palette.fg);
      gtk_snapshot_restore (snapshot);
    }
}

static void
draw_content (MlLadderView *self, GtkSnapshot *snapshot, int width, int height)
{
  MlTrace *trace = current_trace (self);
  const MlStepIndex *index = current_index (self);
  const MlLadderLanes *lanes;
  guint64 n_rows, first, last, row;
  double v, hv;
  const MlTraceEvent *prev = NULL;
  gboolean has_current;

  if (width <= 0 || height <= 0 || trace == NULL || index == NULL)
    return;

  ensure_metrics (self);
  ensure_palette (self);
  lanes = ensure_lanes (self);
  n_rows = ml_step_index_get_n_rows (index);
  v = vvalue (self);
  hv = hvalue (self);

  /* Only the rows in the viewport are drawn. Positions are computed in
   * doubles per row: a translation by millions of pixels would lose
   * precision in the renderer's floats. */
  first = (guint64) (v / self->row_h);
  last = MIN (n_rows, (guint64) ceil ((v + height - self->header_h) / self->row_h) + 1);

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, self->header_h, width, height - self->header_h));

  if (current_row (self, &row) && row >= first && row < last)
    {
      double y = self->header_h + (double) row * self->row_h - v;

      gtk_snapshot_append_color (snapshot, &self->palette.highlight,
                                 &GRAPHENE_RECT_INIT (0, (float) y, width, self->row_h));
      gtk_snapshot_append_color (snapshot, &self->palette.accent,
                                 &GRAPHENE_RECT_INIT (0, (float) y, (float) round (5 * self->zoom), self->row_h));
    }

  for (guint i = 0; i < ml_ladder_lanes_get_n (lanes); i++)
    {
      float lw = (float) MAX (1.0, 2.0 * self->zoom);

      gtk_snapshot_append_color (snapshot, &self->palette.lane,
                                 &GRAPHENE_RECT_INIT ((float) (lane_content_x (self, i) - hv) - lw / 2,
                                                      self->header_h, lw, height - self->header_h));
    }

  has_current = current_row (self, &row);
  for (guint64 r = first; r < last; r++)
    {
      const MlTraceEvent *event = ml_trace_get_event (trace, ml_step_index_get_event (index, r));

      if (event == NULL)
        continue;
      double y = self->header_h + (double) r * self->row_h - v;

      /* A prediction is only fair while its reply is not on screen. */
      if (!ml_ladder_view_is_row_shown (self, r))
        continue;
      draw_row (self, snapshot, lanes, event, prev, y, has_current && r == row);
      /* A row mostly under the header does not count as shown: the first
       * row in plain sight carries its time. */
      prev = y + self->row_h / 2.0 < self->header_h ? NULL : event;
    }
  gtk_snapshot_pop (snapshot);

  draw_header (self, snapshot, lanes, width);
}

gboolean
ml_ladder_view_is_row_shown (MlLadderView *self, guint64 row)
{
  guint64 current;

  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), FALSE);

  /* An export is made after the fact, for the whole dialogue. */
  if (!self->hide_ahead || self->page_override)
    return TRUE;
  return current_row (self, &current) && row <= current;
}

void
ml_ladder_view_set_hide_ahead (MlLadderView *self, gboolean hide)
{
  g_return_if_fail (ML_IS_LADDER_VIEW (self));

  hide = !!hide;
  if (self->hide_ahead == hide)
    return;
  self->hide_ahead = hide;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIDE_AHEAD]);
}

gboolean
ml_ladder_view_get_hide_ahead (MlLadderView *self)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), FALSE);
  return self->hide_ahead;
}

static void
ml_ladder_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  draw_content (ML_LADDER_VIEW (widget), snapshot,
                gtk_widget_get_width (widget), gtk_widget_get_height (widget));
}

void
ml_ladder_view_get_page_metrics (MlLadderView *self, double *content_width,
                                 double *header_height, double *row_height)
{
  g_return_if_fail (ML_IS_LADDER_VIEW (self));

  ensure_metrics (self);
  ensure_lanes (self);
  layout_lanes (self, MAX (gtk_widget_get_width (GTK_WIDGET (self)), 1));
  if (content_width)
    *content_width = self->content_w;
  if (header_height)
    *header_height = self->header_h;
  if (row_height)
    *row_height = self->row_h;
}

void
ml_ladder_view_snapshot_page (MlLadderView *self, GtkSnapshot *snapshot,
                              guint64 first_row, int width, int height)
{
  g_return_if_fail (ML_IS_LADDER_VIEW (self));
  g_return_if_fail (snapshot != NULL);

  ensure_metrics (self);
  /* Lanes spread over the page as they would over a window this wide. */
  layout_lanes (self, width);
  self->page_override = TRUE;
  self->page_v = (double) first_row * self->row_h;
  draw_content (self, snapshot, width, height);
  self->page_override = FALSE;
  layout_lanes (self, MAX (gtk_widget_get_width (GTK_WIDGET (self)), 1));
}

/* ---- layout ------------------------------------------------------------- */

static void
ml_ladder_view_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  MlLadderView *self = ML_LADDER_VIEW (widget);

  ensure_metrics (self);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      guint n = ml_ladder_lanes_get_n (ensure_lanes (self));

      *minimum = self->time_w + self->min_spacing;
      *natural = self->time_w + 2 * self->margin + self->min_spacing * (int) MAX (n, 1);
    }
  else
    {
      *minimum = self->header_h + self->row_h;
      *natural = self->header_h + self->row_h * (int) CLAMP (ml_ladder_view_get_n_rows (self), 1, 12);
    }
}

static void
ml_ladder_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  MlLadderView *self = ML_LADDER_VIEW (widget);

  ensure_metrics (self);
  layout_lanes (self, width);
  configure_adjustments (self, width, height);
  if (self->scroll_pending)
    scroll_to_current (self);
}

static void
ml_ladder_view_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  MlLadderView *self = ML_LADDER_VIEW (widget);

  GTK_WIDGET_CLASS (ml_ladder_view_parent_class)->css_changed (widget, change);
  /* Dark mode and font changes both arrive here. */
  self->palette_valid = FALSE;
  clear_metrics (self);
  gtk_widget_queue_resize (widget);
}

/* ---- player ------------------------------------------------------------- */

static void
on_rows_changed (MlLadderView *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));

  g_clear_pointer (&self->lanes, ml_ladder_lanes_free);
  if (self->vadjustment)
    gtk_adjustment_set_value (self->vadjustment, 0);
  /* Lay the new rows out in the current size at once, so the current step
   * is in view before the next frame (the lane count may change the
   * natural width; the resize below follows up on that). */
  if (width > 0 && height > 0)
    {
      ensure_metrics (self);
      layout_lanes (self, width);
      configure_adjustments (self, width, height);
      scroll_to_current (self);
    }
  else
    self->scroll_pending = TRUE;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
on_position_changed (MlLadderView *self)
{
  scroll_to_current (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_pressed (GtkGestureClick *gesture, int n_press, double x, double y, MlLadderView *self)
{
  gint64 row = ml_ladder_view_get_row_at_y (self, y);

  if (row < 0 || self->player == NULL)
    return;
  ml_player_set_position (self->player, ml_step_index_get_event (current_index (self), (guint64) row));
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
disconnect_player (MlLadderView *self)
{
  if (self->player == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (self->player_handlers); i++)
    g_clear_signal_handler (&self->player_handlers[i], self->player);
  g_clear_object (&self->player);
}

void
ml_ladder_view_set_player (MlLadderView *self, MlPlayer *player)
{
  g_return_if_fail (ML_IS_LADDER_VIEW (self));
  g_return_if_fail (player == NULL || ML_IS_PLAYER (player));

  if (self->player == player)
    return;
  disconnect_player (self);
  if (player)
    {
      self->player = g_object_ref (player);
      self->player_handlers[0] = g_signal_connect_swapped (player, "notify::trace", G_CALLBACK (on_rows_changed), self);
      self->player_handlers[1] = g_signal_connect_swapped (player, "notify::mode", G_CALLBACK (on_rows_changed), self);
      self->player_handlers[2] = g_signal_connect_swapped (player, "notify::hosts", G_CALLBACK (on_rows_changed), self);
      self->player_handlers[3] = g_signal_connect_swapped (player, "notify::position", G_CALLBACK (on_position_changed), self);
    }
  on_rows_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYER]);
}

MlPlayer *
ml_ladder_view_get_player (MlLadderView *self)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), NULL);
  return self->player;
}

/* ---- scrollable --------------------------------------------------------- */

static void
on_adjustment_changed (MlLadderView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_adjustment (MlLadderView *self, GtkAdjustment **slot, GtkAdjustment *adjustment)
{
  if (adjustment == NULL)
    adjustment = gtk_adjustment_new (0, 0, 0, 0, 0, 0);
  if (*slot == adjustment)
    return;
  if (*slot)
    {
      g_signal_handlers_disconnect_by_func (*slot, on_adjustment_changed, self);
      g_object_unref (*slot);
    }
  *slot = g_object_ref_sink (adjustment);
  g_signal_connect_swapped (adjustment, "value-changed", G_CALLBACK (on_adjustment_changed), self);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

/* ---- GObject ------------------------------------------------------------ */

static void
ml_ladder_view_dispose (GObject *object)
{
  MlLadderView *self = ML_LADDER_VIEW (object);

  disconnect_player (self);
  if (self->hadjustment)
    g_signal_handlers_disconnect_by_func (self->hadjustment, on_adjustment_changed, self);
  if (self->vadjustment)
    g_signal_handlers_disconnect_by_func (self->vadjustment, on_adjustment_changed, self);
  g_clear_object (&self->hadjustment);
  g_clear_object (&self->vadjustment);
  g_clear_pointer (&self->lanes, ml_ladder_lanes_free);
  clear_metrics (self);
  G_OBJECT_CLASS (ml_ladder_view_parent_class)->dispose (object);
}

static void
ml_ladder_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MlLadderView *self = ML_LADDER_VIEW (object);

  switch (prop_id)
    {
    case PROP_PLAYER:
      g_value_set_object (value, self->player);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    case PROP_HIDE_AHEAD:
      g_value_set_boolean (value, self->hide_ahead);
      break;
    case PROP_HADJUSTMENT:
      g_value_set_object (value, self->hadjustment);
      break;
    case PROP_VADJUSTMENT:
      g_value_set_object (value, self->vadjustment);
      break;
    case PROP_HSCROLL_POLICY:
      g_value_set_enum (value, self->hscroll_policy);
      break;
    case PROP_VSCROLL_POLICY:
      g_value_set_enum (value, self->vscroll_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_ladder_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MlLadderView *self = ML_LADDER_VIEW (object);

  switch (prop_id)
    {
    case PROP_PLAYER:
      ml_ladder_view_set_player (self, g_value_get_object (value));
      break;
    case PROP_ZOOM:
      ml_ladder_view_set_zoom (self, g_value_get_double (value));
      break;
    case PROP_HIDE_AHEAD:
      ml_ladder_view_set_hide_ahead (self, g_value_get_boolean (value));
      break;
    case PROP_HADJUSTMENT:
      set_adjustment (self, &self->hadjustment, g_value_get_object (value));
      break;
    case PROP_VADJUSTMENT:
      set_adjustment (self, &self->vadjustment, g_value_get_object (value));
      break;
    case PROP_HSCROLL_POLICY:
      self->hscroll_policy = g_value_get_enum (value);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    case PROP_VSCROLL_POLICY:
      self->vscroll_policy = g_value_get_enum (value);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_ladder_view_class_init (MlLadderViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_ladder_view_dispose;
  object_class->get_property = ml_ladder_view_get_property;
  object_class->set_property = ml_ladder_view_set_property;

  widget_class->snapshot = ml_ladder_view_snapshot;
  widget_class->measure = ml_ladder_view_measure;
  widget_class->size_allocate = ml_ladder_view_size_allocate;
  widget_class->css_changed = ml_ladder_view_css_changed;

  properties[PROP_PLAYER] =
    g_param_spec_object ("player", NULL, NULL, ML_TYPE_PLAYER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, ML_LADDER_MIN_ZOOM, ML_LADDER_MAX_ZOOM, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HIDE_AHEAD] =
    g_param_spec_boolean ("hide-ahead", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");

  gtk_widget_class_set_css_name (widget_class, "ladderview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ml_ladder_view_init (MlLadderView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->zoom = 1.0;
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (GTK_WIDGET (self), "view");
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "pointer");
}

GtkWidget *
ml_ladder_view_new (void)
{
  return g_object_new (ML_TYPE_LADDER_VIEW, NULL);
}

double
ml_ladder_view_get_zoom (MlLadderView *self)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 1.0);
  return self->zoom;
}

void
ml_ladder_view_set_zoom (MlLadderView *self, double zoom)
{
  g_return_if_fail (ML_IS_LADDER_VIEW (self));

  zoom = CLAMP (zoom, ML_LADDER_MIN_ZOOM, ML_LADDER_MAX_ZOOM);
  if (fabs (zoom - self->zoom) < 1e-9)
    return;
  self->zoom = zoom;
  clear_metrics (self);
  self->scroll_pending = TRUE;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

guint
ml_ladder_view_get_n_lanes (MlLadderView *self)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 0);
  return ml_ladder_lanes_get_n (ensure_lanes (self));
}

const char *
ml_ladder_view_get_lane_name (MlLadderView *self, guint lane)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), NULL);
  g_return_val_if_fail (lane < ml_ladder_view_get_n_lanes (self), NULL);
  return ml_ladder_lanes_get_name (ensure_lanes (self), lane);
}

double
ml_ladder_view_get_lane_x (MlLadderView *self, guint lane)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 0);
  g_return_val_if_fail (lane < ml_ladder_view_get_n_lanes (self), 0);

  ensure_metrics (self);
  return lane_content_x (self, lane) - hvalue (self);
}

gint64
ml_ladder_view_get_highlighted_row (MlLadderView *self)
{
  guint64 row;

  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), -1);
  if (!current_row (self, &row))
    return -1;
  return (gint64) row;
}

gint64
ml_ladder_view_get_row_at_y (MlLadderView *self, double y)
{
  double content_y;
  guint64 row;

  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), -1);

  ensure_metrics (self);
  if (y < self->header_h || current_index (self) == NULL)
    return -1;
  content_y = y - self->header_h + vvalue (self);
  row = (guint64) (content_y / self->row_h);
  if (row >= ml_ladder_view_get_n_rows (self))
    return -1;
  return (gint64) row;
}

double
ml_ladder_view_get_row_y (MlLadderView *self, guint64 row)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 0);

  ensure_metrics (self);
  return self->header_h + (double) row * self->row_h - vvalue (self);
}

double
ml_ladder_view_get_row_height (MlLadderView *self)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 0);

  ensure_metrics (self);
  return self->row_h;
}

#define G_LOG_DOMAIN "ml-ladder-view"

/* ladder-view-draw.c — MlLadderView's drawing: the palette from the
 * stylesheet, arrows, marks, labels and the lane header, for the rows in
 * view or for one page of an export. */

#include <math.h>
#include "ladder-view-private.h"
#include "ladder-label.h"

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

void
_ml_ladder_view_ensure_palette (MlLadderView *self)
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
  lx = CLAMP (lx, self->time_w + self->margin - _ml_ladder_view_hvalue (self),
              self->content_w - self->margin - lw - _ml_ladder_view_hvalue (self));
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
  right = self->content_w - self->margin - _ml_ladder_view_hvalue (self);
  /* Near the right edge the text goes to the left of the mark. */
  if (lx + lw > right)
    lx = MAX (x - s - lw, self->time_w + self->margin - _ml_ladder_view_hvalue (self));
  draw_label (self, snapshot, layout, lx, cy - lh / 2.0,
              current ? &self->palette.fg : &self->palette.dim, current);
}

static void
draw_row (MlLadderView *self, GtkSnapshot *snapshot, const MlLadderLanes *lanes,
          const MlTraceEvent *event, const MlTraceEvent *prev, guint64 t0, double y, gboolean current)
{
  g_autofree char *label = ml_ladder_label_format (event);
  int from = ml_ladder_lanes_lookup (lanes, event->host);
  int to = ml_ladder_lanes_lookup (lanes, event->peer);
  double hv = _ml_ladder_view_hvalue (self);

  /* Time runs downwards; only a row that moves the clock says so, and
   * the top row, so the viewport always shows where it is. */
  if (prev == NULL || prev->time_us != event->time_us)
    {
      g_autofree char *time = g_strdup_printf ("%.3f s", (double) (event->time_us - MIN (t0, event->time_us)) / 1e6);
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
                _ml_ladder_view_lane_content_x (self, from) - hv, _ml_ladder_view_lane_content_x (self, to) - hv, y, label, current);
  else
    draw_mark (self, snapshot, event,
               from >= 0 ? _ml_ladder_view_lane_content_x (self, from) - hv : self->time_w + self->margin - hv,
               y, label, current);
}

static void
draw_header (MlLadderView *self, GtkSnapshot *snapshot, const MlLadderLanes *lanes, int width)
{
  double hv = _ml_ladder_view_hvalue (self);
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
      double x = _ml_ladder_view_lane_content_x (self, i) - hv;

      pango_layout_get_pixel_size (layout, &lw, &lh);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) (x - lw / 2.0),
                                                              (float) ((self->header_h - lh) / 2.0)));
      gtk_snapshot_append_layout (snapshot, layout, &self->palette.fg);
      gtk_snapshot_restore (snapshot);
    }
}

void
_ml_ladder_view_draw_content (MlLadderView *self, GtkSnapshot *snapshot, int width, int height)
{
  MlTrace *trace = _ml_ladder_view_current_trace (self);
  const MlStepIndex *index = _ml_ladder_view_current_index (self);
  const MlLadderLanes *lanes;
  guint64 n_rows, first, last, row;
  double v, hv;
  const MlTraceEvent *prev = NULL;
  const MlTraceEvent *first_event;
  gboolean has_current;
  guint64 t0;

  if (width <= 0 || height <= 0 || trace == NULL || index == NULL)
    return;

  _ml_ladder_view_ensure_metrics (self);
  _ml_ladder_view_ensure_palette (self);
  lanes = _ml_ladder_view_ensure_lanes (self);
  /* Time counts from the trace's first event: a simulation and a capture
   * start at 0 anyway, a watched server stamps the wall clock. */
  first_event = ml_trace_get_length (trace) > 0 ? ml_trace_get_event (trace, 0) : NULL;
  t0 = first_event ? first_event->time_us : 0;
  n_rows = ml_step_index_get_n_rows (index);
  v = _ml_ladder_view_vvalue (self);
  hv = _ml_ladder_view_hvalue (self);

  /* Only the rows in the viewport are drawn. Positions are computed in
   * doubles per row: a translation by millions of pixels would lose
   * precision in the renderer's floats. */
  first = (guint64) (v / self->row_h);
  last = MIN (n_rows, (guint64) ceil ((v + height - self->header_h) / self->row_h) + 1);

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, self->header_h, width, height - self->header_h));

  if (_ml_ladder_view_current_row (self, &row) && row >= first && row < last)
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
                                 &GRAPHENE_RECT_INIT ((float) (_ml_ladder_view_lane_content_x (self, i) - hv) - lw / 2,
                                                      self->header_h, lw, height - self->header_h));
    }

  has_current = _ml_ladder_view_current_row (self, &row);
  for (guint64 r = first; r < last; r++)
    {
      const MlTraceEvent *event = ml_trace_get_event (trace, ml_step_index_get_event (index, r));

      if (event == NULL)
        continue;
      double y = self->header_h + (double) r * self->row_h - v;

      /* A prediction is only fair while its reply is not on screen. */
      if (!ml_ladder_view_is_row_shown (self, r))
        continue;
      draw_row (self, snapshot, lanes, event, prev, t0, y, has_current && r == row);
      /* A row mostly under the header does not count as shown: the first
       * row in plain sight carries its time. */
      prev = y + self->row_h / 2.0 < self->header_h ? NULL : event;
    }
  gtk_snapshot_pop (snapshot);

  draw_header (self, snapshot, lanes, width);
}

void
_ml_ladder_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  _ml_ladder_view_draw_content (ML_LADDER_VIEW (widget), snapshot,
                gtk_widget_get_width (widget), gtk_widget_get_height (widget));
}

void
ml_ladder_view_snapshot_page (MlLadderView *self, GtkSnapshot *snapshot,
                              guint64 first_row, int width, int height)
{
  g_return_if_fail (ML_IS_LADDER_VIEW (self));
  g_return_if_fail (snapshot != NULL);

  _ml_ladder_view_ensure_metrics (self);
  /* Lanes spread over the page as they would over a window this wide. */
  _ml_ladder_view_layout_lanes (self, width);
  self->page_override = TRUE;
  self->page_v = (double) first_row * self->row_h;
  _ml_ladder_view_draw_content (self, snapshot, width, height);
  self->page_override = FALSE;
  _ml_ladder_view_layout_lanes (self, MAX (gtk_widget_get_width (GTK_WIDGET (self)), 1));
}

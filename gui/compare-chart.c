/* compare-chart.c — samples MlTraceStats after every event once per trace,
 * then draws the two panels with cairo. */
#define G_LOG_DOMAIN "ml-compare-chart"

#include <math.h>
#include "compare-chart.h"
#include "trace/trace-stats.h"

#define N_SHOWN 3

static const MlProtocol shown[N_SHOWN] = { ML_PROTO_SMTP, ML_PROTO_POP3, ML_PROTO_IMAP };
/* libadwaita palette: blue 3, orange 3, green 4 — apart in light and dark. */
static const double colours[N_SHOWN][3] = {
  { 0.21, 0.52, 0.89 }, { 1.00, 0.47, 0.00 }, { 0.18, 0.76, 0.49 },
};

typedef struct {
  guint64 time_us;
  guint64 bytes[N_SHOWN];
  guint   trips[N_SHOWN];
} Sample;

struct _MlCompareChart {
  GtkWidget  parent_instance;
  MlPlayer  *player;
  GArray    *samples;      /* of Sample, in time order */
};

G_DEFINE_FINAL_TYPE (MlCompareChart, ml_compare_chart, GTK_TYPE_WIDGET)

static void
resample (MlCompareChart *self)
{
  MlTrace *trace = self->player ? ml_player_get_trace (self->player) : NULL;
  g_autoptr(MlTraceStats) stats = NULL;
  Sample last = { 0 };

  g_array_set_size (self->samples, 0);
  if (trace == NULL)
    return;
  stats = ml_trace_stats_new ();
  g_array_append_val (self->samples, last);
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      Sample s = { 0 };
      gboolean changed = FALSE;

      if (e == NULL)
        continue;
      ml_trace_stats_add_event (stats, e);
      s.time_us = e->time_us;
      for (guint p = 0; p < N_SHOWN; p++)
        {
          const MlProtocolStats *ps = ml_trace_stats_get (stats, shown[p]);

          s.bytes[p] = ps ? ps->payload_bytes : 0;
          s.trips[p] = ps ? ps->round_trips : 0;
          changed |= s.bytes[p] != last.bytes[p] || s.trips[p] != last.trips[p];
        }
      if (changed || i + 1 == ml_trace_get_length (trace))
        {
          g_array_append_val (self->samples, s);
          last = s;
        }
    }
}

static void
on_trace_changed (MlCompareChart *self)
{
  resample (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Type relative to the base font: the chart is read across a classroom. */
#define LABEL_SCALE  1.35
#define TITLE_SCALE  1.6
#define PAD          16.0

static PangoLayout *
make_layout (GtkWidget *widget, const char *text, double scale, gboolean bold)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
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
show_text (cairo_t *cr, GtkWidget *widget, const char *text, double scale, gboolean bold,
           double x, double y, double xalign, int *w_out, int *h_out)
{
  g_autoptr(PangoLayout) layout = make_layout (widget, text, scale, bold);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - w * xalign, y);
  pango_cairo_show_layout (cr, layout);
  if (w_out)
    *w_out = w;
  if (h_out)
    *h_out = h;
}

/* 1, 2 or 5 times a power of ten, at or above @v: an axis a class reads
 * at a glance. */
static double
nice_max (double v)
{
  double p = pow (10, floor (log10 (MAX (v, 1))));

  if (v <= p)
    return p;
  if (v <= 2 * p)
    return 2 * p;
  if (v <= 5 * p)
    return 5 * p;
  return 10 * p;
}

static void
draw_panel (cairo_t *cr, GtkWidget *widget, GArray *samples, gboolean trips,
            double x, double y, double w, double h, double t_max, double marker_t,
            const char *title, const GdkRGBA *fg)
{
  double v_max = 1;
  char buf[64];
  int tw, th;

  for (guint i = 0; i < samples->len; i++)
    {
      const Sample *s = &g_array_index (samples, Sample, i);

      for (guint p = 0; p < N_SHOWN; p++)
        v_max = MAX (v_max, trips ? (double) s->trips[p] : (double) s->bytes[p]);
    }
  v_max = nice_max (v_max);

  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha);
  show_text (cr, widget, title, TITLE_SCALE, TRUE, x, y, 0, NULL, &th);
  y += th + PAD / 2;
  h -= th + PAD / 2;

  /* Axes, with the top and bottom of the scale and the lesson's length. */
  cairo_set_line_width (cr, 2);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x, y + h);
  cairo_line_to (cr, x + w, y + h);
  cairo_stroke (cr);
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha * 0.15);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x + w, y);
  cairo_move_to (cr, x, y + h / 2);
  cairo_line_to (cr, x + w, y + h / 2);
  cairo_stroke (cr);
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha * 0.75);
  g_snprintf (buf, sizeof buf, "%.0f", v_max);
  show_text (cr, widget, buf, LABEL_SCALE, FALSE, x - PAD / 2, y - 2, 1.0, NULL, &th);
  g_snprintf (buf, sizeof buf, "%.0f", v_max / 2);
  show_text (cr, widget, buf, LABEL_SCALE, FALSE, x - PAD / 2, y + h / 2 - th / 2.0, 1.0, NULL, NULL);
  show_text (cr, widget, "0", LABEL_SCALE, FALSE, x - PAD / 2, y + h - th, 1.0, NULL, NULL);
  g_snprintf (buf, sizeof buf, "%.3g s", t_max / 1e6);
  show_text (cr, widget, buf, LABEL_SCALE, FALSE, x + w, y + h + 4, 1.0, &tw, NULL);

  /* Cumulative figures only rise: a step line says "this exchange added". */
  cairo_set_line_width (cr, 4);
  for (guint p = 0; p < N_SHOWN; p++)
    {
      cairo_set_source_rgb (cr, colours[p][0], colours[p][1], colours[p][2]);
      for (guint i = 0; i < samples->len; i++)
        {
          const Sample *s = &g_array_index (samples, Sample, i);
          double v = trips ? (double) s->trips[p] : (double) s->bytes[p];
          double px = x + w * (double) s->time_us / t_max;
          double py = y + h - h * v / v_max;

          if (i == 0)
            cairo_move_to (cr, px, py);
          else
            {
              double cx, cy;

              cairo_get_current_point (cr, &cx, &cy);
              cairo_line_to (cr, px, cy);
              cairo_line_to (cr, px, py);
            }
        }
      cairo_stroke (cr);
    }

  /* The player's time. */
  cairo_set_source_rgba (cr, 0.88, 0.11, 0.14, 0.9);
  cairo_set_line_width (cr, 3);
  cairo_move_to (cr, x + w * marker_t / t_max, y);
  cairo_line_to (cr, x + w * marker_t / t_max, y + h);
  cairo_stroke (cr);
}

/* The figures at the player's time (the last sample at or before it). */
static const Sample *
sample_at (GArray *samples, guint64 time_us)
{
  const Sample *found = NULL;

  for (guint i = 0; i < samples->len; i++)
    {
      const Sample *s = &g_array_index (samples, Sample, i);

      if (s->time_us > time_us)
        break;
      found = s;
    }
  return found;
}

static void
ml_compare_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  MlCompareChart *self = ML_COMPARE_CHART (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  const MlTraceEvent *now = self->player ? ml_player_get_event (self->player) : NULL;
  const Sample *current;
  GdkRGBA fg;
  double t_max = 1, left, right, panel_h, ly;
  int digits_w, legend_w = 0;
  cairo_t *cr;

  if (w < 200 || h < 120 || self->samples->len == 0)
    return;
  t_max = MAX (1.0, (double) g_array_index (self->samples, Sample, self->samples->len - 1).time_us);
  current = sample_at (self->samples, now ? now->time_us : 0);
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, (float) w, (float) h));

  /* Room on the left for the widest scale number, on the right for the
   * legend with the figures so far. */
  {
    g_autoptr(PangoLayout) digits = make_layout (widget, "0000000", LABEL_SCALE, FALSE);
    g_autoptr(PangoLayout) legend = make_layout (widget, "IMAP 000000 octets", LABEL_SCALE, TRUE);

    pango_layout_get_pixel_size (digits, &digits_w, NULL);
    pango_layout_get_pixel_size (legend, &legend_w, NULL);
  }
  left = PAD + digits_w + PAD / 2;
  right = legend_w + 48 + 2 * PAD;
  panel_h = (h - 4 * PAD - 30) / 2;
  draw_panel (cr, widget, self->samples, FALSE, left, PAD, w - left - right, panel_h,
              t_max, now ? (double) now->time_us : 0, "Payload octets (cumulative)", &fg);
  draw_panel (cr, widget, self->samples, TRUE, left, 2 * PAD + 30 + panel_h, w - left - right, panel_h,
              t_max, now ? (double) now->time_us : 0, "Round trips (cumulative)", &fg);

  /* Legend: each protocol with its figures at the cursor. */
  ly = PAD + 8;
  for (guint p = 0; p < N_SHOWN; p++)
    {
      char buf[96];
      int th;

      cairo_set_source_rgb (cr, colours[p][0], colours[p][1], colours[p][2]);
      cairo_rectangle (cr, w - right + PAD, ly + 8, 32, 10);
      cairo_fill (cr);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha);
      show_text (cr, widget, ml_protocol_to_string (shown[p]), LABEL_SCALE, TRUE,
                 w - right + PAD + 44, ly, 0, NULL, &th);
      ly += th;
      g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT " octets\n%u round trips",
                  current ? current->bytes[p] : 0, current ? current->trips[p] : 0);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha * 0.75);
      show_text (cr, widget, buf, LABEL_SCALE * 0.85, FALSE, w - right + PAD + 44, ly, 0, NULL, &th);
      ly += th + PAD;
    }
  cairo_destroy (cr);
}

void
ml_compare_chart_set_player (MlCompareChart *self, MlPlayer *player)
{
  g_return_if_fail (ML_IS_COMPARE_CHART (self));

  if (self->player)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_set_object (&self->player, player);
  if (player)
    {
      g_signal_connect_swapped (player, "notify::position", G_CALLBACK (gtk_widget_queue_draw), self);
      g_signal_connect_swapped (player, "notify::trace", G_CALLBACK (on_trace_changed), self);
      g_signal_connect_swapped (player, "trace-grew", G_CALLBACK (on_trace_changed), self);
    }
  on_trace_changed (self);
}

guint
ml_compare_chart_get_n_samples (MlCompareChart *self)
{
  g_return_val_if_fail (ML_IS_COMPARE_CHART (self), 0);
  return self->samples->len;
}

GtkWidget *
ml_compare_chart_new (void)
{
  return g_object_new (ML_TYPE_COMPARE_CHART, NULL);
}

static void
ml_compare_chart_dispose (GObject *object)
{
  MlCompareChart *self = ML_COMPARE_CHART (object);

  if (self->player)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_clear_object (&self->player);
  G_OBJECT_CLASS (ml_compare_chart_parent_class)->dispose (object);
}

static void
ml_compare_chart_finalize (GObject *object)
{
  g_array_unref (ML_COMPARE_CHART (object)->samples);
  G_OBJECT_CLASS (ml_compare_chart_parent_class)->finalize (object);
}

static void
ml_compare_chart_class_init (MlCompareChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_compare_chart_dispose;
  object_class->finalize = ml_compare_chart_finalize;
  widget_class->snapshot = ml_compare_chart_snapshot;
  gtk_widget_class_set_css_name (widget_class, "comparechart");
}

static void
ml_compare_chart_init (MlCompareChart *self)
{
  self->samples = g_array_new (FALSE, TRUE, sizeof (Sample));
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
}

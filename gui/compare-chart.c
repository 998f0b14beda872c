/* compare-chart.c — samples MlTraceStats after every event once per trace,
 * then draws the two panels with cairo. */
#define G_LOG_DOMAIN "ml-compare-chart"

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

static void
draw_panel (cairo_t *cr, PangoLayout *layout, GArray *samples, gboolean trips,
            double x, double y, double w, double h, double t_max, double marker_t,
            const char *title, const GdkRGBA *fg)
{
  double v_max = 1;
  char buf[64];

  for (guint i = 0; i < samples->len; i++)
    {
      const Sample *s = &g_array_index (samples, Sample, i);

      for (guint p = 0; p < N_SHOWN; p++)
        v_max = MAX (v_max, trips ? (double) s->trips[p] : (double) s->bytes[p]);
    }

  /* Axes and labels. */
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha);
  cairo_set_line_width (cr, 1.5);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x, y + h);
  cairo_line_to (cr, x + w, y + h);
  cairo_stroke (cr);
  pango_layout_set_text (layout, title, -1);
  cairo_move_to (cr, x + 8, y - 4);
  pango_cairo_show_layout (cr, layout);
  g_snprintf (buf, sizeof buf, "%.0f", v_max);
  pango_layout_set_text (layout, buf, -1);
  cairo_move_to (cr, 4, y + 20);
  pango_cairo_show_layout (cr, layout);
  pango_layout_set_text (layout, "0", -1);
  cairo_move_to (cr, x - 20, y + h - 20);
  pango_cairo_show_layout (cr, layout);
  g_snprintf (buf, sizeof buf, "%.0f s", t_max / 1e6);
  pango_layout_set_text (layout, buf, -1);
  cairo_move_to (cr, x + w - 50, y + h + 4);
  pango_cairo_show_layout (cr, layout);

  /* Cumulative figures only rise: a step line says "this exchange added". */
  cairo_set_line_width (cr, 3);
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
  cairo_set_line_width (cr, 2);
  cairo_move_to (cr, x + w * marker_t / t_max, y);
  cairo_line_to (cr, x + w * marker_t / t_max, y + h);
  cairo_stroke (cr);
}

static void
ml_compare_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  MlCompareChart *self = ML_COMPARE_CHART (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  const MlTraceEvent *now = self->player ? ml_player_get_event (self->player) : NULL;
  g_autoptr(PangoLayout) layout = NULL;
  GdkRGBA fg;
  double t_max = 1, left = 80, right = 160, panel_h;
  cairo_t *cr;

  if (w < 200 || h < 120 || self->samples->len == 0)
    return;
  t_max = MAX (1.0, (double) g_array_index (self->samples, Sample, self->samples->len - 1).time_us);
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, (float) w, (float) h));
  layout = gtk_widget_create_pango_layout (widget, NULL);
  panel_h = (h - 100) / 2;
  draw_panel (cr, layout, self->samples, FALSE, left, 30, w - left - right, panel_h,
              t_max, now ? (double) now->time_us : 0, "Payload octets (cumulative)", &fg);
  draw_panel (cr, layout, self->samples, TRUE, left, 70 + panel_h, w - left - right, panel_h,
              t_max, now ? (double) now->time_us : 0, "Round trips (cumulative)", &fg);

  /* Legend. */
  for (guint p = 0; p < N_SHOWN; p++)
    {
      cairo_set_source_rgb (cr, colours[p][0], colours[p][1], colours[p][2]);
      cairo_rectangle (cr, w - right + 20, 40 + 30 * p, 24, 8);
      cairo_fill (cr);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha);
      pango_layout_set_text (layout, ml_protocol_to_string (shown[p]), -1);
      cairo_move_to (cr, w - right + 52, 34 + 30 * p);
      pango_cairo_show_layout (cr, layout);
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

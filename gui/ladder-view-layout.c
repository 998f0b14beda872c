#define G_LOG_DOMAIN "ml-ladder-view"

/* ladder-view-layout.c — MlLadderView's geometry: type sizes from the
 * font and zoom, lanes across the width, rows down the scrollable height,
 * and which row lies where. */

#include <math.h>
#include "ladder-view-private.h"

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

void
_ml_ladder_view_clear_metrics (MlLadderView *self)
{
  self->metrics_valid = FALSE;
  g_clear_pointer (&self->font, pango_font_description_free);
  g_clear_pointer (&self->small_font, pango_font_description_free);
  g_clear_pointer (&self->header_font, pango_font_description_free);
}

/* Sizes follow the system font times the zoom, and start a good deal
 * larger than body text: a ladder is read from the back of a room. */
void
_ml_ladder_view_ensure_metrics (MlLadderView *self)
{
  const PangoFontDescription *base;
  int line_h, digits_w, em_w;

  if (self->metrics_valid)
    return;
  _ml_ladder_view_clear_metrics (self);

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

const MlStepIndex *
_ml_ladder_view_current_index (MlLadderView *self)
{
  if (self->player == NULL)
    return NULL;
  return ml_player_get_step_index (self->player);
}

MlTrace *
_ml_ladder_view_current_trace (MlLadderView *self)
{
  return self->player ? ml_player_get_trace (self->player) : NULL;
}

MlLadderLanes *
_ml_ladder_view_ensure_lanes (MlLadderView *self)
{
  if (self->lanes == NULL)
    self->lanes = ml_ladder_lanes_new (_ml_ladder_view_current_trace (self), _ml_ladder_view_current_index (self),
                                       self->player ? ml_player_get_hosts (self->player) : NULL);
  return self->lanes;
}

guint64
ml_ladder_view_get_n_rows (MlLadderView *self)
{
  const MlStepIndex *index;

  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 0);
  index = _ml_ladder_view_current_index (self);
  return index ? ml_step_index_get_n_rows (index) : 0;
}

/* Lanes share the width left of the time column; when they would be
 * closer than a label needs, the ladder grows wider and scrolls. */
void
_ml_ladder_view_layout_lanes (MlLadderView *self, int width)
{
  guint n = ml_ladder_lanes_get_n (_ml_ladder_view_ensure_lanes (self));
  double avail = width - self->time_w - 2.0 * self->margin;

  self->spacing = n ? MAX ((double) self->min_spacing, avail / n) : 0;
  self->content_w = MAX ((double) width, self->time_w + 2.0 * self->margin + self->spacing * n);
}

double
_ml_ladder_view_lane_content_x (MlLadderView *self, guint lane)
{
  return self->time_w + self->margin + self->spacing * (lane + 0.5);
}

double
_ml_ladder_view_hvalue (MlLadderView *self)
{
  if (self->page_override)
    return 0;
  return self->hadjustment ? gtk_adjustment_get_value (self->hadjustment) : 0;
}

double
_ml_ladder_view_vvalue (MlLadderView *self)
{
  if (self->page_override)
    return self->page_v;
  return self->vadjustment ? gtk_adjustment_get_value (self->vadjustment) : 0;
}

void
_ml_ladder_view_configure_adjustments (MlLadderView *self, int width, int height)
{
  double page, upper;

  if (self->vadjustment)
    {
      page = MAX (1.0, (double) height - self->header_h);
      /* Half a row of air below the last one. */
      upper = MAX (page, (double) ml_ladder_view_get_n_rows (self) * self->row_h + self->row_h / 2.0);
      gtk_adjustment_configure (self->vadjustment,
                                CLAMP (_ml_ladder_view_vvalue (self), 0, upper - page),
                                0, upper, self->row_h, page * 0.9, page);
    }
  if (self->hadjustment)
    {
      page = MAX (1, width);
      upper = MAX (page, self->content_w);
      gtk_adjustment_configure (self->hadjustment,
                                CLAMP (_ml_ladder_view_hvalue (self), 0, upper - page),
                                0, upper, self->spacing / 4 + 1, page * 0.9, page);
    }
}

gboolean
_ml_ladder_view_current_row (MlLadderView *self, guint64 *row_out)
{
  const MlStepIndex *index = _ml_ladder_view_current_index (self);

  if (index == NULL || _ml_ladder_view_current_trace (self) == NULL)
    return FALSE;
  return ml_step_index_find_row (index, ml_player_get_position (self->player), row_out);
}

/* Keeps the current step in view; a long jump centres it. */
void
_ml_ladder_view_scroll_to_current (MlLadderView *self)
{
  double page, value, top, target;
  guint64 row;

  if (self->vadjustment == NULL || !_ml_ladder_view_current_row (self, &row))
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

void
ml_ladder_view_get_page_metrics (MlLadderView *self, double *content_width,
                                 double *header_height, double *row_height)
{
  g_return_if_fail (ML_IS_LADDER_VIEW (self));

  _ml_ladder_view_ensure_metrics (self);
  _ml_ladder_view_ensure_lanes (self);
  _ml_ladder_view_layout_lanes (self, MAX (gtk_widget_get_width (GTK_WIDGET (self)), 1));
  if (content_width)
    *content_width = self->content_w;
  if (header_height)
    *header_height = self->header_h;
  if (row_height)
    *row_height = self->row_h;
}

void
_ml_ladder_view_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  MlLadderView *self = ML_LADDER_VIEW (widget);

  _ml_ladder_view_ensure_metrics (self);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      guint n = ml_ladder_lanes_get_n (_ml_ladder_view_ensure_lanes (self));

      *minimum = self->time_w + self->min_spacing;
      *natural = self->time_w + 2 * self->margin + self->min_spacing * (int) MAX (n, 1);
    }
  else
    {
      *minimum = self->header_h + self->row_h;
      *natural = self->header_h + self->row_h * (int) CLAMP (ml_ladder_view_get_n_rows (self), 1, 12);
    }
}

void
_ml_ladder_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  MlLadderView *self = ML_LADDER_VIEW (widget);

  _ml_ladder_view_ensure_metrics (self);
  _ml_ladder_view_layout_lanes (self, width);
  _ml_ladder_view_configure_adjustments (self, width, height);
  if (self->scroll_pending)
    _ml_ladder_view_scroll_to_current (self);
}

guint
ml_ladder_view_get_n_lanes (MlLadderView *self)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 0);
  return ml_ladder_lanes_get_n (_ml_ladder_view_ensure_lanes (self));
}

const char *
ml_ladder_view_get_lane_name (MlLadderView *self, guint lane)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), NULL);
  g_return_val_if_fail (lane < ml_ladder_view_get_n_lanes (self), NULL);
  return ml_ladder_lanes_get_name (_ml_ladder_view_ensure_lanes (self), lane);
}

double
ml_ladder_view_get_lane_x (MlLadderView *self, guint lane)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 0);
  g_return_val_if_fail (lane < ml_ladder_view_get_n_lanes (self), 0);

  _ml_ladder_view_ensure_metrics (self);
  return _ml_ladder_view_lane_content_x (self, lane) - _ml_ladder_view_hvalue (self);
}

gint64
ml_ladder_view_get_highlighted_row (MlLadderView *self)
{
  guint64 row;

  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), -1);
  if (!_ml_ladder_view_current_row (self, &row))
    return -1;
  return (gint64) row;
}

gint64
ml_ladder_view_get_row_at_y (MlLadderView *self, double y)
{
  double content_y;
  guint64 row;

  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), -1);

  _ml_ladder_view_ensure_metrics (self);
  if (y < self->header_h || _ml_ladder_view_current_index (self) == NULL)
    return -1;
  content_y = y - self->header_h + _ml_ladder_view_vvalue (self);
  row = (guint64) (content_y / self->row_h);
  if (row >= ml_ladder_view_get_n_rows (self))
    return -1;
  return (gint64) row;
}

double
ml_ladder_view_get_row_y (MlLadderView *self, guint64 row)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 0);

  _ml_ladder_view_ensure_metrics (self);
  return self->header_h + (double) row * self->row_h - _ml_ladder_view_vvalue (self);
}

double
ml_ladder_view_get_row_height (MlLadderView *self)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 0);

  _ml_ladder_view_ensure_metrics (self);
  return self->row_h;
}

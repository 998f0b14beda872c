#define G_LOG_DOMAIN "ml-hex-view"

#include <string.h>
#include "hex-view.h"

/* Columns of one row, in characters: "0000  xx xx … xx  xx … xx  ascii". */
#define OFFSET_COLS  6
#define HEX_COLS     (ML_HEX_BYTES_PER_ROW * 3 + 1)
#define ASCII_COL    (OFFSET_COLS + HEX_COLS + 1)
#define ROW_COLS     (ASCII_COL + ML_HEX_BYTES_PER_ROW)
#define PAD          8

struct _MlHexView
{
  GtkWidget  parent_instance;
  GBytes    *bytes;
  gsize      hl_offset;
  gsize      hl_length;
  PangoFontDescription *font;
  int        char_w;
  int        line_h;
  gboolean   scroll_pending;
  guint      scroll_tick;
};

G_DEFINE_FINAL_TYPE (MlHexView, ml_hex_view, GTK_TYPE_WIDGET)

enum {
  BYTE_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static int
hex_col (guint i)
{
  /* An extra space splits the row into two groups of eight. */
  return OFFSET_COLS + (int) i * 3 + (i >= ML_HEX_BYTES_PER_ROW / 2 ? 1 : 0);
}

static void
ensure_font (MlHexView *self)
{
  const PangoFontDescription *base;
  g_autoptr(PangoLayout) layout = NULL;
  int w, h;

  if (self->font)
    return;
  base = pango_context_get_font_description (gtk_widget_get_pango_context (GTK_WIDGET (self)));
  self->font = pango_font_description_copy (base);
  pango_font_description_set_family (self->font, "Monospace");
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), "0123456789abcdef");
  pango_layout_set_font_description (layout, self->font);
  pango_layout_get_pixel_size (layout, &w, &h);
  self->char_w = MAX (1, (w + 15) / 16);
  self->line_h = h + 2;
}

static gsize
n_bytes (MlHexView *self)
{
  return self->bytes ? g_bytes_get_size (self->bytes) : 0;
}

static char *
format_row (const guint8 *data, gsize len, gsize row)
{
  char line[ROW_COLS + 1];
  gsize start = row * ML_HEX_BYTES_PER_ROW;

  memset (line, ' ', ROW_COLS);
  line[ROW_COLS] = '\0';
  g_snprintf (line, OFFSET_COLS, "%04" G_GSIZE_MODIFIER "x", start);
  line[strlen (line)] = ' ';
  for (guint i = 0; i < ML_HEX_BYTES_PER_ROW && start + i < len; i++)
    {
      static const char digits[] = "0123456789abcdef";
      guint8 b = data[start + i];

      line[hex_col (i)] = digits[b >> 4];
      line[hex_col (i) + 1] = digits[b & 0xf];
      line[ASCII_COL + i] = (b >= 0x20 && b < 0x7f) ? (char) b : '.';
    }
  return g_strdup (line);
}

static void
ml_hex_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  MlHexView *self = ML_HEX_VIEW (widget);
  const guint8 *data;
  gsize len, rows;
  GdkRGBA fg, hl, dim;
  GtkStyleContext *context = gtk_widget_get_style_context (widget);

  if (self->bytes == NULL)
    return;
  ensure_font (self);
  data = g_bytes_get_data (self->bytes, &len);
  rows = (len + ML_HEX_BYTES_PER_ROW - 1) / ML_HEX_BYTES_PER_ROW;
  gtk_style_context_get_color (context, &fg);
  if (!gtk_style_context_lookup_color (context, "accent_bg_color", &hl))
    gdk_rgba_parse (&hl, "#3584e4");
  hl.alpha = 0.35f;
  dim = fg;
  dim.alpha = 0.55f;

  for (gsize i = self->hl_offset; i < self->hl_offset + self->hl_length && i < len; i++)
    {
      gsize row = i / ML_HEX_BYTES_PER_ROW;
      guint col = i % ML_HEX_BYTES_PER_ROW;
      float y = (float) (PAD + row * self->line_h);
      /* The space after a byte is lit too, unless the range ends there,
       * so a field reads as one block. */
      float hex_w = self->char_w * ((i + 1 < self->hl_offset + self->hl_length
                                     && col + 1 < ML_HEX_BYTES_PER_ROW)
                                    ? hex_col (col + 1) - hex_col (col) : 2);

      gtk_snapshot_append_color (snapshot, &hl,
                                 &GRAPHENE_RECT_INIT (PAD + hex_col (col) * self->char_w, y,
                                                      hex_w, self->line_h));
      gtk_snapshot_append_color (snapshot, &hl,
                                 &GRAPHENE_RECT_INIT (PAD + (ASCII_COL + col) * self->char_w, y,
                                                      self->char_w, self->line_h));
    }

  for (gsize row = 0; row < rows; row++)
    {
      g_autofree char *text = format_row (data, len, row);
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
      g_autoptr(PangoLayout) offset = gtk_widget_create_pango_layout (widget, NULL);

      pango_layout_set_font_description (layout, self->font);
      pango_layout_set_font_description (offset, self->font);
      /* The offset column is drawn dimmer, over blanks in the row text. */
      pango_layout_set_text (offset, text, OFFSET_COLS - 2);
      memset (text, ' ', OFFSET_COLS - 2);
      pango_layout_set_text (layout, text, -1);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (PAD, (float) (PAD + row * self->line_h + 1)));
      gtk_snapshot_append_layout (snapshot, offset, &dim);
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      gtk_snapshot_restore (snapshot);
    }
}

static void
ml_hex_view_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  MlHexView *self = ML_HEX_VIEW (widget);
  gsize rows;

  ensure_font (self);
  rows = (n_bytes (self) + ML_HEX_BYTES_PER_ROW - 1) / ML_HEX_BYTES_PER_ROW;
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = 2 * PAD + ROW_COLS * self->char_w;
  else
    *minimum = *natural = 2 * PAD + (int) rows * self->line_h;
}

/* Brings the lit bytes into view in the viewport around the view, at the
 * start of the frame after the one that laid us out: the viewport's
 * adjustment holds the new page size by then, and moving it queues an
 * allocation of the viewport that this frame's layout pass takes care of.
 * Moving it from our own size_allocate (inside the viewport's) left the
 * viewport needing an allocation when it was drawn, and GTK warned
 * "Trying to snapshot GtkViewport without a current allocation". */
static gboolean
scroll_to_highlight (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  MlHexView *self = ML_HEX_VIEW (widget);
  GtkWidget *viewport;
  GtkAdjustment *vadj;
  double top, bottom, value, page;

  self->scroll_tick = 0;
  if (!self->scroll_pending || self->hl_length == 0)
    return G_SOURCE_REMOVE;
  self->scroll_pending = FALSE;
  viewport = gtk_widget_get_ancestor (widget, GTK_TYPE_VIEWPORT);
  if (viewport == NULL || (vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (viewport))) == NULL)
    return G_SOURCE_REMOVE;
  ensure_font (self);
  top = PAD + (double) (self->hl_offset / ML_HEX_BYTES_PER_ROW) * self->line_h;
  bottom = PAD + (double) ((self->hl_offset + self->hl_length - 1) / ML_HEX_BYTES_PER_ROW + 1) * self->line_h;
  value = gtk_adjustment_get_value (vadj);
  page = gtk_adjustment_get_page_size (vadj);
  if (top < value || bottom - top > page)
    gtk_adjustment_set_value (vadj, top - PAD);
  else if (bottom > value + page)
    gtk_adjustment_set_value (vadj, bottom - page + PAD);
  return G_SOURCE_REMOVE;
}

static void
ml_hex_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  MlHexView *self = ML_HEX_VIEW (widget);

  if (self->scroll_pending && self->hl_length > 0 && self->scroll_tick == 0)
    self->scroll_tick = gtk_widget_add_tick_callback (widget, scroll_to_highlight, NULL, NULL);
}

static void
ml_hex_view_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  MlHexView *self = ML_HEX_VIEW (widget);

  GTK_WIDGET_CLASS (ml_hex_view_parent_class)->css_changed (widget, change);
  g_clear_pointer (&self->font, pango_font_description_free);
  gtk_widget_queue_resize (widget);
}

gssize
ml_hex_view_get_byte_at (MlHexView *self, double x, double y)
{
  int row, col;
  gsize offset;

  g_return_val_if_fail (ML_IS_HEX_VIEW (self), -1);

  ensure_font (self);
  if (x < PAD || y < PAD)
    return -1;
  row = (int) ((y - PAD) / self->line_h);
  col = (int) ((x - PAD) / self->char_w);
  if (col >= ASCII_COL && col < ROW_COLS)
    offset = (gsize) row * ML_HEX_BYTES_PER_ROW + (gsize) (col - ASCII_COL);
  else
    {
      guint i;

      for (i = 0; i < ML_HEX_BYTES_PER_ROW; i++)
        if (col >= hex_col (i) && col < hex_col (i) + 2)
          break;
      if (i == ML_HEX_BYTES_PER_ROW)
        return -1;
      offset = (gsize) row * ML_HEX_BYTES_PER_ROW + i;
    }
  return offset < n_bytes (self) ? (gssize) offset : -1;
}

static void
on_pressed (GtkGestureClick *gesture, int n_press, double x, double y, MlHexView *self)
{
  gssize offset = ml_hex_view_get_byte_at (self, x, y);

  if (offset >= 0)
    g_signal_emit (self, signals[BYTE_ACTIVATED], 0, (guint) offset);
}

static void
ml_hex_view_dispose (GObject *object)
{
  MlHexView *self = ML_HEX_VIEW (object);

  if (self->scroll_tick)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->scroll_tick);
  self->scroll_tick = 0;
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_clear_pointer (&self->font, pango_font_description_free);
  G_OBJECT_CLASS (ml_hex_view_parent_class)->dispose (object);
}

static void
ml_hex_view_class_init (MlHexViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_hex_view_dispose;
  widget_class->snapshot = ml_hex_view_snapshot;
  widget_class->measure = ml_hex_view_measure;
  widget_class->css_changed = ml_hex_view_css_changed;
  widget_class->size_allocate = ml_hex_view_size_allocate;

  signals[BYTE_ACTIVATED] =
    g_signal_new ("byte-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

  gtk_widget_class_set_css_name (widget_class, "hexview");
}

static void
ml_hex_view_init (MlHexView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
ml_hex_view_new (void)
{
  return g_object_new (ML_TYPE_HEX_VIEW, NULL);
}

void
ml_hex_view_set_bytes (MlHexView *self, GBytes *bytes)
{
  g_return_if_fail (ML_IS_HEX_VIEW (self));

  if (bytes)
    g_bytes_ref (bytes);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  self->bytes = bytes;
  self->hl_offset = self->hl_length = 0;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

GBytes *
ml_hex_view_get_bytes (MlHexView *self)
{
  g_return_val_if_fail (ML_IS_HEX_VIEW (self), NULL);
  return self->bytes;
}

void
ml_hex_view_set_highlight (MlHexView *self, gsize offset, gsize length)
{
  g_return_if_fail (ML_IS_HEX_VIEW (self));

  if (self->hl_offset == offset && self->hl_length == length)
    return;
  self->hl_offset = offset;
  self->hl_length = length;
  self->scroll_pending = TRUE;
  gtk_widget_queue_allocate (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ml_hex_view_get_highlight (MlHexView *self, gsize *offset, gsize *length)
{
  g_return_if_fail (ML_IS_HEX_VIEW (self));

  if (offset)
    *offset = self->hl_offset;
  if (length)
    *length = self->hl_length;
}

/* ladder-export.c — rendering the ladder's own snapshot onto a cairo
 * surface of the wanted kind, so the picture is exactly what is on screen. */
#define G_LOG_DOMAIN "ml-ladder-export"

#include "ladder-export.h"
#include "trace/transcript-writer.h"

#include <math.h>
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>

MlLadderExportFormat
ml_ladder_export_format_for_path (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path ? path : "", -1);

  if (g_str_has_suffix (lower, ".svg"))
    return ML_LADDER_EXPORT_SVG;
  if (g_str_has_suffix (lower, ".pdf"))
    return ML_LADDER_EXPORT_PDF;
  return ML_LADDER_EXPORT_PNG;
}

static gboolean
check_surface (cairo_surface_t *surface, const char *path, GError **error)
{
  cairo_status_t status = cairo_surface_status (surface);

  if (status == CAIRO_STATUS_SUCCESS)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s",
               path, cairo_status_to_string (status));
  return FALSE;
}

gboolean
ml_ladder_export_widget (GtkWidget            *widget,
                         const char           *path,
                         MlLadderExportFormat  format,
                         GError              **error)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  int width, height;
  gboolean ok;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  if (width <= 0 || height <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   "the ladder has no size yet");
      return FALSE;
    }

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));

  switch (format)
    {
    case ML_LADDER_EXPORT_SVG:
      surface = cairo_svg_surface_create (path, width, height);
      break;
    case ML_LADDER_EXPORT_PDF:
      surface = cairo_pdf_surface_create (path, width, height);
      break;
    case ML_LADDER_EXPORT_PNG:
    default:
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
      break;
    }
  if (!check_surface (surface, path, error))
    {
      cairo_surface_destroy (surface);
      return FALSE;
    }

  cr = cairo_create (surface);
  /* A picture on paper has no window behind it: paint the page white. */
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (node)
    gsk_render_node_draw (node, cr);
  cairo_destroy (cr);

  if (format == ML_LADDER_EXPORT_PNG)
    {
      cairo_status_t status = cairo_surface_write_to_png (surface, path);

      if (status != CAIRO_STATUS_SUCCESS)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s",
                       path, cairo_status_to_string (status));
          cairo_surface_destroy (surface);
          return FALSE;
        }
    }
  cairo_surface_finish (surface);
  ok = check_surface (surface, path, error);
  cairo_surface_destroy (surface);
  return ok;
}

static cairo_surface_t *
create_surface (MlLadderExportFormat format, const char *path, double width, double height)
{
  switch (format)
    {
    case ML_LADDER_EXPORT_SVG:
      return cairo_svg_surface_create (path, width, height);
    case ML_LADDER_EXPORT_PDF:
      return cairo_pdf_surface_create (path, width, height);
    case ML_LADDER_EXPORT_PNG:
    default:
      return cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) ceil (width), (int) ceil (height));
    }
}

/* One page of the ladder from @first_row, at (0, @y) on @cr. */
static void
draw_page (MlLadderView *ladder, cairo_t *cr, guint64 first_row, int width, int height)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;

  ml_ladder_view_snapshot_page (ladder, snapshot, first_row, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  /* A picture on paper has no window behind it: paint the page white. */
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (node)
    gsk_render_node_draw (node, cr);
}

gboolean
ml_ladder_export_all (MlLadderView          *ladder,
                      const char            *path,
                      MlLadderExportFormat   format,
                      guint                 *pages_out,
                      GError               **error)
{
  double content_w, header_h, row_h;
  guint64 n_rows, rows_per_page, pages;
  int width, height;
  cairo_surface_t *surface;
  cairo_t *cr;
  gboolean ok;

  g_return_val_if_fail (ML_IS_LADDER_VIEW (ladder), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  n_rows = ml_ladder_view_get_n_rows (ladder);
  if (n_rows == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "the ladder is empty");
      return FALSE;
    }
  ml_ladder_view_get_page_metrics (ladder, &content_w, &header_h, &row_h);
  width = (int) ceil (MAX (content_w, ML_LADDER_EXPORT_MIN_WIDTH));

  if (format == ML_LADDER_EXPORT_PDF)
    {
      /* Landscape pages in A4's proportions (ISO 216), the lane names on
       * top of each so a page can be read alone. */
      height = (int) ceil (width / G_SQRT2);
      height = MAX (height, (int) ceil (header_h + ML_LADDER_EXPORT_MIN_PAGE_ROWS * row_h));
      rows_per_page = (guint64) MAX (1.0, floor ((height - header_h) / row_h));
      pages = (n_rows + rows_per_page - 1) / rows_per_page;
      if (pages > ML_LADDER_EXPORT_MAX_PAGES)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                       "%" G_GUINT64_FORMAT " rows would take %" G_GUINT64_FORMAT " pages (at most %d): "
                       "export the transcript instead", n_rows, pages, ML_LADDER_EXPORT_MAX_PAGES);
          return FALSE;
        }
    }
  else
    {
      double whole = header_h + (double) n_rows * row_h + row_h / 2.0;

      if (whole > ML_LADDER_EXPORT_MAX_HEIGHT)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                       "%" G_GUINT64_FORMAT " rows make a picture %.0f pixels tall (at most %d): "
                       "export a PDF, which is split into pages", n_rows, whole, ML_LADDER_EXPORT_MAX_HEIGHT);
          return FALSE;
        }
      height = (int) ceil (whole);
      rows_per_page = n_rows;
      pages = 1;
    }

  surface = create_surface (format, path, width, height);
  if (!check_surface (surface, path, error))
    {
      cairo_surface_destroy (surface);
      return FALSE;
    }
  cr = cairo_create (surface);
  for (guint64 p = 0; p < pages; p++)
    {
      draw_page (ladder, cr, p * rows_per_page, width, height);
      if (format == ML_LADDER_EXPORT_PDF)
        cairo_show_page (cr);
    }
  cairo_destroy (cr);
  if (format == ML_LADDER_EXPORT_PNG)
    {
      cairo_status_t status = cairo_surface_write_to_png (surface, path);

      if (status != CAIRO_STATUS_SUCCESS)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s",
                       path, cairo_status_to_string (status));
          cairo_surface_destroy (surface);
          return FALSE;
        }
    }
  cairo_surface_finish (surface);
  ok = check_surface (surface, path, error);
  cairo_surface_destroy (surface);
  if (ok && pages_out)
    *pages_out = (guint) pages;
  return ok;
}

gboolean
ml_transcript_export (MlTrace *trace, const char *path, GError **error)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (ML_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      g_autofree char *line = e ? ml_transcript_format_event (e) : NULL;

      if (line == NULL)
        continue;
      g_string_append (text, line);
      if (!g_str_has_suffix (line, "\n"))
        g_string_append_c (text, '\n');
    }
  return g_file_set_contents (path, text->str, (gssize) text->len, error);
}

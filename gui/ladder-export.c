/* ladder-export.c — rendering the ladder's own snapshot onto a cairo
 * surface of the wanted kind, so the picture is exactly what is on screen. */
#define G_LOG_DOMAIN "ml-ladder-export"

#include "ladder-export.h"
#include "trace/transcript-writer.h"

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

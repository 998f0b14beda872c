/* ladder-export.h — the ladder as a picture (PNG, SVG, PDF) and the trace
 * as a text transcript, for handouts and slides. */
#pragma once

#include <gtk/gtk.h>
#include "trace/trace.h"
#include "ladder-view.h"

G_BEGIN_DECLS

typedef enum {
  ML_LADDER_EXPORT_PNG,
  ML_LADDER_EXPORT_SVG,
  ML_LADDER_EXPORT_PDF,
} MlLadderExportFormat;

/* From the file name's extension; PNG when it says nothing we know. */
MlLadderExportFormat ml_ladder_export_format_for_path (const char *path);

/* Draws what @widget (the ladder, borrowed) shows now into @path. The
 * widget must be realized and have a size. */
gboolean ml_ladder_export_widget (GtkWidget             *widget,
                                  const char            *path,
                                  MlLadderExportFormat   format,
                                  GError               **error);

/* Limits of a whole-ladder export. Cairo's image surfaces stop at 32767
 * pixels a side; an SVG that tall is already more than a viewer likes. */
#define ML_LADDER_EXPORT_MAX_HEIGHT     32000
#define ML_LADDER_EXPORT_MAX_PAGES      2000
#define ML_LADDER_EXPORT_MIN_WIDTH      800
#define ML_LADDER_EXPORT_MIN_PAGE_ROWS  8

/* Draws the WHOLE ladder of the current mode, not only the rows in view,
 * into @path: one tall picture for PNG and SVG, landscape pages with the
 * lane names on each for PDF (slides and handouts). @pages_out (may be
 * NULL) gets the pages written. FALSE with G_IO_ERROR_NO_SPACE when the
 * ladder is longer than the limits above. */
gboolean ml_ladder_export_all    (MlLadderView          *ladder,
                                  const char            *path,
                                  MlLadderExportFormat   format,
                                  guint                 *pages_out,
                                  GError               **error);

/* One line per event (ml_transcript_format_event) into @path. */
gboolean ml_transcript_export    (MlTrace     *trace,
                                  const char  *path,
                                  GError     **error);

G_END_DECLS

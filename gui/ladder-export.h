/* ladder-export.h — the ladder as a picture (PNG, SVG, PDF) and the trace
 * as a text transcript, for handouts and slides. */
#pragma once

#include <gtk/gtk.h>
#include "trace/trace.h"

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

/* One line per event (ml_transcript_format_event) into @path. */
gboolean ml_transcript_export    (MlTrace     *trace,
                                  const char  *path,
                                  GError     **error);

G_END_DECLS

/* capture-export.h — the trace's frames as a pcap or pcapng file, for
 * Wireshark (sim/trace's writers, fed the finished trace). */
#pragma once

#include <glib.h>
#include "trace/trace.h"

G_BEGIN_DECLS

typedef enum {
  ML_CAPTURE_EXPORT_PCAPNG = 0,  /* with the dialogue lines as packet comments */
  ML_CAPTURE_EXPORT_PCAP,
} MlCaptureExportFormat;

/* ".pcap" → PCAP; anything else → PCAPNG. */
MlCaptureExportFormat ml_capture_export_format_for_path (const char *path);

/* Writes every frame of @trace at the capture point (each frame's first
 * hop, as maillab-cli does). @epoch_unix_usec is the wall-clock time of
 * trace time 0 (a lesson's epoch; 0 for a capture, whose times are its
 * own). */
gboolean ml_capture_export (MlTrace                *trace,
                            gint64                  epoch_unix_usec,
                            const char             *path,
                            MlCaptureExportFormat   format,
                            GError                **error);

G_END_DECLS

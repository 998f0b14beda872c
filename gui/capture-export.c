/* capture-export.c — replaying a finished trace through the writers the
 * CLI streams into while a lesson runs. */
#define G_LOG_DOMAIN "ml-capture-export"

#include "capture-export.h"
#include "trace/pcap-writer.h"
#include "trace/pcapng-writer.h"

MlCaptureExportFormat
ml_capture_export_format_for_path (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path ? path : "", -1);

  return g_str_has_suffix (lower, ".pcap") ? ML_CAPTURE_EXPORT_PCAP : ML_CAPTURE_EXPORT_PCAPNG;
}

gboolean
ml_capture_export (MlTrace               *trace,
                   gint64                 epoch_unix_usec,
                   const char            *path,
                   MlCaptureExportFormat  format,
                   GError               **error)
{
  guint64 n;

  g_return_val_if_fail (ML_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  n = ml_trace_get_length (trace);
  if (format == ML_CAPTURE_EXPORT_PCAP)
    {
      g_autoptr(MlPcapWriter) writer = ml_pcap_writer_new (path, epoch_unix_usec, error);

      if (writer == NULL)
        return FALSE;
      for (guint64 i = 0; i < n; i++)
        ml_pcap_writer_write_event (writer, ml_trace_get_event (trace, i));
      return ml_pcap_writer_close (writer, error);
    }
  else
    {
      g_autoptr(MlPcapngWriter) writer = ml_pcapng_writer_new (path, epoch_unix_usec, error);

      if (writer == NULL)
        return FALSE;
      for (guint64 i = 0; i < n; i++)
        ml_pcapng_writer_write_event (writer, ml_trace_get_event (trace, i));
      return ml_pcapng_writer_close (writer, error);
    }
}

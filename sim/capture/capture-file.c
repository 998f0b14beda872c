/* capture-file.c — reading a pcap or pcapng file into an MlCaptureReader.
 *
 * libpcap reads both formats (pcap_open_offline); records are streamed one
 * at a time, so memory follows the open flows, not the file.
 */
#define G_LOG_DOMAIN "ml-capture"

#include "capture/capture-reader.h"
#include "capture/packet-decode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <pcap/pcap.h>

/* How often progress is told and cancellation checked: often enough for a
 * smooth progress bar, rarely enough to cost nothing. */
#define PROGRESS_EVERY_PACKETS  4096

gboolean
ml_capture_reader_read_file (MlCaptureReader *self, const char *path,
                             MlCaptureProgressFunc progress, gpointer user_data,
                             GCancellable *cancellable, GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *pcap;
  struct stat st;
  guint64 total = 0, count = 0;
  int link_type, rc;
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL && path != NULL, FALSE);

  if (stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_OPEN, "%s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  total = (guint64) st.st_size;
  pcap = pcap_open_offline (path, errbuf);
  if (pcap == NULL)
    {
      g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_OPEN,
                   "%s is not a capture libpcap can read: %s", path, errbuf);
      return FALSE;
    }
  link_type = pcap_datalink (pcap);
  if (progress)
    progress (0, total, user_data);

  for (;;)
    {
      struct pcap_pkthdr *hdr;
      const u_char *data;

      if (count % PROGRESS_EVERY_PACKETS == 0)
        {
          if (progress && count > 0)
            {
              long pos = ftell (pcap_file (pcap));
              progress (pos > 0 ? (guint64) pos : 0, total, user_data);
            }
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            {
              ok = FALSE;
              break;
            }
        }
      rc = pcap_next_ex (pcap, &hdr, &data);
      if (rc == PCAP_ERROR_BREAK)
        break;   /* the end of the file */
      if (rc != 1)
        {
          /* libpcap names the damage ("truncated dump file; tried to read
           * 100 captured bytes, only got 42", "invalid packet capture
           * length"); we name the record. */
          g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_CORRUPT,
                       "packet %" G_GUINT64_FORMAT ": %s (the %" G_GUINT64_FORMAT
                       " packets before it were read)",
                       count + 1, pcap_geterr (pcap), count);
          ok = FALSE;
          break;
        }
      count++;
      /* pcapng may change interface (and link type) per record; libpcap
       * reports the first interface's, and refuses files that mix them. */
      ml_capture_reader_add_packet (self,
                                    (guint64) hdr->ts.tv_sec * G_USEC_PER_SEC + (guint64) hdr->ts.tv_usec,
                                    link_type, data, hdr->caplen, hdr->len);
    }
  pcap_close (pcap);
  ml_capture_reader_finish (self);
  if (progress)
    progress (total, total, user_data);
  return ok;
}

MlTrace *
ml_capture_read_file (const char *path, const MlCaptureOptions *options,
                      MlCaptureProgressFunc progress, gpointer user_data,
                      GCancellable *cancellable, GError **error)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlCaptureReader) reader = ml_capture_reader_new (trace, options);
  GError *local = NULL;

  if (!ml_capture_reader_read_file (reader, path, progress, user_data, cancellable, &local))
    {
      gboolean nothing = g_error_matches (local, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_OPEN);
      g_propagate_error (error, local);
      if (nothing)
        return NULL;
    }
  return g_steal_pointer (&trace);
}

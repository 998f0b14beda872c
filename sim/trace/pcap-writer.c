#define G_LOG_DOMAIN "ml-pcap-writer"

#include "trace/pcap-writer.h"

#include <errno.h>
#include <gio/gio.h>
#include <pcap/pcap.h>

struct _MlPcapWriter
{
  pcap_t        *pcap;        /* a "dead" handle: only carries link type and snaplen */
  pcap_dumper_t *dumper;      /* NULL once closed */
  char          *path;
  gint64         epoch_unix_usec;
  gboolean       all_hops;
  MlTraceSubscription sub;   /* while attached */
};

gboolean
ml_pcap_writer_wants_frame (const MlTraceEvent *event, gboolean all_hops)
{
  g_return_val_if_fail (event != NULL, FALSE);

  if (event->kind != ML_TRACE_FRAME || event->bytes == NULL)
    return FALSE;
  return all_hops || event->hop == 0;
}

MlPcapWriter *
ml_pcap_writer_new (const char *path, gint64 epoch_unix_usec, GError **error)
{
  MlPcapWriter *self;
  pcap_t *pcap;
  pcap_dumper_t *dumper;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (epoch_unix_usec >= 0, NULL);

  /* Every simulated link is Ethernet; the frames are whole Ethernet frames
   * without the FCS (pcap-format 8, LINKTYPE_ETHERNET). */
  pcap = pcap_open_dead (DLT_EN10MB, ML_PCAP_SNAPLEN);
  if (pcap == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "libpcap could not make a capture handle");
      return NULL;
    }
  dumper = pcap_dump_open (pcap, path);
  if (dumper == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Could not create %s: %s", path, pcap_geterr (pcap));
      pcap_close (pcap);
      return NULL;
    }

  self = g_new0 (MlPcapWriter, 1);
  self->pcap = pcap;
  self->dumper = dumper;
  self->path = g_strdup (path);
  self->epoch_unix_usec = epoch_unix_usec;
  return self;
}

void
ml_pcap_writer_set_all_hops (MlPcapWriter *self, gboolean all_hops)
{
  g_return_if_fail (self != NULL);
  self->all_hops = all_hops;
}

void
ml_pcap_writer_write_event (MlPcapWriter *self, const MlTraceEvent *event)
{
  struct pcap_pkthdr hdr = { 0 };
  guint64 ts;
  gsize len;
  const guint8 *data;

  g_return_if_fail (self != NULL);
  g_return_if_fail (event != NULL);

  if (self->dumper == NULL || !ml_pcap_writer_wants_frame (event, self->all_hops))
    return;

  data = g_bytes_get_data (event->bytes, &len);
  ts = (guint64) self->epoch_unix_usec + event->time_us;
  hdr.ts.tv_sec = (time_t) (ts / G_USEC_PER_SEC);
  hdr.ts.tv_usec = (suseconds_t) (ts % G_USEC_PER_SEC);
  hdr.len = (bpf_u_int32) MIN (len, G_MAXUINT32);
  hdr.caplen = (bpf_u_int32) MIN (len, ML_PCAP_SNAPLEN);
  pcap_dump ((u_char *) self->dumper, &hdr, data);
}

static void
on_trace_event (MlTrace *trace, const MlTraceEvent *event, gpointer user_data)
{
  ml_pcap_writer_write_event (user_data, event);
}

void
ml_pcap_writer_attach (MlPcapWriter *self, MlTrace *trace)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (ML_IS_TRACE (trace));
  g_return_if_fail (!ml_trace_is_subscribed (&self->sub));

  ml_trace_subscribe (&self->sub, trace, on_trace_event, self);
}

gboolean
ml_pcap_writer_close (MlPcapWriter *self, GError **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL, FALSE);

  ml_trace_unsubscribe (&self->sub);
  if (self->dumper == NULL)
    return TRUE;

  /* pcap_dump() reports nothing; a full disk only shows in the stream. */
  if (pcap_dump_flush (self->dumper) != 0 || ferror (pcap_dump_file (self->dumper)))
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not write %s: %s", self->path, g_strerror (saved));
      ok = FALSE;
    }
  pcap_dump_close (self->dumper);
  self->dumper = NULL;
  g_clear_pointer (&self->pcap, pcap_close);
  return ok;
}

void
ml_pcap_writer_free (MlPcapWriter *self)
{
  if (self == NULL)
    return;
  ml_pcap_writer_close (self, NULL);
  g_free (self->path);
  g_free (self);
}

/* capture-live.c — libpcap on a live interface, never blocking.
 *
 * Live mode is the one place in sim/capture that reads the wall clock:
 * packets carry the kernel's timestamps.
 */
#define G_LOG_DOMAIN "ml-capture"

#include "capture/capture-live.h"

#include <poll.h>
#include <string.h>
#include <glib-unix.h>
#include <pcap/pcap.h>

/* libpcap's buffer timeout; with immediate mode on, packets are handed
 * over at once and this only bounds a platform without it. */
#define LIVE_BUFFER_TIMEOUT_MS  100
/* The kernel's ring for this capture. libpcap's default, 2 MiB, is about
 * 30 frames on lo (65,536-octet MTU, one slot per frame): a reader that is
 * not scheduled for a moment on a busy machine loses the end of a mail
 * session. 32 MiB (`tcpdump -B 32768`) holds hundreds of lo frames and
 * costs nothing until used. */
#define LIVE_KERNEL_BUFFER      (32 * 1024 * 1024)

struct _MlCaptureLive {
  pcap_t          *pcap;
  char            *device;
  int              link_type;
  MlTrace         *trace;
  MlCaptureReader *reader;
  pcap_dumper_t   *dumper;
  GSource         *source;
  gboolean         stopped;
};

void
ml_capture_device_free (MlCaptureDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->name);
  g_free (device->description);
  g_free (device);
}

GPtrArray *
ml_capture_list_devices (GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_if_t *all = NULL;
  GPtrArray *out;

  if (pcap_findalldevs (&all, errbuf) != 0)
    {
      g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_FAILED,
                   "cannot list interfaces: %s", errbuf);
      return NULL;
    }
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_capture_device_free);
  for (pcap_if_t *d = all; d; d = d->next)
    {
      MlCaptureDevice *dev = g_new0 (MlCaptureDevice, 1);
      dev->name = g_strdup (d->name);
      dev->description = g_strdup (d->description);
      dev->loopback = (d->flags & PCAP_IF_LOOPBACK) != 0;
      dev->up = (d->flags & PCAP_IF_UP) != 0;
      g_ptr_array_add (out, dev);
    }
  pcap_freealldevs (all);
  return out;
}

static void
on_packet (u_char *user, const struct pcap_pkthdr *hdr, const u_char *data)
{
  MlCaptureLive *self = (MlCaptureLive *) user;

  if (self->dumper)
    pcap_dump ((u_char *) self->dumper, hdr, data);
  ml_capture_reader_add_packet (self->reader,
                                (guint64) hdr->ts.tv_sec * G_USEC_PER_SEC + (guint64) hdr->ts.tv_usec,
                                self->link_type, data, hdr->caplen, hdr->len);
}

static char *
default_device (GError **error)
{
  g_autoptr(GPtrArray) devs = ml_capture_list_devices (error);

  if (devs == NULL)
    return NULL;
  for (guint i = 0; i < devs->len; i++)
    {
      MlCaptureDevice *d = g_ptr_array_index (devs, i);
      if (d->up && !d->loopback)
        return g_strdup (d->name);
    }
  if (devs->len > 0)
    return g_strdup (((MlCaptureDevice *) g_ptr_array_index (devs, 0))->name);
  g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_DEVICE,
               "no interface to capture on (root or CAP_NET_RAW may be needed to see them)");
  return NULL;
}

MlCaptureLive *
ml_capture_live_new (const char *device, const char *filter, MlTrace *trace,
                     const MlCaptureOptions *options, GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  g_autofree char *dev = NULL;
  pcap_t *pcap;
  MlCaptureLive *self;
  int rc;

  g_return_val_if_fail (ML_IS_TRACE (trace), NULL);

  dev = device ? g_strdup (device) : default_device (error);
  if (dev == NULL)
    return NULL;
  pcap = pcap_create (dev, errbuf);
  if (pcap == NULL)
    {
      g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_DEVICE, "%s: %s", dev, errbuf);
      return NULL;
    }
  pcap_set_snaplen (pcap, ML_CAPTURE_LIVE_SNAPLEN);
  pcap_set_promisc (pcap, 0);
  pcap_set_timeout (pcap, LIVE_BUFFER_TIMEOUT_MS);
  pcap_set_immediate_mode (pcap, 1);
  pcap_set_buffer_size (pcap, LIVE_KERNEL_BUFFER);
  rc = pcap_activate (pcap);
  if (rc < 0)
    {
      int code = ML_CAPTURE_ERROR_FAILED;
      if (rc == PCAP_ERROR_PERM_DENIED)
        code = ML_CAPTURE_ERROR_PERMISSION;
      else if (rc == PCAP_ERROR_NO_SUCH_DEVICE || rc == PCAP_ERROR_IFACE_NOT_UP)
        code = ML_CAPTURE_ERROR_DEVICE;
      if (code == ML_CAPTURE_ERROR_PERMISSION)
        g_set_error (error, ML_CAPTURE_ERROR, code,
                     "capturing on %s needs root or the CAP_NET_RAW capability "
                     "(for example: sudo setcap cap_net_raw,cap_net_admin=eip "
                     "$(command -v maillab-cli)): %s", dev, pcap_geterr (pcap));
      else
        g_set_error (error, ML_CAPTURE_ERROR, code, "%s: %s", dev, pcap_geterr (pcap));
      pcap_close (pcap);
      return NULL;
    }
  if (filter && *filter)
    {
      struct bpf_program prog;
      if (pcap_compile (pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
        {
          g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_FILTER,
                       "filter '%s': %s", filter, pcap_geterr (pcap));
          pcap_close (pcap);
          return NULL;
        }
      rc = pcap_setfilter (pcap, &prog);
      pcap_freecode (&prog);
      if (rc != 0)
        {
          g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_FILTER,
                       "filter '%s': %s", filter, pcap_geterr (pcap));
          pcap_close (pcap);
          return NULL;
        }
    }
  /* Never a blocking read (see capture-live.h). */
  if (pcap_setnonblock (pcap, 1, errbuf) != 0)
    {
      g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_FAILED, "%s: %s", dev, errbuf);
      pcap_close (pcap);
      return NULL;
    }

  self = g_new0 (MlCaptureLive, 1);
  self->pcap = pcap;
  self->device = g_steal_pointer (&dev);
  self->link_type = pcap_datalink (pcap);
  self->trace = g_object_ref (trace);
  self->reader = ml_capture_reader_new (trace, options);
  return self;
}

gboolean
ml_capture_live_save_to (MlCaptureLive *self, const char *path, GError **error)
{
  g_return_val_if_fail (self->dumper == NULL, FALSE);
  self->dumper = pcap_dump_open (self->pcap, path);
  if (self->dumper == NULL)
    {
      g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_FAILED, "%s: %s", path,
                   pcap_geterr (self->pcap));
      return FALSE;
    }
  return TRUE;
}

static int
dispatch (MlCaptureLive *self, GError **error)
{
  int n = pcap_dispatch (self->pcap, ML_CAPTURE_LIVE_BATCH, on_packet, (u_char *) self);

  if (n < 0 && n != PCAP_ERROR_BREAK)
    {
      g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_FAILED, "%s: %s",
                   self->device, pcap_geterr (self->pcap));
      return -1;
    }
  if (self->dumper && n > 0)
    pcap_dump_flush (self->dumper);
  return MAX (n, 0);
}

int
ml_capture_live_poll (MlCaptureLive *self, int timeout_ms, GError **error)
{
  struct pollfd pfd = { .fd = pcap_get_selectable_fd (self->pcap), .events = POLLIN };

  g_return_val_if_fail (!self->stopped, -1);
  if (pfd.fd >= 0 && timeout_ms != 0)
    {
      int rc = poll (&pfd, 1, timeout_ms);
      if (rc == 0)
        return 0;
    }
  return dispatch (self, error);
}

static gboolean
on_readable (gint fd, GIOCondition condition, gpointer user_data)
{
  MlCaptureLive *self = user_data;
  g_autoptr(GError) error = NULL;

  (void) fd;
  (void) condition;
  if (dispatch (self, &error) < 0)
    {
      g_warning ("live capture stopped: %s", error->message);
      self->source = NULL;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

void
ml_capture_live_start (MlCaptureLive *self, GMainContext *context)
{
  int fd;

  g_return_if_fail (self->source == NULL && !self->stopped);
  fd = pcap_get_selectable_fd (self->pcap);
  g_return_if_fail (fd >= 0);
  self->source = g_unix_fd_source_new (fd, G_IO_IN | G_IO_ERR | G_IO_HUP);
  g_source_set_callback (self->source, G_SOURCE_FUNC (on_readable), self, NULL);
  g_source_set_name (self->source, "maillab live capture");
  g_source_attach (self->source, context);
}

void
ml_capture_live_stop (MlCaptureLive *self)
{
  if (self->stopped)
    return;
  if (self->source)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  /* What the kernel already holds still belongs to the capture. */
  while (dispatch (self, NULL) > 0)
    ;
  ml_capture_reader_finish (self->reader);
  if (self->dumper)
    pcap_dump_flush (self->dumper);
  self->stopped = TRUE;
}

const MlCaptureStats *
ml_capture_live_get_stats (MlCaptureLive *self)
{
  return ml_capture_reader_get_stats (self->reader);
}

int
ml_capture_live_get_link_type (MlCaptureLive *self)
{
  return self->link_type;
}

void
ml_capture_live_free (MlCaptureLive *self)
{
  if (self == NULL)
    return;
  ml_capture_live_stop (self);
  if (self->dumper)
    pcap_dump_close (self->dumper);
  ml_capture_reader_free (self->reader);
  pcap_close (self->pcap);
  g_object_unref (self->trace);
  g_free (self->device);
  g_free (self);
}

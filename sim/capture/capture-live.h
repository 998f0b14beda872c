/* capture-live.h — live capture on an interface with libpcap.
 *
 * Packets go through the same reader as a file (capture-reader.h), so the
 * trace grows as traffic arrives: a view attaches a trace listener (or
 * reads the events already there, then listens) and sees each event as it
 * is appended.
 *
 * Never a blocking read: the pcap handle is non-blocking and is polled on
 * its selectable descriptor, either by a GSource on a GMainContext (the
 * GUI) or by ml_capture_live_poll with a deadline (the CLI, tests). A
 * pcap read with a timeout can block forever once traffic stops, which
 * would freeze a GUI.
 */
#pragma once

#include <gio/gio.h>
#include "capture/capture-reader.h"

G_BEGIN_DECLS

/* Bytes kept of each packet: all of it (libpcap's usual maximum). */
#define ML_CAPTURE_LIVE_SNAPLEN   262144
/* Packets handled per wake-up, so a flood cannot starve the main loop. */
#define ML_CAPTURE_LIVE_BATCH     256

typedef struct {
  char     *name;          /* "lo", "eth0" */
  char     *description;   /* NULL when libpcap has none */
  gboolean  loopback;
  gboolean  up;
} MlCaptureDevice;

void       ml_capture_device_free   (MlCaptureDevice *device);
/* Every interface libpcap can open (pcap_findalldevs), as MlCaptureDevice*
 * with free functions set (transfer full). NULL with an error. */
GPtrArray *ml_capture_list_devices  (GError **error);

typedef struct _MlCaptureLive MlCaptureLive;

/* Opens @device (NULL: libpcap's default, usually the first up interface)
 * in non-blocking mode and applies the BPF @filter (NULL or "": none).
 * Packets are read into @trace (a reference is kept). @options as for a
 * file; NULL for the defaults. Errors: ML_CAPTURE_ERROR_PERMISSION saying
 * that root or CAP_NET_RAW is needed, _DEVICE, _FILTER, _FAILED. Nothing is
 * read until _start or _poll. */
MlCaptureLive *ml_capture_live_new        (const char             *device,
                                           const char             *filter,
                                           MlTrace                *trace,
                                           const MlCaptureOptions *options,
                                           GError                **error);
/* Also writes every packet to a pcap file at @path (the CLI's -w), as
 * captured, in the interface's link type. Call before the first packet. */
gboolean       ml_capture_live_save_to    (MlCaptureLive *self,
                                           const char    *path,
                                           GError       **error);
/* Reads packets from a GSource attached to @context (NULL: the default
 * context), in that context's thread, until _stop. */
void           ml_capture_live_start      (MlCaptureLive *self,
                                           GMainContext  *context);
/* Waits up to @timeout_ms (0: do not wait) for packets and handles those
 * ready, at most ML_CAPTURE_LIVE_BATCH. Returns the number handled, or -1
 * with @error when the capture failed (the interface went away). Not to be
 * mixed with _start. */
int            ml_capture_live_poll       (MlCaptureLive *self,
                                           int            timeout_ms,
                                           GError       **error);
/* Detaches the source (if started), reads what is still buffered, and
 * finishes the reader (open flows are noted). The handle stays open until
 * free, so the statistics can still be read. Harmless twice. */
void           ml_capture_live_stop       (MlCaptureLive *self);
const MlCaptureStats *ml_capture_live_get_stats (MlCaptureLive *self);  /* borrowed */
/* The link type libpcap reports for the interface (DLT_EN10MB, …). */
int            ml_capture_live_get_link_type (MlCaptureLive *self);
void           ml_capture_live_free       (MlCaptureLive *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlCaptureLive, ml_capture_live_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlCaptureDevice, ml_capture_device_free)

G_END_DECLS

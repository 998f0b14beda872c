/* live-capture.h — Capture → Live…: a libpcap capture shown as it grows.
 *
 * The window reads a live capture (sim/capture/capture-live.h) into a new
 * trace on the main context — the pcap handle is non-blocking and polled
 * by a GSource, so the GUI never waits on the network — and refreshes its
 * views a few times a second while packets arrive. The player follows new
 * events while it is at the end, and stays put when the reader went back.
 */
#pragma once

#include "window.h"
#include "capture/capture-live.h"

G_BEGIN_DECLS

/* How often the views catch up with a growing trace: often enough to look
 * live, rarely enough that a burst does not rebuild the ladder per packet. */
#define ML_LIVE_CAPTURE_REFRESH_MS 250

/* What the dialog proposes: every port a lesson host or a usual server
 * speaks SMTP (25, 587, 465), POP3 (110, 995) or IMAP (143, 993) on, plus
 * the unprivileged ports maillab's own servers use. */
#define ML_LIVE_CAPTURE_DEFAULT_DEVICE "lo"
#define ML_LIVE_CAPTURE_DEFAULT_FILTER \
  "tcp port 25 or tcp port 587 or tcp port 465 or tcp port 110 or " \
  "tcp port 995 or tcp port 143 or tcp port 993 or tcp port 2525 or " \
  "tcp port 2587 or tcp port 1110 or tcp port 1143"

/* Starts capturing on @device ("lo"; NULL: libpcap's default) with the
 * BPF @filter (NULL or "": all traffic) and shows the growing trace in
 * the window's views, with a Stop button and the packet and flow counts
 * in the header. @options (NULL: the defaults) say which other ports carry
 * which protocol. A capture already running is stopped first. FALSE with
 * @error (ML_CAPTURE_ERROR_PERMISSION when root or CAP_NET_RAW is
 * missing, _DEVICE, _FILTER, _FAILED) and the window unchanged. */
gboolean        ml_window_start_live_capture (MlWindow               *self,
                                              const char             *device,
                                              const char             *filter,
                                              const MlCaptureOptions *options,
                                              GError                **error);
/* Stops reading (what libpcap still holds is read first) and leaves the
 * trace on screen, ready for Export Capture. Harmless when not live. */
void            ml_window_stop_live_capture  (MlWindow *self);
gboolean        ml_window_is_live_capturing  (MlWindow *self);
/* The live capture's counts (borrowed), NULL when none was started since
 * the last lesson or file. */
const MlCaptureStats *ml_window_get_live_stats (MlWindow *self);

/* The Live Capture dialog, transient for @window (transfer none: it is a
 * toplevel that destroys itself when closed). Its Start button calls
 * ml_window_start_live_capture and shows the error in the dialog. */
GtkWindow      *ml_live_capture_dialog_new   (MlWindow *window);
/* For tests: the dialog's parts (borrowed). */
GtkEditable    *ml_live_capture_dialog_get_filter (GtkWindow *dialog);
/* The interface picked (borrowed), "lo" unless changed. */
const char     *ml_live_capture_dialog_get_device (GtkWindow *dialog);
/* "smtp=2525 imap=1143": ports outside the usual ones, as for the CLI. */
GtkEditable    *ml_live_capture_dialog_get_ports  (GtkWindow *dialog);
GtkLabel       *ml_live_capture_dialog_get_error  (GtkWindow *dialog);
/* Does what the Start button does; TRUE when the capture started. */
gboolean        ml_live_capture_dialog_start      (GtkWindow *dialog);

G_END_DECLS

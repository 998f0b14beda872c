/* pcap-writer.h — frames of a trace as a classic pcap file (libpcap).
 *
 * Capture point: by default only hop-0 frames are written, each as its
 * originating host put it on its own link, as if every host's interface
 * were tapped. A routed frame is on the trace once per hop; writing every
 * copy would make Wireshark see each packet twice and call the copies
 * retransmissions. all_hops writes every copy (to study routing).
 * A hop-0 frame the link dropped is still written: it was sent, and the
 * loss happened on the wire.
 *
 * Timestamps are epoch_unix_usec + event->time_us.
 */
#pragma once

#include "trace/trace.h"

G_BEGIN_DECLS

/* The largest frame written whole; longer ones are cut to it (pcap
 * "snaplen", pcap-format 4). An Ethernet frame is far smaller. */
#define ML_PCAP_SNAPLEN 65535

typedef struct _MlPcapWriter MlPcapWriter;

MlPcapWriter *ml_pcap_writer_new           (const char *path,
                                            gint64      epoch_unix_usec,
                                            GError    **error);
void          ml_pcap_writer_set_all_hops  (MlPcapWriter *self, gboolean all_hops);
/* Streams every frame appended to @trace from now on. Keeps a reference on
 * @trace until close or free. One trace per writer. */
void          ml_pcap_writer_attach        (MlPcapWriter *self, MlTrace *trace);
/* Writes @event if it is a frame at the capture point; ignores the rest. */
void          ml_pcap_writer_write_event   (MlPcapWriter *self, const MlTraceEvent *event);
/* Detaches, flushes and closes the file. Returns FALSE with the first
 * write error. Does not free: call ml_pcap_writer_free after. */
gboolean      ml_pcap_writer_close         (MlPcapWriter *self, GError **error);
/* Closes (ignoring errors: call close first to see them) and frees. */
void          ml_pcap_writer_free          (MlPcapWriter *self);

/* The capture-point rule shared with the pcapng writer: TRUE if @event is
 * a frame with bytes that a writer should put in the file. */
gboolean      ml_pcap_writer_wants_frame   (const MlTraceEvent *event, gboolean all_hops);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlPcapWriter, ml_pcap_writer_free)

G_END_DECLS

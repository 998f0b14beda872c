/* pcapng-writer.h — frames of a trace as pcapng, with the dialogue lines
 * each frame carries as a packet comment.
 *
 * libpcap reads pcapng but cannot write it, so the few blocks needed are
 * written here (draft-ietf-opsawg-pcapng): one Section Header Block, one
 * Interface Description Block (Ethernet, microsecond timestamps), an
 * Enhanced Packet Block per frame, and Decryption Secrets Blocks on
 * request. Every block is little-endian whatever the host, so one lesson
 * and one seed give the same file everywhere (the SHB's byte-order magic
 * tells readers, pcapng 4.1).
 *
 * Capture point and timestamps: as for the pcap writer (hop 0 only unless
 * all_hops; dropped hop-0 frames are written, with a comment saying so).
 *
 * Comments: the simulation appends a dialogue line (host = sender, conn_id)
 * before the TCP segment that carries its bytes. The writer keeps those
 * lines per (conn_id, sender) and hangs them on the next hop-0 frame of that
 * connection from that sender whose TCP payload is not empty and that is
 * not a retransmission, so Wireshark shows "SMTP C: MAIL FROM:<…>" on the
 * very segment. A trace read from a capture appends its dialogue lines
 * after the frames, so comments are only right for simulated traces.
 */
#pragma once

#include "trace/trace.h"

G_BEGIN_DECLS

/* Secrets Type of a TLS key log (SSLKEYLOGFILE lines), pcapng 4.7. */
#define ML_PCAPNG_SECRETS_TLS_KEY_LOG 0x544c534bu

typedef struct _MlPcapngWriter MlPcapngWriter;

MlPcapngWriter *ml_pcapng_writer_new          (const char *path,
                                               gint64      epoch_unix_usec,
                                               GError    **error);
/* Before the first frame or secrets: it is named in the interface's
 * description, which is written with the first block after the header. */
void            ml_pcapng_writer_set_all_hops (MlPcapngWriter *self, gboolean all_hops);
/* Streams every event appended to @trace from now on (frames are written,
 * dialogue lines become comments). Keeps a reference on @trace until close
 * or free. One trace per writer. */
void            ml_pcapng_writer_attach       (MlPcapngWriter *self, MlTrace *trace);
void            ml_pcapng_writer_write_event  (MlPcapngWriter *self, const MlTraceEvent *event);
/* Writes a Decryption Secrets Block now (pcapng 4.7). Readers may only use
 * secrets that come before the packets they decrypt, so call this as soon
 * as the keys exist (from the TLS key-log callback). @data is borrowed;
 * for ML_PCAPNG_SECRETS_TLS_KEY_LOG it is key-log lines ending in "\n".
 * A write error is kept and reported by close. */
void            ml_pcapng_writer_add_secrets  (MlPcapngWriter *self,
                                               guint32         type,
                                               GBytes         *data);
/* Detaches, writes the header if nothing was written (an empty capture is
 * still a valid file), flushes and closes. Returns FALSE with the first
 * write error. Does not free: call ml_pcapng_writer_free after. */
gboolean        ml_pcapng_writer_close        (MlPcapngWriter *self, GError **error);
/* Closes (ignoring errors: call close first to see them) and frees. */
void            ml_pcapng_writer_free         (MlPcapngWriter *self);

/* Length of the TCP payload of an Ethernet/IPv4/TCP frame; 0 for anything
 * else or anything malformed. Never reads past @len. */
gsize           ml_pcapng_frame_tcp_payload_length (const guint8 *frame, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlPcapngWriter, ml_pcapng_writer_free)

G_END_DECLS

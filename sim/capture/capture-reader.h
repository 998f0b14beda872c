/* capture-reader.h — real traffic (pcap, pcapng, a live interface) as a trace.
 *
 * A capture becomes the same kind of MlTrace a simulation produces, so the
 * transcript, ladder and packet views work on it unchanged:
 *
 *   - every captured packet is an ML_TRACE_FRAME event (bytes, capture time,
 *     host/peer = the IP addresses, conn_id = the TCP flow's number from 1,
 *     summary "49153 → 587 [PSH, ACK] Seq=1 Ack=35 Win=65535 Len=19");
 *   - each mail flow's bytes are reassembled (sim/capture/tcp-reassembly.h)
 *     and read with the engines' own parsers into ML_TRACE_DIALOGUE events
 *     (commands paired with their replies), ML_TRACE_STATE events and
 *     ML_TRACE_NOTE events for what a teacher points at: a gap in the
 *     capture, TLS starting, credentials sent in clear.
 *
 * Frames whose link layer is not Ethernet (Linux cooked, raw IP, BSD
 * loopback) are stored with a synthetic Ethernet II header (zero MAC
 * addresses, the IP EtherType) in place of their own, because every view
 * decodes Ethernet; the event's `link` then names the original link type
 * ("capture:LINUX_SLL2") so nothing pretends the header was on the wire.
 * Frames that carry no IP are kept as they are, with `link`
 * "capture:DLT_<n>" and a summary saying they were not dissected.
 *
 * Memory is bounded by the open flows (ML_CAPTURE_MAX_FLOWS, and per flow
 * ML_TCP_REASSEMBLY_MAX_PENDING of out-of-order bytes), never by the file:
 * the file is streamed packet by packet. The trace keeps its events unless
 * the caller turns that off (ml_trace_set_keep_events), as the CLI does.
 */
#pragma once

#include <gio/gio.h>
#include "trace/trace.h"

G_BEGIN_DECLS

/* Flows tracked at once. A flow over the limit evicts the one idle
 * longest (its end is noted in the trace), so a capture of a port scan
 * cannot grow memory without bound. Our own limit; no RFC sets one. */
#define ML_CAPTURE_MAX_FLOWS        4096
/* User-given PROTO=PORT mappings (--port). */
#define ML_CAPTURE_MAX_USER_PORTS   16

#define ML_CAPTURE_ERROR (ml_capture_error_quark ())
typedef enum {
  ML_CAPTURE_ERROR_OPEN,        /* the file is missing, unreadable or no capture */
  ML_CAPTURE_ERROR_CORRUPT,     /* a record is truncated or has bogus lengths:
                                   the message names the packet number (from 1) */
  ML_CAPTURE_ERROR_PERMISSION,  /* live capture needs root or CAP_NET_RAW */
  ML_CAPTURE_ERROR_DEVICE,      /* no such interface, or it is down */
  ML_CAPTURE_ERROR_FILTER,      /* the BPF filter does not compile */
  ML_CAPTURE_ERROR_INVALID,     /* a bad option ("--port smtp=99999") */
  ML_CAPTURE_ERROR_FAILED,      /* anything else libpcap reports */
} MlCaptureError;
GQuark ml_capture_error_quark (void);

/* One user-given port: traffic to or from @port is @protocol. */
typedef struct {
  MlProtocol protocol;      /* ML_PROTO_SMTP, ML_PROTO_POP3 or ML_PROTO_IMAP */
  guint16    port;
  gboolean   implicit_tls;  /* "smtps=2465", "pop3s=…", "imaps=…" */
} MlCapturePortMap;

/* A message carried by a flow (SMTP DATA or BDAT LAST, POP3 RETR, IMAP
 * APPEND, IMAP FETCH of BODY[] or RFC822): @message is borrowed, valid
 * during the call. @index counts the flow's messages from 1. A message
 * with a hole in it (a gap) is not handed out. */
typedef void (*MlCaptureMessageFunc) (guint         conn_id,
                                      guint         index,
                                      MlProtocol    protocol,
                                      GBytes       *message,
                                      gpointer      user_data);

typedef struct {
  MlCapturePortMap     ports[ML_CAPTURE_MAX_USER_PORTS];
  guint                n_ports;
  /* Put an ML_TRACE_FRAME event in the trace for every packet (default
   * TRUE). The CLI's --stats and transcript do without. */
  gboolean             frames;
  /* Put the dialogue, state and note events in the trace (default TRUE).
   * Statistics alone (--stats) do without, and need half the CPU time. */
  gboolean             dialogue;
  /* Only this flow's events (conn_id from 1); 0 for every flow. */
  guint                only_flow;
  /* Called for every message carried, when set (--messages DIR). */
  MlCaptureMessageFunc message_func;
  gpointer             message_data;
} MlCaptureOptions;

/* Defaults: frames and dialogue on, no user ports, every flow, no message
 * callback. */
void     ml_capture_options_init     (MlCaptureOptions *options);
/* Parses "smtp=2525", "pop3=1110", "imap=1143", "smtps=2465", "pop3s=…",
 * "imaps=…" (also "submission=…", "pop=…") and adds it. FALSE with
 * ML_CAPTURE_ERROR_INVALID for anything else or when the table is full. */
gboolean ml_capture_options_add_port (MlCaptureOptions *options,
                                      const char       *spec,
                                      GError          **error);

/* What a capture held, counted as it is read (the CLI's --stats). */
typedef struct {
  guint    flows;                 /* TCP flows that carried this protocol */
  guint64  commands;              /* client requests */
  guint64  replies;               /* server replies (IMAP: tagged completions
                                     and continuation requests) */
  /* SMTP: index = first digit of the code (2–5), [3] counts 334 too;
   * POP3: [2] "+OK", [3] "+ " SASL continuation, [5] "-ERR";
   * IMAP tagged status: [2] OK, [3] "+" continuation, [4] NO, [5] BAD. */
  guint64  replies_by_class[6];
  guint64  payload_bytes;         /* TCP payload, both directions */
  guint64  tls_bytes;             /* of which after TLS started (not parsed) */
  guint64  gap_bytes;             /* sequence space never captured */
  guint    messages;              /* messages carried (DATA, BDAT, RETR, …) */
  guint    credentials_in_clear;  /* AUTH PLAIN/LOGIN, USER/PASS, LOGIN */
} MlCaptureProtocolStats;

typedef struct {
  guint64  packets;         /* records read */
  guint64  bytes;           /* captured bytes of those records */
  guint64  tcp_packets;
  guint64  other_packets;   /* not TCP over IP (UDP, ARP, other link types) */
  guint    flows;           /* TCP flows seen */
  guint    evicted_flows;   /* dropped at ML_CAPTURE_MAX_FLOWS */
  MlCaptureProtocolStats smtp, pop3, imap;
} MlCaptureStats;

/* ---- the reader: packets in, trace events out ---- */

typedef struct _MlCaptureReader MlCaptureReader;

/* Appends to @trace (a reference is kept). @options is copied; NULL for the
 * defaults. */
MlCaptureReader      *ml_capture_reader_new         (MlTrace                *trace,
                                                     const MlCaptureOptions *options);
void                  ml_capture_reader_free        (MlCaptureReader *self);
/* One captured record. @link_type is a libpcap DLT_ value (DLT_EN10MB,
 * DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL,
 * DLT_LOOP; any other is kept as an undissected frame). @caplen bytes of
 * @data were captured out of @wire_len on the wire. Never fails: a packet
 * that makes no sense is a frame event with a summary saying why. */
void                  ml_capture_reader_add_packet  (MlCaptureReader *self,
                                                     guint64          time_us,
                                                     int              link_type,
                                                     const guint8    *data,
                                                     gsize            caplen,
                                                     gsize            wire_len);
/* The end of the capture: every open flow's buffered data is read and its
 * end noted (still open, or a gap at the end). Call once. */
void                  ml_capture_reader_finish      (MlCaptureReader *self);
/* Reads a pcap or pcapng file (libpcap), streaming, calling
 * ml_capture_reader_add_packet for each record, then _finish.
 * @progress, when set, is called now and then with the bytes read so far
 * and the file's size, from the calling thread.
 * Returns FALSE with:
 *   - ML_CAPTURE_ERROR_OPEN when the file cannot be read as a capture
 *     (nothing was added);
 *   - ML_CAPTURE_ERROR_CORRUPT ("packet 1234: truncated record …") when a
 *     record is damaged: every packet before it has been added and the
 *     reader finished, so the trace holds what could be read;
 *   - G_IO_ERROR_CANCELLED when @cancellable was cancelled: the same,
 *     everything read so far is in the trace. */
typedef void (*MlCaptureProgressFunc) (guint64  bytes_read,
                                       guint64  bytes_total,
                                       gpointer user_data);
gboolean              ml_capture_reader_read_file   (MlCaptureReader       *self,
                                                     const char            *path,
                                                     MlCaptureProgressFunc  progress,
                                                     gpointer               user_data,
                                                     GCancellable          *cancellable,
                                                     GError               **error);
const MlCaptureStats *ml_capture_reader_get_stats   (MlCaptureReader *self);  /* borrowed */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlCaptureReader, ml_capture_reader_free)

/* ---- one call for the GUI (File → Open Capture…, in a worker thread) ---- */

/* Reads @path into a new trace (events kept). Returns (transfer full):
 *   - the whole trace, @error unset: the file was read to its end;
 *   - a partial trace AND @error set (ML_CAPTURE_ERROR_CORRUPT naming the
 *     packet, or G_IO_ERROR_CANCELLED): show the trace and the error;
 *   - NULL with @error set (ML_CAPTURE_ERROR_OPEN): nothing to show.
 * The trace is built in the calling thread and has no listeners; hand it
 * to the main thread when done. @progress is called from the calling
 * thread (use g_main_context_invoke to reach the GUI). */
MlTrace *ml_capture_read_file (const char             *path,
                               const MlCaptureOptions *options,
                               MlCaptureProgressFunc   progress,
                               gpointer                user_data,
                               GCancellable           *cancellable,
                               GError                **error);

G_END_DECLS

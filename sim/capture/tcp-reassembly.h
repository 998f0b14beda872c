/* tcp-reassembly.h — one direction of a captured TCP connection, in order.
 *
 * Segments arrive as the capture saw them: out of order, retransmitted,
 * overlapping, or missing. This hands the application bytes on in sequence
 * order, each byte once:
 *
 *   - overlaps and retransmissions: the first copy seen wins, as in most
 *     intrusion-detection systems (Snort's "first" policy). A later copy
 *     with different bytes is not used; the capture shows what the first
 *     copy said, and that is what the dialogue shows;
 *   - out of order: held until the hole before it is filled, at most
 *     ML_TCP_REASSEMBLY_MAX_PENDING bytes in ML_TCP_REASSEMBLY_MAX_SEGMENTS
 *     segments;
 *   - a hole that will never be filled — the peer acknowledged bytes the
 *     capture never saw and data after them is already held, the pending
 *     limit was reached, or the capture ended — is reported as a gap of so
 *     many bytes, then delivery goes on after it. Never papered over: the
 *     dissector is told. (An acknowledged hole at the very end is left
 *     open a while: the capture may show that segment late.)
 *   - no SYN seen (the capture started mid-conversation): the first segment
 *     with data sets the start of the stream.
 *
 * Sequence numbers compare modulo 2^32 (RFC 9293 3.4); offsets into the
 * stream are 64-bit so a long flow never wraps.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bytes held out of order per direction. TCP windows reach 1 GiB with
 * window scaling (RFC 7323 2.3); a capture rarely holds more than a few
 * windows of reordering, so this is our own bound, not the RFC's. */
#define ML_TCP_REASSEMBLY_MAX_PENDING   (1024 * 1024)
/* Segments held out of order per direction (tiny segments must not make
 * the per-segment overhead unbounded). */
#define ML_TCP_REASSEMBLY_MAX_SEGMENTS  1024

typedef enum {
  ML_TCP_SEGMENT_EMPTY = 0,       /* no payload */
  ML_TCP_SEGMENT_NEW,             /* every byte new */
  ML_TCP_SEGMENT_OVERLAP,         /* some bytes seen before (first copy kept) */
  ML_TCP_SEGMENT_RETRANSMISSION,  /* every byte seen before */
} MlTcpSegmentResult;

typedef struct {
  /* @len bytes that follow the previous ones in the stream. */
  void (*data) (gpointer user_data, const guint8 *data, gsize len);
  /* @len bytes of the stream were never captured. */
  void (*gap)  (gpointer user_data, guint64 len);
} MlTcpReassemblyFuncs;

typedef struct _MlTcpReassembly MlTcpReassembly;

MlTcpReassembly   *ml_tcp_reassembly_new      (const MlTcpReassemblyFuncs *funcs,
                                               gpointer user_data);
void               ml_tcp_reassembly_free     (MlTcpReassembly *self);
/* A SYN with sequence number @isn: data starts at @isn + 1 (RFC 9293 3.4).
 * Ignored once data was seen. */
void               ml_tcp_reassembly_syn      (MlTcpReassembly *self, guint32 isn);
/* A segment of this direction. @fin: it carries FIN, the stream ends after
 * its data. Callbacks run before this returns. */
MlTcpSegmentResult ml_tcp_reassembly_add      (MlTcpReassembly *self, guint32 seq,
                                               const guint8 *data, gsize len,
                                               gboolean fin);
/* What ml_tcp_reassembly_add would answer for this segment, without
 * changing anything (to mark a frame a retransmission before its bytes
 * are read). */
MlTcpSegmentResult ml_tcp_reassembly_classify (MlTcpReassembly *self, guint32 seq,
                                               gsize len);
/* Where @seq falls: < 0 before what was delivered, 0 exactly at the next
 * byte expected, > 0 beyond it (a hole before it). 0 before any segment. */
int                ml_tcp_reassembly_compare  (MlTcpReassembly *self, guint32 seq);
/* The other direction acknowledged up to @ack: bytes before it that the
 * capture never held are a gap as soon as data after them is held. */
void               ml_tcp_reassembly_ack      (MlTcpReassembly *self, guint32 ack);
/* The capture or the flow ended: whatever is held is delivered, holes
 * before it (and before a seen FIN) reported as gaps. */
void               ml_tcp_reassembly_flush    (MlTcpReassembly *self);
/* The sequence number of stream offset 0 minus one (the ISN when a SYN was
 * seen), for relative numbers as Wireshark shows them; FALSE before any
 * segment. */
gboolean           ml_tcp_reassembly_get_base (MlTcpReassembly *self, guint32 *isn_out);
/* Whether a SYN began this direction (FALSE: the capture started mid-way). */
gboolean           ml_tcp_reassembly_saw_syn  (MlTcpReassembly *self);
/* Every byte up to a seen FIN has been delivered. */
gboolean           ml_tcp_reassembly_is_closed (MlTcpReassembly *self);
guint64            ml_tcp_reassembly_get_pending (MlTcpReassembly *self);
guint64            ml_tcp_reassembly_get_delivered (MlTcpReassembly *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlTcpReassembly, ml_tcp_reassembly_free)

G_END_DECLS

/* trace-stats.h — what a run cost, per protocol, measured from its trace.
 *
 * The textbook POP3-versus-IMAP table says "IMAP uses more bandwidth" or
 * "POP3 needs fewer round trips"; a lesson shows the figures of its own
 * run instead. Everything here is derived from trace events, so a capture
 * file gives the same table as a simulation.
 */
#pragma once

#include "trace/trace.h"

G_BEGIN_DECLS

typedef struct {
  MlProtocol protocol;
  guint      sessions;       /* TCP connections that carried this protocol */
  guint      frames;         /* frames sent (each counted once, at hop 0) */
  guint64    wire_bytes;     /* those frames' bytes, headers included */
  guint64    payload_bytes;  /* their TCP/UDP payload: what the protocol said */
  guint      commands;       /* client lines */
  guint      replies;        /* server replies */
  /* The TCP handshake, plus each time the server answered after the client
   * had spoken: a pipelined batch answered at once is one round trip. */
  guint      round_trips;
} MlProtocolStats;

typedef struct _MlTraceStats MlTraceStats;

MlTraceStats          *ml_trace_stats_new        (void);
void                   ml_trace_stats_free       (MlTraceStats *self);
void                   ml_trace_stats_add_event  (MlTraceStats *self, const MlTraceEvent *event);
/* Streams every event appended to @trace from now on (a reference is
 * kept until detach or free). */
void                   ml_trace_stats_attach     (MlTraceStats *self, MlTrace *trace);
void                   ml_trace_stats_detach     (MlTraceStats *self);
/* Zeros for a protocol that never appeared. Borrowed. */
const MlProtocolStats *ml_trace_stats_get        (MlTraceStats *self, MlProtocol protocol);
/* One line: "POP3: 2 sessions, 14 round trips, 5,210 octets of payload (7,640 on the wire, 31 frames)". */
char                  *ml_protocol_stats_describe (const MlProtocolStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlTraceStats, ml_trace_stats_free)

G_END_DECLS

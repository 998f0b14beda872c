/* trace-event.h — one entry of the trace, the only thing views read.
 *
 * A trace event is immutable once appended. Strings are owned by the event.
 * Which fields are set depends on the kind; unset strings are NULL.
 */
#pragma once

#include <glib.h>
#include "ml-types.h"

G_BEGIN_DECLS

typedef enum {
  /* An Ethernet frame put on a link (or dropped by it). bytes, link, hop,
   * src_host/dst_host (this hop), summary ("TCP 49152 → 25 [SYN] Seq=0"),
   * conn_id for TCP, explain_key ("tcp.syn"). */
  ML_TRACE_FRAME = 0,
  /* One protocol line (a command, or a reply line; a multi-line reply is one
   * event whose text holds every line joined by "\n"). host = sender,
   * peer = receiver, protocol, direction, text, verb/args or code,
   * explain_key ("smtp.rcpt", "smtp.reply.354"). */
  ML_TRACE_DIALOGUE,
  /* A protocol engine changed state: host, peer, protocol, state_from,
   * state_to, explain_key ("pop3.state.transaction"). */
  ML_TRACE_STATE,
  /* A DNS lookup finished: host (the resolver), text = question
   * ("MX b.example"), detail = answers ("10 mx.b.example"), explain_key. */
  ML_TRACE_DNS,
  /* The mail store changed: host (owning the store), account, mailbox,
   * uid, text ("append", "expunge", "flags"), detail. */
  ML_TRACE_STORE,
  /* Something a teacher points at that is no line on the wire: a message
   * queued, an MX chosen, a connection refused, a lesson step starting.
   * host, text, detail, explain_key. */
  ML_TRACE_NOTE,
} MlTraceKind;

typedef struct {
  MlTraceKind  kind;
  guint64      index;       /* position in the trace, from 0 */
  guint64      time_us;     /* virtual time (simulation) or capture time */

  char        *host;        /* where it happened / who sent it */
  char        *peer;        /* who received it, when that means something */
  guint        conn_id;     /* TCP connection number, 0 if none */
  MlProtocol   protocol;
  MlDirection  direction;

  char        *text;        /* the raw line, the frame summary, the note */
  char        *verb;        /* dialogue command verb ("MAIL") */
  char        *args;        /* dialogue command arguments */
  guint        code;        /* dialogue reply code (250) or 0 */
  char        *explain_key; /* catalog key, see lessons/explain/ */
  char        *state_from;
  char        *state_to;
  char        *detail;

  /* ML_TRACE_STORE */
  char        *account;
  char        *mailbox;
  guint32      uid;

  /* ML_TRACE_FRAME */
  GBytes      *bytes;       /* the whole Ethernet frame */
  char        *link;        /* link name "a--b" */
  guint        hop;         /* 0 on the sender's own link, +1 per router */
  gboolean     dropped;     /* the link lost it */
  gboolean     retransmission;
} MlTraceEvent;

MlTraceEvent *ml_trace_event_new   (MlTraceKind kind);
MlTraceEvent *ml_trace_event_copy  (const MlTraceEvent *event);
void          ml_trace_event_free  (MlTraceEvent *event);
const char   *ml_trace_kind_to_string (MlTraceKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlTraceEvent, ml_trace_event_free)

G_END_DECLS

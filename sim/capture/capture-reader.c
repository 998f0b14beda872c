#define G_LOG_DOMAIN "ml-capture"

#include "capture/capture-reader.h"
#include "capture/capture-private.h"
#include "capture/packet-decode.h"
#include "capture/tcp-reassembly.h"
#include "net/frame.h"

#include <string.h>
#include <pcap/pcap.h>

G_DEFINE_QUARK (ml-capture-error-quark, ml_capture_error)

#define ETH_HEADER_LEN  14
/* Segments of one direction held back because they acknowledge bytes of
 * the other direction the capture has not shown yet (see flow_defer). A
 * few round trips' worth; past it they are read as they are. */
#define ML_CAPTURE_MAX_DEFERRED  64

typedef struct {
  guint32 seq;
  guint32 ack;
  gsize   len;
  guint8  data[];
} Deferred;

/* Both ends of a TCP connection, the smaller endpoint first, so both
 * directions find the same flow. */
typedef struct {
  guint8  family;
  guint8  addr[2][ML_PACKET_ADDR_LEN];
  guint16 port[2];
} FlowKey;

typedef struct _Flow Flow;
typedef struct {
  Flow        *flow;
  MlDirection  direction;
} FlowSide;

struct _Flow {
  FlowKey             key;
  MlCaptureReader    *reader;
  guint               conn_id;
  guint8              client_addr[ML_PACKET_ADDR_LEN];
  guint16             client_port;
  char               *client_name;
  char               *server_name;
  MlTcpReassembly    *stream[2];   /* by MlDirection */
  FlowSide            side[2];
  MlCaptureEmitter    em;
  gboolean            decided;     /* protocol known, or given up */
  gboolean            implicit_tls;
  GByteArray         *detect[2];   /* first bytes while undecided */
  MlCaptureDissector *dissector;
  gboolean            fin[2];
  gboolean            closed;
  GQueue              deferred[2];  /* Deferred*, by sender */
  GList               lru;         /* link in reader->lru, data = self */
};

struct _MlCaptureReader {
  MlTrace          *trace;
  MlCaptureOptions  options;
  MlCaptureStats    stats;
  GHashTable       *flows;         /* FlowKey* → Flow* (owned) */
  GQueue            lru;           /* Flow*, least recently used first */
  guint             next_conn_id;
  gboolean          have_first_time;
  guint64           first_time_us;
  guint64           now_us;        /* the packet being read, from the first */
  gboolean          finished;
};

static guint
flow_key_hash (gconstpointer p)
{
  const FlowKey *k = p;
  guint h = k->family;
  gsize n = k->family == 6 ? 16 : 4;

  for (int s = 0; s < 2; s++)
    {
      for (gsize i = 0; i < n; i++)
        h = h * 31 + k->addr[s][i];
      h = h * 31 + k->port[s];
    }
  return h;
}

static gboolean
flow_key_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, sizeof (FlowKey)) == 0;
}

static void
flow_key_make (const MlPacket *p, FlowKey *key)
{
  int cmp;

  memset (key, 0, sizeof *key);
  key->family = (guint8) p->family;
  cmp = memcmp (p->src, p->dst, ML_PACKET_ADDR_LEN);
  if (cmp == 0)
    cmp = (int) p->src_port - (int) p->dst_port;
  memcpy (key->addr[cmp <= 0 ? 0 : 1], p->src, ML_PACKET_ADDR_LEN);
  memcpy (key->addr[cmp <= 0 ? 1 : 0], p->dst, ML_PACKET_ADDR_LEN);
  key->port[cmp <= 0 ? 0 : 1] = p->src_port;
  key->port[cmp <= 0 ? 1 : 0] = p->dst_port;
}

static MlCaptureProtocolStats *
stats_for (MlCaptureReader *self, MlProtocol protocol)
{
  switch (protocol)
    {
    case ML_PROTO_SMTP: return &self->stats.smtp;
    case ML_PROTO_POP3: return &self->stats.pop3;
    case ML_PROTO_IMAP: return &self->stats.imap;
    default: return NULL;
    }
}

/* ---- lines across the two directions in their true order ---- */

/* A capture may show a segment after one that answers it (two capture
 * points merged, a late timestamp): the client's EHLO before the greeting
 * it acknowledges. Each direction is reassembled on its own either way;
 * to keep the dialogue in the order it was spoken, a segment that
 * acknowledges bytes of the other direction not yet seen waits until they
 * come (or until it is clear they will not: the other direction moved on
 * past a hole, ML_CAPTURE_MAX_DEFERRED were held, or the flow ended). */
static void
flow_release (Flow *flow, MlDirection dir)
{
  Deferred *d;

  while ((d = g_queue_pop_head (&flow->deferred[dir])) != NULL)
    {
      ml_tcp_reassembly_ack (flow->stream[1 - dir], d->ack);
      ml_tcp_reassembly_add (flow->stream[dir], d->seq, d->data, d->len, FALSE);
      g_free (d);
    }
}

/* Releases the held segments whose acknowledged bytes have now come. */
static void
flow_release_answered (Flow *flow, MlDirection dir)
{
  Deferred *d;

  while ((d = g_queue_peek_head (&flow->deferred[dir])) != NULL
         && ml_tcp_reassembly_compare (flow->stream[1 - dir], d->ack) <= 0)
    {
      g_queue_pop_head (&flow->deferred[dir]);
      ml_tcp_reassembly_ack (flow->stream[1 - dir], d->ack);
      ml_tcp_reassembly_add (flow->stream[dir], d->seq, d->data, d->len, FALSE);
      g_free (d);
    }
}

static void
flow_defer (Flow *flow, MlDirection dir, guint32 seq, guint32 ack,
            const guint8 *data, gsize len)
{
  Deferred *d = g_malloc (sizeof (Deferred) + len);

  d->seq = seq;
  d->ack = ack;
  d->len = len;
  memcpy (d->data, data, len);
  g_queue_push_tail (&flow->deferred[dir], d);
  if (flow->deferred[dir].length > ML_CAPTURE_MAX_DEFERRED)
    flow_release (flow, dir);
}

/* ---- a flow's end ---- */

static void
flow_end (Flow *flow, const char *why)
{
  if (flow->closed)
    return;
  for (int d = 0; d < 2; d++)
    flow_release (flow, (MlDirection) d);
  flow->closed = TRUE;
  for (int d = 0; d < 2; d++)
    ml_tcp_reassembly_flush (flow->stream[d]);
  if (flow->dissector)
    {
      /* A closed flow is kept only to number its late segments. */
      flow->dissector->finish (flow->dissector);
      flow->dissector->free (flow->dissector);
      flow->dissector = NULL;
    }
  if (why && flow->em.protocol != ML_PROTO_TCP)
    ml_capture_emit_note (&flow->em, ML_DIR_CLIENT_TO_SERVER, "capture.flow.end", why, NULL);
}

static void
flow_free (gpointer data)
{
  Flow *flow = data;

  if (flow->dissector)
    flow->dissector->free (flow->dissector);
  for (int d = 0; d < 2; d++)
    {
      g_queue_clear_full (&flow->deferred[d], g_free);
      ml_tcp_reassembly_free (flow->stream[d]);
      if (flow->detect[d])
        g_byte_array_unref (flow->detect[d]);
    }
  g_free (flow->client_name);
  g_free (flow->server_name);
  g_free (flow);
}

/* ---- protocol decision ---- */

static void
flow_start_dissector (Flow *flow, MlProtocol protocol, gboolean implicit_tls)
{
  MlCaptureReader *self = flow->reader;

  flow->decided = TRUE;
  flow->em.protocol = protocol;
  flow->em.stats = stats_for (self, protocol);
  if (flow->em.stats)
    flow->em.stats->flows++;
  switch (protocol)
    {
    case ML_PROTO_SMTP:
      flow->dissector = ml_smtp_dissector_new (&flow->em, implicit_tls);
      break;
    case ML_PROTO_POP3:
      flow->dissector = ml_pop3_dissector_new (&flow->em, implicit_tls);
      break;
    case ML_PROTO_IMAP:
      flow->dissector = ml_imap_dissector_new (&flow->em, implicit_tls);
      break;
    default:
      flow->em.protocol = ML_PROTO_TCP;
      break;
    }
}

static void
flow_try_detect (Flow *flow)
{
  MlProtocol found = ML_PROTO_NONE;
  /* The server greets first in all three protocols. */
  static const MlDirection order[] = { ML_DIR_SERVER_TO_CLIENT, ML_DIR_CLIENT_TO_SERVER };

  for (gsize i = 0; i < G_N_ELEMENTS (order) && found == ML_PROTO_NONE; i++)
    {
      GByteArray *b = flow->detect[order[i]];
      if (b && b->len > 0)
        found = ml_capture_detect_content (order[i], b->data, b->len);
    }
  if (found == ML_PROTO_NONE)
    {
      /* A greeting or an EHLO fits in the first ML_CAPTURE_DETECT_MAX
       * bytes; past them in either direction this is no mail (and a bulk
       * transfer one way must not be buffered). */
      gboolean full = FALSE;
      for (int d = 0; d < 2; d++)
        if (flow->detect[d] != NULL && flow->detect[d]->len >= ML_CAPTURE_DETECT_MAX)
          full = TRUE;
      if (!full)
        return;
      flow_start_dissector (flow, ML_PROTO_NONE, FALSE);
    }
  else
    flow_start_dissector (flow, found, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (order); i++)
    {
      GByteArray *b = flow->detect[order[i]];
      if (b == NULL)
        continue;
      if (flow->em.stats)
        flow->em.stats->payload_bytes += b->len;
      if (flow->dissector && b->len > 0)
        flow->dissector->feed (flow->dissector, order[i], b->data, b->len);
      g_byte_array_unref (b);
      flow->detect[order[i]] = NULL;
    }
}

/* ---- reassembled bytes ---- */

static void
side_data (gpointer user_data, const guint8 *data, gsize len)
{
  FlowSide *side = user_data;
  Flow *flow = side->flow;

  if (!flow->decided)
    {
      GByteArray **b = &flow->detect[side->direction];
      if (*b == NULL)
        *b = g_byte_array_new ();
      g_byte_array_append (*b, data, (guint) len);
      flow_try_detect (flow);
      return;
    }
  if (flow->em.stats)
    flow->em.stats->payload_bytes += len;
  if (flow->dissector)
    flow->dissector->feed (flow->dissector, side->direction, data, len);
}

static void
side_gap (gpointer user_data, guint64 len)
{
  FlowSide *side = user_data;
  Flow *flow = side->flow;
  g_autofree char *text = NULL;

  if (!flow->decided)
    flow_start_dissector (flow, ML_PROTO_NONE, FALSE);
  if (flow->em.stats)
    flow->em.stats->gap_bytes += len;
  if (flow->em.protocol == ML_PROTO_TCP)
    return;
  text = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes from the %s were never captured",
                          len, side->direction == ML_DIR_CLIENT_TO_SERVER ? "client" : "server");
  ml_capture_emit_note (&flow->em, side->direction, "capture.gap", text,
                        "The capture missed these segments (dropped by the capturing "
                        "host, or taken on another path); what the dialogue shows next "
                        "starts after the hole.");
  if (flow->dissector)
    flow->dissector->gap (flow->dissector, side->direction, len);
}

static const MlTcpReassemblyFuncs side_funcs = { side_data, side_gap };

static char *
endpoint_name (int family, const guint8 *addr, guint16 port, gboolean with_port)
{
  g_autofree char *a = ml_packet_dup_address (family, addr);

  if (!with_port)
    return g_steal_pointer (&a);
  return family == 6 ? g_strdup_printf ("[%s]:%u", a, port) : g_strdup_printf ("%s:%u", a, port);
}

static void
evict_one (MlCaptureReader *self)
{
  Flow *old = g_queue_peek_head (&self->lru);

  if (old == NULL)
    return;
  if (!old->closed)
    {
      self->stats.evicted_flows++;
      flow_end (old, "no longer followed: too many connections open at once");
    }
  g_queue_unlink (&self->lru, &old->lru);
  g_hash_table_remove (self->flows, &old->key);
}

static Flow *
flow_new (MlCaptureReader *self, const FlowKey *key, const MlPacket *p)
{
  Flow *flow = g_new0 (Flow, 1);
  gboolean sender_is_client, tls_dst = FALSE, tls_src = FALSE;
  MlProtocol by_dst, by_src;
  gboolean same_host;

  while (g_hash_table_size (self->flows) >= ML_CAPTURE_MAX_FLOWS)
    evict_one (self);

  flow->key = *key;
  flow->reader = self;
  flow->conn_id = ++self->next_conn_id;
  self->stats.flows++;

  by_dst = ml_capture_detect_port (&self->options, p->dst_port, &tls_dst);
  by_src = ml_capture_detect_port (&self->options, p->src_port, &tls_src);
  /* Who opened the connection: the SYN says so (RFC 9293 3.5); without one
   * the mail port is the server's, else the lower port (ephemeral ports
   * are high, RFC 6335 6). */
  if ((p->flags & ML_TCP_SYN) && !(p->flags & ML_TCP_ACK))
    sender_is_client = TRUE;
  else if ((p->flags & ML_TCP_SYN) && (p->flags & ML_TCP_ACK))
    sender_is_client = FALSE;
  else if (by_dst != ML_PROTO_NONE)
    sender_is_client = TRUE;
  else if (by_src != ML_PROTO_NONE)
    sender_is_client = FALSE;
  else
    sender_is_client = p->src_port > p->dst_port;

  memcpy (flow->client_addr, sender_is_client ? p->src : p->dst, ML_PACKET_ADDR_LEN);
  flow->client_port = sender_is_client ? p->src_port : p->dst_port;
  same_host = memcmp (p->src, p->dst, ML_PACKET_ADDR_LEN) == 0;
  flow->client_name = endpoint_name (p->family, sender_is_client ? p->src : p->dst,
                                     flow->client_port, same_host);
  flow->server_name = endpoint_name (p->family, sender_is_client ? p->dst : p->src,
                                     sender_is_client ? p->dst_port : p->src_port, same_host);

  for (int d = 0; d < 2; d++)
    {
      flow->side[d].flow = flow;
      flow->side[d].direction = (MlDirection) d;
      flow->stream[d] = ml_tcp_reassembly_new (&side_funcs, &flow->side[d]);
    }
  flow->em.time_us = self->now_us;
  flow->em.trace = self->trace;
  flow->em.options = &self->options;
  flow->em.conn_id = flow->conn_id;
  flow->em.protocol = ML_PROTO_TCP;
  flow->em.client = flow->client_name;
  flow->em.server = flow->server_name;
  flow->em.selected = self->options.only_flow == 0 || self->options.only_flow == flow->conn_id;
  flow->em.emit = flow->em.selected && self->options.dialogue;

  {
    MlProtocol server_proto = sender_is_client ? by_dst : by_src;
    gboolean tls = sender_is_client ? tls_dst : tls_src;
    if (server_proto != ML_PROTO_NONE)
      {
        flow->implicit_tls = tls;
        flow_start_dissector (flow, server_proto, tls);
      }
  }

  flow->lru.data = flow;
  g_queue_push_tail_link (&self->lru, &flow->lru);
  g_hash_table_insert (self->flows, &flow->key, flow);
  return flow;
}

static Flow *
flow_lookup (MlCaptureReader *self, const MlPacket *p)
{
  FlowKey key;
  Flow *flow;

  flow_key_make (p, &key);
  flow = g_hash_table_lookup (self->flows, &key);
  /* A new SYN on a finished connection's ports is a new connection. */
  if (flow && flow->closed && (p->flags & ML_TCP_SYN) && !(p->flags & ML_TCP_ACK))
    {
      g_queue_unlink (&self->lru, &flow->lru);
      g_hash_table_remove (self->flows, &flow->key);
      flow = NULL;
    }
  if (flow == NULL)
    {
      /* A lone ACK or RST of a connection already forgotten starts none. */
      if (p->payload_len == 0 && !(p->flags & ML_TCP_SYN))
        return NULL;
      flow = flow_new (self, &key, p);
      if (!(p->flags & ML_TCP_SYN) && flow->em.protocol != ML_PROTO_TCP)
        ml_capture_emit_note (&flow->em, ML_DIR_CLIENT_TO_SERVER, "capture.flow.midstream",
                              "the capture begins in the middle of this connection",
                              "No SYN was captured: the dialogue starts with whatever "
                              "line follows the first segment's start.");
      return flow;
    }
  g_queue_unlink (&self->lru, &flow->lru);
  g_queue_push_tail_link (&self->lru, &flow->lru);
  return flow;
}

/* ---- frames ---- */

static char *
tcp_summary (const MlPacket *p, Flow *flow, MlDirection dir, gboolean retransmission)
{
  static const struct { guint8 bit; const char *name; } names[] = {
    { ML_TCP_FIN, "FIN" }, { ML_TCP_SYN, "SYN" }, { ML_TCP_RST, "RST" },
    { ML_TCP_PSH, "PSH" }, { ML_TCP_ACK, "ACK" }, { ML_TCP_URG, "URG" },
  };
  GString *s = g_string_sized_new (80);
  gboolean first = TRUE;
  guint32 base = 0, ack_base = 0;

  /* Wireshark's info column, numbers relative to each side's ISN. */
  if (flow)
    {
      if (!ml_tcp_reassembly_get_base (flow->stream[dir], &base))
        base = 0;
      if (!ml_tcp_reassembly_get_base (flow->stream[1 - dir], &ack_base))
        ack_base = 0;
    }
  if (retransmission)
    g_string_append (s, "[TCP Retransmission] ");
  g_string_append_printf (s, "%u → %u [", p->src_port, p->dst_port);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (p->flags & names[i].bit)
      {
        g_string_append_printf (s, "%s%s", first ? "" : ", ", names[i].name);
        first = FALSE;
      }
  g_string_append_printf (s, "] Seq=%u", p->seq - base);
  if (p->flags & ML_TCP_ACK)
    g_string_append_printf (s, " Ack=%u", p->ack - ack_base);
  g_string_append_printf (s, " Win=%u Len=%" G_GSIZE_FORMAT, p->window, p->payload_wire_len);
  if (p->mss)
    g_string_append_printf (s, " MSS=%u", p->mss);
  return g_string_free (s, FALSE);
}

static const char *
tcp_explain_key (guint8 flags, gsize len, gboolean retransmission)
{
  if (flags & ML_TCP_RST)
    return "tcp.rst";
  if ((flags & (ML_TCP_SYN | ML_TCP_ACK)) == (ML_TCP_SYN | ML_TCP_ACK))
    return "tcp.syn-ack";
  if (flags & ML_TCP_SYN)
    return "tcp.syn";
  if (flags & ML_TCP_FIN)
    return "tcp.fin";
  if (retransmission)
    return "tcp.retransmission";
  return len > 0 ? "tcp.data" : "tcp.ack";
}

/* Every view decodes Ethernet: other link layers get a synthetic Ethernet
 * II header in place of theirs (see capture-reader.h). */
static GBytes *
frame_bytes (int link_type, const guint8 *data, gsize caplen, const MlPacket *p)
{
  guint8 *out;

  if (link_type == DLT_EN10MB || p->family == 0 || p->ip_offset > caplen)
    return g_bytes_new (data, caplen);
  out = g_malloc0 (ETH_HEADER_LEN + caplen - p->ip_offset);
  out[12] = p->family == 6 ? 0x86 : 0x08;
  out[13] = p->family == 6 ? 0xDD : 0x00;
  memcpy (out + ETH_HEADER_LEN, data + p->ip_offset, caplen - p->ip_offset);
  return g_bytes_new_take (out, ETH_HEADER_LEN + caplen - p->ip_offset);
}

static void
append_frame (MlCaptureReader *self, guint64 time_us, int link_type, const guint8 *data,
              gsize caplen, const MlPacket *p, Flow *flow, MlDirection dir,
              gboolean retransmission)
{
  MlTraceEvent *e;
  char name_buf[32];

  if (!self->options.frames)
    return;
  if (self->options.only_flow && (flow == NULL || flow->conn_id != self->options.only_flow))
    return;
  e = ml_trace_event_new (ML_TRACE_FRAME);
  e->time_us = time_us;
  e->bytes = frame_bytes (link_type, data, caplen, p);
  if (link_type != DLT_EN10MB)
    e->link = g_strdup_printf ("capture:%s", ml_packet_link_type_name (link_type, name_buf));
  if (flow)
    {
      e->host = g_strdup (dir == ML_DIR_CLIENT_TO_SERVER ? flow->client_name : flow->server_name);
      e->peer = g_strdup (dir == ML_DIR_CLIENT_TO_SERVER ? flow->server_name : flow->client_name);
      e->conn_id = flow->conn_id;
      e->protocol = flow->em.protocol;
      e->direction = dir;
    }
  else if (p->family)
    {
      e->host = ml_packet_dup_address (p->family, p->src);
      e->peer = ml_packet_dup_address (p->family, p->dst);
    }
  e->retransmission = retransmission;
  switch (p->kind)
    {
    case ML_PACKET_TCP:
      e->text = tcp_summary (p, flow, dir, retransmission);
      e->explain_key = g_strdup (tcp_explain_key (p->flags, p->payload_len, retransmission));
      break;
    case ML_PACKET_IP_OTHER:
      e->text = g_strdup_printf ("IPv%d protocol %u%s, %" G_GSIZE_FORMAT " bytes", p->family,
                                 p->ip_protocol, p->fragment ? " (fragment, not reassembled)" : "",
                                 p->ip_len);
      break;
    case ML_PACKET_MALFORMED:
      e->text = g_strdup_printf ("malformed: %s", p->error_text);
      e->explain_key = g_strdup ("net.malformed");
      break;
    case ML_PACKET_NOT_IP:
    default:
      e->text = g_strdup_printf ("%s, %" G_GSIZE_FORMAT " bytes (%s)",
                                 ml_packet_link_type_name (link_type, name_buf), caplen,
                                 p->error_text ? p->error_text : "not dissected");
      break;
    }
  ml_trace_append (self->trace, e);
}

/* ---- public ---- */

MlCaptureReader *
ml_capture_reader_new (MlTrace *trace, const MlCaptureOptions *options)
{
  MlCaptureReader *self = g_new0 (MlCaptureReader, 1);

  g_return_val_if_fail (ML_IS_TRACE (trace), NULL);
  self->trace = g_object_ref (trace);
  if (options)
    self->options = *options;
  else
    ml_capture_options_init (&self->options);
  self->flows = g_hash_table_new_full (flow_key_hash, flow_key_equal, NULL, flow_free);
  g_queue_init (&self->lru);
  return self;
}

void
ml_capture_reader_free (MlCaptureReader *self)
{
  if (self == NULL)
    return;
  /* The links are embedded in the flows, which the table frees. */
  g_queue_init (&self->lru);
  g_hash_table_destroy (self->flows);
  g_object_unref (self->trace);
  g_free (self);
}

void
ml_capture_reader_add_packet (MlCaptureReader *self, guint64 time_us, int link_type,
                              const guint8 *data, gsize caplen, gsize wire_len)
{
  MlPacket p;
  Flow *flow = NULL;
  MlDirection dir = ML_DIR_CLIENT_TO_SERVER;
  MlTcpSegmentResult result;

  g_return_if_fail (!self->finished);
  (void) wire_len;
  if (!self->have_first_time)
    {
      self->have_first_time = TRUE;
      self->first_time_us = time_us;
    }
  /* Times are from the first packet, as a simulation's are from its start;
   * a capture's clock may step back, never below zero. */
  time_us = time_us >= self->first_time_us ? time_us - self->first_time_us : 0;
  self->now_us = time_us;
  self->stats.packets++;
  self->stats.bytes += caplen;

  ml_packet_decode (link_type, data, caplen, &p);
  if (p.kind != ML_PACKET_TCP)
    {
      self->stats.other_packets++;
      append_frame (self, time_us, link_type, data, caplen, &p, NULL, dir, FALSE);
      return;
    }
  self->stats.tcp_packets++;
  flow = flow_lookup (self, &p);
  if (flow == NULL)
    {
      append_frame (self, time_us, link_type, data, caplen, &p, NULL, dir, FALSE);
      return;
    }
  dir = (memcmp (p.src, flow->client_addr, ML_PACKET_ADDR_LEN) == 0
         && p.src_port == flow->client_port)
        ? ML_DIR_CLIENT_TO_SERVER : ML_DIR_SERVER_TO_CLIENT;
  flow->em.time_us = time_us;

  if (flow->closed)
    {
      append_frame (self, time_us, link_type, data, caplen, &p, flow, dir, FALSE);
      return;
    }
  if (p.flags & ML_TCP_SYN)
    ml_tcp_reassembly_syn (flow->stream[dir], p.seq);
  /* The frame first (a retransmission is known before its bytes are
   * read), then what the peer acknowledged — bytes it received before it
   * sent this segment, so a hole there is reported before this segment's
   * lines — then the lines this segment's bytes complete. */
  {
    MlTcpReassembly *rs = flow->stream[dir];
    guint32 seq = p.seq + ((p.flags & ML_TCP_SYN) ? 1 : 0);
    /* A record cut by the snap length: the bytes not captured are not
     * delivered; the FIN is, so the hole shows up as a gap. */
    gboolean fin = (p.flags & ML_TCP_FIN) && p.payload_len == p.payload_wire_len;
    gboolean plain;

    result = ml_tcp_reassembly_classify (rs, seq, p.payload_len);
    append_frame (self, time_us, link_type, data, caplen, &p, flow, dir,
                  result == ML_TCP_SEGMENT_RETRANSMISSION);
    plain = p.payload_len > 0 && !(p.flags & (ML_TCP_SYN | ML_TCP_FIN | ML_TCP_RST));
    if (plain && (p.flags & ML_TCP_ACK)
        && (flow->deferred[dir].length > 0
            || ml_tcp_reassembly_compare (flow->stream[1 - dir], p.ack) > 0))
      {
        /* It answers bytes not seen yet, or follows one that does. */
        flow_defer (flow, dir, seq, p.ack, p.payload, p.payload_len);
        return;
      }
    if (!plain)
      flow_release (flow, dir);
    /* This segment leaves a hole before it: what the other side held back
     * waiting for the hole is read first. */
    if (p.payload_len > 0 && ml_tcp_reassembly_compare (rs, seq) > 0)
      flow_release (flow, (MlDirection) (1 - dir));
    if (p.flags & ML_TCP_ACK)
      ml_tcp_reassembly_ack (flow->stream[1 - dir], p.ack);
    if (p.payload_len > 0 || (p.flags & ML_TCP_FIN))
      ml_tcp_reassembly_add (rs, seq, p.payload, p.payload_len, fin);
    flow_release_answered (flow, (MlDirection) (1 - dir));
  }
  if (p.flags & ML_TCP_FIN)
    flow->fin[dir] = TRUE;

  if (p.flags & ML_TCP_RST)
    flow_end (flow, "connection reset (RST)");
  else if (flow->fin[0] && flow->fin[1]
           && ml_tcp_reassembly_is_closed (flow->stream[0])
           && ml_tcp_reassembly_is_closed (flow->stream[1]))
    flow_end (flow, NULL);
}

static gint
compare_conn_id (gconstpointer a, gconstpointer b)
{
  const Flow *fa = a, *fb = b;
  return (fa->conn_id > fb->conn_id) - (fa->conn_id < fb->conn_id);
}

void
ml_capture_reader_finish (MlCaptureReader *self)
{
  GList *open = NULL;

  if (self->finished)
    return;
  for (GList *l = self->lru.head; l; l = l->next)
    {
      Flow *flow = l->data;
      if (!flow->closed)
        open = g_list_prepend (open, flow);
    }
  open = g_list_sort (open, compare_conn_id);
  for (GList *l = open; l; l = l->next)
    {
      Flow *flow = l->data;
      if (!flow->decided)
        flow_try_detect (flow);
      if (!flow->decided)
        flow_start_dissector (flow, ML_PROTO_NONE, FALSE);
      flow_end (flow, "still open when the capture ended");
    }
  g_list_free (open);
  self->finished = TRUE;
}

const MlCaptureStats *
ml_capture_reader_get_stats (MlCaptureReader *self)
{
  return &self->stats;
}

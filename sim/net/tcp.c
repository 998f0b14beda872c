/* The TCP state machine (RFC 9293), one connection at a time.
 *
 * Shape, after BSD: segment arrival is handled in one place
 * (tcp_input_*: the steps of RFC 9293 3.10.7 in order), and everything that
 * leaves goes through tcp_output(), which looks at the state and the
 * sequence variables and sends what is due: SYN, data within min(cwnd,
 * peer window), FIN, or a bare ACK. Timers (retransmission, delayed ACK,
 * TIME_WAIT) and the zero-delay "output kick" are scheduler events.
 * State changes happen only in tcp_set_state(), so a reader can follow
 * every transition through one function.
 */
#define G_LOG_DOMAIN "ml-tcp"

#include <string.h>

#include "net/network-private.h"
#include "net/tcp-private.h"

/* RFC 9293 3.4: sequence numbers compare modulo 2^32. */
#define SEQ_LT(a, b)  ((gint32) ((guint32) (a) - (guint32) (b)) < 0)
#define SEQ_LEQ(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT (b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ (b, a)

/* RFC 9293 3.7.1: the MSS excludes the 20-byte IPv4 and TCP headers. */
#define TCP_IP_OVERHEAD   (ML_IPV4_HEADER_LEN + ML_TCP_HEADER_LEN)
/* RFC 3390 / RFC 5681 3.1: IW = min(4·MSS, max(2·MSS, 4380 bytes)). */
#define TCP_IW_BYTES      4380
/* RFC 6298 2: G, the clock granularity, is our 1 µs tick. */
#define TCP_CLOCK_G_US    1
/* The acknowledged head of the send buffer is cut off once it is this big
 * (and more than half the buffer), keeping the copy cost linear. */
#define SNDBUF_COMPACT_AT (64 * 1024)

typedef struct {
  guint16 local_port;
  guint16 remote_port;
  guint32 remote_ip;
} ConnKey;

typedef struct {
  MlTcpAcceptFunc func;
  gpointer        user_data;
  GDestroyNotify  destroy;
} Listener;

/* A segment that arrived ahead of a gap (RFC 5681 4.2 asks receivers to
 * keep them; the sender then only has to fill the hole). */
typedef struct {
  guint32  seq;
  gsize    len;
  gboolean fin;
  guint8   data[];
} OooSegment;

struct _MlTcpHost
{
  MlHost     *host;
  GHashTable *conns;       /* ConnKey* → MlTcpConn*, lookups only */
  GQueue      all;         /* MlTcpConn*, in order of creation */
  GHashTable *listeners;   /* port → Listener* (g_rc_box) */
  GHashTable *ports;       /* local port → connections using it */
};

struct _MlTcpConn
{
  MlTcpHost   *th;
  MlHost      *host;
  MlScheduler *sched;
  GList       *node;            /* in th->all */
  ConnKey      key;
  guint        conn_id;
  gboolean     active_open;
  MlTcpStream *stream;          /* strong reference until detached */
  MlTcpState   state;

  /* RFC 9293 3.3.1 send sequence variables; snd_max is the highest
   * sequence number sent, snd_nxt goes back to snd_una on a timeout. */
  guint32      iss, snd_una, snd_nxt, snd_max;
  guint32      snd_wnd, snd_wl1, snd_wl2;
  GByteArray  *sndbuf;          /* unacknowledged and unsent data */
  gsize        sndbuf_off;      /* bytes at the front already acknowledged */
  guint32      sndbuf_seq;      /* sequence number of sndbuf[sndbuf_off] */
  gboolean     fin_queued;      /* the application closed: FIN after the data */
  guint        mss;             /* effective send MSS (RFC 9293 3.7.1) */
  guint        our_mss;         /* what we announced */

  /* RFC 5681 congestion control, RFC 6582 recovery. */
  guint32      cwnd, ssthresh, recover;
  guint        dupacks;
  gboolean     in_recovery;
  gboolean     syn_retransmitted;

  /* RFC 6298 retransmission timer. */
  guint64      srtt, rttvar, rto;
  gboolean     have_rtt, rtt_timing;
  guint32      rtt_seq;
  guint64      rtt_start;
  guint        retries;         /* consecutive timeouts */
  guint        retransmissions; /* all segments sent again */
  gboolean     unreachable;

  /* RFC 9293 3.3.1 receive sequence variables. */
  guint32      irs, rcv_nxt;
  GQueue       ooo;             /* OooSegment*, sorted by seq */
  gsize        unacked_bytes;   /* received in order, not yet acknowledged */
  gboolean     ack_now;         /* the next tcp_output() must send an ACK */
  gboolean     ack_pending;     /* the next output kick must send an ACK */

  /* Scheduler ids, 0 when idle. The retransmission timer is lazy: moving
   * its deadline later only records the deadline, and the event, when it
   * fires early, re-arms itself. */
  guint64      rexmt_event, rexmt_event_due, rexmt_deadline;
  guint64      delack_event, timewait_event, output_event;
};

typedef enum {
  ACK_NONE,
  ACK_DELAYED,   /* RFC 9293 3.8.6.3: may wait ML_TCP_DELAYED_ACK_US */
  ACK_SOON,      /* after the application had its turn at this instant */
  ACK_NOW,
} AckPolicy;

static void tcp_output (MlTcpConn *c);
static void tcp_conn_destroy (MlTcpConn *c, const GError *error);

/* ------------------------------------------------------------------ */
/* names and bookkeeping                                                */

const char *
ml_tcp_state_to_string (MlTcpState state)
{
  static const char *const names[] = {
    "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
    "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
  };

  if ((guint) state >= G_N_ELEMENTS (names))
    return "UNKNOWN";
  return names[state];
}

static guint
conn_key_hash (gconstpointer p)
{
  const ConnKey *k = p;

  return k->remote_ip * 2654435761u ^ ((guint) k->local_port << 16 | k->remote_port);
}

static gboolean
conn_key_equal (gconstpointer a, gconstpointer b)
{
  const ConnKey *x = a, *y = b;

  return x->local_port == y->local_port && x->remote_port == y->remote_port
         && x->remote_ip == y->remote_ip;
}

static void
listener_clear (gpointer data)
{
  Listener *l = data;

  if (l->destroy)
    l->destroy (l->user_data);
}

static void
listener_unref (gpointer data)
{
  g_rc_box_release_full (data, listener_clear);
}

MlTcpHost *
_ml_tcp_host_new (MlHost *host)
{
  MlTcpHost *th = g_new0 (MlTcpHost, 1);

  th->host = host;
  th->conns = g_hash_table_new (conn_key_hash, conn_key_equal);
  g_queue_init (&th->all);
  th->listeners = g_hash_table_new_full (NULL, NULL, NULL, listener_unref);
  th->ports = g_hash_table_new (NULL, NULL);
  return th;
}

static void
timer_cancel (MlTcpConn *c, guint64 *id)
{
  if (*id)
    ml_scheduler_cancel (c->sched, *id);
  *id = 0;
}

static void
conn_free (MlTcpConn *c)
{
  timer_cancel (c, &c->rexmt_event);
  timer_cancel (c, &c->delack_event);
  timer_cancel (c, &c->timewait_event);
  timer_cancel (c, &c->output_event);
  g_queue_clear_full (&c->ooo, g_free);
  g_byte_array_unref (c->sndbuf);
  g_free (c);
}

void
_ml_tcp_host_shutdown (MlTcpHost *th)
{
  MlTcpConn *c;

  /* No callbacks: the network is being freed, not the connections
   * failing. A stream the application still holds just goes quiet. */
  while ((c = g_queue_pop_head (&th->all)) != NULL)
    {
      g_hash_table_remove (th->conns, &c->key);
      if (c->stream)
        {
          _ml_tcp_stream_detach (c->stream);
          g_clear_object (&c->stream);
        }
      conn_free (c);
    }
  g_hash_table_remove_all (th->ports);
}

void
_ml_tcp_host_free (MlTcpHost *th)
{
  if (th == NULL)
    return;
  _ml_tcp_host_shutdown (th);
  g_hash_table_unref (th->conns);
  g_hash_table_unref (th->listeners);
  g_hash_table_unref (th->ports);
  g_free (th);
}

gboolean
_ml_tcp_host_port_in_use (MlTcpHost *th, guint16 port)
{
  return g_hash_table_contains (th->ports, GUINT_TO_POINTER ((guint) port))
         || g_hash_table_contains (th->listeners, GUINT_TO_POINTER ((guint) port));
}

static MlTcpConn *
tcp_host_lookup (MlTcpHost *th, guint16 local_port, guint32 remote_ip, guint16 remote_port)
{
  ConnKey key = { local_port, remote_port, remote_ip };

  return g_hash_table_lookup (th->conns, &key);
}

guint
_ml_tcp_host_find_conn_id (MlTcpHost *th, guint16 local_port,
                           guint32 remote_ip, guint16 remote_port)
{
  MlTcpConn *c = tcp_host_lookup (th, local_port, remote_ip, remote_port);

  return c ? c->conn_id : 0;
}

guint
ml_host_tcp_get_n_connections (MlHost *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return _ml_host_get_tcp (self)->all.length;
}

/* The other end of a connection, when it is simulated too: used to give
 * both ends one conn id, and replies without a connection the same id. */
static MlTcpConn *
tcp_peer_conn (MlHost *host, guint16 local_port, guint32 remote_ip, guint16 remote_port)
{
  MlHost *peer = ml_network_find_host_by_ip (ml_host_get_network (host), remote_ip);

  if (peer == NULL)
    return NULL;
  return tcp_host_lookup (_ml_host_get_tcp (peer), remote_port, ml_host_get_ipv4 (host), local_port);
}

static MlTcpConn *
tcp_conn_new (MlTcpHost *th, guint16 local_port, guint32 remote_ip, guint16 remote_port,
              gboolean active_open, guint conn_id)
{
  MlTcpConn *c = g_new0 (MlTcpConn, 1);
  guint users;

  c->th = th;
  c->host = th->host;
  c->sched = _ml_host_get_scheduler (th->host);
  c->key.local_port = local_port;
  c->key.remote_ip = remote_ip;
  c->key.remote_port = remote_port;
  c->active_open = active_open;
  c->conn_id = conn_id;
  c->state = active_open ? ML_TCP_SYN_SENT : ML_TCP_SYN_RECEIVED;
  c->sndbuf = g_byte_array_new ();
  c->rto = ML_TCP_INITIAL_RTO_US;
  g_queue_init (&c->ooo);
  /* RFC 9293 3.4.1 wants ISNs that are hard to guess; a lab wants them
   * repeatable, so they come from the run's one seeded generator. */
  c->iss = g_rand_int (ml_scheduler_get_rand (c->sched));
  c->snd_una = c->snd_nxt = c->snd_max = c->iss;
  c->recover = c->iss;
  c->sndbuf_seq = c->iss + 1;
  c->our_mss = _ml_host_first_hop_mtu (th->host, remote_ip);
  c->our_mss = c->our_mss > TCP_IP_OVERHEAD ? c->our_mss - TCP_IP_OVERHEAD : ML_TCP_DEFAULT_MSS;
  c->stream = _ml_tcp_stream_new (c, th->host, local_port, remote_ip, remote_port, conn_id);

  g_hash_table_insert (th->conns, &c->key, c);
  c->node = g_list_alloc ();
  c->node->data = c;
  g_queue_push_tail_link (&th->all, c->node);
  users = GPOINTER_TO_UINT (g_hash_table_lookup (th->ports, GUINT_TO_POINTER ((guint) local_port)));
  g_hash_table_insert (th->ports, GUINT_TO_POINTER ((guint) local_port), GUINT_TO_POINTER (users + 1));
  return c;
}

/* Removes the connection from its host and frees it. @error, when set,
 * is reported to the stream (reset, refused, timeout); a connection that
 * ends in order already told its stream when the peer's FIN arrived. */
static void
tcp_conn_destroy (MlTcpConn *c, const GError *error)
{
  MlTcpHost *th = c->th;
  g_autoptr(MlTcpStream) stream = g_steal_pointer (&c->stream);
  guint users;

  c->state = ML_TCP_CLOSED;
  g_hash_table_remove (th->conns, &c->key);
  g_queue_delete_link (&th->all, c->node);
  users = GPOINTER_TO_UINT (g_hash_table_lookup (th->ports, GUINT_TO_POINTER ((guint) c->key.local_port)));
  if (users > 1)
    g_hash_table_insert (th->ports, GUINT_TO_POINTER ((guint) c->key.local_port), GUINT_TO_POINTER (users - 1));
  else
    g_hash_table_remove (th->ports, GUINT_TO_POINTER ((guint) c->key.local_port));

  /* Detached first: a closed callback that writes or closes finds no
   * connection and does nothing. */
  _ml_tcp_stream_detach (stream);
  conn_free (c);
  if (error)
    ml_stream_emit_closed (ML_STREAM (stream), error);
}

static void
tcp_set_state (MlTcpConn *c, MlTcpState state)
{
  g_debug ("conn %u %s: %s → %s", c->conn_id, ml_host_get_name (c->host),
           ml_tcp_state_to_string (c->state), ml_tcp_state_to_string (state));
  c->state = state;
}

/* ------------------------------------------------------------------ */
/* timers                                                               */

static void tcp_rexmt_fire (gpointer data);

static void
tcp_rexmt_arm (MlTcpConn *c)
{
  guint64 now = ml_scheduler_now (c->sched);

  c->rexmt_deadline = now + c->rto;
  if (c->rexmt_event && c->rexmt_event_due <= c->rexmt_deadline)
    return;
  timer_cancel (c, &c->rexmt_event);
  c->rexmt_event_due = c->rexmt_deadline;
  c->rexmt_event = ml_scheduler_schedule (c->sched, c->rto, tcp_rexmt_fire, c, NULL);
}

static void
tcp_rexmt_stop (MlTcpConn *c)
{
  c->rexmt_deadline = 0;
  timer_cancel (c, &c->rexmt_event);
}

static void
tcp_delack_fire (gpointer data)
{
  MlTcpConn *c = data;

  c->delack_event = 0;
  c->ack_now = TRUE;
  tcp_output (c);
}

static void
tcp_timewait_fire (gpointer data)
{
  MlTcpConn *c = data;

  c->timewait_event = 0;
  tcp_conn_destroy (c, NULL);
}

static void
tcp_enter_time_wait (MlTcpConn *c)
{
  tcp_set_state (c, ML_TCP_TIME_WAIT);
  tcp_rexmt_stop (c);
  timer_cancel (c, &c->timewait_event);
  /* RFC 9293 3.3.2: TIME-WAIT lasts 2·MSL so that old duplicates die. */
  c->timewait_event = ml_scheduler_schedule (c->sched, 2 * ML_TCP_MSL_US,
                                             tcp_timewait_fire, c, NULL);
}

static void
tcp_kick_fire (gpointer data)
{
  MlTcpConn *c = data;

  c->output_event = 0;
  if (c->ack_pending)
    c->ack_now = TRUE;
  tcp_output (c);
  if (c->unreachable)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
                                                     "No route to host");
      tcp_conn_destroy (c, error);
    }
}

/* Output from a zero-delay event: everything written at this instant goes
 * out together, and no callback ever runs inside ml_stream_write(). */
static void
tcp_schedule_output (MlTcpConn *c)
{
  if (c->output_event == 0)
    c->output_event = ml_scheduler_schedule (c->sched, 0, tcp_kick_fire, c, NULL);
}

/* ------------------------------------------------------------------ */
/* sending                                                              */

static char *
segment_summary (const MlTcpHeader *h, guint32 seq_base, guint32 ack_base,
                 gsize len, gboolean retransmission)
{
  static const struct { guint8 bit; const char *name; } flags[] = {
    { ML_TCP_FIN, "FIN" }, { ML_TCP_SYN, "SYN" }, { ML_TCP_RST, "RST" },
    { ML_TCP_PSH, "PSH" }, { ML_TCP_ACK, "ACK" }, { ML_TCP_URG, "URG" },
  };
  GString *s = g_string_sized_new (80);
  gboolean first = TRUE;

  /* Wireshark's info column, sequence numbers relative to each ISN. */
  if (retransmission)
    g_string_append (s, "[TCP Retransmission] ");
  g_string_append_printf (s, "%u → %u [", h->src_port, h->dst_port);
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    if (h->flags & flags[i].bit)
      {
        g_string_append_printf (s, "%s%s", first ? "" : ", ", flags[i].name);
        first = FALSE;
      }
  g_string_append_printf (s, "] Seq=%u", h->seq - seq_base);
  if (h->flags & ML_TCP_ACK)
    g_string_append_printf (s, " Ack=%u", h->ack - ack_base);
  g_string_append_printf (s, " Win=%u Len=%" G_GSIZE_FORMAT, h->window, len);
  if (h->mss)
    g_string_append_printf (s, " MSS=%u", h->mss);
  return g_string_free (s, FALSE);
}

static const char *
segment_explain_key (guint8 flags, gsize len)
{
  if (flags & ML_TCP_RST)
    return "tcp.rst";
  if ((flags & (ML_TCP_SYN | ML_TCP_ACK)) == (ML_TCP_SYN | ML_TCP_ACK))
    return "tcp.syn-ack";
  if (flags & ML_TCP_SYN)
    return "tcp.syn";
  if (flags & ML_TCP_FIN)
    return "tcp.fin";
  return len > 0 ? "tcp.data" : "tcp.ack";
}

static gboolean
tcp_send (MlTcpConn *c, guint32 seq, guint8 flags, const guint8 *data, gsize len,
          gboolean retransmission)
{
  MlTcpHeader h = { 0 };
  MlFrameMeta meta = { 0 };
  g_autofree char *summary = NULL;
  gboolean synchronized = c->state != ML_TCP_SYN_SENT;

  h.src_port = c->key.local_port;
  h.dst_port = c->key.remote_port;
  h.seq = seq;
  h.ack = (flags & ML_TCP_ACK) ? c->rcv_nxt : 0;
  h.flags = flags;
  h.window = ML_TCP_WINDOW;
  /* RFC 9293 3.7.1: the MSS option only in SYN segments. */
  h.mss = (flags & ML_TCP_SYN) ? c->our_mss : 0;

  summary = segment_summary (&h, c->iss, synchronized ? c->irs : 0, len, retransmission);
  meta.conn_id = c->conn_id;
  meta.direction = c->active_open ? ML_DIR_CLIENT_TO_SERVER : ML_DIR_SERVER_TO_CLIENT;
  meta.summary = summary;
  meta.explain_key = segment_explain_key (flags, len);
  meta.retransmission = retransmission;

  if (flags & ML_TCP_ACK)
    {
      /* Any segment with ACK acknowledges everything received so far. */
      c->ack_now = FALSE;
      c->ack_pending = FALSE;
      c->unacked_bytes = 0;
      timer_cancel (c, &c->delack_event);
    }
  if (retransmission)
    c->retransmissions++;
  return _ml_host_send_tcp (c->host, c->key.remote_ip, &h, data, len, &meta);
}

static void
tcp_send_ack (MlTcpConn *c)
{
  /* A bare ACK carries the highest sequence number sent, as BSD does, so
   * it never looks like a step back while data is being resent. */
  tcp_send (c, c->snd_max, ML_TCP_ACK, NULL, 0, FALSE);
}

static guint32
tcp_data_end (MlTcpConn *c)
{
  return c->sndbuf_seq + (guint32) (c->sndbuf->len - c->sndbuf_off);
}

/* Sends the segment starting at @seq with @len bytes of queued data and,
 * if @fin, the FIN after them. Returns the sequence space it used. */
static guint32
tcp_send_at (MlTcpConn *c, guint32 seq, gsize len, gboolean fin)
{
  guint8 flags = ML_TCP_ACK;
  const guint8 *data = NULL;
  gboolean retransmission = SEQ_LT (seq, c->snd_max);
  guint32 end = seq + (guint32) len + (fin ? 1 : 0);

  if (len > 0)
    {
      data = c->sndbuf->data + c->sndbuf_off + (seq - c->sndbuf_seq);
      /* PSH on the segment that empties what the application wrote. */
      if (seq + len == tcp_data_end (c))
        flags |= ML_TCP_PSH;
    }
  if (fin)
    flags |= ML_TCP_FIN;

  /* RFC 6298 3 (Karn): no sample from a segment sent twice. Resending an
   * earlier segment leaves a timed later one alone: its sample may come
   * out long, which errs on the safe side and lets a backed-off RTO
   * collapse again (RFC 6298 5.7, last paragraph). */
  if (retransmission)
    {
      if (c->rtt_timing && SEQ_LEQ (seq, c->rtt_seq) && SEQ_LT (c->rtt_seq, end))
        c->rtt_timing = FALSE;
    }
  else if (!c->rtt_timing)
    {
      c->rtt_timing = TRUE;
      c->rtt_seq = seq;
      c->rtt_start = ml_scheduler_now (c->sched);
    }
  tcp_send (c, seq, flags, data, len, retransmission);
  if (SEQ_GT (end, c->snd_max))
    c->snd_max = end;
  /* RFC 6298 5.1: start the timer when sending data and it is not running. */
  if (c->rexmt_deadline == 0)
    tcp_rexmt_arm (c);
  return end - seq;
}

static void
tcp_send_syn (MlTcpConn *c)
{
  guint8 flags = ML_TCP_SYN | (c->state == ML_TCP_SYN_RECEIVED ? ML_TCP_ACK : 0);
  gboolean retransmission = SEQ_LT (c->iss, c->snd_max);

  if (retransmission)
    c->rtt_timing = FALSE;
  else
    {
      c->rtt_timing = TRUE;
      c->rtt_seq = c->iss;
      c->rtt_start = ml_scheduler_now (c->sched);
    }
  if (!tcp_send (c, c->iss, flags, NULL, 0, retransmission))
    c->unreachable = TRUE;
  c->snd_nxt = c->iss + 1;
  if (SEQ_GT (c->snd_nxt, c->snd_max))
    c->snd_max = c->snd_nxt;
  if (c->rexmt_deadline == 0)
    tcp_rexmt_arm (c);
}

/* Sends whatever the state and the windows allow, then a bare ACK if one
 * is owed and nothing else carried it. */
static void
tcp_output (MlTcpConn *c)
{
  switch (c->state)
    {
    case ML_TCP_SYN_SENT:
    case ML_TCP_SYN_RECEIVED:
      if (c->snd_nxt == c->iss)
        tcp_send_syn (c);
      return;
    case ML_TCP_CLOSED:
    case ML_TCP_LISTEN:
      return;
    case ML_TCP_TIME_WAIT:
      if (c->ack_now)
        tcp_send_ack (c);
      return;
    case ML_TCP_ESTABLISHED:
    case ML_TCP_FIN_WAIT_1:
    case ML_TCP_FIN_WAIT_2:
    case ML_TCP_CLOSE_WAIT:
    case ML_TCP_CLOSING:
    case ML_TCP_LAST_ACK:
    default:
      break;
    }

  for (;;)
    {
      guint32 data_end = tcp_data_end (c);
      guint32 flight = c->snd_nxt - c->snd_una;
      /* RFC 3042 limited transmit: the first two duplicate ACKs each let
       * one new segment out, so a small window still gets the three
       * duplicates fast retransmit needs. */
      guint32 extra = c->in_recovery ? 0 : MIN (c->dupacks, 2u) * c->mss;
      guint32 window = MIN (c->cwnd + extra, c->snd_wnd);
      gsize avail = SEQ_LT (c->snd_nxt, data_end) ? data_end - c->snd_nxt : 0;
      gsize usable = window > flight ? window - flight : 0;
      gsize len = MIN (MIN (avail, usable), c->mss);
      gboolean fin;

      /* RFC 9293 3.8.6.2.1 sender SWS avoidance, rules (1) and (2): a
       * full segment, or everything queued. Nagle's bracketed condition
       * is left out, as mail servers set TCP_NODELAY: each reply line
       * goes out when written. With nothing in flight no ACK will come to
       * open the window, so whatever fits goes (rule (4)'s override). */
      if (len < c->mss && len < avail && flight > 0)
        len = 0;
      fin = c->fin_queued && c->snd_nxt + len == data_end;
      if (len == 0 && !fin)
        break;
      c->snd_nxt += tcp_send_at (c, c->snd_nxt, len, fin);
      if (fin)
        break;
    }
  if (c->ack_now)
    tcp_send_ack (c);
}

/* RFC 5681 3.2 / RFC 6582 3.2: resend the first unacknowledged segment
 * without going back with snd_nxt. */
static void
tcp_retransmit_first (MlTcpConn *c)
{
  guint32 data_end = tcp_data_end (c);
  gsize avail = SEQ_LT (c->snd_una, data_end) ? data_end - c->snd_una : 0;
  gsize len = MIN (avail, c->mss);
  gboolean fin = c->fin_queued && c->snd_una + len == data_end && SEQ_GT (c->snd_max, data_end);

  if (len > 0 || fin)
    tcp_send_at (c, c->snd_una, len, fin);
}

/* RFC 6298 5.4–5.7 and RFC 5681 3.1: the retransmission timer expired. */
static void
tcp_rexmt_fire (gpointer data)
{
  MlTcpConn *c = data;
  guint64 now = ml_scheduler_now (c->sched);

  gboolean syn;
  guint limit;

  c->rexmt_event = 0;
  if (c->rexmt_deadline == 0)
    return;
  if (now < c->rexmt_deadline)
    {
      c->rexmt_event_due = c->rexmt_deadline;
      c->rexmt_event = ml_scheduler_schedule (c->sched, c->rexmt_deadline - now,
                                              tcp_rexmt_fire, c, NULL);
      return;
    }
  c->rexmt_deadline = 0;

  /* RFC 9293 3.8.3: after R2 the connection is given up. */
  syn = c->state == ML_TCP_SYN_SENT || c->state == ML_TCP_SYN_RECEIVED;
  limit = syn ? ML_TCP_MAX_SYN_RETRIES : ML_TCP_MAX_RETRIES;
  if (++c->retries > limit)
    {
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                             "No answer after %u retransmissions", limit);
      tcp_conn_destroy (c, error);
      return;
    }
  c->rto = MIN (c->rto * 2, ML_TCP_MAX_RTO_US);   /* RFC 6298 5.5 */

  if (syn)
    c->syn_retransmitted = TRUE;
  else
    {
      guint32 flight = c->snd_max - c->snd_una;
      /* RFC 5681 3.1 equation (4), then a loss window of one segment. */
      c->ssthresh = MAX (flight / 2, 2 * c->mss);
      c->cwnd = c->mss;
    }
  c->in_recovery = FALSE;
  c->recover = c->snd_max;   /* RFC 6582 3.2 step 4 */
  c->dupacks = 0;
  c->rtt_timing = FALSE;
  c->snd_nxt = c->snd_una;   /* go back: the oldest unacknowledged first */
  tcp_output (c);
  if (c->unreachable)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
                                                     "No route to host");
      tcp_conn_destroy (c, error);
    }
}

/* RFC 9293 3.10.7.1: the answer to a segment no connection owns. */
static void
tcp_reply_rst (MlTcpHost *th, const MlFrameInfo *info)
{
  const MlTcpHeader *seg = &info->tcp;
  MlTcpHeader h = { 0 };
  MlFrameMeta meta = { 0 };
  g_autofree char *summary = NULL;
  MlTcpConn *peer;
  guint32 seg_len = (guint32) info->payload_len + !!(seg->flags & ML_TCP_SYN) + !!(seg->flags & ML_TCP_FIN);
  guint32 seq_base, ack_base;

  if (seg->flags & ML_TCP_RST)
    return;
  h.src_port = seg->dst_port;
  h.dst_port = seg->src_port;
  h.window = 0;
  if (seg->flags & ML_TCP_ACK)
    {
      h.seq = seg->ack;
      h.flags = ML_TCP_RST;
    }
  else
    {
      h.seq = 0;
      h.ack = seg->seq + seg_len;
      h.flags = ML_TCP_RST | ML_TCP_ACK;
    }

  peer = tcp_peer_conn (th->host, h.src_port, info->ip.src_ip, h.dst_port);
  /* With no ISN seen from this side, Wireshark counts from one before the
   * first sequence number, so the lone RST reads "Seq=1". */
  seq_base = peer && peer->state != ML_TCP_SYN_SENT ? peer->irs : h.seq - 1;
  ack_base = peer ? peer->iss : seg->seq;
  summary = segment_summary (&h, seq_base, ack_base, 0, FALSE);
  meta.conn_id = peer ? peer->conn_id : 0;
  meta.direction = (peer ? peer->active_open : seg->src_port > seg->dst_port)
                   ? ML_DIR_SERVER_TO_CLIENT : ML_DIR_CLIENT_TO_SERVER;
  meta.summary = summary;
  meta.explain_key = "tcp.rst";
  _ml_host_send_tcp (th->host, info->ip.src_ip, &h, NULL, 0, &meta);
}

/* ------------------------------------------------------------------ */
/* receiving                                                            */

static void
tcp_set_peer_mss (MlTcpConn *c, guint16 peer_mss)
{
  guint path_mtu = _ml_host_path_mtu (c->host, c->key.remote_ip);
  guint path_mss = path_mtu > TCP_IP_OVERHEAD ? path_mtu - TCP_IP_OVERHEAD : ML_TCP_DEFAULT_MSS;

  /* RFC 9293 3.7.1: send at most what the peer announced (536 if it
   * said nothing), and never more than the path carries unfragmented. */
  c->mss = MIN (peer_mss ? peer_mss : ML_TCP_DEFAULT_MSS, path_mss);
  c->mss = MAX (c->mss, 1);
}

static void
tcp_established (MlTcpConn *c)
{
  tcp_set_state (c, ML_TCP_ESTABLISHED);
  /* RFC 5681 3.1: a lost SYN or SYN-ACK leaves an initial window of one
   * segment; otherwise RFC 3390's. ssthresh starts as high as the largest
   * window the peer can offer. */
  c->cwnd = c->syn_retransmitted ? c->mss
            : MIN (4 * c->mss, MAX (2 * c->mss, TCP_IW_BYTES));
  c->ssthresh = ML_TCP_WINDOW;
  /* RFC 6298 5.7: after a SYN timeout, data starts with an RTO of 3 s. */
  if (c->syn_retransmitted && c->rto < ML_TCP_SYN_DATA_RTO_US)
    c->rto = ML_TCP_SYN_DATA_RTO_US;
  c->retries = 0;
  if (c->fin_queued)
    tcp_set_state (c, ML_TCP_FIN_WAIT_1);
}

/* RFC 6298 2.2 and 2.3. */
static void
tcp_rtt_sample (MlTcpConn *c, guint64 r)
{
  if (!c->have_rtt)
    {
      c->srtt = r;
      c->rttvar = r / 2;
      c->have_rtt = TRUE;
    }
  else
    {
      guint64 delta = c->srtt > r ? c->srtt - r : r - c->srtt;
      c->rttvar = (3 * c->rttvar + delta) / 4;
      c->srtt = (7 * c->srtt + r) / 8;
    }
  c->rto = c->srtt + MAX ((guint64) TCP_CLOCK_G_US, 4 * c->rttvar);
  c->rto = CLAMP (c->rto, ML_TCP_MIN_RTO_US, ML_TCP_MAX_RTO_US);  /* 2.4, 2.5 */
}

/* Drops acknowledged bytes from the front of the send buffer. */
static void
tcp_sndbuf_consume (MlTcpConn *c)
{
  guint32 queued = (guint32) (c->sndbuf->len - c->sndbuf_off);

  if (SEQ_GT (c->snd_una, c->sndbuf_seq))
    {
      guint32 n = MIN (c->snd_una - c->sndbuf_seq, queued);
      c->sndbuf_off += n;
      c->sndbuf_seq += n;
    }
  if (c->sndbuf_off == c->sndbuf->len)
    {
      g_byte_array_set_size (c->sndbuf, 0);
      c->sndbuf_off = 0;
    }
  else if (c->sndbuf_off >= SNDBUF_COMPACT_AT && c->sndbuf_off * 2 >= c->sndbuf->len)
    {
      g_byte_array_remove_range (c->sndbuf, 0, c->sndbuf_off);
      c->sndbuf_off = 0;
    }
}

/* An ACK that moves snd_una: timing, congestion window, timer. */
static void
tcp_ack_new (MlTcpConn *c, guint32 ack)
{
  guint32 acked = ack - c->snd_una;

  if (c->rtt_timing && SEQ_GT (ack, c->rtt_seq))
    {
      tcp_rtt_sample (c, ml_scheduler_now (c->sched) - c->rtt_start);
      c->rtt_timing = FALSE;
    }

  if (c->in_recovery)
    {
      if (SEQ_GEQ (ack, c->recover))
        {
          /* RFC 6582 3.2 step 3, full acknowledgment: deflate. */
          c->cwnd = c->ssthresh;
          c->in_recovery = FALSE;
        }
      else
        {
          /* Partial acknowledgment: the next hole is lost too. */
          c->snd_una = ack;
          tcp_retransmit_first (c);
          c->cwnd = c->cwnd > acked ? c->cwnd - acked : c->mss;
          if (acked >= c->mss)
            c->cwnd += c->mss;
        }
    }
  else if (c->state != ML_TCP_SYN_RECEIVED && c->state != ML_TCP_SYN_SENT)
    {
      if (c->cwnd < c->ssthresh)
        c->cwnd += MIN (acked, c->mss);                     /* RFC 5681 (2) */
      else
        c->cwnd += MAX (1u, c->mss * c->mss / c->cwnd);     /* RFC 5681 (3) */
      c->cwnd = MIN (c->cwnd, 16u * ML_TCP_WINDOW);
    }

  c->snd_una = ack;
  if (SEQ_LT (c->snd_nxt, c->snd_una))
    c->snd_nxt = c->snd_una;
  tcp_sndbuf_consume (c);
  c->dupacks = 0;
  c->retries = 0;
  /* RFC 6298 5.2 and 5.3. */
  if (c->snd_una == c->snd_max)
    tcp_rexmt_stop (c);
  else
    tcp_rexmt_arm (c);
}

/* RFC 5681 3.2 and RFC 6582: the third duplicate ACK. */
static void
tcp_ack_duplicate (MlTcpConn *c, guint32 ack)
{
  c->dupacks++;
  if (c->in_recovery)
    {
      c->cwnd += c->mss;   /* each duplicate means a segment left the net */
      return;
    }
  if (c->dupacks != ML_TCP_DUPACK_THRESHOLD || !SEQ_GT (ack, c->recover))
    return;
  c->ssthresh = MAX ((c->snd_max - c->snd_una) / 2, 2 * c->mss);
  c->recover = c->snd_max;
  c->in_recovery = TRUE;
  tcp_retransmit_first (c);
  c->cwnd = c->ssthresh + ML_TCP_DUPACK_THRESHOLD * c->mss;
}

static void
ooo_insert (MlTcpConn *c, guint32 seq, const guint8 *data, gsize len, gboolean fin)
{
  OooSegment *seg;
  GList *l;

  for (l = c->ooo.head; l != NULL; l = l->next)
    {
      OooSegment *o = l->data;
      if (o->seq == seq && o->len >= len && (o->fin || !fin))
        return;   /* a duplicate of what is kept */
      if (SEQ_GT (o->seq, seq))
        break;
    }
  seg = g_malloc (sizeof *seg + len);
  seg->seq = seq;
  seg->len = len;
  seg->fin = fin;
  memcpy (seg->data, data, len);
  if (l)
    g_queue_insert_before (&c->ooo, l, seg);
  else
    g_queue_push_tail (&c->ooo, seg);
}

static void
tcp_deliver (MlTcpConn *c, const guint8 *data, gsize len)
{
  c->rcv_nxt += (guint32) len;
  c->unacked_bytes += len;
  if (c->stream)
    ml_stream_emit_data (ML_STREAM (c->stream), data, len);
}

/* RFC 9293 3.10.7.4, eighth: the peer's FIN, once every byte before it
 * has been delivered. */
static void
tcp_receive_fin (MlTcpConn *c)
{
  c->rcv_nxt++;
  switch (c->state)
    {
    case ML_TCP_SYN_RECEIVED:
    case ML_TCP_ESTABLISHED:
      tcp_set_state (c, ML_TCP_CLOSE_WAIT);
      break;
    case ML_TCP_FIN_WAIT_1:
      /* Had our FIN been acknowledged, the ACK step would have moved us
       * to FIN-WAIT-2 already: both FINs crossed. */
      tcp_set_state (c, ML_TCP_CLOSING);
      break;
    case ML_TCP_FIN_WAIT_2:
      tcp_enter_time_wait (c);
      break;
    default:
      break;
    }
  if (c->stream)
    ml_stream_emit_closed (ML_STREAM (c->stream), NULL);
}

/* RFC 9293 3.10.7.4, seventh and eighth: segment text and FIN. */
static AckPolicy
tcp_receive_text (MlTcpConn *c, guint32 seq, const guint8 *data, gsize len, gboolean fin)
{
  gboolean filled_gap;

  /* Keep only what is new and inside the window. */
  if (SEQ_LT (seq, c->rcv_nxt))
    {
      guint32 skip = c->rcv_nxt - seq;
      if (skip > len)
        return ACK_NOW;   /* a retransmitted FIN we already have */
      data += skip;
      len -= skip;
      seq = c->rcv_nxt;
    }
  if (SEQ_GT (seq + len, c->rcv_nxt + ML_TCP_WINDOW))
    {
      len = c->rcv_nxt + ML_TCP_WINDOW - seq;
      fin = FALSE;
    }
  if (len == 0 && !fin)
    return ACK_NONE;

  if (seq != c->rcv_nxt)
    {
      /* RFC 5681 4.2: a segment above a gap is acknowledged at once, and
       * the duplicate ACKs tell the sender what is missing. */
      ooo_insert (c, seq, data, len, fin);
      return ACK_NOW;
    }

  filled_gap = c->ooo.length > 0;
  if (len > 0)
    tcp_deliver (c, data, len);
  while (!fin && c->ooo.length > 0)
    {
      OooSegment *o = g_queue_peek_head (&c->ooo);
      guint32 skip;

      if (SEQ_GT (o->seq, c->rcv_nxt))
        break;
      g_queue_pop_head (&c->ooo);
      skip = c->rcv_nxt - o->seq;
      if (skip < o->len)
        tcp_deliver (c, o->data + skip, o->len - skip);
      if (o->fin && skip <= o->len)
        fin = TRUE;
      g_free (o);
    }
  if (fin)
    {
      g_queue_clear_full (&c->ooo, g_free);
      tcp_receive_fin (c);
      /* Not at once: if the application closes from its closed callback,
       * its FIN carries this ACK, the usual three-segment teardown. */
      return ACK_SOON;
    }
  if (filled_gap)
    return ACK_NOW;   /* RFC 5681 4.2: a segment that fills a gap */
  /* RFC 9293 3.8.6.3: at least every second full-sized segment. */
  if (c->unacked_bytes >= 2 * (gsize) c->our_mss)
    return ACK_NOW;
  return ACK_DELAYED;
}

/* FALSE when nobody listens any more (the listener went away during the
 * handshake). */
static gboolean
tcp_accept (MlTcpConn *c)
{
  Listener *l = g_hash_table_lookup (c->th->listeners, GUINT_TO_POINTER ((guint) c->key.local_port));

  if (l == NULL)
    return FALSE;
  g_rc_box_acquire (l);
  l->func (c->host, ML_STREAM (c->stream), l->user_data);
  listener_unref (l);
  return TRUE;
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
static void
tcp_input_syn_sent (MlTcpConn *c, const MlFrameInfo *info)
{
  const MlTcpHeader *seg = &info->tcp;
  gboolean has_ack = (seg->flags & ML_TCP_ACK) != 0;

  if (has_ack && (SEQ_LEQ (seg->ack, c->iss) || SEQ_GT (seg->ack, c->snd_max)))
    {
      if (!(seg->flags & ML_TCP_RST))
        tcp_reply_rst (c->th, info);
      return;
    }
  if (seg->flags & ML_TCP_RST)
    {
      if (has_ack)
        {
          g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                                         "Connection refused");
          tcp_conn_destroy (c, error);
        }
      return;
    }
  if (!(seg->flags & ML_TCP_SYN))
    return;

  c->irs = seg->seq;
  c->rcv_nxt = seg->seq + 1;
  c->snd_wnd = seg->window;
  c->snd_wl1 = seg->seq;
  c->snd_wl2 = seg->ack;
  tcp_set_peer_mss (c, seg->mss);
  if (!has_ack)
    {
      /* RFC 9293 3.5 figure 8: simultaneous open. */
      tcp_set_state (c, ML_TCP_SYN_RECEIVED);
      c->snd_nxt = c->iss;
      tcp_output (c);
      return;
    }
  tcp_ack_new (c, seg->ack);
  tcp_established (c);
  /* The third segment of the handshake goes out before the application
   * hears of the connection, as a real stack sends it. */
  tcp_send_ack (c);
  if (c->stream)
    ml_stream_emit_connected (ML_STREAM (c->stream));
  tcp_output (c);
}

/* RFC 9293 3.10.7.4 first: is any of the segment inside the window? */
static gboolean
tcp_segment_acceptable (MlTcpConn *c, guint32 seq, guint32 seg_len)
{
  guint32 wnd_end = c->rcv_nxt + ML_TCP_WINDOW;

  if (seg_len == 0)
    return SEQ_GEQ (seq, c->rcv_nxt) && SEQ_LT (seq, wnd_end);
  return (SEQ_GEQ (seq, c->rcv_nxt) && SEQ_LT (seq, wnd_end))
         || (SEQ_GEQ (seq + seg_len - 1, c->rcv_nxt) && SEQ_LT (seq + seg_len - 1, wnd_end));
}

/* RFC 9293 3.10.7.4: SYN-RECEIVED and every synchronized state. */
static void
tcp_input_synchronized (MlTcpConn *c, const MlFrameInfo *info)
{
  const MlTcpHeader *seg = &info->tcp;
  gboolean syn = (seg->flags & ML_TCP_SYN) != 0, fin = (seg->flags & ML_TCP_FIN) != 0;
  guint32 seg_len = (guint32) info->payload_len + syn + fin;
  AckPolicy ack = ACK_NONE;
  gboolean accepted = FALSE;

  /* Our SYN-ACK was lost and the peer sent its SYN again: answer it again
   * rather than waiting for our own timer. */
  if (c->state == ML_TCP_SYN_RECEIVED && syn && !(seg->flags & ML_TCP_ACK) && seg->seq == c->irs)
    {
      c->snd_nxt = c->iss;
      tcp_output (c);
      return;
    }

  /* first: sequence number */
  if (!tcp_segment_acceptable (c, seg->seq, seg_len))
    {
      if (!(seg->flags & ML_TCP_RST))
        tcp_send_ack (c);
      /* RFC 9293 3.10.7.4: in TIME-WAIT, a retransmitted FIN restarts 2·MSL. */
      if (c->state == ML_TCP_TIME_WAIT && fin)
        tcp_enter_time_wait (c);
      return;
    }

  /* second: RST. RFC 5961 3.2 (RFC 9293 3.10.7.4): only an exact match
   * resets; anything else in the window gets a challenge ACK. */
  if (seg->flags & ML_TCP_RST)
    {
      g_autoptr(GError) error = NULL;

      if (seg->seq != c->rcv_nxt)
        {
          tcp_send_ack (c);
          return;
        }
      if (c->state == ML_TCP_SYN_RECEIVED && c->active_open)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Connection refused");
      else if (c->state == ML_TCP_ESTABLISHED || c->state == ML_TCP_FIN_WAIT_1
               || c->state == ML_TCP_FIN_WAIT_2 || c->state == ML_TCP_CLOSE_WAIT)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                     "Connection reset by peer");
      tcp_conn_destroy (c, error);
      return;
    }

  /* fourth: a SYN in a synchronized state (RFC 5961 4.2): challenge ACK. */
  if (syn)
    {
      tcp_send_ack (c);
      return;
    }

  /* fifth: ACK */
  if (!(seg->flags & ML_TCP_ACK))
    return;
  if (c->state == ML_TCP_SYN_RECEIVED)
    {
      if (!(SEQ_GT (seg->ack, c->snd_una) && SEQ_LEQ (seg->ack, c->snd_max)))
        {
          tcp_reply_rst (c->th, info);
          return;
        }
      c->snd_wnd = seg->window;
      c->snd_wl1 = seg->seq;
      c->snd_wl2 = seg->ack;
      tcp_ack_new (c, seg->ack);
      tcp_established (c);
      accepted = TRUE;
    }
  else if (SEQ_GT (seg->ack, c->snd_max))
    {
      tcp_send_ack (c);   /* acknowledges something not yet sent */
      return;
    }
  else if (SEQ_GT (seg->ack, c->snd_una))
    tcp_ack_new (c, seg->ack);
  else if (seg->ack == c->snd_una && info->payload_len == 0 && !fin
           && seg->window == c->snd_wnd && c->snd_max != c->snd_una)
    tcp_ack_duplicate (c, seg->ack);   /* RFC 5681 2: the duplicate ACK */

  /* RFC 9293 3.10.7.4 fifth: the window, from the newest segment only. */
  if (SEQ_LT (c->snd_wl1, seg->seq) || (c->snd_wl1 == seg->seq && SEQ_LEQ (c->snd_wl2, seg->ack)))
    {
      c->snd_wnd = seg->window;
      c->snd_wl1 = seg->seq;
      c->snd_wl2 = seg->ack;
    }

  /* Our FIN is acknowledged when snd_una passed it. */
  if (c->fin_queued && c->snd_una == c->snd_max && SEQ_GT (c->snd_max, tcp_data_end (c)))
    {
      switch (c->state)
        {
        case ML_TCP_FIN_WAIT_1:
          tcp_set_state (c, ML_TCP_FIN_WAIT_2);
          break;
        case ML_TCP_CLOSING:
          tcp_enter_time_wait (c);
          break;
        case ML_TCP_LAST_ACK:
          tcp_conn_destroy (c, NULL);
          return;
        default:
          break;
        }
    }

  /* The application meets the connection before its first bytes. */
  if (accepted && !tcp_accept (c))
    {
      /* RFC 9293 3.10.5: ABORT sends a RST and deletes the connection. */
      tcp_send (c, c->snd_nxt, ML_TCP_RST, NULL, 0, FALSE);
      tcp_conn_destroy (c, NULL);
      return;
    }

  /* seventh and eighth: text and FIN, only while the peer may send. */
  if ((info->payload_len > 0 || fin)
      && (c->state == ML_TCP_ESTABLISHED || c->state == ML_TCP_FIN_WAIT_1
          || c->state == ML_TCP_FIN_WAIT_2))
    ack = tcp_receive_text (c, seg->seq, info->payload, info->payload_len, fin);

  switch (ack)
    {
    case ACK_NOW:
      c->ack_now = TRUE;
      break;
    case ACK_SOON:
      c->ack_pending = TRUE;
      tcp_schedule_output (c);
      break;
    case ACK_DELAYED:
      if (c->delack_event == 0)
        c->delack_event = ml_scheduler_schedule (c->sched, ML_TCP_DELAYED_ACK_US,
                                                 tcp_delack_fire, c, NULL);
      break;
    case ACK_NONE:
    default:
      break;
    }
  /* Data the application wrote from its callbacks, room the ACK opened,
   * and an ACK owed now all leave here. */
  tcp_output (c);
}

void
_ml_tcp_input (MlHost *host, const MlFrameInfo *info)
{
  MlTcpHost *th = _ml_host_get_tcp (host);
  const MlTcpHeader *seg = &info->tcp;
  MlTcpConn *c = tcp_host_lookup (th, seg->dst_port, info->ip.src_ip, seg->src_port);

  if (c == NULL)
    {
      /* RFC 9293 3.10.7.2: LISTEN takes a bare SYN; an ACK or anything
       * else for a port nobody has gets a RST (3.10.7.1). */
      if ((seg->flags & (ML_TCP_SYN | ML_TCP_ACK | ML_TCP_RST)) == ML_TCP_SYN
          && g_hash_table_contains (th->listeners, GUINT_TO_POINTER ((guint) seg->dst_port)))
        {
          MlTcpConn *peer = tcp_peer_conn (host, seg->dst_port, info->ip.src_ip, seg->src_port);
          guint id = peer ? peer->conn_id : _ml_network_next_conn_id (ml_host_get_network (host));

          c = tcp_conn_new (th, seg->dst_port, info->ip.src_ip, seg->src_port, FALSE, id);
          c->irs = seg->seq;
          c->rcv_nxt = seg->seq + 1;
          c->snd_wnd = seg->window;
          c->snd_wl1 = seg->seq;
          tcp_set_peer_mss (c, seg->mss);
          tcp_output (c);
          return;
        }
      tcp_reply_rst (th, info);
      return;
    }

  if (c->state == ML_TCP_SYN_SENT)
    tcp_input_syn_sent (c, info);
  else
    tcp_input_synchronized (c, info);
}

/* ------------------------------------------------------------------ */
/* the application's side                                               */

void
_ml_tcp_conn_write (MlTcpConn *c, const guint8 *data, gsize len)
{
  /* RFC 9293 3.10.2: SEND after CLOSE is an error; the stream API has no
   * way to return one, and a misbehaving engine must not crash the run. */
  if (c->fin_queued || c->state == ML_TCP_CLOSED || c->state == ML_TCP_TIME_WAIT)
    {
      g_debug ("conn %u: write of %" G_GSIZE_FORMAT " bytes after close ignored", c->conn_id, len);
      return;
    }
  g_byte_array_append (c->sndbuf, data, (guint) len);
  tcp_schedule_output (c);
}

void
_ml_tcp_conn_close (MlTcpConn *c)
{
  if (c->fin_queued)
    return;
  /* RFC 9293 3.10.4: the FIN follows all queued data. Before the
   * handshake completes it waits for it (tcp_established). */
  switch (c->state)
    {
    case ML_TCP_SYN_SENT:
    case ML_TCP_SYN_RECEIVED:
      c->fin_queued = TRUE;
      break;
    case ML_TCP_ESTABLISHED:
      c->fin_queued = TRUE;
      tcp_set_state (c, ML_TCP_FIN_WAIT_1);
      tcp_schedule_output (c);
      break;
    case ML_TCP_CLOSE_WAIT:
      c->fin_queued = TRUE;
      tcp_set_state (c, ML_TCP_LAST_ACK);
      tcp_schedule_output (c);
      break;
    default:
      break;
    }
}

MlTcpState
_ml_tcp_conn_get_state (MlTcpConn *c)
{
  return c->state;
}

guint
_ml_tcp_conn_get_mss (MlTcpConn *c)
{
  return c->mss;
}

guint
_ml_tcp_conn_get_retransmissions (MlTcpConn *c)
{
  return c->retransmissions;
}

guint64
_ml_tcp_conn_get_rto (MlTcpConn *c)
{
  return c->rto;
}

gboolean
ml_host_tcp_listen (MlHost          *self,
                    guint16          port,
                    MlTcpAcceptFunc  func,
                    gpointer         user_data,
                    GDestroyNotify   destroy,
                    GError         **error)
{
  MlTcpHost *th;
  Listener *l;

  g_return_val_if_fail (self != NULL && func != NULL, FALSE);
  g_return_val_if_fail (port != 0, FALSE);

  th = _ml_host_get_tcp (self);
  if (g_hash_table_contains (th->listeners, GUINT_TO_POINTER ((guint) port)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                   "%s already listens on TCP port %u", ml_host_get_name (self), port);
      return FALSE;
    }
  l = g_rc_box_new0 (Listener);
  l->func = func;
  l->user_data = user_data;
  l->destroy = destroy;
  g_hash_table_insert (th->listeners, GUINT_TO_POINTER ((guint) port), l);
  return TRUE;
}

void
ml_host_tcp_unlisten (MlHost *self, guint16 port)
{
  g_return_if_fail (self != NULL);
  g_hash_table_remove (_ml_host_get_tcp (self)->listeners, GUINT_TO_POINTER ((guint) port));
}

MlStream *
ml_host_tcp_connect (MlHost *self, guint32 dst_ip, guint16 dst_port)
{
  MlTcpHost *th;
  MlTcpConn *c;
  guint16 port;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (dst_port != 0, NULL);

  th = _ml_host_get_tcp (self);
  port = ml_host_allocate_port (self);
  g_return_val_if_fail (port != 0, NULL);
  c = tcp_conn_new (th, port, dst_ip, dst_port, TRUE,
                    _ml_network_next_conn_id (ml_host_get_network (self)));
  /* The SYN leaves from the kick, after the caller set its callbacks. */
  tcp_schedule_output (c);
  return ML_STREAM (g_object_ref (c->stream));
}

/* What leaves a TCP connection, and what the sender learns from ACKs.
 *
 * Everything goes out through _ml_tcp_output(), after BSD's tcp_output:
 * it looks at the state and the sequence variables and sends what is due,
 * a SYN, data within min(cwnd, peer window), the FIN, or a bare ACK that
 * is owed. The retransmission timer (RFC 6298), the delayed-ACK timer and
 * the zero-delay "output kick" are scheduler events; congestion control
 * (RFC 5681, RFC 6582, RFC 3042) runs as ACKs arrive.
 */
#define G_LOG_DOMAIN "ml-tcp"

#include <string.h>

#include "net/tcp-private.h"

/* RFC 3390 / RFC 5681 3.1: IW = min(4·MSS, max(2·MSS, 4380 bytes)). */
#define TCP_IW_BYTES      4380
/* RFC 6298 2: G, the clock granularity, is our 1 µs tick. */
#define TCP_CLOCK_G_US    1
/* The acknowledged head of the send buffer is cut off once it is this big
 * (and more than half the buffer), keeping the copy cost linear. */
#define SNDBUF_COMPACT_AT (64 * 1024)

static void tcp_rexmt_fire (gpointer data);

/* ------------------------------------------------------------------ */
/* timers                                                               */

void
_ml_tcp_timer_cancel (MlTcpConn *c, guint64 *id)
{
  if (*id)
    ml_scheduler_cancel (c->sched, *id);
  *id = 0;
}

static void
tcp_rexmt_arm (MlTcpConn *c)
{
  guint64 now = ml_scheduler_now (c->sched);

  c->rexmt_deadline = now + c->rto;
  if (c->rexmt_event && c->rexmt_event_due <= c->rexmt_deadline)
    return;
  _ml_tcp_timer_cancel (c, &c->rexmt_event);
  c->rexmt_event_due = c->rexmt_deadline;
  c->rexmt_event = ml_scheduler_schedule (c->sched, c->rto, tcp_rexmt_fire, c, NULL);
}

void
_ml_tcp_rexmt_stop (MlTcpConn *c)
{
  c->rexmt_deadline = 0;
  _ml_tcp_timer_cancel (c, &c->rexmt_event);
}

static void
tcp_delack_fire (gpointer data)
{
  MlTcpConn *c = data;

  c->delack_event = 0;
  c->ack_now = TRUE;
  _ml_tcp_output (c);
}

void
_ml_tcp_delack_start (MlTcpConn *c)
{
  if (c->delack_event == 0)
    c->delack_event = ml_scheduler_schedule (c->sched, ML_TCP_DELAYED_ACK_US,
                                             tcp_delack_fire, c, NULL);
}

void
_ml_tcp_cancel_timers (MlTcpConn *c)
{
  _ml_tcp_timer_cancel (c, &c->rexmt_event);
  _ml_tcp_timer_cancel (c, &c->delack_event);
  _ml_tcp_timer_cancel (c, &c->timewait_event);
  _ml_tcp_timer_cancel (c, &c->output_event);
  c->rexmt_deadline = 0;
}

static void
tcp_kick_fire (gpointer data)
{
  MlTcpConn *c = data;

  c->output_event = 0;
  if (c->ack_pending)
    c->ack_now = TRUE;
  _ml_tcp_output (c);
  if (c->unreachable)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
                                                     "No route to host");
      _ml_tcp_conn_destroy (c, error);
    }
}

/* Output from a zero-delay event: everything written at this instant goes
 * out together, and no callback ever runs inside ml_stream_write(). */
void
_ml_tcp_schedule_output (MlTcpConn *c)
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

gboolean
_ml_tcp_send (MlTcpConn *c, guint32 seq, guint8 flags, const guint8 *data, gsize len,
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
      _ml_tcp_timer_cancel (c, &c->delack_event);
    }
  if (retransmission)
    c->retransmissions++;
  return _ml_host_send_tcp (c->host, c->key.remote_ip, &h, data, len, &meta);
}

void
_ml_tcp_send_ack (MlTcpConn *c)
{
  /* A bare ACK carries the highest sequence number sent, as BSD does, so
   * it never looks like a step back while data is being resent. */
  _ml_tcp_send (c, c->snd_max, ML_TCP_ACK, NULL, 0, FALSE);
}

guint32
_ml_tcp_data_end (MlTcpConn *c)
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
      if (seq + len == _ml_tcp_data_end (c))
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
  _ml_tcp_send (c, seq, flags, data, len, retransmission);
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
  if (!_ml_tcp_send (c, c->iss, flags, NULL, 0, retransmission))
    c->unreachable = TRUE;
  c->snd_nxt = c->iss + 1;
  if (SEQ_GT (c->snd_nxt, c->snd_max))
    c->snd_max = c->snd_nxt;
  if (c->rexmt_deadline == 0)
    tcp_rexmt_arm (c);
}

/* Sends whatever the state and the windows allow, then a bare ACK if one
 * is owed and nothing else carried it. */
void
_ml_tcp_output (MlTcpConn *c)
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
        _ml_tcp_send_ack (c);
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
      guint32 data_end = _ml_tcp_data_end (c);
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
    _ml_tcp_send_ack (c);
}

/* RFC 5681 3.2 / RFC 6582 3.2: resend the first unacknowledged segment
 * without going back with snd_nxt. */
static void
tcp_retransmit_first (MlTcpConn *c)
{
  guint32 data_end = _ml_tcp_data_end (c);
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
      _ml_tcp_conn_destroy (c, error);
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
  _ml_tcp_output (c);
  if (c->unreachable)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
                                                     "No route to host");
      _ml_tcp_conn_destroy (c, error);
    }
}

/* RFC 9293 3.10.7.1: the answer to a segment no connection owns. */
void
_ml_tcp_reply_rst (MlTcpHost *th, const MlFrameInfo *info)
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

  peer = _ml_tcp_peer_conn (th->host, h.src_port, info->ip.src_ip, h.dst_port);
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
/* what ACKs teach the sender                                           */

void
_ml_tcp_sender_start (MlTcpConn *c)
{
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
void
_ml_tcp_ack_new (MlTcpConn *c, guint32 ack)
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
    _ml_tcp_rexmt_stop (c);
  else
    tcp_rexmt_arm (c);
}

/* RFC 5681 3.2 and RFC 6582: the third duplicate ACK. */
void
_ml_tcp_ack_duplicate (MlTcpConn *c, guint32 ack)
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

/* The TCP state machine (RFC 9293): listeners, connections, and what
 * happens when a segment arrives.
 *
 * Every state change is a row of tcp_transitions[] made by
 * tcp_transition(), so the whole of RFC 9293's figure 5 can be read in one
 * place; only a reset, an abort or a timeout leaves a state otherwise,
 * straight to CLOSED in _ml_tcp_conn_destroy(). Segment arrival follows
 * the steps of RFC 9293 3.10.7 in order (tcp_input_*). What leaves is
 * tcp-output.c's business.
 */
#define G_LOG_DOMAIN "ml-tcp"

#include <string.h>

#include "net/tcp-private.h"

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

typedef enum {
  ACK_NONE,
  ACK_DELAYED,   /* RFC 9293 3.8.6.3: may wait ML_TCP_DELAYED_ACK_US */
  ACK_SOON,      /* after the application had its turn at this instant */
  ACK_NOW,
} AckPolicy;

/* ------------------------------------------------------------------ */
/* the state table                                                      */

/* What moves a connection from one state to the next. Opening is not
 * here: an active OPEN creates the connection in SYN-SENT, a SYN on a
 * listening port creates it in SYN-RECEIVED. */
typedef enum {
  TCP_EV_RCV_SYN,          /* a SYN without ACK: simultaneous open */
  TCP_EV_RCV_SYN_ACK,      /* the peer's SYN acknowledging ours */
  TCP_EV_RCV_ACK_OF_SYN,   /* the third segment of the handshake */
  TCP_EV_CLOSE,            /* the application closed its side */
  TCP_EV_RCV_FIN,          /* the peer's FIN, after all its data */
  TCP_EV_RCV_ACK_OF_FIN,   /* our FIN acknowledged */
  TCP_EV_TIMEOUT_2MSL,     /* TIME-WAIT is over */
} TcpEvent;

/* RFC 9293 3.3.2 figure 5, and 3.10.4 / 3.10.7.4 for the details. */
static const struct {
  MlTcpState from;
  TcpEvent   event;
  MlTcpState to;
} tcp_transitions[] = {
  { ML_TCP_SYN_SENT,     TCP_EV_RCV_SYN_ACK,    ML_TCP_ESTABLISHED  },
  { ML_TCP_SYN_SENT,     TCP_EV_RCV_SYN,        ML_TCP_SYN_RECEIVED },
  { ML_TCP_SYN_RECEIVED, TCP_EV_RCV_ACK_OF_SYN, ML_TCP_ESTABLISHED  },
  { ML_TCP_ESTABLISHED,  TCP_EV_CLOSE,          ML_TCP_FIN_WAIT_1   },
  { ML_TCP_CLOSE_WAIT,   TCP_EV_CLOSE,          ML_TCP_LAST_ACK     },
  { ML_TCP_SYN_RECEIVED, TCP_EV_RCV_FIN,        ML_TCP_CLOSE_WAIT   },
  { ML_TCP_ESTABLISHED,  TCP_EV_RCV_FIN,        ML_TCP_CLOSE_WAIT   },
  { ML_TCP_FIN_WAIT_1,   TCP_EV_RCV_FIN,        ML_TCP_CLOSING      },
  { ML_TCP_FIN_WAIT_2,   TCP_EV_RCV_FIN,        ML_TCP_TIME_WAIT    },
  { ML_TCP_FIN_WAIT_1,   TCP_EV_RCV_ACK_OF_FIN, ML_TCP_FIN_WAIT_2   },
  { ML_TCP_CLOSING,      TCP_EV_RCV_ACK_OF_FIN, ML_TCP_TIME_WAIT    },
  { ML_TCP_LAST_ACK,     TCP_EV_RCV_ACK_OF_FIN, ML_TCP_CLOSED       },
  { ML_TCP_TIME_WAIT,    TCP_EV_TIMEOUT_2MSL,   ML_TCP_CLOSED       },
};

static void tcp_timewait_fire (gpointer data);

/* Takes the row for (state, @event), if there is one, and does what
 * entering the new state asks. FALSE when the event changes nothing in
 * this state. Reaching CLOSED leaves freeing to the caller. */
static gboolean
tcp_transition (MlTcpConn *c, TcpEvent event)
{
  for (guint i = 0; i < G_N_ELEMENTS (tcp_transitions); i++)
    {
      if (tcp_transitions[i].from != c->state || tcp_transitions[i].event != event)
        continue;
      g_debug ("conn %u %s: %s → %s", c->conn_id, ml_host_get_name (c->host),
               ml_tcp_state_to_string (c->state),
               ml_tcp_state_to_string (tcp_transitions[i].to));
      c->state = tcp_transitions[i].to;

      switch (c->state)
        {
        case ML_TCP_ESTABLISHED:
          _ml_tcp_sender_start (c);
          /* A close that came during the handshake (RFC 9293 3.10.4). */
          if (c->fin_queued)
            tcp_transition (c, TCP_EV_CLOSE);
          break;
        case ML_TCP_TIME_WAIT:
          /* RFC 9293 3.3.2: 2·MSL, so old duplicates die first. */
          _ml_tcp_rexmt_stop (c);
          _ml_tcp_timer_cancel (c, &c->timewait_event);
          c->timewait_event = ml_scheduler_schedule (c->sched, 2 * ML_TCP_MSL_US,
                                                     tcp_timewait_fire, c, NULL);
          break;
        default:
          break;
        }
      return TRUE;
    }
  return FALSE;
}

static void
tcp_timewait_fire (gpointer data)
{
  MlTcpConn *c = data;

  c->timewait_event = 0;
  tcp_transition (c, TCP_EV_TIMEOUT_2MSL);
  _ml_tcp_conn_destroy (c, NULL);
}

/* ------------------------------------------------------------------ */
/* hosts and connections                                                */

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
  const MlTcpConnKey *k = p;

  return k->remote_ip * 2654435761u ^ ((guint) k->local_port << 16 | k->remote_port);
}

static gboolean
conn_key_equal (gconstpointer a, gconstpointer b)
{
  const MlTcpConnKey *x = a, *y = b;

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
conn_free (MlTcpConn *c)
{
  _ml_tcp_cancel_timers (c);
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

MlTcpConn *
_ml_tcp_host_lookup (MlTcpHost *th, guint16 local_port, guint32 remote_ip, guint16 remote_port)
{
  MlTcpConnKey key = { local_port, remote_port, remote_ip };

  return g_hash_table_lookup (th->conns, &key);
}

guint
_ml_tcp_host_find_conn_id (MlTcpHost *th, guint16 local_port,
                           guint32 remote_ip, guint16 remote_port)
{
  MlTcpConn *c = _ml_tcp_host_lookup (th, local_port, remote_ip, remote_port);

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
MlTcpConn *
_ml_tcp_peer_conn (MlHost *host, guint16 local_port, guint32 remote_ip, guint16 remote_port)
{
  MlHost *peer = ml_network_find_host_by_ip (ml_host_get_network (host), remote_ip);

  if (peer == NULL)
    return NULL;
  return _ml_tcp_host_lookup (_ml_host_get_tcp (peer), remote_port, ml_host_get_ipv4 (host), local_port);
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
  c->our_mss = c->our_mss > ML_TCP_IP_OVERHEAD ? c->our_mss - ML_TCP_IP_OVERHEAD : ML_TCP_DEFAULT_MSS;
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
 * ends in order already told its stream when the peer's FIN arrived. The
 * one way into CLOSED besides the state table: a reset, an abort or a
 * timeout ends any state at once (RFC 9293 3.10.7.4 second, 3.10.8). */
void
_ml_tcp_conn_destroy (MlTcpConn *c, const GError *error)
{
  MlTcpHost *th = c->th;
  g_autoptr(MlTcpStream) stream = g_steal_pointer (&c->stream);
  guint users;

  if (c->state != ML_TCP_CLOSED)
    g_debug ("conn %u %s: %s → CLOSED", c->conn_id, ml_host_get_name (c->host),
             ml_tcp_state_to_string (c->state));
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

/* ------------------------------------------------------------------ */
/* receiving                                                            */

static void
tcp_set_peer_mss (MlTcpConn *c, guint16 peer_mss)
{
  guint path_mtu = _ml_host_path_mtu (c->host, c->key.remote_ip);
  guint path_mss = path_mtu > ML_TCP_IP_OVERHEAD ? path_mtu - ML_TCP_IP_OVERHEAD : ML_TCP_DEFAULT_MSS;

  /* RFC 9293 3.7.1: send at most what the peer announced (536 if it
   * said nothing), and never more than the path carries unfragmented. */
  c->mss = MIN (peer_mss ? peer_mss : ML_TCP_DEFAULT_MSS, path_mss);
  c->mss = MAX (c->mss, 1);
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
  /* In FIN-WAIT-1 the ACK step would already have moved us on had our
   * FIN been acknowledged: both FINs crossed, hence CLOSING. */
  tcp_transition (c, TCP_EV_RCV_FIN);
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
        _ml_tcp_reply_rst (c->th, info);
      return;
    }
  if (seg->flags & ML_TCP_RST)
    {
      if (has_ack)
        {
          g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                                         "Connection refused");
          _ml_tcp_conn_destroy (c, error);
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
      tcp_transition (c, TCP_EV_RCV_SYN);
      c->snd_nxt = c->iss;
      _ml_tcp_output (c);
      return;
    }
  _ml_tcp_ack_new (c, seg->ack);
  tcp_transition (c, TCP_EV_RCV_SYN_ACK);
  /* The third segment of the handshake goes out before the application
   * hears of the connection, as a real stack sends it. */
  _ml_tcp_send_ack (c);
  if (c->stream)
    ml_stream_emit_connected (ML_STREAM (c->stream));
  _ml_tcp_output (c);
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
      _ml_tcp_output (c);
      return;
    }

  /* first: sequence number */
  if (!tcp_segment_acceptable (c, seg->seq, seg_len))
    {
      if (!(seg->flags & ML_TCP_RST))
        _ml_tcp_send_ack (c);
      /* RFC 9293 3.10.7.4: in TIME-WAIT, a retransmitted FIN restarts 2·MSL. */
      if (c->state == ML_TCP_TIME_WAIT && fin)
        {
          _ml_tcp_timer_cancel (c, &c->timewait_event);
          c->timewait_event = ml_scheduler_schedule (c->sched, 2 * ML_TCP_MSL_US,
                                                     tcp_timewait_fire, c, NULL);
        }
      return;
    }

  /* second: RST. RFC 5961 3.2 (RFC 9293 3.10.7.4): only an exact match
   * resets; anything else in the window gets a challenge ACK. */
  if (seg->flags & ML_TCP_RST)
    {
      g_autoptr(GError) error = NULL;

      if (seg->seq != c->rcv_nxt)
        {
          _ml_tcp_send_ack (c);
          return;
        }
      if (c->state == ML_TCP_SYN_RECEIVED && c->active_open)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Connection refused");
      else if (c->state == ML_TCP_ESTABLISHED || c->state == ML_TCP_FIN_WAIT_1
               || c->state == ML_TCP_FIN_WAIT_2 || c->state == ML_TCP_CLOSE_WAIT)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                     "Connection reset by peer");
      _ml_tcp_conn_destroy (c, error);
      return;
    }

  /* fourth: a SYN in a synchronized state (RFC 5961 4.2): challenge ACK. */
  if (syn)
    {
      _ml_tcp_send_ack (c);
      return;
    }

  /* fifth: ACK */
  if (!(seg->flags & ML_TCP_ACK))
    return;
  if (c->state == ML_TCP_SYN_RECEIVED)
    {
      if (!(SEQ_GT (seg->ack, c->snd_una) && SEQ_LEQ (seg->ack, c->snd_max)))
        {
          _ml_tcp_reply_rst (c->th, info);
          return;
        }
      c->snd_wnd = seg->window;
      c->snd_wl1 = seg->seq;
      c->snd_wl2 = seg->ack;
      _ml_tcp_ack_new (c, seg->ack);
      tcp_transition (c, TCP_EV_RCV_ACK_OF_SYN);
      accepted = TRUE;
    }
  else if (SEQ_GT (seg->ack, c->snd_max))
    {
      _ml_tcp_send_ack (c);   /* acknowledges something not yet sent */
      return;
    }
  else if (SEQ_GT (seg->ack, c->snd_una))
    _ml_tcp_ack_new (c, seg->ack);
  else if (seg->ack == c->snd_una && info->payload_len == 0 && !fin
           && seg->window == c->snd_wnd && c->snd_max != c->snd_una)
    _ml_tcp_ack_duplicate (c, seg->ack);   /* RFC 5681 2: the duplicate ACK */

  /* RFC 9293 3.10.7.4 fifth: the window, from the newest segment only. */
  if (SEQ_LT (c->snd_wl1, seg->seq) || (c->snd_wl1 == seg->seq && SEQ_LEQ (c->snd_wl2, seg->ack)))
    {
      c->snd_wnd = seg->window;
      c->snd_wl1 = seg->seq;
      c->snd_wl2 = seg->ack;
    }

  /* Our FIN is acknowledged once snd_una has passed it. */
  if (c->fin_queued && c->snd_una == c->snd_max && SEQ_GT (c->snd_max, _ml_tcp_data_end (c)))
    {
      tcp_transition (c, TCP_EV_RCV_ACK_OF_FIN);
      if (c->state == ML_TCP_CLOSED)
        {
          _ml_tcp_conn_destroy (c, NULL);   /* LAST-ACK is over */
          return;
        }
    }

  /* The application meets the connection before its first bytes: a
   * client (after a simultaneous open) hears "connected", a server gets
   * the stream from its listener. */
  if (accepted && c->active_open)
    ml_stream_emit_connected (ML_STREAM (c->stream));
  else if (accepted && !tcp_accept (c))
    {
      /* RFC 9293 3.10.5: ABORT sends a RST and deletes the connection. */
      _ml_tcp_send (c, c->snd_nxt, ML_TCP_RST, NULL, 0, FALSE);
      _ml_tcp_conn_destroy (c, NULL);
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
      _ml_tcp_schedule_output (c);
      break;
    case ACK_DELAYED:
      _ml_tcp_delack_start (c);
      break;
    case ACK_NONE:
    default:
      break;
    }
  /* Data the application wrote from its callbacks, room the ACK opened,
   * and an ACK owed now all leave here. */
  _ml_tcp_output (c);
}

void
_ml_tcp_input (MlHost *host, const MlFrameInfo *info)
{
  MlTcpHost *th = _ml_host_get_tcp (host);
  const MlTcpHeader *seg = &info->tcp;
  MlTcpConn *c = _ml_tcp_host_lookup (th, seg->dst_port, info->ip.src_ip, seg->src_port);

  if (c == NULL)
    {
      /* RFC 9293 3.10.7.2: LISTEN takes a bare SYN; an ACK or anything
       * else for a port nobody has gets a RST (3.10.7.1). */
      if ((seg->flags & (ML_TCP_SYN | ML_TCP_ACK | ML_TCP_RST)) == ML_TCP_SYN
          && g_hash_table_contains (th->listeners, GUINT_TO_POINTER ((guint) seg->dst_port)))
        {
          MlTcpConn *peer = _ml_tcp_peer_conn (host, seg->dst_port, info->ip.src_ip, seg->src_port);
          guint id = peer ? peer->conn_id : _ml_network_next_conn_id (ml_host_get_network (host));

          c = tcp_conn_new (th, seg->dst_port, info->ip.src_ip, seg->src_port, FALSE, id);
          c->irs = seg->seq;
          c->rcv_nxt = seg->seq + 1;
          c->snd_wnd = seg->window;
          c->snd_wl1 = seg->seq;
          tcp_set_peer_mss (c, seg->mss);
          _ml_tcp_output (c);
          return;
        }
      _ml_tcp_reply_rst (th, info);
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
  _ml_tcp_schedule_output (c);
}

void
_ml_tcp_conn_close (MlTcpConn *c)
{
  if (c->fin_queued)
    return;
  /* RFC 9293 3.10.4: the FIN follows all queued data. During the
   * handshake it waits for ESTABLISHED (see tcp_transition). */
  switch (c->state)
    {
    case ML_TCP_SYN_SENT:
    case ML_TCP_SYN_RECEIVED:
      c->fin_queued = TRUE;
      break;
    case ML_TCP_ESTABLISHED:
    case ML_TCP_CLOSE_WAIT:
      c->fin_queued = TRUE;
      tcp_transition (c, TCP_EV_CLOSE);
      _ml_tcp_schedule_output (c);
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
  _ml_tcp_schedule_output (c);
  return ML_STREAM (g_object_ref (c->stream));
}

/* tcp-private.h — shared by the TCP files; not for other folders.
 *
 * tcp.c         the state table and SEGMENT ARRIVES (RFC 9293 3.10.7),
 *               listeners, connections, the application's calls;
 * tcp-output.c  everything that leaves: segments, the output routine,
 *               timers, retransmission (RFC 6298), congestion control
 *               (RFC 5681) as ACKs come back;
 * tcp-stream.c  MlTcpStream, the MlStream an engine is wired to.
 */
#pragma once

#include "net/network-private.h"
#include "net/tcp.h"

G_BEGIN_DECLS

/* RFC 9293 3.4: sequence numbers compare modulo 2^32. */
#define SEQ_LT(a, b)  ((gint32) ((guint32) (a) - (guint32) (b)) < 0)
#define SEQ_LEQ(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT (b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ (b, a)

/* RFC 9293 3.7.1: the MSS excludes the 20-byte IPv4 and TCP headers. */
#define ML_TCP_IP_OVERHEAD (ML_IPV4_HEADER_LEN + ML_TCP_HEADER_LEN)

typedef struct _MlTcpConn MlTcpConn;

typedef struct {
  guint16 local_port;
  guint16 remote_port;
  guint32 remote_ip;
} MlTcpConnKey;

struct _MlTcpHost
{
  MlHost     *host;
  GHashTable *conns;       /* MlTcpConnKey* → MlTcpConn*, lookups only */
  GQueue      all;         /* MlTcpConn*, in order of creation */
  GHashTable *listeners;   /* port → listener (tcp.c) */
  GHashTable *ports;       /* local port → connections using it */
};

struct _MlTcpConn
{
  MlTcpHost   *th;
  MlHost      *host;
  MlScheduler *sched;
  GList       *node;            /* in th->all */
  MlTcpConnKey key;
  guint        conn_id;
  gboolean     active_open;
  MlTcpStream *stream;          /* strong reference until detached */
  MlTcpState   state;           /* changed by tcp.c's state table only */

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
  gboolean     unreachable;     /* the SYN found no route */

  /* RFC 9293 3.3.1 receive sequence variables. */
  guint32      irs, rcv_nxt;
  GQueue       ooo;             /* segments above a gap, sorted by seq */
  gsize        unacked_bytes;   /* received in order, not yet acknowledged */
  gboolean     ack_now;         /* the next output must send an ACK */
  gboolean     ack_pending;     /* the next output kick must send an ACK */

  /* Scheduler ids, 0 when idle. The retransmission timer is lazy: moving
   * its deadline later only records the deadline, and the event, when it
   * fires early, re-arms itself. */
  guint64      rexmt_event, rexmt_event_due, rexmt_deadline;
  guint64      delack_event, timewait_event, output_event;
};

/* tcp.c */
/* Frees the connection. @error, when set, goes to the stream's closed
 * callback (refused, reset, timeout, unreachable). */
void        _ml_tcp_conn_destroy          (MlTcpConn *conn, const GError *error);
MlTcpConn  *_ml_tcp_host_lookup           (MlTcpHost *th, guint16 local_port,
                                           guint32 remote_ip, guint16 remote_port);
/* The simulated other end of a connection, or NULL. */
MlTcpConn  *_ml_tcp_peer_conn             (MlHost *host, guint16 local_port,
                                           guint32 remote_ip, guint16 remote_port);
void        _ml_tcp_conn_write            (MlTcpConn *conn, const guint8 *data, gsize len);
void        _ml_tcp_conn_close            (MlTcpConn *conn);
MlTcpState  _ml_tcp_conn_get_state        (MlTcpConn *conn);
guint       _ml_tcp_conn_get_mss          (MlTcpConn *conn);
guint       _ml_tcp_conn_get_retransmissions (MlTcpConn *conn);
guint64     _ml_tcp_conn_get_rto          (MlTcpConn *conn);

/* tcp-output.c */
void        _ml_tcp_timer_cancel          (MlTcpConn *conn, guint64 *id);
void        _ml_tcp_cancel_timers         (MlTcpConn *conn);
void        _ml_tcp_rexmt_stop            (MlTcpConn *conn);
void        _ml_tcp_delack_start          (MlTcpConn *conn);
void        _ml_tcp_schedule_output       (MlTcpConn *conn);
/* Sends what the state and windows allow, then an owed bare ACK. */
void        _ml_tcp_output                (MlTcpConn *conn);
gboolean    _ml_tcp_send                  (MlTcpConn *conn, guint32 seq, guint8 flags,
                                           const guint8 *data, gsize len,
                                           gboolean retransmission);
void        _ml_tcp_send_ack              (MlTcpConn *conn);
/* RFC 9293 3.10.7.1: the RST for a segment no connection owns. */
void        _ml_tcp_reply_rst             (MlTcpHost *th, const MlFrameInfo *info);
guint32     _ml_tcp_data_end              (MlTcpConn *conn);
/* Congestion window and RTO for a connection that just opened. */
void        _ml_tcp_sender_start          (MlTcpConn *conn);
/* An ACK that moved snd_una / a duplicate ACK (RFC 5681 2). */
void        _ml_tcp_ack_new               (MlTcpConn *conn, guint32 ack);
void        _ml_tcp_ack_duplicate         (MlTcpConn *conn, guint32 ack);

/* tcp-stream.c. The connection holds a reference on its stream until it
 * detaches; after that the stream answers from what it kept. */
MlTcpStream *_ml_tcp_stream_new    (MlTcpConn *conn,
                                    MlHost    *host,
                                    guint16    local_port,
                                    guint32    remote_ip,
                                    guint16    remote_port,
                                    guint      conn_id);
void         _ml_tcp_stream_set_conn_id (MlTcpStream *self, guint conn_id);
void         _ml_tcp_stream_detach (MlTcpStream *self);

G_END_DECLS

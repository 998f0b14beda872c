/* The TCP model seen from outside: the segments in the trace, the bytes
 * the applications get, and the virtual times things happen at. */
#include <string.h>

#include "net/frame.h"
#include "net/network.h"
#include "net/tcp.h"

#define IP_C 0x0a000001u  /* client 10.0.0.1 */
#define IP_S 0x0a000002u  /* server 10.0.0.2 */
#define IP_R 0x0a0000feu  /* router */

typedef enum {
  SERVER_SINK,          /* collect what arrives */
  SERVER_ECHO,          /* write every chunk back at once */
  SERVER_CLOSE_AT_ONCE, /* close right after accepting */
} ServerMode;

/* One end as an application sees it. */
typedef struct {
  MlStream   *stream;
  GByteArray *data;
  guint       connected;
  guint       closed;
  GError     *error;
  guint64     closed_at;
  gboolean    close_on_peer_close;
} End;

typedef struct {
  guint32      seed;
  MlTrace     *trace;
  MlNetwork   *net;
  MlScheduler *sched;
  MlHost      *c, *s;
  MlLink      *link;
  ServerMode   mode;
  End          client, server;
  guint        accepted;
} Fixture;

static void
end_clear (End *end)
{
  g_clear_object (&end->stream);
  g_clear_pointer (&end->data, g_byte_array_unref);
  g_clear_error (&end->error);
}

static void
on_connected (MlStream *stream, gpointer user_data)
{
  End *end = user_data;

  end->connected++;
}

static void
on_data (MlStream *stream, const guint8 *data, gsize len, gpointer user_data)
{
  End *end = user_data;

  g_byte_array_append (end->data, data, (guint) len);
}

static void
on_closed (MlStream *stream, const GError *error, gpointer user_data)
{
  End *end = user_data;

  end->closed++;
  end->closed_at = ml_scheduler_now (ml_network_get_scheduler (
    ml_host_get_network (ml_tcp_stream_get_host (ML_TCP_STREAM (stream)))));
  if (error)
    end->error = g_error_copy (error);
  if (end->close_on_peer_close && error == NULL)
    ml_stream_close (stream);
}

static void
on_echo_data (MlStream *stream, const guint8 *data, gsize len, gpointer user_data)
{
  on_data (stream, data, len, user_data);
  ml_stream_write (stream, data, len);
}

static void
on_accept (MlHost *host, MlStream *stream, gpointer user_data)
{
  Fixture *fx = user_data;

  fx->accepted++;
  g_clear_object (&fx->server.stream);
  fx->server.stream = g_object_ref (stream);
  ml_stream_set_callbacks (stream, NULL,
                           fx->mode == SERVER_ECHO ? on_echo_data : on_data,
                           on_closed, &fx->server);
  if (fx->mode == SERVER_CLOSE_AT_ONCE)
    ml_stream_close (stream);
}

/* client — server on one default link (1 ms, 100 Mbit/s, MTU 1500). */
static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  fx->seed = data ? GPOINTER_TO_UINT (data) : 42;
  fx->trace = ml_trace_new ();
  fx->net = ml_network_new (fx->seed, fx->trace);
  fx->sched = ml_network_get_scheduler (fx->net);
  fx->c = ml_network_add_host (fx->net, "client", IP_C, ML_ROLE_MUA);
  fx->s = ml_network_add_host (fx->net, "server", IP_S, ML_ROLE_MSA);
  fx->link = ml_network_add_link (fx->net, fx->c, fx->s, NULL);
  fx->client.data = g_byte_array_new ();
  fx->server.data = g_byte_array_new ();
  fx->server.close_on_peer_close = TRUE;
  g_assert_true (ml_host_tcp_listen (fx->s, 25, on_accept, fx, NULL, NULL));
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  ml_network_free (fx->net);
  g_object_unref (fx->trace);
  end_clear (&fx->client);
  end_clear (&fx->server);
}

static void
connect_client (Fixture *fx, guint16 port)
{
  fx->client.stream = ml_host_tcp_connect (fx->c, IP_S, port);
  g_assert_nonnull (fx->client.stream);
  ml_stream_set_callbacks (fx->client.stream, on_connected, on_data, on_closed, &fx->client);
}

static void
run (Fixture *fx)
{
  ml_scheduler_run (fx->sched, G_MAXUINT64);
}

static void
run_until (Fixture *fx, guint64 t)
{
  ml_scheduler_run (fx->sched, t);
}

/* Frame events in trace order (borrowed). */
static GPtrArray *
frames (Fixture *fx)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint64 i = 0; i < ml_trace_get_length (fx->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (fx->trace, i);
      if (e->kind == ML_TRACE_FRAME)
        g_ptr_array_add (out, (gpointer) e);
    }
  return out;
}

static MlFrameInfo
parse (const MlTraceEvent *e)
{
  MlFrameInfo info;

  g_assert_true (ml_frame_parse (g_bytes_get_data (e->bytes, NULL), g_bytes_get_size (e->bytes),
                                 &info, NULL));
  g_assert_true (info.ip_checksum_ok);
  g_assert_true (info.transport_checksum_ok);
  return info;
}

static GBytes *
pattern (gsize len)
{
  guint8 *p = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    p[i] = (guint8) ((i * 7 + i / 251) & 0xff);
  return g_bytes_new_take (p, len);
}

static void
test_handshake (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) f = NULL;
  const MlTraceEvent *syn, *synack, *ack;
  MlFrameInfo i0, i1, i2;

  connect_client (fx, 25);
  /* Nothing is sent inside connect: the SYN leaves from the scheduler. */
  g_assert_cmpuint (ml_trace_get_length (fx->trace), ==, 0);
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->client.stream)), ==, ML_TCP_SYN_SENT);
  run_until (fx, 100000);

  f = frames (fx);
  g_assert_cmpuint (f->len, ==, 3);
  syn = f->pdata[0];
  synack = f->pdata[1];
  ack = f->pdata[2];
  i0 = parse (syn);
  i1 = parse (synack);
  i2 = parse (ack);

  g_assert_cmpstr (syn->host, ==, "client");
  g_assert_cmpstr (syn->text, ==, "49152 → 25 [SYN] Seq=0 Win=65535 Len=0 MSS=1460");
  g_assert_cmpstr (syn->explain_key, ==, "tcp.syn");
  g_assert_cmphex (i0.tcp.flags, ==, ML_TCP_SYN);
  g_assert_cmpuint (i0.tcp.mss, ==, 1460);
  g_assert_true (i0.ip.dont_fragment);

  g_assert_cmpstr (synack->host, ==, "server");
  g_assert_cmpstr (synack->text, ==, "25 → 49152 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0 MSS=1460");
  g_assert_cmpstr (synack->explain_key, ==, "tcp.syn-ack");
  g_assert_cmphex (i1.tcp.flags, ==, ML_TCP_SYN | ML_TCP_ACK);
  g_assert_cmphex (i1.tcp.ack, ==, i0.tcp.seq + 1);

  g_assert_cmpstr (ack->text, ==, "49152 → 25 [ACK] Seq=1 Ack=1 Win=65535 Len=0");
  g_assert_cmpstr (ack->explain_key, ==, "tcp.ack");
  g_assert_cmphex (i2.tcp.flags, ==, ML_TCP_ACK);
  g_assert_cmphex (i2.tcp.seq, ==, i0.tcp.seq + 1);
  g_assert_cmphex (i2.tcp.ack, ==, i1.tcp.seq + 1);
  g_assert_cmpuint (i2.tcp.mss, ==, 0);

  /* One connection, one id, on both ends and all three segments. */
  g_assert_cmpuint (syn->conn_id, ==, 1);
  g_assert_cmpuint (synack->conn_id, ==, 1);
  g_assert_cmpuint (ack->conn_id, ==, 1);
  g_assert_cmpint (syn->direction, ==, ML_DIR_CLIENT_TO_SERVER);
  g_assert_cmpint (synack->direction, ==, ML_DIR_SERVER_TO_CLIENT);
  g_assert_cmpuint (ml_stream_get_id (fx->client.stream), ==, 1);
  g_assert_cmpuint (ml_stream_get_id (fx->server.stream), ==, 1);

  g_assert_cmpuint (fx->client.connected, ==, 1);
  g_assert_cmpuint (fx->accepted, ==, 1);
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->client.stream)), ==, ML_TCP_ESTABLISHED);
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->server.stream)), ==, ML_TCP_ESTABLISHED);
  g_assert_cmpuint (ml_tcp_stream_get_mss (ML_TCP_STREAM (fx->client.stream)), ==, 1460);
  g_assert_cmpuint (ml_tcp_stream_get_local_port (ML_TCP_STREAM (fx->client.stream)), ==, 49152);
  g_assert_cmpuint (ml_tcp_stream_get_remote_port (ML_TCP_STREAM (fx->client.stream)), ==, 25);
  g_assert_cmphex (ml_tcp_stream_get_remote_ip (ML_TCP_STREAM (fx->server.stream)), ==, IP_C);
  g_assert_true (ml_tcp_stream_get_peer_host (ML_TCP_STREAM (fx->client.stream)) == fx->s);
  g_assert_cmpstr (ml_stream_describe (fx->client.stream), ==, "10.0.0.1:49152 → 10.0.0.2:25");

  /* Times: 1 ms latency each way plus 60-byte frames at 100 Mbit/s (5 µs). */
  g_assert_cmpuint (syn->time_us, ==, 0);
  g_assert_cmpuint (synack->time_us, ==, 1005);
  g_assert_cmpuint (ack->time_us, ==, 2010);
}

static void
test_segmentation (Fixture *fx, gconstpointer data)
{
  g_autoptr(GBytes) payload = pattern (100000);
  g_autoptr(GPtrArray) f = NULL;
  guint segments = 0, pushed = 0;
  gsize total = 0;

  connect_client (fx, 25);
  ml_stream_write_bytes (fx->client.stream, payload);
  run (fx);

  g_assert_cmpmem (fx->server.data->data, fx->server.data->len,
                   g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));

  f = frames (fx);
  for (guint i = 0; i < f->len; i++)
    {
      const MlTraceEvent *e = f->pdata[i];
      MlFrameInfo info = parse (e);

      g_assert_false (e->retransmission);
      if (info.tcp.src_port != 49152 || info.payload_len == 0)
        continue;
      segments++;
      total += info.payload_len;
      g_assert_cmpuint (info.payload_len, <=, 1460);
      g_assert_cmpstr (e->explain_key, ==, "tcp.data");
      if (info.tcp.flags & ML_TCP_PSH)
        {
          pushed++;
          g_assert_cmpuint (total, ==, 100000);   /* PSH only on the last */
        }
      else
        g_assert_cmpuint (info.payload_len, ==, 1460);
    }
  g_assert_cmpuint (total, ==, 100000);
  g_assert_cmpuint (segments, ==, (100000 + 1459) / 1460);
  g_assert_cmpuint (pushed, ==, 1);
}

static void
test_write_coalesce (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) f = NULL;
  guint data_segments = 0;

  connect_client (fx, 25);
  run_until (fx, 100000);
  ml_stream_write (fx->client.stream, (const guint8 *) "MAIL FROM:<a@a.example>\r\n", 25);
  ml_stream_write (fx->client.stream, (const guint8 *) "RCPT TO:<b@b.example>\r\n", 23);
  run_until (fx, 200000);

  f = frames (fx);
  for (guint i = 0; i < f->len; i++)
    {
      MlFrameInfo info = parse (f->pdata[i]);
      if (info.tcp.src_port == 49152 && info.payload_len > 0)
        {
          data_segments++;
          g_assert_cmpuint (info.payload_len, ==, 48);
          g_assert_cmphex (info.tcp.flags, ==, ML_TCP_PSH | ML_TCP_ACK);
        }
    }
  g_assert_cmpuint (data_segments, ==, 1);
  g_assert_cmpmem (fx->server.data->data, fx->server.data->len,
                   "MAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\n", 48);
}

static void
test_lossy (Fixture *fx, gconstpointer data)
{
  g_autoptr(GBytes) payload = pattern (100000);
  g_autoptr(GPtrArray) f = NULL;
  guint retransmitted = 0, dropped = 0;

  ml_link_set_loss (fx->link, 0.3);
  fx->mode = SERVER_ECHO;
  connect_client (fx, 25);
  ml_stream_write_bytes (fx->client.stream, payload);
  ml_stream_close (fx->client.stream);
  run (fx);

  /* Every byte arrived once and in order, both ways. */
  g_assert_cmpmem (fx->server.data->data, fx->server.data->len,
                   g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  g_assert_cmpmem (fx->client.data->data, fx->client.data->len,
                   g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  g_assert_no_error (fx->client.error);
  g_assert_no_error (fx->server.error);
  g_assert_cmpuint (fx->client.closed, ==, 1);
  g_assert_cmpuint (fx->server.closed, ==, 1);

  f = frames (fx);
  for (guint i = 0; i < f->len; i++)
    {
      const MlTraceEvent *e = f->pdata[i];
      retransmitted += e->retransmission;
      dropped += e->dropped;
      if (e->retransmission)
        g_assert_true (g_str_has_prefix (e->text, "[TCP Retransmission] "));
    }
  g_assert_cmpuint (dropped, >, 0);
  g_assert_cmpuint (retransmitted, >, 0);
  g_assert_cmpuint (ml_tcp_stream_get_retransmissions (ML_TCP_STREAM (fx->client.stream)), >, 0);
  g_assert_cmpuint (ml_host_tcp_get_n_connections (fx->c), ==, 0);
  g_assert_cmpuint (ml_host_tcp_get_n_connections (fx->s), ==, 0);
}

/* Takes the link down for exactly the @drop_index-th data segment the
 * client sends, from inside the trace (listeners see each frame as it
 * starts on the wire, before the next one is decided). */
typedef struct {
  MlLink *link;
  guint   seen;
  guint   drop_index;
} Dropper;

static void
drop_one (MlTrace *trace, const MlTraceEvent *e, gpointer user_data)
{
  Dropper *d = user_data;
  MlFrameInfo info;

  if (e->kind != ML_TRACE_FRAME || e->retransmission)
    return;
  g_assert_true (ml_frame_parse (g_bytes_get_data (e->bytes, NULL), g_bytes_get_size (e->bytes),
                                 &info, NULL));
  if (info.tcp.src_port != 49152 || info.payload_len == 0)
    return;
  d->seen++;
  ml_link_set_up (d->link, d->seen + 1 != d->drop_index);
}

static void
test_fast_retransmit (Fixture *fx, gconstpointer data)
{
  g_autoptr(GBytes) payload = pattern (30 * 1460);
  g_autoptr(GPtrArray) f = NULL;
  Dropper dropper = { fx->link, 0, 8 };
  guint64 lost_at = 0, resent_at = 0;
  guint32 lost_seq = 0, resent = 0, dupacks = 0, client_isn;

  ml_trace_add_listener (fx->trace, drop_one, &dropper, NULL);
  connect_client (fx, 25);
  ml_stream_write_bytes (fx->client.stream, payload);
  run (fx);

  g_assert_cmpmem (fx->server.data->data, fx->server.data->len,
                   g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  f = frames (fx);
  client_isn = parse (f->pdata[0]).tcp.seq;
  for (guint i = 0; i < f->len; i++)
    {
      const MlTraceEvent *e = f->pdata[i];
      MlFrameInfo info = parse (e);

      if (e->dropped)
        {
          lost_at = e->time_us;
          lost_seq = info.tcp.seq;
        }
      else if (e->retransmission)
        {
          resent++;
          resent_at = e->time_us;
          g_assert_cmphex (info.tcp.seq, ==, lost_seq);
        }
      else if (lost_at && !resent && info.tcp.src_port == 25 && info.tcp.ack == lost_seq)
        dupacks++;
    }
  g_assert_cmpuint (lost_seq - client_isn - 1, ==, 7 * 1460);
  /* RFC 5681 3.2: the third duplicate ACK, not the 1 s timer, resends it. */
  g_assert_cmpuint (resent, ==, 1);
  g_assert_cmpuint (dupacks, >=, 1 + ML_TCP_DUPACK_THRESHOLD);
  g_assert_cmpuint (resent_at - lost_at, <, 100000);
  g_assert_cmpuint (ml_tcp_stream_get_retransmissions (ML_TCP_STREAM (fx->client.stream)), ==, 1);
}

static void
test_rto_first (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) f = NULL;
  GArray *times = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint64 t0 = 100000;

  connect_client (fx, 25);
  run_until (fx, t0);
  ml_link_set_up (fx->link, FALSE);
  ml_stream_write (fx->client.stream, (const guint8 *) "HELO x\r\n", 8);
  run_until (fx, t0 + 3500000);

  f = frames (fx);
  for (guint i = 0; i < f->len; i++)
    {
      const MlTraceEvent *e = f->pdata[i];
      MlFrameInfo info = parse (e);
      if (info.tcp.src_port == 49152 && info.payload_len == 8)
        {
          g_array_append_val (times, e->time_us);
          g_assert_true (e->dropped);
          g_assert_cmpint (e->retransmission, ==, times->len > 1);
        }
    }
  /* RFC 6298: 1 s after sending, then doubled. */
  g_assert_cmpuint (times->len, ==, 3);
  g_assert_cmpuint (g_array_index (times, guint64, 1) - g_array_index (times, guint64, 0), ==, 1000000);
  g_assert_cmpuint (g_array_index (times, guint64, 2) - g_array_index (times, guint64, 1), ==, 2000000);
  g_assert_cmpuint (ml_tcp_stream_get_rto (ML_TCP_STREAM (fx->client.stream)), ==, 4000000);
  g_array_unref (times);

  ml_link_set_up (fx->link, TRUE);
  run (fx);
  g_assert_cmpmem (fx->server.data->data, fx->server.data->len, "HELO x\r\n", 8);
}

static void
test_teardown (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) f = NULL;
  const MlTraceEvent *fin1, *fin2, *last;
  MlFrameInfo i1, i2, i3;

  connect_client (fx, 25);
  run_until (fx, 100000);
  ml_stream_write (fx->client.stream, (const guint8 *) "QUIT\r\n", 6);
  ml_stream_close (fx->client.stream);
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->client.stream)), ==, ML_TCP_FIN_WAIT_1);
  run_until (fx, 200000);

  /* The client's FIN rides on its data; the server closes from its closed
   * callback, so its FIN carries the ACK: three segments. */
  f = frames (fx);
  g_assert_cmpuint (f->len, ==, 6);
  fin1 = f->pdata[3];
  fin2 = f->pdata[4];
  last = f->pdata[5];
  i1 = parse (fin1);
  i2 = parse (fin2);
  i3 = parse (last);
  g_assert_cmphex (i1.tcp.flags, ==, ML_TCP_FIN | ML_TCP_PSH | ML_TCP_ACK);
  g_assert_cmpstr (fin1->text, ==, "49152 → 25 [FIN, PSH, ACK] Seq=1 Ack=1 Win=65535 Len=6");
  g_assert_cmpstr (fin1->explain_key, ==, "tcp.fin");
  g_assert_cmphex (i2.tcp.flags, ==, ML_TCP_FIN | ML_TCP_ACK);
  g_assert_cmphex (i2.tcp.ack, ==, i1.tcp.seq + 6 + 1);
  g_assert_cmpstr (fin2->text, ==, "25 → 49152 [FIN, ACK] Seq=1 Ack=8 Win=65535 Len=0");
  g_assert_cmphex (i3.tcp.flags, ==, ML_TCP_ACK);
  g_assert_cmphex (i3.tcp.ack, ==, i2.tcp.seq + 1);

  g_assert_cmpuint (fx->server.closed, ==, 1);
  g_assert_no_error (fx->server.error);
  g_assert_cmpuint (fx->client.closed, ==, 1);
  g_assert_no_error (fx->client.error);
  g_assert_cmpmem (fx->server.data->data, fx->server.data->len, "QUIT\r\n", 6);
  /* The server's state is gone at once; the client waits 2·MSL. */
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->server.stream)), ==, ML_TCP_CLOSED);
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->client.stream)), ==, ML_TCP_TIME_WAIT);
  g_assert_cmpuint (ml_host_tcp_get_n_connections (fx->s), ==, 0);
  g_assert_cmpuint (ml_host_tcp_get_n_connections (fx->c), ==, 1);

  run (fx);
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->client.stream)), ==, ML_TCP_CLOSED);
  g_assert_cmpuint (ml_host_tcp_get_n_connections (fx->c), ==, 0);
  g_assert_cmpuint (ml_scheduler_now (fx->sched), ==, last->time_us + 2 * ML_TCP_MSL_US);
  g_clear_pointer (&f, g_ptr_array_unref);
  f = frames (fx);
  g_assert_cmpuint (f->len, ==, 6);
}

static void
test_half_close (Fixture *fx, gconstpointer data)
{
  fx->mode = SERVER_CLOSE_AT_ONCE;
  connect_client (fx, 25);
  run_until (fx, 100000);

  /* The server said it will send no more; the client may still talk. */
  g_assert_cmpuint (fx->client.closed, ==, 1);
  g_assert_no_error (fx->client.error);
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->client.stream)), ==, ML_TCP_CLOSE_WAIT);
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->server.stream)), ==, ML_TCP_FIN_WAIT_2);

  ml_stream_write (fx->client.stream, (const guint8 *) "late words", 10);
  ml_stream_close (fx->client.stream);
  run (fx);
  g_assert_cmpmem (fx->server.data->data, fx->server.data->len, "late words", 10);
  g_assert_cmpuint (fx->server.closed, ==, 1);
  g_assert_no_error (fx->server.error);
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->client.stream)), ==, ML_TCP_CLOSED);
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->server.stream)), ==, ML_TCP_CLOSED);
}

static void
test_refused (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) f = NULL;
  const MlTraceEvent *rst;
  MlFrameInfo syn_info, rst_info;

  connect_client (fx, 26);
  run (fx);

  g_assert_cmpuint (fx->client.connected, ==, 0);
  g_assert_cmpuint (fx->client.closed, ==, 1);
  g_assert_error (fx->client.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_true (ml_stream_is_closed (fx->client.stream));
  g_assert_cmpint (ml_tcp_stream_get_state (ML_TCP_STREAM (fx->client.stream)), ==, ML_TCP_CLOSED);

  f = frames (fx);
  g_assert_cmpuint (f->len, ==, 2);
  rst = f->pdata[1];
  syn_info = parse (f->pdata[0]);
  rst_info = parse (rst);
  /* RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
  g_assert_cmphex (rst_info.tcp.flags, ==, ML_TCP_RST | ML_TCP_ACK);
  g_assert_cmphex (rst_info.tcp.seq, ==, 0);
  g_assert_cmphex (rst_info.tcp.ack, ==, syn_info.tcp.seq + 1);
  g_assert_cmpstr (rst->explain_key, ==, "tcp.rst");
  g_assert_cmpstr (rst->text, ==, "26 → 49152 [RST, ACK] Seq=1 Ack=1 Win=0 Len=0");
  g_assert_cmpuint (rst->conn_id, ==, 1);
  g_assert_cmpuint (ml_host_tcp_get_n_connections (fx->c), ==, 0);
}

static void
test_unreachable (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) f = NULL;

  fx->client.stream = ml_host_tcp_connect (fx->c, 0x0b000001u, 25);
  ml_stream_set_callbacks (fx->client.stream, on_connected, on_data, on_closed, &fx->client);
  run (fx);
  g_assert_error (fx->client.error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE);
  f = frames (fx);
  g_assert_cmpuint (f->len, ==, 0);
}

static void
test_timeout_and_reset (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) f = NULL;
  const MlTraceEvent *rst;
  MlFrameInfo info;
  guint64 waited = 0, t_write;

  connect_client (fx, 25);
  run_until (fx, 100000);
  /* The server talks into a dead link until it gives up. */
  ml_link_set_up (fx->link, FALSE);
  t_write = ml_scheduler_now (fx->sched);
  ml_stream_write (fx->server.stream, (const guint8 *) "220 hello\r\n", 11);
  run (fx);
  g_assert_error (fx->server.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpuint (ml_tcp_stream_get_retransmissions (ML_TCP_STREAM (fx->server.stream)), ==,
                    ML_TCP_MAX_RETRIES);
  g_assert_cmpuint (ml_host_tcp_get_n_connections (fx->s), ==, 0);
  /* 1 + 2 + 4 + … s of timeouts, doubling up to the 60 s ceiling. */
  for (guint i = 0; i <= ML_TCP_MAX_RETRIES; i++)
    waited += MIN (ML_TCP_INITIAL_RTO_US << i, ML_TCP_MAX_RTO_US);
  g_assert_cmpuint (waited, ==, 663 * G_USEC_PER_SEC);
  g_assert_cmpuint (ml_scheduler_now (fx->sched), ==, t_write + waited);
  g_assert_cmpuint (fx->client.closed, ==, 0);

  /* The client never heard; its next segment meets no connection. */
  ml_link_set_up (fx->link, TRUE);
  ml_stream_write (fx->client.stream, (const guint8 *) "NOOP\r\n", 6);
  run (fx);
  g_assert_error (fx->client.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  f = frames (fx);
  rst = f->pdata[f->len - 1];
  info = parse (rst);
  g_assert_cmpstr (rst->host, ==, "server");
  /* RFC 9293 3.10.7.1: <SEQ=SEG.ACK><CTL=RST>. */
  g_assert_cmphex (info.tcp.flags, ==, ML_TCP_RST);
  g_assert_cmpuint (rst->conn_id, ==, 1);
  g_assert_cmpuint (ml_host_tcp_get_n_connections (fx->c), ==, 0);
}

static void
test_piggyback (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) f = NULL;
  guint64 echo_arrival = 0, client_ack_time = 0;
  gboolean server_pure_ack = FALSE;
  guint echoes = 0;

  fx->mode = SERVER_ECHO;
  connect_client (fx, 25);
  run_until (fx, 100000);
  ml_stream_write (fx->client.stream, (const guint8 *) "EHLO a.example\r\n", 16);
  run_until (fx, 500000);

  f = frames (fx);
  for (guint i = 3; i < f->len; i++)
    {
      const MlTraceEvent *e = f->pdata[i];
      MlFrameInfo info = parse (e);

      if (info.tcp.src_port == 25 && info.payload_len == 0)
        server_pure_ack = TRUE;
      if (info.tcp.src_port == 25 && info.payload_len == 16)
        {
          echoes++;
          g_assert_cmphex (info.tcp.flags, ==, ML_TCP_PSH | ML_TCP_ACK);
          g_assert_cmpstr (e->text, ==, "25 → 49152 [PSH, ACK] Seq=1 Ack=17 Win=65535 Len=16");
          echo_arrival = e->time_us + 1000 + 6;   /* latency + 70 bytes at 100 Mbit/s */
        }
      if (info.tcp.src_port == 49152 && info.payload_len == 0 && echo_arrival)
        client_ack_time = e->time_us;
    }
  /* The reply carried the ACK: no bare ACK from the server. */
  g_assert_cmpuint (echoes, ==, 1);
  g_assert_false (server_pure_ack);
  /* The client has nothing to say: its ACK waits the delayed-ACK time. */
  g_assert_cmpuint (client_ack_time, ==, echo_arrival + ML_TCP_DELAYED_ACK_US);
  g_assert_cmpmem (fx->client.data->data, fx->client.data->len, "EHLO a.example\r\n", 16);
}

static void
test_ack_every_second_segment (Fixture *fx, gconstpointer data)
{
  g_autoptr(GBytes) payload = pattern (5 * 1460);
  g_autoptr(GPtrArray) f = NULL;
  guint32 client_isn = 0;
  guint64 last_segment_arrival = 0, last_ack_time = 0;
  GString *acks = g_string_new (NULL);

  connect_client (fx, 25);
  run_until (fx, 100000);
  ml_stream_write_bytes (fx->client.stream, payload);
  run (fx);

  f = frames (fx);
  client_isn = parse (f->pdata[0]).tcp.seq;
  for (guint i = 3; i < f->len; i++)
    {
      const MlTraceEvent *e = f->pdata[i];
      MlFrameInfo info = parse (e);

      if (info.tcp.src_port == 49152 && info.payload_len > 0)
        /* 1514 bytes at 100 Mbit/s take 122 µs, then 1 ms of latency. */
        last_segment_arrival = e->time_us + 122 + 1000;
      if (info.tcp.src_port == 25 && info.payload_len == 0)
        {
          g_string_append_printf (acks, "%u ", (info.tcp.ack - client_isn - 1) / 1460);
          last_ack_time = e->time_us;
        }
    }
  /* RFC 9293 3.8.6.3: full-sized segments 1+2 and 3+4 are acknowledged as
   * the second arrives; the odd fifth waits for the delayed-ACK timer. */
  g_assert_cmpstr (acks->str, ==, "2 4 5 ");
  g_assert_cmpuint (last_ack_time, ==, last_segment_arrival + ML_TCP_DELAYED_ACK_US);
  g_string_free (acks, TRUE);
  g_assert_cmpuint (fx->server.data->len, ==, 5 * 1460);
}

static void
test_mss_through_router (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  MlNetwork *net = ml_network_new (5, trace);
  MlHost *c = ml_network_add_host (net, "client", IP_C, ML_ROLE_MUA);
  MlHost *r = ml_network_add_host (net, "r", IP_R, ML_ROLE_ROUTER);
  MlHost *s = ml_network_add_host (net, "server", IP_S, ML_ROLE_MTA);
  MlLinkConfig narrow;
  Fixture fx = { 0 };
  g_autoptr(GBytes) payload = pattern (20000);
  guint hop1 = 0, notes = 0;

  ml_link_config_init (&narrow);
  narrow.mtu = 1000;
  ml_network_add_link (net, c, r, NULL);
  ml_network_add_link (net, r, s, &narrow);
  ml_network_set_port_protocol (net, 25, ML_PROTO_SMTP);
  fx.net = net;
  fx.client.data = g_byte_array_new ();
  fx.server.data = g_byte_array_new ();
  g_assert_true (ml_host_tcp_listen (s, 25, on_accept, &fx, NULL, NULL));
  fx.client.stream = ml_host_tcp_connect (c, IP_S, 25);
  ml_stream_set_callbacks (fx.client.stream, on_connected, on_data, on_closed, &fx.client);
  ml_stream_write_bytes (fx.client.stream, payload);
  ml_scheduler_run (ml_network_get_scheduler (net), G_MAXUINT64);

  g_assert_cmpmem (fx.server.data->data, fx.server.data->len,
                   g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  /* The client announces 1460 (its own link) but sends at most 960, what
   * the narrow hop carries; the server announces 960. */
  g_assert_cmpuint (ml_tcp_stream_get_mss (ML_TCP_STREAM (fx.client.stream)), ==, 960);
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      MlFrameInfo info;

      if (e->kind == ML_TRACE_NOTE)
        notes++;
      if (e->kind != ML_TRACE_FRAME)
        continue;
      g_assert_cmpint (e->protocol, ==, ML_PROTO_SMTP);
      info = parse (e);
      g_assert_cmpuint (info.payload_len, <=, 960);
      if (e->hop == 1)
        {
          hop1++;
          g_assert_cmpuint (info.ip.ttl, ==, 63);
        }
      if (i == 0)
        g_assert_cmpuint (info.tcp.mss, ==, 1460);
    }
  g_assert_cmpuint (notes, ==, 0);
  g_assert_cmpuint (hop1, >, 20);

  ml_network_free (net);
  end_clear (&fx.client);
  end_clear (&fx.server);
}

/* Frame bytes and times of a lossy echo run, as one string. */
static GString *
lossy_run_digest (guint32 seed)
{
  Fixture fx = { 0 };
  g_autoptr(GBytes) payload = pattern (30000);
  GString *digest = g_string_new (NULL);

  fixture_set_up (&fx, GUINT_TO_POINTER (seed));
  ml_link_set_loss (fx.link, 0.2);
  fx.mode = SERVER_ECHO;
  connect_client (&fx, 25);
  ml_stream_write_bytes (fx.client.stream, payload);
  ml_stream_close (fx.client.stream);
  run (&fx);
  for (guint64 i = 0; i < ml_trace_get_length (fx.trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (fx.trace, i);
      g_autofree char *hex = NULL;

      if (e->kind != ML_TRACE_FRAME)
        continue;
      hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, e->bytes);
      g_string_append_printf (digest, "%" G_GUINT64_FORMAT " %s %d %s\n", e->time_us, hex,
                              e->dropped, e->text);
    }
  g_assert_cmpuint (fx.client.data->len, ==, 30000);
  fixture_tear_down (&fx, NULL);
  return digest;
}

static void
test_determinism (void)
{
  GString *one = lossy_run_digest (99);
  GString *two = lossy_run_digest (99);
  GString *other = lossy_run_digest (100);

  g_assert_cmpuint (one->len, >, 0);
  g_assert_cmpstr (one->str, ==, two->str);
  g_assert_cmpstr (one->str, !=, other->str);
  g_string_free (one, TRUE);
  g_string_free (two, TRUE);
  g_string_free (other, TRUE);
}

static void
test_listen_twice (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (ml_host_tcp_listen (fx->s, 25, on_accept, fx, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  ml_host_tcp_unlisten (fx->s, 25);
  connect_client (fx, 25);
  run (fx);
  g_assert_error (fx->client.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
test_state_names (void)
{
  g_assert_cmpstr (ml_tcp_state_to_string (ML_TCP_ESTABLISHED), ==, "ESTABLISHED");
  g_assert_cmpstr (ml_tcp_state_to_string (ML_TCP_TIME_WAIT), ==, "TIME-WAIT");
  g_assert_cmpstr (ml_tcp_state_to_string ((MlTcpState) 99), ==, "UNKNOWN");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/tcp/handshake", test_handshake);
  ADD ("/tcp/segmentation", test_segmentation);
  ADD ("/tcp/write-coalesce", test_write_coalesce);
  ADD ("/tcp/lossy-link", test_lossy);
  ADD ("/tcp/rto/first-retransmission", test_rto_first);
  ADD ("/tcp/fast-retransmit", test_fast_retransmit);
  ADD ("/tcp/teardown/both-ways", test_teardown);
  ADD ("/tcp/teardown/half-close", test_half_close);
  ADD ("/tcp/rst/refused", test_refused);
  ADD ("/tcp/rst/unknown-connection", test_timeout_and_reset);
  ADD ("/tcp/unreachable", test_unreachable);
  ADD ("/tcp/ack/piggyback", test_piggyback);
  ADD ("/tcp/ack/every-second-segment", test_ack_every_second_segment);
  ADD ("/tcp/listen-twice", test_listen_twice);
  g_test_add_func ("/tcp/mss-through-router", test_mss_through_router);
  g_test_add_func ("/tcp/determinism", test_determinism);
  g_test_add_func ("/tcp/state-names", test_state_names);
#undef ADD

  return g_test_run ();
}

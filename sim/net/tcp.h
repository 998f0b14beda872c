/* tcp.h — the simulated TCP (RFC 9293) and its stream, MlTcpStream.
 *
 * Connections are made with ml_host_tcp_connect() and ml_host_tcp_listen()
 * (network.h). The stream is the MlStream engines are wired to: writes go
 * into a send buffer that is segmented at the MSS, paced by congestion
 * control (RFC 5681) and retransmitted on timeout (RFC 6298); in-order
 * bytes come out of the data callback; FIN and RST end it.
 */
#pragma once

#include "net/network.h"
#include "stream/stream.h"

G_BEGIN_DECLS

/* RFC 9293 3.3.2. LISTEN belongs to listeners, not to streams. */
typedef enum {
  ML_TCP_CLOSED = 0,
  ML_TCP_LISTEN,
  ML_TCP_SYN_SENT,
  ML_TCP_SYN_RECEIVED,
  ML_TCP_ESTABLISHED,
  ML_TCP_FIN_WAIT_1,
  ML_TCP_FIN_WAIT_2,
  ML_TCP_CLOSE_WAIT,
  ML_TCP_CLOSING,
  ML_TCP_LAST_ACK,
  ML_TCP_TIME_WAIT,
} MlTcpState;

const char *ml_tcp_state_to_string (MlTcpState state);   /* "ESTABLISHED" */

/* Tunables of the model, with where they come from. */
#define ML_TCP_WINDOW             65535   /* RFC 9293 3.1: 16 bits, no window scaling */
#define ML_TCP_DEFAULT_MSS        536     /* RFC 9293 3.7.1: without an MSS option */
#define ML_TCP_INITIAL_RTO_US     G_GUINT64_CONSTANT (1000000)   /* RFC 6298 2.1 */
#define ML_TCP_MIN_RTO_US         G_GUINT64_CONSTANT (1000000)   /* RFC 6298 2.4 */
#define ML_TCP_MAX_RTO_US         G_GUINT64_CONSTANT (60000000)  /* RFC 6298 2.5 */
#define ML_TCP_SYN_DATA_RTO_US    G_GUINT64_CONSTANT (3000000)   /* RFC 6298 5.7 */
/* RFC 9293 3.8.3 (R2): give up after this many timeouts in a row. RFC
 * 1122 4.2.3.5 wants R2 to last at least 100 s for data and 3 min for a
 * SYN; with a 1 s RTO doubling up to 60 s that is 15 retries (663 s, as
 * Linux's tcp_retries2) and 8 retries (243 s). */
#define ML_TCP_MAX_RETRIES        15
#define ML_TCP_MAX_SYN_RETRIES    8
/* Linux's minimum delayed-ACK time: well under RFC 1122's 0.5 s limit
 * (RFC 9293 3.8.6.3, MUST-40) and far under the 1 s minimum RTO, so a
 * delayed ACK never makes the peer retransmit. */
#define ML_TCP_DELAYED_ACK_US     G_GUINT64_CONSTANT (40000)
/* RFC 9293 3.3.2 gives MSL as 2 minutes; we use 30 s, so TIME-WAIT lasts
 * 60 s as on Linux (TCP_TIMEWAIT_LEN). It must outlast the peer's FIN
 * retransmissions (1 s, 2 s, 4 s … with RFC 6298 back-off): a shorter one
 * answers a late retransmitted FIN with RST, which a capture of a lossy
 * link then shows as a reset no real stack would send. Virtual time costs
 * nothing. */
#define ML_TCP_MSL_US             (G_GUINT64_CONSTANT (30) * G_USEC_PER_SEC)
#define ML_TCP_DUPACK_THRESHOLD   3       /* RFC 5681 3.2 */

#define ML_TYPE_TCP_STREAM (ml_tcp_stream_get_type ())
G_DECLARE_FINAL_TYPE (MlTcpStream, ml_tcp_stream, ML, TCP_STREAM, MlStream)

/* The 4-tuple stays readable after the connection is gone. */
guint32     ml_tcp_stream_get_local_ip    (MlTcpStream *self);
guint16     ml_tcp_stream_get_local_port  (MlTcpStream *self);
guint32     ml_tcp_stream_get_remote_ip   (MlTcpStream *self);
guint16     ml_tcp_stream_get_remote_port (MlTcpStream *self);
MlHost     *ml_tcp_stream_get_host        (MlTcpStream *self);  /* borrowed: our end */
MlHost     *ml_tcp_stream_get_peer_host   (MlTcpStream *self);  /* borrowed, NULL if not simulated */
/* The connection number of both ends, also ml_stream_get_id (). */
guint       ml_tcp_stream_get_conn_id     (MlTcpStream *self);
/* ML_TCP_CLOSED once the connection state is freed. */
MlTcpState  ml_tcp_stream_get_state       (MlTcpStream *self);
/* The effective send MSS (RFC 9293 3.7.1); 0 before the handshake. */
guint       ml_tcp_stream_get_mss         (MlTcpStream *self);
/* How many segments this end sent again (timeout or fast retransmit). */
guint       ml_tcp_stream_get_retransmissions (MlTcpStream *self);
/* The retransmission timeout now in force, in µs (RFC 6298). */
guint64     ml_tcp_stream_get_rto         (MlTcpStream *self);

G_END_DECLS

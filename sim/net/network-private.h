/* network-private.h — what network.c and tcp.c share; not for other folders.
 *
 * network.c moves frames (routes, links, the trace); tcp.c keeps the
 * connections. Each side reaches the other only through these calls.
 */
#pragma once

#include "net/frame.h"
#include "net/network.h"

G_BEGIN_DECLS

typedef struct _MlTcpHost MlTcpHost;   /* a host's listeners and connections (tcp.c) */

/* What a frame's trace event says besides its bytes. */
typedef struct {
  guint        conn_id;
  MlDirection  direction;
  const char  *summary;       /* Wireshark's info column */
  const char  *explain_key;
  gboolean     retransmission;
} MlFrameMeta;

/* network.c, for tcp.c */
MlTcpHost *_ml_host_get_tcp         (MlHost *self);
MlScheduler *_ml_host_get_scheduler (MlHost *self);
/* Builds the frame (Ethernet, IPv4 with DF, TCP) toward the next hop and
 * puts it on the link. FALSE when there is no route (a note is traced). */
gboolean   _ml_host_send_tcp        (MlHost            *self,
                                     guint32            dst_ip,
                                     const MlTcpHeader *tcp,
                                     const guint8      *payload,
                                     gsize              len,
                                     const MlFrameMeta *meta);
/* Smallest link MTU on the route to @dst_ip (0: unreachable); the MTU of
 * the first link on that route. */
guint      _ml_host_path_mtu        (MlHost *self, guint32 dst_ip);
guint      _ml_host_first_hop_mtu   (MlHost *self, guint32 dst_ip);
guint      _ml_network_next_conn_id (MlNetwork *self);
/* An ML_TRACE_NOTE at the current virtual time. */
void       _ml_network_note         (MlNetwork  *self,
                                     MlHost     *host,
                                     const char *explain_key,
                                     const char *format,
                                     ...) G_GNUC_PRINTF (4, 5);

/* tcp.c, for network.c */
MlTcpHost *_ml_tcp_host_new         (MlHost *host);
/* Drops every connection without a callback (the network is going away;
 * the scheduler is still alive so timers can be cancelled). */
void       _ml_tcp_host_shutdown    (MlTcpHost *tcp);
void       _ml_tcp_host_free        (MlTcpHost *tcp);
gboolean   _ml_tcp_host_port_in_use (MlTcpHost *tcp, guint16 port);
/* The conn id of this host's connection with that 4-tuple, 0 if none. */
guint      _ml_tcp_host_find_conn_id (MlTcpHost *tcp, guint16 local_port,
                                      guint32 remote_ip, guint16 remote_port);
void       _ml_tcp_input            (MlHost *host, const MlFrameInfo *info);

G_END_DECLS

/* network.h — the simulated network: hosts, links, static routes, UDP.
 *
 * An MlNetwork owns its scheduler (the virtual clock) and its hosts and
 * links. Every frame that crosses a link is built byte for byte (frame.h)
 * and appended to the trace as an ML_TRACE_FRAME, one event per hop. The
 * TCP entry points of a host are declared here and implemented in tcp.c;
 * the MlTcpStream class itself is in tcp.h.
 *
 * Nothing here reads the wall clock or iterates a hash table in a way that
 * could change behaviour: one seed gives one trace, byte for byte.
 */
#pragma once

#include <glib.h>
#include "ml-types.h"
#include "net/scheduler.h"
#include "stream/stream.h"
#include "trace/trace.h"

G_BEGIN_DECLS

typedef struct _MlNetwork MlNetwork;
typedef struct _MlHost    MlHost;
typedef struct _MlLink    MlLink;

typedef struct {
  guint64 latency_us;     /* one way */
  guint64 bandwidth_bps;
  guint   mtu;            /* largest IPv4 packet the link carries */
  double  loss;           /* probability that a frame is lost, 0 – 1 */
} MlLinkConfig;

#define ML_LINK_DEFAULT_LATENCY_US    1000
#define ML_LINK_DEFAULT_BANDWIDTH_BPS G_GUINT64_CONSTANT (100000000)
#define ML_LINK_DEFAULT_MTU           1500  /* RFC 894: Ethernet's MTU */
/* RFC 791 3.1: every host must accept 576-byte datagrams; a smaller MTU
 * would leave TCP a useless MSS. */
#define ML_LINK_MIN_MTU               576
/* 2024-01-01T00:00:00Z: the wall time of virtual time 0 unless set. */
#define ML_NETWORK_DEFAULT_EPOCH_USEC G_GINT64_CONSTANT (1704067200000000)
/* RFC 6335 6: the dynamic (ephemeral) port range. */
#define ML_EPHEMERAL_PORT_FIRST       49152
#define ML_EPHEMERAL_PORT_LAST        65535

/* 1 ms, 100 Mbit/s, MTU 1500, no loss. */
void          ml_link_config_init        (MlLinkConfig *config);

/* Owns its MlScheduler; takes a reference on @trace. */
MlNetwork    *ml_network_new             (guint32 seed, MlTrace *trace);
void          ml_network_free            (MlNetwork *self);
MlScheduler  *ml_network_get_scheduler   (MlNetwork *self);   /* borrowed */
MlTrace      *ml_network_get_trace       (MlNetwork *self);   /* borrowed */
/* Wall time of virtual 0 (Date: headers, Received: stamps). */
void          ml_network_set_epoch       (MlNetwork *self, gint64 unix_usec);
gint64        ml_network_get_epoch       (MlNetwork *self);
gint64        ml_network_now_unix_usec   (MlNetwork *self);   /* epoch + virtual now */

/* @ipv4 in host byte order. Names and addresses must be unique: a
 * duplicate returns NULL with a critical warning. */
MlHost       *ml_network_add_host        (MlNetwork *self, const char *name,
                                          guint32 ipv4, MlRole roles);
MlHost       *ml_network_find_host       (MlNetwork *self, const char *name);     /* borrowed */
MlHost       *ml_network_find_host_by_ip (MlNetwork *self, guint32 ipv4);        /* borrowed */
GPtrArray    *ml_network_get_hosts       (MlNetwork *self);  /* borrowed, MlHost*, in order added */
GPtrArray    *ml_network_get_links       (MlNetwork *self);  /* borrowed, MlLink*, in order added */
/* @config NULL: ml_link_config_init's defaults. */
MlLink       *ml_network_add_link        (MlNetwork *self, MlHost *a, MlHost *b,
                                          const MlLinkConfig *config);
MlLink       *ml_network_find_link       (MlNetwork *self, const char *a, const char *b); /* either order */

/* Static shortest paths for every pair of hosts: fewest hops, ties broken
 * by lower total latency, then by the order hosts were added. Only hosts
 * with ML_ROLE_ROUTER forward. Adding hosts or links later recomputes the
 * routes on the next send. An unreachable pair is not an error here (a
 * packet sent to it is dropped with an ML_TRACE_NOTE), so this returns
 * TRUE; @error is kept for checks a topology may need later. */
gboolean      ml_network_compute_routes  (MlNetwork *self, GError **error);
/* The path a packet from @from to @dst_ip takes, @from first and the
 * destination last (MlHost*, borrowed; caller frees the array), or NULL
 * when unreachable. */
GPtrArray    *ml_network_dup_route       (MlNetwork *self, MlHost *from, guint32 dst_ip);

/* Tags TCP frames to or from @port with an application protocol in the
 * trace (ML_PROTO_SMTP for 25); ML_PROTO_NONE removes the tag. */
void          ml_network_set_port_protocol (MlNetwork *self, guint16 port, MlProtocol protocol);
MlProtocol    ml_network_get_port_protocol (MlNetwork *self, guint16 port);

const char   *ml_link_get_name           (MlLink *self);   /* "a--b" */
MlHost       *ml_link_get_a              (MlLink *self);
MlHost       *ml_link_get_b              (MlLink *self);
/* A down link drops every frame (traced as dropped). */
void          ml_link_set_up             (MlLink *self, gboolean up);
gboolean      ml_link_get_up             (MlLink *self);
void          ml_link_set_loss           (MlLink *self, double loss);
const MlLinkConfig *ml_link_get_config   (MlLink *self);

const char   *ml_host_get_name           (MlHost *self);
/* A router that overwrites "STARTTLS" with "XXXXXXXX" in the TCP payloads
 * it forwards on ports 25 and 587, as some firewalls' "SMTP fixup" did:
 * the downgrade attack of RFC 3207 6. Each rewrite is a tls.stripped note. */
void          ml_host_set_strip_starttls (MlHost *self, gboolean strip);
guint32       ml_host_get_ipv4           (MlHost *self);
/* 6 bytes, locally administered (02:…), from the host's index. */
const guint8 *ml_host_get_mac            (MlHost *self);
MlRole        ml_host_get_roles          (MlHost *self);
MlNetwork    *ml_host_get_network        (MlHost *self);
guint         ml_host_get_index          (MlHost *self);   /* 0, 1, … in order added */
/* Next free ephemeral port, 49152–65535, in a deterministic sequence. */
guint16       ml_host_allocate_port      (MlHost *self);

/* UDP (RFC 768). Callbacks run from the scheduler when a datagram
 * arrives; @payload is borrowed for the call. */
typedef void (*MlUdpReceiveFunc) (MlHost       *host,
                                  guint32       src_ip,
                                  guint16       src_port,
                                  guint16       dst_port,
                                  const guint8 *payload,
                                  gsize         len,
                                  gpointer      user_data);
/* FALSE if @port is already bound. */
gboolean      ml_host_udp_bind           (MlHost *self, guint16 port,
                                          MlUdpReceiveFunc func, gpointer user_data,
                                          GDestroyNotify destroy);
void          ml_host_udp_unbind         (MlHost *self, guint16 port);
/* @summary and @explain_key go into the frame's trace event ("DNS query
 * MX b.example", "dns.query"); NULL gives "49152 → 53 Len=30" and "udp". */
void          ml_host_udp_send           (MlHost *self, guint16 src_port,
                                          guint32 dst_ip, guint16 dst_port,
                                          const guint8 *payload, gsize len,
                                          MlProtocol protocol, const char *summary,
                                          const char *explain_key);

/* TCP (RFC 9293); implemented in tcp.c. */
typedef void (*MlTcpAcceptFunc) (MlHost   *host,
                                 MlStream *stream, /* borrowed: g_object_ref it to keep it */
                                 gpointer  user_data);
gboolean      ml_host_tcp_listen         (MlHost *self, guint16 port,
                                          MlTcpAcceptFunc func, gpointer user_data,
                                          GDestroyNotify destroy, GError **error);
void          ml_host_tcp_unlisten       (MlHost *self, guint16 port);
/* A new client stream (transfer full). The SYN goes out from a scheduled
 * event, so the caller can set callbacks first; the connected callback, or
 * the closed one with G_IO_ERROR_CONNECTION_REFUSED (RST),
 * G_IO_ERROR_HOST_UNREACHABLE (no route) or G_IO_ERROR_TIMED_OUT, follows. */
MlStream     *ml_host_tcp_connect        (MlHost *self, guint32 dst_ip, guint16 dst_port);
/* Connections this host still keeps state for, TIME_WAIT included. */
guint         ml_host_tcp_get_n_connections (MlHost *self);

/* "10.0.0.1" (caller frees). */
char         *ml_ipv4_to_string          (guint32 ip);
/* Strict dotted quad: four decimal numbers 0–255, no leading zeros. */
gboolean      ml_ipv4_parse              (const char *text, guint32 *ip_out);

G_END_DECLS

/* frame.h — Ethernet II / IPv4 / TCP and UDP frames, built and parsed.
 *
 * Every frame the simulation puts on a link is built here, byte for byte,
 * with its checksums computed when it is sent, so a capture writer only
 * copies bytes and Wireshark dissects them without a warning. Parsing never
 * trusts its input: a short or inconsistent frame is a GError, not a crash.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ML_MAC_LEN            6
#define ML_ETH_HEADER_LEN     14    /* dst, src, EtherType (Ethernet II) */
/* IEEE 802.3: 64 bytes minimum including the 4-byte FCS, which we leave
 * out as capture files usually do; shorter frames are padded with zeros. */
#define ML_ETH_MIN_FRAME      60
#define ML_ETHERTYPE_IPV4     0x0800
#define ML_IPV4_HEADER_LEN    20    /* RFC 791 3.1: IHL 5, no options */
#define ML_IPV4_DEFAULT_TTL   64    /* RFC 1700 / RFC 1122 3.2.1.7 */
#define ML_IPV4_FLAG_DF       0x4000
#define ML_IP_PROTO_TCP       6
#define ML_IP_PROTO_UDP       17
#define ML_TCP_HEADER_LEN     20    /* RFC 9293 3.1: data offset 5 */
#define ML_TCP_MAX_OPTIONS    40    /* RFC 9293 3.1: data offset is 4 bits of words */
#define ML_UDP_HEADER_LEN     8     /* RFC 768 */
#define ML_IPV4_MAX_PACKET    65535 /* RFC 791 3.1: Total Length is 16 bits */

/* RFC 9293 3.1 control bits. */
typedef enum {
  ML_TCP_FIN = 0x01,
  ML_TCP_SYN = 0x02,
  ML_TCP_RST = 0x04,
  ML_TCP_PSH = 0x08,
  ML_TCP_ACK = 0x10,
  ML_TCP_URG = 0x20,
} MlTcpFlags;

/* What the IPv4 and Ethernet headers of one frame say. */
typedef struct {
  guint8   dst_mac[ML_MAC_LEN];
  guint8   src_mac[ML_MAC_LEN];
  guint32  src_ip;          /* host byte order */
  guint32  dst_ip;          /* host byte order */
  guint16  ip_id;
  guint8   ttl;
  gboolean dont_fragment;
} MlFrameIp;

typedef struct {
  guint16 src_port;
  guint16 dst_port;
  guint32 seq;
  guint32 ack;
  guint8  flags;            /* MlTcpFlags */
  guint16 window;
  guint16 mss;              /* MSS option value; 0: no option (RFC 9293 3.7.1) */
} MlTcpHeader;

/* A parsed frame. Pointers point into the buffer given to ml_frame_parse. */
typedef struct {
  MlFrameIp     ip;
  guint8        ip_protocol;      /* ML_IP_PROTO_TCP or ML_IP_PROTO_UDP */
  guint16       ip_total_length;
  gboolean      ip_checksum_ok;
  gboolean      transport_checksum_ok;
  MlTcpHeader   tcp;              /* ML_IP_PROTO_TCP */
  guint16       src_port;         /* TCP or UDP */
  guint16       dst_port;
  const guint8 *payload;
  gsize         payload_len;
} MlFrameInfo;

#define ML_FRAME_ERROR (ml_frame_error_quark ())
typedef enum {
  ML_FRAME_ERROR_TRUNCATED,    /* shorter than its headers say */
  ML_FRAME_ERROR_UNSUPPORTED,  /* not IPv4, or not TCP/UDP, or IP options */
  ML_FRAME_ERROR_MALFORMED,    /* a length or offset that cannot be */
} MlFrameError;
GQuark ml_frame_error_quark (void);

/* RFC 1071 Internet checksum: the ones' complement of the ones' complement
 * sum of 16-bit big-endian words. Partial sums let a caller add a
 * pseudo-header; an odd-length chunk is only allowed last. */
guint32  ml_inet_checksum_add    (guint32 sum, const guint8 *data, gsize len);
guint16  ml_inet_checksum_finish (guint32 sum);
guint16  ml_inet_checksum        (const guint8 *data, gsize len);

/* Whole Ethernet frames (transfer full), padded to ML_ETH_MIN_FRAME. */
GBytes  *ml_frame_build_tcp (const MlFrameIp   *ip,
                             const MlTcpHeader *tcp,
                             const guint8      *payload,
                             gsize              len);
GBytes  *ml_frame_build_udp (const MlFrameIp *ip,
                             guint16          src_port,
                             guint16          dst_port,
                             const guint8    *payload,
                             gsize            len);

/* The IPv4 Total Length of an Ethernet frame (what an MTU limits), or 0
 * when it is no IPv4 frame. */
gsize    ml_frame_ip_packet_len (const guint8 *frame, gsize frame_len);

/* Parses @data (an Ethernet II frame). Checksums are verified and reported
 * in @info, not treated as errors: a receiver decides what to do. */
gboolean ml_frame_parse (const guint8 *data,
                         gsize         len,
                         MlFrameInfo  *info,
                         GError      **error);

/* What a router does to a packet it forwards (RFC 791 3.2, RFC 1812
 * 5.3.1): new MAC addresses, TTL − 1, header checksum recomputed.
 * Returns a new frame (transfer full), or NULL when the TTL runs out or the
 * frame is not IPv4. */
GBytes  *ml_frame_forward (GBytes       *frame,
                           const guint8 *src_mac,
                           const guint8 *dst_mac);

G_END_DECLS

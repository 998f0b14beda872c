/* packet-decode.h — one captured record, link layer to TCP, never trusted.
 *
 * Link types (libpcap DLT_ values): Ethernet II with up to
 * ML_PACKET_MAX_VLAN_TAGS 802.1Q/802.1ad tags, Linux cooked v1 and v2,
 * raw IP (DLT_RAW, DLT_IPV4, DLT_IPV6), BSD loopback (DLT_NULL in the
 * capturing host's byte order, DLT_LOOP in network order). Then IPv4
 * (RFC 791 3.1) or IPv6 (RFC 8200 3, extension headers walked as RFC 8200
 * 4 says), then TCP (RFC 9293 3.1). A short or inconsistent header is
 * reported in @error_text, never read past.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 802.1ad allows a double tag (Q-in-Q); a few more are tolerated. */
#define ML_PACKET_MAX_VLAN_TAGS   4
/* IPv6 extension headers walked before giving up (RFC 8200 4.1 lists the
 * order of at most 8 kinds; each should appear once, Destination Options
 * at most twice). */
#define ML_PACKET_MAX_IPV6_EXT    8
#define ML_PACKET_ADDR_LEN        16

typedef enum {
  ML_PACKET_NOT_IP = 0,   /* ARP, another EtherType, an unknown link type */
  ML_PACKET_IP_OTHER,     /* IP but not TCP (UDP, ICMP) or a fragment */
  ML_PACKET_TCP,
  ML_PACKET_MALFORMED,    /* a header that cannot be: see error_text */
} MlPacketKind;

typedef struct {
  MlPacketKind   kind;
  const char    *error_text;     /* static; MALFORMED and some NOT_IP */
  int            family;         /* 4 or 6; 0 when not IP */
  guint8         src[ML_PACKET_ADDR_LEN];  /* IPv4 in the first 4 bytes */
  guint8         dst[ML_PACKET_ADDR_LEN];
  guint8         ip_protocol;    /* upper-layer protocol number */
  gboolean       fragment;       /* an IP fragment (not reassembled) */
  gsize          ip_offset;      /* where the IP header starts in the record */
  gsize          ip_len;         /* IP packet bytes present in the record */
  /* TCP */
  guint16        src_port;
  guint16        dst_port;
  guint32        seq;
  guint32        ack;
  guint8         flags;          /* MlTcpFlags (sim/net/frame.h) */
  guint16        window;
  guint16        mss;            /* 0 when no MSS option */
  const guint8  *payload;        /* into the record */
  gsize          payload_len;    /* captured payload bytes */
  gsize          payload_wire_len; /* what the IP length says (> payload_len
                                      when the snap length cut the record) */
} MlPacket;

/* Decodes @data (@caplen bytes) of link type @link_type into @packet. */
void        ml_packet_decode          (int link_type, const guint8 *data,
                                       gsize caplen, MlPacket *packet);
/* "127.0.0.1", "2001:db8::1". Caller frees. */
char       *ml_packet_dup_address     (int family, const guint8 *addr);
/* "LINUX_SLL2", "EN10MB", or "DLT_<n>". Borrowed, static, or in @buf. */
const char *ml_packet_link_type_name  (int link_type, char buf[32]);
/* Whether ml_packet_decode knows the link type. */
gboolean    ml_packet_link_type_known (int link_type);

G_END_DECLS

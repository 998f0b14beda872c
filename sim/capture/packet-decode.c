#define G_LOG_DOMAIN "ml-capture"

#include "capture/packet-decode.h"

#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <pcap/pcap.h>

#define ETH_HEADER_LEN    14
#define VLAN_TAG_LEN      4
#define SLL_HEADER_LEN    16   /* Linux cooked v1: protocol at offset 14 */
#define SLL2_HEADER_LEN   20   /* Linux cooked v2: protocol at offset 0 */
#define NULL_HEADER_LEN   4    /* BSD loopback: the address family */
#define ETHERTYPE_IPV4    0x0800
#define ETHERTYPE_IPV6    0x86DD
#define ETHERTYPE_8021Q   0x8100
#define ETHERTYPE_8021AD  0x88A8
#define ETHERTYPE_QINQ    0x9100   /* pre-standard double tagging */
#define IPV4_MIN_HEADER   20       /* RFC 791 3.1: IHL at least 5 */
#define IPV6_HEADER_LEN   40       /* RFC 8200 3 */
#define TCP_MIN_HEADER    20       /* RFC 9293 3.1: data offset at least 5 */
#define IP_PROTO_TCP      6

/* IPv6 extension headers (RFC 8200 4, RFC 4302 2 for AH). */
#define IPV6_HOP_BY_HOP   0
#define IPV6_ROUTING      43
#define IPV6_FRAGMENT     44
#define IPV6_AH           51
#define IPV6_DEST_OPTS    60
#define IPV6_MOBILITY     135

/* BSD AF_INET6 differs per system; a loopback capture from any of them
 * says one of these (the values libpcap's own DLT_NULL code accepts). */
#define BSD_AF_INET       2
#define BSD_AF_INET6_BSD  24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN  30
#define LINUX_AF_INET6    10

static guint16
get16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static guint32
get32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
malformed (MlPacket *packet, const char *why)
{
  packet->kind = ML_PACKET_MALFORMED;
  packet->error_text = why;
}

static void
decode_tcp (const guint8 *p, gsize len, gsize wire_len, MlPacket *packet)
{
  gsize header;

  if (len < TCP_MIN_HEADER)
    {
      malformed (packet, "TCP header cut short");
      return;
    }
  header = (gsize) (p[12] >> 4) * 4;
  if (header < TCP_MIN_HEADER)
    {
      malformed (packet, "TCP data offset below 5 words (RFC 9293 3.1)");
      return;
    }
  if (header > len)
    {
      malformed (packet, "TCP options cut short");
      return;
    }
  packet->kind = ML_PACKET_TCP;
  packet->src_port = get16 (p);
  packet->dst_port = get16 (p + 2);
  packet->seq = get32 (p + 4);
  packet->ack = get32 (p + 8);
  packet->flags = p[13] & 0x3f;
  packet->window = get16 (p + 14);
  /* RFC 9293 3.2: kind 0 ends the list, 1 is a pad, others carry a length. */
  for (gsize i = TCP_MIN_HEADER; i < header;)
    {
      guint8 kind = p[i];
      if (kind == 0)
        break;
      if (kind == 1)
        {
          i++;
          continue;
        }
      if (i + 1 >= header || p[i + 1] < 2 || i + p[i + 1] > header)
        break;
      if (kind == 2 && p[i + 1] == 4)
        packet->mss = get16 (p + i + 2);
      i += p[i + 1];
    }
  packet->payload = p + header;
  packet->payload_len = len - header;
  packet->payload_wire_len = wire_len >= header ? wire_len - header : 0;
}

static void
decode_ipv4 (const guint8 *p, gsize len, MlPacket *packet)
{
  gsize ihl, total;
  guint16 frag;

  if (len < IPV4_MIN_HEADER)
    {
      malformed (packet, "IPv4 header cut short");
      return;
    }
  ihl = (gsize) (p[0] & 0x0f) * 4;
  total = get16 (p + 2);
  if (ihl < IPV4_MIN_HEADER || ihl > len)
    {
      malformed (packet, "IPv4 header length impossible (RFC 791 3.1)");
      return;
    }
  if (total < ihl)
    {
      malformed (packet, "IPv4 total length shorter than its header");
      return;
    }
  packet->family = 4;
  memcpy (packet->src, p + 12, 4);
  memcpy (packet->dst, p + 16, 4);
  packet->ip_protocol = p[9];
  packet->kind = ML_PACKET_IP_OTHER;
  /* Ethernet pads short frames: the IP length, not the record, ends it. */
  if (len > total)
    len = total;
  packet->ip_len = len;
  frag = get16 (p + 6);
  if ((frag & 0x2000) || (frag & 0x1fff))
    {
      packet->fragment = TRUE;
      return;
    }
  if (packet->ip_protocol == IP_PROTO_TCP)
    decode_tcp (p + ihl, len - ihl, total - ihl, packet);
}

static void
decode_ipv6 (const guint8 *p, gsize len, MlPacket *packet)
{
  gsize off = IPV6_HEADER_LEN, end;
  guint8 next;

  if (len < IPV6_HEADER_LEN)
    {
      malformed (packet, "IPv6 header cut short");
      return;
    }
  packet->family = 6;
  memcpy (packet->src, p + 8, 16);
  memcpy (packet->dst, p + 24, 16);
  packet->kind = ML_PACKET_IP_OTHER;
  end = IPV6_HEADER_LEN + get16 (p + 4);
  if (len > end)
    len = end;
  packet->ip_len = len;
  next = p[6];
  for (guint n = 0;; n++)
    {
      gsize ext_len;

      if (next != IPV6_HOP_BY_HOP && next != IPV6_ROUTING && next != IPV6_FRAGMENT
          && next != IPV6_AH && next != IPV6_DEST_OPTS && next != IPV6_MOBILITY)
        break;
      if (n >= ML_PACKET_MAX_IPV6_EXT)
        {
          malformed (packet, "too many IPv6 extension headers");
          return;
        }
      if (off + 8 > len)
        {
          malformed (packet, "IPv6 extension header cut short");
          return;
        }
      if (next == IPV6_FRAGMENT)
        {
          /* RFC 8200 4.5: offset and M flag; an atomic fragment (both 0)
           * is a whole packet. */
          guint16 fo = get16 (p + off + 2);
          if ((fo & 0xfff8) || (fo & 1))
            {
              packet->ip_protocol = p[off];
              packet->fragment = TRUE;
              return;
            }
          ext_len = 8;
        }
      else if (next == IPV6_AH)
        ext_len = ((gsize) p[off + 1] + 2) * 4;   /* RFC 4302 2.2 */
      else
        ext_len = ((gsize) p[off + 1] + 1) * 8;   /* RFC 8200 4.3 */
      next = p[off];
      off += ext_len;
      if (off > len)
        {
          malformed (packet, "IPv6 extension header longer than the packet");
          return;
        }
    }
  packet->ip_protocol = next;
  if (next == IP_PROTO_TCP)
    decode_tcp (p + off, len - off, end >= off ? end - off : 0, packet);
}

static void
decode_ip_at (const guint8 *data, gsize caplen, gsize off, int version_hint,
              MlPacket *packet)
{
  int version;

  if (off >= caplen)
    {
      malformed (packet, "no IP header after the link header");
      return;
    }
  packet->ip_offset = off;
  version = data[off] >> 4;
  if (version_hint && version != version_hint)
    {
      malformed (packet, "IP version disagrees with the link header");
      return;
    }
  if (version == 4)
    decode_ipv4 (data + off, caplen - off, packet);
  else if (version == 6)
    decode_ipv6 (data + off, caplen - off, packet);
  else
    malformed (packet, "IP version is neither 4 nor 6");
}

static void
decode_ethertype (const guint8 *data, gsize caplen, gsize off, guint16 type,
                  MlPacket *packet)
{
  if (type == ETHERTYPE_IPV4)
    decode_ip_at (data, caplen, off, 4, packet);
  else if (type == ETHERTYPE_IPV6)
    decode_ip_at (data, caplen, off, 6, packet);
  else
    {
      packet->kind = ML_PACKET_NOT_IP;
      packet->error_text = "not IP";
    }
}

static void
decode_ethernet (const guint8 *data, gsize caplen, MlPacket *packet)
{
  gsize off = ETH_HEADER_LEN;
  guint16 type;

  if (caplen < ETH_HEADER_LEN)
    {
      malformed (packet, "Ethernet header cut short");
      return;
    }
  type = get16 (data + 12);
  for (guint tags = 0;
       type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD || type == ETHERTYPE_QINQ;
       tags++)
    {
      if (tags >= ML_PACKET_MAX_VLAN_TAGS)
        {
          malformed (packet, "too many VLAN tags");
          return;
        }
      if (off + VLAN_TAG_LEN > caplen)
        {
          malformed (packet, "VLAN tag cut short");
          return;
        }
      type = get16 (data + off + 2);
      off += VLAN_TAG_LEN;
    }
  decode_ethertype (data, caplen, off, type, packet);
}

static void
decode_null (const guint8 *data, gsize caplen, gboolean network_order, MlPacket *packet)
{
  guint32 family;

  if (caplen < NULL_HEADER_LEN)
    {
      malformed (packet, "loopback header cut short");
      return;
    }
  family = get32 (data);
  /* DLT_NULL is in the byte order of the host that captured: accept both. */
  if (!network_order && family > 0xffff)
    family = GUINT32_SWAP_LE_BE (family);
  switch (family)
    {
    case BSD_AF_INET:
      decode_ip_at (data, caplen, NULL_HEADER_LEN, 4, packet);
      break;
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
    case LINUX_AF_INET6:
      decode_ip_at (data, caplen, NULL_HEADER_LEN, 6, packet);
      break;
    default:
      packet->kind = ML_PACKET_NOT_IP;
      packet->error_text = "loopback family is not IP";
    }
}

gboolean
ml_packet_link_type_known (int link_type)
{
  switch (link_type)
    {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP:
      return TRUE;
    default:
      return FALSE;
    }
}

void
ml_packet_decode (int link_type, const guint8 *data, gsize caplen, MlPacket *packet)
{
  memset (packet, 0, sizeof *packet);
  switch (link_type)
    {
    case DLT_EN10MB:
      decode_ethernet (data, caplen, packet);
      break;
    case DLT_LINUX_SLL:
      if (caplen < SLL_HEADER_LEN)
        malformed (packet, "Linux cooked header cut short");
      else
        decode_ethertype (data, caplen, SLL_HEADER_LEN, get16 (data + 14), packet);
      break;
    case DLT_LINUX_SLL2:
      if (caplen < SLL2_HEADER_LEN)
        malformed (packet, "Linux cooked v2 header cut short");
      else
        decode_ethertype (data, caplen, SLL2_HEADER_LEN, get16 (data), packet);
      break;
    case DLT_RAW:
      decode_ip_at (data, caplen, 0, 0, packet);
      break;
    case DLT_IPV4:
      decode_ip_at (data, caplen, 0, 4, packet);
      break;
    case DLT_IPV6:
      decode_ip_at (data, caplen, 0, 6, packet);
      break;
    case DLT_NULL:
      decode_null (data, caplen, FALSE, packet);
      break;
    case DLT_LOOP:
      decode_null (data, caplen, TRUE, packet);
      break;
    default:
      packet->kind = ML_PACKET_NOT_IP;
      packet->error_text = "link type not dissected";
    }
}

char *
ml_packet_dup_address (int family, const guint8 *addr)
{
  char buf[INET6_ADDRSTRLEN];

  if (inet_ntop (family == 6 ? AF_INET6 : AF_INET, addr, buf, sizeof buf) == NULL)
    return g_strdup ("?");
  return g_strdup (buf);
}

const char *
ml_packet_link_type_name (int link_type, char buf[32])
{
  switch (link_type)
    {
    case DLT_EN10MB: return "EN10MB";
    case DLT_LINUX_SLL: return "LINUX_SLL";
    case DLT_LINUX_SLL2: return "LINUX_SLL2";
    case DLT_RAW: return "RAW";
    case DLT_IPV4: return "IPV4";
    case DLT_IPV6: return "IPV6";
    case DLT_NULL: return "NULL";
    case DLT_LOOP: return "LOOP";
    default:
      g_snprintf (buf, 32, "DLT_%d", link_type);
      return buf;
    }
}

/* Frames are written with explicit big-endian stores rather than packed
 * structs: the byte layout is then visible in the code next to the RFC
 * figure it follows, and no compiler padding can sneak in. */
#define G_LOG_DOMAIN "ml-frame"

#include <string.h>

#include "net/frame.h"

#define IP_OFFSET    ML_ETH_HEADER_LEN
#define L4_OFFSET    (ML_ETH_HEADER_LEN + ML_IPV4_HEADER_LEN)
/* RFC 9293 3.2: kind 2, length 4, 16-bit value. */
#define TCP_OPT_EOL  0
#define TCP_OPT_NOP  1
#define TCP_OPT_MSS  2
#define TCP_OPT_MSS_LEN 4

G_DEFINE_QUARK (ml-frame-error-quark, ml_frame_error)

static inline void
put16 (guint8 *p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

static inline void
put32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}

static inline guint16
get16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
get32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

guint32
ml_inet_checksum_add (guint32 sum, const guint8 *data, gsize len)
{
  gsize i;

  /* RFC 1071 2(B): the sum can be accumulated in a wider register and the
   * carries folded at the end; 32 bits hold 65535 words without overflow
   * after each fold below. */
  for (i = 0; i + 1 < len; i += 2)
    {
      sum += get16 (data + i);
      if (sum & 0x80000000u)
        sum = (sum & 0xffff) + (sum >> 16);
    }
  /* RFC 1071 4.1: an odd trailing byte is padded with a zero octet. */
  if (i < len)
    sum += (guint32) data[i] << 8;
  return sum;
}

guint16
ml_inet_checksum_finish (guint32 sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (guint16) ~sum;
}

guint16
ml_inet_checksum (const guint8 *data, gsize len)
{
  return ml_inet_checksum_finish (ml_inet_checksum_add (0, data, len));
}

/* RFC 9293 3.1 (TCP) and RFC 768 (UDP): the checksum also covers a
 * pseudo-header of source, destination, zero, protocol and length, so a
 * segment delivered to the wrong address fails it. */
static guint16
transport_checksum (guint32 src_ip, guint32 dst_ip, guint8 protocol,
                    const guint8 *segment, gsize len)
{
  guint8 pseudo[12];
  guint32 sum;

  put32 (pseudo, src_ip);
  put32 (pseudo + 4, dst_ip);
  pseudo[8] = 0;
  pseudo[9] = protocol;
  put16 (pseudo + 10, (guint16) len);
  sum = ml_inet_checksum_add (0, pseudo, sizeof pseudo);
  sum = ml_inet_checksum_add (sum, segment, len);
  return ml_inet_checksum_finish (sum);
}

/* Writes the Ethernet and IPv4 headers into @frame; the IPv4 checksum is
 * computed over the finished header. */
static void
write_eth_ip (guint8 *frame, const MlFrameIp *ip, guint8 protocol, gsize ip_len)
{
  guint8 *h = frame + IP_OFFSET;

  memcpy (frame, ip->dst_mac, ML_MAC_LEN);
  memcpy (frame + ML_MAC_LEN, ip->src_mac, ML_MAC_LEN);
  put16 (frame + 2 * ML_MAC_LEN, ML_ETHERTYPE_IPV4);

  /* RFC 791 3.1: version 4, IHL 5 words, type of service 0. */
  h[0] = 0x45;
  h[1] = 0;
  put16 (h + 2, (guint16) ip_len);
  put16 (h + 4, ip->ip_id);
  put16 (h + 6, ip->dont_fragment ? ML_IPV4_FLAG_DF : 0);
  h[8] = ip->ttl;
  h[9] = protocol;
  put16 (h + 10, 0);
  put32 (h + 12, ip->src_ip);
  put32 (h + 16, ip->dst_ip);
  put16 (h + 10, ml_inet_checksum (h, ML_IPV4_HEADER_LEN));
}

GBytes *
ml_frame_build_tcp (const MlFrameIp   *ip,
                    const MlTcpHeader *tcp,
                    const guint8      *payload,
                    gsize              len)
{
  guint8 options[ML_TCP_MAX_OPTIONS];
  gsize opt_len = 0, tcp_len, ip_len, frame_len;
  guint8 *frame, *t;

  g_return_val_if_fail (ip != NULL && tcp != NULL, NULL);
  g_return_val_if_fail (len == 0 || payload != NULL, NULL);

  if (tcp->mss != 0)
    {
      options[opt_len++] = TCP_OPT_MSS;
      options[opt_len++] = TCP_OPT_MSS_LEN;
      put16 (options + opt_len, tcp->mss);
      opt_len += 2;
    }
  /* RFC 9293 3.1: the header ends on a 32-bit boundary; the padding after
   * the last option is End of Option List (zeros). */
  while (opt_len % 4 != 0)
    options[opt_len++] = TCP_OPT_EOL;

  tcp_len = ML_TCP_HEADER_LEN + opt_len + len;
  ip_len = ML_IPV4_HEADER_LEN + tcp_len;
  g_return_val_if_fail (ip_len <= ML_IPV4_MAX_PACKET, NULL);
  frame_len = ML_ETH_HEADER_LEN + ip_len;
  frame = g_malloc0 (MAX (frame_len, (gsize) ML_ETH_MIN_FRAME));

  write_eth_ip (frame, ip, ML_IP_PROTO_TCP, ip_len);

  t = frame + L4_OFFSET;
  put16 (t, tcp->src_port);
  put16 (t + 2, tcp->dst_port);
  put32 (t + 4, tcp->seq);
  put32 (t + 8, tcp->ack);
  t[12] = (guint8) (((ML_TCP_HEADER_LEN + opt_len) / 4) << 4);
  t[13] = tcp->flags;
  put16 (t + 14, tcp->window);
  put16 (t + 16, 0);
  put16 (t + 18, 0);                 /* urgent pointer: URG is never sent */
  memcpy (t + ML_TCP_HEADER_LEN, options, opt_len);
  if (len > 0)
    memcpy (t + ML_TCP_HEADER_LEN + opt_len, payload, len);
  put16 (t + 16, transport_checksum (ip->src_ip, ip->dst_ip, ML_IP_PROTO_TCP, t, tcp_len));

  return g_bytes_new_take (frame, MAX (frame_len, (gsize) ML_ETH_MIN_FRAME));
}

GBytes *
ml_frame_build_udp (const MlFrameIp *ip,
                    guint16          src_port,
                    guint16          dst_port,
                    const guint8    *payload,
                    gsize            len)
{
  gsize udp_len = ML_UDP_HEADER_LEN + len;
  gsize ip_len = ML_IPV4_HEADER_LEN + udp_len;
  gsize frame_len = ML_ETH_HEADER_LEN + ip_len;
  guint8 *frame, *u;
  guint16 sum;

  g_return_val_if_fail (ip != NULL, NULL);
  g_return_val_if_fail (len == 0 || payload != NULL, NULL);
  g_return_val_if_fail (ip_len <= ML_IPV4_MAX_PACKET, NULL);

  frame = g_malloc0 (MAX (frame_len, (gsize) ML_ETH_MIN_FRAME));
  write_eth_ip (frame, ip, ML_IP_PROTO_UDP, ip_len);

  u = frame + L4_OFFSET;
  put16 (u, src_port);
  put16 (u + 2, dst_port);
  put16 (u + 4, (guint16) udp_len);
  put16 (u + 6, 0);
  if (len > 0)
    memcpy (u + ML_UDP_HEADER_LEN, payload, len);
  sum = transport_checksum (ip->src_ip, ip->dst_ip, ML_IP_PROTO_UDP, u, udp_len);
  /* RFC 768: a computed zero is sent as all ones, since zero on the wire
   * means "no checksum". */
  put16 (u + 6, sum == 0 ? 0xffff : sum);

  return g_bytes_new_take (frame, MAX (frame_len, (gsize) ML_ETH_MIN_FRAME));
}

gsize
ml_frame_ip_packet_len (const guint8 *frame, gsize frame_len)
{
  if (frame_len < ML_ETH_HEADER_LEN + ML_IPV4_HEADER_LEN
      || get16 (frame + 2 * ML_MAC_LEN) != ML_ETHERTYPE_IPV4)
    return 0;
  return get16 (frame + IP_OFFSET + 2);
}

/* RFC 9293 3.1/3.2: options run to the data offset; EOL ends them, NOP is
 * one byte, every other kind carries a length of at least 2. A malformed
 * list is ignored after the last good option, as receivers do. */
static guint16
parse_tcp_mss (const guint8 *opt, gsize len)
{
  gsize i = 0;

  while (i < len)
    {
      guint8 kind = opt[i];
      guint8 olen;

      if (kind == TCP_OPT_EOL)
        break;
      if (kind == TCP_OPT_NOP)
        {
          i++;
          continue;
        }
      if (i + 1 >= len)
        break;
      olen = opt[i + 1];
      if (olen < 2 || i + olen > len)
        break;
      if (kind == TCP_OPT_MSS && olen == TCP_OPT_MSS_LEN)
        return get16 (opt + i + 2);
      i += olen;
    }
  return 0;
}

gboolean
ml_frame_parse (const guint8 *data,
                gsize         len,
                MlFrameInfo  *info,
                GError      **error)
{
  const guint8 *h, *l4;
  guint ihl;
  gsize ip_len, l4_len;

  g_return_val_if_fail (info != NULL, FALSE);
  memset (info, 0, sizeof *info);

  if (data == NULL || len < ML_ETH_HEADER_LEN + ML_IPV4_HEADER_LEN)
    {
      g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_TRUNCATED,
                   "frame of %" G_GSIZE_FORMAT " bytes is too short for Ethernet and IPv4", len);
      return FALSE;
    }
  if (get16 (data + 2 * ML_MAC_LEN) != ML_ETHERTYPE_IPV4)
    {
      g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_UNSUPPORTED,
                   "EtherType 0x%04x is not IPv4", get16 (data + 2 * ML_MAC_LEN));
      return FALSE;
    }
  memcpy (info->ip.dst_mac, data, ML_MAC_LEN);
  memcpy (info->ip.src_mac, data + ML_MAC_LEN, ML_MAC_LEN);

  h = data + IP_OFFSET;
  ihl = (h[0] & 0x0f) * 4;
  if ((h[0] >> 4) != 4 || ihl < ML_IPV4_HEADER_LEN)
    {
      g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_MALFORMED,
                   "IP version %u, header length %u", h[0] >> 4, ihl);
      return FALSE;
    }
  if (ihl != ML_IPV4_HEADER_LEN)
    {
      g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_UNSUPPORTED,
                   "IPv4 options are not supported");
      return FALSE;
    }
  ip_len = get16 (h + 2);
  /* Ethernet padding may follow the packet; the IPv4 Total Length says
   * where it really ends (RFC 791 3.1). */
  if (ip_len < ihl || ip_len > len - IP_OFFSET)
    {
      g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_TRUNCATED,
                   "IPv4 total length %" G_GSIZE_FORMAT " does not fit the frame", ip_len);
      return FALSE;
    }
  if ((get16 (h + 6) & 0x3fff) != 0)
    {
      g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_UNSUPPORTED,
                   "IPv4 fragments are not supported");
      return FALSE;
    }
  info->ip_total_length = (guint16) ip_len;
  info->ip.ip_id = get16 (h + 4);
  info->ip.dont_fragment = (get16 (h + 6) & ML_IPV4_FLAG_DF) != 0;
  info->ip.ttl = h[8];
  info->ip_protocol = h[9];
  info->ip.src_ip = get32 (h + 12);
  info->ip.dst_ip = get32 (h + 16);
  info->ip_checksum_ok = ml_inet_checksum (h, ihl) == 0;

  l4 = h + ihl;
  l4_len = ip_len - ihl;

  if (info->ip_protocol == ML_IP_PROTO_TCP)
    {
      guint off;

      if (l4_len < ML_TCP_HEADER_LEN)
        {
          g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_TRUNCATED,
                       "TCP segment of %" G_GSIZE_FORMAT " bytes", l4_len);
          return FALSE;
        }
      off = (l4[12] >> 4) * 4;
      if (off < ML_TCP_HEADER_LEN || off > l4_len)
        {
          g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_MALFORMED,
                       "TCP data offset %u in a %" G_GSIZE_FORMAT "-byte segment", off, l4_len);
          return FALSE;
        }
      info->tcp.src_port = info->src_port = get16 (l4);
      info->tcp.dst_port = info->dst_port = get16 (l4 + 2);
      info->tcp.seq = get32 (l4 + 4);
      info->tcp.ack = get32 (l4 + 8);
      info->tcp.flags = l4[13] & 0x3f;
      info->tcp.window = get16 (l4 + 14);
      info->tcp.mss = parse_tcp_mss (l4 + ML_TCP_HEADER_LEN, off - ML_TCP_HEADER_LEN);
      info->payload = l4 + off;
      info->payload_len = l4_len - off;
      info->transport_checksum_ok =
        transport_checksum (info->ip.src_ip, info->ip.dst_ip, ML_IP_PROTO_TCP, l4, l4_len) == 0;
    }
  else if (info->ip_protocol == ML_IP_PROTO_UDP)
    {
      gsize udp_len;

      if (l4_len < ML_UDP_HEADER_LEN)
        {
          g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_TRUNCATED,
                       "UDP datagram of %" G_GSIZE_FORMAT " bytes", l4_len);
          return FALSE;
        }
      udp_len = get16 (l4 + 4);
      if (udp_len < ML_UDP_HEADER_LEN || udp_len > l4_len)
        {
          g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_MALFORMED,
                       "UDP length %" G_GSIZE_FORMAT " in a %" G_GSIZE_FORMAT "-byte packet",
                       udp_len, l4_len);
          return FALSE;
        }
      info->src_port = get16 (l4);
      info->dst_port = get16 (l4 + 2);
      info->payload = l4 + ML_UDP_HEADER_LEN;
      info->payload_len = udp_len - ML_UDP_HEADER_LEN;
      /* RFC 768: a zero checksum field means the sender computed none. */
      info->transport_checksum_ok = get16 (l4 + 6) == 0
        || transport_checksum (info->ip.src_ip, info->ip.dst_ip, ML_IP_PROTO_UDP, l4, udp_len) == 0;
    }
  else
    {
      g_set_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_UNSUPPORTED,
                   "IP protocol %u is neither TCP nor UDP", info->ip_protocol);
      return FALSE;
    }
  return TRUE;
}

GBytes *
ml_frame_forward (GBytes       *frame,
                  const guint8 *src_mac,
                  const guint8 *dst_mac)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (frame, &len);
  guint8 *copy, *h;

  if (ml_frame_ip_packet_len (data, len) == 0)
    return NULL;
  /* RFC 791 3.2 (Time to Live): a packet whose TTL reaches zero is
   * destroyed instead of forwarded. */
  if (data[IP_OFFSET + 8] <= 1)
    return NULL;

  copy = g_memdup2 (data, len);
  memcpy (copy, dst_mac, ML_MAC_LEN);
  memcpy (copy + ML_MAC_LEN, src_mac, ML_MAC_LEN);
  h = copy + IP_OFFSET;
  h[8]--;
  put16 (h + 10, 0);
  put16 (h + 10, ml_inet_checksum (h, (h[0] & 0x0f) * 4));
  return g_bytes_new_take (copy, len);
}

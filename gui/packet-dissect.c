#define G_LOG_DOMAIN "ml-packet-dissect"

#include "packet-dissect.h"
#include "net/frame.h"

#define ML_DNS_HEADER_LEN 12   /* RFC 1035 4.1.1 */

static guint16
get16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static char *
format_mac (const guint8 *mac)
{
  return g_strdup_printf ("%02x:%02x:%02x:%02x:%02x:%02x",
                          mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static char *
format_ip (guint32 ip)
{
  return g_strdup_printf ("%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

static void
add_ethernet (GListStore *roots, const guint8 *data, gsize len)
{
  g_autofree char *dst = format_mac (data);
  g_autofree char *src = format_mac (data + 6);
  g_autoptr(MlPacketField) eth = NULL;
  g_autofree char *title = g_strdup_printf ("Ethernet II, %s → %s", src, dst);

  eth = ml_packet_field_new (title, 0, ML_ETH_HEADER_LEN);
  ml_packet_field_set_layer (eth, ML_PACKET_LAYER_LINK);
  ml_packet_field_add_printf (eth, 0, 6, "Destination: %s", dst);
  ml_packet_field_add_printf (eth, 6, 6, "Source: %s", src);
  ml_packet_field_add_printf (eth, 12, 2, "Type: %s (0x%04x)",
                              get16 (data + 12) == ML_ETHERTYPE_IPV4 ? "IPv4" : "unknown",
                              get16 (data + 12));
  g_list_store_append (roots, eth);
}

static void
add_ipv4 (GListStore *roots, const guint8 *data, const MlFrameInfo *info, gsize ihl)
{
  const guint8 *ip = data + ML_ETH_HEADER_LEN;
  gsize o = ML_ETH_HEADER_LEN;
  g_autofree char *src = format_ip (info->ip.src_ip);
  g_autofree char *dst = format_ip (info->ip.dst_ip);
  g_autofree char *title = g_strdup_printf ("Internet Protocol Version 4, %s → %s", src, dst);
  g_autoptr(MlPacketField) layer = ml_packet_field_new (title, o, ihl);
  guint16 frag = get16 (ip + 6);

  ml_packet_field_set_layer (layer, ML_PACKET_LAYER_NETWORK);
  ml_packet_field_add_printf (layer, o, 1, "Version %u, header length %u bytes", ip[0] >> 4, (ip[0] & 0x0f) * 4u);
  ml_packet_field_add_printf (layer, o + 1, 1, "DSCP %u, ECN %u", ip[1] >> 2, ip[1] & 3u);
  ml_packet_field_add_printf (layer, o + 2, 2, "Total length: %u", info->ip_total_length);
  ml_packet_field_add_printf (layer, o + 4, 2, "Identification: 0x%04x (%u)", info->ip.ip_id, info->ip.ip_id);
  ml_packet_field_add_printf (layer, o + 6, 2, "Flags: %s, fragment offset %u",
                              info->ip.dont_fragment ? "Don't fragment" : "none", frag & 0x1fffu);
  ml_packet_field_add_printf (layer, o + 8, 1, "Time to live: %u", info->ip.ttl);
  ml_packet_field_add_printf (layer, o + 9, 1, "Protocol: %s (%u)",
                              info->ip_protocol == ML_IP_PROTO_TCP ? "TCP" : "UDP", info->ip_protocol);
  ml_packet_field_add_printf (layer, o + 10, 2, "Header checksum: 0x%04x [%s]", get16 (ip + 10),
                              info->ip_checksum_ok ? "correct" : "incorrect");
  ml_packet_field_add_printf (layer, o + 12, 4, "Source address: %s", src);
  ml_packet_field_add_printf (layer, o + 16, 4, "Destination address: %s", dst);
  g_list_store_append (roots, layer);
}

static char *
tcp_flag_names (guint8 flags)
{
  static const struct { guint8 bit; const char *name; } names[] = {
    { ML_TCP_SYN, "SYN" }, { ML_TCP_FIN, "FIN" }, { ML_TCP_RST, "RST" },
    { ML_TCP_PSH, "PSH" }, { ML_TCP_ACK, "ACK" }, { ML_TCP_URG, "URG" },
  };
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (flags & names[i].bit)
      g_string_append_printf (s, "%s%s", s->len ? ", " : "", names[i].name);
  if (s->len == 0)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

static void
add_tcp (GListStore *roots, const guint8 *data, const MlFrameInfo *info, gsize o, gsize thl)
{
  const guint8 *tcp = data + o;
  g_autofree char *flags = tcp_flag_names (info->tcp.flags);
  g_autofree char *title = g_strdup_printf ("Transmission Control Protocol, %u → %u [%s], %" G_GSIZE_FORMAT " bytes of data",
                                            info->src_port, info->dst_port, flags, info->payload_len);
  g_autoptr(MlPacketField) layer = ml_packet_field_new (title, o, thl);

  ml_packet_field_set_layer (layer, ML_PACKET_LAYER_TRANSPORT);
  ml_packet_field_add_printf (layer, o, 2, "Source port: %u", info->src_port);
  ml_packet_field_add_printf (layer, o + 2, 2, "Destination port: %u", info->dst_port);
  ml_packet_field_add_printf (layer, o + 4, 4, "Sequence number: %u", info->tcp.seq);
  ml_packet_field_add_printf (layer, o + 8, 4, "Acknowledgment number: %u", info->tcp.ack);
  ml_packet_field_add_printf (layer, o + 12, 1, "Header length: %" G_GSIZE_FORMAT " bytes", thl);
  ml_packet_field_add_printf (layer, o + 12, 2, "Flags: 0x%03x (%s)", get16 (tcp + 12) & 0x1ffu, flags);
  ml_packet_field_add_printf (layer, o + 14, 2, "Window: %u", info->tcp.window);
  ml_packet_field_add_printf (layer, o + 16, 2, "Checksum: 0x%04x [%s]", get16 (tcp + 16),
                              info->transport_checksum_ok ? "correct" : "incorrect");
  ml_packet_field_add_printf (layer, o + 18, 2, "Urgent pointer: %u", get16 (tcp + 18));
  if (thl > ML_TCP_HEADER_LEN)
    {
      if (info->tcp.mss)
        ml_packet_field_add_printf (layer, o + ML_TCP_HEADER_LEN, thl - ML_TCP_HEADER_LEN,
                                    "Options: maximum segment size %u", info->tcp.mss);
      else
        ml_packet_field_add_printf (layer, o + ML_TCP_HEADER_LEN, thl - ML_TCP_HEADER_LEN,
                                    "Options (%" G_GSIZE_FORMAT " bytes)", thl - ML_TCP_HEADER_LEN);
    }
  g_list_store_append (roots, layer);
}

static void
add_udp (GListStore *roots, const guint8 *data, const MlFrameInfo *info, gsize o)
{
  const guint8 *udp = data + o;
  g_autofree char *title = g_strdup_printf ("User Datagram Protocol, %u → %u",
                                            info->src_port, info->dst_port);
  g_autoptr(MlPacketField) layer = ml_packet_field_new (title, o, ML_UDP_HEADER_LEN);

  ml_packet_field_set_layer (layer, ML_PACKET_LAYER_TRANSPORT);
  ml_packet_field_add_printf (layer, o, 2, "Source port: %u", info->src_port);
  ml_packet_field_add_printf (layer, o + 2, 2, "Destination port: %u", info->dst_port);
  ml_packet_field_add_printf (layer, o + 4, 2, "Length: %u", get16 (udp + 4));
  ml_packet_field_add_printf (layer, o + 6, 2, "Checksum: 0x%04x [%s]", get16 (udp + 6),
                              info->transport_checksum_ok ? "correct" : "incorrect");
  g_list_store_append (roots, layer);
}

/* A line for the tree: printable ASCII as is, the rest escaped as C does,
 * so the CR LF that ends every line (RFC 5321 2.3.8) stays visible. */
static char *
escape_line (const guint8 *p, gsize len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    {
      if (s->len >= ML_PACKET_MAX_LINE_SHOWN)
        {
          g_string_append (s, "…");
          break;
        }
      if (p[i] == '\r')
        g_string_append (s, "\\r");
      else if (p[i] == '\n')
        g_string_append (s, "\\n");
      else if (p[i] >= 0x20 && p[i] < 0x7f)
        g_string_append_c (s, (char) p[i]);
      else
        g_string_append_printf (s, "\\x%02x", p[i]);
    }
  return g_string_free (s, FALSE);
}

static void
add_text_lines (GListStore *roots, const char *name, const guint8 *data, gsize o, gsize len)
{
  g_autoptr(MlPacketField) layer = NULL;
  gsize start = 0;
  guint n_lines = 0;

  for (gsize i = 0; i < len; i++)
    if (data[o + i] == '\n')
      n_lines++;
  if (len > 0 && data[o + len - 1] != '\n')
    n_lines++;

  {
    g_autofree char *title = g_strdup_printf ("%s, %u line%s, %" G_GSIZE_FORMAT " bytes",
                                              name, n_lines, n_lines == 1 ? "" : "s", len);
    layer = ml_packet_field_new (title, o, len);
    ml_packet_field_set_layer (layer, ML_PACKET_LAYER_APPLICATION);
  }

  for (guint shown = 0; start < len; shown++)
    {
      gsize end = start;
      g_autofree char *text = NULL;

      if (shown == ML_PACKET_MAX_APP_LINES)
        {
          ml_packet_field_add_printf (layer, o + start, len - start,
                                      "… %" G_GSIZE_FORMAT " more bytes", len - start);
          break;
        }
      while (end < len && data[o + end] != '\n')
        end++;
      if (end < len)
        end++;   /* the LF belongs to its line */
      text = escape_line (data + o + start, end - start);
      ml_packet_field_add (layer, text, o + start, end - start);
      start = end;
    }
  g_list_store_append (roots, layer);
}

static void
add_dns (GListStore *roots, const guint8 *data, gsize o, gsize len)
{
  const guint8 *dns = data + o;
  g_autoptr(MlPacketField) layer = NULL;
  guint16 flags;

  if (len < ML_DNS_HEADER_LEN)
    {
      add_text_lines (roots, "DNS (truncated)", data, o, len);
      return;
    }
  flags = get16 (dns + 2);
  layer = ml_packet_field_new ((flags & 0x8000) ? "Domain Name System (response)" : "Domain Name System (query)",
                               o, len);
  ml_packet_field_set_layer (layer, ML_PACKET_LAYER_APPLICATION);
  /* RFC 1035 4.1.1 header layout. */
  ml_packet_field_add_printf (layer, o, 2, "Transaction ID: 0x%04x", get16 (dns));
  ml_packet_field_add_printf (layer, o + 2, 2, "Flags: 0x%04x (%s%s%s%s, rcode %u)", flags,
                              (flags & 0x8000) ? "response" : "query",
                              (flags & 0x0400) ? ", authoritative" : "",
                              (flags & 0x0100) ? ", recursion desired" : "",
                              (flags & 0x0080) ? ", recursion available" : "",
                              flags & 0x000fu);
  ml_packet_field_add_printf (layer, o + 4, 2, "Questions: %u", get16 (dns + 4));
  ml_packet_field_add_printf (layer, o + 6, 2, "Answer records: %u", get16 (dns + 6));
  ml_packet_field_add_printf (layer, o + 8, 2, "Authority records: %u", get16 (dns + 8));
  ml_packet_field_add_printf (layer, o + 10, 2, "Additional records: %u", get16 (dns + 10));
  if (len > ML_DNS_HEADER_LEN)
    ml_packet_field_add_printf (layer, o + ML_DNS_HEADER_LEN, len - ML_DNS_HEADER_LEN,
                                "Questions and records (%" G_GSIZE_FORMAT " bytes)",
                                len - ML_DNS_HEADER_LEN);
  g_list_store_append (roots, layer);
}

GListModel *
ml_packet_dissect (const guint8 *data, gsize len, MlProtocol protocol)
{
  GListStore *roots = g_list_store_new (ML_TYPE_PACKET_FIELD);
  g_autoptr(GError) error = NULL;
  MlFrameInfo info;
  gsize ihl, o, thl, payload_off, end;

  g_return_val_if_fail (data != NULL || len == 0, G_LIST_MODEL (roots));

  if (len < ML_ETH_HEADER_LEN)
    {
      g_autoptr(MlPacketField) raw = ml_packet_field_new ("Undecoded bytes (shorter than an Ethernet header)", 0, len);

      ml_packet_field_set_layer (raw, ML_PACKET_LAYER_TRAILER);
      g_list_store_append (roots, raw);
      return G_LIST_MODEL (roots);
    }
  add_ethernet (roots, data, len);

  if (!ml_frame_parse (data, len, &info, &error))
    {
      g_autofree char *text = g_strdup_printf ("Undecoded bytes: %s", error->message);
      g_autoptr(MlPacketField) raw = ml_packet_field_new (text, ML_ETH_HEADER_LEN, len - ML_ETH_HEADER_LEN);

      ml_packet_field_set_layer (raw, ML_PACKET_LAYER_TRAILER);
      g_list_store_append (roots, raw);
      return G_LIST_MODEL (roots);
    }

  /* ml_frame_parse checked every length below against @len. */
  ihl = (data[ML_ETH_HEADER_LEN] & 0x0f) * 4u;
  add_ipv4 (roots, data, &info, ihl);
  o = ML_ETH_HEADER_LEN + ihl;
  if (info.ip_protocol == ML_IP_PROTO_TCP)
    {
      thl = (data[o + 12] >> 4) * 4u;
      add_tcp (roots, data, &info, o, thl);
    }
  else
    {
      thl = ML_UDP_HEADER_LEN;
      add_udp (roots, data, &info, o);
    }
  payload_off = (gsize) (info.payload - data);

  if (info.payload_len > 0)
    {
      if (protocol == ML_PROTO_DNS || info.src_port == 53 || info.dst_port == 53)
        add_dns (roots, data, payload_off, info.payload_len);
      else
        add_text_lines (roots, protocol != ML_PROTO_NONE && protocol != ML_PROTO_TCP
                               ? ml_protocol_to_string (protocol) : "Data",
                        data, payload_off, info.payload_len);
    }

  /* IEEE 802.3 pads a short frame to 60 bytes; the padding is no part of
   * the IP packet (RFC 894). */
  end = payload_off + info.payload_len;
  if (end < len)
    {
      g_autofree char *text = g_strdup_printf ("Ethernet padding, %" G_GSIZE_FORMAT " bytes", len - end);
      g_autoptr(MlPacketField) pad = ml_packet_field_new (text, end, len - end);

      ml_packet_field_set_layer (pad, ML_PACKET_LAYER_TRAILER);
      g_list_store_append (roots, pad);
    }
  return G_LIST_MODEL (roots);
}

MlPacketField *
ml_packet_dissect_find_field (GListModel *roots, gsize offset)
{
  guint n;

  if (roots == NULL)
    return NULL;
  n = g_list_model_get_n_items (roots);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MlPacketField) field = g_list_model_get_item (roots, i);
      gsize start = ml_packet_field_get_offset (field);
      gsize length = ml_packet_field_get_length (field);

      if (offset >= start && offset < start + length)
        {
          MlPacketField *deeper = ml_packet_dissect_find_field (ml_packet_field_get_children (field), offset);

          /* The model keeps its items alive; hand out a borrowed pointer. */
          return deeper ? deeper : field;
        }
    }
  return NULL;
}

/* Frame building and parsing, checked against vectors computed outside
 * this code (RFC 1071's worked example, a textbook IPv4 header, and frames
 * built by an independent Python script). */
#include <string.h>

#include "net/frame.h"

static const guint8 mac_a[ML_MAC_LEN] = { 0x02, 0x6d, 0x6c, 0x00, 0x00, 0x01 };
static const guint8 mac_b[ML_MAC_LEN] = { 0x02, 0x6d, 0x6c, 0x00, 0x00, 0x02 };

#define IP_A 0x0a000001u  /* 10.0.0.1 */
#define IP_B 0x0a000002u  /* 10.0.0.2 */
#define IP_C 0x0a000003u  /* 10.0.0.3 */

static MlFrameIp
make_ip (guint32 src, guint32 dst, guint16 id, gboolean df)
{
  MlFrameIp ip = { { 0 } };

  memcpy (ip.src_mac, mac_a, ML_MAC_LEN);
  memcpy (ip.dst_mac, mac_b, ML_MAC_LEN);
  ip.src_ip = src;
  ip.dst_ip = dst;
  ip.ip_id = id;
  ip.ttl = ML_IPV4_DEFAULT_TTL;
  ip.dont_fragment = df;
  return ip;
}

static guint16
read16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

/* RFC 1071 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2. */
static void
test_checksum_rfc1071 (void)
{
  static const guint8 data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

  g_assert_cmphex (ml_inet_checksum_finish (ml_inet_checksum_add (0, data, sizeof data)), ==, 0x220d);
  g_assert_cmphex (ml_inet_checksum (data, sizeof data), ==, (guint16) ~0xddf2);
}

static void
test_checksum_ipv4_header (void)
{
  /* A classic example header: 192.168.0.1 → 192.168.0.199, UDP. */
  guint8 header[] = {
    0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
    0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
  };

  g_assert_cmphex (ml_inet_checksum (header, sizeof header), ==, 0xb861);
  header[10] = 0xb8;
  header[11] = 0x61;
  /* A header with its checksum in place sums to zero. */
  g_assert_cmphex (ml_inet_checksum (header, sizeof header), ==, 0);
}

static void
test_checksum_odd_length (void)
{
  static const guint8 odd[] = { 0x12, 0x34, 0x56 };
  static const guint8 padded[] = { 0x12, 0x34, 0x56, 0x00 };

  /* RFC 1071 4.1: an odd byte is padded with zero. */
  g_assert_cmphex (ml_inet_checksum (odd, sizeof odd), ==, ml_inet_checksum (padded, sizeof padded));
  g_assert_cmphex (ml_inet_checksum (odd, sizeof odd), ==, (guint16) ~(0x1234 + 0x5600));
}

static void
test_tcp_syn_vector (void)
{
  /* Built by an independent script: 10.0.0.1:49152 → 10.0.0.2:25 SYN,
   * seq 0x01020304, MSS 1460, IP ID 7, DF. TCP checksum 0xc004, IPv4 0x26c3. */
  static const guint8 expected[] = {
    0x02, 0x6d, 0x6c, 0x00, 0x00, 0x02, 0x02, 0x6d, 0x6c, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x00, 0x07, 0x40, 0x00, 0x40, 0x06,
    0x26, 0xc3, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0xc0, 0x00,
    0x00, 0x19, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02,
    0xff, 0xff, 0xc0, 0x04, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x00, 0x00,
  };
  MlFrameIp ip = make_ip (IP_A, IP_B, 7, TRUE);
  MlTcpHeader tcp = { .src_port = 49152, .dst_port = 25, .seq = 0x01020304,
                      .flags = ML_TCP_SYN, .window = 65535, .mss = 1460 };
  g_autoptr(GBytes) frame = ml_frame_build_tcp (&ip, &tcp, NULL, 0);
  gsize len;
  const guint8 *data = g_bytes_get_data (frame, &len);

  g_assert_cmpmem (data, len, expected, sizeof expected);
}

static void
test_udp_vector (void)
{
  MlFrameIp ip = make_ip (IP_A, IP_C, 1, FALSE);
  g_autoptr(GBytes) frame = ml_frame_build_udp (&ip, 49152, 53, (const guint8 *) "abc", 3);
  const guint8 *data = g_bytes_get_data (frame, NULL);

  /* Independent values: UDP checksum 0x673c, IPv4 checksum 0x66ca. */
  g_assert_cmphex (read16 (data + 14 + 10), ==, 0x66ca);
  g_assert_cmphex (read16 (data + 34 + 6), ==, 0x673c);
  g_assert_cmpuint (read16 (data + 34 + 4), ==, 11);
  g_assert_cmpuint (data[14 + 6] & 0x40, ==, 0);   /* no DF for UDP */
}

static void
test_udp_zero_checksum (void)
{
  MlFrameIp ip = make_ip (IP_A, IP_C, 1, FALSE);
  g_autoptr(GBytes) probe = ml_frame_build_udp (&ip, 1000, 2000, (const guint8 *) "\0\0", 2);
  guint16 c = read16 ((const guint8 *) g_bytes_get_data (probe, NULL) + 34 + 6);
  /* Adding the old checksum as a data word makes the sum 0xffff, whose
   * complement is zero: RFC 768 sends that as 0xffff. */
  guint8 payload[2] = { c >> 8, c & 0xff };
  g_autoptr(GBytes) frame = ml_frame_build_udp (&ip, 1000, 2000, payload, 2);
  const guint8 *data = g_bytes_get_data (frame, NULL);
  MlFrameInfo info;

  g_assert_cmphex (read16 (data + 34 + 6), ==, 0xffff);
  g_assert_true (ml_frame_parse (data, g_bytes_get_size (frame), &info, NULL));
  g_assert_true (info.transport_checksum_ok);
}

static void
test_tcp_round_trip (void)
{
  static const char text[] = "MAIL FROM:<alice@a.example>\r\n";
  MlFrameIp ip = make_ip (IP_B, IP_A, 4242, TRUE);
  MlTcpHeader tcp = { .src_port = 25, .dst_port = 49153, .seq = 0xfffffff0u, .ack = 17,
                      .flags = ML_TCP_PSH | ML_TCP_ACK, .window = 65535 };
  g_autoptr(GBytes) frame = ml_frame_build_tcp (&ip, &tcp, (const guint8 *) text, strlen (text));
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (frame, &len);
  MlFrameInfo info;

  g_assert_cmpuint (len, ==, 14 + 20 + 20 + strlen (text));
  g_assert_true (ml_frame_parse (data, len, &info, &error));
  g_assert_no_error (error);
  g_assert_true (info.ip_checksum_ok);
  g_assert_true (info.transport_checksum_ok);
  g_assert_cmpuint (info.ip_protocol, ==, ML_IP_PROTO_TCP);
  g_assert_cmphex (info.ip.src_ip, ==, IP_B);
  g_assert_cmphex (info.ip.dst_ip, ==, IP_A);
  g_assert_cmpuint (info.ip.ip_id, ==, 4242);
  g_assert_cmpuint (info.ip.ttl, ==, 64);
  g_assert_true (info.ip.dont_fragment);
  g_assert_cmpmem (info.ip.src_mac, ML_MAC_LEN, mac_a, ML_MAC_LEN);
  g_assert_cmpmem (info.ip.dst_mac, ML_MAC_LEN, mac_b, ML_MAC_LEN);
  g_assert_cmpuint (info.tcp.src_port, ==, 25);
  g_assert_cmpuint (info.tcp.dst_port, ==, 49153);
  g_assert_cmphex (info.tcp.seq, ==, 0xfffffff0u);
  g_assert_cmpuint (info.tcp.ack, ==, 17);
  g_assert_cmphex (info.tcp.flags, ==, ML_TCP_PSH | ML_TCP_ACK);
  g_assert_cmpuint (info.tcp.window, ==, 65535);
  g_assert_cmpuint (info.tcp.mss, ==, 0);
  g_assert_cmpmem (info.payload, info.payload_len, text, strlen (text));

  /* One flipped payload bit must fail the TCP checksum, not the IP one. */
  {
    g_autofree guint8 *bad = g_memdup2 (data, len);
    bad[len - 3] ^= 0x01;
    g_assert_true (ml_frame_parse (bad, len, &info, NULL));
    g_assert_true (info.ip_checksum_ok);
    g_assert_false (info.transport_checksum_ok);
  }
}

static void
test_padding (void)
{
  MlFrameIp ip = make_ip (IP_A, IP_B, 1, TRUE);
  MlTcpHeader tcp = { .src_port = 1, .dst_port = 2, .flags = ML_TCP_ACK, .window = 1 };
  g_autoptr(GBytes) frame = ml_frame_build_tcp (&ip, &tcp, (const guint8 *) "x", 1);
  gsize len;
  const guint8 *data = g_bytes_get_data (frame, &len);
  MlFrameInfo info;

  /* 14 + 20 + 20 + 1 = 55 bytes of packet, padded to 60. */
  g_assert_cmpuint (len, ==, ML_ETH_MIN_FRAME);
  g_assert_cmpuint (ml_frame_ip_packet_len (data, len), ==, 41);
  for (gsize i = 55; i < len; i++)
    g_assert_cmpuint (data[i], ==, 0);
  g_assert_true (ml_frame_parse (data, len, &info, NULL));
  /* The padding is no payload. */
  g_assert_cmpuint (info.payload_len, ==, 1);
  g_assert_true (info.transport_checksum_ok);
}

static void
test_parse_mss_option (void)
{
  MlFrameIp ip = make_ip (IP_A, IP_B, 1, TRUE);
  MlTcpHeader tcp = { .src_port = 49152, .dst_port = 25, .flags = ML_TCP_SYN | ML_TCP_ACK,
                      .window = 65535, .mss = 1260 };
  g_autoptr(GBytes) frame = ml_frame_build_tcp (&ip, &tcp, NULL, 0);
  MlFrameInfo info;

  g_assert_true (ml_frame_parse (g_bytes_get_data (frame, NULL), g_bytes_get_size (frame), &info, NULL));
  g_assert_cmpuint (info.tcp.mss, ==, 1260);
  g_assert_cmpuint (info.payload_len, ==, 0);
}

static void
test_parse_truncated (void)
{
  static const char text[] = "hello, world";
  MlFrameIp ip = make_ip (IP_A, IP_B, 1, TRUE);
  MlTcpHeader tcp = { .src_port = 1, .dst_port = 2, .flags = ML_TCP_ACK, .window = 1 };
  g_autoptr(GBytes) frame = ml_frame_build_tcp (&ip, &tcp, (const guint8 *) text, strlen (text));
  gsize len;
  const guint8 *data = g_bytes_get_data (frame, &len);

  /* Every prefix shorter than the IPv4 packet is an error, never a read
   * past the end (run under valgrind/ASan to see the second half). */
  for (gsize n = 0; n < 14 + 20 + 20 + strlen (text); n++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *copy = g_memdup2 (data, n ? n : 1);
      MlFrameInfo info;

      g_assert_false (ml_frame_parse (n ? copy : NULL, n, &info, &error));
      g_assert_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_TRUNCATED);
    }
}

static void
test_parse_malformed (void)
{
  MlFrameIp ip = make_ip (IP_A, IP_B, 1, TRUE);
  MlTcpHeader tcp = { .src_port = 1, .dst_port = 2, .flags = ML_TCP_ACK, .window = 1 };
  g_autoptr(GBytes) frame = ml_frame_build_tcp (&ip, &tcp, (const guint8 *) "abcdefgh", 8);
  gsize len;
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (frame, &len), g_bytes_get_size (frame));
  g_autoptr(GError) error = NULL;
  MlFrameInfo info;

  /* A TCP data offset beyond the segment. */
  data[14 + 20 + 12] = 0xf0;
  g_assert_false (ml_frame_parse (data, len, &info, &error));
  g_assert_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Not IPv4. */
  data[12] = 0x86;
  data[13] = 0xdd;
  g_assert_false (ml_frame_parse (data, len, &info, &error));
  g_assert_error (error, ML_FRAME_ERROR, ML_FRAME_ERROR_UNSUPPORTED);
}

static void
test_forward (void)
{
  static const guint8 mac_r[ML_MAC_LEN] = { 0x02, 0x6d, 0x6c, 0x00, 0x00, 0x09 };
  MlFrameIp ip = make_ip (IP_A, IP_B, 99, TRUE);
  MlTcpHeader tcp = { .src_port = 1, .dst_port = 2, .flags = ML_TCP_ACK, .window = 1 };
  g_autoptr(GBytes) frame = ml_frame_build_tcp (&ip, &tcp, (const guint8 *) "data", 4);
  g_autoptr(GBytes) out = ml_frame_forward (frame, mac_r, mac_a);
  MlFrameInfo info;

  g_assert_nonnull (out);
  g_assert_true (ml_frame_parse (g_bytes_get_data (out, NULL), g_bytes_get_size (out), &info, NULL));
  g_assert_cmpuint (info.ip.ttl, ==, ML_IPV4_DEFAULT_TTL - 1);
  g_assert_true (info.ip_checksum_ok);
  g_assert_true (info.transport_checksum_ok);
  g_assert_cmpmem (info.ip.src_mac, ML_MAC_LEN, mac_r, ML_MAC_LEN);
  g_assert_cmpmem (info.ip.dst_mac, ML_MAC_LEN, mac_a, ML_MAC_LEN);
  g_assert_cmpuint (info.ip.ip_id, ==, 99);

  ip.ttl = 1;
  {
    g_autoptr(GBytes) last = ml_frame_build_tcp (&ip, &tcp, NULL, 0);
    g_autoptr(GBytes) none = ml_frame_forward (last, mac_r, mac_a);
    g_assert_null (none);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/frame/checksum/rfc1071", test_checksum_rfc1071);
  g_test_add_func ("/frame/checksum/ipv4-header", test_checksum_ipv4_header);
  g_test_add_func ("/frame/checksum/odd-length", test_checksum_odd_length);
  g_test_add_func ("/frame/tcp/syn-vector", test_tcp_syn_vector);
  g_test_add_func ("/frame/tcp/round-trip", test_tcp_round_trip);
  g_test_add_func ("/frame/tcp/mss-option", test_parse_mss_option);
  g_test_add_func ("/frame/udp/vector", test_udp_vector);
  g_test_add_func ("/frame/udp/zero-checksum", test_udp_zero_checksum);
  g_test_add_func ("/frame/ethernet/padding", test_padding);
  g_test_add_func ("/frame/parse/truncated", test_parse_truncated);
  g_test_add_func ("/frame/parse/malformed", test_parse_malformed);
  g_test_add_func ("/frame/forward", test_forward);

  return g_test_run ();
}

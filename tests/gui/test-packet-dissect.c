/* The packet detail's model: layers, fields and the bytes each covers,
 * and which frame shows a trace position. */
#include <string.h>
#include "packet-dissect.h"
#include "frame-locate.h"
#include "net/frame.h"
#include "trace-fixture.h"

static MlPacketField *
item (GListModel *model, guint i)
{
  g_autoptr(MlPacketField) field = g_list_model_get_item (model, i);

  g_assert_nonnull (field);
  return field;   /* the model keeps it */
}

static void
assert_field (MlPacketField *field, gsize offset, gsize length)
{
  g_assert_cmpuint (ml_packet_field_get_offset (field), ==, offset);
  g_assert_cmpuint (ml_packet_field_get_length (field), ==, length);
}

static GListModel *
dissect (GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return ml_packet_dissect (data, len, ML_PROTO_SMTP);
}

static void
test_tcp_layers (void)
{
  g_autoptr(GBytes) bytes = ml_test_tcp_frame ("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
  g_autoptr(GListModel) roots = dissect (bytes);
  MlPacketField *app;
  GListModel *lines;

  g_assert_cmpuint (g_list_model_get_n_items (roots), ==, 4);
  assert_field (item (roots, 0), 0, ML_ETH_HEADER_LEN);
  g_assert_cmpint (ml_packet_field_get_layer (item (roots, 0)), ==, ML_PACKET_LAYER_LINK);
  assert_field (item (roots, 1), 14, ML_IPV4_HEADER_LEN);
  g_assert_cmpint (ml_packet_field_get_layer (item (roots, 1)), ==, ML_PACKET_LAYER_NETWORK);
  assert_field (item (roots, 2), 34, ML_TCP_HEADER_LEN);
  g_assert_cmpint (ml_packet_field_get_layer (item (roots, 2)), ==, ML_PACKET_LAYER_TRANSPORT);

  app = item (roots, 3);
  g_assert_cmpint (ml_packet_field_get_layer (app), ==, ML_PACKET_LAYER_APPLICATION);
  assert_field (app, 54, 32);
  g_assert_cmpstr (ml_packet_field_get_text (app), ==, "SMTP, 2 lines, 32 bytes");
  lines = ml_packet_field_get_children (app);
  g_assert_cmpuint (g_list_model_get_n_items (lines), ==, 2);
  g_assert_cmpstr (ml_packet_field_get_text (item (lines, 0)), ==, "MAIL FROM:<a@b>\\r\\n");
  assert_field (item (lines, 0), 54, 17);
  g_assert_cmpstr (ml_packet_field_get_text (item (lines, 1)), ==, "RCPT TO:<c@d>\\r\\n");
  assert_field (item (lines, 1), 71, 15);
}

static void
test_find_field (void)
{
  g_autoptr(GBytes) bytes = ml_test_tcp_frame ("NOOP\r\n");
  g_autoptr(GListModel) roots = dissect (bytes);
  MlPacketField *field;

  field = ml_packet_dissect_find_field (roots, 0);
  g_assert_cmpstr (ml_packet_field_get_text (field), ==, "Destination: 02:00:00:00:00:02");
  field = ml_packet_dissect_find_field (roots, 14 + 12);
  g_assert_cmpstr (ml_packet_field_get_text (field), ==, "Source address: 10.0.0.1");
  field = ml_packet_dissect_find_field (roots, 34 + 2);
  g_assert_cmpstr (ml_packet_field_get_text (field), ==, "Destination port: 25");
  field = ml_packet_dissect_find_field (roots, 54 + 5);
  g_assert_cmpstr (ml_packet_field_get_text (field), ==, "NOOP\\r\\n");
  /* Every byte of the frame belongs to some field, and nothing past it. */
  for (gsize i = 0; i < g_bytes_get_size (bytes); i++)
    g_assert_nonnull (ml_packet_dissect_find_field (roots, i));
  g_assert_null (ml_packet_dissect_find_field (roots, g_bytes_get_size (bytes)));
}

static void
test_checksums (void)
{
  g_autoptr(GBytes) bytes = ml_test_tcp_frame ("QUIT\r\n");
  g_autoptr(GListModel) good = dissect (bytes);
  gsize len;
  guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, &len), len);
  g_autoptr(GListModel) bad = NULL;
  MlPacketField *field;

  field = ml_packet_dissect_find_field (good, 34 + 16);
  g_assert_true (g_str_has_suffix (ml_packet_field_get_text (field), "[correct]"));
  copy[len - 1] ^= 0x20;   /* "QUIT\r\n" → "QUIT\r*" */
  bad = ml_packet_dissect (copy, len, ML_PROTO_SMTP);
  field = ml_packet_dissect_find_field (bad, 34 + 16);
  g_assert_true (g_str_has_suffix (ml_packet_field_get_text (field), "[incorrect]"));
  g_free (copy);
}

static void
test_padding (void)
{
  g_autoptr(GBytes) bytes = ml_test_tcp_frame ("A");
  g_autoptr(GListModel) roots = dissect (bytes);
  guint n = g_list_model_get_n_items (roots);
  MlPacketField *last = item (roots, n - 1);

  /* 55 bytes of frame, padded to the 60 of IEEE 802.3. */
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, ML_ETH_MIN_FRAME);
  g_assert_cmpint (ml_packet_field_get_layer (last), ==, ML_PACKET_LAYER_TRAILER);
  assert_field (last, 55, 5);
}

static void
test_truncated (void)
{
  g_autoptr(GBytes) bytes = ml_test_tcp_frame ("HELO x\r\n");
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  g_autoptr(GListModel) cut = ml_packet_dissect (data, 30, ML_PROTO_SMTP);
  g_autoptr(GListModel) tiny = ml_packet_dissect (data, 10, ML_PROTO_SMTP);

  g_assert_cmpuint (g_list_model_get_n_items (cut), ==, 2);
  g_assert_cmpint (ml_packet_field_get_layer (item (cut, 1)), ==, ML_PACKET_LAYER_TRAILER);
  assert_field (item (cut, 1), 14, 16);
  g_assert_true (g_str_has_prefix (ml_packet_field_get_text (item (cut, 1)), "Undecoded bytes"));

  g_assert_cmpuint (g_list_model_get_n_items (tiny), ==, 1);
  assert_field (item (tiny, 0), 0, 10);
}

static void
test_escapes_and_limits (void)
{
  GString *many = g_string_new ("\x01\xff\r\n");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GListModel) roots = NULL;
  GListModel *lines;
  guint n;

  for (guint i = 0; i < 100; i++)
    g_string_append (many, "x\r\n");
  bytes = ml_test_tcp_frame (many->str);
  roots = dissect (bytes);
  lines = ml_packet_field_get_children (item (roots, 3));
  g_assert_cmpstr (ml_packet_field_get_text (item (lines, 0)), ==, "\\x01\\xff\\r\\n");
  /* The lines shown stop at the limit; one field covers the rest. */
  n = g_list_model_get_n_items (lines);
  g_assert_cmpuint (n, ==, ML_PACKET_MAX_APP_LINES + 1);
  g_assert_cmpstr (ml_packet_field_get_text (item (lines, n - 1)), ==, "… 111 more bytes");
  g_string_free (many, TRUE);
}

static void
test_dns (void)
{
  static const guint8 query[] = {
    0xf4, 0x25, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    1, 'b', 0, 0x00, 0x0f, 0x00, 0x01,
  };
  MlFrameIp ip = { .src_ip = 0x0a000001, .dst_ip = 0x0a000035, .ttl = 64 };
  g_autoptr(GBytes) bytes = ml_frame_build_udp (&ip, 49152, 53, query, sizeof query);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr(GListModel) roots = ml_packet_dissect (data, len, ML_PROTO_DNS);
  MlPacketField *dns = item (roots, 3);

  g_assert_cmpstr (ml_packet_field_get_text (item (roots, 2)), ==, "User Datagram Protocol, 49152 → 53");
  g_assert_cmpstr (ml_packet_field_get_text (dns), ==, "Domain Name System (query)");
  assert_field (dns, 42, sizeof query);
  g_assert_cmpstr (ml_packet_field_get_text (item (ml_packet_field_get_children (dns), 0)), ==,
                   "Transaction ID: 0xf425");
}

static void
test_locate (void)
{
  g_autoptr(MlTrace) trace = ml_test_small_trace ();
  guint64 frame = 99;

  /* Nothing before the first frame. */
  g_assert_false (ml_frame_locate (trace, 0, &frame));
  g_assert_cmpuint (frame, ==, 99);
  /* A frame shows itself. */
  g_assert_true (ml_frame_locate (trace, 2, &frame));
  g_assert_cmpuint (frame, ==, 2);
  /* A dialogue line shows the segment that carries it, not the handshake
   * before it. */
  g_assert_true (ml_frame_locate (trace, 3, &frame));
  g_assert_cmpuint (frame, ==, 5);
  g_assert_true (ml_frame_locate (trace, 6, &frame));
  g_assert_cmpuint (frame, ==, 7);
  /* Anything else shows the last frame before it. */
  g_assert_true (ml_frame_locate (trace, 4, &frame));
  g_assert_cmpuint (frame, ==, 2);
  g_assert_false (ml_frame_locate (trace, 100, &frame));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/packet/dissect/tcp-layers", test_tcp_layers);
  g_test_add_func ("/packet/dissect/find-field", test_find_field);
  g_test_add_func ("/packet/dissect/checksums", test_checksums);
  g_test_add_func ("/packet/dissect/padding", test_padding);
  g_test_add_func ("/packet/dissect/truncated", test_truncated);
  g_test_add_func ("/packet/dissect/escapes-and-limits", test_escapes_and_limits);
  g_test_add_func ("/packet/dissect/dns", test_dns);
  g_test_add_func ("/packet/locate/frame-for-event", test_locate);
  return g_test_run ();
}

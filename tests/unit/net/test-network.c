/* Hosts, links, routes and UDP: what the trace shows and when. */
#include <string.h>

#include "net/frame.h"
#include "net/network.h"

#define IP_A 0x0a000001u  /* 10.0.0.1 */
#define IP_B 0x0a000002u  /* 10.0.0.2 */
#define IP_R 0x0a0000feu  /* 10.0.0.254 */

typedef struct {
  MlTrace   *trace;
  MlNetwork *net;
  MlHost    *a, *r, *b;
  MlLink    *ar, *rb;
  GPtrArray *received;   /* GBytes* payloads */
  GArray    *times;      /* guint64 arrival times */
  guint32    last_src_ip;
  guint16    last_src_port, last_dst_port;
} Fixture;

/* a — r — b, r a router, default links. */
static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  fx->trace = ml_trace_new ();
  fx->net = ml_network_new (42, fx->trace);
  fx->a = ml_network_add_host (fx->net, "a", IP_A, ML_ROLE_MUA);
  fx->r = ml_network_add_host (fx->net, "r", IP_R, ML_ROLE_ROUTER);
  fx->b = ml_network_add_host (fx->net, "b", IP_B, ML_ROLE_MTA);
  fx->ar = ml_network_add_link (fx->net, fx->a, fx->r, NULL);
  fx->rb = ml_network_add_link (fx->net, fx->r, fx->b, NULL);
  g_assert_true (ml_network_compute_routes (fx->net, NULL));
  fx->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  fx->times = g_array_new (FALSE, FALSE, sizeof (guint64));
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  ml_network_free (fx->net);
  g_object_unref (fx->trace);
  g_ptr_array_unref (fx->received);
  g_array_unref (fx->times);
}

static void
on_udp (MlHost *host, guint32 src_ip, guint16 src_port, guint16 dst_port,
        const guint8 *payload, gsize len, gpointer user_data)
{
  Fixture *fx = user_data;
  guint64 now = ml_scheduler_now (ml_network_get_scheduler (fx->net));

  g_ptr_array_add (fx->received, g_bytes_new (payload, len));
  g_array_append_val (fx->times, now);
  fx->last_src_ip = src_ip;
  fx->last_src_port = src_port;
  fx->last_dst_port = dst_port;
}

static void
run (Fixture *fx)
{
  ml_scheduler_run (ml_network_get_scheduler (fx->net), G_MAXUINT64);
}

/* Frame events only, in trace order (borrowed). */
static GPtrArray *
frames (MlTrace *trace)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      if (e->kind == ML_TRACE_FRAME)
        g_ptr_array_add (out, (gpointer) e);
    }
  return out;
}

static guint
count_kind (MlTrace *trace, MlTraceKind kind)
{
  guint n = 0;

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    n += ml_trace_get_event (trace, i)->kind == kind;
  return n;
}

static void
parse_event (const MlTraceEvent *e, MlFrameInfo *info)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ml_frame_parse (g_bytes_get_data (e->bytes, NULL), g_bytes_get_size (e->bytes),
                                 info, &error));
  g_assert_no_error (error);
}

static void
test_route_through_router (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) f = NULL;
  MlFrameInfo info0, info1;
  const MlTraceEvent *e0, *e1;

  g_assert_true (ml_host_udp_bind (fx->b, 53, on_udp, fx, NULL));
  ml_host_udp_send (fx->a, 49152, IP_B, 53, (const guint8 *) "query", 5,
                    ML_PROTO_DNS, "DNS query MX b.example", "dns.query");
  run (fx);

  f = frames (fx->trace);
  g_assert_cmpuint (f->len, ==, 2);
  e0 = f->pdata[0];
  e1 = f->pdata[1];

  g_assert_cmpuint (e0->hop, ==, 0);
  g_assert_cmpstr (e0->host, ==, "a");
  g_assert_cmpstr (e0->peer, ==, "r");
  g_assert_cmpstr (e0->link, ==, "a--r");
  g_assert_cmpuint (e1->hop, ==, 1);
  g_assert_cmpstr (e1->host, ==, "r");
  g_assert_cmpstr (e1->peer, ==, "b");
  g_assert_cmpstr (e1->link, ==, "r--b");
  g_assert_cmpstr (e0->text, ==, "DNS query MX b.example");
  g_assert_cmpstr (e1->explain_key, ==, "dns.query");
  g_assert_cmpint (e0->protocol, ==, ML_PROTO_DNS);
  g_assert_cmpint (e0->direction, ==, ML_DIR_CLIENT_TO_SERVER);

  parse_event (e0, &info0);
  parse_event (e1, &info1);
  g_assert_cmpuint (info0.ip.ttl, ==, 64);
  g_assert_cmpuint (info1.ip.ttl, ==, 63);
  g_assert_true (info1.ip_checksum_ok);
  g_assert_true (info1.transport_checksum_ok);
  g_assert_cmpmem (info0.ip.src_mac, 6, ml_host_get_mac (fx->a), 6);
  g_assert_cmpmem (info0.ip.dst_mac, 6, ml_host_get_mac (fx->r), 6);
  g_assert_cmpmem (info1.ip.src_mac, 6, ml_host_get_mac (fx->r), 6);
  g_assert_cmpmem (info1.ip.dst_mac, 6, ml_host_get_mac (fx->b), 6);
  g_assert_cmphex (info1.ip.src_ip, ==, IP_A);
  g_assert_cmphex (info1.ip.dst_ip, ==, IP_B);

  g_assert_cmpuint (fx->received->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (fx->received->pdata[0], NULL), 5, "query", 5);
}

static void
test_route_needs_router (Fixture *fx, gconstpointer data)
{
  /* a — m — c where m holds mail but does not forward. */
  MlHost *m = ml_network_add_host (fx->net, "m", 0x0a000101u, ML_ROLE_MTA);
  MlHost *c = ml_network_add_host (fx->net, "c", 0x0a000102u, ML_ROLE_MDA);
  g_autoptr(GPtrArray) route = NULL;
  g_autoptr(GPtrArray) f = NULL;

  ml_network_add_link (fx->net, fx->a, m, NULL);
  ml_network_add_link (fx->net, m, c, NULL);
  g_assert_true (ml_network_compute_routes (fx->net, NULL));
  g_assert_true (ml_host_udp_bind (c, 9, on_udp, fx, NULL));

  g_assert_null (ml_network_dup_route (fx->net, fx->a, ml_host_get_ipv4 (c)));
  route = ml_network_dup_route (fx->net, fx->a, ml_host_get_ipv4 (m));
  g_assert_nonnull (route);
  g_assert_cmpuint (route->len, ==, 2);

  ml_host_udp_send (fx->a, 1000, ml_host_get_ipv4 (c), 9, (const guint8 *) "x", 1,
                    ML_PROTO_NONE, NULL, NULL);
  run (fx);
  f = frames (fx->trace);
  g_assert_cmpuint (f->len, ==, 0);
  g_assert_cmpuint (count_kind (fx->trace, ML_TRACE_NOTE), ==, 1);
  g_assert_cmpstr (ml_trace_get_event (fx->trace, 0)->explain_key, ==, "net.no-route");
  g_assert_cmpuint (fx->received->len, ==, 0);
}

static void
test_route_shortest (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  MlNetwork *net = ml_network_new (1, trace);
  MlHost *a = ml_network_add_host (net, "a", 1, ML_ROLE_MUA);
  MlHost *r1 = ml_network_add_host (net, "r1", 2, ML_ROLE_ROUTER);
  MlHost *r2 = ml_network_add_host (net, "r2", 3, ML_ROLE_ROUTER);
  MlHost *r3 = ml_network_add_host (net, "r3", 4, ML_ROLE_ROUTER);
  MlHost *b = ml_network_add_host (net, "b", 5, ML_ROLE_MTA);
  MlLinkConfig slow, fast;
  g_autoptr(GPtrArray) route = NULL;

  ml_link_config_init (&slow);
  ml_link_config_init (&fast);
  slow.latency_us = 50000;
  fast.latency_us = 100;
  /* Two hops through r1 (slow) or r2 (fast), three through r3: fewest
   * hops first, then the lower latency. */
  ml_network_add_link (net, a, r1, &slow);
  ml_network_add_link (net, r1, b, &slow);
  ml_network_add_link (net, a, r2, &fast);
  ml_network_add_link (net, r2, b, &fast);
  ml_network_add_link (net, a, r3, &fast);
  ml_network_add_link (net, r3, r1, &fast);
  g_assert_true (ml_network_compute_routes (net, NULL));

  route = ml_network_dup_route (net, a, 5);
  g_assert_nonnull (route);
  g_assert_cmpuint (route->len, ==, 3);
  g_assert_true (route->pdata[1] == r2);
  g_assert_true (route->pdata[2] == b);
  g_clear_pointer (&route, g_ptr_array_unref);

  /* Equal hops and latency: the router added first wins. */
  {
    MlHost *c = ml_network_add_host (net, "c", 6, ML_ROLE_MDA);
    ml_network_add_link (net, r3, c, &fast);
    ml_network_add_link (net, r2, c, &fast);
    route = ml_network_dup_route (net, a, 6);
    g_assert_nonnull (route);
    g_assert_cmpuint (route->len, ==, 3);
    g_assert_true (route->pdata[1] == r2);
  }
  ml_network_free (net);
}

static void
test_udp_send_receive (Fixture *fx, gconstpointer data)
{
  static const guint8 payload[] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01 };
  g_autoptr(GPtrArray) f = NULL;

  g_assert_true (ml_host_udp_bind (fx->b, 53, on_udp, fx, NULL));
  g_assert_false (ml_host_udp_bind (fx->b, 53, on_udp, fx, NULL));
  ml_host_udp_send (fx->a, 50000, IP_B, 53, payload, sizeof payload, ML_PROTO_DNS, NULL, NULL);
  run (fx);

  g_assert_cmpuint (fx->received->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (fx->received->pdata[0], NULL),
                   g_bytes_get_size (fx->received->pdata[0]), payload, sizeof payload);
  g_assert_cmphex (fx->last_src_ip, ==, IP_A);
  g_assert_cmpuint (fx->last_src_port, ==, 50000);
  g_assert_cmpuint (fx->last_dst_port, ==, 53);
  f = frames (fx->trace);
  g_assert_cmpstr (((MlTraceEvent *) f->pdata[0])->text, ==, "50000 → 53 Len=6");
  g_assert_cmpstr (((MlTraceEvent *) f->pdata[0])->explain_key, ==, "udp");

  /* Unbound: the datagram still crosses the wire, then is noted and dropped. */
  ml_host_udp_unbind (fx->b, 53);
  ml_host_udp_send (fx->a, 50000, IP_B, 53, payload, sizeof payload, ML_PROTO_DNS, NULL, NULL);
  run (fx);
  g_assert_cmpuint (fx->received->len, ==, 1);
  g_assert_cmpuint (count_kind (fx->trace, ML_TRACE_FRAME), ==, 4);
  g_assert_cmpuint (count_kind (fx->trace, ML_TRACE_NOTE), ==, 1);
}

static void
test_timing (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  MlNetwork *net = ml_network_new (7, trace);
  MlHost *a = ml_network_add_host (net, "a", IP_A, ML_ROLE_MUA);
  MlHost *b = ml_network_add_host (net, "b", IP_B, ML_ROLE_MTA);
  MlLinkConfig config;
  Fixture fx = { 0 };
  guint8 payload[958] = { 0 };   /* 14 + 20 + 8 + 958 = 1000-byte frames */
  g_autoptr(GPtrArray) f = NULL;

  ml_link_config_init (&config);
  config.latency_us = 1000;
  config.bandwidth_bps = 10000000;   /* 1000 bytes take 800 µs */
  ml_network_add_link (net, a, b, &config);
  fx.net = net;
  fx.received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  fx.times = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_assert_true (ml_host_udp_bind (b, 7, on_udp, &fx, NULL));
  g_assert_true (ml_host_udp_bind (a, 7, on_udp, &fx, NULL));

  ml_host_udp_send (a, 7, IP_B, 7, payload, sizeof payload, ML_PROTO_NONE, NULL, NULL);
  ml_host_udp_send (a, 7, IP_B, 7, payload, sizeof payload, ML_PROTO_NONE, NULL, NULL);
  ml_host_udp_send (b, 7, IP_A, 7, payload, sizeof payload, ML_PROTO_NONE, NULL, NULL);
  ml_scheduler_run (ml_network_get_scheduler (net), G_MAXUINT64);

  f = frames (trace);
  g_assert_cmpuint (f->len, ==, 3);
  g_assert_cmpuint (g_bytes_get_size (((MlTraceEvent *) f->pdata[0])->bytes), ==, 1000);
  /* a→b: the second frame waits for the first to leave the wire; b→a is
   * the other direction of a full-duplex link and starts at once. */
  g_assert_cmpuint (((MlTraceEvent *) f->pdata[0])->time_us, ==, 0);
  g_assert_cmpstr (((MlTraceEvent *) f->pdata[1])->host, ==, "b");
  g_assert_cmpuint (((MlTraceEvent *) f->pdata[1])->time_us, ==, 0);
  g_assert_cmpuint (((MlTraceEvent *) f->pdata[2])->time_us, ==, 800);

  g_assert_cmpuint (fx.times->len, ==, 3);
  g_assert_cmpuint (g_array_index (fx.times, guint64, 0), ==, 1800);
  g_assert_cmpuint (g_array_index (fx.times, guint64, 1), ==, 1800);
  g_assert_cmpuint (g_array_index (fx.times, guint64, 2), ==, 2600);

  ml_network_free (net);
  g_ptr_array_unref (fx.received);
  g_array_unref (fx.times);
}

static void
test_link_down (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) f = NULL;

  g_assert_true (ml_host_udp_bind (fx->b, 53, on_udp, fx, NULL));
  ml_link_set_up (fx->rb, FALSE);
  ml_host_udp_send (fx->a, 49152, IP_B, 53, (const guint8 *) "1", 1, ML_PROTO_DNS, NULL, NULL);
  run (fx);
  g_assert_cmpuint (fx->received->len, ==, 0);
  f = frames (fx->trace);
  g_assert_cmpuint (f->len, ==, 2);
  g_assert_false (((MlTraceEvent *) f->pdata[0])->dropped);
  g_assert_true (((MlTraceEvent *) f->pdata[1])->dropped);

  ml_link_set_up (fx->rb, TRUE);
  ml_host_udp_send (fx->a, 49152, IP_B, 53, (const guint8 *) "2", 1, ML_PROTO_DNS, NULL, NULL);
  run (fx);
  g_assert_cmpuint (fx->received->len, ==, 1);
}

/* The dropped/not pattern of 200 datagrams over a 30 % lossy link. */
static char *
loss_pattern (guint32 seed, double loss, guint32 *next_random)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  MlNetwork *net = ml_network_new (seed, trace);
  MlHost *a = ml_network_add_host (net, "a", IP_A, ML_ROLE_MUA);
  MlHost *b = ml_network_add_host (net, "b", IP_B, ML_ROLE_MTA);
  MlLinkConfig config;
  GString *pattern = g_string_new (NULL);

  ml_link_config_init (&config);
  config.loss = loss;
  ml_network_add_link (net, a, b, &config);
  for (guint i = 0; i < 200; i++)
    ml_host_udp_send (a, 1000, IP_B, 2000, (const guint8 *) "x", 1, ML_PROTO_NONE, NULL, NULL);
  ml_scheduler_run (ml_network_get_scheduler (net), G_MAXUINT64);
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      if (e->kind == ML_TRACE_FRAME)
        g_string_append_c (pattern, e->dropped ? 'x' : '.');
    }
  *next_random = g_rand_int (ml_scheduler_get_rand (ml_network_get_scheduler (net)));
  ml_network_free (net);
  return g_string_free (pattern, FALSE);
}

static void
test_loss_deterministic (void)
{
  guint32 r1, r2, r3, r0;
  g_autofree char *p1 = loss_pattern (1234, 0.3, &r1);
  g_autofree char *p2 = loss_pattern (1234, 0.3, &r2);
  g_autofree char *p3 = loss_pattern (4321, 0.3, &r3);
  g_autofree char *p0 = loss_pattern (1234, 0.0, &r0);
  g_autoptr(GRand) fresh = g_rand_new_with_seed (1234);
  guint dropped = 0;

  g_assert_cmpuint (strlen (p1), ==, 200);
  g_assert_cmpstr (p1, ==, p2);
  g_assert_cmpuint (r1, ==, r2);
  g_assert_cmpstr (p1, !=, p3);
  for (const char *p = p1; *p; p++)
    dropped += *p == 'x';
  /* 30 % of 200 is 60; a fair generator stays well inside this. */
  g_assert_cmpuint (dropped, >, 30);
  g_assert_cmpuint (dropped, <, 90);
  /* A lossless link draws nothing from the run's generator. */
  g_assert_null (strchr (p0, 'x'));
  g_assert_cmpuint (r0, ==, g_rand_int (fresh));
}

static void
test_mtu (Fixture *fx, gconstpointer data)
{
  guint8 big[1400] = { 0 };
  MlLinkConfig config;
  MlHost *c = ml_network_add_host (fx->net, "c", 0x0a000003u, ML_ROLE_MDA);

  ml_link_config_init (&config);
  config.mtu = 576;
  ml_network_add_link (fx->net, fx->r, c, &config);
  g_assert_true (ml_host_udp_bind (c, 9, on_udp, fx, NULL));
  ml_host_udp_send (fx->a, 1000, 0x0a000003u, 9, big, sizeof big, ML_PROTO_NONE, NULL, NULL);
  ml_host_udp_send (fx->a, 1000, 0x0a000003u, 9, big, 500, ML_PROTO_NONE, NULL, NULL);
  run (fx);
  /* The big one crossed a--r (MTU 1500) and stopped at r. */
  g_assert_cmpuint (count_kind (fx->trace, ML_TRACE_FRAME), ==, 3);
  g_assert_cmpuint (count_kind (fx->trace, ML_TRACE_NOTE), ==, 1);
  g_assert_cmpuint (fx->received->len, ==, 1);
  g_assert_cmpuint (g_bytes_get_size (fx->received->pdata[0]), ==, 500);
}

static void
test_hosts (Fixture *fx, gconstpointer data)
{
  const guint8 *mac = ml_host_get_mac (fx->r);

  g_assert_true (ml_network_find_host (fx->net, "r") == fx->r);
  g_assert_true (ml_network_find_host_by_ip (fx->net, IP_B) == fx->b);
  g_assert_null (ml_network_find_host (fx->net, "zz"));
  g_assert_cmpuint (ml_network_get_hosts (fx->net)->len, ==, 3);
  g_assert_cmpuint (ml_network_get_links (fx->net)->len, ==, 2);
  g_assert_cmpstr (ml_link_get_name (fx->ar), ==, "a--r");
  g_assert_true (ml_link_get_a (fx->rb) == fx->r);
  g_assert_true (ml_link_get_b (fx->rb) == fx->b);
  g_assert_cmpuint (ml_link_get_config (fx->ar)->mtu, ==, 1500);
  g_assert_cmpuint (ml_link_get_config (fx->ar)->latency_us, ==, 1000);
  g_assert_cmpuint (ml_link_get_config (fx->ar)->bandwidth_bps, ==, 100000000);
  g_assert_true (ml_host_get_network (fx->a) == fx->net);
  g_assert_cmpuint (ml_host_get_roles (fx->r), ==, ML_ROLE_ROUTER);

  /* Locally administered unicast, numbered by the host's place. */
  g_assert_cmphex (mac[0], ==, 0x02);
  g_assert_cmphex (mac[5], ==, 2);
  g_assert_cmphex (ml_host_get_mac (fx->a)[5], ==, 1);

  g_assert_cmpuint (ml_host_allocate_port (fx->a), ==, 49152);
  g_assert_true (ml_host_udp_bind (fx->a, 49153, on_udp, fx, NULL));
  g_assert_cmpuint (ml_host_allocate_port (fx->a), ==, 49154);
  g_assert_cmpuint (ml_host_allocate_port (fx->b), ==, 49152);
}

static void
test_epoch (Fixture *fx, gconstpointer data)
{
  g_assert_cmpint (ml_network_get_epoch (fx->net), ==, G_GINT64_CONSTANT (1704067200000000));
  ml_network_set_epoch (fx->net, 1000);
  g_assert_cmpint (ml_network_now_unix_usec (fx->net), ==, 1000);
  ml_host_udp_send (fx->a, 1, IP_B, 2, (const guint8 *) "x", 1, ML_PROTO_NONE, NULL, NULL);
  run (fx);
  g_assert_cmpint (ml_network_now_unix_usec (fx->net), ==,
                   1000 + (gint64) ml_scheduler_now (ml_network_get_scheduler (fx->net)));
  g_assert_cmpint (ml_network_now_unix_usec (fx->net), >, 1000);
}

static void
test_ipv4_strings (void)
{
  g_autofree char *text = ml_ipv4_to_string (0xc0a800c7u);
  guint32 ip = 0;

  g_assert_cmpstr (text, ==, "192.168.0.199");
  g_assert_true (ml_ipv4_parse ("10.0.0.254", &ip));
  g_assert_cmphex (ip, ==, 0x0a0000feu);
  g_assert_true (ml_ipv4_parse ("0.0.0.0", &ip));
  g_assert_cmphex (ip, ==, 0);
  g_assert_false (ml_ipv4_parse ("10.0.0", &ip));
  g_assert_false (ml_ipv4_parse ("10.0.0.256", &ip));
  g_assert_false (ml_ipv4_parse ("10.0.0.1.", &ip));
  g_assert_false (ml_ipv4_parse ("10.00.0.1", &ip));
  g_assert_false (ml_ipv4_parse ("10.0.0.1234", &ip));
  g_assert_false (ml_ipv4_parse (" 10.0.0.1", &ip));
  g_assert_false (ml_ipv4_parse ("", &ip));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/network/route/through-router", test_route_through_router);
  ADD ("/network/route/needs-router", test_route_needs_router);
  g_test_add_func ("/network/route/shortest", test_route_shortest);
  ADD ("/network/udp/send-receive", test_udp_send_receive);
  g_test_add_func ("/network/link/timing", test_timing);
  ADD ("/network/link/down", test_link_down);
  ADD ("/network/link/mtu", test_mtu);
  g_test_add_func ("/network/link/loss-deterministic", test_loss_deterministic);
  ADD ("/network/host/basics", test_hosts);
  ADD ("/network/epoch", test_epoch);
  g_test_add_func ("/network/ipv4-strings", test_ipv4_strings);
#undef ADD

  return g_test_run ();
}

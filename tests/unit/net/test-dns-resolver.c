/* The resolver and the server over the simulated network: answers, the
 * additional section, NXDOMAIN, a lost query recovered by the retry, a
 * timeout, and forged answers ignored. */
#include <string.h>
#include <glib/gstdio.h>

#include "net/network.h"
#include "net/dns-zone.h"
#include "net/dns-server.h"
#include "net/dns-resolver.h"
#include "trace/pcap-writer.h"

#define IP(a, b, c, d) ((guint32) (a) << 24 | (guint32) (b) << 16 | (guint32) (c) << 8 | (guint32) (d))
#define CLIENT_IP IP (192, 0, 2, 10)
#define SERVER_IP IP (192, 0, 2, 53)
#define EVIL_IP   IP (192, 0, 2, 66)

typedef struct {
  MlTrace       *trace;
  MlNetwork     *net;
  MlHost        *client;
  MlHost        *server_host;
  MlHost        *evil;
  MlLink        *link;
  MlDnsZone     *zone;
  MlDnsServer   *server;
  MlDnsResolver *resolver;
  /* What the callback saw. */
  guint          calls;
  MlDnsRcode     rcode;
  guint          tries;
  guint64        done_at;
  GPtrArray     *answers;      /* MlDnsRecord* copies */
  GPtrArray     *additional;
  guint32        address;
  gboolean       has_address;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  MlLinkConfig config;

  fx->trace = ml_trace_new ();
  fx->net = ml_network_new (42, fx->trace);
  fx->client = ml_network_add_host (fx->net, "smtp.a.example", CLIENT_IP, ML_ROLE_MTA);
  fx->server_host = ml_network_add_host (fx->net, "ns.example", SERVER_IP, ML_ROLE_DNS);
  fx->evil = ml_network_add_host (fx->net, "evil.example", EVIL_IP, ML_ROLE_NONE);
  ml_link_config_init (&config);
  config.latency_us = 1000;
  fx->link = ml_network_add_link (fx->net, fx->client, fx->server_host, &config);
  ml_network_add_link (fx->net, fx->evil, fx->client, &config);

  fx->zone = ml_dns_zone_new ();
  ml_dns_zone_add_mx (fx->zone, "b.example", 3600, 10, "mx.b.example", &error);
  ml_dns_zone_add_mx (fx->zone, "b.example", 3600, 20, "mx2.b.example", &error);
  ml_dns_zone_add_a (fx->zone, "mx.b.example", 3600, IP (198, 51, 100, 25), &error);
  ml_dns_zone_add_a (fx->zone, "mx2.b.example", 3600, IP (198, 51, 100, 26), &error);
  ml_dns_zone_add_txt (fx->zone, "b.example", 3600, "v=spf1 mx -all", &error);
  g_assert_no_error (error);

  fx->server = ml_dns_server_new (fx->server_host, fx->zone);
  g_assert_nonnull (fx->server);
  fx->resolver = ml_dns_resolver_new (fx->client, SERVER_IP);
  fx->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_dns_record_free);
  fx->additional = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_dns_record_free);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  ml_dns_resolver_free (fx->resolver);
  ml_dns_server_free (fx->server);
  ml_network_free (fx->net);
  ml_dns_zone_free (fx->zone);
  g_object_unref (fx->trace);
  g_ptr_array_unref (fx->answers);
  g_ptr_array_unref (fx->additional);
}

static void
on_result (MlDnsResolver *resolver, const MlDnsResult *result, gpointer user_data)
{
  Fixture *fx = user_data;

  g_assert_true (resolver == fx->resolver);
  fx->calls++;
  fx->rcode = result->rcode;
  fx->tries = result->tries;
  fx->done_at = ml_scheduler_now (ml_network_get_scheduler (fx->net));
  for (guint i = 0; i < result->answers->len; i++)
    g_ptr_array_add (fx->answers, ml_dns_record_copy (result->answers->pdata[i]));
  for (guint i = 0; i < result->additional->len; i++)
    g_ptr_array_add (fx->additional, ml_dns_record_copy (result->additional->pdata[i]));
  fx->has_address = ml_dns_result_first_a (result, &fx->address);
}

static void
run (Fixture *fx)
{
  ml_scheduler_run (ml_network_get_scheduler (fx->net), G_MAXUINT64);
}

/* The trace's DNS events, "text | detail | key" each. */
static char *
dns_events (Fixture *fx)
{
  GString *out = g_string_new (NULL);

  for (guint64 i = 0; i < ml_trace_get_length (fx->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (fx->trace, i);

      if (e->kind == ML_TRACE_DNS)
        g_string_append_printf (out, "%s: %s | %s | %s\n", e->host, e->text, e->detail, e->explain_key);
    }
  return g_string_free (out, FALSE);
}

/* Hop-0 DNS frames, "host: summary [key]" (with "LOST" when dropped). */
static char *
dns_frames (Fixture *fx)
{
  GString *out = g_string_new (NULL);

  for (guint64 i = 0; i < ml_trace_get_length (fx->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (fx->trace, i);
      g_autoptr(GRegex) re = NULL;
      g_autofree char *text = NULL;

      if (e->kind != ML_TRACE_FRAME || e->hop != 0 || e->protocol != ML_PROTO_DNS)
        continue;
      /* The ID comes from the seeded GRand: compare the rest. */
      re = g_regex_new ("0x[0-9a-f]{4}", 0, 0, NULL);
      text = g_regex_replace_literal (re, e->text, -1, 0, "0xID", 0, NULL);
      g_string_append_printf (out, "%s: %s [%s]%s\n", e->host, text, e->explain_key,
                              e->dropped ? " LOST" : "");
    }
  return g_string_free (out, FALSE);
}

static void
test_mx (Fixture *fx, gconstpointer data)
{
  g_autofree char *events = NULL;
  g_autofree char *frames = NULL;
  const MlDnsRecord *rr;

  ml_dns_resolver_lookup (fx->resolver, "b.example", ML_DNS_TYPE_MX, on_result, fx);
  /* Never from inside the call. */
  g_assert_cmpuint (fx->calls, ==, 0);
  g_assert_cmpuint (ml_dns_resolver_get_pending (fx->resolver), ==, 1);
  run (fx);

  g_assert_cmpuint (fx->calls, ==, 1);
  g_assert_cmpint (fx->rcode, ==, ML_DNS_RCODE_NOERROR);
  g_assert_cmpuint (fx->tries, ==, 1);
  g_assert_cmpuint (fx->answers->len, ==, 2);
  rr = fx->answers->pdata[0];
  g_assert_cmpuint (rr->preference, ==, 10);
  g_assert_cmpstr (rr->value, ==, "mx.b.example");
  /* RFC 1035 3.3.9: the exchanges' addresses come along. */
  g_assert_cmpuint (fx->additional->len, ==, 2);
  rr = fx->additional->pdata[1];
  g_assert_cmpstr (rr->name, ==, "mx2.b.example");
  g_assert_cmphex (rr->address, ==, IP (198, 51, 100, 26));
  g_assert_false (fx->has_address);
  /* One round trip over a 1 ms link, plus serialisation. */
  g_assert_cmpuint (fx->done_at, >=, 2000);
  g_assert_cmpuint (fx->done_at, <, 3000);
  g_assert_cmpuint (ml_dns_resolver_get_pending (fx->resolver), ==, 0);
  g_assert_cmpuint (ml_dns_server_get_query_count (fx->server), ==, 1);

  events = dns_events (fx);
  g_assert_cmpstr (events, ==,
                   "smtp.a.example: MX b.example | 10 mx.b.example, 20 mx2.b.example | dns.mx\n");
  frames = dns_frames (fx);
  g_assert_cmpstr (frames, ==,
                   "smtp.a.example: Standard query 0xID MX b.example [dns.query]\n"
                   "ns.example: Standard query response 0xID MX b.example MX 10 mx.b.example MX 20 mx2.b.example"
                   " A 198.51.100.25 A 198.51.100.26 [dns.response]\n");
}

static void
test_a_and_txt (Fixture *fx, gconstpointer data)
{
  g_autofree char *events = NULL;

  ml_dns_resolver_lookup (fx->resolver, "MX.B.EXAMPLE", ML_DNS_TYPE_A, on_result, fx);
  run (fx);
  g_assert_cmpuint (fx->calls, ==, 1);
  g_assert_true (fx->has_address);
  g_assert_cmphex (fx->address, ==, IP (198, 51, 100, 25));

  ml_dns_resolver_lookup (fx->resolver, "b.example", ML_DNS_TYPE_TXT, on_result, fx);
  run (fx);
  g_assert_cmpuint (fx->calls, ==, 2);
  g_assert_cmpuint (fx->answers->len, ==, 2);
  g_assert_cmpstr (((MlDnsRecord *) fx->answers->pdata[1])->value, ==, "v=spf1 mx -all");

  events = dns_events (fx);
  g_assert_cmpstr (events, ==,
                   "smtp.a.example: A MX.B.EXAMPLE | 198.51.100.25 | dns.a\n"
                   "smtp.a.example: TXT b.example | \"v=spf1 mx -all\" | dns.txt\n");
}

static void
test_nxdomain_and_nodata (Fixture *fx, gconstpointer data)
{
  g_autofree char *events = NULL;
  g_autofree char *frames = NULL;

  ml_dns_resolver_lookup (fx->resolver, "nowhere.example", ML_DNS_TYPE_MX, on_result, fx);
  run (fx);
  g_assert_cmpuint (fx->calls, ==, 1);
  g_assert_cmpint (fx->rcode, ==, ML_DNS_RCODE_NXDOMAIN);
  g_assert_cmpuint (fx->answers->len, ==, 0);

  ml_dns_resolver_lookup (fx->resolver, "mx.b.example", ML_DNS_TYPE_MX, on_result, fx);
  run (fx);
  g_assert_cmpuint (fx->calls, ==, 2);
  g_assert_cmpint (fx->rcode, ==, ML_DNS_RCODE_NOERROR);
  g_assert_cmpuint (fx->answers->len, ==, 0);

  events = dns_events (fx);
  g_assert_cmpstr (events, ==,
                   "smtp.a.example: MX nowhere.example | NXDOMAIN | dns.nxdomain\n"
                   "smtp.a.example: MX mx.b.example | no MX records (NODATA) | dns.nodata\n");
  frames = dns_frames (fx);
  g_assert_true (strstr (frames, "ns.example: Standard query response 0xID No such name MX nowhere.example [dns.response]\n") != NULL);
}

static void
restore_link (gpointer data)
{
  ml_link_set_loss (data, 0.0);
}

static void
test_lost_query_retried (Fixture *fx, gconstpointer data)
{
  g_autofree char *frames = NULL;

  /* The first query is lost for certain; the link heals before the retry. */
  ml_link_set_loss (fx->link, 1.0);
  ml_scheduler_schedule (ml_network_get_scheduler (fx->net), 500000, restore_link, fx->link, NULL);
  ml_dns_resolver_lookup (fx->resolver, "b.example", ML_DNS_TYPE_MX, on_result, fx);
  run (fx);

  g_assert_cmpuint (fx->calls, ==, 1);
  g_assert_cmpint (fx->rcode, ==, ML_DNS_RCODE_NOERROR);
  g_assert_cmpuint (fx->tries, ==, 2);
  g_assert_cmpuint (fx->answers->len, ==, 2);
  g_assert_cmpuint (fx->done_at, >=, ML_DNS_RESOLVER_TIMEOUT_US + 2000);
  g_assert_cmpuint (fx->done_at, <, ML_DNS_RESOLVER_TIMEOUT_US + 3000);
  g_assert_cmpuint (ml_dns_server_get_query_count (fx->server), ==, 1);
  frames = dns_frames (fx);
  g_assert_cmpstr (frames, ==,
                   "smtp.a.example: Standard query 0xID MX b.example [dns.query] LOST\n"
                   "smtp.a.example: Standard query 0xID MX b.example [dns.query]\n"
                   "ns.example: Standard query response 0xID MX b.example MX 10 mx.b.example MX 20 mx2.b.example"
                   " A 198.51.100.25 A 198.51.100.26 [dns.response]\n");
}

static void
test_timeout (Fixture *fx, gconstpointer data)
{
  g_autofree char *events = NULL;
  g_autofree char *frames = NULL;

  ml_link_set_up (fx->link, FALSE);
  ml_dns_resolver_lookup (fx->resolver, "b.example", ML_DNS_TYPE_MX, on_result, fx);
  run (fx);

  g_assert_cmpuint (fx->calls, ==, 1);
  g_assert_cmpint (fx->rcode, ==, ML_DNS_RCODE_TIMEOUT);
  g_assert_cmpuint (fx->tries, ==, ML_DNS_RESOLVER_TRIES);
  g_assert_cmpuint (fx->answers->len, ==, 0);
  g_assert_cmpuint (fx->done_at, ==, ML_DNS_RESOLVER_TRIES * ML_DNS_RESOLVER_TIMEOUT_US);
  events = dns_events (fx);
  g_assert_cmpstr (events, ==, "smtp.a.example: MX b.example | timeout | dns.timeout\n");
  frames = dns_frames (fx);
  g_assert_cmpstr (frames, ==,
                   "smtp.a.example: Standard query 0xID MX b.example [dns.query] LOST\n"
                   "smtp.a.example: Standard query 0xID MX b.example [dns.query] LOST\n"
                   "smtp.a.example: Standard query 0xID MX b.example [dns.query] LOST\n");
}

/* tshark reads the frames as DNS and prints, for each, the summary the
 * trace already has. */
static void
test_tshark_agrees (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GString) want = g_string_new (NULL);
  g_autoptr(MlPcapWriter) w = NULL;
  int status;

  if (tshark == NULL)
    {
      g_test_skip ("tshark is not installed");
      return;
    }
  dir = g_dir_make_tmp ("ml-dns-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "dns.pcap", NULL);
  w = ml_pcap_writer_new (path, ml_network_get_epoch (fx->net), &error);
  g_assert_no_error (error);
  ml_pcap_writer_attach (w, fx->trace);
  ml_dns_resolver_lookup (fx->resolver, "b.example", ML_DNS_TYPE_MX, on_result, fx);
  ml_dns_resolver_lookup (fx->resolver, "nowhere.example", ML_DNS_TYPE_A, on_result, fx);
  ml_dns_resolver_lookup (fx->resolver, "b.example", ML_DNS_TYPE_TXT, on_result, fx);
  run (fx);
  g_assert_true (ml_pcap_writer_close (w, &error));
  g_assert_cmpuint (fx->calls, ==, 3);

  for (guint64 i = 0; i < ml_trace_get_length (fx->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (fx->trace, i);

      if (e->kind == ML_TRACE_FRAME && e->hop == 0)
        g_string_append_printf (want, "%s\n", e->text);
    }
  {
    const char *argv[] = { tshark, "-n", "-r", path, "-T", "fields", "-e", "_ws.col.Info", NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, NULL))
      g_error ("tshark failed: %s", err);
  }
  g_unlink (path);
  g_rmdir (dir);
  g_assert_cmpuint (strlen (want->str), >, 0);
  g_assert_cmpstr (out, ==, want->str);
}

/* ---- forged answers ------------------------------------------------------ */

typedef struct {
  Fixture *fx;
  guint16  id;
  guint16  port;
} Forgery;

static void
watch_query (MlTrace *trace, const MlTraceEvent *e, gpointer data)
{
  Forgery *f = data;
  const guint8 *p;
  gsize len;

  if (e->kind != ML_TRACE_FRAME || e->hop != 0 || g_strcmp0 (e->explain_key, "dns.query") != 0)
    return;
  p = g_bytes_get_data (e->bytes, &len);
  /* Ethernet 14 + IPv4 20: UDP source port, then 8 octets on, the ID. */
  g_assert_cmpuint (len, >=, 14 + 20 + 8 + 2);
  f->port = (guint16) (p[34] << 8 | p[35]);
  f->id = (guint16) (p[42] << 8 | p[43]);
}

static void
send_forgeries (gpointer data)
{
  Forgery *f = data;
  g_autoptr(MlDnsMessage) m = ml_dns_message_new ();
  g_autoptr(GBytes) b = NULL;

  g_assert_cmpuint (f->port, !=, 0);
  m->response = TRUE;
  m->recursion_desired = TRUE;
  ml_dns_message_add_question (m, "mx.b.example", ML_DNS_TYPE_A);
  g_ptr_array_add (m->answers, ml_dns_record_new_a ("mx.b.example", 60, EVIL_IP));

  /* Right ID and question, but from an address we never asked. */
  m->id = f->id;
  b = ml_dns_message_encode (m, ML_DNS_MAX_UDP_MESSAGE, NULL);
  ml_host_udp_send (f->fx->evil, ML_DNS_PORT, CLIENT_IP, f->port,
                    g_bytes_get_data (b, NULL), g_bytes_get_size (b), ML_PROTO_DNS, "forged", "dns.forged");
  g_clear_pointer (&b, g_bytes_unref);
  /* Wrong ID. */
  m->id = (guint16) (f->id + 1);
  b = ml_dns_message_encode (m, ML_DNS_MAX_UDP_MESSAGE, NULL);
  ml_host_udp_send (f->fx->evil, ML_DNS_PORT, CLIENT_IP, f->port,
                    g_bytes_get_data (b, NULL), g_bytes_get_size (b), ML_PROTO_DNS, "forged", "dns.forged");
  g_clear_pointer (&b, g_bytes_unref);
  /* Right ID from a port other than 53. */
  m->id = f->id;
  b = ml_dns_message_encode (m, ML_DNS_MAX_UDP_MESSAGE, NULL);
  ml_host_udp_send (f->fx->evil, 5353, CLIENT_IP, f->port,
                    g_bytes_get_data (b, NULL), g_bytes_get_size (b), ML_PROTO_DNS, "forged", "dns.forged");
  /* Garbage. */
  ml_host_udp_send (f->fx->evil, ML_DNS_PORT, CLIENT_IP, f->port,
                    (const guint8 *) "\x01", 1, ML_PROTO_DNS, "forged", "dns.forged");
}

static void
test_forged_answers_ignored (Fixture *fx, gconstpointer data)
{
  Forgery f = { fx, 0, 0 };
  guint id = ml_trace_add_listener (fx->trace, watch_query, &f, NULL);
  guint forged_arrived = 0;

  ml_dns_resolver_lookup (fx->resolver, "mx.b.example", ML_DNS_TYPE_A, on_result, fx);
  /* Sent at 0.2 ms, the forgeries arrive before the real answer (2 ms). */
  ml_scheduler_schedule (ml_network_get_scheduler (fx->net), 200, send_forgeries, &f, NULL);
  run (fx);
  ml_trace_remove_listener (fx->trace, id);

  for (guint64 i = 0; i < ml_trace_get_length (fx->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (fx->trace, i);

      if (e->kind == ML_TRACE_FRAME && !e->dropped && g_strcmp0 (e->explain_key, "dns.forged") == 0)
        {
          g_assert_cmpuint (e->time_us, <, 2000);
          forged_arrived++;
        }
    }
  g_assert_cmpuint (forged_arrived, ==, 4);
  g_assert_cmpuint (fx->calls, ==, 1);
  g_assert_true (fx->has_address);
  g_assert_cmphex (fx->address, ==, IP (198, 51, 100, 25));
}

/* ---- lifetime ----------------------------------------------------------- */

static void
never_called (MlDnsResolver *resolver, const MlDnsResult *result, gpointer user_data)
{
  g_assert_not_reached ();
}

static void
test_free_with_pending (Fixture *fx, gconstpointer data)
{
  ml_dns_resolver_lookup (fx->resolver, "b.example", ML_DNS_TYPE_MX, never_called, NULL);
  ml_dns_resolver_lookup (fx->resolver, "b.example", ML_DNS_TYPE_A, never_called, NULL);
  ml_scheduler_run (ml_network_get_scheduler (fx->net), 500);
  g_assert_cmpuint (ml_dns_resolver_get_pending (fx->resolver), ==, 2);
  g_clear_pointer (&fx->resolver, ml_dns_resolver_free);
  /* The answers arrive at closed ports and the timers are gone. */
  run (fx);
  g_assert_cmpuint (ml_scheduler_pending (ml_network_get_scheduler (fx->net)), ==, 0);
}

static void
free_resolver_in_callback (MlDnsResolver *resolver, const MlDnsResult *result, gpointer user_data)
{
  Fixture *fx = user_data;

  fx->calls++;
  g_clear_pointer (&fx->resolver, ml_dns_resolver_free);
}

static void
test_free_in_callback (Fixture *fx, gconstpointer data)
{
  ml_dns_resolver_lookup (fx->resolver, "b.example", ML_DNS_TYPE_MX, free_resolver_in_callback, fx);
  ml_dns_resolver_lookup (fx->resolver, "b.example", ML_DNS_TYPE_TXT, free_resolver_in_callback, fx);
  run (fx);
  /* The second lookup went with the resolver. */
  g_assert_cmpuint (fx->calls, ==, 1);
  g_assert_null (fx->resolver);
}

static void
test_invalid_name (Fixture *fx, gconstpointer data)
{
  g_autofree char *frames = NULL;

  ml_dns_resolver_lookup (fx->resolver, "bad..name", ML_DNS_TYPE_A, on_result, fx);
  g_assert_cmpuint (fx->calls, ==, 0);
  run (fx);
  g_assert_cmpuint (fx->calls, ==, 1);
  g_assert_cmpint (fx->rcode, ==, ML_DNS_RCODE_FORMERR);
  g_assert_cmpuint (fx->tries, ==, 0);
  frames = dns_frames (fx);
  g_assert_cmpstr (frames, ==, "");
}

static void
count_call (MlDnsResolver *resolver, const MlDnsResult *result, gpointer user_data)
{
  guint *calls = user_data;

  (*calls)++;
}

static void
test_port_53_taken (Fixture *fx, gconstpointer data)
{
  g_assert_null (ml_dns_server_new (fx->server_host, fx->zone));
}

/* One seed, one trace: the same lookups over a lossy link twice give the
 * same events, IDs and losses included. */
static char *
run_seeded (guint32 seed)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  MlNetwork *net = ml_network_new (seed, trace);
  MlHost *c = ml_network_add_host (net, "c", CLIENT_IP, ML_ROLE_MTA);
  MlHost *s = ml_network_add_host (net, "s", SERVER_IP, ML_ROLE_DNS);
  MlLink *link = ml_network_add_link (net, c, s, NULL);
  g_autoptr(MlDnsZone) zone = ml_dns_zone_new ();
  MlDnsServer *server;
  MlDnsResolver *resolver;
  GString *out = g_string_new (NULL);
  guint calls = 0;

  ml_dns_zone_add_mx (zone, "b.example", 60, 10, "mx.b.example", NULL);
  ml_link_set_loss (link, 0.3);
  server = ml_dns_server_new (s, zone);
  resolver = ml_dns_resolver_new (c, SERVER_IP);
  for (int i = 0; i < 5; i++)
    ml_dns_resolver_lookup (resolver, "b.example", ML_DNS_TYPE_MX, count_call, &calls);
  ml_scheduler_run (ml_network_get_scheduler (net), G_MAXUINT64);
  g_assert_cmpuint (calls, ==, 5);
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      g_string_append_printf (out, "%" G_GUINT64_FORMAT " %s %s %d\n", e->time_us, e->text,
                              e->detail ? e->detail : "", e->dropped);
    }
  ml_dns_resolver_free (resolver);
  ml_dns_server_free (server);
  ml_network_free (net);
  return g_string_free (out, FALSE);
}

static void
test_deterministic (void)
{
  g_autofree char *a = run_seeded (7);
  g_autofree char *b = run_seeded (7);
  g_autofree char *c = run_seeded (8);

  g_assert_cmpstr (a, ==, b);
  /* And the seed does matter (IDs at least differ). */
  g_assert_cmpstr (a, !=, c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/dns-resolver/mx", test_mx);
  ADD ("/dns-resolver/a-and-txt", test_a_and_txt);
  ADD ("/dns-resolver/nxdomain-and-nodata", test_nxdomain_and_nodata);
  ADD ("/dns-resolver/lost-query-retried", test_lost_query_retried);
  ADD ("/dns-resolver/timeout", test_timeout);
  ADD ("/dns-resolver/forged-answers-ignored", test_forged_answers_ignored);
  ADD ("/dns-resolver/tshark-agrees", test_tshark_agrees);
  ADD ("/dns-resolver/free-with-pending", test_free_with_pending);
  ADD ("/dns-resolver/free-in-callback", test_free_in_callback);
  ADD ("/dns-resolver/invalid-name", test_invalid_name);
  ADD ("/dns-server/port-53-taken", test_port_53_taken);
#undef ADD
  g_test_add_func ("/dns-resolver/deterministic", test_deterministic);

  return g_test_run ();
}

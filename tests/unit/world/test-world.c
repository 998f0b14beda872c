/* The world end to end: lessons' mail really arrives, refusals really
 * refuse, MX fallback really falls back, and a seed is a seed. */
#include <string.h>
#include "world/world.h"
#include "world/smtp-session.h"
#include "trace/transcript-writer.h"
#include "trace/trace-stats.h"

/* A compact world like lesson 01's; %s slots: extra hosts, extra links,
 * b.example's MX records, the recipients. */
static const char world_template[] =
  "title: test world\n"
  "seed: 3\n"
  "hosts:\n"
  "  - { name: alice-laptop, roles: [MUA], ip: 10.1.0.10, submission: smtp.a.example }\n"
  "  - { name: smtp.a.example, roles: [MSA, MTA], ip: 10.1.0.25, domains: [a.example] }\n"
  "  - { name: ns.example, roles: [DNS], ip: 10.1.0.53 }\n"
  "  - { name: rtr, roles: [router], ip: 10.0.0.1 }\n"
  "  - { name: mx.b.example, roles: [MTA], ip: 10.2.0.25, domains: [b.example], relay_to: mail.b.example }\n"
  "  - { name: mail.b.example, roles: [MDA], ip: 10.2.0.30, domains: [b.example] }\n"
  "%s"
  "links:\n"
  "  - { between: [alice-laptop, rtr], latency: 1ms }\n"
  "  - { between: [smtp.a.example, rtr], latency: 1ms }\n"
  "  - { between: [ns.example, rtr], latency: 1ms }\n"
  "  - { between: [mx.b.example, rtr], latency: 10ms }\n"
  "  - { between: [mail.b.example, rtr], latency: 1ms }\n"
  "%s"
  "dns:\n"
  "%s"
  "accounts:\n"
  "  - { address: bob@b.example, password: pw }\n"
  "steps:\n"
  "  - action: send\n"
  "    host: alice-laptop\n"
  "    from: alice@a.example\n"
  "    to: [%s]\n"
  "    subject: Hello\n"
  "    body: |\n"
  "      Hi Bob,\n"
  "      .a line that starts with a dot\n";

static const char default_mx[] = "  - { name: b.example, type: MX, preference: 10, value: mx.b.example }\n";

typedef struct {
  MlLesson *lesson;
  MlTrace  *trace;
  MlWorld  *world;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->world, ml_world_free);
  g_clear_object (&run->trace);
  g_clear_pointer (&run->lesson, ml_lesson_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
run_yaml (Run *run, const char *yaml, guint32 seed)
{
  g_autoptr(GError) error = NULL;

  run->lesson = ml_lesson_load_data (yaml, strlen (yaml), "test.yaml", &error);
  g_assert_no_error (error);
  run->trace = ml_trace_new ();
  run->world = ml_world_new (run->lesson, seed, run->trace, &error);
  g_assert_no_error (error);
  ml_world_run (run->world);
}

static void
run_template (Run *run, const char *hosts, const char *links, const char *mx, const char *to)
{
  g_autofree char *yaml = g_strdup_printf (world_template, hosts, links, mx, to);

  run_yaml (run, yaml, 3);
}

static guint
count_notes (MlTrace *trace, const char *explain_key, const char *host)
{
  guint n = 0;

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      if (e->kind == ML_TRACE_NOTE && g_strcmp0 (e->explain_key, explain_key) == 0
          && (host == NULL || g_strcmp0 (e->host, host) == 0))
        n++;
    }
  return n;
}

static guint
count_occurrences (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = haystack; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

static void
test_delivery (void)
{
  g_auto(Run) run = { 0 };
  MlMailStore *store;
  MlMailbox *inbox;
  g_autofree char *text = NULL;
  gsize len;

  run_template (&run, "", "", default_mx, "bob@b.example");
  store = ml_world_get_store (run.world, "B.example");
  g_assert_nonnull (store);
  inbox = ml_account_get_inbox (ml_mail_store_find_account (store, "bob@b.example"));
  g_assert_cmpuint (ml_mailbox_get_count (inbox), ==, 1);

  text = g_strndup (g_bytes_get_data (ml_message_get_data (ml_mailbox_get_message (inbox, 0)), &len),
                    ml_message_get_size (ml_mailbox_get_message (inbox, 0)));
  /* RFC 5321 4.4: Return-Path first, then one Received: per hop. */
  g_assert_true (g_str_has_prefix (text, "Return-Path: <alice@a.example>\r\nReceived: from mx.b.example"));
  g_assert_cmpuint (count_occurrences (text, "\r\nReceived: "), ==, 3);
  g_assert_nonnull (strstr (text, "\r\nSubject: Hello\r\n"));
  /* Dot-stuffing went on and came off again. */
  g_assert_nonnull (strstr (text, "\r\n.a line that starts with a dot\r\n"));
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.delivered", "smtp.a.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.delivered", "mx.b.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.failed", NULL), ==, 0);
}

static void
test_stats (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(MlTraceStats) stats = ml_trace_stats_new ();
  const MlProtocolStats *smtp, *dns;
  g_autofree char *line = NULL;

  run_template (&run, "", "", default_mx, "bob@b.example");
  for (guint64 i = 0; i < ml_trace_get_length (run.trace); i++)
    ml_trace_stats_add_event (stats, ml_trace_get_event (run.trace, i));
  smtp = ml_trace_stats_get (stats, ML_PROTO_SMTP);
  /* Submission, relay, final hop: each EHLO, MAIL+RCPT+DATA pipelined, the
   * content, QUIT — four turns after the handshake. */
  g_assert_cmpuint (smtp->sessions, ==, 3);
  g_assert_cmpuint (smtp->round_trips, ==, 3 * 5);
  g_assert_cmpuint (smtp->commands, ==, 3 * 6);
  g_assert_cmpuint (smtp->replies, ==, 3 * 7);
  g_assert_cmpuint (smtp->payload_bytes, >, 1000);
  g_assert_cmpuint (smtp->wire_bytes, >, smtp->payload_bytes);
  dns = ml_trace_stats_get (stats, ML_PROTO_DNS);
  g_assert_cmpuint (dns->frames, ==, 2 * 4);  /* A smtp.a, MX b, A mx.b, A mail.b */
  line = ml_protocol_stats_describe (smtp);
  g_assert_true (g_str_has_prefix (line, "SMTP: 3 sessions, 15 round trips, "));
}

static void
test_unknown_recipient (void)
{
  g_auto(Run) run = { 0 };
  MlMailStore *store;
  gboolean saw_550 = FALSE;

  run_template (&run, "", "", default_mx, "carol@b.example");
  store = ml_world_get_store (run.world, "b.example");
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_get_inbox (ml_mail_store_find_account (store, "bob@b.example"))), ==, 0);
  /* The MX accepts for its domain; the MDA knows the users and refuses.
   * The MX's bounce to alice@a.example fails too: a.example has neither
   * MX nor address in this world (RFC 5321 5.1), and a bounce is never
   * bounced (RFC 3461 6.1). */
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.failed", "mx.b.example"), ==, 2);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.bounce-null-sender", "mx.b.example"), ==, 1);
  for (guint64 i = 0; i < ml_trace_get_length (run.trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (run.trace, i);
      if (e->kind == ML_TRACE_DIALOGUE && e->code == 550 && g_strcmp0 (e->host, "mail.b.example") == 0)
        saw_550 = strstr (e->text, "5.1.1") != NULL;
    }
  g_assert_true (saw_550);
}

static void
test_mx_fallback (void)
{
  g_auto(Run) run = { 0 };
  MlMailStore *store;

  /* The preferred MX is up but runs no SMTP server: its RST refuses the
   * connection, and the queue goes on to the next MX (RFC 5321 5.1). */
  run_template (&run,
                "  - { name: mx1.b.example, roles: [MUA], ip: 10.2.0.24 }\n",
                "  - { between: [mx1.b.example, rtr], latency: 1ms }\n",
                "  - { name: b.example, type: MX, preference: 5, value: mx1.b.example }\n"
                "  - { name: b.example, type: MX, preference: 10, value: mx.b.example }\n",
                "bob@b.example");
  store = ml_world_get_store (run.world, "b.example");
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_get_inbox (ml_mail_store_find_account (store, "bob@b.example"))), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.next-mx", "smtp.a.example"), ==, 1);
}

static void
on_relay_done (MlSmtpClient *client, const GError *error, gpointer user_data)
{
  guint *code = user_data;
  const MlSmtpClientResult *result = ml_smtp_client_get_result (client, 0);

  g_assert_cmpint (result->recipients[0].outcome, ==, ML_SMTP_OUTCOME_PERMANENT);
  *code = result->recipients[0].code;
}

static void
test_no_open_relay (void)
{
  g_auto(Run) run = { 0 };
  MlNetwork *net;
  MlSmtpClientConfig config;
  MlSmtpClient *client;
  const char *rcpts[] = { "someone@elsewhere.example", NULL };
  g_autoptr(GBytes) msg = g_bytes_new_static ("Subject: spam\r\n\r\nx\r\n", 20);
  guint code = 0;

  run_template (&run, "", "", default_mx, "bob@b.example");
  net = ml_world_get_network (run.world);
  ml_smtp_client_config_init (&config);
  config.helo_name = "alice-laptop";
  client = ml_smtp_client_new (&config);
  ml_smtp_client_add_message (client, "alice@a.example", rcpts, msg);
  /* A stranger asks Bob's MX to carry mail elsewhere: refused. */
  ml_smtp_client_session_start (net, ml_network_find_host (net, "alice-laptop"),
                                ml_host_get_ipv4 (ml_network_find_host (net, "mx.b.example")),
                                25, client, on_relay_done, &code);
  ml_scheduler_run (ml_network_get_scheduler (net), G_MAXUINT64);
  g_assert_cmpuint (code, ==, 554);
}

static char *
transcript_of (MlTrace *trace)
{
  GString *out = g_string_new (NULL);

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      g_autofree char *line = ml_transcript_format_event (e);

      g_string_append (out, line);
      if (e->bytes)
        {
          g_autofree char *hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, e->bytes);
          g_string_append_printf (out, " %s", hex);
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

static void
test_deterministic (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("ML_SOURCE_DIR"), "lessons", "02-tcp-under-loss.yaml", NULL);
  g_autofree char *yaml = NULL;
  g_auto(Run) a = { 0 };
  g_auto(Run) b = { 0 };
  g_auto(Run) c = { 0 };
  g_autofree char *ta = NULL, *tb = NULL, *tc = NULL;

  g_assert_true (g_file_get_contents (path, &yaml, NULL, NULL));
  run_yaml (&a, yaml, 7);
  run_yaml (&b, yaml, 7);
  run_yaml (&c, yaml, 8);
  ta = transcript_of (a.trace);
  tb = transcript_of (b.trace);
  tc = transcript_of (c.trace);
  g_assert_cmpstr (ta, ==, tb);
  g_assert_cmpstr (ta, !=, tc);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/world/delivery", test_delivery);
  g_test_add_func ("/world/stats", test_stats);
  g_test_add_func ("/world/unknown-recipient", test_unknown_recipient);
  g_test_add_func ("/world/mx-fallback", test_mx_fallback);
  g_test_add_func ("/world/no-open-relay", test_no_open_relay);
  g_test_add_func ("/world/deterministic", test_deterministic);
  return g_test_run ();
}

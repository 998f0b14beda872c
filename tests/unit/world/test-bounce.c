/* Delivery in the world: bounces (RFC 3464 DSNs from <>) for a 5yz and
 * for an expired message, read back with dsn.h; the queue's retry times;
 * no bounce to a bounce; NOTIFY=NEVER; a greylisting fault; the implicit
 * MX after a DNS fault; LMTP's per-recipient replies on port 24. */
#include <string.h>
#include "world/world.h"
#include "mail/dsn.h"
#include "mail/mail-queue.h"

/* a.example has its own MDA (so bounces land in Alice's INBOX); b.example
 * an MX relaying to its MDA. %s slots: extra keys for mx.b.example, for
 * mail.b.example, extra accounts, the steps. */
static const char world_template[] =
  "title: bounce world\n"
  "seed: 9\n"
  "hosts:\n"
  "  - { name: alice-laptop, roles: [MUA], ip: 10.1.0.10, submission: smtp.a.example }\n"
  "  - { name: smtp.a.example, roles: [MSA, MTA, MDA], ip: 10.1.0.25, domains: [a.example] }\n"
  "  - { name: ns.example, roles: [DNS], ip: 10.1.0.53 }\n"
  "  - { name: rtr, roles: [router], ip: 10.0.0.1 }\n"
  "  - { name: mx.b.example, roles: [MTA], ip: 10.2.0.25, domains: [b.example], relay_to: mail.b.example%s }\n"
  "  - { name: mail.b.example, roles: [MDA], ip: 10.2.0.30, domains: [b.example]%s }\n"
  "links:\n"
  "  - { between: [alice-laptop, rtr], latency: 1ms }\n"
  "  - { between: [smtp.a.example, rtr], latency: 1ms }\n"
  "  - { between: [ns.example, rtr], latency: 1ms }\n"
  "  - { between: [mx.b.example, rtr], latency: 10ms }\n"
  "  - { between: [mail.b.example, rtr], latency: 1ms }\n"
  "dns:\n"
  "  - { name: a.example, type: MX, preference: 10, value: smtp.a.example }\n"
  "  - { name: b.example, type: MX, preference: 10, value: mx.b.example }\n"
  "  - { name: b.example, type: A, value: 10.2.0.30 }\n"
  "accounts:\n"
  "  - { address: alice@a.example, password: pw }\n"
  "  - { address: bob@b.example, password: pw }\n"
  "%s"
  "steps:\n"
  "%s";

static const char send_to_carol[] =
  "  - action: send\n"
  "    host: alice-laptop\n"
  "    from: alice@a.example\n"
  "    to: [carol@b.example]\n"
  "    subject: Hello Carol\n"
  "    body: Hi\n";

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
run_world (Run *run, const char *mx_keys, const char *mda_keys, const char *accounts,
           const char *steps)
{
  g_autofree char *yaml = g_strdup_printf (world_template, mx_keys, mda_keys, accounts, steps);
  g_autoptr(GError) error = NULL;

  run->lesson = ml_lesson_load_data (yaml, strlen (yaml), "bounce.yaml", &error);
  g_assert_no_error (error);
  run->trace = ml_trace_new ();
  run->world = ml_world_new (run->lesson, 9, run->trace, &error);
  g_assert_no_error (error);
  ml_world_run (run->world);
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

static MlMailbox *
inbox_of (Run *run, const char *address)
{
  MlMailStore *store = ml_world_get_store (run->world, strchr (address, '@') + 1);

  g_assert_nonnull (store);
  return ml_account_get_inbox (ml_mail_store_find_account (store, address));
}

/* Message @index of @address's INBOX as stored (transfer full). */
static GBytes *
stored_message (Run *run, const char *address, guint index)
{
  MlMailbox *inbox = inbox_of (run, address);

  g_assert_cmpuint (ml_mailbox_get_count (inbox), >, index);
  return g_bytes_ref (ml_message_get_data (ml_mailbox_get_message (inbox, index)));
}

static MlDsnReport *
parse_bounce (Run *run, guint index)
{
  g_autoptr(GBytes) data = stored_message (run, "alice@a.example", index);
  g_autoptr(GError) error = NULL;
  MlDsnReport *report;

  /* RFC 5321 4.4: delivered from the null reverse-path. */
  g_autofree char *head = g_strndup (g_bytes_get_data (data, NULL), 17);
  g_assert_cmpstr (head, ==, "Return-Path: <>\r\n");
  report = ml_dsn_parse (data, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  g_assert_cmpstr (report->report_type, ==, "delivery-status");
  return report;
}

/* A client command line sent by @host, counted. */
static guint
count_commands (MlTrace *trace, const char *host, const char *prefix)
{
  guint n = 0;

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      if (e->kind == ML_TRACE_DIALOGUE && e->direction == ML_DIR_CLIENT_TO_SERVER
          && g_strcmp0 (e->host, host) == 0 && e->text && g_str_has_prefix (e->text, prefix))
        n++;
    }
  return n;
}

/* The first such command line (borrowed). */
static const char *
find_command (MlTrace *trace, const char *host, const char *prefix)
{
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      if (e->kind == ML_TRACE_DIALOGUE && e->direction == ML_DIR_CLIENT_TO_SERVER
          && g_strcmp0 (e->host, host) == 0 && e->text && g_str_has_prefix (e->text, prefix))
        return e->text;
    }
  return "";
}

static void
test_permanent (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(MlDsnReport) report = NULL;
  const MlDsnParsedRecipient *r;

  run_world (&run, "", "", "", send_to_carol);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.failed", "mx.b.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.bounce", "mx.b.example"), ==, 1);
  /* The bounce travels by MX like any mail, from <> (RFC 3461 6.1). */
  g_assert_cmpuint (count_commands (run.trace, "mx.b.example", "MAIL FROM:<>"), ==, 1);
  g_assert_cmpuint (ml_mailbox_get_count (inbox_of (&run, "alice@a.example")), ==, 1);

  report = parse_bounce (&run, 0);
  g_assert_cmpstr (report->reporting_mta, ==, "dns; mx.b.example");
  g_assert_cmpstr (report->to, ==, "alice@a.example");
  g_assert_cmpuint (report->recipients->len, ==, 1);
  r = report->recipients->pdata[0];
  g_assert_cmpstr (r->final_recipient, ==, "rfc822; carol@b.example");
  g_assert_cmpstr (r->action, ==, "failed");
  g_assert_cmpstr (r->status, ==, "5.1.1");
  g_assert_cmpstr (r->remote_mta, ==, "dns; mail.b.example");
  g_assert_true (g_str_has_prefix (r->diagnostic_code, "smtp; 550 5.1.1 <carol@b.example>"));
  g_assert_null (r->original_recipient);
  /* No RET: the whole message comes back (dsn.h). */
  g_assert_cmpstr (report->returned_type, ==, "message/rfc822");
  g_assert_nonnull (report->returned);
}

/* Backoff as mail-queue.h promises: 300 s doubling, at most 4000 s. */
static guint64
expected_backoff_s (guint attempt)
{
  guint64 b = 300;

  for (guint i = 1; i < attempt && b < 4000; i++)
    b *= 2;
  return MIN (b, 4000);
}

static void
test_expiry (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(MlDsnReport) report = NULL;
  const MlDsnParsedRecipient *r;
  g_autofree char *steps = g_strconcat (
    "  - action: send\n"
    "    host: alice-laptop\n"
    "    from: alice@a.example\n"
    "    to: [bob@b.example]\n"
    "    subject: Never arrives\n"
    "    faults:\n"
    "      - { host: mx.b.example, command: RCPT, reply: \"451 4.7.1 Greylisted, try again later\", times: 0 }\n",
    NULL);
  guint attempts = 0;
  guint64 first_try_us = 0, last_try_us = 0, expired_us = 0;

  run_world (&run, "", "", "", steps);
  /* Each deferral names the next gap: 300, 600, 1200, 2400, 4000, 4000… */
  for (guint64 i = 0; i < ml_trace_get_length (run.trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (run.trace, i);

      if (e->kind == ML_TRACE_DIALOGUE && g_strcmp0 (e->host, "smtp.a.example") == 0
          && g_strcmp0 (e->peer, "mx.b.example") == 0 && g_strcmp0 (e->verb, "MAIL") == 0)
        {
          if (attempts == 0)
            first_try_us = e->time_us;
          else
            /* The next session starts one backoff after the previous
             * attempt finished, a fraction of a second after it began. */
            {
              guint64 gap = e->time_us - last_try_us;
              guint64 want = expected_backoff_s (attempts) * G_USEC_PER_SEC;
              g_assert_cmpuint (gap, >=, want);
              g_assert_cmpuint (gap, <, want + G_USEC_PER_SEC);
            }
          last_try_us = e->time_us;
          attempts++;
        }
      if (e->kind == ML_TRACE_NOTE && g_strcmp0 (e->explain_key, "smtp.queue.expired") == 0)
        expired_us = e->time_us;
    }
  /* 300+600+1200+2400 = 4500 s, then 4000 s steps: in 5 days (432000 s)
   * the attempts start at 0, 300, 900, 2100, 4500, 8500, … */
  g_assert_cmpuint (attempts, ==, 5 + (432000 - 4500) / 4000);
  g_assert_cmpuint (expired_us - first_try_us, <=, ML_QUEUE_LIFETIME_US);
  g_assert_cmpuint (expired_us - first_try_us + G_GUINT64_CONSTANT (4000) * G_USEC_PER_SEC, >, ML_QUEUE_LIFETIME_US);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.expired", "smtp.a.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "lesson.fault.reply-sent", "mx.b.example"), ==, attempts);

  /* smtp.a.example bounces to its own user: straight into the INBOX. */
  report = parse_bounce (&run, 0);
  g_assert_cmpstr (report->reporting_mta, ==, "dns; smtp.a.example");
  r = report->recipients->pdata[0];
  g_assert_cmpstr (r->final_recipient, ==, "rfc822; bob@b.example");
  g_assert_cmpstr (r->action, ==, "failed");
  g_assert_cmpstr (r->status, ==, "5.4.7");
  g_assert_cmpstr (r->remote_mta, ==, "dns; mx.b.example");
  g_assert_cmpstr (r->diagnostic_code, ==, "smtp; 451 4.7.1 Greylisted, try again later");
}

static void
test_greylisting (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *steps = g_strconcat (
    "  - action: send\n"
    "    host: alice-laptop\n"
    "    from: alice@a.example\n"
    "    to: [bob@b.example]\n"
    "    subject: Second time lucky\n"
    "    faults:\n"
    "      - { host: mx.b.example, command: RCPT, reply: \"451 4.7.1 Greylisted, try again later\" }\n",
    NULL);
  guint n451 = 0;

  run_world (&run, "", "", "", steps);
  for (guint64 i = 0; i < ml_trace_get_length (run.trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (run.trace, i);
      if (e->kind == ML_TRACE_DIALOGUE && e->code == 451 && g_strcmp0 (e->host, "mx.b.example") == 0)
        n451++;
    }
  /* times defaults to 1: the retry 300 s later passes. */
  g_assert_cmpuint (n451, ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "lesson.fault.reply", "mx.b.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.deferred", "smtp.a.example"), ==, 1);
  g_assert_cmpuint (ml_mailbox_get_count (inbox_of (&run, "bob@b.example")), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.bounce", NULL), ==, 0);
}

static void
test_null_sender (void)
{
  g_auto(Run) run = { 0 };
  /* A bounce that itself fails, typed at the MX by hand from <>. */
  static const char steps[] =
    "  - action: console\n"
    "    host: alice-laptop\n"
    "    server: mx.b.example\n"
    "    protocol: smtp\n"
    "    port: 25\n"
    "    lines:\n"
    "      - EHLO alice-laptop\n"
    "      - MAIL FROM:<>\n"
    "      - RCPT TO:<carol@b.example>\n"
    "      - DATA\n"
    "      - \"Subject: a notification\"\n"
    "      - \"\"\n"
    "      - body\n"
    "      - \".\"\n"
    "      - QUIT\n";

  run_world (&run, "", "", "", steps);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.failed", "mx.b.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.bounce-null-sender", "mx.b.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.bounce", NULL), ==, 0);
  g_assert_cmpuint (count_commands (run.trace, "mx.b.example", "MAIL FROM:<>"), ==, 1);  /* the relay only */
}

static void
test_notify (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(MlDsnReport) report = NULL;
  const MlDsnParsedRecipient *r;
  /* carol asks for nothing, dave for failures with an ORCPT; both fail. */
  static const char steps[] =
    "  - action: console\n"
    "    host: alice-laptop\n"
    "    server: mx.b.example\n"
    "    protocol: smtp\n"
    "    port: 25\n"
    "    lines:\n"
    "      - EHLO alice-laptop\n"
    "      - MAIL FROM:<alice@a.example> RET=HDRS ENVID=QQ+2B123\n"
    "      - RCPT TO:<carol@b.example> NOTIFY=NEVER\n"
    "      - RCPT TO:<dave@b.example> NOTIFY=FAILURE ORCPT=rfc822;Dave@b.example\n"
    "      - DATA\n"
    "      - \"Subject: two strangers\"\n"
    "      - \"\"\n"
    "      - body\n"
    "      - \".\"\n"
    "      - QUIT\n";

  run_world (&run, ", dsn: true", ", dsn: true", "", steps);
  /* RFC 3461 5.2: the parameters go on to the next hop, which offers DSN. */
  g_assert_cmpuint (count_commands (run.trace, "mx.b.example", "MAIL FROM:<alice@a.example> SIZE="), ==, 1);
  g_assert_true (g_str_has_suffix (find_command (run.trace, "mx.b.example", "MAIL FROM:<alice@a.example>"),
                                   " RET=HDRS ENVID=QQ+2B123"));
  g_assert_cmpuint (count_commands (run.trace, "mx.b.example", "RCPT TO:<carol@b.example> NOTIFY=NEVER"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.failed", "mx.b.example"), ==, 2);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.bounce-suppressed", "mx.b.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.bounce", "mx.b.example"), ==, 1);

  report = parse_bounce (&run, 0);
  g_assert_cmpstr (report->original_envelope_id, ==, "QQ+123");
  g_assert_cmpuint (report->recipients->len, ==, 1);
  r = report->recipients->pdata[0];
  g_assert_cmpstr (r->final_recipient, ==, "rfc822; dave@b.example");
  g_assert_cmpstr (r->original_recipient, ==, "rfc822;Dave@b.example");
  g_assert_cmpstr (r->status, ==, "5.1.1");
  /* RET=HDRS: only the header comes back (RFC 3461 4.3). */
  g_assert_cmpstr (report->returned_type, ==, "text/rfc822-headers");
}

static void
test_notify_never_all (void)
{
  g_auto(Run) run = { 0 };
  static const char steps[] =
    "  - action: console\n"
    "    host: alice-laptop\n"
    "    server: mx.b.example\n"
    "    protocol: smtp\n"
    "    port: 25\n"
    "    lines:\n"
    "      - EHLO alice-laptop\n"
    "      - MAIL FROM:<alice@a.example>\n"
    "      - RCPT TO:<carol@b.example> NOTIFY=NEVER\n"
    "      - DATA\n"
    "      - \"Subject: quiet\"\n"
    "      - \"\"\n"
    "      - \".\"\n"
    "      - QUIT\n";

  run_world (&run, ", dsn: true", "", "", steps);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.failed", "mx.b.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.bounce-suppressed", "mx.b.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.bounce", NULL), ==, 0);
  g_assert_cmpuint (ml_mailbox_get_count (inbox_of (&run, "alice@a.example")), ==, 0);
}

static void
test_implicit_mx (void)
{
  g_auto(Run) run = { 0 };
  static const char steps[] =
    "  - action: send\n"
    "    host: alice-laptop\n"
    "    from: alice@a.example\n"
    "    to: [bob@b.example]\n"
    "    faults:\n"
    "      - { dns: remove, name: b.example, type: MX }\n"
    "  - action: send\n"
    "    host: alice-laptop\n"
    "    from: alice@a.example\n"
    "    to: [bob@b.example]\n"
    "    faults:\n"
    "      - { dns: remove, name: b.example, type: A }\n"
    "  - action: send\n"
    "    host: alice-laptop\n"
    "    from: alice@a.example\n"
    "    to: [bob@b.example]\n"
    "    faults:\n"
    "      - { dns: add, name: b.example, type: MX, preference: 5, value: mx.b.example }\n";
  g_autoptr(MlDsnReport) report = NULL;
  const MlDsnParsedRecipient *r;

  run_world (&run, "", "", "", steps);
  g_assert_cmpuint (count_notes (run.trace, "lesson.fault.dns-remove", NULL), ==, 2);
  g_assert_cmpuint (count_notes (run.trace, "lesson.fault.dns-add", NULL), ==, 1);
  /* 1: the A record of b.example is the MDA itself (RFC 5321 5.1). */
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.implicit-mx", "smtp.a.example"), ==, 2);
  g_assert_cmpuint (count_commands (run.trace, "smtp.a.example", "EHLO"), >=, 1);
  /* 2: no MX, no A: a bounce at once, no retry. 3: the MX is back. */
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.no-address", "smtp.a.example"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.deferred", NULL), ==, 0);
  g_assert_cmpuint (ml_mailbox_get_count (inbox_of (&run, "bob@b.example")), ==, 2);
  report = parse_bounce (&run, 0);
  r = report->recipients->pdata[0];
  g_assert_cmpstr (r->status, ==, "5.4.4");
  g_assert_null (r->remote_mta);
  g_assert_null (r->diagnostic_code);
}

static void
test_lmtp (void)
{
  g_auto(Run) run = { 0 };
  static const char steps[] =
    "  - action: send\n"
    "    host: alice-laptop\n"
    "    from: alice@a.example\n"
    "    to: [bob@b.example, carol@b.example]\n"
    "    subject: Two copies\n"
    "    body: |\n"
    "      A body long enough that Carol's small quota cannot take it,\n"
    "      with the headers three hops add on top of it.\n";
  guint lmtp_250 = 0, lmtp_452 = 0, lhlo = 0, smtp_on_mda = 0;
  g_autoptr(MlDsnReport) report = NULL;
  const MlDsnParsedRecipient *r;

  run_world (&run, ", queue_lifetime: 20min", ", lmtp: true",
             "  - { address: carol@b.example, password: pw, quota: 500 }\n", steps);
  for (guint64 i = 0; i < ml_trace_get_length (run.trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (run.trace, i);

      if (e->kind != ML_TRACE_DIALOGUE)
        continue;
      if (g_strcmp0 (e->host, "mail.b.example") == 0 && e->protocol == ML_PROTO_SMTP)
        smtp_on_mda++;
      if (e->protocol != ML_PROTO_LMTP)
        continue;
      if (g_strcmp0 (e->verb, "LHLO") == 0)
        lhlo++;
      if (e->code == 250 && strstr (e->text, "<bob@b.example>"))
        lmtp_250++;
      if (e->code == 452 && strstr (e->text, "<carol@b.example>"))
        lmtp_452++;
    }
  /* RFC 2033 4.2: after the data one reply per recipient. Bob's 250
   * comes once; Carol's 452 every attempt until the 20 minutes are over:
   * tries at 0, 300 and 900 s, then 2100 s would be too late. */
  g_assert_cmpuint (smtp_on_mda, ==, 0);
  g_assert_cmpuint (lmtp_250, ==, 1);
  g_assert_cmpuint (lmtp_452, ==, 3);
  g_assert_cmpuint (lhlo, ==, 3);
  g_assert_cmpuint (ml_mailbox_get_count (inbox_of (&run, "bob@b.example")), ==, 1);
  g_assert_cmpuint (ml_mailbox_get_count (inbox_of (&run, "carol@b.example")), ==, 0);
  g_assert_cmpuint (count_notes (run.trace, "smtp.queue.expired", "mx.b.example"), ==, 1);

  report = parse_bounce (&run, 0);
  g_assert_cmpuint (report->recipients->len, ==, 1);
  r = report->recipients->pdata[0];
  g_assert_cmpstr (r->final_recipient, ==, "rfc822; carol@b.example");
  g_assert_cmpstr (r->status, ==, "5.4.7");
  g_assert_true (g_str_has_prefix (r->diagnostic_code, "smtp; 452 4.2.2"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bounce/permanent", test_permanent);
  g_test_add_func ("/bounce/expiry", test_expiry);
  g_test_add_func ("/bounce/greylisting", test_greylisting);
  g_test_add_func ("/bounce/null-sender", test_null_sender);
  g_test_add_func ("/bounce/notify", test_notify);
  g_test_add_func ("/bounce/notify-never", test_notify_never_all);
  g_test_add_func ("/bounce/implicit-mx", test_implicit_mx);
  g_test_add_func ("/bounce/lmtp", test_lmtp);
  return g_test_run ();
}

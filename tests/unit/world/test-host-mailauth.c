/* Mail authentication in the world (host-mailauth.h, mailing-list.h):
 * each verdict path of SPF, DKIM and DMARC at a verify_mail host, the
 * Authentication-Results it adds, Junk and 550 for the DMARC policies,
 * and the checks' DNS queries as frames on the wire. */
#include <string.h>
#include "world/world.h"
#include "mail/mail-store.h"
#include "mailauth/dkim.h"

/* alice's MSA (smtp.a.example, which lists in SPF) and an impostor MSA
 * that also claims a.example (smtp.evil.example, 203.0.113.25); Bob's
 * mail.b.example checks everything. %s slots: smtp.a.example's extra
 * keys, extra hosts, extra DNS records, the step's MUA, the recipient. */
static const char world_template[] =
  "title: mailauth world\n"
  "seed: 9\n"
  "hosts:\n"
  "  - { name: alice-laptop, roles: [MUA], ip: 10.1.0.10, submission: smtp.a.example }\n"
  "  - { name: smtp.a.example, roles: [MSA, MTA], ip: 10.1.0.25, domains: [a.example]%s }\n"
  "  - { name: mallory-laptop, roles: [MUA], ip: 203.0.113.10, submission: smtp.evil.example }\n"
  "  - { name: smtp.evil.example, roles: [MSA, MTA], ip: 203.0.113.25, domains: [a.example] }\n"
  "  - { name: ns.example, roles: [DNS], ip: 10.1.0.53 }\n"
  "  - { name: rtr, roles: [router], ip: 10.0.0.1 }\n"
  "  - { name: mail.b.example, roles: [MTA, MDA], ip: 10.2.0.25, domains: [b.example], verify_mail: true }\n"
  "%s"
  "links:\n"
  "  - { between: [alice-laptop, rtr], latency: 1ms }\n"
  "  - { between: [smtp.a.example, rtr], latency: 1ms }\n"
  "  - { between: [mallory-laptop, rtr], latency: 1ms }\n"
  "  - { between: [smtp.evil.example, rtr], latency: 1ms }\n"
  "  - { between: [ns.example, rtr], latency: 1ms }\n"
  "  - { between: [mail.b.example, rtr], latency: 1ms }\n"
  "  - { between: [mail.lists.example, rtr], latency: 1ms }\n"
  "dns:\n"
  "  - { name: b.example, type: MX, preference: 10, value: mail.b.example }\n"
  "  - { name: lists.example, type: MX, preference: 10, value: mail.lists.example }\n"
  "%s"
  "accounts:\n"
  "  - { address: bob@b.example, password: pw }\n"
  "steps:\n"
  "  - action: send\n"
  "    host: %s\n"
  "    from: alice@a.example\n"
  "    to: [%s]\n"
  "    subject: Hello\n"
  "    body: |\n"
  "      Hi Bob\n";

static const char list_host[] =
  "  - name: mail.lists.example\n"
  "    roles: [MTA]\n"
  "    ip: 10.3.0.25\n"
  "    domains: [lists.example]\n"
  "    lists: [{ address: team@lists.example, members: [bob@b.example], "
  "subject_prefix: \"[team]\", footer: \"unsubscribe: team-leave@lists.example\" }]\n";
static const char no_list_host[] =
  "  - { name: mail.lists.example, roles: [MTA], ip: 10.3.0.25, domains: [lists.example] }\n";

#define SPF_A     "  - { name: a.example, type: TXT, value: \"v=spf1 ip4:10.1.0.25 -all\" }\n"
#define SPF_LISTS "  - { name: lists.example, type: TXT, value: \"v=spf1 ip4:10.3.0.25 -all\" }\n"
#define DMARC(p)  "  - { name: _dmarc.a.example, type: TXT, value: \"v=DMARC1; p=" p "\" }\n"
#define DKIM      ", dkim: { selector: s1 }"

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
run_world (Run *run, const char *keys, const char *hosts, const char *dns, const char *mua,
           const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *yaml = g_strdup_printf (world_template, keys, hosts, dns, mua, to);

  run->lesson = ml_lesson_load_data (yaml, strlen (yaml), "test.yaml", &error);
  g_assert_no_error (error);
  run->trace = ml_trace_new ();
  run->world = ml_world_new (run->lesson, 9, run->trace, &error);
  g_assert_no_error (error);
  ml_world_run (run->world);
}

static guint
count_notes (Run *run, const char *key)
{
  guint n = 0;

  for (guint64 i = 0; i < ml_trace_get_length (run->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (run->trace, i);
      if (e->kind == ML_TRACE_NOTE && g_strcmp0 (e->explain_key, key) == 0)
        n++;
    }
  return n;
}

static const MlTraceEvent *
find_note (Run *run, const char *key)
{
  for (guint64 i = 0; i < ml_trace_get_length (run->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (run->trace, i);
      if (e->kind == ML_TRACE_NOTE && g_strcmp0 (e->explain_key, key) == 0)
        return e;
    }
  return NULL;
}

static MlMailbox *
bob_mailbox (Run *run, const char *name)
{
  MlMailStore *store = ml_world_get_store (run->world, "b.example");
  MlAccount *bob = ml_mail_store_find_account (store, "bob@b.example");

  return name ? ml_account_find_mailbox (bob, name) : ml_account_get_inbox (bob);
}

/* The Authentication-Results field of Bob's only message in @box,
 * unfolded, or NULL. Transfer full. */
static char *
dup_auth_results (MlMailbox *box)
{
  gsize len;
  const char *data, *start, *end;
  GString *out;

  if (box == NULL || ml_mailbox_get_count (box) != 1)
    return NULL;
  data = g_bytes_get_data (ml_message_get_data (ml_mailbox_get_message (box, 0)), &len);
  start = g_strstr_len (data, (gssize) len, "Authentication-Results:");
  if (start == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (end = start; end < data + len; end++)
    {
      if (end[0] == '\r' && end + 2 < data + len && end[1] == '\n' && end[2] != '\t' && end[2] != ' ')
        break;
      if (*end != '\r' && *end != '\n')
        g_string_append_c (out, *end == '\t' ? ' ' : *end);
    }
  return g_string_free (out, FALSE);
}

/* SPF pass, DKIM pass, DMARC pass: delivered to the INBOX with the field. */
static void
test_all_pass (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *ar = NULL;

  run_world (&run, DKIM, no_list_host, SPF_A DMARC ("reject"), "alice-laptop", "bob@b.example");
  ar = dup_auth_results (bob_mailbox (&run, NULL));
  g_assert_nonnull (ar);
  g_assert_nonnull (strstr (ar, "Authentication-Results: mail.b.example;"));
  g_assert_nonnull (strstr (ar, "spf=pass smtp.mailfrom=alice@a.example"));
  g_assert_nonnull (strstr (ar, "dkim=pass header.d=a.example header.s=s1"));
  g_assert_nonnull (strstr (ar, "dmarc=pass"));
  g_assert_cmpuint (count_notes (&run, "mailauth.dkim.sign"), ==, 1);
  g_assert_cmpuint (count_notes (&run, "mailauth.spf.pass"), ==, 1);
  g_assert_cmpuint (count_notes (&run, "mailauth.dkim.pass"), ==, 1);
  g_assert_cmpuint (count_notes (&run, "mailauth.dmarc.pass"), ==, 1);
}

/* The impostor's address fails SPF; no signature; p=reject: 550 5.7.1
 * at the end of DATA, nothing delivered. */
static void
test_spf_fail_dmarc_reject (void)
{
  g_auto(Run) run = { 0 };
  const MlTraceEvent *spf;
  gboolean replied = FALSE;

  run_world (&run, "", no_list_host, SPF_A DMARC ("reject"), "mallory-laptop", "bob@b.example");
  spf = find_note (&run, "mailauth.spf.fail");
  g_assert_nonnull (spf);
  g_assert_nonnull (strstr (spf->text, "203.0.113.25"));
  g_assert_nonnull (strstr (spf->detail, "-all"));
  g_assert_cmpuint (count_notes (&run, "mailauth.dkim.none"), ==, 1);
  g_assert_cmpuint (count_notes (&run, "mailauth.dmarc.reject"), ==, 1);
  g_assert_cmpuint (ml_mailbox_get_count (bob_mailbox (&run, NULL)), ==, 0);
  for (guint64 i = 0; i < ml_trace_get_length (run.trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (run.trace, i);
      if (e->kind == ML_TRACE_DIALOGUE && e->code == 550 &&
          g_strcmp0 (e->text, "550 5.7.1 rejected by DMARC policy for a.example") == 0)
        replied = TRUE;
    }
  g_assert_true (replied);
}

/* No SPF record, no DMARC record: none, none, delivered. */
static void
test_spf_none_dmarc_none (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *ar = NULL;

  run_world (&run, "", no_list_host, "", "alice-laptop", "bob@b.example");
  ar = dup_auth_results (bob_mailbox (&run, NULL));
  g_assert_nonnull (ar);
  g_assert_nonnull (strstr (ar, "spf=none"));
  g_assert_nonnull (strstr (ar, "dkim=none"));
  g_assert_nonnull (strstr (ar, "dmarc=none"));
  g_assert_cmpuint (count_notes (&run, "mailauth.spf.none"), ==, 1);
  g_assert_cmpuint (count_notes (&run, "mailauth.dmarc.none"), ==, 1);
}

/* p=quarantine and a failure: delivered into Junk, not the INBOX. */
static void
test_dmarc_quarantine (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *ar = NULL;
  MlMailbox *junk;

  run_world (&run, "", no_list_host, SPF_A DMARC ("quarantine"), "mallory-laptop",
             "bob@b.example");
  junk = bob_mailbox (&run, "Junk");
  g_assert_nonnull (junk);
  g_assert_cmpuint (ml_mailbox_get_special_use (junk), ==, ML_SPECIAL_USE_JUNK);
  g_assert_cmpuint (ml_mailbox_get_count (junk), ==, 1);
  g_assert_cmpuint (ml_mailbox_get_count (bob_mailbox (&run, NULL)), ==, 0);
  ar = dup_auth_results (junk);
  g_assert_nonnull (strstr (ar, "spf=fail"));
  g_assert_nonnull (strstr (ar, "dmarc=fail"));
  g_assert_cmpuint (count_notes (&run, "mailauth.dmarc.quarantine"), ==, 1);
}

/* A key record the lesson wrote itself (another selector's key) stays,
 * and the signature does not verify against it. */
static void
test_dkim_wrong_key (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *ar = NULL;
  EVP_PKEY *other = ml_dkim_key_generate (ML_DKIM_ED25519_SHA256, 1, "x.example", "x");
  g_autofree char *record = ml_dkim_key_txt_record (other);
  g_autofree char *dns = g_strdup_printf ("  - { name: s1._domainkey.a.example, type: TXT, "
                                          "value: \"%s\" }\n", record);

  EVP_PKEY_free (other);

  run_world (&run, DKIM, no_list_host, dns, "alice-laptop", "bob@b.example");
  ar = dup_auth_results (bob_mailbox (&run, NULL));
  g_assert_nonnull (ar);
  g_assert_null (strstr (ar, "dkim=pass"));
  g_assert_cmpuint (count_notes (&run, "mailauth.dkim.pass"), ==, 0);
}

/* The list's footer breaks the author's body hash; SPF passes for the
 * list's domain; DMARC (p=none) fails but delivers. */
static void
test_list_breaks_dkim (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *ar = NULL;
  MlMailbox *inbox;
  gsize len;
  const char *data;

  run_world (&run, DKIM, list_host, SPF_A SPF_LISTS DMARC ("none"), "alice-laptop",
             "team@lists.example");
  g_assert_cmpuint (count_notes (&run, "mailauth.list.resend"), ==, 1);
  inbox = bob_mailbox (&run, NULL);
  ar = dup_auth_results (inbox);
  g_assert_nonnull (ar);
  g_assert_nonnull (strstr (ar, "spf=pass smtp.mailfrom=team-bounces@lists.example"));
  g_assert_nonnull (strstr (ar, "dkim=fail (body hash did not verify) header.d=a.example"));
  g_assert_nonnull (strstr (ar, "dmarc=fail"));
  g_assert_cmpuint (count_notes (&run, "mailauth.dkim.body-hash-mismatch"), ==, 1);
  data = g_bytes_get_data (ml_message_get_data (ml_mailbox_get_message (inbox, 0)), &len);
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "Subject: [team] Hello"));
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "List-Id: <team.lists.example>"));
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "unsubscribe: team-leave@lists.example"));
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "From: alice@a.example"));
}

/* Every check's DNS query is a UDP exchange on the wire: TXT lookups by
 * mail.b.example appear as DNS events and as port-53 frames it sent. */
static void
test_dns_on_the_wire (void)
{
  g_auto(Run) run = { 0 };
  guint txt = 0, frames = 0;

  run_world (&run, DKIM, no_list_host, SPF_A DMARC ("reject"), "alice-laptop", "bob@b.example");
  for (guint64 i = 0; i < ml_trace_get_length (run.trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (run.trace, i);

      if (g_strcmp0 (e->host, "mail.b.example") != 0)
        continue;
      if (e->kind == ML_TRACE_DNS && g_str_has_prefix (e->text, "TXT "))
        txt++;
      if (e->kind == ML_TRACE_FRAME && e->protocol == ML_PROTO_DNS)
        frames++;
    }
  /* SPF's TXT at a.example, the key at s1._domainkey, _dmarc. */
  g_assert_cmpuint (txt, ==, 3);
  g_assert_cmpuint (frames, >=, 3);
}

/* RFC 8601 5: a field in the receiver's own name that arrives with the
 * message is a forgery; it is removed, and only the real one stays. */
static void
test_forged_auth_results (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *yaml = g_strdup_printf (world_template, "", no_list_host, DMARC ("none"),
                                           "alice-laptop", "bob@b.example");
  g_autofree char *console = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data;
  MlMailbox *inbox;
  char *cut = strstr (yaml, "  - action: send");

  *cut = '\0';
  console = g_strconcat (yaml,
    "  - action: console\n"
    "    host: mallory-laptop\n"
    "    server: mail.b.example\n"
    "    protocol: smtp\n"
    "    port: 25\n"
    "    lines:\n"
    "      - EHLO mallory.example\n"
    "      - MAIL FROM:<m@mallory.example>\n"
    "      - RCPT TO:<bob@b.example>\n"
    "      - DATA\n"
    "      - \"Authentication-Results: mail.b.example; dmarc=pass header.from=a.example\"\n"
    "      - \"From: alice@a.example\"\n"
    "      - \"Subject: trust me\"\n"
    "      - \"\"\n"
    "      - hello\n"
    "      - \".\"\n"
    "      - QUIT\n", NULL);
  run.lesson = ml_lesson_load_data (console, strlen (console), "forged.yaml", &error);
  g_assert_no_error (error);
  run.trace = ml_trace_new ();
  run.world = ml_world_new (run.lesson, 9, run.trace, &error);
  g_assert_no_error (error);
  ml_world_run (run.world);

  g_assert_cmpuint (count_notes (&run, "mailauth.auth-results.forged"), ==, 1);
  inbox = bob_mailbox (&run, NULL);
  g_assert_cmpuint (ml_mailbox_get_count (inbox), ==, 1);
  data = g_bytes_get_data (ml_message_get_data (ml_mailbox_get_message (inbox, 0)), &len);
  g_assert_null (g_strstr_len (data, (gssize) len, "dmarc=pass"));
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "dmarc=fail"));
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "Subject: trust me"));
}

/* Without the keys nothing is checked or added. */
static void
test_off_by_default (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(GError) error = NULL;
  const char *yaml =
    "title: plain\nseed: 1\nhosts:\n"
    "  - { name: alice-laptop, roles: [MUA], ip: 10.1.0.10, submission: smtp.a.example }\n"
    "  - { name: smtp.a.example, roles: [MSA, MTA], ip: 10.1.0.25, domains: [a.example] }\n"
    "  - { name: ns.example, roles: [DNS], ip: 10.1.0.53 }\n"
    "  - { name: rtr, roles: [router], ip: 10.0.0.1 }\n"
    "  - { name: mail.b.example, roles: [MTA, MDA], ip: 10.2.0.25, domains: [b.example] }\n"
    "links:\n"
    "  - { between: [alice-laptop, rtr] }\n  - { between: [smtp.a.example, rtr] }\n"
    "  - { between: [ns.example, rtr] }\n  - { between: [mail.b.example, rtr] }\n"
    "dns:\n  - { name: b.example, type: MX, preference: 10, value: mail.b.example }\n"
    "accounts:\n  - { address: bob@b.example, password: pw }\n"
    "steps:\n  - { action: send, host: alice-laptop, from: alice@a.example, to: [bob@b.example] }\n";
  gsize len;
  const char *data;

  run.lesson = ml_lesson_load_data (yaml, strlen (yaml), "plain.yaml", &error);
  g_assert_no_error (error);
  run.trace = ml_trace_new ();
  run.world = ml_world_new (run.lesson, 1, run.trace, &error);
  g_assert_no_error (error);
  ml_world_run (run.world);
  g_assert_cmpuint (ml_mailbox_get_count (bob_mailbox (&run, NULL)), ==, 1);
  data = g_bytes_get_data (ml_message_get_data (ml_mailbox_get_message (bob_mailbox (&run, NULL), 0)), &len);
  g_assert_null (g_strstr_len (data, (gssize) len, "Authentication-Results"));
  g_assert_null (g_strstr_len (data, (gssize) len, "DKIM-Signature"));
}

/* A key that cannot work is a lesson error, not a crash. */
static void
test_bad_keys (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = NULL;
  const char *yaml =
    "title: bad\nhosts:\n"
    "  - { name: h, roles: [MTA], ip: 10.0.0.2, domains: [a.example], dkim: { algorithm: rsa-sha256 } }\n";

  lesson = ml_lesson_load_data (yaml, strlen (yaml), "bad.yaml", &error);
  g_assert_null (lesson);
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "selector"));
}

/* Keys on a host that cannot use them fail the world's build with the
 * lesson's FILE:LINE:COLUMN, never quietly. */
static void
test_bad_roles (void)
{
  static const struct { const char *host; const char *message; } cases[] = {
    { "  - { name: mx.c.example, roles: [MTA], ip: 10.4.0.25, domains: [c.example], "
      "dkim: { selector: s1 } }\n", "is no MSA" },
    { "  - { name: mx.c.example, roles: [MSA], ip: 10.4.0.25, domains: [c.example], "
      "verify_mail: true }\n", "no port 25" },
    { "  - { name: mx.c.example, roles: [MTA], ip: 10.4.0.25, domains: [c.example], "
      "lists: [{ address: team@d.example, members: [bob@b.example] }] }\n",
      "cannot serve the list team@d.example" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *hosts = g_strconcat (no_list_host, cases[i].host, NULL);
      g_autofree char *yaml = g_strdup_printf (world_template, "", hosts, "", "alice-laptop",
                                               "bob@b.example");
      g_autoptr(GError) error = NULL;
      g_autoptr(MlLesson) lesson = ml_lesson_load_data (yaml, strlen (yaml), "roles.yaml", &error);
      g_autoptr(MlTrace) trace = ml_trace_new ();
      MlWorld *world;

      g_assert_no_error (error);
      world = ml_world_new (lesson, 1, trace, &error);
      g_assert_null (world);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].message) == NULL ||
          !g_str_has_prefix (error->message, "roles.yaml:"))
        g_error ("case %" G_GSIZE_FORMAT ": \"%s\"", i, error->message);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/host-mailauth/all-pass", test_all_pass);
  g_test_add_func ("/host-mailauth/spf-fail-dmarc-reject", test_spf_fail_dmarc_reject);
  g_test_add_func ("/host-mailauth/spf-none-dmarc-none", test_spf_none_dmarc_none);
  g_test_add_func ("/host-mailauth/dmarc-quarantine", test_dmarc_quarantine);
  g_test_add_func ("/host-mailauth/dkim-wrong-key", test_dkim_wrong_key);
  g_test_add_func ("/host-mailauth/list-breaks-dkim", test_list_breaks_dkim);
  g_test_add_func ("/host-mailauth/dns-on-the-wire", test_dns_on_the_wire);
  g_test_add_func ("/host-mailauth/forged-auth-results", test_forged_auth_results);
  g_test_add_func ("/host-mailauth/off-by-default", test_off_by_default);
  g_test_add_func ("/host-mailauth/bad-keys", test_bad_keys);
  g_test_add_func ("/host-mailauth/bad-roles", test_bad_roles);
  return g_test_run ();
}

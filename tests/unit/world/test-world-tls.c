/* TLS and AUTH in a running world: STARTTLS on submission and relay,
 * implicit TLS on 465, 995 and 993, certificates a client refuses, the
 * STARTTLS-stripping router, the key log, and byte-identical reruns. */
#include <string.h>
#include "world/world.h"
#include "world/host-security.h"
#include "net/frame.h"

/* Alice submits to smtp.a.example, which relays to mx.b.example; Bob
 * reads on mail.b.example. %s slots: smtp.a.example's extra keys, the
 * router's extra keys, mail.b.example's extra keys, the steps. */
static const char world_template[] =
  "title: tls world\n"
  "seed: 4\n"
  "hosts:\n"
  "  - { name: alice-laptop, roles: [MUA], ip: 10.1.0.10, submission: smtp.a.example }\n"
  "  - { name: smtp.a.example, roles: [MSA, MTA], ip: 10.1.0.25, domains: [a.example]%s }\n"
  "  - { name: ns.example, roles: [DNS], ip: 10.1.0.53 }\n"
  "  - { name: rtr, roles: [router], ip: 10.0.0.1%s }\n"
  "  - { name: mx.b.example, roles: [MTA], ip: 10.2.0.25, domains: [b.example], relay_to: mail.b.example }\n"
  "  - { name: mail.b.example, roles: [MDA], ip: 10.2.0.30, domains: [b.example]%s }\n"
  "  - { name: bob-phone, roles: [MUA], ip: 10.2.0.50 }\n"
  "links:\n"
  "  - { between: [alice-laptop, rtr], latency: 1ms }\n"
  "  - { between: [smtp.a.example, rtr], latency: 1ms }\n"
  "  - { between: [ns.example, rtr], latency: 1ms }\n"
  "  - { between: [mx.b.example, rtr], latency: 10ms }\n"
  "  - { between: [mail.b.example, rtr], latency: 1ms }\n"
  "  - { between: [bob-phone, rtr], latency: 5ms, loss: %s }\n"
  "dns:\n"
  "  - { name: b.example, type: MX, preference: 10, value: mx.b.example }\n"
  "accounts:\n"
  "  - { address: alice@a.example, password: alice-pw }\n"
  "  - { address: bob@b.example, password: bob-pw }\n"
  "steps:\n"
  "%s";

static const char send_step[] =
  "  - action: send\n"
  "    host: alice-laptop\n"
  "    from: alice@a.example\n"
  "    to: [bob@b.example]\n"
  "    subject: Secret\n"
  "    body: |\n"
  "      the vault code is 1234\n"
  "    tls: %s\n";

typedef struct {
  MlLesson *lesson;
  MlTrace  *trace;
  MlWorld  *world;
  GString  *keylog;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->world, ml_world_free);
  g_clear_object (&run->trace);
  g_clear_pointer (&run->lesson, ml_lesson_free);
  if (run->keylog)
    g_string_free (g_steal_pointer (&run->keylog), TRUE);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
collect_keylog (const char *line, gpointer user_data)
{
  g_string_append_printf (user_data, "%s\n", line);
}

static void
run_world (Run *run, const char *msa_keys, const char *router_keys, const char *mda_keys,
           const char *loss, const char *steps)
{
  g_autofree char *yaml = g_strdup_printf (world_template, msa_keys, router_keys, mda_keys,
                                           loss, steps);
  g_autoptr(GError) error = NULL;

  run->lesson = ml_lesson_load_data (yaml, strlen (yaml), "tls.yaml", &error);
  g_assert_no_error (error);
  run->trace = ml_trace_new ();
  run->world = ml_world_new (run->lesson, run->lesson->seed, run->trace, &error);
  g_assert_no_error (error);
  run->keylog = g_string_new (NULL);
  ml_tls_context_set_keylog_func (ml_world_get_tls (run->world), collect_keylog, run->keylog);
  ml_world_run (run->world);
}

static guint
count_notes (MlTrace *trace, const char *explain_key)
{
  guint n = 0;

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      if (e->kind == ML_TRACE_NOTE && g_strcmp0 (e->explain_key, explain_key) == 0)
        n++;
    }
  return n;
}

static const MlTraceEvent *
find_note_text (MlTrace *trace, const char *prefix)
{
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      if (e->kind == ML_TRACE_NOTE && e->text && g_str_has_prefix (e->text, prefix))
        return e;
    }
  return NULL;
}

static guint
count_commands (MlTrace *trace, const char *verb)
{
  guint n = 0;

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      if (e->kind == ML_TRACE_DIALOGUE && g_strcmp0 (e->verb, verb) == 0)
        n++;
    }
  return n;
}

/* Every TCP payload of frames as their sender sent them (hop 0). */
static GByteArray *
wire_bytes (MlTrace *trace, guint hop)
{
  GByteArray *all = g_byte_array_new ();

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      MlFrameInfo info;
      gsize len;
      const guint8 *data;

      if (e->kind != ML_TRACE_FRAME || e->hop != hop)
        continue;
      data = g_bytes_get_data (e->bytes, &len);
      if (ml_frame_parse (data, len, &info, NULL) && info.payload_len > 0)
        g_byte_array_append (all, info.payload, (guint) info.payload_len);
    }
  return all;
}

static gboolean
wire_has (GByteArray *wire, const char *text)
{
  return memmem (wire->data, wire->len, text, strlen (text)) != NULL;
}

static void
test_starttls_submission (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *steps = g_strdup_printf (send_step, "required");
  g_autoptr(GByteArray) wire = NULL;
  MlMailStore *store;

  run_world (&run, ", starttls: true", "", "", "0", steps);
  store = ml_world_get_store (run.world, "b.example");
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_get_inbox (
                      ml_mail_store_find_account (store, "bob@b.example"))), ==, 1);
  /* One handshake (submission; the relay's servers offer no TLS), and
   * EHLO again after it (RFC 3207 4.2). */
  g_assert_cmpuint (count_notes (run.trace, "tls.handshake.start"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "tls.handshake.done"), ==, 1);
  g_assert_cmpuint (count_commands (run.trace, "STARTTLS"), ==, 1);
  g_assert_cmpuint (count_commands (run.trace, "AUTH"), ==, 1);
  /* Submission: EHLO, EHLO again; relay and delivery: one each. */
  g_assert_cmpuint (count_commands (run.trace, "EHLO"), ==, 4);
  /* The password and the submitted message went under TLS: the password
   * never shows, the body only on the relay hops that had no TLS. */
  wire = wire_bytes (run.trace, 0);
  g_assert_true (wire_has (wire, "STARTTLS"));
  g_assert_false (wire_has (wire, "alice-pw"));
  g_assert_false (wire_has (wire, "YWxpY2UtcHc"));   /* base64 of the password */
  g_assert_false (wire_has (wire, "AUTH PLAIN"));
  g_assert_cmpuint (strlen (run.keylog->str), >, 0);
  g_assert_cmpstr (run.keylog->str, ==, ml_tls_context_get_keylog (ml_world_get_tls (run.world))->str);
}

static void
test_implicit_everywhere (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *send = g_strdup_printf (send_step, "implicit");
  g_autofree char *steps = g_strconcat (send,
                                        "  - { action: pop3-fetch, host: bob-phone, server: mail.b.example,"
                                        " account: bob@b.example, keep: true, tls: implicit }\n"
                                        "  - { action: imap-sync, host: bob-phone, server: mail.b.example,"
                                        " account: bob@b.example, tls: implicit }\n"
                                        "  - { action: imap-logout, host: bob-phone, server: mail.b.example,"
                                        " account: bob@b.example }\n", NULL);
  g_autoptr(GByteArray) wire = NULL;

  /* A lossy last hop: the handshakes survive retransmission. */
  run_world (&run, ", implicit_tls: true", "", ", implicit_tls: true", "0.1", steps);
  g_assert_cmpuint (count_notes (run.trace, "tls.implicit"), ==, 3);
  g_assert_cmpuint (count_notes (run.trace, "tls.handshake.done"), ==, 3);
  g_assert_nonnull (find_note_text (run.trace, "POP3 fetch from mail.b.example: 1 downloaded"));
  wire = wire_bytes (run.trace, 0);
  /* Not even the greetings are in the clear on 465, 995, 993... */
  g_assert_false (wire_has (wire, "POP3 server ready"));
  g_assert_false (wire_has (wire, "bob-pw"));
  g_assert_false (wire_has (wire, "LOGIN bob"));
  /* ...while the relay on port 25 (no TLS there) still is. */
  g_assert_true (wire_has (wire, "220 mx.b.example"));
}

static void
check_refused (const char *certificate, const char *key, const char *reason)
{
  g_auto(Run) run = { 0 };
  g_autofree char *keys = g_strdup_printf (", starttls: true, certificate: %s", certificate);
  g_autofree char *steps = g_strdup_printf (send_step, "required");
  g_autoptr(GByteArray) wire = NULL;
  g_autofree char *failed = g_strdup_printf ("submission to smtp.a.example failed: %s", reason);
  MlMailStore *store;

  run_world (&run, keys, "", "", "0", steps);
  g_assert_cmpuint (count_notes (run.trace, key), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "tls.alert.received"), ==, 1);
  g_assert_cmpuint (count_notes (run.trace, "tls.handshake.done"), ==, 0);
  g_assert_nonnull (find_note_text (run.trace, failed));
  store = ml_world_get_store (run.world, "b.example");
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_get_inbox (
                      ml_mail_store_find_account (store, "bob@b.example"))), ==, 0);
  wire = wire_bytes (run.trace, 0);
  g_assert_false (wire_has (wire, "vault code"));
  g_assert_false (wire_has (wire, "YWxpY2UtcHc"));
}

static void
test_refuse_expired (void)
{
  check_refused ("expired", "tls.certificate.expired", "certificate has expired");
}

static void
test_refuse_wrong_name (void)
{
  check_refused ("wrong-name", "tls.certificate.wrong-name", "hostname mismatch");
}

static void
test_refuse_self_signed (void)
{
  check_refused ("self-signed", "tls.certificate.self-signed", "self-signed certificate");
}

static void
test_stripping (void)
{
  g_auto(Run) run = { 0 };
  g_autofree char *required = g_strdup_printf (send_step, "required");
  g_autofree char *lax = g_strdup_printf (send_step, "opportunistic");
  g_autofree char *steps = g_strconcat (required, lax, NULL);
  g_autoptr(GByteArray) sent = NULL, forwarded = NULL;
  guint checked = 0;

  run_world (&run, ", starttls: true, plaintext_auth: true", ", strip_starttls: true", "", "0",
             steps);
  /* One rewritten EHLO reply per submission. */
  g_assert_cmpuint (count_notes (run.trace, "tls.stripped"), ==, 2);
  g_assert_cmpuint (count_commands (run.trace, "STARTTLS"), ==, 0);
  g_assert_nonnull (find_note_text (run.trace,
                                    "submission to smtp.a.example stopped: the server did not offer STARTTLS"));
  /* The server sent STARTTLS (hop 0); the router forwarded XXXXXXXX. */
  sent = wire_bytes (run.trace, 0);
  forwarded = wire_bytes (run.trace, 1);
  g_assert_true (wire_has (sent, "250-STARTTLS"));
  g_assert_true (wire_has (forwarded, "250-XXXXXXXX"));
  g_assert_false (wire_has (forwarded, "250-STARTTLS"));
  /* The lax client gave the password away. */
  g_assert_true (wire_has (sent, "AUTH PLAIN"));
  g_assert_true (wire_has (sent, "vault code"));
  /* The rewritten segments still carry right checksums. */
  for (guint64 i = 0; i < ml_trace_get_length (run.trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (run.trace, i);
      MlFrameInfo info;
      gsize len;
      const guint8 *data;

      if (e->kind != ML_TRACE_FRAME || e->hop != 1)
        continue;
      data = g_bytes_get_data (e->bytes, &len);
      g_assert_true (ml_frame_parse (data, len, &info, NULL));
      if (info.payload_len > 0 && memmem (info.payload, info.payload_len, "XXXXXXXX", 8))
        {
          g_assert_true (info.ip_checksum_ok);
          g_assert_true (info.transport_checksum_ok);
          checked++;
        }
    }
  g_assert_cmpuint (checked, ==, 2);
}

static GBytes *
all_frames (Run *run)
{
  GByteArray *all = g_byte_array_new ();

  for (guint64 i = 0; i < ml_trace_get_length (run->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (run->trace, i);
      if (e->kind == ML_TRACE_FRAME)
        g_byte_array_append (all, g_bytes_get_data (e->bytes, NULL),
                             (guint) g_bytes_get_size (e->bytes));
    }
  return g_byte_array_free_to_bytes (all);
}

static void
test_repeatable (void)
{
  g_auto(Run) a = { 0 };
  g_auto(Run) b = { 0 };
  g_autofree char *steps = g_strdup_printf (send_step, "required");
  g_autoptr(GBytes) fa = NULL, fb = NULL;

  run_world (&a, ", starttls: true", "", "", "0", steps);
  run_world (&b, ", starttls: true", "", "", "0", steps);
  fa = all_frames (&a);
  fb = all_frames (&b);
  g_assert_cmpuint (g_bytes_get_size (fa), >, 5000);
  /* Same seed: the same keys, handshakes and ciphertext, byte for byte. */
  g_assert_true (g_bytes_equal (fa, fb));
  g_assert_cmpstr (a.keylog->str, ==, b.keylog->str);
}

/* lesson.h's defaults: a host without TLS keeps the old services; one
 * with TLS refuses passwords in the clear and, as an MSA, wants AUTH. */
static void
test_policy_defaults (void)
{
  MlLessonHost h = { 0 };
  MlHostSecurity sec;
  char *mechs[] = { (char *) "SCRAM-SHA-256", NULL };

  ml_host_security_from_lesson (&sec, NULL);
  g_assert_false (sec.starttls);
  g_assert_cmpuint (sec.sasl_mechanisms, ==, 0);
  g_assert_true (sec.plaintext_auth);
  g_assert_false (sec.require_auth);

  ml_host_security_from_lesson (&sec, &h);
  g_assert_cmpuint (sec.sasl_mechanisms, ==, 0);
  g_assert_true (sec.plaintext_auth);
  g_assert_false (sec.require_auth);

  h.starttls = TRUE;
  ml_host_security_from_lesson (&sec, &h);
  g_assert_cmpuint (sec.sasl_mechanisms, ==, (1u << ML_SASL_PLAIN) | (1u << ML_SASL_LOGIN));
  g_assert_false (sec.plaintext_auth);
  g_assert_true (sec.require_auth);

  h.auth_mechanisms = mechs;
  h.plaintext_auth = ML_LESSON_YES;
  h.require_auth = ML_LESSON_NO;
  h.certificate = ML_LESSON_CERT_SELF_SIGNED;
  ml_host_security_from_lesson (&sec, &h);
  g_assert_cmpuint (sec.sasl_mechanisms, ==, 1u << ML_SASL_SCRAM_SHA_256);
  g_assert_true (sec.plaintext_auth);
  g_assert_false (sec.require_auth);
  g_assert_cmpint (sec.certificate, ==, ML_TLS_CERT_SELF_SIGNED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/world-tls/policy/defaults", test_policy_defaults);
  g_test_add_func ("/world-tls/starttls/submission", test_starttls_submission);
  g_test_add_func ("/world-tls/implicit/all-ports", test_implicit_everywhere);
  g_test_add_func ("/world-tls/certificate/expired", test_refuse_expired);
  g_test_add_func ("/world-tls/certificate/wrong-name", test_refuse_wrong_name);
  g_test_add_func ("/world-tls/certificate/self-signed", test_refuse_self_signed);
  g_test_add_func ("/world-tls/stripping/downgrade", test_stripping);
  g_test_add_func ("/world-tls/determinism/same-seed", test_repeatable);
  return g_test_run ();
}

/* test-console-apop.c — "{apop:SECRET}" in a POP3 console line becomes the
 * APOP digest of this session's greeting (RFC 1939 7): the server accepts
 * it whatever the greeting's timestamp (other seeds, other epochs), a
 * wrong secret is refused, and the secret never goes on the wire. */
#include <string.h>

#include "lesson/lesson.h"
#include "trace/trace.h"
#include "world/world.h"

static char *
lesson_text (const char *epoch, const char *secret)
{
  return g_strdup_printf (
    "title: APOP\n"
    "epoch: %s\n"
    "hosts:\n"
    "  - { name: ns.example, roles: [DNS], ip: 10.2.0.53 }\n"
    "  - { name: mail.b.example, roles: [MTA, MDA], ip: 10.2.0.25, domains: [b.example] }\n"
    "  - { name: bob-laptop, roles: [MUA], ip: 10.2.0.50 }\n"
    "links:\n"
    "  - between: [ns.example, mail.b.example]\n"
    "  - between: [bob-laptop, mail.b.example]\n"
    "accounts:\n"
    "  - { address: bob@b.example, password: bob-secret }\n"
    "steps:\n"
    "  - action: console\n"
    "    host: bob-laptop\n"
    "    server: mail.b.example\n"
    "    protocol: pop3\n"
    "    lines: [\"APOP bob@b.example {apop:%s}\", STAT, QUIT]\n", epoch, secret);
}

typedef struct {
  char *greeting, *apop, *apop_reply;
  gboolean secret_seen;
} Seen;

static void
seen_clear (Seen *s)
{
  g_free (s->greeting);
  g_free (s->apop);
  g_free (s->apop_reply);
}

static void
run (const char *epoch, guint32 seed, const char *secret, Seen *out)
{
  g_autofree char *text = lesson_text (epoch, secret);
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = ml_lesson_load_data (text, strlen (text), "apop.yaml", &error);
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlWorld) world = NULL;
  gboolean after_apop = FALSE;

  g_assert_no_error (error);
  world = ml_world_new (lesson, seed, trace, &error);
  g_assert_no_error (error);
  ml_world_run (world);
  memset (out, 0, sizeof *out);
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (e->text != NULL && strstr (e->text, secret) != NULL)
        out->secret_seen = TRUE;
      if (e->kind != ML_TRACE_DIALOGUE || e->protocol != ML_PROTO_POP3 || e->text == NULL)
        continue;
      if (e->direction == ML_DIR_SERVER_TO_CLIENT && out->greeting == NULL)
        out->greeting = g_strdup (e->text);
      else if (e->direction == ML_DIR_CLIENT_TO_SERVER && g_str_has_prefix (e->text, "APOP "))
        {
          out->apop = g_strdup (e->text);
          after_apop = TRUE;
        }
      else if (e->direction == ML_DIR_SERVER_TO_CLIENT && after_apop)
        {
          out->apop_reply = g_strdup (e->text);
          after_apop = FALSE;
        }
    }
}

/* What the digest must be, computed here from the greeting in the trace. */
static char *
expected_apop (const char *greeting, const char *secret)
{
  const char *open = strchr (greeting, '<');
  const char *close = open ? strchr (open, '>') : NULL;
  g_autofree char *plain = NULL;
  g_autofree char *digest = NULL;

  g_assert_nonnull (close);
  plain = g_strdup_printf ("%.*s%s", (int) (close - open + 1), open, secret);
  digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, plain, -1);
  return g_strdup_printf ("APOP bob@b.example %s", digest);
}

static void
test_digest_follows_greeting (void)
{
  static const struct { const char *epoch; guint32 seed; } runs[] = {
    { "2024-03-12T08:00:00Z", 1 }, { "2024-03-12T08:00:00Z", 2 }, { "2031-07-01T00:00:00Z", 9 },
  };
  g_autofree char *first_greeting = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      Seen s;
      g_autofree char *want = NULL;

      run (runs[i].epoch, runs[i].seed, "bob-secret", &s);
      g_assert_nonnull (s.greeting);
      want = expected_apop (s.greeting, "bob-secret");
      g_assert_cmpstr (s.apop, ==, want);
      g_assert_nonnull (s.apop_reply);
      g_assert_true (g_str_has_prefix (s.apop_reply, "+OK"));
      g_assert_false (s.secret_seen);
      /* The point of the placeholder: another greeting, another digest. */
      if (first_greeting == NULL)
        first_greeting = g_strdup (s.greeting);
      else if (i == 2)
        g_assert_cmpstr (s.greeting, !=, first_greeting);
      seen_clear (&s);
    }
}

static void
test_wrong_secret (void)
{
  Seen s;
  g_autofree char *want = NULL;

  run ("2024-03-12T08:00:00Z", 1, "not-bobs", &s);
  want = expected_apop (s.greeting, "not-bobs");
  g_assert_cmpstr (s.apop, ==, want);
  g_assert_nonnull (s.apop_reply);
  g_assert_true (g_str_has_prefix (s.apop_reply, "-ERR"));
  g_assert_false (s.secret_seen);
  seen_clear (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/console/apop/digest-follows-greeting", test_digest_follows_greeting);
  g_test_add_func ("/console/apop/wrong-secret", test_wrong_secret);
  return g_test_run ();
}

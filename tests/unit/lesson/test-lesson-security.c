/* test-lesson-security.c — the TLS, authentication, console and
 * attachment keys of a lesson: values, defaults, and the second-pass rules
 * that tie them to roles and actions. */
#include <string.h>

#include "lesson/lesson.h"

static const char base_lesson[] =
  "title: Security keys\n"                                           /* 1 */
  "hosts:\n"                                                         /* 2 */
  "  - name: alice-laptop\n"                                         /* 3 */
  "    roles: [MUA]\n"                                               /* 4 */
  "    ip: 10.1.0.10\n"                                              /* 5 */
  "    submission: smtp.a.example\n"                                 /* 6 */
  "  - name: smtp.a.example\n"                                       /* 7 */
  "    roles: [MSA, MTA, MDA]\n"                                     /* 8 */
  "    ip: 10.1.0.25\n"                                              /* 9 */
  "    domains: [a.example]\n"                                       /* 10 */
  "    # HOSTKEYS\n"                                                 /* 11 */
  "  - name: rtr-a\n"                                                /* 12 */
  "    roles: [router]\n"                                            /* 13 */
  "    ip: 10.1.0.1\n"                                               /* 14 */
  "    # ROUTERKEYS\n"                                               /* 15 */
  "links:\n"                                                         /* 16 */
  "  - between: [alice-laptop, rtr-a]\n"                             /* 17 */
  "  - between: [rtr-a, smtp.a.example]\n"                           /* 18 */
  "accounts:\n"                                                      /* 19 */
  "  - { address: alice@a.example, password: alice-secret }\n"       /* 20 */
  "steps:\n"                                                         /* 21 */
  "  - action: send\n"                                               /* 22 */
  "    host: alice-laptop\n"                                         /* 23 */
  "    from: alice@a.example\n"                                      /* 24 */
  "    to: [alice@a.example]\n"                                      /* 25 */
  "    # SENDKEYS\n"                                                 /* 26 */
  "  - action: pop3-fetch\n"                                         /* 27 */
  "    host: alice-laptop\n"                                         /* 28 */
  "    server: smtp.a.example\n"                                     /* 29 */
  "    account: alice@a.example\n"                                   /* 30 */
  "    # FETCHKEYS\n";                                               /* 31 */

/* base_lesson with the comment "# @marker" replaced by @keys. */
static char *
with_keys (const char *marker, const char *keys)
{
  g_autofree char *needle = g_strdup_printf ("    # %s\n", marker);
  const char *hit = strstr (base_lesson, needle);

  g_assert_nonnull (hit);
  return g_strdup_printf ("%.*s%s%s", (int) (hit - base_lesson), base_lesson, keys,
                          hit + strlen (needle));
}

static MlLesson *
load_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  MlLesson *lesson = ml_lesson_load_data (text, strlen (text), "s.yaml", &error);

  g_assert_no_error (error);
  g_assert_nonnull (lesson);
  return lesson;
}

/* Loads @text, which must fail, and checks the start of the message. */
static void
assert_fails (const char *text, const char *prefix, const char *says)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = ml_lesson_load_data (text, strlen (text), "s.yaml", &error);

  g_assert_null (lesson);
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
  if (!g_str_has_prefix (error->message, prefix) || strstr (error->message, says) == NULL)
    {
      /* Every mismatch is listed, not only the last. */
      g_test_message ("mismatch: expected \"%s…%s\", got: %s", prefix, says, error->message);
      g_test_fail_printf ("expected \"%s…%s\", got: %s", prefix, says, error->message);
    }
}

static void
test_defaults (void)
{
  g_autoptr(MlLesson) lesson = load_ok (base_lesson);
  const MlLessonHost *server = ml_lesson_find_host (lesson, "smtp.a.example");
  const MlLessonStep *send = lesson->steps->pdata[0];

  g_assert_false (server->starttls);
  g_assert_false (server->implicit_tls);
  g_assert_cmpint (server->certificate, ==, ML_LESSON_CERT_VALID);
  g_assert_null (server->auth_mechanisms);
  g_assert_cmpint (server->plaintext_auth, ==, ML_LESSON_DEFAULT);
  g_assert_cmpint (server->require_auth, ==, ML_LESSON_DEFAULT);
  g_assert_cmpint (send->tls, ==, ML_LESSON_TLS_OPPORTUNISTIC);
  g_assert_cmpint (send->auth, ==, ML_LESSON_AUTH_DEFAULT);
  g_assert_null (send->password);
  g_assert_null (send->attachments);
}

static void
test_host_keys (void)
{
  g_autofree char *text = with_keys ("HOSTKEYS",
                                     "    starttls: true\n"
                                     "    implicit_tls: yes\n"
                                     "    certificate: Wrong-Name\n"
                                     "    auth: [scram-sha-256, PLAIN]\n"
                                     "    plaintext_auth: false\n"
                                     "    require_auth: true\n");
  g_autofree char *text2 = NULL;
  g_autoptr(MlLesson) lesson = load_ok (text);
  g_autoptr(MlLesson) lesson2 = NULL;
  const MlLessonHost *h = ml_lesson_find_host (lesson, "smtp.a.example");

  g_assert_true (h->starttls);
  g_assert_true (h->implicit_tls);
  g_assert_cmpint (h->certificate, ==, ML_LESSON_CERT_WRONG_NAME);
  g_assert_cmpuint (g_strv_length (h->auth_mechanisms), ==, 2);
  g_assert_cmpstr (h->auth_mechanisms[0], ==, "SCRAM-SHA-256");
  g_assert_cmpstr (h->auth_mechanisms[1], ==, "PLAIN");
  g_assert_cmpint (h->plaintext_auth, ==, ML_LESSON_NO);
  g_assert_cmpint (h->require_auth, ==, ML_LESSON_YES);

  text2 = with_keys ("ROUTERKEYS", "    strip_starttls: true\n");
  lesson2 = load_ok (text2);
  g_assert_true (ml_lesson_find_host (lesson2, "rtr-a")->strip_starttls);
  g_assert_false (ml_lesson_find_host (lesson2, "smtp.a.example")->strip_starttls);
}

static void
test_host_rules (void)
{
  static const struct {
    const char *marker, *keys, *prefix, *says;
  } cases[] = {
    { "ROUTERKEYS", "    starttls: true\n", "s.yaml:15:15: hosts[3].starttls: ",
      "only a mail server" },
    { "ROUTERKEYS", "    auth: [PLAIN]\n", "s.yaml:15:11: hosts[3].auth: ",
      "only a mail server" },
    { "ROUTERKEYS", "    require_auth: true\n", "s.yaml:15:19: hosts[3].require_auth: ",
      "only an MSA" },
    { "HOSTKEYS", "    strip_starttls: true\n", "s.yaml:11:21: hosts[2].strip_starttls: ",
      "only a router" },
    { "HOSTKEYS", "    certificate: expired\n", "s.yaml:11:18: hosts[2].certificate: ",
      "add 'starttls: true'" },
    { "HOSTKEYS", "    certificate: forged\n", "s.yaml:11:18: hosts[2].certificate: ",
      "is not a kind of certificate" },
    { "HOSTKEYS", "    auth: [PLAIN, CRAM-MD5]\n", "s.yaml:11:19: hosts[2].auth[2]: ",
      "is not a SASL mechanism" },
    { "HOSTKEYS", "    auth: [PLAIN, plain]\n", "s.yaml:11:11: hosts[2].auth: ",
      "PLAIN is listed twice" },
    { "HOSTKEYS", "    auth: []\n", "s.yaml:11:11: hosts[2].auth: ", "the list is empty" },
    { "HOSTKEYS", "    starttls: maybe\n", "s.yaml:11:15: hosts[2].starttls: ",
      "is neither true nor false" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = with_keys (cases[i].marker, cases[i].keys);

      g_test_message ("%s", cases[i].keys);
      assert_fails (text, cases[i].prefix, cases[i].says);
    }
}

/* base_lesson with each "# MARKER" replaced by its keys; @pairs is
 * marker, keys, marker, keys, ..., NULL. */
static char *
with_all_keys (const char *const *pairs)
{
  char *text = g_strdup (base_lesson);

  for (guint i = 0; pairs[i] != NULL; i += 2)
    {
      g_autofree char *needle = g_strdup_printf ("    # %s\n", pairs[i]);
      const char *hit = strstr (text, needle);
      char *next;

      g_assert_nonnull (hit);
      next = g_strdup_printf ("%.*s%s%s", (int) (hit - text), text, pairs[i + 1],
                              hit + strlen (needle));
      g_free (text);
      text = next;
    }
  return text;
}

static void
test_step_keys (void)
{
  static const char *const pairs[] = {
    "HOSTKEYS", "    starttls: true\n    implicit_tls: true\n",
    "SENDKEYS", "    tls: implicit\n    auth: SCRAM-SHA-256\n    password: not-the-password\n",
    "FETCHKEYS", "    tls: required\n    auth: apop\n",
    NULL
  };
  g_autofree char *text = with_all_keys (pairs);
  g_autofree char *text2 = with_keys ("SENDKEYS", "    tls: none\n    auth: none\n");
  g_autoptr(MlLesson) lesson = load_ok (text);
  g_autoptr(MlLesson) lesson2 = load_ok (text2);
  const MlLessonStep *send = lesson->steps->pdata[0];
  const MlLessonStep *fetch = lesson->steps->pdata[1];

  g_assert_cmpint (send->tls, ==, ML_LESSON_TLS_IMPLICIT);
  g_assert_cmpint (send->auth, ==, ML_LESSON_AUTH_SCRAM_SHA_256);
  g_assert_cmpstr (send->password, ==, "not-the-password");
  g_assert_cmpint (fetch->tls, ==, ML_LESSON_TLS_REQUIRED);
  g_assert_cmpint (fetch->auth, ==, ML_LESSON_AUTH_APOP);
  g_assert_null (fetch->password);

  send = lesson2->steps->pdata[0];
  g_assert_cmpint (send->tls, ==, ML_LESSON_TLS_NONE);
  g_assert_cmpint (send->auth, ==, ML_LESSON_AUTH_NONE);
}

static void
test_step_rules (void)
{
  static const struct {
    const char *marker, *keys, *prefix, *says;
  } cases[] = {
    { "SENDKEYS", "    auth: user\n", "s.yaml:26:11: steps[1].auth: ", "is a POP3 login" },
    { "SENDKEYS", "    auth: apop\n", "s.yaml:26:11: steps[1].auth: ", "is a POP3 login" },
    { "FETCHKEYS", "    auth: none\n", "s.yaml:31:11: steps[2].auth: ",
      "for send steps only" },
    { "SENDKEYS", "    auth: none\n    password: x\n", "s.yaml:27:15: steps[1].password: ",
      "no use for a password" },
    { "SENDKEYS", "    tls: implicit\n", "s.yaml:26:10: steps[1].tls: ",
      "does not serve implicit TLS" },
    { "FETCHKEYS", "    tls: implicit\n", "s.yaml:31:10: steps[2].tls: ",
      "does not serve implicit TLS" },
    { "SENDKEYS", "    tls: sometimes\n", "s.yaml:26:10: steps[1].tls: ",
      "is not a way to use TLS" },
    { "SENDKEYS", "    auth: cram-md5\n", "s.yaml:26:11: steps[1].auth: ",
      "is not a way to log in" },
    { "FETCHKEYS", "    attachments: [{ name: a.txt, content: hi }]\n",
      "s.yaml:31:18: steps[2].attachments: ", "only a message being sent" },
    { "SENDKEYS", "    lines: [NOOP]\n", "s.yaml:26:12: steps[1].lines: ",
      "only a console step" },
    { "SENDKEYS", "    protocol: smtp\n", "s.yaml:26:15: steps[1].protocol: ",
      "only a console step" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = with_keys (cases[i].marker, cases[i].keys);

      g_test_message ("%s", cases[i].keys);
      assert_fails (text, cases[i].prefix, cases[i].says);
    }
}

static void
test_attachments (void)
{
  g_autofree char *text = with_keys ("SENDKEYS",
                                     "    attachments:\n"
                                     "      - name: report.pdf\n"
                                     "        type: Application/PDF\n"
                                     "        content: \"%PDF-1.4 pretend\"\n"
                                     "      - { name: notes.txt, content: \"line 1\\nline 2\\n\" }\n");
  g_autoptr(MlLesson) lesson = load_ok (text);
  const MlLessonStep *send = lesson->steps->pdata[0];
  const MlLessonAttachment *a, *b;

  g_assert_nonnull (send->attachments);
  g_assert_cmpuint (send->attachments->len, ==, 2);
  a = send->attachments->pdata[0];
  b = send->attachments->pdata[1];
  g_assert_cmpstr (a->name, ==, "report.pdf");
  g_assert_cmpstr (a->content_type, ==, "application/pdf");
  g_assert_cmpstr (a->content, ==, "%PDF-1.4 pretend");
  g_assert_cmpuint (a->line, ==, 27);
  g_assert_cmpstr (b->name, ==, "notes.txt");
  g_assert_cmpstr (b->content_type, ==, "text/plain");
  g_assert_cmpstr (b->content, ==, "line 1\nline 2\n");
}

static void
test_attachment_rules (void)
{
  static const struct {
    const char *keys, *prefix, *says;
  } cases[] = {
    { "    attachments: [{ name: ../etc/passwd, content: x }]\n",
      "s.yaml:26:27: steps[1].attachments[1].name: ", "has a directory in it" },
    { "    attachments: [{ name: a.pdf, type: pdf, content: x }]\n",
      "s.yaml:26:40: steps[1].attachments[1].type: ", "is not a media type" },
    { "    attachments: [{ name: a.pdf, type: \"application/p df\", content: x }]\n",
      "s.yaml:26:40: steps[1].attachments[1].type: ", "is not a media type" },
    { "    attachments: [{ name: a.pdf }]\n",
      "s.yaml:26:19: steps[1].attachments[1]: ", "'content' is missing" },
    { "    attachments: []\n", "s.yaml:26:18: steps[1].attachments: ", "the list is empty" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = with_keys ("SENDKEYS", cases[i].keys);

      g_test_message ("%s", cases[i].keys);
      assert_fails (text, cases[i].prefix, cases[i].says);
    }
}

static void
test_console (void)
{
  static const char console_step[] =
    "  - action: console\n"                                          /* 32 */
    "    host: alice-laptop\n"
    "    server: smtp.a.example\n"
    "    protocol: POP3\n"
    "    lines: [\"USER alice@a.example\", \"PASS alice-secret\", STAT, QUIT]\n";
  g_autofree char *text = g_strconcat (base_lesson, console_step, NULL);
  g_autofree char *imap = g_strconcat (base_lesson, console_step, NULL);
  g_autoptr(MlLesson) lesson = load_ok (text);
  g_autoptr(MlLesson) lesson2 = NULL;
  const MlLessonStep *s = lesson->steps->pdata[2];

  g_assert_cmpint (s->kind, ==, ML_LESSON_ACTION_CONSOLE);
  g_assert_cmpstr (ml_lesson_action_to_string (s->kind), ==, "console");
  g_assert_cmpint (s->protocol, ==, ML_PROTO_POP3);
  g_assert_cmpuint (s->port, ==, 110);
  g_assert_cmpuint (g_strv_length (s->lines), ==, 4);
  g_assert_cmpstr (s->lines[1], ==, "PASS alice-secret");

  g_free (imap);
  imap = g_strconcat (base_lesson,
                      "  - { action: console, host: alice-laptop, server: smtp.a.example,\n"
                      "      protocol: smtp, port: 587, lines: \"EHLO alice-laptop\" }\n", NULL);
  lesson2 = load_ok (imap);
  s = lesson2->steps->pdata[2];
  g_assert_cmpint (s->protocol, ==, ML_PROTO_SMTP);
  g_assert_cmpuint (s->port, ==, 587);
  g_assert_cmpuint (g_strv_length (s->lines), ==, 1);
}

static void
test_console_rules (void)
{
  g_autofree char *long_line = g_strnfill (999, 'A');
  g_autofree char *too_long = g_strdup_printf ("lines: [\"%s\"]", long_line);
  g_autofree char *just_fits = g_strdup_printf ("lines: [\"%.998s\"]", long_line);
  const struct {
    const char *step, *prefix, *says;
  } cases[] = {
    { "{ action: console, host: alice-laptop, server: smtp.a.example, lines: [QUIT] }",
      "s.yaml:32:15: steps[3]: ", "needs 'protocol'" },
    { "{ action: console, host: alice-laptop, server: smtp.a.example, protocol: imap }",
      "s.yaml:32:15: steps[3]: ", "needs 'lines'" },
    { "{ action: console, host: alice-laptop, protocol: imap, lines: [a LOGOUT] }",
      "s.yaml:32:15: steps[3]: ", "needs 'server'" },
    { "{ action: console, host: alice-laptop, server: rtr-a, protocol: smtp, lines: [QUIT] }",
      "s.yaml:32:52: steps[3].server: ", "does not speak SMTP" },
    { "{ action: console, host: alice-laptop, server: smtp.a.example, protocol: lmtp, "
      "lines: [QUIT] }", "s.yaml:32:78: steps[3].protocol: ", "is not a protocol" },
    { "{ action: console, host: alice-laptop, server: smtp.a.example, protocol: pop3, "
      "lines: [] }", "s.yaml:32:91: steps[3].lines: ", "the list is empty" },
    { "{ action: console, host: alice-laptop, server: smtp.a.example, protocol: pop3, "
      "lines: [\"USER a\\r\\nPASS b\"] }", "s.yaml:32:92: steps[3].lines[1]: ",
      "one item is one line" },
    { "{ action: console, host: alice-laptop, server: smtp.a.example, protocol: pop3, "
      "tls: required, lines: [STLS] }", "s.yaml:32:89: steps[3].tls: ",
      "the student types STARTTLS" },
    { "{ action: console, host: smtp.a.example, server: smtp.a.example, protocol: pop3, "
      "lines: [STAT] }", "s.yaml:32:30: steps[3].host: ", "only a MUA" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("%s  - %s\n", base_lesson, cases[i].step);

      g_test_message ("%s", cases[i].step);
      assert_fails (text, cases[i].prefix, cases[i].says);
    }

  {
    g_autofree char *text = g_strdup_printf ("%s  - { action: console, host: alice-laptop, "
                                             "server: smtp.a.example, protocol: smtp, %s }\n",
                                             base_lesson, too_long);
    assert_fails (text, "s.yaml:32:", "holds at most 998 before CRLF");
  }
  {
    g_autofree char *text = g_strdup_printf ("%s  - { action: console, host: alice-laptop, "
                                             "server: smtp.a.example, protocol: smtp, %s }\n",
                                             base_lesson, just_fits);
    g_autoptr(MlLesson) lesson = load_ok (text);
    const MlLessonStep *s = lesson->steps->pdata[2];

    g_assert_cmpuint (strlen (s->lines[0]), ==, 998);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lesson/security/defaults", test_defaults);
  g_test_add_func ("/lesson/security/host-keys", test_host_keys);
  g_test_add_func ("/lesson/security/host-rules", test_host_rules);
  g_test_add_func ("/lesson/security/step-keys", test_step_keys);
  g_test_add_func ("/lesson/security/step-rules", test_step_rules);
  g_test_add_func ("/lesson/attachments/parse", test_attachments);
  g_test_add_func ("/lesson/attachments/rules", test_attachment_rules);
  g_test_add_func ("/lesson/console/parse", test_console);
  g_test_add_func ("/lesson/console/rules", test_console_rules);
  return g_test_run ();
}

/* The mail authentication keys of a lesson host (dkim, verify_mail,
 * lists) and the `header` check: their syntax, defaults and errors. */
#include <string.h>
#include "lesson/lesson.h"
#include "lesson/lesson-mailauth.h"

static const char base[] =
  "title: t\n"
  "hosts:\n"
  "  - { name: laptop, roles: [MUA], ip: 10.0.0.10, submission: smtp.a.example }\n"
  "  - name: smtp.a.example\n"
  "    roles: [MSA, MTA]\n"
  "    ip: 10.0.0.25\n"
  "    domains: [a.example]\n"
  "%s"
  "accounts:\n"
  "  - { address: bob@a.example, password: pw }\n"
  "steps:\n"
  "  - { action: send, host: laptop, from: bob@a.example, to: [bob@a.example] }\n"
  "%s";

static MlLesson *
load (const char *host_keys, const char *rest, GError **error)
{
  g_autofree char *yaml = g_strdup_printf (base, host_keys, rest);

  return ml_lesson_load_data (yaml, strlen (yaml), "t.yaml", error);
}

static void
test_dkim_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load ("    dkim: { selector: S2024 }\n", "", &error);
  const MlLessonHost *h;

  g_assert_no_error (error);
  h = lesson->hosts->pdata[1];
  g_assert_nonnull (h->dkim);
  g_assert_cmpstr (h->dkim->selector, ==, "s2024");
  g_assert_null (h->dkim->domain);
  g_assert_cmpint (h->dkim->algorithm, ==, ML_LESSON_DKIM_RSA_SHA256);
  g_assert_true (h->dkim->header_relaxed);
  g_assert_true (h->dkim->body_relaxed);
  g_assert_null (h->dkim->headers);
  g_assert_false (h->verify_mail);
  g_assert_null (h->lists);
}

static void
test_dkim_all_keys (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson =
    load ("    verify_mail: true\n"
          "    dkim:\n"
          "      selector: ed\n"
          "      domain: a.example\n"
          "      algorithm: ed25519-sha256\n"
          "      canonicalization: simple\n"
          "      headers: [From, Subject]\n", "", &error);
  const MlLessonHost *h;

  g_assert_no_error (error);
  h = lesson->hosts->pdata[1];
  g_assert_cmpint (h->dkim->algorithm, ==, ML_LESSON_DKIM_ED25519_SHA256);
  g_assert_cmpstr (h->dkim->domain, ==, "a.example");
  /* RFC 6376 3.5: a lone c= word is the header's; the body is simple. */
  g_assert_false (h->dkim->header_relaxed);
  g_assert_false (h->dkim->body_relaxed);
  g_assert_cmpuint (g_strv_length (h->dkim->headers), ==, 2);
  g_assert_true (h->verify_mail);
}

static void
test_dkim_errors (void)
{
  static const struct { const char *keys; const char *message; } cases[] = {
    { "    dkim: { algorithm: rsa-sha256 }\n", "needs a 'selector'" },
    { "    dkim: { selector: s1, algorithm: rsa-sha1 }\n", "rsa-sha1" },
    { "    dkim: { selector: s1, canonicalization: loose }\n", "loose" },
    { "    dkim: { selector: s1, headers: [Subject] }\n", "must include From" },
    { "    dkim: { selector: s1, key: x }\n", "dkim has no 'key'" },
    { "    dkim: s1\n", "expected a group" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MlLesson) lesson = load (cases[i].keys, "", &error);

      g_assert_null (lesson);
      g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": \"%s\" lacks \"%s\"", i, error->message,
                 cases[i].message);
      /* FILE:LINE:COLUMN first. */
      g_assert_true (g_str_has_prefix (error->message, "t.yaml:"));
    }
}

static void
test_lists (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson =
    load ("    lists:\n"
          "      - address: team@a.example\n"
          "        members: [bob@a.example, carol@b.example]\n"
          "        subject_prefix: \"[team]\"\n"
          "        footer: |\n"
          "          bye\n", "", &error);
  const MlLessonList *l;

  g_assert_no_error (error);
  l = ((MlLessonHost *) lesson->hosts->pdata[1])->lists->pdata[0];
  g_assert_cmpstr (l->address, ==, "team@a.example");
  g_assert_cmpuint (g_strv_length (l->members), ==, 2);
  g_assert_cmpstr (l->subject_prefix, ==, "[team]");
  g_assert_cmpstr (l->footer, ==, "bye\n");
}

static void
test_lists_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load ("    lists: [{ address: team@a.example }]\n", "", &error);

  g_assert_null (lesson);
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "members"));
}

static void
test_header_check (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson =
    load ("", "checks:\n"
              "  - check: header\n"
              "    description: signed\n"
              "    account: bob@a.example\n"
              "    subject: Hi\n"
              "    name: Authentication-Results\n"
              "    contains: dkim=pass\n", &error);
  const MlLessonCheck *c;

  g_assert_no_error (error);
  c = lesson->checks->pdata[0];
  g_assert_cmpint (c->kind, ==, ML_LESSON_CHECK_HEADER);
  g_assert_cmpstr (ml_lesson_check_kind_to_string (c->kind), ==, "header");
  g_assert_cmpstr (c->mailbox, ==, "INBOX");
  g_assert_cmpstr (c->name, ==, "Authentication-Results");
  g_assert_cmpstr (c->contains, ==, "dkim=pass");
  g_assert_true (c->present);
}

static void
test_header_check_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson =
    load ("", "checks:\n"
              "  - { check: header, description: d, account: bob@a.example, subject: Hi,\n"
              "      name: \"Bad: name\", contains: x }\n", &error);

  g_assert_null (lesson);
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "header field name"));
  g_clear_error (&error);
  g_clear_pointer (&lesson, ml_lesson_free);
  lesson = load ("", "checks:\n"
                     "  - { check: header, description: d, account: bob@a.example, subject: Hi,\n"
                     "      name: Received }\n", &error);
  g_assert_null (lesson);
  g_assert_nonnull (strstr (error->message, "needs 'contains'"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lesson-mailauth/dkim-defaults", test_dkim_defaults);
  g_test_add_func ("/lesson-mailauth/dkim-all-keys", test_dkim_all_keys);
  g_test_add_func ("/lesson-mailauth/dkim-errors", test_dkim_errors);
  g_test_add_func ("/lesson-mailauth/lists", test_lists);
  g_test_add_func ("/lesson-mailauth/lists-errors", test_lists_errors);
  g_test_add_func ("/lesson-mailauth/header-check", test_header_check);
  g_test_add_func ("/lesson-mailauth/header-check-errors", test_header_check_errors);
  return g_test_run ();
}

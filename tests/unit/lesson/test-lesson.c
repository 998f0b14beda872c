/* test-lesson.c — the lesson loader: shipped lessons, defaults, value
 * forms, and malformed input that must fail with FILE:LINE:COLUMN. */
#include <string.h>

#include "lesson/lesson.h"
#include "ml-config.h"

/* A small valid lesson; the in-memory tests mutate it. Line numbers in
 * the tests below refer to it. */
static const char minimal_lesson[] =
  "title: Minimal lesson\n"                                          /* 1 */
  "hosts:\n"                                                         /* 2 */
  "  - name: alice-laptop\n"                                         /* 3 */
  "    roles: [MUA]\n"                                               /* 4 */
  "    ip: 10.1.0.10\n"                                              /* 5 */
  "    submission: smtp.a.example\n"                                 /* 6 */
  "  - name: smtp.a.example\n"                                       /* 7 */
  "    roles: [MSA, MTA]\n"                                          /* 8 */
  "    ip: 10.1.0.25\n"                                              /* 9 */
  "    domains: [a.example]\n"                                       /* 10 */
  "links:\n"                                                         /* 11 */
  "  - between: [alice-laptop, smtp.a.example]\n"                    /* 12 */
  "dns:\n"                                                           /* 13 */
  "  - { name: a.example, type: MX, preference: 10, value: smtp.a.example }\n" /* 14 */
  "accounts:\n"                                                      /* 15 */
  "  - { address: alice@a.example, password: alice-secret }\n"       /* 16 */
  "steps:\n"                                                         /* 17 */
  "  - action: send\n"                                               /* 18 */
  "    host: alice-laptop\n"                                         /* 19 */
  "    from: alice@a.example\n"                                      /* 20 */
  "    to: [bob@a.example]\n";                                       /* 21 */

static char *
source_path (const char *relative)
{
  const char *root = g_getenv ("ML_SOURCE_DIR");
  g_autofree char *fallback = g_path_get_dirname (ML_SOURCE_LESSONS_DIR);

  return g_build_filename (root ? root : fallback, relative, NULL);
}

/* 1-based line of the first line of @text that contains @needle. */
static guint
line_of (const char *text, const char *needle)
{
  const char *hit = strstr (text, needle);
  guint line = 1;

  g_assert_nonnull (hit);
  for (const char *p = text; p < hit; p++)
    if (*p == '\n')
      line++;
  return line;
}

static MlLesson *
load_shipped (const char *name, char **text_out)
{
  g_autofree char *path = source_path (name);
  g_autoptr(GError) error = NULL;
  MlLesson *lesson;

  g_assert_true (g_file_get_contents (path, text_out, NULL, NULL));
  lesson = ml_lesson_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lesson);
  g_assert_cmpstr (lesson->path, ==, path);
  return lesson;
}

static MlLesson *
load_string (const char *text, GError **error)
{
  return ml_lesson_load_data (text, strlen (text), "t.yaml", error);
}

/* Loads @text, which must fail; returns the message (transfer full). */
static char *
load_error (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load_string (text, &error);

  g_assert_null (lesson);
  g_assert_nonnull (error);
  g_assert_true (error->domain == ML_LESSON_ERROR);
  return g_strdup (error->message);
}

/* @text with the first @old replaced by @new. */
static char *
mutate (const char *text, const char *old, const char *new_text)
{
  const char *hit = strstr (text, old);

  g_assert_nonnull (hit);
  return g_strdup_printf ("%.*s%s%s", (int) (hit - text), text, new_text, hit + strlen (old));
}

/* "FILE:LINE:COLUMN: text": returns LINE and COLUMN, fails otherwise. */
static void
assert_location (const char *message, const char *file, guint *line_out, guint *column_out)
{
  g_autofree char *escaped = g_regex_escape_string (file, -1);
  g_autofree char *pattern = g_strdup_printf ("^%s:([1-9][0-9]*):([1-9][0-9]*): \\S", escaped);
  g_autoptr(GRegex) regex = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *line = NULL;
  g_autofree char *column = NULL;

  if (!g_regex_match (regex, message, 0, &match))
    g_error ("no FILE:LINE:COLUMN prefix for %s in: %s", file, message);
  line = g_match_info_fetch (match, 1);
  column = g_match_info_fetch (match, 2);
  if (line_out)
    *line_out = (guint) g_ascii_strtoull (line, NULL, 10);
  if (column_out)
    *column_out = (guint) g_ascii_strtoull (column, NULL, 10);
}

/* ---- shipped lessons ---------------------------------------------------- */

static void
test_shipped_smtp_journey (void)
{
  g_autofree char *text = NULL;
  g_autoptr(MlLesson) lesson = load_shipped ("lessons/01-smtp-journey.yaml", &text);
  const MlLessonHost *h;
  const MlLessonLink *l;
  const MlLessonRecord *r;
  const MlLessonStep *s;

  g_assert_cmpstr (lesson->id, ==, "01-smtp-journey");
  g_assert_cmpstr (lesson->title, ==, "The journey of an email");
  g_assert_cmpstr (lesson->level, ==, "beginner");
  g_assert_cmpuint (lesson->minutes, ==, 15);
  g_assert_true (g_str_has_prefix (lesson->summary, "Alice writes to Bob."));
  g_assert_cmpuint (lesson->seed, ==, 1);
  g_assert_cmpint (lesson->epoch_unix, ==, 1709542800);  /* 2024-03-04T09:00:00Z */

  g_assert_cmpuint (lesson->hosts->len, ==, 7);
  h = lesson->hosts->pdata[0];
  g_assert_cmpstr (h->name, ==, "alice-laptop");
  g_assert_cmpint (h->roles, ==, ML_ROLE_MUA);
  g_assert_cmphex (h->ipv4, ==, 0x0A01000A);
  g_assert_cmpstr (h->submission, ==, "smtp.a.example");
  g_assert_null (h->domains);
  g_assert_cmpuint (h->line, ==, line_of (text, "- name: alice-laptop"));
  g_assert_cmpuint (h->column, ==, 5);

  h = ml_lesson_find_host (lesson, "smtp.a.example");
  g_assert_nonnull (h);
  g_assert_cmpint (h->roles, ==, ML_ROLE_MSA | ML_ROLE_MTA);
  g_assert_cmphex (h->ipv4, ==, 0x0A010019);
  g_assert_cmpuint (g_strv_length (h->domains), ==, 1);
  g_assert_cmpstr (h->domains[0], ==, "a.example");

  h = ml_lesson_find_host (lesson, "mx.b.example");
  g_assert_nonnull (h);
  g_assert_cmpint (h->roles, ==, ML_ROLE_MTA);
  g_assert_cmpstr (h->relay_to, ==, "mail.b.example");
  h = ml_lesson_find_host (lesson, "mail.b.example");
  g_assert_nonnull (h);
  g_assert_cmpint (h->roles, ==, ML_ROLE_MDA);
  g_assert_cmpstr (h->domains[0], ==, "b.example");
  h = ml_lesson_find_host (lesson, "ns.example");
  g_assert_nonnull (h);
  g_assert_cmpint (h->roles, ==, ML_ROLE_DNS);
  g_assert_nonnull (ml_lesson_find_host (lesson, "rtr-a"));
  g_assert_nonnull (ml_lesson_find_host (lesson, "rtr-b"));

  /* LAN links are 1 ms; the Internet between the routers is 20 ms. */
  g_assert_cmpuint (lesson->links->len, ==, 6);
  for (guint i = 0; i < lesson->links->len; i++)
    {
      l = lesson->links->pdata[i];
      if (g_strcmp0 (l->a, "rtr-a") == 0 && g_strcmp0 (l->b, "rtr-b") == 0)
        g_assert_cmpuint (l->latency_us, ==, 20000);
      else
        g_assert_cmpuint (l->latency_us, ==, 1000);
      g_assert_cmpuint (l->bandwidth_bps, ==, 100000000);
      g_assert_cmpuint (l->mtu, ==, 1500);
      g_assert_cmpfloat (l->loss, ==, 0.0);
      g_assert_true (l->up);
    }

  g_assert_cmpuint (lesson->records->len, ==, 7);
  r = lesson->records->pdata[1];
  g_assert_cmpstr (r->name, ==, "b.example");
  g_assert_cmpstr (r->type, ==, "MX");
  g_assert_cmpuint (r->preference, ==, 10);
  g_assert_cmpstr (r->value, ==, "mx.b.example");
  g_assert_cmpuint (r->ttl, ==, 3600);
  g_assert_cmpuint (r->line, ==, line_of (text, "{ name: b.example, type: MX"));
  r = lesson->records->pdata[6];
  g_assert_cmpstr (r->type, ==, "TXT");
  g_assert_cmpstr (r->value, ==, "v=spf1 mx -all");

  /* Every mail host has an A record pointing at its address. */
  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      gboolean found = FALSE;

      h = lesson->hosts->pdata[i];
      if (!(h->roles & (ML_ROLE_MSA | ML_ROLE_MTA | ML_ROLE_MDA)))
        continue;
      for (guint j = 0; j < lesson->records->len; j++)
        {
          g_autofree char *ip = NULL;

          r = lesson->records->pdata[j];
          ip = g_strdup_printf ("%u.%u.%u.%u", h->ipv4 >> 24, (h->ipv4 >> 16) & 0xff,
                                (h->ipv4 >> 8) & 0xff, h->ipv4 & 0xff);
          if (strcmp (r->type, "A") == 0 && strcmp (r->name, h->name) == 0)
            {
              g_assert_cmpstr (r->value, ==, ip);
              found = TRUE;
            }
        }
      g_assert_true (found);
    }

  g_assert_cmpuint (lesson->accounts->len, ==, 2);
  g_assert_cmpstr (((MlLessonAccount *) lesson->accounts->pdata[0])->address, ==, "alice@a.example");
  g_assert_cmpstr (((MlLessonAccount *) lesson->accounts->pdata[1])->address, ==, "bob@b.example");
  g_assert_cmpstr (((MlLessonAccount *) lesson->accounts->pdata[1])->password, ==, "bob-secret");

  g_assert_cmpuint (lesson->steps->len, ==, 1);
  s = lesson->steps->pdata[0];
  g_assert_cmpint (s->kind, ==, ML_LESSON_ACTION_SEND);
  g_assert_cmpstr (s->host, ==, "alice-laptop");
  g_assert_cmpstr (s->from, ==, "alice@a.example");
  g_assert_cmpuint (g_strv_length (s->to), ==, 1);
  g_assert_cmpstr (s->to[0], ==, "bob@b.example");
  g_assert_cmpstr (s->subject, ==, "Lunch on Friday?");
  g_assert_true (g_str_has_prefix (s->body, "Hi Bob,\n\n"));
  g_assert_true (g_str_has_suffix (s->body, "Alice\n"));
  g_assert_cmpuint (s->count, ==, 1);
  g_assert_nonnull (strstr (s->narrative, "port 587"));
  g_assert_cmpuint (s->line, ==, line_of (text, "- action: send"));
}

static void
test_shipped_tcp_under_loss (void)
{
  g_autofree char *text = NULL;
  g_autoptr(MlLesson) lesson = load_shipped ("lessons/02-tcp-under-loss.yaml", &text);
  const MlLessonStep *s;
  g_auto(GStrv) lines = NULL;
  guint lossy = 0;

  g_assert_cmpstr (lesson->id, ==, "02-tcp-under-loss");
  g_assert_cmpstr (lesson->title, ==, "TCP under loss");
  g_assert_cmpstr (lesson->level, ==, "intermediate");

  for (guint i = 0; i < lesson->links->len; i++)
    {
      const MlLessonLink *l = lesson->links->pdata[i];

      if (l->loss > 0.0)
        {
          lossy++;
          g_assert_cmpstr (l->a, ==, "rtr-a");
          g_assert_cmpstr (l->b, ==, "rtr-b");
          g_assert_cmpfloat_with_epsilon (l->loss, 0.10, 1e-12);
          g_assert_cmpuint (l->latency_us, ==, 20000);
          g_assert_cmpuint (l->mtu, ==, 1500);
        }
    }
  g_assert_cmpuint (lossy, ==, 1);

  /* Several full-size segments: more than three MSS of 1460 bytes. */
  g_assert_cmpuint (lesson->steps->len, ==, 1);
  s = lesson->steps->pdata[0];
  g_assert_cmpuint (strlen (s->body), >, 3 * 1460);
  lines = g_strsplit (s->body, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    g_assert_cmpuint (strlen (lines[i]), <=, 998);
  g_assert_nonnull (strstr (s->narrative, "retransmission"));
}

/* Lesson 02 is lesson 01's world: the same hosts, roles and addresses. */
static void
test_shipped_same_world (void)
{
  g_autofree char *t1 = NULL;
  g_autofree char *t2 = NULL;
  g_autoptr(MlLesson) one = load_shipped ("lessons/01-smtp-journey.yaml", &t1);
  g_autoptr(MlLesson) two = load_shipped ("lessons/02-tcp-under-loss.yaml", &t2);

  g_assert_cmpuint (one->hosts->len, ==, two->hosts->len);
  for (guint i = 0; i < one->hosts->len; i++)
    {
      const MlLessonHost *a = one->hosts->pdata[i];
      const MlLessonHost *b = ml_lesson_find_host (two, a->name);

      g_assert_nonnull (b);
      g_assert_cmpint (a->roles, ==, b->roles);
      g_assert_cmphex (a->ipv4, ==, b->ipv4);
    }
  g_assert_cmpuint (one->links->len, ==, two->links->len);
  g_assert_cmpuint (one->records->len, ==, two->records->len);
}

/* ---- in memory ---------------------------------------------------------- */

static void
test_data_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = ml_lesson_load_data (minimal_lesson, strlen (minimal_lesson),
                                                    "dir/mem-test.yaml", &error);
  const MlLessonLink *l;
  const MlLessonRecord *r;
  const MlLessonStep *s;

  g_assert_no_error (error);
  g_assert_nonnull (lesson);
  g_assert_cmpstr (lesson->path, ==, "dir/mem-test.yaml");
  g_assert_cmpstr (lesson->id, ==, "mem-test");
  g_assert_null (lesson->level);
  g_assert_null (lesson->summary);
  g_assert_cmpuint (lesson->minutes, ==, 0);
  g_assert_cmpuint (lesson->seed, ==, 1);
  g_assert_cmpint (lesson->epoch_unix, ==, 1704067200);  /* 2024-01-01T00:00:00Z */

  l = lesson->links->pdata[0];
  g_assert_cmpuint (l->latency_us, ==, 1000);
  g_assert_cmpuint (l->bandwidth_bps, ==, 100000000);
  g_assert_cmpuint (l->mtu, ==, 1500);
  g_assert_cmpfloat (l->loss, ==, 0.0);
  g_assert_true (l->up);

  r = lesson->records->pdata[0];
  g_assert_cmpuint (r->ttl, ==, 3600);

  s = lesson->steps->pdata[0];
  g_assert_cmpuint (s->count, ==, 1);
  g_assert_cmpstr (s->subject, ==, "");
  g_assert_cmpstr (s->body, ==, "");
  g_assert_null (s->narrative);
}

static void
test_data_names (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) a = ml_lesson_load_data (minimal_lesson, strlen (minimal_lesson),
                                               NULL, &error);
  g_autoptr(MlLesson) b = NULL;
  g_autoptr(MlLesson) c = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (a->path, ==, "<memory>");
  b = ml_lesson_load_data (minimal_lesson, strlen (minimal_lesson), "/x/02-y.yml", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (b->id, ==, "02-y");
  c = ml_lesson_load_data (minimal_lesson, strlen (minimal_lesson), "plain", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->id, ==, "plain");
}

static void
test_data_positions (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load_string (minimal_lesson, &error);
  const MlLessonHost *h;

  g_assert_no_error (error);
  h = lesson->hosts->pdata[1];
  g_assert_cmpuint (h->line, ==, 7);
  g_assert_cmpuint (h->column, ==, 5);
  g_assert_cmpuint (((MlLessonLink *) lesson->links->pdata[0])->line, ==, 12);
  g_assert_cmpuint (((MlLessonRecord *) lesson->records->pdata[0])->line, ==, 14);
  g_assert_cmpuint (((MlLessonRecord *) lesson->records->pdata[0])->column, ==, 5);
  g_assert_cmpuint (((MlLessonAccount *) lesson->accounts->pdata[0])->line, ==, 16);
  g_assert_cmpuint (((MlLessonStep *) lesson->steps->pdata[0])->line, ==, 18);
}

/* The forms a teacher may write: one value where a list is expected,
 * units with a space, fractions, YAML's other booleans, odd case. */
static void
test_data_value_forms (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = NULL;
  const MlLessonLink *l;
  const MlLessonStep *s;
  const MlLessonHost *h;

  text = g_strconcat ("level: Advanced\n"
                      "minutes: 45\n"
                      "seed: 4294967295\n"
                      "epoch: 2024-03-04 10:30:00+01:00\n",
                      minimal_lesson,
                      "    subject: \"Re: lunch\"\n"
                      "    count: 3\n"
                      "    narrative: Two lines\n"
                      "      folded into one.\n",
                      NULL);
  {
    g_autofree char *t1 = mutate (text, "  - between: [alice-laptop, smtp.a.example]\n",
                                  "  - between: [alice-laptop, smtp.a.example]\n"
                                  "    latency: 1.5 ms\n"
                                  "    bandwidth: 2.5 Gbit\n"
                                  "    mtu: 9000\n"
                                  "    loss: 0.25\n"
                                  "    up: no\n");
    g_autofree char *t2 = mutate (t1, "    roles: [MSA, MTA]\n", "    roles: [msa, Mta, MTA]\n");
    g_autofree char *t3 = mutate (t2, "    roles: [MUA]\n", "    roles: MUA\n");
    g_autofree char *t4 = mutate (t3, "    to: [bob@a.example]\n", "    to: bob@a.example\n");
    g_autofree char *t5 = mutate (t4, "type: MX", "type: mx");

    g_free (text);
    text = g_strdup (t5);
  }

  lesson = load_string (text, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lesson->level, ==, "advanced");
  g_assert_cmpuint (lesson->minutes, ==, 45);
  g_assert_cmpuint (lesson->seed, ==, G_MAXUINT32);
  g_assert_cmpint (lesson->epoch_unix, ==, 1709544600);  /* 09:30:00Z */

  l = lesson->links->pdata[0];
  g_assert_cmpuint (l->latency_us, ==, 1500);
  g_assert_cmpuint (l->bandwidth_bps, ==, G_GUINT64_CONSTANT (2500000000));
  g_assert_cmpuint (l->mtu, ==, 9000);
  g_assert_cmpfloat_with_epsilon (l->loss, 0.25, 1e-12);
  g_assert_false (l->up);

  h = lesson->hosts->pdata[0];
  g_assert_cmpint (h->roles, ==, ML_ROLE_MUA);
  h = lesson->hosts->pdata[1];
  g_assert_cmpint (h->roles, ==, ML_ROLE_MSA | ML_ROLE_MTA);
  g_assert_cmpstr (((MlLessonRecord *) lesson->records->pdata[0])->type, ==, "MX");

  s = lesson->steps->pdata[0];
  g_assert_cmpuint (g_strv_length (s->to), ==, 1);
  g_assert_cmpstr (s->to[0], ==, "bob@a.example");
  g_assert_cmpstr (s->subject, ==, "Re: lunch");
  g_assert_cmpuint (s->count, ==, 3);
  g_assert_cmpstr (s->narrative, ==, "Two lines folded into one.");
}

/* Names compare without case (DNS does), and references come back spelled
 * as the host spells itself, so users of the lesson may use strcmp. */
static void
test_data_references (void)
{
  g_autofree char *t1 = mutate (minimal_lesson, "    submission: smtp.a.example\n",
                                "    submission: SMTP.A.Example\n");
  g_autofree char *t2 = mutate (t1, "    host: alice-laptop\n", "    host: Alice-Laptop\n");
  g_autofree char *t3 = mutate (t2, "[alice-laptop, smtp.a.example]",
                                "[ALICE-LAPTOP, smtp.a.EXAMPLE]");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load_string (t3, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (((MlLessonHost *) lesson->hosts->pdata[0])->submission, ==, "smtp.a.example");
  g_assert_cmpstr (((MlLessonStep *) lesson->steps->pdata[0])->host, ==, "alice-laptop");
  g_assert_cmpstr (((MlLessonLink *) lesson->links->pdata[0])->a, ==, "alice-laptop");
  g_assert_cmpstr (((MlLessonLink *) lesson->links->pdata[0])->b, ==, "smtp.a.example");
}

static void
test_data_find_host (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load_string (minimal_lesson, &error);

  g_assert_no_error (error);
  g_assert_true (ml_lesson_find_host (lesson, "smtp.a.example") == lesson->hosts->pdata[1]);
  g_assert_true (ml_lesson_find_host (lesson, "SMTP.A.EXAMPLE") == lesson->hosts->pdata[1]);
  g_assert_true (ml_lesson_find_host (lesson, "alice-laptop") == lesson->hosts->pdata[0]);
  g_assert_null (ml_lesson_find_host (lesson, "mx.b.example"));
  g_assert_null (ml_lesson_find_host (lesson, ""));
}

/* Windows editors write CR LF and may start with a byte order mark;
 * neither changes what loads or where an error points. */
static void
test_data_crlf_and_bom (void)
{
  g_autofree char *crlf = NULL;
  g_autofree char *with_bom = NULL;
  g_autofree char *broken = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = NULL;
  g_auto(GStrv) lines = g_strsplit (minimal_lesson, "\n", -1);

  crlf = g_strjoinv ("\r\n", lines);
  with_bom = g_strconcat ("\xEF\xBB\xBF", crlf, NULL);
  lesson = load_string (with_bom, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lesson->title, ==, "Minimal lesson");
  g_assert_cmpuint (((MlLessonHost *) lesson->hosts->pdata[1])->line, ==, 7);
  g_assert_cmpuint (((MlLessonHost *) lesson->hosts->pdata[1])->column, ==, 5);

  broken = mutate (with_bom, "ip: 10.1.0.25", "ip: 10.1.0.256");
  message = load_error (broken);
  g_assert_true (g_str_has_prefix (message, "t.yaml:9:9: hosts[2].ip: '10.1.0.256'"));
}

/* Anchors and aliases are fine in moderation: one body sent twice. */
static void
test_data_aliases (void)
{
  g_autofree char *text = g_strconcat (minimal_lesson,
                                       "    body: &letter |\n"
                                       "      Hello twice.\n"
                                       "  - action: send\n"
                                       "    host: alice-laptop\n"
                                       "    from: alice@a.example\n"
                                       "    to: [bob@a.example]\n"
                                       "    body: *letter\n", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load_string (text, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (lesson->steps->len, ==, 2);
  g_assert_cmpstr (((MlLessonStep *) lesson->steps->pdata[0])->body, ==, "Hello twice.\n");
  g_assert_cmpstr (((MlLessonStep *) lesson->steps->pdata[1])->body, ==, "Hello twice.\n");
}

/* Each limit accepts its maximum and refuses one more. */
static void
test_data_limits (void)
{
  g_autoptr(GString) text = g_string_new (minimal_lesson);
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = NULL;
  g_autofree char *message = NULL;
  gsize summary_at;
  guint line;

  /* The longest value: summary: "xxx...", then one byte more. */
  g_string_append (text, "summary: \"");
  summary_at = text->len;
  for (guint i = 0; i < ML_LESSON_MAX_STRING; i++)
    g_string_append_c (text, 'x');
  g_string_append (text, "\"\n");
  lesson = load_string (text->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (lesson->summary), ==, ML_LESSON_MAX_STRING);
  g_clear_pointer (&lesson, ml_lesson_free);

  g_string_insert_c (text, (gssize) summary_at, 'x');
  message = load_error (text->str);
  assert_location (message, "t.yaml", &line, NULL);
  g_assert_cmpuint (line, ==, 22);
  g_assert_nonnull (strstr (message, "65537 bytes"));
  g_clear_pointer (&message, g_free);

  /* The largest file: comments up to the limit, then one byte more. */
  g_string_assign (text, minimal_lesson);
  while (text->len < ML_LESSON_MAX_FILE_SIZE - 80)
    g_string_append (text, "# padding padding padding padding padding padding padding\n");
  while (text->len < ML_LESSON_MAX_FILE_SIZE - 1)
    g_string_append_c (text, '#');
  g_string_append_c (text, '\n');
  g_assert_cmpuint (text->len, ==, ML_LESSON_MAX_FILE_SIZE);
  lesson = load_string (text->str, &error);
  g_assert_no_error (error);
  g_clear_pointer (&lesson, ml_lesson_free);

  g_string_append_c (text, '\n');
  message = load_error (text->str);
  g_assert_true (g_str_has_prefix (message, "t.yaml:1:1: the file is"));
}

/* ---- malformed input ----------------------------------------------------- */

typedef struct {
  const char *file;
  guint       line, column;
  const char *says;
} BadCase;

/* Where each file of tests/data/lessons-bad goes wrong, and the words a
 * teacher should see. */
static const BadCase bad_cases[] = {
  { "a-record-not-ipv4.yaml",     15, 45, "dns[1].value: 'smtp.a.example' is not an IPv4 address" },
  { "bad-address.yaml",           22, 25, "steps[1].to[2]: 'carol.a.example' is not an email address: it has no '@'" },
  { "bad-epoch.yaml",              2,  8, "epoch: '4 March 2024' is not a date and time" },
  { "bad-ip.yaml",                 9,  9, "hosts[2].ip: '10.0.300.1' is not an IPv4 address" },
  { "bad-latency-unit.yaml",      13, 14, "links[1].latency: '2 hours' has an unknown unit" },
  { "billion-laughs.yaml",         7, 10, "expand to more than" },
  { "binary-junk.yaml",            1,  1, "not a text file" },
  { "body-line-too-long.yaml",    24, 11, "line 1 of the body is 1200 bytes long" },
  { "comments-only.yaml",          1,  1, "the file is empty" },
  { "deep-nesting.yaml",           2, 39, "nested more than 32 levels" },
  { "duplicate-host.yaml",         7, 11, "hosts[2].name: another host is already called 'alice-laptop' (line 3)" },
  { "duplicate-ip.yaml",           9,  9, "hosts[2].ip: 10.1.0.10 is already the address of 'alice-laptop'" },
  { "duplicate-key.yaml",         24,  5, "steps[1]: 'subject' appears twice (first on line 23)" },
  { "empty.yaml",                  1,  1, "the file is empty" },
  { "hosts-not-list.yaml",         3,  3, "hosts: expected a list" },
  { "huge-string.yaml",            2, 10, "this text is 90000 bytes long" },
  { "latency-no-unit.yaml",       13, 14, "links[1].latency: '20' needs a unit" },
  { "link-unknown-host.yaml",     12, 29, "links[1].between[2]: 'rtr-z' is not one of the hosts" },
  { "list-top.yaml",               1,  1, "this file is a list" },
  { "loss-150.yaml",              14, 11, "links[1].loss: '150%' is more than 100%" },
  { "mapping-key.yaml",            2,  3, "a key must be a plain name" },
  { "missing-steps.yaml",          1,  1, "'steps' is missing" },
  { "missing-title.yaml",          2,  1, "'title' is missing" },
  { "mtu-too-small.yaml",         14, 10, "links[1].mtu: '500' is out of range" },
  { "mx-without-preference.yaml", 15,  5, "dns[1]: an MX record needs a 'preference'" },
  { "not-utf8.yaml",               1, 11, "not a UTF-8 text file: the byte 0xE9 here" },
  { "not-yaml.yaml",               3,  6, "not valid YAML" },
  { "nul-in-title.yaml",           1,  8, "title: contains a NUL character" },
  { "scalar-top.yaml",             1,  1, "this file is a single value" },
  { "send-from-non-mua.yaml",     20, 11, "steps[1].host: 'smtp.a.example' cannot send" },
  { "submission-not-msa.yaml",     6, 17, "hosts[1].submission: 'smtp.a.example' is not an MSA" },
  { "tab-indentation.yaml",        8,  1, "must be spaces" },
  { "tagged-value.yaml",           1,  8, "tags such as" },
  { "two-documents.yaml",         24,  1, "a second YAML document" },
  { "unclosed-quote.yaml",         4,  1, "never closed" },
  { "undefined-alias.yaml",       13, 14, "'*lan' refers to an anchor '&lan' that is not defined" },
  { "unknown-key.yaml",           13,  5, "links[1]: unknown key 'latncy'; did you mean 'latency'?" },
  { "unknown-role.yaml",           8, 18, "hosts[2].roles[2]: 'MXA' is not a role" },
  { "utf16.yaml",                  1,  1, "the file is saved as UTF-16" },
};

static void
test_bad_corpus (void)
{
  g_autofree char *dir_path = source_path ("tests/data/lessons-bad");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, &error);
  g_autoptr(GHashTable) tested = g_hash_table_new (g_str_hash, g_str_equal);
  const char *name;
  guint n_files = 0;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autoptr(GError) load_error_ = NULL;
      g_autoptr(MlLesson) lesson = NULL;
      guint line, column;

      if (!g_str_has_suffix (name, ".yaml"))
        continue;
      n_files++;
      g_test_message ("%s", name);
      lesson = ml_lesson_load_file (path, &load_error_);
      if (lesson != NULL)
        g_error ("%s loaded, but it is broken on purpose", name);
      g_assert_error (load_error_, ML_LESSON_ERROR, load_error_->code);
      assert_location (load_error_->message, path, &line, &column);

      for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++)
        if (strcmp (bad_cases[i].file, name) == 0)
          {
            const char *text = load_error_->message + strlen (path);

            g_assert_cmpuint (line, ==, bad_cases[i].line);
            g_assert_cmpuint (column, ==, bad_cases[i].column);
            if (strstr (text, bad_cases[i].says) == NULL)
              g_error ("%s: expected \"%s\" in: %s", name, bad_cases[i].says, text);
            g_hash_table_add (tested, (gpointer) bad_cases[i].file);
          }
    }
  g_assert_cmpuint (n_files, >=, 15);
  /* Every case in the table has its file. */
  g_assert_cmpuint (g_hash_table_size (tested), ==, G_N_ELEMENTS (bad_cases));
}

/* The exact wording for a few mistakes a teacher will make. */
static void
test_bad_messages (void)
{
  static const struct {
    const char *old, *new_text, *message;
  } cases[] = {
    { "    ip: 10.1.0.25\n", "    ip: 10.0.300.1\n",
      "t.yaml:9:9: hosts[2].ip: '10.0.300.1' is not an IPv4 address; "
      "write four numbers 0-255 with dots, like 10.1.0.25" },
    { "    ip: 10.1.0.25\n", "    ip: 10.1.0.025\n",
      "t.yaml:9:9: hosts[2].ip: '10.1.0.025' is not an IPv4 address" },
    { "    ip: 10.1.0.25\n", "    ip: 127.0.0.1\n",
      "t.yaml:9:9: hosts[2].ip: '127.0.0.1' is a loopback address" },
    { "    roles: [MSA, MTA]\n", "    roles: [MSA, MTA]\n    relay_to: smtp.a.example\n",
      "t.yaml:9:15: hosts[2].relay_to: a host cannot relay to itself" },
    { "    roles: [MUA]\n", "    roles: [MUA]\n    domains: [a.example]\n",
      "t.yaml:5:14: hosts[1].domains: only a mail server" },
    { "    submission: smtp.a.example\n", "    submission: smtp.a.exmple\n",
      "t.yaml:6:17: hosts[1].submission: 'smtp.a.exmple' is not one of the hosts; "
      "did you mean 'smtp.a.example'?" },
    { "  - name: smtp.a.example\n    roles: [MSA, MTA]\n",
      "  - name: smtp_a\n    roles: [MSA, MTA]\n",
      "t.yaml:7:11: hosts[2].name: 'smtp_a' must be a DNS name because this host is a "
      "server (MSA+MTA): '_' is not allowed" },
    { "  - name: smtp.a.example\n    roles: [MSA, MTA]\n",
      "  - name: smtp.a.123\n    roles: [MSA, MTA]\n",
      "t.yaml:7:11: hosts[2].name: 'smtp.a.123' must be a DNS name because this host is a "
      "server (MSA+MTA): its last part is all digits" },
    { "  - between: [alice-laptop, smtp.a.example]\n",
      "  - between: [alice-laptop, alice-laptop]\n",
      "t.yaml:12:14: links[1].between: a link joins two different hosts" },
    { "  - between: [alice-laptop, smtp.a.example]\n",
      "  - between: [alice-laptop, smtp.a.example]\n  - between: [smtp.a.example, alice-laptop]\n",
      "t.yaml:13:14: links[2].between: 'smtp.a.example' and 'alice-laptop' are already linked (line 12)" },
    { "  - between: [alice-laptop, smtp.a.example]\n",
      "  - between: [alice-laptop]\n",
      "t.yaml:12:14: links[1].between: expected the two hosts the link joins" },
    { "  - between: [alice-laptop, smtp.a.example]\n",
      "  - between: [alice-laptop, smtp.a.example]\n    loss: 10\n",
      "t.yaml:13:11: links[1].loss: '10' is more than 1; write 10% for a percentage" },
    { "  - between: [alice-laptop, smtp.a.example]\n",
      "  - between: [alice-laptop, smtp.a.example]\n    bandwidth: 100MB\n",
      "t.yaml:13:16: links[1].bandwidth: '100MB' has an unknown unit" },
    { "  - between: [alice-laptop, smtp.a.example]\n",
      "  - between: [alice-laptop, smtp.a.example]\n    latency: -5ms\n",
      "t.yaml:13:14: links[1].latency: '-5ms' is not a duration" },
    { "  - between: [alice-laptop, smtp.a.example]\n",
      "  - between: [alice-laptop, smtp.a.example]\n    up: maybe\n",
      "t.yaml:13:9: links[1].up: 'maybe' is neither true nor false" },
    { "type: MX, preference: 10,", "type: MX, preference: 70000,",
      "t.yaml:14:46: dns[1].preference: '70000' is out of range: it must be between 0 and 65535" },
    { "type: MX, preference: 10,", "type: TXT, preference: 10,",
      "t.yaml:14:47: dns[1].preference: only MX records have a preference, and this is a TXT record" },
    { "type: MX,", "type: AAAA,",
      "t.yaml:14:30: dns[1].type: 'AAAA' is not a record type this lab serves (use one of: A, MX, TXT)" },
    { "value: smtp.a.example }", "value: smtp..a.example }",
      "t.yaml:14:57: dns[1].value: 'smtp..a.example' is not a host name, which an MX record points at" },
    { "  - { address: alice@a.example, password: alice-secret }\n",
      "  - { address: alice@a.example, password: alice-secret }\n"
      "  - { address: ALICE@A.EXAMPLE, password: again }\n",
      "t.yaml:17:16: accounts[2].address: 'ALICE@A.EXAMPLE' already has an account (line 16)" },
    { "    from: alice@a.example\n", "    from: alice..x@a.example\n",
      "t.yaml:20:11: steps[1].from: 'alice..x@a.example' is not an email address: "
      "the part before '@' has two dots in a row" },
    { "    from: alice@a.example\n", "    from: alice@-a.example\n",
      "t.yaml:20:11: steps[1].from: 'alice@-a.example' is not an email address: "
      "the domain after '@' is not valid" },
    { "    to: [bob@a.example]\n", "    to: []\n",
      "t.yaml:21:9: steps[1].to: the list is empty" },
    { "  - action: send\n", "  - action: fetch\n",
      "t.yaml:18:13: steps[1].action: 'fetch' is not an action (use one of: send, pop3-fetch, imap-sync," },
    { "    from: alice@a.example\n    to: [bob@a.example]\n",
      "    server: smtp.a.example\n    account: alice@a.example\n",
      "t.yaml:18:13: steps[1]: a 'send' step needs 'from'" },
    { "  - action: send\n    host: alice-laptop\n    from: alice@a.example\n    to: [bob@a.example]\n",
      "  - action: pop3-fetch\n    host: alice-laptop\n    account: alice@a.example\n",
      "t.yaml:18:13: steps[1]: a 'pop3-fetch' step needs 'server'" },
    { "  - action: send\n    host: alice-laptop\n    from: alice@a.example\n    to: [bob@a.example]\n",
      "  - action: pop3-fetch\n    host: alice-laptop\n    server: smtp.a.example\n    account: alice@a.example\n",
      "t.yaml:20:13: steps[1].server: 'smtp.a.example' holds no mailboxes: POP3 and IMAP are served by an MDA" },
    { "  - action: send\n", "  - action: send\n    count: 0\n",
      "t.yaml:19:12: steps[1].count: '0' is out of range: it must be between 1 and 1000" },
    { "  - action: send\n", "  - action: send\n    subject:\n",
      "t.yaml:19:13: steps[1].subject: has no value" },
    { "  - action: send\n", "  - action: send\n    subject: |\n      two\n      lines\n",
      "t.yaml:19:14: steps[1].subject: must fit on one line" },
    { "    submission: smtp.a.example\n", "",
      "t.yaml:18:11: steps[1].host: 'alice-laptop' has no 'submission' host" },
    { "title: Minimal lesson\n", "title: Minimal lesson\nminutes: many\n",
      "t.yaml:2:10: minutes: 'many' is not a whole number" },
    { "title: Minimal lesson\n", "title: Minimal lesson\nlevel: beginer\n",
      "t.yaml:2:8: level: 'beginer' is not a level (use one of: beginner, intermediate, "
      "advanced); did you mean 'beginner'?" },
    { "title: Minimal lesson\n", "title: Minimal lesson\nTitle: again\n",
      "t.yaml:2:1: unknown key 'Title'; did you mean 'title'?" },
    { "title: Minimal lesson\n", "title: Minimal lesson\nseed: 4294967296\n",
      "t.yaml:2:7: seed: '4294967296' is out of range" },
    { "title: Minimal lesson\n", "title: [Minimal, lesson]\n",
      "t.yaml:1:8: title: expected a single value, found a list" },
  };

  guint wrong = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = mutate (minimal_lesson, cases[i].old, cases[i].new_text);
      g_autofree char *message = load_error (text);

      if (!g_str_has_prefix (message, cases[i].message))
        {
          g_test_message ("case %" G_GSIZE_FORMAT ": expected\n  %s\ngot\n  %s", i,
                          cases[i].message, message);
          wrong++;
        }
    }
  g_assert_cmpuint (wrong, ==, 0);
}

/* Inputs too big to keep as files: each must fail quickly and cleanly. */
static void
test_bad_generated (void)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *message = NULL;
  guint line;

  /* 100000 levels of [ ]: refused at the first level past the limit. */
  g_string_append (s, "title: deep\nhosts: ");
  for (int i = 0; i < 100000; i++)
    g_string_append_c (s, '[');
  message = load_error (s->str);
  assert_location (message, "t.yaml", &line, NULL);
  g_assert_cmpuint (line, ==, 2);
  g_assert_nonnull (strstr (message, "nested more than"));
  g_clear_pointer (&message, g_free);

  /* Block nesting, "- - - - ...". */
  g_string_assign (s, "title: deep\nhosts:\n");
  for (int i = 0; i < 200; i++)
    {
      for (int j = 0; j < i; j++)
        g_string_append (s, "  ");
      g_string_append (s, "-\n");
    }
  message = load_error (s->str);
  g_assert_nonnull (strstr (message, "nested more than"));
  g_clear_pointer (&message, g_free);

  /* One big string aliased many times: each alias counts its bytes. */
  g_string_assign (s, "title: &t \"");
  for (int i = 0; i < 60000; i++)
    g_string_append_c (s, 'x');
  g_string_append (s, "\"\nsteps: [");
  for (int i = 0; i < 100; i++)
    g_string_append (s, "*t, ");
  g_string_append (s, "*t]\n");
  message = load_error (s->str);
  g_assert_nonnull (strstr (message, "expand to more than"));
  g_clear_pointer (&message, g_free);

  /* Many small values: more than ML_LESSON_MAX_NODES. */
  g_string_assign (s, "title: many\nhosts: [");
  for (int i = 0; i < ML_LESSON_MAX_NODES; i++)
    g_string_append (s, "a,");
  g_string_append (s, "a]\n");
  message = load_error (s->str);
  g_assert_nonnull (strstr (message, "more than 100000 values"));
  g_clear_pointer (&message, g_free);

  /* A recursive alias cannot be written: the anchor is not defined yet. */
  message = load_error ("title: x\nhosts: &h [*h]\n");
  g_assert_true (g_str_has_prefix (message, "t.yaml:2:12: '*h' refers to an anchor"));
  g_clear_pointer (&message, g_free);

  /* A NUL byte in the middle of the data. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(MlLesson) lesson = ml_lesson_load_data ("title: a\0b\n", 11, "t.yaml", &error);

    g_assert_null (lesson);
    g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE);
    g_assert_true (g_str_has_prefix (error->message, "t.yaml:1:9: not a text file"));
  }

  /* Zero bytes, and no data at all. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(MlLesson) lesson = ml_lesson_load_data (NULL, 0, "t.yaml", &error);

    g_assert_null (lesson);
    g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
    g_assert_true (g_str_has_prefix (error->message, "t.yaml:1:1: the file is empty"));
  }
}

static void
test_bad_file (void)
{
  g_autofree char *dir_path = source_path ("tests/data/lessons-bad");
  g_autofree char *missing = g_build_filename (dir_path, "no-such-lesson.yaml", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = NULL;
  g_autofree char *prefix = NULL;

  lesson = ml_lesson_load_file (missing, &error);
  g_assert_null (lesson);
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE);
  prefix = g_strconcat (missing, ":1:1: cannot open the file", NULL);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  g_clear_error (&error);
  g_clear_pointer (&prefix, g_free);

  lesson = ml_lesson_load_file (dir_path, &error);
  g_assert_null (lesson);
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE);
  prefix = g_strconcat (dir_path, ":1:1: ", NULL);
  g_assert_true (g_str_has_prefix (error->message, prefix));
}

/* Random damage to a good lesson, and random bytes: every outcome is a
 * lesson or an error with a position, never a crash (the sanitizer and
 * valgrind setups catch leaks and bad reads). */
static void
test_bad_fuzz (void)
{
  static const char specials[] = ":-[]{}&*!|>'\"\t\n#%@?,. \\~0";
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240304);
  guint loaded = 0, failed = 0;

  for (guint round = 0; round < 3000; round++)
    {
      g_autoptr(GString) s = g_string_new (minimal_lesson);
      g_autoptr(GError) error = NULL;
      g_autoptr(MlLesson) lesson = NULL;
      guint edits = (guint) g_rand_int_range (rand, 1, 4);

      if (round % 10 == 9)
        {
          g_string_truncate (s, 0);
          for (gint i = g_rand_int_range (rand, 0, 300); i > 0; i--)
            g_string_append_c (s, (char) g_rand_int_range (rand, 0, 256));
        }
      else
        for (guint e = 0; e < edits && s->len > 0; e++)
          {
            gsize at = (gsize) g_rand_int_range (rand, 0, (gint32) s->len);

            switch (g_rand_int_range (rand, 0, 4))
              {
              case 0:
                {
                  gsize n = (gsize) g_rand_int_range (rand, 1, 20);

                  g_string_erase (s, (gssize) at, (gssize) MIN (s->len - at, n));
                }
                break;
              case 1:
                g_string_insert_c (s, (gssize) at,
                                   specials[g_rand_int_range (rand, 0, sizeof specials - 1)]);
                break;
              case 2:
                s->str[at] = specials[g_rand_int_range (rand, 0, sizeof specials - 1)];
                break;
              default:
                g_string_insert_c (s, (gssize) at, (char) g_rand_int_range (rand, 0, 256));
                break;
              }
          }

      lesson = ml_lesson_load_data (s->str, s->len, "fuzz.yaml", &error);
      if (lesson != NULL)
        {
          g_assert_no_error (error);
          loaded++;
        }
      else
        {
          g_assert_nonnull (error);
          assert_location (error->message, "fuzz.yaml", NULL, NULL);
          failed++;
        }
    }
  /* Both outcomes happen, or the mutations test nothing. */
  g_assert_cmpuint (loaded, >, 0);
  g_assert_cmpuint (failed, >, 0);
}

/* The minimal lesson with an MDA, and one retrieval step at its end. */
static char *
retrieval_lesson (const char *step)
{
  g_autofree char *with_mda = mutate (minimal_lesson, "    roles: [MSA, MTA]\n",
                                      "    roles: [MSA, MTA, MDA]\n");

  return mutate (with_mda,
                 "  - action: send\n    host: alice-laptop\n    from: alice@a.example\n    to: [bob@a.example]\n",
                 step);
}

static void
test_retrieval_steps (void)
{
  static const struct { const char *step; const char *message; } bad[] = {
    { "  - action: imap-flag\n    host: alice-laptop\n    server: smtp.a.example\n"
      "    account: alice@a.example\n    uid: 1\n    flags: [\\Seen, \\Recent]\n",
      "t.yaml:23:20: steps[1].flags[2]: '\\Recent' is not a flag a client may set" },
    { "  - action: imap-flag\n    host: alice-laptop\n    server: smtp.a.example\n"
      "    account: alice@a.example\n    uid: 1\n",
      "t.yaml:18:13: steps[1]: a 'imap-flag' step needs 'flags'" },
    { "  - action: imap-move\n    host: alice-laptop\n    server: smtp.a.example\n"
      "    account: alice@a.example\n    folder: Archive\n",
      "t.yaml:18:13: steps[1]: a 'imap-move' step needs 'uid' or 'message'" },
    { "  - action: imap-idle\n    host: alice-laptop\n    server: smtp.a.example\n"
      "    account: alice@a.example\n    timeout: 2h\n",
      "t.yaml:22:14: steps[1].timeout: '2h' has an unknown unit" },
    { "  - action: imap-sync\n    host: alice-laptop\n    server: smtp.a.example\n"
      "    account: carol@a.example\n",
      "t.yaml:21:14: steps[1].account: 'carol@a.example' is not among the lesson's accounts" },
  };
  g_autofree char *good_text = retrieval_lesson (
      "  - action: pop3-fetch\n    host: alice-laptop\n    server: SMTP.a.example\n"
      "    account: alice@a.example\n    keep: true\n    uidl: yes\n"
      "  - action: imap-flag\n    host: alice-laptop\n    server: smtp.a.example\n"
      "    account: alice@a.example\n    message: Lunch\n    flags: [\\flagged, $Important]\n"
      "    set: false\n"
      "  - action: imap-idle\n    host: alice-laptop\n    server: smtp.a.example\n"
      "    account: alice@a.example\n    timeout: 2min\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) good = ml_lesson_load_data (good_text, strlen (good_text), "t.yaml", &error);
  const MlLessonStep *s;

  g_assert_no_error (error);
  s = good->steps->pdata[0];
  g_assert_cmpint (s->kind, ==, ML_LESSON_ACTION_POP3_FETCH);
  g_assert_cmpstr (s->server, ==, "smtp.a.example");
  g_assert_true (s->keep);
  g_assert_true (s->uidl);
  s = good->steps->pdata[1];
  g_assert_cmpint (s->kind, ==, ML_LESSON_ACTION_IMAP_FLAG);
  g_assert_cmpstr (s->message, ==, "Lunch");
  g_assert_cmpstr (s->flags[0], ==, "\\Flagged");
  g_assert_cmpstr (s->flags[1], ==, "$Important");
  g_assert_false (s->set);
  g_assert_true (s->expunge);
  s = good->steps->pdata[2];
  g_assert_cmpuint (s->timeout_us, ==, 120 * G_USEC_PER_SEC);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = retrieval_lesson (bad[i].step);
      g_autofree char *message = load_error (text);

      if (!g_str_has_prefix (message, bad[i].message))
        g_test_message ("case %" G_GSIZE_FORMAT ": got %s", i, message);
      g_assert_true (g_str_has_prefix (message, bad[i].message));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lesson/shipped/smtp-journey", test_shipped_smtp_journey);
  g_test_add_func ("/lesson/shipped/tcp-under-loss", test_shipped_tcp_under_loss);
  g_test_add_func ("/lesson/shipped/same-world", test_shipped_same_world);
  g_test_add_func ("/lesson/data/defaults", test_data_defaults);
  g_test_add_func ("/lesson/data/names", test_data_names);
  g_test_add_func ("/lesson/data/positions", test_data_positions);
  g_test_add_func ("/lesson/data/value-forms", test_data_value_forms);
  g_test_add_func ("/lesson/data/references", test_data_references);
  g_test_add_func ("/lesson/data/find-host", test_data_find_host);
  g_test_add_func ("/lesson/data/crlf-and-bom", test_data_crlf_and_bom);
  g_test_add_func ("/lesson/data/aliases", test_data_aliases);
  g_test_add_func ("/lesson/data/limits", test_data_limits);
  g_test_add_func ("/lesson/bad/corpus", test_bad_corpus);
  g_test_add_func ("/lesson/bad/messages", test_bad_messages);
  g_test_add_func ("/lesson/bad/generated", test_bad_generated);
  g_test_add_func ("/lesson/bad/file", test_bad_file);
  g_test_add_func ("/lesson/bad/fuzz", test_bad_fuzz);

  g_test_add_func ("/lesson/retrieval-steps", test_retrieval_steps);
  return g_test_run ();
}

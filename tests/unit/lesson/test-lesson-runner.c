/* test-lesson-runner.c — questions, checks, faults and the metadata keys
 * as the loader reads them, and the runner that plays and grades a lesson:
 * the walk's order, grading of each kind of question, checks that pass
 * and checks that fail on the same run, the score and the results files. */
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lesson/lesson.h"
#include "lesson/lesson-runner.h"

/* Alice sends Bob two messages; Bob's phone downloads and deletes them
 * over POP3. Line numbers matter for the error tests below. */
static const char world_text[] =
  "title: Runner test\n"
  "goals: [Read a POP3 session, \"Tell +OK from -ERR\"]\n"
  "hosts:\n"
  "  - { name: alice-laptop, roles: [MUA], ip: 10.1.0.10, submission: smtp.a.example }\n"
  "  - { name: smtp.a.example, roles: [MSA, MTA], ip: 10.1.0.25, domains: [a.example] }\n"
  "  - { name: ns.example, roles: [DNS], ip: 10.1.0.53 }\n"
  "  - { name: rtr, roles: [router], ip: 10.1.0.1 }\n"
  "  - { name: mail.b.example, roles: [MTA, MDA], ip: 10.2.0.30, domains: [b.example] }\n"
  "  - { name: bob-phone, roles: [MUA], ip: 10.2.0.50 }\n"
  "links:\n"
  "  - between: [alice-laptop, rtr]\n"
  "  - between: [smtp.a.example, rtr]\n"
  "  - between: [ns.example, rtr]\n"
  "  - between: [mail.b.example, rtr]\n"
  "  - between: [bob-phone, rtr]\n"
  "dns:\n"
  "  - { name: b.example, type: MX, preference: 10, value: mail.b.example }\n"
  "accounts:\n"
  "  - { address: alice@a.example, password: alice-secret }\n"
  "  - { address: bob@b.example, password: bob-secret }\n"
  "steps:\n"
  "  - { action: send, host: alice-laptop, from: alice@a.example, to: bob@b.example,\n"
  "      subject: Train times, narrative: \"*Alice* sends `one`.\" }\n"
  "  - { action: send, host: alice-laptop, from: alice@a.example, to: bob@b.example,\n"
  "      subject: Photos, pause: true }\n"
  "  - { action: pop3-fetch, host: bob-phone, server: mail.b.example,\n"
  "      account: bob@b.example }\n";

static const char questions_text[] =
  "questions:\n"
  "  - { id: port, after_step: 0, ask: Port?, choices: [\"25\", \"587\"], answer: \"587\",\n"
  "      right: Yes, wrong: No }\n"
  "  - { id: count, ask: How many?, answer: \"2\", tolerance: 0.5 }\n"
  "  - { id: cmd, after_step: 3, ask: Which command?, accept: [RETR, \"RETR n\"] }\n"
  "  - { id: data, ask: DATA gets?, predict: { step: 1, command: data } }\n"
  "  - { id: greet, ask: First reply?, predict: { step: 3 } }\n"
  "  - { id: dele, ask: DELE gets?, predict: { step: 3, command: DELE }, points: 2 }\n"
  "checks:\n"
  "  - { id: empty, check: mailbox-count, description: Empty, account: bob@b.example, count: 0 }\n"
  "  - { id: wrong, check: mailbox-count, description: Two, account: bob@b.example, count: 2 }\n"
  "  - { id: phone, check: device-count, description: Phone, host: bob-phone, count: 2 }\n"
  "  - { id: order, check: order, description: O, protocol: pop3, first: RETR, then: DELE }\n"
  "  - { id: badorder, check: order, description: O, protocol: pop3, first: DELE, then: RETR }\n"
  "  - { id: rcpt, check: reply, description: R, protocol: smtp, command: RCPT, code: 250 }\n"
  "  - { id: norcpt, check: reply, description: R, protocol: smtp, command: RCPT, code: 550 }\n"
  "  - { id: pass, check: reply, description: P, protocol: pop3, command: PASS, status: +OK }\n"
  "  - { id: update, check: state, description: U, protocol: pop3, state: UPDATE }\n"
  "  - { id: kept, check: deleted-kept, description: K, account: bob@b.example }\n";

static MlLesson *
load (const char *extra, GError **error)
{
  g_autofree char *text = g_strconcat (world_text, extra, NULL);

  return ml_lesson_load_data (text, strlen (text), "r.yaml", error);
}

static void
test_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load (questions_text, &error);
  const MlLessonQuestion *q;
  const MlLessonCheck *c;

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (lesson->goals), ==, 2);
  g_assert_cmpstr (lesson->goals[1], ==, "Tell +OK from -ERR");
  g_assert_true (((MlLessonStep *) lesson->steps->pdata[1])->pause);
  g_assert_false (((MlLessonStep *) lesson->steps->pdata[0])->pause);
  g_assert_cmpuint (lesson->questions->len, ==, 6);

  q = lesson->questions->pdata[0];
  g_assert_cmpint (q->kind, ==, ML_LESSON_QUESTION_CHOICE);
  g_assert_cmpuint (q->answer_index, ==, 1);
  g_assert_cmpuint (q->after_step, ==, 0);
  q = lesson->questions->pdata[1];
  g_assert_cmpint (q->kind, ==, ML_LESSON_QUESTION_NUMBER);
  g_assert_cmpfloat (q->number, ==, 2.0);
  g_assert_cmpfloat (q->tolerance, ==, 0.5);
  g_assert_cmpuint (q->after_step, ==, 3);   /* default: after the last step */
  q = lesson->questions->pdata[2];
  g_assert_cmpint (q->kind, ==, ML_LESSON_QUESTION_TEXT);
  q = lesson->questions->pdata[3];
  g_assert_cmpint (q->kind, ==, ML_LESSON_QUESTION_PREDICT);
  g_assert_cmpuint (q->predict_step, ==, 1);
  g_assert_cmpstr (q->predict_command, ==, "DATA");
  g_assert_null (((MlLessonQuestion *) lesson->questions->pdata[4])->predict_command);
  g_assert_cmpuint (((MlLessonQuestion *) lesson->questions->pdata[5])->points, ==, 2);

  g_assert_cmpuint (lesson->checks->len, ==, 10);
  c = lesson->checks->pdata[0];
  g_assert_cmpint (c->kind, ==, ML_LESSON_CHECK_MAILBOX_COUNT);
  g_assert_cmpstr (c->mailbox, ==, "INBOX");
  g_assert_cmpuint (c->count, ==, 0);
  c = lesson->checks->pdata[8];
  g_assert_cmpint (c->kind, ==, ML_LESSON_CHECK_STATE);
  g_assert_cmpstr (c->state, ==, "update");
  g_assert_cmpint (c->protocol, ==, ML_PROTO_POP3);
  c = lesson->checks->pdata[7];
  g_assert_cmpstr (c->status, ==, "+OK");
}

static void
test_parse_errors (void)
{
  static const struct {
    const char *extra, *prefix, *says;
  } cases[] = {
    { "questions:\n  - { ask: Port?, choices: [\"25\", \"587\"], answer: \"465\" }\n",
      "r.yaml:29:", "'465' is not one of the choices" },
    { "questions:\n  - { ask: Port?, choices: [\"25\", \"587\"] }\n",
      "r.yaml:29:", "'answer' is missing" },
    { "questions:\n  - { ask: Port? }\n", "r.yaml:29:", "a question needs 'choices'" },
    { "questions:\n  - { ask: N?, answer: many }\n", "r.yaml:29:", "'many' is not a number" },
    { "questions:\n  - { ask: N?, after_step: 4, answer: \"1\" }\n",
      "r.yaml:29:", "there is no step 4" },
    { "questions:\n  - { ask: P?, predict: { step: 9 } }\n", "r.yaml:29:", "no step 9" },
    { "questions:\n  - { ask: P?, predict: { step: 1, command: \"MAIL FROM\" } }\n",
      "r.yaml:29:", "is not a command verb" },
    { "questions:\n  - { ask: P?, predict: { stp: 1 } }\n", "r.yaml:29:",
      "did you mean 'step'?" },
    { "questions:\n  - { ask: P?, predict: { step: 1 }, answer: \"250\" }\n", "r.yaml:29:",
      "remove 'answer'" },
    { "questions:\n  - { id: a, ask: X?, answer: \"1\" }\n  - { id: a, ask: Y?, answer: \"2\" }\n",
      "r.yaml:30:", "already has the id 'a'" },
    { "questions:\n  - { ask: X?, accept: [a], choices: [a, b], answer: a }\n", "r.yaml:29:",
      "not several" },
    { "checks:\n  - { check: mailbox-count, description: D, account: bob@b.example }\n",
      "r.yaml:29:", "needs 'count'" },
    { "checks:\n  - { check: mailbox-count, description: D, account: eve@b.example, count: 1 }\n",
      "r.yaml:29:", "not among the lesson's accounts" },
    { "checks:\n  - { check: device-count, description: D, host: rtr, count: 1 }\n",
      "r.yaml:29:", "'rtr' is not a MUA" },
    { "checks:\n  - { check: state, description: D, protocol: pop3, state: update, count: 1 }\n",
      "r.yaml:29:", "a 'state' check has no 'count'" },
    { "checks:\n  - { check: reply, description: D, protocol: pop3, command: PASS, code: 250 }\n",
      "r.yaml:29:", "only SMTP replies have a code" },
    { "checks:\n  - { check: reploy, description: D }\n", "r.yaml:29:",
      "did you mean 'reply'?" },
    { "checks:\n  - { check: flag, description: D, account: bob@b.example, subject: x,\n"
      "      flag: \\\\Recent }\n", "r.yaml:30:", "is not a flag a client may set" },
    { "prerequisites: [01-Smtp]\n", "r.yaml:28:", "is not a lesson id" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MlLesson) lesson = load (cases[i].extra, &error);

      g_test_message ("%s", cases[i].extra);
      g_assert_null (lesson);
      g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
      if (!g_str_has_prefix (error->message, cases[i].prefix) ||
          strstr (error->message, cases[i].says) == NULL)
        g_error ("expected %s…%s, got: %s", cases[i].prefix, cases[i].says, error->message);
    }
}

static void
test_faults_parse (void)
{
  static const char steps[] =
    "  - action: pop3-fetch\n"                                              /* 28 */
    "    host: bob-phone\n"
    "    server: mail.b.example\n"
    "    account: bob@b.example\n"
    "    faults:\n"
    "      - { link: [RTR, bob-phone], up: false }\n"                      /* 33 */
    "      - { link: [mail.b.example, rtr], loss: 10% }\n"
    "      - { host: smtp.a.example, up: true }\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load (steps, &error);
  const MlLessonStep *s;
  const MlLessonFault *f;

  g_assert_no_error (error);
  s = lesson->steps->pdata[3];
  g_assert_cmpuint (s->faults->len, ==, 3);
  f = s->faults->pdata[0];
  g_assert_cmpint (f->kind, ==, ML_LESSON_FAULT_LINK);
  g_assert_cmpstr (f->a, ==, "rtr");
  g_assert_cmpstr (f->b, ==, "bob-phone");
  g_assert_cmpint (f->up, ==, ML_LESSON_NO);
  g_assert_false (f->set_loss);
  f = s->faults->pdata[1];
  g_assert_true (f->set_loss);
  g_assert_cmpfloat (f->loss, ==, 0.1);
  g_assert_cmpint (f->up, ==, ML_LESSON_DEFAULT);
  f = s->faults->pdata[2];
  g_assert_cmpint (f->kind, ==, ML_LESSON_FAULT_HOST);
  g_assert_cmpstr (f->a, ==, "smtp.a.example");
  g_assert_cmpint (f->up, ==, ML_LESSON_YES);
}

static void
test_faults_errors (void)
{
  static const struct {
    const char *fault, *says;
  } cases[] = {
    { "{ link: [alice-laptop, bob-phone], up: false }", "no link joins" },
    { "{ link: [rtr, bob-phone] }", "say what happens to the link" },
    { "{ host: rtr }", "say what happens to the host" },
    { "{ host: rtr, loss: 5% }", "loss belongs to a link" },
    { "{ host: rtr, link: [rtr, bob-phone], up: false }", "not several" },
    { "{ up: false }", "not none" },
    { "{ host: nowhere, up: false }", "is not one of the hosts" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *extra = g_strdup_printf ("  - { action: pop3-fetch, host: bob-phone, "
                                                "server: mail.b.example, account: bob@b.example,"
                                                " faults: [%s] }\n", cases[i].fault);
      g_autoptr(GError) error = NULL;
      g_autoptr(MlLesson) lesson = load (extra, &error);

      g_test_message ("%s", cases[i].fault);
      g_assert_null (lesson);
      g_assert_true (g_str_has_prefix (error->message, "r.yaml:28:"));
      if (strstr (error->message, cases[i].says) == NULL)
        g_error ("expected %s, got: %s", cases[i].says, error->message);
    }
}

static void
test_prerequisites (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ml-lesson-XXXXXX", NULL);
  g_autofree char *other = g_build_filename (dir, "01-first.yaml", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) ok = load ("prerequisites: [01-first]\n", &error);
  g_autoptr(MlLesson) missing = load ("prerequisites: [01-first, 02-second]\n", &error);

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (other, "title: x\n", -1, NULL));
  g_assert_true (ml_lesson_check_prerequisites (ok, dir, &error));
  g_assert_no_error (error);
  g_assert_false (ml_lesson_check_prerequisites (missing, dir, &error));
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "r.yaml:28:16: prerequisites[2]:"));
  g_assert_nonnull (strstr (error->message, "no lesson '02-second'"));
  g_unlink (other);
  g_rmdir (dir);
}

typedef struct {
  MlLesson       *lesson;
  MlLessonRunner *runner;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->lesson = load (questions_text, &error);
  g_assert_no_error (error);
  f->runner = ml_lesson_runner_new (f->lesson, f->lesson->seed);
  g_assert_true (ml_lesson_runner_run (f->runner, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->runner);
  g_clear_pointer (&f->lesson, ml_lesson_free);
}

/* The walk: question before step 1, each step's narrative, predictions
 * right after the narrative of their step, the pause after step 2, the
 * questions after step 3, then every check, then END for good. */
static void
test_runner_walk (Fixture *f, gconstpointer data)
{
  static const struct {
    MlLessonItemKind kind;
    guint step;
    const char *id;
  } expected[] = {
    { ML_LESSON_ITEM_QUESTION, 0, "port" },
    { ML_LESSON_ITEM_NARRATIVE, 1, NULL },
    { ML_LESSON_ITEM_QUESTION, 1, "data" },
    { ML_LESSON_ITEM_NARRATIVE, 2, NULL },
    { ML_LESSON_ITEM_PAUSE, 2, NULL },
    { ML_LESSON_ITEM_NARRATIVE, 3, NULL },
    { ML_LESSON_ITEM_QUESTION, 3, "greet" },
    { ML_LESSON_ITEM_QUESTION, 3, "dele" },
    { ML_LESSON_ITEM_QUESTION, 3, "count" },
    { ML_LESSON_ITEM_QUESTION, 3, "cmd" },
  };
  MlTrace *trace = ml_lesson_runner_get_trace (f->runner);
  MlLessonItem item;
  guint64 last_end = 0;
  guint checks = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_true (ml_lesson_runner_next_item (f->runner, &item));
      g_assert_cmpint (item.kind, ==, expected[i].kind);
      g_assert_cmpuint (item.step, ==, expected[i].step);
      if (expected[i].id)
        g_assert_cmpstr (item.question->id, ==, expected[i].id);
      if (item.kind == ML_LESSON_ITEM_NARRATIVE)
        {
          /* Steps tile the trace in order. */
          g_assert_cmpuint (item.trace_start, ==, last_end);
          g_assert_cmpuint (item.trace_end, >, item.trace_start);
          last_end = item.trace_end;
          g_assert_nonnull (item.step_data);
        }
      if (item.kind == ML_LESSON_ITEM_QUESTION &&
          item.question->kind == ML_LESSON_QUESTION_PREDICT)
        {
          /* A prediction stops the player right before the reply. */
          const MlTraceEvent *e = ml_trace_get_event (trace, item.trace_end);

          g_assert_cmpint (e->kind, ==, ML_TRACE_DIALOGUE);
          g_assert_cmpint (e->direction, ==, ML_DIR_SERVER_TO_CLIENT);
          g_assert_cmpuint (item.trace_end, >=, item.trace_start);
        }
    }
  g_assert_cmpstr (((MlLessonStep *) f->lesson->steps->pdata[0])->narrative, ==,
                   "*Alice* sends `one`.");
  while (ml_lesson_runner_next_item (f->runner, &item))
    {
      g_assert_cmpint (item.kind, ==, ML_LESSON_ITEM_CHECK);
      g_assert_nonnull (item.observed);
      checks++;
    }
  g_assert_cmpuint (checks, ==, 10);
  g_assert_cmpint (item.kind, ==, ML_LESSON_ITEM_END);
  g_assert_false (ml_lesson_runner_next_item (f->runner, &item));
  g_assert_cmpint (item.kind, ==, ML_LESSON_ITEM_END);
}

static void
test_runner_checks (Fixture *f, gconstpointer data)
{
  static const struct {
    const char *id;
    gboolean passed;
    const char *observed;
  } expected[] = {
    { "empty", TRUE, "0 messages" },
    { "wrong", FALSE, "0 messages" },
    { "phone", TRUE, "2 messages" },
    { "order", TRUE, "0 DELE of 2 without RETR before it" },
    { "badorder", FALSE, "2 RETR of 2 without DELE before it" },
    { "rcpt", TRUE, "RCPT was answered 250" },
    { "norcpt", FALSE, "RCPT was answered 250" },
    { "pass", TRUE, "PASS was answered +OK" },
    { "update", TRUE, "mail.b.example entered update" },
    { "kept", FALSE, "0 messages marked \\Deleted still there" },
  };
  MlLessonItem item;
  guint i = 0;

  while (ml_lesson_runner_next_item (f->runner, &item))
    {
      if (item.kind != ML_LESSON_ITEM_CHECK)
        continue;
      g_assert_cmpuint (i, <, G_N_ELEMENTS (expected));
      g_assert_cmpstr (item.check->id, ==, expected[i].id);
      g_assert_cmpint (item.passed, ==, expected[i].passed);
      g_assert_cmpstr (item.observed, ==, expected[i].observed);
      i++;
    }
  g_assert_cmpuint (i, ==, G_N_ELEMENTS (expected));
}

static void
assert_answer (MlLessonRunner *runner, const char *id, const char *answer, gboolean right)
{
  g_autoptr(GError) error = NULL;
  gboolean correct = !right;
  const char *feedback = NULL;

  g_assert_true (ml_lesson_runner_answer (runner, id, answer, &correct, &feedback, &error));
  g_assert_no_error (error);
  if (correct != right)
    g_error ("%s: '%s' graded %s", id, answer, correct ? "right" : "wrong");
  g_assert_nonnull (feedback);
}

static void
test_runner_answers (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_expected = ml_lesson_runner_dup_expected (f->runner, "data");
  g_autofree char *greet_expected = ml_lesson_runner_dup_expected (f->runner, "greet");
  g_autofree char *dele_expected = ml_lesson_runner_dup_expected (f->runner, "dele");
  const char *feedback = NULL;
  gboolean correct;
  guint earned, possible;

  g_assert_cmpstr (data_expected, ==, "354");
  g_assert_cmpstr (greet_expected, ==, "+OK");
  g_assert_cmpstr (dele_expected, ==, "+OK");

  ml_lesson_runner_get_score (f->runner, &earned, &possible);
  g_assert_cmpuint (possible, ==, 7 + 10);
  g_assert_cmpuint (earned, ==, 6);   /* the passing checks, no answers yet */

  assert_answer (f->runner, "port", "25", FALSE);
  assert_answer (f->runner, "port", "1", FALSE);
  assert_answer (f->runner, "port", "2", TRUE);
  g_assert_true (ml_lesson_runner_answer (f->runner, "port", " 587 ", &correct, &feedback, NULL));
  g_assert_true (correct);
  g_assert_cmpstr (feedback, ==, "Yes");
  g_assert_true (ml_lesson_runner_answer (f->runner, "port", "3", &correct, &feedback, NULL));
  g_assert_false (correct);
  g_assert_cmpstr (feedback, ==, "No");
  assert_answer (f->runner, "port", "587", TRUE);

  assert_answer (f->runner, "count", "two", FALSE);
  assert_answer (f->runner, "count", "2.6", FALSE);
  assert_answer (f->runner, "count", "1.5", TRUE);
  assert_answer (f->runner, "cmd", "dele", FALSE);
  assert_answer (f->runner, "cmd", "retr   N", TRUE);
  assert_answer (f->runner, "cmd", "retr", TRUE);
  assert_answer (f->runner, "data", "250", FALSE);
  assert_answer (f->runner, "data", "354 go ahead", TRUE);
  assert_answer (f->runner, "greet", "-ERR", FALSE);
  assert_answer (f->runner, "greet", "+ok", TRUE);
  assert_answer (f->runner, "dele", "", FALSE);

  ml_lesson_runner_get_score (f->runner, &earned, &possible);
  g_assert_cmpuint (earned, ==, 6 + 5);

  g_assert_false (ml_lesson_runner_answer (f->runner, "nope", "1", &correct, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (ml_lesson_runner_dup_expected (f->runner, "nope"));
}

static void
test_runner_results (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_dir_make_tmp ("ml-results-XXXXXX", NULL);
  g_autofree char *json_path = g_build_filename (dir, "r.json", NULL);
  g_autofree char *csv_path = g_build_filename (dir, "r.csv", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *csv = NULL;
  g_auto(GStrv) lines = NULL;
  JsonObject *root;
  JsonArray *rows;
  JsonObject *row;

  assert_answer (f->runner, "cmd", "RETR, of course", FALSE);
  assert_answer (f->runner, "port", "587", TRUE);
  g_assert_true (ml_lesson_runner_write_results (f->runner, json_path, ML_LESSON_RESULTS_JSON,
                                                 &error));
  g_assert_no_error (error);
  g_assert_true (ml_lesson_runner_write_results (f->runner, csv_path, ML_LESSON_RESULTS_CSV,
                                                 &error));
  g_assert_no_error (error);

  g_assert_true (json_parser_load_from_file (parser, json_path, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "lesson"), ==, "r");
  g_assert_cmpint (json_object_get_int_member (root, "score"), ==, 6 + 1);
  g_assert_cmpint (json_object_get_int_member (root, "possible"), ==, 17);
  rows = json_object_get_array_member (root, "rows");
  g_assert_cmpuint (json_array_get_length (rows), ==, 16);
  row = json_array_get_object_element (rows, 0);
  g_assert_cmpstr (json_object_get_string_member (row, "id"), ==, "port");
  g_assert_cmpstr (json_object_get_string_member (row, "kind"), ==, "choice");
  g_assert_cmpstr (json_object_get_string_member (row, "answer"), ==, "587");
  g_assert_true (json_object_get_boolean_member (row, "correct"));
  row = json_array_get_object_element (rows, 1);
  g_assert_true (json_object_get_null_member (row, "answer"));
  g_assert_false (json_object_get_boolean_member (row, "correct"));

  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 16 + 1);
  g_assert_cmpstr (lines[0], ==, "lesson,id,kind,answer,correct,points,max_points");
  g_assert_cmpstr (lines[1], ==, "r,port,choice,587,true,1,1");
  g_assert_cmpstr (lines[3], ==, "r,cmd,text,\"RETR, of course\",false,0,1");
  g_assert_cmpstr (lines[6], ==, "r,dele,predict,,false,0,2");
  g_assert_cmpstr (lines[7], ==, "r,empty,check,0 messages,true,1,1");
  g_unlink (json_path);
  g_unlink (csv_path);
  g_rmdir (dir);
}

/* Same lesson, same seed: the same trace and the same grades. */
static void
test_runner_deterministic (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load (questions_text, &error);
  g_autoptr(MlLessonRunner) a = ml_lesson_runner_new (lesson, 7);
  g_autoptr(MlLessonRunner) b = ml_lesson_runner_new (lesson, 7);
  MlTrace *ta, *tb;

  g_assert_true (ml_lesson_runner_run (a, NULL));
  g_assert_true (ml_lesson_runner_run (b, NULL));
  ta = ml_lesson_runner_get_trace (a);
  tb = ml_lesson_runner_get_trace (b);
  g_assert_cmpuint (ml_trace_get_length (ta), ==, ml_trace_get_length (tb));
  for (guint64 i = 0; i < ml_trace_get_length (ta); i++)
    {
      const MlTraceEvent *ea = ml_trace_get_event (ta, i);
      const MlTraceEvent *eb = ml_trace_get_event (tb, i);

      g_assert_cmpuint (ea->time_us, ==, eb->time_us);
      g_assert_cmpstr (ea->text, ==, eb->text);
    }
}

/* A cut link stops the phone's fetch; mended, the next fetch gets the
 * mail. The faults are in the trace as notes, and the cut link drops. */
static void
test_runner_faults (void)
{
  static const char extra[] =
    "  - action: pop3-fetch\n"
    "    host: bob-phone\n"
    "    server: mail.b.example\n"
    "    account: bob@b.example\n"
    "    faults: [{ link: [bob-phone, rtr], up: false }, { link: [rtr, ns.example], loss: 5% }]\n"
    "  - action: pop3-fetch\n"
    "    host: bob-phone\n"
    "    server: mail.b.example\n"
    "    account: bob@b.example\n"
    "    faults: [{ host: bob-phone, up: true }]\n"
    "checks:\n"
    "  - { check: device-count, description: D, host: bob-phone, count: 2 }\n";
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = NULL;
  g_autoptr(MlLessonRunner) runner = NULL;
  MlTrace *trace;
  MlLessonItem item;
  guint64 step4_start = 0, step4_end = 0, step5_start = 0;
  guint down_notes = 0, up_notes = 0, loss_notes = 0, dropped_in_4 = 0;

  /* Step 3 fetches the mail already: take it out, so steps 4 and 5 matter. */
  text = g_strconcat (world_text, extra, NULL);
  {
    char *fetch = strstr (text, "  - { action: pop3-fetch, host: bob-phone, server: mail.b.example,\n"
                                "      account: bob@b.example }\n");
    g_assert_nonnull (fetch);
    memmove (fetch, fetch + strlen ("  - { action: pop3-fetch, host: bob-phone, server: "
                                    "mail.b.example,\n      account: bob@b.example }\n"),
             strlen (fetch) + 1 - strlen ("  - { action: pop3-fetch, host: bob-phone, server: "
                                          "mail.b.example,\n      account: bob@b.example }\n"));
  }
  lesson = ml_lesson_load_data (text, strlen (text), "f.yaml", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lesson->steps->len, ==, 4);
  runner = ml_lesson_runner_new (lesson, 1);
  g_assert_true (ml_lesson_runner_run (runner, &error));
  g_assert_no_error (error);
  trace = ml_lesson_runner_get_trace (runner);

  while (ml_lesson_runner_next_item (runner, &item))
    {
      if (item.kind == ML_LESSON_ITEM_NARRATIVE && item.step == 3)
        {
          step4_start = item.trace_start;
          step4_end = item.trace_end;
        }
      if (item.kind == ML_LESSON_ITEM_NARRATIVE && item.step == 4)
        step5_start = item.trace_start;
      if (item.kind == ML_LESSON_ITEM_CHECK)
        {
          g_assert_true (item.passed);
          g_assert_cmpstr (item.observed, ==, "2 messages");
        }
    }
  g_assert_cmpuint (step5_start, ==, step4_end);
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (e->kind == ML_TRACE_NOTE && g_strcmp0 (e->explain_key, "lesson.fault.link-down") == 0)
        {
          g_assert_cmpuint (i, >=, step4_start);
          g_assert_cmpuint (i, <, step4_end);
          down_notes++;
        }
      if (e->kind == ML_TRACE_NOTE && g_strcmp0 (e->explain_key, "lesson.fault.host-up") == 0)
        {
          g_assert_cmpuint (i, >=, step5_start);
          up_notes++;
        }
      if (e->kind == ML_TRACE_NOTE && g_strcmp0 (e->explain_key, "lesson.fault.loss") == 0)
        loss_notes++;
      if (e->kind == ML_TRACE_FRAME && e->dropped && i >= step4_start && i < step4_end)
        dropped_in_4++;
    }
  g_assert_cmpuint (down_notes, ==, 1);
  g_assert_cmpuint (up_notes, ==, 1);
  g_assert_cmpuint (loss_notes, ==, 1);
  g_assert_cmpuint (dropped_in_4, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lesson/questions/parse", test_parse);
  g_test_add_func ("/lesson/questions/errors", test_parse_errors);
  g_test_add_func ("/lesson/faults/parse", test_faults_parse);
  g_test_add_func ("/lesson/faults/errors", test_faults_errors);
  g_test_add_func ("/lesson/prerequisites", test_prerequisites);
  g_test_add ("/lesson/runner/walk", Fixture, NULL, fixture_set_up, test_runner_walk,
              fixture_tear_down);
  g_test_add ("/lesson/runner/checks", Fixture, NULL, fixture_set_up, test_runner_checks,
              fixture_tear_down);
  g_test_add ("/lesson/runner/answers", Fixture, NULL, fixture_set_up, test_runner_answers,
              fixture_tear_down);
  g_test_add ("/lesson/runner/results", Fixture, NULL, fixture_set_up, test_runner_results,
              fixture_tear_down);
  g_test_add_func ("/lesson/runner/deterministic", test_runner_deterministic);
  g_test_add_func ("/lesson/runner/faults", test_runner_faults);
  return g_test_run ();
}

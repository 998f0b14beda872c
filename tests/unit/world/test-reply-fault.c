/* MlReplyFaults on its own: what it accepts, how often it answers, and
 * that it leaves the verdict alone when it does not. */
#include "world/reply-fault.h"
#include "world/session-record.h"

typedef struct {
  MlTrace       *trace;
  MlNetwork     *network;
  MlReplyFaults *faults;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->trace = ml_trace_new ();
  f->network = ml_network_new (1, f->trace);
  f->faults = ml_reply_faults_new (f->network, "mx.b.example");
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ml_reply_faults_free (f->faults);
  ml_network_free (f->network);
  g_object_unref (f->trace);
}

/* Asks as a policy callback would; returns the code it was answered, 0
 * when the fault let the command through. */
static guint
ask (Fixture *f, const char *command, char **text_out)
{
  MlSmtpVerdict verdict = { 0 };
  guint code;

  verdict.text = g_string_new (NULL);
  if (!ml_reply_faults_answer (f->faults, command, &verdict))
    g_assert_cmpuint (verdict.code, ==, 0);
  code = verdict.code;
  if (text_out)
    *text_out = g_strdup (verdict.text->str);
  g_string_free (verdict.text, TRUE);
  return code;
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  /* RFC 5321 4.2.1: only refusals; only the policy's three commands. */
  g_assert_false (ml_reply_faults_add (f->faults, "RCPT", 250, "2.1.5", "Ok", 1));
  g_assert_false (ml_reply_faults_add (f->faults, "RCPT", 354, NULL, "Go ahead", 1));
  g_assert_false (ml_reply_faults_add (f->faults, "EHLO", 451, NULL, "Later", 1));
  g_assert_false (ml_reply_faults_add (f->faults, "RCPT", 451, "4.7.1.1.1.1.1.1.1", "Long", 1));
  g_assert_cmpuint (ask (f, "RCPT", NULL), ==, 0);
}

static void
test_times (Fixture *f, gconstpointer data)
{
  g_autofree char *text = NULL;

  g_assert_true (ml_reply_faults_add (f->faults, "RCPT", 451, "4.7.1", "Greylisted", 2));
  g_assert_cmpuint (ask (f, "MAIL", NULL), ==, 0);
  g_assert_cmpuint (ask (f, "RCPT", &text), ==, 451);
  g_assert_cmpstr (text, ==, "Greylisted");
  /* Each forced reply is a note the student can read. */
  g_assert_cmpuint (ml_trace_get_length (f->trace), ==, 1);
  g_assert_cmpuint (ask (f, "RCPT", NULL), ==, 451);
  /* The third RCPT gets the server's own answer, as after greylisting. */
  g_assert_cmpuint (ask (f, "RCPT", NULL), ==, 0);
}

static void
test_always_and_replace (Fixture *f, gconstpointer data)
{
  g_assert_true (ml_reply_faults_add (f->faults, "DATA", 554, "5.7.1", "Rejected", 0));
  for (guint i = 0; i < 50; i++)
    g_assert_cmpuint (ask (f, "DATA", NULL), ==, 554);
  /* A later fault for the same command replaces the earlier one. */
  g_assert_true (ml_reply_faults_add (f->faults, "DATA", 452, "4.3.1", "Queue full", 1));
  g_assert_cmpuint (ask (f, "DATA", NULL), ==, 452);
  g_assert_cmpuint (ask (f, "DATA", NULL), ==, 0);
}

static void
test_null (void)
{
  MlSmtpVerdict verdict = { 0 };

  g_assert_false (ml_reply_faults_answer (NULL, "RCPT", &verdict));
  g_assert_cmpuint (verdict.code, ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/reply-fault/refused", Fixture, NULL, fixture_set_up, test_refused, fixture_tear_down);
  g_test_add ("/reply-fault/times", Fixture, NULL, fixture_set_up, test_times, fixture_tear_down);
  g_test_add ("/reply-fault/always-and-replace", Fixture, NULL, fixture_set_up,
              test_always_and_replace, fixture_tear_down);
  g_test_add_func ("/reply-fault/null", test_null);
  return g_test_run ();
}

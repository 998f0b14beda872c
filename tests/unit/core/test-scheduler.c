#include "net/scheduler.h"

typedef struct {
  MlScheduler *sched;
  GString     *log;
} Fixture;

typedef struct {
  Fixture *fx;
  char     tag;
  guint64  reschedule_after; /* 0: none */
} Job;

static void
job_run (gpointer data)
{
  Job *job = data;

  g_string_append_printf (job->fx->log, "%c@%" G_GUINT64_FORMAT " ",
                          job->tag, ml_scheduler_now (job->fx->sched));
  if (job->reschedule_after)
    {
      Job *next = g_new0 (Job, 1);
      next->fx = job->fx;
      next->tag = g_ascii_tolower (job->tag);
      ml_scheduler_schedule (job->fx->sched, job->reschedule_after, job_run, next, g_free);
    }
}

static guint64
add (Fixture *fx, guint64 delay, char tag)
{
  Job *job = g_new0 (Job, 1);

  job->fx = fx;
  job->tag = tag;
  return ml_scheduler_schedule (fx->sched, delay, job_run, job, g_free);
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  fx->sched = ml_scheduler_new (42);
  fx->log = g_string_new (NULL);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  ml_scheduler_free (fx->sched);
  g_string_free (fx->log, TRUE);
}

static void
test_order_by_time (Fixture *fx, gconstpointer data)
{
  add (fx, 30, 'C');
  add (fx, 10, 'A');
  add (fx, 20, 'B');
  g_assert_cmpuint (ml_scheduler_run (fx->sched, G_MAXUINT64), ==, 3);
  g_assert_cmpstr (fx->log->str, ==, "A@10 B@20 C@30 ");
  g_assert_cmpuint (ml_scheduler_now (fx->sched), ==, 30);
}

static void
test_equal_time_insertion_order (Fixture *fx, gconstpointer data)
{
  /* Many events at one instant must come out in the order they went in,
   * whatever the heap does with them. */
  const char *tags = "QWERTYUIOPASDFGHJKLZXCVBNM";

  for (const char *t = tags; *t; t++)
    add (fx, 5, *t);
  ml_scheduler_run (fx->sched, G_MAXUINT64);
  for (const char *t = tags, *p = fx->log->str; *t; t++, p += 4)
    g_assert_cmpint (*p, ==, *t);
}

static void
test_cancel (Fixture *fx, gconstpointer data)
{
  guint64 b;

  add (fx, 1, 'A');
  b = add (fx, 2, 'B');
  add (fx, 3, 'C');
  ml_scheduler_cancel (fx->sched, b);
  ml_scheduler_cancel (fx->sched, b);  /* twice is harmless */
  g_assert_cmpuint (ml_scheduler_pending (fx->sched), ==, 2);
  ml_scheduler_run (fx->sched, G_MAXUINT64);
  g_assert_cmpstr (fx->log->str, ==, "A@1 C@3 ");
}

static void
test_step_and_until (Fixture *fx, gconstpointer data)
{
  guint64 due = 0;
  Job *job = g_new0 (Job, 1);

  job->fx = fx;
  job->tag = 'X';
  job->reschedule_after = 100;
  ml_scheduler_schedule (fx->sched, 10, job_run, job, g_free);
  add (fx, 50, 'Y');

  g_assert_true (ml_scheduler_step (fx->sched));
  g_assert_cmpstr (fx->log->str, ==, "X@10 ");
  g_assert_true (ml_scheduler_peek_time (fx->sched, &due));
  g_assert_cmpuint (due, ==, 50);

  g_assert_cmpuint (ml_scheduler_run (fx->sched, 60), ==, 1);
  g_assert_cmpstr (fx->log->str, ==, "X@10 Y@50 ");
  g_assert_cmpuint (ml_scheduler_run (fx->sched, G_MAXUINT64), ==, 1);
  g_assert_cmpstr (fx->log->str, ==, "X@10 Y@50 x@110 ");
  g_assert_false (ml_scheduler_step (fx->sched));
}

static void
test_seeded_rand (void)
{
  g_autoptr(MlScheduler) a = ml_scheduler_new (7);
  g_autoptr(MlScheduler) b = ml_scheduler_new (7);
  g_autoptr(MlScheduler) c = ml_scheduler_new (8);
  gboolean differs = FALSE;

  for (int i = 0; i < 16; i++)
    {
      guint32 va = g_rand_int (ml_scheduler_get_rand (a));
      g_assert_cmpuint (va, ==, g_rand_int (ml_scheduler_get_rand (b)));
      differs |= va != g_rand_int (ml_scheduler_get_rand (c));
    }
  g_assert_true (differs);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/scheduler/order-by-time", Fixture, NULL, fixture_set_up, test_order_by_time, fixture_tear_down);
  g_test_add ("/scheduler/equal-time-insertion-order", Fixture, NULL, fixture_set_up, test_equal_time_insertion_order, fixture_tear_down);
  g_test_add ("/scheduler/cancel", Fixture, NULL, fixture_set_up, test_cancel, fixture_tear_down);
  g_test_add ("/scheduler/step-and-until", Fixture, NULL, fixture_set_up, test_step_and_until, fixture_tear_down);
  g_test_add_func ("/scheduler/seeded-rand", test_seeded_rand);
  return g_test_run ();
}

/* The mailbox model on lesson 06 (POP3 versus IMAP): a pure function of
 * the position, whichever way the player got there. No display needed. */
#include "mailbox-model.h"
#include "lesson/lessons-dir.h"
#include "lesson/lesson.h"
#include "world/world.h"

typedef struct {
  MlTrace *trace;
  guint64  quit;        /* the POP3 QUIT command */
  guint64  first_append;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ml_lessons_dir_find ("06", &error);
  g_autoptr(MlLesson) lesson = NULL;

  g_assert_no_error (error);
  lesson = ml_lesson_load_file (path, &error);
  g_assert_no_error (error);
  f->trace = ml_trace_new ();
  {
    g_autoptr(MlWorld) world = ml_world_new (lesson, lesson->seed, f->trace, &error);

    g_assert_no_error (error);
    ml_world_run (world);
  }
  f->quit = G_MAXUINT64;
  f->first_append = G_MAXUINT64;
  for (guint64 i = 0; i < ml_trace_get_length (f->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (f->trace, i);

      if (e->kind == ML_TRACE_DIALOGUE && e->protocol == ML_PROTO_POP3
          && g_strcmp0 (e->verb, "QUIT") == 0 && f->quit == G_MAXUINT64)
        f->quit = i;
      if (e->kind == ML_TRACE_STORE && g_strcmp0 (e->text, "append") == 0
          && f->first_append == G_MAXUINT64)
        f->first_append = i;
    }
  g_assert_cmpuint (f->quit, !=, G_MAXUINT64);
  g_assert_cmpuint (f->first_append, !=, G_MAXUINT64);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->trace);
}

static guint
inbox_len (MlMailboxModel *model)
{
  MlMailboxState *mb = ml_mailbox_model_find (model, "mail.b.example", "bob@b.example", "INBOX");

  return mb ? mb->messages->len : 0;
}

static void
test_pop3_quit (Fixture *f, gconstpointer data)
{
  g_autoptr(MlMailboxModel) model = ml_mailbox_model_new (f->trace);
  MlDeviceState *phone;

  ml_mailbox_model_seek (model, f->quit - 1);
  g_assert_cmpuint (inbox_len (model), ==, 2);
  /* The deletions take effect in the UPDATE state (RFC 1939 6). */
  ml_mailbox_model_seek (model, ml_trace_get_length (f->trace) - 1);
  g_assert_cmpuint (inbox_len (model), ==, 0);
  phone = ml_mailbox_model_find_device (model, "bob-phone");
  g_assert_nonnull (phone);
  g_assert_cmpuint (ml_device_state_count_messages (phone), ==, 2);
}

static void
test_rewind (Fixture *f, gconstpointer data)
{
  g_autoptr(MlMailboxModel) model = ml_mailbox_model_new (f->trace);

  ml_mailbox_model_seek (model, f->quit - 1);
  g_assert_cmpuint (inbox_len (model), ==, 2);
  ml_mailbox_model_seek (model, f->first_append - 1);
  g_assert_cmpuint (inbox_len (model), ==, 0);
  g_assert_null (ml_mailbox_model_find_device (model, "bob-phone"));
  ml_mailbox_model_seek (model, f->first_append);
  g_assert_cmpuint (inbox_len (model), ==, 1);
}

/* Stepping one event at a time and seeking (forwards and backwards) from
 * another model must agree at every position. */
static void
test_replay (Fixture *f, gconstpointer data)
{
  g_autoptr(MlMailboxModel) stepped = ml_mailbox_model_new (f->trace);
  g_autoptr(MlMailboxModel) seeker = ml_mailbox_model_new (f->trace);
  guint64 n = ml_trace_get_length (f->trace);

  ml_mailbox_model_seek (seeker, n - 1);
  for (guint64 k = 0; k < n; k++)
    {
      g_autofree char *a = NULL;
      g_autofree char *b = NULL;

      g_assert_true (ml_mailbox_model_step (stepped));
      if (k % 7 != 0 && k != n - 1 && k != f->quit)
        continue;
      /* Odd spread: from the end backwards, then forwards again. */
      ml_mailbox_model_seek (seeker, n - 1);
      ml_mailbox_model_seek (seeker, k);
      g_assert_cmpuint (ml_mailbox_model_get_applied (seeker), ==, k + 1);
      a = ml_mailbox_model_dup_text (stepped);
      b = ml_mailbox_model_dup_text (seeker);
      g_assert_cmpstr (a, ==, b);
      g_assert_cmpuint (ml_trace_stats_get (ml_mailbox_model_get_stats (stepped), ML_PROTO_POP3)->wire_bytes,
                        ==,
                        ml_trace_stats_get (ml_mailbox_model_get_stats (seeker), ML_PROTO_POP3)->wire_bytes);
    }
  g_assert_false (ml_mailbox_model_step (stepped));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/gui/mailbox-model/pop3-quit", Fixture, NULL, fixture_set_up, test_pop3_quit, fixture_tear_down);
  g_test_add ("/gui/mailbox-model/rewind", Fixture, NULL, fixture_set_up, test_rewind, fixture_tear_down);
  g_test_add ("/gui/mailbox-model/replay", Fixture, NULL, fixture_set_up, test_replay, fixture_tear_down);
  return g_test_run ();
}

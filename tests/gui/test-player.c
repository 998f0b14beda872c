/* MlPlayer and its step index: where the cursor goes in each mode. */
#include "player.h"
#include "trace-fixture.h"

typedef struct {
  MlTrace  *trace;
  MlPlayer *player;
  guint     position_notifies;
  guint     step_notifies;
} Fixture;

static void
count_notify (GObject *object, GParamSpec *pspec, Fixture *f)
{
  if (g_str_equal (pspec->name, "position"))
    f->position_notifies++;
  else if (g_str_equal (pspec->name, "step"))
    f->step_notifies++;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->trace = ml_test_small_trace ();
  f->player = ml_player_new ();
  ml_player_set_trace (f->player, f->trace);
  g_signal_connect (f->player, "notify", G_CALLBACK (count_notify), f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->player);
  g_clear_object (&f->trace);
}

static void
test_index_dialogue (void)
{
  g_autoptr(MlTrace) trace = ml_test_small_trace ();
  g_autoptr(MlStepIndex) index = ml_step_index_new (trace, ML_STEP_MODE_DIALOGUE);
  const guint64 expected[] = { 0, 3, 4, 6 };
  guint64 row = 99;

  g_assert_cmpuint (ml_step_index_get_n_rows (index), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpuint (ml_step_index_get_event (index, i), ==, expected[i]);

  /* A frame between two steps belongs to the step before it. */
  g_assert_true (ml_step_index_find_row (index, 5, &row));
  g_assert_cmpuint (row, ==, 2);
  g_assert_true (ml_step_index_find_row (index, 0, &row));
  g_assert_cmpuint (row, ==, 0);
  g_assert_true (ml_step_index_find_row (index, 7, &row));
  g_assert_cmpuint (row, ==, 3);
}

static void
test_index_packets (void)
{
  g_autoptr(MlTrace) trace = ml_test_small_trace ();
  g_autoptr(MlStepIndex) index = ml_step_index_new (trace, ML_STEP_MODE_PACKETS);
  guint64 row = 99;

  g_assert_cmpuint (ml_step_index_get_n_rows (index), ==, ml_trace_get_length (trace));
  g_assert_cmpuint (ml_step_index_get_event (index, 5), ==, 5);
  g_assert_true (ml_step_index_find_row (index, 5, &row));
  g_assert_cmpuint (row, ==, 5);
}

static void
test_index_first_step_later (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlStepIndex) index = NULL;
  guint64 row = 99;

  ml_test_add_frame (trace, 0, "a", "b", 1, 0, NULL);
  ml_test_add_note (trace, 10, "a", "later");
  index = ml_step_index_new (trace, ML_STEP_MODE_DIALOGUE);
  g_assert_false (ml_step_index_find_row (index, 0, &row));
  g_assert_cmpuint (row, ==, 99);
}

static void
test_step_forward_back (Fixture *f, gconstpointer data)
{
  const guint64 expected[] = { 0, 3, 4, 6 };

  g_assert_cmpuint (ml_player_get_n_steps (f->player), ==, 4);
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 0);
  g_assert_cmpuint (ml_player_get_step (f->player), ==, 1);
  g_assert_false (ml_player_can_step_back (f->player));

  for (guint i = 1; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_true (ml_player_step_forward (f->player));
      g_assert_cmpuint (ml_player_get_position (f->player), ==, expected[i]);
      g_assert_cmpuint (ml_player_get_step (f->player), ==, i + 1);
    }
  g_assert_false (ml_player_can_step_forward (f->player));
  g_assert_false (ml_player_step_forward (f->player));
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 6);

  for (guint i = G_N_ELEMENTS (expected) - 1; i-- > 0;)
    {
      g_assert_true (ml_player_step_back (f->player));
      g_assert_cmpuint (ml_player_get_position (f->player), ==, expected[i]);
    }
  g_assert_false (ml_player_step_back (f->player));
}

static void
test_step_notifies_once (Fixture *f, gconstpointer data)
{
  f->position_notifies = f->step_notifies = 0;
  ml_player_step_forward (f->player);
  g_assert_cmpuint (f->position_notifies, ==, 1);
  g_assert_cmpuint (f->step_notifies, ==, 1);

  /* Nowhere to go is no change. */
  ml_player_go_to_end (f->player);
  f->position_notifies = 0;
  ml_player_step_forward (f->player);
  g_assert_cmpuint (f->position_notifies, ==, 0);
}

static void
test_start_end (Fixture *f, gconstpointer data)
{
  ml_player_go_to_end (f->player);
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 6);
  g_assert_cmpuint (ml_player_get_step (f->player), ==, 4);
  ml_player_go_to_start (f->player);
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 0);
  g_assert_true (ml_player_go_to_step (f->player, 3));
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 4);
  g_assert_false (ml_player_go_to_step (f->player, 5));
  g_assert_false (ml_player_go_to_step (f->player, 0));
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 4);
}

static void
test_packets_mode (Fixture *f, gconstpointer data)
{
  ml_player_set_mode (f->player, ML_STEP_MODE_PACKETS);
  g_assert_cmpuint (ml_player_get_n_steps (f->player), ==, 8);
  for (guint64 i = 1; i < 8; i++)
    {
      g_assert_true (ml_player_step_forward (f->player));
      g_assert_cmpuint (ml_player_get_position (f->player), ==, i);
      g_assert_cmpuint (ml_player_get_step (f->player), ==, i + 1);
    }
  g_assert_false (ml_player_step_forward (f->player));
}

static void
test_mode_switch_snaps (Fixture *f, gconstpointer data)
{
  ml_player_set_mode (f->player, ML_STEP_MODE_PACKETS);
  ml_player_set_position (f->player, 5);
  g_assert_cmpuint (ml_player_get_step (f->player), ==, 6);

  /* Frame 5 is no dialogue step: the cursor lands on the step before. */
  ml_player_set_mode (f->player, ML_STEP_MODE_DIALOGUE);
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 4);
  g_assert_cmpuint (ml_player_get_step (f->player), ==, 3);
  g_assert_cmpuint (ml_player_get_n_steps (f->player), ==, 4);

  /* Every dialogue step is a packets step too: nothing moves. */
  ml_player_set_mode (f->player, ML_STEP_MODE_PACKETS);
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 4);
  g_assert_cmpuint (ml_player_get_step (f->player), ==, 5);
}

static void
test_between_steps (Fixture *f, gconstpointer data)
{
  /* A click on a frame in packets mode, then dialogue mode without
   * snapping: back goes to the step before, forward to the one after. */
  ml_player_set_position (f->player, 5);
  g_assert_cmpuint (ml_player_get_step (f->player), ==, 3);
  g_assert_true (ml_player_step_forward (f->player));
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 6);
  ml_player_set_position (f->player, 5);
  g_assert_true (ml_player_step_back (f->player));
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 4);
}

static void
test_clamp (Fixture *f, gconstpointer data)
{
  ml_player_set_position (f->player, 1000);
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 7);
  g_assert_nonnull (ml_player_get_event (f->player));
  g_assert_cmpuint (ml_player_get_event (f->player)->index, ==, 7);
}

static void
test_dwell (Fixture *f, gconstpointer data)
{
  /* Steps 3 and 4 happen at the same virtual time. */
  ml_player_set_position (f->player, 3);
  g_assert_cmpuint (ml_player_get_dwell_ms (f->player), ==, ML_PLAYER_MIN_DWELL_MS);

  /* 20 ms of virtual time at 1/100 speed is 2 s. */
  ml_player_set_position (f->player, 4);
  ml_player_set_speed (f->player, 0.01);
  g_assert_cmpuint (ml_player_get_dwell_ms (f->player), ==, 2000);
  ml_player_set_speed (f->player, 0.001);
  g_assert_cmpuint (ml_player_get_dwell_ms (f->player), ==, ML_PLAYER_MAX_DWELL_MS);

  ml_player_set_speed (f->player, 1000);
  g_assert_cmpfloat (ml_player_get_speed (f->player), ==, ML_PLAYER_MAX_SPEED);
}

static void
on_playing (MlPlayer *player, GParamSpec *pspec, GMainLoop *loop)
{
  if (!ml_player_get_playing (player))
    g_main_loop_quit (loop);
}

static gboolean
give_up (gpointer data)
{
  g_assert_not_reached ();
  return G_SOURCE_REMOVE;
}

static void
test_play_to_end (Fixture *f, gconstpointer data)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  gint64 start = g_get_monotonic_time ();
  guint timeout;

  ml_player_set_speed (f->player, ML_PLAYER_MAX_SPEED);
  g_signal_connect (f->player, "notify::playing", G_CALLBACK (on_playing), loop);
  ml_player_set_playing (f->player, TRUE);
  g_assert_true (ml_player_get_playing (f->player));
  timeout = g_timeout_add_seconds (10, give_up, NULL);
  g_main_loop_run (loop);
  g_source_remove (timeout);

  g_assert_false (ml_player_get_playing (f->player));
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 6);
  /* Three steps, each shown at least the minimum time. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 3 * ML_PLAYER_MIN_DWELL_MS * 1000);

  /* Play at the end starts over. */
  ml_player_set_playing (f->player, TRUE);
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 0);
  ml_player_set_playing (f->player, FALSE);
}

static void
test_no_trace (void)
{
  g_autoptr(MlPlayer) player = ml_player_new ();

  g_assert_null (ml_player_get_trace (player));
  g_assert_cmpuint (ml_player_get_n_steps (player), ==, 0);
  g_assert_cmpuint (ml_player_get_step (player), ==, 0);
  g_assert_false (ml_player_step_forward (player));
  g_assert_false (ml_player_step_back (player));
  g_assert_null (ml_player_get_event (player));
  ml_player_set_playing (player, TRUE);
  g_assert_false (ml_player_get_playing (player));
}

static void
test_new_trace_resets (Fixture *f, gconstpointer data)
{
  g_autoptr(MlTrace) other = ml_trace_new ();

  ml_test_add_frame (other, 0, "a", "b", 1, 0, NULL);
  ml_test_add_dialogue (other, 5, "a", "b", ML_DIR_CLIENT_TO_SERVER, "NOOP", "smtp.noop");
  ml_player_go_to_end (f->player);
  ml_player_set_trace (f->player, other);
  /* The first step, not event 0 (a frame). */
  g_assert_cmpuint (ml_player_get_position (f->player), ==, 1);
  g_assert_cmpuint (ml_player_get_n_steps (f->player), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/player/index/dialogue", test_index_dialogue);
  g_test_add_func ("/player/index/packets", test_index_packets);
  g_test_add_func ("/player/index/first-step-later", test_index_first_step_later);
  g_test_add ("/player/step/forward-back", Fixture, NULL, fixture_set_up, test_step_forward_back, fixture_tear_down);
  g_test_add ("/player/step/notifies-once", Fixture, NULL, fixture_set_up, test_step_notifies_once, fixture_tear_down);
  g_test_add ("/player/step/start-end", Fixture, NULL, fixture_set_up, test_start_end, fixture_tear_down);
  g_test_add ("/player/step/between-steps", Fixture, NULL, fixture_set_up, test_between_steps, fixture_tear_down);
  g_test_add ("/player/step/clamp", Fixture, NULL, fixture_set_up, test_clamp, fixture_tear_down);
  g_test_add ("/player/mode/packets", Fixture, NULL, fixture_set_up, test_packets_mode, fixture_tear_down);
  g_test_add ("/player/mode/switch-snaps", Fixture, NULL, fixture_set_up, test_mode_switch_snaps, fixture_tear_down);
  g_test_add ("/player/play/dwell", Fixture, NULL, fixture_set_up, test_dwell, fixture_tear_down);
  g_test_add ("/player/play/to-end", Fixture, NULL, fixture_set_up, test_play_to_end, fixture_tear_down);
  g_test_add ("/player/trace/new-trace-resets", Fixture, NULL, fixture_set_up, test_new_trace_resets, fixture_tear_down);
  g_test_add_func ("/player/trace/none", test_no_trace);
  return g_test_run ();
}

/* A trace that grows while shown: ml_player_trace_grew extends the step
 * indices and ml_ladder_lanes_extend the lanes to exactly what building
 * them anew gives; the cursor follows only from the last step, and only
 * with "follow" on. No display needed. */
#include "player.h"
#include "ladder-lanes.h"
#include "trace-fixture.h"

static void
assert_index_equal (const MlStepIndex *a, const MlStepIndex *b)
{
  g_assert_cmpuint (ml_step_index_get_n_rows (a), ==, ml_step_index_get_n_rows (b));
  for (guint64 r = 0; r < ml_step_index_get_n_rows (a); r++)
    g_assert_cmpuint (ml_step_index_get_event (a, r), ==, ml_step_index_get_event (b, r));
}

/* One more exchange, from @client (a new lane when new) to the server. */
static void
add_exchange (MlTrace *trace, guint64 t, const char *client)
{
  ml_test_add_frame (trace, t, client, "mx.b.example", 2, 0, "EHLO x");
  ml_test_add_dialogue (trace, t, client, "mx.b.example", ML_DIR_CLIENT_TO_SERVER, "EHLO x", "smtp.ehlo");
  ml_test_add_state (trace, t + 1, "mx.b.example", 2, "greeting", "ready");
  ml_test_add_dialogue (trace, t + 2, "mx.b.example", client, ML_DIR_SERVER_TO_CLIENT, "250 ok", "smtp.reply.250");
  ml_test_add_note (trace, t + 3, "lesson", "a mark with no lane");
}

typedef struct {
  guint   grew;
  guint64 first_new;
  guint   n_steps_notified;
  guint   trace_notified;
} Seen;

static void
on_grew (MlPlayer *player, guint64 first_new, Seen *seen)
{
  seen->grew++;
  seen->first_new = first_new;
}

static void
on_n_steps (MlPlayer *player, GParamSpec *pspec, Seen *seen)
{
  seen->n_steps_notified++;
}

static void
on_trace (MlPlayer *player, GParamSpec *pspec, Seen *seen)
{
  seen->trace_notified++;
}

static void
test_index_matches_rebuild (void)
{
  g_autoptr(MlTrace) trace = ml_test_small_trace ();
  g_autoptr(MlPlayer) player = ml_player_new ();
  Seen seen = { 0 };

  ml_player_set_trace (player, trace);
  /* Both modes' indices exist, so both must be extended. */
  ml_player_set_mode (player, ML_STEP_MODE_PACKETS);
  ml_player_get_step_index (player);
  ml_player_set_mode (player, ML_STEP_MODE_DIALOGUE);
  g_signal_connect (player, "trace-grew", G_CALLBACK (on_grew), &seen);
  g_signal_connect (player, "notify::n-steps", G_CALLBACK (on_n_steps), &seen);
  g_signal_connect (player, "notify::trace", G_CALLBACK (on_trace), &seen);

  for (guint round = 0; round < 4; round++)
    {
      guint64 before = ml_trace_get_length (trace);

      add_exchange (trace, 1000 * (round + 1), round % 2 ? "laptop" : "phone");
      ml_player_trace_grew (player);
      g_assert_cmpuint (seen.grew, ==, round + 1);
      g_assert_cmpuint (seen.first_new, ==, before);
      for (MlStepMode mode = ML_STEP_MODE_DIALOGUE; mode <= ML_STEP_MODE_PACKETS; mode++)
        {
          g_autoptr(MlStepIndex) fresh = ml_step_index_new (trace, mode);

          ml_player_set_mode (player, mode);
          assert_index_equal (ml_player_get_step_index (player), fresh);
        }
      ml_player_set_mode (player, ML_STEP_MODE_DIALOGUE);
    }
  g_assert_cmpuint (seen.trace_notified, ==, 0);
  g_assert_cmpuint (seen.n_steps_notified, >=, 4);

  /* Nothing new: nothing said. */
  ml_player_trace_grew (player);
  g_assert_cmpuint (seen.grew, ==, 4);
}

static void
test_lanes_match_rebuild (void)
{
  static const char *hosts[] = { "phone", "mx.b.example", NULL };
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlStepIndex) index = NULL;
  g_autoptr(MlLadderLanes) lanes = NULL;

  add_exchange (trace, 0, "laptop");
  index = ml_step_index_new (trace, ML_STEP_MODE_DIALOGUE);
  lanes = ml_ladder_lanes_new (trace, index, NULL);
  g_assert_cmpuint (ml_ladder_lanes_get_n (lanes), ==, 2);

  /* A new talker with no topology: a lane at the right, as a rebuild. */
  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(MlLadderLanes) fresh = NULL;
      g_autofree char *client = g_strdup_printf ("client-%u", round);

      add_exchange (trace, 100 * (round + 1), client);
      ml_step_index_extend (index, trace);
      g_assert_true (ml_ladder_lanes_extend (lanes, trace, index, NULL));
      fresh = ml_ladder_lanes_new (trace, index, NULL);
      g_assert_cmpuint (ml_ladder_lanes_get_n (lanes), ==, ml_ladder_lanes_get_n (fresh));
      for (guint i = 0; i < ml_ladder_lanes_get_n (fresh); i++)
        g_assert_cmpstr (ml_ladder_lanes_get_name (lanes, i), ==, ml_ladder_lanes_get_name (fresh, i));
    }
  g_assert_cmpint (ml_ladder_lanes_lookup (lanes, "client-2"), ==, 4);

  /* A topology host that shows up late belongs before the lanes drawn:
   * extension refuses, the caller builds anew. */
  g_clear_pointer (&lanes, ml_ladder_lanes_free);
  lanes = ml_ladder_lanes_new (trace, index, hosts);
  add_exchange (trace, 900, "phone");
  ml_step_index_extend (index, trace);
  g_assert_false (ml_ladder_lanes_extend (lanes, trace, index, hosts));
}

static void
test_follow (void)
{
  g_autoptr(MlTrace) trace = ml_test_small_trace ();
  g_autoptr(MlPlayer) player = ml_player_new ();
  guint64 position;

  ml_player_set_trace (player, trace);
  g_assert_true (ml_player_get_follow (player));

  /* On the last step: carried to the new last step. */
  ml_player_go_to_end (player);
  add_exchange (trace, 1000, "phone");
  ml_player_trace_grew (player);
  g_assert_false (ml_player_can_step_forward (player));
  g_assert_cmpuint (ml_player_get_step (player), ==, ml_player_get_n_steps (player));

  /* Gone back: stays. */
  ml_player_go_to_start (player);
  position = ml_player_get_position (player);
  add_exchange (trace, 2000, "phone");
  ml_player_trace_grew (player);
  g_assert_cmpuint (ml_player_get_position (player), ==, position);

  /* Follow off: even the last step stays. */
  ml_player_set_follow (player, FALSE);
  ml_player_go_to_end (player);
  position = ml_player_get_position (player);
  add_exchange (trace, 3000, "phone");
  ml_player_trace_grew (player);
  g_assert_cmpuint (ml_player_get_position (player), ==, position);
  g_assert_true (ml_player_can_step_forward (player));
}

/* A trace that starts empty (an attach before the first session) follows
 * from its first event. */
static void
test_follow_from_empty (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlPlayer) player = ml_player_new ();

  ml_player_set_trace (player, trace);
  g_assert_cmpuint (ml_player_get_n_steps (player), ==, 0);
  add_exchange (trace, 10, "phone");
  ml_player_trace_grew (player);
  g_assert_cmpuint (ml_player_get_n_steps (player), ==, 4);
  g_assert_cmpuint (ml_player_get_step (player), ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gui/trace-grew/index-matches-rebuild", test_index_matches_rebuild);
  g_test_add_func ("/gui/trace-grew/lanes-match-rebuild", test_lanes_match_rebuild);
  g_test_add_func ("/gui/trace-grew/follow", test_follow);
  g_test_add_func ("/gui/trace-grew/follow-from-empty", test_follow_from_empty);
  return g_test_run ();
}

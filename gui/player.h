/* player.h — the cursor over a trace that every view follows.
 *
 * The player owns the position (an event number) and moves it: step
 * forward and back by dialogue line or by packet, jump to either end, or
 * play, where the cursor advances through virtual time scaled by speed.
 * Views bind to the player's properties and never to each other.
 */
#pragma once

#include <glib-object.h>
#include "trace/trace.h"
#include "step-index.h"

G_BEGIN_DECLS

/* Bounds of "speed", in virtual seconds per real second. A lesson's
 * interesting stretch lasts a fraction of a virtual second, so the default
 * plays it a hundred times slower than the simulated network ran. */
#define ML_PLAYER_MIN_SPEED      0.001
#define ML_PLAYER_MAX_SPEED      10.0
#define ML_PLAYER_DEFAULT_SPEED  0.01
/* While playing, each step stays on screen at least this long so it can be
 * read, and at most this long so a 29-minute IDLE does not stall a class. */
#define ML_PLAYER_MIN_DWELL_MS   350
#define ML_PLAYER_MAX_DWELL_MS   3000

#define ML_TYPE_PLAYER (ml_player_get_type ())
G_DECLARE_FINAL_TYPE (MlPlayer, ml_player, ML, PLAYER, GObject)

MlPlayer           *ml_player_new           (void);

MlTrace            *ml_player_get_trace     (MlPlayer *self);   /* borrowed, may be NULL */
/* Takes a reference; the position goes to the first step. */
void                ml_player_set_trace     (MlPlayer *self, MlTrace *trace);

/* Topology order of the hosts, for views that lay hosts out (borrowed). */
const char * const *ml_player_get_hosts     (MlPlayer *self);
void                ml_player_set_hosts     (MlPlayer *self, const char * const *hosts);

guint64             ml_player_get_position  (MlPlayer *self);
/* Clamped to the trace. */
void                ml_player_set_position  (MlPlayer *self, guint64 position);
/* The event at the position (borrowed), or NULL when there is none. */
const MlTraceEvent *ml_player_get_event     (MlPlayer *self);

MlStepMode          ml_player_get_mode      (MlPlayer *self);
/* Moves the position onto the step of the new mode at or before it. */
void                ml_player_set_mode      (MlPlayer *self, MlStepMode mode);
/* The rows of the current mode (borrowed; replaced when the trace or the
 * mode changes). */
const MlStepIndex  *ml_player_get_step_index (MlPlayer *self);

/* "step k / n": k counts from 1, 0 when the trace has no step yet. */
guint64             ml_player_get_step      (MlPlayer *self);
guint64             ml_player_get_n_steps   (MlPlayer *self);
/* Moves to step @step (1 … n). FALSE when out of range. */
gboolean            ml_player_go_to_step    (MlPlayer *self, guint64 step);

/* Each returns FALSE when there was nowhere to go. */
gboolean            ml_player_step_forward  (MlPlayer *self);
gboolean            ml_player_step_back     (MlPlayer *self);
void                ml_player_go_to_start   (MlPlayer *self);
void                ml_player_go_to_end     (MlPlayer *self);
gboolean            ml_player_can_step_forward (MlPlayer *self);
gboolean            ml_player_can_step_back    (MlPlayer *self);

gboolean            ml_player_get_playing   (MlPlayer *self);
void                ml_player_set_playing   (MlPlayer *self, gboolean playing);
double              ml_player_get_speed     (MlPlayer *self);
void                ml_player_set_speed     (MlPlayer *self, double speed);
/* How long play waits on the current step before the next one (ms). */
guint               ml_player_get_dwell_ms  (MlPlayer *self);

/* A trace that grows while it is shown (a live capture, a server being
 * watched): call ml_player_trace_grew after appending to the player's
 * trace. The step indices take in only the new events, "n-steps" is
 * notified, "trace-grew" (guint64 first new event) is emitted for views
 * that extend themselves, and — when "follow" is on (the default) and the
 * cursor was on the last step — the cursor moves to the new last step, as
 * `tail -f` does; a cursor the reader moved back stays where it is. */
void                ml_player_trace_grew    (MlPlayer *self);
gboolean            ml_player_get_follow    (MlPlayer *self);
void                ml_player_set_follow    (MlPlayer *self, gboolean follow);

G_END_DECLS

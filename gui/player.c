#define G_LOG_DOMAIN "ml-player"

#include "player.h"

struct _MlPlayer
{
  GObject      parent_instance;
  MlTrace     *trace;
  GStrv        hosts;
  guint64      position;
  MlStepMode   mode;
  MlStepIndex *index[2];   /* per mode, built on first use */
  gboolean     playing;
  double       speed;
  guint        play_source;
  gboolean     follow;
  guint64      seen_length;  /* trace length the indices know about */
};

G_DEFINE_FINAL_TYPE (MlPlayer, ml_player, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TRACE,
  PROP_HOSTS,
  PROP_POSITION,
  PROP_MODE,
  PROP_STEP,
  PROP_N_STEPS,
  PROP_PLAYING,
  PROP_SPEED,
  PROP_FOLLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_TRACE_GREW,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule_next (MlPlayer *self);

static void
drop_indices (MlPlayer *self)
{
  g_clear_pointer (&self->index[ML_STEP_MODE_DIALOGUE], ml_step_index_free);
  g_clear_pointer (&self->index[ML_STEP_MODE_PACKETS], ml_step_index_free);
}

const MlStepIndex *
ml_player_get_step_index (MlPlayer *self)
{
  g_return_val_if_fail (ML_IS_PLAYER (self), NULL);

  if (self->index[self->mode] == NULL)
    self->index[self->mode] = ml_step_index_new (self->trace, self->mode);
  return self->index[self->mode];
}

static guint64
trace_length (MlPlayer *self)
{
  return self->trace ? ml_trace_get_length (self->trace) : 0;
}

/* Sets the position and says so once, with the step it implies. */
static void
move_to (MlPlayer *self, guint64 position)
{
  guint64 length = trace_length (self);

  if (length == 0)
    position = 0;
  else if (position >= length)
    position = length - 1;
  if (position == self->position)
    return;
  self->position = position;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POSITION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEP]);
}

static void
ml_player_dispose (GObject *object)
{
  MlPlayer *self = ML_PLAYER (object);

  g_clear_handle_id (&self->play_source, g_source_remove);
  drop_indices (self);
  g_clear_object (&self->trace);
  G_OBJECT_CLASS (ml_player_parent_class)->dispose (object);
}

static void
ml_player_finalize (GObject *object)
{
  MlPlayer *self = ML_PLAYER (object);

  g_strfreev (self->hosts);
  G_OBJECT_CLASS (ml_player_parent_class)->finalize (object);
}

static void
ml_player_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MlPlayer *self = ML_PLAYER (object);

  switch (prop_id)
    {
    case PROP_TRACE:
      g_value_set_object (value, self->trace);
      break;
    case PROP_HOSTS:
      g_value_set_boxed (value, self->hosts);
      break;
    case PROP_POSITION:
      g_value_set_uint64 (value, self->position);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_STEP:
      g_value_set_uint64 (value, ml_player_get_step (self));
      break;
    case PROP_N_STEPS:
      g_value_set_uint64 (value, ml_player_get_n_steps (self));
      break;
    case PROP_PLAYING:
      g_value_set_boolean (value, self->playing);
      break;
    case PROP_SPEED:
      g_value_set_double (value, self->speed);
      break;
    case PROP_FOLLOW:
      g_value_set_boolean (value, self->follow);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_player_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MlPlayer *self = ML_PLAYER (object);

  switch (prop_id)
    {
    case PROP_TRACE:
      ml_player_set_trace (self, g_value_get_object (value));
      break;
    case PROP_HOSTS:
      ml_player_set_hosts (self, g_value_get_boxed (value));
      break;
    case PROP_POSITION:
      ml_player_set_position (self, g_value_get_uint64 (value));
      break;
    case PROP_MODE:
      ml_player_set_mode (self, g_value_get_enum (value));
      break;
    case PROP_PLAYING:
      ml_player_set_playing (self, g_value_get_boolean (value));
      break;
    case PROP_SPEED:
      ml_player_set_speed (self, g_value_get_double (value));
      break;
    case PROP_FOLLOW:
      ml_player_set_follow (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_player_class_init (MlPlayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ml_player_dispose;
  object_class->finalize = ml_player_finalize;
  object_class->get_property = ml_player_get_property;
  object_class->set_property = ml_player_set_property;

  properties[PROP_TRACE] =
    g_param_spec_object ("trace", NULL, NULL, ML_TYPE_TRACE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOSTS] =
    g_param_spec_boxed ("hosts", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_POSITION] =
    g_param_spec_uint64 ("position", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODE] =
    g_param_spec_enum ("mode", NULL, NULL, ML_TYPE_STEP_MODE, ML_STEP_MODE_DIALOGUE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STEP] =
    g_param_spec_uint64 ("step", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_STEPS] =
    g_param_spec_uint64 ("n-steps", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLAYING] =
    g_param_spec_boolean ("playing", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPEED] =
    g_param_spec_double ("speed", NULL, NULL, ML_PLAYER_MIN_SPEED, ML_PLAYER_MAX_SPEED,
                         ML_PLAYER_DEFAULT_SPEED,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FOLLOW] =
    g_param_spec_boolean ("follow", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The trace gained events from @first_new on; "n-steps" was notified
   * just before, and a following cursor moves just after. */
  signals[SIGNAL_TRACE_GREW] =
    g_signal_new ("trace-grew", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT64);
}

static void
ml_player_init (MlPlayer *self)
{
  self->speed = ML_PLAYER_DEFAULT_SPEED;
  self->follow = TRUE;
}

MlPlayer *
ml_player_new (void)
{
  return g_object_new (ML_TYPE_PLAYER, NULL);
}

MlTrace *
ml_player_get_trace (MlPlayer *self)
{
  g_return_val_if_fail (ML_IS_PLAYER (self), NULL);
  return self->trace;
}

void
ml_player_set_trace (MlPlayer *self, MlTrace *trace)
{
  g_return_if_fail (ML_IS_PLAYER (self));
  g_return_if_fail (trace == NULL || ML_IS_TRACE (trace));

  if (self->trace == trace)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  ml_player_set_playing (self, FALSE);
  drop_indices (self);
  g_set_object (&self->trace, trace);
  self->seen_length = trace_length (self);
  self->position = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRACE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_STEPS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POSITION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEP]);
  ml_player_go_to_start (self);
  g_object_thaw_notify (G_OBJECT (self));
}

const char * const *
ml_player_get_hosts (MlPlayer *self)
{
  g_return_val_if_fail (ML_IS_PLAYER (self), NULL);
  return (const char * const *) self->hosts;
}

void
ml_player_set_hosts (MlPlayer *self, const char * const *hosts)
{
  g_return_if_fail (ML_IS_PLAYER (self));

  if (self->hosts && hosts && g_strv_equal ((const char * const *) self->hosts, hosts))
    return;
  g_strfreev (self->hosts);
  self->hosts = g_strdupv ((char **) hosts);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOSTS]);
}

guint64
ml_player_get_position (MlPlayer *self)
{
  g_return_val_if_fail (ML_IS_PLAYER (self), 0);
  return self->position;
}

void
ml_player_set_position (MlPlayer *self, guint64 position)
{
  g_return_if_fail (ML_IS_PLAYER (self));
  move_to (self, position);
}

const MlTraceEvent *
ml_player_get_event (MlPlayer *self)
{
  g_return_val_if_fail (ML_IS_PLAYER (self), NULL);

  if (self->position >= trace_length (self))
    return NULL;
  return ml_trace_get_event (self->trace, self->position);
}

MlStepMode
ml_player_get_mode (MlPlayer *self)
{
  g_return_val_if_fail (ML_IS_PLAYER (self), ML_STEP_MODE_DIALOGUE);
  return self->mode;
}

void
ml_player_set_mode (MlPlayer *self, MlStepMode mode)
{
  const MlStepIndex *index;
  guint64 row;

  g_return_if_fail (ML_IS_PLAYER (self));
  g_return_if_fail (mode == ML_STEP_MODE_DIALOGUE || mode == ML_STEP_MODE_PACKETS);

  if (self->mode == mode)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  self->mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_STEPS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEP]);

  /* Land on a step of the new mode, so the cursor always points at
   * something every view shows. */
  index = ml_player_get_step_index (self);
  if (ml_step_index_find_row (index, self->position, &row))
    move_to (self, ml_step_index_get_event (index, row));
  else if (ml_step_index_get_n_rows (index) > 0)
    move_to (self, ml_step_index_get_event (index, 0));
  g_object_thaw_notify (G_OBJECT (self));
}

guint64
ml_player_get_n_steps (MlPlayer *self)
{
  g_return_val_if_fail (ML_IS_PLAYER (self), 0);
  return ml_step_index_get_n_rows (ml_player_get_step_index (self));
}

guint64
ml_player_get_step (MlPlayer *self)
{
  guint64 row;

  g_return_val_if_fail (ML_IS_PLAYER (self), 0);

  if (!ml_step_index_find_row (ml_player_get_step_index (self), self->position, &row))
    return 0;
  return row + 1;
}

gboolean
ml_player_go_to_step (MlPlayer *self, guint64 step)
{
  const MlStepIndex *index;

  g_return_val_if_fail (ML_IS_PLAYER (self), FALSE);

  index = ml_player_get_step_index (self);
  if (step == 0 || step > ml_step_index_get_n_rows (index))
    return FALSE;
  move_to (self, ml_step_index_get_event (index, step - 1));
  return TRUE;
}

/* The row a step forward lands on, or FALSE at the end. */
static gboolean
next_row (MlPlayer *self, guint64 *row_out)
{
  const MlStepIndex *index = ml_player_get_step_index (self);
  guint64 row;

  if (!ml_step_index_find_row (index, self->position, &row))
    {
      /* Before the first step: the first step is next. */
      if (ml_step_index_get_n_rows (index) == 0)
        return FALSE;
      *row_out = 0;
      return TRUE;
    }
  if (row + 1 >= ml_step_index_get_n_rows (index))
    return FALSE;
  *row_out = row + 1;
  return TRUE;
}

static gboolean
prev_row (MlPlayer *self, guint64 *row_out)
{
  const MlStepIndex *index = ml_player_get_step_index (self);
  guint64 row;

  if (!ml_step_index_find_row (index, self->position, &row))
    return FALSE;
  /* Between two steps (a frame, seen from dialogue mode): the step just
   * before is where "back" goes. */
  if (ml_step_index_get_event (index, row) < self->position)
    {
      *row_out = row;
      return TRUE;
    }
  if (row == 0)
    return FALSE;
  *row_out = row - 1;
  return TRUE;
}

gboolean
ml_player_can_step_forward (MlPlayer *self)
{
  guint64 row;

  g_return_val_if_fail (ML_IS_PLAYER (self), FALSE);
  return next_row (self, &row);
}

gboolean
ml_player_can_step_back (MlPlayer *self)
{
  guint64 row;

  g_return_val_if_fail (ML_IS_PLAYER (self), FALSE);
  return prev_row (self, &row);
}

gboolean
ml_player_step_forward (MlPlayer *self)
{
  guint64 row;

  g_return_val_if_fail (ML_IS_PLAYER (self), FALSE);

  if (!next_row (self, &row))
    return FALSE;
  move_to (self, ml_step_index_get_event (ml_player_get_step_index (self), row));
  return TRUE;
}

gboolean
ml_player_step_back (MlPlayer *self)
{
  guint64 row;

  g_return_val_if_fail (ML_IS_PLAYER (self), FALSE);

  if (!prev_row (self, &row))
    return FALSE;
  move_to (self, ml_step_index_get_event (ml_player_get_step_index (self), row));
  return TRUE;
}

void
ml_player_go_to_start (MlPlayer *self)
{
  g_return_if_fail (ML_IS_PLAYER (self));
  if (!ml_player_go_to_step (self, 1))
    move_to (self, 0);
}

void
ml_player_go_to_end (MlPlayer *self)
{
  g_return_if_fail (ML_IS_PLAYER (self));
  ml_player_go_to_step (self, ml_player_get_n_steps (self));
}

guint
ml_player_get_dwell_ms (MlPlayer *self)
{
  const MlTraceEvent *here, *next;
  guint64 row;
  double ms;

  g_return_val_if_fail (ML_IS_PLAYER (self), ML_PLAYER_MIN_DWELL_MS);

  here = ml_player_get_event (self);
  if (here == NULL || !next_row (self, &row))
    return ML_PLAYER_MIN_DWELL_MS;
  next = ml_trace_get_event (self->trace,
                             ml_step_index_get_event (ml_player_get_step_index (self), row));
  /* Capture timestamps may run backwards a little; that is no wait. */
  if (next == NULL || next->time_us <= here->time_us)
    return ML_PLAYER_MIN_DWELL_MS;
  ms = (double) (next->time_us - here->time_us) / 1000.0 / self->speed;
  return (guint) CLAMP (ms, ML_PLAYER_MIN_DWELL_MS, ML_PLAYER_MAX_DWELL_MS);
}

static gboolean
play_tick (gpointer user_data)
{
  MlPlayer *self = user_data;

  self->play_source = 0;
  if (!ml_player_step_forward (self) || !ml_player_can_step_forward (self))
    ml_player_set_playing (self, FALSE);
  else
    schedule_next (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_next (MlPlayer *self)
{
  g_clear_handle_id (&self->play_source, g_source_remove);
  self->play_source = g_timeout_add (ml_player_get_dwell_ms (self), play_tick, self);
  g_source_set_name_by_id (self->play_source, "[maillab] player");
}

gboolean
ml_player_get_playing (MlPlayer *self)
{
  g_return_val_if_fail (ML_IS_PLAYER (self), FALSE);
  return self->playing;
}

void
ml_player_set_playing (MlPlayer *self, gboolean playing)
{
  g_return_if_fail (ML_IS_PLAYER (self));

  playing = !!playing;
  /* Play at the end starts over, as a media player does. */
  if (playing && !ml_player_can_step_forward (self))
    {
      if (ml_player_get_n_steps (self) < 2)
        playing = FALSE;
      else
        ml_player_go_to_start (self);
    }
  if (self->playing == playing)
    return;
  self->playing = playing;
  if (playing)
    schedule_next (self);
  else
    g_clear_handle_id (&self->play_source, g_source_remove);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYING]);
}

double
ml_player_get_speed (MlPlayer *self)
{
  g_return_val_if_fail (ML_IS_PLAYER (self), ML_PLAYER_DEFAULT_SPEED);
  return self->speed;
}

void
ml_player_set_speed (MlPlayer *self, double speed)
{
  g_return_if_fail (ML_IS_PLAYER (self));

  speed = CLAMP (speed, ML_PLAYER_MIN_SPEED, ML_PLAYER_MAX_SPEED);
  if (speed == self->speed)
    return;
  self->speed = speed;
  /* The wait already running was computed for the old speed. */
  if (self->playing)
    schedule_next (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEED]);
}

gboolean
ml_player_get_follow (MlPlayer *self)
{
  g_return_val_if_fail (ML_IS_PLAYER (self), TRUE);
  return self->follow;
}

void
ml_player_set_follow (MlPlayer *self, gboolean follow)
{
  g_return_if_fail (ML_IS_PLAYER (self));

  follow = !!follow;
  if (self->follow == follow)
    return;
  self->follow = follow;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLLOW]);
}

void
ml_player_trace_grew (MlPlayer *self)
{
  guint64 length, first_new;
  gboolean at_end;

  g_return_if_fail (ML_IS_PLAYER (self));

  length = trace_length (self);
  if (length <= self->seen_length)
    return;
  /* Decided on the rows as they were: a cursor on the last one is
   * reading the newest line, one further back is reading history. */
  at_end = !ml_player_can_step_forward (self);
  first_new = self->seen_length;
  self->seen_length = length;

  g_object_freeze_notify (G_OBJECT (self));
  for (guint m = 0; m < G_N_ELEMENTS (self->index); m++)
    if (self->index[m] != NULL)
      ml_step_index_extend (self->index[m], self->trace);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_STEPS]);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[SIGNAL_TRACE_GREW], 0, first_new);
  if (self->follow && at_end)
    ml_player_go_to_end (self);
}

#define G_LOG_DOMAIN "ml-step-index"

#include "step-index.h"

struct _MlStepIndex
{
  MlStepMode mode;
  guint64    n_rows;
  guint64    n_scanned;  /* trace events looked at so far */
  /* Dialogue mode: the event number of each row, ascending. Packets mode
   * counts every event, so the row is the event number and no array is
   * kept at all. */
  GArray    *events;   /* guint64, or NULL in packets mode */
};

GType
ml_step_mode_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { ML_STEP_MODE_DIALOGUE, "ML_STEP_MODE_DIALOGUE", "dialogue" },
        { ML_STEP_MODE_PACKETS, "ML_STEP_MODE_PACKETS", "packets" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static (g_intern_static_string ("MlStepMode"), values);
      g_once_init_leave (&type_id, type);
    }
  return type_id;
}

gboolean
ml_step_mode_counts (MlStepMode mode, const MlTraceEvent *event)
{
  g_return_val_if_fail (event != NULL, FALSE);

  if (mode == ML_STEP_MODE_PACKETS)
    return TRUE;
  return event->kind != ML_TRACE_FRAME;
}

MlStepIndex *
ml_step_index_new (MlTrace *trace, MlStepMode mode)
{
  MlStepIndex *self;

  g_return_val_if_fail (trace == NULL || ML_IS_TRACE (trace), NULL);

  self = g_new0 (MlStepIndex, 1);
  self->mode = mode;
  if (mode == ML_STEP_MODE_DIALOGUE)
    self->events = g_array_new (FALSE, FALSE, sizeof (guint64));
  ml_step_index_extend (self, trace);
  return self;
}

guint64
ml_step_index_extend (MlStepIndex *self, MlTrace *trace)
{
  guint64 length, before;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (trace == NULL || ML_IS_TRACE (trace), 0);

  length = trace ? ml_trace_get_length (trace) : 0;
  before = self->n_rows;
  if (length <= self->n_scanned)
    return 0;

  if (self->mode == ML_STEP_MODE_PACKETS)
    {
      self->n_rows = self->n_scanned = length;
      return self->n_rows - before;
    }

  for (guint64 i = self->n_scanned; i < length; i++)
    {
      const MlTraceEvent *event = ml_trace_get_event (trace, i);

      /* A trace that streamed without keeping its events has nothing
       * to step through. */
      if (event == NULL)
        break;
      if (ml_step_mode_counts (self->mode, event))
        g_array_append_val (self->events, i);
    }
  self->n_scanned = length;
  self->n_rows = self->events->len;
  return self->n_rows - before;
}

void
ml_step_index_free (MlStepIndex *self)
{
  if (self == NULL)
    return;
  if (self->events)
    g_array_unref (self->events);
  g_free (self);
}

MlStepMode
ml_step_index_get_mode (const MlStepIndex *self)
{
  g_return_val_if_fail (self != NULL, ML_STEP_MODE_DIALOGUE);
  return self->mode;
}

guint64
ml_step_index_get_n_rows (const MlStepIndex *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_rows;
}

guint64
ml_step_index_get_event (const MlStepIndex *self, guint64 row)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (row < self->n_rows, 0);

  if (self->events == NULL)
    return row;
  return g_array_index (self->events, guint64, row);
}

gboolean
ml_step_index_find_row (const MlStepIndex *self, guint64 position, guint64 *row_out)
{
  guint64 lo = 0, hi;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->n_rows == 0)
    return FALSE;
  if (self->events == NULL)
    {
      *row_out = MIN (position, self->n_rows - 1);
      return TRUE;
    }

  /* Binary search for the first row after @position; the answer is the
   * row before it. */
  hi = self->n_rows;
  while (lo < hi)
    {
      guint64 mid = lo + (hi - lo) / 2;

      if (g_array_index (self->events, guint64, mid) <= position)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == 0)
    return FALSE;
  *row_out = lo - 1;
  return TRUE;
}

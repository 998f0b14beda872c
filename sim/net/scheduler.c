/* A binary heap ordered by (due time, sequence number): the sequence number
 * is what makes events of equal time run in insertion order, and so what
 * makes two runs with one seed identical. */
#define G_LOG_DOMAIN "ml-scheduler"

#include "net/scheduler.h"

typedef struct {
  guint64        due;
  guint64        seq;      /* also the id handed out */
  MlEventFunc    func;
  gpointer       user_data;
  GDestroyNotify destroy;
  gboolean       cancelled;
} Event;

struct _MlScheduler
{
  guint64     now;
  guint64     next_seq;
  GRand      *rand;
  GPtrArray  *heap;        /* Event*, min-heap */
  GHashTable *live;        /* seq → Event*, events not yet run */
};

static gboolean
event_before (const Event *a, const Event *b)
{
  if (a->due != b->due)
    return a->due < b->due;
  return a->seq < b->seq;
}

static void
heap_swap (GPtrArray *heap, guint i, guint j)
{
  gpointer tmp = heap->pdata[i];

  heap->pdata[i] = heap->pdata[j];
  heap->pdata[j] = tmp;
}

static void
heap_push (GPtrArray *heap, Event *event)
{
  guint i;

  g_ptr_array_add (heap, event);
  i = heap->len - 1;
  while (i > 0)
    {
      guint parent = (i - 1) / 2;
      if (!event_before (heap->pdata[i], heap->pdata[parent]))
        break;
      heap_swap (heap, i, parent);
      i = parent;
    }
}

static Event *
heap_pop (GPtrArray *heap)
{
  Event *top;
  guint i = 0;

  if (heap->len == 0)
    return NULL;
  top = heap->pdata[0];
  heap->pdata[0] = heap->pdata[heap->len - 1];
  g_ptr_array_set_size (heap, heap->len - 1);

  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;
      if (l < heap->len && event_before (heap->pdata[l], heap->pdata[m]))
        m = l;
      if (r < heap->len && event_before (heap->pdata[r], heap->pdata[m]))
        m = r;
      if (m == i)
        break;
      heap_swap (heap, i, m);
      i = m;
    }
  return top;
}

static void
event_free (Event *event)
{
  if (event->destroy)
    event->destroy (event->user_data);
  g_free (event);
}

MlScheduler *
ml_scheduler_new (guint32 seed)
{
  MlScheduler *self = g_new0 (MlScheduler, 1);

  self->rand = g_rand_new_with_seed (seed);
  self->heap = g_ptr_array_new ();
  self->live = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->next_seq = 1;
  return self;
}

void
ml_scheduler_free (MlScheduler *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->heap->len; i++)
    event_free (self->heap->pdata[i]);
  g_ptr_array_unref (self->heap);
  g_hash_table_unref (self->live);
  g_rand_free (self->rand);
  g_free (self);
}

guint64
ml_scheduler_now (MlScheduler *self)
{
  return self->now;
}

GRand *
ml_scheduler_get_rand (MlScheduler *self)
{
  return self->rand;
}

guint64
ml_scheduler_schedule (MlScheduler   *self,
                       guint64        delay_us,
                       MlEventFunc    func,
                       gpointer       user_data,
                       GDestroyNotify destroy)
{
  Event *event;

  g_return_val_if_fail (func != NULL, 0);

  event = g_new0 (Event, 1);
  event->due = self->now + delay_us;
  event->seq = self->next_seq++;
  event->func = func;
  event->user_data = user_data;
  event->destroy = destroy;
  heap_push (self->heap, event);
  g_hash_table_insert (self->live, &event->seq, event);
  return event->seq;
}

void
ml_scheduler_cancel (MlScheduler *self, guint64 id)
{
  Event *event = g_hash_table_lookup (self->live, &id);

  /* The heap entry stays until it comes up; popping skips it. */
  if (event != NULL)
    {
      event->cancelled = TRUE;
      g_hash_table_remove (self->live, &id);
    }
}

gboolean
ml_scheduler_step (MlScheduler *self)
{
  Event *event;

  while ((event = heap_pop (self->heap)) != NULL)
    {
      if (event->cancelled)
        {
          event_free (event);
          continue;
        }
      g_hash_table_remove (self->live, &event->seq);
      self->now = event->due;
      event->func (event->user_data);
      event_free (event);
      return TRUE;
    }
  return FALSE;
}

gboolean
ml_scheduler_peek_time (MlScheduler *self, guint64 *time_out)
{
  /* Cancelled events at the top would give a wrong answer: drop them. */
  while (self->heap->len > 0 && ((Event *) self->heap->pdata[0])->cancelled)
    event_free (heap_pop (self->heap));
  if (self->heap->len == 0)
    return FALSE;
  *time_out = ((Event *) self->heap->pdata[0])->due;
  return TRUE;
}

guint64
ml_scheduler_run (MlScheduler *self, guint64 until_us)
{
  guint64 count = 0, due;

  while (ml_scheduler_peek_time (self, &due) && due <= until_us)
    if (ml_scheduler_step (self))
      count++;
  return count;
}

gsize
ml_scheduler_pending (MlScheduler *self)
{
  return g_hash_table_size (self->live);
}

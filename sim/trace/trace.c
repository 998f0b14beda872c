#define G_LOG_DOMAIN "ml-trace"

#include "trace/trace.h"

typedef struct {
  guint           id;
  MlTraceListener func;
  gpointer        user_data;
  GDestroyNotify  destroy;
} Listener;

struct _MlTrace
{
  GObject    parent_instance;
  GPtrArray *events;      /* MlTraceEvent*, owned */
  guint64    length;      /* events appended, kept or not */
  gboolean   keep_events;
  GArray    *listeners;   /* Listener */
  guint      next_listener_id;
};

G_DEFINE_FINAL_TYPE (MlTrace, ml_trace, G_TYPE_OBJECT)

static void
ml_trace_finalize (GObject *object)
{
  MlTrace *self = ML_TRACE (object);

  for (guint i = 0; i < self->listeners->len; i++)
    {
      Listener *l = &g_array_index (self->listeners, Listener, i);
      if (l->destroy)
        l->destroy (l->user_data);
    }
  g_array_unref (self->listeners);
  g_ptr_array_unref (self->events);
  G_OBJECT_CLASS (ml_trace_parent_class)->finalize (object);
}

static void
ml_trace_class_init (MlTraceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ml_trace_finalize;
}

static void
ml_trace_init (MlTrace *self)
{
  self->events = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_trace_event_free);
  self->listeners = g_array_new (FALSE, FALSE, sizeof (Listener));
  self->keep_events = TRUE;
  self->next_listener_id = 1;
}

MlTrace *
ml_trace_new (void)
{
  return g_object_new (ML_TYPE_TRACE, NULL);
}

const MlTraceEvent *
ml_trace_append (MlTrace *self, MlTraceEvent *event)
{
  g_return_val_if_fail (ML_IS_TRACE (self), NULL);
  g_return_val_if_fail (event != NULL, NULL);

  event->index = self->length++;

  for (guint i = 0; i < self->listeners->len; i++)
    {
      Listener *l = &g_array_index (self->listeners, Listener, i);
      l->func (self, event, l->user_data);
    }

  if (!self->keep_events)
    {
      ml_trace_event_free (event);
      return NULL;
    }
  g_ptr_array_add (self->events, event);
  return event;
}

guint64
ml_trace_get_length (MlTrace *self)
{
  g_return_val_if_fail (ML_IS_TRACE (self), 0);
  return self->keep_events ? self->events->len : self->length;
}

const MlTraceEvent *
ml_trace_get_event (MlTrace *self, guint64 index)
{
  g_return_val_if_fail (ML_IS_TRACE (self), NULL);
  if (index >= self->events->len)
    return NULL;
  return g_ptr_array_index (self->events, index);
}

void
ml_trace_set_keep_events (MlTrace *self, gboolean keep)
{
  g_return_if_fail (ML_IS_TRACE (self));
  self->keep_events = keep;
}

guint
ml_trace_add_listener (MlTrace *self, MlTraceListener func,
                       gpointer user_data, GDestroyNotify destroy)
{
  Listener l = { self->next_listener_id++, func, user_data, destroy };

  g_return_val_if_fail (ML_IS_TRACE (self), 0);
  g_array_append_val (self->listeners, l);
  return l.id;
}

void
ml_trace_remove_listener (MlTrace *self, guint id)
{
  g_return_if_fail (ML_IS_TRACE (self));
  for (guint i = 0; i < self->listeners->len; i++)
    {
      Listener *l = &g_array_index (self->listeners, Listener, i);
      if (l->id == id)
        {
          if (l->destroy)
            l->destroy (l->user_data);
          g_array_remove_index (self->listeners, i);
          return;
        }
    }
}

void
ml_trace_subscribe (MlTraceSubscription *sub, MlTrace *trace,
                    MlTraceListener func, gpointer user_data)
{
  g_return_if_fail (ML_IS_TRACE (trace));
  g_return_if_fail (sub->trace == NULL);

  sub->trace = g_object_ref (trace);
  sub->listener_id = ml_trace_add_listener (trace, func, user_data, NULL);
}

void
ml_trace_unsubscribe (MlTraceSubscription *sub)
{
  if (sub->trace == NULL)
    return;
  ml_trace_remove_listener (sub->trace, sub->listener_id);
  g_clear_object (&sub->trace);
  sub->listener_id = 0;
}

gboolean
ml_trace_is_subscribed (const MlTraceSubscription *sub)
{
  return sub->trace != NULL;
}

#include <string.h>
#include "proto/engine-event.h"

void
ml_engine_event_clear (MlEngineEvent *event)
{
  g_clear_pointer (&event->line, g_free);
  g_clear_pointer (&event->verb, g_free);
  g_clear_pointer (&event->args, g_free);
  g_clear_pointer (&event->enhanced, g_free);
  g_clear_pointer (&event->explain_key, g_free);
  g_clear_pointer (&event->detail, g_free);
  memset (event, 0, sizeof *event);
}

void
ml_engine_event_free (gpointer event)
{
  if (event == NULL)
    return;
  ml_engine_event_clear (event);
  g_free (event);
}

gboolean
ml_engine_event_queue_pop (GQueue *queue, MlEngineEvent *event_out)
{
  MlEngineEvent *event = g_queue_pop_head (queue);

  if (event == NULL)
    return FALSE;
  *event_out = *event;
  g_free (event);
  return TRUE;
}

GBytes *
ml_engine_take_bytes (GByteArray **buffer)
{
  GByteArray *taken = *buffer;

  if (taken->len == 0)
    return NULL;
  *buffer = g_byte_array_sized_new (512);
  return g_byte_array_free_to_bytes (taken);
}

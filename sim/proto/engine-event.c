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

#include "trace/trace-event.h"

MlTraceEvent *
ml_trace_event_new (MlTraceKind kind)
{
  MlTraceEvent *event = g_new0 (MlTraceEvent, 1);

  event->kind = kind;
  return event;
}

MlTraceEvent *
ml_trace_event_copy (const MlTraceEvent *event)
{
  MlTraceEvent *copy = g_new (MlTraceEvent, 1);

  *copy = *event;
  copy->host = g_strdup (event->host);
  copy->peer = g_strdup (event->peer);
  copy->text = g_strdup (event->text);
  copy->verb = g_strdup (event->verb);
  copy->args = g_strdup (event->args);
  copy->explain_key = g_strdup (event->explain_key);
  copy->state_from = g_strdup (event->state_from);
  copy->state_to = g_strdup (event->state_to);
  copy->detail = g_strdup (event->detail);
  copy->account = g_strdup (event->account);
  copy->mailbox = g_strdup (event->mailbox);
  copy->link = g_strdup (event->link);
  copy->bytes = event->bytes ? g_bytes_ref (event->bytes) : NULL;
  return copy;
}

void
ml_trace_event_free (MlTraceEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->host);
  g_free (event->peer);
  g_free (event->text);
  g_free (event->verb);
  g_free (event->args);
  g_free (event->explain_key);
  g_free (event->state_from);
  g_free (event->state_to);
  g_free (event->detail);
  g_free (event->account);
  g_free (event->mailbox);
  g_free (event->link);
  g_clear_pointer (&event->bytes, g_bytes_unref);
  g_free (event);
}

const char *
ml_trace_kind_to_string (MlTraceKind kind)
{
  switch (kind)
    {
    case ML_TRACE_FRAME:    return "frame";
    case ML_TRACE_DIALOGUE: return "dialogue";
    case ML_TRACE_STATE:    return "state";
    case ML_TRACE_DNS:      return "dns";
    case ML_TRACE_STORE:    return "store";
    case ML_TRACE_NOTE:     return "note";
    default:                return "unknown";
    }
}

#define G_LOG_DOMAIN "ml-record"

#include "world/session-record.h"
#include "trace/trace.h"

void
ml_session_recorder_init (MlSessionRecorder *self, MlNetwork *network,
                          const char *host, const char *peer, guint conn_id)
{
  self->network = network;
  self->host = g_strdup (host);
  self->peer = g_strdup (peer);
  self->conn_id = conn_id;
  self->mode = ML_SESSION_RECORD_SENT;
}

void
ml_session_recorder_clear (MlSessionRecorder *self)
{
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->peer, g_free);
}

static MlTraceEvent *
new_event (MlSessionRecorder *self, MlTraceKind kind, const MlEngineEvent *ev)
{
  MlTraceEvent *e = ml_trace_event_new (kind);
  gboolean from_us = ev->outgoing || kind != ML_TRACE_DIALOGUE;

  e->time_us = ml_scheduler_now (ml_network_get_scheduler (self->network));
  e->host = g_strdup (from_us ? self->host : self->peer);
  e->peer = g_strdup (from_us ? self->peer : self->host);
  e->conn_id = self->conn_id;
  e->protocol = ev->protocol;
  e->direction = ev->direction;
  e->explain_key = g_strdup (ev->explain_key);
  return e;
}

void
ml_session_recorder_add (MlSessionRecorder *self, const MlEngineEvent *ev)
{
  MlTrace *trace = ml_network_get_trace (self->network);
  MlTraceEvent *e;

  switch (ev->kind)
    {
    case ML_ENGINE_EVENT_COMMAND:
    case ML_ENGINE_EVENT_REPLY:
    case ML_ENGINE_EVENT_DATA:
      if (!ev->outgoing && self->mode == ML_SESSION_RECORD_SENT)
        return;
      e = new_event (self, ML_TRACE_DIALOGUE, ev);
      e->text = g_strdup (ev->line ? ev->line : ev->detail);
      e->verb = g_strdup (ev->verb);
      e->args = g_strdup (ev->args);
      e->code = ev->code;
      /* A reply's detail is its enhanced status code (RFC 3463) or POP3
       * response code (RFC 2449 8); a command's is what the engine said of
       * it ("credential": a view may mask the password). */
      e->detail = g_strdup (ev->kind == ML_ENGINE_EVENT_REPLY ? ev->enhanced : ev->detail);
      break;

    case ML_ENGINE_EVENT_STATE:
      e = new_event (self, ML_TRACE_STATE, ev);
      e->state_from = g_strdup (ev->state_from);
      e->state_to = g_strdup (ev->state_to);
      break;

    case ML_ENGINE_EVENT_TRANSACTION:
      e = new_event (self, ML_TRACE_NOTE, ev);
      e->text = g_strdup (ev->detail ? ev->detail : ev->line);
      break;

    case ML_ENGINE_EVENT_CLOSE:
    default:
      return;
    }
  ml_trace_append (trace, e);
}

void
ml_network_note (MlNetwork *network, const char *host, const char *explain_key,
                 const char *text, const char *detail)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_NOTE);

  e->time_us = ml_scheduler_now (ml_network_get_scheduler (network));
  e->host = g_strdup (host);
  e->explain_key = g_strdup (explain_key);
  e->text = g_strdup (text);
  e->detail = g_strdup (detail);
  ml_trace_append (ml_network_get_trace (network), e);
}

#define G_LOG_DOMAIN "ml-engine-session"

#include "world/engine-session.h"
#include "world/session-record.h"
#include "net/tcp.h"

struct _MlEngineSession
{
  MlNetwork         *network;
  MlStream          *stream;
  gpointer           engine;
  const MlEngineOps *ops;
  MlSessionRecorder  rec;
  MlEngineDoneFunc   done;
  gpointer           user_data;
  gboolean           reported;
  gboolean           closing;
  guint64            pump_event;   /* scheduled pump, 0 if none */
  void             (*pump_hook) (gpointer engine, gpointer user_data);
  gpointer           pump_hook_data;
};

static void
session_free (MlEngineSession *s)
{
  if (s->pump_event != 0)
    ml_scheduler_cancel (ml_network_get_scheduler (s->network), s->pump_event);
  ml_stream_set_callbacks (s->stream, NULL, NULL, NULL, NULL);
  g_object_unref (s->stream);
  s->ops->free (s->engine);
  ml_session_recorder_clear (&s->rec);
  g_free (s);
}

static void
session_report (MlEngineSession *s, const GError *error)
{
  if (s->reported)
    return;
  s->reported = TRUE;
  if (s->done)
    s->done (s->engine, error, s->user_data);
}

void
ml_engine_session_pump (MlEngineSession *s)
{
  MlEngineEvent ev = { 0 };
  g_autoptr(GBytes) out = NULL;

  while (s->ops->next_event (s->engine, &ev))
    {
      ml_session_recorder_add (&s->rec, &ev);
      ml_engine_event_clear (&ev);
    }
  out = s->ops->take_output (s->engine);
  if (out != NULL && !ml_stream_is_closed (s->stream))
    ml_stream_write_bytes (s->stream, out);
  if (s->pump_hook != NULL)
    s->pump_hook (s->engine, s->pump_hook_data);
  if (s->ops->finished (s->engine) && !s->closing)
    {
      /* The FIN follows the last output (RFC 9293 3.10.4). */
      s->closing = TRUE;
      session_report (s, NULL);
      ml_stream_close (s->stream);
    }
}

static void
on_data (MlStream *stream, const guint8 *data, gsize len, gpointer user_data)
{
  MlEngineSession *s = user_data;

  if (s->ops->set_now)
    s->ops->set_now (s->engine, ml_network_now_unix_usec (s->network));
  s->ops->feed (s->engine, data, len);
  ml_engine_session_pump (s);
}

static void
on_closed (MlStream *stream, const GError *error, gpointer user_data)
{
  MlEngineSession *s = user_data;

  if (!s->reported)
    {
      g_autoptr(GError) lost = NULL;

      /* Whatever the engine had not finished is not done: a server drops
       * its open transaction (RFC 5321 3.8, RFC 1939 6), a client marks
       * its work as failed. */
      s->ops->connection_lost (s->engine);
      ml_engine_session_pump (s);
      if (error == NULL)
        lost = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                    "the peer closed the connection before the dialogue ended");
      session_report (s, error ? error : lost);
    }
  else if (!s->closing)
    ml_stream_close (s->stream);
  session_free (s);
}

static MlEngineSession *
session_new (MlNetwork *network, MlStream *stream, gpointer engine, const MlEngineOps *ops,
             const char *host_name, const char *peer_name)
{
  MlEngineSession *s = g_new0 (MlEngineSession, 1);

  s->network = network;
  s->stream = stream;
  s->engine = engine;
  s->ops = ops;
  ml_session_recorder_init (&s->rec, network, host_name, peer_name, ml_stream_get_id (stream));
  ml_stream_set_callbacks (stream, NULL, on_data, on_closed, s);
  return s;
}

static char *
dup_peer_name (MlNetwork *network, guint32 ip)
{
  MlHost *peer = ml_network_find_host_by_ip (network, ip);

  return peer ? g_strdup (ml_host_get_name (peer)) : ml_ipv4_to_string (ip);
}

MlEngineSession *
ml_engine_session_serve (MlNetwork *network, MlStream *stream, const char *host_name,
                         gpointer engine, const MlEngineOps *ops)
{
  g_autofree char *peer = dup_peer_name (network, ml_tcp_stream_get_remote_ip (ML_TCP_STREAM (stream)));
  MlEngineSession *s = session_new (network, g_object_ref (stream), engine, ops, host_name, peer);

  if (ops->set_now)
    ops->set_now (engine, ml_network_now_unix_usec (network));
  return s;
}

MlEngineSession *
ml_engine_session_connect (MlNetwork *network, MlHost *host, guint32 dst_ip, guint16 port,
                           gpointer engine, const MlEngineOps *ops,
                           MlEngineDoneFunc done, gpointer user_data)
{
  g_autofree char *peer = dup_peer_name (network, dst_ip);
  MlEngineSession *s = session_new (network, ml_host_tcp_connect (host, dst_ip, port),
                                    engine, ops, ml_host_get_name (host), peer);

  s->done = done;
  s->user_data = user_data;
  if (ops->set_now)
    ops->set_now (engine, ml_network_now_unix_usec (network));
  return s;
}

static void
scheduled_pump (gpointer data)
{
  MlEngineSession *s = data;

  s->pump_event = 0;
  ml_engine_session_pump (s);
}

void
ml_engine_session_schedule_pump (MlEngineSession *self)
{
  if (self->pump_event != 0)
    return;
  self->pump_event = ml_scheduler_schedule (ml_network_get_scheduler (self->network), 0,
                                            scheduled_pump, self, NULL);
}

gpointer
ml_engine_session_get_engine (MlEngineSession *self)
{
  return self->engine;
}

void
ml_engine_session_set_pump_hook (MlEngineSession *self,
                                 void (*hook) (gpointer engine, gpointer user_data),
                                 gpointer user_data)
{
  self->pump_hook = hook;
  self->pump_hook_data = user_data;
}

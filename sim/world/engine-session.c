#define G_LOG_DOMAIN "ml-engine-session"

#include <string.h>

#include "world/engine-session.h"
#include "world/session-record.h"
#include "net/tcp.h"
#include "trace/trace.h"

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
  /* TLS */
  MlTlsContext      *tls;          /* borrowed, NULL: START_TLS not possible */
  gboolean           is_client;
  gboolean           implicit_tls;
  gboolean           under_tls;    /* stream is an MlTlsStream */
  gboolean           handshaking;  /* events wait for the handshake's end */
  MlProtocol         protocol;     /* of the port, for the tls.* notes */
  /* After a failed login (take_delay_ms) the engine's events and output
   * wait until this event runs, so trace and wire agree on the time. */
  guint64            hold_event;   /* 0: not holding */
  gboolean           delay_served; /* the next pump does not ask again */
};

/* network → its world's MlTlsContext. Worlds may run in several threads
 * (the visualizer plays a lesson in a worker), hence the lock. */
static GMutex      tls_registry_lock;
static GHashTable *tls_registry;

void
ml_engine_session_register_tls (MlNetwork *network, MlTlsContext *tls)
{
  g_mutex_lock (&tls_registry_lock);
  if (tls_registry == NULL)
    tls_registry = g_hash_table_new (NULL, NULL);
  if (tls != NULL)
    g_hash_table_insert (tls_registry, network, tls);
  else
    g_hash_table_remove (tls_registry, network);
  g_mutex_unlock (&tls_registry_lock);
}

static MlTlsContext *
registered_tls (MlNetwork *network)
{
  MlTlsContext *tls;

  g_mutex_lock (&tls_registry_lock);
  tls = tls_registry ? g_hash_table_lookup (tls_registry, network) : NULL;
  g_mutex_unlock (&tls_registry_lock);
  return tls;
}

static void
session_free (MlEngineSession *s)
{
  if (s->pump_event != 0)
    ml_scheduler_cancel (ml_network_get_scheduler (s->network), s->pump_event);
  if (s->hold_event != 0)
    ml_scheduler_cancel (ml_network_get_scheduler (s->network), s->hold_event);
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

static void begin_tls (MlEngineSession *s);

static void
hold_over (gpointer data)
{
  MlEngineSession *s = data;

  s->hold_event = 0;
  /* An engine may keep reporting the delay until its output is taken
   * (smtp-server.h): it has been served. */
  s->delay_served = TRUE;
  ml_engine_session_pump (s);
}

void
ml_engine_session_pump (MlEngineSession *s)
{
  MlEngineEvent ev = { 0 };
  g_autoptr(GBytes) out = NULL;

  /* Implicit TLS: what the engine says first (a greeting) goes out after
   * the handshake, so the trace shows it there, not before it. */
  if (s->handshaking || s->hold_event != 0)
    return;
  /* Asked before anything is taken: an engine may forget the delay once
   * its output is (smtp-server.h). */
  if (!s->delay_served && s->ops->take_delay_ms != NULL)
    {
      guint delay_ms = s->ops->take_delay_ms (s->engine);

      if (delay_ms > 0)
        {
          s->hold_event = ml_scheduler_schedule (ml_network_get_scheduler (s->network),
                                                 (guint64) delay_ms * 1000, hold_over, s, NULL);
          return;
        }
    }
  s->delay_served = FALSE;
  while (s->ops->next_event (s->engine, &ev))
    {
      gboolean start_tls = ev.kind == ML_ENGINE_EVENT_START_TLS;

      ml_session_recorder_add (&s->rec, &ev);
      ml_engine_event_clear (&ev);
      if (start_tls)
        begin_tls (s);
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

      /* A failed handshake is the reason, whatever the engine makes of
       * the lost connection (RFC 3207 4.1: no going on in the clear). */
      if (error != NULL && error->domain == ML_TLS_ERROR)
        session_report (s, error);
      /* A held answer is not held for a connection that is gone. */
      if (s->hold_event != 0)
        {
          ml_scheduler_cancel (ml_network_get_scheduler (s->network), s->hold_event);
          s->hold_event = 0;
          s->delay_served = TRUE;
        }
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
             const char *host_name, const char *peer_name, gboolean is_client)
{
  MlEngineSession *s = g_new0 (MlEngineSession, 1);
  MlTcpStream *tcp = ML_TCP_STREAM (stream);

  s->is_client = is_client;
  s->tls = registered_tls (network);
  s->protocol = ml_network_get_port_protocol (network, is_client
                                              ? ml_tcp_stream_get_remote_port (tcp)
                                              : ml_tcp_stream_get_local_port (tcp));
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
  MlEngineSession *s = session_new (network, g_object_ref (stream), engine, ops, host_name, peer,
                                    FALSE);

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
                                    engine, ops, ml_host_get_name (host), peer, TRUE);

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

/* ---- TLS (RFC 3207, RFC 2595, RFC 8314) ---- */

static void
tls_note (MlEngineSession *s, const char *key, const char *text, const char *detail)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_NOTE);

  e->time_us = ml_scheduler_now (ml_network_get_scheduler (s->network));
  e->host = g_strdup (s->rec.host);
  e->peer = g_strdup (s->rec.peer);
  e->conn_id = s->rec.conn_id;
  e->protocol = s->protocol;
  e->direction = s->is_client ? ML_DIR_CLIENT_TO_SERVER : ML_DIR_SERVER_TO_CLIENT;
  e->explain_key = g_strdup (key);
  e->text = g_strdup (text);
  e->detail = g_strdup (detail);
  ml_trace_append (ml_network_get_trace (s->network), e);
}

/* Which note explains a failed handshake: the client names what was
 * wrong with the certificate (RFC 5280 6.1.3, RFC 7817 3); the server
 * only hears the client's alert (RFC 8446 6.2). */
static const char *
failure_key (MlEngineSession *s, const GError *error)
{
  if (g_error_matches (error, ML_TLS_ERROR, ML_TLS_ERROR_CERTIFICATE))
    {
      if (strstr (error->message, "expired") != NULL)
        return "tls.certificate.expired";
      if (strstr (error->message, "hostname mismatch") != NULL)
        return "tls.certificate.wrong-name";
      if (strstr (error->message, "self-signed") != NULL)
        return "tls.certificate.self-signed";
      return "tls.certificate.untrusted";
    }
  if (!s->is_client && strstr (error->message, "alert") != NULL)
    return "tls.alert.received";
  return "tls.handshake.failed";
}

static void
on_tls_handshake (MlTlsStream *tls, const GError *error, gpointer user_data)
{
  MlEngineSession *s = user_data;

  s->handshaking = FALSE;
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (s->is_client
                                               ? "TLS handshake with %s failed: %s"
                                               : "TLS handshake with %s failed: the client sent %s",
                                               s->rec.peer, error->message);

      /* The stream closes itself; on_closed reports the error and tells
       * the engine the connection is lost (RFC 3207 4.1: no going on in
       * the clear). */
      tls_note (s, failure_key (s, error), text, NULL);
      return;
    }
  if (s->is_client)
    {
      g_autofree char *text = g_strdup_printf ("TLS established with %s: %s, %s",
                                               s->rec.peer,
                                               ml_tls_stream_get_version (tls),
                                               ml_tls_stream_get_cipher (tls));
      g_autofree char *detail = g_strdup_printf ("certificate of %s verified against the run's CA",
                                                 s->rec.peer);

      tls_note (s, "tls.handshake.done", text,
                ml_tls_stream_get_peer_verified (tls) ? detail : "certificate not verified");
    }
  if (!s->implicit_tls && s->ops->tls_started != NULL)
    s->ops->tls_started (s->engine);
  ml_engine_session_pump (s);
}

/* Wraps the connection's stream; what the engine wrote before is already
 * on the wire in the clear. */
static void
wrap_stream (MlEngineSession *s)
{
  g_autoptr(GError) error = NULL;
  MlTlsStream *tls;

  if (s->is_client)
    tls = ml_tls_context_wrap_client (s->tls, s->rec.peer,
                                      ml_network_now_unix_usec (s->network) / G_USEC_PER_SEC,
                                      s->stream);
  else
    tls = ml_tls_context_wrap_server (s->tls, s->rec.host, s->stream, &error);
  if (tls == NULL)
    {
      tls_note (s, "tls.handshake.failed", "no certificate for this host", error->message);
      ml_stream_close (s->stream);
      return;
    }
  /* The TLS stream owns the inner one now and took over its callbacks. */
  g_object_unref (s->stream);
  s->stream = ML_STREAM (tls);
  s->under_tls = TRUE;
  s->handshaking = s->implicit_tls;
  ml_stream_set_callbacks (s->stream, NULL, on_data, on_closed, s);
  ml_tls_stream_set_handshake_func (tls, on_tls_handshake, s);
  if (s->is_client)
    {
      g_autofree char *text = g_strdup_printf ("TLS handshake with %s begins (ClientHello, SNI %s)",
                                               s->rec.peer, s->rec.peer);
      tls_note (s, s->implicit_tls ? "tls.implicit" : "tls.handshake.start", text, NULL);
    }
  ml_tls_stream_start (tls);
}

static void
begin_tls (MlEngineSession *s)
{
  g_autoptr(GBytes) clear = NULL;

  if (s->under_tls)
    return;
  /* RFC 3207 4 and RFC 2595 4: the server's go-ahead is the last byte in
   * the clear; the handshake starts right after it. */
  clear = s->ops->take_output (s->engine);
  if (clear != NULL && !ml_stream_is_closed (s->stream))
    ml_stream_write_bytes (s->stream, clear);
  if (s->tls == NULL)
    {
      tls_note (s, "tls.unavailable", "this connection cannot start TLS", NULL);
      ml_stream_close (s->stream);
      return;
    }
  wrap_stream (s);
}

void
ml_engine_session_set_tls (MlEngineSession *self, MlTlsContext *tls)
{
  self->tls = tls;
}

void
ml_engine_session_start_tls (MlEngineSession *self)
{
  g_return_if_fail (self->tls != NULL);
  if (self->under_tls)
    return;
  self->implicit_tls = TRUE;
  wrap_stream (self);
}

gboolean
ml_engine_session_is_tls (MlEngineSession *self)
{
  return self->under_tls;
}

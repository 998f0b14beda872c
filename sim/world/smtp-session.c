#define G_LOG_DOMAIN "ml-smtp-session"

#include "world/smtp-session.h"
#include "world/engine-session.h"

/* ---- the SMTP engines through MlEngineOps ---- */

static gsize    server_feed (gpointer e, const guint8 *d, gsize n) { return ml_smtp_server_feed (e, d, n); }
static gboolean server_next (gpointer e, MlEngineEvent *ev)      { return ml_smtp_server_next_event (e, ev); }
static GBytes  *server_take (gpointer e)                         { return ml_smtp_server_take_output (e); }
static gboolean server_done (gpointer e)                         { return ml_smtp_server_wants_close (e); }
static void     server_lost (gpointer e)                         { ml_smtp_server_connection_lost (e); }
static void     server_now  (gpointer e, gint64 t)               { ml_smtp_server_set_now (e, t); }
static void     server_free (gpointer e)                         { ml_smtp_server_free (e); }
static void     server_tls  (gpointer e)                         { ml_smtp_server_tls_started (e); }
static guint    server_delay (gpointer e)                        { return ml_smtp_server_failure_delay (e); }

static const MlEngineOps smtp_server_ops = {
  server_feed, server_next, server_take, server_done, server_lost, server_now, server_free,
  server_tls, server_delay,
};

static gsize    client_feed (gpointer e, const guint8 *d, gsize n) { return ml_smtp_client_feed (e, d, n); }
static gboolean client_next (gpointer e, MlEngineEvent *ev)      { return ml_smtp_client_next_event (e, ev); }
static GBytes  *client_take (gpointer e)                         { return ml_smtp_client_take_output (e); }
static gboolean client_done (gpointer e)                         { return ml_smtp_client_is_done (e); }
static void     client_lost (gpointer e)                         { ml_smtp_client_connection_lost (e); }
static void     client_free (gpointer e)                         { ml_smtp_client_free (e); }
static void     client_tls  (gpointer e)                         { ml_smtp_client_tls_started (e); }

static const MlEngineOps smtp_client_ops = {
  client_feed, client_next, client_take, client_done, client_lost, NULL, client_free,
  client_tls, NULL,
};

static void
wake_session (gpointer session)
{
  ml_engine_session_schedule_pump (session);
}

MlEngineSession *
ml_smtp_server_session_start (MlNetwork                *network,
                              MlStream                 *stream,
                              const char               *host_name,
                              const char               *peer_name,
                              const char               *peer_address,
                              const MlSmtpServerConfig *config,
                              const MlSmtpServerPolicy *policy,
                              gpointer                  policy_data)
{
  MlSmtpServer *engine = ml_smtp_server_new (config, policy, policy_data);
  MlEngineSession *session;

  ml_smtp_server_set_peer (engine, peer_name, peer_address);
  session = ml_engine_session_serve (network, stream, host_name, engine, &smtp_server_ops);
  /* A deferred end-of-data verdict (smtp-server.h) is answered outside
   * any feed: the session drains it a moment later. */
  ml_smtp_server_set_wake_func (engine, wake_session, session);
  /* RFC 8314 3.3: on 465 the handshake comes before the greeting. */
  if (config->tls == ML_SMTP_TLS_IMPLICIT)
    ml_engine_session_start_tls (session);
  ml_smtp_server_start (engine);
  ml_engine_session_pump (session);
  return session;
}

MlEngineSession *
ml_smtp_client_session_start (MlNetwork           *network,
                              MlHost              *host,
                              guint32              dst_ip,
                              guint16              port,
                              MlSmtpClient        *client,
                              MlSmtpClientDoneFunc done,
                              gpointer             user_data)
{
  /* MlSmtpClientDoneFunc is MlEngineDoneFunc with the engine's own type. */
  return ml_engine_session_connect (network, host, dst_ip, port, client, &smtp_client_ops,
                                    (MlEngineDoneFunc) done, user_data);
}

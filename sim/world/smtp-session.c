#define G_LOG_DOMAIN "ml-smtp-session"

#include "world/smtp-session.h"
#include "world/session-record.h"

/* ---- server side ---- */

typedef struct {
  MlNetwork        *network;
  MlStream         *stream;
  MlSmtpServer     *engine;
  MlSessionRecorder rec;
} ServerSession;

static void
server_session_free (ServerSession *s)
{
  ml_stream_set_callbacks (s->stream, NULL, NULL, NULL, NULL);
  g_object_unref (s->stream);
  ml_smtp_server_free (s->engine);
  ml_session_recorder_clear (&s->rec);
  g_free (s);
}

static void
server_session_pump (ServerSession *s)
{
  MlEngineEvent ev = { 0 };
  g_autoptr(GBytes) out = NULL;

  while (ml_smtp_server_next_event (s->engine, &ev))
    {
      ml_session_recorder_add (&s->rec, &ev);
      ml_engine_event_clear (&ev);
    }
  out = ml_smtp_server_take_output (s->engine);
  if (out != NULL && !ml_stream_is_closed (s->stream))
    ml_stream_write_bytes (s->stream, out);
  if (ml_smtp_server_wants_close (s->engine))
    ml_stream_close (s->stream);
}

static void
server_on_data (MlStream *stream, const guint8 *data, gsize len, gpointer user_data)
{
  ServerSession *s = user_data;

  ml_smtp_server_set_now (s->engine, ml_network_now_unix_usec (s->network));
  ml_smtp_server_feed (s->engine, data, len);
  server_session_pump (s);
}

static void
server_on_closed (MlStream *stream, const GError *error, gpointer user_data)
{
  ServerSession *s = user_data;

  /* Whatever was not acknowledged with a 250 is not ours: the engine drops
   * the open transaction (RFC 5321 3.8). */
  ml_smtp_server_connection_lost (s->engine);
  server_session_pump (s);
  server_session_free (s);
}

void
ml_smtp_server_session_start (MlNetwork                *network,
                              MlStream                 *stream,
                              const char               *host_name,
                              const char               *peer_name,
                              const char               *peer_address,
                              const MlSmtpServerConfig *config,
                              const MlSmtpServerPolicy *policy,
                              gpointer                  policy_data)
{
  ServerSession *s = g_new0 (ServerSession, 1);

  s->network = network;
  s->stream = g_object_ref (stream);
  s->engine = ml_smtp_server_new (config, policy, policy_data);
  ml_session_recorder_init (&s->rec, network, host_name, peer_name, ml_stream_get_id (stream));
  ml_smtp_server_set_peer (s->engine, peer_name, peer_address);
  ml_smtp_server_set_now (s->engine, ml_network_now_unix_usec (network));
  ml_stream_set_callbacks (stream, NULL, server_on_data, server_on_closed, s);
  ml_smtp_server_start (s->engine);
  server_session_pump (s);
}

/* ---- client side ---- */

typedef struct {
  MlNetwork           *network;
  MlStream            *stream;
  MlSmtpClient        *engine;
  MlSessionRecorder    rec;
  MlSmtpClientDoneFunc done;
  gpointer             user_data;
  gboolean             reported;
} ClientSession;

static void
client_session_report (ClientSession *s, const GError *error)
{
  if (s->reported)
    return;
  s->reported = TRUE;
  s->done (s->engine, error, s->user_data);
}

static void
client_session_free (ClientSession *s)
{
  ml_stream_set_callbacks (s->stream, NULL, NULL, NULL, NULL);
  g_object_unref (s->stream);
  ml_smtp_client_free (s->engine);
  ml_session_recorder_clear (&s->rec);
  g_free (s);
}

static void
client_session_pump (ClientSession *s)
{
  MlEngineEvent ev = { 0 };
  g_autoptr(GBytes) out = NULL;

  while (ml_smtp_client_next_event (s->engine, &ev))
    {
      ml_session_recorder_add (&s->rec, &ev);
      ml_engine_event_clear (&ev);
    }
  out = ml_smtp_client_take_output (s->engine);
  if (out != NULL && !ml_stream_is_closed (s->stream))
    ml_stream_write_bytes (s->stream, out);
  if (ml_smtp_client_is_done (s->engine))
    {
      client_session_report (s, NULL);
      ml_stream_close (s->stream);
    }
}

static void
client_on_data (MlStream *stream, const guint8 *data, gsize len, gpointer user_data)
{
  ClientSession *s = user_data;

  ml_smtp_client_feed (s->engine, data, len);
  client_session_pump (s);
}

static void
client_on_closed (MlStream *stream, const GError *error, gpointer user_data)
{
  ClientSession *s = user_data;

  if (!s->reported)
    {
      g_autoptr(GError) lost = NULL;

      ml_smtp_client_connection_lost (s->engine);
      client_session_pump (s);
      if (error == NULL)
        lost = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                    "the server closed the connection before the dialogue ended");
      client_session_report (s, error ? error : lost);
    }
  client_session_free (s);
}

void
ml_smtp_client_session_start (MlNetwork           *network,
                              MlHost              *host,
                              guint32              dst_ip,
                              guint16              port,
                              MlSmtpClient        *client,
                              MlSmtpClientDoneFunc done,
                              gpointer             user_data)
{
  ClientSession *s = g_new0 (ClientSession, 1);
  MlHost *peer = ml_network_find_host_by_ip (network, dst_ip);
  g_autofree char *peer_name = peer ? g_strdup (ml_host_get_name (peer)) : ml_ipv4_to_string (dst_ip);

  s->network = network;
  s->engine = client;
  s->done = done;
  s->user_data = user_data;
  s->stream = ml_host_tcp_connect (host, dst_ip, port);
  ml_session_recorder_init (&s->rec, network, ml_host_get_name (host), peer_name,
                            ml_stream_get_id (s->stream));
  ml_stream_set_callbacks (s->stream, NULL, client_on_data, client_on_closed, s);
}

#define G_LOG_DOMAIN "ml-mailbox-services"

#include "world/mailbox-services.h"
#include "world/engine-session.h"
#include "proto/pop3-server.h"
#include "proto/imap-server.h"

typedef struct {
  MlNetwork   *network;
  MlMailStore *store;
  char        *host_name;
  guint        connections;  /* gives each POP3 greeting its own timestamp */
} Service;

static void
service_free (gpointer data)
{
  Service *svc = data;

  g_free (svc->host_name);
  g_free (svc);
}

/* ---- POP3 ---- */

static gsize    pop3_feed (gpointer e, const guint8 *d, gsize n) { return ml_pop3_server_feed (e, d, n); }
static gboolean pop3_next (gpointer e, MlEngineEvent *ev)      { return ml_pop3_server_next_event (e, ev); }
static GBytes  *pop3_take (gpointer e)                         { return ml_pop3_server_take_output (e); }
static gboolean pop3_done (gpointer e)                         { return ml_pop3_server_wants_close (e); }
static void     pop3_lost (gpointer e)                         { ml_pop3_server_connection_lost (e); }
static void     pop3_now  (gpointer e, gint64 t)               { ml_pop3_server_set_now (e, t); }
static void     pop3_free (gpointer e)                         { ml_pop3_server_free (e); }

static const MlEngineOps pop3_server_ops = {
  pop3_feed, pop3_next, pop3_take, pop3_done, pop3_lost, pop3_now, pop3_free,
};

static void
on_pop3_accept (MlHost *host, MlStream *stream, gpointer user_data)
{
  Service *svc = user_data;
  MlPop3ServerConfig config;
  MlPop3Server *engine;
  MlEngineSession *session;

  ml_pop3_server_config_init (&config);
  config.hostname = svc->host_name;
  config.session_id = ++svc->connections;
  engine = ml_pop3_server_new (svc->store, &config);
  session = ml_engine_session_serve (svc->network, stream, svc->host_name, engine, &pop3_server_ops);
  ml_pop3_server_start (engine);
  ml_engine_session_pump (session);
}

/* ---- IMAP ---- */

static gsize    imap_feed (gpointer e, const guint8 *d, gsize n) { return ml_imap_server_feed (e, d, n); }
static gboolean imap_next (gpointer e, MlEngineEvent *ev)      { return ml_imap_server_next_event (e, ev); }
static GBytes  *imap_take (gpointer e)                         { return ml_imap_server_take_output (e); }
static gboolean imap_done (gpointer e)                         { return ml_imap_server_wants_close (e); }
static void     imap_lost (gpointer e)                         { ml_imap_server_connection_lost (e); }
static void     imap_now  (gpointer e, gint64 t)               { ml_imap_server_set_now (e, t); }
static void     imap_free (gpointer e)                         { ml_imap_server_free (e); }

static const MlEngineOps imap_server_ops = {
  imap_feed, imap_next, imap_take, imap_done, imap_lost, imap_now, imap_free,
};

/* Another session changed the mailbox this one has selected (IDLE push):
 * drain it once that change is over. */
static void
on_imap_wakeup (MlImapServer *server, gpointer user_data)
{
  ml_engine_session_schedule_pump (user_data);
}

static void
on_imap_accept (MlHost *host, MlStream *stream, gpointer user_data)
{
  Service *svc = user_data;
  MlImapServerConfig config;
  MlImapServer *engine;
  MlEngineSession *session;

  ml_imap_server_config_init (&config);
  config.hostname = svc->host_name;
  engine = ml_imap_server_new (svc->store, &config);
  session = ml_engine_session_serve (svc->network, stream, svc->host_name, engine, &imap_server_ops);
  ml_imap_server_set_wakeup (engine, on_imap_wakeup, session);
  ml_imap_server_start (engine);
  ml_engine_session_pump (session);
}

static Service *
service_new (MlNetwork *network, MlHost *host, MlMailStore *store)
{
  Service *svc = g_new0 (Service, 1);

  svc->network = network;
  svc->store = store;
  svc->host_name = g_strdup (ml_host_get_name (host));
  return svc;
}

gboolean
ml_mailbox_services_start (MlNetwork *network, MlHost *host, MlMailStore *store, GError **error)
{
  return ml_host_tcp_listen (host, ML_PORT_POP3, on_pop3_accept,
                             service_new (network, host, store), service_free, error)
      && ml_host_tcp_listen (host, ML_PORT_IMAP, on_imap_accept,
                             service_new (network, host, store), service_free, error);
}

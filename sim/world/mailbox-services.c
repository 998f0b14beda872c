#define G_LOG_DOMAIN "ml-mailbox-services"

#include "world/mailbox-services.h"
#include "world/engine-session.h"
#include "proto/pop3-server.h"
#include "proto/imap-server.h"

typedef struct {
  MlNetwork      *network;
  MlMailStore    *store;
  char           *host_name;
  guint           connections;  /* gives each POP3 greeting its own timestamp */
  MlHostSecurity  security;
  gboolean        implicit;     /* this listener is 995 / 993 */
  guint64         nonce_seed;
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
static void     pop3_tls  (gpointer e)                         { ml_pop3_server_tls_started (e); }
static guint    pop3_delay (gpointer e)                        { return ml_pop3_server_take_delay_ms (e); }

static const MlEngineOps pop3_server_ops = {
  pop3_feed, pop3_next, pop3_take, pop3_done, pop3_lost, pop3_now, pop3_free, pop3_tls, pop3_delay,
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
  config.offer_stls = svc->security.starttls && !svc->implicit;
  config.implicit_tls = svc->implicit;
  config.allow_plaintext_auth = svc->security.plaintext_auth;
  config.sasl_mechanisms = svc->security.sasl_mechanisms;
  config.nonce_seed = svc->nonce_seed + svc->connections;
  engine = ml_pop3_server_new (svc->store, &config);
  session = ml_engine_session_serve (svc->network, stream, svc->host_name, engine, &pop3_server_ops);
  if (svc->implicit)
    ml_engine_session_start_tls (session);
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
static void     imap_tls  (gpointer e)                         { ml_imap_server_tls_started (e); }
static guint    imap_delay (gpointer e)                        { return ml_imap_server_take_delay_ms (e); }

static const MlEngineOps imap_server_ops = {
  imap_feed, imap_next, imap_take, imap_done, imap_lost, imap_now, imap_free, imap_tls, imap_delay,
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
  config.allow_plaintext_login = svc->security.plaintext_auth;
  config.offer_starttls = svc->security.starttls && !svc->implicit;
  config.implicit_tls = svc->implicit;
  /* A host with neither TLS nor an auth key keeps the engine's default
   * (AUTH=PLAIN), as lessons 05 and 06 were recorded with. */
  if (svc->security.sasl_mechanisms != 0)
    config.sasl_mechanisms = svc->security.sasl_mechanisms;
  config.nonce_seed = svc->nonce_seed + ++svc->connections;
  engine = ml_imap_server_new (svc->store, &config);
  session = ml_engine_session_serve (svc->network, stream, svc->host_name, engine, &imap_server_ops);
  if (svc->implicit)
    ml_engine_session_start_tls (session);
  ml_imap_server_set_wakeup (engine, on_imap_wakeup, session);
  ml_imap_server_start (engine);
  ml_engine_session_pump (session);
}

static Service *
service_new (MlNetwork *network, MlHost *host, MlMailStore *store,
             const MlHostSecurity *security, gboolean implicit, guint64 nonce_seed)
{
  Service *svc = g_new0 (Service, 1);

  svc->network = network;
  svc->store = store;
  svc->host_name = g_strdup (ml_host_get_name (host));
  svc->security = *security;
  svc->implicit = implicit;
  svc->nonce_seed = nonce_seed;
  return svc;
}

gboolean
ml_mailbox_services_start_secure (MlNetwork *network, MlHost *host, MlMailStore *store,
                                  const MlHostSecurity *security, guint64 nonce_seed,
                                  GError **error)
{
  if (!ml_host_tcp_listen (host, ML_PORT_POP3, on_pop3_accept,
                           service_new (network, host, store, security, FALSE, nonce_seed),
                           service_free, error)
      || !ml_host_tcp_listen (host, ML_PORT_IMAP, on_imap_accept,
                              service_new (network, host, store, security, FALSE, nonce_seed),
                              service_free, error))
    return FALSE;
  if (!security->implicit_tls)
    return TRUE;
  return ml_host_tcp_listen (host, ML_PORT_POP3S, on_pop3_accept,
                             service_new (network, host, store, security, TRUE, nonce_seed),
                             service_free, error)
      && ml_host_tcp_listen (host, ML_PORT_IMAPS, on_imap_accept,
                             service_new (network, host, store, security, TRUE, nonce_seed),
                             service_free, error);
}

gboolean
ml_mailbox_services_start (MlNetwork *network, MlHost *host, MlMailStore *store, GError **error)
{
  MlHostSecurity security;

  ml_host_security_from_lesson (&security, NULL);
  return ml_mailbox_services_start_secure (network, host, store, &security, 0, error);
}

#define G_LOG_DOMAIN "ml-mail-server"

#include <string.h>
#include <sys/resource.h>
#include <openssl/rand.h>
#include "live/mail-server.h"
#include "live/live-session.h"
#include "live/live-tls.h"
#include "live/maildir.h"
#include "live/socket-stream.h"
#include "live/users.h"
#include "proto/smtp-server.h"
#include "proto/pop3-server.h"
#include "proto/imap-server.h"
#include "tls/tls-stream.h"

typedef struct {
  MlMailServer    *server;
  MlLiveService    service;
  GSocketService  *socket_service;
  guint16          port;
} Listener;

typedef struct {
  MlLiveSession *session;
  char          *peer_address;
  Listener      *listener;
} SessionInfo;

struct _MlMailServer
{
  MlMailServerConfig config;
  char             *data_dir;
  char             *hostname;
  char             *listen_address;
  GPtrArray        *domains;       /* char*, lower case */
  MlTrace          *trace;
  MlMailStore      *store;
  MlMaildir        *maildir;
  MlUsers          *users;
  SSL_CTX          *tls_ctx;
  char             *ca_file;
  Listener          listeners[ML_LIVE_N_SERVICES];
  GHashTable       *sessions;      /* MlLiveSession* → SessionInfo* */
  GHashTable       *per_address;   /* char* → count */
  GPtrArray        *deliveries;    /* Delivery* being written */
  guint             next_conn_id;
  gboolean          domains_given;
  gboolean          stopping;
  void            (*stopped) (gpointer user_data);
  gpointer          stopped_data;
};

static const char *const service_names[ML_LIVE_N_SERVICES] = {
  "smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps",
};

const char *
ml_live_service_to_string (MlLiveService service)
{
  g_return_val_if_fail (service < ML_LIVE_N_SERVICES, "?");
  return service_names[service];
}

static gboolean
service_is_implicit_tls (MlLiveService service)
{
  return service == ML_LIVE_SERVICE_SMTPS || service == ML_LIVE_SERVICE_POP3S
      || service == ML_LIVE_SERVICE_IMAPS;
}

void
ml_mail_server_config_init (MlMailServerConfig *config)
{
  static const int default_ports[ML_LIVE_N_SERVICES] = { 2525, 2587, 2465, 1110, 1995, 1143, 1993 };

  memset (config, 0, sizeof *config);
  config->hostname = "localhost";
  config->listen_address = "127.0.0.1";
  memcpy (config->ports, default_ports, sizeof default_ports);
  config->max_connections = ML_MAIL_SERVER_MAX_CONNECTIONS;
  config->max_per_address = ML_MAIL_SERVER_MAX_PER_ADDRESS;
  config->smtp_timeout_ms = ML_LIVE_SMTP_TIMEOUT_MS;
  config->pop3_timeout_ms = ML_LIVE_POP3_TIMEOUT_MS;
  config->imap_timeout_ms = ML_LIVE_IMAP_TIMEOUT_MS;
  config->auth_failure_delay_ms = 1000;
  config->max_message_size = ML_STORE_MAX_MESSAGE_SIZE;
}

/* ---- engines through MlLiveEngineOps ---- */

static gsize    smtp_feed (gpointer e, const guint8 *d, gsize n) { return ml_smtp_server_feed (e, d, n); }
static gboolean smtp_next (gpointer e, MlEngineEvent *ev)      { return ml_smtp_server_next_event (e, ev); }
static GBytes  *smtp_take (gpointer e)                         { return ml_smtp_server_take_output (e); }
static gboolean smtp_done (gpointer e)                         { return ml_smtp_server_wants_close (e); }
static void     smtp_lost (gpointer e)                         { ml_smtp_server_connection_lost (e); }
static void     smtp_now  (gpointer e, gint64 t)               { ml_smtp_server_set_now (e, t); }
static void     smtp_free (gpointer e)                         { ml_smtp_server_free (e); }

static void
smtp_goodbye (gpointer e, gboolean shutting_down)
{
  /* RFC 5321 3.8, 4.2.3: 421 and close; RFC 3463: 4.4.2 a connection
   * timed out, 4.3.2 the system is not accepting messages. */
  if (shutting_down)
    ml_smtp_server_shutdown (e, "4.3.2", "Server shutting down, closing transmission channel");
  else
    ml_smtp_server_shutdown (e, "4.4.2", "Timeout exceeded, closing transmission channel");
}

static void     smtp_tls  (gpointer e)                         { ml_smtp_server_tls_started (e); }
static guint    smtp_delay (gpointer e)                        { return ml_smtp_server_failure_delay (e); }
static gboolean smtp_holds (gpointer e)                        { return ml_smtp_server_is_deferred (e); }

static const MlLiveEngineOps smtp_ops = {
  { smtp_feed, smtp_next, smtp_take, smtp_done, smtp_lost, smtp_now, smtp_free, smtp_tls },
  smtp_goodbye, smtp_delay, smtp_holds,
};

static gsize    pop3_feed (gpointer e, const guint8 *d, gsize n) { return ml_pop3_server_feed (e, d, n); }
static gboolean pop3_next (gpointer e, MlEngineEvent *ev)      { return ml_pop3_server_next_event (e, ev); }
static GBytes  *pop3_take (gpointer e)                         { return ml_pop3_server_take_output (e); }
static gboolean pop3_done (gpointer e)                         { return ml_pop3_server_wants_close (e); }
static void     pop3_lost (gpointer e)                         { ml_pop3_server_connection_lost (e); }
static void     pop3_now  (gpointer e, gint64 t)               { ml_pop3_server_set_now (e, t); }
static void     pop3_free (gpointer e)                         { ml_pop3_server_free (e); }
static void     pop3_tls  (gpointer e)                         { ml_pop3_server_tls_started (e); }
static guint    pop3_delay (gpointer e)                        { return ml_pop3_server_take_delay_ms (e); }

/* RFC 1939 3: an autologout timer "closes the TCP connection without
 * sending any response", and deletes nothing (no UPDATE): say_goodbye NULL. */
static const MlLiveEngineOps pop3_ops = {
  { pop3_feed, pop3_next, pop3_take, pop3_done, pop3_lost, pop3_now, pop3_free, pop3_tls },
  NULL, pop3_delay,
};

static gsize    imap_feed (gpointer e, const guint8 *d, gsize n) { return ml_imap_server_feed (e, d, n); }
static gboolean imap_next (gpointer e, MlEngineEvent *ev)      { return ml_imap_server_next_event (e, ev); }
static GBytes  *imap_take (gpointer e)                         { return ml_imap_server_take_output (e); }
static gboolean imap_done (gpointer e)                         { return ml_imap_server_wants_close (e); }
static void     imap_lost (gpointer e)                         { ml_imap_server_connection_lost (e); }
static void     imap_now  (gpointer e, gint64 t)               { ml_imap_server_set_now (e, t); }
static void     imap_free (gpointer e)                         { ml_imap_server_free (e); }

static void
imap_goodbye (gpointer e, gboolean shutting_down)
{
  /* RFC 3501 7.1.5: BYE, then the server closes. */
  ml_imap_server_shutdown (e, shutting_down ? "Server shutting down"
                                            : "Autologout; idle for too long");
}

static void     imap_tls  (gpointer e)                         { ml_imap_server_tls_started (e); }
static guint    imap_delay (gpointer e)                        { return ml_imap_server_take_delay_ms (e); }

static const MlLiveEngineOps imap_ops = {
  { imap_feed, imap_next, imap_take, imap_done, imap_lost, imap_now, imap_free, imap_tls },
  imap_goodbye, imap_delay,
};

/* ---- SMTP policy: local domains only ---- */

static gboolean
is_local_domain (MlMailServer *self, const char *domain)
{
  if (domain == NULL)
    return FALSE;
  for (guint i = 0; i < self->domains->len; i++)
    if (g_ascii_strcasecmp (self->domains->pdata[i], domain) == 0)
      return TRUE;
  return FALSE;
}

static MlAccount *
find_local_account (MlMailServer *self, const MlSmtpPath *path)
{
  g_autofree char *postmaster = NULL;
  const char *address = path->mailbox;

  if (path->is_postmaster && path->domain == NULL && self->domains->len > 0)
    {
      /* RFC 5321 4.5.1: the bare <Postmaster> is this host's postmaster. */
      postmaster = g_strdup_printf ("postmaster@%s", (char *) self->domains->pdata[0]);
      address = postmaster;
    }
  /* A user removed from the file (and reloaded) keeps the maildir but
   * receives nothing more. */
  if (!ml_users_contains (self->users, address))
    return NULL;
  return ml_mail_store_find_account (self->store, address);
}

static void
check_recipient (MlSmtpServer *server, const char *reverse_path, const MlSmtpPath *forward,
                 MlSmtpVerdict *verdict, gpointer user_data)
{
  MlMailServer *self = ((Listener *) user_data)->server;
  MlAccount *account;

  if (!(forward->is_postmaster && forward->domain == NULL)
      && !is_local_domain (self, forward->domain))
    {
      /* Never an open relay (RFC 5321 3.6.2, 7.1); the live server sends
       * nothing out. */
      ml_smtp_verdict_set (verdict, 550, "5.7.1", "<%s>: Relay access denied", forward->mailbox);
      return;
    }
  account = find_local_account (self, forward);
  if (account == NULL)
    {
      ml_smtp_verdict_set (verdict, 550, "5.1.1", "<%s>: No such user here", forward->mailbox);
      return;
    }
  if (ml_account_get_quota (account) != 0
      && ml_account_get_usage (account) >= ml_account_get_quota (account))
    {
      /* RFC 3463 4.2.2: mailbox full, a transient condition. */
      ml_smtp_verdict_set (verdict, 452, "4.2.2", "<%s>: Mailbox full", forward->mailbox);
      return;
    }
}

/* One SMTP delivery being written by a worker (maildir-deliver.c) while
 * its session waits for the answer to the final "." (the engine's
 * deferred verdict). */
typedef struct {
  MlMailServer *server;   /* NULL once the server is freed */
  MlSmtpServer *smtp;     /* NULL once the engine will hear no verdict */
} Delivery;

static void
maybe_stopped (MlMailServer *self)
{
  void (*stopped) (gpointer);

  /* Nothing is lost: a message in flight gets its 250 or is not taken. */
  if (!self->stopping || self->stopped == NULL || g_hash_table_size (self->sessions) > 0
      || self->deliveries->len > 0)
    return;
  stopped = self->stopped;
  self->stopped = NULL;
  stopped (self->stopped_data);
}

static void
on_delivered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Delivery *d = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = ml_maildir_deliver_finish (NULL, result, &error);
  guint code = 250;
  const char *enhanced = NULL;
  g_autofree char *text = NULL;

  if (!ok)
    {
      if (g_error_matches (error, ML_STORE_ERROR, ML_STORE_ERROR_OVERQUOTA))
        {
          code = 552, enhanced = "5.2.2";
          text = g_strdup_printf ("Mailbox full: %s", error->message);
        }
      else if (g_error_matches (error, ML_STORE_ERROR, ML_STORE_ERROR_TOO_BIG))
        {
          code = 552, enhanced = "5.3.4";
          text = g_strdup ("Message too big for the mailbox");
        }
      else
        {
          /* Never 250 for mail that is not on disk (RFC 5321 6.1); 451
           * tells the client to keep it and try again (4.2.5). */
          /* A full or failing disk is the operator's news, not a bug:
           * a message, not a warning (tests run with fatal warnings). */
          g_message ("delivery failed: %s", error->message);
          code = 451, enhanced = "4.3.0";
          text = g_strdup ("Requested action aborted: local error in processing");
        }
    }
  if (d->smtp != NULL)
    ml_smtp_server_complete_message (d->smtp, code, enhanced, text);
  if (d->server != NULL)
    {
      g_ptr_array_remove_fast (d->server->deliveries, d);
      maybe_stopped (d->server);
    }
  g_free (d);
}

static void
deferred_dropped (MlSmtpServer *server, gpointer user_data)
{
  MlMailServer *self = ((Listener *) user_data)->server;

  /* The client heard no 250 and keeps the message; the copy being
   * written is still filed (a duplicate at worst, never a loss, RFC 5321
   * 6.1). */
  for (guint i = 0; i < self->deliveries->len; i++)
    {
      Delivery *d = self->deliveries->pdata[i];

      if (d->smtp == server)
        d->smtp = NULL;
    }
}

static void
accept_message (MlSmtpServer *server, const MlSmtpEnvelope *envelope, GBytes *message,
                MlSmtpVerdict *verdict, gpointer user_data)
{
  MlMailServer *self = ((Listener *) user_data)->server;
  g_autoptr(GPtrArray) inboxes = g_ptr_array_new ();
  g_autoptr(GByteArray) stamped = g_byte_array_new ();
  g_autoptr(GBytes) delivered = NULL;
  g_autofree char *return_path = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);
  Delivery *d;

  for (guint i = 0; i < envelope->recipients->len; i++)
    {
      MlSmtpPath path = { 0 };
      MlAccount *account;
      MlMailbox *inbox;

      path.mailbox = envelope->recipients->pdata[i];
      path.is_postmaster = g_ascii_strcasecmp (path.mailbox, "postmaster") == 0;
      account = find_local_account (self, &path);
      inbox = account ? ml_account_get_inbox (account) : NULL;
      /* One copy per mailbox, however often it was named. */
      if (inbox != NULL && !g_ptr_array_find (inboxes, inbox, NULL))
        g_ptr_array_add (inboxes, inbox);
    }
  if (inboxes->len == 0)
    {
      ml_smtp_verdict_set (verdict, 554, "5.5.0", "No valid recipients");
      return;
    }
  /* RFC 5321 4.4: final delivery records the reverse path. */
  return_path = g_strdup_printf ("Return-Path: <%s>\r\n", envelope->reverse_path);
  g_byte_array_set_size (stamped, strlen (return_path) + len);
  memcpy (stamped->data, return_path, strlen (return_path));
  memcpy (stamped->data + strlen (return_path), data, len);
  delivered = g_byte_array_free_to_bytes (g_steal_pointer (&stamped));
  /* The 250 waits until the copies are durable (RFC 5321 4.2.5, 6.1);
   * the main loop serves everyone else meanwhile. */
  ml_smtp_verdict_defer (verdict);
  d = g_new0 (Delivery, 1);
  d->server = self;
  d->smtp = server;
  g_ptr_array_add (self->deliveries, d);
  ml_maildir_deliver_async (self->maildir, (MlMailbox **) inboxes->pdata, inboxes->len,
                            delivered, ML_FLAG_RECENT, g_get_real_time () / G_USEC_PER_SEC,
                            on_delivered, d);
}

static gboolean
smtp_lookup (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  return ml_users_lookup (authcid, secret_out, ((Listener *) user_data)->server->users);
}

static const MlSmtpServerPolicy smtp_policy = {
  .check_recipient = check_recipient,
  .accept_message = accept_message,
  .lookup_secret = smtp_lookup,
  .deferred_dropped = deferred_dropped,
};

/* What every engine offers: SCRAM-SHA-256 always, PLAIN and LOGIN as each
 * engine's plaintext policy allows. */
#define LIVE_SASL_MECHANISMS ((1u << ML_SASL_PLAIN) | (1u << ML_SASL_LOGIN) \
                              | (1u << ML_SASL_SCRAM_SHA_256))

static guint64
random_seed (void)
{
  guint64 seed = 0;

  /* SCRAM nonces must be unpredictable on a real server (RFC 5802 5.1). */
  if (RAND_bytes ((unsigned char *) &seed, sizeof seed) != 1)
    seed = g_get_real_time () ^ ((guint64) g_random_int () << 32);
  return seed;
}

/* ---- sessions ---- */

static void
session_info_free (gpointer data)
{
  SessionInfo *info = data;

  g_free (info->peer_address);
  g_free (info);
}

static void
on_session_done (MlLiveSession *session, gpointer engine, gpointer user_data)
{
  MlMailServer *self = user_data;
  SessionInfo *info = g_hash_table_lookup (self->sessions, session);
  guint count;

  if (info == NULL)
    return;
  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, info->peer_address));
  if (count <= 1)
    g_hash_table_remove (self->per_address, info->peer_address);
  else
    g_hash_table_insert (self->per_address, g_strdup (info->peer_address),
                         GUINT_TO_POINTER (count - 1));
  g_hash_table_remove (self->sessions, session);
  maybe_stopped (self);
}

static void
on_imap_wakeup (MlImapServer *server, gpointer user_data)
{
  ml_live_session_schedule_pump (user_data);
}

/* A deferred delivery was answered outside any feed(). */
static void
on_smtp_wake (gpointer session)
{
  ml_live_session_schedule_pump (session);
}

/* Too many connections: one line in the protocol's words, then close. */
static void
refuse (MlMailServer *self, MlStream *stream, MlLiveService service)
{
  g_autofree char *line = NULL;

  switch (service)
    {
    case ML_LIVE_SERVICE_POP3:
    case ML_LIVE_SERVICE_POP3S:
      /* RFC 2449 8.1.2, RFC 3206 4: SYS/TEMP, try later. */
      line = g_strdup ("-ERR [SYS/TEMP] Too many connections, try again later\r\n");
      break;
    case ML_LIVE_SERVICE_IMAP:
    case ML_LIVE_SERVICE_IMAPS:
      /* RFC 3501 7.1.5: BYE as the greeting refuses the connection. */
      line = g_strdup ("* BYE [UNAVAILABLE] Too many connections, try again later\r\n");
      break;
    default:
      /* RFC 5321 3.1: 421 instead of the greeting. */
      line = g_strdup_printf ("421 4.7.0 %s Too many connections, try again later\r\n",
                              self->hostname);
      break;
    }
  ml_stream_write (stream, (const guint8 *) line, strlen (line));
  ml_stream_close (stream);
}

static gpointer
new_engine (MlMailServer *self, Listener *listener, guint conn_id, const char *peer_address,
            const MlLiveEngineOps **ops_out, guint *timeout_out)
{
  MlLiveService service = listener->service;
  gboolean implicit = service_is_implicit_tls (service);

  switch (service)
    {
    case ML_LIVE_SERVICE_POP3:
    case ML_LIVE_SERVICE_POP3S:
      {
        MlPop3ServerConfig config;

        ml_pop3_server_config_init (&config);
        config.hostname = self->hostname;
        config.session_id = conn_id;
        /* APOP needs the plaintext password, which the users file does
         * not keep (users.h). */
        config.offer_apop = FALSE;
        config.offer_stls = self->tls_ctx != NULL && !implicit;
        config.implicit_tls = implicit;
        config.sasl_mechanisms = LIVE_SASL_MECHANISMS;
        config.lookup = ml_users_lookup;
        config.lookup_data = self->users;
        config.nonce_seed = random_seed ();
        config.auth_failure_delay_ms = self->config.auth_failure_delay_ms;
        *ops_out = &pop3_ops;
        *timeout_out = self->config.pop3_timeout_ms;
        return ml_pop3_server_new (self->store, &config);
      }
    case ML_LIVE_SERVICE_IMAP:
    case ML_LIVE_SERVICE_IMAPS:
      {
        MlImapServerConfig config;

        ml_imap_server_config_init (&config);
        config.hostname = self->hostname;
        config.offer_starttls = self->tls_ctx != NULL && !implicit;
        config.implicit_tls = implicit;
        config.sasl_mechanisms = LIVE_SASL_MECHANISMS;
        config.lookup = ml_users_lookup;
        config.lookup_data = self->users;
        config.nonce_seed = random_seed ();
        config.auth_failure_delay_ms = self->config.auth_failure_delay_ms;
        *ops_out = &imap_ops;
        *timeout_out = self->config.imap_timeout_ms;
        return ml_imap_server_new (self->store, &config);
      }
    default:
      {
        MlSmtpServerConfig config;
        MlSmtpServer *smtp;

        ml_smtp_server_config_init (&config);
        config.hostname = self->hostname;
        config.max_message_size = self->config.max_message_size;
        /* Each connection its own ids, distinct across restarts too. */
        config.id_base = ((guint64) (g_get_real_time () / G_USEC_PER_SEC) << 24)
                         + ((guint64) conn_id << 8);
        if (implicit)
          config.tls = ML_SMTP_TLS_IMPLICIT;
        else if (self->tls_ctx != NULL)
          config.tls = ML_SMTP_TLS_STARTTLS;
        config.auth_mechanisms = LIVE_SASL_MECHANISMS;
        config.auth_failure_delay_ms = self->config.auth_failure_delay_ms;
        config.sasl_nonce_seed = random_seed ();
        /* RFC 6409 4.3: the submission port takes mail only after AUTH. */
        config.require_auth = service == ML_LIVE_SERVICE_SUBMISSION;
        smtp = ml_smtp_server_new (&config, &smtp_policy, listener);
        ml_smtp_server_set_peer (smtp, NULL, peer_address);
        *ops_out = &smtp_ops;
        *timeout_out = self->config.smtp_timeout_ms;
        return smtp;
      }
    }
}

static void
start_engine (MlLiveService service, gpointer engine)
{
  switch (service)
    {
    case ML_LIVE_SERVICE_POP3:
    case ML_LIVE_SERVICE_POP3S:
      ml_pop3_server_start (engine);
      break;
    case ML_LIVE_SERVICE_IMAP:
    case ML_LIVE_SERVICE_IMAPS:
      ml_imap_server_start (engine);
      break;
    default:
      ml_smtp_server_start (engine);
      break;
    }
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
             gpointer user_data)
{
  Listener *listener = user_data;
  MlMailServer *self = listener->server;
  g_autoptr(MlSocketStream) socket_stream = NULL;
  g_autoptr(MlStream) stream = NULL;
  g_autofree char *peer = NULL;
  const MlLiveEngineOps *ops = NULL;
  const char *address;
  MlLiveSession *session;
  SessionInfo *info;
  gpointer engine;
  guint timeout = 0, count, conn_id;

  if (self->stopping)
    return TRUE;   /* the connection is closed when GIO drops it */
  socket_stream = ml_socket_stream_new (connection);
  address = ml_socket_stream_get_peer_address (socket_stream);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));
  conn_id = ++self->next_conn_id;
  ml_stream_set_id (ML_STREAM (socket_stream), conn_id);
  if (g_hash_table_size (self->sessions) >= self->config.max_connections
      || count >= self->config.max_per_address)
    {
      refuse (self, ML_STREAM (socket_stream), listener->service);
      return TRUE;
    }
  if (service_is_implicit_tls (listener->service))
    stream = ML_STREAM (ml_tls_stream_new_server (ML_STREAM (socket_stream), self->tls_ctx));
  else
    stream = ML_STREAM (g_object_ref (socket_stream));

  peer = g_strdup_printf ("%s:%u", address, ml_socket_stream_get_peer_port (socket_stream));
  engine = new_engine (self, listener, conn_id, address, &ops, &timeout);
  session = ml_live_session_new (stream, engine, ops, self->trace, self->hostname, peer,
                                 conn_id, timeout);
  if (service_is_implicit_tls (listener->service))
    ml_tls_stream_start (ML_TLS_STREAM (stream));
  ml_live_session_set_tls (session, self->tls_ctx);
  ml_live_session_set_done_func (session, on_session_done, self);
  if (listener->service == ML_LIVE_SERVICE_IMAP || listener->service == ML_LIVE_SERVICE_IMAPS)
    ml_imap_server_set_wakeup (engine, on_imap_wakeup, session);
  else if (ops == &smtp_ops)
    ml_smtp_server_set_wake_func (engine, on_smtp_wake, session);

  info = g_new0 (SessionInfo, 1);
  info->session = session;
  info->peer_address = g_strdup (address);
  info->listener = listener;
  g_hash_table_insert (self->sessions, session, info);
  g_hash_table_insert (self->per_address, g_strdup (address), GUINT_TO_POINTER (count + 1));

  start_engine (listener->service, engine);
  ml_live_session_pump (session);
  return TRUE;
}

/* ---- the server ---- */

static gboolean
check_password (const char *address, const char *password, gpointer user_data)
{
  return ml_users_check_password (user_data, address, password);
}

/* Every user's maildir into the store (once each), and the users' domains
 * as the local ones unless --domain named them. */
static gboolean
load_accounts (MlMailServer *self, GError **error)
{
  g_autoptr(GPtrArray) addresses = ml_users_list (self->users);

  for (guint i = 0; i < addresses->len; i++)
    {
      const char *address = addresses->pdata[i];
      MlAccount *account = ml_mail_store_find_account (self->store, address);

      if (account == NULL)
        {
          account = ml_maildir_load_account (self->maildir, address, error);
          if (account == NULL)
            return FALSE;
          if (self->config.quota != 0)
            ml_account_set_quota (account, self->config.quota);
        }
      if (!self->domains_given)
        {
          g_autofree char *domain = g_ascii_strdown (strrchr (address, '@') + 1, -1);

          if (!g_ptr_array_find_with_equal_func (self->domains, domain, g_str_equal, NULL))
            g_ptr_array_add (self->domains, g_steal_pointer (&domain));
        }
    }
  return TRUE;
}

int
ml_mail_server_reload_users (MlMailServer *self, GError **error)
{
  g_autofree char *path = g_build_filename (self->data_dir, "users", NULL);
  g_autoptr(MlUsers) fresh = ml_users_load (path, error);

  if (fresh == NULL)
    return -1;
  /* In place: every engine holds self->users as its lookup data. */
  ml_users_take_all (self->users, fresh);
  if (!self->domains_given)
    g_ptr_array_set_size (self->domains, 0);
  if (!load_accounts (self, error))
    return -1;
  return ml_users_get_count (self->users);
}

MlMailServer *
ml_mail_server_new (const MlMailServerConfig *config, MlTrace *trace, GError **error)
{
  g_autoptr(MlMailServer) self = g_new0 (MlMailServer, 1);
  g_autofree char *users_path = NULL;
  g_autofree char *mail_root = NULL;
  g_autofree char *tls_dir = NULL;
  g_autoptr(GError) tls_error = NULL;

  g_return_val_if_fail (config != NULL && config->data_dir != NULL, NULL);
  self->config = *config;
  self->data_dir = g_strdup (config->data_dir);
  self->hostname = g_strdup (config->hostname ? config->hostname : "localhost");
  self->listen_address = g_strdup (config->listen_address ? config->listen_address : "127.0.0.1");
  self->config.data_dir = self->data_dir;
  self->config.hostname = self->hostname;
  self->config.listen_address = self->listen_address;
  self->config.domains = NULL;
  self->config.cert_file = NULL;
  self->config.key_file = NULL;
  self->domains = g_ptr_array_new_with_free_func (g_free);
  self->trace = trace ? g_object_ref (trace) : NULL;
  self->sessions = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, session_info_free);
  self->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->deliveries = g_ptr_array_new ();
  for (guint i = 0; i < ML_LIVE_N_SERVICES; i++)
    {
      self->listeners[i].server = self;
      self->listeners[i].service = i;
    }

  users_path = g_build_filename (self->data_dir, "users", NULL);
  self->users = ml_users_load (users_path, error);
  if (self->users == NULL)
    return NULL;
  self->store = ml_mail_store_new ();
  ml_mail_store_set_password_check (self->store, check_password, self->users);
  mail_root = g_build_filename (self->data_dir, "mail", NULL);
  self->maildir = ml_maildir_new (mail_root, self->store, error);
  if (self->maildir == NULL)
    return NULL;
  self->domains_given = config->domains != NULL && config->domains[0] != NULL;
  for (guint i = 0; self->domains_given && config->domains[i] != NULL; i++)
    g_ptr_array_add (self->domains, g_ascii_strdown (config->domains[i], -1));
  if (!load_accounts (self, error))
    return NULL;

  tls_dir = g_build_filename (self->data_dir, "tls", NULL);
  self->tls_ctx = ml_live_tls_context_new (tls_dir, self->hostname, config->cert_file,
                                           config->key_file, &self->ca_file, &tls_error);
  if (self->tls_ctx == NULL)
    {
      if (config->cert_file != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&tls_error));
          return NULL;
        }
      /* Without a certificate: no STARTTLS and no implicit-TLS ports. */
      g_warning ("no TLS: %s", tls_error->message);
    }
  return g_steal_pointer (&self);
}

void
ml_mail_server_free (MlMailServer *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < ML_LIVE_N_SERVICES; i++)
    if (self->listeners[i].socket_service)
      {
        g_socket_service_stop (self->listeners[i].socket_service);
        g_socket_listener_close (G_SOCKET_LISTENER (self->listeners[i].socket_service));
        g_clear_object (&self->listeners[i].socket_service);
      }
  ml_mail_server_abort_sessions (self);
  /* Deliveries still being written finish on disk with nobody to tell. */
  for (guint i = 0; i < self->deliveries->len; i++)
    ((Delivery *) self->deliveries->pdata[i])->server = NULL;
  g_clear_pointer (&self->deliveries, g_ptr_array_unref);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->per_address, g_hash_table_unref);
  g_clear_pointer (&self->maildir, ml_maildir_free);
  g_clear_pointer (&self->store, ml_mail_store_free);
  g_clear_pointer (&self->users, ml_users_free);
  g_clear_pointer (&self->tls_ctx, SSL_CTX_free);
  g_clear_pointer (&self->domains, g_ptr_array_unref);
  g_clear_object (&self->trace);
  g_free (self->ca_file);
  g_free (self->data_dir);
  g_free (self->hostname);
  g_free (self->listen_address);
  g_free (self);
}

/* A thousand connections need more descriptors than a shell's usual
 * soft limit of 1024: take what the hard limit allows. */
static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

gboolean
ml_mail_server_start (MlMailServer *self, GError **error)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (self->listen_address);

  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", self->listen_address);
      return FALSE;
    }
  raise_fd_limit ();
  for (guint i = 0; i < ML_LIVE_N_SERVICES; i++)
    {
      Listener *l = &self->listeners[i];
      g_autoptr(GSocketAddress) want = NULL;
      g_autoptr(GSocketAddress) got = NULL;

      if (self->config.ports[i] < 0 || (service_is_implicit_tls (i) && self->tls_ctx == NULL))
        continue;
      want = g_inet_socket_address_new (address, self->config.ports[i]);
      l->socket_service = g_socket_service_new ();
      g_socket_listener_set_backlog (G_SOCKET_LISTENER (l->socket_service),
                                     ML_MAIL_SERVER_LISTEN_BACKLOG);
      if (!g_socket_listener_add_address (G_SOCKET_LISTENER (l->socket_service), want,
                                          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                          NULL, &got, error))
        {
          g_prefix_error (error, "%s on %s:%d: ", service_names[i], self->listen_address,
                          self->config.ports[i]);
          return FALSE;
        }
      l->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got));
      g_signal_connect (l->socket_service, "incoming", G_CALLBACK (on_incoming), l);
      g_socket_service_start (l->socket_service);
    }
  return TRUE;
}

guint16
ml_mail_server_get_port (MlMailServer *self, MlLiveService service)
{
  g_return_val_if_fail (service < ML_LIVE_N_SERVICES, 0);
  return self->listeners[service].port;
}

gboolean
ml_mail_server_has_service (MlMailServer *self, MlLiveService service)
{
  g_return_val_if_fail (service < ML_LIVE_N_SERVICES, FALSE);
  return self->listeners[service].socket_service != NULL;
}

guint
ml_mail_server_get_n_sessions (MlMailServer *self)
{
  return g_hash_table_size (self->sessions);
}

const char *
ml_mail_server_get_ca_file (MlMailServer *self)
{
  return self->ca_file;
}

static GPtrArray *
dup_sessions (MlMailServer *self)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (list, key);
  return list;
}

void
ml_mail_server_stop (MlMailServer *self, void (*done) (gpointer user_data), gpointer user_data)
{
  g_autoptr(GPtrArray) list = NULL;

  self->stopping = TRUE;
  self->stopped = done;
  self->stopped_data = user_data;
  for (guint i = 0; i < ML_LIVE_N_SERVICES; i++)
    if (self->listeners[i].socket_service)
      {
        g_socket_service_stop (self->listeners[i].socket_service);
        g_socket_listener_close (G_SOCKET_LISTENER (self->listeners[i].socket_service));
      }
  list = dup_sessions (self);
  for (guint i = 0; i < list->len; i++)
    if (g_hash_table_contains (self->sessions, list->pdata[i]))
      ml_live_session_shutdown (list->pdata[i]);
  maybe_stopped (self);
}

void
ml_mail_server_abort_sessions (MlMailServer *self)
{
  g_autoptr(GPtrArray) list = dup_sessions (self);

  /* Aborting runs each session's done callback synchronously. */
  for (guint i = 0; i < list->len; i++)
    {
      SessionInfo *info = g_hash_table_lookup (self->sessions, list->pdata[i]);

      if (info != NULL)
        ml_live_session_abort (info->session);
    }
}

#define G_LOG_DOMAIN "ml-mua-device"

#include <string.h>
#include "world/mua-device.h"
#include "world/engine-session.h"
#include "world/mailbox-services.h"
#include "world/session-record.h"
#include "proto/pop3-client.h"
#include "proto/imap-client.h"
#include "trace/trace.h"

/* What POP3 left on this device: it is the only copy once the server has
 * deleted it (RFC 1939 6). */
typedef struct {
  char   *account;
  char   *uidl;
  char   *subject;
  guint64 size;
} Pop3Copy;

/* One IMAP session of this device: one account on one server. It stays
 * open from step to step, as a mail program's does. */
typedef struct {
  MlMuaDevice      *device;
  char             *account;
  char             *server;
  MlImapLocalStore *local;       /* the device's copy; outlives sessions */
  MlEngineSession  *session;     /* NULL while not connected */
  MlImapClient     *client;      /* borrowed from the session */
  GPtrArray        *queued;      /* MlImapAction* waiting for the connection */
  gboolean          connecting;
  const MlLessonStep *opener;    /* the step that connects: its tls, auth, password */
  guint64           idle_since;  /* virtual µs; 0 when not idling */
  guint64           idle_timeout;
  guint             reported;    /* actions whose results were noted */
} ImapLink;

struct _MlMuaDevice
{
  MlNetwork      *network;
  MlHost         *host;
  MlDnsResolver  *resolver;
  const MlLesson *lesson;
  GPtrArray      *pop3_copies;   /* Pop3Copy* */
  GHashTable     *pop3_uidls;    /* "account\nuidl" → TRUE: seen by UIDL */
  GPtrArray      *imap_links;    /* ImapLink* */
};

static const char *
device_name (MlMuaDevice *self)
{
  return ml_host_get_name (self->host);
}

static const char *
account_password (MlMuaDevice *self, const char *address)
{
  for (guint i = 0; i < self->lesson->accounts->len; i++)
    {
      const MlLessonAccount *a = self->lesson->accounts->pdata[i];
      if (g_ascii_strcasecmp (a->address, address) == 0)
        return a->password;
    }
  return "";
}

static guint64
now_us (MlMuaDevice *self)
{
  return ml_scheduler_now (ml_network_get_scheduler (self->network));
}

/* The first Subject: of a header block, unfolded: for showing what a
 * device holds, not for parsing (GMime does that where it matters). */
static char *
dup_subject (GBytes *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  g_autofree char *head = g_strndup (data, MIN (len, 16384));
  char *end = strstr (head, "\r\n\r\n");
  GString *subject = NULL;

  if (end)
    *end = '\0';
  for (char *line = head; line && *line;)
    {
      char *next = strstr (line, "\r\n");
      if (next)
        *next = '\0';
      if (subject && (*line == ' ' || *line == '\t'))
        g_string_append (subject, line);
      else if (subject)
        break;
      else if (g_ascii_strncasecmp (line, "Subject:", 8) == 0)
        subject = g_string_new (g_strstrip (line + 8));
      line = next ? next + 2 : NULL;
    }
  return subject ? g_string_free (subject, FALSE) : g_strdup ("(no subject)");
}

/* ---- what the device holds, in the trace ---- */

static char *
dup_holdings (MlMuaDevice *self)
{
  GString *s = g_string_new (NULL);

  if (self->pop3_copies->len > 0)
    {
      g_string_append_printf (s, "POP3 downloads: %u message%s", self->pop3_copies->len,
                              self->pop3_copies->len == 1 ? "" : "s");
      for (guint i = 0; i < self->pop3_copies->len; i++)
        {
          Pop3Copy *c = self->pop3_copies->pdata[i];
          g_string_append_printf (s, "\n  %s \"%s\" %" G_GUINT64_FORMAT " octets", c->account,
                                  c->subject, c->size);
        }
    }
  for (guint i = 0; i < self->imap_links->len; i++)
    {
      ImapLink *link = self->imap_links->pdata[i];
      g_autofree char *summary = ml_imap_local_store_dup_summary (link->local);

      if (s->len > 0)
        g_string_append_c (s, '\n');
      g_string_append_printf (s, "IMAP copy of %s on %s:\n%s", link->account, link->server,
                              summary && *summary ? summary : "(nothing yet)");
    }
  if (s->len == 0)
    g_string_append (s, "nothing");
  return g_string_free (s, FALSE);
}

static void
record_holdings (MlMuaDevice *self, const char *account)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_STORE);

  e->time_us = now_us (self);
  e->host = g_strdup (device_name (self));
  e->account = g_strdup (account);
  e->text = g_strdup ("device");
  e->detail = dup_holdings (self);
  e->explain_key = g_strdup ("device.state");
  ml_trace_append (ml_network_get_trace (self->network), e);
}

guint
ml_mua_device_count_messages (MlMuaDevice *self)
{
  guint n = self->pop3_copies->len;

  for (guint i = 0; i < self->imap_links->len; i++)
    {
      GPtrArray *boxes = ml_imap_local_store_get_mailboxes (((ImapLink *) self->imap_links->pdata[i])->local);
      for (guint b = 0; b < boxes->len; b++)
        n += ((MlImapLocalMailbox *) boxes->pdata[b])->messages->len;
    }
  return n;
}

/* ---- finding the server ---- */

typedef void (*AddressFunc) (MlMuaDevice *self, guint32 ip, gpointer data);

typedef struct {
  MlMuaDevice *device;
  char        *server;
  AddressFunc  func;
  gpointer     data;
} Lookup;

static void
on_server_address (MlDnsResolver *resolver, const MlDnsResult *result, gpointer user_data)
{
  Lookup *l = user_data;
  guint32 ip = 0;

  if (!ml_dns_result_first_a (result, &ip))
    {
      g_autofree char *text = g_strdup_printf ("cannot find the address of %s (%s)", l->server,
                                               ml_dns_rcode_to_string (result->rcode));
      ml_network_note (l->device->network, device_name (l->device), "mua.no-server", text, NULL);
    }
  l->func (l->device, ip, l->data);
  g_free (l->server);
  g_free (l);
}

/* A mail program knows its server by name: DNS first, as a real one. */
static void
resolve_server (MlMuaDevice *self, const char *server, AddressFunc func, gpointer data)
{
  Lookup *l = g_new0 (Lookup, 1);

  l->device = self;
  l->server = g_strdup (server);
  l->func = func;
  l->data = data;
  ml_dns_resolver_lookup (self->resolver, server, ML_DNS_TYPE_A, on_server_address, l);
}

/* ---- POP3 ---- */

static gsize    pop3_feed (gpointer e, const guint8 *d, gsize n) { return ml_pop3_client_feed (e, d, n); }
static gboolean pop3_next (gpointer e, MlEngineEvent *ev)      { return ml_pop3_client_next_event (e, ev); }
static GBytes  *pop3_take (gpointer e)                         { return ml_pop3_client_take_output (e); }
static gboolean pop3_done (gpointer e)                         { return ml_pop3_client_is_done (e); }
static void     pop3_lost (gpointer e)                         { ml_pop3_client_connection_lost (e); }
static void     pop3_free (gpointer e)                         { ml_pop3_client_free (e); }

static void     pop3_tls  (gpointer e)                         { ml_pop3_client_tls_started (e); }

static const MlEngineOps pop3_client_ops = {
  pop3_feed, pop3_next, pop3_take, pop3_done, pop3_lost, NULL, pop3_free, pop3_tls,
};

/* The step's tls and auth keys (lesson.h) as the POP3 client's settings. */
static void
pop3_security_from_step (MlPop3ClientConfig *config, const MlLessonStep *step)
{
  switch (step->tls)
    {
    case ML_LESSON_TLS_NONE:     config->tls = ML_POP3_CLIENT_TLS_NONE; break;
    case ML_LESSON_TLS_REQUIRED: config->tls = ML_POP3_CLIENT_TLS_REQUIRED; break;
    case ML_LESSON_TLS_IMPLICIT: config->tls = ML_POP3_CLIENT_TLS_IMPLICIT; break;
    case ML_LESSON_TLS_OPPORTUNISTIC:
    default:                     config->tls = ML_POP3_CLIENT_TLS_OPPORTUNISTIC; break;
    }
  switch (step->auth)
    {
    case ML_LESSON_AUTH_USER:
      config->auth = ML_POP3_CLIENT_AUTH_USER;
      break;
    case ML_LESSON_AUTH_APOP:
      config->auth = ML_POP3_CLIENT_AUTH_APOP;
      break;
    case ML_LESSON_AUTH_PLAIN:
      config->auth = ML_POP3_CLIENT_AUTH_SASL;
      config->sasl_mechanism = ML_SASL_PLAIN;
      break;
    case ML_LESSON_AUTH_LOGIN:
      config->auth = ML_POP3_CLIENT_AUTH_SASL;
      config->sasl_mechanism = ML_SASL_LOGIN;
      break;
    case ML_LESSON_AUTH_SCRAM_SHA_256:
      config->auth = ML_POP3_CLIENT_AUTH_SASL;
      config->sasl_mechanism = ML_SASL_SCRAM_SHA_256;
      break;
    case ML_LESSON_AUTH_DEFAULT:
    case ML_LESSON_AUTH_NONE:
    default:
      /* lesson.h: pop3 logs in with USER/PASS unless told otherwise. */
      config->auth = ML_POP3_CLIENT_AUTH_AUTO;
      break;
    }
}

typedef struct {
  MlMuaDevice        *device;
  const MlLessonStep *step;
} Pop3Job;

static char *
uidl_key (const char *account, const char *uidl)
{
  return g_strconcat (account, "\n", uidl, NULL);
}

static void
on_pop3_done (gpointer engine, const GError *error, gpointer user_data)
{
  Pop3Job *job = user_data;
  MlMuaDevice *self = job->device;
  MlPop3Client *client = engine;
  const char *account = job->step->account;
  const char * const *server_uidls = ml_pop3_client_get_server_uidls (client);
  g_autofree char *text = NULL;
  guint n = ml_pop3_client_get_n_messages (client);

  for (guint i = 0; i < n; i++)
    {
      const MlPop3FetchedMessage *m = ml_pop3_client_get_message (client, i);
      Pop3Copy *c = g_new0 (Pop3Copy, 1);

      c->account = g_strdup (account);
      c->uidl = g_strdup (m->uidl);
      c->subject = dup_subject (m->data);
      c->size = m->size;
      g_ptr_array_add (self->pop3_copies, c);
    }
  /* What "leave on server" remembers (RFC 1939 7, UIDL): every id the
   * server listed that this device now holds. */
  if (job->step->uidl)
    for (guint i = 0; server_uidls && server_uidls[i]; i++)
      g_hash_table_add (self->pop3_uidls, uidl_key (account, server_uidls[i]));

  if (ml_pop3_client_get_error (client))
    text = g_strdup_printf ("POP3 fetch from %s stopped: %s", job->step->server,
                            ml_pop3_client_get_error (client));
  else
    text = g_strdup_printf ("POP3 fetch from %s: %u downloaded, %u deleted on the server",
                            job->step->server, n, ml_pop3_client_get_n_deleted (client));
  ml_network_note (self->network, device_name (self), "mua.pop3.fetched", text,
                   error ? error->message : NULL);
  record_holdings (self, account);
  g_free (job);
}

static void
pop3_connect (MlMuaDevice *self, guint32 ip, gpointer data)
{
  Pop3Job *job = data;
  const MlLessonStep *step = job->step;
  MlPop3ClientConfig config;
  g_autoptr(GPtrArray) known = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;
  g_autofree char *prefix = g_strconcat (step->account, "\n", NULL);
  MlEngineSession *session;

  if (ip == 0)
    {
      g_free (job);
      return;
    }
  if (step->uidl)
    {
      g_hash_table_iter_init (&iter, self->pop3_uidls);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (g_str_has_prefix (key, prefix))
          g_ptr_array_add (known, g_strdup ((char *) key + strlen (prefix)));
      /* Hash order must not leak into the bytes on the wire. */
      g_ptr_array_sort (known, (GCompareFunc) g_strcmp0);
    }
  g_ptr_array_add (known, NULL);

  ml_pop3_client_config_init (&config);
  config.user = step->account;
  config.password = step->password ? step->password : account_password (self, step->account);
  config.keep = step->keep;
  config.known_uidls = (const char * const *) known->pdata;
  config.nonce_seed = ml_host_get_index (self->host) + 1;
  pop3_security_from_step (&config, step);
  session = ml_engine_session_connect (self->network, self->host, ip,
                                       step->tls == ML_LESSON_TLS_IMPLICIT ? ML_PORT_POP3S : ML_PORT_POP3,
                                       ml_pop3_client_new (&config), &pop3_client_ops,
                                       on_pop3_done, job);
  if (step->tls == ML_LESSON_TLS_IMPLICIT)
    ml_engine_session_start_tls (session);
}

static void
start_pop3 (MlMuaDevice *self, const MlLessonStep *step)
{
  Pop3Job *job = g_new0 (Pop3Job, 1);

  job->device = self;
  job->step = step;
  resolve_server (self, step->server, pop3_connect, job);
}

/* ---- IMAP ---- */

static gsize    imap_feed (gpointer e, const guint8 *d, gsize n) { return ml_imap_client_feed (e, d, n); }
static gboolean imap_next (gpointer e, MlEngineEvent *ev)      { return ml_imap_client_next_event (e, ev); }
static GBytes  *imap_take (gpointer e)                         { return ml_imap_client_take_output (e); }
static gboolean imap_done (gpointer e)                         { return ml_imap_client_is_done (e); }
static void     imap_lost (gpointer e)                         { ml_imap_client_connection_lost (e); }
static void     imap_free (gpointer e)                         { ml_imap_client_free (e); }
static void     imap_tls  (gpointer e)                         { ml_imap_client_tls_started (e); }

static const MlEngineOps imap_client_ops = {
  imap_feed, imap_next, imap_take, imap_done, imap_lost, NULL, imap_free, imap_tls,
};

/* The connecting step's tls and auth keys (lesson.h) as the IMAP client's
 * settings; LOGIN unless told otherwise. */
static void
imap_security_from_step (MlImapClientConfig *config, const MlLessonStep *step)
{
  switch (step->tls)
    {
    case ML_LESSON_TLS_NONE:     config->tls = ML_IMAP_CLIENT_TLS_NONE; break;
    case ML_LESSON_TLS_REQUIRED: config->tls = ML_IMAP_CLIENT_TLS_REQUIRED; break;
    case ML_LESSON_TLS_IMPLICIT: config->tls = ML_IMAP_CLIENT_TLS_IMPLICIT; break;
    case ML_LESSON_TLS_OPPORTUNISTIC:
    default:                     config->tls = ML_IMAP_CLIENT_TLS_OPPORTUNISTIC; break;
    }
  switch (step->auth)
    {
    case ML_LESSON_AUTH_PLAIN:         config->auth = ML_IMAP_CLIENT_AUTH_PLAIN; break;
    case ML_LESSON_AUTH_SCRAM_SHA_256: config->auth = ML_IMAP_CLIENT_AUTH_SCRAM_SHA_256; break;
    case ML_LESSON_AUTH_LOGIN:
    default:                           config->auth = ML_IMAP_CLIENT_AUTH_LOGIN; break;
    }
}

static void
imap_action_free (MlImapAction *a)
{
  g_free ((char *) a->mailbox);
  g_free ((char *) a->subject);
  g_free ((guint32 *) a->uids);
  g_strfreev ((char **) a->flags);
  g_free ((char *) a->folder);
  g_free ((char *) a->criteria);
  g_free (a);
}

static void
imap_link_free (ImapLink *link)
{
  g_free (link->account);
  g_free (link->server);
  ml_imap_local_store_free (link->local);
  g_ptr_array_unref (link->queued);
  g_free (link);
}

/* Notes each finished action once, and the device's holdings after it. */
static void
imap_report (ImapLink *link)
{
  MlMuaDevice *self = link->device;
  gboolean any = FALSE;

  if (link->client == NULL)
    return;
  for (; link->reported < ml_imap_client_get_n_actions (link->client); link->reported++)
    {
      const MlImapActionResult *r = ml_imap_client_get_result (link->client, link->reported);
      if (r == NULL || !r->finished)
        break;
      if (!r->ok)
        {
          g_autofree char *text = g_strdup_printf ("%s failed: %s",
                                                   ml_imap_action_kind_to_string (r->kind),
                                                   r->text ? r->text : "no reason given");
          ml_network_note (self->network, device_name (self), "mua.imap.failed", text, NULL);
        }
      any = TRUE;
    }
  if (!ml_imap_client_is_idling (link->client))
    link->idle_since = 0;
  if (any)
    record_holdings (self, link->account);
}

static void
on_imap_done (gpointer engine, const GError *error, gpointer user_data)
{
  ImapLink *link = user_data;

  imap_report (link);
  if (error != NULL)
    ml_network_note (link->device->network, device_name (link->device), "mua.imap.closed",
                     "the IMAP connection ended", error->message);
  link->session = NULL;
  link->client = NULL;
  link->reported = 0;
  link->idle_since = 0;
}

static void
on_imap_pumped (gpointer engine, gpointer user_data)
{
  imap_report (user_data);
}

static void
imap_flush (ImapLink *link)
{
  while (link->client && link->queued->len > 0)
    {
      MlImapAction *a = g_ptr_array_steal_index (link->queued, 0);
      ml_imap_client_add_action (link->client, a);
      imap_action_free (a);
    }
  if (link->session)
    ml_engine_session_pump (link->session);
}

static void
imap_connect (MlMuaDevice *self, guint32 ip, gpointer data)
{
  ImapLink *link = data;
  MlImapClientConfig config;
  gboolean implicit = FALSE;

  link->connecting = FALSE;
  if (ip == 0)
    {
      g_ptr_array_set_size (link->queued, 0);
      return;
    }
  ml_imap_client_config_init (&config);
  config.username = link->account;
  config.password = account_password (self, link->account);
  config.nonce_seed = ml_host_get_index (self->host) + 1;
  if (link->opener != NULL)
    {
      imap_security_from_step (&config, link->opener);
      if (link->opener->password != NULL)
        config.password = link->opener->password;
      implicit = link->opener->tls == ML_LESSON_TLS_IMPLICIT;
    }
  link->client = ml_imap_client_new (&config, link->local);
  link->session = ml_engine_session_connect (self->network, self->host, ip,
                                             implicit ? ML_PORT_IMAPS : ML_PORT_IMAP,
                                             link->client, &imap_client_ops, on_imap_done, link);
  if (implicit)
    ml_engine_session_start_tls (link->session);
  ml_engine_session_set_pump_hook (link->session, on_imap_pumped, link);
  imap_flush (link);
}

static ImapLink *
imap_link_for (MlMuaDevice *self, const char *account, const char *server)
{
  ImapLink *link;

  for (guint i = 0; i < self->imap_links->len; i++)
    {
      link = self->imap_links->pdata[i];
      if (g_ascii_strcasecmp (link->account, account) == 0 && g_strcmp0 (link->server, server) == 0)
        return link;
    }
  link = g_new0 (ImapLink, 1);
  link->device = self;
  link->account = g_strdup (account);
  link->server = g_strdup (server);
  link->local = ml_imap_local_store_new ();
  link->queued = g_ptr_array_new_with_free_func ((GDestroyNotify) imap_action_free);
  g_ptr_array_add (self->imap_links, link);
  return link;
}

static MlImapAction *
imap_action_from_step (const MlLessonStep *step)
{
  MlImapAction *a = g_new0 (MlImapAction, 1);

  /* The lesson's actions from imap-sync on are the engine's, in order. */
  ml_imap_action_init (a, (MlImapActionKind) (step->kind - ML_LESSON_ACTION_IMAP_SYNC));
  a->mailbox = g_strdup (step->mailbox);
  if (step->uid != 0)
    {
      guint32 *uids = g_new (guint32, 1);
      uids[0] = step->uid;
      a->uids = uids;
      a->n_uids = 1;
    }
  a->subject = g_strdup (step->message);
  a->first_unseen = step->kind == ML_LESSON_ACTION_IMAP_READ && step->uid == 0 && step->message == NULL;
  a->flags = (const char * const *) g_strdupv (step->flags);
  a->set = step->set;
  a->folder = g_strdup (step->folder);
  a->criteria = g_strdup (step->criteria);
  a->expunge = step->expunge;
  return a;
}

static void
start_imap (MlMuaDevice *self, const MlLessonStep *step)
{
  ImapLink *link = imap_link_for (self, step->account, step->server);

  if (step->kind == ML_LESSON_ACTION_IMAP_IDLE)
    {
      link->idle_since = now_us (self);
      link->idle_timeout = step->timeout_us;
    }
  g_ptr_array_add (link->queued, imap_action_from_step (step));

  if (link->session != NULL)
    imap_flush (link);
  else if (!link->connecting)
    {
      if (step->kind == ML_LESSON_ACTION_IMAP_LOGOUT)
        {
          /* Not connected: there is nobody to say goodbye to. */
          g_ptr_array_set_size (link->queued, 0);
          return;
        }
      link->connecting = TRUE;
      link->opener = step;
      resolve_server (self, step->server, imap_connect, link);
    }
}

/* ---- public ---- */

static void
pop3_copy_free (Pop3Copy *c)
{
  g_free (c->account);
  g_free (c->uidl);
  g_free (c->subject);
  g_free (c);
}

MlMuaDevice *
ml_mua_device_new (MlNetwork *network, MlHost *host, MlDnsResolver *resolver,
                   const MlLesson *lesson)
{
  MlMuaDevice *self = g_new0 (MlMuaDevice, 1);

  self->network = network;
  self->host = host;
  self->resolver = resolver;
  self->lesson = lesson;
  self->pop3_copies = g_ptr_array_new_with_free_func ((GDestroyNotify) pop3_copy_free);
  self->pop3_uidls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->imap_links = g_ptr_array_new_with_free_func ((GDestroyNotify) imap_link_free);
  return self;
}

void
ml_mua_device_free (MlMuaDevice *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->imap_links);
  g_hash_table_unref (self->pop3_uidls);
  g_ptr_array_unref (self->pop3_copies);
  g_free (self);
}

const char *
ml_mua_device_get_name (MlMuaDevice *self)
{
  return device_name (self);
}

void
ml_mua_device_start_step (MlMuaDevice *self, const MlLessonStep *step)
{
  if (step->kind == ML_LESSON_ACTION_POP3_FETCH)
    start_pop3 (self, step);
  else if (step->kind >= ML_LESSON_ACTION_IMAP_SYNC)
    start_imap (self, step);
}

void
ml_mua_device_check_idle (MlMuaDevice *self)
{
  for (guint i = 0; i < self->imap_links->len; i++)
    {
      ImapLink *link = self->imap_links->pdata[i];

      imap_report (link);
      if (link->client && link->idle_since != 0 && ml_imap_client_is_idling (link->client)
          && now_us (self) - link->idle_since >= link->idle_timeout)
        {
          /* RFC 2177 3: a client must not idle past 29 minutes. */
          ml_imap_client_stop_idle (link->client);
          link->idle_since = 0;
          ml_engine_session_pump (link->session);
        }
    }
}

void
ml_mua_device_logout_all (MlMuaDevice *self)
{
  for (guint i = 0; i < self->imap_links->len; i++)
    {
      ImapLink *link = self->imap_links->pdata[i];
      MlImapAction *a;

      imap_report (link);
      if (link->session == NULL)
        continue;
      a = g_new0 (MlImapAction, 1);
      ml_imap_action_init (a, ML_IMAP_ACTION_LOGOUT);
      g_ptr_array_add (link->queued, a);
      imap_flush (link);
    }
}

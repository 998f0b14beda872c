#define G_LOG_DOMAIN "ml-world"

#include <string.h>
#include <gmime/gmime.h>
#include "world/world.h"
#include "world/world-mailboxes.h"
#include "world/world-faults.h"
#include "world/mail-host.h"
#include "world/host-mailauth.h"
#include "world/smtp-session.h"
#include "world/session-record.h"
#include "world/mailbox-services.h"
#include "world/mua-device.h"
#include "world/engine-session.h"
#include "world/console-session.h"
#include "trace/trace-stats.h"
#include "net/dns-zone.h"
#include "net/dns-server.h"
#include "net/dns-resolver.h"
#include "mail/message-compose.h"

struct _MlWorld
{
  const MlLesson *lesson;
  MlTrace        *trace;
  MlNetwork      *network;
  MlDnsZone      *zone;
  GPtrArray      *dns_servers;   /* MlDnsServer* */
  GHashTable     *resolvers;     /* host name → MlDnsResolver* */
  GPtrArray      *mail_hosts;    /* MlMailHost* */
  GPtrArray      *stores;        /* MlMailStore*, one per MDA host */
  GHashTable     *domain_store;  /* domain → MlMailStore* (borrowed) */
  GPtrArray      *store_hosts;   /* char*: the MDA host of each store */
  GPtrArray      *devices;       /* MlMuaDevice*, one per MUA host */
  MlTraceStats   *stats;
  MlTlsContext   *tls;           /* the run's CA, certificates and key log */
  guint32         seed;
  guint           message_seq;
  gboolean        running;   /* past setup: store changes are events */
  gboolean        finished;
};

static const char *
address_domain (const char *address)
{
  const char *at = strrchr (address, '@');

  return at ? at + 1 : "";
}

/* ---- the store in the trace ---- */

static void
on_store_change (MlMailStore *store, const MlStoreChange *change, gpointer user_data)
{
  MlWorld *self = user_data;
  const char *kind = ml_store_change_kind_to_string (change->kind);
  MlTraceEvent *e;
  guint index;

  if (change->kind == ML_STORE_CHANGE_ACCOUNT_ADDED)
    return;  /* the lesson's setup, not something that happened */
  if (!g_ptr_array_find (self->stores, store, &index))
    return;
  /* Mailboxes made with an account are setup too; those made later (an
   * IMAP CREATE) are events. */
  if (change->kind == ML_STORE_CHANGE_MAILBOX_ADDED && !self->running)
    return;
  /* An IMAP session claiming \Recent clears the store's bit (RFC 3501
   * 2.3.2): a session's own view, nothing the mailbox's users did. */
  if (change->kind == ML_STORE_CHANGE_FLAGS && change->message != NULL &&
      (change->old_flags ^ ml_message_get_flags (change->message)) == ML_FLAG_RECENT)
    return;

  e = ml_trace_event_new (ML_TRACE_STORE);
  e->time_us = ml_scheduler_now (ml_network_get_scheduler (self->network));
  e->host = g_strdup (self->store_hosts->pdata[index]);
  e->account = g_strdup (ml_account_get_address (change->account));
  if (change->mailbox != NULL)
    e->mailbox = g_strdup (ml_mailbox_get_name (change->mailbox));
  e->text = g_strdup (kind);
  e->explain_key = g_strdup_printf ("store.%s", kind);
  if (change->message != NULL)
    {
      e->uid = ml_message_get_uid (change->message);
      if (change->kind == ML_STORE_CHANGE_APPEND)
        e->detail = g_strdup_printf ("%" G_GSIZE_FORMAT " octets", ml_message_get_size (change->message));
      else
        {
          /* Keywords are flags too (RFC 3501 2.3.2): "$Project" alone is
           * not "no flags". */
          g_autofree char *flags = ml_message_flags_dup_string (ml_message_get_flags (change->message));
          const char * const *keywords = ml_message_get_keywords (change->message);
          GString *all = g_string_new (flags);

          for (guint k = 0; keywords && keywords[k]; k++)
            g_string_append_printf (all, "%s%s", all->len ? " " : "", keywords[k]);
          e->detail = all->len ? g_string_free (all, FALSE) : (g_string_free (all, TRUE), g_strdup ("no flags"));
        }
    }
  else if (change->kind == ML_STORE_CHANGE_MAILBOX_RENAMED)
    e->detail = g_strdup_printf ("was %s", change->old_name);
  ml_trace_append (self->trace, e);
}

/* ---- building ---- */

static gboolean
build_dns (MlWorld *self, GError **error)
{
  const MlLesson *lesson = self->lesson;
  MlHost *dns_host = NULL;
  GPtrArray *hosts = ml_network_get_hosts (self->network);

  self->zone = ml_dns_zone_new ();
  for (guint i = 0; i < lesson->records->len; i++)
    {
      const MlLessonRecord *r = lesson->records->pdata[i];
      if (!ml_dns_zone_add_text (self->zone, r->name, r->type, r->ttl, r->preference, r->value, error))
        {
          g_prefix_error (error, "%s:%u:%u: ", lesson->path, r->line, r->column);
          return FALSE;
        }
    }
  /* Every host with a DNS-like name gets its A record unless the lesson
   * wrote one: a teacher lists MX records, not the obvious. */
  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *h = lesson->hosts->pdata[i];
      g_autofree char *ip = NULL;

      if (strchr (h->name, '.') == NULL || ml_dns_zone_has (self->zone, h->name, ML_DNS_TYPE_A))
        continue;
      ip = ml_ipv4_to_string (h->ipv4);
      ml_dns_zone_add_text (self->zone, h->name, "A", 3600, 0, ip, NULL);
    }

  for (guint i = 0; i < hosts->len; i++)
    if (ml_host_get_roles (hosts->pdata[i]) & ML_ROLE_DNS)
      {
        if (dns_host == NULL)
          dns_host = hosts->pdata[i];
        g_ptr_array_add (self->dns_servers, ml_dns_server_new (hosts->pdata[i], self->zone));
      }
  if (dns_host == NULL)
    return TRUE;  /* checked by whoever needs a resolver */

  for (guint i = 0; i < hosts->len; i++)
    {
      MlHost *h = hosts->pdata[i];
      if (ml_host_get_roles (h) & (ML_ROLE_MUA | ML_ROLE_MSA | ML_ROLE_MTA | ML_ROLE_MDA))
        g_hash_table_insert (self->resolvers, g_strdup (ml_host_get_name (h)),
                             ml_dns_resolver_new (h, ml_host_get_ipv4 (dns_host)));
    }
  return TRUE;
}

static void
build_stores (MlWorld *self)
{
  const MlLesson *lesson = self->lesson;

  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *h = lesson->hosts->pdata[i];
      MlMailStore *store;

      if (!(h->roles & ML_ROLE_MDA))
        continue;
      store = ml_mail_store_new ();
      g_ptr_array_add (self->stores, store);
      g_ptr_array_add (self->store_hosts, g_strdup (h->name));
      for (guint d = 0; h->domains && h->domains[d]; d++)
        g_hash_table_insert (self->domain_store, g_ascii_strdown (h->domains[d], -1), store);
    }
  /* Accounts of domains no MDA serves (Alice's, in lesson 01) are still the
   * lesson's users; they matter once AUTH exists. */
  for (guint i = 0; i < lesson->accounts->len; i++)
    {
      const MlLessonAccount *a = lesson->accounts->pdata[i];
      MlMailStore *store = ml_world_get_store (self, address_domain (a->address));
      if (store)
        {
          MlAccount *account = ml_mail_store_add_account (store, a->address, a->password);
          if (account != NULL && a->quota != 0)
            ml_account_set_quota (account, a->quota);
        }
    }
  for (guint i = 0; i < self->stores->len; i++)
    ml_mail_store_add_listener (self->stores->pdata[i], on_store_change, self);
}

static void
build_devices (MlWorld *self)
{
  GPtrArray *hosts = ml_network_get_hosts (self->network);

  for (guint i = 0; i < hosts->len; i++)
    {
      MlHost *h = hosts->pdata[i];
      MlDnsResolver *resolver = g_hash_table_lookup (self->resolvers, ml_host_get_name (h));

      if ((ml_host_get_roles (h) & ML_ROLE_MUA) && resolver != NULL)
        g_ptr_array_add (self->devices, ml_mua_device_new (self->network, h, resolver, self->lesson));
    }
}

/* One TLS context per run: its CA, each TLS host's certificate in the
 * variant the lesson asked for, and randomness from the run's seed so
 * the handshakes repeat byte for byte. */
static gboolean
build_tls (MlWorld *self, guint32 seed, GError **error)
{
  const MlLesson *lesson = self->lesson;

  self->tls = ml_tls_context_new (lesson->epoch_unix, seed, TRUE, error);
  if (self->tls == NULL)
    return FALSE;
  ml_engine_session_register_tls (self->network, self->tls);
  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *h = lesson->hosts->pdata[i];

      if ((h->starttls || h->implicit_tls)
          && !ml_tls_context_set_server_certificate (self->tls, h->name,
                                                     (MlTlsCertVariant) h->certificate, error))
        return FALSE;
    }
  return TRUE;
}

static MlMuaDevice *
find_device (MlWorld *self, const char *name)
{
  for (guint i = 0; i < self->devices->len; i++)
    if (g_strcmp0 (ml_mua_device_get_name (self->devices->pdata[i]), name) == 0)
      return self->devices->pdata[i];
  return NULL;
}

static gboolean
shares_domain (const MlLessonHost *a, const MlLessonHost *b)
{
  for (guint i = 0; a->domains && a->domains[i]; i++)
    for (guint j = 0; b->domains && b->domains[j]; j++)
      if (g_ascii_strcasecmp (a->domains[i], b->domains[j]) == 0)
        return TRUE;
  return FALSE;
}

/* The servers' view of the lesson's accounts (sasl.h): the password,
 * and SCRAM keys salted from the run's seed and the account, so a trace
 * repeats run after run (RFC 5802 5.1 wants a salt per user). */
static gboolean
world_lookup_secret (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  MlWorld *self = user_data;

  for (guint i = 0; i < self->lesson->accounts->len; i++)
    {
      const MlLessonAccount *a = self->lesson->accounts->pdata[i];
      g_autoptr(GChecksum) sum = NULL;
      g_autofree char *lower = NULL;
      guint32 seed_le = GUINT32_TO_LE (self->seed);
      guint8 digest[32];
      gsize len = sizeof digest;

      if (g_ascii_strcasecmp (a->address, authcid) != 0 || a->password == NULL)
        continue;
      lower = g_ascii_strdown (a->address, -1);
      sum = g_checksum_new (G_CHECKSUM_SHA256);
      g_checksum_update (sum, (const guchar *) &seed_le, sizeof seed_le);
      g_checksum_update (sum, (const guchar *) lower, -1);
      g_checksum_get_digest (sum, digest, &len);
      ml_sasl_secret_init_from_password (secret_out, a->password, digest,
                                         ML_SASL_SCRAM_ITERATIONS);
      return TRUE;
    }
  return FALSE;
}

static gboolean
build_mail_hosts (MlWorld *self, GError **error)
{
  const MlLesson *lesson = self->lesson;

  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *h = lesson->hosts->pdata[i];
      MlMailHostConfig config = { 0 };
      MlHostSecurity security;
      MlMailHost *mh;

      if (!(h->roles & (ML_ROLE_MSA | ML_ROLE_MTA | ML_ROLE_MDA)))
        continue;
      config.network = self->network;
      config.host = ml_network_find_host (self->network, h->name);
      config.resolver = g_hash_table_lookup (self->resolvers, h->name);
      config.domains = (const char * const *) h->domains;
      config.relay_to = h->relay_to;
      config.security = &security;
      config.lookup = world_lookup_secret;
      config.lookup_data = self;
      config.nonce_seed = ((guint64) self->seed << 32) | (i + 1);
      if ((h->roles & ML_ROLE_MDA) && h->domains && h->domains[0])
        config.store = ml_world_get_store (self, h->domains[0]);
      if (config.resolver == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "%s:%u:%u: host %s needs DNS, but no host has the DNS role",
                       lesson->path, h->line, h->column, h->name);
          return FALSE;
        }
      ml_host_security_from_lesson (&security, h);
      config.offer_dsn = h->dsn;
      config.lmtp = h->lmtp;
      config.chunking = h->chunking;
      config.queue_lifetime_us = h->queue_lifetime_us;
      config.relay_lmtp = h->relay_to && ml_lesson_find_host (lesson, h->relay_to)
                          && ml_lesson_find_host (lesson, h->relay_to)->lmtp;
      mh = ml_mail_host_new (&config);
      g_ptr_array_add (self->mail_hosts, mh);
      if (!ml_host_mailauth_attach (mh, self->network, config.resolver, self->zone,
                                    lesson->path, h, self->seed, error))
        return FALSE;
      /* SCRAM nonces from the seed without drawing from the run's RNG,
       * so adding AUTH to a lesson moves no ISN or DNS id. */
      if (config.store != NULL &&
          !ml_mailbox_services_start_secure (self->network, config.host, config.store, &security,
                                             ((guint64) self->seed << 32) | (i + 1), error))
        return FALSE;

      /* Who may relay through this host's port 25: the MSAs of its own
       * domains and whoever names it as relay_to. */
      for (guint j = 0; j < lesson->hosts->len; j++)
        {
          const MlLessonHost *other = lesson->hosts->pdata[j];
          if (other == h)
            continue;
          if (g_strcmp0 (other->relay_to, h->name) == 0
              || ((other->roles & ML_ROLE_MSA) && shares_domain (other, h)))
            ml_mail_host_allow_relay_from (mh, other->ipv4);
        }
    }
  return TRUE;
}

MlWorld *
ml_world_new (const MlLesson *lesson, guint32 seed, MlTrace *trace, GError **error)
{
  g_autoptr(MlWorld) self = g_new0 (MlWorld, 1);

  g_mime_init ();
  self->lesson = lesson;
  self->seed = seed;
  self->trace = g_object_ref (trace);
  self->network = ml_network_new (seed, trace);
  self->dns_servers = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_dns_server_free);
  self->resolvers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) ml_dns_resolver_free);
  self->mail_hosts = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_mail_host_free);
  self->stores = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_mail_store_free);
  self->store_hosts = g_ptr_array_new_with_free_func (g_free);
  self->domain_store = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_mua_device_free);
  self->stats = ml_trace_stats_new ();
  ml_trace_stats_attach (self->stats, trace);

  ml_network_set_epoch (self->network, lesson->epoch_unix * G_USEC_PER_SEC);
  ml_network_set_port_protocol (self->network, 25, ML_PROTO_SMTP);
  ml_network_set_port_protocol (self->network, 587, ML_PROTO_SMTP);
  ml_network_set_port_protocol (self->network, ML_PORT_POP3, ML_PROTO_POP3);
  ml_network_set_port_protocol (self->network, ML_PORT_IMAP, ML_PROTO_IMAP);
  ml_network_set_port_protocol (self->network, ML_PORT_SUBMISSIONS, ML_PROTO_SMTP);
  ml_network_set_port_protocol (self->network, ML_PORT_POP3S, ML_PROTO_POP3);
  ml_network_set_port_protocol (self->network, ML_PORT_IMAPS, ML_PROTO_IMAP);

  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *h = lesson->hosts->pdata[i];
      MlHost *host = ml_network_add_host (self->network, h->name, h->ipv4, h->roles);

      if (host != NULL && h->strip_starttls)
        ml_host_set_strip_starttls (host, TRUE);
    }
  for (guint i = 0; i < lesson->links->len; i++)
    {
      const MlLessonLink *l = lesson->links->pdata[i];
      MlLinkConfig config;
      MlLink *link;

      ml_link_config_init (&config);
      config.latency_us = l->latency_us;
      config.bandwidth_bps = l->bandwidth_bps;
      config.mtu = l->mtu;
      config.loss = l->loss;
      link = ml_network_add_link (self->network,
                                  ml_network_find_host (self->network, l->a),
                                  ml_network_find_host (self->network, l->b), &config);
      ml_link_set_up (link, l->up);
    }
  if (!ml_network_compute_routes (self->network, error))
    return NULL;
  if (!build_tls (self, seed, error))
    return NULL;
  if (!build_dns (self, error))
    return NULL;
  build_stores (self);
  if (!ml_world_fill_mailboxes (self, lesson, error))
    return NULL;
  if (!build_mail_hosts (self, error))
    return NULL;
  build_devices (self);
  return g_steal_pointer (&self);
}

void
ml_world_free (MlWorld *self)
{
  if (self == NULL)
    return;
  /* DNS before the network (they unbind their UDP ports from its hosts),
   * the network before the mail hosts (its scheduler and listeners hold
   * data that points into them, and frees it without running it). */
  g_clear_pointer (&self->stats, ml_trace_stats_free);
  g_clear_pointer (&self->resolvers, g_hash_table_unref);
  g_clear_pointer (&self->dns_servers, g_ptr_array_unref);
  if (self->tls != NULL && self->network != NULL)
    ml_engine_session_register_tls (self->network, NULL);
  g_clear_pointer (&self->network, ml_network_free);
  /* After the network: its sessions (freed with it) hold TLS streams of
   * this context. */
  g_clear_pointer (&self->tls, ml_tls_context_free);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_clear_pointer (&self->mail_hosts, g_ptr_array_unref);
  g_clear_pointer (&self->zone, ml_dns_zone_free);
  g_clear_pointer (&self->domain_store, g_hash_table_unref);
  g_clear_pointer (&self->stores, g_ptr_array_unref);
  g_clear_pointer (&self->store_hosts, g_ptr_array_unref);
  g_clear_object (&self->trace);
  g_free (self);
}

MlNetwork *
ml_world_get_network (MlWorld *self)
{
  return self->network;
}

MlTlsContext *
ml_world_get_tls (MlWorld *self)
{
  return self->tls;
}

MlMailStore *
ml_world_get_store (MlWorld *self, const char *domain)
{
  g_autofree char *key = g_ascii_strdown (domain, -1);

  return g_hash_table_lookup (self->domain_store, key);
}

/* ---- steps ---- */

typedef struct {
  MlWorld            *world;
  const MlLessonStep *step;
  MlHost             *host;
  char               *msa;
} SendJob;

static void
send_job_free (SendJob *job)
{
  g_free (job->msa);
  g_free (job);
}

static void
on_submission_done (MlSmtpClient *client, const GError *error, gpointer user_data)
{
  SendJob *job = user_data;
  const MlSmtpClientResult *result = ml_smtp_client_get_result (client, 0);
  g_autofree char *text = NULL;

  if (error != NULL && (result == NULL || result->data_code == 0))
    text = g_strdup_printf ("submission to %s failed: %s", job->msa, error->message);
  else if (result != NULL && result->data_code == 0 && result->n_recipients > 0
           && result->recipients[0].local && result->recipients[0].text != NULL)
    /* The client stopped by itself (TLS required and not offered, AUTH
     * refused): the message never left. */
    text = g_strdup_printf ("submission to %s stopped: %s", job->msa,
                            result->recipients[0].text);
  else
    text = g_strdup_printf ("submission to %s finished", job->msa);
  ml_network_note (job->world->network, ml_host_get_name (job->host), "mua.submitted", text, NULL);
  send_job_free (job);
}

static const char *
lesson_password (MlWorld *self, const char *address)
{
  for (guint i = 0; i < self->lesson->accounts->len; i++)
    {
      const MlLessonAccount *a = self->lesson->accounts->pdata[i];
      if (g_ascii_strcasecmp (a->address, address) == 0)
        return a->password;
    }
  return NULL;
}

/* A send step's tls, auth and password keys as the submission client's
 * settings (lesson.h). The user is the sender's address. */
static void
submission_security (MlWorld *self, const char *msa, const MlLessonStep *step,
                     MlSmtpClientConfig *config)
{
  MlHostSecurity server;

  ml_host_security_from_lesson (&server, ml_lesson_find_host (self->lesson, msa));
  switch (step->tls)
    {
    case ML_LESSON_TLS_NONE:     config->tls = ML_SMTP_CLIENT_TLS_NONE; break;
    case ML_LESSON_TLS_REQUIRED: config->tls = ML_SMTP_CLIENT_TLS_REQUIRED; break;
    case ML_LESSON_TLS_IMPLICIT: config->tls = ML_SMTP_CLIENT_TLS_IMPLICIT; break;
    case ML_LESSON_TLS_OPPORTUNISTIC:
    default:                     config->tls = ML_SMTP_CLIENT_TLS_OPPORTUNISTIC; break;
    }
  switch (step->auth)
    {
    case ML_LESSON_AUTH_NONE:          config->auth = ML_SMTP_CLIENT_AUTH_NONE; break;
    case ML_LESSON_AUTH_PLAIN:         config->auth = ML_SMTP_CLIENT_AUTH_PLAIN; break;
    case ML_LESSON_AUTH_LOGIN:         config->auth = ML_SMTP_CLIENT_AUTH_LOGIN; break;
    case ML_LESSON_AUTH_SCRAM_SHA_256: config->auth = ML_SMTP_CLIENT_AUTH_SCRAM_SHA_256; break;
    case ML_LESSON_AUTH_DEFAULT:
    default:
      /* lesson.h: AUTH PLAIN when the server offers AUTH. */
      config->auth = server.sasl_mechanisms == 0 ? ML_SMTP_CLIENT_AUTH_NONE
                     : (server.sasl_mechanisms & (1u << ML_SASL_PLAIN)) ? ML_SMTP_CLIENT_AUTH_PLAIN
                     : ML_SMTP_CLIENT_AUTH_BEST;
      break;
    }
  config->user = step->from;
  config->password = step->password ? step->password : lesson_password (self, step->from);
  /* A client that does not insist on TLS does not insist on protecting
   * the password either: that is the lax client of lesson 10. */
  config->allow_plaintext_auth = step->tls == ML_LESSON_TLS_OPPORTUNISTIC
                                 || step->tls == ML_LESSON_TLS_NONE;
  config->sasl_nonce_seed = ((guint64) self->seed << 32) | (self->message_seq + 1);
}

static void
on_msa_address (MlDnsResolver *resolver, const MlDnsResult *result, gpointer user_data)
{
  SendJob *job = user_data;
  MlWorld *self = job->world;
  const MlLessonStep *step = job->step;
  MlSmtpClientConfig config;
  MlSmtpClient *client;
  MlEngineSession *session;
  guint32 ip = 0;
  const char *host_name = ml_host_get_name (job->host);

  if (!ml_dns_result_first_a (result, &ip))
    {
      g_autofree char *text = g_strdup_printf ("cannot find the address of %s (%s)", job->msa,
                                               ml_dns_rcode_to_string (result->rcode));
      ml_network_note (self->network, host_name, "mua.no-msa", text, NULL);
      send_job_free (job);
      return;
    }

  ml_smtp_client_config_init (&config);
  config.helo_name = host_name;
  submission_security (self, job->msa, step, &config);
  client = ml_smtp_client_new (&config);
  for (guint n = 0; n < MAX (step->count, 1); n++)
    {
      MlComposeSpec spec = { 0 };
      g_autofree char *message_id = g_strdup_printf ("%u.%08X@%s", ++self->message_seq,
                                                     g_rand_int (ml_scheduler_get_rand (ml_network_get_scheduler (self->network))),
                                                     host_name);
      g_autoptr(GBytes) message = NULL;
      g_autofree MlComposeAttachment *files = NULL;

      spec.from = step->from;
      spec.to = (const char * const *) step->to;
      spec.subject = step->subject;
      spec.body = step->body;
      spec.date_unix = ml_network_now_unix_usec (self->network) / G_USEC_PER_SEC;
      spec.message_id = message_id;
      spec.user_agent = "maillab MUA";
      if (step->attachments != NULL)
        {
          files = g_new0 (MlComposeAttachment, step->attachments->len);
          for (guint a = 0; a < step->attachments->len; a++)
            {
              const MlLessonAttachment *att = step->attachments->pdata[a];

              files[a].filename = att->name;
              files[a].content_type = att->content_type;
              files[a].content = att->content;
            }
          spec.attachments = files;
          spec.n_attachments = step->attachments->len;
        }
      message = ml_message_compose (&spec);
      ml_smtp_client_add_message (client, step->from, (const char * const *) step->to, message);
    }
  session = ml_smtp_client_session_start (self->network, job->host, ip,
                                          step->tls == ML_LESSON_TLS_IMPLICIT
                                          ? ML_PORT_SUBMISSIONS : ML_PORT_SUBMISSION,
                                          client, on_submission_done, job);
  if (step->tls == ML_LESSON_TLS_IMPLICIT)
    ml_engine_session_start_tls (session);
}

static void
start_send (MlWorld *self, const MlLessonStep *step)
{
  const MlLessonHost *lh = ml_lesson_find_host (self->lesson, step->host);
  SendJob *job = g_new0 (SendJob, 1);
  MlDnsResolver *resolver = g_hash_table_lookup (self->resolvers, step->host);

  job->world = self;
  job->step = step;
  job->host = ml_network_find_host (self->network, step->host);
  job->msa = g_strdup (lh && lh->submission ? lh->submission : NULL);
  if (job->msa == NULL || resolver == NULL)
    {
      ml_network_note (self->network, step->host, "mua.no-msa",
                       "this MUA has no submission server (or no DNS) configured", NULL);
      send_job_free (job);
      return;
    }
  /* A MUA knows its MSA by name, so it asks DNS first, like a real one. */
  ml_dns_resolver_lookup (resolver, job->msa, ML_DNS_TYPE_A, on_msa_address, job);
}

gboolean
ml_world_run_step (MlWorld *self, guint index)
{
  const MlLessonStep *step;
  g_autofree char *title = NULL;

  if (index >= self->lesson->steps->len)
    return FALSE;
  self->running = TRUE;
  step = self->lesson->steps->pdata[index];
  title = g_strdup_printf ("step %u of %u", index + 1, self->lesson->steps->len);
  ml_network_note (self->network, step->host, "lesson.step", title, step->narrative);
  ml_world_faults_apply_full (self->network, self->zone, self->mail_hosts, step);

  for (guint i = 0; i < self->devices->len; i++)
    ml_mua_device_check_idle (self->devices->pdata[i]);
  if (step->kind == ML_LESSON_ACTION_SEND)
    start_send (self, step);
  else if (step->kind == ML_LESSON_ACTION_CONSOLE)
    ml_console_session_start_step (self->network, step);
  else
    ml_mua_device_start_step (find_device (self, step->host), step);
  ml_scheduler_run (ml_network_get_scheduler (self->network), G_MAXUINT64);
  return TRUE;
}

static void
note_summary (MlWorld *self)
{
  static const MlProtocol protocols[] = { ML_PROTO_SMTP, ML_PROTO_POP3, ML_PROTO_IMAP, ML_PROTO_DNS };
  const char *host = "lesson";

  for (gsize i = 0; i < G_N_ELEMENTS (protocols); i++)
    {
      const MlProtocolStats *p = ml_trace_stats_get (self->stats, protocols[i]);
      g_autofree char *text = NULL;
      g_autofree char *key = NULL;

      if (p->frames == 0)
        continue;
      text = ml_protocol_stats_describe (p);
      key = g_ascii_strdown (ml_protocol_to_string (protocols[i]), -1);
      {
        g_autofree char *explain = g_strdup_printf ("lesson.summary.%s", key);
        ml_network_note (self->network, host, explain, text, NULL);
      }
    }
  for (guint s = 0; s < self->stores->len; s++)
    {
      GPtrArray *accounts = ml_mail_store_get_accounts (self->stores->pdata[s]);
      for (guint a = 0; a < accounts->len; a++)
        {
          MlAccount *account = accounts->pdata[a];
          GPtrArray *boxes = ml_account_get_mailboxes (account);
          guint n = 0;
          g_autofree char *text = NULL;

          for (guint b = 0; b < boxes->len; b++)
            n += ml_mailbox_get_count (boxes->pdata[b]);
          text = g_strdup_printf ("%s holds %u message%s on the server", ml_account_get_address (account),
                                  n, n == 1 ? "" : "s");
          ml_network_note (self->network, self->store_hosts->pdata[s], "lesson.summary.server", text, NULL);
        }
    }
  for (guint i = 0; i < self->devices->len; i++)
    {
      MlMuaDevice *d = self->devices->pdata[i];
      guint n = ml_mua_device_count_messages (d);
      g_autofree char *text = g_strdup_printf ("%s holds %u message%s", ml_mua_device_get_name (d),
                                               n, n == 1 ? "" : "s");
      ml_network_note (self->network, ml_mua_device_get_name (d), "lesson.summary.device", text, NULL);
    }
}

void
ml_world_finish (MlWorld *self)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  /* What is still open says goodbye, as a user closing the program. */
  for (guint i = 0; i < self->devices->len; i++)
    ml_mua_device_logout_all (self->devices->pdata[i]);
  ml_scheduler_run (ml_network_get_scheduler (self->network), G_MAXUINT64);
  note_summary (self);
}

void
ml_world_run (MlWorld *self)
{
  for (guint i = 0; ml_world_run_step (self, i); i++)
    ;
  ml_world_finish (self);
}

#define G_LOG_DOMAIN "ml-world"

#include <string.h>
#include <gmime/gmime.h>
#include "world/world.h"
#include "world/mail-host.h"
#include "world/smtp-session.h"
#include "world/session-record.h"
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
  guint           message_seq;
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
  MlTraceEvent *e;
  guint index;
  static const char *kinds[] = { "account", "mailbox", "append", "expunge", "flags" };

  if (change->kind == ML_STORE_CHANGE_ACCOUNT_ADDED || change->kind == ML_STORE_CHANGE_MAILBOX_ADDED)
    return;  /* the lesson's setup, not something that happened */
  if (!g_ptr_array_find (self->stores, store, &index))
    return;

  e = ml_trace_event_new (ML_TRACE_STORE);
  e->time_us = ml_scheduler_now (ml_network_get_scheduler (self->network));
  e->host = g_strdup (self->store_hosts->pdata[index]);
  e->account = g_strdup (ml_account_get_address (change->account));
  e->mailbox = g_strdup (ml_mailbox_get_name (change->mailbox));
  e->uid = ml_message_get_uid (change->message);
  e->text = g_strdup (kinds[change->kind]);
  e->explain_key = g_strdup_printf ("store.%s", kinds[change->kind]);
  if (change->kind == ML_STORE_CHANGE_APPEND)
    e->detail = g_strdup_printf ("%" G_GSIZE_FORMAT " octets", ml_message_get_size (change->message));
  else
    e->detail = ml_message_flags_dup_string (ml_message_get_flags (change->message));
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
        ml_mail_store_add_account (store, a->address, a->password);
    }
  for (guint i = 0; i < self->stores->len; i++)
    ml_mail_store_add_listener (self->stores->pdata[i], on_store_change, self);
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

static gboolean
build_mail_hosts (MlWorld *self, GError **error)
{
  const MlLesson *lesson = self->lesson;

  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *h = lesson->hosts->pdata[i];
      MlMailHostConfig config = { 0 };
      MlMailHost *mh;

      if (!(h->roles & (ML_ROLE_MSA | ML_ROLE_MTA | ML_ROLE_MDA)))
        continue;
      config.network = self->network;
      config.host = ml_network_find_host (self->network, h->name);
      config.resolver = g_hash_table_lookup (self->resolvers, h->name);
      config.domains = (const char * const *) h->domains;
      config.relay_to = h->relay_to;
      if ((h->roles & ML_ROLE_MDA) && h->domains && h->domains[0])
        config.store = ml_world_get_store (self, h->domains[0]);
      if (config.resolver == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "%s:%u:%u: host %s needs DNS, but no host has the DNS role",
                       lesson->path, h->line, h->column, h->name);
          return FALSE;
        }
      mh = ml_mail_host_new (&config);
      g_ptr_array_add (self->mail_hosts, mh);

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
  self->trace = g_object_ref (trace);
  self->network = ml_network_new (seed, trace);
  self->dns_servers = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_dns_server_free);
  self->resolvers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) ml_dns_resolver_free);
  self->mail_hosts = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_mail_host_free);
  self->stores = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_mail_store_free);
  self->store_hosts = g_ptr_array_new_with_free_func (g_free);
  self->domain_store = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  ml_network_set_epoch (self->network, lesson->epoch_unix * G_USEC_PER_SEC);
  ml_network_set_port_protocol (self->network, 25, ML_PROTO_SMTP);
  ml_network_set_port_protocol (self->network, 587, ML_PROTO_SMTP);

  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *h = lesson->hosts->pdata[i];
      ml_network_add_host (self->network, h->name, h->ipv4, h->roles);
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
  if (!build_dns (self, error))
    return NULL;
  build_stores (self);
  if (!build_mail_hosts (self, error))
    return NULL;
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
  g_clear_pointer (&self->resolvers, g_hash_table_unref);
  g_clear_pointer (&self->dns_servers, g_ptr_array_unref);
  g_clear_pointer (&self->network, ml_network_free);
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
  else
    text = g_strdup_printf ("submission to %s finished", job->msa);
  ml_network_note (job->world->network, ml_host_get_name (job->host), "mua.submitted", text, NULL);
  send_job_free (job);
}

static void
on_msa_address (MlDnsResolver *resolver, const MlDnsResult *result, gpointer user_data)
{
  SendJob *job = user_data;
  MlWorld *self = job->world;
  const MlLessonStep *step = job->step;
  MlSmtpClientConfig config;
  MlSmtpClient *client;
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
  client = ml_smtp_client_new (&config);
  for (guint n = 0; n < MAX (step->count, 1); n++)
    {
      MlComposeSpec spec = { 0 };
      g_autofree char *message_id = g_strdup_printf ("%u.%08X@%s", ++self->message_seq,
                                                     g_rand_int (ml_scheduler_get_rand (ml_network_get_scheduler (self->network))),
                                                     host_name);
      g_autoptr(GBytes) message = NULL;

      spec.from = step->from;
      spec.to = (const char * const *) step->to;
      spec.subject = step->subject;
      spec.body = step->body;
      spec.date_unix = ml_network_now_unix_usec (self->network) / G_USEC_PER_SEC;
      spec.message_id = message_id;
      spec.user_agent = "maillab MUA";
      message = ml_message_compose (&spec);
      ml_smtp_client_add_message (client, step->from, (const char * const *) step->to, message);
    }
  ml_smtp_client_session_start (self->network, job->host, ip, ML_PORT_SUBMISSION,
                                client, on_submission_done, job);
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
  step = self->lesson->steps->pdata[index];
  title = g_strdup_printf ("step %u of %u", index + 1, self->lesson->steps->len);
  ml_network_note (self->network, step->host, "lesson.step", title, step->narrative);

  switch (step->kind)
    {
    case ML_LESSON_ACTION_SEND:
      start_send (self, step);
      break;
    default:
      break;
    }
  ml_scheduler_run (ml_network_get_scheduler (self->network), G_MAXUINT64);
  return TRUE;
}

void
ml_world_run (MlWorld *self)
{
  for (guint i = 0; ml_world_run_step (self, i); i++)
    ;
}

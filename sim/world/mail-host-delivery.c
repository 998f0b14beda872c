/* mail-host-delivery.c — a mail host's queue runner and its final hop:
 * each queued message goes by MX lookup (RFC 5321 5.1: preference order,
 * equal preferences shuffled with the seeded RNG, the implicit MX, the
 * next MX when one cannot be reached) or to relay_to, over SMTP or, to an
 * LMTP MDA, over LMTP on port 24 (RFC 2033); 4yz replies are retried with
 * the queue's backoff, and what fails for good is bounced (RFC 3464, in
 * mail-host-bounce.c). The LMTP server side's per-recipient verdict is
 * here too. The services and their policy are in mail-host.c.
 */
#define G_LOG_DOMAIN "ml-mail-host"

#include <string.h>
#include "world/mail-host.h"
#include "world/mail-host-private.h"
#include "world/smtp-session.h"
#include "world/session-record.h"

/* ---- delivery: draining the queue ---- */

/* RFC 3030 2: a BDAT chunk may be any size; Postfix sends the message in
 * chunks of its own buffer, which a small lesson message fits in whole. */
#define MAIL_HOST_BDAT_CHUNK  (64 * 1024)

typedef struct {
  MlMailHost *mh;
  char       *entry_id;
  GPtrArray  *rcpts;        /* char*: the recipients this route carries */
  char       *route;        /* domain (MX) or relay host name */
  gboolean    by_mx;
  gboolean    implicit_mx;  /* no MX: the domain itself (RFC 5321 5.1) */
  GPtrArray  *candidates;   /* char*: host names, best first */
  guint       next;
  char       *last_error;
} Delivery;

static void
delivery_free (Delivery *d)
{
  g_free (d->entry_id);
  g_ptr_array_unref (d->rcpts);
  g_free (d->route);
  g_ptr_array_unref (d->candidates);
  g_free (d->last_error);
  g_free (d);
}

static MlQueueRecipient *
entry_recipient (MlQueueEntry *entry, const char *address)
{
  for (guint i = 0; i < entry->recipients->len; i++)
    {
      MlQueueRecipient *r = entry->recipients->pdata[i];
      if (g_ascii_strcasecmp (r->address, address) == 0)
        return r;
    }
  return NULL;
}

static void finish_attempt (MlMailHost *mh, MlQueueEntry *entry);

static void
delivery_done (Delivery *d)
{
  MlMailHost *mh = d->mh;
  MlQueueEntry *entry = ml_mail_queue_find (mh->queue, d->entry_id);

  if (entry != NULL)
    {
      for (guint i = 0; i < d->rcpts->len; i++)
        {
          MlQueueRecipient *r = entry_recipient (entry, d->rcpts->pdata[i]);
          if (r && r->status == ML_RCPT_PENDING && d->last_error && r->code == 0)
            ml_queue_recipient_set (r, ML_RCPT_PENDING, 0, d->last_error);
        }
      g_assert_cmpuint (entry->in_flight, >, 0);
      if (--entry->in_flight == 0)
        finish_attempt (mh, entry);
    }
  delivery_free (d);
}

/* A failure decided here, not by a server: no Remote-MTA or
 * Diagnostic-Code in a bounce, only @dsn_status (RFC 3464 2.3.4–2.3.6). */
static void
delivery_fail_all (Delivery *d, MlRcptStatus status, guint code, const char *dsn_status,
                   const char *why)
{
  MlQueueEntry *entry = ml_mail_queue_find (d->mh->queue, d->entry_id);

  for (guint i = 0; entry && i < d->rcpts->len; i++)
    {
      MlQueueRecipient *r = entry_recipient (entry, d->rcpts->pdata[i]);
      if (r)
        {
          ml_queue_recipient_set (r, status, code, why);
          ml_queue_recipient_set_remote (r, NULL, NULL, dsn_status);
        }
    }
}

/* What a DSN says about a server's answer (RFC 3464 2.3.4–2.3.6): the
 * reply on one line, and its status code; a reply without an enhanced
 * code gets its class's X.0.0 (RFC 3463 3.1). */
static void
record_remote (MlQueueRecipient *r, const char *server, const MlSmtpRecipientResult *rr)
{
  g_autofree char *text = g_strdup (rr->text ? rr->text : "");
  g_autofree char *status = rr->enhanced ? g_strdup (rr->enhanced)
                                         : g_strdup_printf ("%u.0.0", rr->code / 100);
  g_autofree char *diagnostic = NULL;

  g_strdelimit (text, "\r\n", ' ');
  diagnostic = rr->enhanced ? g_strdup_printf ("%u %s %s", rr->code, rr->enhanced, text)
                            : g_strdup_printf ("%u %s", rr->code, text);
  ml_queue_recipient_set_remote (r, rr->local ? NULL : server, diagnostic, status);
}

static void try_next_candidate (Delivery *d);

static void
on_client_done (MlSmtpClient *client, const GError *error, gpointer user_data)
{
  Delivery *d = user_data;
  MlQueueEntry *entry = ml_mail_queue_find (d->mh->queue, d->entry_id);
  const MlSmtpClientResult *result = ml_smtp_client_get_result (client, 0);
  const char *candidate = d->candidates->pdata[d->next - 1];
  gboolean reached = FALSE;

  for (guint i = 0; entry && result && i < result->n_recipients; i++)
    {
      const MlSmtpRecipientResult *rr = &result->recipients[i];
      MlQueueRecipient *r = entry_recipient (entry, rr->address);
      g_autofree char *reply = g_strdup_printf ("%s said: %u %s", candidate, rr->code, rr->text ? rr->text : "");

      if (r == NULL || rr->outcome == ML_SMTP_OUTCOME_PENDING
          || (result->try_next_host && rr->outcome != ML_SMTP_OUTCOME_DELIVERED))
        continue;
      reached = TRUE;
      record_remote (r, candidate, rr);
      switch (rr->outcome)
        {
        case ML_SMTP_OUTCOME_DELIVERED:
          ml_queue_recipient_set (r, ML_RCPT_DELIVERED, rr->code, reply);
          break;
        case ML_SMTP_OUTCOME_PERMANENT:
          ml_queue_recipient_set (r, ML_RCPT_FAILED, rr->code, reply);
          break;
        case ML_SMTP_OUTCOME_TEMPORARY:
        default:
          ml_queue_recipient_set (r, ML_RCPT_PENDING, rr->code, reply);
          break;
        }
    }

  /* RFC 5321 5.1: a server that cannot be reached, or that refuses the
   * whole session, sends us on to the next MX; an answer about a recipient
   * is that recipient's fate. */
  if (!reached)
    {
      g_free (d->last_error);
      d->last_error = g_strdup_printf ("delivery through %s failed: %s", candidate,
                                       error ? error->message
                                       : result && result->n_recipients > 0
                                         && result->recipients[0].local && result->recipients[0].text
                                       ? result->recipients[0].text
                                       : "the server refused the session");
      ml_network_note (d->mh->network, d->mh->name, "smtp.queue.next-mx",
                       d->last_error,
                       d->next < d->candidates->len ? "trying the next MX (RFC 5321 5.1)" : NULL);
      try_next_candidate (d);
      return;
    }
  delivery_done (d);
}

/* RFC 3461 5.2: the parameters the message came with go on to the next
 * hop (the client sends them only when it lists DSN). */
static guint
add_message_with_dsn (MlSmtpClient *client, MlQueueEntry *entry, GPtrArray *addresses)
{
  g_autofree MlDsnNotify *notify = g_new0 (MlDsnNotify, addresses->len + 1);
  g_autoptr(GPtrArray) orcpt = g_ptr_array_new ();
  g_autoptr(GPtrArray) rcpts = g_ptr_array_copy (addresses, NULL, NULL);
  gboolean any = entry->ret != ML_DSN_RET_DEFAULT || entry->envid != NULL;
  MlSmtpClientDsn dsn = { 0 };

  for (guint i = 0; i < addresses->len; i++)
    {
      MlQueueRecipient *r = entry_recipient (entry, addresses->pdata[i]);

      notify[i] = r ? r->notify : ML_DSN_NOTIFY_DEFAULT;
      g_ptr_array_add (orcpt, r ? r->orcpt : NULL);
      any = any || notify[i] != ML_DSN_NOTIFY_DEFAULT || (r && r->orcpt);
    }
  g_ptr_array_add (orcpt, NULL);
  g_ptr_array_add (rcpts, NULL);
  dsn.ret = entry->ret;
  dsn.envid = entry->envid;
  dsn.notify = notify;
  dsn.orcpt = (const char * const *) orcpt->pdata;
  return ml_smtp_client_add_message_dsn (client, entry->reverse_path,
                                         (const char * const *) rcpts->pdata, entry->data,
                                         any ? &dsn : NULL);
}

static void
on_candidate_address (MlDnsResolver *resolver, const MlDnsResult *result, gpointer user_data)
{
  Delivery *d = user_data;
  MlQueueEntry *entry = ml_mail_queue_find (d->mh->queue, d->entry_id);
  const char *candidate = d->candidates->pdata[d->next - 1];
  gboolean lmtp = !d->by_mx && d->mh->relay_lmtp;
  guint32 ip = 0;
  MlSmtpClient *client;
  MlSmtpClientConfig config;

  if (entry == NULL)
    {
      delivery_done (d);
      return;
    }
  if (!ml_dns_result_first_a (result, &ip))
    {
      g_free (d->last_error);
      d->last_error = g_strdup_printf ("%s has no address (%s)", candidate,
                                       ml_dns_rcode_to_string (result->rcode));
      /* RFC 5321 5.1: with no MX the domain's own address is the one MX;
       * with neither, the name has nowhere to take mail: that is final
       * (Postfix: "Host or domain name not found", 5.4.4), not a retry. */
      if (d->implicit_mx && (result->rcode == ML_DNS_RCODE_NOERROR
                             || result->rcode == ML_DNS_RCODE_NXDOMAIN))
        {
          g_autofree char *why = g_strdup_printf ("5.4.4 Host or domain name not found: %s has "
                                                  "no MX and no A record", d->route);
          /* RFC 3463 3.5: 5.4.4, unable to route. */
          delivery_fail_all (d, ML_RCPT_FAILED, 550, "5.4.4", why);
          ml_network_note (d->mh->network, d->mh->name, "smtp.queue.no-address", why,
                           "RFC 5321 5.1: no MX, and the implicit MX has no address");
          delivery_done (d);
          return;
        }
      try_next_candidate (d);
      return;
    }

  ml_smtp_client_config_init (&config);
  config.helo_name = d->mh->name;
  /* RFC 3207 4.1 and RFC 7435: between MTAs, TLS when the next hop
   * offers it, the clear otherwise (Postfix's "may" level). */
  config.tls = ML_SMTP_CLIENT_TLS_OPPORTUNISTIC;
  config.lmtp = lmtp;
  config.bdat_chunk_size = MAIL_HOST_BDAT_CHUNK;
  client = ml_smtp_client_new (&config);
  add_message_with_dsn (client, entry, d->rcpts);
  ml_smtp_client_session_start (d->mh->network, d->mh->host, ip,
                                lmtp ? ML_PORT_LMTP : ML_PORT_SMTP,
                                client, on_client_done, d);
}

static void
try_next_candidate (Delivery *d)
{
  const char *candidate;

  if (d->next >= d->candidates->len)
    {
      g_autofree char *text = g_strdup_printf ("no server for %s took the message; it stays queued",
                                               d->route);
      ml_network_note (d->mh->network, d->mh->name, "smtp.queue.deferred", text, d->last_error);
      delivery_done (d);
      return;
    }
  candidate = d->candidates->pdata[d->next++];
  ml_dns_resolver_lookup (d->mh->resolver, candidate, ML_DNS_TYPE_A, on_candidate_address, d);
}

static gint
compare_mx (gconstpointer a, gconstpointer b)
{
  const MlDnsRecord *x = *(MlDnsRecord * const *) a;
  const MlDnsRecord *y = *(MlDnsRecord * const *) b;

  return (gint) x->preference - (gint) y->preference;
}

static void
on_mx (MlDnsResolver *resolver, const MlDnsResult *result, gpointer user_data)
{
  Delivery *d = user_data;
  g_autoptr(GPtrArray) mx = g_ptr_array_new ();
  GRand *rand = ml_scheduler_get_rand (ml_network_get_scheduler (d->mh->network));

  if (result->rcode == ML_DNS_RCODE_NXDOMAIN)
    {
      g_autofree char *why = g_strdup_printf ("Host or domain name not found. Name service error for name=%s type=MX: Host not found",
                                              d->route);
      /* RFC 3463 3.5: 5.4.4, unable to route, as Postfix reports it. */
      delivery_fail_all (d, ML_RCPT_FAILED, 550, "5.4.4", why);
      ml_network_note (d->mh->network, d->mh->name, "smtp.queue.nxdomain", why, NULL);
      delivery_done (d);
      return;
    }
  if (result->rcode != ML_DNS_RCODE_NOERROR)
    {
      g_free (d->last_error);
      d->last_error = g_strdup_printf ("MX lookup for %s failed (%s)", d->route,
                                       ml_dns_rcode_to_string (result->rcode));
      delivery_done (d);
      return;
    }

  for (guint i = 0; i < result->answers->len; i++)
    {
      MlDnsRecord *rr = result->answers->pdata[i];
      if (rr->type == ML_DNS_TYPE_MX)
        g_ptr_array_add (mx, rr);
    }
  /* RFC 5321 5.1: MXs of equal preference are tried in random order, so
   * load spreads; our one seeded GRand keeps that deterministic. */
  for (guint i = mx->len; i > 1; i--)
    {
      guint j = g_rand_int_range (rand, 0, (gint32) i);
      gpointer tmp = mx->pdata[i - 1];
      mx->pdata[i - 1] = mx->pdata[j];
      mx->pdata[j] = tmp;
    }
  g_ptr_array_sort (mx, compare_mx);  /* stable: ties keep the shuffle */

  for (guint i = 0; i < mx->len; i++)
    {
      MlDnsRecord *rr = mx->pdata[i];
      g_ptr_array_add (d->candidates, g_strdup (rr->value));
    }
  /* RFC 5321 5.1: no MX records means the domain itself is the one MX. */
  if (d->candidates->len == 0)
    {
      g_autofree char *text = g_strdup_printf ("%s has no MX record: its own address is "
                                               "the implicit MX", d->route);
      ml_network_note (d->mh->network, d->mh->name, "smtp.queue.implicit-mx", text,
                       "RFC 5321 5.1");
      d->implicit_mx = TRUE;
      g_ptr_array_add (d->candidates, g_strdup (d->route));
    }
  try_next_candidate (d);
}

static void
start_delivery (MlMailHost *mh, MlQueueEntry *entry, const char *route, gboolean by_mx,
                GPtrArray *rcpts)
{
  Delivery *d = g_new0 (Delivery, 1);

  d->mh = mh;
  d->entry_id = g_strdup (entry->id);
  d->rcpts = g_ptr_array_ref (rcpts);
  d->route = g_strdup (route);
  d->by_mx = by_mx;
  d->candidates = g_ptr_array_new_with_free_func (g_free);
  entry->in_flight++;
  if (by_mx)
    ml_dns_resolver_lookup (mh->resolver, route, ML_DNS_TYPE_MX, on_mx, d);
  else
    {
      g_ptr_array_add (d->candidates, g_strdup (route));
      try_next_candidate (d);
    }
}

static void
attempt_entry (MlMailHost *mh, MlQueueEntry *entry)
{
  /* Recipients grouped by where they go: one session per route. */
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func (g_free);

  entry->attempts++;
  entry->in_flight = 1;  /* held until every route has started */

  for (guint i = 0; i < entry->recipients->len; i++)
    {
      MlQueueRecipient *r = entry->recipients->pdata[i];
      const char *domain = _ml_mail_host_address_domain (r->address);
      g_autofree char *key = NULL;
      GPtrArray *group;

      if (r->status != ML_RCPT_PENDING)
        continue;
      if (ml_mail_host_serves_domain (mh, domain) && mh->relay_to)
        key = g_strconcat ("relay:", mh->relay_to, NULL);
      else if (mh->roles & ML_ROLE_MTA)
        key = g_strconcat ("mx:", domain, NULL);
      else if (mh->relay_to)
        key = g_strconcat ("relay:", mh->relay_to, NULL);
      else
        {
          ml_queue_recipient_set (r, ML_RCPT_FAILED, 554,
                                  "5.4.4 no route: this host is no MTA and has no relay_to");
          continue;
        }
      group = g_hash_table_lookup (groups, key);
      if (group == NULL)
        {
          group = g_ptr_array_new ();
          g_hash_table_insert (groups, g_strdup (key), group);
          g_ptr_array_add (order, g_strdup (key));
        }
      g_ptr_array_add (group, r->address);
    }

  for (guint i = 0; i < order->len; i++)
    {
      const char *key = order->pdata[i];
      gboolean by_mx = g_str_has_prefix (key, "mx:");
      start_delivery (mh, entry, strchr (key, ':') + 1, by_mx, g_hash_table_lookup (groups, key));
    }

  if (--entry->in_flight == 0)
    finish_attempt (mh, entry);
}

typedef struct {
  MlMailHost *mh;
  char       *entry_id;
} AttemptJob;

static void
attempt_job_run (gpointer data)
{
  AttemptJob *job = data;
  MlQueueEntry *entry = ml_mail_queue_find (job->mh->queue, job->entry_id);

  if (entry != NULL && !entry->in_flight)
    attempt_entry (job->mh, entry);
}

static void
attempt_job_free (gpointer data)
{
  AttemptJob *job = data;

  g_free (job->entry_id);
  g_free (job);
}

void
_ml_mail_host_schedule_attempt (MlMailHost *mh, MlQueueEntry *entry, guint64 delay_us)
{
  AttemptJob *job = g_new0 (AttemptJob, 1);

  job->mh = mh;
  job->entry_id = g_strdup (entry->id);
  ml_scheduler_schedule (ml_network_get_scheduler (mh->network), delay_us,
                         attempt_job_run, job, attempt_job_free);
}

/* The bounce goes out like any other mail (RFC 3461 6.1): into our own
 * store when the sender is ours, else queued from <> and delivered by MX
 * or relay_to. */
static void
send_bounce (MlMailHost *mh, MlQueueEntry *entry, GPtrArray *failed)
{
  g_autofree char *id = ml_mail_queue_dup_next_id (mh->queue);
  g_autoptr(GBytes) dsn = _ml_mail_host_compose_bounce (mh->network, mh->name, entry, failed, id);
  const char *to = entry->reverse_path;
  g_autofree char *text = NULL;
  g_autofree char *statuses = NULL;

  if (dsn == NULL)
    return;
  {
    g_autoptr(GString) s = g_string_new (NULL);
    for (guint i = 0; i < failed->len; i++)
      {
        MlQueueRecipient *r = failed->pdata[i];
        if (_ml_mail_host_wants_failure_notice (r))
          g_string_append_printf (s, "%s%s %s", s->len ? ", " : "", r->address,
                                  ml_queue_recipient_failure_status (r));
      }
    statuses = g_string_free (g_steal_pointer (&s), FALSE);
  }
  text = g_strdup_printf ("bounce %s for message %s: a DSN from <> to <%s> (%s)",
                          id, entry->id, to, statuses);
  ml_network_note (mh->network, mh->name, "smtp.queue.bounce", text,
                   "RFC 3464 multipart/report with message/delivery-status; "
                   "the null reverse-path so it is never bounced itself (RFC 5321 4.5.5)");
  if (mh->store != NULL && ml_mail_host_serves_domain (mh, _ml_mail_host_address_domain (to)))
    _ml_mail_host_deliver_locally (mh, "", to, dsn);
  else
    {
      const char *rcpts[] = { to, NULL };
      guint64 now = ml_scheduler_now (ml_network_get_scheduler (mh->network));
      MlQueueEntry *bounce = ml_mail_queue_add (mh->queue, id, "", rcpts, dsn, now);

      _ml_mail_host_schedule_attempt (mh, bounce, 0);
    }
}

static void
finish_attempt (MlMailHost *mh, MlQueueEntry *entry)
{
  MlScheduler *sched = ml_network_get_scheduler (mh->network);
  guint64 now = ml_scheduler_now (sched);
  g_autoptr(GPtrArray) failed = g_ptr_array_new ();
  gboolean again = ml_mail_queue_defer (mh->queue, entry, now);

  for (guint i = 0; i < entry->recipients->len; i++)
    {
      MlQueueRecipient *r = entry->recipients->pdata[i];
      g_autofree char *text = NULL;

      if (r->reported)
        continue;
      if (r->status == ML_RCPT_DELIVERED)
        {
          text = g_strdup_printf ("message %s delivered to %s", entry->id, r->address);
          ml_network_note (mh->network, mh->name, "smtp.queue.delivered", text, r->reply);
          r->reported = TRUE;
        }
      else if (r->status == ML_RCPT_FAILED)
        {
          text = g_strdup_printf (r->expired ? "message %s to %s expired in the queue"
                                             : "message %s to %s failed permanently",
                                  entry->id, r->address);
          ml_network_note (mh->network, mh->name,
                           r->expired ? "smtp.queue.expired" : "smtp.queue.failed", text, r->reply);
          r->reported = TRUE;
          g_ptr_array_add (failed, r);
        }
    }
  /* One DSN per attempt for every recipient it failed, as Postfix does. */
  if (failed->len > 0)
    send_bounce (mh, entry, failed);

  if (again)
    {
      g_autofree char *text = g_strdup_printf ("message %s deferred; next attempt in %" G_GUINT64_FORMAT " s",
                                               entry->id, (entry->next_attempt_us - now) / G_USEC_PER_SEC);
      ml_network_note (mh->network, mh->name, "smtp.queue.deferred", text, NULL);
      _ml_mail_host_schedule_attempt (mh, entry, entry->next_attempt_us - now);
      return;
    }
  ml_mail_queue_remove (mh->queue, entry);
}

/* ---- LMTP final hop (RFC 2033) ---- */

/* RFC 2033 4.2: after the data, one reply per recipient: a mailbox over
 * its quota refuses its copy (452, "temporarily over quota" as in the
 * RFC's example) and the MTA keeps just that recipient queued, while the
 * others' copies are stored. */
void
_ml_mail_host_lmtp_accept_for_recipient (MlSmtpServer *server, const MlSmtpEnvelope *envelope,
                                         GBytes *message, guint index, MlSmtpVerdict *verdict,
                                         gpointer user_data)
{
  Service *svc = user_data;
  MlMailHost *mh = svc->mh;
  const char *rcpt = envelope->recipients->pdata[index];
  MlAccount *account = mh->store ? ml_mail_store_find_account (mh->store, rcpt) : NULL;

  if (ml_reply_faults_answer (mh->reply_faults, "DATA", verdict))
    return;
  if (account == NULL)
    {
      ml_smtp_verdict_set (verdict, 550, "5.1.1", "<%s> User unknown", rcpt);
      return;
    }
  if (ml_account_get_quota (account) != 0 &&
      ml_account_get_usage (account) + g_bytes_get_size (message) > ml_account_get_quota (account))
    {
      ml_smtp_verdict_set (verdict, 452, "4.2.2", "<%s> Mailbox is over quota", rcpt);
      return;
    }
  _ml_mail_host_deliver_locally (mh, envelope->reverse_path, rcpt, message);
}

MlReplyFaults *
ml_mail_host_get_reply_faults (MlMailHost *self)
{
  return self->reply_faults;
}

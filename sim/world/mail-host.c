#define G_LOG_DOMAIN "ml-mail-host"

#include <string.h>
#include "world/mail-host.h"
#include "net/tcp.h"
#include "world/smtp-session.h"
#include "world/session-record.h"
#include "world/mail-host-private.h"
#include "world/host-mailauth.h"
#include "world/mailing-list.h"


const char *
_ml_mail_host_address_domain (const char *address)
{
  const char *at = strrchr (address, '@');

  return at ? at + 1 : "";
}

gboolean
ml_mail_host_serves_domain (MlMailHost *self, const char *domain)
{
  for (guint i = 0; self->domains && self->domains[i]; i++)
    if (g_ascii_strcasecmp (self->domains[i], domain) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
may_relay (MlMailHost *self, guint32 client_ip)
{
  for (guint i = 0; i < self->relay_clients->len; i++)
    if (g_array_index (self->relay_clients, guint32, i) == client_ip)
      return TRUE;
  return FALSE;
}

static guint32
server_peer_ip (MlSmtpServer *server)
{
  guint32 ip = 0;

  ml_ipv4_parse (ml_smtp_server_get_peer_address (server), &ip);
  return ip;
}

/* ---- policy: what this host accepts ---- */

static void
policy_check_sender (MlSmtpServer *server, const MlSmtpPath *path,
                     MlSmtpVerdict *verdict, gpointer user_data)
{
  Service *svc = user_data;
  const char *reverse_path = path->mailbox;

  if (ml_reply_faults_answer (svc->mh->reply_faults, "MAIL", verdict))
    return;

  /* Until AUTH exists (issue 4) a submission server can only check that the
   * sender claims one of its own domains, as Postfix's
   * reject_sender_login_mismatch would for a logged-in user. */
  if (svc->submission && !ml_mail_host_serves_domain (svc->mh, _ml_mail_host_address_domain (reverse_path)))
    ml_smtp_verdict_set (verdict, 553, "5.7.1",
                         "<%s>: Sender address rejected: not a user of this submission server",
                         reverse_path);
}

static MlMailingList *
find_list (MlMailHost *mh, const char *address)
{
  for (guint i = 0; mh->lists && i < mh->lists->len; i++)
    if (ml_mailing_list_matches (mh->lists->pdata[i], address))
      return mh->lists->pdata[i];
  return NULL;
}

static void
policy_check_recipient (MlSmtpServer *server, const char *reverse_path,
                        const MlSmtpPath *path, MlSmtpVerdict *verdict,
                        gpointer user_data)
{
  Service *svc = user_data;
  MlMailHost *mh = svc->mh;
  const char *forward_path = path->mailbox;
  const char *domain = path->domain ? path->domain : "";

  if (ml_reply_faults_answer (mh->reply_faults, "RCPT", verdict))
    return;

  if (svc->submission)
    return;  /* a submission server relays anywhere for its users */

  if (find_list (mh, forward_path) != NULL)
    return;  /* the list takes it (mailing-list.h) */
  if (ml_mail_host_serves_domain (mh, domain))
    {
      MlAccount *account = mh->store ? ml_mail_store_find_account (mh->store, forward_path) : NULL;

      if (mh->store != NULL && account == NULL)
        ml_smtp_verdict_set (verdict, 550, "5.1.1",
                             "<%s>: Recipient address rejected: User unknown in local recipient table",
                             forward_path);
      /* A full mailbox is a temporary failure: the sender's queue tries
       * again later (RFC 3463 4.2.2, "mailbox full"). */
      else if (account != NULL && ml_account_get_quota (account) != 0 &&
               ml_account_get_usage (account) >= ml_account_get_quota (account))
        ml_smtp_verdict_set (verdict, 452, "4.2.2", "<%s>: Mailbox full", forward_path);
      return;
    }

  /* RFC 5321 3.6.2: relaying for others only for clients we know;
   * everyone else gets Postfix's reject_unauth_destination answer. */
  if (!may_relay (mh, server_peer_ip (server)))
    ml_smtp_verdict_set (verdict, 554, "5.7.1",
                         "<%s>: Relay access denied", forward_path);
}

/* Whether every local recipient's mailbox can take @size more octets: a
 * message is refused whole before anything is stored, never half-kept. */
static gboolean
local_quota_allows (MlMailHost *mh, const MlSmtpEnvelope *envelope, gsize size, const char **full)
{
  for (guint i = 0; mh->store && i < envelope->recipients->len; i++)
    {
      const char *rcpt = envelope->recipients->pdata[i];
      MlAccount *account = ml_mail_store_find_account (mh->store, rcpt);

      if (account != NULL && ml_account_get_quota (account) != 0 &&
          ml_account_get_usage (account) + size > ml_account_get_quota (account))
        {
          *full = rcpt;
          return FALSE;
        }
    }
  return TRUE;
}

/* @junk: DMARC's quarantine (RFC 7489 6.6.4): the \Junk mailbox
 * (RFC 6154 2), made if the account has none. */
static void
deliver_into (MlMailHost *mh, const char *reverse_path, const char *rcpt, GBytes *message,
              gboolean junk)
{
  MlAccount *account = ml_mail_store_find_account (mh->store, rcpt);
  MlMailbox *box;
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autofree char *rp = g_strdup_printf ("Return-Path: <%s>\r\n", reverse_path);
  g_autoptr(GBytes) stored = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);

  if (account == NULL)
    return;  /* refused at RCPT already */
  /* RFC 5321 4.4: the final delivery adds Return-Path with the envelope
   * sender, which is what a bounce would go to. */
  g_byte_array_append (buf, (const guint8 *) rp, strlen (rp));
  g_byte_array_append (buf, data, len);
  stored = g_byte_array_free_to_bytes (g_steal_pointer (&buf));
  box = ml_account_get_inbox (account);
  if (junk)
    {
      box = ml_account_find_special_use (account, ML_SPECIAL_USE_JUNK);
      if (box == NULL)
        box = ml_account_create_mailbox (account, "Junk", ML_SPECIAL_USE_JUNK, NULL);
      if (box == NULL)
        box = ml_account_get_inbox (account);
    }
  ml_mailbox_append (box, stored, ML_FLAG_RECENT,
                     ml_network_now_unix_usec (mh->network) / G_USEC_PER_SEC);
}

void
_ml_mail_host_deliver_locally (MlMailHost *mh, const char *reverse_path, const char *rcpt,
                               GBytes *message)
{
  deliver_into (mh, reverse_path, rcpt, message, FALSE);
}

/* Like Mailman, a list's copy is a new message from the list: its own
 * queue entry with the list's bounce address (mailing-list.h). */
static void
resend_to_list (MlMailHost *mh, MlMailingList *list, const char *id, GBytes *message)
{
  g_autoptr(GBytes) copy = ml_mailing_list_rewrite (list, message);
  g_autofree char *sender = ml_mailing_list_dup_bounce_address (list);
  g_autofree char *new_id = ml_mail_queue_dup_next_id (mh->queue);
  g_autofree char *who = g_strjoinv (", ", (char **) ml_mailing_list_get_members (list));
  g_autofree char *text = g_strdup_printf ("list %s re-sends message %s as %s to %s",
                                           ml_mailing_list_get_address (list), id, new_id, who);
  guint64 now = ml_scheduler_now (ml_network_get_scheduler (mh->network));
  MlQueueEntry *entry = ml_mail_queue_add (mh->queue, new_id, sender,
                                           ml_mailing_list_get_members (list), copy, now);

  ml_network_note (mh->network, mh->name, "mailauth.list.resend", text,
                   "envelope sender, Subject and body change; From: stays the author's");
  _ml_mail_host_schedule_attempt (mh, entry, 0);
}

/* Takes responsibility for an accepted message (RFC 5321 4.2.5):
 * local mailboxes (into \Junk with @junk), lists, the queue. */
static void
take_message (MlMailHost *mh, const MlSmtpEnvelope *envelope, GBytes *message,
              gboolean junk, MlSmtpVerdict *verdict)
{
  g_autoptr(GPtrArray) remote = g_ptr_array_new ();
  const char *id = envelope->id;
  const char *full = NULL;

  if (!local_quota_allows (mh, envelope, g_bytes_get_size (message), &full))
    {
      /* RFC 5321 4.2.2 / RFC 3463 5.2.2: over the recipient's storage
       * allocation. Nothing was stored, so nothing is lost. */
      ml_smtp_verdict_set (verdict, 552, "5.2.2", "<%s>: Mailbox full: message exceeds the quota", full);
      return;
    }

  for (guint i = 0; i < envelope->recipients->len; i++)
    {
      const char *rcpt = envelope->recipients->pdata[i];
      MlMailingList *list = find_list (mh, rcpt);

      if (list != NULL)
        resend_to_list (mh, list, id, message);
      else if (mh->store != NULL && ml_mail_host_serves_domain (mh, _ml_mail_host_address_domain (rcpt)))
        deliver_into (mh, envelope->reverse_path, rcpt, message, junk);
      else
        g_ptr_array_add (remote, (gpointer) rcpt);
    }

  if (remote->len > 0)
    {
      MlQueueEntry *entry;
      guint64 now = ml_scheduler_now (ml_network_get_scheduler (mh->network));
      g_autofree char *who = NULL;

      g_ptr_array_add (remote, NULL);
      entry = ml_mail_queue_add (mh->queue, id, envelope->reverse_path,
                                 (const char * const *) remote->pdata, message, now);
      _ml_mail_host_queue_take_dsn (entry, envelope);
      who = g_strjoinv (", ", (char **) remote->pdata);
      {
        g_autofree char *text = g_strdup_printf ("message %s queued for %s", id, who);
        ml_network_note (mh->network, mh->name, "smtp.queue.queued", text, NULL);
      }
      _ml_mail_host_schedule_attempt (mh, entry, 0);
    }
  ml_smtp_verdict_set (verdict, 250, "2.0.0", "Ok: queued as %s", id);
}

/* A message whose verdict waits for SPF, DKIM and DMARC: the envelope
 * kept past the engine's callback (smtp-server.h, ml_smtp_verdict_defer). */
typedef struct {
  MlMailHost      *mh;
  MlSmtpServer    *server;
  MlMailauthCheck *check;
  MlSmtpEnvelope   envelope;   /* strings and arrays owned here */
} Pending;

static void
pending_free (Pending *p)
{
  MlSmtpEnvelope *e = &p->envelope;

  g_free ((char *) e->id);
  g_free ((char *) e->helo_name);
  g_free ((char *) e->client_name);
  g_free ((char *) e->client_address);
  g_free ((char *) e->reverse_path);
  g_free ((char *) e->auth_user);
  g_free ((char *) e->dsn_envid);
  g_ptr_array_unref (e->recipients);
  for (guint i = 0; i < e->recipient_dsn->len; i++)
    g_free (((MlSmtpRecipientDsn *) e->recipient_dsn->pdata[i])->orcpt);
  g_ptr_array_unref (e->recipient_dsn);
  g_free (p);
}

static void
on_mailauth_done (const MlMailauthVerdict *v, gpointer data)
{
  Pending *p = data;
  MlSmtpVerdict verdict = { 0 };

  g_ptr_array_remove (p->mh->pending, p);
  if (v->disposition == ML_MAILAUTH_REJECT)
    ml_smtp_server_complete_message (p->server, v->code, v->enhanced, v->text);
  else
    {
      verdict.text = g_string_new (NULL);
      take_message (p->mh, &p->envelope, v->message, v->disposition == ML_MAILAUTH_JUNK,
                    &verdict);
      ml_smtp_server_complete_message (p->server, verdict.code, verdict.enhanced,
                                       verdict.text->str);
      g_string_free (verdict.text, TRUE);
    }
  pending_free (p);
}

static void
verify_then_take (MlMailHost *mh, MlSmtpServer *server, const MlSmtpEnvelope *envelope,
                  GBytes *message)
{
  Pending *p = g_new0 (Pending, 1);
  MlSmtpEnvelope *e = &p->envelope;

  p->mh = mh;
  p->server = server;
  *e = *envelope;
  e->id = g_strdup (envelope->id);
  e->helo_name = g_strdup (envelope->helo_name);
  e->client_name = g_strdup (envelope->client_name);
  e->client_address = g_strdup (envelope->client_address);
  e->reverse_path = g_strdup (envelope->reverse_path);
  e->auth_user = g_strdup (envelope->auth_user);
  e->dsn_envid = g_strdup (envelope->dsn_envid);
  e->recipients = g_ptr_array_copy (envelope->recipients, (GCopyFunc) (void (*) (void)) g_strdup, NULL);
  g_ptr_array_set_free_func (e->recipients, g_free);
  e->recipient_dsn = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; envelope->recipient_dsn && i < envelope->recipient_dsn->len; i++)
    {
      MlSmtpRecipientDsn *dsn = g_memdup2 (envelope->recipient_dsn->pdata[i], sizeof *dsn);

      dsn->orcpt = g_strdup (dsn->orcpt);
      g_ptr_array_add (e->recipient_dsn, dsn);
    }
  g_ptr_array_add (mh->pending, p);
  p->check = ml_host_mailauth_verify (mh->mailauth, envelope->client_address,
                                      envelope->helo_name, envelope->reverse_path, message,
                                      on_mailauth_done, p);
}

/* The session ended before the checks did: the client got no 250 and
 * keeps the message (RFC 5321 6.1), so ours goes. */
static void
policy_deferred_dropped (MlSmtpServer *server, gpointer user_data)
{
  Service *svc = user_data;
  MlMailHost *mh = svc->mh;

  for (guint i = 0; i < mh->pending->len; i++)
    {
      Pending *p = mh->pending->pdata[i];

      if (p->server != server)
        continue;
      g_ptr_array_remove_index (mh->pending, i);
      ml_mailauth_check_cancel (p->check);
      pending_free (p);
      return;
    }
}

static void
policy_accept_message (MlSmtpServer *server, const MlSmtpEnvelope *envelope,
                       GBytes *message, MlSmtpVerdict *verdict, gpointer user_data)
{
  Service *svc = user_data;
  MlMailHost *mh = svc->mh;
  g_autoptr(GBytes) signed_message = NULL;

  if (ml_reply_faults_answer (mh->reply_faults, "DATA", verdict))
    return;
  /* Where a milter or OpenDMARC acts: after the final dot, before the
   * reply (RFC 7489 6.6.2, RFC 7208 2.4). Mail from our own relay
   * clients (our MSAs) is outbound, not received: checked by the border
   * MTA that gets it (RFC 8601 5), as OpenDMARC's IgnoreHosts does. */
  if (!svc->submission && ml_host_mailauth_verifies (mh->mailauth) &&
      !may_relay (mh, server_peer_ip (server)))
    {
      verify_then_take (mh, server, envelope, message);
      ml_smtp_verdict_defer (verdict);
      return;
    }
  /* RFC 6376 5: the submission server signs what its users send. */
  if (svc->submission && ml_host_mailauth_signs (mh->mailauth))
    message = signed_message = ml_host_mailauth_sign (mh->mailauth, message, envelope->id);
  take_message (mh, envelope, message, FALSE, verdict);
}

static char *
policy_new_id (MlSmtpServer *server, gpointer user_data)
{
  Service *svc = user_data;

  return ml_mail_queue_dup_next_id (svc->mh->queue);
}

/* AUTH (RFC 4954): the lesson's accounts, through the world. */
static gboolean
policy_lookup_secret (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  Service *svc = user_data;

  return svc->mh->lookup != NULL
         && svc->mh->lookup (authcid, secret_out, svc->mh->lookup_data);
}

static const MlSmtpServerPolicy mail_host_policy = {
  .check_sender = policy_check_sender,
  .check_recipient = policy_check_recipient,
  .accept_message = policy_accept_message,
  .deferred_dropped = policy_deferred_dropped,
  .new_id = policy_new_id,
  .lookup_secret = policy_lookup_secret,
};

static void
on_accept (MlHost *host, MlStream *stream, gpointer user_data)
{
  Service *svc = user_data;
  MlMailHost *mh = svc->mh;
  guint32 peer_ip = ml_tcp_stream_get_remote_ip (ML_TCP_STREAM (stream));
  MlHost *peer = ml_network_find_host_by_ip (mh->network, peer_ip);
  g_autofree char *addr = ml_ipv4_to_string (peer_ip);

  ml_smtp_server_session_start (mh->network, stream, mh->name,
                                peer ? ml_host_get_name (peer) : addr, addr,
                                svc->implicit ? &mh->submissions_config
                                : svc->submission ? &mh->submission_config
                                : svc->lmtp ? &mh->lmtp_config : &mh->relay_config,
                                svc->lmtp ? &mh->lmtp_policy : &mail_host_policy, svc);
}

/* ---- life cycle ---- */

static void
server_config_for (MlMailHost *mh, MlSmtpServerConfig *config, guint16 port,
                   guint64 nonce_seed)
{
  const MlHostSecurity *sec = &mh->security;

  ml_smtp_server_config_init (config);
  config->hostname = mh->name;
  /* Postfix's default message_size_limit, announced in EHLO (RFC 1870). */
  config->max_message_size = 10240000;
  config->sasl_nonce_seed = nonce_seed;
  config->offer_dsn = mh->offer_dsn;
  config->offer_chunking = mh->chunking;
  if (port == ML_PORT_SUBMISSIONS)
    config->tls = ML_SMTP_TLS_IMPLICIT;
  else if (sec->starttls)
    config->tls = ML_SMTP_TLS_STARTTLS;
  if (port == ML_PORT_SMTP || port == ML_PORT_LMTP)
    return;
  config->auth_mechanisms = sec->sasl_mechanisms;
  config->auth_plaintext_needs_tls = !sec->plaintext_auth;
  config->require_auth = sec->require_auth;
}

MlMailHost *
ml_mail_host_new (const MlMailHostConfig *config)
{
  MlMailHost *mh = g_new0 (MlMailHost, 1);
  g_autoptr(GError) error = NULL;

  mh->network = config->network;
  mh->host = config->host;
  mh->name = g_strdup (ml_host_get_name (config->host));
  mh->roles = ml_host_get_roles (config->host);
  mh->domains = g_strdupv ((char **) config->domains);
  mh->relay_to = g_strdup (config->relay_to);
  mh->resolver = config->resolver;
  mh->store = config->store;
  mh->queue = ml_mail_queue_new (g_str_hash (mh->name));
  mh->relay_clients = g_array_new (FALSE, FALSE, sizeof (guint32));
  mh->pending = g_ptr_array_new ();
  if (config->security != NULL)
    mh->security = *config->security;
  else
    ml_host_security_from_lesson (&mh->security, NULL);
  mh->lookup = config->lookup;
  mh->lookup_data = config->lookup_data;
  mh->offer_dsn = config->offer_dsn;
  mh->lmtp = config->lmtp && (mh->roles & ML_ROLE_MDA);
  mh->relay_lmtp = config->relay_lmtp;
  mh->chunking = config->chunking;
  if (config->queue_lifetime_us != 0)
    ml_mail_queue_set_lifetime (mh->queue, config->queue_lifetime_us);
  mh->reply_faults = ml_reply_faults_new (mh->network, mh->name);
  server_config_for (mh, &mh->lmtp_config, ML_PORT_LMTP, config->nonce_seed);
  mh->lmtp_config.lmtp = TRUE;
  mh->lmtp_policy = mail_host_policy;
  mh->lmtp_policy.accept_for_recipient = _ml_mail_host_lmtp_accept_for_recipient;
  server_config_for (mh, &mh->submission_config, ML_PORT_SUBMISSION, config->nonce_seed);
  server_config_for (mh, &mh->submissions_config, ML_PORT_SUBMISSIONS, config->nonce_seed);
  server_config_for (mh, &mh->relay_config, ML_PORT_SMTP, config->nonce_seed);

  if (mh->roles & ML_ROLE_MSA)
    {
      Service *svc = g_new0 (Service, 1);
      svc->mh = mh;
      svc->submission = TRUE;
      if (!ml_host_tcp_listen (mh->host, ML_PORT_SUBMISSION, on_accept, svc, g_free, &error))
        g_warning ("%s: %s", mh->name, error->message);
      g_clear_error (&error);
    }
  if ((mh->roles & ML_ROLE_MSA) && mh->security.implicit_tls)
    {
      Service *svc = g_new0 (Service, 1);
      svc->mh = mh;
      svc->submission = TRUE;
      svc->implicit = TRUE;
      if (!ml_host_tcp_listen (mh->host, ML_PORT_SUBMISSIONS, on_accept, svc, g_free, &error))
        g_warning ("%s: %s", mh->name, error->message);
      g_clear_error (&error);
    }
  /* RFC 2033 6: LMTP is not SMTP and must not be offered on port 25; an
   * LMTP MDA that is not also an MTA takes mail on 24 only. */
  if ((mh->roles & ML_ROLE_MTA) || ((mh->roles & ML_ROLE_MDA) && !mh->lmtp))
    {
      Service *svc = g_new0 (Service, 1);
      svc->mh = mh;
      if (!ml_host_tcp_listen (mh->host, ML_PORT_SMTP, on_accept, svc, g_free, &error))
        g_warning ("%s: %s", mh->name, error->message);
      g_clear_error (&error);
    }
  if (mh->lmtp)
    {
      Service *svc = g_new0 (Service, 1);
      svc->mh = mh;
      svc->lmtp = TRUE;
      if (!ml_host_tcp_listen (mh->host, ML_PORT_LMTP, on_accept, svc, g_free, &error))
        g_warning ("%s: %s", mh->name, error->message);
    }
  return mh;
}

void
ml_mail_host_free (MlMailHost *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->pending->len; i++)
    {
      Pending *p = self->pending->pdata[i];

      ml_mailauth_check_cancel (p->check);
      pending_free (p);
    }
  g_ptr_array_unref (self->pending);
  ml_host_mailauth_free (self->mailauth);
  g_clear_pointer (&self->lists, g_ptr_array_unref);
  ml_mail_queue_free (self->queue);
  ml_reply_faults_free (self->reply_faults);
  g_array_unref (self->relay_clients);
  g_strfreev (self->domains);
  g_free (self->relay_to);
  g_free (self->name);
  g_free (self);
}

void
ml_mail_host_allow_relay_from (MlMailHost *self, guint32 ipv4)
{
  g_array_append_val (self->relay_clients, ipv4);
}

void
ml_mail_host_set_mailauth (MlMailHost *self, MlHostMailauth *mailauth, GPtrArray *lists)
{
  ml_host_mailauth_free (self->mailauth);
  self->mailauth = mailauth;
  g_clear_pointer (&self->lists, g_ptr_array_unref);
  self->lists = lists;
}

MlMailQueue *
ml_mail_host_get_queue (MlMailHost *self)
{
  return self->queue;
}

MlHost *
ml_mail_host_get_host (MlMailHost *self)
{
  return self->host;
}

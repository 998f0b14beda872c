/* mail-host-private.h — what the parts of a mail host share: the host
 * itself, its services and policy (mail-host.c), the queue runner and
 * LMTP final hop (mail-host-delivery.c), the bounce composer and the
 * queue's DSN bookkeeping (mail-host-bounce.c). Only sim/world/mail-host*.c
 * include it.
 */
#pragma once

#include "net/network.h"
#include "mail/mail-queue.h"
#include "proto/smtp-server.h"
#include "world/mail-host.h"
#include "world/host-mailauth.h"
#include "world/mailing-list.h"

G_BEGIN_DECLS

struct _MlMailHost
{
  MlNetwork     *network;
  MlHost        *host;
  char          *name;
  MlRole         roles;
  GStrv          domains;
  char          *relay_to;
  MlDnsResolver *resolver;
  MlMailStore   *store;
  MlMailQueue   *queue;
  GArray        *relay_clients;  /* guint32 */
  MlSmtpServerConfig submission_config;
  MlSmtpServerConfig submissions_config;  /* 465, implicit TLS */
  MlSmtpServerConfig relay_config;
  MlHostSecurity     security;
  MlSaslLookupFunc   lookup;
  gpointer           lookup_data;
  /* Mail authentication and lists (host-mailauth.h, mailing-list.h). */
  MlHostMailauth    *mailauth;
  GPtrArray         *lists;     /* MlMailingList* */
  GPtrArray         *pending;   /* Pending*: verdicts deferred for checks */
  /* Delivery: LMTP (RFC 2033) in and out, DSN, CHUNKING, forced replies. */
  MlSmtpServerConfig lmtp_config;
  MlSmtpServerPolicy lmtp_policy;
  gboolean           lmtp;
  gboolean           relay_lmtp;
  gboolean           chunking;
  gboolean           offer_dsn;
  MlReplyFaults     *reply_faults;
};

/* What a listener's policy callbacks need: which port they serve. */
typedef struct {
  MlMailHost *mh;
  gboolean    submission;
  gboolean    implicit;
  gboolean    lmtp;        /* port 24, RFC 2033 */
} Service;

/* The domain of "local@domain" ("" without an @). Borrowed from @address. */
const char *_ml_mail_host_address_domain (const char *address);
/* Final delivery into the host's store, with Return-Path: (RFC 5321 4.4). */
void        _ml_mail_host_deliver_locally (MlMailHost *mh, const char *reverse_path,
                                           const char *rcpt, GBytes *message);
/* mail-host-delivery.c: an attempt at @entry after @delay_us. */
void        _ml_mail_host_schedule_attempt (MlMailHost *mh, MlQueueEntry *entry,
                                            guint64 delay_us);
/* mail-host-delivery.c: the LMTP service's per-recipient verdict
 * (MlSmtpServerPolicy.accept_for_recipient, RFC 2033 4.2). */
void        _ml_mail_host_lmtp_accept_for_recipient (MlSmtpServer *server,
                                                     const MlSmtpEnvelope *envelope,
                                                     GBytes *message, guint index,
                                                     MlSmtpVerdict *verdict,
                                                     gpointer user_data);

/* The bounce for @failed (MlQueueRecipient*, borrowed: the recipients of
 * @entry that this attempt failed) as an RFC 3464 DSN from @host_name,
 * with Message-ID <@bounce_id.bounce@host_name>. NULL when no bounce is
 * to go: @entry came from <> (RFC 3461 6.1, RFC 5321 4.5.5: never a
 * bounce to a bounce) or NOTIFY asked for none of @failed (RFC 3461 4.1);
 * either way a note (smtp.queue.bounce-null-sender,
 * smtp.queue.bounce-suppressed) says why. Transfer full. */
GBytes *_ml_mail_host_compose_bounce (MlNetwork          *network,
                                      const char         *host_name,
                                      const MlQueueEntry *entry,
                                      GPtrArray          *failed,
                                      const char         *bounce_id);

/* RFC 3461 4.1: whether @rcpt's NOTIFY asks to hear of its failure (no
 * NOTIFY reads as FAILURE,DELAY). */
gboolean _ml_mail_host_wants_failure_notice (const MlQueueRecipient *rcpt);

/* RET/ENVID and each queued recipient's NOTIFY/ORCPT from the envelope
 * the server accepted (RFC 3461 4), so they travel on and into a bounce. */
void    _ml_mail_host_queue_take_dsn (MlQueueEntry         *entry,
                                      const MlSmtpEnvelope *envelope);

G_END_DECLS

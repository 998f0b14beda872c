/* mail-host.h — the mail services of one simulated host.
 *
 * A host's roles decide what it runs:
 *   MSA  submission on port 587 (RFC 6409): takes mail from its domains'
 *        users and queues it for delivery.
 *   MTA  SMTP on port 25 (RFC 5321): takes mail for its own domains (handing
 *        it to relay_to, or into its store if it is also the MDA), relays
 *        for other domains only for its own MSAs — never an open relay —
 *        and delivers what is queued by MX lookup.
 *   MDA  SMTP on port 25 for its domains' accounts; delivers into the store
 *        with Return-Path: (RFC 5321 4.4).
 */
#pragma once

#include "net/network.h"
#include "net/dns-resolver.h"
#include "mail/mail-store.h"
#include "mail/mail-queue.h"
#include "world/host-security.h"
#include "world/reply-fault.h"

G_BEGIN_DECLS

#define ML_PORT_SMTP        25   /* RFC 5321 */
#define ML_PORT_SUBMISSION  587  /* RFC 6409 */
#define ML_PORT_LMTP        24   /* RFC 2033 6: LMTP must not be spoken on 25 */

typedef struct _MlMailHost MlMailHost;

typedef struct {
  MlNetwork     *network;
  MlHost        *host;
  MlDnsResolver *resolver;   /* borrowed */
  const char * const *domains;
  const char    *relay_to;   /* host name or NULL */
  MlMailStore   *store;      /* borrowed; MDA only */
  /* TLS and AUTH (copied; NULL: no TLS, no AUTH). STARTTLS on 25 and
   * 587, 465 with implicit TLS for an MSA (RFC 8314 3.3), AUTH on 587
   * and 465 only: MTAs do not log in to each other. */
  const MlHostSecurity *security;
  /* Whose passwords AUTH checks (sasl.h), with @lookup_data. */
  MlSaslLookupFunc lookup;
  gpointer       lookup_data;
  guint64        nonce_seed;  /* SCRAM server nonces */
  /* Delivery (lessons/README.md "hosts"): offer_dsn lists DSN (RFC 3461)
   * on 25 and 587; lmtp (MDA) serves LMTP on 24 instead of SMTP on 25
   * (RFC 2033); relay_lmtp: relay_to is such an MDA, spoken to in LMTP
   * on 24; chunking lists CHUNKING (RFC 3030) on every port. */
  gboolean       offer_dsn;
  gboolean       lmtp;
  gboolean       relay_lmtp;
  gboolean       chunking;
  guint64        queue_lifetime_us;  /* 0: ML_QUEUE_LIFETIME_US */
} MlMailHostConfig;

MlMailHost  *ml_mail_host_new              (const MlMailHostConfig *config);
void         ml_mail_host_free             (MlMailHost *self);
/* Hosts allowed to relay through this host's port 25 (its own MSAs). */
void         ml_mail_host_allow_relay_from (MlMailHost *self, guint32 ipv4);
MlMailQueue *ml_mail_host_get_queue        (MlMailHost *self);
MlHost      *ml_mail_host_get_host         (MlMailHost *self);
gboolean     ml_mail_host_serves_domain    (MlMailHost *self, const char *domain);
/* Mail authentication (host-mailauth.h; transfer full, may be NULL) and
 * mailing lists (MlMailingList*, transfer full, may be NULL). */
struct _MlHostMailauth;
void         ml_mail_host_set_mailauth     (MlMailHost *self, struct _MlHostMailauth *mailauth,
                                            GPtrArray *lists);
/* The forced replies a lesson's faults set on this host (borrowed). */
MlReplyFaults *ml_mail_host_get_reply_faults (MlMailHost *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlMailHost, ml_mail_host_free)

G_END_DECLS

/* host-mailauth.h — mail authentication at a simulated mail host.
 *
 * Two jobs, each switched on by a lesson host key (lesson-mailauth.h):
 *   dkim         the MSA signs every message it accepts on submission
 *                before queuing it (RFC 6376 5); the key derives from the
 *                run's seed, and the world publishes its TXT record at
 *                <selector>._domainkey.<domain> unless the lesson has one.
 *   verify_mail  the MTA, at the end of DATA on port 25, checks SPF for
 *                the client's address and MAIL FROM (RFC 7208), every
 *                DKIM signature (RFC 6376 6) and DMARC for the From:
 *                domain (RFC 7489), each DNS query going over the
 *                simulated wire through the host's resolver, as a milter
 *                or OpenDMARC would; then says what to do: deliver with
 *                Authentication-Results (RFC 8601) on top, deliver into
 *                Junk (p=quarantine), or refuse with 550 5.7.1 (p=reject).
 * Every verdict is a trace note (mailauth.spf.*, mailauth.dkim.*,
 * mailauth.dmarc.*) whose text says why.
 */
#pragma once

#include "net/network.h"
#include "net/dns-resolver.h"
#include "net/dns-zone.h"
#include "lesson/lesson.h"

G_BEGIN_DECLS

typedef struct _MlHostMailauth MlHostMailauth;
typedef struct _MlMailauthCheck MlMailauthCheck;

typedef enum {
  ML_MAILAUTH_DELIVER = 0,   /* into the recipient's INBOX */
  ML_MAILAUTH_JUNK,          /* into its \Junk mailbox (RFC 7489 6.6.4 quarantine) */
  ML_MAILAUTH_REJECT,        /* 550 5.7.1 at the end of DATA (RFC 7489 6.6.4 reject) */
} MlMailauthDisposition;

/* What the checks concluded; borrowed for the callback's call. */
typedef struct {
  MlMailauthDisposition disposition;
  guint       code;           /* 0 (accept) or 550 */
  const char *enhanced;       /* "5.7.1" with REJECT, else NULL */
  const char *text;           /* the reply text with REJECT, else NULL */
  GBytes     *message;        /* the message with Authentication-Results
                                 prepended (RFC 8601 5) */
} MlMailauthVerdict;

typedef void (*MlMailauthDoneFunc) (const MlMailauthVerdict *verdict, gpointer user_data);

/* From a lesson host's keys: NULL (no error) when it has neither dkim nor
 * verify_mail. With dkim, the key is made from @seed and its record goes
 * into @zone unless the zone already has a TXT record at that name.
 * @resolver, @network and @host are borrowed. Transfer full. */
MlHostMailauth *ml_host_mailauth_new       (MlNetwork          *network,
                                            MlHost             *host,
                                            MlDnsResolver      *resolver,
                                            MlDnsZone          *zone,
                                            const MlLessonHost *lesson_host,
                                            guint32             seed,
                                            GError            **error);
/* Checks still running are dropped without calling back. */
void            ml_host_mailauth_free      (MlHostMailauth *self);
gboolean        ml_host_mailauth_signs     (MlHostMailauth *self);
gboolean        ml_host_mailauth_verifies  (MlHostMailauth *self);

/* The message with a DKIM-Signature on top (transfer full), noted as
 * mailauth.dkim.sign; @message itself (a new reference) when this host
 * does not sign or the message cannot be signed (noted why). */
GBytes         *ml_host_mailauth_sign      (MlHostMailauth *self,
                                            GBytes         *message,
                                            const char     *id);

/* Starts the checks for one message (all arguments copied; @mail_from
 * "" for the null reverse-path). @done runs later, from the scheduler,
 * once. The check belongs to @self; cancel it to drop it (then @done
 * never runs). */
MlMailauthCheck *ml_host_mailauth_verify   (MlHostMailauth    *self,
                                            const char        *client_ip,
                                            const char        *helo,
                                            const char        *mail_from,
                                            GBytes            *message,
                                            MlMailauthDoneFunc done,
                                            gpointer           user_data);
void             ml_mailauth_check_cancel  (MlMailauthCheck *check);

/* World setup: the lesson host's dkim, verify_mail and lists keys put on
 * @mail_host (ml_mail_host_set_mailauth). TRUE with nothing done when the
 * host has none of them; FALSE with @error ("FILE:LINE:COLUMN: …" from
 * @lesson_path and the host) when a key cannot work: dkim on a host that
 * is no MSA or has no domain to sign for, verify_mail without port 25, a
 * list on a host that does not serve its domain. */
struct _MlMailHost;
gboolean         ml_host_mailauth_attach   (struct _MlMailHost *mail_host,
                                            MlNetwork          *network,
                                            MlDnsResolver      *resolver,
                                            MlDnsZone          *zone,
                                            const char         *lesson_path,
                                            const MlLessonHost *lesson_host,
                                            guint32             seed,
                                            GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlHostMailauth, ml_host_mailauth_free)

G_END_DECLS

/* mail-host-private.h — what the parts of a mail host share: the bounce
 * composer (mail-host-bounce.c) and the queue's DSN bookkeeping, used by
 * mail-host.c. Only sim/world/mail-host*.c include it.
 */
#pragma once

#include "net/network.h"
#include "mail/mail-queue.h"
#include "proto/smtp-server.h"

G_BEGIN_DECLS

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

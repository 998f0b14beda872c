/* mail-queue.h — an MTA's queue: messages accepted and not yet delivered.
 *
 * Data only: what is queued, for whom, and when to try next. The delivery
 * agent that drains it (MX lookup, SMTP client) lives with the host
 * (sim/world/mail-host.c), so the queue is testable on its own.
 * The retry schedule follows Postfix's defaults: first retry after
 * minimal_backoff_time (300 s), doubling up to maximal_backoff_time
 * (4000 s), given up after maximal_queue_lifetime (5 days); RFC 5321 4.5.4.1
 * asks for at least 30 minutes between tries and 4–5 days in all, and
 * Postfix's shorter first retry is what students meet in practice.
 */
#pragma once

#include <glib.h>
#include "mail/dsn.h"

G_BEGIN_DECLS

#define ML_QUEUE_MIN_BACKOFF_US  (G_GUINT64_CONSTANT (300) * G_USEC_PER_SEC)
#define ML_QUEUE_MAX_BACKOFF_US  (G_GUINT64_CONSTANT (4000) * G_USEC_PER_SEC)
#define ML_QUEUE_LIFETIME_US     (G_GUINT64_CONSTANT (5) * 24 * 3600 * G_USEC_PER_SEC)

typedef enum {
  ML_RCPT_PENDING = 0,   /* not tried yet, or deferred: will be tried */
  ML_RCPT_DELIVERED,     /* a 2xx after the final dot */
  ML_RCPT_FAILED,        /* a 5xx, or the queue lifetime ran out */
} MlRcptStatus;

typedef struct {
  char        *address;
  MlRcptStatus status;
  guint        code;       /* last reply code for this recipient, 0 if none */
  char        *reply;      /* last reply text, or why it failed locally */
  /* What a DSN about this recipient says (RFC 3464 2.3), from the last
   * attempt: the host that answered, the reply as it came ("550 5.1.1
   * <bob@b.example>: …") and its status code ("5.1.1", RFC 3463). NULL
   * when no server answered (the failure is ours). */
  char        *remote_mta;
  char        *diagnostic;
  char        *dsn_status;
  /* RFC 3461 4.1, 4.2: what the RCPT that gave us this recipient asked. */
  MlDsnNotify  notify;
  char        *orcpt;      /* "rfc822;bob@b.example", or NULL */
  gboolean     reported;   /* its final fate was noted (and bounced) */
  gboolean     expired;    /* failed because the queue lifetime ran out */
} MlQueueRecipient;

typedef struct {
  char      *id;            /* "4A1F2C" style, unique per queue */
  char      *reverse_path;  /* "" for the null path <> */
  GPtrArray *recipients;    /* MlQueueRecipient* */
  GBytes    *data;          /* the message as accepted, CRLF lines */
  guint64    arrival_us;    /* virtual time */
  guint      attempts;
  guint64    next_attempt_us;
  gboolean   in_flight;     /* a delivery attempt is running */
  /* RFC 3461 4.3, 4.4: RET= and ENVID= (decoded) from the MAIL that gave
   * us the message, passed on to the next hop and into a bounce. */
  MlDsnRet   ret;
  char      *envid;
} MlQueueEntry;

typedef struct _MlMailQueue MlMailQueue;

MlMailQueue  *ml_mail_queue_new         (guint32 id_seed);
/* Postfix's maximal_queue_lifetime: how long after arrival a message is
 * given up (default ML_QUEUE_LIFETIME_US). */
void          ml_mail_queue_set_lifetime (MlMailQueue *self, guint64 lifetime_us);
void          ml_mail_queue_free        (MlMailQueue *self);
/* A fresh queue id; also used in Received: before the entry exists. */
char         *ml_mail_queue_dup_next_id (MlMailQueue *self);
MlQueueEntry *ml_mail_queue_add         (MlMailQueue *self, const char *id,
                                         const char *reverse_path,
                                         const char * const *recipients,
                                         GBytes *data, guint64 now_us);
GPtrArray    *ml_mail_queue_get_entries (MlMailQueue *self);  /* borrowed */
MlQueueEntry *ml_mail_queue_find        (MlMailQueue *self, const char *id);
guint         ml_mail_queue_count_pending_recipients (MlQueueEntry *entry);
/* After an attempt: schedules the next one if anything is still pending
 * and the lifetime allows, or fails what is left. Returns TRUE if another
 * attempt is due (at entry->next_attempt_us). */
gboolean      ml_mail_queue_defer       (MlMailQueue *self, MlQueueEntry *entry,
                                         guint64 now_us);
/* Removes the entry once nothing is pending (delivered or failed). */
void          ml_mail_queue_remove      (MlMailQueue *self, MlQueueEntry *entry);
void          ml_queue_recipient_set    (MlQueueRecipient *rcpt, MlRcptStatus status,
                                         guint code, const char *reply);
/* The server's words for a DSN (see MlQueueRecipient); each copied, NULL
 * clears. */
void          ml_queue_recipient_set_remote (MlQueueRecipient *rcpt, const char *remote_mta,
                                             const char *diagnostic, const char *status);
/* RFC 3461 parameters as received (@orcpt copied). */
void          ml_queue_recipient_set_dsn (MlQueueRecipient *rcpt, MlDsnNotify notify,
                                          const char *orcpt);
void          ml_queue_entry_set_dsn    (MlQueueEntry *entry, MlDsnRet ret, const char *envid);
/* The status code a DSN gives @rcpt's failure (RFC 3463): the server's
 * own enhanced code when it sent a 5.x.x; 5.4.7 "delivery time expired"
 * when the queue lifetime ran out on temporary failures (RFC 3463 4.4.7);
 * 5.0.0 otherwise (RFC 3463 3.1: the class says what is known). */
const char   *ml_queue_recipient_failure_status (const MlQueueRecipient *rcpt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlMailQueue, ml_mail_queue_free)

G_END_DECLS

/* dsn.h — delivery status notifications (RFC 3464), composed and read back.
 *
 * A DSN is a multipart/report; report-type=delivery-status (RFC 6522,
 * formerly RFC 3462) with three parts: a text for people, the
 * message/delivery-status fields for programs (RFC 3464 2), and the
 * returned message or only its header (RFC 3461 4.3 RET, 6.2). It goes
 * from the null reverse-path "<>" to the original envelope sender
 * (RFC 3461 6.1, RFC 5321 4.5.5), and never to "<>" itself: a bounce is
 * not bounced. No clock is read here: every date comes from the caller, so
 * a simulation composes the same bytes for the same seed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 3461 4.1 NOTIFY=NEVER | SUCCESS,FAILURE,DELAY, as flags. 0 means the
 * RCPT carried no NOTIFY; 4.1 lets that read as FAILURE,DELAY, as here. */
typedef enum {
  ML_DSN_NOTIFY_DEFAULT = 0,
  ML_DSN_NOTIFY_NEVER   = 1 << 0,
  ML_DSN_NOTIFY_SUCCESS = 1 << 1,
  ML_DSN_NOTIFY_FAILURE = 1 << 2,
  ML_DSN_NOTIFY_DELAY   = 1 << 3,
} MlDsnNotify;

/* RFC 3461 4.3 RET. Absent, 4.3 leaves the choice to the MTA: we return
 * the full message, as RET=FULL. */
typedef enum {
  ML_DSN_RET_DEFAULT = 0,
  ML_DSN_RET_FULL,
  ML_DSN_RET_HDRS,
} MlDsnRet;

/* RFC 3464 2.3.3 action-value. */
typedef enum {
  ML_DSN_ACTION_FAILED = 0,
  ML_DSN_ACTION_DELAYED,
  ML_DSN_ACTION_DELIVERED,
  ML_DSN_ACTION_RELAYED,
  ML_DSN_ACTION_EXPANDED,
} MlDsnAction;

/* Recipients in one report: RFC 3464 sets no bound; this one keeps
 * ml_dsn_parse() from building unbounded lists out of a hostile report. */
#define ML_DSN_MAX_RECIPIENTS   1000
/* RFC 3461 5.4 (a) and (c): ENVID up to 100 characters, ORCPT up to 500. */
#define ML_DSN_MAX_ENVID        100
#define ML_DSN_MAX_ORCPT        500
/* RFC 5322 2.1.1: a field line is at most 998 characters; an unfolded
 * DSN field (RFC 3464 2.1.1 allows folding) may be a few lines, not more. */
#define ML_DSN_MAX_FIELD        (4 * 998)

#define ML_DSN_ERROR (ml_dsn_error_quark ())
typedef enum {
  ML_DSN_ERROR_NULL_SENDER,   /* the original came from "<>" (RFC 3461 6.1) */
  ML_DSN_ERROR_NOT_REQUESTED, /* NOTIFY leaves no recipient to report */
  ML_DSN_ERROR_INVALID,       /* bad input, or not a delivery-status report */
} MlDsnError;

GQuark ml_dsn_error_quark (void);

/* One recipient's fate (RFC 3464 2.3). Strings borrowed from the caller. */
typedef struct {
  const char  *final_recipient;     /* addr-spec, written "rfc822;addr" (2.3.2) */
  const char  *original_recipient;  /* ORCPT decoded from xtext, with its
                                     * addr-type: "rfc822;a@b"; NULL if none (2.3.1) */
  MlDsnAction  action;
  const char  *status;              /* "5.1.1" (RFC 3463) */
  const char  *remote_mta;          /* host name, written "dns;host"; NULL if none (2.3.5) */
  const char  *diagnostic;          /* the SMTP reply, "550 5.1.1 ...", written
                                     * "smtp;..." (2.3.6); NULL if none */
  gint64       last_attempt;        /* Unix seconds, 0: field left out (2.3.7) */
  gint64       will_retry_until;    /* Unix seconds, 0: left out (2.3.9); delayed only */
  MlDsnNotify  notify;              /* what the RCPT asked for (RFC 3461 4.1) */
} MlDsnRecipient;

/* The whole report. Borrowed strings. */
typedef struct {
  const char           *reporting_mta;   /* host name (2.2.2); also From's domain */
  const char           *envelope_sender; /* the original MAIL FROM; "" for "<>" */
  const char           *envid;           /* ENVID decoded from xtext, or NULL (2.2.1) */
  MlDsnRet              ret;
  gint64                arrival_date;    /* Unix seconds (2.2.5); 0: left out */
  gint64                date;            /* the report's own Date: */
  const char           *message_id;      /* without brackets; the caller makes it
                                          * unique (deterministic, not random) */
  const MlDsnRecipient *recipients;
  gsize                 n_recipients;
} MlDsnSpec;

/* The DSN with CRLF lines, ready for DATA from "<>" to envelope_sender.
 * Recipients whose NOTIFY did not ask for their action are left out
 * (RFC 3461 4.1, 6.2; NEVER suppresses all); relayed/expanded are reported
 * under SUCCESS. Errors: NULL_SENDER, NOT_REQUESTED (nothing left), and
 * INVALID (no recipient, a missing field, a non-ASCII or CR/LF-bearing
 * value). @original: the message as received (transfer none); a failure
 * returns it whole unless RET=HDRS, other reports only its header
 * (RFC 3461 6.2). Transfer full. */
GBytes *ml_dsn_compose (const MlDsnSpec *spec,
                        GBytes          *original,
                        GError         **error);

/* What ml_dsn_parse() reads back: field values as written, unfolded,
 * type prefixes kept ("rfc822;bob@example.org"). NULL when absent. */
typedef struct {
  char *original_recipient;
  char *final_recipient;
  char *action;
  char *status;
  char *remote_mta;
  char *diagnostic_code;
  char *last_attempt_date;
  char *will_retry_until;
} MlDsnParsedRecipient;

typedef struct {
  char      *from;             /* From: as written */
  char      *to;               /* To: as written */
  char      *subject;          /* decoded */
  char      *report_type;      /* the multipart/report parameter */
  char      *human_text;       /* first part, decoded */
  char      *reporting_mta;
  char      *original_envelope_id;
  char      *arrival_date;
  GPtrArray *recipients;       /* MlDsnParsedRecipient*, owned */
  char      *returned_type;    /* "message/rfc822", "text/rfc822-headers", or NULL */
  GBytes    *returned;         /* the third part's body, or NULL */
} MlDsnReport;

/* Reads a DSN with GMime. NULL with ML_DSN_ERROR_INVALID when @data is not
 * a multipart/report with a message/delivery-status part, or the fields
 * break RFC 3464 2.1 (no Reporting-MTA, a recipient group without
 * Final-Recipient, Action or Status, over ML_DSN_MAX_RECIPIENTS).
 * Transfer full. */
MlDsnReport *ml_dsn_parse        (GBytes *data, GError **error);
void         ml_dsn_report_free  (MlDsnReport *report);

const char  *ml_dsn_action_to_string (MlDsnAction action);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDsnReport, ml_dsn_report_free)

G_END_DECLS

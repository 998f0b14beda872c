/* smtp-path.h — the argument of MAIL FROM: and RCPT TO: (RFC 5321 4.1.2).
 *
 * One parser for "<reverse-path> [SP Mail-parameters]" and
 * "<forward-path> [SP Rcpt-parameters]", used by the server engine and by the
 * capture dissector. It is exact rather than forgiving: every production of
 * RFC 5321 4.1.2 and 4.1.3 is checked, limits of 4.5.3.1 are enforced, and
 * nothing outside US-ASCII is accepted (no SMTPUTF8, RFC 6531, yet). Hostile
 * input yields a status, never a crash.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ML_SMTP_MAX_LOCAL_PART  64   /* octets, RFC 5321 4.5.3.1.1 */
#define ML_SMTP_MAX_DOMAIN      255  /* octets, RFC 5321 4.5.3.1.2 */
#define ML_SMTP_MAX_PATH        256  /* octets with "<" ">" and route, RFC 5321 4.5.3.1.3 */
#define ML_SMTP_MAX_LABEL       63   /* octets in one domain label, RFC 1035 2.3.4 */

typedef enum {
  ML_SMTP_PATH_REVERSE = 0,  /* MAIL FROM: — "<>" allowed (RFC 5321 4.5.5) */
  ML_SMTP_PATH_FORWARD,      /* RCPT TO: — "<Postmaster>" allowed (RFC 5321 4.1.1.3) */
} MlSmtpPathKind;

typedef enum {
  ML_SMTP_PATH_OK = 0,
  ML_SMTP_PATH_ERROR_SYNTAX,        /* the path itself is malformed */
  ML_SMTP_PATH_ERROR_TOO_LONG,      /* path, local part or domain over its limit */
  ML_SMTP_PATH_ERROR_PARAM_SYNTAX,  /* the esmtp-params after the path are malformed */
} MlSmtpPathStatus;

/* One esmtp-param (RFC 5321 4.1.2): keyword as sent, value or NULL when
 * there was no "=". */
typedef struct {
  char *keyword;
  char *value;
} MlSmtpParam;

typedef struct {
  MlSmtpPathKind kind;
  /* "local@domain" as sent, without source route; "" for the null path
   * "<>"; "Postmaster" for the bare "<Postmaster>" (case as sent). */
  char      *mailbox;
  char      *local_part;    /* as sent, quotes kept; NULL for "<>" */
  char      *domain;        /* domain or "[address-literal]"; NULL for "<>"
                               and the bare "<Postmaster>" */
  char      *source_route;  /* "@a,@b" when one was given: accepted and
                               ignored (RFC 5321 4.1.1.3, appendix C) */
  gboolean   is_null;       /* "<>" */
  gboolean   is_postmaster; /* local part is "postmaster", any case
                               (RFC 5321 4.5.1) */
  GPtrArray *params;        /* MlSmtpParam*, in order, owned */
} MlSmtpPath;

/* Parses @text, which starts at the "<" (what follows "FROM:" or "TO:").
 * Returns the path (transfer full) or NULL with *status_out telling why. */
MlSmtpPath  *ml_smtp_path_parse        (const char       *text,
                                        MlSmtpPathKind    kind,
                                        MlSmtpPathStatus *status_out);
void         ml_smtp_path_free         (MlSmtpPath *path);
/* Keywords compare case-insensitively (RFC 5321 2.4). TRUE if present;
 * *value_out (borrowed, may be NULL) gets its value. */
gboolean     ml_smtp_path_lookup_param (const MlSmtpPath *path,
                                        const char       *keyword,
                                        const char      **value_out);
const char  *ml_smtp_path_status_to_string (MlSmtpPathStatus status);

/* Grammar pieces the server also needs for EHLO/HELO (RFC 5321 4.1.1.1).
 * Both take a length so they can check part of a line. */
gboolean     ml_smtp_is_domain          (const char *text, gsize len);
gboolean     ml_smtp_is_address_literal (const char *text, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlSmtpPath, ml_smtp_path_free)

G_END_DECLS

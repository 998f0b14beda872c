/* smtp-dsn.h — the SMTP DSN extension's parameters (RFC 3461 4).
 *
 * MAIL takes RET=FULL|HDRS and ENVID=xtext, RCPT takes
 * NOTIFY=NEVER|SUCCESS,FAILURE,DELAY and ORCPT=addr-type;xtext. These
 * parse and check one value each, with the RFC's limits; the server engine
 * turns a refusal into 501 (RFC 3461 4.5, 5.2 a) and the client encodes
 * what it is asked to send.
 */
#pragma once

#include <glib.h>
#include "mail/dsn.h"

G_BEGIN_DECLS

/* RFC 3461 5.4: values a server must accept at least (ENVID 100, NOTIFY 28,
 * ORCPT 500, RET 8 characters); longer ones are refused. */
#define ML_SMTP_DSN_MAX_ENVID   100
#define ML_SMTP_DSN_MAX_NOTIFY  28
#define ML_SMTP_DSN_MAX_ORCPT   500
#define ML_SMTP_DSN_MAX_RET     8

/* RFC 3461 4: xtext to the octets it stands for. FALSE on a malformed
 * hexchar ("+" not followed by two upper-case hex digits), a character
 * outside "!".."~" or "=", or a decoded value that is not printable
 * US-ASCII (4.2, 4.4 require that). *out (caller frees) on success. */
gboolean  ml_smtp_xtext_decode (const char *xtext, char **out);
/* The reverse: "+", "=" and everything outside "!".."~" as "+XX".
 * Caller frees. */
char     *ml_smtp_xtext_encode (const char *text);

/* RFC 3461 4.1: "NEVER" alone, or any of SUCCESS, FAILURE, DELAY
 * separated by commas, any case, each once. */
gboolean  ml_smtp_dsn_parse_notify (const char *value, MlDsnNotify *out);
/* "NEVER" or "SUCCESS,FAILURE,DELAY" subsets. Caller frees. */
char     *ml_smtp_dsn_notify_to_string (MlDsnNotify notify);
/* RFC 3461 4.3: FULL or HDRS, any case. */
gboolean  ml_smtp_dsn_parse_ret    (const char *value, MlDsnRet *out);
/* RFC 3461 4.4: xtext, decoded (caller frees). */
gboolean  ml_smtp_dsn_parse_envid  (const char *value, char **out);
/* RFC 3461 4.2: addr-type ";" xtext, decoded as "rfc822;bob@b.example"
 * (caller frees): the form Original-Recipient takes (RFC 3464 2.3.1). */
gboolean  ml_smtp_dsn_parse_orcpt  (const char *value, char **out);

/* For the client: " RET=HDRS ENVID=xtext" and " NOTIFY=… ORCPT=rfc822;xtext"
 * ("" when there is nothing to ask). @orcpt "addr-type;address" or a bare
 * address (taken as rfc822), not yet xtext. Caller frees. */
char     *ml_smtp_dsn_mail_params  (MlDsnRet ret, const char *envid);
char     *ml_smtp_dsn_rcpt_params  (MlDsnNotify notify, const char *orcpt);

G_END_DECLS

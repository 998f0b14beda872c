/* auth-results.h — the Authentication-Results header field, RFC 8601:
 * the receiving MTA's record of what SPF, DKIM and DMARC concluded, for
 * the mail program downstream.
 */
#pragma once

#include <glib.h>
#include "mailauth/spf.h"
#include "mailauth/dkim.h"
#include "mailauth/dmarc.h"

G_BEGIN_DECLS

/* RFC 8601 2.7 gives no count; ours, one per verdict (a few signatures
 * plus SPF and DMARC), and the longest comment (a reason) we copy. */
#define ML_AUTH_RESULTS_MAX_RESULTS  16
#define ML_AUTH_RESULTS_MAX_COMMENT  200

typedef struct _MlAuthResults MlAuthResults;

/* @authserv_id: the receiving host's name (RFC 8601 2.5). Transfer full. */
MlAuthResults *ml_auth_results_new       (const char *authserv_id);
void           ml_auth_results_free      (MlAuthResults *self);
/* spf=<result> smtp.mailfrom=<@mailfrom> (2.7.2); with the null
 * reverse-path ("" or NULL) smtp.helo=<@helo> instead. */
void           ml_auth_results_add_spf   (MlAuthResults *self,
                                          MlSpfResult    result,
                                          const char    *mailfrom,
                                          const char    *helo);
/* dkim=<result> (<@reason>) header.d=<@domain> header.s=<@selector>
 * (2.7.1); @reason is left out for pass, and may be NULL. */
void           ml_auth_results_add_dkim  (MlAuthResults *self,
                                          MlDkimResult   result,
                                          const char    *reason,
                                          const char    *domain,
                                          const char    *selector);
/* Every signature of a finished verification; "dkim=none" without any. */
void           ml_auth_results_add_dkim_verify (MlAuthResults *self,
                                                MlDkimVerify  *verify);
/* dmarc=<result> (p=<policy>) header.from=<domain> (RFC 7489 11.2). */
void           ml_auth_results_add_dmarc (MlAuthResults *self,
                                          MlDmarcCheck  *check);
/* "Authentication-Results: <id>;\r\n\t<result>;\r\n\t…\r\n", or
 * "Authentication-Results: <id>; none\r\n" when nothing was added
 * (2.2). Transfer full. */
char          *ml_auth_results_to_string (MlAuthResults *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlAuthResults, ml_auth_results_free)

G_END_DECLS

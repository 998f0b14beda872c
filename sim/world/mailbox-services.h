/* mailbox-services.h — POP3 and IMAP on an MDA, over its mail store.
 *
 * The same store the MDA delivers into, so a POP3 deletion, an IMAP flag
 * and a new delivery are one mailbox seen three ways.
 */
#pragma once

#include "net/network.h"
#include "mail/mail-store.h"
#include "world/host-security.h"

G_BEGIN_DECLS

#define ML_PORT_POP3  110  /* RFC 1939 */
#define ML_PORT_IMAP  143  /* RFC 3501 */

/* Listens on 110 and 143 of @host for @store (borrowed; must outlive the
 * network's listeners). FALSE with @error if a port is taken. */
gboolean ml_mailbox_services_start (MlNetwork   *network,
                                    MlHost      *host,
                                    MlMailStore *store,
                                    GError     **error);
/* The same with the host's TLS and login policy (@security copied): STLS
 * and STARTTLS offered, 995 and 993 with implicit TLS (RFC 8314 3.1,
 * 3.2), the SASL mechanisms, plaintext logins only where allowed.
 * @nonce_seed seeds SCRAM's server nonces (the run's RNG). */
gboolean ml_mailbox_services_start_secure (MlNetwork            *network,
                                           MlHost               *host,
                                           MlMailStore          *store,
                                           const MlHostSecurity *security,
                                           guint64               nonce_seed,
                                           GError              **error);

G_END_DECLS

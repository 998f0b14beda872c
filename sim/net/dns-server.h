/* dns-server.h — the lab's authoritative DNS server, on UDP port 53.
 *
 * Answers from an MlDnsZone with AA set (RFC 1035 4.1.1), NXDOMAIN for
 * names the zone does not hold, FORMERR for a query it cannot parse and
 * NOTIMP for opcodes other than QUERY. MX answers carry the exchanges'
 * addresses in the additional section (RFC 1035 3.3.9), so a mail server
 * needs one round trip, not two. Responses are cut to 512 octets with TC
 * set (RFC 1035 4.2.1); the lab has no DNS over TCP to fall back to, and
 * its zones are small enough that this does not happen in a lesson.
 *
 * Frames are summarised as Wireshark does ("Standard query 0x1a2b MX
 * b.example"), with explain keys "dns.query" and "dns.response".
 */
#pragma once

#include "net/network.h"
#include "net/dns-wire.h"
#include "net/dns-zone.h"

G_BEGIN_DECLS

typedef struct _MlDnsServer MlDnsServer;

/* Binds UDP 53 on @host. @zone is borrowed and must outlive the server
 * (it may change in between: every query reads it afresh). NULL if port
 * 53 of @host is taken. */
MlDnsServer  *ml_dns_server_new            (MlHost *host, MlDnsZone *zone);
/* Unbinds the port. Free servers before the network that owns @host. */
void          ml_dns_server_free           (MlDnsServer *self);
/* Queries answered so far (FORMERR and NOTIMP included). */
guint         ml_dns_server_get_query_count (MlDnsServer *self);

/* The sans-I/O core: the response to the datagram @query, or NULL when
 * none is due (shorter than a header, or itself a response: answering
 * those could start two servers answering each other forever). Transfer
 * full; encode it with ML_DNS_MAX_UDP_MESSAGE. */
MlDnsMessage *ml_dns_server_build_response (MlDnsZone *zone, const guint8 *query, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDnsServer, ml_dns_server_free)

G_END_DECLS

/* dns-resolver.h — a stub resolver over the simulated UDP.
 *
 * Asks one server (the lab's authoritative one) with RD set, as a stub
 * resolver asks its recursive server. The query ID comes from the
 * scheduler's GRand, so a run is repeatable. A response is taken only
 * from the server's address and port 53, with the query's ID and question
 * (RFC 5452 3); anything else is ignored and the wait goes on.
 *
 * Retries: ML_DNS_RESOLVER_TRIES queries, ML_DNS_RESOLVER_TIMEOUT_US
 * apart, the same ID and port each time. glibc's stub waits 5 s and tries
 * twice per server (resolv.conf "timeout:5 attempts:2"), and RFC 1035
 * 4.2.1 suggests 2-5 s between retransmissions on the real Internet. The
 * lab's links answer in milliseconds, so 1 s is still hundreds of round
 * trips, and three tries show a lost query being recovered without
 * stretching a lesson's timeline by many virtual seconds.
 *
 * Every finished lookup appends an ML_TRACE_DNS event (host = the
 * resolver's host, text "MX b.example", detail "10 mx.b.example, 20
 * mx2.b.example" / "NXDOMAIN" / "timeout", explain key "dns.mx", "dns.a",
 * "dns.txt", "dns.nodata", "dns.nxdomain", "dns.timeout" or "dns.error")
 * before the callback runs.
 */
#pragma once

#include "net/network.h"
#include "net/dns-wire.h"

G_BEGIN_DECLS

#define ML_DNS_RESOLVER_TIMEOUT_US (1 * G_USEC_PER_SEC)
#define ML_DNS_RESOLVER_TRIES      3

typedef struct _MlDnsResolver MlDnsResolver;

/* What a lookup found; everything is borrowed for the callback's call. */
typedef struct {
  const char *name;          /* as asked */
  MlDnsType   type;
  /* The server's RCODE; ML_DNS_RCODE_TIMEOUT when no try was answered,
   * ML_DNS_RCODE_FORMERR without a query sent when @name is no valid
   * name, ML_DNS_RCODE_SERVFAIL when no UDP port was free. */
  MlDnsRcode  rcode;
  gboolean    truncated;     /* TC: the server had more than fit in 512 octets */
  guint       tries;         /* queries sent */
  GPtrArray  *answers;       /* MlDnsRecord*, never NULL */
  GPtrArray  *authority;     /* MlDnsRecord*, never NULL */
  GPtrArray  *additional;    /* MlDnsRecord*, never NULL: the MX's addresses */
} MlDnsResult;

typedef void (*MlDnsLookupFunc) (MlDnsResolver     *resolver,
                                 const MlDnsResult *result,
                                 gpointer           user_data);

/* @server_ip in host byte order. @host is borrowed: free the resolver
 * before the network. */
MlDnsResolver *ml_dns_resolver_new    (MlHost *host, guint32 server_ip);
/* Lookups still running are dropped without calling their callbacks. */
void           ml_dns_resolver_free   (MlDnsResolver *self);
/* Starts a lookup; @callback always runs later, from the scheduler, never
 * from inside this call. The resolver may be freed from a callback. */
void           ml_dns_resolver_lookup (MlDnsResolver  *self,
                                       const char     *name,
                                       MlDnsType       type,
                                       MlDnsLookupFunc callback,
                                       gpointer        user_data);
guint          ml_dns_resolver_get_pending (MlDnsResolver *self);

/* The address of the first A record among the answers. */
gboolean       ml_dns_result_first_a  (const MlDnsResult *result, guint32 *address_out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDnsResolver, ml_dns_resolver_free)

G_END_DECLS

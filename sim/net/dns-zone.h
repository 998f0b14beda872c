/* dns-zone.h — the records a lesson's authoritative DNS serves.
 *
 * One flat set of records for every domain of the lesson (a.example,
 * b.example, …): the lab has one authoritative server, not a delegation
 * tree. Names match without regard to ASCII case (RFC 4343) and with or
 * without a trailing dot; records keep the case they were added in.
 */
#pragma once

#include "net/dns-wire.h"

G_BEGIN_DECLS

typedef struct _MlDnsZone MlDnsZone;

/* What a lookup found (RFC 1034 4.3.2 step 3; RFC 2308 names the cases). */
typedef enum {
  ML_DNS_ZONE_FOUND = 0,   /* records of the type asked */
  ML_DNS_ZONE_NODATA,      /* the name exists, with other types only */
  ML_DNS_ZONE_NXDOMAIN,    /* no such name, nor anything below it */
} MlDnsZoneResult;

#define ML_DNS_ZONE_ERROR (ml_dns_zone_error_quark ())
typedef enum {
  ML_DNS_ZONE_ERROR_INVALID,   /* a bad name, type or value */
} MlDnsZoneError;
GQuark ml_dns_zone_error_quark (void);

MlDnsZone       *ml_dns_zone_new     (void);
void             ml_dns_zone_free    (MlDnsZone *self);

/* Copies @record. A record equal to one already there is not added twice
 * (RFC 2181 5: an RRset holds no duplicates); that is no error. */
gboolean         ml_dns_zone_add     (MlDnsZone *self, const MlDnsRecord *record,
                                      GError **error);
gboolean         ml_dns_zone_add_a   (MlDnsZone *self, const char *name, guint32 ttl,
                                      guint32 address, GError **error);
gboolean         ml_dns_zone_add_mx  (MlDnsZone *self, const char *name, guint32 ttl,
                                      guint16 preference, const char *exchange,
                                      GError **error);
gboolean         ml_dns_zone_add_txt (MlDnsZone *self, const char *name, guint32 ttl,
                                      const char *text, GError **error);
/* As a lesson file says it: @type "A", "MX" or "TXT" (any case); @value a
 * dotted quad, an exchange name, or the text. @preference is for MX only. */
gboolean         ml_dns_zone_add_text (MlDnsZone *self, const char *name, const char *type,
                                       guint32 ttl, guint16 preference, const char *value,
                                       GError **error);

/* @records_out (optional): the records found, borrowed from the zone and
 * valid until it changes (transfer container). ML_DNS_TYPE_ANY asks for
 * every type. Empty unless FOUND. */
MlDnsZoneResult  ml_dns_zone_lookup  (MlDnsZone *self, const char *name, MlDnsType type,
                                      GPtrArray **records_out);
gboolean         ml_dns_zone_has     (MlDnsZone *self, const char *name, MlDnsType type);
/* Removes every record of @type at @name (a lesson's DNS fault: an MX
 * taken away). The name keeps existing, so a query for it is NODATA, not
 * NXDOMAIN (RFC 8020 2). Returns how many records went. */
guint            ml_dns_zone_remove  (MlDnsZone *self, const char *name, MlDnsType type);
guint            ml_dns_zone_get_size (MlDnsZone *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDnsZone, ml_dns_zone_free)

G_END_DECLS

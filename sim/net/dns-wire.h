/* dns-wire.h — DNS messages on the wire (RFC 1035 4), both ways.
 *
 * Names are in presentation form (RFC 1035 5.1): labels joined by ".",
 * no trailing dot needed, "." or "" for the root; a "." or "\" inside a
 * label is escaped as "\." or "\\", any other octet that is not printable
 * ASCII as "\DDD". Case is kept as it was on the wire; compare names with
 * ml_dns_name_equal (case-insensitive, RFC 4343).
 *
 * Decoding never trusts its input: a truncated message, a count larger
 * than the packet, a compression pointer that does not point back, an
 * over-long name, or RDATA that does not match its type is a GError,
 * never a read past the end.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ML_DNS_PORT              53     /* RFC 1035 4.2.1 */
#define ML_DNS_HEADER_LEN        12     /* RFC 1035 4.1.1 */
#define ML_DNS_MAX_UDP_MESSAGE   512    /* RFC 1035 2.3.4, 4.2.1 */
#define ML_DNS_MAX_MESSAGE       65535  /* RFC 1035 4.2.2: TCP length is 16 bits */
#define ML_DNS_MAX_NAME          255    /* RFC 1035 2.3.4: octets on the wire */
#define ML_DNS_MAX_LABEL         63     /* RFC 1035 2.3.4 */
#define ML_DNS_MAX_CHARACTER_STRING 255 /* RFC 1035 3.3: one length octet */
#define ML_DNS_MAX_RDATA         65535  /* RFC 1035 3.2.1: RDLENGTH is 16 bits */
/* A name ends in at most one pointer (RFC 1035 4.1.4), but the name it
 * points to may end in another; a chain can never be longer than a name
 * has labels (127 in 255 octets), so more hops than that is an attack. */
#define ML_DNS_MAX_POINTER_HOPS  127
#define ML_DNS_CLASS_IN          1      /* RFC 1035 3.2.4 */

/* RFC 1035 3.2.2 / 3.2.3; AAAA from RFC 3596. */
typedef enum {
  ML_DNS_TYPE_A     = 1,
  ML_DNS_TYPE_NS    = 2,
  ML_DNS_TYPE_CNAME = 5,
  ML_DNS_TYPE_SOA   = 6,
  ML_DNS_TYPE_PTR   = 12,
  ML_DNS_TYPE_MX    = 15,
  ML_DNS_TYPE_TXT   = 16,
  ML_DNS_TYPE_AAAA  = 28,
  ML_DNS_TYPE_ANY   = 255,
} MlDnsType;

/* RFC 1035 4.1.1 RCODE, plus local outcomes (>= 0x100, never on the wire)
 * so a lookup's result is one value. */
typedef enum {
  ML_DNS_RCODE_NOERROR  = 0,
  ML_DNS_RCODE_FORMERR  = 1,
  ML_DNS_RCODE_SERVFAIL = 2,
  ML_DNS_RCODE_NXDOMAIN = 3,
  ML_DNS_RCODE_NOTIMP   = 4,
  ML_DNS_RCODE_REFUSED  = 5,
  ML_DNS_RCODE_TIMEOUT  = 0x100,  /* no answer after every try */
} MlDnsRcode;

#define ML_DNS_OPCODE_QUERY 0   /* RFC 1035 4.1.1 */

#define ML_DNS_WIRE_ERROR (ml_dns_wire_error_quark ())
typedef enum {
  ML_DNS_WIRE_ERROR_TRUNCATED,   /* the message ends inside a field */
  ML_DNS_WIRE_ERROR_BAD_COUNT,   /* a section count promises more than the message holds */
  ML_DNS_WIRE_ERROR_BAD_NAME,    /* label > 63, name > 255, empty label, reserved label type */
  ML_DNS_WIRE_ERROR_BAD_POINTER, /* a compression pointer not to an earlier name, or too many */
  ML_DNS_WIRE_ERROR_BAD_RDATA,   /* RDATA that does not fit its type */
  ML_DNS_WIRE_ERROR_TOO_BIG,     /* encoding: even the question does not fit */
} MlDnsWireError;
GQuark ml_dns_wire_error_quark (void);

/* One resource record (RFC 1035 4.1.3). */
typedef struct {
  char     *name;
  MlDnsType type;
  guint16   rclass;       /* ML_DNS_CLASS_IN */
  guint32   ttl;
  guint16   preference;   /* MX */
  guint32   address;      /* A, host byte order */
  /* The RDATA as text: A "192.0.2.25", MX the exchange, CNAME/NS/PTR the
   * target, TXT its character-strings joined (RFC 7208 3.3 reads them so;
   * cut at a NUL octet, if any). NULL for other types. */
  char     *value;
  GBytes   *rdata;        /* other types: the RDATA as received; else NULL */
} MlDnsRecord;

MlDnsRecord *ml_dns_record_new_a   (const char *name, guint32 ttl, guint32 address);
MlDnsRecord *ml_dns_record_new_mx  (const char *name, guint32 ttl, guint16 preference,
                                    const char *exchange);
MlDnsRecord *ml_dns_record_new_txt (const char *name, guint32 ttl, const char *text);
/* A record of another type with raw RDATA (@rdata: a reference is taken). */
MlDnsRecord *ml_dns_record_new_raw (const char *name, MlDnsType type, guint32 ttl,
                                    GBytes *rdata);
MlDnsRecord *ml_dns_record_copy    (const MlDnsRecord *record);
void         ml_dns_record_free    (MlDnsRecord *record);
/* The RDATA as a person reads it: "10 mx.b.example", "192.0.2.25",
 * "\"v=spf1 -all\"". Caller frees. */
char        *ml_dns_record_dup_rdata_string (const MlDnsRecord *record);
/* Same type, name (ignoring case) and RDATA; TTL not compared. */
gboolean     ml_dns_record_equal   (const MlDnsRecord *a, const MlDnsRecord *b);

typedef struct {
  char     *name;
  MlDnsType type;
  guint16   qclass;
} MlDnsQuestion;

typedef struct {
  guint16    id;
  gboolean   response;             /* QR */
  guint8     opcode;
  gboolean   authoritative;        /* AA */
  gboolean   truncated;            /* TC */
  gboolean   recursion_desired;    /* RD */
  gboolean   recursion_available;  /* RA */
  MlDnsRcode rcode;                /* 4 bits on the wire */
  GPtrArray *questions;            /* MlDnsQuestion*, owned */
  GPtrArray *answers;              /* MlDnsRecord*, owned */
  GPtrArray *authority;
  GPtrArray *additional;
} MlDnsMessage;

MlDnsMessage *ml_dns_message_new          (void);
void          ml_dns_message_free         (MlDnsMessage *self);
void          ml_dns_message_add_question (MlDnsMessage *self, const char *name, MlDnsType type);
/* The first question, or NULL. Borrowed. */
const MlDnsQuestion *ml_dns_message_get_question (const MlDnsMessage *self);

/* Encodes with name compression (RFC 1035 4.1.4) into at most @max_size
 * octets (ML_DNS_MAX_UDP_MESSAGE for UDP). A record of the answer or
 * authority section that does not fit sets TC and ends the message there
 * (RFC 1035 4.2.1); additional records that do not fit are left out
 * without TC (RFC 2181 9: they are optional). The header counts say what
 * was written. Transfer full. */
GBytes       *ml_dns_message_encode       (const MlDnsMessage *self, gsize max_size,
                                           GError **error);
MlDnsMessage *ml_dns_message_decode       (const guint8 *data, gsize len, GError **error);
/* Wireshark's Info column: "Standard query 0x1a2b MX b.example",
 * "Standard query response 0x1a2b MX b.example MX 10 mx.b.example
 * A 192.0.2.25" (records of every section, as tshark prints them),
 * "Standard query response 0x1a2b No such name MX nowhere.example".
 * Caller frees. */
char         *ml_dns_message_summarize    (const MlDnsMessage *self);

/* "MX"; "TYPE99" style (RFC 3597 5) for others. Caller frees. */
char         *ml_dns_type_dup_string      (MlDnsType type);
/* Known names only ("A", "MX", case-insensitive). */
gboolean      ml_dns_type_from_string     (const char *text, MlDnsType *type_out);
/* "NOERROR", "NXDOMAIN", …, "TIMEOUT". Static. */
const char   *ml_dns_rcode_to_string      (MlDnsRcode rcode);

/* Checks a presentation-form name: labels 1..63 octets, at most 255 on the
 * wire, escapes well formed. */
gboolean      ml_dns_name_validate        (const char *name, GError **error);
/* Equal ignoring ASCII case and a trailing dot (RFC 4343 3). */
gboolean      ml_dns_name_equal           (const char *a, const char *b);
/* Lower-case form without the trailing dot, for use as a key. Caller frees. */
char         *ml_dns_name_dup_key         (const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDnsRecord, ml_dns_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDnsMessage, ml_dns_message_free)

G_END_DECLS

/* spf.h — Sender Policy Framework, RFC 7208: check_host() without I/O.
 *
 * SPF needs DNS answers in the middle of its evaluation (a TXT record,
 * then perhaps an include's TXT, MX, A, PTR…), and in the lab every DNS
 * query is a real UDP exchange on the simulated wire that a student should
 * see. So the check does no lookups itself: ml_spf_check_run() evaluates
 * as far as the answers it was given allow, and when it needs one more it
 * stops and names the query. The owner asks the DNS, hands the answer in
 * with ml_spf_check_add_answer() and runs again. Each run starts from the
 * top with the answers so far, so the evaluation code reads like the RFC's
 * recursive check_host() and stays deterministic; a check needs at most a
 * few dozen answers (the 4.6.4 limits), so re-running costs nothing.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 7208 4.6.4: at most 10 terms that cause DNS queries per evaluation,
 * 10 address lookups per MX or PTR name set, and (SHOULD) 2 void lookups. */
#define ML_SPF_MAX_DNS_TERMS      10
#define ML_SPF_MAX_NAME_LOOKUPS   10
#define ML_SPF_MAX_VOID_LOOKUPS   2
/* RFC 7208 3.4: a record that does not fit a 512-octet DNS answer should
 * be avoided; TXT strings join up to 65535 octets in DNS. Our bound on one
 * record's text, and on a macro expansion (4.8 / 7.3: a domain name is at
 * most 253 octets; an exp= explanation is text for humans). */
#define ML_SPF_MAX_RECORD         4096
#define ML_SPF_MAX_EXPANSION      4096
/* RFC 7208 4.6.4 asks for a limit on nesting through include/redirect;
 * the 10-term limit already bounds it, this guards the recursion itself. */
#define ML_SPF_MAX_DEPTH          11

typedef enum {
  ML_SPF_NONE = 0,   /* 2.6.1: no SPF record, or no domain to check */
  ML_SPF_NEUTRAL,    /* 2.6.2: the domain asserts nothing about this host */
  ML_SPF_PASS,       /* 2.6.3 */
  ML_SPF_FAIL,       /* 2.6.4 */
  ML_SPF_SOFTFAIL,   /* 2.6.5 */
  ML_SPF_TEMPERROR,  /* 2.6.6: a DNS error, try later */
  ML_SPF_PERMERROR,  /* 2.6.7: the published record cannot be interpreted */
} MlSpfResult;

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror":
 * the words of RFC 7208 8 and of Received-SPF / Authentication-Results. */
const char *ml_spf_result_to_string (MlSpfResult result);

/* The record types SPF asks for. */
typedef enum {
  ML_SPF_RR_TXT = 0,
  ML_SPF_RR_A,
  ML_SPF_RR_AAAA,
  ML_SPF_RR_MX,    /* answer values: exchange names, in preference order */
  ML_SPF_RR_PTR,
} MlSpfRrType;

const char *ml_spf_rr_type_to_string (MlSpfRrType type);

typedef enum {
  ML_SPF_DNS_OK = 0,    /* an answer, possibly empty (NODATA) */
  ML_SPF_DNS_NXDOMAIN,  /* RCODE 3 */
  ML_SPF_DNS_ERROR,     /* timeout, SERVFAIL…: temperror (RFC 7208 2.6.6) */
} MlSpfDnsStatus;

typedef struct _MlSpfCheck MlSpfCheck;

/* check_host(<ip>, <domain>, <sender>) of RFC 7208 4: @ip is the SMTP
 * client's address as text (IPv4 or IPv6); @sender the MAIL FROM mailbox,
 * or "" for the null reverse-path, in which case "postmaster@" + @helo is
 * checked (2.4); @helo the EHLO/HELO name; @receiver the checking host's
 * own name (the %{r} macro). NULL when @ip is not an address. */
MlSpfCheck  *ml_spf_check_new          (const char *ip,
                                        const char *sender,
                                        const char *helo,
                                        const char *receiver);
void         ml_spf_check_free         (MlSpfCheck *self);
/* The clock for the %{t} macro (seconds since the epoch). Default 0. */
void         ml_spf_check_set_now      (MlSpfCheck *self, gint64 unix_seconds);

/* Evaluates with the answers given so far. TRUE when the result is known;
 * FALSE when an answer is missing: *@name_out (borrowed, valid until the
 * next call) and *@type_out say which. */
gboolean     ml_spf_check_run          (MlSpfCheck   *self,
                                        const char  **name_out,
                                        MlSpfRrType  *type_out);
/* @values: TXT texts (a record's strings already joined, RFC 7208 3.3),
 * addresses as text, MX exchanges or PTR names; NULL or empty for none. */
void         ml_spf_check_add_answer   (MlSpfCheck         *self,
                                        const char         *name,
                                        MlSpfRrType         type,
                                        MlSpfDnsStatus      status,
                                        const char * const *values);

/* After run() returned TRUE. */
MlSpfResult  ml_spf_check_get_result   (MlSpfCheck *self);
/* Why, for a student: "ip4:192.0.2.0/24 in a.example matched: pass",
 * "no SPF record at b.example", "more than 10 DNS-querying terms". */
const char  *ml_spf_check_get_reason   (MlSpfCheck *self);
/* The domain whose record decided (after redirects), or the one checked. */
const char  *ml_spf_check_get_domain   (MlSpfCheck *self);
/* For fail: the domain's exp= text with macros expanded, or NULL. */
const char  *ml_spf_check_get_explanation (MlSpfCheck *self);
/* DNS-querying terms and void lookups counted by the last run. */
guint        ml_spf_check_get_dns_terms (MlSpfCheck *self);

/* ---- the record itself (spf-record.c), for tests, fuzzing and notes ---- */

/* Checks @record's syntax (RFC 7208 12, the ABNF) without evaluating it.
 * NULL with a message saying what is wrong and where. */
gboolean     ml_spf_record_validate    (const char *record, GError **error);

#define ML_SPF_ERROR (ml_spf_error_quark ())
typedef enum {
  ML_SPF_ERROR_SYNTAX,
} MlSpfError;
GQuark ml_spf_error_quark (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlSpfCheck, ml_spf_check_free)

G_END_DECLS

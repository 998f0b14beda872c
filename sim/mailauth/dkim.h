/* dkim.h — DomainKeys Identified Mail, RFC 6376 (with RFC 8463's
 * ed25519-sha256 and RFC 8301's key-size rules), without I/O.
 *
 * Signing needs no DNS and is a single call. Verifying needs each
 * signature's public key from a TXT record at <s>._domainkey.<d>, and in
 * the lab every DNS query is a real exchange on the simulated wire; so,
 * like spf.h, ml_dkim_verify_run() checks as far as the answers given
 * allow, names the TXT query it still needs and returns FALSE; the owner
 * asks the DNS, hands the answer in with ml_dkim_verify_add_answer() and
 * runs again. Every run restarts from the answers, so it is deterministic.
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

/* RFC 6376 3.2 sets no size for a tag-list; a header field is bounded by
 * the message (RFC 5322 2.1.1 lines of 998 octets, folded). Our bounds on
 * one tag-list, its number of tags, the h= list (3.5), the signatures we
 * check in one message (6.1: a verifier MAY limit them) and a key record
 * (3.6.2.2: TXT strings are concatenated, a DNS answer is small). */
#define ML_DKIM_MAX_TAG_LIST      8192
#define ML_DKIM_MAX_TAGS          32
#define ML_DKIM_MAX_SIGNED_FIELDS 64
#define ML_DKIM_MAX_SIGNATURES    8
#define ML_DKIM_MAX_KEY_RECORD    4096
/* RFC 8301 3.2: verifiers MUST NOT accept RSA keys under 1024 bits;
 * signers MUST use at least 1024 and SHOULD use 2048. */
#define ML_DKIM_MIN_RSA_BITS      1024
#define ML_DKIM_SIGN_RSA_BITS     2048

typedef enum {
  ML_DKIM_RSA_SHA256 = 0,   /* RFC 6376 3.3.1 */
  ML_DKIM_ED25519_SHA256,   /* RFC 8463 3 */
} MlDkimAlgorithm;

typedef enum {
  ML_DKIM_CANON_SIMPLE = 0, /* RFC 6376 3.4.1 / 3.4.3 */
  ML_DKIM_CANON_RELAXED,    /* RFC 6376 3.4.2 / 3.4.4 */
} MlDkimCanon;

/* The words of RFC 8601 2.7.1 for dkim= (policy is not produced here). */
typedef enum {
  ML_DKIM_NONE = 0,
  ML_DKIM_PASS,
  ML_DKIM_FAIL,
  ML_DKIM_POLICY,
  ML_DKIM_NEUTRAL,
  ML_DKIM_TEMPERROR,
  ML_DKIM_PERMERROR,
} MlDkimResult;

const char *ml_dkim_result_to_string    (MlDkimResult result);
const char *ml_dkim_algorithm_to_string (MlDkimAlgorithm alg);   /* "rsa-sha256" */
const char *ml_dkim_canon_to_string     (MlDkimCanon canon);     /* "relaxed" */

/* ---- signing (dkim-sign.c) ---- */

typedef struct {
  const char   *domain;      /* d= */
  const char   *selector;    /* s= */
  MlDkimCanon   header_canon;
  MlDkimCanon   body_canon;
  /* Field names to sign, NULL-terminated; NULL for the default
   * (ml_dkim_default_signed_fields). Must include From (RFC 6376 5.4). */
  const char * const *fields;
  gint64        timestamp;   /* t=, from the owner's clock; < 0: no t= */
} MlDkimSignOptions;

/* From, To, Cc, Subject, Date, Message-ID, Reply-To, In-Reply-To,
 * References, MIME-Version, Content-Type, Content-Transfer-Encoding
 * (RFC 6376 5.4.1's recommendations). Borrowed, static. */
const char * const *ml_dkim_default_signed_fields (void);

/* Signs @message (@len octets, CRLF line ends) with @key (RSA or Ed25519;
 * the algorithm follows the key). Returns the whole header field,
 * "DKIM-Signature: v=1; …" folded at about 76 columns, ending in CRLF,
 * ready to prepend to the message (transfer full); NULL with @error when
 * the key type is unusable, From is missing from the fields to sign or
 * the message has no From field. */
char        *ml_dkim_sign (const char              *message,
                           gsize                    len,
                           const MlDkimSignOptions *options,
                           EVP_PKEY                *key,
                           GError                 **error);

/* Key generation for the simulation, deterministic so that a lesson
 * replays identically: everything derives from SHA-256 of @seed, @domain
 * and @selector. Ed25519: that hash is the 32-octet private key (RFC 8032
 * 5.1.5). RSA (ML_DKIM_SIGN_RSA_BITS): the primes are the first ones at
 * or above hash-derived numbers, e = 65537. Such keys are for the lab
 * only: anyone who knows the seed knows the key. Transfer full; NULL on
 * failure. */
EVP_PKEY    *ml_dkim_key_generate   (MlDkimAlgorithm alg,
                                     guint64         seed,
                                     const char     *domain,
                                     const char     *selector);
/* The TXT record text to publish at <selector>._domainkey.<domain>:
 * "v=DKIM1; k=ed25519; p=…" (RFC 6376 3.6.1; RFC 8463 4). Transfer full. */
char        *ml_dkim_key_txt_record (EVP_PKEY *key);

/* ---- verifying (dkim-verify.c) ---- */

typedef enum {
  ML_DKIM_DNS_OK = 0,    /* an answer, possibly empty (NODATA) */
  ML_DKIM_DNS_NXDOMAIN,  /* RCODE 3 */
  ML_DKIM_DNS_ERROR,     /* timeout, SERVFAIL: temperror (RFC 6376 6.1.2) */
} MlDkimDnsStatus;

typedef struct _MlDkimVerify MlDkimVerify;

/* Copies @message (CRLF line ends). Transfer full. */
MlDkimVerify *ml_dkim_verify_new        (const char *message, gsize len);
void          ml_dkim_verify_free       (MlDkimVerify *self);
/* The clock for x= (signature expiration, RFC 6376 3.5). Default: no
 * clock, x= is not checked. */
void          ml_dkim_verify_set_now    (MlDkimVerify *self, gint64 unix_seconds);
/* TRUE when every signature has a verdict; FALSE when a TXT answer is
 * missing: *@name_out (borrowed, valid until the next call) names it. */
gboolean      ml_dkim_verify_run        (MlDkimVerify *self, const char **name_out);
/* @values: the TXT records at @name, each with its strings joined
 * (RFC 6376 3.6.2.2); NULL or empty for none. */
void          ml_dkim_verify_add_answer (MlDkimVerify       *self,
                                         const char         *name,
                                         MlDkimDnsStatus     status,
                                         const char * const *values);

/* After run() returned TRUE. Signatures in message order (top first),
 * at most ML_DKIM_MAX_SIGNATURES. */
guint         ml_dkim_verify_get_n_signatures (MlDkimVerify *self);
MlDkimResult  ml_dkim_verify_get_result   (MlDkimVerify *self, guint i);
/* Why, for a student and for the Authentication-Results comment:
 * "body hash did not verify", "signature did not verify", "no key at
 * brisbane._domainkey.football.example.com", "key revoked"… Borrowed. */
const char   *ml_dkim_verify_get_reason   (MlDkimVerify *self, guint i);
/* The explain key of the verdict: "dkim.pass", "dkim.fail.body-hash",
 * "dkim.fail.signature", "dkim.permerror", "dkim.temperror". Borrowed. */
const char   *ml_dkim_verify_get_explain_key (MlDkimVerify *self, guint i);
/* d= and s= as written (NULL when the signature had none). Borrowed. */
const char   *ml_dkim_verify_get_domain   (MlDkimVerify *self, guint i);
const char   *ml_dkim_verify_get_selector (MlDkimVerify *self, guint i);
/* Best over all signatures (pass > fail > temperror > permerror…),
 * none when the message has no DKIM-Signature (RFC 8601 2.7.1). */
MlDkimResult  ml_dkim_verify_get_overall  (MlDkimVerify *self);

/* ---- pieces, for tests, fuzzing and the explanations (dkim-canon.c) ---- */

/* One tag=value of a tag-list (RFC 6376 3.2); offsets into the parsed
 * text so that b= can be blanked in place (3.7). */
typedef struct {
  char  *name;
  char  *value;        /* WSP and FWS removed at both ends */
  gsize  value_start;  /* just after '=' */
  gsize  value_end;    /* at ';' or the end */
} MlDkimTag;

/* Parses @text (@len octets) as a tag-list. Returns MlDkimTag* items
 * (transfer full, free with ml_dkim_tags_free) or NULL with @error for a
 * syntax error, a duplicate tag (3.2: permerror) or a limit. */
GPtrArray   *ml_dkim_tags_parse  (const char *text, gsize len, GError **error);
void         ml_dkim_tags_free   (GPtrArray *tags);
/* Borrowed value of @name, or NULL. */
const char  *ml_dkim_tags_lookup (GPtrArray *tags, const char *name);

/* Canonical form of one header field @field (name, colon, value and its
 * folding, with or without the final CRLF) per 3.4.1/3.4.2; the result
 * ends in CRLF when @field did. Transfer full. */
char        *ml_dkim_canon_header (const char *field, gsize len, MlDkimCanon canon);
/* Canonical body per 3.4.3/3.4.4. Transfer full. */
GBytes      *ml_dkim_canon_body   (const char *body, gsize len, MlDkimCanon canon);

/* Checks a DKIM-Signature value (what follows the colon) the way the
 * verifier does before any DNS lookup: required tags, v=1, a known a=,
 * From in h=, i= within d= (6.1.1). FALSE with @error saying why. */
gboolean     ml_dkim_signature_validate  (const char *value, gsize len, GError **error);
/* Checks a key record (3.6.1). FALSE with @error saying why. */
gboolean     ml_dkim_key_record_validate (const char *record, GError **error);

#define ML_DKIM_ERROR (ml_dkim_error_quark ())
typedef enum {
  ML_DKIM_ERROR_SYNTAX,    /* a malformed tag-list or record: permerror */
  ML_DKIM_ERROR_KEY,       /* an unusable key */
  ML_DKIM_ERROR_MESSAGE,   /* the message cannot be signed as asked */
} MlDkimError;
GQuark ml_dkim_error_quark (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDkimVerify, ml_dkim_verify_free)

G_END_DECLS

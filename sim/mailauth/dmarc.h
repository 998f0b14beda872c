/* dmarc.h — DMARC, RFC 7489: policy discovery, identifier alignment and
 * the resulting disposition, without I/O (the run/answer pattern of
 * spf.h: run() names the TXT query it needs, the owner answers it).
 */
#pragma once

#include <glib.h>
#include "mailauth/spf.h"
#include "mailauth/dkim.h"

G_BEGIN_DECLS

/* RFC 7489 6.4 sets no size; a record fits a DNS answer. Our bound. */
#define ML_DMARC_MAX_RECORD 4096
/* RFC 7489 3.2 relies on the Public Suffix List; Debian's copy. */
#define ML_DMARC_PSL_PATH "/usr/share/publicsuffix/public_suffix_list.dat"

typedef enum {
  ML_DMARC_POLICY_NONE = 0,       /* RFC 7489 6.3 p= */
  ML_DMARC_POLICY_QUARANTINE,
  ML_DMARC_POLICY_REJECT,
} MlDmarcPolicy;

typedef enum {
  ML_DMARC_ALIGN_RELAXED = 0,     /* RFC 7489 3.1.1 / 3.1.2, the default */
  ML_DMARC_ALIGN_STRICT,
} MlDmarcAlign;

/* The words of RFC 8601 2.7.1... for dmarc= (RFC 7489 11.2). */
typedef enum {
  ML_DMARC_NONE = 0,   /* no policy published */
  ML_DMARC_PASS,
  ML_DMARC_FAIL,
  ML_DMARC_TEMPERROR,  /* the policy could not be fetched */
  ML_DMARC_PERMERROR,
} MlDmarcResult;

const char *ml_dmarc_result_to_string (MlDmarcResult result);
const char *ml_dmarc_policy_to_string (MlDmarcPolicy policy);  /* "reject" */

typedef struct {
  MlDmarcPolicy p;
  MlDmarcPolicy sp;       /* = p when the record has no sp= */
  MlDmarcAlign  adkim;
  MlDmarcAlign  aspf;
  guint         pct;      /* 0..100, default 100 */
  char         *rua;      /* parsed, unused (RFC 7489 7) */
  char         *ruf;
} MlDmarcRecord;

/* Parses a DMARC record (RFC 7489 6.3, 6.4; the tag-list grammar is
 * DKIM's, so errors are ML_DKIM_ERROR_SYNTAX). NULL with @error when it is
 * not v=DMARC1 first, p= is missing or a value is invalid. Transfer full. */
MlDmarcRecord *ml_dmarc_record_parse (const char *text, GError **error);
void           ml_dmarc_record_free  (MlDmarcRecord *record);

/* RFC 7489 3.2: the Organizational Domain of @domain by the Public
 * Suffix List when ML_DMARC_PSL_PATH exists, else the last two labels
 * (right for the lab's "b.example" names, wrong for "co.uk"-style
 * suffixes). Lower case, transfer full. */
char          *ml_dmarc_organizational_domain (const char *domain);
/* Identifier alignment (RFC 7489 3.1): strict means equal names,
 * relaxed the same Organizational Domain. */
gboolean       ml_dmarc_aligned (const char *a, const char *b, MlDmarcAlign mode);

typedef enum {
  ML_DMARC_DNS_OK = 0,
  ML_DMARC_DNS_NXDOMAIN,
  ML_DMARC_DNS_ERROR,
} MlDmarcDnsStatus;

typedef struct _MlDmarcCheck MlDmarcCheck;

/* @from_domain: the RFC5322.From domain (RFC 7489 3.1). Transfer full. */
MlDmarcCheck  *ml_dmarc_check_new      (const char *from_domain);
void           ml_dmarc_check_free     (MlDmarcCheck *self);
/* The SPF verdict and the domain it was for (MAIL FROM's, RFC 7489 4.2). */
void           ml_dmarc_check_set_spf  (MlDmarcCheck *self, MlSpfResult result,
                                        const char *domain);
/* One DKIM verdict and its d=; call once per signature. */
void           ml_dmarc_check_add_dkim (MlDmarcCheck *self, MlDkimResult result,
                                        const char *domain);
/* pct= sampling (RFC 7489 6.6.4) needs a random number; the owner passes
 * one in 0..99 from the lesson's seeded generator. Default 0 (always
 * applies when pct > 0). */
void           ml_dmarc_check_set_sample (MlDmarcCheck *self, guint sample);

/* TRUE when decided; FALSE with *@name_out (borrowed) the TXT to fetch. */
gboolean       ml_dmarc_check_run        (MlDmarcCheck *self, const char **name_out);
void           ml_dmarc_check_add_answer (MlDmarcCheck       *self,
                                          const char         *name,
                                          MlDmarcDnsStatus    status,
                                          const char * const *values);

MlDmarcResult  ml_dmarc_check_get_result      (MlDmarcCheck *self);
/* What the receiver should do (6.6.4, after pct= and sp=). */
MlDmarcPolicy  ml_dmarc_check_get_disposition (MlDmarcCheck *self);
/* The policy found (p= or sp=, before pct=); NONE without a record. */
MlDmarcPolicy  ml_dmarc_check_get_policy      (MlDmarcCheck *self);
/* Borrowed: "DKIM d=a.example is aligned", "no aligned pass"… */
const char    *ml_dmarc_check_get_reason      (MlDmarcCheck *self);
/* "dmarc.pass", "dmarc.fail", "dmarc.none", "dmarc.temperror". */
const char    *ml_dmarc_check_get_explain_key (MlDmarcCheck *self);
/* The From domain, as given. Borrowed. */
const char    *ml_dmarc_check_get_from_domain (MlDmarcCheck *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDmarcCheck, ml_dmarc_check_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDmarcRecord, ml_dmarc_record_free)

G_END_DECLS

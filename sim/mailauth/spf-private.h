/* spf-private.h — the parsed record and macro expansion, shared by
 * spf-record.c (syntax) and spf.c (evaluation). */
#pragma once

#include <gio/gio.h>
#include "mailauth/spf.h"

G_BEGIN_DECLS

typedef enum {
  ML_SPF_MECH_ALL = 0,
  ML_SPF_MECH_INCLUDE,
  ML_SPF_MECH_A,
  ML_SPF_MECH_MX,
  ML_SPF_MECH_PTR,
  ML_SPF_MECH_IP4,
  ML_SPF_MECH_IP6,
  ML_SPF_MECH_EXISTS,
} MlSpfMechanism;

typedef struct {
  char            qualifier;    /* '+', '-', '~', '?' (4.6.2) */
  MlSpfMechanism  mechanism;
  char           *domain_spec;  /* unexpanded, NULL when not given */
  int             cidr4;        /* -1 when not given */
  int             cidr6;        /* -1 when not given */
  GInetAddressMask *network;    /* ip4 / ip6 */
  char           *text;         /* the term as written, for reasons */
} MlSpfTerm;

typedef struct {
  GPtrArray *terms;      /* MlSpfTerm*, in order */
  char      *redirect;   /* domain-spec of redirect=, or NULL (6.1) */
  char      *exp;        /* domain-spec of exp=, or NULL (6.2) */
  gboolean   has_all;    /* 6.1: redirect is ignored when "all" is present */
} MlSpfRecord;

/* NULL with ML_SPF_ERROR_SYNTAX: 4.6 says any syntax error anywhere in the
 * record makes the whole check a permerror. */
MlSpfRecord *_ml_spf_record_parse (const char *text, GError **error);
void         _ml_spf_record_free  (MlSpfRecord *record);

/* TRUE if @text starts with "v=spf1" followed by a space or its end
 * (4.5; the version is case-insensitive). */
gboolean     _ml_spf_is_spf1      (const char *text);

/* The values macros expand to (7.2). */
typedef struct {
  const char   *sender;     /* s */
  const char   *local;      /* l */
  const char   *sender_domain; /* o */
  const char   *domain;     /* d: the current domain */
  GInetAddress *ip;         /* i, v */
  const char   *validated;  /* p: the validated name, or NULL for "unknown" */
  const char   *helo;       /* h */
  const char   *receiver;   /* r (exp only) */
  gint64        now;        /* t (exp only) */
} MlSpfMacroContext;

/* Expands a macro-string (7.1). @explanation allows c, r and t (exp text
 * only). Domain expansions longer than 253 octets lose labels from the
 * left (7.3). NULL with ML_SPF_ERROR_SYNTAX for a bad macro. */
char        *_ml_spf_macro_expand (const char              *text,
                                   const MlSpfMacroContext *context,
                                   gboolean                 explanation,
                                   GError                 **error);
/* TRUE if @text uses the %{p} macro (which costs DNS lookups). */
gboolean     _ml_spf_macro_uses_p (const char *text);

G_END_DECLS

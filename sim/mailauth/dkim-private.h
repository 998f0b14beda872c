/* dkim-private.h — what dkim-canon.c, dkim-sign.c and dkim-verify.c share. */
#pragma once

#include "mailauth/dkim.h"

G_BEGIN_DECLS

/* Our own names, so that another header's cleanup for the OpenSSL types
 * cannot clash with ours. */
typedef EVP_MD_CTX MlDkimMdCtx;
typedef EVP_PKEY   MlDkimPkey;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDkimMdCtx, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlDkimPkey, EVP_PKEY_free)

/* One header field of a message as it arrived: name, colon, value with
 * its folding, and the final CRLF (RFC 5322 2.2). Borrowed from the
 * message text. */
typedef struct {
  const char *start;
  gsize       len;       /* including the CRLF */
  gsize       name_len;  /* up to the colon, trailing WSP excluded */
} MlDkimField;

/* Splits @message into its header fields (an array of MlDkimField) and
 * the body offset (after the empty line; @len when there is none). */
GArray      *ml_dkim_split_message (const char *message, gsize len, gsize *body_out);

/* The data the signature covers (RFC 6376 3.7): the fields named in
 * @h_list taken from the bottom up (5.4.2), each canonicalized, then
 * @sig_field (the DKIM-Signature with b= blanked, no final CRLF). */
GByteArray  *ml_dkim_signed_data   (GArray       *fields,
                                    char        **h_list,
                                    const char   *sig_field,
                                    gsize         sig_len,
                                    MlDkimCanon   canon);

/* bh= : base64 of SHA-256 over the canonical body, cut at @limit octets
 * when @limit >= 0 (l=). NULL when l= exceeds the body (6.1.3). */
char        *ml_dkim_body_hash     (const char *body, gsize len, MlDkimCanon canon,
                                    gint64 limit);

/* Parses "relaxed/simple" style c= values (3.5; a missing body part
 * means simple). FALSE when unknown. */
gboolean     ml_dkim_parse_canon   (const char *text, MlDkimCanon *header_out,
                                    MlDkimCanon *body_out);

/* A DKIM-Signature's tags, checked (RFC 6376 3.5, 6.1.1). */
typedef struct {
  GPtrArray       *tags;        /* MlDkimTag*, owns the strings below */
  MlDkimAlgorithm  alg;
  MlDkimCanon      header_canon;
  MlDkimCanon      body_canon;
  const char      *domain;      /* d= */
  const char      *selector;    /* s= */
  char           **h_list;      /* h=, trimmed names */
  char            *bh;          /* bh= without whitespace */
  char            *b;           /* b= without whitespace */
  gint64           length;      /* l=, or -1 */
  gint64           expires;     /* x=, or -1 */
  char            *auid_domain; /* domain of i=, or NULL */
} MlDkimSig;

/* NULL with @error (a permerror, 6.1.1) when @value is not a usable
 * signature. Transfer full. */
MlDkimSig   *ml_dkim_sig_parse     (const char *value, gsize len, GError **error);
void         ml_dkim_sig_free      (MlDkimSig *sig);

/* A key record (3.6.1). */
typedef struct {
  MlDkimAlgorithm  alg;        /* k= */
  gboolean         testing;    /* t=y */
  gboolean         strict;     /* t=s: i= must be d= exactly */
  GBytes          *key;        /* p= decoded; NULL when revoked (p= empty) */
} MlDkimKeyRecord;

MlDkimKeyRecord *ml_dkim_key_record_parse (const char *record, GError **error);
void             ml_dkim_key_record_free  (MlDkimKeyRecord *rec);

G_END_DECLS

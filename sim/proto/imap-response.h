/* imap-response.h — IMAP server responses (RFC 3501 7, RFC 9051 7), parsed.
 *
 * One parser for what an IMAP server says, shared by the client engine and
 * the capture dissector. It is fed bytes and hands out whole responses:
 * tagged completions ("a1 OK …"), untagged data and status ("* 3 EXISTS",
 * "* OK [UIDVALIDITY 7] …"), and continuation requests ("+ …"). A response
 * is one line, or several when it carries literals ({n} CRLF and n bytes,
 * RFC 3501 4.3); the parser reads the literals as part of the response.
 *
 * It is built on the one IMAP tokenizer (imap-parser.h) and answers Dovecot
 * style: done / need more / error. A server's mistake is an error with a
 * message a teacher can show, never a crash; after an error the rest of the
 * broken response is dropped and parsing goes on with the next line, though
 * a client should not trust the stream any more. Literals past the limits
 * below cannot be stepped over without reading them: then the stream is
 * given up, and every later call answers NEED_MORE until a reset.
 */
#pragma once

#include <glib.h>
#include "proto/imap-parser.h"

G_BEGIN_DECLS

/* One response line outside its literals, CRLF included. RFC 3501 sets no
 * limit and RFC 7162 4 asks clients to keep *command* lines near 8192
 * octets; a response (a FETCH with a long ENVELOPE and many keywords) may be
 * longer, so the cap is larger, but there is one. */
#define ML_IMAP_RESPONSE_MAX_LINE      (64 * 1024)
/* One literal (RFC 3501 4.3). A message body comes as one literal; a server
 * announcing more than this is refused rather than buffered. */
#define ML_IMAP_RESPONSE_MAX_LITERAL   (32 * 1024 * 1024)
/* Literals in one response, and their bytes together: a FETCH of several
 * sections carries several literals. */
#define ML_IMAP_RESPONSE_MAX_LITERALS  64
#define ML_IMAP_RESPONSE_MAX_SIZE      (64 * 1024 * 1024)
/* Nested parenthesised lists (RFC 3501 4.4): a BODYSTRUCTURE nests one
 * level per multipart and message/rfc822 part, and little else nests. The
 * tokenizer's bound. */
#define ML_IMAP_RESPONSE_MAX_DEPTH     ML_IMAP_MAX_LIST_DEPTH
/* Items in one list, numbers in one SEARCH response: a server that never
 * closes its list is stopped here. */
#define ML_IMAP_RESPONSE_MAX_ITEMS     100000

typedef enum {
  ML_IMAP_RESPONSE_NEED_MORE = 0,  /* no whole response buffered yet */
  ML_IMAP_RESPONSE_READY,          /* *response_out holds one response */
  ML_IMAP_RESPONSE_MALFORMED,      /* see the GError */
} MlImapResponseResult;

#define ML_IMAP_RESPONSE_ERROR (ml_imap_response_error_quark ())
typedef enum {
  ML_IMAP_RESPONSE_ERROR_SYNTAX,            /* not what RFC 3501 9 allows */
  ML_IMAP_RESPONSE_ERROR_LINE_TOO_LONG,     /* over ML_IMAP_RESPONSE_MAX_LINE */
  ML_IMAP_RESPONSE_ERROR_LITERAL_TOO_LARGE, /* over a literal limit */
  ML_IMAP_RESPONSE_ERROR_TOO_DEEP,          /* over ML_IMAP_RESPONSE_MAX_DEPTH */
  ML_IMAP_RESPONSE_ERROR_TOO_MANY,          /* over ML_IMAP_RESPONSE_MAX_ITEMS */
  ML_IMAP_RESPONSE_ERROR_BAD_CHARACTER,     /* NUL, bare CR or bare LF in a line */
} MlImapResponseError;
GQuark ml_imap_response_error_quark (void);

typedef enum {
  ML_IMAP_RESPONSE_KIND_TAGGED = 0,   /* "a1 OK …": command a1 is complete */
  ML_IMAP_RESPONSE_KIND_UNTAGGED,     /* "* …" */
  ML_IMAP_RESPONSE_KIND_CONTINUATION, /* "+ …": send the rest (RFC 3501 7.5) */
} MlImapResponseKind;

/* RFC 3501 7.1. */
typedef enum {
  ML_IMAP_STATUS_NONE = 0,  /* not a status response */
  ML_IMAP_STATUS_OK,
  ML_IMAP_STATUS_NO,
  ML_IMAP_STATUS_BAD,
  ML_IMAP_STATUS_PREAUTH,   /* untagged only (greeting) */
  ML_IMAP_STATUS_BYE,       /* untagged only */
} MlImapStatus;

/* Untagged data that is not a status response (RFC 3501 7.2–7.4). */
typedef enum {
  ML_IMAP_DATA_NONE = 0,    /* a status response, tagged or "+" */
  ML_IMAP_DATA_CAPABILITY,  /* RFC 3501 7.2.1 */
  ML_IMAP_DATA_ENABLED,     /* RFC 5161 3.2 */
  ML_IMAP_DATA_FLAGS,       /* RFC 3501 7.2.6 */
  ML_IMAP_DATA_LIST,        /* RFC 3501 7.2.2 */
  ML_IMAP_DATA_LSUB,        /* RFC 3501 7.2.3 */
  ML_IMAP_DATA_STATUS,      /* RFC 3501 7.2.4 */
  ML_IMAP_DATA_SEARCH,      /* RFC 3501 7.2.5 */
  ML_IMAP_DATA_EXISTS,      /* RFC 3501 7.3.1 */
  ML_IMAP_DATA_RECENT,      /* RFC 3501 7.3.2 */
  ML_IMAP_DATA_EXPUNGE,     /* RFC 3501 7.4.1 */
  ML_IMAP_DATA_FETCH,       /* RFC 3501 7.4.2 */
  ML_IMAP_DATA_QUOTA,       /* RFC 9208 5.1 */
  ML_IMAP_DATA_QUOTAROOT,   /* RFC 9208 5.2 */
  ML_IMAP_DATA_NAMESPACE,   /* RFC 2342 5 */
  ML_IMAP_DATA_ID,          /* RFC 2971 3.2 */
  ML_IMAP_DATA_OTHER,       /* an extension we do not know: data_name says
                               which; RFC 3501 7 lets a client ignore it */
} MlImapDataKind;

/* Response codes, RFC 3501 7.1, RFC 4315 3, RFC 5530 3. */
typedef enum {
  ML_IMAP_CODE_OTHER = 0,   /* any other: name says which */
  ML_IMAP_CODE_ALERT,
  ML_IMAP_CODE_BADCHARSET,
  ML_IMAP_CODE_CAPABILITY,
  ML_IMAP_CODE_PARSE,
  ML_IMAP_CODE_PERMANENTFLAGS,
  ML_IMAP_CODE_READ_ONLY,
  ML_IMAP_CODE_READ_WRITE,
  ML_IMAP_CODE_TRYCREATE,
  ML_IMAP_CODE_UIDNEXT,
  ML_IMAP_CODE_UIDVALIDITY,
  ML_IMAP_CODE_UNSEEN,
  ML_IMAP_CODE_APPENDUID,   /* RFC 4315 3 */
  ML_IMAP_CODE_COPYUID,     /* RFC 4315 3 */
  ML_IMAP_CODE_UIDNOTSTICKY,/* RFC 4315 3 */
} MlImapCodeKind;

typedef struct {
  MlImapCodeKind kind;
  char    *name;        /* the atom, upper-cased: "UIDVALIDITY", "AUTHENTICATIONFAILED" */
  char    *args;        /* what followed the atom inside the brackets, as
                           sent; NULL when nothing did */
  guint32  number;      /* UIDNEXT, UIDVALIDITY, UNSEEN; APPENDUID and
                           COPYUID: the destination's UIDVALIDITY */
  GStrv    list;        /* CAPABILITY, PERMANENTFLAGS, BADCHARSET: the items
                           as sent; NULL otherwise */
  char    *source_uids; /* COPYUID: the uid-set as sent ("4,7:9") */
  char    *dest_uids;   /* COPYUID, APPENDUID: the uid-set as sent */
} MlImapResponseCode;

/* RFC 3501 7.4.2 ENVELOPE, one address. A group (RFC 5322 3.4) starts with
 * host NULL and mailbox = the group name, and ends with mailbox NULL too. */
typedef struct {
  char *name;
  char *adl;
  char *mailbox;
  char *host;
} MlImapAddress;

typedef struct {
  char      *date;         /* every string NULL for NIL */
  char      *subject;      /* as sent: RFC 2047 encoded-words stay encoded */
  GPtrArray *from;         /* MlImapAddress*, NULL for NIL */
  GPtrArray *sender;
  GPtrArray *reply_to;
  GPtrArray *to;
  GPtrArray *cc;
  GPtrArray *bcc;
  char      *in_reply_to;
  char      *message_id;
} MlImapEnvelope;

/* RFC 3501 7.4.2 BODY / BODYSTRUCTURE, without the extension data (it is
 * checked for syntax and dropped). */
typedef struct _MlImapBodyPart MlImapBodyPart;
struct _MlImapBodyPart {
  char           *type;        /* "TEXT", "MULTIPART", as sent */
  char           *subtype;     /* "PLAIN", "MIXED" */
  GPtrArray      *params;      /* name, value, name, value… (char*); NULL for NIL */
  char           *id;          /* body-fld-id, NULL for NIL */
  char           *description;
  char           *encoding;    /* "7BIT", "BASE64" */
  guint32         size;        /* octets */
  guint32         lines;       /* TEXT and MESSAGE/RFC822 only */
  MlImapEnvelope *envelope;    /* MESSAGE/RFC822: the enclosed message's */
  MlImapBodyPart *body;        /* MESSAGE/RFC822: its body structure */
  GPtrArray      *parts;       /* MULTIPART: MlImapBodyPart*; NULL otherwise */
};

/* A body section in a FETCH response (RFC 3501 7.4.2 BODY[<section>]<<origin>>). */
typedef struct {
  char   *name;     /* the item as sent, upper-cased, up to "]": "BODY[HEADER]",
                       "BODY[]", "RFC822", "RFC822.HEADER", "BINARY[1]" */
  char   *section;  /* inside the brackets: "", "HEADER", "1.MIME",
                       "HEADER.FIELDS (SUBJECT)"; NULL for RFC822* */
  gint64  origin;   /* the <n> after the brackets, -1 if none */
  GBytes *data;     /* NULL for NIL */
} MlImapFetchBody;

typedef struct {
  guint32         uid;          /* 0 when UID was not in the response */
  GStrv           flags;        /* NULL when FLAGS was not */
  gboolean        has_size;
  guint64         rfc822_size;
  char           *internal_date;/* as sent: "17-Jul-1996 02:44:25 -0700" */
  MlImapEnvelope *envelope;
  MlImapBodyPart *body;         /* BODY or BODYSTRUCTURE */
  guint64         modseq;       /* RFC 7162 3.1.4.1; 0 when absent */
  GPtrArray      *bodies;       /* MlImapFetchBody*, in the order sent */
} MlImapFetch;

typedef struct {
  char    *name;    /* "MESSAGES", "UIDNEXT" (RFC 3501 7.2.4); "STORAGE" (RFC 9208 5.1) */
  guint64  value;   /* STATUS: the value; QUOTA: the usage */
  guint64  limit;   /* QUOTA: the limit; 0 for STATUS */
} MlImapItem;

typedef struct {
  char *prefix;     /* RFC 2342 5 */
  char  delimiter;  /* 0 for NIL */
} MlImapNamespace;

typedef struct {
  MlImapResponseKind  kind;
  char               *tag;        /* TAGGED: "a1" */
  MlImapStatus        status;     /* TAGGED, and the untagged OK/NO/BAD/PREAUTH/BYE */
  MlImapResponseCode *code;       /* the [bracketed] code, NULL if none */
  char               *text;       /* status and "+": the human text after the
                                     code ("" if none); NULL for data */
  MlImapDataKind      data;
  char               *data_name;  /* untagged data: its atom, upper-cased ("FETCH") */
  guint32             number;     /* EXISTS, RECENT, EXPUNGE, FETCH */
  GStrv               atoms;      /* CAPABILITY, ENABLED, FLAGS; LIST/LSUB: the
                                     mailbox attributes; QUOTAROOT: the roots */
  GArray             *numbers;    /* SEARCH: guint32, as sent */
  char               *mailbox;    /* LIST, LSUB, STATUS, QUOTAROOT: decoded
                                     (quoting and literal undone), "INBOX" in
                                     any case spelled "INBOX" (RFC 3501 5.1) */
  char                delimiter;  /* LIST, LSUB: hierarchy delimiter, 0 for NIL */
  GArray             *items;      /* STATUS, QUOTA: MlImapItem */
  char               *quota_root; /* QUOTA */
  MlImapFetch        *fetch;      /* FETCH */
  GPtrArray          *namespaces[3]; /* NAMESPACE personal, other users',
                                        shared: MlImapNamespace*; NULL for NIL */
  GPtrArray          *id_params;  /* ID: key, value, key, value… (char*, a
                                     value NULL for NIL); NULL for "ID NIL" */
  char               *raw;        /* as received, final CRLF removed, every other
                                     CRLF as "\n", literals' bytes included */
  gsize               wire_size;  /* bytes it took on the wire */
} MlImapResponse;

void            ml_imap_response_free   (MlImapResponse *response);
const char     *ml_imap_status_to_string (MlImapStatus status);    /* "OK", "" for NONE */
const char     *ml_imap_data_kind_to_string (MlImapDataKind kind); /* "FETCH", "" for NONE */
/* The explanation key: "imap.ok", "imap.no", "imap.bad", "imap.preauth",
 * "imap.bye" for status responses (tagged or untagged),
 * "imap.untagged.<data>" ("imap.untagged.exists") for data,
 * "imap.continuation" for "+". Caller frees. */
char           *ml_imap_response_dup_explain_key (const MlImapResponse *response);
/* A FETCH body section by what was inside its brackets ("" for BODY[],
 * "HEADER"), case-insensitive, or by name for RFC822* ("RFC822"). Borrowed;
 * NULL when the response holds none. */
const MlImapFetchBody *ml_imap_fetch_find_body (const MlImapFetch *fetch,
                                                const char *section);
/* The STATUS item @name (case-insensitive); FALSE when absent. */
gboolean        ml_imap_response_get_item (const MlImapResponse *response,
                                           const char *name, guint64 *value_out);
/* A uid-set as in COPYUID/APPENDUID ("4,7:9", RFC 4315 4), expanded in the
 * order written (a range low to high); NULL if it is not one or holds more
 * than @max UIDs. Transfer full (guint32). */
GArray         *ml_imap_uid_set_expand  (const char *set, guint max);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlImapResponse, ml_imap_response_free)

typedef struct _MlImapResponseParser MlImapResponseParser;

MlImapResponseParser *ml_imap_response_parser_new   (void);
void                  ml_imap_response_parser_free  (MlImapResponseParser *self);
void                  ml_imap_response_parser_push  (MlImapResponseParser *self,
                                                     const guint8 *data, gsize len);
/* READY: *response_out is set (transfer full). MALFORMED: @error is set and
 * the broken response is skipped. Call again until NEED_MORE. */
MlImapResponseResult  ml_imap_response_parser_next  (MlImapResponseParser *self,
                                                     MlImapResponse **response_out,
                                                     GError **error);
/* Drop everything buffered, including a half-read response. */
void                  ml_imap_response_parser_reset (MlImapResponseParser *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlImapResponseParser, ml_imap_response_parser_free)

G_END_DECLS

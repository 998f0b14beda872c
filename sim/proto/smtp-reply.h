/* smtp-reply.h — SMTP reply parsing and EHLO capabilities.
 *
 * One parser for server replies, shared by the client engine and the capture
 * dissector: fed bytes, it hands out whole replies (RFC 5321 4.2, 4.2.1),
 * single or multi-line, with the enhanced status code (RFC 2034, RFC 3463)
 * picked out when the text starts with one. It answers Dovecot style:
 * done / need more / error. A server's mistake is an error with a message a
 * teacher can show, never a crash; after an error the half-read reply is
 * dropped and parsing goes on with the next line.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A reply line with its code and CRLF (RFC 5321 4.5.3.1.5). */
#define ML_SMTP_REPLY_MAX_LINE   512
/* Lines in one multi-line reply. RFC 5321 sets no limit; an EHLO reply
 * rarely passes 20 lines, so this only stops a server that never ends. */
#define ML_SMTP_REPLY_MAX_LINES  100

typedef enum {
  ML_SMTP_REPLY_NEED_MORE = 0,  /* no whole reply buffered yet */
  ML_SMTP_REPLY_DONE,           /* *reply_out holds one reply */
  ML_SMTP_REPLY_ERROR,          /* malformed input; see the GError */
} MlSmtpReplyStatus;

#define ML_SMTP_REPLY_ERROR (ml_smtp_reply_error_quark ())
typedef enum {
  ML_SMTP_REPLY_ERROR_BAD_CODE,        /* not a Reply-code, or no SP/"-" after it */
  ML_SMTP_REPLY_ERROR_MIXED_CODES,     /* lines of one reply with different codes */
  ML_SMTP_REPLY_ERROR_LINE_TOO_LONG,   /* over ML_SMTP_REPLY_MAX_LINE */
  ML_SMTP_REPLY_ERROR_TOO_MANY_LINES,  /* over ML_SMTP_REPLY_MAX_LINES */
  ML_SMTP_REPLY_ERROR_BAD_CHARACTER,   /* a NUL byte inside a line */
} MlSmtpReplyError;
GQuark ml_smtp_reply_error_quark (void);

typedef struct {
  guint  code;      /* 200–559 */
  char  *enhanced;  /* "5.1.1" from the first line, NULL when there is none
                       or it disagrees with the code's class (RFC 2034 4) */
  GStrv  lines;     /* each line's text after "NNN-" / "NNN ", as sent
                       (enhanced code included); "" for a bare code */
  char  *raw;       /* the lines as received, joined by "\n", no CRLF */
} MlSmtpReply;

MlSmtpReply *ml_smtp_reply_new        (guint code, const char *enhanced,
                                       const char *text);  /* one line */
MlSmtpReply *ml_smtp_reply_copy       (const MlSmtpReply *reply);
void         ml_smtp_reply_free       (MlSmtpReply *reply);
/* The human text: lines joined by "\n", each without its leading enhanced
 * code. Caller frees. */
char        *ml_smtp_reply_dup_text   (const MlSmtpReply *reply);
/* First digit of the code: 2 done, 3 go on, 4 transient, 5 permanent
 * (RFC 5321 4.2.1). */
guint        ml_smtp_reply_get_class  (const MlSmtpReply *reply);
/* Length of an RFC 3463 status code ("2.1.0") at the start of @text that
 * agrees with @code's class and is followed by SP or the end; 0 if none. */
gsize        ml_smtp_enhanced_code_span (const char *text, guint code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlSmtpReply, ml_smtp_reply_free)

typedef struct _MlSmtpReplyParser MlSmtpReplyParser;

MlSmtpReplyParser *ml_smtp_reply_parser_new   (void);
void               ml_smtp_reply_parser_free  (MlSmtpReplyParser *self);
void               ml_smtp_reply_parser_push  (MlSmtpReplyParser *self,
                                               const guint8 *data, gsize len);
/* On ML_SMTP_REPLY_DONE *reply_out is set (transfer full); on
 * ML_SMTP_REPLY_ERROR @error is set. Call again until NEED_MORE. */
MlSmtpReplyStatus  ml_smtp_reply_parser_next  (MlSmtpReplyParser *self,
                                               MlSmtpReply **reply_out,
                                               GError **error);
/* Drop everything buffered, including a half-read reply. */
void               ml_smtp_reply_parser_reset (MlSmtpReplyParser *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlSmtpReplyParser, ml_smtp_reply_parser_free)

/* Service extensions the project knows by name (RFC 5321 2.2, 4.1.1.1). */
typedef enum {
  ML_SMTP_EXT_NONE                = 0,
  ML_SMTP_EXT_PIPELINING          = 1 << 0,  /* RFC 2920 */
  ML_SMTP_EXT_SIZE                = 1 << 1,  /* RFC 1870 */
  ML_SMTP_EXT_8BITMIME            = 1 << 2,  /* RFC 6152 */
  ML_SMTP_EXT_ENHANCEDSTATUSCODES = 1 << 3,  /* RFC 2034 */
  ML_SMTP_EXT_STARTTLS            = 1 << 4,  /* RFC 3207 */
  ML_SMTP_EXT_AUTH                = 1 << 5,  /* RFC 4954 */
  ML_SMTP_EXT_DSN                 = 1 << 6,  /* RFC 3461 */
  ML_SMTP_EXT_SMTPUTF8            = 1 << 7,  /* RFC 6531 */
  ML_SMTP_EXT_CHUNKING            = 1 << 8,  /* RFC 3030 */
  ML_SMTP_EXT_BINARYMIME          = 1 << 9,  /* RFC 3030 */
} MlSmtpExtension;

typedef struct _MlSmtpCapabilities MlSmtpCapabilities;

/* No extensions: what a HELO session has. */
MlSmtpCapabilities *ml_smtp_capabilities_new       (void);
/* From a 2yz reply to EHLO; other replies give an empty set. Lines that are
 * not an ehlo-line are skipped. */
MlSmtpCapabilities *ml_smtp_capabilities_parse     (const MlSmtpReply *ehlo_reply);
void                ml_smtp_capabilities_free      (MlSmtpCapabilities *self);
MlSmtpExtension     ml_smtp_capabilities_get_extensions (const MlSmtpCapabilities *self);
gboolean            ml_smtp_capabilities_has       (const MlSmtpCapabilities *self,
                                                    MlSmtpExtension ext);
/* The server's fixed maximum message size; 0 when SIZE is absent or has no
 * (or a zero) limit (RFC 1870 4). */
guint64             ml_smtp_capabilities_get_size_max (const MlSmtpCapabilities *self);
/* Borrowed, NULL-terminated, upper-cased; empty when AUTH is absent. */
const char * const *ml_smtp_capabilities_get_auth_mechanisms (const MlSmtpCapabilities *self);
/* Parameters of any keyword (case-insensitive): "" for a keyword without
 * any, NULL when the keyword was not offered. Borrowed. */
const char         *ml_smtp_capabilities_lookup    (const MlSmtpCapabilities *self,
                                                    const char *keyword);
/* The domain the server named on the first line, NULL if none. Borrowed. */
const char         *ml_smtp_capabilities_get_domain (const MlSmtpCapabilities *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlSmtpCapabilities, ml_smtp_capabilities_free)

G_END_DECLS

/* message-mime.h — a stored message's MIME: sections, structure, envelope.
 *
 * GMime 3.2 parses; we keep what IMAP needs: where every part's header and
 * body sit in the raw bytes (so BODY[section] returns exactly what was
 * stored, RFC 3501 6.4.5), the BODYSTRUCTURE fields (7.4.2) and the
 * ENVELOPE (7.4.2). The IMAP *syntax* is the IMAP server's business.
 *
 * Caching: the first call on a message parses it once and keeps the small
 * description (MlMimePart tree with offsets, MlEnvelope), not GMime's tree;
 * so FETCH BODYSTRUCTURE or BODY[...] over 10,000 messages holds 10,000
 * small trees, no parse trees. ml_message_get_mime() keeps a GMimeMessage
 * too, until ml_message_drop_mime(). Everything is freed with the message.
 */
#pragma once

#include <glib.h>
#include <gmime/gmime.h>
#include "mail/mail-store.h"

G_BEGIN_DECLS

/* RFC 3501 9 puts no bound on header-list; ours, so one FETCH cannot make
 * us compare thousands of names per header line. */
#define ML_MIME_MAX_FIELDS      64
/* RFC 5322 2.1.1: a line is at most 998 characters, so is a field name;
 * real names are far shorter. */
#define ML_MIME_MAX_FIELD_NAME  998
/* Deeper nesting than this is not described (its parts read as missing):
 * GMime recurses per level, and a section path has one number per level. */
#define ML_MIME_MAX_DEPTH       32

#define ML_MIME_ERROR (ml_mime_error_quark ())
typedef enum {
  ML_MIME_ERROR_INVALID_SECTION,  /* e.g. MIME without a part number */
  ML_MIME_ERROR_TOO_MANY_FIELDS,  /* over ML_MIME_MAX_FIELDS */
  ML_MIME_ERROR_INVALID_FIELD,    /* empty, too long, or not a field name */
} MlMimeError;

GQuark ml_mime_error_quark (void);

/* RFC 3501 6.4.5 section-text. */
typedef enum {
  ML_SECTION_TEXT_NONE = 0,          /* BODY[] or BODY[1.2] */
  ML_SECTION_TEXT_HEADER,            /* BODY[HEADER], BODY[3.HEADER] */
  ML_SECTION_TEXT_HEADER_FIELDS,     /* BODY[HEADER.FIELDS (A B)] */
  ML_SECTION_TEXT_HEADER_FIELDS_NOT, /* BODY[HEADER.FIELDS.NOT (A B)] */
  ML_SECTION_TEXT_TEXT,              /* BODY[TEXT], BODY[3.TEXT] */
  ML_SECTION_TEXT_MIME,              /* BODY[1.MIME] */
} MlSectionText;

/* RFC 3501 7.4.2 address: group syntax is host == NULL; then mailbox is
 * the group name (start of group) or NULL (end of group). All raw: the
 * name is the phrase without its quotes, RFC 2047 words still encoded. */
typedef struct {
  char *name;     /* NULL if none */
  char *adl;      /* source route "@a,@b" (obsolete), usually NULL */
  char *mailbox;
  char *host;
} MlAddress;

/* RFC 3501 7.4.2 envelope. Strings are the raw header values, unfolded and
 * trimmed; NULL when the header is absent. Address lists are GPtrArray of
 * MlAddress*, NULL when absent or empty. Sender and Reply-To are already
 * defaulted to From as 7.4.2 says, so the writer prints what it finds. */
typedef struct {
  char      *date;
  char      *subject;
  GPtrArray *from;
  GPtrArray *sender;
  GPtrArray *reply_to;
  GPtrArray *to;
  GPtrArray *cc;
  GPtrArray *bcc;
  char      *in_reply_to;
  char      *message_id;
} MlEnvelope;

typedef struct {
  char *name;    /* as written (lower-case it for comparison) */
  char *value;   /* RFC 2231 continuations joined and decoded by GMime */
} MlMimeParam;

typedef struct _MlMimePart MlMimePart;

/* One node of BODYSTRUCTURE (RFC 3501 7.4.2, body-type-* and body-ext-*).
 * The top of a message (and of an embedded message/rfc822) is a part too:
 * its header is the message header. Read-only, borrowed from the message. */
struct _MlMimePart
{
  char        *type;           /* "text"; never NULL (RFC 2045 5.2 default) */
  char        *subtype;        /* "plain" */
  GPtrArray   *params;         /* MlMimeParam*, never NULL; charset=us-ascii by default */
  char        *id;             /* Content-ID, raw, or NULL */
  char        *description;    /* Content-Description, raw, or NULL */
  char        *encoding;       /* Content-Transfer-Encoding as written, "7bit" if absent */
  char        *md5;            /* Content-MD5, raw, or NULL */
  char        *disposition;    /* "attachment", or NULL */
  GPtrArray   *disposition_params;  /* MlMimeParam*, never NULL */
  char       **language;       /* Content-Language tags, or NULL */
  char        *location;       /* Content-Location, or NULL */
  guint64      size;           /* octets of the body as stored */
  guint64      lines;          /* text/ and message/rfc822: body lines, the last
                                * one counted even without its line break */
  GPtrArray   *children;       /* multipart: MlMimePart*, else NULL */
  MlMimePart  *message;        /* message/rfc822: the embedded message, else NULL */
  MlEnvelope  *envelope;       /* message/rfc822: its envelope, else NULL */
  /* Offsets into ml_message_get_data(): header [header_start, body_start)
   * including the blank line; body [body_start, end). */
  gsize        header_start;
  gsize        body_start;
  gsize        end;
};

/* Borrowed; parsed on first use and kept until ml_message_drop_mime().
 * NULL when GMime refuses the bytes (no header line at all); the
 * structure, envelope and sections below still work then. */
GMimeMessage *ml_message_get_mime      (MlMessage *msg);
/* Frees the cached GMime tree, structure and envelope (pointers from the
 * three getters here become invalid); the next call parses again. */
void          ml_message_drop_mime     (MlMessage *msg);
MlMimePart   *ml_message_get_structure (MlMessage *msg);  /* borrowed */
MlEnvelope   *ml_message_get_envelope  (MlMessage *msg);  /* borrowed */

/* RFC 3501 6.4.5 BODY[section]: the exact stored bytes. @part is the path
 * ("1.2" → {1, 2}), n_part 0 for the message itself. @fields (NULL-
 * terminated) only for HEADER_FIELDS/_NOT. A part that does not exist, or
 * HEADER/TEXT on a part that is not message/rfc822, gives empty bytes.
 * Errors (ML_MIME_ERROR): MIME without a part, fields over the limits.
 * Transfer full. */
GBytes       *ml_message_get_section   (MlMessage *msg, const guint *part, guint n_part,
                                        MlSectionText text, const char * const *fields,
                                        GError **error);

/* The part a path names (RFC 3501 6.4.5: part 1 of a non-multipart is
 * itself; numbers after a message/rfc822 walk into the embedded message's
 * body). NULL if none. Borrowed. */
MlMimePart   *ml_mime_part_find        (MlMimePart *root, const guint *part, guint n_part);

/* RFC 5322 3.4 address-list → MlAddress* (free func set), group markers
 * included. Tolerant of obsolete syntax; never NULL. Transfer full. */
GPtrArray    *ml_address_list_parse    (const char *value, gssize len);
void          ml_address_free          (MlAddress *address);
void          ml_envelope_free         (MlEnvelope *envelope);

G_END_DECLS

/* message-compose.h — writing an RFC 5322 message the way a MUA does. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A file attached to the message (RFC 2183 Content-Disposition: attachment). */
typedef struct {
  const char *filename;      /* without a directory */
  const char *content_type;  /* "application/pdf"; NULL: text/plain */
  const char *content;       /* the data (a lesson's files are text) */
} MlComposeAttachment;

/* Parts of a multipart message; RFC 2046 sets no limit, this keeps a
 * message built from a lesson small. */
#define ML_COMPOSE_MAX_ATTACHMENTS 16
/* RFC 2045 6.8: encoded lines are at most 76 characters. */
#define ML_COMPOSE_BASE64_LINE     76

typedef struct {
  const char         *from;        /* addr-spec */
  const char * const *to;          /* addr-specs, NULL-terminated */
  const char         *subject;     /* UTF-8; encoded per RFC 2047 if not ASCII */
  const char         *body;        /* UTF-8 text, LF or CRLF lines */
  gint64              date_unix;   /* Date: (RFC 5322 3.3), in UTC */
  const char         *message_id;  /* without the angle brackets */
  const char         *user_agent;  /* optional */
  /* Files: with any, the message is multipart/mixed (RFC 2046 5.1.3), the
   * body its first part. Borrowed; at most ML_COMPOSE_MAX_ATTACHMENTS. */
  const MlComposeAttachment *attachments;
  gsize               n_attachments;
} MlComposeSpec;

/* The message with CRLF line ends, ready for DATA. Transfer full. */
GBytes *ml_message_compose       (const MlComposeSpec *spec);

G_END_DECLS

/* message-compose.h — writing an RFC 5322 message the way a MUA does. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char         *from;        /* addr-spec */
  const char * const *to;          /* addr-specs, NULL-terminated */
  const char         *subject;     /* UTF-8; encoded per RFC 2047 if not ASCII */
  const char         *body;        /* UTF-8 text, LF or CRLF lines */
  gint64              date_unix;   /* Date: (RFC 5322 3.3), in UTC */
  const char         *message_id;  /* without the angle brackets */
  const char         *user_agent;  /* optional */
} MlComposeSpec;

/* The message with CRLF line ends, ready for DATA. Transfer full. */
GBytes *ml_message_compose       (const MlComposeSpec *spec);

G_END_DECLS

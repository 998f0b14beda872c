/* line-buffer.h — bounded line splitting for the text protocols.
 *
 * SMTP, POP3 and IMAP are all CRLF-terminated lines (IMAP adds literals,
 * taken here as raw bytes). Every line has a maximum; a longer line is
 * reported once as ML_LINE_TOO_LONG and skipped up to its LF, so a peer
 * cannot make us buffer without bound.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  ML_LINE_NEED_MORE = 0,  /* no complete line buffered */
  ML_LINE_OK,             /* line and len hold one line, without its ending */
  ML_LINE_TOO_LONG,       /* a line passed the maximum and was dropped */
} MlLineStatus;

typedef enum {
  ML_LINE_END_CRLF    = 0,
  ML_LINE_END_BARE_LF = 1 << 0,  /* line ended in LF without CR */
  ML_LINE_HAS_BARE_CR = 1 << 1,  /* a CR not followed by LF inside the line */
  ML_LINE_HAS_NUL     = 1 << 2,  /* a NUL byte inside the line */
} MlLineFlags;

typedef struct _MlLineBuffer MlLineBuffer;

/* @max_line counts the line with its CRLF, as the RFCs do
 * (RFC 5321 4.5.3.1.4: 512 for a command line). */
MlLineBuffer *ml_line_buffer_new       (gsize max_line);
void          ml_line_buffer_free      (MlLineBuffer *self);
void          ml_line_buffer_set_max   (MlLineBuffer *self, gsize max_line);
void          ml_line_buffer_push      (MlLineBuffer *self, const guint8 *data, gsize len);
/* *line stays valid until the next call on @self. It is NUL-terminated. */
MlLineStatus  ml_line_buffer_next      (MlLineBuffer *self, const char **line,
                                        gsize *len, MlLineFlags *flags);
/* Raw access for literals: up to @max bytes, without looking for lines. */
gsize         ml_line_buffer_available (MlLineBuffer *self);
gsize         ml_line_buffer_take      (MlLineBuffer *self, gsize max, GByteArray *out);
/* Bytes buffered but not handed out (for "pipelined past STARTTLS" checks). */
void          ml_line_buffer_clear     (MlLineBuffer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlLineBuffer, ml_line_buffer_free)

G_END_DECLS

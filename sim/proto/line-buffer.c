#include <string.h>
#include "proto/line-buffer.h"

struct _MlLineBuffer
{
  GByteArray *buf;
  gsize       start;     /* first byte not yet handed out */
  gsize       max_line;
  gboolean    skipping;  /* inside an over-long line, dropping to its LF */
  char       *line;      /* last line handed out */
};

MlLineBuffer *
ml_line_buffer_new (gsize max_line)
{
  MlLineBuffer *self = g_new0 (MlLineBuffer, 1);

  self->buf = g_byte_array_new ();
  self->max_line = max_line;
  return self;
}

void
ml_line_buffer_free (MlLineBuffer *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->buf);
  g_free (self->line);
  g_free (self);
}

void
ml_line_buffer_set_max (MlLineBuffer *self, gsize max_line)
{
  self->max_line = max_line;
}

static void
compact (MlLineBuffer *self)
{
  if (self->start == 0)
    return;
  g_byte_array_remove_range (self->buf, 0, self->start);
  self->start = 0;
}

void
ml_line_buffer_push (MlLineBuffer *self, const guint8 *data, gsize len)
{
  /* Move what is left to the front only when it is worth it, so feeding one
   * byte at a time stays linear. */
  if (self->start > 4096 && self->start * 2 > self->buf->len)
    compact (self);
  g_byte_array_append (self->buf, data, len);
}

MlLineStatus
ml_line_buffer_next (MlLineBuffer *self, const char **line, gsize *len, MlLineFlags *flags)
{
  for (;;)
    {
      const guint8 *p = self->buf->data + self->start;
      gsize avail = self->buf->len - self->start;
      const guint8 *lf = avail > 0 ? memchr (p, '\n', avail) : NULL;
      gsize line_len, content_len;
      MlLineFlags f = ML_LINE_END_CRLF;

      if (lf == NULL)
        {
          if (self->skipping)
            {
              self->start = self->buf->len;
              compact (self);
              return ML_LINE_NEED_MORE;
            }
          if (avail >= self->max_line)
            {
              /* Already too long and still no LF: report now, drop the rest
               * of the line as it arrives. */
              self->skipping = TRUE;
              self->start = self->buf->len;
              compact (self);
              return ML_LINE_TOO_LONG;
            }
          return ML_LINE_NEED_MORE;
        }

      line_len = (gsize) (lf - p) + 1;
      self->start += line_len;

      if (self->skipping)
        {
          self->skipping = FALSE;
          continue;
        }
      if (line_len > self->max_line)
        return ML_LINE_TOO_LONG;

      content_len = line_len - 1;
      if (content_len > 0 && p[content_len - 1] == '\r')
        content_len--;
      else
        f |= ML_LINE_END_BARE_LF;
      for (gsize i = 0; i < content_len; i++)
        {
          if (p[i] == '\r')
            f |= ML_LINE_HAS_BARE_CR;
          else if (p[i] == '\0')
            f |= ML_LINE_HAS_NUL;
        }

      g_free (self->line);
      self->line = g_strndup ((const char *) p, content_len);
      *line = self->line;
      *len = content_len;
      if (flags)
        *flags = f;
      return ML_LINE_OK;
    }
}

gsize
ml_line_buffer_available (MlLineBuffer *self)
{
  return self->buf->len - self->start;
}

gsize
ml_line_buffer_take (MlLineBuffer *self, gsize max, GByteArray *out)
{
  gsize n = MIN (max, ml_line_buffer_available (self));

  g_byte_array_append (out, self->buf->data + self->start, n);
  self->start += n;
  return n;
}

void
ml_line_buffer_clear (MlLineBuffer *self)
{
  g_byte_array_set_size (self->buf, 0);
  self->start = 0;
  self->skipping = FALSE;
}

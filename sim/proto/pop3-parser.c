/* pop3-parser.c — POP3 commands, responses, byte-stuffing and APOP. */
#define G_LOG_DOMAIN "ml-pop3-parser"

#include <string.h>
#include "proto/pop3-parser.h"
#include "proto/line-buffer.h"

/* "4294967295": the most digits a guint holds. */
#define ML_POP3_MAX_NUMBER_DIGITS 10

G_DEFINE_QUARK (ml-pop3-response-error-quark, ml_pop3_response_error)

/* ---- commands ---- */

MlPop3CommandStatus
ml_pop3_command_parse (const char *line, gsize len, MlPop3Command *command_out)
{
  gsize start = 0, kw_end;

  g_return_val_if_fail (line != NULL || len == 0, ML_POP3_COMMAND_EMPTY);
  g_return_val_if_fail (command_out != NULL, ML_POP3_COMMAND_EMPTY);

  memset (command_out, 0, sizeof *command_out);

  /* RFC 1939 3: keywords and arguments are printable ASCII. Octets above
   * 0x7F are let through (a UTF-8 password is the user's business); the
   * controls are not, a NUL least of all, since it would cut the C string
   * every later reader sees. */
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) line[i];

      if (c < 0x20 || c == 0x7F)
        return ML_POP3_COMMAND_BAD_CHARACTER;
    }

  /* A blank typed before the keyword at the console is a slip, not a
   * different command. */
  while (start < len && line[start] == ' ')
    start++;
  if (start == len)
    return ML_POP3_COMMAND_EMPTY;

  kw_end = start;
  while (kw_end < len && line[kw_end] != ' ')
    kw_end++;

  command_out->keyword = g_ascii_strup (line + start, (gssize) (kw_end - start));
  /* One SPACE separates keyword and arguments (RFC 1939 3); the rest is
   * kept as sent, since PASS may treat spaces as part of the password
   * (RFC 1939 7). */
  if (kw_end < len)
    command_out->rest = g_strndup (line + kw_end + 1, len - kw_end - 1);
  else
    command_out->rest = g_strdup ("");

  {
    g_auto(GStrv) pieces = g_strsplit (command_out->rest, " ", -1);
    GPtrArray *args = g_ptr_array_new ();

    for (guint i = 0; pieces[i] != NULL; i++)
      if (pieces[i][0] != '\0')
        g_ptr_array_add (args, g_strdup (pieces[i]));
    g_ptr_array_add (args, NULL);
    command_out->args = (GStrv) g_ptr_array_free (args, FALSE);
  }
  return ML_POP3_COMMAND_OK;
}

void
ml_pop3_command_clear (MlPop3Command *command)
{
  if (command == NULL)
    return;
  g_clear_pointer (&command->keyword, g_free);
  g_clear_pointer (&command->rest, g_free);
  g_clear_pointer (&command->args, g_strfreev);
}

gboolean
ml_pop3_command_is_multiline (const char *keyword, guint n_args)
{
  g_return_val_if_fail (keyword != NULL, FALSE);

  if (g_ascii_strcasecmp (keyword, "CAPA") == 0 ||   /* RFC 2449 5 */
      g_ascii_strcasecmp (keyword, "RETR") == 0 ||   /* RFC 1939 5 */
      g_ascii_strcasecmp (keyword, "TOP") == 0)      /* RFC 1939 7 */
    return TRUE;
  /* With an argument they answer one "scan listing" or "unique-id
   * listing" on the status line (RFC 1939 5, 7). */
  if (g_ascii_strcasecmp (keyword, "LIST") == 0 ||
      g_ascii_strcasecmp (keyword, "UIDL") == 0)
    return n_args == 0;
  return FALSE;
}

gboolean
ml_pop3_parse_number (const char *text, guint *number_out)
{
  guint64 value = 0;
  gsize n;

  g_return_val_if_fail (number_out != NULL, FALSE);

  if (text == NULL)
    return FALSE;
  n = strlen (text);
  if (n == 0 || n > ML_POP3_MAX_NUMBER_DIGITS || strspn (text, "0123456789") != n)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    value = value * 10 + (guint64) (text[i] - '0');
  if (value > G_MAXUINT)
    return FALSE;
  *number_out = (guint) value;
  return TRUE;
}

/* ---- responses ---- */

struct _MlPop3ResponseParser
{
  MlLineBuffer   *lines;
  MlPop3Response *cur;       /* a multi-line response being read */
  GByteArray     *body;
  GString        *raw;
  /* Set on a bad body line: the rest of the body is read and dropped, and
   * the error is reported at its final ".". */
  gboolean        broken;
  gint            broken_code;
  char           *broken_message;
};

void
ml_pop3_response_free (MlPop3Response *response)
{
  if (response == NULL)
    return;
  g_free (response->text);
  g_free (response->resp_code);
  g_free (response->raw);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

GStrv
ml_pop3_response_dup_lines (const MlPop3Response *response)
{
  GPtrArray *lines;
  const char *p, *end;
  gsize size;

  g_return_val_if_fail (response != NULL, NULL);

  lines = g_ptr_array_new ();
  /* An empty body may have no data pointer at all. */
  if (response->body != NULL && g_bytes_get_size (response->body) > 0)
    {
      p = g_bytes_get_data (response->body, &size);
      end = p + size;
      while (p < end)
        {
          const char *lf = memchr (p, '\n', (gsize) (end - p));
          const char *stop = lf ? lf : end;
          const char *next = lf ? lf + 1 : end;

          if (stop > p && stop[-1] == '\r')
            stop--;
          g_ptr_array_add (lines, g_strndup (p, (gsize) (stop - p)));
          p = next;
        }
    }
  g_ptr_array_add (lines, NULL);
  return (GStrv) g_ptr_array_free (lines, FALSE);
}

char *
ml_pop3_dup_resp_code (const char *text)
{
  const char *close;

  g_return_val_if_fail (text != NULL, NULL);

  /* resp-code = "[" resp-level *("/" resp-level) "]", resp-level = 1*rchar,
   * rchar = printable ASCII except "/" and "]" (RFC 2449 3). */
  if (text[0] != '[')
    return NULL;
  close = strchr (text + 1, ']');
  if (close == NULL || close == text + 1)
    return NULL;
  for (const char *p = text + 1; p < close; p++)
    {
      if ((guchar) *p < 0x21 || (guchar) *p > 0x7E)
        return NULL;
      if (*p == '/' && (p == text + 1 || p[-1] == '/' || p + 1 == close))
        return NULL;
    }
  return g_strndup (text + 1, (gsize) (close - text - 1));
}

MlPop3ResponseParser *
ml_pop3_response_parser_new (void)
{
  MlPop3ResponseParser *self = g_new0 (MlPop3ResponseParser, 1);

  self->lines = ml_line_buffer_new (ML_POP3_MAX_RESPONSE_LINE);
  return self;
}

static void
drop_current (MlPop3ResponseParser *self)
{
  g_clear_pointer (&self->cur, ml_pop3_response_free);
  g_clear_pointer (&self->body, g_byte_array_unref);
  if (self->raw != NULL)
    {
      g_string_free (self->raw, TRUE);
      self->raw = NULL;
    }
  self->broken = FALSE;
  g_clear_pointer (&self->broken_message, g_free);
  ml_line_buffer_set_max (self->lines, ML_POP3_MAX_RESPONSE_LINE);
}

void
ml_pop3_response_parser_free (MlPop3ResponseParser *self)
{
  if (self == NULL)
    return;
  drop_current (self);
  ml_line_buffer_free (self->lines);
  g_free (self);
}

void
ml_pop3_response_parser_push (MlPop3ResponseParser *self, const guint8 *data, gsize len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);

  if (len > 0)
    ml_line_buffer_push (self->lines, data, len);
}

gsize
ml_pop3_response_parser_get_pending (MlPop3ResponseParser *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return ml_line_buffer_available (self->lines);
}

void
ml_pop3_response_parser_reset (MlPop3ResponseParser *self)
{
  g_return_if_fail (self != NULL);
  drop_current (self);
  ml_line_buffer_clear (self->lines);
}

static char *
make_valid (const char *text, gsize len)
{
  return g_utf8_make_valid (text, (gssize) len);
}

static void
mark_broken (MlPop3ResponseParser *self, MlPop3ResponseError code, const char *message)
{
  if (self->broken)
    return;
  self->broken = TRUE;
  self->broken_code = code;
  self->broken_message = g_strdup (message);
  /* Nothing of a broken body is handed out; stop holding it. */
  g_byte_array_set_size (self->body, 0);
  g_string_truncate (self->raw, 0);
}

/* status = "+OK" / "-ERR", then SP text or the end (RFC 2449 3). */
static MlPop3Response *
parse_status_line (const char *line, gsize len, GError **error)
{
  MlPop3Response *response;
  gsize skip;

  if (len >= 3 && memcmp (line, "+OK", 3) == 0 && (len == 3 || line[3] == ' '))
    skip = 3;
  else if (len >= 4 && memcmp (line, "-ERR", 4) == 0 && (len == 4 || line[4] == ' '))
    skip = 4;
  else if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' '))
    {
      /* RFC 5034 4: "+" SP base64, nothing else; a bare "+" is read as
       * the empty challenge too, since some servers drop the SP. */
      response = g_new0 (MlPop3Response, 1);
      response->challenge = TRUE;
      response->text = len > 2 ? make_valid (line + 2, len - 2) : g_strdup ("");
      response->raw = make_valid (line, len);
      return response;
    }
  else
    {
      g_autofree char *shown = make_valid (line, MIN (len, 40));

      g_set_error (error, ML_POP3_RESPONSE_ERROR, ML_POP3_RESPONSE_ERROR_BAD_STATUS,
                   "response does not start with \"+OK\" or \"-ERR\": \"%s\"", shown);
      return NULL;
    }

  response = g_new0 (MlPop3Response, 1);
  response->ok = (line[0] == '+');
  if (skip < len)
    response->text = make_valid (line + skip + 1, len - skip - 1);
  else
    response->text = g_strdup ("");
  response->resp_code = ml_pop3_dup_resp_code (response->text);
  response->raw = make_valid (line, len);
  return response;
}

static MlPop3ParseStatus
finish_body (MlPop3ResponseParser *self, MlPop3Response **response_out, GError **error)
{
  MlPop3Response *response;

  if (self->broken)
    {
      g_set_error_literal (error, ML_POP3_RESPONSE_ERROR, self->broken_code,
                           self->broken_message);
      drop_current (self);
      return ML_POP3_PARSE_ERROR;
    }
  response = g_steal_pointer (&self->cur);
  g_string_append (self->raw, "\n.");
  g_free (response->raw);
  response->raw = make_valid (self->raw->str, self->raw->len);
  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&self->body));
  drop_current (self);
  *response_out = response;
  return ML_POP3_PARSE_DONE;
}

static void
body_line (MlPop3ResponseParser *self, const char *line, gsize len)
{
  g_string_append_c (self->raw, '\n');
  g_string_append_len (self->raw, line, (gssize) len);

  /* Byte-stuffing (RFC 1939 3): a line that begins with the termination
   * octet and is not the end has that octet stripped. */
  if (len > 0 && line[0] == '.')
    {
      line++;
      len--;
    }
  if (self->body->len + len + 2 > ML_POP3_MAX_BODY_SIZE)
    {
      mark_broken (self, ML_POP3_RESPONSE_ERROR_TOO_BIG,
                   "multi-line response larger than " G_STRINGIFY (ML_POP3_MAX_BODY_SIZE) " octets");
      return;
    }
  g_byte_array_append (self->body, (const guint8 *) line, (guint) len);
  g_byte_array_append (self->body, (const guint8 *) "\r\n", 2);
}

MlPop3ParseStatus
ml_pop3_response_parser_next (MlPop3ResponseParser *self, gboolean multiline,
                              MlPop3Response **response_out, GError **error)
{
  g_return_val_if_fail (self != NULL, ML_POP3_PARSE_NEED_MORE);
  g_return_val_if_fail (response_out != NULL && *response_out == NULL, ML_POP3_PARSE_NEED_MORE);

  for (;;)
    {
      const char *line = NULL;
      gsize len = 0;
      MlLineFlags flags = ML_LINE_END_CRLF;
      MlLineStatus status;

      if (ml_line_buffer_available (self->lines) == 0)
        return ML_POP3_PARSE_NEED_MORE;
      status = ml_line_buffer_next (self->lines, &line, &len, &flags);
      if (status == ML_LINE_NEED_MORE)
        return ML_POP3_PARSE_NEED_MORE;

      if (self->cur != NULL)
        {
          /* In a body. A bare LF is taken as a line end: it is the
           * server's slip, and the message is still readable. */
          if (status == ML_LINE_TOO_LONG)
            {
              mark_broken (self, ML_POP3_RESPONSE_ERROR_LINE_TOO_LONG,
                           "multi-line response has a line longer than "
                           G_STRINGIFY (ML_POP3_MAX_BODY_LINE) " octets");
              continue;
            }
          if (len == 1 && line[0] == '.')
            return finish_body (self, response_out, error);
          if (!self->broken)
            body_line (self, line, len);
          continue;
        }

      if (status == ML_LINE_TOO_LONG)
        {
          g_set_error (error, ML_POP3_RESPONSE_ERROR, ML_POP3_RESPONSE_ERROR_LINE_TOO_LONG,
                       "response line longer than %u octets", ML_POP3_MAX_RESPONSE_LINE);
          return ML_POP3_PARSE_ERROR;
        }
      if (flags & ML_LINE_HAS_NUL)
        {
          g_set_error_literal (error, ML_POP3_RESPONSE_ERROR, ML_POP3_RESPONSE_ERROR_BAD_CHARACTER,
                               "NUL character in a response line");
          return ML_POP3_PARSE_ERROR;
        }
      {
        MlPop3Response *response = parse_status_line (line, len, error);

        if (response == NULL)
          return ML_POP3_PARSE_ERROR;
        if (!response->ok || !multiline)
          {
            *response_out = response;
            return ML_POP3_PARSE_DONE;
          }
        response->multiline = TRUE;
        self->cur = response;
        self->body = g_byte_array_new ();
        self->raw = g_string_new_len (line, (gssize) len);
        ml_line_buffer_set_max (self->lines, ML_POP3_MAX_BODY_LINE);
      }
    }
}

/* ---- framing ---- */

static guint64
stuff (GByteArray *out, const guint8 *data, gsize len, gint64 max_body_lines)
{
  gsize pos = 0;
  guint64 size = 0;
  gboolean in_body = FALSE;
  gint64 body_lines = 0;

  while (pos < len)
    {
      const guint8 *lf = memchr (data + pos, '\n', len - pos);
      gsize end = lf ? (gsize) (lf - data) : len;
      gsize next = lf ? end + 1 : len;
      gsize content = end - pos;

      if (content > 0 && data[end - 1] == '\r')
        content--;

      if (in_body)
        {
          /* TOP (RFC 1939 7): the header, the blank line, then n lines. */
          if (max_body_lines >= 0 && body_lines >= max_body_lines)
            break;
          body_lines++;
        }
      else if (content == 0)
        in_body = TRUE;

      if (out != NULL)
        {
          if (content > 0 && data[pos] == '.')
            g_byte_array_append (out, (const guint8 *) ".", 1);
          g_byte_array_append (out, data + pos, (guint) content);
          g_byte_array_append (out, (const guint8 *) "\r\n", 2);
        }
      size += content + 2;
      pos = next;
    }
  return size;
}

guint64
ml_pop3_append_stuffed (GByteArray *out, const guint8 *data, gsize len, gint64 max_body_lines)
{
  g_return_val_if_fail (out != NULL, 0);
  g_return_val_if_fail (data != NULL || len == 0, 0);
  return stuff (out, data, len, max_body_lines);
}

guint64
ml_pop3_measure (const guint8 *data, gsize len)
{
  g_return_val_if_fail (data != NULL || len == 0, 0);
  return stuff (NULL, data, len, -1);
}

/* ---- APOP (RFC 1939 7) ---- */

char *
ml_pop3_dup_timestamp (const char *greeting_text)
{
  const char *p;

  g_return_val_if_fail (greeting_text != NULL, NULL);

  /* timestamp = "<" *VCHAR ">", an RFC 822 msg-id (RFC 2449 3): so at
   * least an "@", and no blanks. */
  for (p = strchr (greeting_text, '<'); p != NULL; p = strchr (p + 1, '<'))
    {
      const char *q = p + 1;
      gboolean at = FALSE;

      while (*q != '\0' && *q != '>' && (guchar) *q > 0x20 && (guchar) *q < 0x7F && *q != '<')
        {
          if (*q == '@')
            at = TRUE;
          q++;
        }
      if (*q == '>' && at)
        return g_strndup (p, (gsize) (q - p + 1));
    }
  return NULL;
}

char *
ml_pop3_apop_digest (const char *timestamp, const char *secret)
{
  g_autoptr(GChecksum) md5 = NULL;

  g_return_val_if_fail (timestamp != NULL, NULL);
  g_return_val_if_fail (secret != NULL, NULL);

  md5 = g_checksum_new (G_CHECKSUM_MD5);
  g_checksum_update (md5, (const guchar *) timestamp, (gssize) strlen (timestamp));
  g_checksum_update (md5, (const guchar *) secret, (gssize) strlen (secret));
  /* GChecksum's hex string is lower-case, as RFC 1939 7 wants. */
  return g_strdup (g_checksum_get_string (md5));
}

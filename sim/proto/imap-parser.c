#define G_LOG_DOMAIN "ml-imap-parser"

#include <string.h>
#include "proto/imap-parser.h"

/* Longest literal announcement we wait for: "{" + 20 digits + "+}" CRLF. */
#define LITERAL_HEADER_MAX 26
/* Kept when skipping a line in pieces, so a "{n}" at its end is still seen. */
#define SKIP_KEEP_TAIL     LITERAL_HEADER_MAX

struct _MlImapParser
{
  GByteArray  *in;
  gsize        base;          /* first byte of the current command */
  gsize        pos;           /* next byte to read */
  gsize        seg_start;     /* where the current line piece starts (the
                                 command's start, or after a literal) */
  gsize        line_used;     /* line octets in earlier pieces */
  gsize        max_line;
  guint64      max_literal;

  GStringChunk *chunk;
  GString      *scratch;
  guint         depth;
  gboolean      at_eol;

  /* The literal announced at lit_at (an offset from base) and not read. */
  gboolean      lit_pending;
  gsize         lit_at;
  gsize         lit_data;      /* absolute: first octet after "{n}CRLF" */
  guint64       lit_size;
  gboolean      lit_nonsync;

  MlImapParseError error;
  const char      *error_message;

  gboolean      skipping;
  guint64       skip_octets;   /* literal octets still to drop */

  /* read_args state */
  GPtrArray    *pool;          /* every MlImapArg, owned */
  GPtrArray    *root;
  GPtrArray    *stack;         /* GPtrArray* of the open lists */
  guint         n_args;
  gboolean      args_done;
};

static void
arg_free (gpointer data)
{
  MlImapArg *arg = data;

  if (arg->children != NULL)
    g_ptr_array_unref (arg->children);
  g_free (arg);
}

MlImapParser *
ml_imap_parser_new (gsize max_line, guint64 max_literal)
{
  MlImapParser *self = g_new0 (MlImapParser, 1);

  self->in = g_byte_array_new ();
  self->max_line = max_line != 0 ? max_line : ML_IMAP_MAX_LINE;
  self->max_literal = max_literal != 0 ? max_literal : ML_IMAP_MAX_LITERAL;
  self->chunk = g_string_chunk_new (1024);
  self->scratch = g_string_new (NULL);
  self->pool = g_ptr_array_new_with_free_func (arg_free);
  self->stack = g_ptr_array_new ();
  return self;
}

void
ml_imap_parser_free (MlImapParser *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->in);
  g_string_chunk_free (self->chunk);
  g_string_free (self->scratch, TRUE);
  g_ptr_array_unref (self->pool);
  g_ptr_array_unref (self->stack);
  if (self->root != NULL)
    g_ptr_array_unref (self->root);
  g_free (self);
}

void
ml_imap_parser_set_max_literal (MlImapParser *self, guint64 max_literal)
{
  g_return_if_fail (self != NULL);
  self->max_literal = max_literal != 0 ? max_literal : ML_IMAP_MAX_LITERAL;
}

void
ml_imap_parser_feed (MlImapParser *self, const guint8 *data, gsize len)
{
  g_return_if_fail (self != NULL);
  if (len == 0)
    return;
  g_byte_array_append (self->in, data, len);
}

gsize
ml_imap_parser_get_buffered (MlImapParser *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->in->len - self->base;
}

static MlImapParseStatus
fail (MlImapParser *self, MlImapParseError error, const char *message)
{
  self->error = error;
  self->error_message = message;
  return ML_IMAP_PARSE_ERROR;
}

/* Called before answering NEED_MORE: a line that has no end yet must not
 * grow past the limit. */
static MlImapParseStatus
need_more (MlImapParser *self, gsize rewind_to)
{
  self->pos = rewind_to;
  if (self->line_used + (self->in->len - self->seg_start) > self->max_line)
    return fail (self, ML_IMAP_PARSE_ERROR_LINE_TOO_LONG, "line too long");
  return ML_IMAP_PARSE_NEED_MORE;
}

static gboolean
is_atom_byte (guint8 c, MlImapReadFlags flags)
{
  if (c <= 0x20 || c >= 0x7f)
    return FALSE;
  switch (c)
    {
    case '(': case ')': case '{': case '"':
      return FALSE;
    case '[': case ']':
      return (flags & ML_IMAP_READ_BRACKETS) == 0;
    default:
      return TRUE;
    }
}

static void
set_token (MlImapParser *self, MlImapToken *token, MlImapTokenKind kind,
           const char *data, gsize len, gboolean spaced, gsize start)
{
  memset (token, 0, sizeof *token);
  token->kind = kind;
  token->data = data != NULL ? data : "";
  token->len = len;
  token->spaced = spaced;
  token->depth = self->depth;
  token->offset = start - self->base;
}

static MlImapParseStatus
read_quoted (MlImapParser *self, gsize start, gsize q, gboolean spaced,
             MlImapToken *token)
{
  const guint8 *d = self->in->data;
  gsize i;

  /* RFC 3501 9: quoted = DQUOTE *QUOTED-CHAR DQUOTE, where only DQUOTE and
   * backslash are escaped and CR/LF can never appear. */
  g_string_truncate (self->scratch, 0);
  for (i = q + 1; i < self->in->len; i++)
    {
      guint8 c = d[i];

      if (c == '"')
        {
          const char *copy = g_string_chunk_insert_len (self->chunk, self->scratch->str,
                                                        self->scratch->len);
          self->pos = i + 1;
          set_token (self, token, ML_IMAP_TOKEN_QUOTED, copy, self->scratch->len,
                     spaced, q);
          return ML_IMAP_PARSE_OK;
        }
      if (c == '\\')
        {
          if (i + 1 >= self->in->len)
            break;
          c = d[++i];
          if (c != '"' && c != '\\')
            return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX,
                         "only \\\" and \\\\ may be escaped in a quoted string");
        }
      else if (c == '\r' || c == '\n')
        return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX,
                     "a quoted string cannot hold CR or LF; use a literal");
      else if (c == '\0')
        return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "NUL in a quoted string");
      g_string_append_c (self->scratch, (char) c);
    }
  return need_more (self, start);
}

static MlImapParseStatus
read_literal (MlImapParser *self, gsize start, gsize brace, gboolean spaced,
              MlImapToken *token)
{
  const guint8 *d = self->in->data;
  gsize i = brace + 1, digits = 0, data_at;
  guint64 size = 0;
  gboolean nonsync = FALSE;

  while (i < self->in->len && g_ascii_isdigit (d[i]))
    {
      if (++digits > 20)
        return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "literal size too long");
      if (size > (G_MAXUINT64 - 9) / 10)
        size = G_MAXUINT64;
      else
        size = size * 10 + (d[i] - '0');
      i++;
    }
  if (i >= self->in->len)
    return need_more (self, start);
  if (digits == 0)
    return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "literal without a size");
  if (d[i] == '+')
    {
      nonsync = TRUE;
      if (++i >= self->in->len)
        return need_more (self, start);
    }
  if (d[i] != '}')
    return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "malformed literal announcement");
  i++;
  /* RFC 3501 4.3: the announcement is the last thing on its line. */
  if (i >= self->in->len)
    return need_more (self, start);
  if (d[i] == '\r')
    {
      if (i + 1 >= self->in->len)
        return need_more (self, start);
      if (d[i + 1] != '\n')
        return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "literal announcement not followed by CRLF");
      i += 2;
    }
  else if (d[i] == '\n')
    i++;
  else
    return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "literal announcement not at the end of the line");
  data_at = i;

  if (self->line_used + (data_at - self->seg_start) > self->max_line)
    return fail (self, ML_IMAP_PARSE_ERROR_LINE_TOO_LONG, "line too long");

  if (!self->lit_pending || self->lit_at != start - self->base)
    {
      self->lit_pending = TRUE;
      self->lit_at = start - self->base;
      self->lit_data = data_at;
      self->lit_size = size;
      self->lit_nonsync = nonsync;
      if (size > self->max_literal)
        {
          self->pos = data_at;
          return fail (self, ML_IMAP_PARSE_ERROR_LITERAL_TOO_BIG, "literal too big");
        }
      if (self->in->len - data_at < size)
        {
          self->pos = start;
          return ML_IMAP_PARSE_LITERAL;
        }
    }
  if (self->in->len - data_at < size)
    {
      self->pos = start;
      return ML_IMAP_PARSE_NEED_MORE;
    }

  {
    const char *copy = g_string_chunk_insert_len (self->chunk, (const char *) d + data_at,
                                                  (gssize) size);
    set_token (self, token, ML_IMAP_TOKEN_LITERAL, copy, (gsize) size, spaced, brace);
    token->nonsync = nonsync;
  }
  self->line_used += data_at - self->seg_start;
  self->pos = data_at + (gsize) size;
  self->seg_start = self->pos;
  self->lit_pending = FALSE;
  return ML_IMAP_PARSE_OK;
}

MlImapParseStatus
ml_imap_parser_next (MlImapParser *self, MlImapReadFlags flags, MlImapToken *token)
{
  const guint8 *d;
  gsize start, i;
  gboolean spaced = FALSE;
  guint8 c;

  g_return_val_if_fail (self != NULL && token != NULL, ML_IMAP_PARSE_ERROR);

  if (self->error != ML_IMAP_PARSE_ERROR_NONE)
    return ML_IMAP_PARSE_ERROR;
  if (self->at_eol)
    {
      set_token (self, token, ML_IMAP_TOKEN_EOL, NULL, 0, FALSE, self->pos);
      return ML_IMAP_PARSE_OK;
    }

  d = self->in->data;
  start = self->pos;
  i = start;
  while (i < self->in->len && d[i] == ' ')
    {
      spaced = TRUE;
      i++;
    }
  if (i >= self->in->len)
    return need_more (self, start);
  if (self->line_used + (i - self->seg_start) > self->max_line)
    return fail (self, ML_IMAP_PARSE_ERROR_LINE_TOO_LONG, "line too long");

  c = d[i];
  switch (c)
    {
    case '\r':
      if (i + 1 >= self->in->len)
        return need_more (self, start);
      if (d[i + 1] != '\n')
        return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "CR not followed by LF");
      set_token (self, token, ML_IMAP_TOKEN_EOL, NULL, 0, spaced, i);
      self->pos = i + 2;
      self->at_eol = TRUE;
      return ML_IMAP_PARSE_OK;

    case '\n':
      set_token (self, token, ML_IMAP_TOKEN_EOL, NULL, 0, spaced, i);
      token->bare_lf = TRUE;
      self->pos = i + 1;
      self->at_eol = TRUE;
      return ML_IMAP_PARSE_OK;

    case '(':
      if (self->depth >= ML_IMAP_MAX_LIST_DEPTH)
        return fail (self, ML_IMAP_PARSE_ERROR_TOO_DEEP, "lists nested too deep");
      set_token (self, token, ML_IMAP_TOKEN_LIST_BEGIN, NULL, 0, spaced, i);
      self->depth++;
      self->pos = i + 1;
      return ML_IMAP_PARSE_OK;

    case ')':
      if (self->depth == 0)
        return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "\")\" without \"(\"");
      self->depth--;
      set_token (self, token, ML_IMAP_TOKEN_LIST_END, NULL, 0, spaced, i);
      self->pos = i + 1;
      return ML_IMAP_PARSE_OK;

    case '"':
      return read_quoted (self, start, i, spaced, token);

    case '{':
      return read_literal (self, start, i, spaced, token);

    default:
      break;
    }

  if ((flags & ML_IMAP_READ_BRACKETS) != 0 && (c == '[' || c == ']'))
    {
      set_token (self, token, c == '[' ? ML_IMAP_TOKEN_BRACKET_BEGIN
                                       : ML_IMAP_TOKEN_BRACKET_END,
                 NULL, 0, spaced, i);
      self->pos = i + 1;
      return ML_IMAP_PARSE_OK;
    }

  {
    gsize a = i;
    const char *copy;

    while (a < self->in->len && is_atom_byte (d[a], flags))
      a++;
    if (a >= self->in->len)
      return need_more (self, start);
    c = d[a];
    if (a == i || !(c == ' ' || c == '\r' || c == '\n' || c == '(' || c == ')'
                    || ((flags & ML_IMAP_READ_BRACKETS) != 0 && (c == '[' || c == ']'))))
      {
        if (c == '{' && a > i && d[a - 1] == '~')
          return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "literal8 (RFC 3516 BINARY) is not supported");
        if (c >= 0x80)
          return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "8-bit octet outside a string");
        if (c < 0x20 || c == 0x7f)
          return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "control character in an atom");
        return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "unexpected character in an atom");
      }
    copy = g_string_chunk_insert_len (self->chunk, (const char *) d + i, (gssize) (a - i));
    set_token (self, token,
               (a - i == 3 && g_ascii_strncasecmp (copy, "NIL", 3) == 0)
                 ? ML_IMAP_TOKEN_NIL : ML_IMAP_TOKEN_ATOM,
               copy, a - i, spaced, i);
    self->pos = a;
    return ML_IMAP_PARSE_OK;
  }
}

MlImapParseStatus
ml_imap_parser_next_text (MlImapParser *self, MlImapToken *token)
{
  const guint8 *d, *lf;
  gsize start, end;
  const char *copy;

  g_return_val_if_fail (self != NULL && token != NULL, ML_IMAP_PARSE_ERROR);

  if (self->error != ML_IMAP_PARSE_ERROR_NONE)
    return ML_IMAP_PARSE_ERROR;
  if (self->at_eol)
    {
      set_token (self, token, ML_IMAP_TOKEN_TEXT, NULL, 0, FALSE, self->pos);
      return ML_IMAP_PARSE_OK;
    }
  d = self->in->data;
  start = self->pos;
  lf = start < self->in->len ? memchr (d + start, '\n', self->in->len - start) : NULL;
  if (lf == NULL)
    return need_more (self, start);
  end = (gsize) (lf - d);
  if (self->line_used + (end + 1 - self->seg_start) > self->max_line)
    return fail (self, ML_IMAP_PARSE_ERROR_LINE_TOO_LONG, "line too long");
  if (end > start && d[end - 1] == '\r')
    end--;
  if (start < end && d[start] == ' ')
    start++;
  copy = g_string_chunk_insert_len (self->chunk, (const char *) d + start,
                                    (gssize) (end - start));
  set_token (self, token, ML_IMAP_TOKEN_TEXT, copy, end - start,
             start != self->pos, start);
  self->pos = end;
  return ML_IMAP_PARSE_OK;
}

static MlImapArg *
new_arg (MlImapParser *self, const MlImapToken *token)
{
  MlImapArg *arg = g_new0 (MlImapArg, 1);

  arg->kind = token->kind;
  arg->data = token->data;
  arg->len = token->len;
  arg->spaced = token->spaced;
  arg->nonsync = token->nonsync;
  arg->offset = token->offset;
  g_ptr_array_add (self->pool, arg);
  return arg;
}

MlImapParseStatus
ml_imap_parser_read_args (MlImapParser *self, GPtrArray **args_out)
{
  g_return_val_if_fail (self != NULL && args_out != NULL, ML_IMAP_PARSE_ERROR);

  *args_out = NULL;
  if (self->root == NULL)
    {
      self->root = g_ptr_array_new ();
      g_ptr_array_add (self->stack, self->root);
    }
  if (self->args_done)
    {
      *args_out = self->root;
      return ML_IMAP_PARSE_OK;
    }

  for (;;)
    {
      MlImapToken token;
      MlImapParseStatus status = ml_imap_parser_next (self, ML_IMAP_READ_DEFAULT, &token);
      GPtrArray *current;
      MlImapArg *arg;

      if (status == ML_IMAP_PARSE_LITERAL)
        *args_out = self->root;
      if (status != ML_IMAP_PARSE_OK)
        return status;
      current = g_ptr_array_index (self->stack, self->stack->len - 1);
      switch (token.kind)
        {
        case ML_IMAP_TOKEN_EOL:
          if (self->stack->len > 1)
            return fail (self, ML_IMAP_PARSE_ERROR_SYNTAX, "unbalanced \"(\"");
          self->args_done = TRUE;
          *args_out = self->root;
          return ML_IMAP_PARSE_OK;

        case ML_IMAP_TOKEN_LIST_END:
          g_ptr_array_set_size (self->stack, self->stack->len - 1);
          continue;

        default:
          break;
        }
      if (++self->n_args > ML_IMAP_MAX_ARGS)
        return fail (self, ML_IMAP_PARSE_ERROR_TOO_MANY_ARGS, "too many arguments");
      arg = new_arg (self, &token);
      g_ptr_array_add (current, arg);
      if (token.kind == ML_IMAP_TOKEN_LIST_BEGIN)
        {
          arg->kind = ML_IMAP_TOKEN_LIST;
          arg->children = g_ptr_array_new ();
          g_ptr_array_add (self->stack, arg->children);
        }
    }
}

gboolean
ml_imap_parser_get_literal (MlImapParser *self, guint64 *size, gboolean *nonsync)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!self->lit_pending)
    return FALSE;
  if (size != NULL)
    *size = self->lit_size;
  if (nonsync != NULL)
    *nonsync = self->lit_nonsync;
  return TRUE;
}

MlImapParseError
ml_imap_parser_get_error (MlImapParser *self)
{
  g_return_val_if_fail (self != NULL, ML_IMAP_PARSE_ERROR_NONE);
  return self->error;
}

const char *
ml_imap_parser_get_error_message (MlImapParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->error_message != NULL ? self->error_message : "";
}

/* If the line piece ending just before @lf ends in "{n}" or "{n+}", the size
 * and form of that literal. RFC 7888 3: "the receiver checks … for an open
 * brace … immediately preceding the CRLF". */
static gboolean
line_ends_in_literal (const guint8 *d, gsize from, gsize lf, guint64 *size, gboolean *nonsync)
{
  gsize e = lf, b;
  guint64 n = 0;

  if (e > from && d[e - 1] == '\r')
    e--;
  if (e <= from || d[e - 1] != '}')
    return FALSE;
  e--;
  *nonsync = FALSE;
  if (e > from && d[e - 1] == '+')
    {
      *nonsync = TRUE;
      e--;
    }
  b = e;
  while (b > from && g_ascii_isdigit (d[b - 1]) && e - b < 20)
    b--;
  if (b == e || b == from || d[b - 1] != '{')
    return FALSE;
  for (; b < e; b++)
    n = n > (G_MAXUINT64 - 9) / 10 ? G_MAXUINT64 : n * 10 + (d[b] - '0');
  *size = n;
  return TRUE;
}

MlImapParseStatus
ml_imap_parser_skip_command (MlImapParser *self)
{
  g_return_val_if_fail (self != NULL, ML_IMAP_PARSE_ERROR);

  if (!self->skipping)
    {
      self->skipping = TRUE;
      self->skip_octets = 0;
      if (self->at_eol)
        goto done;
      if (self->lit_pending)
        {
          /* RFC 3501 7.5: without "+" the client sends no octets, and the
           * command is over. A "{n+}" literal's octets come anyway. */
          self->pos = self->lit_data;
          if (!self->lit_nonsync)
            goto done;
          self->skip_octets = self->lit_size;
        }
    }

  for (;;)
    {
      const guint8 *d = self->in->data;
      const guint8 *lf;
      guint64 size;
      gboolean nonsync;

      if (self->skip_octets > 0)
        {
          gsize avail = self->in->len - self->pos;
          gsize take = (gsize) MIN ((guint64) avail, self->skip_octets);

          self->pos += take;
          self->skip_octets -= take;
          if (self->skip_octets > 0)
            {
              g_byte_array_remove_range (self->in, 0, self->pos);
              self->base = self->pos = self->seg_start = 0;
              return ML_IMAP_PARSE_NEED_MORE;
            }
          self->seg_start = self->pos;
          continue;
        }
      lf = self->pos < self->in->len
        ? memchr (d + self->pos, '\n', self->in->len - self->pos) : NULL;
      if (lf == NULL)
        {
          /* Drop what was read, keeping a tail where "{n}" may begin. */
          gsize drop = self->in->len > SKIP_KEEP_TAIL ? self->in->len - SKIP_KEEP_TAIL : 0;

          if (drop > 0)
            {
              g_byte_array_remove_range (self->in, 0, drop);
              self->base = 0;
              self->seg_start = self->seg_start > drop ? self->seg_start - drop : 0;
            }
          self->pos = self->in->len;
          return ML_IMAP_PARSE_NEED_MORE;
        }
      self->pos = (gsize) (lf - d) + 1;
      if (line_ends_in_literal (d, self->seg_start, (gsize) (lf - d), &size, &nonsync))
        {
          if (!nonsync)
            goto done;
          self->skip_octets = size;
          self->seg_start = self->pos;
          if (size == 0)
            continue;
          continue;
        }
      goto done;
    }

done:
  self->at_eol = TRUE;
  self->lit_pending = FALSE;
  self->skipping = FALSE;
  return ML_IMAP_PARSE_OK;
}

const guint8 *
ml_imap_parser_get_raw (MlImapParser *self, gsize *len)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (len != NULL)
    *len = self->pos - self->base;
  return self->in->data + self->base;
}

void
ml_imap_parser_reset (MlImapParser *self)
{
  g_return_if_fail (self != NULL);

  self->base = self->pos;
  /* Move the rest to the front only when it is worth it, so many small
   * pipelined commands stay linear. */
  if (self->base > 4096 && self->base * 2 > self->in->len)
    {
      g_byte_array_remove_range (self->in, 0, self->base);
      self->base = 0;
    }
  else if (self->base == self->in->len)
    {
      g_byte_array_set_size (self->in, 0);
      self->base = 0;
    }
  self->pos = self->seg_start = self->base;
  self->line_used = 0;
  self->depth = 0;
  self->at_eol = FALSE;
  self->lit_pending = FALSE;
  self->error = ML_IMAP_PARSE_ERROR_NONE;
  self->error_message = NULL;
  self->skipping = FALSE;
  self->skip_octets = 0;
  g_string_chunk_clear (self->chunk);
  g_ptr_array_set_size (self->pool, 0);
  g_ptr_array_set_size (self->stack, 0);
  if (self->root != NULL)
    g_ptr_array_unref (self->root);
  self->root = NULL;
  self->n_args = 0;
  self->args_done = FALSE;
}

/* --- arguments ------------------------------------------------------------ */

gboolean
ml_imap_arg_get_atom (const MlImapArg *arg, const char **out)
{
  if (arg == NULL || (arg->kind != ML_IMAP_TOKEN_ATOM && arg->kind != ML_IMAP_TOKEN_NIL))
    return FALSE;
  *out = arg->data;
  return TRUE;
}

gboolean
ml_imap_arg_get_string (const MlImapArg *arg, const char **out, gsize *len)
{
  if (arg == NULL || (arg->kind != ML_IMAP_TOKEN_QUOTED && arg->kind != ML_IMAP_TOKEN_LITERAL))
    return FALSE;
  *out = arg->data;
  if (len != NULL)
    *len = arg->len;
  return TRUE;
}

gboolean
ml_imap_arg_get_astring (const MlImapArg *arg, const char **out, gsize *len)
{
  if (arg == NULL)
    return FALSE;
  switch (arg->kind)
    {
    case ML_IMAP_TOKEN_ATOM:
    case ML_IMAP_TOKEN_NIL:
    case ML_IMAP_TOKEN_QUOTED:
    case ML_IMAP_TOKEN_LITERAL:
      *out = arg->data;
      if (len != NULL)
        *len = arg->len;
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
ml_imap_arg_get_nstring (const MlImapArg *arg, const char **out, gsize *len)
{
  if (arg != NULL && arg->kind == ML_IMAP_TOKEN_NIL)
    {
      *out = NULL;
      if (len != NULL)
        *len = 0;
      return TRUE;
    }
  return ml_imap_arg_get_string (arg, out, len);
}

gboolean
ml_imap_arg_get_number (const MlImapArg *arg, guint32 *out)
{
  if (arg == NULL || arg->kind != ML_IMAP_TOKEN_ATOM)
    return FALSE;
  return ml_imap_parse_number (arg->data, arg->len, out);
}

gboolean
ml_imap_arg_is_list (const MlImapArg *arg)
{
  return arg != NULL && arg->kind == ML_IMAP_TOKEN_LIST;
}

gboolean
ml_imap_parse_number (const char *text, gsize len, guint32 *out)
{
  guint64 n = 0;
  gsize i;

  if (text == NULL || len == 0 || len > 10)
    return FALSE;
  for (i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      n = n * 10 + (guint64) (text[i] - '0');
    }
  if (n > G_MAXUINT32)
    return FALSE;
  *out = (guint32) n;
  return TRUE;
}

/* --- dates ------------------------------------------------------------------ */

static const char *const month_names[12] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun",
  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static int
parse_month (const char *s)
{
  int m;

  for (m = 0; m < 12; m++)
    if (g_ascii_strncasecmp (s, month_names[m], 3) == 0)
      return m + 1;
  return 0;
}

static gboolean
parse_digits (const char **p, guint min, guint max, guint *out)
{
  guint n = 0, count = 0;

  while (count < max && g_ascii_isdigit (**p))
    {
      n = n * 10 + (guint) (**p - '0');
      (*p)++;
      count++;
    }
  if (count < min)
    return FALSE;
  *out = n;
  return TRUE;
}

/* day "-" month "-" year; leaves *p after the year. */
static gboolean
parse_date_text (const char **p, gboolean fixed_day, guint *day, int *month, guint *year)
{
  if (fixed_day && **p == ' ')
    (*p)++;
  if (!parse_digits (p, 1, 2, day) || **p != '-')
    return FALSE;
  (*p)++;
  if (strlen (*p) < 3 || (*month = parse_month (*p)) == 0)
    return FALSE;
  *p += 3;
  if (**p != '-')
    return FALSE;
  (*p)++;
  if (!parse_digits (p, 4, 4, year))
    return FALSE;
  return *day >= 1 && g_date_valid_dmy ((GDateDay) *day, (GDateMonth) *month, (GDateYear) *year);
}

gboolean
ml_imap_parse_date (const char *text, GDate *out)
{
  const char *p = text;
  guint day, year;
  int month;

  g_return_val_if_fail (out != NULL, FALSE);
  if (text == NULL || !parse_date_text (&p, FALSE, &day, &month, &year) || *p != '\0')
    return FALSE;
  g_date_clear (out, 1);
  g_date_set_dmy (out, (GDateDay) day, (GDateMonth) month, (GDateYear) year);
  return TRUE;
}

GDateTime *
ml_imap_parse_date_time (const char *text)
{
  const char *p = text;
  guint day, year, hh, mm, ss, zh, zm;
  int month, sign;
  g_autoptr (GTimeZone) tz = NULL;
  char zone[8];

  /* RFC 3501 9: date-day-fixed "-" date-month "-" date-year SP time SP zone */
  if (text == NULL || !parse_date_text (&p, TRUE, &day, &month, &year) || *p++ != ' ')
    return NULL;
  if (!parse_digits (&p, 2, 2, &hh) || *p++ != ':'
      || !parse_digits (&p, 2, 2, &mm) || *p++ != ':'
      || !parse_digits (&p, 2, 2, &ss) || *p++ != ' ')
    return NULL;
  if (*p != '+' && *p != '-')
    return NULL;
  sign = *p++ == '-' ? -1 : 1;
  if (!parse_digits (&p, 2, 2, &zh) || !parse_digits (&p, 2, 2, &zm) || *p != '\0')
    return NULL;
  if (hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59)
    return NULL;
  g_snprintf (zone, sizeof zone, "%c%02u:%02u", sign < 0 ? '-' : '+', zh, zm);
  tz = g_time_zone_new_identifier (zone);
  if (tz == NULL)
    return NULL;
  return g_date_time_new (tz, (gint) year, month, (gint) day, (gint) hh, (gint) mm,
                          ss > 59 ? 59 : ss);
}

char *
ml_imap_format_date_time (gint64 unix_sec, int offset_minutes)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (unix_sec);
  g_autoptr (GDateTime) local = NULL;
  int off = ABS (offset_minutes);

  if (utc == NULL)
    return g_strdup ("01-Jan-1970 00:00:00 +0000");
  local = g_date_time_add_minutes (utc, offset_minutes);
  if (local == NULL)
    local = g_date_time_ref (utc), off = 0, offset_minutes = 0;
  /* date-day-fixed is two characters: a space pads days below 10. */
  return g_strdup_printf ("%2d-%s-%04d %02d:%02d:%02d %c%02d%02d",
                          g_date_time_get_day_of_month (local),
                          month_names[g_date_time_get_month (local) - 1],
                          g_date_time_get_year (local),
                          g_date_time_get_hour (local),
                          g_date_time_get_minute (local),
                          g_date_time_get_second (local),
                          offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
}

/* --- sections ----------------------------------------------------------------- */

gboolean
ml_imap_section_parse_spec (const char *spec, gsize len, MlImapSection *out)
{
  gsize i = 0;
  g_autofree char *rest = NULL;

  g_return_val_if_fail (out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  if (spec == NULL)
    return len == 0;

  /* RFC 3501 9: section-part = nz-number *("." nz-number) */
  while (i < len && g_ascii_isdigit (spec[i]))
    {
      gsize b = i;
      guint32 n;

      while (i < len && g_ascii_isdigit (spec[i]))
        i++;
      if (!ml_imap_parse_number (spec + b, i - b, &n) || n == 0
          || out->n_parts >= ML_IMAP_MAX_SECTION_PARTS)
        return FALSE;
      out->parts[out->n_parts++] = n;
      if (i == len)
        return TRUE;
      if (spec[i] != '.' || i + 1 == len)
        return FALSE;
      i++;
    }
  rest = g_strndup (spec + i, len - i);
  if (strlen (rest) != len - i)
    return FALSE;
  if (*rest == '\0')
    return out->n_parts == 0;
  if (g_ascii_strcasecmp (rest, "HEADER") == 0)
    out->kind = ML_IMAP_SECTION_HEADER;
  else if (g_ascii_strcasecmp (rest, "HEADER.FIELDS") == 0)
    out->kind = ML_IMAP_SECTION_HEADER_FIELDS;
  else if (g_ascii_strcasecmp (rest, "HEADER.FIELDS.NOT") == 0)
    out->kind = ML_IMAP_SECTION_HEADER_FIELDS_NOT;
  else if (g_ascii_strcasecmp (rest, "TEXT") == 0)
    out->kind = ML_IMAP_SECTION_TEXT;
  else if (g_ascii_strcasecmp (rest, "MIME") == 0 && out->n_parts > 0)
    out->kind = ML_IMAP_SECTION_MIME;
  else
    return FALSE;
  if (out->kind == ML_IMAP_SECTION_HEADER_FIELDS
      || out->kind == ML_IMAP_SECTION_HEADER_FIELDS_NOT)
    out->fields = g_ptr_array_new_with_free_func (g_free);
  return TRUE;
}

void
ml_imap_section_add_field (MlImapSection *self, const char *field, gsize len)
{
  g_return_if_fail (self != NULL && self->fields != NULL);
  g_ptr_array_add (self->fields, g_strndup (field, len));
}

void
ml_imap_section_clear (MlImapSection *self)
{
  if (self == NULL)
    return;
  if (self->fields != NULL)
    g_ptr_array_unref (self->fields);
  memset (self, 0, sizeof *self);
}

gboolean
ml_imap_parse_partial (const char *text, gsize len, gboolean has_length,
                       guint32 *offset, guint32 *length)
{
  gsize i = 1, b;

  if (text == NULL || len < 3 || text[0] != '<' || text[len - 1] != '>')
    return FALSE;
  b = i;
  while (i < len - 1 && g_ascii_isdigit (text[i]))
    i++;
  if (!ml_imap_parse_number (text + b, i - b, offset))
    return FALSE;
  if (!has_length)
    return i == len - 1;
  /* RFC 3501 9: partial = "<" number "." nz-number ">" */
  if (text[i] != '.')
    return FALSE;
  b = ++i;
  while (i < len - 1 && g_ascii_isdigit (text[i]))
    i++;
  if (i != len - 1 || !ml_imap_parse_number (text + b, i - b, length) || *length == 0)
    return FALSE;
  return TRUE;
}

char *
ml_imap_section_to_string (const MlImapSection *self)
{
  GString *s = g_string_new (NULL);
  guint i;
  static const char *const kinds[] = {
    "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME",
  };

  g_return_val_if_fail (self != NULL, NULL);
  for (i = 0; i < self->n_parts; i++)
    g_string_append_printf (s, "%s%u", i > 0 ? "." : "", self->parts[i]);
  if (self->kind != ML_IMAP_SECTION_FULL)
    {
      if (self->n_parts > 0)
        g_string_append_c (s, '.');
      g_string_append (s, kinds[self->kind]);
    }
  if (self->fields != NULL)
    {
      g_string_append (s, " (");
      for (i = 0; i < self->fields->len; i++)
        {
          g_autofree char *up = g_ascii_strup (g_ptr_array_index (self->fields, i), -1);

          if (i > 0)
            g_string_append_c (s, ' ');
          ml_imap_append_astring (s, up, strlen (up));
        }
      g_string_append_c (s, ')');
    }
  return g_string_free (s, FALSE);
}

/* --- writing ------------------------------------------------------------------ */

static gboolean
is_astring_atom (const char *s, gsize len)
{
  gsize i;

  if (len == 0 || (len == 3 && g_ascii_strncasecmp (s, "NIL", 3) == 0))
    return FALSE;
  for (i = 0; i < len; i++)
    {
      guint8 c = (guint8) s[i];

      /* RFC 3501 9 ASTRING-CHAR: ATOM-CHAR or "]"; not atom-specials
       * "(" ")" "{" SP CTL "%" "*" DQUOTE "\" */
      if (c <= 0x20 || c >= 0x7f || strchr ("(){%*\"\\", c) != NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
can_be_quoted (const char *s, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++)
    {
      guint8 c = (guint8) s[i];

      if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
        return FALSE;
    }
  return TRUE;
}

void
ml_imap_append_string (GString *out, const char *s, gsize len)
{
  gsize i;

  if (!can_be_quoted (s, len))
    {
      g_string_append_printf (out, "{%" G_GSIZE_FORMAT "}\r\n", len);
      g_string_append_len (out, s, (gssize) len);
      return;
    }
  g_string_append_c (out, '"');
  for (i = 0; i < len; i++)
    {
      if (s[i] == '"' || s[i] == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, s[i]);
    }
  g_string_append_c (out, '"');
}

void
ml_imap_append_astring (GString *out, const char *s, gsize len)
{
  if (is_astring_atom (s, len))
    g_string_append_len (out, s, (gssize) len);
  else
    ml_imap_append_string (out, s, len);
}

void
ml_imap_append_nstring (GString *out, const char *s, gsize len)
{
  if (s == NULL)
    g_string_append (out, "NIL");
  else
    ml_imap_append_string (out, s, len);
}

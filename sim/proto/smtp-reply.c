#define G_LOG_DOMAIN "ml-smtp-reply"

#include <string.h>
#include "proto/line-buffer.h"
#include "proto/smtp-reply.h"

G_DEFINE_QUARK (ml-smtp-reply-error-quark, ml_smtp_reply_error)

/* ---- MlSmtpReply ---- */

static gboolean
is_digit_in (char c, char lo, char hi)
{
  return c >= lo && c <= hi;
}

/* 1*3digit, as RFC 3463 2 writes subject and detail. */
static gsize
span_1_3_digits (const char *p)
{
  gsize n = 0;

  while (n < 4 && g_ascii_isdigit (p[n]))
    n++;
  return (n >= 1 && n <= 3) ? n : 0;
}

gsize
ml_smtp_enhanced_code_span (const char *text, guint code)
{
  const char *p = text;
  gsize n;

  g_return_val_if_fail (text != NULL, 0);

  /* RFC 3463 2: class "." subject "." detail; RFC 2034 4: the class agrees
   * with the reply code's first digit, so a 3yz reply never has one. */
  if (!is_digit_in (p[0], '2', '5') || p[0] == '3' || (guint) (p[0] - '0') != code / 100)
    return 0;
  if (p[1] != '.')
    return 0;
  p += 2;
  if ((n = span_1_3_digits (p)) == 0 || p[n] != '.')
    return 0;
  p += n + 1;
  if ((n = span_1_3_digits (p)) == 0)
    return 0;
  p += n;
  if (*p != '\0' && *p != ' ')
    return 0;
  return (gsize) (p - text);
}

MlSmtpReply *
ml_smtp_reply_new (guint code, const char *enhanced, const char *text)
{
  MlSmtpReply *reply;
  const char *lines[2] = { NULL, NULL };
  g_autofree char *line = NULL;

  g_return_val_if_fail (code >= 200 && code <= 599, NULL);

  reply = g_new0 (MlSmtpReply, 1);

  if (text == NULL)
    text = "";
  line = enhanced ? g_strconcat (enhanced, *text ? " " : "", text, NULL) : g_strdup (text);
  lines[0] = line;
  reply->code = code;
  reply->enhanced = g_strdup (enhanced);
  reply->lines = g_strdupv ((char **) lines);
  reply->raw = g_strdup_printf ("%03u%s%s", code, *line ? " " : "", line);
  return reply;
}

MlSmtpReply *
ml_smtp_reply_copy (const MlSmtpReply *reply)
{
  MlSmtpReply *copy;

  g_return_val_if_fail (reply != NULL, NULL);

  copy = g_new0 (MlSmtpReply, 1);
  copy->code = reply->code;
  copy->enhanced = g_strdup (reply->enhanced);
  copy->lines = g_strdupv (reply->lines);
  copy->raw = g_strdup (reply->raw);
  return copy;
}

void
ml_smtp_reply_free (MlSmtpReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->enhanced);
  g_strfreev (reply->lines);
  g_free (reply->raw);
  g_free (reply);
}

char *
ml_smtp_reply_dup_text (const MlSmtpReply *reply)
{
  GString *text;
  gsize elen;

  g_return_val_if_fail (reply != NULL, NULL);

  text = g_string_new (NULL);
  elen = reply->enhanced ? strlen (reply->enhanced) : 0;
  for (guint i = 0; reply->lines[i] != NULL; i++)
    {
      const char *line = reply->lines[i];

      /* RFC 2034 4: every line of a reply repeats the status code. */
      if (elen > 0 && strncmp (line, reply->enhanced, elen) == 0
          && (line[elen] == ' ' || line[elen] == '\0'))
        {
          line += elen;
          if (*line == ' ')
            line++;
        }
      if (i > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, line);
    }
  return g_string_free (text, FALSE);
}

guint
ml_smtp_reply_get_class (const MlSmtpReply *reply)
{
  g_return_val_if_fail (reply != NULL, 0);
  return reply->code / 100;
}

/* ---- parser ---- */

struct _MlSmtpReplyParser
{
  MlLineBuffer *lines_in;
  guint         code;     /* of the reply being read, 0 between replies */
  GPtrArray    *texts;    /* char*, owned; NULL-terminated when handed out */
  GString      *raw;
};

MlSmtpReplyParser *
ml_smtp_reply_parser_new (void)
{
  MlSmtpReplyParser *self = g_new0 (MlSmtpReplyParser, 1);

  self->lines_in = ml_line_buffer_new (ML_SMTP_REPLY_MAX_LINE);
  self->texts = g_ptr_array_new_with_free_func (g_free);
  self->raw = g_string_new (NULL);
  return self;
}

void
ml_smtp_reply_parser_free (MlSmtpReplyParser *self)
{
  if (self == NULL)
    return;
  ml_line_buffer_free (self->lines_in);
  g_ptr_array_unref (self->texts);
  g_string_free (self->raw, TRUE);
  g_free (self);
}

void
ml_smtp_reply_parser_push (MlSmtpReplyParser *self, const guint8 *data, gsize len)
{
  g_return_if_fail (self != NULL);
  ml_line_buffer_push (self->lines_in, data, len);
}

static void
drop_partial (MlSmtpReplyParser *self)
{
  self->code = 0;
  g_ptr_array_set_size (self->texts, 0);
  g_string_truncate (self->raw, 0);
}

void
ml_smtp_reply_parser_reset (MlSmtpReplyParser *self)
{
  g_return_if_fail (self != NULL);
  ml_line_buffer_clear (self->lines_in);
  drop_partial (self);
}

static MlSmtpReply *
take_reply (MlSmtpReplyParser *self)
{
  MlSmtpReply *reply = g_new0 (MlSmtpReply, 1);
  gsize elen;

  reply->code = self->code;
  g_ptr_array_add (self->texts, NULL);
  reply->lines = (GStrv) g_ptr_array_steal (self->texts, NULL);
  reply->raw = g_strndup (self->raw->str, self->raw->len);
  elen = ml_smtp_enhanced_code_span (reply->lines[0], reply->code);
  if (elen > 0)
    reply->enhanced = g_strndup (reply->lines[0], elen);
  drop_partial (self);
  return reply;
}

/* Returns TRUE when @line ends the reply. */
static gboolean
add_line (MlSmtpReplyParser *self, const char *line, gsize len, MlLineFlags flags,
          GError **error)
{
  guint code;
  gboolean last;

  if (flags & ML_LINE_HAS_NUL)
    {
      g_set_error_literal (error, ML_SMTP_REPLY_ERROR, ML_SMTP_REPLY_ERROR_BAD_CHARACTER,
                           "NUL byte inside a reply line");
      return FALSE;
    }

  /* RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39, then SP (last
   * line), "-" (more lines follow), or nothing at all, which clients must
   * accept although servers should not send it. */
  if (len < 3 || !is_digit_in (line[0], '2', '5') || !is_digit_in (line[1], '0', '5')
      || !is_digit_in (line[2], '0', '9') || (len > 3 && line[3] != ' ' && line[3] != '-'))
    {
      g_set_error (error, ML_SMTP_REPLY_ERROR, ML_SMTP_REPLY_ERROR_BAD_CODE,
                   "not a reply line (expected a code 200–559 then SP or \"-\"): \"%.40s\"",
                   line);
      return FALSE;
    }
  code = (guint) ((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
  last = len == 3 || line[3] == ' ';

  /* RFC 5321 4.2.1: every line of a multi-line reply carries the same code. */
  if (self->code != 0 && code != self->code)
    {
      g_set_error (error, ML_SMTP_REPLY_ERROR, ML_SMTP_REPLY_ERROR_MIXED_CODES,
                   "reply code %03u inside a multi-line reply of %03u", code, self->code);
      return FALSE;
    }
  if (self->texts->len >= ML_SMTP_REPLY_MAX_LINES)
    {
      g_set_error (error, ML_SMTP_REPLY_ERROR, ML_SMTP_REPLY_ERROR_TOO_MANY_LINES,
                   "multi-line reply longer than %u lines", ML_SMTP_REPLY_MAX_LINES);
      return FALSE;
    }

  self->code = code;
  g_ptr_array_add (self->texts, g_strndup (len > 4 ? line + 4 : "", len > 4 ? len - 4 : 0));
  if (self->raw->len > 0)
    g_string_append_c (self->raw, '\n');
  g_string_append_len (self->raw, line, (gssize) len);
  return last;
}

MlSmtpReplyStatus
ml_smtp_reply_parser_next (MlSmtpReplyParser *self, MlSmtpReply **reply_out, GError **error)
{
  g_return_val_if_fail (self != NULL, ML_SMTP_REPLY_ERROR);
  g_return_val_if_fail (reply_out != NULL, ML_SMTP_REPLY_ERROR);

  *reply_out = NULL;
  for (;;)
    {
      const char *line;
      gsize len;
      MlLineFlags flags = 0;
      GError *local_error = NULL;

      /* An empty MlLineBuffer may have no storage at all yet. */
      if (ml_line_buffer_available (self->lines_in) == 0)
        return ML_SMTP_REPLY_NEED_MORE;

      switch (ml_line_buffer_next (self->lines_in, &line, &len, &flags))
        {
        case ML_LINE_NEED_MORE:
          return ML_SMTP_REPLY_NEED_MORE;

        case ML_LINE_TOO_LONG:
          drop_partial (self);
          g_set_error (error, ML_SMTP_REPLY_ERROR, ML_SMTP_REPLY_ERROR_LINE_TOO_LONG,
                       "reply line longer than %u octets (RFC 5321 4.5.3.1.5)",
                       ML_SMTP_REPLY_MAX_LINE);
          return ML_SMTP_REPLY_ERROR;

        case ML_LINE_OK:
          if (add_line (self, line, len, flags, &local_error))
            {
              *reply_out = take_reply (self);
              return ML_SMTP_REPLY_DONE;
            }
          if (local_error != NULL)
            {
              drop_partial (self);
              g_propagate_error (error, local_error);
              return ML_SMTP_REPLY_ERROR;
            }
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

/* ---- EHLO capabilities ---- */

struct _MlSmtpCapabilities
{
  MlSmtpExtension extensions;
  guint64         size_max;
  GStrv           auth;
  char           *domain;
  GHashTable     *keywords;  /* upper-cased keyword → parameters, owned */
};

static const struct {
  const char     *keyword;
  MlSmtpExtension ext;
} known_extensions[] = {
  { "PIPELINING",          ML_SMTP_EXT_PIPELINING },
  { "SIZE",                ML_SMTP_EXT_SIZE },
  { "8BITMIME",            ML_SMTP_EXT_8BITMIME },
  { "ENHANCEDSTATUSCODES", ML_SMTP_EXT_ENHANCEDSTATUSCODES },
  { "STARTTLS",            ML_SMTP_EXT_STARTTLS },
  { "AUTH",                ML_SMTP_EXT_AUTH },
  { "DSN",                 ML_SMTP_EXT_DSN },
  { "SMTPUTF8",            ML_SMTP_EXT_SMTPUTF8 },
  { "CHUNKING",            ML_SMTP_EXT_CHUNKING },
  { "BINARYMIME",          ML_SMTP_EXT_BINARYMIME },
};

MlSmtpCapabilities *
ml_smtp_capabilities_new (void)
{
  MlSmtpCapabilities *self = g_new0 (MlSmtpCapabilities, 1);

  self->auth = g_new0 (char *, 1);
  self->keywords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
ml_smtp_capabilities_free (MlSmtpCapabilities *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->auth);
  g_free (self->domain);
  g_hash_table_unref (self->keywords);
  g_free (self);
}

/* RFC 5321 4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static gboolean
is_ehlo_keyword (const char *p, gsize len)
{
  if (len == 0 || !g_ascii_isalnum (p[0]))
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!g_ascii_isalnum (p[i]) && p[i] != '-')
      return FALSE;
  return TRUE;
}

static void
add_keyword (MlSmtpCapabilities *self, const char *line)
{
  const char *sp = strchr (line, ' ');
  gsize klen = sp ? (gsize) (sp - line) : strlen (line);
  g_autofree char *keyword = NULL;
  const char *params = sp ? sp + 1 : "";

  /* "AUTH=LOGIN PLAIN" predates RFC 4954 (old Outlook needed it); servers
   * still send it beside the real line, so read it as AUTH. */
  if (klen > 5 && g_ascii_strncasecmp (line, "AUTH=", 5) == 0)
    {
      params = line + 5;
      klen = 4;
    }
  if (!is_ehlo_keyword (line, klen))
    return;

  keyword = g_ascii_strup (line, (gssize) klen);
  while (*params == ' ')
    params++;

  for (gsize i = 0; i < G_N_ELEMENTS (known_extensions); i++)
    if (strcmp (keyword, known_extensions[i].keyword) == 0)
      self->extensions |= known_extensions[i].ext;

  if (strcmp (keyword, "SIZE") == 0)
    {
      guint64 v = 0;

      /* RFC 1870 4: no number, or 0, means no fixed maximum. A number we
       * cannot read counts as none too: the server still refuses with 552
       * if the message is too large. */
      if (*params && g_ascii_string_to_unsigned (params, 10, 0, G_MAXUINT64, &v, NULL))
        self->size_max = v;
    }
  else if (strcmp (keyword, "AUTH") == 0)
    {
      g_autofree char *up = g_ascii_strup (params, -1);
      g_auto(GStrv) mechs = g_strsplit (up, " ", -1);
      GPtrArray *all = g_ptr_array_new ();

      for (guint i = 0; self->auth[i]; i++)
        g_ptr_array_add (all, g_strdup (self->auth[i]));
      g_ptr_array_add (all, NULL);
      for (guint i = 0; mechs[i]; i++)
        {
          if (*mechs[i] == '\0' || g_strv_contains ((const char * const *) all->pdata, mechs[i]))
            continue;
          all->pdata[all->len - 1] = g_strdup (mechs[i]);
          g_ptr_array_add (all, NULL);
        }
      g_strfreev (self->auth);
      self->auth = (GStrv) g_ptr_array_free (all, FALSE);
    }

  /* A keyword offered twice: the first line's parameters count, except AUTH
   * whose mechanisms were merged above. */
  if (!g_hash_table_contains (self->keywords, keyword))
    g_hash_table_insert (self->keywords, g_steal_pointer (&keyword), g_strdup (params));
}

MlSmtpCapabilities *
ml_smtp_capabilities_parse (const MlSmtpReply *ehlo_reply)
{
  MlSmtpCapabilities *self = ml_smtp_capabilities_new ();
  const char *first;
  gsize dlen;

  g_return_val_if_fail (ehlo_reply != NULL, self);

  /* RFC 2920 3, RFC 1870 4, …: an extension is offered only in a 250
   * reply to EHLO. */
  if (ml_smtp_reply_get_class (ehlo_reply) != 2 || ehlo_reply->lines[0] == NULL)
    return self;

  first = ehlo_reply->lines[0];
  dlen = strcspn (first, " ");
  if (dlen > 0)
    self->domain = g_strndup (first, dlen);

  /* RFC 5321 4.1.1.1 ehlo-ok-rsp: the first line is the domain and a
   * greeting; every later line is one ehlo-line. */
  for (guint i = 1; ehlo_reply->lines[i] != NULL; i++)
    add_keyword (self, ehlo_reply->lines[i]);
  return self;
}

MlSmtpExtension
ml_smtp_capabilities_get_extensions (const MlSmtpCapabilities *self)
{
  g_return_val_if_fail (self != NULL, ML_SMTP_EXT_NONE);
  return self->extensions;
}

gboolean
ml_smtp_capabilities_has (const MlSmtpCapabilities *self, MlSmtpExtension ext)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return (self->extensions & ext) == ext && ext != ML_SMTP_EXT_NONE;
}

guint64
ml_smtp_capabilities_get_size_max (const MlSmtpCapabilities *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->size_max;
}

const char * const *
ml_smtp_capabilities_get_auth_mechanisms (const MlSmtpCapabilities *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char * const *) self->auth;
}

const char *
ml_smtp_capabilities_lookup (const MlSmtpCapabilities *self, const char *keyword)
{
  g_autofree char *up = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (keyword != NULL, NULL);

  up = g_ascii_strup (keyword, -1);
  return g_hash_table_lookup (self->keywords, up);
}

const char *
ml_smtp_capabilities_get_domain (const MlSmtpCapabilities *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->domain;
}

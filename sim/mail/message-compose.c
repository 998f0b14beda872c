#define G_LOG_DOMAIN "ml-compose"

#include <string.h>
#include <gmime/gmime.h>
#include "mail/message-compose.h"
#include "mail/rfc5322-date.h"

/* RFC 5322 2.1.1: lines SHOULD stay within 78 characters. The body is the
 * teacher's text and is sent as written; only headers are folded by us. */

static gboolean
is_ascii (const char *s)
{
  for (; *s; s++)
    if ((guchar) *s >= 0x80)
      return FALSE;
  return TRUE;
}

static void
append_crlf_text (GString *out, const char *text)
{
  for (const char *p = text; *p; p++)
    {
      if (*p == '\r' && p[1] == '\n')
        continue;
      if (*p == '\n')
        g_string_append (out, "\r\n");
      else
        g_string_append_c (out, *p);
    }
}

/* The lines of @text end in CRLF, and none is longer than SMTP allows
 * (RFC 5321 4.5.3.1.6), so it can travel as 7bit or 8bit (RFC 2045 2.7). */
static gboolean
lines_fit (const char *text)
{
  gsize len = 0;

  for (const char *p = text; *p; p++)
    {
      if (*p == '\n')
        len = 0;
      else if (*p != '\r' && ++len > 998)
        return FALSE;
    }
  return TRUE;
}

/* A MIME parameter (RFC 2045 5.1): a quoted-string when it is printable
 * ASCII, else RFC 2231 4 "name*=utf-8''%XX" percent-encoding. */
static void
append_param (GString *out, const char *name, const char *value)
{
  gboolean plain = TRUE;

  for (const char *p = value; *p; p++)
    if ((guchar) *p < 0x20 || (guchar) *p >= 0x7f)
      plain = FALSE;
  if (plain)
    {
      g_string_append_printf (out, "; %s=\"", name);
      for (const char *p = value; *p; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (out, '\\');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
      return;
    }
  g_string_append_printf (out, "; %s*=utf-8''", name);
  for (const char *p = value; *p; p++)
    {
      guchar c = (guchar) *p;

      if (g_ascii_isalnum (c) || strchr ("!#$&+-.^_`|~", c) != NULL)
        g_string_append_c (out, (char) c);
      else
        g_string_append_printf (out, "%%%02X", c);
    }
}

/* RFC 2045 6.8, in lines of 76 characters. */
static void
append_base64 (GString *out, const char *data, gsize len)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) data, len);
  gsize n = strlen (encoded);

  for (gsize i = 0; i < n; i += ML_COMPOSE_BASE64_LINE)
    {
      g_string_append_len (out, encoded + i, (gssize) MIN (ML_COMPOSE_BASE64_LINE, n - i));
      g_string_append (out, "\r\n");
    }
}

static void
append_attachment (GString *out, const MlComposeAttachment *a)
{
  const char *type = a->content_type ? a->content_type : "text/plain";
  const char *content = a->content ? a->content : "";
  gboolean text = g_ascii_strncasecmp (type, "text/", 5) == 0;

  g_string_append_printf (out, "Content-Type: %s", type);
  if (text)
    g_string_append (out, "; charset=utf-8");
  append_param (out, "name", a->filename);
  g_string_append (out, "\r\nContent-Disposition: attachment");
  append_param (out, "filename", a->filename);
  g_string_append (out, "\r\n");
  /* RFC 2045 6.2, 6.8: text that fits an SMTP line goes as it is; any
   * other type, or long lines, in base64, as mail programs send files. */
  if (text && lines_fit (content))
    {
      g_string_append_printf (out, "Content-Transfer-Encoding: %s\r\n\r\n",
                              is_ascii (content) ? "7bit" : "8bit");
      append_crlf_text (out, content);
    }
  else
    {
      g_string_append (out, "Content-Transfer-Encoding: base64\r\n\r\n");
      append_base64 (out, content, strlen (content));
    }
}

/* A boundary no part contains (RFC 2046 5.1.1), made from the Message-ID
 * so the same run gives the same bytes. */
static char *
choose_boundary (const MlComposeSpec *spec)
{
  for (guint n = 0;; n++)
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA1,
                                                              spec->message_id, -1);
      char *boundary = g_strdup_printf ("=_maillab_%.16s_%u", hash, n);
      gboolean clash = spec->body != NULL && strstr (spec->body, boundary) != NULL;

      for (gsize i = 0; i < spec->n_attachments && !clash; i++)
        clash = spec->attachments[i].content != NULL &&
                strstr (spec->attachments[i].content, boundary) != NULL;
      if (!clash)
        return boundary;
      g_free (boundary);
    }
}

GBytes *
ml_message_compose (const MlComposeSpec *spec)
{
  GString *out = g_string_new (NULL);
  g_autofree char *date = ml_rfc5322_date_format (spec->date_unix);
  g_autofree char *to = g_strjoinv (", ", (char **) spec->to);
  gboolean body_ascii = is_ascii (spec->body ? spec->body : "");

  g_string_append_printf (out, "From: %s\r\n", spec->from);
  g_string_append_printf (out, "To: %s\r\n", to);
  if (spec->subject != NULL)
    {
      if (is_ascii (spec->subject))
        g_string_append_printf (out, "Subject: %s\r\n", spec->subject);
      else
        {
          /* RFC 2047 encoded-words, from GMime rather than by hand. */
          g_autofree char *encoded = g_mime_utils_header_encode_text (NULL, spec->subject, "utf-8");
          g_string_append_printf (out, "Subject: %s\r\n", encoded);
        }
    }
  g_string_append_printf (out, "Date: %s\r\n", date);
  g_string_append_printf (out, "Message-ID: <%s>\r\n", spec->message_id);
  if (spec->user_agent)
    g_string_append_printf (out, "User-Agent: %s\r\n", spec->user_agent);
  g_string_append (out, "MIME-Version: 1.0\r\n");
  if (spec->n_attachments > 0)
    {
      g_autofree char *boundary = choose_boundary (spec);
      gsize n = MIN (spec->n_attachments, ML_COMPOSE_MAX_ATTACHMENTS);

      g_string_append_printf (out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n",
                              boundary);
      g_string_append (out, "\r\n");
      /* RFC 2046 5.1.1: a preamble only readers without MIME show. */
      g_string_append (out, "This is a message with attachments, in MIME format.\r\n");
      g_string_append_printf (out, "\r\n--%s\r\n", boundary);
      g_string_append (out, "Content-Type: text/plain; charset=utf-8\r\n");
      g_string_append_printf (out, "Content-Transfer-Encoding: %s\r\n\r\n",
                              body_ascii ? "7bit" : "8bit");
      append_crlf_text (out, spec->body ? spec->body : "");
      for (gsize i = 0; i < n; i++)
        {
          /* RFC 2046 5.1.1: the CRLF before "--" belongs to the boundary. */
          g_string_append_printf (out, "\r\n--%s\r\n", boundary);
          append_attachment (out, &spec->attachments[i]);
        }
      g_string_append_printf (out, "\r\n--%s--\r\n", boundary);
      return g_string_free_to_bytes (out);
    }
  g_string_append (out, "Content-Type: text/plain; charset=utf-8\r\n");
  /* RFC 2045 6.2: 8bit only when there is 8-bit data; it is what makes the
   * client ask for BODY=8BITMIME (RFC 6152). */
  g_string_append_printf (out, "Content-Transfer-Encoding: %s\r\n", body_ascii ? "7bit" : "8bit");
  g_string_append (out, "\r\n");
  append_crlf_text (out, spec->body ? spec->body : "");
  if (out->len < 2 || strcmp (out->str + out->len - 2, "\r\n") != 0)
    g_string_append (out, "\r\n");
  return g_string_free_to_bytes (out);
}

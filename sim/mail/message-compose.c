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

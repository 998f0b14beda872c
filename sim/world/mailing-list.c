/* mailing-list.c — the list's rewrite of a message (mailing-list.h).
 */
#define G_LOG_DOMAIN "ml-mailing-list"

#include <string.h>
#include "world/mailing-list.h"

struct _MlMailingList
{
  char  *address;
  char  *local;      /* before the '@' */
  char  *domain;
  GStrv  members;
  char  *footer;     /* LF line ends as the lesson wrote it, or NULL */
  char  *prefix;     /* "[team]" or NULL */
};

MlMailingList *
ml_mailing_list_new (const MlLessonList *list)
{
  MlMailingList *self = g_new0 (MlMailingList, 1);
  const char *at = strrchr (list->address, '@');

  self->address = g_strdup (list->address);
  self->local = at ? g_strndup (list->address, (gsize) (at - list->address)) : g_strdup (list->address);
  self->domain = g_strdup (at ? at + 1 : "");
  self->members = g_strdupv (list->members);
  self->footer = g_strdup (list->footer);
  self->prefix = g_strdup (list->subject_prefix);
  return self;
}

void
ml_mailing_list_free (MlMailingList *self)
{
  if (self == NULL)
    return;
  g_free (self->address);
  g_free (self->local);
  g_free (self->domain);
  g_strfreev (self->members);
  g_free (self->footer);
  g_free (self->prefix);
  g_free (self);
}

const char *
ml_mailing_list_get_address (MlMailingList *self)
{
  return self->address;
}

gboolean
ml_mailing_list_matches (MlMailingList *self, const char *address)
{
  return address != NULL && g_ascii_strcasecmp (address, self->address) == 0;
}

const char * const *
ml_mailing_list_get_members (MlMailingList *self)
{
  return (const char * const *) self->members;
}

char *
ml_mailing_list_dup_bounce_address (MlMailingList *self)
{
  /* Mailman's VERP-less bounce address: errors go to the list, not to
   * the author (RFC 5321 3.9.2). */
  return g_strdup_printf ("%s-bounces@%s", self->local, self->domain);
}

/* Appends @text with its LF line ends as CRLF (RFC 5322 2.1). */
static void
append_crlf_text (GString *out, const char *text)
{
  for (const char *p = text; *p; p++)
    {
      if (*p == '\n')
        g_string_append (out, "\r\n");
      else if (*p != '\r')
        g_string_append_c (out, *p);
    }
}

GBytes *
ml_mailing_list_rewrite (MlMailingList *self, GBytes *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  g_autofree char *copy = g_strndup (data, len);
  const char *body = strstr (copy, "\r\n\r\n");
  gsize header_len = body ? (gsize) (body - copy) + 2 : len;
  GString *out = g_string_sized_new (len + 256);
  const char *p = copy, *header_end = copy + header_len;
  gboolean subject_done = FALSE;

  /* The header, line by line: the Subject gets the prefix once (Mailman
   * does not add it again on a reply that already has it). */
  while (p < header_end)
    {
      const char *eol = strstr (p, "\r\n");
      gsize n = eol ? (gsize) (eol - p) + 2 : (gsize) (header_end - p);

      if (!subject_done && self->prefix != NULL && n >= 8 &&
          g_ascii_strncasecmp (p, "Subject:", 8) == 0)
        {
          const char *v = p + 8;

          while (*v == ' ' || *v == '\t')
            v++;
          g_string_append (out, "Subject: ");
          if (strncmp (v, self->prefix, strlen (self->prefix)) != 0)
            g_string_append_printf (out, "%s ", self->prefix);
          g_string_append_len (out, v, (gssize) (n - (gsize) (v - p)));
          subject_done = TRUE;
        }
      else
        g_string_append_len (out, p, (gssize) n);
      p += n;
    }
  /* RFC 2919 3: List-Id: phrase <list-label.domain>; RFC 2369 3.4:
   * List-Post: <mailto:address>. */
  g_string_append_printf (out, "List-Id: <%s.%s>\r\n", self->local, self->domain);
  g_string_append_printf (out, "List-Post: <mailto:%s>\r\n", self->address);
  if (body == NULL)
    {
      g_string_append (out, "\r\n");
      body = "";
    }
  else
    body += 2;
  g_string_append (out, body);
  /* The footer after the author's text: the change that breaks the DKIM
   * body hash (RFC 6376 3.4.4 forgives whitespace, never new text). */
  if (self->footer != NULL && self->footer[0] != '\0')
    {
      if (out->len >= 2 && strcmp (out->str + out->len - 2, "\r\n") != 0)
        g_string_append (out, "\r\n");
      g_string_append (out, "-- \r\n");
      append_crlf_text (out, self->footer);
      if (strcmp (out->str + out->len - 2, "\r\n") != 0)
        g_string_append (out, "\r\n");
    }
  return g_string_free_to_bytes (out);
}

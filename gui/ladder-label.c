#define G_LOG_DOMAIN "ml-ladder-label"

#include <string.h>
#include "ladder-label.h"

/* The first line of @text and how many lines it holds. */
static char *
first_line (const char *text, guint *n_lines)
{
  const char *nl;

  *n_lines = 0;
  if (text == NULL)
    return g_strdup ("");
  *n_lines = 1;
  for (const char *p = text; (p = strchr (p, '\n')) != NULL; p++)
    {
      /* A trailing newline ends the last line; it opens no new one. */
      if (p[1] != '\0')
        (*n_lines)++;
    }
  nl = strchr (text, '\n');
  return nl ? g_strndup (text, nl - text) : g_strdup (text);
}

/* Lines joined by ", ": DNS answers, a frame summary. */
static char *
one_line (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  GString *s = g_string_new (NULL);

  for (guint i = 0; lines[i]; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] == '\0')
        continue;
      if (s->len)
        g_string_append (s, ", ");
      g_string_append (s, lines[i]);
    }
  return g_string_free (s, FALSE);
}

static char *
format_dialogue (const MlTraceEvent *event)
{
  g_autofree char *line = NULL;
  guint n_lines;
  const char *who = event->direction == ML_DIR_CLIENT_TO_SERVER ? "C" : "S";

  line = first_line (event->text, &n_lines);
  if (n_lines > 1)
    return g_strdup_printf ("%s: %s …(%u lines)", who, line, n_lines);
  return g_strdup_printf ("%s: %s", who, line);
}

char *
ml_ladder_label_format (const MlTraceEvent *event)
{
  g_autofree char *detail = NULL;

  g_return_val_if_fail (event != NULL, NULL);

  switch (event->kind)
    {
    case ML_TRACE_DIALOGUE:
      return format_dialogue (event);
    case ML_TRACE_FRAME:
      return one_line (event->text);
    case ML_TRACE_STATE:
      return g_strdup_printf ("%s %s → %s", ml_protocol_to_string (event->protocol),
                              event->state_from ? event->state_from : "start",
                              event->state_to ? event->state_to : "?");
    case ML_TRACE_DNS:
      detail = one_line (event->detail);
      if (*detail == '\0')
        return g_strdup_printf ("DNS %s → (no answer)", event->text ? event->text : "");
      return g_strdup_printf ("DNS %s → %s", event->text ? event->text : "", detail);
    case ML_TRACE_STORE:
      return g_strdup_printf ("store %s %s uid %u · %s",
                              event->text ? event->text : "change",
                              event->mailbox ? event->mailbox : "",
                              event->uid,
                              event->account ? event->account : "");
    case ML_TRACE_NOTE:
    default:
      {
        guint n_lines;
        return first_line (event->text, &n_lines);
      }
    }
}

/* IMAP status responses (RFC 9051 7.1): "tag NO …", "* BAD …". */
static MlLadderTone
imap_tone (const char *text)
{
  const char *sp = text ? strchr (text, ' ') : NULL;

  if (sp == NULL)
    return ML_LADDER_TONE_REPLY;
  if (g_ascii_strncasecmp (sp + 1, "NO ", 3) == 0)
    return ML_LADDER_TONE_WARNING;
  if (g_ascii_strncasecmp (sp + 1, "BAD ", 4) == 0)
    return ML_LADDER_TONE_ERROR;
  return ML_LADDER_TONE_REPLY;
}

MlLadderTone
ml_ladder_label_tone (const MlTraceEvent *event)
{
  g_return_val_if_fail (event != NULL, ML_LADDER_TONE_MARK);

  switch (event->kind)
    {
    case ML_TRACE_FRAME:
      if (event->dropped)
        return ML_LADDER_TONE_ERROR;
      if (event->retransmission)
        return ML_LADDER_TONE_WARNING;
      return ML_LADDER_TONE_PACKET;
    case ML_TRACE_DIALOGUE:
      if (event->direction == ML_DIR_CLIENT_TO_SERVER)
        return ML_LADDER_TONE_COMMAND;
      /* RFC 5321 4.2.1: the first digit says success (2), intermediate
       * (3), transient (4) or permanent (5) failure. */
      if (event->code >= 500)
        return ML_LADDER_TONE_ERROR;
      if (event->code >= 400)
        return ML_LADDER_TONE_WARNING;
      if (event->protocol == ML_PROTO_POP3 && event->text
          && g_str_has_prefix (event->text, "-ERR"))   /* RFC 1939 3 */
        return ML_LADDER_TONE_ERROR;
      if (event->protocol == ML_PROTO_IMAP)
        return imap_tone (event->text);
      return ML_LADDER_TONE_REPLY;
    case ML_TRACE_STATE:
    case ML_TRACE_DNS:
    case ML_TRACE_STORE:
    case ML_TRACE_NOTE:
    default:
      return ML_LADDER_TONE_MARK;
    }
}

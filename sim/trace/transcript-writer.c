#define G_LOG_DOMAIN "ml-transcript"

#include "trace/transcript-writer.h"

#include <errno.h>
#include <string.h>

/* Column widths, in characters (not bytes: host names are ASCII but the
 * arrow is not). Wider values push the rest of the line right instead of
 * being cut, so nothing a teacher needs ever disappears. */
#define ML_TRANSCRIPT_TIME_COLUMNS      11  /* "   0.012345", up to 9999 s */
#define ML_TRANSCRIPT_ENDPOINT_COLUMNS  30  /* "alice-laptop → smtp.a.example" */
#define ML_TRANSCRIPT_TAG_COLUMNS        5  /* "SMTP", "STORE" */
#define ML_TRANSCRIPT_GAP               "  "

struct _MlTranscriptWriter
{
  GOutputStream *stream;       /* owned, or NULL when writing to file */
  FILE          *file;         /* borrowed */
  gboolean       show_frames;
  MlTraceSubscription sub;   /* while attached */
  GError        *error;        /* first write error, reported by close */
  gboolean       closed;
};

/* A dialogue line comes from a peer and may hold anything: keep the
 * transcript valid UTF-8 and make control characters visible instead of
 * letting them move the cursor of the terminal in front of the class. */
static void
append_clean (GString *out, const char *text, gssize len)
{
  g_autofree char *valid = g_utf8_make_valid (text, len);

  for (const char *p = valid; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02X", c);
      else
        g_string_append_c (out, (char) c);
    }
}

static void
append_padded (GString *out, const char *text, guint columns)
{
  glong n = g_utf8_strlen (text, -1);

  g_string_append (out, text);
  for (glong i = n; i < (glong) columns; i++)
    g_string_append_c (out, ' ');
}

/* Everything before the body of a line: time, endpoints, tag. Returns the
 * width in characters, which is how far continuation lines are indented. */
static glong
append_prefix (GString *out, const MlTraceEvent *event, const char *tag)
{
  g_autoptr(GString) prefix = g_string_new (NULL);
  g_autoptr(GString) ends = g_string_new (NULL);
  g_autofree char *time = NULL;

  time = g_strdup_printf ("%" G_GUINT64_FORMAT ".%06u",
                          event->time_us / G_USEC_PER_SEC,
                          (guint) (event->time_us % G_USEC_PER_SEC));
  for (gsize i = strlen (time); i < ML_TRANSCRIPT_TIME_COLUMNS; i++)
    g_string_append_c (prefix, ' ');
  g_string_append (prefix, time);
  g_string_append (prefix, ML_TRANSCRIPT_GAP);

  append_clean (ends, event->host ? event->host : "?", -1);
  if (event->peer != NULL)
    {
      g_string_append (ends, " → ");
      append_clean (ends, event->peer, -1);
    }
  append_padded (prefix, ends->str, ML_TRANSCRIPT_ENDPOINT_COLUMNS);
  g_string_append (prefix, ML_TRANSCRIPT_GAP);
  append_padded (prefix, tag, ML_TRANSCRIPT_TAG_COLUMNS);
  g_string_append (prefix, ML_TRANSCRIPT_GAP);

  g_string_append (out, prefix->str);
  return g_utf8_strlen (prefix->str, -1);
}

static const char *
protocol_tag (MlProtocol protocol, const char *fallback)
{
  return protocol == ML_PROTO_NONE ? fallback : ml_protocol_to_string (protocol);
}

/* Lines of @text, the first where the cursor is, the rest indented by
 * @indent columns so they sit under the first. */
static void
append_lines (GString *out, const char *text, glong indent)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (i > 0)
        {
          g_string_append_c (out, '\n');
          for (glong j = 0; j < indent && lines[i][0] != '\0'; j++)
            g_string_append_c (out, ' ');
        }
      append_clean (out, lines[i], -1);
    }
}

/* ": detail" after the text; a detail of several lines (a lesson step's
 * narrative, what a device holds) goes under it, line for line, rather
 * than escaped onto one line. */
static void
append_detail (GString *out, const char *detail, glong indent)
{
  g_autofree char *copy = NULL;

  if (detail == NULL)
    return;
  if (strchr (detail, '\n') == NULL)
    {
      g_string_append (out, ": ");
      append_clean (out, detail, -1);
      return;
    }
  copy = g_strchomp (g_strdup (detail));
  g_string_append_c (out, '\n');
  for (glong j = 0; j < indent + 2; j++)
    g_string_append_c (out, ' ');
  append_lines (out, copy, indent + 2);
}

static void
format_dialogue (GString *out, const MlTraceEvent *event)
{
  const char *who = event->direction == ML_DIR_CLIENT_TO_SERVER ? "C: " : "S: ";
  glong indent;

  indent = append_prefix (out, event, protocol_tag (event->protocol, "-"));
  indent += strlen (who);
  g_string_append (out, who);
  append_lines (out, event->text ? event->text : "", indent);
}

static void
format_state (GString *out, const MlTraceEvent *event)
{
  MlTraceEvent self_only = *event;

  /* A state belongs to one engine; the peer would read as a direction. */
  self_only.peer = NULL;
  append_prefix (out, &self_only, protocol_tag (event->protocol, "-"));
  g_string_append (out, "state ");
  append_clean (out, event->state_from ? event->state_from : "?", -1);
  g_string_append (out, " → ");
  append_clean (out, event->state_to ? event->state_to : "?", -1);
}

static void
format_dns (GString *out, const MlTraceEvent *event)
{
  append_prefix (out, event, "DNS");
  append_clean (out, event->text ? event->text : "?", -1);
  g_string_append (out, " → ");
  append_clean (out, event->detail ? event->detail : "(no answer)", -1);
}

static void
format_store (GString *out, const MlTraceEvent *event)
{
  glong indent = append_prefix (out, event, "STORE");

  append_clean (out, event->text ? event->text : "change", -1);
  if (event->account != NULL)
    {
      g_string_append_c (out, ' ');
      append_clean (out, event->account, -1);
    }
  if (event->mailbox != NULL)
    {
      g_string_append_c (out, '/');
      append_clean (out, event->mailbox, -1);
    }
  if (event->uid != 0)
    g_string_append_printf (out, " UID %u", event->uid);
  append_detail (out, event->detail, indent);
}

static void
format_note (GString *out, const MlTraceEvent *event)
{
  glong indent = append_prefix (out, event, "NOTE");

  append_clean (out, event->text ? event->text : "", -1);
  append_detail (out, event->detail, indent);
}

static void
format_frame (GString *out, const MlTraceEvent *event)
{
  append_prefix (out, event, protocol_tag (event->protocol, "FRAME"));
  append_clean (out, event->text ? event->text : "frame", -1);
  if (event->hop > 0)
    g_string_append_printf (out, " (hop %u)", event->hop);
  if (event->dropped)
    {
      g_string_append (out, " [lost on ");
      append_clean (out, event->link ? event->link : "the link", -1);
      g_string_append_c (out, ']');
    }
}

char *
ml_transcript_format_event (const MlTraceEvent *event)
{
  GString *out;

  g_return_val_if_fail (event != NULL, NULL);

  out = g_string_new (NULL);
  switch (event->kind)
    {
    case ML_TRACE_FRAME:    format_frame (out, event);    break;
    case ML_TRACE_DIALOGUE: format_dialogue (out, event); break;
    case ML_TRACE_STATE:    format_state (out, event);    break;
    case ML_TRACE_DNS:      format_dns (out, event);      break;
    case ML_TRACE_STORE:    format_store (out, event);    break;
    case ML_TRACE_NOTE:     format_note (out, event);     break;
    default:                format_note (out, event);     break;
    }
  return g_string_free (out, FALSE);
}

static MlTranscriptWriter *
writer_new (void)
{
  return g_new0 (MlTranscriptWriter, 1);
}

MlTranscriptWriter *
ml_transcript_writer_new (GOutputStream *stream)
{
  MlTranscriptWriter *self;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);

  self = writer_new ();
  self->stream = g_object_ref (stream);
  return self;
}

MlTranscriptWriter *
ml_transcript_writer_new_for_stdio (FILE *file)
{
  MlTranscriptWriter *self;

  g_return_val_if_fail (file != NULL, NULL);

  self = writer_new ();
  self->file = file;
  return self;
}

void
ml_transcript_writer_set_show_frames (MlTranscriptWriter *self, gboolean show_frames)
{
  g_return_if_fail (self != NULL);
  self->show_frames = show_frames;
}

static void
write_text (MlTranscriptWriter *self, const char *text, gsize len)
{
  if (self->error != NULL)
    return;

  if (self->stream != NULL)
    {
      g_output_stream_write_all (self->stream, text, len, NULL, NULL, &self->error);
    }
  else if (fwrite (text, 1, len, self->file) != len)
    {
      int saved = errno;

      g_set_error (&self->error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not write the transcript: %s", g_strerror (saved));
    }
}

void
ml_transcript_writer_write_event (MlTranscriptWriter *self, const MlTraceEvent *event)
{
  g_autofree char *text = NULL;
  gsize len;

  g_return_if_fail (self != NULL);
  g_return_if_fail (event != NULL);

  if (self->closed || self->error != NULL)
    return;
  if (event->kind == ML_TRACE_FRAME && !self->show_frames)
    return;

  text = ml_transcript_format_event (event);
  len = strlen (text);
  text = g_realloc (text, len + 2);
  text[len++] = '\n';
  text[len] = '\0';
  write_text (self, text, len);
}

static void
on_trace_event (MlTrace *trace, const MlTraceEvent *event, gpointer user_data)
{
  ml_transcript_writer_write_event (user_data, event);
}

void
ml_transcript_writer_attach (MlTranscriptWriter *self, MlTrace *trace)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (ML_IS_TRACE (trace));
  g_return_if_fail (!ml_trace_is_subscribed (&self->sub));

  ml_trace_subscribe (&self->sub, trace, on_trace_event, self);
}

static void
detach (MlTranscriptWriter *self)
{
  ml_trace_unsubscribe (&self->sub);
}

gboolean
ml_transcript_writer_close (MlTranscriptWriter *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  detach (self);
  if (!self->closed)
    {
      self->closed = TRUE;
      if (self->error == NULL)
        {
          if (self->stream != NULL)
            g_output_stream_flush (self->stream, NULL, &self->error);
          else if (fflush (self->file) != 0)
            {
              int saved = errno;

              g_set_error (&self->error, G_IO_ERROR, g_io_error_from_errno (saved),
                           "Could not write the transcript: %s", g_strerror (saved));
            }
        }
    }
  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  return TRUE;
}

void
ml_transcript_writer_free (MlTranscriptWriter *self)
{
  if (self == NULL)
    return;
  ml_transcript_writer_close (self, NULL);
  g_clear_object (&self->stream);
  g_clear_error (&self->error);
  g_free (self);
}

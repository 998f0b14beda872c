/* smtp-server-bdat.c — CHUNKING: the BDAT command (RFC 3030 2).
 *
 * "BDAT n [LAST]" is followed by exactly n octets of message, with no
 * transparency dots and no end marker: the count alone says where the
 * chunk ends, so the octets are taken raw from the input (binary-safe)
 * and never read as lines. Whatever the server thinks of the command, it
 * must read and drop those octets before answering (RFC 3030 2), or the
 * message would run as commands. BINARYMIME (RFC 3030 3) is not offered:
 * BODY=BINARYMIME is an unknown parameter (555).
 */
#define G_LOG_DOMAIN "ml-smtp-server"

#include <errno.h>
#include <string.h>
#include "proto/smtp-server-private.h"

/* RFC 3030 2: chunk-size ::= 1*DIGIT. Twenty digits hold any 64-bit count,
 * as RFC 1870's size-value does. */
#define ML_SMTP_MAX_CHUNK_DIGITS 20

static void
fail_chunk (MlSmtpServer *self, guint code, const char *enhanced, const char *text)
{
  self->bdat_error_code = code;
  self->bdat_error_enhanced = enhanced;
  self->bdat_error_text = text;
}

/* The chunk's octets are all in: answer now (RFC 3030 2). */
static void
chunk_done (MlSmtpServer *self)
{
  MlEngineEvent *event;

  self->bdat_reading = FALSE;
  if (self->bdat_error_code != 0)
    {
      /* Inside a transaction that had taken chunks, the state is now
       * "indeterminate" (RFC 3030 2): nothing more until RSET. */
      if (self->bdat_used)
        {
          self->bdat_failed = TRUE;
          g_clear_pointer (&self->message, g_byte_array_unref);
        }
      _ml_smtp_server_reply (self, self->bdat_error_code, self->bdat_error_enhanced,
                             self->bdat_error_text);
      return;
    }

  event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_DATA, FALSE);
  event->explain_key = g_strdup ("smtp.bdat.chunk");
  event->detail = g_strdup_printf ("chunk of %" G_GUINT64_FORMAT " octets%s, %" G_GUINT64_FORMAT
                                   " so far", self->bdat_chunk_size,
                                   self->bdat_last ? " (LAST)" : "", self->data_size);
  _ml_smtp_server_push_event (self, event);

  if (!self->bdat_last)
    {
      _ml_smtp_server_replyf (self, 250, "2.0.0", "Ok: %" G_GUINT64_FORMAT " octets received",
                              self->bdat_chunk_size);
      return;
    }

  /* RFC 5321 2.3.8 lines: count them for the summary as DATA does. */
  self->data_lines = 0;
  for (guint i = 0; i < self->message->len; i++)
    if (self->message->data[i] == '\n')
      self->data_lines++;
  _ml_smtp_server_push_message_event (self);
  if (self->data_too_big)
    {
      g_autofree char *text =
        g_strdup_printf ("Error: message size exceeds fixed maximum message size (%"
                         G_GUINT64_FORMAT ")", self->config.max_message_size);
      _ml_smtp_server_reply_data_end (self, 552, "5.3.4", text);
    }
  else
    /* BDAT LAST is the final "." of DATA: one reply, or one per
     * recipient in LMTP (RFC 2033 4.3). */
    _ml_smtp_server_deliver (self);
  _ml_smtp_server_end_data_phase (self);
}

void
_ml_smtp_server_bdat_read (MlSmtpServer *self)
{
  gsize n;

  if (self->message != NULL && !self->data_too_big && self->bdat_error_code == 0)
    n = ml_line_buffer_take (self->input, self->bdat_remaining, self->message);
  else
    {
      /* Refused or over the size limit: read and drop (RFC 3030 2). */
      g_autoptr(GByteArray) sink = g_byte_array_new ();
      n = ml_line_buffer_take (self->input, self->bdat_remaining, sink);
    }
  self->bdat_remaining -= n;
  if (self->bdat_remaining == 0)
    chunk_done (self);
}

/* bdat-cmd ::= "BDAT" SP chunk-size [ SP end-marker ] (RFC 3030 2). FALSE
 * if @args is not that. */
static gboolean
parse_args (const char *args, guint64 *size_out, gboolean *last_out)
{
  gsize digits = strspn (args, "0123456789");
  const char *rest = args + digits;

  if (digits == 0 || digits > ML_SMTP_MAX_CHUNK_DIGITS)
    return FALSE;
  errno = 0;
  *size_out = g_ascii_strtoull (args, NULL, 10);
  if (errno == ERANGE)
    return FALSE;
  if (*rest == '\0')
    *last_out = FALSE;
  else if (*rest == ' ' && g_ascii_strcasecmp (rest + 1, "LAST") == 0)
    *last_out = TRUE;
  else
    return FALSE;
  return TRUE;
}

void
_ml_smtp_server_cmd_bdat (MlSmtpServer *self, const char *args)
{
  guint64 size;
  gboolean last;

  /* Not offered (the default): not implemented, and no octets are read,
   * which is what a non-CHUNKING server does (RFC 3030 2, note). */
  if (!self->config.offer_chunking || (!self->esmtp && self->helo_name != NULL))
    {
      _ml_smtp_server_reply (self, 502, "5.5.1", "Error: command not implemented");
      return;
    }
  if (!parse_args (args, &size, &last))
    {
      /* Without a count there is no telling where the chunk ends; RFC
       * 3030 leaves this to the client's care. */
      _ml_smtp_server_reply (self, 501, "5.5.4", "Syntax: BDAT chunk-size [LAST]");
      return;
    }

  self->bdat_reading = TRUE;
  self->bdat_remaining = size;
  self->bdat_chunk_size = size;
  self->bdat_last = last;
  self->bdat_error_code = 0;

  /* Order (RFC 3030 2, RFC 5321 4.1.4): after RCPT, not after a failed
   * chunk; the error is answered once the octets are read. */
  if (self->state == ML_SMTP_SERVER_STATE_GREETING)
    fail_chunk (self, 503, "5.5.1", "Error: send HELO/EHLO first");
  else if (self->bdat_failed)
    fail_chunk (self, 503, "5.5.1", "Error: an earlier BDAT failed; send RSET (RFC 3030 2)");
  else if (self->state == ML_SMTP_SERVER_STATE_READY)
    fail_chunk (self, 503, "5.5.1", "Error: need MAIL command");
  else if (self->state == ML_SMTP_SERVER_STATE_MAIL)
    fail_chunk (self, self->rcpt_commands == 0 ? 503 : 554, "5.5.1",
                self->rcpt_commands == 0 ? "Error: need RCPT command"
                                         : "Error: no valid recipients");
  else if (!self->bdat_used)
    {
      self->bdat_used = TRUE;
      self->message = g_byte_array_sized_new (4096);
      self->data_size = 0;
      self->data_too_big = FALSE;
    }

  if (self->bdat_error_code == 0)
    {
      /* RFC 1870 5 counts the octets as sent; BDAT sends them as they are. */
      self->data_size += size;
      if (self->config.max_message_size != 0 && self->data_size > self->config.max_message_size)
        self->data_too_big = TRUE;
      /* RFC 1870 6.3, RFC 3030 2: a chunk that goes over the limit is
       * refused once read, and the transaction with it; at LAST the
       * refusal is the message's (one reply per recipient in LMTP). */
      if (self->data_too_big && !last)
        fail_chunk (self, 552, "5.3.4", "Error: message size exceeds fixed maximum message size");
    }
  if (size == 0)
    chunk_done (self);
}

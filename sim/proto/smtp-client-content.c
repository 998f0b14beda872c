/* smtp-client-content.c — the message itself: DATA and its content
 * (RFC 5321 4.1.1.4, 4.5.2), BDAT chunks (RFC 3030), and the replies after
 * the content, one per recipient in LMTP (RFC 2033 4.2). The session and
 * its queue of pending commands are smtp-client.c's.
 */
#define G_LOG_DOMAIN "ml-smtp-client"

#include <string.h>
#include "proto/smtp-client-private.h"

/* ---- content: RFC 5321 4.5.2 transparency, 2.3.8 line endings ---- */

/* Writes @data as it goes after 354 into @out (or only measures it when
 * @out is NULL): every line ending, bare CR or bare LF included, as CRLF —
 * RFC 5321 2.3.8 lets a client send CR and LF only together, as a line
 * ending — a "." doubled at the start of a line (RFC 5321 4.5.2), and a
 * CRLF added to a last line without one, since the CRLF before the final
 * "." belongs to the content (RFC 6152 3). Returns the RFC 1870 5 size:
 * CRLFs counted, doubled dots and the final ".CRLF" not. */
gsize
_ml_smtp_client_encode_content (const guint8 *p, gsize len, GByteArray *out, gboolean *eightbit_out)
{
  gsize size = 0;
  gsize i = 0;
  guint8 seen = 0;

  while (i < len)
    {
      gsize j = i;

      if (p[i] == '.' && out != NULL)
        g_byte_array_append (out, (const guint8 *) ".", 1);

      while (j < len && p[j] != '\r' && p[j] != '\n')
        seen |= p[j++];
      if (out != NULL && j > i)
        g_byte_array_append (out, p + i, (guint) (j - i));
      size += j - i;

      if (j < len)
        j += (p[j] == '\r' && j + 1 < len && p[j + 1] == '\n') ? 2 : 1;
      if (out != NULL)
        g_byte_array_append (out, (const guint8 *) "\r\n", 2);
      size += 2;
      i = j;
    }
  if (eightbit_out != NULL)
    *eightbit_out = (seen & 0x80) != 0;
  return size;
}


static void
fail_accepted (MlSmtpClient *self, MlSmtpOutcome outcome, const MlSmtpReply *reply)
{
  Message *m = self->cur;

  for (guint i = 0; i < m->result.n_recipients; i++)
    if (m->rcpts[i].accepted && m->result.recipients[i].outcome == ML_SMTP_OUTCOME_PENDING)
      _ml_smtp_client_set_outcome_from_reply (&m->result.recipients[i], outcome, reply);
}

/* @wire is CRLF-terminated lines; returns them joined by "\n" without the
 * last CRLF. */
static char *
content_as_lines (const guint8 *wire, gsize len)
{
  GString *text = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      if (wire[i] == '\r' && i + 1 < len && wire[i + 1] == '\n')
        {
          if (i + 2 < len)
            g_string_append_c (text, '\n');
          i++;
          continue;
        }
      g_string_append_c (text, (char) wire[i]);
    }
  return g_string_free (text, FALSE);
}

/* What the end of the content waits for: one reply, or in LMTP one per
 * accepted RCPT in their order (RFC 2033 4.2, 4.3). */
static void
push_content_replies (MlSmtpClient *self, Message *m)
{
  if (!self->config.lmtp)
    {
      _ml_smtp_client_pending_push (self, CMD_CONTENT, 0, FALSE);
      return;
    }
  self->lmtp_replies_left = 0;
  for (guint i = 0; i < m->result.n_recipients; i++)
    if (m->rcpts[i].accepted)
      {
        _ml_smtp_client_pending_push (self, CMD_CONTENT, i, FALSE);
        self->lmtp_replies_left++;
      }
}

/* RFC 3030 2: "BDAT n [LAST]" and then exactly n octets of the message as
 * it is: no dot-stuffing, no end marker. */
static void
send_next_chunk (MlSmtpClient *self)
{
  Message *m = self->cur;
  gsize len;
  const guint8 *data = g_bytes_get_data (m->message, &len);
  gsize n = MIN (self->config.bdat_chunk_size, len - self->bdat_offset);
  gboolean last = self->bdat_offset + n >= len;
  MlEngineEvent *ev;

  _ml_smtp_client_write_command (self, last ? CMD_CONTENT : CMD_BDAT,
                 g_strdup_printf ("BDAT %" G_GSIZE_FORMAT "%s", n, last ? " LAST" : ""));
  if (n > 0)
    g_byte_array_append (self->out, data + self->bdat_offset, (guint) n);
  self->bdat_offset += n;
  if (last)
    push_content_replies (self, m);
  else
    _ml_smtp_client_pending_push (self, CMD_BDAT, 0, FALSE);

  ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_DATA, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->detail = g_strdup_printf ("chunk of %" G_GSIZE_FORMAT " octets%s, %" G_GSIZE_FORMAT
                                " of %" G_GSIZE_FORMAT, n, last ? " (LAST)" : "",
                                self->bdat_offset, len);
  ev->explain_key = g_strdup ("smtp.bdat.chunk");
}

/* After the envelope: the first chunk, or the end of a transaction nobody
 * can receive (RFC 5321 3.3, as for DATA). */
void
_ml_smtp_client_begin_chunks (MlSmtpClient *self)
{
  if (!self->mail_ok || self->n_accepted == 0)
    {
      _ml_smtp_client_end_transaction (self, TRUE, !self->mail_ok ? "MAIL refused" : "no recipient accepted");
      return;
    }
  self->bdat_offset = 0;
  send_next_chunk (self);
}

void
_ml_smtp_client_on_bdat (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  Message *m = self->cur;

  if (ml_smtp_reply_get_class (reply) == 2)
    {
      send_next_chunk (self);
      return;
    }
  /* RFC 3030 2: a refused chunk fails the transaction; no more chunks,
   * and RSET before anything else. */
  m->result.data_code = reply->code;
  g_clear_pointer (&m->result.data_enhanced, g_free);
  g_clear_pointer (&m->result.data_text, g_free);
  m->result.data_enhanced = g_strdup (reply->enhanced);
  m->result.data_text = ml_smtp_reply_dup_text (reply);
  fail_accepted (self, _ml_smtp_client_refusal_outcome (reply), reply);
  _ml_smtp_client_end_transaction (self, TRUE, "BDAT refused");
}

static void
send_content (MlSmtpClient *self)
{
  Message *m = self->cur;
  MlEngineEvent *ev;
  const guint8 *data;
  gsize len = 0;

  gsize start = self->out->len;

  data = g_bytes_get_data (m->message, &len);
  _ml_smtp_client_encode_content (data, len, self->out, NULL);
  g_byte_array_append (self->out, (const guint8 *) ".\r\n", 3);
  push_content_replies (self, m);

  ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_DATA, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->detail = g_strdup_printf ("%" G_GSIZE_FORMAT " octets", m->size);
  /* The content exactly as it goes on the wire (dot-stuffed, ending in the
   * lone "."), lines joined by "\n" like every other event's line: what
   * a student reads in the ladder is what Wireshark reassembles. */
  ev->line = content_as_lines (self->out->data + start, self->out->len - start);
  ev->explain_key = g_strdup ("smtp.data.content");
}

void
_ml_smtp_client_on_data (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  gboolean have_recipients = self->mail_ok && self->n_accepted > 0;

  /* RFC 5321 4.1.1.4: message data MUST NOT be sent unless 354 came. */
  if (reply->code == 354)
    {
      _ml_smtp_client_set_state (self, ML_SMTP_CLIENT_STATE_CONTENT);
      if (have_recipients)
        send_content (self);
      else
        {
          MlEngineEvent *ev;

          /* RFC 2920 3.1: DATA went out in the group before the RCPT
           * replies were known, and the server took it with no valid
           * recipient. The content must not follow; a lone "." ends the
           * empty message, and RFC 2920 3.2 (4) forbids the server to send
           * it anywhere. */
          g_byte_array_append (self->out, (const guint8 *) ".\r\n", 3);
          _ml_smtp_client_pending_push (self, CMD_CONTENT, 0, TRUE);
          ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_DATA, ML_DIR_CLIENT_TO_SERVER, TRUE);
          ev->detail = g_strdup ("0 octets (no recipient accepted: only the final \".\", RFC 2920 3.1)");
          ev->explain_key = g_strdup ("smtp.data.empty");
        }
      return;
    }

  /* DATA refused. With no recipient accepted this is the 503/554 RFC 2920
   * 3.1 expects and it decides nothing; otherwise it is the final word for
   * every accepted recipient. */
  if (have_recipients)
    fail_accepted (self, _ml_smtp_client_refusal_outcome (reply), reply);
  _ml_smtp_client_end_transaction (self, TRUE, !self->mail_ok ? "MAIL refused"
                               : self->n_accepted == 0 ? "no recipient accepted"
                               : "DATA refused");
}

/* RFC 2033 4.2: this reply is the fate of one recipient only. */
static void
on_lmtp_content (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  Message *m = self->cur;
  MlSmtpRecipientResult *r = &m->result.recipients[cmd->rcpt];
  g_autofree char *text = ml_smtp_reply_dup_text (reply);
  MlEngineEvent *ev;

  g_clear_pointer (&m->result.data_enhanced, g_free);
  g_clear_pointer (&m->result.data_text, g_free);
  m->result.data_code = reply->code;
  m->result.data_enhanced = g_strdup (reply->enhanced);
  m->result.data_text = g_strdup (text);
  _ml_smtp_client_set_outcome_from_reply (r, ml_smtp_reply_get_class (reply) == 2
                             ? ML_SMTP_OUTCOME_DELIVERED : _ml_smtp_client_refusal_outcome (reply),
                          reply);
  ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_TRANSACTION, ML_DIR_SERVER_TO_CLIENT, FALSE);
  ev->explain_key = g_strdup ("lmtp.client.recipient");
  ev->detail = g_strdup_printf ("<%s>: %s (%u)", r->address,
                                ml_smtp_outcome_to_string (r->outcome), reply->code);
  if (--self->lmtp_replies_left == 0)
    _ml_smtp_client_end_transaction (self, FALSE, NULL);
}

void
_ml_smtp_client_on_content (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  if (self->config.lmtp && !cmd->empty)
    {
      on_lmtp_content (self, cmd, reply);
      return;
    }
  if (!cmd->empty)
    {
      Message *m = self->cur;
      g_autofree char *text = ml_smtp_reply_dup_text (reply);

      m->result.data_code = reply->code;
      m->result.data_enhanced = g_strdup (reply->enhanced);
      m->result.data_text = g_strdup (text);
      /* RFC 5321 4.2.5: 2yz after "." and the server is responsible for
       * the message; 4yz and 5yz leave it with us. */
      fail_accepted (self, ml_smtp_reply_get_class (reply) == 2
                           ? ML_SMTP_OUTCOME_DELIVERED : _ml_smtp_client_refusal_outcome (reply),
                     reply);
    }
  /* RFC 5321 4.1.1.4: the end of the data closes the transaction on the
   * server, whatever it answered, so no RSET is needed. */
  _ml_smtp_client_end_transaction (self, FALSE, NULL);
}

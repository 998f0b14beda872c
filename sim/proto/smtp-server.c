/* smtp-server.c — the SMTP server engine: bytes in, replies and events out.
 *
 * This file owns the byte side: splitting input into lines, the DATA phase
 * (RFC 5321 4.1.1.4, 4.5.2), formatting replies (4.2) and the Received:
 * trace header (4.4). The commands themselves live in
 * smtp-server-commands.c.
 */
#define G_LOG_DOMAIN "ml-smtp-server"

#include <string.h>
#include "proto/smtp-server-private.h"
#include "mail/rfc5322-date.h"

static const char *const state_names[] = {
  [ML_SMTP_SERVER_STATE_INIT]     = "init",
  [ML_SMTP_SERVER_STATE_GREETING] = "greeting",
  [ML_SMTP_SERVER_STATE_READY]    = "ready",
  [ML_SMTP_SERVER_STATE_MAIL]     = "mail",
  [ML_SMTP_SERVER_STATE_RCPT]     = "rcpt",
  [ML_SMTP_SERVER_STATE_DATA]     = "data",
  [ML_SMTP_SERVER_STATE_QUIT]     = "quit",
};

/* ---- configuration, verdicts ---- */

void
ml_smtp_server_config_init (MlSmtpServerConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->hostname = "localhost";
  config->greeting = "ESMTP maillab";
  config->max_message_size = 0;
  config->max_recipients = ML_SMTP_MIN_RECIPIENTS;
  config->offer_pipelining = TRUE;
  config->offer_8bitmime = TRUE;
  config->offer_size = TRUE;
  config->offer_enhanced_status_codes = TRUE;
  config->answer_vrfy = FALSE;
  config->answer_expn = FALSE;
  config->add_received = TRUE;
  config->id_base = 0;
  config->tls = ML_SMTP_TLS_NONE;
  config->auth_mechanisms = 0;
  config->auth_plaintext_needs_tls = TRUE;
  config->require_auth = FALSE;
  config->auth_failure_delay_ms = 1000;
  config->sasl_nonce_seed = 0;
}

void
ml_smtp_verdict_set (MlSmtpVerdict *verdict, guint code, const char *enhanced,
                     const char *format, ...)
{
  va_list args;

  g_return_if_fail (verdict != NULL && verdict->text != NULL);

  verdict->code = code;
  g_strlcpy (verdict->enhanced, enhanced ? enhanced : "", sizeof verdict->enhanced);
  g_string_truncate (verdict->text, 0);
  if (format != NULL)
    {
      va_start (args, format);
      g_string_append_vprintf (verdict->text, format, args);
      va_end (args);
    }
}

void
_ml_smtp_server_verdict_init (MlSmtpVerdict *verdict)
{
  verdict->code = 0;
  verdict->enhanced[0] = '\0';
  verdict->text = g_string_new (NULL);
  verdict->deferred = FALSE;
}

void
_ml_smtp_server_verdict_clear (MlSmtpVerdict *verdict)
{
  g_string_free (verdict->text, TRUE);
  verdict->text = NULL;
}

/* Reply-code = %x32-35 %x30-35 %x30-39 (RFC 5321 4.2); 3yz makes no sense
 * as an owner's decision. */
static gboolean
verdict_code_is_valid (guint code)
{
  guint first = code / 100, second = (code / 10) % 10;

  return (first == 2 || first == 4 || first == 5) && second <= 5;
}

/* status-code = class "." subject "." detail, each 1*3digit, class agreeing
 * with the reply code (RFC 2034 4, RFC 3463 2). */
static gboolean
enhanced_code_is_valid (const char *enhanced, guint code)
{
  const char *p = enhanced;

  if (p[0] != (char) ('0' + code / 100) || p[1] != '.')
    return FALSE;
  p += 2;
  for (int part = 0; part < 2; part++)
    {
      int digits = 0;

      while (*p >= '0' && *p <= '9' && digits < 4)
        {
          p++;
          digits++;
        }
      if (digits == 0 || digits > 3)
        return FALSE;
      if (part == 0 && *p++ != '.')
        return FALSE;
    }
  return *p == '\0';
}

/* Owners may leave the text out; these stand in (RFC 5321 4.2.3 meanings). */
static const char *
default_error_text (guint code)
{
  switch (code)
    {
    case 450: return "Mailbox unavailable, try again later";
    case 451: return "Local error in processing";
    case 452: return "Insufficient system storage";
    case 550: return "Mailbox unavailable";
    case 551: return "User not local";
    case 552: return "Exceeded storage allocation";
    case 553: return "Mailbox name not allowed";
    case 554: return "Transaction failed";
    default:  return "Request refused";
    }
}

guint
_ml_smtp_server_reply_verdict (MlSmtpServer *self, MlSmtpVerdict *verdict,
                               guint ok_code, const char *ok_enhanced, const char *ok_text)
{
  guint code = verdict->code;
  char fallback[8];
  const char *enhanced = verdict->enhanced;
  const char *text = verdict->text->str;

  if (code == 0)
    code = ok_code;
  else if (!verdict_code_is_valid (code))
    {
      /* The owner's bug, not the peer's: say so in the log, and answer
       * what RFC 5321 4.2.3 has for a local failure. */
      g_warning ("policy answered with invalid reply code %u", code);
      code = 451;
      enhanced = "4.3.0";
      text = "";
    }

  if (enhanced[0] == '\0' || !enhanced_code_is_valid (enhanced, code))
    {
      if (code / 100 == ok_code / 100)
        enhanced = ok_enhanced;
      else
        {
          g_snprintf (fallback, sizeof fallback, "%u.0.0", code / 100);
          enhanced = fallback;
        }
    }
  if (text[0] == '\0')
    text = (code / 100 == 2) ? ok_text : default_error_text (code);

  _ml_smtp_server_reply (self, code, enhanced, text);
  return code;
}

/* ---- events ---- */

MlEngineEvent *
_ml_smtp_server_event_new (MlEngineEventKind kind, gboolean outgoing)
{
  MlEngineEvent *event = g_new0 (MlEngineEvent, 1);

  event->kind = kind;
  event->protocol = ML_PROTO_SMTP;
  event->outgoing = outgoing;
  event->direction = (kind == ML_ENGINE_EVENT_COMMAND || kind == ML_ENGINE_EVENT_DATA)
                     ? ML_DIR_CLIENT_TO_SERVER : ML_DIR_SERVER_TO_CLIENT;
  return event;
}

void
_ml_smtp_server_push_event (MlSmtpServer *self, MlEngineEvent *event)
{
  /* RFC 2033: the same engine, another protocol on the wire. */
  if (self->config.lmtp)
    event->protocol = ML_PROTO_LMTP;
  g_queue_push_tail (&self->events, event);
}

void
_ml_smtp_server_set_state (MlSmtpServer *self, MlSmtpServerState state)
{
  MlEngineEvent *event;

  if (self->state == state)
    return;
  event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_STATE, FALSE);
  event->state_from = state_names[self->state];
  event->state_to = state_names[state];
  event->explain_key = g_strconcat ("smtp.state.", state_names[state], NULL);
  self->state = state;
  _ml_smtp_server_push_event (self, event);
}

/* ---- replies ---- */

/* textstring = 1*(%d09 / %d32-126) (RFC 5321 4.2): whatever an owner or a
 * peer's echoed argument holds, the reply stays one well-formed line. */
static void
append_reply_text (GString *s, const char *text, gsize len)
{
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) text[i];

      g_string_append_c (s, (c == '\t' || (c >= 32 && c <= 126)) ? (char) c : '?');
    }
}

void
_ml_smtp_server_reply (MlSmtpServer *self, guint code, const char *enhanced, const char *text)
{
  g_autoptr(GString) joined = g_string_sized_new (64);
  MlEngineEvent *event;
  const char *p = text ? text : "";

  /* RFC 2034 4: every 2yz/4yz/5yz line carries it, 3yz never. */
  if (!self->config.offer_enhanced_status_codes || code / 100 == 3 ||
      (enhanced != NULL && enhanced[0] == '\0'))
    enhanced = NULL;

  for (;;)
    {
      const char *nl = strchr (p, '\n');
      gsize len = nl ? (gsize) (nl - p) : strlen (p);
      gsize start = joined->len, room;

      if (start > 0)
        g_string_append_c (joined, '\n');
      start = joined->len;
      g_string_append_printf (joined, "%03u%c", code, nl ? '-' : ' ');
      if (enhanced != NULL)
        g_string_append_printf (joined, "%s ", enhanced);
      /* RFC 5321 4.5.3.1.5: 512 octets with the CRLF. */
      room = ML_SMTP_MAX_REPLY_LINE - 2 - (joined->len - start);
      append_reply_text (joined, p, MIN (len, room));
      if (nl == NULL)
        break;
      p = nl + 1;
    }

  /* The wire form is the same lines with CRLF for each "\n" and one at the end. */
  for (const char *q = joined->str; *q != '\0'; q++)
    {
      if (*q == '\n')
        g_byte_array_append (self->output, (const guint8 *) "\r\n", 2);
      else
        g_byte_array_append (self->output, (const guint8 *) q, 1);
    }
  g_byte_array_append (self->output, (const guint8 *) "\r\n", 2);

  event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_REPLY, TRUE);
  event->code = code;
  event->enhanced = g_strdup (enhanced);
  event->explain_key = g_strdup_printf ("smtp.reply.%03u", code);
  event->line = g_string_free (g_steal_pointer (&joined), FALSE);
  _ml_smtp_server_push_event (self, event);
}

void
_ml_smtp_server_replyf (MlSmtpServer *self, guint code, const char *enhanced,
                        const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  _ml_smtp_server_reply (self, code, enhanced, text);
}

/* ---- transaction ---- */

void
_ml_smtp_server_reset_transaction (MlSmtpServer *self)
{
  g_clear_pointer (&self->reverse_path, g_free);
  g_ptr_array_set_size (self->recipients, 0);
  g_ptr_array_set_size (self->recipient_dsn, 0);
  self->dsn_ret = ML_DSN_RET_DEFAULT;
  g_clear_pointer (&self->dsn_envid, g_free);
  self->rcpt_commands = 0;
  self->declared_size = 0;
  self->body = ML_SMTP_BODY_NONE;
  g_clear_pointer (&self->message, g_byte_array_unref);
  self->data_size = 0;
  self->data_lines = 0;
  self->data_too_big = FALSE;
  self->data_line_too_long = FALSE;
  self->bdat_used = FALSE;
  self->bdat_failed = FALSE;
}

void
_ml_smtp_server_begin_data (MlSmtpServer *self)
{
  self->message = g_byte_array_sized_new (4096);
  self->data_size = 0;
  self->data_lines = 0;
  self->data_too_big = FALSE;
  self->data_line_too_long = FALSE;
  /* A text line may be 1000 octets (RFC 5321 4.5.3.1.6) not counting the
   * dot doubled for transparency, so one more on the wire. */
  ml_line_buffer_set_max (self->input, ML_SMTP_MAX_TEXT_LINE + 1);
  _ml_smtp_server_set_state (self, ML_SMTP_SERVER_STATE_DATA);
}

void
_ml_smtp_server_end_data_phase (MlSmtpServer *self)
{
  /* A deferred verdict keeps the transaction open until the owner's
   * answer; ml_smtp_server_complete_message() ends it. */
  if (self->deferred_id != NULL)
    return;
  _ml_smtp_server_reset_transaction (self);
  ml_line_buffer_set_max (self->input, _ml_smtp_server_command_line_max (self));
  _ml_smtp_server_set_state (self, ML_SMTP_SERVER_STATE_READY);
}

void
_ml_smtp_server_close (MlSmtpServer *self, const char *reason)
{
  MlEngineEvent *event;

  if (self->wants_close)
    return;
  _ml_smtp_server_drop_deferred (self);
  _ml_smtp_server_reset_transaction (self);
  _ml_smtp_server_auth_clear (self);
  ml_line_buffer_clear (self->input);
  self->bdat_reading = FALSE;
  self->bdat_remaining = 0;
  _ml_smtp_server_set_state (self, ML_SMTP_SERVER_STATE_QUIT);
  self->wants_close = TRUE;
  event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_CLOSE, FALSE);
  event->explain_key = g_strdup ("smtp.close");
  event->detail = g_strdup (reason);
  _ml_smtp_server_push_event (self, event);
}

/* ---- Received: (RFC 5321 4.4) ---- */

/* Time-stamp-line = "Received:" FWS Stamp <CRLF> (RFC 5321 4.4). */
static char *
dup_received_header (MlSmtpServer *self, const char *id)
{
  GString *s = g_string_sized_new (256);

  g_string_append_printf (s, "Received: from %s", self->helo_name);
  /* TCP-info: what the connection says, next to what EHLO claimed. It must
   * hold an address-literal, so without an address there is none. */
  if (self->peer_address != NULL)
    {
      const char *tag = strchr (self->peer_address, ':') ? "IPv6:" : "";

      if (self->peer_name != NULL)
        g_string_append_printf (s, " (%s [%s%s])", self->peer_name, tag, self->peer_address);
      else
        g_string_append_printf (s, " ([%s%s])", tag, self->peer_address);
    }
  g_string_append_printf (s, "\r\n\tby %s with %s id %s",
                          self->config.hostname, ml_smtp_server_get_protocol_name (self), id);
  /* A FOR clause names exactly one path (RFC 5321 4.4); listing every
   * recipient would undo Bcc (7.2), so it is left out when there are
   * several. */
  if (self->recipients->len == 1)
    g_string_append_printf (s, "\r\n\tfor <%s>",
                            (const char *) g_ptr_array_index (self->recipients, 0));
  g_string_append (s, "; ");
  {
    g_autofree char *date = ml_rfc5322_date_format (self->now_usec / G_USEC_PER_SEC);
    g_string_append (s, date);
  }
  g_string_append (s, "\r\n");
  return g_string_free (s, FALSE);
}

/* ---- DATA ---- */

/* ID = CFWS "ID" FWS ( Atom / msg-id ) (RFC 5321 4.4): an owner's id goes
 * into a header, so it must not be able to break out of it. */
static gboolean
id_is_atom (const char *id)
{
  gsize n = strlen (id);

  return n > 0 && n <= 64 &&
         strspn (id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789!#$%&'*+-/=?^_`{|}~") == n;
}

/* Deliver to the owner. Only its 2yz becomes our 250 (RFC 5321 4.2.5). */
void
_ml_smtp_server_deliver (MlSmtpServer *self)
{
  g_autofree char *id = NULL;
  g_autoptr(GBytes) message = NULL;
  MlSmtpVerdict verdict;
  MlSmtpEnvelope envelope = { 0 };

  self->transactions++;
  if (self->policy.new_id != NULL)
    id = self->policy.new_id (self, self->policy_data);
  if (id != NULL && !id_is_atom (id))
    {
      g_warning ("policy gave a transaction id that is not an RFC 5322 atom: \"%s\"", id);
      g_clear_pointer (&id, g_free);
    }
  if (id == NULL)
    {
      id = g_strdup_printf ("%" G_GINT64_MODIFIER "X", self->config.id_base + self->transactions);
    }

  if (self->config.add_received)
    {
      g_autofree char *received = dup_received_header (self, id);

      g_byte_array_prepend (self->message, (const guint8 *) received, (guint) strlen (received));
    }
  message = g_byte_array_free_to_bytes (g_steal_pointer (&self->message));

  envelope.id = id;
  envelope.helo_name = self->helo_name;
  envelope.protocol = ml_smtp_server_get_protocol_name (self);
  envelope.auth_user = self->auth_user;
  envelope.tls = self->tls_active;
  envelope.client_name = self->peer_name;
  envelope.client_address = self->peer_address;
  envelope.reverse_path = self->reverse_path;
  envelope.recipients = self->recipients;
  envelope.declared_size = self->declared_size;
  envelope.body = self->body;
  envelope.size = self->data_size;
  envelope.dsn_ret = self->dsn_ret;
  envelope.dsn_envid = self->dsn_envid;
  envelope.recipient_dsn = self->recipient_dsn;

  if (self->config.lmtp)
    {
      _ml_smtp_server_lmtp_deliver (self, &envelope, message);
      return;
    }

  _ml_smtp_server_verdict_init (&verdict);
  if (self->policy.accept_message != NULL)
    self->policy.accept_message (self, &envelope, message, &verdict, self->policy_data);
  if (verdict.deferred)
    {
      /* No reply until the owner's answer; the transaction stays open
       * and the input waits (smtp-server.h, ml_smtp_verdict_defer). */
      self->deferred_id = g_steal_pointer (&id);
      _ml_smtp_server_verdict_clear (&verdict);
      return;
    }
  _ml_smtp_server_answer_message (self, &verdict, id);
  _ml_smtp_server_verdict_clear (&verdict);
}

void
_ml_smtp_server_answer_message (MlSmtpServer *self, MlSmtpVerdict *verdict, const char *id)
{
  g_autofree char *ok_text = NULL;
  guint code;

  /* The fact first, then the 250 that tells the client about it. */
  code = verdict->code == 0 ? 250 : verdict->code;
  if (verdict_code_is_valid (code) && code / 100 == 2)
    {
      MlEngineEvent *event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);

      event->explain_key = g_strdup ("smtp.transaction.queued");
      event->detail = g_strdup_printf ("queued as %s", id);
      _ml_smtp_server_push_event (self, event);
    }
  ok_text = g_strdup_printf ("Ok: queued as %s", id);
  _ml_smtp_server_reply_verdict (self, verdict, 250, "2.0.0", ok_text);
}

void
_ml_smtp_server_push_message_event (MlSmtpServer *self)
{
  MlEngineEvent *event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_DATA, FALSE);

  event->explain_key = g_strdup ("smtp.message");
  event->detail = g_strdup_printf ("%" G_GUINT64_FORMAT " octets, %" G_GUINT64_FORMAT " lines",
                                   self->data_size, self->data_lines);
  _ml_smtp_server_push_event (self, event);
}

static void
end_of_data (MlSmtpServer *self)
{
  _ml_smtp_server_push_message_event (self);

  if (self->data_too_big)
    {
      /* RFC 1870 6.1 (2) and 6.3: over the fixed maximum, permanently. */
      g_autofree char *text =
        g_strdup_printf ("Error: message size exceeds fixed maximum message size (%"
                         G_GUINT64_FORMAT ")", self->config.max_message_size);
      _ml_smtp_server_reply_data_end (self, 552, "5.3.4", text);
    }
  else if (self->data_line_too_long)
    /* A text line over RFC 5321 4.5.3.1.6. Not 552: that code says the
     * message is too big (RFC 1870), and a client would wrongly give up on
     * its size; the fault is the content's form, which 554 "transaction
     * failed" with RFC 3463 X.6.0 (media error) says. Cutting the line
     * would change the message, so nothing is accepted. */
    {
      g_autofree char *text = g_strdup_printf ("Error: message has a line longer than %u octets",
                                               ML_SMTP_MAX_TEXT_LINE);
      _ml_smtp_server_reply_data_end (self, 554, "5.6.0", text);
    }
  else
    _ml_smtp_server_deliver (self);

  _ml_smtp_server_end_data_phase (self);
}

/* Bare CR or LF (RFC 5321 2.3.8: lines end in CRLF, nothing else).
 *
 * We do what Postfix does with "smtpd_forbid_bare_newline = reject"
 * (3.9, the SMTP smuggling fix): reply 550 5.5.2 "Error: bare <LF>
 * received" and disconnect. Treating "\n.\n" or "\r.\r" as anything is how
 * one message smuggles a second past a server that reads the end of DATA
 * differently; refusing and hanging up means no later byte of this
 * connection is read as a command, and the open transaction is dropped, so
 * nothing is half-delivered. Postfix checks only <LF>; a bare <CR> is
 * refused the same way here (sendmail's 'u' option does likewise). */
static void
refuse_bare_newline (MlSmtpServer *self, MlLineFlags flags)
{
  const char *what = (flags & ML_LINE_END_BARE_LF) ? "<LF>" : "<CR>";

  _ml_smtp_server_replyf (self, 550, "5.5.2", "Error: bare %s received", what);
  _ml_smtp_server_close (self, (flags & ML_LINE_END_BARE_LF) ? "bare LF" : "bare CR");
}

static void
data_line (MlSmtpServer *self, MlLineStatus status, const char *line, gsize len, MlLineFlags flags)
{
  if (status == ML_LINE_TOO_LONG)
    {
      /* Keep reading to the final dot, then fail the transaction; the
       * rest of the line has been skipped by the line buffer. */
      self->data_line_too_long = TRUE;
      g_clear_pointer (&self->message, g_byte_array_unref);
      return;
    }
  if (flags & (ML_LINE_END_BARE_LF | ML_LINE_HAS_BARE_CR))
    {
      refuse_bare_newline (self, flags);
      return;
    }

  /* Only <CRLF>.<CRLF> ends the data (RFC 5321 4.1.1.4). */
  if (len == 1 && line[0] == '.')
    {
      end_of_data (self);
      return;
    }

  /* Transparency (RFC 5321 4.5.2): a leading dot was doubled. */
  if (line[0] == '.')
    {
      line++;
      len--;
    }
  /* The line buffer allowed one octet for a doubled dot; without one the
   * line may be that octet too long (RFC 5321 4.5.3.1.6). */
  if (len + 2 > ML_SMTP_MAX_TEXT_LINE)
    {
      self->data_line_too_long = TRUE;
      g_clear_pointer (&self->message, g_byte_array_unref);
      return;
    }
  /* RFC 1870 5: CRLFs count, the stuffing dots do not. */
  self->data_size += len + 2;
  self->data_lines++;

  if (self->config.max_message_size != 0 && self->data_size > self->config.max_message_size)
    {
      self->data_too_big = TRUE;
      g_clear_pointer (&self->message, g_byte_array_unref);
    }
  if (self->message != NULL)
    {
      g_byte_array_append (self->message, (const guint8 *) line, (guint) len);
      g_byte_array_append (self->message, (const guint8 *) "\r\n", 2);
    }
}

static void
command_line (MlSmtpServer *self, MlLineStatus status, const char *line, gsize len, MlLineFlags flags)
{
  if (status == ML_LINE_TOO_LONG)
    {
      /* RFC 5321 4.5.3.1.4, 4.5.3.1.9: answered, and the line dropped. */
      _ml_smtp_server_reply (self, 500, "5.5.2", "Error: line too long");
      return;
    }
  if (flags & (ML_LINE_END_BARE_LF | ML_LINE_HAS_BARE_CR))
    {
      refuse_bare_newline (self, flags);
      return;
    }
  _ml_smtp_server_dispatch (self, line, len);
}

void
_ml_smtp_server_process_input (MlSmtpServer *self)
{
  while (!self->wants_close && !self->tls_pending && self->deferred_id == NULL)
    {
      const char *line = NULL;
      gsize len = 0;
      MlLineFlags flags = ML_LINE_END_CRLF;
      MlLineStatus status;

      /* Nothing buffered, nothing to do (and the line buffer would hand
       * memchr() a NULL array). */
      if (ml_line_buffer_available (self->input) == 0)
        break;
      /* RFC 3030 2: a chunk's octets are counted, not read as lines. */
      if (self->bdat_reading)
        {
          _ml_smtp_server_bdat_read (self);
          continue;
        }
      status = ml_line_buffer_next (self->input, &line, &len, &flags);
      if (status == ML_LINE_NEED_MORE)
        break;
      if (self->state == ML_SMTP_SERVER_STATE_DATA)
        data_line (self, status, line, len, flags);
      else if (self->sasl != NULL)
        _ml_smtp_server_auth_line (self, line, status == ML_LINE_TOO_LONG ? 0 : len,
                                   status == ML_LINE_TOO_LONG);
      else
        command_line (self, status, line, len, flags);
    }
}

/* ---- public API ---- */

static void
recipient_dsn_free (gpointer data)
{
  MlSmtpRecipientDsn *dsn = data;

  g_free (dsn->orcpt);
  g_free (dsn);
}

MlSmtpServer *
ml_smtp_server_new (const MlSmtpServerConfig *config, const MlSmtpServerPolicy *policy,
                    gpointer policy_data)
{
  MlSmtpServer *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_new0 (MlSmtpServer, 1);
  self->config = *config;
  self->config.hostname = g_strdup (config->hostname ? config->hostname : "localhost");
  self->config.greeting = g_strdup (config->greeting);
  /* RFC 5321 4.5.3.1.8: fewer than 100 would refuse conforming clients. */
  if (self->config.max_recipients == 0)
    self->config.max_recipients = ML_SMTP_MIN_RECIPIENTS;
  if (policy != NULL)
    self->policy = *policy;
  self->policy_data = policy_data;

  self->state = ML_SMTP_SERVER_STATE_INIT;
  self->input = ml_line_buffer_new (_ml_smtp_server_command_line_max (self));
  /* RFC 8314 3.3: the owner did the handshake before the first byte. */
  self->tls_active = self->config.tls == ML_SMTP_TLS_IMPLICIT;
  self->output = g_byte_array_sized_new (512);
  g_queue_init (&self->events);
  self->recipients = g_ptr_array_new_with_free_func (g_free);
  self->recipient_dsn = g_ptr_array_new_with_free_func (recipient_dsn_free);
  return self;
}

void
ml_smtp_server_free (MlSmtpServer *self)
{
  if (self == NULL)
    return;
  _ml_smtp_server_drop_deferred (self);
  _ml_smtp_server_reset_transaction (self);
  g_clear_pointer (&self->sasl, ml_sasl_server_free);
  g_free (self->auth_user);
  g_ptr_array_unref (self->recipients);
  g_ptr_array_unref (self->recipient_dsn);
  g_queue_clear_full (&self->events, ml_engine_event_free);
  g_byte_array_unref (self->output);
  ml_line_buffer_free (self->input);
  g_free (self->helo_name);
  g_free (self->peer_name);
  g_free (self->peer_address);
  g_free ((char *) self->config.hostname);
  g_free ((char *) self->config.greeting);
  g_free (self);
}

void
ml_smtp_server_set_peer (MlSmtpServer *self, const char *peer_name, const char *peer_address)
{
  g_return_if_fail (self != NULL);

  g_free (self->peer_name);
  g_free (self->peer_address);
  self->peer_name = g_strdup (peer_name);
  self->peer_address = g_strdup (peer_address);
}

const char *
ml_smtp_server_get_peer_name (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->peer_name;
}

const char *
ml_smtp_server_get_peer_address (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->peer_address;
}

void
ml_smtp_server_set_now (MlSmtpServer *self, gint64 unix_usec)
{
  g_return_if_fail (self != NULL);
  self->now_usec = unix_usec;
}

void
ml_smtp_server_start (MlSmtpServer *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->state == ML_SMTP_SERVER_STATE_INIT);

  /* Greeting = "220 " Domain [ SP textstring ] (RFC 5321 4.2); the greeting
   * never carries an enhanced code (RFC 2034 3). */
  if (self->config.greeting != NULL && self->config.greeting[0] != '\0')
    _ml_smtp_server_replyf (self, 220, NULL, "%s %s", self->config.hostname, self->config.greeting);
  else
    _ml_smtp_server_reply (self, 220, NULL, self->config.hostname);
  _ml_smtp_server_set_state (self, ML_SMTP_SERVER_STATE_GREETING);
  _ml_smtp_server_process_input (self);
}

gsize
ml_smtp_server_feed (MlSmtpServer *self, const guint8 *data, gsize len)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (data != NULL || len == 0, 0);

  if (self->wants_close)
    return 0;
  if (self->tls_pending)
    {
      /* RFC 3207 4.2: bytes before the handshake's end are not commands. */
      self->tls_discarded += len;
      return len;
    }
  ml_line_buffer_push (self->input, data, len);
  if (self->state != ML_SMTP_SERVER_STATE_INIT)
    _ml_smtp_server_process_input (self);
  return len;
}

gboolean
ml_smtp_server_next_event (MlSmtpServer *self, MlEngineEvent *event_out)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (event_out != NULL, FALSE);

  return ml_engine_event_queue_pop (&self->events, event_out);
}

GBytes *
ml_smtp_server_take_output (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  self->failure_delay_ms = 0;
  return ml_engine_take_bytes (&self->output);
}

gboolean
ml_smtp_server_wants_close (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->wants_close;
}

void
ml_smtp_server_shutdown (MlSmtpServer *self, const char *enhanced, const char *text)
{
  g_return_if_fail (self != NULL);

  if (self->wants_close)
    return;
  /* 421 <domain> … (RFC 5321 4.2.3): the hostname comes first. */
  _ml_smtp_server_replyf (self, 421, enhanced ? enhanced : "4.3.2", "%s %s",
                          self->config.hostname,
                          text ? text : "Service not available, closing transmission channel");
  _ml_smtp_server_close (self, "shutdown");
}

void
ml_smtp_server_connection_lost (MlSmtpServer *self)
{
  g_return_if_fail (self != NULL);

  if (self->state == ML_SMTP_SERVER_STATE_QUIT)
    return;
  /* RFC 5321 4.1.1.10: cancel the pending transaction, keep completed ones
   * (those were handed to the owner at their final dot already). */
  if (self->state == ML_SMTP_SERVER_STATE_MAIL ||
      self->state == ML_SMTP_SERVER_STATE_RCPT ||
      self->state == ML_SMTP_SERVER_STATE_DATA)
    {
      MlEngineEvent *event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);

      event->explain_key = g_strdup ("smtp.transaction.aborted");
      event->detail = g_strdup_printf ("transaction aborted in state %s: connection lost",
                                       state_names[self->state]);
      _ml_smtp_server_push_event (self, event);
    }
  _ml_smtp_server_drop_deferred (self);
  _ml_smtp_server_reset_transaction (self);
  ml_line_buffer_clear (self->input);
  _ml_smtp_server_set_state (self, ML_SMTP_SERVER_STATE_QUIT);
  self->wants_close = TRUE;
}

MlSmtpServerState
ml_smtp_server_get_state (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, ML_SMTP_SERVER_STATE_QUIT);
  return self->state;
}

const char *
ml_smtp_server_state_to_string (MlSmtpServerState state)
{
  g_return_val_if_fail (state <= ML_SMTP_SERVER_STATE_QUIT, "unknown");
  return state_names[state];
}

const char *
ml_smtp_server_get_state_name (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, "unknown");
  return state_names[self->state];
}

const char *
ml_smtp_server_get_protocol_name (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (self->helo_name == NULL)
    return NULL;
  if (self->config.lmtp)
    {
      /* RFC 3848 2: LMTP, with S and A as for ESMTP. */
      if (self->tls_active)
        return self->auth_user != NULL ? "LMTPSA" : "LMTPS";
      return self->auth_user != NULL ? "LMTPA" : "LMTP";
    }
  if (!self->esmtp)
    return "SMTP";
  /* RFC 3848 2: S for TLS, A for AUTH. */
  if (self->tls_active)
    return self->auth_user != NULL ? "ESMTPSA" : "ESMTPS";
  return self->auth_user != NULL ? "ESMTPA" : "ESMTP";
}

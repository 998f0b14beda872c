#define G_LOG_DOMAIN "ml-console"

/* console-response.c — the console reading the server's responses: when a
 * command's answer is complete (RFC 5321 4.2.1, RFC 1939 3, RFC 3501
 * 2.2.2), what the session's state becomes, and what the owner is told. */

#include "world/console-session-private.h"

/* RFC 3207 4.2, RFC 2595 4, RFC 3501 6.2.1: after the go-ahead, what the
 * client knew of the session is forgotten; the handshake comes next. */
static void
begin_tls (MlConsoleSession *self)
{
  _ml_console_session_push_event (self, ML_ENGINE_EVENT_START_TLS, ML_DIR_CLIENT_TO_SERVER, TRUE)->explain_key =
    g_strdup (self->protocol == ML_PROTO_SMTP ? "smtp.starttls"
              : self->protocol == ML_PROTO_POP3 ? "pop3.stls" : "imap.starttls");
  self->tls_pending = TRUE;
  self->state.greeted = FALSE;
  self->state.extended = FALSE;
  self->state.in_transaction = FALSE;
}

/* ---- responses ---- */

void
_ml_console_session_on_smtp_reply (MlConsoleSession *self, const MlSmtpReply *reply)
{
  MlEngineEvent *ev = _ml_console_session_push_event (self, ML_ENGINE_EVENT_REPLY, ML_DIR_SERVER_TO_CLIENT, FALSE);
  MlConsoleResponseKind kind = ML_CONSOLE_RESPONSE_COMPLETE;
  const char *verb = self->awaiting ? self->verb : NULL;
  guint cls = ml_smtp_reply_get_class (reply);

  ev->code = reply->code;
  ev->enhanced = g_strdup (reply->enhanced);
  ev->line = g_strdup (reply->raw);
  ev->explain_key = g_strdup_printf ("smtp.reply.%03u", reply->code);

  if (!self->awaiting)
    {
      /* Nothing was asked: a 421 before closing (RFC 5321 3.8). */
      g_clear_pointer (&self->inflight, g_free);
    }
  else if (g_strcmp0 (verb, "DATA") == 0 && reply->code == 354)
    {
      kind = ML_CONSOLE_RESPONSE_CONTINUE;
      self->state.input = ML_CONSOLE_INPUT_CONTENT;
    }
  else if (reply->code == 334 && g_strcmp0 (verb, "AUTH") == 0)
    {
      kind = ML_CONSOLE_RESPONSE_CONTINUE;
      self->state.input = ML_CONSOLE_INPUT_CONTINUATION;
    }
  else if (verb != NULL)
    {
      if ((g_str_equal (verb, "EHLO") || g_str_equal (verb, "HELO")) && cls == 2)
        {
          /* RFC 5321 4.1.4: EHLO also clears any transaction. */
          self->state.greeted = TRUE;
          self->state.extended = g_str_equal (verb, "EHLO");
          self->state.in_transaction = FALSE;
        }
      else if (g_str_equal (verb, "MAIL") && cls == 2)
        self->state.in_transaction = TRUE;
      else if (g_str_equal (verb, "RSET") && cls == 2)
        self->state.in_transaction = FALSE;
      else if (g_str_equal (verb, ".") || (g_str_equal (verb, "DATA") && cls != 3))
        self->state.in_transaction = FALSE;  /* RFC 5321 4.1.1.4 */
      else if (g_str_equal (verb, "QUIT"))
        self->state.input = ML_CONSOLE_INPUT_CLOSED;
      else if (g_str_equal (verb, "STARTTLS") && reply->code == 220)
        begin_tls (self);
    }
  self->awaiting = FALSE;
  _ml_console_session_deliver (self, kind, reply->raw, reply->code, cls == 2 || cls == 3, ev->explain_key);
}

void
_ml_console_session_on_pop3_response (MlConsoleSession *self, const MlPop3Response *response)
{
  MlEngineEvent *ev = _ml_console_session_push_event (self, ML_ENGINE_EVENT_REPLY, ML_DIR_SERVER_TO_CLIENT, FALSE);
  MlConsoleResponseKind kind = ML_CONSOLE_RESPONSE_COMPLETE;
  const char *verb = self->awaiting ? self->verb : NULL;
  /* RFC 5034 4: "+ " and a base64 challenge; neither "+OK" nor "-ERR". */
  gboolean challenge = !response->ok && response->raw[0] == '+';

  ev->line = g_strdup (response->raw);
  ev->explain_key = g_strdup (challenge ? "pop3.reply" : response->ok ? "pop3.reply.ok" : "pop3.reply.err");
  ev->enhanced = g_strdup (response->resp_code);

  /* RFC 1939 7: a server that offers APOP ends its greeting with a
   * timestamp in msg-id form; {apop:SECRET} in a typed line digests it. */
  if (self->awaiting && self->inflight == NULL && response->ok)
    {
      const char *open = strchr (response->raw, '<');
      const char *close = open ? strchr (open, '>') : NULL;

      g_clear_pointer (&self->apop_timestamp, g_free);
      if (close != NULL)
        self->apop_timestamp = g_strndup (open, (gsize) (close - open + 1));
    }

  if (!self->awaiting)
    g_clear_pointer (&self->inflight, g_free);
  else if (challenge)
    {
      kind = ML_CONSOLE_RESPONSE_CONTINUE;
      self->state.input = ML_CONSOLE_INPUT_CONTINUATION;
    }
  else if (verb != NULL)
    {
      /* RFC 1939 3: a good PASS or APOP moves to TRANSACTION; RFC 5034 4
       * a finished AUTH; QUIT ends it (UPDATE when in TRANSACTION). */
      if ((g_str_equal (verb, "PASS") || g_str_equal (verb, "APOP") || g_str_equal (verb, "AUTH"))
          && response->ok)
        self->state.authenticated = TRUE;
      else if (g_str_equal (verb, "QUIT"))
        self->state.input = ML_CONSOLE_INPUT_CLOSED;
      else if (g_str_equal (verb, "STLS") && response->ok)
        begin_tls (self);
    }
  self->awaiting = FALSE;
  _ml_console_session_deliver (self, kind, response->raw, 0, response->ok || challenge, ev->explain_key);
}

void
_ml_console_session_on_imap_response (MlConsoleSession *self, const MlImapResponse *r)
{
  MlConsoleResponseKind kind = ML_CONSOLE_RESPONSE_DATA;
  g_autofree char *key = ml_imap_response_dup_explain_key (r);
  gboolean greeting = self->awaiting && self->inflight == NULL;
  gboolean ok = r->status == ML_IMAP_STATUS_OK || r->status == ML_IMAP_STATUS_PREAUTH;
  const char *verb = self->verb;

  switch (r->kind)
    {
    case ML_IMAP_RESPONSE_KIND_UNTAGGED:
      if (greeting && r->status != ML_IMAP_STATUS_NONE)
        {
          /* RFC 3501 7.1.4: PREAUTH greets an authenticated session. */
          kind = ML_CONSOLE_RESPONSE_COMPLETE;
          if (r->status == ML_IMAP_STATUS_PREAUTH)
            self->state.authenticated = TRUE;
        }
      else if (self->awaiting && !self->tag_valid && r->status == ML_IMAP_STATUS_BAD)
        {
          /* RFC 3501 7.1.3: a line whose tag the server cannot read is
           * answered untagged; nothing tagged will come. */
          kind = ML_CONSOLE_RESPONSE_COMPLETE;
        }
      break;

    case ML_IMAP_RESPONSE_KIND_CONTINUATION:
      if (self->awaiting && self->inflight != NULL)
        {
          kind = ML_CONSOLE_RESPONSE_CONTINUE;
          self->state.input = ML_CONSOLE_INPUT_CONTINUATION;
          if (g_strcmp0 (verb, "IDLE") == 0)
            self->state.idling = TRUE;  /* RFC 2177 3 */
        }
      break;

    case ML_IMAP_RESPONSE_KIND_TAGGED:
    default:
      if (self->awaiting && self->tag != NULL && g_strcmp0 (r->tag, self->tag) == 0)
        {
          kind = ML_CONSOLE_RESPONSE_COMPLETE;
          /* The command is over, whatever piece the student was at. */
          self->state.input = ML_CONSOLE_INPUT_COMMAND;
          g_string_truncate (self->imap_command, 0);
          if (g_strcmp0 (verb, "IDLE") == 0)
            self->state.idling = FALSE;
          if (verb == NULL)
            break;
          /* RFC 3501 3: the state diagram. */
          if ((g_str_equal (verb, "LOGIN") || g_str_equal (verb, "AUTHENTICATE")) && ok)
            self->state.authenticated = TRUE;
          else if (g_str_equal (verb, "SELECT") || g_str_equal (verb, "EXAMINE"))
            self->state.selected = ok;  /* RFC 3501 6.3.1: a failed SELECT deselects */
          else if ((g_str_equal (verb, "CLOSE") || g_str_equal (verb, "UNSELECT")) && ok)
            self->state.selected = FALSE;
          else if (g_str_equal (verb, "LOGOUT"))
            self->state.input = ML_CONSOLE_INPUT_CLOSED;
          else if (g_str_equal (verb, "STARTTLS") && ok)
            begin_tls (self);
        }
      break;
    }

  {
    MlEngineEvent *ev = _ml_console_session_push_event (self, ML_ENGINE_EVENT_REPLY, ML_DIR_SERVER_TO_CLIENT, FALSE);

    ev->line = g_strdup (r->raw);
    ev->verb = g_strdup (r->data_name);
    ev->explain_key = g_strdup (key);
  }
  if (kind == ML_CONSOLE_RESPONSE_DATA)
    {
      /* Data is not the answer: the command is still running. */
      _ml_console_session_deliver (self, kind, r->raw, 0, ok, key);
      return;
    }
  self->awaiting = FALSE;
  _ml_console_session_deliver (self, kind, r->raw, 0, ok || kind == ML_CONSOLE_RESPONSE_CONTINUE, key);
}

void
_ml_console_session_malformed (MlConsoleSession *self, const GError *error)
{
  const char *key = self->protocol == ML_PROTO_SMTP ? "smtp.client.malformed-reply"
                    : self->protocol == ML_PROTO_POP3 ? "pop3.console.malformed-response"
                    : "imap.client.malformed-response";
  MlEngineEvent *ev = _ml_console_session_push_event (self, ML_ENGINE_EVENT_TRANSACTION, ML_DIR_SERVER_TO_CLIENT, FALSE);

  ev->explain_key = g_strdup (key);
  ev->detail = g_strdup (error->message);
  /* The parser dropped what it could not read. SMTP and POP3 answer one
   * response per command, so a broken one is that command's answer and
   * the student may go on; IMAP's tagged line is still due. */
  if (self->protocol != ML_PROTO_IMAP)
    self->awaiting = FALSE;
  _ml_console_session_deliver (self, ML_CONSOLE_RESPONSE_MALFORMED, error->message, 0, FALSE, key);
}

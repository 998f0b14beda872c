/* imap-server.c — the IMAP server engine: bytes in, responses and events out.
 *
 * This file owns the byte side (commands through the one IMAP parser,
 * literals and "+" continuations, RFC 3501 7.5), the response writers and
 * the states (RFC 3501 3). The session's view of the selected mailbox is
 * imap-server-view.c; commands live in the other imap-server-*.c files.
 */
#define G_LOG_DOMAIN "ml-imap-server"

#include <string.h>
#include "proto/imap-server-private.h"

static const char *const state_names[] = {
  [ML_IMAP_SERVER_STATE_INIT]              = "init",
  [ML_IMAP_SERVER_STATE_NOT_AUTHENTICATED] = "not-authenticated",
  [ML_IMAP_SERVER_STATE_AUTHENTICATED]     = "authenticated",
  [ML_IMAP_SERVER_STATE_SELECTED]          = "selected",
  [ML_IMAP_SERVER_STATE_LOGOUT]            = "logout",
};

static const char *const status_names[] = {
  [ML_IMAP_OK]      = "OK",
  [ML_IMAP_NO]      = "NO",
  [ML_IMAP_BAD]     = "BAD",
  [ML_IMAP_BYE]     = "BYE",
  [ML_IMAP_PREAUTH] = "PREAUTH",
};

static const char *const status_keys[] = {
  [ML_IMAP_OK]      = "imap.ok",
  [ML_IMAP_NO]      = "imap.no",
  [ML_IMAP_BAD]     = "imap.bad",
  [ML_IMAP_BYE]     = "imap.bye",
  [ML_IMAP_PREAUTH] = "imap.preauth",
};

static void process_input (MlImapServer *self);

void
ml_imap_server_config_init (MlImapServerConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->hostname = "localhost";
  config->greeting = "IMAP4rev1 maillab ready";
  config->allow_plaintext_login = TRUE;
  config->sasl_mechanisms = 1u << ML_SASL_PLAIN;
  config->auth_failure_delay_ms = 1000;
  config->max_append_size = ML_IMAP_MAX_APPEND;
  config->offer_literal_plus = TRUE;
  config->preauth_user = NULL;
}

/* ---- events ---- */

MlEngineEvent *
_ml_imap_server_event_new (MlEngineEventKind kind, gboolean outgoing)
{
  MlEngineEvent *event = g_new0 (MlEngineEvent, 1);

  event->kind = kind;
  event->protocol = ML_PROTO_IMAP;
  event->outgoing = outgoing;
  event->direction = (kind == ML_ENGINE_EVENT_COMMAND || kind == ML_ENGINE_EVENT_DATA)
                     ? ML_DIR_CLIENT_TO_SERVER : ML_DIR_SERVER_TO_CLIENT;
  return event;
}

void
_ml_imap_server_push_event (MlImapServer *self, MlEngineEvent *event)
{
  g_queue_push_tail (&self->events, event);
}

void
_ml_imap_server_transaction (MlImapServer *self, const char *explain_key,
                             const char *format, ...)
{
  MlEngineEvent *event = _ml_imap_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);
  va_list args;

  va_start (args, format);
  event->detail = g_strdup_vprintf (format, args);
  va_end (args);
  event->explain_key = g_strdup (explain_key);
  _ml_imap_server_push_event (self, event);
}

void
_ml_imap_server_set_state (MlImapServer *self, MlImapServerState state)
{
  MlEngineEvent *event;

  if (self->state == state)
    return;
  event = _ml_imap_server_event_new (ML_ENGINE_EVENT_STATE, FALSE);
  event->state_from = state_names[self->state];
  event->state_to = state_names[state];
  event->explain_key = g_strconcat ("imap.state.", state_names[state], NULL);
  self->state = state;
  _ml_imap_server_push_event (self, event);
}

/* Bytes as a trace shows them: CRLF inside (a literal's lines) as "\n",
 * and valid UTF-8. */
char *
_ml_imap_dup_event_text (const char *data, gsize len)
{
  GString *s = g_string_sized_new (len + 1);
  gsize i;

  for (i = 0; i < len; i++)
    {
      if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
        continue;
      g_string_append_c (s, data[i]);
    }
  if (g_utf8_validate_len (s->str, s->len, NULL))
    return g_string_free (s, FALSE);
  {
    char *valid = g_utf8_make_valid (s->str, (gssize) s->len);

    g_string_free (s, TRUE);
    return valid;
  }
}

/* ---- responses ---- */

gsize
_ml_imap_server_line_begin (MlImapServer *self)
{
  return self->output->len;
}

void
_ml_imap_server_line_end (MlImapServer *self, gsize start, const char *tag,
                          const char *verb, const char *code, const char *explain_key)
{
  MlEngineEvent *event = _ml_imap_server_event_new (ML_ENGINE_EVENT_REPLY, TRUE);

  event->line = _ml_imap_dup_event_text (self->output->str + start, self->output->len - start);
  g_string_append_len (self->output, "\r\n", 2);
  event->verb = g_strdup (verb);
  event->args = g_strdup (tag != NULL ? tag : "*");
  if (code != NULL)
    event->enhanced = g_strndup (code, strcspn (code, " "));
  event->explain_key = g_strdup (explain_key);
  _ml_imap_server_push_event (self, event);
}

/* RFC 3501 9 "text": 1*TEXT-CHAR, no CR, no LF. Our texts quote a peer's
 * words now and then; those must not break the line. */
static void
append_text (GString *out, const char *text)
{
  const guchar *p;

  for (p = (const guchar *) text; *p != '\0'; p++)
    g_string_append_c (out, (*p < 0x20 || *p == 0x7f) ? '?' : (char) *p);
}

void
_ml_imap_server_untagged (MlImapServer *self, const char *verb, const char *format, ...)
{
  gsize start = _ml_imap_server_line_begin (self);
  g_autofree char *lower = g_ascii_strdown (verb, -1);
  g_autofree char *key = g_strconcat ("imap.untagged.", lower, NULL);
  va_list args;

  g_string_append (self->output, "* ");
  va_start (args, format);
  g_string_append_vprintf (self->output, format, args);
  va_end (args);
  _ml_imap_server_line_end (self, start, NULL, verb, NULL, key);
}

static void
status_v (MlImapServer *self, const char *tag, MlImapStatusKind status, const char *code,
          const char *format, va_list args)
{
  gsize start = _ml_imap_server_line_begin (self);
  g_autofree char *text = g_strdup_vprintf (format, args);

  /* RFC 3501 7.1: resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text,
   * resp-text = ["[" resp-text-code "]" SP] text */
  g_string_append_printf (self->output, "%s %s ", tag != NULL ? tag : "*", status_names[status]);
  if (code != NULL)
    {
      g_string_append_c (self->output, '[');
      append_text (self->output, code);
      g_string_append (self->output, "] ");
    }
  append_text (self->output, text);
  _ml_imap_server_line_end (self, start, tag, status_names[status], code, status_keys[status]);
}

void
_ml_imap_server_status (MlImapServer *self, const char *tag, MlImapStatusKind status,
                        const char *code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  status_v (self, tag, status, code, format, args);
  va_end (args);
}

void
_ml_imap_server_complete (MlImapServer *self, MlImapStatusKind status, const char *code,
                          const char *format, ...)
{
  va_list args;

  /* RFC 3501 7.4.1 and 5.2: held updates go out before the tagged
   * response, EXPUNGE only where the command allows it. A BAD command did
   * not run, so it is no moment to change the client's numbering. */
  if ((status == ML_IMAP_OK || status == ML_IMAP_NO) && self->view != NULL)
    _ml_imap_server_flush_updates (self, self->command == NULL
                                         || !(self->command->flags & ML_IMAP_CMD_NO_EXPUNGE));
  va_start (args, format);
  status_v (self, self->tag != NULL ? self->tag : "*", status, code, format, args);
  va_end (args);
}

void
_ml_imap_server_continuation (MlImapServer *self, const char *text)
{
  gsize start = _ml_imap_server_line_begin (self);

  /* RFC 3501 7.5: continue-req = "+" SP (resp-text / base64) CRLF */
  g_string_append (self->output, "+ ");
  append_text (self->output, text != NULL ? text : "");
  _ml_imap_server_line_end (self, start, "+", "+", NULL, "imap.continuation");
}

void
_ml_imap_server_close (MlImapServer *self, const char *reason)
{
  MlEngineEvent *event;

  if (self->wants_close)
    return;
  _ml_imap_server_drop_view (self);
  self->idling = FALSE;
  _ml_imap_server_end_sasl (self);
  _ml_imap_server_set_state (self, ML_IMAP_SERVER_STATE_LOGOUT);
  self->wants_close = TRUE;
  event = _ml_imap_server_event_new (ML_ENGINE_EVENT_CLOSE, FALSE);
  event->explain_key = g_strdup ("imap.connection.close");
  event->detail = g_strdup (reason);
  _ml_imap_server_push_event (self, event);
}

char *
_ml_imap_server_dup_capabilities (MlImapServer *self)
{
  GString *s = g_string_new ("IMAP4rev1");
  guint64 limit = self->config.max_append_size;

  if (self->config.offer_literal_plus)
    g_string_append (s, " LITERAL+");
  g_string_append (s, " SASL-IR ID IDLE MOVE UIDPLUS UNSELECT NAMESPACE SPECIAL-USE"
                      " CHILDREN QUOTA QUOTA=RES-STORAGE");
  /* RFC 7889 2: APPENDLIMIT=<n> is the largest message APPEND takes. */
  g_string_append_printf (s, " APPENDLIMIT=%" G_GUINT64_FORMAT, MIN (limit, (guint64) G_MAXUINT32));
  if (self->state == ML_IMAP_SERVER_STATE_NOT_AUTHENTICATED
      || self->state == ML_IMAP_SERVER_STATE_INIT)
    /* RFC 3501 6.2.1, 6.2.3 and 7.2.1; they change with TLS. */
    _ml_imap_server_append_auth_capabilities (self, s);
  return g_string_free (s, FALSE);
}

/* ---- input ---- */

/* RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+"> */
static gboolean
tag_is_valid (const char *tag, gsize len)
{
  gsize i;

  if (len == 0)
    return FALSE;
  for (i = 0; i < len; i++)
    {
      guchar c = (guchar) tag[i];

      if (c <= 0x20 || c >= 0x7f || strchr ("(){%*\"\\+", c) != NULL)
        return FALSE;
    }
  return TRUE;
}

/* The tag of a command the parser gave up on, if its first word is one. */
static char *
dup_tag_from_raw (MlImapServer *self)
{
  gsize len = 0;
  const char *raw = (const char *) ml_imap_parser_get_raw (self->parser, &len);
  const char *sp = memchr (raw, ' ', len);

  if (sp == NULL || !tag_is_valid (raw, (gsize) (sp - raw)))
    return NULL;
  return g_strndup (raw, (gsize) (sp - raw));
}

static void
parse_error (MlImapServer *self)
{
  g_autofree char *tag = dup_tag_from_raw (self);
  MlImapParseError error = ml_imap_parser_get_error (self->parser);
  const char *message = ml_imap_parser_get_error_message (self->parser);
  gsize raw_len = 0;
  const char *raw = (const char *) ml_imap_parser_get_raw (self->parser, &raw_len);
  MlEngineEvent *event = _ml_imap_server_event_new (ML_ENGINE_EVENT_COMMAND, FALSE);

  event->line = _ml_imap_dup_event_text (raw, raw_len);
  event->explain_key = g_strdup ("imap.unknown");
  _ml_imap_server_push_event (self, event);

  switch (error)
    {
    case ML_IMAP_PARSE_ERROR_LINE_TOO_LONG:
      /* RFC 7162 3 recommends 8192 octets at least; the client went past
       * what we take, and its command is dropped whole. */
      _ml_imap_server_status (self, tag, ML_IMAP_BAD, "TOOBIG",
                              "Command line longer than %u octets", (guint) ML_IMAP_MAX_LINE);
      break;
    case ML_IMAP_PARSE_ERROR_LITERAL_TOO_BIG:
      /* RFC 7888 4, 5: BAD with TOOBIG; a synchronizing literal never
       * gets its "+", so its octets never come. */
      _ml_imap_server_status (self, tag, ML_IMAP_BAD, "TOOBIG", "Literal too big");
      break;
    default:
      _ml_imap_server_status (self, tag, ML_IMAP_BAD, tag != NULL ? "CLIENTBUG" : NULL,
                              "Syntax error: %s", message);
      break;
    }
  self->skipping = TRUE;
}

/* IDLE and AUTHENTICATE read a bare line, not a command (RFC 2177 3,
 * RFC 3501 6.2.2). */
static gboolean
read_raw_line (MlImapServer *self)
{
  MlImapToken text, eol;
  MlImapParseStatus status = ml_imap_parser_next_text (self->parser, &text);
  g_autofree char *line = NULL;
  gsize len;

  if (status == ML_IMAP_PARSE_NEED_MORE)
    return FALSE;
  if (status == ML_IMAP_PARSE_ERROR)
    {
      /* The AUTHENTICATE or IDLE in progress ends here, answered. */
      _ml_imap_server_end_sasl (self);
      self->idling = FALSE;
      _ml_imap_server_complete (self, ML_IMAP_BAD, "TOOBIG", "Line too long");
      self->command = NULL;
      self->uid_command = FALSE;
      self->skipping = TRUE;
      return TRUE;
    }
  /* next_text() leaves one leading SP out; these lines have none to lose. */
  {
    gsize raw_len = 0;
    const char *raw = (const char *) ml_imap_parser_get_raw (self->parser, &raw_len);

    line = g_strndup (raw, raw_len);
    len = raw_len;
  }
  ml_imap_parser_next (self->parser, ML_IMAP_READ_DEFAULT, &eol);
  if (self->auth_pending)
    _ml_imap_server_auth_response (self, line, len);
  else
    _ml_imap_server_idle_line (self, line, len);
  ml_imap_parser_reset (self->parser);
  return TRUE;
}

/* After STARTTLS's OK: what the client pipelined behind it came in clear
 * and is dropped, never read as protected input (RFC 3501 6.2.1; RFC 3207
 * 4.2 names the attack). A fresh parser forgets every buffered byte. */
static void
discard_input (MlImapServer *self, const char *when)
{
  gsize n = ml_imap_parser_get_buffered (self->parser);
  MlEngineEvent *event;

  ml_imap_parser_free (self->parser);
  self->parser = ml_imap_parser_new (ML_IMAP_MAX_LINE, G_MAXUINT32);
  if (n == 0)
    return;
  event = _ml_imap_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);
  event->explain_key = g_strdup ("imap.tls.discarded");
  event->detail = g_strdup_printf ("%" G_GSIZE_FORMAT " octet%s %s discarded", n,
                                   n == 1 ? "" : "s", when);
  _ml_imap_server_push_event (self, event);
}

static void
process_input (MlImapServer *self)
{
  while (!self->wants_close && self->state != ML_IMAP_SERVER_STATE_INIT
         && !self->tls_pending)
    {
      GPtrArray *args = NULL;
      MlImapParseStatus status;

      if (self->output->len > ML_IMAP_MAX_OUTPUT_BACKLOG)
        {
          self->held_back = TRUE;
          return;
        }
      if (self->skipping)
        {
          if (ml_imap_parser_skip_command (self->parser) != ML_IMAP_PARSE_OK)
            return;
          ml_imap_parser_reset (self->parser);
          self->skipping = FALSE;
          continue;
        }
      if (self->auth_pending || self->idling)
        {
          if (!read_raw_line (self))
            return;
          continue;
        }

      status = ml_imap_parser_read_args (self->parser, &args);
      switch (status)
        {
        case ML_IMAP_PARSE_NEED_MORE:
          return;

        case ML_IMAP_PARSE_LITERAL:
          {
            guint64 size = 0;
            gboolean nonsync = FALSE;

            ml_imap_parser_get_literal (self->parser, &size, &nonsync);
            if (!_ml_imap_server_check_literal (self, args, size, nonsync))
              {
                self->skipping = TRUE;
                continue;
              }
            /* RFC 3501 7.5: the client waits for this before the octets. */
            if (!nonsync)
              _ml_imap_server_continuation (self, "Ready for literal data");
            return;
          }

        case ML_IMAP_PARSE_ERROR:
          parse_error (self);
          continue;

        case ML_IMAP_PARSE_OK:
        default:
          _ml_imap_server_dispatch (self, args);
          if (!self->skipping)
            ml_imap_parser_reset (self->parser);
          if (self->tls_pending)
            discard_input (self, "pipelined after STARTTLS");
          break;
        }
    }
}

/* ---- public API ---- */

MlImapServer *
ml_imap_server_new (MlMailStore *store, const MlImapServerConfig *config)
{
  MlImapServer *self;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);

  self = g_new0 (MlImapServer, 1);
  self->config = *config;
  self->config.hostname = g_strdup (config->hostname != NULL ? config->hostname : "localhost");
  self->config.greeting = g_strdup (config->greeting);
  self->config.preauth_user = g_strdup (config->preauth_user);
  if (self->config.max_append_size == 0)
    self->config.max_append_size = ML_IMAP_MAX_APPEND;
  self->store = store;
  self->tls_active = config->implicit_tls;
  /* Literal sizes are judged per command before "+" (check_literal), so
   * the parser only enforces RFC 3501 9 "number": 32 bits. */
  self->parser = ml_imap_parser_new (ML_IMAP_MAX_LINE, G_MAXUINT32);
  self->output = g_string_sized_new (1024);
  g_queue_init (&self->events);
  self->state = ML_IMAP_SERVER_STATE_INIT;
  self->listener_id = ml_mail_store_add_listener (store, _ml_imap_server_on_store_change, self);
  return self;
}

void
ml_imap_server_free (MlImapServer *self)
{
  if (self == NULL)
    return;
  ml_mail_store_remove_listener (self->store, self->listener_id);
  _ml_imap_server_drop_view (self);
  _ml_imap_server_end_sasl (self);
  ml_imap_parser_free (self->parser);
  g_string_free (self->output, TRUE);
  g_queue_clear_full (&self->events, ml_engine_event_free);
  g_free (self->tag);
  g_free ((char *) self->config.hostname);
  g_free ((char *) self->config.greeting);
  g_free ((char *) self->config.preauth_user);
  g_free (self);
}

void
ml_imap_server_set_wakeup (MlImapServer *self, MlImapServerWakeup func, gpointer user_data)
{
  g_return_if_fail (self != NULL);
  self->wakeup = func;
  self->wakeup_data = user_data;
}

void
ml_imap_server_set_now (MlImapServer *self, gint64 unix_usec)
{
  g_return_if_fail (self != NULL);
  self->now_usec = unix_usec;
}

void
ml_imap_server_start (MlImapServer *self)
{
  g_autofree char *caps = NULL;
  MlAccount *preauth = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->state == ML_IMAP_SERVER_STATE_INIT);

  if (self->config.preauth_user != NULL)
    preauth = ml_mail_store_find_account (self->store, self->config.preauth_user);
  self->state = ML_IMAP_SERVER_STATE_NOT_AUTHENTICATED;
  caps = _ml_imap_server_dup_capabilities (self);
  if (preauth != NULL)
    {
      /* RFC 3501 7.1.4: PREAUTH, and the session starts authenticated. */
      _ml_imap_server_status (self, NULL, ML_IMAP_PREAUTH, NULL, "%s logged in as %s",
                              self->config.hostname, ml_account_get_address (preauth));
      self->state = ML_IMAP_SERVER_STATE_INIT;
      _ml_imap_server_set_state (self, ML_IMAP_SERVER_STATE_NOT_AUTHENTICATED);
      _ml_imap_server_login (self, preauth, "preauth");
    }
  else
    {
      /* RFC 3501 7.1.1: the greeting may carry CAPABILITY (7.2.1) and
       * spare the client a round trip. */
      g_autofree char *code = g_strconcat ("CAPABILITY ", caps, NULL);

      _ml_imap_server_status (self, NULL, ML_IMAP_OK, code, "%s %s", self->config.hostname,
                              self->config.greeting != NULL ? self->config.greeting : "");
      self->state = ML_IMAP_SERVER_STATE_INIT;
      _ml_imap_server_set_state (self, ML_IMAP_SERVER_STATE_NOT_AUTHENTICATED);
    }
  process_input (self);
}

gsize
ml_imap_server_feed (MlImapServer *self, const guint8 *data, gsize len)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (data != NULL || len == 0, 0);

  if (self->wants_close)
    return 0;
  if (self->tls_pending)
    {
      /* Only the handshake may come now, and it is the owner's. */
      ml_imap_parser_feed (self->parser, data, len);
      discard_input (self, "received in clear before the TLS handshake");
      return len;
    }
  ml_imap_parser_feed (self->parser, data, len);
  self->in_feed = TRUE;
  process_input (self);
  self->in_feed = FALSE;
  return len;
}

gboolean
ml_imap_server_next_event (MlImapServer *self, MlEngineEvent *event_out)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (event_out != NULL, FALSE);

  return ml_engine_event_queue_pop (&self->events, event_out);
}

GBytes *
ml_imap_server_take_output (MlImapServer *self)
{
  GBytes *bytes;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->output->len == 0)
    return NULL;
  bytes = g_bytes_new_take (self->output->str, self->output->len);
  g_string_free (self->output, FALSE);
  self->output = g_string_sized_new (1024);

  if (self->held_back && !self->wants_close)
    {
      /* The backlog is gone: answer what was held back, and say so. */
      self->held_back = FALSE;
      self->in_feed = TRUE;
      process_input (self);
      self->in_feed = FALSE;
      if ((self->output->len > 0 || !g_queue_is_empty (&self->events)) && self->wakeup != NULL)
        self->wakeup (self, self->wakeup_data);
    }
  return bytes;
}

gboolean
ml_imap_server_wants_close (MlImapServer *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->wants_close;
}

void
ml_imap_server_shutdown (MlImapServer *self, const char *text)
{
  g_return_if_fail (self != NULL);

  if (self->wants_close)
    return;
  /* RFC 3501 7.1.5 */
  _ml_imap_server_status (self, NULL, ML_IMAP_BYE, NULL, "%s",
                          text != NULL ? text : "Server shutting down");
  _ml_imap_server_close (self, "shutdown");
}

void
ml_imap_server_send_alert (MlImapServer *self, const char *text)
{
  g_return_if_fail (self != NULL && text != NULL);

  if (self->wants_close || self->state == ML_IMAP_SERVER_STATE_INIT)
    return;
  /* RFC 3501 7.1: an untagged status response may come at any time;
   * ALERT (7.1) asks the client to show the text to the user. */
  _ml_imap_server_status (self, NULL, ML_IMAP_OK, "ALERT", "%s", text);
}

void
ml_imap_server_connection_lost (MlImapServer *self)
{
  g_return_if_fail (self != NULL);

  if (self->state == ML_IMAP_SERVER_STATE_LOGOUT)
    return;
  /* An APPEND still waiting for octets has appended nothing: messages are
   * only added once the command is complete. */
  _ml_imap_server_drop_view (self);
  self->idling = FALSE;
  _ml_imap_server_end_sasl (self);
  _ml_imap_server_set_state (self, ML_IMAP_SERVER_STATE_LOGOUT);
  self->wants_close = TRUE;
}

void
ml_imap_server_tls_started (MlImapServer *self)
{
  MlEngineEvent *event;

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->tls_pending);

  self->tls_pending = FALSE;
  self->tls_active = TRUE;
  event = _ml_imap_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);
  event->explain_key = g_strdup ("imap.tls.active");
  event->detail = g_strdup ("TLS active");
  _ml_imap_server_push_event (self, event);
  self->in_feed = TRUE;
  process_input (self);
  self->in_feed = FALSE;
}

gboolean
ml_imap_server_is_tls (MlImapServer *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->tls_active;
}

guint
ml_imap_server_take_delay_ms (MlImapServer *self)
{
  guint delay;

  g_return_val_if_fail (self != NULL, 0);
  delay = self->delay_ms;
  self->delay_ms = 0;
  return delay;
}

guint
ml_imap_server_get_n_auth_failures (MlImapServer *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->auth_failures;
}

MlImapServerState
ml_imap_server_get_state (MlImapServer *self)
{
  g_return_val_if_fail (self != NULL, ML_IMAP_SERVER_STATE_LOGOUT);
  return self->state;
}

const char *
ml_imap_server_state_to_string (MlImapServerState state)
{
  g_return_val_if_fail (state <= ML_IMAP_SERVER_STATE_LOGOUT, "unknown");
  return state_names[state];
}

const char *
ml_imap_server_get_state_name (MlImapServer *self)
{
  g_return_val_if_fail (self != NULL, "unknown");
  return state_names[self->state];
}

MlAccount *
ml_imap_server_get_account (MlImapServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->account;
}

MlMailbox *
ml_imap_server_get_selected (MlImapServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->view != NULL ? self->view->mailbox : NULL;
}

gboolean
ml_imap_server_is_idling (MlImapServer *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->idling;
}

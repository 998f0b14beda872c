#define G_LOG_DOMAIN "ml-console"

#include <string.h>
#include "world/console-session-private.h"
#include "world/session-record.h"
#include "world/mail-host.h"
#include "world/mailbox-services.h"
#include "world/host-security.h"

/* The session's struct is in console-session-private.h; reading the
 * server's responses is console-response.c's. This file sends what was
 * typed, runs the engine for engine-session, and is the owner's handle. */

/* Verbs the catalog has a note for; any other is "<protocol>.unknown",
 * which is also what the servers call it. */
static const char * const smtp_verbs[] = {
  "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY",
  "EXPN", "HELP", "SEND", "SOML", "SAML", "TURN", "ETRN", "ATRN", "BDAT",
  "STARTTLS", "AUTH", NULL,
};
static const char * const pop3_verbs[] = {
  "USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET",
  "QUIT", "TOP", "UIDL", "CAPA", "STLS", "AUTH", NULL,
};
static const char * const imap_verbs[] = {
  "CAPABILITY", "NOOP", "LOGOUT", "ID", "STARTTLS", "AUTHENTICATE", "LOGIN",
  "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE",
  "UNSUBSCRIBE", "LIST", "LSUB", "STATUS", "APPEND", "NAMESPACE", "GETQUOTA",
  "GETQUOTAROOT", "SETQUOTA", "IDLE", "ENABLE", "CHECK", "CLOSE", "UNSELECT",
  "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "UID FETCH",
  "UID STORE", "UID COPY", "UID MOVE", "UID SEARCH", "UID EXPUNGE", "UID",
  NULL,
};

static const char *
protocol_area (MlProtocol protocol)
{
  return protocol == ML_PROTO_SMTP ? "smtp" : protocol == ML_PROTO_POP3 ? "pop3" : "imap";
}

/* "smtp.mail", "imap.uid.fetch", or "<area>.unknown". */
static char *
dup_command_key (MlProtocol protocol, const char *verb)
{
  const char * const *known = protocol == ML_PROTO_SMTP ? smtp_verbs
                              : protocol == ML_PROTO_POP3 ? pop3_verbs : imap_verbs;
  g_autofree char *lower = NULL;

  if (verb == NULL || !g_strv_contains (known, verb))
    return g_strconcat (protocol_area (protocol), ".unknown", NULL);
  lower = g_ascii_strdown (verb, -1);
  g_strdelimit (lower, " ", '.');
  return g_strconcat (protocol_area (protocol), ".", lower, NULL);
}

MlEngineEvent *
_ml_console_session_push_event (MlConsoleSession *self, MlEngineEventKind kind, MlDirection direction, gboolean outgoing)
{
  MlEngineEvent *ev = g_new0 (MlEngineEvent, 1);

  ev->kind = kind;
  ev->protocol = self->protocol;
  ev->direction = direction;
  ev->outgoing = outgoing;
  g_queue_push_tail (&self->events, ev);
  return ev;
}

static void
write_line (MlConsoleSession *self, const char *line)
{
  g_byte_array_append (self->out, (const guint8 *) line, (guint) strlen (line));
  g_byte_array_append (self->out, (const guint8 *) "\r\n", 2);
}

/* A command line as our client engines record it: verb, arguments, key. */
static void
push_command (MlConsoleSession *self, const char *line, const char *verb, const char *args,
              const char *explain_key)
{
  MlEngineEvent *ev = _ml_console_session_push_event (self, ML_ENGINE_EVENT_COMMAND, ML_DIR_CLIENT_TO_SERVER, TRUE);

  ev->line = g_utf8_make_valid (line, -1);
  ev->verb = g_strdup (verb);
  ev->args = args != NULL && *args != '\0' ? g_utf8_make_valid (args, -1) : NULL;
  ev->explain_key = explain_key != NULL ? g_strdup (explain_key)
                                        : dup_command_key (self->protocol, verb);
  /* A view may mask a password (session-record.h). */
  if (verb != NULL && (g_str_equal (verb, "PASS") || g_str_equal (verb, "LOGIN")))
    ev->detail = g_strdup ("credential");
}

void
_ml_console_session_deliver (MlConsoleSession *self, MlConsoleResponseKind kind, const char *text, guint code,
         gboolean ok, const char *explain_key)
{
  MlConsoleResponse r = { 0 };

  if (!self->handle_alive || self->func == NULL)
    return;
  r.kind = kind;
  r.protocol = self->protocol;
  r.text = text;
  r.code = code;
  r.ok = ok;
  r.explain_key = explain_key;
  r.command = self->inflight;
  r.unsent = g_queue_get_length (&self->queued);
  self->func (self, &r, self->user_data);
}

/* ---- sending ---- */

static char *
dup_word (const char *text, const char **rest_out)
{
  const char *sp;

  while (*text == ' ')
    text++;
  sp = strchr (text, ' ');
  if (rest_out != NULL)
    *rest_out = sp != NULL ? sp + 1 : text + strlen (text);
  return sp != NULL ? g_strndup (text, (gsize) (sp - text)) : g_strdup (text);
}

/* RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+">, and ASTRING-CHAR is
 * ATOM-CHAR or "]". */
static gboolean
imap_tag_is_valid (const char *tag)
{
  if (*tag == '\0')
    return FALSE;
  for (const char *p = tag; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c <= 0x20 || c >= 0x7f || strchr ("(){%*\"\\+", c) != NULL)
        return FALSE;
    }
  return TRUE;
}

/* Whether @line ends with a literal's announcement (RFC 3501 4.3): 0 none,
 * 1 "{n}" (the server must say "+" first), 2 "{n+}" (LITERAL+, RFC 7888 4:
 * the octets follow at once). */
static int
imap_literal_at_end (const char *line)
{
  gsize len = strlen (line);
  gsize i;
  gboolean plus = FALSE;

  if (len < 3 || line[len - 1] != '}')
    return 0;
  i = len - 1;
  if (line[i - 1] == '+')
    {
      plus = TRUE;
      i--;
    }
  if (i == 0 || !g_ascii_isdigit (line[i - 1]))
    return 0;
  while (i > 0 && g_ascii_isdigit (line[i - 1]))
    i--;
  if (i == 0 || line[i - 1] != '{')
    return 0;
  return plus ? 2 : 1;
}

static void
set_inflight (MlConsoleSession *self, const char *line, char *verb /* steals */)
{
  g_free (self->inflight);
  self->inflight = g_strdup (line);
  g_free (self->verb);
  self->verb = verb;
}

/* Recorded once all of it went out, literals included, as our client
 * does (imap-client.c): one command, one line on the ladder, its arguments
 * what follows the tag and the verb ("UID FETCH" is two words). */
static void
send_imap_command_event (MlConsoleSession *self)
{
  const char *args = self->imap_command->str;
  guint words = 1 + (self->verb != NULL && strchr (self->verb, ' ') != NULL ? 2 : 1);

  for (guint i = 0; i < words; i++)
    g_free (dup_word (args, &args));
  push_command (self, self->imap_command->str, self->verb, args, NULL);
  g_string_truncate (self->imap_command, 0);
}

#define APOP_OPEN "{apop:"   /* then the secret and "}" */

/* "{apop:SECRET}" in a typed POP3 line: the APOP digest, MD5 of the
 * greeting's timestamp followed by the secret, in lower-case hex (RFC
 * 1939 7), so a lesson need not hard-code a digest of one greeting. With
 * no timestamp in the greeting the server does not offer APOP: the word
 * becomes "no-apop-timestamp" and the server refuses it, while the secret
 * never reaches the wire. Transfer full. */
static char *
expand_apop (MlConsoleSession *self, const char *line)
{
  const char *start = strstr (line, APOP_OPEN);
  const char *secret, *end;
  g_autofree char *plain = NULL;
  g_autofree char *digest = NULL;

  if (start == NULL)
    return g_strdup (line);
  secret = start + strlen (APOP_OPEN);
  end = strchr (secret, '}');
  if (end == NULL)
    return g_strdup (line);
  if (self->apop_timestamp != NULL)
    {
      plain = g_strdup_printf ("%s%.*s", self->apop_timestamp, (int) (end - secret), secret);
      digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, plain, -1);
    }
  return g_strdup_printf ("%.*s%s%s", (int) (start - line), line,
                          digest ? digest : "no-apop-timestamp", end + 1);
}

static void
send_command (MlConsoleSession *self, const char *typed)
{
  g_autofree char *expanded = self->protocol == ML_PROTO_POP3 ? expand_apop (self, typed)
                                                              : g_strdup (typed);
  const char *line = expanded;
  const char *rest = NULL;
  char *verb = NULL;

  switch (self->protocol)
    {
    case ML_PROTO_SMTP:
      {
        g_autofree char *word = dup_word (line, &rest);

        verb = g_ascii_strup (word, -1);
        write_line (self, line);
        push_command (self, line, verb, rest, NULL);
        set_inflight (self, line, verb);
        self->awaiting = TRUE;
      }
      break;

    case ML_PROTO_POP3:
      {
        g_auto(MlPop3Command) cmd = { 0 };

        if (ml_pop3_command_parse (line, strlen (line), &cmd) == ML_POP3_COMMAND_OK)
          {
            verb = g_strdup (cmd.keyword);
            self->n_args = g_strv_length (cmd.args);
            rest = cmd.rest;
          }
        else
          self->n_args = 0;
        write_line (self, line);
        push_command (self, line, verb, rest, NULL);
        set_inflight (self, line, verb);
        self->awaiting = TRUE;
      }
      break;

    case ML_PROTO_IMAP:
    default:
      {
        g_autofree char *tag = dup_word (line, &rest);
        g_autofree char *word = dup_word (rest, &rest);
        int literal = imap_literal_at_end (line);

        verb = g_ascii_strup (word, -1);
        if (g_str_equal (verb, "UID") && *rest != '\0')
          {
            g_autofree char *second = dup_word (rest, NULL);
            g_autofree char *upper = g_ascii_strup (second, -1);

            g_free (verb);
            verb = g_strconcat ("UID ", upper, NULL);
          }
        g_free (self->tag);
        self->tag = g_strdup (tag);
        self->tag_valid = imap_tag_is_valid (tag);
        write_line (self, line);
        set_inflight (self, line, verb);
        g_string_assign (self->imap_command, line);
        if (literal == 0)
          send_imap_command_event (self);
        /* LITERAL+ (RFC 7888 4): the octets follow without a "+". */
        self->awaiting = literal != 2;
        if (literal == 2)
          self->state.input = ML_CONSOLE_INPUT_CONTINUATION;
      }
      break;
    }
}

/* RFC 5321 4.1.1.4: the content goes after 354, and the lone "." ends it.
 * Each line goes as typed, dot-stuffing included: RFC 5321 4.5.2 is the
 * client's job, and here the student is the client. The server says
 * nothing before the ".", so the content is one DATA event there, as our
 * client records it (smtp-client.c): lines joined by "\n", the "." last. */
static void
send_content_line (MlConsoleSession *self, const char *line)
{
  MlEngineEvent *ev;

  write_line (self, line);
  if (!g_str_equal (line, "."))
    {
      self->content_octets += strlen (line) + 2;
      if (self->content->len + strlen (line) + 1 <= ML_CONSOLE_MAX_CONTENT)
        g_string_append_printf (self->content, "%s\n", line);
      else if (!self->content_cut)
        {
          self->content_cut = TRUE;
          g_string_append (self->content, "[…]\n");
        }
      return;
    }
  g_string_append (self->content, ".");
  ev = _ml_console_session_push_event (self, ML_ENGINE_EVENT_DATA, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->line = g_utf8_make_valid (self->content->str, -1);
  /* RFC 1870 5 counts the CRLFs, not the final ".CRLF". */
  ev->detail = g_strdup_printf ("%" G_GSIZE_FORMAT " octets", self->content_octets);
  ev->explain_key = g_strdup ("smtp.data.content");
  g_string_truncate (self->content, 0);
  self->content_octets = 0;
  self->content_cut = FALSE;
  set_inflight (self, ".", g_strdup ("."));
  self->awaiting = TRUE;
  self->state.input = ML_CONSOLE_INPUT_COMMAND;
}

static void
send_continuation (MlConsoleSession *self, const char *line)
{
  const char *key;

  write_line (self, line);
  self->state.input = ML_CONSOLE_INPUT_COMMAND;
  self->awaiting = TRUE;
  switch (self->protocol)
    {
    case ML_PROTO_SMTP:
      /* RFC 4954 4: a base64 line, or "*" to cancel. */
      push_command (self, line, NULL, NULL, "smtp.console.sasl-response");
      break;
    case ML_PROTO_POP3:
      push_command (self, line, NULL, NULL, "pop3.console.sasl-response");
      break;
    case ML_PROTO_IMAP:
    default:
      if (g_strcmp0 (self->verb, "IDLE") == 0)
        {
          /* RFC 2177 3: "DONE" is no command and has no tag. */
          key = g_ascii_strcasecmp (line, "DONE") == 0 ? "imap.done" : "imap.unknown";
          push_command (self, line, g_ascii_strcasecmp (line, "DONE") == 0 ? "DONE" : NULL,
                        NULL, key);
        }
      else if (g_strcmp0 (self->verb, "AUTHENTICATE") == 0)
        push_command (self, line, "AUTHENTICATE", NULL,
                      g_str_equal (line, "*") ? "imap.authenticate.cancel"
                                              : "imap.authenticate.response");
      else
        {
          int literal = imap_literal_at_end (line);

          /* The literal's octets and the rest of the command (RFC 3501
           * 4.3): one more piece of the same command. */
          g_string_append_c (self->imap_command, '\n');
          g_string_append (self->imap_command, line);
          if (literal == 0)
            send_imap_command_event (self);
          self->awaiting = literal != 2;
          if (literal == 2)
            self->state.input = ML_CONSOLE_INPUT_CONTINUATION;
        }
      break;
    }
}

static void
check_finished (MlConsoleSession *self)
{
  if (self->done)
    return;
  if (self->state.input == ML_CONSOLE_INPUT_CLOSED ||
      (!self->handle_alive && !self->awaiting && g_queue_is_empty (&self->queued)))
    self->done = TRUE;
}

static void
try_send (MlConsoleSession *self)
{
  while (!self->awaiting && !self->tls_pending && !self->done
         && self->state.input != ML_CONSOLE_INPUT_CLOSED
         && !g_queue_is_empty (&self->queued))
    {
      g_autofree char *line = g_queue_pop_head (&self->queued);

      switch (self->state.input)
        {
        case ML_CONSOLE_INPUT_CONTENT:
          send_content_line (self, line);
          break;
        case ML_CONSOLE_INPUT_CONTINUATION:
          send_continuation (self, line);
          break;
        case ML_CONSOLE_INPUT_COMMAND:
        case ML_CONSOLE_INPUT_CLOSED:
        default:
          send_command (self, line);
          break;
        }
    }
  check_finished (self);
}

/* ---- the engine, through MlEngineOps ---- */

static gsize
console_feed (gpointer engine, const guint8 *data, gsize len)
{
  MlConsoleSession *self = engine;

  if (self->state.input == ML_CONSOLE_INPUT_CLOSED && self->done)
    return len;
  self->in_feed = TRUE;
  switch (self->protocol)
    {
    case ML_PROTO_SMTP:
      ml_smtp_reply_parser_push (self->smtp, data, len);
      for (;;)
        {
          g_autoptr(MlSmtpReply) reply = NULL;
          g_autoptr(GError) error = NULL;
          MlSmtpReplyStatus st = ml_smtp_reply_parser_next (self->smtp, &reply, &error);

          if (st == ML_SMTP_REPLY_NEED_MORE)
            break;
          if (st == ML_SMTP_REPLY_DONE)
            _ml_console_session_on_smtp_reply (self, reply);
          else
            _ml_console_session_malformed (self, error);
          try_send (self);
        }
      break;

    case ML_PROTO_POP3:
      ml_pop3_response_parser_push (self->pop3, data, len);
      for (;;)
        {
          g_autoptr(MlPop3Response) response = NULL;
          g_autoptr(GError) error = NULL;
          gboolean multiline = self->awaiting && self->verb != NULL
                               && ml_pop3_command_is_multiline (self->verb, self->n_args);
          MlPop3ParseStatus st = ml_pop3_response_parser_next (self->pop3, multiline,
                                                               &response, &error);

          if (st == ML_POP3_PARSE_NEED_MORE)
            break;
          if (st == ML_POP3_PARSE_DONE)
            _ml_console_session_on_pop3_response (self, response);
          else
            _ml_console_session_malformed (self, error);
          try_send (self);
        }
      break;

    case ML_PROTO_IMAP:
    default:
      ml_imap_response_parser_push (self->imap, data, len);
      for (;;)
        {
          g_autoptr(MlImapResponse) response = NULL;
          g_autoptr(GError) error = NULL;
          MlImapResponseResult st = ml_imap_response_parser_next (self->imap, &response, &error);

          if (st == ML_IMAP_RESPONSE_NEED_MORE)
            break;
          if (st == ML_IMAP_RESPONSE_READY)
            _ml_console_session_on_imap_response (self, response);
          else
            _ml_console_session_malformed (self, error);
          try_send (self);
        }
      break;
    }
  self->in_feed = FALSE;
  return len;
}

static gboolean
console_next_event (gpointer engine, MlEngineEvent *event_out)
{
  return ml_engine_event_queue_pop (&((MlConsoleSession *) engine)->events, event_out);
}

static GBytes *
console_take_output (gpointer engine)
{
  MlConsoleSession *self = engine;

  return ml_engine_take_bytes (&self->out);
}

static gboolean
console_finished (gpointer engine)
{
  MlConsoleSession *self = engine;

  return self->done && self->out->len == 0;
}

static void
console_connection_lost (gpointer engine)
{
  MlConsoleSession *self = engine;

  self->state.input = ML_CONSOLE_INPUT_CLOSED;
  self->state.idling = FALSE;
  self->awaiting = FALSE;
}

static void
console_tls_started (gpointer engine)
{
  MlConsoleSession *self = engine;

  self->tls_pending = FALSE;
  /* RFC 3207 4.2: nothing read before the handshake counts. */
  if (self->smtp != NULL)
    ml_smtp_reply_parser_reset (self->smtp);
  if (self->pop3 != NULL)
    ml_pop3_response_parser_reset (self->pop3);
  if (self->imap != NULL)
    ml_imap_response_parser_reset (self->imap);
  try_send (self);
}

static void
console_free_all (MlConsoleSession *self)
{
  g_queue_clear_full (&self->events, ml_engine_event_free);
  g_queue_clear_full (&self->queued, g_free);
  g_byte_array_unref (self->out);
  g_string_free (self->content, TRUE);
  g_string_free (self->imap_command, TRUE);
  g_clear_pointer (&self->smtp, ml_smtp_reply_parser_free);
  g_clear_pointer (&self->pop3, ml_pop3_response_parser_free);
  g_clear_pointer (&self->imap, ml_imap_response_parser_free);
  g_free (self->inflight);
  g_free (self->verb);
  g_free (self->tag);
  g_free (self->apop_timestamp);
  g_free (self->host);
  g_free (self);
}

static void
console_engine_free (gpointer engine)
{
  MlConsoleSession *self = engine;

  self->engine_alive = FALSE;
  self->session = NULL;
  if (!self->handle_alive)
    console_free_all (self);
}

static const MlEngineOps console_ops = {
  .feed = console_feed,
  .next_event = console_next_event,
  .take_output = console_take_output,
  .finished = console_finished,
  .connection_lost = console_connection_lost,
  .set_now = NULL,
  .free = console_engine_free,
  .tls_started = console_tls_started,
};

static void
on_session_done (gpointer engine, const GError *error, gpointer user_data)
{
  MlConsoleSession *self = engine;
  guint unsent = g_queue_get_length (&self->queued);

  self->state.input = ML_CONSOLE_INPUT_CLOSED;
  if (unsent > 0 && !self->unsent_noted)
    {
      g_autofree char *text = g_strdup_printf ("%u typed line%s not sent: the connection ended first",
                                               unsent, unsent == 1 ? " was" : "s were");

      self->unsent_noted = TRUE;
      ml_network_note (self->network, self->host, "mua.console.unsent", text,
                       error != NULL ? error->message : NULL);
    }
  _ml_console_session_deliver (self, ML_CONSOLE_RESPONSE_CLOSED,
           error != NULL ? error->message : "the connection is closed", 0, error == NULL, NULL);
}

/* ---- the handle ---- */

MlConsoleSession *
ml_console_session_open (MlNetwork *network, MlHost *client, guint32 server_ip, guint16 port,
                         MlProtocol protocol, MlConsoleResponseFunc func, gpointer user_data,
                         GDestroyNotify destroy)
{
  MlConsoleSession *self;

  g_return_val_if_fail (network != NULL && client != NULL, NULL);
  g_return_val_if_fail (protocol == ML_PROTO_SMTP || protocol == ML_PROTO_POP3
                        || protocol == ML_PROTO_IMAP, NULL);

  self = g_new0 (MlConsoleSession, 1);
  self->network = network;
  self->host = g_strdup (ml_host_get_name (client));
  self->protocol = protocol;
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  self->handle_alive = TRUE;
  self->engine_alive = TRUE;
  g_queue_init (&self->events);
  g_queue_init (&self->queued);
  self->out = g_byte_array_new ();
  self->content = g_string_new (NULL);
  self->imap_command = g_string_new (NULL);
  if (protocol == ML_PROTO_SMTP)
    self->smtp = ml_smtp_reply_parser_new ();
  else if (protocol == ML_PROTO_POP3)
    self->pop3 = ml_pop3_response_parser_new ();
  else
    self->imap = ml_imap_response_parser_new ();
  /* RFC 5321 3.1, RFC 1939 4, RFC 3501 7.1: the server speaks first. */
  self->awaiting = TRUE;
  self->session = ml_engine_session_connect (network, client, server_ip, port, self,
                                             &console_ops, on_session_done, NULL);
  /* RFC 8314 3.3: these ports speak TLS from the first byte, so the
   * console starts with the handshake, as `openssl s_client` does. */
  if (port == ML_PORT_SUBMISSIONS || port == ML_PORT_IMAPS || port == ML_PORT_POP3S)
    ml_engine_session_start_tls (self->session);
  return self;
}

gboolean
ml_console_session_send_line (MlConsoleSession *self, const char *line)
{
  g_autofree char *copy = NULL;
  gsize len;

  g_return_val_if_fail (self != NULL && line != NULL, FALSE);

  len = strlen (line);
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  if (len + 2 > ML_CONSOLE_MAX_LINE || memchr (line, '\r', len) != NULL
      || memchr (line, '\n', len) != NULL)
    return FALSE;
  if (g_queue_get_length (&self->queued) >= ML_CONSOLE_MAX_QUEUED
      || self->state.input == ML_CONSOLE_INPUT_CLOSED || self->done || !self->engine_alive)
    return FALSE;
  copy = g_strndup (line, len);
  g_queue_push_tail (&self->queued, g_steal_pointer (&copy));
  if (!self->in_feed)
    {
      try_send (self);
      /* Not pumped here: the owner may be inside a callback of this very
       * session, and the stream must never be written from in there. */
      if (self->session != NULL)
        ml_engine_session_schedule_pump (self->session);
    }
  return TRUE;
}

void
ml_console_session_get_state (MlConsoleSession *self, MlConsoleState *state_out)
{
  g_return_if_fail (self != NULL && state_out != NULL);

  *state_out = self->state;
}

MlProtocol
ml_console_session_get_protocol (MlConsoleSession *self)
{
  g_return_val_if_fail (self != NULL, ML_PROTO_NONE);

  return self->protocol;
}

guint
ml_console_session_get_queued (MlConsoleSession *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return g_queue_get_length (&self->queued);
}

void
ml_console_session_close (MlConsoleSession *self)
{
  GDestroyNotify destroy;
  gpointer data;

  if (self == NULL || !self->handle_alive)
    return;
  self->handle_alive = FALSE;
  destroy = self->destroy;
  data = self->user_data;
  self->func = NULL;
  self->destroy = NULL;
  self->user_data = NULL;
  if (destroy != NULL)
    destroy (data);
  if (!self->engine_alive)
    {
      console_free_all (self);
      return;
    }
  if (!self->in_feed)
    {
      try_send (self);
      if (self->session != NULL)
        ml_engine_session_schedule_pump (self->session);
    }
}

/* ---- the lesson step ---- */

void
ml_console_session_start_step (MlNetwork *network, const MlLessonStep *step)
{
  MlHost *client = step->host != NULL ? ml_network_find_host (network, step->host) : NULL;
  MlHost *server = step->server != NULL ? ml_network_find_host (network, step->server) : NULL;
  MlProtocol protocol = step->protocol != ML_PROTO_NONE ? step->protocol : ML_PROTO_SMTP;
  guint16 port = step->port;
  MlConsoleSession *self;

  if (client == NULL || server == NULL)
    {
      g_autofree char *text = g_strdup_printf ("the console cannot start: no host named %s",
                                               client == NULL ? step->host : step->server);

      ml_network_note (network, step->host, "mua.console.no-host", text, NULL);
      return;
    }
  if (port == 0)
    port = protocol == ML_PROTO_SMTP ? ML_PORT_SMTP
           : protocol == ML_PROTO_POP3 ? ML_PORT_POP3 : ML_PORT_IMAP;
  self = ml_console_session_open (network, client, ml_host_get_ipv4 (server), port, protocol,
                                  NULL, NULL, NULL);
  for (guint i = 0; step->lines != NULL && step->lines[i] != NULL; i++)
    if (!ml_console_session_send_line (self, step->lines[i]))
      {
        g_autofree char *text = g_strdup_printf ("typed line %u was refused: too long or not one line",
                                                 i + 1);

        ml_network_note (network, step->host, "mua.console.refused", text, NULL);
      }
  ml_console_session_close (self);
}

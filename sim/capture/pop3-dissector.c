/* pop3-dissector.c — a recorded POP3 conversation read back into lines.
 *
 * Commands go through the server's parser, responses through the client's
 * (pop3-parser.h). Whether "+OK" starts a multi-line response depends on
 * the command it answers (RFC 1939 3: LIST and UIDL without an argument,
 * RETR, TOP; RFC 2449 5: CAPA), so the commands wait in a queue for their
 * responses, in order (RFC 2449 6.6 allows pipelining). During AUTH
 * (RFC 5034 4) the server's "+ " lines are challenges and the client's
 * lines are answers, not commands.
 */
#define G_LOG_DOMAIN "ml-capture"

#include "capture/capture-private.h"
#include "proto/line-buffer.h"
#include "proto/pop3-parser.h"

#include <string.h>

typedef enum {
  CLIENT_COMMAND = 0,
  CLIENT_WAIT,   /* STLS or AUTH sent: the reply decides */
  CLIENT_SASL,   /* the next line answers a "+ " challenge */
} ClientMode;

typedef struct {
  char  *keyword;   /* upper-cased */
  guint  n_args;
} Pending;

typedef struct {
  MlCaptureDissector    base;
  MlLineBuffer         *client;
  MlLineBuffer         *server_lines;
  MlPop3ResponseParser *server;
  gboolean              in_response;       /* a multi-line body is being read */
  gboolean              greeted;
  ClientMode            mode;
  GQueue                pending;           /* Pending* */
  char                 *user;              /* from USER, for PASS */
  MlCaptureSasl         sasl;
  const char           *state;             /* the server's, RFC 1939 3 */
} Pop3Dissector;

static const char *const known_keywords[] = {
  "USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT",
  "TOP", "UIDL", "CAPA", "STLS", "AUTH",
};

static void
pending_free (gpointer data)
{
  Pending *p = data;
  g_free (p->keyword);
  g_free (p);
}

static void
set_state (Pop3Dissector *self, const char *to)
{
  g_autofree char *key = NULL;

  if (g_strcmp0 (self->state, to) == 0)
    return;
  key = g_strdup_printf ("pop3.state.%s", to);
  ml_capture_emit_state (self->base.em, self->state, to, key);
  self->state = to;
}

static void
handle_command (Pop3Dissector *self, const char *line, gsize len)
{
  g_auto(MlPop3Command) cmd = { 0 };
  g_autofree char *key = NULL;
  gboolean known = FALSE;
  Pending *p;

  if (ml_pop3_command_parse (line, len, &cmd) != ML_POP3_COMMAND_OK)
    {
      ml_capture_emit_malformed (self->base.em, ML_DIR_CLIENT_TO_SERVER, "pop3.unknown",
                                 "a client line that is no POP3 command");
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (known_keywords); i++)
    if (strcmp (cmd.keyword, known_keywords[i]) == 0)
      known = TRUE;
  key = known ? g_ascii_strdown (cmd.keyword, -1) : g_strdup ("unknown");
  {
    g_autofree char *full = g_strconcat ("pop3.", key, NULL);
    gboolean secret = strcmp (cmd.keyword, "PASS") == 0 || strcmp (cmd.keyword, "AUTH") == 0;
    ml_capture_emit_command (self->base.em, line, cmd.keyword, cmd.rest, full,
                             secret ? "credential" : NULL);
  }

  if (strcmp (cmd.keyword, "USER") == 0)
    {
      g_free (self->user);
      self->user = g_strdup (cmd.rest);
    }
  else if (strcmp (cmd.keyword, "PASS") == 0)
    /* RFC 1939 7: the password is the rest of the line, in clear. */
    ml_capture_emit_credentials (self->base.em, "USER/PASS", self->user, cmd.rest);
  else if (strcmp (cmd.keyword, "STLS") == 0)
    self->mode = CLIENT_WAIT;
  else if (strcmp (cmd.keyword, "AUTH") == 0 && cmd.args && cmd.args[0])
    {
      ml_capture_sasl_start (&self->sasl, cmd.args[0]);
      /* RFC 5034 4: an optional initial response. */
      if (cmd.args[1])
        ml_capture_sasl_answer (&self->sasl, self->base.em, "AUTH", cmd.args[1]);
      self->mode = CLIENT_WAIT;
    }

  p = g_new0 (Pending, 1);
  p->keyword = g_strdup (cmd.keyword);
  p->n_args = cmd.args ? g_strv_length (cmd.args) : 0;
  if (self->pending.length < ML_CAPTURE_MAX_PENDING_COMMANDS)
    g_queue_push_tail (&self->pending, p);
  else
    pending_free (p);
}

static void
client_pump (Pop3Dissector *self)
{
  const char *line;
  gsize len;
  MlLineFlags flags;

  while (!self->base.em->encrypted && self->mode != CLIENT_WAIT)
    {
      MlLineStatus st = ml_line_buffer_next (self->client, &line, &len, &flags);
      if (st == ML_LINE_NEED_MORE)
        return;
      if (st == ML_LINE_TOO_LONG)
        {
          ml_capture_emit_malformed (self->base.em, ML_DIR_CLIENT_TO_SERVER,
                                     "capture.malformed", "a client line too long to read was skipped");
          continue;
        }
      if (self->mode == CLIENT_SASL)
        {
          ml_capture_emit_line (self->base.em, ML_DIR_CLIENT_TO_SERVER, line, NULL, NULL,
                                "pop3.auth", "credential");
          /* RFC 5034 4: "*" cancels. */
          if (strcmp (line, "*") != 0)
            ml_capture_sasl_answer (&self->sasl, self->base.em, "AUTH", line);
          self->mode = CLIENT_WAIT;
          continue;
        }
      if (len > 0)
        handle_command (self, line, len);
    }
}

static void
handle_response (Pop3Dissector *self, MlPop3Response *r)
{
  MlCaptureEmitter *em = self->base.em;
  Pending *p = g_queue_pop_head (&self->pending);
  const char *kw = p ? p->keyword : NULL;

  ml_capture_emit_reply (em, r->raw, 0, NULL, NULL, r->ok ? "pop3.reply.ok" : "pop3.reply.err",
                         r->resp_code, r->ok ? 2 : 5);
  if (p == NULL && !self->greeted)
    {
      self->greeted = TRUE;
      if (r->ok)
        set_state (self, "authorization");
    }
  else if (kw && r->ok)
    {
      if (strcmp (kw, "PASS") == 0 || strcmp (kw, "APOP") == 0 || strcmp (kw, "AUTH") == 0)
        set_state (self, "transaction");
      else if (strcmp (kw, "QUIT") == 0 && g_strcmp0 (self->state, "transaction") == 0)
        /* RFC 1939 6: QUIT in TRANSACTION enters UPDATE. */
        set_state (self, "update");
      else if (strcmp (kw, "RETR") == 0 && r->body)
        ml_capture_emit_message (em, r->body);
      else if (strcmp (kw, "STLS") == 0)
        /* RFC 2595 4: after +OK the TLS negotiation begins at once. */
        ml_capture_emit_tls (em, "STLS accepted (RFC 2595 4): what follows is the TLS "
                                 "handshake and encrypted records.");
    }
  if (kw && (strcmp (kw, "STLS") == 0 || strcmp (kw, "AUTH") == 0))
    self->mode = CLIENT_COMMAND;
  if (p)
    pending_free (p);
  client_pump (self);
}

static gboolean
head_is (Pop3Dissector *self, const char *keyword)
{
  Pending *p = g_queue_peek_head (&self->pending);
  return p && strcmp (p->keyword, keyword) == 0;
}

static void
server_pump (Pop3Dissector *self)
{
  const char *line;
  gsize len;
  MlLineFlags flags;

  while (!self->base.em->encrypted)
    {
      MlLineStatus st = ml_line_buffer_next (self->server_lines, &line, &len, &flags);
      g_autoptr(MlPop3Response) r = NULL;
      g_autoptr(GError) error = NULL;
      Pending *head;
      MlPop3ParseStatus ps;

      if (st == ML_LINE_NEED_MORE)
        return;
      if (st == ML_LINE_TOO_LONG)
        {
          ml_capture_emit_malformed (self->base.em, ML_DIR_SERVER_TO_CLIENT,
                                     "capture.malformed", "a server line too long to read was skipped");
          continue;
        }
      /* RFC 5034 4: a challenge is "+" SP base64, only during AUTH. */
      if (!self->in_response && head_is (self, "AUTH")
          && (strncmp (line, "+ ", 2) == 0 || strcmp (line, "+") == 0))
        {
          ml_capture_emit_reply (self->base.em, line, 0, NULL, NULL, "pop3.auth", NULL, 3);
          self->mode = CLIENT_SASL;
          client_pump (self);
          continue;
        }
      ml_pop3_response_parser_push (self->server, (const guint8 *) line, len);
      ml_pop3_response_parser_push (self->server, (const guint8 *) "\r\n", 2);
      head = g_queue_peek_head (&self->pending);
      ps = ml_pop3_response_parser_next (self->server,
                                         head && ml_pop3_command_is_multiline (head->keyword, head->n_args),
                                         &r, &error);
      if (ps == ML_POP3_PARSE_NEED_MORE)
        {
          self->in_response = TRUE;
          continue;
        }
      self->in_response = FALSE;
      if (ps == ML_POP3_PARSE_ERROR)
        {
          ml_capture_emit_malformed (self->base.em, ML_DIR_SERVER_TO_CLIENT,
                                     "pop3.client.failed", error->message);
          /* The answer was a wrong one, but it was the answer. */
          if (head)
            pending_free (g_queue_pop_head (&self->pending));
          continue;
        }
      handle_response (self, r);
    }
}

static void
pop3_feed (MlCaptureDissector *base, MlDirection dir, const guint8 *data, gsize len)
{
  Pop3Dissector *self = (Pop3Dissector *) base;
  if (base->em->encrypted)
    {
      ml_capture_count_tls (base->em, len);
      return;
    }
  if (dir == ML_DIR_CLIENT_TO_SERVER)
    {
      ml_line_buffer_push (self->client, data, len);
      client_pump (self);
    }
  else
    {
      ml_line_buffer_push (self->server_lines, data, len);
      server_pump (self);
    }
  if (base->em->encrypted)
    {
      if (dir == ML_DIR_CLIENT_TO_SERVER)
        ml_capture_count_tls (base->em, ml_line_buffer_available (self->client));
      else
        ml_capture_count_tls (base->em, ml_line_buffer_available (self->server_lines));
      ml_line_buffer_clear (self->client);
      ml_line_buffer_clear (self->server_lines);
    }
}

static void
pop3_gap (MlCaptureDissector *base, MlDirection dir, guint64 len)
{
  Pop3Dissector *self = (Pop3Dissector *) base;

  (void) len;
  if (dir == ML_DIR_CLIENT_TO_SERVER)
    ml_line_buffer_clear (self->client);
  else
    {
      ml_line_buffer_clear (self->server_lines);
      /* A body cut in two cannot be trusted: its response is dropped. */
      ml_pop3_response_parser_reset (self->server);
      if (self->in_response && self->pending.length > 0)
        pending_free (g_queue_pop_head (&self->pending));
      self->in_response = FALSE;
    }
}

static void
pop3_finish (MlCaptureDissector *base)
{
  (void) base;
}

static void
pop3_free (MlCaptureDissector *base)
{
  Pop3Dissector *self = (Pop3Dissector *) base;

  ml_line_buffer_free (self->client);
  ml_line_buffer_free (self->server_lines);
  ml_pop3_response_parser_free (self->server);
  g_queue_clear_full (&self->pending, pending_free);
  g_free (self->user);
  ml_capture_sasl_clear (&self->sasl);
  g_free (self);
}

MlCaptureDissector *
ml_pop3_dissector_new (MlCaptureEmitter *em, gboolean implicit_tls)
{
  Pop3Dissector *self = g_new0 (Pop3Dissector, 1);

  self->base.feed = pop3_feed;
  self->base.gap = pop3_gap;
  self->base.finish = pop3_finish;
  self->base.free = pop3_free;
  self->base.em = em;
  self->client = ml_line_buffer_new (ML_CAPTURE_MAX_COMMAND_LINE);
  /* Body lines, which the response parser bounds again. */
  self->server_lines = ml_line_buffer_new (ML_POP3_MAX_BODY_LINE);
  self->server = ml_pop3_response_parser_new ();
  self->state = "init";
  g_queue_init (&self->pending);
  if (implicit_tls)
    ml_capture_emit_tls (em, "Implicit TLS (RFC 8314 3.3): the connection is "
                             "encrypted from its first byte.");
  return &self->base;
}

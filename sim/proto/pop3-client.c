/* pop3-client.c — the POP3 client engine.
 *
 * Driven by one queue, like the SMTP client: every command sent pushes what
 * it waits for, every response pops the head and goes to that command's
 * handler. Whether a "+OK" starts a multi-line body is the head command's
 * business (RFC 1939 3), so the queue also tells the parser. Pipelining
 * (RFC 2449 6.6) is then only a matter of sending several commands before
 * the first response; responses match commands by order alone.
 */
#define G_LOG_DOMAIN "ml-pop3-client"

#include <string.h>
#include "proto/pop3-client-private.h"

typedef void (*ResponseHandler) (MlPop3Client *self, const Pending *cmd,
                                 const MlPop3Response *response);

static void on_greeting (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response);
static void on_capa     (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response);
static void on_user     (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response);
static void on_auth     (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response);
static void on_stat     (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response);
static void on_uidl     (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response);
static void on_list     (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response);
static void on_retr     (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response);
static void on_dele     (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response);
static void on_quit     (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response);

/* Indexed by CmdKind: the state while the command's response is awaited,
 * and what to do with it. */
static const struct {
  MlPop3ClientState state;
  ResponseHandler   handler;
} commands[] = {
  [CMD_GREETING] = { ML_POP3_CLIENT_STATE_GREETING, on_greeting },
  [CMD_CAPA]     = { ML_POP3_CLIENT_STATE_CAPA,     on_capa },
  [CMD_USER]     = { ML_POP3_CLIENT_STATE_USER,     on_user },
  [CMD_PASS]     = { ML_POP3_CLIENT_STATE_PASS,     on_auth },
  [CMD_APOP]     = { ML_POP3_CLIENT_STATE_APOP,     on_auth },
  [CMD_STAT]     = { ML_POP3_CLIENT_STATE_STAT,     on_stat },
  [CMD_UIDL]     = { ML_POP3_CLIENT_STATE_UIDL,     on_uidl },
  [CMD_LIST]     = { ML_POP3_CLIENT_STATE_LIST,     on_list },
  [CMD_RETR]     = { ML_POP3_CLIENT_STATE_RETR,     on_retr },
  [CMD_DELE]     = { ML_POP3_CLIENT_STATE_DELE,     on_dele },
  [CMD_QUIT]     = { ML_POP3_CLIENT_STATE_QUIT,     on_quit },
  [CMD_STLS]     = { ML_POP3_CLIENT_STATE_STLS,     _ml_pop3_client_on_stls },
  [CMD_AUTH]     = { ML_POP3_CLIENT_STATE_AUTH,     _ml_pop3_client_on_sasl },
};

static const char * const state_names[] = {
  [ML_POP3_CLIENT_STATE_GREETING] = "greeting",
  [ML_POP3_CLIENT_STATE_CAPA]     = "capa",
  [ML_POP3_CLIENT_STATE_USER]     = "user",
  [ML_POP3_CLIENT_STATE_PASS]     = "pass",
  [ML_POP3_CLIENT_STATE_APOP]     = "apop",
  [ML_POP3_CLIENT_STATE_STAT]     = "stat",
  [ML_POP3_CLIENT_STATE_UIDL]     = "uidl",
  [ML_POP3_CLIENT_STATE_LIST]     = "list",
  [ML_POP3_CLIENT_STATE_RETR]     = "retr",
  [ML_POP3_CLIENT_STATE_DELE]     = "dele",
  [ML_POP3_CLIENT_STATE_QUIT]     = "quit",
  [ML_POP3_CLIENT_STATE_DONE]     = "done",
  [ML_POP3_CLIENT_STATE_STLS]     = "stls",
  [ML_POP3_CLIENT_STATE_TLS]      = "tls",
  [ML_POP3_CLIENT_STATE_AUTH]     = "auth",
};

const char *
ml_pop3_client_state_to_string (MlPop3ClientState state)
{
  if ((guint) state >= G_N_ELEMENTS (state_names))
    return "unknown";
  return state_names[state];
}

void
ml_pop3_client_config_init (MlPop3ClientConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->use_apop = FALSE;
  config->keep = FALSE;
  config->use_capa = TRUE;
  config->use_pipelining = TRUE;
}

/* ---- events ---- */

MlEngineEvent *
_ml_pop3_client_push_event (MlPop3Client *self, MlEngineEventKind kind, MlDirection direction, gboolean outgoing)
{
  MlEngineEvent *ev = g_new0 (MlEngineEvent, 1);

  ev->kind = kind;
  ev->protocol = ML_PROTO_POP3;
  ev->direction = direction;
  ev->outgoing = outgoing;
  g_queue_push_tail (&self->events, ev);
  return ev;
}

static void
set_state (MlPop3Client *self, MlPop3ClientState state)
{
  MlEngineEvent *ev;

  if (self->state == state)
    return;
  ev = _ml_pop3_client_push_event (self, ML_ENGINE_EVENT_STATE, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->state_from = ml_pop3_client_state_to_string (self->state);
  ev->state_to = ml_pop3_client_state_to_string (state);
  ev->explain_key = g_strconcat ("pop3.client.state.", ev->state_to, NULL);
  self->state = state;
}

/* The state says what the client waits for: the oldest command's answer. */
static void
update_state (MlPop3Client *self)
{
  Pending *head = g_queue_peek_head (&self->pending);

  if (self->done)
    set_state (self, ML_POP3_CLIENT_STATE_DONE);
  else if (self->tls_pending)
    set_state (self, ML_POP3_CLIENT_STATE_TLS);
  else if (head != NULL)
    set_state (self, commands[head->kind].state);
}

void
_ml_pop3_client_note (MlPop3Client *self, const char *explain_key, char *detail)
{
  MlEngineEvent *ev = _ml_pop3_client_push_event (self, ML_ENGINE_EVENT_TRANSACTION, ML_DIR_SERVER_TO_CLIENT, FALSE);

  ev->explain_key = g_strdup (explain_key);
  ev->detail = detail;
}

/* ---- sending ---- */

void
_ml_pop3_client_send_command (MlPop3Client *self, CmdKind kind, guint number, const char *format, ...)
{
  g_autofree char *line = NULL;
  g_autofree char *lower = NULL;
  MlEngineEvent *ev;
  Pending *p;
  const char *sp;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  g_byte_array_append (self->out, (const guint8 *) line, (guint) strlen (line));
  g_byte_array_append (self->out, (const guint8 *) "\r\n", 2);

  ev = _ml_pop3_client_push_event (self, ML_ENGINE_EVENT_COMMAND, ML_DIR_CLIENT_TO_SERVER, TRUE);
  sp = strchr (line, ' ');
  ev->line = g_utf8_make_valid (line, -1);
  ev->verb = sp ? g_strndup (line, (gsize) (sp - line)) : g_strdup (line);
  ev->args = g_utf8_make_valid (sp ? sp + 1 : "", -1);
  lower = g_ascii_strdown (ev->verb, -1);
  ev->explain_key = g_strconcat ("pop3.", lower, NULL);
  if (kind == CMD_PASS || kind == CMD_AUTH)
    ev->detail = g_strdup ("credential");

  p = g_new0 (Pending, 1);
  p->kind = kind;
  p->number = number;
  {
    g_auto(GStrv) words = g_strsplit (line, " ", -1);

    p->multiline = ml_pop3_command_is_multiline (words[0], g_strv_length (words) - 1);
  }
  g_queue_push_tail (&self->pending, p);
  if (kind == CMD_QUIT)
    self->quit_sent = TRUE;
}

void
_ml_pop3_client_send_quit (MlPop3Client *self)
{
  if (!self->quit_sent)
    _ml_pop3_client_send_command (self, CMD_QUIT, 0, "QUIT");
}

void
_ml_pop3_client_set_error (MlPop3Client *self, const char *code, char *reason)
{
  if (self->error != NULL)
    {
      g_free (reason);
      return;
    }
  self->error = reason;
  self->error_code = g_strdup (code);
  _ml_pop3_client_note (self, "pop3.client.failed", g_strdup (reason));
}

/* The fetch cannot go on, but the session is sound: say goodbye. Nothing
 * is deleted, since no DELE was sent yet. */
void
_ml_pop3_client_fail_and_quit (MlPop3Client *self, const MlPop3Response *response, const char *what)
{
  _ml_pop3_client_set_error (self, response ? response->resp_code : NULL,
             g_strdup_printf ("%s: %s", what, response ? response->text : ""));
  _ml_pop3_client_send_quit (self);
}

/* The session is not sound (a malformed response, a lost connection):
 * stop without another word. */
static void
fail_hard (MlPop3Client *self, char *reason)
{
  _ml_pop3_client_set_error (self, NULL, reason);
  g_queue_clear_full (&self->pending, g_free);
  ml_pop3_response_parser_reset (self->parser);
  self->done = TRUE;
  update_state (self);
}

/* ---- the session ---- */

gboolean
_ml_pop3_client_has_capability (MlPop3Client *self, const char *tag)
{
  /* capa-tag, case-insensitive (RFC 2449 5), then SP params or the end. */
  gsize n = strlen (tag);

  for (guint i = 0; i + 1 < self->capabilities->len; i++)
    {
      const char *line = g_ptr_array_index (self->capabilities, i);

      if (g_ascii_strncasecmp (line, tag, n) == 0 && (line[n] == '\0' || line[n] == ' '))
        return TRUE;
    }
  return FALSE;
}

static void
on_greeting (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  if (!response->ok)
    {
      /* A server may refuse the session in its greeting; there is nothing
       * to QUIT. */
      _ml_pop3_client_set_error (self, response->resp_code,
                 g_strdup_printf ("server refused the session: %s", response->text));
      self->done = TRUE;
      return;
    }
  self->timestamp = ml_pop3_dup_timestamp (response->text);
  /* STLS is found in CAPA (RFC 2595 4), so a client that wants TLS asks. */
  if (self->use_capa || self->tls == ML_POP3_CLIENT_TLS_OPPORTUNISTIC
      || (self->tls == ML_POP3_CLIENT_TLS_REQUIRED && !self->tls_active))
    _ml_pop3_client_send_command (self, CMD_CAPA, 0, "CAPA");
  else
    _ml_pop3_client_capabilities_known (self);
}

static void
on_capa (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  /* RFC 2449 5: "-ERR" means no CAPA; the client probes as before. */
  if (response->ok)
    {
      g_auto(GStrv) lines = ml_pop3_response_dup_lines (response);

      g_ptr_array_set_size (self->capabilities, 0);
      for (guint i = 0; lines[i] != NULL; i++)
        g_ptr_array_add (self->capabilities, g_steal_pointer (&lines[i]));
      g_ptr_array_add (self->capabilities, NULL);
      self->capa_known = TRUE;
      self->pipelining = self->use_pipelining && _ml_pop3_client_has_capability (self, "PIPELINING");
    }
  _ml_pop3_client_capabilities_known (self);
}

static void
on_user (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  if (!response->ok)
    {
      _ml_pop3_client_fail_and_quit (self, response, "USER refused");
      return;
    }
  _ml_pop3_client_send_command (self, CMD_PASS, 0, "PASS %s", self->password);
}

static void
on_auth (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  if (!response->ok)
    {
      /* [IN-USE] and [AUTH] (RFC 2449 8.1.2, RFC 3206) tell the two apart
       * for whoever reads the result. */
      _ml_pop3_client_fail_and_quit (self, response, "authentication failed");
      return;
    }
  _ml_pop3_client_logged_in (self);
}

void
_ml_pop3_client_logged_in (MlPop3Client *self)
{
  _ml_pop3_client_send_command (self, CMD_STAT, 0, "STAT");
}

/* Two decimal numbers at the start of @text ("2 320", RFC 1939 5). */
static gboolean
parse_two_numbers (const char *text, guint *a, guint64 *b)
{
  g_auto(GStrv) words = g_strsplit (text, " ", 3);
  guint64 value;

  if (words[0] == NULL || words[1] == NULL || !ml_pop3_parse_number (words[0], a))
    return FALSE;
  if (words[1][0] == '\0' || strspn (words[1], "0123456789") != strlen (words[1]) ||
      strlen (words[1]) > 19)
    return FALSE;
  value = g_ascii_strtoull (words[1], NULL, 10);
  *b = value;
  return TRUE;
}

static void
on_stat (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  if (!response->ok)
    {
      _ml_pop3_client_fail_and_quit (self, response, "STAT refused");
      return;
    }
  if (!parse_two_numbers (response->text, &self->stat_n, &self->stat_size))
    {
      _ml_pop3_client_fail_and_quit (self, response, "STAT answer is not a drop listing");
      return;
    }
  /* Without CAPA we cannot know whether UIDL exists: try it, and fall back
   * to LIST on "-ERR" (RFC 1939 7 makes it optional). */
  if (self->capa_known && !_ml_pop3_client_has_capability (self, "UIDL"))
    _ml_pop3_client_send_command (self, CMD_LIST, 0, "LIST");
  else
    _ml_pop3_client_send_command (self, CMD_UIDL, 0, "UIDL");
}

static void
want (MlPop3Client *self, guint number)
{
  for (guint i = 0; i < self->wanted->len; i++)
    if (g_array_index (self->wanted, guint, i) == number)
      return;
  g_array_append_val (self->wanted, number);
}

static void
send_retr_batch (MlPop3Client *self)
{
  for (guint i = 0; i < self->wanted->len; i++)
    {
      guint n = g_array_index (self->wanted, guint, i);

      _ml_pop3_client_send_command (self, CMD_RETR, n, "RETR %u", n);
    }
  self->next_wanted = self->wanted->len;
}

static void
start_retrieval (MlPop3Client *self)
{
  if (self->wanted->len == 0)
    {
      _ml_pop3_client_send_quit (self);
      return;
    }
  if (self->pipelining)
    {
      send_retr_batch (self);
      return;
    }
  self->next_wanted = 1;
  _ml_pop3_client_send_command (self, CMD_RETR, g_array_index (self->wanted, guint, 0),
                "RETR %u", g_array_index (self->wanted, guint, 0));
}

/* unique-id = 1*70 of 0x21–0x7E (RFC 1939 7). */
static gboolean
is_unique_id (const char *uid)
{
  gsize n = strlen (uid);

  if (n == 0 || n > ML_POP3_MAX_UNIQUE_ID)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if ((guchar) uid[i] < 0x21 || (guchar) uid[i] > 0x7E)
      return FALSE;
  return TRUE;
}

static void
on_uidl (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  g_auto(GStrv) lines = NULL;

  if (!response->ok)
    {
      _ml_pop3_client_send_command (self, CMD_LIST, 0, "LIST");
      return;
    }
  lines = ml_pop3_response_dup_lines (response);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* unique-id listing: number SP unique-id (RFC 1939 7). A line that
       * is not one is skipped: the messages it might name are left on the
       * server, which is the safe mistake. */
      g_auto(GStrv) words = g_strsplit (lines[i], " ", 3);
      guint number;
      char *uid;

      if (words[0] == NULL || words[1] == NULL || words[2] != NULL ||
          !ml_pop3_parse_number (words[0], &number) || number == 0 ||
          !is_unique_id (words[1]))
        continue;
      if (g_hash_table_contains (self->uidl_by_number, GUINT_TO_POINTER (number)))
        continue;
      uid = g_strdup (words[1]);
      g_ptr_array_insert (self->server_uidls, (gint) self->server_uidls->len - 1, uid);
      g_hash_table_insert (self->uidl_by_number, GUINT_TO_POINTER (number), uid);
      if (!g_hash_table_contains (self->known, uid))
        want (self, number);
    }
  start_retrieval (self);
}

static void
on_list (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  g_auto(GStrv) lines = NULL;

  if (!response->ok)
    {
      _ml_pop3_client_fail_and_quit (self, response, "LIST refused");
      return;
    }
  /* Without unique-ids every message is new to us (RFC 1939 8). */
  lines = ml_pop3_response_dup_lines (response);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint number;
      guint64 size;

      if (parse_two_numbers (lines[i], &number, &size) && number > 0)
        want (self, number);
    }
  start_retrieval (self);
}

static Fetched *
find_fetched (MlPop3Client *self, guint number)
{
  for (guint i = 0; i < self->fetched->len; i++)
    {
      Fetched *f = g_ptr_array_index (self->fetched, i);

      if (f->pub.number == number)
        return f;
    }
  return NULL;
}

static gboolean
retr_outstanding (MlPop3Client *self)
{
  for (GList *l = self->pending.head; l != NULL; l = l->next)
    if (((Pending *) l->data)->kind == CMD_RETR)
      return TRUE;
  return FALSE;
}

static void
next_retr_or_quit (MlPop3Client *self)
{
  if (self->next_wanted < self->wanted->len)
    {
      guint n = g_array_index (self->wanted, guint, self->next_wanted++);

      _ml_pop3_client_send_command (self, CMD_RETR, n, "RETR %u", n);
    }
  else
    _ml_pop3_client_send_quit (self);
}

static void
on_retr (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  Fetched *f = NULL;

  if (response->ok)
    {
      const char *uidl = g_hash_table_lookup (self->uidl_by_number, GUINT_TO_POINTER (cmd->number));

      f = g_new0 (Fetched, 1);
      f->pub.number = cmd->number;
      f->pub.uidl = g_strdup (uidl);
      f->pub.data = g_bytes_ref (response->body);
      f->pub.size = g_bytes_get_size (response->body);
      g_ptr_array_add (self->fetched, f);
      _ml_pop3_client_note (self, "pop3.client.fetched",
            g_strdup_printf ("message %u fetched, %" G_GUINT64_FORMAT " octets",
                             f->pub.number, f->pub.size));
    }
  /* A refused RETR leaves that message alone; the others go on. */

  if (self->pipelining)
    {
      if (retr_outstanding (self))
        return;
      /* Every RETR answered: now the DELEs, only for what arrived, and
       * QUIT, in one batch. */
      if (!self->keep)
        for (guint i = 0; i < self->fetched->len; i++)
          {
            Fetched *g = g_ptr_array_index (self->fetched, i);

            _ml_pop3_client_send_command (self, CMD_DELE, g->pub.number, "DELE %u", g->pub.number);
          }
      _ml_pop3_client_send_quit (self);
      return;
    }
  if (f != NULL && !self->keep)
    _ml_pop3_client_send_command (self, CMD_DELE, f->pub.number, "DELE %u", f->pub.number);
  else
    next_retr_or_quit (self);
}

static void
on_dele (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  Fetched *f = find_fetched (self, cmd->number);

  if (response->ok && f != NULL)
    f->dele_ok = TRUE;
  if (!self->pipelining)
    next_retr_or_quit (self);
}

static void
on_quit (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  if (response->ok)
    {
      /* RFC 1939 6: the "+OK" to QUIT in TRANSACTION says UPDATE removed
       * what DELE marked. */
      for (guint i = 0; i < self->fetched->len; i++)
        {
          Fetched *f = g_ptr_array_index (self->fetched, i);

          if (f->dele_ok)
            {
              f->pub.deleted = TRUE;
              self->n_deleted++;
            }
        }
    }
  else
    /* "some deleted messages not removed": which, it does not say. */
    _ml_pop3_client_set_error (self, response->resp_code,
               g_strdup_printf ("QUIT: %s", response->text));
  self->done = TRUE;
}

static void
push_reply_event (MlPop3Client *self, const MlPop3Response *response)
{
  MlEngineEvent *ev = _ml_pop3_client_push_event (self, ML_ENGINE_EVENT_REPLY, ML_DIR_SERVER_TO_CLIENT, FALSE);

  ev->line = g_strdup (response->raw);
  ev->code = 0;
  ev->enhanced = g_strdup (response->resp_code);
  ev->explain_key = g_strdup (response->challenge ? "pop3.reply.challenge"
                             : response->ok ? "pop3.reply.ok" : "pop3.reply.err");
}

static void
process (MlPop3Client *self)
{
  while (!self->done && !self->tls_pending)
    {
      Pending *head = g_queue_peek_head (&self->pending);
      g_autoptr(MlPop3Response) response = NULL;
      g_autoptr(GError) error = NULL;
      MlPop3ParseStatus status;

      if (head == NULL)
        {
          if (ml_pop3_response_parser_get_pending (self->parser) > 0)
            fail_hard (self, g_strdup ("the server sent a response to no command"));
          break;
        }
      status = ml_pop3_response_parser_next (self->parser, head->multiline, &response, &error);
      if (status == ML_POP3_PARSE_NEED_MORE)
        break;
      if (status == ML_POP3_PARSE_ERROR)
        {
          fail_hard (self, g_strdup_printf ("malformed response: %s", error->message));
          break;
        }
      head = g_queue_pop_head (&self->pending);
      push_reply_event (self, response);
      commands[head->kind].handler (self, head, response);
      g_free (head);
      update_state (self);
    }
}

/* ---- public API ---- */

MlPop3Client *
ml_pop3_client_new (const MlPop3ClientConfig *config)
{
  MlPop3Client *self;
  Pending *greeting;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_new0 (MlPop3Client, 1);
  self->user = g_strdup (config->user ? config->user : "");
  self->password = g_strdup (config->password ? config->password : "");
  self->use_apop = config->use_apop;
  self->auth = config->auth;
  self->sasl_mechanism = config->sasl_mechanism;
  self->nonce_seed = config->nonce_seed;
  self->tls = config->tls;
  self->tls_active = (config->tls == ML_POP3_CLIENT_TLS_IMPLICIT);
  self->keep = config->keep;
  self->use_capa = config->use_capa;
  self->use_pipelining = config->use_pipelining;
  self->known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (config->known_uidls != NULL)
    for (guint i = 0; config->known_uidls[i] != NULL; i++)
      g_hash_table_add (self->known, g_strdup (config->known_uidls[i]));

  self->state = ML_POP3_CLIENT_STATE_GREETING;
  self->parser = ml_pop3_response_parser_new ();
  self->out = g_byte_array_new ();
  g_queue_init (&self->events);
  g_queue_init (&self->pending);
  self->capabilities = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->capabilities, NULL);
  self->server_uidls = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->server_uidls, NULL);
  self->uidl_by_number = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->wanted = g_array_new (FALSE, FALSE, sizeof (guint));
  self->fetched = g_ptr_array_new ();

  greeting = g_new0 (Pending, 1);
  greeting->kind = CMD_GREETING;
  g_queue_push_tail (&self->pending, greeting);
  return self;
}

static void
fetched_free (gpointer data)
{
  Fetched *f = data;

  g_free (f->pub.uidl);
  g_clear_pointer (&f->pub.data, g_bytes_unref);
  g_free (f);
}

void
ml_pop3_client_free (MlPop3Client *self)
{
  if (self == NULL)
    return;
  g_ptr_array_set_free_func (self->fetched, fetched_free);
  g_ptr_array_unref (self->fetched);
  g_array_unref (self->wanted);
  g_hash_table_unref (self->uidl_by_number);
  g_ptr_array_unref (self->server_uidls);
  g_ptr_array_unref (self->capabilities);
  g_queue_clear_full (&self->pending, g_free);
  g_queue_clear_full (&self->events, ml_engine_event_free);
  g_byte_array_unref (self->out);
  ml_pop3_response_parser_free (self->parser);
  g_hash_table_unref (self->known);
  g_clear_pointer (&self->sasl, ml_sasl_client_free);
  g_free (self->sasl_error);
  g_free (self->timestamp);
  g_free (self->error);
  g_free (self->error_code);
  g_free (self->user);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self);
}

gsize
ml_pop3_client_feed (MlPop3Client *self, const guint8 *data, gsize len)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (data != NULL || len == 0, 0);

  if (self->done)
    return 0;
  if (self->tls_pending)
    /* After STLS's "+OK" only the handshake may come; anything else came
     * in clear and is not a response (RFC 2595 4, RFC 3207 4.2). */
    return len;
  ml_pop3_response_parser_push (self->parser, data, len);
  process (self);
  return len;
}

gboolean
ml_pop3_client_next_event (MlPop3Client *self, MlEngineEvent *event_out)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (event_out != NULL, FALSE);

  return ml_engine_event_queue_pop (&self->events, event_out);
}

GBytes *
ml_pop3_client_take_output (MlPop3Client *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return ml_engine_take_bytes (&self->out);
}

gboolean
ml_pop3_client_is_done (MlPop3Client *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return self->done;
}

void
ml_pop3_client_connection_lost (MlPop3Client *self)
{
  g_return_if_fail (self != NULL);

  if (self->done)
    return;
  /* RFC 1939 6: without the answer to QUIT, nothing is known to be
   * deleted. */
  fail_hard (self, g_strdup ("connection lost"));
}

void
ml_pop3_client_tls_started (MlPop3Client *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->tls_pending);

  self->tls_pending = FALSE;
  self->tls_active = TRUE;
  _ml_pop3_client_note (self, "pop3.client.tls-active", g_strdup ("TLS active"));
  /* RFC 2595 4: what CAPA said in clear may have been forged; forget it
   * and ask again inside TLS. */
  g_ptr_array_set_size (self->capabilities, 0);
  g_ptr_array_add (self->capabilities, NULL);
  self->capa_known = FALSE;
  self->pipelining = FALSE;
  _ml_pop3_client_send_command (self, CMD_CAPA, 0, "CAPA");
  update_state (self);
}

gboolean
ml_pop3_client_is_tls (MlPop3Client *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->tls_active;
}

MlPop3ClientState
ml_pop3_client_get_state (MlPop3Client *self)
{
  g_return_val_if_fail (self != NULL, ML_POP3_CLIENT_STATE_DONE);
  return self->state;
}

const char *
ml_pop3_client_get_error (MlPop3Client *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->error;
}

const char *
ml_pop3_client_get_error_code (MlPop3Client *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->error_code;
}

void
ml_pop3_client_get_stat (MlPop3Client *self, guint *n_messages, guint64 *size)
{
  g_return_if_fail (self != NULL);

  if (n_messages != NULL)
    *n_messages = self->stat_n;
  if (size != NULL)
    *size = self->stat_size;
}

guint
ml_pop3_client_get_n_messages (MlPop3Client *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->fetched->len;
}

const MlPop3FetchedMessage *
ml_pop3_client_get_message (MlPop3Client *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (index >= self->fetched->len)
    return NULL;
  return &((Fetched *) g_ptr_array_index (self->fetched, index))->pub;
}

guint
ml_pop3_client_get_n_deleted (MlPop3Client *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_deleted;
}

const char * const *
ml_pop3_client_get_server_uidls (MlPop3Client *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char * const *) self->server_uidls->pdata;
}

const char * const *
ml_pop3_client_get_capabilities (MlPop3Client *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char * const *) self->capabilities->pdata;
}

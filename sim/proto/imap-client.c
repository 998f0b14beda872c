/* The session: commands go out through one outbox, so RFC 3501 5.5 is
 * decided in one place (flush): nothing new while a command waits for "+"
 * before its next part, nothing but DONE during IDLE, and without
 * pipelining nothing while another command is in progress. Tagged
 * responses are matched to commands by tag (RFC 3501 2.2.1), never by
 * order; untagged data updates the model of the selected mailbox whenever
 * it comes (RFC 3501 5.2, 7), which is what the actions then read.
 */
#define G_LOG_DOMAIN "ml-imap-client"

#include <string.h>
#include "proto/imap-client-private.h"

static const char * const state_names[] = {
  [ML_IMAP_CLIENT_STATE_GREETING]          = "greeting",
  [ML_IMAP_CLIENT_STATE_NOT_AUTHENTICATED] = "not-authenticated",
  [ML_IMAP_CLIENT_STATE_AUTHENTICATED]     = "authenticated",
  [ML_IMAP_CLIENT_STATE_SELECTED]          = "selected",
  [ML_IMAP_CLIENT_STATE_IDLE]              = "idle",
  [ML_IMAP_CLIENT_STATE_LOGOUT]            = "logout",
  [ML_IMAP_CLIENT_STATE_DONE]              = "done",
};

const char *
ml_imap_client_state_to_string (MlImapClientState state)
{
  if ((guint) state >= G_N_ELEMENTS (state_names))
    return "unknown";
  return state_names[state];
}

void
ml_imap_client_config_init (MlImapClientConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->auth = ML_IMAP_CLIENT_AUTH_LOGIN;
  config->use_sasl_ir = TRUE;
  config->use_literal_plus = TRUE;
  config->use_pipelining = TRUE;
  config->use_move = TRUE;
  config->use_uidplus = TRUE;
}

/* ---- events ---- */

MlEngineEvent *
_ml_imap_client_push_event (MlImapClient *self, MlEngineEventKind kind, MlDirection direction,
                            gboolean outgoing)
{
  MlEngineEvent *ev = g_new0 (MlEngineEvent, 1);

  ev->kind = kind;
  ev->protocol = ML_PROTO_IMAP;
  ev->direction = direction;
  ev->outgoing = outgoing;
  g_queue_push_tail (&self->events, ev);
  return ev;
}

void
_ml_imap_client_set_state (MlImapClient *self, MlImapClientState state)
{
  MlEngineEvent *ev;

  if (self->state == state)
    return;
  ev = _ml_imap_client_push_event (self, ML_ENGINE_EVENT_STATE, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->state_from = ml_imap_client_state_to_string (self->state);
  ev->state_to = ml_imap_client_state_to_string (state);
  ev->explain_key = g_strconcat ("imap.client.state.", ev->state_to, NULL);
  self->state = state;
}

void
_ml_imap_client_note (MlImapClient *self, const char *key, char *detail /* steals */)
{
  MlEngineEvent *ev = _ml_imap_client_push_event (self, ML_ENGINE_EVENT_TRANSACTION,
                                                  ML_DIR_SERVER_TO_CLIENT, FALSE);

  ev->explain_key = g_strdup (key);
  ev->detail = detail;
}

/* Bytes as a line of the trace: CRLFs inside as "\n", the last one
 * dropped, made valid UTF-8 as the server's events are. */
static char *
wire_to_line (const char *data, gsize len)
{
  GString *s = g_string_sized_new (len);
  char *valid;

  if (len >= 2 && data[len - 2] == '\r' && data[len - 1] == '\n')
    len -= 2;
  for (gsize i = 0; i < len; i++)
    {
      if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
        continue;
      g_string_append_c (s, data[i]);
    }
  valid = g_utf8_make_valid (s->str, (gssize) s->len);
  g_string_free (s, TRUE);
  return valid;
}

/* ---- commands ---- */

ImapCommand *
_ml_imap_command_new (ImapCmdKind kind, const char *verb)
{
  ImapCommand *cmd = g_new0 (ImapCommand, 1);

  cmd->kind = kind;
  cmd->verb = g_strdup (verb);
  cmd->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  g_ptr_array_add (cmd->parts, g_byte_array_new ());
  cmd->sent = g_string_new (NULL);
  _ml_imap_command_add (cmd, verb);
  return cmd;
}

static void
command_free (ImapCommand *cmd)
{
  if (cmd == NULL)
    return;
  g_free (cmd->verb);
  g_free (cmd->tag);
  g_ptr_array_unref (cmd->parts);
  g_string_free (cmd->sent, TRUE);
  g_free (cmd->mailbox);
  g_clear_pointer (&cmd->uids, g_array_unref);
  g_strfreev (cmd->flags);
  g_free (cmd->sasl);
  g_free (cmd);
}

static GByteArray *
last_part (ImapCommand *cmd)
{
  return g_ptr_array_index (cmd->parts, cmd->parts->len - 1);
}

void
_ml_imap_command_add (ImapCommand *cmd, const char *text)
{
  gsize len = strlen (text);

  g_byte_array_append (last_part (cmd), (const guint8 *) text, (guint) len);
  cmd->line_len += len;
}

static gboolean
has_cap (MlImapClient *self, const char *name)
{
  for (guint i = 0; self->caps != NULL && self->caps[i] != NULL; i++)
    if (g_ascii_strcasecmp (self->caps[i], name) == 0)
      return TRUE;
  return FALSE;
}

void
_ml_imap_command_add_string (MlImapClient *self, ImapCommand *cmd, const char *s, gboolean astring)
{
  gsize len = strlen (s);
  gboolean nonsync;
  g_autofree char *head = NULL;

  if (!self->config.literal_strings)
    {
      g_autoptr(GString) tmp = g_string_new (NULL);

      if (astring)
        ml_imap_append_astring (tmp, s, len);
      else
        ml_imap_append_string (tmp, s, len);
      if (tmp->str[0] != '{')
        {
          _ml_imap_command_add (cmd, " ");
          _ml_imap_command_add (cmd, tmp->str);
          return;
        }
    }
  /* RFC 3501 4.3: a literal; RFC 7888 3: "{n+}" needs no "+" from the
   * server, with LITERAL- only up to 4096 octets (RFC 7888 5). */
  nonsync = self->config.use_literal_plus
            && (has_cap (self, "LITERAL+")
                || (has_cap (self, "LITERAL-") && len <= ML_IMAP_CLIENT_LITERAL_MINUS_MAX));
  head = g_strdup_printf (" {%" G_GSIZE_FORMAT "%s}\r\n", len, nonsync ? "+" : "");
  _ml_imap_command_add (cmd, head);
  if (!nonsync)
    g_ptr_array_add (cmd->parts, g_byte_array_new ());
  /* The octets are not part of the line's length (RFC 7162 4). */
  g_byte_array_append (last_part (cmd), (const guint8 *) s, (guint) len);
}

/* The command as a trace event, once every byte of it went out. */
static void
command_sent (MlImapClient *self, ImapCommand *cmd)
{
  MlEngineEvent *ev = _ml_imap_client_push_event (self, ML_ENGINE_EVENT_COMMAND,
                                                  ML_DIR_CLIENT_TO_SERVER, TRUE);
  gsize skip = strlen (cmd->tag) + 1 + strlen (cmd->verb);
  g_autofree char *lower = g_ascii_strdown (cmd->verb, -1);

  ev->line = wire_to_line (cmd->sent->str, cmd->sent->len);
  ev->verb = g_strdup (cmd->verb);
  ev->args = strlen (ev->line) > skip ? g_strdup (ev->line + skip + 1) : NULL;
  /* "UID FETCH" → "imap.uid.fetch", as the server names it. */
  g_strdelimit (lower, " ", '.');
  ev->explain_key = g_strconcat ("imap.", lower, NULL);
}

static void
write_out (MlImapClient *self, ImapCommand *cmd, const guint8 *data, gsize len)
{
  g_byte_array_append (self->out, data, (guint) len);
  if (cmd != NULL)
    g_string_append_len (cmd->sent, (const char *) data, (gssize) len);
}

static void
begin_select (MlImapClient *self, const char *mailbox)
{
  /* RFC 3501 6.3.1: SELECT first deselects; a failed one leaves nothing
   * selected. The sequence numbers start afresh. */
  g_clear_pointer (&self->selected, g_free);
  g_free (self->selecting);
  self->selecting = g_strdup (mailbox);
  g_array_set_size (self->seq_uids, 0);
  _ml_imap_local_store_ensure (self->local, mailbox);
}

/* RFC 3501 5.5: commands pipelined before a SELECT are answered first,
 * and untagged data until then is still about the mailbox selected before
 * (another device's flag change told at the end of a LIST). The switch
 * happens when the SELECT is the oldest command in progress. */
static void
maybe_begin_select (MlImapClient *self)
{
  ImapCommand *head = g_queue_peek_head (&self->in_flight);

  if (head != NULL && head->kind == CMD_SELECT && !head->begun)
    {
      head->begun = TRUE;
      begin_select (self, head->mailbox);
    }
}

static void
transmit (MlImapClient *self, ImapCommand *cmd)
{
  GByteArray *first = g_ptr_array_index (cmd->parts, 0);

  cmd->tag = g_strdup_printf ("a%u", ++self->next_tag);
  write_out (self, cmd, (const guint8 *) cmd->tag, strlen (cmd->tag));
  write_out (self, cmd, (const guint8 *) " ", 1);
  write_out (self, cmd, first->data, first->len);
  cmd->next_part = 1;
  g_queue_push_tail (&self->in_flight, cmd);

  switch (cmd->kind)
    {
    case CMD_SELECT:
      maybe_begin_select (self);
      break;
    case CMD_SEARCH:
    case CMD_FIND:
      g_array_set_size (self->hits, 0);
      break;
    case CMD_LIST:
      g_ptr_array_set_size (self->listed, 0);
      break;
    case CMD_IDLE:
      self->idle_cmd = cmd;
      self->idling = FALSE;
      self->done_sent = FALSE;
      break;
    case CMD_LOGOUT:
      self->logout_sent = TRUE;
      _ml_imap_client_set_state (self, ML_IMAP_CLIENT_STATE_LOGOUT);
      break;
    default:
      break;
    }

  if (cmd->next_part < cmd->parts->len || cmd->sasl != NULL)
    self->sending = cmd;
  if (cmd->next_part >= cmd->parts->len)
    command_sent (self, cmd);
}

/* RFC 3501 6.2.1: nothing may follow STARTTLS before its completion and
 * the handshake. */
static gboolean
starttls_in_flight (MlImapClient *self)
{
  for (GList *l = self->in_flight.head; l != NULL; l = l->next)
    if (((ImapCommand *) l->data)->kind == CMD_STARTTLS)
      return TRUE;
  return FALSE;
}

/* Sends what RFC 3501 5.5 lets go out now. */
static void
flush (MlImapClient *self)
{
  ImapCommand *cmd;

  while (!self->done && (cmd = g_queue_peek_head (&self->outbox)) != NULL)
    {
      /* RFC 3501 5.5: continuations are negotiated before any other
       * command; RFC 2177 3: during IDLE only DONE. */
      if (self->sending != NULL || self->idle_cmd != NULL || self->tls_pending
          || starttls_in_flight (self))
        break;
      if (!g_queue_is_empty (&self->in_flight)
          && (!self->config.use_pipelining || cmd->kind == CMD_IDLE || cmd->kind == CMD_LOGOUT
              || cmd->kind == CMD_LOGIN || cmd->kind == CMD_AUTHENTICATE
              || cmd->kind == CMD_STARTTLS))
        break;
      g_queue_pop_head (&self->outbox);
      transmit (self, cmd);
    }
}

gboolean
_ml_imap_client_queue (MlImapClient *self, ImapAction *action, ImapCommand *cmd)
{
  /* The tag ("a" and ten digits) and its SP, then the CRLF. */
  if (cmd->line_len + 12 + 2 > ML_IMAP_CLIENT_MAX_COMMAND)
    {
      g_autofree char *why = g_strdup_printf ("%s would be longer than %u octets (RFC 7162 4)",
                                              cmd->verb, (guint) ML_IMAP_CLIENT_MAX_COMMAND);

      command_free (cmd);
      if (action != NULL)
        _ml_imap_action_finish (self, action, FALSE, ML_IMAP_STATUS_NONE, why);
      return FALSE;
    }
  _ml_imap_command_add (cmd, "\r\n");
  cmd->action = action;
  if (action != NULL)
    action->outstanding++;
  g_queue_push_tail (&self->outbox, cmd);
  flush (self);
  return TRUE;
}

void
_ml_imap_client_drop_queued (MlImapClient *self, ImapAction *action)
{
  GList *l = self->outbox.head;

  while (l != NULL)
    {
      GList *next = l->next;
      ImapCommand *cmd = l->data;

      if (cmd->action == action)
        {
          action->outstanding--;
          command_free (cmd);
          g_queue_delete_link (&self->outbox, l);
        }
      l = next;
    }
}

void
_ml_imap_client_send_done (MlImapClient *self)
{
  MlEngineEvent *ev;

  if (self->idle_cmd == NULL || self->done_sent || self->done)
    return;
  /* RFC 2177 3: "DONE" ends IDLE; it is not a command and has no tag. */
  write_out (self, NULL, (const guint8 *) "DONE\r\n", 6);
  self->done_sent = TRUE;
  self->idling = FALSE;
  self->stop_idle = FALSE;
  ev = _ml_imap_client_push_event (self, ML_ENGINE_EVENT_COMMAND, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->line = g_strdup ("DONE");
  ev->verb = g_strdup ("DONE");
  ev->explain_key = g_strdup ("imap.done");
}

void
_ml_imap_client_send_sasl_line (MlImapClient *self, ImapCommand *cmd, const char *line,
                                const char *key)
{
  MlEngineEvent *ev;

  /* RFC 3501 6.2.2: the client's answer to a "+" is a line of its own. */
  write_out (self, NULL, (const guint8 *) line, strlen (line));
  write_out (self, NULL, (const guint8 *) "\r\n", 2);
  ev = _ml_imap_client_push_event (self, ML_ENGINE_EVENT_COMMAND, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->line = g_strdup (line);
  ev->verb = g_strdup ("AUTHENTICATE");
  ev->explain_key = g_strdup (key);
}

/* ---- the end ---- */

void
_ml_imap_client_session_done (MlImapClient *self)
{
  ImapCommand *cmd;

  if (self->done)
    return;
  self->done = TRUE;
  while ((cmd = g_queue_pop_head (&self->outbox)) != NULL)
    command_free (cmd);
  while ((cmd = g_queue_pop_head (&self->in_flight)) != NULL)
    command_free (cmd);
  self->sending = NULL;
  self->idle_cmd = NULL;
  self->idling = FALSE;
  ml_imap_response_parser_reset (self->parser);
  _ml_imap_client_set_state (self, ML_IMAP_CLIENT_STATE_DONE);
  _ml_imap_client_push_event (self, ML_ENGINE_EVENT_CLOSE, ML_DIR_CLIENT_TO_SERVER, TRUE)->explain_key =
    g_strdup ("imap.client.close");
}

/* The response stream cannot be trusted any more: what comes next could
 * be read as the answer to the wrong command. Close. */
void
_ml_imap_client_protocol_error (MlImapClient *self, const char *why)
{
  g_autofree char *text = g_strdup_printf ("malformed response: %s", why);

  _ml_imap_client_note (self, "imap.client.malformed-response", g_strdup_printf ("the session ends: %s", text));
  _ml_imap_client_fail_all (self, ML_IMAP_STATUS_NONE, text);
  _ml_imap_client_session_done (self);
}

/* ---- logging in ---- */

void
_ml_imap_client_queue_session (MlImapClient *self, ImapCommand *cmd)
{
  _ml_imap_client_queue (self, NULL, cmd);
}

static void
queue_logout (MlImapClient *self)
{
  if (!self->logout_sent && !self->done)
    _ml_imap_client_queue_session (self, _ml_imap_command_new (CMD_LOGOUT, "LOGOUT"));
}

void
_ml_imap_client_give_up_login (MlImapClient *self, const char *why)
{
  _ml_imap_client_note (self, "imap.client.login-failed", g_strdup (why));
  _ml_imap_client_fail_all (self, ML_IMAP_STATUS_NONE, why);
  queue_logout (self);
}

static void
on_greeting (MlImapClient *self, const MlImapResponse *r)
{
  self->greeted = TRUE;
  if (r->kind != ML_IMAP_RESPONSE_KIND_UNTAGGED
      || (r->status != ML_IMAP_STATUS_OK && r->status != ML_IMAP_STATUS_PREAUTH
          && r->status != ML_IMAP_STATUS_BYE))
    {
      _ml_imap_client_protocol_error (self, "the greeting is an untagged OK, PREAUTH or BYE (RFC 3501 7.1)");
      return;
    }
  if (r->code != NULL && r->code->kind == ML_IMAP_CODE_CAPABILITY)
    _ml_imap_client_set_caps (self, r->code->list);

  if (r->status == ML_IMAP_STATUS_BYE)
    {
      g_autofree char *text = g_strdup_printf ("the server refused the connection: %s", r->text);

      self->bye_received = TRUE;
      _ml_imap_client_set_state (self, ML_IMAP_CLIENT_STATE_LOGOUT);
      _ml_imap_client_fail_all (self, ML_IMAP_STATUS_BYE, text);
      _ml_imap_client_session_done (self);
      return;
    }
  if (r->status == ML_IMAP_STATUS_PREAUTH)
    {
      /* RFC 3501 7.1.4: already authenticated, by other means. */
      self->authenticated = TRUE;
      _ml_imap_client_set_state (self, ML_IMAP_CLIENT_STATE_AUTHENTICATED);
      if (self->caps == NULL)
        _ml_imap_client_queue_session (self, _ml_imap_command_new (CMD_CAPABILITY, "CAPABILITY"));
      else
        _ml_imap_client_proceed (self);
      return;
    }
  _ml_imap_client_set_state (self, ML_IMAP_CLIENT_STATE_NOT_AUTHENTICATED);
  /* RFC 3501 7.1: without [CAPABILITY] in the greeting, ask. */
  if (self->caps == NULL)
    _ml_imap_client_queue_session (self, _ml_imap_command_new (CMD_CAPABILITY, "CAPABILITY"));
  else
    _ml_imap_client_begin_login (self);
}

/* ---- responses ---- */

static void
on_session_command (MlImapClient *self, ImapCommand *cmd, const MlImapResponse *r)
{
  switch (cmd->kind)
    {
    case CMD_CAPABILITY:
      if (!self->authenticated)
        _ml_imap_client_begin_login (self);
      break;
    case CMD_LOGIN:
    case CMD_AUTHENTICATE:
      _ml_imap_client_on_login_done (self, r);
      break;
    case CMD_STARTTLS:
      _ml_imap_client_on_starttls_done (self, r);
      break;
    case CMD_LOGOUT:
      _ml_imap_client_session_done (self);
      break;
    default:
      break;
    }
}

static void
on_tagged (MlImapClient *self, const MlImapResponse *r)
{
  ImapCommand *cmd = NULL;

  for (GList *l = self->in_flight.head; l != NULL; l = l->next)
    if (strcmp (((ImapCommand *) l->data)->tag, r->tag) == 0)
      {
        cmd = l->data;
        g_queue_delete_link (&self->in_flight, l);
        break;
      }
  if (cmd == NULL)
    {
      g_autofree char *why = g_strdup_printf ("a completion for tag %s, which names no command in progress "
                                              "(RFC 3501 2.2.1)", r->tag);

      _ml_imap_client_protocol_error (self, why);
      return;
    }
  self->n_untagged = 0;
  maybe_begin_select (self);
  if (self->sending == cmd)
    {
      /* RFC 3501 7.5: instead of "+", the server may refuse the command
       * outright; the rest of it is never sent. */
      self->sending = NULL;
      command_sent (self, cmd);
    }
  if (r->code != NULL)
    _ml_imap_client_on_code (self, r);

  switch (cmd->kind)
    {
    case CMD_SELECT:
      g_clear_pointer (&self->selecting, g_free);
      if (r->status == ML_IMAP_STATUS_OK)
        {
          self->selected = g_strdup (cmd->mailbox);
          _ml_imap_client_set_state (self, ML_IMAP_CLIENT_STATE_SELECTED);
        }
      else
        {
          g_array_set_size (self->seq_uids, 0);
          _ml_imap_client_set_state (self, ML_IMAP_CLIENT_STATE_AUTHENTICATED);
        }
      break;
    case CMD_IDLE:
      self->idle_cmd = NULL;
      self->idling = FALSE;
      _ml_imap_client_set_state (self, self->selected != NULL ? ML_IMAP_CLIENT_STATE_SELECTED
                                                              : ML_IMAP_CLIENT_STATE_AUTHENTICATED);
      break;
    default:
      break;
    }

  if (cmd->action != NULL)
    {
      ImapAction *a = cmd->action;

      a->outstanding--;
      _ml_imap_action_command_done (self, a, cmd, r);
    }
  if (cmd->action == NULL || cmd->kind == CMD_LOGOUT)
    on_session_command (self, cmd, r);
  command_free (cmd);
  flush (self);
  if (!self->done && g_queue_is_empty (&self->in_flight) && g_queue_is_empty (&self->outbox))
    _ml_imap_client_proceed (self);
}

static void
on_continuation (MlImapClient *self, const MlImapResponse *r)
{
  ImapCommand *cmd = self->sending;

  if (cmd != NULL)
    {
      if (cmd->next_part < cmd->parts->len)
        {
          GByteArray *part = g_ptr_array_index (cmd->parts, cmd->next_part++);

          write_out (self, cmd, part->data, part->len);
          if (cmd->next_part >= cmd->parts->len)
            {
              self->sending = NULL;
              command_sent (self, cmd);
            }
        }
      else if (cmd->sasl != NULL)
        {
          g_autofree char *line = g_steal_pointer (&cmd->sasl);

          self->sending = NULL;
          _ml_imap_client_send_sasl_line (self, cmd, line, "imap.authenticate.response");
        }
      flush (self);
      return;
    }
  if (self->idle_cmd != NULL && !self->idling && !self->done_sent)
    {
      /* RFC 2177 3: "+" means the server is now pushing updates. */
      self->idling = TRUE;
      _ml_imap_client_set_state (self, ML_IMAP_CLIENT_STATE_IDLE);
      if (self->stop_idle || self->next_action < self->actions->len)
        _ml_imap_client_send_done (self);
      return;
    }
  for (GList *l = self->in_flight.head; l != NULL; l = l->next)
    if (((ImapCommand *) l->data)->kind == CMD_AUTHENTICATE)
      {
        _ml_imap_client_sasl_challenge (self, l->data, r);
        return;
      }
  _ml_imap_client_protocol_error (self, "a continuation request (\"+\") when no command waits for one (RFC 3501 7.5)");
}

static void
emit_reply (MlImapClient *self, const MlImapResponse *r)
{
  MlEngineEvent *ev = _ml_imap_client_push_event (self, ML_ENGINE_EVENT_REPLY,
                                                  ML_DIR_SERVER_TO_CLIENT, FALSE);

  ev->line = g_utf8_make_valid (r->raw, -1);
  ev->explain_key = ml_imap_response_dup_explain_key (r);
  /* Named as the server names its REPLY events (imap-server.h). */
  if (r->kind == ML_IMAP_RESPONSE_KIND_CONTINUATION)
    ev->verb = g_strdup ("+");
  else if (r->status != ML_IMAP_STATUS_NONE)
    ev->verb = g_strdup (ml_imap_status_to_string (r->status));
  else
    ev->verb = g_strdup (r->data_name);
  ev->args = g_strdup (r->kind == ML_IMAP_RESPONSE_KIND_TAGGED ? r->tag
                       : r->kind == ML_IMAP_RESPONSE_KIND_UNTAGGED ? "*" : "+");
  if (r->code != NULL)
    ev->enhanced = g_strdup (r->code->name);
}

static void
handle_response (MlImapClient *self, const MlImapResponse *r)
{
  emit_reply (self, r);
  if (!self->greeted)
    {
      on_greeting (self, r);
      return;
    }
  switch (r->kind)
    {
    case ML_IMAP_RESPONSE_KIND_CONTINUATION:
      on_continuation (self, r);
      break;
    case ML_IMAP_RESPONSE_KIND_TAGGED:
      on_tagged (self, r);
      break;
    case ML_IMAP_RESPONSE_KIND_UNTAGGED:
      if (++self->n_untagged > ML_IMAP_CLIENT_MAX_UNTAGGED)
        {
          _ml_imap_client_protocol_error (self, "too many untagged responses without a completion");
          return;
        }
      _ml_imap_client_on_untagged (self, r);
      break;
    }
}

gsize
ml_imap_client_feed (MlImapClient *self, const guint8 *data, gsize len)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (data != NULL || len == 0, 0);

  if (self->done)
    return 0;
  if (self->tls_pending)
    /* After STARTTLS's OK only the handshake may come (RFC 3501 6.2.1);
     * anything else came in clear and is not a response. */
    return len;
  ml_imap_response_parser_push (self->parser, data, len);
  while (!self->done && !self->tls_pending)
    {
      g_autoptr(MlImapResponse) r = NULL;
      g_autoptr(GError) error = NULL;
      MlImapResponseResult res = ml_imap_response_parser_next (self->parser, &r, &error);

      if (res == ML_IMAP_RESPONSE_NEED_MORE)
        break;
      if (res == ML_IMAP_RESPONSE_MALFORMED)
        _ml_imap_client_protocol_error (self, error->message);
      else
        handle_response (self, r);
    }
  return len;
}

/* ---- public API ---- */

MlImapClient *
ml_imap_client_new (const MlImapClientConfig *config, MlImapLocalStore *local)
{
  MlImapClient *self = g_new0 (MlImapClient, 1);

  if (config != NULL)
    self->config = *config;
  else
    ml_imap_client_config_init (&self->config);
  self->username = g_strdup (self->config.username);
  self->password = g_strdup (self->config.password);
  self->config.username = self->username;
  self->config.password = self->password;
  self->tls_active = self->config.tls == ML_IMAP_CLIENT_TLS_IMPLICIT;
  self->state = ML_IMAP_CLIENT_STATE_GREETING;
  self->parser = ml_imap_response_parser_new ();
  self->out = g_byte_array_new ();
  g_queue_init (&self->events);
  g_queue_init (&self->outbox);
  g_queue_init (&self->in_flight);
  self->own_local = local == NULL;
  self->local = local != NULL ? local : ml_imap_local_store_new ();
  self->actions = g_ptr_array_new_with_free_func ((GDestroyNotify) _ml_imap_action_free);
  self->seq_uids = g_array_new (FALSE, TRUE, sizeof (guint32));
  self->hits = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->listed = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
ml_imap_client_free (MlImapClient *self)
{
  if (self == NULL)
    return;
  g_free (self->username);
  g_free (self->password);
  g_clear_pointer (&self->sasl, ml_sasl_client_free);
  ml_imap_response_parser_free (self->parser);
  g_byte_array_unref (self->out);
  g_queue_clear_full (&self->events, ml_engine_event_free);
  g_queue_clear_full (&self->outbox, (GDestroyNotify) command_free);
  g_queue_clear_full (&self->in_flight, (GDestroyNotify) command_free);
  if (self->own_local)
    ml_imap_local_store_free (self->local);
  g_ptr_array_unref (self->actions);
  g_strfreev (self->caps);
  g_free (self->selected);
  g_free (self->selecting);
  g_array_unref (self->seq_uids);
  g_array_unref (self->hits);
  g_ptr_array_unref (self->listed);
  g_free (self);
}

gboolean
ml_imap_client_next_event (MlImapClient *self, MlEngineEvent *event_out)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (event_out != NULL, FALSE);

  return ml_engine_event_queue_pop (&self->events, event_out);
}

GBytes *
ml_imap_client_take_output (MlImapClient *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return ml_engine_take_bytes (&self->out);
}

gboolean
ml_imap_client_is_done (MlImapClient *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return self->done;
}

void
ml_imap_client_connection_lost (MlImapClient *self)
{
  g_return_if_fail (self != NULL);

  if (self->done)
    return;
  _ml_imap_client_fail_all (self, ML_IMAP_STATUS_NONE, "connection lost");
  g_byte_array_set_size (self->out, 0);
  _ml_imap_client_session_done (self);
}

void
ml_imap_client_stop_idle (MlImapClient *self)
{
  g_return_if_fail (self != NULL);

  if (self->idle_cmd == NULL || self->done_sent)
    return;
  if (self->idling)
    _ml_imap_client_send_done (self);
  else
    self->stop_idle = TRUE;
}

gboolean
ml_imap_client_is_idling (MlImapClient *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->idling && !self->done_sent;
}

MlImapClientState
ml_imap_client_get_state (MlImapClient *self)
{
  g_return_val_if_fail (self != NULL, ML_IMAP_CLIENT_STATE_DONE);
  return self->state;
}

const char * const *
ml_imap_client_get_capabilities (MlImapClient *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (self != NULL, none);
  return self->caps != NULL ? (const char * const *) self->caps : none;
}

gboolean
ml_imap_client_has_capability (MlImapClient *self, const char *name)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return has_cap (self, name);
}

const char *
ml_imap_client_get_selected (MlImapClient *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->selected;
}

const MlImapLocalMailbox *
ml_imap_client_get_local (MlImapClient *self, const char *mailbox)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (mailbox != NULL, NULL);
  return _ml_imap_local_store_lookup (self->local, mailbox);
}

MlImapLocalStore *
ml_imap_client_get_local_store (MlImapClient *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->local;
}

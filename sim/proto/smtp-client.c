/* The client is driven by one queue: every command sent pushes what it
 * waits for, every reply pops the head and goes to that command's handler
 * (the table below). Pipelining (RFC 2920 3.1) is then only a matter of
 * sending several commands before the first reply; the replies are matched
 * to commands by counting, never by code or text, as RFC 2920 3.1 demands.
 * The content itself (DATA, BDAT, the replies after it) is in
 * smtp-client-content.c.
 */
#define G_LOG_DOMAIN "ml-smtp-client"

#include <string.h>
#include "proto/smtp-client-private.h"

typedef void (*ReplyHandler) (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);

static void on_greeting (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);
static void on_ehlo     (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);
static void on_helo     (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);
static void on_rset     (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);
static void on_mail     (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);
static void on_rcpt     (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);
static void on_quit     (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);
static void on_starttls (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);
static void on_auth     (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);

/* Indexed by CmdKind: the state the client is in while it waits for the
 * command's reply, and what it does with the reply. */
static const struct {
  MlSmtpClientState state;
  ReplyHandler      handler;
} commands[] = {
  [CMD_GREETING] = { ML_SMTP_CLIENT_STATE_GREETING, on_greeting },
  [CMD_EHLO]     = { ML_SMTP_CLIENT_STATE_EHLO,     on_ehlo },
  [CMD_HELO]     = { ML_SMTP_CLIENT_STATE_HELO,     on_helo },
  [CMD_RSET]     = { ML_SMTP_CLIENT_STATE_RSET,     on_rset },
  [CMD_MAIL]     = { ML_SMTP_CLIENT_STATE_MAIL,     on_mail },
  [CMD_RCPT]     = { ML_SMTP_CLIENT_STATE_RCPT,     on_rcpt },
  [CMD_DATA]     = { ML_SMTP_CLIENT_STATE_DATA,     _ml_smtp_client_on_data },
  [CMD_CONTENT]  = { ML_SMTP_CLIENT_STATE_CONTENT,  _ml_smtp_client_on_content },
  [CMD_QUIT]     = { ML_SMTP_CLIENT_STATE_QUIT,     on_quit },
  [CMD_STARTTLS] = { ML_SMTP_CLIENT_STATE_STARTTLS, on_starttls },
  [CMD_AUTH]     = { ML_SMTP_CLIENT_STATE_AUTH,     on_auth },
  [CMD_BDAT]     = { ML_SMTP_CLIENT_STATE_CONTENT,  _ml_smtp_client_on_bdat },
};

static const char * const state_names[] = {
  [ML_SMTP_CLIENT_STATE_GREETING] = "greeting",
  [ML_SMTP_CLIENT_STATE_EHLO]     = "ehlo",
  [ML_SMTP_CLIENT_STATE_HELO]     = "helo",
  [ML_SMTP_CLIENT_STATE_READY]    = "ready",
  [ML_SMTP_CLIENT_STATE_RSET]     = "rset",
  [ML_SMTP_CLIENT_STATE_MAIL]     = "mail",
  [ML_SMTP_CLIENT_STATE_RCPT]     = "rcpt",
  [ML_SMTP_CLIENT_STATE_DATA]     = "data",
  [ML_SMTP_CLIENT_STATE_CONTENT]  = "content",
  [ML_SMTP_CLIENT_STATE_QUIT]     = "quit",
  [ML_SMTP_CLIENT_STATE_DONE]     = "done",
  [ML_SMTP_CLIENT_STATE_STARTTLS] = "starttls",
  [ML_SMTP_CLIENT_STATE_AUTH]     = "auth",
};

const char *
ml_smtp_client_state_to_string (MlSmtpClientState state)
{
  if ((guint) state >= G_N_ELEMENTS (state_names))
    return "unknown";
  return state_names[state];
}

const char *
ml_smtp_outcome_to_string (MlSmtpOutcome outcome)
{
  switch (outcome)
    {
    case ML_SMTP_OUTCOME_PENDING:   return "pending";
    case ML_SMTP_OUTCOME_DELIVERED: return "delivered";
    case ML_SMTP_OUTCOME_TEMPORARY: return "temporary";
    case ML_SMTP_OUTCOME_PERMANENT: return "permanent";
    default:                        return "unknown";
    }
}

void
ml_smtp_client_config_init (MlSmtpClientConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->use_ehlo = TRUE;
  config->use_pipelining = TRUE;
  config->send_quit = TRUE;
}

/* ---- events ---- */

MlEngineEvent *
_ml_smtp_client_push_event (MlSmtpClient *self, MlEngineEventKind kind, MlDirection direction, gboolean outgoing)
{
  MlEngineEvent *ev = g_new0 (MlEngineEvent, 1);

  ev->kind = kind;
  ev->protocol = self->config.lmtp ? ML_PROTO_LMTP : ML_PROTO_SMTP;  /* RFC 2033 */
  ev->direction = direction;
  ev->outgoing = outgoing;
  g_queue_push_tail (&self->events, ev);
  return ev;
}

void
_ml_smtp_client_set_state (MlSmtpClient *self, MlSmtpClientState state)
{
  MlEngineEvent *ev;

  if (self->state == state)
    return;
  ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_STATE, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->state_from = ml_smtp_client_state_to_string (self->state);
  ev->state_to = ml_smtp_client_state_to_string (state);
  ev->explain_key = g_strconcat ("smtp.client.state.", ev->state_to, NULL);
  self->state = state;
}

/* ---- the pending queue ---- */

static gboolean
pending_is_empty (MlSmtpClient *self)
{
  return self->pending_head >= self->pending->len;
}

void
_ml_smtp_client_pending_push (MlSmtpClient *self, CmdKind kind, guint rcpt, gboolean empty)
{
  Pending p = { kind, rcpt, empty };

  g_array_append_val (self->pending, p);
}

static Pending
pending_pop (MlSmtpClient *self)
{
  Pending p = g_array_index (self->pending, Pending, self->pending_head);

  self->pending_head++;
  if (self->pending_head >= self->pending->len)
    {
      g_array_set_size (self->pending, 0);
      self->pending_head = 0;
    }
  return p;
}

static void
pending_clear (MlSmtpClient *self)
{
  g_array_set_size (self->pending, 0);
  self->pending_head = 0;
}

/* ---- sending ---- */

/* @line has no CRLF. Every command line is built from checked parts, so it
 * stays within ML_SMTP_CLIENT_MAX_COMMAND (RFC 5321 4.5.3.1.4). */
/* Writes @line and says so in a COMMAND event; what reply it waits for is
 * the caller's to push. */
void
_ml_smtp_client_write_command (MlSmtpClient *self, CmdKind kind, char *line /* steals */)
{
  MlEngineEvent *ev;
  const char *sp = strchr (line, ' ');
  gsize verb_len = sp ? (gsize) (sp - line) : strlen (line);
  g_autofree char *lower = NULL;

  if (pending_is_empty (self))
    _ml_smtp_client_set_state (self, commands[kind].state);

  g_byte_array_append (self->out, (const guint8 *) line, (guint) strlen (line));
  g_byte_array_append (self->out, (const guint8 *) "\r\n", 2);

  ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_COMMAND, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->verb = g_strndup (line, verb_len);
  ev->args = sp ? g_strdup (sp + 1) : NULL;
  lower = g_ascii_strdown (ev->verb, -1);
  /* RFC 2033 4.1: LHLO is LMTP's. */
  ev->explain_key = g_strcmp0 (lower, "lhlo") == 0 ? g_strdup ("lmtp.lhlo")
                                                   : g_strconcat ("smtp.", lower, NULL);
  ev->line = line;
}

static void
send_command (MlSmtpClient *self, CmdKind kind, guint rcpt, char *line /* steals */)
{
  _ml_smtp_client_write_command (self, kind, line);
  _ml_smtp_client_pending_push (self, kind, rcpt, FALSE);
}

static void send_quit (MlSmtpClient *self);

/* ---- results ---- */

MlSmtpOutcome
_ml_smtp_client_refusal_outcome (const MlSmtpReply *reply)
{
  /* RFC 5321 4.2.1: 5yz is permanent; 4yz transient; anything else where a
   * refusal was expected is odd, and trying again later is the safe side. */
  return ml_smtp_reply_get_class (reply) == 5 ? ML_SMTP_OUTCOME_PERMANENT : ML_SMTP_OUTCOME_TEMPORARY;
}

static void
set_outcome (MlSmtpRecipientResult *r, MlSmtpOutcome outcome, guint code,
             const char *enhanced, const char *text, gboolean local)
{
  r->outcome = outcome;
  r->code = code;
  g_free (r->enhanced);
  r->enhanced = g_strdup (enhanced);
  g_free (r->text);
  r->text = g_strdup (text ? text : "");
  r->local = local;
}

void
_ml_smtp_client_set_outcome_from_reply (MlSmtpRecipientResult *r, MlSmtpOutcome outcome, const MlSmtpReply *reply)
{
  g_autofree char *text = ml_smtp_reply_dup_text (reply);

  set_outcome (r, outcome, reply->code, reply->enhanced, text, FALSE);
}

static void
apply_verdict (Message *m, const Verdict *v)
{
  for (guint i = 0; i < m->result.n_recipients; i++)
    if (m->result.recipients[i].outcome == ML_SMTP_OUTCOME_PENDING)
      set_outcome (&m->result.recipients[i], v->outcome, v->code, v->enhanced, v->text, v->local);
  if (v->try_next_host)
    m->result.try_next_host = TRUE;
}

static void
finish_message (MlSmtpClient *self, Message *m, const char *reason)
{
  MlEngineEvent *ev;
  guint delivered = 0, temporary = 0, permanent = 0;
  const char *key;
  GString *detail;

  if (m->result.finished)
    return;

  /* Every recipient leaves with an outcome; none should be left here, but
   * the queue must never see "pending" on a finished message. */
  for (guint i = 0; i < m->result.n_recipients; i++)
    {
      MlSmtpRecipientResult *r = &m->result.recipients[i];

      if (r->outcome == ML_SMTP_OUTCOME_PENDING)
        set_outcome (r, ML_SMTP_OUTCOME_TEMPORARY, 451, "4.3.0",
                     "no reply decided this recipient", TRUE);
      if (r->outcome == ML_SMTP_OUTCOME_DELIVERED)
        delivered++;
      else if (r->outcome == ML_SMTP_OUTCOME_TEMPORARY)
        temporary++;
      else
        permanent++;
    }
  m->result.finished = TRUE;
  g_clear_pointer (&m->message, g_bytes_unref);

  if (delivered == m->result.n_recipients)
    key = "smtp.client.transaction.delivered";
  else if (delivered > 0)
    key = "smtp.client.transaction.partial";
  else
    key = "smtp.client.transaction.failed";

  detail = g_string_new (NULL);
  /* Counted from 1 for people; result.index stays 0-based for code. */
  g_string_append_printf (detail, "message %u of this session: handed over for %u of %u recipient%s",
                          m->result.index + 1, delivered, m->result.n_recipients,
                          m->result.n_recipients == 1 ? "" : "s");
  if (temporary > 0)
    g_string_append_printf (detail, ", %u temporary failure%s", temporary, temporary > 1 ? "s" : "");
  if (permanent > 0)
    g_string_append_printf (detail, ", %u permanent failure%s", permanent, permanent > 1 ? "s" : "");
  if (reason != NULL)
    g_string_append_printf (detail, " (%s)", reason);

  ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_TRANSACTION, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->explain_key = g_strdup (key);
  ev->detail = g_string_free (detail, FALSE);
}

static void
set_end_verdict (MlSmtpClient *self, const Verdict *v)
{
  /* The first reason the session ended is the one that counts. */
  if (self->end_set)
    return;
  self->end_set = TRUE;
  self->end_outcome = v->outcome;
  self->end_code = v->code;
  g_free (self->end_enhanced);
  self->end_enhanced = g_strdup (v->enhanced);
  g_free (self->end_text);
  self->end_text = g_strdup (v->text);
  self->end_local = v->local;
  self->end_try_next_host = v->try_next_host;
}

/* The session cannot carry any more mail: the open transaction and every
 * message not yet started get @v. */
static void
fail_session (MlSmtpClient *self, const Verdict *v, const char *reason)
{
  set_end_verdict (self, v);
  if (self->cur != NULL)
    {
      Message *m = g_steal_pointer (&self->cur);

      apply_verdict (m, v);
      finish_message (self, m, reason);
    }
  for (; self->next_message < self->messages->len; self->next_message++)
    {
      Message *m = g_ptr_array_index (self->messages, self->next_message);

      if (m->result.finished)
        continue;
      apply_verdict (m, v);
      finish_message (self, m, reason);
    }
}

static void
fail_session_with_reply (MlSmtpClient *self, const MlSmtpReply *reply, MlSmtpOutcome outcome,
                         gboolean try_next_host, const char *reason)
{
  g_autofree char *text = ml_smtp_reply_dup_text (reply);
  Verdict v = { outcome, reply->code, reply->enhanced, text, FALSE, try_next_host };

  fail_session (self, &v, reason);
}

static void
session_done (MlSmtpClient *self)
{
  if (self->done)
    return;
  self->done = TRUE;
  pending_clear (self);
  ml_smtp_reply_parser_reset (self->parser);
  _ml_smtp_client_set_state (self, ML_SMTP_CLIENT_STATE_DONE);
  _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_CLOSE, ML_DIR_CLIENT_TO_SERVER, TRUE)->explain_key =
    g_strdup ("smtp.client.close");
}

/* ---- transactions ---- */

static void
measure (Message *m)
{
  gsize len = 0;
  const guint8 *data;

  if (m->measured)
    return;
  data = g_bytes_get_data (m->message, &len);
  m->size = _ml_smtp_client_encode_content (data, len, NULL, &m->eightbit);
  m->measured = TRUE;
}

/* Local refusals: the server said what it can take, and this message does
 * not fit; sending it anyway would only earn the same refusal later. */
static gboolean
refused_locally (MlSmtpClient *self, Message *m)
{
  guint64 size_max = ml_smtp_capabilities_get_size_max (self->caps);

  measure (m);
  /* RFC 6152 3: without 8BITMIME a client must not send octets above 127;
   * it may convert to 7-bit MIME or treat it as a permanent error. Turning
   * a message into quoted-printable or base64 is a gateway's job; here it
   * bounces, and the bounce says why. */
  if (m->eightbit && !ml_smtp_capabilities_has (self->caps, ML_SMTP_EXT_8BITMIME))
    {
      Verdict v = { ML_SMTP_OUTCOME_PERMANENT, 554, "5.6.3",
                    "8-bit message, and the server does not offer 8BITMIME (RFC 6152 3)",
                    TRUE, FALSE };

      apply_verdict (m, &v);
      finish_message (self, m, "not sent: conversion to 7-bit required");
      return TRUE;
    }
  /* RFC 1870 4: the server refuses anything above its declared maximum with
   * 552, so do not send it. */
  if (size_max > 0 && m->size > size_max)
    {
      g_autofree char *text = g_strdup_printf ("message size %" G_GSIZE_FORMAT
                                               " exceeds the server's fixed maximum %"
                                               G_GUINT64_FORMAT " (RFC 1870 4)",
                                               m->size, size_max);
      Verdict v = { ML_SMTP_OUTCOME_PERMANENT, 552, "5.3.4", text, TRUE, FALSE };

      apply_verdict (m, &v);
      finish_message (self, m, "not sent: too big for this server");
      return TRUE;
    }
  return FALSE;
}

static gboolean
rcpt_still_open (Message *m, guint i)
{
  return m->rcpts[i].path != NULL
         && m->result.recipients[i].outcome == ML_SMTP_OUTCOME_PENDING;
}

static void
send_rcpt (MlSmtpClient *self, guint i)
{
  /* RFC 3461 4: the DSN parameters only to a server that lists DSN. */
  gboolean dsn = ml_smtp_capabilities_has (self->caps, ML_SMTP_EXT_DSN);

  send_command (self, CMD_RCPT, i, g_strconcat ("RCPT TO:", self->cur->rcpts[i].path,
                                                dsn ? self->cur->rcpts[i].dsn_params : "",
                                                NULL));
}

static void
begin_transaction (MlSmtpClient *self, Message *m)
{
  GString *mail = g_string_new ("MAIL FROM:");

  self->cur = m;
  self->mail_ok = FALSE;
  self->n_accepted = 0;
  self->next_rcpt = 0;
  /* RFC 3030 2: BDAT only to a server that lists CHUNKING. */
  self->bdat = self->config.bdat_chunk_size > 0
               && ml_smtp_capabilities_has (self->caps, ML_SMTP_EXT_CHUNKING);

  g_string_append (mail, m->reverse_path);
  /* RFC 1870 6: declare the size when the server takes SIZE. */
  if (ml_smtp_capabilities_has (self->caps, ML_SMTP_EXT_SIZE))
    g_string_append_printf (mail, " SIZE=%" G_GSIZE_FORMAT, m->size);
  /* RFC 6152 3: BODY=8BITMIME announces octets above 127. */
  if (m->eightbit)
    g_string_append (mail, " BODY=8BITMIME");
  if (ml_smtp_capabilities_has (self->caps, ML_SMTP_EXT_DSN))
    g_string_append (mail, m->dsn_params);
  send_command (self, CMD_MAIL, 0, g_string_free (mail, FALSE));

  if (self->pipelining)
    {
      /* RFC 2920 3.1: MAIL and RCPT may go anywhere in a group, DATA only
       * last; so the whole envelope is one group. */
      self->rcpt_replies_left = 0;
      for (guint i = 0; i < m->result.n_recipients; i++)
        if (rcpt_still_open (m, i))
          {
            send_rcpt (self, i);
            self->rcpt_replies_left++;
          }
      /* RFC 3030 2: a chunk goes only to recipients known to be taken,
       * so BDAT waits for the RCPT replies that DATA would not. */
      if (!self->bdat)
        send_command (self, CMD_DATA, 0, g_strdup ("DATA"));
    }
}

static void proceed (MlSmtpClient *self);

/* @rset: the server may still hold part of the transaction; RFC 5321
 * 4.1.1.5 RSET clears it before the next MAIL. */
void
_ml_smtp_client_end_transaction (MlSmtpClient *self, gboolean rset, const char *reason)
{
  Message *m = g_steal_pointer (&self->cur);

  finish_message (self, m, reason);
  self->rset_needed = rset;
  proceed (self);
}

/* Without pipelining: the next RCPT, or DATA once every recipient had its
 * turn. */
static void
send_next_rcpt_or_data (MlSmtpClient *self)
{
  Message *m = self->cur;

  while (self->next_rcpt < m->result.n_recipients && !rcpt_still_open (m, self->next_rcpt))
    self->next_rcpt++;
  if (self->next_rcpt < m->result.n_recipients)
    {
      send_rcpt (self, self->next_rcpt++);
      return;
    }
  if (self->n_accepted > 0 && self->bdat)
    _ml_smtp_client_begin_chunks (self);
  else if (self->n_accepted > 0)
    send_command (self, CMD_DATA, 0, g_strdup ("DATA"));
  else
    /* RFC 5321 3.3: DATA would only earn 503 or 554; the client knows. */
    _ml_smtp_client_end_transaction (self, TRUE, "no recipient accepted");
}

/* Start the next message, or QUIT when none is left. */
static void
proceed (MlSmtpClient *self)
{
  if (self->done || self->quit_sent || self->cur != NULL || !self->greeted)
    return;

  while (self->next_message < self->messages->len && !self->quit_requested)
    {
      Message *m = g_ptr_array_index (self->messages, self->next_message);

      if (m->result.finished || refused_locally (self, m))
        {
          self->next_message++;
          continue;
        }
      if (self->rset_needed)
        {
          /* Without pipelining RSET is its own exchange; with it, it could
           * lead the next group (RFC 2920 3.1), but waiting keeps a refused
           * RSET from being taken for a refused MAIL. */
          self->rset_needed = FALSE;
          send_command (self, CMD_RSET, 0, g_strdup ("RSET"));
          return;
        }
      self->next_message++;
      begin_transaction (self, m);
      return;
    }

  if (self->config.send_quit || self->quit_requested)
    send_quit (self);
}

static void
send_quit (MlSmtpClient *self)
{
  Verdict v = { ML_SMTP_OUTCOME_TEMPORARY, 451, "4.3.0",
                "not sent: the session had already ended", TRUE, FALSE };

  if (self->quit_sent || self->done)
    return;
  /* Messages still queued (ml_smtp_client_quit() came first) and messages
   * queued from now on stay with the MTA queue for another session. */
  fail_session (self, &v, "session ended before this message");
  self->quit_sent = TRUE;
  send_command (self, CMD_QUIT, 0, g_strdup ("QUIT"));
}

/* ---- reply handlers ---- */

static void
send_hello (MlSmtpClient *self, gboolean ehlo)
{
  /* RFC 5321 4.1.1.1: ehlo = "EHLO" SP ( Domain / address-literal ) */
  /* RFC 2033 4.1: LMTP's LHLO stands for EHLO and is answered alike. */
  send_command (self, ehlo ? CMD_EHLO : CMD_HELO, 0,
                g_strconcat (self->config.lmtp ? "LHLO " : ehlo ? "EHLO " : "HELO ",
                             self->helo_name, NULL));
  if (!ehlo)
    self->tried_helo = TRUE;
}

/* The server will not carry mail in this session: EHLO/HELO refused, or a
 * greeting other than 220. RFC 5321 4.1.1.10: still say QUIT. */
static void
refuse_session (MlSmtpClient *self, const MlSmtpReply *reply, const char *reason)
{
  fail_session_with_reply (self, reply, _ml_smtp_client_refusal_outcome (reply), TRUE, reason);
  send_quit (self);
}

static void
on_greeting (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  if (ml_smtp_reply_get_class (reply) == 2)
    {
      send_hello (self, self->config.use_ehlo);
      return;
    }
  /* RFC 5321 3.1: 554 instead of 220 means "no SMTP service here". That is
   * permanent for this server, not for the message: the results say
   * try_next_host, and the queue tries the next MX before it bounces. */
  refuse_session (self, reply, "the server refused the session in its greeting");
}

/* ---- STARTTLS and AUTH (RFC 3207, RFC 4954; smtp-client-auth.c) ---- */

/* The client will not go on with this server: a TRANSACTION event says
 * why, every message gets a local temporary result, then QUIT. */
static void
give_up (MlSmtpClient *self, const char *why, const char *explain_key)
{
  Verdict v = { ML_SMTP_OUTCOME_TEMPORARY, 451, "4.7.0", why, TRUE, TRUE };
  MlEngineEvent *ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_TRANSACTION, ML_DIR_CLIENT_TO_SERVER, TRUE);

  ev->explain_key = g_strdup (explain_key);
  ev->detail = g_strdup (why);
  fail_session (self, &v, why);
  send_quit (self);
}

/* A line of the AUTH exchange after the AUTH command: base64 as the wire
 * carries it, no verb (RFC 4954 4). */
static void
send_auth_response (MlSmtpClient *self, char *line /* steals */)
{
  MlEngineEvent *ev;

  g_byte_array_append (self->out, (const guint8 *) line, (guint) strlen (line));
  g_byte_array_append (self->out, (const guint8 *) "\r\n", 2);
  _ml_smtp_client_pending_push (self, CMD_AUTH, 0, FALSE);
  ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_COMMAND, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->explain_key = g_strdup ("smtp.auth.response");
  ev->line = line;
}

/* After a 250 to EHLO: STARTTLS, AUTH, or nothing more (FALSE). */
static gboolean
secure_step (MlSmtpClient *self)
{
  g_autofree char *line = NULL, *why = NULL;
  const char *key = NULL;

  switch (_ml_smtp_client_security_after_ehlo (self->sec, self->caps, &line, &why, &key))
    {
    case ML_SMTP_SECURE_STARTTLS:
      send_command (self, CMD_STARTTLS, 0, g_strdup ("STARTTLS"));
      return TRUE;
    case ML_SMTP_SECURE_AUTH:
      send_command (self, CMD_AUTH, 0, g_steal_pointer (&line));
      return TRUE;
    case ML_SMTP_SECURE_GIVE_UP:
      give_up (self, why, key);
      return TRUE;
    case ML_SMTP_SECURE_GO_ON:
    default:
      return FALSE;
    }
}

static void
on_starttls (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  g_autofree char *why = NULL;
  const char *key = NULL;

  if (reply->code == 220)
    {
      MlEngineEvent *ev;

      /* RFC 3207 4: go ahead. Whatever else the server sent in clear
       * after this reply is dropped, never read as protected (4.2). */
      _ml_smtp_client_security_tls_pending (self->sec);
      ml_smtp_reply_parser_reset (self->parser);
      _ml_smtp_client_set_state (self, ML_SMTP_CLIENT_STATE_STARTTLS);
      ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_START_TLS, ML_DIR_CLIENT_TO_SERVER, TRUE);
      ev->explain_key = g_strdup ("smtp.starttls");
      ev->detail = g_strdup ("TLS handshake as client");
      return;
    }
  if (_ml_smtp_client_security_starttls_refused (self->sec, &why, &key) == ML_SMTP_SECURE_GIVE_UP)
    {
      give_up (self, why, key);
      return;
    }
  if (secure_step (self))
    return;
  self->greeted = TRUE;
  proceed (self);
}

static void
on_auth (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  g_autofree char *line = NULL, *why = NULL;

  switch (_ml_smtp_client_security_auth_reply (self->sec, reply, &line, &why))
    {
    case ML_SMTP_AUTH_STEP_RESPOND:
      send_auth_response (self, g_steal_pointer (&line));
      return;
    case ML_SMTP_AUTH_STEP_DONE:
      self->greeted = TRUE;
      proceed (self);
      return;
    case ML_SMTP_AUTH_STEP_FAILED:
    default:
      break;
    }
  if (reply->code / 100 == 4 || reply->code / 100 == 5)
    {
      /* RFC 4954 6: 535 means these credentials will not do; mail for
       * this account cannot go through this server now. */
      fail_session_with_reply (self, reply, _ml_smtp_client_refusal_outcome (reply), FALSE, why);
      send_quit (self);
      return;
    }
  give_up (self, why, "smtp.client.auth.failed");
}

static void
on_ehlo (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  guint cls = ml_smtp_reply_get_class (reply);

  if (cls == 2)
    {
      ml_smtp_capabilities_free (self->caps);
      self->caps = ml_smtp_capabilities_parse (reply);
      self->pipelining = self->config.use_pipelining
                         && ml_smtp_capabilities_has (self->caps, ML_SMTP_EXT_PIPELINING);
      if (secure_step (self))
        return;
      self->greeted = TRUE;
      proceed (self);
      return;
    }
  /* RFC 5321 3.2, 4.1.4: a server that does not know EHLO answers 5yz
   * (500, 502); the client falls back to HELO. */
  if (cls == 5 && !self->tried_helo && !self->config.lmtp)
    {
      send_hello (self, FALSE);
      return;
    }
  refuse_session (self, reply, "the server refused EHLO");
}

static void
on_helo (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  if (ml_smtp_reply_get_class (reply) == 2)
    {
      /* RFC 5321 3.2: no extensions after HELO. */
      ml_smtp_capabilities_free (self->caps);
      self->caps = ml_smtp_capabilities_new ();
      self->pipelining = FALSE;
      self->greeted = TRUE;
      proceed (self);
      return;
    }
  refuse_session (self, reply, "the server refused HELO");
}

static void
on_rset (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  if (ml_smtp_reply_get_class (reply) == 2)
    {
      proceed (self);
      return;
    }
  /* RFC 5321 4.1.1.5 says RSET must answer 250; a server that will not
   * reset cannot be trusted with the next transaction. */
  fail_session_with_reply (self, reply, ML_SMTP_OUTCOME_TEMPORARY, TRUE, "the server refused RSET");
  send_quit (self);
}

static void
on_mail (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  Message *m = self->cur;

  if (ml_smtp_reply_get_class (reply) == 2)
    {
      self->mail_ok = TRUE;
      if (!self->pipelining)
        send_next_rcpt_or_data (self);
      return;
    }

  /* MAIL refused: no recipient can get the message in this transaction, so
   * each one gets this reply. With pipelining the RCPT and DATA replies
   * still to come are counted and passed over (RFC 2920 3.1). */
  for (guint i = 0; i < m->result.n_recipients; i++)
    if (m->result.recipients[i].outcome == ML_SMTP_OUTCOME_PENDING)
      _ml_smtp_client_set_outcome_from_reply (&m->result.recipients[i], _ml_smtp_client_refusal_outcome (reply), reply);
  if (!self->pipelining)
    _ml_smtp_client_end_transaction (self, TRUE, "MAIL refused");
}

static void
on_rcpt (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  Message *m = self->cur;

  if (self->mail_ok)
    {
      if (ml_smtp_reply_get_class (reply) == 2)
        {
          /* 250 or 251: the final word comes after the content. */
          m->rcpts[cmd->rcpt].accepted = TRUE;
          self->n_accepted++;
        }
      else
        _ml_smtp_client_set_outcome_from_reply (&m->result.recipients[cmd->rcpt], _ml_smtp_client_refusal_outcome (reply), reply);
    }
  if (!self->pipelining)
    send_next_rcpt_or_data (self);
  else if (self->bdat && --self->rcpt_replies_left == 0)
    _ml_smtp_client_begin_chunks (self);
}

static void
on_quit (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply)
{
  /* RFC 5321 4.1.1.10: 221, then the server closes. Whatever it answered,
   * there is nothing left to say. */
  session_done (self);
}

/* ---- feeding ---- */

static void
emit_reply (MlSmtpClient *self, const MlSmtpReply *reply)
{
  MlEngineEvent *ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_REPLY, ML_DIR_SERVER_TO_CLIENT, FALSE);

  ev->code = reply->code;
  ev->enhanced = g_strdup (reply->enhanced);
  ev->line = g_strdup (reply->raw);
  ev->explain_key = g_strdup_printf ("smtp.reply.%03u", reply->code);
}

/* The reply stream cannot be trusted any more: replies would be matched
 * to the wrong commands. Say QUIT (RFC 5321 4.1.1.10) and stop. */
static void
protocol_error (MlSmtpClient *self, const char *why)
{
  g_autofree char *text = g_strdup_printf ("malformed reply: %s", why);
  Verdict v = { ML_SMTP_OUTCOME_TEMPORARY, 451, "4.5.0", text, TRUE, TRUE };
  MlEngineEvent *ev;

  ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_TRANSACTION, ML_DIR_SERVER_TO_CLIENT, FALSE);
  ev->explain_key = g_strdup ("smtp.client.malformed-reply");
  ev->detail = g_strdup_printf ("the session ends: %s", text);

  pending_clear (self);
  fail_session (self, &v, "the server sent a malformed reply");
  send_quit (self);
  session_done (self);
}

static void
handle_reply (MlSmtpClient *self, const MlSmtpReply *reply)
{
  Pending cmd;

  emit_reply (self, reply);

  if (pending_is_empty (self) && reply->code != 421)
    {
      /* RFC 5321 4.2: one reply per command, never one unasked. */
      protocol_error (self, "a reply came when no command was waiting for one");
      return;
    }
  if (reply->code == 421 && (pending_is_empty (self)
                             || g_array_index (self->pending, Pending, self->pending_head).kind != CMD_QUIT))
    {
      /* RFC 5321 3.8: 421, then the server closes; any time, even unasked.
       * Everything unfinished is to be tried again later. */
      pending_clear (self);
      fail_session_with_reply (self, reply, ML_SMTP_OUTCOME_TEMPORARY, TRUE,
                               "the server closed the session (421)");
      session_done (self);
      return;
    }

  cmd = pending_pop (self);
  if (!pending_is_empty (self))
    _ml_smtp_client_set_state (self, commands[g_array_index (self->pending, Pending, self->pending_head).kind].state);
  commands[cmd.kind].handler (self, &cmd, reply);
  /* While TLS is being set up the client stays in STARTTLS. */
  if (!self->done && pending_is_empty (self) && !_ml_smtp_client_security_is_pending (self->sec))
    _ml_smtp_client_set_state (self, ML_SMTP_CLIENT_STATE_READY);
}

gsize
ml_smtp_client_feed (MlSmtpClient *self, const guint8 *data, gsize len)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (data != NULL || len == 0, 0);

  if (self->done)
    return 0;
  if (_ml_smtp_client_security_is_pending (self->sec))
    {
      /* RFC 3207 4.2: nothing from the server counts before TLS is up. */
      _ml_smtp_client_security_discard (self->sec, len);
      return len;
    }

  /* A line at a time, so that when a reply turns out to be STARTTLS's
   * go-ahead, what came behind it in the same read is known and counted
   * as discarded (RFC 3207 4.2), never parsed. */
  for (gsize pos = 0; pos < len && !self->done; )
    {
      const guint8 *lf = memchr (data + pos, '\n', len - pos);
      gsize n = lf != NULL ? (gsize) (lf - (data + pos)) + 1 : len - pos;

      ml_smtp_reply_parser_push (self->parser, data + pos, n);
      pos += n;
      while (!self->done && !_ml_smtp_client_security_is_pending (self->sec))
        {
          g_autoptr(MlSmtpReply) reply = NULL;
          g_autoptr(GError) error = NULL;
          MlSmtpReplyStatus status = ml_smtp_reply_parser_next (self->parser, &reply, &error);

          if (status == ML_SMTP_REPLY_NEED_MORE)
            break;
          if (status == ML_SMTP_REPLY_ERROR)
            protocol_error (self, error->message);
          else
            handle_reply (self, reply);
        }
      if (_ml_smtp_client_security_is_pending (self->sec))
        {
          _ml_smtp_client_security_discard (self->sec, len - pos);
          break;
        }
    }
  return len;
}

/* ---- public API ---- */

MlSmtpClient *
ml_smtp_client_new (const MlSmtpClientConfig *config)
{
  MlSmtpClient *self = g_new0 (MlSmtpClient, 1);

  if (config != NULL)
    self->config = *config;
  else
    ml_smtp_client_config_init (&self->config);
  self->helo_name = g_strdup (self->config.helo_name ? self->config.helo_name : "localhost");
  self->config.helo_name = self->helo_name;
  self->state = ML_SMTP_CLIENT_STATE_GREETING;
  self->parser = ml_smtp_reply_parser_new ();
  self->out = g_byte_array_new ();
  g_queue_init (&self->events);
  self->pending = g_array_new (FALSE, FALSE, sizeof (Pending));
  self->messages = g_ptr_array_new ();
  self->caps = ml_smtp_capabilities_new ();
  self->sec = _ml_smtp_client_security_new (&self->config);
  self->config.user = NULL;
  self->config.password = NULL;

  /* RFC 5321 3.1: the server speaks first. */
  _ml_smtp_client_pending_push (self, CMD_GREETING, 0, FALSE);
  return self;
}

static void
message_free (Message *m)
{
  for (guint i = 0; i < m->result.n_recipients; i++)
    {
      g_free (m->result.recipients[i].address);
      g_free (m->result.recipients[i].enhanced);
      g_free (m->result.recipients[i].text);
      g_free (m->rcpts[i].path);
      g_free (m->rcpts[i].dsn_params);
    }
  g_free (m->result.recipients);
  g_free (m->result.data_enhanced);
  g_free (m->result.data_text);
  g_free (m->rcpts);
  g_free (m->reverse_path);
  g_free (m->dsn_params);
  g_clear_pointer (&m->message, g_bytes_unref);
  g_free (m);
}

void
ml_smtp_client_free (MlSmtpClient *self)
{
  if (self == NULL)
    return;
  g_free (self->helo_name);
  ml_smtp_reply_parser_free (self->parser);
  g_byte_array_unref (self->out);
  g_queue_clear_full (&self->events, ml_engine_event_free);
  g_array_unref (self->pending);
  for (guint i = 0; i < self->messages->len; i++)
    message_free (g_ptr_array_index (self->messages, i));
  g_ptr_array_unref (self->messages);
  ml_smtp_capabilities_free (self->caps);
  _ml_smtp_client_security_free (self->sec);
  g_free (self->end_enhanced);
  g_free (self->end_text);
  g_free (self);
}

/* "a@b", "<a@b>" → "<a@b>"; "" or "<>" → "<>" when @null_ok. NULL when the
 * address cannot go into a command line: control characters would let it
 * end the line and smuggle in a command of its own. */
static char *
make_path (const char *address, gboolean null_ok)
{
  gsize len = strlen (address);
  const char *inner = address;

  if (len >= 2 && address[0] == '<' && address[len - 1] == '>')
    {
      inner = address + 1;
      len -= 2;
    }
  if (len == 0)
    return null_ok ? g_strdup ("<>") : NULL;
  /* RFC 5321 4.5.3.1.3: 256 octets with the brackets. */
  if (len + 2 > ML_SMTP_CLIENT_MAX_PATH)
    return NULL;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) inner[i];

      if (c < 0x20 || c == 0x7f || c == '<' || c == '>')
        return NULL;
    }
  return g_strdup_printf ("<%.*s>", (int) len, inner);
}

guint
ml_smtp_client_add_message (MlSmtpClient *self, const char *reverse_path,
                            const char * const *recipients, GBytes *message)
{
  return ml_smtp_client_add_message_dsn (self, reverse_path, recipients, message, NULL);
}

guint
ml_smtp_client_add_message_dsn (MlSmtpClient *self, const char *reverse_path,
                                const char * const *recipients, GBytes *message,
                                const MlSmtpClientDsn *dsn)
{
  Message *m;
  guint n;
  gboolean any_open = FALSE;

  g_return_val_if_fail (self != NULL, G_MAXUINT);
  g_return_val_if_fail (reverse_path != NULL, G_MAXUINT);
  g_return_val_if_fail (recipients != NULL && recipients[0] != NULL, G_MAXUINT);
  g_return_val_if_fail (message != NULL, G_MAXUINT);

  n = g_strv_length ((char **) recipients);
  m = g_new0 (Message, 1);
  m->result.index = self->messages->len;
  m->result.n_recipients = n;
  m->result.recipients = g_new0 (MlSmtpRecipientResult, n);
  m->rcpts = g_new0 (Rcpt, n);
  m->message = g_bytes_ref (message);
  m->reverse_path = make_path (reverse_path, TRUE);
  m->dsn_params = dsn ? ml_smtp_dsn_mail_params (dsn->ret, dsn->envid) : g_strdup ("");
  for (guint i = 0; i < n; i++)
    {
      m->rcpts[i].dsn_params =
        dsn ? ml_smtp_dsn_rcpt_params (dsn->notify ? dsn->notify[i] : ML_DSN_NOTIFY_DEFAULT,
                                       dsn->orcpt ? dsn->orcpt[i] : NULL)
            : g_strdup ("");
      m->result.recipients[i].address = g_strdup (recipients[i]);
      m->rcpts[i].path = make_path (recipients[i], FALSE);
      if (m->rcpts[i].path == NULL)
        /* RFC 3463 X.1.3: bad destination mailbox address syntax. */
        set_outcome (&m->result.recipients[i], ML_SMTP_OUTCOME_PERMANENT, 501, "5.1.3",
                     "the address cannot be sent in an RCPT command", TRUE);
      else
        any_open = TRUE;
    }
  g_ptr_array_add (self->messages, m);

  if (m->reverse_path == NULL)
    {
      /* RFC 3463 X.1.7: bad sender's mailbox address syntax. */
      Verdict v = { ML_SMTP_OUTCOME_PERMANENT, 501, "5.1.7",
                    "the reverse-path cannot be sent in a MAIL command", TRUE, FALSE };

      apply_verdict (m, &v);
      finish_message (self, m, "not sent: bad reverse-path");
    }
  else if (!any_open)
    finish_message (self, m, "not sent: no usable recipient");
  else if (self->quit_sent || self->done)
    {
      Verdict v = { self->end_outcome, self->end_code, self->end_enhanced, self->end_text,
                    self->end_local, self->end_try_next_host };

      apply_verdict (m, &v);
      finish_message (self, m, "session ended before this message");
    }
  else if (self->greeted && self->cur == NULL && pending_is_empty (self))
    proceed (self);

  if (self->next_message == m->result.index && m->result.finished)
    self->next_message++;
  return m->result.index;
}

gboolean
ml_smtp_client_next_event (MlSmtpClient *self, MlEngineEvent *event_out)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (event_out != NULL, FALSE);

  return ml_engine_event_queue_pop (&self->events, event_out);
}

GBytes *
ml_smtp_client_take_output (MlSmtpClient *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return ml_engine_take_bytes (&self->out);
}

gboolean
ml_smtp_client_is_done (MlSmtpClient *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return self->done;
}

void
ml_smtp_client_quit (MlSmtpClient *self)
{
  g_return_if_fail (self != NULL);

  if (self->done || self->quit_sent)
    return;
  self->quit_requested = TRUE;
  if (self->greeted && self->cur == NULL && pending_is_empty (self))
    proceed (self);
}

void
ml_smtp_client_connection_lost (MlSmtpClient *self)
{
  /* RFC 5321 3.8: as if 451 had come. X.4.2: bad connection (RFC 3463). */
  Verdict v = { ML_SMTP_OUTCOME_TEMPORARY, 451, "4.4.2", "connection lost", TRUE, TRUE };

  g_return_if_fail (self != NULL);

  if (self->done)
    return;
  fail_session (self, &v, "connection lost");
  /* Nothing can be sent any more. */
  g_byte_array_set_size (self->out, 0);
  session_done (self);
}

MlSmtpClientState
ml_smtp_client_get_state (MlSmtpClient *self)
{
  g_return_val_if_fail (self != NULL, ML_SMTP_CLIENT_STATE_DONE);
  return self->state;
}

guint
ml_smtp_client_get_n_messages (MlSmtpClient *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->messages->len;
}

const MlSmtpClientResult *
ml_smtp_client_get_result (MlSmtpClient *self, guint message_index)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (message_index >= self->messages->len)
    return NULL;
  return &((Message *) g_ptr_array_index (self->messages, message_index))->result;
}

const MlSmtpCapabilities *
ml_smtp_client_get_capabilities (MlSmtpClient *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->caps;
}

void
ml_smtp_client_tls_started (MlSmtpClient *self)
{
  guint64 discarded;

  g_return_if_fail (self != NULL);
  g_return_if_fail (_ml_smtp_client_security_is_pending (self->sec));

  discarded = _ml_smtp_client_security_tls_started (self->sec);
  if (discarded > 0)
    {
      MlEngineEvent *ev = _ml_smtp_client_push_event (self, ML_ENGINE_EVENT_TRANSACTION, ML_DIR_SERVER_TO_CLIENT, FALSE);

      ev->explain_key = g_strdup ("smtp.starttls.discarded");
      ev->detail = g_strdup_printf ("%" G_GUINT64_FORMAT " octets the server sent in the clear "
                                    "after its 220 were discarded (RFC 3207 4.2)", discarded);
    }
  if (self->done)
    return;
  /* RFC 3207 4.2: what EHLO said before TLS is forgotten; ask again. */
  ml_smtp_capabilities_free (self->caps);
  self->caps = ml_smtp_capabilities_new ();
  self->pipelining = FALSE;
  self->greeted = FALSE;
  self->tried_helo = FALSE;
  send_hello (self, TRUE);
}

gboolean
ml_smtp_client_is_tls_active (MlSmtpClient *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return _ml_smtp_client_security_tls_active (self->sec);
}

gboolean
ml_smtp_client_is_authenticated (MlSmtpClient *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return _ml_smtp_client_security_authenticated (self->sec);
}

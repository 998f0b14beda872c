/* pop3-server.c — the POP3 server engine: bytes in, responses and events out.
 *
 * This file owns the byte side (lines in, responses out, RFC 1939 3), the
 * events, and the maildrop: locking and listing it on entering TRANSACTION
 * (RFC 1939 4) and the UPDATE state (RFC 1939 6). The commands live in
 * pop3-server-commands.c.
 */
#define G_LOG_DOMAIN "ml-pop3-server"

#include <string.h>
#include "proto/pop3-server-private.h"

static const char *const state_names[] = {
  [ML_POP3_SERVER_STATE_INIT]          = "init",
  [ML_POP3_SERVER_STATE_AUTHORIZATION] = "authorization",
  [ML_POP3_SERVER_STATE_TRANSACTION]   = "transaction",
  [ML_POP3_SERVER_STATE_UPDATE]        = "update",
  [ML_POP3_SERVER_STATE_CLOSED]        = "closed",
};

void
ml_pop3_server_config_init (MlPop3ServerConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->hostname = "localhost";
  config->implementation = "maillab";
  config->allow_plaintext_auth = TRUE;
  config->offer_apop = TRUE;
  config->session_id = 1;
  config->auth_failure_delay_ms = 1000;
}

char *
ml_pop3_dup_unique_id (guint32 uidvalidity, guint32 uid)
{
  /* 16 characters of 0x30–0x66, well inside RFC 1939 7's 1–70 of
   * 0x21–0x7E. */
  return g_strdup_printf ("%08x%08x", uidvalidity, uid);
}

/* ---- events ---- */

MlEngineEvent *
_ml_pop3_server_event_new (MlEngineEventKind kind, gboolean outgoing)
{
  MlEngineEvent *event = g_new0 (MlEngineEvent, 1);

  event->kind = kind;
  event->protocol = ML_PROTO_POP3;
  event->outgoing = outgoing;
  event->direction = (kind == ML_ENGINE_EVENT_COMMAND)
                     ? ML_DIR_CLIENT_TO_SERVER : ML_DIR_SERVER_TO_CLIENT;
  return event;
}

void
_ml_pop3_server_push_event (MlPop3Server *self, MlEngineEvent *event)
{
  g_queue_push_tail (&self->events, event);
}

void
_ml_pop3_server_set_state (MlPop3Server *self, MlPop3ServerState state)
{
  MlEngineEvent *event;

  if (self->state == state)
    return;
  event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_STATE, FALSE);
  event->state_from = state_names[self->state];
  event->state_to = state_names[state];
  event->explain_key = g_strconcat ("pop3.state.", state_names[state], NULL);
  self->state = state;
  _ml_pop3_server_push_event (self, event);
}

static void
push_transaction (MlPop3Server *self, const char *explain_key, char *detail)
{
  MlEngineEvent *event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);

  event->explain_key = g_strdup (explain_key);
  event->detail = detail;
  _ml_pop3_server_push_event (self, event);
}

/* ---- responses (RFC 1939 3, RFC 2449 3, 8) ---- */

/* The REPLY event for what was appended to the output from @start on: its
 * line is exactly those bytes without the CRLFs, as the trace dialogue
 * must match the wire byte for byte. */
static void
push_reply_event (MlPop3Server *self, guint start, gboolean ok, const char *resp_code)
{
  MlEngineEvent *event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_REPLY, TRUE);
  const guint8 *p = self->output->data + start;
  gsize len = self->output->len - start;
  GString *line = g_string_sized_new (len);

  /* Everything we send ends in CRLF; drop the last one, and make the
   * others "\n". */
  if (len >= 2)
    len -= 2;
  /* Whole spans between CRs: a RETR answer is the message itself, and
   * live mode pays this for every message a client downloads. */
  for (gsize i = 0; i < len;)
    {
      const guint8 *cr = memchr (p + i, '\r', len - i);
      gsize end = cr != NULL ? (gsize) (cr - p) : len;

      g_string_append_len (line, (const char *) p + i, (gssize) (end - i));
      if (cr == NULL)
        break;
      if (!(end + 1 < len && p[end + 1] == '\n'))
        g_string_append_c (line, '\r');   /* a lone CR stays */
      i = end + 1;
    }
  if (g_utf8_validate_len (line->str, line->len, NULL))
    event->line = g_string_free (line, FALSE);
  else
    {
      event->line = g_utf8_make_valid (line->str, (gssize) line->len);
      g_string_free (line, TRUE);
    }
  event->code = 0;
  event->enhanced = g_strdup (resp_code);
  event->explain_key = g_strdup (ok ? "pop3.reply.ok" : "pop3.reply.err");
  _ml_pop3_server_push_event (self, event);
}

void
_ml_pop3_server_challenge (MlPop3Server *self, const char *b64)
{
  guint start = self->output->len;
  MlEngineEvent *event;

  g_byte_array_append (self->output, (const guint8 *) "+ ", 2);
  g_byte_array_append (self->output, (const guint8 *) b64, (guint) strlen (b64));
  g_byte_array_append (self->output, (const guint8 *) "\r\n", 2);
  push_reply_event (self, start, TRUE, NULL);
  event = g_queue_peek_tail (&self->events);
  g_free (event->explain_key);
  event->explain_key = g_strdup ("pop3.reply.challenge");
}

/* A status line: "+OK"/"-ERR" [SP [resp-code SP] text] CRLF, 512 octets at
 * most with the CRLF (RFC 2449 3, 4). Text is printable 7-bit ASCII
 * (schar/CHAR): whatever a peer's echoed argument holds, it stays one line,
 * and the REPLY event (UTF-8) holds the very bytes sent. */
static void
append_status_line (MlPop3Server *self, gboolean ok, const char *resp_code, const char *text)
{
  GString *s = g_string_new (ok ? "+OK" : "-ERR");
  gsize room;

  if (resp_code != NULL || (text != NULL && text[0] != '\0'))
    g_string_append_c (s, ' ');
  if (resp_code != NULL)
    {
      g_string_append_printf (s, "[%s]", resp_code);
      if (text != NULL && text[0] != '\0')
        g_string_append_c (s, ' ');
    }
  if (text != NULL)
    {
      room = ML_POP3_MAX_RESPONSE_LINE - 2;
      for (const char *p = text; *p != '\0' && s->len < room; p++)
        g_string_append_c (s, ((guchar) *p < 0x20 || (guchar) *p >= 0x7F) ? '?' : *p);
    }
  g_byte_array_append (self->output, (const guint8 *) s->str, (guint) s->len);
  g_byte_array_append (self->output, (const guint8 *) "\r\n", 2);
  g_string_free (s, TRUE);
}

static void
respond (MlPop3Server *self, gboolean ok, const char *resp_code, const char *text)
{
  guint start = self->output->len;

  append_status_line (self, ok, resp_code, text);
  push_reply_event (self, start, ok, resp_code);
}

void
_ml_pop3_server_ok (MlPop3Server *self, const char *text)
{
  respond (self, TRUE, NULL, text);
}

void
_ml_pop3_server_okf (MlPop3Server *self, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  respond (self, TRUE, NULL, text);
}

void
_ml_pop3_server_err (MlPop3Server *self, const char *resp_code, const char *text)
{
  respond (self, FALSE, resp_code, text);
}

void
_ml_pop3_server_errf (MlPop3Server *self, const char *resp_code, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  respond (self, FALSE, resp_code, text);
}

void
_ml_pop3_server_multiline (MlPop3Server *self, const char *text, GByteArray *body)
{
  guint start = self->output->len;

  append_status_line (self, TRUE, NULL, text);
  if (body != NULL)
    g_byte_array_append (self->output, body->data, body->len);
  /* RFC 1939 3: the termination octet and CRLF. */
  g_byte_array_append (self->output, (const guint8 *) ".\r\n", 3);
  push_reply_event (self, start, TRUE, NULL);
}

/* ---- the maildrop (RFC 1939 4, 6) ---- */

static void
release_maildrop (MlPop3Server *self)
{
  if (self->locked)
    ml_account_unlock (self->account, self);
  self->locked = FALSE;
  if (self->messages != NULL)
    g_array_set_size (self->messages, 0);
}

static void
clear_message (gpointer data)
{
  MlPop3Message *m = data;

  g_clear_pointer (&m->data, g_bytes_unref);
}

void
_ml_pop3_server_open_maildrop (MlPop3Server *self, MlAccount *account)
{
  MlMailbox *inbox = ml_account_get_inbox (account);
  guint n;
  guint64 total = 0;

  if (inbox == NULL)
    {
      /* RFC 3206 4: a problem on our side, perhaps gone on a retry. */
      _ml_pop3_server_err (self, "SYS/TEMP", "unable to open maildrop");
      return;
    }
  /* RFC 1939 4: an exclusive-access lock, so nothing changes the
   * maildrop's numbering before UPDATE; RFC 2449 8.1.2 says why it failed
   * when another session holds it. */
  if (!ml_account_try_lock (account, self))
    {
      _ml_pop3_server_err (self, "IN-USE", "maildrop already locked");
      return;
    }
  self->account = account;
  self->inbox = inbox;
  self->uidvalidity = ml_mailbox_get_uidvalidity (inbox);
  self->locked = TRUE;

  n = ml_mailbox_get_count (inbox);
  g_array_set_size (self->messages, 0);
  for (guint i = 0; i < n; i++)
    {
      MlMessage *message = ml_mailbox_get_message (inbox, i);
      GBytes *data = ml_message_get_data (message);
      MlPop3Message m = { 0 };

      m.uid = ml_message_get_uid (message);
      m.data = g_bytes_ref (data);
      m.size = ml_pop3_measure (g_bytes_get_data (data, NULL), g_bytes_get_size (data));
      total += m.size;
      g_array_append_val (self->messages, m);
    }

  /* RFC 1939 7 (PASS): "+OK mrose's maildrop has 2 messages (320 octets)". */
  _ml_pop3_server_okf (self, "maildrop has %u message%s (%" G_GUINT64_FORMAT " octets)",
                       n, n == 1 ? "" : "s", total);
  g_clear_pointer (&self->user, g_free);
  _ml_pop3_server_set_state (self, ML_POP3_SERVER_STATE_TRANSACTION);
}

void
_ml_pop3_server_update (MlPop3Server *self)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint left = 0, removed = 0;

  _ml_pop3_server_set_state (self, ML_POP3_SERVER_STATE_UPDATE);

  for (guint i = 0; i < self->messages->len; i++)
    {
      MlPop3Message *m = &g_array_index (self->messages, MlPop3Message, i);

      if (m->deleted)
        g_array_append_val (uids, m->uid);
    }
  /* Only what this session marked (RFC 1939 6: "In no case may the server
   * remove any messages not marked as deleted"), by UID, so a \Deleted
   * flag an IMAP client set and did not expunge stays its business. */
  if (uids->len > 0)
    {
      ml_mail_store_set_actor (self->store, self);
      for (guint i = 0; i < uids->len; i++)
        {
          MlMessage *message = ml_mailbox_find_uid (self->inbox,
                                                    g_array_index (uids, guint32, i));

          if (message != NULL)
            ml_mailbox_set_flags (self->inbox, message,
                                  ml_message_get_flags (message) | ML_FLAG_DELETED);
        }
      removed = ml_mailbox_expunge_uids (self->inbox, (const guint32 *) (gpointer) uids->data,
                                         uids->len);
      ml_mail_store_set_actor (self->store, NULL);
    }
  self->n_removed = removed;
  left = ml_mailbox_get_count (self->inbox);

  if (uids->len > 0)
    push_transaction (self, "pop3.transaction.update",
                      g_strdup_printf ("%u message%s deleted in UPDATE", removed,
                                       removed == 1 ? "" : "s"));

  if (removed < uids->len)
    /* RFC 1939 6: some or none of them may have gone; say so. A message
     * that vanished under us is the store's surprise, not the client's. */
    _ml_pop3_server_errf (self, "SYS/TEMP", "some deleted messages not removed (%u of %u)",
                          uids->len - removed, uids->len);
  else if (left == 0)
    _ml_pop3_server_okf (self, "%s POP3 server signing off (maildrop empty)",
                         self->config.hostname);
  else
    _ml_pop3_server_okf (self, "%s POP3 server signing off (%u message%s left)",
                         self->config.hostname, left, left == 1 ? "" : "s");

  /* Whether or not removal worked, the lock goes and the connection
   * closes (RFC 1939 6). */
  release_maildrop (self);
  _ml_pop3_server_close (self, "QUIT");
}

void
_ml_pop3_server_close (MlPop3Server *self, const char *reason)
{
  MlEngineEvent *event;

  if (self->wants_close)
    return;
  release_maildrop (self);
  ml_line_buffer_clear (self->input);
  if (self->state != ML_POP3_SERVER_STATE_UPDATE)
    _ml_pop3_server_set_state (self, ML_POP3_SERVER_STATE_CLOSED);
  self->wants_close = TRUE;
  event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_CLOSE, FALSE);
  event->explain_key = g_strdup ("pop3.close");
  event->detail = g_strdup (reason);
  _ml_pop3_server_push_event (self, event);
}

/* ---- input ---- */

static void
process_input (MlPop3Server *self)
{
  /* Nothing more is read once STLS was answered: the next octets are the
   * TLS handshake's, and the owner's (RFC 2595 4). */
  while (!self->wants_close && !self->tls_pending)
    {
      const char *line = NULL;
      gsize len = 0;
      MlLineFlags flags = ML_LINE_END_CRLF;
      MlLineStatus status;

      if (ml_line_buffer_available (self->input) == 0)
        break;
      status = ml_line_buffer_next (self->input, &line, &len, &flags);
      if (status == ML_LINE_NEED_MORE)
        break;
      if (status == ML_LINE_TOO_LONG)
        {
          /* RFC 2449 4: 255 octets with the CRLF. Answered once, and the
           * line dropped to its end by the line buffer; what follows is
           * read as the next command (RFC 2449 6.6 keeps the order). */
          if (self->sasl != NULL)
            {
              _ml_pop3_server_auth_abort (self, "response too long");
              continue;
            }
          _ml_pop3_server_errf (self, NULL, "line too long (at most %u octets with CRLF)",
                                ML_POP3_MAX_COMMAND_LINE);
          continue;
        }
      /* A bare LF ends a line too: people type at the lab's console, and
       * a command cannot smuggle anything the way an SMTP body can. A NUL
       * or a lone CR is refused by the command parser. */
      if (self->sasl != NULL)
        _ml_pop3_server_auth_line (self, line, len);
      else
        _ml_pop3_server_dispatch (self, line, len);
    }
}

/* ---- public API ---- */

MlPop3Server *
ml_pop3_server_new (MlMailStore *store, const MlPop3ServerConfig *config)
{
  MlPop3Server *self;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);

  self = g_new0 (MlPop3Server, 1);
  self->config = *config;
  self->config.hostname = g_strdup (config->hostname ? config->hostname : "localhost");
  self->config.implementation = g_strdup (config->implementation);
  self->store = store;
  self->state = ML_POP3_SERVER_STATE_INIT;
  self->tls_active = config->implicit_tls;
  self->input = ml_line_buffer_new (ML_POP3_MAX_COMMAND_LINE);
  self->output = g_byte_array_sized_new (512);
  g_queue_init (&self->events);
  self->messages = g_array_new (FALSE, TRUE, sizeof (MlPop3Message));
  g_array_set_clear_func (self->messages, clear_message);
  return self;
}

void
ml_pop3_server_free (MlPop3Server *self)
{
  if (self == NULL)
    return;
  /* An owner that frees without saying the connection is gone: the same
   * as a lost connection, nothing deleted, the lock released. */
  release_maildrop (self);
  g_clear_pointer (&self->sasl, ml_sasl_server_free);
  g_array_unref (self->messages);
  g_queue_clear_full (&self->events, ml_engine_event_free);
  g_byte_array_unref (self->output);
  ml_line_buffer_free (self->input);
  g_free (self->timestamp);
  g_free (self->user);
  g_free ((char *) self->config.hostname);
  g_free ((char *) self->config.implementation);
  g_free (self);
}

void
ml_pop3_server_set_now (MlPop3Server *self, gint64 unix_usec)
{
  g_return_if_fail (self != NULL);
  self->now_usec = unix_usec;
}

void
ml_pop3_server_start (MlPop3Server *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->state == ML_POP3_SERVER_STATE_INIT);

  if (self->config.offer_apop)
    {
      /* RFC 1939 7: <process-ID.clock@hostname>, different in every
       * greeting; both numbers come from the owner, so a simulation run
       * twice greets the same way. */
      self->timestamp = g_strdup_printf ("<%" G_GUINT64_FORMAT ".%" G_GINT64_FORMAT "@%s>",
                                         self->config.session_id, self->now_usec,
                                         self->config.hostname);
      _ml_pop3_server_okf (self, "%s POP3 server ready %s",
                           self->config.hostname, self->timestamp);
    }
  else
    _ml_pop3_server_okf (self, "%s POP3 server ready", self->config.hostname);
  _ml_pop3_server_set_state (self, ML_POP3_SERVER_STATE_AUTHORIZATION);
  process_input (self);
}

gsize
ml_pop3_server_feed (MlPop3Server *self, const guint8 *data, gsize len)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (data != NULL || len == 0, 0);

  if (self->wants_close)
    return 0;
  if (self->tls_pending)
    {
      MlEngineEvent *event;

      /* Between STLS's "+OK" and the handshake only the handshake may
       * come: anything else arrived in clear and is not taken as a
       * command (RFC 2595 4; RFC 3207 4.2's injection). */
      if (len == 0)
        return 0;
      event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);
      event->explain_key = g_strdup ("pop3.tls.discarded");
      event->detail = g_strdup_printf ("%" G_GSIZE_FORMAT " octet%s received in clear before "
                                       "the TLS handshake discarded", len, len == 1 ? "" : "s");
      _ml_pop3_server_push_event (self, event);
      return len;
    }
  if (len > 0)
    ml_line_buffer_push (self->input, data, len);
  if (self->state != ML_POP3_SERVER_STATE_INIT)
    process_input (self);
  return len;
}

gboolean
ml_pop3_server_next_event (MlPop3Server *self, MlEngineEvent *event_out)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (event_out != NULL, FALSE);

  return ml_engine_event_queue_pop (&self->events, event_out);
}

GBytes *
ml_pop3_server_take_output (MlPop3Server *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return ml_engine_take_bytes (&self->output);
}

gboolean
ml_pop3_server_wants_close (MlPop3Server *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->wants_close;
}

void
ml_pop3_server_connection_lost (MlPop3Server *self)
{
  guint marked = 0;

  g_return_if_fail (self != NULL);

  if (self->wants_close)
    return;
  for (guint i = 0; i < self->messages->len; i++)
    if (g_array_index (self->messages, MlPop3Message, i).deleted)
      marked++;
  /* RFC 1939 6: no QUIT, no UPDATE, nothing removed. Worth a note when
   * the client had marked some: it is the lesson's point. */
  if (marked > 0)
    push_transaction (self, "pop3.transaction.kept",
                      g_strdup_printf ("connection lost before QUIT: %u message%s marked "
                                       "for deletion kept", marked, marked == 1 ? "" : "s"));
  _ml_pop3_server_close (self, "connection lost");
}

void
ml_pop3_server_tls_started (MlPop3Server *self)
{
  MlEngineEvent *event;

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->tls_pending);

  self->tls_pending = FALSE;
  self->tls_active = TRUE;
  /* RFC 2595 4: the server forgets what it learnt from the client before
   * TLS; the client's CAPA after it sees STLS gone and the plaintext
   * logins that were hidden. */
  ml_line_buffer_clear (self->input);
  g_clear_pointer (&self->user, g_free);
  event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);
  event->explain_key = g_strdup ("pop3.tls.active");
  event->detail = g_strdup ("TLS active");
  _ml_pop3_server_push_event (self, event);
  process_input (self);
}

gboolean
ml_pop3_server_is_tls (MlPop3Server *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->tls_active;
}

guint
ml_pop3_server_take_delay_ms (MlPop3Server *self)
{
  guint delay;

  g_return_val_if_fail (self != NULL, 0);
  delay = self->delay_ms;
  self->delay_ms = 0;
  return delay;
}

guint
ml_pop3_server_get_n_auth_failures (MlPop3Server *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->auth_failures;
}

MlPop3ServerState
ml_pop3_server_get_state (MlPop3Server *self)
{
  g_return_val_if_fail (self != NULL, ML_POP3_SERVER_STATE_CLOSED);
  return self->state;
}

const char *
ml_pop3_server_state_to_string (MlPop3ServerState state)
{
  g_return_val_if_fail (state <= ML_POP3_SERVER_STATE_CLOSED, "unknown");
  return state_names[state];
}

const char *
ml_pop3_server_get_state_name (MlPop3Server *self)
{
  g_return_val_if_fail (self != NULL, "unknown");
  return state_names[self->state];
}

const char *
ml_pop3_server_get_timestamp (MlPop3Server *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->timestamp;
}

MlAccount *
ml_pop3_server_get_account (MlPop3Server *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->state == ML_POP3_SERVER_STATE_AUTHORIZATION ? NULL : self->account;
}

guint
ml_pop3_server_get_n_removed (MlPop3Server *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_removed;
}

/* smtp-dissector.c — a recorded SMTP conversation read back into lines.
 *
 * The server's side goes through the client engine's own reply parser
 * (smtp-reply.h); the client's side is read as the server reads it: lines
 * (RFC 5321 2.3.8), then DATA content up to CRLF.CRLF (4.1.1.4), or BDAT
 * chunks of a stated size (RFC 3030 2). Replies pair with the commands in
 * the order sent, which is what pipelining keeps (RFC 2920 3.1): a queue.
 * Whether the client's next bytes are commands, content or a SASL answer
 * depends on a reply it has not seen yet (354, 334, 220 to STARTTLS), so
 * its bytes wait for that reply when they must.
 */
#define G_LOG_DOMAIN "ml-capture"

#include "capture/capture-private.h"
#include "proto/line-buffer.h"
#include "proto/smtp-reply.h"

#include <string.h>

/* A line of message content. RFC 5321 4.5.3.1.6 says 1000 octets with
 * CRLF; mail in the wild breaks it, so lines are kept up to this. */
#define ML_SMTP_DISSECT_MAX_TEXT_LINE  (64 * 1024)

typedef enum {
  CLIENT_COMMAND = 0,
  CLIENT_WAIT,     /* the next bytes' meaning hangs on a reply */
  CLIENT_CONTENT,  /* DATA after 354 */
  CLIENT_CHUNK,    /* BDAT's octets */
  CLIENT_SASL,     /* an answer to a 334 challenge (RFC 4954 4) */
} ClientMode;

typedef enum {
  PENDING_OTHER = 0,
  PENDING_DATA,
  PENDING_CONTENT_END,
  PENDING_STARTTLS,
  PENDING_AUTH,
  PENDING_BDAT,
  PENDING_HELLO,   /* EHLO, HELO */
  PENDING_MAIL,
  PENDING_RCPT,
  PENDING_RSET,
  PENDING_QUIT,
} PendingKind;

typedef struct {
  MlCaptureDissector  base;
  MlLineBuffer       *client;
  MlSmtpReplyParser  *server;
  ClientMode          mode;
  GQueue              pending;           /* PendingKind as pointers */
  GByteArray         *content;           /* the message as on the wire, stuffed */
  gboolean            content_cut;       /* over ML_CAPTURE_MAX_MESSAGE or a gap */
  guint64             chunk_left;
  gboolean            chunk_last;
  guint               chunks;
  GByteArray         *chunk;             /* the BDAT chunk being read */
  GByteArray         *bdat_message;      /* the chunks so far */
  /* SASL PLAIN / LOGIN in clear */
  MlCaptureSasl       sasl;
  const char         *state;             /* the server's, as the engine names it */
} SmtpDissector;

static const char *const known_verbs[] = {
  "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "EXPN",
  "HELP", "SEND", "SOML", "SAML", "TURN", "ETRN", "ATRN", "BDAT", "STARTTLS", "AUTH",
};

static void client_pump (SmtpDissector *self);

static void
push_pending (SmtpDissector *self, PendingKind kind)
{
  if (self->pending.length < ML_CAPTURE_MAX_PENDING_COMMANDS)
    g_queue_push_tail (&self->pending, GINT_TO_POINTER (kind));
}

static void
handle_command (SmtpDissector *self, const char *line, gsize len)
{
  MlCaptureEmitter *em = self->base.em;
  const char *sp = memchr (line, ' ', len);
  g_autofree char *verb = g_ascii_strup (line, sp ? (gssize) (sp - line) : (gssize) len);
  const char *args = sp ? sp + 1 : NULL;
  g_autofree char *key = NULL;
  gboolean known = FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (known_verbs); i++)
    if (strcmp (verb, known_verbs[i]) == 0)
      known = TRUE;
  key = known ? g_strdup_printf ("smtp.%s", verb) : g_strdup ("smtp.unknown");
  for (char *k = key; *k; k++)
    *k = g_ascii_tolower (*k);
  ml_capture_emit_command (em, line, verb, args && *args ? args : NULL, key,
                           strcmp (verb, "AUTH") == 0 ? "credential" : NULL);

  if (strcmp (verb, "DATA") == 0)
    {
      push_pending (self, PENDING_DATA);
      self->mode = CLIENT_WAIT;
    }
  else if (strcmp (verb, "STARTTLS") == 0)
    {
      push_pending (self, PENDING_STARTTLS);
      self->mode = CLIENT_WAIT;
    }
  else if (strcmp (verb, "AUTH") == 0)
    {
      g_auto(GStrv) words = g_strsplit (args ? args : "", " ", 3);
      ml_capture_sasl_start (&self->sasl, words[0]);
      /* RFC 4954 4: an initial response after the mechanism. */
      if (words[0] && words[1])
        ml_capture_sasl_answer (&self->sasl, em, "AUTH", words[1]);
      push_pending (self, PENDING_AUTH);
      self->mode = CLIENT_WAIT;
    }
  else if (strcmp (verb, "BDAT") == 0)
    {
      g_auto(GStrv) words = g_strsplit (args ? args : "", " ", 3);
      guint64 size = 0;
      /* RFC 3030 2: "BDAT" SP chunk-size [SP end-marker]; the octets
       * follow at once, without waiting for a reply. */
      if (words[0] && g_ascii_string_to_unsigned (words[0], 10, 0, G_MAXUINT64, &size, NULL))
        {
          self->chunk_left = size;
          self->chunk_last = words[1] && g_ascii_strcasecmp (words[1], "LAST") == 0;
          self->mode = size > 0 ? CLIENT_CHUNK : CLIENT_COMMAND;
          if (self->bdat_message == NULL)
            self->bdat_message = g_byte_array_new ();
          if (size == 0 && self->chunk_last)
            {
              g_autoptr(GByteArray) msg = g_steal_pointer (&self->bdat_message);
              g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes (g_steal_pointer (&msg));
              ml_capture_emit_message (em, bytes);
            }
        }
      push_pending (self, PENDING_BDAT);
    }
  else if (strcmp (verb, "EHLO") == 0 || strcmp (verb, "HELO") == 0)
    push_pending (self, PENDING_HELLO);
  else if (strcmp (verb, "MAIL") == 0)
    push_pending (self, PENDING_MAIL);
  else if (strcmp (verb, "RCPT") == 0)
    push_pending (self, PENDING_RCPT);
  else if (strcmp (verb, "RSET") == 0)
    push_pending (self, PENDING_RSET);
  else if (strcmp (verb, "QUIT") == 0)
    push_pending (self, PENDING_QUIT);
  else
    push_pending (self, PENDING_OTHER);
}

/* The server's state as the simulation's engine records it (RFC 5321 3:
 * greeting, then a session, then mail transactions). */
static void
set_state (SmtpDissector *self, const char *to)
{
  g_autofree char *key = NULL;

  if (g_strcmp0 (self->state, to) == 0)
    return;
  key = g_strdup_printf ("smtp.state.%s", to);
  ml_capture_emit_state (self->base.em, self->state, to, key);
  self->state = to;
}

static void
end_content (SmtpDissector *self)
{
  MlCaptureEmitter *em = self->base.em;
  GByteArray *msg = g_byte_array_sized_new (self->content->len);
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *p = self->content->data, *end = p + self->content->len;

  /* RFC 5321 4.5.2: a line starting with "." had one more added. */
  while (p < end)
    {
      const guint8 *lf = memchr (p, '\n', (gsize) (end - p));
      const guint8 *next = lf ? lf + 1 : end;
      if (*p == '.')
        p++;
      g_byte_array_append (msg, p, (guint) (next - p));
      p = next;
    }
  if (em->emit)
    {
      /* As the simulation shows it: the lines, then the final ".". */
      g_autofree char *text = ml_capture_dup_text (self->content->data, self->content->len);
      g_autofree char *shown = g_strconcat (text, ".", NULL);
      g_autofree char *detail = g_strdup_printf ("%u octets%s", msg->len,
                                                 self->content_cut ? ", not all of it captured" : "");
      ml_capture_emit_line (em, ML_DIR_CLIENT_TO_SERVER, shown, NULL, NULL,
                            "smtp.data.content", detail);
    }
  bytes = g_byte_array_free_to_bytes (msg);
  if (!self->content_cut)
    ml_capture_emit_message (em, bytes);
  g_byte_array_set_size (self->content, 0);
  self->content_cut = FALSE;
  push_pending (self, PENDING_CONTENT_END);
  self->mode = CLIENT_COMMAND;
  ml_line_buffer_set_max (self->client, ML_CAPTURE_MAX_COMMAND_LINE);
}

static void
take_chunk (SmtpDissector *self)
{
  MlCaptureEmitter *em = self->base.em;
  gsize avail = ml_line_buffer_available (self->client);
  gsize n = (gsize) MIN ((guint64) avail, self->chunk_left);
  g_autoptr(GByteArray) piece = g_byte_array_new ();

  if (n == 0)
    return;
  ml_line_buffer_take (self->client, n, piece);
  self->chunk_left -= piece->len;
  if (self->chunk->len + piece->len <= ML_CAPTURE_MAX_MESSAGE)
    g_byte_array_append (self->chunk, piece->data, piece->len);
  else
    self->content_cut = TRUE;
  if (self->chunk_left > 0)
    return;

  /* RFC 3030 2: the chunk is exactly its octets, no stuffing, no ".". */
  self->chunks++;
  {
    g_autofree char *text = ml_capture_dup_text (self->chunk->data, self->chunk->len);
    g_autofree char *detail = g_strdup_printf ("%u octets, chunk %u%s", self->chunk->len,
                                               self->chunks, self->chunk_last ? ", the last" : "");
    ml_capture_emit_line (em, ML_DIR_CLIENT_TO_SERVER, text, NULL, NULL, "smtp.bdat", detail);
  }
  if (self->bdat_message && self->bdat_message->len + self->chunk->len <= ML_CAPTURE_MAX_MESSAGE)
    g_byte_array_append (self->bdat_message, self->chunk->data, self->chunk->len);
  g_byte_array_set_size (self->chunk, 0);
  self->mode = CLIENT_COMMAND;
  if (self->chunk_last)
    {
      if (self->bdat_message && !self->content_cut)
        {
          g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->bdat_message));
          ml_capture_emit_message (em, bytes);
        }
      g_clear_pointer (&self->bdat_message, g_byte_array_unref);
      self->content_cut = FALSE;
      self->chunks = 0;
    }
}

static void
client_pump (SmtpDissector *self)
{
  const char *line;
  gsize len;
  MlLineFlags flags;

  for (;;)
    {
      MlLineStatus st;

      if (self->base.em->encrypted)
        return;
      if (self->mode == CLIENT_WAIT)
        return;
      if (self->mode == CLIENT_CHUNK)
        {
          take_chunk (self);
          if (self->mode == CLIENT_CHUNK)
            return;
          continue;
        }
      st = ml_line_buffer_next (self->client, &line, &len, &flags);
      if (st == ML_LINE_NEED_MORE)
        return;
      if (st == ML_LINE_TOO_LONG)
        {
          ml_capture_emit_malformed (self->base.em, ML_DIR_CLIENT_TO_SERVER,
                                     "capture.malformed", "a client line too long to read was skipped");
          if (self->mode == CLIENT_CONTENT)
            self->content_cut = TRUE;
          continue;
        }
      switch (self->mode)
        {
        case CLIENT_CONTENT:
          /* RFC 5321 4.1.1.4: CRLF "." CRLF ends the content. */
          if (len == 1 && line[0] == '.')
            end_content (self);
          else if (self->content->len + len + 2 > ML_CAPTURE_MAX_MESSAGE)
            self->content_cut = TRUE;
          else
            {
              g_byte_array_append (self->content, (const guint8 *) line, (guint) len);
              g_byte_array_append (self->content, (const guint8 *) "\r\n", 2);
            }
          break;
        case CLIENT_SASL:
          /* RFC 4954 4: "*" cancels the exchange. */
          ml_capture_emit_line (self->base.em, ML_DIR_CLIENT_TO_SERVER, line, NULL, NULL,
                                "smtp.auth", "credential");
          if (strcmp (line, "*") != 0)
            ml_capture_sasl_answer (&self->sasl, self->base.em, "AUTH", line);
          push_pending (self, PENDING_AUTH);
          self->mode = CLIENT_WAIT;
          break;
        case CLIENT_COMMAND:
        default:
          if (len > 0)
            handle_command (self, line, len);
          break;
        }
    }
}

static void
handle_reply (SmtpDissector *self, MlSmtpReply *reply)
{
  MlCaptureEmitter *em = self->base.em;
  g_autofree char *key = g_strdup_printf ("smtp.reply.%03u", reply->code);
  guint klass = ml_smtp_reply_get_class (reply);
  PendingKind kind = PENDING_OTHER;

  if (self->pending.length > 0)
    kind = GPOINTER_TO_INT (g_queue_pop_head (&self->pending));
  ml_capture_emit_reply (em, reply->raw, reply->code, NULL, NULL, key, reply->enhanced, klass);

  if (klass == 2 || reply->code == 354)
    switch (kind)
      {
      case PENDING_OTHER:
        if (reply->code == 220 && g_strcmp0 (self->state, "init") == 0)
          set_state (self, "greeting");
        break;
      case PENDING_HELLO:
      case PENDING_RSET:
      case PENDING_CONTENT_END:
        set_state (self, "ready");
        break;
      case PENDING_MAIL:
        set_state (self, "mail");
        break;
      case PENDING_RCPT:
        set_state (self, "rcpt");
        break;
      case PENDING_DATA:
        set_state (self, "data");
        break;
      case PENDING_QUIT:
        set_state (self, "quit");
        break;
      default:
        break;
      }

  switch (kind)
    {
    case PENDING_DATA:
      if (reply->code == 354)
        {
          /* RFC 5321 4.1.1.4: content follows, lines of up to 1000. */
          self->mode = CLIENT_CONTENT;
          ml_line_buffer_set_max (self->client, ML_SMTP_DISSECT_MAX_TEXT_LINE);
        }
      else
        self->mode = CLIENT_COMMAND;
      break;
    case PENDING_STARTTLS:
      if (klass == 2)
        /* RFC 3207 4.2: after 220 both sides start the TLS handshake. */
        ml_capture_emit_tls (em, "STARTTLS accepted (RFC 3207 4.2): what follows is "
                                 "the TLS handshake and encrypted records.");
      else
        self->mode = CLIENT_COMMAND;
      break;
    case PENDING_AUTH:
      /* RFC 4954 4: 334 asks for the next SASL answer; anything else ends
       * the exchange. */
      self->mode = reply->code == 334 ? CLIENT_SASL : CLIENT_COMMAND;
      break;
    case PENDING_CONTENT_END:
    case PENDING_BDAT:
    case PENDING_OTHER:
    default:
      break;
    }
  client_pump (self);
}

static void
server_pump (SmtpDissector *self)
{
  for (;;)
    {
      g_autoptr(MlSmtpReply) reply = NULL;
      g_autoptr(GError) error = NULL;
      MlSmtpReplyStatus st;

      if (self->base.em->encrypted)
        return;
      st = ml_smtp_reply_parser_next (self->server, &reply, &error);
      if (st == ML_SMTP_REPLY_NEED_MORE)
        return;
      if (st == ML_SMTP_REPLY_ERROR)
        {
          ml_capture_emit_malformed (self->base.em, ML_DIR_SERVER_TO_CLIENT,
                                     "smtp.client.malformed-reply", error->message);
          continue;
        }
      handle_reply (self, reply);
    }
}

static void
smtp_feed (MlCaptureDissector *base, MlDirection dir, const guint8 *data, gsize len)
{
  SmtpDissector *self = (SmtpDissector *) base;
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
      ml_smtp_reply_parser_push (self->server, data, len);
      server_pump (self);
    }
  /* TLS started inside this chunk: what is left is ciphertext. */
  if (base->em->encrypted)
    {
      if (dir == ML_DIR_CLIENT_TO_SERVER)
        ml_capture_count_tls (base->em, ml_line_buffer_available (self->client));
      ml_line_buffer_clear (self->client);
      ml_smtp_reply_parser_reset (self->server);
    }
}

static void
smtp_gap (MlCaptureDissector *base, MlDirection dir, guint64 len)
{
  SmtpDissector *self = (SmtpDissector *) base;

  if (base->em->encrypted)
    return;
  if (dir == ML_DIR_CLIENT_TO_SERVER)
    {
      if (self->mode == CLIENT_CHUNK)
        {
          /* The chunk's size is known: the hole is inside it, or past it. */
          if (len < self->chunk_left)
            {
              self->chunk_left -= len;
              self->content_cut = TRUE;
              return;
            }
          gboolean past = len > self->chunk_left;
          self->chunk_left = 0;
          self->mode = CLIENT_COMMAND;
          self->chunks = 0;
          self->content_cut = FALSE;
          g_byte_array_set_size (self->chunk, 0);
          g_clear_pointer (&self->bdat_message, g_byte_array_unref);
          if (!past)
            return;
        }
      ml_line_buffer_clear (self->client);
      if (self->mode == CLIENT_CONTENT)
        self->content_cut = TRUE;
    }
  else
    ml_smtp_reply_parser_reset (self->server);
}

static void
smtp_finish (MlCaptureDissector *base)
{
  SmtpDissector *self = (SmtpDissector *) base;

  if (!base->em->encrypted && self->mode == CLIENT_CONTENT && self->content->len > 0)
    ml_capture_emit_note (base->em, ML_DIR_CLIENT_TO_SERVER, "capture.flow.end",
                          "the message content was never finished with \".\"", NULL);
}

static void
smtp_free (MlCaptureDissector *base)
{
  SmtpDissector *self = (SmtpDissector *) base;

  ml_line_buffer_free (self->client);
  ml_smtp_reply_parser_free (self->server);
  g_queue_clear (&self->pending);
  g_byte_array_unref (self->content);
  g_byte_array_unref (self->chunk);
  if (self->bdat_message)
    g_byte_array_unref (self->bdat_message);
  ml_capture_sasl_clear (&self->sasl);
  g_free (self);
}

MlCaptureDissector *
ml_smtp_dissector_new (MlCaptureEmitter *em, gboolean implicit_tls)
{
  SmtpDissector *self = g_new0 (SmtpDissector, 1);

  self->base.feed = smtp_feed;
  self->base.gap = smtp_gap;
  self->base.finish = smtp_finish;
  self->base.free = smtp_free;
  self->base.em = em;
  self->client = ml_line_buffer_new (ML_CAPTURE_MAX_COMMAND_LINE);
  self->server = ml_smtp_reply_parser_new ();
  self->content = g_byte_array_new ();
  self->chunk = g_byte_array_new ();
  self->state = "init";
  g_queue_init (&self->pending);
  if (implicit_tls)
    ml_capture_emit_tls (em, "Implicit TLS (RFC 8314 3.3): the connection is "
                             "encrypted from its first byte.");
  return &self->base;
}

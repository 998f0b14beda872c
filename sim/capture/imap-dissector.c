/* imap-dissector.c — a recorded IMAP conversation read back into lines.
 *
 * The server's side goes through the client engine's response parser
 * (imap-response.h: tagged, untagged, "+", literals). The client's side is
 * read as commands: a line, and when it ends in a literal's announcement
 * ({n} or {n+}, RFC 3501 4.3, RFC 7888 3) that many octets, then the rest
 * of the command on the next line. Tagged completions pair with their
 * command by tag (RFC 3501 2.2.1), as Wireshark's packet-imap.c does.
 * AUTHENTICATE's answers (RFC 3501 6.2.2) and IDLE's DONE (RFC 2177 3) are
 * client lines that are no commands.
 */
#define G_LOG_DOMAIN "ml-capture"

#include "capture/capture-private.h"
#include "proto/line-buffer.h"
#include "proto/imap-response.h"

#include <string.h>

typedef enum {
  CLIENT_COMMAND = 0,
  CLIENT_LITERAL,  /* reading a literal's octets */
  CLIENT_WAIT,     /* STARTTLS or a SASL answer sent: the reply decides */
  CLIENT_SASL,     /* the next line answers a "+" challenge */
} ClientMode;

typedef struct {
  MlCaptureDissector    base;
  MlLineBuffer         *client;
  MlImapResponseParser *server;
  ClientMode            mode;
  GString              *command;      /* the command read so far, as text */
  GByteArray           *literal;      /* the last literal's octets (APPEND) */
  guint64               literal_left;
  gboolean              command_cut;  /* over ML_CAPTURE_MAX_MESSAGE */
  GHashTable           *pending;      /* tag → upper-cased verb */
  char                 *sasl_tag;     /* AUTHENTICATE in progress */
  MlCaptureSasl         sasl;
  char                 *starttls_tag;
  gboolean              idling;
  gboolean              greeted;
  const char           *state;
} ImapDissector;

static const char *const known_verbs[] = {
  "CAPABILITY", "NOOP", "LOGOUT", "ID", "STARTTLS", "AUTHENTICATE", "LOGIN", "SELECT",
  "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB",
  "STATUS", "APPEND", "NAMESPACE", "GETQUOTA", "GETQUOTAROOT", "SETQUOTA", "IDLE",
  "ENABLE", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY",
  "MOVE", "UID FETCH", "UID STORE", "UID COPY", "UID MOVE", "UID SEARCH", "UID EXPUNGE",
};

static void
set_state (ImapDissector *self, const char *to)
{
  g_autofree char *key = NULL;

  if (g_strcmp0 (self->state, to) == 0)
    return;
  key = g_strdup_printf ("imap.state.%s", to);
  ml_capture_emit_state (self->base.em, self->state, to, key);
  self->state = to;
}

/* One astring (RFC 3501 9) at *p in the command text, where a literal
 * reads "{n}\n" then its octets. Caller frees. */
static char *
next_astring (const char **pp)
{
  const char *p = *pp;
  GString *out = g_string_new (NULL);

  while (*p == ' ')
    p++;
  if (*p == '"')
    {
      for (p++; *p && *p != '"'; p++)
        {
          if (*p == '\\' && p[1])
            p++;
          g_string_append_c (out, *p);
        }
      if (*p == '"')
        p++;
    }
  else if (*p == '{')
    {
      char *end = NULL;
      guint64 n = g_ascii_strtoull (p + 1, &end, 10);
      if (end && *end == '+')
        end++;
      if (end && *end == '}' && end[1] == '\n')
        {
          p = end + 2;
          for (guint64 i = 0; i < n && *p; i++, p++)
            g_string_append_c (out, *p);
        }
    }
  else
    while (*p && *p != ' ')
      g_string_append_c (out, *p++);
  *pp = p;
  return g_string_free (out, FALSE);
}

static void
handle_command (ImapDissector *self)
{
  MlCaptureEmitter *em = self->base.em;
  const char *text = self->command->str;
  const char *sp = strchr (text, ' ');
  g_autofree char *tag = NULL;
  g_autofree char *verb = NULL;
  g_autofree char *key = NULL;
  const char *rest, *args = NULL;
  gboolean known = FALSE;

  /* RFC 2177 3: "DONE" ends IDLE; it carries no tag. */
  if (self->idling && g_ascii_strcasecmp (text, "DONE") == 0)
    {
      self->idling = FALSE;
      ml_capture_emit_command (em, text, "DONE", NULL, "imap.done", NULL);
      return;
    }
  if (sp == NULL)
    {
      ml_capture_emit_command (em, text, NULL, NULL, "imap.unknown", NULL);
      return;
    }
  tag = g_strndup (text, (gsize) (sp - text));
  rest = sp + 1;
  sp = strchr (rest, ' ');
  verb = g_ascii_strup (rest, sp ? (gssize) (sp - rest) : -1);
  args = sp ? sp + 1 : NULL;
  if (strcmp (verb, "UID") == 0 && args)
    {
      const char *sp2 = strchr (args, ' ');
      g_autofree char *sub = g_ascii_strup (args, sp2 ? (gssize) (sp2 - args) : -1);
      g_free (verb);
      verb = g_strconcat ("UID ", sub, NULL);
      args = sp2 ? sp2 + 1 : NULL;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (known_verbs); i++)
    if (strcmp (verb, known_verbs[i]) == 0)
      known = TRUE;
  if (known)
    {
      key = g_ascii_strdown (verb, -1);
      for (char *k = key; *k; k++)
        if (*k == ' ')
          *k = '.';
      {
        char *full = g_strconcat ("imap.", key, NULL);
        g_free (key);
        key = full;
      }
    }
  else
    key = g_strdup ("imap.unknown");
  /* As the server engine records it (the LOGIN line carries no
   * "credential" mark there; the credentials note says it instead). */
  ml_capture_emit_command (em, text, verb, args && *args ? args : NULL, key,
                           strcmp (verb, "AUTHENTICATE") == 0 ? "credential" : NULL);
  if (g_hash_table_size (self->pending) < ML_CAPTURE_MAX_PENDING_COMMANDS)
    g_hash_table_replace (self->pending, g_strdup (tag), g_strdup (verb));

  if (strcmp (verb, "LOGIN") == 0 && args)
    {
      /* RFC 3501 6.2.3: user name and password in clear. */
      const char *p = args;
      g_autofree char *user = next_astring (&p);
      g_autofree char *pass = next_astring (&p);
      ml_capture_emit_credentials (em, "LOGIN", user, pass);
    }
  else if (strcmp (verb, "AUTHENTICATE") == 0 && args)
    {
      g_auto(GStrv) words = g_strsplit (args, " ", 3);
      g_free (self->sasl_tag);
      self->sasl_tag = g_strdup (tag);
      ml_capture_sasl_start (&self->sasl, words[0]);
      /* RFC 4959 3: SASL-IR's initial response. */
      if (words[0] && words[1])
        ml_capture_sasl_answer (&self->sasl, em, "AUTHENTICATE", words[1]);
      self->mode = CLIENT_WAIT;
    }
  else if (strcmp (verb, "STARTTLS") == 0)
    {
      g_free (self->starttls_tag);
      self->starttls_tag = g_strdup (tag);
      self->mode = CLIENT_WAIT;
    }
  else if (strcmp (verb, "IDLE") == 0)
    self->idling = TRUE;
  else if (strcmp (verb, "APPEND") == 0 && self->literal->len > 0 && !self->command_cut)
    {
      g_autoptr(GBytes) msg = g_bytes_new (self->literal->data, self->literal->len);
      ml_capture_emit_message (em, msg);
    }
}

/* A literal announced at the end of the line: {n} or {n+} (RFC 7888 3),
 * or ~{n} for BINARY (RFC 3516 4.1). */
static gboolean
line_literal (const char *line, gsize len, guint64 *size_out)
{
  gsize i;

  if (len < 3 || line[len - 1] != '}')
    return FALSE;
  i = len - 2;
  if (line[i] == '+')
    i--;
  if (!g_ascii_isdigit (line[i]))
    return FALSE;
  while (i > 0 && g_ascii_isdigit (line[i - 1]))
    i--;
  if (i == 0 || line[i - 1] != '{')
    return FALSE;
  *size_out = g_ascii_strtoull (line + i, NULL, 10);
  return TRUE;
}

static void
client_pump (ImapDissector *self)
{
  const char *line;
  gsize len;
  MlLineFlags flags;

  while (!self->base.em->encrypted && self->mode != CLIENT_WAIT)
    {
      MlLineStatus st;
      guint64 size = 0;

      if (self->mode == CLIENT_LITERAL)
        {
          g_autoptr(GByteArray) piece = g_byte_array_new ();
          gsize n = (gsize) MIN ((guint64) ml_line_buffer_available (self->client),
                                 self->literal_left);
          if (n == 0)
            return;
          ml_line_buffer_take (self->client, n, piece);
          self->literal_left -= piece->len;
          if (self->literal->len + piece->len <= ML_CAPTURE_MAX_MESSAGE)
            {
              g_autofree char *text = ml_capture_dup_text (piece->data, piece->len);
              g_byte_array_append (self->literal, piece->data, piece->len);
              g_string_append (self->command, text);
            }
          else
            self->command_cut = TRUE;
          if (self->literal_left == 0)
            self->mode = CLIENT_COMMAND;
          continue;
        }
      st = ml_line_buffer_next (self->client, &line, &len, &flags);
      if (st == ML_LINE_NEED_MORE)
        return;
      if (st == ML_LINE_TOO_LONG)
        {
          ml_capture_emit_malformed (self->base.em, ML_DIR_CLIENT_TO_SERVER,
                                     "capture.malformed", "a client line too long to read was skipped");
          g_string_truncate (self->command, 0);
          continue;
        }
      if (self->mode == CLIENT_SASL)
        {
          ml_capture_emit_line (self->base.em, ML_DIR_CLIENT_TO_SERVER, line, NULL, NULL,
                                "imap.authenticate.response", "credential");
          /* RFC 3501 6.2.2: "*" cancels. */
          if (strcmp (line, "*") != 0)
            ml_capture_sasl_answer (&self->sasl, self->base.em, "AUTHENTICATE", line);
          self->mode = CLIENT_WAIT;
          continue;
        }
      if (self->command->len == 0)
        g_byte_array_set_size (self->literal, 0);
      g_string_append_len (self->command, line, (gssize) len);
      if (line_literal (line, len, &size) && size > 0)
        {
          g_string_append_c (self->command, '\n');
          g_byte_array_set_size (self->literal, 0);
          self->literal_left = size;
          self->mode = CLIENT_LITERAL;
          continue;
        }
      if (self->command->len > 0)
        handle_command (self);
      g_string_truncate (self->command, 0);
      self->command_cut = FALSE;
    }
}

static guint
status_class (MlImapStatus status)
{
  switch (status)
    {
    case ML_IMAP_STATUS_OK: return 2;
    case ML_IMAP_STATUS_NO: return 4;
    case ML_IMAP_STATUS_BAD: return 5;
    default: return 0;
    }
}

static void
handle_tagged (ImapDissector *self, MlImapResponse *r)
{
  g_autofree char *verb = NULL;
  g_autofree char *tag = NULL;

  g_hash_table_steal_extended (self->pending, r->tag, (gpointer *) &tag, (gpointer *) &verb);
  if (verb == NULL)
    return;
  if (self->sasl_tag && strcmp (r->tag, self->sasl_tag) == 0)
    {
      g_clear_pointer (&self->sasl_tag, g_free);
      self->mode = CLIENT_COMMAND;
    }
  if (self->starttls_tag && strcmp (r->tag, self->starttls_tag) == 0)
    {
      g_clear_pointer (&self->starttls_tag, g_free);
      if (r->status == ML_IMAP_STATUS_OK)
        /* RFC 3501 6.2.1: the TLS negotiation begins after the OK. */
        ml_capture_emit_tls (self->base.em, "STARTTLS accepted (RFC 3501 6.2.1): what "
                                            "follows is the TLS handshake and encrypted records.");
      self->mode = CLIENT_COMMAND;
    }
  if (strcmp (verb, "IDLE") == 0)
    self->idling = FALSE;
  /* RFC 3501 6.3.1: SELECT in the selected state first closes the
   * mailbox selected; if it fails, the session stays authenticated. */
  if ((strcmp (verb, "SELECT") == 0 || strcmp (verb, "EXAMINE") == 0)
      && r->status != ML_IMAP_STATUS_BAD && g_strcmp0 (self->state, "selected") == 0)
    set_state (self, "authenticated");
  if (r->status != ML_IMAP_STATUS_OK)
    return;
  if (strcmp (verb, "LOGIN") == 0 || strcmp (verb, "AUTHENTICATE") == 0)
    set_state (self, "authenticated");
  else if (strcmp (verb, "SELECT") == 0 || strcmp (verb, "EXAMINE") == 0)
    set_state (self, "selected");
  else if (strcmp (verb, "CLOSE") == 0 || strcmp (verb, "UNSELECT") == 0)
    set_state (self, "authenticated");
  else if (strcmp (verb, "LOGOUT") == 0)
    set_state (self, "logout");
}

static void
handle_response (ImapDissector *self, MlImapResponse *r)
{
  MlCaptureEmitter *em = self->base.em;
  g_autofree char *key = ml_imap_response_dup_explain_key (r);
  g_autofree char *text = g_utf8_make_valid (r->raw, -1);
  const char *code = r->code ? r->code->name : NULL;

  switch (r->kind)
    {
    case ML_IMAP_RESPONSE_KIND_TAGGED:
      ml_capture_emit_reply (em, text, 0, ml_imap_status_to_string (r->status), r->tag,
                             key, code, status_class (r->status));
      handle_tagged (self, r);
      break;
    case ML_IMAP_RESPONSE_KIND_CONTINUATION:
      /* RFC 3501 7.5: the server is ready for the rest of a command. */
      ml_capture_emit_reply (em, text, 0, "+", "+", key, code, 3);
      if (self->sasl_tag)
        self->mode = CLIENT_SASL;
      break;
    case ML_IMAP_RESPONSE_KIND_UNTAGGED:
    default:
      ml_capture_emit_line (em, ML_DIR_SERVER_TO_CLIENT, text,
                            r->status != ML_IMAP_STATUS_NONE ? ml_imap_status_to_string (r->status)
                                                             : r->data_name,
                            "*", key, code);
      if (!self->greeted)
        {
          self->greeted = TRUE;
          /* RFC 3501 7.1.1, 7.1.4: OK greets, PREAUTH logs in at once. */
          if (r->status == ML_IMAP_STATUS_OK)
            set_state (self, "not-authenticated");
          else if (r->status == ML_IMAP_STATUS_PREAUTH)
            set_state (self, "authenticated");
        }
      else if (r->status == ML_IMAP_STATUS_BYE)
        set_state (self, "logout");
      if (r->data == ML_IMAP_DATA_FETCH && r->fetch)
        {
          const MlImapFetchBody *body = ml_imap_fetch_find_body (r->fetch, "");
          if (body == NULL)
            body = ml_imap_fetch_find_body (r->fetch, "RFC822");
          if (body && body->data && body->origin < 0)
            ml_capture_emit_message (em, body->data);
        }
      break;
    }
}

static void
server_pump (ImapDissector *self)
{
  while (!self->base.em->encrypted)
    {
      g_autoptr(MlImapResponse) r = NULL;
      g_autoptr(GError) error = NULL;
      MlImapResponseResult res = ml_imap_response_parser_next (self->server, &r, &error);

      if (res == ML_IMAP_RESPONSE_NEED_MORE)
        return;
      if (res == ML_IMAP_RESPONSE_MALFORMED)
        {
          ml_capture_emit_malformed (self->base.em, ML_DIR_SERVER_TO_CLIENT,
                                     "imap.client.malformed-response", error->message);
          continue;
        }
      handle_response (self, r);
    }
}

static void
imap_feed (MlCaptureDissector *base, MlDirection dir, const guint8 *data, gsize len)
{
  ImapDissector *self = (ImapDissector *) base;
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
      ml_imap_response_parser_push (self->server, data, len);
      server_pump (self);
    }
  if (base->em->encrypted)
    {
      if (dir == ML_DIR_CLIENT_TO_SERVER)
        ml_capture_count_tls (base->em, ml_line_buffer_available (self->client));
      ml_line_buffer_clear (self->client);
      ml_imap_response_parser_reset (self->server);
    }
}

static void
imap_gap (MlCaptureDissector *base, MlDirection dir, guint64 len)
{
  ImapDissector *self = (ImapDissector *) base;

  if (dir == ML_DIR_CLIENT_TO_SERVER)
    {
      if (self->mode == CLIENT_LITERAL && len < self->literal_left)
        {
          self->literal_left -= len;
          self->command_cut = TRUE;
          return;
        }
      ml_line_buffer_clear (self->client);
      g_string_truncate (self->command, 0);
      if (self->mode == CLIENT_LITERAL)
        self->mode = CLIENT_COMMAND;
    }
  else
    ml_imap_response_parser_reset (self->server);
}

static void
imap_finish (MlCaptureDissector *base)
{
  (void) base;
}

static void
imap_free (MlCaptureDissector *base)
{
  ImapDissector *self = (ImapDissector *) base;

  ml_line_buffer_free (self->client);
  ml_imap_response_parser_free (self->server);
  g_string_free (self->command, TRUE);
  g_byte_array_unref (self->literal);
  g_hash_table_destroy (self->pending);
  g_free (self->sasl_tag);
  ml_capture_sasl_clear (&self->sasl);
  g_free (self->starttls_tag);
  g_free (self);
}

MlCaptureDissector *
ml_imap_dissector_new (MlCaptureEmitter *em, gboolean implicit_tls)
{
  ImapDissector *self = g_new0 (ImapDissector, 1);

  self->base.feed = imap_feed;
  self->base.gap = imap_gap;
  self->base.finish = imap_finish;
  self->base.free = imap_free;
  self->base.em = em;
  self->client = ml_line_buffer_new (ML_CAPTURE_MAX_COMMAND_LINE);
  self->server = ml_imap_response_parser_new ();
  self->command = g_string_new (NULL);
  self->literal = g_byte_array_new ();
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->state = "init";
  if (implicit_tls)
    ml_capture_emit_tls (em, "Implicit TLS (RFC 8314 3.3): the connection is "
                             "encrypted from its first byte.");
  return &self->base;
}

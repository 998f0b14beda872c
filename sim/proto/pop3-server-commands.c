/* pop3-server-commands.c — the POP3 server's command table and handlers.
 *
 * One handler per command (RFC 1939 4–7, RFC 2449 5), and a table saying
 * in which states each may run and how many arguments it takes. The
 * dispatcher answers everything the table rules out (unknown keyword,
 * wrong state, missing or extra arguments, RFC 1939 3: all "-ERR"), so a
 * handler deals only with what its arguments mean.
 */
#define G_LOG_DOMAIN "ml-pop3-server"

#include <string.h>
#include "proto/pop3-server-private.h"

/* APOP's digest: 16 octets in hex (RFC 1939 7). */
#define ML_POP3_APOP_DIGEST_LEN 32

typedef void (*MlPop3CommandFunc) (MlPop3Server *self, const MlPop3Command *cmd);

/* States a command may run in, one bit per MlPop3ServerState. */
#define ALLOW_AUTHORIZATION (1u << ML_POP3_SERVER_STATE_AUTHORIZATION)
#define ALLOW_TRANSACTION   (1u << ML_POP3_SERVER_STATE_TRANSACTION)
#define ALLOW_BOTH          (ALLOW_AUTHORIZATION | ALLOW_TRANSACTION)

/* PASS takes the rest of the line as one argument (RFC 1939 7). */
#define REST_OF_LINE G_MAXUINT

typedef struct {
  const char        *keyword;
  MlPop3CommandFunc  func;      /* NULL: recognised, not implemented */
  guint              allowed;   /* ALLOW_* */
  guint              min_args;
  guint              max_args;  /* REST_OF_LINE for PASS */
} MlPop3CommandSpec;

static void cmd_user (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_pass (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_apop (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_quit (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_stat (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_list (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_retr (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_dele (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_noop (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_rset (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_top  (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_uidl (MlPop3Server *self, const MlPop3Command *cmd);
static void cmd_capa (MlPop3Server *self, const MlPop3Command *cmd);

/* RFC 1939 9 (command summary), RFC 2449 5 (CAPA in both states). */
static const MlPop3CommandSpec pop3_commands[] = {
  { "USER", cmd_user, ALLOW_AUTHORIZATION, 1, 1 },
  { "PASS", cmd_pass, ALLOW_AUTHORIZATION, 1, REST_OF_LINE },
  { "APOP", cmd_apop, ALLOW_AUTHORIZATION, 2, 2 },
  { "QUIT", cmd_quit, ALLOW_BOTH,          0, 0 },
  { "STAT", cmd_stat, ALLOW_TRANSACTION,   0, 0 },
  { "LIST", cmd_list, ALLOW_TRANSACTION,   0, 1 },
  { "RETR", cmd_retr, ALLOW_TRANSACTION,   1, 1 },
  { "DELE", cmd_dele, ALLOW_TRANSACTION,   1, 1 },
  { "NOOP", cmd_noop, ALLOW_TRANSACTION,   0, 0 },
  { "RSET", cmd_rset, ALLOW_TRANSACTION,   0, 0 },
  { "TOP",  cmd_top,  ALLOW_TRANSACTION,   2, 2 },
  { "UIDL", cmd_uidl, ALLOW_TRANSACTION,   0, 1 },
  { "CAPA", cmd_capa, ALLOW_BOTH,          0, 0 },
  /* RFC 2595 4, RFC 5034 4: pop3-server-auth.c answers "-ERR" when the
   * configuration does not offer them. */
  { "STLS", _ml_pop3_server_cmd_stls, ALLOW_AUTHORIZATION, 0, 0 },
  { "AUTH", _ml_pop3_server_cmd_auth, ALLOW_AUTHORIZATION, 0, REST_OF_LINE },
};

static const MlPop3CommandSpec *
lookup_command (const char *keyword)
{
  for (gsize i = 0; i < G_N_ELEMENTS (pop3_commands); i++)
    if (strcmp (pop3_commands[i].keyword, keyword) == 0)
      return &pop3_commands[i];
  return NULL;
}

static void
push_command_event (MlPop3Server *self, const char *line, gsize len, const char *verb,
                    const char *args, const char *explain_key, const char *detail)
{
  MlEngineEvent *event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_COMMAND, FALSE);

  /* A peer may send any octets; what a view shows must be UTF-8. */
  event->line = g_utf8_make_valid (line, (gssize) len);
  event->verb = verb ? g_utf8_make_valid (verb, -1) : NULL;
  event->args = args ? g_utf8_make_valid (args, -1) : NULL;
  event->explain_key = g_strdup (explain_key);
  event->detail = g_strdup (detail);
  _ml_pop3_server_push_event (self, event);
}

static const char *
state_label (MlPop3ServerState state)
{
  return state == ML_POP3_SERVER_STATE_AUTHORIZATION ? "AUTHORIZATION" : "TRANSACTION";
}

void
_ml_pop3_server_dispatch (MlPop3Server *self, const char *line, gsize len)
{
  g_auto(MlPop3Command) cmd = { 0 };
  g_autofree char *explain = NULL;
  g_autofree char *lower = NULL;
  const MlPop3CommandSpec *spec;
  MlPop3CommandStatus status;
  guint n_args;

  status = ml_pop3_command_parse (line, len, &cmd);
  if (status != ML_POP3_COMMAND_OK)
    {
      /* The line buffer made a NUL-terminated copy, but a NUL inside would
       * cut it; show the octets up to there. */
      push_command_event (self, line, strnlen (line, len), NULL, NULL, "pop3.unknown", NULL);
      g_clear_pointer (&self->user, g_free);
      if (status == ML_POP3_COMMAND_EMPTY)
        _ml_pop3_server_err (self, NULL, "empty command");
      else
        _ml_pop3_server_err (self, NULL, "bad character in command");
      return;
    }

  spec = lookup_command (cmd.keyword);
  if (spec == NULL)
    {
      push_command_event (self, line, len, cmd.keyword, cmd.rest, "pop3.unknown", NULL);
      g_clear_pointer (&self->user, g_free);
      /* RFC 1939 3: unrecognised → negative status indicator. */
      _ml_pop3_server_err (self, NULL, "unknown command");
      return;
    }

  lower = g_ascii_strdown (spec->keyword, -1);
  explain = g_strconcat ("pop3.", lower, NULL);
  /* The password stays visible (the lessons show it crossing the wire);
   * the detail lets a view mask it. */
  push_command_event (self, line, len, cmd.keyword, cmd.rest, explain,
                      spec->func == cmd_pass ? "credential" : NULL);

  /* PASS is valid only immediately after a successful USER (RFC 1939 7):
   * any other command forgets the name. */
  if (spec->func != cmd_pass)
    g_clear_pointer (&self->user, g_free);

  if ((spec->allowed & (1u << self->state)) == 0)
    {
      /* RFC 1939 3: a command in the wrong state gets "-ERR". */
      _ml_pop3_server_errf (self, NULL, "%s is not valid in the %s state",
                            spec->keyword, state_label (self->state));
      return;
    }
  if (spec->func == NULL)
    {
      _ml_pop3_server_errf (self, NULL, "%s not supported", spec->keyword);
      return;
    }

  n_args = g_strv_length (cmd.args);
  if (n_args < spec->min_args)
    {
      _ml_pop3_server_errf (self, NULL, "%s needs %s argument%s", spec->keyword,
                            spec->min_args == 1 ? "an" : "two",
                            spec->min_args == 1 ? "" : "s");
      return;
    }
  if (spec->max_args != REST_OF_LINE)
    {
      if (n_args > spec->max_args)
        {
          _ml_pop3_server_errf (self, NULL, "too many arguments for %s", spec->keyword);
          return;
        }
      for (guint i = 0; i < n_args; i++)
        if (strlen (cmd.args[i]) > ML_POP3_MAX_ARG)
          {
            /* RFC 1939 3: each argument up to 40 characters. */
            _ml_pop3_server_errf (self, NULL, "argument too long (at most %u characters)",
                                  ML_POP3_MAX_ARG);
            return;
          }
    }
  spec->func (self, &cmd);
}

/* ---- AUTHORIZATION (RFC 1939 4, 7) ---- */

static void
cmd_user (MlPop3Server *self, const MlPop3Command *cmd)
{
  if (!_ml_pop3_server_plaintext_ok (self))
    {
      /* RFC 3206 4: [AUTH] says the credentials are the problem; here the
       * way of giving them. */
      _ml_pop3_server_err (self, "AUTH", "plaintext authentication disallowed");
      return;
    }
  /* RFC 1939 7 lets USER say "+OK" whether or not the mailbox exists;
   * answering the same for both tells an attacker nothing. */
  self->user = g_strdup (cmd->args[0]);
  _ml_pop3_server_ok (self, "send PASS");
}

static void
cmd_pass (MlPop3Server *self, const MlPop3Command *cmd)
{
  g_autofree char *user = g_steal_pointer (&self->user);
  MlAccount *account = NULL;

  if (user == NULL)
    {
      _ml_pop3_server_err (self, NULL, "send USER first");
      return;
    }
  if (_ml_pop3_server_check_login (self, user, cmd->rest, NULL, &account))
    _ml_pop3_server_open_maildrop (self, account);
}

static void
cmd_apop (MlPop3Server *self, const MlPop3Command *cmd)
{
  MlAccount *account = NULL;

  if (self->timestamp == NULL)
    {
      /* No timestamp in the greeting, nothing to digest (RFC 1939 7). */
      _ml_pop3_server_err (self, NULL, "APOP not supported");
      return;
    }
  if (strlen (cmd->args[1]) != ML_POP3_APOP_DIGEST_LEN ||
      strspn (cmd->args[1], "0123456789abcdefABCDEF") != ML_POP3_APOP_DIGEST_LEN)
    {
      _ml_pop3_server_err (self, NULL, "digest must be 32 hexadecimal digits");
      return;
    }
  /* Upper-case hex is accepted, the RFC's lower case is what we send.
   * APOP is not plaintext, so it works before TLS too: its weakness is
   * MD5 and an offline guess at the password from one captured digest. */
  if (_ml_pop3_server_check_login (self, cmd->args[0], NULL, cmd->args[1], &account))
    _ml_pop3_server_open_maildrop (self, account);
}

static void
cmd_quit (MlPop3Server *self, const MlPop3Command *cmd)
{
  if (self->state == ML_POP3_SERVER_STATE_TRANSACTION)
    {
      _ml_pop3_server_update (self);
      return;
    }
  /* RFC 1939 4: QUIT in AUTHORIZATION ends the session without UPDATE. */
  _ml_pop3_server_okf (self, "%s POP3 server signing off", self->config.hostname);
  _ml_pop3_server_close (self, "QUIT");
}

/* ---- TRANSACTION (RFC 1939 5, 7) ---- */

static void
count_undeleted (MlPop3Server *self, guint *n_out, guint64 *size_out)
{
  guint n = 0;
  guint64 size = 0;

  for (guint i = 0; i < self->messages->len; i++)
    {
      const MlPop3Message *m = &g_array_index (self->messages, MlPop3Message, i);

      if (!m->deleted)
        {
          n++;
          size += m->size;
        }
    }
  *n_out = n;
  *size_out = size;
}

/* A message-number argument that may not refer to a deleted message
 * (RFC 1939 5). Answers and returns NULL when it does not name one. */
static MlPop3Message *
find_message (MlPop3Server *self, const char *arg, guint *number_out)
{
  guint number;
  MlPop3Message *m;

  if (!ml_pop3_parse_number (arg, &number))
    {
      _ml_pop3_server_errf (self, NULL, "invalid message number: %s", arg);
      return NULL;
    }
  if (number == 0 || number > self->messages->len)
    {
      /* RFC 1939 5: "-ERR no such message, only 2 messages in maildrop". */
      _ml_pop3_server_errf (self, NULL, "no such message, only %u message%s in maildrop",
                            self->messages->len, self->messages->len == 1 ? "" : "s");
      return NULL;
    }
  m = &g_array_index (self->messages, MlPop3Message, number - 1);
  if (m->deleted)
    {
      _ml_pop3_server_errf (self, NULL, "message %u already deleted", number);
      return NULL;
    }
  *number_out = number;
  return m;
}

static void
cmd_stat (MlPop3Server *self, const MlPop3Command *cmd)
{
  guint n;
  guint64 size;

  /* Drop listing: "+OK nn mm", nothing after (RFC 1939 5); deleted
   * messages are not counted. */
  count_undeleted (self, &n, &size);
  _ml_pop3_server_okf (self, "%u %" G_GUINT64_FORMAT, n, size);
}

static void
cmd_list (MlPop3Server *self, const MlPop3Command *cmd)
{
  g_autoptr(GByteArray) body = NULL;
  guint n;
  guint64 size;

  if (cmd->args[0] != NULL)
    {
      guint number;
      MlPop3Message *m = find_message (self, cmd->args[0], &number);

      /* Scan listing: number SP size (RFC 1939 5). */
      if (m != NULL)
        _ml_pop3_server_okf (self, "%u %" G_GUINT64_FORMAT, number, m->size);
      return;
    }

  body = g_byte_array_new ();
  for (guint i = 0; i < self->messages->len; i++)
    {
      const MlPop3Message *m = &g_array_index (self->messages, MlPop3Message, i);
      g_autofree char *listing = NULL;

      if (m->deleted)
        continue;
      listing = g_strdup_printf ("%u %" G_GUINT64_FORMAT "\r\n", i + 1, m->size);
      g_byte_array_append (body, (const guint8 *) listing, (guint) strlen (listing));
    }
  count_undeleted (self, &n, &size);
  {
    /* RFC 1939 5: "+OK 2 messages (320 octets)". */
    g_autofree char *text = g_strdup_printf ("%u message%s (%" G_GUINT64_FORMAT " octets)",
                                             n, n == 1 ? "" : "s", size);

    _ml_pop3_server_multiline (self, text, body);
  }
}

static void
send_message (MlPop3Server *self, MlPop3Message *m, gint64 body_lines, const char *text)
{
  g_autoptr(GByteArray) body = g_byte_array_sized_new ((guint) MIN (m->size + 64, G_MAXUINT));

  ml_pop3_append_stuffed (body, g_bytes_get_data (m->data, NULL), g_bytes_get_size (m->data),
                          body_lines);
  _ml_pop3_server_multiline (self, text, body);
}

static void
cmd_retr (MlPop3Server *self, const MlPop3Command *cmd)
{
  guint number;
  MlPop3Message *m = find_message (self, cmd->args[0], &number);
  g_autofree char *text = NULL;

  if (m == NULL)
    return;
  /* RFC 1939 5: "+OK 120 octets", then the message, byte-stuffed. */
  text = g_strdup_printf ("%" G_GUINT64_FORMAT " octets", m->size);
  send_message (self, m, -1, text);
}

static void
cmd_top (MlPop3Server *self, const MlPop3Command *cmd)
{
  guint number, lines;
  MlPop3Message *m = find_message (self, cmd->args[0], &number);

  if (m == NULL)
    return;
  /* "a non-negative number of lines" (RFC 1939 7). */
  if (!ml_pop3_parse_number (cmd->args[1], &lines))
    {
      _ml_pop3_server_errf (self, NULL, "invalid number of lines: %s", cmd->args[1]);
      return;
    }
  /* A bare "+OK", as in RFC 1939 7's example: readers such as Wireshark
   * take the first word after "+OK" to RETR or TOP as an octet count, so
   * free text there reads as a malformed count. */
  send_message (self, m, lines, NULL);
}

static void
cmd_dele (MlPop3Server *self, const MlPop3Command *cmd)
{
  guint number;
  MlPop3Message *m = find_message (self, cmd->args[0], &number);

  if (m == NULL)
    return;
  /* Only marked; the store changes in UPDATE (RFC 1939 5, 6). */
  m->deleted = TRUE;
  _ml_pop3_server_okf (self, "message %u deleted", number);
}

static void
cmd_noop (MlPop3Server *self, const MlPop3Command *cmd)
{
  _ml_pop3_server_ok (self, NULL);
}

static void
cmd_rset (MlPop3Server *self, const MlPop3Command *cmd)
{
  guint n;
  guint64 size;

  for (guint i = 0; i < self->messages->len; i++)
    g_array_index (self->messages, MlPop3Message, i).deleted = FALSE;
  count_undeleted (self, &n, &size);
  /* RFC 1939 5: "+OK maildrop has 2 messages (320 octets)". */
  _ml_pop3_server_okf (self, "maildrop has %u message%s (%" G_GUINT64_FORMAT " octets)",
                       n, n == 1 ? "" : "s", size);
}

static void
cmd_uidl (MlPop3Server *self, const MlPop3Command *cmd)
{
  g_autoptr(GByteArray) body = NULL;

  if (cmd->args[0] != NULL)
    {
      guint number;
      MlPop3Message *m = find_message (self, cmd->args[0], &number);
      g_autofree char *uid = NULL;

      if (m == NULL)
        return;
      /* Unique-id listing: number SP unique-id, nothing after (RFC 1939 7). */
      uid = ml_pop3_dup_unique_id (self->uidvalidity, m->uid);
      _ml_pop3_server_okf (self, "%u %s", number, uid);
      return;
    }

  body = g_byte_array_new ();
  for (guint i = 0; i < self->messages->len; i++)
    {
      const MlPop3Message *m = &g_array_index (self->messages, MlPop3Message, i);
      g_autofree char *uid = NULL;
      g_autofree char *listing = NULL;

      if (m->deleted)
        continue;
      uid = ml_pop3_dup_unique_id (self->uidvalidity, m->uid);
      listing = g_strdup_printf ("%u %s\r\n", i + 1, uid);
      g_byte_array_append (body, (const guint8 *) listing, (guint) strlen (listing));
    }
  _ml_pop3_server_multiline (self, NULL, body);
}

/* ---- CAPA (RFC 2449 5, 6) ---- */

static void
append_capability (GByteArray *body, const char *line)
{
  g_byte_array_append (body, (const guint8 *) line, (guint) strlen (line));
  g_byte_array_append (body, (const guint8 *) "\r\n", 2);
}

static void
cmd_capa (MlPop3Server *self, const MlPop3Command *cmd)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  /* RFC 2449 5: the list may change with the state; only the login
   * capabilities do. No APOP tag: the greeting's timestamp says it
   * (RFC 2449 6). USER only where a password in clear is acceptable
   * (RFC 2449 6.2, RFC 2595 4). */
  append_capability (body, "TOP");
  if (_ml_pop3_server_plaintext_ok (self))
    append_capability (body, "USER");
  append_capability (body, "RESP-CODES");
  append_capability (body, "PIPELINING");
  append_capability (body, "UIDL");
  _ml_pop3_server_append_auth_capabilities (self, body);
  if (self->config.implementation != NULL && self->config.implementation[0] != '\0')
    {
      GString *s = g_string_new ("IMPLEMENTATION ");

      /* capability = capa-tag *(SP param), 512 octets with CRLF, param =
       * 1*VCHAR (RFC 2449 3, 5): blanks stay separators, controls go. */
      for (const char *p = self->config.implementation;
           *p != '\0' && s->len < ML_POP3_MAX_RESPONSE_LINE - 2; p++)
        g_string_append_c (s, ((guchar) *p < 0x20 || (guchar) *p >= 0x7F) ? '?' : *p);
      append_capability (body, s->str);
      g_string_free (s, TRUE);
    }
  _ml_pop3_server_multiline (self, "Capability list follows", body);
}

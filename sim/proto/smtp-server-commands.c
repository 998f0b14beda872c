/* smtp-server-commands.c — the SMTP server's command table and handlers.
 *
 * One handler per command (RFC 5321 4.1.1), and a table saying in which
 * states each may run, as Postfix's smtpd and Dovecot's lib-smtp do. The
 * dispatcher answers everything the table rules out (unknown verb, wrong
 * state), so a handler only deals with its own arguments.
 */
#define G_LOG_DOMAIN "ml-smtp-server"

#include <errno.h>
#include <string.h>
#include "proto/smtp-server-private.h"
#include "proto/smtp-dsn.h"

/* RFC 1870 4: size-value ::= 1*20DIGIT */
#define ML_SMTP_MAX_SIZE_DIGITS 20

typedef void (*MlSmtpCommandFunc) (MlSmtpServer *self, const char *args);

/* States a command may run in, one bit per MlSmtpServerState. */
#define ML_SMTP_ALLOW_GREETING  (1u << ML_SMTP_SERVER_STATE_GREETING)
#define ML_SMTP_ALLOW_READY     (1u << ML_SMTP_SERVER_STATE_READY)
#define ML_SMTP_ALLOW_MAIL      (1u << ML_SMTP_SERVER_STATE_MAIL)
#define ML_SMTP_ALLOW_RCPT      (1u << ML_SMTP_SERVER_STATE_RCPT)
#define ML_SMTP_ALLOW_ANY       (ML_SMTP_ALLOW_GREETING | ML_SMTP_ALLOW_READY | \
                                 ML_SMTP_ALLOW_MAIL | ML_SMTP_ALLOW_RCPT)
#define ML_SMTP_ALLOW_IN_TRANSACTION (ML_SMTP_ALLOW_MAIL | ML_SMTP_ALLOW_RCPT)

typedef struct {
  const char        *verb;
  MlSmtpCommandFunc  func;          /* NULL: recognised, not implemented */
  guint              allowed;       /* ML_SMTP_ALLOW_* */
  const char        *not_greeted;   /* 503 text before EHLO/HELO */
  const char        *out_of_order;  /* 503 text in the other wrong states */
  const char        *syntax;        /* for HELP <verb> */
} MlSmtpCommand;

static void cmd_ehlo (MlSmtpServer *self, const char *args);
static void cmd_helo (MlSmtpServer *self, const char *args);
static void cmd_lhlo (MlSmtpServer *self, const char *args);
static void cmd_mail (MlSmtpServer *self, const char *args);
static void cmd_rcpt (MlSmtpServer *self, const char *args);
static void cmd_data (MlSmtpServer *self, const char *args);
static void cmd_rset (MlSmtpServer *self, const char *args);
static void cmd_noop (MlSmtpServer *self, const char *args);
static void cmd_quit (MlSmtpServer *self, const char *args);
static void cmd_vrfy (MlSmtpServer *self, const char *args);
static void cmd_expn (MlSmtpServer *self, const char *args);
static void cmd_help (MlSmtpServer *self, const char *args);

#define NEED_HELLO "Error: send HELO/EHLO first"

/* RFC 5321 4.1.4: a transaction is MAIL, RCPT…, DATA in that order, only
 * after EHLO/HELO; NOOP, HELP, EXPN, VRFY and RSET work at any time, even
 * before EHLO. */
static const MlSmtpCommand smtp_commands[] = {
  { "EHLO", cmd_ehlo, ML_SMTP_ALLOW_ANY, NULL, NULL, "EHLO domain-or-address-literal" },
  { "HELO", cmd_helo, ML_SMTP_ALLOW_ANY, NULL, NULL, "HELO domain" },
  /* RFC 2033 4.1: LMTP's EHLO; only in LMTP mode. */
  { "LHLO", cmd_lhlo, ML_SMTP_ALLOW_ANY, NULL, NULL, "LHLO domain-or-address-literal" },
  { "MAIL", cmd_mail, ML_SMTP_ALLOW_READY, NEED_HELLO, "Error: nested MAIL command",
    "MAIL FROM:<reverse-path> [SP parameters]" },
  { "RCPT", cmd_rcpt, ML_SMTP_ALLOW_IN_TRANSACTION, NEED_HELLO, "Error: need MAIL command",
    "RCPT TO:<forward-path> [SP parameters]" },
  { "DATA", cmd_data, ML_SMTP_ALLOW_IN_TRANSACTION, NEED_HELLO, "Error: need MAIL command",
    "DATA, then the message, then a line holding only \".\"" },
  { "RSET", cmd_rset, ML_SMTP_ALLOW_ANY, NULL, NULL, "RSET" },
  { "NOOP", cmd_noop, ML_SMTP_ALLOW_ANY, NULL, NULL, "NOOP [text]" },
  { "QUIT", cmd_quit, ML_SMTP_ALLOW_ANY, NULL, NULL, "QUIT" },
  { "VRFY", cmd_vrfy, ML_SMTP_ALLOW_ANY, NULL, NULL, "VRFY user-or-mailbox" },
  { "EXPN", cmd_expn, ML_SMTP_ALLOW_ANY, NULL, NULL, "EXPN mailing-list" },
  { "HELP", cmd_help, ML_SMTP_ALLOW_ANY, NULL, NULL, "HELP [command]" },
  /* RFC 3207 4: STARTTLS may come before EHLO too; the handler refuses it
   * inside a transaction. AUTH checks its own states (RFC 4954 4). */
  { "STARTTLS", _ml_smtp_server_cmd_starttls, ML_SMTP_ALLOW_ANY, NULL, NULL, "STARTTLS" },
  { "AUTH", _ml_smtp_server_cmd_auth, ML_SMTP_ALLOW_ANY, NULL, NULL,
    "AUTH mechanism [initial-response]" },
  /* RFC 3030 2: the handler checks order itself, since a refused BDAT
   * must still have its octets read. */
  { "BDAT", _ml_smtp_server_cmd_bdat, ML_SMTP_ALLOW_ANY, NULL, NULL, "BDAT chunk-size [LAST]" },
  /* Recognised but not implemented: 502, not 500 (RFC 5321 4.2.4). */
  { "SEND", NULL, ML_SMTP_ALLOW_ANY, NULL, NULL, NULL },      /* RFC 821, F.6 */
  { "SOML", NULL, ML_SMTP_ALLOW_ANY, NULL, NULL, NULL },      /* RFC 821, F.6 */
  { "SAML", NULL, ML_SMTP_ALLOW_ANY, NULL, NULL, NULL },      /* RFC 821, F.6 */
  { "TURN", NULL, ML_SMTP_ALLOW_ANY, NULL, NULL, NULL },      /* RFC 821, F.1 */
  { "ETRN", NULL, ML_SMTP_ALLOW_ANY, NULL, NULL, NULL },      /* RFC 1985 */
  { "ATRN", NULL, ML_SMTP_ALLOW_ANY, NULL, NULL, NULL },      /* RFC 2645 */
};

static const MlSmtpCommand *
lookup_command (const char *verb)
{
  for (gsize i = 0; i < G_N_ELEMENTS (smtp_commands); i++)
    if (g_ascii_strcasecmp (smtp_commands[i].verb, verb) == 0)
      return &smtp_commands[i];
  return NULL;
}

/* field-name ":" (RFC 5322 2.2, 3.6.8): a header line typed where a command
 * belongs, e.g. the message sent after DATA was refused (RFC 2920 3.1). */
static gboolean
looks_like_header (const char *text, gsize verb_len)
{
  for (gsize i = 0; i < verb_len; i++)
    {
      char c = text[i];

      if (c == ':')
        return i > 0;
      /* ftext = %d33-57 / %d59-126 */
      if (c < 33 || c > 126)
        return FALSE;
    }
  return FALSE;
}

static void
push_command_event (MlSmtpServer *self, const char *text, const char *verb,
                    const char *args, const char *explain_key)
{
  MlEngineEvent *event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_COMMAND, FALSE);

  /* A peer may send any octets; what a view shows must be UTF-8. */
  event->line = g_utf8_make_valid (text, -1);
  event->verb = verb ? g_utf8_make_valid (verb, -1) : NULL;
  event->args = args ? g_utf8_make_valid (args, -1) : NULL;
  event->explain_key = g_strdup (explain_key);
  _ml_smtp_server_push_event (self, event);
}

void
_ml_smtp_server_dispatch (MlSmtpServer *self, const char *line, gsize len)
{
  g_autofree char *text = NULL;
  g_autofree char *verb = NULL;
  g_autofree char *lower = NULL;
  g_autofree char *explain = NULL;
  const MlSmtpCommand *cmd;
  const char *sp, *args;
  gsize verb_len;

  if (memchr (line, '\0', len) != NULL)
    {
      g_autofree char *shown = g_strndup (line, len);

      push_command_event (self, shown, NULL, NULL, "smtp.unknown");
      _ml_smtp_server_reply (self, 500, "5.5.2", "Error: NUL character in command");
      return;
    }

  /* Trailing blanks are a typing slip, not a different command. */
  while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
    len--;
  text = g_strndup (line, len);
  if (len == 0)
    {
      push_command_event (self, text, NULL, NULL, "smtp.unknown");
      _ml_smtp_server_reply (self, 500, "5.5.2", "Error: bad syntax");
      return;
    }

  /* Command = verb [SP arguments] (RFC 5321 4.1.1); verbs are
   * case-insensitive (2.4). */
  sp = strchr (text, ' ');
  verb_len = sp ? (gsize) (sp - text) : len;
  args = sp ? sp + 1 : "";
  verb = g_ascii_strup (text, (gssize) verb_len);
  cmd = lookup_command (verb);

  if (cmd == NULL)
    {
      if (looks_like_header (text, verb_len))
        {
          /* Postfix refuses header lines pasted as commands and hangs up
           * (its smtpd answers 521 5.7.0 and disconnects). The rest of a
           * pasted message would otherwise run as commands, one 500 per
           * line, or worse, as real ones ("RCPT TO:" in a body). 521 is
           * RFC 7504's "does not accept mail" code. */
          push_command_event (self, text, verb, args, "smtp.pasted-header");
          _ml_smtp_server_reply (self, 521, "5.7.0",
                                 "Error: a message header line is not an SMTP command; closing");
          _ml_smtp_server_close (self, "header line sent as a command");
          return;
        }
      push_command_event (self, text, verb, args, "smtp.unknown");
      /* RFC 5321 4.2.4, 4.1.5 (private "X" commands included). */
      _ml_smtp_server_reply (self, 500, "5.5.1", "Error: command not recognized");
      return;
    }

  lower = g_ascii_strdown (cmd->verb, -1);
  explain = cmd->func == cmd_lhlo ? g_strdup ("lmtp.lhlo") : g_strconcat ("smtp.", lower, NULL);
  push_command_event (self, text, verb, args, explain);

  if (cmd->func == NULL)
    {
      _ml_smtp_server_reply (self, 502, "5.5.1", "Error: command not implemented");
      return;
    }
  if ((cmd->allowed & (1u << self->state)) == 0)
    {
      /* RFC 5321 4.1.4: out of order is 503, and the state stays. */
      _ml_smtp_server_reply (self, 503, "5.5.1",
                             self->state == ML_SMTP_SERVER_STATE_GREETING
                             ? cmd->not_greeted : cmd->out_of_order);
      return;
    }
  cmd->func (self, args);
}

/* ---- EHLO / HELO (RFC 5321 4.1.1.1) ---- */

static void
hello (MlSmtpServer *self, const char *args, gboolean esmtp)
{
  const char *sp = strchr (args, ' ');
  gsize n = sp ? (gsize) (sp - args) : strlen (args);

  /* No enhanced codes in answers to EHLO/HELO (RFC 2034 3). */
  if (n == 0)
    {
      _ml_smtp_server_reply (self, 501, NULL, esmtp ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
      return;
    }
  /* RFC 5321 4.1.2: invalid characters in a domain MUST get a 501. Text
   * after the name is tolerated, as 4.1.1.1 asks of servers. HELO is
   * "Domain" only, but an address literal there is common and harmless. */
  if (!ml_smtp_is_domain (args, n) && !ml_smtp_is_address_literal (args, n))
    {
      _ml_smtp_server_reply (self, 501, NULL, "Error: invalid domain name or address literal");
      return;
    }

  /* A second EHLO is a RSET (RFC 5321 4.1.4). */
  _ml_smtp_server_reset_transaction (self);
  g_free (self->helo_name);
  self->helo_name = g_strndup (args, n);
  self->esmtp = esmtp;

  if (esmtp)
    {
      g_autoptr(GString) s = g_string_new (self->config.hostname);

      /* RFC 5321 4.1.1.1 ehlo-ok-rsp: the domain, then one keyword a line. */
      if (self->config.offer_pipelining)
        g_string_append (s, "\nPIPELINING");
      if (self->config.offer_size)
        /* RFC 1870 4: the fixed maximum; 0 says there is none. */
        g_string_append_printf (s, "\nSIZE %" G_GUINT64_FORMAT, self->config.max_message_size);
      if (self->config.answer_expn)
        g_string_append (s, "\nEXPN");  /* RFC 5321 3.5.2 */
      if (self->config.offer_8bitmime)
        g_string_append (s, "\n8BITMIME");
      if (self->config.offer_enhanced_status_codes)
        g_string_append (s, "\nENHANCEDSTATUSCODES");
      if (self->config.offer_dsn)
        g_string_append (s, "\nDSN");  /* RFC 3461 3 */
      if (self->config.offer_chunking)
        g_string_append (s, "\nCHUNKING");  /* RFC 3030 2 */
      _ml_smtp_server_append_ehlo_keywords (self, s);
      _ml_smtp_server_reply (self, 250, NULL, s->str);
    }
  else
    _ml_smtp_server_reply (self, 250, NULL, self->config.hostname);

  _ml_smtp_server_set_state (self, ML_SMTP_SERVER_STATE_READY);
}

/* RFC 2033 4.1: an LMTP server "MUST NOT" take HELO or EHLO; 500 is the
 * recommended reply. */
static gboolean
refused_in_lmtp (MlSmtpServer *self)
{
  if (!self->config.lmtp)
    return FALSE;
  _ml_smtp_server_reply (self, 500, "5.5.1", "Error: this is LMTP; say LHLO (RFC 2033 4.1)");
  return TRUE;
}

static void
cmd_ehlo (MlSmtpServer *self, const char *args)
{
  if (!refused_in_lmtp (self))
    hello (self, args, TRUE);
}

static void
cmd_helo (MlSmtpServer *self, const char *args)
{
  if (!refused_in_lmtp (self))
    hello (self, args, FALSE);
}

static void
cmd_lhlo (MlSmtpServer *self, const char *args)
{
  /* Outside LMTP, LHLO is no SMTP command (RFC 5321 4.2.4: 500). */
  if (!self->config.lmtp)
    {
      _ml_smtp_server_reply (self, 500, "5.5.1", "Error: command not recognized");
      return;
    }
  /* Same semantics as EHLO (RFC 2033 4.1). */
  hello (self, args, TRUE);
}

/* ---- MAIL (RFC 5321 4.1.1.2, 3.3) ---- */

/* Checks the Mail-parameters against the extensions offered after EHLO
 * (RFC 5321 4.1.1.11, 2.2). Answers and returns FALSE on the first fault. */
static gboolean
check_mail_params (MlSmtpServer *self, const MlSmtpPath *path,
                   guint64 *size_out, MlSmtpBody *body_out,
                   MlDsnRet *ret_out, char **envid_out)
{
  gboolean seen_size = FALSE, seen_body = FALSE, seen_auth = FALSE;
  gboolean seen_ret = FALSE;

  for (guint i = 0; i < path->params->len; i++)
    {
      const MlSmtpParam *param = g_ptr_array_index (path->params, i);

      if (g_ascii_strcasecmp (param->keyword, "SIZE") == 0 &&
          self->esmtp && self->config.offer_size)
        {
          const char *v = param->value;
          gsize n = v ? strlen (v) : 0;

          /* RFC 1870 6: one SIZE, size-value ::= 1*20DIGIT. */
          if (seen_size)
            {
              _ml_smtp_server_reply (self, 501, "5.5.4", "Error: duplicate SIZE parameter");
              return FALSE;
            }
          if (n == 0 || n > ML_SMTP_MAX_SIZE_DIGITS || strspn (v, "0123456789") != n)
            {
              _ml_smtp_server_reply (self, 501, "5.5.4", "Error: bad SIZE value");
              return FALSE;
            }
          errno = 0;
          *size_out = g_ascii_strtoull (v, NULL, 10);
          if (errno == ERANGE)
            *size_out = G_MAXUINT64;  /* 20 digits may pass 2^64; still a size */
          seen_size = TRUE;
        }
      else if (g_ascii_strcasecmp (param->keyword, "BODY") == 0 &&
               self->esmtp && self->config.offer_8bitmime)
        {
          /* RFC 6152 3: body-value = "7BIT" / "8BITMIME", once. */
          if (seen_body)
            {
              _ml_smtp_server_reply (self, 501, "5.5.4", "Error: duplicate BODY parameter");
              return FALSE;
            }
          if (param->value != NULL && g_ascii_strcasecmp (param->value, "7BIT") == 0)
            *body_out = ML_SMTP_BODY_7BIT;
          else if (param->value != NULL && g_ascii_strcasecmp (param->value, "8BITMIME") == 0)
            *body_out = ML_SMTP_BODY_8BITMIME;
          else
            {
              _ml_smtp_server_reply (self, 501, "5.5.4", "Error: bad BODY value");
              return FALSE;
            }
          seen_body = TRUE;
        }
      else if (g_ascii_strcasecmp (param->keyword, "AUTH") == 0 &&
               self->esmtp && self->config.auth_mechanisms != 0)
        {
          /* RFC 4954 5 */
          if (seen_auth)
            {
              _ml_smtp_server_reply (self, 501, "5.5.4", "Error: duplicate AUTH parameter");
              return FALSE;
            }
          if (!_ml_smtp_server_check_auth_param (self, param->value))
            return FALSE;
          seen_auth = TRUE;
        }
      else if (g_ascii_strcasecmp (param->keyword, "RET") == 0 &&
               self->esmtp && self->config.offer_dsn)
        {
          /* RFC 3461 4.3, 4.5: FULL or HDRS, once; else 501. */
          if (seen_ret || !ml_smtp_dsn_parse_ret (param->value, ret_out))
            {
              _ml_smtp_server_reply (self, 501, "5.5.4",
                                     seen_ret ? "Error: duplicate RET parameter"
                                              : "Error: bad RET value (FULL or HDRS)");
              return FALSE;
            }
          seen_ret = TRUE;
        }
      else if (g_ascii_strcasecmp (param->keyword, "ENVID") == 0 &&
               self->esmtp && self->config.offer_dsn)
        {
          /* RFC 3461 4.4, 4.5: xtext up to 100 characters, once. */
          if (*envid_out != NULL || !ml_smtp_dsn_parse_envid (param->value, envid_out))
            {
              _ml_smtp_server_reply (self, 501, "5.5.4",
                                     *envid_out ? "Error: duplicate ENVID parameter"
                                                : "Error: bad ENVID value (xtext, at most 100 characters)");
              return FALSE;
            }
        }
      else
        {
          /* Unknown, or an extension not offered in this session (after
           * HELO none is): 555 (RFC 5321 4.1.1.11, 4.1.1.3). */
          _ml_smtp_server_replyf (self, 555, "5.5.4", "Error: unsupported parameter %s",
                                  param->keyword);
          return FALSE;
        }
    }

  /* RFC 1870 6.1 (2): declared over the fixed maximum. */
  if (self->config.max_message_size != 0 && *size_out > self->config.max_message_size)
    {
      _ml_smtp_server_replyf (self, 552, "5.3.4",
                              "Error: message size exceeds fixed maximum message size (%"
                              G_GUINT64_FORMAT ")", self->config.max_message_size);
      return FALSE;
    }
  return TRUE;
}

static void
cmd_mail (MlSmtpServer *self, const char *args)
{
  g_autoptr(MlSmtpPath) path = NULL;
  MlSmtpPathStatus status;
  MlSmtpVerdict verdict;
  guint64 size = 0;
  MlSmtpBody body = ML_SMTP_BODY_NONE;
  MlDsnRet ret = ML_DSN_RET_DEFAULT;
  g_autofree char *envid = NULL;
  guint code;

  if (!_ml_smtp_server_auth_allows_mail (self))
    return;
  /* "MAIL FROM:" with no space around the colon (RFC 5321 3.3). */
  if (g_ascii_strncasecmp (args, "FROM:", 5) != 0)
    {
      _ml_smtp_server_reply (self, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
      return;
    }
  path = ml_smtp_path_parse (args + 5, ML_SMTP_PATH_REVERSE, &status);
  switch (status)
    {
    case ML_SMTP_PATH_OK:
      break;
    case ML_SMTP_PATH_ERROR_TOO_LONG:
      /* RFC 5321 4.5.3.1.3, 4.5.3.1.9 */
      _ml_smtp_server_reply (self, 501, "5.1.7", "Error: sender path too long");
      return;
    case ML_SMTP_PATH_ERROR_PARAM_SYNTAX:
      _ml_smtp_server_reply (self, 501, "5.5.4", "Error: bad parameter syntax");
      return;
    case ML_SMTP_PATH_ERROR_SYNTAX:
    default:
      /* RFC 3463 X.1.7: bad sender's mailbox address syntax. */
      _ml_smtp_server_reply (self, 501, "5.1.7", "Error: bad sender address syntax");
      return;
    }
  if (!check_mail_params (self, path, &size, &body, &ret, &envid))
    return;

  _ml_smtp_server_verdict_init (&verdict);
  if (self->policy.check_sender != NULL)
    self->policy.check_sender (self, path, &verdict, self->policy_data);
  code = _ml_smtp_server_reply_verdict (self, &verdict, 250, "2.1.0", "Ok");
  _ml_smtp_server_verdict_clear (&verdict);
  if (code / 100 != 2)
    return;

  /* MAIL clears the buffers and starts a transaction (RFC 5321 4.1.1.2). */
  _ml_smtp_server_reset_transaction (self);
  self->reverse_path = g_strdup (path->mailbox);
  self->declared_size = size;
  self->body = body;
  self->dsn_ret = ret;
  self->dsn_envid = g_steal_pointer (&envid);
  _ml_smtp_server_set_state (self, ML_SMTP_SERVER_STATE_MAIL);
}

/* ---- RCPT (RFC 5321 4.1.1.3) ---- */

/* Rcpt-parameters: only the DSN extension's (RFC 3461 4.1, 4.2, 4.5), and
 * only when offered after EHLO; anything else is 555 (RFC 5321 4.1.1.11). */
static gboolean
check_rcpt_params (MlSmtpServer *self, const MlSmtpPath *path,
                   MlDsnNotify *notify_out, char **orcpt_out)
{
  gboolean seen_notify = FALSE;

  for (guint i = 0; i < path->params->len; i++)
    {
      const MlSmtpParam *param = g_ptr_array_index (path->params, i);
      gboolean dsn_on = self->esmtp && self->config.offer_dsn;

      if (dsn_on && g_ascii_strcasecmp (param->keyword, "NOTIFY") == 0)
        {
          if (seen_notify || !ml_smtp_dsn_parse_notify (param->value, notify_out))
            {
              _ml_smtp_server_reply (self, 501, "5.5.4",
                                     seen_notify ? "Error: duplicate NOTIFY parameter"
                                     : "Error: bad NOTIFY value (NEVER, or SUCCESS,FAILURE,DELAY)");
              return FALSE;
            }
          seen_notify = TRUE;
        }
      else if (dsn_on && g_ascii_strcasecmp (param->keyword, "ORCPT") == 0)
        {
          if (*orcpt_out != NULL || !ml_smtp_dsn_parse_orcpt (param->value, orcpt_out))
            {
              _ml_smtp_server_reply (self, 501, "5.5.4",
                                     *orcpt_out ? "Error: duplicate ORCPT parameter"
                                     : "Error: bad ORCPT value (addr-type;xtext, at most 500 characters)");
              return FALSE;
            }
        }
      else
        {
          _ml_smtp_server_replyf (self, 555, "5.5.4", "Error: unsupported parameter %s",
                                  param->keyword);
          return FALSE;
        }
    }
  return TRUE;
}

static void
cmd_rcpt (MlSmtpServer *self, const char *args)
{
  g_autoptr(MlSmtpPath) path = NULL;
  MlSmtpPathStatus status;
  MlSmtpVerdict verdict;
  MlDsnNotify notify = ML_DSN_NOTIFY_DEFAULT;
  g_autofree char *orcpt = NULL;
  MlSmtpRecipientDsn *dsn;
  guint code;

  self->rcpt_commands++;
  if (g_ascii_strncasecmp (args, "TO:", 3) != 0)
    {
      _ml_smtp_server_reply (self, 501, "5.5.4", "Syntax: RCPT TO:<address>");
      return;
    }
  path = ml_smtp_path_parse (args + 3, ML_SMTP_PATH_FORWARD, &status);
  switch (status)
    {
    case ML_SMTP_PATH_OK:
      break;
    case ML_SMTP_PATH_ERROR_TOO_LONG:
      _ml_smtp_server_reply (self, 501, "5.1.3", "Error: recipient path too long");
      return;
    case ML_SMTP_PATH_ERROR_PARAM_SYNTAX:
      _ml_smtp_server_reply (self, 501, "5.5.4", "Error: bad parameter syntax");
      return;
    case ML_SMTP_PATH_ERROR_SYNTAX:
    default:
      /* RFC 3463 X.1.3: bad destination mailbox address syntax. */
      _ml_smtp_server_reply (self, 501, "5.1.3", "Error: bad recipient address syntax");
      return;
    }
  if (!check_rcpt_params (self, path, &notify, &orcpt))
    return;
  /* RFC 5321 4.5.3.1.10: the recipients buffer is full — 452, so the
   * client sends the rest in another transaction. */
  if (self->recipients->len >= self->config.max_recipients)
    {
      _ml_smtp_server_reply (self, 452, "4.5.3", "Error: too many recipients");
      return;
    }

  _ml_smtp_server_verdict_init (&verdict);
  if (self->policy.check_recipient != NULL)
    self->policy.check_recipient (self, self->reverse_path, path, &verdict, self->policy_data);
  code = _ml_smtp_server_reply_verdict (self, &verdict, 250, "2.1.5", "Ok");
  _ml_smtp_server_verdict_clear (&verdict);
  if (code / 100 != 2)
    return;

  g_ptr_array_add (self->recipients, g_strdup (path->mailbox));
  dsn = g_new0 (MlSmtpRecipientDsn, 1);
  dsn->notify = notify;
  dsn->orcpt = g_steal_pointer (&orcpt);
  g_ptr_array_add (self->recipient_dsn, dsn);
  _ml_smtp_server_set_state (self, ML_SMTP_SERVER_STATE_RCPT);
}

/* ---- DATA (RFC 5321 4.1.1.4, 3.3) ---- */

static void
cmd_data (MlSmtpServer *self, const char *args)
{
  /* RFC 5321 4.3.2: DATA takes no arguments; 501 if given some. */
  if (args[0] != '\0')
    {
      _ml_smtp_server_reply (self, 501, "5.5.4", "Syntax: DATA");
      return;
    }
  if (self->state == ML_SMTP_SERVER_STATE_MAIL)
    {
      /* RFC 5321 3.3 allows 503 or 554 here. No RCPT at all is a client
       * out of order: 503. RCPTs all refused is a transaction with nobody
       * to deliver to: 554 "no valid recipients", which RFC 2920 3.2 (3)
       * needs so that a pipelining client does not send its message. */
      if (self->rcpt_commands == 0)
        _ml_smtp_server_reply (self, 503, "5.5.1", "Error: need RCPT command");
      else
        _ml_smtp_server_reply (self, 554, "5.5.1", "Error: no valid recipients");
      return;
    }
  /* RFC 3030 2: DATA and BDAT cannot share a transaction. */
  if (self->bdat_used || self->bdat_failed)
    {
      _ml_smtp_server_reply (self, 503, "5.5.1", "Error: DATA after BDAT in one transaction (RFC 3030 2)");
      return;
    }
  /* 3yz carries no enhanced code (RFC 2034 4). */
  _ml_smtp_server_reply (self, 354, NULL, "End data with <CR><LF>.<CR><LF>");
  _ml_smtp_server_begin_data (self);
}

/* ---- RSET, NOOP, QUIT (RFC 5321 4.1.1.5, 4.1.1.9, 4.1.1.10) ---- */

static void
cmd_rset (MlSmtpServer *self, const char *args)
{
  if (args[0] != '\0')
    {
      _ml_smtp_server_reply (self, 501, "5.5.4", "Syntax: RSET");
      return;
    }
  _ml_smtp_server_reset_transaction (self);
  _ml_smtp_server_reply (self, 250, "2.0.0", "Ok");
  /* Before EHLO, RSET changes nothing (RFC 5321 4.1.1.5). */
  if (self->state == ML_SMTP_SERVER_STATE_MAIL || self->state == ML_SMTP_SERVER_STATE_RCPT)
    _ml_smtp_server_set_state (self, ML_SMTP_SERVER_STATE_READY);
}

static void
cmd_noop (MlSmtpServer *self, const char *args)
{
  /* A parameter is ignored (RFC 5321 4.1.1.9). */
  _ml_smtp_server_reply (self, 250, "2.0.0", "Ok");
}

static void
cmd_quit (MlSmtpServer *self, const char *args)
{
  if (args[0] != '\0')
    {
      _ml_smtp_server_reply (self, 501, "5.5.4", "Syntax: QUIT");
      return;
    }
  /* 221 <domain> (RFC 5321 4.2.3); then the server closes (4.1.1.10) and
   * an open transaction is dropped. */
  _ml_smtp_server_replyf (self, 221, "2.0.0", "%s Service closing transmission channel",
                          self->config.hostname);
  _ml_smtp_server_close (self, "QUIT");
}

/* ---- VRFY, EXPN (RFC 5321 3.5, 4.1.1.6, 4.1.1.7) ---- */

static void
ask_verify (MlSmtpServer *self, const char *command, const char *args, const char *ok_text)
{
  MlSmtpVerdict verdict;

  _ml_smtp_server_verdict_init (&verdict);
  if (self->policy.verify != NULL)
    self->policy.verify (self, command, args, &verdict, self->policy_data);
  /* Left undecided, 252: never a 250 for an address nobody checked
   * (RFC 5321 3.5.3). */
  _ml_smtp_server_reply_verdict (self, &verdict, 252, "2.0.0", ok_text);
  _ml_smtp_server_verdict_clear (&verdict);
}

static void
cmd_vrfy (MlSmtpServer *self, const char *args)
{
  static const char cannot[] = "Cannot verify this user, but will accept mail for it and attempt delivery";

  if (args[0] == '\0')
    {
      _ml_smtp_server_reply (self, 501, "5.5.4", "Syntax: VRFY address");
      return;
    }
  /* Disabled, VRFY must still answer 252, not 502 or 550 (RFC 5321 7.3). */
  if (!self->config.answer_vrfy)
    {
      _ml_smtp_server_reply (self, 252, "2.0.0", cannot);
      return;
    }
  ask_verify (self, "VRFY", args, cannot);
}

static void
cmd_expn (MlSmtpServer *self, const char *args)
{
  /* Off by default, and then simply not implemented: 502 (RFC 5321 4.2.4,
   * 3.5.3) and absent from EHLO. The 252 of 7.3 is for a server that
   * implements EXPN and refuses it to this client. */
  if (!self->config.answer_expn)
    {
      _ml_smtp_server_reply (self, 502, "5.5.1", "Error: EXPN not implemented");
      return;
    }
  if (args[0] == '\0')
    {
      _ml_smtp_server_reply (self, 501, "5.5.4", "Syntax: EXPN mailing-list");
      return;
    }
  ask_verify (self, "EXPN", args, "Cannot expand this list");
}

/* ---- HELP (RFC 5321 4.1.1.8) ---- */

/* Commands this configuration does not implement are not advertised. */
static gboolean
command_hidden (MlSmtpServer *self, const MlSmtpCommand *c)
{
  return c->func == NULL
         || (c->func == cmd_lhlo && !self->config.lmtp)
         || ((c->func == cmd_ehlo || c->func == cmd_helo) && self->config.lmtp)
         || (c->func == cmd_expn && !self->config.answer_expn)
         || (c->func == _ml_smtp_server_cmd_bdat && !self->config.offer_chunking)
         || (c->func == _ml_smtp_server_cmd_starttls && self->config.tls != ML_SMTP_TLS_STARTTLS)
         || (c->func == _ml_smtp_server_cmd_auth && self->config.auth_mechanisms == 0);
}

static void
cmd_help (MlSmtpServer *self, const char *args)
{
  const MlSmtpCommand *cmd;

  if (args[0] == '\0')
    {
      g_autoptr(GString) s = g_string_new ("Commands:");

      for (gsize i = 0; i < G_N_ELEMENTS (smtp_commands); i++)
        {
          const MlSmtpCommand *c = &smtp_commands[i];

          if (command_hidden (self, c))
            continue;
          g_string_append_printf (s, " %s", c->verb);
        }
      g_string_append (s, "\n\"HELP command\" shows the syntax of one (RFC 5321 4.1.1)");
      _ml_smtp_server_reply (self, 214, "2.0.0", s->str);
      return;
    }
  cmd = lookup_command (args);
  if (cmd == NULL || cmd->syntax == NULL || command_hidden (self, cmd))
    {
      /* RFC 5321 4.3.2 HELP E: 504 for a topic we have nothing on. */
      _ml_smtp_server_reply (self, 504, "5.5.4", "Error: no help on that topic");
      return;
    }
  _ml_smtp_server_replyf (self, 214, "2.0.0", "Syntax: %s", cmd->syntax);
}

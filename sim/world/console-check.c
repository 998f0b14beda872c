#define G_LOG_DOMAIN "ml-console"

/* console-check.c — ml_console_check_line(): the console's syntax check as
 * the student types (declared in console-session.h). Advice only: the
 * console sends whatever is typed, and the server's answer (500, -ERR,
 * BAD) is the real lesson; the hint says why before the student sends. */

#include <string.h>
#include "world/console-session.h"
#include "proto/smtp-path.h"
#include "proto/pop3-parser.h"
#include "proto/imap-parser.h"
#include "proto/imap-sequence.h"

/* RFC 5321 4.5.3.1.4: a command line, CRLF included. */
#define ML_CONSOLE_SMTP_MAX_COMMAND  512
/* RFC 5321 4.5.3.1.6: a text line of the message, CRLF included. */
#define ML_CONSOLE_SMTP_MAX_TEXT     1000

static char *
hint (const char *format, ...) G_GNUC_PRINTF (1, 2);

static char *
hint (const char *format, ...)
{
  va_list args;
  char *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return text;
}

static gboolean
has_control (const char *line)
{
  for (const char *p = line; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || (guchar) *p == 0x7f)
      return TRUE;
  return FALSE;
}

/* ---- SMTP (RFC 5321 4.1) ---- */

typedef struct {
  const char *verb;
  gint        args;   /* 0 none, 1 required, -1 optional */
  const char *usage;
} SmtpVerb;

static const SmtpVerb smtp_table[] = {
  { "EHLO", 1, "EHLO needs your domain name: EHLO client.example" },
  { "HELO", 1, "HELO needs your domain name: HELO client.example" },
  { "MAIL", 1, "MAIL needs FROM:<address>" },
  { "RCPT", 1, "RCPT needs TO:<address>" },
  { "DATA", 0, "DATA takes no argument: the message follows after 354" },
  { "RSET", 0, "RSET takes no argument" },
  { "QUIT", 0, "QUIT takes no argument" },
  { "NOOP", -1, NULL },
  { "HELP", -1, NULL },
  { "VRFY", 1, "VRFY needs a user name or address: VRFY bob" },
  { "EXPN", 1, "EXPN needs a mailing list name: EXPN staff" },
  { "STARTTLS", 0, "STARTTLS takes no argument" },
  { "AUTH", 1, "AUTH needs a mechanism: AUTH PLAIN" },
  { "BDAT", 1, "BDAT needs a size: BDAT 120 LAST" },
};

/* Commands RFC 5321 names but a server need not implement: 502, not 500
 * (RFC 5321 4.2.4, appendix F). */
static const char * const smtp_not_implemented[] = {
  "SEND", "SOML", "SAML", "TURN", "ETRN", "ATRN", NULL,
};

static char *
check_smtp_path (const char *verb, const char *arg, const MlConsoleState *state)
{
  gboolean mail = g_str_equal (verb, "MAIL");
  const char *prefix = mail ? "FROM:" : "TO:";
  gsize plen = strlen (prefix);
  MlSmtpPathStatus status = ML_SMTP_PATH_OK;
  g_autoptr(MlSmtpPath) path = NULL;

  if (g_ascii_strncasecmp (arg, prefix, plen) != 0)
    return hint ("%s needs %s<address>", verb, prefix);
  arg += plen;
  /* RFC 5321 4.1.2 has no space after the colon; servers often take one,
   * ours does too, but the grammar does not. */
  if (*arg == ' ')
    return hint ("no space after \"%s\": %s%s<address> (RFC 5321 4.1.2)",
                 prefix, verb, mail ? " FROM:" : " TO:");
  if (*arg != '<')
    return hint ("the address goes in angle brackets: %s %s<%s>", verb, prefix, arg);
  path = ml_smtp_path_parse (arg, mail ? ML_SMTP_PATH_REVERSE : ML_SMTP_PATH_FORWARD, &status);
  if (path == NULL)
    return hint ("%s: %s (RFC 5321 4.1.2)", verb, ml_smtp_path_status_to_string (status));
  if (state != NULL && state->greeted && !state->extended && path->params->len > 0)
    return hint ("parameters like %s= need an EHLO session, not HELO (RFC 5321 4.1.1.1)",
                 ((MlSmtpParam *) path->params->pdata[0])->keyword);
  return NULL;
}

static char *
check_smtp (const MlConsoleState *state, const char *line)
{
  MlConsoleInput input = state != NULL ? state->input : ML_CONSOLE_INPUT_COMMAND;
  const char *sp;
  g_autofree char *verb = NULL;
  const char *arg;
  const SmtpVerb *v = NULL;

  if (input == ML_CONSOLE_INPUT_CONTENT)
    {
      if (strlen (line) + 2 > ML_CONSOLE_SMTP_MAX_TEXT)
        return hint ("a line of the message may have at most %d characters (RFC 5321 4.5.3.1.6)",
                     ML_CONSOLE_SMTP_MAX_TEXT - 2);
      /* RFC 5321 4.5.2: the server drops a line's first dot. */
      if (line[0] == '.' && line[1] != '\0')
        return line[1] == '.' ? NULL
               : hint ("the server will remove this first dot (RFC 5321 4.5.2): type .%s to send %s",
                       line, line);
      return NULL;
    }
  if (input == ML_CONSOLE_INPUT_CONTINUATION)
    {
      /* RFC 4954 4: base64, or "*" to give up. */
      if (g_str_equal (line, "*") || line[0] == '\0')
        return NULL;
      for (const char *p = line; *p != '\0'; p++)
        if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
          return hint ("the server asked for base64 (RFC 4954 4): letters, digits, + / =, or * to cancel");
      return NULL;
    }

  if (line[0] == '\0')
    return hint ("type a command: EHLO, MAIL FROM:, RCPT TO:, DATA, QUIT …");
  if (strlen (line) + 2 > ML_CONSOLE_SMTP_MAX_COMMAND)
    return hint ("a command line may have at most %d characters (RFC 5321 4.5.3.1.4)",
                 ML_CONSOLE_SMTP_MAX_COMMAND - 2);
  sp = strchr (line, ' ');
  verb = g_ascii_strup (line, sp != NULL ? (gssize) (sp - line) : -1);
  arg = sp != NULL ? sp + 1 : "";
  if (verb[0] != '\0' && verb[strlen (verb) - 1] == ':')
    return hint ("this looks like a header line: headers are part of the message, after DATA "
                 "and its 354 (RFC 5321 4.1.1.4)");
  for (gsize i = 0; i < G_N_ELEMENTS (smtp_table); i++)
    if (g_str_equal (smtp_table[i].verb, verb))
      v = &smtp_table[i];
  if (v == NULL && g_strv_contains (smtp_not_implemented, verb))
    return hint ("%s is an old or rare command servers seldom implement: expect 502 "
                 "(RFC 5321 4.2.4, appendix F)", verb);
  if (v == NULL)
    return hint ("%s is not an SMTP command: the server will answer 500 (RFC 5321 4.2.4)", verb);
  if (v->args == 0 && *arg != '\0')
    return g_strdup (v->usage);
  if (v->args == 1 && *arg == '\0')
    return g_strdup (v->usage);

  if (g_str_equal (verb, "EHLO") || g_str_equal (verb, "HELO"))
    {
      /* RFC 5321 4.1.1.1: a domain, or an address literal "[10.0.0.1]". */
      if (!ml_smtp_is_domain (arg, strlen (arg)) && !ml_smtp_is_address_literal (arg, strlen (arg)))
        return hint ("%s needs a domain name or [address literal], not \"%s\" (RFC 5321 4.1.1.1)",
                     verb, arg);
      return NULL;
    }
  if (g_str_equal (verb, "MAIL") || g_str_equal (verb, "RCPT"))
    {
      g_autofree char *bad = check_smtp_path (verb, arg, state);

      if (bad != NULL)
        return g_steal_pointer (&bad);
    }
  if (state == NULL)
    return NULL;
  /* RFC 5321 4.1.4: the order of commands. */
  if (!state->greeted && (g_str_equal (verb, "MAIL") || g_str_equal (verb, "RCPT")
                          || g_str_equal (verb, "DATA")))
    return hint ("say EHLO first: the server expects it before %s (RFC 5321 4.1.4)", verb);
  if (g_str_equal (verb, "MAIL") && state->in_transaction)
    return hint ("a transaction is open: finish it or RSET before a new MAIL (RFC 5321 4.1.4)");
  if ((g_str_equal (verb, "RCPT") || g_str_equal (verb, "DATA")) && !state->in_transaction)
    return hint ("%s comes after MAIL FROM: was accepted (RFC 5321 4.1.4)", verb);
  if ((g_str_equal (verb, "STARTTLS") || g_str_equal (verb, "AUTH")) && !state->extended)
    return hint ("%s is an extension: say EHLO first (RFC 5321 4.1.1.1)", verb);
  return NULL;
}

/* ---- POP3 (RFC 1939 3, 5–7; RFC 2449) ---- */

typedef enum { IN_AUTHORIZATION = 1, IN_TRANSACTION = 2, IN_BOTH = 3 } Pop3States;

typedef struct {
  const char *keyword;
  guint       min_args, max_args;
  Pop3States  states;
  gboolean    numeric;    /* every argument is a number */
  const char *usage;
} Pop3Verb;

static const Pop3Verb pop3_table[] = {
  { "USER", 1, 1, IN_AUTHORIZATION, FALSE, "USER needs the mailbox name: USER bob" },
  { "PASS", 1, G_MAXUINT, IN_AUTHORIZATION, FALSE, "PASS needs the password: PASS secret" },
  { "APOP", 2, 2, IN_AUTHORIZATION, FALSE, "APOP needs a name and a digest: APOP bob c4c9334bac560ecc979e58001b3e22fb" },
  { "AUTH", 0, 2, IN_AUTHORIZATION, FALSE, "AUTH takes a mechanism: AUTH PLAIN" },
  { "STLS", 0, 0, IN_AUTHORIZATION, FALSE, "STLS takes no argument" },
  { "CAPA", 0, 0, IN_BOTH, FALSE, "CAPA takes no argument" },
  { "QUIT", 0, 0, IN_BOTH, FALSE, "QUIT takes no argument" },
  { "STAT", 0, 0, IN_TRANSACTION, FALSE, "STAT takes no argument" },
  { "LIST", 0, 1, IN_TRANSACTION, TRUE, "LIST takes at most a message number: LIST or LIST 2" },
  { "UIDL", 0, 1, IN_TRANSACTION, TRUE, "UIDL takes at most a message number: UIDL or UIDL 2" },
  { "RETR", 1, 1, IN_TRANSACTION, TRUE, "RETR needs a message number: RETR 1" },
  { "DELE", 1, 1, IN_TRANSACTION, TRUE, "DELE needs a message number: DELE 1" },
  { "TOP",  2, 2, IN_TRANSACTION, TRUE, "TOP needs a message number and a line count: TOP 1 0" },
  { "NOOP", 0, 0, IN_TRANSACTION, FALSE, "NOOP takes no argument" },
  { "RSET", 0, 0, IN_TRANSACTION, FALSE, "RSET takes no argument" },
};

static char *
check_pop3 (const MlConsoleState *state, const char *line)
{
  g_auto(MlPop3Command) cmd = { 0 };
  const Pop3Verb *v = NULL;
  guint n;

  if (state != NULL && state->input == ML_CONSOLE_INPUT_CONTINUATION)
    return NULL;  /* a SASL response (RFC 5034 4): base64 or "*" */
  if (strlen (line) + 2 > ML_POP3_MAX_COMMAND_LINE)
    return hint ("a command line may have at most %d characters (RFC 2449 4)",
                 ML_POP3_MAX_COMMAND_LINE - 2);
  switch (ml_pop3_command_parse (line, strlen (line), &cmd))
    {
    case ML_POP3_COMMAND_EMPTY:
      return hint ("type a command: USER, PASS, STAT, LIST, RETR, QUIT …");
    case ML_POP3_COMMAND_BAD_CHARACTER:
      return hint ("control characters cannot be part of a command (RFC 1939 3)");
    case ML_POP3_COMMAND_OK:
    default:
      break;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (pop3_table); i++)
    if (g_str_equal (pop3_table[i].keyword, cmd.keyword))
      v = &pop3_table[i];
  if (v == NULL)
    return hint ("%s is not a POP3 command: the server will answer -ERR (RFC 1939 3)", cmd.keyword);
  n = g_strv_length (cmd.args);
  if (g_str_equal (v->keyword, "PASS"))
    n = cmd.rest[0] != '\0' ? 1 : 0;  /* RFC 1939 7: the rest of the line */
  if (n < v->min_args || n > v->max_args)
    return g_strdup (v->usage);
  for (guint i = 0; cmd.args[i] != NULL && !g_str_equal (v->keyword, "PASS"); i++)
    {
      guint number;

      if (strlen (cmd.args[i]) > ML_POP3_MAX_ARG)
        return hint ("an argument may have at most %d characters (RFC 1939 3)", ML_POP3_MAX_ARG);
      if (v->numeric && !ml_pop3_parse_number (cmd.args[i], &number))
        return hint ("\"%s\" is not a number: %s", cmd.args[i], v->usage);
      if (v->numeric && number == 0 && !(g_str_equal (v->keyword, "TOP") && i == 1))
        return hint ("messages are numbered from 1 (RFC 1939 5)");
    }
  if (state == NULL)
    return NULL;
  if (state->authenticated && v->states == IN_AUTHORIZATION)
    return hint ("%s belongs to the AUTHORIZATION state; you are already logged in (RFC 1939 4)",
                 v->keyword);
  if (!state->authenticated && v->states == IN_TRANSACTION)
    return hint ("%s is only allowed after logging in (USER and PASS): the TRANSACTION state "
                 "(RFC 1939 5)", v->keyword);
  return NULL;
}

/* ---- IMAP (RFC 3501 6, 9) ---- */

typedef enum {
  ANY = 0,
  NOT_AUTH,    /* not authenticated only */
  AUTH,        /* authenticated or selected */
  SELECTED,
} ImapState;

typedef struct {
  const char *verb;
  guint       min_args;   /* after the verb; literals count as one */
  guint       max_args;
  ImapState   state;
  gboolean    sequence;   /* the first argument is a sequence set */
  const char *usage;
} ImapVerb;

static const ImapVerb imap_table[] = {
  { "CAPABILITY", 0, 0, ANY, FALSE, "CAPABILITY takes no argument: a1 CAPABILITY" },
  { "NOOP", 0, 0, ANY, FALSE, "NOOP takes no argument: a1 NOOP" },
  { "LOGOUT", 0, 0, ANY, FALSE, "LOGOUT takes no argument: a1 LOGOUT" },
  { "ID", 1, 1, ANY, FALSE, "ID takes a list or NIL: a1 ID NIL" },
  { "STARTTLS", 0, 0, NOT_AUTH, FALSE, "STARTTLS takes no argument" },
  { "AUTHENTICATE", 1, 2, NOT_AUTH, FALSE, "AUTHENTICATE needs a mechanism: a1 AUTHENTICATE PLAIN" },
  { "LOGIN", 2, 2, NOT_AUTH, FALSE, "LOGIN needs a user name and a password: a1 LOGIN bob secret" },
  { "SELECT", 1, 1, AUTH, FALSE, "SELECT needs a mailbox: a1 SELECT INBOX" },
  { "EXAMINE", 1, 1, AUTH, FALSE, "EXAMINE needs a mailbox: a1 EXAMINE INBOX" },
  { "CREATE", 1, 1, AUTH, FALSE, "CREATE needs a mailbox name: a1 CREATE Projects" },
  { "DELETE", 1, 1, AUTH, FALSE, "DELETE needs a mailbox name: a1 DELETE Projects" },
  { "RENAME", 2, 2, AUTH, FALSE, "RENAME needs the old and the new name: a1 RENAME Projects Archive" },
  { "SUBSCRIBE", 1, 1, AUTH, FALSE, "SUBSCRIBE needs a mailbox: a1 SUBSCRIBE Projects" },
  { "UNSUBSCRIBE", 1, 1, AUTH, FALSE, "UNSUBSCRIBE needs a mailbox: a1 UNSUBSCRIBE Projects" },
  { "LIST", 2, 2, AUTH, FALSE, "LIST needs a reference and a pattern: a1 LIST \"\" *" },
  { "LSUB", 2, 2, AUTH, FALSE, "LSUB needs a reference and a pattern: a1 LSUB \"\" *" },
  { "STATUS", 2, 2, AUTH, FALSE, "STATUS needs a mailbox and items: a1 STATUS INBOX (MESSAGES UNSEEN)" },
  { "APPEND", 2, 4, AUTH, FALSE, "APPEND needs a mailbox and a message literal: a1 APPEND INBOX {12}" },
  { "NAMESPACE", 0, 0, AUTH, FALSE, "NAMESPACE takes no argument" },
  { "GETQUOTA", 1, 1, AUTH, FALSE, "GETQUOTA needs a quota root: a1 GETQUOTA \"\"" },
  { "GETQUOTAROOT", 1, 1, AUTH, FALSE, "GETQUOTAROOT needs a mailbox: a1 GETQUOTAROOT INBOX" },
  { "SETQUOTA", 2, 2, AUTH, FALSE, "SETQUOTA needs a root and limits: a1 SETQUOTA \"\" (STORAGE 512)" },
  { "IDLE", 0, 0, AUTH, FALSE, "IDLE takes no argument: a1 IDLE, then DONE" },
  { "ENABLE", 1, G_MAXUINT, AUTH, FALSE, "ENABLE needs a capability: a1 ENABLE UTF8=ACCEPT" },
  { "CHECK", 0, 0, SELECTED, FALSE, "CHECK takes no argument" },
  { "CLOSE", 0, 0, SELECTED, FALSE, "CLOSE takes no argument" },
  { "UNSELECT", 0, 0, SELECTED, FALSE, "UNSELECT takes no argument" },
  { "EXPUNGE", 0, 0, SELECTED, FALSE, "EXPUNGE takes no argument" },
  { "SEARCH", 1, G_MAXUINT, SELECTED, FALSE, "SEARCH needs criteria: a1 SEARCH UNSEEN" },
  { "FETCH", 2, G_MAXUINT, SELECTED, TRUE, "FETCH needs messages and items: a1 FETCH 1:* (FLAGS)" },
  { "STORE", 3, G_MAXUINT, SELECTED, TRUE, "STORE needs messages, an action and flags: a1 STORE 1 +FLAGS (\\Seen)" },
  { "COPY", 2, 2, SELECTED, TRUE, "COPY needs messages and a mailbox: a1 COPY 1 Archive" },
  { "MOVE", 2, 2, SELECTED, TRUE, "MOVE needs messages and a mailbox: a1 MOVE 1 Archive" },
  { "UID", 2, G_MAXUINT, SELECTED, FALSE, "UID goes before FETCH, STORE, COPY, MOVE, SEARCH or EXPUNGE: a1 UID FETCH 1:* FLAGS" },
};

static const ImapVerb *
find_imap_verb (const char *verb)
{
  for (gsize i = 0; i < G_N_ELEMENTS (imap_table); i++)
    if (g_ascii_strcasecmp (imap_table[i].verb, verb) == 0)
      return &imap_table[i];
  return NULL;
}

/* RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+">. */
static gboolean
is_tag (const char *text, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if ((guchar) text[i] <= 0x20 || (guchar) text[i] >= 0x7f || strchr ("(){%*\"\\+", text[i]) != NULL)
      return FALSE;
  return TRUE;
}

static char *
check_imap_state (const ImapVerb *v, const MlConsoleState *state)
{
  if (state == NULL)
    return NULL;
  switch (v->state)
    {
    case NOT_AUTH:
      if (state->authenticated)
        return hint ("%s is for the not-authenticated state; you are logged in (RFC 3501 6.2)", v->verb);
      break;
    case AUTH:
      if (!state->authenticated)
        return hint ("%s needs you to log in first: a1 LOGIN user password (RFC 3501 6.3)", v->verb);
      break;
    case SELECTED:
      if (!state->authenticated)
        return hint ("%s needs you to log in and SELECT a mailbox first (RFC 3501 6.4)", v->verb);
      if (!state->selected)
        return hint ("%s works on a selected mailbox: a1 SELECT INBOX first (RFC 3501 6.4)", v->verb);
      break;
    case ANY:
    default:
      break;
    }
  return NULL;
}

static char *
check_imap (const MlConsoleState *state, const char *line)
{
  g_autoptr(MlImapParser) parser = NULL;
  GPtrArray *args = NULL;
  MlImapParseStatus status;
  const char *sp = strchr (line, ' ');
  g_autofree char *first = g_strndup (line, sp != NULL ? (gsize) (sp - line) : strlen (line));
  const ImapVerb *v;
  const MlImapArg *verb_arg;
  const char *verb;
  guint skip = 2;

  if (state != NULL && state->idling)
    return g_ascii_strcasecmp (line, "DONE") == 0 ? NULL
           : hint ("the server is idling: only DONE ends IDLE (RFC 2177 3)");
  if (state != NULL && state->input == ML_CONSOLE_INPUT_CONTINUATION)
    return NULL;  /* a literal's octets or a SASL response */
  if (line[0] == '\0')
    return hint ("type a tag and a command: a1 CAPABILITY");
  if (strlen (line) + 2 > ML_IMAP_MAX_LINE)
    return hint ("a command line may have at most %d characters here (RFC 7162 4)",
                 ML_IMAP_MAX_LINE - 2);
  if (find_imap_verb (first) != NULL || g_ascii_strcasecmp (first, "DONE") == 0)
    return hint ("IMAP commands start with a tag: a1 %s", line);
  if (!is_tag (first, strlen (first)))
    return hint ("IMAP commands start with a tag: letters and digits like a1, then the command "
                 "(RFC 3501 2.2.1)");
  if (sp == NULL || sp[1] == '\0')
    return hint ("after the tag comes a command: %s CAPABILITY", first);

  parser = ml_imap_parser_new (0, 0);
  ml_imap_parser_feed (parser, (const guint8 *) line, strlen (line));
  ml_imap_parser_feed (parser, (const guint8 *) "\r\n", 2);
  status = ml_imap_parser_read_args (parser, &args);
  if (status == ML_IMAP_PARSE_ERROR)
    return hint ("%s (RFC 3501 9)", ml_imap_parser_get_error_message (parser));
  if (status == ML_IMAP_PARSE_NEED_MORE)
    return hint ("a quoted string or a list is not closed (RFC 3501 4.3, 4.4)");
  if (status == ML_IMAP_PARSE_LITERAL)
    {
      /* The line ends with "{n}": the rest of the command comes after the
       * server's "+" (RFC 3501 4.3), so only the verb can be judged. */
      const char *rest = sp + 1;
      g_autofree char *word = g_strndup (rest, strcspn (rest, " "));
      const ImapVerb *lv = find_imap_verb (word);

      if (lv == NULL)
        return hint ("%s is not an IMAP command this server knows: it will answer BAD (RFC 3501 6)", word);
      return check_imap_state (lv, state);
    }
  if (args == NULL || args->len < 2)
    return hint ("after the tag comes a command: %s CAPABILITY", first);
  verb_arg = args->pdata[1];
  if (verb_arg->kind != ML_IMAP_TOKEN_ATOM)
    return hint ("after the tag comes a command: %s CAPABILITY", first);
  verb = verb_arg->data;
  v = find_imap_verb (verb);
  if (v == NULL)
    return hint ("%s is not an IMAP command this server knows: it will answer BAD (RFC 3501 6)", verb);
  if (g_str_equal (v->verb, "UID"))
    {
      const MlImapArg *sub = args->len > 2 ? args->pdata[2] : NULL;
      static const char * const uid_ok[] = { "FETCH", "STORE", "COPY", "MOVE", "SEARCH", "EXPUNGE", NULL };
      g_autofree char *upper = NULL;

      if (sub == NULL || sub->kind != ML_IMAP_TOKEN_ATOM)
        return g_strdup (v->usage);
      upper = g_ascii_strup (sub->data, -1);
      if (!g_strv_contains (uid_ok, upper))
        return g_strdup (v->usage);
      v = find_imap_verb (upper);
      if (g_str_equal (upper, "EXPUNGE"))
        {
          /* RFC 4315 2.1: UID EXPUNGE takes a uid set. */
          if (args->len != 4)
            return hint ("UID EXPUNGE needs a UID set: a1 UID EXPUNGE 3:5");
          return check_imap_state (v, state);
        }
      skip = 3;
    }
  if (args->len - skip < v->min_args || args->len - skip > v->max_args)
    return g_strdup (v->usage);
  if (v->sequence)
    {
      const MlImapArg *set = args->pdata[skip];
      g_autoptr(MlImapSequenceSet) parsed = NULL;

      if (set->kind == ML_IMAP_TOKEN_ATOM)
        parsed = ml_imap_sequence_set_parse (set->data, set->len);
      if (parsed == NULL)
        return hint ("\"%s\" is not a message set: 1, 2:4, 1:* (RFC 3501 9 sequence-set)", set->data);
    }
  return check_imap_state (v, state);
}

char *
ml_console_check_line (MlProtocol protocol, const MlConsoleState *state, const char *line)
{
  g_return_val_if_fail (line != NULL, NULL);

  if (state != NULL && state->input == ML_CONSOLE_INPUT_CLOSED)
    return hint ("the connection is closed");
  if (strlen (line) + 2 > ML_CONSOLE_MAX_LINE)
    return hint ("the line is too long for the console (%d characters at most)", ML_CONSOLE_MAX_LINE - 2);
  if (has_control (line))
    return hint ("control characters cannot be typed into a command line");
  switch (protocol)
    {
    case ML_PROTO_SMTP:
      return check_smtp (state, line);
    case ML_PROTO_POP3:
      return check_pop3 (state, line);
    case ML_PROTO_IMAP:
      return check_imap (state, line);
    case ML_PROTO_NONE:
    case ML_PROTO_LMTP:
    case ML_PROTO_DNS:
    case ML_PROTO_TCP:
    default:
      return hint ("the console speaks SMTP, POP3 and IMAP");
    }
}

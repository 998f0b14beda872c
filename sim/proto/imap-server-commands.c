/* imap-server-commands.c — the IMAP server's command table and dispatch,
 * with the commands of any state (RFC 3501 6.1), of the not-authenticated
 * state (6.2), and the small extensions: ID (RFC 2971), NAMESPACE
 * (RFC 2342), QUOTA (RFC 9208).
 *
 * One handler per command, and a table saying in which states each may
 * run and how (RFC 3501 3, 7.4.1). The dispatcher answers what the table
 * rules out, so a handler deals only with its own arguments.
 */
#define G_LOG_DOMAIN "ml-imap-server"

#include <string.h>
#include "proto/imap-server-private.h"

static void cmd_capability   (MlImapServer *self, GPtrArray *args, guint first);
static void cmd_noop         (MlImapServer *self, GPtrArray *args, guint first);
static void cmd_logout       (MlImapServer *self, GPtrArray *args, guint first);
static void cmd_id           (MlImapServer *self, GPtrArray *args, guint first);
static void cmd_namespace    (MlImapServer *self, GPtrArray *args, guint first);
static void cmd_getquota     (MlImapServer *self, GPtrArray *args, guint first);
static void cmd_getquotaroot (MlImapServer *self, GPtrArray *args, guint first);
static void cmd_setquota     (MlImapServer *self, GPtrArray *args, guint first);
static gboolean has_big_literal (GPtrArray *args, const MlImapArg *skip);

#define ANY       ML_IMAP_ALLOW_ANY
#define NOT_AUTH  ML_IMAP_ALLOW_NOT_AUTH
#define AUTHED    ML_IMAP_ALLOW_AUTHED
#define SELECTED  ML_IMAP_ALLOW_SELECTED

/* RFC 3501 6: which state each command belongs to. */
static const MlImapCommand imap_commands[] = {
  /* 6.1 any state */
  { "CAPABILITY",   cmd_capability,        ANY,      ML_IMAP_CMD_NONE },
  { "NOOP",         cmd_noop,              ANY,      ML_IMAP_CMD_NONE },
  { "LOGOUT",       cmd_logout,            ANY,      ML_IMAP_CMD_NONE },
  { "ID",           cmd_id,                ANY,      ML_IMAP_CMD_NONE },   /* RFC 2971 3.1 */
  /* 6.2 not authenticated */
  { "STARTTLS",     _ml_imap_cmd_starttls,     NOT_AUTH, ML_IMAP_CMD_NONE },
  { "AUTHENTICATE", _ml_imap_cmd_authenticate, NOT_AUTH, ML_IMAP_CMD_NONE },
  { "LOGIN",        _ml_imap_cmd_login,        NOT_AUTH, ML_IMAP_CMD_NONE },
  /* 6.3 authenticated (and selected) */
  { "SELECT",       _ml_imap_cmd_select,      AUTHED, ML_IMAP_CMD_NONE },
  { "EXAMINE",      _ml_imap_cmd_examine,     AUTHED, ML_IMAP_CMD_NONE },
  { "CREATE",       _ml_imap_cmd_create,      AUTHED, ML_IMAP_CMD_NONE },
  { "DELETE",       _ml_imap_cmd_delete,      AUTHED, ML_IMAP_CMD_NONE },
  { "RENAME",       _ml_imap_cmd_rename,      AUTHED, ML_IMAP_CMD_NONE },
  { "SUBSCRIBE",    _ml_imap_cmd_subscribe,   AUTHED, ML_IMAP_CMD_NONE },
  { "UNSUBSCRIBE",  _ml_imap_cmd_unsubscribe, AUTHED, ML_IMAP_CMD_NONE },
  { "LIST",         _ml_imap_cmd_list,        AUTHED, ML_IMAP_CMD_NONE },
  { "LSUB",         _ml_imap_cmd_lsub,        AUTHED, ML_IMAP_CMD_NONE },
  { "STATUS",       _ml_imap_cmd_status,      AUTHED, ML_IMAP_CMD_NONE },
  { "APPEND",       _ml_imap_cmd_append,      AUTHED, ML_IMAP_CMD_NONE },
  { "NAMESPACE",    cmd_namespace,            AUTHED, ML_IMAP_CMD_NONE },  /* RFC 2342 5 */
  { "GETQUOTA",     cmd_getquota,             AUTHED, ML_IMAP_CMD_NONE },  /* RFC 9208 4.2 */
  { "GETQUOTAROOT", cmd_getquotaroot,         AUTHED, ML_IMAP_CMD_NONE },  /* RFC 9208 4.3 */
  { "SETQUOTA",     cmd_setquota,             AUTHED, ML_IMAP_CMD_NONE },  /* RFC 9208 4.1 */
  { "IDLE",         _ml_imap_cmd_idle,        AUTHED, ML_IMAP_CMD_NONE },  /* RFC 2177 3 */
  /* 6.4 selected */
  { "CHECK",        _ml_imap_cmd_check,       SELECTED, ML_IMAP_CMD_NONE },
  { "CLOSE",        _ml_imap_cmd_close,       SELECTED, ML_IMAP_CMD_NONE },
  { "UNSELECT",     _ml_imap_cmd_unselect,    SELECTED, ML_IMAP_CMD_NONE },  /* RFC 3691 */
  /* UID EXPUNGE is RFC 4315 2.1; plain EXPUNGE is RFC 3501 6.4.3. */
  { "EXPUNGE",      _ml_imap_cmd_expunge,     SELECTED, ML_IMAP_CMD_UID | ML_IMAP_CMD_WRITES },
  { "SEARCH",       _ml_imap_cmd_search,      SELECTED, ML_IMAP_CMD_UID | ML_IMAP_CMD_NO_EXPUNGE },
  { "FETCH",        _ml_imap_cmd_fetch,       SELECTED, ML_IMAP_CMD_UID | ML_IMAP_CMD_NO_EXPUNGE },
  { "STORE",        _ml_imap_cmd_store,       SELECTED,
    ML_IMAP_CMD_UID | ML_IMAP_CMD_NO_EXPUNGE | ML_IMAP_CMD_WRITES },
  { "COPY",         _ml_imap_cmd_copy,        SELECTED, ML_IMAP_CMD_UID },
  { "MOVE",         _ml_imap_cmd_move,        SELECTED, ML_IMAP_CMD_UID | ML_IMAP_CMD_WRITES }, /* RFC 6851 */
};

static const MlImapCommand *
lookup_command (const char *name)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (imap_commands); i++)
    if (g_ascii_strcasecmp (imap_commands[i].name, name) == 0)
      return &imap_commands[i];
  return NULL;
}

/* RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+"> */
static gboolean
tag_is_valid (const MlImapArg *arg)
{
  gsize i;

  if (arg == NULL || arg->kind != ML_IMAP_TOKEN_ATOM)
    return arg != NULL && arg->kind == ML_IMAP_TOKEN_NIL;
  for (i = 0; i < arg->len; i++)
    if (strchr ("%*\\+", arg->data[i]) != NULL)
      return FALSE;
  return arg->len > 0;
}

static void
push_command_event (MlImapServer *self, const char *verb, const MlImapArg *args_start,
                    const char *explain_key)
{
  MlEngineEvent *event = _ml_imap_server_event_new (ML_ENGINE_EVENT_COMMAND, FALSE);
  gsize len = 0;
  const char *raw = (const char *) ml_imap_parser_get_raw (self->parser, &len);

  /* The line without its final CRLF (or bare LF). */
  if (len > 0 && raw[len - 1] == '\n')
    len--;
  if (len > 0 && raw[len - 1] == '\r')
    len--;
  event->line = _ml_imap_dup_event_text (raw, len);
  event->verb = g_strdup (verb);
  if (verb != NULL)
    {
      gsize off = args_start != NULL ? MIN (args_start->offset, len) : len;

      event->args = _ml_imap_dup_event_text (raw + off, len - off);
    }
  event->explain_key = g_strdup (explain_key);
  _ml_imap_server_push_event (self, event);
}

static const char *
state_refusal (MlImapServer *self, const MlImapCommand *cmd)
{
  if (self->state == ML_IMAP_SERVER_STATE_NOT_AUTHENTICATED)
    return "Log in first";
  if ((cmd->allowed & ML_IMAP_ALLOW_SELECTED) && !(cmd->allowed & ML_IMAP_ALLOW_AUTH))
    return "Select a mailbox first";
  return "Not allowed after logging in";
}

void
_ml_imap_server_dispatch (MlImapServer *self, GPtrArray *args)
{
  const MlImapArg *tag = args->len > 0 ? g_ptr_array_index (args, 0) : NULL;
  const MlImapArg *name = args->len > 1 ? g_ptr_array_index (args, 1) : NULL;
  const MlImapCommand *cmd = NULL;
  g_autofree char *verb = NULL;
  g_autofree char *key = NULL;
  guint first = 2;

  g_clear_pointer (&self->tag, g_free);
  self->command = NULL;
  self->uid_command = FALSE;

  if (args->len == 0)
    {
      /* An empty line: nothing to answer to, as in Dovecot; RFC 3501 has
       * no command without a tag. */
      push_command_event (self, NULL, NULL, "imap.unknown");
      _ml_imap_server_status (self, NULL, ML_IMAP_BAD, NULL, "Empty command line");
      return;
    }
  if (!tag_is_valid (tag))
    {
      push_command_event (self, NULL, NULL, "imap.unknown");
      _ml_imap_server_status (self, NULL, ML_IMAP_BAD, NULL, "Invalid tag");
      return;
    }
  self->tag = g_strdup (tag->data);
  if (name == NULL || (name->kind != ML_IMAP_TOKEN_ATOM))
    {
      push_command_event (self, NULL, NULL, "imap.unknown");
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Missing command");
      return;
    }

  verb = g_ascii_strup (name->data, -1);
  if (strcmp (verb, "UID") == 0)
    {
      const MlImapArg *sub = args->len > 2 ? g_ptr_array_index (args, 2) : NULL;

      /* RFC 3501 6.4.8: UID COPY, FETCH, STORE, SEARCH; RFC 4315 UID
       * EXPUNGE; RFC 6851 UID MOVE. */
      if (sub != NULL && sub->kind == ML_IMAP_TOKEN_ATOM)
        {
          g_autofree char *sub_up = g_ascii_strup (sub->data, -1);

          cmd = lookup_command (sub_up);
          g_free (verb);
          verb = g_strconcat ("UID ", sub_up, NULL);
          if (cmd == NULL || !(cmd->flags & ML_IMAP_CMD_UID))
            cmd = NULL;
          first = 3;
        }
      if (cmd == NULL)
        {
          push_command_event (self, verb, args->len > first ? g_ptr_array_index (args, first) : NULL,
                              "imap.unknown");
          _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Unknown UID command");
          return;
        }
      self->uid_command = TRUE;
      key = g_ascii_strdown (verb, -1);
      key[3] = '.';
    }
  else
    {
      cmd = lookup_command (verb);
      key = g_ascii_strdown (verb, -1);
    }

  {
    g_autofree char *explain = g_strconcat ("imap.", cmd != NULL ? key : "unknown", NULL);

    push_command_event (self, verb, args->len > first ? g_ptr_array_index (args, first) : NULL,
                        explain);
  }
  if (cmd == NULL)
    {
      /* RFC 3501 7.1.3: BAD for a command the server does not know. */
      _ml_imap_server_complete (self, ML_IMAP_BAD, "CLIENTBUG", "Unknown command %s", verb);
      return;
    }
  if (!(cmd->allowed & (1u << self->state)))
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, "CLIENTBUG", "%s", state_refusal (self, cmd));
      return;
    }
  if ((cmd->flags & ML_IMAP_CMD_WRITES) && self->view != NULL && self->view->read_only)
    {
      /* EXAMINE, RFC 3501 6.3.2: nothing may change. */
      _ml_imap_server_complete (self, ML_IMAP_NO, "READ-ONLY", "Mailbox is read-only");
      return;
    }
  if (has_big_literal (args, cmd->func == _ml_imap_cmd_append && args->len > first
                              ? g_ptr_array_index (args, args->len - 1) : NULL))
    {
      /* The same answer as when the literal is refused before its octets. */
      _ml_imap_server_complete (self, ML_IMAP_BAD, "TOOBIG", "Literal larger than %u octets",
                                (guint) ML_IMAP_MAX_COMMAND_LITERAL);
      return;
    }
  self->command = cmd;
  cmd->func (self, args, first);
  if (!self->idling && !self->auth_pending)
    {
      self->command = NULL;
      self->uid_command = FALSE;
    }
}

/* A literal over the limit for a command that is not APPEND's message
 * (RFC 7888 4: such literals can be kept small). */
static gboolean
has_big_literal (GPtrArray *args, const MlImapArg *skip)
{
  guint i;

  for (i = 0; i < args->len; i++)
    {
      const MlImapArg *arg = g_ptr_array_index (args, i);

      if (arg == skip)
        continue;
      if (arg->kind == ML_IMAP_TOKEN_LITERAL && arg->len > ML_IMAP_MAX_COMMAND_LITERAL)
        return TRUE;
      if (arg->kind == ML_IMAP_TOKEN_LIST && has_big_literal (arg->children, NULL))
        return TRUE;
    }
  return FALSE;
}

gboolean
_ml_imap_server_check_literal (MlImapServer *self, GPtrArray *args_so_far, guint64 size,
                               gboolean nonsync)
{
  const MlImapArg *tag = args_so_far != NULL && args_so_far->len > 0
                         ? g_ptr_array_index (args_so_far, 0) : NULL;
  const MlImapArg *name = args_so_far != NULL && args_so_far->len > 1
                          ? g_ptr_array_index (args_so_far, 1) : NULL;
  gboolean is_append = name != NULL && name->kind == ML_IMAP_TOKEN_ATOM
                       && g_ascii_strcasecmp (name->data, "APPEND") == 0
                       && self->state >= ML_IMAP_SERVER_STATE_AUTHENTICATED
                       && self->state <= ML_IMAP_SERVER_STATE_SELECTED
                       && tag_is_valid (tag);
  guint queued = g_queue_get_length (&self->events);
  MlEngineEvent *event;
  gboolean ok;

  g_clear_pointer (&self->tag, g_free);
  self->tag = tag_is_valid (tag) ? g_strdup (tag->data) : NULL;
  self->command = NULL;
  /* APPEND's message (after tag, APPEND and the mailbox) may be large;
   * every other literal is an astring or a search string. */
  if (is_append && args_so_far->len >= 3)
    ok = _ml_imap_server_check_append_literal (self, args_so_far, size);
  else if (size <= ML_IMAP_MAX_COMMAND_LITERAL)
    ok = TRUE;
  else
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, "TOOBIG", "Literal larger than %u octets",
                                (guint) ML_IMAP_MAX_COMMAND_LITERAL);
      ok = FALSE;
    }
  if (!ok)
    {
      /* The command as far as it came, before the answer to it. */
      push_command_event (self, is_append ? "APPEND" : NULL,
                          is_append ? g_ptr_array_index (args_so_far, 2) : NULL,
                          is_append ? "imap.append" : "imap.unknown");
      event = g_queue_pop_tail (&self->events);
      g_queue_push_nth (&self->events, event, (gint) queued);
    }
  g_clear_pointer (&self->tag, g_free);
  return ok;
}

/* ---- argument helpers ---- */

gboolean
_ml_imap_server_no_more_args (MlImapServer *self, GPtrArray *args, guint i)
{
  if (args->len > i)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Too many arguments");
      return FALSE;
    }
  return TRUE;
}

gboolean
_ml_imap_server_get_astring (MlImapServer *self, GPtrArray *args, guint i,
                             const char **out, gsize *len)
{
  const MlImapArg *arg = args->len > i ? g_ptr_array_index (args, i) : NULL;

  if (arg == NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Missing argument");
      return FALSE;
    }
  if (!ml_imap_arg_get_astring (arg, out, len))
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Expected a string");
      return FALSE;
    }
  return TRUE;
}

gboolean
_ml_imap_server_get_mailbox (MlImapServer *self, GPtrArray *args, guint i, char **out)
{
  const char *name = NULL;
  gsize len = 0;

  if (!_ml_imap_server_get_astring (self, args, i, &name, &len))
    return FALSE;
  if (memchr (name, '\0', len) != NULL || memchr (name, '\r', len) != NULL
      || memchr (name, '\n', len) != NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid mailbox name");
      return FALSE;
    }
  /* RFC 3501 5.1: INBOX is case-insensitive, every other name is not. */
  if (g_ascii_strcasecmp (name, "INBOX") == 0)
    *out = g_strdup ("INBOX");
  else
    *out = g_strndup (name, len);
  return TRUE;
}

MlImapSequenceSet *
_ml_imap_server_get_sequence_set (MlImapServer *self, GPtrArray *args, guint i)
{
  const MlImapArg *arg = args->len > i ? g_ptr_array_index (args, i) : NULL;
  MlImapSequenceSet *set;

  if (arg == NULL || arg->kind != ML_IMAP_TOKEN_ATOM
      || (set = ml_imap_sequence_set_parse (arg->data, arg->len)) == NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid sequence set");
      return NULL;
    }
  return set;
}

static const struct {
  const char    *name;
  MlMessageFlags flag;
} system_flags[] = {
  { "\\Seen",     ML_FLAG_SEEN },
  { "\\Answered", ML_FLAG_ANSWERED },
  { "\\Flagged",  ML_FLAG_FLAGGED },
  { "\\Deleted",  ML_FLAG_DELETED },
  { "\\Draft",    ML_FLAG_DRAFT },
};

static gboolean
parse_one_flag (const MlImapArg *arg, MlMessageFlags *flags, GPtrArray *keywords)
{
  gsize i;

  if (arg->kind != ML_IMAP_TOKEN_ATOM && arg->kind != ML_IMAP_TOKEN_NIL)
    return FALSE;
  if (arg->data[0] == '\\')
    {
      /* RFC 3501 9: flag excludes \Recent, which only the server sets
       * (2.3.2); other "\" words are extensions we do not know. */
      for (i = 0; i < G_N_ELEMENTS (system_flags); i++)
        if (g_ascii_strcasecmp (arg->data, system_flags[i].name) == 0)
          {
            *flags |= system_flags[i].flag;
            return TRUE;
          }
      return FALSE;
    }
  /* flag-keyword = atom: no "]" (resp-specials) either. */
  if (strchr (arg->data, ']') != NULL || strchr (arg->data, '%') != NULL
      || strchr (arg->data, '*') != NULL)
    return FALSE;
  if (keywords != NULL)
    {
      for (i = 0; i < keywords->len; i++)
        if (g_ascii_strcasecmp (g_ptr_array_index (keywords, i), arg->data) == 0)
          return TRUE;
      g_ptr_array_add (keywords, g_strdup (arg->data));
    }
  return TRUE;
}

gboolean
_ml_imap_server_parse_flags (MlImapServer *self, const MlImapArg *arg, gboolean allow_single,
                             MlMessageFlags *flags, GPtrArray *keywords)
{
  guint i;

  *flags = 0;
  if (arg == NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Missing flags");
      return FALSE;
    }
  if (arg->kind != ML_IMAP_TOKEN_LIST)
    {
      if (allow_single && parse_one_flag (arg, flags, keywords))
        return TRUE;
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid flag list");
      return FALSE;
    }
  for (i = 0; i < arg->children->len; i++)
    if (!parse_one_flag (g_ptr_array_index (arg->children, i), flags, keywords))
      {
        const MlImapArg *bad = g_ptr_array_index (arg->children, i);

        _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid flag %s",
                                  bad->kind == ML_IMAP_TOKEN_LIST ? "(…)" : bad->data);
        return FALSE;
      }
  return TRUE;
}

/* ---- any state (RFC 3501 6.1) ---- */

static void
cmd_capability (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autofree char *caps = NULL;

  if (!_ml_imap_server_no_more_args (self, args, first))
    return;
  caps = _ml_imap_server_dup_capabilities (self);
  _ml_imap_server_untagged (self, "CAPABILITY", "CAPABILITY %s", caps);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "CAPABILITY completed");
}

static void
cmd_noop (MlImapServer *self, GPtrArray *args, guint first)
{
  if (!_ml_imap_server_no_more_args (self, args, first))
    return;
  /* RFC 3501 6.1.2: nothing, and so the moment for held updates. */
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "NOOP completed");
}

static void
cmd_logout (MlImapServer *self, GPtrArray *args, guint first)
{
  if (!_ml_imap_server_no_more_args (self, args, first))
    return;
  /* RFC 3501 6.1.3: BYE first, then the tagged OK, then close. */
  _ml_imap_server_status (self, NULL, ML_IMAP_BYE, NULL, "%s logging out", self->config.hostname);
  _ml_imap_server_drop_view (self);
  _ml_imap_server_status (self, self->tag, ML_IMAP_OK, NULL, "LOGOUT completed");
  _ml_imap_server_close (self, "logout");
}

/* RFC 2971 3.3: "(" string SP nstring *(SP string SP nstring) ")" / NIL */
static void
cmd_id (MlImapServer *self, GPtrArray *args, guint first)
{
  const MlImapArg *arg = args->len > first ? g_ptr_array_index (args, first) : NULL;
  guint i;

  if (arg == NULL || (arg->kind != ML_IMAP_TOKEN_NIL && arg->kind != ML_IMAP_TOKEN_LIST))
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "ID takes a list or NIL");
      return;
    }
  if (!_ml_imap_server_no_more_args (self, args, first + 1))
    return;
  if (arg->kind == ML_IMAP_TOKEN_LIST)
    {
      GPtrArray *kids = arg->children;

      if (kids->len % 2 != 0 || kids->len / 2 > ML_IMAP_ID_MAX_PAIRS)
        {
          _ml_imap_server_complete (self, ML_IMAP_BAD, NULL,
                                    "ID takes up to %u field-value pairs", ML_IMAP_ID_MAX_PAIRS);
          return;
        }
      for (i = 0; i < kids->len; i += 2)
        {
          const char *field = NULL, *value = NULL;
          gsize flen = 0, vlen = 0;

          if (!ml_imap_arg_get_string (g_ptr_array_index (kids, i), &field, &flen)
              || !ml_imap_arg_get_nstring (g_ptr_array_index (kids, i + 1), &value, &vlen)
              || flen > ML_IMAP_ID_MAX_FIELD || vlen > ML_IMAP_ID_MAX_VALUE)
            {
              _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid ID field or value");
              return;
            }
        }
    }
  _ml_imap_server_untagged (self, "ID", "ID (\"name\" \"maillab\" \"vendor\" \"maillab\""
                                        " \"support-url\" \"https://www.rfc-editor.org/rfc/rfc3501\")");
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "ID completed");
}

/* ---- not authenticated (RFC 3501 6.2) ---- */

void
_ml_imap_server_login (MlImapServer *self, MlAccount *account, const char *how)
{
  self->account = account;
  _ml_imap_server_transaction (self, "imap.transaction.login", "%s logged in (%s)",
                               ml_account_get_address (account), how);
  _ml_imap_server_set_state (self, ML_IMAP_SERVER_STATE_AUTHENTICATED);
}

/* ---- NAMESPACE (RFC 2342) and QUOTA (RFC 9208) ---- */

static void
cmd_namespace (MlImapServer *self, GPtrArray *args, guint first)
{
  if (!_ml_imap_server_no_more_args (self, args, first))
    return;
  /* RFC 2342 5: one personal namespace with the empty prefix; no other
   * users' and no shared namespaces. */
  _ml_imap_server_untagged (self, "NAMESPACE", "NAMESPACE ((\"\" \"%c\")) NIL NIL",
                            ML_MAILBOX_DELIMITER);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "NAMESPACE completed");
}

static void
send_quota (MlImapServer *self)
{
  guint64 used = ml_account_get_usage (self->account);
  guint64 limit = ml_account_get_quota (self->account);

  /* RFC 9208 5.1: "* QUOTA" root SP "(" [resource usage limit] ")";
   * STORAGE counts units of 1024 octets. No limit, no resource. */
  if (limit > 0)
    _ml_imap_server_untagged (self, "QUOTA", "QUOTA \"\" (STORAGE %" G_GUINT64_FORMAT
                              " %" G_GUINT64_FORMAT ")", (used + 1023) / 1024, limit / 1024);
  else
    _ml_imap_server_untagged (self, "QUOTA", "QUOTA \"\" ()");
}

static void
cmd_getquota (MlImapServer *self, GPtrArray *args, guint first)
{
  const char *root = NULL;
  gsize len = 0;

  if (!_ml_imap_server_get_astring (self, args, first, &root, &len)
      || !_ml_imap_server_no_more_args (self, args, first + 1))
    return;
  /* One quota root per account, the empty name (RFC 9208 3.2). */
  if (len != 0)
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "NONEXISTENT", "No such quota root");
      return;
    }
  send_quota (self);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "GETQUOTA completed");
}

static void
cmd_getquotaroot (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autofree char *name = NULL;
  GString *line;

  if (!_ml_imap_server_get_mailbox (self, args, first, &name)
      || !_ml_imap_server_no_more_args (self, args, first + 1))
    return;
  if (ml_account_find_mailbox (self->account, name) == NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "NONEXISTENT", "No such mailbox");
      return;
    }
  /* RFC 9208 5.2: "* QUOTAROOT" mailbox *(SP root) */
  line = g_string_new (NULL);
  ml_imap_append_astring (line, name, strlen (name));
  _ml_imap_server_untagged (self, "QUOTAROOT", "QUOTAROOT %s \"\"", line->str);
  g_string_free (line, TRUE);
  send_quota (self);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "GETQUOTAROOT completed");
}

static void
cmd_setquota (MlImapServer *self, GPtrArray *args, guint first)
{
  /* RFC 9208 4.1: limits are the administrator's; a user may not raise
   * them. Not advertised as QUOTASET. */
  _ml_imap_server_complete (self, ML_IMAP_NO, "NOPERM", "Quota limits are set by the administrator");
}

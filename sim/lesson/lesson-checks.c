/* lesson-checks.c — a lesson's `checks`: what the run must have done,
 * graded on the final state (mailboxes, devices) and on the dialogue
 * (order of commands, replies, states). Each names its kind with `check`;
 * the second pass makes sure the keys that kind needs are there and point
 * at accounts and hosts the lesson has.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>

#include "lesson/lesson-private.h"
#include "lesson/lesson-mailauth.h"
#include "mail/mail-store.h"

#define MAX_POINTS   100
#define MAX_COUNT    100000  /* messages a check may expect */
#define MAX_VERB     16      /* RFC 5321 4.1.1, RFC 1939 3, RFC 3501 9 */
#define MAX_STATE    32

#define F(member) G_STRUCT_OFFSET (MlLessonCheck, member)

/* Indexed by MlLessonCheckKind. */
static const char *const kind_names[] = {
  "mailbox-count", "flag", "device-count", "order", "reply", "state", "deleted-kept", "header",
  NULL
};

const char *
ml_lesson_check_kind_to_string (MlLessonCheckKind kind)
{
  if ((gsize) kind >= G_N_ELEMENTS (kind_names) - 1)
    return "unknown";
  return kind_names[kind];
}

static gpointer
check_alloc (void)
{
  MlLessonCheck *c = g_new0 (MlLessonCheck, 1);

  c->points = 1;
  c->present = TRUE;
  c->count = G_MAXUINT;
  return c;
}

void
_ml_lesson_check_free (gpointer data)
{
  MlLessonCheck *c = data;

  g_free (c->id);
  g_free (c->description);
  g_free (c->account);
  g_free (c->mailbox);
  g_free (c->subject);
  g_free (c->flag);
  g_free (c->host);
  g_free (c->first);
  g_free (c->then);
  g_free (c->command);
  g_free (c->status);
  g_free (c->state);
  g_free (c->name);
  g_free (c->contains);
  g_free (c);
}

static gboolean
parse_kind (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
            const MlLessonField *field, gpointer dest, GError **error)
{
  gsize i;

  if (!_ml_lesson_check_choice (ld, node, path, kind_names, G_N_ELEMENTS (kind_names) - 1,
                                "a kind of check", &i, error))
    return FALSE;
  *(MlLessonCheckKind *) dest = (MlLessonCheckKind) i;
  return TRUE;
}

static const char *const protocol_names[] = { "smtp", "pop3", "imap", "lmtp", NULL };
static const MlProtocol protocols[] = { ML_PROTO_SMTP, ML_PROTO_POP3, ML_PROTO_IMAP, ML_PROTO_LMTP };

static gboolean
parse_protocol (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                const MlLessonField *field, gpointer dest, GError **error)
{
  gsize i;

  if (!_ml_lesson_check_choice (ld, node, path, protocol_names,
                                G_N_ELEMENTS (protocol_names) - 1, "a mail protocol", &i, error))
    return FALSE;
  *(MlProtocol *) dest = protocols[i];
  return TRUE;
}

/* A word as the engines trace it (a verb, a state): letters, digits, '-'. */
static gboolean
parse_word (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
            gsize max, gboolean upper, char **out, GError **error)
{
  g_autofree char *text = NULL;
  const MlLessonField field = { 0 };

  if (!_ml_lesson_parse_line (ld, node, path, &field, &text, error))
    return FALSE;
  if (strlen (text) > max)
    goto bad;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      goto bad;
  g_free (*out);
  *out = upper ? g_ascii_strup (text, -1) : g_ascii_strdown (text, -1);
  return TRUE;

bad:
  {
    g_autofree char *q = _ml_lesson_quote (node);
    return _ml_lesson_fail (ld, node, path, error, "%s is not a single word like %s",
                            q, upper ? "STARTTLS or RCPT" : "update or selected");
  }
}

static gboolean
parse_verb (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
            const MlLessonField *field, gpointer dest, GError **error)
{
  return parse_word (ld, node, path, MAX_VERB, TRUE, dest, error);
}

static gboolean
parse_state (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
             const MlLessonField *field, gpointer dest, GError **error)
{
  return parse_word (ld, node, path, MAX_STATE, FALSE, dest, error);
}

/* POP3 +OK/-ERR (RFC 1939 3), IMAP OK/NO/BAD (RFC 3501 7.1). */
static gboolean
parse_status (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
              const MlLessonField *field, gpointer dest, GError **error)
{
  static const char *const statuses[] = { "+OK", "-ERR", "OK", "NO", "BAD", NULL };
  gsize i;

  if (!_ml_lesson_check_choice (ld, node, path, statuses, G_N_ELEMENTS (statuses) - 1,
                                "a POP3 or IMAP status", &i, error))
    return FALSE;
  g_free (*(char **) dest);
  *(char **) dest = g_strdup (statuses[i]);
  return TRUE;
}

static gboolean
parse_flag (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
            const MlLessonField *field, gpointer dest, GError **error)
{
  char *flag = NULL;

  if (!_ml_lesson_check_flag (ld, node, path, &flag, error))
    return FALSE;
  g_free (*(char **) dest);
  *(char **) dest = flag;
  return TRUE;
}

/* RFC 5322 3.6.8: field-name = 1*ftext, printable ASCII but ':'. */
static gboolean
parse_field_name (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                  const MlLessonField *field, gpointer dest, GError **error)
{
  g_autofree char *text = NULL;

  if (!_ml_lesson_parse_line (ld, node, path, field, &text, error))
    return FALSE;
  for (const char *p = text; *p; p++)
    if (*p <= 32 || *p >= 127 || *p == ':')
      return _ml_lesson_fail (ld, node, path, error, "'%s' is not a header field name "
                              "like Authentication-Results (RFC 5322 3.6.8)", text);
  g_free (*(char **) dest);
  *(char **) dest = g_steal_pointer (&text);
  return TRUE;
}

static const MlLessonField check_fields[] = {
  { "id",          _ml_lesson_parse_line,      F (id),          FALSE },
  { "check",       parse_kind,                 F (kind),        TRUE },
  { "description", _ml_lesson_parse_text,      F (description), TRUE },
  { "points",      _ml_lesson_parse_uint,      F (points),      FALSE, 1, MAX_POINTS },
  /* Which of these a kind needs is checked in the second pass. */
  { "account",     _ml_lesson_parse_address,   F (account),     FALSE },
  { "mailbox",     _ml_lesson_parse_line,      F (mailbox),     FALSE },
  { "count",       _ml_lesson_parse_uint,      F (count),       FALSE, 0, MAX_COUNT },
  { "subject",     _ml_lesson_parse_line,      F (subject),     FALSE },
  { "flag",        parse_flag,                 F (flag),        FALSE },
  { "present",     _ml_lesson_parse_bool,      F (present),     FALSE },
  { "host",        _ml_lesson_parse_host_name, F (host),        FALSE },
  { "protocol",    parse_protocol,             F (protocol),    FALSE },
  { "first",       parse_verb,                 F (first),       FALSE },
  { "then",        parse_verb,                 F (then),        FALSE },
  { "command",     parse_verb,                 F (command),     FALSE },
  { "code",        _ml_lesson_parse_uint,      F (code),        FALSE, 200, 599 },
  { "status",      parse_status,               F (status),      FALSE },
  { "state",       parse_state,                F (state),       FALSE },
  { "name",        parse_field_name,           F (name),        FALSE },
  { "contains",    _ml_lesson_parse_line,      F (contains),    FALSE },
};

static void
check_free (gpointer data)
{
  _ml_lesson_check_free (data);
}

const MlLessonElementType _ml_lesson_check_type =
  ML_LESSON_ELEMENT (MlLessonCheck, check_fields, check);

#undef F

/* The keys each kind needs, and the ones it may have besides. */
typedef struct {
  const char *needs[4];
  const char *may[3];
} KindKeys;

static const KindKeys kind_keys[] = {
  [ML_LESSON_CHECK_MAILBOX_COUNT] = { { "account", "count" }, { "mailbox" } },
  [ML_LESSON_CHECK_FLAG]          = { { "account", "subject", "flag" }, { "mailbox", "present" } },
  [ML_LESSON_CHECK_DEVICE_COUNT]  = { { "host", "count" }, { NULL } },
  [ML_LESSON_CHECK_ORDER]         = { { "protocol", "first", "then" }, { NULL } },
  [ML_LESSON_CHECK_REPLY]         = { { "protocol", "command" }, { "code", "status" } },
  [ML_LESSON_CHECK_STATE]         = { { "protocol", "state" }, { NULL } },
  [ML_LESSON_CHECK_DELETED_KEPT]  = { { "account" }, { "mailbox" } },
  [ML_LESSON_CHECK_HEADER]        = { { "account", "subject", "name", "contains" },
                                      { "mailbox", "present" } },
};

static const char *const kind_specific_keys[] = {
  "account", "mailbox", "count", "subject", "flag", "present", "host", "protocol",
  "first", "then", "command", "code", "status", "state", "name", "contains",
};

static gboolean
listed (const char *const *keys, gsize n, const char *key)
{
  for (gsize i = 0; i < n && keys[i] != NULL; i++)
    if (strcmp (keys[i], key) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
check_one (MlLessonLoader *ld, MlLessonCheck *c, guint i, GHashTable *ids, GError **error)
{
  const MlLesson *lesson = ld->lesson;
  const MlYamlNode *group = g_hash_table_lookup (ld->origin, c);
  const KindKeys *keys = &kind_keys[c->kind];
  const char *kind = ml_lesson_check_kind_to_string (c->kind);
  g_autofree char *path = g_strdup_printf ("checks[%u]", i + 1);

  if (c->id == NULL)
    c->id = g_strdup_printf ("c%u", i + 1);
  if (g_hash_table_contains (ids, c->id))
    return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, c, "id"), path, error,
                            "another check already has the id '%s'", c->id);
  g_hash_table_add (ids, c->id);

  for (gsize k = 0; k < G_N_ELEMENTS (kind_specific_keys); k++)
    {
      const char *key = kind_specific_keys[k];
      const MlYamlNode *at = ml_yaml_node_lookup (group, key);
      gboolean needed = listed (keys->needs, G_N_ELEMENTS (keys->needs), key);

      if (at == NULL && needed)
        return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, c, "check"), path, error,
                                "a '%s' check needs '%s'", kind, key);
      if (at != NULL && !needed && !listed (keys->may, G_N_ELEMENTS (keys->may), key))
        {
          g_autofree char *sub = g_strdup_printf ("%s.%s", path, key);
          return _ml_lesson_fail (ld, at, sub, error, "a '%s' check has no '%s'", kind, key);
        }
    }

  if (c->account != NULL)
    {
      gboolean known = FALSE;

      for (guint a = 0; a < lesson->accounts->len; a++)
        known |= g_ascii_strcasecmp (((MlLessonAccount *) lesson->accounts->pdata[a])->address,
                                     c->account) == 0;
      if (!known)
        {
          g_autofree char *sub = g_strdup_printf ("%s.account", path);
          return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, c, "account"), sub, error,
                                  "'%s' is not among the lesson's accounts", c->account);
        }
    }
  if (c->mailbox == NULL && (c->kind == ML_LESSON_CHECK_MAILBOX_COUNT ||
                             c->kind == ML_LESSON_CHECK_FLAG ||
                             c->kind == ML_LESSON_CHECK_HEADER ||
                             c->kind == ML_LESSON_CHECK_DELETED_KEPT))
    c->mailbox = g_strdup ("INBOX");
  if (c->host != NULL)
    {
      g_autofree char *sub = g_strdup_printf ("%s.host", path);
      const MlYamlNode *at = _ml_lesson_node_of (ld, c, "host");
      const MlLessonHost *host;

      if (!_ml_lesson_resolve_host (ld, at, sub, &c->host, &host, error))
        return FALSE;
      if (!(host->roles & ML_ROLE_MUA))
        return _ml_lesson_fail (ld, at, sub, error, "'%s' is not a MUA, so it holds no "
                                "downloaded mail", host->name);
    }
  if (c->kind == ML_LESSON_CHECK_REPLY)
    {
      const MlYamlNode *code = ml_yaml_node_lookup (group, "code");
      const MlYamlNode *status = ml_yaml_node_lookup (group, "status");

      if ((code == NULL) == (status == NULL))
        return _ml_lesson_fail (ld, group, path, error, "a 'reply' check needs either "
                                "'code' (SMTP) or 'status' (POP3, IMAP)");
      if (code != NULL && c->protocol != ML_PROTO_SMTP && c->protocol != ML_PROTO_LMTP)
        return _ml_lesson_fail (ld, code, path, error, "only SMTP replies have a code; "
                                "use 'status' (+OK, -ERR, OK, NO, BAD)");
      if (status != NULL && (c->protocol == ML_PROTO_SMTP || c->protocol == ML_PROTO_LMTP))
        return _ml_lesson_fail (ld, status, path, error, "SMTP replies have a 'code', "
                                "like 550");
    }
  return TRUE;
}

gboolean
_ml_lesson_check_checks (MlLessonLoader *ld, GError **error)
{
  GPtrArray *checks = ld->lesson->checks;
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < checks->len; i++)
    if (!check_one (ld, checks->pdata[i], i, ids, error))
      return FALSE;
  return TRUE;
}

/* ---- grading the header kind (the runner calls it with the mailbox) ---- */

/* Every field named @name in the header block of @data, unfolded
 * (RFC 5322 2.2.3), NUL-separated in one string list. */
static GPtrArray *
header_values (const char *data, gsize len, const char *name)
{
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);
  GString *current = NULL;
  const char *p = data, *end = data + len;
  gsize name_len = strlen (name);

  while (p < end)
    {
      const char *eol = memchr (p, '\n', (gsize) (end - p));
      gsize n = (gsize) ((eol ? eol : end) - p);

      if (n > 0 && p[n - 1] == '\r')
        n--;
      if (n == 0)
        break;  /* RFC 5322 2.1: the empty line ends the header */
      if (p[0] == ' ' || p[0] == '\t')
        {
          if (current != NULL)
            g_string_append_len (current, p, (gssize) n);
        }
      else
        {
          if (current != NULL)
            g_ptr_array_add (values, g_string_free (g_steal_pointer (&current), FALSE));
          if (n > name_len && p[name_len] == ':' && g_ascii_strncasecmp (p, name, name_len) == 0)
            current = g_string_new_len (p + name_len + 1, (gssize) (n - name_len - 1));
        }
      p = eol ? eol + 1 : end;
    }
  if (current != NULL)
    g_ptr_array_add (values, g_string_free (current, FALSE));
  return values;
}

static gboolean
contains_nocase (const char *haystack, const char *needle)
{
  g_autofree char *h = g_ascii_strdown (haystack, -1);
  g_autofree char *n = g_ascii_strdown (needle, -1);

  return strstr (h, n) != NULL;
}

gboolean
_ml_lesson_check_grade_header (const MlLessonCheck *c, MlMailbox *box, char **observed)
{
  for (guint i = 0; i < ml_mailbox_get_count (box); i++)
    {
      MlMessage *m = ml_mailbox_get_message (box, i);
      gsize len;
      const char *data = g_bytes_get_data (ml_message_get_data (m), &len);
      g_autoptr(GPtrArray) subjects = header_values (data, len, "Subject");
      g_autoptr(GPtrArray) values = NULL;
      gboolean found = FALSE;

      if (subjects->len == 0 || !contains_nocase (subjects->pdata[0], c->subject))
        continue;
      values = header_values (data, len, c->name);
      for (guint v = 0; v < values->len && !found; v++)
        found = contains_nocase (values->pdata[v], c->contains);
      if (values->len == 0)
        *observed = g_strdup_printf ("the message has no %s field", c->name);
      else
        *observed = g_strdup_printf ("%s:%s", c->name, (char *) values->pdata[0]);
      return found == c->present;
    }
  *observed = g_strdup_printf ("no message in %s has \"%s\" in its subject",
                               c->mailbox, c->subject);
  return FALSE;
}

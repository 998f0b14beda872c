/* imap-server-mailbox.c — the IMAP commands on mailboxes: SELECT, EXAMINE,
 * CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS,
 * APPEND (RFC 3501 6.3), CHECK, CLOSE, EXPUNGE (6.4), UNSELECT (RFC 3691),
 * UID EXPUNGE (RFC 4315 2.1), with SPECIAL-USE (RFC 6154) and CHILDREN
 * (RFC 3348) attributes in LIST.
 */
#define G_LOG_DOMAIN "ml-imap-server"

#include <string.h>
#include "proto/imap-server-private.h"

/* ---- flags ---- */

static const struct {
  MlMessageFlags flag;
  const char    *name;
} flag_names[] = {
  /* RFC 3501 2.3.2, in its order. */
  { ML_FLAG_ANSWERED, "\\Answered" },
  { ML_FLAG_FLAGGED,  "\\Flagged" },
  { ML_FLAG_DELETED,  "\\Deleted" },
  { ML_FLAG_SEEN,     "\\Seen" },
  { ML_FLAG_DRAFT,    "\\Draft" },
};

void
_ml_imap_server_append_flags (MlImapServer *self, GString *out, MlMessage *message, guint32 uid)
{
  MlMessageFlags flags = ml_message_get_flags (message);
  const char * const *keywords = ml_message_get_keywords (message);
  gboolean first = TRUE;
  gsize i;

  g_string_append (out, "FLAGS (");
  for (i = 0; i < G_N_ELEMENTS (flag_names); i++)
    if (flags & flag_names[i].flag)
      {
        if (!first)
          g_string_append_c (out, ' ');
        g_string_append (out, flag_names[i].name);
        first = FALSE;
      }
  /* RFC 3501 2.3.2: \Recent is this session's, not the store's. */
  if (_ml_imap_server_is_recent (self, uid))
    {
      if (!first)
        g_string_append_c (out, ' ');
      g_string_append (out, "\\Recent");
      first = FALSE;
    }
  for (i = 0; keywords != NULL && keywords[i] != NULL; i++)
    {
      if (!first)
        g_string_append_c (out, ' ');
      g_string_append (out, keywords[i]);
      first = FALSE;
    }
  g_string_append_c (out, ')');
}

static void
append_flag_list (GString *out, MlMailbox *mailbox, gboolean permanent)
{
  const char * const *keywords = ml_mailbox_get_keywords (mailbox);
  gsize i;

  g_string_append_c (out, '(');
  for (i = 0; i < G_N_ELEMENTS (flag_names); i++)
    g_string_append_printf (out, "%s%s", i > 0 ? " " : "", flag_names[i].name);
  for (i = 0; keywords != NULL && keywords[i] != NULL; i++)
    g_string_append_printf (out, " %s", keywords[i]);
  /* RFC 3501 7.1 PERMANENTFLAGS: \* means new keywords may be made. */
  if (permanent && ml_mailbox_can_create_keywords (mailbox))
    g_string_append (out, " \\*");
  g_string_append_c (out, ')');
}

/* ---- store errors as responses ---- */

static void
complete_store_error (MlImapServer *self, const GError *error)
{
  const char *code = "CANNOT";
  MlImapStatusKind status = ML_IMAP_NO;

  /* RFC 5530 SERVERBUG: a failure that is no store refusal is ours. */
  if (error == NULL || error->domain != ML_STORE_ERROR)
    code = "SERVERBUG";
  else
    switch ((MlStoreError) error->code)
      {
      case ML_STORE_ERROR_EXISTS:          code = "ALREADYEXISTS"; break;
      case ML_STORE_ERROR_NOT_FOUND:       code = "NONEXISTENT"; break;
      case ML_STORE_ERROR_OVERQUOTA:
        /* The same words as when APPEND is refused before its octets. */
        _ml_imap_server_complete (self, ML_IMAP_NO, "OVERQUOTA", "Quota exceeded");
        return;
      case ML_STORE_ERROR_TOO_BIG:         code = "TOOBIG"; break;   /* RFC 4469, RFC 7889 */
      case ML_STORE_ERROR_LIMIT:           code = "LIMIT"; break;
      case ML_STORE_ERROR_INVALID_KEYWORD: status = ML_IMAP_BAD; code = "CLIENTBUG"; break;
      case ML_STORE_ERROR_HAS_CHILDREN:
      case ML_STORE_ERROR_NOT_SELECTABLE:
      case ML_STORE_ERROR_PERMISSION:
      case ML_STORE_ERROR_INVALID_NAME:
      default:
        code = "CANNOT";
        break;
      }
  _ml_imap_server_complete (self, status, code, "%s",
                            error != NULL ? error->message : "Operation failed");
}

/* ---- SELECT / EXAMINE (RFC 3501 6.3.1, 6.3.2) ---- */

static void
select_mailbox (MlImapServer *self, GPtrArray *args, guint first, gboolean read_only)
{
  g_autofree char *name = NULL;
  MlMailbox *mailbox;
  MlImapView *view;
  GString *line;
  guint unseen;
  guint i, unseen_seq = 0;

  if (!_ml_imap_server_get_mailbox (self, args, first, &name)
      || !_ml_imap_server_no_more_args (self, args, first + 1))
    return;
  /* RFC 3501 6.3.1: the old mailbox is left first, without expunging, and
   * a failed SELECT leaves the session authenticated. */
  if (self->view != NULL)
    {
      _ml_imap_server_drop_view (self);
      _ml_imap_server_set_state (self, ML_IMAP_SERVER_STATE_AUTHENTICATED);
    }
  mailbox = ml_account_find_mailbox (self->account, name);
  if (mailbox == NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "NONEXISTENT", "Mailbox does not exist");
      return;
    }
  if (!ml_mailbox_is_selectable (mailbox))
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "CANNOT", "Mailbox is not selectable (\\Noselect)");
      return;
    }
  _ml_imap_server_select_view (self, mailbox, read_only);
  view = self->view;

  /* RFC 3501 6.3.1: FLAGS, EXISTS, RECENT, then OK [UNSEEN],
   * [PERMANENTFLAGS], [UIDNEXT], [UIDVALIDITY]. */
  line = g_string_new (NULL);
  append_flag_list (line, mailbox, FALSE);
  _ml_imap_server_untagged (self, "FLAGS", "FLAGS %s", line->str);
  _ml_imap_server_untagged (self, "EXISTS", "%u EXISTS", view->uids->len);
  _ml_imap_server_untagged (self, "RECENT", "%u RECENT", view->recent_told);
  unseen = ml_mailbox_get_first_unseen_index (mailbox);
  if (unseen != ML_MAILBOX_NO_INDEX)
    unseen_seq = unseen + 1;
  else
    for (i = 0; i < view->uids->len && unseen_seq == 0; i++)
      if (!(ml_message_get_flags (ml_mailbox_get_message (mailbox, i)) & ML_FLAG_SEEN))
        unseen_seq = i + 1;
  if (unseen_seq != 0)
    {
      g_autofree char *code = g_strdup_printf ("UNSEEN %u", unseen_seq);

      _ml_imap_server_status (self, NULL, ML_IMAP_OK, code, "Message %u is first unseen", unseen_seq);
    }
  g_string_truncate (line, 0);
  g_string_append (line, "PERMANENTFLAGS ");
  if (read_only)
    g_string_append (line, "()");
  else
    append_flag_list (line, mailbox, TRUE);
  _ml_imap_server_status (self, NULL, ML_IMAP_OK, line->str,
                          read_only ? "No permanent flags permitted" : "Limited");
  g_string_free (line, TRUE);
  {
    g_autofree char *code = g_strdup_printf ("UIDVALIDITY %u", ml_mailbox_get_uidvalidity (mailbox));

    _ml_imap_server_status (self, NULL, ML_IMAP_OK, code, "UIDs valid");
  }
  {
    g_autofree char *code = g_strdup_printf ("UIDNEXT %u", ml_mailbox_get_uidnext (mailbox));

    _ml_imap_server_status (self, NULL, ML_IMAP_OK, code, "Predicted next UID");
  }
  _ml_imap_server_set_state (self, ML_IMAP_SERVER_STATE_SELECTED);
  _ml_imap_server_complete (self, ML_IMAP_OK, read_only ? "READ-ONLY" : "READ-WRITE",
                            "%s completed", read_only ? "EXAMINE" : "SELECT");
}

void
_ml_imap_cmd_select (MlImapServer *self, GPtrArray *args, guint first)
{
  select_mailbox (self, args, first, FALSE);
}

void
_ml_imap_cmd_examine (MlImapServer *self, GPtrArray *args, guint first)
{
  select_mailbox (self, args, first, TRUE);
}

/* ---- CREATE / DELETE / RENAME (RFC 3501 6.3.3–6.3.5) ---- */

void
_ml_imap_cmd_create (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autofree char *name = NULL;
  g_autoptr (GError) error = NULL;

  if (!_ml_imap_server_get_mailbox (self, args, first, &name)
      || !_ml_imap_server_no_more_args (self, args, first + 1))
    return;
  /* RFC 3501 6.3.3: creating INBOX is an error. */
  if (g_ascii_strcasecmp (name, "INBOX") == 0)
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "ALREADYEXISTS", "INBOX always exists");
      return;
    }
  _ml_imap_server_begin_change (self);
  ml_account_create_mailbox (self->account, name, ML_SPECIAL_USE_NONE, &error);
  _ml_imap_server_end_change (self);
  if (error != NULL)
    {
      complete_store_error (self, error);
      return;
    }
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "CREATE completed");
}

void
_ml_imap_cmd_delete (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autofree char *name = NULL;
  g_autoptr (GError) error = NULL;
  MlMailbox *mailbox;
  gboolean selected;

  if (!_ml_imap_server_get_mailbox (self, args, first, &name)
      || !_ml_imap_server_no_more_args (self, args, first + 1))
    return;
  mailbox = ml_account_find_mailbox (self->account, name);
  if (mailbox == NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "NONEXISTENT", "Mailbox does not exist");
      return;
    }
  selected = self->view != NULL && self->view->mailbox == mailbox;
  _ml_imap_server_begin_change (self);
  ml_account_delete_mailbox (self->account, name, &error);
  _ml_imap_server_end_change (self);
  if (error != NULL)
    {
      complete_store_error (self, error);
      return;
    }
  /* Our own mailbox went away under us: we leave it, as after CLOSE but
   * without expunging (there is nothing left to expunge). */
  if (selected)
    {
      _ml_imap_server_drop_view (self);
      _ml_imap_server_set_state (self, ML_IMAP_SERVER_STATE_AUTHENTICATED);
    }
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "DELETE completed");
}

void
_ml_imap_cmd_rename (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autoptr (GError) error = NULL;

  if (!_ml_imap_server_get_mailbox (self, args, first, &from)
      || !_ml_imap_server_get_mailbox (self, args, first + 1, &to)
      || !_ml_imap_server_no_more_args (self, args, first + 2))
    return;
  if (g_ascii_strcasecmp (to, "INBOX") == 0)
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "ALREADYEXISTS", "INBOX always exists");
      return;
    }
  /* RFC 3501 6.3.5: renaming INBOX moves its messages to the new name
   * and leaves INBOX empty; the store does it. */
  _ml_imap_server_begin_change (self);
  ml_account_rename_mailbox (self->account, from, to, &error);
  _ml_imap_server_end_change (self);
  if (error != NULL)
    {
      complete_store_error (self, error);
      return;
    }
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "RENAME completed");
}

/* ---- SUBSCRIBE / UNSUBSCRIBE (RFC 3501 6.3.6, 6.3.7) ---- */

void
_ml_imap_cmd_subscribe (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autofree char *name = NULL;

  if (!_ml_imap_server_get_mailbox (self, args, first, &name)
      || !_ml_imap_server_no_more_args (self, args, first + 1))
    return;
  /* RFC 3501 6.3.6 lets a server check the name exists; we do, so a typo
   * shows up at once. */
  if (ml_account_find_mailbox (self->account, name) == NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "NONEXISTENT", "Mailbox does not exist");
      return;
    }
  ml_account_set_subscribed (self->account, name, TRUE);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "SUBSCRIBE completed");
}

void
_ml_imap_cmd_unsubscribe (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autofree char *name = NULL;

  if (!_ml_imap_server_get_mailbox (self, args, first, &name)
      || !_ml_imap_server_no_more_args (self, args, first + 1))
    return;
  if (!ml_account_is_subscribed (self->account, name))
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "NONEXISTENT", "Not subscribed to that name");
      return;
    }
  ml_account_set_subscribed (self->account, name, FALSE);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "UNSUBSCRIBE completed");
}

/* ---- LIST / LSUB (RFC 3501 6.3.8, 6.3.9) ---- */

/* RFC 3501 6.3.8: "*" matches anything, "%" anything but the hierarchy
 * delimiter. Dynamic programming over (pattern, name), so no pattern can
 * make it backtrack exponentially; names are short (ML_MAILBOX_MAX_NAME). */
static gboolean
pattern_matches (const char *pattern, const char *name)
{
  gsize n = strlen (name), i, j;
  g_autofree gboolean *row = g_new0 (gboolean, n + 1);
  g_autofree gboolean *next = g_new0 (gboolean, n + 1);

  row[0] = TRUE;
  for (i = 0; pattern[i] != '\0'; i++)
    {
      char p = pattern[i];

      memset (next, 0, (n + 1) * sizeof (gboolean));
      if (p == '*' || p == '%')
        {
          /* next[j]: pattern[0..i] matches name[0..j). */
          for (j = 0; j <= n; j++)
            {
              if (row[j])
                next[j] = TRUE;
              else if (j > 0 && next[j - 1] && (p == '*' || name[j - 1] != ML_MAILBOX_DELIMITER))
                next[j] = TRUE;
            }
        }
      else
        for (j = 1; j <= n; j++)
          next[j] = row[j - 1] && name[j - 1] == p;
      memcpy (row, next, (n + 1) * sizeof (gboolean));
    }
  return row[n];
}

/* RFC 3501 6.3.8: the reference and the pattern make one name; INBOX's
 * first level matches in any case (5.1). */
static char *
dup_canonical_pattern (const char *reference, const char *pattern)
{
  char *full;

  if (pattern[0] == ML_MAILBOX_DELIMITER || reference[0] == '\0')
    full = g_strdup (pattern);
  else
    full = g_strconcat (reference, pattern, NULL);
  if (g_ascii_strncasecmp (full, "INBOX", 5) == 0
      && (full[5] == '\0' || full[5] == ML_MAILBOX_DELIMITER))
    memcpy (full, "INBOX", 5);
  return full;
}

static void
append_list_line (MlImapServer *self, const char *verb, const char *name, GString *attrs)
{
  GString *quoted = g_string_new (NULL);
  g_autofree char *lower = g_ascii_strdown (verb, -1);
  g_autofree char *key = g_strconcat ("imap.untagged.", lower, NULL);
  gsize start;

  ml_imap_append_astring (quoted, name, strlen (name));
  /* RFC 3501 7.2.2: "* LIST" SP "(" attributes ")" SP delimiter SP name */
  start = _ml_imap_server_line_begin (self);
  g_string_append_printf (self->output, "* %s (%s) \"%c\" %s", verb, attrs->str,
                          ML_MAILBOX_DELIMITER, quoted->str);
  _ml_imap_server_line_end (self, start, NULL, verb, NULL, key);
  g_string_free (quoted, TRUE);
}

static void
mailbox_attributes (MlImapServer *self, MlMailbox *mailbox, GString *attrs)
{
  const char *use = ml_special_use_to_string (ml_mailbox_get_special_use (mailbox));

  g_string_truncate (attrs, 0);
  if (!ml_mailbox_is_selectable (mailbox))
    g_string_append (attrs, "\\Noselect ");
  /* RFC 3348 */
  if (ml_account_mailbox_has_children (self->account, ml_mailbox_get_name (mailbox)))
    g_string_append (attrs, "\\HasChildren ");
  else
    g_string_append (attrs, "\\HasNoChildren ");
  /* RFC 6154 2 */
  if (use != NULL)
    g_string_append_printf (attrs, "%s ", use);
  if (attrs->len > 0)
    g_string_truncate (attrs, attrs->len - 1);
}

static gboolean
get_list_args (MlImapServer *self, GPtrArray *args, guint first, char **reference, char **pattern)
{
  const char *s = NULL;
  gsize len = 0;

  if (!_ml_imap_server_get_astring (self, args, first, &s, &len))
    return FALSE;
  *reference = g_strndup (s, len);
  /* RFC 3501 9: list-mailbox = 1*list-char / string — wildcards are atom
   * characters to our parser, so the atom form comes through whole. */
  if (!_ml_imap_server_get_astring (self, args, first + 1, &s, &len)
      || !_ml_imap_server_no_more_args (self, args, first + 2))
    {
      g_clear_pointer (reference, g_free);
      return FALSE;
    }
  *pattern = g_strndup (s, len);
  return TRUE;
}

void
_ml_imap_cmd_list (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autofree char *reference = NULL;
  g_autofree char *pattern = NULL;
  g_autofree char *full = NULL;
  GPtrArray *mailboxes;
  GString *attrs;
  guint i;

  if (!get_list_args (self, args, first, &reference, &pattern))
    return;
  if (pattern[0] == '\0')
    {
      /* RFC 3501 6.3.8: an empty pattern asks for the delimiter and the
       * root of the reference. */
      gsize start = _ml_imap_server_line_begin (self);

      g_string_append_printf (self->output, "* LIST (\\Noselect) \"%c\" \"\"", ML_MAILBOX_DELIMITER);
      _ml_imap_server_line_end (self, start, NULL, "LIST", NULL, "imap.untagged.list");
      _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "LIST completed");
      return;
    }
  full = dup_canonical_pattern (reference, pattern);
  mailboxes = ml_account_get_mailboxes (self->account);
  attrs = g_string_new (NULL);
  for (i = 0; i < mailboxes->len; i++)
    {
      MlMailbox *mailbox = g_ptr_array_index (mailboxes, i);
      const char *name = ml_mailbox_get_name (mailbox);

      if (!pattern_matches (full, name))
        continue;
      mailbox_attributes (self, mailbox, attrs);
      append_list_line (self, "LIST", name, attrs);
    }
  g_string_free (attrs, TRUE);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "LIST completed");
}

void
_ml_imap_cmd_lsub (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autofree char *reference = NULL;
  g_autofree char *pattern = NULL;
  g_autofree char *full = NULL;
  g_autoptr (GPtrArray) subscribed = NULL;
  g_autoptr (GHashTable) told = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GString *attrs;
  guint i;

  if (!get_list_args (self, args, first, &reference, &pattern))
    return;
  full = dup_canonical_pattern (reference, pattern);
  subscribed = ml_account_dup_subscriptions (self->account);
  attrs = g_string_new (NULL);
  for (i = 0; i < subscribed->len; i++)
    {
      const char *name = g_ptr_array_index (subscribed, i);
      MlMailbox *mailbox = ml_account_find_mailbox (self->account, name);

      if (pattern_matches (full, name))
        {
          if (mailbox != NULL)
            mailbox_attributes (self, mailbox, attrs);
          else
            g_string_assign (attrs, "\\Noselect");
          if (g_hash_table_add (told, g_strdup (name)))
            append_list_line (self, "LSUB", name, attrs);
          continue;
        }
      /* RFC 3501 6.3.9: "foo/bar" subscribed, "foo" not, pattern "%":
       * LSUB answers "foo" with \Noselect. */
      {
        g_autofree char *superior = g_strdup (name);
        char *cut;

        while ((cut = strrchr (superior, ML_MAILBOX_DELIMITER)) != NULL)
          {
            *cut = '\0';
            if (pattern_matches (full, superior))
              {
                if (!ml_account_is_subscribed (self->account, superior)
                    && g_hash_table_add (told, g_strdup (superior)))
                  {
                    g_string_assign (attrs, "\\Noselect");
                    append_list_line (self, "LSUB", superior, attrs);
                  }
                break;
              }
          }
      }
    }
  g_string_free (attrs, TRUE);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "LSUB completed");
}

/* ---- STATUS (RFC 3501 6.3.10) ---- */

void
_ml_imap_cmd_status (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autofree char *name = NULL;
  const MlImapArg *items = args->len > first + 1 ? g_ptr_array_index (args, first + 1) : NULL;
  MlMailbox *mailbox;
  GString *out;
  gsize start;
  guint i;

  if (!_ml_imap_server_get_mailbox (self, args, first, &name))
    return;
  if (items == NULL || items->kind != ML_IMAP_TOKEN_LIST || items->children->len == 0)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "STATUS needs a list of items");
      return;
    }
  if (!_ml_imap_server_no_more_args (self, args, first + 2))
    return;
  mailbox = ml_account_find_mailbox (self->account, name);
  if (mailbox == NULL || !ml_mailbox_is_selectable (mailbox))
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "NONEXISTENT", "Mailbox does not exist");
      return;
    }

  out = g_string_new (NULL);
  for (i = 0; i < items->children->len; i++)
    {
      const MlImapArg *item = g_ptr_array_index (items->children, i);
      const char *word = item->kind == ML_IMAP_TOKEN_ATOM ? item->data : "";
      guint64 value;

      /* RFC 3501 6.3.10; RFC 9208 adds none we answer beyond these. */
      if (g_ascii_strcasecmp (word, "MESSAGES") == 0)
        value = ml_mailbox_get_count (mailbox);
      else if (g_ascii_strcasecmp (word, "RECENT") == 0)
        value = ml_mailbox_get_recent_count (mailbox)
                + (self->view != NULL && self->view->mailbox == mailbox
                   ? g_hash_table_size (self->view->recent) : 0);
      else if (g_ascii_strcasecmp (word, "UIDNEXT") == 0)
        value = ml_mailbox_get_uidnext (mailbox);
      else if (g_ascii_strcasecmp (word, "UIDVALIDITY") == 0)
        value = ml_mailbox_get_uidvalidity (mailbox);
      else if (g_ascii_strcasecmp (word, "UNSEEN") == 0)
        value = ml_mailbox_get_unseen_count (mailbox);
      else
        {
          g_string_free (out, TRUE);
          _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Unknown STATUS item");
          return;
        }
      g_string_append_printf (out, "%s%s %" G_GUINT64_FORMAT, i > 0 ? " " : "", word, value);
    }
  /* RFC 3501 7.2.4: "* STATUS" mailbox "(" items ")", items upper-case. */
  {
    g_autofree char *up = g_ascii_strup (out->str, -1);

    start = _ml_imap_server_line_begin (self);
    g_string_append (self->output, "* STATUS ");
    ml_imap_append_astring (self->output, name, strlen (name));
    g_string_append_printf (self->output, " (%s)", up);
    _ml_imap_server_line_end (self, start, NULL, "STATUS", NULL, "imap.untagged.status");
  }
  g_string_free (out, TRUE);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "STATUS completed");
}

/* ---- APPEND (RFC 3501 6.3.11, RFC 4315 3, RFC 7889) ---- */

typedef struct {
  char          *name;
  MlMailbox     *mailbox;
  MlMessageFlags flags;
  GPtrArray     *keywords;   /* char*, NULL-terminated once checked */
  gint64         date;
  const MlImapArg *literal;  /* NULL before the octets */
} AppendArgs;

static void
append_args_clear (AppendArgs *a)
{
  g_free (a->name);
  g_ptr_array_unref (a->keywords);
}

/* RFC 3501 6.3.11: append = "APPEND" SP mailbox [SP flag-list]
 * [SP date-time] SP literal. Everything that can be judged before the
 * message is judged here, in one order, both when its literal is
 * announced (@have_literal FALSE: the arguments end where it will be) and
 * when the command is complete, so a client gets the same answer however
 * its bytes were cut. Answers and returns FALSE on failure. */
static gboolean
append_prepare (MlImapServer *self, GPtrArray *args, guint first, gboolean have_literal,
                guint64 size, AppendArgs *a)
{
  const MlImapArg *arg;
  guint i = first + 1;
  guint64 quota;
  g_autoptr (GError) error = NULL;

  memset (a, 0, sizeof *a);
  a->keywords = g_ptr_array_new_with_free_func (g_free);
  a->date = self->now_usec / G_USEC_PER_SEC;
  if (!_ml_imap_server_get_mailbox (self, args, first, &a->name))
    return FALSE;
  arg = args->len > i ? g_ptr_array_index (args, i) : NULL;
  if (arg != NULL && arg->kind == ML_IMAP_TOKEN_LIST)
    {
      if (!_ml_imap_server_parse_flags (self, arg, FALSE, &a->flags, a->keywords))
        return FALSE;
      arg = args->len > ++i ? g_ptr_array_index (args, i) : NULL;
    }
  if (arg != NULL && arg->kind == ML_IMAP_TOKEN_QUOTED)
    {
      g_autoptr (GDateTime) date = ml_imap_parse_date_time (arg->data);

      if (date == NULL)
        {
          _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid date-time");
          return FALSE;
        }
      a->date = g_date_time_to_unix (date);
      arg = args->len > ++i ? g_ptr_array_index (args, i) : NULL;
    }
  if (have_literal ? (arg == NULL || arg->kind != ML_IMAP_TOKEN_LITERAL) : arg != NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "APPEND needs the message as a literal");
      return FALSE;
    }
  if (have_literal)
    {
      if (!_ml_imap_server_no_more_args (self, args, i + 1))
        return FALSE;
      a->literal = arg;
      size = arg->len;
    }
  if (size > self->config.max_append_size)
    {
      /* RFC 7889 */
      _ml_imap_server_complete (self, ML_IMAP_NO, "TOOBIG",
                                "Message larger than APPENDLIMIT=%" G_GUINT64_FORMAT,
                                self->config.max_append_size);
      return FALSE;
    }
  a->mailbox = ml_account_find_mailbox (self->account, a->name);
  if (a->mailbox == NULL)
    {
      /* RFC 3501 6.3.11: TRYCREATE when the mailbox could be created. */
      _ml_imap_server_complete (self, ML_IMAP_NO, "TRYCREATE", "Mailbox does not exist");
      return FALSE;
    }
  if (size == 0)
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "CANNOT", "Empty message");
      return FALSE;
    }
  g_ptr_array_add (a->keywords, NULL);
  if (!ml_mailbox_check_keywords (a->mailbox, NULL, (const char * const *) a->keywords->pdata, &error))
    {
      complete_store_error (self, error);
      return FALSE;
    }
  quota = ml_account_get_quota (self->account);
  if (quota > 0 && ml_account_get_usage (self->account) + size > quota)
    {
      /* RFC 9208 4.6 */
      _ml_imap_server_complete (self, ML_IMAP_NO, "OVERQUOTA", "Quota exceeded");
      return FALSE;
    }
  /* RFC 3501 9: literal octets are CHAR8, %x01-ff. Judged last, so the
   * answer does not depend on whether the octets had arrived. */
  if (a->literal != NULL && memchr (a->literal->data, '\0', a->literal->len) != NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "NUL octet in the message");
      return FALSE;
    }
  return TRUE;
}

/* RFC 5322 2.3: lines end in CRLF. A bare LF (a Unix client's message) is
 * stored as CRLF, as Dovecot and Cyrus hand it out, so every FETCH of it
 * is well-formed mail. */
static GBytes *
dup_with_crlf (const char *data, gsize len)
{
  GByteArray *out;
  gsize i;

  if (memchr (data, '\n', len) == NULL)
    return g_bytes_new (data, len);
  out = g_byte_array_sized_new ((guint) len + 64);
  for (i = 0; i < len; i++)
    {
      if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
        g_byte_array_append (out, (const guint8 *) "\r", 1);
      g_byte_array_append (out, (const guint8 *) data + i, 1);
    }
  return g_byte_array_free_to_bytes (out);
}

gboolean
_ml_imap_server_check_append_literal (MlImapServer *self, GPtrArray *args, guint64 size)
{
  AppendArgs a;
  gboolean ok = append_prepare (self, args, 2, FALSE, size, &a);

  append_args_clear (&a);
  return ok;
}

void
_ml_imap_cmd_append (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = NULL;
  AppendArgs a;
  guint32 uid;

  if (!append_prepare (self, args, first, TRUE, 0, &a))
    {
      append_args_clear (&a);
      return;
    }
  data = dup_with_crlf (a.literal->data, a.literal->len);
  /* RFC 3501 6.3.11: "the \Recent flag is also set". */
  _ml_imap_server_begin_change (self);
  uid = ml_mailbox_append_full (a.mailbox, data, a.flags | ML_FLAG_RECENT,
                                (const char * const *) a.keywords->pdata, a.date, &error);
  _ml_imap_server_end_change (self);
  if (uid == 0)
    {
      complete_store_error (self, error);
      append_args_clear (&a);
      return;
    }
  _ml_imap_server_transaction (self, "imap.transaction.append", "appended to %s as UID %u",
                               ml_mailbox_get_name (a.mailbox), uid);
  {
    /* RFC 4315 3: APPENDUID uidvalidity uid */
    g_autofree char *code = g_strdup_printf ("APPENDUID %u %u",
                                             ml_mailbox_get_uidvalidity (a.mailbox), uid);

    _ml_imap_server_complete (self, ML_IMAP_OK, code, "APPEND completed");
  }
  append_args_clear (&a);
}

/* ---- CHECK, CLOSE, UNSELECT, EXPUNGE ---- */

void
_ml_imap_cmd_check (MlImapServer *self, GPtrArray *args, guint first)
{
  if (!_ml_imap_server_no_more_args (self, args, first))
    return;
  /* RFC 3501 6.4.1: the store is always in a consistent state. */
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "CHECK completed");
}

void
_ml_imap_server_expunge (MlImapServer *self, GArray *uids, gboolean silent)
{
  MlImapView *view = self->view;
  g_autoptr (GArray) removed = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GHashTable) gone = g_hash_table_new (NULL, NULL);
  guint i, r, w = 0;

  self->own_expunged = removed;
  _ml_imap_server_begin_change (self);
  if (uids != NULL)
    ml_mailbox_expunge_uids (view->mailbox, (const guint32 *) (gpointer) uids->data, uids->len);
  else
    ml_mailbox_expunge (view->mailbox);
  _ml_imap_server_end_change (self);
  self->own_expunged = NULL;

  if (removed->len > 0)
    _ml_imap_server_transaction (self, "imap.transaction.expunge", "%u message%s expunged from %s",
                                 removed->len, removed->len == 1 ? "" : "s",
                                 ml_mailbox_get_name (view->mailbox));
  if (silent)
    return;
  for (i = 0; i < removed->len; i++)
    {
      guint32 uid = g_array_index (removed, guint32, i);
      guint k;

      g_hash_table_add (gone, GUINT_TO_POINTER (uid));
      for (k = 0; k < view->pending_new->len; k++)
        if (g_array_index (view->pending_new, guint32, k) == uid)
          {
            g_array_remove_index (view->pending_new, k);
            break;
          }
    }
  /* RFC 3501 7.4.1: one EXPUNGE each, numbered as the client's view
   * shrinks; one pass over the view. */
  for (r = 0; r < view->uids->len; r++)
    {
      guint32 uid = g_array_index (view->uids, guint32, r);

      if (g_hash_table_contains (gone, GUINT_TO_POINTER (uid)))
        {
          _ml_imap_server_untagged (self, "EXPUNGE", "%u EXPUNGE", w + 1);
          g_hash_table_remove (view->recent, GUINT_TO_POINTER (uid));
          g_hash_table_remove (view->pending_flags, GUINT_TO_POINTER (uid));
        }
      else
        g_array_index (view->uids, guint32, w++) = uid;
    }
  g_array_set_size (view->uids, w);
  view->recent_told = g_hash_table_size (view->recent);
}

void
_ml_imap_cmd_close (MlImapServer *self, GPtrArray *args, guint first)
{
  if (!_ml_imap_server_no_more_args (self, args, first))
    return;
  /* RFC 3501 6.4.2: expunge silently, unless EXAMINEd. */
  if (!self->view->read_only)
    _ml_imap_server_expunge (self, NULL, TRUE);
  _ml_imap_server_drop_view (self);
  _ml_imap_server_set_state (self, ML_IMAP_SERVER_STATE_AUTHENTICATED);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "CLOSE completed");
}

void
_ml_imap_cmd_unselect (MlImapServer *self, GPtrArray *args, guint first)
{
  if (!_ml_imap_server_no_more_args (self, args, first))
    return;
  /* RFC 3691 2: as CLOSE, without expunging. */
  _ml_imap_server_drop_view (self);
  _ml_imap_server_set_state (self, ML_IMAP_SERVER_STATE_AUTHENTICATED);
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "UNSELECT completed");
}

void
_ml_imap_cmd_expunge (MlImapServer *self, GPtrArray *args, guint first)
{
  if (!self->uid_command)
    {
      if (!_ml_imap_server_no_more_args (self, args, first))
        return;
      _ml_imap_server_expunge (self, NULL, FALSE);
      _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "EXPUNGE completed");
      return;
    }

  {
    /* RFC 4315 2.1: only the named messages that are \Deleted. */
    g_autoptr (MlImapSequenceSet) set = _ml_imap_server_get_sequence_set (self, args, first);
    g_autoptr (GArray) seqs = g_array_new (FALSE, FALSE, sizeof (guint32));
    g_autoptr (GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
    guint i;

    if (set == NULL || !_ml_imap_server_no_more_args (self, args, first + 1))
      return;
    _ml_imap_server_resolve_set (self, set, TRUE, seqs);
    for (i = 0; i < seqs->len; i++)
      {
        guint32 uid = g_array_index (self->view->uids, guint32, g_array_index (seqs, guint32, i) - 1);

        g_array_append_val (uids, uid);
      }
    _ml_imap_server_expunge (self, uids, FALSE);
    _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "UID EXPUNGE completed");
  }
}

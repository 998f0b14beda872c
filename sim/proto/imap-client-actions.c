/* The lesson actions. Each is a small step machine: run() queues the
 * commands of its current step — together when RFC 3501 5.5 lets them go
 * without waiting, the outbox holds them back otherwise — and is called
 * again when all of them have completed. The data they bring (FETCH,
 * SEARCH, EXPUNGE, COPYUID) has by then gone into the model in
 * imap-client.c; a step only reads it.
 *
 * Steps shared by the actions that act on one message:
 *   0 SELECT the mailbox unless it is selected,
 *   1 pick the message(s): by UID, else in the local copy by subject or
 *     "first unseen", else ask the server (UID SEARCH),
 *   2 the server's answer, then the action's own steps from 3 on.
 */
#define G_LOG_DOMAIN "ml-imap-client"

#include <string.h>
#include "proto/imap-client-private.h"
#include "proto/imap-sequence.h"

enum {
  STEP_SELECT = 0,
  STEP_RESOLVE,
  STEP_RESOLVED_BY_SEARCH,
  STEP_ACT,
};

static const char * const action_names[] = {
  [ML_IMAP_ACTION_SYNC]          = "imap-sync",
  [ML_IMAP_ACTION_READ]          = "imap-read",
  [ML_IMAP_ACTION_FLAG]          = "imap-flag",
  [ML_IMAP_ACTION_MOVE]          = "imap-move",
  [ML_IMAP_ACTION_SEARCH]        = "imap-search",
  [ML_IMAP_ACTION_DELETE]        = "imap-delete",
  [ML_IMAP_ACTION_IDLE]          = "imap-idle",
  [ML_IMAP_ACTION_CREATE_FOLDER] = "imap-create-folder",
  [ML_IMAP_ACTION_LOGOUT]        = "imap-logout",
};

const char *
ml_imap_action_kind_to_string (MlImapActionKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (action_names))
    return "unknown";
  return action_names[kind];
}

void
ml_imap_action_init (MlImapAction *action, MlImapActionKind kind)
{
  g_return_if_fail (action != NULL);

  memset (action, 0, sizeof *action);
  action->kind = kind;
  action->set = TRUE;
  action->expunge = TRUE;
}

void
_ml_imap_action_free (ImapAction *a)
{
  g_free (a->result.text);
  g_free (a->result.mailbox);
  g_array_unref (a->result.uids);
  g_array_unref (a->result.new_uids);
  g_free (a->result.detail);
  g_free (a->mailbox);
  g_array_unref (a->want_uids);
  g_free (a->subject);
  g_strfreev (a->flags);
  g_free (a->folder);
  g_free (a->criteria);
  g_clear_pointer (&a->seen, g_hash_table_unref);
  g_free (a);
}

/* ---- helpers ---- */

static gboolean
same_mailbox (const char *a, const char *b)
{
  if (g_ascii_strcasecmp (a, "INBOX") == 0)
    return g_ascii_strcasecmp (b, "INBOX") == 0;
  return strcmp (a, b) == 0;
}

static int
cmp_uid (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

/* "1:3,7" for the action's messages (RFC 3501 9 sequence-set). */
static char *
uid_set (const GArray *uids)
{
  g_autoptr(GArray) sorted = g_array_copy ((GArray *) uids);

  g_array_sort (sorted, cmp_uid);
  return ml_imap_sequence_format ((const guint32 *) sorted->data, sorted->len);
}

static char *
uid_list (const GArray *uids)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < uids->len; i++)
    g_string_append_printf (s, "%s%u", i > 0 ? " " : "", g_array_index (uids, guint32, i));
  return g_string_free (s, FALSE);
}

/* RFC 3501 9: flag = "\" atom (the system flags) or a keyword atom. */
static gboolean
valid_flag (const char *flag)
{
  const char *p = flag[0] == '\\' ? flag + 1 : flag;

  if (*p == '\0')
    return FALSE;
  for (; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c <= 0x20 || c >= 0x7f || strchr ("(){%*\"\\]", c) != NULL)
        return FALSE;
    }
  return TRUE;
}

static ImapCommand *
uid_command (ImapCmdKind kind, const char *verb, const GArray *uids)
{
  ImapCommand *cmd = _ml_imap_command_new (kind, verb);
  g_autofree char *set = uid_set (uids);

  _ml_imap_command_add (cmd, " ");
  _ml_imap_command_add (cmd, set);
  return cmd;
}

static char *
flag_list (GStrv flags)
{
  g_autofree char *joined = g_strjoinv (" ", flags);

  return g_strdup_printf ("(%s)", joined);
}

static gboolean
fail (MlImapClient *self, ImapAction *a, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (MlImapClient *self, ImapAction *a, const char *format, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  _ml_imap_action_finish (self, a, FALSE, ML_IMAP_STATUS_NONE, text);
  return FALSE;
}

static gboolean
ensure_selected (MlImapClient *self, ImapAction *a, gboolean always)
{
  ImapCommand *cmd;

  if (!always && self->selected != NULL && same_mailbox (self->selected, a->mailbox))
    return TRUE;
  cmd = _ml_imap_command_new (CMD_SELECT, "SELECT");
  cmd->mailbox = g_strdup (a->mailbox);
  _ml_imap_command_add_string (self, cmd, a->mailbox, TRUE);
  _ml_imap_client_queue (self, a, cmd);
  return FALSE;
}

static MlImapLocalMailbox *
local_mailbox (MlImapClient *self, ImapAction *a)
{
  return _ml_imap_local_store_ensure (self->local, a->mailbox);
}

/* Steps 0–2: the mailbox is selected and result.uids names the messages.
 * FALSE while waiting, or when the action failed. */
static gboolean
targets_ready (MlImapClient *self, ImapAction *a)
{
  MlImapLocalMailbox *mbox;
  ImapCommand *cmd;

  switch (a->step)
    {
    case STEP_SELECT:
      a->step = STEP_RESOLVE;
      if (!ensure_selected (self, a, FALSE))
        return FALSE;
      G_GNUC_FALLTHROUGH;

    case STEP_RESOLVE:
      if (a->want_uids->len > 0)
        {
          g_array_append_vals (a->result.uids, a->want_uids->data, a->want_uids->len);
          a->step = STEP_ACT;
          return TRUE;
        }
      mbox = local_mailbox (self, a);
      for (guint i = 0; i < mbox->messages->len; i++)
        {
          const MlImapLocalMessage *m = g_ptr_array_index (mbox->messages, i);
          gboolean match = a->subject != NULL
            ? m->subject != NULL && strcasestr (m->subject, a->subject) != NULL
            : !ml_imap_local_message_has_flag (m, "\\Seen");

          if (match)
            {
              g_array_append_val (a->result.uids, m->uid);
              a->step = STEP_ACT;
              return TRUE;
            }
        }
      /* Not in the local copy: RFC 3501 6.4.4, the server searches. */
      cmd = _ml_imap_command_new (CMD_FIND, "UID SEARCH");
      if (a->subject != NULL)
        {
          gboolean ascii = TRUE;

          for (const char *p = a->subject; *p != '\0'; p++)
            ascii = ascii && (guchar) *p < 0x80;
          /* RFC 3501 6.4.4: a CHARSET when the string is not US-ASCII. */
          if (!ascii)
            _ml_imap_command_add (cmd, " CHARSET UTF-8");
          _ml_imap_command_add (cmd, " SUBJECT");
          _ml_imap_command_add_string (self, cmd, a->subject, FALSE);
        }
      else
        _ml_imap_command_add (cmd, " UNSEEN");
      a->step = STEP_RESOLVED_BY_SEARCH;
      _ml_imap_client_queue (self, a, cmd);
      return FALSE;

    case STEP_RESOLVED_BY_SEARCH:
      if (self->hits->len == 0)
        {
          if (a->subject != NULL)
            return fail (self, a, "no message in %s has \"%s\" in its subject", a->mailbox, a->subject);
          return fail (self, a, "no unseen message in %s", a->mailbox);
        }
      {
        guint32 lowest = G_MAXUINT32;

        for (guint i = 0; i < self->hits->len; i++)
          lowest = MIN (lowest, g_array_index (self->hits, guint32, i));
        g_array_append_val (a->result.uids, lowest);
      }
      a->step = STEP_ACT;
      return TRUE;

    default:
      return TRUE;
    }
}

/* ---- the actions ---- */

static void
queue_fetch_new (MlImapClient *self, ImapAction *a, guint32 last)
{
  ImapCommand *cmd = _ml_imap_command_new (CMD_FETCH_NEW, "UID FETCH");
  g_autofree char *args = NULL;

  /* Headers only: bodies come when the user opens a message, as in
   * lesson 05. UID is always returned by UID FETCH (RFC 3501 6.4.8), but
   * asking says what the device keys on. */
  args = g_strdup_printf (" %u:* (UID FLAGS RFC822.SIZE %s)", last + 1,
                          self->config.fetch_envelope ? "ENVELOPE" : "BODY.PEEK[HEADER]");
  _ml_imap_command_add (cmd, args);
  _ml_imap_client_queue (self, a, cmd);
}

static gboolean
has_unknown_messages (MlImapClient *self)
{
  for (guint i = 0; i < self->seq_uids->len; i++)
    if (g_array_index (self->seq_uids, guint32, i) == 0)
      return TRUE;
  return FALSE;
}

static void
run_sync (MlImapClient *self, ImapAction *a)
{
  MlImapLocalMailbox *mbox;
  ImapCommand *cmd;

  switch (a->step)
    {
    case 0:
      /* RFC 6154 2: a plain LIST shows the special uses too. LIST and
       * SELECT do not touch each other's results (RFC 3501 5.5). */
      cmd = _ml_imap_command_new (CMD_LIST, "LIST");
      _ml_imap_command_add (cmd, " \"\" \"*\"");
      a->step = 1;
      _ml_imap_client_queue (self, a, cmd);
      ensure_selected (self, a, TRUE);
      return;

    case 1:
      {
        guint32 exists = self->seq_uids->len;

        mbox = local_mailbox (self, a);
        a->last_uid = _ml_imap_local_mailbox_max_uid (mbox);
        a->step = 2;
        if (exists == 0 && a->last_uid > 0)
          a->result.n_removed += _ml_imap_local_mailbox_clear (mbox);
        /* What is new: from just above what the device holds. With
         * UIDNEXT known, nothing is asked when nothing can be there
         * (RFC 3501 2.3.1.1: UIDs only grow). */
        if (exists > 0 && (mbox->uidnext == 0 || mbox->uidnext > a->last_uid + 1))
          queue_fetch_new (self, a, a->last_uid);
        /* What it holds: the flags may have changed elsewhere, and a
         * UID that does not come back was expunged (RFC 4549 4.3.1). */
        if (exists > 0 && a->last_uid > 0 && !a->result.finished)
          {
            g_autofree char *args = g_strdup_printf (" 1:%u (FLAGS)", a->last_uid);

            a->seen = g_hash_table_new (NULL, NULL);
            cmd = _ml_imap_command_new (CMD_FETCH_FLAGS, "UID FETCH");
            _ml_imap_command_add (cmd, args);
            _ml_imap_client_queue (self, a, cmd);
          }
        if (a->outstanding == 0 && !a->result.finished)
          _ml_imap_action_finish (self, a, TRUE, ML_IMAP_STATUS_OK, NULL);
        return;
      }

    default:
      mbox = local_mailbox (self, a);
      if (a->seen != NULL)
        for (guint i = mbox->messages->len; i-- > 0;)
          {
            const MlImapLocalMessage *m = g_ptr_array_index (mbox->messages, i);

            if (m->uid <= a->last_uid && !g_hash_table_contains (a->seen, GUINT_TO_POINTER (m->uid)))
              {
                _ml_imap_local_mailbox_remove (mbox, m->uid);
                a->result.n_removed++;
              }
          }
      _ml_imap_action_finish (self, a, TRUE, ML_IMAP_STATUS_OK, NULL);
      return;
    }
}

static void
run_read (MlImapClient *self, ImapAction *a)
{
  ImapCommand *cmd;

  if (a->step < STEP_ACT && !targets_ready (self, a))
    return;
  if (a->step == STEP_ACT)
    {
      /* RFC 3501 6.4.5: BODY[] (not BODY.PEEK[]) sets \Seen. */
      cmd = uid_command (CMD_FETCH_BODY, "UID FETCH", a->result.uids);
      _ml_imap_command_add (cmd, " (BODY[])");
      a->step++;
      _ml_imap_client_queue (self, a, cmd);
      return;
    }
  {
    guint32 uid = g_array_index (a->result.uids, guint32, 0);
    const MlImapLocalMessage *m = _ml_imap_local_mailbox_lookup (local_mailbox (self, a), uid);

    if (m == NULL || m->body == NULL)
      {
        fail (self, a, "the server sent no body for UID %u", uid);
        return;
      }
    _ml_imap_action_finish (self, a, TRUE, ML_IMAP_STATUS_OK, NULL);
  }
}

static void
run_flag (MlImapClient *self, ImapAction *a)
{
  ImapCommand *cmd;
  g_autofree char *flags = NULL, *args = NULL;

  if (a->step < STEP_ACT && !targets_ready (self, a))
    return;
  if (a->step > STEP_ACT)
    {
      _ml_imap_action_finish (self, a, TRUE, ML_IMAP_STATUS_OK, NULL);
      return;
    }
  /* RFC 3501 6.4.6: without .SILENT the server answers with the new
   * flags, which is what the local copy takes. */
  flags = flag_list (a->flags);
  args = g_strdup_printf (" %sFLAGS %s", a->set ? "+" : "-", flags);
  cmd = uid_command (CMD_STORE, "UID STORE", a->result.uids);
  _ml_imap_command_add (cmd, args);
  a->step++;
  _ml_imap_client_queue (self, a, cmd);
}

static void
queue_expunge (MlImapClient *self, ImapAction *a)
{
  /* RFC 4315 2.1: UID EXPUNGE removes only these messages, not others
   * some other device marked \Deleted. */
  if (self->config.use_uidplus && ml_imap_client_has_capability (self, "UIDPLUS"))
    _ml_imap_client_queue (self, a, uid_command (CMD_UID_EXPUNGE, "UID EXPUNGE", a->result.uids));
  else
    _ml_imap_client_queue (self, a, _ml_imap_command_new (CMD_EXPUNGE, "EXPUNGE"));
}

static gboolean
uid_expunge (MlImapClient *self)
{
  return self->config.use_uidplus && ml_imap_client_has_capability (self, "UIDPLUS");
}

static void
run_move (MlImapClient *self, ImapAction *a)
{
  ImapCommand *cmd;

  if (a->step < STEP_ACT && !targets_ready (self, a))
    return;
  switch (a->step)
    {
    case STEP_ACT:
      if (self->config.use_move && ml_imap_client_has_capability (self, "MOVE"))
        {
          /* RFC 6851 3.1: one command, atomic on the server. */
          cmd = uid_command (CMD_MOVE, "UID MOVE", a->result.uids);
          a->step = STEP_ACT + 3;
        }
      else
        {
          cmd = uid_command (CMD_COPY, "UID COPY", a->result.uids);
          a->step = STEP_ACT + 1;
        }
      _ml_imap_command_add_string (self, cmd, a->folder, TRUE);
      _ml_imap_client_queue (self, a, cmd);
      return;

    case STEP_ACT + 1:
      /* RFC 6851 1: without MOVE, a move is COPY, \Deleted, EXPUNGE; the
       * copy succeeded, so the original may go. STORE and UID EXPUNGE may
       * go together (RFC 3501 5.5: STORE + COPY + EXPUNGE is valid). */
      cmd = uid_command (CMD_STORE, "UID STORE", a->result.uids);
      _ml_imap_command_add (cmd, " +FLAGS (\\Deleted)");
      _ml_imap_client_queue (self, a, cmd);
      if (uid_expunge (self))
        {
          queue_expunge (self, a);
          a->step = STEP_ACT + 3;
        }
      else
        a->step = STEP_ACT + 2;
      return;

    case STEP_ACT + 2:
      queue_expunge (self, a);
      a->step = STEP_ACT + 3;
      return;

    default:
      _ml_imap_action_finish (self, a, TRUE, ML_IMAP_STATUS_OK, NULL);
      return;
    }
}

static void
run_delete (MlImapClient *self, ImapAction *a)
{
  ImapCommand *cmd;

  if (a->step < STEP_ACT && !targets_ready (self, a))
    return;
  switch (a->step)
    {
    case STEP_ACT:
      /* RFC 3501 6.4.6: .SILENT, the device knows what it set. */
      cmd = uid_command (CMD_STORE, "UID STORE", a->result.uids);
      _ml_imap_command_add (cmd, " +FLAGS.SILENT (\\Deleted)");
      cmd->uids = g_array_copy (a->result.uids);
      cmd->flags = g_strsplit ("\\Deleted", " ", -1);
      cmd->add = TRUE;
      _ml_imap_client_queue (self, a, cmd);
      if (a->expunge && uid_expunge (self))
        {
          queue_expunge (self, a);
          a->step = STEP_ACT + 2;
        }
      else
        a->step = a->expunge ? STEP_ACT + 1 : STEP_ACT + 2;
      return;

    case STEP_ACT + 1:
      queue_expunge (self, a);
      a->step = STEP_ACT + 2;
      return;

    default:
      _ml_imap_action_finish (self, a, TRUE, ML_IMAP_STATUS_OK, NULL);
      return;
    }
}

static void
run_search (MlImapClient *self, ImapAction *a)
{
  ImapCommand *cmd;

  switch (a->step)
    {
    case 0:
      a->step = 1;
      if (!ensure_selected (self, a, FALSE))
        return;
      G_GNUC_FALLTHROUGH;
    case 1:
      cmd = _ml_imap_command_new (CMD_SEARCH, "UID SEARCH");
      _ml_imap_command_add (cmd, " ");
      _ml_imap_command_add (cmd, a->criteria);
      a->step = 2;
      _ml_imap_client_queue (self, a, cmd);
      return;
    default:
      g_array_append_vals (a->result.uids, self->hits->data, self->hits->len);
      _ml_imap_action_finish (self, a, TRUE, ML_IMAP_STATUS_OK, NULL);
      return;
    }
}

static void
run_idle (MlImapClient *self, ImapAction *a)
{
  switch (a->step)
    {
    case 0:
      a->step = 1;
      if (!ensure_selected (self, a, FALSE))
        return;
      G_GNUC_FALLTHROUGH;
    case 1:
      if (!ml_imap_client_has_capability (self, "IDLE"))
        {
          fail (self, a, "the server does not offer IDLE (RFC 2177)");
          return;
        }
      a->last_uid = _ml_imap_local_mailbox_max_uid (local_mailbox (self, a));
      a->step = 2;
      _ml_imap_client_queue (self, a, _ml_imap_command_new (CMD_IDLE, "IDLE"));
      return;
    case 2:
      /* EXISTS announced messages the device has not seen: their headers,
       * as a sync would fetch them. */
      a->step = 3;
      if (has_unknown_messages (self))
        {
          queue_fetch_new (self, a, a->last_uid);
          return;
        }
      G_GNUC_FALLTHROUGH;
    default:
      _ml_imap_action_finish (self, a, TRUE, ML_IMAP_STATUS_OK, NULL);
      return;
    }
}

static void
run (MlImapClient *self, ImapAction *a)
{
  ImapCommand *cmd;

  if (a->step == 0)
    {
      /* Arguments a lesson got wrong fail before anything is sent. */
      for (guint i = 0; a->flags != NULL && a->flags[i] != NULL; i++)
        if (!valid_flag (a->flags[i]))
          {
            fail (self, a, "\"%s\" is not a flag (RFC 3501 2.3.2)", a->flags[i]);
            return;
          }
      for (guint i = 0; i < a->want_uids->len; i++)
        if (g_array_index (a->want_uids, guint32, i) == 0)
          {
            fail (self, a, "UID 0 names no message (RFC 3501 2.3.1.1)");
            return;
          }
      switch (a->result.kind)
        {
        case ML_IMAP_ACTION_READ:
        case ML_IMAP_ACTION_FLAG:
        case ML_IMAP_ACTION_MOVE:
        case ML_IMAP_ACTION_DELETE:
          if (a->want_uids->len == 0 && a->subject == NULL && !a->first_unseen)
            {
              fail (self, a, "which message? give a UID or a piece of its subject");
              return;
            }
          break;
        default:
          break;
        }
      if (a->result.kind == ML_IMAP_ACTION_FLAG && (a->flags == NULL || a->flags[0] == NULL))
        {
          fail (self, a, "no flags to set or clear");
          return;
        }
      if ((a->result.kind == ML_IMAP_ACTION_MOVE || a->result.kind == ML_IMAP_ACTION_CREATE_FOLDER)
          && (a->folder == NULL || a->folder[0] == '\0'))
        {
          fail (self, a, "no folder named");
          return;
        }
      if (a->result.kind == ML_IMAP_ACTION_SEARCH)
        {
          const char *p = a->criteria != NULL ? a->criteria : "";

          if (*p == '\0')
            {
              fail (self, a, "no search criteria");
              return;
            }
          /* The criteria go into the line as typed: a line end would
           * smuggle in a command of its own, and 8-bit text needs a
           * literal (RFC 3501 4.3). */
          for (; *p != '\0'; p++)
            if ((guchar) *p < 0x20 || (guchar) *p >= 0x7f)
              {
                fail (self, a, "search criteria must be printable US-ASCII; use a literal for other text");
                return;
              }
        }
    }

  switch (a->result.kind)
    {
    case ML_IMAP_ACTION_SYNC:
      run_sync (self, a);
      break;
    case ML_IMAP_ACTION_READ:
      run_read (self, a);
      break;
    case ML_IMAP_ACTION_FLAG:
      run_flag (self, a);
      break;
    case ML_IMAP_ACTION_MOVE:
      run_move (self, a);
      break;
    case ML_IMAP_ACTION_SEARCH:
      run_search (self, a);
      break;
    case ML_IMAP_ACTION_DELETE:
      run_delete (self, a);
      break;
    case ML_IMAP_ACTION_IDLE:
      run_idle (self, a);
      break;
    case ML_IMAP_ACTION_CREATE_FOLDER:
      if (a->step == 0)
        {
          cmd = _ml_imap_command_new (CMD_CREATE, "CREATE");
          cmd->mailbox = g_strdup (a->folder);
          _ml_imap_command_add_string (self, cmd, a->folder, TRUE);
          a->step = 1;
          _ml_imap_client_queue (self, a, cmd);
        }
      else
        _ml_imap_action_finish (self, a, TRUE, ML_IMAP_STATUS_OK, NULL);
      break;
    case ML_IMAP_ACTION_LOGOUT:
      a->step = 1;
      _ml_imap_client_queue (self, a, _ml_imap_command_new (CMD_LOGOUT, "LOGOUT"));
      break;
    }
}

/* ---- results ---- */

static char *
describe (MlImapClient *self, ImapAction *a)
{
  MlImapActionResult *r = &a->result;
  g_autofree char *uids = uid_list (r->uids);
  const MlImapLocalMailbox *mbox = _ml_imap_local_store_lookup (self->local, a->mailbox);

  if (!r->ok)
    return g_strdup_printf ("%s failed: %s", ml_imap_action_kind_to_string (r->kind), r->text);

  switch (r->kind)
    {
    case ML_IMAP_ACTION_SYNC:
      return g_strdup_printf ("%s: %u new, %u with changed flags, %u removed%s; the device holds %u of %u",
                              a->mailbox, r->n_new, r->n_changed, r->n_removed,
                              r->uidvalidity_changed ? " (UIDVALIDITY changed)" : "",
                              mbox != NULL ? mbox->messages->len : 0, mbox != NULL ? mbox->exists : 0);
    case ML_IMAP_ACTION_READ:
      {
        const MlImapLocalMessage *m = mbox != NULL
          ? ml_imap_local_mailbox_find_uid (mbox, g_array_index (r->uids, guint32, 0)) : NULL;

        return g_strdup_printf ("%s UID %s read: %" G_GSIZE_FORMAT " octets%s", a->mailbox, uids,
                                m != NULL && m->body != NULL ? g_bytes_get_size (m->body) : 0,
                                m != NULL && ml_imap_local_message_has_flag (m, "\\Seen") ? ", \\Seen" : "");
      }
    case ML_IMAP_ACTION_FLAG:
      {
        g_autofree char *flags = flag_list (a->flags);

        return g_strdup_printf ("%s UID %s: %sFLAGS %s", a->mailbox, uids, a->set ? "+" : "-", flags);
      }
    case ML_IMAP_ACTION_MOVE:
      if (r->new_uids->len > 0)
        {
          g_autofree char *dest = uid_list (r->new_uids);

          return g_strdup_printf ("%s UID %s moved to %s as UID %s", a->mailbox, uids, a->folder, dest);
        }
      return g_strdup_printf ("%s UID %s moved to %s", a->mailbox, uids, a->folder);
    case ML_IMAP_ACTION_SEARCH:
      return g_strdup_printf ("%s: UID SEARCH %s found %u%s%s", a->mailbox, a->criteria, r->uids->len,
                              r->uids->len > 0 ? ": " : "", uids);
    case ML_IMAP_ACTION_DELETE:
      return g_strdup_printf ("%s UID %s marked \\Deleted%s", a->mailbox, uids,
                              a->expunge ? " and expunged" : ", not expunged");
    case ML_IMAP_ACTION_IDLE:
      if (r->woken)
        return g_strdup_printf ("%s: the server pushed news during IDLE; %u new", a->mailbox, r->n_new);
      return g_strdup_printf ("%s: IDLE ended with no news", a->mailbox);
    case ML_IMAP_ACTION_CREATE_FOLDER:
      return g_strdup_printf ("created %s", a->folder);
    case ML_IMAP_ACTION_LOGOUT:
      return g_strdup ("logged out");
    default:
      return g_strdup ("");
    }
}

void
_ml_imap_action_finish (MlImapClient *self, ImapAction *a, gboolean ok, MlImapStatus status,
                        const char *text)
{
  MlEngineEvent *ev;

  if (a->result.finished)
    return;
  a->result.finished = TRUE;
  a->result.ok = ok;
  a->result.status = status;
  a->result.text = g_strdup (text != NULL ? text : "");
  a->result.detail = describe (self, a);
  g_clear_pointer (&a->seen, g_hash_table_unref);
  if (!ok)
    _ml_imap_client_drop_queued (self, a);

  ev = _ml_imap_client_push_event (self, ML_ENGINE_EVENT_TRANSACTION, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->explain_key = ok ? g_strdup_printf ("imap.client.action.%s", ml_imap_action_kind_to_string (a->result.kind) + 5)
                       : g_strdup ("imap.client.action.failed");
  ev->detail = g_strdup (a->result.detail);

  if (self->cur == a)
    {
      self->cur = NULL;
      _ml_imap_client_proceed (self);
    }
}

void
_ml_imap_client_fail_all (MlImapClient *self, MlImapStatus status, const char *text)
{
  if (self->cur != NULL)
    {
      ImapAction *a = self->cur;

      self->cur = NULL;
      /* A BYE after our LOGOUT is its success (RFC 3501 6.1.3). */
      if (a->result.kind == ML_IMAP_ACTION_LOGOUT && self->bye_received)
        _ml_imap_action_finish (self, a, TRUE, ML_IMAP_STATUS_OK, NULL);
      else
        _ml_imap_action_finish (self, a, FALSE, status, text);
    }
  for (; self->next_action < self->actions->len; self->next_action++)
    _ml_imap_action_finish (self, g_ptr_array_index (self->actions, self->next_action), FALSE,
                            status, text);
}

void
_ml_imap_action_command_done (MlImapClient *self, ImapAction *a, ImapCommand *cmd,
                              const MlImapResponse *resp)
{
  if (a->result.finished)
    return;
  if (cmd->kind == CMD_LOGOUT)
    {
      _ml_imap_action_finish (self, a, TRUE, resp->status, resp->text);
      return;
    }
  if (resp->status != ML_IMAP_STATUS_OK)
    {
      g_autofree char *text = g_strdup_printf ("%s refused: %s%s%s%s %s", cmd->verb,
                                               ml_imap_status_to_string (resp->status),
                                               resp->code != NULL ? " [" : "",
                                               resp->code != NULL ? resp->code->name : "",
                                               resp->code != NULL ? "]" : "", resp->text);

      _ml_imap_action_finish (self, a, FALSE, resp->status, text);
      return;
    }

  switch (cmd->kind)
    {
    case CMD_LIST:
      /* Folders deleted elsewhere disappear from the device too. */
      _ml_imap_local_store_retain (self->local, self->listed);
      break;
    case CMD_CREATE:
      _ml_imap_local_store_ensure (self->local, cmd->mailbox);
      break;
    case CMD_STORE:
      if (cmd->uids != NULL)
        {
          MlImapLocalMailbox *mbox = local_mailbox (self, a);

          for (guint i = 0; i < cmd->uids->len; i++)
            {
              MlImapLocalMessage *m = _ml_imap_local_mailbox_lookup (mbox, g_array_index (cmd->uids, guint32, i));

              if (m != NULL)
                _ml_imap_local_message_change_flags (m, (const char * const *) cmd->flags, cmd->add);
            }
        }
      break;
    default:
      break;
    }
  if (a->outstanding == 0 && !a->result.finished)
    run (self, a);
}

/* ---- the queue ---- */

void
_ml_imap_client_proceed (MlImapClient *self)
{
  if (self->done || !self->authenticated || self->cur != NULL || self->idle_cmd != NULL
      || !g_queue_is_empty (&self->in_flight) || !g_queue_is_empty (&self->outbox))
    return;
  while (self->next_action < self->actions->len)
    {
      ImapAction *a = g_ptr_array_index (self->actions, self->next_action++);

      if (a->result.finished)
        continue;
      if (self->logout_sent)
        {
          _ml_imap_action_finish (self, a, FALSE, ML_IMAP_STATUS_NONE, "the session was logged out before it");
          continue;
        }
      self->cur = a;
      run (self, a);
      return;
    }
}

guint
ml_imap_client_add_action (MlImapClient *self, const MlImapAction *action)
{
  ImapAction *a;

  g_return_val_if_fail (self != NULL, G_MAXUINT);
  g_return_val_if_fail (action != NULL, G_MAXUINT);

  a = g_new0 (ImapAction, 1);
  a->result.index = self->actions->len;
  a->result.kind = action->kind;
  a->result.uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  a->result.new_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  a->mailbox = g_strdup (action->mailbox != NULL && action->mailbox[0] != '\0' ? action->mailbox : "INBOX");
  a->result.mailbox = g_strdup (a->mailbox);
  a->want_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  if (action->uids != NULL)
    g_array_append_vals (a->want_uids, action->uids, action->n_uids);
  a->subject = g_strdup (action->subject);
  a->first_unseen = action->first_unseen;
  a->flags = action->flags != NULL ? g_strdupv ((char **) action->flags) : NULL;
  a->set = action->set;
  a->folder = g_strdup (action->folder);
  a->criteria = g_strdup (action->criteria);
  a->expunge = action->expunge;
  g_ptr_array_add (self->actions, a);

  if (self->done)
    _ml_imap_action_finish (self, a, FALSE, ML_IMAP_STATUS_NONE, "the session has ended");
  else if (self->idling)
    /* RFC 2177 3: the device has something to do; end IDLE first. */
    _ml_imap_client_send_done (self);
  else
    _ml_imap_client_proceed (self);
  if (self->next_action == a->result.index && a->result.finished)
    self->next_action++;
  return a->result.index;
}

guint
ml_imap_client_get_n_actions (MlImapClient *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->actions->len;
}

guint
ml_imap_client_get_n_pending (MlImapClient *self)
{
  guint n = 0;

  g_return_val_if_fail (self != NULL, 0);
  for (guint i = 0; i < self->actions->len; i++)
    if (!((ImapAction *) g_ptr_array_index (self->actions, i))->result.finished)
      n++;
  return n;
}

const MlImapActionResult *
ml_imap_client_get_result (MlImapClient *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (index >= self->actions->len)
    return NULL;
  return &((ImapAction *) g_ptr_array_index (self->actions, index))->result;
}

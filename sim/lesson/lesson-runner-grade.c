/* lesson-runner-grade.c — a lesson's checks graded on what the run left:
 * the servers' stores at the end and the trace of the dialogue.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <stdio.h>
#include <string.h>

#include "lesson/lesson-runner-private.h"
#include "lesson/lesson-mailauth.h"
#include "mail/mail-store.h"
#include "world/world.h"

#define MAX_HEADER_SCAN  (64 * 1024)  /* bytes of a message read for its Subject: */

static MlMailbox *
find_mailbox (MlWorld *world, const char *address, const char *name, char **why)
{
  const char *domain = strrchr (address, '@') + 1;
  MlMailStore *store = ml_world_get_store (world, domain);
  MlAccount *account = store ? ml_mail_store_find_account (store, address) : NULL;
  MlMailbox *box = NULL;

  if (account == NULL)
    {
      *why = g_strdup_printf ("no server holds %s", address);
      return NULL;
    }
  box = g_ascii_strcasecmp (name, "INBOX") == 0 ? ml_account_get_inbox (account)
                                                : ml_account_find_mailbox (account, name);
  if (box == NULL)
    *why = g_strdup_printf ("%s has no mailbox %s", address, name);
  return box;
}

/* The unfolded Subject: of a message (RFC 5322 2.2.3, 3.6.5), transfer full. */
static char *
message_subject (MlMessage *message)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (ml_message_get_data (message), &len);
  g_autoptr(GString) subject = NULL;
  gsize end = MIN (len, MAX_HEADER_SCAN);

  for (gsize i = 0; i < end;)
    {
      gsize eol = i;

      while (eol < end && data[eol] != '\n')
        eol++;
      if (eol == i || (eol == i + 1 && data[i] == '\r'))
        break;  /* the empty line ends the header section */
      if (subject != NULL)
        {
          if (data[i] != ' ' && data[i] != '\t')
            break;
          g_string_append_len (subject, data + i, (gssize) (eol - i));
        }
      else if (eol - i >= 8 && g_ascii_strncasecmp (data + i, "Subject:", 8) == 0)
        subject = g_string_new_len (data + i + 8, (gssize) (eol - i - 8));
      i = eol + 1;
    }
  if (subject == NULL)
    return g_strdup ("");
  g_strdelimit (subject->str, "\r\n", ' ');
  return g_strstrip (g_string_free (g_steal_pointer (&subject), FALSE));
}

static gboolean
message_has_flag (MlMessage *message, const char *flag)
{
  static const struct { const char *name; MlMessageFlags bit; } system[] = {
    { "\\Seen", ML_FLAG_SEEN }, { "\\Answered", ML_FLAG_ANSWERED },
    { "\\Flagged", ML_FLAG_FLAGGED }, { "\\Deleted", ML_FLAG_DELETED },
    { "\\Draft", ML_FLAG_DRAFT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (system); i++)
    if (g_ascii_strcasecmp (flag, system[i].name) == 0)
      return (ml_message_get_flags (message) & system[i].bit) != 0;
  return ml_message_has_keyword (message, flag);
}

static void
grade_flag (MlWorld *world, CheckState *cs)
{
  const MlLessonCheck *c = cs->check;
  g_autofree char *why = NULL;
  MlMailbox *box = find_mailbox (world, c->account, c->mailbox, &why);

  if (box == NULL)
    {
      cs->observed = g_steal_pointer (&why);
      return;
    }
  for (guint i = 0; i < ml_mailbox_get_count (box); i++)
    {
      MlMessage *m = ml_mailbox_get_message (box, i);
      g_autofree char *subject = message_subject (m);
      g_autofree char *lower = g_ascii_strdown (subject, -1);
      g_autofree char *want = g_ascii_strdown (c->subject, -1);

      if (strstr (lower, want) != NULL)
        {
          gboolean has = message_has_flag (m, c->flag);
          g_autofree char *flags = ml_message_flags_dup_string (ml_message_get_flags (m));

          cs->passed = has == c->present;
          cs->observed = g_strdup_printf ("\"%s\" has flags (%s)", subject, flags);
          return;
        }
    }
  cs->observed = g_strdup_printf ("no message in %s has \"%s\" in its subject",
                                  c->mailbox, c->subject);
}

static void
grade_device (MlLessonRunner *self, CheckState *cs)
{
  const MlLessonCheck *c = cs->check;
  guint64 n = ml_trace_get_length (self->trace);

  /* The world's summary at the end says what each device holds. */
  for (guint64 i = 0; i < n; i++)
    {
      const MlTraceEvent *e = _ml_lesson_runner_event_at (self, i);
      g_autofree char *prefix = NULL;
      guint count;

      if (e->kind != ML_TRACE_NOTE || g_strcmp0 (e->explain_key, "lesson.summary.device") != 0 ||
          g_strcmp0 (e->host, c->host) != 0 || e->text == NULL)
        continue;
      prefix = g_strdup_printf ("%s holds ", c->host);
      if (g_str_has_prefix (e->text, prefix) &&
          sscanf (e->text + strlen (prefix), "%u", &count) == 1)
        {
          cs->passed = count == c->count;
          cs->observed = g_strdup_printf ("%u message%s", count, count == 1 ? "" : "s");
          return;
        }
    }
  cs->observed = g_strdup_printf ("%s never read mail", c->host);
}

static void
grade_order (MlLessonRunner *self, CheckState *cs)
{
  const MlLessonCheck *c = cs->check;
  g_autoptr(GHashTable) seen_first = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint64 n = ml_trace_get_length (self->trace);
  guint sessions = 0, bad = 0;

  for (guint64 i = 0; i < n; i++)
    {
      const MlTraceEvent *e = _ml_lesson_runner_event_at (self, i);

      if (!_ml_lesson_runner_is_command (e) || e->protocol != c->protocol)
        continue;
      if (g_ascii_strcasecmp (e->verb, c->first) == 0)
        g_hash_table_add (seen_first, GUINT_TO_POINTER (e->conn_id));
      else if (g_ascii_strcasecmp (e->verb, c->then) == 0)
        {
          sessions++;
          if (!g_hash_table_contains (seen_first, GUINT_TO_POINTER (e->conn_id)))
            bad++;
        }
    }
  cs->passed = sessions > 0 && bad == 0;
  if (sessions == 0)
    cs->observed = g_strdup_printf ("no %s was sent", c->then);
  else
    cs->observed = g_strdup_printf ("%u %s of %u without %s before it", bad, c->then,
                                    sessions, c->first);
}

typedef struct {
  const MlLessonCheck *check;
  guint                replies;
  char                *last;
} ReplySearch;

static gboolean
find_reply (const MlTraceEvent *reply, const char *verb, gpointer data)
{
  ReplySearch *rs = data;
  const MlLessonCheck *c = rs->check;
  g_autofree char *status = NULL;

  if (reply->protocol != c->protocol || verb == NULL || strcmp (verb, c->command) != 0 ||
      !_ml_lesson_runner_is_final_reply (reply))
    return FALSE;
  rs->replies++;
  status = _ml_lesson_runner_reply_status (reply);
  g_free (rs->last);
  rs->last = g_strdup (status);
  if (c->code != 0 ? reply->code == c->code : g_ascii_strcasecmp (status, c->status) == 0)
    {
      g_free (rs->last);
      rs->last = g_steal_pointer (&status);
      rs->replies = G_MAXUINT;
      return TRUE;
    }
  return FALSE;
}

static void
grade_reply (MlLessonRunner *self, CheckState *cs)
{
  ReplySearch rs = { cs->check, 0, NULL };

  _ml_lesson_runner_for_each_reply (self, 0, ml_trace_get_length (self->trace), find_reply, &rs);
  cs->passed = rs.replies == G_MAXUINT;
  if (cs->passed)
    cs->observed = g_strdup_printf ("%s was answered %s", cs->check->command, rs.last);
  else if (rs.replies == 0)
    cs->observed = g_strdup_printf ("%s was never answered", cs->check->command);
  else
    cs->observed = g_strdup_printf ("%s was answered %s", cs->check->command, rs.last);
  g_free (rs.last);
}

static void
grade_state (MlLessonRunner *self, CheckState *cs)
{
  const MlLessonCheck *c = cs->check;
  guint64 n = ml_trace_get_length (self->trace);

  for (guint64 i = 0; i < n; i++)
    {
      const MlTraceEvent *e = _ml_lesson_runner_event_at (self, i);

      if (e->kind == ML_TRACE_STATE && e->protocol == c->protocol &&
          g_ascii_strcasecmp (e->state_to ? e->state_to : "", c->state) == 0)
        {
          cs->passed = TRUE;
          cs->observed = g_strdup_printf ("%s entered %s", e->host ? e->host : "a host",
                                          c->state);
          return;
        }
    }
  cs->observed = g_strdup_printf ("no %s session entered %s",
                                  ml_protocol_to_string (c->protocol), c->state);
}

void
_ml_lesson_runner_grade_check (MlLessonRunner *self, MlWorld *world, CheckState *cs)
{
  const MlLessonCheck *c = cs->check;
  g_autofree char *why = NULL;
  MlMailbox *box;

  switch (c->kind)
    {
    case ML_LESSON_CHECK_MAILBOX_COUNT:
      box = find_mailbox (world, c->account, c->mailbox, &why);
      if (box == NULL)
        {
          cs->observed = g_steal_pointer (&why);
          return;
        }
      cs->passed = ml_mailbox_get_count (box) == c->count;
      cs->observed = g_strdup_printf ("%u message%s", ml_mailbox_get_count (box),
                                      ml_mailbox_get_count (box) == 1 ? "" : "s");
      return;
    case ML_LESSON_CHECK_DELETED_KEPT:
      box = find_mailbox (world, c->account, c->mailbox, &why);
      if (box == NULL)
        {
          cs->observed = g_steal_pointer (&why);
          return;
        }
      {
        guint deleted = 0;

        for (guint i = 0; i < ml_mailbox_get_count (box); i++)
          if (ml_message_get_flags (ml_mailbox_get_message (box, i)) & ML_FLAG_DELETED)
            deleted++;
        cs->passed = deleted > 0;
        cs->observed = g_strdup_printf ("%u message%s marked \\Deleted still there",
                                        deleted, deleted == 1 ? "" : "s");
      }
      return;
    case ML_LESSON_CHECK_FLAG:
      grade_flag (world, cs);
      return;
    case ML_LESSON_CHECK_HEADER:
      box = find_mailbox (world, c->account, c->mailbox, &why);
      if (box == NULL)
        {
          cs->observed = g_steal_pointer (&why);
          return;
        }
      cs->passed = _ml_lesson_check_grade_header (c, box, &cs->observed);
      return;
    case ML_LESSON_CHECK_DEVICE_COUNT:
      grade_device (self, cs);
      return;
    case ML_LESSON_CHECK_ORDER:
      grade_order (self, cs);
      return;
    case ML_LESSON_CHECK_REPLY:
      grade_reply (self, cs);
      return;
    case ML_LESSON_CHECK_STATE:
      grade_state (self, cs);
      return;
    default:
      cs->observed = g_strdup ("unknown check");
      return;
    }
}

/* lesson-runner.c — plays a lesson's world to the end, then walks its
 * narrative, questions and checks, and grades them.
 *
 * Everything is decided by the finished run: a prediction's answer is the
 * reply the engines really sent, a check reads the stores and the trace.
 * The runner never prints; the CLI and the GUI present its items.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <json-glib/json-glib.h>
#include <math.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "lesson/lesson-runner.h"
#include "mail/mail-store.h"
#include "world/world.h"

#define MAX_HEADER_SCAN  (64 * 1024)  /* bytes of a message read for its Subject: */
#define MAX_ANSWER       1000         /* bytes of one answer kept for the results */

typedef struct {
  const MlLessonQuestion *question;
  char     *expected;   /* PREDICT: the reply as a student would write it */
  guint64   reply_index;/* PREDICT: trace index of that reply */
  char     *given;      /* NULL until answered */
  gboolean  correct;
} QuestionState;

typedef struct {
  const MlLessonCheck *check;
  gboolean  passed;
  char     *observed;
} CheckState;

struct _MlLessonRunner {
  GObject         parent_instance;
  const MlLesson *lesson;
  guint32         seed;
  MlTrace        *trace;
  gboolean        ran;
  GArray         *step_start;   /* guint64 per step, then the end of the run */
  GPtrArray      *questions;    /* QuestionState*, as lesson->questions */
  GPtrArray      *checks;       /* CheckState*, as lesson->checks */
  GArray         *items;        /* MlLessonItem, the walk */
  guint           next;
};

G_DEFINE_FINAL_TYPE (MlLessonRunner, ml_lesson_runner, G_TYPE_OBJECT)

static void
question_state_free (gpointer data)
{
  QuestionState *qs = data;

  g_free (qs->expected);
  g_free (qs->given);
  g_free (qs);
}

static void
check_state_free (gpointer data)
{
  CheckState *cs = data;

  g_free (cs->observed);
  g_free (cs);
}

static void
ml_lesson_runner_finalize (GObject *object)
{
  MlLessonRunner *self = ML_LESSON_RUNNER (object);

  g_clear_object (&self->trace);
  g_clear_pointer (&self->step_start, g_array_unref);
  g_clear_pointer (&self->questions, g_ptr_array_unref);
  g_clear_pointer (&self->checks, g_ptr_array_unref);
  g_clear_pointer (&self->items, g_array_unref);
  G_OBJECT_CLASS (ml_lesson_runner_parent_class)->finalize (object);
}

static void
ml_lesson_runner_class_init (MlLessonRunnerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ml_lesson_runner_finalize;
}

static void
ml_lesson_runner_init (MlLessonRunner *self)
{
  self->step_start = g_array_new (FALSE, FALSE, sizeof (guint64));
  self->questions = g_ptr_array_new_with_free_func (question_state_free);
  self->checks = g_ptr_array_new_with_free_func (check_state_free);
  self->items = g_array_new (FALSE, TRUE, sizeof (MlLessonItem));
}

MlLessonRunner *
ml_lesson_runner_new (const MlLesson *lesson, guint32 seed)
{
  MlLessonRunner *self;

  g_return_val_if_fail (lesson != NULL, NULL);
  self = g_object_new (ML_TYPE_LESSON_RUNNER, NULL);
  self->lesson = lesson;
  self->seed = seed;
  for (guint i = 0; i < lesson->questions->len; i++)
    {
      QuestionState *qs = g_new0 (QuestionState, 1);

      qs->question = lesson->questions->pdata[i];
      g_ptr_array_add (self->questions, qs);
    }
  for (guint i = 0; i < lesson->checks->len; i++)
    {
      CheckState *cs = g_new0 (CheckState, 1);

      cs->check = lesson->checks->pdata[i];
      g_ptr_array_add (self->checks, cs);
    }
  return self;
}

/* ---- reading the trace ---------------------------------------------------- */

static const MlTraceEvent *
event_at (MlLessonRunner *self, guint64 i)
{
  return ml_trace_get_event (self->trace, i);
}

/* A reply as a student writes it: the SMTP code, else the status word
 * (POP3 +OK/-ERR, RFC 1939 3; IMAP OK/NO/BAD after the tag or '*',
 * RFC 3501 7.1). Transfer full. */
static char *
reply_status (const MlTraceEvent *e)
{
  g_auto(GStrv) words = NULL;

  if (e->code != 0)
    return g_strdup_printf ("%u", e->code);
  if (e->text == NULL)
    return g_strdup ("");
  words = g_strsplit_set (e->text, " \r\n", 3);
  if (e->protocol == ML_PROTO_IMAP && words[0] != NULL && words[1] != NULL)
    return g_ascii_strup (words[1], -1);
  return g_ascii_strup (words[0] ? words[0] : "", -1);
}

static gboolean
is_command (const MlTraceEvent *e)
{
  return e->kind == ML_TRACE_DIALOGUE && e->direction == ML_DIR_CLIENT_TO_SERVER &&
         e->verb != NULL;
}

static gboolean
is_reply (const MlTraceEvent *e)
{
  return e->kind == ML_TRACE_DIALOGUE && e->direction == ML_DIR_SERVER_TO_CLIENT;
}

/* IMAP untagged data and continuations come before the tagged reply that
 * answers a command (RFC 3501 2.2.2). */
static gboolean
is_final_reply (const MlTraceEvent *e)
{
  if (e->protocol != ML_PROTO_IMAP || e->text == NULL)
    return TRUE;
  return !g_str_has_prefix (e->text, "* ") && !g_str_has_prefix (e->text, "+");
}

/* What a connection has sent and not yet had answered: clients pipeline
 * (RFC 2920, RFC 2449 PIPELINING, RFC 3501 5.5), so replies are matched
 * to commands in order, IMAP's by tag. */
typedef struct {
  GQueue pending;   /* PendingCommand*, oldest first */
  char  *last;      /* the verb last answered: a reply after the message
                       data still belongs to DATA */
} Conversation;

typedef struct {
  char *verb;
  char *tag;
} PendingCommand;

static void
pending_free (gpointer data)
{
  PendingCommand *pc = data;

  g_free (pc->verb);
  g_free (pc->tag);
  g_free (pc);
}

static void
conversation_free (gpointer data)
{
  Conversation *c = data;

  g_queue_clear_full (&c->pending, pending_free);
  g_free (c->last);
  g_free (c);
}

/* A reply that does not end its command: SMTP 3xx (RFC 5321 4.2.1), a
 * SASL challenge "+ " (RFC 1939 is silent, RFC 5034 4; RFC 3501 7.5), and
 * IMAP's untagged data before the tagged status (RFC 3501 2.2.2). */
static gboolean
is_intermediate (const MlTraceEvent *e)
{
  if (e->code >= 300 && e->code < 400)
    return TRUE;
  if (e->text == NULL)
    return FALSE;
  if (e->protocol == ML_PROTO_IMAP)
    return g_str_has_prefix (e->text, "*") || g_str_has_prefix (e->text, "+");
  return e->protocol == ML_PROTO_POP3 && g_str_has_prefix (e->text, "+ ");
}

/* The verb @reply answers, or NULL (a greeting); updates @c. Borrowed
 * from @c. */
static const char *
answer_verb (Conversation *c, const MlTraceEvent *reply)
{
  PendingCommand *pc = NULL;

  if (g_queue_is_empty (&c->pending))
    return c->last;
  if (is_intermediate (reply))
    return ((PendingCommand *) g_queue_peek_head (&c->pending))->verb;
  if (reply->protocol == ML_PROTO_IMAP && reply->text != NULL)
    {
      g_autofree char *tag = g_strndup (reply->text, strcspn (reply->text, " "));

      for (GList *l = c->pending.head; l != NULL && pc == NULL; l = l->next)
        if (g_strcmp0 (((PendingCommand *) l->data)->tag, tag) == 0)
          pc = l->data;
      if (pc != NULL)
        g_queue_remove (&c->pending, pc);
    }
  if (pc == NULL)
    pc = g_queue_pop_head (&c->pending);
  g_free (c->last);
  c->last = g_steal_pointer (&pc->verb);
  pending_free (pc);
  return c->last;
}

/* Walks [start, end) and calls @func on each reply with the verb it
 * answers (NULL before any command: a greeting). */
typedef gboolean (*ReplyFunc) (const MlTraceEvent *reply, const char *verb, gpointer data);

static void
for_each_reply (MlLessonRunner *self, guint64 start, guint64 end, ReplyFunc func,
                gpointer data)
{
  g_autoptr(GHashTable) conversations = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                                               NULL, conversation_free);

  for (guint64 i = start; i < end; i++)
    {
      const MlTraceEvent *e = event_at (self, i);
      Conversation *c;

      if (e == NULL || (!is_command (e) && !is_reply (e)))
        continue;
      c = g_hash_table_lookup (conversations, GUINT_TO_POINTER (e->conn_id));
      if (c == NULL)
        {
          c = g_new0 (Conversation, 1);
          g_hash_table_insert (conversations, GUINT_TO_POINTER (e->conn_id), c);
        }
      if (is_command (e))
        {
          PendingCommand *pc = g_new0 (PendingCommand, 1);

          pc->verb = g_ascii_strup (e->verb, -1);
          if (e->protocol == ML_PROTO_IMAP && e->text != NULL)
            pc->tag = g_strndup (e->text, strcspn (e->text, " "));
          g_queue_push_tail (&c->pending, pc);
        }
      else if (func (e, answer_verb (c, e), data))
        return;
    }
}

typedef struct {
  const char         *command;
  const MlTraceEvent *found;
} PredictSearch;

static gboolean
find_predicted (const MlTraceEvent *reply, const char *verb, gpointer data)
{
  PredictSearch *ps = data;

  if (ps->command == NULL)
    {
      ps->found = reply;
      return TRUE;
    }
  if (verb != NULL && strcmp (verb, ps->command) == 0 && is_final_reply (reply))
    {
      ps->found = reply;
      return TRUE;
    }
  return FALSE;
}

static void
prepare_prediction (MlLessonRunner *self, QuestionState *qs)
{
  guint step = qs->question->predict_step;
  PredictSearch ps = { qs->question->predict_command, NULL };

  for_each_reply (self, g_array_index (self->step_start, guint64, step - 1),
                  g_array_index (self->step_start, guint64, step), find_predicted, &ps);
  if (ps.found != NULL)
    {
      qs->expected = reply_status (ps.found);
      qs->reply_index = ps.found->index;
    }
  else
    qs->reply_index = g_array_index (self->step_start, guint64, step);
}

/* ---- checks ----------------------------------------------------------------- */

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
      const MlTraceEvent *e = event_at (self, i);
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
      const MlTraceEvent *e = event_at (self, i);

      if (!is_command (e) || e->protocol != c->protocol)
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
      !is_final_reply (reply))
    return FALSE;
  rs->replies++;
  status = reply_status (reply);
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

  for_each_reply (self, 0, ml_trace_get_length (self->trace), find_reply, &rs);
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
      const MlTraceEvent *e = event_at (self, i);

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

static void
grade_check (MlLessonRunner *self, MlWorld *world, CheckState *cs)
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

/* ---- the walk ------------------------------------------------------------------ */

static void
add_item (MlLessonRunner *self, MlLessonItemKind kind, guint step, guint64 start, guint64 end)
{
  MlLessonItem item = { 0 };

  item.kind = kind;
  item.step = step;
  item.step_data = (step > 0 && kind != ML_LESSON_ITEM_QUESTION)
                   ? self->lesson->steps->pdata[step - 1] : NULL;
  item.trace_start = start;
  item.trace_end = end;
  g_array_append_val (self->items, item);
}

static void
add_questions_after (MlLessonRunner *self, guint step, guint64 at)
{
  for (guint i = 0; i < self->questions->len; i++)
    {
      QuestionState *qs = self->questions->pdata[i];

      if (qs->question->kind != ML_LESSON_QUESTION_PREDICT && qs->question->after_step == step)
        {
          add_item (self, ML_LESSON_ITEM_QUESTION, step, at, at);
          g_array_index (self->items, MlLessonItem, self->items->len - 1).question = qs->question;
        }
    }
}

static gint
compare_reply_index (gconstpointer a, gconstpointer b)
{
  const QuestionState *qa = *(QuestionState *const *) a;
  const QuestionState *qb = *(QuestionState *const *) b;

  return qa->reply_index < qb->reply_index ? -1 : qa->reply_index > qb->reply_index;
}

static void
build_items (MlLessonRunner *self)
{
  const MlLesson *lesson = self->lesson;
  guint64 end = g_array_index (self->step_start, guint64, lesson->steps->len);

  add_questions_after (self, 0, 0);
  for (guint s = 1; s <= lesson->steps->len; s++)
    {
      const MlLessonStep *step = lesson->steps->pdata[s - 1];
      guint64 start = g_array_index (self->step_start, guint64, s - 1);
      guint64 stop = g_array_index (self->step_start, guint64, s);

      g_autoptr(GPtrArray) predictions = g_ptr_array_new ();

      add_item (self, ML_LESSON_ITEM_NARRATIVE, s, start, stop);
      for (guint i = 0; i < self->questions->len; i++)
        {
          QuestionState *qs = self->questions->pdata[i];

          if (qs->question->kind == ML_LESSON_QUESTION_PREDICT && qs->question->predict_step == s)
            g_ptr_array_add (predictions, qs);
        }
      /* In the order the replies came, so a player only moves forward. */
      g_ptr_array_sort (predictions, compare_reply_index);
      for (guint i = 0; i < predictions->len; i++)
        {
          QuestionState *qs = predictions->pdata[i];

          add_item (self, ML_LESSON_ITEM_QUESTION, s, start, qs->reply_index);
          g_array_index (self->items, MlLessonItem, self->items->len - 1).question = qs->question;
        }
      if (step->pause)
        add_item (self, ML_LESSON_ITEM_PAUSE, s, stop, stop);
      add_questions_after (self, s, stop);
    }
  for (guint i = 0; i < self->checks->len; i++)
    {
      CheckState *cs = self->checks->pdata[i];
      MlLessonItem *item;

      add_item (self, ML_LESSON_ITEM_CHECK, 0, end, ml_trace_get_length (self->trace));
      item = &g_array_index (self->items, MlLessonItem, self->items->len - 1);
      item->check = cs->check;
      item->passed = cs->passed;
      item->observed = cs->observed;
    }
}

gboolean
ml_lesson_runner_run (MlLessonRunner *self, GError **error)
{
  g_autoptr(MlWorld) world = NULL;
  guint64 at;

  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), FALSE);
  g_return_val_if_fail (!self->ran, FALSE);

  self->ran = TRUE;
  self->trace = ml_trace_new ();
  world = ml_world_new (self->lesson, self->seed, self->trace, error);
  if (world == NULL)
    return FALSE;
  for (guint i = 0; i < self->lesson->steps->len; i++)
    {
      at = ml_trace_get_length (self->trace);
      g_array_append_val (self->step_start, at);
      ml_world_run_step (world, i);
    }
  ml_world_finish (world);
  /* The end of the last step: the summary notes of finish belong to no step. */
  at = ml_trace_get_length (self->trace);
  g_array_append_val (self->step_start, at);

  for (guint i = 0; i < self->questions->len; i++)
    {
      QuestionState *qs = self->questions->pdata[i];

      if (qs->question->kind == ML_LESSON_QUESTION_PREDICT)
        prepare_prediction (self, qs);
    }
  for (guint i = 0; i < self->checks->len; i++)
    grade_check (self, world, self->checks->pdata[i]);
  build_items (self);
  return TRUE;
}

MlTrace *
ml_lesson_runner_get_trace (MlLessonRunner *self)
{
  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), NULL);
  return self->trace;
}

const MlLesson *
ml_lesson_runner_get_lesson (MlLessonRunner *self)
{
  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), NULL);
  return self->lesson;
}

gboolean
ml_lesson_runner_next_item (MlLessonRunner *self, MlLessonItem *item)
{
  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), FALSE);
  g_return_val_if_fail (item != NULL, FALSE);

  if (!self->ran || self->next >= self->items->len)
    {
      memset (item, 0, sizeof *item);
      item->kind = ML_LESSON_ITEM_END;
      item->trace_start = item->trace_end = self->trace ? ml_trace_get_length (self->trace) : 0;
      return FALSE;
    }
  *item = g_array_index (self->items, MlLessonItem, self->next++);
  return TRUE;
}

/* ---- answers ------------------------------------------------------------------- */

static QuestionState *
find_question (MlLessonRunner *self, const char *id)
{
  for (guint i = 0; i < self->questions->len; i++)
    {
      QuestionState *qs = self->questions->pdata[i];

      if (strcmp (qs->question->id, id) == 0)
        return qs;
    }
  return NULL;
}

static gboolean
number_of (const char *text, double *out)
{
  char *end = NULL;
  double value;

  if (*text == '\0' || strpbrk (text, "xXnN") != NULL)
    return FALSE;
  value = g_ascii_strtod (text, &end);
  if (*end != '\0' || !isfinite (value))
    return FALSE;
  *out = value;
  return TRUE;
}

/* @text case-folded, trimmed, each run of blanks one space (transfer full). */
static char *
normalize (const char *text)
{
  g_autofree char *folded = g_utf8_casefold (text, -1);
  GString *out = g_string_new (NULL);
  gboolean blank = FALSE;

  for (const char *p = g_strstrip (folded); *p; p++)
    {
      if (*p == ' ' || *p == '\t')
        {
          blank = TRUE;
          continue;
        }
      if (blank)
        g_string_append_c (out, ' ');
      blank = FALSE;
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* Equal without regard to case or runs of blanks, as a student types. */
static gboolean
same_text (const char *a, const char *b)
{
  g_autofree char *na = NULL;
  g_autofree char *nb = NULL;

  if (!g_utf8_validate (a, -1, NULL) || !g_utf8_validate (b, -1, NULL))
    return FALSE;
  na = normalize (a);
  nb = normalize (b);
  return strcmp (na, nb) == 0;
}

static gboolean
grade (QuestionState *qs, const char *answer)
{
  const MlLessonQuestion *q = qs->question;
  double value;

  switch (q->kind)
    {
    case ML_LESSON_QUESTION_CHOICE:
      /* The choice's text, or its number as the CLI lists them (from 1). */
      {
        guint64 number;

        if (same_text (answer, q->choices[q->answer_index]))
          return TRUE;
        return g_ascii_string_to_unsigned (answer, 10, 1, g_strv_length (q->choices),
                                           &number, NULL) &&
               number == q->answer_index + 1;
      }
    case ML_LESSON_QUESTION_NUMBER:
      return number_of (answer, &value) && fabs (value - q->number) <= q->tolerance + 1e-9;
    case ML_LESSON_QUESTION_TEXT:
      for (guint i = 0; q->accept[i] != NULL; i++)
        if (same_text (answer, q->accept[i]))
          return TRUE;
      return FALSE;
    case ML_LESSON_QUESTION_PREDICT:
      {
        /* "250", "250 OK", "+OK", "ok": the first word is what is graded. */
        g_auto(GStrv) words = g_strsplit_set (answer, " \t", 2);

        return qs->expected != NULL && words[0] != NULL &&
               g_ascii_strcasecmp (words[0], qs->expected) == 0;
      }
    default:
      return FALSE;
    }
}

gboolean
ml_lesson_runner_answer (MlLessonRunner *self, const char *question_id, const char *answer,
                         gboolean *correct_out, const char **feedback_out, GError **error)
{
  QuestionState *qs;
  g_autofree char *trimmed = NULL;

  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), FALSE);
  g_return_val_if_fail (question_id != NULL && answer != NULL, FALSE);

  qs = find_question (self, question_id);
  if (qs == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "the lesson has no question '%s'", question_id);
      return FALSE;
    }
  trimmed = g_strstrip (g_strndup (answer, MAX_ANSWER));
  qs->correct = grade (qs, trimmed);
  g_free (qs->given);
  qs->given = g_steal_pointer (&trimmed);
  if (correct_out)
    *correct_out = qs->correct;
  if (feedback_out)
    {
      const char *text = qs->correct ? qs->question->right : qs->question->wrong;

      *feedback_out = text ? text : qs->correct ? "Right." : "Not quite.";
    }
  return TRUE;
}

char *
ml_lesson_runner_dup_expected (MlLessonRunner *self, const char *question_id)
{
  QuestionState *qs;
  const MlLessonQuestion *q;

  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), NULL);
  qs = find_question (self, question_id);
  if (qs == NULL)
    return NULL;
  q = qs->question;
  switch (q->kind)
    {
    case ML_LESSON_QUESTION_CHOICE:  return g_strdup (q->choices[q->answer_index]);
    case ML_LESSON_QUESTION_NUMBER:  return g_strdup (q->answer);
    case ML_LESSON_QUESTION_TEXT:    return g_strdup (q->accept[0]);
    case ML_LESSON_QUESTION_PREDICT: return g_strdup (qs->expected);
    default:                         return NULL;
    }
}

void
ml_lesson_runner_get_score (MlLessonRunner *self, guint *earned_out, guint *possible_out)
{
  guint earned = 0, possible = 0;

  g_return_if_fail (ML_IS_LESSON_RUNNER (self));
  for (guint i = 0; i < self->questions->len; i++)
    {
      QuestionState *qs = self->questions->pdata[i];

      possible += qs->question->points;
      if (qs->correct)
        earned += qs->question->points;
    }
  for (guint i = 0; i < self->checks->len; i++)
    {
      CheckState *cs = self->checks->pdata[i];

      possible += cs->check->points;
      if (cs->passed)
        earned += cs->check->points;
    }
  if (earned_out)
    *earned_out = earned;
  if (possible_out)
    *possible_out = possible;
}

/* ---- results ------------------------------------------------------------------- */

typedef struct {
  const char *id, *kind, *given, *expected;
  gboolean    correct;
  guint       points, max_points;
} ResultRow;

static GArray *
result_rows (MlLessonRunner *self)
{
  GArray *rows = g_array_new (FALSE, TRUE, sizeof (ResultRow));

  for (guint i = 0; i < self->questions->len; i++)
    {
      QuestionState *qs = self->questions->pdata[i];
      ResultRow r = { qs->question->id, ml_lesson_question_kind_to_string (qs->question->kind),
                      qs->given, NULL, qs->correct,
                      qs->correct ? qs->question->points : 0, qs->question->points };

      g_array_append_val (rows, r);
    }
  for (guint i = 0; i < self->checks->len; i++)
    {
      CheckState *cs = self->checks->pdata[i];
      ResultRow r = { cs->check->id, "check", cs->observed, NULL, cs->passed,
                      cs->passed ? cs->check->points : 0, cs->check->points };

      g_array_append_val (rows, r);
    }
  return rows;
}

/* RFC 4180 2.6-2.7: a field with a comma, quote or line end is quoted,
 * quotes doubled. */
static void
csv_field (GString *out, const char *text)
{
  if (text == NULL)
    return;
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

gboolean
ml_lesson_runner_write_results (MlLessonRunner *self, const char *path,
                                MlLessonResultsFormat format, GError **error)
{
  g_autoptr(GArray) rows = NULL;
  g_autofree char *text = NULL;
  guint earned, possible;

  g_return_val_if_fail (ML_IS_LESSON_RUNNER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  rows = result_rows (self);
  ml_lesson_runner_get_score (self, &earned, &possible);
  if (format == ML_LESSON_RESULTS_CSV)
    {
      GString *out = g_string_new ("lesson,id,kind,answer,correct,points,max_points\r\n");

      for (guint i = 0; i < rows->len; i++)
        {
          const ResultRow *r = &g_array_index (rows, ResultRow, i);

          csv_field (out, self->lesson->id);
          g_string_append_c (out, ',');
          csv_field (out, r->id);
          g_string_append_printf (out, ",%s,", r->kind);
          csv_field (out, r->given);
          g_string_append_printf (out, ",%s,%u,%u\r\n", r->correct ? "true" : "false",
                                  r->points, r->max_points);
        }
      text = g_string_free (out, FALSE);
    }
  else
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "lesson");
      json_builder_add_string_value (b, self->lesson->id);
      json_builder_set_member_name (b, "seed");
      json_builder_add_int_value (b, self->seed);
      json_builder_set_member_name (b, "score");
      json_builder_add_int_value (b, earned);
      json_builder_set_member_name (b, "possible");
      json_builder_add_int_value (b, possible);
      json_builder_set_member_name (b, "rows");
      json_builder_begin_array (b);
      for (guint i = 0; i < rows->len; i++)
        {
          const ResultRow *r = &g_array_index (rows, ResultRow, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, r->id);
          json_builder_set_member_name (b, "kind");
          json_builder_add_string_value (b, r->kind);
          json_builder_set_member_name (b, "answer");
          if (r->given)
            json_builder_add_string_value (b, r->given);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "correct");
          json_builder_add_boolean_value (b, r->correct);
          json_builder_set_member_name (b, "points");
          json_builder_add_int_value (b, r->points);
          json_builder_set_member_name (b, "max_points");
          json_builder_add_int_value (b, r->max_points);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      text = json_generator_to_data (gen, NULL);
      {
        char *with_newline = g_strconcat (text, "\n", NULL);
        g_free (text);
        text = with_newline;
      }
    }
  return g_file_set_contents (path, text, -1, error);
}

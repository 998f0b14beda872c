/* lesson-runner-trace.c — the finished run's dialogue as a grader reads
 * it: which command each reply answers, connection by connection, and the
 * reply a "predict the next reply" question is about.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>

#include "lesson/lesson-runner-private.h"

const MlTraceEvent *
_ml_lesson_runner_event_at (MlLessonRunner *self, guint64 i)
{
  return ml_trace_get_event (self->trace, i);
}

/* A reply as a student writes it: the SMTP code, else the status word
 * (POP3 +OK/-ERR, RFC 1939 3; IMAP OK/NO/BAD after the tag or '*',
 * RFC 3501 7.1). Transfer full. */
char *
_ml_lesson_runner_reply_status (const MlTraceEvent *e)
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

gboolean
_ml_lesson_runner_is_command (const MlTraceEvent *e)
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
gboolean
_ml_lesson_runner_is_final_reply (const MlTraceEvent *e)
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

void
_ml_lesson_runner_for_each_reply (MlLessonRunner *self, guint64 start, guint64 end,
                                  MlLessonReplyFunc func, gpointer data)
{
  g_autoptr(GHashTable) conversations = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                                               NULL, conversation_free);

  for (guint64 i = start; i < end; i++)
    {
      const MlTraceEvent *e = _ml_lesson_runner_event_at (self, i);
      Conversation *c;

      if (e == NULL || (!_ml_lesson_runner_is_command (e) && !is_reply (e)))
        continue;
      c = g_hash_table_lookup (conversations, GUINT_TO_POINTER (e->conn_id));
      if (c == NULL)
        {
          c = g_new0 (Conversation, 1);
          g_hash_table_insert (conversations, GUINT_TO_POINTER (e->conn_id), c);
        }
      if (_ml_lesson_runner_is_command (e))
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
  if (verb != NULL && strcmp (verb, ps->command) == 0 && _ml_lesson_runner_is_final_reply (reply))
    {
      ps->found = reply;
      return TRUE;
    }
  return FALSE;
}

void
_ml_lesson_runner_prepare_prediction (MlLessonRunner *self, QuestionState *qs)
{
  guint step = qs->question->predict_step;
  PredictSearch ps = { qs->question->predict_command, NULL };

  _ml_lesson_runner_for_each_reply (self, g_array_index (self->step_start, guint64, step - 1),
                  g_array_index (self->step_start, guint64, step), find_predicted, &ps);
  if (ps.found != NULL)
    {
      qs->expected = _ml_lesson_runner_reply_status (ps.found);
      qs->reply_index = ps.found->index;
    }
  else
    qs->reply_index = g_array_index (self->step_start, guint64, step);
}

/* lesson-questions.c — a lesson's `questions`: multiple choice, numeric,
 * short text and "predict the next reply", each placed after a step.
 *
 * The kind follows from the keys given (choices, accept, predict, or a
 * numeric answer), so a teacher writes no type. The second pass checks
 * what needs the whole lesson: the answer is one of the choices, the
 * step a question points at exists, ids are unique.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <math.h>
#include <string.h>

#include "lesson/lesson-private.h"

#define NOT_GIVEN        G_MAXUINT
#define MAX_POINTS       100   /* per question or check */
#define MAX_CHOICES      10
#define MAX_ACCEPT       20
#define MAX_NUMBER       1e12  /* answers are counts, bytes, milliseconds */
#define MAX_COMMAND      16    /* RFC 5321 4.1.1, RFC 1939 3, RFC 3501 9: verbs are short atoms */

#define F(member) G_STRUCT_OFFSET (MlLessonQuestion, member)

static const char *const kind_names[] = { "choice", "number", "text", "predict" };

const char *
ml_lesson_question_kind_to_string (MlLessonQuestionKind kind)
{
  if ((gsize) kind >= G_N_ELEMENTS (kind_names))
    return "unknown";
  return kind_names[kind];
}

static gpointer
question_alloc (void)
{
  MlLessonQuestion *q = g_new0 (MlLessonQuestion, 1);

  q->after_step = NOT_GIVEN;
  q->points = 1;
  return q;
}

void
_ml_lesson_question_free (gpointer data)
{
  MlLessonQuestion *q = data;

  g_free (q->id);
  g_free (q->answer);
  g_free (q->ask);
  g_strfreev (q->choices);
  g_strfreev (q->accept);
  g_free (q->predict_command);
  g_free (q->right);
  g_free (q->wrong);
  g_free (q);
}

/* A command verb as the engines trace it: letters only (SMTP, POP3 and
 * IMAP verbs are atoms of letters), stored upper case. */
static gboolean
check_verb (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
            char **out, GError **error)
{
  g_autofree char *text = NULL;
  const MlLessonField field = { 0 };

  if (!_ml_lesson_parse_line (ld, node, path, &field, &text, error))
    return FALSE;
  if (strlen (text) > MAX_COMMAND)
    goto bad;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalpha (*p))
      goto bad;
  *out = g_ascii_strup (text, -1);
  return TRUE;

bad:
  {
    g_autofree char *q = _ml_lesson_quote (node);
    return _ml_lesson_fail (ld, node, path, error, "%s is not a command verb; write "
                            "the word alone, like RCPT, RETR or FETCH", q);
  }
}

/* predict: { step: N, command: VERB } */
static gboolean
parse_predict (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
               const MlLessonField *field, gpointer dest, GError **error)
{
  MlLessonQuestion *q = (MlLessonQuestion *) ((char *) dest - F (predict_step));
  gboolean have_step = FALSE;

  if (node->kind != ML_YAML_MAPPING)
    return _ml_lesson_fail (ld, node, path, error, "expected a group like "
                            "{ step: 2, command: RCPT }, found %s",
                            ml_yaml_kind_describe (node->kind));
  for (guint i = 0; i + 1 < node->items->len; i += 2)
    {
      const MlYamlNode *key = g_ptr_array_index (node->items, i);
      const MlYamlNode *value = g_ptr_array_index (node->items, i + 1);
      g_autofree char *sub = g_strdup_printf ("%s.%s", path, key->text);

      if (strcmp (key->text, "step") == 0 && !have_step)
        {
          const MlLessonField step_field = { "step", NULL, 0, TRUE, 1, 10000 };

          if (!_ml_lesson_parse_uint (ld, value, sub, &step_field, &q->predict_step, error))
            return FALSE;
          have_step = TRUE;
        }
      else if (strcmp (key->text, "command") == 0 && q->predict_command == NULL)
        {
          if (!check_verb (ld, value, sub, &q->predict_command, error))
            return FALSE;
        }
      else
        {
          static const char *const keys[] = { "step", "command" };
          g_autofree char *quoted = _ml_lesson_quote (key);
          g_autofree char *hint = _ml_lesson_did_you_mean (key->text, keys, G_N_ELEMENTS (keys));

          return _ml_lesson_fail (ld, key, path, error, "unknown or repeated key %s "
                                  "(a prediction has 'step' and 'command')%s", quoted, hint);
        }
    }
  if (!have_step)
    return _ml_lesson_fail (ld, node, path, error, "'step' is missing: which step's "
                            "reply is to be predicted?");
  q->kind = ML_LESSON_QUESTION_PREDICT;
  return TRUE;
}

/* Tolerance: a decimal number, no sign, no exponent. */
static gboolean
parse_tolerance (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                 const MlLessonField *field, gpointer dest, GError **error)
{
  g_autofree char *text = NULL;
  char *end = NULL;
  double value;

  if (!_ml_lesson_parse_line (ld, node, path, field, &text, error))
    return FALSE;
  value = g_ascii_strtod (text, &end);
  if (!g_ascii_isdigit (text[0]) || *end != '\0' || !isfinite (value) || value > MAX_NUMBER ||
      strpbrk (text, "eExX") != NULL)
    {
      g_autofree char *q = _ml_lesson_quote (node);
      return _ml_lesson_fail (ld, node, path, error, "%s is not a tolerance; write a "
                              "number like 0.5", q);
    }
  *(double *) dest = value;
  return TRUE;
}

static gboolean
parse_after_step (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                  const MlLessonField *field, gpointer dest, GError **error)
{
  return _ml_lesson_parse_uint (ld, node, path, field, dest, error);
}

static const MlLessonField question_fields[] = {
  { "id",         _ml_lesson_parse_line,  F (id),         FALSE },
  { "ask",        _ml_lesson_parse_text,  F (ask),        TRUE },
  { "after_step", parse_after_step,       F (after_step), FALSE, 0, 10000 },
  { "points",     _ml_lesson_parse_uint,  F (points),     FALSE, 1, MAX_POINTS },
  { "choices",    _ml_lesson_parse_lines, F (choices),    FALSE, 2 },
  { "answer",     _ml_lesson_parse_line,  F (answer),     FALSE },
  { "tolerance",  parse_tolerance,        F (tolerance),  FALSE },
  { "accept",     _ml_lesson_parse_lines, F (accept),     FALSE, 1 },
  { "predict",    parse_predict,          F (predict_step), FALSE },
  { "right",      _ml_lesson_parse_text,  F (right),      FALSE },
  { "wrong",      _ml_lesson_parse_text,  F (wrong),      FALSE },
};

static void
question_free (gpointer data)
{
  _ml_lesson_question_free (data);
}

const MlLessonElementType _ml_lesson_question_type =
  ML_LESSON_ELEMENT (MlLessonQuestion, question_fields, question);

#undef F

/* A number as a student or a teacher types it: optional '-', digits, an
 * optional fraction. */
static gboolean
number_parse (const char *text, double *out)
{
  const char *p = text;
  char *end = NULL;
  double value;

  if (*p == '-')
    p++;
  if (!g_ascii_isdigit (*p) || strpbrk (text, "eExX") != NULL)
    return FALSE;
  value = g_ascii_strtod (text, &end);
  if (end == NULL || *end != '\0' || !isfinite (value) || fabs (value) > MAX_NUMBER)
    return FALSE;
  *out = value;
  return TRUE;
}

static gboolean
check_one (MlLessonLoader *ld, MlLessonQuestion *q, guint i, GHashTable *ids, GError **error)
{
  const MlLesson *lesson = ld->lesson;
  const MlYamlNode *group = g_hash_table_lookup (ld->origin, q);
  g_autofree char *path = g_strdup_printf ("questions[%u]", i + 1);
  gboolean has_choices = q->choices != NULL, has_accept = q->accept != NULL;
  gboolean has_predict = ml_yaml_node_lookup (group, "predict") != NULL;
  guint n_kinds = (guint) has_choices + (guint) has_accept + (guint) has_predict;

  if (q->id == NULL)
    q->id = g_strdup_printf ("q%u", i + 1);
  else
    for (const char *p = q->id; *p; p++)
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
        {
          g_autofree char *sub = g_strdup_printf ("%s.id", path);
          return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "id"), sub, error,
                                  "'%s' is not an id; use letters, digits, '-' and '_' "
                                  "(an answer file names it)", q->id);
        }
  if (g_hash_table_contains (ids, q->id))
    return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "id"), path, error,
                            "another question already has the id '%s'", q->id);
  g_hash_table_add (ids, q->id);

  if (n_kinds > 1)
    return _ml_lesson_fail (ld, group, path, error, "a question has one of 'choices', "
                            "'accept' and 'predict', not several");
  if (q->after_step != NOT_GIVEN && q->after_step > lesson->steps->len)
    {
      g_autofree char *sub = g_strdup_printf ("%s.after_step", path);
      return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "after_step"), sub, error,
                              "the lesson has %u steps, so there is no step %u",
                              lesson->steps->len, q->after_step);
    }
  if (q->after_step == NOT_GIVEN)
    q->after_step = lesson->steps->len;
  if (ml_yaml_node_lookup (group, "tolerance") != NULL && (n_kinds > 0 || q->answer == NULL))
    {
      g_autofree char *sub = g_strdup_printf ("%s.tolerance", path);
      return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "tolerance"), sub, error,
                              "only a question with a numeric 'answer' has a tolerance");
    }

  if (has_choices)
    {
      q->kind = ML_LESSON_QUESTION_CHOICE;
      if (g_strv_length (q->choices) > MAX_CHOICES)
        return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "choices"), path, error,
                                "at most %u choices", MAX_CHOICES);
      if (q->answer == NULL)
        return _ml_lesson_fail (ld, group, path, error, "'answer' is missing: write the "
                                "right choice as it is written in 'choices'");
      for (guint c = 0; q->choices[c] != NULL; c++)
        {
          for (guint d = 0; d < c; d++)
            if (g_ascii_strcasecmp (q->choices[c], q->choices[d]) == 0)
              return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "choices"), path, error,
                                      "'%s' is a choice twice", q->choices[c]);
          if (g_ascii_strcasecmp (q->choices[c], q->answer) == 0)
            q->answer_index = c + 1;
        }
      if (q->answer_index == 0)
        {
          g_autofree char *sub = g_strdup_printf ("%s.answer", path);
          g_autofree char *hint = _ml_lesson_did_you_mean (q->answer,
                                                           (const char *const *) q->choices,
                                                           g_strv_length (q->choices));
          return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "answer"), sub, error,
                                  "'%s' is not one of the choices%s", q->answer, hint);
        }
      q->answer_index--;
    }
  else if (has_accept)
    {
      q->kind = ML_LESSON_QUESTION_TEXT;
      if (q->answer != NULL)
        return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "answer"), path, error,
                                "a question with 'accept' lists its answers there; "
                                "remove 'answer'");
      if (g_strv_length (q->accept) > MAX_ACCEPT)
        return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "accept"), path, error,
                                "at most %u accepted answers", MAX_ACCEPT);
    }
  else if (has_predict)
    {
      q->kind = ML_LESSON_QUESTION_PREDICT;
      if (q->answer != NULL)
        return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "answer"), path, error,
                                "a prediction is graded on what the server really sent; "
                                "remove 'answer'");
      if (q->predict_step > lesson->steps->len)
        {
          g_autofree char *sub = g_strdup_printf ("%s.predict.step", path);
          return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "predict"), sub, error,
                                  "the lesson has %u steps, so there is no step %u",
                                  lesson->steps->len, q->predict_step);
        }
      if (ml_yaml_node_lookup (group, "after_step") != NULL)
        return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "after_step"), path, error,
                                "a prediction is asked just before its reply; remove "
                                "'after_step'");
      q->after_step = q->predict_step - 1;
    }
  else
    {
      q->kind = ML_LESSON_QUESTION_NUMBER;
      if (q->answer == NULL)
        return _ml_lesson_fail (ld, group, path, error, "a question needs 'choices' and "
                                "'answer', 'accept', 'predict', or a numeric 'answer'");
      if (!number_parse (q->answer, &q->number))
        {
          g_autofree char *sub = g_strdup_printf ("%s.answer", path);
          return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, q, "answer"), sub, error,
                                  "'%s' is not a number; a question without 'choices', "
                                  "'accept' or 'predict' has a numeric answer", q->answer);
        }
    }
  return TRUE;
}

gboolean
_ml_lesson_check_questions (MlLessonLoader *ld, GError **error)
{
  GPtrArray *questions = ld->lesson->questions;
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < questions->len; i++)
    if (!check_one (ld, questions->pdata[i], i, ids, error))
      return FALSE;
  return TRUE;
}

/* lesson-runner-results.c — a student's answers graded, the score, and
 * the results a teacher collects (one row per question and check, JSON or
 * CSV).
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <json-glib/json-glib.h>
#include <math.h>
#include <gio/gio.h>
#include <string.h>

#include "lesson/lesson-runner-private.h"

#define MAX_ANSWER       1000         /* bytes of one answer kept for the results */

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

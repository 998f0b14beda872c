/* lesson-runner.h — a lesson played and graded, with no terminal and no
 * window: the CLI and the GUI's lesson panel both drive it.
 *
 * ml_lesson_runner_run plays the whole world to the end at once
 * (deterministic for a lesson and a seed), keeping the trace. The runner
 * then walks the lesson's positions in order with _next_item: each step's
 * narrative, its pause, the questions placed there (each with the trace
 * index it belongs to, so a player can seek there), and at the end the
 * checks, already graded on the final state and the trace. Answers may
 * come in any order; a question is graded once, the last answer counts.
 */
#pragma once

#include <glib-object.h>
#include "lesson/lesson.h"
#include "trace/trace.h"

G_BEGIN_DECLS

#define ML_TYPE_LESSON_RUNNER (ml_lesson_runner_get_type ())
G_DECLARE_FINAL_TYPE (MlLessonRunner, ml_lesson_runner, ML, LESSON_RUNNER, GObject)

typedef enum {
  ML_LESSON_ITEM_NARRATIVE = 0, /* a step starts: its narrative (may be NULL) */
  ML_LESSON_ITEM_PAUSE,         /* the step asked for a pause after it */
  ML_LESSON_ITEM_QUESTION,      /* a question to ask now */
  ML_LESSON_ITEM_CHECK,         /* a graded check (after the last step) */
  ML_LESSON_ITEM_END,           /* nothing more; _next_item keeps returning END */
} MlLessonItemKind;

/* What _next_item hands out. Pointers are borrowed from the runner and
 * its lesson and stay valid as long as the runner. */
typedef struct {
  MlLessonItemKind        kind;
  guint                   step;        /* 1-based step it belongs to; 0: before
                                          the first step or after the last */
  const MlLessonStep     *step_data;   /* NARRATIVE, PAUSE; NULL otherwise */
  const MlLessonQuestion *question;    /* QUESTION */
  const MlLessonCheck    *check;       /* CHECK */
  gboolean                passed;      /* CHECK: graded on the run */
  const char             *observed;    /* CHECK: what the run showed, one line
                                          ("2 messages", "STARTTLS at line 5") */
  /* The trace events that belong here: a step's events are
   * [trace_start, trace_end); a PREDICT question's reply is trace_end
   * (its player stops before it); other questions and pauses sit at the
   * end of their step. */
  guint64                 trace_start, trace_end;
} MlLessonItem;

typedef enum {
  ML_LESSON_RESULTS_JSON = 0,
  ML_LESSON_RESULTS_CSV,
} MlLessonResultsFormat;

/* @lesson is referenced by nothing: it must outlive the runner. */
MlLessonRunner *ml_lesson_runner_new         (const MlLesson *lesson, guint32 seed);
/* Plays the world to the end. FALSE with @error when the world cannot be
 * built (a lesson that loaded always builds, but the network may refuse
 * a route). Call once, before anything below. */
gboolean        ml_lesson_runner_run         (MlLessonRunner *self, GError **error);
MlTrace        *ml_lesson_runner_get_trace   (MlLessonRunner *self);   /* borrowed */
const MlLesson *ml_lesson_runner_get_lesson  (MlLessonRunner *self);   /* borrowed */
/* Fills @item with the next position; FALSE (and END) once at the end. */
gboolean        ml_lesson_runner_next_item   (MlLessonRunner *self, MlLessonItem *item);
/* Grades @answer (trimmed) for question @question_id. Returns TRUE when
 * right; @feedback_out (borrowed, may be NULL) gets the question's right
 * or wrong text, or a sentence built from the key when it has none.
 * FALSE with @error (G_IO_ERROR_NOT_FOUND) for an unknown id. */
gboolean        ml_lesson_runner_answer      (MlLessonRunner *self, const char *question_id,
                                              const char *answer, gboolean *correct_out,
                                              const char **feedback_out, GError **error);
/* The expected answer, as a student would type it (transfer full): the
 * choice, the number, the first accepted text, or the reply the engines
 * sent (code, or status word) for PREDICT. NULL for an unknown id. */
char           *ml_lesson_runner_dup_expected (MlLessonRunner *self, const char *question_id);
/* Points earned (right answers and passed checks) and the most there are. */
void            ml_lesson_runner_get_score   (MlLessonRunner *self, guint *earned_out,
                                              guint *possible_out);
/* One row per question and check: id, kind, answer given, correct, points. */
gboolean        ml_lesson_runner_write_results (MlLessonRunner *self, const char *path,
                                                MlLessonResultsFormat format, GError **error);

G_END_DECLS

/* lesson-runner-private.h — what the parts of the lesson runner share: its
 * instance, the state kept per question and per check, and the reading of
 * the trace's dialogue that the walk and the grading both need. Only
 * sim/lesson/lesson-runner*.c include it.
 */
#pragma once

#include "lesson/lesson-runner.h"
#include "world/world.h"

G_BEGIN_DECLS

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

/* The question and check states, freed with the runner. */
void     _ml_lesson_runner_question_state_free (gpointer data);
void     _ml_lesson_runner_check_state_free    (gpointer data);

/* lesson-runner-trace.c: the finished run's dialogue. */
const MlTraceEvent *_ml_lesson_runner_event_at (MlLessonRunner *self, guint64 i);  /* borrowed */
/* A reply as a student writes it: "250", "+OK", "OK" (transfer full). */
char    *_ml_lesson_runner_reply_status   (const MlTraceEvent *e);
gboolean _ml_lesson_runner_is_command     (const MlTraceEvent *e);
/* Not IMAP untagged data or a continuation (RFC 3501 2.2.2). */
gboolean _ml_lesson_runner_is_final_reply (const MlTraceEvent *e);
/* Walks [start, end) and calls @func on each reply with the verb it
 * answers (NULL before any command: a greeting); TRUE from @func stops. */
typedef gboolean (*MlLessonReplyFunc) (const MlTraceEvent *reply, const char *verb,
                                       gpointer data);
void     _ml_lesson_runner_for_each_reply (MlLessonRunner *self, guint64 start, guint64 end,
                                           MlLessonReplyFunc func, gpointer data);
/* A PREDICT question's expected reply and where it is in the trace. */
void     _ml_lesson_runner_prepare_prediction (MlLessonRunner *self, QuestionState *qs);

/* lesson-runner-grade.c: a check graded on the final stores and the trace. */
void     _ml_lesson_runner_grade_check    (MlLessonRunner *self, MlWorld *world,
                                           CheckState *cs);

G_END_DECLS

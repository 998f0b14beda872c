/* lesson-panel.h — the lesson beside the views: the narrative of the step
 * the player is in, the questions placed there (answered in place, with
 * the lesson's feedback), the graded checks at the end, and the score.
 *
 * The panel presents an MlLessonRunner (sim/lesson/lesson-runner.h) that
 * ran the lesson; it follows the player like every view, and grades with
 * the runner, so the CLI and the window agree on every answer.
 */
#pragma once

#include <gtk/gtk.h>
#include "player.h"
#include "lesson/lesson-runner.h"

G_BEGIN_DECLS

#define ML_TYPE_LESSON_PANEL (ml_lesson_panel_get_type ())
G_DECLARE_FINAL_TYPE (MlLessonPanel, ml_lesson_panel, ML, LESSON_PANEL, GtkWidget)

GtkWidget  *ml_lesson_panel_new          (void);
void        ml_lesson_panel_set_player   (MlLessonPanel *self, MlPlayer *player);
/* Takes a reference. NULL (a capture): the panel says there is no lesson. */
void        ml_lesson_panel_set_runner   (MlLessonPanel *self, MlLessonRunner *runner);
MlLessonRunner *ml_lesson_panel_get_runner (MlLessonPanel *self);  /* borrowed */

/* The lesson step the cursor is in (from 1), 0 before the first. */
guint       ml_lesson_panel_get_step     (MlLessonPanel *self);
/* Its narrative as shown (borrowed), "" when it has none. */
const char *ml_lesson_panel_get_narrative (MlLessonPanel *self);
/* Questions and checks on show now. */
guint       ml_lesson_panel_get_n_questions (MlLessonPanel *self);
guint       ml_lesson_panel_get_n_checks    (MlLessonPanel *self);
/* Answers question @id as a student typing @answer and pressing Check
 * would; TRUE when right. The feedback is shown under the question. */
gboolean    ml_lesson_panel_answer       (MlLessonPanel *self, const char *id, const char *answer);
/* The feedback shown for @id (borrowed), NULL before it is answered. */
const char *ml_lesson_panel_get_feedback (MlLessonPanel *self, const char *id);
/* "hide-ahead" (read-only, notified): TRUE while the cursor is before the
 * reply of an unanswered prediction of its step, so the views hide what
 * comes after the cursor and the question stays fair. */
gboolean    ml_lesson_panel_get_hide_ahead (MlLessonPanel *self);
/* "Score: 3 / 5" (borrowed). */
const char *ml_lesson_panel_get_score_text (MlLessonPanel *self);

G_END_DECLS

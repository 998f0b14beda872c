/* lesson-list.h — the start screen: every lesson with its title, level,
 * length and summary, and the capture entries (not available yet).
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ML_TYPE_LESSON_LIST (ml_lesson_list_get_type ())
G_DECLARE_FINAL_TYPE (MlLessonList, ml_lesson_list, ML, LESSON_LIST, GtkWidget)

GtkWidget *ml_lesson_list_new        (void);
/* Lists every "*.yaml" lesson of @dir in name order; a file that does not
 * load is listed with its error, and cannot be opened. Returns how many
 * lessons can be opened. */
guint      ml_lesson_list_load_dir   (MlLessonList *self, const char *dir);
/* The path of the @index-th lesson that can be opened, or NULL (borrowed). */
const char *ml_lesson_list_get_path  (MlLessonList *self, guint index);

/* Signal "lesson-activated" (const char *path). */

G_END_DECLS

/* lesson-values-private.h — what lesson-values.c lends the other value
 * parsers (lesson-values-session.c): the checks of a single value and of a
 * list of them. Only sim/lesson/lesson-values*.c include it.
 */
#pragma once

#include "lesson/lesson-private.h"

G_BEGIN_DECLS

/* One item of a list, checked and copied to @out (transfer full). */
typedef gboolean (*MlLessonCheckItem) (MlLessonLoader *ld, const MlYamlNode *node,
                                       const char *path, char **out, GError **error);

/* A single scalar value, not empty, without NUL. */
gboolean _ml_lesson_expect_scalar (MlLessonLoader *ld, const MlYamlNode *node,
                                   const char *path, GError **error);
/* One line of text, trailing line ends of a block scalar dropped (transfer full). */
gboolean _ml_lesson_check_line    (MlLessonLoader *ld, const MlYamlNode *node,
                                   const char *path, char **out, GError **error);
/* A list (or a single value) of items each checked by @check, into a
 * NULL-terminated GStrv at @dest; field->min is the fewest items. */
gboolean _ml_lesson_parse_strv    (MlLessonLoader *ld, const MlYamlNode *node,
                                   const char *path, const MlLessonField *field,
                                   gpointer dest, MlLessonCheckItem check, GError **error);

G_END_DECLS

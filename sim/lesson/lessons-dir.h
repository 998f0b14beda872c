/* lessons-dir.h — where the lessons are, and a lesson by name, for both
 * maillab-cli and the visualizer: $MAILLAB_LESSONS_DIR, else the source
 * tree's lessons/ when running uninstalled, else the installed copy.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *ml_lessons_dir_get         (void);   /* static string */
/* The explanation catalog's folder, lessons/explain (caller frees). */
char       *ml_lessons_dir_dup_explain (void);
/* @name: a file, a lesson id ("01-smtp-journey") or its number ("01").
 * Returns the file's path (caller frees) or NULL with @error set. */
char       *ml_lessons_dir_find        (const char *name, GError **error);

G_END_DECLS

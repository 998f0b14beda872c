/* cli.h — what the maillab-cli subcommands share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Each subcommand: argv[0] is the subcommand's name. Returns an exit code. */
int   ml_cli_run     (int argc, char **argv);

/* A lesson given as a path, a file name in the lessons folder, or a name
 * ("01-smtp-journey") or its number ("01"). Caller frees. */
char *ml_cli_find_lesson (const char *name, GError **error);
/* The lessons folder: $MAILLAB_LESSONS_DIR, the source tree when run from
 * a build tree, or the installed one. */
const char *ml_cli_lessons_dir (void);

G_END_DECLS

/* cli.h — what the maillab-cli subcommands share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Each subcommand: argv[0] is the subcommand's name. Returns an exit code. */
int   ml_cli_run     (int argc, char **argv);
int   ml_cli_inspect (int argc, char **argv);
int   ml_cli_capture (int argc, char **argv);
int   ml_cli_serve   (int argc, char **argv);
int   ml_cli_user    (int argc, char **argv);
int   ml_cli_lesson  (int argc, char **argv);
int   ml_cli_send    (int argc, char **argv);
int   ml_cli_fetch   (int argc, char **argv);

G_END_DECLS

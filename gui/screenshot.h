/* screenshot.h — `maillab --screenshot`: run a lesson, put the player on
 * a step, and save the main window as a PNG, in-process and headless
 * (it works under Xvfb). How the README's pictures and the GUI tests'
 * images are made.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct {
  char    *file;      /* PNG to write */
  char    *lesson;    /* a file, id or number, as maillab-cli takes it */
  guint64  step;      /* step, counting from 1 */
  gboolean packets;   /* count steps by packet, not by dialogue line */
  int      width;
  int      height;
  gboolean dark;
  char    *view;      /* "ladder" (NULL), "topology", "mailboxes", "compare" */
  gboolean panel;     /* show the lesson panel (hidden otherwise, so the
                         picture shows the view at the window's width) */
} MlScreenshotOptions;

/* Called once with the exit status (0 on success; a message went to
 * stderr otherwise). */
typedef void (*MlScreenshotDone) (int status, gpointer user_data);

/* Copies @options. The window belongs to @application while it exists. */
void ml_screenshot_run (GtkApplication            *application,
                        const MlScreenshotOptions *options,
                        MlScreenshotDone           done,
                        gpointer                   user_data);

/* Renders @widget as it is now into a PNG. */
gboolean ml_screenshot_save_widget (GtkWidget *widget, const char *file, GError **error);

G_END_DECLS

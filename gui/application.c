#define G_LOG_DOMAIN "ml-application"

#include "ml-config.h"

#include <stdio.h>
#include "application.h"
#include "gui.h"
#include "lesson/lessons-dir.h"
#include "screenshot.h"
#include "server-attach.h"
#include "trace-open.h"
#include "window.h"

struct _MlApplication
{
  AdwApplication parent_instance;
  int            exit_status;
};

G_DEFINE_FINAL_TYPE (MlApplication, ml_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "lesson", 'l', 0, G_OPTION_ARG_STRING, NULL, "Open a lesson (a file, its name or its number)", "NAME" },
  { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL, "Save the window at --step of --lesson as a PNG, then quit", "FILE" },
  { "step", 0, 0, G_OPTION_ARG_INT64, NULL, "Dialogue step for --screenshot (from 1)", "N" },
  { "packets", 0, 0, G_OPTION_ARG_NONE, NULL, "With --screenshot: count --step by packet", NULL },
  { "width", 0, 0, G_OPTION_ARG_INT, NULL, "Window width for --screenshot (1280)", "W" },
  { "height", 0, 0, G_OPTION_ARG_INT, NULL, "Window height for --screenshot (800)", "H" },
  { "dark", 0, 0, G_OPTION_ARG_NONE, NULL, "Dark style for --screenshot", NULL },
  { "view", 0, 0, G_OPTION_ARG_STRING, NULL, "With --screenshot: ladder, topology, mailboxes, compare or console", "VIEW" },
  { "lesson-panel", 0, 0, G_OPTION_ARG_NONE, NULL, "With --screenshot: show the lesson panel (narrative, questions, score)", NULL },
  { "attach", 0, 0, G_OPTION_ARG_FILENAME, NULL, "Attach to a running maillab-cli serve through its trace socket", "SOCKET" },
  { "trace", 0, 0, G_OPTION_ARG_FILENAME, NULL, "Open a saved trace (JSON lines)", "FILE.jsonl" },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, "Show the version", NULL },
  { NULL }
};

static MlWindow *
active_window (MlApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (ML_IS_WINDOW (window))
    return ML_WINDOW (window);
  return ml_window_new (GTK_APPLICATION (self));
}

static void
ml_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (active_window (ML_APPLICATION (app))));
}

static int
ml_application_handle_local_options (GApplication *app, GVariantDict *dict)
{
  if (g_variant_dict_contains (dict, "version"))
    {
      printf ("maillab %s\n", ML_VERSION);
      return 0;
    }
  if (g_variant_dict_contains (dict, "screenshot"))
    {
      if (!g_variant_dict_contains (dict, "lesson"))
        {
          fprintf (stderr, "maillab: --screenshot needs --lesson NAME\n");
          return 2;
        }
      /* A screenshot is this process's own business: never hand it to a
       * maillab that is already running. */
      g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
    }
  return -1;
}

static void
on_screenshot_done (int status, gpointer user_data)
{
  MlApplication *self = user_data;

  self->exit_status = status;
  g_application_release (G_APPLICATION (self));
}

static int
ml_application_command_line (GApplication *app, GApplicationCommandLine *command_line)
{
  MlApplication *self = ML_APPLICATION (app);
  GVariantDict *dict = g_application_command_line_get_options_dict (command_line);
  g_autofree char *lesson = NULL;
  g_autofree char *file = NULL;
  g_autofree char *view = NULL;
  g_autofree char *attach = NULL;
  g_autofree char *trace = NULL;

  g_variant_dict_lookup (dict, "lesson", "s", &lesson);
  g_variant_dict_lookup (dict, "attach", "^ay", &attach);
  g_variant_dict_lookup (dict, "trace", "^ay", &trace);
  g_variant_dict_lookup (dict, "view", "s", &view);
  if (g_variant_dict_lookup (dict, "screenshot", "^ay", &file))
    {
      MlScreenshotOptions shot = { 0 };
      gint64 step = 1;

      g_variant_dict_lookup (dict, "step", "x", &step);
      g_variant_dict_lookup (dict, "width", "i", &shot.width);
      g_variant_dict_lookup (dict, "height", "i", &shot.height);
      shot.dark = g_variant_dict_contains (dict, "dark");
      shot.panel = g_variant_dict_contains (dict, "lesson-panel");
      shot.packets = g_variant_dict_contains (dict, "packets");
      shot.step = step > 0 ? (guint64) step : 1;
      shot.file = file;
      shot.lesson = lesson;
      shot.view = view;
      g_application_hold (app);
      ml_screenshot_run (GTK_APPLICATION (app), &shot, on_screenshot_done, self);
      return 0;
    }

  {
    MlWindow *window = active_window (self);

    gtk_window_present (GTK_WINDOW (window));
    if (lesson)
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = ml_lessons_dir_find (lesson, &error);

        if (path == NULL)
          {
            g_application_command_line_printerr (command_line, "maillab: %s\n", error->message);
            return 1;
          }
        ml_window_open_lesson (window, path);
      }
    else if (attach || trace)
      {
        /* Relative to where `maillab` was typed, which need not be where
         * the running instance started. */
        g_autoptr(GFile) arg = g_application_command_line_create_file_for_arg (command_line,
                                                                              attach ? attach : trace);
        g_autofree char *path = g_file_get_path (arg);

        if (attach)
          ml_window_attach_server (window, path);
        else
          ml_window_open_trace (window, path);
      }
  }
  return 0;
}

static void
app_quit (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (user_data));

  /* Destroying a window removes it from the list. */
  while (windows)
    {
      gtk_window_destroy (windows->data);
      windows = gtk_application_get_windows (GTK_APPLICATION (user_data));
    }
}

static void
app_about (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  static const char *developers[] = { "The maillab authors", NULL };

  adw_show_about_window (parent,
                         "application-name", "maillab",
                         "application-icon", ML_APPLICATION_ID,
                         "version", ML_VERSION,
                         "comments", "A teaching lab for email protocols: watch SMTP, POP3 and IMAP "
                                     "travel a simulated network, down to every TCP segment.",
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         NULL);
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = app_quit },
  { .name = "about", .activate = app_about },
};

static void
ml_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *help_accels[] = { "F1", "<Control>question", NULL };

  G_APPLICATION_CLASS (ml_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay", help_accels);
}

static void
ml_application_class_init (MlApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = ml_application_activate;
  app_class->startup = ml_application_startup;
  app_class->handle_local_options = ml_application_handle_local_options;
  app_class->command_line = ml_application_command_line;
}

static void
ml_application_init (MlApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            "The maillab visualizer: step through email protocols, "
                                            "from the dialogue down to every packet.");
}

MlApplication *
ml_application_new (void)
{
  ml_gui_init ();
  return g_object_new (ML_TYPE_APPLICATION,
                       "application-id", ML_APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/org/maillab/Maillab",
                       NULL);
}

int
ml_application_get_exit_status (MlApplication *self)
{
  g_return_val_if_fail (ML_IS_APPLICATION (self), 1);
  return self->exit_status;
}

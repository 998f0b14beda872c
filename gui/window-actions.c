#define G_LOG_DOMAIN "ml-window-actions"

#include "window-private.h"
#include "lesson/lessons-dir.h"
#include "ladder-export.h"
#include "capture-export.h"
#include "live-capture.h"
#include "server-attach.h"
#include "trace-open.h"

static void
player_play_pause (GtkWidget *widget, const char *action, GVariant *param)
{
  MlWindow *self = ML_WINDOW (widget);

  ml_player_set_playing (self->player, !ml_player_get_playing (self->player));
}

static void
player_step_forward (GtkWidget *widget, const char *action, GVariant *param)
{
  MlWindow *self = ML_WINDOW (widget);

  ml_player_set_playing (self->player, FALSE);
  ml_player_step_forward (self->player);
}

static void
player_step_back (GtkWidget *widget, const char *action, GVariant *param)
{
  MlWindow *self = ML_WINDOW (widget);

  ml_player_set_playing (self->player, FALSE);
  ml_player_step_back (self->player);
}

static void
player_start (GtkWidget *widget, const char *action, GVariant *param)
{
  MlWindow *self = ML_WINDOW (widget);

  ml_player_set_playing (self->player, FALSE);
  ml_player_go_to_start (self->player);
}

static void
player_end (GtkWidget *widget, const char *action, GVariant *param)
{
  MlWindow *self = ML_WINDOW (widget);

  ml_player_set_playing (self->player, FALSE);
  ml_player_go_to_end (self->player);
}

static void
player_mode (GtkWidget *widget, const char *action, GVariant *param)
{
  MlWindow *self = ML_WINDOW (widget);

  ml_player_set_mode (self->player, ml_player_get_mode (self->player) == ML_STEP_MODE_DIALOGUE
                                    ? ML_STEP_MODE_PACKETS : ML_STEP_MODE_DIALOGUE);
}

static void
win_lessons (GtkWidget *widget, const char *action, GVariant *param)
{
  ml_window_show_lessons (ML_WINDOW (widget));
}

static void
on_chooser_response (MlWindow *self, int response, GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path)
        ml_window_open_lesson (self, path);
    }
  g_clear_object (&self->chooser);
}

static void
win_open (GtkWidget *widget, const char *action, GVariant *param)
{
  MlWindow *self = ML_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr(GFile) folder = g_file_new_for_path (ml_lessons_dir_get ());

  if (self->chooser)
    return;
  self->chooser = gtk_file_chooser_native_new ("Open Lesson File", GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", "_Cancel");
  gtk_file_filter_set_name (filter, "Lessons (*.yaml)");
  gtk_file_filter_add_pattern (filter, "*.yaml");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), folder, NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_capture_chooser_response (MlWindow *self, int response, GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path)
        ml_window_open_capture (self, path);
    }
  g_clear_object (&self->chooser);
}

static void
win_open_capture (GtkWidget *widget, const char *action, GVariant *param)
{
  MlWindow *self = ML_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (self->chooser)
    return;
  self->chooser = gtk_file_chooser_native_new ("Open Capture", GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", "_Cancel");
  gtk_file_filter_set_name (filter, "Captures (pcap, pcapng)");
  gtk_file_filter_add_pattern (filter, "*.pcap");
  gtk_file_filter_add_pattern (filter, "*.pcapng");
  gtk_file_filter_add_pattern (filter, "*.cap");
  gtk_file_filter_add_mime_type (filter, "application/vnd.tcpdump.pcap");
  gtk_file_filter_add_mime_type (filter, "application/x-pcapng");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_file_filter_set_name (all, "All files");
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (on_capture_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* What an export writes; the window's one chooser carries it as data. */
typedef enum {
  EXPORT_LADDER = 1,
  EXPORT_TRANSCRIPT,
  EXPORT_CAPTURE,
} ExportKind;

static gboolean
export_to (MlWindow *self, ExportKind kind, const char *path, GError **error)
{
  MlTrace *trace = ml_player_get_trace (self->player);

  if (trace == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "Nothing to export");
      return FALSE;
    }
  switch (kind)
    {
    case EXPORT_TRANSCRIPT:
      return ml_transcript_export (trace, path, error);
    case EXPORT_CAPTURE:
      /* A lesson's frames carry its virtual time from its epoch; a
       * capture's times are its own. */
      return ml_capture_export (trace, self->lesson ? self->lesson->epoch_unix * G_USEC_PER_SEC : 0,
                                path, ml_capture_export_format_for_path (path), error);
    case EXPORT_LADDER:
    default:
      return ml_ladder_export_all (self->ladder, path, ml_ladder_export_format_for_path (path),
                                   NULL, error);
    }
}

static void
on_export_response (MlWindow *self, int response, GtkFileChooserNative *chooser)
{
  ExportKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "ml-export"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;
      gboolean ok = path && export_to (self, kind, path, &error);
      g_autofree char *message = ok ? g_strdup_printf ("Exported to %s", path)
                                    : g_strdup (error ? error->message : "Nothing to export");

      adw_toast_overlay_add_toast (self->toasts, adw_toast_new (message));
    }
  g_clear_object (&self->chooser);
}

static void
start_export (MlWindow *self, ExportKind kind)
{
  static const char * const titles[] = { NULL, "Export Ladder", "Export Transcript", "Export Capture" };
  static const char * const names[] = { NULL, "ladder.pdf", "transcript.txt", "lesson.pcapng" };

  if (self->chooser || ml_player_get_trace (self->player) == NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (titles[kind], GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, "_Export", "_Cancel");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), names[kind]);
  g_object_set_data (G_OBJECT (self->chooser), "ml-export", GINT_TO_POINTER (kind));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
win_toggle_lesson (GtkWidget *widget, const char *action, GVariant *param)
{
  MlWindow *self = ML_WINDOW (widget);

  adw_flap_set_reveal_flap (self->lesson_flap, !adw_flap_get_reveal_flap (self->lesson_flap));
}

static void
win_export_capture (GtkWidget *widget, const char *action, GVariant *param)
{
  start_export (ML_WINDOW (widget), EXPORT_CAPTURE);
}

static void
win_export_ladder (GtkWidget *widget, const char *action, GVariant *param)
{
  start_export (ML_WINDOW (widget), EXPORT_LADDER);
}

static void
win_export_transcript (GtkWidget *widget, const char *action, GVariant *param)
{
  start_export (ML_WINDOW (widget), EXPORT_TRANSCRIPT);
}

static void
win_live_capture (GtkWidget *widget, const char *action, GVariant *param)
{
  gtk_window_present (ml_live_capture_dialog_new (ML_WINDOW (widget)));
}

static void
win_attach (GtkWidget *widget, const char *action, GVariant *param)
{
  gtk_window_present (ml_attach_dialog_new (ML_WINDOW (widget)));
}

static void
win_detach (GtkWidget *widget, const char *action, GVariant *param)
{
  ml_window_detach_server (ML_WINDOW (widget));
}

static void
on_trace_chooser_response (MlWindow *self, int response, GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path)
        ml_window_open_trace (self, path);
    }
  g_clear_object (&self->chooser);
}

static void
win_open_trace (GtkWidget *widget, const char *action, GVariant *param)
{
  MlWindow *self = ML_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (self->chooser)
    return;
  self->chooser = gtk_file_chooser_native_new ("Open Trace", GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", "_Cancel");
  gtk_file_filter_set_name (filter, "Traces (JSON lines)");
  gtk_file_filter_add_pattern (filter, "*.jsonl");
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_file_filter_set_name (all, "All files");
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (on_trace_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
win_live_stop (GtkWidget *widget, const char *action, GVariant *param)
{
  ml_window_stop_live_capture (ML_WINDOW (widget));
}

static void
zoom_by (MlWindow *self, double factor)
{
  if (factor == 0)
    ml_ladder_view_set_zoom (self->ladder, 1.0);
  else
    ml_ladder_view_set_zoom (self->ladder, ml_ladder_view_get_zoom (self->ladder) * factor);
}

static void
win_zoom_in (GtkWidget *widget, const char *action, GVariant *param)
{
  zoom_by (ML_WINDOW (widget), ML_WINDOW_ZOOM_STEP);
}

static void
win_zoom_out (GtkWidget *widget, const char *action, GVariant *param)
{
  zoom_by (ML_WINDOW (widget), 1.0 / ML_WINDOW_ZOOM_STEP);
}

static void
win_zoom_reset (GtkWidget *widget, const char *action, GVariant *param)
{
  zoom_by (ML_WINDOW (widget), 0);
}

void
_ml_window_class_init_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "player.play-pause", NULL, player_play_pause);
  gtk_widget_class_install_action (widget_class, "player.step-forward", NULL, player_step_forward);
  gtk_widget_class_install_action (widget_class, "player.step-back", NULL, player_step_back);
  gtk_widget_class_install_action (widget_class, "player.start", NULL, player_start);
  gtk_widget_class_install_action (widget_class, "player.end", NULL, player_end);
  gtk_widget_class_install_action (widget_class, "player.toggle-mode", NULL, player_mode);
  gtk_widget_class_install_action (widget_class, "win.lessons", NULL, win_lessons);
  gtk_widget_class_install_action (widget_class, "win.open", NULL, win_open);
  gtk_widget_class_install_action (widget_class, "win.open-capture", NULL, win_open_capture);
  gtk_widget_class_install_action (widget_class, "win.zoom-in", NULL, win_zoom_in);
  gtk_widget_class_install_action (widget_class, "win.zoom-out", NULL, win_zoom_out);
  gtk_widget_class_install_action (widget_class, "win.zoom-reset", NULL, win_zoom_reset);
  gtk_widget_class_install_action (widget_class, "win.export-ladder", NULL, win_export_ladder);
  gtk_widget_class_install_action (widget_class, "win.export-transcript", NULL, win_export_transcript);
  gtk_widget_class_install_action (widget_class, "win.export-capture", NULL, win_export_capture);
  gtk_widget_class_install_action (widget_class, "win.toggle-lesson", NULL, win_toggle_lesson);
  gtk_widget_class_install_action (widget_class, "win.live-capture", NULL, win_live_capture);
  gtk_widget_class_install_action (widget_class, "win.live-stop", NULL, win_live_stop);
  gtk_widget_class_install_action (widget_class, "win.attach", NULL, win_attach);
  gtk_widget_class_install_action (widget_class, "win.detach", NULL, win_detach);
  gtk_widget_class_install_action (widget_class, "win.open-trace", NULL, win_open_trace);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_O, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.open-capture", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, GDK_CONTROL_MASK, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "win.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, GDK_CONTROL_MASK, "win.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "win.zoom-reset", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "player.toggle-mode", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.toggle-lesson", NULL);
}

static void
add_shortcut (GtkShortcutController *controller, guint key, const char *action)
{
  gtk_shortcut_controller_add_shortcut (controller,
                                        gtk_shortcut_new (gtk_keyval_trigger_new (key, 0),
                                                          gtk_named_action_new (action)));
}

/* The transport keys work wherever the focus is: they are caught on the
 * way down, before a focused button would take Space for itself. */
void
_ml_window_init_shortcuts (MlWindow *self)
{
  GtkEventController *controller = gtk_shortcut_controller_new ();
  GtkShortcutController *shortcuts = GTK_SHORTCUT_CONTROLLER (controller);

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  gtk_event_controller_set_name (controller, "ml-transport-keys");
  add_shortcut (shortcuts, GDK_KEY_space, "player.play-pause");
  add_shortcut (shortcuts, GDK_KEY_Right, "player.step-forward");
  add_shortcut (shortcuts, GDK_KEY_Left, "player.step-back");
  add_shortcut (shortcuts, GDK_KEY_Home, "player.start");
  add_shortcut (shortcuts, GDK_KEY_End, "player.end");
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

void
_ml_window_update_actions (MlWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean lesson = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "lesson") == 0;
  gboolean forward = lesson && ml_player_can_step_forward (self->player);
  gboolean back = lesson && ml_player_can_step_back (self->player);

  gtk_widget_action_set_enabled (widget, "player.step-forward", forward);
  gtk_widget_action_set_enabled (widget, "player.end", forward);
  gtk_widget_action_set_enabled (widget, "player.step-back", back);
  gtk_widget_action_set_enabled (widget, "player.start", back);
  gtk_widget_action_set_enabled (widget, "player.play-pause", lesson && ml_player_get_n_steps (self->player) > 1);
  gtk_widget_action_set_enabled (widget, "player.toggle-mode", lesson);
  gtk_widget_action_set_enabled (widget, "win.zoom-in", lesson);
  gtk_widget_action_set_enabled (widget, "win.zoom-out", lesson);
  gtk_widget_action_set_enabled (widget, "win.zoom-reset", lesson);
  gtk_widget_action_set_enabled (widget, "win.live-stop", self->live_running);
  gtk_widget_action_set_enabled (widget, "win.detach",
                                 self->follow != NULL
                                 && ml_trace_follow_get_state (self->follow) != ML_TRACE_FOLLOW_CLOSED);
  /* Saving a capture still growing would race the reader: Stop first. */
  gtk_widget_action_set_enabled (widget, "win.export-capture", !self->live_running);
  gtk_widget_action_set_enabled (widget, "win.lessons",
                                 g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "start") != 0);
}

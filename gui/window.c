#define G_LOG_DOMAIN "ml-window"

#include <math.h>
#include <string.h>
#include "window-private.h"
#include "lesson-run.h"
#include "capture-open.h"
#include "live-capture.h"
#include "server-attach.h"
#include "lesson/lessons-dir.h"

G_DEFINE_FINAL_TYPE (MlWindow, ml_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  LESSON_LOADED,
  LESSON_FAILED,
  CAPTURE_LOADED,
  CAPTURE_FAILED,
  N_SIGNALS
};


static guint signals[N_SIGNALS];

static void
toast (MlWindow *self, const char *message)
{
  AdwToast *t = adw_toast_new (message);

  adw_toast_set_timeout (t, 8);
  adw_toast_overlay_add_toast (self->toasts, t);
}

static void
update_step_label (MlWindow *self)
{
  g_autofree char *text = g_strdup_printf ("step %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT,
                                           ml_player_get_step (self->player),
                                           ml_player_get_n_steps (self->player));

  gtk_label_set_label (self->step_label, text);
}

static void
on_player_changed (MlWindow *self)
{
  update_step_label (self);
  _ml_window_update_actions (self);
}

static void
on_playing_changed (MlWindow *self)
{
  gboolean playing = ml_player_get_playing (self->player);

  gtk_button_set_icon_name (self->play_button,
                            playing ? "media-playback-pause-symbolic" : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->play_button), playing ? "Pause (Space)" : "Play (Space)");
}

static void
on_mode_changed (MlWindow *self)
{
  gboolean packets = ml_player_get_mode (self->player) == ML_STEP_MODE_PACKETS;

  gtk_toggle_button_set_active (packets ? self->packets_toggle : self->dialogue_toggle, TRUE);
  on_player_changed (self);
}

static void
on_mode_toggled (MlWindow *self)
{
  ml_player_set_mode (self->player, gtk_toggle_button_get_active (self->packets_toggle)
                                    ? ML_STEP_MODE_PACKETS : ML_STEP_MODE_DIALOGUE);
}

/* The scale moves in powers of ten: 1/1000× … 10×. */
static void
on_speed_scale (MlWindow *self)
{
  ml_player_set_speed (self->player, pow (10.0, gtk_adjustment_get_value (self->speed_adjustment)));
}

static void
on_speed_changed (MlWindow *self)
{
  double speed = ml_player_get_speed (self->player);
  g_autofree char *text = NULL;

  if (fabs (pow (10.0, gtk_adjustment_get_value (self->speed_adjustment)) - speed) > speed * 1e-6)
    gtk_adjustment_set_value (self->speed_adjustment, log10 (speed));
  if (speed >= 1.0)
    text = g_strdup_printf ("%.3g×", speed);
  else
    text = g_strdup_printf ("1/%.3g×", 1.0 / speed);
  gtk_label_set_label (self->speed_label, text);
}

static void
on_page_changed (MlWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->stack);
  gboolean lesson = g_strcmp0 (page, "lesson") == 0;

  gtk_widget_set_visible (self->back_button, !g_str_equal (page, "start"));
  gtk_widget_set_visible (self->transport, lesson);
  gtk_widget_set_visible (self->lesson_controls, lesson);
  gtk_spinner_set_spinning (self->spinner, g_strcmp0 (page, "loading") == 0);
  if (!lesson)
    ml_player_set_playing (self->player, FALSE);
  _ml_window_update_actions (self);
}

static void
show_lesson_title (MlWindow *self)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *number = NULL;
  const char *dash;

  if (self->capture_path != NULL)
    {
      g_autofree char *base = g_path_get_basename (self->capture_path);
      g_autofree char *title = g_strdup_printf ("maillab — %s", base);
      MlTrace *trace = ml_player_get_trace (self->player);
      /* A saved JSON-lines trace (Open Trace) is shown as a capture is. */
      gboolean jsonl = g_str_has_suffix (self->capture_path, ".jsonl")
                       || g_str_has_suffix (self->capture_path, ".json");
      g_autofree char *sub = g_strdup_printf ("%s · %" G_GUINT64_FORMAT " events",
                                              jsonl ? "Trace" : "Capture",
                                              trace ? ml_trace_get_length (trace) : 0);

      adw_window_title_set_title (self->window_title, base);
      adw_window_title_set_subtitle (self->window_title, sub);
      gtk_window_set_title (GTK_WINDOW (self), title);
      return;
    }
  if (self->lesson == NULL)
    {
      adw_window_title_set_title (self->window_title, "maillab");
      adw_window_title_set_subtitle (self->window_title, "");
      gtk_window_set_title (GTK_WINDOW (self), "maillab");
      return;
    }
  dash = self->lesson->id ? strchr (self->lesson->id, '-') : NULL;
  number = dash ? g_strndup (self->lesson->id, dash - self->lesson->id) : g_strdup (self->lesson->id);
  subtitle = g_strdup_printf ("Lesson %s%s%s", number ? number : "",
                              self->lesson->level ? " · " : "",
                              self->lesson->level ? self->lesson->level : "");
  adw_window_title_set_title (self->window_title, self->lesson->title);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  {
    g_autofree char *title = g_strdup_printf ("maillab — %s", self->lesson->title);
    gtk_window_set_title (GTK_WINDOW (self), title);
  }
}

static void
on_lesson_run (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(MlWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = NULL;
  MlLesson *lesson = NULL;
  g_autoptr(MlLessonRunner) runner = NULL;
  g_autoptr(GStrvBuilder) hosts = NULL;
  g_auto(GStrv) names = NULL;

  trace = ml_lesson_run_finish (result, &lesson, &runner, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->loading);
  if (trace == NULL)
    {
      g_autofree char *message = g_strdup_printf ("The lesson could not be run: %s", error->message);

      gtk_stack_set_visible_child_name (self->stack, "start");
      toast (self, message);
      g_signal_emit (self, signals[LESSON_FAILED], 0, message);
      return;
    }

  /* The panel's old runner borrows the old lesson: replace it first. */
  ml_lesson_panel_set_runner (self->lesson_panel, runner);
  ml_console_view_set_lesson (self->console, lesson);
  adw_flap_set_reveal_flap (self->lesson_flap, TRUE);
  g_clear_pointer (&self->lesson, ml_lesson_free);
  g_clear_pointer (&self->capture_path, g_free);
  self->lesson = lesson;
  ml_mailbox_view_set_placeholder (self->mailbox_view, NULL);
  hosts = g_strv_builder_new ();
  for (guint i = 0; i < lesson->hosts->len; i++)
    g_strv_builder_add (hosts, ((MlLessonHost *) lesson->hosts->pdata[i])->name);
  names = g_strv_builder_end (hosts);

  ml_player_set_playing (self->player, FALSE);
  ml_topology_view_set_lesson (self->topology, lesson);
  ml_player_set_hosts (self->player, (const char * const *) names);
  ml_player_set_trace (self->player, trace);
  show_lesson_title (self);
  gtk_stack_set_visible_child_name (self->stack, "lesson");
  g_signal_emit (self, signals[LESSON_LOADED], 0);
}

/* Whatever was shown or running (a live capture, an attached server, a
 * load) ends; the loading page shows @title, with a progress bar from 0
 * when @progress. self->loading is the new work's cancellable. */
void
_ml_window_begin_loading (MlWindow *self, const char *title, gboolean progress)
{
  _ml_window_live_clear (self);
  _ml_window_attach_clear (self);
  if (self->loading)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  self->loading = g_cancellable_new ();
  adw_status_page_set_title (self->loading_page, title);
  if (progress)
    {
      gtk_progress_bar_set_fraction (self->progress, 0);
      gtk_progress_bar_set_text (self->progress, "0 %");
    }
  gtk_widget_set_visible (GTK_WIDGET (self->progress), progress);
  gtk_stack_set_visible_child_name (self->stack, "loading");
}

void
ml_window_open_lesson (MlWindow *self, const char *path)
{
  g_return_if_fail (ML_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  _ml_window_begin_loading (self, "Running the lesson…", FALSE);
  ml_lesson_run_async (path, self->loading, on_lesson_run, g_object_ref (self));
}

static void
on_capture_progress (double fraction, gpointer user_data)
{
  MlWindow *self = user_data;
  g_autofree char *text = g_strdup_printf ("%.0f %%", fraction * 100);

  gtk_progress_bar_set_fraction (self->progress, fraction);
  gtk_progress_bar_set_text (self->progress, text);
}

static void
on_capture_open (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(MlWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) warning = NULL;
  g_autoptr(MlTrace) trace = NULL;

  trace = ml_capture_open_finish (result, &warning, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->loading);
  if (trace == NULL)
    {
      g_autofree char *message = g_strdup_printf ("The capture could not be opened: %s", error->message);

      gtk_stack_set_visible_child_name (self->stack, "start");
      toast (self, message);
      g_signal_emit (self, signals[CAPTURE_FAILED], 0, message);
      return;
    }
  if (warning)
    {
      g_autofree char *message = g_strdup_printf ("Only part of the capture could be read: %s", warning->message);

      toast (self, message);
    }

  ml_lesson_panel_set_runner (self->lesson_panel, NULL);
  ml_console_view_set_lesson (self->console, NULL);
  adw_flap_set_reveal_flap (self->lesson_flap, FALSE);
  g_clear_pointer (&self->lesson, ml_lesson_free);
  g_free (self->capture_path);
  self->capture_path = g_steal_pointer (&self->pending_capture);
  ml_player_set_playing (self->player, FALSE);
  /* A capture names no network: the views that need one say so. */
  ml_topology_view_set_lesson (self->topology, NULL);
  ml_mailbox_view_set_placeholder (self->mailbox_view, ML_WINDOW_CAPTURE_MAILBOXES);
  ml_player_set_hosts (self->player, NULL);
  ml_player_set_trace (self->player, trace);
  show_lesson_title (self);
  gtk_stack_set_visible_child_name (self->stack, "lesson");
  g_signal_emit (self, signals[CAPTURE_LOADED], 0);
}

void
ml_window_open_capture (MlWindow *self, const char *path)
{
  g_return_if_fail (ML_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  _ml_window_begin_loading (self, "Reading the capture…", TRUE);
  g_free (self->pending_capture);
  self->pending_capture = g_strdup (path);
  ml_capture_open_async (path, self->loading, on_capture_progress, self,
                         on_capture_open, g_object_ref (self));
}

const char *
ml_window_get_capture_path (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return self->capture_path;
}

void
ml_window_show_lessons (MlWindow *self)
{
  g_return_if_fail (ML_IS_WINDOW (self));

  if (self->loading)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  gtk_stack_set_visible_child_name (self->stack, "start");
}

static void
on_lesson_activated (MlWindow *self, const char *path)
{
  ml_window_open_lesson (self, path);
}

static void
load_catalog (MlWindow *self)
{
  g_autofree char *dir = ml_lessons_dir_dup_explain ();
  g_autoptr(GError) error = NULL;

  self->catalog = ml_explain_catalog_new ();
  /* A broken catalog file costs the notes, not the lesson. */
  if (!ml_explain_catalog_load_dir (self->catalog, dir, &error))
    {
      g_autofree char *message = g_strdup_printf ("Teaching notes not loaded: %s", error->message);
      toast (self, message);
    }
  ml_note_view_set_catalog (self->note, self->catalog);
}

static void
ml_window_dispose (GObject *object)
{
  MlWindow *self = ML_WINDOW (object);

  if (self->loading)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  _ml_window_live_clear (self);
  _ml_window_attach_clear (self);
  if (self->player)
    {
      ml_player_set_playing (self->player, FALSE);
      g_signal_handlers_disconnect_by_data (self->player, self);
    }
  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), ML_TYPE_WINDOW);
  G_OBJECT_CLASS (ml_window_parent_class)->dispose (object);
}

static void
ml_window_finalize (GObject *object)
{
  MlWindow *self = ML_WINDOW (object);

  /* The views borrowed the catalog; they are gone by now. */
  g_clear_object (&self->player);
  g_clear_pointer (&self->lesson, ml_lesson_free);
  g_clear_pointer (&self->capture_path, g_free);
  g_clear_pointer (&self->pending_capture, g_free);
  g_clear_pointer (&self->catalog, ml_explain_catalog_free);
  G_OBJECT_CLASS (ml_window_parent_class)->finalize (object);
}

static void
ml_window_class_init (MlWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_window_dispose;
  object_class->finalize = ml_window_finalize;

  signals[LESSON_LOADED] =
    g_signal_new ("lesson-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[LESSON_FAILED] =
    g_signal_new ("lesson-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[CAPTURE_LOADED] =
    g_signal_new ("capture-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[CAPTURE_FAILED] =
    g_signal_new ("capture-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (ML_TYPE_LADDER_VIEW);
  g_type_ensure (ML_TYPE_PACKET_VIEW);
  g_type_ensure (ML_TYPE_NOTE_VIEW);
  g_type_ensure (ML_TYPE_LESSON_LIST);
  g_type_ensure (ML_TYPE_MAILBOX_VIEW);
  g_type_ensure (ML_TYPE_COMPARE_CHART);
  g_type_ensure (ML_TYPE_TOPOLOGY_VIEW);
  g_type_ensure (ML_TYPE_LESSON_PANEL);
  g_type_ensure (ML_TYPE_CONSOLE_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/maillab/Maillab/window.ui");
  gtk_widget_class_bind_template_child (widget_class, MlWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, transport);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, play_button);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, lesson_controls);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, step_label);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, dialogue_toggle);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, packets_toggle);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, speed_adjustment);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, speed_label);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, lesson_list);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, loading_page);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, progress);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, ladder);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, note);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, packet);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, views);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, mailbox_view);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, compare_chart);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, topology);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, lesson_flap);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, lesson_panel);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, console);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, live_stop);
  gtk_widget_class_bind_template_child (widget_class, MlWindow, follow_toggle);

  _ml_window_class_init_actions (widget_class);
}

static void
ml_window_init (MlWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->player = ml_player_new ();
  ml_ladder_view_set_player (self->ladder, self->player);
  ml_packet_view_set_player (self->packet, self->player);
  ml_note_view_set_player (self->note, self->player);
  ml_mailbox_view_set_player (self->mailbox_view, self->player);
  ml_compare_chart_set_player (self->compare_chart, self->player);
  ml_topology_view_set_player (self->topology, self->player);
  ml_lesson_panel_set_player (self->lesson_panel, self->player);
  /* Fair predictions: the ladder hides what is ahead while one is asked. */
  g_object_bind_property (self->lesson_panel, "hide-ahead", self->ladder, "hide-ahead", G_BINDING_SYNC_CREATE);
  ml_console_view_set_player (self->console, self->player);

  g_signal_connect_swapped (self->player, "notify::position", G_CALLBACK (on_player_changed), self);
  g_signal_connect_swapped (self->player, "notify::trace", G_CALLBACK (on_player_changed), self);
  g_object_bind_property (self->player, "follow", self->follow_toggle, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  /* A trace that grows (live, attached) gains steps without moving. */
  g_signal_connect_swapped (self->player, "notify::n-steps", G_CALLBACK (on_player_changed), self);
  g_signal_connect_swapped (self->player, "notify::mode", G_CALLBACK (on_mode_changed), self);
  g_signal_connect_swapped (self->player, "notify::playing", G_CALLBACK (on_playing_changed), self);
  g_signal_connect_swapped (self->player, "notify::speed", G_CALLBACK (on_speed_changed), self);
  g_signal_connect_swapped (self->packets_toggle, "notify::active", G_CALLBACK (on_mode_toggled), self);
  g_signal_connect_swapped (self->speed_adjustment, "value-changed", G_CALLBACK (on_speed_scale), self);
  g_signal_connect_swapped (self->stack, "notify::visible-child-name", G_CALLBACK (on_page_changed), self);
  g_signal_connect_swapped (self->lesson_list, "lesson-activated", G_CALLBACK (on_lesson_activated), self);

  load_catalog (self);
  ml_lesson_list_load_dir (self->lesson_list, ml_lessons_dir_get ());
  _ml_window_init_shortcuts (self);
  on_speed_changed (self);
  on_player_changed (self);
  on_page_changed (self);
}

MlWindow *
ml_window_new (GtkApplication *application)
{
  return g_object_new (ML_TYPE_WINDOW, "application", application, NULL);
}

const MlLesson *
ml_window_get_lesson (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return self->lesson;
}

MlPlayer *
ml_window_get_player (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return self->player;
}

MlLadderView *
ml_window_get_ladder (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return self->ladder;
}

MlPacketView *
ml_window_get_packet_view (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return self->packet;
}

MlNoteView *
ml_window_get_note_view (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return self->note;
}

MlLessonList *
ml_window_get_lesson_list (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return self->lesson_list;
}

const char *
ml_window_get_step_text (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return gtk_label_get_label (self->step_label);
}

gboolean
ml_window_is_busy (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), FALSE);
  double reveal = adw_flap_get_reveal_progress (self->lesson_flap);

  return self->loading != NULL || gtk_stack_get_transition_running (self->stack)
         || (reveal > 0.0 && reveal < 1.0);
}

gboolean
ml_window_set_view (MlWindow *self, const char *name)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (adw_view_stack_get_child_by_name (self->views, name) == NULL)
    return FALSE;
  adw_view_stack_set_visible_child_name (self->views, name);
  return TRUE;
}

const char *
ml_window_get_view (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->views);
}

void
ml_window_set_lesson_panel_visible (MlWindow *self, gboolean visible)
{
  g_return_if_fail (ML_IS_WINDOW (self));
  adw_flap_set_reveal_flap (self->lesson_flap, visible);
}

gboolean
ml_window_get_lesson_panel_visible (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), FALSE);
  return adw_flap_get_reveal_flap (self->lesson_flap);
}

MlLessonPanel *
ml_window_get_lesson_panel (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return self->lesson_panel;
}

GtkWidget *
ml_window_get_view_widget (MlWindow *self, const char *name)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return adw_view_stack_get_child_by_name (self->views, name);
}

void
_ml_window_show_title (MlWindow *self)
{
  show_lesson_title (self);
}

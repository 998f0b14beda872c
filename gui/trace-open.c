/* trace-open.c — a saved JSON-lines trace read in a worker thread. */
#define G_LOG_DOMAIN "ml-trace-open"

#include "trace-open.h"
#include "window-private.h"
#include "live-capture.h"
#include "server-attach.h"
#include "trace/json-reader.h"

/* The trace is made, filled and handed over by one thread at a time. */
static void
read_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(MlTrace) trace = ml_trace_new ();
  GError *error = NULL;

  if (!ml_json_read_file (path, trace, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&trace), g_object_unref);
}

static void
on_trace_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MlWindow *self = ML_WINDOW (source);
  g_autoptr(MlTrace) trace = NULL;
  g_autoptr(GError) error = NULL;
  const char *path = g_task_get_task_data (G_TASK (result));

  trace = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_task_get_cancellable (G_TASK (result)) != self->loading)
    return;  /* something else was opened meanwhile */
  g_clear_object (&self->loading);
  if (trace == NULL)
    {
      g_autofree char *message = g_strdup_printf ("The trace could not be opened: %s", error->message);

      gtk_stack_set_visible_child_name (self->stack, "start");
      adw_toast_overlay_add_toast (self->toasts, adw_toast_new (message));
      g_signal_emit_by_name (self, "capture-failed", message);
      return;
    }

  ml_lesson_panel_set_runner (self->lesson_panel, NULL);
  ml_console_view_set_lesson (self->console, NULL);
  adw_flap_set_reveal_flap (self->lesson_flap, FALSE);
  g_clear_pointer (&self->lesson, ml_lesson_free);
  g_free (self->capture_path);
  self->capture_path = g_strdup (path);
  ml_player_set_playing (self->player, FALSE);
  ml_topology_view_set_lesson (self->topology, NULL);
  ml_mailbox_view_set_placeholder (self->mailbox_view, ML_WINDOW_CAPTURE_MAILBOXES);
  ml_player_set_hosts (self->player, NULL);
  ml_player_set_trace (self->player, trace);
  _ml_window_show_title (self);
  gtk_stack_set_visible_child_name (self->stack, "lesson");
  g_signal_emit_by_name (self, "capture-loaded");
}

void
ml_window_open_trace (MlWindow *self, const char *path)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ML_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  _ml_window_begin_loading (self, "Reading the trace…", FALSE);

  task = g_task_new (self, self->loading, on_trace_read, NULL);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_set_name (task, "[maillab] open trace");
  g_task_run_in_thread (task, read_in_thread);
}

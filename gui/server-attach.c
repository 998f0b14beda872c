/* server-attach.c — the window attached to a running server, and the
 * dialog that asks for its socket. */
#define G_LOG_DOMAIN "ml-server-attach"

#include <errno.h>
#include "server-attach.h"
#include "window-private.h"

/* The last socket attached to, kept between runs: a class attaches to the
 * same server every lesson. */
#define ML_ATTACH_LAST_FILE "last-trace-socket"

/* What the Mailboxes view says while a server is watched. */
#define ML_ATTACH_MAILBOXES \
  "A watched server keeps its mail in its data directory (Maildir), not in the trace: " \
  "open the mailboxes there with mutt or any IMAP client."

static char *
last_path_file (void)
{
  return g_build_filename (g_get_user_config_dir (), "maillab", ML_ATTACH_LAST_FILE, NULL);
}

char *
ml_attach_dup_default_path (void)
{
  g_autofree char *file = last_path_file ();
  g_autofree char *text = NULL;

  if (g_file_get_contents (file, &text, NULL, NULL))
    {
      g_strstrip (text);
      if (*text != '\0' && g_utf8_validate (text, -1, NULL))
        return g_steal_pointer (&text);
    }
  return g_build_filename (g_get_user_data_dir (), "maillab", "live", "trace.sock", NULL);
}

static void
remember_path (const char *path)
{
  g_autofree char *file = last_path_file ();
  g_autofree char *dir = g_path_get_dirname (file);
  g_autofree char *text = g_strconcat (path, "\n", NULL);
  g_autoptr(GError) error = NULL;

  /* Not remembering is no reason to refuse the attach. */
  if (g_mkdir_with_parents (dir, 0700) != 0
      || !g_file_set_contents (file, text, -1, &error))
    g_debug ("could not remember %s: %s", path, error ? error->message : g_strerror (errno));
}

/* "Attached to localhost · 3 sessions", or how it ended. */
static void
show_attach_title (MlWindow *self)
{
  MlTraceFollow *follow = self->follow;
  const char *server = ml_trace_follow_get_server (follow);
  guint sessions = ml_trace_follow_get_n_sessions (follow);
  g_autofree char *name = server ? g_strdup (server) : g_path_get_basename (ml_trace_follow_get_path (follow));
  g_autofree char *title = NULL;
  g_autofree char *sub = NULL;
  const GError *error = ml_trace_follow_get_error (follow);

  switch (ml_trace_follow_get_state (follow))
    {
    case ML_TRACE_FOLLOW_IDLE:
    case ML_TRACE_FOLLOW_CONNECTING:
      title = g_strdup_printf ("Attaching to %s…", name);
      sub = g_strdup (ml_trace_follow_get_path (follow));
      break;
    case ML_TRACE_FOLLOW_ATTACHED:
      title = g_strdup_printf ("Attached to %s", name);
      sub = g_strdup_printf ("%u session%s · %" G_GUINT64_FORMAT " events", sessions,
                             sessions == 1 ? "" : "s",
                             ml_trace_get_length (ml_trace_follow_get_trace (follow)));
      break;
    case ML_TRACE_FOLLOW_CLOSED:
    default:
      title = g_strdup_printf ("Detached from %s", name);
      sub = g_strdup_printf ("%u session%s · %s", sessions, sessions == 1 ? "" : "s",
                             error ? error->message : "stopped");
      break;
    }
  adw_window_title_set_title (self->window_title, title);
  adw_window_title_set_subtitle (self->window_title, sub);
  gtk_window_set_title (GTK_WINDOW (self), title);
}

static void
catch_up (MlWindow *self)
{
  ml_player_trace_grew (self->player);
  show_attach_title (self);
}

static gboolean
on_refresh (gpointer user_data)
{
  MlWindow *self = user_data;

  self->follow_refresh = 0;
  catch_up (self);
  return G_SOURCE_REMOVE;
}

static void
on_grew (MlWindow *self, guint64 added, MlTraceFollow *follow)
{
  if (self->follow_refresh == 0)
    {
      self->follow_refresh = g_timeout_add (ML_ATTACH_REFRESH_MS, on_refresh, self);
      g_source_set_name_by_id (self->follow_refresh, "[maillab] attach refresh");
    }
}

static void
on_attached (MlWindow *self, MlTraceFollow *follow)
{
  show_attach_title (self);
}

static void
on_closed (MlWindow *self, const GError *error, MlTraceFollow *follow)
{
  g_autofree char *message = NULL;

  /* Whatever arrived before the end is shown before saying it ended. */
  g_clear_handle_id (&self->follow_refresh, g_source_remove);
  catch_up (self);
  gtk_widget_set_visible (self->follow_toggle, FALSE);
  _ml_window_update_actions (self);
  if (error == NULL)
    return;
  message = g_strdup_printf ("Detached from %s: %s", ml_trace_follow_get_path (follow), error->message);
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (message));
}

void
ml_window_attach_server (MlWindow *self, const char *socket_path)
{
  g_return_if_fail (ML_IS_WINDOW (self));
  g_return_if_fail (socket_path != NULL);

  _ml_window_attach_clear (self);
  _ml_window_live_clear (self);
  if (self->loading)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  remember_path (socket_path);

  self->follow = ml_trace_follow_new (socket_path);
  g_signal_connect_swapped (self->follow, "attached", G_CALLBACK (on_attached), self);
  g_signal_connect_swapped (self->follow, "grew", G_CALLBACK (on_grew), self);
  g_signal_connect_swapped (self->follow, "closed", G_CALLBACK (on_closed), self);

  /* Like a capture: no lesson, no network to draw, no mail stores. */
  ml_lesson_panel_set_runner (self->lesson_panel, NULL);
  ml_console_view_set_lesson (self->console, NULL);
  adw_flap_set_reveal_flap (self->lesson_flap, FALSE);
  g_clear_pointer (&self->lesson, ml_lesson_free);
  g_clear_pointer (&self->capture_path, g_free);
  ml_player_set_playing (self->player, FALSE);
  ml_topology_view_set_lesson (self->topology, NULL);
  ml_mailbox_view_set_placeholder (self->mailbox_view, ML_ATTACH_MAILBOXES);
  ml_player_set_hosts (self->player, NULL);
  ml_player_set_trace (self->player, ml_trace_follow_get_trace (self->follow));

  ml_trace_follow_start (self->follow);
  gtk_widget_set_visible (self->follow_toggle, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "lesson");
  show_attach_title (self);
  _ml_window_update_actions (self);
}

void
ml_window_detach_server (MlWindow *self)
{
  g_return_if_fail (ML_IS_WINDOW (self));

  if (self->follow)
    ml_trace_follow_stop (self->follow);
}

MlTraceFollow *
ml_window_get_attached (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return self->follow;
}

void
_ml_window_attach_clear (MlWindow *self)
{
  g_clear_handle_id (&self->follow_refresh, g_source_remove);
  if (self->follow_toggle)
    gtk_widget_set_visible (self->follow_toggle, FALSE);
  if (self->follow == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->follow, self);
  ml_trace_follow_stop (self->follow);
  g_clear_object (&self->follow);
}

/* The dialog. */

static GtkEditable *
dialog_entry (GtkWindow *dialog)
{
  return g_object_get_data (G_OBJECT (dialog), "ml-attach-path");
}

GtkEditable *
ml_attach_dialog_get_path (GtkWindow *dialog)
{
  g_return_val_if_fail (ADW_IS_MESSAGE_DIALOG (dialog), NULL);
  return dialog_entry (dialog);
}

static void
attach_from (GtkWindow *dialog)
{
  MlWindow *window = ML_WINDOW (gtk_window_get_transient_for (dialog));
  const char *path = gtk_editable_get_text (dialog_entry (dialog));

  if (path != NULL && *path != '\0')
    ml_window_attach_server (window, path);
}

void
ml_attach_dialog_attach (GtkWindow *dialog)
{
  g_return_if_fail (ADW_IS_MESSAGE_DIALOG (dialog));

  attach_from (dialog);
  gtk_window_destroy (dialog);
}

/* The dialog closes itself after a response. */
static void
on_response (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  if (g_strcmp0 (response, "attach") == 0)
    attach_from (GTK_WINDOW (dialog));
}

static void
on_entry_activate (GtkEntry *entry, AdwMessageDialog *dialog)
{
  adw_message_dialog_response (dialog, "attach");
}

GtkWindow *
ml_attach_dialog_new (MlWindow *window)
{
  GtkWidget *dialog;
  GtkWidget *entry = gtk_entry_new ();
  g_autofree char *path = ml_attach_dup_default_path ();

  g_return_val_if_fail (ML_IS_WINDOW (window), NULL);

  dialog = adw_message_dialog_new (GTK_WINDOW (window), "Attach to Server",
                                   "The trace socket of a running “maillab-cli serve”. "
                                   "Its sessions appear on the ladder as they happen; "
                                   "only the user who runs the server may attach.");
  gtk_editable_set_text (GTK_EDITABLE (entry), path);
  gtk_widget_set_hexpand (entry, TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", "_Cancel",
                                    "attach", "_Attach",
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "attach",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "attach");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "ml-attach-path", entry);
  g_signal_connect (dialog, "response", G_CALLBACK (on_response), NULL);
  g_signal_connect (entry, "activate", G_CALLBACK (on_entry_activate), dialog);
  return GTK_WINDOW (dialog);
}

/* live-capture.c — the window's live capture and its dialog.
 *
 * The capture's GSource appends to the trace from the main loop; a timer
 * tells the player the trace grew a few times a second, so a burst of
 * packets costs one refresh and not one per packet. */
#define G_LOG_DOMAIN "ml-live-capture"

#include "live-capture.h"
#include "window-private.h"
#include "server-attach.h"

/* The header's subtitle: "Live on lo · 12 packets · 1 flow". */
static void
show_live_title (MlWindow *self)
{
  const MlCaptureStats *stats = self->live ? ml_capture_live_get_stats (self->live) : NULL;
  guint64 packets = stats ? stats->packets : 0;
  guint flows = stats ? stats->flows : 0;
  g_autofree char *title = g_strdup_printf ("%s %s", self->live_running ? "Live on" : "Captured on",
                                            self->live_device ? self->live_device : "default");
  g_autofree char *sub = g_strdup_printf ("%" G_GUINT64_FORMAT " packet%s · %u flow%s%s",
                                          packets, packets == 1 ? "" : "s",
                                          flows, flows == 1 ? "" : "s",
                                          self->live_running ? "" : " · stopped");

  adw_window_title_set_title (self->window_title, title);
  adw_window_title_set_subtitle (self->window_title, sub);
  gtk_window_set_title (GTK_WINDOW (self), title);
}

/* Tells the player how far the trace grew since the last refresh: the
 * views take in only the new events, and the cursor follows the newest
 * one while it was at the end, like `tail -f` (ml_player_trace_grew). */
static void
catch_up (MlWindow *self)
{
  guint64 length = ml_trace_get_length (self->live_trace);

  if (length != self->live_seen)
    {
      self->live_seen = length;
      ml_player_trace_grew (self->player);
    }
  show_live_title (self);
}

static gboolean
on_live_refresh (gpointer user_data)
{
  catch_up (ML_WINDOW (user_data));
  return G_SOURCE_CONTINUE;
}

gboolean
ml_window_start_live_capture (MlWindow               *self,
                              const char             *device,
                              const char             *filter,
                              const MlCaptureOptions *options,
                              GError                **error)
{
  g_autoptr(MlTrace) trace = NULL;
  MlCaptureLive *live;

  g_return_val_if_fail (ML_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  trace = ml_trace_new ();
  live = ml_capture_live_new (device && *device ? device : NULL, filter, trace, options, error);
  if (live == NULL)
    return FALSE;

  _ml_window_live_clear (self);
  _ml_window_attach_clear (self);
  if (self->loading)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  self->live = live;
  self->live_trace = g_steal_pointer (&trace);
  self->live_device = g_strdup (device && *device ? device : NULL);
  self->live_seen = 0;
  self->live_running = TRUE;

  /* Like a capture file: no lesson, no network to draw, no mail stores. */
  ml_lesson_panel_set_runner (self->lesson_panel, NULL);
  ml_console_view_set_lesson (self->console, NULL);
  adw_flap_set_reveal_flap (self->lesson_flap, FALSE);
  g_clear_pointer (&self->lesson, ml_lesson_free);
  g_clear_pointer (&self->capture_path, g_free);
  ml_player_set_playing (self->player, FALSE);
  ml_topology_view_set_lesson (self->topology, NULL);
  ml_mailbox_view_set_placeholder (self->mailbox_view, ML_WINDOW_CAPTURE_MAILBOXES);
  ml_player_set_hosts (self->player, NULL);
  ml_player_set_trace (self->player, self->live_trace);

  ml_capture_live_start (self->live, NULL);
  self->live_refresh = g_timeout_add (ML_LIVE_CAPTURE_REFRESH_MS, on_live_refresh, self);
  gtk_widget_set_visible (self->live_stop, TRUE);
  gtk_widget_set_visible (self->follow_toggle, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "lesson");
  show_live_title (self);
  _ml_window_update_actions (self);
  return TRUE;
}

void
ml_window_stop_live_capture (MlWindow *self)
{
  g_autofree char *message = NULL;
  AdwToast *toast;

  g_return_if_fail (ML_IS_WINDOW (self));

  if (!self->live_running)
    return;
  self->live_running = FALSE;
  g_clear_handle_id (&self->live_refresh, g_source_remove);
  /* Reads what libpcap still buffers, so the last packets show too. */
  ml_capture_live_stop (self->live);
  catch_up (self);
  gtk_widget_set_visible (self->live_stop, FALSE);
  gtk_widget_set_visible (self->follow_toggle, FALSE);
  _ml_window_update_actions (self);

  message = g_strdup_printf ("Capture stopped: %" G_GUINT64_FORMAT " packets",
                             ml_capture_live_get_stats (self->live)->packets);
  toast = adw_toast_new (message);
  adw_toast_set_button_label (toast, "Save Capture…");
  adw_toast_set_action_name (toast, "win.export-capture");
  adw_toast_overlay_add_toast (self->toasts, toast);
}

gboolean
ml_window_is_live_capturing (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), FALSE);
  return self->live_running;
}

const MlCaptureStats *
ml_window_get_live_stats (MlWindow *self)
{
  g_return_val_if_fail (ML_IS_WINDOW (self), NULL);
  return self->live ? ml_capture_live_get_stats (self->live) : NULL;
}

void
_ml_window_live_clear (MlWindow *self)
{
  g_clear_handle_id (&self->live_refresh, g_source_remove);
  if (self->live)
    ml_capture_live_stop (self->live);
  self->live_running = FALSE;
  g_clear_pointer (&self->live, ml_capture_live_free);
  g_clear_object (&self->live_trace);
  g_clear_pointer (&self->live_device, g_free);
  self->live_seen = 0;
  if (self->live_stop)
    gtk_widget_set_visible (self->live_stop, FALSE);
  if (self->follow_toggle)
    gtk_widget_set_visible (self->follow_toggle, FALSE);
}

/* The dialog. */

typedef struct {
  MlWindow  *window;     /* weak */
  GtkDropDown *device;
  GtkEntry  *filter;
  GtkEntry  *ports;
  GtkLabel  *error;
} DialogParts;

static void
dialog_parts_free (DialogParts *parts)
{
  g_clear_weak_pointer (&parts->window);
  g_free (parts);
}

static DialogParts *
dialog_parts (GtkWindow *dialog)
{
  return g_object_get_data (G_OBJECT (dialog), "ml-live-capture");
}

/* The interfaces libpcap can open, "lo" first choice; a note (NULL when
 * none is needed) when they could not be listed, or none is visible, as
 * happens to a user without the capability. */
static GtkStringList *
list_devices (char **note)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = ml_capture_list_devices (&error);
  GtkStringList *names = gtk_string_list_new (NULL);
  gboolean has_default = FALSE;

  *note = NULL;
  for (guint i = 0; devices && i < devices->len; i++)
    {
      const MlCaptureDevice *device = devices->pdata[i];
      g_autofree char *name = g_strdup (device->name);

      has_default |= g_str_equal (device->name, ML_LIVE_CAPTURE_DEFAULT_DEVICE);
      gtk_string_list_append (names, name);
    }
  if (!has_default)
    gtk_string_list_splice (names, 0, 0, (const char * const[]) { ML_LIVE_CAPTURE_DEFAULT_DEVICE, NULL });
  if (devices == NULL)
    *note = g_strdup_printf ("Interfaces could not be listed: %s", error->message);
  else if (devices->len == 0)
    *note = g_strdup ("No interface is visible: capturing needs root or CAP_NET_RAW.");
  return names;
}

gboolean
ml_live_capture_dialog_start (GtkWindow *dialog)
{
  DialogParts *parts = dialog_parts (dialog);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_auto(GStrv) specs = NULL;
  MlCaptureOptions options;
  gboolean ok = TRUE;

  g_return_val_if_fail (parts != NULL, FALSE);

  if (parts->window == NULL)
    return FALSE;
  ml_capture_options_init (&options);
  specs = g_strsplit_set (gtk_editable_get_text (GTK_EDITABLE (parts->ports)), " ,", -1);
  for (guint i = 0; ok && specs[i] != NULL; i++)
    if (*specs[i] != '\0')
      ok = ml_capture_options_add_port (&options, specs[i], &error);
  if (ok && ml_window_start_live_capture (parts->window,
                                          ml_live_capture_dialog_get_device (dialog),
                                          gtk_editable_get_text (GTK_EDITABLE (parts->filter)),
                                          &options, &error))
    {
      gtk_window_destroy (dialog);
      return TRUE;
    }
  if (g_error_matches (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_PERMISSION))
    message = g_strdup_printf ("%s\n\nCapturing needs root or the CAP_NET_RAW capability: run maillab "
                               "with sudo, or once: sudo setcap cap_net_raw,cap_net_admin=eip "
                               "\"$(command -v maillab)\"", error->message);
  else
    message = g_strdup (error->message);
  gtk_label_set_label (parts->error, message);
  gtk_widget_set_visible (GTK_WIDGET (parts->error), TRUE);
  return FALSE;
}

static void
on_start_clicked (GtkWindow *dialog)
{
  ml_live_capture_dialog_start (dialog);
}

static GtkWidget *
labelled (GtkGrid *grid, int row, const char *text, GtkWidget *widget)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), widget);
  gtk_widget_set_hexpand (widget, TRUE);
  gtk_grid_attach (grid, label, 0, row, 1, 1);
  gtk_grid_attach (grid, widget, 1, row, 1, 1);
  return widget;
}

GtkWindow *
ml_live_capture_dialog_new (MlWindow *window)
{
  GtkWidget *dialog = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *start = gtk_button_new_with_mnemonic ("_Start");
  GtkWidget *grid = gtk_grid_new ();
  g_autofree char *note = NULL;
  GtkStringList *names = list_devices (&note);
  DialogParts *parts = g_new0 (DialogParts, 1);

  g_return_val_if_fail (ML_IS_WINDOW (window), NULL);

  gtk_window_set_title (GTK_WINDOW (dialog), "Live Capture");
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (window));
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (dialog), 560, -1);
  gtk_widget_add_css_class (start, "suggested-action");
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), start);
  gtk_box_append (GTK_BOX (box), header);

  gtk_grid_set_row_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_widget_set_margin_start (grid, 18);
  gtk_widget_set_margin_end (grid, 18);
  gtk_widget_set_margin_top (grid, 18);
  gtk_widget_set_margin_bottom (grid, 18);
  /* The drop-down takes the list (transfer full). */
  parts->device = GTK_DROP_DOWN (labelled (GTK_GRID (grid), 0, "_Interface",
                                           gtk_drop_down_new (G_LIST_MODEL (names), NULL)));
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (names)); i++)
    if (g_str_equal (gtk_string_list_get_string (names, i), ML_LIVE_CAPTURE_DEFAULT_DEVICE))
      gtk_drop_down_set_selected (parts->device, i);
  if (note)
    {
      GtkWidget *label = gtk_label_new (note);

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0.0);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_grid_attach (GTK_GRID (grid), label, 1, 1, 1, 1);
    }
  parts->filter = GTK_ENTRY (labelled (GTK_GRID (grid), 2, "_Filter (BPF)", gtk_entry_new ()));
  gtk_editable_set_text (GTK_EDITABLE (parts->filter), ML_LIVE_CAPTURE_DEFAULT_FILTER);
  parts->ports = GTK_ENTRY (labelled (GTK_GRID (grid), 3, "_Ports", gtk_entry_new ()));
  gtk_entry_set_placeholder_text (parts->ports, "smtp=2526 pop3=1111 imap=1144 (other ports to read as mail)");
  parts->error = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (parts->error, TRUE);
  gtk_label_set_selectable (parts->error, TRUE);
  gtk_label_set_xalign (parts->error, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (parts->error), "error");
  gtk_widget_set_visible (GTK_WIDGET (parts->error), FALSE);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (parts->error), 0, 4, 2, 1);
  gtk_box_append (GTK_BOX (box), grid);
  adw_window_set_content (ADW_WINDOW (dialog), box);

  g_set_weak_pointer (&parts->window, window);
  g_object_set_data_full (G_OBJECT (dialog), "ml-live-capture", parts, (GDestroyNotify) dialog_parts_free);
  g_signal_connect_swapped (start, "clicked", G_CALLBACK (on_start_clicked), dialog);
  g_signal_connect_swapped (parts->filter, "activate", G_CALLBACK (on_start_clicked), dialog);
  gtk_window_set_default_widget (GTK_WINDOW (dialog), start);
  return GTK_WINDOW (dialog);
}

GtkEditable *
ml_live_capture_dialog_get_filter (GtkWindow *dialog)
{
  return GTK_EDITABLE (dialog_parts (dialog)->filter);
}

const char *
ml_live_capture_dialog_get_device (GtkWindow *dialog)
{
  GtkDropDown *device = dialog_parts (dialog)->device;
  GtkStringObject *item = gtk_drop_down_get_selected_item (device);

  return item ? gtk_string_object_get_string (item) : NULL;
}

GtkEditable *
ml_live_capture_dialog_get_ports (GtkWindow *dialog)
{
  return GTK_EDITABLE (dialog_parts (dialog)->ports);
}

GtkLabel *
ml_live_capture_dialog_get_error (GtkWindow *dialog)
{
  return dialog_parts (dialog)->error;
}

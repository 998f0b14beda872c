/* console-view.c — a server chooser, the transcript, and an entry whose
 * text is checked on every keystroke with the engines' own parsers. */
#define G_LOG_DOMAIN "ml-console-view"

#include "console-view.h"
#include "console-run.h"

struct _MlConsoleView
{
  GtkWidget       parent_instance;

  GtkDropDown    *targets;
  GtkStringList  *target_names;
  GtkButton      *connect;
  GtkTextView    *transcript;
  GtkEntry       *entry;
  GtkLabel       *hint;
  GtkLabel       *status;
  MlPlayer       *player;
  const MlLesson *lesson;
  MlConsoleRun   *run;
};

G_DEFINE_FINAL_TYPE (MlConsoleView, ml_console_view, GTK_TYPE_WIDGET)

/* The targets follow from the lesson's roles alone, so the chooser is
 * filled without building the world (see console-run.c). */
static void
fill_targets (MlConsoleView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->target_names));

  gtk_string_list_splice (self->target_names, 0, n, NULL);
  if (self->lesson == NULL)
    return;
  for (guint i = 0; i < self->lesson->hosts->len; i++)
    {
      const MlLessonHost *h = g_ptr_array_index (self->lesson->hosts, i);
      g_autofree char *msa = g_strdup_printf ("%s — SMTP (587)", h->name);
      g_autofree char *mta = g_strdup_printf ("%s — SMTP (25)", h->name);
      g_autofree char *pop = g_strdup_printf ("%s — POP3 (110)", h->name);
      g_autofree char *imap = g_strdup_printf ("%s — IMAP (143)", h->name);

      if (h->roles & ML_ROLE_MSA)
        gtk_string_list_append (self->target_names, msa);
      if (h->roles & ML_ROLE_MTA)
        gtk_string_list_append (self->target_names, mta);
      if (h->roles & ML_ROLE_MDA)
        {
          gtk_string_list_append (self->target_names, pop);
          gtk_string_list_append (self->target_names, imap);
        }
    }
}

static void
show_transcript (MlConsoleView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->transcript);
  GtkTextIter end;

  gtk_text_buffer_set_text (buffer, self->run ? ml_console_run_get_transcript (self->run) : "", -1);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_view_scroll_to_iter (self->transcript, &end, 0, FALSE, 0, 1);
}

/* The ladder, packets and notes show the console's trace, at its end. */
static void
show_on_player (MlConsoleView *self)
{
  if (self->player == NULL || self->run == NULL)
    return;
  /* The same trace grew: setting it anew rebuilds the player's index. */
  ml_player_set_trace (self->player, NULL);
  ml_player_set_trace (self->player, ml_console_run_get_trace (self->run));
  ml_player_go_to_end (self->player);
}

static void
set_hint (MlConsoleView *self, const char *text, gboolean error)
{
  gtk_label_set_text (self->hint, text ? text : "");
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->hint), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->hint), "error");
}

static void
on_changed (MlConsoleView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  g_autofree char *hint = NULL;

  if (self->run == NULL || *text == '\0')
    {
      set_hint (self, "", FALSE);
      return;
    }
  hint = ml_console_run_check_line (self->run, text);
  set_hint (self, hint, hint != NULL);
}

gboolean
ml_console_view_connect (MlConsoleView *self, guint target)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (ML_IS_CONSOLE_VIEW (self), FALSE);

  if (self->lesson == NULL)
    return FALSE;
  if (self->run == NULL)
    {
      self->run = ml_console_run_new (self->lesson, self->lesson->seed, &error);
      if (self->run == NULL)
        {
          set_hint (self, error->message, TRUE);
          return FALSE;
        }
    }
  if (!ml_console_run_connect (self->run, target, &error))
    {
      set_hint (self, error->message, TRUE);
      return FALSE;
    }
  gtk_label_set_text (self->status, ml_console_run_is_connected (self->run) ? "Connected" : "Closed");
  show_transcript (self);
  show_on_player (self);
  on_changed (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
  return TRUE;
}

gboolean
ml_console_view_send (MlConsoleView *self, const char *line)
{
  g_autofree char *hint = NULL;
  g_autofree char *copy = g_strdup (line);

  g_return_val_if_fail (ML_IS_CONSOLE_VIEW (self), FALSE);
  g_return_val_if_fail (line != NULL, FALSE);

  if (self->run == NULL || !ml_console_run_send_line (self->run, copy, &hint))
    {
      set_hint (self, hint ? hint : "Connect to a server first", TRUE);
      return FALSE;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  gtk_label_set_text (self->status, ml_console_run_is_connected (self->run) ? "Connected" : "Closed");
  show_transcript (self);
  show_on_player (self);
  return TRUE;
}

static void
on_connect_clicked (MlConsoleView *self)
{
  guint selected = gtk_drop_down_get_selected (self->targets);

  if (selected != GTK_INVALID_LIST_POSITION)
    ml_console_view_connect (self, selected);
}

static void
on_activate (MlConsoleView *self)
{
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry)));

  ml_console_view_send (self, text);
}

void
ml_console_view_set_lesson (MlConsoleView *self, const MlLesson *lesson)
{
  g_return_if_fail (ML_IS_CONSOLE_VIEW (self));

  g_clear_pointer (&self->run, ml_console_run_free);
  self->lesson = lesson;
  fill_targets (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->connect), lesson != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->entry), lesson != NULL);
  gtk_label_set_text (self->status, lesson ? "Not connected" : "No console for a capture: it has no servers to talk to");
  set_hint (self, "", FALSE);
  show_transcript (self);
}

void
ml_console_view_set_player (MlConsoleView *self, MlPlayer *player)
{
  g_return_if_fail (ML_IS_CONSOLE_VIEW (self));
  g_set_object (&self->player, player);
}

guint
ml_console_view_get_n_targets (MlConsoleView *self)
{
  g_return_val_if_fail (ML_IS_CONSOLE_VIEW (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->target_names));
}

const char *
ml_console_view_get_target_label (MlConsoleView *self, guint i)
{
  g_return_val_if_fail (ML_IS_CONSOLE_VIEW (self), NULL);
  return gtk_string_list_get_string (self->target_names, i);
}

char *
ml_console_view_dup_transcript (MlConsoleView *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_val_if_fail (ML_IS_CONSOLE_VIEW (self), NULL);
  buffer = gtk_text_view_get_buffer (self->transcript);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

const char *
ml_console_view_get_hint (MlConsoleView *self)
{
  g_return_val_if_fail (ML_IS_CONSOLE_VIEW (self), NULL);
  return gtk_label_get_text (self->hint);
}

void
ml_console_view_set_input (MlConsoleView *self, const char *text)
{
  g_return_if_fail (ML_IS_CONSOLE_VIEW (self));
  gtk_editable_set_text (GTK_EDITABLE (self->entry), text ? text : "");
}

GtkWidget *
ml_console_view_new (void)
{
  return g_object_new (ML_TYPE_CONSOLE_VIEW, NULL);
}

static void
ml_console_view_dispose (GObject *object)
{
  MlConsoleView *self = ML_CONSOLE_VIEW (object);
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));

  g_clear_pointer (&self->run, ml_console_run_free);
  g_clear_object (&self->player);
  if (child)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ml_console_view_parent_class)->dispose (object);
}

static void
ml_console_view_class_init (MlConsoleViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_console_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "consoleview");
}

static void
ml_console_view_init (MlConsoleView *self)
{
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 10);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *send = gtk_button_new_with_mnemonic ("_Send");

  self->target_names = gtk_string_list_new (NULL);
  self->targets = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (self->target_names)), NULL));
  self->connect = GTK_BUTTON (gtk_button_new_with_mnemonic ("_Connect"));
  self->status = GTK_LABEL (gtk_label_new (""));
  self->transcript = GTK_TEXT_VIEW (gtk_text_view_new ());
  self->entry = GTK_ENTRY (gtk_entry_new ());
  self->hint = GTK_LABEL (gtk_label_new (""));

  gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
  gtk_widget_set_hexpand (GTK_WIDGET (self->status), TRUE);
  gtk_label_set_xalign (self->status, 1);
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (self->targets));
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (self->connect));
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (self->status));

  gtk_text_view_set_editable (self->transcript, FALSE);
  gtk_text_view_set_cursor_visible (self->transcript, FALSE);
  gtk_text_view_set_monospace (self->transcript, TRUE);
  gtk_text_view_set_wrap_mode (self->transcript, GTK_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (GTK_WIDGET (self->transcript), "ml-console");
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->transcript));
  gtk_widget_set_vexpand (scroller, TRUE);

  gtk_entry_set_placeholder_text (self->entry, "Type a command, as telnet would send it (Enter sends)");
  gtk_widget_add_css_class (GTK_WIDGET (self->entry), "monospace");
  gtk_widget_set_hexpand (GTK_WIDGET (self->entry), TRUE);
  gtk_box_append (GTK_BOX (bottom), GTK_WIDGET (self->entry));
  gtk_box_append (GTK_BOX (bottom), send);
  gtk_label_set_xalign (self->hint, 0);
  gtk_label_set_wrap (self->hint, TRUE);

  gtk_box_append (GTK_BOX (outer), top);
  gtk_box_append (GTK_BOX (outer), scroller);
  gtk_box_append (GTK_BOX (outer), bottom);
  gtk_box_append (GTK_BOX (outer), GTK_WIDGET (self->hint));
  g_object_set (outer, "margin-start", 12, "margin-end", 12, "margin-top", 12, "margin-bottom", 12, NULL);
  gtk_widget_set_parent (outer, GTK_WIDGET (self));

  g_signal_connect_swapped (self->connect, "clicked", G_CALLBACK (on_connect_clicked), self);
  g_signal_connect_swapped (send, "clicked", G_CALLBACK (on_activate), self);
  g_signal_connect_swapped (self->entry, "activate", G_CALLBACK (on_activate), self);
  g_signal_connect_swapped (self->entry, "changed", G_CALLBACK (on_changed), self);
  g_object_unref (self->target_names);
  ml_console_view_set_lesson (self, NULL);
}

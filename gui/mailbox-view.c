/* mailbox-view.c — columns of labels rebuilt from MlMailboxModel whenever
 * the player moves; the model does the replaying. */
#define G_LOG_DOMAIN "ml-mailbox-view"

#include "mailbox-view.h"
#include "mailbox-model.h"

struct _MlMailboxView {
  GtkWidget       parent_instance;

  GtkWidget      *scroller;
  GtkWidget      *columns;     /* GtkBox of column boxes */
  GtkLabel       *stats_label;
  MlPlayer       *player;
  MlMailboxModel *model;
  GPtrArray      *texts;       /* of char *, one per column */
  char           *placeholder; /* said in place of "nothing stored yet" */
};

G_DEFINE_FINAL_TYPE (MlMailboxView, ml_mailbox_view, GTK_TYPE_WIDGET)

static void
add_column (MlMailboxView *self, const char *title, const char *body)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (title);
  GtkWidget *label = gtk_label_new (body);

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "ml-mailbox-column");
  gtk_widget_set_size_request (box, 320, -1);
  gtk_widget_add_css_class (heading, "title-3");
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), FALSE);
  gtk_label_set_selectable (GTK_LABEL (label), FALSE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_margin_start (heading, 12);
  gtk_widget_set_margin_top (heading, 12);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_set_margin_bottom (label, 12);
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (self->columns), box);
  g_ptr_array_add (self->texts, g_strdup_printf ("%s\n%s", title, body));
}

static char *
dup_server_text (MlMailboxModel *model, const char *host)
{
  GString *s = g_string_new (NULL);
  GPtrArray *boxes = ml_mailbox_model_get_mailboxes (model);

  for (guint i = 0; i < boxes->len; i++)
    {
      MlMailboxState *mb = g_ptr_array_index (boxes, i);

      if (g_strcmp0 (mb->host, host) != 0)
        continue;
      if (s->len > 0)
        g_string_append_c (s, '\n');
      g_string_append_printf (s, "%s / %s: %u message%s\n", mb->account, mb->name,
                              mb->messages->len, mb->messages->len == 1 ? "" : "s");
      for (guint j = 0; j < mb->messages->len; j++)
        {
          MlMailboxMessage *m = g_ptr_array_index (mb->messages, j);

          g_string_append_printf (s, "  UID %-3u %5" G_GUINT64_FORMAT " octets  %s\n",
                                  m->uid, m->size, *m->flags ? m->flags : "(no flags)");
        }
    }
  if (s->len == 0)
    g_string_append (s, "nothing stored yet");
  return g_string_free (s, FALSE);
}

static void
rebuild (MlMailboxView *self)
{
  MlTrace *trace = self->player ? ml_player_get_trace (self->player) : NULL;
  GtkWidget *child;
  g_autoptr(GPtrArray) hosts = g_ptr_array_new ();
  g_autoptr(GString) stats = g_string_new (NULL);
  GPtrArray *boxes, *devices;
  static const MlProtocol shown[] = { ML_PROTO_SMTP, ML_PROTO_POP3, ML_PROTO_IMAP };

  while ((child = gtk_widget_get_first_child (self->columns)) != NULL)
    gtk_box_remove (GTK_BOX (self->columns), child);
  g_ptr_array_set_size (self->texts, 0);

  if (trace == NULL)
    {
      g_clear_pointer (&self->model, ml_mailbox_model_free);
      gtk_label_set_text (self->stats_label, "");
      return;
    }
  if (self->model == NULL)
    self->model = ml_mailbox_model_new (trace);
  ml_mailbox_model_seek (self->model, ml_player_get_position (self->player));

  boxes = ml_mailbox_model_get_mailboxes (self->model);
  for (guint i = 0; i < boxes->len; i++)
    {
      MlMailboxState *mb = g_ptr_array_index (boxes, i);

      if (!g_ptr_array_find_with_equal_func (hosts, mb->host, g_str_equal, NULL))
        g_ptr_array_add (hosts, mb->host);
    }
  for (guint i = 0; i < hosts->len; i++)
    {
      g_autofree char *title = g_strdup_printf ("Server %s", (char *) g_ptr_array_index (hosts, i));
      g_autofree char *body = dup_server_text (self->model, g_ptr_array_index (hosts, i));

      add_column (self, title, body);
    }
  if (hosts->len == 0)
    add_column (self, "Server", self->placeholder ? self->placeholder : "nothing stored yet");

  devices = ml_mailbox_model_get_devices (self->model);
  for (guint i = 0; i < devices->len; i++)
    {
      MlDeviceState *d = g_ptr_array_index (devices, i);
      g_autofree char *title = g_strdup_printf ("%s (%s)", d->host, d->account ? d->account : "");

      add_column (self, title, d->holdings);
    }

  g_string_append (stats, "So far: ");
  for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
    {
      const MlProtocolStats *p = ml_trace_stats_get (ml_mailbox_model_get_stats (self->model), shown[i]);

      g_string_append_printf (stats, "%s%s %" G_GUINT64_FORMAT " octets in %u round trips",
                              i > 0 ? "   ·   " : "", ml_protocol_to_string (shown[i]),
                              p ? p->payload_bytes : 0, p ? p->round_trips : 0);
    }
  gtk_label_set_text (self->stats_label, stats->str);
}

static void
on_trace_changed (MlMailboxView *self)
{
  g_clear_pointer (&self->model, ml_mailbox_model_free);
  rebuild (self);
}

void
ml_mailbox_view_set_player (MlMailboxView *self, MlPlayer *player)
{
  g_return_if_fail (ML_IS_MAILBOX_VIEW (self));

  if (self->player)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_set_object (&self->player, player);
  if (player)
    {
      g_signal_connect_swapped (player, "notify::position", G_CALLBACK (rebuild), self);
      g_signal_connect_swapped (player, "notify::trace", G_CALLBACK (on_trace_changed), self);
      g_signal_connect_swapped (player, "trace-grew", G_CALLBACK (on_trace_changed), self);
    }
  on_trace_changed (self);
}

void
ml_mailbox_view_set_placeholder (MlMailboxView *self, const char *text)
{
  g_return_if_fail (ML_IS_MAILBOX_VIEW (self));

  g_free (self->placeholder);
  self->placeholder = g_strdup (text);
  rebuild (self);
}

guint
ml_mailbox_view_get_n_columns (MlMailboxView *self)
{
  g_return_val_if_fail (ML_IS_MAILBOX_VIEW (self), 0);
  return self->texts->len;
}

const char *
ml_mailbox_view_get_column_text (MlMailboxView *self, guint i)
{
  g_return_val_if_fail (ML_IS_MAILBOX_VIEW (self), NULL);
  return i < self->texts->len ? g_ptr_array_index (self->texts, i) : NULL;
}

GtkWidget *
ml_mailbox_view_new (void)
{
  return g_object_new (ML_TYPE_MAILBOX_VIEW, NULL);
}

static void
ml_mailbox_view_dispose (GObject *object)
{
  MlMailboxView *self = ML_MAILBOX_VIEW (object);
  GtkWidget *box = gtk_widget_get_first_child (GTK_WIDGET (self));

  if (self->player)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_clear_object (&self->player);
  g_clear_pointer (&self->model, ml_mailbox_model_free);
  if (box)
    gtk_widget_unparent (box);
  G_OBJECT_CLASS (ml_mailbox_view_parent_class)->dispose (object);
}

static void
ml_mailbox_view_finalize (GObject *object)
{
  MlMailboxView *self = ML_MAILBOX_VIEW (object);

  g_ptr_array_unref (self->texts);
  g_free (self->placeholder);
  G_OBJECT_CLASS (ml_mailbox_view_parent_class)->finalize (object);
}

static void
ml_mailbox_view_class_init (MlMailboxViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_mailbox_view_dispose;
  object_class->finalize = ml_mailbox_view_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mailboxview");
}

static void
ml_mailbox_view_init (MlMailboxView *self)
{
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  self->texts = g_ptr_array_new_with_free_func (g_free);
  self->columns = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_start (self->columns, 12);
  gtk_widget_set_margin_end (self->columns, 12);
  gtk_widget_set_margin_top (self->columns, 12);
  gtk_widget_set_margin_bottom (self->columns, 12);
  /* No scrolled window: rebuilding the columns under a GtkViewport while
   * the page is hidden made GTK snapshot it unallocated. */
  self->scroller = self->columns;
  gtk_widget_set_vexpand (self->columns, TRUE);
  self->stats_label = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_wrap (self->stats_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->stats_label), "heading");
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->stats_label), 8);
  gtk_box_append (GTK_BOX (outer), self->scroller);
  gtk_box_append (GTK_BOX (outer), GTK_WIDGET (self->stats_label));
  gtk_widget_set_parent (outer, GTK_WIDGET (self));
}

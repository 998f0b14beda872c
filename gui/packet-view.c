#define G_LOG_DOMAIN "ml-packet-view"

#include <string.h>
#include "packet-view.h"
#include "packet-dissect.h"
#include "frame-locate.h"

struct _MlPacketView
{
  GtkWidget           parent_instance;

  GtkLabel           *title;
  GtkListView        *tree;
  MlHexView          *hex;

  MlPlayer           *player;
  gulong              player_handlers[2];
  gint64              frame;        /* event shown, −1: none */
  GListModel         *roots;        /* MlPacketField */
  GtkTreeListModel   *rows;
  GtkSingleSelection *selection;
  guint               scroll_tick;
  guint               scroll_to;
};

G_DEFINE_FINAL_TYPE (MlPacketView, ml_packet_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PLAYER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GListModel *
create_children (gpointer item, gpointer user_data)
{
  GListModel *children = ml_packet_field_get_children (ML_PACKET_FIELD (item));

  return children ? g_object_ref (children) : NULL;
}

static void
on_selected (MlPacketView *self)
{
  MlPacketField *field = ml_packet_view_get_selected_field (self);

  if (field)
    ml_hex_view_set_highlight (self->hex, ml_packet_field_get_offset (field),
                               ml_packet_field_get_length (field));
  else
    ml_hex_view_set_highlight (self->hex, 0, 0);
}

static void
show_frame (MlPacketView *self, gint64 frame)
{
  MlTrace *trace = self->player ? ml_player_get_trace (self->player) : NULL;
  const MlTraceEvent *event = NULL;
  GListModel *roots;
  g_autofree char *title = NULL;

  if (frame == self->frame)
    return;
  self->frame = frame;

  if (frame >= 0 && trace)
    event = ml_trace_get_event (trace, (guint64) frame);

  if (event && event->bytes)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (event->bytes, &len);

      roots = ml_packet_dissect (data, len, event->protocol);
      title = g_strdup_printf ("Frame %" G_GUINT64_FORMAT " · %s → %s · %" G_GSIZE_FORMAT " bytes%s",
                               event->index, event->host ? event->host : "?",
                               event->peer ? event->peer : "?", len,
                               event->dropped ? " · lost on the link" : "");
      ml_hex_view_set_bytes (self->hex, event->bytes);
    }
  else
    {
      roots = G_LIST_MODEL (g_list_store_new (ML_TYPE_PACKET_FIELD));
      title = g_strdup ("No frame at this step");
      ml_hex_view_set_bytes (self->hex, NULL);
    }
  gtk_label_set_label (self->title, title);

  g_clear_object (&self->roots);
  self->roots = roots;
  if (self->selection)
    g_signal_handlers_disconnect_by_func (self->selection, on_selected, self);
  g_clear_object (&self->selection);
  self->rows = gtk_tree_list_model_new (g_object_ref (roots), FALSE, FALSE, create_children, NULL, NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->rows));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect_swapped (self->selection, "notify::selected", G_CALLBACK (on_selected), self);
  gtk_list_view_set_model (self->tree, GTK_SELECTION_MODEL (self->selection));
}

static MlPacketField *
row_field (MlPacketView *self, guint position, guint *depth)
{
  g_autoptr(GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), position);
  g_autoptr(MlPacketField) field = NULL;

  if (row == NULL)
    return NULL;
  if (depth)
    *depth = gtk_tree_list_row_get_depth (row);
  field = gtk_tree_list_row_get_item (row);
  return field;   /* the model keeps it */
}

/* The layer a class looks at first: the application's, else the
 * transport's. Its position in the flattened tree, or −1. */
static int
focus_layer (MlPacketView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  MlPacketLayer best = ML_PACKET_LAYER_FIELD;
  int focus = -1;

  for (guint i = 0; i < n; i++)
    {
      guint depth;
      MlPacketField *field = row_field (self, i, &depth);
      MlPacketLayer layer = ml_packet_field_get_layer (field);

      if (depth == 0 && (layer == ML_PACKET_LAYER_APPLICATION
                         || (layer == ML_PACKET_LAYER_TRANSPORT && best != ML_PACKET_LAYER_APPLICATION)))
        {
          focus = (int) i;
          best = layer;
        }
    }
  return focus;
}

static gboolean
scroll_tree (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  MlPacketView *self = user_data;
  GtkAdjustment *vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (widget));

  /* Before its first layout the list has no page to scroll in yet. */
  if (vadj && gtk_adjustment_get_page_size (vadj) <= 0)
    return G_SOURCE_CONTINUE;
  self->scroll_tick = 0;
  if (self->scroll_to < g_list_model_get_n_items (G_LIST_MODEL (self->rows)))
    gtk_widget_activate_action (widget, "list.scroll-to-item", "u", self->scroll_to);
  return G_SOURCE_REMOVE;
}

/* Opens the focus layer and selects what the current event is about: the
 * line a dialogue event sent, else the whole layer, so its bytes light up
 * in the hex view straight away. */
static void
select_for_event (MlPacketView *self, const MlTraceEvent *event)
{
  g_autoptr(GtkTreeListRow) row = NULL;
  int focus = focus_layer (self);
  guint target;

  if (focus < 0)
    {
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      return;
    }
  target = (guint) focus;
  row = g_list_model_get_item (G_LIST_MODEL (self->rows), (guint) focus);
  gtk_tree_list_row_set_expanded (row, TRUE);

  if (event && event->kind == ML_TRACE_DIALOGUE && event->text)
    {
      g_autofree char *line = g_strndup (event->text, strcspn (event->text, "\n"));
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));

      for (guint i = (guint) focus + 1; i < n; i++)
        {
          guint depth;
          MlPacketField *field = row_field (self, i, &depth);

          if (depth == 0)
            break;
          if (*line && g_str_has_prefix (ml_packet_field_get_text (field), line))
            {
              target = i;
              break;
            }
        }
    }
  gtk_single_selection_set_selected (self->selection, target);
  /* The list has not laid out its new rows yet; scroll on the next frame. */
  self->scroll_to = target;
  if (self->scroll_tick == 0)
    self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->tree), scroll_tree, self, NULL);
}

static void
on_position_changed (MlPacketView *self)
{
  MlTrace *trace = self->player ? ml_player_get_trace (self->player) : NULL;
  guint64 frame;

  if (trace && ml_frame_locate (trace, ml_player_get_position (self->player), &frame))
    show_frame (self, (gint64) frame);
  else
    show_frame (self, -1);
  select_for_event (self, self->player ? ml_player_get_event (self->player) : NULL);
}

static void
on_trace_changed (MlPacketView *self)
{
  /* The same event number in a new trace is another frame. */
  self->frame = G_MININT64;
  on_position_changed (self);
}

static void
on_byte_activated (MlPacketView *self, guint offset)
{
  ml_packet_view_select_byte (self, offset);
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), label);
  gtk_list_item_set_child (item, expander);
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkTreeListRow *row = gtk_list_item_get_item (item);
  GtkWidget *expander = gtk_list_item_get_child (item);
  MlPacketField *field = gtk_tree_list_row_get_item (row);
  GtkWidget *label = gtk_tree_expander_get_child (GTK_TREE_EXPANDER (expander));

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), row);
  gtk_label_set_label (GTK_LABEL (label), ml_packet_field_get_text (field));
  /* Layers read as headings, fields as their content. */
  if (gtk_tree_list_row_get_depth (row) == 0)
    gtk_widget_add_css_class (label, "heading");
  else
    gtk_widget_remove_css_class (label, "heading");
  g_object_unref (field);
}

static void
unbind_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (gtk_list_item_get_child (item)), NULL);
}

static void
disconnect_player (MlPacketView *self)
{
  if (self->player == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (self->player_handlers); i++)
    g_clear_signal_handler (&self->player_handlers[i], self->player);
  g_clear_object (&self->player);
}

static void
ml_packet_view_dispose (GObject *object)
{
  MlPacketView *self = ML_PACKET_VIEW (object);

  disconnect_player (self);
  if (self->scroll_tick)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->tree), self->scroll_tick);
  self->scroll_tick = 0;
  if (self->selection)
    g_signal_handlers_disconnect_by_func (self->selection, on_selected, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), ML_TYPE_PACKET_VIEW);
  /* The template's top child is not bound to a field, so
   * dispose_template leaves it; a GtkWidget subclass unparents its own. */
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->selection);
  g_clear_object (&self->roots);
  G_OBJECT_CLASS (ml_packet_view_parent_class)->dispose (object);
}

static void
ml_packet_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MlPacketView *self = ML_PACKET_VIEW (object);

  switch (prop_id)
    {
    case PROP_PLAYER:
      g_value_set_object (value, self->player);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_packet_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MlPacketView *self = ML_PACKET_VIEW (object);

  switch (prop_id)
    {
    case PROP_PLAYER:
      ml_packet_view_set_player (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_packet_view_class_init (MlPacketViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_packet_view_dispose;
  object_class->get_property = ml_packet_view_get_property;
  object_class->set_property = ml_packet_view_set_property;

  properties[PROP_PLAYER] =
    g_param_spec_object ("player", NULL, NULL, ML_TYPE_PLAYER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ML_TYPE_HEX_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/maillab/Maillab/packet-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MlPacketView, title);
  gtk_widget_class_bind_template_child (widget_class, MlPacketView, tree);
  gtk_widget_class_bind_template_child (widget_class, MlPacketView, hex);
  gtk_widget_class_set_css_name (widget_class, "packetview");
}

static void
ml_packet_view_init (MlPacketView *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  self->frame = G_MININT64;
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  gtk_list_view_set_factory (self->tree, factory);
  g_signal_connect_swapped (self->hex, "byte-activated", G_CALLBACK (on_byte_activated), self);
  show_frame (self, -1);
}

GtkWidget *
ml_packet_view_new (void)
{
  return g_object_new (ML_TYPE_PACKET_VIEW, NULL);
}

MlPlayer *
ml_packet_view_get_player (MlPacketView *self)
{
  g_return_val_if_fail (ML_IS_PACKET_VIEW (self), NULL);
  return self->player;
}

void
ml_packet_view_set_player (MlPacketView *self, MlPlayer *player)
{
  g_return_if_fail (ML_IS_PACKET_VIEW (self));
  g_return_if_fail (player == NULL || ML_IS_PLAYER (player));

  if (self->player == player)
    return;
  disconnect_player (self);
  if (player)
    {
      self->player = g_object_ref (player);
      self->player_handlers[0] = g_signal_connect_swapped (player, "notify::trace", G_CALLBACK (on_trace_changed), self);
      self->player_handlers[1] = g_signal_connect_swapped (player, "notify::position", G_CALLBACK (on_position_changed), self);
    }
  on_trace_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYER]);
}

gint64
ml_packet_view_get_frame (MlPacketView *self)
{
  g_return_val_if_fail (ML_IS_PACKET_VIEW (self), -1);
  return self->frame < 0 ? -1 : self->frame;
}

GListModel *
ml_packet_view_get_rows (MlPacketView *self)
{
  g_return_val_if_fail (ML_IS_PACKET_VIEW (self), NULL);
  return G_LIST_MODEL (self->rows);
}

MlPacketField *
ml_packet_view_get_selected_field (MlPacketView *self)
{
  GtkTreeListRow *row;
  g_autoptr(MlPacketField) field = NULL;

  g_return_val_if_fail (ML_IS_PACKET_VIEW (self), NULL);

  row = gtk_single_selection_get_selected_item (self->selection);
  if (row == NULL)
    return NULL;
  field = gtk_tree_list_row_get_item (row);
  /* The tree's model keeps the field alive. */
  return field;
}

void
ml_packet_view_select_row (MlPacketView *self, guint position)
{
  g_return_if_fail (ML_IS_PACKET_VIEW (self));
  gtk_single_selection_set_selected (self->selection, position);
}

gboolean
ml_packet_view_select_byte (MlPacketView *self, gsize offset)
{
  MlPacketField *target;

  g_return_val_if_fail (ML_IS_PACKET_VIEW (self), FALSE);

  target = ml_packet_dissect_find_field (self->roots, offset);
  if (target == NULL)
    return FALSE;
  /* Walk down the rows over @offset, opening each layer on the way, until
   * the row of the deepest field: its children appear right after it. */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->rows)); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
      g_autoptr(MlPacketField) field = gtk_tree_list_row_get_item (row);
      gsize start = ml_packet_field_get_offset (field);

      if (offset < start || offset >= start + ml_packet_field_get_length (field))
        continue;
      if (field == target)
        {
          gtk_single_selection_set_selected (self->selection, i);
          self->scroll_to = i;
          if (self->scroll_tick == 0)
            self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->tree), scroll_tree, self, NULL);
          return TRUE;
        }
      if (gtk_tree_list_row_is_expandable (row))
        gtk_tree_list_row_set_expanded (row, TRUE);
    }
  return FALSE;
}

MlHexView *
ml_packet_view_get_hex_view (MlPacketView *self)
{
  g_return_val_if_fail (ML_IS_PACKET_VIEW (self), NULL);
  return self->hex;
}

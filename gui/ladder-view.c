#define G_LOG_DOMAIN "ml-ladder-view"

/* ladder-view.c — MlLadderView as a widget: its properties, the player it
 * follows (a new trace, a trace that grew, a moved cursor), clicks, and
 * the scrollable interface. Geometry is in ladder-view-layout.c, drawing
 * in ladder-view-draw.c. */

#include <math.h>
#include "ladder-view-private.h"

static void ml_ladder_view_scrollable_init (GtkScrollableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MlLadderView, ml_ladder_view, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE,
                                                      ml_ladder_view_scrollable_init))

enum {
  PROP_0,
  PROP_PLAYER,
  PROP_ZOOM,
  PROP_HIDE_AHEAD,
  N_PROPS,
  /* GtkScrollable */
  PROP_HADJUSTMENT = N_PROPS,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY,
};

static GParamSpec *properties[N_PROPS];

static void
ml_ladder_view_scrollable_init (GtkScrollableInterface *iface)
{
}

gboolean
ml_ladder_view_is_row_shown (MlLadderView *self, guint64 row)
{
  guint64 current;

  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), FALSE);

  /* An export is made after the fact, for the whole dialogue. */
  if (!self->hide_ahead || self->page_override)
    return TRUE;
  return _ml_ladder_view_current_row (self, &current) && row <= current;
}

void
ml_ladder_view_set_hide_ahead (MlLadderView *self, gboolean hide)
{
  g_return_if_fail (ML_IS_LADDER_VIEW (self));

  hide = !!hide;
  if (self->hide_ahead == hide)
    return;
  self->hide_ahead = hide;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIDE_AHEAD]);
}

gboolean
ml_ladder_view_get_hide_ahead (MlLadderView *self)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), FALSE);
  return self->hide_ahead;
}

static void
ml_ladder_view_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  MlLadderView *self = ML_LADDER_VIEW (widget);

  GTK_WIDGET_CLASS (ml_ladder_view_parent_class)->css_changed (widget, change);
  /* Dark mode and font changes both arrive here. */
  self->palette_valid = FALSE;
  _ml_ladder_view_clear_metrics (self);
  gtk_widget_queue_resize (widget);
}

/* ---- player ------------------------------------------------------------- */

static void
on_rows_changed (MlLadderView *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));

  g_clear_pointer (&self->lanes, ml_ladder_lanes_free);
  if (self->vadjustment)
    gtk_adjustment_set_value (self->vadjustment, 0);
  /* Lay the new rows out in the current size at once, so the current step
   * is in view before the next frame (the lane count may change the
   * natural width; the resize below follows up on that). */
  if (width > 0 && height > 0)
    {
      _ml_ladder_view_ensure_metrics (self);
      _ml_ladder_view_layout_lanes (self, width);
      _ml_ladder_view_configure_adjustments (self, width, height);
      _ml_ladder_view_scroll_to_current (self);
    }
  else
    self->scroll_pending = TRUE;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* The trace gained events: the new rows are the player's index's tail,
 * so only they are looked at, the scroll position stays, and a new talker
 * adds a lane at the right. O(new events), whatever the trace's length. */
static void
on_trace_grew (MlLadderView *self, guint64 first_new)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  guint n_lanes;

  if (self->lanes == NULL)
    {
      /* Never drawn yet: the first draw makes the lanes from all rows. */
      gtk_widget_queue_resize (GTK_WIDGET (self));
      return;
    }
  n_lanes = ml_ladder_lanes_get_n (self->lanes);
  if (!ml_ladder_lanes_extend (self->lanes, _ml_ladder_view_current_trace (self),
                               _ml_ladder_view_current_index (self),
                               ml_player_get_hosts (self->player)))
    g_clear_pointer (&self->lanes, ml_ladder_lanes_free);
  if (width > 0 && height > 0)
    {
      _ml_ladder_view_ensure_metrics (self);
      _ml_ladder_view_layout_lanes (self, width);
      _ml_ladder_view_configure_adjustments (self, width, height);
    }
  /* A new lane may change the natural width; rows alone only the
   * adjustment, which is already set. */
  if (self->lanes == NULL || ml_ladder_lanes_get_n (self->lanes) != n_lanes)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_position_changed (MlLadderView *self)
{
  _ml_ladder_view_scroll_to_current (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_pressed (GtkGestureClick *gesture, int n_press, double x, double y, MlLadderView *self)
{
  gint64 row = ml_ladder_view_get_row_at_y (self, y);

  if (row < 0 || self->player == NULL)
    return;
  ml_player_set_position (self->player, ml_step_index_get_event (_ml_ladder_view_current_index (self), (guint64) row));
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
disconnect_player (MlLadderView *self)
{
  if (self->player == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (self->player_handlers); i++)
    g_clear_signal_handler (&self->player_handlers[i], self->player);
  g_clear_object (&self->player);
}

void
ml_ladder_view_set_player (MlLadderView *self, MlPlayer *player)
{
  g_return_if_fail (ML_IS_LADDER_VIEW (self));
  g_return_if_fail (player == NULL || ML_IS_PLAYER (player));

  if (self->player == player)
    return;
  disconnect_player (self);
  if (player)
    {
      self->player = g_object_ref (player);
      self->player_handlers[0] = g_signal_connect_swapped (player, "notify::trace", G_CALLBACK (on_rows_changed), self);
      self->player_handlers[1] = g_signal_connect_swapped (player, "notify::mode", G_CALLBACK (on_rows_changed), self);
      self->player_handlers[2] = g_signal_connect_swapped (player, "notify::hosts", G_CALLBACK (on_rows_changed), self);
      self->player_handlers[3] = g_signal_connect_swapped (player, "notify::position", G_CALLBACK (on_position_changed), self);
      self->player_handlers[4] = g_signal_connect_swapped (player, "trace-grew", G_CALLBACK (on_trace_grew), self);
    }
  on_rows_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYER]);
}

MlPlayer *
ml_ladder_view_get_player (MlLadderView *self)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), NULL);
  return self->player;
}

/* ---- scrollable --------------------------------------------------------- */

static void
on_adjustment_changed (MlLadderView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_adjustment (MlLadderView *self, GtkAdjustment **slot, GtkAdjustment *adjustment)
{
  if (adjustment == NULL)
    adjustment = gtk_adjustment_new (0, 0, 0, 0, 0, 0);
  if (*slot == adjustment)
    return;
  if (*slot)
    {
      g_signal_handlers_disconnect_by_func (*slot, on_adjustment_changed, self);
      g_object_unref (*slot);
    }
  *slot = g_object_ref_sink (adjustment);
  g_signal_connect_swapped (adjustment, "value-changed", G_CALLBACK (on_adjustment_changed), self);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

/* ---- GObject ------------------------------------------------------------ */

static void
ml_ladder_view_dispose (GObject *object)
{
  MlLadderView *self = ML_LADDER_VIEW (object);

  disconnect_player (self);
  if (self->hadjustment)
    g_signal_handlers_disconnect_by_func (self->hadjustment, on_adjustment_changed, self);
  if (self->vadjustment)
    g_signal_handlers_disconnect_by_func (self->vadjustment, on_adjustment_changed, self);
  g_clear_object (&self->hadjustment);
  g_clear_object (&self->vadjustment);
  g_clear_pointer (&self->lanes, ml_ladder_lanes_free);
  _ml_ladder_view_clear_metrics (self);
  G_OBJECT_CLASS (ml_ladder_view_parent_class)->dispose (object);
}

static void
ml_ladder_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MlLadderView *self = ML_LADDER_VIEW (object);

  switch (prop_id)
    {
    case PROP_PLAYER:
      g_value_set_object (value, self->player);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    case PROP_HIDE_AHEAD:
      g_value_set_boolean (value, self->hide_ahead);
      break;
    case PROP_HADJUSTMENT:
      g_value_set_object (value, self->hadjustment);
      break;
    case PROP_VADJUSTMENT:
      g_value_set_object (value, self->vadjustment);
      break;
    case PROP_HSCROLL_POLICY:
      g_value_set_enum (value, self->hscroll_policy);
      break;
    case PROP_VSCROLL_POLICY:
      g_value_set_enum (value, self->vscroll_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_ladder_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MlLadderView *self = ML_LADDER_VIEW (object);

  switch (prop_id)
    {
    case PROP_PLAYER:
      ml_ladder_view_set_player (self, g_value_get_object (value));
      break;
    case PROP_ZOOM:
      ml_ladder_view_set_zoom (self, g_value_get_double (value));
      break;
    case PROP_HIDE_AHEAD:
      ml_ladder_view_set_hide_ahead (self, g_value_get_boolean (value));
      break;
    case PROP_HADJUSTMENT:
      set_adjustment (self, &self->hadjustment, g_value_get_object (value));
      break;
    case PROP_VADJUSTMENT:
      set_adjustment (self, &self->vadjustment, g_value_get_object (value));
      break;
    case PROP_HSCROLL_POLICY:
      self->hscroll_policy = g_value_get_enum (value);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    case PROP_VSCROLL_POLICY:
      self->vscroll_policy = g_value_get_enum (value);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_ladder_view_class_init (MlLadderViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_ladder_view_dispose;
  object_class->get_property = ml_ladder_view_get_property;
  object_class->set_property = ml_ladder_view_set_property;

  widget_class->snapshot = _ml_ladder_view_snapshot;
  widget_class->measure = _ml_ladder_view_measure;
  widget_class->size_allocate = _ml_ladder_view_size_allocate;
  widget_class->css_changed = ml_ladder_view_css_changed;

  properties[PROP_PLAYER] =
    g_param_spec_object ("player", NULL, NULL, ML_TYPE_PLAYER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, ML_LADDER_MIN_ZOOM, ML_LADDER_MAX_ZOOM, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HIDE_AHEAD] =
    g_param_spec_boolean ("hide-ahead", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");

  gtk_widget_class_set_css_name (widget_class, "ladderview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ml_ladder_view_init (MlLadderView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->zoom = 1.0;
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (GTK_WIDGET (self), "view");
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "pointer");
}

GtkWidget *
ml_ladder_view_new (void)
{
  return g_object_new (ML_TYPE_LADDER_VIEW, NULL);
}

double
ml_ladder_view_get_zoom (MlLadderView *self)
{
  g_return_val_if_fail (ML_IS_LADDER_VIEW (self), 1.0);
  return self->zoom;
}

void
ml_ladder_view_set_zoom (MlLadderView *self, double zoom)
{
  g_return_if_fail (ML_IS_LADDER_VIEW (self));

  zoom = CLAMP (zoom, ML_LADDER_MIN_ZOOM, ML_LADDER_MAX_ZOOM);
  if (fabs (zoom - self->zoom) < 1e-9)
    return;
  self->zoom = zoom;
  _ml_ladder_view_clear_metrics (self);
  self->scroll_pending = TRUE;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

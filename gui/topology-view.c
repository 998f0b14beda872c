/* topology-view.c — hosts, links and frames in flight, drawn with cairo:
 * the widget, its time and the host popover here; where things go in
 * topology-view-geometry.c, the drawing in topology-view-draw.c.
 *
 * The time drawn follows the player: at rest it is the time of the event
 * under the cursor; while playing it runs on from there at the player's
 * speed towards the next step, so the dots move between steps the way
 * the frames did in the simulation; a manual step forward glides there.
 * A frame is in flight on its link from the moment it went on the wire
 * (its FRAME event's time) until its last bit arrives: serialisation at
 * the link's bandwidth plus the link's latency, as sim/net computes it.
 */
#define G_LOG_DOMAIN "ml-topology"

#include <math.h>
#include <string.h>
#include "topology-view-private.h"
#include "host-state.h"
#include "frame-flight.h"

G_DEFINE_FINAL_TYPE (MlTopologyView, ml_topology_view, GTK_TYPE_WIDGET)

/* ---- time ------------------------------------------------------------- */

static guint64
cursor_time (MlTopologyView *self)
{
  const MlTraceEvent *e = self->player ? ml_player_get_event (self->player) : NULL;

  return e ? e->time_us : 0;
}

/* The time of the step after the cursor's, or the cursor's own. */
static guint64
next_step_time (MlTopologyView *self)
{
  const MlStepIndex *index = ml_player_get_step_index (self->player);
  MlTrace *trace = ml_player_get_trace (self->player);
  guint64 row;

  if (trace == NULL || index == NULL
      || !ml_step_index_find_row (index, ml_player_get_position (self->player), &row)
      || row + 1 >= ml_step_index_get_n_rows (index))
    return cursor_time (self);
  return MAX (ml_trace_get_event (trace, ml_step_index_get_event (index, row + 1))->time_us,
              cursor_time (self));
}

static void
stop_glide (MlTopologyView *self)
{
  if (self->tick_id)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
  self->tick_id = 0;
  self->glide_start = 0;
}

static gboolean
glide_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  MlTopologyView *self = ML_TOPOLOGY_VIEW (widget);
  gint64 now = gdk_frame_clock_get_frame_time (clock);
  double t;

  if (self->glide_start == 0)
    self->glide_start = now;
  t = (double) self->glide_from_us + (double) (now - self->glide_start) * self->glide_rate;
  if (t >= (double) self->glide_to_us)
    {
      self->shown_us = self->glide_to_us;
      self->tick_id = 0;
      self->glide_start = 0;
      gtk_widget_queue_draw (widget);
      return G_SOURCE_REMOVE;
    }
  self->shown_us = (guint64) t;
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static gboolean
animations_enabled (MlTopologyView *self)
{
  gboolean enabled = TRUE;

  g_object_get (gtk_widget_get_settings (GTK_WIDGET (self)), "gtk-enable-animations", &enabled, NULL);
  return enabled && gtk_widget_get_mapped (GTK_WIDGET (self));
}

static void
glide (MlTopologyView *self, guint64 from_us, guint64 to_us, double rate)
{
  stop_glide (self);
  self->shown_us = from_us;
  if (to_us <= from_us || rate <= 0 || !animations_enabled (self))
    {
      self->shown_us = to_us;
      return;
    }
  self->glide_from_us = from_us;
  self->glide_to_us = to_us;
  self->glide_rate = rate;
  self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), glide_tick, NULL, NULL);
}

static void update_popup (MlTopologyView *self);

static void
on_position_changed (MlTopologyView *self)
{
  guint64 before = self->shown_us;

  self->target_us = cursor_time (self);
  if (self->player && ml_player_get_playing (self->player))
    /* Run on from the step at the player's speed towards the next one:
     * the player moves there when its dwell is up. */
    glide (self, self->target_us, next_step_time (self),
           ml_player_get_speed (self->player));
  else if (self->target_us > before && self->target_us - before <= ML_TOPOLOGY_GLIDE_MAX_US)
    glide (self, before, self->target_us,
           (double) (self->target_us - before) / (ML_TOPOLOGY_GLIDE_MS * 1000.0));
  else
    glide (self, self->target_us, self->target_us, 0);
  update_popup (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_trace_changed (MlTopologyView *self)
{
  stop_glide (self);
  self->target_us = self->shown_us = cursor_time (self);
  if (self->popover)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ml_topology_view_settle (MlTopologyView *self)
{
  g_return_if_fail (ML_IS_TOPOLOGY_VIEW (self));

  stop_glide (self);
  self->target_us = self->shown_us = cursor_time (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint64
ml_topology_view_get_time (MlTopologyView *self)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), 0);
  return self->shown_us;
}

guint
ml_topology_view_get_n_drawn (MlTopologyView *self)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), 0);
  return self->n_drawn;
}

/* ---- hosts and the popover -------------------------------------------- */

char *
ml_topology_view_dup_host_text (MlTopologyView *self, const char *host)
{
  MlTrace *trace;
  int i;
  const MlTopologyHost *h;
  g_autofree char *badge = NULL;
  g_autofree char *header = NULL;
  g_autoptr(MlHostState) state = NULL;
  guint links = 0;

  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), NULL);

  if (self->layout == NULL || (i = ml_topology_layout_find_host (self->layout, host)) < 0)
    return NULL;
  h = g_ptr_array_index (self->layout->hosts, i);
  for (guint k = 0; k < self->layout->links->len; k++)
    {
      const MlTopologyLink *l = g_ptr_array_index (self->layout->links, k);

      links += l->a == (guint) i || l->b == (guint) i;
    }
  badge = _ml_topology_view_dup_badge_text (h);
  header = g_strdup_printf ("%s\n%s · %u link%s", h->name, badge, links, links == 1 ? "" : "s");
  trace = self->player ? ml_player_get_trace (self->player) : NULL;
  if (trace == NULL)
    return g_steal_pointer (&header);
  state = ml_host_state_new (trace, host, ml_player_get_position (self->player));
  return ml_host_state_dup_text (state, header);
}

static void
update_popup (MlTopologyView *self)
{
  if (self->popup_host == NULL || self->popover == NULL
      || !gtk_widget_get_visible (self->popover))
    return;
  g_free (self->popup_text);
  self->popup_text = ml_topology_view_dup_host_text (self, self->popup_host);
  gtk_label_set_text (self->popover_label, self->popup_text ? self->popup_text : "");
}

static void
on_popover_closed (MlTopologyView *self)
{
  g_clear_pointer (&self->popup_host, g_free);
  g_clear_pointer (&self->popup_text, g_free);
}

gboolean
ml_topology_view_show_host (MlTopologyView *self, const char *host)
{
  int i;
  graphene_rect_t r;

  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), FALSE);

  if (self->layout == NULL || (i = ml_topology_layout_find_host (self->layout, host)) < 0)
    return FALSE;
  r = _ml_topology_view_card_rects (self)[i];
  g_free (self->popup_host);
  self->popup_host = g_strdup (host);
  g_free (self->popup_text);
  self->popup_text = ml_topology_view_dup_host_text (self, host);
  gtk_label_set_text (self->popover_label, self->popup_text ? self->popup_text : "");
  gtk_popover_set_pointing_to (GTK_POPOVER (self->popover),
                               &(GdkRectangle) { (int) r.origin.x, (int) r.origin.y,
                                                 (int) r.size.width, (int) r.size.height });
  gtk_popover_popup (GTK_POPOVER (self->popover));
  return TRUE;
}

const char *
ml_topology_view_get_popup_text (MlTopologyView *self)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), NULL);
  return self->popup_host ? self->popup_text : NULL;
}

static void
on_pressed (GtkGestureClick *gesture, int n_press, double x, double y, MlTopologyView *self)
{
  int i = ml_topology_view_get_host_at (self, x, y);

  if (i >= 0)
    ml_topology_view_show_host (self, ml_topology_view_get_host_name (self, (guint) i));
}

/* ---- plumbing --------------------------------------------------------- */

void
ml_topology_view_set_player (MlTopologyView *self, MlPlayer *player)
{
  g_return_if_fail (ML_IS_TOPOLOGY_VIEW (self));

  if (self->player)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_set_object (&self->player, player);
  if (player)
    {
      g_signal_connect_swapped (player, "notify::position", G_CALLBACK (on_position_changed), self);
      g_signal_connect_swapped (player, "notify::trace", G_CALLBACK (on_trace_changed), self);
      g_signal_connect_swapped (player, "notify::playing", G_CALLBACK (on_position_changed), self);
      g_signal_connect_swapped (player, "notify::speed", G_CALLBACK (on_position_changed), self);
    }
  on_trace_changed (self);
}

void
ml_topology_view_set_lesson (MlTopologyView *self, const MlLesson *lesson)
{
  g_return_if_fail (ML_IS_TOPOLOGY_VIEW (self));

  g_clear_pointer (&self->layout, ml_topology_layout_free);
  if (lesson)
    self->layout = ml_topology_layout_new (lesson);
  _ml_topology_view_invalidate_cards (self);
  if (self->popover)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
ml_topology_view_has_topology (MlTopologyView *self)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), FALSE);
  return self->layout != NULL;
}

GtkWidget *
ml_topology_view_new (void)
{
  return g_object_new (ML_TYPE_TOPOLOGY_VIEW, NULL);
}

static void
ml_topology_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                          int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 480 : 300;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 1000 : 520;
}

static void
ml_topology_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  MlTopologyView *self = ML_TOPOLOGY_VIEW (widget);

  if (self->popover)
    gtk_popover_present (GTK_POPOVER (self->popover));
}

static void
ml_topology_view_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  MlTopologyView *self = ML_TOPOLOGY_VIEW (widget);

  GTK_WIDGET_CLASS (ml_topology_view_parent_class)->css_changed (widget, change);
  /* Dark mode and the accent colour arrive this way. */
  self->palette_valid = FALSE;
  _ml_topology_view_invalidate_cards (self);
  gtk_widget_queue_draw (widget);
}

static void
ml_topology_view_dispose (GObject *object)
{
  MlTopologyView *self = ML_TOPOLOGY_VIEW (object);

  stop_glide (self);
  if (self->player)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_clear_object (&self->player);
  g_clear_pointer (&self->popover, gtk_widget_unparent);
  G_OBJECT_CLASS (ml_topology_view_parent_class)->dispose (object);
}

static void
ml_topology_view_finalize (GObject *object)
{
  MlTopologyView *self = ML_TOPOLOGY_VIEW (object);

  g_clear_pointer (&self->layout, ml_topology_layout_free);
  g_array_unref (self->cards);
  g_free (self->popup_host);
  g_free (self->popup_text);
  G_OBJECT_CLASS (ml_topology_view_parent_class)->finalize (object);
}

static void
ml_topology_view_class_init (MlTopologyViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_topology_view_dispose;
  object_class->finalize = ml_topology_view_finalize;
  widget_class->snapshot = _ml_topology_view_snapshot;
  widget_class->measure = ml_topology_view_measure;
  widget_class->size_allocate = ml_topology_view_size_allocate;
  widget_class->css_changed = ml_topology_view_css_changed;
  gtk_widget_class_set_css_name (widget_class, "topologyview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ml_topology_view_init (MlTopologyView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkWidget *label = gtk_label_new ("");

  self->cards = g_array_new (FALSE, TRUE, sizeof (graphene_rect_t));
  self->text_scale = 1.0;
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  self->popover = gtk_popover_new ();
  self->popover_label = GTK_LABEL (label);
  gtk_label_set_xalign (self->popover_label, 0);
  gtk_label_set_selectable (self->popover_label, FALSE);
  gtk_widget_add_css_class (label, "ml-host-state");
  gtk_widget_set_margin_start (label, 6);
  gtk_widget_set_margin_end (label, 6);
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_popover_set_child (GTK_POPOVER (self->popover), label);
  gtk_popover_set_position (GTK_POPOVER (self->popover), GTK_POS_BOTTOM);
  gtk_widget_set_parent (self->popover, GTK_WIDGET (self));
  g_signal_connect_swapped (self->popover, "closed", G_CALLBACK (on_popover_closed), self);
  gtk_widget_set_focusable (GTK_WIDGET (self), FALSE);
}

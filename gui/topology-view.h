/* topology-view.h — the lesson's network: hosts by role, links with their
 * latency, and the frames in flight at the player's time, drawn as dots
 * moving along the links and coloured by protocol. A click on a host pops
 * up its state at the cursor (host-state.h). */
#pragma once

#include <gtk/gtk.h>
#include "player.h"
#include "lesson/lesson.h"
#include "frame-flight.h"

G_BEGIN_DECLS

/* A manual step forward glides the picture from the old time to the new
 * one in this long, when the virtual gap is at most ML_TOPOLOGY_GLIDE_MAX_US. */
#define ML_TOPOLOGY_GLIDE_MS     450
#define ML_TOPOLOGY_GLIDE_MAX_US 500000
/* The host cards' type shrinks to fit a narrow view, down to this. */
#define ML_TOPOLOGY_MIN_TEXT_SCALE 0.55

#define ML_TYPE_TOPOLOGY_VIEW (ml_topology_view_get_type ())
G_DECLARE_FINAL_TYPE (MlTopologyView, ml_topology_view, ML, TOPOLOGY_VIEW, GtkWidget)

GtkWidget *ml_topology_view_new        (void);
void       ml_topology_view_set_player (MlTopologyView *self, MlPlayer *player);
/* Lays out @lesson's hosts and links (copied; @lesson stays the caller's).
 * NULL: there is no topology (a capture), and the view says so. */
void       ml_topology_view_set_lesson (MlTopologyView *self, const MlLesson *lesson);
gboolean   ml_topology_view_has_topology (MlTopologyView *self);

/* The virtual time drawn now (µs): the cursor's, or on its way there. */
guint64    ml_topology_view_get_time   (MlTopologyView *self);
/* Stops any glide: the picture shows the cursor's own time. */
void       ml_topology_view_settle     (MlTopologyView *self);

/* Frames in flight at @time_us, per kind (@counts has
 * ML_TOPOLOGY_N_DOT_KINDS entries, may be NULL); returns the total. */
guint      ml_topology_view_count_in_flight (MlTopologyView *self, guint64 time_us,
                                             guint *counts);
/* Draws the view as it is now onto @cr, at the widget's size and without
 * its background (the snapshot does the same; export and tests use it). */
void       ml_topology_view_render     (MlTopologyView *self, cairo_t *cr);
/* Dots painted by the last drawing (a test hook). */
guint      ml_topology_view_get_n_drawn (MlTopologyView *self);

guint       ml_topology_view_get_n_hosts   (MlTopologyView *self);
const char *ml_topology_view_get_host_name (MlTopologyView *self, guint i); /* borrowed */
/* The host's card in widget coordinates for the current size. */
gboolean    ml_topology_view_get_host_rect (MlTopologyView *self, guint i,
                                            graphene_rect_t *rect);
/* -1 when no host is there. */
int         ml_topology_view_get_host_at   (MlTopologyView *self, double x, double y);
/* The popover's text for @host at the cursor (transfer full). */
char       *ml_topology_view_dup_host_text (MlTopologyView *self, const char *host);
/* Pops up @host's state as a click on it does; FALSE for no such host. */
gboolean    ml_topology_view_show_host     (MlTopologyView *self, const char *host);
/* The popover's current text (borrowed), NULL when it is closed. */
const char *ml_topology_view_get_popup_text (MlTopologyView *self);

G_END_DECLS

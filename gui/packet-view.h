/* packet-view.h — the frame at the player's position: its layers as a
 * tree and its bytes in hex. Selecting a field lights its bytes; clicking
 * a byte selects the field it belongs to.
 */
#pragma once

#include <gtk/gtk.h>
#include "player.h"
#include "packet-field.h"
#include "hex-view.h"

G_BEGIN_DECLS

#define ML_TYPE_PACKET_VIEW (ml_packet_view_get_type ())
G_DECLARE_FINAL_TYPE (MlPacketView, ml_packet_view, ML, PACKET_VIEW, GtkWidget)

GtkWidget     *ml_packet_view_new                (void);
MlPlayer      *ml_packet_view_get_player         (MlPacketView *self);  /* borrowed */
void           ml_packet_view_set_player         (MlPacketView *self, MlPlayer *player);

/* The frame shown (an event number), or −1 when there is none. */
gint64         ml_packet_view_get_frame          (MlPacketView *self);
/* The layer tree, flattened and expanded: GtkTreeListRow items (borrowed). */
GListModel    *ml_packet_view_get_rows           (MlPacketView *self);
MlPacketField *ml_packet_view_get_selected_field (MlPacketView *self);  /* borrowed or NULL */
/* Selects the @position-th row of the flattened tree. */
void           ml_packet_view_select_row         (MlPacketView *self, guint position);
/* What a click on byte @offset does: selects the deepest field over it. */
gboolean       ml_packet_view_select_byte        (MlPacketView *self, gsize offset);
MlHexView     *ml_packet_view_get_hex_view       (MlPacketView *self);  /* borrowed */

G_END_DECLS

/* hex-view.h — the bytes of one frame as offset, hex and ASCII columns,
 * with a range of bytes lit up and a click reporting the byte under it.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ML_HEX_BYTES_PER_ROW 16

#define ML_TYPE_HEX_VIEW (ml_hex_view_get_type ())
G_DECLARE_FINAL_TYPE (MlHexView, ml_hex_view, ML, HEX_VIEW, GtkWidget)

GtkWidget *ml_hex_view_new           (void);
/* Takes a reference; NULL shows nothing. Clears the highlight. */
void       ml_hex_view_set_bytes     (MlHexView *self, GBytes *bytes);
GBytes    *ml_hex_view_get_bytes     (MlHexView *self);   /* borrowed */
void       ml_hex_view_set_highlight (MlHexView *self, gsize offset, gsize length);
void       ml_hex_view_get_highlight (MlHexView *self, gsize *offset, gsize *length);
/* The byte at widget coordinates, or −1. */
gssize     ml_hex_view_get_byte_at   (MlHexView *self, double x, double y);

/* Signal "byte-activated" (guint offset): the user clicked a byte. */

G_END_DECLS

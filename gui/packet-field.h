/* packet-field.h — one line of the packet detail tree: a layer or a field,
 * with the bytes of the frame it covers.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Which layer a top-level item is; fields inside a layer are FIELD. */
typedef enum {
  ML_PACKET_LAYER_FIELD = 0,
  ML_PACKET_LAYER_LINK,         /* Ethernet */
  ML_PACKET_LAYER_NETWORK,      /* IPv4 */
  ML_PACKET_LAYER_TRANSPORT,    /* TCP, UDP */
  ML_PACKET_LAYER_APPLICATION,  /* SMTP lines, DNS */
  ML_PACKET_LAYER_TRAILER,      /* Ethernet padding, undecoded bytes */
} MlPacketLayer;

#define ML_TYPE_PACKET_FIELD (ml_packet_field_get_type ())
G_DECLARE_FINAL_TYPE (MlPacketField, ml_packet_field, ML, PACKET_FIELD, GObject)

/* @offset/@length: the bytes of the frame the field covers. Transfer full. */
MlPacketField *ml_packet_field_new          (const char *text, gsize offset, gsize length);
const char    *ml_packet_field_get_text     (MlPacketField *self);  /* borrowed */
MlPacketLayer  ml_packet_field_get_layer    (MlPacketField *self);
void           ml_packet_field_set_layer    (MlPacketField *self, MlPacketLayer layer);
gsize          ml_packet_field_get_offset   (MlPacketField *self);
gsize          ml_packet_field_get_length   (MlPacketField *self);
/* Children in order (borrowed; NULL while there are none). */
GListModel    *ml_packet_field_get_children (MlPacketField *self);
/* Appends a child and returns it (borrowed). */
MlPacketField *ml_packet_field_add          (MlPacketField *self, const char *text,
                                             gsize offset, gsize length);
MlPacketField *ml_packet_field_add_printf   (MlPacketField *self, gsize offset, gsize length,
                                             const char *format, ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS

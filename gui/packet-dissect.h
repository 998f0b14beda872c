/* packet-dissect.h — a frame's bytes as a tree of layers and fields.
 *
 * Ethernet II, IPv4 (RFC 791 3.1), TCP (RFC 9293 3.1) or UDP (RFC 768),
 * and the application bytes: text protocols line by line, DNS by its
 * header (RFC 1035 4.1.1). Every field knows the bytes it covers, which is
 * what lets the hex view light them up. Never trusts the frame: what does
 * not parse is shown as undecoded bytes.
 */
#pragma once

#include <gio/gio.h>
#include "ml-types.h"
#include "packet-field.h"

G_BEGIN_DECLS

/* Application lines shown before the rest is summed up in one field. A
 * 10 MB DATA segment is at most an MSS long, but a hand-made capture need
 * not be. */
#define ML_PACKET_MAX_APP_LINES   64
/* Characters of one application line shown in the tree; the bytes stay
 * whole in the hex view. RFC 5321 4.5.3.1.6 allows 1000 per line. */
#define ML_PACKET_MAX_LINE_SHOWN  200

/* The layers of @data (an Ethernet frame) as MlPacketField items
 * (transfer full). @protocol names the application (from the trace). */
GListModel    *ml_packet_dissect          (const guint8 *data, gsize len, MlProtocol protocol);

/* The deepest field under @roots covering byte @offset (borrowed), or NULL. */
MlPacketField *ml_packet_dissect_find_field (GListModel *roots, gsize offset);

G_END_DECLS

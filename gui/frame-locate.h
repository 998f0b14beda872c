/* frame-locate.h — which frame the packet view shows for a trace position.
 *
 * A frame shows itself. A dialogue line is shown in the segment that
 * carries it: the trace records the line when the engine writes it, just
 * before the segment leaves, so that is the sender's next data segment on
 * the same connection. Anything else shows the last frame before it.
 */
#pragma once

#include "trace/trace.h"

G_BEGIN_DECLS

/* How far either search looks, in events, before giving up: a view must
 * not walk a million-event trace on every step. */
#define ML_FRAME_LOCATE_MAX_SCAN 4096

/* FALSE when no frame is near enough. */
gboolean ml_frame_locate (MlTrace *trace, guint64 position, guint64 *frame_out);

G_END_DECLS

/* trace.h — the append-only, ordered log every view reads.
 *
 * A simulation, a capture file and a live capture all produce an MlTrace.
 * Listeners see each event as it is appended (writers stream through them,
 * so a long run never has to be held twice).
 */
#pragma once

#include <glib-object.h>
#include "trace/trace-event.h"

G_BEGIN_DECLS

#define ML_TYPE_TRACE (ml_trace_get_type ())
G_DECLARE_FINAL_TYPE (MlTrace, ml_trace, ML, TRACE, GObject)

typedef void (*MlTraceListener) (MlTrace            *trace,
                                 const MlTraceEvent *event,
                                 gpointer            user_data);

MlTrace            *ml_trace_new             (void);
/* Takes ownership of @event, sets its index, calls listeners. Returns it. */
const MlTraceEvent *ml_trace_append          (MlTrace *self, MlTraceEvent *event);
guint64             ml_trace_get_length      (MlTrace *self);
const MlTraceEvent *ml_trace_get_event       (MlTrace *self, guint64 index); /* borrowed */
/* Keep events in memory (the default). A long benchmark run that only
 * streams to writers turns this off: listeners still see every event. */
void                ml_trace_set_keep_events (MlTrace *self, gboolean keep);
guint               ml_trace_add_listener    (MlTrace *self, MlTraceListener func,
                                              gpointer user_data, GDestroyNotify destroy);
void                ml_trace_remove_listener (MlTrace *self, guint id);

/* A listener together with the trace it listens to: what every writer
 * keeps while attached. ml_trace_subscribe takes a reference on @trace;
 * ml_trace_unsubscribe (harmless when not subscribed) drops it. */
typedef struct {
  MlTrace *trace;
  guint    listener_id;
} MlTraceSubscription;

void ml_trace_subscribe   (MlTraceSubscription *sub, MlTrace *trace,
                           MlTraceListener func, gpointer user_data);
void ml_trace_unsubscribe (MlTraceSubscription *sub);
gboolean ml_trace_is_subscribed (const MlTraceSubscription *sub);

G_END_DECLS

/* ladder-lanes.h — which hosts get a lane, and in which order.
 *
 * A lane for every host that sends or receives a row's line or frame, and
 * for every topology host with a mark (state, DNS, store, note), in
 * topology order (the lesson's host list); hosts the topology does not
 * name (a capture's addresses) follow in order of first appearance. A mark
 * from a name that is neither ("lesson" for a run's summary) gets no lane:
 * the ladder draws it at the left edge.
 */
#pragma once

#include "trace/trace.h"
#include "step-index.h"

G_BEGIN_DECLS

typedef struct _MlLadderLanes MlLadderLanes;

/* @trace and @index are borrowed for the call only; @hosts may be NULL. */
MlLadderLanes *ml_ladder_lanes_new      (MlTrace            *trace,
                                         const MlStepIndex  *index,
                                         const char * const *hosts);
/* Takes in the rows @index gained since the lanes were made or last
 * extended (O(new rows)): a new talker gets a lane at the right. FALSE
 * when the lanes a full ml_ladder_lanes_new would give differ in order (a
 * topology host appeared late): make them anew then. */
gboolean       ml_ladder_lanes_extend   (MlLadderLanes      *self,
                                         MlTrace            *trace,
                                         const MlStepIndex  *index,
                                         const char * const *hosts);
void           ml_ladder_lanes_free     (MlLadderLanes *self);
guint          ml_ladder_lanes_get_n    (const MlLadderLanes *self);
const char    *ml_ladder_lanes_get_name (const MlLadderLanes *self, guint lane); /* borrowed */
/* The lane of @host (names compare without case, as DNS names do), or −1. */
int            ml_ladder_lanes_lookup   (const MlLadderLanes *self, const char *host);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlLadderLanes, ml_ladder_lanes_free)

G_END_DECLS

/* step-index.h — which trace events count as a step, as a compact index.
 *
 * The player and the ladder share one idea of a "row": in dialogue mode an
 * event that a class reads (dialogue line, state change, DNS answer, store
 * change, note); in packets mode every event, frames too. The index holds
 * only event numbers, built once per trace and mode, so a trace of a
 * million events costs a few megabytes and no widgets.
 */
#pragma once

#include <glib-object.h>
#include "trace/trace.h"

G_BEGIN_DECLS

typedef enum {
  ML_STEP_MODE_DIALOGUE = 0,
  ML_STEP_MODE_PACKETS,
} MlStepMode;

#define ML_TYPE_STEP_MODE (ml_step_mode_get_type ())
GType ml_step_mode_get_type (void);

typedef struct _MlStepIndex MlStepIndex;

/* Whether @event is a step in @mode. */
gboolean     ml_step_mode_counts          (MlStepMode mode, const MlTraceEvent *event);

/* Scans @trace once (borrowed; the index keeps no reference, so it must
 * not outlive the trace's events). Transfer full. */
MlStepIndex *ml_step_index_new            (MlTrace *trace, MlStepMode mode);
/* Looks at the events @trace gained since the index was built or last
 * extended (the same trace, only ever appended to) and adds their rows:
 * O(new events). Returns the number of rows added. */
guint64      ml_step_index_extend         (MlStepIndex *self, MlTrace *trace);
void         ml_step_index_free           (MlStepIndex *self);
MlStepMode   ml_step_index_get_mode       (const MlStepIndex *self);
guint64      ml_step_index_get_n_rows     (const MlStepIndex *self);
/* The event number of @row (< n_rows). */
guint64      ml_step_index_get_event      (const MlStepIndex *self, guint64 row);
/* The last row whose event is at or before @position; FALSE (and
 * *row_out untouched) when every row lies after it. */
gboolean     ml_step_index_find_row       (const MlStepIndex *self,
                                           guint64            position,
                                           guint64           *row_out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlStepIndex, ml_step_index_free)

G_END_DECLS

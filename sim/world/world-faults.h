/* world-faults.h — a lesson step's faults, applied to the network just
 * before the step's action (lessons/README.md "faults"). */
#pragma once

#include "lesson/lesson.h"
#include "net/network.h"

G_BEGIN_DECLS

/* Applies @step->faults in order (none: nothing happens), each with a
 * lesson.fault.* note in the trace so the student sees why frames are now
 * dropped. Names that are not in @network are noted and skipped: the
 * loader has checked them, so that only happens to a hand-built step. */
void ml_world_faults_apply (MlNetwork *network, const MlLessonStep *step);

G_END_DECLS

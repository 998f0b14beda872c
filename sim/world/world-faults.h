/* world-faults.h — a lesson step's faults, applied to the world just
 * before the step's action (lessons/README.md "faults"). */
#pragma once

#include "lesson/lesson.h"
#include "net/network.h"
#include "net/dns-zone.h"

G_BEGIN_DECLS

/* Applies @step->faults in order (none: nothing happens), each with a
 * lesson.fault.* note in the trace so the student sees why frames are now
 * dropped. Names that are not in @network are noted and skipped: the
 * loader has checked them, so that only happens to a hand-built step. */
void ml_world_faults_apply (MlNetwork *network, const MlLessonStep *step);

/* The same, with what the mail faults act on: forced replies go to the
 * named host's MlMailHost in @mail_hosts (MlMailHost*, borrowed), DNS
 * changes to @zone (borrowed). Either may be NULL: such faults are then
 * noted as missing and skipped. */
void ml_world_faults_apply_full (MlNetwork *network, MlDnsZone *zone,
                                 GPtrArray *mail_hosts, const MlLessonStep *step);

G_END_DECLS

/* scheduler.h — the deterministic discrete-event scheduler.
 *
 * Virtual time in microseconds from 0. Events due at the same time run in
 * the order they were scheduled. One seeded GRand is the only source of
 * randomness in a simulation; nothing here reads the wall clock.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MlScheduler MlScheduler;
typedef void (*MlEventFunc) (gpointer user_data);

MlScheduler *ml_scheduler_new      (guint32 seed);
void         ml_scheduler_free     (MlScheduler *self);

guint64      ml_scheduler_now      (MlScheduler *self);
GRand       *ml_scheduler_get_rand (MlScheduler *self);   /* borrowed */

/* Runs @func(@user_data) @delay_us after now. @destroy, if set, is called on
 * @user_data once the event has run or was cancelled. Returns an id > 0. */
guint64      ml_scheduler_schedule (MlScheduler   *self,
                                    guint64        delay_us,
                                    MlEventFunc    func,
                                    gpointer       user_data,
                                    GDestroyNotify destroy);
/* Cancelling an id that already ran or was cancelled does nothing. */
void         ml_scheduler_cancel   (MlScheduler *self, guint64 id);

/* Runs the next event. FALSE when none is left. */
gboolean     ml_scheduler_step     (MlScheduler *self);
/* Runs until no event is left, or the next one is due after @until_us
 * (G_MAXUINT64: no limit). Returns the number of events run. */
guint64      ml_scheduler_run      (MlScheduler *self, guint64 until_us);
gsize        ml_scheduler_pending  (MlScheduler *self);
/* Due time of the next event; FALSE if none. */
gboolean     ml_scheduler_peek_time (MlScheduler *self, guint64 *time_out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlScheduler, ml_scheduler_free)

G_END_DECLS

/* world.h — a lesson's world brought to life: network, DNS, mail hosts,
 * stores, and the runner that plays the lesson's steps in order.
 *
 * Each step runs until the network is quiet (every queue drained, every
 * connection closed) before the next one starts, so a step's narrative
 * always sits in front of what that step did.
 */
#pragma once

#include "lesson/lesson.h"
#include "net/network.h"
#include "mail/mail-store.h"
#include "trace/trace.h"
#include "tls/tls-context.h"

G_BEGIN_DECLS

typedef struct _MlWorld MlWorld;

/* Builds the world (hosts, links, routes, DNS, services). The lesson must
 * outlive the world. @trace is referenced. */
MlWorld     *ml_world_new          (const MlLesson *lesson, guint32 seed,
                                    MlTrace *trace, GError **error);
void         ml_world_free         (MlWorld *self);
MlNetwork   *ml_world_get_network  (MlWorld *self);
/* The run's TLS: its CA and key log (ml_tls_context_set_keylog_func
 * before ml_world_run sees every secret). Borrowed. */
MlTlsContext *ml_world_get_tls     (MlWorld *self);
/* The store of the MDA host that serves @domain, or NULL. */
MlMailStore *ml_world_get_store    (MlWorld *self, const char *domain);

/* Runs step @index to quiet. FALSE if @index is past the last step. */
gboolean     ml_world_run_step     (MlWorld *self, guint index);
/* Ends the lesson: open IMAP sessions log out, everything runs to quiet,
 * and the summary goes into the trace as notes (lesson.summary.*: each
 * protocol's sessions, round trips and bytes; what each server account
 * and each device holds). Once. */
void         ml_world_finish       (MlWorld *self);
/* Runs every step, then finishes. */
void         ml_world_run          (MlWorld *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlWorld, ml_world_free)

G_END_DECLS

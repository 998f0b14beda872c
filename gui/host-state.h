/* host-state.h — what one host is doing at one trace position: the text
 * of the topology view's popover when a host is clicked.
 *
 * GTK-free and computed from trace events alone (events 0 … position):
 *   - sessions: every (connection, protocol) the host took part in, with
 *     the state its engine last entered (STATE events) — "open" until its
 *     engine reached an ending state;
 *   - the mail queue: smtp.queue.queued notes minus delivered and failed
 *     ones (what an MTA holds, RFC 5321 4.5.4.1);
 *   - the mailboxes of its store and what a device holds (MlMailboxModel).
 * Roles and address come from the lesson, passed in by the caller.
 */
#pragma once

#include <glib.h>
#include "trace/trace.h"

G_BEGIN_DECLS

/* A trace this long is summarised from its last this-many events only,
 * so a click on a million-event capture answers at once. */
#define ML_HOST_STATE_MAX_SCAN 200000

typedef struct {
  guint        conn_id;
  MlProtocol   protocol;
  char        *peer;
  char        *state;      /* the last state_to */
  gboolean     ended;      /* the engine reached done / closed / logout */
} MlHostSession;

typedef struct {
  char      *host;
  GPtrArray *sessions;     /* MlHostSession*, in order of first event */
  guint      queued;       /* messages in its queue */
  char      *mailboxes;    /* "bob@b.example / INBOX: 2 messages\n…", or NULL */
  char      *holdings;     /* a device's last summary, or NULL */
  guint64    scanned_from; /* first event looked at (0 unless the trace is long) */
} MlHostState;

/* Transfer full. @position is clamped to the trace. */
MlHostState *ml_host_state_new      (MlTrace *trace, const char *host, guint64 position);
void         ml_host_state_free     (MlHostState *state);
guint        ml_host_state_count_open_sessions (const MlHostState *state);
/* Several lines for people (transfer full); @header (roles, address) is
 * put first when not NULL. */
char        *ml_host_state_dup_text (const MlHostState *state, const char *header);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlHostState, ml_host_state_free)

G_END_DECLS

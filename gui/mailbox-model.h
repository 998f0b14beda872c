/* mailbox-model.h — the mail stores and the devices as of one trace event.
 *
 * GTK-free so it can be tested without a display. The model is a pure
 * function of (trace, position): seeking backwards replays from the start,
 * so stepping back in the player really rewinds what the mailboxes show.
 */
#pragma once

#include <glib.h>
#include "trace/trace.h"
#include "trace/trace-stats.h"

G_BEGIN_DECLS

typedef struct {
  guint32  uid;
  char    *flags;       /* "\Seen \Deleted", "" when none */
  guint64  size;        /* octets, 0 when the trace did not say */
} MlMailboxMessage;

typedef struct {
  char      *host;      /* the MDA owning the store */
  char      *account;
  char      *name;      /* "INBOX" */
  GPtrArray *messages;  /* of MlMailboxMessage, in UID order of arrival */
} MlMailboxState;

typedef struct {
  char    *host;        /* the device ("bob-phone") */
  char    *account;
  char    *holdings;    /* the detail of its last device.state event */
  guint64  index;       /* the event that said so */
} MlDeviceState;

typedef struct _MlMailboxModel MlMailboxModel;

/* Takes a reference on @trace. The model starts before the first event. */
MlMailboxModel *ml_mailbox_model_new       (MlTrace *trace);
void            ml_mailbox_model_free      (MlMailboxModel *self);

/* Makes the model hold the state after events 0 … @position (inclusive;
 * clamped to the trace). Going back replays from the start. */
void            ml_mailbox_model_seek      (MlMailboxModel *self, guint64 position);
/* Applies the next event only; FALSE at the end of the trace. */
gboolean        ml_mailbox_model_step      (MlMailboxModel *self);
/* Number of events applied (position + 1), 0 before the first. */
guint64         ml_mailbox_model_get_applied (MlMailboxModel *self);

/* Mailboxes in order of first appearance (borrowed). */
GPtrArray      *ml_mailbox_model_get_mailboxes (MlMailboxModel *self);
/* The mailbox, or NULL (borrowed). */
MlMailboxState *ml_mailbox_model_find     (MlMailboxModel *self, const char *host,
                                           const char *account, const char *name);
/* Devices in order of first appearance (borrowed). */
GPtrArray      *ml_mailbox_model_get_devices (MlMailboxModel *self);
MlDeviceState  *ml_mailbox_model_find_device (MlMailboxModel *self, const char *host);
/* Per-protocol figures over the applied events (borrowed). */
MlTraceStats   *ml_mailbox_model_get_stats (MlMailboxModel *self);

/* Every message line of @host's devices holdings that names a UID:
 * a rough count of messages a device holds (from its summary text). */
guint           ml_device_state_count_messages (const MlDeviceState *device);

/* A deterministic text of the whole state (transfer full): two models are
 * equal when their dumps are. */
char           *ml_mailbox_model_dup_text (MlMailboxModel *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlMailboxModel, ml_mailbox_model_free)

G_END_DECLS

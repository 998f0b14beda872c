/* session-record.h — turning an engine's events into trace events.
 *
 * One place for every protocol. In a simulation both ends of a connection
 * are our engines, so each records only the lines it sent: the client its
 * commands, the server its replies (ML_SESSION_RECORD_SENT). With a real
 * peer on the other end (live mode), the engine records both directions.
 */
#pragma once

#include "net/network.h"
#include "proto/engine-event.h"

G_BEGIN_DECLS

typedef enum {
  ML_SESSION_RECORD_SENT = 0,
  ML_SESSION_RECORD_BOTH,
} MlSessionRecordMode;

typedef struct {
  MlNetwork          *network;
  char               *host;      /* this engine's host */
  char               *peer;      /* the other end's host */
  guint               conn_id;
  MlSessionRecordMode mode;
} MlSessionRecorder;

void ml_session_recorder_init  (MlSessionRecorder *self, MlNetwork *network,
                                const char *host, const char *peer, guint conn_id);
void ml_session_recorder_clear (MlSessionRecorder *self);
void ml_session_recorder_add   (MlSessionRecorder *self, const MlEngineEvent *event);
/* A note at this host (message queued, MX chosen, connection refused). */
void ml_network_note           (MlNetwork *network, const char *host,
                                const char *explain_key, const char *text,
                                const char *detail);

G_END_DECLS

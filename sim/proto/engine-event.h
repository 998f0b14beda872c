/* engine-event.h — what a sans-I/O engine reports to its owner.
 *
 * Engines are fed bytes and hand out bytes; everything a teacher might point
 * at comes out as one of these events. The owner (simulated host, live
 * socket, test, capture dissector) decides which to put in the trace: in a
 * simulation both ends are our engines, so only lines each side *sent*
 * (outgoing == TRUE) are recorded, never the same line twice.
 */
#pragma once

#include <glib.h>
#include "ml-types.h"

G_BEGIN_DECLS

typedef enum {
  ML_ENGINE_EVENT_COMMAND = 0, /* a client command line, sent or received */
  ML_ENGINE_EVENT_REPLY,       /* a whole server reply, sent or received */
  ML_ENGINE_EVENT_STATE,       /* the engine's state changed */
  ML_ENGINE_EVENT_TRANSACTION, /* a fact: message accepted as id, recipient refused, … */
  ML_ENGINE_EVENT_DATA,        /* message content sent/received (DATA body), summarised */
  ML_ENGINE_EVENT_CLOSE,       /* the engine wants the connection closed */
  /* Start TLS on this connection now (STARTTLS, STLS; RFC 3207, RFC 2595).
   * A server queues it right after its go-ahead reply: the owner sends the
   * output taken so far in the clear, then runs the handshake as server. A
   * client queues it when it has received the go-ahead: the owner runs the
   * handshake as client. Until the owner calls the engine's tls_started()
   * the engine sends nothing; input that arrived in the clear after the
   * command (server) or the go-ahead (client) is discarded by the engine,
   * never taken for protected input (RFC 3207 4.2, the STARTTLS command
   * injection class of bug). */
  ML_ENGINE_EVENT_START_TLS,
} MlEngineEventKind;

typedef struct {
  MlEngineEventKind kind;
  MlProtocol        protocol;
  MlDirection       direction;   /* who sent the line */
  gboolean          outgoing;    /* TRUE if this engine sent it */

  char  *line;          /* raw line(s) without the final CRLF; multi-line
                           replies joined with "\n" */
  char  *verb;          /* COMMAND: upper-cased verb ("MAIL"), NULL if none */
  char  *args;          /* COMMAND: the rest of the line after the verb */
  guint  code;          /* REPLY: 3-digit code */
  char  *enhanced;      /* REPLY: "2.1.0" when the reply carries one */
  char  *explain_key;   /* "smtp.mail", "smtp.reply.250", "smtp.state.mail" */
  const char *state_from; /* STATE: static strings */
  const char *state_to;
  char  *detail;        /* TRANSACTION/DATA: human text ("queued as 1A2B") */
} MlEngineEvent;

void ml_engine_event_clear (MlEngineEvent *event);
/* Clears and frees a g_new'd event: the free function of an engine's queue. */
void ml_engine_event_free  (gpointer event);

/* What every engine's _next_event does: moves the oldest queued event
 * (MlEngineEvent*, g_new'd) into @event_out. FALSE when none is queued. */
gboolean ml_engine_event_queue_pop (GQueue *queue, MlEngineEvent *event_out);
/* What every engine's _take_output does: the bytes in *@buffer (transfer
 * full), leaving an empty buffer in its place; NULL when there are none. */
GBytes  *ml_engine_take_bytes      (GByteArray **buffer);

G_END_DECLS

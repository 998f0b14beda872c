/* conversation.h — hand-written TCP conversations fed to a capture reader.
 *
 * Builds real Ethernet/IPv4/TCP frames (sim/net/frame.h) for one
 * connection, so a test writes what client and server said and reads back
 * what the reader made of it.
 */
#pragma once

#include "capture/capture-reader.h"

typedef struct {
  MlTrace         *trace;
  MlCaptureReader *reader;
  guint32          ip[2];     /* by MlDirection's sender: client, server */
  guint16          port[2];
  guint32          seq[2];    /* next sequence number each side sends */
  guint64          time_us;
} Conversation;

void       conversation_init      (Conversation *c, guint16 server_port,
                                   const MlCaptureOptions *options);
void       conversation_clear     (Conversation *c);
/* SYN, SYN-ACK, ACK. */
void       conversation_handshake (Conversation *c);
/* One segment from @dir's sender with @data, acknowledging the other. */
void       conversation_send      (Conversation *c, MlDirection dir, const char *data);
/* The same bytes in segments of @piece bytes. */
void       conversation_send_split (Conversation *c, MlDirection dir, const char *data,
                                    gsize piece);
/* A segment at an explicit sequence number that does not move seq[]. */
void       conversation_send_at   (Conversation *c, MlDirection dir, guint32 seq,
                                   const char *data);
/* FIN from both, then the reader finished. */
void       conversation_close     (Conversation *c);
/* The trace as lines: "C: text" / "S: text" for dialogue, "note KEY: text",
 * "state FROM → TO". Transfer full. */
GPtrArray *conversation_lines     (Conversation *c);
/* "C: …" and "S: …" only, joined by "|". Caller frees. */
char      *conversation_dialogue  (Conversation *c);
/* Whether any note has @explain_key. */
gboolean   conversation_has_note  (Conversation *c, const char *explain_key);

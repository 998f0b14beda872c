/* trace-fixture.h — small hand-made traces for the GUI tests. */
#pragma once

#include "trace/trace.h"

G_BEGIN_DECLS

/* Appends one event of each shape; each returns the event's index. */
guint64  ml_test_add_note     (MlTrace *trace, guint64 t, const char *host, const char *text);
guint64  ml_test_add_frame    (MlTrace *trace, guint64 t, const char *host, const char *peer,
                               guint conn_id, guint hop, const char *payload);
guint64  ml_test_add_dialogue (MlTrace *trace, guint64 t, const char *host, const char *peer,
                               MlDirection dir, const char *text, const char *key);
guint64  ml_test_add_state    (MlTrace *trace, guint64 t, const char *host, guint conn_id,
                               const char *from, const char *to);

/* The bytes of a TCP frame 10.0.0.1:49152 → 10.0.0.2:25 carrying
 * @payload (transfer full). */
GBytes  *ml_test_tcp_frame    (const char *payload);

/* A trace shaped like an SMTP exchange:
 *   0 NOTE  1 FRAME  2 FRAME  3 DIALOGUE  4 STATE  5 FRAME  6 DIALOGUE  7 FRAME
 * Dialogue steps: 0, 3, 4, 6. */
MlTrace *ml_test_small_trace  (void);

G_END_DECLS

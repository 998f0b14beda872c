/* json-writer.h — the trace as JSON lines, for scripts and graders.
 *
 * One JSON object per event, one event per line (JSON Lines), keys in a
 * fixed order: "index", "time_us", "kind", then every field that is set:
 * strings that are not NULL, numbers that are not 0 ("conn_id", "code",
 * "uid"), "protocol" unless none, "direction" ("client-to-server" or
 * "server-to-client") for dialogue lines only, booleans only when TRUE.
 * A frame always has "hop", and its bytes as "bytes_base64" (RFC 4648 4):
 * base64 rather than hex because every JSON tool decodes it and it is a
 * third shorter.
 */
#pragma once

#include <gio/gio.h>
#include "trace/trace.h"

G_BEGIN_DECLS

typedef struct _MlJsonWriter MlJsonWriter;

/* Writes to @stream (a reference is taken; the stream is not closed). */
MlJsonWriter *ml_json_writer_new          (GOutputStream *stream);
/* Creates or replaces the file at @path; closed by ml_json_writer_close. */
MlJsonWriter *ml_json_writer_new_for_path (const char *path, GError **error);

/* Streams every event appended to @trace from now on. Keeps a reference on
 * @trace until close or free. One trace per writer. */
void          ml_json_writer_attach       (MlJsonWriter *self, MlTrace *trace);
/* Writes one event. A write error is kept and reported by close. */
void          ml_json_writer_write_event  (MlJsonWriter *self, const MlTraceEvent *event);
/* Detaches, flushes, and closes the file if this writer opened it. Returns
 * FALSE with the first write error. Does not free. */
gboolean      ml_json_writer_close        (MlJsonWriter *self, GError **error);
/* Closes (ignoring errors: call close first to see them) and frees. */
void          ml_json_writer_free         (MlJsonWriter *self);

/* One event as a single line of JSON, without the newline. Caller frees. */
char         *ml_json_format_event        (const MlTraceEvent *event);
/* The same line with its "\n", as files and the trace socket carry it;
 * its length in @len_out. Caller frees. */
char         *ml_json_format_event_line   (const MlTraceEvent *event, gsize *len_out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlJsonWriter, ml_json_writer_free)

G_END_DECLS

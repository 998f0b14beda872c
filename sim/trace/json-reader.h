/* json-reader.h — JSON lines back into trace events.
 *
 * The exact inverse of json-writer: a line that ml_json_format_event wrote
 * parses into an event that formats to the same bytes again. Used to open a
 * saved `--trace FILE.jsonl` and to follow `maillab-cli serve`'s trace
 * socket. Input comes from files and sockets, so every line is bounded and
 * every mistake is a GError, never a crash.
 */
#pragma once

#include <gio/gio.h>
#include "trace/trace.h"

G_BEGIN_DECLS

/* The longest line read. The biggest event the writer produces is a
 * dialogue event holding one IMAP response (ML_IMAP_RESPONSE_MAX_SIZE,
 * 64 MiB), whose CR LF pairs JSON writes as four characters each (RFC 8259
 * 7); a frame is at most libpcap's 256 KiB snapshot, a third more in
 * base64 (RFC 4648 4). Twice the response plus room for the other keys. */
#define ML_JSON_READER_MAX_LINE  (2 * 64 * 1024 * 1024 + 64 * 1024)

#define ML_JSON_READER_ERROR (ml_json_reader_error_quark ())
GQuark ml_json_reader_error_quark (void);

typedef enum {
  ML_JSON_READER_ERROR_TOO_LONG,   /* a line over the limit */
  ML_JSON_READER_ERROR_SYNTAX,     /* not JSON, or not an object */
  ML_JSON_READER_ERROR_FIELD,      /* a member missing, mistyped or out of range */
} MlJsonReaderError;

/* One line (without its newline; a trailing CR is not allowed either) →
 * one event, transfer full. Members the writer never writes are ignored,
 * so a newer writer's extra keys do not stop an older reader. NULL with
 * @error on anything else. */
MlTraceEvent *ml_json_parse_event (const char *line, gsize len, GError **error);

/* Splits a byte stream into lines, holding at most @max_line bytes of an
 * unfinished line (a file or a socket that never sends a newline cannot
 * make it grow). */
typedef struct _MlJsonLines MlJsonLines;

/* Called for each complete line, NUL-terminated, newline stripped
 * (borrowed for the call). Return FALSE with @error to stop. */
typedef gboolean (*MlJsonLineFunc) (const char *line, gsize len,
                                    gpointer user_data, GError **error);

MlJsonLines  *ml_json_lines_new     (gsize max_line);
void          ml_json_lines_free    (MlJsonLines *self);
/* FALSE with @error when a line is longer than the limit (the splitter is
 * then unusable) or when @func says so. */
gboolean      ml_json_lines_feed    (MlJsonLines *self, const char *data, gsize len,
                                     MlJsonLineFunc func, gpointer user_data,
                                     GError **error);
/* Bytes held of an unfinished line. */
gsize         ml_json_lines_get_pending (const MlJsonLines *self);
/* Lines delivered so far (for "line N:" in errors). */
guint64       ml_json_lines_get_n_lines (const MlJsonLines *self);

/* Reads a whole JSON-lines trace file into @trace (events appended in file
 * order; their index becomes their position in @trace). An empty last
 * line is allowed; a malformed one fails with "FILE:LINE: …". */
gboolean      ml_json_read_file     (const char *path, MlTrace *trace, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlJsonLines, ml_json_lines_free)

G_END_DECLS

/* transcript-writer.h — the human-readable transcript of a trace.
 *
 * One line per dialogue line, state change, DNS answer, store change and
 * note, with the virtual time in seconds:
 *
 *      0.012345  alice-laptop → smtp.a.example   SMTP   C: MAIL FROM:<alice@a.example>
 *      0.013000  smtp.a.example → alice-laptop   SMTP   S: 250 2.1.0 Ok
 *      0.013000  smtp.a.example                  SMTP   state READY → MAIL
 *
 * Frames are left out unless show_frames is set: a class reads the dialogue,
 * and the packets are one click away in the GUI or in the capture file.
 * This is what `maillab-cli` prints on stdout.
 */
#pragma once

#include <stdio.h>
#include <gio/gio.h>
#include "trace/trace.h"

G_BEGIN_DECLS

typedef struct _MlTranscriptWriter MlTranscriptWriter;

/* Writes to @stream (a reference is taken; the stream is not closed). */
MlTranscriptWriter *ml_transcript_writer_new            (GOutputStream *stream);
/* Writes to @file (borrowed: stdout for the CLI; never closed here). */
MlTranscriptWriter *ml_transcript_writer_new_for_stdio  (FILE *file);

void                ml_transcript_writer_set_show_frames (MlTranscriptWriter *self,
                                                          gboolean            show_frames);
/* Streams every event appended to @trace from now on. Keeps a reference on
 * @trace until close or free. One trace per writer. */
void                ml_transcript_writer_attach         (MlTranscriptWriter *self,
                                                         MlTrace            *trace);
/* Writes one event (what the listener does; also for replaying a trace that
 * is already complete). A write error is kept and reported by close. */
void                ml_transcript_writer_write_event    (MlTranscriptWriter *self,
                                                         const MlTraceEvent *event);
/* Detaches from the trace and flushes. Returns FALSE with the first write
 * error, if any. Does not free: call ml_transcript_writer_free after. */
gboolean            ml_transcript_writer_close          (MlTranscriptWriter *self,
                                                         GError            **error);
/* Closes (ignoring errors: call close first to see them) and frees. */
void                ml_transcript_writer_free           (MlTranscriptWriter *self);

/* The transcript text of one event, every kind (frames included), without
 * a final newline; several lines for a multi-line reply. Caller frees. */
char               *ml_transcript_format_event          (const MlTraceEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlTranscriptWriter, ml_transcript_writer_free)

G_END_DECLS

/* ladder-label.h — what the ladder writes on a row, and in which tone.
 *
 * Kept apart from the widget so the wording is tested without a display.
 */
#pragma once

#include "trace/trace-event.h"

G_BEGIN_DECLS

/* The colour family a row is drawn in. */
typedef enum {
  ML_LADDER_TONE_COMMAND = 0,  /* client → server line */
  ML_LADDER_TONE_REPLY,        /* positive or intermediate reply */
  ML_LADDER_TONE_WARNING,      /* transient failure: 4xx, IMAP NO, retransmission */
  ML_LADDER_TONE_ERROR,        /* permanent failure: 5xx, -ERR, BAD, a lost frame */
  ML_LADDER_TONE_PACKET,       /* a frame */
  ML_LADDER_TONE_MARK,         /* state, DNS, store, note */
} MlLadderTone;

/* One line of text for @event's row, without a newline (caller frees):
 * "C: MAIL FROM:<alice@a.example>", "S: 250-smtp.a.example …(5 lines)",
 * "SMTP ready → mail", "DNS MX b.example → 10 mx.b.example". */
char         *ml_ladder_label_format (const MlTraceEvent *event);
MlLadderTone  ml_ladder_label_tone   (const MlTraceEvent *event);

G_END_DECLS

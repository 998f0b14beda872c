/* imap-sequence.h — IMAP sequence sets (RFC 3501 9 "sequence-set").
 *
 * "2,4:7,9,12:*", for message sequence numbers or UIDs. Parsed once into
 * ranges as written; "*" stays symbolic until resolved against the
 * mailbox, because its value depends on what the client has been told
 * (RFC 3501 9 "seq-number"). The RFC 5182 "$" is not supported.
 * Also the writer for RFC 4315 uid-sets (COPYUID, APPENDUID).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "*" in a parsed range; real numbers are nz-number, never 0. */
#define ML_IMAP_SEQ_STAR 0u
/* Our bound on ranges per set, so "1,2,3,…" cannot grow without end inside
 * a line that is itself bounded (ML_IMAP_MAX_LINE): a set of single digits
 * fills at most half of it. */
#define ML_IMAP_MAX_SEQ_RANGES 4096

typedef struct {
  guint32 first;  /* as written: may be ML_IMAP_SEQ_STAR, may exceed last */
  guint32 last;
} MlImapSeqRange;

typedef struct _MlImapSequenceSet MlImapSequenceSet;

/* NULL if @text is not a sequence-set. */
MlImapSequenceSet *ml_imap_sequence_set_parse    (const char *text, gsize len);
void               ml_imap_sequence_set_free     (MlImapSequenceSet *self);
guint              ml_imap_sequence_set_get_n_ranges (const MlImapSequenceSet *self);
const MlImapSeqRange *ml_imap_sequence_set_get_range (const MlImapSequenceSet *self,
                                                      guint i); /* borrowed */
gboolean           ml_imap_sequence_set_has_star (const MlImapSequenceSet *self);
/* The largest number named, "*" counting as @star. */
guint32            ml_imap_sequence_set_get_max  (const MlImapSequenceSet *self, guint32 star);
/* Ranges with "*" replaced by @star, each ordered low..high, sorted and
 * merged: ascending and disjoint. With @star 0 (an empty mailbox) a range
 * with "*" is dropped. Transfer full: GArray of MlImapSeqRange. */
GArray            *ml_imap_sequence_set_resolve  (const MlImapSequenceSet *self, guint32 star);
gboolean           ml_imap_sequence_set_contains (const MlImapSequenceSet *self,
                                                  guint32 n, guint32 star);

/* Writes @numbers in their order, runs of consecutive ascending numbers as
 * "a:b": {3,4,5,9,1} → "3:5,9,1". RFC 4315 3 pairs COPYUID's two sets by
 * position, so order is kept. Caller frees. */
char              *ml_imap_sequence_format       (const guint32 *numbers, guint n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlImapSequenceSet, ml_imap_sequence_set_free)

G_END_DECLS

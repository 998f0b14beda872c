/* imap-fetch.h — the FETCH data items that need a message's content:
 * ENVELOPE, BODY/BODYSTRUCTURE and BODY[<section>] (RFC 3501 6.4.5, 7.4.2).
 *
 * The MIME work (parsing, part numbering, decoding RFC 2047 words) is the
 * mail store's (mail/message-mime.h); this module writes IMAP syntax. The
 * top-level HEADER, TEXT and HEADER.FIELDS sections are cut from the raw
 * octets directly, so "FETCH 1:* (BODY.PEEK[HEADER])" on a large mailbox
 * never parses MIME.
 */
#pragma once

#include <glib.h>
#include "mail/mail-store.h"
#include "proto/imap-parser.h"

G_BEGIN_DECLS

/* "(" date SP subject SP from SP sender SP reply-to SP to SP cc SP bcc SP
 * in-reply-to SP message-id ")" — RFC 3501 7.4.2 ENVELOPE. */
void    ml_imap_fetch_append_envelope       (GString *out, MlMessage *message);
/* BODYSTRUCTURE with extension data when @extensible, else the BODY
 * form (RFC 3501 7.4.2). */
void    ml_imap_fetch_append_body_structure (GString *out, MlMessage *message,
                                             gboolean extensible);
/* The exact octets of @section, before any partial (RFC 3501 6.4.5);
 * transfer full. NULL when the message has no such part. */
GBytes *ml_imap_fetch_dup_section           (MlMessage *message, const MlImapSection *section);

/* Header/body split of raw message octets (RFC 5322 2.1): the length of
 * the header including the empty line that ends it (RFC 3501 6.4.5: "the
 * blank line is included in all header fetches"), or the whole length
 * for a message without one. */
gsize   ml_imap_fetch_header_length         (const char *data, gsize len);
/* HEADER.FIELDS / .NOT on a header block: the fields whose names are (or,
 * with @exclude, are not) in @names, folded lines and all, then the empty
 * line if the block has one. Case-insensitive names. */
void    ml_imap_fetch_filter_header         (GString *out, const char *header, gsize len,
                                             GPtrArray *names, gboolean exclude);

G_END_DECLS

/* imap-search.h — SEARCH criteria (RFC 3501 6.4.4), parsed and evaluated.
 *
 * The criteria are parsed once from the command's arguments into a tree,
 * then matched against each message. Text keys (BCC, BODY, CC, FROM,
 * HEADER, SUBJECT, TEXT, TO) match a case-insensitive substring of the
 * decoded value: RFC 2047 encoded-words in headers are decoded (GMime),
 * bodies are taken after their Content-Transfer-Encoding, as RFC 3501
 * 6.4.4 asks ("the string is in the decoded form").
 */
#pragma once

#include <glib.h>
#include "mail/mail-store.h"

G_BEGIN_DECLS

typedef struct _MlImapSearch MlImapSearch;

typedef enum {
  ML_IMAP_SEARCH_ERROR_SYNTAX = 0,   /* tagged BAD */
  ML_IMAP_SEARCH_ERROR_BADCHARSET,   /* tagged NO [BADCHARSET (…)] */
  ML_IMAP_SEARCH_ERROR_TOO_DEEP,     /* tagged BAD: over ML_IMAP_MAX_SEARCH_DEPTH */
} MlImapSearchError;

#define ML_IMAP_SEARCH_ERROR (ml_imap_search_error_quark ())
GQuark ml_imap_search_error_quark (void);

/* What one message is, as far as SEARCH asks. */
typedef struct {
  MlMessage *message;     /* borrowed */
  guint      seq;         /* message sequence number in the session */
  guint32    uid;
  gboolean   recent;      /* \Recent in this session (RFC 3501 2.3.2) */
  guint      n_messages;  /* "*" for sequence sets */
  guint32    max_uid;     /* "*" for UID sets */
} MlImapSearchItem;

/* @args are the MlImapArg* after "SEARCH" (from @first on), "CHARSET x"
 * included. @max_depth bounds NOT/OR/parenthesis nesting. Transfer full;
 * NULL with @error set. */
MlImapSearch *ml_imap_search_parse   (GPtrArray *args, guint first, guint max_depth,
                                      GError **error);
void          ml_imap_search_free    (MlImapSearch *self);
gboolean      ml_imap_search_matches (MlImapSearch *self, const MlImapSearchItem *item);

/* The charsets we take (RFC 3501 6.4.4: US-ASCII must be, UTF-8 is
 * common), for the BADCHARSET list. */
#define ML_IMAP_SEARCH_CHARSETS "UTF-8 US-ASCII"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlImapSearch, ml_imap_search_free)

G_END_DECLS

/* imap-response-private.h — what imap-response.c and imap-response-data.c
 * share: the parser reads the tokens, the data file gives them meaning. */
#pragma once

#include "proto/imap-parser.h"
#include "proto/imap-response.h"

G_BEGIN_DECLS

/* The text after OK/NO/BAD/PREAUTH/BYE: the [code] if there is one, and
 * the human text after it. */
gboolean _ml_imap_response_parse_status_text (MlImapResponse *response,
                                              const char *text, GError **error);
/* The arguments of untagged data (r->data says which), read up to the end
 * of the line. */
gboolean _ml_imap_response_interpret_args    (MlImapResponse *response,
                                              GPtrArray *args, GError **error);

/* Freeing the parts of a response, in imap-response.c. */
void     _ml_imap_address_free    (gpointer address);
void     _ml_imap_envelope_free   (MlImapEnvelope *envelope);
void     _ml_imap_body_part_free  (gpointer part);
void     _ml_imap_fetch_body_free (gpointer body);
void     _ml_imap_item_clear      (gpointer item);
void     _ml_imap_namespace_free  (gpointer ns);

G_END_DECLS

/* imap-server-search.c — SEARCH and UID SEARCH (RFC 3501 6.4.4, 6.4.8,
 * 7.2.5). The criteria are imap-search.c's; this walks the session's view.
 */
#define G_LOG_DOMAIN "ml-imap-server"

#include <string.h>
#include "proto/imap-server-private.h"
#include "proto/imap-search.h"

void
_ml_imap_cmd_search (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MlImapSearch) search = ml_imap_search_parse (args, first, ML_IMAP_MAX_SEARCH_DEPTH,
                                                          &error);
  MlImapView *view = self->view;
  MlImapSearchItem item = { 0 };
  guint seq, missing = 0;
  gsize start;

  if (search == NULL)
    {
      if (g_error_matches (error, ML_IMAP_SEARCH_ERROR, ML_IMAP_SEARCH_ERROR_BADCHARSET))
        /* RFC 3501 6.4.4: NO, not BAD, with the charsets we take. */
        _ml_imap_server_complete (self, ML_IMAP_NO, "BADCHARSET (" ML_IMAP_SEARCH_CHARSETS ")",
                                  "Unsupported charset");
      else
        _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "%s", error->message);
      return;
    }

  item.n_messages = view->uids->len;
  item.max_uid = view->uids->len > 0 ? g_array_index (view->uids, guint32, view->uids->len - 1) : 0;
  /* RFC 3501 7.2.5: "* SEARCH" *(SP nz-number), in one line; UID SEARCH
   * gives UIDs (6.4.8). */
  start = _ml_imap_server_line_begin (self);
  g_string_append (self->output, "* SEARCH");
  for (seq = 1; seq <= view->uids->len; seq++)
    {
      MlMessage *message = _ml_imap_server_get_message (self, seq);

      if (message == NULL)
        {
          missing++;
          continue;
        }
      item.message = message;
      item.seq = seq;
      item.uid = ml_message_get_uid (message);
      item.recent = _ml_imap_server_is_recent (self, item.uid);
      if (ml_imap_search_matches (search, &item))
        g_string_append_printf (self->output, " %u", self->uid_command ? item.uid : seq);
    }
  _ml_imap_server_line_end (self, start, NULL, "SEARCH", NULL, "imap.untagged.search");
  /* RFC 5530 EXPUNGEISSUED: messages another session expunged could not
   * be searched; the client should NOOP. */
  _ml_imap_server_complete (self, ML_IMAP_OK, missing > 0 ? "EXPUNGEISSUED" : NULL, "%s completed",
                            self->uid_command ? "UID SEARCH" : "SEARCH");
}

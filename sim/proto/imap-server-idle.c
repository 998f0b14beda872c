/* imap-server-idle.c — IDLE (RFC 2177).
 *
 * "+ idling", then every change to the selected mailbox is told the moment
 * the store reports it (the listener in imap-server.c flushes while
 * self->idling), until the client sends DONE.
 */
#define G_LOG_DOMAIN "ml-imap-server"

#include <string.h>
#include "proto/imap-server-private.h"

void
_ml_imap_cmd_idle (MlImapServer *self, GPtrArray *args, guint first)
{
  if (!_ml_imap_server_no_more_args (self, args, first))
    return;
  /* RFC 2177 3: what is already held goes out with the continuation, so
   * the client starts idling up to date. */
  _ml_imap_server_flush_updates (self, TRUE);
  _ml_imap_server_continuation (self, "idling");
  self->idling = TRUE;
}

void
_ml_imap_server_idle_line (MlImapServer *self, const char *line, gsize len)
{
  MlEngineEvent *event = _ml_imap_server_event_new (ML_ENGINE_EVENT_COMMAND, FALSE);
  gboolean done = len == 4 && g_ascii_strncasecmp (line, "DONE", 4) == 0;

  event->line = _ml_imap_dup_event_text (line, len);
  event->verb = g_strdup (done ? "DONE" : NULL);
  event->args = g_strdup ("");
  event->explain_key = g_strdup (done ? "imap.done" : "imap.unknown");
  _ml_imap_server_push_event (self, event);

  self->idling = FALSE;
  if (done)
    _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "IDLE terminated");
  else
    /* RFC 2177 3 knows only DONE; anything else ends IDLE as an error. */
    _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Expected DONE");
  self->command = NULL;
  self->uid_command = FALSE;
}

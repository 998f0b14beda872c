/* host-state.c — a host's sessions, queue and mailboxes replayed from the
 * trace up to the cursor. */
#define G_LOG_DOMAIN "ml-host-state"

#include <string.h>
#include "host-state.h"
#include "mailbox-model.h"

/* States after which an engine says nothing more on its connection: a
 * client's "done", SMTP's QUIT (RFC 5321 4.1.1.10: the server closes),
 * POP3's UPDATE (RFC 1939 6), IMAP's LOGOUT (RFC 9051 3). */
static gboolean
is_ending_state (const char *state)
{
  static const char * const ending[] = { "done", "closed", "quit", "logout", "update", NULL };

  return state != NULL && g_strv_contains (ending, state);
}

static void
session_free (gpointer data)
{
  MlHostSession *s = data;

  g_free (s->peer);
  g_free (s->state);
  g_free (s);
}

static MlHostSession *
find_session (MlHostState *state, const MlTraceEvent *e)
{
  MlHostSession *s;

  for (guint i = 0; i < state->sessions->len; i++)
    {
      s = g_ptr_array_index (state->sessions, i);
      if (s->conn_id == e->conn_id && s->protocol == e->protocol && g_strcmp0 (s->peer, e->peer) == 0)
        return s;
    }
  s = g_new0 (MlHostSession, 1);
  s->conn_id = e->conn_id;
  s->protocol = e->protocol;
  s->peer = g_strdup (e->peer);
  g_ptr_array_add (state->sessions, s);
  return s;
}

static char *
dup_mailboxes (MlMailboxModel *model, const char *host)
{
  GPtrArray *boxes = ml_mailbox_model_get_mailboxes (model);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < boxes->len; i++)
    {
      MlMailboxState *mb = g_ptr_array_index (boxes, i);

      if (g_strcmp0 (mb->host, host) != 0)
        continue;
      g_string_append_printf (s, "%s%s / %s: %u message%s", s->len ? "\n" : "",
                              mb->account, mb->name, mb->messages->len,
                              mb->messages->len == 1 ? "" : "s");
    }
  if (s->len == 0)
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  return g_string_free (s, FALSE);
}

MlHostState *
ml_host_state_new (MlTrace *trace, const char *host, guint64 position)
{
  MlHostState *state;
  guint64 length, first;
  gint64 queued = 0;

  g_return_val_if_fail (ML_IS_TRACE (trace), NULL);
  g_return_val_if_fail (host != NULL, NULL);

  state = g_new0 (MlHostState, 1);
  state->host = g_strdup (host);
  state->sessions = g_ptr_array_new_with_free_func (session_free);
  length = ml_trace_get_length (trace);
  if (length == 0)
    return state;
  position = MIN (position, length - 1);
  first = position >= ML_HOST_STATE_MAX_SCAN ? position - ML_HOST_STATE_MAX_SCAN + 1 : 0;
  state->scanned_from = first;

  for (guint64 i = first; i <= position; i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (e == NULL || g_strcmp0 (e->host, host) != 0)
        continue;
      if (e->kind == ML_TRACE_STATE && e->protocol != ML_PROTO_NONE)
        {
          MlHostSession *s = find_session (state, e);

          g_free (s->state);
          s->state = g_strdup (e->state_to);
          s->ended = is_ending_state (e->state_to);
        }
      else if (e->kind == ML_TRACE_NOTE && e->explain_key != NULL)
        {
          if (g_str_equal (e->explain_key, "smtp.queue.queued"))
            queued++;
          else if (g_str_equal (e->explain_key, "smtp.queue.delivered")
                   || g_str_equal (e->explain_key, "smtp.queue.failed"))
            queued--;
        }
    }
  /* A window that starts mid-run may see a delivery without its queuing. */
  state->queued = (guint) MAX (queued, 0);

  {
    g_autoptr(MlMailboxModel) model = ml_mailbox_model_new (trace);
    MlDeviceState *device;

    ml_mailbox_model_seek (model, position);
    state->mailboxes = dup_mailboxes (model, host);
    device = ml_mailbox_model_find_device (model, host);
    if (device && device->holdings)
      state->holdings = g_strdup (device->holdings);
  }
  return state;
}

void
ml_host_state_free (MlHostState *state)
{
  if (state == NULL)
    return;
  g_free (state->host);
  g_ptr_array_unref (state->sessions);
  g_free (state->mailboxes);
  g_free (state->holdings);
  g_free (state);
}

guint
ml_host_state_count_open_sessions (const MlHostState *state)
{
  guint n = 0;

  g_return_val_if_fail (state != NULL, 0);
  for (guint i = 0; i < state->sessions->len; i++)
    if (!((MlHostSession *) g_ptr_array_index (state->sessions, i))->ended)
      n++;
  return n;
}

char *
ml_host_state_dup_text (const MlHostState *state, const char *header)
{
  GString *s = g_string_new (NULL);
  guint open = 0;

  g_return_val_if_fail (state != NULL, NULL);

  if (header)
    g_string_append_printf (s, "%s\n", header);
  for (guint i = 0; i < state->sessions->len; i++)
    {
      const MlHostSession *ses = g_ptr_array_index (state->sessions, i);

      if (ses->ended)
        continue;
      if (open++ == 0)
        g_string_append (s, "\nOpen sessions (state now):\n");
      g_string_append_printf (s, "  %s with %s (conn %u): %s\n",
                              ml_protocol_to_string (ses->protocol),
                              ses->peer ? ses->peer : "?", ses->conn_id,
                              ses->state ? ses->state : "?");
    }
  if (open == 0)
    g_string_append (s, "\nNo open session.\n");
  if (state->sessions->len > open)
    g_string_append_printf (s, "%u session%s finished.\n", state->sessions->len - open,
                            state->sessions->len - open == 1 ? "" : "s");
  if (state->queued > 0)
    g_string_append_printf (s, "Mail queue: %u message%s waiting.\n", state->queued,
                            state->queued == 1 ? "" : "s");
  if (state->mailboxes)
    g_string_append_printf (s, "\nMailboxes:\n%s\n", state->mailboxes);
  if (state->holdings)
    g_string_append_printf (s, "\nHolds:\n%s\n", state->holdings);
  if (state->scanned_from > 0)
    g_string_append_printf (s, "\n(from the last %u events)\n", ML_HOST_STATE_MAX_SCAN);
  while (s->len > 0 && s->str[s->len - 1] == '\n')
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

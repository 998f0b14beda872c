#define G_LOG_DOMAIN "ml-capture"

#include "capture/capture-private.h"

#include <string.h>

/* What a peer sent may be any bytes; a trace event holds UTF-8. */
static char *
dup_valid (const char *s)
{
  if (s == NULL)
    return NULL;
  if (g_utf8_validate (s, -1, NULL))
    return g_strdup (s);
  return g_utf8_make_valid (s, -1);
}

static MlTraceEvent *
new_event (MlCaptureEmitter *em, MlTraceKind kind, MlDirection direction)
{
  MlTraceEvent *e = ml_trace_event_new (kind);
  gboolean from_client = direction == ML_DIR_CLIENT_TO_SERVER;

  e->time_us = em->time_us;
  e->host = g_strdup (from_client ? em->client : em->server);
  e->peer = g_strdup (from_client ? em->server : em->client);
  e->conn_id = em->conn_id;
  e->protocol = em->protocol;
  e->direction = direction;
  return e;
}

static void
append (MlCaptureEmitter *em, MlTraceEvent *e)
{
  if (em->emit)
    ml_trace_append (em->trace, e);
  else
    ml_trace_event_free (e);
}

static void
emit_dialogue (MlCaptureEmitter *em, MlDirection direction, const char *text,
               const char *verb, const char *args, guint code,
               const char *explain_key, const char *detail)
{
  MlTraceEvent *e;

  if (!em->emit)
    return;
  e = new_event (em, ML_TRACE_DIALOGUE, direction);
  e->text = dup_valid (text);
  e->verb = dup_valid (verb);
  e->args = dup_valid (args);
  e->code = code;
  e->explain_key = g_strdup (explain_key);
  e->detail = dup_valid (detail);
  append (em, e);
}

void
ml_capture_emit_command (MlCaptureEmitter *em, const char *text, const char *verb,
                         const char *args, const char *explain_key, const char *detail)
{
  if (em->stats)
    em->stats->commands++;
  emit_dialogue (em, ML_DIR_CLIENT_TO_SERVER, text, verb, args, 0, explain_key, detail);
}

void
ml_capture_emit_reply (MlCaptureEmitter *em, const char *text, guint code,
                       const char *verb, const char *args, const char *explain_key,
                       const char *detail, guint reply_class)
{
  if (em->stats)
    {
      em->stats->replies++;
      if (reply_class < G_N_ELEMENTS (em->stats->replies_by_class))
        em->stats->replies_by_class[reply_class]++;
    }
  emit_dialogue (em, ML_DIR_SERVER_TO_CLIENT, text, verb, args, code, explain_key, detail);
}

void
ml_capture_emit_line (MlCaptureEmitter *em, MlDirection direction, const char *text,
                      const char *verb, const char *args, const char *explain_key,
                      const char *detail)
{
  emit_dialogue (em, direction, text, verb, args, 0, explain_key, detail);
}

void
ml_capture_emit_note (MlCaptureEmitter *em, MlDirection direction,
                      const char *explain_key, const char *text, const char *detail)
{
  MlTraceEvent *e;

  if (!em->emit)
    return;
  e = new_event (em, ML_TRACE_NOTE, direction);
  e->explain_key = g_strdup (explain_key);
  e->text = dup_valid (text);
  e->detail = dup_valid (detail);
  append (em, e);
}

void
ml_capture_emit_state (MlCaptureEmitter *em, const char *from, const char *to,
                       const char *explain_key)
{
  MlTraceEvent *e;

  if (!em->emit)
    return;
  /* The state is the server's, as a simulation records it. */
  e = new_event (em, ML_TRACE_STATE, ML_DIR_SERVER_TO_CLIENT);
  e->state_from = g_strdup (from);
  e->state_to = g_strdup (to);
  e->explain_key = g_strdup (explain_key);
  append (em, e);
}

void
ml_capture_emit_message (MlCaptureEmitter *em, GBytes *message)
{
  em->messages++;
  if (em->stats)
    em->stats->messages++;
  if (em->selected && em->options->message_func)
    em->options->message_func (em->conn_id, em->messages, em->protocol, message,
                               em->options->message_data);
}

void
ml_capture_emit_credentials (MlCaptureEmitter *em, const char *how,
                             const char *user, const char *password)
{
  g_autofree char *text = NULL;
  g_autofree char *detail = NULL;

  if (em->stats)
    em->stats->credentials_in_clear++;
  if (!em->emit)
    return;
  /* The teaching point is that anyone on the path reads them; the
   * password is shown because the capture already holds it. */
  text = g_strdup_printf ("credentials in clear (%s): user \"%s\"", how, user ? user : "");
  detail = g_strdup_printf ("user: %s\npassword: %s\nAnyone who can capture this "
                            "connection can read them: use TLS (RFC 8314).",
                            user ? user : "", password ? password : "");
  ml_capture_emit_note (em, ML_DIR_CLIENT_TO_SERVER, "capture.credentials-in-clear",
                        text, detail);
}

void
ml_capture_emit_tls (MlCaptureEmitter *em, const char *why)
{
  if (em->encrypted)
    return;
  em->encrypted = TRUE;
  ml_capture_emit_note (em, ML_DIR_SERVER_TO_CLIENT, "capture.tls",
                        "the rest of this connection is encrypted (TLS)", why);
}

void
ml_capture_count_tls (MlCaptureEmitter *em, gsize len)
{
  if (em->stats)
    em->stats->tls_bytes += len;
}

void
ml_capture_emit_malformed (MlCaptureEmitter *em, MlDirection direction,
                           const char *explain_key, const char *why)
{
  ml_capture_emit_note (em, direction, explain_key, why, NULL);
}

char *
ml_capture_dup_text (const guint8 *data, gsize len)
{
  GString *s = g_string_sized_new (len);
  g_autofree char *valid = NULL;

  for (gsize i = 0; i < len; i++)
    {
      if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
        continue;
      if (data[i] == '\0')
        g_string_append_c (s, '?');
      else
        g_string_append_c (s, (char) data[i]);
    }
  valid = g_utf8_make_valid (s->str, (gssize) s->len);
  g_string_free (s, TRUE);
  return g_steal_pointer (&valid);
}

GBytes *
ml_capture_base64_decode (const char *text)
{
  gsize n = strlen (text), out_len = 0;
  guchar *out;

  if (n == 0)
    return NULL;
  /* "=" alone is the empty message (RFC 4954 4). */
  if (strcmp (text, "=") == 0)
    return g_bytes_new (NULL, 0);
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/' && text[i] != '=')
      return NULL;
  out = g_base64_decode (text, &out_len);
  return g_bytes_new_take (out, out_len);
}

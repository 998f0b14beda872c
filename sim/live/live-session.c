#define G_LOG_DOMAIN "ml-live-session"

#include <string.h>
#include "live/live-session.h"
#include "live/socket-stream.h"
#include "tls/tls-stream.h"

struct _MlLiveSession
{
  MlStream              *stream;     /* what the engine talks through (TLS or not) */
  MlStream              *base;       /* the socket under it */
  gpointer               engine;
  const MlLiveEngineOps *ops;
  MlTrace               *trace;
  char                  *host;
  char                  *peer;
  guint                  conn_id;
  guint                  timeout_ms;
  SSL_CTX               *tls_ctx;
  char                  *tls_server_name;  /* set: we are the TLS client */
  MlTlsHandshakeFunc     tls_observer;
  gpointer               tls_observer_data;
  MlLiveSessionDoneFunc  done;
  gpointer               done_data;

  gint64                 last_input_us;  /* monotonic */
  guint                  timeout_id;
  guint                  pump_id;
  guint                  delay_id;
  guint                  grace_id;
  GBytes                *held_output;    /* during a failed-login delay */
  GByteArray            *held_input;
  GByteArray            *backlog;        /* read, not fed: the output is blocked */
  gboolean               tls_pending;
  gboolean               closing;
  gboolean               reported;
};

static void on_data   (MlStream *stream, const guint8 *data, gsize len, gpointer user_data);
static void on_closed (MlStream *stream, const GError *error, gpointer user_data);

/* ---- the trace: both directions, real time ---- */

static MlTraceEvent *
new_event (MlLiveSession *self, MlTraceKind kind, const MlEngineEvent *ev)
{
  MlTraceEvent *e = ml_trace_event_new (kind);
  gboolean from_us = ev->outgoing || kind != ML_TRACE_DIALOGUE;

  e->time_us = g_get_real_time ();
  e->host = g_strdup (from_us ? self->host : self->peer);
  e->peer = g_strdup (from_us ? self->peer : self->host);
  e->conn_id = self->conn_id;
  e->protocol = ev->protocol;
  e->direction = ev->direction;
  e->explain_key = g_strdup (ev->explain_key);
  return e;
}

static void
record (MlLiveSession *self, const MlEngineEvent *ev)
{
  MlTraceEvent *e;

  if (self->trace == NULL)
    return;
  switch (ev->kind)
    {
    case ML_ENGINE_EVENT_COMMAND:
    case ML_ENGINE_EVENT_REPLY:
    case ML_ENGINE_EVENT_DATA:
      e = new_event (self, ML_TRACE_DIALOGUE, ev);
      e->text = g_strdup (ev->line ? ev->line : ev->detail);
      e->verb = g_strdup (ev->verb);
      e->args = g_strdup (ev->args);
      e->code = ev->code;
      e->detail = g_strdup (ev->kind == ML_ENGINE_EVENT_REPLY ? ev->enhanced : ev->detail);
      break;
    case ML_ENGINE_EVENT_STATE:
      e = new_event (self, ML_TRACE_STATE, ev);
      e->state_from = g_strdup (ev->state_from);
      e->state_to = g_strdup (ev->state_to);
      break;
    case ML_ENGINE_EVENT_TRANSACTION:
      e = new_event (self, ML_TRACE_NOTE, ev);
      e->text = g_strdup (ev->detail ? ev->detail : ev->line);
      break;
    case ML_ENGINE_EVENT_CLOSE:
    case ML_ENGINE_EVENT_START_TLS:
    default:
      return;
    }
  ml_trace_append (self->trace, e);
}

/* A fact of the connection itself (no engine said it). */
static void
note (MlLiveSession *self, const char *text)
{
  MlTraceEvent *e;

  if (self->trace == NULL)
    return;
  e = ml_trace_event_new (ML_TRACE_NOTE);
  e->time_us = g_get_real_time ();
  e->host = g_strdup (self->host);
  e->peer = g_strdup (self->peer);
  e->conn_id = self->conn_id;
  e->text = g_strdup (text);
  ml_trace_append (self->trace, e);
}

/* ---- lifetime ---- */

static void
session_free (MlLiveSession *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_handle_id (&self->pump_id, g_source_remove);
  g_clear_handle_id (&self->delay_id, g_source_remove);
  g_clear_handle_id (&self->grace_id, g_source_remove);
  if (ML_IS_SOCKET_STREAM (self->base))
    ml_socket_stream_set_drained_func (ML_SOCKET_STREAM (self->base), NULL, NULL);
  ml_stream_set_callbacks (self->stream, NULL, NULL, NULL, NULL);
  g_object_unref (self->stream);
  g_object_unref (self->base);
  self->ops->engine.free (self->engine);
  g_clear_pointer (&self->tls_ctx, SSL_CTX_free);
  g_free (self->tls_server_name);
  g_clear_object (&self->trace);
  g_clear_pointer (&self->held_output, g_bytes_unref);
  g_clear_pointer (&self->held_input, g_byte_array_unref);
  g_clear_pointer (&self->backlog, g_byte_array_unref);
  g_free (self->host);
  g_free (self->peer);
  g_free (self);
}

static void
report_done (MlLiveSession *self)
{
  if (self->reported)
    return;
  self->reported = TRUE;
  if (self->done)
    self->done (self, self->engine, self->done_data);
}

/* The output did not leave in time after we closed: drop the socket. */
static gboolean
on_grace_over (gpointer data)
{
  MlLiveSession *self = data;

  self->grace_id = 0;
  if (ML_IS_SOCKET_STREAM (self->base))
    ml_socket_stream_abort (ML_SOCKET_STREAM (self->base));
  return G_SOURCE_REMOVE;
}

static void
begin_close (MlLiveSession *self)
{
  if (self->closing)
    return;
  self->closing = TRUE;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  ml_stream_close (self->stream);
  if (!ml_stream_is_closed (self->stream))
    self->grace_id = g_timeout_add (ML_LIVE_CLOSE_GRACE_MS, on_grace_over, self);
}

/* ---- STARTTLS (RFC 3207 4, RFC 2595 4, RFC 3501 6.2.1) ---- */

static void
on_handshake (MlTlsStream *tls, const GError *error, gpointer user_data)
{
  MlLiveSession *self = user_data;

  if (self->tls_observer)
    self->tls_observer (tls, error, self->tls_observer_data);
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf ("TLS handshake failed: %s", error->message);

      /* The closed callback follows; the engine hears connection_lost. */
      note (self, text);
      return;
    }
  note (self, "TLS established");
  if (self->ops->engine.tls_started)
    self->ops->engine.tls_started (self->engine);
  ml_live_session_pump (self);
}

static void
start_tls (MlLiveSession *self)
{
  MlTlsStream *tls;

  self->tls_pending = FALSE;
  if (self->tls_ctx == NULL)
    {
      /* The engine offered what the server cannot do: a configuration
       * mistake, not the peer's. End the connection rather than go on in
       * the clear after the client was told TLS would start. */
      g_warning ("%s: STARTTLS asked for without a TLS context", self->peer);
      begin_close (self);
      return;
    }
  ml_stream_set_callbacks (self->stream, NULL, NULL, NULL, NULL);
  if (self->tls_server_name != NULL)
    tls = ml_tls_stream_new_client (self->stream, self->tls_ctx, self->tls_server_name,
                                    g_get_real_time () / G_USEC_PER_SEC);
  else
    tls = ml_tls_stream_new_server (self->stream, self->tls_ctx);
  g_object_unref (self->stream);
  self->stream = ML_STREAM (tls);
  ml_stream_set_callbacks (self->stream, NULL, on_data, on_closed, self);
  ml_tls_stream_set_handshake_func (tls, on_handshake, self);
  ml_tls_stream_start (tls);
}

/* ---- the loop ---- */

static void
write_output (MlLiveSession *self, GBytes *out)
{
  if (out != NULL && !ml_stream_is_closed (self->stream))
    ml_stream_write_bytes (self->stream, out);
}

static void feed (MlLiveSession *self, const guint8 *data, gsize len);

static gboolean
on_delay_over (gpointer data)
{
  MlLiveSession *self = data;
  g_autoptr(GBytes) out = g_steal_pointer (&self->held_output);
  g_autoptr(GByteArray) in = g_steal_pointer (&self->held_input);

  self->delay_id = 0;
  write_output (self, out);
  if (in != NULL && in->len > 0)
    feed (self, in->data, in->len);
  else
    ml_live_session_pump (self);
  return G_SOURCE_REMOVE;
}

void
ml_live_session_pump (MlLiveSession *self)
{
  MlEngineEvent ev = { 0 };
  g_autoptr(GBytes) out = NULL;
  guint delay = 0;

  if (self->delay_id != 0)
    return;   /* held back: on_delay_over pumps */
  if (ML_IS_SOCKET_STREAM (self->base)
      && ml_socket_stream_get_pending (ML_SOCKET_STREAM (self->base)) > ML_SOCKET_STREAM_HIGH_WATER)
    return;   /* the client is not reading: leave the output with the engine
                 (IMAP stops at ML_IMAP_MAX_OUTPUT_BACKLOG); on_drained pumps */
  while (self->ops->engine.next_event (self->engine, &ev))
    {
      record (self, &ev);
      if (ev.kind == ML_ENGINE_EVENT_START_TLS)
        self->tls_pending = TRUE;
      ml_engine_event_clear (&ev);
    }
  /* Asked before take_output(), which resets it (smtp-server.h). */
  if (self->ops->take_delay_ms)
    delay = self->ops->take_delay_ms (self->engine);
  out = self->ops->engine.take_output (self->engine);
  if (delay > 0 && !self->closing)
    {
      /* RFC 4954 6, RFC 5034 8: slow down password guessing. Nothing the
       * client pipelines is read meanwhile. */
      self->held_output = g_steal_pointer (&out);
      self->delay_id = g_timeout_add (delay, on_delay_over, self);
      return;
    }
  write_output (self, out);
  if (self->tls_pending && !self->closing)
    start_tls (self);
  if (self->ops->engine.finished (self->engine))
    begin_close (self);
}

/* More than the high-water mark waits for a client that does not read. */
static gboolean
output_blocked (MlLiveSession *self)
{
  return ML_IS_SOCKET_STREAM (self->base)
      && ml_socket_stream_get_pending (ML_SOCKET_STREAM (self->base)) > ML_SOCKET_STREAM_HIGH_WATER;
}

static gboolean
input_held (MlLiveSession *self)
{
  return self->ops->holds_input != NULL && self->ops->holds_input (self->engine);
}

static void
set_reading (MlLiveSession *self, gboolean reading)
{
  if (ML_IS_SOCKET_STREAM (self->base))
    ml_socket_stream_set_paused (ML_SOCKET_STREAM (self->base), !reading);
}

static void
keep_input (GByteArray **where, const guint8 *data, gsize len)
{
  if (*where == NULL)
    *where = g_byte_array_new ();
  g_byte_array_append (*where, data, len);
}

/* One line at a time, each answer written before the next line is read:
 * a client that pipelines RETRs or FETCHes of large messages (RFC 2449
 * 6.6, RFC 3501 5.5) and does not read gets its answers as fast as it
 * reads them, and the rest of what it sent waits here, so the memory a
 * connection holds is bounded by the socket's high-water mark plus one
 * answer, not by what it asked for. The socket stops reading meanwhile
 * (socket-stream.h), so at most one read lands in the backlog. */
static void
feed (MlLiveSession *self, const guint8 *data, gsize len)
{
  if (self->ops->engine.set_now)
    self->ops->engine.set_now (self->engine, g_get_real_time ());
  while (len > 0 && !self->closing)
    {
      const guint8 *nl;
      gsize n;

      if (self->delay_id != 0)
        {
          keep_input (&self->held_input, data, len);
          return;
        }
      if (output_blocked (self))
        {
          keep_input (&self->backlog, data, len);
          return;
        }
      if (input_held (self))
        {
          /* The engine waits (a delivery's fsync): at most one read more
           * lands here before the socket stops being read. */
          keep_input (&self->backlog, data, len);
          set_reading (self, FALSE);
          return;
        }
      nl = memchr (data, '\n', len);
      n = nl != NULL ? (gsize) (nl - data) + 1 : len;
      self->ops->engine.feed (self->engine, data, n);
      data += n;
      len -= n;
      ml_live_session_pump (self);
    }
}

/* The client read its answers: go on with what it had sent. */
static void
resume_backlog (MlLiveSession *self)
{
  g_autoptr(GByteArray) in = g_steal_pointer (&self->backlog);

  if (in != NULL && in->len > 0)
    feed (self, in->data, in->len);
}

static void
on_data (MlStream *stream, const guint8 *data, gsize len, gpointer user_data)
{
  MlLiveSession *self = user_data;

  self->last_input_us = g_get_monotonic_time ();
  if (self->closing)
    return;
  if (self->delay_id != 0)
    {
      /* Reading goes on meanwhile: a client that sends more than a few
       * commands' worth while it waits is hammering, and is dropped. */
      if (self->held_input == NULL)
        self->held_input = g_byte_array_new ();
      if (self->held_input->len + len > ML_SOCKET_STREAM_READ_SIZE * 4)
        {
          note (self, "input during the failed-login delay overflowed; connection dropped");
          self->ops->engine.connection_lost (self->engine);
          begin_close (self);
          return;
        }
      g_byte_array_append (self->held_input, data, len);
      return;
    }
  if (self->backlog != NULL && self->backlog->len > 0)
    {
      /* After what waits already, in order. */
      keep_input (&self->backlog, data, len);
      if (!output_blocked (self) && !input_held (self))
        resume_backlog (self);
      return;
    }
  feed (self, data, len);
}

static void
on_closed (MlStream *stream, const GError *error, gpointer user_data)
{
  MlLiveSession *self = user_data;

  if (!self->ops->engine.finished (self->engine))
    {
      /* Whatever the engine had not finished is not done: RFC 5321 3.8,
       * RFC 1939 6 (no UPDATE), RFC 3501 (an APPEND cut short appends
       * nothing). */
      self->ops->engine.connection_lost (self->engine);
      g_clear_handle_id (&self->delay_id, g_source_remove);
      ml_live_session_pump (self);
      note (self, error ? error->message : "the client closed the connection");
    }
  report_done (self);
  session_free (self);
}

static void
on_drained (MlSocketStream *stream, gpointer user_data)
{
  ml_live_session_schedule_pump (user_data);
}

static gboolean
on_timeout (gpointer data)
{
  MlLiveSession *self = data;
  gint64 idle_ms = (g_get_monotonic_time () - self->last_input_us) / 1000;

  if (idle_ms < self->timeout_ms)
    {
      /* Input came since the timer was set: wait for the rest. */
      self->timeout_id = g_timeout_add (self->timeout_ms - idle_ms, on_timeout, self);
      return G_SOURCE_REMOVE;
    }
  self->timeout_id = 0;
  note (self, "inactivity timeout");
  if (self->ops->say_goodbye)
    self->ops->say_goodbye (self->engine, FALSE);
  else
    self->ops->engine.connection_lost (self->engine);
  g_clear_handle_id (&self->delay_id, g_source_remove);
  ml_live_session_pump (self);
  begin_close (self);
  return G_SOURCE_REMOVE;
}

MlLiveSession *
ml_live_session_new (MlStream *stream, gpointer engine, const MlLiveEngineOps *ops,
                     MlTrace *trace, const char *host, const char *peer, guint conn_id,
                     guint timeout_ms)
{
  MlLiveSession *self;

  g_return_val_if_fail (ML_IS_STREAM (stream) && engine != NULL && ops != NULL, NULL);
  self = g_new0 (MlLiveSession, 1);
  self->stream = g_object_ref (stream);
  /* Implicit TLS (RFC 8314 3.3): the socket is under the TLS stream. */
  while (ML_IS_TLS_STREAM (stream))
    stream = ml_tls_stream_get_inner (ML_TLS_STREAM (stream));
  self->base = g_object_ref (stream);
  self->engine = engine;
  self->ops = ops;
  self->trace = trace ? g_object_ref (trace) : NULL;
  self->host = g_strdup (host);
  self->peer = g_strdup (peer);
  self->conn_id = conn_id;
  self->timeout_ms = timeout_ms;
  self->last_input_us = g_get_monotonic_time ();
  ml_stream_set_callbacks (self->stream, NULL, on_data, on_closed, self);
  if (ML_IS_SOCKET_STREAM (self->base))
    ml_socket_stream_set_drained_func (ML_SOCKET_STREAM (self->base), on_drained, self);
  if (timeout_ms > 0)
    self->timeout_id = g_timeout_add (timeout_ms, on_timeout, self);
  if (ops->engine.set_now)
    ops->engine.set_now (engine, g_get_real_time ());
  return self;
}

void
ml_live_session_set_done_func (MlLiveSession *self, MlLiveSessionDoneFunc func, gpointer user_data)
{
  self->done = func;
  self->done_data = user_data;
}

void
ml_live_session_set_tls (MlLiveSession *self, SSL_CTX *ctx)
{
  if (ctx != NULL)
    SSL_CTX_up_ref (ctx);
  g_clear_pointer (&self->tls_ctx, SSL_CTX_free);
  self->tls_ctx = ctx;
}

void
ml_live_session_set_tls_client (MlLiveSession *self, SSL_CTX *ctx, const char *server_name,
                                MlTlsHandshakeFunc func, gpointer user_data)
{
  g_return_if_fail (ctx != NULL && server_name != NULL);
  ml_live_session_set_tls (self, ctx);
  g_free (self->tls_server_name);
  self->tls_server_name = g_strdup (server_name);
  self->tls_observer = func;
  self->tls_observer_data = user_data;
}

static gboolean
on_scheduled_pump (gpointer data)
{
  MlLiveSession *self = data;

  self->pump_id = 0;
  ml_live_session_pump (self);
  if (!self->closing && !output_blocked (self) && !input_held (self))
    {
      resume_backlog (self);
      if (!input_held (self))
        set_reading (self, TRUE);
    }
  return G_SOURCE_REMOVE;
}

void
ml_live_session_schedule_pump (MlLiveSession *self)
{
  if (self->pump_id == 0)
    self->pump_id = g_idle_add (on_scheduled_pump, self);
}

void
ml_live_session_shutdown (MlLiveSession *self)
{
  if (self->closing)
    return;
  g_clear_handle_id (&self->delay_id, g_source_remove);
  g_clear_pointer (&self->held_output, g_bytes_unref);
  if (self->ops->say_goodbye)
    self->ops->say_goodbye (self->engine, TRUE);
  else
    self->ops->engine.connection_lost (self->engine);
  /* The goodbye needs a moment to be read, not the peer's FIN. */
  if (ML_IS_SOCKET_STREAM (self->base))
    ml_socket_stream_set_linger (ML_SOCKET_STREAM (self->base), ML_LIVE_SHUTDOWN_LINGER_MS);
  ml_live_session_pump (self);
  begin_close (self);
}

void
ml_live_session_abort (MlLiveSession *self)
{
  if (ML_IS_SOCKET_STREAM (self->base))
    ml_socket_stream_abort (ML_SOCKET_STREAM (self->base));
  else
    ml_stream_emit_closed (self->stream, NULL);
}

gpointer
ml_live_session_get_engine (MlLiveSession *self)
{
  return self->engine;
}

guint
ml_live_session_get_id (MlLiveSession *self)
{
  return self->conn_id;
}

#define G_LOG_DOMAIN "ml-client-session"

#include "live/client-session.h"
#include "live/socket-stream.h"
#include "tls/tls-stream.h"
#include "trace/json-writer.h"
#include "trace/transcript-writer.h"
#include <string.h>
#include <glib-unix.h>
#include <openssl/x509_vfy.h>

struct _MlClientSession
{
  char                  *host;        /* as dialled: the certificate's name */
  guint16                port;
  GSocketConnectable    *address;
  MlTrace               *trace;
  guint                  timeout_ms;
  MlClientTls            tls_mode;
  SSL_CTX               *tls_ctx;

  MlClientEngineFactory  factory;
  MlClientAdvanceFunc    advance;
  MlClientDoneFunc       done;
  gpointer               user_data;

  GSocketClient         *client;
  GCancellable          *cancellable;
  guint                  connect_timer;
  gboolean               timed_out;
  MlLiveSession         *live;        /* owns us once it exists */
  gpointer               engine;
  const MlLiveEngineOps *engine_ops;
  char                  *local_name;  /* "127.0.0.1:40312" in the trace */
  char                  *peer_name;   /* "mail.example:587" */
  GError                *error;
  char                  *tls_summary;
  gboolean               lost;
  gboolean               advancing;
  gboolean               reported;
};

static void
client_session_free (MlClientSession *self)
{
  g_clear_handle_id (&self->connect_timer, g_source_remove);
  if (self->engine != NULL)
    self->engine_ops->engine.free (self->engine);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->address);
  g_clear_object (&self->trace);
  g_clear_pointer (&self->tls_ctx, SSL_CTX_free);
  g_clear_error (&self->error);
  g_free (self->host);
  g_free (self->local_name);
  g_free (self->peer_name);
  g_free (self->tls_summary);
  g_free (self);
}

static void
set_error (MlClientSession *self, const GError *error)
{
  if (self->error == NULL)
    self->error = g_error_copy (error);
}

/* A fact of the connection no engine said, in the trace like serve's. */
static void
note (MlClientSession *self, const char *text)
{
  MlTraceEvent *e;

  if (self->trace == NULL)
    return;
  e = ml_trace_event_new (ML_TRACE_NOTE);
  e->time_us = g_get_real_time ();
  e->host = g_strdup (self->local_name ? self->local_name : "maillab-cli");
  e->peer = g_strdup (self->peer_name);
  e->conn_id = 1;
  e->text = g_strdup (text);
  ml_trace_append (self->trace, e);
}

static void
report (MlClientSession *self)
{
  if (self->reported)
    return;
  self->reported = TRUE;
  if (self->done)
    self->done (self, self->engine, self->error, self->user_data);
}

/* ---- the engine seen through MlLiveSession: ours wraps the owner's ----
 *
 * MlLiveSession is given this session as its "engine" so that every pump
 * passes here: when the engine has said all it had to, the owner may queue
 * more (advance), and the result of the whole run is reported once with
 * what we know of the connection. */

static gsize
wrap_feed (gpointer e, const guint8 *data, gsize len)
{
  MlClientSession *self = e;

  return self->engine_ops->engine.feed (self->engine, data, len);
}

static gboolean
wrap_next (gpointer e, MlEngineEvent *ev)
{
  MlClientSession *self = e;

  if (self->engine_ops->engine.next_event (self->engine, ev))
    return TRUE;
  if (self->advance == NULL || self->advancing || self->lost)
    return FALSE;
  self->advancing = TRUE;
  self->advance (self, self->engine, self->user_data);
  self->advancing = FALSE;
  return self->engine_ops->engine.next_event (self->engine, ev);
}

static GBytes *
wrap_take (gpointer e)
{
  MlClientSession *self = e;

  return self->engine_ops->engine.take_output (self->engine);
}

static gboolean
wrap_finished (gpointer e)
{
  MlClientSession *self = e;

  return self->engine_ops->engine.finished (self->engine);
}

static void
wrap_lost (gpointer e)
{
  MlClientSession *self = e;

  self->lost = TRUE;
  self->engine_ops->engine.connection_lost (self->engine);
}

static void
wrap_now (gpointer e, gint64 unix_usec)
{
  MlClientSession *self = e;

  if (self->engine_ops->engine.set_now)
    self->engine_ops->engine.set_now (self->engine, unix_usec);
}

static void
wrap_free (gpointer e)
{
  client_session_free (e);
}

static void
wrap_tls_started (gpointer e)
{
  MlClientSession *self = e;

  if (self->engine_ops->engine.tls_started)
    self->engine_ops->engine.tls_started (self->engine);
}

static const MlLiveEngineOps wrap_ops = {
  { wrap_feed, wrap_next, wrap_take, wrap_finished, wrap_lost, wrap_now, wrap_free,
    wrap_tls_started, NULL },
  NULL, NULL,
};

static void
on_live_done (MlLiveSession *live, gpointer engine, gpointer user_data)
{
  MlClientSession *self = user_data;

  self->live = NULL;
  if (self->lost && self->error == NULL)
    {
      /* RFC 5321 3.8, RFC 1939 6: what was not finished did not happen. */
      self->error = g_error_new (G_IO_ERROR, self->timed_out ? G_IO_ERROR_TIMED_OUT : G_IO_ERROR_CONNECTION_CLOSED,
                                 "the connection to %s ended before the dialogue did", self->peer_name);
    }
  report (self);
  /* MlLiveSession frees us through wrap_free right after. */
}

/* ---- TLS ---- */

static int
accept_any_certificate (X509_STORE_CTX *store, void *arg)
{
  /* --insecure: verify all the same, so that SSL_get_verify_result (and
   * so the summary) says what was wrong, but go on. */
  (void) X509_verify_cert (store);
  return 1;
}

SSL_CTX *
ml_client_tls_context_new (const char *ca_file, gboolean insecure, GError **error)
{
  SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());

  if (ctx == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "OpenSSL could not make a client context");
      return NULL;
    }
  /* RFC 8996: TLS 1.0 and 1.1 are gone; RFC 8314 4.1 asks for 1.2 or later. */
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  if (ca_file != NULL)
    {
      if (SSL_CTX_load_verify_locations (ctx, ca_file, NULL) != 1)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s: no CA certificate could be read from it", ca_file);
          SSL_CTX_free (ctx);
          return NULL;
        }
    }
  else if (SSL_CTX_set_default_verify_paths (ctx) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "the system's trust store could not be loaded; give --ca FILE");
      SSL_CTX_free (ctx);
      return NULL;
    }
  if (insecure)
    SSL_CTX_set_cert_verify_callback (ctx, accept_any_certificate, NULL);
  return ctx;
}

static void
on_handshake (MlTlsStream *tls, const GError *error, gpointer user_data)
{
  MlClientSession *self = user_data;

  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf ("TLS handshake with %s failed: %s", self->host, error->message);

      set_error (self, error);
      note (self, text);
      return;
    }
  g_free (self->tls_summary);
  self->tls_summary = g_strdup_printf ("%s %s, %s %s", ml_tls_stream_get_version (tls),
                                       ml_tls_stream_get_cipher (tls),
                                       ml_tls_stream_get_peer_verified (tls)
                                         ? "certificate verified for" : "certificate NOT verified for",
                                       self->host);
  note (self, self->tls_summary);
}

/* ---- connecting ---- */

static char *
address_literal (GSocketAddress *address, gboolean with_port)
{
  GInetAddress *inet;
  g_autofree char *ip = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup (with_port ? "local" : "[127.0.0.1]");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  ip = g_inet_address_to_string (inet);
  if (with_port)
    {
      guint16 port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));

      return g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
        ? g_strdup_printf ("[%s]:%u", ip, port) : g_strdup_printf ("%s:%u", ip, port);
    }
  /* RFC 5321 4.1.3: an address literal, IPv6 ones tagged. */
  return g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
    ? g_strdup_printf ("[IPv6:%s]", ip) : g_strdup_printf ("[%s]", ip);
}

static void
fail_early (MlClientSession *self, const GError *error)
{
  set_error (self, error);
  report (self);
  client_session_free (self);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MlClientSession *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(MlSocketStream) socket_stream = NULL;
  g_autofree char *literal = NULL;
  MlStream *stream;

  g_clear_handle_id (&self->connect_timer, g_source_remove);
  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (conn == NULL)
    {
      if (self->timed_out)
        {
          g_clear_error (&error);
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s:%u did not answer within %d s",
                       self->host, self->port, ML_CLIENT_CONNECT_TIMEOUT_MS / 1000);
        }
      else
        g_prefix_error (&error, "%s:%u: ", self->host, self->port);
      fail_early (self, error);
      return;
    }
  local = g_socket_connection_get_local_address (conn, NULL);
  self->local_name = address_literal (local, TRUE);
  literal = address_literal (local, FALSE);
  {
    g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (conn, NULL);
    g_autofree char *remote_name = remote ? address_literal (remote, TRUE) : g_strdup ("?");
    g_autofree char *text = g_strdup_printf ("connected to %s (%s) from %s", self->peer_name,
                                             remote_name, self->local_name);

    note (self, text);
  }

  self->engine = self->factory (self, literal, &self->engine_ops, self->user_data);
  if (self->engine == NULL)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "no engine for %s", self->peer_name);
      fail_early (self, error);
      return;
    }

  socket_stream = ml_socket_stream_new (conn);
  ml_socket_stream_set_linger (socket_stream, ML_CLIENT_LINGER_MS);
  stream = ML_STREAM (socket_stream);
  if (self->tls_mode == ML_CLIENT_TLS_IMPLICIT)
    {
      /* RFC 8314 3.3: the handshake comes first; the engine's first
       * octet is already protected. */
      MlTlsStream *tls = ml_tls_stream_new_client (stream, self->tls_ctx, self->host,
                                                   g_get_real_time () / G_USEC_PER_SEC);

      ml_tls_stream_set_handshake_func (tls, on_handshake, self);
      stream = ML_STREAM (tls);
    }
  self->live = ml_live_session_new (stream, self, &wrap_ops, self->trace, self->local_name,
                                    self->peer_name, 1, self->timeout_ms);
  if (stream != ML_STREAM (socket_stream))
    {
      ml_tls_stream_start (ML_TLS_STREAM (stream));
      g_object_unref (stream);
    }
  ml_live_session_set_done_func (self->live, on_live_done, self);
  if (self->tls_mode == ML_CLIENT_TLS_STARTTLS)
    ml_live_session_set_tls_client (self->live, self->tls_ctx, self->host, on_handshake, self);
  /* Client engines speak after the greeting; pumping now lets one that
   * has something ready (none of ours) say it. */
  ml_live_session_pump (self->live);
}

static gboolean
on_connect_timeout (gpointer data)
{
  MlClientSession *self = data;

  self->connect_timer = 0;
  self->timed_out = TRUE;
  g_cancellable_cancel (self->cancellable);
  return G_SOURCE_REMOVE;
}

MlClientSession *
ml_client_session_new (const char *server, guint16 default_port, MlTrace *trace,
                       guint timeout_ms, GError **error)
{
  MlClientSession *self;
  g_autoptr(GSocketConnectable) address = NULL;

  g_return_val_if_fail (server != NULL, NULL);
  if (strlen (server) > ML_CLIENT_MAX_SERVER)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "server name too long");
      return NULL;
    }
  address = g_network_address_parse (server, default_port, error);
  if (address == NULL)
    return NULL;
  if (*g_network_address_get_hostname (G_NETWORK_ADDRESS (address)) == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "\"%s\": no host name", server);
      return NULL;
    }
  if (g_network_address_get_port (G_NETWORK_ADDRESS (address)) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: no port", server);
      return NULL;
    }
  self = g_new0 (MlClientSession, 1);
  self->address = g_steal_pointer (&address);
  self->host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (self->address)));
  self->port = g_network_address_get_port (G_NETWORK_ADDRESS (self->address));
  self->peer_name = strchr (self->host, ':') != NULL
    ? g_strdup_printf ("[%s]:%u", self->host, self->port)
    : g_strdup_printf ("%s:%u", self->host, self->port);
  self->trace = trace ? g_object_ref (trace) : NULL;
  self->timeout_ms = timeout_ms;
  self->cancellable = g_cancellable_new ();
  return self;
}

void
ml_client_session_free (MlClientSession *self)
{
  g_return_if_fail (self != NULL && self->factory == NULL);
  client_session_free (self);
}

void
ml_client_session_set_tls (MlClientSession *self, MlClientTls mode, SSL_CTX *ctx)
{
  g_return_if_fail (mode == ML_CLIENT_TLS_NONE || ctx != NULL);
  if (ctx != NULL)
    SSL_CTX_up_ref (ctx);
  g_clear_pointer (&self->tls_ctx, SSL_CTX_free);
  self->tls_ctx = ctx;
  self->tls_mode = mode;
}

void
ml_client_session_start (MlClientSession *self, MlClientEngineFactory factory,
                         MlClientAdvanceFunc advance, MlClientDoneFunc done, gpointer user_data)
{
  g_return_if_fail (self != NULL && factory != NULL);
  self->factory = factory;
  self->advance = advance;
  self->done = done;
  self->user_data = user_data;
  /* GIO's resolver: the system's, so /etc/hosts and real DNS alike. */
  self->client = g_socket_client_new ();
  self->connect_timer = g_timeout_add (ML_CLIENT_CONNECT_TIMEOUT_MS, on_connect_timeout, self);
  g_socket_client_connect_async (self->client, self->address, self->cancellable,
                                 on_connected, self);
}

const char *
ml_client_session_get_host (MlClientSession *self)
{
  return self->host;
}

const char *
ml_client_session_get_tls_summary (MlClientSession *self)
{
  return self->tls_summary;
}

void
ml_client_session_abort (MlClientSession *self)
{
  if (self->live != NULL)
    ml_live_session_abort (self->live);
  else
    g_cancellable_cancel (self->cancellable);
}

/* ---- running from a command line ---- */

typedef struct {
  GMainLoop            *loop;
  MlClientSession      *session;   /* NULL once done */
  MlClientEngineFactory factory;
  MlClientAdvanceFunc   advance;
  MlClientDoneFunc      done;
  gpointer              user_data;
} Run;

static gpointer
run_factory (MlClientSession *self, const char *local_literal,
             const MlLiveEngineOps **ops_out, gpointer data)
{
  Run *run = data;

  return run->factory (self, local_literal, ops_out, run->user_data);
}

static void
run_advance (MlClientSession *self, gpointer engine, gpointer data)
{
  Run *run = data;

  if (run->advance != NULL)
    run->advance (self, engine, run->user_data);
}

static void
run_done (MlClientSession *self, gpointer engine, const GError *error, gpointer data)
{
  Run *run = data;

  run->session = NULL;
  run->done (self, engine, error, run->user_data);
  g_main_loop_quit (run->loop);
}

/* ^C or a kill: the connection is dropped and done still reports. */
static gboolean
run_signal (gpointer data)
{
  Run *run = data;

  if (run->session != NULL)
    ml_client_session_abort (run->session);
  return G_SOURCE_CONTINUE;
}

void
ml_client_session_run (MlClientSession       *self,
                       MlClientEngineFactory  factory,
                       MlClientAdvanceFunc    advance,
                       MlClientDoneFunc       done,
                       gpointer               user_data)
{
  Run run = { g_main_loop_new (g_main_context_get_thread_default (), FALSE),
              self, factory, advance, done, user_data };
  guint sigint = g_unix_signal_add (SIGINT, run_signal, &run);
  guint sigterm = g_unix_signal_add (SIGTERM, run_signal, &run);

  ml_client_session_start (self, run_factory, run_advance, run_done, &run);
  g_main_loop_run (run.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_main_loop_unref (run.loop);
}

/* ---- masking and output ---- */

/* How many leading words of a credential-bearing command stay readable:
 * what a reader needs to see what happened, not the secret. */
static const struct {
  const char *explain_key;
  guint       keep_words;   /* G_MAXUINT: not a credential */
} credential_lines[] = {
  { "smtp.auth", 2 },                  /* AUTH PLAIN <initial response> (RFC 4954 4) */
  { "smtp.auth.response", 0 },         /* a SASL response line */
  { "pop3.pass", 1 },                  /* PASS <password> (RFC 1939 7) */
  { "pop3.apop", 2 },                  /* APOP <name> <digest> */
  { "pop3.auth", 2 },                  /* AUTH PLAIN <initial response> (RFC 5034 4) */
  { "pop3.auth.response", 0 },
  { "imap.login", 3 },                 /* a1 LOGIN <user> <password> (RFC 3501 6.2.3) */
  { "imap.authenticate", 3 },          /* a1 AUTHENTICATE PLAIN <ir> (RFC 4959) */
  { "imap.authenticate.response", 0 },
};

static char *
mask_after_words (const char *text, guint keep)
{
  const char *p = text;

  for (guint i = 0; i < keep; i++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return g_strdup (text);   /* nothing after them to hide */
      p++;
    }
  if (*p == '\0')
    return g_strdup (text);
  return g_strdup_printf ("%.*s%s", (int) (p - text), text, ML_CLIENT_MASK);
}

MlTraceEvent *
ml_client_mask_credentials (const MlTraceEvent *event)
{
  MlTraceEvent *copy = ml_trace_event_copy (event);
  guint keep = G_MAXUINT;

  if (event->kind != ML_TRACE_DIALOGUE || event->text == NULL)
    return copy;
  for (gsize i = 0; i < G_N_ELEMENTS (credential_lines); i++)
    if (g_strcmp0 (event->explain_key, credential_lines[i].explain_key) == 0)
      keep = credential_lines[i].keep_words;
  if (keep == G_MAXUINT && g_strcmp0 (event->detail, "credential") == 0)
    keep = event->verb != NULL ? 1 : 0;
  if (keep == G_MAXUINT)
    return copy;
  g_free (copy->text);
  copy->text = mask_after_words (event->text, keep);
  if (copy->args != NULL)
    {
      g_free (copy->args);
      copy->args = g_strdup (ML_CLIENT_MASK);
    }
  return copy;
}

struct _MlClientOutput
{
  MlTraceSubscription  sub;
  MlTranscriptWriter  *transcript;
  MlJsonWriter        *json;
  gint64               t0_us;       /* the first event's time */
};

static void
on_output_event (MlTrace *trace, const MlTraceEvent *event, gpointer user_data)
{
  MlClientOutput *self = user_data;
  g_autoptr(MlTraceEvent) masked = ml_client_mask_credentials (event);

  if (self->t0_us < 0)
    self->t0_us = masked->time_us;
  if (self->json != NULL)
    ml_json_writer_write_event (self->json, masked);
  if (self->transcript != NULL)
    {
      masked->time_us = masked->time_us >= (guint64) self->t0_us ? masked->time_us - self->t0_us : 0;
      ml_transcript_writer_write_event (self->transcript, masked);
    }
}

MlClientOutput *
ml_client_output_new (MlTrace *trace, FILE *out, const char *json_path, GError **error)
{
  MlClientOutput *self;
  MlJsonWriter *json = NULL;

  if (json_path != NULL && (json = ml_json_writer_new_for_path (json_path, error)) == NULL)
    return NULL;
  self = g_new0 (MlClientOutput, 1);
  self->json = json;
  self->transcript = out != NULL ? ml_transcript_writer_new_for_stdio (out) : NULL;
  self->t0_us = -1;
  ml_trace_subscribe (&self->sub, trace, on_output_event, self);
  return self;
}

gboolean
ml_client_output_close (MlClientOutput *self, GError **error)
{
  gboolean ok = TRUE;

  ml_trace_unsubscribe (&self->sub);
  if (self->transcript != NULL)
    ok = ml_transcript_writer_close (self->transcript, error);
  if (self->json != NULL)
    ok = ml_json_writer_close (self->json, ok ? error : NULL) && ok;
  return ok;
}

void
ml_client_output_free (MlClientOutput *self)
{
  if (self == NULL)
    return;
  ml_trace_unsubscribe (&self->sub);
  g_clear_pointer (&self->transcript, ml_transcript_writer_free);
  g_clear_pointer (&self->json, ml_json_writer_free);
  g_free (self);
}

char *
ml_client_read_password_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  char *end;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  end = strpbrk (data, "\r\n");
  if (end != NULL)
    *end = '\0';
  if (strlen (data) == 0 || strlen (data) > ML_CLIENT_MAX_PASSWORD)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: the first line must hold the password (1 to %d octets)", path,
                   ML_CLIENT_MAX_PASSWORD);
      return NULL;
    }
  return g_steal_pointer (&data);
}

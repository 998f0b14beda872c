/* MlTlsStream: an OpenSSL SSL over a BIO pair, between an owner that
 * speaks plaintext and an inner stream that carries records. */
#define G_LOG_DOMAIN "ml-tls"

#include "tls/tls-stream.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

struct _MlTlsStream
{
  MlStream            parent_instance;
  MlStream           *inner;
  SSL                *ssl;
  BIO                *network_bio;   /* our end of the pair: records in and out */
  gboolean            is_client;
  gboolean            started;
  gboolean            established;
  gboolean            failed;
  gboolean            close_requested;
  gboolean            shut_down;      /* close_notify sent, inner closed */
  gboolean            got_close_notify;
  gboolean            inner_closed;
  GByteArray         *pending;        /* plaintext written before the handshake */
  GError             *error;          /* why the handshake or a record failed */
  MlTlsHandshakeFunc  handshake_func;
  gpointer            handshake_data;
  char               *description;
};

G_DEFINE_FINAL_TYPE (MlTlsStream, ml_tls_stream, ML_TYPE_STREAM)
G_DEFINE_QUARK (ml-tls-error-quark, ml_tls_error)

static void tls_flush   (MlTlsStream *self);
static void tls_advance (MlTlsStream *self);

/* Moves every record OpenSSL produced to the inner stream. */
static void
tls_flush (MlTlsStream *self)
{
  guint8 buf[ML_TLS_MAX_RECORD];
  int n;

  /* Also after the inner stream reported the peer's FIN: our half of the
   * connection is still open, and our close_notify or alert goes out on
   * it before our FIN. */
  while ((n = BIO_read (self->network_bio, buf, sizeof buf)) > 0)
    ml_stream_write (self->inner, buf, (gsize) n);
}

/* The reason a handshake failed, in OpenSSL's words: the verify result
 * for a certificate ("certificate has expired", "hostname mismatch"),
 * otherwise the first queued error ("tlsv1 alert unknown ca"). */
static GError *
handshake_error (MlTlsStream *self)
{
  long verify = SSL_get_verify_result (self->ssl);
  unsigned long code = ERR_peek_error ();
  GError *error;

  if (self->is_client && verify != X509_V_OK)
    error = g_error_new (ML_TLS_ERROR, ML_TLS_ERROR_CERTIFICATE, "%s",
                         X509_verify_cert_error_string (verify));
  else if (code != 0)
    {
      const char *reason = ERR_reason_error_string (code);
      error = g_error_new (ML_TLS_ERROR, ML_TLS_ERROR_HANDSHAKE, "%s",
                           reason ? reason : "handshake failure");
    }
  else
    error = g_error_new_literal (ML_TLS_ERROR, ML_TLS_ERROR_HANDSHAKE, "handshake failure");
  ERR_clear_error ();
  return error;
}

static void
tls_fail (MlTlsStream *self, GError *error)
{
  gboolean during_handshake = !self->established;

  if (self->failed)
    {
      g_error_free (error);
      return;
    }
  self->failed = TRUE;
  self->error = error;
  /* The alert OpenSSL queued goes out before the connection closes
   * (RFC 8446 6.2: a fatal alert, then close). */
  tls_flush (self);
  ml_stream_close (self->inner);
  if (during_handshake && self->handshake_func)
    self->handshake_func (self, self->error, self->handshake_data);
}

/* Sends close_notify (RFC 8446 6.1) then closes the inner stream. */
static void
tls_shutdown (MlTlsStream *self)
{
  if (self->shut_down)
    return;
  self->shut_down = TRUE;
  if (self->established && !self->failed)
    {
      SSL_shutdown (self->ssl);
      tls_flush (self);
      ERR_clear_error ();
    }
  ml_stream_close (self->inner);
}

static void
tls_write_now (MlTlsStream *self, const guint8 *data, gsize len)
{
  while (len > 0 && !self->failed)
    {
      gsize chunk = MIN (len, ML_TLS_MAX_RECORD_PLAINTEXT);
      size_t written = 0;

      if (!SSL_write_ex (self->ssl, data, chunk, &written))
        {
          int err = SSL_get_error (self->ssl, 0);

          if (err == SSL_ERROR_WANT_WRITE)
            {
              tls_flush (self);
              continue;
            }
          {
            const char *reason = ERR_reason_error_string (ERR_peek_error ());

            tls_fail (self, g_error_new (ML_TLS_ERROR, ML_TLS_ERROR_PROTOCOL, "cannot write: %s",
                                         reason ? reason : "connection broken"));
            ERR_clear_error ();
          }
          return;
        }
      tls_flush (self);
      data += written;
      len -= written;
    }
}

static void
tls_handshake_done (MlTlsStream *self)
{
  g_autoptr(GByteArray) pending = g_steal_pointer (&self->pending);

  self->established = TRUE;
  self->pending = g_byte_array_new ();
  if (self->handshake_func)
    self->handshake_func (self, NULL, self->handshake_data);
  if (pending->len > 0)
    tls_write_now (self, pending->data, pending->len);
  if (self->close_requested)
    tls_shutdown (self);
}

/* Runs the handshake and decrypts whatever the BIO holds. */
static void
tls_advance (MlTlsStream *self)
{
  guint8 buf[ML_TLS_MAX_RECORD_PLAINTEXT];
  g_autoptr(MlStream) hold = g_object_ref (ML_STREAM (self));

  if (!self->started || self->failed)
    return;
  if (!self->established)
    {
      int rc = SSL_do_handshake (self->ssl);

      tls_flush (self);
      if (rc != 1)
        {
          int err = SSL_get_error (self->ssl, rc);

          if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            return;
          tls_fail (self, handshake_error (self));
          return;
        }
      tls_handshake_done (self);
      if (self->failed)
        return;
    }

  for (;;)
    {
      size_t n = 0;
      int err;

      if (SSL_read_ex (self->ssl, buf, sizeof buf, &n))
        {
          ml_stream_emit_data (ML_STREAM (self), buf, n);
          if (self->failed || ml_stream_is_closed (ML_STREAM (self)))
            return;
          continue;
        }
      err = SSL_get_error (self->ssl, 0);
      /* A TLS 1.3 read may answer a KeyUpdate or emit nothing at all. */
      tls_flush (self);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        return;
      if (err == SSL_ERROR_ZERO_RETURN)
        {
          /* RFC 8446 6.1: the peer will send no more; the inner stream's
           * close follows and ends this stream. */
          self->got_close_notify = TRUE;
          ERR_clear_error ();
          return;
        }
      {
        const char *reason = ERR_reason_error_string (ERR_peek_error ());

        tls_fail (self, g_error_new (ML_TLS_ERROR, ML_TLS_ERROR_PROTOCOL, "%s",
                                     reason ? reason : "bad record"));
        ERR_clear_error ();
      }
      return;
    }
}

static void
on_inner_data (MlStream *inner, const guint8 *data, gsize len, gpointer user_data)
{
  MlTlsStream *self = user_data;

  if (self->failed)
    return;
  while (len > 0)
    {
      int n = BIO_write (self->network_bio, data, (int) MIN (len, (gsize) ML_TLS_BIO_BUFFER));

      if (n <= 0)
        {
          /* The pair is full: let OpenSSL consume, then go on. Before
           * start() nothing consumes, and a peer that sends more than
           * the pair holds before we speak is not one we wait for. */
          if (!self->started)
            {
              tls_fail (self, g_error_new_literal (ML_TLS_ERROR, ML_TLS_ERROR_OVERFLOW,
                                                   "too much received before the handshake"));
              return;
            }
          tls_advance (self);
          if (self->failed)
            return;
          n = BIO_write (self->network_bio, data, (int) MIN (len, (gsize) ML_TLS_BIO_BUFFER));
          if (n <= 0)
            {
              tls_fail (self, g_error_new_literal (ML_TLS_ERROR, ML_TLS_ERROR_PROTOCOL,
                                                   "record larger than the TLS limit"));
              return;
            }
        }
      data += n;
      len -= (gsize) n;
    }
  tls_advance (self);
}

static void
on_inner_connected (MlStream *inner, gpointer user_data)
{
  ml_stream_emit_connected (ML_STREAM (user_data));
}

static void
on_inner_closed (MlStream *inner, const GError *error, gpointer user_data)
{
  MlTlsStream *self = user_data;
  g_autoptr(MlStream) hold = g_object_ref (ML_STREAM (self));
  g_autoptr(GError) closed = NULL;

  self->inner_closed = TRUE;
  if (!self->established && !self->failed && self->started)
    {
      closed = g_error_new (ML_TLS_ERROR, ML_TLS_ERROR_CLOSED,
                            "the connection ended during the TLS handshake%s%s",
                            error ? ": " : "", error ? error->message : "");
      self->failed = TRUE;
      self->error = g_error_copy (closed);
      if (self->handshake_func)
        self->handshake_func (self, closed, self->handshake_data);
    }
  ml_stream_emit_closed (ML_STREAM (self), self->error ? self->error : error);
}

static void
ml_tls_stream_write (MlStream *stream, const guint8 *data, gsize len)
{
  MlTlsStream *self = ML_TLS_STREAM (stream);

  if (self->failed || self->shut_down || self->close_requested)
    return;
  if (!self->established)
    {
      if (self->pending->len + len > ML_TLS_MAX_PENDING_PLAINTEXT)
        {
          tls_fail (self, g_error_new_literal (ML_TLS_ERROR, ML_TLS_ERROR_OVERFLOW,
                                               "too much written before the handshake"));
          return;
        }
      g_byte_array_append (self->pending, data, (guint) len);
      return;
    }
  tls_write_now (self, data, len);
}

static void
ml_tls_stream_close (MlStream *stream)
{
  MlTlsStream *self = ML_TLS_STREAM (stream);

  if (self->close_requested)
    return;
  self->close_requested = TRUE;
  if (self->established || self->failed || !self->started)
    tls_shutdown (self);
}

static const char *
ml_tls_stream_describe (MlStream *stream)
{
  MlTlsStream *self = ML_TLS_STREAM (stream);

  if (self->description == NULL)
    self->description = g_strdup_printf ("TLS over %s", ml_stream_describe (self->inner));
  return self->description;
}

static void
ml_tls_stream_dispose (GObject *object)
{
  MlTlsStream *self = ML_TLS_STREAM (object);

  if (self->inner)
    {
      ml_stream_set_callbacks (self->inner, NULL, NULL, NULL, NULL);
      g_clear_object (&self->inner);
    }
  G_OBJECT_CLASS (ml_tls_stream_parent_class)->dispose (object);
}

static void
ml_tls_stream_finalize (GObject *object)
{
  MlTlsStream *self = ML_TLS_STREAM (object);

  /* SSL_free frees the internal BIO it was given; ours is freed here. */
  SSL_free (self->ssl);
  BIO_free (self->network_bio);
  g_clear_pointer (&self->pending, g_byte_array_unref);
  g_clear_error (&self->error);
  g_free (self->description);
  G_OBJECT_CLASS (ml_tls_stream_parent_class)->finalize (object);
}

static void
ml_tls_stream_class_init (MlTlsStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MlStreamClass *stream_class = ML_STREAM_CLASS (klass);

  object_class->dispose = ml_tls_stream_dispose;
  object_class->finalize = ml_tls_stream_finalize;
  stream_class->write = ml_tls_stream_write;
  stream_class->close = ml_tls_stream_close;
  stream_class->describe = ml_tls_stream_describe;
}

static void
ml_tls_stream_init (MlTlsStream *self)
{
  self->pending = g_byte_array_new ();
}

static MlTlsStream *
tls_stream_new (MlStream *inner, SSL_CTX *ctx, gboolean is_client)
{
  MlTlsStream *self = g_object_new (ML_TYPE_TLS_STREAM, NULL);
  BIO *internal = NULL;

  self->inner = g_object_ref (inner);
  self->is_client = is_client;
  self->inner_closed = ml_stream_is_closed (inner);
  self->ssl = SSL_new (ctx);
  BIO_new_bio_pair (&internal, ML_TLS_BIO_BUFFER, &self->network_bio, ML_TLS_BIO_BUFFER);
  SSL_set_bio (self->ssl, internal, internal);
  if (is_client)
    SSL_set_connect_state (self->ssl);
  else
    SSL_set_accept_state (self->ssl);
  ml_stream_set_id (ML_STREAM (self), ml_stream_get_id (inner));
  ml_stream_set_callbacks (inner, on_inner_connected, on_inner_data, on_inner_closed, self);
  return self;
}

MlTlsStream *
ml_tls_stream_new_server (MlStream *inner, SSL_CTX *ctx)
{
  g_return_val_if_fail (ML_IS_STREAM (inner), NULL);
  g_return_val_if_fail (ctx != NULL, NULL);
  return tls_stream_new (inner, ctx, FALSE);
}

MlTlsStream *
ml_tls_stream_new_client (MlStream *inner, SSL_CTX *ctx, const char *server_name,
                          gint64 verify_time_unix)
{
  MlTlsStream *self;
  X509_VERIFY_PARAM *param;

  g_return_val_if_fail (ML_IS_STREAM (inner), NULL);
  g_return_val_if_fail (ctx != NULL && server_name != NULL, NULL);
  self = tls_stream_new (inner, ctx, TRUE);
  /* RFC 6066 3: SNI names the host we want; RFC 7817 3: the reference
   * identifier is the host name we connected to, matched against the
   * DNS-ID, a "*" allowed only as the whole left-most label. */
  param = SSL_get0_param (self->ssl);
  if (g_hostname_is_ip_address (server_name))
    {
      /* RFC 6066 3: an address literal is not a HostName, so no SNI; the
       * certificate must then carry the address as an iPAddress SAN
       * (RFC 5280 4.2.1.6). */
      X509_VERIFY_PARAM_set1_ip_asc (param, server_name);
    }
  else
    {
      SSL_set_tlsext_host_name (self->ssl, server_name);
      SSL_set_hostflags (self->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host (self->ssl, server_name);
    }
  SSL_set_verify (self->ssl, SSL_VERIFY_PEER, NULL);
  /* RFC 5280 6.1.3 (a)(2): validity is checked at "the current time",
   * which for a simulation is the virtual clock. */
  X509_VERIFY_PARAM_set_time (param, (time_t) verify_time_unix);
  return self;
}

void
ml_tls_stream_set_handshake_func (MlTlsStream *self, MlTlsHandshakeFunc func, gpointer user_data)
{
  g_return_if_fail (ML_IS_TLS_STREAM (self));
  self->handshake_func = func;
  self->handshake_data = user_data;
}

void
ml_tls_stream_start (MlTlsStream *self)
{
  g_return_if_fail (ML_IS_TLS_STREAM (self));
  if (self->started)
    return;
  self->started = TRUE;
  if (self->inner_closed)
    {
      self->failed = TRUE;
      self->error = g_error_new_literal (ML_TLS_ERROR, ML_TLS_ERROR_CLOSED,
                                         "the connection ended before the TLS handshake");
      if (self->handshake_func)
        self->handshake_func (self, self->error, self->handshake_data);
      return;
    }
  tls_advance (self);
}

gboolean
ml_tls_stream_is_established (MlTlsStream *self)
{
  g_return_val_if_fail (ML_IS_TLS_STREAM (self), FALSE);
  return self->established && !self->failed;
}

MlStream *
ml_tls_stream_get_inner (MlTlsStream *self)
{
  g_return_val_if_fail (ML_IS_TLS_STREAM (self), NULL);
  return self->inner;
}

const char *
ml_tls_stream_get_version (MlTlsStream *self)
{
  g_return_val_if_fail (ML_IS_TLS_STREAM (self), NULL);
  return self->established ? SSL_get_version (self->ssl) : NULL;
}

const char *
ml_tls_stream_get_cipher (MlTlsStream *self)
{
  g_return_val_if_fail (ML_IS_TLS_STREAM (self), NULL);
  return self->established ? SSL_get_cipher_name (self->ssl) : NULL;
}

gboolean
ml_tls_stream_get_peer_verified (MlTlsStream *self)
{
  X509 *peer;

  g_return_val_if_fail (ML_IS_TLS_STREAM (self), FALSE);
  if (!self->established)
    return FALSE;
  /* Borrowed: the certificate stays with the session. */
  peer = SSL_get0_peer_certificate (self->ssl);
  return peer != NULL && SSL_get_verify_result (self->ssl) == X509_V_OK;
}

gboolean
ml_tls_stream_got_close_notify (MlTlsStream *self)
{
  g_return_val_if_fail (ML_IS_TLS_STREAM (self), FALSE);
  return self->got_close_notify;
}

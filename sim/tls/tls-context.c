/* MlTlsContext: one run's certificates, SSL_CTXs and key log. */
#define G_LOG_DOMAIN "ml-tls"

#include "tls/tls-context.h"
#include "tls/tls-rand.h"

#include <string.h>
#include <openssl/err.h>

struct _MlTlsContext
{
  OSSL_LIB_CTX    *libctx;      /* owned when deterministic, else NULL (default) */
  MlTlsPki        *pki;
  SSL_CTX         *client_ctx;
  GHashTable      *server_ctx;  /* host name → SSL_CTX*; looked up, never iterated */
  GHashTable      *variants;    /* host name → MlTlsCertVariant */
  MlTlsKeylogFunc  keylog_func;
  gpointer         keylog_data;
  GString         *keylog;
};

static void
on_keylog (const SSL *ssl, const char *line)
{
  MlTlsContext *self = SSL_CTX_get_app_data (SSL_get_SSL_CTX (ssl));

  if (self == NULL || strlen (line) > ML_TLS_KEYLOG_MAX_LINE)
    return;
  g_string_append (self->keylog, line);
  g_string_append_c (self->keylog, '\n');
  if (self->keylog_func)
    self->keylog_func (line, self->keylog_data);
}

static void
ctx_common (MlTlsContext *self, SSL_CTX *ctx)
{
  SSL_CTX_set_app_data (ctx, self);
  SSL_CTX_set_keylog_callback (ctx, on_keylog);
  /* RFC 8996: nothing older than TLS 1.2. */
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  /* No session tickets (RFC 8446 4.6.1): a mail session is one connection,
   * and a ticket carries wall-clock time a repeatable run cannot have. */
  SSL_CTX_set_num_tickets (ctx, 0);
  SSL_CTX_set_options (ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode (ctx, SSL_SESS_CACHE_OFF);
}

static gboolean
set_ssl_error (GError **error, const char *what)
{
  char reason[256] = "unknown reason";

  ERR_error_string_n (ERR_get_error (), reason, sizeof reason);
  ERR_clear_error ();
  g_set_error (error, ML_TLS_PKI_ERROR, ML_TLS_PKI_ERROR_FAILED, "%s: %s", what, reason);
  return FALSE;
}

MlTlsContext *
ml_tls_context_new (gint64 epoch_unix, guint64 seed, gboolean deterministic, GError **error)
{
  g_autoptr(MlTlsContext) self = g_new0 (MlTlsContext, 1);
  X509_STORE *store;

  self->server_ctx = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) SSL_CTX_free);
  self->variants = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->keylog = g_string_new (NULL);
  if (deterministic && (self->libctx = ml_tls_rand_context_new (seed, error)) == NULL)
    return NULL;
  if ((self->pki = ml_tls_pki_new (self->libctx, epoch_unix, error)) == NULL)
    return NULL;

  self->client_ctx = SSL_CTX_new_ex (self->libctx, NULL, TLS_client_method ());
  if (self->client_ctx == NULL)
    {
      set_ssl_error (error, "creating the client TLS context");
      return NULL;
    }
  ctx_common (self, self->client_ctx);
  /* The run's CA is the only trust anchor (RFC 5280 6.1.1 (d)). */
  store = SSL_CTX_get_cert_store (self->client_ctx);
  if (!X509_STORE_add_cert (store, ml_tls_pki_get_ca_cert (self->pki)))
    {
      set_ssl_error (error, "trusting the run's CA");
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
ml_tls_context_free (MlTlsContext *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->server_ctx, g_hash_table_unref);
  g_clear_pointer (&self->variants, g_hash_table_unref);
  SSL_CTX_free (self->client_ctx);
  ml_tls_pki_free (self->pki);
  if (self->libctx)
    ml_tls_rand_context_free (self->libctx);
  if (self->keylog)
    g_string_free (self->keylog, TRUE);
  g_free (self);
}

MlTlsPki *
ml_tls_context_get_pki (MlTlsContext *self)
{
  return self->pki;
}

gboolean
ml_tls_context_set_server_certificate (MlTlsContext *self, const char *host_name,
                                       MlTlsCertVariant variant, GError **error)
{
  g_return_val_if_fail (host_name != NULL, FALSE);
  g_hash_table_insert (self->variants, g_strdup (host_name), GINT_TO_POINTER (variant));
  g_hash_table_remove (self->server_ctx, host_name);
  return TRUE;
}

static SSL_CTX *
server_ctx_for (MlTlsContext *self, const char *host_name, GError **error)
{
  SSL_CTX *ctx = g_hash_table_lookup (self->server_ctx, host_name);
  g_autoptr(MlTlsIdentity) id = NULL;
  MlTlsCertVariant variant;

  if (ctx != NULL)
    return ctx;
  variant = GPOINTER_TO_INT (g_hash_table_lookup (self->variants, host_name));
  if ((id = ml_tls_pki_issue (self->pki, host_name, variant, error)) == NULL)
    return NULL;
  ctx = SSL_CTX_new_ex (self->libctx, NULL, TLS_server_method ());
  if (ctx == NULL)
    {
      set_ssl_error (error, "creating a server TLS context");
      return NULL;
    }
  ctx_common (self, ctx);
  if (SSL_CTX_use_certificate (ctx, id->cert) != 1
      || SSL_CTX_use_PrivateKey (ctx, id->key) != 1)
    {
      SSL_CTX_free (ctx);
      set_ssl_error (error, "loading a host certificate");
      return NULL;
    }
  g_hash_table_insert (self->server_ctx, g_strdup (host_name), ctx);
  return ctx;
}

MlTlsStream *
ml_tls_context_wrap_server (MlTlsContext *self, const char *host_name, MlStream *inner,
                            GError **error)
{
  SSL_CTX *ctx = server_ctx_for (self, host_name, error);

  return ctx ? ml_tls_stream_new_server (inner, ctx) : NULL;
}

MlTlsStream *
ml_tls_context_wrap_client (MlTlsContext *self, const char *server_name, gint64 now_unix,
                            MlStream *inner)
{
  return ml_tls_stream_new_client (inner, self->client_ctx, server_name, now_unix);
}

void
ml_tls_context_set_keylog_func (MlTlsContext *self, MlTlsKeylogFunc func, gpointer user_data)
{
  self->keylog_func = func;
  self->keylog_data = user_data;
}

const GString *
ml_tls_context_get_keylog (MlTlsContext *self)
{
  return self->keylog;
}

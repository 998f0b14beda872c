#define G_LOG_DOMAIN "ml-live-tls"

#include <errno.h>
#include <time.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include "live/live-tls.h"
#include "tls/tls-pki.h"

static gboolean
set_openssl_error (GError **error, const char *what)
{
  char reason[256];

  ERR_error_string_n (ERR_get_error (), reason, sizeof reason);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, reason);
  ERR_clear_error ();
  return FALSE;
}

static gboolean
write_pem (const char *path, int mode, EVP_PKEY *key, X509 *first, X509 *second, GError **error)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data;
  long len;
  gboolean ok;

  if ((key && !PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL))
      || (first && !PEM_write_bio_X509 (bio, first))
      || (second && !PEM_write_bio_X509 (bio, second)))
    {
      BIO_free (bio);
      return set_openssl_error (error, path);
    }
  len = BIO_get_mem_data (bio, &data);
  ok = g_file_set_contents_full (path, data, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 mode, error);
  BIO_free (bio);
  return ok;
}

/* First run: a CA and the server's certificate, valid a year either side
 * of now (ML_TLS_PKI_VALIDITY_SECONDS). */
static gboolean
generate (const char *tls_dir, const char *hostname, const char *ca_path,
          const char *cert_path, const char *key_path, GError **error)
{
  g_autoptr(MlTlsPki) pki = NULL;
  g_autoptr(MlTlsIdentity) id = NULL;

  if (g_mkdir_with_parents (tls_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "mkdir %s: %s", tls_dir,
                   g_strerror (errno));
      return FALSE;
    }
  pki = ml_tls_pki_new (NULL, (gint64) time (NULL), error);
  if (pki == NULL)
    return FALSE;
  id = ml_tls_pki_issue (pki, hostname, ML_TLS_CERT_VALID, error);
  if (id == NULL)
    return FALSE;
  return write_pem (key_path, 0600, id->key, NULL, NULL, error)
    && write_pem (cert_path, 0644, NULL, id->cert, ml_tls_pki_get_ca_cert (pki), error)
    && write_pem (ca_path, 0644, NULL, ml_tls_pki_get_ca_cert (pki), NULL, error);
}

SSL_CTX *
ml_live_tls_context_new (const char *tls_dir, const char *hostname, const char *cert_file,
                         const char *key_file, char **ca_file_out, GError **error)
{
  g_autofree char *ca_path = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  SSL_CTX *ctx;

  if ((cert_file == NULL) != (key_file == NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--cert and --key go together");
      return NULL;
    }
  if (cert_file != NULL)
    {
      cert_path = g_strdup (cert_file);
      key_path = g_strdup (key_file);
    }
  else
    {
      ca_path = g_build_filename (tls_dir, "ca.pem", NULL);
      cert_path = g_build_filename (tls_dir, "server.pem", NULL);
      key_path = g_build_filename (tls_dir, "server.key", NULL);
      if ((!g_file_test (cert_path, G_FILE_TEST_EXISTS)
           || !g_file_test (key_path, G_FILE_TEST_EXISTS)
           || !g_file_test (ca_path, G_FILE_TEST_EXISTS))
          && !generate (tls_dir, hostname, ca_path, cert_path, key_path, error))
        return NULL;
    }
  ctx = SSL_CTX_new (TLS_server_method ());
  if (ctx == NULL)
    {
      set_openssl_error (error, "SSL_CTX_new");
      return NULL;
    }
  SSL_CTX_set_min_proto_version (ctx, ML_LIVE_TLS_MIN_VERSION);
  if (SSL_CTX_use_certificate_chain_file (ctx, cert_path) != 1
      || SSL_CTX_use_PrivateKey_file (ctx, key_path, SSL_FILETYPE_PEM) != 1
      || SSL_CTX_check_private_key (ctx) != 1)
    {
      set_openssl_error (error, cert_path);
      SSL_CTX_free (ctx);
      return NULL;
    }
  if (ca_file_out)
    *ca_file_out = g_steal_pointer (&ca_path);
  return ctx;
}

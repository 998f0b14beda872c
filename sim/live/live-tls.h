/* live-tls.h — the live server's certificate and TLS context.
 *
 * Given --cert/--key, those are used. Otherwise the data directory keeps
 * its own, made on the first run with the run PKI of tls-pki.h: a CA
 * ("ca.pem", for clients to trust: `curl --cacert`, Python's
 * ssl.create_default_context(cafile=…)) and a certificate for the server's
 * host name signed by it ("server.pem", the chain; "server.key", mode
 * 0600). The CA's key is not kept: to change the name, delete the folder.
 */
#pragma once

#include <openssl/ssl.h>
#include <glib.h>

G_BEGIN_DECLS

/* TLS 1.2 is the oldest version RFC 8996 and RFC 8314 4.1 leave us. */
#define ML_LIVE_TLS_MIN_VERSION  TLS1_2_VERSION

/* A server SSL_CTX (transfer full). @tls_dir is where the generated files
 * live; @cert_file/@key_file override them (both or neither). *@ca_file_out
 * (may be NULL) gets the CA file's path, NULL for given files. */
SSL_CTX *ml_live_tls_context_new (const char  *tls_dir,
                                  const char  *hostname,
                                  const char  *cert_file,
                                  const char  *key_file,
                                  char       **ca_file_out,
                                  GError     **error);

G_END_DECLS

/* tls-context.h — the TLS of one run: its CA, each server's certificate,
 * the client trust store, and the key log.
 *
 * A world has one MlTlsContext. Servers get their certificate by name
 * (issued once, on first use, in the variant the lesson asked for);
 * clients trust the run's CA and nothing else. Every handshake's secrets
 * go to the key-log function as NSS key-log lines, which the CLI writes
 * to --keylog and into the pcapng's Decryption Secrets Blocks.
 *
 * With a seed, every random byte comes from it (tls-rand.h), so a run
 * repeats to the last ciphertext byte.
 */
#pragma once

#include <openssl/ssl.h>
#include "tls/tls-pki.h"
#include "tls/tls-stream.h"

G_BEGIN_DECLS

/* NSS key-log format: "<label> <client_random hex> <secret hex>"; the
 * longest label is 31 characters, 32 bytes of random, a secret of at most
 * 48 bytes (SHA-384). A line longer than this is not ours. */
#define ML_TLS_KEYLOG_MAX_LINE  (31 + 1 + 64 + 1 + 96)

typedef struct _MlTlsContext MlTlsContext;

/* One line without its newline. Called during a handshake, before the
 * records it protects are written to the inner stream. */
typedef void (*MlTlsKeylogFunc) (const char *line, gpointer user_data);

/* @epoch_unix is when the run's clock starts (certificates are valid
 * around it). @deterministic: draw every random byte from @seed. */
MlTlsContext *ml_tls_context_new          (gint64     epoch_unix,
                                           guint64    seed,
                                           gboolean   deterministic,
                                           GError   **error);
void          ml_tls_context_free         (MlTlsContext *self);
MlTlsPki     *ml_tls_context_get_pki      (MlTlsContext *self);   /* borrowed */
/* Gives @host_name a certificate of @variant (before its first handshake;
 * a host never set gets a valid one). */
gboolean      ml_tls_context_set_server_certificate (MlTlsContext     *self,
                                                     const char       *host_name,
                                                     MlTlsCertVariant  variant,
                                                     GError          **error);
/* Wraps an accepted or connected stream. NULL with @error when the
 * host's certificate cannot be made. Transfer full. */
MlTlsStream  *ml_tls_context_wrap_server  (MlTlsContext *self,
                                           const char   *host_name,
                                           MlStream     *inner,
                                           GError      **error);
MlTlsStream  *ml_tls_context_wrap_client  (MlTlsContext *self,
                                           const char   *server_name,
                                           gint64        now_unix,
                                           MlStream     *inner);
void          ml_tls_context_set_keylog_func (MlTlsContext    *self,
                                              MlTlsKeylogFunc  func,
                                              gpointer         user_data);
/* Every key-log line of the run so far, each ending in "\n". Borrowed. */
const GString *ml_tls_context_get_keylog  (MlTlsContext *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlTlsContext, ml_tls_context_free)

G_END_DECLS

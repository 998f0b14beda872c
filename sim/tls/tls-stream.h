/* tls-stream.h — MlTlsStream, TLS over any other MlStream.
 *
 * An OpenSSL SSL runs over a memory BIO pair: plaintext written to this
 * stream is encrypted and written to the inner stream (simulated TCP, or a
 * socket), records arriving on the inner stream are decrypted and emitted
 * as data. So the ciphertext really crosses the wire and lands in the
 * capture, while the owner keeps working with plaintext.
 *
 * The TLS stream takes over the inner stream's callbacks. Like every
 * MlStream its callbacks never run inside ml_stream_write(): the handshake
 * and decryption advance only when the inner stream delivers bytes (or when
 * ml_tls_stream_start() sends the client's first flight).
 *
 * Plaintext written before the handshake is done is held and sent once it
 * is; a close asked for then waits for it too. An orderly close sends
 * close_notify (RFC 8446 6.1) before closing the inner stream.
 */
#pragma once

#include <openssl/ssl.h>
#include "stream/stream.h"

G_BEGIN_DECLS

/* RFC 8446 5.1: a record's plaintext is at most 2^14 octets; 5.2: its
 * ciphertext at most 2^14 + 256 plus the 5-octet header. */
#define ML_TLS_MAX_RECORD_PLAINTEXT   16384
#define ML_TLS_MAX_RECORD             (16384 + 256 + 5)
/* Each direction of the BIO pair holds two whole records. */
#define ML_TLS_BIO_BUFFER             (2 * ML_TLS_MAX_RECORD)
/* Plaintext the owner may write before the handshake is done. An engine
 * writes a reply or two there; more is a runaway writer. */
#define ML_TLS_MAX_PENDING_PLAINTEXT  (64 * 1024)

#define ML_TLS_ERROR (ml_tls_error_quark ())
typedef enum {
  ML_TLS_ERROR_CERTIFICATE,  /* the peer's certificate did not verify
                                (the message is OpenSSL's verify reason:
                                "certificate has expired", "hostname mismatch") */
  ML_TLS_ERROR_HANDSHAKE,    /* any other handshake failure, or the peer's alert */
  ML_TLS_ERROR_CLOSED,       /* the connection ended before the handshake did */
  ML_TLS_ERROR_PROTOCOL,     /* a bad record after the handshake */
  ML_TLS_ERROR_OVERFLOW,     /* more than ML_TLS_MAX_PENDING_PLAINTEXT held */
} MlTlsError;
GQuark ml_tls_error_quark (void);

#define ML_TYPE_TLS_STREAM (ml_tls_stream_get_type ())
G_DECLARE_FINAL_TYPE (MlTlsStream, ml_tls_stream, ML, TLS_STREAM, MlStream)

/* The handshake finished: @error is NULL on success; otherwise the stream
 * has sent its alert (if any) and is closing the inner stream, and the
 * closed callback follows with the same error. Called once. */
typedef void (*MlTlsHandshakeFunc) (MlTlsStream  *stream,
                                    const GError *error,
                                    gpointer      user_data);

/* @inner is referenced; @ctx is referenced (SSL_CTX_up_ref). The server
 * answers a ClientHello as it arrives. */
MlTlsStream *ml_tls_stream_new_server (MlStream *inner, SSL_CTX *ctx);
/* A client that sends SNI and checks @server_name against the
 * certificate's DNS-ID (RFC 7817 3, RFC 6125 6), verifying the chain at
 * @verify_time_unix (the virtual clock) with @ctx's trust store. The
 * handshake begins at ml_tls_stream_start(). */
MlTlsStream *ml_tls_stream_new_client (MlStream   *inner,
                                       SSL_CTX    *ctx,
                                       const char *server_name,
                                       gint64      verify_time_unix);
void         ml_tls_stream_set_handshake_func (MlTlsStream        *self,
                                               MlTlsHandshakeFunc  func,
                                               gpointer            user_data);
/* Client: send the ClientHello. Server: process whatever already came. */
void         ml_tls_stream_start             (MlTlsStream *self);
gboolean     ml_tls_stream_is_established    (MlTlsStream *self);
MlStream    *ml_tls_stream_get_inner         (MlTlsStream *self);  /* borrowed */
/* After the handshake: "TLSv1.3", "TLS_AES_256_GCM_SHA384"; NULL before. */
const char  *ml_tls_stream_get_version       (MlTlsStream *self);
const char  *ml_tls_stream_get_cipher        (MlTlsStream *self);
/* Client: the server's certificate chain and name verified. Server: the
 * client presented a verified certificate (never, in maillab). */
gboolean     ml_tls_stream_get_peer_verified (MlTlsStream *self);
/* The peer sent close_notify (RFC 8446 6.1). */
gboolean     ml_tls_stream_got_close_notify  (MlTlsStream *self);

G_END_DECLS

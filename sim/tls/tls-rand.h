/* tls-rand.h — OpenSSL randomness from the run's seed, for one library
 * context only.
 *
 * A simulated run must repeat itself: same lesson, same seed, same keys,
 * same handshakes, same pcap bytes. OpenSSL draws every random byte (key
 * shares, ClientHello.random, ECDSA nonces, certificate keys) from the
 * DRBGs of an OSSL_LIB_CTX. This module gives a context of its own a
 * random generator, served by a small built-in provider, that expands the
 * seed with SHA-256 in counter mode. Nothing else in the process is
 * touched: the default context, live mode and other worlds keep OpenSSL's
 * own DRBG.
 *
 * This is for simulated keys only. Predictable randomness is exactly what
 * TLS must never have on a real network.
 */
#pragma once

#include <glib.h>
#include <openssl/types.h>

G_BEGIN_DECLS

/* A new library context with the default provider (for the algorithms)
 * and the seeded generator (for every random byte). Free with
 * ml_tls_rand_context_free. NULL with @error if OpenSSL refuses. */
OSSL_LIB_CTX *ml_tls_rand_context_new  (guint64 seed, GError **error);
void          ml_tls_rand_context_free (OSSL_LIB_CTX *libctx);

G_END_DECLS

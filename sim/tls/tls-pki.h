/* tls-pki.h — a run's own certificate authority and host certificates.
 *
 * Every run makes its CA and the certificates of the hosts that speak TLS
 * in-process (EC P-256, X.509 v3), so no key or certificate is kept in the
 * repository and a lesson can ask for a broken certificate to show what a
 * client does with it. Validity is counted from the run's epoch (the
 * virtual clock), never from the wall clock, and clients verify at the
 * virtual time, so a lesson set in 2024 still verifies in 2030.
 *
 * Keys come from the OSSL_LIB_CTX given at creation: a simulation gives
 * one whose random source is seeded (tls-rand.h), so the same seed makes
 * the same keys and certificates.
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

/* How long the CA and a valid host certificate last around the epoch:
 * a year either side is plenty for a lesson and far from any edge. */
#define ML_TLS_PKI_VALIDITY_SECONDS  (G_GINT64_CONSTANT (365) * 24 * 3600)

#define ML_TLS_PKI_ERROR (ml_tls_pki_error_quark ())
typedef enum {
  ML_TLS_PKI_ERROR_FAILED,   /* OpenSSL refused; the message has its reason */
} MlTlsPkiError;
GQuark ml_tls_pki_error_quark (void);

/* The lesson's certificate variants (lesson.h MlLessonCertificate has the
 * same order). */
typedef enum {
  ML_TLS_CERT_VALID = 0,
  ML_TLS_CERT_WRONG_NAME,   /* issued by the CA, SAN for another name */
  ML_TLS_CERT_EXPIRED,      /* issued by the CA, notAfter before the epoch */
  ML_TLS_CERT_SELF_SIGNED,  /* signed by its own key, not by the CA */
} MlTlsCertVariant;

typedef struct _MlTlsPki MlTlsPki;

/* A host's key and certificate. Both owned by the identity. */
typedef struct {
  EVP_PKEY *key;
  X509     *cert;
} MlTlsIdentity;

/* Makes the CA ("maillab run CA", self-signed, basicConstraints CA:TRUE,
 * keyCertSign). @libctx is borrowed and must outlive the PKI (NULL: the
 * default context). */
MlTlsPki       *ml_tls_pki_new          (OSSL_LIB_CTX *libctx,
                                         gint64        epoch_unix,
                                         GError      **error);
void            ml_tls_pki_free         (MlTlsPki *self);
X509           *ml_tls_pki_get_ca_cert  (MlTlsPki *self);   /* borrowed */
gint64          ml_tls_pki_get_epoch    (MlTlsPki *self);
/* A certificate for @host_name (SAN dNSName, RFC 7817 3 rule 1, and the
 * same CN for old clients, rule 4) in the given variant. Transfer full. */
MlTlsIdentity  *ml_tls_pki_issue        (MlTlsPki         *self,
                                         const char       *host_name,
                                         MlTlsCertVariant  variant,
                                         GError          **error);
void            ml_tls_identity_free    (MlTlsIdentity *identity);
/* "valid", "wrong-name", "expired", "self-signed". */
const char     *ml_tls_cert_variant_to_string (MlTlsCertVariant variant);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlTlsPki, ml_tls_pki_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlTlsIdentity, ml_tls_identity_free)

G_END_DECLS

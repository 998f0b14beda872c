/* A run's CA and host certificates (RFC 5280 profiles, RFC 7817 names). */
#define G_LOG_DOMAIN "ml-tls"

#include "tls/tls-pki.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* The expired variant: valid for a year that ended a day before the
 * epoch, so "certificate has expired" is the only thing wrong with it. */
#define EXPIRED_MARGIN_SECONDS  (G_GINT64_CONSTANT (24) * 3600)
/* RFC 2606 6: a name that can never be anyone's. */
#define WRONG_NAME              "wrong-name.invalid"

struct _MlTlsPki
{
  OSSL_LIB_CTX  *libctx;
  gint64         epoch;
  MlTlsIdentity *ca;
  long           next_serial;
};

G_DEFINE_QUARK (ml-tls-pki-error-quark, ml_tls_pki_error)

static gboolean
set_openssl_error (GError **error, const char *what)
{
  unsigned long code = ERR_get_error ();
  char buf[256] = "unknown reason";

  if (code != 0)
    ERR_error_string_n (code, buf, sizeof buf);
  ERR_clear_error ();
  g_set_error (error, ML_TLS_PKI_ERROR, ML_TLS_PKI_ERROR_FAILED, "%s: %s", what, buf);
  return FALSE;
}

void
ml_tls_identity_free (MlTlsIdentity *identity)
{
  if (identity == NULL)
    return;
  EVP_PKEY_free (identity->key);
  X509_free (identity->cert);
  g_free (identity);
}

const char *
ml_tls_cert_variant_to_string (MlTlsCertVariant variant)
{
  switch (variant)
    {
    case ML_TLS_CERT_VALID:       return "valid";
    case ML_TLS_CERT_WRONG_NAME:  return "wrong-name";
    case ML_TLS_CERT_EXPIRED:     return "expired";
    case ML_TLS_CERT_SELF_SIGNED: return "self-signed";
    default:                      return "unknown";
    }
}

static gboolean
add_ext (X509 *cert, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX v3;
  X509_EXTENSION *ext;
  gboolean ok;

  X509V3_set_ctx (&v3, issuer, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &v3, nid, value);
  if (ext == NULL)
    return FALSE;
  ok = X509_add_ext (cert, ext, -1) == 1;
  X509_EXTENSION_free (ext);
  return ok;
}

/* One certificate: @issuer NULL makes it self-signed with @key. */
static X509 *
make_cert (MlTlsPki *self, EVP_PKEY *key, const char *cn, X509 *issuer,
           EVP_PKEY *issuer_key, gint64 not_before, gint64 not_after,
           gboolean is_ca, const char *dns_name)
{
  X509 *cert = X509_new_ex (self->libctx, NULL);
  X509_NAME *name = X509_get_subject_name (cert);
  g_autofree char *san = NULL;

  if (!X509_set_version (cert, X509_VERSION_3)
      || !ASN1_INTEGER_set (X509_get_serialNumber (cert), self->next_serial++)
      || !ASN1_TIME_set (X509_getm_notBefore (cert), (time_t) not_before)
      || !ASN1_TIME_set (X509_getm_notAfter (cert), (time_t) not_after)
      || !X509_set_pubkey (cert, key)
      || !X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8,
                                      (const guchar *) "maillab", -1, -1, 0)
      || !X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
                                      (const guchar *) cn, -1, -1, 0)
      || !X509_set_issuer_name (cert, issuer ? X509_get_subject_name (issuer) : name))
    goto fail;

  /* RFC 5280 4.2.1.9 and 4.2.1.3: a CA marks itself CA and may sign
   * certificates; an end entity is not a CA and signs handshakes. */
  if (is_ca)
    {
      if (!add_ext (cert, cert, NID_basic_constraints, "critical,CA:TRUE")
          || !add_ext (cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign")
          || !add_ext (cert, cert, NID_subject_key_identifier, "hash"))
        goto fail;
    }
  else
    {
      /* RFC 6761 6.3: "localhost" is the loopback addresses, and a client
       * that dials 127.0.0.1 checks an iPAddress SAN (RFC 6125 6.2.1, no
       * SNI for it either): the live server's default certificate names
       * both. Simulated hosts have other names, so their certificates —
       * and the runs' pcaps — stay as they were. */
      if (g_ascii_strcasecmp (dns_name, "localhost") == 0)
        san = g_strdup ("DNS:localhost,IP:127.0.0.1,IP:::1");
      else
        san = g_strdup_printf ("DNS:%s", dns_name);
      if (!add_ext (cert, issuer ? issuer : cert, NID_basic_constraints, "critical,CA:FALSE")
          || !add_ext (cert, issuer ? issuer : cert, NID_key_usage, "critical,digitalSignature")
          || !add_ext (cert, issuer ? issuer : cert, NID_ext_key_usage, "serverAuth")
          || !add_ext (cert, issuer ? issuer : cert, NID_subject_alt_name, san)
          || (issuer && !add_ext (cert, issuer, NID_authority_key_identifier, "keyid:always")))
        goto fail;
    }

  if (X509_sign (cert, issuer_key ? issuer_key : key, EVP_sha256 ()) <= 0)
    goto fail;
  return cert;

fail:
  X509_free (cert);
  return NULL;
}

static EVP_PKEY *
make_key (MlTlsPki *self)
{
  /* EC P-256: the curve every TLS 1.3 stack supports (RFC 8446 9.1). */
  return EVP_PKEY_Q_keygen (self->libctx, NULL, "EC", "P-256");
}

MlTlsPki *
ml_tls_pki_new (OSSL_LIB_CTX *libctx, gint64 epoch_unix, GError **error)
{
  g_autoptr(MlTlsPki) self = g_new0 (MlTlsPki, 1);
  MlTlsIdentity *ca = g_new0 (MlTlsIdentity, 1);

  self->libctx = libctx;
  self->epoch = epoch_unix;
  self->next_serial = 1;
  self->ca = ca;
  ca->key = make_key (self);
  if (ca->key == NULL)
    {
      set_openssl_error (error, "generating the CA key");
      return NULL;
    }
  ca->cert = make_cert (self, ca->key, "maillab run CA", NULL, NULL,
                        epoch_unix - ML_TLS_PKI_VALIDITY_SECONDS,
                        epoch_unix + 10 * ML_TLS_PKI_VALIDITY_SECONDS, TRUE, NULL);
  if (ca->cert == NULL)
    {
      set_openssl_error (error, "making the CA certificate");
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
ml_tls_pki_free (MlTlsPki *self)
{
  if (self == NULL)
    return;
  ml_tls_identity_free (self->ca);
  g_free (self);
}

X509 *
ml_tls_pki_get_ca_cert (MlTlsPki *self)
{
  return self->ca->cert;
}

gint64
ml_tls_pki_get_epoch (MlTlsPki *self)
{
  return self->epoch;
}

MlTlsIdentity *
ml_tls_pki_issue (MlTlsPki *self, const char *host_name, MlTlsCertVariant variant,
                  GError **error)
{
  g_autoptr(MlTlsIdentity) id = g_new0 (MlTlsIdentity, 1);
  const char *name = variant == ML_TLS_CERT_WRONG_NAME ? WRONG_NAME : host_name;
  gint64 not_before = self->epoch - ML_TLS_PKI_VALIDITY_SECONDS;
  gint64 not_after = self->epoch + ML_TLS_PKI_VALIDITY_SECONDS;
  gboolean own = variant == ML_TLS_CERT_SELF_SIGNED;

  g_return_val_if_fail (host_name != NULL, NULL);
  if (variant == ML_TLS_CERT_EXPIRED)
    {
      not_after = self->epoch - EXPIRED_MARGIN_SECONDS;
      not_before = not_after - ML_TLS_PKI_VALIDITY_SECONDS;
    }
  id->key = make_key (self);
  if (id->key == NULL)
    {
      set_openssl_error (error, "generating a host key");
      return NULL;
    }
  id->cert = make_cert (self, id->key, name, own ? NULL : self->ca->cert,
                        own ? NULL : self->ca->key, not_before, not_after, FALSE, name);
  if (id->cert == NULL)
    {
      set_openssl_error (error, "issuing a host certificate");
      return NULL;
    }
  return g_steal_pointer (&id);
}

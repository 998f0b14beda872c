/* A lesson host's TLS and login policy with the defaults lesson.h states. */
#define G_LOG_DOMAIN "ml-world"

#include <string.h>

#include "world/host-security.h"

void
ml_host_security_from_lesson (MlHostSecurity *out, const MlLessonHost *host)
{
  gboolean offers_tls;

  memset (out, 0, sizeof *out);
  if (host == NULL)
    {
      /* No TLS and no AUTH: the services as they were before either
       * existed (POP3 USER/PASS, IMAP LOGIN, open submission). */
      out->plaintext_auth = TRUE;
      return;
    }
  out->starttls = host->starttls;
  out->implicit_tls = host->implicit_tls;
  out->certificate = (MlTlsCertVariant) host->certificate;
  offers_tls = host->starttls || host->implicit_tls;

  /* Without an auth key, a host with TLS offers PLAIN and LOGIN (lesson.h);
   * one without TLS keeps the lessons written before AUTH unchanged and
   * offers none: a lesson that shows AUTH in the clear names it. */
  if (host->auth_mechanisms == NULL && offers_tls)
    out->sasl_mechanisms = (1u << ML_SASL_PLAIN) | (1u << ML_SASL_LOGIN);
  for (guint i = 0; host->auth_mechanisms && host->auth_mechanisms[i]; i++)
    {
      MlSaslMechanism m;

      /* The loader accepts only names we implement. */
      if (ml_sasl_mechanism_from_name (host->auth_mechanisms[i], &m))
        out->sasl_mechanisms |= 1u << m;
    }
  /* RFC 8314 4.1 and RFC 4954 4: no password in the clear when TLS is
   * there to protect it; a host without TLS has no other way. */
  out->plaintext_auth = host->plaintext_auth == ML_LESSON_DEFAULT
                        ? !offers_tls : host->plaintext_auth == ML_LESSON_YES;
  /* RFC 6409 4.3: submission authenticates its users; a lesson in the
   * clear keeps the old open submission unless it asks. */
  out->require_auth = host->require_auth == ML_LESSON_DEFAULT
                      ? offers_tls : host->require_auth == ML_LESSON_YES;
}

/* host-security.h — what a lesson host's TLS and login keys mean once
 * their defaults are applied (lesson.h MlLessonHost; lessons/README.md).
 *
 * One place turns the optional keys into decisions, so the SMTP, POP3
 * and IMAP services of a host agree: whether STARTTLS/STLS is offered,
 * whether the implicit-TLS ports listen (RFC 8314 3), which SASL
 * mechanisms are offered, whether a password may cross in the clear, and
 * whether submission needs AUTH (RFC 6409 4.3).
 */
#pragma once

#include "lesson/lesson.h"
#include "proto/sasl.h"
#include "tls/tls-pki.h"

G_BEGIN_DECLS

/* RFC 8314 3.3, 3.2, 3.1. */
#define ML_PORT_SUBMISSIONS  465
#define ML_PORT_IMAPS        993
#define ML_PORT_POP3S        995

typedef struct {
  gboolean          starttls;        /* STARTTLS / STLS offered */
  gboolean          implicit_tls;    /* 465, 993, 995 listen too */
  MlTlsCertVariant  certificate;
  guint             sasl_mechanisms; /* 1u << MlSaslMechanism each */
  gboolean          plaintext_auth;  /* PLAIN, LOGIN, USER/PASS before TLS */
  gboolean          require_auth;    /* submission: MAIL needs AUTH first */
} MlHostSecurity;

/* @host NULL gives the defaults of a host with none of the keys. */
void ml_host_security_from_lesson (MlHostSecurity     *out,
                                   const MlLessonHost *host);

G_END_DECLS

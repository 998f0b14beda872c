/* smtp-client-auth.h — the SMTP client's STARTTLS and AUTH decisions
 * (RFC 3207, RFC 4954), shared by smtp-client.c only. Not for other
 * modules.
 *
 * smtp-client.c owns the command queue and the wire; this part decides,
 * after each EHLO, whether to say STARTTLS or AUTH (or to give up), and
 * turns the server's 334 challenges into response lines through sasl.c.
 */
#pragma once

#include "proto/smtp-client.h"
#include "proto/sasl.h"

G_BEGIN_DECLS

typedef struct _MlSmtpClientSecurity MlSmtpClientSecurity;

typedef enum {
  ML_SMTP_SECURE_GO_ON = 0,   /* nothing (more) to do: send mail */
  ML_SMTP_SECURE_STARTTLS,    /* send "STARTTLS" */
  ML_SMTP_SECURE_AUTH,        /* send the AUTH line in *line_out */
  ML_SMTP_SECURE_GIVE_UP,     /* QUIT: *why_out and *explain_key_out say why */
} MlSmtpSecureAction;

typedef enum {
  ML_SMTP_AUTH_STEP_RESPOND = 0, /* send *line_out (base64, maybe empty) */
  ML_SMTP_AUTH_STEP_DONE,        /* 235 and, for SCRAM, the server verified */
  ML_SMTP_AUTH_STEP_FAILED,      /* QUIT: *why_out says why */
} MlSmtpAuthStep;

/* @config's user and password are copied. */
MlSmtpClientSecurity *_ml_smtp_client_security_new  (const MlSmtpClientConfig *config);
void                  _ml_smtp_client_security_free (MlSmtpClientSecurity *sec);

/* After a 250 to EHLO, with its capabilities. Strings are transfer full. */
MlSmtpSecureAction _ml_smtp_client_security_after_ehlo (MlSmtpClientSecurity     *sec,
                                                        const MlSmtpCapabilities *caps,
                                                        char                    **line_out,
                                                        char                    **why_out,
                                                        const char              **explain_key_out);
/* The server refused STARTTLS (454, 5yz): GO_ON in clear when the mode
 * allows it, GIVE_UP otherwise. */
MlSmtpSecureAction _ml_smtp_client_security_starttls_refused (MlSmtpClientSecurity *sec,
                                                              char                **why_out,
                                                              const char          **explain_key_out);
/* 220 to STARTTLS: from now on, bytes from the server are discarded until
 * tls_started(). */
void     _ml_smtp_client_security_tls_pending (MlSmtpClientSecurity *sec);
gboolean _ml_smtp_client_security_is_pending  (MlSmtpClientSecurity *sec);
/* Counts bytes discarded while pending. */
void     _ml_smtp_client_security_discard     (MlSmtpClientSecurity *sec, gsize len);
/* The handshake is done; returns the bytes that were discarded. */
guint64  _ml_smtp_client_security_tls_started (MlSmtpClientSecurity *sec);
gboolean _ml_smtp_client_security_tls_active  (MlSmtpClientSecurity *sec);

/* A reply to AUTH or to one of its response lines. */
MlSmtpAuthStep _ml_smtp_client_security_auth_reply (MlSmtpClientSecurity *sec,
                                                    const MlSmtpReply    *reply,
                                                    char                **line_out,
                                                    char                **why_out);
gboolean _ml_smtp_client_security_authenticated (MlSmtpClientSecurity *sec);
/* The mechanism being used, for explain keys ("smtp.auth.plain"); NULL
 * when no AUTH was started. Static. */
const char *_ml_smtp_client_security_mechanism_name (MlSmtpClientSecurity *sec);
/* TRUE while the mechanism sends the password readable and TLS is off. */
gboolean _ml_smtp_client_security_sends_cleartext (MlSmtpClientSecurity *sec);

G_END_DECLS

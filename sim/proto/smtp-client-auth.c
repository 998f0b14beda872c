/* smtp-client-auth.c — when the SMTP client says STARTTLS (RFC 3207) and
 * how it logs in with AUTH (RFC 4954), over the mechanisms of sasl.c.
 */
#define G_LOG_DOMAIN "ml-smtp-client"

#include <string.h>
#include <openssl/crypto.h>
#include "proto/smtp-client-auth.h"

struct _MlSmtpClientSecurity
{
  MlSmtpClientTls   tls;
  MlSmtpClientAuth  auth;
  char             *user;
  char             *password;
  gboolean          allow_plaintext;
  guint64           nonce_seed;

  gboolean          tls_active;
  gboolean          tls_pending;
  gboolean          starttls_tried;   /* sent once; refused in clear */
  guint64           discarded;

  gboolean          auth_tried;
  gboolean          authenticated;
  MlSaslMechanism   mechanism;
  MlSaslClient     *sasl;
};

MlSmtpClientSecurity *
_ml_smtp_client_security_new (const MlSmtpClientConfig *config)
{
  MlSmtpClientSecurity *sec = g_new0 (MlSmtpClientSecurity, 1);

  sec->tls = config->tls;
  sec->auth = config->auth;
  sec->user = g_strdup (config->user);
  sec->password = g_strdup (config->password);
  sec->allow_plaintext = config->allow_plaintext_auth;
  sec->nonce_seed = config->sasl_nonce_seed;
  /* RFC 8314 3.3: the owner did the handshake before the greeting. */
  sec->tls_active = config->tls == ML_SMTP_CLIENT_TLS_IMPLICIT;
  return sec;
}

void
_ml_smtp_client_security_free (MlSmtpClientSecurity *sec)
{
  if (sec == NULL)
    return;
  if (sec->password != NULL)
    OPENSSL_cleanse (sec->password, strlen (sec->password));
  g_free (sec->password);
  g_free (sec->user);
  ml_sasl_client_free (sec->sasl);
  g_free (sec);
}

static gboolean
offered (const MlSmtpCapabilities *caps, MlSaslMechanism m)
{
  const char * const *mechs = ml_smtp_capabilities_get_auth_mechanisms (caps);

  for (guint i = 0; mechs != NULL && mechs[i] != NULL; i++)
    if (g_ascii_strcasecmp (mechs[i], ml_sasl_mechanism_name (m)) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
allowed_now (MlSmtpClientSecurity *sec, MlSaslMechanism m)
{
  return sec->tls_active || sec->allow_plaintext || !ml_sasl_mechanism_is_plaintext (m);
}

/* Picks the mechanism; FALSE with @why when there is none to use. */
static gboolean
choose_mechanism (MlSmtpClientSecurity *sec, const MlSmtpCapabilities *caps,
                  MlSaslMechanism *out, char **why, const char **key)
{
  /* Strongest first: SCRAM never shows the password (RFC 7677). */
  static const MlSaslMechanism preference[] = {
    ML_SASL_SCRAM_SHA_256, ML_SASL_PLAIN, ML_SASL_LOGIN,
  };
  MlSaslMechanism wanted;

  if (!ml_smtp_capabilities_has (caps, ML_SMTP_EXT_AUTH))
    {
      *why = g_strdup ("the server did not offer AUTH (RFC 4954 3)");
      *key = "smtp.client.auth.missing";
      return FALSE;
    }
  if (sec->auth == ML_SMTP_CLIENT_AUTH_BEST)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (preference); i++)
        if (offered (caps, preference[i]) && allowed_now (sec, preference[i]))
          {
            *out = preference[i];
            return TRUE;
          }
      *why = g_strdup ("no mechanism the server offers may be used here: PLAIN and LOGIN "
                       "would send the password in clear");
      *key = "smtp.client.auth.refused";
      return FALSE;
    }
  wanted = sec->auth == ML_SMTP_CLIENT_AUTH_PLAIN ? ML_SASL_PLAIN
           : sec->auth == ML_SMTP_CLIENT_AUTH_LOGIN ? ML_SASL_LOGIN
           : ML_SASL_SCRAM_SHA_256;
  if (!offered (caps, wanted))
    {
      *why = g_strdup_printf ("the server did not offer AUTH %s", ml_sasl_mechanism_name (wanted));
      *key = "smtp.client.auth.missing";
      return FALSE;
    }
  if (!allowed_now (sec, wanted))
    {
      *why = g_strdup_printf ("refusing to send the password in clear with %s outside TLS",
                              ml_sasl_mechanism_name (wanted));
      *key = "smtp.client.auth.refused";
      return FALSE;
    }
  *out = wanted;
  return TRUE;
}

MlSmtpSecureAction
_ml_smtp_client_security_after_ehlo (MlSmtpClientSecurity *sec, const MlSmtpCapabilities *caps,
                                     char **line_out, char **why_out, const char **explain_key_out)
{
  *line_out = NULL;
  *why_out = NULL;
  *explain_key_out = NULL;

  if (!sec->tls_active && !sec->starttls_tried
      && (sec->tls == ML_SMTP_CLIENT_TLS_OPPORTUNISTIC || sec->tls == ML_SMTP_CLIENT_TLS_REQUIRED))
    {
      if (ml_smtp_capabilities_has (caps, ML_SMTP_EXT_STARTTLS))
        {
          sec->starttls_tried = TRUE;
          return ML_SMTP_SECURE_STARTTLS;
        }
      if (sec->tls == ML_SMTP_CLIENT_TLS_REQUIRED)
        {
          /* RFC 3207 5: a man in the middle can delete STARTTLS from
           * the EHLO reply; a client that requires TLS must stop here. */
          *why_out = g_strdup ("the server did not offer STARTTLS (possible downgrade)");
          *explain_key_out = "smtp.client.tls.missing";
          return ML_SMTP_SECURE_GIVE_UP;
        }
    }

  if (sec->auth == ML_SMTP_CLIENT_AUTH_NONE || sec->auth_tried)
    return ML_SMTP_SECURE_GO_ON;
  if (sec->user == NULL || sec->password == NULL)
    {
      *why_out = g_strdup ("AUTH configured without a user name and password");
      *explain_key_out = "smtp.client.auth.refused";
      return ML_SMTP_SECURE_GIVE_UP;
    }
  if (!choose_mechanism (sec, caps, &sec->mechanism, why_out, explain_key_out))
    return ML_SMTP_SECURE_GIVE_UP;

  sec->auth_tried = TRUE;
  sec->sasl = ml_sasl_client_new (sec->mechanism, sec->user, sec->password, sec->nonce_seed);
  {
    g_autoptr(GBytes) initial = ml_sasl_client_initial (sec->sasl);

    /* RFC 4954 4: the initial response on the AUTH line saves a round
     * trip; "=" would be an empty one. LOGIN has none and waits. */
    if (initial != NULL)
      {
        g_autofree char *b64 = ml_sasl_base64_encode (g_bytes_get_data (initial, NULL),
                                                      g_bytes_get_size (initial));

        *line_out = g_strdup_printf ("AUTH %s %s", ml_sasl_mechanism_name (sec->mechanism), b64);
      }
    else
      *line_out = g_strdup_printf ("AUTH %s", ml_sasl_mechanism_name (sec->mechanism));
  }
  return ML_SMTP_SECURE_AUTH;
}

MlSmtpSecureAction
_ml_smtp_client_security_starttls_refused (MlSmtpClientSecurity *sec, char **why_out,
                                           const char **explain_key_out)
{
  *why_out = NULL;
  *explain_key_out = NULL;
  if (sec->tls == ML_SMTP_CLIENT_TLS_REQUIRED)
    {
      *why_out = g_strdup ("the server refused STARTTLS and TLS is required");
      *explain_key_out = "smtp.client.tls.missing";
      return ML_SMTP_SECURE_GIVE_UP;
    }
  /* RFC 3207 4.1: an opportunistic client may go on in clear. */
  return ML_SMTP_SECURE_GO_ON;
}

void
_ml_smtp_client_security_tls_pending (MlSmtpClientSecurity *sec)
{
  sec->tls_pending = TRUE;
  sec->discarded = 0;
}

gboolean
_ml_smtp_client_security_is_pending (MlSmtpClientSecurity *sec)
{
  return sec->tls_pending;
}

void
_ml_smtp_client_security_discard (MlSmtpClientSecurity *sec, gsize len)
{
  sec->discarded += len;
}

guint64
_ml_smtp_client_security_tls_started (MlSmtpClientSecurity *sec)
{
  sec->tls_pending = FALSE;
  sec->tls_active = TRUE;
  return sec->discarded;
}

gboolean
_ml_smtp_client_security_tls_active (MlSmtpClientSecurity *sec)
{
  return sec->tls_active;
}

MlSmtpAuthStep
_ml_smtp_client_security_auth_reply (MlSmtpClientSecurity *sec, const MlSmtpReply *reply,
                                     char **line_out, char **why_out)
{
  *line_out = NULL;
  *why_out = NULL;

  if (sec->sasl == NULL)
    {
      *why_out = g_strdup ("a reply to an AUTH that was not sent");
      return ML_SMTP_AUTH_STEP_FAILED;
    }
  if (reply->code == 334)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) challenge = NULL;
      g_autoptr(GBytes) response = NULL;
      const char *text = reply->lines != NULL && reply->lines[0] != NULL ? reply->lines[0] : "";

      /* RFC 4954 4: the challenge is base64 after "334 ". */
      challenge = ml_sasl_base64_decode (text, strlen (text), &error);
      if (challenge != NULL)
        response = ml_sasl_client_step (sec->sasl, challenge, &error);
      if (response == NULL)
        {
          /* RFC 4954 4: "*" would cancel; a client that does not trust the
           * server any more simply ends the session. */
          *why_out = g_strdup_printf ("AUTH %s: %s", ml_sasl_mechanism_name (sec->mechanism),
                                      error != NULL ? error->message : "bad challenge");
          return ML_SMTP_AUTH_STEP_FAILED;
        }
      /* An empty response is an empty line (the answer to SCRAM's v=). */
      *line_out = g_bytes_get_size (response) == 0
                  ? g_strdup ("")
                  : g_base64_encode (g_bytes_get_data (response, NULL), g_bytes_get_size (response));
      return ML_SMTP_AUTH_STEP_RESPOND;
    }
  if (reply->code / 100 == 2)
    {
      /* RFC 5802 5: the client must check the server's signature; a 235
       * without it comes from a server that never proved it knows us. */
      if (!ml_sasl_client_server_verified (sec->sasl))
        {
          *why_out = g_strdup ("the server accepted SCRAM without proving it knows the password "
                               "(RFC 5802 3 ServerSignature)");
          return ML_SMTP_AUTH_STEP_FAILED;
        }
      sec->authenticated = TRUE;
      g_clear_pointer (&sec->sasl, ml_sasl_client_free);
      return ML_SMTP_AUTH_STEP_DONE;
    }
  *why_out = g_strdup_printf ("the server refused AUTH %s", ml_sasl_mechanism_name (sec->mechanism));
  return ML_SMTP_AUTH_STEP_FAILED;
}

gboolean
_ml_smtp_client_security_authenticated (MlSmtpClientSecurity *sec)
{
  return sec->authenticated;
}

const char *
_ml_smtp_client_security_mechanism_name (MlSmtpClientSecurity *sec)
{
  return sec->auth_tried ? ml_sasl_mechanism_name (sec->mechanism) : NULL;
}

gboolean
_ml_smtp_client_security_sends_cleartext (MlSmtpClientSecurity *sec)
{
  return sec->auth_tried && !sec->tls_active && ml_sasl_mechanism_is_plaintext (sec->mechanism);
}

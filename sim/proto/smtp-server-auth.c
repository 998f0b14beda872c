/* smtp-server-auth.c — STARTTLS (RFC 3207) and AUTH (RFC 4954) in the
 * SMTP server engine.
 *
 * The SASL mechanisms themselves are in sasl.c; this file does the SMTP
 * framing: the EHLO keywords, the 334 challenges in base64, "*" to cancel,
 * the reply codes of RFC 4954 6, and the policies a submission server
 * applies (no plaintext password before TLS, no mail before AUTH).
 */
#define G_LOG_DOMAIN "ml-smtp-server"

#include <string.h>
#include "proto/smtp-server-private.h"

/* RFC 4422 3.1: a mechanism name is 1 to 20 characters. */
#define ML_SMTP_MAX_MECHANISM_NAME 20

/* With no lookup in the policy, nobody exists: every AUTH gets 535. */
static gboolean
lookup_nobody (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  return FALSE;
}

static void
push_transaction (MlSmtpServer *self, const char *explain_key, char *detail /* steals */)
{
  MlEngineEvent *event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);

  event->explain_key = g_strdup (explain_key);
  event->detail = detail;
  _ml_smtp_server_push_event (self, event);
}

static gboolean
mechanism_offered (MlSmtpServer *self, MlSaslMechanism m)
{
  return (self->config.auth_mechanisms & (1u << m)) != 0;
}

/* RFC 4954 6 (538) and Postfix's smtpd_tls_auth_only: a password in
 * clear is a password given away. */
static gboolean
mechanism_refused_in_clear (MlSmtpServer *self, MlSaslMechanism m)
{
  return !self->tls_active && self->config.auth_plaintext_needs_tls
         && ml_sasl_mechanism_is_plaintext (m);
}

static gboolean
starttls_offered (MlSmtpServer *self)
{
  return self->config.tls == ML_SMTP_TLS_STARTTLS && !self->tls_active;
}

void
_ml_smtp_server_append_ehlo_keywords (MlSmtpServer *self, GString *s)
{
  gboolean any = FALSE;

  /* RFC 3207 4.2: not offered again once TLS is on. */
  if (starttls_offered (self))
    g_string_append (s, "\nSTARTTLS");
  /* RFC 4954 3: AUTH and the mechanisms usable now; RFC 4954 6 asks not
   * to list the ones that would get a 538. */
  for (MlSaslMechanism m = 0; m < ML_SASL_N_MECHANISMS; m++)
    {
      if (!mechanism_offered (self, m) || mechanism_refused_in_clear (self, m))
        continue;
      g_string_append (s, any ? " " : "\nAUTH ");
      g_string_append (s, ml_sasl_mechanism_name (m));
      any = TRUE;
    }
}

gsize
_ml_smtp_server_command_line_max (MlSmtpServer *self)
{
  gsize max = self->config.auth_mechanisms != 0
              ? ML_SMTP_MAX_COMMAND_LINE + ML_SMTP_AUTH_PARAM_EXTRA
              : ML_SMTP_MAX_COMMAND_LINE;

  /* RFC 3461 5.4: a line long enough for the longest DSN parameters
   * (" NOTIFY=" 28 characters and " ORCPT=" 500 on one RCPT). */
  if (self->config.offer_dsn)
    max += ML_SMTP_DSN_PARAM_EXTRA;
  return max;
}

void
_ml_smtp_server_auth_clear (MlSmtpServer *self)
{
  g_clear_pointer (&self->sasl, ml_sasl_server_free);
  self->sasl_success_sent = FALSE;
  ml_line_buffer_set_max (self->input, _ml_smtp_server_command_line_max (self));
}

/* ---- STARTTLS (RFC 3207 4) ---- */

void
_ml_smtp_server_cmd_starttls (MlSmtpServer *self, const char *args)
{
  if (args[0] != '\0')
    {
      _ml_smtp_server_reply (self, 501, "5.5.4", "Syntax error (no parameters allowed)");
      return;
    }
  if (self->tls_active)
    {
      /* RFC 3207 4.2: STARTTLS is not offered, nor taken, a second time. */
      _ml_smtp_server_reply (self, 503, "5.5.1", "Error: TLS already active");
      return;
    }
  if (self->config.tls != ML_SMTP_TLS_STARTTLS)
    {
      /* Not configured: not implemented (RFC 5321 4.2.4), as Postfix
       * without TLS answers. */
      _ml_smtp_server_reply (self, 502, "5.5.1", "Error: command not implemented");
      return;
    }
  if (self->tls_unavailable)
    {
      /* RFC 3207 4: offered, but the owner cannot do TLS right now. */
      _ml_smtp_server_reply (self, 454, "4.7.0", "TLS not available due to temporary reason");
      return;
    }
  if (self->state == ML_SMTP_SERVER_STATE_MAIL || self->state == ML_SMTP_SERVER_STATE_RCPT)
    {
      /* The transaction would be forgotten by the reset of RFC 3207 4.2;
       * Postfix refuses the same way. */
      _ml_smtp_server_reply (self, 503, "5.5.1", "Error: MAIL transaction in progress");
      return;
    }
  _ml_smtp_server_reply (self, 220, "2.0.0", "Ready to start TLS");
  {
    MlEngineEvent *event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_START_TLS, FALSE);

    event->explain_key = g_strdup ("smtp.starttls");
    event->detail = g_strdup ("TLS handshake as server");
    _ml_smtp_server_push_event (self, event);
  }
  self->tls_pending = TRUE;
  self->tls_discarded = ml_line_buffer_available (self->input);
  /* RFC 3207 4.2 / CVE-2011-0411: whatever followed STARTTLS in the clear
   * must never be read as if it had come through TLS. */
  ml_line_buffer_clear (self->input);
}

void
ml_smtp_server_tls_started (MlSmtpServer *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->tls_pending);

  if (self->tls_discarded > 0)
    push_transaction (self, "smtp.starttls.discarded",
                      g_strdup_printf ("%" G_GUINT64_FORMAT " octets sent in the clear after "
                                       "STARTTLS were discarded, not run as commands "
                                       "(RFC 3207 4.2)", self->tls_discarded));
  self->tls_pending = FALSE;
  self->tls_active = TRUE;
  self->tls_discarded = 0;
  /* RFC 3207 4.2: discard any knowledge obtained from the client, the
   * EHLO argument included; the client starts again with EHLO. */
  _ml_smtp_server_reset_transaction (self);
  _ml_smtp_server_auth_clear (self);
  g_clear_pointer (&self->helo_name, g_free);
  g_clear_pointer (&self->auth_user, g_free);
  self->esmtp = FALSE;
  push_transaction (self, "smtp.tls.established",
                    g_strdup ("TLS established: what follows is encrypted on the wire"));
  /* The state may already be GREETING (STARTTLS before EHLO). */
  _ml_smtp_server_set_state (self, ML_SMTP_SERVER_STATE_GREETING);
}

/* ---- AUTH (RFC 4954 4) ---- */

static char *
explain_key_for (MlSaslMechanism m)
{
  g_autofree char *lower = g_ascii_strdown (ml_sasl_mechanism_name (m), -1);

  return g_strconcat ("smtp.auth.", lower, NULL);
}

static void
auth_finished_failed (MlSmtpServer *self, const GError *error)
{
  g_autofree char *key = explain_key_for (self->sasl_mechanism);
  const char *why = error != NULL ? error->message : "authentication failed";

  self->auth_failures++;
  self->failure_delay_ms = self->config.auth_failure_delay_ms;
  push_transaction (self, key,
                    g_strdup_printf ("%s failed: %s; the reply waits %u ms (slows guessing)",
                                     ml_sasl_mechanism_name (self->sasl_mechanism), why,
                                     self->failure_delay_ms));
  _ml_smtp_server_auth_clear (self);
  _ml_smtp_server_reply (self, 535, "5.7.8", "Error: authentication failed");
  if (self->auth_failures >= ML_SMTP_MAX_AUTH_FAILURES)
    {
      _ml_smtp_server_replyf (self, 421, "4.7.0", "%s Error: too many authentication failures",
                              self->config.hostname);
      _ml_smtp_server_close (self, "too many AUTH failures");
    }
}

static void
auth_succeeded (MlSmtpServer *self)
{
  g_autofree char *key = explain_key_for (self->sasl_mechanism);

  g_free (self->auth_user);
  self->auth_user = g_strdup (ml_sasl_server_get_user (self->sasl));
  push_transaction (self, key,
                    g_strdup_printf ("authenticated as %s with %s", self->auth_user,
                                     ml_sasl_mechanism_name (self->sasl_mechanism)));
  _ml_smtp_server_auth_clear (self);
  _ml_smtp_server_reply (self, 235, "2.7.0", "Authentication successful");
}

/* Tells the class what went over the wire: a plaintext mechanism outside
 * TLS has just handed the password to every eavesdropper. */
static void
note_cleartext (MlSmtpServer *self)
{
  const char *who;

  if (self->tls_active || !ml_sasl_mechanism_is_plaintext (self->sasl_mechanism))
    return;
  who = ml_sasl_server_get_authcid (self->sasl);
  push_transaction (self, "smtp.auth.cleartext",
                    g_strdup_printf ("%s credentials for %s (password visible to anyone on "
                                     "the path: base64 is an encoding, not encryption)",
                                     ml_sasl_mechanism_name (self->sasl_mechanism),
                                     who != NULL ? who : "an unnamed user"));
}

/* Runs one step of the mechanism on @response (NULL: no initial
 * response) and answers it. */
static void
auth_step (MlSmtpServer *self, GBytes *response)
{
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  MlSaslStep step = ml_sasl_server_step (self->sasl, response, &out, &error);

  switch (step)
    {
    case ML_SASL_STEP_CONTINUE:
      {
        g_autofree char *b64 = g_base64_encode (g_bytes_get_data (out, NULL),
                                                g_bytes_get_size (out));

        /* RFC 4954 4: "334 " and the base64 challenge, maybe empty. */
        _ml_smtp_server_reply (self, 334, NULL, b64);
        return;
      }
    case ML_SASL_STEP_SUCCESS:
      note_cleartext (self);
      if (out != NULL && g_bytes_get_size (out) > 0)
        {
          g_autofree char *b64 = g_base64_encode (g_bytes_get_data (out, NULL),
                                                  g_bytes_get_size (out));

          /* RFC 4954 4: SMTP's 235 carries no data, so the server's
           * final data goes out as one more 334 and the client answers
           * it with an empty line (RFC 4422 3.6). */
          self->sasl_success_sent = TRUE;
          _ml_smtp_server_reply (self, 334, NULL, b64);
          return;
        }
      auth_succeeded (self);
      return;
    case ML_SASL_STEP_FAILURE:
    default:
      break;
    }

  if (g_error_matches (error, ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED))
    {
      g_autofree char *key = explain_key_for (self->sasl_mechanism);

      push_transaction (self, key, g_strdup_printf ("%s exchange malformed: %s",
                                                    ml_sasl_mechanism_name (self->sasl_mechanism),
                                                    error->message));
      _ml_smtp_server_auth_clear (self);
      _ml_smtp_server_reply (self, 501, "5.5.2", "Error: malformed authentication data");
      return;
    }
  note_cleartext (self);
  auth_finished_failed (self, error);
}

/* RFC 4954 4: base64 or nothing; a message over the mechanisms' bound is
 * 500 5.5.6, other bad base64 501 5.5.2. Answers and returns NULL. */
static GBytes *
decode_or_answer (MlSmtpServer *self, const char *text, gsize len)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  if (len > (ML_SASL_MAX_MESSAGE + 2) / 3 * 4)
    {
      _ml_smtp_server_auth_clear (self);
      _ml_smtp_server_reply (self, 500, "5.5.6", "Error: authentication exchange line is too long");
      return NULL;
    }
  bytes = ml_sasl_base64_decode (text, len, &error);
  if (bytes == NULL)
    {
      _ml_smtp_server_auth_clear (self);
      _ml_smtp_server_reply (self, 501, "5.5.2", "Error: invalid base64 data");
    }
  return bytes;
}

void
_ml_smtp_server_cmd_auth (MlSmtpServer *self, const char *args)
{
  g_autofree char *name = NULL;
  const char *sp;
  const char *initial = NULL;
  MlSaslMechanism mechanism;
  g_autoptr(GBytes) response = NULL;

  if (self->config.auth_mechanisms == 0)
    {
      /* Not configured: the command is not implemented (RFC 5321 4.2.4). */
      _ml_smtp_server_reply (self, 502, "5.5.1", "Error: command not implemented");
      return;
    }
  if (!self->esmtp)
    {
      /* AUTH is an extension: only after EHLO has listed it (RFC 4954 3). */
      _ml_smtp_server_reply (self, 503, "5.5.1", "Error: send EHLO first");
      return;
    }
  if (self->state != ML_SMTP_SERVER_STATE_READY)
    {
      /* RFC 4954 4: not permitted during a mail transaction. */
      _ml_smtp_server_reply (self, 503, "5.5.1", "Error: MAIL transaction in progress");
      return;
    }
  if (self->auth_user != NULL)
    {
      /* RFC 4954 4: after a successful AUTH, further ones get 503. */
      _ml_smtp_server_reply (self, 503, "5.5.1", "Error: already authenticated");
      return;
    }
  sp = strchr (args, ' ');
  name = g_strndup (args, sp != NULL ? (gsize) (sp - args) : strlen (args));
  if (sp != NULL)
    initial = sp + 1;
  if (name[0] == '\0' || (initial != NULL && (initial[0] == '\0' || strchr (initial, ' ') != NULL)))
    {
      _ml_smtp_server_reply (self, 501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
      return;
    }
  if (strlen (name) > ML_SMTP_MAX_MECHANISM_NAME
      || !ml_sasl_mechanism_from_name (name, &mechanism)
      || !mechanism_offered (self, mechanism))
    {
      _ml_smtp_server_reply (self, 504, "5.5.4", "Error: unrecognized authentication type");
      return;
    }
  if (mechanism_refused_in_clear (self, mechanism))
    {
      g_autofree char *key = explain_key_for (mechanism);

      push_transaction (self, key,
                        g_strdup_printf ("%s refused before STARTTLS: it would send the "
                                         "password readable by anyone on the path",
                                         ml_sasl_mechanism_name (mechanism)));
      _ml_smtp_server_reply (self, 538, "5.7.11",
                             "Error: encryption required for requested authentication mechanism");
      return;
    }
  /* RFC 4954 4: "=" is an empty initial response. */
  if (initial != NULL && (response = decode_or_answer (self, initial, strlen (initial))) == NULL)
    return;

  self->sasl_mechanism = mechanism;
  self->auth_attempts++;
  self->sasl = ml_sasl_server_new (mechanism, self->policy.lookup_secret != NULL
                                                ? self->policy.lookup_secret : lookup_nobody,
                                   self->policy_data,
                                   self->config.sasl_nonce_seed + self->auth_attempts);
  ml_line_buffer_set_max (self->input, ML_SMTP_MAX_AUTH_LINE);
  auth_step (self, response);
}

void
_ml_smtp_server_auth_line (MlSmtpServer *self, const char *line, gsize len, gboolean too_long)
{
  g_autofree char *text = too_long ? g_strdup ("") : g_strndup (line, len);
  MlEngineEvent *event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_COMMAND, FALSE);
  g_autoptr(GBytes) response = NULL;

  /* The response as the wire carries it: base64, not the secret decoded. */
  event->line = g_utf8_make_valid (text, -1);
  event->explain_key = g_strdup (len == 1 && line[0] == '*' ? "smtp.auth.cancel"
                                                             : "smtp.auth.response");
  _ml_smtp_server_push_event (self, event);

  if (too_long)
    {
      _ml_smtp_server_auth_clear (self);
      _ml_smtp_server_reply (self, 500, "5.5.6", "Error: authentication exchange line is too long");
      return;
    }
  /* RFC 4954 4: "*" cancels the exchange with a 501. */
  if (len == 1 && line[0] == '*')
    {
      _ml_smtp_server_auth_clear (self);
      _ml_smtp_server_reply (self, 501, "5.0.0", "Error: authentication cancelled");
      return;
    }
  if (self->sasl_success_sent)
    {
      /* The answer to the server's final data must be empty (RFC 4422
       * 3.6); anything else is a failed exchange. */
      if (len != 0)
        {
          g_autoptr(GError) error = g_error_new_literal (ML_SASL_ERROR, ML_SASL_ERROR_MALFORMED,
                                                         "data after the server's final message");

          auth_finished_failed (self, error);
          return;
        }
      auth_succeeded (self);
      return;
    }
  if ((response = decode_or_answer (self, text, len)) == NULL)
    return;
  auth_step (self, response);
}

gboolean
_ml_smtp_server_auth_allows_mail (MlSmtpServer *self)
{
  if (!self->config.require_auth || self->auth_user != NULL)
    return TRUE;
  /* RFC 4954 6, RFC 6409 4.3: submission takes mail only from users. */
  _ml_smtp_server_reply (self, 530, "5.7.0", "Error: authentication required");
  return FALSE;
}

/* RFC 4954 5: AUTH=<mailbox> or AUTH=<>, as xtext (RFC 3461 4). The
 * value says who the message came from when it was submitted; we keep
 * nothing of it (5: a server that does not trust the client treats it as
 * AUTH=<>), but refuse what is not xtext. */
gboolean
_ml_smtp_server_check_auth_param (MlSmtpServer *self, const char *value)
{
  gsize n = value != NULL ? strlen (value) : 0;

  if (n == 0 || n > ML_SMTP_AUTH_PARAM_EXTRA)
    {
      _ml_smtp_server_reply (self, 501, "5.5.4", "Error: bad AUTH parameter");
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    {
      guchar c = (guchar) value[i];

      /* xchar = %x21-2A / %x2C-3C / %x3E-7E; hexchar = "+" 2HEXDIG. */
      if (c == '+')
        {
          if (i + 2 >= n || !g_ascii_isxdigit (value[i + 1]) || !g_ascii_isxdigit (value[i + 2])
              || g_ascii_islower (value[i + 1]) || g_ascii_islower (value[i + 2]))
            {
              _ml_smtp_server_reply (self, 501, "5.5.4", "Error: bad AUTH parameter");
              return FALSE;
            }
          i += 2;
          continue;
        }
      if (c < 0x21 || c > 0x7e || c == '=')
        {
          _ml_smtp_server_reply (self, 501, "5.5.4", "Error: bad AUTH parameter");
          return FALSE;
        }
    }
  return TRUE;
}

void
ml_smtp_server_set_tls_available (MlSmtpServer *self, gboolean available)
{
  g_return_if_fail (self != NULL);
  self->tls_unavailable = !available;
}

gboolean
ml_smtp_server_is_tls_active (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->tls_active;
}

const char *
ml_smtp_server_get_auth_user (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->auth_user;
}

guint
ml_smtp_server_failure_delay (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->failure_delay_ms;
}

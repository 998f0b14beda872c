/* imap-client-auth.c — the IMAP client's STARTTLS and login.
 *
 * Once the capabilities are known the client decides: STARTTLS first when
 * its TLS mode asks for it (RFC 3501 6.2.1, RFC 2595 3.1), CAPABILITY again
 * after the handshake, then LOGIN (6.2.3) or AUTHENTICATE (6.2.2) with
 * PLAIN (SASL-IR when offered, RFC 4959) or SCRAM-SHA-256 from sasl.c. A
 * client that requires TLS sends no credential in clear: it logs out.
 */
#define G_LOG_DOMAIN "ml-imap-client"

#include <string.h>
#include "proto/imap-client-private.h"

static gboolean
has_cap (MlImapClient *self, const char *name)
{
  return ml_imap_client_has_capability (self, name);
}

/* ---- the login ---- */

static void
authenticate (MlImapClient *self, MlSaslMechanism mechanism)
{
  g_autoptr(GBytes) initial = NULL;
  g_autofree char *b64 = NULL;
  ImapCommand *cmd;

  g_clear_pointer (&self->sasl, ml_sasl_client_free);
  self->sasl = ml_sasl_client_new (mechanism, self->username, self->password,
                                   self->config.nonce_seed);
  initial = ml_sasl_client_initial (self->sasl);
  if (initial != NULL)
    b64 = ml_sasl_base64_encode (g_bytes_get_data (initial, NULL), g_bytes_get_size (initial));
  cmd = _ml_imap_command_new (CMD_AUTHENTICATE, "AUTHENTICATE");
  _ml_imap_command_add (cmd, " ");
  _ml_imap_command_add (cmd, ml_sasl_mechanism_name (mechanism));
  /* RFC 4959 3: the initial response in the command saves a round trip;
   * without SASL-IR it follows the server's empty "+". */
  if (b64 != NULL && self->config.use_sasl_ir && has_cap (self, "SASL-IR"))
    {
      _ml_imap_command_add (cmd, " ");
      _ml_imap_command_add (cmd, b64);
    }
  else if (b64 != NULL)
    cmd->sasl = g_steal_pointer (&b64);
  if (mechanism == ML_SASL_PLAIN)
    /* PLAIN is one message (RFC 4616): nothing to step afterwards. */
    g_clear_pointer (&self->sasl, ml_sasl_client_free);
  _ml_imap_client_queue_session (self, cmd);
}

static void
start_login (MlImapClient *self)
{
  gboolean plain = self->config.auth == ML_IMAP_CLIENT_AUTH_PLAIN;
  gboolean plain_offered = has_cap (self, "AUTH=PLAIN");
  ImapCommand *cmd;

  if (self->username == NULL || self->password == NULL)
    {
      _ml_imap_client_give_up_login (self, "no user name or password to log in with");
      return;
    }
  if (self->config.auth == ML_IMAP_CLIENT_AUTH_SCRAM_SHA_256)
    {
      /* RFC 3501 6.2.2: only what AUTH= lists is worth trying. */
      if (!has_cap (self, "AUTH=SCRAM-SHA-256"))
        {
          _ml_imap_client_give_up_login (self, "the server does not offer AUTH=SCRAM-SHA-256");
          return;
        }
      authenticate (self, ML_SASL_SCRAM_SHA_256);
      return;
    }
  /* RFC 3501 6.2.3: LOGINDISABLED means LOGIN must not be tried. */
  if (plain && !plain_offered)
    plain = FALSE;
  if (!plain && has_cap (self, "LOGINDISABLED"))
    {
      if (!plain_offered)
        {
          _ml_imap_client_give_up_login (self, "the server refuses LOGIN (LOGINDISABLED) and "
                                               "offers no AUTH=PLAIN");
          return;
        }
      plain = TRUE;
    }
  if (plain)
    {
      authenticate (self, ML_SASL_PLAIN);
      return;
    }
  cmd = _ml_imap_command_new (CMD_LOGIN, "LOGIN");
  _ml_imap_command_add_string (self, cmd, self->username, TRUE);
  _ml_imap_command_add_string (self, cmd, self->password, TRUE);
  _ml_imap_client_queue_session (self, cmd);
}

void
_ml_imap_client_begin_login (MlImapClient *self)
{
  gboolean wants_tls = self->config.tls == ML_IMAP_CLIENT_TLS_OPPORTUNISTIC
                       || self->config.tls == ML_IMAP_CLIENT_TLS_REQUIRED;

  if (!self->tls_active && wants_tls)
    {
      if (has_cap (self, "STARTTLS"))
        {
          _ml_imap_client_queue_session (self, _ml_imap_command_new (CMD_STARTTLS, "STARTTLS"));
          return;
        }
      if (self->config.tls == ML_IMAP_CLIENT_TLS_REQUIRED)
        {
          /* What an attacker who strips STARTTLS from CAPABILITY wants is
           * the password in clear; this client gives nothing. */
          _ml_imap_client_give_up_login (self, "TLS required but the server does not offer STARTTLS");
          return;
        }
    }
  start_login (self);
}

void
_ml_imap_client_on_starttls_done (MlImapClient *self, const MlImapResponse *r)
{
  MlEngineEvent *ev;

  if (r->status != ML_IMAP_STATUS_OK)
    {
      if (self->config.tls == ML_IMAP_CLIENT_TLS_REQUIRED)
        {
          g_autofree char *why = g_strdup_printf ("STARTTLS refused: %s %s",
                                                  ml_imap_status_to_string (r->status), r->text);

          _ml_imap_client_give_up_login (self, why);
          return;
        }
      start_login (self);
      return;
    }
  /* Whatever follows the OK in this read came in clear: not a response
   * (RFC 3501 6.2.1; RFC 3207 4.2's injection, the client's side). */
  ml_imap_response_parser_reset (self->parser);
  self->tls_pending = TRUE;
  ev = _ml_imap_client_push_event (self, ML_ENGINE_EVENT_START_TLS, ML_DIR_CLIENT_TO_SERVER, FALSE);
  ev->explain_key = g_strdup ("imap.client.starttls");
  ev->detail = g_strdup ("start TLS as client");
}

void
ml_imap_client_tls_started (MlImapClient *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->tls_pending);

  self->tls_pending = FALSE;
  self->tls_active = TRUE;
  _ml_imap_client_note (self, "imap.client.tls-active", g_strdup ("TLS active"));
  /* RFC 3501 6.2.1: the client must discard the capabilities it had and
   * ask again; those heard in clear may have been forged. */
  g_clear_pointer (&self->caps, g_strfreev);
  _ml_imap_client_queue_session (self, _ml_imap_command_new (CMD_CAPABILITY, "CAPABILITY"));
}

gboolean
ml_imap_client_is_tls (MlImapClient *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->tls_active;
}

/* ---- AUTHENTICATE's exchange (RFC 3501 6.2.2) ---- */

void
_ml_imap_client_sasl_challenge (MlImapClient *self, ImapCommand *cmd, const MlImapResponse *r)
{
  g_autoptr(GBytes) challenge = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *b64 = NULL;
  const char *text = r->text != NULL ? r->text : "";

  if (self->sasl == NULL)
    {
      /* PLAIN is one step (RFC 4616); a further challenge is not for us.
       * RFC 3501 6.2.2: "*" cancels the exchange. */
      _ml_imap_client_send_sasl_line (self, cmd, "*", "imap.authenticate.cancel");
      return;
    }
  challenge = ml_sasl_base64_decode (text, strlen (text), &error);
  if (challenge != NULL)
    answer = ml_sasl_client_step (self->sasl, challenge, &error);
  if (answer == NULL)
    {
      /* A challenge we cannot read, or a server proof that does not
       * verify: cancel; the tagged BAD follows. */
      _ml_imap_client_note (self, "imap.client.login-failed",
                            g_strdup_printf ("AUTHENTICATE cancelled: %s", error->message));
      g_clear_pointer (&self->sasl, ml_sasl_client_free);
      _ml_imap_client_send_sasl_line (self, cmd, "*", "imap.authenticate.cancel");
      return;
    }
  b64 = g_bytes_get_size (answer) > 0
        ? ml_sasl_base64_encode (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer))
        : g_strdup ("");
  _ml_imap_client_send_sasl_line (self, cmd, b64, "imap.authenticate.response");
}

void
_ml_imap_client_on_login_done (MlImapClient *self, const MlImapResponse *r)
{
  gboolean verified = self->sasl == NULL || ml_sasl_client_server_verified (self->sasl);

  g_clear_pointer (&self->sasl, ml_sasl_client_free);
  if (r->status != ML_IMAP_STATUS_OK)
    {
      g_autofree char *why = g_strdup_printf ("login refused: %s %s",
                                              ml_imap_status_to_string (r->status), r->text);

      _ml_imap_client_give_up_login (self, why);
      return;
    }
  if (!verified)
    {
      /* RFC 5802 5.1: SCRAM proves the server too; an OK without that
       * proof may come from someone who never knew the password. */
      _ml_imap_client_give_up_login (self, "the server did not prove it knows the password");
      return;
    }
  self->authenticated = TRUE;
  _ml_imap_client_note (self, "imap.client.logged-in",
                        g_strdup_printf ("logged in as %s", self->username));
  _ml_imap_client_set_state (self, ML_IMAP_CLIENT_STATE_AUTHENTICATED);
  /* RFC 9051 6.2.3: capabilities may change at login; ask unless the OK
   * said them. */
  if (r->code == NULL || r->code->kind != ML_IMAP_CODE_CAPABILITY)
    _ml_imap_client_queue_session (self, _ml_imap_command_new (CMD_CAPABILITY, "CAPABILITY"));
}

/* pop3-server-auth.c — STLS, AUTH and the login policy of the POP3 server.
 *
 * STLS (RFC 2595 4) hands the connection to the owner for a TLS handshake;
 * AUTH (RFC 5034) frames the SASL exchange whose mechanisms live in sasl.c.
 * Which logins are allowed before TLS, the credential lookup and the delay
 * after a failure are decided here too, so USER/PASS, APOP and AUTH agree.
 */
#define G_LOG_DOMAIN "ml-pop3-server"

#include <string.h>
#include "proto/pop3-server-private.h"

gboolean
_ml_pop3_server_plaintext_ok (MlPop3Server *self)
{
  /* RFC 2595 2.1 and RFC 5034 6: a password in clear is only acceptable
   * where nobody on the path can read it. */
  return self->config.allow_plaintext_auth || self->tls_active;
}

/* ---- credentials ---- */

/* The store knows passwords, not SCRAM keys: derive them, with a salt
 * made from the name so every run of a lesson shows the same exchange
 * (and two accounts with one password still differ, RFC 5802 9). */
static gboolean
store_lookup (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  MlPop3Server *self = user_data;
  MlAccount *account = ml_mail_store_find_account (self->store, authcid);
  const char *password = account != NULL ? ml_account_get_password (account) : NULL;
  g_autoptr(GChecksum) sum = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  if (password == NULL)
    return FALSE;
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) "maillab scram salt ", -1);
  g_checksum_update (sum, (const guchar *) authcid, -1);
  g_checksum_get_digest (sum, digest, &digest_len);
  ml_sasl_secret_init_from_password (secret_out, password, digest, ML_SASL_SCRAM_ITERATIONS);
  return TRUE;
}

static MlSaslLookupFunc
lookup_func (MlPop3Server *self, gpointer *data_out)
{
  if (self->config.lookup != NULL)
    {
      *data_out = self->config.lookup_data;
      return self->config.lookup;
    }
  *data_out = self;
  return store_lookup;
}

/* Compares without stopping at the first difference, so the time taken
 * says nothing about how much of a digest was right. */
static gboolean
digest_equal (const char *a, const char *b)
{
  guint diff = 0;
  gsize n = strlen (a);

  if (n != strlen (b))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    diff |= (guint) (g_ascii_tolower (a[i]) ^ g_ascii_tolower (b[i]));
  return diff == 0;
}

gboolean
_ml_pop3_server_check_login (MlPop3Server *self, const char *user, const char *password,
                             const char *apop_digest, MlAccount **account_out)
{
  MlAccount *account = ml_mail_store_find_account (self->store, user);
  gboolean ok = FALSE;

  if (self->config.lookup == NULL)
    {
      const char *secret = account != NULL ? ml_account_get_password (account) : NULL;

      if (account == NULL)
        ok = FALSE;
      else if (apop_digest == NULL)
        ok = ml_account_check_password (account, password);
      else if (secret != NULL)
        {
          /* MD5 over the greeting's timestamp and the shared secret
           * (RFC 1939 7). */
          g_autofree char *expected = ml_pop3_apop_digest (self->timestamp, secret);

          ok = digest_equal (expected, apop_digest);
        }
    }
  else
    {
      MlSaslSecret secret = { 0 };

      if (self->config.lookup (user, &secret, self->config.lookup_data))
        {
          if (apop_digest == NULL)
            ok = ml_sasl_secret_check_password (&secret, password);
          else if (secret.password != NULL)
            {
              /* APOP needs the shared secret itself (RFC 1939 7): a user
               * file with only SCRAM keys cannot answer it. */
              g_autofree char *expected = ml_pop3_apop_digest (self->timestamp,
                                                               secret.password);

              ok = digest_equal (expected, apop_digest);
            }
        }
      ml_sasl_secret_clear (&secret);
    }
  if (ok && account == NULL)
    {
      /* The lookup knows the name, the store holds no maildrop for it:
       * our configuration's fault, not the client's (RFC 3206 4). */
      _ml_pop3_server_err (self, "SYS/PERM", "no maildrop for this user");
      return FALSE;
    }
  if (!ok)
    {
      _ml_pop3_server_auth_failed (self, apop_digest != NULL ? "APOP" : "USER/PASS");
      return FALSE;
    }
  *account_out = account;
  return TRUE;
}

void
_ml_pop3_server_auth_failed (MlPop3Server *self, const char *how)
{
  MlEngineEvent *event;
  guint delay = self->config.auth_failure_delay_ms;

  /* RFC 3206 4: the credentials were wrong; retrying the same is useless.
   * The same words for a wrong name and a wrong password. */
  _ml_pop3_server_err (self, "AUTH", "invalid user name or password");
  self->auth_failures++;
  /* Doubling from the configured delay makes guessing slow without
   * locking the real owner out (RFC 5034 8). */
  for (guint i = 1; i < self->auth_failures && delay < ML_POP3_MAX_AUTH_DELAY_MS; i++)
    delay *= 2;
  delay = MIN (delay, ML_POP3_MAX_AUTH_DELAY_MS);
  self->delay_ms = delay;
  if (delay == 0)
    return;
  event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);
  event->explain_key = g_strdup ("pop3.auth.failed");
  event->detail = g_strdup_printf ("%s failed (%u failure%s in this session): answer held back %u ms",
                                   how, self->auth_failures,
                                   self->auth_failures == 1 ? "" : "s", delay);
  _ml_pop3_server_push_event (self, event);
}

/* ---- STLS (RFC 2595 4) ---- */

void
_ml_pop3_server_cmd_stls (MlPop3Server *self, const MlPop3Command *cmd)
{
  MlEngineEvent *event;
  gsize discarded;

  if (self->tls_active)
    {
      /* RFC 2595 4: "-ERR" when TLS is already on. */
      _ml_pop3_server_err (self, NULL, "TLS already active");
      return;
    }
  if (!self->config.offer_stls)
    {
      _ml_pop3_server_err (self, NULL, "STLS not supported");
      return;
    }
  _ml_pop3_server_ok (self, "Begin TLS negotiation");

  /* Whatever the client sent after STLS in the same flight arrived in
   * clear; reading it after the handshake as if it were protected is the
   * "STARTTLS command injection" bug (RFC 3207 4.2 says it for SMTP; the
   * same holds here). */
  discarded = ml_line_buffer_available (self->input);
  ml_line_buffer_clear (self->input);
  self->tls_pending = TRUE;
  g_clear_pointer (&self->user, g_free);

  event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_START_TLS, FALSE);
  event->explain_key = g_strdup ("pop3.stls.begin");
  event->detail = g_strdup ("start TLS as server");
  _ml_pop3_server_push_event (self, event);
  if (discarded > 0)
    {
      event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);
      event->explain_key = g_strdup ("pop3.tls.discarded");
      event->detail = g_strdup_printf ("%" G_GSIZE_FORMAT " octet%s pipelined after STLS "
                                       "discarded", discarded, discarded == 1 ? "" : "s");
      _ml_pop3_server_push_event (self, event);
    }
}

/* ---- AUTH (RFC 5034 4) ---- */

static void
end_sasl (MlPop3Server *self)
{
  g_clear_pointer (&self->sasl, ml_sasl_server_free);
  self->sasl_final = FALSE;
  ml_line_buffer_set_max (self->input, ML_POP3_MAX_COMMAND_LINE);
}

static void
send_challenge (MlPop3Server *self, GBytes *data)
{
  g_autofree char *b64 = NULL;
  gsize len = data != NULL ? g_bytes_get_size (data) : 0;

  /* RFC 5034 4: an empty challenge is "+" SP and nothing more. */
  if (len > 0)
    b64 = ml_sasl_base64_encode (g_bytes_get_data (data, NULL), len);
  _ml_pop3_server_challenge (self, b64 != NULL ? b64 : "");
}

static void
sasl_succeeded (MlPop3Server *self)
{
  MlAccount *account = ml_mail_store_find_account (self->store,
                                                   ml_sasl_server_get_user (self->sasl));

  end_sasl (self);
  if (account == NULL)
    {
      _ml_pop3_server_err (self, "SYS/PERM", "no maildrop for this user");
      return;
    }
  _ml_pop3_server_open_maildrop (self, account);
}

static void
sasl_step (MlPop3Server *self, GBytes *response)
{
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *how = NULL;

  switch (ml_sasl_server_step (self->sasl, response, &out, &error))
    {
    case ML_SASL_STEP_CONTINUE:
      send_challenge (self, out);
      return;
    case ML_SASL_STEP_SUCCESS:
      if (out != NULL && g_bytes_get_size (out) > 0)
        {
          /* RFC 5034 4: POP3 has no additional data with success, so
           * SCRAM's server signature goes out as a last challenge and the
           * client answers it with an empty line (RFC 4422 3.6). */
          self->sasl_final = TRUE;
          send_challenge (self, out);
          return;
        }
      sasl_succeeded (self);
      return;
    case ML_SASL_STEP_FAILURE:
    default:
      break;
    }
  how = g_strconcat ("AUTH ", ml_sasl_mechanism_name (self->sasl_mechanism), NULL);
  end_sasl (self);
  if (g_error_matches (error, ML_SASL_ERROR, ML_SASL_ERROR_FAILED))
    _ml_pop3_server_auth_failed (self, how);
  else
    /* RFC 5034 4: a response that is not the mechanism's syntax ends the
     * exchange with -ERR; a fresh AUTH starts over. */
    _ml_pop3_server_errf (self, NULL, "%s: %s", how,
                          error != NULL ? error->message : "authentication failed");
}

void
_ml_pop3_server_cmd_auth (MlPop3Server *self, const MlPop3Command *cmd)
{
  guint n_args = g_strv_length (cmd->args);
  MlSaslMechanism mechanism;
  g_autoptr(GBytes) initial = NULL;
  gpointer data = NULL;
  MlSaslLookupFunc lookup;

  if (self->config.sasl_mechanisms == 0)
    {
      _ml_pop3_server_err (self, NULL, "AUTH not supported");
      return;
    }
  if (n_args == 0)
    {
      _ml_pop3_server_err (self, NULL, "AUTH needs a mechanism name");
      return;
    }
  if (n_args > 2)
    {
      _ml_pop3_server_err (self, NULL, "too many arguments for AUTH");
      return;
    }
  if (!ml_sasl_mechanism_from_name (cmd->args[0], &mechanism)
      || (self->config.sasl_mechanisms & (1u << mechanism)) == 0)
    {
      /* RFC 5034 4: a mechanism we do not support gets -ERR. */
      _ml_pop3_server_err (self, NULL, "unsupported authentication mechanism");
      return;
    }
  if (ml_sasl_mechanism_is_plaintext (mechanism) && !_ml_pop3_server_plaintext_ok (self))
    {
      /* RFC 5034 6: a server must be able to refuse plaintext passwords
       * without TLS; CAPA did not list the mechanism. */
      _ml_pop3_server_err (self, "AUTH", "plaintext authentication disallowed without TLS");
      return;
    }
  if (n_args == 2)
    {
      g_autoptr(GError) error = NULL;

      /* RFC 5034 4: base64, or "=" for an empty initial response. */
      initial = ml_sasl_base64_decode (cmd->args[1], strlen (cmd->args[1]), &error);
      if (initial == NULL)
        {
          _ml_pop3_server_errf (self, NULL, "invalid initial response: %s", error->message);
          return;
        }
    }
  lookup = lookup_func (self, &data);
  /* A nonce per attempt: the seed alone would repeat it on a retry. */
  self->sasl = ml_sasl_server_new (mechanism, lookup, data,
                                   self->config.nonce_seed + self->auth_attempts++);
  self->sasl_mechanism = mechanism;
  self->sasl_final = FALSE;
  /* RFC 5034 4: answers to challenges may be longer than a command. */
  ml_line_buffer_set_max (self->input, ML_POP3_MAX_SASL_LINE);
  sasl_step (self, initial);
}

static void
push_response_event (MlPop3Server *self, const char *line, gsize len)
{
  MlEngineEvent *event = _ml_pop3_server_event_new (ML_ENGINE_EVENT_COMMAND, FALSE);

  event->line = g_utf8_make_valid (line, (gssize) strnlen (line, len));
  event->explain_key = g_strdup ("pop3.auth.response");
  /* A PLAIN or LOGIN answer is the password in base64. */
  event->detail = g_strdup ("credential");
  _ml_pop3_server_push_event (self, event);
}

void
_ml_pop3_server_auth_abort (MlPop3Server *self, const char *why)
{
  end_sasl (self);
  _ml_pop3_server_errf (self, NULL, "authentication aborted: %s", why);
}

void
_ml_pop3_server_auth_line (MlPop3Server *self, const char *line, gsize len)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;

  push_response_event (self, line, len);
  if (len == 1 && line[0] == '*')
    {
      /* RFC 5034 4: the client cancels, the server says -ERR. */
      end_sasl (self);
      _ml_pop3_server_err (self, NULL, "authentication cancelled");
      return;
    }
  if (self->sasl_final)
    {
      /* RFC 4422 3.6: the answer to additional data is empty. */
      if (len == 0 || (len == 1 && line[0] == '='))
        sasl_succeeded (self);
      else
        _ml_pop3_server_auth_abort (self, "expected an empty response");
      return;
    }
  /* RFC 5034 4: anything outside the base64 alphabet, or misplaced "=",
   * is rejected with -ERR, not ignored. */
  response = ml_sasl_base64_decode (line, len, &error);
  if (response == NULL)
    {
      end_sasl (self);
      _ml_pop3_server_errf (self, NULL, "invalid base64: %s", error->message);
      return;
    }
  sasl_step (self, response);
}

/* ---- CAPA (RFC 2449 5) ---- */

static void
append_line (GByteArray *body, const char *line)
{
  g_byte_array_append (body, (const guint8 *) line, (guint) strlen (line));
  g_byte_array_append (body, (const guint8 *) "\r\n", 2);
}

void
_ml_pop3_server_append_auth_capabilities (MlPop3Server *self, GByteArray *body)
{
  g_autoptr(GString) sasl = NULL;

  /* Both only mean something before login (RFC 2595 4: STLS only in
   * AUTHORIZATION; RFC 5034 4: no AUTH after a successful one). */
  if (self->state != ML_POP3_SERVER_STATE_AUTHORIZATION)
    return;
  if (self->config.offer_stls && !self->tls_active)
    append_line (body, "STLS");
  sasl = g_string_new ("SASL");
  for (guint m = 0; m < ML_SASL_N_MECHANISMS; m++)
    {
      if ((self->config.sasl_mechanisms & (1u << m)) == 0)
        continue;
      /* RFC 2595 2.1: what would be refused is not advertised. */
      if (ml_sasl_mechanism_is_plaintext (m) && !_ml_pop3_server_plaintext_ok (self))
        continue;
      g_string_append_printf (sasl, " %s", ml_sasl_mechanism_name (m));
    }
  if (sasl->len > strlen ("SASL"))
    append_line (body, sasl->str);
}

/* imap-server-auth.c — STARTTLS, LOGIN and AUTHENTICATE of the IMAP server.
 *
 * STARTTLS (RFC 3501 6.2.1, RFC 2595 3.1) hands the connection to the
 * owner for the handshake; AUTHENTICATE (RFC 3501 6.2.2) with SASL-IR
 * (RFC 4959) frames the exchange whose mechanisms live in sasl.c; LOGIN
 * (6.2.3) and the plaintext mechanisms follow one policy: refused with
 * PRIVACYREQUIRED (RFC 5530 3) before TLS unless the configuration allows
 * them, LOGINDISABLED advertised meanwhile.
 */
#define G_LOG_DOMAIN "ml-imap-server"

#include <string.h>
#include "proto/imap-server-private.h"

gboolean
_ml_imap_server_plaintext_ok (MlImapServer *self)
{
  /* RFC 2595 3.1 and RFC 8314: a password only where nobody can read it. */
  return self->config.allow_plaintext_login || self->tls_active;
}

void
_ml_imap_server_append_auth_capabilities (MlImapServer *self, GString *caps)
{
  gboolean plaintext = _ml_imap_server_plaintext_ok (self);

  if (self->config.offer_starttls && !self->tls_active)
    g_string_append (caps, " STARTTLS");
  for (guint m = 0; m < ML_SASL_N_MECHANISMS; m++)
    {
      if ((self->config.sasl_mechanisms & (1u << m)) == 0)
        continue;
      /* RFC 2595 3.1: what would be refused is not advertised. */
      if (ml_sasl_mechanism_is_plaintext (m) && !plaintext)
        continue;
      g_string_append_printf (caps, " AUTH=%s", ml_sasl_mechanism_name (m));
    }
  /* RFC 3501 6.2.3, 7.2.1: the client must not try LOGIN. */
  if (!plaintext)
    g_string_append (caps, " LOGINDISABLED");
}

/* ---- credentials ---- */

/* The store knows passwords, not SCRAM keys: derive them, with a salt
 * made from the name so every run of a lesson shows the same exchange. */
static gboolean
store_lookup (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  MlImapServer *self = user_data;
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

static void
auth_failed (MlImapServer *self, const char *how)
{
  MlEngineEvent *event;
  guint delay = self->config.auth_failure_delay_ms;

  /* RFC 5530 3: the same answer for a wrong user and a wrong password. */
  _ml_imap_server_complete (self, ML_IMAP_NO, "AUTHENTICATIONFAILED", "Authentication failed");
  self->auth_failures++;
  /* Doubling makes guessing slow without locking the owner out. */
  for (guint i = 1; i < self->auth_failures && delay < ML_IMAP_MAX_AUTH_DELAY_MS; i++)
    delay *= 2;
  delay = MIN (delay, ML_IMAP_MAX_AUTH_DELAY_MS);
  self->delay_ms = delay;
  if (delay == 0)
    return;
  event = _ml_imap_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);
  event->explain_key = g_strdup ("imap.auth.failed");
  event->detail = g_strdup_printf ("%s failed (%u failure%s in this session): answer held back %u ms",
                                   how, self->auth_failures,
                                   self->auth_failures == 1 ? "" : "s", delay);
  _ml_imap_server_push_event (self, event);
}

static void
login_ok (MlImapServer *self, MlAccount *account, const char *how)
{
  g_autofree char *caps = NULL;
  g_autofree char *code = NULL;

  _ml_imap_server_login (self, account, how);
  /* RFC 3501 7.2.1 allows CAPABILITY in the OK; the list changes with
   * the state (no AUTH= after login). */
  caps = _ml_imap_server_dup_capabilities (self);
  code = g_strconcat ("CAPABILITY ", caps, NULL);
  _ml_imap_server_complete (self, ML_IMAP_OK, code, "Logged in");
}

/* ---- STARTTLS (RFC 3501 6.2.1) ---- */

void
_ml_imap_cmd_starttls (MlImapServer *self, GPtrArray *args, guint first)
{
  MlEngineEvent *event;

  if (!_ml_imap_server_no_more_args (self, args, first))
    return;
  if (self->tls_active)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "TLS is already active");
      return;
    }
  if (!self->config.offer_starttls)
    {
      /* Not advertised: to us it is a command we do not offer. */
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL,
                                "STARTTLS is not available: no TLS configured");
      return;
    }
  _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "Begin TLS negotiation now");
  /* imap-server.c stops reading and drops what was pipelined behind us:
   * it came in clear (RFC 3207 4.2's injection, the same in IMAP). */
  self->tls_pending = TRUE;
  event = _ml_imap_server_event_new (ML_ENGINE_EVENT_START_TLS, FALSE);
  event->explain_key = g_strdup ("imap.starttls.begin");
  event->detail = g_strdup ("start TLS as server");
  _ml_imap_server_push_event (self, event);
}

/* ---- LOGIN (RFC 3501 6.2.3) ---- */

static gboolean
check_password (MlImapServer *self, const char *user, const char *password,
                MlAccount **account_out)
{
  MlAccount *account = ml_mail_store_find_account (self->store, user);
  MlSaslSecret secret = { 0 };
  gboolean ok;

  *account_out = account;
  if (self->config.lookup == NULL)
    return account != NULL && ml_account_check_password (account, password);
  ok = self->config.lookup (user, &secret, self->config.lookup_data)
       && ml_sasl_secret_check_password (&secret, password);
  ml_sasl_secret_clear (&secret);
  return ok;
}

void
_ml_imap_cmd_login (MlImapServer *self, GPtrArray *args, guint first)
{
  const char *user = NULL, *password = NULL;
  gsize ulen = 0, plen = 0;
  MlAccount *account = NULL;

  if (!_ml_imap_server_get_astring (self, args, first, &user, &ulen)
      || !_ml_imap_server_get_astring (self, args, first + 1, &password, &plen)
      || !_ml_imap_server_no_more_args (self, args, first + 2))
    return;
  if (!_ml_imap_server_plaintext_ok (self))
    {
      /* RFC 3501 6.2.3 with LOGINDISABLED; RFC 5530 3 PRIVACYREQUIRED. */
      _ml_imap_server_complete (self, ML_IMAP_NO, "PRIVACYREQUIRED",
                                "Plaintext login is disabled");
      return;
    }
  if (strlen (user) != ulen || strlen (password) != plen
      || !check_password (self, user, password, &account))
    {
      auth_failed (self, "LOGIN");
      return;
    }
  if (account == NULL)
    {
      /* The lookup knows the name, the store has no mailboxes for it:
       * our configuration's fault (RFC 5530 3 UNAVAILABLE). */
      _ml_imap_server_complete (self, ML_IMAP_NO, "UNAVAILABLE", "No mailboxes for this user");
      return;
    }
  login_ok (self, account, "LOGIN");
}

/* ---- AUTHENTICATE (RFC 3501 6.2.2, RFC 4959) ---- */

void
_ml_imap_server_end_sasl (MlImapServer *self)
{
  g_clear_pointer (&self->sasl, ml_sasl_server_free);
  self->sasl_final = FALSE;
  self->auth_pending = FALSE;
}

static void
send_challenge (MlImapServer *self, GBytes *data)
{
  g_autofree char *b64 = NULL;
  gsize len = data != NULL ? g_bytes_get_size (data) : 0;

  /* RFC 3501 7.5: "+" SP base64; an empty challenge is "+ ". */
  if (len > 0)
    b64 = ml_sasl_base64_encode (g_bytes_get_data (data, NULL), len);
  _ml_imap_server_continuation (self, b64 != NULL ? b64 : "");
  self->auth_pending = TRUE;
}

static void
sasl_succeeded (MlImapServer *self)
{
  g_autofree char *how = g_strconcat ("AUTHENTICATE ",
                                      ml_sasl_mechanism_name (self->sasl_mechanism), NULL);
  MlAccount *account = ml_mail_store_find_account (self->store,
                                                   ml_sasl_server_get_user (self->sasl));

  _ml_imap_server_end_sasl (self);
  if (account == NULL)
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "UNAVAILABLE", "No mailboxes for this user");
      return;
    }
  login_ok (self, account, how);
}

static void
sasl_step (MlImapServer *self, GBytes *response)
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
          /* RFC 3501 6.2.2 has no data with the tagged OK: SCRAM's server
           * signature is a last challenge, answered empty (RFC 4422 3.6). */
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
  how = g_strconcat ("AUTHENTICATE ", ml_sasl_mechanism_name (self->sasl_mechanism), NULL);
  _ml_imap_server_end_sasl (self);
  if (g_error_matches (error, ML_SASL_ERROR, ML_SASL_ERROR_FAILED))
    auth_failed (self, how);
  else
    /* A message that is not the mechanism's syntax: the client's bug. */
    _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "%s",
                              error != NULL ? error->message : "Malformed SASL message");
}

void
_ml_imap_cmd_authenticate (MlImapServer *self, GPtrArray *args, guint first)
{
  const MlImapArg *mech = args->len > first ? g_ptr_array_index (args, first) : NULL;
  const MlImapArg *ir = args->len > first + 1 ? g_ptr_array_index (args, first + 1) : NULL;
  MlSaslMechanism mechanism;
  g_autoptr(GBytes) initial = NULL;
  MlSaslLookupFunc lookup = self->config.lookup;
  gpointer lookup_data = self->config.lookup_data;

  if (mech == NULL || mech->kind != ML_IMAP_TOKEN_ATOM)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Missing mechanism");
      return;
    }
  if (!_ml_imap_server_no_more_args (self, args, first + 2))
    return;
  if (ir != NULL && ir->kind != ML_IMAP_TOKEN_ATOM)
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid initial response");
      return;
    }
  if (!ml_sasl_mechanism_from_name (mech->data, &mechanism)
      || (self->config.sasl_mechanisms & (1u << mechanism)) == 0)
    {
      /* RFC 3501 6.2.2: NO for a mechanism we do not support. */
      _ml_imap_server_complete (self, ML_IMAP_NO, "CANNOT",
                                "Unsupported authentication mechanism");
      return;
    }
  if (ml_sasl_mechanism_is_plaintext (mechanism) && !_ml_imap_server_plaintext_ok (self))
    {
      _ml_imap_server_complete (self, ML_IMAP_NO, "PRIVACYREQUIRED",
                                "Plaintext authentication is disabled");
      return;
    }
  if (ir != NULL)
    {
      g_autoptr(GError) error = NULL;

      /* RFC 4959 3: base64, "=" for an empty initial response. */
      initial = ml_sasl_base64_decode (ir->data, ir->len, &error);
      if (initial == NULL)
        {
          _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid base64");
          return;
        }
    }
  if (lookup == NULL)
    {
      lookup = store_lookup;
      lookup_data = self;
    }
  /* A nonce per attempt: the seed alone would repeat it on a retry. */
  self->sasl = ml_sasl_server_new (mechanism, lookup, lookup_data,
                                   self->config.nonce_seed + self->auth_attempts++);
  self->sasl_mechanism = mechanism;
  self->sasl_final = FALSE;
  sasl_step (self, initial);
}

void
_ml_imap_server_auth_response (MlImapServer *self, const char *line, gsize len)
{
  MlEngineEvent *event = _ml_imap_server_event_new (ML_ENGINE_EVENT_COMMAND, FALSE);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;

  event->line = _ml_imap_dup_event_text (line, len);
  event->verb = g_strdup ("AUTHENTICATE");
  event->args = g_strdup (event->line);
  event->explain_key = g_strdup ("imap.authenticate.response");
  /* A PLAIN or LOGIN answer is the password in base64. */
  event->detail = g_strdup ("credential");
  _ml_imap_server_push_event (self, event);

  self->auth_pending = FALSE;
  if (len == 1 && line[0] == '*')
    {
      /* RFC 3501 6.2.2: the client cancels with "*", the server says BAD. */
      _ml_imap_server_end_sasl (self);
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Authentication cancelled");
    }
  else if (len > ML_IMAP_MAX_SASL_LINE)
    {
      _ml_imap_server_end_sasl (self);
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Authentication response too long");
    }
  else if (self->sasl_final)
    {
      /* RFC 4422 3.6: the answer to additional data is empty. */
      if (len == 0 || (len == 1 && line[0] == '='))
        sasl_succeeded (self);
      else
        {
          _ml_imap_server_end_sasl (self);
          _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Expected an empty response");
        }
    }
  else if ((response = ml_sasl_base64_decode (line, len, &error)) == NULL)
    {
      /* RFC 3501 6.2.2: a response that cannot be decoded gets BAD. */
      _ml_imap_server_end_sasl (self);
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid base64");
    }
  else
    sasl_step (self, response);
  if (!self->auth_pending)
    self->command = NULL;
}

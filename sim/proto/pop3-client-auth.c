/* pop3-client-auth.c — the POP3 client's STLS and login.
 *
 * After the greeting and CAPA the client decides: STLS first when its TLS
 * mode asks for it (RFC 2595 4), then one way of logging in — USER/PASS,
 * APOP (RFC 1939 7) or AUTH with a SASL mechanism (RFC 5034), whose
 * messages come from sasl.c. A client that requires TLS never sends a
 * credential in clear: it says QUIT instead.
 */
#define G_LOG_DOMAIN "ml-pop3-client"

#include <string.h>
#include "proto/pop3-client-private.h"

/* ---- the login ---- */

/* "SASL PLAIN SCRAM-SHA-256" (RFC 5034 3) lists @name. */
static gboolean
sasl_offered (MlPop3Client *self, const char *name)
{
  for (guint i = 0; i + 1 < self->capabilities->len; i++)
    {
      const char *line = g_ptr_array_index (self->capabilities, i);
      g_auto(GStrv) words = NULL;

      if (g_ascii_strncasecmp (line, "SASL ", 5) != 0)
        continue;
      words = g_strsplit (line + 5, " ", -1);
      for (guint j = 0; words[j] != NULL; j++)
        if (g_ascii_strcasecmp (words[j], name) == 0)
          return TRUE;
    }
  return FALSE;
}

static void
start_sasl (MlPop3Client *self)
{
  const char *name = ml_sasl_mechanism_name (self->sasl_mechanism);
  g_autoptr(GBytes) initial = NULL;
  g_autofree char *b64 = NULL;

  if (self->capa_known && !sasl_offered (self, name))
    {
      /* RFC 5034 3: the SASL capability lists what AUTH accepts; a
       * plaintext mechanism hidden before TLS is the usual reason. */
      _ml_pop3_client_set_error (self, NULL,
                                 g_strdup_printf ("the server does not offer SASL %s", name));
      _ml_pop3_client_send_quit (self);
      return;
    }
  self->sasl = ml_sasl_client_new (self->sasl_mechanism, self->user, self->password,
                                   self->nonce_seed);
  self->sasl_cancelled = FALSE;
  initial = ml_sasl_client_initial (self->sasl);
  if (initial != NULL)
    b64 = ml_sasl_base64_encode (g_bytes_get_data (initial, NULL), g_bytes_get_size (initial));
  /* RFC 5034 4: the initial response rides on AUTH only when the line
   * stays within RFC 2449 4's 255 octets; otherwise it follows an empty
   * challenge. */
  if (b64 != NULL && strlen ("AUTH  \r\n") + strlen (name) + strlen (b64) <= ML_POP3_MAX_COMMAND_LINE)
    _ml_pop3_client_send_command (self, CMD_AUTH, 0, "AUTH %s %s", name, b64);
  else
    _ml_pop3_client_send_command (self, CMD_AUTH, 0, "AUTH %s", name);
}

static void
start_login (MlPop3Client *self)
{
  gboolean apop;

  /* A CR or LF would end the command early and start another one of the
   * user's choosing (RFC 1939 3: commands end in CRLF). */
  if (strpbrk (self->user, "\r\n") != NULL || strpbrk (self->password, "\r\n") != NULL)
    {
      _ml_pop3_client_set_error (self, NULL, g_strdup ("the user name or password holds a line break"));
      _ml_pop3_client_send_quit (self);
      return;
    }
  switch (self->auth)
    {
    case ML_POP3_CLIENT_AUTH_SASL:
      start_sasl (self);
      return;
    case ML_POP3_CLIENT_AUTH_APOP:
      if (self->timestamp == NULL)
        {
          /* RFC 1939 7: no timestamp in the greeting, no APOP. */
          _ml_pop3_client_set_error (self, NULL, g_strdup ("the server offers no APOP "
                                                           "(no timestamp in its greeting)"));
          _ml_pop3_client_send_quit (self);
          return;
        }
      apop = TRUE;
      break;
    case ML_POP3_CLIENT_AUTH_USER:
      apop = FALSE;
      break;
    case ML_POP3_CLIENT_AUTH_AUTO:
    default:
      /* APOP when asked to, or when CAPA leaves USER out (RFC 2449 6.2:
       * the server takes no plaintext login) and the greeting offers a
       * challenge. */
      apop = self->timestamp != NULL
             && (self->use_apop
                 || (self->capa_known && !_ml_pop3_client_has_capability (self, "USER")));
      break;
    }
  if (apop)
    {
      g_autofree char *digest = ml_pop3_apop_digest (self->timestamp, self->password);

      _ml_pop3_client_send_command (self, CMD_APOP, 0, "APOP %s %s", self->user, digest);
    }
  else
    _ml_pop3_client_send_command (self, CMD_USER, 0, "USER %s", self->user);
}

void
_ml_pop3_client_capabilities_known (MlPop3Client *self)
{
  gboolean wants_tls = self->tls == ML_POP3_CLIENT_TLS_OPPORTUNISTIC
                       || self->tls == ML_POP3_CLIENT_TLS_REQUIRED;

  if (!self->tls_active && wants_tls)
    {
      /* RFC 2595 4: STLS is advertised in CAPA. A client that requires
       * TLS tries it even when CAPA failed: the -ERR decides. */
      if (_ml_pop3_client_has_capability (self, "STLS")
          || (self->tls == ML_POP3_CLIENT_TLS_REQUIRED && !self->capa_known))
        {
          _ml_pop3_client_send_command (self, CMD_STLS, 0, "STLS");
          return;
        }
      if (self->tls == ML_POP3_CLIENT_TLS_REQUIRED)
        {
          /* No credential leaves in clear: an attacker who removed STLS
           * from CAPA gets nothing (the "STARTTLS stripping" lesson). */
          _ml_pop3_client_set_error (self, NULL,
                                     g_strdup ("TLS required but the server does not offer STLS"));
          _ml_pop3_client_send_quit (self);
          return;
        }
    }
  start_login (self);
}

/* ---- STLS (RFC 2595 4) ---- */

void
_ml_pop3_client_on_stls (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  MlEngineEvent *ev;

  if (!response->ok)
    {
      if (self->tls == ML_POP3_CLIENT_TLS_REQUIRED)
        {
          _ml_pop3_client_fail_and_quit (self, response, "STLS refused");
          return;
        }
      start_login (self);
      return;
    }
  /* Whatever follows the "+OK" in this read came in clear and is not a
   * response (RFC 3207 4.2's injection, the client's side of it). */
  ml_pop3_response_parser_reset (self->parser);
  self->tls_pending = TRUE;
  ev = _ml_pop3_client_push_event (self, ML_ENGINE_EVENT_START_TLS, ML_DIR_CLIENT_TO_SERVER, FALSE);
  ev->explain_key = g_strdup ("pop3.client.stls");
  ev->detail = g_strdup ("start TLS as client");
}

/* ---- AUTH (RFC 5034 4) ---- */

static void
send_sasl_line (MlPop3Client *self, const char *line)
{
  MlEngineEvent *ev;
  Pending *p;

  g_byte_array_append (self->out, (const guint8 *) line, (guint) strlen (line));
  g_byte_array_append (self->out, (const guint8 *) "\r\n", 2);
  ev = _ml_pop3_client_push_event (self, ML_ENGINE_EVENT_COMMAND, ML_DIR_CLIENT_TO_SERVER, TRUE);
  ev->line = g_strdup (line);
  ev->explain_key = g_strdup ("pop3.auth.response");
  ev->detail = g_strdup ("credential");
  p = g_new0 (Pending, 1);
  p->kind = CMD_AUTH;
  g_queue_push_tail (&self->pending, p);
}

static void
cancel_sasl (MlPop3Client *self, const char *why)
{
  /* RFC 5034 4: a client that cannot go on answers "*"; the server's
   * -ERR follows. */
  g_free (self->sasl_error);
  self->sasl_error = g_strdup (why);
  self->sasl_cancelled = TRUE;
  send_sasl_line (self, "*");
}

void
_ml_pop3_client_on_sasl (MlPop3Client *self, const Pending *cmd, const MlPop3Response *response)
{
  g_autoptr(GBytes) challenge = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *b64 = NULL;

  if (self->sasl == NULL)
    return;
  if (response->challenge && !self->sasl_cancelled)
    {
      challenge = ml_sasl_base64_decode (response->text, strlen (response->text), &error);
      if (challenge != NULL)
        reply = ml_sasl_client_step (self->sasl, challenge, &error);
      if (reply == NULL)
        {
          cancel_sasl (self, error->message);
          return;
        }
      b64 = g_bytes_get_size (reply) > 0
            ? ml_sasl_base64_encode (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply))
            : g_strdup ("");
      send_sasl_line (self, b64);
      return;
    }
  if (response->challenge)
    {
      /* A server that goes on after "*" is out of step (RFC 5034 4). */
      _ml_pop3_client_set_error (self, NULL, g_strdup ("the server ignored the cancellation"));
      g_clear_pointer (&self->sasl, ml_sasl_client_free);
      _ml_pop3_client_send_quit (self);
      return;
    }
  if (response->ok && !self->sasl_cancelled)
    {
      /* RFC 5802 5.1: SCRAM proves the server too; a "+OK" without a
       * verified signature may come from someone who never knew the
       * password. */
      gboolean verified = ml_sasl_client_server_verified (self->sasl);

      g_clear_pointer (&self->sasl, ml_sasl_client_free);
      if (!verified)
        {
          _ml_pop3_client_set_error (self, NULL,
                                     g_strdup ("the server did not prove it knows the password"));
          _ml_pop3_client_send_quit (self);
          return;
        }
      _ml_pop3_client_logged_in (self);
      return;
    }
  g_clear_pointer (&self->sasl, ml_sasl_client_free);
  if (self->sasl_cancelled)
    {
      g_autofree char *what = g_strdup_printf ("authentication cancelled (%s)", self->sasl_error);

      _ml_pop3_client_fail_and_quit (self, response, what);
      return;
    }
  _ml_pop3_client_fail_and_quit (self, response, "authentication failed");
}

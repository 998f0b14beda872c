/* capture-sasl.c — the credentials a SASL exchange carries in clear, read
 * from a capture. SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034) and IMAP
 * AUTHENTICATE (RFC 3501 6.2.2) frame the same mechanisms differently; the
 * dissectors find the answers, this file reads them.
 */
#include <string.h>
#include "capture/capture-private.h"

void
ml_capture_sasl_start (MlCaptureSasl *sasl, const char *mechanism)
{
  g_free (sasl->mechanism);
  sasl->mechanism = g_strdup (mechanism);
  sasl->step = 0;
}

/* RFC 4616 2: [authzid] NUL authcid NUL passwd */
static void
answer_plain (MlCaptureEmitter *em, const char *how, const char *data, gsize len)
{
  const char *end = data + len;
  const char *authcid = data ? memchr (data, '\0', len) : NULL;
  const char *passwd = authcid ? memchr (authcid + 1, '\0', (gsize) (end - authcid - 1)) : NULL;
  g_autofree char *user = NULL;
  g_autofree char *pass = NULL;

  if (passwd == NULL)
    return;
  user = g_strndup (authcid + 1, (gsize) (passwd - authcid - 1));
  pass = g_strndup (passwd + 1, (gsize) (end - passwd - 1));
  ml_capture_emit_credentials (em, how, user, pass);
}

void
ml_capture_sasl_answer (MlCaptureSasl *sasl, MlCaptureEmitter *em,
                        const char *command, const char *b64)
{
  g_autoptr(GBytes) raw = NULL;
  g_autofree char *how = NULL;
  g_autofree char *mechanism = NULL;
  const char *data;
  gsize len;

  if (sasl->mechanism == NULL || (raw = ml_capture_base64_decode (b64)) == NULL)
    return;
  data = g_bytes_get_data (raw, &len);
  mechanism = g_ascii_strup (sasl->mechanism, -1);
  how = g_strdup_printf ("%s %s", command, mechanism);
  if (g_ascii_strcasecmp (sasl->mechanism, "PLAIN") == 0)
    answer_plain (em, how, data, len);
  else if (g_ascii_strcasecmp (sasl->mechanism, "LOGIN") == 0)
    {
      /* LOGIN (draft-murchison-sasl-login): the user name, then the
       * password, each a base64 answer of its own. */
      g_autofree char *text = g_strndup (data ? data : "", len);

      if (sasl->step == 0)
        {
          g_free (sasl->user);
          sasl->user = g_steal_pointer (&text);
        }
      else if (sasl->step == 1)
        ml_capture_emit_credentials (em, how, sasl->user, text);
      sasl->step++;
    }
}

void
ml_capture_sasl_clear (MlCaptureSasl *sasl)
{
  g_clear_pointer (&sasl->mechanism, g_free);
  g_clear_pointer (&sasl->user, g_free);
  sasl->step = 0;
}

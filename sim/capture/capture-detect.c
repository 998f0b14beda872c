#define G_LOG_DOMAIN "ml-capture"

#include "capture/capture-private.h"

#include <string.h>

static const struct {
  guint16    port;
  MlProtocol protocol;
  gboolean   implicit_tls;
} standard_ports[] = {
  { 25, ML_PROTO_SMTP, FALSE },   /* RFC 5321 4.5.4.2 */
  { 587, ML_PROTO_SMTP, FALSE },  /* RFC 6409 3.1 submission */
  { 465, ML_PROTO_SMTP, TRUE },   /* RFC 8314 3.3 submissions */
  { 110, ML_PROTO_POP3, FALSE },  /* RFC 1939 3 */
  { 995, ML_PROTO_POP3, TRUE },   /* RFC 8314 3.3 */
  { 143, ML_PROTO_IMAP, FALSE },  /* RFC 3501 2.1 */
  { 993, ML_PROTO_IMAP, TRUE },   /* RFC 8314 3.3 */
};

MlProtocol
ml_capture_detect_port (const MlCaptureOptions *options, guint16 port,
                        gboolean *implicit_tls_out)
{
  /* The user's ports first: they may re-purpose a standard one. */
  for (guint i = 0; options && i < options->n_ports; i++)
    if (options->ports[i].port == port)
      {
        *implicit_tls_out = options->ports[i].implicit_tls;
        return options->ports[i].protocol;
      }
  for (gsize i = 0; i < G_N_ELEMENTS (standard_ports); i++)
    if (standard_ports[i].port == port)
      {
        *implicit_tls_out = standard_ports[i].implicit_tls;
        return standard_ports[i].protocol;
      }
  *implicit_tls_out = FALSE;
  return ML_PROTO_NONE;
}

static gboolean
has_prefix_ci (const guint8 *data, gsize len, const char *prefix)
{
  gsize n = strlen (prefix);
  return len >= n && g_ascii_strncasecmp ((const char *) data, prefix, n) == 0;
}

MlProtocol
ml_capture_detect_content (MlDirection direction, const guint8 *data, gsize len)
{
  if (direction == ML_DIR_SERVER_TO_CLIENT)
    {
      /* RFC 5321 4.2: "220" then SP or "-" (a multi-line greeting). */
      if (len >= 4 && memcmp (data, "220", 3) == 0 && (data[3] == ' ' || data[3] == '-'))
        return ML_PROTO_SMTP;
      /* RFC 1939 4: the greeting is a positive response. */
      if (has_prefix_ci (data, len, "+OK"))
        return ML_PROTO_POP3;
      /* RFC 3501 7.1.1, 7.1.4: "* OK" or "* PREAUTH" greets. */
      if (has_prefix_ci (data, len, "* OK") || has_prefix_ci (data, len, "* PREAUTH"))
        return ML_PROTO_IMAP;
      return ML_PROTO_NONE;
    }
  /* A client speaks first only in SMTP after the greeting; an EHLO or
   * HELO (RFC 5321 4.1.1.1) settles it when the greeting was not seen. */
  if (has_prefix_ci (data, len, "EHLO ") || has_prefix_ci (data, len, "HELO "))
    return ML_PROTO_SMTP;
  return ML_PROTO_NONE;
}

void
ml_capture_options_init (MlCaptureOptions *options)
{
  memset (options, 0, sizeof *options);
  options->frames = TRUE;
  options->dialogue = TRUE;
}

gboolean
ml_capture_options_add_port (MlCaptureOptions *options, const char *spec, GError **error)
{
  static const struct {
    const char *name;
    MlProtocol  protocol;
    gboolean    implicit_tls;
  } names[] = {
    { "smtp", ML_PROTO_SMTP, FALSE }, { "submission", ML_PROTO_SMTP, FALSE },
    { "smtps", ML_PROTO_SMTP, TRUE }, { "submissions", ML_PROTO_SMTP, TRUE },
    { "pop3", ML_PROTO_POP3, FALSE }, { "pop", ML_PROTO_POP3, FALSE },
    { "pop3s", ML_PROTO_POP3, TRUE }, { "imap", ML_PROTO_IMAP, FALSE },
    { "imaps", ML_PROTO_IMAP, TRUE },
  };
  const char *eq = strchr (spec, '=');
  g_autofree char *name = NULL;
  guint64 port;
  char *end = NULL;

  if (eq == NULL)
    goto bad;
  name = g_strndup (spec, (gsize) (eq - spec));
  port = g_ascii_strtoull (eq + 1, &end, 10);
  if (end == eq + 1 || *end != '\0' || port == 0 || port > 65535)
    goto bad;
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i].name) == 0)
      {
        MlCapturePortMap *map;
        if (options->n_ports >= ML_CAPTURE_MAX_USER_PORTS)
          {
            g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_INVALID,
                         "at most %d --port mappings", ML_CAPTURE_MAX_USER_PORTS);
            return FALSE;
          }
        map = &options->ports[options->n_ports++];
        map->protocol = names[i].protocol;
        map->port = (guint16) port;
        map->implicit_tls = names[i].implicit_tls;
        return TRUE;
      }
bad:
  g_set_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_INVALID,
               "'%s' is not PROTO=PORT (PROTO: smtp, smtps, pop3, pop3s, imap, imaps)",
               spec);
  return FALSE;
}

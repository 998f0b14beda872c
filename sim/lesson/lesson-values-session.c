/* lesson-values-session.c — the values that say how a session is set up
 * and what it carries: a host's certificate and SASL mechanisms, a step's
 * TLS and login, a console step's protocol and typed lines, and the
 * attachments of a message (type and file name). The other value parsers
 * are in lesson-values.c.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>

#include "lesson/lesson.h"
#include "lesson/lesson-private.h"
#include "lesson/lesson-values-private.h"
#include "lesson/yaml-node.h"

#define MAX_CONSOLE_LINES       200   /* lines one console step types */
#define MAX_CONSOLE_LINE        998   /* RFC 5321 4.5.3.1.4: 1000 with CRLF; POP3 and
                                         IMAP lines are held to the same */
#define MAX_TOKEN               127   /* RFC 6838 4.2: a type or subtype name */

typedef MlLessonLoader Loader;
typedef MlLessonField Field;

/* Helpers of lesson-values.c and lesson-syntax.c, by their short names. */
#define fail             _ml_lesson_fail
#define quote            _ml_lesson_quote
#define set_string       _ml_lesson_set_string
#define check_choice     _ml_lesson_check_choice
#define expect_scalar    _ml_lesson_expect_scalar
#define check_line       _ml_lesson_check_line
#define parse_strv       _ml_lesson_parse_strv
#define parse_bool       _ml_lesson_parse_bool

/* Indexed by MlLessonCertificate. */
static const char *const certificate_names[] = {
  "valid", "wrong-name", "expired", "self-signed", NULL
};

static gboolean
parse_certificate (Loader *ld, const MlYamlNode *node, const char *path,
                   const Field *field, gpointer dest, GError **error)
{
  gsize i;

  if (!check_choice (ld, node, path, certificate_names,
                     G_N_ELEMENTS (certificate_names) - 1, "a kind of certificate", &i, error))
    return FALSE;
  *(MlLessonCertificate *) dest = (MlLessonCertificate) i;
  return TRUE;
}

/* true/false, kept apart from "not given" so the default can depend on
 * other keys (plaintext_auth, require_auth). */
static gboolean
parse_tristate (Loader *ld, const MlYamlNode *node, const char *path,
                const Field *field, gpointer dest, GError **error)
{
  gboolean value = FALSE;

  if (!parse_bool (ld, node, path, field, &value, error))
    return FALSE;
  *(MlLessonTristate *) dest = value ? ML_LESSON_YES : ML_LESSON_NO;
  return TRUE;
}

/* The SASL mechanisms the engines implement (RFC 4616, the LOGIN draft,
 * RFC 7677), as a server lists them in EHLO / CAPA / CAPABILITY. */
static const char *const mechanism_names[] = { "PLAIN", "LOGIN", "SCRAM-SHA-256", NULL };

static gboolean
check_mechanism (Loader *ld, const MlYamlNode *node, const char *path,
                 char **out, GError **error)
{
  gsize i;

  if (!check_choice (ld, node, path, mechanism_names, G_N_ELEMENTS (mechanism_names) - 1,
                     "a SASL mechanism this lab implements", &i, error))
    return FALSE;
  *out = g_strdup (mechanism_names[i]);
  return TRUE;
}

static gboolean
parse_mechanisms (Loader *ld, const MlYamlNode *node, const char *path,
                  const Field *field, gpointer dest, GError **error)
{
  GStrv *list = dest;

  if (!parse_strv (ld, node, path, field, dest, check_mechanism, error))
    return FALSE;
  for (guint i = 0; (*list)[i] != NULL; i++)
    for (guint j = 0; j < i; j++)
      if (strcmp ((*list)[i], (*list)[j]) == 0)
        return fail (ld, node, path, error, "%s is listed twice", (*list)[i]);
  return TRUE;
}

/* Indexed by MlLessonTls. */
static const char *const tls_names[] = { "opportunistic", "none", "required", "implicit", NULL };

static gboolean
parse_step_tls (Loader *ld, const MlYamlNode *node, const char *path,
                const Field *field, gpointer dest, GError **error)
{
  gsize i;

  if (!check_choice (ld, node, path, tls_names, G_N_ELEMENTS (tls_names) - 1,
                     "a way to use TLS", &i, error))
    return FALSE;
  *(MlLessonTls *) dest = (MlLessonTls) i;
  return TRUE;
}

/* Indexed by MlLessonAuth; "default" is what leaving the key out means. */
static const char *const auth_names[] = {
  "default", "none", "plain", "login", "scram-sha-256", "user", "apop", NULL
};

static gboolean
parse_step_auth (Loader *ld, const MlYamlNode *node, const char *path,
                 const Field *field, gpointer dest, GError **error)
{
  gsize i;

  if (!check_choice (ld, node, path, auth_names, G_N_ELEMENTS (auth_names) - 1,
                     "a way to log in", &i, error))
    return FALSE;
  *(MlLessonAuth *) dest = (MlLessonAuth) i;
  return TRUE;
}

static const char *const console_protocol_names[] = { "smtp", "pop3", "imap", NULL };
static const MlProtocol console_protocols[] = { ML_PROTO_SMTP, ML_PROTO_POP3, ML_PROTO_IMAP };

static gboolean
parse_console_protocol (Loader *ld, const MlYamlNode *node, const char *path,
                        const Field *field, gpointer dest, GError **error)
{
  gsize i;

  if (!check_choice (ld, node, path, console_protocol_names,
                     G_N_ELEMENTS (console_protocol_names) - 1, "a protocol a console "
                     "step speaks", &i, error))
    return FALSE;
  *(MlProtocol *) dest = console_protocols[i];
  return TRUE;
}

/* One line the student types: sent as is with CRLF after it, so it may
 * not hold a line end of its own, and must fit in a command line. */
static gboolean
check_console_line (Loader *ld, const MlYamlNode *node, const char *path,
                    char **out, GError **error)
{
  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  if (node->len > MAX_CONSOLE_LINE)
    return fail (ld, node, path, error, "the line is %" G_GSIZE_FORMAT " bytes long; "
                 "a command line holds at most %u before CRLF (RFC 5321 4.5.3.1.4)",
                 node->len, MAX_CONSOLE_LINE);
  for (gsize i = 0; i < node->len; i++)
    {
      guchar c = (guchar) node->text[i];

      if (c == '\n' || c == '\r')
        return fail (ld, node, path, error, "one item is one line; split it into two "
                     "items of the list");
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return fail (ld, node, path, error, "contains the control character 0x%02X", c);
    }
  *out = g_strndup (node->text, node->len);
  return TRUE;
}

static gboolean
parse_console_lines (Loader *ld, const MlYamlNode *node, const char *path,
                     const Field *field, gpointer dest, GError **error)
{
  if (node->kind == ML_YAML_SEQUENCE && node->items->len > MAX_CONSOLE_LINES)
    return fail (ld, node, path, error, "a console step types at most %u lines; "
                 "split it into several steps", MAX_CONSOLE_LINES);
  return parse_strv (ld, node, path, field, dest, check_console_line, error);
}

/* RFC 2045 5.1: type "/" subtype, each a token (RFC 6838 4.2 restricts
 * registered names further; a lesson only needs what a parser accepts). */
static gboolean
parse_content_type (Loader *ld, const MlYamlNode *node, const char *path,
                    const Field *field, gpointer dest, GError **error)
{
  g_autofree char *text = NULL;
  const char *slash;

  if (!check_line (ld, node, path, &text, error))
    return FALSE;
  slash = strchr (text, '/');
  if (slash == NULL || slash == text || slash[1] == '\0' ||
      strchr (slash + 1, '/') != NULL || strlen (text) > 2 * MAX_TOKEN + 1)
    goto bad;
  for (const char *p = text; *p; p++)
    if (p != slash &&
        ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || strchr ("()<>@,;:\\\"/[]?=", *p)))
      goto bad;
  set_string (dest, g_ascii_strdown (text, -1));
  return TRUE;

bad:
  {
    g_autofree char *q = quote (node);
    return fail (ld, node, path, error, "%s is not a media type; write type/subtype "
                 "like application/pdf or text/plain (RFC 2045 5.1)", q);
  }
}

/* A file name as Content-Disposition carries it (RFC 2183 2.3): no path,
 * which a receiver must not honour anyway. */
static gboolean
parse_file_name (Loader *ld, const MlYamlNode *node, const char *path,
                 const Field *field, gpointer dest, GError **error)
{
  g_autofree char *text = NULL;

  if (!check_line (ld, node, path, &text, error))
    return FALSE;
  if (strchr (text, '/') != NULL || strchr (text, '\\') != NULL)
    {
      g_autofree char *q = quote (node);
      return fail (ld, node, path, error, "%s has a directory in it; give the file's "
                   "name only, like report.pdf (RFC 2183 2.3)", q);
    }
  set_string (dest, g_steal_pointer (&text));
  return TRUE;
}

/* ---- for lesson.c's tables (lesson-private.h) --------------------------- */

#define EXPORT_PARSER(name) \
  gboolean \
  _ml_lesson_##name (Loader *ld, const MlYamlNode *node, const char *path, \
                     const Field *field, gpointer dest, GError **error) \
  { \
    return name (ld, node, path, field, dest, error); \
  }

EXPORT_PARSER (parse_certificate)
EXPORT_PARSER (parse_tristate)
EXPORT_PARSER (parse_mechanisms)
EXPORT_PARSER (parse_step_tls)
EXPORT_PARSER (parse_step_auth)
EXPORT_PARSER (parse_console_protocol)
EXPORT_PARSER (parse_console_lines)
EXPORT_PARSER (parse_content_type)
EXPORT_PARSER (parse_file_name)

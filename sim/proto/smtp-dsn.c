/* smtp-dsn.c — xtext and the DSN extension's parameter values (RFC 3461). */
#define G_LOG_DOMAIN "ml-smtp-dsn"

#include <string.h>
#include "proto/smtp-dsn.h"

static int
upper_hex_value (char c)
{
  /* RFC 3461 4: "two upper case hexadecimal digits". */
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

gboolean
ml_smtp_xtext_decode (const char *xtext, char **out)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_return_val_if_fail (out != NULL, FALSE);
  *out = NULL;
  if (xtext == NULL)
    return FALSE;
  for (const char *p = xtext; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '+')
        {
          int hi = upper_hex_value (p[1]);
          int lo = hi < 0 ? -1 : upper_hex_value (p[2]);

          if (lo < 0)
            return FALSE;
          c = (guchar) (hi * 16 + lo);
          p += 2;
        }
      else if (c < '!' || c > '~' || c == '=')
        return FALSE;  /* xchar excludes them */
      /* RFC 3461 4.2, 4.4: the decoded value is printable US-ASCII
       * (graphic and white space), so it can go into a DSN field. */
      if (c >= 0x7f || (c < 0x20 && c != '\t'))
        return FALSE;
      g_string_append_c (s, (char) c);
    }
  *out = g_string_free (g_steal_pointer (&s), FALSE);
  return TRUE;
}

char *
ml_smtp_xtext_encode (const char *text)
{
  GString *s = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c < '!' || c > '~' || c == '+' || c == '=')
        g_string_append_printf (s, "+%02X", c);
      else
        g_string_append_c (s, (char) c);
    }
  return g_string_free (s, FALSE);
}

gboolean
ml_smtp_dsn_parse_notify (const char *value, MlDsnNotify *out)
{
  g_auto(GStrv) words = NULL;
  MlDsnNotify notify = 0;

  if (value == NULL || *value == '\0' || strlen (value) > ML_SMTP_DSN_MAX_NOTIFY)
    return FALSE;
  words = g_strsplit (value, ",", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      MlDsnNotify bit;

      if (g_ascii_strcasecmp (words[i], "NEVER") == 0)
        bit = ML_DSN_NOTIFY_NEVER;
      else if (g_ascii_strcasecmp (words[i], "SUCCESS") == 0)
        bit = ML_DSN_NOTIFY_SUCCESS;
      else if (g_ascii_strcasecmp (words[i], "FAILURE") == 0)
        bit = ML_DSN_NOTIFY_FAILURE;
      else if (g_ascii_strcasecmp (words[i], "DELAY") == 0)
        bit = ML_DSN_NOTIFY_DELAY;
      else
        return FALSE;
      if (notify & bit)
        return FALSE;
      notify |= bit;
    }
  /* RFC 3461 4.1: NEVER "MUST NOT" be combined with the others. */
  if ((notify & ML_DSN_NOTIFY_NEVER) && notify != ML_DSN_NOTIFY_NEVER)
    return FALSE;
  *out = notify;
  return TRUE;
}

char *
ml_smtp_dsn_notify_to_string (MlDsnNotify notify)
{
  GString *s = g_string_new (NULL);

  if (notify & ML_DSN_NOTIFY_NEVER)
    return g_string_free (g_string_append (s, "NEVER"), FALSE);
  if (notify & ML_DSN_NOTIFY_SUCCESS)
    g_string_append (s, "SUCCESS");
  if (notify & ML_DSN_NOTIFY_FAILURE)
    g_string_append (s, s->len ? ",FAILURE" : "FAILURE");
  if (notify & ML_DSN_NOTIFY_DELAY)
    g_string_append (s, s->len ? ",DELAY" : "DELAY");
  return g_string_free (s, FALSE);
}

gboolean
ml_smtp_dsn_parse_ret (const char *value, MlDsnRet *out)
{
  if (value == NULL || strlen (value) > ML_SMTP_DSN_MAX_RET)
    return FALSE;
  if (g_ascii_strcasecmp (value, "FULL") == 0)
    *out = ML_DSN_RET_FULL;
  else if (g_ascii_strcasecmp (value, "HDRS") == 0)
    *out = ML_DSN_RET_HDRS;
  else
    return FALSE;
  return TRUE;
}

gboolean
ml_smtp_dsn_parse_envid (const char *value, char **out)
{
  /* RFC 3461 4.4: an ENVID is required to have a value. */
  if (value == NULL || *value == '\0' || strlen (value) > ML_SMTP_DSN_MAX_ENVID)
    return FALSE;
  return ml_smtp_xtext_decode (value, out);
}

gboolean
ml_smtp_dsn_parse_orcpt (const char *value, char **out)
{
  const char *semi;
  g_autofree char *address = NULL;

  *out = NULL;
  if (value == NULL || strlen (value) > ML_SMTP_DSN_MAX_ORCPT)
    return FALSE;
  /* addr-type = atom (RFC 3461 4.2); "rfc822" is the one in use. */
  semi = strchr (value, ';');
  if (semi == NULL || semi == value)
    return FALSE;
  for (const char *p = value; p < semi; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;
  if (semi[1] == '\0' || !ml_smtp_xtext_decode (semi + 1, &address))
    return FALSE;
  *out = g_strdup_printf ("%.*s;%s", (int) (semi - value), value, address);
  return TRUE;
}

char *
ml_smtp_dsn_mail_params (MlDsnRet ret, const char *envid)
{
  GString *s = g_string_new (NULL);

  if (ret == ML_DSN_RET_FULL)
    g_string_append (s, " RET=FULL");
  else if (ret == ML_DSN_RET_HDRS)
    g_string_append (s, " RET=HDRS");
  if (envid != NULL && *envid != '\0')
    {
      g_autofree char *x = ml_smtp_xtext_encode (envid);
      g_string_append_printf (s, " ENVID=%s", x);
    }
  return g_string_free (s, FALSE);
}

char *
ml_smtp_dsn_rcpt_params (MlDsnNotify notify, const char *orcpt)
{
  GString *s = g_string_new (NULL);

  if (notify != ML_DSN_NOTIFY_DEFAULT)
    {
      g_autofree char *n = ml_smtp_dsn_notify_to_string (notify);
      g_string_append_printf (s, " NOTIFY=%s", n);
    }
  if (orcpt != NULL && *orcpt != '\0')
    {
      const char *semi = strchr (orcpt, ';');
      /* RFC 3461 4.2: the addr-type as is, the address as xtext; a bare
       * address is an rfc822 one. */
      g_autofree char *x = ml_smtp_xtext_encode (semi ? semi + 1 : orcpt);

      if (semi != NULL)
        g_string_append_printf (s, " ORCPT=%.*s;%s", (int) (semi - orcpt), orcpt, x);
      else
        g_string_append_printf (s, " ORCPT=rfc822;%s", x);
    }
  return g_string_free (s, FALSE);
}

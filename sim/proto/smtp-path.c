/* smtp-path.c — Reverse-path / Forward-path and esmtp-params, RFC 5321 4.1.2.
 *
 * A hand-written recursive-descent reader over the ABNF. Each scan_*()
 * returns how many octets of its production start at @p (never past @end),
 * or 0 when there is none, so a caller can try alternatives without
 * backtracking state.
 */
#define G_LOG_DOMAIN "ml-smtp-path"

#include <string.h>
#include "proto/smtp-path.h"

/* RFC 5234 appendix B.1 core rules; not g_ascii_isalpha() because that one
 * is a table lookup on a signed char index when fed high octets. */
static inline gboolean
is_alpha (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline gboolean
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

static inline gboolean
is_hexdig (char c)
{
  return is_digit (c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline gboolean
is_let_dig (char c)
{
  return is_alpha (c) || is_digit (c);
}

/* atext, RFC 5322 3.2.3 (which RFC 5321 4.1.2 borrows for Atom). */
static inline gboolean
is_atext (char c)
{
  return is_let_dig (c) || (c != '\0' && strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* sub-domain = Let-dig [Ldh-str]; Ldh-str ends in a Let-dig, so a label
 * may hold hyphens but neither start nor end with one. */
static gsize
scan_sub_domain (const char *p, const char *end)
{
  const char *q = p;

  if (q >= end || !is_let_dig (*q))
    return 0;
  while (q < end && (is_let_dig (*q) || *q == '-'))
    q++;
  if (q[-1] == '-' || (gsize) (q - p) > ML_SMTP_MAX_LABEL)
    return 0;
  return (gsize) (q - p);
}

/* Domain = sub-domain *("." sub-domain) */
static gsize
scan_domain (const char *p, const char *end)
{
  const char *q = p;
  gsize n = scan_sub_domain (q, end);

  if (n == 0)
    return 0;
  q += n;
  while (q + 1 < end && *q == '.' && (n = scan_sub_domain (q + 1, end)) > 0)
    q += 1 + n;
  return (gsize) (q - p);
}

/* IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT, 0..255 */
static gboolean
is_ipv4 (const char *p, gsize len)
{
  const char *end = p + len;

  for (int part = 0; part < 4; part++)
    {
      guint value = 0;
      int digits = 0;

      if (part > 0)
        {
          if (p >= end || *p != '.')
            return FALSE;
          p++;
        }
      while (p < end && is_digit (*p) && digits < 3)
        {
          value = value * 10 + (guint) (*p - '0');
          digits++;
          p++;
        }
      if (digits == 0 || value > 255)
        return FALSE;
    }
  return p == end;
}

/* Counts the ":"-separated IPv6-hex groups of one side of an IPv6 literal.
 * The last piece may be an IPv4 address when @allow_v4. */
static gboolean
count_ipv6_groups (const char *p, gsize len, gboolean allow_v4,
                   guint *groups_out, gboolean *v4_out)
{
  const char *end = p + len;
  guint groups = 0;

  *v4_out = FALSE;
  *groups_out = 0;
  if (len == 0)
    return TRUE;

  for (;;)
    {
      const char *colon = memchr (p, ':', (gsize) (end - p));
      const char *piece_end = colon ? colon : end;
      gsize n = (gsize) (piece_end - p);

      if (colon == NULL && allow_v4 && memchr (p, '.', n) != NULL)
        {
          if (!is_ipv4 (p, n))
            return FALSE;
          *v4_out = TRUE;
          break;
        }
      if (n == 0 || n > 4)
        return FALSE;
      for (gsize i = 0; i < n; i++)
        if (!is_hexdig (p[i]))
          return FALSE;
      groups++;
      if (colon == NULL)
        break;
      p = colon + 1;
      if (p == end)
        return FALSE;  /* a trailing single ":" */
    }
  *groups_out = groups;
  return TRUE;
}

/* IPv6-addr = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp,
 * RFC 5321 4.1.3, with its group counts. */
static gboolean
is_ipv6 (const char *p, gsize len)
{
  const char *dc = g_strstr_len (p, (gssize) len, "::");
  guint left, right;
  gboolean v4_left, v4_right;

  if (dc == NULL)
    {
      if (!count_ipv6_groups (p, len, TRUE, &left, &v4_left))
        return FALSE;
      return v4_left ? left == 6 : left == 8;
    }

  /* At most one "::"; ":::" leaves an empty first group on the right. */
  if (!count_ipv6_groups (p, (gsize) (dc - p), FALSE, &left, &v4_left) ||
      !count_ipv6_groups (dc + 2, len - (gsize) (dc + 2 - p), TRUE, &right, &v4_right))
    return FALSE;
  /* "::" stands for at least two groups of zeros. */
  return v4_right ? left + right <= 4 : left + right <= 6;
}

/* address-literal = "[" ( IPv4 / IPv6 / General ) "]", RFC 5321 4.1.3.
 * General-address-literal is refused: its Standardized-tag must be
 * registered with IANA and none but "IPv6" is, so anything else is an
 * error today, and being conservative here costs nobody a message. */
static gsize
scan_address_literal (const char *p, const char *end)
{
  const char *q;
  gsize n;

  if (p >= end || *p != '[')
    return 0;
  for (q = p + 1; q < end && *q != ']'; q++)
    /* dcontent = %d33-90 / %d94-126 */
    if (!((*q >= 33 && *q <= 90) || (*q >= 94 && *q <= 126)))
      return 0;
  if (q >= end)
    return 0;
  n = (gsize) (q - (p + 1));
  if (is_ipv4 (p + 1, n))
    return n + 2;
  if (n > 5 && g_ascii_strncasecmp (p + 1, "IPv6:", 5) == 0 && is_ipv6 (p + 6, n - 5))
    return n + 2;
  return 0;
}

/* Dot-string = Atom *("." Atom) */
static gsize
scan_dot_string (const char *p, const char *end)
{
  const char *q = p;

  for (;;)
    {
      const char *atom = q;

      while (q < end && is_atext (*q))
        q++;
      if (q == atom)
        return 0;  /* empty atom: leading, trailing or doubled "." */
      if (q < end && *q == '.')
        q++;
      else
        return (gsize) (q - p);
    }
}

/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE */
static gsize
scan_quoted_string (const char *p, const char *end)
{
  const char *q = p;

  if (q >= end || *q != '"')
    return 0;
  for (q++; q < end; q++)
    {
      if (*q == '"')
        return (gsize) (q + 1 - p);
      if (*q == '\\')
        {
          /* quoted-pairSMTP = %d92 %d32-126 */
          q++;
          if (q >= end || *q < 32 || *q > 126)
            return 0;
        }
      else if (*q < 32 || *q > 126)  /* qtextSMTP also excludes controls */
        return 0;
    }
  return 0;
}

/* At-domain = "@" Domain; A-d-l = At-domain *( "," At-domain ), ":" */
static gsize
scan_source_route (const char *p, const char *end)
{
  const char *q = p;

  for (;;)
    {
      gsize n;

      if (q >= end || *q != '@')
        return 0;
      n = scan_domain (q + 1, end);
      if (n == 0)
        return 0;
      q += 1 + n;
      if (q < end && *q == ',')
        q++;
      else if (q < end && *q == ':')
        return (gsize) (q - p);  /* the ":" is not part of the route */
      else
        return 0;
    }
}

/* The local part with quoting removed, for comparisons that must treat all
 * quoted forms alike (RFC 5321 4.1.2). */
static char *
dup_unquoted (const char *p, gsize len)
{
  GString *s;

  if (len < 2 || p[0] != '"')
    return g_strndup (p, len);
  s = g_string_sized_new (len);
  for (gsize i = 1; i + 1 < len; i++)
    {
      if (p[i] == '\\')
        i++;
      g_string_append_c (s, p[i]);
    }
  return g_string_free (s, FALSE);
}

static void
param_free (gpointer data)
{
  MlSmtpParam *param = data;

  g_free (param->keyword);
  g_free (param->value);
  g_free (param);
}

/* Mail-parameters = esmtp-param *(SP esmtp-param)
 * esmtp-param = esmtp-keyword ["=" esmtp-value] */
static gboolean
parse_params (const char *p, GPtrArray *params)
{
  while (*p != '\0')
    {
      const char *kw = p, *value = NULL;
      MlSmtpParam *param;

      if (*p != ' ')
        return FALSE;
      kw = ++p;
      /* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
      if (!is_let_dig (*p))
        return FALSE;
      while (is_let_dig (*p) || *p == '-')
        p++;
      param = g_new0 (MlSmtpParam, 1);
      param->keyword = g_strndup (kw, (gsize) (p - kw));
      g_ptr_array_add (params, param);
      if (*p != '=')
        continue;
      value = ++p;
      /* esmtp-value = 1*(%d33-60 / %d62-126) */
      while ((*p >= 33 && *p <= 60) || (*p >= 62 && *p <= 126))
        p++;
      if (p == value)
        return FALSE;
      param->value = g_strndup (value, (gsize) (p - value));
    }
  return TRUE;
}

MlSmtpPath *
ml_smtp_path_parse (const char *text, MlSmtpPathKind kind, MlSmtpPathStatus *status_out)
{
  g_autoptr(MlSmtpPath) path = NULL;
  const char *p = text, *end, *route = NULL, *local, *domain;
  gsize route_len = 0, local_len, domain_len = 0;
  MlSmtpPathStatus dummy;

  g_return_val_if_fail (text != NULL, NULL);
  if (status_out == NULL)
    status_out = &dummy;
  *status_out = ML_SMTP_PATH_ERROR_SYNTAX;

  end = text + strlen (text);
  path = g_new0 (MlSmtpPath, 1);
  path->kind = kind;
  path->params = g_ptr_array_new_with_free_func (param_free);

  if (*p++ != '<')
    return NULL;

  /* Reverse-path = Path / "<>" (RFC 5321 4.1.2); a null forward path is
   * meaningless and refused. */
  if (*p == '>' && kind == ML_SMTP_PATH_REVERSE)
    {
      path->is_null = TRUE;
      path->mailbox = g_strdup ("");
      p++;
      goto params;
    }

  if (*p == '@')
    {
      route = p;
      route_len = scan_source_route (p, end);
      if (route_len == 0)
        return NULL;
      p += route_len + 1;
    }

  local = p;
  local_len = (*p == '"') ? scan_quoted_string (p, end) : scan_dot_string (p, end);
  if (local_len == 0)
    return NULL;
  p += local_len;

  if (*p == '>')
    {
      g_autofree char *bare = dup_unquoted (local, local_len);

      /* "<Postmaster>" without a domain, case-insensitive, only in RCPT and
       * only in that exact form (RFC 5321 4.1.1.3, 4.5.1). */
      if (kind != ML_SMTP_PATH_FORWARD || route != NULL || local[0] == '"' ||
          g_ascii_strcasecmp (bare, "postmaster") != 0)
        return NULL;
      path->is_postmaster = TRUE;
      path->local_part = g_strndup (local, local_len);
      path->mailbox = g_strndup (local, local_len);
      p++;
      goto params;
    }

  if (*p++ != '@')
    return NULL;
  domain = p;
  domain_len = (*p == '[') ? scan_address_literal (p, end) : scan_domain (p, end);
  if (domain_len == 0)
    return NULL;
  p += domain_len;
  if (*p++ != '>')
    return NULL;

  {
    g_autofree char *bare = dup_unquoted (local, local_len);

    path->is_postmaster = g_ascii_strcasecmp (bare, "postmaster") == 0;
  }
  path->local_part = g_strndup (local, local_len);
  path->domain = g_strndup (domain, domain_len);
  path->mailbox = g_strdup_printf ("%s@%s", path->local_part, path->domain);
  if (route != NULL)
    path->source_route = g_strndup (route, route_len);

  if ((gsize) (p - text) > ML_SMTP_MAX_PATH ||
      local_len > ML_SMTP_MAX_LOCAL_PART ||
      domain_len > ML_SMTP_MAX_DOMAIN)
    {
      *status_out = ML_SMTP_PATH_ERROR_TOO_LONG;
      return NULL;
    }

params:
  /* Anything glued to the ">" is a broken path, not a parameter. */
  if (*p != '\0' && *p != ' ')
    return NULL;
  if (!parse_params (p, path->params))
    {
      *status_out = ML_SMTP_PATH_ERROR_PARAM_SYNTAX;
      return NULL;
    }
  *status_out = ML_SMTP_PATH_OK;
  return g_steal_pointer (&path);
}

void
ml_smtp_path_free (MlSmtpPath *path)
{
  if (path == NULL)
    return;
  g_free (path->mailbox);
  g_free (path->local_part);
  g_free (path->domain);
  g_free (path->source_route);
  g_ptr_array_unref (path->params);
  g_free (path);
}

gboolean
ml_smtp_path_lookup_param (const MlSmtpPath *path, const char *keyword, const char **value_out)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (keyword != NULL, FALSE);

  for (guint i = 0; i < path->params->len; i++)
    {
      const MlSmtpParam *param = g_ptr_array_index (path->params, i);

      if (g_ascii_strcasecmp (param->keyword, keyword) == 0)
        {
          if (value_out != NULL)
            *value_out = param->value;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
ml_smtp_path_status_to_string (MlSmtpPathStatus status)
{
  switch (status)
    {
    case ML_SMTP_PATH_OK:
      return "ok";
    case ML_SMTP_PATH_ERROR_SYNTAX:
      return "bad address syntax";
    case ML_SMTP_PATH_ERROR_TOO_LONG:
      return "path too long";
    case ML_SMTP_PATH_ERROR_PARAM_SYNTAX:
      return "bad parameter syntax";
    default:
      return "unknown";
    }
}

gboolean
ml_smtp_is_domain (const char *text, gsize len)
{
  g_return_val_if_fail (text != NULL, FALSE);
  return len > 0 && len <= ML_SMTP_MAX_DOMAIN && scan_domain (text, text + len) == len;
}

gboolean
ml_smtp_is_address_literal (const char *text, gsize len)
{
  g_return_val_if_fail (text != NULL, FALSE);
  return len > 0 && scan_address_literal (text, text + len) == len;
}

/* spf-record.c — an SPF record's syntax (RFC 7208 4.6, 12) and its
 * macros (RFC 7208 7).
 *
 * The whole record is parsed before anything is evaluated because 4.6
 * makes a syntax error anywhere a permerror, even after a mechanism that
 * would have matched.
 */
#include "mailauth/spf-private.h"

#include <string.h>

G_DEFINE_QUARK (ml-spf-error-quark, ml_spf_error)

/* RFC 1035 2.3.4 / RFC 7208 7.3: names are at most 253 octets written
 * without the final dot, labels at most 63. */
#define MAX_DOMAIN 253
#define MAX_LABEL  63

static const char *const mechanism_names[] = {
  [ML_SPF_MECH_ALL]     = "all",
  [ML_SPF_MECH_INCLUDE] = "include",
  [ML_SPF_MECH_A]       = "a",
  [ML_SPF_MECH_MX]      = "mx",
  [ML_SPF_MECH_PTR]     = "ptr",
  [ML_SPF_MECH_IP4]     = "ip4",
  [ML_SPF_MECH_IP6]     = "ip6",
  [ML_SPF_MECH_EXISTS]  = "exists",
};

static gboolean
syntax_error (GError **error, const char *term, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
syntax_error (GError **error, const char *term, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, ML_SPF_ERROR, ML_SPF_ERROR_SYNTAX, "'%s': %s", term, message);
  return FALSE;
}

gboolean
_ml_spf_is_spf1 (const char *text)
{
  return g_ascii_strncasecmp (text, "v=spf1", 6) == 0 && (text[6] == '\0' || text[6] == ' ');
}

/* ---- macro-string (7.1) ---- */

static gboolean
is_macro_letter (char c, gboolean explanation)
{
  c = g_ascii_tolower (c);
  if (c == 'c' || c == 'r' || c == 't')
    return explanation;
  return strchr ("slodiphv", c) != NULL;
}

static gboolean
is_delimiter (char c)
{
  return c != '\0' && strchr (".-+,/_=", c) != NULL;
}

/* Checks one macro-string and returns where it ends: at @end or at the
 * first character that cannot be part of it. */
static const char *
scan_macro_string (const char *p, const char *end, gboolean explanation,
                   const char *term, GError **error)
{
  while (p < end)
    {
      if (*p != '%')
        {
          /* macro-literal: %x21-24 / %x26-7E; the explanation text may
           * also hold spaces (6.2: it is a macro-string of text). */
          if (!((*p >= 0x21 && *p <= 0x7e) || (explanation && *p == ' ')))
            return p;
          p++;
          continue;
        }
      if (p + 1 >= end)
        {
          syntax_error (error, term, "'%%' at the end: write '%%%%' for a percent sign");
          return NULL;
        }
      if (p[1] == '%' || p[1] == '_' || p[1] == '-')
        {
          p += 2;
          continue;
        }
      if (p[1] != '{')
        {
          syntax_error (error, term, "'%%%c' is not a macro (7.1: %%{x}, %%%%, %%_ or %%-)", p[1]);
          return NULL;
        }
      p += 2;
      if (p >= end || !is_macro_letter (*p, explanation))
        {
          syntax_error (error, term, "'%c' is not a macro letter here (7.2)", p < end ? *p : ' ');
          return NULL;
        }
      p++;
      while (p < end && g_ascii_isdigit (*p))
        p++;
      if (p < end && g_ascii_tolower (*p) == 'r')
        p++;
      while (p < end && is_delimiter (*p))
        p++;
      if (p >= end || *p != '}')
        {
          syntax_error (error, term, "a macro is not closed with '}'");
          return NULL;
        }
      p++;
    }
  return p;
}

static gboolean
is_toplabel (const char *label, gsize len)
{
  gboolean alpha = FALSE;

  if (len == 0 || len > MAX_LABEL)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (g_ascii_isalpha (label[i]))
        alpha = TRUE;
      else if (label[i] == '-')
        {
          if (i == 0 || i == len - 1)
            return FALSE;
        }
      else if (!g_ascii_isdigit (label[i]))
        return FALSE;
    }
  /* 12: all digits only counts when there is a hyphen in it ("1-2"). */
  return alpha || memchr (label, '-', len) != NULL;
}

/* domain-spec = macro-string domain-end; domain-end = "." toplabel ["."]
 * / macro-expand. */
static gboolean
check_domain_spec (const char *spec, gsize len, const char *term, GError **error)
{
  const char *end = spec + len;
  const char *stop;
  const char *last;
  gsize label_len;

  if (len == 0)
    return syntax_error (error, term, "a domain is missing");
  stop = scan_macro_string (spec, end, FALSE, term, error);
  if (stop == NULL)
    return FALSE;
  if (stop != end)
    return syntax_error (error, term, "'%c' cannot appear in a domain", *stop);
  /* domain-end may be a macro-expand ("%{d}", or even "%%"). */
  if (end[-1] == '}' || (end - spec >= 2 && end[-2] == '%'))
    return TRUE;
  if (end[-1] == '.')
    end--;
  last = end;
  while (last > spec && last[-1] != '.')
    last--;
  if (last == spec)
    return syntax_error (error, term, "'%.*s' is not a domain with a dot in it", (int) len, spec);
  label_len = end - last;
  if (!is_toplabel (last, label_len))
    return syntax_error (error, term, "'%.*s' is not a valid top label", (int) label_len, last);
  return TRUE;
}

/* ---- terms ---- */

static gboolean
parse_cidr (const char *p, const char *end, int max, int *out, const char *term, GError **error)
{
  int value = 0;

  /* "0" / %x31-39 0*2DIGIT: no leading zeros. */
  if (p >= end || !g_ascii_isdigit (*p) || (*p == '0' && p + 1 < end && g_ascii_isdigit (p[1])))
    return syntax_error (error, term, "a prefix length is a number without leading zeros");
  for (; p < end && g_ascii_isdigit (*p); p++)
    {
      value = value * 10 + (*p - '0');
      if (value > max)
        return syntax_error (error, term, "a prefix length is at most %d", max);
    }
  if (p != end)
    return syntax_error (error, term, "unexpected '%c' after the prefix length", *p);
  *out = value;
  return TRUE;
}

/* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ] */
static gboolean
parse_dual_cidr (const char *p, const char *end, MlSpfTerm *t, const char *term, GError **error)
{
  const char *slash2;

  if (p == end)
    return TRUE;
  /* p points at the first '/'. */
  if (end - p >= 2 && p[1] == '/')
    return parse_cidr (p + 2, end, 128, &t->cidr6, term, error);
  slash2 = memchr (p + 1, '/', end - p - 1);
  if (slash2 == NULL)
    return parse_cidr (p + 1, end, 32, &t->cidr4, term, error);
  if (slash2 + 1 >= end || slash2[1] != '/')
    return syntax_error (error, term, "the IPv6 prefix length is written '//n'");
  return parse_cidr (p + 1, slash2, 32, &t->cidr4, term, error)
         && parse_cidr (slash2 + 2, end, 128, &t->cidr6, term, error);
}

/* The first '/' outside a macro: where a domain-spec's cidr begins. */
static const char *
find_cidr (const char *p, const char *end)
{
  gboolean in_macro = FALSE;

  for (; p < end; p++)
    {
      if (!in_macro && p[0] == '%' && p + 1 < end && p[1] == '{')
        in_macro = TRUE;
      else if (in_macro && *p == '}')
        in_macro = FALSE;
      else if (!in_macro && *p == '/')
        return p;
    }
  return end;
}

static gboolean
parse_network (MlSpfTerm *t, const char *value, gsize len, const char *term, GError **error)
{
  gboolean v6 = t->mechanism == ML_SPF_MECH_IP6;
  const char *end = value + len;
  const char *slash = memchr (value, '/', len);
  g_autofree char *address = g_strndup (value, (slash ? slash : end) - value);
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (address);
  int prefix = v6 ? 128 : 32;

  if (ip == NULL
      || g_inet_address_get_family (ip) != (v6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4))
    return syntax_error (error, term, "'%s' is not an IPv%c address", address, v6 ? '6' : '4');
  if (slash != NULL && !parse_cidr (slash + 1, end, prefix, &prefix, term, error))
    return FALSE;
  /* 5.6: the host bits of the network may be set; they are ignored, so
   * build the mask from the address's network part. */
  {
    guint8 bytes[16] = { 0 };
    gsize n = g_inet_address_get_native_size (ip);
    g_autoptr(GInetAddress) network = NULL;

    memcpy (bytes, g_inet_address_to_bytes (ip), n);
    for (gsize i = 0; i < n; i++)
      {
        int keep = prefix - (int) i * 8;
        if (keep <= 0)
          bytes[i] = 0;
        else if (keep < 8)
          bytes[i] &= (guint8) (0xff << (8 - keep));
      }
    network = g_inet_address_new_from_bytes (bytes, g_inet_address_get_family (ip));
    t->network = g_inet_address_mask_new (network, prefix, NULL);
  }
  return t->network != NULL || syntax_error (error, term, "not a network");
}

static void
term_free (gpointer data)
{
  MlSpfTerm *t = data;

  g_free (t->domain_spec);
  g_clear_object (&t->network);
  g_free (t->text);
  g_free (t);
}

static gboolean
parse_directive (MlSpfRecord *record, const char *text, gsize len, GError **error)
{
  g_autofree char *term = g_strndup (text, len);
  MlSpfTerm *t = g_new0 (MlSpfTerm, 1);
  const char *p = text;
  const char *end = text + len;
  const char *name_end;
  gsize name_len;
  gsize m;

  t->text = g_strdup (term);
  t->cidr4 = t->cidr6 = -1;
  t->qualifier = '+';
  g_ptr_array_add (record->terms, t);

  if (strchr ("+-~?", *p) != NULL)
    t->qualifier = *p++;
  name_end = p;
  while (name_end < end && g_ascii_isalnum (*name_end))
    name_end++;
  name_len = name_end - p;
  for (m = 0; m < G_N_ELEMENTS (mechanism_names); m++)
    if (strlen (mechanism_names[m]) == name_len
        && g_ascii_strncasecmp (p, mechanism_names[m], name_len) == 0)
      break;
  if (m == G_N_ELEMENTS (mechanism_names))
    return syntax_error (error, term, "unknown mechanism (4.6.1: all, include, a, mx, ptr, ip4, ip6, exists)");
  t->mechanism = (MlSpfMechanism) m;
  p = name_end;

  switch (t->mechanism)
    {
    case ML_SPF_MECH_ALL:
      record->has_all = TRUE;
      if (p != end)
        return syntax_error (error, term, "'all' takes no argument");
      return TRUE;

    case ML_SPF_MECH_INCLUDE:
    case ML_SPF_MECH_EXISTS:
      if (p == end || *p != ':')
        return syntax_error (error, term, "needs ':domain' (5.2, 5.7)");
      if (!check_domain_spec (p + 1, end - p - 1, term, error))
        return FALSE;
      t->domain_spec = g_strndup (p + 1, end - p - 1);
      return TRUE;

    case ML_SPF_MECH_A:
    case ML_SPF_MECH_MX:
    case ML_SPF_MECH_PTR:
      {
        const char *cidr = end;

        if (p < end && *p == ':')
          {
            cidr = t->mechanism == ML_SPF_MECH_PTR ? end : find_cidr (p + 1, end);
            if (!check_domain_spec (p + 1, cidr - p - 1, term, error))
              return FALSE;
            t->domain_spec = g_strndup (p + 1, cidr - p - 1);
          }
        else if (p < end && (*p != '/' || t->mechanism == ML_SPF_MECH_PTR))
          return syntax_error (error, term, "unexpected '%c'", *p);
        else
          cidr = p;
        return parse_dual_cidr (cidr, end, t, term, error);
      }

    case ML_SPF_MECH_IP4:
    case ML_SPF_MECH_IP6:
      if (p == end || *p != ':')
        return syntax_error (error, term, "needs ':address' (5.6)");
      return parse_network (t, p + 1, end - p - 1, term, error);
    }
  return syntax_error (error, term, "unknown mechanism");
}

/* modifier = redirect / explanation / unknown-modifier; name = ALPHA
 * *( ALPHA / DIGIT / "-" / "_" / "." ) */
static gboolean
parse_modifier (MlSpfRecord *record, const char *text, gsize len, const char *eq, GError **error)
{
  g_autofree char *term = g_strndup (text, len);
  const char *value = eq + 1;
  gsize value_len = text + len - value;

  if (!g_ascii_isalpha (text[0]))
    return syntax_error (error, term, "a modifier name starts with a letter");
  for (const char *p = text; p < eq; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-_.", *p) == NULL)
      return syntax_error (error, term, "'%c' cannot appear in a modifier name", *p);

  if ((gsize) (eq - text) == 8 && g_ascii_strncasecmp (text, "redirect", 8) == 0)
    {
      if (record->redirect != NULL)
        return syntax_error (error, term, "'redirect' appears twice (6)");
      if (!check_domain_spec (value, value_len, term, error))
        return FALSE;
      record->redirect = g_strndup (value, value_len);
      return TRUE;
    }
  if ((gsize) (eq - text) == 3 && g_ascii_strncasecmp (text, "exp", 3) == 0)
    {
      if (record->exp != NULL)
        return syntax_error (error, term, "'exp' appears twice (6)");
      if (!check_domain_spec (value, value_len, term, error))
        return FALSE;
      record->exp = g_strndup (value, value_len);
      return TRUE;
    }
  /* 6: unknown modifiers are ignored, but their value must still be a
   * macro-string. */
  {
    const char *stop = scan_macro_string (value, value + value_len, FALSE, term, error);
    if (stop == NULL)
      return FALSE;
    if (stop != value + value_len)
      return syntax_error (error, term, "'%c' cannot appear in a modifier's value", *stop);
  }
  return TRUE;
}

void
_ml_spf_record_free (MlSpfRecord *record)
{
  if (record == NULL)
    return;
  g_ptr_array_unref (record->terms);
  g_free (record->redirect);
  g_free (record->exp);
  g_free (record);
}

MlSpfRecord *
_ml_spf_record_parse (const char *text, GError **error)
{
  MlSpfRecord *record;
  const char *p;

  if (strlen (text) > ML_SPF_MAX_RECORD)
    {
      g_set_error (error, ML_SPF_ERROR, ML_SPF_ERROR_SYNTAX,
                   "the record is longer than %d octets", ML_SPF_MAX_RECORD);
      return NULL;
    }
  if (!_ml_spf_is_spf1 (text))
    {
      g_set_error (error, ML_SPF_ERROR, ML_SPF_ERROR_SYNTAX, "the record does not start with 'v=spf1'");
      return NULL;
    }
  record = g_new0 (MlSpfRecord, 1);
  record->terms = g_ptr_array_new_with_free_func (term_free);
  p = text + 6;
  while (*p != '\0')
    {
      const char *start;
      const char *eq = NULL;
      gboolean ok;

      if (*p != ' ')
        {
          g_set_error (error, ML_SPF_ERROR, ML_SPF_ERROR_SYNTAX,
                       "terms are separated by spaces ('%c' found)", *p);
          _ml_spf_record_free (record);
          return NULL;
        }
      while (*p == ' ')
        p++;
      if (*p == '\0')
        break;
      start = p;
      while (*p != '\0' && *p != ' ')
        p++;
      /* A modifier is name "=" …; a directive never holds '=' before a
       * ':' (a macro delimiter may, after it). */
      for (const char *q = start; q < p && *q != ':' && *q != '/'; q++)
        if (*q == '=')
          {
            eq = q;
            break;
          }
      ok = eq != NULL ? parse_modifier (record, start, p - start, eq, error)
                      : parse_directive (record, start, p - start, error);
      if (!ok)
        {
          _ml_spf_record_free (record);
          return NULL;
        }
    }
  return record;
}

gboolean
ml_spf_record_validate (const char *record, GError **error)
{
  MlSpfRecord *parsed = _ml_spf_record_parse (record, error);

  _ml_spf_record_free (parsed);
  return parsed != NULL;
}

/* ---- expansion (7.3) ---- */

static void
append_ip_dotted (GString *out, GInetAddress *ip)
{
  const guint8 *b = g_inet_address_to_bytes (ip);

  if (g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV4)
    g_string_append_printf (out, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  else
    /* 7.3: IPv6 "i" is dot-separated nibbles, most significant first. */
    for (int i = 0; i < 16; i++)
      g_string_append_printf (out, "%s%x.%x", i ? "." : "", b[i] >> 4, b[i] & 0xf);
}

static char *
macro_value (char letter, const MlSpfMacroContext *ctx)
{
  GString *out;

  switch (letter)
    {
    case 's': return g_strdup (ctx->sender);
    case 'l': return g_strdup (ctx->local);
    case 'o': return g_strdup (ctx->sender_domain);
    case 'd': return g_strdup (ctx->domain);
    case 'h': return g_strdup (ctx->helo);
    case 'p': return g_strdup (ctx->validated ? ctx->validated : "unknown");
    case 'r': return g_strdup (ctx->receiver ? ctx->receiver : "unknown");
    case 't': return g_strdup_printf ("%" G_GINT64_FORMAT, ctx->now);
    case 'v':
      return g_strdup (g_inet_address_get_family (ctx->ip) == G_SOCKET_FAMILY_IPV4 ? "in-addr" : "ip6");
    case 'i':
      out = g_string_new (NULL);
      append_ip_dotted (out, ctx->ip);
      return g_string_free (out, FALSE);
    case 'c':
      /* 7.3: "c" is the IP in its usual text form (RFC 5952 for IPv6). */
      return g_inet_address_to_string (ctx->ip);
    }
  return g_strdup ("");
}

/* 7.3: split on the delimiters, keep the rightmost @digits parts (after
 * reversing when asked), join with ".". */
static void
transform (GString *out, const char *value, guint digits, gboolean reverse, const char *delimiters)
{
  g_auto(GStrv) parts = NULL;
  GPtrArray *kept = g_ptr_array_new ();
  guint n;
  guint first;

  {
    /* g_strsplit_set with a set, keeping empty parts as the RFC does. */
    parts = g_strsplit_set (value, delimiters[0] ? delimiters : ".", -1);
  }
  n = g_strv_length (parts);
  if (reverse)
    for (guint i = 0; i < n / 2; i++)
      {
        char *tmp = parts[i];
        parts[i] = parts[n - 1 - i];
        parts[n - 1 - i] = tmp;
      }
  first = (digits > 0 && digits < n) ? n - digits : 0;
  for (guint i = first; i < n; i++)
    g_ptr_array_add (kept, parts[i]);
  for (guint i = 0; i < kept->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, '.');
      g_string_append (out, g_ptr_array_index (kept, i));
    }
  g_ptr_array_unref (kept);
}

gboolean
_ml_spf_macro_uses_p (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (p[0] == '%' && p[1] == '{' && g_ascii_tolower (p[2]) == 'p')
      return TRUE;
  return FALSE;
}

char *
_ml_spf_macro_expand (const char *text, const MlSpfMacroContext *ctx,
                      gboolean explanation, GError **error)
{
  GString *out = g_string_new (NULL);
  const char *end = text + strlen (text);

  if (scan_macro_string (text, end, explanation, text, error) != end)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, ML_SPF_ERROR, ML_SPF_ERROR_SYNTAX, "'%s' is not a macro-string", text);
      g_string_free (out, TRUE);
      return NULL;
    }
  for (const char *p = text; p < end;)
    {
      if (*p != '%')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      switch (p[1])
        {
        case '%': g_string_append_c (out, '%'); p += 2; continue;
        case '_': g_string_append_c (out, ' '); p += 2; continue;
        case '-': g_string_append (out, "%20"); p += 2; continue;
        }
      {
        char letter = p[2];
        guint digits = 0;
        gboolean saw_digits = FALSE;
        gboolean reverse = FALSE;
        char delimiters[8] = { 0 };
        gsize n_delim = 0;
        g_autofree char *value = NULL;
        GString *piece = g_string_new (NULL);

        p += 3;
        while (g_ascii_isdigit (*p))
          {
            /* 7.3: a number past 128 or so makes no sense; cap it. */
            digits = MIN (digits * 10 + (guint) (*p - '0'), 1000);
            saw_digits = TRUE;
            p++;
          }
        if (g_ascii_tolower (*p) == 'r')
          {
            reverse = TRUE;
            p++;
          }
        while (is_delimiter (*p))
          {
            if (n_delim < sizeof delimiters - 1 && strchr (delimiters, *p) == NULL)
              delimiters[n_delim++] = *p;
            p++;
          }
        p++;  /* '}' */
        value = macro_value (g_ascii_tolower (letter), ctx);
        /* 7.3: digits of zero are not allowed. */
        if (saw_digits && digits == 0)
          {
            g_set_error (error, ML_SPF_ERROR, ML_SPF_ERROR_SYNTAX, "a macro keeps at least one part (7.3)");
            g_string_free (piece, TRUE);
            g_string_free (out, TRUE);
            return NULL;
          }
        transform (piece, value, digits, reverse, delimiters[0] ? delimiters : ".");
        if (g_ascii_isupper (letter))
          {
            /* 7.3: uppercase macros are URL-escaped (RFC 3986 unreserved kept). */
            g_autofree char *escaped = g_uri_escape_string (piece->str, NULL, FALSE);
            g_string_append (out, escaped);
          }
        else
          g_string_append_len (out, piece->str, piece->len);
        g_string_free (piece, TRUE);
      }
      if (out->len > ML_SPF_MAX_EXPANSION)
        {
          g_set_error (error, ML_SPF_ERROR, ML_SPF_ERROR_SYNTAX, "the expansion is longer than %d octets",
                       ML_SPF_MAX_EXPANSION);
          g_string_free (out, TRUE);
          return NULL;
        }
    }
  if (!explanation)
    {
      /* 7.3: a domain longer than 253 octets loses labels from the left. */
      while (out->len > MAX_DOMAIN)
        {
          const char *dot = strchr (out->str, '.');
          if (dot == NULL)
            break;
          g_string_erase (out, 0, dot - out->str + 1);
        }
    }
  return g_string_free (out, FALSE);
}

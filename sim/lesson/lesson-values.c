/* lesson-values.c — the first pass's value parsers: one function per kind
 * of value a lesson may hold (a line, a body, a host name, an address, a
 * duration, a bandwidth, a role, one word of a choice ...), each checking
 * the value's own syntax, and the helpers that word an error at a
 * FILE:LINE:COLUMN. The field tables that name them are in lesson.c; the
 * rules that need the whole file are in lesson-check.c.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lesson/lesson.h"
#include "lesson/lesson-private.h"
#include "lesson/lesson-values-private.h"
#include "lesson/yaml-node.h"

#define MAX_LATENCY_US          G_GUINT64_CONSTANT (60000000)       /* 60 s */
#define MIN_BANDWIDTH_BPS       G_GUINT64_CONSTANT (1000)           /* 1 kbit */
#define MAX_BANDWIDTH_BPS       G_GUINT64_CONSTANT (100000000000)   /* 100 Gbit */
#define MAX_DNS_NAME            253   /* RFC 1035 2.3.4: 255 octets on the wire */
#define MAX_LOCAL_PART          64    /* RFC 5321 4.5.3.1.1 */
#define MAX_BODY_LINE           998   /* RFC 5321 4.5.3.1.6: 1000 with CRLF */

typedef MlLessonLoader Loader;
typedef MlLessonField Field;

/* The message and syntax helpers live in lesson-syntax.c. */
#define fail             _ml_lesson_fail
#define quote            _ml_lesson_quote
#define quote_text       _ml_lesson_quote_text
#define join_path        _ml_lesson_join_path
#define did_you_mean     _ml_lesson_did_you_mean
#define dns_name_problem _ml_lesson_dns_name_problem
#define ipv4_parse       _ml_lesson_ipv4_parse

/* atext of RFC 5322 3.2.3. */
static gboolean
is_atext (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* NULL if @addr is local@domain as RFC 5321 4.1.2 Mailbox with a dot-string
 * local part, else why not (transfer full). Quoted local parts and address
 * literals are legal SMTP but have no place in a lesson. */
static char *
address_problem (const char *addr)
{
  const char *at = strrchr (addr, '@');
  g_autofree char *domain_problem = NULL;
  gsize local_len;

  if (at == NULL)
    return g_strdup ("it has no '@'; an address is local-part@domain, like bob@b.example");
  local_len = (gsize) (at - addr);
  if (local_len == 0)
    return g_strdup ("there is nothing before the '@'");
  if (local_len > MAX_LOCAL_PART)
    return g_strdup_printf ("the part before '@' is longer than %u characters "
                            "(RFC 5321 4.5.3.1.1)", MAX_LOCAL_PART);
  if (addr[0] == '.' || at[-1] == '.')
    return g_strdup ("the part before '@' starts or ends with '.' (RFC 5322 3.2.3)");
  for (const char *p = addr; p < at; p++)
    {
      if (*p == '.' && p[1] == '.')
        return g_strdup ("the part before '@' has two dots in a row (RFC 5322 3.2.3)");
      if (*p == '@')
        return g_strdup ("it has more than one '@'");
      if ((guchar) *p >= 0x80)
        return g_strdup ("the part before '@' is not ASCII; that needs SMTPUTF8 "
                         "(RFC 6531), which lessons do not use yet");
      if (*p != '.' && !is_atext (*p))
        return g_strdup_printf ("'%c' is not allowed before the '@' (RFC 5322 3.2.3)", *p);
    }
  domain_problem = dns_name_problem (at + 1, FALSE);
  if (domain_problem != NULL)
    return g_strdup_printf ("the domain after '@' is not valid: %s", domain_problem);
  return NULL;
}

/* ---- value parsers (first pass) ------------------------------------------ */

static gboolean
expect_scalar (Loader *ld, const MlYamlNode *node, const char *path, GError **error)
{
  if (node->kind != ML_YAML_SCALAR)
    return fail (ld, node, path, error, "expected a single value, found %s",
                 ml_yaml_kind_describe (node->kind));
  if (ml_yaml_node_is_null (node))
    return fail (ld, node, path, error, "has no value; write one after the ':' "
                 "or remove the line");
  if (memchr (node->text, '\0', node->len) != NULL)
    return fail (ld, node, path, error, "contains a NUL character");
  return TRUE;
}

static void
set_string (gpointer dest, char *value)
{
  char **slot = dest;

  g_free (*slot);
  *slot = value;
}

/* One line of text: a title, a subject, a name. Trailing newlines that a
 * block scalar ("title: >") adds are dropped. */
static gboolean
check_line (Loader *ld, const MlYamlNode *node, const char *path, char **out, GError **error)
{
  g_autofree char *text = NULL;

  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  text = g_strstrip (g_strdup (node->text));
  if (*text == '\0')
    return fail (ld, node, path, error, "is empty");
  for (const char *p = text; *p; p++)
    {
      if (*p == '\n' || *p == '\r')
        return fail (ld, node, path, error, "must fit on one line");
      if ((guchar) *p < 0x20 || *p == 0x7f)
        return fail (ld, node, path, error, "contains the control character 0x%02X",
                     (guint) (guchar) *p);
    }
  *out = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
parse_line (Loader *ld, const MlYamlNode *node, const char *path,
            const Field *field, gpointer dest, GError **error)
{
  char *text = NULL;

  if (!check_line (ld, node, path, &text, error))
    return FALSE;
  set_string (dest, text);
  return TRUE;
}

static gboolean
check_text (Loader *ld, const MlYamlNode *node, const char *path, GError **error)
{
  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  for (gsize i = 0; i < node->len; i++)
    {
      guchar c = (guchar) node->text[i];

      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        return fail (ld, node, path, error, "contains the control character 0x%02X", c);
    }
  return TRUE;
}

/* Several lines: a summary, a narrative. */
static gboolean
parse_text (Loader *ld, const MlYamlNode *node, const char *path,
            const Field *field, gpointer dest, GError **error)
{
  if (!check_text (ld, node, path, error))
    return FALSE;
  set_string (dest, g_strdup (node->text));
  return TRUE;
}

/* A message body: the runner sends each line with CRLF, so every line must
 * fit in an SMTP text line. */
static gboolean
parse_body (Loader *ld, const MlYamlNode *node, const char *path,
            const Field *field, gpointer dest, GError **error)
{
  const char *line = NULL;
  guint n = 1;

  if (!check_text (ld, node, path, error))
    return FALSE;
  line = node->text;
  for (;;)
    {
      const char *end = strchr (line, '\n');
      gsize len = end ? (gsize) (end - line) : strlen (line);

      if (len > MAX_BODY_LINE)
        return fail (ld, node, path, error,
                     "line %u of the body is %" G_GSIZE_FORMAT " bytes long; SMTP allows "
                     "%u (RFC 5321 4.5.3.1.6), so break it into shorter lines",
                     n, len, MAX_BODY_LINE);
      if (end == NULL)
        break;
      line = end + 1;
      n++;
    }
  set_string (dest, g_strdup (node->text));
  return TRUE;
}

/* Any host name: routers and laptops may have simple names ("rtr-a"); mail
 * and DNS hosts are checked as DNS names in the second pass. */
static gboolean
check_host_name (Loader *ld, const MlYamlNode *node, const char *path,
                 char **out, GError **error)
{
  g_autofree char *text = NULL;

  if (!check_line (ld, node, path, &text, error))
    return FALSE;
  if (strlen (text) > MAX_DNS_NAME || !g_ascii_isalnum (text[0]))
    goto bad;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
      goto bad;
  *out = g_steal_pointer (&text);
  return TRUE;

bad:
  {
    g_autofree char *q = quote (node);
    return fail (ld, node, path, error, "%s is not a host name; use letters, digits, "
                 "'-' and '.', like mx.b.example or rtr-a", q);
  }
}

static gboolean
parse_host_name (Loader *ld, const MlYamlNode *node, const char *path,
                 const Field *field, gpointer dest, GError **error)
{
  char *text = NULL;

  if (!check_host_name (ld, node, path, &text, error))
    return FALSE;
  set_string (dest, text);
  return TRUE;
}

static gboolean
check_domain (Loader *ld, const MlYamlNode *node, const char *path,
              gboolean allow_underscore, char **out, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *problem = NULL;

  if (!check_line (ld, node, path, &text, error))
    return FALSE;
  problem = dns_name_problem (text, allow_underscore);
  if (problem != NULL)
    {
      g_autofree char *q = quote (node);
      return fail (ld, node, path, error, "%s is not a domain name: %s", q, problem);
    }
  *out = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
parse_owner_name (Loader *ld, const MlYamlNode *node, const char *path,
                  const Field *field, gpointer dest, GError **error)
{
  char *text = NULL;

  if (!check_domain (ld, node, path, TRUE, &text, error))
    return FALSE;
  set_string (dest, text);
  return TRUE;
}

static gboolean
check_address (Loader *ld, const MlYamlNode *node, const char *path,
               char **out, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *problem = NULL;

  if (!check_line (ld, node, path, &text, error))
    return FALSE;
  problem = address_problem (text);
  if (problem != NULL)
    {
      g_autofree char *q = quote (node);
      return fail (ld, node, path, error, "%s is not an email address: %s", q, problem);
    }
  *out = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
parse_address (Loader *ld, const MlYamlNode *node, const char *path,
               const Field *field, gpointer dest, GError **error)
{
  char *text = NULL;

  if (!check_address (ld, node, path, &text, error))
    return FALSE;
  set_string (dest, text);
  return TRUE;
}

typedef MlLessonCheckItem CheckItem;   /* lesson-values-private.h */

/* "to: bob@b.example" and "to: [bob@b.example, carol@b.example]" both read
 * as a list, because a teacher will write either. */
static gboolean
parse_strv (Loader *ld, const MlYamlNode *node, const char *path,
            const Field *field, gpointer dest, CheckItem check, GError **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  GStrv *slot = dest;

  if (node->kind == ML_YAML_MAPPING)
    return fail (ld, node, path, error, "expected a list, found %s",
                 ml_yaml_kind_describe (node->kind));
  if (node->kind == ML_YAML_SCALAR)
    {
      char *text = NULL;

      if (!check (ld, node, path, &text, error))
        return FALSE;
      g_ptr_array_add (items, text);
    }
  else
    {
      if (node->items->len < field->min)
        return fail (ld, node, path, error, "the list is empty; give at least one");
      for (guint i = 0; i < node->items->len; i++)
        {
          g_autofree char *sub = g_strdup_printf ("%s[%u]", path, i + 1);
          char *text = NULL;

          if (!check (ld, g_ptr_array_index (node->items, i), sub, &text, error))
            return FALSE;
          g_ptr_array_add (items, text);
        }
    }
  g_ptr_array_add (items, NULL);
  g_strfreev (*slot);
  *slot = (GStrv) g_ptr_array_steal (items, NULL);
  return TRUE;
}

static gboolean
check_mail_domain (Loader *ld, const MlYamlNode *node, const char *path,
                   char **out, GError **error)
{
  return check_domain (ld, node, path, FALSE, out, error);
}

static gboolean
parse_domains (Loader *ld, const MlYamlNode *node, const char *path,
               const Field *field, gpointer dest, GError **error)
{
  return parse_strv (ld, node, path, field, dest, check_mail_domain, error);
}

/* RFC 3501 2.3.2: a system flag (backslash and one of the five a client
 * may set) or a keyword (an atom). */
static gboolean
check_flag (Loader *ld, const MlYamlNode *node, const char *path,
            char **out, GError **error)
{
  static const char *const system_flags[] = { "\\Seen", "\\Answered", "\\Flagged",
                                              "\\Deleted", "\\Draft" };
  g_autofree char *text = NULL;
  g_autofree char *q = NULL;

  if (!check_line (ld, node, path, &text, error))
    return FALSE;
  q = quote (node);
  if (text[0] == '\\')
    {
      for (gsize i = 0; i < G_N_ELEMENTS (system_flags); i++)
        if (g_ascii_strcasecmp (text, system_flags[i]) == 0)
          {
            *out = g_strdup (system_flags[i]);
            return TRUE;
          }
      return fail (ld, node, path, error, "%s is not a flag a client may set: use "
                   "\\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft or a keyword", q);
    }
  for (const char *p = text; *p; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || strchr ("(){%*\"\\]", *p))
      return fail (ld, node, path, error, "%s is not a keyword: keywords are IMAP atoms, "
                   "without spaces or any of ( ) { %% * \" \\ ]", q);
  if (*text == '\0')
    return fail (ld, node, path, error, "a flag cannot be empty");
  *out = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
parse_flags (Loader *ld, const MlYamlNode *node, const char *path,
             const Field *field, gpointer dest, GError **error)
{
  return parse_strv (ld, node, path, field, dest, check_flag, error);
}

static gboolean
parse_addresses (Loader *ld, const MlYamlNode *node, const char *path,
                 const Field *field, gpointer dest, GError **error)
{
  return parse_strv (ld, node, path, field, dest, check_address, error);
}

static gboolean
check_number (Loader *ld, const MlYamlNode *node, const char *path,
              guint64 min, guint64 max, guint64 *out, GError **error)
{
  guint64 value = 0;
  g_autofree char *q = NULL;

  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  q = quote (node);
  if (node->len == 0 || node->len > 20)
    return fail (ld, node, path, error, "%s is not a whole number", q);
  for (gsize i = 0; i < node->len; i++)
    if (!g_ascii_isdigit (node->text[i]))
      return fail (ld, node, path, error, "%s is not a whole number", q);
  if (!g_ascii_string_to_unsigned (node->text, 10, 0, G_MAXUINT64, &value, NULL) ||
      value < min || value > max)
    return fail (ld, node, path, error, "%s is out of range: it must be between %"
                 G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT, q, min, max);
  *out = value;
  return TRUE;
}

G_STATIC_ASSERT (sizeof (guint) == sizeof (guint32));

static gboolean
parse_uint (Loader *ld, const MlYamlNode *node, const char *path,
            const Field *field, gpointer dest, GError **error)
{
  guint64 value;

  g_return_val_if_fail (field->max <= G_MAXUINT, FALSE);
  if (!check_number (ld, node, path, field->min, field->max, &value, error))
    return FALSE;
  *(guint *) dest = (guint) value;
  return TRUE;
}

static gboolean
parse_u16 (Loader *ld, const MlYamlNode *node, const char *path,
           const Field *field, gpointer dest, GError **error)
{
  guint64 value;

  g_return_val_if_fail (field->max <= G_MAXUINT16, FALSE);
  if (!check_number (ld, node, path, field->min, field->max, &value, error))
    return FALSE;
  *(guint16 *) dest = (guint16) value;
  return TRUE;
}

static gboolean
parse_bool (Loader *ld, const MlYamlNode *node, const char *path,
            const Field *field, gpointer dest, GError **error)
{
  static const char *const yes[] = { "true", "yes", "on" };
  static const char *const no[] = { "false", "no", "off" };

  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (node->text, yes[i]) == 0)
        {
          *(gboolean *) dest = TRUE;
          return TRUE;
        }
      if (g_ascii_strcasecmp (node->text, no[i]) == 0)
        {
          *(gboolean *) dest = FALSE;
          return TRUE;
        }
    }
  {
    g_autofree char *q = quote (node);
    return fail (ld, node, path, error, "%s is neither true nor false", q);
  }
}

typedef struct {
  const char *unit;
  double      factor;
} Unit;

/* "20ms", "1.5 Mbit": a decimal number, at most one space, a unit. No
 * signs, exponents, "inf" or "nan", which strtod alone would accept. */
static gboolean
parse_quantity (const char *text, const Unit *units, gsize n_units,
                double *value_out, gboolean *has_unit_out, gboolean *known_unit_out)
{
  const char *p = text;
  g_autofree char *number = NULL;
  const char *unit;

  *has_unit_out = FALSE;
  *known_unit_out = FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (p == text)
    return FALSE;
  if (*p == '.')
    {
      const char *frac = ++p;

      while (g_ascii_isdigit (*p))
        p++;
      if (p == frac)
        return FALSE;
    }
  number = g_strndup (text, (gsize) (p - text));
  *value_out = g_ascii_strtod (number, NULL);
  unit = (*p == ' ') ? p + 1 : p;
  if (*unit == '\0')
    return TRUE;
  *has_unit_out = TRUE;
  for (gsize i = 0; i < n_units; i++)
    if (g_ascii_strcasecmp (unit, units[i].unit) == 0 ||
        strcmp (unit, units[i].unit) == 0)
      {
        *value_out *= units[i].factor;
        *known_unit_out = TRUE;
        return TRUE;
      }
  return TRUE;
}

static gboolean
parse_duration (Loader *ld, const MlYamlNode *node, const char *path,
                const Field *field, gpointer dest, GError **error)
{
  static const Unit units[] = {
    { "us", 1 }, { "\xc2\xb5s", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { "min", 60e6 },
  };
  guint64 max_us = field->max ? field->max : MAX_LATENCY_US;
  g_autofree char *q = NULL;
  double us;
  gboolean has_unit, known;

  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  q = quote (node);
  if (!parse_quantity (node->text, units, G_N_ELEMENTS (units), &us, &has_unit, &known))
    return fail (ld, node, path, error, "%s is not a duration; write a number and a unit, "
                 "like 2ms", q);
  if (!has_unit)
    return fail (ld, node, path, error, "%s needs a unit: us, ms or s (like 20ms)", q);
  if (!known)
    return fail (ld, node, path, error, "%s has an unknown unit; use us, ms or s "
                 "(like 20ms)", q);
  if (us > (double) max_us)
    return fail (ld, node, path, error, "%s is too long; the most is %" G_GUINT64_FORMAT "s",
                 q, max_us / G_USEC_PER_SEC);
  *(guint64 *) dest = (guint64) llround (us);
  return TRUE;
}

static gboolean
parse_bandwidth (Loader *ld, const MlYamlNode *node, const char *path,
                 const Field *field, gpointer dest, GError **error)
{
  static const Unit units[] = {
    { "bit", 1 }, { "kbit", 1e3 }, { "Mbit", 1e6 }, { "Gbit", 1e9 },
    { "bit/s", 1 }, { "kbit/s", 1e3 }, { "Mbit/s", 1e6 }, { "Gbit/s", 1e9 },
    { "bps", 1 }, { "kbps", 1e3 }, { "Mbps", 1e6 }, { "Gbps", 1e9 },
  };
  g_autofree char *q = NULL;
  double bps;
  gboolean has_unit, known;

  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  q = quote (node);
  if (!parse_quantity (node->text, units, G_N_ELEMENTS (units), &bps, &has_unit, &known))
    return fail (ld, node, path, error, "%s is not a bandwidth; write a number and a unit, "
                 "like 100Mbit", q);
  if (!has_unit)
    return fail (ld, node, path, error, "%s needs a unit: kbit, Mbit or Gbit "
                 "(like 100Mbit)", q);
  if (!known)
    return fail (ld, node, path, error, "%s has an unknown unit; use kbit, Mbit or Gbit "
                 "(like 100Mbit)", q);
  if (bps < (double) MIN_BANDWIDTH_BPS || bps > (double) MAX_BANDWIDTH_BPS)
    return fail (ld, node, path, error, "%s is out of range: it must be between 1kbit "
                 "and 100Gbit", q);
  *(guint64 *) dest = (guint64) llround (bps);
  return TRUE;
}

static gboolean
parse_loss (Loader *ld, const MlYamlNode *node, const char *path,
            const Field *field, gpointer dest, GError **error)
{
  static const Unit units[] = { { "%", 0.01 } };
  g_autofree char *q = NULL;
  double loss;
  gboolean has_unit, known;

  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  q = quote (node);
  if (!parse_quantity (node->text, units, G_N_ELEMENTS (units), &loss, &has_unit, &known) ||
      (has_unit && !known))
    return fail (ld, node, path, error, "%s is not a loss rate; write a percentage like 10%% "
                 "or a fraction like 0.1", q);
  if (has_unit && loss > 1.0)
    return fail (ld, node, path, error, "%s is more than 100%%", q);
  if (!has_unit && loss > 1.0)
    return fail (ld, node, path, error, "%s is more than 1; write %s%% for a percentage, "
                 "or a fraction between 0 and 1", q, node->text);
  *(double *) dest = loss;
  return TRUE;
}

/* A host's own address must be one it could send from (RFC 1122 3.2.1.3). */
static gboolean
parse_host_ip (Loader *ld, const MlYamlNode *node, const char *path,
               const Field *field, gpointer dest, GError **error)
{
  g_autofree char *q = NULL;
  guint32 addr;

  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  q = quote (node);
  if (!ipv4_parse (node->text, &addr))
    return fail (ld, node, path, error, "%s is not an IPv4 address; write four numbers "
                 "0-255 with dots, like 10.1.0.25", q);
  if ((addr >> 24) == 0)
    return fail (ld, node, path, error, "%s is in 0.0.0.0/8, which means \"this network\" "
                 "(RFC 1122 3.2.1.3); pick an address such as 10.1.0.25", q);
  if ((addr >> 24) == 127)
    return fail (ld, node, path, error, "%s is a loopback address (RFC 1122 3.2.1.3); "
                 "pick an address such as 10.1.0.25", q);
  if ((addr >> 24) >= 224)
    return fail (ld, node, path, error, "%s is a multicast or reserved address "
                 "(RFC 1122 3.2.1.3); pick an address such as 10.1.0.25", q);
  *(guint32 *) dest = addr;
  return TRUE;
}

static const char *const role_names[] = { "MUA", "MSA", "MTA", "MDA", "router", "DNS" };

static gboolean
check_role (Loader *ld, const MlYamlNode *node, const char *path, MlRole *roles,
            GError **error)
{
  MlRole role;

  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  role = ml_role_from_string (node->text);
  if (role == ML_ROLE_NONE)
    {
      g_autofree char *q = quote (node);
      g_autofree char *hint = did_you_mean (node->text, role_names, G_N_ELEMENTS (role_names));
      return fail (ld, node, path, error, "%s is not a role (roles are MUA, MSA, MTA, MDA, "
                   "router, DNS)%s", q, hint);
    }
  *roles |= role;
  return TRUE;
}

static gboolean
parse_roles (Loader *ld, const MlYamlNode *node, const char *path,
             const Field *field, gpointer dest, GError **error)
{
  MlRole roles = ML_ROLE_NONE;

  if (node->kind == ML_YAML_MAPPING)
    return fail (ld, node, path, error, "expected a list of roles like [MSA, MTA], found %s",
                 ml_yaml_kind_describe (node->kind));
  if (node->kind == ML_YAML_SCALAR)
    {
      if (!check_role (ld, node, path, &roles, error))
        return FALSE;
    }
  else
    {
      if (node->items->len == 0)
        return fail (ld, node, path, error, "the list is empty; give at least one role");
      for (guint i = 0; i < node->items->len; i++)
        {
          g_autofree char *sub = g_strdup_printf ("%s[%u]", path, i + 1);

          if (!check_role (ld, g_ptr_array_index (node->items, i), sub, &roles, error))
            return FALSE;
        }
    }
  *(MlRole *) dest = roles;
  return TRUE;
}

/* One word out of a fixed set; stored as the set spells it. */
static gboolean
check_choice (Loader *ld, const MlYamlNode *node, const char *path,
              const char *const *choices, gsize n, const char *what,
              gsize *index_out, GError **error)
{
  g_autofree char *list = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *q = NULL;

  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (g_ascii_strcasecmp (node->text, choices[i]) == 0)
      {
        *index_out = i;
        return TRUE;
      }
  list = g_strjoinv (", ", (GStrv) choices);
  hint = did_you_mean (node->text, choices, n);
  q = quote (node);
  return fail (ld, node, path, error, "%s is not %s (use one of: %s)%s", q, what, list, hint);
}

static const char *const level_names[] = { "beginner", "intermediate", "advanced", NULL };

static gboolean
parse_level (Loader *ld, const MlYamlNode *node, const char *path,
             const Field *field, gpointer dest, GError **error)
{
  gsize i;

  if (!check_choice (ld, node, path, level_names, G_N_ELEMENTS (level_names) - 1,
                     "a level", &i, error))
    return FALSE;
  set_string (dest, g_strdup (level_names[i]));
  return TRUE;
}

static const char *const record_types[] = { "A", "MX", "TXT", NULL };

static gboolean
parse_record_type (Loader *ld, const MlYamlNode *node, const char *path,
                   const Field *field, gpointer dest, GError **error)
{
  gsize i;

  if (!check_choice (ld, node, path, record_types, G_N_ELEMENTS (record_types) - 1,
                     "a record type this lab serves", &i, error))
    return FALSE;
  set_string (dest, g_strdup (record_types[i]));
  return TRUE;
}

static gboolean
check_one_line (Loader *ld, const MlYamlNode *node, const char *path,
                char **out, GError **error)
{
  return check_line (ld, node, path, out, error);
}

static gboolean
parse_goals (Loader *ld, const MlYamlNode *node, const char *path,
             const Field *field, gpointer dest, GError **error)
{
  return parse_strv (ld, node, path, field, dest, check_one_line, error);
}

/* A lesson id is a file name without ".yaml": lower-case letters, digits
 * and '-', so it names the same file on every system. */
static gboolean
check_lesson_id (Loader *ld, const MlYamlNode *node, const char *path,
                 char **out, GError **error)
{
  g_autofree char *text = NULL;

  if (!check_line (ld, node, path, &text, error))
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      {
        g_autofree char *q = quote (node);
        return fail (ld, node, path, error, "%s is not a lesson id; write the file name "
                     "without .yaml, like 01-smtp-journey", q);
      }
  *out = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
parse_prerequisites (Loader *ld, const MlYamlNode *node, const char *path,
                     const Field *field, gpointer dest, GError **error)
{
  ld->lesson->prerequisites_line = node->line;
  ld->lesson->prerequisites_column = node->column;
  return parse_strv (ld, node, path, field, dest, check_lesson_id, error);
}

/* Indexed by MlLessonActionKind. */
static const char *const action_names[] = {
  "send", "pop3-fetch", "imap-sync", "imap-read", "imap-flag", "imap-move",
  "imap-search", "imap-delete", "imap-idle", "imap-create-folder", "imap-logout",
  "console", NULL
};

const char *
ml_lesson_action_to_string (MlLessonActionKind kind)
{
  if ((gsize) kind >= G_N_ELEMENTS (action_names) - 1)
    return "unknown";
  return action_names[kind];
}

static gboolean
parse_action (Loader *ld, const MlYamlNode *node, const char *path,
              const Field *field, gpointer dest, GError **error)
{
  gsize i;

  if (!check_choice (ld, node, path, action_names, G_N_ELEMENTS (action_names) - 1,
                     "an action", &i, error))
    return FALSE;
  *(MlLessonActionKind *) dest = (MlLessonActionKind) i;
  return TRUE;
}

G_STATIC_ASSERT (G_N_ELEMENTS (action_names) == ML_LESSON_ACTION_CONSOLE + 2);

/* RFC 3339 5.6 date-time; GLib's ISO 8601 reader alone takes more forms
 * (week dates, no separators, no zone) than a teacher should rely on. */
static gboolean
parse_epoch (Loader *ld, const MlYamlNode *node, const char *path,
             const Field *field, gpointer dest, GError **error)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *q = NULL;

  if (!expect_scalar (ld, node, path, error))
    return FALSE;
  q = quote (node);
  if (!g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}"
                             "(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$",
                             node->text, 0, 0) ||
      (dt = g_date_time_new_from_iso8601 (node->text, NULL)) == NULL)
    return fail (ld, node, path, error, "%s is not a date and time; write it as in "
                 "RFC 3339 5.6, like 2024-03-04T09:00:00Z", q);
  *(gint64 *) dest = g_date_time_to_unix (dt);
  return TRUE;
}

/* between: [a, b] */
G_STATIC_ASSERT (G_STRUCT_OFFSET (MlLessonLink, b) ==
                 G_STRUCT_OFFSET (MlLessonLink, a) + sizeof (char *));

static gboolean
parse_between (Loader *ld, const MlYamlNode *node, const char *path,
               const Field *field, gpointer dest, GError **error)
{
  char **ends = dest;

  if (node->kind != ML_YAML_SEQUENCE || node->items->len != 2)
    return fail (ld, node, path, error, "expected the two hosts the link joins, "
                 "like [alice-laptop, rtr-a]");
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *sub = g_strdup_printf ("%s[%u]", path, i + 1);
      char *name = NULL;

      if (!check_host_name (ld, g_ptr_array_index (node->items, i), sub, &name, error))
        return FALSE;
      set_string (&ends[i], name);
    }
  return TRUE;
}

/* ---- for the other parts of the loader (lesson-private.h) ---------------- */

void
_ml_lesson_set_string (gpointer dest, char *value)
{
  set_string (dest, value);
}

gboolean
_ml_lesson_check_choice (Loader *ld, const MlYamlNode *node, const char *path,
                         const char *const *choices, gsize n, const char *what,
                         gsize *index_out, GError **error)
{
  return check_choice (ld, node, path, choices, n, what, index_out, error);
}

gboolean
_ml_lesson_resolve_host (Loader *ld, const MlYamlNode *at, const char *path,
                         char **ref, const MlLessonHost **host_out, GError **error)
{
  const MlLessonHost *host = ml_lesson_find_host (ld->lesson, *ref);

  if (host == NULL)
    {
      GPtrArray *hosts = ld->lesson->hosts;
      g_autofree const char **names = g_new0 (const char *, hosts->len + 1);
      g_autofree char *hint = NULL;

      for (guint i = 0; i < hosts->len; i++)
        names[i] = ((MlLessonHost *) hosts->pdata[i])->name;
      hint = did_you_mean (*ref, names, hosts->len);
      return fail (ld, at, path, error, "'%s' is not one of the hosts%s", *ref, hint);
    }
  if (strcmp (*ref, host->name) != 0)
    set_string (ref, g_strdup (host->name));
  *host_out = host;
  return TRUE;
}

gboolean
_ml_lesson_check_flag (Loader *ld, const MlYamlNode *node, const char *path,
                       char **out, GError **error)
{
  return check_flag (ld, node, path, out, error);
}

#define EXPORT_PARSER(name) \
  gboolean \
  _ml_lesson_##name (Loader *ld, const MlYamlNode *node, const char *path, \
                     const Field *field, gpointer dest, GError **error) \
  { \
    return name (ld, node, path, field, dest, error); \
  }

EXPORT_PARSER (parse_action)
EXPORT_PARSER (parse_address)
EXPORT_PARSER (parse_addresses)
EXPORT_PARSER (parse_bandwidth)
EXPORT_PARSER (parse_between)
EXPORT_PARSER (parse_body)
EXPORT_PARSER (parse_bool)
EXPORT_PARSER (parse_domains)
EXPORT_PARSER (parse_duration)
EXPORT_PARSER (parse_epoch)
EXPORT_PARSER (parse_flags)
EXPORT_PARSER (parse_goals)
EXPORT_PARSER (parse_host_ip)
EXPORT_PARSER (parse_host_name)
EXPORT_PARSER (parse_level)
EXPORT_PARSER (parse_line)
EXPORT_PARSER (parse_loss)
EXPORT_PARSER (parse_owner_name)
EXPORT_PARSER (parse_prerequisites)
EXPORT_PARSER (parse_record_type)
EXPORT_PARSER (parse_roles)
EXPORT_PARSER (parse_text)
EXPORT_PARSER (parse_u16)
EXPORT_PARSER (parse_uint)

gboolean
_ml_lesson_expect_scalar (Loader *ld, const MlYamlNode *node, const char *path, GError **error)
{
  return expect_scalar (ld, node, path, error);
}

gboolean
_ml_lesson_check_line (Loader *ld, const MlYamlNode *node, const char *path, char **out,
                       GError **error)
{
  return check_line (ld, node, path, out, error);
}

gboolean
_ml_lesson_parse_strv (Loader *ld, const MlYamlNode *node, const char *path,
                       const Field *field, gpointer dest, MlLessonCheckItem check,
                       GError **error)
{
  return parse_strv (ld, node, path, field, dest, check, error);
}

/* A list of one-line texts ("accept", "choices"). */
gboolean
_ml_lesson_parse_lines (Loader *ld, const MlYamlNode *node, const char *path,
                        const Field *field, gpointer dest, GError **error)
{
  return parse_strv (ld, node, path, field, dest, check_one_line, error);
}


/* spf.c — check_host() (RFC 7208 4–6), evaluated over the answers the
 * owner has handed in; see spf.h for why it restarts instead of blocking.
 */
#include "mailauth/spf-private.h"

#include <string.h>

#define MAX_DOMAIN 253
#define MAX_LABEL  63

/* Outcomes inside an evaluation besides the RFC's results. */
#define SUSPENDED ((MlSpfResult) 100)  /* an answer is missing: stop */
#define MATCH     ((MlSpfResult) 101)
#define NO_MATCH  ((MlSpfResult) 102)

typedef struct {
  MlSpfDnsStatus status;
  GStrv          values;
} Answer;

struct _MlSpfCheck
{
  GInetAddress *ip;
  char         *sender;
  char         *local;
  char         *sender_domain;
  char         *helo;
  char         *receiver;
  gint64        now;
  GHashTable   *answers;     /* "TYPE name" -> Answer* */

  /* The last run's outcome. */
  MlSpfResult   result;
  char         *reason;
  char         *domain;
  char         *explanation;
  char         *need_name;
  MlSpfRrType   need_type;
  guint         dns_terms;
  guint         void_lookups;
};

static const char *const result_names[] = {
  [ML_SPF_NONE]      = "none",
  [ML_SPF_NEUTRAL]   = "neutral",
  [ML_SPF_PASS]      = "pass",
  [ML_SPF_FAIL]      = "fail",
  [ML_SPF_SOFTFAIL]  = "softfail",
  [ML_SPF_TEMPERROR] = "temperror",
  [ML_SPF_PERMERROR] = "permerror",
};

static const char *const rr_names[] = {
  [ML_SPF_RR_TXT] = "TXT", [ML_SPF_RR_A] = "A", [ML_SPF_RR_AAAA] = "AAAA",
  [ML_SPF_RR_MX] = "MX", [ML_SPF_RR_PTR] = "PTR",
};

const char *
ml_spf_result_to_string (MlSpfResult result)
{
  if ((gsize) result >= G_N_ELEMENTS (result_names))
    return "unknown";
  return result_names[result];
}

const char *
ml_spf_rr_type_to_string (MlSpfRrType type)
{
  if ((gsize) type >= G_N_ELEMENTS (rr_names))
    return "?";
  return rr_names[type];
}

static char *
answer_key (const char *name, MlSpfRrType type)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  gsize len = strlen (lower);

  if (len > 0 && lower[len - 1] == '.')
    lower[len - 1] = '\0';
  return g_strdup_printf ("%s %s", ml_spf_rr_type_to_string (type), lower);
}

static void
answer_free (gpointer data)
{
  Answer *a = data;

  g_strfreev (a->values);
  g_free (a);
}

MlSpfCheck *
ml_spf_check_new (const char *ip, const char *sender, const char *helo, const char *receiver)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (ip);
  MlSpfCheck *self;
  const char *at;

  if (address == NULL)
    return NULL;
  self = g_new0 (MlSpfCheck, 1);
  /* 5.6: an IPv4-mapped IPv6 client is checked as the IPv4 address. */
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      const guint8 *b = g_inet_address_to_bytes (address);
      static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
      if (memcmp (b, mapped, 12) == 0)
        self->ip = g_inet_address_new_from_bytes (b + 12, G_SOCKET_FAMILY_IPV4);
    }
  if (self->ip == NULL)
    self->ip = g_object_ref (address);

  self->helo = g_strdup (helo ? helo : "");
  self->receiver = g_strdup (receiver ? receiver : "unknown");
  /* 2.4: with the null reverse-path, check postmaster@HELO. 4.3: a sender
   * without a local part gets "postmaster". */
  if (sender == NULL || *sender == '\0')
    self->sender = g_strdup_printf ("postmaster@%s", self->helo);
  else if (sender[0] == '@')
    self->sender = g_strdup_printf ("postmaster%s", sender);
  else
    self->sender = g_strdup (sender);
  at = strrchr (self->sender, '@');
  if (at == NULL)
    {
      self->local = g_strdup ("postmaster");
      self->sender_domain = g_strdup (self->sender);
    }
  else
    {
      self->local = g_strndup (self->sender, at - self->sender);
      self->sender_domain = g_strdup (at + 1);
    }
  self->answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, answer_free);
  return self;
}

void
ml_spf_check_free (MlSpfCheck *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->ip);
  g_free (self->sender);
  g_free (self->local);
  g_free (self->sender_domain);
  g_free (self->helo);
  g_free (self->receiver);
  g_hash_table_unref (self->answers);
  g_free (self->reason);
  g_free (self->domain);
  g_free (self->explanation);
  g_free (self->need_name);
  g_free (self);
}

void
ml_spf_check_set_now (MlSpfCheck *self, gint64 unix_seconds)
{
  self->now = unix_seconds;
}

void
ml_spf_check_add_answer (MlSpfCheck *self, const char *name, MlSpfRrType type,
                         MlSpfDnsStatus status, const char *const *values)
{
  Answer *a = g_new0 (Answer, 1);

  a->status = status;
  a->values = values ? g_strdupv ((char **) values) : g_new0 (char *, 1);
  g_hash_table_replace (self->answers, answer_key (name, type), a);
}

/* ---- one run ---- */

typedef struct {
  MlSpfCheck *check;
  gboolean    suspended;
  char       *reason;    /* the decisive step, for the student */
  char       *domain;    /* whose record decided */
} Run;

static void G_GNUC_PRINTF (2, 3)
set_reason (Run *run, const char *format, ...)
{
  va_list args;

  g_free (run->reason);
  va_start (args, format);
  run->reason = g_strdup_vprintf (format, args);
  va_end (args);
}

static const Answer *
lookup (Run *run, const char *name, MlSpfRrType type)
{
  g_autofree char *key = answer_key (name, type);
  const Answer *a = g_hash_table_lookup (run->check->answers, key);

  if (a == NULL && !run->suspended)
    {
      run->suspended = TRUE;
      g_free (run->check->need_name);
      run->check->need_name = g_strdup (name);
      run->check->need_type = type;
    }
  return a;
}

/* 4.6.4: NXDOMAIN or an empty answer to a term's query is a void lookup. */
static gboolean
count_void (Run *run, const Answer *a)
{
  if (a->status == ML_SPF_DNS_NXDOMAIN || (a->status == ML_SPF_DNS_OK && a->values[0] == NULL))
    {
      if (++run->check->void_lookups > ML_SPF_MAX_VOID_LOOKUPS)
        {
          set_reason (run, "more than %d lookups found nothing (void lookups, RFC 7208 4.6.4)",
                      ML_SPF_MAX_VOID_LOOKUPS);
          return FALSE;
        }
    }
  return TRUE;
}

/* 4.3: a name check_host() can look up at all. */
static gboolean
is_valid_domain (const char *domain)
{
  g_auto(GStrv) labels = NULL;
  gsize len = strlen (domain);
  guint n;

  if (len == 0 || len > MAX_DOMAIN + 1)
    return FALSE;
  if (domain[len - 1] == '.')
    len--;
  labels = g_strsplit (domain, ".", -1);
  n = g_strv_length (labels);
  if (n > 0 && labels[n - 1][0] == '\0')
    n--;
  if (n < 2)
    return FALSE;   /* "not a multi-label domain name" */
  for (guint i = 0; i < n; i++)
    if (labels[i][0] == '\0' || strlen (labels[i]) > MAX_LABEL)
      return FALSE;
  return TRUE;
}

static gboolean
address_matches (GInetAddress *ip, const char *text, int prefix)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (text);
  g_autoptr(GInetAddressMask) mask = NULL;

  if (address == NULL || g_inet_address_get_family (address) != g_inet_address_get_family (ip))
    return FALSE;
  mask = g_inet_address_mask_new (address, (guint) prefix, NULL);
  if (mask == NULL)
    {
      /* Host bits set below the prefix: clear them, as 5.3 compares
       * networks, not exact addresses. */
      guint8 bytes[16];
      gsize n = g_inet_address_get_native_size (address);
      g_autoptr(GInetAddress) network = NULL;

      memcpy (bytes, g_inet_address_to_bytes (address), n);
      for (gsize i = 0; i < n; i++)
        {
          int keep = prefix - (int) i * 8;
          if (keep <= 0)
            bytes[i] = 0;
          else if (keep < 8)
            bytes[i] &= (guint8) (0xff << (8 - keep));
        }
      network = g_inet_address_new_from_bytes (bytes, g_inet_address_get_family (address));
      mask = g_inet_address_mask_new (network, (guint) prefix, NULL);
    }
  return mask != NULL && g_inet_address_mask_matches (mask, ip);
}

static MlSpfRrType
address_type (Run *run)
{
  return g_inet_address_get_family (run->check->ip) == G_SOCKET_FAMILY_IPV4 ? ML_SPF_RR_A : ML_SPF_RR_AAAA;
}

static int
prefix_of (Run *run, const MlSpfTerm *t)
{
  if (g_inet_address_get_family (run->check->ip) == G_SOCKET_FAMILY_IPV4)
    return t->cidr4 >= 0 ? t->cidr4 : 32;
  return t->cidr6 >= 0 ? t->cidr6 : 128;
}

static char *
reverse_name (GInetAddress *ip)
{
  const guint8 *b = g_inet_address_to_bytes (ip);
  GString *out = g_string_new (NULL);

  if (g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV4)
    g_string_printf (out, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
  else
    {
      for (int i = 15; i >= 0; i--)
        g_string_append_printf (out, "%x.%x.", b[i] & 0xf, b[i] >> 4);
      g_string_append (out, "ip6.arpa");
    }
  return g_string_free (out, FALSE);
}

static gboolean
is_same_or_subdomain (const char *name, const char *domain)
{
  gsize n = strlen (name), d = strlen (domain);

  if (n > 0 && name[n - 1] == '.')
    n--;
  if (d > 0 && domain[d - 1] == '.')
    d--;
  if (n == d)
    return g_ascii_strncasecmp (name, domain, n) == 0;
  return n > d && name[n - d - 1] == '.' && g_ascii_strncasecmp (name + n - d, domain, d) == 0;
}

/* 5.5: the client's names whose forward lookup gives its address back,
 * at most ML_SPF_MAX_NAME_LOOKUPS of them. NULL when suspended; an empty
 * array when there are none (a DNS error also means none here). */
static GPtrArray *
validated_names (Run *run)
{
  g_autofree char *rname = reverse_name (run->check->ip);
  const Answer *ptr = lookup (run, rname, ML_SPF_RR_PTR);
  GPtrArray *names;

  if (ptr == NULL)
    return NULL;
  names = g_ptr_array_new ();
  if (ptr->status != ML_SPF_DNS_OK)
    return names;
  for (guint i = 0; ptr->values[i] != NULL && i < ML_SPF_MAX_NAME_LOOKUPS; i++)
    {
      const Answer *a = lookup (run, ptr->values[i], address_type (run));
      if (a == NULL)
        {
          g_ptr_array_unref (names);
          return NULL;
        }
      if (a->status != ML_SPF_DNS_OK)
        continue;
      for (guint k = 0; a->values[k] != NULL; k++)
        if (address_matches (run->check->ip, a->values[k],
                             (int) g_inet_address_get_native_size (run->check->ip) * 8))
          {
            g_ptr_array_add (names, ptr->values[i]);
            break;
          }
    }
  return names;
}

/* Expands a domain-spec (or returns @domain when there is none). NULL when
 * suspended or on error; *@result_out says which. */
static char *
target_of (Run *run, const char *spec, const char *domain, MlSpfResult *result_out)
{
  MlSpfMacroContext ctx = {
    .sender = run->check->sender, .local = run->check->local,
    .sender_domain = run->check->sender_domain, .domain = domain,
    .ip = run->check->ip, .helo = run->check->helo,
    .receiver = run->check->receiver, .now = run->check->now,
  };
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) error = NULL;
  char *target;

  if (spec == NULL)
    return g_strdup (domain);
  if (_ml_spf_macro_uses_p (spec))
    {
      names = validated_names (run);
      if (names == NULL)
        {
          *result_out = SUSPENDED;
          return NULL;
        }
      /* 7.3: prefer <domain> itself, then a subdomain of it, then any. */
      for (guint i = 0; i < names->len && ctx.validated == NULL; i++)
        if (g_ascii_strcasecmp (g_ptr_array_index (names, i), domain) == 0)
          ctx.validated = g_ptr_array_index (names, i);
      for (guint i = 0; i < names->len && ctx.validated == NULL; i++)
        if (is_same_or_subdomain (g_ptr_array_index (names, i), domain))
          ctx.validated = g_ptr_array_index (names, i);
      if (ctx.validated == NULL && names->len > 0)
        ctx.validated = g_ptr_array_index (names, 0);
    }
  target = _ml_spf_macro_expand (spec, &ctx, FALSE, &error);
  if (target == NULL)
    {
      set_reason (run, "%s", error->message);
      *result_out = ML_SPF_PERMERROR;
    }
  return target;
}

static MlSpfResult check_host (Run *run, const char *domain, guint depth);

static MlSpfResult
match_addresses (Run *run, const char *name, int prefix, gboolean count_voids)
{
  const Answer *a = lookup (run, name, address_type (run));

  if (a == NULL)
    return SUSPENDED;
  if (a->status == ML_SPF_DNS_ERROR)
    return ML_SPF_TEMPERROR;
  if (count_voids && !count_void (run, a))
    return ML_SPF_PERMERROR;
  for (guint i = 0; a->values[i] != NULL; i++)
    if (address_matches (run->check->ip, a->values[i], prefix))
      return MATCH;
  return NO_MATCH;
}

static MlSpfResult
evaluate_term (Run *run, const MlSpfTerm *t, const char *domain, guint depth)
{
  MlSpfResult r = NO_MATCH;
  g_autofree char *target = NULL;

  switch (t->mechanism)
    {
    case ML_SPF_MECH_ALL:
      return MATCH;
    case ML_SPF_MECH_IP4:
    case ML_SPF_MECH_IP6:
      return g_inet_address_mask_matches (t->network, run->check->ip) ? MATCH : NO_MATCH;
    default:
      break;
    }

  /* 4.6.4: every other mechanism queries DNS and counts. */
  if (++run->check->dns_terms > ML_SPF_MAX_DNS_TERMS)
    {
      set_reason (run, "more than %d DNS-querying mechanisms and redirects (RFC 7208 4.6.4)",
                  ML_SPF_MAX_DNS_TERMS);
      return ML_SPF_PERMERROR;
    }
  target = target_of (run, t->domain_spec, domain, &r);
  if (target == NULL)
    return r;

  switch (t->mechanism)
    {
    case ML_SPF_MECH_INCLUDE:
      /* 5.2: the table of include results. */
      switch ((r = check_host (run, target, depth + 1)))
        {
        case ML_SPF_PASS:
          return MATCH;
        case ML_SPF_FAIL:
        case ML_SPF_SOFTFAIL:
        case ML_SPF_NEUTRAL:
          return NO_MATCH;
        case ML_SPF_NONE:
          set_reason (run, "include:%s found no SPF record there (RFC 7208 5.2: permerror)", target);
          return ML_SPF_PERMERROR;
        default:
          return r;
        }

    case ML_SPF_MECH_A:
      return match_addresses (run, target, prefix_of (run, t), TRUE);

    case ML_SPF_MECH_MX:
      {
        const Answer *mx = lookup (run, target, ML_SPF_RR_MX);
        guint n;

        if (mx == NULL)
          return SUSPENDED;
        if (mx->status == ML_SPF_DNS_ERROR)
          return ML_SPF_TEMPERROR;
        if (!count_void (run, mx))
          return ML_SPF_PERMERROR;
        n = g_strv_length (mx->values);
        if (n > ML_SPF_MAX_NAME_LOOKUPS)
          {
            set_reason (run, "%s has %u MX records, more than the %d RFC 7208 4.6.4 allows",
                        target, n, ML_SPF_MAX_NAME_LOOKUPS);
            return ML_SPF_PERMERROR;
          }
        for (guint i = 0; i < n; i++)
          {
            r = match_addresses (run, mx->values[i], prefix_of (run, t), FALSE);
            if (r != NO_MATCH)
              return r;
          }
        return NO_MATCH;
      }

    case ML_SPF_MECH_PTR:
      {
        g_autoptr(GPtrArray) names = validated_names (run);

        if (names == NULL)
          return SUSPENDED;
        for (guint i = 0; i < names->len; i++)
          if (is_same_or_subdomain (g_ptr_array_index (names, i), target))
            return MATCH;
        return NO_MATCH;
      }

    case ML_SPF_MECH_EXISTS:
      {
        /* 5.7: always an A query, whatever the client's address family. */
        const Answer *a = lookup (run, target, ML_SPF_RR_A);

        if (a == NULL)
          return SUSPENDED;
        if (a->status == ML_SPF_DNS_ERROR)
          return ML_SPF_TEMPERROR;
        if (!count_void (run, a))
          return ML_SPF_PERMERROR;
        return a->values[0] != NULL ? MATCH : NO_MATCH;
      }

    default:
      return NO_MATCH;
    }
}

static MlSpfResult
qualifier_result (char qualifier)
{
  switch (qualifier)
    {
    case '-': return ML_SPF_FAIL;
    case '~': return ML_SPF_SOFTFAIL;
    case '?': return ML_SPF_NEUTRAL;
    default:  return ML_SPF_PASS;
    }
}

/* 6.2: the explanation is best effort: any problem just means none. */
static void
explain (Run *run, const MlSpfRecord *record, const char *domain)
{
  MlSpfResult r = NO_MATCH;
  g_autofree char *target = target_of (run, record->exp, domain, &r);
  const Answer *a;
  MlSpfMacroContext ctx = {
    .sender = run->check->sender, .local = run->check->local,
    .sender_domain = run->check->sender_domain, .domain = domain,
    .ip = run->check->ip, .helo = run->check->helo,
    .receiver = run->check->receiver, .now = run->check->now,
  };

  if (target == NULL)
    return;
  a = lookup (run, target, ML_SPF_RR_TXT);
  if (a == NULL || a->status != ML_SPF_DNS_OK || a->values[0] == NULL || a->values[1] != NULL)
    return;
  g_free (run->check->explanation);
  run->check->explanation = _ml_spf_macro_expand (a->values[0], &ctx, TRUE, NULL);
}

static MlSpfResult
check_host (Run *run, const char *domain, guint depth)
{
  const Answer *txt;
  const char *text = NULL;
  g_autoptr(GError) error = NULL;
  MlSpfRecord *record;
  MlSpfResult result = ML_SPF_NEUTRAL;

  if (depth > ML_SPF_MAX_DEPTH)
    {
      set_reason (run, "include/redirect nested too deep at %s", domain);
      return ML_SPF_PERMERROR;
    }
  if (!is_valid_domain (domain))
    {
      set_reason (run, "'%s' is not a domain SPF can check (RFC 7208 4.3)", domain);
      return ML_SPF_NONE;
    }
  txt = lookup (run, domain, ML_SPF_RR_TXT);
  if (txt == NULL)
    return SUSPENDED;
  if (txt->status == ML_SPF_DNS_ERROR)
    {
      set_reason (run, "the DNS lookup of %s's TXT records failed (RFC 7208 4.4)", domain);
      return ML_SPF_TEMPERROR;
    }
  for (guint i = 0; txt->values[i] != NULL; i++)
    if (_ml_spf_is_spf1 (txt->values[i]))
      {
        if (text != NULL)
          {
            set_reason (run, "%s publishes two SPF records (RFC 7208 4.5)", domain);
            return ML_SPF_PERMERROR;
          }
        text = txt->values[i];
      }
  if (text == NULL)
    {
      set_reason (run, "%s publishes no SPF record (RFC 7208 4.5)", domain);
      return ML_SPF_NONE;
    }
  record = _ml_spf_record_parse (text, &error);
  if (record == NULL)
    {
      set_reason (run, "%s's SPF record has a syntax error: %s (RFC 7208 4.6)", domain, error->message);
      return ML_SPF_PERMERROR;
    }

  for (guint i = 0; i < record->terms->len; i++)
    {
      const MlSpfTerm *t = g_ptr_array_index (record->terms, i);
      MlSpfResult r = evaluate_term (run, t, domain, depth);

      if (r == NO_MATCH)
        continue;
      if (r == MATCH)
        {
          result = qualifier_result (t->qualifier);
          set_reason (run, "'%s' in %s's record matched: %s", t->text, domain,
                      ml_spf_result_to_string (result));
          g_free (run->domain);
          run->domain = g_strdup (domain);
          if (result == ML_SPF_FAIL && record->exp != NULL && depth == 0)
            explain (run, record, domain);
        }
      else
        result = r;   /* an error, or SUSPENDED */
      _ml_spf_record_free (record);
      return result;
    }

  /* 6.1: redirect only when nothing matched and there is no "all". */
  if (record->redirect != NULL && !record->has_all)
    {
      MlSpfResult r = NO_MATCH;
      g_autofree char *target = NULL;

      if (++run->check->dns_terms > ML_SPF_MAX_DNS_TERMS)
        {
          set_reason (run, "more than %d DNS-querying mechanisms and redirects (RFC 7208 4.6.4)",
                      ML_SPF_MAX_DNS_TERMS);
          _ml_spf_record_free (record);
          return ML_SPF_PERMERROR;
        }
      target = target_of (run, record->redirect, domain, &r);
      _ml_spf_record_free (record);
      if (target == NULL)
        return r;
      result = check_host (run, target, depth + 1);
      if (result == ML_SPF_NONE)
        {
          set_reason (run, "redirect=%s found no SPF record there (RFC 7208 6.1: permerror)", target);
          return ML_SPF_PERMERROR;
        }
      return result;
    }
  _ml_spf_record_free (record);
  /* 4.7: the default result. */
  set_reason (run, "nothing in %s's record matched: neutral (RFC 7208 4.7)", domain);
  g_free (run->domain);
  run->domain = g_strdup (domain);
  return ML_SPF_NEUTRAL;
}

gboolean
ml_spf_check_run (MlSpfCheck *self, const char **name_out, MlSpfRrType *type_out)
{
  Run run = { .check = self };
  MlSpfResult result;

  self->dns_terms = 0;
  self->void_lookups = 0;
  g_clear_pointer (&self->explanation, g_free);
  result = check_host (&run, self->sender_domain, 0);
  if (run.suspended || result == SUSPENDED)
    {
      g_free (run.reason);
      g_free (run.domain);
      if (name_out)
        *name_out = self->need_name;
      if (type_out)
        *type_out = self->need_type;
      return FALSE;
    }
  self->result = result;
  g_free (self->reason);
  self->reason = run.reason ? run.reason : g_strdup ("");
  g_free (self->domain);
  self->domain = run.domain ? run.domain : g_strdup (self->sender_domain);
  return TRUE;
}

MlSpfResult
ml_spf_check_get_result (MlSpfCheck *self)
{
  return self->result;
}

const char *
ml_spf_check_get_reason (MlSpfCheck *self)
{
  return self->reason;
}

const char *
ml_spf_check_get_domain (MlSpfCheck *self)
{
  return self->domain;
}

const char *
ml_spf_check_get_explanation (MlSpfCheck *self)
{
  return self->explanation;
}

guint
ml_spf_check_get_dns_terms (MlSpfCheck *self)
{
  return self->dns_terms;
}

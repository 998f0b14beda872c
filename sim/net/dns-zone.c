#define G_LOG_DOMAIN "ml-dns-zone"

#include "net/dns-zone.h"

#include <string.h>

/* A TXT record's text travels as <character-string>s of 255 octets, each
 * with a length octet, in RDATA of at most 65535 (RFC 1035 3.2.1, 3.3). */
#define ML_DNS_MAX_TXT (ML_DNS_MAX_RDATA / (ML_DNS_MAX_CHARACTER_STRING + 1) * ML_DNS_MAX_CHARACTER_STRING)

struct _MlDnsZone
{
  GHashTable *records;   /* name key → GPtrArray of MlDnsRecord* (owned) */
  GHashTable *names;     /* name keys that exist: owners and their ancestors */
  guint       size;
};

G_DEFINE_QUARK (ml-dns-zone-error-quark, ml_dns_zone_error)

MlDnsZone *
ml_dns_zone_new (void)
{
  MlDnsZone *self = g_new0 (MlDnsZone, 1);

  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

void
ml_dns_zone_free (MlDnsZone *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->records);
  g_hash_table_unref (self->names);
  g_free (self);
}

static gboolean
check_name (const char *name, const char *what, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (ml_dns_name_validate (name, &local))
    return TRUE;
  g_set_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID,
               "Bad %s “%s”: %s", what, name, local->message);
  return FALSE;
}

/* A name with nothing of its own but names below it ("example" when
 * "b.example" exists) exists too: asked for, it is NODATA, not NXDOMAIN
 * (RFC 8020 2). */
static void
add_name_and_ancestors (MlDnsZone *self, const char *key)
{
  const char *p = key;

  for (;;)
    {
      g_hash_table_add (self->names, g_strdup (p));
      /* Next unescaped dot. */
      while (*p != '\0' && *p != '.')
        p += (*p == '\\' && p[1] != '\0') ? 2 : 1;
      if (*p == '\0')
        break;
      p++;
    }
}

gboolean
ml_dns_zone_add (MlDnsZone *self, const MlDnsRecord *record, GError **error)
{
  g_autofree char *key = NULL;
  GPtrArray *set;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  if (!check_name (record->name, "owner name", error))
    return FALSE;
  if (record->ttl > G_MAXINT32)
    {
      g_set_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID,
                   "TTL %u of %s is over 2^31 - 1 (RFC 1035 2.3.4)", record->ttl, record->name);
      return FALSE;
    }
  if (record->rdata == NULL)
    switch (record->type)
      {
      case ML_DNS_TYPE_A:
        break;
      case ML_DNS_TYPE_MX:
      case ML_DNS_TYPE_NS:
      case ML_DNS_TYPE_CNAME:
      case ML_DNS_TYPE_PTR:
        if (record->value == NULL || !check_name (record->value, "target name", error))
          {
            if (record->value == NULL)
              g_set_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID,
                           "Record for %s has no target", record->name);
            return FALSE;
          }
        break;
      case ML_DNS_TYPE_TXT:
        if (record->value == NULL || strlen (record->value) > ML_DNS_MAX_TXT)
          {
            g_set_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID,
                         "TXT record for %s is missing or longer than %d octets",
                         record->name, ML_DNS_MAX_TXT);
            return FALSE;
          }
        break;
      default:
        g_set_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID,
                     "Record for %s of type %u has no data", record->name, record->type);
        return FALSE;
      }
  else if (g_bytes_get_size (record->rdata) > ML_DNS_MAX_RDATA)
    {
      g_set_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID,
                   "RDATA of %s is longer than %d octets", record->name, ML_DNS_MAX_RDATA);
      return FALSE;
    }

  key = ml_dns_name_dup_key (record->name);
  set = g_hash_table_lookup (self->records, key);
  if (set == NULL)
    {
      set = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_dns_record_free);
      g_hash_table_insert (self->records, g_strdup (key), set);
      add_name_and_ancestors (self, key);
    }
  for (guint i = 0; i < set->len; i++)
    if (ml_dns_record_equal (set->pdata[i], record))
      return TRUE;
  g_ptr_array_add (set, ml_dns_record_copy (record));
  self->size++;
  return TRUE;
}

gboolean
ml_dns_zone_add_a (MlDnsZone *self, const char *name, guint32 ttl, guint32 address,
                   GError **error)
{
  g_autoptr(MlDnsRecord) rr = NULL;

  g_return_val_if_fail (name != NULL, FALSE);
  rr = ml_dns_record_new_a (name, ttl, address);
  return ml_dns_zone_add (self, rr, error);
}

gboolean
ml_dns_zone_add_mx (MlDnsZone *self, const char *name, guint32 ttl, guint16 preference,
                    const char *exchange, GError **error)
{
  g_autoptr(MlDnsRecord) rr = NULL;

  g_return_val_if_fail (name != NULL && exchange != NULL, FALSE);
  rr = ml_dns_record_new_mx (name, ttl, preference, exchange);
  return ml_dns_zone_add (self, rr, error);
}

gboolean
ml_dns_zone_add_txt (MlDnsZone *self, const char *name, guint32 ttl, const char *text,
                     GError **error)
{
  g_autoptr(MlDnsRecord) rr = NULL;

  g_return_val_if_fail (name != NULL && text != NULL, FALSE);
  rr = ml_dns_record_new_txt (name, ttl, text);
  return ml_dns_zone_add (self, rr, error);
}

/* Strict dotted quad: four decimal numbers 0..255, nothing else. */
static gboolean
parse_ipv4 (const char *text, guint32 *out)
{
  guint32 address = 0;
  const char *p = text;

  for (int part = 0; part < 4; part++)
    {
      guint value = 0;
      int digits = 0;

      if (part > 0 && *p++ != '.')
        return FALSE;
      while (g_ascii_isdigit (*p) && digits < 4)
        {
          value = value * 10 + (guint) (*p++ - '0');
          digits++;
        }
      if (digits == 0 || digits > 3 || value > 255)
        return FALSE;
      address = address << 8 | value;
    }
  if (*p != '\0')
    return FALSE;
  *out = address;
  return TRUE;
}

gboolean
ml_dns_zone_add_text (MlDnsZone *self, const char *name, const char *type, guint32 ttl,
                      guint16 preference, const char *value, GError **error)
{
  MlDnsType t;
  guint32 address;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL && type != NULL && value != NULL, FALSE);

  if (!ml_dns_type_from_string (type, &t)
      || (t != ML_DNS_TYPE_A && t != ML_DNS_TYPE_MX && t != ML_DNS_TYPE_TXT))
    {
      g_set_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID,
                   "Record type “%s” for %s: the lab serves A, MX and TXT", type, name);
      return FALSE;
    }
  switch (t)
    {
    case ML_DNS_TYPE_A:
      if (!parse_ipv4 (value, &address))
        {
          g_set_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID,
                       "“%s” for %s is no IPv4 address", value, name);
          return FALSE;
        }
      return ml_dns_zone_add_a (self, name, ttl, address, error);
    case ML_DNS_TYPE_MX:
      return ml_dns_zone_add_mx (self, name, ttl, preference, value, error);
    default:
      return ml_dns_zone_add_txt (self, name, ttl, value, error);
    }
}

MlDnsZoneResult
ml_dns_zone_lookup (MlDnsZone *self, const char *name, MlDnsType type,
                    GPtrArray **records_out)
{
  g_autofree char *key = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new ();
  GPtrArray *set;
  MlDnsZoneResult result;

  g_return_val_if_fail (self != NULL, ML_DNS_ZONE_NXDOMAIN);
  g_return_val_if_fail (name != NULL, ML_DNS_ZONE_NXDOMAIN);

  key = ml_dns_name_dup_key (name);
  set = g_hash_table_lookup (self->records, key);
  if (set != NULL)
    for (guint i = 0; i < set->len; i++)
      {
        MlDnsRecord *rr = set->pdata[i];

        if (type == ML_DNS_TYPE_ANY || rr->type == type)
          g_ptr_array_add (found, rr);
      }

  if (found->len > 0)
    result = ML_DNS_ZONE_FOUND;
  else if (g_hash_table_contains (self->names, key))
    result = ML_DNS_ZONE_NODATA;
  else
    result = ML_DNS_ZONE_NXDOMAIN;

  if (records_out != NULL)
    *records_out = g_steal_pointer (&found);
  return result;
}

gboolean
ml_dns_zone_has (MlDnsZone *self, const char *name, MlDnsType type)
{
  return ml_dns_zone_lookup (self, name, type, NULL) == ML_DNS_ZONE_FOUND;
}

guint
ml_dns_zone_remove (MlDnsZone *self, const char *name, MlDnsType type)
{
  g_autofree char *key = NULL;
  GPtrArray *set;
  guint removed = 0;

  g_return_val_if_fail (self != NULL && name != NULL, 0);
  key = ml_dns_name_dup_key (name);
  set = g_hash_table_lookup (self->records, key);
  for (guint i = set ? set->len : 0; i > 0; i--)
    if (((MlDnsRecord *) set->pdata[i - 1])->type == type)
      {
        g_ptr_array_remove_index (set, i - 1);
        removed++;
      }
  self->size -= removed;
  return removed;
}

guint
ml_dns_zone_get_size (MlDnsZone *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->size;
}

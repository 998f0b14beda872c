#define G_LOG_DOMAIN "ml-dns-wire"

#include "net/dns-wire.h"

#include <string.h>

/* A question is at least a root name and QTYPE/QCLASS; a record at least a
 * root name and TYPE, CLASS, TTL, RDLENGTH (RFC 1035 4.1.2, 4.1.3). */
#define MIN_QUESTION_LEN 5
#define MIN_RECORD_LEN   11
/* Compression pointers hold a 14-bit offset (RFC 1035 4.1.4). */
#define MAX_POINTER_OFFSET 0x3FFF

G_DEFINE_QUARK (ml-dns-wire-error-quark, ml_dns_wire_error)

/* ---- names ----------------------------------------------------------- */

static void
append_label (GString *out, const guint8 *label, gsize len)
{
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = label[i];

      /* RFC 1035 5.1: "\." and "\\" quote, "\DDD" is an octet. */
      if (c == '.' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c <= 0x20 || c >= 0x7f)
        g_string_append_printf (out, "\\%03u", c);
      else
        g_string_append_c (out, (char) c);
    }
}

/* Splits a presentation-form name into wire labels (GBytes*). */
static GPtrArray *
name_to_labels (const char *name, GError **error)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GByteArray) cur = g_byte_array_new ();
  gsize wire = 1;   /* the root label's length octet */
  const char *p = name;

  if (strcmp (name, ".") == 0)
    return g_steal_pointer (&labels);

  while (*p != '\0')
    {
      guint8 c;

      if (*p == '.')
        {
          if (cur->len == 0)
            {
              g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME,
                           "Empty label in “%s”", name);
              return NULL;
            }
          wire += 1 + cur->len;
          g_ptr_array_add (labels, g_byte_array_free_to_bytes (g_steal_pointer (&cur)));
          cur = g_byte_array_new ();
          p++;
          continue;
        }
      if (*p == '\\')
        {
          p++;
          if (g_ascii_isdigit (p[0]) && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2]))
            {
              guint v = (guint) (p[0] - '0') * 100 + (guint) (p[1] - '0') * 10 + (guint) (p[2] - '0');

              if (v > 255)
                {
                  g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME,
                               "Bad escape in “%s”", name);
                  return NULL;
                }
              c = (guint8) v;
              p += 3;
            }
          else if (*p == '\0')
            {
              g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME,
                           "Name “%s” ends in a backslash", name);
              return NULL;
            }
          else
            c = (guint8) *p++;
        }
      else
        c = (guint8) *p++;

      if (cur->len == ML_DNS_MAX_LABEL)
        {
          g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME,
                       "A label of “%s” is longer than %d octets (RFC 1035 2.3.4)",
                       name, ML_DNS_MAX_LABEL);
          return NULL;
        }
      g_byte_array_append (cur, &c, 1);
    }
  if (cur->len > 0)
    {
      wire += 1 + cur->len;
      g_ptr_array_add (labels, g_byte_array_free_to_bytes (g_steal_pointer (&cur)));
    }
  if (wire > ML_DNS_MAX_NAME)
    {
      g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME,
                   "Name “%.40s…” is longer than %d octets (RFC 1035 2.3.4)",
                   name, ML_DNS_MAX_NAME);
      return NULL;
    }
  return g_steal_pointer (&labels);
}

gboolean
ml_dns_name_validate (const char *name, GError **error)
{
  g_autoptr(GPtrArray) labels = NULL;

  g_return_val_if_fail (name != NULL, FALSE);
  labels = name_to_labels (name, error);
  return labels != NULL;
}

char *
ml_dns_name_dup_key (const char *name)
{
  gsize len;

  g_return_val_if_fail (name != NULL, NULL);

  len = strlen (name);
  /* Drop one trailing dot, unless it is escaped ("a\."). */
  if (len > 0 && name[len - 1] == '.' && !(len > 1 && name[len - 2] == '\\'))
    len--;
  return g_ascii_strdown (name, (gssize) len);
}

gboolean
ml_dns_name_equal (const char *a, const char *b)
{
  g_autofree char *ka = NULL;
  g_autofree char *kb = NULL;

  g_return_val_if_fail (a != NULL && b != NULL, FALSE);
  ka = ml_dns_name_dup_key (a);
  kb = ml_dns_name_dup_key (b);
  return strcmp (ka, kb) == 0;
}

/* ---- types and codes -------------------------------------------------- */

static const struct {
  MlDnsType   type;
  const char *name;
} type_names[] = {
  { ML_DNS_TYPE_A, "A" },
  { ML_DNS_TYPE_NS, "NS" },
  { ML_DNS_TYPE_CNAME, "CNAME" },
  { ML_DNS_TYPE_SOA, "SOA" },
  { ML_DNS_TYPE_PTR, "PTR" },
  { ML_DNS_TYPE_MX, "MX" },
  { ML_DNS_TYPE_TXT, "TXT" },
  { ML_DNS_TYPE_AAAA, "AAAA" },
  { ML_DNS_TYPE_ANY, "ANY" },
};

char *
ml_dns_type_dup_string (MlDnsType type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (type_names[i].type == type)
      return g_strdup (type_names[i].name);
  return g_strdup_printf ("TYPE%u", (guint) type);
}

gboolean
ml_dns_type_from_string (const char *text, MlDnsType *type_out)
{
  g_return_val_if_fail (text != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (g_ascii_strcasecmp (type_names[i].name, text) == 0)
      {
        if (type_out != NULL)
          *type_out = type_names[i].type;
        return TRUE;
      }
  return FALSE;
}

const char *
ml_dns_rcode_to_string (MlDnsRcode rcode)
{
  switch (rcode)
    {
    case ML_DNS_RCODE_NOERROR:  return "NOERROR";
    case ML_DNS_RCODE_FORMERR:  return "FORMERR";
    case ML_DNS_RCODE_SERVFAIL: return "SERVFAIL";
    case ML_DNS_RCODE_NXDOMAIN: return "NXDOMAIN";
    case ML_DNS_RCODE_NOTIMP:   return "NOTIMP";
    case ML_DNS_RCODE_REFUSED:  return "REFUSED";
    case ML_DNS_RCODE_TIMEOUT:  return "TIMEOUT";
    default:                    return "RCODE?";
    }
}

/* Wireshark's words for a response code in its Info column. */
static const char *
rcode_phrase (MlDnsRcode rcode)
{
  switch (rcode)
    {
    case ML_DNS_RCODE_FORMERR:  return "Format error";
    case ML_DNS_RCODE_SERVFAIL: return "Server failure";
    case ML_DNS_RCODE_NXDOMAIN: return "No such name";
    case ML_DNS_RCODE_NOTIMP:   return "Not implemented";
    case ML_DNS_RCODE_REFUSED:  return "Refused";
    default:                    return "Unknown error";
    }
}

/* ---- records ----------------------------------------------------------- */

static MlDnsRecord *
record_new (const char *name, MlDnsType type, guint32 ttl)
{
  MlDnsRecord *rr = g_new0 (MlDnsRecord, 1);

  rr->name = g_strdup (name);
  rr->type = type;
  rr->rclass = ML_DNS_CLASS_IN;
  rr->ttl = ttl;
  return rr;
}

static char *
ipv4_dup_string (guint32 address)
{
  return g_strdup_printf ("%u.%u.%u.%u", address >> 24, (address >> 16) & 0xff,
                          (address >> 8) & 0xff, address & 0xff);
}

MlDnsRecord *
ml_dns_record_new_a (const char *name, guint32 ttl, guint32 address)
{
  MlDnsRecord *rr;

  g_return_val_if_fail (name != NULL, NULL);
  rr = record_new (name, ML_DNS_TYPE_A, ttl);
  rr->address = address;
  rr->value = ipv4_dup_string (address);
  return rr;
}

MlDnsRecord *
ml_dns_record_new_mx (const char *name, guint32 ttl, guint16 preference, const char *exchange)
{
  MlDnsRecord *rr;

  g_return_val_if_fail (name != NULL && exchange != NULL, NULL);
  rr = record_new (name, ML_DNS_TYPE_MX, ttl);
  rr->preference = preference;
  rr->value = g_strdup (exchange);
  return rr;
}

MlDnsRecord *
ml_dns_record_new_txt (const char *name, guint32 ttl, const char *text)
{
  MlDnsRecord *rr;

  g_return_val_if_fail (name != NULL && text != NULL, NULL);
  rr = record_new (name, ML_DNS_TYPE_TXT, ttl);
  rr->value = g_strdup (text);
  return rr;
}

MlDnsRecord *
ml_dns_record_new_raw (const char *name, MlDnsType type, guint32 ttl, GBytes *rdata)
{
  MlDnsRecord *rr;

  g_return_val_if_fail (name != NULL && rdata != NULL, NULL);
  rr = record_new (name, type, ttl);
  rr->rdata = g_bytes_ref (rdata);
  return rr;
}

MlDnsRecord *
ml_dns_record_copy (const MlDnsRecord *record)
{
  MlDnsRecord *rr;

  g_return_val_if_fail (record != NULL, NULL);
  rr = g_new (MlDnsRecord, 1);
  *rr = *record;
  rr->name = g_strdup (record->name);
  rr->value = g_strdup (record->value);
  rr->rdata = record->rdata ? g_bytes_ref (record->rdata) : NULL;
  return rr;
}

void
ml_dns_record_free (MlDnsRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  g_free (record->value);
  g_clear_pointer (&record->rdata, g_bytes_unref);
  g_free (record);
}

static gboolean
record_is_typed (const MlDnsRecord *rr)
{
  if (rr->rclass != ML_DNS_CLASS_IN || rr->rdata != NULL)
    return FALSE;
  switch (rr->type)
    {
    case ML_DNS_TYPE_A:
    case ML_DNS_TYPE_NS:
    case ML_DNS_TYPE_CNAME:
    case ML_DNS_TYPE_PTR:
    case ML_DNS_TYPE_MX:
    case ML_DNS_TYPE_TXT:
      return rr->value != NULL;
    default:
      return FALSE;
    }
}

gboolean
ml_dns_record_equal (const MlDnsRecord *a, const MlDnsRecord *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->type != b->type || a->rclass != b->rclass || !ml_dns_name_equal (a->name, b->name))
    return FALSE;
  if (record_is_typed (a) != record_is_typed (b))
    return FALSE;
  if (!record_is_typed (a))
    return a->rdata && b->rdata && g_bytes_equal (a->rdata, b->rdata);
  switch (a->type)
    {
    case ML_DNS_TYPE_A:
      return a->address == b->address;
    case ML_DNS_TYPE_MX:
      return a->preference == b->preference && ml_dns_name_equal (a->value, b->value);
    case ML_DNS_TYPE_TXT:
      return strcmp (a->value, b->value) == 0;
    default:
      return ml_dns_name_equal (a->value, b->value);
    }
}

char *
ml_dns_record_dup_rdata_string (const MlDnsRecord *rr)
{
  g_return_val_if_fail (rr != NULL, NULL);

  if (!record_is_typed (rr))
    return g_strdup_printf ("\\# %" G_GSIZE_FORMAT,   /* RFC 3597 5 */
                            rr->rdata ? g_bytes_get_size (rr->rdata) : 0);
  switch (rr->type)
    {
    case ML_DNS_TYPE_MX:
      return g_strdup_printf ("%u %s", rr->preference, rr->value);
    case ML_DNS_TYPE_TXT:
      {
        g_autofree char *valid = g_utf8_make_valid (rr->value, -1);
        GString *out = g_string_new ("\"");

        /* RFC 1035 5.1: a quoted <character-string>, with "\"" and "\\"
         * quoted and other controls as \DDD. */
        for (const char *c = valid; *c != '\0'; c++)
          {
            if (*c == '"' || *c == '\\')
              g_string_append_c (out, '\\');
            if ((guchar) *c < 0x20 || *c == 0x7f)
              g_string_append_printf (out, "\\%03u", (guchar) *c);
            else
              g_string_append_c (out, *c);
          }
        g_string_append_c (out, '"');
        return g_string_free (out, FALSE);
      }
    default:
      return g_strdup (rr->value);
    }
}

/* ---- messages ---------------------------------------------------------- */

static void
question_free (gpointer data)
{
  MlDnsQuestion *q = data;

  g_free (q->name);
  g_free (q);
}

MlDnsMessage *
ml_dns_message_new (void)
{
  MlDnsMessage *self = g_new0 (MlDnsMessage, 1);

  self->questions = g_ptr_array_new_with_free_func (question_free);
  self->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_dns_record_free);
  self->authority = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_dns_record_free);
  self->additional = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_dns_record_free);
  return self;
}

void
ml_dns_message_free (MlDnsMessage *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->questions);
  g_ptr_array_unref (self->answers);
  g_ptr_array_unref (self->authority);
  g_ptr_array_unref (self->additional);
  g_free (self);
}

void
ml_dns_message_add_question (MlDnsMessage *self, const char *name, MlDnsType type)
{
  MlDnsQuestion *q;

  g_return_if_fail (self != NULL && name != NULL);
  q = g_new0 (MlDnsQuestion, 1);
  q->name = g_strdup (name);
  q->type = type;
  q->qclass = ML_DNS_CLASS_IN;
  g_ptr_array_add (self->questions, q);
}

const MlDnsQuestion *
ml_dns_message_get_question (const MlDnsMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->questions->len > 0 ? self->questions->pdata[0] : NULL;
}

/* ---- encoding ---------------------------------------------------------- */

typedef struct {
  GByteArray *buf;
  GHashTable *names;   /* wire form of a name suffix (GBytes) → offset */
} Encoder;

static void
put_u16 (GByteArray *b, guint16 v)
{
  guint8 p[2] = { (guint8) (v >> 8), (guint8) v };

  g_byte_array_append (b, p, 2);
}

static void
put_u32 (GByteArray *b, guint32 v)
{
  put_u16 (b, (guint16) (v >> 16));
  put_u16 (b, (guint16) v);
}

static void
set_u16 (GByteArray *b, gsize at, guint16 v)
{
  b->data[at] = (guint8) (v >> 8);
  b->data[at + 1] = (guint8) v;
}

/* RFC 1035 4.1.4: a name is labels ending in a zero octet or in a pointer
 * to an earlier occurrence of the rest of the name. Suffixes match on
 * their exact octets, so the case a name was given in survives. */
static gboolean
put_name (Encoder *enc, const char *name, GError **error)
{
  g_autoptr(GPtrArray) labels = name_to_labels (name, error);

  if (labels == NULL)
    return FALSE;

  for (guint i = 0; i < labels->len; i++)
    {
      g_autoptr(GByteArray) suffix = g_byte_array_new ();
      g_autoptr(GBytes) key = NULL;
      gpointer offset;
      gsize len;
      const guint8 *label;
      guint8 n;

      for (guint j = i; j < labels->len; j++)
        {
          label = g_bytes_get_data (labels->pdata[j], &len);
          n = (guint8) len;
          g_byte_array_append (suffix, &n, 1);
          g_byte_array_append (suffix, label, len);
        }
      key = g_byte_array_free_to_bytes (g_steal_pointer (&suffix));
      if (g_hash_table_lookup_extended (enc->names, key, NULL, &offset))
        {
          put_u16 (enc->buf, (guint16) (0xC000 | GPOINTER_TO_UINT (offset)));
          return TRUE;
        }
      if (enc->buf->len <= MAX_POINTER_OFFSET)
        g_hash_table_insert (enc->names, g_steal_pointer (&key), GUINT_TO_POINTER (enc->buf->len));

      label = g_bytes_get_data (labels->pdata[i], &len);
      n = (guint8) len;
      g_byte_array_append (enc->buf, &n, 1);
      g_byte_array_append (enc->buf, label, len);
    }
  {
    const guint8 root = 0;

    g_byte_array_append (enc->buf, &root, 1);
  }
  return TRUE;
}

static gboolean
put_rdata (Encoder *enc, const MlDnsRecord *rr, GError **error)
{
  if (!record_is_typed (rr))
    {
      if (rr->rdata != NULL)
        g_byte_array_append (enc->buf, g_bytes_get_data (rr->rdata, NULL),
                             (guint) g_bytes_get_size (rr->rdata));
      return TRUE;
    }

  switch (rr->type)
    {
    case ML_DNS_TYPE_A:                              /* RFC 1035 3.4.1 */
      put_u32 (enc->buf, rr->address);
      return TRUE;
    case ML_DNS_TYPE_MX:                             /* RFC 1035 3.3.9 */
      put_u16 (enc->buf, rr->preference);
      return put_name (enc, rr->value, error);
    case ML_DNS_TYPE_TXT:                            /* RFC 1035 3.3.14 */
      {
        gsize len = strlen (rr->value), off = 0;

        /* One or more <character-string>s of up to 255 octets. */
        do
          {
            guint8 n = (guint8) MIN (len - off, ML_DNS_MAX_CHARACTER_STRING);

            g_byte_array_append (enc->buf, &n, 1);
            g_byte_array_append (enc->buf, (const guint8 *) rr->value + off, n);
            off += n;
          }
        while (off < len);
        return TRUE;
      }
    default:                                         /* CNAME, NS, PTR */
      return put_name (enc, rr->value, error);
    }
}

static gboolean
put_record (Encoder *enc, const MlDnsRecord *rr, GError **error)
{
  gsize rdlength_at, rdlength;

  if (!put_name (enc, rr->name, error))
    return FALSE;
  put_u16 (enc->buf, (guint16) rr->type);
  put_u16 (enc->buf, rr->rclass);
  put_u32 (enc->buf, rr->ttl);
  rdlength_at = enc->buf->len;
  put_u16 (enc->buf, 0);
  if (!put_rdata (enc, rr, error))
    return FALSE;
  rdlength = enc->buf->len - rdlength_at - 2;
  if (rdlength > ML_DNS_MAX_RDATA)
    {
      g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_RDATA,
                   "RDATA of %s is longer than %d octets (RFC 1035 3.2.1)",
                   rr->name, ML_DNS_MAX_RDATA);
      return FALSE;
    }
  set_u16 (enc->buf, rdlength_at, (guint16) rdlength);
  return TRUE;
}

static gboolean
forget_from (gpointer key, gpointer value, gpointer mark)
{
  return GPOINTER_TO_UINT (value) >= GPOINTER_TO_UINT (mark);
}

GBytes *
ml_dns_message_encode (const MlDnsMessage *self, gsize max_size, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                       (GDestroyNotify) g_bytes_unref, NULL);
  Encoder enc = { buf, names };
  GPtrArray *sections[3];
  guint counts[3] = { 0, 0, 0 };
  gboolean truncated;
  gboolean full = FALSE;
  guint16 flags;

  g_return_val_if_fail (self != NULL, NULL);

  max_size = MIN (max_size, ML_DNS_MAX_MESSAGE);
  sections[0] = self->answers;
  sections[1] = self->authority;
  sections[2] = self->additional;
  truncated = self->truncated;

  /* RFC 1035 4.1.1; the flags and counts are set once the records are in. */
  put_u16 (buf, self->id);
  put_u16 (buf, 0);
  put_u16 (buf, (guint16) self->questions->len);
  put_u16 (buf, 0);
  put_u16 (buf, 0);
  put_u16 (buf, 0);

  for (guint i = 0; i < self->questions->len; i++)
    {
      const MlDnsQuestion *q = self->questions->pdata[i];

      if (!put_name (&enc, q->name, error))
        return NULL;
      put_u16 (buf, (guint16) q->type);
      put_u16 (buf, q->qclass);
    }
  if (buf->len > max_size)
    {
      g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_TOO_BIG,
                   "The question alone is longer than %" G_GSIZE_FORMAT " octets", max_size);
      return NULL;
    }

  for (guint s = 0; s < 3 && !full; s++)
    for (guint i = 0; i < sections[s]->len; i++)
      {
        guint mark = buf->len;

        if (!put_record (&enc, sections[s]->pdata[i], error))
          return NULL;
        if (buf->len <= max_size)
          {
            counts[s]++;
            continue;
          }
        /* Take the record back out, with the names it taught the
         * compressor: nothing may point into what is not sent. */
        g_byte_array_set_size (buf, mark);
        g_hash_table_foreach_remove (names, forget_from, GUINT_TO_POINTER (mark));
        if (s < 2)
          {
            /* RFC 1035 4.2.1: longer messages are truncated, TC set. */
            truncated = TRUE;
            full = TRUE;
          }
        break;
      }

  flags = (guint16) ((self->response ? 0x8000 : 0)
                     | (self->opcode & 0xF) << 11
                     | (self->authoritative ? 0x0400 : 0)
                     | (truncated ? 0x0200 : 0)
                     | (self->recursion_desired ? 0x0100 : 0)
                     | (self->recursion_available ? 0x0080 : 0)
                     | (self->rcode & 0xF));
  set_u16 (buf, 2, flags);
  set_u16 (buf, 6, (guint16) counts[0]);
  set_u16 (buf, 8, (guint16) counts[1]);
  set_u16 (buf, 10, (guint16) counts[2]);
  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

/* ---- decoding ---------------------------------------------------------- */

static guint16
get_u16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static guint32
get_u32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static gboolean
truncated_error (GError **error, const char *what)
{
  g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_TRUNCATED,
               "The message ends inside %s", what);
  return FALSE;
}

/* Reads the name at *pos; *pos moves past the name's own octets (not past
 * what a pointer leads to). */
static char *
read_name (const guint8 *msg, gsize len, gsize *pos, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gsize p = *pos;
  gsize wire = 1;            /* the root's length octet */
  guint hops = 0;
  gboolean jumped = FALSE;

  for (;;)
    {
      guint8 c;

      if (p >= len)
        {
          truncated_error (error, "a name");
          return NULL;
        }
      c = msg[p];
      if ((c & 0xC0) == 0xC0)
        {
          gsize target;

          if (p + 1 >= len)
            {
              truncated_error (error, "a compression pointer");
              return NULL;
            }
          target = (gsize) (c & 0x3F) << 8 | msg[p + 1];
          /* RFC 1035 4.1.4: a pointer leads to a *prior* occurrence;
           * one that does not point back could loop forever. */
          if (target >= p)
            {
              g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_POINTER,
                           "Compression pointer at offset %" G_GSIZE_FORMAT
                           " does not point back (to %" G_GSIZE_FORMAT ")", p, target);
              return NULL;
            }
          if (++hops > ML_DNS_MAX_POINTER_HOPS)
            {
              g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_POINTER,
                           "More than %d compression pointers in one name",
                           ML_DNS_MAX_POINTER_HOPS);
              return NULL;
            }
          if (!jumped)
            *pos = p + 2;
          jumped = TRUE;
          p = target;
          continue;
        }
      if ((c & 0xC0) != 0)
        {
          /* 01 and 10 are reserved (RFC 1035 4.1.4), so a length octet
           * over 63 is no label at all. */
          g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME,
                       "Label type 0x%02X at offset %" G_GSIZE_FORMAT
                       " (a label is at most %d octets)", c, p, ML_DNS_MAX_LABEL);
          return NULL;
        }
      if (c == 0)
        {
          if (!jumped)
            *pos = p + 1;
          break;
        }
      wire += 1 + c;
      if (wire > ML_DNS_MAX_NAME)
        {
          g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME,
                       "Name longer than %d octets (RFC 1035 2.3.4)", ML_DNS_MAX_NAME);
          return NULL;
        }
      if (len - p - 1 < c)
        {
          truncated_error (error, "a label");
          return NULL;
        }
      if (out->len > 0)
        g_string_append_c (out, '.');
      append_label (out, msg + p + 1, c);
      p += 1 + c;
    }
  if (out->len == 0)
    g_string_append_c (out, '.');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
read_rdata (const guint8 *msg, gsize len, gsize start, gsize rdlength,
            MlDnsRecord *rr, GError **error)
{
  gsize end = start + rdlength;
  gsize pos = start;

  if (rr->rclass != ML_DNS_CLASS_IN)
    goto raw;

  switch (rr->type)
    {
    case ML_DNS_TYPE_A:
      if (rdlength != 4)
        goto bad;
      rr->address = get_u32 (msg + start);
      rr->value = ipv4_dup_string (rr->address);
      return TRUE;

    case ML_DNS_TYPE_MX:
      if (rdlength < 3)
        goto bad;
      rr->preference = get_u16 (msg + start);
      pos = start + 2;
      G_GNUC_FALLTHROUGH;
    case ML_DNS_TYPE_NS:
    case ML_DNS_TYPE_CNAME:
    case ML_DNS_TYPE_PTR:
      /* The name may point anywhere before it, but its own octets must
       * fill the RDATA exactly. */
      {
        g_autoptr(GError) local = NULL;

        rr->value = read_name (msg, end, &pos, &local);
        /* Running off the RDATA is the record's fault, not the message's. */
        if (g_error_matches (local, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_TRUNCATED))
          goto bad;
        if (rr->value == NULL)
          {
            g_propagate_error (error, g_steal_pointer (&local));
            return FALSE;
          }
        if (pos != end)
          goto bad;
        return TRUE;
      }

    case ML_DNS_TYPE_TXT:
      {
        g_autoptr(GString) text = g_string_new (NULL);

        if (rdlength == 0)
          goto bad;
        while (pos < end)
          {
            guint8 n = msg[pos];

            if (end - pos - 1 < n)
              goto bad;
            g_string_append_len (text, (const char *) msg + pos + 1, n);
            pos += 1 + n;
          }
        rr->value = g_strdup (text->str);
        return TRUE;
      }

    default:
      break;
    }

raw:
  rr->rdata = g_bytes_new (msg + start, rdlength);
  return TRUE;

bad:
  {
    g_autofree char *type = ml_dns_type_dup_string (rr->type);

    g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_RDATA,
                 "%s record for %s: RDATA does not match its type", type, rr->name);
  }
  return FALSE;
}

static MlDnsRecord *
read_record (const guint8 *msg, gsize len, gsize *pos, GError **error)
{
  g_autoptr(MlDnsRecord) rr = g_new0 (MlDnsRecord, 1);
  const guint8 *p;
  guint16 rdlength;

  rr->name = read_name (msg, len, pos, error);
  if (rr->name == NULL)
    return NULL;
  if (len - *pos < 10)
    {
      truncated_error (error, "a resource record");
      return NULL;
    }
  p = msg + *pos;
  rr->type = (MlDnsType) get_u16 (p);
  rr->rclass = get_u16 (p + 2);
  rr->ttl = get_u32 (p + 4);
  /* RFC 1035 2.3.4: a TTL is a positive signed 32-bit number; RFC 2181 8
   * says to read one with the top bit set as zero. */
  if (rr->ttl > G_MAXINT32)
    rr->ttl = 0;
  rdlength = get_u16 (p + 8);
  *pos += 10;
  if (len - *pos < rdlength)
    {
      truncated_error (error, "RDATA");
      return NULL;
    }
  if (!read_rdata (msg, len, *pos, rdlength, rr, error))
    return NULL;
  *pos += rdlength;
  return g_steal_pointer (&rr);
}

MlDnsMessage *
ml_dns_message_decode (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(MlDnsMessage) msg = NULL;
  guint16 flags, qdcount, counts[3];
  GPtrArray *sections[3];
  guint64 least;
  gsize pos = ML_DNS_HEADER_LEN;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len < ML_DNS_HEADER_LEN)
    {
      truncated_error (error, "the header");
      return NULL;
    }

  msg = ml_dns_message_new ();
  msg->id = get_u16 (data);
  flags = get_u16 (data + 2);
  msg->response = (flags & 0x8000) != 0;
  msg->opcode = (flags >> 11) & 0xF;
  msg->authoritative = (flags & 0x0400) != 0;
  msg->truncated = (flags & 0x0200) != 0;
  msg->recursion_desired = (flags & 0x0100) != 0;
  msg->recursion_available = (flags & 0x0080) != 0;
  msg->rcode = (MlDnsRcode) (flags & 0xF);
  qdcount = get_u16 (data + 4);
  counts[0] = get_u16 (data + 6);
  counts[1] = get_u16 (data + 8);
  counts[2] = get_u16 (data + 10);
  sections[0] = msg->answers;
  sections[1] = msg->authority;
  sections[2] = msg->additional;

  /* Before allocating anything for them: counts a message this short
   * cannot hold are a lie. */
  least = ML_DNS_HEADER_LEN + (guint64) qdcount * MIN_QUESTION_LEN
          + ((guint64) counts[0] + counts[1] + counts[2]) * MIN_RECORD_LEN;
  if (least > len)
    {
      g_set_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_COUNT,
                   "The header announces %u questions and %u records, more than "
                   "%" G_GSIZE_FORMAT " octets can hold",
                   qdcount, counts[0] + counts[1] + counts[2], len);
      return NULL;
    }

  for (guint i = 0; i < qdcount; i++)
    {
      MlDnsQuestion *q;
      char *name = read_name (data, len, &pos, error);

      if (name == NULL)
        return NULL;
      if (len - pos < 4)
        {
          g_free (name);
          truncated_error (error, "a question");
          return NULL;
        }
      q = g_new0 (MlDnsQuestion, 1);
      q->name = name;
      q->type = (MlDnsType) get_u16 (data + pos);
      q->qclass = get_u16 (data + pos + 2);
      pos += 4;
      g_ptr_array_add (msg->questions, q);
    }

  for (guint s = 0; s < 3; s++)
    for (guint i = 0; i < counts[s]; i++)
      {
        MlDnsRecord *rr = read_record (data, len, &pos, error);

        if (rr == NULL)
          return NULL;
        g_ptr_array_add (sections[s], rr);
      }

  /* Octets after the last record are ignored, as most resolvers do. */
  return g_steal_pointer (&msg);
}

/* ---- summary ------------------------------------------------------------ */

static void
append_name (GString *out, const char *name)
{
  g_string_append (out, (name[0] == '\0' || strcmp (name, ".") == 0) ? "<Root>" : name);
}

char *
ml_dns_message_summarize (const MlDnsMessage *self)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new (NULL);
  if (self->opcode == ML_DNS_OPCODE_QUERY)
    g_string_append (out, "Standard query");
  else
    g_string_append_printf (out, "Query opcode %u", self->opcode);
  if (self->response)
    g_string_append (out, " response");
  g_string_append_printf (out, " 0x%04x", self->id);
  if (self->response && self->rcode != ML_DNS_RCODE_NOERROR)
    g_string_append_printf (out, " %s", rcode_phrase (self->rcode));

  for (guint i = 0; i < self->questions->len; i++)
    {
      const MlDnsQuestion *q = self->questions->pdata[i];
      g_autofree char *type = ml_dns_type_dup_string (q->type);

      g_string_append_printf (out, " %s ", type);
      append_name (out, q->name);
    }
  /* Wireshark lists the records of every section, in order. */
  if (self->response)
    {
      GPtrArray *sections[] = { self->answers, self->authority, self->additional };

      for (gsize s = 0; s < G_N_ELEMENTS (sections); s++)
        for (guint i = 0; i < sections[s]->len; i++)
          {
            const MlDnsRecord *rr = sections[s]->pdata[i];
            g_autofree char *type = ml_dns_type_dup_string (rr->type);

            g_string_append_printf (out, " %s", type);
            /* It names the type alone for TXT and for data it does not
             * decode. */
            if (record_is_typed (rr) && rr->type != ML_DNS_TYPE_TXT)
              {
                g_autofree char *rdata = ml_dns_record_dup_rdata_string (rr);

                g_string_append_c (out, ' ');
                g_string_append (out, rdata);
              }
          }
    }
  return g_string_free (out, FALSE);
}

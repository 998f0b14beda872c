#define G_LOG_DOMAIN "ml-dns-server"

#include "net/dns-server.h"

struct _MlDnsServer
{
  MlHost    *host;    /* borrowed: the network owns its hosts */
  MlDnsZone *zone;    /* borrowed */
  guint      queries;
};

static MlDnsMessage *
response_for (guint16 id, guint8 opcode, gboolean rd, MlDnsRcode rcode)
{
  MlDnsMessage *r = ml_dns_message_new ();

  r->id = id;
  r->response = TRUE;
  r->opcode = opcode;
  /* RFC 1035 4.1.1: RD is copied into the response; we hold the data, so
   * AA; we do not recurse, so no RA. */
  r->recursion_desired = rd;
  r->authoritative = TRUE;
  r->rcode = rcode;
  return r;
}

/* RFC 1035 3.3.9: MX "causes type A additional section processing for
 * the host specified by EXCHANGE". */
static void
add_exchange_addresses (MlDnsZone *zone, MlDnsMessage *r)
{
  for (guint i = 0; i < r->answers->len; i++)
    {
      const MlDnsRecord *mx = r->answers->pdata[i];
      g_autoptr(GPtrArray) addresses = NULL;

      if (mx->type != ML_DNS_TYPE_MX || mx->value == NULL)
        continue;
      if (ml_dns_zone_lookup (zone, mx->value, ML_DNS_TYPE_A, &addresses) != ML_DNS_ZONE_FOUND)
        continue;
      for (guint j = 0; j < addresses->len; j++)
        {
          gboolean seen = FALSE;

          for (guint k = 0; k < r->additional->len && !seen; k++)
            seen = ml_dns_record_equal (r->additional->pdata[k], addresses->pdata[j]);
          if (!seen)
            g_ptr_array_add (r->additional, ml_dns_record_copy (addresses->pdata[j]));
        }
    }
}

MlDnsMessage *
ml_dns_server_build_response (MlDnsZone *zone, const guint8 *query, gsize len)
{
  g_autoptr(MlDnsMessage) q = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  const MlDnsQuestion *question;
  MlDnsMessage *r;
  guint16 id, flags;

  g_return_val_if_fail (zone != NULL, NULL);
  g_return_val_if_fail (query != NULL || len == 0, NULL);

  if (len < ML_DNS_HEADER_LEN)
    return NULL;
  id = (guint16) (query[0] << 8 | query[1]);
  flags = (guint16) (query[2] << 8 | query[3]);
  if (flags & 0x8000)
    return NULL;

  q = ml_dns_message_decode (query, len, &error);
  if (q == NULL)
    {
      /* RFC 1035 4.1.1: "Format error - The name server was unable to
       * interpret the query." The header is all we trust. */
      return response_for (id, (flags >> 11) & 0xF, (flags & 0x0100) != 0,
                           ML_DNS_RCODE_FORMERR);
    }
  if (q->opcode != ML_DNS_OPCODE_QUERY)
    return response_for (id, q->opcode, q->recursion_desired, ML_DNS_RCODE_NOTIMP);
  /* Every server in use takes exactly one question (RFC 9619 makes it a
   * rule); anything else is a query it cannot interpret. */
  if (q->questions->len != 1 || q->answers->len + q->authority->len > 0)
    return response_for (id, q->opcode, q->recursion_desired, ML_DNS_RCODE_FORMERR);

  question = ml_dns_message_get_question (q);
  r = response_for (id, q->opcode, q->recursion_desired, ML_DNS_RCODE_NOERROR);
  ml_dns_message_add_question (r, question->name, question->type);
  if (question->qclass != ML_DNS_CLASS_IN && question->qclass != 255 /* ANY, RFC 1035 3.2.5 */)
    {
      r->rcode = ML_DNS_RCODE_REFUSED;
      return r;
    }

  switch (ml_dns_zone_lookup (zone, question->name, question->type, &found))
    {
    case ML_DNS_ZONE_FOUND:
      for (guint i = 0; i < found->len; i++)
        g_ptr_array_add (r->answers, ml_dns_record_copy (found->pdata[i]));
      add_exchange_addresses (zone, r);
      break;
    case ML_DNS_ZONE_NODATA:
      break;   /* NOERROR, no answer (RFC 2308 2.2) */
    case ML_DNS_ZONE_NXDOMAIN:
    default:
      r->rcode = ML_DNS_RCODE_NXDOMAIN;
      break;
    }
  return r;
}

static void
on_query (MlHost *host, guint32 src_ip, guint16 src_port, guint16 dst_port,
          const guint8 *payload, gsize len, gpointer user_data)
{
  MlDnsServer *self = user_data;
  g_autoptr(MlDnsMessage) response = ml_dns_server_build_response (self->zone, payload, len);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;

  if (response == NULL)
    return;
  self->queries++;

  bytes = ml_dns_message_encode (response, ML_DNS_MAX_UDP_MESSAGE, &error);
  if (bytes == NULL)
    {
      /* Only a question too long to echo gets here: say FORMERR without it. */
      g_ptr_array_set_size (response->questions, 0);
      g_ptr_array_set_size (response->answers, 0);
      g_ptr_array_set_size (response->additional, 0);
      response->rcode = ML_DNS_RCODE_FORMERR;
      g_clear_error (&error);
      bytes = ml_dns_message_encode (response, ML_DNS_MAX_UDP_MESSAGE, &error);
      g_return_if_fail (bytes != NULL);
    }
  {
    /* Summarise what went on the wire, which TC may have shortened. */
    g_autoptr(MlDnsMessage) sent = ml_dns_message_decode (g_bytes_get_data (bytes, NULL),
                                                          g_bytes_get_size (bytes), NULL);

    summary = ml_dns_message_summarize (sent ? sent : response);
  }
  ml_host_udp_send (host, dst_port, src_ip, src_port,
                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                    ML_PROTO_DNS, summary, "dns.response");
}

MlDnsServer *
ml_dns_server_new (MlHost *host, MlDnsZone *zone)
{
  MlDnsServer *self;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (zone != NULL, NULL);

  self = g_new0 (MlDnsServer, 1);
  self->host = host;
  self->zone = zone;
  if (!ml_host_udp_bind (host, ML_DNS_PORT, on_query, self, NULL))
    {
      g_free (self);
      return NULL;
    }
  return self;
}

void
ml_dns_server_free (MlDnsServer *self)
{
  if (self == NULL)
    return;
  ml_host_udp_unbind (self->host, ML_DNS_PORT);
  g_free (self);
}

guint
ml_dns_server_get_query_count (MlDnsServer *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->queries;
}

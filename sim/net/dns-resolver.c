#define G_LOG_DOMAIN "ml-dns-resolver"

#include "net/dns-resolver.h"

#include <string.h>

struct _MlDnsResolver
{
  MlHost    *host;        /* borrowed */
  guint32    server_ip;
  GPtrArray *pending;     /* Lookup*, owned */
};

typedef struct {
  MlDnsResolver  *resolver;
  char           *name;
  MlDnsType       type;
  MlDnsLookupFunc callback;
  gpointer        user_data;
  guint16         id;
  guint16         port;     /* 0: none bound */
  GBytes         *query;
  char           *summary;
  guint64         timer;    /* scheduler event id, 0 if none */
  guint           tries;
  MlDnsRcode      early_rcode;  /* for a lookup that ends before a query */
} Lookup;

static MlScheduler *
scheduler_of (MlDnsResolver *self)
{
  return ml_network_get_scheduler (ml_host_get_network (self->host));
}

static void
lookup_free (Lookup *lookup)
{
  g_free (lookup->name);
  g_clear_pointer (&lookup->query, g_bytes_unref);
  g_free (lookup->summary);
  g_free (lookup);
}

/* Stops the timer and closes the port. */
static void
lookup_stop (Lookup *lookup)
{
  MlDnsResolver *self = lookup->resolver;

  if (lookup->timer != 0)
    ml_scheduler_cancel (scheduler_of (self), lookup->timer);
  lookup->timer = 0;
  if (lookup->port != 0)
    ml_host_udp_unbind (self->host, lookup->port);
  lookup->port = 0;
}

static const char *
explain_key_for (const MlDnsResult *result)
{
  switch (result->rcode)
    {
    case ML_DNS_RCODE_NOERROR:
      if (result->answers->len == 0)
        return "dns.nodata";
      switch (result->type)
        {
        case ML_DNS_TYPE_A:   return "dns.a";
        case ML_DNS_TYPE_MX:  return "dns.mx";
        case ML_DNS_TYPE_TXT: return "dns.txt";
        default:              return "dns.answer";
        }
    case ML_DNS_RCODE_NXDOMAIN: return "dns.nxdomain";
    case ML_DNS_RCODE_TIMEOUT:  return "dns.timeout";
    default:                    return "dns.error";
    }
}

static char *
detail_for (const MlDnsResult *result)
{
  g_autoptr(GString) out = NULL;

  switch (result->rcode)
    {
    case ML_DNS_RCODE_NOERROR:
      break;
    case ML_DNS_RCODE_TIMEOUT:
      return g_strdup ("timeout");
    default:
      return g_strdup (ml_dns_rcode_to_string (result->rcode));
    }

  if (result->answers->len == 0)
    {
      g_autofree char *type = ml_dns_type_dup_string (result->type);

      /* RFC 2308 2.2: the name exists, with no data of this type. */
      return g_strdup_printf ("no %s records (NODATA)", type);
    }
  out = g_string_new (NULL);
  for (guint i = 0; i < result->answers->len; i++)
    {
      const MlDnsRecord *rr = result->answers->pdata[i];
      g_autofree char *rdata = ml_dns_record_dup_rdata_string (rr);

      if (out->len > 0)
        g_string_append (out, ", ");
      if (rr->type != result->type)
        {
          g_autofree char *type = ml_dns_type_dup_string (rr->type);

          g_string_append_printf (out, "%s ", type);
        }
      g_string_append (out, rdata);
    }
  if (result->truncated)
    g_string_append (out, " (truncated)");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
trace_result (MlDnsResolver *self, const MlDnsResult *result)
{
  MlNetwork *net = ml_host_get_network (self->host);
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_DNS);
  g_autofree char *type = ml_dns_type_dup_string (result->type);

  e->time_us = ml_scheduler_now (ml_network_get_scheduler (net));
  e->host = g_strdup (ml_host_get_name (self->host));
  e->protocol = ML_PROTO_DNS;
  e->text = g_strdup_printf ("%s %s", type, result->name);
  e->detail = detail_for (result);
  e->explain_key = g_strdup (explain_key_for (result));
  ml_trace_append (ml_network_get_trace (net), e);
}

/* Ends @lookup: the trace hears of it first, then the caller. @response
 * is NULL for an outcome without one. */
static void
lookup_complete (Lookup *lookup, MlDnsRcode rcode, const MlDnsMessage *response)
{
  MlDnsResolver *self = lookup->resolver;
  g_autoptr(GPtrArray) empty = g_ptr_array_new ();
  MlDnsResult result = { 0 };

  lookup_stop (lookup);
  g_ptr_array_remove_fast (self->pending, lookup);

  result.name = lookup->name;
  result.type = lookup->type;
  result.rcode = rcode;
  result.tries = lookup->tries;
  result.truncated = response ? response->truncated : FALSE;
  result.answers = response ? response->answers : empty;
  result.authority = response ? response->authority : empty;
  result.additional = response ? response->additional : empty;

  trace_result (self, &result);
  /* The callback may free the resolver: nothing touches it afterwards. */
  if (lookup->callback != NULL)
    lookup->callback (self, &result, lookup->user_data);
  lookup_free (lookup);
}

static void send_query (Lookup *lookup);

static void
on_timeout (gpointer user_data)
{
  Lookup *lookup = user_data;

  lookup->timer = 0;
  if (lookup->tries < ML_DNS_RESOLVER_TRIES)
    send_query (lookup);
  else
    lookup_complete (lookup, ML_DNS_RCODE_TIMEOUT, NULL);
}

static void
send_query (Lookup *lookup)
{
  MlDnsResolver *self = lookup->resolver;

  lookup->tries++;
  ml_host_udp_send (self->host, lookup->port, self->server_ip, ML_DNS_PORT,
                    g_bytes_get_data (lookup->query, NULL), g_bytes_get_size (lookup->query),
                    ML_PROTO_DNS, lookup->summary, "dns.query");
  lookup->timer = ml_scheduler_schedule (scheduler_of (self), ML_DNS_RESOLVER_TIMEOUT_US,
                                         on_timeout, lookup, NULL);
}

static void
on_response (MlHost *host, guint32 src_ip, guint16 src_port, guint16 dst_port,
             const guint8 *payload, gsize len, gpointer user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(MlDnsMessage) response = NULL;
  const MlDnsQuestion *q;

  /* RFC 5452 3: only the server we asked, from port 53, with our ID and
   * our question, may answer; a stray or garbled datagram is dropped and
   * the timer keeps running. */
  if (src_ip != lookup->resolver->server_ip || src_port != ML_DNS_PORT)
    return;
  response = ml_dns_message_decode (payload, len, NULL);
  if (response == NULL || !response->response || response->id != lookup->id)
    return;
  q = ml_dns_message_get_question (response);
  if (q == NULL || q->type != lookup->type || !ml_dns_name_equal (q->name, lookup->name))
    {
      /* A server that could not parse our query answers without the
       * question (FORMERR); that is still the answer to our ID. */
      if (!(q == NULL && response->rcode != ML_DNS_RCODE_NOERROR))
        return;
    }
  lookup_complete (lookup, response->rcode, response);
}

static void
on_early_end (gpointer user_data)
{
  Lookup *lookup = user_data;

  lookup->timer = 0;
  lookup_complete (lookup, lookup->early_rcode, NULL);
}

static void
end_early (Lookup *lookup, MlDnsRcode rcode)
{
  lookup->early_rcode = rcode;
  lookup->timer = ml_scheduler_schedule (scheduler_of (lookup->resolver), 0,
                                         on_early_end, lookup, NULL);
}

void
ml_dns_resolver_lookup (MlDnsResolver  *self,
                        const char     *name,
                        MlDnsType       type,
                        MlDnsLookupFunc callback,
                        gpointer        user_data)
{
  g_autoptr(MlDnsMessage) query = NULL;
  Lookup *lookup;
  guint16 port;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);

  lookup = g_new0 (Lookup, 1);
  lookup->resolver = self;
  lookup->name = g_strdup (name);
  lookup->type = type;
  lookup->callback = callback;
  lookup->user_data = user_data;
  g_ptr_array_add (self->pending, lookup);

  query = ml_dns_message_new ();
  query->id = (guint16) g_rand_int_range (ml_scheduler_get_rand (scheduler_of (self)), 0, 0x10000);
  query->recursion_desired = TRUE;
  ml_dns_message_add_question (query, name, type);
  lookup->id = query->id;
  lookup->query = ml_dns_message_encode (query, ML_DNS_MAX_UDP_MESSAGE, NULL);
  if (lookup->query == NULL)
    {
      /* Not a name that can be asked (an empty or over-long label): the
       * server would have said FORMERR, so say it here without asking. */
      end_early (lookup, ML_DNS_RCODE_FORMERR);
      return;
    }
  lookup->summary = ml_dns_message_summarize (query);

  port = ml_host_allocate_port (self->host);
  if (port == 0 || !ml_host_udp_bind (self->host, port, on_response, lookup, NULL))
    {
      end_early (lookup, ML_DNS_RCODE_SERVFAIL);
      return;
    }
  lookup->port = port;
  send_query (lookup);
}

MlDnsResolver *
ml_dns_resolver_new (MlHost *host, guint32 server_ip)
{
  MlDnsResolver *self;

  g_return_val_if_fail (host != NULL, NULL);

  self = g_new0 (MlDnsResolver, 1);
  self->host = host;
  self->server_ip = server_ip;
  self->pending = g_ptr_array_new ();
  return self;
}

void
ml_dns_resolver_free (MlDnsResolver *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->pending->len; i++)
    {
      Lookup *lookup = self->pending->pdata[i];

      lookup_stop (lookup);
      lookup_free (lookup);
    }
  g_ptr_array_unref (self->pending);
  g_free (self);
}

guint
ml_dns_resolver_get_pending (MlDnsResolver *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->pending->len;
}

gboolean
ml_dns_result_first_a (const MlDnsResult *result, guint32 *address_out)
{
  g_return_val_if_fail (result != NULL, FALSE);

  for (guint i = 0; i < result->answers->len; i++)
    {
      const MlDnsRecord *rr = result->answers->pdata[i];

      if (rr->type == ML_DNS_TYPE_A && rr->rclass == ML_DNS_CLASS_IN && rr->rdata == NULL)
        {
          if (address_out != NULL)
            *address_out = rr->address;
          return TRUE;
        }
    }
  return FALSE;
}

/* The network moves frames: a sender builds one, the route names the first
 * link, the link serialises it behind earlier frames in the same direction
 * and delivers it after its latency, a router rewrites it for the next hop.
 * Each transmission on each hop is one ML_TRACE_FRAME. */
#define G_LOG_DOMAIN "ml-network"

#include <string.h>

#include "net/network-private.h"

/* RFC 768: 65535 − 8 (UDP header) − 20 (IPv4 header). */
#define ML_UDP_MAX_PAYLOAD (ML_IPV4_MAX_PACKET - ML_UDP_HEADER_LEN - ML_IPV4_HEADER_LEN)
#define ML_PORT_COUNT      65536

struct _MlNetwork
{
  MlScheduler *sched;
  MlTrace     *trace;
  gint64       epoch_usec;
  GPtrArray   *hosts;          /* MlHost*, owned, in order added */
  GPtrArray   *links;          /* MlLink*, owned, in order added */
  GHashTable  *host_by_name;   /* lookups only, never iterated */
  GHashTable  *host_by_ip;     /* GUINT_TO_POINTER (ip) → MlHost* */
  gboolean     routes_dirty;
  guint        next_conn_id;
  guint8      *port_protocol;  /* ML_PORT_COUNT entries, NULL until tagged */
};

struct _MlHost
{
  MlNetwork  *net;
  char       *name;
  guint32     ipv4;
  MlRole      roles;
  guint       index;
  guint8      mac[ML_MAC_LEN];
  guint16     next_port;
  guint16     ip_id;
  GPtrArray  *links;           /* MlLink*, borrowed, in order added */
  GPtrArray  *routes;          /* first-hop MlLink* per destination index, or NULL */
  GHashTable *udp;             /* port → UdpBinding*, lookups only */
  MlTcpHost  *tcp;
  gboolean    strip_starttls;  /* router: the downgrade of lesson 10 */
};

struct _MlLink
{
  MlNetwork   *net;
  MlHost      *a, *b;
  char        *name;
  MlLinkConfig config;
  gboolean     up;
  guint64      busy_until[2];  /* per direction: 0 a→b, 1 b→a */
};

/* One transmission of a frame on one hop (refcounted with g_rc_box: the
 * scheduler holds it between the wire and the far end). */
typedef struct {
  MlNetwork  *net;
  MlLink     *link;            /* NULL for a host talking to itself */
  MlHost     *from, *to;
  GBytes     *frame;
  guint32     dst_ip;
  guint       hop;
  guint64     serialization_us;
  guint       conn_id;
  MlProtocol  protocol;
  MlDirection direction;
  char       *summary;
  char       *explain_key;
  gboolean    retransmission;
} Packet;

typedef struct {
  MlUdpReceiveFunc func;
  gpointer         user_data;
  GDestroyNotify   destroy;
} UdpBinding;

static void link_transmit (Packet *packet);

/* ------------------------------------------------------------------ */
/* small things                                                         */

void
ml_link_config_init (MlLinkConfig *config)
{
  g_return_if_fail (config != NULL);
  config->latency_us = ML_LINK_DEFAULT_LATENCY_US;
  config->bandwidth_bps = ML_LINK_DEFAULT_BANDWIDTH_BPS;
  config->mtu = ML_LINK_DEFAULT_MTU;
  config->loss = 0.0;
}

char *
ml_ipv4_to_string (guint32 ip)
{
  return g_strdup_printf ("%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

gboolean
ml_ipv4_parse (const char *text, guint32 *ip_out)
{
  guint32 ip = 0;
  const char *p = text;

  if (text == NULL)
    return FALSE;
  for (guint part = 0; part < 4; part++)
    {
      guint value = 0, digits = 0;

      if (part > 0 && *p++ != '.')
        return FALSE;
      while (g_ascii_isdigit (*p) && digits < 4)
        {
          value = value * 10 + (guint) (*p++ - '0');
          digits++;
        }
      /* No leading zeros: "010" reads as octal to some tools and as
       * decimal to others, so it is refused rather than guessed. */
      if (digits == 0 || digits > 3 || value > 255
          || (digits > 1 && p[-(gssize) digits] == '0'))
        return FALSE;
      ip = (ip << 8) | value;
    }
  if (*p != '\0')
    return FALSE;
  if (ip_out)
    *ip_out = ip;
  return TRUE;
}

static void
packet_clear (gpointer data)
{
  Packet *packet = data;

  g_bytes_unref (packet->frame);
  g_free (packet->summary);
  g_free (packet->explain_key);
}

static void
packet_unref (gpointer data)
{
  g_rc_box_release_full (data, packet_clear);
}

static void
udp_binding_clear (gpointer data)
{
  UdpBinding *binding = data;

  if (binding->destroy)
    binding->destroy (binding->user_data);
}

static void
udp_binding_unref (gpointer data)
{
  g_rc_box_release_full (data, udp_binding_clear);
}

void
_ml_network_note (MlNetwork  *self,
                  MlHost     *host,
                  const char *explain_key,
                  const char *format,
                  ...)
{
  MlTraceEvent *event = ml_trace_event_new (ML_TRACE_NOTE);
  va_list args;

  event->time_us = ml_scheduler_now (self->sched);
  event->host = g_strdup (host ? host->name : NULL);
  event->explain_key = g_strdup (explain_key);
  va_start (args, format);
  event->text = g_strdup_vprintf (format, args);
  va_end (args);
  ml_trace_append (self->trace, event);
}

/* ------------------------------------------------------------------ */
/* network                                                              */

static void
host_free (gpointer data)
{
  MlHost *host = data;

  _ml_tcp_host_free (host->tcp);
  g_hash_table_unref (host->udp);
  g_ptr_array_unref (host->links);
  g_clear_pointer (&host->routes, g_ptr_array_unref);
  g_free (host->name);
  g_free (host);
}

static void
link_free (gpointer data)
{
  MlLink *link = data;

  g_free (link->name);
  g_free (link);
}

MlNetwork *
ml_network_new (guint32 seed, MlTrace *trace)
{
  MlNetwork *self;

  g_return_val_if_fail (ML_IS_TRACE (trace), NULL);

  self = g_new0 (MlNetwork, 1);
  self->sched = ml_scheduler_new (seed);
  self->trace = g_object_ref (trace);
  self->epoch_usec = ML_NETWORK_DEFAULT_EPOCH_USEC;
  self->hosts = g_ptr_array_new_with_free_func (host_free);
  self->links = g_ptr_array_new_with_free_func (link_free);
  self->host_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->host_by_ip = g_hash_table_new (NULL, NULL);
  self->next_conn_id = 1;
  return self;
}

void
ml_network_free (MlNetwork *self)
{
  if (self == NULL)
    return;
  /* Connections first, while their timers can still be cancelled; then
   * the scheduler, which drops the frames still in flight; then hosts. */
  for (guint i = 0; i < self->hosts->len; i++)
    _ml_tcp_host_shutdown (((MlHost *) self->hosts->pdata[i])->tcp);
  g_clear_pointer (&self->sched, ml_scheduler_free);
  g_hash_table_unref (self->host_by_name);
  g_hash_table_unref (self->host_by_ip);
  g_ptr_array_unref (self->hosts);
  g_ptr_array_unref (self->links);
  g_free (self->port_protocol);
  g_object_unref (self->trace);
  g_free (self);
}

MlScheduler *
ml_network_get_scheduler (MlNetwork *self)
{
  return self->sched;
}

MlTrace *
ml_network_get_trace (MlNetwork *self)
{
  return self->trace;
}

void
ml_network_set_epoch (MlNetwork *self, gint64 unix_usec)
{
  self->epoch_usec = unix_usec;
}

gint64
ml_network_get_epoch (MlNetwork *self)
{
  return self->epoch_usec;
}

gint64
ml_network_now_unix_usec (MlNetwork *self)
{
  return self->epoch_usec + (gint64) ml_scheduler_now (self->sched);
}

guint
_ml_network_next_conn_id (MlNetwork *self)
{
  return self->next_conn_id++;
}

MlHost *
ml_network_add_host (MlNetwork *self, const char *name, guint32 ipv4, MlRole roles)
{
  MlHost *host;
  guint id;

  g_return_val_if_fail (self != NULL && name != NULL, NULL);
  g_return_val_if_fail (g_hash_table_lookup (self->host_by_name, name) == NULL, NULL);
  g_return_val_if_fail (g_hash_table_lookup (self->host_by_ip, GUINT_TO_POINTER (ipv4)) == NULL, NULL);

  host = g_new0 (MlHost, 1);
  host->net = self;
  host->name = g_strdup (name);
  host->ipv4 = ipv4;
  host->roles = roles;
  host->index = self->hosts->len;
  /* 02:… is a locally administered unicast address (IEEE 802 U/L bit),
   * so it can never collide with a real vendor's; "ml" follows. */
  id = host->index + 1;
  host->mac[0] = 0x02;
  host->mac[1] = 'm';
  host->mac[2] = 'l';
  host->mac[3] = (id >> 16) & 0xff;
  host->mac[4] = (id >> 8) & 0xff;
  host->mac[5] = id & 0xff;
  host->next_port = ML_EPHEMERAL_PORT_FIRST;
  host->links = g_ptr_array_new ();
  host->udp = g_hash_table_new_full (NULL, NULL, NULL, udp_binding_unref);
  host->tcp = _ml_tcp_host_new (host);

  g_ptr_array_add (self->hosts, host);
  g_hash_table_insert (self->host_by_name, host->name, host);
  g_hash_table_insert (self->host_by_ip, GUINT_TO_POINTER (ipv4), host);
  self->routes_dirty = TRUE;
  return host;
}

MlHost *
ml_network_find_host (MlNetwork *self, const char *name)
{
  g_return_val_if_fail (self != NULL && name != NULL, NULL);
  return g_hash_table_lookup (self->host_by_name, name);
}

MlHost *
ml_network_find_host_by_ip (MlNetwork *self, guint32 ipv4)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_hash_table_lookup (self->host_by_ip, GUINT_TO_POINTER (ipv4));
}

GPtrArray *
ml_network_get_hosts (MlNetwork *self)
{
  return self->hosts;
}

GPtrArray *
ml_network_get_links (MlNetwork *self)
{
  return self->links;
}

MlLink *
ml_network_add_link (MlNetwork *self, MlHost *a, MlHost *b, const MlLinkConfig *config)
{
  MlLink *link;

  g_return_val_if_fail (self != NULL && a != NULL && b != NULL, NULL);
  g_return_val_if_fail (a->net == self && b->net == self, NULL);
  g_return_val_if_fail (a != b, NULL);

  link = g_new0 (MlLink, 1);
  link->net = self;
  link->a = a;
  link->b = b;
  link->name = g_strdup_printf ("%s--%s", a->name, b->name);
  if (config)
    link->config = *config;
  else
    ml_link_config_init (&link->config);
  link->config.mtu = MAX (link->config.mtu, ML_LINK_MIN_MTU);
  link->config.loss = CLAMP (link->config.loss, 0.0, 1.0);
  link->up = TRUE;

  g_ptr_array_add (self->links, link);
  g_ptr_array_add (a->links, link);
  g_ptr_array_add (b->links, link);
  self->routes_dirty = TRUE;
  return link;
}

MlLink *
ml_network_find_link (MlNetwork *self, const char *a, const char *b)
{
  g_return_val_if_fail (self != NULL && a != NULL && b != NULL, NULL);
  for (guint i = 0; i < self->links->len; i++)
    {
      MlLink *link = self->links->pdata[i];
      if ((g_str_equal (link->a->name, a) && g_str_equal (link->b->name, b))
          || (g_str_equal (link->a->name, b) && g_str_equal (link->b->name, a)))
        return link;
    }
  return NULL;
}

void
ml_network_set_port_protocol (MlNetwork *self, guint16 port, MlProtocol protocol)
{
  g_return_if_fail (self != NULL);
  if (self->port_protocol == NULL)
    self->port_protocol = g_new0 (guint8, ML_PORT_COUNT);
  self->port_protocol[port] = (guint8) protocol;
}

MlProtocol
ml_network_get_port_protocol (MlNetwork *self, guint16 port)
{
  g_return_val_if_fail (self != NULL, ML_PROTO_NONE);
  return self->port_protocol ? (MlProtocol) self->port_protocol[port] : ML_PROTO_NONE;
}

/* ------------------------------------------------------------------ */
/* routing                                                              */

static MlHost *
link_other (MlLink *link, MlHost *host)
{
  return link->a == host ? link->b : link->a;
}

/* Dijkstra from @src on the cost (hops, latency), taking the unsettled
 * host with the lowest (hops, latency, index) each round and relaxing only
 * strict improvements: among equal paths the one through the earlier host
 * wins, so the result never depends on anything but the topology. */
static void
compute_routes_from (MlNetwork *self, MlHost *src)
{
  guint n = self->hosts->len;
  g_autofree guint *hops = g_new (guint, n);
  g_autofree guint64 *latency = g_new (guint64, n);
  g_autofree gboolean *done = g_new0 (gboolean, n);

  g_clear_pointer (&src->routes, g_ptr_array_unref);
  src->routes = g_ptr_array_new ();
  g_ptr_array_set_size (src->routes, n);

  for (guint i = 0; i < n; i++)
    {
      hops[i] = G_MAXUINT;
      latency[i] = G_MAXUINT64;
    }
  hops[src->index] = 0;
  latency[src->index] = 0;

  for (guint round = 0; round < n; round++)
    {
      MlHost *u = NULL;

      for (guint i = 0; i < n; i++)
        if (!done[i] && hops[i] != G_MAXUINT
            && (u == NULL || hops[i] < hops[u->index]
                || (hops[i] == hops[u->index] && latency[i] < latency[u->index])))
          u = self->hosts->pdata[i];
      if (u == NULL)
        break;
      done[u->index] = TRUE;
      if (u != src && !(u->roles & ML_ROLE_ROUTER))
        continue;

      for (guint l = 0; l < u->links->len; l++)
        {
          MlLink *link = u->links->pdata[l];
          MlHost *v = link_other (link, u);
          guint nh = hops[u->index] + 1;
          guint64 nl = latency[u->index] + link->config.latency_us;

          if (done[v->index])
            continue;
          if (nh < hops[v->index] || (nh == hops[v->index] && nl < latency[v->index]))
            {
              hops[v->index] = nh;
              latency[v->index] = nl;
              src->routes->pdata[v->index] = u == src ? link : src->routes->pdata[u->index];
            }
        }
    }
}

gboolean
ml_network_compute_routes (MlNetwork *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  for (guint i = 0; i < self->hosts->len; i++)
    compute_routes_from (self, self->hosts->pdata[i]);
  self->routes_dirty = FALSE;
  return TRUE;
}

/* The first link from @from toward @dst_ip, or NULL. */
static MlLink *
route_lookup (MlHost *from, guint32 dst_ip, MlHost **dst_out)
{
  MlNetwork *net = from->net;
  MlHost *dst = g_hash_table_lookup (net->host_by_ip, GUINT_TO_POINTER (dst_ip));

  if (dst_out)
    *dst_out = dst;
  if (dst == NULL || dst == from)
    return NULL;
  if (net->routes_dirty)
    ml_network_compute_routes (net, NULL);
  return from->routes->pdata[dst->index];
}

GPtrArray *
ml_network_dup_route (MlNetwork *self, MlHost *from, guint32 dst_ip)
{
  g_autoptr(GPtrArray) path = g_ptr_array_new ();
  MlHost *dst = NULL, *cur = from;

  g_return_val_if_fail (self != NULL && from != NULL, NULL);
  g_ptr_array_add (path, from);
  route_lookup (from, dst_ip, &dst);
  if (dst == NULL)
    return NULL;
  /* Each hop follows that router's own table, as forwarding does; the
   * bound on steps only guards against a bug, since shortest-path tables
   * cannot loop. */
  while (cur != dst && path->len <= self->hosts->len)
    {
      MlLink *link = route_lookup (cur, dst_ip, NULL);
      if (link == NULL)
        return NULL;
      cur = link_other (link, cur);
      g_ptr_array_add (path, cur);
    }
  if (cur != dst)
    return NULL;
  return g_steal_pointer (&path);
}

guint
_ml_host_path_mtu (MlHost *self, guint32 dst_ip)
{
  MlHost *cur = self, *dst = NULL;
  guint mtu = G_MAXUINT, steps = 0;

  route_lookup (self, dst_ip, &dst);
  if (dst == NULL)
    return 0;
  if (dst == self)
    return ML_LINK_DEFAULT_MTU;
  while (cur != dst && steps++ <= self->net->hosts->len)
    {
      MlLink *link = route_lookup (cur, dst_ip, NULL);
      if (link == NULL)
        return 0;
      mtu = MIN (mtu, link->config.mtu);
      cur = link_other (link, cur);
    }
  return cur == dst ? mtu : 0;
}

guint
_ml_host_first_hop_mtu (MlHost *self, guint32 dst_ip)
{
  MlHost *dst = NULL;
  MlLink *link = route_lookup (self, dst_ip, &dst);

  if (dst == self)
    return ML_LINK_DEFAULT_MTU;
  return link ? link->config.mtu : 0;
}

/* ------------------------------------------------------------------ */
/* links                                                                */

const char *
ml_link_get_name (MlLink *self)
{
  return self->name;
}

MlHost *
ml_link_get_a (MlLink *self)
{
  return self->a;
}

MlHost *
ml_link_get_b (MlLink *self)
{
  return self->b;
}

void
ml_link_set_up (MlLink *self, gboolean up)
{
  self->up = !!up;
}

gboolean
ml_link_get_up (MlLink *self)
{
  return self->up;
}

void
ml_link_set_loss (MlLink *self, double loss)
{
  self->config.loss = CLAMP (loss, 0.0, 1.0);
}

const MlLinkConfig *
ml_link_get_config (MlLink *self)
{
  return &self->config;
}

/* Bits on the wire over the bandwidth, rounded up to whole microseconds.
 * Only the frame's own bytes count: preamble and inter-frame gap are left
 * out so a teacher can check the arithmetic from the frame length. */
static guint64
serialization_us (gsize bytes, guint64 bandwidth_bps)
{
  if (bandwidth_bps == 0)
    return 0;
  return ((guint64) bytes * 8 * G_USEC_PER_SEC + bandwidth_bps - 1) / bandwidth_bps;
}

static void host_receive (MlHost *host, GBytes *frame);
static void router_forward (Packet *packet);

static void
packet_arrive (gpointer data)
{
  Packet *packet = data;

  if (packet->to->ipv4 == packet->dst_ip)
    host_receive (packet->to, packet->frame);
  else if (packet->to->roles & ML_ROLE_ROUTER)
    router_forward (packet);
  else
    _ml_network_note (packet->net, packet->to, "net.not-router",
                      "%s is no router: a packet for another address is dropped",
                      packet->to->name);
}

static void
append_frame_event (Packet *packet, gboolean dropped)
{
  MlTraceEvent *event = ml_trace_event_new (ML_TRACE_FRAME);

  event->time_us = ml_scheduler_now (packet->net->sched);
  event->host = g_strdup (packet->from->name);
  event->peer = g_strdup (packet->to->name);
  event->conn_id = packet->conn_id;
  event->protocol = packet->protocol;
  event->direction = packet->direction;
  event->text = g_strdup (packet->summary);
  event->explain_key = g_strdup (packet->explain_key);
  event->bytes = g_bytes_ref (packet->frame);
  event->link = g_strdup (packet->link->name);
  event->hop = packet->hop;
  event->dropped = dropped;
  event->retransmission = packet->retransmission;
  ml_trace_append (packet->net->trace, event);
}

/* The frame starts on the wire now: this is when it is traced, and when the
 * link decides whether it is lost. */
static void
packet_on_wire (gpointer data)
{
  Packet *packet = data;
  MlLink *link = packet->link;
  gboolean dropped = !link->up;

  /* Draw only on a lossy link, so a lossless run consumes no randomness
   * and adding loss to one link leaves the others' behaviour alone. */
  if (!dropped && link->config.loss > 0.0)
    dropped = g_rand_double (ml_scheduler_get_rand (packet->net->sched)) < link->config.loss;
  append_frame_event (packet, dropped);
  if (!dropped)
    ml_scheduler_schedule (packet->net->sched,
                           packet->serialization_us + link->config.latency_us,
                           packet_arrive, g_rc_box_acquire (packet), packet_unref);
}

/* Takes @packet. */
static void
link_transmit (Packet *packet)
{
  MlLink *link = packet->link;
  MlScheduler *sched = packet->net->sched;
  gsize frame_len = g_bytes_get_size (packet->frame);
  gsize ip_len = ml_frame_ip_packet_len (g_bytes_get_data (packet->frame, NULL), frame_len);
  guint dir = packet->from == link->a ? 0 : 1;
  guint64 now = ml_scheduler_now (sched);
  guint64 start;

  if (ip_len > link->config.mtu)
    {
      _ml_network_note (packet->net, packet->from, "net.mtu",
                        "A %" G_GSIZE_FORMAT "-byte packet does not fit the MTU %u of %s: not sent",
                        ip_len, link->config.mtu, link->name);
      packet_unref (packet);
      return;
    }

  packet->serialization_us = serialization_us (frame_len, link->config.bandwidth_bps);
  /* Frames in one direction queue behind each other; the two directions
   * are independent (full duplex). */
  start = MAX (now, link->busy_until[dir]);
  link->busy_until[dir] = start + packet->serialization_us;
  if (start == now)
    {
      packet_on_wire (packet);
      packet_unref (packet);
    }
  else
    ml_scheduler_schedule (sched, start - now, packet_on_wire, packet, packet_unref);
}

/* SMTP's ports, where firewalls' "SMTP fixup" rewrote the STARTTLS
 * keyword (RFC 3207 6 warns of exactly this). */
#define STRIP_PORT_SMTP        25
#define STRIP_PORT_SUBMISSION  587
#define STRIP_KEYWORD          "STARTTLS"
#define STRIP_KEYWORD_LEN      8

/* Overwrites every "STARTTLS" (any case) in the TCP payload of @frame
 * (transfer full) with "XXXXXXXX" and recomputes the TCP checksum (RFC
 * 9293 3.1, pseudo-header included). The length does not change, so the
 * sequence numbers of both ends stay right. Returns the frame to send. */
static GBytes *
strip_starttls (MlNetwork *net, MlHost *router, GBytes *frame)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (frame, &len);
  g_autofree guint8 *copy = NULL;
  gsize ip_off = ML_ETH_HEADER_LEN, ip_hlen, tcp_off, tcp_hlen, payload_off, ip_total;
  guint16 src_port, dst_port;
  guint32 sum;
  guint16 checksum;
  guint8 pseudo[12];
  gboolean changed = FALSE;

  if (len < ip_off + ML_IPV4_HEADER_LEN
      || ((data[12] << 8) | data[13]) != ML_ETHERTYPE_IPV4
      || data[ip_off + 9] != ML_IP_PROTO_TCP)
    return frame;
  ip_hlen = (gsize) (data[ip_off] & 0x0f) * 4;
  ip_total = ((gsize) data[ip_off + 2] << 8) | data[ip_off + 3];
  tcp_off = ip_off + ip_hlen;
  if (ip_hlen < ML_IPV4_HEADER_LEN || ip_off + ip_total > len
      || ip_total < ip_hlen + ML_TCP_HEADER_LEN)
    return frame;
  tcp_hlen = (gsize) (data[tcp_off + 12] >> 4) * 4;
  payload_off = tcp_off + tcp_hlen;
  if (tcp_hlen < ML_TCP_HEADER_LEN || payload_off > ip_off + ip_total)
    return frame;
  src_port = (guint16) ((data[tcp_off] << 8) | data[tcp_off + 1]);
  dst_port = (guint16) ((data[tcp_off + 2] << 8) | data[tcp_off + 3]);
  if (src_port != STRIP_PORT_SMTP && dst_port != STRIP_PORT_SMTP
      && src_port != STRIP_PORT_SUBMISSION && dst_port != STRIP_PORT_SUBMISSION)
    return frame;

  copy = g_memdup2 (data, len);
  for (gsize i = payload_off; i + STRIP_KEYWORD_LEN <= ip_off + ip_total; i++)
    if (g_ascii_strncasecmp ((const char *) copy + i, STRIP_KEYWORD, STRIP_KEYWORD_LEN) == 0)
      {
        memset (copy + i, 'X', STRIP_KEYWORD_LEN);
        changed = TRUE;
        i += STRIP_KEYWORD_LEN - 1;
      }
  if (!changed)
    return frame;

  memcpy (pseudo, copy + ip_off + 12, 8);   /* source and destination address */
  pseudo[8] = 0;
  pseudo[9] = ML_IP_PROTO_TCP;
  pseudo[10] = (guint8) ((ip_total - ip_hlen) >> 8);
  pseudo[11] = (guint8) ((ip_total - ip_hlen) & 0xff);
  copy[tcp_off + 16] = copy[tcp_off + 17] = 0;
  sum = ml_inet_checksum_add (0, pseudo, sizeof pseudo);
  sum = ml_inet_checksum_add (sum, copy + tcp_off, ip_total - ip_hlen);
  checksum = ml_inet_checksum_finish (sum);
  copy[tcp_off + 16] = (guint8) (checksum >> 8);
  copy[tcp_off + 17] = (guint8) (checksum & 0xff);

  _ml_network_note (net, router, "tls.stripped",
                    "%s overwrote STARTTLS with XXXXXXXX in a segment from port %u to port %u",
                    router->name, src_port, dst_port);
  g_bytes_unref (frame);
  return g_bytes_new_take (g_steal_pointer (&copy), len);
}

static void
router_forward (Packet *packet)
{
  MlHost *router = packet->to, *next;
  MlLink *link = route_lookup (router, packet->dst_ip, NULL);
  g_autofree char *dst = NULL;
  GBytes *frame;
  Packet *out;

  if (link == NULL)
    {
      dst = ml_ipv4_to_string (packet->dst_ip);
      _ml_network_note (packet->net, router, "net.no-route",
                        "%s has no route to %s: packet dropped", router->name, dst);
      return;
    }
  next = link_other (link, router);
  frame = ml_frame_forward (packet->frame, router->mac, next->mac);
  if (frame != NULL && router->strip_starttls)
    frame = strip_starttls (packet->net, router, frame);
  if (frame == NULL)
    {
      dst = ml_ipv4_to_string (packet->dst_ip);
      /* RFC 791 3.2: a packet whose time to live runs out is destroyed
       * (the ICMP Time Exceeded a real router sends is not modelled). */
      _ml_network_note (packet->net, router, "net.ttl-exceeded",
                        "TTL of a packet to %s ran out at %s: packet dropped", dst, router->name);
      return;
    }

  out = g_rc_box_new0 (Packet);
  out->net = packet->net;
  out->link = link;
  out->from = router;
  out->to = next;
  out->frame = frame;
  out->dst_ip = packet->dst_ip;
  out->hop = packet->hop + 1;
  out->conn_id = packet->conn_id;
  out->protocol = packet->protocol;
  out->direction = packet->direction;
  out->summary = g_strdup (packet->summary);
  out->explain_key = g_strdup (packet->explain_key);
  out->retransmission = packet->retransmission;
  link_transmit (out);
}

/* ------------------------------------------------------------------ */
/* hosts                                                                */

void
ml_host_set_strip_starttls (MlHost *self, gboolean strip)
{
  g_return_if_fail (self != NULL);
  self->strip_starttls = strip;
}

const char *
ml_host_get_name (MlHost *self)
{
  return self->name;
}

guint32
ml_host_get_ipv4 (MlHost *self)
{
  return self->ipv4;
}

const guint8 *
ml_host_get_mac (MlHost *self)
{
  return self->mac;
}

MlRole
ml_host_get_roles (MlHost *self)
{
  return self->roles;
}

MlNetwork *
ml_host_get_network (MlHost *self)
{
  return self->net;
}

guint
ml_host_get_index (MlHost *self)
{
  return self->index;
}

MlTcpHost *
_ml_host_get_tcp (MlHost *self)
{
  return self->tcp;
}

MlScheduler *
_ml_host_get_scheduler (MlHost *self)
{
  return self->net->sched;
}

guint16
ml_host_allocate_port (MlHost *self)
{
  const guint range = ML_EPHEMERAL_PORT_LAST - ML_EPHEMERAL_PORT_FIRST + 1;

  g_return_val_if_fail (self != NULL, 0);
  /* Sequential, like BSD's allocator before randomisation (RFC 6056
   * 3.3.3 discusses why real stacks randomise; a lab wants repeatable
   * port numbers instead). */
  for (guint tries = 0; tries < range; tries++)
    {
      guint16 port = self->next_port;

      self->next_port = port == ML_EPHEMERAL_PORT_LAST ? ML_EPHEMERAL_PORT_FIRST : port + 1;
      if (!g_hash_table_contains (self->udp, GUINT_TO_POINTER ((guint) port))
          && !_ml_tcp_host_port_in_use (self->tcp, port))
        return port;
    }
  g_warning ("%s: every ephemeral port is in use", self->name);
  return 0;
}

/* Where a frame that is not tied to a connection goes in a ladder: from
 * the ephemeral side to the well-known side is the client's direction. */
static MlDirection
direction_from_ports (guint16 src_port, guint16 dst_port)
{
  return src_port > dst_port ? ML_DIR_CLIENT_TO_SERVER : ML_DIR_SERVER_TO_CLIENT;
}

static void
deliver_local (gpointer data)
{
  Packet *packet = data;

  host_receive (packet->to, packet->frame);
}

/* Sends one IPv4 packet that @build turns into a frame for the given MACs.
 * A host sending to its own address delivers it after zero delay without
 * a link (a loopback interface carries no trace frame). */
typedef GBytes *(*FrameBuilder) (const MlFrameIp *ip, gpointer user_data);

static gboolean
host_send_ip (MlHost       *self,
              guint32       dst_ip,
              gboolean      dont_fragment,
              FrameBuilder  build,
              gpointer      build_data,
              MlProtocol    protocol,
              MlDirection   direction,
              guint         conn_id,
              const char   *summary,
              const char   *explain_key,
              gboolean      retransmission)
{
  MlHost *dst = NULL, *next;
  MlLink *link = route_lookup (self, dst_ip, &dst);
  MlFrameIp ip = { { 0 } };
  Packet *packet;

  if (link == NULL && dst != self)
    {
      g_autofree char *text = ml_ipv4_to_string (dst_ip);
      _ml_network_note (self->net, self, "net.no-route",
                        "%s has no route to %s: packet dropped", self->name, text);
      return FALSE;
    }
  next = link ? link_other (link, self) : self;

  memcpy (ip.dst_mac, next->mac, ML_MAC_LEN);
  memcpy (ip.src_mac, self->mac, ML_MAC_LEN);
  ip.src_ip = self->ipv4;
  ip.dst_ip = dst_ip;
  ip.ip_id = ++self->ip_id;
  ip.ttl = ML_IPV4_DEFAULT_TTL;
  ip.dont_fragment = dont_fragment;

  packet = g_rc_box_new0 (Packet);
  packet->net = self->net;
  packet->link = link;
  packet->from = self;
  packet->to = next;
  packet->frame = build (&ip, build_data);
  packet->dst_ip = dst_ip;
  packet->conn_id = conn_id;
  packet->protocol = protocol;
  packet->direction = direction;
  packet->summary = g_strdup (summary);
  packet->explain_key = g_strdup (explain_key);
  packet->retransmission = retransmission;

  if (link == NULL)
    ml_scheduler_schedule (self->net->sched, 0, deliver_local, packet, packet_unref);
  else
    link_transmit (packet);
  return TRUE;
}

typedef struct {
  const MlTcpHeader *tcp;
  const guint8      *payload;
  gsize              len;
} TcpBuild;

static GBytes *
build_tcp (const MlFrameIp *ip, gpointer data)
{
  TcpBuild *b = data;

  return ml_frame_build_tcp (ip, b->tcp, b->payload, b->len);
}

gboolean
_ml_host_send_tcp (MlHost            *self,
                   guint32            dst_ip,
                   const MlTcpHeader *tcp,
                   const guint8      *payload,
                   gsize              len,
                   const MlFrameMeta *meta)
{
  TcpBuild b = { tcp, payload, len };
  MlProtocol protocol = ml_network_get_port_protocol (self->net, tcp->dst_port);

  if (protocol == ML_PROTO_NONE)
    protocol = ml_network_get_port_protocol (self->net, tcp->src_port);
  if (protocol == ML_PROTO_NONE)
    protocol = ML_PROTO_TCP;
  /* RFC 9293 3.7.2: TCP sets DF; segments are sized from the path MTU so
   * they never need fragmenting. */
  return host_send_ip (self, dst_ip, TRUE, build_tcp, &b, protocol, meta->direction,
                       meta->conn_id, meta->summary, meta->explain_key, meta->retransmission);
}

typedef struct {
  guint16       src_port, dst_port;
  const guint8 *payload;
  gsize         len;
} UdpBuild;

static GBytes *
build_udp (const MlFrameIp *ip, gpointer data)
{
  UdpBuild *b = data;

  return ml_frame_build_udp (ip, b->src_port, b->dst_port, b->payload, b->len);
}

gboolean
ml_host_udp_bind (MlHost          *self,
                  guint16          port,
                  MlUdpReceiveFunc func,
                  gpointer         user_data,
                  GDestroyNotify   destroy)
{
  UdpBinding *binding;

  g_return_val_if_fail (self != NULL && func != NULL, FALSE);
  if (g_hash_table_contains (self->udp, GUINT_TO_POINTER ((guint) port)))
    return FALSE;
  binding = g_rc_box_new0 (UdpBinding);
  binding->func = func;
  binding->user_data = user_data;
  binding->destroy = destroy;
  g_hash_table_insert (self->udp, GUINT_TO_POINTER ((guint) port), binding);
  return TRUE;
}

void
ml_host_udp_unbind (MlHost *self, guint16 port)
{
  g_return_if_fail (self != NULL);
  g_hash_table_remove (self->udp, GUINT_TO_POINTER ((guint) port));
}

void
ml_host_udp_send (MlHost       *self,
                  guint16       src_port,
                  guint32       dst_ip,
                  guint16       dst_port,
                  const guint8 *payload,
                  gsize         len,
                  MlProtocol    protocol,
                  const char   *summary,
                  const char   *explain_key)
{
  UdpBuild b = { src_port, dst_port, payload, len };
  g_autofree char *fallback = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (len == 0 || payload != NULL);
  g_return_if_fail (len <= ML_UDP_MAX_PAYLOAD);

  if (summary == NULL)
    summary = fallback = g_strdup_printf ("%u → %u Len=%" G_GSIZE_FORMAT, src_port, dst_port, len);
  host_send_ip (self, dst_ip, FALSE, build_udp, &b, protocol,
                direction_from_ports (src_port, dst_port), 0, summary,
                explain_key ? explain_key : "udp", FALSE);
}

static void
udp_receive (MlHost *self, const MlFrameInfo *info)
{
  UdpBinding *binding = g_hash_table_lookup (self->udp, GUINT_TO_POINTER ((guint) info->dst_port));

  if (binding == NULL)
    {
      /* RFC 1122 4.1.3.1 would answer with ICMP Port Unreachable; ICMP is
       * not modelled, the datagram is just noted and dropped. */
      _ml_network_note (self->net, self, "net.udp-no-listener",
                        "No UDP socket on %s port %u: datagram dropped", self->name, info->dst_port);
      return;
    }
  /* The binding may be removed from inside its own callback. */
  g_rc_box_acquire (binding);
  binding->func (self, info->ip.src_ip, info->src_port, info->dst_port,
                 info->payload, info->payload_len, binding->user_data);
  udp_binding_unref (binding);
}

static void
host_receive (MlHost *self, GBytes *frame)
{
  g_autoptr(GError) error = NULL;
  MlFrameInfo info;
  gsize len;
  const guint8 *data = g_bytes_get_data (frame, &len);

  if (!ml_frame_parse (data, len, &info, &error))
    {
      _ml_network_note (self->net, self, "net.malformed",
                        "%s dropped a malformed frame: %s", self->name, error->message);
      return;
    }
  /* RFC 1122 3.2.1.2 and 4.2.2.7: a packet with a bad checksum is
   * silently discarded. Our own frames always pass; this guards frames
   * that a lesson corrupts on purpose. */
  if (!info.ip_checksum_ok || !info.transport_checksum_ok)
    {
      _ml_network_note (self->net, self, "net.bad-checksum",
                        "%s dropped a frame with a bad checksum", self->name);
      return;
    }
  if (info.ip_protocol == ML_IP_PROTO_UDP)
    udp_receive (self, &info);
  else
    _ml_tcp_input (self, &info);
}

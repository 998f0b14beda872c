#define G_LOG_DOMAIN "ml-trace-stats"

#include "trace/trace-stats.h"
#include "net/frame.h"

#define N_PROTOCOLS (ML_PROTO_TCP + 1)

typedef struct {
  MlProtocol  protocol;
  gboolean    client_spoke;  /* a client line since the last server reply */
} Conn;

struct _MlTraceStats
{
  MlProtocolStats protocols[N_PROTOCOLS];
  GHashTable     *conns;     /* conn_id → Conn* */
  MlTraceSubscription sub;
};

MlTraceStats *
ml_trace_stats_new (void)
{
  MlTraceStats *self = g_new0 (MlTraceStats, 1);

  for (guint i = 0; i < N_PROTOCOLS; i++)
    self->protocols[i].protocol = (MlProtocol) i;
  self->conns = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return self;
}

void
ml_trace_stats_free (MlTraceStats *self)
{
  if (self == NULL)
    return;
  ml_trace_stats_detach (self);
  g_hash_table_unref (self->conns);
  g_free (self);
}

static Conn *
conn_for (MlTraceStats *self, guint conn_id, MlProtocol protocol)
{
  Conn *c = g_hash_table_lookup (self->conns, GUINT_TO_POINTER (conn_id));

  if (c == NULL)
    {
      c = g_new0 (Conn, 1);
      c->protocol = protocol;
      g_hash_table_insert (self->conns, GUINT_TO_POINTER (conn_id), c);
      if ((guint) protocol < N_PROTOCOLS)
        {
          self->protocols[protocol].sessions++;
          self->protocols[protocol].round_trips++;  /* the handshake */
        }
    }
  return c;
}

static void
add_frame (MlTraceStats *self, const MlTraceEvent *e)
{
  MlProtocolStats *p;
  MlFrameInfo info;
  gsize len;
  const guint8 *data;

  if (e->hop != 0 || e->bytes == NULL || (guint) e->protocol >= N_PROTOCOLS)
    return;
  data = g_bytes_get_data (e->bytes, &len);
  p = &self->protocols[e->protocol];
  p->frames++;
  p->wire_bytes += len;
  if (ml_frame_parse (data, len, &info, NULL))
    p->payload_bytes += info.payload_len;
  if (e->conn_id != 0 && e->protocol != ML_PROTO_TCP && e->protocol != ML_PROTO_DNS)
    conn_for (self, e->conn_id, e->protocol);
}

static void
add_dialogue (MlTraceStats *self, const MlTraceEvent *e)
{
  MlProtocolStats *p;
  Conn *c;

  if (e->conn_id == 0 || (guint) e->protocol >= N_PROTOCOLS)
    return;
  p = &self->protocols[e->protocol];
  c = conn_for (self, e->conn_id, e->protocol);
  if (e->direction == ML_DIR_CLIENT_TO_SERVER)
    {
      p->commands++;
      c->client_spoke = TRUE;
    }
  else
    {
      p->replies++;
      if (c->client_spoke)
        p->round_trips++;
      c->client_spoke = FALSE;
    }
}

void
ml_trace_stats_add_event (MlTraceStats *self, const MlTraceEvent *event)
{
  switch (event->kind)
    {
    case ML_TRACE_FRAME:
      add_frame (self, event);
      break;
    case ML_TRACE_DIALOGUE:
      add_dialogue (self, event);
      break;
    default:
      break;
    }
}

static void
on_event (MlTrace *trace, const MlTraceEvent *event, gpointer user_data)
{
  ml_trace_stats_add_event (user_data, event);
}

void
ml_trace_stats_attach (MlTraceStats *self, MlTrace *trace)
{
  ml_trace_subscribe (&self->sub, trace, on_event, self);
}

void
ml_trace_stats_detach (MlTraceStats *self)
{
  ml_trace_unsubscribe (&self->sub);
}

const MlProtocolStats *
ml_trace_stats_get (MlTraceStats *self, MlProtocol protocol)
{
  g_return_val_if_fail ((guint) protocol < N_PROTOCOLS, NULL);
  return &self->protocols[protocol];
}

char *
ml_protocol_stats_describe (const MlProtocolStats *s)
{
  /* DNS over UDP has no sessions or turns to count: its datagrams are it. */
  if (s->sessions == 0)
    return g_strdup_printf ("%s: %u datagrams, %" G_GUINT64_FORMAT " octets of payload (%"
                            G_GUINT64_FORMAT " on the wire)", ml_protocol_to_string (s->protocol),
                            s->frames, s->payload_bytes, s->wire_bytes);
  return g_strdup_printf ("%s: %u session%s, %u round trip%s, %" G_GUINT64_FORMAT
                          " octets of payload (%" G_GUINT64_FORMAT " on the wire, %u frames)",
                          ml_protocol_to_string (s->protocol),
                          s->sessions, s->sessions == 1 ? "" : "s",
                          s->round_trips, s->round_trips == 1 ? "" : "s",
                          s->payload_bytes, s->wire_bytes, s->frames);
}

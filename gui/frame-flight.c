/* frame-flight.c — a backwards scan from the moment, bounded by the
 * longest flight any link allows. */
#define G_LOG_DOMAIN "ml-frame-flight"

#include <string.h>
#include "frame-flight.h"

guint64
ml_frame_flight_serialization_us (gsize bytes, guint64 bandwidth_bps)
{
  if (bandwidth_bps == 0)
    return 0;
  return ((guint64) bytes * 8 * G_USEC_PER_SEC + bandwidth_bps - 1) / bandwidth_bps;
}

guint64
ml_frame_flight_max_us (const MlTopologyLayout *layout)
{
  guint64 max = 0;

  g_return_val_if_fail (layout != NULL, 0);
  for (guint i = 0; i < layout->links->len; i++)
    {
      const MlTopologyLink *l = g_ptr_array_index (layout->links, i);

      max = MAX (max, l->latency_us + ml_frame_flight_serialization_us (ML_TOPOLOGY_MAX_FRAME, l->bandwidth_bps));
    }
  return max;
}

MlTopologyDotKind
ml_frame_flight_kind (const MlTraceEvent *e)
{
  g_return_val_if_fail (e != NULL, ML_TOPOLOGY_DOT_OTHER);

  if (e->text && strstr (e->text, " Len=0") != NULL)
    return ML_TOPOLOGY_DOT_TCP;
  switch (e->protocol)
    {
    case ML_PROTO_SMTP:
    case ML_PROTO_LMTP: return ML_TOPOLOGY_DOT_SMTP;
    case ML_PROTO_POP3: return ML_TOPOLOGY_DOT_POP3;
    case ML_PROTO_IMAP: return ML_TOPOLOGY_DOT_IMAP;
    case ML_PROTO_DNS:  return ML_TOPOLOGY_DOT_DNS;
    case ML_PROTO_TCP:  return ML_TOPOLOGY_DOT_TCP;
    case ML_PROTO_NONE:
    default:            return ML_TOPOLOGY_DOT_OTHER;
    }
}

const char *
ml_frame_flight_kind_name (MlTopologyDotKind kind)
{
  switch (kind)
    {
    case ML_TOPOLOGY_DOT_SMTP:  return "SMTP";
    case ML_TOPOLOGY_DOT_POP3:  return "POP3";
    case ML_TOPOLOGY_DOT_IMAP:  return "IMAP";
    case ML_TOPOLOGY_DOT_DNS:   return "DNS";
    case ML_TOPOLOGY_DOT_OTHER: return "other";
    case ML_TOPOLOGY_DOT_TCP:
    case ML_TOPOLOGY_N_DOT_KINDS:
    default:                    return "TCP only";
    }
}

/* The last event at or before @time_us (traces are in time order). */
static gboolean
last_event_at (MlTrace *trace, guint64 time_us, guint64 *index)
{
  guint64 lo = 0, hi = ml_trace_get_length (trace);

  while (lo < hi)
    {
      guint64 mid = lo + (hi - lo) / 2;

      if (ml_trace_get_event (trace, mid)->time_us <= time_us)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == 0)
    return FALSE;
  *index = lo - 1;
  return TRUE;
}

guint
ml_frame_flight_foreach (MlTrace                *trace,
                         const MlTopologyLayout *layout,
                         guint64                 time_us,
                         MlFrameFlightFunc       func,
                         gpointer                user_data)
{
  guint64 last, scanned = 0, max_flight;
  guint n = 0;

  if (trace == NULL || layout == NULL || !last_event_at (trace, time_us, &last))
    return 0;
  max_flight = ml_frame_flight_max_us (layout);
  for (guint64 i = last + 1; i-- > 0 && scanned < ML_TOPOLOGY_MAX_SCAN; scanned++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      MlFrameFlight flight;
      guint64 span;

      if (e->time_us + max_flight < time_us)
        break;
      if (e->kind != ML_TRACE_FRAME || (flight.link = ml_topology_layout_find_link (layout, e->link)) == NULL)
        continue;
      span = flight.link->latency_us
             + ml_frame_flight_serialization_us (e->bytes ? g_bytes_get_size (e->bytes) : 0,
                                                 flight.link->bandwidth_bps);
      if (span == 0 || e->time_us + span <= time_us)
        continue;
      flight.progress = (double) (time_us - e->time_us) / (double) span;
      if (e->dropped && flight.progress > 0.5)
        continue;
      flight.event = e;
      flight.kind = ml_frame_flight_kind (e);
      /* The link is named a--b; the frame's sender says which way. */
      if (g_strcmp0 (e->host, ((MlTopologyHost *) g_ptr_array_index (layout->hosts, flight.link->b))->name) == 0)
        {
          flight.from = flight.link->b;
          flight.to = flight.link->a;
        }
      else
        {
          flight.from = flight.link->a;
          flight.to = flight.link->b;
        }
      n++;
      if (func)
        func (&flight, user_data);
      if (n >= ML_TOPOLOGY_MAX_DOTS)
        break;
    }
  return n;
}

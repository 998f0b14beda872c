/* frame-flight.h — which frames are on which link, and how far along, at
 * one moment of a trace: what the topology view draws as moving dots.
 *
 * GTK-free. A FRAME event is the moment a frame went on the wire of its
 * link (sim/net/network.c); it is in flight until its last bit arrives:
 * serialisation at the link's bandwidth plus the link's latency.
 */
#pragma once

#include <glib.h>
#include "trace/trace.h"
#include "topology-layout.h"

G_BEGIN_DECLS

/* Frames reported at once at most; a burst beyond it is not painted as a
 * smear. */
#define ML_TOPOLOGY_MAX_DOTS     400
/* Events looked at backwards from the moment for frames in flight. */
#define ML_TOPOLOGY_MAX_SCAN     20000
/* The longest Ethernet frame (IEEE 802.3 clause 3.2: 1518 octets with
 * the FCS): bounds how long serialisation can keep a frame in flight. */
#define ML_TOPOLOGY_MAX_FRAME    1518

/* What colour a frame gets. */
typedef enum {
  ML_TOPOLOGY_DOT_TCP = 0,   /* no payload: handshake, ACK, FIN */
  ML_TOPOLOGY_DOT_SMTP,
  ML_TOPOLOGY_DOT_POP3,
  ML_TOPOLOGY_DOT_IMAP,
  ML_TOPOLOGY_DOT_DNS,
  ML_TOPOLOGY_DOT_OTHER,
  ML_TOPOLOGY_N_DOT_KINDS
} MlTopologyDotKind;

typedef struct {
  const MlTraceEvent   *event;     /* the FRAME (borrowed) */
  const MlTopologyLink *link;      /* borrowed from the layout */
  guint                 from, to;  /* host indexes: the frame goes from → to */
  double                progress;  /* 0 … 1 along the link */
  MlTopologyDotKind     kind;
} MlFrameFlight;

typedef void (*MlFrameFlightFunc) (const MlFrameFlight *flight, gpointer user_data);

/* Bits over the bandwidth, rounded up, as sim/net computes it. */
guint64           ml_frame_flight_serialization_us (gsize bytes, guint64 bandwidth_bps);
/* The longest a frame can be in flight on any of @layout's links. */
guint64           ml_frame_flight_max_us   (const MlTopologyLayout *layout);
/* A segment with no payload is TCP's own business whatever it carries. */
MlTopologyDotKind ml_frame_flight_kind     (const MlTraceEvent *event);
const char       *ml_frame_flight_kind_name (MlTopologyDotKind kind);
/* Calls @func (may be NULL) for each frame in flight at @time_us, newest
 * first, at most ML_TOPOLOGY_MAX_DOTS; returns how many. A lost frame
 * flies halfway: the loss is on the wire, not at an end. */
guint             ml_frame_flight_foreach  (MlTrace                *trace,
                                            const MlTopologyLayout *layout,
                                            guint64                 time_us,
                                            MlFrameFlightFunc       func,
                                            gpointer                user_data);

G_END_DECLS

/* topology-layout.h — where the topology view puts a lesson's hosts.
 *
 * GTK-free and deterministic: the same lesson always gives the same
 * picture. Mail hosts stand in one row, in the order a message travels
 * (sending MUA, MSA, MTA, MDA, reading MUA); routers stand in the row
 * below, under the hosts they connect; DNS servers hang below the router
 * they sit on. Coordinates are fractions of the view (0 … 1).
 */
#pragma once

#include <glib.h>
#include "lesson/lesson.h"

G_BEGIN_DECLS

/* Rows of the picture, as fractions of its height. */
#define ML_TOPOLOGY_ROW_HOSTS    0.20
#define ML_TOPOLOGY_ROW_ROUTERS  0.56
#define ML_TOPOLOGY_ROW_BELOW    0.86
/* Two routers closer than this (fraction of the width) are pushed apart
 * so their labels do not overlap. */
#define ML_TOPOLOGY_MIN_GAP      0.16

typedef struct {
  char    *name;
  MlRole   roles;
  guint32  ipv4;       /* host byte order */
  double   x, y;       /* centre, 0 … 1 */
} MlTopologyHost;

typedef struct {
  char    *name;       /* "a--b", as the network names it in FRAME events */
  guint    a, b;       /* indexes into hosts */
  guint64  latency_us; /* one way */
  guint64  bandwidth_bps;
  gboolean up;
} MlTopologyLink;

typedef struct {
  GPtrArray *hosts;    /* MlTopologyHost*, in the lesson's order */
  GPtrArray *links;    /* MlTopologyLink*, in the lesson's order */
} MlTopologyLayout;

/* Transfer full. Links naming a host the lesson lacks are left out. */
MlTopologyLayout     *ml_topology_layout_new       (const MlLesson *lesson);
void                  ml_topology_layout_free      (MlTopologyLayout *layout);
/* -1 when there is no host of that name. */
int                   ml_topology_layout_find_host (const MlTopologyLayout *layout,
                                                    const char             *name);
/* The link a FRAME event names (borrowed), or NULL. */
const MlTopologyLink *ml_topology_layout_find_link (const MlTopologyLayout *layout,
                                                    const char             *name);
/* The longest one-way latency: how far back a frame still in flight can
 * have been sent (ignoring serialisation, which the caller adds). */
guint64               ml_topology_layout_max_latency_us (const MlTopologyLayout *layout);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlTopologyLayout, ml_topology_layout_free)

G_END_DECLS

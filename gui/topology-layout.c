/* topology-layout.c — columns by role, rows by kind of host. */
#define G_LOG_DOMAIN "ml-topology"

#include <math.h>
#include "topology-layout.h"

/* Where a mail host stands in the message's journey, left to right. A
 * host with several roles stands where its first one puts it. */
static guint
journey_rank (const MlLessonHost *host)
{
  if ((host->roles & ML_ROLE_MUA) && host->submission != NULL)
    return 0;
  if (host->roles & ML_ROLE_MSA)
    return 1;
  if (host->roles & ML_ROLE_MTA)
    return 2;
  if (host->roles & ML_ROLE_MDA)
    return 3;
  /* A MUA that submits nothing reads mail: beside the MDA it reads from. */
  if (host->roles & ML_ROLE_MUA)
    return 4;
  return 2;
}

static gboolean
is_network_host (const MlLessonHost *host)
{
  MlRole mail = ML_ROLE_MUA | ML_ROLE_MSA | ML_ROLE_MTA | ML_ROLE_MDA;

  return (host->roles & mail) == 0 && (host->roles & (ML_ROLE_ROUTER | ML_ROLE_DNS)) != 0;
}

static void
host_free (gpointer data)
{
  MlTopologyHost *h = data;

  g_free (h->name);
  g_free (h);
}

static void
link_free (gpointer data)
{
  MlTopologyLink *l = data;

  g_free (l->name);
  g_free (l);
}

/* By rank, then in the lesson's order. */
static int
compare_by_rank (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const guint *ranks = user_data;
  guint ia = *(const guint *) a, ib = *(const guint *) b;

  if (ranks[ia] != ranks[ib])
    return ranks[ia] < ranks[ib] ? -1 : 1;
  return ia < ib ? -1 : ia > ib;
}

/* The mean x of @h's neighbours that are already placed; FALSE if none. */
static gboolean
neighbour_mean (const MlTopologyLayout *layout, guint h, const gboolean *placed,
                gboolean routers, double *x)
{
  double sum = 0;
  guint n = 0;

  for (guint i = 0; i < layout->links->len; i++)
    {
      const MlTopologyLink *l = g_ptr_array_index (layout->links, i);
      guint other;
      const MlTopologyHost *o;

      if (l->a != h && l->b != h)
        continue;
      other = l->a == h ? l->b : l->a;
      o = g_ptr_array_index (layout->hosts, other);
      if (!placed[other] || ((o->roles & ML_ROLE_ROUTER) != 0) != routers)
        continue;
      sum += o->x;
      n++;
    }
  if (n == 0)
    return FALSE;
  *x = sum / n;
  return TRUE;
}

/* The router @h hangs from (for a DNS server), or -1. */
static int
router_of (const MlTopologyLayout *layout, guint h)
{
  for (guint i = 0; i < layout->links->len; i++)
    {
      const MlTopologyLink *l = g_ptr_array_index (layout->links, i);
      guint other;

      if (l->a != h && l->b != h)
        continue;
      other = l->a == h ? l->b : l->a;
      if (((MlTopologyHost *) g_ptr_array_index (layout->hosts, other))->roles & ML_ROLE_ROUTER)
        return (int) other;
    }
  return -1;
}

static void
place_hosts (MlTopologyLayout *layout, const MlLesson *lesson)
{
  guint n = layout->hosts->len;
  g_autofree guint *ranks = g_new0 (guint, n);
  g_autofree guint *order = g_new0 (guint, n);
  g_autofree gboolean *placed = g_new0 (gboolean, n);
  g_autoptr(GArray) routers = g_array_new (FALSE, FALSE, sizeof (guint));
  guint n_mail = 0;

  /* The mail hosts, one column each in journey order. */
  for (guint i = 0; i < n; i++)
    {
      const MlLessonHost *lh = g_ptr_array_index (lesson->hosts, i);

      ranks[i] = journey_rank (lh);
      if (!is_network_host (lh))
        order[n_mail++] = i;
    }
  g_qsort_with_data (order, (gint) n_mail, sizeof (guint), compare_by_rank, ranks);
  for (guint k = 0; k < n_mail; k++)
    {
      MlTopologyHost *h = g_ptr_array_index (layout->hosts, order[k]);

      h->x = (k + 0.5) / n_mail;
      h->y = ML_TOPOLOGY_ROW_HOSTS;
      placed[order[k]] = TRUE;
    }

  /* Routers under the mail hosts they serve; a router that serves none
   * (a backbone) between the routers it joins, found on a second pass. */
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < n; i++)
      {
        MlTopologyHost *h = g_ptr_array_index (layout->hosts, i);
        double x;

        if (placed[i] || !(h->roles & ML_ROLE_ROUTER))
          continue;
        if (!neighbour_mean (layout, i, placed, FALSE, &x)
            && (pass == 0 || !neighbour_mean (layout, i, placed, TRUE, &x)))
          continue;
        h->x = x;
        h->y = ML_TOPOLOGY_ROW_ROUTERS;
        placed[i] = TRUE;
        g_array_append_val (routers, i);
      }
  for (guint i = 0; i < n; i++)
    {
      MlTopologyHost *h = g_ptr_array_index (layout->hosts, i);

      if (!placed[i] && (h->roles & ML_ROLE_ROUTER))
        {
          h->x = 0.5;
          h->y = ML_TOPOLOGY_ROW_ROUTERS;
          placed[i] = TRUE;
          g_array_append_val (routers, i);
        }
    }
  /* Push routers apart left to right, in the order they were placed. */
  for (guint a = 0; a < routers->len; a++)
    for (guint b = 0; b < routers->len; b++)
      {
        MlTopologyHost *ha = g_ptr_array_index (layout->hosts, g_array_index (routers, guint, a));
        MlTopologyHost *hb = g_ptr_array_index (layout->hosts, g_array_index (routers, guint, b));

        if (a < b && fabs (ha->x - hb->x) < ML_TOPOLOGY_MIN_GAP)
          hb->x = MIN (ha->x + ML_TOPOLOGY_MIN_GAP, 0.95);
      }

  /* DNS servers (and anything else left) below their router, side by
   * side when several share one. */
  for (guint i = 0, below = 0; i < n; i++)
    {
      MlTopologyHost *h = g_ptr_array_index (layout->hosts, i);
      int r;

      if (placed[i])
        continue;
      r = router_of (layout, i);
      h->x = r >= 0 ? ((MlTopologyHost *) g_ptr_array_index (layout->hosts, r))->x
                      + ML_TOPOLOGY_MIN_GAP * (below % 2 ? 1 : 0) * ((below + 1) / 2)
                    : (below + 0.5) * ML_TOPOLOGY_MIN_GAP;
      h->x = CLAMP (h->x, 0.05, 0.95);
      h->y = ML_TOPOLOGY_ROW_BELOW;
      placed[i] = TRUE;
      below++;
    }
}

MlTopologyLayout *
ml_topology_layout_new (const MlLesson *lesson)
{
  MlTopologyLayout *layout;

  g_return_val_if_fail (lesson != NULL, NULL);

  layout = g_new0 (MlTopologyLayout, 1);
  layout->hosts = g_ptr_array_new_with_free_func (host_free);
  layout->links = g_ptr_array_new_with_free_func (link_free);
  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *lh = g_ptr_array_index (lesson->hosts, i);
      MlTopologyHost *h = g_new0 (MlTopologyHost, 1);

      h->name = g_strdup (lh->name);
      h->roles = lh->roles;
      h->ipv4 = lh->ipv4;
      g_ptr_array_add (layout->hosts, h);
    }
  for (guint i = 0; i < lesson->links->len; i++)
    {
      const MlLessonLink *ll = g_ptr_array_index (lesson->links, i);
      int a = ml_topology_layout_find_host (layout, ll->a);
      int b = ml_topology_layout_find_host (layout, ll->b);
      MlTopologyLink *l;

      if (a < 0 || b < 0 || a == b)
        continue;
      l = g_new0 (MlTopologyLink, 1);
      /* The network names a link after its two ends in the lesson's order
       * of the link ("a--b"), which is what FRAME events carry. */
      l->name = g_strdup_printf ("%s--%s", ll->a, ll->b);
      l->a = (guint) a;
      l->b = (guint) b;
      l->latency_us = ll->latency_us;
      l->bandwidth_bps = ll->bandwidth_bps;
      l->up = ll->up;
      g_ptr_array_add (layout->links, l);
    }
  place_hosts (layout, lesson);
  return layout;
}

void
ml_topology_layout_free (MlTopologyLayout *layout)
{
  if (layout == NULL)
    return;
  g_ptr_array_unref (layout->hosts);
  g_ptr_array_unref (layout->links);
  g_free (layout);
}

int
ml_topology_layout_find_host (const MlTopologyLayout *layout, const char *name)
{
  g_return_val_if_fail (layout != NULL, -1);

  if (name == NULL)
    return -1;
  for (guint i = 0; i < layout->hosts->len; i++)
    if (g_str_equal (((MlTopologyHost *) g_ptr_array_index (layout->hosts, i))->name, name))
      return (int) i;
  return -1;
}

const MlTopologyLink *
ml_topology_layout_find_link (const MlTopologyLayout *layout, const char *name)
{
  g_return_val_if_fail (layout != NULL, NULL);

  if (name == NULL)
    return NULL;
  for (guint i = 0; i < layout->links->len; i++)
    {
      const MlTopologyLink *l = g_ptr_array_index (layout->links, i);

      if (g_str_equal (l->name, name))
        return l;
    }
  return NULL;
}

guint64
ml_topology_layout_max_latency_us (const MlTopologyLayout *layout)
{
  guint64 max = 0;

  g_return_val_if_fail (layout != NULL, 0);
  for (guint i = 0; i < layout->links->len; i++)
    max = MAX (max, ((MlTopologyLink *) g_ptr_array_index (layout->links, i))->latency_us);
  return max;
}

#define G_LOG_DOMAIN "ml-ladder-lanes"

#include <string.h>
#include "ladder-lanes.h"

/* RFC 1035 2.3.4: a domain name is at most 255 octets; a host name that
 * fits is folded on the stack, a longer one (no DNS name) on the heap. */
#define ML_LADDER_HOST_FOLD_MAX 256

struct _MlLadderLanes
{
  GPtrArray  *names;    /* char*, lane order */
  GHashTable *by_name;  /* folded name → lane + 1 */
  guint64     n_rows;   /* rows of the index looked at */
};

/* The hosts met in one kind of role, each once. */
typedef struct {
  GHashTable *seen;    /* folded name, owned */
  GHashTable *raw;     /* names as spelled in the trace, borrowed */
  GPtrArray  *order;   /* first spelling of each host, owned */
  const char *last[2]; /* the last two names met: most rows repeat them */
} Scan;

static void
scan_init (Scan *scan)
{
  scan->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  scan->raw = g_hash_table_new (g_str_hash, g_str_equal);
  scan->order = g_ptr_array_new_with_free_func (g_free);
}

static void
scan_clear (Scan *scan)
{
  g_hash_table_unref (scan->seen);
  g_hash_table_unref (scan->raw);
  g_ptr_array_unref (scan->order);
}

static gboolean
scan_has (Scan *scan, const char *name)
{
  g_autofree char *folded = g_ascii_strdown (name, -1);

  return g_hash_table_contains (scan->seen, folded);
}

static void
note_host (Scan *scan, const char *host)
{
  char *folded;

  if (host == NULL || *host == '\0')
    return;
  /* A million rows name a handful of hosts: answer the repeats without
   * folding or allocating. */
  if ((scan->last[0] && strcmp (host, scan->last[0]) == 0)
      || (scan->last[1] && strcmp (host, scan->last[1]) == 0))
    return;
  scan->last[1] = scan->last[0];
  scan->last[0] = host;
  if (g_hash_table_contains (scan->raw, host))
    return;
  g_hash_table_add (scan->raw, (gpointer) host);

  folded = g_ascii_strdown (host, -1);
  if (g_hash_table_contains (scan->seen, folded))
    {
      g_free (folded);
      return;
    }
  g_hash_table_add (scan->seen, folded);
  g_ptr_array_add (scan->order, g_strdup (host));
}

static void
add_lane (MlLadderLanes *self, const char *name)
{
  char *folded = g_ascii_strdown (name, -1);

  if (g_hash_table_contains (self->by_name, folded))
    {
      g_free (folded);
      return;
    }
  g_ptr_array_add (self->names, g_strdup (name));
  g_hash_table_insert (self->by_name, folded, GUINT_TO_POINTER (self->names->len));
}

MlLadderLanes *
ml_ladder_lanes_new (MlTrace *trace, const MlStepIndex *index, const char * const *hosts)
{
  MlLadderLanes *self = g_new0 (MlLadderLanes, 1);
  guint64 n_rows = index ? ml_step_index_get_n_rows (index) : 0;
  Scan talking = { 0 }, marking = { 0 };

  self->names = g_ptr_array_new_with_free_func (g_free);
  self->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  scan_init (&talking);
  scan_init (&marking);

  for (guint64 row = 0; trace && row < n_rows; row++)
    {
      const MlTraceEvent *event = ml_trace_get_event (trace, ml_step_index_get_event (index, row));

      if (event == NULL)
        continue;
      if (event->kind == ML_TRACE_DIALOGUE || event->kind == ML_TRACE_FRAME)
        {
          note_host (&talking, event->host);
          note_host (&talking, event->peer);
        }
      else
        /* A mark belongs to its host alone; its peer gets no lane for it. */
        note_host (&marking, event->host);
    }

  for (guint i = 0; hosts && hosts[i]; i++)
    if (scan_has (&talking, hosts[i]) || scan_has (&marking, hosts[i]))
      add_lane (self, hosts[i]);
  for (guint i = 0; i < talking.order->len; i++)
    add_lane (self, talking.order->pdata[i]);

  scan_clear (&talking);
  scan_clear (&marking);
  self->n_rows = n_rows;
  return self;
}

static gboolean
in_hosts (const char * const *hosts, const char *name)
{
  for (guint i = 0; hosts && hosts[i]; i++)
    if (g_ascii_strcasecmp (hosts[i], name) == 0)
      return TRUE;
  return FALSE;
}

gboolean
ml_ladder_lanes_extend (MlLadderLanes *self, MlTrace *trace, const MlStepIndex *index,
                        const char * const *hosts)
{
  guint64 n_rows;

  g_return_val_if_fail (self != NULL, FALSE);

  n_rows = index ? ml_step_index_get_n_rows (index) : 0;
  for (guint64 row = self->n_rows; trace && row < n_rows; row++)
    {
      const MlTraceEvent *event = ml_trace_get_event (trace, ml_step_index_get_event (index, row));
      const char *names[2] = { NULL, NULL };

      if (event == NULL)
        continue;
      names[0] = event->host;
      if (event->kind == ML_TRACE_DIALOGUE || event->kind == ML_TRACE_FRAME)
        names[1] = event->peer;
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          if (names[i] == NULL || *names[i] == '\0' || ml_ladder_lanes_lookup (self, names[i]) >= 0)
            continue;
          /* A topology host takes its place in topology order, between
           * lanes already drawn: only a new layout gives it that. */
          if (in_hosts (hosts, names[i]))
            return FALSE;
          /* Other talkers follow in order of first appearance, which is
           * where a full scan would put them too. */
          if (i == 1 || event->kind == ML_TRACE_DIALOGUE || event->kind == ML_TRACE_FRAME)
            add_lane (self, names[i]);
        }
    }
  self->n_rows = n_rows;
  return TRUE;
}

void
ml_ladder_lanes_free (MlLadderLanes *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->names);
  g_hash_table_unref (self->by_name);
  g_free (self);
}

guint
ml_ladder_lanes_get_n (const MlLadderLanes *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->names->len;
}

const char *
ml_ladder_lanes_get_name (const MlLadderLanes *self, guint lane)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (lane < self->names->len, NULL);
  return self->names->pdata[lane];
}

int
ml_ladder_lanes_lookup (const MlLadderLanes *self, const char *host)
{
  char buf[ML_LADDER_HOST_FOLD_MAX];
  gsize len;

  g_return_val_if_fail (self != NULL, -1);

  if (host == NULL)
    return -1;
  /* Called for every visible row on every frame: no allocation. */
  len = strlen (host);
  if (len < sizeof buf)
    {
      for (gsize i = 0; i <= len; i++)
        buf[i] = g_ascii_tolower (host[i]);
      return (int) GPOINTER_TO_UINT (g_hash_table_lookup (self->by_name, buf)) - 1;
    }
  else
    {
      g_autofree char *folded = g_ascii_strdown (host, -1);
      return (int) GPOINTER_TO_UINT (g_hash_table_lookup (self->by_name, folded)) - 1;
    }
}

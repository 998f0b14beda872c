#define G_LOG_DOMAIN "ml-capture"

#include "capture/tcp-reassembly.h"

#include <string.h>

typedef struct {
  guint64 off;    /* stream offset of the first byte */
  gsize   len;
  guint8  data[]; /* the bytes, copied */
} Segment;

struct _MlTcpReassembly {
  MlTcpReassemblyFuncs funcs;
  gpointer             user_data;
  gboolean             started;
  gboolean             saw_syn;
  guint32              base_seq;   /* sequence number of stream offset 0 */
  guint64              next_off;   /* every offset before it delivered or a gap */
  gboolean             fin_known;
  guint64              fin_off;    /* the stream ends here */
  gboolean             acked_known;
  guint64              acked_off;  /* the peer has received everything before it */
  GQueue               pending;    /* Segment*, sorted by off, disjoint */
  guint64              pending_bytes;
  guint64              delivered;
};

MlTcpReassembly *
ml_tcp_reassembly_new (const MlTcpReassemblyFuncs *funcs, gpointer user_data)
{
  MlTcpReassembly *self = g_new0 (MlTcpReassembly, 1);

  self->funcs = *funcs;
  self->user_data = user_data;
  g_queue_init (&self->pending);
  return self;
}

void
ml_tcp_reassembly_free (MlTcpReassembly *self)
{
  if (self == NULL)
    return;
  g_queue_clear_full (&self->pending, g_free);
  g_free (self);
}

void
ml_tcp_reassembly_syn (MlTcpReassembly *self, guint32 isn)
{
  if (self->started && self->delivered + self->pending_bytes > 0)
    return;
  self->started = TRUE;
  self->saw_syn = TRUE;
  self->base_seq = isn + 1;
  self->next_off = 0;
}

/* RFC 9293 3.4: sequence numbers are compared modulo 2^32; a number is
 * placed within 2^31 of where the stream is now. */
static gint64
unwrap (MlTcpReassembly *self, guint32 seq)
{
  guint32 here = self->base_seq + (guint32) self->next_off;
  return (gint64) self->next_off + (gint32) (seq - here);
}

static void
deliver (MlTcpReassembly *self, const guint8 *data, gsize len)
{
  self->next_off += len;
  self->delivered += len;
  if (self->funcs.data)
    self->funcs.data (self->user_data, data, len);
}

static void
report_gap (MlTcpReassembly *self, guint64 upto)
{
  guint64 len = upto - self->next_off;

  self->next_off = upto;
  if (len > 0 && self->funcs.gap)
    self->funcs.gap (self->user_data, len);
}

/* Hand on every held segment that now follows the delivered bytes. */
static void
drain (MlTcpReassembly *self)
{
  Segment *s;

  while ((s = g_queue_peek_head (&self->pending)) != NULL && s->off <= self->next_off)
    {
      g_queue_pop_head (&self->pending);
      self->pending_bytes -= s->len;
      if (s->off + s->len > self->next_off)
        {
          gsize skip = (gsize) (self->next_off - s->off);
          deliver (self, s->data + skip, s->len - skip);
        }
      g_free (s);
    }
}

static void
hold (MlTcpReassembly *self, GList *before, guint64 off, const guint8 *data, gsize len)
{
  Segment *s = g_malloc (sizeof (Segment) + len);

  s->off = off;
  s->len = len;
  memcpy (s->data, data, len);
  if (before)
    g_queue_insert_before (&self->pending, before, s);
  else
    g_queue_push_tail (&self->pending, s);
  self->pending_bytes += len;
}

/* Over a limit: the hole before the first held segment is given up. */
static void
enforce_limits (MlTcpReassembly *self)
{
  while (self->pending_bytes > ML_TCP_REASSEMBLY_MAX_PENDING
         || self->pending.length > ML_TCP_REASSEMBLY_MAX_SEGMENTS)
    {
      Segment *s = g_queue_peek_head (&self->pending);
      report_gap (self, s->off);
      drain (self);
    }
}

/* A hole the peer acknowledged, with data after it already held: those
 * bytes were sent and received but never captured. A hole at the tail is
 * left open, because the capture may show the segment late (reordered);
 * the next segment after it, or the end, settles it. */
static void
settle_acked_hole (MlTcpReassembly *self)
{
  Segment *s;

  while (self->acked_known && (s = g_queue_peek_head (&self->pending)) != NULL
         && s->off > self->next_off && s->off <= self->acked_off)
    {
      report_gap (self, s->off);
      drain (self);
    }
}

MlTcpSegmentResult
ml_tcp_reassembly_add (MlTcpReassembly *self, guint32 seq, const guint8 *data,
                       gsize len, gboolean fin)
{
  MlTcpSegmentResult result = ML_TCP_SEGMENT_NEW;
  gint64 off, end;
  guint64 cursor;
  gsize kept = 0;

  if (!self->started)
    {
      if (len == 0)
        return ML_TCP_SEGMENT_EMPTY;
      /* No SYN: the capture began mid-conversation. */
      self->started = TRUE;
      self->base_seq = seq;
    }
  off = unwrap (self, seq);
  end = off + (gint64) len;
  if (fin && !self->fin_known && end >= 0)
    {
      self->fin_known = TRUE;
      self->fin_off = (guint64) end;
    }
  if (len == 0)
    return ML_TCP_SEGMENT_EMPTY;
  if (end <= (gint64) self->next_off)
    return ML_TCP_SEGMENT_RETRANSMISSION;
  if (off < (gint64) self->next_off)
    {
      gsize skip = (gsize) ((gint64) self->next_off - off);
      data += skip;
      len -= skip;
      off = (gint64) self->next_off;
      result = ML_TCP_SEGMENT_OVERLAP;
    }

  if (off == (gint64) self->next_off && self->pending.length == 0)
    {
      deliver (self, data, len);
      return result;
    }

  /* First copy wins: only the parts no held segment covers are kept. */
  cursor = (guint64) off;
  for (GList *l = self->pending.head; l && cursor < (guint64) end;)
    {
      Segment *s = l->data;
      GList *next = l->next;

      if (s->off + s->len <= cursor)
        {
          l = next;
          continue;
        }
      if (s->off > cursor)
        {
          guint64 piece_end = MIN (s->off, (guint64) end);
          hold (self, l, cursor, data + (cursor - (guint64) off), (gsize) (piece_end - cursor));
          kept += (gsize) (piece_end - cursor);
        }
      cursor = MAX (cursor, s->off + s->len);
      l = next;
    }
  if (cursor < (guint64) end)
    {
      hold (self, NULL, cursor, data + (cursor - (guint64) off), (gsize) ((guint64) end - cursor));
      kept += (gsize) ((guint64) end - cursor);
    }
  if (kept == 0)
    result = ML_TCP_SEGMENT_RETRANSMISSION;
  else if (kept < len)
    result = ML_TCP_SEGMENT_OVERLAP;

  drain (self);
  settle_acked_hole (self);
  enforce_limits (self);
  return result;
}

MlTcpSegmentResult
ml_tcp_reassembly_classify (MlTcpReassembly *self, guint32 seq, gsize len)
{
  gint64 off, end;
  guint64 covered = 0, cursor;

  if (len == 0)
    return ML_TCP_SEGMENT_EMPTY;
  if (!self->started)
    return ML_TCP_SEGMENT_NEW;
  off = unwrap (self, seq);
  end = off + (gint64) len;
  if (end <= (gint64) self->next_off)
    return ML_TCP_SEGMENT_RETRANSMISSION;
  if (off < (gint64) self->next_off)
    {
      covered = (guint64) ((gint64) self->next_off - off);
      off = (gint64) self->next_off;
    }
  cursor = (guint64) off;
  for (GList *l = self->pending.head; l && cursor < (guint64) end; l = l->next)
    {
      Segment *s = l->data;
      guint64 a = MAX (cursor, s->off), b = MIN ((guint64) end, s->off + s->len);
      if (b > a)
        {
          covered += b - a;
          cursor = b;
        }
    }
  if (covered >= len)
    return ML_TCP_SEGMENT_RETRANSMISSION;
  return covered > 0 ? ML_TCP_SEGMENT_OVERLAP : ML_TCP_SEGMENT_NEW;
}

int
ml_tcp_reassembly_compare (MlTcpReassembly *self, guint32 seq)
{
  gint64 off;

  if (!self->started)
    return 0;
  off = unwrap (self, seq);
  /* A FIN takes one sequence number but no byte. */
  if (self->fin_known && off > (gint64) self->fin_off)
    off = (gint64) self->fin_off;
  return (off > (gint64) self->next_off) - (off < (gint64) self->next_off);
}

void
ml_tcp_reassembly_ack (MlTcpReassembly *self, guint32 ack)
{
  gint64 upto;

  if (!self->started)
    return;
  upto = unwrap (self, ack);
  /* A FIN takes one sequence number (RFC 9293 3.4) but no byte. */
  if (self->fin_known && upto > (gint64) self->fin_off)
    upto = (gint64) self->fin_off;
  if (upto <= (gint64) self->next_off)
    return;
  if (!self->acked_known || (guint64) upto > self->acked_off)
    {
      self->acked_known = TRUE;
      self->acked_off = (guint64) upto;
    }
  settle_acked_hole (self);
}

void
ml_tcp_reassembly_flush (MlTcpReassembly *self)
{
  Segment *s;

  while ((s = g_queue_peek_head (&self->pending)) != NULL)
    {
      report_gap (self, s->off);
      drain (self);
    }
  if (self->fin_known && self->fin_off > self->next_off)
    report_gap (self, self->fin_off);
}

gboolean
ml_tcp_reassembly_get_base (MlTcpReassembly *self, guint32 *isn_out)
{
  if (!self->started)
    return FALSE;
  *isn_out = self->base_seq - 1;
  return TRUE;
}

gboolean
ml_tcp_reassembly_saw_syn (MlTcpReassembly *self)
{
  return self->saw_syn;
}

gboolean
ml_tcp_reassembly_is_closed (MlTcpReassembly *self)
{
  return self->fin_known && self->next_off >= self->fin_off;
}

guint64
ml_tcp_reassembly_get_pending (MlTcpReassembly *self)
{
  return self->pending_bytes;
}

guint64
ml_tcp_reassembly_get_delivered (MlTcpReassembly *self)
{
  return self->delivered;
}

/* One direction of a captured TCP stream put back in order. */
#include <string.h>
#include "capture/tcp-reassembly.h"

typedef struct {
  GString *out;    /* bytes delivered, a gap written as "[gap N]" */
  guint64  gaps;
  MlTcpReassembly *rs;
} Fixture;

static void
on_data (gpointer user_data, const guint8 *data, gsize len)
{
  Fixture *f = user_data;
  g_string_append_len (f->out, (const char *) data, (gssize) len);
}

static void
on_gap (gpointer user_data, guint64 len)
{
  Fixture *f = user_data;
  g_string_append_printf (f->out, "[gap %" G_GUINT64_FORMAT "]", len);
  f->gaps += len;
}

static const MlTcpReassemblyFuncs funcs = { on_data, on_gap };

static void
setup (Fixture *f, gconstpointer data)
{
  f->out = g_string_new (NULL);
  f->gaps = 0;
  f->rs = ml_tcp_reassembly_new (&funcs, f);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  ml_tcp_reassembly_free (f->rs);
  g_string_free (f->out, TRUE);
}

static MlTcpSegmentResult
add (Fixture *f, guint32 seq, const char *s)
{
  return ml_tcp_reassembly_add (f->rs, seq, (const guint8 *) s, strlen (s), FALSE);
}

/* ISN 1000: "hello world" occupies 1001..1011. */
static void
test_in_order (Fixture *f, gconstpointer data)
{
  ml_tcp_reassembly_syn (f->rs, 1000);
  g_assert_cmpint (add (f, 1001, "hello "), ==, ML_TCP_SEGMENT_NEW);
  g_assert_cmpint (add (f, 1007, "world"), ==, ML_TCP_SEGMENT_NEW);
  g_assert_cmpstr (f->out->str, ==, "hello world");
  g_assert_cmpuint (ml_tcp_reassembly_get_delivered (f->rs), ==, 11);
}

static void
test_out_of_order (Fixture *f, gconstpointer data)
{
  ml_tcp_reassembly_syn (f->rs, 1000);
  g_assert_cmpint (add (f, 1007, "world"), ==, ML_TCP_SEGMENT_NEW);
  g_assert_cmpstr (f->out->str, ==, "");
  g_assert_cmpuint (ml_tcp_reassembly_get_pending (f->rs), ==, 5);
  g_assert_cmpint (add (f, 1004, "lo "), ==, ML_TCP_SEGMENT_NEW);
  g_assert_cmpint (add (f, 1001, "hel"), ==, ML_TCP_SEGMENT_NEW);
  g_assert_cmpstr (f->out->str, ==, "hello world");
  g_assert_cmpuint (ml_tcp_reassembly_get_pending (f->rs), ==, 0);
}

static void
test_retransmission (Fixture *f, gconstpointer data)
{
  ml_tcp_reassembly_syn (f->rs, 1000);
  add (f, 1001, "hello ");
  g_assert_cmpint (ml_tcp_reassembly_classify (f->rs, 1001, 6), ==, ML_TCP_SEGMENT_RETRANSMISSION);
  g_assert_cmpint (add (f, 1001, "hello "), ==, ML_TCP_SEGMENT_RETRANSMISSION);
  /* A retransmission of data still held out of order. */
  add (f, 1010, "ld");
  g_assert_cmpint (add (f, 1010, "ld"), ==, ML_TCP_SEGMENT_RETRANSMISSION);
  add (f, 1007, "wor");
  g_assert_cmpstr (f->out->str, ==, "hello world");
}

/* First copy wins: a later overlapping copy with other bytes is not used. */
static void
test_overlap_first_wins (Fixture *f, gconstpointer data)
{
  ml_tcp_reassembly_syn (f->rs, 1000);
  add (f, 1001, "abcd");
  g_assert_cmpint (ml_tcp_reassembly_classify (f->rs, 1003, 4), ==, ML_TCP_SEGMENT_OVERLAP);
  g_assert_cmpint (add (f, 1003, "XXef"), ==, ML_TCP_SEGMENT_OVERLAP);
  g_assert_cmpstr (f->out->str, ==, "abcdef");
  /* Overlap with a held segment, on both sides of it. */
  add (f, 1010, "jk");
  g_assert_cmpint (add (f, 1008, "hiYYl"), ==, ML_TCP_SEGMENT_OVERLAP);
  add (f, 1007, "g");
  g_assert_cmpstr (f->out->str, ==, "abcdefghijkl");
}

/* The peer acknowledged bytes the capture never saw: a gap, at once. */
static void
test_gap_by_ack (Fixture *f, gconstpointer data)
{
  ml_tcp_reassembly_syn (f->rs, 1000);
  add (f, 1001, "one ");
  add (f, 1015, "three");
  g_assert_cmpstr (f->out->str, ==, "one ");
  ml_tcp_reassembly_ack (f->rs, 1020);
  g_assert_cmpstr (f->out->str, ==, "one [gap 10]three");
  g_assert_cmpuint (f->gaps, ==, 10);
  /* An ACK of what was delivered changes nothing. */
  ml_tcp_reassembly_ack (f->rs, 1010);
  g_assert_cmpstr (f->out->str, ==, "one [gap 10]three");
}

/* An acknowledged hole at the tail may be a segment the capture shows
 * late: it is not a gap until data after it comes. */
static void
test_ack_before_data (Fixture *f, gconstpointer data)
{
  ml_tcp_reassembly_syn (f->rs, 1000);
  ml_tcp_reassembly_ack (f->rs, 1006);
  g_assert_cmpuint (f->gaps, ==, 0);
  add (f, 1001, "late!");
  g_assert_cmpstr (f->out->str, ==, "late!");
  ml_tcp_reassembly_ack (f->rs, 1010);
  add (f, 1010, "after");
  g_assert_cmpstr (f->out->str, ==, "late![gap 4]after");
}

static void
test_gap_at_flush (Fixture *f, gconstpointer data)
{
  ml_tcp_reassembly_syn (f->rs, 1000);
  add (f, 1001, "ab");
  add (f, 1006, "fg");
  g_assert_cmpint (ml_tcp_reassembly_add (f->rs, 1010, (const guint8 *) "", 0, TRUE), ==,
                   ML_TCP_SEGMENT_EMPTY);
  ml_tcp_reassembly_flush (f->rs);
  /* "cde" and "hi" before the FIN were never seen. */
  g_assert_cmpstr (f->out->str, ==, "ab[gap 3]fg[gap 2]");
  g_assert_true (ml_tcp_reassembly_is_closed (f->rs));
}

static void
test_midstream (Fixture *f, gconstpointer data)
{
  guint32 base = 0;

  g_assert_false (ml_tcp_reassembly_get_base (f->rs, &base));
  g_assert_cmpint (add (f, 777777, "250 OK\r\n"), ==, ML_TCP_SEGMENT_NEW);
  g_assert_false (ml_tcp_reassembly_saw_syn (f->rs));
  g_assert_true (ml_tcp_reassembly_get_base (f->rs, &base));
  g_assert_cmpuint (base, ==, 777776);
  add (f, 777785, "221 bye\r\n");
  g_assert_cmpstr (f->out->str, ==, "250 OK\r\n221 bye\r\n");
}

/* Sequence numbers wrap at 2^32 (RFC 9293 3.4). */
static void
test_wraparound (Fixture *f, gconstpointer data)
{
  ml_tcp_reassembly_syn (f->rs, 0xfffffffc);
  add (f, 0xfffffffd, "abc");
  add (f, 0x00000003, "gh");
  add (f, 0x00000000, "def");
  g_assert_cmpstr (f->out->str, ==, "abcdefgh");
}

/* More out-of-order bytes than the limit: the hole is given up. */
static void
test_pending_limit (Fixture *f, gconstpointer data)
{
  /* Large enough that the byte limit binds before the segment limit. */
  g_autofree char *chunk = g_strnfill (4000, 'x');
  guint32 seq = 1001 + 10;

  ml_tcp_reassembly_syn (f->rs, 1000);
  while (ml_tcp_reassembly_get_pending (f->rs) + 4000 <= ML_TCP_REASSEMBLY_MAX_PENDING)
    {
      add (f, seq, chunk);
      seq += 4000;
    }
  g_assert_cmpuint (f->gaps, ==, 0);
  add (f, seq, chunk);
  g_assert_cmpuint (f->gaps, ==, 10);
  g_assert_cmpuint (ml_tcp_reassembly_get_pending (f->rs), ==, 0);
  g_assert_cmpuint (f->out->len, ==, (seq + 4000 - 1011) + strlen ("[gap 10]"));
}

static void
test_segment_limit (Fixture *f, gconstpointer data)
{
  ml_tcp_reassembly_syn (f->rs, 0);
  /* One-byte segments with one-byte holes: the segment count binds. */
  for (guint i = 0; i <= ML_TCP_REASSEMBLY_MAX_SEGMENTS; i++)
    add (f, 2 + 2 * i, "y");
  g_assert_cmpuint (f->gaps, >, 0);
  g_assert_cmpuint (ml_tcp_reassembly_get_pending (f->rs), <=, ML_TCP_REASSEMBLY_MAX_SEGMENTS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/capture/reassembly/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("in-order", test_in_order);
  ADD ("out-of-order", test_out_of_order);
  ADD ("retransmission", test_retransmission);
  ADD ("overlap-first-wins", test_overlap_first_wins);
  ADD ("gap-by-ack", test_gap_by_ack);
  ADD ("gap-at-flush", test_gap_at_flush);
  ADD ("ack-before-data", test_ack_before_data);
  ADD ("midstream", test_midstream);
  ADD ("wraparound", test_wraparound);
  ADD ("pending-limit", test_pending_limit);
  ADD ("segment-limit", test_segment_limit);
#undef ADD
  return g_test_run ();
}

/* Capture files: every link type, and damaged files read up to the damage.
 * The corpus is tests/data/captures/ (made by make-corpus.py there). */
#include <string.h>
#include "capture/capture-reader.h"

static const char *expected_dialogue =
  "S: 220 mx.example ESMTP|C: EHLO c.example|S: 250 mx.example|C: MAIL FROM:<a@c.example>|"
  "S: 250 2.1.0 Ok|C: QUIT|S: 221 2.0.0 Bye";

static char *
corpus_path (const char *name)
{
  const char *root = g_getenv ("ML_SOURCE_DIR");
  return g_build_filename (root ? root : ".", "tests", "data", "captures", name, NULL);
}

static char *
dialogue (MlTrace *trace)
{
  GString *s = g_string_new (NULL);

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      if (e->kind != ML_TRACE_DIALOGUE)
        continue;
      g_string_append_printf (s, "%s%s: %s", s->len ? "|" : "",
                              e->direction == ML_DIR_CLIENT_TO_SERVER ? "C" : "S", e->text);
    }
  return g_string_free (s, FALSE);
}

static guint
count_kind (MlTrace *trace, MlTraceKind kind)
{
  guint n = 0;
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    if (ml_trace_get_event (trace, i)->kind == kind)
      n++;
  return n;
}

typedef struct {
  const char *file;
  const char *link;       /* the frames' `link`, NULL for Ethernet */
  const char *client;     /* host name of the client */
  guint16     ethertype;  /* of the (synthetic) Ethernet header */
} LinkCase;

static void
test_link_type (gconstpointer data)
{
  const LinkCase *lc = data;
  g_autofree char *path = corpus_path (lc->file);
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = ml_capture_read_file (path, NULL, NULL, NULL, NULL, &error);
  g_autofree char *got = NULL;
  const MlTraceEvent *first = NULL;
  const guint8 *bytes;
  gsize len;

  g_assert_no_error (error);
  g_assert_nonnull (trace);
  got = dialogue (trace);
  g_assert_cmpstr (got, ==, expected_dialogue);
  g_assert_cmpuint (count_kind (trace, ML_TRACE_FRAME), ==, 13);
  for (guint64 i = 0; i < ml_trace_get_length (trace) && first == NULL; i++)
    if (ml_trace_get_event (trace, i)->kind == ML_TRACE_FRAME)
      first = ml_trace_get_event (trace, i);
  g_assert_nonnull (first);
  g_assert_cmpstr (first->link, ==, lc->link);
  g_assert_cmpstr (first->host, ==, lc->client);
  g_assert_cmpuint (first->conn_id, ==, 1);
  g_assert_cmpstr (first->explain_key, ==, "tcp.syn");
  g_assert_cmpstr (first->text, ==, "49200 → 25 [SYN] Seq=0 Win=65535 Len=0");
  /* Every view decodes Ethernet II: the EtherType is where it expects. */
  bytes = g_bytes_get_data (first->bytes, &len);
  g_assert_cmpuint (len, >, 14);
  g_assert_cmpuint ((guint) (bytes[12] << 8 | bytes[13]), ==, lc->ethertype);
}

static void
test_reordered (void)
{
  g_autofree char *path = corpus_path ("reordered.pcap");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = ml_capture_read_file (path, NULL, NULL, NULL, NULL, &error);
  g_autofree char *got = NULL;
  guint retrans = 0;

  g_assert_no_error (error);
  got = dialogue (trace);
  /* The EHLO was captured before the greeting it acknowledges: it waits
   * for it, so the dialogue reads in the order it was spoken. */
  g_assert_cmpstr (got, ==, expected_dialogue);
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    g_assert_cmpstr (ml_trace_get_event (trace, i)->explain_key, !=, "capture.gap");
  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    if (ml_trace_get_event (trace, i)->retransmission)
      retrans++;
  g_assert_cmpuint (retrans, ==, 2);
}

/* Damaged files: a clean error naming the packet, and what came before. */
static void
test_damaged (gconstpointer data)
{
  const char *file = data;
  g_autofree char *path = corpus_path (file);
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = ml_capture_read_file (path, NULL, NULL, NULL, NULL, &error);
  g_autofree char *got = NULL;

  g_assert_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_CORRUPT);
  g_assert_true (g_str_has_prefix (error->message, "packet 5: "));
  g_assert_nonnull (trace);
  g_assert_cmpuint (count_kind (trace, ML_TRACE_FRAME), ==, 4);
  got = dialogue (trace);
  g_assert_cmpstr (got, ==, "S: 220 mx.example ESMTP");
}

static void
test_not_a_capture (gconstpointer data)
{
  const char *file = data;
  g_autofree char *path = corpus_path (file);
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = ml_capture_read_file (path, NULL, NULL, NULL, NULL, &error);

  g_assert_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_OPEN);
  g_assert_null (trace);
}

static void
test_header_only (void)
{
  g_autofree char *path = corpus_path ("header-only.pcap");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = ml_capture_read_file (path, NULL, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (ml_trace_get_length (trace), ==, 0);
}

/* A link type we do not know: frames kept as they are, nothing dissected. */
static void
test_wrong_link (void)
{
  g_autofree char *path = corpus_path ("wrong-link.pcap");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = ml_capture_read_file (path, NULL, NULL, NULL, NULL, &error);
  const MlTraceEvent *e;

  g_assert_no_error (error);
  g_assert_cmpuint (count_kind (trace, ML_TRACE_FRAME), ==, 13);
  g_assert_cmpuint (count_kind (trace, ML_TRACE_DIALOGUE), ==, 0);
  e = ml_trace_get_event (trace, 0);
  g_assert_cmpstr (e->link, ==, "capture:DLT_147");
  g_assert_true (g_str_has_prefix (e->text, "DLT_147, 60 bytes"));
  g_assert_cmpuint (g_bytes_get_size (e->bytes), ==, 60);
}

static void
on_progress (guint64 done, guint64 total, gpointer user_data)
{
  guint64 *last = user_data;
  g_assert_cmpuint (done, <=, total);
  g_assert_cmpuint (done, >=, last[0]);
  last[0] = done;
  last[1] = total;
}

static void
test_progress_and_cancel (void)
{
  g_autofree char *path = corpus_path ("link-en10mb.pcap");
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  guint64 last[2] = { 0, 0 };
  g_autoptr(MlTrace) trace = ml_capture_read_file (path, NULL, on_progress, last, NULL, &error);
  g_autoptr(MlTrace) cancelled = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (last[1], ==, 1084);
  g_assert_cmpuint (last[0], ==, last[1]);

  g_cancellable_cancel (cancel);
  cancelled = ml_capture_read_file (path, NULL, NULL, NULL, cancel, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (cancelled);
  g_assert_cmpuint (ml_trace_get_length (cancelled), ==, 0);
}

/* --flow: only one connection's events; frames off. */
static void
test_options (void)
{
  g_autofree char *path = corpus_path ("link-en10mb.pcap");
  g_autoptr(GError) error = NULL;
  MlCaptureOptions options;
  g_autoptr(MlTrace) none = NULL;
  g_autoptr(MlTrace) first = NULL;

  ml_capture_options_init (&options);
  options.frames = FALSE;
  options.only_flow = 2;
  none = ml_capture_read_file (path, &options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ml_trace_get_length (none), ==, 0);
  options.only_flow = 1;
  first = ml_capture_read_file (path, &options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_kind (first, ML_TRACE_FRAME), ==, 0);
  g_assert_cmpuint (count_kind (first, ML_TRACE_DIALOGUE), ==, 7);
}

int
main (int argc, char **argv)
{
  static const LinkCase links[] = {
    { "link-en10mb.pcap", NULL, "192.0.2.10", 0x0800 },
    { "link-vlan.pcap", NULL, "192.0.2.10", 0x8100 },
    { "link-sll.pcap", "capture:LINUX_SLL", "192.0.2.10", 0x0800 },
    { "link-sll2.pcap", "capture:LINUX_SLL2", "192.0.2.10", 0x0800 },
    { "link-raw.pcap", "capture:RAW", "192.0.2.10", 0x0800 },
    { "link-raw-ipv6-ext.pcap", "capture:RAW", "2001:db8::10", 0x86DD },
    { "link-null.pcap", "capture:NULL", "192.0.2.10", 0x0800 },
    { "link-loop.pcap", "capture:LOOP", "192.0.2.10", 0x0800 },
  };

  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autofree char *name = g_strndup (links[i].file, strlen (links[i].file) - 5);
      g_autofree char *test = g_strdup_printf ("/capture/file/%s", name);
      g_test_add_data_func (test, &links[i], test_link_type);
    }
  g_test_add_func ("/capture/file/reordered-duplicated", test_reordered);
  g_test_add_data_func ("/capture/file/truncated-record", "truncated.pcap", test_damaged);
  g_test_add_data_func ("/capture/file/bogus-length", "bogus-length.pcap", test_damaged);
  g_test_add_data_func ("/capture/file/zero-length", "zero-length.pcap", test_not_a_capture);
  g_test_add_data_func ("/capture/file/not-a-capture", "not-a-capture.pcap", test_not_a_capture);
  g_test_add_data_func ("/capture/file/missing", "no-such-file.pcap", test_not_a_capture);
  g_test_add_func ("/capture/file/header-only", test_header_only);
  g_test_add_func ("/capture/file/wrong-link-type", test_wrong_link);
  g_test_add_func ("/capture/file/progress-and-cancel", test_progress_and_cancel);
  g_test_add_func ("/capture/file/options", test_options);
  return g_test_run ();
}

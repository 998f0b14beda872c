/* The pcap and pcapng writers: files read back by libpcap, by a block
 * parser written here from the pcapng draft, and by tshark when it is
 * installed. */
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>

#include "trace/pcap-writer.h"
#include "trace/pcapng-writer.h"

#define EPOCH_USEC G_GINT64_CONSTANT (1700000000000000)  /* 2023-11-14 */

/* ---- frames ---------------------------------------------------------- */

static void
put16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static void
put32 (guint8 *p, guint32 v)
{
  put16 (p, (guint16) (v >> 16));
  put16 (p + 2, (guint16) v);
}

static guint16
checksum (guint32 sum, const guint8 *data, gsize len)
{
  for (gsize i = 0; i + 1 < len; i += 2)
    sum += (guint32) (data[i] << 8 | data[i + 1]);
  if (len % 2)
    sum += (guint32) data[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (guint16) ~sum;
}

/* A valid Ethernet/IPv4/TCP frame with correct checksums, so tshark reads
 * it without complaint. */
static GBytes *
tcp_frame (guint16 sport, guint16 dport, guint32 seq, guint8 flags, const char *payload)
{
  gsize plen = payload ? strlen (payload) : 0;
  gsize len = 14 + 20 + 20 + plen;
  guint8 *f = g_malloc0 (MAX (len, 60));
  guint8 *ip = f + 14, *tcp = ip + 20;
  guint8 pseudo[12];
  guint32 sum = 0;
  guint32 src = sport == 25 ? 0xC0000219 : 0xC0000202;   /* 192.0.2.25 / .2 */
  guint32 dst = sport == 25 ? 0xC0000202 : 0xC0000219;

  memcpy (f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
  put16 (f + 12, 0x0800);
  ip[0] = 0x45;
  put16 (ip + 2, (guint16) (20 + 20 + plen));
  ip[8] = 64;
  ip[9] = 6;
  put32 (ip + 12, src);
  put32 (ip + 16, dst);
  put16 (ip + 10, checksum (0, ip, 20));
  put16 (tcp, sport);
  put16 (tcp + 2, dport);
  put32 (tcp + 4, seq);
  put32 (tcp + 8, 1);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  put16 (tcp + 14, 65535);
  if (plen)
    memcpy (tcp + 20, payload, plen);
  memcpy (pseudo, ip + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  put16 (pseudo + 10, (guint16) (20 + plen));
  for (gsize i = 0; i < 12; i += 2)
    sum += (guint32) (pseudo[i] << 8 | pseudo[i + 1]);
  put16 (tcp + 16, checksum (sum, tcp, 20 + plen));
  return g_bytes_new_take (f, MAX (len, 60));
}

static MlTraceEvent *
frame_event (guint64 t, const char *host, const char *peer, guint hop, guint conn,
             GBytes *bytes)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_FRAME);

  e->time_us = t;
  e->host = g_strdup (host);
  e->peer = g_strdup (peer);
  e->hop = hop;
  e->conn_id = conn;
  e->protocol = ML_PROTO_TCP;
  e->text = g_strdup ("TCP segment");
  e->link = g_strdup (hop == 0 ? "lan-a" : "wan");
  e->bytes = bytes;
  return e;
}

static MlTraceEvent *
line_event (guint64 t, const char *host, guint conn, MlDirection dir, const char *text)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_DIALOGUE);

  e->time_us = t;
  e->host = g_strdup (host);
  e->conn_id = conn;
  e->protocol = ML_PROTO_SMTP;
  e->direction = dir;
  e->text = g_strdup (text);
  return e;
}

/* ---- the scenario ------------------------------------------------------ */

/* What the capture should hold, frame by frame (hop 0 only). */
typedef struct {
  guint64     time_us;
  const char *comment;   /* NULL: none; several comments joined by "|" */
} Expected;

static const Expected expected[] = {
  { 1000, NULL },                                            /* SYN */
  { 2000, "SMTP S: 220 smtp.a.example ESMTP" },
  { 3000, "SMTP C: MAIL FROM:<alice@a.example>\nSMTP C: RCPT TO:<bob@b.example>" },
  { 4000, "SMTP S: 250-smtp.a.example\nSMTP S: 250 PIPELINING"
          "|lost on link lan-a: the receiver never got this frame" },
  { 5000, NULL },                                            /* retransmission */
  { 6000, NULL },                                            /* pure ACK */
  { 7000, "SMTP C: QUIT" },
};

typedef struct {
  char    *dir;
  char    *path;
  MlTrace *trace;
  GPtrArray *hop0_frames;   /* GBytes*, in order */
} Fixture;

static void
add_frame (Fixture *fx, MlTraceEvent *e)
{
  if (e->hop == 0)
    g_ptr_array_add (fx->hop0_frames, g_bytes_ref (e->bytes));
  ml_trace_append (fx->trace, e);
}

/* Appended after a writer attaches, the way a simulation would. */
static void
run_scenario (Fixture *fx)
{
  MlTraceEvent *e;

  add_frame (fx, frame_event (1000, "alice-laptop", "smtp.a.example", 0, 1,
                              tcp_frame (49152, 25, 100, 0x02, NULL)));
  ml_trace_append (fx->trace, line_event (1900, "smtp.a.example", 1,
                                          ML_DIR_SERVER_TO_CLIENT, "220 smtp.a.example ESMTP"));
  add_frame (fx, frame_event (2000, "smtp.a.example", "rtr", 0, 1,
                              tcp_frame (25, 49152, 500, 0x18, "220 smtp.a.example ESMTP\r\n")));
  /* The routed copy of the same segment: not a second packet. */
  add_frame (fx, frame_event (2100, "rtr", "alice-laptop", 1, 1,
                              tcp_frame (25, 49152, 500, 0x18, "220 smtp.a.example ESMTP\r\n")));
  /* Pipelined commands: two lines, one segment. */
  ml_trace_append (fx->trace, line_event (2900, "alice-laptop", 1, ML_DIR_CLIENT_TO_SERVER,
                                          "MAIL FROM:<alice@a.example>"));
  ml_trace_append (fx->trace, line_event (2900, "alice-laptop", 1, ML_DIR_CLIENT_TO_SERVER,
                                          "RCPT TO:<bob@b.example>"));
  /* Another connection's line must not land on this connection's frame. */
  ml_trace_append (fx->trace, line_event (2950, "alice-laptop", 2, ML_DIR_CLIENT_TO_SERVER,
                                          "USER alice"));
  add_frame (fx, frame_event (3000, "alice-laptop", "smtp.a.example", 0, 1,
                              tcp_frame (49152, 25, 101, 0x18,
                                         "MAIL FROM:<alice@a.example>\r\nRCPT TO:<bob@b.example>\r\n")));
  ml_trace_append (fx->trace, line_event (3900, "smtp.a.example", 1, ML_DIR_SERVER_TO_CLIENT,
                                          "250-smtp.a.example\n250 PIPELINING"));
  e = frame_event (4000, "smtp.a.example", "rtr", 0, 1,
                   tcp_frame (25, 49152, 526, 0x18, "250-smtp.a.example\r\n250 PIPELINING\r\n"));
  e->dropped = TRUE;
  add_frame (fx, e);
  ml_trace_append (fx->trace, line_event (4500, "alice-laptop", 1, ML_DIR_CLIENT_TO_SERVER,
                                          "QUIT"));
  e = frame_event (5000, "smtp.a.example", "rtr", 0, 1,
                   tcp_frame (25, 49152, 526, 0x18, "250-smtp.a.example\r\n250 PIPELINING\r\n"));
  e->retransmission = TRUE;
  add_frame (fx, e);
  add_frame (fx, frame_event (6000, "alice-laptop", "smtp.a.example", 0, 1,
                              tcp_frame (49152, 25, 157, 0x10, NULL)));
  add_frame (fx, frame_event (7000, "alice-laptop", "smtp.a.example", 0, 1,
                              tcp_frame (49152, 25, 157, 0x18, "QUIT\r\n")));
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("ml-pcap-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, data ? (const char *) data : "out", NULL);
  fx->trace = ml_trace_new ();
  fx->hop0_frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_remove (fx->path);
  g_rmdir (fx->dir);
  g_free (fx->path);
  g_free (fx->dir);
  g_object_unref (fx->trace);
  g_ptr_array_unref (fx->hop0_frames);
}

/* Reads every packet with libpcap and checks bytes and timestamps against
 * the hop-0 frames. */
static void
check_with_libpcap (Fixture *fx)
{
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline (fx->path, errbuf);
  struct pcap_pkthdr *hdr;
  const u_char *data;
  guint n = 0;
  int rc;

  if (p == NULL)
    g_error ("pcap_open_offline: %s", errbuf);
  g_assert_cmpint (pcap_datalink (p), ==, DLT_EN10MB);
  while ((rc = pcap_next_ex (p, &hdr, &data)) == 1)
    {
      GBytes *want;
      gint64 ts;

      g_assert_cmpuint (n, <, fx->hop0_frames->len);
      g_assert_cmpuint (n, <, G_N_ELEMENTS (expected));
      want = g_ptr_array_index (fx->hop0_frames, n);
      ts = (gint64) hdr->ts.tv_sec * G_USEC_PER_SEC + hdr->ts.tv_usec;
      g_assert_cmpint (ts, ==, EPOCH_USEC + (gint64) expected[n].time_us);
      g_assert_cmpmem (data, hdr->caplen, g_bytes_get_data (want, NULL), g_bytes_get_size (want));
      g_assert_cmpuint (hdr->len, ==, g_bytes_get_size (want));
      n++;
    }
  g_assert_cmpint (rc, ==, PCAP_ERROR_BREAK);
  g_assert_cmpuint (n, ==, fx->hop0_frames->len);
  pcap_close (p);
}

/* ---- pcap -------------------------------------------------------------- */

static void
test_pcap_hop0 (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlPcapWriter) w = ml_pcap_writer_new (fx->path, EPOCH_USEC, &error);

  g_assert_no_error (error);
  ml_pcap_writer_attach (w, fx->trace);
  run_scenario (fx);
  g_assert_true (ml_pcap_writer_close (w, &error));
  g_assert_no_error (error);
  /* Appended after close: not written, no crash. */
  ml_trace_append (fx->trace, frame_event (9000, "x", "y", 0, 0, tcp_frame (1, 2, 3, 0x10, NULL)));

  g_assert_cmpuint (fx->hop0_frames->len, ==, G_N_ELEMENTS (expected));
  check_with_libpcap (fx);
}

static void
test_pcap_all_hops (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlPcapWriter) w = ml_pcap_writer_new (fx->path, EPOCH_USEC, &error);
  char errbuf[PCAP_ERRBUF_SIZE];
  struct pcap_pkthdr *hdr;
  const u_char *bytes;
  pcap_t *p;
  guint n = 0;

  g_assert_no_error (error);
  ml_pcap_writer_set_all_hops (w, TRUE);
  ml_pcap_writer_attach (w, fx->trace);
  run_scenario (fx);
  g_assert_true (ml_pcap_writer_close (w, &error));

  p = pcap_open_offline (fx->path, errbuf);
  g_assert_nonnull (p);
  while (pcap_next_ex (p, &hdr, &bytes) == 1)
    n++;
  pcap_close (p);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected) + 1);
}

static void
test_pcap_bad_path (void)
{
  g_autoptr(GError) error = NULL;
  MlPcapWriter *w = ml_pcap_writer_new ("/nonexistent-dir/x.pcap", 0, &error);

  g_assert_null (w);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
}

/* ---- pcapng ------------------------------------------------------------ */

typedef struct {
  guint32  type;
  GBytes  *body;        /* between the length fields */
} Block;

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint16
le16 (const guint8 *p)
{
  return (guint16) (p[0] | p[1] << 8);
}

static void
block_clear (gpointer data)
{
  g_bytes_unref (((Block *) data)->body);
}

/* pcapng 3.1: type, total length, body, total length again; every block a
 * multiple of 4 octets. */
static GArray *
parse_blocks (const char *path)
{
  g_autofree guint8 *file = NULL;
  g_autoptr(GError) error = NULL;
  GArray *blocks = g_array_new (FALSE, FALSE, sizeof (Block));
  gsize len, off = 0;

  g_array_set_clear_func (blocks, block_clear);
  g_file_get_contents (path, (char **) &file, &len, &error);
  g_assert_no_error (error);
  while (off < len)
    {
      Block b;
      guint32 total;

      g_assert_cmpuint (len - off, >=, 12);
      b.type = le32 (file + off);
      total = le32 (file + off + 4);
      g_assert_cmpuint (total % 4, ==, 0);
      g_assert_cmpuint (total, >=, 12);
      g_assert_cmpuint (total, <=, len - off);
      g_assert_cmpuint (le32 (file + off + total - 4), ==, total);
      b.body = g_bytes_new (file + off + 8, total - 12);
      g_array_append_val (blocks, b);
      off += total;
    }
  return blocks;
}

/* Options from @body + @start (pcapng 3.5), as "code=value" strings with
 * the comment values raw. Checks padding and the end-of-options marker. */
static GPtrArray *
parse_options (GBytes *body, gsize start)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (body, &len);
  GPtrArray *opts = g_ptr_array_new_with_free_func (g_free);
  gboolean ended = FALSE;

  while (start < len)
    {
      guint16 code, olen;

      g_assert_cmpuint (len - start, >=, 4);
      code = le16 (p + start);
      olen = le16 (p + start + 2);
      start += 4;
      if (code == 0)
        {
          g_assert_cmpuint (olen, ==, 0);
          ended = TRUE;
          break;
        }
      g_assert_cmpuint (start + olen, <=, len);
      g_ptr_array_add (opts, g_strdup_printf ("%u=%.*s", code, (int) olen, p + start));
      start += (olen + 3u) & ~3u;
    }
  if (opts->len > 0)
    g_assert_true (ended);
  g_assert_cmpuint (start, ==, len);
  return opts;
}

static char *
comments_of (GPtrArray *opts)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < opts->len; i++)
    {
      const char *o = g_ptr_array_index (opts, i);

      if (!g_str_has_prefix (o, "1="))
        continue;
      if (s->len > 0)
        g_string_append_c (s, '|');
      g_string_append (s, o + 2);
    }
  return s->len > 0 ? g_strdup (s->str) : NULL;
}

static void
check_header_blocks (GArray *blocks)
{
  const Block *shb, *idb;
  const guint8 *p;
  gsize len;
  g_autoptr(GPtrArray) opts = NULL;

  g_assert_cmpuint (blocks->len, >=, 2);
  shb = &g_array_index (blocks, Block, 0);
  g_assert_cmphex (shb->type, ==, 0x0A0D0D0A);
  p = g_bytes_get_data (shb->body, &len);
  g_assert_cmpuint (len, >=, 16);
  g_assert_cmphex (le32 (p), ==, 0x1A2B3C4D);
  g_assert_cmpuint (le16 (p + 4), ==, 1);
  g_assert_cmpuint (le16 (p + 6), ==, 0);
  g_assert_cmphex (le32 (p + 8), ==, 0xFFFFFFFF);
  g_assert_cmphex (le32 (p + 12), ==, 0xFFFFFFFF);
  g_clear_pointer (&opts, g_ptr_array_unref);
  opts = parse_options (shb->body, 16);
  g_assert_cmpuint (opts->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (opts, 0), "4=maillab "));

  idb = &g_array_index (blocks, Block, 1);
  g_assert_cmphex (idb->type, ==, 1);
  p = g_bytes_get_data (idb->body, &len);
  g_assert_cmpuint (le16 (p), ==, 1);             /* LINKTYPE_ETHERNET */
  g_assert_cmpuint (le32 (p + 4), ==, 65535);
  g_clear_pointer (&opts, g_ptr_array_unref);
  opts = parse_options (idb->body, 8);
  g_assert_cmpuint (opts->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (opts, 2), ==, "9=\x06");   /* if_tsresol 10^-6 */
}

static void
test_pcapng_blocks (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlPcapngWriter) w = ml_pcapng_writer_new (fx->path, EPOCH_USEC, &error);
  g_autoptr(GArray) blocks = NULL;
  guint n = 0;

  g_assert_no_error (error);
  ml_pcapng_writer_attach (w, fx->trace);
  run_scenario (fx);
  g_assert_true (ml_pcapng_writer_close (w, &error));
  g_assert_no_error (error);

  blocks = parse_blocks (fx->path);
  check_header_blocks (blocks);
  g_assert_cmpuint (blocks->len, ==, 2 + G_N_ELEMENTS (expected));
  for (guint i = 2; i < blocks->len; i++, n++)
    {
      const Block *epb = &g_array_index (blocks, Block, i);
      const guint8 *p;
      gsize len;
      guint32 caplen;
      guint64 ts;
      GBytes *want = g_ptr_array_index (fx->hop0_frames, n);
      g_autoptr(GPtrArray) opts = NULL;
      g_autofree char *comments = NULL;

      g_assert_cmphex (epb->type, ==, 6);
      p = g_bytes_get_data (epb->body, &len);
      g_assert_cmpuint (le32 (p), ==, 0);
      ts = (guint64) le32 (p + 4) << 32 | le32 (p + 8);
      g_assert_cmpuint (ts, ==, (guint64) EPOCH_USEC + expected[n].time_us);
      caplen = le32 (p + 12);
      g_assert_cmpuint (le32 (p + 16), ==, caplen);
      g_assert_cmpmem (p + 20, caplen, g_bytes_get_data (want, NULL), g_bytes_get_size (want));
      opts = parse_options (epb->body, 20 + ((caplen + 3u) & ~3u));
      comments = comments_of (opts);
      g_assert_cmpstr (comments, ==, expected[n].comment);
    }
}

static void
test_pcapng_libpcap (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlPcapngWriter) w = ml_pcapng_writer_new (fx->path, EPOCH_USEC, &error);
  g_autoptr(GBytes) keys = g_bytes_new_static ("CLIENT_RANDOM 00 11\n", 20);

  g_assert_no_error (error);
  ml_pcapng_writer_attach (w, fx->trace);
  ml_pcapng_writer_add_secrets (w, ML_PCAPNG_SECRETS_TLS_KEY_LOG, keys);
  run_scenario (fx);
  g_assert_true (ml_pcapng_writer_close (w, &error));
  /* libpcap reads pcapng, skipping the block types it does not know. */
  check_with_libpcap (fx);
}

static void
test_pcapng_secrets (Fixture *fx, gconstpointer data)
{
  static const char keylog[] =
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET 0011 2233\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET 0011 44556\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(MlPcapngWriter) w = ml_pcapng_writer_new (fx->path, 0, &error);
  g_autoptr(GBytes) keys = g_bytes_new_static (keylog, strlen (keylog));
  g_autoptr(GArray) blocks = NULL;
  const Block *dsb;
  const guint8 *p;
  gsize len;

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (keylog) % 4, !=, 0);   /* so padding is exercised */
  ml_pcapng_writer_add_secrets (w, ML_PCAPNG_SECRETS_TLS_KEY_LOG, keys);
  g_assert_true (ml_pcapng_writer_close (w, &error));

  blocks = parse_blocks (fx->path);
  check_header_blocks (blocks);
  g_assert_cmpuint (blocks->len, ==, 3);
  dsb = &g_array_index (blocks, Block, 2);
  g_assert_cmphex (dsb->type, ==, 0x0000000A);
  p = g_bytes_get_data (dsb->body, &len);
  g_assert_cmphex (le32 (p), ==, 0x544c534b);
  g_assert_cmpuint (le32 (p + 4), ==, strlen (keylog));
  g_assert_cmpuint (len, ==, 8 + ((strlen (keylog) + 3) & ~3u));
  g_assert_cmpmem (p + 8, le32 (p + 4), keylog, strlen (keylog));
  for (gsize i = 8 + strlen (keylog); i < len; i++)
    g_assert_cmpuint (p[i], ==, 0);
}

static void
test_pcapng_empty (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlPcapngWriter) w = ml_pcapng_writer_new (fx->path, 0, &error);
  g_autoptr(GArray) blocks = NULL;

  g_assert_no_error (error);
  g_assert_true (ml_pcapng_writer_close (w, &error));
  blocks = parse_blocks (fx->path);
  check_header_blocks (blocks);
  g_assert_cmpuint (blocks->len, ==, 2);
}

static void
test_pcapng_tshark (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlPcapngWriter) w = NULL;
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GString) want = g_string_new (NULL);
  int status;

  if (tshark == NULL)
    {
      g_test_skip ("tshark is not installed");
      return;
    }

  w = ml_pcapng_writer_new (fx->path, EPOCH_USEC, &error);
  g_assert_no_error (error);
  ml_pcapng_writer_attach (w, fx->trace);
  run_scenario (fx);
  g_assert_true (ml_pcapng_writer_close (w, &error));

  {
    const char *argv[] = { tshark, "-n", "-r", fx->path, "-T", "fields",
                           "-E", "occurrence=a", "-E", "aggregator=|",
                           "-e", "frame.comment", NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                  &out, &err, &status, &error);
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, NULL))
      g_error ("tshark failed: %s", err);
  }

  /* tshark prints one line per frame; it shows a newline inside a comment
   * as the two characters "\n". */
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      if (expected[i].comment != NULL)
        {
          g_autofree char *c = g_strdup (expected[i].comment);
          g_auto(GStrv) parts = g_strsplit (c, "\n", -1);
          g_autofree char *joined = g_strjoinv ("\\n", parts);

          g_string_append (want, joined);
        }
      g_string_append_c (want, '\n');
    }
  g_assert_cmpstr (out, ==, want->str);
}

static void
test_tcp_payload_length (void)
{
  g_autoptr(GBytes) f = tcp_frame (25, 49152, 1, 0x18, "250 Ok\r\n");
  g_autoptr(GBytes) ack = tcp_frame (25, 49152, 1, 0x10, NULL);
  gsize len;
  const guint8 *p = g_bytes_get_data (f, &len);
  guint8 copy[128];

  g_assert_cmpuint (ml_pcapng_frame_tcp_payload_length (p, len), ==, 8);
  /* Ethernet padding of a short frame is no payload. */
  p = g_bytes_get_data (ack, &len);
  g_assert_cmpuint (len, ==, 60);
  g_assert_cmpuint (ml_pcapng_frame_tcp_payload_length (p, len), ==, 0);

  p = g_bytes_get_data (f, &len);
  for (gsize cut = 0; cut < len; cut++)
    g_assert_cmpuint (ml_pcapng_frame_tcp_payload_length (p, cut), <=, 8);
  g_assert_cmpuint (ml_pcapng_frame_tcp_payload_length (NULL, 0), ==, 0);

  memcpy (copy, p, len);
  copy[14 + 9] = 17;                                /* UDP */
  g_assert_cmpuint (ml_pcapng_frame_tcp_payload_length (copy, len), ==, 0);
  memcpy (copy, p, len);
  copy[14 + 20 + 12] = 0x40;                        /* data offset 4 < 5 */
  g_assert_cmpuint (ml_pcapng_frame_tcp_payload_length (copy, len), ==, 0);
  memcpy (copy, p, len);
  copy[14 + 20 + 12] = 0xF0;                        /* data offset past the end */
  g_assert_cmpuint (ml_pcapng_frame_tcp_payload_length (copy, len), ==, 0);
  memcpy (copy, p, len);
  copy[12] = 0x86;                                  /* IPv6 EtherType */
  copy[13] = 0xDD;
  g_assert_cmpuint (ml_pcapng_frame_tcp_payload_length (copy, len), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/pcap-writer/hop0", Fixture, "out.pcap",
              fixture_set_up, test_pcap_hop0, fixture_tear_down);
  g_test_add ("/pcap-writer/all-hops", Fixture, "out.pcap",
              fixture_set_up, test_pcap_all_hops, fixture_tear_down);
  g_test_add_func ("/pcap-writer/bad-path", test_pcap_bad_path);
  g_test_add ("/pcapng-writer/blocks-and-comments", Fixture, "out.pcapng",
              fixture_set_up, test_pcapng_blocks, fixture_tear_down);
  g_test_add ("/pcapng-writer/libpcap-reads-it", Fixture, "out.pcapng",
              fixture_set_up, test_pcapng_libpcap, fixture_tear_down);
  g_test_add ("/pcapng-writer/secrets-block", Fixture, "out.pcapng",
              fixture_set_up, test_pcapng_secrets, fixture_tear_down);
  g_test_add ("/pcapng-writer/empty", Fixture, "out.pcapng",
              fixture_set_up, test_pcapng_empty, fixture_tear_down);
  g_test_add ("/pcapng-writer/tshark-comments", Fixture, "out.pcapng",
              fixture_set_up, test_pcapng_tshark, fixture_tear_down);
  g_test_add_func ("/pcapng-writer/tcp-payload-length", test_tcp_payload_length);

  return g_test_run ();
}

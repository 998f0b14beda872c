/* The transcript a class reads: exact text for each kind of event. */
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "trace/transcript-writer.h"

static MlTraceEvent *
dialogue (guint64 t, const char *host, const char *peer, MlDirection dir, const char *text)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_DIALOGUE);

  e->time_us = t;
  e->host = g_strdup (host);
  e->peer = g_strdup (peer);
  e->conn_id = 1;
  e->protocol = ML_PROTO_SMTP;
  e->direction = dir;
  e->text = g_strdup (text);
  return e;
}

static MlTraceEvent *
frame (guint64 t, guint hop, gboolean dropped)
{
  static const guint8 bytes[60] = { 0 };
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_FRAME);

  e->time_us = t;
  e->host = g_strdup (hop == 0 ? "alice-laptop" : "rtr");
  e->peer = g_strdup (hop == 0 ? "rtr" : "smtp.a.example");
  e->protocol = ML_PROTO_TCP;
  e->text = g_strdup ("TCP 49152 → 25 [SYN] Seq=0");
  e->link = g_strdup ("lan-a");
  e->hop = hop;
  e->dropped = dropped;
  e->bytes = g_bytes_new_static (bytes, sizeof bytes);
  return e;
}

static void
test_format_command (void)
{
  g_autoptr(MlTraceEvent) e = dialogue (12345, "alice-laptop", "smtp.a.example",
                                        ML_DIR_CLIENT_TO_SERVER, "MAIL FROM:<alice@a.example>");
  g_autofree char *text = ml_transcript_format_event (e);

  g_assert_cmpstr (text, ==,
                   "   0.012345  alice-laptop → smtp.a.example   SMTP   C: MAIL FROM:<alice@a.example>");
}

static void
test_format_multiline_reply (void)
{
  g_autoptr(MlTraceEvent) e = dialogue (1013000, "smtp.a.example", "alice-laptop",
                                        ML_DIR_SERVER_TO_CLIENT,
                                        "250-smtp.a.example\n250-PIPELINING\n250 8BITMIME");
  g_autofree char *text = ml_transcript_format_event (e);

  g_assert_cmpstr (text, ==,
                   "   1.013000  smtp.a.example → alice-laptop   SMTP   S: 250-smtp.a.example\n"
                   "                                                       250-PIPELINING\n"
                   "                                                       250 8BITMIME");
}

static void
test_format_state (void)
{
  g_autoptr(MlTraceEvent) e = ml_trace_event_new (ML_TRACE_STATE);
  g_autofree char *text = NULL;

  e->time_us = 13000;
  e->host = g_strdup ("smtp.a.example");
  e->peer = g_strdup ("alice-laptop");
  e->protocol = ML_PROTO_SMTP;
  e->state_from = g_strdup ("READY");
  e->state_to = g_strdup ("MAIL");
  text = ml_transcript_format_event (e);
  g_assert_cmpstr (text, ==,
                   "   0.013000  smtp.a.example                  SMTP   state READY → MAIL");
}

static void
test_format_dns_note_store (void)
{
  g_autoptr(MlTraceEvent) dns = ml_trace_event_new (ML_TRACE_DNS);
  g_autoptr(MlTraceEvent) nx = ml_trace_event_new (ML_TRACE_DNS);
  g_autoptr(MlTraceEvent) note = ml_trace_event_new (ML_TRACE_NOTE);
  g_autoptr(MlTraceEvent) store = ml_trace_event_new (ML_TRACE_STORE);
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL;

  dns->time_us = 2000000;
  dns->host = g_strdup ("smtp.a.example");
  dns->text = g_strdup ("MX b.example");
  dns->detail = g_strdup ("10 mx.b.example, 20 mx2.b.example");
  nx->time_us = 12345678901;
  nx->host = g_strdup ("smtp.a.example");
  nx->text = g_strdup ("MX nowhere.example");
  nx->detail = g_strdup ("NXDOMAIN");
  note->host = g_strdup ("smtp.a.example");
  note->text = g_strdup ("queued");
  note->detail = g_strdup ("as 1A2B");
  store->time_us = 5;
  store->host = g_strdup ("mail.b.example");
  store->text = g_strdup ("append");
  store->account = g_strdup ("bob");
  store->mailbox = g_strdup ("INBOX");
  store->uid = 3;

  t1 = ml_transcript_format_event (dns);
  t2 = ml_transcript_format_event (nx);
  t3 = ml_transcript_format_event (note);
  t4 = ml_transcript_format_event (store);
  g_assert_cmpstr (t1, ==, "   2.000000  smtp.a.example                  DNS    MX b.example → 10 mx.b.example, 20 mx2.b.example");
  /* Past 9999 s the time column grows instead of being cut. */
  g_assert_cmpstr (t2, ==, "12345.678901  smtp.a.example                  DNS    MX nowhere.example → NXDOMAIN");
  g_assert_cmpstr (t3, ==, "   0.000000  smtp.a.example                  NOTE   queued: as 1A2B");
  g_assert_cmpstr (t4, ==, "   0.000005  mail.b.example                  STORE  append bob/INBOX UID 3");
}

static void
test_format_frame (void)
{
  g_autoptr(MlTraceEvent) lost = frame (1000, 0, TRUE);
  g_autoptr(MlTraceEvent) routed = frame (1500, 1, FALSE);
  g_autofree char *t1 = ml_transcript_format_event (lost);
  g_autofree char *t2 = ml_transcript_format_event (routed);

  g_assert_cmpstr (t1, ==, "   0.001000  alice-laptop → rtr              TCP    TCP 49152 → 25 [SYN] Seq=0 [lost on lan-a]");
  g_assert_cmpstr (t2, ==, "   0.001500  rtr → smtp.a.example            TCP    TCP 49152 → 25 [SYN] Seq=0 (hop 1)");
}

static void
test_format_hostile_text (void)
{
  g_autoptr(MlTraceEvent) e = dialogue (0, "mx.b.example", NULL, ML_DIR_CLIENT_TO_SERVER,
                                        "EHLO \x1b[2Jevil\xff");
  g_autofree char *text = ml_transcript_format_event (e);

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpstr (text, ==,
                   "   0.000000  mx.b.example                    SMTP   C: EHLO \\x1B[2Jevil\xef\xbf\xbd");
}

/* Streaming through the trace: frames only with show_frames, one line per
 * event (and per reply line), nothing after close. */
static void
run_stream (gboolean show_frames, char **out)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr(MlTranscriptWriter) w = ml_transcript_writer_new (mem);
  g_autoptr(GError) error = NULL;

  ml_transcript_writer_set_show_frames (w, show_frames);
  ml_transcript_writer_attach (w, trace);
  ml_trace_append (trace, frame (1000, 0, FALSE));
  ml_trace_append (trace, dialogue (2000, "smtp.a.example", "alice-laptop",
                                    ML_DIR_SERVER_TO_CLIENT, "220 smtp.a.example ESMTP"));
  g_assert_true (ml_transcript_writer_close (w, &error));
  g_assert_no_error (error);
  ml_trace_append (trace, dialogue (3000, "alice-laptop", "smtp.a.example",
                                    ML_DIR_CLIENT_TO_SERVER, "QUIT"));

  g_output_stream_write_all (mem, "", 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (mem, NULL, &error);
  g_assert_no_error (error);
  *out = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (mem));
}

static void
test_stream (void)
{
  g_autofree char *plain = NULL;
  g_autofree char *frames = NULL;

  run_stream (FALSE, &plain);
  run_stream (TRUE, &frames);
  g_assert_cmpstr (plain, ==,
                   "   0.002000  smtp.a.example → alice-laptop   SMTP   S: 220 smtp.a.example ESMTP\n");
  g_assert_cmpstr (frames, ==,
                   "   0.001000  alice-laptop → rtr              TCP    TCP 49152 → 25 [SYN] Seq=0\n"
                   "   0.002000  smtp.a.example → alice-laptop   SMTP   S: 220 smtp.a.example ESMTP\n");
}

static void
test_stdio (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  int fd = g_file_open_tmp ("ml-transcript-XXXXXX", &path, &error);
  FILE *f;
  g_autoptr(MlTranscriptWriter) w = NULL;
  g_autoptr(MlTraceEvent) e = dialogue (0, "a", "b", ML_DIR_CLIENT_TO_SERVER, "NOOP");

  g_assert_no_error (error);
  f = fdopen (fd, "w");
  g_assert_nonnull (f);
  w = ml_transcript_writer_new_for_stdio (f);
  ml_transcript_writer_write_event (w, e);
  g_assert_true (ml_transcript_writer_close (w, &error));
  g_assert_no_error (error);
  fclose (f);
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_unlink (path);
  g_assert_cmpstr (contents, ==,
                   "   0.000000  a → b                           SMTP   C: NOOP\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/transcript-writer/format/command", test_format_command);
  g_test_add_func ("/transcript-writer/format/multiline-reply", test_format_multiline_reply);
  g_test_add_func ("/transcript-writer/format/state", test_format_state);
  g_test_add_func ("/transcript-writer/format/dns-note-store", test_format_dns_note_store);
  g_test_add_func ("/transcript-writer/format/frame", test_format_frame);
  g_test_add_func ("/transcript-writer/format/hostile-text", test_format_hostile_text);
  g_test_add_func ("/transcript-writer/stream", test_stream);
  g_test_add_func ("/transcript-writer/stdio", test_stdio);

  return g_test_run ();
}

/* maillab-cli inspect FILE — the mail dialogues in a pcap or pcapng file. */
#include "ml-config.h"

#include <errno.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include "cli/cli.h"
#include "capture/capture-reader.h"
#include "trace/transcript-writer.h"
#include "trace/json-writer.h"

typedef struct {
  const char *dir;
  guint       saved;
  GError     *error;  /* the first failure to save */
} MessageSaver;

static void
save_message (guint conn_id, guint index, MlProtocol protocol, GBytes *message,
              gpointer user_data)
{
  MessageSaver *saver = user_data;
  g_autofree char *proto = g_ascii_strdown (ml_protocol_to_string (protocol), -1);
  g_autofree char *name = g_strdup_printf ("flow%u-%s-%u.eml", conn_id, proto, index);
  g_autofree char *path = g_build_filename (saver->dir, name, NULL);
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  if (saver->error == NULL && !g_file_set_contents (path, data ? data : "", (gssize) len, &saver->error))
    return;
  saver->saved++;
}

static void
print_protocol_stats (const char *name, const MlCaptureProtocolStats *s)
{
  if (s->flows == 0)
    return;
  printf ("%-5s %u flows, %" G_GUINT64_FORMAT " commands, %" G_GUINT64_FORMAT " replies",
          name, s->flows, s->commands, s->replies);
  printf (" (2xx/OK %" G_GUINT64_FORMAT ", 3xx/continue %" G_GUINT64_FORMAT
          ", 4xx/NO %" G_GUINT64_FORMAT ", 5xx/ERR/BAD %" G_GUINT64_FORMAT ")\n",
          s->replies_by_class[2], s->replies_by_class[3], s->replies_by_class[4],
          s->replies_by_class[5]);
  printf ("      %" G_GUINT64_FORMAT " payload bytes, %" G_GUINT64_FORMAT " in TLS (%.1f%%)"
          ", %" G_GUINT64_FORMAT " not captured, %u messages, %u credentials in clear\n",
          s->payload_bytes, s->tls_bytes,
          s->payload_bytes ? 100.0 * (double) s->tls_bytes / (double) s->payload_bytes : 0.0,
          s->gap_bytes, s->messages, s->credentials_in_clear);
}

static void
print_stats (const MlCaptureStats *st)
{
  guint64 payload = st->smtp.payload_bytes + st->pop3.payload_bytes + st->imap.payload_bytes;
  guint64 tls = st->smtp.tls_bytes + st->pop3.tls_bytes + st->imap.tls_bytes;

  printf ("packets %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " TCP, %" G_GUINT64_FORMAT
          " other), %" G_GUINT64_FORMAT " bytes captured\n",
          st->packets, st->tcp_packets, st->other_packets, st->bytes);
  printf ("flows   %u TCP, %u mail", st->flows, st->smtp.flows + st->pop3.flows + st->imap.flows);
  if (st->evicted_flows)
    printf (", %u dropped at the %d-flow limit", st->evicted_flows, ML_CAPTURE_MAX_FLOWS);
  printf ("\n");
  print_protocol_stats ("SMTP", &st->smtp);
  print_protocol_stats ("POP3", &st->pop3);
  print_protocol_stats ("IMAP", &st->imap);
  printf ("TLS     %.1f%% of the mail payload is encrypted\n",
          payload ? 100.0 * (double) tls / (double) payload : 0.0);
}

/* JSON lines on stdout, as `maillab-cli run --json` writes them. */
static void
print_json (MlTrace *trace, const MlTraceEvent *event, gpointer user_data)
{
  g_autofree char *line = ml_json_format_event (event);

  (void) trace;
  (void) user_data;
  fputs (line, stdout);
  fputc ('\n', stdout);
}

int
ml_cli_inspect (int argc, char **argv)
{
  g_auto(GStrv) ports = NULL;
  g_autofree char *messages_dir = NULL;
  gboolean json = FALSE, stats = FALSE, frames = FALSE;
  gint flow = 0;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &ports, "Read a port as a protocol (smtp=2525, imaps=1993; repeatable)", "PROTO=PORT" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print every trace event as JSON lines", NULL },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &stats, "Print statistics only (flows, commands, replies by class, bytes, TLS share)", NULL },
    { "flow", 0, 0, G_OPTION_ARG_INT, &flow, "Only connection N (as numbered in the transcript, from 1)", "N" },
    { "messages", 0, 0, G_OPTION_ARG_FILENAME, &messages_dir, "Save each message carried as DIR/flowN-PROTO-M.eml", "DIR" },
    { "frames", 'f', 0, G_OPTION_ARG_NONE, &frames, "Show every frame in the transcript", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("FILE — the mail dialogues in a capture");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = NULL;
  g_autoptr(MlCaptureReader) reader = NULL;
  g_autoptr(MlTranscriptWriter) transcript = NULL;
  MlTraceSubscription json_sub = { 0 };
  MlCaptureOptions options;
  MessageSaver saver = { 0 };
  gboolean ok;
  int status = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx, "FILE is a pcap or pcapng file. SMTP, POP3 and IMAP are found by port "
                                     "(25, 465, 587, 110, 995, 143, 993) and by what the server says first.");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "maillab-cli inspect: %s\n", error->message);
      return 2;
    }
  if (argc != 2 || flow < 0)
    {
      g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
      fprintf (stderr, "%s", help);
      return 2;
    }

  ml_capture_options_init (&options);
  for (guint i = 0; ports && ports[i]; i++)
    if (!ml_capture_options_add_port (&options, ports[i], &error))
      {
        fprintf (stderr, "maillab-cli inspect: %s\n", error->message);
        return 2;
      }
  options.only_flow = (guint) flow;
  /* Frames cost time and memory; only the JSON and --frames show them. */
  options.frames = json || frames;
  /* --stats alone prints no line: none is made. */
  options.dialogue = !stats || json;
  if (messages_dir)
    {
      if (g_mkdir_with_parents (messages_dir, 0755) != 0)
        {
          int saved = errno;
          fprintf (stderr, "maillab-cli inspect: %s: %s\n", messages_dir, g_strerror (saved));
          return 1;
        }
      saver.dir = messages_dir;
      options.message_func = save_message;
      options.message_data = &saver;
    }

  trace = ml_trace_new ();
  /* Streamed: each event is printed and dropped. */
  ml_trace_set_keep_events (trace, FALSE);
  if (json)
    {
      ml_trace_subscribe (&json_sub, trace, print_json, NULL);
    }
  else if (!stats)
    {
      printf ("# capture %s\n", argv[1]);
      transcript = ml_transcript_writer_new_for_stdio (stdout);
      ml_transcript_writer_set_show_frames (transcript, frames);
      ml_transcript_writer_attach (transcript, trace);
    }
  reader = ml_capture_reader_new (trace, &options);
  ok = ml_capture_reader_read_file (reader, argv[1], NULL, NULL, NULL, &error);
  if (!ok && g_error_matches (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_OPEN))
    {
      fprintf (stderr, "maillab-cli inspect: %s\n", error->message);
      return 1;
    }
  {
    g_autoptr(GError) close_error = NULL;
    ml_trace_unsubscribe (&json_sub);
    if (transcript && !ml_transcript_writer_close (transcript, &close_error))
      {
        fprintf (stderr, "maillab-cli inspect: %s\n", close_error->message);
        return 1;
      }
  }
  if (stats)
    print_stats (ml_capture_reader_get_stats (reader));
  fflush (stdout);
  if (saver.error)
    {
      fprintf (stderr, "maillab-cli inspect: %s\n", saver.error->message);
      g_error_free (saver.error);
      status = 1;
    }
  else if (messages_dir)
    fprintf (stderr, "maillab-cli inspect: %u messages saved in %s\n", saver.saved, messages_dir);
  if (!ok)
    {
      /* Everything before the damage was printed. */
      fprintf (stderr, "maillab-cli inspect: %s\n", error->message);
      status = 1;
    }
  return status;
}

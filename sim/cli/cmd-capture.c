/* maillab-cli capture — live capture, the dialogue printed as it happens. */
#include "ml-config.h"

#include <signal.h>
#include <stdio.h>
#include "cli/cli.h"
#include "capture/capture-live.h"
#include "trace/transcript-writer.h"
#include "trace/json-writer.h"

/* How long one wait for packets lasts: short enough that Ctrl-C, --count
 * and --duration are noticed at once. */
#define CAPTURE_POLL_MS  200

static volatile sig_atomic_t interrupted;

static void
on_signal (int signum)
{
  (void) signum;
  interrupted = 1;
}

static int
list_devices (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devs = ml_capture_list_devices (&error);

  if (devs == NULL)
    {
      fprintf (stderr, "maillab-cli capture: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < devs->len; i++)
    {
      MlCaptureDevice *d = g_ptr_array_index (devs, i);
      printf ("%-16s %s%s\n", d->name, d->up ? "up" : "down",
              d->loopback ? ", loopback" : "");
      if (d->description)
        printf ("%-16s %s\n", "", d->description);
    }
  return 0;
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
ml_cli_capture (int argc, char **argv)
{
  g_autofree char *iface = NULL;
  g_autofree char *filter = NULL;
  g_autofree char *save_path = NULL;
  g_auto(GStrv) ports = NULL;
  gboolean list = FALSE, json = FALSE, frames = FALSE;
  gdouble duration = 0;
  gint64 count = 0;
  GOptionEntry entries[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &iface, "Interface to capture on (default: the first one up)", "IFACE" },
    { "filter", 'f', 0, G_OPTION_ARG_STRING, &filter, "BPF filter, as for tcpdump ('tcp port 25')", "FILTER" },
    { "write", 'w', 0, G_OPTION_ARG_FILENAME, &save_path, "Also save the packets to a pcap file", "FILE" },
    { "list", 'D', 0, G_OPTION_ARG_NONE, &list, "List the interfaces and exit", NULL },
    { "port", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &ports, "Read a port as a protocol (smtp=2525; repeatable)", "PROTO=PORT" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print every trace event as JSON lines", NULL },
    { "frames", 0, 0, G_OPTION_ARG_NONE, &frames, "Show every frame in the transcript", NULL },
    { "duration", 'a', 0, G_OPTION_ARG_DOUBLE, &duration, "Stop after SECONDS (default: at Ctrl-C)", "SECONDS" },
    { "count", 'c', 0, G_OPTION_ARG_INT64, &count, "Stop after N packets", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— capture live and print the mail dialogues");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = NULL;
  g_autoptr(MlCaptureLive) live = NULL;
  g_autoptr(MlTranscriptWriter) transcript = NULL;
  MlTraceSubscription json_sub = { 0 };
  MlCaptureOptions options;
  struct sigaction sa = { 0 };
  gint64 deadline;
  int status = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "maillab-cli capture: %s\n", error->message);
      return 2;
    }
  if (argc != 1)
    {
      g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
      fprintf (stderr, "%s", help);
      return 2;
    }
  if (list)
    return list_devices ();

  ml_capture_options_init (&options);
  for (guint i = 0; ports && ports[i]; i++)
    if (!ml_capture_options_add_port (&options, ports[i], &error))
      {
        fprintf (stderr, "maillab-cli capture: %s\n", error->message);
        return 2;
      }
  options.frames = json || frames;

  trace = ml_trace_new ();
  ml_trace_set_keep_events (trace, FALSE);
  live = ml_capture_live_new (iface, filter, trace, &options, &error);
  if (live == NULL || (save_path && !ml_capture_live_save_to (live, save_path, &error)))
    {
      fprintf (stderr, "maillab-cli capture: %s\n", error->message);
      return 1;
    }
  if (json)
    {
      ml_trace_subscribe (&json_sub, trace, print_json, NULL);
    }
  else
    {
      transcript = ml_transcript_writer_new_for_stdio (stdout);
      ml_transcript_writer_set_show_frames (transcript, frames);
      ml_transcript_writer_attach (transcript, trace);
    }

  sa.sa_handler = on_signal;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  /* Live mode: the wall clock decides when to stop. */
  deadline = duration > 0 ? g_get_monotonic_time () + (gint64) (duration * G_USEC_PER_SEC) : 0;
  fprintf (stderr, "maillab-cli capture: capturing%s%s (Ctrl-C to stop)\n",
           filter ? " with filter " : "", filter ? filter : "");
  while (!interrupted)
    {
      int wait_ms = CAPTURE_POLL_MS;
      if (deadline)
        {
          gint64 left = deadline - g_get_monotonic_time ();
          if (left <= 0)
            break;
          wait_ms = (int) MIN ((gint64) CAPTURE_POLL_MS, left / 1000 + 1);
        }
      if (ml_capture_live_poll (live, wait_ms, &error) < 0)
        {
          fprintf (stderr, "maillab-cli capture: %s\n", error->message);
          status = 1;
          break;
        }
      fflush (stdout);
      if (count > 0 && (gint64) ml_capture_live_get_stats (live)->packets >= count)
        break;
    }
  ml_capture_live_stop (live);
  {
    g_autoptr(GError) close_error = NULL;
    ml_trace_unsubscribe (&json_sub);
    if (transcript && !ml_transcript_writer_close (transcript, &close_error))
      {
        fprintf (stderr, "maillab-cli capture: %s\n", close_error->message);
        status = 1;
      }
  }
  fprintf (stderr, "maillab-cli capture: %" G_GUINT64_FORMAT " packets, %u TCP flows\n",
           ml_capture_live_get_stats (live)->packets, ml_capture_live_get_stats (live)->flows);
  return status;
}

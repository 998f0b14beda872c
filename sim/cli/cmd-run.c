/* maillab-cli run LESSON — play a lesson headless, print its transcript. */
#include "ml-config.h"

#include <stdio.h>
#include "cli/cli.h"
#include "lesson/lesson.h"
#include "lesson/lessons-dir.h"
#include "world/world.h"
#include "trace/transcript-writer.h"
#include "trace/json-writer.h"
#include "trace/pcap-writer.h"
#include "trace/pcapng-writer.h"

int
ml_cli_run (int argc, char **argv)
{
  gint64 seed = -1;
  g_autofree char *pcap_path = NULL;
  g_autofree char *pcapng_path = NULL;
  g_autofree char *json_path = NULL;
  gboolean quiet = FALSE, frames = FALSE, all_hops = FALSE, version = FALSE;
  GOptionEntry entries[] = {
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed of the run (default: the lesson's)", "N" },
    { "pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap_path, "Write the frames to a pcap file", "FILE" },
    { "pcapng", 0, 0, G_OPTION_ARG_FILENAME, &pcapng_path, "Write a pcapng file with the dialogue as packet comments", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Write every trace event as JSON lines", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print no transcript", NULL },
    { "frames", 'f', 0, G_OPTION_ARG_NONE, &frames, "Show every frame in the transcript", NULL },
    { "all-hops", 0, 0, G_OPTION_ARG_NONE, &all_hops, "Capture every hop, not only each frame's first", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Show the version", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("LESSON — run a lesson headless");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(MlLesson) lesson = NULL;
  g_autoptr(MlTrace) trace = NULL;
  g_autoptr(MlWorld) world = NULL;
  g_autoptr(MlTranscriptWriter) transcript = NULL;
  g_autoptr(MlJsonWriter) json = NULL;
  g_autoptr(MlPcapWriter) pcap = NULL;
  g_autoptr(MlPcapngWriter) pcapng = NULL;
  gint64 epoch;
  int status = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx, "LESSON is a file, a lesson name (01-smtp-journey) or its number (01).");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "maillab-cli run: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      printf ("maillab-cli %s\n", ML_VERSION);
      return 0;
    }
  if (argc != 2)
    {
      g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
      fprintf (stderr, "%s", help);
      return 2;
    }

  path = ml_lessons_dir_find (argv[1], &error);
  if (path == NULL || (lesson = ml_lesson_load_file (path, &error)) == NULL)
    {
      fprintf (stderr, "maillab-cli run: %s\n", error->message);
      return 1;
    }

  trace = ml_trace_new ();
  /* The CLI only streams: writers see each event as it is appended, and
   * nothing needs the whole trace in memory afterwards. */
  ml_trace_set_keep_events (trace, FALSE);
  epoch = lesson->epoch_unix * G_USEC_PER_SEC;

  if (!quiet)
    {
      transcript = ml_transcript_writer_new_for_stdio (stdout);
      ml_transcript_writer_set_show_frames (transcript, frames);
      ml_transcript_writer_attach (transcript, trace);
    }
  if (json_path && (json = ml_json_writer_new_for_path (json_path, &error)) == NULL)
    goto fail;
  if (json)
    ml_json_writer_attach (json, trace);
  if (pcap_path && (pcap = ml_pcap_writer_new (pcap_path, epoch, &error)) == NULL)
    goto fail;
  if (pcap)
    {
      ml_pcap_writer_set_all_hops (pcap, all_hops);
      ml_pcap_writer_attach (pcap, trace);
    }
  if (pcapng_path && (pcapng = ml_pcapng_writer_new (pcapng_path, epoch, &error)) == NULL)
    goto fail;
  if (pcapng)
    {
      ml_pcapng_writer_set_all_hops (pcapng, all_hops);
      ml_pcapng_writer_attach (pcapng, trace);
    }

  if (!quiet)
    printf ("# %s — %s\n", lesson->id, lesson->title);

  world = ml_world_new (lesson, seed >= 0 ? (guint32) seed : lesson->seed, trace, &error);
  if (world == NULL)
    goto fail;
  ml_world_run (world);

  if ((transcript && !ml_transcript_writer_close (transcript, &error))
      || (json && !ml_json_writer_close (json, &error))
      || (pcap && !ml_pcap_writer_close (pcap, &error))
      || (pcapng && !ml_pcapng_writer_close (pcapng, &error)))
    goto fail;
  return status;

fail:
  fprintf (stderr, "maillab-cli run: %s\n", error->message);
  return 1;
}

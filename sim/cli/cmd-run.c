/* maillab-cli run LESSON — play a lesson headless, print its transcript. */
#include "ml-config.h"

#include <stdio.h>
#include <errno.h>
#include <string.h>
#include "cli/cli.h"
#include "lesson/lesson.h"
#include "lesson/lessons-dir.h"
#include "world/world.h"
#include "trace/transcript-writer.h"
#include "trace/json-writer.h"
#include "trace/pcap-writer.h"
#include "trace/pcapng-writer.h"

/* Where a run's TLS secrets go: the --keylog file (SSLKEYLOGFILE format,
 * as Wireshark's tls.keylog_file reads it) and the pcapng's Decryption
 * Secrets Blocks (pcapng 4.7), so `tshark -r out.pcapng` decrypts with
 * nothing else. */
typedef struct {
  FILE           *file;
  int             file_errno;   /* first write error, 0 if none */
  MlPcapngWriter *pcapng;
} KeylogSinks;

static void
on_keylog_line (const char *line, gpointer user_data)
{
  KeylogSinks *sinks = user_data;

  if (sinks->file != NULL && sinks->file_errno == 0
      && fprintf (sinks->file, "%s\n", line) < 0)
    sinks->file_errno = errno;
  if (sinks->pcapng != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s\n", line);
      g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

      /* Written at once: readers use only secrets that come before the
       * packets they decrypt, and the records follow this handshake. */
      ml_pcapng_writer_add_secrets (sinks->pcapng, ML_PCAPNG_SECRETS_TLS_KEY_LOG, bytes);
    }
}

int
ml_cli_run (int argc, char **argv)
{
  gint64 seed = -1;
  g_autofree char *pcap_path = NULL;
  g_autofree char *pcapng_path = NULL;
  g_autofree char *json_path = NULL;
  g_autofree char *keylog_path = NULL;
  KeylogSinks keylog = { 0 };
  gboolean quiet = FALSE, frames = FALSE, all_hops = FALSE, version = FALSE;
  GOptionEntry entries[] = {
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed of the run (default: the lesson's)", "N" },
    { "pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap_path, "Write the frames to a pcap file", "FILE" },
    { "pcapng", 0, 0, G_OPTION_ARG_FILENAME, &pcapng_path, "Write a pcapng file with the dialogue as packet comments", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Write every trace event as JSON lines", "FILE" },
    { "keylog", 0, 0, G_OPTION_ARG_FILENAME, &keylog_path, "Write the TLS secrets as an NSS key log (SSLKEYLOGFILE)", "FILE" },
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

  if (keylog_path && (keylog.file = fopen (keylog_path, "w")) == NULL)
    {
      int saved = errno;
      g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "%s: %s", keylog_path, g_strerror (saved));
      goto fail;
    }
  keylog.pcapng = pcapng;

  world = ml_world_new (lesson, seed >= 0 ? (guint32) seed : lesson->seed, trace, &error);
  if (world == NULL)
    goto fail;
  ml_tls_context_set_keylog_func (ml_world_get_tls (world), on_keylog_line, &keylog);
  ml_world_run (world);
  if (keylog.file != NULL)
    {
      FILE *file = g_steal_pointer (&keylog.file);

      if (fclose (file) != 0 && keylog.file_errno == 0)
        keylog.file_errno = errno;
      if (keylog.file_errno != 0)
        {
          g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (keylog.file_errno),
                       "%s: %s", keylog_path, g_strerror (keylog.file_errno));
          goto fail;
        }
    }

  if ((transcript && !ml_transcript_writer_close (transcript, &error))
      || (json && !ml_json_writer_close (json, &error))
      || (pcap && !ml_pcap_writer_close (pcap, &error))
      || (pcapng && !ml_pcapng_writer_close (pcapng, &error)))
    goto fail;
  return status;

fail:
  if (keylog.file != NULL)
    fclose (keylog.file);
  fprintf (stderr, "maillab-cli run: %s\n", error->message);
  return 1;
}

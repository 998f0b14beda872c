/* maillab-cli lesson list|run|check — lessons in a terminal: the list, a
 * graded run with questions on stdin (or from an answer file), and the
 * validator teachers run on a lesson they write. The runner does the
 * work (sim/lesson/lesson-runner.h); this file only prints and reads. */
#include "ml-config.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "lesson/lesson.h"
#include "lesson/lesson-markdown.h"
#include "lesson/lesson-runner.h"
#include "lesson/lessons-dir.h"

#define MAX_EXCERPT_LINES  40    /* dialogue lines shown per step */
#define MAX_ANSWER_LINE    4096  /* bytes of one line of an answer file or stdin */

/* A lesson's Markdown (lesson-markdown.h): bold and colours only when
 * stdout is a terminal, plain text into a pipe or a file. Transfer full. */
static char *
md (const char *text)
{
  return ml_markdown_to_terminal (text, isatty (STDOUT_FILENO));
}

/* ---- list ------------------------------------------------------------------ */

static GPtrArray *
lesson_files (const char *dir, GError **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  GPtrArray *files;
  const char *name;

  if (d == NULL)
    return NULL;
  files = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".yaml"))
      g_ptr_array_add (files, g_build_filename (dir, name, NULL));
  return files;
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
lesson_list (int argc, char **argv)
{
  const char *dir = ml_lessons_dir_get ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = lesson_files (dir, &error);
  int status = 0;

  if (files == NULL)
    {
      fprintf (stderr, "maillab-cli lesson list: %s\n", error->message);
      return 1;
    }
  g_ptr_array_sort (files, compare_paths);
  printf ("%-32s %-13s %4s  %s\n", "ID", "LEVEL", "MIN", "TITLE");
  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr(GError) load_error = NULL;
      g_autoptr(MlLesson) lesson = ml_lesson_load_file (files->pdata[i], &load_error);

      if (lesson == NULL)
        {
          fprintf (stderr, "%s\n", load_error->message);
          status = 1;
          continue;
        }
      if (lesson->minutes > 0)
        printf ("%-32s %-13s %4u  %s\n", lesson->id, lesson->level ? lesson->level : "-",
                lesson->minutes, lesson->title);
      else
        printf ("%-32s %-13s %4s  %s\n", lesson->id, lesson->level ? lesson->level : "-",
                "-", lesson->title);
    }
  return status;
}

/* ---- check ----------------------------------------------------------------- */

static int
lesson_check (int argc, char **argv)
{
  int status = 0;

  if (argc < 2)
    {
      fprintf (stderr, "usage: maillab-cli lesson check FILE...\n");
      return 2;
    }
  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MlLesson) lesson = ml_lesson_load_file (argv[i], &error);
      g_autofree char *dir = g_path_get_dirname (argv[i]);

      if (lesson == NULL || !ml_lesson_check_prerequisites (lesson, dir, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          status = 1;
          continue;
        }
      printf ("%s: ok (%u steps, %u questions, %u checks)\n", argv[i], lesson->steps->len,
              lesson->questions->len, lesson->checks->len);
    }
  return status;
}

/* ---- run ------------------------------------------------------------------- */

/* An answer file: one "id: answer" per line, '#' starts a comment line;
 * the answer may be in single or double quotes. This is the subset of
 * YAML a flat mapping of scalars needs, so a .yaml file works. */
static GHashTable *
read_answers (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTable *answers;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      char *colon;
      char *value;
      gsize len;

      if (*line == '\0' || *line == '#' || strcmp (line, "---") == 0)
        continue;
      colon = strchr (line, ':');
      if (colon == NULL || strlen (line) > MAX_ANSWER_LINE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s:%u:1: expected \"id: answer\"", path, i + 1);
          g_hash_table_unref (answers);
          return NULL;
        }
      *colon = '\0';
      value = g_strstrip (colon + 1);
      len = strlen (value);
      if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0])
        {
          value[len - 1] = '\0';
          value++;
        }
      g_hash_table_replace (answers, g_strdup (g_strstrip (line)), g_strdup (value));
    }
  return answers;
}

static void
print_excerpt (MlTrace *trace, guint64 start, guint64 end)
{
  guint shown = 0, more = 0;

  for (guint64 i = start; i < end; i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);
      g_auto(GStrv) lines = NULL;

      if (e == NULL || e->kind != ML_TRACE_DIALOGUE || e->text == NULL)
        continue;
      lines = g_strsplit (e->text, "\n", -1);
      for (guint l = 0; lines[l] != NULL; l++)
        {
          if (shown >= MAX_EXCERPT_LINES)
            {
              more++;
              continue;
            }
          printf ("    %s %s: %s\n",
                  e->direction == ML_DIR_CLIENT_TO_SERVER ? "C" : "S",
                  e->host ? e->host : "?", lines[l]);
          shown++;
        }
    }
  if (more > 0)
    printf ("    … %u more lines (maillab-cli run shows them all)\n", more);
}

static char *
read_stdin_line (void)
{
  char buf[MAX_ANSWER_LINE];

  fflush (stdout);
  if (fgets (buf, sizeof buf, stdin) == NULL)
    return g_strdup ("");
  return g_strstrip (g_strdup (buf));
}

static void
ask (MlLessonRunner *runner, const MlLessonQuestion *q, GHashTable *answers)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *typed = NULL;
  const char *answer;
  const char *feedback = NULL;
  gboolean correct = FALSE;
  g_autofree char *asked = md (q->ask);
  g_autofree char *told = NULL;

  printf ("\n  ? [%s] %s\n", q->id, asked);
  if (q->kind == ML_LESSON_QUESTION_CHOICE)
    for (guint i = 0; q->choices[i] != NULL; i++)
      printf ("      %u. %s\n", i + 1, q->choices[i]);
  if (q->kind == ML_LESSON_QUESTION_PREDICT)
    printf ("      (the reply's code, like 250, or its status, like +OK or NO)\n");
  if (answers != NULL)
    {
      answer = g_hash_table_lookup (answers, q->id);
      if (answer == NULL)
        answer = "";
      printf ("    > %s\n", answer);
    }
  else
    {
      printf ("    > ");
      typed = read_stdin_line ();
      answer = typed;
    }
  if (!ml_lesson_runner_answer (runner, q->id, answer, &correct, &feedback, &error))
    {
      printf ("    (%s)\n", error->message);
      return;
    }
  told = md (feedback);
  printf ("    %s %s\n", correct ? "✓" : "✗", told);
  if (!correct)
    {
      g_autofree char *expected = ml_lesson_runner_dup_expected (runner, q->id);

      if (expected != NULL)
        printf ("      (expected: %s)\n", expected);
    }
}

static int
lesson_run (int argc, char **argv)
{
  gint64 seed = -1;
  g_autofree char *answers_path = NULL;
  g_autofree char *results_path = NULL;
  g_autofree char *format = NULL;
  GOptionEntry entries[] = {
    { "answers", 'a', 0, G_OPTION_ARG_FILENAME, &answers_path, "Take the answers from FILE (lines \"id: answer\") instead of stdin", "FILE" },
    { "results", 'r', 0, G_OPTION_ARG_FILENAME, &results_path, "Write one row per question and check to FILE", "FILE" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "json or csv (default: from the --results file name, else json)", "FORMAT" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed of the run (default: the lesson's)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("NAME — work through a lesson, graded");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(MlLesson) lesson = NULL;
  g_autoptr(GHashTable) answers = NULL;
  g_autoptr(MlLessonRunner) runner = NULL;
  MlLessonResultsFormat results_format = ML_LESSON_RESULTS_JSON;
  MlLessonItem item;
  guint64 shown = 0, step_end = 0;
  guint earned, possible;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "maillab-cli lesson run: %s\n", error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
      fprintf (stderr, "%s", help);
      return 2;
    }
  if (format != NULL && g_ascii_strcasecmp (format, "csv") == 0)
    results_format = ML_LESSON_RESULTS_CSV;
  else if (format != NULL && g_ascii_strcasecmp (format, "json") != 0)
    {
      fprintf (stderr, "maillab-cli lesson run: --format is json or csv, not %s\n", format);
      return 2;
    }
  else if (format == NULL && results_path != NULL && g_str_has_suffix (results_path, ".csv"))
    results_format = ML_LESSON_RESULTS_CSV;

  path = ml_lessons_dir_find (argv[1], &error);
  if (path == NULL || (lesson = ml_lesson_load_file (path, &error)) == NULL)
    goto fail;
  if (answers_path != NULL && (answers = read_answers (answers_path, &error)) == NULL)
    goto fail;
  runner = ml_lesson_runner_new (lesson, seed >= 0 ? (guint32) seed : lesson->seed);
  if (!ml_lesson_runner_run (runner, &error))
    goto fail;

  printf ("# %s — %s\n", lesson->id, lesson->title);
  if (lesson->summary)
    {
      g_autofree char *summary = md (lesson->summary);

      printf ("\n%s\n\n", summary);
    }
  for (guint i = 0; lesson->goals != NULL && lesson->goals[i] != NULL; i++)
    printf ("%s %s\n", i == 0 ? "\nGoals:\n  -" : "  -", lesson->goals[i]);

  /* A step's dialogue is shown up to each predicted reply, the question
   * asked, then the rest: the student must not see the answer first. */
  while (ml_lesson_runner_next_item (runner, &item))
    {
      gboolean prediction = item.kind == ML_LESSON_ITEM_QUESTION &&
                            item.question->kind == ML_LESSON_QUESTION_PREDICT;

      if (prediction && item.trace_end > shown)
        {
          print_excerpt (ml_lesson_runner_get_trace (runner), shown, item.trace_end);
          shown = item.trace_end;
        }
      else if (!prediction && shown < step_end)
        {
          print_excerpt (ml_lesson_runner_get_trace (runner), shown, step_end);
          shown = step_end;
        }
      switch (item.kind)
        {
        case ML_LESSON_ITEM_NARRATIVE:
          printf ("\n## Step %u of %u: %s\n", item.step, lesson->steps->len,
                  ml_lesson_action_to_string (item.step_data->kind));
          if (item.step_data->narrative)
            {
              g_autofree char *narrative = md (item.step_data->narrative);

              printf ("\n%s\n\n", narrative);
            }
          shown = item.trace_start;
          step_end = item.trace_end;
          break;
        case ML_LESSON_ITEM_PAUSE:
          if (answers == NULL)
            {
              printf ("\n  (paused — press Enter to go on)");
              g_free (read_stdin_line ());
            }
          break;
        case ML_LESSON_ITEM_QUESTION:
          ask (runner, item.question, answers);
          break;
        case ML_LESSON_ITEM_CHECK:
          {
            g_autofree char *description = md (item.check->description);

            printf ("\n  %s %s\n      (%s)\n", item.passed ? "[pass]" : "[FAIL]",
                    description, item.observed);
          }
          break;
        case ML_LESSON_ITEM_END:
        default:
          break;
        }
    }
  if (shown < step_end)
    print_excerpt (ml_lesson_runner_get_trace (runner), shown, step_end);
  ml_lesson_runner_get_score (runner, &earned, &possible);
  printf ("\nScore: %u of %u (%u%%)\n", earned, possible,
          possible ? (guint) ((earned * 100 + possible / 2) / possible) : 100);
  if (results_path != NULL &&
      !ml_lesson_runner_write_results (runner, results_path, results_format, &error))
    goto fail;
  return 0;

fail:
  fprintf (stderr, "maillab-cli lesson run: %s\n", error->message);
  return 1;
}

int
ml_cli_lesson (int argc, char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "list") == 0)
    return lesson_list (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "run") == 0)
    return lesson_run (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "check") == 0)
    return lesson_check (argc - 1, argv + 1);
  fprintf (stderr,
           "usage: maillab-cli lesson list\n"
           "       maillab-cli lesson run NAME [--answers FILE] [--results FILE] [--seed N]\n"
           "       maillab-cli lesson check FILE...\n");
  return 2;
}

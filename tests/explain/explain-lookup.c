/* explain-lookup.c — the catalog check's window on the real loader.
 *
 *   explain-lookup DIR          reads keys from stdin, one a line, and
 *                               prints "KEY<TAB>FOUND" for each, FOUND being
 *                               the key of the note ml_explain_catalog_find()
 *                               chose, or empty when there is none
 *   explain-lookup --list DIR   prints "KEY<TAB>FILE:LINE" for every note
 *
 * Exits 1 with the loader's FILE:LINE:COLUMN message when DIR does not
 * load, so the check fails on a broken file before it runs any lesson.
 */
#include <stdio.h>
#include <string.h>

#include "lesson/explain.h"

/* Keys are short; a longer line is not a key and is reported as missing. */
#define MAX_INPUT_LINE 4096

int
main (int argc, char *argv[])
{
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autoptr(GError) error = NULL;
  gboolean list = argc == 3 && strcmp (argv[1], "--list") == 0;
  const char *dir = argv[argc - 1];
  char line[MAX_INPUT_LINE];

  if (argc != 2 && !list)
    {
      fprintf (stderr, "usage: %s [--list] DIR < keys\n", argv[0]);
      return 2;
    }
  if (!ml_explain_catalog_load_dir (catalog, dir, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  if (list)
    {
      g_autoptr(GPtrArray) notes = ml_explain_catalog_list (catalog);

      for (guint i = 0; i < notes->len; i++)
        {
          const MlExplanation *e = notes->pdata[i];
          printf ("%s\t%s:%u\n", e->key, e->file, e->line);
        }
      return 0;
    }

  while (fgets (line, sizeof line, stdin) != NULL)
    {
      const MlExplanation *e;

      line[strcspn (line, "\r\n")] = '\0';
      if (line[0] == '\0')
        continue;
      e = ml_explain_catalog_find (catalog, line);
      printf ("%s\t%s\n", line, e ? e->key : "");
    }
  return 0;
}

/* fuzz-replay.c — the main() of every fuzz target when no fuzzing engine
 * is linked: replays the corpus through LLVMFuzzerTestOneInput, so CI runs
 * every target as a plain test (suite 'fuzz'). libFuzzer builds leave this
 * file out and bring their own main().
 *
 *   fuzz-NAME [FILE|DIR]…   default: $ML_SOURCE_DIR/tests/fuzz/corpus/NAME
 */
#include <stdint.h>
#include <string.h>
#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* g_ptr_array_sort hands the comparator pointers to the array's slots. */
static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static guint
run_path (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  guint n = 0;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      if (dir == NULL)
        return 0;
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_build_filename (path, name, NULL));
      /* In a fixed order, so a failure is found again the same way. */
      g_ptr_array_sort (names, compare_paths);
      for (guint i = 0; i < names->len; i++)
        n += run_path (names->pdata[i]);
      return n;
    }
  if (!g_file_get_contents (path, &contents, &len, NULL))
    return 0;
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
  return 1;
}

int
main (int argc, char **argv)
{
  g_autofree char *target = g_path_get_basename (argv[0]);
  guint n = 0;

  if (argc > 1)
    for (int i = 1; i < argc; i++)
      n += run_path (argv[i]);
  else
    {
      const char *src = g_getenv ("ML_SOURCE_DIR");
      const char *name = g_str_has_prefix (target, "fuzz-") ? target + 5 : target;
      g_autofree char *dir = g_build_filename (src != NULL ? src : ".", "tests", "fuzz",
                                               "corpus", name, NULL);
      n = run_path (dir);
    }
  if (n == 0)
    {
      g_printerr ("%s: no corpus input found\n", target);
      return 1;
    }
  g_print ("%s: %u inputs, no crash\n", target, n);
  return 0;
}

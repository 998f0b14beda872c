#define G_LOG_DOMAIN "ml-lessons-dir"

#include "ml-config.h"

#include <string.h>
#include <gio/gio.h>
#include "lesson/lessons-dir.h"

const char *
ml_lessons_dir_get (void)
{
  const char *env = g_getenv ("MAILLAB_LESSONS_DIR");

  if (env != NULL && *env)
    return env;
  if (g_file_test (ML_SOURCE_LESSONS_DIR, G_FILE_TEST_IS_DIR))
    return ML_SOURCE_LESSONS_DIR;
  return ML_LESSONS_DIR;
}

char *
ml_lessons_dir_dup_explain (void)
{
  return g_build_filename (ml_lessons_dir_get (), "explain", NULL);
}

char *
ml_lessons_dir_find (const char *name, GError **error)
{
  const char *dir = ml_lessons_dir_get ();
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) matches = NULL;
  g_autofree char *file = NULL;
  const char *entry;

  g_return_val_if_fail (name != NULL, NULL);

  if (g_file_test (name, G_FILE_TEST_IS_REGULAR))
    return g_strdup (name);
  file = g_build_filename (dir, name, NULL);
  if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&file);

  d = g_dir_open (dir, 0, NULL);
  matches = g_ptr_array_new_with_free_func (g_free);
  while (d && (entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *base = NULL;

      if (!g_str_has_suffix (entry, ".yaml"))
        continue;
      base = g_strndup (entry, strlen (entry) - 5);
      /* "01" finds "01-smtp-journey"; the full name finds itself. */
      if (strcmp (base, name) == 0
          || (g_str_has_prefix (base, name) && base[strlen (name)] == '-'))
        g_ptr_array_add (matches, g_build_filename (dir, entry, NULL));
    }
  if (matches->len == 1)
    return g_strdup (matches->pdata[0]);
  if (matches->len == 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "no lesson '%s' (not a file, and not in %s)", name, dir);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                 "'%s' names %u lessons; give more of the name", name, matches->len);
  return NULL;
}

/* Exports for slides and for Wireshark: the WHOLE ladder (not only the
 * rows in view) as one tall PNG or SVG and as a paginated PDF, and the
 * trace's frames as pcap and pcapng that read back to the same frames. */
#include <string.h>
#include <math.h>
#include <adwaita.h>
#include <glib/gstdio.h>
#include "gui.h"
#include "window.h"
#include "ladder-export.h"
#include "capture-export.h"
#include "capture/capture-reader.h"
#include "lesson/lessons-dir.h"

#define WAIT_TIMEOUT_S 60

typedef struct {
  MlWindow     *window;
  MlPlayer     *player;
  MlLadderView *ladder;
  gboolean      loaded;
  char         *failed;
  char         *dir;
} Fixture;

static gboolean
timed_out (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_for (gboolean (*done) (Fixture *f), Fixture *f, const char *what)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (WAIT_TIMEOUT_S, timed_out, &expired);

  while (!done (f) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (expired)
    g_error ("gave up waiting for %s", what);
  g_source_remove (id);
}

static gboolean
is_loaded (Fixture *f)
{
  return f->loaded || f->failed;
}

static gboolean
is_laid_out (Fixture *f)
{
  return gtk_widget_get_width (GTK_WIDGET (f->ladder)) > 0 && !ml_window_is_busy (f->window);
}

static void
on_loaded (Fixture *f)
{
  f->loaded = TRUE;
}

static void
on_failed (Fixture *f, const char *message)
{
  f->failed = g_strdup (message);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ml_lessons_dir_find (data, &error);

  g_assert_no_error (error);
  f->dir = g_dir_make_tmp ("maillab-export-XXXXXX", &error);
  g_assert_no_error (error);
  f->window = ml_window_new (NULL);
  g_object_ref_sink (f->window);
  f->player = ml_window_get_player (f->window);
  f->ladder = ml_window_get_ladder (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1200, 800);
  g_signal_connect_swapped (f->window, "lesson-loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect_swapped (f->window, "lesson-failed", G_CALLBACK (on_failed), f);
  gtk_window_present (GTK_WINDOW (f->window));
  ml_window_open_lesson (f->window, path);
  wait_for (is_loaded, f, "the lesson to run");
  g_assert_null (f->failed);
  wait_for (is_laid_out, f, "the ladder to be laid out");
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  g_free (f->failed);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Rows of @texture between @y0 and @y1 with any pixel that is not white. */
static guint
inked_rows (GdkTexture *texture, int y0, int y1)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  g_autofree guint32 *pixels = g_new (guint32, (gsize) w * h);
  guint n = 0;

  gdk_texture_download (texture, (guchar *) pixels, (gsize) w * 4);
  for (int y = MAX (y0, 0); y < MIN (y1, h); y++)
    for (int x = 0; x < w; x++)
      if ((pixels[(gsize) y * w + x] & 0xffffff) != 0xffffff)
        {
          n++;
          break;
        }
  return n;
}

static guint
count_substrings (const char *haystack, gsize len, const char *needle)
{
  guint n = 0;
  gsize nl = strlen (needle);

  for (gsize i = 0; i + nl <= len; i++)
    if (memcmp (haystack + i, needle, nl) == 0)
      n++;
  return n;
}

static void
test_whole_ladder (Fixture *f, gconstpointer data)
{
  g_autofree char *png = g_build_filename (f->dir, "ladder.png", NULL);
  g_autofree char *svg = g_build_filename (f->dir, "ladder.svg", NULL);
  g_autofree char *pdf = g_build_filename (f->dir, "ladder.pdf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *contents = NULL;
  double content_w, header_h, row_h;
  guint64 n_rows = ml_ladder_view_get_n_rows (f->ladder);
  guint pages = 0;
  gsize len;
  int expected_h, page_h;
  guint64 per_page;

  ml_ladder_view_get_page_metrics (f->ladder, &content_w, &header_h, &row_h);
  g_assert_cmpuint (n_rows, >, 50);
  expected_h = (int) ceil (header_h + n_rows * row_h + row_h / 2.0);
  /* More than the window shows: otherwise this would prove nothing. */
  g_assert_cmpint (expected_h, >, gtk_widget_get_height (GTK_WIDGET (f->ladder)));

  g_assert_true (ml_ladder_export_all (f->ladder, png, ML_LADDER_EXPORT_PNG, &pages, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pages, ==, 1);
  texture = gdk_texture_new_from_filename (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, expected_h);
  g_assert_cmpint (gdk_texture_get_width (texture), >=, (int) content_w);
  /* The last row is drawn too, far below what was on screen. */
  g_assert_cmpuint (inked_rows (texture, (int) (header_h + (n_rows - 1) * row_h),
                                (int) (header_h + n_rows * row_h)), >, 3);

  /* Kept for a person to look at (the GUI suite's artifacts). */
  if (g_getenv ("ML_SCREENSHOT_DIR"))
    {
      g_autofree char *keep = g_build_filename (g_getenv ("ML_SCREENSHOT_DIR"), "export-ladder-01.png", NULL);
      g_autoptr(GFile) from = g_file_new_for_path (png);
      g_autoptr(GFile) to = g_file_new_for_path (keep);

      g_mkdir_with_parents (g_getenv ("ML_SCREENSHOT_DIR"), 0755);
      g_assert_true (g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
    }

  g_assert_true (ml_ladder_export_all (f->ladder, svg, ML_LADDER_EXPORT_SVG, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (svg, &contents, &len, &error));
  g_assert_true (g_str_has_prefix (contents, "<?xml"));
  g_clear_pointer (&contents, g_free);

  /* PDF: landscape pages, each with the lane names, every row on one. */
  g_assert_true (ml_ladder_export_all (f->ladder, pdf, ML_LADDER_EXPORT_PDF, &pages, &error));
  g_assert_no_error (error);
  page_h = (int) ceil (MAX (ceil (content_w), ML_LADDER_EXPORT_MIN_WIDTH) / G_SQRT2);
  per_page = (guint64) floor ((page_h - header_h) / row_h);
  g_assert_cmpuint (pages, ==, (n_rows + per_page - 1) / per_page);
  g_assert_cmpuint (pages, >, 1);
  g_assert_true (g_file_get_contents (pdf, &contents, &len, &error));
  g_assert_true (g_str_has_prefix (contents, "%PDF"));
  g_assert_cmpuint (count_substrings (contents, len, "/Type /Page\n") + count_substrings (contents, len, "/Type /Page "),
                    ==, pages);
}

static guint64
count_first_hop_frames (MlTrace *trace)
{
  guint64 n = 0;

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      n += e->kind == ML_TRACE_FRAME && e->hop == 0;
    }
  return n;
}

static void
test_capture (Fixture *f, gconstpointer data)
{
  MlTrace *trace = ml_player_get_trace (f->player);
  guint64 frames = count_first_hop_frames (trace);

  g_assert_cmpint (ml_capture_export_format_for_path ("a.PCAP"), ==, ML_CAPTURE_EXPORT_PCAP);
  g_assert_cmpint (ml_capture_export_format_for_path ("a.pcapng"), ==, ML_CAPTURE_EXPORT_PCAPNG);
  for (guint k = 0; k < 2; k++)
    {
      g_autofree char *path = g_build_filename (f->dir, k ? "lesson.pcap" : "lesson.pcapng", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(MlTrace) back = NULL;
      g_autofree char *contents = NULL;
      gsize len;
      guint64 n = 0;

      g_assert_true (ml_capture_export (trace, ml_window_get_lesson (f->window)->epoch_unix * G_USEC_PER_SEC,
                                        path, ml_capture_export_format_for_path (path), &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      g_assert_cmpuint (len, >=, 4);
      /* pcap's magic (little-endian µs) or pcapng's Section Header Block. */
      g_assert_cmpmem (contents, 4, k ? "\xd4\xc3\xb2\xa1" : "\x0a\x0d\x0d\x0a", 4);
      back = ml_capture_read_file (path, NULL, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      for (guint64 i = 0; i < ml_trace_get_length (back); i++)
        n += ml_trace_get_event (back, i)->kind == ML_TRACE_FRAME;
      g_assert_cmpuint (n, ==, frames);
    }
}

static void
skip_no_display (void)
{
  g_test_skip ("no display: run the GUI tests under xvfb-run (script/test does)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_add_func ("/gui/export/no-display", skip_no_display);
      return g_test_run ();
    }
  adw_init ();
  ml_gui_init ();
  g_test_add ("/gui/export/lesson-01/whole-ladder", Fixture, "01", fixture_set_up, test_whole_ladder, fixture_tear_down);
  g_test_add ("/gui/export/lesson-01/capture", Fixture, "01", fixture_set_up, test_capture, fixture_tear_down);
  return g_test_run ();
}

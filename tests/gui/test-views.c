/* Every lesson, every view: played forward to the end and back to the
 * start with a frame drawn between steps (G_DEBUG=fatal-warnings makes any
 * GTK warning fail the test). */
#include <string.h>
#include <adwaita.h>
#include "gui.h"
#include "window.h"
#include "lesson/lessons-dir.h"

#define WAIT_TIMEOUT_S 60
/* Every step is drawn in-process (a snapshot of the whole window, as an
 * export or a screenshot takes it); every this many steps a real frame
 * (layout, then paint) runs too, which is slow on a loaded machine. */
#define ML_TEST_FRAME_EVERY 10

typedef struct {
  MlWindow *window;
  MlPlayer *player;
  gboolean  loaded;
  char     *failed;
  guint     painted;
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
is_idle (Fixture *f)
{
  return !ml_window_is_busy (f->window);
}

static void
on_after_paint (Fixture *f)
{
  f->painted++;
}

static gboolean
has_painted (Fixture *f)
{
  return f->painted > 0;
}

/* One real frame: layout, then paint, as the window does on screen. */
static void
draw_frame (Fixture *f)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (f->window));
  gulong id;

  g_assert_nonnull (clock);
  f->painted = 0;
  id = g_signal_connect_swapped (clock, "after-paint", G_CALLBACK (on_after_paint), f);
  gtk_widget_queue_draw (GTK_WIDGET (f->window));
  wait_for (has_painted, f, "a frame");
  g_signal_handler_disconnect (clock, id);
}

/* What an export or a screenshot does: snapshot the content now, whether
 * or not a layout pass has run since the last change. */
static void
snapshot_now (Fixture *f)
{
  GtkWidget *content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (f->window));
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (content);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;

  gdk_paintable_snapshot (paintable, snapshot,
                          gtk_widget_get_width (content), gtk_widget_get_height (content));
  node = gtk_snapshot_free_to_node (snapshot);
  (void) node;
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
  f->window = ml_window_new (NULL);
  g_object_ref_sink (f->window);
  f->player = ml_window_get_player (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1200, 800);
  g_signal_connect_swapped (f->window, "lesson-loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect_swapped (f->window, "lesson-failed", G_CALLBACK (on_failed), f);
  gtk_window_present (GTK_WINDOW (f->window));
  ml_window_open_lesson (f->window, path);
  wait_for (is_loaded, f, "the lesson to run");
  g_assert_null (f->failed);
  wait_for (is_idle, f, "the page to settle");
  draw_frame (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  g_free (f->failed);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static const char * const views[] = { "ladder", "topology", "mailboxes", "compare", "console" };

static void
test_play_every_view (Fixture *f, gconstpointer data)
{
  guint64 n = ml_player_get_n_steps (f->player);

  g_assert_cmpuint (n, >, 1);
  for (guint v = 0; v < G_N_ELEMENTS (views); v++)
    {
      g_assert_true (ml_window_set_view (f->window, views[v]));
      ml_player_go_to_start (f->player);
      draw_frame (f);
      for (guint64 step = 2; step <= n; step++)
        {
          g_assert_true (ml_player_step_forward (f->player));
          g_assert_cmpuint (ml_player_get_step (f->player), ==, step);
          snapshot_now (f);
          if (step % ML_TEST_FRAME_EVERY == 0)
            draw_frame (f);
        }
      draw_frame (f);
      g_assert_false (ml_player_step_forward (f->player));
      for (guint64 step = n - 1; step >= 1; step--)
        {
          g_assert_true (ml_player_step_back (f->player));
          g_assert_cmpuint (ml_player_get_step (f->player), ==, step);
          snapshot_now (f);
          if (step % ML_TEST_FRAME_EVERY == 0)
            draw_frame (f);
        }
      draw_frame (f);
      g_assert_cmpstr (ml_window_get_view (f->window), ==, views[v]);
    }
}

static void
skip_no_display (void)
{
  g_test_skip ("no display: run the GUI tests under xvfb-run (script/test does)");
}

/* Every lesson file in the lessons folder, in name order (transfer full). */
static GPtrArray *
list_lessons (void)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = g_dir_open (ml_lessons_dir_get (), 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".yaml"))
      g_ptr_array_add (names, g_strndup (name, strlen (name) - strlen (".yaml")));
  return names;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) lessons = NULL;

  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_add_func ("/gui/views/no-display", skip_no_display);
      return g_test_run ();
    }
  adw_init ();
  ml_gui_init ();
  lessons = list_lessons ();
  g_ptr_array_sort (lessons, compare_names);
  g_assert_cmpuint (lessons->len, >=, 6);
  for (guint i = 0; i < lessons->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/gui/views/%s/every-view", (char *) lessons->pdata[i]);

      g_test_add (path, Fixture, lessons->pdata[i], fixture_set_up, test_play_every_view, fixture_tear_down);
    }
  return g_test_run ();
}

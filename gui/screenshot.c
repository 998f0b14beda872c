#define G_LOG_DOMAIN "ml-screenshot"

#include <stdio.h>
#include <adwaita.h>
#include "screenshot.h"
#include "window.h"
#include "topology-view.h"
#include "lesson/lessons-dir.h"

/* Frames to let pass once the window has a size, so the ladder has
 * scrolled its current row into view before the picture is taken. */
#define ML_SCREENSHOT_SETTLE_FRAMES 3
/* Give up when the lesson has not run and drawn by then. */
#define ML_SCREENSHOT_TIMEOUT_S     60
#define ML_SCREENSHOT_DEFAULT_WIDTH  1280
#define ML_SCREENSHOT_DEFAULT_HEIGHT 800

typedef struct {
  MlScreenshotOptions options;
  MlWindow           *window;
  MlScreenshotDone    done;
  gpointer            user_data;
  guint               tick_id;
  guint               timeout_id;
  guint               frames;
  gboolean            sized;
  gboolean            finished;
} Shot;

static void
shot_finish (Shot *shot, int status)
{
  if (shot->finished)
    return;
  shot->finished = TRUE;
  g_clear_handle_id (&shot->timeout_id, g_source_remove);
  if (shot->tick_id && shot->window)
    gtk_widget_remove_tick_callback (GTK_WIDGET (shot->window), shot->tick_id);
  shot->tick_id = 0;
  if (shot->window)
    gtk_window_destroy (GTK_WINDOW (shot->window));
  g_clear_object (&shot->window);
  shot->done (status, shot->user_data);
  g_free (shot->options.file);
  g_free (shot->options.lesson);
  g_free (shot->options.view);
  g_free (shot);
}

gboolean
ml_screenshot_save_widget (GtkWidget *widget, const char *file, GError **error)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  GtkNative *native = gtk_widget_get_native (widget);
  GdkRGBA background;
  int width, height;

  if (gtk_widget_get_width (widget) <= 0 || native == NULL
      || (renderer = gtk_native_get_renderer (native)) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "the window is not drawn yet");
      return FALSE;
    }

  /* The paintable's own size is the widget's border box: drawing it at
   * any other size would scale the picture. */
  paintable = gtk_widget_paintable_new (widget);
  width = gdk_paintable_get_intrinsic_width (paintable);
  height = gdk_paintable_get_intrinsic_height (paintable);
  if (width <= 0 || height <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "the window is not drawn yet");
      return FALSE;
    }

  snapshot = gtk_snapshot_new ();
  /* A window's content leaves its background to the window. */
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), "window_bg_color", &background))
    gdk_rgba_parse (&background, "#fafafa");
  gtk_snapshot_append_color (snapshot, &background, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, file))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "could not write %s", file);
      return FALSE;
    }
  return TRUE;
}

/* The window without its client-side border and shadow: what the README
 * shows, and a picture whose pixels line up with widget coordinates. */
static GtkWidget *
picture_root (Shot *shot)
{
  return adw_application_window_get_content (ADW_APPLICATION_WINDOW (shot->window));
}

/* The topology's host cards and the dots drawn, when that view is shown. */
static void
print_topology (Shot *shot)
{
  GtkWidget *widget = ml_window_get_view_widget (shot->window, "topology");
  MlTopologyView *topology;
  graphene_rect_t bounds;

  if (widget == NULL || g_strcmp0 (ml_window_get_view (shot->window), "topology") != 0
      || !gtk_widget_compute_bounds (widget, picture_root (shot), &bounds))
    return;
  topology = ML_TOPOLOGY_VIEW (widget);
  printf ("topology %.0f %.0f %.0f %.0f\n", bounds.origin.x, bounds.origin.y,
          bounds.size.width, bounds.size.height);
  printf ("packets %u\n", ml_topology_view_get_n_drawn (topology));
  for (guint i = 0; i < ml_topology_view_get_n_hosts (topology); i++)
    {
      graphene_rect_t r;

      if (ml_topology_view_get_host_rect (topology, i, &r))
        printf ("host %.0f %.0f %.0f %.0f %s\n", bounds.origin.x + r.origin.x, bounds.origin.y + r.origin.y,
                r.size.width, r.size.height, ml_topology_view_get_host_name (topology, i));
    }
}

/* What the tests check the picture against: where the ladder and its
 * lanes are, in the picture's coordinates. */
static void
print_layout (Shot *shot)
{
  MlLadderView *ladder = ml_window_get_ladder (shot->window);
  MlPlayer *player = ml_window_get_player (shot->window);
  graphene_rect_t bounds;
  guint n = ml_ladder_view_get_n_lanes (ladder);

  if (!gtk_widget_compute_bounds (GTK_WIDGET (ladder), picture_root (shot), &bounds))
    graphene_rect_init (&bounds, 0, 0, 0, 0);
  printf ("screenshot %s %dx%d\n", shot->options.file,
          gtk_widget_get_width (picture_root (shot)),
          gtk_widget_get_height (picture_root (shot)));
  printf ("step %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT "\n",
          ml_player_get_step (player), ml_player_get_n_steps (player));
  printf ("ladder %.0f %.0f %.0f %.0f\n", bounds.origin.x, bounds.origin.y,
          bounds.size.width, bounds.size.height);
  printf ("lanes %u\n", n);
  for (guint i = 0; i < n; i++)
    printf ("lane %.1f %s\n", bounds.origin.x + ml_ladder_view_get_lane_x (ladder, i),
            ml_ladder_view_get_lane_name (ladder, i));
  printf ("row %" G_GINT64_FORMAT " %.1f %.1f\n", ml_ladder_view_get_highlighted_row (ladder),
          bounds.origin.y + ml_ladder_view_get_row_y (ladder, (guint64) MAX (0, ml_ladder_view_get_highlighted_row (ladder))),
          ml_ladder_view_get_row_height (ladder));
  print_topology (shot);
  fflush (stdout);
}

static void
finish_ok (gpointer user_data)
{
  shot_finish (user_data, 0);
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  Shot *shot = user_data;
  g_autoptr(GError) error = NULL;

  /* A tick can come before the first layout. */
  if (gtk_widget_get_width (ml_window_get_view_widget (shot->window, ml_window_get_view (shot->window))) <= 0
      || ml_window_is_busy (shot->window))
    {
      shot->frames = 0;
      return G_SOURCE_CONTINUE;
    }
  /* The default size may include decorations the window widget does not
   * have (the client-side border without a window manager): grow it once
   * so the picture is exactly the size asked for. */
  if (!shot->sized)
    {
      int want_w = shot->options.width > 0 ? shot->options.width : ML_SCREENSHOT_DEFAULT_WIDTH;
      int want_h = shot->options.height > 0 ? shot->options.height : ML_SCREENSHOT_DEFAULT_HEIGHT;
      int w = gtk_widget_get_width (picture_root (shot)), h = gtk_widget_get_height (picture_root (shot));

      shot->sized = TRUE;
      if (w != want_w || h != want_h)
        {
          gtk_window_set_default_size (GTK_WINDOW (widget), 2 * want_w - w, 2 * want_h - h);
          shot->frames = 0;
          return G_SOURCE_CONTINUE;
        }
    }
  if (++shot->frames < ML_SCREENSHOT_SETTLE_FRAMES)
    return G_SOURCE_CONTINUE;

  shot->tick_id = 0;
  if (!ml_screenshot_save_widget (picture_root (shot), shot->options.file, &error))
    {
      fprintf (stderr, "maillab: screenshot: %s\n", error->message);
      shot_finish (shot, 1);
      return G_SOURCE_REMOVE;
    }
  print_layout (shot);
  /* Not from inside the window's own frame clock callback. */
  g_idle_add_once (finish_ok, shot);
  return G_SOURCE_REMOVE;
}

static void
on_lesson_loaded (Shot *shot)
{
  MlPlayer *player = ml_window_get_player (shot->window);
  guint64 step = MAX (shot->options.step, 1);

  ml_player_set_mode (player, shot->options.packets ? ML_STEP_MODE_PACKETS : ML_STEP_MODE_DIALOGUE);
  if (!ml_player_go_to_step (player, step))
    {
      fprintf (stderr, "maillab: screenshot: the lesson has %" G_GUINT64_FORMAT " steps, not %" G_GUINT64_FORMAT "\n",
               ml_player_get_n_steps (player), step);
      shot_finish (shot, 1);
      return;
    }
  if (shot->options.view && !ml_window_set_view (shot->window, shot->options.view))
    {
      fprintf (stderr, "maillab: screenshot: no view called %s\n", shot->options.view);
      shot_finish (shot, 1);
      return;
    }
  /* Shown or left out at once: the flap's reveal is a spring animation,
   * and one laid out while the window is resized for the picture was
   * once given a width of INT_MIN. */
  gtk_widget_set_visible (GTK_WIDGET (ml_window_get_lesson_panel (shot->window)), shot->options.panel);
  shot->frames = 0;
  shot->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (shot->window), on_tick, shot, NULL);
  gtk_widget_queue_draw (GTK_WIDGET (shot->window));
}

static void
on_lesson_failed (Shot *shot, const char *message)
{
  fprintf (stderr, "maillab: screenshot: %s\n", message);
  shot_finish (shot, 1);
}

static gboolean
on_timeout (gpointer user_data)
{
  Shot *shot = user_data;

  shot->timeout_id = 0;
  fprintf (stderr, "maillab: screenshot: nothing drawn after %d s\n", ML_SCREENSHOT_TIMEOUT_S);
  shot_finish (shot, 1);
  return G_SOURCE_REMOVE;
}

void
ml_screenshot_run (GtkApplication            *application,
                   const MlScreenshotOptions *options,
                   MlScreenshotDone           done,
                   gpointer                   user_data)
{
  Shot *shot;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (options != NULL && options->file != NULL && options->lesson != NULL);
  g_return_if_fail (done != NULL);

  shot = g_new0 (Shot, 1);
  shot->options = *options;
  shot->options.file = g_strdup (options->file);
  shot->options.lesson = g_strdup (options->lesson);
  shot->options.view = g_strdup (options->view);
  shot->done = done;
  shot->user_data = user_data;

  path = ml_lessons_dir_find (options->lesson, &error);
  if (path == NULL)
    {
      fprintf (stderr, "maillab: screenshot: %s\n", error->message);
      shot_finish (shot, 1);
      return;
    }

  /* The same picture on every machine: the scheme is chosen, not taken
   * from the desktop. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      options->dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                                    : ADW_COLOR_SCHEME_FORCE_LIGHT);

  shot->window = g_object_ref_sink (ml_window_new (application));
  gtk_window_set_default_size (GTK_WINDOW (shot->window),
                               options->width > 0 ? options->width : ML_SCREENSHOT_DEFAULT_WIDTH,
                               options->height > 0 ? options->height : ML_SCREENSHOT_DEFAULT_HEIGHT);
  g_signal_connect_swapped (shot->window, "lesson-loaded", G_CALLBACK (on_lesson_loaded), shot);
  g_signal_connect_swapped (shot->window, "lesson-failed", G_CALLBACK (on_lesson_failed), shot);
  gtk_window_present (GTK_WINDOW (shot->window));
  shot->timeout_id = g_timeout_add_seconds (ML_SCREENSHOT_TIMEOUT_S, on_timeout, shot);
  ml_window_open_lesson (shot->window, path);
}

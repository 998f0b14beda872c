/* `maillab --screenshot` of lesson 01 under Xvfb: the PNG has the size
 * asked for, is no blank page, and shows a lane for every host that takes
 * part, with its name on top and the current step lit. The pictures stay
 * in the build directory (tests/gui/screenshots/) for a person to look at. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include "lesson/lessons-dir.h"
#include "lesson/lesson.h"
#include "world/world.h"

#define SHOT_WIDTH  1200
#define SHOT_HEIGHT 800

typedef struct {
  int        width, height;
  double     ladder[4];     /* x, y, w, h in the window */
  GPtrArray *lane_names;
  GArray    *lane_x;        /* double */
  gint64     row;
  double     row_y, row_h;
  guint64    step, n_steps;
} Layout;

typedef struct {
  guchar *pixels;           /* B G R A, premultiplied, from cairo */
  gsize   stride;
  int     width, height;
} Picture;

static void
layout_clear (Layout *l)
{
  g_clear_pointer (&l->lane_names, g_ptr_array_unref);
  g_clear_pointer (&l->lane_x, g_array_unref);
}

static void
picture_clear (Picture *p)
{
  g_clear_pointer (&p->pixels, g_free);
}

static char *
shot_path (const char *name)
{
  const char *dir = g_getenv ("ML_SCREENSHOT_DIR");

  g_assert_nonnull (dir);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  return g_build_filename (dir, name, NULL);
}

/* Runs maillab; returns its exit status, fills @out and @err. */
static int
run_maillab (const char * const *args, char **out, char **err)
{
  const char *maillab = g_getenv ("ML_MAILLAB");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (maillab);
  g_ptr_array_add (argv, (gpointer) maillab);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  return g_subprocess_get_exit_status (proc);
}

static void
parse_layout (const char *out, Layout *l)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  l->lane_names = g_ptr_array_new_with_free_func (g_free);
  l->lane_x = g_array_new (FALSE, FALSE, sizeof (double));
  l->row = -2;
  for (guint i = 0; lines[i]; i++)
    {
      char name[256];
      double x;

      if (sscanf (lines[i], "screenshot %*s %dx%d", &l->width, &l->height) == 2)
        continue;
      if (sscanf (lines[i], "step %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT, &l->step, &l->n_steps) == 2)
        continue;
      if (sscanf (lines[i], "ladder %lf %lf %lf %lf", &l->ladder[0], &l->ladder[1], &l->ladder[2], &l->ladder[3]) == 4)
        continue;
      if (sscanf (lines[i], "lane %lf %255s", &x, name) == 2)
        {
          g_array_append_val (l->lane_x, x);
          g_ptr_array_add (l->lane_names, g_strdup (name));
          continue;
        }
      sscanf (lines[i], "row %" G_GINT64_FORMAT " %lf %lf", &l->row, &l->row_y, &l->row_h);
    }
}

static void
load_picture (const char *path, Picture *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = gdk_texture_new_from_filename (path, &error);

  g_assert_no_error (error);
  p->width = gdk_texture_get_width (texture);
  p->height = gdk_texture_get_height (texture);
  p->stride = (gsize) p->width * 4;
  p->pixels = g_malloc (p->stride * p->height);
  gdk_texture_download (texture, p->pixels, p->stride);
}

static void
pixel (const Picture *p, int x, int y, int rgb[3])
{
  const guchar *px = p->pixels + (gsize) y * p->stride + (gsize) x * 4;

  rgb[0] = px[2];
  rgb[1] = px[1];
  rgb[2] = px[0];
}

static double
luminance (const Picture *p, int x, int y)
{
  int c[3];

  pixel (p, x, y, c);
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

static int
distance (const Picture *p, int x1, int y1, int x2, int y2)
{
  int a[3], b[3];

  pixel (p, x1, y1, a);
  pixel (p, x2, y2, b);
  return abs (a[0] - b[0]) + abs (a[1] - b[1]) + abs (a[2] - b[2]);
}

static gboolean
contains (GPtrArray *names, const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (g_ascii_strcasecmp (names->pdata[i], name) == 0)
      return TRUE;
  return FALSE;
}

/* The hosts the ladder must show in dialogue mode, worked out here from
 * the lesson and its trace: every host that sends or receives a dialogue
 * line, and every host of the topology with a mark (state, DNS, store,
 * note), in topology order. */
static GPtrArray *
expected_lanes (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ml_lessons_dir_find (name, &error);
  g_autoptr(MlLesson) lesson = NULL;
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlWorld) world = NULL;
  g_autoptr(GPtrArray) talking = g_ptr_array_new ();
  g_autoptr(GPtrArray) marking = g_ptr_array_new ();
  g_autoptr(GPtrArray) topology = g_ptr_array_new ();
  GPtrArray *hosts = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  lesson = ml_lesson_load_file (path, &error);
  g_assert_no_error (error);
  world = ml_world_new (lesson, lesson->seed, trace, &error);
  g_assert_no_error (error);
  ml_world_run (world);

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (e->kind == ML_TRACE_FRAME)
        continue;
      if (e->kind == ML_TRACE_DIALOGUE)
        {
          g_ptr_array_add (talking, e->host);
          g_ptr_array_add (talking, e->peer);
        }
      else if (e->host)
        g_ptr_array_add (marking, e->host);
    }
  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *host = lesson->hosts->pdata[i];

      g_ptr_array_add (topology, host->name);
      if (contains (talking, host->name) || contains (marking, host->name))
        g_ptr_array_add (hosts, g_strdup (host->name));
    }
  /* In a lesson every host that talks is in its topology. */
  for (guint i = 0; i < talking->len; i++)
    g_assert_true (contains (topology, talking->pdata[i]));
  return hosts;
}

static void
take (const char *file, guint step, gboolean dark, Layout *layout, Picture *picture)
{
  g_autofree char *path = shot_path (file);
  g_autofree char *step_arg = g_strdup_printf ("%u", step);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *args[] = {
    "--screenshot", path, "--lesson", "01", "--step", step_arg,
    "--width", G_STRINGIFY (SHOT_WIDTH), "--height", G_STRINGIFY (SHOT_HEIGHT),
    dark ? "--dark" : NULL, NULL
  };
  int status;

  g_remove (path);
  status = run_maillab (args, &out, &err);
  g_test_message ("maillab said:\n%s%s", out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (err, ==, "");
  parse_layout (out, layout);
  load_picture (path, picture);
}

static void
assert_not_blank (const Picture *p)
{
  double sum = 0, sum2 = 0, n = 0;

  for (int y = 0; y < p->height; y += 2)
    for (int x = 0; x < p->width; x += 2)
      {
        double l = luminance (p, x, y);
        sum += l;
        sum2 += l * l;
        n++;
      }
  /* A blank or single-colour window has almost no spread. */
  g_assert_cmpfloat (sqrt (sum2 / n - (sum / n) * (sum / n)), >, 12.0);
}

/* Lane lines run the height of the ladder: the lane's column differs from
 * the background a few pixels to its left on most rows. */
static void
assert_lanes_drawn (const Picture *p, const Layout *l, gboolean dark)
{
  int top = (int) l->ladder[1], bottom = (int) (l->ladder[1] + l->ladder[3]);

  for (guint i = 0; i < l->lane_x->len; i++)
    {
      int x = (int) floor (g_array_index (l->lane_x, double, i));
      int rows = 0, lit = 0, ink = 0;

      g_test_message ("lane %s at x=%d", (char *) l->lane_names->pdata[i], x);
      g_assert_cmpint (x, >, 10);
      g_assert_cmpint (x, <, p->width);
      for (int y = top + 50; y < bottom - 4; y++, rows++)
        if (distance (p, x, y, x - 9, y) > 12)
          lit++;
      g_assert_cmpint (lit * 10, >=, rows * 4);

      /* The host's name is written above its lane. */
      for (int y = top; y < top + 40; y++)
        for (int dx = -30; dx <= 30; dx++)
          if (dark ? luminance (p, x + dx, y) > 170 : luminance (p, x + dx, y) < 90)
            ink++;
      g_assert_cmpint (ink, >, 20);
    }
}

static void
assert_current_row_lit (const Picture *p, const Layout *l)
{
  int y = (int) (l->row_y + l->row_h / 2);
  int c[3];

  g_assert_cmpint (l->row, ==, (gint64) l->step - 1);
  g_assert_cmpint (y, >, (int) l->ladder[1]);
  g_assert_cmpint (y, <, (int) (l->ladder[1] + l->ladder[3]));
  /* The accent bar at the row's left edge is blue, libadwaita's accent. */
  pixel (p, (int) l->ladder[0] + 2, y, c);
  g_assert_cmpint (c[2] - c[0], >, 60);
}

static void
check_step (gconstpointer data)
{
  guint step = GPOINTER_TO_UINT (data);
  g_autofree char *file = g_strdup_printf ("lesson01-step%03u.png", step);
  g_autoptr(GPtrArray) hosts = expected_lanes ("01");
  Layout layout = { 0 };
  Picture picture = { 0 };

  take (file, step, FALSE, &layout, &picture);
  g_assert_cmpint (picture.width, ==, SHOT_WIDTH);
  g_assert_cmpint (picture.height, ==, SHOT_HEIGHT);
  g_assert_cmpint (layout.width, ==, SHOT_WIDTH);
  g_assert_cmpuint (layout.step, ==, step);
  assert_not_blank (&picture);

  g_assert_cmpuint (layout.lane_names->len, ==, hosts->len);
  for (guint i = 0; i < hosts->len; i++)
    g_assert_cmpstr (layout.lane_names->pdata[i], ==, hosts->pdata[i]);
  assert_lanes_drawn (&picture, &layout, FALSE);
  assert_current_row_lit (&picture, &layout);

  layout_clear (&layout);
  picture_clear (&picture);
}

static void
check_dark (void)
{
  Layout layout = { 0 };
  Picture picture = { 0 };
  double sum = 0;
  int n = 0;

  take ("lesson01-step020-dark.png", 20, TRUE, &layout, &picture);
  g_assert_cmpint (picture.width, ==, SHOT_WIDTH);
  assert_not_blank (&picture);
  for (int y = (int) layout.ladder[1]; y < layout.ladder[1] + layout.ladder[3]; y += 3)
    for (int x = 0; x < picture.width; x += 3, n++)
      sum += luminance (&picture, x, y);
  g_assert_cmpfloat (sum / n, <, 80.0);
  assert_lanes_drawn (&picture, &layout, TRUE);
  layout_clear (&layout);
  picture_clear (&picture);
}

static void
check_bad_step (void)
{
  g_autofree char *path = shot_path ("never-written.png");
  const char *args[] = { "--screenshot", path, "--lesson", "01", "--step", "999999", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_remove (path);
  g_assert_cmpint (run_maillab (args, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "steps, not 999999"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
check_bad_lesson (void)
{
  g_autofree char *path = shot_path ("never-written.png");
  const char *args[] = { "--screenshot", path, "--lesson", "no-such-lesson", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run_maillab (args, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "no lesson 'no-such-lesson'"));
}

/* Lesson 06 with the Mailboxes and Compare views: a PNG of the asked size
 * is written; an unknown view is refused without writing. */
static void
check_views (void)
{
  static const char *const views[] = { "mailboxes", "compare" };

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autofree char *name = g_strdup_printf ("lesson-06-%s.png", views[i]);
      g_autofree char *path = shot_path (name);
      const char *args[] = { "--screenshot", path, "--lesson", "06", "--step", "200",
                             "--view", views[i], "--width", "1200", "--height", "800", NULL };
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GdkTexture) texture = NULL;

      g_remove (path);
      g_assert_cmpint (run_maillab (args, &out, &err), ==, 0);
      texture = gdk_texture_new_from_filename (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (gdk_texture_get_width (texture), ==, 1200);
    }
  {
    g_autofree char *path = shot_path ("never-written.png");
    const char *args[] = { "--screenshot", path, "--lesson", "06", "--view", "no-such-view", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_remove (path);
    g_assert_cmpint (run_maillab (args, &out, &err), ==, 1);
    g_assert_nonnull (strstr (err, "no view called no-such-view"));
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
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

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_test_add_func ("/gui/screenshot/no-display", skip_no_display);
      return g_test_run ();
    }
  g_test_add_data_func ("/gui/screenshot/lesson-01/step-1", GUINT_TO_POINTER (1), check_step);
  g_test_add_data_func ("/gui/screenshot/lesson-01/step-12", GUINT_TO_POINTER (12), check_step);
  g_test_add_data_func ("/gui/screenshot/lesson-01/step-60", GUINT_TO_POINTER (60), check_step);
  g_test_add_func ("/gui/screenshot/lesson-01/dark", check_dark);
  g_test_add_func ("/gui/screenshot/bad-step", check_bad_step);
  g_test_add_func ("/gui/screenshot/bad-lesson", check_bad_lesson);
  g_test_add_func ("/gui/screenshot/lesson-06/views", check_views);
  return g_test_run ();
}

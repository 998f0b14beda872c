/* The topology view on lesson 01: the layout puts hosts where their roles
 * say, the picture shows every host's card, frames in flight are drawn as
 * dots at the player's time, and a click on a host tells its state. */
#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>
#include "gui.h"
#include "window.h"
#include "screenshot.h"
#include "topology-view.h"
#include "topology-layout.h"
#include "host-state.h"
#include "lesson/lessons-dir.h"

#define WAIT_TIMEOUT_S 60

typedef struct {
  guint           painted;
  MlWindow       *window;
  MlPlayer       *player;
  MlTopologyView *topology;
  gboolean        loaded;
  char           *failed;
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
  return gtk_widget_get_mapped (GTK_WIDGET (f->topology))
         && gtk_widget_get_width (GTK_WIDGET (f->topology)) > 0
         && gtk_widget_get_height (GTK_WIDGET (f->topology)) > 0
         && !ml_window_is_busy (f->window);
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

/* One real frame: a widget is drawable once the window has painted. */
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
  f->topology = ML_TOPOLOGY_VIEW (ml_window_get_view_widget (f->window, "topology"));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  g_signal_connect_swapped (f->window, "lesson-loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect_swapped (f->window, "lesson-failed", G_CALLBACK (on_failed), f);
  gtk_window_present (GTK_WINDOW (f->window));
  ml_window_open_lesson (f->window, path);
  wait_for (is_loaded, f, "the lesson to run");
  g_assert_null (f->failed);
  g_assert_true (ml_window_set_view (f->window, "topology"));
  wait_for (is_laid_out, f, "the topology to be laid out");
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

/* Lesson 01's layout, without a display: the message's journey reads
 * left to right, routers below the hosts they serve, DNS below its router. */
static void
test_layout (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ml_lessons_dir_find ("01", &error);
  g_autoptr(MlLesson) lesson = NULL;
  g_autoptr(MlTopologyLayout) layout = NULL;
  const MlTopologyHost *laptop, *msa, *mx, *mda, *rtr_a, *rtr_b, *dns;

  g_assert_no_error (error);
  lesson = ml_lesson_load_file (path, &error);
  g_assert_no_error (error);
  layout = ml_topology_layout_new (lesson);
  g_assert_cmpuint (layout->hosts->len, ==, lesson->hosts->len);
  g_assert_cmpuint (layout->links->len, ==, lesson->links->len);
#define HOST(name) ((const MlTopologyHost *) g_ptr_array_index (layout->hosts, ml_topology_layout_find_host (layout, name)))
  laptop = HOST ("alice-laptop");
  msa = HOST ("smtp.a.example");
  mx = HOST ("mx.b.example");
  mda = HOST ("mail.b.example");
  rtr_a = HOST ("rtr-a");
  rtr_b = HOST ("rtr-b");
  dns = HOST ("ns.example");
#undef HOST
  g_assert_cmpfloat (laptop->x, <, msa->x);
  g_assert_cmpfloat (msa->x, <, mx->x);
  g_assert_cmpfloat (mx->x, <, mda->x);
  g_assert_cmpfloat (laptop->y, ==, ML_TOPOLOGY_ROW_HOSTS);
  g_assert_cmpfloat (rtr_a->y, ==, ML_TOPOLOGY_ROW_ROUTERS);
  g_assert_cmpfloat (dns->y, ==, ML_TOPOLOGY_ROW_BELOW);
  /* Each router between the hosts it connects. */
  g_assert_cmpfloat (rtr_a->x, >, laptop->x);
  g_assert_cmpfloat (rtr_a->x, <, msa->x);
  g_assert_cmpfloat (rtr_b->x, >, mx->x);
  g_assert_cmpfloat (rtr_b->x, <, mda->x);
  g_assert_cmpfloat (dns->x, ==, rtr_a->x);
  g_assert_nonnull (ml_topology_layout_find_link (layout, "rtr-a--rtr-b"));
  g_assert_cmpuint (ml_topology_layout_find_link (layout, "rtr-a--rtr-b")->latency_us, ==, 20000);
  g_assert_null (ml_topology_layout_find_link (layout, "rtr-b--rtr-a"));
  g_assert_cmpuint (ml_topology_layout_max_latency_us (layout), ==, 20000);
}

/* Share of the pixels in @r (picture coordinates) that differ from the
 * background colour @bg. */
static double
ink_in (GdkTexture *texture, const graphene_rect_t *r, guint32 bg)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  g_autofree guint32 *pixels = g_new (guint32, (gsize) w * h);
  guint inked = 0, total = 0;

  gdk_texture_download (texture, (guchar *) pixels, (gsize) w * 4);
  for (int y = (int) r->origin.y; y < (int) (r->origin.y + r->size.height) && y < h; y++)
    for (int x = (int) r->origin.x; x < (int) (r->origin.x + r->size.width) && x < w; x++)
      {
        total++;
        inked += (pixels[(gsize) y * w + x] & 0xffffff) != (bg & 0xffffff);
      }
  return total ? (double) inked / total : 0.0;
}

static guint32
pixel_at (GdkTexture *texture, int px, int py)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  g_autofree guint32 *pixels = g_new (guint32, (gsize) w * h);

  gdk_texture_download (texture, (guchar *) pixels, (gsize) w * 4);
  return pixels[(gsize) py * w + px];
}

static char *
artifact_path (const char *name)
{
  const char *dir = g_getenv ("ML_SCREENSHOT_DIR");

  if (dir == NULL)
    return g_build_filename (g_get_tmp_dir (), name, NULL);
  g_mkdir_with_parents (dir, 0755);
  return g_build_filename (dir, name, NULL);
}

/* At fixed steps the picture has every host's card inked (its name and
 * badge drawn, not background), and as many dots as frames in flight. */
static void
test_render (Fixture *f, gconstpointer data)
{
  static const guint64 steps[] = { 1, 5, 30, 123, 200 };
  GtkWidget *widget = GTK_WIDGET (f->topology);
  guint saw_dots = 0;
  graphene_rect_t bounds;

  ml_player_set_mode (f->player, ML_STEP_MODE_PACKETS);
  g_assert_cmpuint (ml_topology_view_get_n_hosts (f->topology), ==, 7);
  for (guint s = 0; s < G_N_ELEMENTS (steps); s++)
    {
      g_autofree char *name = g_strdup_printf ("topology-01-packet-%03" G_GUINT64_FORMAT ".png", steps[s]);
      g_autofree char *png = artifact_path (name);
      g_autoptr(GError) error = NULL;
      g_autoptr(GdkTexture) texture = NULL;
      guint counts[ML_TOPOLOGY_N_DOT_KINDS];
      guint expected;
      guint32 bg;

      g_assert_true (ml_player_go_to_step (f->player, steps[s]));
      ml_topology_view_settle (f->topology);
      g_assert_cmpuint (ml_topology_view_get_time (f->topology), ==, ml_player_get_event (f->player)->time_us);
      /* Drawn as the snapshot draws it, on the view's background. */
      {
        int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
        cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
        cairo_t *cr = cairo_create (surface);

        cairo_set_source_rgb (cr, 1, 1, 1);
        cairo_paint (cr);
        ml_topology_view_render (f->topology, cr);
        cairo_destroy (cr);
        g_assert_cmpint (cairo_surface_write_to_png (surface, png), ==, CAIRO_STATUS_SUCCESS);
        cairo_surface_destroy (surface);
      }
      texture = gdk_texture_new_from_filename (png, &error);
      g_assert_no_error (error);
      g_assert_cmpint (gdk_texture_get_width (texture), ==, gtk_widget_get_width (widget));
      graphene_rect_init (&bounds, 0, 0, 0, 0);

      /* The view's corner is background; every card has ink. */
      bg = pixel_at (texture, (int) bounds.origin.x + 2, (int) bounds.origin.y + 2);
      for (guint i = 0; i < ml_topology_view_get_n_hosts (f->topology); i++)
        {
          graphene_rect_t r;

          g_assert_true (ml_topology_view_get_host_rect (f->topology, i, &r));
          g_assert_cmpfloat (r.size.width, >, 60);
          g_assert_cmpfloat (r.origin.x, >=, 0);
          g_assert_cmpfloat (r.origin.y + r.size.height, <=, gtk_widget_get_height (widget));
          r.origin.x += bounds.origin.x;
          r.origin.y += bounds.origin.y;
          g_assert_cmpfloat (ink_in (texture, &r, bg), >, 0.05);
        }
      /* The dots drawn are the frames in flight at the cursor's time. */
      expected = ml_topology_view_count_in_flight (f->topology, ml_player_get_event (f->player)->time_us, counts);
      g_assert_cmpuint (ml_topology_view_get_n_drawn (f->topology), ==, expected);
      if (ml_player_get_event (f->player)->kind == ML_TRACE_FRAME)
        g_assert_cmpuint (expected, >=, 1);
      saw_dots += expected;
    }
  g_assert_cmpuint (saw_dots, >=, 3);
}

/* A frame is in flight for its link's latency: on the 20 ms link between
 * the routers it is a dot for 20 ms and more, then gone. */
static void
test_in_flight (Fixture *f, gconstpointer data)
{
  MlTrace *trace = ml_player_get_trace (f->player);
  const MlTraceEvent *frame = NULL;
  guint counts[ML_TOPOLOGY_N_DOT_KINDS];

  for (guint64 i = 0; i < ml_trace_get_length (trace) && frame == NULL; i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (e->kind == ML_TRACE_FRAME && g_strcmp0 (e->link, "rtr-a--rtr-b") == 0
          && e->protocol == ML_PROTO_SMTP && strstr (e->text, "[SYN]"))
        frame = e;
    }
  g_assert_nonnull (frame);
  /* Alone on the backbone 10 ms after it left: a TCP-only dot. */
  g_assert_cmpuint (ml_topology_view_count_in_flight (f->topology, frame->time_us + 10000, counts), ==, 1);
  g_assert_cmpuint (counts[ML_TOPOLOGY_DOT_TCP], ==, 1);
  g_assert_cmpuint (ml_topology_view_count_in_flight (f->topology, frame->time_us + 19999, counts), >=, 1);
  g_assert_cmpuint (counts[ML_TOPOLOGY_DOT_TCP], >=, 1);
  /* After latency and serialisation (74 octets at 100 Mbit/s: 6 µs) it
   * has arrived, and the router forwards it on the next link (1 ms). */
  g_assert_cmpuint (ml_topology_view_count_in_flight (f->topology, frame->time_us + 20007, counts), ==, 1);
}

/* A click on the MSA while Alice submits shows its SMTP session and state;
 * stepping on updates the popover; at the end the MDA has Bob's mail. */
static void
test_host_popover (Fixture *f, gconstpointer data)
{
  const char *text;
  guint64 n = ml_player_get_n_steps (f->player);
  graphene_rect_t r;
  int i;

  while (ml_player_step_forward (f->player))
    {
      const MlTraceEvent *e = ml_player_get_event (f->player);

      if (e->kind == ML_TRACE_DIALOGUE && e->text && g_str_has_prefix (e->text, "MAIL FROM:"))
        break;
    }
  g_assert_true (ml_topology_view_show_host (f->topology, "smtp.a.example"));
  text = ml_topology_view_get_popup_text (f->topology);
  g_assert_nonnull (text);
  g_assert_true (g_str_has_prefix (text, "smtp.a.example\nMSA+MTA · 10.1.0.25"));
  g_assert_nonnull (strstr (text, "SMTP with alice-laptop (conn 1): "));
  g_assert_false (ml_topology_view_show_host (f->topology, "no-such-host"));

  /* The popover follows the cursor. */
  g_assert_true (ml_player_go_to_step (f->player, n));
  g_assert_true (ml_topology_view_show_host (f->topology, "mail.b.example"));
  text = ml_topology_view_get_popup_text (f->topology);
  g_assert_nonnull (strstr (text, "bob@b.example / INBOX: 1 message"));
  g_assert_nonnull (strstr (text, "No open session."));

  /* A point inside a card finds that host. */
  i = -1;
  for (guint k = 0; k < ml_topology_view_get_n_hosts (f->topology); k++)
    if (g_str_equal (ml_topology_view_get_host_name (f->topology, k), "rtr-b"))
      i = (int) k;
  g_assert_cmpint (i, >=, 0);
  g_assert_true (ml_topology_view_get_host_rect (f->topology, (guint) i, &r));
  g_assert_cmpint (ml_topology_view_get_host_at (f->topology, r.origin.x + r.size.width / 2,
                                                 r.origin.y + r.size.height / 2), ==, i);
  g_assert_cmpint (ml_topology_view_get_host_at (f->topology, 1, 1), ==, -1);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* While playing, the picture's clock runs on from the cursor's time
 * towards the next step's, so dots move between steps; paused, it shows
 * the cursor's time again. */
static void
test_play_animates (Fixture *f, gconstpointer data)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint64 ahead = 0;
  guint samples = 0;

  g_assert_true (ml_player_go_to_step (f->player, 60));
  ml_topology_view_settle (f->topology);
  ml_player_set_speed (f->player, 0.01);
  ml_player_set_playing (f->player, TRUE);
  for (guint i = 0; i < 40 && ml_player_get_playing (f->player); i++)
    {
      const MlTraceEvent *e;

      g_timeout_add (25, quit_loop, loop);
      g_main_loop_run (loop);
      e = ml_player_get_event (f->player);
      if (ml_topology_view_get_time (f->topology) > e->time_us)
        ahead = MAX (ahead, ml_topology_view_get_time (f->topology) - e->time_us);
      samples++;
    }
  ml_player_set_playing (f->player, FALSE);
  g_test_message ("%u samples, the picture ran up to %" G_GUINT64_FORMAT " µs ahead of the cursor",
                  samples, ahead);
  g_assert_cmpuint (ahead, >, 0);
  /* Paused: the cursor's own time. */
  g_assert_cmpuint (ml_topology_view_get_time (f->topology), ==, ml_player_get_event (f->player)->time_us);
}

/* The host state alone, on a trace with a queue and a session. */
static void
test_host_state (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlHostState) state = NULL;
  g_autofree char *text = NULL;
  MlTraceEvent *e;

  e = ml_trace_event_new (ML_TRACE_STATE);
  e->host = g_strdup ("mta");
  e->peer = g_strdup ("mua");
  e->conn_id = 4;
  e->protocol = ML_PROTO_SMTP;
  e->state_from = g_strdup ("init");
  e->state_to = g_strdup ("greeting");
  ml_trace_append (trace, e);
  for (guint k = 0; k < 3; k++)
    {
      e = ml_trace_event_new (ML_TRACE_NOTE);
      e->host = g_strdup ("mta");
      e->explain_key = g_strdup (k < 2 ? "smtp.queue.queued" : "smtp.queue.delivered");
      ml_trace_append (trace, e);
    }
  state = ml_host_state_new (trace, "mta", 0);
  g_assert_cmpuint (ml_host_state_count_open_sessions (state), ==, 1);
  g_assert_cmpuint (state->queued, ==, 0);
  ml_host_state_free (g_steal_pointer (&state));
  state = ml_host_state_new (trace, "mta", 2);
  g_assert_cmpuint (state->queued, ==, 2);
  ml_host_state_free (g_steal_pointer (&state));
  state = ml_host_state_new (trace, "mta", 99);
  g_assert_cmpuint (state->queued, ==, 1);
  text = ml_host_state_dup_text (state, "mta");
  g_assert_cmpstr (text, ==, "mta\n\nOpen sessions (state now):\n  SMTP with mua (conn 4): greeting\n"
                             "Mail queue: 1 message waiting.");
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
  g_test_add_func ("/gui/topology/layout/lesson-01", test_layout);
  g_test_add_func ("/gui/topology/host-state", test_host_state);
  if (!gtk_init_check ())
    {
      g_test_add_func ("/gui/topology/no-display", skip_no_display);
      return g_test_run ();
    }
  adw_init ();
  ml_gui_init ();
  g_test_add ("/gui/topology/lesson-01/render", Fixture, "01", fixture_set_up, test_render, fixture_tear_down);
  g_test_add ("/gui/topology/lesson-01/in-flight", Fixture, "01", fixture_set_up, test_in_flight, fixture_tear_down);
  g_test_add ("/gui/topology/lesson-01/host-popover", Fixture, "01", fixture_set_up, test_host_popover, fixture_tear_down);
  g_test_add ("/gui/topology/lesson-01/play-animates", Fixture, "01", fixture_set_up, test_play_animates, fixture_tear_down);
  return g_test_run ();
}

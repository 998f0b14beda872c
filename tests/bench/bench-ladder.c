/* bench-ladder — how the ladder copes with a million-event trace.
 *
 * Run by hand under a display (or xvfb-run):
 *   ninja -C build tests/gui/bench-ladder
 *   xvfb-run -a -s '-screen 0 1280x1024x24' build/tests/gui/bench-ladder [--events N] [--frames F]
 *
 * It builds a synthetic trace shaped like SMTP relays (dialogue lines,
 * state changes and the frames under them, across five hosts), opens it in
 * a window with the ladder, and prints the time to open (set the trace →
 * first frame painted) in both modes, then scrolls for F frames and prints
 * the frame clock's timings: the interval between frames and the time GTK
 * spent in layout + paint for each. Then it appends 1,000 events at a time
 * and times ml_player_trace_grew (a trace growing while it is shown)
 * against handing the player the whole trace again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <adwaita.h>
#include "gui.h"
#include "ladder-lanes.h"
#include "ladder-view.h"
#include "player.h"
#include "trace-fixture.h"

typedef struct {
  GtkWidget     *window;
  MlLadderView  *ladder;
  MlPlayer      *player;
  GdkFrameClock *clock;
  GMainLoop     *loop;

  gint64         open_start;
  gboolean       opening;
  double         open_ms;

  guint          frames_left;
  gint64         layout_start;
  GArray        *work_us;      /* gint64: layout → after paint */
  GArray        *interval_us;  /* gint64: frame time to frame time */
  gint64         last_frame_time;
  double         direction;
} Bench;

static const char *hosts[] = { "alice-laptop", "smtp.a.example", "rtr-a", "rtr-b", "mx.b.example", NULL };

/* Appends SMTP relays to @trace until it holds @n_events, carrying on
 * from its last event's time. */
static void
append_relays (MlTrace *trace, guint64 n_events)
{
  static const char *lines[][2] = {
    { "EHLO smtp.a.example", "250-mx.b.example\n250-PIPELINING\n250 8BITMIME" },
    { "MAIL FROM:<alice@a.example>", "250 2.1.0 Ok" },
    { "RCPT TO:<bob@b.example>", "250 2.1.5 Ok" },
    { "DATA", "354 End data with <CR><LF>.<CR><LF>" },
    { "QUIT", "221 2.0.0 Bye" },
  };
  guint64 length = ml_trace_get_length (trace);
  guint64 t = length ? ml_trace_get_event (trace, length - 1)->time_us + 1000 : 0;
  guint i = (guint) (length / 10);

  while (ml_trace_get_length (trace) < n_events)
    {
      const char *cmd = lines[i % G_N_ELEMENTS (lines)][0];
      const char *reply = lines[i % G_N_ELEMENTS (lines)][1];

      ml_test_add_state (trace, t, "smtp.a.example", 1 + i / 5, "ready", "mail");
      ml_test_add_dialogue (trace, t, "smtp.a.example", "mx.b.example", ML_DIR_CLIENT_TO_SERVER, cmd, "smtp.mail");
      ml_test_add_frame (trace, t, "smtp.a.example", "rtr-a", 1 + i / 5, 0, cmd);
      ml_test_add_frame (trace, t + 1000, "rtr-a", "rtr-b", 1 + i / 5, 1, cmd);
      ml_test_add_frame (trace, t + 21000, "rtr-b", "mx.b.example", 1 + i / 5, 2, cmd);
      ml_test_add_dialogue (trace, t + 22000, "mx.b.example", "smtp.a.example", ML_DIR_SERVER_TO_CLIENT, reply, "smtp.reply.250");
      ml_test_add_frame (trace, t + 22000, "mx.b.example", "rtr-b", 1 + i / 5, 0, reply);
      ml_test_add_frame (trace, t + 23000, "rtr-b", "rtr-a", 1 + i / 5, 1, reply);
      ml_test_add_frame (trace, t + 43000, "rtr-a", "smtp.a.example", 1 + i / 5, 2, reply);
      t += 44000;
      i++;
    }
}

static MlTrace *
build_trace (guint64 n_events)
{
  MlTrace *trace = ml_trace_new ();

  append_relays (trace, n_events);
  return trace;
}

static int
cmp_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
print_stats (const char *what, GArray *values)
{
  double sum = 0;

  if (values->len == 0)
    return;
  g_array_sort (values, cmp_gint64);
  for (guint i = 0; i < values->len; i++)
    sum += g_array_index (values, gint64, i);
  printf ("  %-22s mean %6.2f ms  p50 %6.2f ms  p95 %6.2f ms  max %6.2f ms  (%u frames)\n", what,
          sum / values->len / 1000.0,
          g_array_index (values, gint64, values->len / 2) / 1000.0,
          g_array_index (values, gint64, values->len * 95 / 100) / 1000.0,
          g_array_index (values, gint64, values->len - 1) / 1000.0,
          values->len);
}

static void
on_layout (GdkFrameClock *clock, Bench *b)
{
  b->layout_start = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock, Bench *b)
{
  gint64 now = g_get_monotonic_time ();

  if (b->opening && gtk_widget_get_width (GTK_WIDGET (b->ladder)) > 0)
    {
      b->opening = FALSE;
      b->open_ms = (now - b->open_start) / 1000.0;
      g_main_loop_quit (b->loop);
      return;
    }
  if (b->frames_left > 0 && b->layout_start)
    {
      gint64 work = now - b->layout_start;
      gint64 frame_time = gdk_frame_clock_get_frame_time (clock);

      g_array_append_val (b->work_us, work);
      if (b->last_frame_time)
        {
          gint64 interval = frame_time - b->last_frame_time;
          g_array_append_val (b->interval_us, interval);
        }
      b->last_frame_time = frame_time;
    }
}

/* Scrolls by most of a page each frame, bouncing at the ends, which draws
 * new rows every frame: the worst case for a virtual list. */
static gboolean
scroll_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  Bench *b = user_data;
  GtkAdjustment *vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (b->ladder));
  double value = gtk_adjustment_get_value (vadj);
  double page = gtk_adjustment_get_page_size (vadj);
  double upper = gtk_adjustment_get_upper (vadj);

  if (b->frames_left == 0)
    {
      g_main_loop_quit (b->loop);
      return G_SOURCE_REMOVE;
    }
  b->frames_left--;
  value += b->direction * page * 0.8;
  if (value + page > upper || value < 0)
    {
      b->direction = -b->direction;
      value = CLAMP (value, 0, upper - page);
    }
  gtk_adjustment_set_value (vadj, value);
  return G_SOURCE_CONTINUE;
}

static void
open_trace (Bench *b, MlTrace *trace, MlStepMode mode, const char *what)
{
  b->open_start = g_get_monotonic_time ();
  b->opening = TRUE;
  ml_player_set_mode (b->player, mode);
  ml_player_set_trace (b->player, trace);
  gtk_widget_queue_draw (GTK_WIDGET (b->ladder));
  g_main_loop_run (b->loop);
  printf ("open %-9s %8" G_GUINT64_FORMAT " rows, %u lanes: %8.1f ms to the first frame\n", what,
          ml_player_get_n_steps (b->player), ml_ladder_view_get_n_lanes (b->ladder), b->open_ms);
}

/* A trace that grows while shown (attached to a server, a live capture):
 * @n_more events appended, then ml_player_trace_grew and the next frame
 * painted; against it, the old way of handing the player the whole trace
 * again. The cursor is on the last step, so it follows. */
static void
grow (Bench *b, MlTrace *trace, guint n_more, guint rounds)
{
  for (guint r = 0; r < rounds; r++)
    {
      gint64 t0, t1;
      guint64 before = ml_trace_get_length (trace);

      ml_player_go_to_end (b->player);
      append_relays (trace, before + n_more);
      t0 = g_get_monotonic_time ();
      ml_player_trace_grew (b->player);
      t1 = g_get_monotonic_time ();
      b->open_start = t0;
      b->opening = TRUE;
      gtk_widget_queue_draw (GTK_WIDGET (b->ladder));
      g_main_loop_run (b->loop);
      printf ("append %u events to %" G_GUINT64_FORMAT ": trace_grew %6.3f ms, to the next frame %6.1f ms"
              " (cursor on step %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT ")\n",
              n_more, before, (t1 - t0) / 1000.0, b->open_ms,
              ml_player_get_step (b->player), ml_player_get_n_steps (b->player));
    }
  {
    gint64 t0;
    guint64 before = ml_trace_get_length (trace);

    append_relays (trace, before + n_more);
    t0 = g_get_monotonic_time ();
    ml_player_set_trace (b->player, NULL);
    ml_player_set_trace (b->player, trace);
    ml_player_go_to_end (b->player);
    b->open_start = t0;
    b->opening = TRUE;
    gtk_widget_queue_draw (GTK_WIDGET (b->ladder));
    g_main_loop_run (b->loop);
    printf ("the same by setting the trace again (before trace_grew): %6.1f ms to the next frame\n",
            b->open_ms);
  }
}

static void
scroll (Bench *b, guint frames, const char *what)
{
  g_array_set_size (b->work_us, 0);
  g_array_set_size (b->interval_us, 0);
  b->last_frame_time = 0;
  b->layout_start = 0;
  b->frames_left = frames;
  b->direction = 1;
  gtk_widget_add_tick_callback (GTK_WIDGET (b->ladder), scroll_tick, b, NULL);
  g_main_loop_run (b->loop);
  printf ("scroll %s, %u frames of 0.8 page:\n", what, frames);
  print_stats ("layout + paint", b->work_us);
  print_stats ("frame interval", b->interval_us);
}

int
main (int argc, char **argv)
{
  gint64 n_events = 1000000;
  int frames = 600;
  GOptionEntry entries[] = {
    { "events", 'n', 0, G_OPTION_ARG_INT64, &n_events, "Events in the trace (1000000)", "N" },
    { "frames", 'f', 0, G_OPTION_ARG_INT, &frames, "Frames to scroll (600)", "F" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— ladder benchmark");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = NULL;
  GtkWidget *scroller;
  Bench b = { 0 };
  gint64 t0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-ladder: %s\n", error->message);
      return 2;
    }
  if (!gtk_init_check ())
    {
      fprintf (stderr, "bench-ladder: no display (try xvfb-run)\n");
      return 77;
    }
  adw_init ();
  ml_gui_init ();

  t0 = g_get_monotonic_time ();
  trace = build_trace ((guint64) n_events);
  printf ("built a trace of %" G_GUINT64_FORMAT " events in %.0f ms (not part of opening)\n",
          ml_trace_get_length (trace), (g_get_monotonic_time () - t0) / 1000.0);

  /* The two scans opening a trace costs, on their own. */
  for (MlStepMode mode = ML_STEP_MODE_DIALOGUE; mode <= ML_STEP_MODE_PACKETS; mode++)
    {
      g_autoptr(MlStepIndex) index = NULL;
      g_autoptr(MlLadderLanes) lanes = NULL;
      gint64 t1;

      t0 = g_get_monotonic_time ();
      index = ml_step_index_new (trace, mode);
      t1 = g_get_monotonic_time ();
      lanes = ml_ladder_lanes_new (trace, index, hosts);
      printf ("%-8s step index %6.1f ms, lanes %6.1f ms\n",
              mode == ML_STEP_MODE_DIALOGUE ? "dialogue" : "packets",
              (t1 - t0) / 1000.0, (g_get_monotonic_time () - t1) / 1000.0);
    }

  b.loop = g_main_loop_new (NULL, FALSE);
  b.work_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.interval_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.player = ml_player_new ();
  ml_player_set_hosts (b.player, hosts);
  b.ladder = ML_LADDER_VIEW (ml_ladder_view_new ());
  ml_ladder_view_set_player (b.ladder, b.player);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (b.ladder));
  b.window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (b.window), 1200, 800);
  gtk_window_set_child (GTK_WINDOW (b.window), scroller);
  gtk_window_present (GTK_WINDOW (b.window));

  /* Let the empty window settle before timing anything. */
  while (!gtk_widget_get_mapped (b.window))
    g_main_context_iteration (NULL, TRUE);
  b.clock = gtk_widget_get_frame_clock (b.window);
  g_signal_connect (b.clock, "layout", G_CALLBACK (on_layout), &b);
  g_signal_connect (b.clock, "after-paint", G_CALLBACK (on_after_paint), &b);

  open_trace (&b, trace, ML_STEP_MODE_DIALOGUE, "dialogue");
  scroll (&b, (guint) frames, "dialogue mode");
  t0 = g_get_monotonic_time ();
  ml_player_go_to_end (b.player);
  printf ("jump to the last step: %.2f ms\n", (g_get_monotonic_time () - t0) / 1000.0);

  grow (&b, trace, 1000, 5);

  ml_player_set_trace (b.player, NULL);
  open_trace (&b, trace, ML_STEP_MODE_PACKETS, "packets");
  scroll (&b, (guint) frames, "packets mode");

  g_signal_handlers_disconnect_by_data (b.clock, &b);
  gtk_window_destroy (GTK_WINDOW (b.window));
  g_object_unref (b.player);
  g_array_unref (b.work_us);
  g_array_unref (b.interval_us);
  g_main_loop_unref (b.loop);
  return 0;
}

/* The main window on real lessons: stepping through every step keeps the
 * player, the step label, the ladder's lit row and the detail views in
 * agreement; modes switch; fields and bytes light each other up. */
#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>
#include "gui.h"
#include "window.h"
#include "lesson/lessons-dir.h"
#include "ladder-export.h"
#include "mailbox-view.h"
#include "compare-chart.h"
#include "trace-fixture.h"

/* Long enough for a lesson on a slow, sanitised build. */
#define WAIT_TIMEOUT_S 60

typedef struct {
  MlWindow *window;
  MlPlayer *player;
  MlLadderView *ladder;
  gboolean  loaded;
  char     *failed;
} Fixture;

static gboolean
timed_out (gpointer data)
{
  gboolean *flag = data;

  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

/* Spins the main loop until @done says so, or fails the test. */
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
  return gtk_widget_get_width (GTK_WIDGET (f->ladder)) > 0
         && gtk_widget_get_height (GTK_WIDGET (f->ladder)) > 0
         && !ml_window_is_busy (f->window);
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
open_lesson (Fixture *f, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ml_lessons_dir_find (name, &error);

  g_assert_no_error (error);
  f->loaded = FALSE;
  ml_window_open_lesson (f->window, path);
  wait_for (is_loaded, f, "the lesson to run");
  g_assert_null (f->failed);
  wait_for (is_laid_out, f, "the ladder to be laid out");
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->window = ml_window_new (NULL);
  g_object_ref_sink (f->window);
  f->player = ml_window_get_player (f->window);
  f->ladder = ml_window_get_ladder (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1200, 800);
  g_signal_connect_swapped (f->window, "lesson-loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect_swapped (f->window, "lesson-failed", G_CALLBACK (on_failed), f);
  gtk_window_present (GTK_WINDOW (f->window));
  if (data)
    open_lesson (f, data);
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

/* Everything that must agree at one step. */
static void
assert_step (Fixture *f, guint64 step)
{
  const MlStepIndex *index = ml_player_get_step_index (f->player);
  gint64 row = ml_ladder_view_get_highlighted_row (f->ladder);
  g_autofree char *label = g_strdup_printf ("step %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT,
                                            step, ml_player_get_n_steps (f->player));
  double y;

  g_assert_cmpuint (ml_player_get_step (f->player), ==, step);
  g_assert_cmpint (row, ==, (gint64) step - 1);
  g_assert_cmpuint (ml_step_index_get_event (index, (guint64) row), ==, ml_player_get_position (f->player));
  g_assert_cmpstr (ml_window_get_step_text (f->window), ==, label);

  /* The lit row is in view, below the lane names. */
  y = ml_ladder_view_get_row_y (f->ladder, (guint64) row);
  g_assert_cmpint (ml_ladder_view_get_row_at_y (f->ladder, y + ml_ladder_view_get_row_height (f->ladder) / 2), ==, row);
  g_assert_cmpfloat (y + ml_ladder_view_get_row_height (f->ladder), <=,
                     gtk_widget_get_height (GTK_WIDGET (f->ladder)));
}

static void
test_step_through (Fixture *f, gconstpointer data)
{
  guint64 n = ml_player_get_n_steps (f->player);

  g_assert_cmpuint (n, >, 10);
  g_assert_cmpint (ml_player_get_mode (f->player), ==, ML_STEP_MODE_DIALOGUE);
  assert_step (f, 1);

  for (guint64 step = 2; step <= n; step++)
    {
      gtk_widget_activate_action (GTK_WIDGET (f->window), "player.step-forward", NULL);
      assert_step (f, step);
    }
  /* At the end the action has nowhere to go. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "player.step-forward", NULL);
  assert_step (f, n);

  for (guint64 step = n - 1; step >= 1; step--)
    {
      gtk_widget_activate_action (GTK_WIDGET (f->window), "player.step-back", NULL);
      assert_step (f, step);
    }

  gtk_widget_activate_action (GTK_WIDGET (f->window), "player.end", NULL);
  assert_step (f, n);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "player.start", NULL);
  assert_step (f, 1);
}

static gboolean
lane_named (MlLadderView *ladder, const char *name)
{
  for (guint i = 0; i < ml_ladder_view_get_n_lanes (ladder); i++)
    if (g_str_equal (ml_ladder_view_get_lane_name (ladder, i), name))
      return TRUE;
  return FALSE;
}

static void
test_modes (Fixture *f, gconstpointer data)
{
  MlTrace *trace = ml_player_get_trace (f->player);
  guint dialogue_lanes = ml_ladder_view_get_n_lanes (f->ladder);
  guint64 dialogue_steps = ml_player_get_n_steps (f->player);
  guint64 position;

  /* Lesson 01 relays across two routers: they carry frames, no dialogue. */
  g_assert_false (lane_named (f->ladder, "rtr-a"));
  ml_player_go_to_step (f->player, 5);
  position = ml_player_get_position (f->player);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "player.toggle-mode", NULL);
  g_assert_cmpint (ml_player_get_mode (f->player), ==, ML_STEP_MODE_PACKETS);
  g_assert_cmpuint (ml_player_get_n_steps (f->player), ==, ml_trace_get_length (trace));
  g_assert_cmpuint (ml_player_get_n_steps (f->player), >, dialogue_steps);
  g_assert_cmpuint (ml_player_get_position (f->player), ==, position);
  g_assert_cmpuint (ml_ladder_view_get_n_lanes (f->ladder), >, dialogue_lanes);
  g_assert_true (lane_named (f->ladder, "rtr-a"));
  assert_step (f, position + 1);

  /* Packets mode visits every frame in between. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "player.step-forward", NULL);
  g_assert_cmpuint (ml_player_get_position (f->player), ==, position + 1);
  while (ml_player_get_event (f->player)->kind != ML_TRACE_FRAME)
    g_assert_true (ml_player_step_forward (f->player));
  position = ml_player_get_position (f->player);
  assert_step (f, position + 1);

  /* Back in dialogue mode the cursor sits on the line before that frame. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "player.toggle-mode", NULL);
  g_assert_cmpint (ml_player_get_mode (f->player), ==, ML_STEP_MODE_DIALOGUE);
  g_assert_cmpuint (ml_player_get_n_steps (f->player), ==, dialogue_steps);
  g_assert_cmpuint (ml_player_get_position (f->player), <, position);
  g_assert_cmpint (ml_player_get_event (f->player)->kind, !=, ML_TRACE_FRAME);
  g_assert_cmpuint (ml_ladder_view_get_n_lanes (f->ladder), ==, dialogue_lanes);
  assert_step (f, ml_player_get_step (f->player));
}

static gboolean
find_dialogue (MlPlayer *player, const char *prefix)
{
  ml_player_go_to_start (player);
  do
    {
      const MlTraceEvent *e = ml_player_get_event (player);

      if (e->kind == ML_TRACE_DIALOGUE && g_str_has_prefix (e->text, prefix))
        return TRUE;
    }
  while (ml_player_step_forward (player));
  return FALSE;
}

static void
test_packet_detail (Fixture *f, gconstpointer data)
{
  MlPacketView *packet = ml_window_get_packet_view (f->window);
  MlHexView *hex = ml_packet_view_get_hex_view (packet);
  MlTrace *trace = ml_player_get_trace (f->player);
  const MlTraceEvent *line, *frame;
  MlPacketField *field;
  gsize offset, length;

  g_assert_true (find_dialogue (f->player, "MAIL FROM:"));
  line = ml_player_get_event (f->player);
  g_assert_cmpint (ml_packet_view_get_frame (packet), >, (gint64) line->index);
  frame = ml_trace_get_event (trace, (guint64) ml_packet_view_get_frame (packet));
  g_assert_cmpint (frame->kind, ==, ML_TRACE_FRAME);
  g_assert_cmpuint (frame->conn_id, ==, line->conn_id);
  g_assert_cmpstr (frame->host, ==, line->host);
  g_assert_true (ml_hex_view_get_bytes (hex) == frame->bytes);

  /* The line the step is about is selected, and its bytes are lit. */
  field = ml_packet_view_get_selected_field (packet);
  g_assert_nonnull (field);
  g_assert_true (g_str_has_prefix (ml_packet_field_get_text (field), "MAIL FROM:"));
  ml_hex_view_get_highlight (hex, &offset, &length);
  g_assert_cmpuint (offset, ==, ml_packet_field_get_offset (field));
  g_assert_cmpuint (length, ==, ml_packet_field_get_length (field));
  g_assert_cmpmem ((const guint8 *) g_bytes_get_data (frame->bytes, NULL) + offset, 10, "MAIL FROM:", 10);

  /* A click on a byte selects its field. */
  g_assert_true (ml_packet_view_select_byte (packet, 6));
  field = ml_packet_view_get_selected_field (packet);
  g_assert_cmpstr (ml_packet_field_get_text (field), ==, "Source: 02:6d:6c:00:00:01");
  ml_hex_view_get_highlight (hex, &offset, &length);
  g_assert_cmpuint (offset, ==, 6);
  g_assert_cmpuint (length, ==, 6);

  /* Selecting a layer lights the whole header. */
  ml_packet_view_select_row (packet, 0);
  ml_hex_view_get_highlight (hex, &offset, &length);
  g_assert_cmpuint (offset, ==, 0);
  g_assert_cmpuint (length, ==, 14);
}

static void
test_hex_click (Fixture *f, gconstpointer data)
{
  MlPacketView *packet = ml_window_get_packet_view (f->window);
  MlHexView *hex = ml_packet_view_get_hex_view (packet);
  g_autoptr(GArray) hits = g_array_new (FALSE, FALSE, sizeof (gssize));
  int width;

  g_assert_true (find_dialogue (f->player, "EHLO"));
  wait_for (is_laid_out, f, "layout");
  width = gtk_widget_get_width (GTK_WIDGET (hex));
  g_assert_cmpint (width, >, 0);

  /* Across the first row a click meets bytes 0 … 15 in the hex columns,
   * then 0 … 15 again in the ASCII column. */
  for (int x = 0; x < width; x++)
    {
      gssize b = ml_hex_view_get_byte_at (hex, x, 10);

      if (b >= 0 && (hits->len == 0 || g_array_index (hits, gssize, hits->len - 1) != b))
        g_array_append_val (hits, b);
    }
  g_assert_cmpuint (hits->len, ==, 2 * ML_HEX_BYTES_PER_ROW);
  for (guint i = 0; i < hits->len; i++)
    g_assert_cmpint (g_array_index (hits, gssize, i), ==, (gssize) (i % ML_HEX_BYTES_PER_ROW));
  /* The offset column and the margin are no byte. */
  g_assert_cmpint (ml_hex_view_get_byte_at (hex, 0, 0), ==, -1);
  g_assert_cmpint (ml_hex_view_get_byte_at (hex, 12, 10), ==, -1);
}

static void
test_note (Fixture *f, gconstpointer data)
{
  MlNoteView *note = ml_window_get_note_view (f->window);
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autofree char *dir = ml_lessons_dir_dup_explain ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) odd = ml_trace_new ();
  const MlExplanation *expected;

  g_assert_true (ml_explain_catalog_load_dir (catalog, dir, &error));
  g_assert_no_error (error);

  g_assert_true (find_dialogue (f->player, "EHLO"));
  expected = ml_explain_catalog_find (catalog, ml_player_get_event (f->player)->explain_key);
  g_assert_nonnull (expected);
  g_assert_cmpstr (ml_note_view_get_title (note), ==, expected->title);
  g_assert_cmpstr (ml_note_view_get_rfc (note), ==, expected->rfc);
  g_assert_true (g_str_has_prefix (ml_note_view_get_text (note), expected->text));

  /* A state change shows before → after. */
  do
    g_assert_true (ml_player_step_forward (f->player));
  while (ml_player_get_event (f->player)->kind != ML_TRACE_STATE);
  {
    const MlTraceEvent *e = ml_player_get_event (f->player);
    g_autofree char *state = g_strdup_printf ("State: %s → %s", e->state_from, e->state_to);

    g_assert_cmpstr (ml_note_view_get_state (note), ==, state);
  }

  /* A key the catalog lacks is said plainly. */
  ml_test_add_dialogue (odd, 0, "a", "b", ML_DIR_CLIENT_TO_SERVER, "XYZZY", "smtp-like.nothing");
  ml_player_set_trace (f->player, odd);
  g_assert_cmpstr (ml_note_view_get_title (note), ==, "No note for this event");
  g_assert_nonnull (strstr (ml_note_view_get_text (note), "smtp-like.nothing"));
}

static void
test_start_screen (Fixture *f, gconstpointer data)
{
  MlLessonList *list = ml_window_get_lesson_list (f->window);
  const char *first = ml_lesson_list_get_path (list, 0);

  g_assert_nonnull (first);
  g_assert_true (g_str_has_suffix (first, "01-smtp-journey.yaml"));
  g_assert_nonnull (ml_lesson_list_get_path (list, 1));
  g_assert_null (ml_window_get_lesson (f->window));

  open_lesson (f, "01");
  g_assert_nonnull (ml_window_get_lesson (f->window));
  g_assert_cmpstr (ml_window_get_lesson (f->window)->id, ==, "01-smtp-journey");
  ml_window_show_lessons (f->window);
  /* Play stops when the lesson is put away. */
  g_assert_false (ml_player_get_playing (f->player));
}

static void
test_zoom (Fixture *f, gconstpointer data)
{
  double before = ml_ladder_view_get_row_height (f->ladder);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.zoom-in", NULL);
  g_assert_cmpfloat (ml_ladder_view_get_zoom (f->ladder), >, 1.0);
  g_assert_cmpfloat (ml_ladder_view_get_row_height (f->ladder), >, before);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.zoom-reset", NULL);
  g_assert_cmpfloat (ml_ladder_view_get_zoom (f->ladder), ==, 1.0);
  g_assert_cmpfloat (ml_ladder_view_get_row_height (f->ladder), ==, before);
}

static void
assert_file_starts (const char *path, const char *a, const char *b)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 100);
  if (!g_str_has_prefix (contents, a) && (b == NULL || !g_str_has_prefix (contents, b)))
    g_assert_cmpstr (contents, ==, a);
}

/* The ladder of lesson 01 as PNG, SVG and PDF, and the transcript. */
static void
test_export (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("maillab-export-XXXXXX", &error);
  g_autofree char *png = NULL;
  g_autofree char *svg = NULL;
  g_autofree char *pdf = NULL;
  g_autofree char *txt = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  g_assert_no_error (error);
  png = g_build_filename (dir, "ladder.png", NULL);
  svg = g_build_filename (dir, "ladder.svg", NULL);
  pdf = g_build_filename (dir, "ladder.PDF", NULL);
  txt = g_build_filename (dir, "transcript.txt", NULL);

  g_assert_cmpint (ml_ladder_export_format_for_path (svg), ==, ML_LADDER_EXPORT_SVG);
  g_assert_cmpint (ml_ladder_export_format_for_path (pdf), ==, ML_LADDER_EXPORT_PDF);
  g_assert_cmpint (ml_ladder_export_format_for_path (png), ==, ML_LADDER_EXPORT_PNG);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  for (guint i = 0; i < 3; i++)
    {
      const char *path = i == 0 ? png : i == 1 ? svg : pdf;

      g_assert_true (ml_ladder_export_widget (GTK_WIDGET (f->ladder), path,
                                              ml_ladder_export_format_for_path (path), &error));
      g_assert_no_error (error);
    }

  texture = gdk_texture_new_from_filename (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, gtk_widget_get_width (GTK_WIDGET (f->ladder)));
  g_assert_cmpint (gdk_texture_get_height (texture), ==, gtk_widget_get_height (GTK_WIDGET (f->ladder)));
  assert_file_starts (svg, "<?xml", "<svg");
  assert_file_starts (pdf, "%PDF", NULL);

  g_assert_true (ml_transcript_export (ml_player_get_trace (f->player), txt, &error));
  g_assert_no_error (error);
  assert_file_starts (txt, "", NULL);
  {
    g_autofree char *contents = NULL;

    g_assert_true (g_file_get_contents (txt, &contents, NULL, NULL));
    g_assert_nonnull (strstr (contents, "MAIL FROM"));
  }

  g_unlink (png);
  g_unlink (svg);
  g_unlink (pdf);
  g_unlink (txt);
  g_rmdir (dir);
}

/* The mailbox view follows the player through lesson 06, forward to the
 * end and back to the start. */
static void
test_mailbox_view (Fixture *f, gconstpointer data)
{
  MlMailboxView *view = ML_MAILBOX_VIEW (ml_window_get_view_widget (f->window, "mailboxes"));
  guint64 n = ml_player_get_n_steps (f->player);
  gboolean saw_two = FALSE;

  g_assert_true (ml_window_set_view (f->window, "mailboxes"));
  g_assert_cmpstr (ml_window_get_view (f->window), ==, "mailboxes");
  g_assert_false (ml_window_set_view (f->window, "no-such-view"));
  for (guint64 step = 1; step <= n; step++)
    {
      g_assert_true (ml_player_go_to_step (f->player, step));
      g_assert_cmpuint (ml_mailbox_view_get_n_columns (view), >=, 1);
      if (strstr (ml_mailbox_view_get_column_text (view, 0), "INBOX: 2 messages"))
        saw_two = TRUE;
    }
  g_assert_true (saw_two);
  g_assert_nonnull (strstr (ml_mailbox_view_get_column_text (view, 0), "INBOX: 0 messages"));
  g_assert_cmpuint (ml_mailbox_view_get_n_columns (view), ==, 3);
  for (guint64 step = n; step >= 1; step--)
    g_assert_true (ml_player_go_to_step (f->player, step));
  g_assert_cmpstr (ml_mailbox_view_get_column_text (view, 0), ==, "Server\nnothing stored yet");
  g_assert_cmpuint (ml_mailbox_view_get_n_columns (view), ==, 1);
}

/* The comparison chart samples the whole lesson and redraws at every
 * step, forwards and back, without a warning. */
static void
test_compare_chart (Fixture *f, gconstpointer data)
{
  MlCompareChart *chart = ML_COMPARE_CHART (ml_window_get_view_widget (f->window, "compare"));
  guint64 n = ml_player_get_n_steps (f->player);

  g_assert_true (ml_window_set_view (f->window, "compare"));
  /* SMTP, POP3 and IMAP each add figures more than once in lesson 06. */
  g_assert_cmpuint (ml_compare_chart_get_n_samples (chart), >, 10);
  for (guint64 step = 1; step <= n; step += 5)
    g_assert_true (ml_player_go_to_step (f->player, step));
  for (guint64 step = n; step >= 7; step -= 7)
    g_assert_true (ml_player_go_to_step (f->player, step));
  g_assert_true (ml_player_go_to_step (f->player, 1));
  g_assert_cmpstr (ml_window_get_view (f->window), ==, "compare");
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
      g_test_add_func ("/gui/window/no-display", skip_no_display);
      return g_test_run ();
    }
  adw_init ();
  ml_gui_init ();

  g_test_add ("/gui/window/lesson-01/step-through", Fixture, "01", fixture_set_up, test_step_through, fixture_tear_down);
  g_test_add ("/gui/window/lesson-02/step-through", Fixture, "02", fixture_set_up, test_step_through, fixture_tear_down);
  g_test_add ("/gui/window/lesson-01/modes", Fixture, "01", fixture_set_up, test_modes, fixture_tear_down);
  g_test_add ("/gui/window/lesson-01/packet-detail", Fixture, "01", fixture_set_up, test_packet_detail, fixture_tear_down);
  g_test_add ("/gui/window/lesson-01/hex-click", Fixture, "01", fixture_set_up, test_hex_click, fixture_tear_down);
  g_test_add ("/gui/window/lesson-01/note", Fixture, "01", fixture_set_up, test_note, fixture_tear_down);
  g_test_add ("/gui/window/lesson-01/zoom", Fixture, "01", fixture_set_up, test_zoom, fixture_tear_down);
  g_test_add ("/gui/window/start-screen", Fixture, NULL, fixture_set_up, test_start_screen, fixture_tear_down);
  g_test_add ("/gui/window/lesson-06/mailbox-view", Fixture, "06", fixture_set_up, test_mailbox_view, fixture_tear_down);
  g_test_add ("/gui/window/lesson-06/compare-chart", Fixture, "06", fixture_set_up, test_compare_chart, fixture_tear_down);
  g_test_add ("/gui/window/lesson-01/export", Fixture, "01", fixture_set_up, test_export, fixture_tear_down);
  return g_test_run ();
}

/* Live capture on lo, the way the GUI runs it: a GSource on a main context,
 * the trace growing as packets come. Needs root or CAP_NET_RAW; skipped
 * (with the reason) without. */
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "capture/capture-live.h"

static MlCaptureLive *
open_or_skip (const char *device, const char *filter, MlTrace *trace, GError **error)
{
  MlCaptureLive *live = ml_capture_live_new (device, filter, trace, NULL, error);

  if (live == NULL && g_error_matches (*error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_PERMISSION))
    {
      g_assert_nonnull (strstr ((*error)->message, "CAP_NET_RAW"));
      g_test_skip ((*error)->message);
    }
  return live;
}

static void
test_devices (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devs = ml_capture_list_devices (&error);
  gboolean lo = FALSE;

  g_assert_no_error (error);
  for (guint i = 0; i < devs->len; i++)
    {
      MlCaptureDevice *d = g_ptr_array_index (devs, i);
      if (strcmp (d->name, "lo") == 0)
        {
          lo = TRUE;
          g_assert_true (d->loopback);
        }
    }
  g_assert_true (lo);
}

static void
test_errors (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MlCaptureLive) live = open_or_skip ("lo", "tcp port", trace, &error);

  if (g_test_failed () || (live == NULL && error->code == ML_CAPTURE_ERROR_PERMISSION))
    return;
  g_assert_null (live);
  g_assert_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_FILTER);
  g_clear_error (&error);
  live = ml_capture_live_new ("nosuch0", NULL, trace, NULL, &error);
  g_assert_null (live);
  g_assert_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_DEVICE);
}

static void
on_event (MlTrace *trace, const MlTraceEvent *e, gpointer user_data)
{
  GString *s = user_data;

  if (e->kind != ML_TRACE_DIALOGUE)
    return;
  g_string_append_printf (s, "%s%s: %s", s->len ? "|" : "",
                          e->direction == ML_DIR_CLIENT_TO_SERVER ? "C" : "S", e->text);
}

static void
send_str (int fd, const char *s)
{
  g_assert_cmpint (send (fd, s, strlen (s), 0), ==, (gssize) strlen (s));
}

static void
test_main_context (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autoptr(MlCaptureLive) live = NULL;
  g_autofree char *filter = NULL;
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t alen = sizeof addr;
  int lfd, cfd, sfd;
  gint64 deadline;

  lfd = socket (AF_INET, SOCK_STREAM, 0);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (lfd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (lfd, 1), ==, 0);
  g_assert_cmpint (getsockname (lfd, (struct sockaddr *) &addr, &alen), ==, 0);
  /* Not a mail port: the greeting says SMTP. */
  filter = g_strdup_printf ("tcp port %u", ntohs (addr.sin_port));
  live = open_or_skip ("lo", filter, trace, &error);
  if (live == NULL)
    {
      close (lfd);
      if (!g_test_failed () && error->code != ML_CAPTURE_ERROR_PERMISSION)
        g_assert_no_error (error);
      return;
    }
  ml_trace_add_listener (trace, on_event, seen, NULL);
  ml_capture_live_start (live, ctx);

  cfd = socket (AF_INET, SOCK_STREAM, 0);
  g_assert_cmpint (connect (cfd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  sfd = accept (lfd, NULL, NULL);
  g_assert_cmpint (sfd, >=, 0);
  send_str (sfd, "220 live.test ESMTP\r\n");
  send_str (cfd, "EHLO unit.test\r\n");
  send_str (sfd, "250 live.test\r\n");

  /* The GUI's loop: the source reads as packets come, never blocking. */
  /* Generous: CI runs this beside the whole suite on two cores. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline
         && strcmp (seen->str, "S: 220 live.test ESMTP|C: EHLO unit.test|S: 250 live.test") != 0)
    if (!g_main_context_iteration (ctx, FALSE))
      g_usleep (10000);
  close (cfd);
  close (sfd);
  close (lfd);
  ml_capture_live_stop (live);
  g_assert_cmpstr (seen->str, ==, "S: 220 live.test ESMTP|C: EHLO unit.test|S: 250 live.test");
  g_assert_cmpuint (ml_capture_live_get_stats (live)->smtp.flows, ==, 1);
  g_assert_cmpint (ml_capture_live_get_link_type (live), ==, 1 /* DLT_EN10MB on Linux lo */);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/capture/live/devices", test_devices);
  g_test_add_func ("/capture/live/errors", test_errors);
  g_test_add_func ("/capture/live/main-context", test_main_context);
  return g_test_run ();
}

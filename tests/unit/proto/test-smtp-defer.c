/* Unit tests for a deferred end-of-data verdict (smtp-server.h,
 * ml_smtp_verdict_defer): no reply and no reading until the owner
 * answers, pipelined input answered in order afterwards, and a session
 * that ends while the owner is still deciding. */
#include <string.h>
#include "proto/smtp-server.h"

typedef struct {
  MlSmtpServer *server;
  GString      *wire;       /* every reply byte taken so far */
  GBytes       *kept;       /* the message the owner held on to */
  guint         accepted;   /* accept_message calls */
  guint         dropped;    /* deferred_dropped calls */
  guint         wakes;      /* wake function calls */
  gboolean      defer;      /* the owner defers (else accepts at once) */
} Fixture;

static void
policy_accept (MlSmtpServer *server, const MlSmtpEnvelope *envelope, GBytes *message,
               MlSmtpVerdict *verdict, gpointer user_data)
{
  Fixture *f = user_data;

  f->accepted++;
  g_clear_pointer (&f->kept, g_bytes_unref);
  f->kept = g_bytes_ref (message);
  if (f->defer)
    ml_smtp_verdict_defer (verdict);
}

static void
policy_dropped (MlSmtpServer *server, gpointer user_data)
{
  Fixture *f = user_data;

  f->dropped++;
  g_clear_pointer (&f->kept, g_bytes_unref);
}

static void
on_wake (gpointer data)
{
  Fixture *f = data;

  f->wakes++;
}

static void
drain (Fixture *f)
{
  MlEngineEvent ev = { 0 };
  g_autoptr(GBytes) out = NULL;

  while (ml_smtp_server_next_event (f->server, &ev))
    ml_engine_event_clear (&ev);
  out = ml_smtp_server_take_output (f->server);
  if (out != NULL)
    g_string_append_len (f->wire, g_bytes_get_data (out, NULL), (gssize) g_bytes_get_size (out));
}

static void
feed (Fixture *f, const char *text)
{
  ml_smtp_server_feed (f->server, (const guint8 *) text, strlen (text));
  drain (f);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  static const MlSmtpServerPolicy policy = {
    .accept_message = policy_accept,
    .deferred_dropped = policy_dropped,
  };
  MlSmtpServerConfig config;

  ml_smtp_server_config_init (&config);
  config.hostname = "mx.b.example";
  config.add_received = FALSE;
  f->wire = g_string_new (NULL);
  f->defer = TRUE;
  f->server = ml_smtp_server_new (&config, &policy, f);
  ml_smtp_server_set_wake_func (f->server, on_wake, f);
  ml_smtp_server_start (f->server);
  feed (f, "EHLO a.example\r\n");
  g_string_truncate (f->wire, 0);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  ml_smtp_server_free (f->server);
  g_string_free (f->wire, TRUE);
  g_clear_pointer (&f->kept, g_bytes_unref);
}

#define TRANSACTION "MAIL FROM:<alice@a.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n"
#define CONTENT     "Subject: hi\r\n\r\nhello\r\n.\r\n"

/* Nothing answers the final dot until the owner does; then its code. */
static void
test_defer_then_accept (Fixture *f, gconstpointer data)
{
  feed (f, TRANSACTION CONTENT);
  g_assert_cmpuint (f->accepted, ==, 1);
  g_assert_true (ml_smtp_server_is_deferred (f->server));
  g_assert_cmpstr (f->wire->str, ==,
                   "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "data");

  g_string_truncate (f->wire, 0);
  ml_smtp_server_complete_message (f->server, 0, NULL, NULL);
  g_assert_cmpuint (f->wakes, ==, 1);
  drain (f);
  g_assert_false (ml_smtp_server_is_deferred (f->server));
  g_assert_cmpstr (f->wire->str, ==, "250 2.0.0 Ok: queued as 1\r\n");
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "ready");
  g_assert_cmpuint (f->dropped, ==, 0);
}

/* The owner's refusal is what the client hears (OpenDMARC's wording). */
static void
test_defer_then_reject (Fixture *f, gconstpointer data)
{
  feed (f, TRANSACTION CONTENT);
  g_string_truncate (f->wire, 0);
  ml_smtp_server_complete_message (f->server, 550, "5.7.1",
                                   "rejected by DMARC policy for a.example");
  drain (f);
  g_assert_cmpstr (f->wire->str, ==, "550 5.7.1 rejected by DMARC policy for a.example\r\n");
}

/* RFC 2920 3.1: commands pipelined behind the data wait for its reply. */
static void
test_pipelined_input_waits (Fixture *f, gconstpointer data)
{
  feed (f, TRANSACTION CONTENT "MAIL FROM:<carol@a.example>\r\nNOOP\r\nQUIT\r\n");
  g_assert_cmpuint (f->accepted, ==, 1);
  g_assert_null (strstr (f->wire->str, "221"));
  g_assert_false (ml_smtp_server_wants_close (f->server));
  /* More bytes while deferred are kept, not read. */
  g_string_truncate (f->wire, 0);
  feed (f, "");
  g_assert_cmpuint (f->wire->len, ==, 0);

  ml_smtp_server_complete_message (f->server, 250, NULL, NULL);
  drain (f);
  g_assert_cmpstr (f->wire->str, ==,
                   "250 2.0.0 Ok: queued as 1\r\n"
                   "250 2.1.0 Ok\r\n"
                   "250 2.0.0 Ok\r\n"
                   "221 2.0.0 mx.b.example Service closing transmission channel\r\n");
  g_assert_true (ml_smtp_server_wants_close (f->server));
}

/* The same input a byte at a time gives the same bytes out. */
static void
test_pipelined_bytewise (Fixture *f, gconstpointer data)
{
  const char *input = TRANSACTION CONTENT "NOOP\r\n";

  for (const char *p = input; *p; p++)
    {
      ml_smtp_server_feed (f->server, (const guint8 *) p, 1);
      drain (f);
    }
  g_assert_true (ml_smtp_server_is_deferred (f->server));
  g_assert_null (strstr (f->wire->str, "250 2.0.0"));
  ml_smtp_server_complete_message (f->server, 0, NULL, NULL);
  drain (f);
  g_assert_true (g_str_has_suffix (f->wire->str, "250 2.0.0 Ok: queued as 1\r\n250 2.0.0 Ok\r\n"));
}

/* A lost connection while deferred: the owner hears it once and drops
 * the message (the client got no 250 and still has it); no reply. */
static void
test_lost_while_deferred (Fixture *f, gconstpointer data)
{
  feed (f, TRANSACTION CONTENT);
  g_assert_nonnull (f->kept);
  g_string_truncate (f->wire, 0);
  ml_smtp_server_connection_lost (f->server);
  drain (f);
  g_assert_cmpuint (f->dropped, ==, 1);
  g_assert_null (f->kept);
  g_assert_false (ml_smtp_server_is_deferred (f->server));
  g_assert_cmpuint (f->wire->len, ==, 0);
  g_assert_cmpstr (ml_smtp_server_get_state_name (f->server), ==, "quit");
  ml_smtp_server_connection_lost (f->server);
  g_assert_cmpuint (f->dropped, ==, 1);
}

/* Freed while deferred (the session went away): told, no crash. */
static void
test_freed_while_deferred (Fixture *f, gconstpointer data)
{
  feed (f, TRANSACTION CONTENT);
  ml_smtp_server_free (f->server);
  g_assert_cmpuint (f->dropped, ==, 1);
  f->server = NULL;
  /* teardown frees NULL */
  f->server = ml_smtp_server_new (&(MlSmtpServerConfig) { .hostname = "x" }, NULL, NULL);
}

/* The owner's shutdown (421) while deferred drops the verdict too. */
static void
test_shutdown_while_deferred (Fixture *f, gconstpointer data)
{
  feed (f, TRANSACTION CONTENT);
  g_string_truncate (f->wire, 0);
  ml_smtp_server_shutdown (f->server, NULL, NULL);
  drain (f);
  g_assert_cmpuint (f->dropped, ==, 1);
  g_assert_true (g_str_has_prefix (f->wire->str, "421 4.3.2 mx.b.example"));
}

/* Without deferral nothing changes: the 250 comes with the dot. */
static void
test_no_defer_unchanged (Fixture *f, gconstpointer data)
{
  f->defer = FALSE;
  feed (f, TRANSACTION CONTENT "NOOP\r\n");
  g_assert_true (g_str_has_suffix (f->wire->str, "250 2.0.0 Ok: queued as 1\r\n250 2.0.0 Ok\r\n"));
  g_assert_cmpuint (f->wakes, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/smtp-defer/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("accept", test_defer_then_accept);
  ADD ("reject", test_defer_then_reject);
  ADD ("pipelined-waits", test_pipelined_input_waits);
  ADD ("pipelined-bytewise", test_pipelined_bytewise);
  ADD ("lost", test_lost_while_deferred);
  ADD ("freed", test_freed_while_deferred);
  ADD ("shutdown", test_shutdown_while_deferred);
  ADD ("no-defer", test_no_defer_unchanged);
  return g_test_run ();
}

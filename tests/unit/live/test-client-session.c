/* The client side of live mode: credentials masked in what is shown,
 * password files, HOST:PORT parsing, and a refused connection reported.
 * The whole dialogue against real servers is tests/interop/check-real-servers.py. */
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "live/client-session.h"

/* ---- masking ---- */

static MlTraceEvent *
dialogue (const char *key, const char *verb, const char *text, const char *detail)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_DIALOGUE);

  e->explain_key = g_strdup (key);
  e->verb = g_strdup (verb);
  e->text = g_strdup (text);
  e->detail = g_strdup (detail);
  if (verb != NULL && strchr (text, ' ') != NULL)
    e->args = g_strdup (strchr (text, ' ') + 1);
  return e;
}

static void
check_masked (const char *key, const char *verb, const char *text, const char *detail,
              const char *expected)
{
  g_autoptr(MlTraceEvent) e = dialogue (key, verb, text, detail);
  g_autoptr(MlTraceEvent) masked = ml_client_mask_credentials (e);

  g_assert_cmpstr (masked->text, ==, expected);
  /* The original is left alone: the caller may still need it. */
  g_assert_cmpstr (e->text, ==, text);
  if (strcmp (expected, text) != 0 && masked->args != NULL)
    g_assert_cmpstr (masked->args, ==, ML_CLIENT_MASK);
}

static void
test_mask_pop3 (void)
{
  check_masked ("pop3.pass", "PASS", "PASS bob-secret", "credential", "PASS " ML_CLIENT_MASK);
  check_masked ("pop3.user", "USER", "USER bob@example.org", NULL, "USER bob@example.org");
  check_masked ("pop3.apop", "APOP", "APOP bob c4c9334bac560ecc979e58001b3e22fb", NULL,
                "APOP bob " ML_CLIENT_MASK);
  check_masked ("pop3.auth", "AUTH", "AUTH PLAIN AGJvYgBib2Itc2VjcmV0", NULL, "AUTH PLAIN " ML_CLIENT_MASK);
  check_masked ("pop3.auth.response", NULL, "Ym9iLXNlY3JldA==", "credential", ML_CLIENT_MASK);
}

static void
test_mask_imap (void)
{
  check_masked ("imap.login", "LOGIN", "a1 LOGIN alice@example.org alice-secret", NULL,
                "a1 LOGIN alice@example.org " ML_CLIENT_MASK);
  check_masked ("imap.authenticate", "AUTHENTICATE", "a1 AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlLXNlY3JldA==",
                NULL, "a1 AUTHENTICATE PLAIN " ML_CLIENT_MASK);
  /* Without an initial response there is nothing to hide. */
  check_masked ("imap.authenticate", "AUTHENTICATE", "a1 AUTHENTICATE PLAIN", NULL,
                "a1 AUTHENTICATE PLAIN");
  check_masked ("imap.authenticate.response", "AUTHENTICATE", "YWxpY2Utc2VjcmV0", NULL, ML_CLIENT_MASK);
  check_masked ("imap.select", "SELECT", "a2 SELECT INBOX", NULL, "a2 SELECT INBOX");
}

static void
test_mask_smtp (void)
{
  check_masked ("smtp.auth", "AUTH", "AUTH PLAIN AGFsaWNlAGFsaWNlLXNlY3JldA==", NULL, "AUTH PLAIN " ML_CLIENT_MASK);
  check_masked ("smtp.auth", "AUTH", "AUTH LOGIN", NULL, "AUTH LOGIN");
  check_masked ("smtp.auth.response", NULL, "YWxpY2Utc2VjcmV0", NULL, ML_CLIENT_MASK);
  check_masked ("smtp.mail", "MAIL", "MAIL FROM:<alice@example.org>", NULL, "MAIL FROM:<alice@example.org>");
  /* An engine's "credential" mark alone is enough. */
  check_masked ("smtp.other", "XSECRET", "XSECRET hunter2", "credential", "XSECRET " ML_CLIENT_MASK);
}

static void
test_mask_other_kinds (void)
{
  g_autoptr(MlTraceEvent) note = ml_trace_event_new (ML_TRACE_NOTE);
  g_autoptr(MlTraceEvent) copy = NULL;

  note->explain_key = g_strdup ("pop3.pass");
  note->text = g_strdup ("PASS is next");
  note->time_us = 42;
  copy = ml_client_mask_credentials (note);
  g_assert_cmpstr (copy->text, ==, "PASS is next");
  g_assert_cmpuint (copy->time_us, ==, 42);
}

/* ---- password files ---- */

static char *
write_tmp (const char *contents, gsize len)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("ml-pw-XXXXXX", &path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (g_file_set_contents (path, contents, len, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_password_file (void)
{
  static const struct { const char *contents; const char *expected; } cases[] = {
    { "secret\n", "secret" },
    { "secret\r\nsecond line\n", "secret" },
    { "no newline", "no newline" },
    { "with spaces  \n", "with spaces  " },
    { "\n", NULL },
    { "", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_tmp (cases[i].contents, strlen (cases[i].contents));
      g_autoptr(GError) error = NULL;
      g_autofree char *pw = ml_client_read_password_file (path, &error);

      g_assert_cmpstr (pw, ==, cases[i].expected);
      if (cases[i].expected == NULL)
        g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
      g_unlink (path);
    }
  {
    g_autofree char *long_pw = g_strnfill (ML_CLIENT_MAX_PASSWORD + 1, 'x');
    g_autofree char *path = write_tmp (long_pw, strlen (long_pw));
    g_autoptr(GError) error = NULL;
    g_autofree char *pw = ml_client_read_password_file (path, &error);

    g_assert_null (pw);
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
    g_unlink (path);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *pw = ml_client_read_password_file ("/nonexistent/ml-pw", &error);

    g_assert_null (pw);
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  }
}

/* ---- HOST:PORT ---- */

static void
test_parse_server (void)
{
  static const struct { const char *server; const char *host; } good[] = {
    { "mail.example.org:587", "mail.example.org" },
    { "localhost", "localhost" },
    { "127.0.0.1:2525", "127.0.0.1" },
    { "[::1]:1143", "::1" },
  };
  static const char *bad[] = { "host:99999", "host:port", "[::1", "", ":25", "host:0" };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      MlClientSession *s = ml_client_session_new (good[i].server, 25, NULL, 0, &error);

      g_assert_no_error (error);
      g_assert_nonnull (s);
      g_assert_cmpstr (ml_client_session_get_host (s), ==, good[i].host);
      g_assert_null (ml_client_session_get_tls_summary (s));
      ml_client_session_free (s);   /* never started */
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      MlClientSession *s = ml_client_session_new (bad[i], 25, NULL, 0, &error);

      g_assert_null (s);
      g_assert_nonnull (error);
    }
  {
    g_autofree char *name = g_strnfill (ML_CLIENT_MAX_SERVER + 1, 'a');
    g_autoptr(GError) error = NULL;

    g_assert_null (ml_client_session_new (name, 25, NULL, 0, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
}

/* ---- a refused connection ---- */

typedef struct {
  GMainLoop *loop;
  gboolean   done;
  gboolean   had_engine;
  GError    *error;
  guint      factory_calls;
} RefusedState;

static gpointer
refused_factory (MlClientSession *self, const char *local, const MlLiveEngineOps **ops, gpointer data)
{
  ((RefusedState *) data)->factory_calls++;
  return NULL;
}

static void
refused_done (MlClientSession *self, gpointer engine, const GError *error, gpointer data)
{
  RefusedState *st = data;

  st->done = TRUE;
  st->had_engine = engine != NULL;
  st->error = error ? g_error_copy (error) : NULL;
  g_main_loop_quit (st->loop);
}

static void
test_connect_refused (void)
{
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *server = NULL;
  RefusedState st = { loop, FALSE, FALSE, NULL, 0 };
  MlClientSession *s;

  /* A port just bound and closed again: nothing listens there. */
  g_assert_true (g_socket_bind (sock, any, FALSE, &error));
  bound = g_socket_get_local_address (sock, &error);
  server = g_strdup_printf ("127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (sock, NULL);

  s = ml_client_session_new (server, 25, NULL, 0, &error);
  g_assert_no_error (error);
  ml_client_session_start (s, refused_factory, NULL, refused_done, &st);
  g_main_loop_run (loop);
  g_assert_true (st.done);
  g_assert_false (st.had_engine);
  g_assert_cmpuint (st.factory_calls, ==, 0);
  g_assert_error (st.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_nonnull (strstr (st.error->message, server));
  g_clear_error (&st.error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/mask/pop3", test_mask_pop3);
  g_test_add_func ("/client/mask/imap", test_mask_imap);
  g_test_add_func ("/client/mask/smtp", test_mask_smtp);
  g_test_add_func ("/client/mask/other-kinds", test_mask_other_kinds);
  g_test_add_func ("/client/password-file", test_password_file);
  g_test_add_func ("/client/parse-server", test_parse_server);
  g_test_add_func ("/client/connect-refused", test_connect_refused);
  return g_test_run ();
}

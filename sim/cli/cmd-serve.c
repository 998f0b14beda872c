/* maillab-cli serve — the engines as real servers on loopback. */
#include "ml-config.h"

#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <glib-unix.h>
#include "cli/cli.h"
#include "live/mail-server.h"
#include "trace/json-writer.h"
#include "live/trace-socket.h"
#include "trace/transcript-writer.h"

static char *
default_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "maillab", "live", NULL);
}

typedef struct {
  GMainLoop    *loop;
  MlMailServer *server;
  gboolean      stopping;
  guint         grace_id;
} ServeState;

static void
on_stopped (gpointer user_data)
{
  ServeState *st = user_data;

  g_main_loop_quit (st->loop);
}

static gboolean
on_grace_over (gpointer user_data)
{
  ServeState *st = user_data;

  st->grace_id = 0;
  fprintf (stderr, "maillab-cli serve: %u sessions did not finish in time, dropped\n",
           ml_mail_server_get_n_sessions (st->server));
  ml_mail_server_abort_sessions (st->server);
  g_main_loop_quit (st->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer user_data)
{
  ServeState *st = user_data;

  if (st->stopping)
    return G_SOURCE_CONTINUE;
  st->stopping = TRUE;
  printf ("stopping: %u sessions open\n", ml_mail_server_get_n_sessions (st->server));
  fflush (stdout);
  st->grace_id = g_timeout_add (ML_MAIL_SERVER_STOP_GRACE_MS, on_grace_over, st);
  ml_mail_server_stop (st->server, on_stopped, st);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_hangup (gpointer user_data)
{
  ServeState *st = user_data;
  g_autoptr(GError) error = NULL;
  int n = ml_mail_server_reload_users (st->server, &error);

  if (n < 0)
    fprintf (stderr, "maillab-cli serve: users not reloaded: %s\n", error->message);
  else
    printf ("users reloaded: %d\n", n);
  fflush (stdout);
  return G_SOURCE_CONTINUE;
}

static guint
seconds_to_ms (double seconds, guint fallback)
{
  return seconds > 0 ? (guint) (seconds * 1000) : fallback;
}

int
ml_cli_serve (int argc, char **argv)
{
  MlMailServerConfig config;
  g_autofree char *data_dir = NULL;
  g_auto(GStrv) domains = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *hostname = NULL;
  g_autofree char *trace_path = NULL;
  g_autofree char *trace_socket = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  int ports[ML_LIVE_N_SERVICES];
  int max_connections = ML_MAIL_SERVER_MAX_CONNECTIONS;
  int max_per_address = ML_MAIL_SERVER_MAX_PER_ADDRESS;
  double smtp_timeout = 0, pop3_timeout = 0, imap_timeout = 0;
  int auth_delay = -1;
  gint64 quota = 0, max_size = 0;
  gboolean verbose = FALSE;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory: users, mail, tls (default: ~/.local/share/maillab/live)", "DIR" },
    { "domain", 0, 0, G_OPTION_ARG_STRING_ARRAY, &domains, "A local domain (repeat; default: the users' domains)", "D" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address to bind (default 127.0.0.1)", "ADDR" },
    { "hostname", 0, 0, G_OPTION_ARG_STRING, &hostname, "Name in greetings and the certificate (default localhost)", "NAME" },
    { "smtp-port", 0, 0, G_OPTION_ARG_INT, &ports[ML_LIVE_SERVICE_SMTP], "SMTP port (2525; 0 any free port, -1 off)", "PORT" },
    { "submission-port", 0, 0, G_OPTION_ARG_INT, &ports[ML_LIVE_SERVICE_SUBMISSION], "Submission port (2587)", "PORT" },
    { "smtps-port", 0, 0, G_OPTION_ARG_INT, &ports[ML_LIVE_SERVICE_SMTPS], "SMTP over TLS port (2465)", "PORT" },
    { "pop3-port", 0, 0, G_OPTION_ARG_INT, &ports[ML_LIVE_SERVICE_POP3], "POP3 port (1110)", "PORT" },
    { "pop3s-port", 0, 0, G_OPTION_ARG_INT, &ports[ML_LIVE_SERVICE_POP3S], "POP3 over TLS port (1995)", "PORT" },
    { "imap-port", 0, 0, G_OPTION_ARG_INT, &ports[ML_LIVE_SERVICE_IMAP], "IMAP port (1143)", "PORT" },
    { "imaps-port", 0, 0, G_OPTION_ARG_INT, &ports[ML_LIVE_SERVICE_IMAPS], "IMAP over TLS port (1993)", "PORT" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections, "Connections at once (1000)", "N" },
    { "max-per-address", 0, 0, G_OPTION_ARG_INT, &max_per_address, "Connections at once from one address (1000)", "N" },
    { "smtp-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &smtp_timeout, "SMTP inactivity timeout (300, RFC 5321 4.5.3.2.7)", "SECONDS" },
    { "pop3-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &pop3_timeout, "POP3 autologout (600, RFC 1939 3)", "SECONDS" },
    { "imap-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &imap_timeout, "IMAP autologout (1800, RFC 3501 5.4)", "SECONDS" },
    { "auth-delay", 0, 0, G_OPTION_ARG_INT, &auth_delay, "Delay after a failed login (1000)", "MS" },
    { "quota", 0, 0, G_OPTION_ARG_INT64, &quota, "Storage quota of every account (RFC 9208; default none)", "OCTETS" },
    { "max-message-size", 0, 0, G_OPTION_ARG_INT64, &max_size, "Largest message SMTP takes (RFC 1870 SIZE)", "OCTETS" },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "Server certificate chain, PEM (default: generated in DIR/tls)", "FILE" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key, "Its private key, PEM", "FILE" },
    { "trace", 't', 0, G_OPTION_ARG_FILENAME, &trace_path, "Write every trace event as JSON lines", "FILE.jsonl" },
    { "trace-socket", 0, 0, G_OPTION_ARG_FILENAME, &trace_socket, "Publish the trace live for maillab to attach, mode 0600 (default DIR/trace.sock; \"\" off)", "PATH" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print the dialogue as it happens", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— serve SMTP, POP3 and IMAP to real clients");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = NULL;
  g_autoptr(MlJsonWriter) json = NULL;
  g_autoptr(MlTranscriptWriter) transcript = NULL;
  g_autoptr(MlMailServer) server = NULL;
  g_autoptr(MlTraceSocket) watchers = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  ServeState st = { 0 };

  ml_mail_server_config_init (&config);
  memcpy (ports, config.ports, sizeof ports);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx,
    "Users come from DIR/users (maillab-cli user add). Mail for the local domains is\n"
    "delivered into DIR/mail/<user>/ (Maildir++); nothing is relayed out.\n"
    "SIGHUP reads the users file again. SIGTERM or SIGINT stops accepting, closes\n"
    "the sessions and exits 0.");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "maillab-cli serve: %s\n", error->message);
      return 2;
    }
  if (argc != 1 || max_connections <= 0 || max_per_address <= 0)
    {
      g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);

      fprintf (stderr, "%s", help);
      return 2;
    }
  for (guint i = 0; i < ML_LIVE_N_SERVICES; i++)
    if (ports[i] > 65535 || ports[i] < -1)
      {
        fprintf (stderr, "maillab-cli serve: %d is not a port\n", ports[i]);
        return 2;
      }
  if (data_dir == NULL)
    data_dir = default_data_dir ();

  config.data_dir = data_dir;
  config.domains = (const char *const *) domains;
  if (listen)
    config.listen_address = listen;
  if (hostname)
    config.hostname = hostname;
  memcpy (config.ports, ports, sizeof ports);
  config.max_connections = max_connections;
  config.max_per_address = max_per_address;
  config.smtp_timeout_ms = seconds_to_ms (smtp_timeout, config.smtp_timeout_ms);
  config.pop3_timeout_ms = seconds_to_ms (pop3_timeout, config.pop3_timeout_ms);
  config.imap_timeout_ms = seconds_to_ms (imap_timeout, config.imap_timeout_ms);
  if (auth_delay >= 0)
    config.auth_failure_delay_ms = auth_delay;
  if (quota > 0)
    config.quota = quota;
  if (max_size > 0)
    config.max_message_size = max_size;
  config.cert_file = cert;
  config.key_file = key;

  /* A client that vanishes mid-write must not kill the server. */
  signal (SIGPIPE, SIG_IGN);

  trace = ml_trace_new ();
  /* A server runs for days: writers stream, nothing is kept. */
  ml_trace_set_keep_events (trace, FALSE);
  if (trace_path)
    {
      json = ml_json_writer_new_for_path (trace_path, &error);
      if (json == NULL)
        {
          fprintf (stderr, "maillab-cli serve: %s\n", error->message);
          return 1;
        }
      ml_json_writer_attach (json, trace);
    }
  if (verbose)
    {
      transcript = ml_transcript_writer_new_for_stdio (stdout);
      ml_transcript_writer_attach (transcript, trace);
    }

  server = ml_mail_server_new (&config, trace, &error);
  if (server == NULL || !ml_mail_server_start (server, &error))
    {
      fprintf (stderr, "maillab-cli serve: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < ML_LIVE_N_SERVICES; i++)
    if (ml_mail_server_has_service (server, i))
      printf ("listening %-10s %s:%u\n", ml_live_service_to_string (i),
              config.listen_address, ml_mail_server_get_port (server, i));
  {
    /* Watching is a convenience: only a socket asked for by name is worth
     * refusing to serve over. */
    gboolean named = trace_socket != NULL;

    if (!named)
      trace_socket = g_build_filename (data_dir, "trace.sock", NULL);
    if (*trace_socket != '\0'
        && (watchers = ml_trace_socket_new (trace_socket, trace, config.hostname, &error)) == NULL)
      {
        fprintf (stderr, "maillab-cli serve: %s\n", error->message);
        if (named)
          return 1;
        g_clear_error (&error);
      }
    if (watchers)
      printf ("trace socket %s\n", trace_socket);
  }
  if (ml_mail_server_get_ca_file (server))
    printf ("ca %s\n", ml_mail_server_get_ca_file (server));
  printf ("ready, data in %s\n", data_dir);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  st.loop = loop;
  st.server = server;
  g_unix_signal_add (SIGTERM, on_signal, &st);
  g_unix_signal_add (SIGINT, on_signal, &st);
  g_unix_signal_add (SIGHUP, on_hangup, &st);
  g_main_loop_run (loop);
  g_clear_handle_id (&st.grace_id, g_source_remove);

  g_clear_pointer (&server, ml_mail_server_free);
  if (json && !ml_json_writer_close (json, &error))
    {
      fprintf (stderr, "maillab-cli serve: %s\n", error->message);
      return 1;
    }
  if (transcript)
    ml_transcript_writer_close (transcript, NULL);
  printf ("stopped\n");
  return 0;
}

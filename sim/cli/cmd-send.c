/* maillab-cli send — the SMTP client engine against a real server. */
#include "ml-config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "live/client-session.h"
#include "proto/smtp-client.h"

/* A message read with --file: RFC 5321 4.5.3.1.7 sets no limit but says a
 * server may; this keeps the whole message in memory reasonable. */
#define SEND_MAX_MESSAGE      (64 * 1024 * 1024)
/* RFC 5321 4.5.3.2: a client waits 5 minutes for the greeting, MAIL and
 * RCPT and 10 for the reply to the final "."; one timer, the longest. */
#define SEND_TIMEOUT_MS       (10 * 60 * 1000)

typedef struct {
  MlSmtpClientConfig config;
  char            **recipients;
  const char       *from;
  GBytes           *message;
  int               status;
} SendState;

static gsize    smtp_feed (gpointer e, const guint8 *d, gsize n) { return ml_smtp_client_feed (e, d, n); }
static gboolean smtp_next (gpointer e, MlEngineEvent *ev)      { return ml_smtp_client_next_event (e, ev); }
static GBytes  *smtp_take (gpointer e)                         { return ml_smtp_client_take_output (e); }
static gboolean smtp_done (gpointer e)                         { return ml_smtp_client_is_done (e); }
static void     smtp_lost (gpointer e)                         { ml_smtp_client_connection_lost (e); }
static void     smtp_free (gpointer e)                         { ml_smtp_client_free (e); }
static void     smtp_tls  (gpointer e)                         { ml_smtp_client_tls_started (e); }

static const MlLiveEngineOps smtp_client_ops = {
  { smtp_feed, smtp_next, smtp_take, smtp_done, smtp_lost, NULL, smtp_free, smtp_tls, NULL },
  NULL, NULL,
};

static gpointer
make_engine (MlClientSession *session, const char *local_literal, const MlLiveEngineOps **ops_out,
             gpointer user_data)
{
  SendState *st = user_data;
  MlSmtpClient *client;

  if (st->config.helo_name == NULL)
    st->config.helo_name = local_literal;
  client = ml_smtp_client_new (&st->config);
  /* Queued before the greeting: QUIT follows the last message. */
  ml_smtp_client_add_message (client, st->from, (const char * const *) st->recipients, st->message);
  *ops_out = &smtp_client_ops;
  return client;
}

static void
on_done (MlClientSession *session, gpointer engine, const GError *error, gpointer user_data)
{
  SendState *st = user_data;
  const MlSmtpClientResult *r = engine ? ml_smtp_client_get_result (engine, 0) : NULL;
  gboolean all_delivered = r != NULL && r->finished;

  printf ("\n");
  if (ml_client_session_get_tls_summary (session))
    printf ("TLS: %s\n", ml_client_session_get_tls_summary (session));
  for (guint i = 0; r != NULL && i < r->n_recipients; i++)
    {
      const MlSmtpRecipientResult *rr = &r->recipients[i];

      if (rr->outcome != ML_SMTP_OUTCOME_DELIVERED)
        all_delivered = FALSE;
      printf ("%s: %s", rr->address, ml_smtp_outcome_to_string (rr->outcome));
      if (rr->code != 0)
        printf (" (%u%s%s %s)", rr->code, rr->enhanced ? " " : "", rr->enhanced ? rr->enhanced : "",
                rr->text ? rr->text : "");
      else if (rr->text != NULL)
        printf (" (%s)", rr->text);
      printf ("\n");
    }
  if (error != NULL)
    fprintf (stderr, "maillab-cli send: %s\n", error->message);
  st->status = all_delivered && error == NULL ? 0 : 1;
}

static gboolean
parse_tls (const char *text, MlSmtpClientTls *engine_mode, MlClientTls *session_mode)
{
  static const struct {
    const char      *name;
    MlSmtpClientTls  engine;
    MlClientTls      session;
  } modes[] = {
    { "none", ML_SMTP_CLIENT_TLS_NONE, ML_CLIENT_TLS_NONE },
    { "opportunistic", ML_SMTP_CLIENT_TLS_OPPORTUNISTIC, ML_CLIENT_TLS_STARTTLS },
    { "starttls", ML_SMTP_CLIENT_TLS_REQUIRED, ML_CLIENT_TLS_STARTTLS },
    { "implicit", ML_SMTP_CLIENT_TLS_IMPLICIT, ML_CLIENT_TLS_IMPLICIT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    if (g_ascii_strcasecmp (text, modes[i].name) == 0)
      {
        *engine_mode = modes[i].engine;
        *session_mode = modes[i].session;
        return TRUE;
      }
  return FALSE;
}

static gboolean
parse_auth (const char *text, MlSmtpClientAuth *auth)
{
  static const struct { const char *name; MlSmtpClientAuth auth; } mechs[] = {
    { "none", ML_SMTP_CLIENT_AUTH_NONE },
    { "plain", ML_SMTP_CLIENT_AUTH_PLAIN },
    { "login", ML_SMTP_CLIENT_AUTH_LOGIN },
    { "scram-sha-256", ML_SMTP_CLIENT_AUTH_SCRAM_SHA_256 },
    { "best", ML_SMTP_CLIENT_AUTH_BEST },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (mechs); i++)
    if (g_ascii_strcasecmp (text, mechs[i].name) == 0)
      {
        *auth = mechs[i].auth;
        return TRUE;
      }
  return FALSE;
}

static GBytes *
read_message (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  if (len > SEND_MAX_MESSAGE)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: over %d octets", path, SEND_MAX_MESSAGE);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&data), len);
}

/* An RFC 5322 message from the options: what a MUA would write. */
static GBytes *
compose (const char *from, char **to, const char *subject, const char *body)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GString) msg = g_string_new (NULL);
  g_autofree char *date = g_date_time_format (now, "%a, %d %b %Y %H:%M:%S +0000");
  g_autofree char *to_list = g_strjoinv (", ", to);
  const char *at = strrchr (from, '@');
  g_autofree char *id_left = g_strdup_printf ("%" G_GINT64_FORMAT ".%08x",
                                              g_date_time_to_unix (now), g_random_int ());

  /* RFC 5322 3.6: Date and From are required; 3.6.4: a Message-ID
   * "SHOULD" be there, its right side a domain of ours: the sender's. */
  g_string_append_printf (msg, "Date: %s\r\nFrom: %s\r\nTo: %s\r\n", date, from, to_list);
  g_string_append_printf (msg, "Subject: %s\r\n", subject ? subject : "");
  g_string_append_printf (msg, "Message-ID: <%s@%s>\r\n", id_left, at && at[1] ? at + 1 : "maillab.invalid");
  g_string_append (msg, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: 8bit\r\nUser-Agent: maillab-cli send\r\n\r\n");
  if (body != NULL)
    {
      /* Any line end becomes CRLF (RFC 5322 2.1); the engine dot-stuffs. */
      g_auto(GStrv) lines = g_regex_split_simple ("\r?\n", body, 0, 0);

      for (guint i = 0; lines[i] != NULL; i++)
        if (lines[i + 1] != NULL || lines[i][0] != '\0')
          g_string_append_printf (msg, "%s\r\n", lines[i]);
    }
  return g_string_free_to_bytes (g_steal_pointer (&msg));
}

int
ml_cli_send (int argc, char **argv)
{
  g_autofree char *server = NULL, *from = NULL, *subject = NULL, *body = NULL, *file = NULL;
  g_autofree char *tls = NULL, *auth = NULL, *user = NULL, *password = NULL;
  g_autofree char *password_file = NULL, *ca = NULL, *ehlo = NULL, *trace_path = NULL;
  g_auto(GStrv) to = NULL;
  gboolean insecure = FALSE, quiet = FALSE, allow_plaintext = FALSE, no_pipelining = FALSE;
  double timeout = 0;
  GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &server, "The SMTP server (default port 25, 465 with --tls implicit)", "HOST:PORT" },
    { "from", 'f', 0, G_OPTION_ARG_STRING, &from, "Envelope sender, and From: of a composed message (\"\" for <>)", "ADDRESS" },
    { "to", 't', 0, G_OPTION_ARG_STRING_ARRAY, &to, "A recipient (repeat)", "ADDRESS" },
    { "subject", 0, 0, G_OPTION_ARG_STRING, &subject, "Subject of the composed message", "TEXT" },
    { "body", 0, 0, G_OPTION_ARG_STRING, &body, "Body of the composed message", "TEXT" },
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &file, "Send this message as it is instead", "MSG.eml" },
    { "tls", 0, 0, G_OPTION_ARG_STRING, &tls, "none, opportunistic, starttls (the default: required) or implicit (RFC 8314, port 465)", "MODE" },
    { "auth", 0, 0, G_OPTION_ARG_STRING, &auth, "plain, login, scram-sha-256 or best (RFC 4954)", "MECH" },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user, "Name to log in with", "NAME" },
    { "password", 'p', 0, G_OPTION_ARG_STRING, &password, "Password (visible to other users in ps: prefer --password-file)", "SECRET" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "Read the password from the file's first line", "FILE" },
    { "allow-plaintext-auth", 0, 0, G_OPTION_ARG_NONE, &allow_plaintext, "Let PLAIN and LOGIN go out without TLS", NULL },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "Trust this CA (PEM) instead of the system's store", "FILE" },
    { "insecure", 0, 0, G_OPTION_ARG_NONE, &insecure, "Go on whatever the server's certificate", NULL },
    { "ehlo", 0, 0, G_OPTION_ARG_STRING, &ehlo, "Our name in EHLO (default: our address literal, RFC 5321 4.1.3)", "NAME" },
    { "no-pipelining", 0, 0, G_OPTION_ARG_NONE, &no_pipelining, "One command at a time even with PIPELINING", NULL },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout, "Give up after this long without a reply (600)", "SECONDS" },
    { "trace", 0, 0, G_OPTION_ARG_FILENAME, &trace_path, "Write every trace event as JSON lines (as serve --trace)", "FILE.jsonl" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only the outcome, not the dialogue", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— send one message with the SMTP client engine");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = NULL;
  g_autoptr(MlClientOutput) output = NULL;
  g_autoptr(GBytes) message = NULL;
  SSL_CTX *ssl_ctx = NULL;
  MlClientTls session_tls = ML_CLIENT_TLS_STARTTLS;
  MlClientSession *session;
  SendState st = { 0 };

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx,
    "Runs maillab's SMTP client against a real server and prints the dialogue as it\n"
    "happens (passwords masked). Exit status: 0 every recipient accepted the message,\n"
    "1 the server refused it or the connection or TLS failed, 2 bad options.");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "maillab-cli send: %s\n", error->message);
      return 2;
    }
  ml_smtp_client_config_init (&st.config);
  st.config.use_ehlo = TRUE;
  st.config.use_pipelining = !no_pipelining;
  st.config.send_quit = TRUE;
  st.config.tls = ML_SMTP_CLIENT_TLS_REQUIRED;
  if (argc != 1 || server == NULL || from == NULL || to == NULL || to[0] == NULL
      || (file != NULL && (body != NULL || subject != NULL))
      || (tls != NULL && !parse_tls (tls, &st.config.tls, &session_tls))
      || (auth != NULL && !parse_auth (auth, &st.config.auth))
      || (password != NULL && password_file != NULL) || timeout < 0)
    {
      g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);

      fprintf (stderr, "%s", help);
      return 2;
    }
  if (*from == '\0' && file == NULL)
    {
      /* RFC 5322 3.6.2: a message's From: names a mailbox; the null path
       * (RFC 5321 4.5.5) is for notifications, which come as files. */
      fprintf (stderr, "maillab-cli send: --from \"\" (the null reverse-path) needs --file\n");
      return 2;
    }
  if (password_file != NULL && (password = ml_client_read_password_file (password_file, &error)) == NULL)
    {
      fprintf (stderr, "maillab-cli send: %s\n", error->message);
      return 2;
    }
  if (st.config.auth != ML_SMTP_CLIENT_AUTH_NONE && (user == NULL || password == NULL))
    {
      fprintf (stderr, "maillab-cli send: --auth needs --user and --password or --password-file\n");
      return 2;
    }
  message = file ? read_message (file, &error) : compose (from, to, subject, body);
  if (message == NULL)
    {
      fprintf (stderr, "maillab-cli send: %s\n", error->message);
      return 2;
    }
  st.config.user = user;
  st.config.password = password;
  st.config.helo_name = ehlo;
  st.config.allow_plaintext_auth = allow_plaintext;
  /* SCRAM's client nonce (RFC 5802 5.1) must not be guessable on a real
   * network: the seed comes from GLib's generator, seeded from the system. */
  st.config.sasl_nonce_seed = ((guint64) g_random_int () << 32) | g_random_int ();
  st.recipients = to;
  st.from = from;
  st.message = message;
  st.status = 1;

  if (session_tls != ML_CLIENT_TLS_NONE
      && (ssl_ctx = ml_client_tls_context_new (ca, insecure, &error)) == NULL)
    {
      fprintf (stderr, "maillab-cli send: %s\n", error->message);
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  trace = ml_trace_new ();
  ml_trace_set_keep_events (trace, FALSE);
  output = ml_client_output_new (trace, quiet ? NULL : stdout, trace_path, &error);
  /* RFC 8314 3.3: submission over implicit TLS is port 465. */
  session = output ? ml_client_session_new (server, session_tls == ML_CLIENT_TLS_IMPLICIT ? 465 : 25, trace,
                                            timeout > 0 ? (guint) (timeout * 1000) : SEND_TIMEOUT_MS,
                                            &error) : NULL;
  if (session == NULL)
    {
      fprintf (stderr, "maillab-cli send: %s\n", error->message);
      g_clear_pointer (&ssl_ctx, SSL_CTX_free);
      return 2;
    }
  ml_client_session_set_tls (session, session_tls, ssl_ctx);
  g_clear_pointer (&ssl_ctx, SSL_CTX_free);

  ml_client_session_run (session, make_engine, NULL, on_done, &st);
  if (!ml_client_output_close (output, &error))
    {
      fprintf (stderr, "maillab-cli send: %s\n", error->message);
      return 1;
    }
  return st.status;
}

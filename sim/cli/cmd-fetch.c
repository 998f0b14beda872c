/* maillab-cli fetch — the POP3 or IMAP client engine against a real server. */
#include "ml-config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include "cli/cli.h"
#include "live/client-session.h"
#include "proto/pop3-client.h"
#include "proto/imap-client.h"

/* No RFC sets a client timeout for POP3 or IMAP; the servers' autologout
 * timers are the longest a client could usefully wait (RFC 1939 3: 10
 * minutes; RFC 3501 5.4: 30). */
#define FETCH_POP3_TIMEOUT_MS  (10 * 60 * 1000)
#define FETCH_IMAP_TIMEOUT_MS  (30 * 60 * 1000)
/* A Subject: line shown in the summary is cut here (RFC 5322 2.1.1: a
 * line is at most 998 characters; a summary wants far less). */
#define FETCH_MAX_SUBJECT      200

typedef enum {
  IMAP_STEP_SYNC = 0,   /* LIST, SELECT, the headers of every message */
  IMAP_STEP_READ,       /* UID FETCH … (BODY[]) */
  IMAP_STEP_DELETE,     /* \Deleted and EXPUNGE, unless --keep */
  IMAP_STEP_LOGOUT,
} ImapStep;

typedef struct {
  gboolean            imap;
  MlPop3ClientConfig  pop3;
  MlImapClientConfig  imap_config;
  const char         *mailbox;
  gboolean            keep;
  gboolean            headers_only;
  const char         *out_dir;
  ImapStep            step;
  guint               last_action;   /* index of the action of @step */
  GArray             *uids;          /* guint32: what SYNC found */
  GPtrArray          *fetched;       /* FetchedItem*: IMAP, kept before EXPUNGE */
  guint32             exists;        /* EXISTS when selected */
  guint32             uidvalidity;
  gboolean            expunged;      /* the DELETE action succeeded */
  gboolean            action_failed;
  guint               n_saved;
  int                 status;
} FetchState;

/* An IMAP message as downloaded, before --keep's absence expunges it. */
typedef struct {
  guint32  uid;
  guint64  size;
  GBytes  *data;
  gboolean header_only;
} FetchedItem;

static void
fetched_item_free (gpointer data)
{
  FetchedItem *item = data;

  g_bytes_unref (item->data);
  g_free (item);
}

/* ---- the engines through MlLiveEngineOps ---- */

static gsize    pop3_feed (gpointer e, const guint8 *d, gsize n) { return ml_pop3_client_feed (e, d, n); }
static gboolean pop3_next (gpointer e, MlEngineEvent *ev)      { return ml_pop3_client_next_event (e, ev); }
static GBytes  *pop3_take (gpointer e)                         { return ml_pop3_client_take_output (e); }
static gboolean pop3_done (gpointer e)                         { return ml_pop3_client_is_done (e); }
static void     pop3_lost (gpointer e)                         { ml_pop3_client_connection_lost (e); }
static void     pop3_free (gpointer e)                         { ml_pop3_client_free (e); }
static void     pop3_tls  (gpointer e)                         { ml_pop3_client_tls_started (e); }

static const MlLiveEngineOps pop3_client_ops = {
  { pop3_feed, pop3_next, pop3_take, pop3_done, pop3_lost, NULL, pop3_free, pop3_tls, NULL },
  NULL, NULL,
};

static gsize    imap_feed (gpointer e, const guint8 *d, gsize n) { return ml_imap_client_feed (e, d, n); }
static gboolean imap_next (gpointer e, MlEngineEvent *ev)      { return ml_imap_client_next_event (e, ev); }
static GBytes  *imap_take (gpointer e)                         { return ml_imap_client_take_output (e); }
static gboolean imap_done (gpointer e)                         { return ml_imap_client_is_done (e); }
static void     imap_lost (gpointer e)                         { ml_imap_client_connection_lost (e); }
static void     imap_free (gpointer e)                         { ml_imap_client_free (e); }
static void     imap_tls  (gpointer e)                         { ml_imap_client_tls_started (e); }

static const MlLiveEngineOps imap_client_ops = {
  { imap_feed, imap_next, imap_take, imap_done, imap_lost, NULL, imap_free, imap_tls, NULL },
  NULL, NULL,
};

static gpointer
make_engine (MlClientSession *session, const char *local_literal, const MlLiveEngineOps **ops_out,
             gpointer user_data)
{
  FetchState *st = user_data;
  MlImapClient *client;
  MlImapAction action;

  if (!st->imap)
    {
      *ops_out = &pop3_client_ops;
      return ml_pop3_client_new (&st->pop3);
    }
  client = ml_imap_client_new (&st->imap_config, NULL);
  ml_imap_action_init (&action, ML_IMAP_ACTION_SYNC);
  action.mailbox = st->mailbox;
  st->step = IMAP_STEP_SYNC;
  st->last_action = ml_imap_client_add_action (client, &action);
  *ops_out = &imap_client_ops;
  return client;
}

static void
keep_copies (FetchState *st, MlImapClient *engine)
{
  const MlImapLocalMailbox *mbox = ml_imap_client_get_local (engine, st->mailbox);

  if (mbox == NULL)
    return;
  for (guint i = 0; i < mbox->messages->len; i++)
    {
      const MlImapLocalMessage *m = g_ptr_array_index (mbox->messages, i);
      GBytes *data = st->headers_only ? m->header : m->body;
      FetchedItem *item;

      if (data == NULL)
        continue;
      item = g_new0 (FetchedItem, 1);
      item->uid = m->uid;
      item->size = m->size;
      item->data = g_bytes_ref (data);
      item->header_only = st->headers_only;
      g_ptr_array_add (st->fetched, item);
    }
}

/* IMAP: the next action once the last one is over. */
static void
advance (MlClientSession *session, gpointer engine, gpointer user_data)
{
  FetchState *st = user_data;
  const MlImapActionResult *r;
  MlImapAction action;

  if (!st->imap || st->step == IMAP_STEP_LOGOUT)
    return;
  r = ml_imap_client_get_result (engine, st->last_action);
  if (r == NULL || !r->finished)
    return;
  if (!r->ok)
    st->action_failed = TRUE;
  if (r->ok && st->step == IMAP_STEP_SYNC)
    {
      const MlImapLocalMailbox *mbox = ml_imap_client_get_local (engine, st->mailbox);

      if (mbox != NULL)
        {
          st->exists = mbox->exists;
          st->uidvalidity = mbox->uidvalidity;
        }
      for (guint i = 0; mbox != NULL && i < mbox->messages->len; i++)
        {
          const MlImapLocalMessage *m = g_ptr_array_index (mbox->messages, i);

          g_array_append_val (st->uids, m->uid);
        }
    }
  if (r->ok && st->step == IMAP_STEP_DELETE)
    st->expunged = TRUE;
  if (r->ok && (st->step == IMAP_STEP_READ || (st->step == IMAP_STEP_SYNC && st->headers_only)))
    keep_copies (st, engine);
  if (r->ok && st->uids->len > 0 && st->step == IMAP_STEP_SYNC && !st->headers_only)
    {
      ml_imap_action_init (&action, ML_IMAP_ACTION_READ);
      st->step = IMAP_STEP_READ;
    }
  else if (r->ok && st->uids->len > 0 && st->step == IMAP_STEP_READ && !st->keep)
    {
      ml_imap_action_init (&action, ML_IMAP_ACTION_DELETE);
      st->step = IMAP_STEP_DELETE;
    }
  else
    {
      ml_imap_action_init (&action, ML_IMAP_ACTION_LOGOUT);
      st->step = IMAP_STEP_LOGOUT;
    }
  action.mailbox = st->mailbox;
  if (st->step != IMAP_STEP_LOGOUT)
    {
      action.uids = (const guint32 *) st->uids->data;
      action.n_uids = st->uids->len;
    }
  st->last_action = ml_imap_client_add_action (engine, &action);
}

/* ---- what was fetched ---- */

/* The unfolded Subject: of @data's header, cut to FETCH_MAX_SUBJECT
 * (transfer full, "" when none). */
static char *
subject_of (GBytes *data)
{
  gsize len = 0;
  const char *p = data ? g_bytes_get_data (data, &len) : NULL;
  const char *end = p + len;
  GString *out = g_string_new (NULL);
  gboolean in_subject = FALSE;

  while (p != NULL && p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      gsize n = (eol ? eol : end) - p;

      if (n > 0 && p[n - 1] == '\r')
        n--;
      if (n == 0)
        break;   /* RFC 5322 2.1: the empty line ends the header */
      if (in_subject && (p[0] == ' ' || p[0] == '\t'))
        g_string_append_len (out, p, n);   /* RFC 5322 2.2.3: unfold */
      else if (in_subject)
        break;
      else if (n >= 8 && g_ascii_strncasecmp (p, "Subject:", 8) == 0)
        {
          in_subject = TRUE;
          g_string_append_len (out, p + 8, n - 8);
        }
      if (eol == NULL)
        break;
      p = eol + 1;
    }
  if (out->len > FETCH_MAX_SUBJECT)
    g_string_truncate (out, FETCH_MAX_SUBJECT);
  return g_strstrip (g_string_free (out, FALSE));
}

static gboolean
save (FetchState *st, guint number, GBytes *data, GError **error)
{
  g_autofree char *path = NULL;
  gsize len = 0;
  const char *bytes = g_bytes_get_data (data, &len);

  /* Never over a file already there: a second fetch adds. */
  for (guint n = number;; n++)
    {
      g_autofree char *name = g_strdup_printf ("%u.eml", n);

      g_free (path);
      path = g_build_filename (st->out_dir, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        break;
    }
  if (!g_file_set_contents (path, bytes ? bytes : "", len, error))
    return FALSE;
  st->n_saved++;
  return TRUE;
}

static void
show (FetchState *st, guint number, const char *id, guint64 size, GBytes *data, const char *what)
{
  g_autofree char *subject = subject_of (data);
  g_autoptr(GError) error = NULL;

  printf ("%u: %s, %" G_GUINT64_FORMAT " octets%s, Subject: %s\n", number, id, size, what, subject);
  if (st->out_dir != NULL && data != NULL && !save (st, number, data, &error))
    {
      fprintf (stderr, "maillab-cli fetch: %s\n", error->message);
      st->action_failed = TRUE;
    }
}

static void
report_pop3 (FetchState *st, MlPop3Client *client)
{
  guint n = 0;
  guint64 size = 0;

  ml_pop3_client_get_stat (client, &n, &size);
  if (ml_pop3_client_get_error (client) == NULL || n > 0)
    printf ("maildrop: %u messages, %" G_GUINT64_FORMAT " octets; downloaded %u, deleted %u\n", n, size,
          ml_pop3_client_get_n_messages (client), ml_pop3_client_get_n_deleted (client));
  for (guint i = 0; i < ml_pop3_client_get_n_messages (client); i++)
    {
      const MlPop3FetchedMessage *m = ml_pop3_client_get_message (client, i);
      g_autofree char *id = g_strdup_printf ("UIDL %s", m->uidl ? m->uidl : "-");

      show (st, m->number, id, m->size, m->data, m->deleted ? ", deleted" : "");
    }
  if (ml_pop3_client_get_error (client) != NULL)
    {
      fprintf (stderr, "maillab-cli fetch: %s\n", ml_pop3_client_get_error (client));
      st->action_failed = TRUE;
    }
}

static void
report_imap (FetchState *st, MlImapClient *client)
{
  if (st->uidvalidity != 0)   /* RFC 3501 2.3.1.1: nonzero once selected */
    printf ("%s: %u messages when selected, UIDVALIDITY %u; downloaded %u\n", st->mailbox,
            st->exists, st->uidvalidity, st->fetched->len);
  for (guint i = 0; i < st->fetched->len; i++)
    {
      const FetchedItem *item = g_ptr_array_index (st->fetched, i);
      g_autofree char *id = g_strdup_printf ("UID %u", item->uid);

      show (st, i + 1, id, item->size, item->data,
            item->header_only ? ", header only" : st->expunged ? ", deleted" : "");
    }
  for (guint i = 0; i < ml_imap_client_get_n_actions (client); i++)
    {
      const MlImapActionResult *r = ml_imap_client_get_result (client, i);

      if (r != NULL && r->finished && !r->ok)
        {
          fprintf (stderr, "maillab-cli fetch: %s\n", r->detail ? r->detail : r->text);
          st->action_failed = TRUE;
        }
    }
}

static void
on_done (MlClientSession *session, gpointer engine, const GError *error, gpointer user_data)
{
  FetchState *st = user_data;

  printf ("\n");
  if (ml_client_session_get_tls_summary (session))
    printf ("TLS: %s\n", ml_client_session_get_tls_summary (session));
  if (engine != NULL && st->imap)
    report_imap (st, engine);
  else if (engine != NULL)
    report_pop3 (st, engine);
  if (st->out_dir != NULL && st->n_saved > 0)
    printf ("%u messages written to %s\n", st->n_saved, st->out_dir);
  if (error != NULL)
    fprintf (stderr, "maillab-cli fetch: %s\n", error->message);
  st->status = engine != NULL && error == NULL && !st->action_failed ? 0 : 1;
}

/* ---- options ---- */

static gboolean
parse_tls (const char *text, FetchState *st, MlClientTls *session_mode)
{
  static const struct {
    const char      *name;
    MlPop3ClientTls  pop3;
    MlImapClientTls  imap;
    MlClientTls      session;
  } modes[] = {
    { "none", ML_POP3_CLIENT_TLS_NONE, ML_IMAP_CLIENT_TLS_NONE, ML_CLIENT_TLS_NONE },
    { "opportunistic", ML_POP3_CLIENT_TLS_OPPORTUNISTIC, ML_IMAP_CLIENT_TLS_OPPORTUNISTIC, ML_CLIENT_TLS_STARTTLS },
    { "starttls", ML_POP3_CLIENT_TLS_REQUIRED, ML_IMAP_CLIENT_TLS_REQUIRED, ML_CLIENT_TLS_STARTTLS },
    { "implicit", ML_POP3_CLIENT_TLS_IMPLICIT, ML_IMAP_CLIENT_TLS_IMPLICIT, ML_CLIENT_TLS_IMPLICIT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    if (g_ascii_strcasecmp (text, modes[i].name) == 0)
      {
        st->pop3.tls = modes[i].pop3;
        st->imap_config.tls = modes[i].imap;
        *session_mode = modes[i].session;
        return TRUE;
      }
  return FALSE;
}

static gboolean
parse_auth (const char *text, FetchState *st)
{
  MlSaslMechanism mech;

  if (st->imap)
    {
      if (g_ascii_strcasecmp (text, "login") == 0)
        st->imap_config.auth = ML_IMAP_CLIENT_AUTH_LOGIN;
      else if (g_ascii_strcasecmp (text, "plain") == 0)
        st->imap_config.auth = ML_IMAP_CLIENT_AUTH_PLAIN;
      else if (g_ascii_strcasecmp (text, "scram-sha-256") == 0)
        st->imap_config.auth = ML_IMAP_CLIENT_AUTH_SCRAM_SHA_256;
      else
        return FALSE;
      return TRUE;
    }
  if (g_ascii_strcasecmp (text, "user") == 0)
    st->pop3.auth = ML_POP3_CLIENT_AUTH_USER;
  else if (g_ascii_strcasecmp (text, "apop") == 0)
    st->pop3.auth = ML_POP3_CLIENT_AUTH_APOP;
  else if (ml_sasl_mechanism_from_name (text, &mech))
    {
      /* RFC 5034: AUTH with any SASL mechanism we have. */
      st->pop3.auth = ML_POP3_CLIENT_AUTH_SASL;
      st->pop3.sasl_mechanism = mech;
    }
  else
    return FALSE;
  return TRUE;
}

int
ml_cli_fetch (int argc, char **argv)
{
  g_autofree char *pop3_server = NULL, *imap_server = NULL, *user = NULL, *password = NULL;
  g_autofree char *password_file = NULL, *tls = NULL, *auth = NULL, *mailbox = NULL;
  g_autofree char *out_dir = NULL, *ca = NULL, *trace_path = NULL;
  gboolean keep = FALSE, headers_only = FALSE, insecure = FALSE, quiet = FALSE;
  double timeout = 0;
  GOptionEntry entries[] = {
    { "pop3", 0, 0, G_OPTION_ARG_STRING, &pop3_server, "Fetch with POP3 from this server (default port 110; 995 with --tls implicit)", "HOST:PORT" },
    { "imap", 0, 0, G_OPTION_ARG_STRING, &imap_server, "Fetch with IMAP from this server (default port 143; 993 with --tls implicit)", "HOST:PORT" },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user, "Name to log in with", "NAME" },
    { "password", 'p', 0, G_OPTION_ARG_STRING, &password, "Password (visible to other users in ps: prefer --password-file)", "SECRET" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "Read the password from the file's first line", "FILE" },
    { "tls", 0, 0, G_OPTION_ARG_STRING, &tls, "none, opportunistic, starttls (the default: required) or implicit (RFC 8314: 995, 993)", "MODE" },
    { "auth", 0, 0, G_OPTION_ARG_STRING, &auth, "POP3: user (default), apop, plain, login, scram-sha-256; IMAP: login (default), plain, scram-sha-256", "MECH" },
    { "keep", 'k', 0, G_OPTION_ARG_NONE, &keep, "Leave the messages on the server (default: delete what was downloaded)", NULL },
    { "mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox, "IMAP: the mailbox (default INBOX)", "NAME" },
    { "headers-only", 0, 0, G_OPTION_ARG_NONE, &headers_only, "IMAP: only the headers (BODY.PEEK[HEADER]); implies --keep", NULL },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "Write each message to DIR/N.eml", "DIR" },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "Trust this CA (PEM) instead of the system's store", "FILE" },
    { "insecure", 0, 0, G_OPTION_ARG_NONE, &insecure, "Go on whatever the server's certificate", NULL },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout, "Give up after this long without a reply (POP3 600, IMAP 1800)", "SECONDS" },
    { "trace", 0, 0, G_OPTION_ARG_FILENAME, &trace_path, "Write every trace event as JSON lines (as serve --trace)", "FILE.jsonl" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only what was fetched, not the dialogue", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— download mail with the POP3 or IMAP client engine");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTrace) trace = NULL;
  g_autoptr(MlClientOutput) output = NULL;
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GPtrArray) fetched = g_ptr_array_new_with_free_func (fetched_item_free);
  SSL_CTX *ssl_ctx = NULL;
  MlClientTls session_tls = ML_CLIENT_TLS_STARTTLS;
  MlClientSession *session;
  FetchState st = { 0 };

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx,
    "Runs maillab's POP3 or IMAP client against a real server and prints the dialogue\n"
    "as it happens (passwords masked), then what was downloaded. Exit status: 0 all\n"
    "fetched, 1 the server refused (login, mailbox) or the connection or TLS failed,\n"
    "2 bad options.");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "maillab-cli fetch: %s\n", error->message);
      return 2;
    }
  st.imap = imap_server != NULL;
  ml_pop3_client_config_init (&st.pop3);
  ml_imap_client_config_init (&st.imap_config);
  st.pop3.tls = ML_POP3_CLIENT_TLS_REQUIRED;
  st.imap_config.tls = ML_IMAP_CLIENT_TLS_REQUIRED;
  if (argc != 1 || (pop3_server == NULL) == (imap_server == NULL) || user == NULL
      || (password == NULL) == (password_file == NULL)
      || (tls != NULL && !parse_tls (tls, &st, &session_tls))
      || (auth != NULL && !parse_auth (auth, &st)) || timeout < 0)
    {
      g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);

      fprintf (stderr, "%s", help);
      return 2;
    }
  if (!st.imap && (headers_only || mailbox != NULL))
    {
      /* The POP3 client engine downloads with RETR only (no TOP), and
       * POP3 has one maildrop (RFC 1939 3). */
      fprintf (stderr, "maillab-cli fetch: --headers-only and --mailbox are for --imap\n");
      return 2;
    }
  if (password_file != NULL && (password = ml_client_read_password_file (password_file, &error)) == NULL)
    {
      fprintf (stderr, "maillab-cli fetch: %s\n", error->message);
      return 2;
    }
  if (out_dir != NULL && g_mkdir_with_parents (out_dir, 0700) != 0)
    {
      fprintf (stderr, "maillab-cli fetch: %s: %s\n", out_dir, g_strerror (errno));
      return 2;
    }
  st.pop3.user = user;
  st.pop3.password = password;
  st.pop3.keep = keep;
  st.imap_config.username = user;
  st.imap_config.password = password;
  /* SCRAM's client nonce (RFC 5802 5.1) must not be guessable here. */
  st.pop3.nonce_seed = st.imap_config.nonce_seed = ((guint64) g_random_int () << 32) | g_random_int ();
  st.mailbox = mailbox ? mailbox : "INBOX";
  st.keep = keep || headers_only;
  st.headers_only = headers_only;
  st.out_dir = out_dir;
  st.uids = uids;
  st.fetched = fetched;
  st.status = 1;

  if (session_tls != ML_CLIENT_TLS_NONE
      && (ssl_ctx = ml_client_tls_context_new (ca, insecure, &error)) == NULL)
    {
      fprintf (stderr, "maillab-cli fetch: %s\n", error->message);
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  trace = ml_trace_new ();
  ml_trace_set_keep_events (trace, FALSE);
  output = ml_client_output_new (trace, quiet ? NULL : stdout, trace_path, &error);
  session = output == NULL ? NULL
    /* RFC 8314 3.3: 993 and 995 for implicit TLS. */
    : ml_client_session_new (st.imap ? imap_server : pop3_server,
                             session_tls == ML_CLIENT_TLS_IMPLICIT ? (st.imap ? 993 : 995) : (st.imap ? 143 : 110),
                             trace,
                             timeout > 0 ? (guint) (timeout * 1000)
                             : st.imap ? FETCH_IMAP_TIMEOUT_MS : FETCH_POP3_TIMEOUT_MS,
                             &error);
  if (session == NULL)
    {
      fprintf (stderr, "maillab-cli fetch: %s\n", error->message);
      g_clear_pointer (&ssl_ctx, SSL_CTX_free);
      return 2;
    }
  ml_client_session_set_tls (session, session_tls, ssl_ctx);
  g_clear_pointer (&ssl_ctx, SSL_CTX_free);

  ml_client_session_run (session, make_engine, advance, on_done, &st);
  if (!ml_client_output_close (output, &error))
    {
      fprintf (stderr, "maillab-cli fetch: %s\n", error->message);
      return 1;
    }
  return st.status;
}

/* The console ("be the client"): it frames each protocol's responses right,
 * sends a typed line only once the previous response is complete, records
 * its commands as our client engines do, and its syntax check says the
 * right thing.
 *
 * Framing is tested against a scripted server on the simulated network
 * whose every answer is written in pieces 20 ms apart: a console that sent
 * the next line after the first piece would be caught by the server, which
 * checks that no piece is still pending when a line arrives. */
#include <string.h>
#include "world/console-session.h"
#include "world/world.h"
#include "net/scheduler.h"
#include "mail/mail-store.h"

#define IP_C 0x0a000001u  /* 10.0.0.1 */
#define IP_S 0x0a000002u  /* 10.0.0.2 */
#define PIECE_GAP_US (20 * 1000)

typedef struct {
  const char *expect;     /* the line the server must receive; NULL: greeting */
  const char *pieces[4];  /* the answer, one piece every 20 ms; none: silence */
  gboolean    close;      /* the server closes after the last piece */
} Exchange;

typedef struct {
  MlTrace          *trace;
  MlNetwork        *net;
  MlScheduler      *sched;
  MlHost           *c, *s;
  MlStream         *server;
  GString          *inbuf;
  const Exchange   *script;
  guint             n_script;
  guint             next;
  guint             pending;    /* pieces scheduled and not yet written */
  guint             received;
  GString          *log;        /* the console's callbacks, in order */
  MlConsoleSession *console;
  guint             unsent;     /* from the CLOSED response */
} Fixture;

typedef struct {
  Fixture    *fx;
  const char *piece;
  gboolean    close;
} Piece;

static void
write_piece (gpointer data)
{
  Piece *p = data;

  p->fx->pending--;
  if (p->fx->server == NULL)
    return;
  ml_stream_write (p->fx->server, (const guint8 *) p->piece, strlen (p->piece));
  if (p->close && p->fx->pending == 0)
    ml_stream_close (p->fx->server);
}

static void
answer (Fixture *fx, const Exchange *ex)
{
  guint n = 0;

  while (n < G_N_ELEMENTS (ex->pieces) && ex->pieces[n] != NULL)
    n++;
  for (guint i = 0; i < n; i++)
    {
      Piece *p = g_new0 (Piece, 1);

      p->fx = fx;
      p->piece = ex->pieces[i];
      p->close = ex->close && i + 1 == n;
      fx->pending++;
      ml_scheduler_schedule (fx->sched, (guint64) i * PIECE_GAP_US, write_piece, p, g_free);
    }
}

static void
on_server_data (MlStream *stream, const guint8 *data, gsize len, gpointer user_data)
{
  Fixture *fx = user_data;
  char *eol;

  g_string_append_len (fx->inbuf, (const char *) data, (gssize) len);
  while ((eol = strstr (fx->inbuf->str, "\r\n")) != NULL)
    {
      g_autofree char *line = g_strndup (fx->inbuf->str, (gsize) (eol - fx->inbuf->str));

      g_string_erase (fx->inbuf, 0, eol - fx->inbuf->str + 2);
      /* The heart of it: nothing arrives while an answer is half written. */
      g_assert_cmpuint (fx->pending, ==, 0);
      g_assert_cmpuint (fx->next, <, fx->n_script);
      g_assert_cmpstr (line, ==, fx->script[fx->next].expect);
      fx->received++;
      answer (fx, &fx->script[fx->next++]);
    }
}

static void
on_server_closed (MlStream *stream, const GError *error, gpointer user_data)
{
  Fixture *fx = user_data;

  if (!ml_stream_is_closed (stream))
    ml_stream_close (stream);
  g_clear_object (&fx->server);
}

static void
on_accept (MlHost *host, MlStream *stream, gpointer user_data)
{
  Fixture *fx = user_data;

  fx->server = g_object_ref (stream);
  ml_stream_set_callbacks (stream, NULL, on_server_data, on_server_closed, fx);
  g_assert_null (fx->script[0].expect);
  answer (fx, &fx->script[fx->next++]);
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  fx->trace = ml_trace_new ();
  fx->net = ml_network_new (7, fx->trace);
  fx->sched = ml_network_get_scheduler (fx->net);
  fx->c = ml_network_add_host (fx->net, "laptop", IP_C, ML_ROLE_MUA);
  fx->s = ml_network_add_host (fx->net, "server", IP_S, ML_ROLE_MTA);
  ml_network_add_link (fx->net, fx->c, fx->s, NULL);
  fx->inbuf = g_string_new (NULL);
  fx->log = g_string_new (NULL);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  ml_console_session_close (fx->console);
  ml_scheduler_run (fx->sched, G_MAXUINT64);
  g_clear_object (&fx->server);
  ml_network_free (fx->net);
  g_object_unref (fx->trace);
  g_string_free (fx->inbuf, TRUE);
  g_string_free (fx->log, TRUE);
}

/* "C250 " for SMTP; "C " and the IMAP state (a, s, i) otherwise. Kinds:
 * D data, C complete, + continue, M malformed, X closed. */
static void
on_response (MlConsoleSession *session, const MlConsoleResponse *r, gpointer user_data)
{
  Fixture *fx = user_data;
  static const char kinds[] = "DC+MX";
  MlConsoleState st;

  g_string_append_c (fx->log, kinds[r->kind]);
  if (r->protocol == ML_PROTO_SMTP && r->code != 0)
    g_string_append_printf (fx->log, "%u", r->code);
  if (r->protocol == ML_PROTO_POP3 && r->kind != ML_CONSOLE_RESPONSE_CLOSED)
    g_string_append (fx->log, r->ok ? "ok" : "err");
  ml_console_session_get_state (session, &st);
  if (r->protocol == ML_PROTO_IMAP && r->kind != ML_CONSOLE_RESPONSE_CLOSED)
    g_string_append_printf (fx->log, "%s%s%s", st.authenticated ? "a" : "",
                            st.selected ? "s" : "", st.idling ? "i" : "");
  if (r->kind == ML_CONSOLE_RESPONSE_CLOSED)
    fx->unsent = r->unsent;
  g_string_append_c (fx->log, ' ');
}

/* Every line typed at once, before the connection exists: what a lesson
 * does, and a student typing ahead. */
static void
run_script (Fixture *fx, MlProtocol protocol, const Exchange *script, guint n,
            const char * const *lines)
{
  fx->script = script;
  fx->n_script = n;
  g_assert_true (ml_host_tcp_listen (fx->s, 4000, on_accept, fx, NULL, NULL));
  fx->console = ml_console_session_open (fx->net, fx->c, IP_S, 4000, protocol,
                                         on_response, fx, NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_true (ml_console_session_send_line (fx->console, lines[i]));
  g_assert_cmpuint (ml_console_session_get_queued (fx->console), ==, g_strv_length ((GStrv) lines));
  ml_scheduler_run (fx->sched, G_MAXUINT64);
}

/* The trace's dialogue events from the console's host, as "VERB|args|key". */
static char *
dup_commands (Fixture *fx)
{
  GString *s = g_string_new (NULL);

  for (guint64 i = 0; i < ml_trace_get_length (fx->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (fx->trace, i);

      if (e->kind == ML_TRACE_DIALOGUE && g_strcmp0 (e->host, "laptop") == 0)
        g_string_append_printf (s, "%s|%s|%s\n", e->verb ? e->verb : "-",
                                e->args ? e->args : "-", e->explain_key);
    }
  return g_string_free (s, FALSE);
}

/* ---- SMTP ---- */

static void
test_smtp_framing (Fixture *fx, gconstpointer data)
{
  static const Exchange script[] = {
    { NULL, { "220-server ESMTP\r\n", "220 welcome\r\n" } },
    { "EHLO laptop.example", { "250-server\r\n250-SIZE 1000\r\n", "250 8BITMIME\r\n" } },
    { "MAIL FROM:<a@x.example> SIZE=20", { "250 2.1.0 Ok\r\n" } },
    { "RCPT TO:<b@y.example>", { "250 2.1.5 Ok\r\n" } },
    { "RCPT TO:<nobody@y.example>", { "550 5.1.1 no such user\r\n" } },
    { "DATA", { "354 go ahead\r\n" } },
    /* Content: the server says nothing until the ".". */
    { "Subject: hi", { NULL } },
    { "", { NULL } },
    { "..a dot line", { NULL } },
    { ".", { "250 2.0.0 queued\r\n" } },
    { "RSET", { "250 2.0.0", " Ok\r\n" } },
    { "QUIT", { "221 bye\r\n" }, TRUE },
  };
  static const char * const lines[] = {
    "EHLO laptop.example", "MAIL FROM:<a@x.example> SIZE=20", "RCPT TO:<b@y.example>",
    "RCPT TO:<nobody@y.example>", "DATA", "Subject: hi", "", "..a dot line", ".", "RSET",
    "QUIT", NULL,
  };
  g_autofree char *commands = NULL;

  run_script (fx, ML_PROTO_SMTP, script, G_N_ELEMENTS (script), lines);
  g_assert_cmpuint (fx->received, ==, G_N_ELEMENTS (script) - 1);
  g_assert_cmpstr (fx->log->str, ==,
                   "C220 C250 C250 C250 C550 +354 C250 C250 C221 X ");
  g_assert_cmpuint (fx->unsent, ==, 0);
  commands = dup_commands (fx);
  /* As smtp-client.c records them; the content is one DATA event. */
  g_assert_cmpstr (commands, ==,
                   "EHLO|laptop.example|smtp.ehlo\n"
                   "MAIL|FROM:<a@x.example> SIZE=20|smtp.mail\n"
                   "RCPT|TO:<b@y.example>|smtp.rcpt\n"
                   "RCPT|TO:<nobody@y.example>|smtp.rcpt\n"
                   "DATA|-|smtp.data\n"
                   "-|-|smtp.data.content\n"
                   "RSET|-|smtp.rset\n"
                   "QUIT|-|smtp.quit\n");
}

/* A line typed after QUIT never goes, and the CLOSED response says so. */
static void
test_smtp_after_quit (Fixture *fx, gconstpointer data)
{
  static const Exchange script[] = {
    { NULL, { "220 hi\r\n" } },
    { "QUIT", { "221 bye\r\n" }, TRUE },
  };
  static const char * const lines[] = { "QUIT", "NOOP", "NOOP", NULL };

  run_script (fx, ML_PROTO_SMTP, script, G_N_ELEMENTS (script), lines);
  g_assert_cmpstr (fx->log->str, ==, "C220 C221 X ");
  g_assert_cmpuint (fx->unsent, ==, 2);
  g_assert_false (ml_console_session_send_line (fx->console, "NOOP"));
}

/* ---- POP3 ---- */

static void
test_pop3_framing (Fixture *fx, gconstpointer data)
{
  static const Exchange script[] = {
    { NULL, { "+OK POP3 ready\r\n" } },
    { "USER bob", { "+OK\r\n" } },
    { "PASS secret", { "+OK logged in\r\n" } },
    /* LIST without argument: multi-line, the "." in a later piece. */
    { "LIST", { "+OK 2 messages\r\n1 120\r\n", "2 200\r\n", ".\r\n" } },
    /* LIST with one: a single line, even though it starts with +OK. */
    { "LIST 2", { "+OK 2 200\r\n" } },
    { "RETR 1", { "+OK 120 octets\r\nSubject: x\r\n\r\n", "..stuffed\r\n.\r\n" } },
    /* -ERR is one line, whatever the command. */
    { "RETR 9", { "-ERR no such message\r\n" } },
    { "TOP 1 0", { "+OK\r\nSubject: x\r\n", "\r\n.\r\n" } },
    { "UIDL", { "+OK\r\n1 a1\r\n2 b2\r\n.\r\n" } },
    { "CAPA", { "+OK\r\nTOP\r\nUIDL\r\n", ".\r\n" } },
    { "STAT", { "+OK 2 320\r\n" } },
    { "QUIT", { "+OK bye\r\n" }, TRUE },
  };
  static const char * const lines[] = {
    "USER bob", "PASS secret", "LIST", "LIST 2", "RETR 1", "RETR 9", "TOP 1 0", "UIDL",
    "CAPA", "STAT", "QUIT", NULL,
  };
  g_autofree char *commands = NULL;

  run_script (fx, ML_PROTO_POP3, script, G_N_ELEMENTS (script), lines);
  g_assert_cmpuint (fx->received, ==, G_N_ELEMENTS (script) - 1);
  g_assert_cmpstr (fx->log->str, ==,
                   "Cok Cok Cok Cok Cok Cok Cerr Cok Cok Cok Cok Cok X ");
  commands = dup_commands (fx);
  g_assert_true (g_str_has_prefix (commands, "USER|bob|pop3.user\nPASS|secret|pop3.pass\n"
                                             "LIST|-|pop3.list\nLIST|2|pop3.list\n"));
  g_assert_nonnull (strstr (commands, "TOP|1 0|pop3.top\n"));
}

static void
test_pop3_state (Fixture *fx, gconstpointer data)
{
  static const Exchange script[] = {
    { NULL, { "+OK ready\r\n" } },
    { "USER bob", { "+OK\r\n" } },
    { "PASS wrong", { "-ERR [AUTH] invalid\r\n" } },
    { "QUIT", { "+OK\r\n" }, TRUE },
  };
  static const char * const lines[] = { "USER bob", "PASS wrong", "QUIT", NULL };
  MlConsoleState st;

  run_script (fx, ML_PROTO_POP3, script, G_N_ELEMENTS (script), lines);
  g_assert_cmpstr (fx->log->str, ==, "Cok Cok Cerr Cok X ");
  ml_console_session_get_state (fx->console, &st);
  /* A refused PASS leaves the session in AUTHORIZATION (RFC 1939 7). */
  g_assert_false (st.authenticated);
  g_assert_cmpint (st.input, ==, ML_CONSOLE_INPUT_CLOSED);
}

/* ---- IMAP ---- */

static void
test_imap_framing (Fixture *fx, gconstpointer data)
{
  static const Exchange script[] = {
    { NULL, { "* OK IMAP4rev1 ready\r\n" } },
    { "a1 CAPABILITY", { "* CAPABILITY IMAP4rev1 IDLE\r\n", "a1 OK done\r\n" } },
    /* A synchronising literal: the rest waits for "+". */
    { "a2 LOGIN {3}", { "+ go on\r\n" } },
    { "bob secret", { "a2 OK logged in\r\n" } },
    { "a3 SELECT INBOX", { "* 2 EXISTS\r\n* FLAGS (\\Seen)\r\n", "a3 OK [READ-WRITE] done\r\n" } },
    /* A literal cut in the middle: still one untagged response. */
    { "a4 FETCH 1 BODY[]", { "* 1 FETCH (BODY[] {11}\r\nhello", " world)\r\n", "a4 OK\r\n" } },
    /* A tagged line for another tag is not the answer. */
    { "a5 NOOP", { "zz OK not yours\r\n", "a5 OK\r\n" } },
    { "a6 IDLE", { "+ idling\r\n" } },
    { "DONE", { "* 3 EXISTS\r\n", "a6 OK IDLE done\r\n" } },
    /* An unreadable tag gets an untagged BAD and nothing else. */
    { "+x NOOP", { "* BAD no tag\r\n" } },
    { "a7 LOGOUT", { "* BYE\r\n", "a7 OK\r\n" }, TRUE },
  };
  static const char * const lines[] = {
    "a1 CAPABILITY", "a2 LOGIN {3}", "bob secret", "a3 SELECT INBOX", "a4 FETCH 1 BODY[]",
    "a5 NOOP", "a6 IDLE", "DONE", "+x NOOP", "a7 LOGOUT", NULL,
  };
  g_autofree char *commands = NULL;

  run_script (fx, ML_PROTO_IMAP, script, G_N_ELEMENTS (script), lines);
  g_assert_cmpuint (fx->received, ==, G_N_ELEMENTS (script) - 1);
  g_assert_cmpstr (fx->log->str, ==,
                   "C "               /* greeting */
                   "D C "             /* a1 */
                   "+ Ca "            /* a2: continuation, then logged in */
                   "Da Da Cas "       /* a3 */
                   "Das Cas "         /* a4 */
                   "Das Cas "         /* a5 */
                   "+asi Dasi Cas "   /* a6 IDLE, EXISTS while idling, done */
                   "Cas "             /* +x */
                   "Das Cas X ");     /* a7 */
  commands = dup_commands (fx);
  /* The literal's command is one event, recorded when all of it went. */
  g_assert_nonnull (strstr (commands, "LOGIN|{3}\nbob secret|imap.login\n"));
  g_assert_nonnull (strstr (commands, "FETCH|1 BODY[]|imap.fetch\n"));
  g_assert_nonnull (strstr (commands, "DONE|-|imap.done\n"));
}

/* ---- the connection ---- */

static void
test_refused (Fixture *fx, gconstpointer data)
{
  static const char * const lines[] = { "EHLO x.example", "QUIT", NULL };

  /* Nothing listens on 4001: the RST ends it before the greeting. */
  fx->console = ml_console_session_open (fx->net, fx->c, IP_S, 4001, ML_PROTO_SMTP,
                                         on_response, fx, NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_true (ml_console_session_send_line (fx->console, lines[i]));
  ml_scheduler_run (fx->sched, G_MAXUINT64);
  g_assert_cmpstr (fx->log->str, ==, "X ");
  g_assert_cmpuint (fx->unsent, ==, 2);
}

static void
test_bad_lines (Fixture *fx, gconstpointer data)
{
  g_autofree char *huge = g_strnfill (ML_CONSOLE_MAX_LINE, 'a');

  fx->console = ml_console_session_open (fx->net, fx->c, IP_S, 4001, ML_PROTO_SMTP,
                                         NULL, NULL, NULL);
  g_assert_false (ml_console_session_send_line (fx->console, huge));
  g_assert_false (ml_console_session_send_line (fx->console, "NOOP\r\nQUIT"));
  /* A trailing line end is the Enter key, not part of the line. */
  g_assert_true (ml_console_session_send_line (fx->console, "NOOP\r\n"));
  g_assert_cmpuint (ml_console_session_get_queued (fx->console), ==, 1);
}

/* ---- the lesson step, with our real servers ---- */

static const char console_lesson[] =
  "title: console\n"
  "seed: 5\n"
  "hosts:\n"
  "  - { name: laptop, roles: [MUA], ip: 10.1.0.10 }\n"
  "  - { name: ns.example, roles: [DNS], ip: 10.1.0.53 }\n"
  "  - { name: rtr, roles: [router], ip: 10.0.0.1 }\n"
  "  - { name: mail.b.example, roles: [MTA, MDA], ip: 10.2.0.25, domains: [b.example] }\n"
  "links:\n"
  "  - { between: [laptop, rtr], latency: 5ms }\n"
  "  - { between: [ns.example, rtr], latency: 1ms }\n"
  "  - { between: [mail.b.example, rtr], latency: 5ms }\n"
  "accounts:\n"
  "  - { address: bob@b.example, password: pw }\n"
  "steps:\n"
  "  - action: console\n"
  "    host: laptop\n"
  "    server: mail.b.example\n"
  "    protocol: smtp\n"
  "    lines: ['EHLO laptop.example', 'MAIL FROM:<s@a.example>', 'RCPT TO:<bob@b.example>',\n"
  "            'RCPT TO:<nobody@b.example>', DATA, 'Subject: typed', '', '..dot', ., QUIT]\n"
  "  - action: console\n"
  "    host: laptop\n"
  "    server: mail.b.example\n"
  "    protocol: pop3\n"
  "    lines: [USER bob@b.example, PASS pw, STAT, RETR 1, DELE 1, QUIT]\n";

static void
test_lesson_step (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = ml_lesson_load_data (console_lesson, strlen (console_lesson),
                                                    "console.yaml", &error);
  g_autoptr(MlTrace) trace = NULL;
  g_autoptr(MlWorld) world = NULL;
  GString *replies = g_string_new (NULL);
  g_autofree char *codes = NULL;
  gboolean retr_has_dot = FALSE;
  guint commands = 0;

  g_assert_no_error (error);
  trace = ml_trace_new ();
  world = ml_world_new (lesson, 5, trace, &error);
  g_assert_no_error (error);
  ml_world_run (world);

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (e->kind != ML_TRACE_DIALOGUE)
        continue;
      if (g_str_equal (e->host, "laptop"))
        commands++;
      else if (e->protocol == ML_PROTO_SMTP)
        g_string_append_printf (replies, "%u ", e->code);
      else if (e->text != NULL && g_str_has_prefix (e->text, "+OK") && strstr (e->text, "\n.dot\n"))
        retr_has_dot = TRUE;  /* stored un-stuffed, sent stuffed again */
    }
  codes = g_string_free (replies, FALSE);
  /* Each typed line is one command event (the content one DATA event). */
  g_assert_cmpuint (commands, ==, 6 + 1 + 6);
  g_assert_cmpstr (codes, ==, "220 250 250 250 550 354 250 221 ");
  g_assert_false (retr_has_dot);
  /* The message was delivered, read and deleted by hand. */
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_find_mailbox (
                      ml_mail_store_find_account (ml_world_get_store (world, "b.example"),
                                                  "bob@b.example"), "INBOX")), ==, 0);
}

/* STARTTLS, STLS and IMAP STARTTLS typed by hand upgrade the console's
 * own connection, and 993 starts inside TLS: the lines after the go-ahead
 * are still answered, now protected. */
static const char tls_lesson[] =
  "title: console tls\n"
  "seed: 6\n"
  "hosts:\n"
  "  - { name: laptop, roles: [MUA], ip: 10.1.0.10 }\n"
  "  - { name: ns.example, roles: [DNS], ip: 10.1.0.53 }\n"
  "  - { name: rtr, roles: [router], ip: 10.0.0.1 }\n"
  "  - { name: mail.b.example, roles: [MTA, MDA], ip: 10.2.0.25, domains: [b.example],\n"
  "      starttls: true, implicit_tls: true }\n"
  "links:\n"
  "  - { between: [laptop, rtr], latency: 5ms }\n"
  "  - { between: [ns.example, rtr], latency: 1ms }\n"
  "  - { between: [mail.b.example, rtr], latency: 5ms }\n"
  "accounts:\n"
  "  - { address: bob@b.example, password: pw }\n"
  "steps:\n"
  "  - { action: console, host: laptop, server: mail.b.example, protocol: smtp,\n"
  "      lines: [EHLO laptop.example, STARTTLS, EHLO laptop.example, QUIT] }\n"
  "  - { action: console, host: laptop, server: mail.b.example, protocol: pop3,\n"
  "      lines: [CAPA, STLS, CAPA, QUIT] }\n"
  "  - { action: console, host: laptop, server: mail.b.example, protocol: imap,\n"
  "      lines: [a1 STARTTLS, a2 CAPABILITY, a3 LOGOUT] }\n"
  "  - { action: console, host: laptop, server: mail.b.example, protocol: imap, port: 993,\n"
  "      lines: [a1 NOOP, a2 LOGOUT] }\n";

static void
test_lesson_tls (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = ml_lesson_load_data (tls_lesson, strlen (tls_lesson),
                                                    "tls.yaml", &error);
  g_autoptr(MlTrace) trace = NULL;
  g_autoptr(MlWorld) world = NULL;
  GString *answers = g_string_new (NULL);
  g_autofree char *got = NULL;
  guint handshakes = 0;

  g_assert_no_error (error);
  trace = ml_trace_new ();
  world = ml_world_new (lesson, 6, trace, &error);
  g_assert_no_error (error);
  ml_world_run (world);

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (g_strcmp0 (e->explain_key, "tls.handshake.done") == 0)
        handshakes++;
      if (e->kind != ML_TRACE_DIALOGUE || g_str_equal (e->host, "laptop"))
        continue;
      if (e->protocol == ML_PROTO_SMTP)
        g_string_append_printf (answers, "%u ", e->code);
      else
        g_string_append_printf (answers, "%.5s ", e->text);
    }
  got = g_string_free (answers, FALSE);
  g_assert_cmpuint (handshakes, ==, 4);
  g_assert_cmpstr (got, ==,
                   "220 250 220 250 221 "                         /* SMTP */
                   "+OK m +OK C +OK B +OK C +OK m "               /* POP3 */
                   "* OK  a1 OK * CAP a2 OK * BYE a3 OK "         /* IMAP STARTTLS */
                   "* OK  a1 OK * BYE a2 OK ");                   /* 993 */
}

/* ---- the syntax check ---- */

typedef struct {
  MlProtocol  protocol;
  const char *line;
  const char *hint;   /* a piece of the expected hint; NULL: no hint */
} CheckCase;

static void
test_check_syntax (void)
{
  static const CheckCase cases[] = {
    { ML_PROTO_SMTP, "EHLO client.example", NULL },
    { ML_PROTO_SMTP, "EHLO [10.0.0.1]", NULL },
    { ML_PROTO_SMTP, "EHLO", "needs your domain" },
    { ML_PROTO_SMTP, "EHLO not a domain!", "domain name" },
    { ML_PROTO_SMTP, "MAIL FROM:<a@b.example>", NULL },
    { ML_PROTO_SMTP, "MAIL FROM:<>", NULL },
    { ML_PROTO_SMTP, "MAIL FROM:<a@b.example> SIZE=300", NULL },
    { ML_PROTO_SMTP, "MAIL", "MAIL needs FROM:<address>" },
    { ML_PROTO_SMTP, "MAIL TO:<a@b.example>", "MAIL needs FROM:<address>" },
    { ML_PROTO_SMTP, "MAIL FROM: <a@b.example>", "no space" },
    { ML_PROTO_SMTP, "MAIL FROM:a@b.example", "angle brackets" },
    { ML_PROTO_SMTP, "RCPT TO:<bob@@b.example>", "bad address syntax" },
    { ML_PROTO_SMTP, "RCPT TO:<bob@b.example>", NULL },
    { ML_PROTO_SMTP, "DATA now", "DATA takes no argument" },
    { ML_PROTO_SMTP, "QUIT", NULL },
    { ML_PROTO_SMTP, "VRFY", "VRFY needs" },
    { ML_PROTO_SMTP, "HELP", NULL },
    { ML_PROTO_SMTP, "HELP MAIL", NULL },
    { ML_PROTO_SMTP, "Subject: hello", "header line" },
    { ML_PROTO_SMTP, "SEND FROM:<a@b>", "expect 502" },
    { ML_PROTO_SMTP, "FROB", "not an SMTP command" },
    { ML_PROTO_SMTP, "", "type a command" },
    { ML_PROTO_POP3, "USER bob", NULL },
    { ML_PROTO_POP3, "PASS two words", NULL },
    { ML_PROTO_POP3, "USER", "USER needs" },
    { ML_PROTO_POP3, "RETR one", "not a number" },
    { ML_PROTO_POP3, "RETR 0", "numbered from 1" },
    { ML_PROTO_POP3, "TOP 1", "TOP needs" },
    { ML_PROTO_POP3, "TOP 1 0", NULL },
    { ML_PROTO_POP3, "LIST", NULL },
    { ML_PROTO_POP3, "LIST 1 2", "at most a message number" },
    { ML_PROTO_POP3, "FETCH 1", "not a POP3 command" },
    { ML_PROTO_POP3, "   ", "type a command" },
    { ML_PROTO_IMAP, "a1 NOOP", NULL },
    { ML_PROTO_IMAP, "LOGIN bob pw", "IMAP commands start with a tag" },
    { ML_PROTO_IMAP, "+1 NOOP", "IMAP commands start with a tag" },
    { ML_PROTO_IMAP, "a1", "after the tag comes a command" },
    { ML_PROTO_IMAP, "a1 LOGIN bob", "LOGIN needs a user name and a password" },
    { ML_PROTO_IMAP, "a1 LOGIN \"bob\" \"pw\"", NULL },
    { ML_PROTO_IMAP, "a1 LOGIN \"bob pw", "quoted string" },
    { ML_PROTO_IMAP, "a1 LOGIN {3}", NULL },
    { ML_PROTO_IMAP, "a1 FROB {3}", "not an IMAP command" },
    { ML_PROTO_IMAP, "a1 FETCH 1:* (FLAGS BODY.PEEK[HEADER])", NULL },
    { ML_PROTO_IMAP, "a1 FETCH 1 BODY[HEADER.FIELDS (FROM TO)]", NULL },
    { ML_PROTO_IMAP, "a1 FETCH x FLAGS", "not a message set" },
    { ML_PROTO_IMAP, "a1 UID FETCH 1:* FLAGS", NULL },
    { ML_PROTO_IMAP, "a1 UID LIST", "UID goes before" },
    { ML_PROTO_IMAP, "a1 STORE 1 +FLAGS (\\Seen)", NULL },
    { ML_PROTO_IMAP, "a1 FROB", "not an IMAP command" },
    { ML_PROTO_IMAP, "a1 LIST \"\" *", NULL },
    { ML_PROTO_IMAP, "a1 RENAME a", "RENAME needs" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = ml_console_check_line (cases[i].protocol, NULL, cases[i].line);

      g_test_message ("%s: \"%s\" → %s", ml_protocol_to_string (cases[i].protocol),
                      cases[i].line, got ? got : "(no hint)");
      if (cases[i].hint == NULL)
        g_assert_null (got);
      else
        {
          g_assert_nonnull (got);
          g_assert_nonnull (strstr (got, cases[i].hint));
        }
    }
}

/* With the session's state the hint also says what comes first. */
static void
test_check_state (void)
{
  MlConsoleState fresh = { 0 };
  MlConsoleState helo = { .greeted = TRUE, .extended = FALSE };
  MlConsoleState mail = { .greeted = TRUE, .extended = TRUE, .in_transaction = TRUE };
  MlConsoleState content = { .input = ML_CONSOLE_INPUT_CONTENT };
  MlConsoleState logged_in = { .authenticated = TRUE };
  MlConsoleState idling = { .authenticated = TRUE, .selected = TRUE, .idling = TRUE,
                            .input = ML_CONSOLE_INPUT_CONTINUATION };
  MlConsoleState closed = { .input = ML_CONSOLE_INPUT_CLOSED };
  struct { MlProtocol p; const MlConsoleState *st; const char *line; const char *hint; } cases[] = {
    { ML_PROTO_SMTP, &fresh, "MAIL FROM:<a@b.example>", "EHLO first" },
    { ML_PROTO_SMTP, &helo, "MAIL FROM:<a@b.example> SIZE=10", "need an EHLO session" },
    { ML_PROTO_SMTP, &helo, "RCPT TO:<a@b.example>", "comes after MAIL" },
    { ML_PROTO_SMTP, &mail, "RCPT TO:<a@b.example>", NULL },
    { ML_PROTO_SMTP, &mail, "MAIL FROM:<a@b.example>", "transaction is open" },
    { ML_PROTO_SMTP, &content, "Subject: hi", NULL },
    { ML_PROTO_SMTP, &content, ".hidden", "type ..hidden" },
    { ML_PROTO_SMTP, &content, "..hidden", NULL },
    { ML_PROTO_SMTP, &content, ".", NULL },
    { ML_PROTO_POP3, &fresh, "STAT", "after logging in" },
    { ML_PROTO_POP3, &logged_in, "STAT", NULL },
    { ML_PROTO_POP3, &logged_in, "USER bob", "already logged in" },
    { ML_PROTO_IMAP, &fresh, "a1 SELECT INBOX", "log in first" },
    { ML_PROTO_IMAP, &logged_in, "a1 FETCH 1 FLAGS", "SELECT INBOX first" },
    { ML_PROTO_IMAP, &logged_in, "a1 LOGIN bob pw", "you are logged in" },
    { ML_PROTO_IMAP, &idling, "a1 NOOP", "only DONE" },
    { ML_PROTO_IMAP, &idling, "DONE", NULL },
    { ML_PROTO_IMAP, &closed, "a1 NOOP", "closed" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = ml_console_check_line (cases[i].p, cases[i].st, cases[i].line);

      g_test_message ("\"%s\" → %s", cases[i].line, got ? got : "(no hint)");
      if (cases[i].hint == NULL)
        g_assert_null (got);
      else
        {
          g_assert_nonnull (got);
          g_assert_nonnull (strstr (got, cases[i].hint));
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/console/smtp/framing", Fixture, NULL, fixture_set_up, test_smtp_framing, fixture_tear_down);
  g_test_add ("/console/smtp/after-quit", Fixture, NULL, fixture_set_up, test_smtp_after_quit, fixture_tear_down);
  g_test_add ("/console/pop3/framing", Fixture, NULL, fixture_set_up, test_pop3_framing, fixture_tear_down);
  g_test_add ("/console/pop3/state", Fixture, NULL, fixture_set_up, test_pop3_state, fixture_tear_down);
  g_test_add ("/console/imap/framing", Fixture, NULL, fixture_set_up, test_imap_framing, fixture_tear_down);
  g_test_add ("/console/connection/refused", Fixture, NULL, fixture_set_up, test_refused, fixture_tear_down);
  g_test_add ("/console/connection/bad-lines", Fixture, NULL, fixture_set_up, test_bad_lines, fixture_tear_down);
  g_test_add_func ("/console/lesson-step", test_lesson_step);
  g_test_add_func ("/console/lesson-step/tls", test_lesson_tls);
  g_test_add_func ("/console/check/syntax", test_check_syntax);
  g_test_add_func ("/console/check/state", test_check_state);
  return g_test_run ();
}

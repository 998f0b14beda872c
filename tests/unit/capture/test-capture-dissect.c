/* Protocol detection and the SMTP, POP3 and IMAP dissectors, on hand-written
 * conversations turned into real frames. */
#include <string.h>
#include "conversation.h"

#define C ML_DIR_CLIENT_TO_SERVER
#define S ML_DIR_SERVER_TO_CLIENT

typedef struct {
  Conversation     conv;
  MlCaptureOptions options;
  GPtrArray       *messages;  /* char*, each message carried */
} Fixture;

static void
on_message (guint conn_id, guint index, MlProtocol protocol, GBytes *message,
            gpointer user_data)
{
  Fixture *f = user_data;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  g_ptr_array_add (f->messages, g_strndup (data ? data : "", len));
}

static void
start (Fixture *f, guint16 port)
{
  f->options.message_func = on_message;
  f->options.message_data = f;
  conversation_init (&f->conv, port, &f->options);
}

static void
setup (Fixture *f, gconstpointer data)
{
  ml_capture_options_init (&f->options);
  f->messages = g_ptr_array_new_with_free_func (g_free);
  /* Tests that need other options call conversation_clear + start again. */
  start (f, (guint16) GPOINTER_TO_UINT (data));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  conversation_clear (&f->conv);
  g_ptr_array_unref (f->messages);
}

static const MlCaptureProtocolStats *
stats (Fixture *f, MlProtocol protocol)
{
  const MlCaptureStats *st = ml_capture_reader_get_stats (f->conv.reader);
  return protocol == ML_PROTO_SMTP ? &st->smtp : protocol == ML_PROTO_POP3 ? &st->pop3 : &st->imap;
}

/* ---- SMTP ---- */

static const char *const smtp_session[][2] = {
  { "S", "220 mx.example ESMTP\r\n" },
  { "C", "EHLO a.example\r\n" },
  { "S", "250-mx.example\r\n250 PIPELINING\r\n" },
  /* RFC 2920 3.1: a pipelined batch ends with DATA. */
  { "C", "MAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\n" },
  { "S", "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n" },
  { "C", "Subject: hi\r\n\r\n..dot\r\nbody\r\n.\r\n" },
  { "S", "250 2.0.0 queued\r\n" },
  { "C", "QUIT\r\n" },
  { "S", "221 2.0.0 bye\r\n" },
};

static const char *smtp_expected =
  "S: 220 mx.example ESMTP|C: EHLO a.example|S: 250-mx.example\n250 PIPELINING|"
  "C: MAIL FROM:<a@a.example>|C: RCPT TO:<b@b.example>|C: DATA|S: 250 2.1.0 Ok|"
  "S: 250 2.1.5 Ok|S: 354 go ahead|C: Subject: hi\n\n..dot\nbody\n.|S: 250 2.0.0 queued|"
  "C: QUIT|S: 221 2.0.0 bye";

static void
play (Fixture *f, const char *const session[][2], gsize n, gsize piece)
{
  conversation_handshake (&f->conv);
  for (gsize i = 0; i < n; i++)
    {
      MlDirection dir = session[i][0][0] == 'C' ? C : S;
      if (piece)
        conversation_send_split (&f->conv, dir, session[i][1], piece);
      else
        conversation_send (&f->conv, dir, session[i][1]);
    }
  conversation_close (&f->conv);
}

static void
test_smtp_pipelining (Fixture *f, gconstpointer data)
{
  g_autofree char *got = NULL;
  const MlCaptureProtocolStats *st;

  play (f, smtp_session, G_N_ELEMENTS (smtp_session), 0);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, smtp_expected);
  /* RFC 5321 4.5.2: the stuffing dot is gone from the message. */
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, "Subject: hi\r\n\r\n.dot\r\nbody\r\n");
  st = stats (f, ML_PROTO_SMTP);
  g_assert_cmpuint (st->flows, ==, 1);
  g_assert_cmpuint (st->commands, ==, 5);
  g_assert_cmpuint (st->replies, ==, 7);
  g_assert_cmpuint (st->replies_by_class[2], ==, 6);
  g_assert_cmpuint (st->replies_by_class[3], ==, 1);
}

static void
test_smtp_byte_at_a_time (Fixture *f, gconstpointer data)
{
  g_autofree char *got = NULL;

  play (f, smtp_session, G_N_ELEMENTS (smtp_session), 1);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, smtp_expected);
  g_assert_cmpuint (f->messages->len, ==, 1);
}

/* DATA refused: what the client sends next is a command, not content. */
static void
test_smtp_data_refused (Fixture *f, gconstpointer data)
{
  static const char *const session[][2] = {
    { "S", "220 mx\r\n" }, { "C", "DATA\r\n" }, { "S", "554 5.5.1 no valid recipients\r\n" },
    { "C", "QUIT\r\n" }, { "S", "221 bye\r\n" },
  };
  g_autofree char *got = NULL;

  play (f, session, G_N_ELEMENTS (session), 0);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "S: 220 mx|C: DATA|S: 554 5.5.1 no valid recipients|C: QUIT|S: 221 bye");
  g_assert_cmpuint (stats (f, ML_PROTO_SMTP)->commands, ==, 2);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* RFC 3030 2: chunks follow their BDAT line without waiting. */
static void
test_smtp_bdat (Fixture *f, gconstpointer data)
{
  static const char *const session[][2] = {
    { "S", "220 mx\r\n" }, { "C", "BDAT 7\r\nhello\r\nBDAT 3 LAST\r\nabc" },
    { "S", "250 7 octets\r\n250 queued\r\n" }, { "C", "QUIT\r\n" }, { "S", "221 bye\r\n" },
  };
  g_autofree char *got = NULL;

  play (f, session, G_N_ELEMENTS (session), 0);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "S: 220 mx|C: BDAT 7|C: hello\n|C: BDAT 3 LAST|C: abc|"
                            "S: 250 7 octets|S: 250 queued|C: QUIT|S: 221 bye");
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, "hello\r\nabc");
  g_assert_cmpuint (stats (f, ML_PROTO_SMTP)->commands, ==, 3);
}

static void
test_smtp_starttls (Fixture *f, gconstpointer data)
{
  static const char *const session[][2] = {
    { "S", "220 mx\r\n" }, { "C", "STARTTLS\r\n" }, { "S", "220 2.0.0 go ahead\r\n" },
    { "C", "\x16\x03\x01 EHLO hidden\r\n" }, { "S", "\x16\x03\x03 250 hidden\r\n" },
  };
  g_autofree char *got = NULL;

  play (f, session, G_N_ELEMENTS (session), 0);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "S: 220 mx|C: STARTTLS|S: 220 2.0.0 go ahead");
  g_assert_true (conversation_has_note (&f->conv, "capture.tls"));
  g_assert_cmpuint (stats (f, ML_PROTO_SMTP)->tls_bytes, ==, 33);
  g_assert_cmpuint (stats (f, ML_PROTO_SMTP)->commands, ==, 1);
}

static void
test_smtp_auth (Fixture *f, gconstpointer data)
{
  static const char *const session[][2] = {
    { "S", "220 mx\r\n" },
    /* RFC 4616 2: "\0bob\0secret" */
    { "C", "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n" }, { "S", "235 2.7.0 ok\r\n" },
    { "C", "AUTH LOGIN\r\n" }, { "S", "334 VXNlcm5hbWU6\r\n" }, { "C", "YWxpY2U=\r\n" },
    { "S", "334 UGFzc3dvcmQ6\r\n" }, { "C", "b3Blbg==\r\n" }, { "S", "235 2.7.0 ok\r\n" },
    { "C", "QUIT\r\n" }, { "S", "221 bye\r\n" },
  };
  g_autoptr(GPtrArray) lines = NULL;
  guint creds = 0;

  play (f, session, G_N_ELEMENTS (session), 0);
  lines = conversation_lines (&f->conv);
  for (guint i = 0; i < lines->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (lines, i), "note capture.credentials-in-clear"))
      creds++;
  g_assert_cmpuint (creds, ==, 2);
  g_assert_cmpuint (stats (f, ML_PROTO_SMTP)->credentials_in_clear, ==, 2);
  /* The SASL answers are no commands; QUIT after them is one. */
  g_assert_cmpuint (stats (f, ML_PROTO_SMTP)->commands, ==, 3);
  {
    g_autofree char *got = conversation_dialogue (&f->conv);
    g_assert_true (g_str_has_suffix (got, "C: QUIT|S: 221 bye"));
  }
  {
    const MlTraceEvent *note = NULL;
    for (guint64 i = 0; i < ml_trace_get_length (f->conv.trace); i++)
      {
        const MlTraceEvent *e = ml_trace_get_event (f->conv.trace, i);
        if (e->kind == ML_TRACE_NOTE && g_strcmp0 (e->explain_key, "capture.credentials-in-clear") == 0)
          note = e;
      }
    g_assert_nonnull (note);
    g_assert_cmpstr (note->detail, ==, "user: alice\npassword: open\nAnyone who can capture "
                                       "this connection can read them: use TLS (RFC 8314).");
  }
}

static void
test_smtp_midstream (Fixture *f, gconstpointer data)
{
  g_autofree char *got = NULL;

  /* No handshake: the capture starts with the client's RCPT. */
  conversation_send (&f->conv, C, "RCPT TO:<b@b.example>\r\n");
  conversation_send (&f->conv, S, "250 2.1.5 Ok\r\n");
  conversation_close (&f->conv);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "C: RCPT TO:<b@b.example>|S: 250 2.1.5 Ok");
  g_assert_true (conversation_has_note (&f->conv, "capture.flow.midstream"));
}

/* A client segment the capture missed, acknowledged by the server. */
static void
test_smtp_gap (Fixture *f, gconstpointer data)
{
  g_autofree char *got = NULL;

  conversation_handshake (&f->conv);
  conversation_send (&f->conv, S, "220 mx\r\n");
  conversation_send (&f->conv, C, "MAIL FROM:<a@a>\r\n");
  f->conv.seq[C] += (guint32) strlen ("RCPT TO:<b@b>\r\n");   /* never captured */
  conversation_send (&f->conv, C, "NOOP\r\n");
  conversation_send (&f->conv, S, "250 ok\r\n250 ok\r\n250 ok\r\n");
  conversation_close (&f->conv);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "S: 220 mx|C: MAIL FROM:<a@a>|C: NOOP|S: 250 ok|S: 250 ok|S: 250 ok");
  g_assert_true (conversation_has_note (&f->conv, "capture.gap"));
  g_assert_cmpuint (stats (f, ML_PROTO_SMTP)->gap_bytes, ==, 15);
}

/* The greeting was never captured; the EHLO acknowledging it waits for it
 * until the server's next segment shows the hole is for good. */
static void
test_smtp_lost_greeting (Fixture *f, gconstpointer data)
{
  g_autofree char *got = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  conversation_handshake (&f->conv);
  f->conv.seq[S] += (guint32) strlen ("220 mx\r\n");     /* never captured */
  conversation_send (&f->conv, C, "EHLO a\r\n");
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "");
  conversation_send (&f->conv, S, "250 mx\r\n");
  conversation_close (&f->conv);
  g_free (got);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "C: EHLO a|S: 250 mx");
  lines = conversation_lines (&f->conv);
  g_assert_cmpstr (g_ptr_array_index (lines, 1), ==,
                   "note capture.gap: 8 bytes from the server were never captured");
}

/* Reordered and duplicated segments read as if they came in order. */
static void
test_smtp_reordered (Fixture *f, gconstpointer data)
{
  guint32 seq;
  g_autofree char *got = NULL;

  conversation_handshake (&f->conv);
  conversation_send (&f->conv, S, "220 mx\r\n");
  seq = f->conv.seq[C];
  conversation_send_at (&f->conv, C, seq + 14, "NOOP\r\n");
  conversation_send_at (&f->conv, C, seq + 14, "NOOP\r\n");
  conversation_send_at (&f->conv, C, seq, "EHLO a\r\nRS");
  conversation_send_at (&f->conv, C, seq, "EHLO a\r\n");
  conversation_send_at (&f->conv, C, seq + 8, "RSET\r\n");
  f->conv.seq[C] = seq + 20;
  conversation_send (&f->conv, S, "250 a\r\n250 b\r\n250 c\r\n");
  conversation_close (&f->conv);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "S: 220 mx|C: EHLO a|C: RSET|C: NOOP|S: 250 a|S: 250 b|S: 250 c");
  g_assert_cmpuint (stats (f, ML_PROTO_SMTP)->gap_bytes, ==, 0);
}

/* ---- POP3 ---- */

static void
test_pop3_multiline (Fixture *f, gconstpointer data)
{
  static const char *const session[][2] = {
    { "S", "+OK POP3 ready\r\n" }, { "C", "USER bob\r\n" }, { "S", "+OK\r\n" },
    { "C", "PASS pw 1\r\n" }, { "S", "+OK 1 message\r\n" },
    /* RFC 1939 5: LIST with an argument is one line, without it a list. */
    { "C", "LIST 1\r\n" }, { "S", "+OK 1 24\r\n" },
    { "C", "LIST\r\n" }, { "S", "+OK\r\n1 24\r\n.\r\n" },
    { "C", "RETR 1\r\n" }, { "S", "+OK 24 octets\r\nSubject: x\r\n\r\n..b\r\n.\r\n" },
    { "C", "STAT\r\nQUIT\r\n" }, { "S", "+OK 1 24\r\n+OK bye\r\n" },
  };
  g_autofree char *got = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  gboolean update = FALSE;

  play (f, session, G_N_ELEMENTS (session), 0);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "S: +OK POP3 ready|C: USER bob|S: +OK|C: PASS pw 1|S: +OK 1 message|"
                            "C: LIST 1|S: +OK 1 24|C: LIST|S: +OK\n1 24\n.|C: RETR 1|"
                            "S: +OK 24 octets\nSubject: x\n\n..b\n.|C: STAT|C: QUIT|"
                            "S: +OK 1 24|S: +OK bye");
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, "Subject: x\r\n\r\n.b\r\n");
  g_assert_cmpuint (stats (f, ML_PROTO_POP3)->commands, ==, 7);
  g_assert_cmpuint (stats (f, ML_PROTO_POP3)->credentials_in_clear, ==, 1);
  lines = conversation_lines (&f->conv);
  for (guint i = 0; i < lines->len; i++)
    if (g_strcmp0 (g_ptr_array_index (lines, i), "state transaction → update") == 0)
      update = TRUE;
  g_assert_true (update);
}

static void
test_pop3_byte_at_a_time (Fixture *f, gconstpointer data)
{
  static const char *const session[][2] = {
    { "S", "+OK hi\r\n" }, { "C", "CAPA\r\n" }, { "S", "+OK\r\nTOP\r\nUIDL\r\n.\r\n" },
    { "C", "TOP 1 0\r\n" }, { "S", "+OK\r\nSubject: y\r\n\r\n.\r\n" },
    { "C", "UIDL 1\r\n" }, { "S", "+OK 1 abc\r\n" },
  };
  g_autofree char *got = NULL;

  play (f, session, G_N_ELEMENTS (session), 1);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "S: +OK hi|C: CAPA|S: +OK\nTOP\nUIDL\n.|C: TOP 1 0|"
                            "S: +OK\nSubject: y\n\n.|C: UIDL 1|S: +OK 1 abc");
}

static void
test_pop3_auth_and_stls (Fixture *f, gconstpointer data)
{
  static const char *const session[][2] = {
    { "S", "+OK hi\r\n" },
    /* RFC 5034 4: an empty challenge, then the answer. */
    { "C", "AUTH PLAIN\r\n" }, { "S", "+ \r\n" }, { "C", "AGJvYgBwdw==\r\n" }, { "S", "+OK in\r\n" },
    { "C", "STLS\r\n" }, { "S", "+OK begin TLS\r\n" }, { "C", "\x16\x03\x01 RETR 1\r\n" },
  };
  g_autofree char *got = NULL;

  play (f, session, G_N_ELEMENTS (session), 0);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "S: +OK hi|C: AUTH PLAIN|S: + |C: AGJvYgBwdw==|S: +OK in|"
                            "C: STLS|S: +OK begin TLS");
  g_assert_cmpuint (stats (f, ML_PROTO_POP3)->credentials_in_clear, ==, 1);
  g_assert_cmpuint (stats (f, ML_PROTO_POP3)->replies_by_class[3], ==, 1);
  g_assert_true (conversation_has_note (&f->conv, "capture.tls"));
}

/* ---- IMAP ---- */

static void
test_imap_session (Fixture *f, gconstpointer data)
{
  static const char *const session[][2] = {
    { "S", "* OK IMAP4rev1 ready\r\n" },
    { "C", "a1 LOGIN bob \"p w\"\r\n" }, { "S", "a1 OK logged in\r\n" },
    { "C", "a2 SELECT INBOX\r\n" }, { "S", "* 1 EXISTS\r\na2 OK [READ-WRITE] selected\r\n" },
    /* RFC 7888 3: a non-synchronizing literal follows at once. */
    { "C", "a3 APPEND INBOX {11+}\r\nHello\r\nBob! (\\Seen)\r\n" }, { "S", "a3 OK appended\r\n" },
    /* RFC 3501 7.5: a synchronizing one waits for "+". */
    { "C", "a4 APPEND INBOX {2}\r\n" }, { "S", "+ Ready\r\n" }, { "C", "Hi\r\n" },
    { "S", "a4 OK appended\r\n" },
    { "C", "a5 UID FETCH 1 (BODY[])\r\n" },
    { "S", "* 1 FETCH (UID 1 BODY[] {5}\r\nhello)\r\na5 OK done\r\n" },
    { "C", "a6 IDLE\r\n" }, { "S", "+ idling\r\n" }, { "C", "DONE\r\n" }, { "S", "a6 OK\r\n" },
    { "C", "a7 LOGOUT\r\n" }, { "S", "* BYE bye\r\na7 OK\r\n" },
  };
  g_autofree char *got = NULL;
  const MlCaptureProtocolStats *st;

  play (f, session, G_N_ELEMENTS (session), 0);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==,
                   "S: * OK IMAP4rev1 ready|C: a1 LOGIN bob \"p w\"|S: a1 OK logged in|"
                   "C: a2 SELECT INBOX|S: * 1 EXISTS|S: a2 OK [READ-WRITE] selected|"
                   "C: a3 APPEND INBOX {11+}\nHello\nBob! (\\Seen)|S: a3 OK appended|"
                   /* The command is whole once its literal came, after "+". */
                   "S: + Ready|C: a4 APPEND INBOX {2}\nHi|S: a4 OK appended|"
                   "C: a5 UID FETCH 1 (BODY[])|S: * 1 FETCH (UID 1 BODY[] {5}\nhello)|S: a5 OK done|"
                   "C: a6 IDLE|S: + idling|C: DONE|S: a6 OK|C: a7 LOGOUT|S: * BYE bye|S: a7 OK");
  g_assert_cmpuint (f->messages->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, "Hello\r\nBob!");
  g_assert_cmpstr (g_ptr_array_index (f->messages, 2), ==, "hello");
  st = stats (f, ML_PROTO_IMAP);
  g_assert_cmpuint (st->commands, ==, 8);
  g_assert_cmpuint (st->replies, ==, 9);       /* 7 tagged, 2 "+" */
  g_assert_cmpuint (st->credentials_in_clear, ==, 1);
}

/* The client's verb and arguments are split as the server engine does. */
static void
test_imap_fields (Fixture *f, gconstpointer data)
{
  const MlTraceEvent *cmd = NULL, *done = NULL;

  conversation_handshake (&f->conv);
  conversation_send (&f->conv, S, "* OK hi\r\n");
  conversation_send (&f->conv, C, "x9 uid fetch 1:* (FLAGS)\r\n");
  conversation_send (&f->conv, S, "x9 NO [TRYCREATE] nope\r\n");
  conversation_close (&f->conv);
  for (guint64 i = 0; i < ml_trace_get_length (f->conv.trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (f->conv.trace, i);
      if (e->kind != ML_TRACE_DIALOGUE)
        continue;
      if (e->direction == C)
        cmd = e;
      else if (g_strcmp0 (e->args, "x9") == 0)
        done = e;
    }
  g_assert_nonnull (cmd);
  g_assert_nonnull (done);
  g_assert_cmpstr (cmd->verb, ==, "UID FETCH");
  g_assert_cmpstr (cmd->args, ==, "1:* (FLAGS)");
  g_assert_cmpstr (cmd->explain_key, ==, "imap.uid.fetch");
  g_assert_cmpstr (done->verb, ==, "NO");
  g_assert_cmpstr (done->detail, ==, "TRYCREATE");
  g_assert_cmpstr (done->explain_key, ==, "imap.no");
  g_assert_cmpuint (stats (f, ML_PROTO_IMAP)->replies_by_class[4], ==, 1);
}

static void
test_imap_starttls_authenticate (Fixture *f, gconstpointer data)
{
  static const char *const session[][2] = {
    { "S", "* OK hi\r\n" },
    { "C", "a1 AUTHENTICATE PLAIN\r\n" }, { "S", "+ \r\n" }, { "C", "AGJvYgBwdw==\r\n" },
    { "S", "a1 OK in\r\n" },
    { "C", "a2 STARTTLS\r\n" }, { "S", "a2 OK begin\r\n" }, { "C", "\x16\x03\x01 a3 LOGIN x y\r\n" },
  };
  g_autofree char *got = NULL;

  play (f, session, G_N_ELEMENTS (session), 0);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "S: * OK hi|C: a1 AUTHENTICATE PLAIN|S: + |C: AGJvYgBwdw==|"
                            "S: a1 OK in|C: a2 STARTTLS|S: a2 OK begin");
  g_assert_cmpuint (stats (f, ML_PROTO_IMAP)->credentials_in_clear, ==, 1);
  g_assert_cmpuint (stats (f, ML_PROTO_IMAP)->commands, ==, 2);
  g_assert_true (conversation_has_note (&f->conv, "capture.tls"));
}

/* ---- detection ---- */

static void
test_detect_content (Fixture *f, gconstpointer data)
{
  static const struct {
    guint16     port;
    const char *greeting;
    MlProtocol  protocol;
  } cases[] = {
    { 2525, "220 mx ESMTP\r\n", ML_PROTO_SMTP },
    { 1110, "+OK hello\r\n", ML_PROTO_POP3 },
    { 1143, "* PREAUTH welcome\r\n", ML_PROTO_IMAP },
    { 8080, "HTTP/1.1 200 OK\r\n", ML_PROTO_NONE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = NULL;
      const MlCaptureStats *st;
      guint flows;

      conversation_clear (&f->conv);
      start (f, cases[i].port);
      conversation_handshake (&f->conv);
      conversation_send (&f->conv, S, cases[i].greeting);
      conversation_close (&f->conv);
      got = conversation_dialogue (&f->conv);
      st = ml_capture_reader_get_stats (f->conv.reader);
      flows = st->smtp.flows + st->pop3.flows + st->imap.flows;
      if (cases[i].protocol == ML_PROTO_NONE)
        {
          g_assert_cmpstr (got, ==, "");
          g_assert_cmpuint (flows, ==, 0);
        }
      else
        {
          g_autofree char *want = g_strdup_printf ("S: %.*s", (int) strlen (cases[i].greeting) - 2,
                                                   cases[i].greeting);
          g_assert_cmpstr (got, ==, want);
          g_assert_cmpuint (stats (f, cases[i].protocol)->flows, ==, 1);
        }
    }
}

static void
test_detect_user_port (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;

  g_assert_true (ml_capture_options_add_port (&f->options, "pop3=2000", &error));
  g_assert_no_error (error);
  conversation_clear (&f->conv);
  start (f, 2000);
  conversation_handshake (&f->conv);
  /* The client speaks first here; by port it is still POP3. */
  conversation_send (&f->conv, C, "STAT\r\n");
  conversation_send (&f->conv, S, "+OK 0 0\r\n");
  conversation_close (&f->conv);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "C: STAT|S: +OK 0 0");
}

static void
test_detect_options (Fixture *f, gconstpointer data)
{
  static const char *const bad[] = { "smtp", "smtp=", "smtp=0", "smtp=65536", "http=80", "imap=12x" };
  MlCaptureOptions o;
  g_autoptr(GError) error = NULL;

  ml_capture_options_init (&o);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (ml_capture_options_add_port (&o, bad[i], &error));
      g_assert_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_INVALID);
      g_clear_error (&error);
    }
  g_assert_true (ml_capture_options_add_port (&o, "IMAPS=1993", &error));
  g_assert_cmpuint (o.n_ports, ==, 1);
  g_assert_cmpint (o.ports[0].protocol, ==, ML_PROTO_IMAP);
  g_assert_true (o.ports[0].implicit_tls);
  for (guint i = 1; i < ML_CAPTURE_MAX_USER_PORTS; i++)
    g_assert_true (ml_capture_options_add_port (&o, "smtp=2525", &error));
  g_assert_false (ml_capture_options_add_port (&o, "smtp=2526", &error));
  g_assert_error (error, ML_CAPTURE_ERROR, ML_CAPTURE_ERROR_INVALID);
}

/* A one-way bulk transfer on an unknown port: decided "not mail" after
 * ML_CAPTURE_DETECT_MAX bytes, not buffered to its end. */
static void
test_detect_bulk (Fixture *f, gconstpointer data)
{
  g_autofree char *chunk = g_strnfill (1400, 'z');
  const MlCaptureStats *st;

  conversation_clear (&f->conv);
  start (f, 8080);
  conversation_handshake (&f->conv);
  for (int i = 0; i < 200; i++)
    conversation_send (&f->conv, S, chunk);
  conversation_send (&f->conv, S, "220 not a greeting now\r\n");
  conversation_close (&f->conv);
  st = ml_capture_reader_get_stats (f->conv.reader);
  g_assert_cmpuint (st->smtp.flows + st->pop3.flows + st->imap.flows, ==, 0);
  g_assert_cmpuint (st->flows, ==, 1);
  {
    g_autofree char *got = conversation_dialogue (&f->conv);
    g_assert_cmpstr (got, ==, "");
  }
}

/* Implicit TLS (RFC 8314): nothing is parsed, everything is counted. */
static void
test_detect_implicit_tls (Fixture *f, gconstpointer data)
{
  g_autofree char *got = NULL;

  conversation_clear (&f->conv);
  start (f, 993);
  conversation_handshake (&f->conv);
  conversation_send (&f->conv, C, "\x16\x03\x01\x02\x10 a1 LOGIN x y\r\n");
  conversation_close (&f->conv);
  got = conversation_dialogue (&f->conv);
  g_assert_cmpstr (got, ==, "");
  g_assert_true (conversation_has_note (&f->conv, "capture.tls"));
  g_assert_cmpuint (stats (f, ML_PROTO_IMAP)->tls_bytes, ==, 20);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, port, fn) \
  g_test_add ("/capture/" path, Fixture, GUINT_TO_POINTER (port), setup, fn, teardown)
  ADD ("smtp/pipelining", 25, test_smtp_pipelining);
  ADD ("smtp/byte-at-a-time", 25, test_smtp_byte_at_a_time);
  ADD ("smtp/data-refused", 25, test_smtp_data_refused);
  ADD ("smtp/bdat", 587, test_smtp_bdat);
  ADD ("smtp/starttls", 587, test_smtp_starttls);
  ADD ("smtp/auth-in-clear", 587, test_smtp_auth);
  ADD ("smtp/midstream", 25, test_smtp_midstream);
  ADD ("smtp/gap", 25, test_smtp_gap);
  ADD ("smtp/reordered-duplicated", 25, test_smtp_reordered);
  ADD ("smtp/lost-greeting", 25, test_smtp_lost_greeting);
  ADD ("pop3/multiline", 110, test_pop3_multiline);
  ADD ("pop3/byte-at-a-time", 110, test_pop3_byte_at_a_time);
  ADD ("pop3/auth-and-stls", 110, test_pop3_auth_and_stls);
  ADD ("imap/session", 143, test_imap_session);
  ADD ("imap/fields", 143, test_imap_fields);
  ADD ("imap/starttls-authenticate", 143, test_imap_starttls_authenticate);
  ADD ("detect/content", 0, test_detect_content);
  ADD ("detect/user-port", 2000, test_detect_user_port);
  ADD ("detect/options", 25, test_detect_options);
  ADD ("detect/implicit-tls", 993, test_detect_implicit_tls);
  ADD ("detect/bulk-not-mail", 8080, test_detect_bulk);
#undef ADD
  return g_test_run ();
}

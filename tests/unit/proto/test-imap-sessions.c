/* Unit tests for the IMAP server engine across sessions and feeding
 * patterns: RFC 3501 7.4.1 timing of untagged updates, \Recent (2.3.2),
 * IDLE push (RFC 2177), the RFC 3501 section 8 sample, whole / one byte
 * at a time / random splits / pipelined, the output backlog. */
#include "imap-test-util.h"

static void
test_flags_told_at_noop (Fixture *f, gconstpointer data)
{
  g_autofree char *store = NULL, *noop = NULL, *again = NULL;

  session_login (f->a);
  session_login (f->b);
  session_select (f->a, "INBOX");
  session_select (f->b, "INBOX");
  store = session_send (f->a, "a1 STORE 1 +FLAGS (\\Flagged)\r\n");
  g_assert_cmpstr (store, ==, "* 1 FETCH (FLAGS (\\Flagged \\Seen))\r\na1 OK STORE completed\r\n");
  /* B hears of it at its next command's end, not before (RFC 3501 7.4.1). */
  g_assert_cmpuint (f->b->wakeups, ==, 0);
  noop = session_send (f->b, "b1 NOOP\r\n");
  g_assert_cmpstr (noop, ==, "* 1 FETCH (FLAGS (\\Flagged \\Seen))\r\nb1 OK NOOP completed\r\n");
  /* Once. */
  again = session_send (f->b, "b2 NOOP\r\n");
  g_assert_cmpstr (again, ==, "b2 OK NOOP completed\r\n");
  /* A's own change is not told back to A as unsolicited. */
  g_free (again);
  again = session_send (f->a, "a2 NOOP\r\n");
  g_assert_cmpstr (again, ==, "a2 OK NOOP completed\r\n");
}

static void
test_expunge_held_during_fetch (Fixture *f, gconstpointer data)
{
  g_autofree char *ex = NULL, *fetch = NULL, *store = NULL, *search = NULL, *noop = NULL;
  g_autofree char *after = NULL;

  session_login (f->a);
  session_login (f->b);
  session_select (f->a, "INBOX");
  session_select (f->b, "INBOX");
  g_free (session_send (f->a, "a1 STORE 2 +FLAGS.SILENT (\\Deleted)\r\n"));
  ex = session_send (f->a, "a2 EXPUNGE\r\n");
  g_assert_cmpstr (ex, ==, "* 2 EXPUNGE\r\na2 OK EXPUNGE completed\r\n");

  /* B still numbers 3 messages: no EXPUNGE during FETCH, the flag change
   * may come; the expunged message cannot be fetched (RFC 2180 4.1.2). */
  fetch = session_send (f->b, "b1 FETCH 1:3 (UID)\r\n");
  g_assert_cmpstr (fetch, ==,
                   "* 1 FETCH (UID 1)\r\n"
                   "* 3 FETCH (UID 3)\r\n"
                   "b1 NO [EXPUNGEISSUED] Some messages were expunged by another session\r\n");
  store = session_send (f->b, "b2 STORE 3 +FLAGS (\\Answered)\r\n");
  g_assert_cmpstr (store, ==, "* 3 FETCH (FLAGS (\\Answered \\Flagged))\r\nb2 OK STORE completed\r\n");
  search = session_send (f->b, "b3 UID SEARCH ALL\r\n");
  g_assert_cmpstr (search, ==, "* SEARCH 1 3\r\nb3 OK [EXPUNGEISSUED] UID SEARCH completed\r\n");
  /* NOOP may tell it: and then message 3 is number 2. */
  noop = session_send (f->b, "b4 NOOP\r\n");
  g_assert_cmpstr (noop, ==, "* 2 EXPUNGE\r\nb4 OK NOOP completed\r\n");
  after = session_send (f->b, "b5 FETCH 2 (UID)\r\n");
  g_assert_cmpstr (after, ==, "* 2 FETCH (UID 3)\r\nb5 OK FETCH completed\r\n");
}

static void
test_new_mail_and_recent (Fixture *f, gconstpointer data)
{
  MlMailbox *inbox = ml_account_get_inbox (f->bob);
  g_autofree char *a = NULL, *b = NULL, *fa = NULL, *fb = NULL;

  session_login (f->a);
  session_login (f->b);
  session_select (f->a, "INBOX");
  session_select (f->b, "INBOX");
  /* The MDA delivers, \Recent as always. */
  add_message (inbox, msg_plain, ML_FLAG_RECENT, T0 + 5000);
  /* RFC 3501 2.3.2: the first session told of it gets \Recent. */
  b = session_send (f->b, "b1 NOOP\r\n");
  g_assert_cmpstr (b, ==, "* 4 EXISTS\r\n* 1 RECENT\r\nb1 OK NOOP completed\r\n");
  a = session_send (f->a, "a1 CHECK\r\n");
  g_assert_cmpstr (a, ==, "* 4 EXISTS\r\n* 2 RECENT\r\na1 OK CHECK completed\r\n");
  fb = session_send (f->b, "b2 FETCH 4 FLAGS\r\n");
  g_assert_cmpstr (fb, ==, "* 4 FETCH (FLAGS (\\Recent))\r\nb2 OK FETCH completed\r\n");
  fa = session_send (f->a, "a2 FETCH 4 FLAGS\r\n");
  g_assert_cmpstr (fa, ==, "* 4 FETCH (FLAGS ())\r\na2 OK FETCH completed\r\n");
  g_assert_cmpuint (ml_mailbox_get_recent_count (inbox), ==, 0);
}

static void
test_idle_push (Fixture *f, gconstpointer data)
{
  MlMailbox *inbox = ml_account_get_inbox (f->bob);
  g_autofree char *idle = NULL, *pushed = NULL, *flags = NULL, *gone = NULL, *done = NULL;

  session_login (f->a);
  session_login (f->b);
  session_select (f->a, "INBOX");
  session_select (f->b, "INBOX");
  idle = session_send (f->a, "a1 IDLE\r\n");
  g_assert_cmpstr (idle, ==, "+ idling\r\n");
  g_assert_true (ml_imap_server_is_idling (f->a->server));

  /* RFC 2177: the MDA's delivery is told at once, no command needed; the
   * owner learns there is output through the wakeup. */
  add_message (inbox, msg_plain, ML_FLAG_RECENT, T0 + 5000);
  g_assert_cmpuint (f->a->wakeups, ==, 1);
  pushed = session_drain (f->a);
  /* A already had two \\Recent from its SELECT. */
  g_assert_cmpstr (pushed, ==, "* 4 EXISTS\r\n* 3 RECENT\r\n");

  /* Another session's flags and expunges too: EXPUNGE is fine in IDLE. */
  g_free (session_send (f->b, "b1 STORE 1 +FLAGS (\\Deleted)\r\n"));
  flags = session_drain (f->a);
  g_assert_cmpstr (flags, ==, "* 1 FETCH (FLAGS (\\Deleted \\Seen))\r\n");
  g_free (session_send (f->b, "b2 EXPUNGE\r\n"));
  gone = session_drain (f->a);
  g_assert_cmpstr (gone, ==, "* 1 EXPUNGE\r\n");

  done = session_send (f->a, "DONE\r\n");
  g_assert_cmpstr (done, ==, "a1 OK IDLE terminated\r\n");
  g_assert_false (ml_imap_server_is_idling (f->a->server));
  g_assert_cmpstr (last_event (f->a, 1)->verb, ==, "DONE");
  g_assert_cmpstr (last_event (f->a, 1)->explain_key, ==, "imap.done");
}

static void
test_idle_tells_held_updates_and_bad_done (Fixture *f, gconstpointer data)
{
  g_autofree char *idle = NULL, *bad = NULL;

  session_login (f->a);
  session_login (f->b);
  session_select (f->a, "INBOX");
  session_select (f->b, "INBOX");
  g_free (session_send (f->b, "b1 STORE 2 +FLAGS (\\Seen)\r\n"));
  /* What was held goes out as IDLE starts. */
  idle = session_send (f->a, "a1 IDLE\r\n");
  g_assert_cmpstr (idle, ==, "* 2 FETCH (FLAGS (\\Seen \\Recent))\r\n+ idling\r\n");
  /* RFC 2177 knows only DONE. */
  bad = session_send (f->a, "a2 NOOP\r\n");
  g_assert_cmpstr (bad, ==, "a1 BAD Expected DONE\r\n");
}

static void
test_mailbox_deleted_under_session (Fixture *f, gconstpointer data)
{
  g_autofree char *del = NULL, *bye = NULL;

  session_login (f->a);
  session_login (f->b);
  g_free (session_send (f->a, "c1 CREATE Work\r\n"));
  session_select (f->b, "Work");
  del = session_send (f->a, "d1 DELETE Work\r\n");
  g_assert_cmpstr (del, ==, "d1 OK DELETE completed\r\n");
  /* RFC 2180 3.3: the other session is told BYE and closed. */
  g_assert_cmpuint (f->b->wakeups, ==, 1);
  bye = session_drain (f->b);
  g_assert_cmpstr (bye, ==, "* BYE Mailbox Work has been deleted\r\n");
  g_assert_true (ml_imap_server_wants_close (f->b->server));
}

/* ---- RFC 3501 section 8 ---- */

static const char rfc3501_header[] =
  "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
  "From: Terry Gray <gray@cac.washington.edu>\r\n"
  "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
  "To: imap@cac.washington.edu\r\n"
  "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
  "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
  "\r\n";

static void
test_rfc3501_sample (void)
{
  g_autoptr (MlMailStore) store = ml_mail_store_new ();
  MlAccount *mrc = ml_mail_store_add_account (store, "mrc", "secret");
  MlMailbox *inbox = ml_account_get_inbox (mrc);
  Session *s;
  GString *body = g_string_new (NULL);
  g_autofree char *login = NULL, *select = NULL, *full = NULL, *header = NULL;
  g_autofree char *store_r = NULL, *logout = NULL;
  g_autofree char *want_header = NULL;
  guint i;

  /* 3028 octets in 92 lines, as the sample's BODY says. */
  for (i = 0; i < 91; i++)
    g_string_append (body, "Minutes of the IMAP4rev1 WG mtg\r\n");
  g_string_append (body, "end of the minutes here\r\n");
  g_assert_cmpuint (body->len, ==, 3028);
  /* 18 messages; 12 is the sample's; 17 and 18 new. */
  for (i = 1; i <= 18; i++)
    {
      g_autofree char *text = i == 12 ? g_strconcat (rfc3501_header, body->str, NULL)
                                      : g_strdup_printf ("Subject: %u\r\n\r\nbody\r\n", i);

      add_message (inbox, text, i >= 17 ? ML_FLAG_RECENT : ML_FLAG_SEEN, 837596665);
    }
  s = session_new (store, NULL);
  ml_imap_server_start (s->server);
  g_free (session_drain (s));

  login = session_send (s, "a001 login mrc secret\r\n");
  g_assert_true (g_str_has_prefix (login, "a001 OK "));
  select = session_send (s, "a002 select inbox\r\n");
  assert_contains (select, "* 18 EXISTS\r\n");
  assert_contains (select, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n");
  assert_contains (select, "* 2 RECENT\r\n");
  assert_contains (select, "* OK [UNSEEN 17] ");
  assert_contains (select, "* OK [UIDVALIDITY ");
  assert_contains (select, "a002 OK [READ-WRITE] SELECT completed\r\n");

  full = session_send (s, "a003 fetch 12 full\r\n");
  g_assert_cmpstr (full, ==,
                   "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 09:44:25 +0000\""
                   " RFC822.SIZE 3370 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\""
                   " \"IMAP4rev1 WG mtg summary and minutes\""
                   " ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\"))"
                   " ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\"))"
                   " ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\"))"
                   " ((NIL NIL \"imap\" \"cac.washington.edu\"))"
                   " ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
                   "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL"
                   " \"<B27397-0100000@cac.washington.edu>\")"
                   " BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n"
                   "a003 OK FETCH completed\r\n");
  header = session_send (s, "a004 fetch 12 body[header]\r\n");
  want_header = g_strdup_printf ("* 12 FETCH (BODY[HEADER] {342}\r\n%s)\r\na004 OK FETCH completed\r\n",
                                 rfc3501_header);
  g_assert_cmpstr (header, ==, want_header);
  store_r = session_send (s, "a005 store 12 +flags \\deleted\r\n");
  g_assert_cmpstr (store_r, ==, "* 12 FETCH (FLAGS (\\Deleted \\Seen))\r\na005 OK STORE completed\r\n");
  logout = session_send (s, "a006 logout\r\n");
  g_assert_true (g_str_has_prefix (logout, "* BYE "));
  assert_contains (logout, "a006 OK LOGOUT completed\r\n");
  g_string_free (body, TRUE);
  session_free (s);
}

/* ---- feeding patterns ---- */

/* A session with no synchronizing literal: the server's bytes cannot
 * depend on how the client's bytes were cut. */
static const char script[] =
  "a1 CAPABILITY\r\n"
  "a2 LOGIN " BOB " {10+}\r\n" BOB_PASS "\r\n"
  "a3 SELECT INBOX\r\n"
  "a4 FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])\r\n"
  "a5 STORE 2 +FLAGS (\\Seen $Later)\r\n"
  "a6 SEARCH CHARSET UTF-8 OR SUBJECT {5+}\r\ncaf\xc3\xa9 FROM alice\r\n"
  "a7 APPEND Drafts (\\Draft) {14+}\r\nSubject: d\r\n\r\n\r\n"
  "a8 COPY 1 Trash\r\n"
  "a9 MOVE 3 Trash\r\n"
  "b1 LIST \"\" *\r\n"
  "b2 STATUS Trash (MESSAGES UIDNEXT)\r\n"
  "b3 UID FETCH 1:* (BODY.PEEK[TEXT]<0.8>)\r\n"
  "b4 bogus command\r\n"
  "b5 LOGOUT\r\n";

typedef enum { WHOLE, BYTES, RANDOM } Split;

static char *
run_script (Split split, guint seed)
{
  Fixture f;
  GString *all = g_string_new (NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  gsize n = strlen (script), pos = 0;

  fixture_setup (&f, NULL);
  while (pos < n)
    {
      gsize step = split == WHOLE ? n : split == BYTES ? 1 : (gsize) g_rand_int_range (rand, 1, 40);
      g_autofree char *out = NULL;

      step = MIN (step, n - pos);
      ml_imap_server_feed (f.a->server, (const guint8 *) script + pos, step);
      out = session_drain (f.a);
      g_string_append (all, out);
      pos += step;
    }
  fixture_teardown (&f, NULL);
  return g_string_free (all, FALSE);
}

static void
test_whole_bytes_random (void)
{
  g_autofree char *whole = run_script (WHOLE, 0);
  g_autofree char *bytes = run_script (BYTES, 0);
  guint seed;

  assert_contains (whole, "a5 OK STORE completed\r\n");
  assert_contains (whole, "a6 OK SEARCH completed\r\n");
  assert_contains (whole, "* OK [COPYUID 4 3 2] Moved UIDs\r\n");
  assert_contains (whole, "b4 BAD [CLIENTBUG] Unknown command BOGUS\r\n");
  assert_contains (whole, "b5 OK LOGOUT completed\r\n");
  g_assert_cmpstr (bytes, ==, whole);
  for (seed = 1; seed <= 20; seed++)
    {
      g_autofree char *random = run_script (RANDOM, seed);

      g_assert_cmpstr (random, ==, whole);
    }
}

static void
test_sync_literal_byte_at_a_time (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  /* One "+" per synchronizing literal, sent as soon as it is announced. */
  r = session_send_bytes (f->a, "a1 LOGIN {13}\r\n" BOB " {10}\r\n" BOB_PASS "\r\n");
  g_assert_true (g_str_has_prefix (r, "+ Ready for literal data\r\n+ Ready for literal data\r\na1 OK "));
}

static void
test_pipelined (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  session_login (f->a);
  /* Commands answered in order, each completed before the next. */
  r = session_send (f->a, "p1 SELECT INBOX\r\np2 FETCH 1 (UID)\r\np3 NOOP\r\np4 CLOSE\r\n");
  assert_contains (r, "p1 OK [READ-WRITE] SELECT completed\r\n* 1 FETCH (UID 1)\r\n"
                      "p2 OK FETCH completed\r\np3 OK NOOP completed\r\np4 OK CLOSE completed\r\n");
}

static void
test_output_backlog (Fixture *f, gconstpointer data)
{
  MlMailbox *drafts = ml_account_find_mailbox (f->bob, "Drafts");
  GString *big = g_string_new ("Subject: big\r\n\r\n");
  const char *pipelined = "o1 FETCH 1:* BODY.PEEK[]\r\no2 NOOP\r\n";
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) second = NULL;
  guint i;

  while (big->len < 1024 * 1024)
    g_string_append (big, "0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
  for (i = 0; i < 10; i++)
    add_message (drafts, big->str, 0, T0);
  session_login (f->a);
  session_select (f->a, "Drafts");
  /* The first answer passes ML_IMAP_MAX_OUTPUT_BACKLOG: the second command
   * waits until the owner takes the output. */
  ml_imap_server_feed (f->a->server, (const guint8 *) pipelined, strlen (pipelined));
  first = ml_imap_server_take_output (f->a->server);
  g_assert_nonnull (first);
  g_assert_cmpuint (g_bytes_get_size (first), >, ML_IMAP_MAX_OUTPUT_BACKLOG);
  g_assert_null (g_strstr_len (g_bytes_get_data (first, NULL), g_bytes_get_size (first), "o2 OK"));
  /* take_output took up o2 and said so through the wakeup. */
  g_assert_cmpuint (f->a->wakeups, ==, 1);
  second = ml_imap_server_take_output (f->a->server);
  g_assert_nonnull (second);
  g_assert_cmpmem (g_bytes_get_data (second, NULL), g_bytes_get_size (second),
                   "o2 OK NOOP completed\r\n", 22);
  /* Every byte still in exactly one REPLY event, in order. */
  {
    g_autoptr (GString) replies = g_string_new (NULL);
    MlEngineEvent ev;

    while (ml_imap_server_next_event (f->a->server, &ev))
      {
        if (ev.kind == ML_ENGINE_EVENT_REPLY)
          {
            const char *p;

            for (p = ev.line; *p != '\0'; p++)
              {
                if (*p == '\n')
                  g_string_append_c (replies, '\r');
                g_string_append_c (replies, *p);
              }
            g_string_append (replies, "\r\n");
          }
        ml_engine_event_clear (&ev);
      }
    g_assert_cmpuint (replies->len, ==, g_bytes_get_size (first) + g_bytes_get_size (second));
    g_assert_cmpmem (replies->str, g_bytes_get_size (first),
                     g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  }
  g_string_free (big, TRUE);
}

static void
test_large_mailbox_fetch (void)
{
  g_autoptr (MlMailStore) store = ml_mail_store_new ();
  MlAccount *bob = ml_mail_store_add_account (store, BOB, BOB_PASS);
  MlMailbox *inbox = ml_account_get_inbox (bob);
  Session *s;
  g_autofree char *r = NULL;
  const char *p;
  guint i, lines = 0;

  /* The benchmark's shape: 10,000 messages, FETCH 1:* (FLAGS
   * BODY.PEEK[HEADER]); seq → UID is an index, so this is linear. */
  for (i = 0; i < 10000; i++)
    add_message (inbox, msg_plain, 0, T0 + i);
  s = session_new (store, NULL);
  ml_imap_server_start (s->server);
  g_free (session_drain (s));
  session_login (s);
  session_select (s, "INBOX");
  r = session_send (s, "f1 FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\n");
  for (p = r; (p = strstr (p, " FETCH (FLAGS ()")) != NULL; p++)
    lines++;
  g_assert_cmpuint (lines, ==, 10000);
  assert_contains (r, "* 10000 FETCH (FLAGS () BODY[HEADER] {150}\r\n");
  assert_contains (r, "f1 OK FETCH completed\r\n");
  session_free (s);
}

#define ADD(path, func) \
  g_test_add ("/imap-sessions/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("flags-told-at-noop", test_flags_told_at_noop);
  ADD ("expunge-held-during-fetch", test_expunge_held_during_fetch);
  ADD ("new-mail-and-recent", test_new_mail_and_recent);
  ADD ("idle-push", test_idle_push);
  ADD ("idle-held-updates-and-bad-done", test_idle_tells_held_updates_and_bad_done);
  ADD ("mailbox-deleted-under-session", test_mailbox_deleted_under_session);
  g_test_add_func ("/imap-sessions/rfc3501-sample", test_rfc3501_sample);
  g_test_add_func ("/imap-sessions/whole-bytes-random", test_whole_bytes_random);
  ADD ("sync-literal-byte-at-a-time", test_sync_literal_byte_at_a_time);
  ADD ("pipelined", test_pipelined);
  ADD ("output-backlog", test_output_backlog);
  g_test_add_func ("/imap-sessions/large-mailbox-fetch", test_large_mailbox_fetch);
  return g_test_run ();
}

/* Unit tests for the IMAP server engine, one session: every command of
 * RFC 3501 and the extensions, their error paths, exact bytes out. */
#include "imap-test-util.h"

#define CAPS "IMAP4rev1 LITERAL+ SASL-IR ID IDLE MOVE UIDPLUS UNSELECT NAMESPACE SPECIAL-USE" \
             " CHILDREN QUOTA QUOTA=RES-STORAGE APPENDLIMIT=33554432"

static void
test_greeting (Fixture *f, gconstpointer data)
{
  MlEngineEvent *ev;
  guint i, states = 0;

  g_assert_cmpstr (f->a->out->str, ==,
                   "* OK [CAPABILITY " CAPS " AUTH=PLAIN] mail.b.example IMAP4rev1 maillab ready\r\n");
  g_assert_cmpstr (ml_imap_server_get_state_name (f->a->server), ==, "not-authenticated");
  for (i = 0; i < f->a->events->len; i++)
    {
      ev = g_ptr_array_index (f->a->events, i);
      if (ev->kind == ML_ENGINE_EVENT_STATE)
        {
          states++;
          g_assert_cmpstr (ev->explain_key, ==, "imap.state.not-authenticated");
        }
      if (ev->kind == ML_ENGINE_EVENT_REPLY)
        {
          g_assert_cmpstr (ev->verb, ==, "OK");
          g_assert_cmpstr (ev->args, ==, "*");
          g_assert_cmpstr (ev->enhanced, ==, "CAPABILITY");
          g_assert_cmpstr (ev->explain_key, ==, "imap.ok");
        }
    }
  g_assert_cmpuint (states, ==, 1);
}

static void
test_capability_noop_logout (Fixture *f, gconstpointer data)
{
  g_autofree char *caps = session_send (f->a, "a1 CAPABILITY\r\n");
  g_autofree char *noop = session_send (f->a, "a2 noop\r\n");
  g_autofree char *extra = session_send (f->a, "a3 NOOP now\r\n");
  g_autofree char *bye = NULL;
  MlEngineEvent *ev;

  g_assert_cmpstr (caps, ==, "* CAPABILITY " CAPS " AUTH=PLAIN\r\na1 OK CAPABILITY completed\r\n");
  g_assert_cmpstr (noop, ==, "a2 OK NOOP completed\r\n");
  g_assert_cmpstr (extra, ==, "a3 BAD Too many arguments\r\n");
  bye = session_send (f->a, "a4 LOGOUT\r\n");
  g_assert_cmpstr (bye, ==, "* BYE mail.b.example logging out\r\na4 OK LOGOUT completed\r\n");
  g_assert_true (ml_imap_server_wants_close (f->a->server));
  g_assert_cmpint (ml_imap_server_get_state (f->a->server), ==, ML_IMAP_SERVER_STATE_LOGOUT);
  ev = last_event (f->a, 0);
  g_assert_cmpint (ev->kind, ==, ML_ENGINE_EVENT_CLOSE);
  /* Nothing more is read after LOGOUT. */
  g_assert_cmpuint (ml_imap_server_feed (f->a->server, (const guint8 *) "a5 NOOP\r\n", 9), ==, 0);
}

static void
test_command_events (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;
  MlEngineEvent *ev;

  session_login (f->a);
  session_select (f->a, "INBOX");
  r = session_send (f->a, "f1 uid fetch 1:* (FLAGS)\r\n");
  /* COMMAND, the untagged FETCHes, the tagged OK. */
  ev = NULL;
  for (guint i = 0; i < f->a->events->len; i++)
    {
      MlEngineEvent *e = g_ptr_array_index (f->a->events, i);

      if (e->kind == ML_ENGINE_EVENT_COMMAND && g_strcmp0 (e->verb, "UID FETCH") == 0)
        ev = e;
    }
  g_assert_nonnull (ev);
  g_assert_false (ev->outgoing);
  g_assert_cmpint (ev->direction, ==, ML_DIR_CLIENT_TO_SERVER);
  g_assert_cmpstr (ev->line, ==, "f1 uid fetch 1:* (FLAGS)");
  g_assert_cmpstr (ev->args, ==, "1:* (FLAGS)");
  g_assert_cmpstr (ev->explain_key, ==, "imap.uid.fetch");
  ev = last_event (f->a, 0);
  g_assert_cmpstr (ev->verb, ==, "OK");
  g_assert_cmpstr (ev->args, ==, "f1");
  g_assert_cmpstr (ev->explain_key, ==, "imap.ok");
  ev = last_event (f->a, 1);
  g_assert_cmpstr (ev->verb, ==, "FETCH");
  g_assert_cmpstr (ev->explain_key, ==, "imap.untagged.fetch");
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *unknown = session_send (f->a, "x1 FROB\r\n");
  g_autofree char *state = session_send (f->a, "x2 SELECT INBOX\r\n");
  g_autofree char *syntax = session_send (f->a, "x3 LOGIN \"unterminated\r\n");
  g_autofree char *notag = session_send (f->a, "\r\n");
  g_autofree char *badtag = session_send (f->a, "x+1 NOOP\r\n");
  g_autofree char *nocmd = session_send (f->a, "x4\r\n");
  g_autofree char *uid = session_send (f->a, "x5 UID FROB 1\r\n");
  g_autofree char *after = session_send (f->a, "x6 NOOP\r\n");

  g_assert_cmpstr (unknown, ==, "x1 BAD [CLIENTBUG] Unknown command FROB\r\n");
  g_assert_cmpstr (state, ==, "x2 BAD [CLIENTBUG] Log in first\r\n");
  g_assert_cmpstr (syntax, ==, "x3 BAD [CLIENTBUG] Syntax error: a quoted string cannot hold CR or LF; use a literal\r\n");
  g_assert_cmpstr (notag, ==, "* BAD Empty command line\r\n");
  g_assert_cmpstr (badtag, ==, "* BAD Invalid tag\r\n");
  g_assert_cmpstr (nocmd, ==, "x4 BAD Missing command\r\n");
  g_assert_cmpstr (uid, ==, "x5 BAD Unknown UID command\r\n");
  /* Every error left the session usable. */
  g_assert_cmpstr (after, ==, "x6 OK NOOP completed\r\n");
}

static void
test_line_too_long (Fixture *f, gconstpointer data)
{
  GString *line = g_string_new ("t1 NOOP ");
  g_autofree char *r = NULL;
  g_autofree char *next = NULL;

  while (line->len < ML_IMAP_MAX_LINE + 100)
    g_string_append (line, "xxxxxxxxxx");
  g_string_append (line, "\r\n");
  r = session_send (f->a, line->str);
  g_assert_cmpstr (r, ==, "t1 BAD [TOOBIG] Command line longer than 8192 octets\r\n");
  next = session_send (f->a, "t2 NOOP\r\n");
  g_assert_cmpstr (next, ==, "t2 OK NOOP completed\r\n");
  g_string_free (line, TRUE);
}

static void
test_login (Fixture *f, gconstpointer data)
{
  g_autofree char *bad = session_send (f->a, "l1 LOGIN bob@b.example wrong\r\n");
  g_autofree char *nouser = session_send (f->a, "l2 LOGIN nobody@b.example " BOB_PASS "\r\n");
  g_autofree char *ok = session_send (f->a, "l3 LOGIN \"bob@b.example\" {10+}\r\nbob-secret\r\n");
  g_autofree char *again = session_send (f->a, "l4 LOGIN " BOB " " BOB_PASS "\r\n");

  /* RFC 5530: the same answer whatever was wrong. */
  g_assert_cmpstr (bad, ==, "l1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  g_assert_cmpstr (nouser, ==, "l2 NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  g_assert_cmpstr (ok, ==, "l3 OK [CAPABILITY " CAPS "] Logged in\r\n");
  g_assert_cmpstr (ml_imap_server_get_state_name (f->a->server), ==, "authenticated");
  g_assert_true (ml_imap_server_get_account (f->a->server) == f->bob);
  g_assert_cmpstr (again, ==, "l4 BAD [CLIENTBUG] Not allowed after logging in\r\n");
}

static void
test_login_disabled (void)
{
  g_autoptr (MlMailStore) store = ml_mail_store_new ();
  MlImapServerConfig config;
  Session *s;
  g_autofree char *caps = NULL;
  g_autofree char *login = NULL;
  g_autofree char *auth = NULL;

  ml_mail_store_add_account (store, BOB, BOB_PASS);
  ml_imap_server_config_init (&config);
  config.allow_plaintext_login = FALSE;
  s = session_new (store, &config);
  ml_imap_server_start (s->server);
  g_free (session_drain (s));
  caps = session_send (s, "a CAPABILITY\r\n");
  assert_contains (caps, " LOGINDISABLED\r\n");
  assert_lacks (caps, "AUTH=PLAIN");
  assert_lacks (caps, "STARTTLS");
  login = session_send (s, "b LOGIN " BOB " " BOB_PASS "\r\n");
  g_assert_cmpstr (login, ==, "b NO [PRIVACYREQUIRED] Plaintext login is disabled\r\n");
  auth = session_send (s, "c AUTHENTICATE PLAIN AGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA==\r\n");
  g_assert_cmpstr (auth, ==, "c NO [PRIVACYREQUIRED] Plaintext authentication is disabled\r\n");
  g_assert_cmpstr (ml_imap_server_get_state_name (s->server), ==, "not-authenticated");
  session_free (s);
}

static void
test_starttls (Fixture *f, gconstpointer data)
{
  g_autofree char *caps = session_send (f->a, "c1 CAPABILITY\r\n");
  g_autofree char *r = session_send (f->a, "s1 STARTTLS\r\n");

  /* Not offered, so not advertised (RFC 3501 6.2.1). */
  assert_lacks (caps, "STARTTLS");
  g_assert_cmpstr (r, ==, "s1 BAD STARTTLS is not available: no TLS configured\r\n");
}

/* "\0bob@b.example\0bob-secret" */
#define PLAIN_OK "AGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA=="

static void
test_authenticate (Fixture *f, gconstpointer data)
{
  g_autofree char *cont = session_send (f->a, "p1 AUTHENTICATE PLAIN\r\n");
  g_autofree char *cancel = session_send (f->a, "*\r\n");
  g_autofree char *cont2 = session_send (f->a, "p2 authenticate plain\r\n");
  g_autofree char *bad64 = session_send (f->a, "not base64!\r\n");
  g_autofree char *malformed = session_send (f->a, "p3 AUTHENTICATE PLAIN Ym9i\r\n");
  /* "\0bob@b.example\0wrong" */
  g_autofree char *wrong = session_send (f->a, "p4 AUTHENTICATE PLAIN AGJvYkBiLmV4YW1wbGUAd3Jvbmc=\r\n");
  /* "alice@a.example\0bob@b.example\0bob-secret": acting as someone else */
  g_autofree char *authz = session_send (f->a, "p5 AUTHENTICATE PLAIN "
                                         "YWxpY2VAYS5leGFtcGxlAGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA==\r\n");
  g_autofree char *mech = session_send (f->a, "p6 AUTHENTICATE CRAM-MD5\r\n");
  g_autofree char *cont3 = session_send (f->a, "p7 AUTHENTICATE PLAIN\r\n");
  g_autofree char *ok = session_send (f->a, PLAIN_OK "\r\n");

  g_assert_cmpstr (cont, ==, "+ \r\n");
  g_assert_cmpstr (cancel, ==, "p1 BAD Authentication cancelled\r\n");
  g_assert_cmpstr (cont2, ==, "+ \r\n");
  g_assert_cmpstr (bad64, ==, "p2 BAD Invalid base64\r\n");
  g_assert_cmpstr (malformed, ==, "p3 BAD PLAIN message needs authzid NUL authcid NUL passwd "
                                  "(RFC 4616 2)\r\n");
  g_assert_cmpstr (wrong, ==, "p4 NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  /* sasl.c refuses the authzid inside the exchange: the same answer as
   * any failed login (RFC 5530 3). */
  g_assert_cmpstr (authz, ==, "p5 NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  g_assert_cmpstr (mech, ==, "p6 NO [CANNOT] Unsupported authentication mechanism\r\n");
  g_assert_cmpstr (cont3, ==, "+ \r\n");
  g_assert_true (g_str_has_prefix (ok, "p7 OK [CAPABILITY "));
  g_assert_cmpstr (ml_imap_server_get_state_name (f->a->server), ==, "authenticated");
}

static void
test_authenticate_ir (Fixture *f, gconstpointer data)
{
  /* RFC 4959: the response on the command line, no "+". */
  g_autofree char *ok = session_send (f->a, "p1 AUTHENTICATE PLAIN " PLAIN_OK "\r\n");

  g_assert_true (g_str_has_prefix (ok, "p1 OK [CAPABILITY "));
  g_assert_false (g_str_has_prefix (ok, "+"));
}

static void
test_id_namespace (Fixture *f, gconstpointer data)
{
  g_autofree char *id = session_send (f->a, "i1 ID (\"name\" \"test\" \"version\" NIL)\r\n");
  g_autofree char *idnil = session_send (f->a, "i2 ID NIL\r\n");
  g_autofree char *idodd = session_send (f->a, "i3 ID (\"name\")\r\n");
  g_autofree char *ns = NULL;

  assert_contains (id, "* ID (\"name\" \"maillab\"");
  assert_contains (id, "i1 OK ID completed\r\n");
  assert_contains (idnil, "i2 OK ID completed\r\n");
  g_assert_cmpstr (idodd, ==, "i3 BAD ID takes up to 30 field-value pairs\r\n");
  session_login (f->a);
  ns = session_send (f->a, "n1 NAMESPACE\r\n");
  g_assert_cmpstr (ns, ==, "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\nn1 OK NAMESPACE completed\r\n");
}

static void
test_select (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;
  g_autofree char *ex = NULL;
  g_autofree char *none = NULL;

  session_login (f->a);
  r = session_send (f->a, "s1 select inbox\r\n");
  g_assert_cmpstr (r, ==,
                   "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                   "* 3 EXISTS\r\n"
                   "* 2 RECENT\r\n"
                   "* OK [UNSEEN 2] Message 2 is first unseen\r\n"
                   "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Limited\r\n"
                   "* OK [UIDVALIDITY 1] UIDs valid\r\n"
                   "* OK [UIDNEXT 4] Predicted next UID\r\n"
                   "s1 OK [READ-WRITE] SELECT completed\r\n");
  g_assert_cmpstr (ml_imap_server_get_state_name (f->a->server), ==, "selected");
  g_assert_true (ml_imap_server_get_selected (f->a->server) == ml_account_get_inbox (f->bob));

  /* \Recent went to this session (RFC 3501 2.3.2): the next sees none. */
  session_login (f->b);
  ex = session_send (f->b, "e1 EXAMINE INBOX\r\n");
  assert_contains (ex, "* 0 RECENT\r\n");
  assert_contains (ex, "* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n");
  assert_contains (ex, "e1 OK [READ-ONLY] EXAMINE completed\r\n");

  /* A failed SELECT leaves the session authenticated (RFC 3501 6.3.1). */
  none = session_send (f->a, "s2 SELECT Nowhere\r\n");
  g_assert_cmpstr (none, ==, "s2 NO [NONEXISTENT] Mailbox does not exist\r\n");
  g_assert_cmpstr (ml_imap_server_get_state_name (f->a->server), ==, "authenticated");
}

static void
test_examine_is_read_only (Fixture *f, gconstpointer data)
{
  g_autofree char *ex = NULL;
  g_autofree char *store = NULL;
  g_autofree char *fetch = NULL;
  g_autofree char *expunge = NULL;

  session_login (f->a);
  ex = session_send (f->a, "e1 EXAMINE INBOX\r\n");
  /* EXAMINE looks at \Recent without taking it. */
  assert_contains (ex, "* 2 RECENT\r\n");
  store = session_send (f->a, "e2 STORE 1 +FLAGS (\\Deleted)\r\n");
  g_assert_cmpstr (store, ==, "e2 NO [READ-ONLY] Mailbox is read-only\r\n");
  expunge = session_send (f->a, "e3 EXPUNGE\r\n");
  g_assert_cmpstr (expunge, ==, "e3 NO [READ-ONLY] Mailbox is read-only\r\n");
  /* BODY[] does not set \Seen in a read-only mailbox. */
  fetch = session_send (f->a, "e4 FETCH 2 (BODY[TEXT])\r\n");
  assert_lacks (fetch, "\\Seen");
  g_assert_cmpuint (ml_message_get_flags (ml_mailbox_get_message (ml_account_get_inbox (f->bob), 1))
                    & ML_FLAG_SEEN, ==, 0);
}

static void
test_create_delete_rename (Fixture *f, gconstpointer data)
{
  g_autofree char *c1 = NULL, *c2 = NULL, *c3 = NULL, *c4 = NULL;
  g_autofree char *d1 = NULL, *d2 = NULL, *d3 = NULL;
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL;

  session_login (f->a);
  c1 = session_send (f->a, "c1 CREATE Work/2024\r\n");
  c2 = session_send (f->a, "c2 CREATE Work/2024\r\n");
  c3 = session_send (f->a, "c3 CREATE inbox\r\n");
  c4 = session_send (f->a, "c4 CREATE \"bad*name\"\r\n");
  g_assert_cmpstr (c1, ==, "c1 OK CREATE completed\r\n");
  g_assert_nonnull (ml_account_find_mailbox (f->bob, "Work"));
  g_assert_true (g_str_has_prefix (c2, "c2 NO [ALREADYEXISTS] "));
  g_assert_cmpstr (c3, ==, "c3 NO [ALREADYEXISTS] INBOX always exists\r\n");
  g_assert_true (g_str_has_prefix (c4, "c4 NO [CANNOT] "));

  r1 = session_send (f->a, "r1 RENAME Work Job\r\n");
  g_assert_cmpstr (r1, ==, "r1 OK RENAME completed\r\n");
  g_assert_nonnull (ml_account_find_mailbox (f->bob, "Job/2024"));
  r2 = session_send (f->a, "r2 RENAME Nothing Else\r\n");
  g_assert_true (g_str_has_prefix (r2, "r2 NO [NONEXISTENT] "));
  /* RFC 3501 6.3.5: INBOX's messages move, INBOX stays, empty. */
  r3 = session_send (f->a, "r3 RENAME INBOX Old\r\n");
  g_assert_cmpstr (r3, ==, "r3 OK RENAME completed\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_get_inbox (f->bob)), ==, 0);
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_find_mailbox (f->bob, "Old")), ==, 3);

  d1 = session_send (f->a, "d1 DELETE INBOX\r\n");
  g_assert_true (g_str_has_prefix (d1, "d1 NO [CANNOT] "));
  d2 = session_send (f->a, "d2 DELETE Job/2024\r\n");
  g_assert_cmpstr (d2, ==, "d2 OK DELETE completed\r\n");
  d3 = session_send (f->a, "d3 DELETE Job/2024\r\n");
  g_assert_cmpstr (d3, ==, "d3 NO [NONEXISTENT] Mailbox does not exist\r\n");
}

static void
test_list (Fixture *f, gconstpointer data)
{
  g_autofree char *delim = NULL, *all = NULL, *top = NULL, *sub = NULL, *inbox = NULL;

  session_login (f->a);
  g_free (session_send (f->a, "c1 CREATE Work/Reports\r\n"));
  delim = session_send (f->a, "l1 LIST \"\" \"\"\r\n");
  g_assert_cmpstr (delim, ==, "* LIST (\\Noselect) \"/\" \"\"\r\nl1 OK LIST completed\r\n");
  all = session_send (f->a, "l2 LIST \"\" *\r\n");
  assert_contains (all, "* LIST (\\HasNoChildren) \"/\" INBOX\r\n");
  assert_contains (all, "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n");
  assert_contains (all, "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n");
  assert_contains (all, "* LIST (\\Noselect \\HasChildren) \"/\" Work\r\n");
  assert_contains (all, "* LIST (\\HasNoChildren) \"/\" Work/Reports\r\n");
  /* "%" stops at the delimiter (RFC 3501 6.3.8). */
  top = session_send (f->a, "l3 LIST \"\" %\r\n");
  assert_contains (top, "\"/\" Work\r\n");
  assert_lacks (top, "Work/Reports");
  sub = session_send (f->a, "l4 LIST Work/ %\r\n");
  g_assert_cmpstr (sub, ==, "* LIST (\\HasNoChildren) \"/\" Work/Reports\r\nl4 OK LIST completed\r\n");
  /* INBOX in any case. */
  inbox = session_send (f->a, "l5 LIST \"\" iNbOx\r\n");
  g_assert_cmpstr (inbox, ==, "* LIST (\\HasNoChildren) \"/\" INBOX\r\nl5 OK LIST completed\r\n");
}

static void
test_subscriptions (Fixture *f, gconstpointer data)
{
  g_autofree char *s1 = NULL, *s2 = NULL, *u1 = NULL, *u2 = NULL, *l1 = NULL, *l2 = NULL;

  session_login (f->a);
  g_free (session_send (f->a, "c1 CREATE Work/Reports\r\n"));
  s1 = session_send (f->a, "s1 SUBSCRIBE Work/Reports\r\n");
  g_assert_cmpstr (s1, ==, "s1 OK SUBSCRIBE completed\r\n");
  s2 = session_send (f->a, "s2 SUBSCRIBE Missing\r\n");
  g_assert_cmpstr (s2, ==, "s2 NO [NONEXISTENT] Mailbox does not exist\r\n");
  l1 = session_send (f->a, "l1 LSUB \"\" *\r\n");
  assert_contains (l1, "* LSUB (\\HasNoChildren) \"/\" INBOX\r\n");
  assert_contains (l1, "* LSUB (\\HasNoChildren) \"/\" Work/Reports\r\n");
  /* RFC 3501 6.3.9: "%" gives the unsubscribed superior as \Noselect. */
  l2 = session_send (f->a, "l2 LSUB \"\" %\r\n");
  assert_contains (l2, "* LSUB (\\Noselect) \"/\" Work\r\n");
  assert_lacks (l2, "Work/Reports");
  u1 = session_send (f->a, "u1 UNSUBSCRIBE Work/Reports\r\n");
  g_assert_cmpstr (u1, ==, "u1 OK UNSUBSCRIBE completed\r\n");
  g_assert_false (ml_account_is_subscribed (f->bob, "Work/Reports"));
  u2 = session_send (f->a, "u2 UNSUBSCRIBE Work/Reports\r\n");
  g_assert_cmpstr (u2, ==, "u2 NO [NONEXISTENT] Not subscribed to that name\r\n");
}

static void
test_status (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL, *bad = NULL, *none = NULL;

  session_login (f->a);
  r = session_send (f->a, "t1 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)\r\n");
  g_assert_cmpstr (r, ==, "* STATUS INBOX (MESSAGES 3 RECENT 2 UIDNEXT 4 UIDVALIDITY 1 UNSEEN 2)\r\n"
                          "t1 OK STATUS completed\r\n");
  bad = session_send (f->a, "t2 STATUS INBOX (SIZE)\r\n");
  g_assert_cmpstr (bad, ==, "t2 BAD Unknown STATUS item\r\n");
  none = session_send (f->a, "t3 STATUS Nope (MESSAGES)\r\n");
  g_assert_cmpstr (none, ==, "t3 NO [NONEXISTENT] Mailbox does not exist\r\n");
}

static void
test_append (Fixture *f, gconstpointer data)
{
  g_autofree char *cont = NULL, *done = NULL, *plus = NULL, *trycreate = NULL;
  MlMailbox *drafts = ml_account_find_mailbox (f->bob, "Drafts");
  MlMessage *m;

  session_login (f->a);
  /* RFC 3501 7.5: "+" before the octets of a synchronizing literal. */
  cont = session_send (f->a, "a1 APPEND Drafts (\\Draft $Todo) \" 7-Mar-2024 12:00:00 +0100\" {12}\r\n");
  g_assert_cmpstr (cont, ==, "+ Ready for literal data\r\n");
  done = session_send (f->a, "Subject: x\r\n\r\n");
  g_assert_cmpstr (done, ==, "a1 OK [APPENDUID 3 1] APPEND completed\r\n");
  m = ml_mailbox_find_uid (drafts, 1);
  g_assert_nonnull (m);
  g_assert_cmpuint (ml_message_get_flags (m) & ML_FLAG_DRAFT, ==, ML_FLAG_DRAFT);
  g_assert_true (ml_message_has_keyword (m, "$Todo"));
  g_assert_cmpint (ml_message_get_internal_date (m), ==, 1709809200);
  g_assert_cmpuint (ml_message_get_size (m), ==, 12);

  /* LITERAL+: no round trip; without a date the internal date is now. */
  plus = session_send (f->a, "a2 APPEND Drafts {14+}\r\nSubject: y\r\n\r\n\r\n");
  g_assert_cmpstr (plus, ==, "a2 OK [APPENDUID 3 2] APPEND completed\r\n");
  g_assert_cmpint (ml_message_get_internal_date (ml_mailbox_find_uid (drafts, 2)), ==, T0 + 3600);

  /* RFC 3501 6.3.11: TRYCREATE, decided before the octets. */
  trycreate = session_send (f->a, "a3 APPEND Nowhere {12}\r\n");
  g_assert_cmpstr (trycreate, ==, "a3 NO [TRYCREATE] Mailbox does not exist\r\n");
  g_free (trycreate);
  trycreate = session_send (f->a, "a4 NOOP\r\n");
  g_assert_cmpstr (trycreate, ==, "a4 OK NOOP completed\r\n");
}

static void
test_append_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *big = NULL, *quota = NULL, *after = NULL, *date = NULL, *noliteral = NULL;
  g_autofree char *recent = NULL, *bigplus = NULL;
  GString *plus;

  session_login (f->a);
  /* Over APPENDLIMIT: refused before "+", so the client never sends it. */
  big = session_send (f->a, "a1 APPEND INBOX {40000000}\r\n");
  g_assert_cmpstr (big, ==, "a1 NO [TOOBIG] Message larger than APPENDLIMIT=33554432\r\n");
  /* RFC 9208: over quota, refused before the octets too. */
  ml_account_set_quota (f->bob, ml_account_get_usage (f->bob) + 100);
  quota = session_send (f->a, "a2 APPEND INBOX {200}\r\n");
  g_assert_cmpstr (quota, ==, "a2 NO [OVERQUOTA] Quota exceeded\r\n");
  after = session_send (f->a, "a3 NOOP\r\n");
  g_assert_cmpstr (after, ==, "a3 OK NOOP completed\r\n");
  /* A non-synchronizing literal over quota: refused as soon as it is
   * announced (RFC 7888 4), its octets skipped as they come. */
  bigplus = session_send (f->a, "a4 APPEND INBOX {200+}\r\n");
  g_assert_cmpstr (bigplus, ==, "a4 NO [OVERQUOTA] Quota exceeded\r\n");
  plus = g_string_new (NULL);
  g_string_append_printf (plus, "%0200d\r\na5 NOOP\r\n", 0);
  g_free (bigplus);
  bigplus = session_send (f->a, plus->str);
  g_assert_cmpstr (bigplus, ==, "a5 OK NOOP completed\r\n");
  g_string_free (plus, TRUE);
  /* Sent whole, the store refuses it. */
  g_free (bigplus);
  bigplus = session_send (f->a, "a9 APPEND INBOX {200+}\r\n" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n");
  g_assert_true (g_str_has_prefix (bigplus, "a9 NO [OVERQUOTA] "));

  date = session_send (f->a, "a6 APPEND INBOX \"yesterday\" {1+}\r\nx\r\n");
  g_assert_cmpstr (date, ==, "a6 BAD Invalid date-time\r\n");
  noliteral = session_send (f->a, "a7 APPEND INBOX (\\Seen)\r\n");
  g_assert_cmpstr (noliteral, ==, "a7 BAD APPEND needs the message as a literal\r\n");
  recent = session_send (f->a, "a8 APPEND INBOX (\\Recent) {1+}\r\nx\r\n");
  g_assert_cmpstr (recent, ==, "a8 BAD Invalid flag \\Recent\r\n");
}

static void
test_append_to_selected (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  session_login (f->a);
  session_select (f->a, "INBOX");
  /* RFC 3501 6.3.11: the new message shows up as EXISTS, and it is
   * \Recent for us. */
  r = session_send (f->a, "a1 APPEND INBOX {14+}\r\nSubject: z\r\n\r\n\r\n");
  g_assert_cmpstr (r, ==, "* 4 EXISTS\r\n* 3 RECENT\r\na1 OK [APPENDUID 1 4] APPEND completed\r\n");
}

static void
test_fetch_simple (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL, *fast = NULL, *bad = NULL, *past = NULL;

  session_login (f->a);
  session_select (f->a, "INBOX");
  r = session_send (f->a, "f1 FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)\r\n");
  g_assert_cmpstr (r, ==,
                   "* 1 FETCH (UID 1 FLAGS (\\Seen) RFC822.SIZE 189 INTERNALDATE \" 5-Mar-2024 08:00:00 +0000\")\r\n"
                   "* 2 FETCH (UID 2 FLAGS (\\Recent) RFC822.SIZE 437 INTERNALDATE \" 6-Mar-2024 08:00:00 +0000\")\r\n"
                   "* 3 FETCH (UID 3 FLAGS (\\Flagged \\Recent) RFC822.SIZE 173 INTERNALDATE \" 7-Mar-2024 08:00:00 +0000\")\r\n"
                   "f1 OK FETCH completed\r\n");
  fast = session_send (f->a, "f2 FETCH 2 FAST\r\n");
  g_assert_cmpstr (fast, ==,
                   "* 2 FETCH (FLAGS (\\Recent) INTERNALDATE \" 6-Mar-2024 08:00:00 +0000\" RFC822.SIZE 437)\r\n"
                   "f2 OK FETCH completed\r\n");
  bad = session_send (f->a, "f3 FETCH 1 (FLAGS BOGUS)\r\n");
  g_assert_cmpstr (bad, ==, "f3 BAD Invalid FETCH attributes\r\n");
  /* RFC 3501 9 seq-number: BAD past the last message. */
  past = session_send (f->a, "f4 FETCH 4 FLAGS\r\n");
  g_assert_cmpstr (past, ==, "f4 BAD Invalid message sequence number\r\n");
}

static void
test_fetch_body (Fixture *f, gconstpointer data)
{
  g_autofree char *header = NULL, *fields = NULL, *not = NULL, *partial = NULL;
  g_autofree char *seen = NULL, *again = NULL, *rfc822 = NULL, *uid = NULL;
  MlMessage *m2 = ml_mailbox_get_message (ml_account_get_inbox (f->bob), 1);

  session_login (f->a);
  session_select (f->a, "INBOX");
  header = session_send (f->a, "b1 FETCH 1 BODY.PEEK[HEADER]\r\n");
  g_assert_cmpstr (header, ==,
                   "* 1 FETCH (BODY[HEADER] {150}\r\n"
                   "Date: Tue, 05 Mar 2024 08:00:00 +0000\r\n"
                   "From: Alice <alice@a.example>\r\n"
                   "To: Bob <bob@b.example>\r\n"
                   "Subject: Project kickoff\r\n"
                   "Message-ID: <1@a.example>\r\n"
                   "\r\n)\r\n"
                   "b1 OK FETCH completed\r\n");
  fields = session_send (f->a, "b2 FETCH 1 (BODY.PEEK[HEADER.FIELDS (subject FROM)])\r\n");
  g_assert_cmpstr (fields, ==,
                   "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {59}\r\n"
                   "From: Alice <alice@a.example>\r\n"
                   "Subject: Project kickoff\r\n"
                   "\r\n)\r\n"
                   "b2 OK FETCH completed\r\n");
  not = session_send (f->a, "b3 FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Date From To Message-ID)]\r\n");
  g_assert_cmpstr (not, ==,
                   "* 1 FETCH (BODY[HEADER.FIELDS.NOT (DATE FROM TO MESSAGE-ID)] {28}\r\n"
                   "Subject: Project kickoff\r\n"
                   "\r\n)\r\n"
                   "b3 OK FETCH completed\r\n");
  /* RFC 3501 6.4.5: only the origin comes back; a cut beyond the end. */
  partial = session_send (f->a, "b4 FETCH 1 (BODY.PEEK[TEXT]<6.1000>)\r\n");
  g_assert_cmpstr (partial, ==,
                   "* 1 FETCH (BODY[TEXT]<6> {33}\r\nBob,\r\nthe kickoff is on Monday.\r\n)\r\n"
                   "b4 OK FETCH completed\r\n");
  /* BODY[] without PEEK sets \Seen and says so. */
  seen = session_send (f->a, "b5 FETCH 2 (BODY[]<0.10>)\r\n");
  g_assert_cmpstr (seen, ==,
                   "* 2 FETCH (BODY[]<0> {10}\r\nDate: Wed,"
                   " FLAGS (\\Seen \\Recent))\r\nb5 OK FETCH completed\r\n");
  g_assert_cmpuint (ml_message_get_flags (m2) & ML_FLAG_SEEN, ==, ML_FLAG_SEEN);
  /* Already \Seen: no FLAGS added. */
  again = session_send (f->a, "b6 FETCH 2 (BODY[]<0.4>)\r\n");
  g_assert_cmpstr (again, ==, "* 2 FETCH (BODY[]<0> {4}\r\nDate)\r\nb6 OK FETCH completed\r\n");
  rfc822 = session_send (f->a, "b7 FETCH 3 (RFC822.HEADER)\r\n");
  assert_contains (rfc822, "* 3 FETCH (RFC822.HEADER {");
  assert_lacks (rfc822, "FLAGS");
  /* UID FETCH always carries UID (RFC 3501 6.4.8), first. */
  uid = session_send (f->a, "b8 UID FETCH 3 (FLAGS)\r\n");
  g_assert_cmpstr (uid, ==, "* 3 FETCH (UID 3 FLAGS (\\Flagged \\Recent))\r\nb8 OK UID FETCH completed\r\n");
}

static void
test_fetch_structure (Fixture *f, gconstpointer data)
{
  g_autofree char *env = NULL, *bs = NULL, *part = NULL, *mime = NULL, *missing = NULL;

  session_login (f->a);
  session_select (f->a, "INBOX");
  env = session_send (f->a, "e1 FETCH 1 ENVELOPE\r\n");
  g_assert_cmpstr (env, ==,
                   "* 1 FETCH (ENVELOPE (\"Tue, 05 Mar 2024 08:00:00 +0000\" \"Project kickoff\""
                   " ((\"Alice\" NIL \"alice\" \"a.example\")) ((\"Alice\" NIL \"alice\" \"a.example\"))"
                   " ((\"Alice\" NIL \"alice\" \"a.example\")) ((\"Bob\" NIL \"bob\" \"b.example\"))"
                   " NIL NIL NIL \"<1@a.example>\"))\r\n"
                   "e1 OK FETCH completed\r\n");
  bs = session_send (f->a, "e2 FETCH 2 BODYSTRUCTURE\r\n");
  assert_contains (bs, "* 2 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 16 1 NIL NIL NIL NIL)(");
  assert_contains (bs, "(\"APPLICATION\" \"PDF\" (\"NAME\" \"s.pdf\") NIL NIL \"BASE64\" 12 NIL");
  assert_contains (bs, "(\"ATTACHMENT\" (\"FILENAME\" \"s.pdf\"))");
  assert_contains (bs, " \"MIXED\" (\"BOUNDARY\" \"XYZ\")");
  part = session_send (f->a, "e3 FETCH 2 BODY.PEEK[1]\r\n");
  /* RFC 2046 5.1.1: the CRLF before a boundary belongs to the boundary. */
  g_assert_cmpstr (part, ==, "* 2 FETCH (BODY[1] {16}\r\nSlides attached.)\r\ne3 OK FETCH completed\r\n");
  mime = session_send (f->a, "e4 FETCH 2 BODY.PEEK[2.MIME]\r\n");
  assert_contains (mime, "* 2 FETCH (BODY[2.MIME] {");
  assert_contains (mime, "Content-Type: application/pdf; name=\"s.pdf\"\r\n");
  missing = session_send (f->a, "e5 FETCH 2 BODY.PEEK[7]\r\n");
  g_assert_cmpstr (missing, ==, "* 2 FETCH (BODY[7] NIL)\r\ne5 OK FETCH completed\r\n");
}

static void
test_store (Fixture *f, gconstpointer data)
{
  g_autofree char *add = NULL, *rm = NULL, *silent = NULL, *replace = NULL, *uid = NULL;
  g_autofree char *recent = NULL, *kw = NULL;
  MlMessage *m1 = ml_mailbox_get_message (ml_account_get_inbox (f->bob), 0);

  session_login (f->a);
  session_select (f->a, "INBOX");
  add = session_send (f->a, "s1 STORE 1 +FLAGS (\\Flagged \\Answered)\r\n");
  g_assert_cmpstr (add, ==, "* 1 FETCH (FLAGS (\\Answered \\Flagged \\Seen))\r\ns1 OK STORE completed\r\n");
  rm = session_send (f->a, "s2 STORE 1 -FLAGS \\Answered\r\n");
  g_assert_cmpstr (rm, ==, "* 1 FETCH (FLAGS (\\Flagged \\Seen))\r\ns2 OK STORE completed\r\n");
  silent = session_send (f->a, "s3 STORE 1:2 +FLAGS.SILENT (\\Deleted)\r\n");
  g_assert_cmpstr (silent, ==, "s3 OK STORE completed\r\n");
  g_assert_cmpuint (ml_message_get_flags (m1) & ML_FLAG_DELETED, ==, ML_FLAG_DELETED);
  replace = session_send (f->a, "s4 STORE 2 FLAGS ($Work \\Seen)\r\n");
  g_assert_cmpstr (replace, ==, "* 2 FETCH (FLAGS (\\Seen \\Recent $Work))\r\ns4 OK STORE completed\r\n");
  uid = session_send (f->a, "s5 UID STORE 2 -FLAGS ($work)\r\n");
  g_assert_cmpstr (uid, ==, "* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))\r\ns5 OK UID STORE completed\r\n");
  recent = session_send (f->a, "s6 STORE 1 +FLAGS (\\Recent)\r\n");
  g_assert_cmpstr (recent, ==, "s6 BAD Invalid flag \\Recent\r\n");
  /* A keyword once used is in FLAGS and PERMANENTFLAGS at the next SELECT. */
  kw = session_send (f->a, "s7 SELECT INBOX\r\n");
  assert_contains (kw, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n");
}

static void
test_expunge_close (Fixture *f, gconstpointer data)
{
  g_autofree char *ex = NULL, *uidex = NULL, *close = NULL, *after = NULL;
  MlMailbox *inbox = ml_account_get_inbox (f->bob);

  session_login (f->a);
  session_select (f->a, "INBOX");
  g_free (session_send (f->a, "s1 STORE 1,3 +FLAGS.SILENT (\\Deleted)\r\n"));
  /* RFC 3501 7.4.1: numbers shift with each EXPUNGE: 1 then 2 (was 3). */
  ex = session_send (f->a, "x1 EXPUNGE\r\n");
  g_assert_cmpstr (ex, ==, "* 1 EXPUNGE\r\n* 2 EXPUNGE\r\nx1 OK EXPUNGE completed\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (inbox), ==, 1);

  g_free (session_send (f->a, "a1 APPEND INBOX {1+}\r\nx\r\n"));
  g_free (session_send (f->a, "a2 APPEND INBOX {1+}\r\ny\r\n"));
  g_free (session_send (f->a, "s2 STORE 1:* +FLAGS.SILENT (\\Deleted)\r\n"));
  /* RFC 4315 2.1: only the named \Deleted messages. */
  uidex = session_send (f->a, "x2 UID EXPUNGE 4:5\r\n");
  g_assert_cmpstr (uidex, ==, "* 2 EXPUNGE\r\n* 2 EXPUNGE\r\nx2 OK UID EXPUNGE completed\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (inbox), ==, 1);

  /* RFC 3501 6.4.2: CLOSE expunges without telling. */
  close = session_send (f->a, "c1 CLOSE\r\n");
  g_assert_cmpstr (close, ==, "c1 OK CLOSE completed\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (inbox), ==, 0);
  g_assert_cmpstr (ml_imap_server_get_state_name (f->a->server), ==, "authenticated");
  after = session_send (f->a, "f1 FETCH 1 FLAGS\r\n");
  g_assert_cmpstr (after, ==, "f1 BAD [CLIENTBUG] Select a mailbox first\r\n");
}

static void
test_unselect (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  session_login (f->a);
  session_select (f->a, "INBOX");
  g_free (session_send (f->a, "s1 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n"));
  /* RFC 3691: like CLOSE, but nothing is expunged. */
  r = session_send (f->a, "u1 UNSELECT\r\n");
  g_assert_cmpstr (r, ==, "u1 OK UNSELECT completed\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_get_inbox (f->bob)), ==, 3);
  g_assert_cmpstr (ml_imap_server_get_state_name (f->a->server), ==, "authenticated");
}

static void
test_copy (Fixture *f, gconstpointer data)
{
  g_autofree char *copy = NULL, *uidcopy = NULL, *trycreate = NULL;
  MlMailbox *trash = ml_account_find_mailbox (f->bob, "Trash");

  session_login (f->a);
  session_select (f->a, "INBOX");
  copy = session_send (f->a, "c1 COPY 1,3 Trash\r\n");
  /* RFC 4315 3: COPYUID uidvalidity source-uids dest-uids */
  g_assert_cmpstr (copy, ==, "c1 OK [COPYUID 4 1,3 1:2] COPY completed\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (trash), ==, 2);
  uidcopy = session_send (f->a, "c2 UID COPY 2:3 Trash\r\n");
  g_assert_cmpstr (uidcopy, ==, "c2 OK [COPYUID 4 2:3 3:4] UID COPY completed\r\n");
  trycreate = session_send (f->a, "c3 COPY 1 Archive/2024\r\n");
  g_assert_cmpstr (trycreate, ==, "c3 NO [TRYCREATE] Mailbox does not exist\r\n");
}

static void
test_copy_over_quota (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;
  MlMailbox *trash = ml_account_find_mailbox (f->bob, "Trash");

  session_login (f->a);
  session_select (f->a, "INBOX");
  /* Room for the first message only: nothing is copied (RFC 3501 6.4.7). */
  ml_account_set_quota (f->bob, ml_account_get_usage (f->bob) + 200);
  r = session_send (f->a, "c1 COPY 1:3 Trash\r\n");
  g_assert_cmpstr (r, ==, "c1 NO [OVERQUOTA] Quota exceeded\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (trash), ==, 0);
}

static void
test_move (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL, *uid = NULL;
  MlMailbox *trash = ml_account_find_mailbox (f->bob, "Trash");

  session_login (f->a);
  session_select (f->a, "INBOX");
  /* RFC 6851 4.3: COPYUID in an untagged OK, then the EXPUNGEs. */
  r = session_send (f->a, "m1 MOVE 2:3 Trash\r\n");
  g_assert_cmpstr (r, ==,
                   "* OK [COPYUID 4 2:3 1:2] Moved UIDs\r\n"
                   "* 2 EXPUNGE\r\n"
                   "* 2 EXPUNGE\r\n"
                   "m1 OK MOVE completed\r\n");
  g_assert_cmpuint (ml_mailbox_get_count (trash), ==, 2);
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_get_inbox (f->bob)), ==, 1);
  uid = session_send (f->a, "m2 UID MOVE 1 Trash\r\n");
  g_assert_cmpstr (uid, ==, "* OK [COPYUID 4 1 3] Moved UIDs\r\n* 1 EXPUNGE\r\nm2 OK UID MOVE completed\r\n");
}

static void
test_search (Fixture *f, gconstpointer data)
{
  static const struct {
    const char *criteria;
    const char *result;
  } cases[] = {
    { "ALL", "1 2 3" },
    { "SEEN", "1" },
    { "UNSEEN", "2 3" },
    { "FLAGGED", "3" },
    { "UNFLAGGED", "1 2" },
    { "RECENT", "2 3" },
    { "NEW", "2 3" },
    { "OLD", "1" },
    { "DELETED", "" },
    { "UNDELETED", "1 2 3" },
    { "ANSWERED", "" },
    { "UNANSWERED", "1 2 3" },
    { "DRAFT", "" },
    { "UNDRAFT", "1 2 3" },
    { "FROM alice", "1" },
    { "FROM \"carol@C.EXAMPLE\"", "2" },
    { "TO bob", "1 2 3" },
    { "CC alice", "2" },
    { "BCC alice", "" },
    { "SUBJECT KICKOFF", "1" },
    /* RFC 2047 decoded before matching. */
    { "CHARSET UTF-8 SUBJECT {5+}\r\ncaf\xc3\xa9", "3" },
    { "CHARSET UTF-8 FROM \"REN\xc3\xa9\"", "3" },
    { "SUBJECT \"ce soir\"", "3" },
    { "HEADER Message-ID <1@a.example>", "1" },
    { "HEADER Message-ID \"\"", "1" },
    { "BODY monday", "1" },
    { "BODY slides", "2" },
    { "TEXT kickoff", "1" },
    { "TEXT carol", "2" },
    { "BEFORE 6-Mar-2024", "1" },
    { "ON 6-Mar-2024", "2" },
    { "SINCE 6-Mar-2024", "2 3" },
    { "SENTBEFORE 6-Mar-2024", "1" },
    { "SENTON 7-Mar-2024", "3" },
    { "SENTSINCE \"6-Mar-2024\"", "2 3" },
    { "LARGER 300", "2" },
    { "SMALLER 300", "1 3" },
    { "UID 2:*", "2 3" },
    { "2,3", "2 3" },
    { "*", "3" },
    { "NOT SEEN", "2 3" },
    { "OR SEEN FLAGGED", "1 3" },
    { "(SEEN) (FROM alice)", "1" },
    { "NOT (OR SEEN (FLAGGED FROM rene))", "2" },
    { "KEYWORD $Work", "" },
    { "UNKEYWORD $Work", "1 2 3" },
  };
  guint i;

  session_login (f->a);
  session_select (f->a, "INBOX");
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *cmd = g_strdup_printf ("q%u SEARCH %s\r\n", i, cases[i].criteria);
      g_autofree char *want = g_strdup_printf ("* SEARCH%s%s\r\nq%u OK SEARCH completed\r\n",
                                               cases[i].result[0] != '\0' ? " " : "",
                                               cases[i].result, i);
      g_autofree char *got = session_send (f->a, cmd);

      if (g_strcmp0 (got, want) != 0)
        g_test_message ("SEARCH %s", cases[i].criteria);
      g_assert_cmpstr (got, ==, want);
    }
}

static void
test_search_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *charset = NULL, *unknown = NULL, *date = NULL, *uid = NULL, *deep = NULL;
  GString *nested = g_string_new ("d1 SEARCH");
  guint i;

  session_login (f->a);
  session_select (f->a, "INBOX");
  charset = session_send (f->a, "c1 SEARCH CHARSET KOI8-R FROM x\r\n");
  g_assert_cmpstr (charset, ==, "c1 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n");
  unknown = session_send (f->a, "c2 SEARCH FROBNICATED\r\n");
  g_assert_cmpstr (unknown, ==, "c2 BAD Unknown search key\r\n");
  date = session_send (f->a, "c3 SEARCH BEFORE 2024-03-06\r\n");
  g_assert_cmpstr (date, ==, "c3 BAD Expected a date (1-Feb-1994)\r\n");
  uid = session_send (f->a, "c4 UID SEARCH FLAGGED\r\n");
  g_assert_cmpstr (uid, ==, "* SEARCH 3\r\nc4 OK UID SEARCH completed\r\n");
  for (i = 0; i < ML_IMAP_MAX_SEARCH_DEPTH + 2; i++)
    g_string_append (nested, " NOT");
  g_string_append (nested, " SEEN\r\n");
  deep = session_send (f->a, nested->str);
  g_assert_cmpstr (deep, ==, "d1 BAD Search criteria nested too deep\r\n");
  g_string_free (nested, TRUE);
}

static void
test_quota (Fixture *f, gconstpointer data)
{
  g_autofree char *root = NULL, *q = NULL, *none = NULL, *set = NULL, *nolimit = NULL;

  session_login (f->a);
  nolimit = session_send (f->a, "q0 GETQUOTA \"\"\r\n");
  g_assert_cmpstr (nolimit, ==, "* QUOTA \"\" ()\r\nq0 OK GETQUOTA completed\r\n");
  ml_account_set_quota (f->bob, 1024 * 1024);
  root = session_send (f->a, "q1 GETQUOTAROOT INBOX\r\n");
  /* 833 octets in use: 1 KiB, of 1024 KiB (RFC 9208 5.1). */
  g_assert_cmpstr (root, ==, "* QUOTAROOT INBOX \"\"\r\n* QUOTA \"\" (STORAGE 1 1024)\r\n"
                             "q1 OK GETQUOTAROOT completed\r\n");
  q = session_send (f->a, "q2 GETQUOTA \"\"\r\n");
  g_assert_cmpstr (q, ==, "* QUOTA \"\" (STORAGE 1 1024)\r\nq2 OK GETQUOTA completed\r\n");
  none = session_send (f->a, "q3 GETQUOTA other\r\n");
  g_assert_cmpstr (none, ==, "q3 NO [NONEXISTENT] No such quota root\r\n");
  set = session_send (f->a, "q4 SETQUOTA \"\" (STORAGE 10)\r\n");
  g_assert_cmpstr (set, ==, "q4 NO [NOPERM] Quota limits are set by the administrator\r\n");
}

static void
test_alert (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  ml_imap_server_send_alert (f->a->server, "Maintenance at 17:00");
  r = session_drain (f->a);
  g_assert_cmpstr (r, ==, "* OK [ALERT] Maintenance at 17:00\r\n");
  g_assert_cmpstr (last_event (f->a, 0)->enhanced, ==, "ALERT");
}

static void
test_authenticate_line_too_long (Fixture *f, gconstpointer data)
{
  GString *line = g_string_new (NULL);
  g_autofree char *cont = session_send (f->a, "p1 AUTHENTICATE PLAIN\r\n");
  g_autofree char *r = NULL, *next = NULL;

  while (line->len < ML_IMAP_MAX_LINE + 10)
    g_string_append (line, "QUFBQUFBQUFB");
  g_string_append (line, "\r\n");
  r = session_send (f->a, line->str);
  g_assert_cmpstr (cont, ==, "+ \r\n");
  g_assert_cmpstr (r, ==, "p1 BAD [TOOBIG] Line too long\r\n");
  next = session_send (f->a, "p2 NOOP\r\n");
  g_assert_cmpstr (next, ==, "p2 OK NOOP completed\r\n");
  g_string_free (line, TRUE);
}

static void
test_append_octets (Fixture *f, gconstpointer data)
{
  static const char nul[] = "a1 APPEND INBOX {3+}\r\na\0b\r\n";
  g_autofree char *refused = NULL, *lf = NULL;
  MlMessage *m;

  session_login (f->a);
  /* RFC 3501 9: literal octets are CHAR8, no NUL. */
  ml_imap_server_feed (f->a->server, (const guint8 *) nul, sizeof nul - 1);
  refused = session_drain (f->a);
  g_assert_cmpstr (refused, ==, "a1 BAD NUL octet in the message\r\n");
  /* A Unix client's bare LFs are stored as CRLF (RFC 5322 2.3). */
  lf = session_send (f->a, "a2 APPEND INBOX {17+}\r\nSubject: x\n\nbody\n\r\n");
  g_assert_cmpstr (lf, ==, "a2 OK [APPENDUID 1 4] APPEND completed\r\n");
  m = ml_mailbox_find_uid (ml_account_get_inbox (f->bob), 4);
  g_assert_cmpmem (g_bytes_get_data (ml_message_get_data (m), NULL), ml_message_get_size (m),
                   "Subject: x\r\n\r\nbody\r\n", 20);
}

static void
test_preauth (void)
{
  g_autoptr (MlMailStore) store = ml_mail_store_new ();
  MlImapServerConfig config;
  Session *s;
  g_autofree char *greeting = NULL;

  ml_mail_store_add_account (store, BOB, BOB_PASS);
  ml_imap_server_config_init (&config);
  config.hostname = "mail.b.example";
  config.preauth_user = BOB;
  s = session_new (store, &config);
  ml_imap_server_start (s->server);
  greeting = session_drain (s);
  g_assert_cmpstr (greeting, ==, "* PREAUTH mail.b.example logged in as bob@b.example\r\n");
  g_assert_cmpstr (ml_imap_server_get_state_name (s->server), ==, "authenticated");
  session_free (s);
}

static void
test_shutdown_and_lost (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  ml_imap_server_shutdown (f->a->server, NULL);
  r = session_drain (f->a);
  g_assert_cmpstr (r, ==, "* BYE Server shutting down\r\n");
  g_assert_true (ml_imap_server_wants_close (f->a->server));

  /* An APPEND cut off in its literal appends nothing. */
  session_login (f->b);
  g_free (session_send (f->b, "a1 APPEND INBOX {100}\r\n"));
  g_free (session_send (f->b, "Subject: half"));
  ml_imap_server_connection_lost (f->b->server);
  ml_imap_server_connection_lost (f->b->server);
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_get_inbox (f->bob)), ==, 3);
  g_assert_cmpint (ml_imap_server_get_state (f->b->server), ==, ML_IMAP_SERVER_STATE_LOGOUT);
}

#define ADD(path, func) \
  g_test_add ("/imap-server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("greeting", test_greeting);
  ADD ("capability-noop-logout", test_capability_noop_logout);
  ADD ("command-events", test_command_events);
  ADD ("errors", test_errors);
  ADD ("line-too-long", test_line_too_long);
  ADD ("login", test_login);
  g_test_add_func ("/imap-server/login-disabled", test_login_disabled);
  ADD ("starttls", test_starttls);
  ADD ("authenticate", test_authenticate);
  ADD ("authenticate-sasl-ir", test_authenticate_ir);
  ADD ("id-namespace", test_id_namespace);
  ADD ("select", test_select);
  ADD ("examine-read-only", test_examine_is_read_only);
  ADD ("create-delete-rename", test_create_delete_rename);
  ADD ("list", test_list);
  ADD ("subscriptions", test_subscriptions);
  ADD ("status", test_status);
  ADD ("append", test_append);
  ADD ("append-errors", test_append_errors);
  ADD ("append-to-selected", test_append_to_selected);
  ADD ("fetch-simple", test_fetch_simple);
  ADD ("fetch-body", test_fetch_body);
  ADD ("fetch-structure", test_fetch_structure);
  ADD ("store", test_store);
  ADD ("expunge-close", test_expunge_close);
  ADD ("unselect", test_unselect);
  ADD ("copy", test_copy);
  ADD ("copy-over-quota", test_copy_over_quota);
  ADD ("move", test_move);
  ADD ("search", test_search);
  ADD ("search-errors", test_search_errors);
  ADD ("quota", test_quota);
  g_test_add_func ("/imap-server/preauth", test_preauth);
  ADD ("shutdown-and-lost", test_shutdown_and_lost);
  ADD ("alert", test_alert);
  ADD ("authenticate-line-too-long", test_authenticate_line_too_long);
  ADD ("append-octets", test_append_octets);
  return g_test_run ();
}

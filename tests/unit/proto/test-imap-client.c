/* The server side is scripted by hand: feed its response bytes, then check
 * the exact bytes the client sent (golden transcripts), the events, the
 * action results and what the device holds afterwards. */
#include <string.h>
#include "proto/imap-client.h"

#define CAPS "IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN IDLE MOVE UIDPLUS"
#define GREETING "* OK [CAPABILITY " CAPS "] mail.b.example ready\r\n"

#define H1 "Subject: Project kickoff\r\nFrom: alice@a.example\r\n\r\n"
#define H2 "Subject: Lunch?\r\nFrom: alice@a.example\r\n\r\n"
#define H3 "Subject: Room booked\r\nFrom: alice@a.example\r\n\r\n"
#define M2 H2 "Bob, lunch on Friday?\r\n"

typedef struct {
  MlImapClient     *client;
  MlImapLocalStore *store;
  GPtrArray        *events;
  MlImapClientConfig config;
} Fixture;

static char *
event_string (const MlEngineEvent *ev)
{
  switch (ev->kind)
    {
    case ML_ENGINE_EVENT_COMMAND:     return g_strdup_printf ("C:%s", ev->line);
    case ML_ENGINE_EVENT_REPLY:       return g_strdup_printf ("R:%s", ev->line);
    case ML_ENGINE_EVENT_STATE:       return g_strdup_printf ("S:%s>%s", ev->state_from, ev->state_to);
    case ML_ENGINE_EVENT_TRANSACTION: return g_strdup_printf ("T:%s:%s", ev->explain_key, ev->detail);
    case ML_ENGINE_EVENT_CLOSE:       return g_strdup ("X");
    default:                          return g_strdup ("?");
    }
}

static void
drain_events (Fixture *fx)
{
  MlEngineEvent ev = { 0 };

  while (ml_imap_client_next_event (fx->client, &ev))
    {
      g_ptr_array_add (fx->events, event_string (&ev));
      ml_engine_event_clear (&ev);
    }
}

static void
new_client (Fixture *fx)
{
  g_clear_pointer (&fx->client, ml_imap_client_free);
  fx->client = ml_imap_client_new (&fx->config, fx->store);
  g_ptr_array_set_size (fx->events, 0);
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  ml_imap_client_config_init (&fx->config);
  fx->config.username = "bob@b.example";
  fx->config.password = "bob-secret";
  fx->store = ml_imap_local_store_new ();
  fx->events = g_ptr_array_new_with_free_func (g_free);
  new_client (fx);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  ml_imap_client_free (fx->client);
  ml_imap_local_store_free (fx->store);
  g_ptr_array_unref (fx->events);
}

static void
feed (Fixture *fx, const char *server)
{
  gsize n = ml_imap_client_feed (fx->client, (const guint8 *) server, strlen (server));

  g_assert_cmpuint (n, ==, strlen (server));
  drain_events (fx);
}

/* The client's output since the last call, byte for byte. */
static void
expect (Fixture *fx, const char *client)
{
  g_autoptr(GBytes) out = ml_imap_client_take_output (fx->client);
  g_autofree char *got = NULL;

  drain_events (fx);
  if (client == NULL)
    {
      if (out != NULL)
        g_assert_cmpstr (g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out)), ==, "(nothing)");
      return;
    }
  g_assert_nonnull (out);
  got = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  g_assert_cmpstr (got, ==, client);
}

static gboolean
has_event (Fixture *fx, const char *s)
{
  for (guint i = 0; i < fx->events->len; i++)
    if (strcmp (fx->events->pdata[i], s) == 0)
      return TRUE;
  return FALSE;
}

static void
assert_event (Fixture *fx, const char *s)
{
  if (!has_event (fx, s))
    {
      for (guint i = 0; i < fx->events->len; i++)
        g_test_message ("event %u: %s", i, (char *) fx->events->pdata[i]);
      g_assert_cmpstr (s, ==, "(an event that did not come)");
    }
}

static guint
add (Fixture *fx, MlImapActionKind kind)
{
  MlImapAction a;

  ml_imap_action_init (&a, kind);
  return ml_imap_client_add_action (fx->client, &a);
}

static guint
add_subject (Fixture *fx, MlImapActionKind kind, const char *subject)
{
  MlImapAction a;

  ml_imap_action_init (&a, kind);
  a.subject = subject;
  return ml_imap_client_add_action (fx->client, &a);
}

static const MlImapActionResult *
result (Fixture *fx, guint index)
{
  const MlImapActionResult *r = ml_imap_client_get_result (fx->client, index);

  g_assert_nonnull (r);
  return r;
}

static void
assert_ok (Fixture *fx, guint index)
{
  const MlImapActionResult *r = result (fx, index);

  g_assert_true (r->finished);
  if (!r->ok)
    g_assert_cmpstr (r->text, ==, "(success)");
}

static void
assert_uids (const GArray *uids, const char *want)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < uids->len; i++)
    g_string_append_printf (s, "%s%u", i > 0 ? " " : "", g_array_index (uids, guint32, i));
  g_assert_cmpstr (s->str, ==, want);
  g_string_free (s, TRUE);
}

static char *
fetch_header (guint seq, guint uid, const char *flags, const char *header)
{
  return g_strdup_printf ("* %u FETCH (UID %u FLAGS (%s) RFC822.SIZE %u BODY[HEADER] {%u}\r\n%s)\r\n",
                          seq, uid, flags, (guint) strlen (header) + 30, (guint) strlen (header), header);
}

static void
summary_is (Fixture *fx, const char *want)
{
  g_autofree char *s = ml_imap_local_store_dup_summary (fx->store);

  g_assert_cmpstr (s, ==, want);
}

/* Greeting with capabilities, LOGIN, OK with capabilities: a1. */
static void
login (Fixture *fx)
{
  feed (fx, GREETING);
  expect (fx, "a1 LOGIN bob@b.example bob-secret\r\n");
  feed (fx, "a1 OK [CAPABILITY " CAPS "] Logged in\r\n");
  g_assert_cmpstr (ml_imap_client_state_to_string (ml_imap_client_get_state (fx->client)), ==, "authenticated");
}

#define SELECT_2(uidvalidity, uidnext, tag) \
  "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n" \
  "* 2 EXISTS\r\n" \
  "* 0 RECENT\r\n" \
  "* OK [UIDVALIDITY " uidvalidity "] UIDs valid\r\n" \
  "* OK [UIDNEXT " uidnext "] Predicted next UID\r\n" \
  tag " OK [READ-WRITE] SELECT completed\r\n"

#define LIST_REPLY(tag) \
  "* LIST (\\HasNoChildren) \"/\" INBOX\r\n" \
  "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n" \
  "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n" \
  tag " OK LIST completed\r\n"

/* A first sync on a device that holds nothing: a2 LIST, a3 SELECT, a4
 * UID FETCH 1:*. Leaves UIDs 1 (Project kickoff) and 2 (Lunch?). */
static void
first_sync (Fixture *fx)
{
  guint i = add (fx, ML_IMAP_ACTION_SYNC);
  g_autofree char *f1 = fetch_header (1, 1, "", H1);
  g_autofree char *f2 = fetch_header (2, 2, "", H2);

  /* RFC 3501 5.5: LIST and SELECT go together. */
  expect (fx, "a2 LIST \"\" \"*\"\r\na3 SELECT INBOX\r\n");
  feed (fx, LIST_REPLY ("a2"));
  feed (fx, SELECT_2 ("7", "3", "a3"));
  expect (fx, "a4 UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])\r\n");
  feed (fx, f1);
  feed (fx, f2);
  feed (fx, "a4 OK FETCH completed\r\n");
  expect (fx, NULL);
  assert_ok (fx, i);
  g_assert_cmpuint (result (fx, i)->n_new, ==, 2);
}

/* ---- whole sessions ---- */

static void
test_session_golden (Fixture *fx, gconstpointer data)
{
  const char * const golden[] = {
    "R:* OK [CAPABILITY " CAPS "] mail.b.example ready",
    "S:greeting>not-authenticated",
    "C:a1 LOGIN bob@b.example bob-secret",
    "R:a1 OK [CAPABILITY " CAPS "] Logged in",
    "T:imap.client.logged-in:logged in as bob@b.example",
    "S:not-authenticated>authenticated",
    "C:a2 LIST \"\" \"*\"",
    "C:a3 SELECT INBOX",
    "R:* LIST (\\HasNoChildren) \"/\" INBOX",
    "R:* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
    "R:* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
    "R:a2 OK LIST completed",
    "R:* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    "R:* 2 EXISTS",
    "R:* 0 RECENT",
    "R:* OK [UIDVALIDITY 7] UIDs valid",
    "R:* OK [UIDNEXT 3] Predicted next UID",
    "R:a3 OK [READ-WRITE] SELECT completed",
    "S:authenticated>selected",
    "C:a4 UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])",
    "R:* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 81 BODY[HEADER] {51}\nSubject: Project kickoff\nFrom: alice@a.example\n\n)",
    "R:* 2 FETCH (UID 2 FLAGS () RFC822.SIZE 72 BODY[HEADER] {42}\nSubject: Lunch?\nFrom: alice@a.example\n\n)",
    "R:a4 OK FETCH completed",
    "T:imap.client.action.sync:INBOX: 2 new, 0 with changed flags, 0 removed; the device holds 2 of 2",
    "S:selected>logout",
    "C:a5 LOGOUT",
    "R:* BYE logging out",
    "R:a5 OK LOGOUT completed",
    "T:imap.client.action.logout:logged out",
    "S:logout>done",
    "X",
    NULL
  };
  guint logout;

  login (fx);
  first_sync (fx);
  logout = add (fx, ML_IMAP_ACTION_LOGOUT);
  expect (fx, "a5 LOGOUT\r\n");
  g_assert_false (ml_imap_client_is_done (fx->client));
  feed (fx, "* BYE logging out\r\na5 OK LOGOUT completed\r\n");
  g_assert_true (ml_imap_client_is_done (fx->client));
  assert_ok (fx, logout);

  for (guint i = 0; golden[i] != NULL || i < fx->events->len; i++)
    {
      if (golden[i] == NULL || i >= fx->events->len)
        g_assert_cmpstr (i < fx->events->len ? fx->events->pdata[i] : "(end)", ==,
                         golden[i] != NULL ? golden[i] : "(end)");
      g_assert_cmpstr (fx->events->pdata[i], ==, golden[i]);
    }
  summary_is (fx, "INBOX uidvalidity 7 uidnext 3 exists 2: 1 () header; 2 () header\n"
                  "Sent \\Sent: not synchronised\nTrash \\Trash: not synchronised");
}

/* A session whose server bytes all come one at a time: the same bytes
 * go out, and the device ends up holding the same. */
static void
test_session_bytewise (Fixture *fx, gconstpointer data)
{
  g_autofree char *f1 = fetch_header (1, 1, "\\Seen", H1);
  g_autofree char *script = g_strconcat ("a1 OK Logged in\r\n",
                                         "* CAPABILITY " CAPS "\r\na2 OK done\r\n",
                                         LIST_REPLY ("a3"), SELECT_2 ("7", "3", "a4"), f1,
                                         "a5 OK FETCH completed\r\n", NULL);
  g_autoptr(GString) out = g_string_new (NULL);

  add (fx, ML_IMAP_ACTION_SYNC);
  for (const char *p = GREETING; *p != '\0'; p++)
    ml_imap_client_feed (fx->client, (const guint8 *) p, 1);
  expect (fx, "a1 LOGIN bob@b.example bob-secret\r\n");
  for (const char *p = script; *p != '\0'; p++)
    {
      g_autoptr(GBytes) piece = NULL;

      ml_imap_client_feed (fx->client, (const guint8 *) p, 1);
      piece = ml_imap_client_take_output (fx->client);
      if (piece != NULL)
        g_string_append_len (out, g_bytes_get_data (piece, NULL), (gssize) g_bytes_get_size (piece));
    }
  g_assert_cmpstr (out->str, ==, "a2 CAPABILITY\r\n"
                                 "a3 LIST \"\" \"*\"\r\na4 SELECT INBOX\r\n"
                                 "a5 UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])\r\n");
  drain_events (fx);
  assert_ok (fx, 0);
  summary_is (fx, "INBOX uidvalidity 7 uidnext 3 exists 2: 1 (\\Seen) header\n"
                  "Sent \\Sent: not synchronised\nTrash \\Trash: not synchronised");
}

/* ---- greeting and login ---- */

static void
test_greeting_without_capability (Fixture *fx, gconstpointer data)
{
  feed (fx, "* OK mail.b.example ready\r\n");
  /* RFC 3501 7.1: the greeting did not say; ask. */
  expect (fx, "a1 CAPABILITY\r\n");
  feed (fx, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n");
  expect (fx, "a2 LOGIN bob@b.example bob-secret\r\n");
  /* RFC 9051 6.2.3: no capabilities in the OK, so ask again. */
  feed (fx, "a2 OK Logged in\r\n");
  expect (fx, "a3 CAPABILITY\r\n");
  feed (fx, "* CAPABILITY IMAP4rev1 IDLE\r\na3 OK done\r\n");
  g_assert_true (ml_imap_client_has_capability (fx->client, "idle"));
  g_assert_false (ml_imap_client_has_capability (fx->client, "AUTH=PLAIN"));
}

static void
test_greeting_preauth (Fixture *fx, gconstpointer data)
{
  add (fx, ML_IMAP_ACTION_CREATE_FOLDER);  /* fails: no folder */
  feed (fx, "* PREAUTH [CAPABILITY IMAP4rev1] logged in as bob\r\n");
  assert_event (fx, "S:greeting>authenticated");
  assert_event (fx, "T:imap.client.action.failed:imap-create-folder failed: no folder named");
  expect (fx, NULL);
}

static void
test_greeting_bye (Fixture *fx, gconstpointer data)
{
  guint i = add (fx, ML_IMAP_ACTION_SYNC);

  feed (fx, "* BYE too many connections\r\n");
  expect (fx, NULL);
  g_assert_true (ml_imap_client_is_done (fx->client));
  g_assert_false (result (fx, i)->ok);
  g_assert_cmpint (result (fx, i)->status, ==, ML_IMAP_STATUS_BYE);
  g_assert_cmpstr (result (fx, i)->text, ==, "the server refused the connection: too many connections");
  assert_event (fx, "X");
}

static void
test_login_refused (Fixture *fx, gconstpointer data)
{
  guint i = add (fx, ML_IMAP_ACTION_SYNC);

  feed (fx, GREETING);
  expect (fx, "a1 LOGIN bob@b.example bob-secret\r\n");
  feed (fx, "a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  g_assert_true (result (fx, i)->finished);
  g_assert_false (result (fx, i)->ok);
  g_assert_cmpstr (result (fx, i)->text, ==, "login refused: NO Authentication failed.");
  /* RFC 3501 6.1.3: say goodbye properly. */
  expect (fx, "a2 LOGOUT\r\n");
  feed (fx, "* BYE bye\r\na2 OK LOGOUT completed\r\n");
  g_assert_true (ml_imap_client_is_done (fx->client));
}

static void
test_login_disabled (Fixture *fx, gconstpointer data)
{
  feed (fx, "* OK [CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN] ready\r\n");
  /* RFC 3501 6.2.3: LOGIN must not be tried; PLAIN is offered. Without
   * SASL-IR the response waits for "+" (RFC 3501 6.2.2). */
  expect (fx, "a1 AUTHENTICATE PLAIN\r\n");
  feed (fx, "+ \r\n");
  expect (fx, "AGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA==\r\n");
  feed (fx, "a1 OK [CAPABILITY IMAP4rev1] done\r\n");
  assert_event (fx, "C:a1 AUTHENTICATE PLAIN");
  assert_event (fx, "C:AGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA==");
  g_assert_cmpstr (ml_imap_client_state_to_string (ml_imap_client_get_state (fx->client)), ==, "authenticated");
}

static void
test_auth_plain_sasl_ir (Fixture *fx, gconstpointer data)
{
  fx->config.auth = ML_IMAP_CLIENT_AUTH_PLAIN;
  new_client (fx);
  feed (fx, GREETING);
  /* RFC 4959 3: the initial response in the command itself. */
  expect (fx, "a1 AUTHENTICATE PLAIN AGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA==\r\n");
  feed (fx, "a1 OK [CAPABILITY " CAPS "] done\r\n");
  assert_event (fx, "S:not-authenticated>authenticated");
}

static void
test_auth_plain_extra_challenge (Fixture *fx, gconstpointer data)
{
  fx->config.auth = ML_IMAP_CLIENT_AUTH_PLAIN;
  fx->config.use_sasl_ir = FALSE;
  new_client (fx);
  feed (fx, GREETING);
  expect (fx, "a1 AUTHENTICATE PLAIN\r\n");
  feed (fx, "+ \r\n");
  expect (fx, "AGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA==\r\n");
  /* PLAIN has one step: a second challenge is cancelled (RFC 3501 6.2.2). */
  feed (fx, "+ bW9yZQ==\r\n");
  expect (fx, "*\r\n");
  feed (fx, "a1 BAD cancelled\r\n");
  expect (fx, "a2 LOGOUT\r\n");
}

/* ---- literals ---- */

static void
test_literal_synchronizing (Fixture *fx, gconstpointer data)
{
  fx->config.literal_strings = TRUE;
  new_client (fx);
  feed (fx, "* OK [CAPABILITY IMAP4rev1] ready\r\n");
  /* RFC 3501 4.3, 7.5: each literal waits for "+". */
  expect (fx, "a1 LOGIN {13}\r\n");
  g_assert_false (has_event (fx, "C:a1 LOGIN {13}"));
  feed (fx, "+ Ready for literal data\r\n");
  expect (fx, "bob@b.example {10}\r\n");
  feed (fx, "+ go on\r\n");
  expect (fx, "bob-secret\r\n");
  /* One event for the whole command, as it crossed the wire. */
  assert_event (fx, "C:a1 LOGIN {13}\nbob@b.example {10}\nbob-secret");
  feed (fx, "a1 OK [CAPABILITY IMAP4rev1] Logged in\r\n");
  assert_event (fx, "S:not-authenticated>authenticated");
}

static void
test_literal_plus (Fixture *fx, gconstpointer data)
{
  fx->config.literal_strings = TRUE;
  new_client (fx);
  feed (fx, GREETING);
  /* RFC 7888 3: "{n+}", no waiting. */
  expect (fx, "a1 LOGIN {13+}\r\nbob@b.example {10+}\r\nbob-secret\r\n");
  assert_event (fx, "C:a1 LOGIN {13+}\nbob@b.example {10+}\nbob-secret");
}

static void
test_literal_refused (Fixture *fx, gconstpointer data)
{
  guint i;

  fx->config.literal_strings = TRUE;
  new_client (fx);
  i = add (fx, ML_IMAP_ACTION_SYNC);
  feed (fx, "* OK [CAPABILITY IMAP4rev1] ready\r\n");
  expect (fx, "a1 LOGIN {13}\r\n");
  /* RFC 3501 7.5: the server may refuse instead of "+". */
  feed (fx, "a1 NO too long\r\n");
  assert_event (fx, "C:a1 LOGIN {13}");
  g_assert_false (result (fx, i)->ok);
  expect (fx, "a2 LOGOUT\r\n");
}

static void
test_literal_8bit_password (Fixture *fx, gconstpointer data)
{
  fx->config.password = "p\xc3\xa4ss";
  new_client (fx);
  feed (fx, "* OK [CAPABILITY IMAP4rev1 LITERAL-] ready\r\n");
  /* RFC 3501 4.3: 8-bit octets need a literal; LITERAL- allows {n+} for
   * small ones (RFC 7888 5). */
  expect (fx, "a1 LOGIN bob@b.example {5+}\r\np\xc3\xa4ss\r\n");
}

/* ---- imap-sync ---- */

static void
test_sync_again (Fixture *fx, gconstpointer data)
{
  guint i;
  g_autofree char *f3 = fetch_header (2, 3, "", H3);

  login (fx);
  first_sync (fx);
  /* The device connects again later: UID 2 was expunged elsewhere, UID 1
   * read elsewhere, UID 3 arrived. */
  new_client (fx);
  login (fx);
  i = add (fx, ML_IMAP_ACTION_SYNC);
  expect (fx, "a2 LIST \"\" \"*\"\r\na3 SELECT INBOX\r\n");
  feed (fx, LIST_REPLY ("a2"));
  feed (fx, SELECT_2 ("7", "4", "a3"));
  /* New ones from UID 3; flags of 1:2; together (RFC 3501 5.5). */
  expect (fx, "a4 UID FETCH 3:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])\r\n"
              "a5 UID FETCH 1:2 (FLAGS)\r\n");
  feed (fx, f3);
  feed (fx, "a4 OK done\r\n");
  feed (fx, "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n");
  feed (fx, "a5 OK done\r\n");
  assert_ok (fx, i);
  g_assert_cmpuint (result (fx, i)->n_new, ==, 1);
  g_assert_cmpuint (result (fx, i)->n_changed, ==, 1);
  /* RFC 4549 4.3.1: UID 2 did not come back: it is gone. */
  g_assert_cmpuint (result (fx, i)->n_removed, ==, 1);
  summary_is (fx, "INBOX uidvalidity 7 uidnext 4 exists 2: 1 (\\Seen) header; 3 () header\n"
                  "Sent \\Sent: not synchronised\nTrash \\Trash: not synchronised");
}

static void
test_sync_nothing_new (Fixture *fx, gconstpointer data)
{
  guint i;

  login (fx);
  first_sync (fx);
  i = add (fx, ML_IMAP_ACTION_SYNC);
  expect (fx, "a5 LIST \"\" \"*\"\r\na6 SELECT INBOX\r\n");
  feed (fx, LIST_REPLY ("a5"));
  feed (fx, SELECT_2 ("7", "3", "a6"));
  /* UIDNEXT 3 and the device holds up to 2: only the flags are asked. */
  expect (fx, "a7 UID FETCH 1:2 (FLAGS)\r\n");
  feed (fx, "* 1 FETCH (UID 1 FLAGS ())\r\n* 2 FETCH (UID 2 FLAGS (\\Flagged))\r\na7 OK done\r\n");
  assert_ok (fx, i);
  g_assert_cmpuint (result (fx, i)->n_new, ==, 0);
  g_assert_cmpuint (result (fx, i)->n_changed, ==, 1);
  g_assert_cmpuint (result (fx, i)->n_removed, ==, 0);
}

/* LIST and SELECT go together, but until LIST completes the server may
 * still report on the mailbox selected before (RFC 3501 5.5): that FETCH
 * is about the old INBOX's message 2, not about the new selection. And
 * \Recent belongs to the session (RFC 3501 2.3.2): the device keeps none. */
static void
test_sync_update_before_select (Fixture *fx, gconstpointer data)
{
  guint i;

  login (fx);
  first_sync (fx);
  i = add (fx, ML_IMAP_ACTION_SYNC);
  expect (fx, "a5 LIST \"\" \"*\"\r\na6 SELECT INBOX\r\n");
  feed (fx, "* 2 FETCH (FLAGS (\\Flagged \\Recent))\r\n");
  feed (fx, LIST_REPLY ("a5"));
  g_assert_false (ml_imap_client_is_done (fx->client));
  feed (fx, SELECT_2 ("7", "3", "a6"));
  expect (fx, "a7 UID FETCH 1:2 (FLAGS)\r\n");
  feed (fx, "* 1 FETCH (UID 1 FLAGS (\\Recent))\r\n* 2 FETCH (UID 2 FLAGS (\\Flagged))\r\na7 OK done\r\n");
  assert_ok (fx, i);
  g_assert_cmpuint (result (fx, i)->n_changed, ==, 1);
  summary_is (fx, "INBOX uidvalidity 7 uidnext 3 exists 2: 1 () header; 2 (\\Flagged) header\n"
                  "Sent \\Sent: not synchronised\nTrash \\Trash: not synchronised");
}

static void
test_sync_uidvalidity_changed (Fixture *fx, gconstpointer data)
{
  guint i;
  g_autofree char *f1 = fetch_header (1, 1, "", H3);

  login (fx);
  first_sync (fx);
  new_client (fx);
  login (fx);
  i = add (fx, ML_IMAP_ACTION_SYNC);
  expect (fx, "a2 LIST \"\" \"*\"\r\na3 SELECT INBOX\r\n");
  feed (fx, LIST_REPLY ("a2"));
  /* The mailbox was recreated: RFC 3501 2.3.1.1, the old UIDs mean
   * nothing now. */
  feed (fx, "* 1 EXISTS\r\n* OK [UIDVALIDITY 99] new\r\n* OK [UIDNEXT 2] x\r\na3 OK done\r\n");
  assert_event (fx, "T:imap.client.uidvalidity-changed:INBOX: UIDVALIDITY 7 became 99: the 2 messages "
                    "this device held are dropped (RFC 3501 2.3.1.1)");
  expect (fx, "a4 UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])\r\n");
  feed (fx, f1);
  feed (fx, "a4 OK done\r\n");
  assert_ok (fx, i);
  g_assert_true (result (fx, i)->uidvalidity_changed);
  g_assert_cmpuint (result (fx, i)->n_removed, ==, 2);
  g_assert_cmpstr (ml_imap_local_mailbox_find_uid (ml_imap_client_get_local (fx->client, "inbox"), 1)->subject,
                   ==, "Room booked");
}

static void
test_sync_select_refused (Fixture *fx, gconstpointer data)
{
  MlImapAction a;
  guint i;

  login (fx);
  ml_imap_action_init (&a, ML_IMAP_ACTION_SYNC);
  a.mailbox = "Old Mail";
  i = ml_imap_client_add_action (fx->client, &a);
  expect (fx, "a2 LIST \"\" \"*\"\r\na3 SELECT \"Old Mail\"\r\n");
  feed (fx, LIST_REPLY ("a2"));
  feed (fx, "a3 NO [NONEXISTENT] Unknown Mailbox: Old Mail\r\n");
  g_assert_false (result (fx, i)->ok);
  g_assert_cmpint (result (fx, i)->status, ==, ML_IMAP_STATUS_NO);
  g_assert_cmpstr (result (fx, i)->text, ==, "SELECT refused: NO [NONEXISTENT] Unknown Mailbox: Old Mail");
  g_assert_null (ml_imap_client_get_selected (fx->client));
  assert_event (fx, "T:imap.client.action.failed:imap-sync failed: SELECT refused: NO [NONEXISTENT] Unknown Mailbox: Old Mail");
}

static void
test_sync_no_pipelining (Fixture *fx, gconstpointer data)
{
  fx->config.use_pipelining = FALSE;
  new_client (fx);
  login (fx);
  add (fx, ML_IMAP_ACTION_SYNC);
  expect (fx, "a2 LIST \"\" \"*\"\r\n");
  feed (fx, LIST_REPLY ("a2"));
  expect (fx, "a3 SELECT INBOX\r\n");
}

/* ---- the one-message actions ---- */

static void
test_read_by_subject (Fixture *fx, gconstpointer data)
{
  guint i;
  g_autofree char *body = g_strdup_printf ("* 2 FETCH (UID 2 BODY[] {%u}\r\n" M2 " FLAGS (\\Seen))\r\n",
                                           (guint) strlen (M2));
  const MlImapLocalMessage *m;

  login (fx);
  first_sync (fx);
  i = add_subject (fx, ML_IMAP_ACTION_READ, "lunch");
  /* Found in the local copy; already selected. RFC 3501 6.4.5: BODY[]
   * sets \Seen. */
  expect (fx, "a5 UID FETCH 2 (BODY[])\r\n");
  feed (fx, body);
  feed (fx, "a5 OK done\r\n");
  assert_ok (fx, i);
  assert_uids (result (fx, i)->uids, "2");
  m = ml_imap_local_mailbox_find_uid (ml_imap_client_get_local (fx->client, "INBOX"), 2);
  g_assert_nonnull (m->body);
  g_assert_cmpuint (g_bytes_get_size (m->body), ==, strlen (M2));
  g_assert_true (ml_imap_local_message_has_flag (m, "\\seen"));
  assert_event (fx, "T:imap.client.action.read:INBOX UID 2 read: 65 octets, \\Seen");
}

static void
test_read_by_server_search (Fixture *fx, gconstpointer data)
{
  guint i;

  login (fx);
  i = add_subject (fx, ML_IMAP_ACTION_READ, "Room");
  expect (fx, "a2 SELECT INBOX\r\n");
  feed (fx, SELECT_2 ("7", "3", "a2"));
  /* Nothing local: the server searches (RFC 3501 6.4.4). */
  expect (fx, "a3 UID SEARCH SUBJECT \"Room\"\r\n");
  feed (fx, "* SEARCH 2 1\r\na3 OK done\r\n");
  expect (fx, "a4 UID FETCH 1 (BODY[])\r\n");
  feed (fx, "* 1 FETCH (UID 1 BODY[] {3}\r\nabc)\r\na4 OK done\r\n");
  assert_ok (fx, i);
  assert_uids (result (fx, i)->uids, "1");
}

static void
test_read_not_found (Fixture *fx, gconstpointer data)
{
  guint i, j;

  login (fx);
  i = add_subject (fx, ML_IMAP_ACTION_READ, "nothing like it");
  j = add (fx, ML_IMAP_ACTION_LOGOUT);
  expect (fx, "a2 SELECT INBOX\r\n");
  feed (fx, SELECT_2 ("7", "3", "a2"));
  expect (fx, "a3 UID SEARCH SUBJECT \"nothing like it\"\r\n");
  feed (fx, "* SEARCH\r\na3 OK done\r\n");
  g_assert_false (result (fx, i)->ok);
  g_assert_cmpstr (result (fx, i)->text, ==, "no message in INBOX has \"nothing like it\" in its subject");
  /* The next action goes on. */
  expect (fx, "a4 LOGOUT\r\n");
  g_assert_false (result (fx, j)->finished);
}

static void
test_read_first_unseen (Fixture *fx, gconstpointer data)
{
  MlImapAction a;
  guint i;

  login (fx);
  first_sync (fx);
  feed (fx, "* 1 FETCH (FLAGS (\\Seen))\r\n");  /* unasked: another device read it */
  ml_imap_action_init (&a, ML_IMAP_ACTION_READ);
  a.first_unseen = TRUE;
  i = ml_imap_client_add_action (fx->client, &a);
  expect (fx, "a5 UID FETCH 2 (BODY[])\r\n");
  feed (fx, "* 2 FETCH (UID 2 BODY[] {3}\r\nabc)\r\na5 OK done\r\n");
  assert_ok (fx, i);
}

static void
test_flag (Fixture *fx, gconstpointer data)
{
  const char * const flags[] = { "\\Flagged", "$Important", NULL };
  MlImapAction a;
  guint i, j;

  login (fx);
  first_sync (fx);
  ml_imap_action_init (&a, ML_IMAP_ACTION_FLAG);
  a.subject = "Lunch";
  a.flags = flags;
  i = ml_imap_client_add_action (fx->client, &a);
  expect (fx, "a5 UID STORE 2 +FLAGS (\\Flagged $Important)\r\n");
  feed (fx, "* 2 FETCH (UID 2 FLAGS (\\Flagged $Important))\r\na5 OK done\r\n");
  assert_ok (fx, i);
  g_assert_true (ml_imap_local_message_has_flag (ml_imap_local_mailbox_find_uid (
                   ml_imap_client_get_local (fx->client, "INBOX"), 2), "$important"));
  assert_event (fx, "T:imap.client.action.flag:INBOX UID 2: +FLAGS (\\Flagged $Important)");

  a.set = FALSE;
  a.flags = flags + 1;
  j = ml_imap_client_add_action (fx->client, &a);
  expect (fx, "a6 UID STORE 2 -FLAGS ($Important)\r\n");
  feed (fx, "* 2 FETCH (UID 2 FLAGS (\\Flagged))\r\na6 OK done\r\n");
  assert_ok (fx, j);
  summary_is (fx, "INBOX uidvalidity 7 uidnext 3 exists 2: 1 () header; 2 (\\Flagged) header\n"
                  "Sent \\Sent: not synchronised\nTrash \\Trash: not synchronised");
}

static void
test_flag_bad_arguments (Fixture *fx, gconstpointer data)
{
  const char * const flags[] = { "\\Fla gged", NULL };
  const guint32 uid = 2;
  MlImapAction a;
  guint i;

  login (fx);
  ml_imap_action_init (&a, ML_IMAP_ACTION_FLAG);
  a.uids = &uid;
  a.n_uids = 1;
  a.flags = flags;
  i = ml_imap_client_add_action (fx->client, &a);
  expect (fx, NULL);
  g_assert_false (result (fx, i)->ok);
  g_assert_cmpstr (result (fx, i)->text, ==, "\"\\Fla gged\" is not a flag (RFC 3501 2.3.2)");
}

static void
move_one (Fixture *fx, const char *caps)
{
  g_autofree char *login_ok = g_strdup_printf ("a1 OK [CAPABILITY %s] Logged in\r\n", caps);
  g_autofree char *greeting = g_strdup_printf ("* OK [CAPABILITY %s] ready\r\n", caps);
  MlImapAction a;

  feed (fx, greeting);
  expect (fx, "a1 LOGIN bob@b.example bob-secret\r\n");
  feed (fx, login_ok);
  first_sync (fx);
  ml_imap_action_init (&a, ML_IMAP_ACTION_MOVE);
  a.subject = "kickoff";
  a.folder = "Projects";
  ml_imap_client_add_action (fx->client, &a);
}

static void
test_move_move (Fixture *fx, gconstpointer data)
{
  move_one (fx, CAPS);
  /* RFC 6851 3.1 */
  expect (fx, "a5 UID MOVE 1 Projects\r\n");
  feed (fx, "* OK [COPYUID 5 1 1] Moved UIDs.\r\n* 1 EXPUNGE\r\na5 OK Move completed\r\n");
  assert_ok (fx, 1);
  assert_uids (result (fx, 1)->uids, "1");
  assert_uids (result (fx, 1)->new_uids, "1");
  g_assert_cmpuint (result (fx, 1)->dest_uidvalidity, ==, 5);
  assert_event (fx, "T:imap.client.action.move:INBOX UID 1 moved to Projects as UID 1");
  /* The EXPUNGE renumbered: UID 2 is message 1 now. */
  feed (fx, "* 1 FETCH (FLAGS (\\Seen))\r\n");
  summary_is (fx, "INBOX uidvalidity 7 uidnext 3 exists 1: 2 (\\Seen) header\n"
                  "Sent \\Sent: not synchronised\nTrash \\Trash: not synchronised");
}

static void
test_move_copy_uidplus (Fixture *fx, gconstpointer data)
{
  move_one (fx, "IMAP4rev1 UIDPLUS");
  expect (fx, "a5 UID COPY 1 Projects\r\n");
  feed (fx, "a5 OK [COPYUID 5 1 8] Done\r\n");
  /* RFC 3501 5.5: STORE + EXPUNGE may go together; UID EXPUNGE (RFC 4315
   * 2.1) leaves alone what others marked \Deleted. */
  expect (fx, "a6 UID STORE 1 +FLAGS (\\Deleted)\r\na7 UID EXPUNGE 1\r\n");
  feed (fx, "* 1 FETCH (UID 1 FLAGS (\\Deleted))\r\na6 OK done\r\n* 1 EXPUNGE\r\na7 OK done\r\n");
  assert_ok (fx, 1);
  assert_uids (result (fx, 1)->new_uids, "8");
  g_assert_null (ml_imap_local_mailbox_find_uid (ml_imap_client_get_local (fx->client, "INBOX"), 1));
}

static void
test_move_copy_expunge (Fixture *fx, gconstpointer data)
{
  move_one (fx, "IMAP4rev1");
  expect (fx, "a5 UID COPY 1 Projects\r\n");
  feed (fx, "a5 OK Done\r\n");
  expect (fx, "a6 UID STORE 1 +FLAGS (\\Deleted)\r\n");
  feed (fx, "* 1 FETCH (UID 1 FLAGS (\\Deleted))\r\na6 OK done\r\n");
  expect (fx, "a7 EXPUNGE\r\n");
  feed (fx, "* 1 EXPUNGE\r\na7 OK done\r\n");
  assert_ok (fx, 1);
  g_assert_cmpuint (result (fx, 1)->new_uids->len, ==, 0);
  assert_event (fx, "T:imap.client.action.move:INBOX UID 1 moved to Projects");
}

static void
test_move_trycreate (Fixture *fx, gconstpointer data)
{
  move_one (fx, "IMAP4rev1");
  expect (fx, "a5 UID COPY 1 Projects\r\n");
  feed (fx, "a5 NO [TRYCREATE] Mailbox doesn't exist: Projects\r\n");
  /* The copy failed: the original must not be deleted. */
  expect (fx, NULL);
  g_assert_false (result (fx, 1)->ok);
  g_assert_nonnull (ml_imap_local_mailbox_find_uid (ml_imap_client_get_local (fx->client, "INBOX"), 1));
}

static void
test_search (Fixture *fx, gconstpointer data)
{
  MlImapAction a;
  guint i;

  login (fx);
  ml_imap_action_init (&a, ML_IMAP_ACTION_SEARCH);
  a.criteria = "FROM \"alice\" UNSEEN";
  i = ml_imap_client_add_action (fx->client, &a);
  expect (fx, "a2 SELECT INBOX\r\n");
  feed (fx, SELECT_2 ("7", "3", "a2"));
  expect (fx, "a3 UID SEARCH FROM \"alice\" UNSEEN\r\n");
  feed (fx, "* SEARCH 1 2\r\na3 OK SEARCH completed\r\n");
  assert_ok (fx, i);
  assert_uids (result (fx, i)->uids, "1 2");
  assert_event (fx, "T:imap.client.action.search:INBOX: UID SEARCH FROM \"alice\" UNSEEN found 2: 1 2");
}

static void
test_search_bad_criteria (Fixture *fx, gconstpointer data)
{
  MlImapAction a;
  GString *big = g_string_new (NULL);
  guint i, j;

  login (fx);
  ml_imap_action_init (&a, ML_IMAP_ACTION_SEARCH);
  a.criteria = "SUBJECT x\r\na9 DELETE INBOX";
  i = ml_imap_client_add_action (fx->client, &a);
  while (big->len < ML_IMAP_CLIENT_MAX_COMMAND)
    g_string_append (big, "OR SEEN ");
  g_string_append (big, "ALL");
  a.criteria = big->str;
  j = ml_imap_client_add_action (fx->client, &a);
  expect (fx, "a2 SELECT INBOX\r\n");
  feed (fx, SELECT_2 ("7", "3", "a2"));
  expect (fx, NULL);
  g_assert_false (result (fx, i)->ok);
  g_assert_cmpstr (result (fx, i)->text, ==, "search criteria must be printable US-ASCII; use a literal for other text");
  g_assert_false (result (fx, j)->ok);
  g_assert_cmpstr (result (fx, j)->text, ==, "UID SEARCH would be longer than 8192 octets (RFC 7162 4)");
  g_string_free (big, TRUE);
}

static void
test_delete_expunge (Fixture *fx, gconstpointer data)
{
  guint i;

  login (fx);
  first_sync (fx);
  i = add_subject (fx, ML_IMAP_ACTION_DELETE, "Lunch");
  /* RFC 3501 6.4.6 .SILENT, then UID EXPUNGE together (RFC 4315 2.1). */
  expect (fx, "a5 UID STORE 2 +FLAGS.SILENT (\\Deleted)\r\na6 UID EXPUNGE 2\r\n");
  feed (fx, "a5 OK done\r\n* 2 EXPUNGE\r\na6 OK done\r\n");
  assert_ok (fx, i);
  assert_event (fx, "T:imap.client.action.delete:INBOX UID 2 marked \\Deleted and expunged");
  summary_is (fx, "INBOX uidvalidity 7 uidnext 3 exists 1: 1 () header\n"
                  "Sent \\Sent: not synchronised\nTrash \\Trash: not synchronised");
}

static void
test_delete_keep (Fixture *fx, gconstpointer data)
{
  MlImapAction a;
  guint i;

  login (fx);
  first_sync (fx);
  ml_imap_action_init (&a, ML_IMAP_ACTION_DELETE);
  a.subject = "Lunch";
  a.expunge = FALSE;
  i = ml_imap_client_add_action (fx->client, &a);
  expect (fx, "a5 UID STORE 2 +FLAGS.SILENT (\\Deleted)\r\n");
  feed (fx, "a5 OK done\r\n");
  expect (fx, NULL);
  assert_ok (fx, i);
  /* \Deleted but still there: the device knows what it set. */
  summary_is (fx, "INBOX uidvalidity 7 uidnext 3 exists 2: 1 () header; 2 (\\Deleted) header\n"
                  "Sent \\Sent: not synchronised\nTrash \\Trash: not synchronised");
}

static void
test_delete_plain_expunge (Fixture *fx, gconstpointer data)
{
  fx->config.use_uidplus = FALSE;
  new_client (fx);
  login (fx);
  first_sync (fx);
  add_subject (fx, ML_IMAP_ACTION_DELETE, "Lunch");
  expect (fx, "a5 UID STORE 2 +FLAGS.SILENT (\\Deleted)\r\n");
  feed (fx, "a5 OK done\r\n");
  expect (fx, "a6 EXPUNGE\r\n");
}

static void
test_create_folder (Fixture *fx, gconstpointer data)
{
  MlImapAction a;
  guint i;

  login (fx);
  ml_imap_action_init (&a, ML_IMAP_ACTION_CREATE_FOLDER);
  a.folder = "Projects 2024";
  i = ml_imap_client_add_action (fx->client, &a);
  expect (fx, "a2 CREATE \"Projects 2024\"\r\n");
  feed (fx, "a2 OK CREATE completed\r\n");
  assert_ok (fx, i);
  g_assert_nonnull (ml_imap_client_get_local (fx->client, "Projects 2024"));
  assert_event (fx, "C:a2 CREATE \"Projects 2024\"");
}

/* ---- IDLE (RFC 2177) ---- */

static guint
start_idle (Fixture *fx)
{
  guint i;

  login (fx);
  first_sync (fx);
  i = add (fx, ML_IMAP_ACTION_IDLE);
  expect (fx, "a5 IDLE\r\n");
  g_assert_false (ml_imap_client_is_idling (fx->client));
  feed (fx, "+ idling\r\n");
  g_assert_true (ml_imap_client_is_idling (fx->client));
  assert_event (fx, "S:selected>idle");
  expect (fx, NULL);
  return i;
}

static void
test_idle_push (Fixture *fx, gconstpointer data)
{
  guint i = start_idle (fx);
  g_autofree char *f3 = fetch_header (3, 3, "", H3);

  /* New mail: the server pushes EXISTS; the client ends IDLE. */
  feed (fx, "* 3 EXISTS\r\n* 1 RECENT\r\n");
  expect (fx, "DONE\r\n");
  assert_event (fx, "C:DONE");
  feed (fx, "a5 OK IDLE terminated\r\n");
  /* ...and fetches what it was told about. */
  expect (fx, "a6 UID FETCH 3:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])\r\n");
  feed (fx, f3);
  feed (fx, "a6 OK done\r\n");
  assert_ok (fx, i);
  g_assert_true (result (fx, i)->woken);
  g_assert_cmpuint (result (fx, i)->n_new, ==, 1);
  assert_event (fx, "T:imap.client.action.idle:INBOX: the server pushed news during IDLE; 1 new");
}

static void
test_idle_flags_from_other_device (Fixture *fx, gconstpointer data)
{
  guint i = start_idle (fx);

  feed (fx, "* 2 FETCH (FLAGS (\\Flagged))\r\n");
  expect (fx, "DONE\r\n");
  feed (fx, "a5 OK IDLE terminated\r\n");
  expect (fx, NULL);
  assert_ok (fx, i);
  g_assert_true (ml_imap_local_message_has_flag (ml_imap_local_mailbox_find_uid (
                   ml_imap_client_get_local (fx->client, "INBOX"), 2), "\\Flagged"));
}

static void
test_idle_stop (Fixture *fx, gconstpointer data)
{
  guint i = start_idle (fx);

  feed (fx, "* 2 RECENT\r\n");  /* not news worth waking for */
  expect (fx, NULL);
  ml_imap_client_stop_idle (fx->client);
  expect (fx, "DONE\r\n");
  ml_imap_client_stop_idle (fx->client);
  expect (fx, NULL);
  feed (fx, "a5 OK IDLE terminated\r\n");
  assert_ok (fx, i);
  g_assert_false (result (fx, i)->woken);
  assert_event (fx, "S:idle>selected");
}

static void
test_idle_ended_by_action (Fixture *fx, gconstpointer data)
{
  guint i = start_idle (fx), j;

  j = add (fx, ML_IMAP_ACTION_LOGOUT);
  /* RFC 2177 3: nothing but DONE during IDLE. */
  expect (fx, "DONE\r\n");
  feed (fx, "a5 OK IDLE terminated\r\n");
  expect (fx, "a6 LOGOUT\r\n");
  assert_ok (fx, i);
  g_assert_false (result (fx, j)->finished);
}

static void
test_idle_stop_before_continuation (Fixture *fx, gconstpointer data)
{
  login (fx);
  first_sync (fx);
  add (fx, ML_IMAP_ACTION_IDLE);
  expect (fx, "a5 IDLE\r\n");
  ml_imap_client_stop_idle (fx->client);
  expect (fx, NULL);
  feed (fx, "+ idling\r\n");
  expect (fx, "DONE\r\n");
}

static void
test_idle_not_offered (Fixture *fx, gconstpointer data)
{
  guint i;

  feed (fx, "* OK [CAPABILITY IMAP4rev1] ready\r\n");
  expect (fx, "a1 LOGIN bob@b.example bob-secret\r\n");
  feed (fx, "a1 OK [CAPABILITY IMAP4rev1] in\r\n");
  i = add (fx, ML_IMAP_ACTION_IDLE);
  expect (fx, "a2 SELECT INBOX\r\n");
  feed (fx, SELECT_2 ("7", "3", "a2"));
  expect (fx, NULL);
  g_assert_false (result (fx, i)->ok);
  g_assert_cmpstr (result (fx, i)->text, ==, "the server does not offer IDLE (RFC 2177)");
}

/* ---- the session ends ---- */

static void
test_bye_mid_session (Fixture *fx, gconstpointer data)
{
  guint i, j;

  login (fx);
  first_sync (fx);
  i = add_subject (fx, ML_IMAP_ACTION_READ, "Lunch");
  j = add (fx, ML_IMAP_ACTION_SYNC);
  expect (fx, "a5 UID FETCH 2 (BODY[])\r\n");
  feed (fx, "* BYE Server shutting down\r\n");
  g_assert_true (ml_imap_client_is_done (fx->client));
  g_assert_false (result (fx, i)->ok);
  g_assert_cmpint (result (fx, i)->status, ==, ML_IMAP_STATUS_BYE);
  g_assert_cmpstr (result (fx, j)->text, ==, "the server closed the session: Server shutting down");
  assert_event (fx, "S:selected>logout");
  assert_event (fx, "X");
  expect (fx, NULL);
  /* Too late now. */
  i = add (fx, ML_IMAP_ACTION_SYNC);
  g_assert_false (result (fx, i)->ok);
  g_assert_cmpuint (ml_imap_client_feed (fx->client, (const guint8 *) "* OK\r\n", 6), ==, 0);
  /* What the device holds survives the session. */
  g_assert_cmpuint (ml_imap_client_get_local (fx->client, "INBOX")->messages->len, ==, 2);
}

static void
test_connection_lost (Fixture *fx, gconstpointer data)
{
  guint i;

  login (fx);
  i = add (fx, ML_IMAP_ACTION_SYNC);
  expect (fx, "a2 LIST \"\" \"*\"\r\na3 SELECT INBOX\r\n");
  ml_imap_client_connection_lost (fx->client);
  drain_events (fx);
  g_assert_true (ml_imap_client_is_done (fx->client));
  g_assert_false (result (fx, i)->ok);
  g_assert_cmpstr (result (fx, i)->text, ==, "connection lost");
  g_assert_cmpuint (ml_imap_client_get_n_pending (fx->client), ==, 0);
  assert_event (fx, "X");
}

static void
test_logout_bye_then_lost (Fixture *fx, gconstpointer data)
{
  guint i;

  login (fx);
  i = add (fx, ML_IMAP_ACTION_LOGOUT);
  expect (fx, "a2 LOGOUT\r\n");
  feed (fx, "* BYE see you\r\n");
  /* The server closed before its tagged OK: a BYE answers LOGOUT. */
  ml_imap_client_connection_lost (fx->client);
  assert_ok (fx, i);
}

static void
test_malformed (Fixture *fx, gconstpointer data)
{
  static const struct {
    const char *server;
    const char *why;
  } cases[] = {
    { "* 2 FETCH (UID)\r\n", "malformed response: FETCH: UID without its value" },
    { "zz9 OK who?\r\n", "malformed response: a completion for tag zz9, which names no command in progress (RFC 3501 2.2.1)" },
    { "+ what?\r\n", "malformed response: a continuation request (\"+\") when no command waits for one (RFC 3501 7.5)" },
    { "* 1 EXISTS\r\n", "malformed response: EXISTS went from 2 down to 1 without EXPUNGE (RFC 3501 7.3.1)" },
    { "* 5 EXPUNGE\r\n", "malformed response: EXPUNGE of message 5, but the mailbox has 2 (RFC 3501 7.4.1)" },
    { "* 9 FETCH (FLAGS ())\r\n", "malformed response: FETCH for message 9, but the mailbox has 2 (RFC 3501 7.4.2)" },
    { "* 1 FETCH (UID 5 FLAGS ())\r\n", "malformed response: message 1 had UID 1 and now 5 (RFC 3501 2.3.1.1)" },
    { "* 4000000000 EXISTS\r\n", "malformed response: 4000000000 EXISTS: more messages than this client keeps track of (1000000)" },
    { "* 1 FETCH (BODY[] {999999999}\r\n", "malformed response: a literal of 999999999 octets announced (the limit is 33554432)" },
  };

  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      guint i;
      g_autofree char *want = NULL;

      new_client (fx);
      login (fx);
      first_sync (fx);
      i = add_subject (fx, ML_IMAP_ACTION_READ, "Lunch");
      expect (fx, "a5 UID FETCH 2 (BODY[])\r\n");
      feed (fx, cases[k].server);
      g_assert_true (ml_imap_client_is_done (fx->client));
      g_assert_false (result (fx, i)->ok);
      g_assert_cmpstr (result (fx, i)->text, ==, cases[k].why);
      want = g_strdup_printf ("T:imap.client.malformed-response:the session ends: %s", cases[k].why);
      assert_event (fx, want);
      assert_event (fx, "X");
      expect (fx, NULL);
      /* Start the next case from an empty device. */
      ml_imap_local_store_free (fx->store);
      fx->store = ml_imap_local_store_new ();
    }
}

static void
test_bad_greeting (Fixture *fx, gconstpointer data)
{
  feed (fx, "a1 OK hello\r\n");
  g_assert_true (ml_imap_client_is_done (fx->client));
  assert_event (fx, "T:imap.client.malformed-response:the session ends: malformed response: the greeting is an "
                    "untagged OK, PREAUTH or BYE (RFC 3501 7.1)");
}

static void
test_untagged_flood (Fixture *fx, gconstpointer data)
{
  GString *chunk = g_string_new (NULL);
  guint sent = 0;

  login (fx);
  add (fx, ML_IMAP_ACTION_SYNC);
  expect (fx, "a2 LIST \"\" \"*\"\r\na3 SELECT INBOX\r\n");
  for (guint i = 0; i < 10000; i++)
    g_string_append (chunk, "* 0 RECENT\r\n");
  while (!ml_imap_client_is_done (fx->client) && sent <= ML_IMAP_CLIENT_MAX_UNTAGGED)
    {
      ml_imap_client_feed (fx->client, (const guint8 *) chunk->str, chunk->len);
      sent += 10000;
      g_ptr_array_set_size (fx->events, 0);
      drain_events (fx);
    }
  g_assert_true (ml_imap_client_is_done (fx->client));
  g_assert_cmpuint (sent, >, ML_IMAP_CLIENT_MAX_UNTAGGED);
  g_assert_cmpstr (result (fx, 0)->text, ==, "malformed response: too many untagged responses without a completion");
  g_string_free (chunk, TRUE);
}

static void
test_actions_before_greeting (Fixture *fx, gconstpointer data)
{
  guint i = add (fx, ML_IMAP_ACTION_CREATE_FOLDER);

  /* Nothing goes out before the server speaks (RFC 3501 7.1). */
  expect (fx, NULL);
  g_assert_cmpuint (ml_imap_client_get_n_pending (fx->client), ==, 1);
  g_assert_cmpuint (ml_imap_client_get_n_actions (fx->client), ==, 1);
  g_assert_null (ml_imap_client_get_result (fx->client, 5));
  login (fx);
  g_assert_false (result (fx, i)->ok);
}

#define ADD(path, func) \
  g_test_add ("/imap-client/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("session/golden", test_session_golden);
  ADD ("session/bytewise", test_session_bytewise);
  ADD ("session/actions-before-greeting", test_actions_before_greeting);
  ADD ("greeting/without-capability", test_greeting_without_capability);
  ADD ("greeting/preauth", test_greeting_preauth);
  ADD ("greeting/bye", test_greeting_bye);
  ADD ("greeting/malformed", test_bad_greeting);
  ADD ("login/refused", test_login_refused);
  ADD ("login/disabled", test_login_disabled);
  ADD ("login/plain-sasl-ir", test_auth_plain_sasl_ir);
  ADD ("login/plain-extra-challenge", test_auth_plain_extra_challenge);
  ADD ("literal/synchronizing", test_literal_synchronizing);
  ADD ("literal/plus", test_literal_plus);
  ADD ("literal/refused", test_literal_refused);
  ADD ("literal/8bit-password", test_literal_8bit_password);
  ADD ("sync/again", test_sync_again);
  ADD ("sync/nothing-new", test_sync_nothing_new);
  ADD ("sync/update-before-select", test_sync_update_before_select);
  ADD ("sync/uidvalidity-changed", test_sync_uidvalidity_changed);
  ADD ("sync/select-refused", test_sync_select_refused);
  ADD ("sync/no-pipelining", test_sync_no_pipelining);
  ADD ("read/by-subject", test_read_by_subject);
  ADD ("read/by-server-search", test_read_by_server_search);
  ADD ("read/not-found", test_read_not_found);
  ADD ("read/first-unseen", test_read_first_unseen);
  ADD ("flag/set-clear", test_flag);
  ADD ("flag/bad-arguments", test_flag_bad_arguments);
  ADD ("move/move", test_move_move);
  ADD ("move/copy-uidplus", test_move_copy_uidplus);
  ADD ("move/copy-expunge", test_move_copy_expunge);
  ADD ("move/trycreate", test_move_trycreate);
  ADD ("search/criteria", test_search);
  ADD ("search/bad-criteria", test_search_bad_criteria);
  ADD ("delete/expunge", test_delete_expunge);
  ADD ("delete/keep", test_delete_keep);
  ADD ("delete/plain-expunge", test_delete_plain_expunge);
  ADD ("create-folder", test_create_folder);
  ADD ("idle/push", test_idle_push);
  ADD ("idle/flags-from-other-device", test_idle_flags_from_other_device);
  ADD ("idle/stop", test_idle_stop);
  ADD ("idle/ended-by-action", test_idle_ended_by_action);
  ADD ("idle/stop-before-continuation", test_idle_stop_before_continuation);
  ADD ("idle/not-offered", test_idle_not_offered);
  ADD ("end/bye-mid-session", test_bye_mid_session);
  ADD ("end/connection-lost", test_connection_lost);
  ADD ("end/logout-bye-then-lost", test_logout_bye_then_lost);
  ADD ("end/malformed", test_malformed);
  ADD ("end/untagged-flood", test_untagged_flood);

  return g_test_run ();
}

/* Our IMAP client against our IMAP server on a real mail store, through an
 * in-memory link: the output of one is fed to the other until both are
 * quiet. Runs are made whole, one byte at a time and in random pieces; the
 * two engines must agree on every line that crossed, the store must show
 * what the actions did, and the device's local copy what it holds. Two
 * devices on one account see each other's changes, on their next sync or
 * during IDLE. */
#include <string.h>
#include "mail/mail-store.h"
#include "proto/imap-client.h"
#include "proto/imap-server.h"

#define BOB      "bob@b.example"
#define BOB_PASS "bob-secret"
#define T0       G_GINT64_CONSTANT (1709625600)  /* 2024-03-05 08:00 UTC */

static const char msg_kickoff[] =
  "From: Alice <alice@a.example>\r\n"
  "To: Bob <bob@b.example>\r\n"
  "Subject: Project kickoff\r\n"
  "\r\n"
  "Kickoff is on Monday at 10.\r\n";

static const char msg_lunch[] =
  "From: Alice <alice@a.example>\r\n"
  "To: Bob <bob@b.example>\r\n"
  "Subject: Lunch?\r\n"
  "\r\n"
  "Bob, lunch on Friday?\r\n";

static const char msg_room[] =
  "From: Alice <alice@a.example>\r\n"
  "To: Bob <bob@b.example>\r\n"
  "Subject: Room booked\r\n"
  "\r\n"
  "Room 4.12.\r\n";

typedef enum {
  SPLIT_WHOLE,
  SPLIT_BYTES,
  SPLIT_RANDOM,
} Split;

/* One device's connection: its client, the server session it talks to. */
typedef struct {
  MlImapClient     *client;
  MlImapServer     *server;
  MlImapLocalStore *local;
  GPtrArray        *client_commands;  /* lines the client sent */
  GPtrArray        *server_commands;  /* lines the server read */
  GPtrArray        *client_replies;   /* lines the client read */
  GPtrArray        *server_replies;   /* lines the server sent */
  GRand            *rand;
  Split             split;
  guint             wakeups;
  /* Fake TLS: each side asked with START_TLS; the "handshake" is the two
   * tls_started() calls once both have (sim/tls/ has the real one). */
  gboolean          server_wants_tls;
  gboolean          client_wants_tls;
  guint             handshakes;
  guint             commands_in_clear;  /* client lines before it */
} Link;

typedef struct {
  MlMailStore *store;
  MlAccount   *bob;
  MlMailbox   *inbox;
} World;

static void
world_init (World *w)
{
  g_autoptr(GBytes) a = g_bytes_new_static (msg_kickoff, sizeof msg_kickoff - 1);
  g_autoptr(GBytes) b = g_bytes_new_static (msg_lunch, sizeof msg_lunch - 1);

  w->store = ml_mail_store_new ();
  w->bob = ml_mail_store_add_account (w->store, BOB, BOB_PASS);
  w->inbox = ml_account_get_inbox (w->bob);
  g_assert_cmpuint (ml_mailbox_append (w->inbox, a, ML_FLAG_RECENT, T0), ==, 1);
  g_assert_cmpuint (ml_mailbox_append (w->inbox, b, ML_FLAG_RECENT, T0 + 60), ==, 2);
}

static void
on_wakeup (MlImapServer *server, gpointer user_data)
{
  /* Inside a store notification: only note it, pump later. */
  ((Link *) user_data)->wakeups++;
}

static void
link_init (Link *l, World *w, Split split, guint32 seed, const MlImapClientConfig *cc,
           const MlImapServerConfig *sc)
{
  MlImapClientConfig client_config;
  MlImapServerConfig server_config;

  memset (l, 0, sizeof *l);
  if (cc == NULL)
    {
      ml_imap_client_config_init (&client_config);
      client_config.username = BOB;
      client_config.password = BOB_PASS;
      cc = &client_config;
    }
  if (sc == NULL)
    {
      ml_imap_server_config_init (&server_config);
      server_config.hostname = "mail.b.example";
      sc = &server_config;
    }
  l->local = ml_imap_local_store_new ();
  l->client = ml_imap_client_new (cc, l->local);
  l->server = ml_imap_server_new (w->store, sc);
  ml_imap_server_set_now (l->server, (T0 + 3600) * G_USEC_PER_SEC);
  ml_imap_server_set_wakeup (l->server, on_wakeup, l);
  l->client_commands = g_ptr_array_new_with_free_func (g_free);
  l->server_commands = g_ptr_array_new_with_free_func (g_free);
  l->client_replies = g_ptr_array_new_with_free_func (g_free);
  l->server_replies = g_ptr_array_new_with_free_func (g_free);
  l->rand = g_rand_new_with_seed (seed);
  l->split = split;
  ml_imap_server_start (l->server);
}

static void
link_clear (Link *l)
{
  ml_imap_client_free (l->client);
  ml_imap_server_free (l->server);
  ml_imap_local_store_free (l->local);
  g_ptr_array_unref (l->client_commands);
  g_ptr_array_unref (l->server_commands);
  g_ptr_array_unref (l->client_replies);
  g_ptr_array_unref (l->server_replies);
  g_rand_free (l->rand);
}

static void
drain (Link *l)
{
  MlEngineEvent ev = { 0 };

  while (ml_imap_client_next_event (l->client, &ev))
    {
      g_assert_cmpint (ev.protocol, ==, ML_PROTO_IMAP);
      if (ev.kind == ML_ENGINE_EVENT_COMMAND)
        {
          g_assert_true (ev.outgoing);
          g_ptr_array_add (l->client_commands, g_strdup (ev.line));
        }
      else if (ev.kind == ML_ENGINE_EVENT_REPLY)
        g_ptr_array_add (l->client_replies, g_strdup (ev.line));
      else if (ev.kind == ML_ENGINE_EVENT_START_TLS)
        l->client_wants_tls = TRUE;
      ml_engine_event_clear (&ev);
    }
  while (ml_imap_server_next_event (l->server, &ev))
    {
      if (ev.kind == ML_ENGINE_EVENT_COMMAND)
        g_ptr_array_add (l->server_commands, g_strdup (ev.line));
      else if (ev.kind == ML_ENGINE_EVENT_REPLY)
        g_ptr_array_add (l->server_replies, g_strdup (ev.line));
      else if (ev.kind == ML_ENGINE_EVENT_START_TLS)
        l->server_wants_tls = TRUE;
      ml_engine_event_clear (&ev);
    }
  if (l->server_wants_tls && l->client_wants_tls)
    {
      l->server_wants_tls = l->client_wants_tls = FALSE;
      l->handshakes++;
      l->commands_in_clear = l->client_commands->len;
      ml_imap_server_tls_started (l->server);
      ml_imap_client_tls_started (l->client);
      drain (l);
    }
}

/* The dialogue so far, for a failing test's log. */
static void
dump (Link *l)
{
  for (guint i = 0; i < l->client_commands->len; i++)
    g_test_message ("C: %s", (char *) l->client_commands->pdata[i]);
  for (guint i = 0; i < l->client_replies->len; i++)
    g_test_message ("S: %s", (char *) l->client_replies->pdata[i]);
}

static void
deliver (Link *l, GBytes *bytes, gboolean to_server)
{
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  gsize len = g_bytes_get_size (bytes), pos = 0;

  while (pos < len)
    {
      gsize n = len - pos;

      if (l->split == SPLIT_BYTES)
        n = 1;
      else if (l->split == SPLIT_RANDOM)
        {
          gsize piece = (gsize) g_rand_int_range (l->rand, 1, 200);

          n = MIN (n, piece);
        }
      if (to_server)
        ml_imap_server_feed (l->server, data + pos, n);
      else
        ml_imap_client_feed (l->client, data + pos, n);
      pos += n;
    }
}

/* Until neither side has anything to say; then both must have seen the
 * same dialogue. */
static void
pump (Link *l)
{
  for (guint round = 0; round < 100000; round++)
    {
      g_autoptr(GBytes) from_server = ml_imap_server_take_output (l->server);
      g_autoptr(GBytes) from_client = NULL;

      drain (l);
      if (from_server != NULL)
        deliver (l, from_server, FALSE);
      from_client = ml_imap_client_take_output (l->client);
      if (from_client != NULL)
        deliver (l, from_client, TRUE);
      drain (l);
      if (from_server == NULL && from_client == NULL)
        break;
    }
  g_assert_cmpuint (l->client_commands->len, ==, l->server_commands->len);
  for (guint i = 0; i < l->client_commands->len; i++)
    g_assert_cmpstr (l->client_commands->pdata[i], ==, l->server_commands->pdata[i]);
  if (l->client_replies->len != l->server_replies->len)
    {
      dump (l);
      for (guint i = 0; i < l->server_replies->len; i++)
        g_test_message ("server sent: %s", (char *) l->server_replies->pdata[i]);
    }
  g_assert_cmpuint (l->client_replies->len, ==, l->server_replies->len);
  for (guint i = 0; i < l->client_replies->len; i++)
    g_assert_cmpstr (l->client_replies->pdata[i], ==, l->server_replies->pdata[i]);
}

static guint
act (Link *l, MlImapActionKind kind, const char *subject, gboolean pump_now)
{
  MlImapAction a;
  guint i;

  ml_imap_action_init (&a, kind);
  a.subject = subject;
  i = ml_imap_client_add_action (l->client, &a);
  if (pump_now)
    pump (l);
  return i;
}

static const MlImapActionResult *
assert_ok (Link *l, guint index)
{
  const MlImapActionResult *r = ml_imap_client_get_result (l->client, index);

  g_assert_nonnull (r);
  if (!r->finished)
    dump (l);
  g_assert_true (r->finished);
  if (!r->ok)
    g_assert_cmpstr (r->text, ==, "(success)");
  return r;
}

static MlMessageFlags
server_flags (World *w, const char *mailbox, guint32 uid)
{
  MlMailbox *m = ml_account_find_mailbox (w->bob, mailbox);
  MlMessage *msg;

  g_assert_nonnull (m);
  msg = ml_mailbox_find_uid (m, uid);
  g_assert_nonnull (msg);
  return ml_message_get_flags (msg);
}

static const MlImapLocalMessage *
local_message (Link *l, const char *mailbox, guint32 uid)
{
  const MlImapLocalMailbox *m = ml_imap_local_store_get_mailbox (l->local, mailbox);

  g_assert_nonnull (m);
  return ml_imap_local_mailbox_find_uid (m, uid);
}

static void
logout (Link *l)
{
  act (l, ML_IMAP_ACTION_LOGOUT, NULL, TRUE);
  g_assert_true (ml_imap_client_is_done (l->client));
  g_assert_true (ml_imap_server_wants_close (l->server));
  assert_ok (l, ml_imap_client_get_n_actions (l->client) - 1);
}

/* ---- one device, every action ---- */

static void
run_actions (Split split, guint32 seed)
{
  World w;
  Link l;
  const MlImapActionResult *r;
  const MlImapLocalMessage *m;
  MlImapAction a;
  const char * const flagged[] = { "\\Flagged", NULL };
  guint i;

  world_init (&w);
  link_init (&l, &w, split, seed, NULL, NULL);

  /* imap-sync: both headers, no body. */
  r = assert_ok (&l, act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE));
  g_assert_cmpuint (r->n_new, ==, 2);
  m = local_message (&l, "INBOX", 1);
  g_assert_nonnull (m);
  g_assert_cmpstr (m->subject, ==, "Project kickoff");
  g_assert_nonnull (m->header);
  g_assert_null (m->body);
  g_assert_cmpuint (m->size, ==, sizeof msg_kickoff - 1);
  g_assert_cmpstr (ml_imap_local_store_get_mailbox (l.local, "Sent")->special_use, ==, "\\Sent");
  /* BODY.PEEK: nothing read yet on the server either. */
  g_assert_false (server_flags (&w, "INBOX", 1) & ML_FLAG_SEEN);

  /* imap-read: the body, and \Seen on the server (RFC 3501 6.4.5). */
  r = assert_ok (&l, act (&l, ML_IMAP_ACTION_READ, "kickoff", TRUE));
  m = local_message (&l, "INBOX", 1);
  g_assert_nonnull (m->body);
  g_assert_cmpmem (g_bytes_get_data (m->body, NULL), g_bytes_get_size (m->body),
                   msg_kickoff, sizeof msg_kickoff - 1);
  g_assert_true (server_flags (&w, "INBOX", 1) & ML_FLAG_SEEN);
  g_assert_true (ml_imap_local_message_has_flag (m, "\\Seen"));

  /* imap-flag */
  ml_imap_action_init (&a, ML_IMAP_ACTION_FLAG);
  a.subject = "Lunch";
  a.flags = flagged;
  i = ml_imap_client_add_action (l.client, &a);
  pump (&l);
  assert_ok (&l, i);
  g_assert_true (server_flags (&w, "INBOX", 2) & ML_FLAG_FLAGGED);
  g_assert_true (ml_imap_local_message_has_flag (local_message (&l, "INBOX", 2), "\\Flagged"));

  /* imap-search */
  ml_imap_action_init (&a, ML_IMAP_ACTION_SEARCH);
  a.criteria = "FROM \"alice\" UNSEEN";
  i = ml_imap_client_add_action (l.client, &a);
  pump (&l);
  r = assert_ok (&l, i);
  g_assert_cmpuint (r->uids->len, ==, 1);
  g_assert_cmpuint (g_array_index (r->uids, guint32, 0), ==, 2);

  /* imap-create-folder, imap-move */
  ml_imap_action_init (&a, ML_IMAP_ACTION_CREATE_FOLDER);
  a.folder = "Projects";
  i = ml_imap_client_add_action (l.client, &a);
  pump (&l);
  assert_ok (&l, i);
  g_assert_nonnull (ml_account_find_mailbox (w.bob, "Projects"));
  ml_imap_action_init (&a, ML_IMAP_ACTION_MOVE);
  a.subject = "kickoff";
  a.folder = "Projects";
  i = ml_imap_client_add_action (l.client, &a);
  pump (&l);
  r = assert_ok (&l, i);
  g_assert_cmpuint (r->new_uids->len, ==, 1);
  g_assert_cmpuint (ml_mailbox_get_count (w.inbox), ==, 1);
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_find_mailbox (w.bob, "Projects")), ==, 1);
  g_assert_true (server_flags (&w, "Projects", g_array_index (r->new_uids, guint32, 0)) & ML_FLAG_SEEN);
  g_assert_null (local_message (&l, "INBOX", 1));

  /* imap-delete without EXPUNGE: still there, \Deleted. */
  ml_imap_action_init (&a, ML_IMAP_ACTION_DELETE);
  a.subject = "Lunch";
  a.expunge = FALSE;
  i = ml_imap_client_add_action (l.client, &a);
  pump (&l);
  assert_ok (&l, i);
  g_assert_cmpuint (ml_mailbox_get_count (w.inbox), ==, 1);
  g_assert_true (server_flags (&w, "INBOX", 2) & ML_FLAG_DELETED);
  g_assert_true (ml_imap_local_message_has_flag (local_message (&l, "INBOX", 2), "\\Deleted"));

  /* ...and with it. */
  a.expunge = TRUE;
  i = ml_imap_client_add_action (l.client, &a);
  pump (&l);
  assert_ok (&l, i);
  g_assert_cmpuint (ml_mailbox_get_count (w.inbox), ==, 0);
  g_assert_null (local_message (&l, "INBOX", 2));

  logout (&l);
  link_clear (&l);
  ml_mail_store_free (w.store);
}

static void
test_actions_whole (void)
{
  run_actions (SPLIT_WHOLE, 1);
}

static void
test_actions_bytes (void)
{
  run_actions (SPLIT_BYTES, 1);
}

static void
test_actions_random (void)
{
  for (guint32 seed = 1; seed <= 10; seed++)
    run_actions (SPLIT_RANDOM, seed);
}

/* Without MOVE and UIDPLUS on the client side: COPY, STORE, EXPUNGE. */
static void
test_move_by_copy (void)
{
  World w;
  Link l;
  MlImapClientConfig cc;
  MlImapAction a;
  guint i;

  world_init (&w);
  ml_imap_client_config_init (&cc);
  cc.username = BOB;
  cc.password = BOB_PASS;
  cc.use_move = FALSE;
  cc.use_uidplus = FALSE;
  link_init (&l, &w, SPLIT_WHOLE, 1, &cc, NULL);
  assert_ok (&l, act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE));
  ml_imap_action_init (&a, ML_IMAP_ACTION_MOVE);
  a.subject = "Lunch";
  a.folder = "Trash";
  i = ml_imap_client_add_action (l.client, &a);
  pump (&l);
  assert_ok (&l, i);
  g_assert_cmpstr (l.client_commands->pdata[l.client_commands->len - 3], ==, "a5 UID COPY 2 Trash");
  g_assert_cmpstr (l.client_commands->pdata[l.client_commands->len - 1], ==, "a7 EXPUNGE");
  g_assert_cmpuint (ml_mailbox_get_count (w.inbox), ==, 1);
  g_assert_cmpuint (ml_mailbox_get_count (ml_account_find_mailbox (w.bob, "Trash")), ==, 1);
  logout (&l);
  link_clear (&l);
  ml_mail_store_free (w.store);
}

/* Synchronizing literals against a server without LITERAL+, AUTHENTICATE
 * PLAIN without SASL-IR: every "+" round trip, byte by byte. */
static void
test_literals_and_plain (void)
{
  World w;
  Link l;
  MlImapClientConfig cc;
  MlImapServerConfig sc;

  world_init (&w);
  ml_imap_client_config_init (&cc);
  cc.username = BOB;
  cc.password = BOB_PASS;
  cc.literal_strings = TRUE;
  ml_imap_server_config_init (&sc);
  sc.offer_literal_plus = FALSE;
  link_init (&l, &w, SPLIT_BYTES, 1, &cc, &sc);
  assert_ok (&l, act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE));
  g_assert_cmpstr (l.client_commands->pdata[0], ==, "a1 LOGIN {13}\nbob@b.example {10}\nbob-secret");
  logout (&l);
  link_clear (&l);

  cc.literal_strings = FALSE;
  cc.auth = ML_IMAP_CLIENT_AUTH_PLAIN;
  cc.use_sasl_ir = FALSE;
  link_init (&l, &w, SPLIT_RANDOM, 3, &cc, NULL);
  assert_ok (&l, act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE));
  g_assert_cmpstr (l.client_commands->pdata[0], ==, "a1 AUTHENTICATE PLAIN");
  logout (&l);
  link_clear (&l);
  ml_mail_store_free (w.store);
}

static void
test_login_refused (void)
{
  World w;
  Link l;
  MlImapClientConfig cc;
  guint i;

  world_init (&w);
  ml_imap_client_config_init (&cc);
  cc.username = BOB;
  cc.password = "wrong";
  link_init (&l, &w, SPLIT_WHOLE, 1, &cc, NULL);
  i = act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE);
  g_assert_false (ml_imap_client_get_result (l.client, i)->ok);
  g_assert_true (ml_imap_client_is_done (l.client));
  g_assert_true (ml_imap_server_wants_close (l.server));
  link_clear (&l);
  ml_mail_store_free (w.store);
}

/* ---- STARTTLS and AUTHENTICATE (RFC 3501 6.2, RFC 2595 3.1) ---- */

static void
tls_server_config (MlImapServerConfig *sc, guint64 seed)
{
  ml_imap_server_config_init (sc);
  sc->hostname = "mail.b.example";
  sc->offer_starttls = TRUE;
  sc->allow_plaintext_login = FALSE;
  sc->sasl_mechanisms = (1u << ML_SASL_PLAIN) | (1u << ML_SASL_LOGIN)
                        | (1u << ML_SASL_SCRAM_SHA_256);
  sc->nonce_seed = seed;
}

static void
tls_client_config (MlImapClientConfig *cc, MlImapClientTls tls, MlImapClientAuth auth)
{
  ml_imap_client_config_init (cc);
  cc->username = BOB;
  cc->password = BOB_PASS;
  cc->tls = tls;
  cc->auth = auth;
  cc->nonce_seed = 17;
}

static void
run_starttls (Split split, guint32 seed, MlImapClientAuth auth, gboolean sasl_ir)
{
  World w;
  Link l;
  MlImapClientConfig cc;
  MlImapServerConfig sc;

  world_init (&w);
  tls_client_config (&cc, ML_IMAP_CLIENT_TLS_REQUIRED, auth);
  cc.use_sasl_ir = sasl_ir;
  tls_server_config (&sc, seed);
  link_init (&l, &w, split, seed, &cc, &sc);
  assert_ok (&l, act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE));
  g_assert_cmpuint (l.handshakes, ==, 1);
  g_assert_true (ml_imap_client_is_tls (l.client));
  g_assert_true (ml_imap_server_is_tls (l.server));
  /* In clear: STARTTLS alone; then CAPABILITY again (RFC 3501 6.2.1). */
  g_assert_cmpuint (l.commands_in_clear, ==, 1);
  g_assert_cmpstr (l.client_commands->pdata[0], ==, "a1 STARTTLS");
  g_assert_cmpstr (l.client_commands->pdata[1], ==, "a2 CAPABILITY");
  g_assert_cmpuint (ml_imap_client_get_local (l.client, "INBOX")->messages->len, ==, 2);
  logout (&l);
  link_clear (&l);
  ml_mail_store_free (w.store);
}

static void
test_starttls_logins (void)
{
  static const MlImapClientAuth auths[] = {
    ML_IMAP_CLIENT_AUTH_LOGIN, ML_IMAP_CLIENT_AUTH_PLAIN, ML_IMAP_CLIENT_AUTH_SCRAM_SHA_256,
  };

  for (guint i = 0; i < G_N_ELEMENTS (auths); i++)
    {
      run_starttls (SPLIT_WHOLE, 40 + i, auths[i], TRUE);
      run_starttls (SPLIT_BYTES, 50 + i, auths[i], FALSE);
      run_starttls (SPLIT_RANDOM, 60 + i, auths[i], i % 2 == 0);
    }
}

/* No STARTTLS on offer (a server without it, or a man in the middle who
 * removed it): the client that requires TLS logs out without a word of
 * its password; the opportunistic one logs in in clear. */
static void
test_starttls_missing (void)
{
  World w;
  Link l;
  MlImapClientConfig cc;
  guint i;

  world_init (&w);
  tls_client_config (&cc, ML_IMAP_CLIENT_TLS_REQUIRED, ML_IMAP_CLIENT_AUTH_LOGIN);
  link_init (&l, &w, SPLIT_WHOLE, 70, &cc, NULL);
  i = act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE);
  g_assert_false (ml_imap_client_get_result (l.client, i)->ok);
  g_assert_cmpstr (ml_imap_client_get_result (l.client, i)->text, ==,
                   "TLS required but the server does not offer STARTTLS");
  g_assert_cmpuint (l.client_commands->len, ==, 1);
  g_assert_cmpstr (l.client_commands->pdata[0], ==, "a1 LOGOUT");
  link_clear (&l);

  tls_client_config (&cc, ML_IMAP_CLIENT_TLS_OPPORTUNISTIC, ML_IMAP_CLIENT_AUTH_LOGIN);
  link_init (&l, &w, SPLIT_RANDOM, 71, &cc, NULL);
  assert_ok (&l, act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE));
  g_assert_cmpuint (l.handshakes, ==, 0);
  g_assert_cmpstr (l.client_commands->pdata[0], ==, "a1 LOGIN " BOB " " BOB_PASS);
  logout (&l);
  link_clear (&l);
  ml_mail_store_free (w.store);
}

/* SCRAM keeps the password without TLS; a wrong one fails, with the
 * server's delay, and the account stays usable. */
static void
test_scram_in_clear (void)
{
  World w;
  Link l;
  MlImapClientConfig cc;
  MlImapServerConfig sc;
  guint i;

  world_init (&w);
  tls_client_config (&cc, ML_IMAP_CLIENT_TLS_NONE, ML_IMAP_CLIENT_AUTH_SCRAM_SHA_256);
  tls_server_config (&sc, 80);
  link_init (&l, &w, SPLIT_RANDOM, 80, &cc, &sc);
  assert_ok (&l, act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE));
  g_assert_cmpuint (l.handshakes, ==, 0);
  g_assert_true (g_str_has_prefix (l.client_commands->pdata[0], "a1 AUTHENTICATE SCRAM-SHA-256 "));
  logout (&l);
  link_clear (&l);

  cc.password = "guess";
  link_init (&l, &w, SPLIT_WHOLE, 81, &cc, &sc);
  i = act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE);
  g_assert_false (ml_imap_client_get_result (l.client, i)->ok);
  g_assert_cmpuint (ml_imap_server_get_n_auth_failures (l.server), ==, 1);
  g_assert_cmpuint (ml_imap_server_take_delay_ms (l.server), ==, 1000);
  g_assert_true (ml_imap_client_is_done (l.client));
  link_clear (&l);

  /* PLAIN is not offered before TLS: the client does not try LOGIN. */
  tls_client_config (&cc, ML_IMAP_CLIENT_TLS_NONE, ML_IMAP_CLIENT_AUTH_PLAIN);
  link_init (&l, &w, SPLIT_WHOLE, 82, &cc, &sc);
  i = act (&l, ML_IMAP_ACTION_SYNC, NULL, TRUE);
  g_assert_cmpstr (ml_imap_client_get_result (l.client, i)->text, ==,
                   "the server refuses LOGIN (LOGINDISABLED) and offers no AUTH=PLAIN");
  link_clear (&l);
  ml_mail_store_free (w.store);
}

/* ---- two devices, one account ---- */

static void
run_two_devices (Split split, guint32 seed)
{
  World w;
  Link laptop, phone;
  MlImapAction a;
  const char * const flagged[] = { "\\Flagged", NULL };
  const MlImapActionResult *r;
  guint idle, i;
  g_autoptr(GBytes) room = g_bytes_new_static (msg_room, sizeof msg_room - 1);

  world_init (&w);
  link_init (&laptop, &w, split, seed, NULL, NULL);
  link_init (&phone, &w, split, seed + 100, NULL, NULL);
  assert_ok (&laptop, act (&laptop, ML_IMAP_ACTION_SYNC, NULL, TRUE));
  assert_ok (&phone, act (&phone, ML_IMAP_ACTION_SYNC, NULL, TRUE));

  /* The phone flags "Lunch?"; the laptop learns it on its next sync. */
  ml_imap_action_init (&a, ML_IMAP_ACTION_FLAG);
  a.subject = "Lunch";
  a.flags = flagged;
  i = ml_imap_client_add_action (phone.client, &a);
  pump (&phone);
  assert_ok (&phone, i);
  g_assert_false (ml_imap_local_message_has_flag (local_message (&laptop, "INBOX", 2), "\\Flagged"));
  r = assert_ok (&laptop, act (&laptop, ML_IMAP_ACTION_SYNC, NULL, TRUE));
  g_assert_cmpuint (r->n_changed, ==, 1);
  g_assert_cmpuint (r->n_new, ==, 0);
  g_assert_true (ml_imap_local_message_has_flag (local_message (&laptop, "INBOX", 2), "\\Flagged"));

  /* The laptop idles; the phone reads "kickoff": the server pushes the
   * new \Seen to the laptop, which wakes up (RFC 2177). */
  idle = act (&laptop, ML_IMAP_ACTION_IDLE, NULL, TRUE);
  g_assert_true (ml_imap_client_is_idling (laptop.client));
  i = act (&phone, ML_IMAP_ACTION_READ, "kickoff", TRUE);
  assert_ok (&phone, i);
  g_assert_cmpuint (laptop.wakeups, >, 0);
  pump (&laptop);
  r = assert_ok (&laptop, idle);
  g_assert_true (r->woken);
  g_assert_true (ml_imap_local_message_has_flag (local_message (&laptop, "INBOX", 1), "\\Seen"));
  g_assert_null (local_message (&laptop, "INBOX", 1)->body);

  /* Idle again; new mail is delivered into the store (as the MDA does):
   * EXISTS is pushed and the laptop fetches the new header. */
  idle = act (&laptop, ML_IMAP_ACTION_IDLE, NULL, TRUE);
  g_assert_true (ml_imap_client_is_idling (laptop.client));
  g_assert_cmpuint (ml_mailbox_append (w.inbox, room, ML_FLAG_RECENT, T0 + 120), ==, 3);
  pump (&laptop);
  r = assert_ok (&laptop, idle);
  g_assert_true (r->woken);
  g_assert_cmpuint (r->n_new, ==, 1);
  g_assert_cmpstr (local_message (&laptop, "INBOX", 3)->subject, ==, "Room booked");

  /* The laptop moves "kickoff" away; the phone's sync drops it and gets
   * the new one. */
  ml_imap_action_init (&a, ML_IMAP_ACTION_MOVE);
  a.subject = "kickoff";
  a.folder = "Trash";
  i = ml_imap_client_add_action (laptop.client, &a);
  pump (&laptop);
  assert_ok (&laptop, i);
  r = assert_ok (&phone, act (&phone, ML_IMAP_ACTION_SYNC, NULL, TRUE));
  g_assert_cmpuint (r->n_removed, ==, 1);
  g_assert_cmpuint (r->n_new, ==, 1);
  g_assert_null (local_message (&phone, "INBOX", 1));
  g_assert_nonnull (local_message (&phone, "INBOX", 3));
  {
    g_autofree char *laptop_view = ml_imap_local_store_dup_summary (laptop.local);
    g_autofree char *phone_view = ml_imap_local_store_dup_summary (phone.local);
    g_auto(GStrv) a_lines = g_strsplit (laptop_view, "\n", -1);
    g_auto(GStrv) b_lines = g_strsplit (phone_view, "\n", -1);

    /* Same INBOX on both devices; only the phone downloaded a body, and
     * that one is gone. */
    g_assert_cmpstr (a_lines[0], ==, b_lines[0]);
    g_assert_cmpstr (a_lines[0], ==, "INBOX uidvalidity 1 uidnext 4 exists 2: 2 (\\Flagged) header; 3 () header");
  }

  logout (&laptop);
  logout (&phone);
  link_clear (&laptop);
  link_clear (&phone);
  ml_mail_store_free (w.store);
}

static void
test_two_devices_whole (void)
{
  run_two_devices (SPLIT_WHOLE, 1);
}

static void
test_two_devices_bytes (void)
{
  run_two_devices (SPLIT_BYTES, 1);
}

static void
test_two_devices_random (void)
{
  for (guint32 seed = 1; seed <= 10; seed++)
    run_two_devices (SPLIT_RANDOM, seed);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/imap-pair/actions/whole", test_actions_whole);
  g_test_add_func ("/imap-pair/actions/bytes", test_actions_bytes);
  g_test_add_func ("/imap-pair/actions/random", test_actions_random);
  g_test_add_func ("/imap-pair/move-by-copy", test_move_by_copy);
  g_test_add_func ("/imap-pair/literals-and-plain", test_literals_and_plain);
  g_test_add_func ("/imap-pair/login-refused", test_login_refused);
  g_test_add_func ("/imap-pair/starttls/logins", test_starttls_logins);
  g_test_add_func ("/imap-pair/starttls/missing", test_starttls_missing);
  g_test_add_func ("/imap-pair/sasl/scram-in-clear", test_scram_in_clear);
  g_test_add_func ("/imap-pair/two-devices/whole", test_two_devices_whole);
  g_test_add_func ("/imap-pair/two-devices/bytes", test_two_devices_bytes);
  g_test_add_func ("/imap-pair/two-devices/random", test_two_devices_random);

  return g_test_run ();
}

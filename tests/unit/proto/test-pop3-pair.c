/* Our POP3 client against our POP3 server through an in-memory link, over
 * a real mail store: the output of one is fed to the other until both are
 * quiet. Each run is made whole, one byte at a time, and in random pieces;
 * the fetched messages must be byte for byte what the store holds, and the
 * two engines must agree on every line that crossed. */
#include <string.h>
#include "proto/pop3-client.h"
#include "proto/pop3-server.h"

typedef enum {
  SPLIT_WHOLE,
  SPLIT_BYTES,
  SPLIT_RANDOM,
} Split;

static const char *const messages[] = {
  "From: alice@a.example\r\nTo: bob@b.example\r\nSubject: Dinner\r\n\r\nSaturday, 7 pm?\r\n",
  /* Every line a stuffing case (RFC 1939 3). */
  "Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\n. \r\n\r\nend.\r\n",
  "Subject: empty body\r\n\r\n",
};

typedef struct {
  MlMailStore  *store;
  MlAccount    *bob;
  MlMailbox    *inbox;
  MlPop3Client *client;
  MlPop3Server *server;
  GPtrArray    *client_commands;  /* lines the client sent */
  GPtrArray    *server_commands;  /* lines the server read */
  GPtrArray    *client_replies;   /* what the client read */
  GPtrArray    *server_replies;   /* what the server sent */
  GRand        *rand;
  Split         split;
  gboolean      plaintext_refused;  /* the server takes no USER/PASS */
  /* The server offers STLS and every SASL mechanism, and takes no
   * password in clear (implies plaintext_refused). */
  gboolean      tls_server;
  /* Fake TLS: each side asked with START_TLS; the handshake is the two
   * tls_started() calls once both have (sim/tls/ has the real one). */
  gboolean      server_wants_tls;
  gboolean      client_wants_tls;
  guint         handshakes;
  guint         commands_in_clear;  /* client lines before the handshake */
} Pair;

static void
store_init (Pair *p)
{
  p->store = ml_mail_store_new ();
  p->bob = ml_mail_store_add_account (p->store, "bob@b.example", "bob-secret");
  p->inbox = ml_account_get_inbox (p->bob);
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr(GBytes) b = g_bytes_new_static (messages[i], strlen (messages[i]));

      g_assert_cmpuint (ml_mailbox_append (p->inbox, b, 0, 1709620000), !=, 0);
    }
}

static void
session_init (Pair *p, Split split, guint32 seed, const MlPop3ClientConfig *client_config)
{
  MlPop3ClientConfig cc;
  MlPop3ServerConfig sc;

  if (client_config == NULL)
    {
      ml_pop3_client_config_init (&cc);
      cc.user = "bob@b.example";
      cc.password = "bob-secret";
      client_config = &cc;
    }
  ml_pop3_server_config_init (&sc);
  sc.hostname = "mail.b.example";
  sc.session_id = seed;
  sc.allow_plaintext_auth = (p->plaintext_refused || p->tls_server) ? FALSE : TRUE;
  if (p->tls_server)
    {
      sc.offer_stls = TRUE;
      sc.sasl_mechanisms = (1u << ML_SASL_PLAIN) | (1u << ML_SASL_LOGIN)
                           | (1u << ML_SASL_SCRAM_SHA_256);
      sc.nonce_seed = seed;
    }
  p->client = ml_pop3_client_new (client_config);
  p->server = ml_pop3_server_new (p->store, &sc);
  ml_pop3_server_set_now (p->server, G_GINT64_CONSTANT (1709625600) * G_USEC_PER_SEC);
  p->client_commands = g_ptr_array_new_with_free_func (g_free);
  p->server_commands = g_ptr_array_new_with_free_func (g_free);
  p->client_replies = g_ptr_array_new_with_free_func (g_free);
  p->server_replies = g_ptr_array_new_with_free_func (g_free);
  p->rand = g_rand_new_with_seed (seed);
  p->split = split;
}

static void
session_clear (Pair *p)
{
  g_clear_pointer (&p->client, ml_pop3_client_free);
  g_clear_pointer (&p->server, ml_pop3_server_free);
  g_clear_pointer (&p->client_commands, g_ptr_array_unref);
  g_clear_pointer (&p->server_commands, g_ptr_array_unref);
  g_clear_pointer (&p->client_replies, g_ptr_array_unref);
  g_clear_pointer (&p->server_replies, g_ptr_array_unref);
  g_clear_pointer (&p->rand, g_rand_free);
}

static void
drain (Pair *p)
{
  MlEngineEvent ev = { 0 };

  while (ml_pop3_client_next_event (p->client, &ev))
    {
      if (ev.kind == ML_ENGINE_EVENT_COMMAND)
        g_ptr_array_add (p->client_commands, g_strdup (ev.line));
      else if (ev.kind == ML_ENGINE_EVENT_REPLY)
        g_ptr_array_add (p->client_replies, g_strdup (ev.line));
      else if (ev.kind == ML_ENGINE_EVENT_START_TLS)
        p->client_wants_tls = TRUE;
      ml_engine_event_clear (&ev);
    }
  while (ml_pop3_server_next_event (p->server, &ev))
    {
      if (ev.kind == ML_ENGINE_EVENT_COMMAND)
        g_ptr_array_add (p->server_commands, g_strdup (ev.line));
      else if (ev.kind == ML_ENGINE_EVENT_REPLY)
        g_ptr_array_add (p->server_replies, g_strdup (ev.line));
      else if (ev.kind == ML_ENGINE_EVENT_START_TLS)
        p->server_wants_tls = TRUE;
      ml_engine_event_clear (&ev);
    }
  if (p->server_wants_tls && p->client_wants_tls)
    {
      p->server_wants_tls = p->client_wants_tls = FALSE;
      p->handshakes++;
      p->commands_in_clear = p->client_commands->len;
      ml_pop3_server_tls_started (p->server);
      ml_pop3_client_tls_started (p->client);
      drain (p);
    }
}

static void
deliver (Pair *p, GBytes *bytes, gboolean to_server)
{
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  gsize len = g_bytes_get_size (bytes), pos = 0;

  while (pos < len)
    {
      gsize n = len - pos;

      if (p->split == SPLIT_BYTES)
        n = 1;
      else if (p->split == SPLIT_RANDOM)
        {
          /* MIN() evaluates its arguments twice: draw once. */
          gsize piece = (gsize) g_rand_int_range (p->rand, 1, 40);

          n = MIN (n, piece);
        }
      if (to_server)
        ml_pop3_server_feed (p->server, data + pos, n);
      else
        ml_pop3_client_feed (p->client, data + pos, n);
      pos += n;
    }
}

/* Until neither side has anything to say. */
static void
pump (Pair *p)
{
  ml_pop3_server_start (p->server);
  for (guint round = 0; round < 10000; round++)
    {
      g_autoptr(GBytes) from_server = ml_pop3_server_take_output (p->server);
      g_autoptr(GBytes) from_client = NULL;

      drain (p);
      if (from_server != NULL)
        deliver (p, from_server, FALSE);
      from_client = ml_pop3_client_take_output (p->client);
      if (from_client != NULL)
        deliver (p, from_client, TRUE);
      drain (p);
      if (from_server == NULL && from_client == NULL)
        break;
    }
  g_assert_true (ml_pop3_client_is_done (p->client));
  if (!ml_pop3_server_wants_close (p->server))
    {
      for (guint i = 0; i < p->client_commands->len; i++)
        g_test_message ("C: %s", (char *) p->client_commands->pdata[i]);
      for (guint i = 0; i < p->client_replies->len; i++)
        g_test_message ("R: %s", (char *) p->client_replies->pdata[i]);
      g_test_message ("client error: %s", ml_pop3_client_get_error (p->client));
    }
  g_assert_true (ml_pop3_server_wants_close (p->server));

  /* Both ends saw the same dialogue. */
  g_assert_cmpuint (p->client_commands->len, ==, p->server_commands->len);
  for (guint i = 0; i < p->client_commands->len; i++)
    g_assert_cmpstr (p->client_commands->pdata[i], ==, p->server_commands->pdata[i]);
  g_assert_cmpuint (p->client_replies->len, ==, p->server_replies->len);
  for (guint i = 0; i < p->client_replies->len; i++)
    g_assert_cmpstr (p->client_replies->pdata[i], ==, p->server_replies->pdata[i]);
}

static void
assert_fetched_all (Pair *p)
{
  g_assert_cmpuint (ml_pop3_client_get_n_messages (p->client), ==, G_N_ELEMENTS (messages));
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      const MlPop3FetchedMessage *m = ml_pop3_client_get_message (p->client, i);
      g_autofree char *got = g_strndup (g_bytes_get_data (m->data, NULL),
                                        g_bytes_get_size (m->data));

      g_assert_cmpuint (m->number, ==, i + 1);
      g_assert_cmpstr (got, ==, messages[i]);
      g_assert_cmpuint (m->size, ==, strlen (messages[i]));
    }
}

static void
run_delete (Split split, guint32 seed, gboolean pipelining)
{
  Pair p = { 0 };
  MlPop3ClientConfig cc;

  ml_pop3_client_config_init (&cc);
  cc.user = "bob@b.example";
  cc.password = "bob-secret";
  cc.use_pipelining = pipelining;
  store_init (&p);
  session_init (&p, split, seed, &cc);
  pump (&p);
  g_assert_null (ml_pop3_client_get_error (p.client));
  assert_fetched_all (&p);
  /* QUIT's UPDATE removed them all (RFC 1939 6). */
  g_assert_cmpuint (ml_pop3_client_get_n_deleted (p.client), ==, G_N_ELEMENTS (messages));
  g_assert_cmpuint (ml_mailbox_get_count (p.inbox), ==, 0);
  g_assert_false (ml_account_is_locked (p.bob));
  session_clear (&p);
  ml_mail_store_free (p.store);
}

static void
test_delete (void)
{
  run_delete (SPLIT_WHOLE, 1, TRUE);
  run_delete (SPLIT_WHOLE, 1, FALSE);
  run_delete (SPLIT_BYTES, 2, TRUE);
  run_delete (SPLIT_BYTES, 2, FALSE);
  for (guint32 seed = 10; seed < 30; seed++)
    run_delete (SPLIT_RANDOM, seed, seed % 2 == 0);
}

/* Leave on server, twice: the second time only the new message comes. */
static void
test_keep_with_uidl_memory (void)
{
  Pair p = { 0 };
  MlPop3ClientConfig cc;
  g_auto(GStrv) remembered = NULL;
  g_autoptr(GBytes) late = g_bytes_new_static ("Subject: late\r\n\r\nnew\r\n", 22);

  ml_pop3_client_config_init (&cc);
  cc.user = "bob@b.example";
  cc.password = "bob-secret";
  cc.keep = TRUE;
  store_init (&p);
  session_init (&p, SPLIT_WHOLE, 3, &cc);
  pump (&p);
  assert_fetched_all (&p);
  g_assert_cmpuint (ml_mailbox_get_count (p.inbox), ==, G_N_ELEMENTS (messages));
  remembered = g_strdupv ((GStrv) ml_pop3_client_get_server_uidls (p.client));
  g_assert_cmpuint (g_strv_length (remembered), ==, G_N_ELEMENTS (messages));
  session_clear (&p);

  g_assert_cmpuint (ml_mailbox_append (p.inbox, late, 0, 1709630000), !=, 0);
  cc.known_uidls = (const char * const *) remembered;
  session_init (&p, SPLIT_RANDOM, 4, &cc);
  pump (&p);
  g_assert_cmpuint (ml_pop3_client_get_n_messages (p.client), ==, 1);
  g_assert_cmpuint (ml_pop3_client_get_message (p.client, 0)->number, ==, 4);
  g_assert_true (g_bytes_equal (ml_pop3_client_get_message (p.client, 0)->data, late));
  g_assert_cmpuint (ml_mailbox_get_count (p.inbox), ==, G_N_ELEMENTS (messages) + 1);
  session_clear (&p);
  ml_mail_store_free (p.store);
}

static void
test_apop (void)
{
  Pair p = { 0 };
  MlPop3ClientConfig cc;

  ml_pop3_client_config_init (&cc);
  cc.user = "bob@b.example";
  cc.password = "bob-secret";
  cc.use_apop = TRUE;
  store_init (&p);
  session_init (&p, SPLIT_BYTES, 5, &cc);
  pump (&p);
  g_assert_null (ml_pop3_client_get_error (p.client));
  g_assert_true (g_str_has_prefix (p.client_commands->pdata[1], "APOP bob@b.example "));
  assert_fetched_all (&p);
  session_clear (&p);
  ml_mail_store_free (p.store);
}

/* A server that refuses USER/PASS leaves USER out of CAPA; the client
 * logs in with APOP unasked. */
static void
test_apop_unasked (void)
{
  Pair p = { 0 };

  store_init (&p);
  p.plaintext_refused = TRUE;
  session_init (&p, SPLIT_RANDOM, 9, NULL);
  pump (&p);
  g_assert_null (ml_pop3_client_get_error (p.client));
  g_assert_true (g_str_has_prefix (p.client_commands->pdata[1], "APOP bob@b.example "));
  assert_fetched_all (&p);
  session_clear (&p);
  ml_mail_store_free (p.store);
}

static void
test_wrong_password (void)
{
  Pair p = { 0 };
  MlPop3ClientConfig cc;

  ml_pop3_client_config_init (&cc);
  cc.user = "bob@b.example";
  cc.password = "guess";
  store_init (&p);
  session_init (&p, SPLIT_WHOLE, 6, &cc);
  pump (&p);
  g_assert_cmpstr (ml_pop3_client_get_error_code (p.client), ==, "AUTH");
  g_assert_cmpuint (ml_pop3_client_get_n_messages (p.client), ==, 0);
  g_assert_cmpuint (ml_mailbox_get_count (p.inbox), ==, G_N_ELEMENTS (messages));
  session_clear (&p);
  ml_mail_store_free (p.store);
}

/* A second device while the first holds the maildrop: [IN-USE]. */
static void
test_in_use (void)
{
  Pair p = { 0 };

  store_init (&p);
  g_assert_true (ml_account_try_lock (p.bob, &p));
  session_init (&p, SPLIT_WHOLE, 7, NULL);
  pump (&p);
  g_assert_cmpstr (ml_pop3_client_get_error_code (p.client), ==, "IN-USE");
  g_assert_cmpuint (ml_mailbox_get_count (p.inbox), ==, G_N_ELEMENTS (messages));
  ml_account_unlock (p.bob, &p);
  session_clear (&p);
  ml_mail_store_free (p.store);
}

/* The link drops after the DELEs were answered, before QUIT's answer:
 * nothing leaves the store (RFC 1939 6), and the client claims nothing. */
static void
test_dropped_before_quit (void)
{
  Pair p = { 0 };
  MlPop3ClientConfig cc;

  ml_pop3_client_config_init (&cc);
  cc.user = "bob@b.example";
  cc.password = "bob-secret";
  cc.use_pipelining = FALSE;
  store_init (&p);
  session_init (&p, SPLIT_WHOLE, 8, &cc);
  ml_pop3_server_start (p.server);
  for (guint round = 0; round < 1000; round++)
    {
      g_autoptr(GBytes) from_server = ml_pop3_server_take_output (p.server);
      g_autoptr(GBytes) from_client = NULL;

      drain (&p);
      if (from_server != NULL)
        deliver (&p, from_server, FALSE);
      from_client = ml_pop3_client_take_output (p.client);
      drain (&p);
      if (from_client != NULL)
        {
          gsize len = g_bytes_get_size (from_client);

          if (len >= 6 && memcmp ((const char *) g_bytes_get_data (from_client, NULL) + len - 6,
                                  "QUIT\r\n", 6) == 0)
            break;
          deliver (&p, from_client, TRUE);
        }
    }
  ml_pop3_server_connection_lost (p.server);
  ml_pop3_client_connection_lost (p.client);
  g_assert_cmpuint (ml_pop3_client_get_n_messages (p.client), ==, G_N_ELEMENTS (messages));
  g_assert_cmpuint (ml_pop3_client_get_n_deleted (p.client), ==, 0);
  g_assert_cmpuint (ml_mailbox_get_count (p.inbox), ==, G_N_ELEMENTS (messages));
  g_assert_false (ml_account_is_locked (p.bob));
  session_clear (&p);
  ml_mail_store_free (p.store);
}

/* ---- STLS and AUTH (RFC 2595 4, RFC 5034) ---- */

static void
tls_config (MlPop3ClientConfig *cc, MlPop3ClientTls tls, MlPop3ClientAuth auth,
            MlSaslMechanism mechanism)
{
  ml_pop3_client_config_init (cc);
  cc->user = "bob@b.example";
  cc->password = "bob-secret";
  cc->tls = tls;
  cc->auth = auth;
  cc->sasl_mechanism = mechanism;
  cc->nonce_seed = 99;
}

static void
run_stls (Split split, guint32 seed, MlPop3ClientAuth auth, MlSaslMechanism mechanism)
{
  Pair p = { 0 };
  MlPop3ClientConfig cc;

  tls_config (&cc, ML_POP3_CLIENT_TLS_REQUIRED, auth, mechanism);
  store_init (&p);
  p.tls_server = TRUE;
  session_init (&p, split, seed, &cc);
  pump (&p);
  g_assert_null (ml_pop3_client_get_error (p.client));
  g_assert_cmpuint (p.handshakes, ==, 1);
  g_assert_true (ml_pop3_client_is_tls (p.client));
  g_assert_true (ml_pop3_server_is_tls (p.server));
  /* In clear: CAPA and STLS, nothing else; CAPA again inside (RFC 2595 4). */
  g_assert_cmpuint (p.commands_in_clear, ==, 2);
  g_assert_cmpstr (p.client_commands->pdata[0], ==, "CAPA");
  g_assert_cmpstr (p.client_commands->pdata[1], ==, "STLS");
  g_assert_cmpstr (p.client_commands->pdata[2], ==, "CAPA");
  g_assert_true (g_strv_contains (ml_pop3_client_get_capabilities (p.client), "USER"));
  g_assert_false (g_strv_contains (ml_pop3_client_get_capabilities (p.client), "STLS"));
  assert_fetched_all (&p);
  g_assert_cmpuint (ml_mailbox_get_count (p.inbox), ==, 0);
  session_clear (&p);
  ml_mail_store_free (p.store);
}

static void
test_stls_user_pass (void)
{
  run_stls (SPLIT_WHOLE, 20, ML_POP3_CLIENT_AUTH_USER, ML_SASL_PLAIN);
  run_stls (SPLIT_BYTES, 21, ML_POP3_CLIENT_AUTH_USER, ML_SASL_PLAIN);
  for (guint32 seed = 22; seed < 30; seed++)
    run_stls (SPLIT_RANDOM, seed, ML_POP3_CLIENT_AUTH_USER, ML_SASL_PLAIN);
}

static void
test_stls_sasl (void)
{
  for (MlSaslMechanism m = 0; m < ML_SASL_N_MECHANISMS; m++)
    {
      run_stls (SPLIT_WHOLE, 30 + m, ML_POP3_CLIENT_AUTH_SASL, m);
      run_stls (SPLIT_BYTES, 40 + m, ML_POP3_CLIENT_AUTH_SASL, m);
      run_stls (SPLIT_RANDOM, 50 + m, ML_POP3_CLIENT_AUTH_SASL, m);
    }
}

/* SCRAM needs no TLS to keep the password: the server allows it in clear. */
static void
test_scram_in_clear (void)
{
  Pair p = { 0 };
  MlPop3ClientConfig cc;

  tls_config (&cc, ML_POP3_CLIENT_TLS_NONE, ML_POP3_CLIENT_AUTH_SASL, ML_SASL_SCRAM_SHA_256);
  store_init (&p);
  p.tls_server = TRUE;
  session_init (&p, SPLIT_RANDOM, 60, &cc);
  pump (&p);
  g_assert_null (ml_pop3_client_get_error (p.client));
  g_assert_cmpuint (p.handshakes, ==, 0);
  g_assert_true (g_str_has_prefix (p.client_commands->pdata[1], "AUTH SCRAM-SHA-256 "));
  assert_fetched_all (&p);
  session_clear (&p);
  ml_mail_store_free (p.store);
}

/* A server (or a man in the middle) without STLS: the client that requires
 * TLS sends no credential; the opportunistic one goes on in clear. */
static void
test_stls_missing (void)
{
  Pair p = { 0 };
  MlPop3ClientConfig cc;

  tls_config (&cc, ML_POP3_CLIENT_TLS_REQUIRED, ML_POP3_CLIENT_AUTH_USER, ML_SASL_PLAIN);
  store_init (&p);
  session_init (&p, SPLIT_WHOLE, 61, &cc);
  pump (&p);
  g_assert_cmpstr (ml_pop3_client_get_error (p.client), ==,
                   "TLS required but the server does not offer STLS");
  g_assert_cmpuint (p.client_commands->len, ==, 2);
  g_assert_cmpstr (p.client_commands->pdata[0], ==, "CAPA");
  g_assert_cmpstr (p.client_commands->pdata[1], ==, "QUIT");
  session_clear (&p);

  tls_config (&cc, ML_POP3_CLIENT_TLS_OPPORTUNISTIC, ML_POP3_CLIENT_AUTH_USER, ML_SASL_PLAIN);
  session_init (&p, SPLIT_WHOLE, 62, &cc);
  pump (&p);
  g_assert_null (ml_pop3_client_get_error (p.client));
  g_assert_cmpuint (p.handshakes, ==, 0);
  g_assert_cmpstr (p.client_commands->pdata[2], ==, "PASS bob-secret");
  assert_fetched_all (&p);
  session_clear (&p);
  ml_mail_store_free (p.store);
}

static void
test_sasl_failures (void)
{
  Pair p = { 0 };
  MlPop3ClientConfig cc;

  /* PLAIN is hidden before TLS: the client does not even try. */
  tls_config (&cc, ML_POP3_CLIENT_TLS_NONE, ML_POP3_CLIENT_AUTH_SASL, ML_SASL_PLAIN);
  store_init (&p);
  p.tls_server = TRUE;
  session_init (&p, SPLIT_WHOLE, 63, &cc);
  pump (&p);
  g_assert_cmpstr (ml_pop3_client_get_error (p.client), ==, "the server does not offer SASL PLAIN");
  session_clear (&p);

  /* A wrong password through SCRAM: [AUTH], and the server's delay. */
  tls_config (&cc, ML_POP3_CLIENT_TLS_REQUIRED, ML_POP3_CLIENT_AUTH_SASL, ML_SASL_SCRAM_SHA_256);
  cc.password = "guess";
  session_init (&p, SPLIT_RANDOM, 64, &cc);
  pump (&p);
  g_assert_cmpstr (ml_pop3_client_get_error_code (p.client), ==, "AUTH");
  g_assert_cmpuint (ml_pop3_server_get_n_auth_failures (p.server), ==, 1);
  g_assert_cmpuint (ml_pop3_server_take_delay_ms (p.server), ==, 1000);
  g_assert_cmpuint (ml_mailbox_get_count (p.inbox), ==, G_N_ELEMENTS (messages));
  g_assert_false (ml_account_is_locked (p.bob));
  session_clear (&p);
  ml_mail_store_free (p.store);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pop3-pair/delete", test_delete);
  g_test_add_func ("/pop3-pair/keep-with-uidl-memory", test_keep_with_uidl_memory);
  g_test_add_func ("/pop3-pair/apop", test_apop);
  g_test_add_func ("/pop3-pair/apop-unasked", test_apop_unasked);
  g_test_add_func ("/pop3-pair/wrong-password", test_wrong_password);
  g_test_add_func ("/pop3-pair/in-use", test_in_use);
  g_test_add_func ("/pop3-pair/dropped-before-quit", test_dropped_before_quit);
  g_test_add_func ("/pop3-pair/stls/user-pass", test_stls_user_pass);
  g_test_add_func ("/pop3-pair/stls/sasl", test_stls_sasl);
  g_test_add_func ("/pop3-pair/stls/missing", test_stls_missing);
  g_test_add_func ("/pop3-pair/sasl/scram-in-clear", test_scram_in_clear);
  g_test_add_func ("/pop3-pair/sasl/failures", test_sasl_failures);
  return g_test_run ();
}

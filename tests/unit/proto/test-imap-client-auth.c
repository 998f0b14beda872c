/* The IMAP client's STARTTLS and AUTHENTICATE (RFC 3501 6.2, RFC 2595
 * 3.1, RFC 4959, RFC 7677), against a server scripted by hand: feed its
 * bytes, check the exact bytes the client sent. */
#include <string.h>
#include "proto/imap-client.h"

#define CAPS_CLEAR "IMAP4rev1 SASL-IR STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED"
#define CAPS_TLS   "IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=SCRAM-SHA-256"
#define GREETING   "* OK [CAPABILITY " CAPS_CLEAR "] mail.b.example ready\r\n"

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
    case ML_ENGINE_EVENT_START_TLS:   return g_strdup_printf ("TLS:%s", ev->explain_key);
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
sync_action (Fixture *fx)
{
  MlImapAction a;

  ml_imap_action_init (&a, ML_IMAP_ACTION_SYNC);
  return ml_imap_client_add_action (fx->client, &a);
}

static void
test_starttls_flow (Fixture *fx, gconstpointer data)
{
  fx->config.tls = ML_IMAP_CLIENT_TLS_REQUIRED;
  new_client (fx);
  sync_action (fx);
  feed (fx, GREETING);
  expect (fx, "a1 STARTTLS\r\n");
  /* Injected behind the OK in the same read: a fake CAPABILITY that would
   * offer PLAIN. It must never be read (RFC 3501 6.2.1). */
  feed (fx, "a1 OK Begin TLS negotiation now\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n");
  assert_event (fx, "TLS:imap.client.starttls");
  expect (fx, NULL);
  feed (fx, "a2 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] forged\r\n");
  g_assert_false (ml_imap_client_is_tls (fx->client));
  g_assert_false (ml_imap_client_has_capability (fx->client, "AUTH=PLAIN"));
  ml_imap_client_tls_started (fx->client);
  g_assert_true (ml_imap_client_is_tls (fx->client));
  /* The capabilities heard in clear are forgotten, and asked again. */
  g_assert_false (ml_imap_client_has_capability (fx->client, "STARTTLS"));
  expect (fx, "a2 CAPABILITY\r\n");
  feed (fx, "* CAPABILITY " CAPS_TLS "\r\na2 OK done\r\n");
  expect (fx, "a3 LOGIN bob@b.example bob-secret\r\n");
}

static void
test_starttls_refused (Fixture *fx, gconstpointer data)
{
  guint i;

  fx->config.tls = ML_IMAP_CLIENT_TLS_REQUIRED;
  new_client (fx);
  i = sync_action (fx);
  feed (fx, GREETING);
  expect (fx, "a1 STARTTLS\r\n");
  feed (fx, "a1 NO not today\r\n");
  expect (fx, "a2 LOGOUT\r\n");
  g_assert_cmpstr (ml_imap_client_get_result (fx->client, i)->text, ==,
                   "STARTTLS refused: NO not today");

  /* Stripped from the greeting: required logs out at once. */
  new_client (fx);
  i = sync_action (fx);
  feed (fx, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
  expect (fx, "a1 LOGOUT\r\n");
  g_assert_cmpstr (ml_imap_client_get_result (fx->client, i)->text, ==,
                   "TLS required but the server does not offer STARTTLS");

  /* Opportunistic goes on with what the server takes in clear. */
  fx->config.tls = ML_IMAP_CLIENT_TLS_OPPORTUNISTIC;
  new_client (fx);
  sync_action (fx);
  feed (fx, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
  expect (fx, "a1 LOGIN bob@b.example bob-secret\r\n");

  /* Implicit TLS: never STARTTLS, even when listed. */
  fx->config.tls = ML_IMAP_CLIENT_TLS_IMPLICIT;
  new_client (fx);
  sync_action (fx);
  feed (fx, "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n");
  expect (fx, "a1 LOGIN bob@b.example bob-secret\r\n");
}

static void
test_scram_not_offered (Fixture *fx, gconstpointer data)
{
  guint i;

  fx->config.auth = ML_IMAP_CLIENT_AUTH_SCRAM_SHA_256;
  new_client (fx);
  i = sync_action (fx);
  feed (fx, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
  expect (fx, "a1 LOGOUT\r\n");
  g_assert_cmpstr (ml_imap_client_get_result (fx->client, i)->text, ==,
                   "the server does not offer AUTH=SCRAM-SHA-256");
}

static void
test_scram_bad_challenge (Fixture *fx, gconstpointer data)
{
  g_autoptr(GBytes) out = NULL;

  fx->config.auth = ML_IMAP_CLIENT_AUTH_SCRAM_SHA_256;
  new_client (fx);
  sync_action (fx);
  feed (fx, GREETING);
  out = ml_imap_client_take_output (fx->client);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (out, NULL), "a1 AUTHENTICATE SCRAM-SHA-256 "));
  /* Not base64: RFC 3501 6.2.2, the client cancels with "*". */
  feed (fx, "+ not*base64\r\n");
  expect (fx, "*\r\n");
  assert_event (fx, "C:*");
  feed (fx, "a1 BAD Authentication cancelled\r\n");
  expect (fx, "a2 LOGOUT\r\n");
}

static void
test_scram_unverified (Fixture *fx, gconstpointer data)
{
  g_autoptr(GBytes) out = NULL;
  guint i;

  fx->config.auth = ML_IMAP_CLIENT_AUTH_SCRAM_SHA_256;
  fx->config.use_sasl_ir = FALSE;
  new_client (fx);
  i = sync_action (fx);
  feed (fx, GREETING);
  expect (fx, "a1 AUTHENTICATE SCRAM-SHA-256\r\n");
  /* Without SASL-IR the client-first message waits for the empty "+". */
  feed (fx, "+ \r\n");
  out = ml_imap_client_take_output (fx->client);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (out, NULL), "biws"));  /* "n,," */
  /* An OK with no server proof (RFC 5802 5.1): not trusted. */
  feed (fx, "a1 OK [CAPABILITY IMAP4rev1] Logged in\r\n");
  expect (fx, "a2 LOGOUT\r\n");
  g_assert_cmpstr (ml_imap_client_get_result (fx->client, i)->text, ==,
                   "the server did not prove it knows the password");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ((path), Fixture, NULL, fixture_set_up, (func), fixture_tear_down)
  ADD ("/imap-client-auth/starttls/flow", test_starttls_flow);
  ADD ("/imap-client-auth/starttls/refused", test_starttls_refused);
  ADD ("/imap-client-auth/scram/not-offered", test_scram_not_offered);
  ADD ("/imap-client-auth/scram/bad-challenge", test_scram_bad_challenge);
  ADD ("/imap-client-auth/scram/unverified", test_scram_unverified);
#undef ADD
  return g_test_run ();
}

/* The server side is scripted by hand: feed its response bytes, then check
 * the exact bytes the client sent (golden transcripts, curl style). */
#include <string.h>
#include "proto/pop3-client.h"

#define GREETING  "+OK mail.b.example POP3 server ready <7.1709625600000000@mail.b.example>\r\n"
#define CAPA_FULL "+OK Capability list follows\r\nTOP\r\nUSER\r\nRESP-CODES\r\nPIPELINING\r\n" \
                  "UIDL\r\nIMPLEMENTATION maillab\r\n.\r\n"
#define CAPA_PLAIN "+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\n.\r\n"
#define CAPA_NO_UIDL "+OK Capability list follows\r\nUSER\r\n.\r\n"
#define MSG1 "Subject: one\r\n\r\nHello\r\n"
#define MSG2 "Subject: two\r\n\r\n.dot\r\n"

typedef struct {
  MlPop3ClientConfig config;
  MlPop3Client      *client;
  GPtrArray         *events;  /* one string per event, see event_string() */
} Fixture;

static char *
event_string (const MlEngineEvent *ev)
{
  switch (ev->kind)
    {
    case ML_ENGINE_EVENT_COMMAND:     return g_strdup_printf ("C:%s", ev->line);
    case ML_ENGINE_EVENT_REPLY:       return g_strdup_printf ("R:%s", ev->line);
    case ML_ENGINE_EVENT_STATE:       return g_strdup_printf ("S:%s>%s", ev->state_from, ev->state_to);
    case ML_ENGINE_EVENT_TRANSACTION: return g_strdup_printf ("T:%s", ev->detail);
    case ML_ENGINE_EVENT_DATA:
    case ML_ENGINE_EVENT_CLOSE:
    default:                          return g_strdup ("?");
    }
}

static void
drain_events (Fixture *fx)
{
  MlEngineEvent ev = { 0 };

  while (ml_pop3_client_next_event (fx->client, &ev))
    {
      g_ptr_array_add (fx->events, event_string (&ev));
      ml_engine_event_clear (&ev);
    }
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  ml_pop3_client_config_init (&fx->config);
  fx->config.user = "bob@b.example";
  fx->config.password = "bob-secret";
  fx->client = ml_pop3_client_new (&fx->config);
  fx->events = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  ml_pop3_client_free (fx->client);
  g_ptr_array_unref (fx->events);
}

static void
reconfigure (Fixture *fx)
{
  ml_pop3_client_free (fx->client);
  fx->client = ml_pop3_client_new (&fx->config);
  g_ptr_array_set_size (fx->events, 0);
}

static void
feed (Fixture *fx, const char *server)
{
  gsize n = ml_pop3_client_feed (fx->client, (const guint8 *) server, strlen (server));

  g_assert_cmpuint (n, ==, strlen (server));
  drain_events (fx);
}

/* The client's output since the last call, byte for byte. */
static void
expect (Fixture *fx, const char *client)
{
  g_autoptr(GBytes) out = ml_pop3_client_take_output (fx->client);
  g_autofree char *got = NULL;

  if (client == NULL)
    {
      g_assert_null (out);
      return;
    }
  g_assert_nonnull (out);
  got = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  g_assert_cmpstr (got, ==, client);
}

static gboolean
has_event (Fixture *fx, const char *text)
{
  for (guint i = 0; i < fx->events->len; i++)
    if (g_str_equal (g_ptr_array_index (fx->events, i), text))
      return TRUE;
  return FALSE;
}

static char *
message_string (Fixture *fx, guint i)
{
  const MlPop3FetchedMessage *m = ml_pop3_client_get_message (fx->client, i);

  g_assert_nonnull (m);
  return g_strndup (g_bytes_get_data (m->data, NULL), g_bytes_get_size (m->data));
}

/* Greeting, CAPA, USER, PASS, STAT. */
static void
log_in (Fixture *fx, const char *capa, const char *stat)
{
  feed (fx, GREETING);
  expect (fx, "CAPA\r\n");
  feed (fx, capa);
  expect (fx, "USER bob@b.example\r\n");
  feed (fx, "+OK send PASS\r\n");
  expect (fx, "PASS bob-secret\r\n");
  feed (fx, "+OK maildrop has 2 messages (47 octets)\r\n");
  expect (fx, "STAT\r\n");
  feed (fx, stat);
}

/* The textbook session without pipelining: RETR, DELE, one by one. */
static void
test_fetch_delete (Fixture *fx, gconstpointer data)
{
  const MlPop3FetchedMessage *m;
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;

  log_in (fx, CAPA_PLAIN, "+OK 2 47\r\n");
  expect (fx, "UIDL\r\n");
  feed (fx, "+OK\r\n1 0000000100000001\r\n2 0000000100000002\r\n.\r\n");
  expect (fx, "RETR 1\r\n");
  feed (fx, "+OK 23 octets\r\n" MSG1 ".\r\n");
  expect (fx, "DELE 1\r\n");
  feed (fx, "+OK message 1 deleted\r\n");
  expect (fx, "RETR 2\r\n");
  feed (fx, "+OK 24 octets\r\nSubject: two\r\n\r\n..dot\r\n.\r\n");
  expect (fx, "DELE 2\r\n");
  feed (fx, "+OK message 2 deleted\r\n");
  expect (fx, "QUIT\r\n");
  g_assert_false (ml_pop3_client_is_done (fx->client));
  feed (fx, "+OK bye (maildrop empty)\r\n");
  expect (fx, NULL);
  g_assert_true (ml_pop3_client_is_done (fx->client));
  g_assert_cmpint (ml_pop3_client_get_state (fx->client), ==, ML_POP3_CLIENT_STATE_DONE);
  g_assert_null (ml_pop3_client_get_error (fx->client));

  g_assert_cmpuint (ml_pop3_client_get_n_messages (fx->client), ==, 2);
  m = ml_pop3_client_get_message (fx->client, 0);
  g_assert_cmpuint (m->number, ==, 1);
  g_assert_cmpstr (m->uidl, ==, "0000000100000001");
  g_assert_cmpuint (m->size, ==, strlen (MSG1));
  g_assert_true (m->deleted);
  one = message_string (fx, 0);
  g_assert_cmpstr (one, ==, MSG1);
  /* Un-stuffed (RFC 1939 3). */
  two = message_string (fx, 1);
  g_assert_cmpstr (two, ==, MSG2);
  g_assert_null (ml_pop3_client_get_message (fx->client, 2));
  g_assert_cmpuint (ml_pop3_client_get_n_deleted (fx->client), ==, 2);
  {
    guint n;
    guint64 size;

    ml_pop3_client_get_stat (fx->client, &n, &size);
    g_assert_cmpuint (n, ==, 2);
    g_assert_cmpuint (size, ==, 47);
  }
  g_assert_true (has_event (fx, "C:PASS bob-secret"));
  g_assert_true (has_event (fx, "R:+OK 24 octets\nSubject: two\n\n..dot\n."));
  g_assert_true (has_event (fx, "T:message 2 fetched, 22 octets"));
  g_assert_true (has_event (fx, "S:quit>done"));
}

/* Leave on server: no DELE at all. */
static void
test_fetch_keep (Fixture *fx, gconstpointer data)
{
  fx->config.keep = TRUE;
  reconfigure (fx);
  log_in (fx, CAPA_PLAIN, "+OK 2 47\r\n");
  expect (fx, "UIDL\r\n");
  feed (fx, "+OK\r\n1 a\r\n2 b\r\n.\r\n");
  expect (fx, "RETR 1\r\n");
  feed (fx, "+OK\r\n" MSG1 ".\r\n");
  expect (fx, "RETR 2\r\n");
  feed (fx, "+OK\r\n" MSG1 ".\r\n");
  expect (fx, "QUIT\r\n");
  feed (fx, "+OK bye\r\n");
  g_assert_true (ml_pop3_client_is_done (fx->client));
  g_assert_cmpuint (ml_pop3_client_get_n_messages (fx->client), ==, 2);
  g_assert_false (ml_pop3_client_get_message (fx->client, 0)->deleted);
  g_assert_cmpuint (ml_pop3_client_get_n_deleted (fx->client), ==, 0);
}

/* UIDL memory (RFC 1939 8): only what the device has not seen. */
static void
test_known_uidls (Fixture *fx, gconstpointer data)
{
  const char *known[] = { "a", "c", NULL };
  const char * const *server_uidls;

  fx->config.keep = TRUE;
  fx->config.known_uidls = known;
  reconfigure (fx);
  log_in (fx, CAPA_PLAIN, "+OK 3 70\r\n");
  expect (fx, "UIDL\r\n");
  feed (fx, "+OK\r\n1 a\r\n2 b\r\n3 c\r\n.\r\n");
  expect (fx, "RETR 2\r\n");
  feed (fx, "+OK\r\n" MSG1 ".\r\n");
  expect (fx, "QUIT\r\n");
  feed (fx, "+OK\r\n");
  g_assert_cmpuint (ml_pop3_client_get_n_messages (fx->client), ==, 1);
  g_assert_cmpstr (ml_pop3_client_get_message (fx->client, 0)->uidl, ==, "b");
  server_uidls = ml_pop3_client_get_server_uidls (fx->client);
  g_assert_cmpuint (g_strv_length ((GStrv) server_uidls), ==, 3);
  g_assert_cmpstr (server_uidls[0], ==, "a");
  g_assert_cmpstr (server_uidls[2], ==, "c");
}

/* Nothing new: straight to QUIT. */
static void
test_nothing_new (Fixture *fx, gconstpointer data)
{
  const char *known[] = { "a", NULL };

  fx->config.known_uidls = known;
  reconfigure (fx);
  log_in (fx, CAPA_PLAIN, "+OK 1 20\r\n");
  expect (fx, "UIDL\r\n");
  feed (fx, "+OK\r\n1 a\r\n.\r\n");
  expect (fx, "QUIT\r\n");
  feed (fx, "+OK\r\n");
  g_assert_cmpuint (ml_pop3_client_get_n_messages (fx->client), ==, 0);
  g_assert_null (ml_pop3_client_get_error (fx->client));
}

/* PIPELINING: the RETRs together, then the DELEs and QUIT together. */
static void
test_pipelining (Fixture *fx, gconstpointer data)
{
  log_in (fx, CAPA_FULL, "+OK 2 47\r\n");
  expect (fx, "UIDL\r\n");
  feed (fx, "+OK\r\n1 a\r\n2 b\r\n.\r\n");
  expect (fx, "RETR 1\r\nRETR 2\r\n");
  feed (fx, "+OK\r\n" MSG1 ".\r\n");
  expect (fx, NULL);
  feed (fx, "+OK\r\n" MSG1 ".\r\n");
  expect (fx, "DELE 1\r\nDELE 2\r\nQUIT\r\n");
  feed (fx, "+OK message 1 deleted\r\n+OK message 2 deleted\r\n+OK bye\r\n");
  g_assert_true (ml_pop3_client_is_done (fx->client));
  g_assert_cmpuint (ml_pop3_client_get_n_deleted (fx->client), ==, 2);
}

/* A DELE goes only for a message that arrived. */
static void
test_retr_refused (Fixture *fx, gconstpointer data)
{
  log_in (fx, CAPA_FULL, "+OK 2 47\r\n");
  expect (fx, "UIDL\r\n");
  feed (fx, "+OK\r\n1 a\r\n2 b\r\n.\r\n");
  expect (fx, "RETR 1\r\nRETR 2\r\n");
  feed (fx, "-ERR no such message\r\n+OK\r\n" MSG2 ".\r\n");
  expect (fx, "DELE 2\r\nQUIT\r\n");
  feed (fx, "+OK\r\n+OK\r\n");
  g_assert_cmpuint (ml_pop3_client_get_n_messages (fx->client), ==, 1);
  g_assert_cmpuint (ml_pop3_client_get_message (fx->client, 0)->number, ==, 2);
  g_assert_cmpuint (ml_pop3_client_get_n_deleted (fx->client), ==, 1);
}

/* Without CAPA's UIDL the client lists with LIST and fetches everything. */
static void
test_no_uidl (Fixture *fx, gconstpointer data)
{
  log_in (fx, CAPA_NO_UIDL, "+OK 2 47\r\n");
  expect (fx, "LIST\r\n");
  feed (fx, "+OK 2 messages\r\n1 23\r\n2 24\r\n.\r\n");
  expect (fx, "RETR 1\r\n");
  feed (fx, "+OK\r\n" MSG1 ".\r\n");
  expect (fx, "DELE 1\r\n");
  feed (fx, "+OK\r\n");
  expect (fx, "RETR 2\r\n");
  feed (fx, "+OK\r\n" MSG1 ".\r\n");
  expect (fx, "DELE 2\r\n");
  feed (fx, "+OK\r\n");
  expect (fx, "QUIT\r\n");
  feed (fx, "+OK\r\n");
  g_assert_null (ml_pop3_client_get_message (fx->client, 0)->uidl);
  g_assert_cmpuint (g_strv_length ((GStrv) ml_pop3_client_get_server_uidls (fx->client)), ==, 0);
}

/* No CAPA (RFC 2449 5: "-ERR" means probe as before): UIDL is tried, and
 * its "-ERR" falls back to LIST. */
static void
test_no_capa (Fixture *fx, gconstpointer data)
{
  log_in (fx, "-ERR unknown command\r\n", "+OK 1 23\r\n");
  g_assert_cmpuint (g_strv_length ((GStrv) ml_pop3_client_get_capabilities (fx->client)), ==, 0);
  expect (fx, "UIDL\r\n");
  feed (fx, "-ERR unknown command\r\n");
  expect (fx, "LIST\r\n");
  feed (fx, "+OK\r\n1 23\r\n.\r\n");
  expect (fx, "RETR 1\r\n");
}

static void
test_capabilities (Fixture *fx, gconstpointer data)
{
  const char * const *caps;

  log_in (fx, CAPA_FULL, "+OK 0 0\r\n");
  caps = ml_pop3_client_get_capabilities (fx->client);
  g_assert_cmpuint (g_strv_length ((GStrv) caps), ==, 6);
  g_assert_cmpstr (caps[5], ==, "IMPLEMENTATION maillab");
}

static void
test_without_capa (Fixture *fx, gconstpointer data)
{
  fx->config.use_capa = FALSE;
  reconfigure (fx);
  feed (fx, GREETING);
  expect (fx, "USER bob@b.example\r\n");
}

/* APOP with RFC 1939 7's own numbers. */
static void
test_apop (Fixture *fx, gconstpointer data)
{
  fx->config.use_apop = TRUE;
  fx->config.use_capa = FALSE;
  fx->config.user = "mrose";
  fx->config.password = "tanstaaf";
  reconfigure (fx);
  feed (fx, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
  expect (fx, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
  feed (fx, "+OK maildrop has 1 message (369 octets)\r\n");
  expect (fx, "STAT\r\n");
  g_assert_true (has_event (fx, "S:apop>stat"));
}

/* CAPA without USER (RFC 2449 6.2) and a timestamp: APOP. */
static void
test_apop_when_no_user (Fixture *fx, gconstpointer data)
{
  g_autofree char *digest = ml_pop3_apop_digest ("<7.1709625600000000@mail.b.example>",
                                                 "bob-secret");
  g_autofree char *expected = g_strdup_printf ("APOP bob@b.example %s\r\n", digest);

  feed (fx, GREETING);
  expect (fx, "CAPA\r\n");
  feed (fx, "+OK\r\nTOP\r\nUIDL\r\n.\r\n");
  expect (fx, expected);
}

/* No timestamp in the greeting: USER/PASS after all. */
static void
test_apop_without_timestamp (Fixture *fx, gconstpointer data)
{
  fx->config.use_apop = TRUE;
  fx->config.use_capa = FALSE;
  reconfigure (fx);
  feed (fx, "+OK POP3 server ready\r\n");
  expect (fx, "USER bob@b.example\r\n");
}

static void
test_auth_failed (Fixture *fx, gconstpointer data)
{
  feed (fx, GREETING);
  expect (fx, "CAPA\r\n");
  feed (fx, CAPA_PLAIN);
  expect (fx, "USER bob@b.example\r\n");
  feed (fx, "+OK\r\n");
  expect (fx, "PASS bob-secret\r\n");
  feed (fx, "-ERR [AUTH] invalid user name or password\r\n");
  expect (fx, "QUIT\r\n");
  g_assert_cmpstr (ml_pop3_client_get_error (fx->client), ==,
                   "authentication failed: [AUTH] invalid user name or password");
  g_assert_cmpstr (ml_pop3_client_get_error_code (fx->client), ==, "AUTH");
  feed (fx, "+OK bye\r\n");
  g_assert_true (ml_pop3_client_is_done (fx->client));
  g_assert_true (has_event (fx, "T:authentication failed: [AUTH] invalid user name or password"));
}

static void
test_in_use (Fixture *fx, gconstpointer data)
{
  feed (fx, GREETING);
  feed (fx, CAPA_PLAIN);
  feed (fx, "+OK\r\n");
  feed (fx, "-ERR [IN-USE] maildrop already locked\r\n");
  expect (fx, "CAPA\r\nUSER bob@b.example\r\nPASS bob-secret\r\nQUIT\r\n");
  g_assert_cmpstr (ml_pop3_client_get_error_code (fx->client), ==, "IN-USE");
}

static void
test_greeting_refused (Fixture *fx, gconstpointer data)
{
  feed (fx, "-ERR [SYS/TEMP] too busy\r\n");
  expect (fx, NULL);
  g_assert_true (ml_pop3_client_is_done (fx->client));
  g_assert_cmpstr (ml_pop3_client_get_error_code (fx->client), ==, "SYS/TEMP");
  /* Later bytes are not taken. */
  g_assert_cmpuint (ml_pop3_client_feed (fx->client, (const guint8 *) "+OK\r\n", 5), ==, 0);
}

static void
test_malformed_response (Fixture *fx, gconstpointer data)
{
  feed (fx, GREETING);
  expect (fx, "CAPA\r\n");
  feed (fx, "220 this is SMTP\r\n");
  g_assert_true (ml_pop3_client_is_done (fx->client));
  expect (fx, NULL);
  g_assert_true (g_str_has_prefix (ml_pop3_client_get_error (fx->client), "malformed response: "));
}

/* RFC 1939 6: without QUIT's "+OK" nothing counts as deleted. */
static void
test_connection_lost (Fixture *fx, gconstpointer data)
{
  log_in (fx, CAPA_PLAIN, "+OK 1 23\r\n");
  expect (fx, "UIDL\r\n");
  feed (fx, "+OK\r\n1 a\r\n.\r\n");
  feed (fx, "+OK\r\n" MSG1 ".\r\n");
  feed (fx, "+OK\r\n");
  expect (fx, "RETR 1\r\nDELE 1\r\nQUIT\r\n");
  ml_pop3_client_connection_lost (fx->client);
  drain_events (fx);
  g_assert_true (ml_pop3_client_is_done (fx->client));
  g_assert_cmpstr (ml_pop3_client_get_error (fx->client), ==, "connection lost");
  g_assert_cmpuint (ml_pop3_client_get_n_messages (fx->client), ==, 1);
  g_assert_false (ml_pop3_client_get_message (fx->client, 0)->deleted);
  g_assert_cmpuint (ml_pop3_client_get_n_deleted (fx->client), ==, 0);
  g_assert_true (has_event (fx, "S:quit>done"));
}

static void
test_quit_failed (Fixture *fx, gconstpointer data)
{
  log_in (fx, CAPA_PLAIN, "+OK 1 23\r\n");
  feed (fx, "+OK\r\n1 a\r\n.\r\n");
  feed (fx, "+OK\r\n" MSG1 ".\r\n");
  feed (fx, "+OK\r\n");
  feed (fx, "-ERR [SYS/TEMP] some deleted messages not removed\r\n");
  g_assert_true (ml_pop3_client_is_done (fx->client));
  g_assert_false (ml_pop3_client_get_message (fx->client, 0)->deleted);
  g_assert_cmpstr (ml_pop3_client_get_error_code (fx->client), ==, "SYS/TEMP");
}

/* Lines in a listing that are not listings are skipped, not trusted. */
static void
test_bad_listing (Fixture *fx, gconstpointer data)
{
  fx->config.keep = TRUE;
  reconfigure (fx);
  log_in (fx, CAPA_PLAIN, "+OK 2 47\r\n");
  expect (fx, "UIDL\r\n");
  feed (fx, "+OK\r\n0 zero\r\nx y\r\n1 a b\r\n2 ok\r\n2 again\r\n.\r\n");
  expect (fx, "RETR 2\r\n");
  g_assert_cmpuint (g_strv_length ((GStrv) ml_pop3_client_get_server_uidls (fx->client)), ==, 1);
}

static void
test_stat_garbage (Fixture *fx, gconstpointer data)
{
  log_in (fx, CAPA_PLAIN, "+OK lots\r\n");
  expect (fx, "QUIT\r\n");
  g_assert_nonnull (ml_pop3_client_get_error (fx->client));
}

static void
test_line_break_in_password (Fixture *fx, gconstpointer data)
{
  fx->config.password = "x\r\nDELE 1";
  fx->config.use_capa = FALSE;
  reconfigure (fx);
  feed (fx, GREETING);
  expect (fx, "QUIT\r\n");
  g_assert_cmpstr (ml_pop3_client_get_error (fx->client), ==,
                   "the user name or password holds a line break");
}

/* The same session fed one byte at a time sends the same bytes. */
static void
test_byte_at_a_time (Fixture *fx, gconstpointer data)
{
  const char *server = GREETING CAPA_FULL "+OK\r\n+OK in\r\n+OK 1 23\r\n+OK\r\n1 a\r\n.\r\n"
                       "+OK\r\n" MSG1 ".\r\n+OK\r\n+OK bye\r\n";
  GString *sent = g_string_new (NULL);

  for (const char *p = server; *p != '\0'; p++)
    {
      g_autoptr(GBytes) out = NULL;

      ml_pop3_client_feed (fx->client, (const guint8 *) p, 1);
      out = ml_pop3_client_take_output (fx->client);
      if (out != NULL)
        g_string_append_len (sent, g_bytes_get_data (out, NULL), (gssize) g_bytes_get_size (out));
    }
  g_assert_cmpstr (sent->str, ==, "CAPA\r\nUSER bob@b.example\r\nPASS bob-secret\r\nSTAT\r\n"
                   "UIDL\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n");
  g_string_free (sent, TRUE);
  g_assert_true (ml_pop3_client_is_done (fx->client));
  g_assert_cmpuint (ml_pop3_client_get_n_deleted (fx->client), ==, 1);
}

/* COMMAND events carry exactly what was sent, minus CRLF. */
static void
test_command_events (Fixture *fx, gconstpointer data)
{
  MlEngineEvent ev = { 0 };
  guint commands = 0;

  ml_pop3_client_feed (fx->client, (const guint8 *) GREETING, strlen (GREETING));
  ml_pop3_client_feed (fx->client, (const guint8 *) CAPA_PLAIN, strlen (CAPA_PLAIN));
  ml_pop3_client_feed (fx->client, (const guint8 *) "+OK\r\n", 5);
  while (ml_pop3_client_next_event (fx->client, &ev))
    {
      if (ev.kind == ML_ENGINE_EVENT_COMMAND)
        {
          g_assert_true (ev.outgoing);
          g_assert_cmpint (ev.protocol, ==, ML_PROTO_POP3);
          g_assert_cmpint (ev.direction, ==, ML_DIR_CLIENT_TO_SERVER);
          if (commands == 2)
            {
              g_assert_cmpstr (ev.line, ==, "PASS bob-secret");
              g_assert_cmpstr (ev.verb, ==, "PASS");
              g_assert_cmpstr (ev.args, ==, "bob-secret");
              g_assert_cmpstr (ev.detail, ==, "credential");
              g_assert_cmpstr (ev.explain_key, ==, "pop3.pass");
            }
          commands++;
        }
      else if (ev.kind == ML_ENGINE_EVENT_REPLY)
        {
          g_assert_false (ev.outgoing);
          g_assert_cmpuint (ev.code, ==, 0);
          g_assert_cmpstr (ev.explain_key, ==, "pop3.reply.ok");
        }
      ml_engine_event_clear (&ev);
    }
  g_assert_cmpuint (commands, ==, 3);
}

/* ---- STLS and AUTH (RFC 2595 4, RFC 5034) ---- */

#define CAPA_STLS "+OK Capability list follows\r\nUIDL\r\nSTLS\r\nSASL SCRAM-SHA-256\r\n.\r\n"
#define CAPA_TLS  "+OK Capability list follows\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n"

static void
test_stls_flow (Fixture *fx, gconstpointer data)
{
  fx->config.tls = ML_POP3_CLIENT_TLS_REQUIRED;
  reconfigure (fx);
  feed (fx, GREETING);
  expect (fx, "CAPA\r\n");
  feed (fx, CAPA_STLS);
  expect (fx, "STLS\r\n");
  /* Injected behind the go-ahead: a fake "+OK" that would answer the
   * CAPA sent after the handshake. It must not be read. */
  feed (fx, "+OK Begin TLS negotiation\r\n+OK Capability list follows\r\nUSER\r\n.\r\n");
  g_assert_cmpint (ml_pop3_client_get_state (fx->client), ==, ML_POP3_CLIENT_STATE_TLS);
  expect (fx, NULL);
  feed (fx, "more clear text\r\n");
  g_assert_false (ml_pop3_client_is_tls (fx->client));
  ml_pop3_client_tls_started (fx->client);
  g_assert_true (ml_pop3_client_is_tls (fx->client));
  /* RFC 2595 4: the capabilities learnt in clear are forgotten. */
  g_assert_null (ml_pop3_client_get_capabilities (fx->client)[0]);
  expect (fx, "CAPA\r\n");
  feed (fx, CAPA_TLS);
  expect (fx, "USER bob@b.example\r\n");
  g_assert_null (ml_pop3_client_get_error (fx->client));
}

static void
test_stls_refused (Fixture *fx, gconstpointer data)
{
  fx->config.tls = ML_POP3_CLIENT_TLS_REQUIRED;
  reconfigure (fx);
  feed (fx, GREETING);
  expect (fx, "CAPA\r\n");
  feed (fx, CAPA_STLS);
  expect (fx, "STLS\r\n");
  feed (fx, "-ERR not now\r\n");
  expect (fx, "QUIT\r\n");
  g_assert_cmpstr (ml_pop3_client_get_error (fx->client), ==, "STLS refused: not now");

  /* Opportunistic: on in clear, with what the server takes in clear. */
  fx->config.tls = ML_POP3_CLIENT_TLS_OPPORTUNISTIC;
  reconfigure (fx);
  feed (fx, GREETING);
  expect (fx, "CAPA\r\n");
  feed (fx, CAPA_STLS);
  expect (fx, "STLS\r\n");
  feed (fx, "-ERR not now\r\n");
  /* No USER in CAPA, a timestamp in the greeting: APOP. */
  {
    g_autofree char *digest = ml_pop3_apop_digest ("<7.1709625600000000@mail.b.example>",
                                                   "bob-secret");
    g_autofree char *apop = g_strdup_printf ("APOP bob@b.example %s\r\n", digest);

    expect (fx, apop);
  }

  /* Implicit TLS: no STLS, plaintext straight away. */
  fx->config.tls = ML_POP3_CLIENT_TLS_IMPLICIT;
  fx->config.use_capa = FALSE;
  reconfigure (fx);
  g_assert_true (ml_pop3_client_is_tls (fx->client));
  feed (fx, GREETING);
  expect (fx, "USER bob@b.example\r\n");
}

static void
test_auth_plain (Fixture *fx, gconstpointer data)
{
  fx->config.tls = ML_POP3_CLIENT_TLS_IMPLICIT;
  fx->config.auth = ML_POP3_CLIENT_AUTH_SASL;
  fx->config.sasl_mechanism = ML_SASL_PLAIN;
  reconfigure (fx);
  feed (fx, GREETING);
  expect (fx, "CAPA\r\n");
  feed (fx, CAPA_TLS);
  /* RFC 5034 4: the initial response fits the line, so it rides on AUTH. */
  expect (fx, "AUTH PLAIN AGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA==\r\n");
  feed (fx, "+OK maildrop has 0 messages (0 octets)\r\n");
  expect (fx, "STAT\r\n");
}

static void
test_auth_login_challenges (Fixture *fx, gconstpointer data)
{
  fx->config.auth = ML_POP3_CLIENT_AUTH_SASL;
  fx->config.sasl_mechanism = ML_SASL_LOGIN;
  fx->config.use_capa = FALSE;
  reconfigure (fx);
  feed (fx, GREETING);
  expect (fx, "AUTH LOGIN\r\n");
  feed (fx, "+ VXNlcm5hbWU6\r\n");
  expect (fx, "Ym9iQGIuZXhhbXBsZQ==\r\n");
  g_assert_cmpint (ml_pop3_client_get_state (fx->client), ==, ML_POP3_CLIENT_STATE_AUTH);
  feed (fx, "+ UGFzc3dvcmQ6\r\n");
  expect (fx, "Ym9iLXNlY3JldA==\r\n");
  feed (fx, "-ERR [AUTH] invalid user name or password\r\n");
  expect (fx, "QUIT\r\n");
  g_assert_cmpstr (ml_pop3_client_get_error_code (fx->client), ==, "AUTH");
}

static void
test_auth_bad_challenge (Fixture *fx, gconstpointer data)
{
  fx->config.auth = ML_POP3_CLIENT_AUTH_SASL;
  fx->config.sasl_mechanism = ML_SASL_SCRAM_SHA_256;
  fx->config.use_capa = FALSE;
  reconfigure (fx);
  feed (fx, GREETING);
  {
    g_autoptr(GBytes) out = ml_pop3_client_take_output (fx->client);

    g_assert_true (g_str_has_prefix (g_bytes_get_data (out, NULL), "AUTH SCRAM-SHA-256 "));
  }
  /* RFC 5034 4: a challenge the client cannot decode is answered "*". */
  feed (fx, "+ not*base64\r\n");
  expect (fx, "*\r\n");
  feed (fx, "-ERR authentication cancelled\r\n");
  expect (fx, "QUIT\r\n");
  g_assert_true (g_str_has_prefix (ml_pop3_client_get_error (fx->client),
                                   "authentication cancelled ("));
}

static void
test_auth_scram_unverified (Fixture *fx, gconstpointer data)
{
  fx->config.auth = ML_POP3_CLIENT_AUTH_SASL;
  fx->config.sasl_mechanism = ML_SASL_SCRAM_SHA_256;
  fx->config.use_capa = FALSE;
  reconfigure (fx);
  feed (fx, GREETING);
  g_clear_pointer (&fx->events, g_ptr_array_unref);
  fx->events = g_ptr_array_new_with_free_func (g_free);
  {
    g_autoptr(GBytes) out = ml_pop3_client_take_output (fx->client);

    g_assert_nonnull (out);
  }
  /* "+OK" at once: whoever answered never proved knowing the password
   * (RFC 5802 5.1), so the client does not trust the session. */
  feed (fx, "+OK maildrop has 0 messages (0 octets)\r\n");
  expect (fx, "QUIT\r\n");
  g_assert_cmpstr (ml_pop3_client_get_error (fx->client), ==,
                   "the server did not prove it knows the password");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ((path), Fixture, NULL, fixture_setup, (func), fixture_teardown)
  ADD ("/pop3-client/fetch/delete", test_fetch_delete);
  ADD ("/pop3-client/fetch/keep", test_fetch_keep);
  ADD ("/pop3-client/fetch/known-uidls", test_known_uidls);
  ADD ("/pop3-client/fetch/nothing-new", test_nothing_new);
  ADD ("/pop3-client/fetch/pipelining", test_pipelining);
  ADD ("/pop3-client/fetch/retr-refused", test_retr_refused);
  ADD ("/pop3-client/fetch/no-uidl", test_no_uidl);
  ADD ("/pop3-client/fetch/bad-listing", test_bad_listing);
  ADD ("/pop3-client/capa/refused", test_no_capa);
  ADD ("/pop3-client/capa/list", test_capabilities);
  ADD ("/pop3-client/capa/off", test_without_capa);
  ADD ("/pop3-client/auth/apop", test_apop);
  ADD ("/pop3-client/auth/apop-without-timestamp", test_apop_without_timestamp);
  ADD ("/pop3-client/auth/apop-when-no-user", test_apop_when_no_user);
  ADD ("/pop3-client/auth/failed", test_auth_failed);
  ADD ("/pop3-client/auth/in-use", test_in_use);
  ADD ("/pop3-client/auth/line-break", test_line_break_in_password);
  ADD ("/pop3-client/errors/greeting-refused", test_greeting_refused);
  ADD ("/pop3-client/errors/malformed", test_malformed_response);
  ADD ("/pop3-client/errors/stat-garbage", test_stat_garbage);
  ADD ("/pop3-client/errors/connection-lost", test_connection_lost);
  ADD ("/pop3-client/errors/quit-failed", test_quit_failed);
  ADD ("/pop3-client/input/byte-at-a-time", test_byte_at_a_time);
  ADD ("/pop3-client/events/commands", test_command_events);
  ADD ("/pop3-client/stls/flow", test_stls_flow);
  ADD ("/pop3-client/stls/refused", test_stls_refused);
  ADD ("/pop3-client/auth/plain", test_auth_plain);
  ADD ("/pop3-client/auth/login-challenges", test_auth_login_challenges);
  ADD ("/pop3-client/auth/bad-challenge", test_auth_bad_challenge);
  ADD ("/pop3-client/auth/scram-unverified", test_auth_scram_unverified);
#undef ADD
  return g_test_run ();
}

/* Fuzz target for the POP3 server engine, as a hostile client sees it.
 *
 * One input is fed to a fresh server over a small store twice: whole, and
 * cut in two at a point taken from its first byte. Nothing may crash,
 * assert, leak or loop, and on both runs:
 *   - the REPLY events, their lines joined with CRLF, are exactly the bytes
 *     sent (the trace must match a capture byte for byte);
 *   - every response's first line starts "+OK" or "-ERR" and fits in 512
 *     octets with its CRLF (RFC 2449 4);
 *   - every event's text is UTF-8;
 *   - a whole and a split run send the same bytes (the engine may not
 *     depend on packet boundaries, RFC 2449 6.6);
 *   - after the connection is lost the maildrop is unlocked, and messages
 *     left the store only through a QUIT in TRANSACTION.
 *
 * Without a fuzzing engine, tests/fuzz/fuzz-replay.c replays the corpus
 * through it (tests/fuzz/corpus/pop3-command), so CI runs it.
 *
 * The corpus logs in as bob@b.example / bob-secret; APOP's timestamp is
 * "<1.0@fuzz.example>" (session 1, clock 0), whose digest with that secret
 * is c272ce699acdc5eac323074b418a5f0d — see corpus/pop3-command/apop.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/pop3-server.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const messages[] = {
  "From: alice@a.example\r\nSubject: hi\r\n\r\nHello\r\n",
  "Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n",
  "Subject: no final newline\r\n\r\nbare\nlf and no end",
};

typedef struct {
  GString  *wire;     /* every byte the server sent */
  GString  *events;   /* REPLY lines joined with CRLF */
  gboolean  quit_in_transaction;
} Run;

static void
check_utf8 (const char *text)
{
  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    abort ();
}

static void
drain (MlPop3Server *server, Run *run)
{
  MlEngineEvent ev = { 0 };
  GBytes *out;

  while (ml_pop3_server_next_event (server, &ev))
    {
      check_utf8 (ev.line);
      check_utf8 (ev.verb);
      check_utf8 (ev.args);
      check_utf8 (ev.detail);
      if (ev.kind == ML_ENGINE_EVENT_REPLY)
        {
          const char *nl = strchr (ev.line, '\n');
          gsize first = nl ? (gsize) (nl - ev.line) : strlen (ev.line);

          /* "+ " is a SASL challenge (RFC 5034 4). */
          if (!g_str_has_prefix (ev.line, "+OK") && !g_str_has_prefix (ev.line, "-ERR")
              && !g_str_has_prefix (ev.line, "+ "))
            abort ();
          if (first + 2 > ML_POP3_MAX_RESPONSE_LINE)
            abort ();
          for (const char *p = ev.line; *p != '\0'; p++)
            {
              if (*p == '\n')
                g_string_append (run->events, "\r\n");
              else
                g_string_append_c (run->events, *p);
            }
          g_string_append (run->events, "\r\n");
        }
      else if (ev.kind == ML_ENGINE_EVENT_STATE && g_strcmp0 (ev.state_to, "update") == 0)
        run->quit_in_transaction = TRUE;
      ml_engine_event_clear (&ev);
    }
  out = ml_pop3_server_take_output (server);
  if (out != NULL)
    {
      g_string_append_len (run->wire, g_bytes_get_data (out, NULL), (gssize) g_bytes_get_size (out));
      g_bytes_unref (out);
    }
}

static char *
run_server (const uint8_t *data, size_t size, size_t split)
{
  g_autoptr(MlMailStore) store = ml_mail_store_new ();
  MlAccount *bob = ml_mail_store_add_account (store, "bob@b.example", "bob-secret");
  MlMailbox *inbox = ml_account_get_inbox (bob);
  MlPop3ServerConfig config;
  MlPop3Server *server;
  Run run = { g_string_new (NULL), g_string_new (NULL), FALSE };

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr(GBytes) b = g_bytes_new_static (messages[i], strlen (messages[i]));

      ml_mailbox_append (inbox, b, 0, 0);
    }

  ml_pop3_server_config_init (&config);
  config.hostname = "fuzz.example";
  /* STLS and AUTH reachable too. TLS never starts here: after STLS every
   * later byte must be dropped, whole or split alike. */
  config.offer_stls = TRUE;
  config.sasl_mechanisms = (1u << ML_SASL_PLAIN) | (1u << ML_SASL_LOGIN)
                           | (1u << ML_SASL_SCRAM_SHA_256);
  server = ml_pop3_server_new (store, &config);
  ml_pop3_server_set_now (server, 0);
  ml_pop3_server_start (server);
  drain (server, &run);
  ml_pop3_server_feed (server, data, split);
  drain (server, &run);
  ml_pop3_server_feed (server, data + split, size - split);
  drain (server, &run);
  ml_pop3_server_connection_lost (server);
  drain (server, &run);
  ml_pop3_server_free (server);

  if (run.wire->len != run.events->len ||
      memcmp (run.wire->str, run.events->str, run.wire->len) != 0)
    abort ();
  if (ml_account_is_locked (bob))
    abort ();
  if (!run.quit_in_transaction && ml_mailbox_get_count (inbox) != G_N_ELEMENTS (messages))
    abort ();
  g_string_free (run.events, TRUE);
  return g_string_free (run.wire, FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *whole = run_server (data, size, size);
  g_autofree char *split = run_server (data, size, size > 0 ? data[0] % (size + 1) : 0);

  if (strcmp (whole, split) != 0)
    abort ();
  return 0;
}

/* Fuzz target for the IMAP response parser and the client engine behind it.
 *
 * One input is read three ways: by the parser whole, by the parser in
 * pieces whose sizes come from the input itself, and by a logged-in client
 * engine with a queue of actions, as if a hostile server sent it. Nothing
 * may crash, assert, leak or loop; a whole and a split read must agree.
 *
 * Without a fuzzing engine, tests/fuzz/fuzz-replay.c replays the corpus
 * through it (tests/fuzz/corpus/imap-response), so CI runs it.
 */
#include <stdint.h>
#include <string.h>
#include "proto/imap-client.h"
#include "proto/imap-response.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Every response's raw text, or "!" for a malformed one. */
static GPtrArray *
parse (const uint8_t *data, size_t size, gboolean split)
{
  g_autoptr(MlImapResponseParser) p = ml_imap_response_parser_new ();
  GPtrArray *log = g_ptr_array_new_with_free_func (g_free);
  size_t pos = 0, k = 0;

  while (pos < size)
    {
      size_t n = size - pos;

      if (split)
        {
          size_t piece = (size_t) (data[k++ % size] % 17) + 1;

          n = MIN (n, piece);
        }
      ml_imap_response_parser_push (p, data + pos, n);
      pos += n;
      for (;;)
        {
          g_autoptr(MlImapResponse) r = NULL;
          g_autoptr(GError) error = NULL;
          MlImapResponseResult res = ml_imap_response_parser_next (p, &r, &error);

          if (res == ML_IMAP_RESPONSE_NEED_MORE)
            break;
          if (res == ML_IMAP_RESPONSE_MALFORMED)
            {
              if (error == NULL)
                abort ();
              g_ptr_array_add (log, g_strdup ("!"));
              continue;
            }
          if (r == NULL || r->raw == NULL)
            abort ();
          g_free (ml_imap_response_dup_explain_key (r));
          g_ptr_array_add (log, g_strdup (r->raw));
        }
    }
  return log;
}

static void
drain (MlImapClient *client)
{
  MlEngineEvent ev = { 0 };

  while (ml_imap_client_next_event (client, &ev))
    ml_engine_event_clear (&ev);
  g_bytes_unref (ml_imap_client_take_output (client));
}

static void
run_client (const uint8_t *data, size_t size)
{
  static const char greeting[] =
    "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN IDLE MOVE UIDPLUS] ready\r\n"
    "a1 OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE MOVE UIDPLUS] in\r\n";
  static const char *const flags[] = { "\\Flagged", NULL };
  g_autoptr(MlImapLocalStore) store = ml_imap_local_store_new ();
  MlImapClientConfig config;
  MlImapClient *client;
  MlImapAction a;
  g_autofree char *summary = NULL;

  ml_imap_client_config_init (&config);
  config.username = "bob";
  config.password = "secret";
  client = ml_imap_client_new (&config, store);
  ml_imap_client_feed (client, (const guint8 *) greeting, sizeof greeting - 1);
  for (MlImapActionKind k = ML_IMAP_ACTION_SYNC; k <= ML_IMAP_ACTION_LOGOUT; k++)
    {
      ml_imap_action_init (&a, k);
      a.subject = "x";
      a.flags = flags;
      a.folder = "F";
      a.criteria = "ALL";
      ml_imap_client_add_action (client, &a);
    }
  drain (client);
  /* The input as what the server says next, in two pieces so a response
   * is cut in its middle. */
  ml_imap_client_feed (client, data, size / 2);
  drain (client);
  ml_imap_client_stop_idle (client);
  ml_imap_client_feed (client, data + size / 2, size - size / 2);
  drain (client);
  summary = ml_imap_local_store_dup_summary (store);
  ml_imap_client_connection_lost (client);
  drain (client);
  if (ml_imap_client_get_n_pending (client) != 0)
    abort ();
  ml_imap_client_free (client);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GPtrArray) whole = parse (data, size, FALSE);
  g_autoptr(GPtrArray) split = parse (data, size, TRUE);

  /* The parser answers the same whatever the packet boundaries — unless
   * a literal over the limit stopped it, which depends on nothing else. */
  if (whole->len != split->len)
    abort ();
  for (guint i = 0; i < whole->len; i++)
    if (strcmp (whole->pdata[i], split->pdata[i]) != 0)
      abort ();
  run_client (data, size);
  return 0;
}

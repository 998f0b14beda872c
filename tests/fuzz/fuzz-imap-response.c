/* Fuzz target for the IMAP response parser and the client engine behind it.
 *
 * One input is read three ways: by the parser whole, by the parser in
 * pieces whose sizes come from the input itself, and by a logged-in client
 * engine with a queue of actions, as if a hostile server sent it. Nothing
 * may crash, assert, leak or loop; a whole and a split read must agree.
 *
 * With a fuzzing engine (-DML_FUZZ_ENGINE, libFuzzer) only
 * LLVMFuzzerTestOneInput is built. Without one, main() runs every file of
 * the corpus directories (or files) named on the command line, by default
 * $ML_SOURCE_DIR/tests/fuzz/corpus/imap-response, so CI replays the corpus.
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

#ifndef ML_FUZZ_ENGINE
/* g_ptr_array_sort hands the comparator pointers to the array's slots. */
static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static guint
run_path (const char *path)
{
  guint n = 0;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      if (dir == NULL)
        return 0;
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_build_filename (path, name, NULL));
      /* In a fixed order, so a failure is found again the same way. */
      g_ptr_array_sort (names, compare_paths);
      for (guint i = 0; i < names->len; i++)
        n += run_path (names->pdata[i]);
      return n;
    }
  {
    g_autofree char *contents = NULL;
    gsize len = 0;

    if (!g_file_get_contents (path, &contents, &len, NULL))
      return 0;
    LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
    return 1;
  }
}

int
main (int argc, char **argv)
{
  guint n = 0;

  if (argc > 1)
    for (int i = 1; i < argc; i++)
      n += run_path (argv[i]);
  else
    {
      const char *src = g_getenv ("ML_SOURCE_DIR");
      g_autofree char *dir = g_build_filename (src != NULL ? src : ".", "tests", "fuzz", "corpus",
                                               "imap-response", NULL);

      n = run_path (dir);
    }
  if (n == 0)
    {
      g_printerr ("fuzz-imap-response: no corpus input found\n");
      return 1;
    }
  g_print ("fuzz-imap-response: %u inputs, no crash\n", n);
  return 0;
}
#endif

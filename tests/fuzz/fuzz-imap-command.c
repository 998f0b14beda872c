/* Fuzz target for the IMAP server engine, as a hostile client sees it.
 *
 * One input is fed to a fresh server over a small store, whole and then
 * cut in two at a point taken from its first byte, while a second session
 * sits in the same INBOX (so other sessions' changes are exercised too).
 * Nothing may crash, assert, leak or loop, and on both runs:
 *   - the REPLY events, their lines joined with CRLF, are the bytes sent,
 *     for both sessions (the trace must match a capture byte for byte),
 *     CRLF and LF taken as one: a literal's bare LF (a partial FETCH that
 *     cuts a CRLF) reads as "\n" in an event (see imap-server.h);
 *   - every response line starts "* ", "+ " or "<tag> OK|NO|BAD ";
 *   - every event's text is UTF-8;
 *   - the whole and the split run send the same bytes, but for the "+"
 *     that asks for a synchronizing literal: it is only sent when the
 *     literal has not arrived yet, which depends on the split (and an
 *     input with a synchronizing literal is not compared at all: see
 *     LLVMFuzzerTestOneInput).
 *
 * Without a fuzzing engine, tests/fuzz/fuzz-replay.c replays the corpus
 * through it (tests/fuzz/corpus/imap-command), so CI runs it.
 *
 * The corpus logs in as bob@b.example / bob-secret (AUTHENTICATE PLAIN:
 * AGJvYkBiLmV4YW1wbGUAYm9iLXNlY3JldA==).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/imap-server.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const messages[] = {
  "Date: Tue, 05 Mar 2024 08:00:00 +0000\r\nFrom: Alice <alice@a.example>\r\n"
  "To: bob@b.example\r\nSubject: hi\r\nMessage-ID: <1@a.example>\r\n\r\nHello\r\n",
  "From: =?UTF-8?Q?Ren=C3=A9?= <rene@d.example>\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
  "one\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ntwo\r\n--b--\r\n",
  "Subject: no final newline\r\n\r\nbare\nlf and no end",
};

#define CONTINUE_LITERAL "+ Ready for literal data\r\n"

static void
check_utf8 (const char *text)
{
  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    {
      g_printerr ("DEBUG invalid: %s\n", text);
      abort ();
    }
}

static void
check_line (const char *line)
{
  const char *sp;

  if (g_str_has_prefix (line, "* ") || g_str_has_prefix (line, "+ "))
    return;
  /* tag SP ("OK" / "NO" / "BAD") SP, RFC 3501 7.1 */
  sp = strchr (line, ' ');
  if (sp == NULL || sp == line)
    abort ();
  if (!g_str_has_prefix (sp, " OK ") && !g_str_has_prefix (sp, " NO ") && !g_str_has_prefix (sp, " BAD "))
    abort ();
}

/* @data with every CRLF as LF (and NULs, which events show as U+FFFD,
 * dropped: no stored message here has one). */
static char *
lf_only (const char *data, gsize len)
{
  GString *s = g_string_sized_new (len);
  gsize i;

  for (i = 0; i < len; i++)
    {
      if ((data[i] == '\r' && i + 1 < len && data[i + 1] == '\n') || data[i] == '\0')
        continue;
      g_string_append_c (s, data[i]);
    }
  return g_string_free (s, FALSE);
}

/* Drains @server into @wire, checking its events against the bytes. */
static void
drain (MlImapServer *server, GString *wire)
{
  MlEngineEvent ev = { 0 };
  g_autoptr (GString) events = g_string_new (NULL);
  gsize round_start = wire->len;
  GBytes *out;

  /* Output first: taking it may take up held-back commands, whose events
   * and bytes then come in the next round. */
  for (;;)
    {
      gsize before = wire->len;

      out = ml_imap_server_take_output (server);
      if (out != NULL)
        {
          g_string_append_len (wire, g_bytes_get_data (out, NULL), (gssize) g_bytes_get_size (out));
          g_bytes_unref (out);
        }
      while (ml_imap_server_next_event (server, &ev))
        {
          check_utf8 (ev.line);
          check_utf8 (ev.verb);
          check_utf8 (ev.args);
          check_utf8 (ev.detail);
          check_utf8 (ev.enhanced);
          if (ev.kind == ML_ENGINE_EVENT_REPLY)
            {
              const char *p;

              check_line (ev.line);
              for (p = ev.line; *p != '\0'; p++)
                {
                  if (*p == '\n')
                    g_string_append_c (events, '\r');
                  g_string_append_c (events, *p);
                }
              g_string_append (events, "\r\n");
            }
          ml_engine_event_clear (&ev);
        }
      if (wire->len == before)
        break;
    }
  /* What this round wrote is what its events say. */
  {
    g_autofree char *said = lf_only (events->str, events->len);
    g_autofree char *sent = lf_only (wire->str + round_start, wire->len - round_start);

    if (strcmp (said, sent) != 0)
      abort ();
  }
}

static MlImapServer *
new_server (MlMailStore *store)
{
  MlImapServerConfig config;
  MlImapServer *server;

  ml_imap_server_config_init (&config);
  config.hostname = "fuzz.example";
  /* STARTTLS and every SASL mechanism reachable. TLS never starts here:
   * after STARTTLS every later byte must be dropped, whole or split. */
  config.offer_starttls = TRUE;
  config.sasl_mechanisms = (1u << ML_SASL_PLAIN) | (1u << ML_SASL_LOGIN)
                           | (1u << ML_SASL_SCRAM_SHA_256);
  server = ml_imap_server_new (store, &config);
  ml_imap_server_set_now (server, 0);
  return server;
}

static void
feed (MlImapServer *server, const char *text, GString *wire)
{
  ml_imap_server_feed (server, (const guint8 *) text, strlen (text));
  drain (server, wire);
}

static char *
run_server (const uint8_t *data, size_t size, size_t split)
{
  g_autoptr (MlMailStore) store = ml_mail_store_new ();
  MlAccount *bob = ml_mail_store_add_account (store, "bob@b.example", "bob-secret");
  MlMailbox *inbox = ml_account_get_inbox (bob);
  MlImapServer *server, *other;
  GString *wire = g_string_new (NULL);
  g_autoptr (GString) other_wire = g_string_new (NULL);
  GString *filtered;
  const char *p;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr (GBytes) b = g_bytes_new_static (messages[i], strlen (messages[i]));

      ml_mailbox_append (inbox, b, i == 0 ? ML_FLAG_SEEN : ML_FLAG_RECENT, 0);
    }
  ml_account_set_quota (bob, 64 * 1024);

  other = new_server (store);
  ml_imap_server_start (other);
  feed (other, "o1 LOGIN bob@b.example bob-secret\r\no2 SELECT INBOX\r\n", other_wire);

  server = new_server (store);
  ml_imap_server_start (server);
  drain (server, wire);
  ml_imap_server_feed (server, data, split);
  drain (server, wire);
  ml_imap_server_feed (server, data + split, size - split);
  drain (server, wire);

  /* The other session tells what it was held, then goes. */
  feed (other, "o3 NOOP\r\no4 FETCH 1:* (FLAGS UID)\r\no5 IDLE\r\n", other_wire);
  {
    g_autoptr (GBytes) late = g_bytes_new_static ("Subject: late\r\n\r\nx\r\n", 20);

    ml_mailbox_append (inbox, late, ML_FLAG_RECENT, 0);
  }
  drain (other, other_wire);
  drain (server, wire);
  feed (other, "DONE\r\no6 LOGOUT\r\n", other_wire);

  ml_imap_server_connection_lost (server);
  drain (server, wire);
  ml_imap_server_free (server);
  ml_imap_server_free (other);

  /* Only the literal "+" may differ between whole and split runs. */
  filtered = g_string_new (NULL);
  for (p = wire->str; *p != '\0';)
    {
      const char *nl = strstr (p, "\r\n");
      gsize len = nl != NULL ? (gsize) (nl - p) + 2 : strlen (p);

      if (!(len == strlen (CONTINUE_LITERAL) && memcmp (p, CONTINUE_LITERAL, len) == 0))
        g_string_append_len (filtered, p, (gssize) len);
      p += len;
    }
  g_string_free (wire, TRUE);
  return g_string_free (filtered, FALSE);
}

/* "{n}" at a line's end: a synchronizing literal (RFC 3501 7.5). */
static gboolean
has_sync_literal (const uint8_t *data, size_t size)
{
  size_t i;

  for (i = 0; i + 1 < size; i++)
    if (data[i] == '}' && (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < size
                                                   && data[i + 2] == '\n')))
      {
        size_t j = i;

        while (j > 0 && g_ascii_isdigit (data[j - 1]))
          j--;
        if (j < i && j > 0 && data[j - 1] == '{')
          return TRUE;
      }
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *whole = run_server (data, size, size);
  g_autofree char *split = run_server (data, size, size > 0 ? data[0] % (size + 1) : 0);

  /* A client that sends a synchronizing literal's octets without waiting
   * for "+" breaks RFC 3501 7.5, and then what the server makes of them
   * depends on whether it could refuse the literal first: only inputs
   * without one must give the same bytes however they are cut. */
  if (!has_sync_literal (data, size) && strcmp (whole, split) != 0)
    abort ();
  return 0;
}

/* bench-retrieval — in-simulation IMAP and POP3 throughput (run by hand).
 *
 * A mailbox of N messages (default 10,000) on an MDA; a client host one
 * 1 ms, 1 Gbit/s link away speaks raw protocol over a simulated TCP stream:
 *   IMAP: LOGIN, SELECT INBOX, FETCH 1:* (FLAGS BODY.PEEK[HEADER]), LOGOUT
 *   POP3: USER, PASS, then RETR 1..N pipelined (RFC 2449 6.6), QUIT
 * and prints, for each, the wall-clock time of the whole simulation (engines,
 * TCP model and trace), messages per second, and the bytes that crossed.
 * The trace is streamed only (no events kept), as the CLI runs.
 *
 *   build/tests/bench/bench-retrieval [N]
 */
#include <stdio.h>
#include <string.h>
#include "net/network.h"
#include "world/mailbox-services.h"
#include "mail/mail-store.h"

typedef struct {
  GString  *received;
  GString  *marker;     /* stop when this arrives */
  gboolean  done;
  MlStream *stream;
  const char *script;
  MlNetwork *net;
  guint64   done_at;    /* virtual µs when the last answer arrived */
  gint64    done_wall;
} Client;

static void
on_data (MlStream *stream, const guint8 *data, gsize len, gpointer user_data)
{
  Client *c = user_data;

  g_string_append_len (c->received, (const char *) data, len);
  if (!c->done && strstr (c->received->str + MAX (0, (gssize) c->received->len - (gssize) len - 64),
                          c->marker->str) != NULL)
    {
      c->done = TRUE;
      c->done_at = ml_scheduler_now (ml_network_get_scheduler (c->net));
      c->done_wall = g_get_monotonic_time ();
      ml_stream_close (stream);
    }
}

static void
on_connected (MlStream *stream, gpointer user_data)
{
  Client *c = user_data;

  ml_stream_write (stream, (const guint8 *) c->script, strlen (c->script));
}

static void
on_closed (MlStream *stream, const GError *error, gpointer user_data)
{
}

static GBytes *
make_message (guint i)
{
  GString *m = g_string_new (NULL);

  g_string_append_printf (m, "Return-Path: <alice@a.example>\r\n"
                             "Received: from mx.b.example (mx.b.example [10.2.0.25])\r\n"
                             "\tby mail.b.example with ESMTP id %06X\r\n"
                             "From: alice@a.example\r\nTo: bob@b.example\r\n"
                             "Subject: Benchmark message %u\r\n"
                             "Date: Mon, 04 Mar 2024 09:00:00 +0000\r\n"
                             "Message-ID: <%u@alice-laptop>\r\n"
                             "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
                          i, i, i);
  for (int l = 0; l < 20; l++)
    g_string_append (m, "A line of the body, long enough to look like text people write.\r\n");
  return g_string_free_to_bytes (m);
}

static void
run (const char *name, guint16 port, const char *script, const char *marker, guint n)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  MlNetwork *net;
  MlHost *server, *client;
  MlLinkConfig link;
  g_autoptr(MlMailStore) store = ml_mail_store_new ();
  MlAccount *bob;
  Client c = { 0 };
  gint64 start, wall;
  guint64 virt;

  ml_trace_set_keep_events (trace, FALSE);
  net = ml_network_new (1, trace);
  server = ml_network_add_host (net, "mail.b.example", 0x0a02001e, ML_ROLE_MDA);
  client = ml_network_add_host (net, "bob-laptop", 0x0a020033, ML_ROLE_MUA);
  ml_link_config_init (&link);
  link.latency_us = 1000;
  link.bandwidth_bps = G_GUINT64_CONSTANT (1000000000);
  ml_network_add_link (net, server, client, &link);
  ml_network_compute_routes (net, NULL);

  bob = ml_mail_store_add_account (store, "bob@b.example", "pw");
  for (guint i = 1; i <= n; i++)
    {
      g_autoptr(GBytes) msg = make_message (i);
      ml_mailbox_append (ml_account_get_inbox (bob), msg, 0, 1709542800);
    }
  ml_mailbox_services_start (net, server, store, NULL);

  c.received = g_string_new (NULL);
  c.marker = g_string_new (marker);
  c.script = script;
  c.net = net;
  c.stream = ml_host_tcp_connect (client, ml_host_get_ipv4 (server), port);
  ml_stream_set_callbacks (c.stream, on_connected, on_data, on_closed, &c);

  start = g_get_monotonic_time ();
  ml_scheduler_run (ml_network_get_scheduler (net), G_MAXUINT64);
  wall = c.done_wall - start;
  virt = c.done_at;

  printf ("%s: %u messages, %s\n", name, n, c.done ? "completed" : "DID NOT COMPLETE");
  printf ("  wall time        %.3f s (%.0f messages/s)\n", wall / 1e6, n / (wall / 1e6));
  printf ("  octets received  %" G_GSIZE_FORMAT " (%.1f MB/s of wall time)\n",
          c.received->len, c.received->len / (wall / 1e6) / 1e6);
  printf ("  virtual time     %.3f s on a 1 Gbit/s, 1 ms link (%.0f messages/s of virtual time)\n",
          virt / 1e6, n / (virt / 1e6));
  g_object_unref (c.stream);
  g_string_free (c.received, TRUE);
  g_string_free (c.marker, TRUE);
  ml_network_free (net);
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 10000;
  GString *pop3 = g_string_new ("USER bob@b.example\r\nPASS pw\r\n");

  run ("IMAP FETCH 1:* (FLAGS BODY.PEEK[HEADER])", ML_PORT_IMAP,
       "a1 LOGIN bob@b.example pw\r\na2 SELECT INBOX\r\n"
       "a3 FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\na4 LOGOUT\r\n",
       "a4 OK", n);

  for (guint i = 1; i <= n; i++)
    g_string_append_printf (pop3, "RETR %u\r\n", i);
  g_string_append (pop3, "QUIT\r\n");
  run ("POP3 RETR of every message", ML_PORT_POP3, pop3->str, "signing off", n);
  g_string_free (pop3, TRUE);
  return 0;
}

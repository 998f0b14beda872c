/* smtp-test-pair.h — our SMTP/LMTP client against our server through an
 * in-memory link, fed whole, one byte at a time or in random pieces, for
 * test-smtp-pair.c, test-dsn-ext.c, test-lmtp.c and test-bdat.c; the
 * configs and the policy are each test's. */
#pragma once

#include <string.h>
#include "proto/smtp-client.h"
#include "proto/smtp-server.h"

typedef enum {
  TP_SPLIT_WHOLE,
  TP_SPLIT_BYTES,
  TP_SPLIT_RANDOM,
} TpSplit;

typedef struct {
  MlSmtpClient *client;
  MlSmtpServer *server;
  GPtrArray    *client_commands;  /* lines the client sent */
  GPtrArray    *server_commands;  /* lines the server read */
  GPtrArray    *client_replies;   /* "code|line" */
  GPtrArray    *server_replies;
  GPtrArray    *server_keys;      /* every server event's explain key */
  GRand        *rand;
  TpSplit       split;
} TpPair;

static inline void
tp_pair_init (TpPair *p, TpSplit split, guint32 seed,
              const MlSmtpClientConfig *cc, const MlSmtpServerConfig *sc,
              const MlSmtpServerPolicy *policy, gpointer policy_data)
{
  memset (p, 0, sizeof *p);
  p->client = ml_smtp_client_new (cc);
  p->server = ml_smtp_server_new (sc, policy, policy_data);
  p->client_commands = g_ptr_array_new_with_free_func (g_free);
  p->server_commands = g_ptr_array_new_with_free_func (g_free);
  p->client_replies = g_ptr_array_new_with_free_func (g_free);
  p->server_replies = g_ptr_array_new_with_free_func (g_free);
  p->server_keys = g_ptr_array_new_with_free_func (g_free);
  p->rand = g_rand_new_with_seed (seed);
  p->split = split;
  ml_smtp_server_set_now (p->server, G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC);
}

static inline void
tp_pair_clear (TpPair *p)
{
  ml_smtp_client_free (p->client);
  ml_smtp_server_free (p->server);
  g_ptr_array_unref (p->client_commands);
  g_ptr_array_unref (p->server_commands);
  g_ptr_array_unref (p->client_replies);
  g_ptr_array_unref (p->server_replies);
  g_ptr_array_unref (p->server_keys);
  g_rand_free (p->rand);
}

static inline void
tp_drain (TpPair *p)
{
  MlEngineEvent ev = { 0 };

  while (ml_smtp_client_next_event (p->client, &ev))
    {
      if (ev.kind == ML_ENGINE_EVENT_COMMAND)
        g_ptr_array_add (p->client_commands, g_strdup (ev.line));
      else if (ev.kind == ML_ENGINE_EVENT_REPLY)
        g_ptr_array_add (p->client_replies, g_strdup_printf ("%u|%s", ev.code, ev.line));
      ml_engine_event_clear (&ev);
    }
  while (ml_smtp_server_next_event (p->server, &ev))
    {
      if (ev.kind == ML_ENGINE_EVENT_COMMAND)
        g_ptr_array_add (p->server_commands, g_strdup (ev.line));
      else if (ev.kind == ML_ENGINE_EVENT_REPLY)
        g_ptr_array_add (p->server_replies, g_strdup_printf ("%u|%s", ev.code, ev.line));
      if (ev.explain_key != NULL)
        g_ptr_array_add (p->server_keys, g_strdup (ev.explain_key));
      ml_engine_event_clear (&ev);
    }
}

static inline void
tp_deliver (TpPair *p, GBytes *bytes, gboolean to_server)
{
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  gsize len = g_bytes_get_size (bytes), pos = 0;

  while (pos < len)
    {
      gsize n = len - pos;

      if (p->split == TP_SPLIT_BYTES)
        n = 1;
      else if (p->split == TP_SPLIT_RANDOM)
        {
          /* Drawn once: MIN() evaluates its arguments twice. */
          gsize piece = (gsize) g_rand_int_range (p->rand, 1, 700);

          n = MIN (n, piece);
        }
      if (to_server)
        ml_smtp_server_feed (p->server, data + pos, n);
      else
        ml_smtp_client_feed (p->client, data + pos, n);
      pos += n;
    }
}

/* Until neither side has anything to say; both ends must then have seen
 * the same commands and replies. */
static inline void
tp_pump (TpPair *p)
{
  ml_smtp_server_start (p->server);
  for (guint round = 0; round < 100000; round++)
    {
      g_autoptr(GBytes) from_server = ml_smtp_server_take_output (p->server);
      g_autoptr(GBytes) from_client = NULL;

      tp_drain (p);
      if (from_server != NULL)
        tp_deliver (p, from_server, FALSE);
      from_client = ml_smtp_client_take_output (p->client);
      if (from_client != NULL)
        tp_deliver (p, from_client, TRUE);
      tp_drain (p);
      if (from_server == NULL && from_client == NULL)
        break;
    }
  g_assert_true (ml_smtp_client_is_done (p->client));
  g_assert_true (ml_smtp_server_wants_close (p->server));
  g_assert_cmpuint (p->client_commands->len, ==, p->server_commands->len);
  for (guint i = 0; i < p->client_commands->len; i++)
    g_assert_cmpstr (p->client_commands->pdata[i], ==, p->server_commands->pdata[i]);
  g_assert_cmpuint (p->client_replies->len, ==, p->server_replies->len);
  for (guint i = 0; i < p->client_replies->len; i++)
    g_assert_cmpstr (p->client_replies->pdata[i], ==, p->server_replies->pdata[i]);
}

/* A server alone, fed @text whole; returns every reply line it sent,
 * "\r\n"-separated, and clears its output. */
static inline char *
tp_server_say (MlSmtpServer *server, const char *text)
{
  g_autoptr(GBytes) out = NULL;

  ml_smtp_server_feed (server, (const guint8 *) text, strlen (text));
  out = ml_smtp_server_take_output (server);
  return out ? g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out)) : g_strdup ("");
}

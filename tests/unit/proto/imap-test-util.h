/* imap-test-util.h — a store with Bob's mail and IMAP server sessions on
 * it, for the IMAP server tests. Header-only (static inline): each test
 * program includes it once. */
#pragma once

#include <string.h>
#include "proto/imap-server.h"
#include "proto/imap-parser.h"

#define BOB      "bob@b.example"
#define BOB_PASS "bob-secret"
/* 2024-03-05 08:00:00 UTC, the lesson's epoch. */
#define T0       G_GINT64_CONSTANT (1709625600)

static const char msg_plain[] =
  "Date: Tue, 05 Mar 2024 08:00:00 +0000\r\n"
  "From: Alice <alice@a.example>\r\n"
  "To: Bob <bob@b.example>\r\n"
  "Subject: Project kickoff\r\n"
  "Message-ID: <1@a.example>\r\n"
  "\r\n"
  "Hello Bob,\r\n"
  "the kickoff is on Monday.\r\n";

static const char msg_multipart[] =
  "Date: Wed, 06 Mar 2024 09:30:00 +0100\r\n"
  "From: Carol <carol@c.example>\r\n"
  "To: bob@b.example\r\n"
  "Cc: Alice <alice@a.example>\r\n"
  "Subject: Slides\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
  "\r\n"
  "--XYZ\r\n"
  "Content-Type: text/plain; charset=us-ascii\r\n"
  "\r\n"
  "Slides attached.\r\n"
  "--XYZ\r\n"
  "Content-Type: application/pdf; name=\"s.pdf\"\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "Content-Disposition: attachment; filename=\"s.pdf\"\r\n"
  "\r\n"
  "JVBERi0xLjQK\r\n"
  "--XYZ--\r\n";

static const char msg_encoded[] =
  "Date: Thu, 07 Mar 2024 10:00:00 +0000\r\n"
  "From: =?UTF-8?Q?Ren=C3=A9?= <rene@d.example>\r\n"
  "To: bob@b.example\r\n"
  "Subject: =?UTF-8?Q?Caf=C3=A9_ce_soir?=\r\n"
  "\r\n"
  "On se retrouve au caf\xc3\xa9 ?\r\n";

typedef struct {
  MlImapServer *server;
  GString      *out;       /* everything the server wrote */
  GPtrArray    *events;    /* MlEngineEvent*, everything it reported */
  guint         wakeups;
} Session;

typedef struct {
  MlMailStore *store;
  MlAccount   *bob;
  Session     *a;
  Session     *b;
} Fixture;

static inline void
free_event (gpointer data)
{
  MlEngineEvent *ev = data;

  ml_engine_event_clear (ev);
  g_free (ev);
}

static inline void
on_wakeup (MlImapServer *server, gpointer user_data)
{
  Session *s = user_data;

  s->wakeups++;
}

static inline Session *
session_new (MlMailStore *store, const MlImapServerConfig *config_or_null)
{
  Session *s = g_new0 (Session, 1);
  MlImapServerConfig config;

  ml_imap_server_config_init (&config);
  config.hostname = "mail.b.example";
  if (config_or_null != NULL)
    config = *config_or_null;
  s->server = ml_imap_server_new (store, &config);
  ml_imap_server_set_now (s->server, (T0 + 3600) * G_USEC_PER_SEC);
  ml_imap_server_set_wakeup (s->server, on_wakeup, s);
  s->out = g_string_new (NULL);
  s->events = g_ptr_array_new_with_free_func (free_event);
  return s;
}

static inline void
session_free (Session *s)
{
  if (s == NULL)
    return;
  ml_imap_server_free (s->server);
  g_string_free (s->out, TRUE);
  g_ptr_array_unref (s->events);
  g_free (s);
}

/* Takes what the server produced since the last call: the output bytes
 * (returned, caller frees) and the events. Checks the trace promise of
 * imap-server.h: the REPLY events' lines, each with CRLF for "\n" and a
 * final CRLF, are exactly the bytes written. */
static inline char *
session_drain (Session *s)
{
  g_autoptr (GBytes) out = ml_imap_server_take_output (s->server);
  g_autoptr (GString) replies = g_string_new (NULL);
  MlEngineEvent ev;
  char *text;

  while (ml_imap_server_next_event (s->server, &ev))
    {
      MlEngineEvent *copy = g_new (MlEngineEvent, 1);

      *copy = ev;
      g_ptr_array_add (s->events, copy);
      if (ev.kind == ML_ENGINE_EVENT_REPLY)
        {
          const char *p;

          g_assert_true (ev.outgoing);
          g_assert_cmpint (ev.protocol, ==, ML_PROTO_IMAP);
          for (p = ev.line; *p != '\0'; p++)
            {
              if (*p == '\n')
                g_string_append_c (replies, '\r');
              g_string_append_c (replies, *p);
            }
          g_string_append (replies, "\r\n");
        }
    }
  text = out != NULL ? g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out))
                     : g_strdup ("");
  g_assert_cmpstr (replies->str, ==, text);
  g_string_append (s->out, text);
  return text;
}

static inline char *
session_send (Session *s, const char *input)
{
  ml_imap_server_feed (s->server, (const guint8 *) input, strlen (input));
  return session_drain (s);
}

static inline char *
session_send_bytes (Session *s, const char *input)
{
  GString *all = g_string_new (NULL);
  gsize i, n = strlen (input);

  for (i = 0; i < n; i++)
    {
      g_autofree char *part = NULL;

      ml_imap_server_feed (s->server, (const guint8 *) input + i, 1);
      part = session_drain (s);
      g_string_append (all, part);
    }
  return g_string_free (all, FALSE);
}

static inline void
session_start (Session *s)
{
  g_autofree char *greeting = NULL;

  ml_imap_server_start (s->server);
  greeting = session_drain (s);
  g_assert_true (g_str_has_prefix (greeting, "* OK [CAPABILITY IMAP4rev1 "));
}

static inline void
session_login (Session *s)
{
  g_autofree char *r = session_send (s, "L1 LOGIN " BOB " " BOB_PASS "\r\n");

  g_assert_true (g_str_has_prefix (r, "L1 OK [CAPABILITY "));
}

static inline void
session_select (Session *s, const char *mailbox)
{
  g_autofree char *cmd = g_strdup_printf ("S1 SELECT %s\r\n", mailbox);
  g_autofree char *r = session_send (s, cmd);

  g_assert_nonnull (strstr (r, "S1 OK [READ-WRITE] SELECT completed\r\n"));
}

static inline guint32
add_message (MlMailbox *mailbox, const char *text, MlMessageFlags flags, gint64 date)
{
  g_autoptr (GBytes) data = g_bytes_new (text, strlen (text));

  return ml_mailbox_append (mailbox, data, flags, date);
}

static inline void
fixture_setup (Fixture *f, gconstpointer data)
{
  MlMailbox *inbox;

  f->store = ml_mail_store_new ();
  f->bob = ml_mail_store_add_account (f->store, BOB, BOB_PASS);
  inbox = ml_account_get_inbox (f->bob);
  add_message (inbox, msg_plain, ML_FLAG_SEEN, T0);
  add_message (inbox, msg_multipart, ML_FLAG_RECENT, T0 + 86400);
  add_message (inbox, msg_encoded, ML_FLAG_RECENT | ML_FLAG_FLAGGED, T0 + 2 * 86400);
  f->a = session_new (f->store, NULL);
  f->b = session_new (f->store, NULL);
  session_start (f->a);
  session_start (f->b);
}

static inline void
fixture_teardown (Fixture *f, gconstpointer data)
{
  session_free (f->a);
  session_free (f->b);
  ml_mail_store_free (f->store);
}

/* Does @haystack contain @needle? With a message saying what it was. */
static inline void
assert_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_test_message ("expected \"%s\" in:\n%s", needle, haystack);
  g_assert_nonnull (strstr (haystack, needle));
}

static inline void
assert_lacks (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) != NULL)
    g_test_message ("did not expect \"%s\" in:\n%s", needle, haystack);
  g_assert_null (strstr (haystack, needle));
}

/* Event @i from the end (0 = last) of @s. */
static inline MlEngineEvent *
last_event (Session *s, guint from_end)
{
  g_assert_cmpuint (s->events->len, >, from_end);
  return g_ptr_array_index (s->events, s->events->len - 1 - from_end);
}

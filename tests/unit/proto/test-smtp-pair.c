/* Our SMTP client against our SMTP server through an in-memory link: the
 * output of one is fed to the other until both are quiet. Each run is made
 * whole, one byte at a time, and in random pieces; the message must arrive
 * byte for byte (after the server's Received: header), and the two engines
 * must agree on every line that crossed. */
#include "smtp-test-pair.h"

typedef struct {
  char       *reverse_path;
  GPtrArray  *recipients;  /* char* */
  GBytes     *message;
  MlSmtpBody  body;
  guint64     declared_size;
  guint64     size;
} Captured;

/* The shared pair (smtp-test-pair.h) and what the server accepted. */
typedef struct {
  TpPair     tp;
  GPtrArray *captured;  /* Captured* */
} Pair;

static void
captured_free (gpointer data)
{
  Captured *c = data;

  g_free (c->reverse_path);
  g_ptr_array_unref (c->recipients);
  g_bytes_unref (c->message);
  g_free (c);
}

static void
accept_message (MlSmtpServer *server, const MlSmtpEnvelope *envelope, GBytes *message,
                MlSmtpVerdict *verdict, gpointer user_data)
{
  Pair *p = user_data;
  Captured *c = g_new0 (Captured, 1);

  c->reverse_path = g_strdup (envelope->reverse_path);
  c->recipients = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < envelope->recipients->len; i++)
    g_ptr_array_add (c->recipients, g_strdup (g_ptr_array_index (envelope->recipients, i)));
  c->message = g_bytes_ref (message);
  c->body = envelope->body;
  c->declared_size = envelope->declared_size;
  c->size = envelope->size;
  g_ptr_array_add (p->captured, c);
}

static void
pair_init (Pair *p, TpSplit split, guint32 seed, const MlSmtpServerConfig *server_config,
           const MlSmtpServerPolicy *policy)
{
  MlSmtpClientConfig cc;
  MlSmtpServerConfig sc;
  MlSmtpServerPolicy default_policy = { 0 };

  ml_smtp_client_config_init (&cc);
  cc.helo_name = "client.a.example";
  if (server_config == NULL)
    {
      ml_smtp_server_config_init (&sc);
      sc.hostname = "mx.b.example";
      server_config = &sc;
    }
  if (policy == NULL)
    {
      default_policy.accept_message = accept_message;
      policy = &default_policy;
    }
  tp_pair_init (&p->tp, split, seed, &cc, server_config, policy, p);
  p->captured = g_ptr_array_new_with_free_func (captured_free);
  ml_smtp_server_set_peer (p->tp.server, "client.a.example", "192.0.2.1");
}

static void
pair_clear (Pair *p)
{
  tp_pair_clear (&p->tp);
  g_ptr_array_unref (p->captured);
}

/* The message as the server handed it over, without the Received: header
 * it put on top (RFC 5321 4.4: one field, folded onto lines that start
 * with white space). */
static GBytes *
strip_received (GBytes *message)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);
  const char *p = data, *end = data + len;

  g_assert_true (len > 9 && memcmp (data, "Received:", 9) == 0);
  do
    {
      const char *lf = memchr (p, '\n', (gsize) (end - p));

      g_assert_nonnull (lf);
      p = lf + 1;
    }
  while (p < end && (*p == ' ' || *p == '\t'));
  return g_bytes_new_from_bytes (message, (gsize) (p - data), (gsize) (end - p));
}

static void
assert_bytes_equal (GBytes *got, const char *expected, gsize expected_len)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (got, &len);

  g_assert_cmpmem (data, len, expected, expected_len);
}

/* ---- messages ---- */

/* Canonical already (CRLF, ends in CRLF): must arrive unchanged. Dot lines
 * of every kind, a line of exactly 998 octets — the most RFC 5321
 * 4.5.3.1.6 allows — and one starting with a dot at that length too. */
static char *
dup_dotty_message (void)
{
  g_autofree char *long_line = g_strnfill (998, 'L');
  g_autofree char *long_dot = g_strnfill (997, 'D');
  g_autofree char *mid = g_strnfill (500, 'm');

  return g_strdup_printf ("From: alice@a.example\r\n"
                          "To: bob@b.example\r\n"
                          "Subject: dots and long lines\r\n"
                          "\r\n"
                          ".\r\n"
                          "..\r\n"
                          "...\r\n"
                          ".leading dot\r\n"
                          "line\r\n"
                          ".\r\n"
                          "after the lone dot\r\n"
                          " .indented\r\n"
                          "%s\r\n"
                          ".%s\r\n"
                          "%s\r\n"
                          "\r\n"
                          ".\r\n",
                          long_line, long_dot, mid);
}

static void
run_dotty (TpSplit split, guint32 seed, gboolean pipelining)
{
  Pair p;
  MlSmtpServerConfig sc;
  g_autofree char *text = dup_dotty_message ();
  g_autoptr(GBytes) msg = g_bytes_new (text, strlen (text));
  const char *rcpts[] = { "bob@b.example", "carol@b.example", NULL };
  const MlSmtpClientResult *res;
  Captured *c;
  g_autoptr(GBytes) body = NULL;

  ml_smtp_server_config_init (&sc);
  sc.hostname = "mx.b.example";
  sc.offer_pipelining = pipelining;
  pair_init (&p, split, seed, &sc, NULL);
  ml_smtp_client_add_message (p.tp.client, "alice@a.example", rcpts, msg);
  tp_pump (&p.tp);

  res = ml_smtp_client_get_result (p.tp.client, 0);
  g_assert_true (res->finished);
  g_assert_cmpuint (res->data_code, ==, 250);
  g_assert_cmpint (res->recipients[0].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);
  g_assert_cmpint (res->recipients[1].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);

  g_assert_cmpuint (p.captured->len, ==, 1);
  c = p.captured->pdata[0];
  g_assert_cmpstr (c->reverse_path, ==, "alice@a.example");
  g_assert_cmpuint (c->recipients->len, ==, 2);
  g_assert_cmpstr (c->recipients->pdata[0], ==, "bob@b.example");
  g_assert_cmpstr (c->recipients->pdata[1], ==, "carol@b.example");
  /* RFC 1870: what the client declared is what the server counted. */
  g_assert_cmpuint (c->declared_size, ==, strlen (text));
  g_assert_cmpuint (c->size, ==, strlen (text));
  body = strip_received (c->message);
  assert_bytes_equal (body, text, strlen (text));

  g_assert_true (g_ptr_array_find_with_equal_func (p.tp.client_commands, "DATA", g_str_equal, NULL));
  pair_clear (&p);
}

static void
test_dotty_whole (void)
{
  run_dotty (TP_SPLIT_WHOLE, 0, TRUE);
  run_dotty (TP_SPLIT_WHOLE, 0, FALSE);
}

static void
test_dotty_bytes (void)
{
  run_dotty (TP_SPLIT_BYTES, 0, TRUE);
  run_dotty (TP_SPLIT_BYTES, 0, FALSE);
}

static void
test_dotty_random (void)
{
  for (guint32 seed = 1; seed <= 20; seed++)
    run_dotty (TP_SPLIT_RANDOM, seed, seed % 2 == 0);
}

/* A queue of messages over one connection: bare LF normalised by the
 * client, 8-bit with BODY=8BITMIME, an over-long line refused by the
 * server (RFC 5321 4.5.3.1.6), and a message with no final CRLF. */
static void
run_queue (TpSplit split, guint32 seed)
{
  Pair p;
  g_autofree char *too_long = g_strnfill (1200, 'x');
  g_autofree char *m3 = g_strdup_printf ("Subject: long\r\n\r\n%s\r\n", too_long);
  const char *m1 = "Subject: lf\n\n.dot\nbody\n";
  const char *m1_canon = "Subject: lf\r\n\r\n.dot\r\nbody\r\n";
  const char *m2 = "Subject: caf\xc3\xa9\r\n\r\n\xe2\x82\xac 5\r\n";
  const char *m4 = "Subject: tail\r\n\r\nno final newline";
  const char *m4_canon = "Subject: tail\r\n\r\nno final newline\r\n";
  const char *messages[] = { m1, m2, m3, m4 };
  const char *rcpts[] = { "bob@b.example", NULL };
  g_autoptr(GBytes) b1 = NULL, b2 = NULL, b4 = NULL;
  const MlSmtpClientResult *res;

  pair_init (&p, split, seed, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr(GBytes) msg = g_bytes_new (messages[i], strlen (messages[i]));

      ml_smtp_client_add_message (p.tp.client, i == 1 ? "" : "alice@a.example", rcpts, msg);
    }
  tp_pump (&p.tp);

  for (guint i = 0; i < 4; i++)
    g_assert_true (ml_smtp_client_get_result (p.tp.client, i)->finished);
  g_assert_cmpint (ml_smtp_client_get_result (p.tp.client, 0)->recipients[0].outcome, ==,
                   ML_SMTP_OUTCOME_DELIVERED);
  g_assert_cmpint (ml_smtp_client_get_result (p.tp.client, 1)->recipients[0].outcome, ==,
                   ML_SMTP_OUTCOME_DELIVERED);
  res = ml_smtp_client_get_result (p.tp.client, 2);
  g_assert_cmpint (res->recipients[0].outcome, ==, ML_SMTP_OUTCOME_PERMANENT);
  g_assert_cmpuint (res->recipients[0].code, ==, 554);
  g_assert_cmpuint (res->data_code, ==, 554);
  g_assert_false (res->recipients[0].local);
  g_assert_cmpint (ml_smtp_client_get_result (p.tp.client, 3)->recipients[0].outcome, ==,
                   ML_SMTP_OUTCOME_DELIVERED);

  g_assert_cmpuint (p.captured->len, ==, 3);
  b1 = strip_received (((Captured *) p.captured->pdata[0])->message);
  assert_bytes_equal (b1, m1_canon, strlen (m1_canon));
  b2 = strip_received (((Captured *) p.captured->pdata[1])->message);
  assert_bytes_equal (b2, m2, strlen (m2));
  g_assert_cmpstr (((Captured *) p.captured->pdata[1])->reverse_path, ==, "");
  g_assert_cmpint (((Captured *) p.captured->pdata[1])->body, ==, ML_SMTP_BODY_8BITMIME);
  g_assert_cmpint (((Captured *) p.captured->pdata[0])->body, ==, ML_SMTP_BODY_NONE);
  b4 = strip_received (((Captured *) p.captured->pdata[2])->message);
  assert_bytes_equal (b4, m4_canon, strlen (m4_canon));
  pair_clear (&p);
}

static void
test_queue_whole (void)
{
  run_queue (TP_SPLIT_WHOLE, 0);
}

static void
test_queue_bytes (void)
{
  run_queue (TP_SPLIT_BYTES, 0);
}

static void
test_queue_random (void)
{
  for (guint32 seed = 1; seed <= 20; seed++)
    run_queue (TP_SPLIT_RANDOM, seed);
}

/* ---- refusals through the pair ---- */

static guint rcpt_counter;

static void
refuse_second_recipient (MlSmtpServer *server, const char *reverse_path,
                         const MlSmtpPath *forward_path, MlSmtpVerdict *verdict,
                         gpointer user_data)
{
  /* Refuse every second RCPT of the session: temporary, then permanent,
   * so both classes cross the link. */
  rcpt_counter++;
  if (rcpt_counter == 2)
    ml_smtp_verdict_set (verdict, 450, "4.2.0", "greylisted, try again later");
  else if (rcpt_counter == 4)
    ml_smtp_verdict_set (verdict, 550, "5.1.1", "no such user here");
}

static void
test_refusals (void)
{
  for (TpSplit split = TP_SPLIT_WHOLE; split <= TP_SPLIT_RANDOM; split++)
    {
      Pair p;
      MlSmtpServerPolicy policy = { 0 };
      MlSmtpServerConfig sc;
      g_autoptr(GBytes) msg = g_bytes_new_static ("Subject: x\r\n\r\nhi\r\n", 18);
      g_autofree char *big_text = g_strnfill (6000, 'b');
      g_autoptr(GBytes) big = g_bytes_new (big_text, strlen (big_text));
      const char *four[] = { "a@b.example", "b@b.example", "c@b.example", "d@b.example", NULL };
      const char *one[] = { "e@b.example", NULL };
      const MlSmtpClientResult *res;

      ml_smtp_server_config_init (&sc);
      sc.hostname = "mx.b.example";
      sc.max_message_size = 5000;
      policy.check_recipient = refuse_second_recipient;
      policy.accept_message = accept_message;
      rcpt_counter = 0;
      pair_init (&p, split, 99, &sc, &policy);
      ml_smtp_client_add_message (p.tp.client, "alice@a.example", four, msg);
      ml_smtp_client_add_message (p.tp.client, "alice@a.example", one, big);
      ml_smtp_client_add_message (p.tp.client, "alice@a.example", one, msg);
      tp_pump (&p.tp);

      res = ml_smtp_client_get_result (p.tp.client, 0);
      g_assert_cmpint (res->recipients[0].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);
      g_assert_cmpint (res->recipients[1].outcome, ==, ML_SMTP_OUTCOME_TEMPORARY);
      g_assert_cmpuint (res->recipients[1].code, ==, 450);
      g_assert_cmpstr (res->recipients[1].enhanced, ==, "4.2.0");
      g_assert_cmpstr (res->recipients[1].text, ==, "greylisted, try again later");
      g_assert_cmpint (res->recipients[2].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);
      g_assert_cmpint (res->recipients[3].outcome, ==, ML_SMTP_OUTCOME_PERMANENT);
      g_assert_cmpuint (res->recipients[3].code, ==, 550);

      /* RFC 1870: over the server's SIZE, not even offered to it. */
      res = ml_smtp_client_get_result (p.tp.client, 1);
      g_assert_cmpint (res->recipients[0].outcome, ==, ML_SMTP_OUTCOME_PERMANENT);
      g_assert_cmpuint (res->recipients[0].code, ==, 552);
      g_assert_true (res->recipients[0].local);

      res = ml_smtp_client_get_result (p.tp.client, 2);
      g_assert_cmpint (res->recipients[0].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);

      g_assert_cmpuint (p.captured->len, ==, 2);
      g_assert_cmpuint (((Captured *) p.captured->pdata[0])->recipients->len, ==, 2);
      g_assert_cmpstr (((Captured *) p.captured->pdata[0])->recipients->pdata[1], ==, "c@b.example");
      pair_clear (&p);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smtp-pair/dotty/whole", test_dotty_whole);
  g_test_add_func ("/smtp-pair/dotty/byte-at-a-time", test_dotty_bytes);
  g_test_add_func ("/smtp-pair/dotty/random-splits", test_dotty_random);
  g_test_add_func ("/smtp-pair/queue/whole", test_queue_whole);
  g_test_add_func ("/smtp-pair/queue/byte-at-a-time", test_queue_bytes);
  g_test_add_func ("/smtp-pair/queue/random-splits", test_queue_random);
  g_test_add_func ("/smtp-pair/refusals", test_refusals);

  return g_test_run ();
}

/* LMTP (RFC 2033) in the SMTP engines: LHLO instead of EHLO/HELO (those
 * get 500), one reply per accepted recipient after the data, in RCPT
 * order (4.2), each from the owner's per-recipient verdict; and our LMTP
 * client against our LMTP server, each recipient's fate reported, through
 * a link cut whole, by bytes and at random. */
#include "smtp-test-pair.h"

typedef struct {
  guint   n_calls;
  GString *order;   /* recipients as the owner was asked, space-separated */
} Owner;

/* "full@…" is over quota (RFC 2033 4.2's example: 452), "gone@…" does
 * not exist (550), everyone else gets the message. */
static void
per_recipient (MlSmtpServer *server, const MlSmtpEnvelope *envelope, GBytes *message,
               guint index, MlSmtpVerdict *verdict, gpointer user_data)
{
  Owner *o = user_data;
  const char *rcpt = g_ptr_array_index (envelope->recipients, index);

  o->n_calls++;
  g_string_append_printf (o->order, "%s ", rcpt);
  if (g_str_has_prefix (rcpt, "full@"))
    ml_smtp_verdict_set (verdict, 452, "4.2.2", "<%s> is temporarily over quota", rcpt);
  else if (g_str_has_prefix (rcpt, "gone@"))
    ml_smtp_verdict_set (verdict, 550, "5.1.1", "<%s> no such user", rcpt);
}

static MlSmtpServer *
new_lmtp_server (gboolean lmtp, Owner *owner)
{
  MlSmtpServerConfig sc;
  MlSmtpServerPolicy policy = { .accept_for_recipient = per_recipient };
  MlSmtpServer *server;

  ml_smtp_server_config_init (&sc);
  sc.hostname = "mda.b.example";
  sc.greeting = "LMTP maillab";
  sc.lmtp = lmtp;
  sc.add_received = FALSE;
  server = ml_smtp_server_new (&sc, &policy, owner);
  ml_smtp_server_start (server);
  g_bytes_unref (ml_smtp_server_take_output (server));
  return server;
}

static void
test_hello (void)
{
  Owner owner = { 0, g_string_new (NULL) };
  g_autoptr(MlSmtpServer) lmtp = new_lmtp_server (TRUE, &owner);
  g_autoptr(MlSmtpServer) smtp = new_lmtp_server (FALSE, &owner);
  g_autofree char *ehlo = tp_server_say (lmtp, "EHLO c.example\r\n");
  g_autofree char *helo = tp_server_say (lmtp, "HELO c.example\r\n");
  g_autofree char *mail = tp_server_say (lmtp, "MAIL FROM:<a@a.example>\r\n");
  g_autofree char *lhlo = tp_server_say (lmtp, "LHLO c.example\r\n");
  g_autofree char *lhlo_smtp = tp_server_say (smtp, "LHLO c.example\r\n");

  /* RFC 2033 4.1: EHLO and HELO are not LMTP; 500 is recommended. */
  g_assert_cmpstr (ehlo, ==, "500 5.5.1 Error: this is LMTP; say LHLO (RFC 2033 4.1)\r\n");
  g_assert_cmpstr (helo, ==, "500 5.5.1 Error: this is LMTP; say LHLO (RFC 2033 4.1)\r\n");
  g_assert_true (g_str_has_prefix (mail, "503 "));
  /* LHLO is answered as EHLO, with PIPELINING and ENHANCEDSTATUSCODES
   * (RFC 2033 5 requires both). */
  g_assert_true (g_str_has_prefix (lhlo, "250-mda.b.example\r\n"));
  g_assert_nonnull (strstr (lhlo, "250-PIPELINING\r\n"));
  g_assert_nonnull (strstr (lhlo, "ENHANCEDSTATUSCODES\r\n"));
  g_assert_cmpint (ml_smtp_server_get_state (lmtp), ==, ML_SMTP_SERVER_STATE_READY);
  g_assert_cmpstr (ml_smtp_server_get_protocol_name (lmtp), ==, "LMTP");
  /* An SMTP server does not know LHLO. */
  g_assert_cmpstr (lhlo_smtp, ==, "500 5.5.1 Error: command not recognized\r\n");
  g_string_free (owner.order, TRUE);
}

static void
test_reply_per_recipient (void)
{
  Owner owner = { 0, g_string_new (NULL) };
  g_autoptr(MlSmtpServer) server = new_lmtp_server (TRUE, &owner);
  g_autofree char *head = NULL;
  g_autofree char *tail = NULL;
  g_autofree char *expected = NULL;
  MlEngineEvent ev = { 0 };
  guint delivered = 0, refused = 0;

  head = tp_server_say (server, "LHLO c.example\r\n"
                                "MAIL FROM:<a@a.example>\r\n"
                                "RCPT TO:<pat@b.example>\r\n"
                                "RCPT TO:<full@b.example>\r\n"
                                "RCPT TO:<gone@b.example>\r\n"
                                "RCPT TO:<pat@b.example>\r\n"
                                "DATA\r\n");
  tail = tp_server_say (server, "Subject: x\r\n\r\nhi\r\n.\r\n");
  /* RFC 2033 4.2: four successful RCPTs (the same path twice counts
   * twice), four replies, in RCPT order. */
  expected = g_strdup ("250 2.0.0 <pat@b.example> Ok: delivered as 1\r\n"
                       "452 4.2.2 <full@b.example> is temporarily over quota\r\n"
                       "550 5.1.1 <gone@b.example> no such user\r\n"
                       "250 2.0.0 <pat@b.example> Ok: delivered as 1\r\n");
  g_assert_cmpstr (tail, ==, expected);
  g_assert_cmpuint (owner.n_calls, ==, 4);
  g_assert_cmpstr (owner.order->str, ==, "pat@b.example full@b.example gone@b.example pat@b.example ");
  while (ml_smtp_server_next_event (server, &ev))
    {
      g_assert_cmpint (ev.protocol, ==, ML_PROTO_LMTP);
      if (g_strcmp0 (ev.explain_key, "lmtp.recipient.delivered") == 0)
        delivered++;
      else if (g_strcmp0 (ev.explain_key, "lmtp.recipient.refused") == 0)
        refused++;
      ml_engine_event_clear (&ev);
    }
  g_assert_cmpuint (delivered, ==, 2);
  g_assert_cmpuint (refused, ==, 2);
  g_assert_cmpint (ml_smtp_server_get_state (server), ==, ML_SMTP_SERVER_STATE_READY);
  g_string_free (owner.order, TRUE);
}

static void
test_data_refused_per_recipient (void)
{
  MlSmtpServerConfig sc;
  g_autoptr(MlSmtpServer) server = NULL;
  g_autofree char *out = NULL;
  g_autofree char *big = g_strnfill (200, 'x');
  g_autofree char *data = g_strdup_printf ("%s\r\n.\r\n", big);

  ml_smtp_server_config_init (&sc);
  sc.lmtp = TRUE;
  sc.max_message_size = 100;
  server = ml_smtp_server_new (&sc, NULL, NULL);
  ml_smtp_server_start (server);
  g_free (tp_server_say (server, "LHLO c.example\r\nMAIL FROM:<a@a.example>\r\n"
                                 "RCPT TO:<b@b.example>\r\nRCPT TO:<c@b.example>\r\nDATA\r\n"));
  out = tp_server_say (server, data);
  /* Too big is every recipient's answer, once each (RFC 2033 4.2). */
  g_assert_cmpstr (out, ==,
                   "552 5.3.4 Error: message size exceeds fixed maximum message size (100)\r\n"
                   "552 5.3.4 Error: message size exceeds fixed maximum message size (100)\r\n");
}

/* ---- our LMTP client against our LMTP server ---- */

static void
run_pair (TpSplit split, guint32 seed, gboolean pipelining)
{
  static const char message[] = "Subject: lmtp\r\n\r\n.dot line\r\nhello\r\n";
  const char *rcpts[] = { "pat@b.example", "full@b.example", "gone@b.example",
                          "jones@b.example", NULL };
  Owner owner = { 0, g_string_new (NULL) };
  MlSmtpClientConfig cc;
  MlSmtpServerConfig sc;
  MlSmtpServerPolicy policy = { .accept_for_recipient = per_recipient };
  g_autoptr(GBytes) bytes = g_bytes_new_static (message, strlen (message));
  const MlSmtpClientResult *result;
  TpPair p;

  ml_smtp_client_config_init (&cc);
  cc.helo_name = "mta.b.example";
  cc.lmtp = TRUE;
  cc.use_pipelining = pipelining;
  ml_smtp_server_config_init (&sc);
  sc.hostname = "mda.b.example";
  sc.lmtp = TRUE;
  tp_pair_init (&p, split, seed, &cc, &sc, &policy, &owner);
  ml_smtp_client_add_message (p.client, "alice@a.example", rcpts, bytes);
  tp_pump (&p);

  g_assert_cmpstr (p.client_commands->pdata[0], ==, "LHLO mta.b.example");
  result = ml_smtp_client_get_result (p.client, 0);
  g_assert_true (result->finished);
  g_assert_cmpint (result->recipients[0].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);
  g_assert_cmpuint (result->recipients[0].code, ==, 250);
  g_assert_cmpint (result->recipients[1].outcome, ==, ML_SMTP_OUTCOME_TEMPORARY);
  g_assert_cmpuint (result->recipients[1].code, ==, 452);
  g_assert_cmpstr (result->recipients[1].enhanced, ==, "4.2.2");
  g_assert_cmpint (result->recipients[2].outcome, ==, ML_SMTP_OUTCOME_PERMANENT);
  g_assert_cmpuint (result->recipients[2].code, ==, 550);
  g_assert_false (result->recipients[2].local);
  g_assert_cmpint (result->recipients[3].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);
  /* The last reply after the data is the last recipient's. */
  g_assert_cmpuint (result->data_code, ==, 250);
  /* The owner was asked once per accepted recipient, in RCPT order. */
  g_assert_cmpstr (owner.order->str, ==,
                   "pat@b.example full@b.example gone@b.example jones@b.example ");
  tp_pair_clear (&p);
  g_string_free (owner.order, TRUE);
}

static void
test_pair_whole (void)
{
  run_pair (TP_SPLIT_WHOLE, 1, TRUE);
  run_pair (TP_SPLIT_WHOLE, 1, FALSE);
}

static void
test_pair_bytes (void)
{
  run_pair (TP_SPLIT_BYTES, 1, TRUE);
}

static void
test_pair_random (void)
{
  for (guint32 seed = 1; seed <= 20; seed++)
    run_pair (TP_SPLIT_RANDOM, seed, seed % 2 == 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lmtp/hello", test_hello);
  g_test_add_func ("/lmtp/reply-per-recipient", test_reply_per_recipient);
  g_test_add_func ("/lmtp/data-refused-per-recipient", test_data_refused_per_recipient);
  g_test_add_func ("/lmtp/pair/whole", test_pair_whole);
  g_test_add_func ("/lmtp/pair/byte-at-a-time", test_pair_bytes);
  g_test_add_func ("/lmtp/pair/random-splits", test_pair_random);
  return g_test_run ();
}

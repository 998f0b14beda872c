/* The SMTP DSN extension (RFC 3461): EHLO keyword, MAIL's RET and ENVID,
 * RCPT's NOTIFY and ORCPT, with their 501/555 refusals, what the owner is
 * given, xtext, and our client sending them through a link cut whole, by
 * bytes and at random. */
#include "smtp-test-pair.h"
#include "proto/smtp-dsn.h"

typedef struct {
  MlDsnRet   ret;
  char      *envid;
  GPtrArray *recipients;  /* char* */
  GArray    *notify;      /* MlDsnNotify */
  GPtrArray *orcpt;       /* char*, may be NULL */
  guint      n_messages;
} Seen;

static void
seen_init (Seen *s)
{
  memset (s, 0, sizeof *s);
  s->recipients = g_ptr_array_new_with_free_func (g_free);
  s->notify = g_array_new (FALSE, FALSE, sizeof (MlDsnNotify));
  s->orcpt = g_ptr_array_new_with_free_func (g_free);
}

static void
seen_clear (Seen *s)
{
  g_free (s->envid);
  g_ptr_array_unref (s->recipients);
  g_array_unref (s->notify);
  g_ptr_array_unref (s->orcpt);
}

static void
capture (MlSmtpServer *server, const MlSmtpEnvelope *envelope, GBytes *message,
         MlSmtpVerdict *verdict, gpointer user_data)
{
  Seen *s = user_data;

  s->n_messages++;
  s->ret = envelope->dsn_ret;
  g_free (s->envid);
  s->envid = g_strdup (envelope->dsn_envid);
  g_assert_cmpuint (envelope->recipient_dsn->len, ==, envelope->recipients->len);
  for (guint i = 0; i < envelope->recipients->len; i++)
    {
      const MlSmtpRecipientDsn *d = g_ptr_array_index (envelope->recipient_dsn, i);

      g_ptr_array_add (s->recipients, g_strdup (g_ptr_array_index (envelope->recipients, i)));
      g_array_append_val (s->notify, d->notify);
      g_ptr_array_add (s->orcpt, g_strdup (d->orcpt));
    }
}

static MlSmtpServer *
new_server (gboolean offer_dsn, Seen *seen)
{
  MlSmtpServerConfig sc;
  MlSmtpServerPolicy policy = { .accept_message = capture };
  MlSmtpServer *server;

  ml_smtp_server_config_init (&sc);
  sc.hostname = "mx.b.example";
  sc.offer_dsn = offer_dsn;
  server = ml_smtp_server_new (&sc, &policy, seen);
  ml_smtp_server_start (server);
  g_bytes_unref (ml_smtp_server_take_output (server));
  return server;
}

static void
test_ehlo_keyword (void)
{
  Seen seen;
  g_autoptr(MlSmtpServer) on = NULL;
  g_autoptr(MlSmtpServer) off = NULL;
  g_autofree char *a = NULL, *b = NULL, *c = NULL;

  seen_init (&seen);
  on = new_server (TRUE, &seen);
  off = new_server (FALSE, &seen);
  a = tp_server_say (on, "EHLO c.example\r\n");
  b = tp_server_say (off, "EHLO c.example\r\n");
  /* The last keyword here, so on the "250 " line (RFC 5321 4.2.1). */
  g_assert_nonnull (strstr (a, "\r\n250 DSN\r\n"));
  g_assert_null (strstr (b, "DSN"));
  /* Off (the default), the parameters are unknown ones: 555. */
  c = tp_server_say (off, "MAIL FROM:<a@a.example> RET=HDRS\r\n");
  g_assert_cmpstr (c, ==, "555 5.5.4 Error: unsupported parameter RET\r\n");
  seen_clear (&seen);
}

static void
test_mail_params (void)
{
  static const struct {
    const char *line;
    const char *reply;
  } cases[] = {
    { "MAIL FROM:<a@a.example> RET=FULL RET=HDRS\r\n", "501 5.5.4 Error: duplicate RET parameter\r\n" },
    { "MAIL FROM:<a@a.example> RET=BODY\r\n", "501 5.5.4 Error: bad RET value (FULL or HDRS)\r\n" },
    { "MAIL FROM:<a@a.example> RET\r\n", "501 5.5.4 Error: bad RET value (FULL or HDRS)\r\n" },
    { "MAIL FROM:<a@a.example> ENVID=x+zz\r\n",
      "501 5.5.4 Error: bad ENVID value (xtext, at most 100 characters)\r\n" },
    { "MAIL FROM:<a@a.example> ENVID=a ENVID=b\r\n", "501 5.5.4 Error: duplicate ENVID parameter\r\n" },
    /* +0A decodes to a line feed: not printable (RFC 3461 4.4). */
    { "MAIL FROM:<a@a.example> ENVID=a+0Ab\r\n",
      "501 5.5.4 Error: bad ENVID value (xtext, at most 100 characters)\r\n" },
  };
  Seen seen;
  g_autoptr(MlSmtpServer) server = NULL;
  g_autofree char *long_envid = g_strnfill (101, 'x');
  g_autofree char *line = g_strdup_printf ("MAIL FROM:<a@a.example> ENVID=%s\r\n", long_envid);
  g_autofree char *reply = NULL;

  seen_init (&seen);
  server = new_server (TRUE, &seen);
  g_free (tp_server_say (server, "EHLO c.example\r\n"));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = tp_server_say (server, cases[i].line);
      g_assert_cmpstr (got, ==, cases[i].reply);
    }
  reply = tp_server_say (server, line);
  g_assert_cmpstr (reply, ==, "501 5.5.4 Error: bad ENVID value (xtext, at most 100 characters)\r\n");
  g_assert_cmpint (ml_smtp_server_get_state (server), ==, ML_SMTP_SERVER_STATE_READY);

  g_clear_pointer (&reply, g_free);
  reply = tp_server_say (server,
                         "MAIL FROM:<a@a.example> ret=hdrs ENVID=QQ+2B314+3D1\r\n"
                         "RCPT TO:<b@b.example>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n");
  g_assert_true (g_str_has_prefix (reply, "250 2.1.0 Ok\r\n"));
  g_assert_cmpuint (seen.n_messages, ==, 1);
  g_assert_cmpint (seen.ret, ==, ML_DSN_RET_HDRS);
  g_assert_cmpstr (seen.envid, ==, "QQ+314=1");
  /* Without NOTIFY/ORCPT, the recipient's entry is empty, not missing. */
  g_assert_cmpuint (seen.notify->len, ==, 1);
  g_assert_cmpint (g_array_index (seen.notify, MlDsnNotify, 0), ==, ML_DSN_NOTIFY_DEFAULT);
  g_assert_null (g_ptr_array_index (seen.orcpt, 0));
  seen_clear (&seen);
}

static void
test_rcpt_params (void)
{
  static const struct {
    const char *line;
    const char *reply;
  } cases[] = {
    { "RCPT TO:<b@b.example> NOTIFY=NEVER,SUCCESS\r\n",
      "501 5.5.4 Error: bad NOTIFY value (NEVER, or SUCCESS,FAILURE,DELAY)\r\n" },
    { "RCPT TO:<b@b.example> NOTIFY=SOMETIMES\r\n",
      "501 5.5.4 Error: bad NOTIFY value (NEVER, or SUCCESS,FAILURE,DELAY)\r\n" },
    { "RCPT TO:<b@b.example> NOTIFY=DELAY,DELAY\r\n",
      "501 5.5.4 Error: bad NOTIFY value (NEVER, or SUCCESS,FAILURE,DELAY)\r\n" },
    { "RCPT TO:<b@b.example> NOTIFY=NEVER NOTIFY=NEVER\r\n",
      "501 5.5.4 Error: duplicate NOTIFY parameter\r\n" },
    { "RCPT TO:<b@b.example> ORCPT=b@b.example\r\n",
      "501 5.5.4 Error: bad ORCPT value (addr-type;xtext, at most 500 characters)\r\n" },
    { "RCPT TO:<b@b.example> ORCPT=rfc822;a ORCPT=rfc822;b\r\n",
      "501 5.5.4 Error: duplicate ORCPT parameter\r\n" },
    { "RCPT TO:<b@b.example> FOO=1\r\n", "555 5.5.4 Error: unsupported parameter FOO\r\n" },
  };
  Seen seen;
  g_autoptr(MlSmtpServer) server = NULL;
  g_autofree char *reply = NULL;

  seen_init (&seen);
  server = new_server (TRUE, &seen);
  g_free (tp_server_say (server, "EHLO c.example\r\nMAIL FROM:<a@a.example>\r\n"));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = tp_server_say (server, cases[i].line);
      g_assert_cmpstr (got, ==, cases[i].reply);
    }
  reply = tp_server_say (server,
                         "RCPT TO:<b@b.example> NOTIFY=success,delay ORCPT=rfc822;Bob+2Bx@b.example\r\n"
                         "RCPT TO:<c@b.example> NOTIFY=NEVER\r\n"
                         "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n");
  g_assert_true (g_str_has_prefix (reply, "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 "));
  g_assert_cmpuint (seen.n_messages, ==, 1);
  g_assert_cmpuint (seen.notify->len, ==, 2);
  g_assert_cmpint (g_array_index (seen.notify, MlDsnNotify, 0), ==,
                   ML_DSN_NOTIFY_SUCCESS | ML_DSN_NOTIFY_DELAY);
  g_assert_cmpstr (g_ptr_array_index (seen.orcpt, 0), ==, "rfc822;Bob+x@b.example");
  g_assert_cmpint (g_array_index (seen.notify, MlDsnNotify, 1), ==, ML_DSN_NOTIFY_NEVER);
  g_assert_null (g_ptr_array_index (seen.orcpt, 1));
  seen_clear (&seen);
}

static void
test_xtext (void)
{
  g_autofree char *encoded = ml_smtp_xtext_encode ("a+b=c d\\e");
  char *decoded = NULL;

  /* RFC 3461 4: "+", "=" and SP are hexchars, "\\" may stay. */
  g_assert_cmpstr (encoded, ==, "a+2Bb+3Dc+20d\\e");
  g_assert_true (ml_smtp_xtext_decode (encoded, &decoded));
  g_assert_cmpstr (decoded, ==, "a+b=c d\\e");
  g_free (decoded);
  /* Lower-case hex is not xtext. */
  g_assert_false (ml_smtp_xtext_decode ("a+2b", &decoded));
  g_assert_null (decoded);
  g_assert_false (ml_smtp_xtext_decode ("a+2", &decoded));
  g_assert_false (ml_smtp_xtext_decode ("a=b", &decoded));
}

/* ---- our client against our server ---- */

static void
run_pair (TpSplit split, guint32 seed, gboolean offer_dsn)
{
  static const char message[] = "Subject: dsn\r\n\r\nhello\r\n";
  const char *rcpts[] = { "bob@b.example", "carol@b.example", NULL };
  const MlDsnNotify notify[] = { ML_DSN_NOTIFY_FAILURE | ML_DSN_NOTIFY_DELAY, ML_DSN_NOTIFY_NEVER };
  const char *orcpt[] = { "rfc822;bob=1@b.example", NULL };
  MlSmtpClientDsn dsn = { ML_DSN_RET_HDRS, "id 42+", notify, orcpt };
  MlSmtpClientConfig cc;
  MlSmtpServerConfig sc;
  MlSmtpServerPolicy policy = { .accept_message = capture };
  g_autoptr(GBytes) bytes = g_bytes_new_static (message, strlen (message));
  const MlSmtpClientResult *result;
  TpPair p;
  Seen seen;

  seen_init (&seen);
  ml_smtp_client_config_init (&cc);
  cc.helo_name = "client.a.example";
  ml_smtp_server_config_init (&sc);
  sc.hostname = "mx.b.example";
  sc.offer_dsn = offer_dsn;
  tp_pair_init (&p, split, seed, &cc, &sc, &policy, &seen);
  ml_smtp_client_add_message_dsn (p.client, "alice@a.example", rcpts, bytes, &dsn);
  tp_pump (&p);

  result = ml_smtp_client_get_result (p.client, 0);
  g_assert_true (result->finished);
  g_assert_cmpint (result->recipients[0].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);
  g_assert_cmpint (result->recipients[1].outcome, ==, ML_SMTP_OUTCOME_DELIVERED);
  g_assert_cmpuint (seen.n_messages, ==, 1);
  if (offer_dsn)
    {
      g_assert_cmpint (seen.ret, ==, ML_DSN_RET_HDRS);
      g_assert_cmpstr (seen.envid, ==, "id 42+");
      g_assert_cmpint (g_array_index (seen.notify, MlDsnNotify, 0), ==,
                       ML_DSN_NOTIFY_FAILURE | ML_DSN_NOTIFY_DELAY);
      g_assert_cmpstr (g_ptr_array_index (seen.orcpt, 0), ==, "rfc822;bob=1@b.example");
      g_assert_cmpint (g_array_index (seen.notify, MlDsnNotify, 1), ==, ML_DSN_NOTIFY_NEVER);
      g_assert_true (g_ptr_array_find_with_equal_func (
        p.client_commands, "MAIL FROM:<alice@a.example> SIZE=23 RET=HDRS ENVID=id+2042+2B",
        g_str_equal, NULL));
    }
  else
    {
      /* Not listed: not sent (RFC 3461 4), and the mail goes as before. */
      g_assert_cmpint (seen.ret, ==, ML_DSN_RET_DEFAULT);
      g_assert_null (seen.envid);
      g_assert_true (g_ptr_array_find_with_equal_func (p.client_commands, "RCPT TO:<bob@b.example>",
                                                       g_str_equal, NULL));
    }
  tp_pair_clear (&p);
  seen_clear (&seen);
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
  g_test_add_func ("/dsn-ext/ehlo-keyword", test_ehlo_keyword);
  g_test_add_func ("/dsn-ext/mail-params", test_mail_params);
  g_test_add_func ("/dsn-ext/rcpt-params", test_rcpt_params);
  g_test_add_func ("/dsn-ext/xtext", test_xtext);
  g_test_add_func ("/dsn-ext/pair/whole", test_pair_whole);
  g_test_add_func ("/dsn-ext/pair/byte-at-a-time", test_pair_bytes);
  g_test_add_func ("/dsn-ext/pair/random-splits", test_pair_random);
  return g_test_run ();
}

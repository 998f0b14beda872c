/* Delivery status notifications: composed, then read back with GMime
 * (ml_dsn_parse) and checked against RFC 3464 2 (fields), RFC 6522 3
 * (multipart/report) and RFC 3461 4.1, 4.3, 6.1 (NOTIFY, RET, "<>"). */
#include <string.h>
#include "mail/dsn.h"

#define ORIGINAL \
  "From: alice@a.example\r\n" \
  "To: bob@b.example, carol@b.example\r\n" \
  "Subject: lunch\r\n" \
  "Message-ID: <m1@a.example>\r\n" \
  "\r\n" \
  "See you at noon.\r\n" \
  "BODY-MARKER\r\n"

/* 2024-03-04 09:00:00 UTC and later. */
#define T0 G_GINT64_CONSTANT (1709542800)

static GBytes *
original (void)
{
  return g_bytes_new_static (ORIGINAL, strlen (ORIGINAL));
}

static MlDsnSpec
base_spec (const MlDsnRecipient *recipients, gsize n)
{
  MlDsnSpec spec = {
    .reporting_mta = "mx.b.example",
    .envelope_sender = "alice@a.example",
    .envid = "QQ314159",
    .ret = ML_DSN_RET_DEFAULT,
    .arrival_date = T0,
    .date = T0 + 60,
    .message_id = "dsn.1@mx.b.example",
    .recipients = recipients,
    .n_recipients = n,
  };
  return spec;
}

static const MlDsnParsedRecipient *
recipient (MlDsnReport *report, guint i)
{
  g_assert_cmpuint (report->recipients->len, >, i);
  return g_ptr_array_index (report->recipients, i);
}

static gboolean
bytes_contain (GBytes *bytes, const char *needle)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  return g_strstr_len (data, len, needle) != NULL;
}

static void
test_failed_structure (void)
{
  const MlDsnRecipient rcpts[] = {
    { .final_recipient = "bob@b.example", .original_recipient = "rfc822;bob@b.example",
      .action = ML_DSN_ACTION_FAILED, .status = "5.1.1", .remote_mta = "mx.b.example",
      .diagnostic = "550 5.1.1 <bob@b.example>: Recipient address rejected",
      .last_attempt = T0 + 30 },
    { .final_recipient = "carol@b.example", .action = ML_DSN_ACTION_DELIVERED,
      .status = "2.0.0", .notify = ML_DSN_NOTIFY_SUCCESS | ML_DSN_NOTIFY_FAILURE },
  };
  MlDsnSpec spec = base_spec (rcpts, G_N_ELEMENTS (rcpts));
  g_autoptr(GBytes) orig = original ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) dsn = ml_dsn_compose (&spec, orig, &error);
  g_autoptr(MlDsnReport) report = NULL;
  const MlDsnParsedRecipient *r;

  g_assert_no_error (error);
  g_assert_nonnull (dsn);
  /* RFC 5322 2.1: CRLF lines throughout, no bare LF. */
  {
    gsize len;
    const char *data = g_bytes_get_data (dsn, &len);
    for (gsize i = 0; i < len; i++)
      if (data[i] == '\n')
        g_assert_cmpint (i > 0 ? data[i - 1] : 0, ==, '\r');
  }
  report = ml_dsn_parse (dsn, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);

  g_assert_cmpstr (report->report_type, ==, "delivery-status");
  g_assert_cmpstr (report->to, ==, "alice@a.example");
  g_assert_nonnull (strstr (report->from, "MAILER-DAEMON@mx.b.example"));
  g_assert_cmpstr (report->subject, ==, "Undelivered Mail Returned to Sender");
  g_assert_nonnull (strstr (report->human_text, "bob@b.example"));
  g_assert_cmpstr (report->reporting_mta, ==, "dns; mx.b.example");
  g_assert_cmpstr (report->original_envelope_id, ==, "QQ314159");
  g_assert_cmpstr (report->arrival_date, ==, "Mon, 04 Mar 2024 09:00:00 +0000");

  g_assert_cmpuint (report->recipients->len, ==, 2);
  r = recipient (report, 0);
  g_assert_cmpstr (r->final_recipient, ==, "rfc822; bob@b.example");
  g_assert_cmpstr (r->original_recipient, ==, "rfc822;bob@b.example");
  g_assert_cmpstr (r->action, ==, "failed");
  g_assert_cmpstr (r->status, ==, "5.1.1");
  g_assert_cmpstr (r->remote_mta, ==, "dns; mx.b.example");
  g_assert_cmpstr (r->diagnostic_code, ==,
                   "smtp; 550 5.1.1 <bob@b.example>: Recipient address rejected");
  g_assert_cmpstr (r->last_attempt_date, ==, "Mon, 04 Mar 2024 09:00:30 +0000");
  g_assert_null (r->will_retry_until);
  r = recipient (report, 1);
  g_assert_cmpstr (r->final_recipient, ==, "rfc822; carol@b.example");
  g_assert_cmpstr (r->action, ==, "delivered");
  g_assert_cmpstr (r->status, ==, "2.0.0");
  g_assert_null (r->original_recipient);
  g_assert_null (r->diagnostic_code);

  /* RFC 3461 6.2: a failure returns the whole message by default. */
  g_assert_cmpstr (report->returned_type, ==, "message/rfc822");
  g_assert_true (bytes_contain (report->returned, "Subject: lunch"));
  g_assert_true (bytes_contain (report->returned, "BODY-MARKER"));
}

static void
test_ret_hdrs (void)
{
  const MlDsnRecipient rcpts[] = {
    { .final_recipient = "bob@b.example", .action = ML_DSN_ACTION_FAILED,
      .status = "5.2.2", .diagnostic = "552 5.2.2 mailbox full" },
  };
  MlDsnSpec spec = base_spec (rcpts, 1);
  g_autoptr(GBytes) orig = original ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) dsn = NULL;
  g_autoptr(MlDsnReport) report = NULL;

  spec.ret = ML_DSN_RET_HDRS;
  dsn = ml_dsn_compose (&spec, orig, &error);
  g_assert_no_error (error);
  report = ml_dsn_parse (dsn, &error);
  g_assert_no_error (error);
  /* RFC 3461 4.3 HDRS and RFC 6522 4: only the header, as text/rfc822-headers. */
  g_assert_cmpstr (report->returned_type, ==, "text/rfc822-headers");
  g_assert_true (bytes_contain (report->returned, "Message-ID: <m1@a.example>"));
  g_assert_false (bytes_contain (report->returned, "BODY-MARKER"));
  g_assert_false (bytes_contain (dsn, "BODY-MARKER"));
}

static void
test_delayed (void)
{
  const MlDsnRecipient rcpts[] = {
    { .final_recipient = "bob@b.example", .action = ML_DSN_ACTION_DELAYED,
      .status = "4.4.1", .remote_mta = "mx.b.example",
      .diagnostic = "451 4.4.1 try again later",
      .last_attempt = T0 + 3600, .will_retry_until = T0 + 5 * 86400 },
  };
  MlDsnSpec spec = base_spec (rcpts, 1);
  g_autoptr(GBytes) orig = original ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) dsn = ml_dsn_compose (&spec, orig, &error);
  g_autoptr(MlDsnReport) report = NULL;
  const MlDsnParsedRecipient *r;

  g_assert_no_error (error);
  report = ml_dsn_parse (dsn, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (report->subject, ==, "Delayed Mail (still being retried)");
  r = recipient (report, 0);
  g_assert_cmpstr (r->action, ==, "delayed");
  g_assert_cmpstr (r->status, ==, "4.4.1");
  g_assert_cmpstr (r->will_retry_until, ==, "Sat, 09 Mar 2024 09:00:00 +0000");
  g_assert_cmpstr (r->last_attempt_date, ==, "Mon, 04 Mar 2024 10:00:00 +0000");
  /* RFC 3461 6.2: no failure reported, so only the header comes back. */
  g_assert_cmpstr (report->returned_type, ==, "text/rfc822-headers");
  g_assert_false (bytes_contain (report->returned, "BODY-MARKER"));
}

static void
test_notify_never (void)
{
  const MlDsnRecipient rcpts[] = {
    { .final_recipient = "bob@b.example", .action = ML_DSN_ACTION_FAILED,
      .status = "5.1.1", .notify = ML_DSN_NOTIFY_NEVER },
    /* Asked for failures only: a delay is not reported either. */
    { .final_recipient = "carol@b.example", .action = ML_DSN_ACTION_DELAYED,
      .status = "4.4.1", .notify = ML_DSN_NOTIFY_FAILURE },
  };
  MlDsnSpec spec = base_spec (rcpts, G_N_ELEMENTS (rcpts));
  g_autoptr(GBytes) orig = original ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) dsn = ml_dsn_compose (&spec, orig, &error);

  g_assert_null (dsn);
  g_assert_error (error, ML_DSN_ERROR, ML_DSN_ERROR_NOT_REQUESTED);
}

static void
test_notify_filters (void)
{
  const MlDsnRecipient rcpts[] = {
    { .final_recipient = "bob@b.example", .action = ML_DSN_ACTION_FAILED,
      .status = "5.1.1", .notify = ML_DSN_NOTIFY_NEVER },
    { .final_recipient = "carol@b.example", .action = ML_DSN_ACTION_FAILED,
      .status = "5.1.1" },
    /* Success without NOTIFY=SUCCESS: left out (RFC 3461 4.1). */
    { .final_recipient = "dave@b.example", .action = ML_DSN_ACTION_DELIVERED,
      .status = "2.0.0" },
  };
  MlDsnSpec spec = base_spec (rcpts, G_N_ELEMENTS (rcpts));
  g_autoptr(GBytes) orig = original ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) dsn = ml_dsn_compose (&spec, orig, &error);
  g_autoptr(MlDsnReport) report = NULL;

  g_assert_no_error (error);
  report = ml_dsn_parse (dsn, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report->recipients->len, ==, 1);
  g_assert_cmpstr (recipient (report, 0)->final_recipient, ==, "rfc822; carol@b.example");
}

static void
test_null_sender (void)
{
  const MlDsnRecipient rcpts[] = {
    { .final_recipient = "bob@b.example", .action = ML_DSN_ACTION_FAILED, .status = "5.1.1" },
  };
  MlDsnSpec spec = base_spec (rcpts, 1);
  g_autoptr(GBytes) orig = original ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) dsn = NULL;

  spec.envelope_sender = "";
  dsn = ml_dsn_compose (&spec, orig, &error);
  g_assert_null (dsn);
  g_assert_error (error, ML_DSN_ERROR, ML_DSN_ERROR_NULL_SENDER);
}

static void
test_invalid_input (void)
{
  /* A failure with a 2.x.x status and a field smuggling a line break. */
  const MlDsnRecipient bad_status[] = {
    { .final_recipient = "bob@b.example", .action = ML_DSN_ACTION_FAILED, .status = "2.0.0" },
  };
  const MlDsnRecipient injected[] = {
    { .final_recipient = "bob@b.example\r\nAction: delivered", .action = ML_DSN_ACTION_FAILED,
      .status = "5.1.1" },
  };
  g_autoptr(GBytes) orig = original ();
  MlDsnSpec spec = base_spec (bad_status, 1);
  GError *error = NULL;

  g_assert_null (ml_dsn_compose (&spec, orig, &error));
  g_assert_error (error, ML_DSN_ERROR, ML_DSN_ERROR_INVALID);
  g_clear_error (&error);
  spec = base_spec (injected, 1);
  g_assert_null (ml_dsn_compose (&spec, orig, &error));
  g_assert_error (error, ML_DSN_ERROR, ML_DSN_ERROR_INVALID);
  g_clear_error (&error);
  spec = base_spec (injected, 0);
  g_assert_null (ml_dsn_compose (&spec, orig, &error));
  g_assert_error (error, ML_DSN_ERROR, ML_DSN_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_deterministic (void)
{
  const MlDsnRecipient rcpts[] = {
    { .final_recipient = "bob@b.example", .action = ML_DSN_ACTION_FAILED, .status = "5.1.1" },
  };
  MlDsnSpec spec = base_spec (rcpts, 1);
  g_autoptr(GBytes) orig = original ();
  g_autoptr(GBytes) a = ml_dsn_compose (&spec, orig, NULL);
  g_autoptr(GBytes) b = ml_dsn_compose (&spec, orig, NULL);

  /* Same input, same bytes: no random boundary, no clock. */
  g_assert_nonnull (a);
  g_assert_cmpint (g_bytes_compare (a, b), ==, 0);
  g_assert_true (bytes_contain (a, "Date: Mon, 04 Mar 2024 09:01:00 +0000"));
}

static void
test_parse_rejects (void)
{
  static const char not_report[] =
    "From: a@b\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
  static const char no_status_field[] =
    "From: a@b\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
    "\r\n"
    "--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
    "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
    "Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\n"
    "--B--\r\n";
  g_autoptr(GBytes) a = g_bytes_new_static (not_report, strlen (not_report));
  g_autoptr(GBytes) b = g_bytes_new_static (no_status_field, strlen (no_status_field));
  GError *error = NULL;

  g_assert_null (ml_dsn_parse (a, &error));
  g_assert_error (error, ML_DSN_ERROR, ML_DSN_ERROR_INVALID);
  g_clear_error (&error);
  /* RFC 3464 2.3: Status is required per recipient. */
  g_assert_null (ml_dsn_parse (b, &error));
  g_assert_error (error, ML_DSN_ERROR, ML_DSN_ERROR_INVALID);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dsn/failed-structure", test_failed_structure);
  g_test_add_func ("/dsn/ret-hdrs", test_ret_hdrs);
  g_test_add_func ("/dsn/delayed", test_delayed);
  g_test_add_func ("/dsn/notify-never", test_notify_never);
  g_test_add_func ("/dsn/notify-filters", test_notify_filters);
  g_test_add_func ("/dsn/null-sender", test_null_sender);
  g_test_add_func ("/dsn/invalid-input", test_invalid_input);
  g_test_add_func ("/dsn/deterministic", test_deterministic);
  g_test_add_func ("/dsn/parse-rejects", test_parse_rejects);
  return g_test_run ();
}

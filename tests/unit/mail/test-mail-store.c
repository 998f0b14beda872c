#include "mail/mail-store.h"
#include "mail/mail-queue.h"

static void
log_change (MlMailStore *store, const MlStoreChange *change, gpointer data)
{
  GString *log = data;
  g_string_append_printf (log, "%s:%s", ml_store_change_kind_to_string (change->kind),
                          ml_account_get_address (change->account));
  if (change->mailbox)
    g_string_append_printf (log, "/%s", ml_mailbox_get_name (change->mailbox));
  if (change->message)
    g_string_append_printf (log, "#%u", ml_message_get_uid (change->message));
  g_string_append_c (log, ' ');
}

static void
test_accounts_and_inbox (void)
{
  g_autoptr(MlMailStore) store = ml_mail_store_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  MlAccount *bob;

  ml_mail_store_add_listener (store, log_change, log);
  bob = ml_mail_store_add_account (store, "bob@b.example", "pw");
  g_assert_nonnull (bob);
  g_assert_null (ml_mail_store_add_account (store, "BOB@B.example", "x"));
  g_assert_true (ml_mail_store_find_account (store, "Bob@B.EXAMPLE") == bob);
  g_assert_true (ml_account_check_password (bob, "pw"));
  g_assert_false (ml_account_check_password (bob, "pw2"));
  g_assert_false (ml_account_check_password (bob, "p"));
  g_assert_true (ml_account_find_mailbox (bob, "inbox") == ml_account_get_inbox (bob));
  g_assert_null (ml_account_add_mailbox (bob, "Sent"));
  g_assert_nonnull (ml_account_add_mailbox (bob, "Work"));
  g_assert_null (ml_account_find_mailbox (bob, "sent"));
  g_assert_null (ml_account_find_mailbox (bob, "work"));
  /* RFC 6154: every new account has the four special-use mailboxes. */
  g_assert_cmpstr (log->str, ==,
                   "account:bob@b.example mailbox:bob@b.example/INBOX mailbox:bob@b.example/Sent "
                   "mailbox:bob@b.example/Drafts mailbox:bob@b.example/Trash "
                   "mailbox:bob@b.example/Junk mailbox:bob@b.example/Work ");
  g_assert_cmpuint (ml_mailbox_get_uidvalidity (ml_account_get_inbox (bob)), !=,
                    ml_mailbox_get_uidvalidity (ml_account_find_mailbox (bob, "Sent")));
}

static void
test_uids_flags_expunge (void)
{
  g_autoptr(MlMailStore) store = ml_mail_store_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GBytes) m = g_bytes_new_static ("Subject: x\r\n\r\nhi\r\n", 18);
  MlAccount *bob = ml_mail_store_add_account (store, "bob@b.example", "pw");
  MlMailbox *inbox = ml_account_get_inbox (bob);
  g_autofree char *flags = NULL;

  ml_mail_store_add_listener (store, log_change, log);
  g_assert_cmpuint (ml_mailbox_append (inbox, m, ML_FLAG_RECENT, 0), ==, 1);
  g_assert_cmpuint (ml_mailbox_append (inbox, m, 0, 0), ==, 2);
  g_assert_cmpuint (ml_mailbox_append (inbox, m, 0, 0), ==, 3);
  g_assert_cmpuint (ml_mailbox_get_uidnext (inbox), ==, 4);
  g_assert_cmpuint (ml_mailbox_get_total_size (inbox), ==, 54);

  ml_mailbox_set_flags (inbox, ml_mailbox_find_uid (inbox, 2), ML_FLAG_DELETED | ML_FLAG_SEEN);
  flags = ml_message_flags_dup_string (ml_message_get_flags (ml_mailbox_find_uid (inbox, 2)));
  g_assert_cmpstr (flags, ==, "\\Seen \\Deleted");
  g_assert_cmpuint (ml_mailbox_expunge (inbox), ==, 1);
  g_assert_cmpuint (ml_mailbox_get_count (inbox), ==, 2);
  g_assert_null (ml_mailbox_find_uid (inbox, 2));
  g_assert_cmpuint (ml_message_get_uid (ml_mailbox_get_message (inbox, 1)), ==, 3);
  /* UIDs are never reused (RFC 3501 2.3.1.1). */
  g_assert_cmpuint (ml_mailbox_append (inbox, m, 0, 0), ==, 4);
  g_assert_cmpstr (log->str, ==,
                   "append:bob@b.example/INBOX#1 append:bob@b.example/INBOX#2 append:bob@b.example/INBOX#3 "
                   "flags:bob@b.example/INBOX#2 expunge:bob@b.example/INBOX#2 append:bob@b.example/INBOX#4 ");
}

static void
test_queue_backoff (void)
{
  g_autoptr(MlMailQueue) q = ml_mail_queue_new (1);
  g_autoptr(GBytes) m = g_bytes_new_static ("x\r\n", 3);
  const char *rcpts[] = { "a@x.example", "b@x.example", NULL };
  g_autofree char *id = ml_mail_queue_dup_next_id (q);
  g_autofree char *id2 = ml_mail_queue_dup_next_id (q);
  MlQueueEntry *e;
  guint64 now = 0;

  g_assert_cmpstr (id, !=, id2);
  e = ml_mail_queue_add (q, id, "s@y.example", rcpts, m, 0);
  g_assert_true (ml_mail_queue_find (q, id) == e);
  g_assert_cmpuint (ml_mail_queue_count_pending_recipients (e), ==, 2);

  ml_queue_recipient_set (e->recipients->pdata[0], ML_RCPT_DELIVERED, 250, "ok");
  e->attempts = 1;
  g_assert_true (ml_mail_queue_defer (q, e, now));
  g_assert_cmpuint (e->next_attempt_us, ==, ML_QUEUE_MIN_BACKOFF_US);
  e->attempts = 2;
  g_assert_true (ml_mail_queue_defer (q, e, now));
  g_assert_cmpuint (e->next_attempt_us, ==, 2 * ML_QUEUE_MIN_BACKOFF_US);
  e->attempts = 10;
  g_assert_true (ml_mail_queue_defer (q, e, now));
  g_assert_cmpuint (e->next_attempt_us, ==, ML_QUEUE_MAX_BACKOFF_US);

  /* Past its lifetime the rest fails, and nothing more is scheduled. */
  now = ML_QUEUE_LIFETIME_US;
  g_assert_false (ml_mail_queue_defer (q, e, now));
  g_assert_cmpint (((MlQueueRecipient *) e->recipients->pdata[1])->status, ==, ML_RCPT_FAILED);
  g_assert_cmpint (((MlQueueRecipient *) e->recipients->pdata[0])->status, ==, ML_RCPT_DELIVERED);
  ml_mail_queue_remove (q, e);
  g_assert_cmpuint (ml_mail_queue_get_entries (q)->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mail-store/accounts-and-inbox", test_accounts_and_inbox);
  g_test_add_func ("/mail-store/uids-flags-expunge", test_uids_flags_expunge);
  g_test_add_func ("/mail-queue/backoff", test_queue_backoff);
  return g_test_run ();
}

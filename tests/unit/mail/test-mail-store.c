#include <string.h>
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

/* ---- issue 3: POP3 and IMAP ---- */

typedef struct {
  MlMailStore *store;
  MlAccount   *bob;
  MlMailbox   *inbox;
  GString     *log;
} Fixture;

/* kind:mailbox[#uid@index][<old][!actor] — what IMAP sessions rely on. */
static void
log_detail (MlMailStore *store, const MlStoreChange *change, gpointer data)
{
  Fixture *f = data;

  g_string_append_printf (f->log, "%s:%s", ml_store_change_kind_to_string (change->kind),
                          change->mailbox ? ml_mailbox_get_name (change->mailbox) : "-");
  if (change->message)
    g_string_append_printf (f->log, "#%u@%u", ml_message_get_uid (change->message), change->index);
  if (change->old_name)
    g_string_append_printf (f->log, "<%s", change->old_name);
  if (change->actor)
    g_string_append_printf (f->log, "!%s", (const char *) change->actor);
  g_string_append_c (f->log, ' ');
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->store = ml_mail_store_new ();
  f->bob = ml_mail_store_add_account (f->store, "bob@b.example", "pw");
  f->inbox = ml_account_get_inbox (f->bob);
  f->log = g_string_new (NULL);
  ml_mail_store_add_listener (f->store, log_detail, f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ml_mail_store_free (f->store);
  g_string_free (f->log, TRUE);
}

static guint32
append_text (MlMailbox *mb, const char *text, MlMessageFlags flags)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  return ml_mailbox_append (mb, bytes, flags, 1700000000);
}

static char *
dup_names (MlAccount *a)
{
  GPtrArray *boxes = ml_account_get_mailboxes (a);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < boxes->len; i++)
    {
      MlMailbox *mb = boxes->pdata[i];
      g_string_append_printf (s, "%s%s%s", s->len ? " " : "", ml_mailbox_get_name (mb),
                              ml_mailbox_is_selectable (mb) ? "" : "(noselect)");
    }
  return g_string_free (s, FALSE);
}

static char *
dup_subscriptions (MlAccount *a)
{
  g_autoptr(GPtrArray) subs = ml_account_dup_subscriptions (a);

  g_ptr_array_add (subs, NULL);
  return g_strjoinv (" ", (char **) subs->pdata);
}

static void
test_special_use_defaults (Fixture *f, gconstpointer data)
{
  g_autofree char *names = dup_names (f->bob);
  g_autofree char *subs = dup_subscriptions (f->bob);
  MlMailbox *sent = ml_account_find_mailbox (f->bob, "Sent");

  g_assert_cmpstr (names, ==, "INBOX Sent Drafts Trash Junk");
  g_assert_cmpstr (subs, ==, "Drafts INBOX Junk Sent Trash");
  g_assert_cmpint (ml_mailbox_get_special_use (sent), ==, ML_SPECIAL_USE_SENT);
  g_assert_cmpint (ml_mailbox_get_special_use (f->inbox), ==, ML_SPECIAL_USE_NONE);
  g_assert_true (ml_account_find_special_use (f->bob, ML_SPECIAL_USE_TRASH)
                 == ml_account_find_mailbox (f->bob, "Trash"));
  g_assert_null (ml_account_find_special_use (f->bob, ML_SPECIAL_USE_ARCHIVE));
  g_assert_cmpstr (ml_special_use_to_string (ML_SPECIAL_USE_SENT), ==, "\\Sent");
  g_assert_cmpstr (ml_special_use_to_string (ML_SPECIAL_USE_JUNK), ==, "\\Junk");
  g_assert_null (ml_special_use_to_string (ML_SPECIAL_USE_NONE));
  g_assert_cmpint (ml_special_use_from_string ("\\archive"), ==, ML_SPECIAL_USE_ARCHIVE);
  g_assert_cmpint (ml_special_use_from_string ("\\All"), ==, ML_SPECIAL_USE_NONE);
  g_assert_nonnull (ml_account_create_mailbox (f->bob, "Old", ML_SPECIAL_USE_ARCHIVE, NULL));
  g_assert_cmpint (ml_mailbox_get_special_use (ml_account_find_special_use (f->bob, ML_SPECIAL_USE_ARCHIVE)),
                   ==, ML_SPECIAL_USE_ARCHIVE);
}

static void
test_create_hierarchy (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  MlMailbox *zap, *foo;
  guint32 old_validity;
  g_autofree char *names = NULL;

  zap = ml_account_create_mailbox (f->bob, "foo/bar/zap", ML_SPECIAL_USE_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ml_mailbox_get_name (zap), ==, "foo/bar/zap");
  /* RFC 3501 6.3.3: superiors are created, as hierarchy names. */
  names = dup_names (f->bob);
  g_assert_cmpstr (names, ==, "INBOX Sent Drafts Trash Junk foo(noselect) foo/bar(noselect) foo/bar/zap");
  g_assert_true (ml_account_mailbox_has_children (f->bob, "foo"));
  g_assert_true (ml_account_mailbox_has_children (f->bob, "foo/bar"));
  g_assert_false (ml_account_mailbox_has_children (f->bob, "foo/bar/zap"));
  g_assert_false (ml_account_mailbox_has_children (f->bob, "fo"));

  /* Creating over a hierarchy name makes it a mailbox, a new incarnation. */
  foo = ml_account_find_mailbox (f->bob, "foo");
  old_validity = ml_mailbox_get_uidvalidity (foo);
  g_assert_true (ml_account_create_mailbox (f->bob, "foo", ML_SPECIAL_USE_NONE, &error) == foo);
  g_assert_no_error (error);
  g_assert_true (ml_mailbox_is_selectable (foo));
  g_assert_cmpuint (ml_mailbox_get_uidvalidity (foo), !=, old_validity);

  /* "the name created is without the trailing hierarchy delimiter". */
  g_assert_nonnull (ml_account_create_mailbox (f->bob, "owatagusiam/", ML_SPECIAL_USE_NONE, &error));
  g_assert_no_error (error);
  g_assert_nonnull (ml_account_find_mailbox (f->bob, "owatagusiam"));
  g_assert_true (ml_mailbox_is_selectable (ml_account_find_mailbox (f->bob, "owatagusiam")));

  g_assert_null (ml_account_create_mailbox (f->bob, "foo/bar/zap", ML_SPECIAL_USE_NONE, &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_null (ml_account_create_mailbox (f->bob, "inbox", ML_SPECIAL_USE_NONE, &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_EXISTS);
  g_clear_error (&error);

  /* INBOX's inferiors are spelled INBOX/ whatever the case asked. */
  g_assert_cmpstr (ml_mailbox_get_name (ml_account_create_mailbox (f->bob, "inbox/Lists",
                                                                   ML_SPECIAL_USE_NONE, NULL)),
                   ==, "INBOX/Lists");
  g_assert_nonnull (ml_account_find_mailbox (f->bob, "Inbox/Lists"));
  g_assert_true (ml_account_mailbox_has_children (f->bob, "inbox"));
}

static void
test_invalid_names (void)
{
  const char *bad[] = {
    "", "a//b", "/a", "a/b//", "news*", "100%", "caf\xc3\xa9", "tab\there", "a&b", "&AOk",
  };
  g_autofree char *long_name = g_strnfill (ML_MAILBOX_MAX_NAME + 1, 'x');
  g_autoptr(GString) deep = g_string_new ("a");
  GError *error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (ml_mailbox_name_is_valid (bad[i], &error));
      g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME);
      g_clear_error (&error);
    }
  g_assert_false (ml_mailbox_name_is_valid (long_name, NULL));
  for (guint i = 0; i < ML_MAILBOX_MAX_DEPTH; i++)
    g_string_append (deep, "/a");
  g_assert_false (ml_mailbox_name_is_valid (deep->str, NULL));
  g_string_truncate (deep, deep->len - 2);
  g_assert_true (ml_mailbox_name_is_valid (deep->str, NULL));
  /* Modified UTF-7 (RFC 3501 5.1.3): "&-" is '&', "&AOk-" is é. */
  g_assert_true (ml_mailbox_name_is_valid ("Tom &- Jerry", NULL));
  g_assert_true (ml_mailbox_name_is_valid ("Caf&AOk-", NULL));
  g_assert_true (ml_mailbox_name_is_valid ("Work/2024 Q1", NULL));
}

static void
test_delete_rules (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  MlMailbox *foo;
  g_autofree char *names = NULL;
  g_autofree char *subs = NULL;

  g_assert_false (ml_account_delete_mailbox (f->bob, "inbox", &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_PERMISSION);
  g_clear_error (&error);
  g_assert_false (ml_account_delete_mailbox (f->bob, "nope", &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The RFC 3501 6.3.4 examples. */
  foo = ml_account_add_mailbox (f->bob, "foo");
  ml_account_add_mailbox (f->bob, "foo/bar");
  ml_account_set_subscribed (f->bob, "foo", TRUE);
  append_text (foo, "Subject: a\r\n\r\nx\r\n", 0);
  g_assert_cmpuint (ml_account_get_message_count (f->bob), ==, 1);

  g_string_truncate (f->log, 0);
  /* Selectable with inferiors: messages go, the name becomes \Noselect. */
  g_assert_true (ml_account_delete_mailbox (f->bob, "foo", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (f->log->str, ==, "mailbox-deleted:foo ");
  g_assert_true (ml_account_find_mailbox (f->bob, "foo") == foo);
  g_assert_false (ml_mailbox_is_selectable (foo));
  g_assert_cmpuint (ml_mailbox_get_count (foo), ==, 0);
  g_assert_cmpuint (ml_account_get_message_count (f->bob), ==, 0);
  g_assert_cmpuint (ml_account_get_usage (f->bob), ==, 0);
  g_assert_cmpuint (append_text (foo, "x\r\n", 0), ==, 0);

  /* \Noselect with inferiors: refused. */
  g_assert_false (ml_account_delete_mailbox (f->bob, "foo", &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_HAS_CHILDREN);
  g_clear_error (&error);

  g_assert_true (ml_account_delete_mailbox (f->bob, "foo/bar", NULL));
  g_assert_true (ml_account_delete_mailbox (f->bob, "foo", NULL));
  names = dup_names (f->bob);
  g_assert_cmpstr (names, ==, "INBOX Sent Drafts Trash Junk");
  /* RFC 3501 6.3.6: the subscription outlives the mailbox. */
  subs = dup_subscriptions (f->bob);
  g_assert_cmpstr (subs, ==, "Drafts INBOX Junk Sent Trash foo");
}

static void
test_rename_with_inferiors (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  MlMailbox *foo = ml_account_add_mailbox (f->bob, "foo");
  MlMailbox *bar = ml_account_add_mailbox (f->bob, "foo/bar");
  guint32 validity = ml_mailbox_get_uidvalidity (bar);
  g_autofree char *names = NULL;
  g_autofree char *subs = NULL;

  append_text (bar, "Subject: a\r\n\r\nx\r\n", ML_FLAG_SEEN);
  ml_account_add_mailbox (f->bob, "food");
  ml_account_set_subscribed (f->bob, "foo/bar", TRUE);
  g_string_truncate (f->log, 0);

  g_assert_true (ml_account_rename_mailbox (f->bob, "foo", "baz/rag/zowie", &error));
  g_assert_no_error (error);
  names = dup_names (f->bob);
  /* Superiors created, inferiors moved along, "food" is not an inferior. */
  g_assert_cmpstr (names, ==,
                   "INBOX Sent Drafts Trash Junk baz/rag/zowie baz/rag/zowie/bar food baz(noselect) baz/rag(noselect)");
  g_assert_cmpstr (f->log->str, ==,
                   "mailbox:baz mailbox:baz/rag "
                   "mailbox-renamed:baz/rag/zowie<foo mailbox-renamed:baz/rag/zowie/bar<foo/bar ");
  g_assert_true (ml_account_find_mailbox (f->bob, "baz/rag/zowie") == foo);
  g_assert_cmpuint (ml_mailbox_get_uidvalidity (bar), ==, validity);
  g_assert_cmpuint (ml_mailbox_get_count (bar), ==, 1);
  subs = dup_subscriptions (f->bob);
  g_assert_cmpstr (subs, ==, "Drafts INBOX Junk Sent Trash baz/rag/zowie/bar");

  g_assert_false (ml_account_rename_mailbox (f->bob, "nope", "x", &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (ml_account_rename_mailbox (f->bob, "food", "Sent", &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (ml_account_rename_mailbox (f->bob, "food", "INBOX", &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (ml_account_rename_mailbox (f->bob, "food", "food/sub", &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME);
  g_clear_error (&error);
  g_assert_false (ml_account_rename_mailbox (f->bob, "food", "a*b", &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_NAME);
  g_clear_error (&error);
}

static void
test_rename_inbox (Fixture *f, gconstpointer data)
{
  const char *kw[] = { "$Work", NULL };
  GError *error = NULL;
  MlMailbox *old;
  MlMessage *m;
  guint32 inbox_validity = ml_mailbox_get_uidvalidity (f->inbox);

  append_text (f->inbox, "Subject: 1\r\n\r\n1\r\n", ML_FLAG_SEEN);
  append_text (f->inbox, "Subject: 2\r\n\r\n2\r\n", ML_FLAG_RECENT);
  ml_mailbox_store_flags (f->inbox, ml_mailbox_get_message (f->inbox, 1), ML_FLAG_FLAGGED, kw);
  ml_account_add_mailbox (f->bob, "INBOX/child");
  g_string_truncate (f->log, 0);

  g_assert_true (ml_account_rename_mailbox (f->bob, "Inbox", "Old/Mail", &error));
  g_assert_no_error (error);
  /* RFC 3501 6.3.5: messages move, INBOX stays, empty, its inferiors too. */
  old = ml_account_find_mailbox (f->bob, "Old/Mail");
  g_assert_nonnull (old);
  g_assert_true (ml_account_get_inbox (f->bob) == f->inbox);
  g_assert_cmpuint (ml_mailbox_get_uidvalidity (f->inbox), ==, inbox_validity);
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 0);
  g_assert_cmpuint (ml_mailbox_get_uidnext (f->inbox), ==, 3);
  g_assert_nonnull (ml_account_find_mailbox (f->bob, "INBOX/child"));
  g_assert_cmpuint (ml_mailbox_get_count (old), ==, 2);
  m = ml_mailbox_get_message (old, 1);
  g_assert_cmpuint (ml_message_get_flags (m), ==, ML_FLAG_FLAGGED);
  g_assert_true (ml_message_has_keyword (m, "$work"));
  g_assert_cmpuint (ml_message_get_internal_date (m), ==, 1700000000);
  g_assert_cmpuint (ml_account_get_message_count (f->bob), ==, 2);
  g_assert_cmpstr (f->log->str, ==,
                   "mailbox:Old mailbox:Old/Mail append:Old/Mail#1@0 append:Old/Mail#2@1 "
                   "expunge:INBOX#1@0 expunge:INBOX#2@0 ");
}

static void
test_subscriptions (Fixture *f, gconstpointer data)
{
  g_autofree char *subs = NULL;

  /* RFC 3501 6.3.6: a name need not exist to be subscribed. */
  ml_account_set_subscribed (f->bob, "news/comp.mail", TRUE);
  ml_account_set_subscribed (f->bob, "news/comp.mail", TRUE);
  ml_account_set_subscribed (f->bob, "Junk", FALSE);
  ml_account_set_subscribed (f->bob, "inbox", TRUE);
  g_assert_true (ml_account_is_subscribed (f->bob, "news/comp.mail"));
  g_assert_true (ml_account_is_subscribed (f->bob, "Inbox"));
  g_assert_false (ml_account_is_subscribed (f->bob, "Junk"));
  g_assert_false (ml_account_is_subscribed (f->bob, "news"));
  g_assert_null (ml_account_find_mailbox (f->bob, "news/comp.mail"));
  subs = dup_subscriptions (f->bob);
  g_assert_cmpstr (subs, ==, "Drafts INBOX Sent Trash news/comp.mail");
}

static void
test_quota (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) ten = g_bytes_new_static ("0123456789", 10);
  g_autoptr(GBytes) huge = g_bytes_new_take (g_malloc (ML_STORE_MAX_MESSAGE_SIZE + 1),
                                             ML_STORE_MAX_MESSAGE_SIZE + 1);
  MlMailbox *sent = ml_account_find_mailbox (f->bob, "Sent");
  GError *error = NULL;

  ml_account_set_quota (f->bob, 25);
  g_assert_cmpuint (ml_account_get_quota (f->bob), ==, 25);
  g_assert_cmpuint (ml_mailbox_append_full (f->inbox, ten, 0, NULL, 0, &error), ==, 1);
  g_assert_cmpuint (ml_mailbox_append_full (sent, ten, 0, NULL, 0, &error), ==, 1);
  g_assert_no_error (error);
  /* RFC 9208: the limit counts every mailbox of the account. */
  g_assert_cmpuint (ml_account_get_usage (f->bob), ==, 20);
  g_assert_cmpuint (ml_mailbox_append_full (f->inbox, ten, 0, NULL, 0, &error), ==, 0);
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_OVERQUOTA);
  g_clear_error (&error);
  g_assert_cmpuint (ml_mailbox_append (f->inbox, ten, 0, 0), ==, 0);
  g_assert_cmpuint (ml_mailbox_copy_message (f->inbox, ml_mailbox_get_message (f->inbox, 0), sent, &error), ==, 0);
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_OVERQUOTA);
  g_clear_error (&error);
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 1);
  g_assert_cmpuint (ml_account_get_message_count (f->bob), ==, 2);

  ml_account_set_quota (f->bob, 0);
  g_assert_cmpuint (ml_mailbox_append (f->inbox, ten, 0, 0), ==, 2);
  g_assert_cmpuint (ml_mailbox_append_full (f->inbox, huge, 0, NULL, 0, &error), ==, 0);
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_TOO_BIG);
  g_clear_error (&error);
}

static void
test_copy_keeps_flags (Fixture *f, gconstpointer data)
{
  const char *kw[] = { "$Label1", "Project", NULL };
  g_autoptr(GBytes) text = g_bytes_new_static ("Subject: c\r\n\r\nc\r\n", 17);
  MlMailbox *trash = ml_account_find_mailbox (f->bob, "Trash");
  MlMailbox *hier = ml_account_add_mailbox (f->bob, "a/b");
  GError *error = NULL;
  MlMessage *src, *copy;
  guint32 uid;

  g_assert_cmpuint (ml_mailbox_append_full (f->inbox, text, ML_FLAG_SEEN | ML_FLAG_ANSWERED, kw,
                                            1234567, &error), ==, 1);
  g_assert_no_error (error);
  src = ml_mailbox_get_message (f->inbox, 0);
  append_text (trash, "x\r\n", 0);
  g_string_truncate (f->log, 0);

  uid = ml_mailbox_copy_message (f->inbox, src, trash, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uid, ==, 2);
  copy = ml_mailbox_find_uid (trash, uid);
  /* RFC 3501 6.4.7: flags and internal date kept, \Recent set. */
  g_assert_cmpuint (ml_message_get_flags (copy), ==, ML_FLAG_SEEN | ML_FLAG_ANSWERED | ML_FLAG_RECENT);
  g_assert_cmpuint (ml_message_get_internal_date (copy), ==, 1234567);
  g_assert_cmpuint (g_strv_length ((char **) ml_message_get_keywords (copy)), ==, 2);
  g_assert_true (ml_message_has_keyword (copy, "project"));
  g_assert_true (ml_message_get_data (copy) == ml_message_get_data (src));
  g_assert_cmpstr (ml_mailbox_get_keywords (trash)[0], ==, "$Label1");
  g_assert_cmpstr (f->log->str, ==, "append:Trash#2@1 ");
  g_assert_cmpuint (ml_mailbox_get_recent_count (trash), ==, 1);

  g_assert_cmpuint (ml_mailbox_copy_message (f->inbox, src, ml_account_find_mailbox (f->bob, "a"), &error), ==, 0);
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_NOT_SELECTABLE);
  g_clear_error (&error);
  g_assert_cmpuint (ml_mailbox_copy_message (f->inbox, src, hier, &error), ==, 1);
  g_assert_no_error (error);
}

static void
test_expunge_order_and_index (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < 6; i++)
    append_text (f->inbox, "x\r\n", 0);
  for (guint32 uid = 2; uid <= 6; uid++)
    if (uid != 4)
      ml_mailbox_set_flags (f->inbox, ml_mailbox_find_uid (f->inbox, uid), ML_FLAG_DELETED);
  g_string_truncate (f->log, 0);

  g_assert_cmpuint (ml_mailbox_expunge (f->inbox), ==, 4);
  /* Ascending, each index as it stood when told: IMAP's 2, 2, 3, 3. */
  g_assert_cmpstr (f->log->str, ==,
                   "expunge:INBOX#2@1 expunge:INBOX#3@1 expunge:INBOX#5@2 expunge:INBOX#6@2 ");
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 2);
  g_assert_cmpuint (ml_mailbox_get_total_size (f->inbox), ==, 6);
}

static void
test_expunge_uids (Fixture *f, gconstpointer data)
{
  const guint32 uids[] = { 5, 3, 1, 3, 99 };

  for (guint i = 0; i < 5; i++)
    append_text (f->inbox, "x\r\n", 0);
  for (guint32 uid = 1; uid <= 4; uid++)
    ml_mailbox_set_flags (f->inbox, ml_mailbox_find_uid (f->inbox, uid), ML_FLAG_DELETED);
  g_string_truncate (f->log, 0);

  /* RFC 4315 2.1: listed *and* \Deleted; 5 is not deleted, 2 and 4 are
   * not listed, 99 does not exist, 3 is listed twice. */
  g_assert_cmpuint (ml_mailbox_expunge_uids (f->inbox, uids, G_N_ELEMENTS (uids)), ==, 2);
  g_assert_cmpstr (f->log->str, ==, "expunge:INBOX#1@0 expunge:INBOX#3@1 ");
  g_assert_nonnull (ml_mailbox_find_uid (f->inbox, 2));
  g_assert_nonnull (ml_mailbox_find_uid (f->inbox, 4));
  g_assert_nonnull (ml_mailbox_find_uid (f->inbox, 5));
  g_assert_cmpuint (ml_mailbox_expunge_uids (f->inbox, NULL, 0), ==, 0);
}

static void
test_actor_and_flag_changes (Fixture *f, gconstpointer data)
{
  const char *kw[] = { "Work", NULL };
  const char *kw_case[] = { "work", NULL };
  MlMessage *m;

  append_text (f->inbox, "x\r\n", ML_FLAG_RECENT);
  m = ml_mailbox_get_message (f->inbox, 0);
  g_string_truncate (f->log, 0);

  ml_mail_store_set_actor (f->store, "imap1");
  g_assert_true (ml_mail_store_get_actor (f->store) != NULL);
  ml_mailbox_store_flags (f->inbox, m, ML_FLAG_SEEN, kw);
  ml_mail_store_set_actor (f->store, NULL);
  /* Nothing changed (keywords compare without case): nothing told. */
  ml_mailbox_store_flags (f->inbox, m, ML_FLAG_SEEN, kw_case);
  ml_mailbox_set_flags (f->inbox, m, ML_FLAG_SEEN);
  /* set_flags keeps keywords. */
  ml_mailbox_set_flags (f->inbox, m, ML_FLAG_SEEN | ML_FLAG_FLAGGED);
  g_assert_true (ml_message_has_keyword (m, "WORK"));
  ml_mailbox_store_flags (f->inbox, m, ML_FLAG_SEEN | ML_FLAG_FLAGGED, NULL);
  g_assert_null (ml_message_get_keywords (m)[0]);
  g_assert_cmpstr (f->log->str, ==, "flags:INBOX#1@0!imap1 flags:INBOX#1@0 flags:INBOX#1@0 ");
  /* The mailbox remembers keywords once used (for FLAGS). */
  g_assert_cmpstr (ml_mailbox_get_keywords (f->inbox)[0], ==, "Work");
  g_assert_null (ml_mailbox_get_keywords (f->inbox)[1]);
}

static void
test_keywords (Fixture *f, gconstpointer data)
{
  const char *invalid[] = { "", "\\Seen", "a b", "x(", "q\"", "{3}", "wild*", "50%", "br]", "caf\xc3\xa9", NULL };
  g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *too_long = g_strnfill (ML_KEYWORD_MAX_LEN + 1, 'k');
  const char *one_invalid[] = { "ok", "not ok", NULL };
  const char *dup[] = { "$Junk", "$junk", "$JUNK", NULL };
  g_autoptr(GBytes) text = g_bytes_new_static ("x\r\n", 3);
  GError *error = NULL;
  MlMessage *m;

  for (guint i = 0; invalid[i] != NULL; i++)
    g_assert_false (ml_keyword_is_valid (invalid[i]));
  g_assert_false (ml_keyword_is_valid (too_long));
  g_assert_true (ml_keyword_is_valid ("$Forwarded"));
  g_assert_true (ml_keyword_is_valid ("NonJunk"));

  g_assert_false (ml_mailbox_check_keywords (f->inbox, NULL, one_invalid, &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_KEYWORD);
  g_clear_error (&error);
  g_assert_cmpuint (ml_mailbox_append_full (f->inbox, text, 0, one_invalid, 0, &error), ==, 0);
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_INVALID_KEYWORD);
  g_clear_error (&error);

  g_assert_cmpuint (ml_mailbox_append_full (f->inbox, text, 0, dup, 0, &error), ==, 1);
  g_assert_no_error (error);
  m = ml_mailbox_get_message (f->inbox, 0);
  g_assert_cmpuint (g_strv_length ((char **) ml_message_get_keywords (m)), ==, 1);
  g_assert_cmpstr (ml_message_get_keywords (m)[0], ==, "$Junk");

  /* Per message. */
  for (guint i = 0; i <= ML_MESSAGE_MAX_KEYWORDS; i++)
    g_ptr_array_add (many, g_strdup_printf ("k%u", i));
  g_ptr_array_add (many, NULL);
  g_assert_false (ml_mailbox_check_keywords (f->inbox, m, (const char *const *) many->pdata, &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_LIMIT);
  g_clear_error (&error);
  ml_mailbox_store_flags (f->inbox, m, 0, (const char *const *) many->pdata);
  g_assert_cmpuint (g_strv_length ((char **) ml_message_get_keywords (m)), ==, ML_MESSAGE_MAX_KEYWORDS);

  /* Per mailbox: once full, no new keyword, and \* would go. */
  for (guint i = 0; ml_mailbox_can_create_keywords (f->inbox); i++)
    {
      g_autofree char *k = g_strdup_printf ("m%u", i);
      const char *one[] = { k, NULL };

      g_assert_true (ml_mailbox_check_keywords (f->inbox, m, one, NULL));
      ml_mailbox_store_flags (f->inbox, m, 0, one);
    }
  g_assert_cmpuint (g_strv_length ((char **) ml_mailbox_get_keywords (f->inbox)), ==, ML_MAILBOX_MAX_KEYWORDS);
  {
    const char *fresh[] = { "brand-new", NULL };
    const char *known[] = { "$junk", NULL };

    g_assert_false (ml_mailbox_check_keywords (f->inbox, m, fresh, &error));
    g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_LIMIT);
    g_clear_error (&error);
    g_assert_true (ml_mailbox_check_keywords (f->inbox, m, known, NULL));
    ml_mailbox_store_flags (f->inbox, m, 0, fresh);
    g_assert_null (ml_message_get_keywords (m)[0]);
  }
}

static void
test_counts_and_lookup (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < 5; i++)
    append_text (f->inbox, "12345\r\n", i < 2 ? ML_FLAG_SEEN : ML_FLAG_RECENT);
  g_assert_cmpuint (ml_mailbox_get_total_size (f->inbox), ==, 35);
  g_assert_cmpuint (ml_mailbox_get_unseen_count (f->inbox), ==, 3);
  g_assert_cmpuint (ml_mailbox_get_recent_count (f->inbox), ==, 3);
  g_assert_cmpuint (ml_mailbox_get_first_unseen_index (f->inbox), ==, 2);

  ml_mailbox_set_flags (f->inbox, ml_mailbox_get_message (f->inbox, 2), ML_FLAG_SEEN | ML_FLAG_DELETED);
  g_assert_cmpuint (ml_mailbox_get_unseen_count (f->inbox), ==, 2);
  g_assert_cmpuint (ml_mailbox_get_recent_count (f->inbox), ==, 2);
  g_assert_cmpuint (ml_mailbox_get_first_unseen_index (f->inbox), ==, 3);
  ml_mailbox_expunge (f->inbox);
  g_assert_cmpuint (ml_mailbox_get_total_size (f->inbox), ==, 28);
  g_assert_cmpuint (ml_account_get_usage (f->bob), ==, 28);

  /* UIDs 1 2 4 5 now. */
  g_assert_cmpuint (ml_mailbox_uid_to_index (f->inbox, 4), ==, 2);
  g_assert_cmpuint (ml_mailbox_uid_to_index (f->inbox, 3), ==, ML_MAILBOX_NO_INDEX);
  g_assert_cmpuint (ml_mailbox_uid_lower_bound (f->inbox, 3), ==, 2);
  g_assert_cmpuint (ml_mailbox_uid_lower_bound (f->inbox, 0), ==, 0);
  g_assert_cmpuint (ml_mailbox_uid_lower_bound (f->inbox, 6), ==, 4);
  g_assert_true (ml_message_get_mailbox (ml_mailbox_find_uid (f->inbox, 5)) == f->inbox);
  for (guint i = 0; i < 4; i++)
    ml_mailbox_set_flags (f->inbox, ml_mailbox_get_message (f->inbox, i), ML_FLAG_SEEN);
  g_assert_cmpuint (ml_mailbox_get_first_unseen_index (f->inbox), ==, ML_MAILBOX_NO_INDEX);
}

static void
test_pop3_lock (Fixture *f, gconstpointer data)
{
  int session_a, session_b;

  g_assert_false (ml_account_is_locked (f->bob));
  g_assert_true (ml_account_try_lock (f->bob, &session_a));
  g_assert_true (ml_account_try_lock (f->bob, &session_a));
  g_assert_false (ml_account_try_lock (f->bob, &session_b));
  g_assert_true (ml_account_is_locked (f->bob));
  ml_account_unlock (f->bob, &session_b);   /* not the holder: nothing */
  g_assert_true (ml_account_is_locked (f->bob));
  ml_account_unlock (f->bob, &session_a);
  g_assert_false (ml_account_is_locked (f->bob));
  g_assert_true (ml_account_try_lock (f->bob, &session_b));
}

static void
test_many_messages (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) text = g_bytes_new_static ("x\r\n", 3);
  g_autofree guint32 *odd = g_new (guint32, 5000);

  /* The benchmark's shape: 10,000 messages, lookups by UID, UID EXPUNGE
   * of half. Not timed; a quadratic slip shows as a slow test. */
  for (guint i = 0; i < 10000; i++)
    ml_mailbox_append (f->inbox, text, 0, 0);
  for (guint32 uid = 1; uid <= 10000; uid++)
    {
      MlMessage *m = ml_mailbox_find_uid (f->inbox, uid);
      g_assert_cmpuint (ml_message_get_uid (m), ==, uid);
      if (uid % 2)
        ml_mailbox_set_flags (f->inbox, m, ML_FLAG_DELETED);
    }
  for (guint i = 0; i < 5000; i++)
    odd[i] = 2 * i + 1;
  g_string_truncate (f->log, 0);
  g_assert_cmpuint (ml_mailbox_expunge_uids (f->inbox, odd, 5000), ==, 5000);
  g_assert_cmpuint (ml_mailbox_get_count (f->inbox), ==, 5000);
  g_assert_cmpuint (ml_message_get_uid (ml_mailbox_get_message (f->inbox, 4999)), ==, 10000);
  g_assert_cmpuint (ml_mailbox_get_unseen_count (f->inbox), ==, 5000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mail-store/accounts-and-inbox", test_accounts_and_inbox);
  g_test_add_func ("/mail-store/uids-flags-expunge", test_uids_flags_expunge);
  g_test_add_func ("/mail-store/invalid-names", test_invalid_names);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/mail-store/special-use-defaults", test_special_use_defaults);
  ADD ("/mail-store/create-hierarchy", test_create_hierarchy);
  ADD ("/mail-store/delete-rules", test_delete_rules);
  ADD ("/mail-store/rename-with-inferiors", test_rename_with_inferiors);
  ADD ("/mail-store/rename-inbox", test_rename_inbox);
  ADD ("/mail-store/subscriptions", test_subscriptions);
  ADD ("/mail-store/quota", test_quota);
  ADD ("/mail-store/copy-keeps-flags", test_copy_keeps_flags);
  ADD ("/mail-store/expunge-order-and-index", test_expunge_order_and_index);
  ADD ("/mail-store/expunge-uids", test_expunge_uids);
  ADD ("/mail-store/actor-and-flag-changes", test_actor_and_flag_changes);
  ADD ("/mail-store/keywords", test_keywords);
  ADD ("/mail-store/counts-and-lookup", test_counts_and_lookup);
  ADD ("/mail-store/pop3-lock", test_pop3_lock);
  ADD ("/mail-store/many-messages", test_many_messages);
#undef ADD
  g_test_add_func ("/mail-queue/backoff", test_queue_backoff);
  return g_test_run ();
}

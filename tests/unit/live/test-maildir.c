/* Maildir++ persistence of the store: what is on disk after each change,
 * and what a fresh store reads back (UIDs, flags, keywords, folders). */
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include "live/maildir.h"

#define ALICE "alice@example.org"
#define BOB   "bob@example.org"

typedef struct {
  char        *root;
  MlMailStore *store;
  MlMaildir   *maildir;
} Fixture;

static void
open_store (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->store = ml_mail_store_new ();
  f->maildir = ml_maildir_new (f->root, f->store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ml_maildir_load_account (f->maildir, ALICE, &error));
  g_assert_no_error (error);
  g_assert_nonnull (ml_maildir_load_account (f->maildir, BOB, &error));
  g_assert_no_error (error);
}

static void
close_store (Fixture *f)
{
  g_clear_pointer (&f->maildir, ml_maildir_free);
  g_clear_pointer (&f->store, ml_mail_store_free);
}

/* What a restart does. */
static void
reopen (Fixture *f)
{
  close_store (f);
  open_store (f);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->root = g_dir_make_tmp ("ml-maildir-XXXXXX", NULL);
  open_store (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  close_store (f);
  remove_tree (f->root);
  g_free (f->root);
}

static MlMailbox *
inbox (Fixture *f, const char *address)
{
  return ml_account_get_inbox (ml_mail_store_find_account (f->store, address));
}

static guint
count_files (Fixture *f, const char *relative)
{
  g_autofree char *path = g_build_filename (f->root, relative, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static GBytes *
message (const char *subject)
{
  g_autofree char *text = g_strdup_printf ("From: x@remote.test\r\nSubject: %s\r\n\r\nbody\r\n", subject);

  return g_bytes_new (text, strlen (text));
}

static void
deliver (Fixture *f, MlMailbox **boxes, guint n, const char *subject)
{
  g_autoptr(GBytes) msg = message (subject);
  g_autoptr(GError) error = NULL;

  g_assert_true (ml_maildir_deliver (f->maildir, boxes, n, msg, ML_FLAG_RECENT, 1700000000, &error));
  g_assert_no_error (error);
}

static void
test_names (void)
{
  g_autofree char *none = ml_maildir_flags_to_info (0);
  g_autofree char *all = ml_maildir_flags_to_info (ML_FLAG_SEEN | ML_FLAG_ANSWERED | ML_FLAG_FLAGGED
                                                   | ML_FLAG_DELETED | ML_FLAG_DRAFT | ML_FLAG_RECENT);
  g_autofree char *inbox_dir = ml_maildir_folder_dir_name ("inbox");
  g_autofree char *nested = ml_maildir_folder_dir_name ("Work/2024");
  g_autofree char *dotted = ml_maildir_folder_dir_name ("a.b/c");
  g_autofree char *back = ml_maildir_folder_from_dir_name (dotted);
  g_autofree char *not_folder = ml_maildir_folder_from_dir_name ("cur");

  g_assert_cmpstr (none, ==, "2,");
  /* maildir(5): ASCII order, \Recent is new/ and not a letter. */
  g_assert_cmpstr (all, ==, "2,DFRST");
  g_assert_cmpuint (ml_maildir_info_to_flags ("2,ST"), ==, ML_FLAG_SEEN | ML_FLAG_DELETED);
  g_assert_cmpuint (ml_maildir_info_to_flags ("2,Pa"), ==, 0);
  g_assert_cmpuint (ml_maildir_info_to_flags ("1,S"), ==, 0);
  g_assert_cmpstr (inbox_dir, ==, "");
  g_assert_cmpstr (nested, ==, ".Work.2024");
  g_assert_cmpstr (dotted, ==, ".a&AC4-b.c");
  g_assert_cmpstr (back, ==, "a.b/c");
  g_assert_null (not_folder);
}

static void
test_deliver_reload (Fixture *f, gconstpointer data)
{
  MlMailbox *boxes[2] = { inbox (f, ALICE), inbox (f, BOB) };
  guint32 validity = ml_mailbox_get_uidvalidity (boxes[0]);
  MlMessage *m;
  GBytes *bytes;

  deliver (f, boxes, 2, "one");
  deliver (f, boxes, 1, "two");
  g_assert_cmpuint (count_files (f, ALICE "/new"), ==, 2);
  g_assert_cmpuint (count_files (f, BOB "/new"), ==, 1);
  g_assert_cmpuint (count_files (f, ALICE "/tmp"), ==, 0);

  reopen (f);
  g_assert_cmpuint (ml_mailbox_get_uidvalidity (inbox (f, ALICE)), ==, validity);
  g_assert_cmpuint (ml_mailbox_get_count (inbox (f, ALICE)), ==, 2);
  g_assert_cmpuint (ml_mailbox_get_uidnext (inbox (f, ALICE)), ==, 3);
  m = ml_mailbox_find_uid (inbox (f, ALICE), 2);
  g_assert_nonnull (m);
  bytes = ml_message_get_data (m);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "Subject: two"));
  g_assert_cmpuint (ml_message_get_flags (m), ==, ML_FLAG_RECENT);
  g_assert_cmpint (ml_message_get_internal_date (m), ==, 1700000000);
  g_assert_cmpuint (ml_mailbox_get_count (inbox (f, BOB)), ==, 1);
}

static void
test_flags_and_keywords (Fixture *f, gconstpointer data)
{
  MlMailbox *box = inbox (f, ALICE);
  static const char *const keywords[] = { "$Label1", "todo", NULL };
  g_autofree char *path = NULL;
  MlMessage *m;

  deliver (f, &box, 1, "flags");
  m = ml_mailbox_get_message (box, 0);
  ml_mailbox_store_flags (box, m, ML_FLAG_SEEN | ML_FLAG_FLAGGED, keywords);
  path = ml_maildir_dup_path (f->maildir, m);
  g_assert_true (g_str_has_prefix (path, ALICE "/cur/"));
  g_assert_true (g_str_has_suffix (path, ":2,FS"));
  g_assert_cmpuint (count_files (f, ALICE "/new"), ==, 0);

  reopen (f);
  box = inbox (f, ALICE);
  m = ml_mailbox_find_uid (box, 1);
  g_assert_nonnull (m);
  g_assert_cmpuint (ml_message_get_flags (m), ==, ML_FLAG_SEEN | ML_FLAG_FLAGGED);
  g_assert_true (ml_message_has_keyword (m, "todo"));
  g_assert_true (ml_message_has_keyword (m, "$Label1"));
  g_assert_cmpuint (ml_maildir_get_n_errors (f->maildir), ==, 0);
}

static void
test_expunge (Fixture *f, gconstpointer data)
{
  MlMailbox *box = inbox (f, ALICE);

  deliver (f, &box, 1, "a");
  deliver (f, &box, 1, "b");
  ml_mailbox_set_flags (box, ml_mailbox_find_uid (box, 2), ML_FLAG_DELETED);
  g_assert_cmpuint (ml_mailbox_expunge (box), ==, 1);
  g_assert_cmpuint (count_files (f, ALICE "/new") + count_files (f, ALICE "/cur"), ==, 1);

  reopen (f);
  box = inbox (f, ALICE);
  g_assert_cmpuint (ml_mailbox_get_count (box), ==, 1);
  /* RFC 3501 2.3.1.1: UID 2 is never given again. */
  g_assert_cmpuint (ml_mailbox_get_uidnext (box), ==, 3);
  deliver (f, &box, 1, "c");
  g_assert_nonnull (ml_mailbox_find_uid (box, 3));
}

static void
test_failed_write (Fixture *f, gconstpointer data)
{
  MlMailbox *boxes[2] = { inbox (f, ALICE), inbox (f, BOB) };
  g_autoptr(GBytes) msg = message ("lost?");
  g_autoptr(GError) error = NULL;

  /* The second copy fails: neither recipient may have it. */
  ml_maildir_fail_next_writes (f->maildir, 0);
  deliver (f, boxes, 1, "warm-up");
  ml_maildir_fail_next_writes (f->maildir, 2);
  g_assert_false (ml_maildir_deliver (f->maildir, boxes, 2, msg, ML_FLAG_RECENT, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpuint (ml_mailbox_get_count (boxes[0]), ==, 1);
  g_assert_cmpuint (ml_mailbox_get_count (boxes[1]), ==, 0);
  g_assert_cmpuint (count_files (f, ALICE "/new"), ==, 1);
  g_assert_cmpuint (count_files (f, ALICE "/tmp"), ==, 0);
  g_assert_cmpuint (count_files (f, BOB "/new"), ==, 0);
}

static void
test_quota (Fixture *f, gconstpointer data)
{
  MlMailbox *box = inbox (f, ALICE);
  g_autoptr(GBytes) msg = message ("big");
  g_autoptr(GError) error = NULL;

  ml_account_set_quota (ml_mail_store_find_account (f->store, ALICE), g_bytes_get_size (msg) + 10);
  deliver (f, &box, 1, "big");
  g_assert_false (ml_maildir_deliver (f->maildir, &box, 1, msg, ML_FLAG_RECENT, 0, &error));
  g_assert_error (error, ML_STORE_ERROR, ML_STORE_ERROR_OVERQUOTA);
  g_assert_cmpuint (count_files (f, ALICE "/new"), ==, 1);
}

static void
test_folders (Fixture *f, gconstpointer data)
{
  MlAccount *alice = ml_mail_store_find_account (f->store, ALICE);
  g_autoptr(GBytes) msg = message ("appended");
  g_autoptr(GError) error = NULL;
  MlMailbox *work;
  g_autofree char *work_dir = g_build_filename (f->root, ALICE, ".Work.2024", NULL);
  g_autofree char *old_dir = g_build_filename (f->root, ALICE, ".Old.2024", NULL);

  work = ml_account_create_mailbox (alice, "Work/2024", ML_SPECIAL_USE_NONE, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (work_dir, G_FILE_TEST_IS_DIR));
  /* IMAP APPEND goes through the store, not ml_maildir_deliver. */
  g_assert_cmpuint (ml_mailbox_append (work, msg, ML_FLAG_SEEN, 1700000000), ==, 1);
  g_assert_cmpuint (count_files (f, ALICE "/.Work.2024/cur"), ==, 1);

  g_assert_true (ml_account_rename_mailbox (alice, "Work", "Old", &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (work_dir, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (old_dir, G_FILE_TEST_IS_DIR));

  reopen (f);
  alice = ml_mail_store_find_account (f->store, ALICE);
  work = ml_account_find_mailbox (alice, "Old/2024");
  g_assert_nonnull (work);
  g_assert_cmpuint (ml_mailbox_get_count (work), ==, 1);
  g_assert_cmpuint (ml_message_get_flags (ml_mailbox_get_message (work, 0)), ==, ML_FLAG_SEEN);

  g_assert_true (ml_account_delete_mailbox (alice, "Old/2024", &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (old_dir, G_FILE_TEST_EXISTS));
}

/* Another MDA (or a person with mv) drops a file into new/: it gets a UID
 * after every known one. */
static void
test_foreign_file (Fixture *f, gconstpointer data)
{
  MlMailbox *box = inbox (f, ALICE);
  g_autofree char *path = g_build_filename (f->root, ALICE, "new", "1.M1P1Q1.elsewhere", NULL);

  deliver (f, &box, 1, "ours");
  g_assert_true (g_file_set_contents (path, "Subject: dropped\r\n\r\nhi\r\n", -1, NULL));
  reopen (f);
  box = inbox (f, ALICE);
  g_assert_cmpuint (ml_mailbox_get_count (box), ==, 2);
  g_assert_nonnull (ml_mailbox_find_uid (box, 1));
  g_assert_nonnull (ml_mailbox_find_uid (box, 2));
  g_assert_cmpuint (ml_message_get_size (ml_mailbox_find_uid (box, 2)), ==, 24);
}

/* Without its uidlist a folder starts over: a new UIDVALIDITY, so no
 * client can take the new UIDs for the old ones (RFC 3501 2.3.1.1). */
static void
test_lost_uidlist (Fixture *f, gconstpointer data)
{
  MlMailbox *box = inbox (f, ALICE);
  guint32 validity = ml_mailbox_get_uidvalidity (box);
  g_autofree char *uidlist = g_build_filename (f->root, ALICE, ML_MAILDIR_UIDLIST, NULL);

  deliver (f, &box, 1, "x");
  close_store (f);
  g_assert_cmpint (g_unlink (uidlist), ==, 0);
  open_store (f);
  box = inbox (f, ALICE);
  g_assert_cmpuint (ml_mailbox_get_count (box), ==, 1);
  g_assert_cmpuint (ml_mailbox_get_uidvalidity (box), !=, validity);
}

/* ---- asynchronous delivery ---- */

typedef struct {
  guint  pending;
  guint  ok;
  GError *error;   /* the last failure */
} AsyncCount;

static void
on_async_delivered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncCount *count = user_data;
  GError *error = NULL;

  if (ml_maildir_deliver_finish (NULL, result, &error))
    count->ok++;
  else
    {
      g_clear_error (&count->error);
      count->error = error;
    }
  count->pending--;
}

static void
wait_for (AsyncCount *count)
{
  while (count->pending > 0)
    g_main_context_iteration (NULL, TRUE);
}

/* Many deliveries in flight at once, two recipients each: every one is in
 * the store and on disk once its callback runs, and not before (the store
 * is only touched on the main context). */
static void
test_async_many (Fixture *f, gconstpointer data)
{
  MlMailbox *boxes[2] = { inbox (f, ALICE), inbox (f, BOB) };
  AsyncCount count = { 0 };
  const guint n = 40;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *subject = g_strdup_printf ("async %u", i);
      g_autoptr(GBytes) msg = message (subject);

      count.pending++;
      ml_maildir_deliver_async (f->maildir, boxes, 2, msg, ML_FLAG_RECENT, 1700000000,
                                on_async_delivered, &count);
    }
  /* Nothing is in the store before the main context ran the commits. */
  g_assert_cmpuint (ml_mailbox_get_count (boxes[0]), ==, 0);
  g_assert_cmpuint (ml_maildir_get_n_in_flight (f->maildir), ==, n);
  wait_for (&count);
  g_assert_no_error (count.error);
  g_assert_cmpuint (count.ok, ==, n);
  g_assert_cmpuint (ml_maildir_get_n_in_flight (f->maildir), ==, 0);
  g_assert_cmpuint (ml_mailbox_get_count (boxes[0]), ==, n);
  g_assert_cmpuint (ml_mailbox_get_count (boxes[1]), ==, n);
  g_assert_cmpuint (count_files (f, ALICE "/new"), ==, n);
  g_assert_cmpuint (count_files (f, BOB "/new"), ==, n);
  g_assert_cmpuint (count_files (f, ALICE "/tmp"), ==, 0);
  reopen (f);
  g_assert_cmpuint (ml_mailbox_get_count (inbox (f, ALICE)), ==, n);
  g_assert_cmpuint (ml_mailbox_get_uidnext (inbox (f, ALICE)), ==, n + 1);
}

/* A failed write reaches the callback as the synchronous form's error, and
 * leaves neither recipient a copy. */
static void
test_async_failure (Fixture *f, gconstpointer data)
{
  MlMailbox *boxes[2] = { inbox (f, ALICE), inbox (f, BOB) };
  g_autoptr(GBytes) msg = message ("refused");
  AsyncCount count = { 0 };

  ml_maildir_fail_next_writes (f->maildir, 2);
  count.pending = 1;
  ml_maildir_deliver_async (f->maildir, boxes, 2, msg, ML_FLAG_RECENT, 0,
                            on_async_delivered, &count);
  wait_for (&count);
  g_assert_error (count.error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&count.error);
  g_assert_cmpuint (count.ok, ==, 0);
  g_assert_cmpuint (ml_mailbox_get_count (boxes[0]), ==, 0);
  g_assert_cmpuint (count_files (f, ALICE "/new") + count_files (f, BOB "/new"), ==, 0);
  g_assert_cmpuint (count_files (f, ALICE "/tmp") + count_files (f, BOB "/tmp"), ==, 0);
}

/* The maildir closes while a delivery is being written: the callback still
 * runs, says CANCELLED, and the file (durable) is there at the next start. */
static void
test_async_closed_meanwhile (Fixture *f, gconstpointer data)
{
  MlMailbox *box = inbox (f, ALICE);
  g_autoptr(GBytes) msg = message ("orphan");
  AsyncCount count = { 0 };

  count.pending = 1;
  ml_maildir_deliver_async (f->maildir, &box, 1, msg, ML_FLAG_RECENT, 0,
                            on_async_delivered, &count);
  close_store (f);
  wait_for (&count);
  g_assert_error (count.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&count.error);
  open_store (f);
  g_assert_cmpuint (ml_mailbox_get_count (inbox (f, ALICE)), ==, 1);
}

/* IMAP APPEND goes through the store's append check: a failed write
 * refuses the append itself (RFC 3501 6.3.11), with an error that is not
 * the store's (so the engine says NO [SERVERBUG], RFC 5530). */
static void
test_append_write_fails (Fixture *f, gconstpointer data)
{
  MlMailbox *box = inbox (f, ALICE);
  g_autoptr(GBytes) msg = message ("appended");
  g_autoptr(GError) error = NULL;

  ml_maildir_fail_next_writes (f->maildir, 1);
  g_assert_cmpuint (ml_mailbox_append_full (box, msg, ML_FLAG_SEEN, NULL, 1700000000, &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpuint (ml_mailbox_get_count (box), ==, 0);
  g_assert_cmpuint (count_files (f, ALICE "/cur") + count_files (f, ALICE "/tmp"), ==, 0);
  g_assert_cmpuint (ml_maildir_get_n_errors (f->maildir), ==, 1);
  g_clear_error (&error);
  g_assert_cmpuint (ml_mailbox_append_full (box, msg, ML_FLAG_SEEN, NULL, 1700000000, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (f, ALICE "/cur"), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/live/maildir/names", test_names);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/live/maildir/deliver-reload", test_deliver_reload);
  ADD ("/live/maildir/flags-keywords", test_flags_and_keywords);
  ADD ("/live/maildir/expunge", test_expunge);
  ADD ("/live/maildir/failed-write", test_failed_write);
  ADD ("/live/maildir/quota", test_quota);
  ADD ("/live/maildir/folders", test_folders);
  ADD ("/live/maildir/foreign-file", test_foreign_file);
  ADD ("/live/maildir/lost-uidlist", test_lost_uidlist);
  ADD ("/live/maildir/async-many", test_async_many);
  ADD ("/live/maildir/async-failure", test_async_failure);
  ADD ("/live/maildir/async-closed-meanwhile", test_async_closed_meanwhile);
  ADD ("/live/maildir/append-write-fails", test_append_write_fails);
#undef ADD
  return g_test_run ();
}

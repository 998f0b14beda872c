/* test-lesson-mailboxes.c — an account's `mailboxes:`: what the loader
 * reads (dates in both notations, defaults, canonical spellings), what it
 * refuses, and the store and trace the world builds from it. */
#include <string.h>

#include "lesson/lesson.h"
#include "mail/mail-store.h"
#include "trace/trace.h"
#include "world/world.h"

#define EPOCH 1709715600  /* 2024-03-06T09:00:00Z */

/* One MDA for b.example; @accounts is the whole accounts: block. */
static char *
lesson_text (const char *accounts)
{
  return g_strdup_printf (
    "title: Mailboxes\n"
    "epoch: 2024-03-06T09:00:00Z\n"
    "hosts:\n"
    "  - { name: ns.example, roles: [DNS], ip: 10.2.0.53 }\n"
    "  - { name: mail.b.example, roles: [MTA, MDA], ip: 10.2.0.25, domains: [b.example] }\n"
    "  - { name: bob-laptop, roles: [MUA], ip: 10.2.0.50 }\n"
    "links:\n"
    "  - between: [ns.example, mail.b.example]\n"
    "  - between: [bob-laptop, mail.b.example]\n"
    "steps:\n"
    "  - { action: imap-sync, host: bob-laptop, server: mail.b.example, account: bob@b.example }\n"
    "accounts:\n%s", accounts);
}

static const char accounts[] =
  "  - address: bob@b.example\n"
  "    password: bob-secret\n"
  "    mailboxes:\n"
  "      - name: inbox\n"
  "        messages:\n"
  "          - from: carol@c.example\n"
  "            subject: Invoice\n"
  "            date: Sat, 02 Mar 2024 08:15:00 +0100\n"
  "            flags: [\\seen, \\Flagged, $Project]\n"
  "            body: \"Please pay.\\n\"\n"
  "          - from: alice@a.example\n"
  "            to: [bob@b.example, dave@b.example]\n"
  "          - from: dave@b.example\n"
  "            date: 2024-03-04T10:00:00+02:00\n"
  "      - name: Old\n"
  "        special_use: \\archive\n"
  "        subscribed: false\n"
  "        messages:\n"
  "          - from: carol@c.example\n"
  "            attachments:\n"
  "              - { name: a.txt, content: \"x\\n\" }\n"
  "      - name: Work/2024\n";

static MlLesson *
load (const char *accounts_block, GError **error)
{
  g_autofree char *text = lesson_text (accounts_block);

  return ml_lesson_load_data (text, strlen (text), "t.yaml", error);
}

static void
test_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load (accounts, &error);
  const MlLessonAccount *a;
  const MlLessonMailbox *inbox, *old, *work;
  const MlLessonMessage *m;

  g_assert_no_error (error);
  a = lesson->accounts->pdata[0];
  g_assert_nonnull (a->mailboxes);
  g_assert_cmpuint (a->mailboxes->len, ==, 3);
  inbox = a->mailboxes->pdata[0];
  old = a->mailboxes->pdata[1];
  work = a->mailboxes->pdata[2];

  /* RFC 3501 5.1: INBOX in any case is INBOX. */
  g_assert_cmpstr (inbox->name, ==, "INBOX");
  g_assert_null (inbox->special_use);
  g_assert_true (inbox->subscribed);
  g_assert_cmpuint (inbox->messages->len, ==, 3);

  m = inbox->messages->pdata[0];
  g_assert_cmpstr (m->from, ==, "carol@c.example");
  g_assert_null (m->to);
  g_assert_cmpstr (m->subject, ==, "Invoice");
  g_assert_true (m->has_date);
  g_assert_cmpint (m->date_unix, ==, 1709363700);  /* 2024-03-02T07:15:00Z */
  g_assert_cmpuint (g_strv_length (m->flags), ==, 3);
  g_assert_cmpstr (m->flags[0], ==, "\\Seen");
  g_assert_cmpstr (m->flags[2], ==, "$Project");
  g_assert_cmpstr (m->body, ==, "Please pay.\n");

  m = inbox->messages->pdata[1];
  g_assert_false (m->has_date);
  g_assert_cmpstr (m->subject, ==, "");
  g_assert_cmpuint (g_strv_length (m->to), ==, 2);
  g_assert_null (m->flags);

  m = inbox->messages->pdata[2];
  g_assert_cmpint (m->date_unix, ==, 1709539200);  /* 2024-03-04T08:00:00Z */

  g_assert_cmpstr (old->name, ==, "Old");
  g_assert_cmpstr (old->special_use, ==, "\\Archive");
  g_assert_false (old->subscribed);
  m = old->messages->pdata[0];
  g_assert_cmpuint (m->attachments->len, ==, 1);

  g_assert_cmpstr (work->name, ==, "Work/2024");
  g_assert_null (work->messages);
}

static const struct {
  const char *accounts, *message;
} bad[] = {
  { "  - address: bob@b.example\n    password: p\n    mailboxes:\n"
    "      - { name: INBOX, special_use: \\Archive }\n",
    "t.yaml:16:37: accounts[1].mailboxes[1]: INBOX has no special use" },
  { "  - address: bob@b.example\n    password: p\n    mailboxes:\n"
    "      - { name: A, special_use: \\Archive }\n"
    "      - { name: B, special_use: \\Archive }\n",
    "\\Archive is already the special use of A" },
  { "  - address: bob@b.example\n    password: p\n    mailboxes:\n"
    "      - { name: A, special_use: \\All }\n",
    "special use" },
  { "  - address: bob@b.example\n    password: p\n    mailboxes:\n"
    "      - { name: INBOX, messages: [{ from: a@a.example, date: 1969-12-31T23:59:59Z }] }\n",
    "is outside the years 1970 to 9999" },
  { "  - address: bob@b.example\n    password: p\n    mailboxes:\n"
    "      - { name: INBOX, messages: [{ from: a@a.example, date: \"31 Feb 2024 10:00 +0000\" }] }\n",
    "is not a date" },
  { "  - address: bob@b.example\n    password: p\n    mailboxes:\n"
    "      - { name: INBOX, messages: [{ from: a@a.example, date: \"1 Mar 2024 10:00 +0075\" }] }\n",
    "is not a date" },
  { "  - address: bob@b.example\n    password: p\n    mailboxes:\n"
    "      - { name: INBOX, messages: [{ from: a@a.example, colour: red }] }\n",
    "unknown key 'colour'" },
  { "  - address: bob@b.example\n    password: p\n    mailboxes:\n"
    "      - { name: \"\" }\n",
    "name" },
};

static void
test_errors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MlLesson) lesson = load (bad[i].accounts, &error);

      g_test_message ("%s", bad[i].accounts);
      g_assert_null (lesson);
      g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
      g_test_message ("-> %s", error->message);
      g_assert_nonnull (strstr (error->message, bad[i].message));
    }
}

static guint
count_store_events (MlTrace *trace, const char *what, const char *mailbox)
{
  guint n = 0;

  for (guint64 i = 0; i < ml_trace_get_length (trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (e->kind == ML_TRACE_STORE && g_strcmp0 (e->text, what) == 0 &&
          g_strcmp0 (e->mailbox, mailbox) == 0)
        n++;
    }
  return n;
}

static void
test_world (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = load (accounts, &error);
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlWorld) world = NULL;
  MlMailStore *store;
  MlAccount *account;
  MlMailbox *inbox, *old, *work;
  MlMessage *m;
  gsize len;
  const char *data;

  g_assert_no_error (error);
  world = ml_world_new (lesson, 1, trace, &error);
  g_assert_no_error (error);
  store = ml_world_get_store (world, "b.example");
  account = ml_mail_store_find_account (store, "bob@b.example");
  g_assert_nonnull (account);

  inbox = ml_account_get_inbox (account);
  g_assert_cmpuint (ml_mailbox_get_count (inbox), ==, 3);
  g_assert_cmpuint (ml_mailbox_get_recent_count (inbox), ==, 0);
  g_assert_cmpuint (ml_mailbox_get_unseen_count (inbox), ==, 2);

  m = ml_mailbox_get_message (inbox, 0);
  g_assert_cmpuint (ml_message_get_flags (m), ==, ML_FLAG_SEEN | ML_FLAG_FLAGGED);
  g_assert_true (ml_message_has_keyword (m, "$Project"));
  g_assert_cmpint (ml_message_get_internal_date (m), ==, 1709363700);
  data = g_bytes_get_data (ml_message_get_data (m), &len);
  /* The MDA's Return-Path (RFC 5321 4.4), then the composed message. */
  g_assert_true (g_str_has_prefix (data, "Return-Path: <carol@c.example>\r\n"));
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "\r\nDate: Sat, 02 Mar 2024 07:15:00 +0000\r\n"));
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "\r\nSubject: Invoice\r\n"));
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "\r\nTo: bob@b.example\r\n"));

  /* Undated: an hour apart, in file order, before the epoch. */
  m = ml_mailbox_get_message (inbox, 1);
  g_assert_cmpint (ml_message_get_internal_date (m), ==, EPOCH - 2 * 3600);
  data = g_bytes_get_data (ml_message_get_data (m), &len);
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "dave@b.example"));

  old = ml_account_find_mailbox (account, "Old");
  g_assert_nonnull (old);
  g_assert_cmpint (ml_mailbox_get_special_use (old), ==, ML_SPECIAL_USE_ARCHIVE);
  g_assert_false (ml_account_is_subscribed (account, "Old"));
  data = g_bytes_get_data (ml_message_get_data (ml_mailbox_get_message (old, 0)), &len);
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "multipart/mixed"));

  work = ml_account_find_mailbox (account, "Work/2024");
  g_assert_nonnull (work);
  g_assert_cmpuint (ml_mailbox_get_count (work), ==, 0);
  g_assert_true (ml_account_is_subscribed (account, "Work/2024"));

  /* The trace holds the initial state for a replay: one append per
   * message, one flags event per flagged one. */
  g_assert_cmpuint (count_store_events (trace, "append", "INBOX"), ==, 3);
  g_assert_cmpuint (count_store_events (trace, "flags", "INBOX"), ==, 1);
  g_assert_cmpuint (count_store_events (trace, "append", "Old"), ==, 1);
}

static void
test_deterministic (void)
{
  g_autoptr(MlLesson) lesson = load (accounts, NULL);
  g_autoptr(GBytes) first = NULL;

  for (int run = 0; run < 2; run++)
    {
      g_autoptr(MlTrace) trace = ml_trace_new ();
      g_autoptr(MlWorld) world = ml_world_new (lesson, 7, trace, NULL);
      MlAccount *account = ml_mail_store_find_account (ml_world_get_store (world, "b.example"),
                                                       "bob@b.example");
      GBytes *data = ml_message_get_data (ml_mailbox_get_message (ml_account_get_inbox (account), 1));

      if (first == NULL)
        first = g_bytes_ref (data);
      else
        g_assert_true (g_bytes_equal (first, data));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lesson/mailboxes/parse", test_parse);
  g_test_add_func ("/lesson/mailboxes/errors", test_errors);
  g_test_add_func ("/lesson/mailboxes/world", test_world);
  g_test_add_func ("/lesson/mailboxes/deterministic", test_deterministic);
  return g_test_run ();
}

/* The mailing list's rewrite (mailing-list.h), byte for byte: what
 * Mailman without DMARC mitigation does to a message. */
#include <string.h>
#include "world/mailing-list.h"

static MlMailingList *
new_list (const char *prefix, const char *footer)
{
  const char *members[] = { "bob@b.example", "carol@c.example", NULL };
  MlLessonList l = { 0 };

  l.address = (char *) "Team@lists.example";
  l.members = (GStrv) members;
  l.subject_prefix = (char *) prefix;
  l.footer = (char *) footer;
  return ml_mailing_list_new (&l);
}

static char *
rewrite (MlMailingList *list, const char *message)
{
  g_autoptr(GBytes) in = g_bytes_new (message, strlen (message));
  g_autoptr(GBytes) out = ml_mailing_list_rewrite (list, in);

  return g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
}

static void
test_rewrite (void)
{
  g_autoptr(MlMailingList) list = new_list ("[team]", "bye\nsee you\n");
  g_autofree char *out = rewrite (list,
                                  "Received: from x\r\n\tby y; date\r\n"
                                  "From: Alice <alice@a.example>\r\n"
                                  "Subject: Minutes\r\n"
                                  "\r\n"
                                  "Hi\r\n");

  g_assert_cmpstr (out, ==,
                   "Received: from x\r\n\tby y; date\r\n"
                   "From: Alice <alice@a.example>\r\n"
                   "Subject: [team] Minutes\r\n"
                   "List-Id: <Team.lists.example>\r\n"
                   "List-Post: <mailto:Team@lists.example>\r\n"
                   "\r\n"
                   "Hi\r\n"
                   "-- \r\nbye\r\nsee you\r\n");
}

/* A reply that already carries the prefix does not get it twice; no
 * footer leaves the body as it was; a body without a final CRLF gets
 * one before the footer. */
static void
test_prefix_once_and_footer_edges (void)
{
  g_autoptr(MlMailingList) plain = new_list ("[team]", NULL);
  g_autoptr(MlMailingList) footed = new_list (NULL, "x");
  g_autofree char *a = rewrite (plain, "Subject: [team] Re: Minutes\r\n\r\nok\r\n");
  g_autofree char *b = rewrite (footed, "Subject: s\r\n\r\nno newline");

  g_assert_cmpstr (a, ==, "Subject: [team] Re: Minutes\r\nList-Id: <Team.lists.example>\r\n"
                          "List-Post: <mailto:Team@lists.example>\r\n\r\nok\r\n");
  g_assert_cmpstr (b, ==, "Subject: s\r\nList-Id: <Team.lists.example>\r\n"
                          "List-Post: <mailto:Team@lists.example>\r\n\r\nno newline\r\n-- \r\nx\r\n");
}

static void
test_addresses (void)
{
  g_autoptr(MlMailingList) list = new_list (NULL, NULL);
  g_autofree char *bounce = ml_mailing_list_dup_bounce_address (list);

  g_assert_true (ml_mailing_list_matches (list, "team@LISTS.example"));
  g_assert_false (ml_mailing_list_matches (list, "team-bounces@lists.example"));
  g_assert_cmpstr (bounce, ==, "Team-bounces@lists.example");
  g_assert_cmpuint (g_strv_length ((GStrv) ml_mailing_list_get_members (list)), ==, 2);
}

/* A message without a header/body separator still comes out whole. */
static void
test_header_only (void)
{
  g_autoptr(MlMailingList) list = new_list ("[t]", "f");
  g_autofree char *out = rewrite (list, "Subject: s\r\n");

  g_assert_cmpstr (out, ==, "Subject: [t] s\r\nList-Id: <Team.lists.example>\r\n"
                            "List-Post: <mailto:Team@lists.example>\r\n\r\n-- \r\nf\r\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mailing-list/rewrite", test_rewrite);
  g_test_add_func ("/mailing-list/prefix-once-and-footer-edges", test_prefix_once_and_footer_edges);
  g_test_add_func ("/mailing-list/addresses", test_addresses);
  g_test_add_func ("/mailing-list/header-only", test_header_only);
  return g_test_run ();
}

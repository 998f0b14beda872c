/* test-attachments.c — a send step's attachments: the multipart/mixed
 * message ml_message_compose builds, read back with GMime as a mail
 * program would, and the same files arriving in Bob's mailbox when a
 * lesson sends them. */
#include <string.h>
#include <gmime/gmime.h>

#include "lesson/lesson.h"
#include "mail/message-compose.h"
#include "mail/mail-store.h"
#include "world/world.h"

static const char pdf[] = "%PDF-1.4\n% pretend\n";
static const char notes[] = "line 1\nline 2\n";

static GMimeMessage *
parse (GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  GMimeStream *stream = g_mime_stream_mem_new_with_buffer (data, len);
  GMimeParser *parser = g_mime_parser_new_with_stream (stream);
  GMimeMessage *message = g_mime_parser_construct_message (parser, NULL);

  /* GMime 3.2 has no autoptr cleanups. */
  g_object_unref (parser);
  g_object_unref (stream);
  g_assert_nonnull (message);
  return message;
}

static char *
part_text (GMimePart *part)
{
  GMimeDataWrapper *content = g_mime_part_get_content (part);
  GMimeStream *out = g_mime_stream_mem_new ();
  GByteArray *array;
  char *text;

  g_mime_data_wrapper_write_to_stream (content, out);
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (out));
  text = g_strndup ((const char *) array->data, array->len);
  g_object_unref (out);
  return text;
}

static GBytes *
compose (const char *message_id)
{
  static const char *const to[] = { "bob@b.example", NULL };
  const MlComposeAttachment files[] = {
    { "report.pdf", "application/pdf", pdf },
    { "notes.txt", NULL, notes },
    { "r\xc3\xa9sum\xc3\xa9.txt", "text/plain", "caf\xc3\xa9\n" },
  };
  MlComposeSpec spec = { 0 };

  spec.from = "alice@a.example";
  spec.to = to;
  spec.subject = "Report";
  spec.body = "Hi Bob,\n\nthe report is attached.\n";
  spec.date_unix = 1704067200;
  spec.message_id = message_id;
  spec.attachments = files;
  spec.n_attachments = G_N_ELEMENTS (files);
  return ml_message_compose (&spec);
}

static void
test_compose_multipart (void)
{
  g_autoptr(GBytes) bytes = compose ("1.ABCDEF@alice-laptop");
  g_autoptr(GBytes) again = compose ("1.ABCDEF@alice-laptop");
  GMimeMessage *message = parse (bytes);
  GMimeObject *top = g_mime_message_get_mime_part (message);
  GMimeMultipart *multi;
  GMimePart *part;
  g_autofree char *text = NULL;
  gsize len;
  const char *raw = g_bytes_get_data (bytes, &len);

  /* The same spec gives the same bytes: the boundary is not random. */
  g_assert_true (g_bytes_equal (bytes, again));
  /* Every line ends in CRLF and fits in SMTP (RFC 5321 4.5.3.1.6). */
  for (const char *p = raw, *line = raw; p < raw + len; p++)
    if (*p == '\n')
      {
        g_assert_cmpint (p[-1], ==, '\r');
        g_assert_cmpuint ((gsize) (p - line), <=, 1000);
        line = p + 1;
      }

  g_assert_true (GMIME_IS_MULTIPART (top));
  {
    /* get_mime_type() gives a new string. */
    g_autofree char *type = g_mime_content_type_get_mime_type (g_mime_object_get_content_type (top));
    g_assert_cmpstr (type, ==, "multipart/mixed");
  }
  multi = GMIME_MULTIPART (top);
  g_assert_cmpint (g_mime_multipart_get_count (multi), ==, 4);

  part = GMIME_PART (g_mime_multipart_get_part (multi, 0));
  g_assert_null (g_mime_part_get_filename (part));
  text = part_text (part);
  g_assert_cmpstr (text, ==, "Hi Bob,\r\n\r\nthe report is attached.\r\n");
  g_clear_pointer (&text, g_free);

  part = GMIME_PART (g_mime_multipart_get_part (multi, 1));
  g_assert_cmpstr (g_mime_part_get_filename (part), ==, "report.pdf");
  g_assert_true (g_mime_part_is_attachment (part));
  g_assert_cmpint (g_mime_part_get_content_encoding (part), ==, GMIME_CONTENT_ENCODING_BASE64);
  {
    g_autofree char *type = g_mime_content_type_get_mime_type (g_mime_object_get_content_type (GMIME_OBJECT (part)));
    g_assert_cmpstr (type, ==, "application/pdf");
  }
  text = part_text (part);
  g_assert_cmpstr (text, ==, pdf);
  g_clear_pointer (&text, g_free);

  part = GMIME_PART (g_mime_multipart_get_part (multi, 2));
  g_assert_cmpstr (g_mime_part_get_filename (part), ==, "notes.txt");
  g_assert_cmpint (g_mime_part_get_content_encoding (part), ==, GMIME_CONTENT_ENCODING_7BIT);
  text = part_text (part);
  g_assert_cmpstr (text, ==, "line 1\r\nline 2\r\n");
  g_clear_pointer (&text, g_free);

  /* RFC 2231: a non-ASCII file name survives, percent-encoded. */
  part = GMIME_PART (g_mime_multipart_get_part (multi, 3));
  g_assert_cmpstr (g_mime_part_get_filename (part), ==, "r\xc3\xa9sum\xc3\xa9.txt");
  g_assert_cmpint (g_mime_part_get_content_encoding (part), ==, GMIME_CONTENT_ENCODING_8BIT);
  g_assert_nonnull (strstr (raw, "filename*=utf-8''r%C3%A9sum%C3%A9.txt"));
  g_object_unref (message);
}

static void
test_compose_plain_unchanged (void)
{
  static const char *const to[] = { "bob@b.example", NULL };
  MlComposeSpec spec = { 0 };
  g_autoptr(GBytes) bytes = NULL;
  const char *raw;

  spec.from = "alice@a.example";
  spec.to = to;
  spec.subject = "Hi";
  spec.body = "Hello\n";
  spec.message_id = "2.X@alice-laptop";
  bytes = ml_message_compose (&spec);
  raw = g_bytes_get_data (bytes, NULL);
  g_assert_nonnull (strstr (raw, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
  g_assert_null (strstr (raw, "multipart"));
}

static void
test_lesson_sends_attachments (void)
{
  static const char text[] =
    "title: Attachments\n"
    "hosts:\n"
    "  - { name: alice-laptop, roles: [MUA], ip: 10.1.0.10, submission: mail.a.example }\n"
    "  - { name: mail.a.example, roles: [MSA, MTA, MDA], ip: 10.1.0.25, domains: [a.example] }\n"
    "  - { name: ns.example, roles: [DNS], ip: 10.1.0.53 }\n"
    "  - { name: rtr, roles: [router], ip: 10.1.0.1 }\n"
    "links:\n"
    "  - between: [alice-laptop, rtr]\n"
    "  - between: [mail.a.example, rtr]\n"
    "  - between: [ns.example, rtr]\n"
    "dns:\n"
    "  - { name: a.example, type: MX, preference: 10, value: mail.a.example }\n"
    "accounts:\n"
    "  - { address: alice@a.example, password: alice-secret }\n"
    "  - { address: bob@a.example, password: bob-secret }\n"
    "steps:\n"
    "  - action: send\n"
    "    host: alice-laptop\n"
    "    from: alice@a.example\n"
    "    to: bob@a.example\n"
    "    subject: Report\n"
    "    body: See attached.\n"
    "    tls: none\n"
    "    attachments:\n"
    "      - { name: report.pdf, type: application/pdf, content: \"%PDF-1.4 x\" }\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(MlLesson) lesson = ml_lesson_load_data (text, strlen (text), "a.yaml", &error);
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlWorld) world = NULL;
  GMimeMessage *message = NULL;
  MlMailStore *store;
  MlMailbox *inbox;
  GMimeObject *top;

  g_assert_no_error (error);
  world = ml_world_new (lesson, 1, trace, &error);
  g_assert_no_error (error);
  ml_world_run (world);
  store = ml_world_get_store (world, "a.example");
  g_assert_nonnull (store);
  inbox = ml_account_get_inbox (ml_mail_store_find_account (store, "bob@a.example"));
  g_assert_cmpuint (ml_mailbox_get_count (inbox), ==, 1);
  message = parse (ml_message_get_data (ml_mailbox_get_message (inbox, 0)));
  top = g_mime_message_get_mime_part (message);
  g_assert_true (GMIME_IS_MULTIPART (top));
  g_assert_cmpint (g_mime_multipart_get_count (GMIME_MULTIPART (top)), ==, 2);
  g_assert_cmpstr (g_mime_part_get_filename (GMIME_PART (g_mime_multipart_get_part (GMIME_MULTIPART (top), 1))),
                   ==, "report.pdf");
  g_object_unref (message);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_mime_init ();
  g_test_add_func ("/lesson/attachments/compose", test_compose_multipart);
  g_test_add_func ("/lesson/attachments/plain-unchanged", test_compose_plain_unchanged);
  g_test_add_func ("/lesson/attachments/delivered", test_lesson_sends_attachments);
  return g_test_run ();
}

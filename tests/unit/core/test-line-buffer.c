#include <string.h>
#include "proto/line-buffer.h"

static void
push_str (MlLineBuffer *lb, const char *s)
{
  ml_line_buffer_push (lb, (const guint8 *) s, strlen (s));
}

static void
test_crlf_and_flags (void)
{
  g_autoptr(MlLineBuffer) lb = ml_line_buffer_new (64);
  const char *line;
  gsize len;
  MlLineFlags flags;

  push_str (lb, "EHLO a\r\nNOOP\nbare\rcr\r\npart");
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, &flags), ==, ML_LINE_OK);
  g_assert_cmpstr (line, ==, "EHLO a");
  g_assert_cmpuint (len, ==, 6);
  g_assert_cmpint (flags, ==, ML_LINE_END_CRLF);
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, &flags), ==, ML_LINE_OK);
  g_assert_cmpstr (line, ==, "NOOP");
  g_assert_cmpint (flags, ==, ML_LINE_END_BARE_LF);
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, &flags), ==, ML_LINE_OK);
  g_assert_cmpstr (line, ==, "bare\rcr");
  g_assert_cmpint (flags, ==, ML_LINE_HAS_BARE_CR);
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, &flags), ==, ML_LINE_NEED_MORE);
  push_str (lb, "\r\n");
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, &flags), ==, ML_LINE_OK);
  g_assert_cmpstr (line, ==, "part");
}

static void
test_byte_at_a_time (void)
{
  g_autoptr(MlLineBuffer) lb = ml_line_buffer_new (64);
  const char *input = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n";
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  const char *line;
  gsize len;

  for (const char *p = input; *p; p++)
    {
      ml_line_buffer_push (lb, (const guint8 *) p, 1);
      while (ml_line_buffer_next (lb, &line, &len, NULL) == ML_LINE_OK)
        g_ptr_array_add (got, g_strdup (line));
    }
  g_assert_cmpuint (got->len, ==, 2);
  g_assert_cmpstr (got->pdata[0], ==, "MAIL FROM:<a@b>");
  g_assert_cmpstr (got->pdata[1], ==, "RCPT TO:<c@d>");
  g_ptr_array_unref (got);
}

static void
test_too_long (void)
{
  /* The limit counts CRLF: 8 allows 6 characters. */
  g_autoptr(MlLineBuffer) lb = ml_line_buffer_new (8);
  const char *line;
  gsize len;

  push_str (lb, "123456\r\n1234567\r\nok\r\n");
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, NULL), ==, ML_LINE_OK);
  g_assert_cmpstr (line, ==, "123456");
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, NULL), ==, ML_LINE_TOO_LONG);
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, NULL), ==, ML_LINE_OK);
  g_assert_cmpstr (line, ==, "ok");

  /* An endless line without LF is reported once and never buffered. */
  for (int i = 0; i < 100; i++)
    push_str (lb, "xxxxxxxxxx");
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, NULL), ==, ML_LINE_TOO_LONG);
  g_assert_cmpuint (ml_line_buffer_available (lb), ==, 0);
  push_str (lb, "xxx\r\nnext\r\n");
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, NULL), ==, ML_LINE_OK);
  g_assert_cmpstr (line, ==, "next");
}

static void
test_take_raw (void)
{
  g_autoptr(MlLineBuffer) lb = ml_line_buffer_new (64);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  const char *line;
  gsize len;

  push_str (lb, "{5}\r\nab\ncd)\r\n");
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, NULL), ==, ML_LINE_OK);
  g_assert_cmpuint (ml_line_buffer_take (lb, 5, out), ==, 5);
  g_assert_cmpmem (out->data, out->len, "ab\ncd", 5);
  g_assert_cmpint (ml_line_buffer_next (lb, &line, &len, NULL), ==, ML_LINE_OK);
  g_assert_cmpstr (line, ==, ")");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/line-buffer/crlf-and-flags", test_crlf_and_flags);
  g_test_add_func ("/line-buffer/byte-at-a-time", test_byte_at_a_time);
  g_test_add_func ("/line-buffer/too-long", test_too_long);
  g_test_add_func ("/line-buffer/take-raw", test_take_raw);
  return g_test_run ();
}

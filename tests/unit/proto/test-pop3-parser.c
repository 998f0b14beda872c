/* Unit tests for the POP3 parser: commands, responses, stuffing, APOP. */
#include <string.h>
#include "proto/pop3-parser.h"

/* ---- commands ---- */

static void
test_command_parse (void)
{
  g_auto(MlPop3Command) cmd = { 0 };
  const char *line = "retr 12";

  g_assert_cmpint (ml_pop3_command_parse (line, strlen (line), &cmd), ==, ML_POP3_COMMAND_OK);
  g_assert_cmpstr (cmd.keyword, ==, "RETR");
  g_assert_cmpstr (cmd.rest, ==, "12");
  g_assert_cmpuint (g_strv_length (cmd.args), ==, 1);
  g_assert_cmpstr (cmd.args[0], ==, "12");
}

static void
test_command_no_args (void)
{
  g_auto(MlPop3Command) cmd = { 0 };

  g_assert_cmpint (ml_pop3_command_parse ("STAT", 4, &cmd), ==, ML_POP3_COMMAND_OK);
  g_assert_cmpstr (cmd.keyword, ==, "STAT");
  g_assert_cmpstr (cmd.rest, ==, "");
  g_assert_cmpuint (g_strv_length (cmd.args), ==, 0);
}

/* PASS keeps its spaces in rest (RFC 1939 7); args still splits. */
static void
test_command_rest_keeps_spaces (void)
{
  g_auto(MlPop3Command) cmd = { 0 };
  const char *line = "PASS my  secret ";

  g_assert_cmpint (ml_pop3_command_parse (line, strlen (line), &cmd), ==, ML_POP3_COMMAND_OK);
  g_assert_cmpstr (cmd.rest, ==, "my  secret ");
  g_assert_cmpuint (g_strv_length (cmd.args), ==, 2);
  g_assert_cmpstr (cmd.args[0], ==, "my");
  g_assert_cmpstr (cmd.args[1], ==, "secret");
}

static void
test_command_empty (void)
{
  MlPop3Command cmd;

  g_assert_cmpint (ml_pop3_command_parse ("", 0, &cmd), ==, ML_POP3_COMMAND_EMPTY);
  g_assert_null (cmd.keyword);
  g_assert_cmpint (ml_pop3_command_parse ("   ", 3, &cmd), ==, ML_POP3_COMMAND_EMPTY);
  g_assert_null (cmd.keyword);
}

static void
test_command_bad_character (void)
{
  MlPop3Command cmd;

  g_assert_cmpint (ml_pop3_command_parse ("US\0R x", 6, &cmd), ==, ML_POP3_COMMAND_BAD_CHARACTER);
  g_assert_null (cmd.keyword);
  g_assert_cmpint (ml_pop3_command_parse ("USER a\rb", 8, &cmd), ==, ML_POP3_COMMAND_BAD_CHARACTER);
  g_assert_cmpint (ml_pop3_command_parse ("USER\ta", 6, &cmd), ==, ML_POP3_COMMAND_BAD_CHARACTER);
}

static void
test_command_is_multiline (void)
{
  g_assert_true (ml_pop3_command_is_multiline ("CAPA", 0));
  g_assert_true (ml_pop3_command_is_multiline ("retr", 1));
  g_assert_true (ml_pop3_command_is_multiline ("TOP", 2));
  g_assert_true (ml_pop3_command_is_multiline ("LIST", 0));
  g_assert_false (ml_pop3_command_is_multiline ("LIST", 1));
  g_assert_true (ml_pop3_command_is_multiline ("UIDL", 0));
  g_assert_false (ml_pop3_command_is_multiline ("UIDL", 1));
  g_assert_false (ml_pop3_command_is_multiline ("STAT", 0));
  g_assert_false (ml_pop3_command_is_multiline ("DELE", 1));
}

static void
test_parse_number (void)
{
  guint n = 99;

  g_assert_true (ml_pop3_parse_number ("0", &n));
  g_assert_cmpuint (n, ==, 0);
  g_assert_true (ml_pop3_parse_number ("4294967295", &n));
  g_assert_cmpuint (n, ==, G_MAXUINT);
  g_assert_false (ml_pop3_parse_number ("4294967296", &n));
  g_assert_false (ml_pop3_parse_number ("", &n));
  g_assert_false (ml_pop3_parse_number ("+1", &n));
  g_assert_false (ml_pop3_parse_number ("-1", &n));
  g_assert_false (ml_pop3_parse_number ("1a", &n));
  g_assert_false (ml_pop3_parse_number (" 1", &n));
  g_assert_false (ml_pop3_parse_number ("00000000001", &n));
  g_assert_false (ml_pop3_parse_number (NULL, &n));
}

/* ---- responses ---- */

typedef struct {
  MlPop3ResponseParser *parser;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->parser = ml_pop3_response_parser_new ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  ml_pop3_response_parser_free (f->parser);
}

static void
push (Fixture *f, const char *text)
{
  ml_pop3_response_parser_push (f->parser, (const guint8 *) text, strlen (text));
}

static MlPop3Response *
next_done (Fixture *f, gboolean multiline)
{
  MlPop3Response *r = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (ml_pop3_response_parser_next (f->parser, multiline, &r, &error), ==,
                   ML_POP3_PARSE_DONE);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

static char *
body_string (const MlPop3Response *r)
{
  return g_strndup (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body));
}

static void
test_response_single (Fixture *f, gconstpointer data)
{
  g_autoptr(MlPop3Response) ok = NULL;
  g_autoptr(MlPop3Response) err = NULL;
  g_autoptr(MlPop3Response) bare = NULL;

  push (f, "+OK 2 320\r\n-ERR [IN-USE] Do you have another POP session running?\r\n+OK\r\n");
  ok = next_done (f, FALSE);
  g_assert_true (ok->ok);
  g_assert_cmpstr (ok->text, ==, "2 320");
  g_assert_null (ok->resp_code);
  g_assert_cmpstr (ok->raw, ==, "+OK 2 320");
  g_assert_false (ok->multiline);
  g_assert_null (ok->body);

  /* A "-ERR" is one line even where "+OK" would start a body. */
  err = next_done (f, TRUE);
  g_assert_false (err->ok);
  g_assert_cmpstr (err->resp_code, ==, "IN-USE");
  g_assert_cmpstr (err->text, ==, "[IN-USE] Do you have another POP session running?");

  bare = next_done (f, FALSE);
  g_assert_true (bare->ok);
  g_assert_cmpstr (bare->text, ==, "");
}

static void
test_response_multiline_unstuffs (Fixture *f, gconstpointer data)
{
  g_autoptr(MlPop3Response) r = NULL;
  g_autofree char *body = NULL;

  push (f, "+OK 30 octets\r\nSubject: x\r\n\r\n..hidden\r\n...\r\n.\r\n");
  r = next_done (f, TRUE);
  g_assert_true (r->multiline);
  body = body_string (r);
  g_assert_cmpstr (body, ==, "Subject: x\r\n\r\n.hidden\r\n..\r\n");
  g_assert_cmpstr (r->raw, ==, "+OK 30 octets\nSubject: x\n\n..hidden\n...\n.");
}

static void
test_response_multiline_empty (Fixture *f, gconstpointer data)
{
  g_autoptr(MlPop3Response) r = NULL;
  g_auto(GStrv) lines = NULL;

  push (f, "+OK 0 messages\r\n.\r\n");
  r = next_done (f, TRUE);
  g_assert_cmpuint (g_bytes_get_size (r->body), ==, 0);
  lines = ml_pop3_response_dup_lines (r);
  g_assert_cmpuint (g_strv_length (lines), ==, 0);
}

static void
test_response_lines (Fixture *f, gconstpointer data)
{
  g_autoptr(MlPop3Response) r = NULL;
  g_auto(GStrv) lines = NULL;

  push (f, "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n");
  r = next_done (f, TRUE);
  lines = ml_pop3_response_dup_lines (r);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_cmpstr (lines[0], ==, "1 whqtswO00WBw418f9t5JxYwZ");
  g_assert_cmpstr (lines[1], ==, "2 QhdPYR:00WBw1Ph7x7");
}

/* The same bytes one at a time give the same response. */
static void
test_response_byte_at_a_time (Fixture *f, gconstpointer data)
{
  const char *wire = "+OK\r\nline\r\n..dot\r\n.\r\n";
  MlPop3Response *r = NULL;
  g_autoptr(MlPop3Response) owned = NULL;
  g_autofree char *body = NULL;
  gsize n = strlen (wire);

  for (gsize i = 0; i < n; i++)
    {
      MlPop3ParseStatus status;

      ml_pop3_response_parser_push (f->parser, (const guint8 *) wire + i, 1);
      status = ml_pop3_response_parser_next (f->parser, TRUE, &r, NULL);
      if (i + 1 < n)
        g_assert_cmpint (status, ==, ML_POP3_PARSE_NEED_MORE);
      else
        g_assert_cmpint (status, ==, ML_POP3_PARSE_DONE);
    }
  owned = r;
  body = body_string (owned);
  g_assert_cmpstr (body, ==, "line\r\n.dot\r\n");
}

static void
test_response_bad_status (Fixture *f, gconstpointer data)
{
  MlPop3Response *r = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MlPop3Response) after = NULL;

  push (f, "OK fine\r\n+OKAY\r\n+OK next\r\n");
  g_assert_cmpint (ml_pop3_response_parser_next (f->parser, FALSE, &r, &error), ==,
                   ML_POP3_PARSE_ERROR);
  g_assert_error (error, ML_POP3_RESPONSE_ERROR, ML_POP3_RESPONSE_ERROR_BAD_STATUS);
  g_assert_null (r);
  g_clear_error (&error);
  /* "+OKAY" is no status either. The parser goes on with the next line. */
  g_assert_cmpint (ml_pop3_response_parser_next (f->parser, FALSE, &r, &error), ==,
                   ML_POP3_PARSE_ERROR);
  g_assert_error (error, ML_POP3_RESPONSE_ERROR, ML_POP3_RESPONSE_ERROR_BAD_STATUS);
  after = next_done (f, FALSE);
  g_assert_cmpstr (after->text, ==, "next");
}

static void
test_response_too_long (Fixture *f, gconstpointer data)
{
  g_autofree char *long_line = g_strnfill (ML_POP3_MAX_RESPONSE_LINE, 'x');
  MlPop3Response *r = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MlPop3Response) after = NULL;

  push (f, "+OK ");
  push (f, long_line);
  push (f, "\r\n+OK short\r\n");
  g_assert_cmpint (ml_pop3_response_parser_next (f->parser, FALSE, &r, &error), ==,
                   ML_POP3_PARSE_ERROR);
  g_assert_error (error, ML_POP3_RESPONSE_ERROR, ML_POP3_RESPONSE_ERROR_LINE_TOO_LONG);
  after = next_done (f, FALSE);
  g_assert_cmpstr (after->text, ==, "short");
}

/* 510 octets and CRLF is the most a status line may be (RFC 2449 4). */
static void
test_response_longest_line (Fixture *f, gconstpointer data)
{
  g_autofree char *text = g_strnfill (ML_POP3_MAX_RESPONSE_LINE - 2 - 4, 'y');
  g_autoptr(MlPop3Response) r = NULL;

  push (f, "+OK ");
  push (f, text);
  push (f, "\r\n");
  r = next_done (f, FALSE);
  g_assert_cmpuint (strlen (r->text), ==, ML_POP3_MAX_RESPONSE_LINE - 6);
}

/* A bad body line is reported at the final ".", and the next response is
 * read normally: the reader stays in step. */
static void
test_response_body_line_too_long (Fixture *f, gconstpointer data)
{
  g_autofree char *long_line = g_strnfill (ML_POP3_MAX_BODY_LINE + 10, 'z');
  MlPop3Response *r = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MlPop3Response) after = NULL;

  push (f, "+OK\r\nfirst\r\n");
  push (f, long_line);
  push (f, "\r\nlast\r\n");
  g_assert_cmpint (ml_pop3_response_parser_next (f->parser, TRUE, &r, &error), ==,
                   ML_POP3_PARSE_NEED_MORE);
  g_assert_no_error (error);
  push (f, ".\r\n+OK after\r\n");
  g_assert_cmpint (ml_pop3_response_parser_next (f->parser, TRUE, &r, &error), ==,
                   ML_POP3_PARSE_ERROR);
  g_assert_error (error, ML_POP3_RESPONSE_ERROR, ML_POP3_RESPONSE_ERROR_LINE_TOO_LONG);
  after = next_done (f, FALSE);
  g_assert_cmpstr (after->text, ==, "after");
}

static void
test_response_nul (Fixture *f, gconstpointer data)
{
  MlPop3Response *r = NULL;
  g_autoptr(GError) error = NULL;

  ml_pop3_response_parser_push (f->parser, (const guint8 *) "+OK a\0b\r\n", 9);
  g_assert_cmpint (ml_pop3_response_parser_next (f->parser, FALSE, &r, &error), ==,
                   ML_POP3_PARSE_ERROR);
  g_assert_error (error, ML_POP3_RESPONSE_ERROR, ML_POP3_RESPONSE_ERROR_BAD_CHARACTER);
}

static void
test_resp_code (void)
{
  g_autofree char *a = ml_pop3_dup_resp_code ("[SYS/TEMP] try later");
  g_autofree char *b = ml_pop3_dup_resp_code ("no code");
  g_autofree char *c = ml_pop3_dup_resp_code ("[] empty");
  g_autofree char *d = ml_pop3_dup_resp_code ("[A B] space");
  g_autofree char *e = ml_pop3_dup_resp_code ("[AUTH/] trailing slash");
  g_autofree char *g = ml_pop3_dup_resp_code ("[unclosed");

  g_assert_cmpstr (a, ==, "SYS/TEMP");
  g_assert_null (b);
  g_assert_null (c);
  g_assert_null (d);
  g_assert_null (e);
  g_assert_null (g);
}

/* ---- stuffing ---- */

static char *
stuffed (const char *message, gint64 max_body_lines, guint64 *size_out)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint64 size = ml_pop3_append_stuffed (out, (const guint8 *) message, strlen (message),
                                         max_body_lines);

  if (size_out != NULL)
    *size_out = size;
  return out->len ? g_strndup ((const char *) out->data, out->len) : g_strdup ("");
}

static void
test_stuffing (void)
{
  guint64 size_a = 0, size_c = 0, size_d = 1;
  g_autofree char *a = stuffed ("A: b\r\n\r\n.x\r\n.\r\ny\r\n", -1, &size_a);
  g_autofree char *b = stuffed ("bare\nlf\n", -1, NULL);
  g_autofree char *c = stuffed ("no final newline", -1, &size_c);
  g_autofree char *d = stuffed ("", -1, &size_d);

  g_assert_cmpstr (a, ==, "A: b\r\n\r\n..x\r\n..\r\ny\r\n");
  g_assert_cmpuint (size_a, ==, 18);
  g_assert_cmpstr (b, ==, "bare\r\nlf\r\n");
  g_assert_cmpstr (c, ==, "no final newline\r\n");
  g_assert_cmpuint (size_c, ==, 18);
  g_assert_cmpstr (d, ==, "");
  g_assert_cmpuint (size_d, ==, 0);
  /* The exact size counts un-stuffed octets with CRLF (RFC 1939 11). */
  g_assert_cmpuint (ml_pop3_measure ((const guint8 *) "A: b\r\n\r\n.x\r\n", 12), ==, 12);
  g_assert_cmpuint (ml_pop3_measure ((const guint8 *) "a\nb", 3), ==, 6);
}

/* TOP n (RFC 1939 7): header, blank line, n body lines. */
static void
test_stuffing_top (void)
{
  const char *message = "A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3\r\n";
  g_autofree char *zero = stuffed (message, 0, NULL);
  g_autofree char *two = stuffed (message, 2, NULL);
  g_autofree char *many = stuffed (message, 100, NULL);
  g_autofree char *headers_only = stuffed ("A: 1\r\nB: 2\r\n", 0, NULL);

  g_assert_cmpstr (zero, ==, "A: 1\r\nB: 2\r\n\r\n");
  g_assert_cmpstr (two, ==, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n");
  g_assert_cmpstr (many, ==, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n");
  g_assert_cmpstr (headers_only, ==, "A: 1\r\nB: 2\r\n");
}

/* What the server stuffs, the parser un-stuffs to the same bytes. */
static void
test_stuffing_round_trip (Fixture *f, gconstpointer data)
{
  const char *message = ".\r\n..\r\n.a\r\nb.\r\n\r\n. \r\n";
  g_autoptr(GByteArray) wire = g_byte_array_new ();
  g_autoptr(MlPop3Response) r = NULL;
  g_autofree char *body = NULL;
  guint64 size;

  g_byte_array_append (wire, (const guint8 *) "+OK\r\n", 5);
  size = ml_pop3_append_stuffed (wire, (const guint8 *) message, strlen (message), -1);
  g_byte_array_append (wire, (const guint8 *) ".\r\n", 3);
  ml_pop3_response_parser_push (f->parser, wire->data, wire->len);
  r = next_done (f, TRUE);
  body = body_string (r);
  g_assert_cmpstr (body, ==, message);
  g_assert_cmpuint (size, ==, strlen (message));
}

/* ---- APOP ---- */

static void
test_apop_digest (void)
{
  /* RFC 1939 7's own example. */
  g_autofree char *digest = ml_pop3_apop_digest ("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf");

  g_assert_cmpstr (digest, ==, "c4c9334bac560ecc979e58001b3e22fb");
}

static void
test_timestamp (void)
{
  g_autofree char *a = ml_pop3_dup_timestamp ("POP3 server ready <1896.697170952@dbc.mtview.ca.us>");
  g_autofree char *b = ml_pop3_dup_timestamp ("ready <no-at-sign> <1.2@host> trailing");
  g_autofree char *c = ml_pop3_dup_timestamp ("no timestamp here");
  g_autofree char *d = ml_pop3_dup_timestamp ("<un closed@x");
  g_autofree char *e = ml_pop3_dup_timestamp ("<a b@c>");

  g_assert_cmpstr (a, ==, "<1896.697170952@dbc.mtview.ca.us>");
  g_assert_cmpstr (b, ==, "<1.2@host>");
  g_assert_null (c);
  g_assert_null (d);
  g_assert_null (e);
}

/* RFC 5034 4: "+" SP base64 during AUTH; never taken for a multi-line
 * "+OK", even when the command would have one. */
static void
test_response_challenge (Fixture *f, gconstpointer data)
{
  g_autoptr(MlPop3Response) empty = NULL;
  g_autoptr(MlPop3Response) full = NULL;
  g_autoptr(MlPop3Response) bare = NULL;
  g_autoptr(MlPop3Response) ok = NULL;

  push (f, "+ \r\n+ VXNlcm5hbWU6\r\n+\r\n+OK\r\n");
  empty = next_done (f, TRUE);
  g_assert_true (empty->challenge);
  g_assert_false (empty->ok);
  g_assert_false (empty->multiline);
  g_assert_cmpstr (empty->text, ==, "");
  g_assert_cmpstr (empty->raw, ==, "+ ");
  g_assert_null (empty->resp_code);
  full = next_done (f, FALSE);
  g_assert_true (full->challenge);
  g_assert_cmpstr (full->text, ==, "VXNlcm5hbWU6");
  bare = next_done (f, FALSE);
  g_assert_true (bare->challenge);
  g_assert_cmpstr (bare->text, ==, "");
  ok = next_done (f, FALSE);
  g_assert_false (ok->challenge);
  g_assert_true (ok->ok);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pop3-parser/command/parse", test_command_parse);
  g_test_add_func ("/pop3-parser/command/no-args", test_command_no_args);
  g_test_add_func ("/pop3-parser/command/rest-keeps-spaces", test_command_rest_keeps_spaces);
  g_test_add_func ("/pop3-parser/command/empty", test_command_empty);
  g_test_add_func ("/pop3-parser/command/bad-character", test_command_bad_character);
  g_test_add_func ("/pop3-parser/command/is-multiline", test_command_is_multiline);
  g_test_add_func ("/pop3-parser/number", test_parse_number);
#define ADD(path, func) \
  g_test_add ((path), Fixture, NULL, fixture_setup, (func), fixture_teardown)
  ADD ("/pop3-parser/response/single", test_response_single);
  ADD ("/pop3-parser/response/challenge", test_response_challenge);
  ADD ("/pop3-parser/response/multiline-unstuffs", test_response_multiline_unstuffs);
  ADD ("/pop3-parser/response/multiline-empty", test_response_multiline_empty);
  ADD ("/pop3-parser/response/lines", test_response_lines);
  ADD ("/pop3-parser/response/byte-at-a-time", test_response_byte_at_a_time);
  ADD ("/pop3-parser/response/bad-status", test_response_bad_status);
  ADD ("/pop3-parser/response/too-long", test_response_too_long);
  ADD ("/pop3-parser/response/longest-line", test_response_longest_line);
  ADD ("/pop3-parser/response/body-line-too-long", test_response_body_line_too_long);
  ADD ("/pop3-parser/response/nul", test_response_nul);
  ADD ("/pop3-parser/stuffing/round-trip", test_stuffing_round_trip);
#undef ADD
  g_test_add_func ("/pop3-parser/resp-code", test_resp_code);
  g_test_add_func ("/pop3-parser/stuffing/lines", test_stuffing);
  g_test_add_func ("/pop3-parser/stuffing/top", test_stuffing_top);
  g_test_add_func ("/pop3-parser/apop/digest", test_apop_digest);
  g_test_add_func ("/pop3-parser/apop/timestamp", test_timestamp);
  return g_test_run ();
}

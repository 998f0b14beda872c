/* Sections are checked byte for byte against substrings written out by
 * hand from the messages below (RFC 3501 6.4.5); structure and envelope
 * against RFC 3501 7.4.2. */
#include <string.h>
#include "mail/message-mime.h"

typedef struct {
  MlMailStore *store;
  MlMailbox   *inbox;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->store = ml_mail_store_new ();
  f->inbox = ml_account_get_inbox (ml_mail_store_add_account (f->store, "bob@b.example", "pw"));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ml_mail_store_free (f->store);
}

static MlMessage *
add (Fixture *f, const char *text, gssize len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, len < 0 ? strlen (text) : (gsize) len);
  guint32 uid = ml_mailbox_append (f->inbox, bytes, 0, 0);

  g_assert_cmpuint (uid, !=, 0);
  return ml_mailbox_find_uid (f->inbox, uid);
}

/* Section as a string (sections of these messages hold no NUL). */
static char *
section (MlMessage *m, const char *path, MlSectionText text, const char *const *fields)
{
  guint part[ML_MIME_MAX_DEPTH];
  guint n = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  const char *data;

  if (path != NULL && *path != '\0')
    {
      g_auto(GStrv) nums = g_strsplit (path, ".", -1);
      for (; nums[n] != NULL; n++)
        part[n] = (guint) g_ascii_strtoull (nums[n], NULL, 10);
    }
  bytes = ml_message_get_section (m, part, n, text, fields, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  return g_strndup (data ? data : "", len);
}

#define assert_section(m, path, text, fields, expected) \
  G_STMT_START { \
    g_autofree char *_got = section ((m), (path), (text), (fields)); \
    g_assert_cmpstr (_got, ==, (expected)); \
  } G_STMT_END

static const char *
param (GPtrArray *params, const char *name)
{
  for (guint i = 0; i < params->len; i++)
    {
      MlMimeParam *p = params->pdata[i];
      if (g_ascii_strcasecmp (p->name, name) == 0)
        return p->value;
    }
  return NULL;
}

static MlMimePart *
child (MlMimePart *part, guint n)
{
  g_assert_nonnull (part->children);
  g_assert_cmpuint (n, >=, 1);
  g_assert_cmpuint (n, <=, part->children->len);
  return part->children->pdata[n - 1];
}

static void
assert_address (GPtrArray *list, guint i, const char *name, const char *adl,
                const char *mailbox, const char *host)
{
  MlAddress *a;

  g_assert_nonnull (list);
  g_assert_cmpuint (i, <, list->len);
  a = list->pdata[i];
  g_assert_cmpstr (a->name, ==, name);
  g_assert_cmpstr (a->adl, ==, adl);
  g_assert_cmpstr (a->mailbox, ==, mailbox);
  g_assert_cmpstr (a->host, ==, host);
}

/* ---- a plain text message ---- */

#define PLAIN_HEADER \
  "From: \"Alice Example\" <alice@a.example>\r\n" \
  "To: bob@b.example\r\n" \
  "Subject: Hello\r\n" \
  " world\r\n" \
  "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n" \
  "Message-ID: <1@a.example>\r\n" \
  "\r\n"
#define PLAIN_BODY "Hi Bob,\r\nbye\r\n"

static void
test_plain_sections (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f, PLAIN_HEADER PLAIN_BODY, -1);
  const char *fields[] = { "SUBJECT", "from", NULL };
  const char *not_fields[] = { "Subject", "From", "X-Absent", NULL };

  assert_section (m, "", ML_SECTION_TEXT_NONE, NULL, PLAIN_HEADER PLAIN_BODY);
  assert_section (m, "", ML_SECTION_TEXT_HEADER, NULL, PLAIN_HEADER);
  assert_section (m, "", ML_SECTION_TEXT_TEXT, NULL, PLAIN_BODY);
  /* "part 1 of a non-multipart message is its body". */
  assert_section (m, "1", ML_SECTION_TEXT_NONE, NULL, PLAIN_BODY);
  assert_section (m, "2", ML_SECTION_TEXT_NONE, NULL, "");
  assert_section (m, "1.1", ML_SECTION_TEXT_NONE, NULL, "");
  /* Message order, case-insensitive names, folding kept, blank line last. */
  assert_section (m, "", ML_SECTION_TEXT_HEADER_FIELDS, fields,
                  "From: \"Alice Example\" <alice@a.example>\r\n"
                  "Subject: Hello\r\n world\r\n\r\n");
  assert_section (m, "", ML_SECTION_TEXT_HEADER_FIELDS_NOT, not_fields,
                  "To: bob@b.example\r\n"
                  "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
                  "Message-ID: <1@a.example>\r\n\r\n");
  /* HEADER and TEXT need a message/rfc822 when a part is named. */
  assert_section (m, "1", ML_SECTION_TEXT_HEADER, NULL, "");
  assert_section (m, "1", ML_SECTION_TEXT_TEXT, NULL, "");
}

static void
test_plain_structure_envelope (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f, PLAIN_HEADER PLAIN_BODY, -1);
  MlMimePart *s = ml_message_get_structure (m);
  MlEnvelope *e = ml_message_get_envelope (m);

  g_assert_cmpstr (s->type, ==, "text");
  g_assert_cmpstr (s->subtype, ==, "plain");
  g_assert_cmpuint (s->params->len, ==, 1);
  g_assert_cmpstr (param (s->params, "charset"), ==, "us-ascii");
  g_assert_cmpstr (s->encoding, ==, "7bit");
  g_assert_null (s->id);
  g_assert_null (s->disposition);
  g_assert_null (s->children);
  g_assert_null (s->message);
  g_assert_cmpuint (s->size, ==, strlen (PLAIN_BODY));
  g_assert_cmpuint (s->lines, ==, 2);
  g_assert_cmpuint (s->body_start, ==, strlen (PLAIN_HEADER));

  g_assert_cmpstr (e->subject, ==, "Hello world");
  g_assert_cmpstr (e->date, ==, "Mon, 1 Jan 2024 10:00:00 +0000");
  g_assert_cmpstr (e->message_id, ==, "<1@a.example>");
  g_assert_null (e->in_reply_to);
  assert_address (e->from, 0, "Alice Example", NULL, "alice", "a.example");
  g_assert_cmpuint (e->from->len, ==, 1);
  /* RFC 3501 7.4.2: absent Sender and Reply-To take From's value. */
  assert_address (e->sender, 0, "Alice Example", NULL, "alice", "a.example");
  assert_address (e->reply_to, 0, "Alice Example", NULL, "alice", "a.example");
  assert_address (e->to, 0, NULL, NULL, "bob", "b.example");
  g_assert_null (e->cc);
  g_assert_null (e->bcc);
}

/* ---- multipart/mixed: nested alternative, base64 attachment ---- */

#define ALT_BODY \
  "--inner\r\n" \
  "Content-Type: text/plain; charset=utf-8\r\n" \
  "\r\n" \
  "plain text\r\n" \
  "--inner\r\n" \
  "Content-Type: text/html; charset=utf-8\r\n" \
  "\r\n" \
  "<p>html</p>\r\n" \
  "--inner--\r\n"
#define ATT_MIME \
  "Content-Type: application/octet-stream; name=data.bin\r\n" \
  "Content-Transfer-Encoding: base64\r\n" \
  "Content-Disposition: attachment; filename=\"data.bin\"\r\n" \
  "Content-ID: <att1@a.example>\r\n" \
  "Content-Description: some bytes\r\n" \
  "Content-Language: en, fr\r\n" \
  "\r\n"
#define MIXED_HEADER \
  "From: a@a.example\r\n" \
  "Subject: mixed\r\n" \
  "MIME-Version: 1.0\r\n" \
  "Content-Type: multipart/mixed; boundary=\"outer\"\r\n" \
  "\r\n"
#define MIXED_TEXT \
  "This is a MIME message.\r\n" \
  "--outer\r\n" \
  "Content-Type: multipart/alternative; boundary=inner\r\n" \
  "\r\n" \
  ALT_BODY \
  "\r\n" \
  "--outer\r\n" \
  ATT_MIME \
  "AAECAwQF\r\n" \
  "--outer--\r\n" \
  "epilogue\r\n"

static void
test_multipart_sections (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f, MIXED_HEADER MIXED_TEXT, -1);

  assert_section (m, "", ML_SECTION_TEXT_HEADER, NULL, MIXED_HEADER);
  assert_section (m, "", ML_SECTION_TEXT_TEXT, NULL, MIXED_TEXT);
  /* A multipart part's body runs from its first delimiter to its close
   * delimiter; the CRLF before the next outer delimiter is not its own. */
  assert_section (m, "1", ML_SECTION_TEXT_NONE, NULL, ALT_BODY);
  assert_section (m, "1", ML_SECTION_TEXT_MIME, NULL,
                  "Content-Type: multipart/alternative; boundary=inner\r\n\r\n");
  assert_section (m, "1.1", ML_SECTION_TEXT_NONE, NULL, "plain text");
  assert_section (m, "1.2", ML_SECTION_TEXT_NONE, NULL, "<p>html</p>");
  assert_section (m, "1.1", ML_SECTION_TEXT_MIME, NULL,
                  "Content-Type: text/plain; charset=utf-8\r\n\r\n");
  assert_section (m, "1.3", ML_SECTION_TEXT_NONE, NULL, "");
  assert_section (m, "2", ML_SECTION_TEXT_NONE, NULL, "AAECAwQF");
  assert_section (m, "2", ML_SECTION_TEXT_MIME, NULL, ATT_MIME);
  assert_section (m, "2", ML_SECTION_TEXT_HEADER, NULL, "");
  assert_section (m, "2.1", ML_SECTION_TEXT_NONE, NULL, "");
  assert_section (m, "3", ML_SECTION_TEXT_NONE, NULL, "");
  assert_section (m, "0", ML_SECTION_TEXT_NONE, NULL, "");
}

static void
test_multipart_structure (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f, MIXED_HEADER MIXED_TEXT, -1);
  MlMimePart *s = ml_message_get_structure (m);
  MlMimePart *alt, *plain, *att;

  g_assert_cmpstr (s->type, ==, "multipart");
  g_assert_cmpstr (s->subtype, ==, "mixed");
  g_assert_cmpstr (param (s->params, "boundary"), ==, "outer");
  g_assert_cmpuint (s->children->len, ==, 2);

  alt = child (s, 1);
  g_assert_cmpstr (alt->subtype, ==, "alternative");
  g_assert_cmpuint (alt->children->len, ==, 2);
  plain = child (alt, 1);
  g_assert_cmpstr (plain->type, ==, "text");
  g_assert_cmpstr (plain->subtype, ==, "plain");
  g_assert_cmpstr (param (plain->params, "charset"), ==, "utf-8");
  g_assert_cmpuint (plain->params->len, ==, 1);
  g_assert_cmpuint (plain->size, ==, 10);
  g_assert_cmpuint (plain->lines, ==, 1);
  g_assert_cmpstr (child (alt, 2)->subtype, ==, "html");

  att = child (s, 2);
  g_assert_cmpstr (att->type, ==, "application");
  g_assert_cmpstr (att->subtype, ==, "octet-stream");
  g_assert_cmpstr (param (att->params, "name"), ==, "data.bin");
  g_assert_cmpstr (att->encoding, ==, "base64");
  g_assert_cmpstr (att->disposition, ==, "attachment");
  g_assert_cmpstr (param (att->disposition_params, "filename"), ==, "data.bin");
  g_assert_cmpstr (att->id, ==, "<att1@a.example>");
  g_assert_cmpstr (att->description, ==, "some bytes");
  g_assert_nonnull (att->language);
  g_assert_cmpstr (att->language[0], ==, "en");
  g_assert_cmpstr (att->language[1], ==, "fr");
  g_assert_null (att->language[2]);
  g_assert_cmpuint (att->size, ==, 8);
  g_assert_cmpuint (att->lines, ==, 0);  /* lines only for text/ and message/rfc822 */

  g_assert_true (ml_mime_part_find (s, (const guint[]) { 1, 2 }, 2) == child (alt, 2));
  g_assert_null (ml_mime_part_find (s, (const guint[]) { 2, 1 }, 2));
}

/* ---- message/rfc822 ---- */

#define INNER \
  "From: Carol <carol@c.example>\r\n" \
  "To: undisclosed-recipients:;\r\n" \
  "Subject: inner\r\n" \
  "\r\n" \
  "inner body"
#define FWD \
  "From: a@a.example\r\n" \
  "Subject: fwd\r\n" \
  "Content-Type: multipart/mixed; boundary=b1\r\n" \
  "\r\n" \
  "--b1\r\n" \
  "Content-Type: text/plain\r\n" \
  "\r\n" \
  "see attached\r\n" \
  "--b1\r\n" \
  "Content-Type: message/rfc822\r\n" \
  "\r\n" \
  INNER "\r\n" \
  "--b1--\r\n"

static void
test_rfc822 (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f, FWD, -1);
  const char *fields[] = { "subject", NULL };
  MlMimePart *s = ml_message_get_structure (m);
  MlMimePart *msg = child (s, 2);

  assert_section (m, "2", ML_SECTION_TEXT_NONE, NULL, INNER);
  assert_section (m, "2", ML_SECTION_TEXT_MIME, NULL, "Content-Type: message/rfc822\r\n\r\n");
  assert_section (m, "2", ML_SECTION_TEXT_HEADER, NULL,
                  "From: Carol <carol@c.example>\r\n"
                  "To: undisclosed-recipients:;\r\n"
                  "Subject: inner\r\n\r\n");
  assert_section (m, "2", ML_SECTION_TEXT_TEXT, NULL, "inner body");
  assert_section (m, "2", ML_SECTION_TEXT_HEADER_FIELDS, fields, "Subject: inner\r\n\r\n");
  /* Numbers after a message/rfc822 walk into the embedded message. */
  assert_section (m, "2.1", ML_SECTION_TEXT_NONE, NULL, "inner body");
  assert_section (m, "2.2", ML_SECTION_TEXT_NONE, NULL, "");

  g_assert_cmpstr (msg->type, ==, "message");
  g_assert_cmpstr (msg->subtype, ==, "rfc822");
  g_assert_cmpuint (msg->size, ==, strlen (INNER));
  g_assert_cmpuint (msg->lines, ==, 5);
  g_assert_nonnull (msg->message);
  g_assert_cmpstr (msg->message->type, ==, "text");
  g_assert_cmpuint (msg->message->size, ==, strlen ("inner body"));
  g_assert_nonnull (msg->envelope);
  g_assert_cmpstr (msg->envelope->subject, ==, "inner");
  assert_address (msg->envelope->from, 0, "Carol", NULL, "carol", "c.example");
  /* RFC 3501 7.4.2 group syntax: start (name in mailbox) and end. */
  g_assert_cmpuint (msg->envelope->to->len, ==, 2);
  assert_address (msg->envelope->to, 0, NULL, NULL, "undisclosed-recipients", NULL);
  assert_address (msg->envelope->to, 1, NULL, NULL, NULL, NULL);
  g_assert_cmpstr (ml_message_get_envelope (m)->subject, ==, "fwd");
}

static void
test_digest_default (Fixture *f, gconstpointer data)
{
  /* RFC 2046 5.1.5: in a digest, a part without Content-Type is a message. */
  MlMessage *m = add (f,
                      "Content-Type: multipart/digest; boundary=D\r\n"
                      "\r\n"
                      "--D\r\n"
                      "\r\n"
                      "Subject: one\r\n"
                      "\r\n"
                      "b1\r\n"
                      "--D--\r\n", -1);
  MlMimePart *one = child (ml_message_get_structure (m), 1);

  g_assert_cmpstr (one->type, ==, "message");
  g_assert_cmpstr (one->subtype, ==, "rfc822");
  g_assert_nonnull (one->envelope);
  g_assert_cmpstr (one->envelope->subject, ==, "one");
  assert_section (m, "1", ML_SECTION_TEXT_MIME, NULL, "\r\n");
  assert_section (m, "1", ML_SECTION_TEXT_TEXT, NULL, "b1");
}

/* ---- RFC 2231 ---- */

static void
test_rfc2231 (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f,
                      "Content-Type: application/x-stuff;\r\n"
                      " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
                      " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
                      " title*2=\"isn't it!\"\r\n"
                      "Content-Disposition: attachment; filename*=UTF-8''na%C3%AFve.txt\r\n"
                      "\r\n"
                      "x\r\n", -1);
  MlMimePart *s = ml_message_get_structure (m);

  /* The example of RFC 2231 4.1, continuations joined and decoded. */
  g_assert_cmpstr (param (s->params, "title"), ==, "This is even more ***fun*** isn't it!");
  g_assert_cmpstr (s->disposition, ==, "attachment");
  g_assert_cmpstr (param (s->disposition_params, "filename"), ==, "na\xc3\xafve.txt");
  g_assert_cmpuint (s->lines, ==, 0);  /* not text */
}

/* ---- without MIME, without headers ---- */

static void
test_no_mime_headers (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f, "Subject: old style\r\n\r\nJust text.\r\n", -1);
  MlMimePart *s = ml_message_get_structure (m);

  /* RFC 2045 5.2: "Content-type: text/plain; charset=us-ascii" assumed. */
  g_assert_cmpstr (s->type, ==, "text");
  g_assert_cmpstr (s->subtype, ==, "plain");
  g_assert_cmpstr (param (s->params, "charset"), ==, "us-ascii");
  g_assert_cmpstr (s->encoding, ==, "7bit");
  g_assert_cmpuint (s->size, ==, 12);
  g_assert_cmpuint (s->lines, ==, 1);
  assert_section (m, "1", ML_SECTION_TEXT_NONE, NULL, "Just text.\r\n");
  assert_section (m, "1", ML_SECTION_TEXT_MIME, NULL, "Subject: old style\r\n\r\n");
  g_assert_null (ml_message_get_envelope (m)->from);
  g_assert_null (ml_message_get_envelope (m)->sender);
}

static void
test_no_header_at_all (Fixture *f, gconstpointer data)
{
  /* GMime refuses this; we still describe it. With neither header field
   * nor blank line, every line counts as header (as RFC 3501 6.4.5's
   * "message which has no body and no blank line"). */
  MlMessage *m = add (f, "just a line\r\n", -1);
  MlMimePart *s = ml_message_get_structure (m);

  g_assert_nonnull (s);
  g_assert_cmpstr (s->type, ==, "text");
  g_assert_cmpuint (s->size, ==, 0);
  assert_section (m, "", ML_SECTION_TEXT_TEXT, NULL, "");
  assert_section (m, "", ML_SECTION_TEXT_NONE, NULL, "just a line\r\n");
  g_assert_null (ml_message_get_envelope (m)->subject);
  g_assert_null (ml_message_get_mime (m));

  m = add (f, "", 0);
  s = ml_message_get_structure (m);
  g_assert_cmpstr (s->subtype, ==, "plain");
  g_assert_cmpuint (s->end, ==, 0);
  assert_section (m, "", ML_SECTION_TEXT_HEADER, NULL, "");
  assert_section (m, "1", ML_SECTION_TEXT_NONE, NULL, "");
}

static void
test_headers_without_body (Fixture *f, gconstpointer data)
{
  const char *fields[] = { "Subject", NULL };
  MlMessage *m = add (f, "Subject: x\r\nFrom: y@z.example\r\n", -1);

  /* No blank line to add (RFC 3501 6.4.5). */
  assert_section (m, "", ML_SECTION_TEXT_HEADER_FIELDS, fields, "Subject: x\r\n");
  assert_section (m, "", ML_SECTION_TEXT_HEADER, NULL, "Subject: x\r\nFrom: y@z.example\r\n");
  assert_section (m, "", ML_SECTION_TEXT_TEXT, NULL, "");
}

/* ---- broken input ---- */

static void
test_broken_boundary (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f,
                      "Content-Type: multipart/mixed; boundary=XX\r\n"
                      "\r\n"
                      "--YY\r\n"
                      "text\r\n"
                      "--YY--\r\n", -1);
  MlMimePart *s = ml_message_get_structure (m);

  /* No delimiter ever appears: still one (empty) body, as BODYSTRUCTURE
   * needs at least one. */
  g_assert_cmpstr (s->type, ==, "multipart");
  g_assert_cmpuint (s->children->len, ==, 1);
  g_assert_cmpuint (child (s, 1)->size, ==, 0);
  assert_section (m, "1", ML_SECTION_TEXT_NONE, NULL, "");
  assert_section (m, "", ML_SECTION_TEXT_TEXT, NULL, "--YY\r\ntext\r\n--YY--\r\n");
}

static void
test_missing_close_delimiter (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f,
                      "Content-Type: multipart/mixed; boundary=XX\n"
                      "\n"
                      "--XX\n"
                      "\n"
                      "part1\n"
                      "--XX  \n"
                      "Content-Type: text/plain\n"
                      "\n"
                      "part2 runs to the end\n", -1);
  MlMimePart *s = ml_message_get_structure (m);

  g_assert_cmpuint (s->children->len, ==, 2);
  assert_section (m, "1", ML_SECTION_TEXT_NONE, NULL, "part1");
  /* A delimiter may carry trailing white space (RFC 2046 5.1.1). */
  assert_section (m, "2", ML_SECTION_TEXT_MIME, NULL, "Content-Type: text/plain\n\n");
  assert_section (m, "2", ML_SECTION_TEXT_NONE, NULL, "part2 runs to the end\n");
}

static char *
strip_cr (const char *s)
{
  GString *out = g_string_new (NULL);

  for (; *s; s++)
    if (*s != '\r')
      g_string_append_c (out, *s);
  return g_string_free (out, FALSE);
}

static void
test_lf_only (Fixture *f, gconstpointer data)
{
  g_autofree char *lf = strip_cr (MIXED_HEADER MIXED_TEXT);
  g_autofree char *lf_text = strip_cr (MIXED_TEXT);
  MlMessage *m;

  m = add (f, lf, -1);
  assert_section (m, "1.1", ML_SECTION_TEXT_NONE, NULL, "plain text");
  assert_section (m, "1.1", ML_SECTION_TEXT_MIME, NULL, "Content-Type: text/plain; charset=utf-8\n\n");
  assert_section (m, "1", ML_SECTION_TEXT_NONE, NULL,
                  "--inner\nContent-Type: text/plain; charset=utf-8\n\nplain text\n"
                  "--inner\nContent-Type: text/html; charset=utf-8\n\n<p>html</p>\n--inner--\n");
  assert_section (m, "2", ML_SECTION_TEXT_NONE, NULL, "AAECAwQF");
  assert_section (m, "", ML_SECTION_TEXT_HEADER, NULL,
                  "From: a@a.example\nSubject: mixed\nMIME-Version: 1.0\n"
                  "Content-Type: multipart/mixed; boundary=\"outer\"\n\n");
  assert_section (m, "", ML_SECTION_TEXT_TEXT, NULL, lf_text);
  g_assert_cmpuint (ml_message_get_structure (m)->size, ==, strlen (lf_text));
}

static void
test_eight_bit (Fixture *f, gconstpointer data)
{
  static const char text[] =
    "Subject: caf\xc3\xa9 \xe9t\xe9\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "\xe9t\xe9 \xff\x80\r\n";
  MlMessage *m = add (f, text, sizeof text - 1);
  MlMimePart *s = ml_message_get_structure (m);

  /* Bytes come back as stored: no charset conversion, no re-encoding. */
  assert_section (m, "1", ML_SECTION_TEXT_NONE, NULL, "\xe9t\xe9 \xff\x80\r\n");
  g_assert_cmpstr (ml_message_get_envelope (m)->subject, ==, "caf\xc3\xa9 \xe9t\xe9");
  g_assert_cmpstr (s->encoding, ==, "8bit");
  g_assert_cmpstr (param (s->params, "charset"), ==, "iso-8859-1");
  g_assert_cmpuint (s->size, ==, 8);
}

/* ---- envelope addresses ---- */

static void
test_envelope_addresses (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f,
                      "From: \"Smith, John\" <john@x.example>,\r\n"
                      "  =?UTF-8?Q?J=C3=B6rg?= <joerg@y.example>\r\n"
                      "Sender: secretary@x.example\r\n"
                      "To: Team: a@x.example, \"b c\"@y.example;, d@z.example (Dee)\r\n"
                      "Cc: <@route1,@route2:e@w.example>, \"Quote \\\"me\\\"\" <q@x.example>\r\n"
                      "Bcc:\r\n"
                      "In-Reply-To: <0@x.example>\r\n"
                      "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"
                      "\r\n"
                      "body\r\n", -1);
  MlEnvelope *e = ml_message_get_envelope (m);

  g_assert_cmpuint (e->from->len, ==, 2);
  assert_address (e->from, 0, "Smith, John", NULL, "john", "x.example");
  /* Raw: RFC 2047 words stay encoded, as IMAP returns them. */
  assert_address (e->from, 1, "=?UTF-8?Q?J=C3=B6rg?=", NULL, "joerg", "y.example");
  g_assert_cmpuint (e->sender->len, ==, 1);
  assert_address (e->sender, 0, NULL, NULL, "secretary", "x.example");
  g_assert_cmpuint (e->reply_to->len, ==, 2);
  assert_address (e->reply_to, 1, "=?UTF-8?Q?J=C3=B6rg?=", NULL, "joerg", "y.example");

  g_assert_cmpuint (e->to->len, ==, 5);
  assert_address (e->to, 0, NULL, NULL, "Team", NULL);
  assert_address (e->to, 1, NULL, NULL, "a", "x.example");
  assert_address (e->to, 2, NULL, NULL, "\"b c\"", "y.example");
  assert_address (e->to, 3, NULL, NULL, NULL, NULL);
  assert_address (e->to, 4, "Dee", NULL, "d", "z.example");

  g_assert_cmpuint (e->cc->len, ==, 2);
  assert_address (e->cc, 0, NULL, "@route1,@route2", "e", "w.example");
  assert_address (e->cc, 1, "Quote \"me\"", NULL, "q", "x.example");
  g_assert_null (e->bcc);
  g_assert_cmpstr (e->in_reply_to, ==, "<0@x.example>");
  g_assert_cmpstr (e->subject, ==, "=?UTF-8?Q?caf=C3=A9?=");
  g_assert_null (e->message_id);
  g_assert_null (e->date);
}

static void
test_address_edge_cases (void)
{
  g_autoptr(GPtrArray) none = ml_address_list_parse ("", -1);
  g_autoptr(GPtrArray) bare = ml_address_list_parse ("localonly", -1);
  g_autoptr(GPtrArray) open_group = ml_address_list_parse ("G: x@y.example", -1);
  g_autoptr(GPtrArray) junk = ml_address_list_parse ("<>, ,,\"unterminated <u@v.example>", -1);

  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (bare->len, ==, 1);
  /* host "" (not NIL, which would mean group syntax). */
  assert_address (bare, 0, NULL, NULL, "localonly", "");
  /* An unterminated group is closed for the writer. */
  g_assert_cmpuint (open_group->len, ==, 3);
  assert_address (open_group, 2, NULL, NULL, NULL, NULL);
  /* Nothing to say about "<>"; an unterminated quote runs to the end. */
  g_assert_cmpuint (junk->len, ==, 1);
  assert_address (junk, 0, NULL, NULL, "\"unterminated <u@v.example>", "");
}

/* ---- errors, limits, cache ---- */

static void
test_section_errors (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f, PLAIN_HEADER PLAIN_BODY, -1);
  g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func (g_free);
  const char *bad[] = { "Sub:ject", NULL };
  const char *empty[] = { NULL };
  GError *error = NULL;
  GBytes *b;

  b = ml_message_get_section (m, NULL, 0, ML_SECTION_TEXT_MIME, NULL, &error);
  g_assert_null (b);
  g_assert_error (error, ML_MIME_ERROR, ML_MIME_ERROR_INVALID_SECTION);
  g_clear_error (&error);

  for (guint i = 0; i <= ML_MIME_MAX_FIELDS; i++)
    g_ptr_array_add (many, g_strdup_printf ("X-F%u", i));
  g_ptr_array_add (many, NULL);
  b = ml_message_get_section (m, NULL, 0, ML_SECTION_TEXT_HEADER_FIELDS,
                              (const char *const *) many->pdata, &error);
  g_assert_null (b);
  g_assert_error (error, ML_MIME_ERROR, ML_MIME_ERROR_TOO_MANY_FIELDS);
  g_clear_error (&error);

  b = ml_message_get_section (m, NULL, 0, ML_SECTION_TEXT_HEADER_FIELDS_NOT, bad, &error);
  g_assert_null (b);
  g_assert_error (error, ML_MIME_ERROR, ML_MIME_ERROR_INVALID_FIELD);
  g_clear_error (&error);

  b = ml_message_get_section (m, NULL, 0, ML_SECTION_TEXT_HEADER_FIELDS, empty, &error);
  g_assert_null (b);
  g_assert_error (error, ML_MIME_ERROR, ML_MIME_ERROR_INVALID_FIELD);
  g_clear_error (&error);
}

static void
test_cache (Fixture *f, gconstpointer data)
{
  MlMessage *m = add (f, PLAIN_HEADER PLAIN_BODY, -1);
  MlMimePart *first = ml_message_get_structure (m);
  GMimeMessage *mime;

  g_assert_true (ml_message_get_structure (m) == first);
  mime = ml_message_get_mime (m);
  g_assert_nonnull (mime);
  g_assert_true (ml_message_get_mime (m) == mime);
  g_assert_cmpstr (g_mime_message_get_subject (mime), ==, "Hello world");
  ml_message_drop_mime (m);
  /* Parsed again on demand, same answers. */
  g_assert_cmpstr (ml_message_get_envelope (m)->subject, ==, "Hello world");
  g_assert_cmpuint (ml_message_get_structure (m)->size, ==, strlen (PLAIN_BODY));
}

static void
test_deep_nesting (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint depth = ML_MIME_MAX_DEPTH + 8;
  MlMimePart *p;
  guint levels = 0;

  for (guint i = 0; i < depth; i++)
    g_string_append_printf (text, "Content-Type: multipart/mixed; boundary=b%u\r\n\r\n--b%u\r\n", i, i);
  g_string_append (text, "\r\ndeep\r\n");
  for (guint i = depth; i-- > 0;)
    g_string_append_printf (text, "--b%u--\r\n", i);

  p = ml_message_get_structure (add (f, text->str, text->len));
  while (p->children != NULL)
    {
      p = p->children->pdata[0];
      levels++;
    }
  /* Described down to the limit, then one opaque leaf. */
  g_assert_cmpuint (levels, ==, ML_MIME_MAX_DEPTH);
  g_assert_cmpstr (p->type, ==, "application");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/message-mime/plain/sections", test_plain_sections);
  ADD ("/message-mime/plain/structure-envelope", test_plain_structure_envelope);
  ADD ("/message-mime/multipart/sections", test_multipart_sections);
  ADD ("/message-mime/multipart/structure", test_multipart_structure);
  ADD ("/message-mime/rfc822", test_rfc822);
  ADD ("/message-mime/digest-default", test_digest_default);
  ADD ("/message-mime/rfc2231", test_rfc2231);
  ADD ("/message-mime/no-mime-headers", test_no_mime_headers);
  ADD ("/message-mime/no-header-at-all", test_no_header_at_all);
  ADD ("/message-mime/headers-without-body", test_headers_without_body);
  ADD ("/message-mime/broken-boundary", test_broken_boundary);
  ADD ("/message-mime/missing-close-delimiter", test_missing_close_delimiter);
  ADD ("/message-mime/lf-only", test_lf_only);
  ADD ("/message-mime/eight-bit", test_eight_bit);
  ADD ("/message-mime/envelope-addresses", test_envelope_addresses);
  ADD ("/message-mime/section-errors", test_section_errors);
  ADD ("/message-mime/cache", test_cache);
  ADD ("/message-mime/deep-nesting", test_deep_nesting);
#undef ADD
  g_test_add_func ("/message-mime/address-edge-cases", test_address_edge_cases);
  return g_test_run ();
}

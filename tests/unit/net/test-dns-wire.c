/* DNS wire format (RFC 1035 4), the zone, and the server's answers
 * without a network. */
#include <string.h>

#include "net/dns-wire.h"
#include "net/dns-zone.h"
#include "net/dns-server.h"

#define IP(a, b, c, d) ((guint32) (a) << 24 | (guint32) (b) << 16 | (guint32) (c) << 8 | (guint32) (d))

static GBytes *
encode_ok (const MlDnsMessage *m, gsize max)
{
  g_autoptr(GError) error = NULL;
  GBytes *b = ml_dns_message_encode (m, max, &error);

  g_assert_no_error (error);
  g_assert_nonnull (b);
  return b;
}

static MlDnsMessage *
decode_ok (GBytes *b)
{
  g_autoptr(GError) error = NULL;
  MlDnsMessage *m = ml_dns_message_decode (g_bytes_get_data (b, NULL), g_bytes_get_size (b), &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static void
assert_decode_fails (const guint8 *data, gsize len, MlDnsWireError code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlDnsMessage) m = ml_dns_message_decode (data, len, &error);

  g_assert_null (m);
  g_assert_error (error, ML_DNS_WIRE_ERROR, (gint) code);
}

/* ---- known bytes --------------------------------------------------------- */

/* RFC 1035 4.1.1-4.1.2 by hand: ID 0x1a2b, RD, one question b.example MX IN. */
static const guint8 mx_query[] = {
  0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x01, 'b', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x00,
  0x00, 0x0f, 0x00, 0x01,
};

static void
test_query_bytes (void)
{
  g_autoptr(MlDnsMessage) m = ml_dns_message_new ();
  g_autoptr(GBytes) b = NULL;
  g_autoptr(MlDnsMessage) back = NULL;
  g_autoptr(GBytes) known = g_bytes_new_static (mx_query, sizeof mx_query);
  g_autofree char *summary = NULL;

  m->id = 0x1a2b;
  m->recursion_desired = TRUE;
  ml_dns_message_add_question (m, "b.example", ML_DNS_TYPE_MX);
  b = encode_ok (m, ML_DNS_MAX_UDP_MESSAGE);
  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), mx_query, sizeof mx_query);

  back = decode_ok (known);
  g_assert_cmphex (back->id, ==, 0x1a2b);
  g_assert_false (back->response);
  g_assert_true (back->recursion_desired);
  g_assert_cmpuint (back->questions->len, ==, 1);
  g_assert_cmpstr (ml_dns_message_get_question (back)->name, ==, "b.example");
  g_assert_cmpuint (ml_dns_message_get_question (back)->type, ==, ML_DNS_TYPE_MX);
  g_assert_cmpuint (ml_dns_message_get_question (back)->qclass, ==, ML_DNS_CLASS_IN);
  summary = ml_dns_message_summarize (back);
  g_assert_cmpstr (summary, ==, "Standard query 0x1a2b MX b.example");
}

/* A response whose names compress against the question and each other
 * (RFC 1035 4.1.4), offsets worked out by hand. */
static const guint8 mx_response[] = {
  0x1a, 0x2b, 0x85, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,
  /* 12: question */
  0x01, 'b', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x00, 0x00, 0x0f, 0x00, 0x01,
  /* 27: b.example MX 10 mx.b.example; "mx.b.example" starts at 41 */
  0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x07,
  0x00, 0x0a, 0x02, 'm', 'x', 0xc0, 0x0c,
  /* 46: b.example MX 20 mx2.b.example */
  0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x08,
  0x00, 0x14, 0x03, 'm', 'x', '2', 0xc0, 0x0c,
  /* 66: mx.b.example A 192.0.2.25 */
  0xc0, 0x29, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04,
  192, 0, 2, 25,
};

static MlDnsMessage *
make_mx_response (void)
{
  MlDnsMessage *m = ml_dns_message_new ();

  m->id = 0x1a2b;
  m->response = TRUE;
  m->authoritative = TRUE;
  m->recursion_desired = TRUE;
  ml_dns_message_add_question (m, "b.example", ML_DNS_TYPE_MX);
  g_ptr_array_add (m->answers, ml_dns_record_new_mx ("b.example", 3600, 10, "mx.b.example"));
  g_ptr_array_add (m->answers, ml_dns_record_new_mx ("b.example", 3600, 20, "mx2.b.example"));
  g_ptr_array_add (m->additional, ml_dns_record_new_a ("mx.b.example", 3600, IP (192, 0, 2, 25)));
  return m;
}

static void
test_compression_bytes (void)
{
  g_autoptr(MlDnsMessage) m = make_mx_response ();
  g_autoptr(GBytes) b = encode_ok (m, ML_DNS_MAX_UDP_MESSAGE);
  g_autoptr(GBytes) known = g_bytes_new_static (mx_response, sizeof mx_response);
  g_autoptr(MlDnsMessage) back = decode_ok (known);
  g_autofree char *summary = ml_dns_message_summarize (back);
  const MlDnsRecord *rr;

  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), mx_response, sizeof mx_response);

  g_assert_true (back->response);
  g_assert_true (back->authoritative);
  g_assert_cmpuint (back->answers->len, ==, 2);
  g_assert_cmpuint (back->additional->len, ==, 1);
  rr = back->answers->pdata[1];
  g_assert_cmpstr (rr->name, ==, "b.example");
  g_assert_cmpuint (rr->preference, ==, 20);
  g_assert_cmpstr (rr->value, ==, "mx2.b.example");
  g_assert_cmpuint (rr->ttl, ==, 3600);
  rr = back->additional->pdata[0];
  g_assert_cmpstr (rr->name, ==, "mx.b.example");
  g_assert_cmphex (rr->address, ==, IP (192, 0, 2, 25));
  g_assert_cmpstr (rr->value, ==, "192.0.2.25");
  g_assert_cmpstr (summary, ==,
                   "Standard query response 0x1a2b MX b.example MX 10 mx.b.example MX 20 mx2.b.example"
                   " A 192.0.2.25");
}

/* ---- round trips ------------------------------------------------------- */

static void
assert_same_records (GPtrArray *a, GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      const MlDnsRecord *x = a->pdata[i], *y = b->pdata[i];

      g_assert_true (ml_dns_record_equal (x, y));
      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpuint (x->ttl, ==, y->ttl);
    }
}

static void
test_round_trip (void)
{
  g_autoptr(MlDnsMessage) m = ml_dns_message_new ();
  g_autoptr(MlDnsMessage) back = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GBytes) soa = g_bytes_new_static ("\x00\x00\x01\x02", 4);
  g_autofree char *long_text = g_strnfill (600, 'k');
  MlDnsRecord *cname;

  m->id = 0xffff;
  m->response = TRUE;
  m->opcode = 0;
  m->truncated = FALSE;
  m->recursion_available = TRUE;
  m->rcode = ML_DNS_RCODE_NOERROR;
  ml_dns_message_add_question (m, "Mixed.Case.Example.", ML_DNS_TYPE_ANY);
  g_ptr_array_add (m->answers, ml_dns_record_new_a ("mixed.case.example", 0, IP (10, 0, 0, 1)));
  g_ptr_array_add (m->answers, ml_dns_record_new_txt ("mixed.case.example", 60,
                                                      "v=spf1 ip4:192.0.2.0/24 -all"));
  /* Longer than one <character-string>: split on encode, joined on decode. */
  g_ptr_array_add (m->answers, ml_dns_record_new_txt ("k._domainkey.case.example", 60, long_text));
  g_ptr_array_add (m->answers, ml_dns_record_new_txt ("empty.example", 60, ""));
  cname = ml_dns_record_new_mx ("www.case.example", 60, 0, "mixed.case.example");
  cname->type = ML_DNS_TYPE_CNAME;
  g_ptr_array_add (m->answers, cname);
  g_ptr_array_add (m->authority, ml_dns_record_new_raw ("case.example", ML_DNS_TYPE_SOA, 60, soa));
  g_ptr_array_add (m->additional, ml_dns_record_new_raw ("case.example", 99, 60, soa));
  /* A label holding a dot and a space travels escaped. */
  g_ptr_array_add (m->additional, ml_dns_record_new_a ("odd\\.label\\032x.example", 5, IP (10, 0, 0, 2)));

  b = encode_ok (m, ML_DNS_MAX_MESSAGE);
  back = decode_ok (b);
  g_assert_cmphex (back->id, ==, 0xffff);
  g_assert_true (back->response);
  g_assert_true (back->recursion_available);
  g_assert_false (back->authoritative);
  g_assert_false (back->truncated);
  g_assert_cmpstr (ml_dns_message_get_question (back)->name, ==, "Mixed.Case.Example");
  assert_same_records (m->answers, back->answers);
  assert_same_records (m->authority, back->authority);
  assert_same_records (m->additional, back->additional);
  g_assert_cmpstr (((MlDnsRecord *) back->additional->pdata[1])->name, ==, "odd\\.label\\032x.example");
  g_assert_cmpuint (strlen (((MlDnsRecord *) back->answers->pdata[2])->value), ==, 600);
}

static void
test_rdata_strings (void)
{
  g_autoptr(MlDnsRecord) mx = ml_dns_record_new_mx ("b.example", 1, 10, "mx.b.example");
  g_autoptr(MlDnsRecord) a = ml_dns_record_new_a ("b.example", 1, IP (192, 0, 2, 1));
  g_autoptr(MlDnsRecord) txt = ml_dns_record_new_txt ("b.example", 1, "say \"hi\"\\\x01");
  g_autoptr(GBytes) raw = g_bytes_new_static ("abc", 3);
  g_autoptr(MlDnsRecord) other = ml_dns_record_new_raw ("b.example", 99, 1, raw);
  g_autofree char *s1 = ml_dns_record_dup_rdata_string (mx);
  g_autofree char *s2 = ml_dns_record_dup_rdata_string (a);
  g_autofree char *s3 = ml_dns_record_dup_rdata_string (txt);
  g_autofree char *s4 = ml_dns_record_dup_rdata_string (other);
  g_autofree char *t1 = ml_dns_type_dup_string (ML_DNS_TYPE_TXT);
  g_autofree char *t2 = ml_dns_type_dup_string (99);
  MlDnsType t = 0;

  g_assert_cmpstr (s1, ==, "10 mx.b.example");
  g_assert_cmpstr (s2, ==, "192.0.2.1");
  g_assert_cmpstr (s3, ==, "\"say \\\"hi\\\"\\\\\\001\"");
  g_assert_cmpstr (s4, ==, "\\# 3");
  g_assert_cmpstr (t1, ==, "TXT");
  g_assert_cmpstr (t2, ==, "TYPE99");
  g_assert_true (ml_dns_type_from_string ("mx", &t));
  g_assert_cmpuint (t, ==, ML_DNS_TYPE_MX);
  g_assert_false (ml_dns_type_from_string ("MXX", &t));
  g_assert_cmpstr (ml_dns_rcode_to_string (ML_DNS_RCODE_NXDOMAIN), ==, "NXDOMAIN");
  g_assert_cmpstr (ml_dns_rcode_to_string (ML_DNS_RCODE_TIMEOUT), ==, "TIMEOUT");
}

static void
test_names (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *label63 = g_strnfill (63, 'a');
  g_autofree char *label64 = g_strnfill (64, 'a');
  /* 4 labels of 63 octets: 4 × 64 + 1 = 257 octets on the wire. */
  g_autofree char *name257 = g_strjoin (".", label63, label63, label63, label63, NULL);
  /* 3 × 64 + 62 + 1 = 255: the longest a name may be. */
  g_autofree char *label61 = g_strnfill (61, 'b');
  g_autofree char *name255 = g_strjoin (".", label63, label63, label63, label61, NULL);

  g_assert_true (ml_dns_name_validate ("b.example", NULL));
  g_assert_true (ml_dns_name_validate ("b.example.", NULL));
  g_assert_true (ml_dns_name_validate (".", NULL));
  g_assert_true (ml_dns_name_validate (label63, NULL));
  g_assert_true (ml_dns_name_validate (name255, NULL));
  g_assert_false (ml_dns_name_validate (label64, &error));
  g_assert_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME);
  g_clear_error (&error);
  g_assert_false (ml_dns_name_validate (name257, &error));
  g_assert_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME);
  g_clear_error (&error);
  g_assert_false (ml_dns_name_validate ("a..example", &error));
  g_assert_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME);
  g_clear_error (&error);
  g_assert_false (ml_dns_name_validate ("trailing\\", NULL));
  g_assert_false (ml_dns_name_validate ("bad\\300escape", NULL));

  g_assert_true (ml_dns_name_equal ("MX.B.Example.", "mx.b.example"));
  g_assert_false (ml_dns_name_equal ("mx.b.example", "mx.b.example.org"));
}

/* ---- truncation -------------------------------------------------------- */

static void
test_truncation (void)
{
  g_autoptr(MlDnsMessage) m = ml_dns_message_new ();
  g_autoptr(MlDnsMessage) back = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autofree char *text = g_strnfill (200, 't');

  m->id = 1;
  m->response = TRUE;
  ml_dns_message_add_question (m, "big.example", ML_DNS_TYPE_TXT);
  for (int i = 0; i < 5; i++)
    g_ptr_array_add (m->answers, ml_dns_record_new_txt ("big.example", 60, text));
  b = encode_ok (m, ML_DNS_MAX_UDP_MESSAGE);
  g_assert_cmpuint (g_bytes_get_size (b), <=, ML_DNS_MAX_UDP_MESSAGE);
  back = decode_ok (b);
  /* 12 + 17 + 2 × 213 = 455 fits, a third record would not. */
  g_assert_true (back->truncated);
  g_assert_cmpuint (back->answers->len, ==, 2);

  /* Without the limit all five travel and TC stays clear. */
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_pointer (&back, ml_dns_message_free);
  b = encode_ok (m, ML_DNS_MAX_MESSAGE);
  back = decode_ok (b);
  g_assert_false (back->truncated);
  g_assert_cmpuint (back->answers->len, ==, 5);
}

static void
test_truncation_additional (void)
{
  g_autoptr(MlDnsMessage) m = make_mx_response ();
  g_autoptr(MlDnsMessage) back = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autofree char *label = g_strnfill (60, 'x');

  /* Additional records that do not fit are dropped without TC, and no
   * pointer may lead into what was dropped. */
  for (int i = 0; i < 12; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s.n%d.b.example", label, i);

      g_ptr_array_add (m->additional, ml_dns_record_new_a (name, 60, IP (10, 0, 0, i)));
    }
  g_ptr_array_add (m->additional, ml_dns_record_new_a ("mx2.b.example", 60, IP (10, 0, 1, 1)));
  b = encode_ok (m, ML_DNS_MAX_UDP_MESSAGE);
  back = decode_ok (b);
  g_assert_false (back->truncated);
  g_assert_cmpuint (back->answers->len, ==, 2);
  g_assert_cmpuint (back->additional->len, <, 14);
  g_assert_cmpuint (back->additional->len, >=, 1);
  g_assert_cmpuint (g_bytes_get_size (b), <=, ML_DNS_MAX_UDP_MESSAGE);
}

static void
test_encode_errors (void)
{
  g_autoptr(MlDnsMessage) m = ml_dns_message_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autofree char *label64 = g_strnfill (64, 'a');

  ml_dns_message_add_question (m, label64, ML_DNS_TYPE_A);
  b = ml_dns_message_encode (m, ML_DNS_MAX_UDP_MESSAGE, &error);
  g_assert_null (b);
  g_assert_error (error, ML_DNS_WIRE_ERROR, ML_DNS_WIRE_ERROR_BAD_NAME);
}

/* ---- malformed input --------------------------------------------------- */

static void
test_malformed_truncated (void)
{
  /* Every strict prefix of a valid response lacks something its header
   * promises; none may decode, and none may be read past. */
  for (gsize cut = 0; cut < sizeof mx_response; cut++)
    {
      g_autofree guint8 *copy = g_memdup2 (mx_response, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(MlDnsMessage) m = ml_dns_message_decode (copy, cut, &error);

      g_assert_null (m);
      g_assert_nonnull (error);
      g_assert_true (error->domain == ML_DNS_WIRE_ERROR);
    }
  assert_decode_fails (mx_response, 11, ML_DNS_WIRE_ERROR_TRUNCATED);
  assert_decode_fails (mx_response, sizeof mx_response - 1, ML_DNS_WIRE_ERROR_TRUNCATED);
}

static void
test_malformed_counts (void)
{
  guint8 m[sizeof mx_query];

  memcpy (m, mx_query, sizeof m);
  m[7] = 100;          /* ANCOUNT 100 in a 27-octet message */
  assert_decode_fails (m, sizeof m, ML_DNS_WIRE_ERROR_BAD_COUNT);
  memcpy (m, mx_query, sizeof m);
  m[4] = 0xff;         /* QDCOUNT 65281 */
  m[5] = 0x01;
  assert_decode_fails (m, sizeof m, ML_DNS_WIRE_ERROR_BAD_COUNT);
}

static void
test_malformed_pointers (void)
{
  static const guint8 self_pointer[] = {
    0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    0xc0, 0x0c, 0, 1, 0, 1,
  };
  static const guint8 forward_pointer[] = {
    0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1,
  };
  /* "a" then a pointer back to the "a": each lap adds two octets until the
   * name would pass 255. */
  static const guint8 backward_loop[] = {
    0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    0x01, 'a', 0xc0, 0x0c, 0, 1, 0, 1,
  };
  /* The message ends after the first octet of a pointer. */
  static const guint8 pointer_past_end[] = {
    0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    0x03, 'a', 'b', 'c', 0x01, 'x', 0xc0,
  };
  GByteArray *chain = g_byte_array_new ();
  guint8 header[] = { 0, 1, 0x80, 0, 0, 1, 0, 2, 0, 0, 0, 0 };
  guint8 question[] = { 0, 0, 1, 0, 1 };              /* root, A, IN */
  guint8 rr_head[] = { 0, 0, 99, 0, 1, 0, 0, 0, 0 };  /* root, TYPE99, IN, TTL 0 */
  guint8 rdlength[2];
  gsize first;
  const guint nptr = 200;

  assert_decode_fails (self_pointer, sizeof self_pointer, ML_DNS_WIRE_ERROR_BAD_POINTER);
  assert_decode_fails (forward_pointer, sizeof forward_pointer, ML_DNS_WIRE_ERROR_BAD_POINTER);
  assert_decode_fails (backward_loop, sizeof backward_loop, ML_DNS_WIRE_ERROR_BAD_NAME);
  assert_decode_fails (pointer_past_end, sizeof pointer_past_end, ML_DNS_WIRE_ERROR_TRUNCATED);

  /* A chain of 200 pointers, each to the one before, hidden in the opaque
   * RDATA of a first record; the second record's name enters at the end. */
  g_byte_array_append (chain, header, sizeof header);
  g_byte_array_append (chain, question, sizeof question);   /* root at 12 */
  g_byte_array_append (chain, rr_head, sizeof rr_head);
  rdlength[0] = (guint8) ((nptr * 2) >> 8);
  rdlength[1] = (guint8) (nptr * 2);
  g_byte_array_append (chain, rdlength, 2);
  first = chain->len;
  for (guint i = 0; i < nptr; i++)
    {
      gsize target = i == 0 ? 12 : first + 2 * (i - 1);
      guint8 ptr[2] = { (guint8) (0xc0 | target >> 8), (guint8) target };

      g_byte_array_append (chain, ptr, 2);
    }
  {
    gsize last = first + 2 * (nptr - 1);
    guint8 ptr[2] = { (guint8) (0xc0 | last >> 8), (guint8) last };
    guint8 tail[] = { 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4 };

    g_byte_array_append (chain, ptr, 2);
    g_byte_array_append (chain, tail, sizeof tail);
  }
  assert_decode_fails (chain->data, chain->len, ML_DNS_WIRE_ERROR_BAD_POINTER);
  g_byte_array_unref (chain);
}

static void
test_malformed_labels (void)
{
  guint8 m[12 + 1 + 64 + 1 + 4] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
  GByteArray *longname = g_byte_array_new ();
  guint8 header[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };

  /* A length octet of 64 is the reserved label type 01. */
  m[12] = 64;
  memset (m + 13, 'a', 64);
  assert_decode_fails (m, sizeof m, ML_DNS_WIRE_ERROR_BAD_NAME);
  m[12] = 0x80;
  assert_decode_fails (m, sizeof m, ML_DNS_WIRE_ERROR_BAD_NAME);

  /* Five labels of 63: 320 octets, over 255. */
  g_byte_array_append (longname, header, sizeof header);
  for (int i = 0; i < 5; i++)
    {
      guint8 label[64];

      label[0] = 63;
      memset (label + 1, 'x', 63);
      g_byte_array_append (longname, label, sizeof label);
    }
  {
    guint8 tail[] = { 0, 0, 1, 0, 1 };

    g_byte_array_append (longname, tail, sizeof tail);
  }
  assert_decode_fails (longname->data, longname->len, ML_DNS_WIRE_ERROR_BAD_NAME);
  g_byte_array_unref (longname);
}

static void
test_malformed_rdata (void)
{
  guint8 m[sizeof mx_response];

  /* The A record claims 5 octets of RDATA (and the message has 4). */
  memcpy (m, mx_response, sizeof m);
  m[66 + 11] = 5;
  assert_decode_fails (m, sizeof m, ML_DNS_WIRE_ERROR_TRUNCATED);
  /* The A record's RDLENGTH 3, the last octet then trails: BAD_RDATA. */
  memcpy (m, mx_response, sizeof m);
  m[66 + 11] = 3;
  assert_decode_fails (m, sizeof m, ML_DNS_WIRE_ERROR_BAD_RDATA);
  /* The first MX's RDLENGTH 6: its exchange runs past its RDATA. */
  memcpy (m, mx_response, sizeof m);
  m[27 + 11] = 6;
  assert_decode_fails (m, sizeof m, ML_DNS_WIRE_ERROR_BAD_RDATA);
}

static void
test_malformed_random (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1035);
  guint decoded = 0, rejected = 0;

  /* Mutations of a valid response: each either decodes or is rejected
   * with an error, never both and never neither (and under ASan never
   * reads out of bounds). */
  for (guint n = 0; n < 20000; n++)
    {
      guint8 m[sizeof mx_response];
      gsize len = sizeof m;
      g_autoptr(GError) error = NULL;
      g_autoptr(MlDnsMessage) msg = NULL;
      guint flips = (guint) g_rand_int_range (rand, 1, 4);

      memcpy (m, mx_response, sizeof m);
      for (guint f = 0; f < flips; f++)
        m[g_rand_int_range (rand, 0, (gint32) sizeof m)] = (guint8) g_rand_int_range (rand, 0, 256);
      if (g_rand_boolean (rand))
        len = (gsize) g_rand_int_range (rand, 0, (gint32) sizeof m + 1);
      msg = ml_dns_message_decode (m, len, &error);
      g_assert_true ((msg == NULL) != (error == NULL));
      if (msg)
        decoded++;
      else
        rejected++;
    }
  g_assert_cmpuint (decoded, >, 0);
  g_assert_cmpuint (rejected, >, 0);
}

/* ---- zone ---------------------------------------------------------------- */

static MlDnsZone *
make_zone (void)
{
  MlDnsZone *zone = ml_dns_zone_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (ml_dns_zone_add_text (zone, "b.example", "MX", 3600, 10, "mx.b.example", &error));
  g_assert_true (ml_dns_zone_add_text (zone, "b.example", "mx", 3600, 20, "mx2.b.example", &error));
  g_assert_true (ml_dns_zone_add_text (zone, "MX.b.example", "A", 3600, 0, "192.0.2.25", &error));
  g_assert_true (ml_dns_zone_add_a (zone, "mx2.b.example.", 3600, IP (192, 0, 2, 26), &error));
  g_assert_true (ml_dns_zone_add_txt (zone, "b.example", 3600, "v=spf1 mx -all", &error));
  g_assert_no_error (error);
  return zone;
}

static void
test_zone_lookup (void)
{
  g_autoptr(MlDnsZone) zone = make_zone ();
  g_autoptr(GPtrArray) found = NULL;
  const MlDnsRecord *rr;

  g_assert_cmpint (ml_dns_zone_lookup (zone, "B.EXAMPLE.", ML_DNS_TYPE_MX, &found), ==, ML_DNS_ZONE_FOUND);
  g_assert_cmpuint (found->len, ==, 2);
  rr = found->pdata[0];
  g_assert_cmpuint (rr->preference, ==, 10);
  g_assert_cmpstr (rr->value, ==, "mx.b.example");
  g_clear_pointer (&found, g_ptr_array_unref);

  g_assert_cmpint (ml_dns_zone_lookup (zone, "mx.b.example", ML_DNS_TYPE_A, &found), ==, ML_DNS_ZONE_FOUND);
  g_assert_cmpuint (found->len, ==, 1);
  /* Stored as written. */
  g_assert_cmpstr (((MlDnsRecord *) found->pdata[0])->name, ==, "MX.b.example");
  g_clear_pointer (&found, g_ptr_array_unref);

  g_assert_cmpint (ml_dns_zone_lookup (zone, "b.example", ML_DNS_TYPE_ANY, &found), ==, ML_DNS_ZONE_FOUND);
  g_assert_cmpuint (found->len, ==, 3);
  g_clear_pointer (&found, g_ptr_array_unref);

  g_assert_cmpint (ml_dns_zone_lookup (zone, "mx.b.example", ML_DNS_TYPE_MX, &found), ==, ML_DNS_ZONE_NODATA);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  /* An empty non-terminal exists. */
  g_assert_cmpint (ml_dns_zone_lookup (zone, "example", ML_DNS_TYPE_A, NULL), ==, ML_DNS_ZONE_NODATA);
  g_assert_cmpint (ml_dns_zone_lookup (zone, "nowhere.example", ML_DNS_TYPE_MX, NULL), ==, ML_DNS_ZONE_NXDOMAIN);
  g_assert_cmpint (ml_dns_zone_lookup (zone, "a.b.example.org", ML_DNS_TYPE_A, NULL), ==, ML_DNS_ZONE_NXDOMAIN);
  g_assert_true (ml_dns_zone_has (zone, "mx2.B.example", ML_DNS_TYPE_A));
  g_assert_false (ml_dns_zone_has (zone, "mx2.b.example", ML_DNS_TYPE_TXT));
  g_assert_cmpuint (ml_dns_zone_get_size (zone), ==, 5);
}

static void
test_zone_duplicates_and_errors (void)
{
  g_autoptr(MlDnsZone) zone = make_zone ();
  g_autoptr(GError) error = NULL;
  g_autofree char *label64 = g_strnfill (64, 'q');

  g_assert_true (ml_dns_zone_add_mx (zone, "B.example", 60, 10, "MX.B.EXAMPLE", &error));
  g_assert_cmpuint (ml_dns_zone_get_size (zone), ==, 5);

  g_assert_false (ml_dns_zone_add_text (zone, "c.example", "A", 60, 0, "192.0.2.256", &error));
  g_assert_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ml_dns_zone_add_text (zone, "c.example", "A", 60, 0, "192.0.2", &error));
  g_assert_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ml_dns_zone_add_text (zone, "c.example", "AAAA", 60, 0, "::1", &error));
  g_assert_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ml_dns_zone_add_text (zone, label64, "A", 60, 0, "192.0.2.1", &error));
  g_assert_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ml_dns_zone_add_mx (zone, "c.example", 60, 10, "bad..exchange", &error));
  g_assert_error (error, ML_DNS_ZONE_ERROR, ML_DNS_ZONE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (ml_dns_zone_get_size (zone), ==, 5);
  g_assert_cmpint (ml_dns_zone_lookup (zone, "c.example", ML_DNS_TYPE_A, NULL), ==, ML_DNS_ZONE_NXDOMAIN);
}

/* ---- the server's answers ------------------------------------------------ */

static MlDnsMessage *
ask (MlDnsZone *zone, const char *name, MlDnsType type)
{
  g_autoptr(MlDnsMessage) q = ml_dns_message_new ();
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GBytes) rb = NULL;
  g_autoptr(MlDnsMessage) r = NULL;

  q->id = 0x4242;
  q->recursion_desired = TRUE;
  ml_dns_message_add_question (q, name, type);
  b = encode_ok (q, ML_DNS_MAX_UDP_MESSAGE);
  r = ml_dns_server_build_response (zone, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_assert_nonnull (r);
  /* What the wire would carry. */
  rb = encode_ok (r, ML_DNS_MAX_UDP_MESSAGE);
  return decode_ok (rb);
}

static void
test_server_mx_with_additional (void)
{
  g_autoptr(MlDnsZone) zone = make_zone ();
  g_autoptr(MlDnsMessage) r = ask (zone, "b.example", ML_DNS_TYPE_MX);
  g_autofree char *summary = ml_dns_message_summarize (r);

  g_assert_cmphex (r->id, ==, 0x4242);
  g_assert_true (r->response);
  g_assert_true (r->authoritative);
  g_assert_true (r->recursion_desired);
  g_assert_false (r->recursion_available);
  g_assert_cmpint (r->rcode, ==, ML_DNS_RCODE_NOERROR);
  g_assert_cmpuint (r->answers->len, ==, 2);
  g_assert_cmpuint (r->additional->len, ==, 2);
  g_assert_cmpstr (((MlDnsRecord *) r->additional->pdata[0])->value, ==, "192.0.2.25");
  g_assert_cmpstr (((MlDnsRecord *) r->additional->pdata[1])->value, ==, "192.0.2.26");
  g_assert_cmpstr (summary, ==,
                   "Standard query response 0x4242 MX b.example MX 10 mx.b.example MX 20 mx2.b.example"
                   " A 192.0.2.25 A 192.0.2.26");
}

static void
test_server_nxdomain_nodata (void)
{
  g_autoptr(MlDnsZone) zone = make_zone ();
  g_autoptr(MlDnsMessage) nx = ask (zone, "nowhere.example", ML_DNS_TYPE_MX);
  g_autoptr(MlDnsMessage) nodata = ask (zone, "mx.b.example", ML_DNS_TYPE_TXT);
  g_autoptr(MlDnsMessage) txt = ask (zone, "b.example", ML_DNS_TYPE_TXT);
  g_autofree char *s1 = ml_dns_message_summarize (nx);
  g_autofree char *s2 = ml_dns_message_summarize (txt);

  g_assert_cmpint (nx->rcode, ==, ML_DNS_RCODE_NXDOMAIN);
  g_assert_true (nx->authoritative);
  g_assert_cmpuint (nx->answers->len, ==, 0);
  g_assert_cmpstr (s1, ==, "Standard query response 0x4242 No such name MX nowhere.example");
  g_assert_cmpint (nodata->rcode, ==, ML_DNS_RCODE_NOERROR);
  g_assert_cmpuint (nodata->answers->len, ==, 0);
  g_assert_cmpuint (txt->answers->len, ==, 1);
  g_assert_cmpstr (((MlDnsRecord *) txt->answers->pdata[0])->value, ==, "v=spf1 mx -all");
  g_assert_cmpstr (s2, ==, "Standard query response 0x4242 TXT b.example TXT");
}

static void
test_server_bad_queries (void)
{
  g_autoptr(MlDnsZone) zone = make_zone ();
  guint8 q[sizeof mx_query];
  g_autoptr(MlDnsMessage) r = NULL;

  /* Shorter than a header: nothing to answer to. */
  g_assert_null (ml_dns_server_build_response (zone, mx_query, 11));
  /* A response is never answered. */
  memcpy (q, mx_query, sizeof q);
  q[2] |= 0x80;
  g_assert_null (ml_dns_server_build_response (zone, q, sizeof q));

  /* Garbage after the header: FORMERR, with the ID echoed. */
  memcpy (q, mx_query, sizeof q);
  q[12] = 0x7f;
  r = ml_dns_server_build_response (zone, q, sizeof q);
  g_assert_nonnull (r);
  g_assert_cmpint (r->rcode, ==, ML_DNS_RCODE_FORMERR);
  g_assert_cmphex (r->id, ==, 0x1a2b);
  g_assert_true (r->response);
  g_clear_pointer (&r, ml_dns_message_free);

  /* Two questions: FORMERR. */
  {
    g_autoptr(MlDnsMessage) two = ml_dns_message_new ();
    g_autoptr(GBytes) b = NULL;

    ml_dns_message_add_question (two, "b.example", ML_DNS_TYPE_MX);
    ml_dns_message_add_question (two, "b.example", ML_DNS_TYPE_A);
    b = encode_ok (two, ML_DNS_MAX_UDP_MESSAGE);
    r = ml_dns_server_build_response (zone, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
    g_assert_nonnull (r);
    g_assert_cmpint (r->rcode, ==, ML_DNS_RCODE_FORMERR);
    g_clear_pointer (&r, ml_dns_message_free);
  }

  /* Opcode 2 (STATUS): NOTIMP. */
  memcpy (q, mx_query, sizeof q);
  q[2] = (guint8) (q[2] | 2 << 3);
  r = ml_dns_server_build_response (zone, q, sizeof q);
  g_assert_nonnull (r);
  g_assert_cmpint (r->rcode, ==, ML_DNS_RCODE_NOTIMP);
  g_assert_cmpuint (r->opcode, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dns-wire/query-bytes", test_query_bytes);
  g_test_add_func ("/dns-wire/compression-bytes", test_compression_bytes);
  g_test_add_func ("/dns-wire/round-trip", test_round_trip);
  g_test_add_func ("/dns-wire/rdata-strings", test_rdata_strings);
  g_test_add_func ("/dns-wire/names", test_names);
  g_test_add_func ("/dns-wire/truncation", test_truncation);
  g_test_add_func ("/dns-wire/truncation-additional", test_truncation_additional);
  g_test_add_func ("/dns-wire/encode-errors", test_encode_errors);
  g_test_add_func ("/dns-wire/malformed/truncated", test_malformed_truncated);
  g_test_add_func ("/dns-wire/malformed/counts", test_malformed_counts);
  g_test_add_func ("/dns-wire/malformed/pointers", test_malformed_pointers);
  g_test_add_func ("/dns-wire/malformed/labels", test_malformed_labels);
  g_test_add_func ("/dns-wire/malformed/rdata", test_malformed_rdata);
  g_test_add_func ("/dns-wire/malformed/random", test_malformed_random);
  g_test_add_func ("/dns-zone/lookup", test_zone_lookup);
  g_test_add_func ("/dns-zone/duplicates-and-errors", test_zone_duplicates_and_errors);
  g_test_add_func ("/dns-server/mx-with-additional", test_server_mx_with_additional);
  g_test_add_func ("/dns-server/nxdomain-nodata", test_server_nxdomain_nodata);
  g_test_add_func ("/dns-server/bad-queries", test_server_bad_queries);

  return g_test_run ();
}

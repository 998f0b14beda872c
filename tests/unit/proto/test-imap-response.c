/* The IMAP response parser: every kind of response, literals, nested body
 * structures, response codes, malformed input and the limits, each fed
 * whole, one byte at a time and in random pieces. */
#include <string.h>
#include "proto/imap-response.h"

typedef enum {
  SPLIT_WHOLE,
  SPLIT_BYTES,
  SPLIT_RANDOM,
} Split;

/* Feeds @wire in pieces and collects every response (or "ERR:<code>" for
 * a malformed one). */
static GPtrArray *
parse_all (const char *wire, gsize len, Split split, guint32 seed, GPtrArray *responses)
{
  g_autoptr(MlImapResponseParser) p = ml_imap_response_parser_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  GPtrArray *log = g_ptr_array_new_with_free_func (g_free);
  gsize pos = 0;

  while (pos < len)
    {
      gsize n = len - pos;

      if (split == SPLIT_BYTES)
        n = 1;
      else if (split == SPLIT_RANDOM)
        {
          gsize piece = (gsize) g_rand_int_range (rand, 1, 40);

          n = MIN (n, piece);
        }
      ml_imap_response_parser_push (p, (const guint8 *) wire + pos, n);
      pos += n;
      for (;;)
        {
          MlImapResponse *r = NULL;
          g_autoptr(GError) error = NULL;
          MlImapResponseResult res = ml_imap_response_parser_next (p, &r, &error);

          if (res == ML_IMAP_RESPONSE_NEED_MORE)
            {
              g_assert_null (r);
              break;
            }
          if (res == ML_IMAP_RESPONSE_MALFORMED)
            {
              g_assert_nonnull (error);
              g_assert_null (r);
              g_ptr_array_add (log, g_strdup_printf ("ERR:%d", error->code));
              continue;
            }
          g_assert_no_error (error);
          g_assert_nonnull (r);
          g_ptr_array_add (log, g_strdup (r->raw));
          if (responses != NULL)
            g_ptr_array_add (responses, r);
          else
            ml_imap_response_free (r);
        }
    }
  return log;
}

/* One response, checked to come out the same for every split. */
static MlImapResponse *
parse_one (const char *wire)
{
  g_autoptr(GPtrArray) whole = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_imap_response_free);
  g_autoptr(GPtrArray) log = parse_all (wire, strlen (wire), SPLIT_WHOLE, 1, whole);

  for (Split s = SPLIT_BYTES; s <= SPLIT_RANDOM; s++)
    for (guint32 seed = 1; seed <= (s == SPLIT_RANDOM ? 5u : 1u); seed++)
      {
        g_autoptr(GPtrArray) other = parse_all (wire, strlen (wire), s, seed, NULL);

        g_assert_cmpuint (other->len, ==, log->len);
        for (guint i = 0; i < log->len; i++)
          g_assert_cmpstr (other->pdata[i], ==, log->pdata[i]);
      }
  g_assert_cmpuint (whole->len, ==, 1);
  return g_ptr_array_steal_index (whole, 0);
}

static void
assert_strv (GStrv got, const char *joined)
{
  g_autofree char *s = NULL;

  g_assert_nonnull (got);
  s = g_strjoinv ("|", got);
  g_assert_cmpstr (s, ==, joined);
}

/* ---- status responses ---- */

static void
test_greeting (void)
{
  g_autoptr(MlImapResponse) r =
    parse_one ("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN IDLE] mail.b.example ready\r\n");
  g_autofree char *key = ml_imap_response_dup_explain_key (r);

  g_assert_cmpint (r->kind, ==, ML_IMAP_RESPONSE_KIND_UNTAGGED);
  g_assert_cmpint (r->status, ==, ML_IMAP_STATUS_OK);
  g_assert_cmpint (r->data, ==, ML_IMAP_DATA_NONE);
  g_assert_nonnull (r->code);
  g_assert_cmpint (r->code->kind, ==, ML_IMAP_CODE_CAPABILITY);
  assert_strv (r->code->list, "IMAP4rev1|LITERAL+|SASL-IR|AUTH=PLAIN|IDLE");
  g_assert_cmpstr (r->text, ==, "mail.b.example ready");
  g_assert_cmpstr (key, ==, "imap.ok");
  g_assert_cmpstr (r->raw, ==, "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN IDLE] mail.b.example ready");
  g_assert_cmpuint (r->wire_size, ==, strlen (r->raw) + 2);
}

static void
test_preauth_bye (void)
{
  g_autoptr(MlImapResponse) pre = parse_one ("* PREAUTH IMAP4rev1 server logged in as bob\r\n");
  g_autoptr(MlImapResponse) bye = parse_one ("* BYE Autologout; idle for too long\r\n");
  g_autofree char *k1 = ml_imap_response_dup_explain_key (pre);
  g_autofree char *k2 = ml_imap_response_dup_explain_key (bye);

  g_assert_cmpint (pre->status, ==, ML_IMAP_STATUS_PREAUTH);
  g_assert_null (pre->code);
  g_assert_cmpstr (pre->text, ==, "IMAP4rev1 server logged in as bob");
  g_assert_cmpint (bye->status, ==, ML_IMAP_STATUS_BYE);
  g_assert_cmpstr (bye->text, ==, "Autologout; idle for too long");
  g_assert_cmpstr (k1, ==, "imap.preauth");
  g_assert_cmpstr (k2, ==, "imap.bye");
}

static void
test_tagged (void)
{
  g_autoptr(MlImapResponse) ok = parse_one ("a2 OK [READ-WRITE] SELECT completed\r\n");
  g_autoptr(MlImapResponse) no = parse_one ("a3 NO [TRYCREATE] no such mailbox\r\n");
  g_autoptr(MlImapResponse) bad = parse_one ("A0005 bad command unknown\r\n");
  g_autoptr(MlImapResponse) bare = parse_one ("a4 OK\r\n");
  g_autofree char *k1 = ml_imap_response_dup_explain_key (ok);
  g_autofree char *k2 = ml_imap_response_dup_explain_key (no);
  g_autofree char *k3 = ml_imap_response_dup_explain_key (bad);

  g_assert_cmpint (ok->kind, ==, ML_IMAP_RESPONSE_KIND_TAGGED);
  g_assert_cmpstr (ok->tag, ==, "a2");
  g_assert_cmpint (ok->status, ==, ML_IMAP_STATUS_OK);
  g_assert_cmpint (ok->code->kind, ==, ML_IMAP_CODE_READ_WRITE);
  g_assert_cmpstr (ok->code->name, ==, "READ-WRITE");
  g_assert_null (ok->code->args);
  g_assert_cmpstr (ok->text, ==, "SELECT completed");
  g_assert_cmpint (no->status, ==, ML_IMAP_STATUS_NO);
  g_assert_cmpint (no->code->kind, ==, ML_IMAP_CODE_TRYCREATE);
  /* Status words are case-insensitive (RFC 3501 9). */
  g_assert_cmpint (bad->status, ==, ML_IMAP_STATUS_BAD);
  g_assert_cmpstr (bad->tag, ==, "A0005");
  g_assert_cmpstr (bare->text, ==, "");
  g_assert_null (bare->code);
  g_assert_cmpstr (k1, ==, "imap.ok");
  g_assert_cmpstr (k2, ==, "imap.no");
  g_assert_cmpstr (k3, ==, "imap.bad");
}

static void
test_continuation (void)
{
  g_autoptr(MlImapResponse) text = parse_one ("+ Ready for literal data\r\n");
  g_autoptr(MlImapResponse) b64 = parse_one ("+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzmeTxOVC==\r\n");
  g_autoptr(MlImapResponse) empty = parse_one ("+ \r\n");
  g_autoptr(MlImapResponse) bare = parse_one ("+\r\n");
  g_autofree char *key = ml_imap_response_dup_explain_key (text);

  g_assert_cmpint (text->kind, ==, ML_IMAP_RESPONSE_KIND_CONTINUATION);
  g_assert_cmpint (text->status, ==, ML_IMAP_STATUS_NONE);
  g_assert_cmpstr (text->text, ==, "Ready for literal data");
  g_assert_cmpstr (b64->text, ==, "YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzmeTxOVC==");
  g_assert_cmpstr (empty->text, ==, "");
  g_assert_cmpstr (empty->raw, ==, "+ ");
  g_assert_cmpstr (bare->text, ==, "");
  g_assert_cmpstr (key, ==, "imap.continuation");
}

/* ---- response codes ---- */

static void
test_codes (void)
{
  g_autoptr(MlImapResponse) uv = parse_one ("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n");
  g_autoptr(MlImapResponse) un = parse_one ("* OK [UIDNEXT 4392] Predicted next UID\r\n");
  g_autoptr(MlImapResponse) us = parse_one ("* OK [UNSEEN 12] Message 12 is first unseen\r\n");
  g_autoptr(MlImapResponse) pf = parse_one ("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n");
  g_autoptr(MlImapResponse) cu = parse_one ("a5 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n");
  g_autoptr(MlImapResponse) au = parse_one ("a6 OK [APPENDUID 38505 3955] APPEND completed\r\n");
  g_autoptr(MlImapResponse) bc = parse_one ("a7 NO [BADCHARSET (UTF-8 \"US-ASCII\")] no\r\n");
  g_autoptr(MlImapResponse) bc0 = parse_one ("a7 NO [BADCHARSET] no\r\n");
  g_autoptr(MlImapResponse) al = parse_one ("* OK [ALERT] System shutdown in 10 minutes\r\n");
  g_autoptr(MlImapResponse) ot = parse_one ("a8 NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  g_autoptr(MlImapResponse) ox = parse_one ("* OK [HIGHESTMODSEQ 715194045007] Highest\r\n");
  g_autoptr(GArray) src = NULL, dst = NULL;

  g_assert_cmpint (uv->code->kind, ==, ML_IMAP_CODE_UIDVALIDITY);
  g_assert_cmpuint (uv->code->number, ==, 3857529045u);
  g_assert_cmpstr (uv->text, ==, "UIDs valid");
  g_assert_cmpint (un->code->kind, ==, ML_IMAP_CODE_UIDNEXT);
  g_assert_cmpuint (un->code->number, ==, 4392);
  g_assert_cmpint (us->code->kind, ==, ML_IMAP_CODE_UNSEEN);
  g_assert_cmpuint (us->code->number, ==, 12);
  g_assert_cmpint (pf->code->kind, ==, ML_IMAP_CODE_PERMANENTFLAGS);
  assert_strv (pf->code->list, "\\Deleted|\\Seen|\\*");
  g_assert_cmpint (cu->code->kind, ==, ML_IMAP_CODE_COPYUID);
  g_assert_cmpuint (cu->code->number, ==, 38505);
  g_assert_cmpstr (cu->code->source_uids, ==, "304,319:320");
  g_assert_cmpstr (cu->code->dest_uids, ==, "3956:3958");
  src = ml_imap_uid_set_expand (cu->code->source_uids, 100);
  dst = ml_imap_uid_set_expand (cu->code->dest_uids, 100);
  g_assert_cmpuint (src->len, ==, 3);
  g_assert_cmpuint (dst->len, ==, 3);
  g_assert_cmpuint (g_array_index (src, guint32, 1), ==, 319);
  g_assert_cmpuint (g_array_index (dst, guint32, 2), ==, 3958);
  g_assert_cmpint (au->code->kind, ==, ML_IMAP_CODE_APPENDUID);
  g_assert_cmpuint (au->code->number, ==, 38505);
  g_assert_cmpstr (au->code->dest_uids, ==, "3955");
  g_assert_cmpint (bc->code->kind, ==, ML_IMAP_CODE_BADCHARSET);
  assert_strv (bc->code->list, "UTF-8|US-ASCII");
  g_assert_null (bc0->code->list);
  g_assert_cmpint (al->code->kind, ==, ML_IMAP_CODE_ALERT);
  g_assert_cmpstr (al->text, ==, "System shutdown in 10 minutes");
  g_assert_cmpint (ot->code->kind, ==, ML_IMAP_CODE_OTHER);
  g_assert_cmpstr (ot->code->name, ==, "AUTHENTICATIONFAILED");
  g_assert_cmpint (ox->code->kind, ==, ML_IMAP_CODE_OTHER);
  g_assert_cmpstr (ox->code->args, ==, "715194045007");
}

static void
test_uid_set_expand (void)
{
  g_autoptr(GArray) a = ml_imap_uid_set_expand ("5:3,9", 10);
  g_autoptr(GArray) too_many = ml_imap_uid_set_expand ("1:100", 10);
  g_autoptr(GArray) star = ml_imap_uid_set_expand ("1:*", 10);
  g_autoptr(GArray) junk = ml_imap_uid_set_expand ("1,,2", 10);

  g_assert_nonnull (a);
  g_assert_cmpuint (a->len, ==, 4);
  g_assert_cmpuint (g_array_index (a, guint32, 0), ==, 3);
  g_assert_cmpuint (g_array_index (a, guint32, 3), ==, 9);
  g_assert_null (too_many);
  g_assert_null (star);
  g_assert_null (junk);
}

/* ---- untagged data ---- */

static void
test_mailbox_size (void)
{
  g_autoptr(MlImapResponse) ex = parse_one ("* 23 EXISTS\r\n");
  g_autoptr(MlImapResponse) re = parse_one ("* 5 recent\r\n");
  g_autoptr(MlImapResponse) xp = parse_one ("* 44 EXPUNGE\r\n");
  g_autofree char *k1 = ml_imap_response_dup_explain_key (ex);
  g_autofree char *k2 = ml_imap_response_dup_explain_key (re);
  g_autofree char *k3 = ml_imap_response_dup_explain_key (xp);

  g_assert_cmpint (ex->data, ==, ML_IMAP_DATA_EXISTS);
  g_assert_cmpuint (ex->number, ==, 23);
  g_assert_cmpint (re->data, ==, ML_IMAP_DATA_RECENT);
  g_assert_cmpuint (re->number, ==, 5);
  g_assert_cmpint (xp->data, ==, ML_IMAP_DATA_EXPUNGE);
  g_assert_cmpuint (xp->number, ==, 44);
  g_assert_cmpstr (k1, ==, "imap.untagged.exists");
  g_assert_cmpstr (k2, ==, "imap.untagged.recent");
  g_assert_cmpstr (k3, ==, "imap.untagged.expunge");
}

static void
test_capability_flags_enabled (void)
{
  g_autoptr(MlImapResponse) cap = parse_one ("* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n");
  g_autoptr(MlImapResponse) fl = parse_one ("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)\r\n");
  g_autoptr(MlImapResponse) en = parse_one ("* ENABLED CONDSTORE\r\n");
  g_autoptr(MlImapResponse) none = parse_one ("* FLAGS ()\r\n");
  g_autofree char *key = ml_imap_response_dup_explain_key (cap);

  g_assert_cmpint (cap->data, ==, ML_IMAP_DATA_CAPABILITY);
  assert_strv (cap->atoms, "IMAP4rev1|STARTTLS|AUTH=GSSAPI|LOGINDISABLED");
  g_assert_cmpstr (key, ==, "imap.untagged.capability");
  g_assert_cmpint (fl->data, ==, ML_IMAP_DATA_FLAGS);
  assert_strv (fl->atoms, "\\Answered|\\Flagged|\\Deleted|\\Seen|\\Draft|$Important");
  g_assert_cmpint (en->data, ==, ML_IMAP_DATA_ENABLED);
  assert_strv (en->atoms, "CONDSTORE");
  g_assert_cmpuint (g_strv_length (none->atoms), ==, 0);
}

static void
test_list (void)
{
  g_autoptr(MlImapResponse) sent = parse_one ("* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n");
  g_autoptr(MlImapResponse) inbox = parse_one ("* LIST () \".\" inbox\r\n");
  g_autoptr(MlImapResponse) nil = parse_one ("* LIST (\\Noselect) NIL \"\"\r\n");
  g_autoptr(MlImapResponse) lit = parse_one ("* LIST () \"/\" {11}\r\nMy \"Folder\"\r\n");
  g_autoptr(MlImapResponse) quoted = parse_one ("* LSUB () \"/\" \"Old Mail\"\r\n");
  g_autoptr(MlImapResponse) ext = parse_one ("* LIST (\\Subscribed) \"/\" Foo (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n");

  g_assert_cmpint (sent->data, ==, ML_IMAP_DATA_LIST);
  assert_strv (sent->atoms, "\\HasNoChildren|\\Sent");
  g_assert_cmpint (sent->delimiter, ==, '/');
  g_assert_cmpstr (sent->mailbox, ==, "Sent");
  /* RFC 3501 5.1: INBOX in any case is INBOX. */
  g_assert_cmpstr (inbox->mailbox, ==, "INBOX");
  g_assert_cmpint (inbox->delimiter, ==, '.');
  g_assert_cmpint (nil->delimiter, ==, 0);
  g_assert_cmpstr (nil->mailbox, ==, "");
  g_assert_cmpstr (lit->mailbox, ==, "My \"Folder\"");
  g_assert_cmpstr (lit->raw, ==, "* LIST () \"/\" {11}\nMy \"Folder\"");
  g_assert_cmpint (quoted->data, ==, ML_IMAP_DATA_LSUB);
  g_assert_cmpstr (quoted->mailbox, ==, "Old Mail");
  g_assert_cmpstr (ext->mailbox, ==, "Foo");
}

static void
test_status_search (void)
{
  g_autoptr(MlImapResponse) st = parse_one ("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292 HIGHESTMODSEQ 7011231777)\r\n");
  g_autoptr(MlImapResponse) se = parse_one ("* SEARCH 2 3 6\r\n");
  g_autoptr(MlImapResponse) empty = parse_one ("* SEARCH\r\n");
  g_autoptr(MlImapResponse) ms = parse_one ("* SEARCH 2 5 6 (MODSEQ 917162500)\r\n");
  guint64 v = 0;

  g_assert_cmpint (st->data, ==, ML_IMAP_DATA_STATUS);
  g_assert_cmpstr (st->mailbox, ==, "blurdybloop");
  g_assert_true (ml_imap_response_get_item (st, "messages", &v));
  g_assert_cmpuint (v, ==, 231);
  g_assert_true (ml_imap_response_get_item (st, "HIGHESTMODSEQ", &v));
  g_assert_cmpuint (v, ==, G_GUINT64_CONSTANT (7011231777));
  g_assert_false (ml_imap_response_get_item (st, "UNSEEN", &v));
  g_assert_cmpint (se->data, ==, ML_IMAP_DATA_SEARCH);
  g_assert_cmpuint (se->numbers->len, ==, 3);
  g_assert_cmpuint (g_array_index (se->numbers, guint32, 2), ==, 6);
  g_assert_cmpuint (empty->numbers->len, ==, 0);
  g_assert_cmpuint (ms->numbers->len, ==, 3);
}

static void
test_quota_namespace_id (void)
{
  g_autoptr(MlImapResponse) q = parse_one ("* QUOTA \"\" (STORAGE 10 512 MESSAGE 2 1000)\r\n");
  g_autoptr(MlImapResponse) qr = parse_one ("* QUOTAROOT INBOX \"\" user.bob\r\n");
  g_autoptr(MlImapResponse) ns = parse_one ("* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) NIL\r\n");
  g_autoptr(MlImapResponse) id = parse_one ("* ID (\"name\" \"maillab\" \"version\" NIL)\r\n");
  g_autoptr(MlImapResponse) idnil = parse_one ("* ID NIL\r\n");
  const MlImapItem *it;
  const MlImapNamespace *n;

  g_assert_cmpint (q->data, ==, ML_IMAP_DATA_QUOTA);
  g_assert_cmpstr (q->quota_root, ==, "");
  g_assert_cmpuint (q->items->len, ==, 2);
  it = &g_array_index (q->items, MlImapItem, 0);
  g_assert_cmpstr (it->name, ==, "STORAGE");
  g_assert_cmpuint (it->value, ==, 10);
  g_assert_cmpuint (it->limit, ==, 512);
  g_assert_cmpint (qr->data, ==, ML_IMAP_DATA_QUOTAROOT);
  g_assert_cmpstr (qr->mailbox, ==, "INBOX");
  assert_strv (qr->atoms, "|user.bob");
  g_assert_cmpint (ns->data, ==, ML_IMAP_DATA_NAMESPACE);
  g_assert_nonnull (ns->namespaces[0]);
  n = g_ptr_array_index (ns->namespaces[0], 0);
  g_assert_cmpstr (n->prefix, ==, "");
  g_assert_cmpint (n->delimiter, ==, '/');
  n = g_ptr_array_index (ns->namespaces[1], 0);
  g_assert_cmpstr (n->prefix, ==, "~");
  g_assert_null (ns->namespaces[2]);
  g_assert_cmpint (id->data, ==, ML_IMAP_DATA_ID);
  g_assert_cmpuint (id->id_params->len, ==, 4);
  g_assert_cmpstr (id->id_params->pdata[1], ==, "maillab");
  g_assert_null (id->id_params->pdata[3]);
  g_assert_null (idnil->id_params);
}

static void
test_other_data (void)
{
  g_autoptr(MlImapResponse) x = parse_one ("* XSTATE (A 1) B\r\n");
  g_autoptr(MlImapResponse) n = parse_one ("* 3 XNUMBERED foo\r\n");
  g_autofree char *key = ml_imap_response_dup_explain_key (x);

  g_assert_cmpint (x->data, ==, ML_IMAP_DATA_OTHER);
  g_assert_cmpstr (x->data_name, ==, "XSTATE");
  g_assert_cmpstr (key, ==, "imap.untagged.xstate");
  g_assert_cmpint (n->data, ==, ML_IMAP_DATA_OTHER);
  g_assert_cmpuint (n->number, ==, 3);
}

/* ---- FETCH ---- */

#define HEADER "Subject: Lunch?\r\nFrom: alice@a.example\r\n\r\n"   /* 42 octets */

static void
test_fetch_literal (void)
{
  g_autoptr(MlImapResponse) r =
    parse_one ("* 2 FETCH (UID 7 FLAGS (\\Seen $Label1) RFC822.SIZE 4100 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
               "BODY[HEADER] {42}\r\n" HEADER ")\r\n");
  const MlImapFetchBody *b;
  g_autofree char *key = ml_imap_response_dup_explain_key (r);

  g_assert_cmpint (r->data, ==, ML_IMAP_DATA_FETCH);
  g_assert_cmpuint (r->number, ==, 2);
  g_assert_nonnull (r->fetch);
  g_assert_cmpuint (r->fetch->uid, ==, 7);
  assert_strv (r->fetch->flags, "\\Seen|$Label1");
  g_assert_true (r->fetch->has_size);
  g_assert_cmpuint (r->fetch->rfc822_size, ==, 4100);
  g_assert_cmpstr (r->fetch->internal_date, ==, "17-Jul-1996 02:44:25 -0700");
  b = ml_imap_fetch_find_body (r->fetch, "header");
  g_assert_nonnull (b);
  g_assert_cmpstr (b->name, ==, "BODY[HEADER]");
  g_assert_cmpint (b->origin, ==, -1);
  g_assert_cmpuint (g_bytes_get_size (b->data), ==, 42);
  g_assert_cmpmem (g_bytes_get_data (b->data, NULL), 42, HEADER, 42);
  g_assert_cmpstr (key, ==, "imap.untagged.fetch");
  /* The ladder shows the response as it came, CRLFs as line breaks. */
  g_assert_cmpstr (r->raw, ==, "* 2 FETCH (UID 7 FLAGS (\\Seen $Label1) RFC822.SIZE 4100 INTERNALDATE "
                               "\"17-Jul-1996 02:44:25 -0700\" BODY[HEADER] {42}\n"
                               "Subject: Lunch?\nFrom: alice@a.example\n\n)");
}

static void
test_fetch_sections (void)
{
  g_autoptr(MlImapResponse) r =
    parse_one ("* 1 FETCH (BODY[] {5}\r\nHello BODY[HEADER.FIELDS (SUBJECT from)] {16}\r\nSubject: x\r\n\r\n\r\n"
               " BODY[1.MIME] NIL BODY[TEXT]<0> \"abc\" RFC822.TEXT {2}\r\nhi)\r\n");
  const MlImapFetchBody *b;

  g_assert_cmpuint (r->fetch->bodies->len, ==, 5);
  b = ml_imap_fetch_find_body (r->fetch, "");
  g_assert_cmpstr (b->name, ==, "BODY[]");
  g_assert_cmpmem (g_bytes_get_data (b->data, NULL), g_bytes_get_size (b->data), "Hello", 5);
  b = g_ptr_array_index (r->fetch->bodies, 1);
  g_assert_cmpstr (b->section, ==, "HEADER.FIELDS (SUBJECT FROM)");
  g_assert_cmpuint (g_bytes_get_size (b->data), ==, 16);
  b = ml_imap_fetch_find_body (r->fetch, "1.MIME");
  g_assert_nonnull (b);
  g_assert_null (b->data);
  b = ml_imap_fetch_find_body (r->fetch, "TEXT");
  g_assert_cmpint (b->origin, ==, 0);
  g_assert_cmpstr (b->name, ==, "BODY[TEXT]");
  b = ml_imap_fetch_find_body (r->fetch, "RFC822.TEXT");
  g_assert_nonnull (b);
  g_assert_null (b->section);
  g_assert_cmpuint (g_bytes_get_size (b->data), ==, 2);
}

static void
test_fetch_envelope (void)
{
  g_autoptr(MlImapResponse) r =
    parse_one ("* 12 FETCH (ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" "
               "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
               "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) "
               "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
               "\"<B27397-0100000@cac.washington.edu>\"))\r\n");
  const MlImapEnvelope *e = r->fetch->envelope;
  const MlImapAddress *a;

  g_assert_nonnull (e);
  g_assert_cmpstr (e->subject, ==, "IMAP4rev1 WG mtg summary and minutes");
  g_assert_cmpuint (e->from->len, ==, 1);
  a = g_ptr_array_index (e->from, 0);
  g_assert_cmpstr (a->name, ==, "Terry Gray");
  g_assert_null (a->adl);
  g_assert_cmpstr (a->mailbox, ==, "gray");
  g_assert_cmpstr (a->host, ==, "cac.washington.edu");
  g_assert_cmpuint (e->cc->len, ==, 2);
  g_assert_null (e->bcc);
  g_assert_null (e->in_reply_to);
  g_assert_cmpstr (e->message_id, ==, "<B27397-0100000@cac.washington.edu>");
}

static void
test_fetch_bodystructure (void)
{
  /* multipart/mixed: text/plain, then a forwarded message/rfc822 that is
   * itself multipart/alternative — three levels. */
  g_autoptr(MlImapResponse) r =
    parse_one ("* 3 FETCH (UID 9 BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23 NIL NIL NIL)"
               "(\"MESSAGE\" \"RFC822\" NIL NIL \"forwarded\" \"7BIT\" 900 "
               "(NIL \"Fwd\" NIL NIL NIL NIL NIL NIL NIL NIL) "
               "((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 1)(\"TEXT\" \"HTML\" NIL NIL NIL \"QUOTED-PRINTABLE\" 20 2) \"ALTERNATIVE\") 30)"
               " \"MIXED\" (\"BOUNDARY\" \"x\") NIL NIL))\r\n");
  const MlImapBodyPart *b = r->fetch->body, *p, *inner;

  g_assert_nonnull (b);
  g_assert_cmpstr (b->type, ==, "MULTIPART");
  g_assert_cmpstr (b->subtype, ==, "MIXED");
  g_assert_cmpuint (b->parts->len, ==, 2);
  p = g_ptr_array_index (b->parts, 0);
  g_assert_cmpstr (p->type, ==, "TEXT");
  g_assert_cmpstr (p->subtype, ==, "PLAIN");
  g_assert_cmpstr (p->params->pdata[1], ==, "US-ASCII");
  g_assert_cmpuint (p->size, ==, 1152);
  g_assert_cmpuint (p->lines, ==, 23);
  p = g_ptr_array_index (b->parts, 1);
  g_assert_cmpstr (p->type, ==, "MESSAGE");
  g_assert_cmpstr (p->description, ==, "forwarded");
  g_assert_cmpstr (p->envelope->subject, ==, "Fwd");
  g_assert_cmpuint (p->lines, ==, 30);
  inner = p->body;
  g_assert_cmpstr (inner->subtype, ==, "ALTERNATIVE");
  g_assert_cmpuint (inner->parts->len, ==, 2);
  g_assert_cmpstr (((MlImapBodyPart *) g_ptr_array_index (inner->parts, 1))->encoding, ==, "QUOTED-PRINTABLE");
}

static void
test_fetch_flags_modseq (void)
{
  g_autoptr(MlImapResponse) r = parse_one ("* 4 FETCH (FLAGS () MODSEQ (12121231000))\r\n");
  g_autoptr(MlImapResponse) u = parse_one ("* 4 FETCH (UID 4 X-GM-LABELS (a b) FLAGS (\\Seen))\r\n");

  g_assert_cmpuint (g_strv_length (r->fetch->flags), ==, 0);
  g_assert_cmpuint (r->fetch->uid, ==, 0);
  g_assert_false (r->fetch->has_size);
  g_assert_cmpuint (r->fetch->modseq, ==, G_GUINT64_CONSTANT (12121231000));
  /* An item we do not know is stepped over with its value. */
  assert_strv (u->fetch->flags, "\\Seen");
}

/* ---- malformed input ---- */

static void
test_malformed (void)
{
  static const struct {
    const char *wire;
    int         code;
  } cases[] = {
    { "\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "hello\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },                     /* tag, no status */
    { "a1 PREAUTH no\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },            /* only OK/NO/BAD tagged */
    { "a+1 OK x\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },                 /* "+" in a tag */
    { "(x) OK\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* OK [UIDVALIDITY abc] x\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* OK [UIDVALIDITY] x\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* OK [ALERT x\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* OK [] x\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "a1 OK [COPYUID 1 2] x\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "a1 OK [COPYUID 1 2:* 3] x\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 0 EXPUNGE\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 3 EXISTS now\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 4294967296 EXISTS\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 3 FETCH UID 4\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 3 FETCH (UID)\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 3 FETCH (UID 0)\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 3 FETCH (FLAGS \\Seen)\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 3 FETCH (BODY[FOO] NIL)\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 1 FETCH (BODY[b)\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },       /* found by fuzzing */
    { "* 1 FETCH (BODY[HEADER.FIELDS (A) NIL)\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 3 FETCH (BODY[] (x))\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 3 FETCH (ENVELOPE (NIL NIL))\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 3 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\"))\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* 3 FETCH (UID 4\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },         /* unbalanced */
    { "* 0 FETCH (UID 4)\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* SEARCH 1 x 3\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* SEARCH 1 (FOO 2)\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* LIST (\\Noselect) \"//\" x\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* LIST \\Noselect \"/\" x\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* STATUS INBOX (MESSAGES)\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* FLAGS (\"x\")\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* CAPABILITY IMAP4rev1 \"x\"\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* NAMESPACE NIL NIL\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* ID (\"a\")\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
    { "* OK hello\0world\r\n", ML_IMAP_RESPONSE_ERROR_BAD_CHARACTER },
    { "* 1 FETCH (BODY[] {3}\r\na\0b)\r\n", ML_IMAP_RESPONSE_ERROR_BAD_CHARACTER },
    { "* CAPABILITY IMAP4rev1\rX\r\n", ML_IMAP_RESPONSE_ERROR_SYNTAX },
  };
  /* Each malformed response is followed by a good one, which must still
   * come out: the parser steps over the broken one and goes on. */
  static const char good[] = "a9 OK still here\r\n";

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize wlen = strlen (cases[i].wire);
      g_autofree char *wire = NULL;
      g_autofree char *want = g_strdup_printf ("ERR:%d", cases[i].code);

      /* The NUL cases: their length is up to the CRLF that ends them. */
      if (strstr (cases[i].wire, "hello") != NULL && cases[i].code == ML_IMAP_RESPONSE_ERROR_BAD_CHARACTER)
        wlen = sizeof "* OK hello\0world\r\n" - 1;
      else if (cases[i].code == ML_IMAP_RESPONSE_ERROR_BAD_CHARACTER)
        wlen = sizeof "* 1 FETCH (BODY[] {3}\r\na\0b)\r\n" - 1;
      wire = g_malloc (wlen + sizeof good);
      memcpy (wire, cases[i].wire, wlen);
      memcpy (wire + wlen, good, sizeof good);

      for (Split s = SPLIT_WHOLE; s <= SPLIT_RANDOM; s++)
        {
          g_autoptr(GPtrArray) log = parse_all (wire, wlen + sizeof good - 1, s, i + 1, NULL);

          g_assert_cmpuint (log->len, ==, 2);
          g_assert_cmpstr (log->pdata[0], ==, want);
          g_assert_cmpstr (log->pdata[1], ==, "a9 OK still here");
        }
    }
}

/* ---- limits ---- */

static void
test_literal_too_large (void)
{
  g_autoptr(MlImapResponseParser) p = ml_imap_response_parser_new ();
  g_autofree char *wire = g_strdup_printf ("* 1 FETCH (BODY[] {%u}\r\nabc", ML_IMAP_RESPONSE_MAX_LITERAL + 1);
  MlImapResponse *r = NULL;
  g_autoptr(GError) error = NULL;

  ml_imap_response_parser_push (p, (const guint8 *) wire, strlen (wire));
  g_assert_cmpint (ml_imap_response_parser_next (p, &r, &error), ==, ML_IMAP_RESPONSE_MALFORMED);
  g_assert_error (error, ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_LITERAL_TOO_LARGE);
  g_assert_null (r);
  /* The stream cannot be followed any more: nothing else comes out. */
  ml_imap_response_parser_push (p, (const guint8 *) ")\r\na1 OK x\r\n", 12);
  g_assert_cmpint (ml_imap_response_parser_next (p, &r, NULL), ==, ML_IMAP_RESPONSE_NEED_MORE);
  /* A reset starts afresh. */
  ml_imap_response_parser_reset (p);
  ml_imap_response_parser_push (p, (const guint8 *) "a1 OK x\r\n", 9);
  g_assert_cmpint (ml_imap_response_parser_next (p, &r, NULL), ==, ML_IMAP_RESPONSE_READY);
  g_assert_cmpstr (r->tag, ==, "a1");
  ml_imap_response_free (r);
}

static void
test_too_many_literals (void)
{
  GString *wire = g_string_new ("* 1 FETCH (");
  g_autoptr(GPtrArray) log = NULL;

  for (guint i = 0; i <= ML_IMAP_RESPONSE_MAX_LITERALS; i++)
    g_string_append_printf (wire, "BODY[%u] {1}\r\nx ", i + 1);
  g_string_append (wire, ")\r\n");
  /* Whole, the literals arrive with their announcements and the response
   * is refused once read; byte by byte, at the announcement too many. */
  for (Split s = SPLIT_WHOLE; s <= SPLIT_BYTES; s++)
    {
      g_clear_pointer (&log, g_ptr_array_unref);
      log = parse_all (wire->str, wire->len, s, 1, NULL);
      g_assert_cmpuint (log->len, ==, 1);
      g_assert_cmpstr (log->pdata[0], ==, "ERR:2");  /* LITERAL_TOO_LARGE */
    }
  g_string_free (wire, TRUE);
}

static void
test_line_too_long (void)
{
  GString *wire = g_string_new ("* OK ");
  g_autoptr(GPtrArray) log = NULL;

  while (wire->len <= ML_IMAP_RESPONSE_MAX_LINE)
    g_string_append (wire, "blah ");
  g_string_append (wire, "\r\na1 OK fine\r\n");
  for (Split s = SPLIT_WHOLE; s <= SPLIT_RANDOM; s += 2)
    {
      g_clear_pointer (&log, g_ptr_array_unref);
      log = parse_all (wire->str, wire->len, s, 3, NULL);
      g_assert_cmpuint (log->len, ==, 2);
      g_assert_cmpstr (log->pdata[0], ==, "ERR:1");
      g_assert_cmpstr (log->pdata[1], ==, "a1 OK fine");
    }
  g_string_free (wire, TRUE);
}

static void
test_too_deep (void)
{
  GString *wire = g_string_new ("* 1 FETCH (BODYSTRUCTURE ");
  g_autoptr(GPtrArray) log = NULL;

  for (guint i = 0; i < ML_IMAP_RESPONSE_MAX_DEPTH + 2; i++)
    g_string_append_c (wire, '(');
  g_string_append (wire, "\r\na1 OK fine\r\n");
  log = parse_all (wire->str, wire->len, SPLIT_WHOLE, 1, NULL);
  g_assert_cmpuint (log->len, ==, 2);
  g_assert_cmpstr (log->pdata[0], ==, "ERR:3");
  g_assert_cmpstr (log->pdata[1], ==, "a1 OK fine");
  g_string_free (wire, TRUE);
}

/* ---- a whole session, every split ---- */

static const char session[] =
  "* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE MOVE UIDPLUS] ready\r\n"
  "a1 OK [CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS] Logged in\r\n"
  "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
  "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
  "a2 OK LIST completed\r\n"
  "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
  "* 2 EXISTS\r\n"
  "* 0 RECENT\r\n"
  "* OK [UIDVALIDITY 1] UIDs valid\r\n"
  "* OK [UIDNEXT 3] Predicted next UID\r\n"
  "a3 OK [READ-WRITE] SELECT completed\r\n"
  "* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 100 BODY[HEADER] {17}\r\nSubject: Lunch?\r\n)\r\n"
  "* 2 FETCH (UID 2 FLAGS (\\Seen) RFC822.SIZE 50 BODY[HEADER] {0}\r\n)\r\n"
  "a4 OK FETCH completed\r\n"
  "+ idling\r\n"
  "* 3 EXISTS\r\n"
  "a5 OK IDLE terminated\r\n"
  "* BYE logging out\r\n"
  "a6 OK LOGOUT completed\r\n";

static void
test_session_splits (void)
{
  g_autoptr(GPtrArray) whole = parse_all (session, sizeof session - 1, SPLIT_WHOLE, 1, NULL);
  g_autoptr(GPtrArray) bytes = parse_all (session, sizeof session - 1, SPLIT_BYTES, 1, NULL);

  g_assert_cmpuint (whole->len, ==, 19);
  g_assert_cmpstr (whole->pdata[11], ==, "* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 100 BODY[HEADER] {17}\nSubject: Lunch?\n)");
  g_assert_cmpuint (bytes->len, ==, whole->len);
  for (guint i = 0; i < whole->len; i++)
    g_assert_cmpstr (bytes->pdata[i], ==, whole->pdata[i]);
  for (guint32 seed = 1; seed <= 50; seed++)
    {
      g_autoptr(GPtrArray) random = parse_all (session, sizeof session - 1, SPLIT_RANDOM, seed, NULL);

      g_assert_cmpuint (random->len, ==, whole->len);
      for (guint i = 0; i < whole->len; i++)
        g_assert_cmpstr (random->pdata[i], ==, whole->pdata[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/imap-response/status/greeting", test_greeting);
  g_test_add_func ("/imap-response/status/preauth-bye", test_preauth_bye);
  g_test_add_func ("/imap-response/status/tagged", test_tagged);
  g_test_add_func ("/imap-response/continuation", test_continuation);
  g_test_add_func ("/imap-response/codes", test_codes);
  g_test_add_func ("/imap-response/uid-set-expand", test_uid_set_expand);
  g_test_add_func ("/imap-response/data/mailbox-size", test_mailbox_size);
  g_test_add_func ("/imap-response/data/capability-flags-enabled", test_capability_flags_enabled);
  g_test_add_func ("/imap-response/data/list", test_list);
  g_test_add_func ("/imap-response/data/status-search", test_status_search);
  g_test_add_func ("/imap-response/data/quota-namespace-id", test_quota_namespace_id);
  g_test_add_func ("/imap-response/data/other", test_other_data);
  g_test_add_func ("/imap-response/fetch/literal", test_fetch_literal);
  g_test_add_func ("/imap-response/fetch/sections", test_fetch_sections);
  g_test_add_func ("/imap-response/fetch/envelope", test_fetch_envelope);
  g_test_add_func ("/imap-response/fetch/bodystructure", test_fetch_bodystructure);
  g_test_add_func ("/imap-response/fetch/flags-modseq", test_fetch_flags_modseq);
  g_test_add_func ("/imap-response/malformed", test_malformed);
  g_test_add_func ("/imap-response/limits/literal-too-large", test_literal_too_large);
  g_test_add_func ("/imap-response/limits/too-many-literals", test_too_many_literals);
  g_test_add_func ("/imap-response/limits/line-too-long", test_line_too_long);
  g_test_add_func ("/imap-response/limits/too-deep", test_too_deep);
  g_test_add_func ("/imap-response/session-splits", test_session_splits);

  return g_test_run ();
}

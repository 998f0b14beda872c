/* A response is read in stages, each one tokenizer call that can be repeated
 * when bytes are missing: the tag ("*", "+" or the command's), the word
 * after it (a status, a data name, or a number), the word after a number,
 * then the rest — free text for status responses and "+", an argument tree
 * for data. Only when the line (and its literals) is complete is the tree
 * turned into an MlImapResponse, so a half-read response never reaches the
 * client.
 */
#define G_LOG_DOMAIN "ml-imap-response"

#include <string.h>
#include "proto/imap-response-private.h"
#include "proto/imap-sequence.h"

G_DEFINE_QUARK (ml-imap-response-error-quark, ml_imap_response_error)

typedef enum {
  STAGE_TAG = 0,
  STAGE_WORD,      /* after the tag */
  STAGE_NUMBERED,  /* after "* <number>" */
  STAGE_TEXT,      /* status text or continuation text */
  STAGE_EOL,
  STAGE_ARGS,      /* data arguments up to the end of the line */
  STAGE_SEARCH,    /* SEARCH numbers, token by token */
  STAGE_SKIP,      /* stepping over a broken response */
} Stage;

struct _MlImapResponseParser
{
  MlImapParser   *tok;
  Stage           stage;
  MlImapResponse *resp;
  guint           n_literals;
  guint64         literal_bytes;
  gboolean        search_modseq;  /* inside "(MODSEQ n)" of RFC 7162 3.1.5 */
  guint           search_step;
  /* A literal too large to read cannot be stepped over without reading it;
   * the stream is lost and every later call says NEED_MORE. */
  gboolean        broken;
};

/* ---- freeing ---- */

void
_ml_imap_address_free (gpointer data)
{
  MlImapAddress *a = data;

  g_free (a->name);
  g_free (a->adl);
  g_free (a->mailbox);
  g_free (a->host);
  g_free (a);
}

void
_ml_imap_envelope_free (MlImapEnvelope *e)
{
  if (e == NULL)
    return;
  g_free (e->date);
  g_free (e->subject);
  g_clear_pointer (&e->from, g_ptr_array_unref);
  g_clear_pointer (&e->sender, g_ptr_array_unref);
  g_clear_pointer (&e->reply_to, g_ptr_array_unref);
  g_clear_pointer (&e->to, g_ptr_array_unref);
  g_clear_pointer (&e->cc, g_ptr_array_unref);
  g_clear_pointer (&e->bcc, g_ptr_array_unref);
  g_free (e->in_reply_to);
  g_free (e->message_id);
  g_free (e);
}

void
_ml_imap_body_part_free (gpointer data)
{
  MlImapBodyPart *b = data;

  if (b == NULL)
    return;
  g_free (b->type);
  g_free (b->subtype);
  g_clear_pointer (&b->params, g_ptr_array_unref);
  g_free (b->id);
  g_free (b->description);
  g_free (b->encoding);
  _ml_imap_envelope_free (b->envelope);
  _ml_imap_body_part_free (b->body);
  g_clear_pointer (&b->parts, g_ptr_array_unref);
  g_free (b);
}

void
_ml_imap_fetch_body_free (gpointer data)
{
  MlImapFetchBody *b = data;

  g_free (b->name);
  g_free (b->section);
  g_clear_pointer (&b->data, g_bytes_unref);
  g_free (b);
}

static void
fetch_free (MlImapFetch *f)
{
  if (f == NULL)
    return;
  g_strfreev (f->flags);
  g_free (f->internal_date);
  _ml_imap_envelope_free (f->envelope);
  _ml_imap_body_part_free (f->body);
  g_ptr_array_unref (f->bodies);
  g_free (f);
}

void
_ml_imap_item_clear (gpointer data)
{
  g_free (((MlImapItem *) data)->name);
}

void
_ml_imap_namespace_free (gpointer data)
{
  MlImapNamespace *n = data;

  g_free (n->prefix);
  g_free (n);
}

static void
code_free (MlImapResponseCode *c)
{
  if (c == NULL)
    return;
  g_free (c->name);
  g_free (c->args);
  g_strfreev (c->list);
  g_free (c->source_uids);
  g_free (c->dest_uids);
  g_free (c);
}

void
ml_imap_response_free (MlImapResponse *r)
{
  if (r == NULL)
    return;
  g_free (r->tag);
  code_free (r->code);
  g_free (r->text);
  g_free (r->data_name);
  g_strfreev (r->atoms);
  g_clear_pointer (&r->numbers, g_array_unref);
  g_free (r->mailbox);
  g_clear_pointer (&r->items, g_array_unref);
  g_free (r->quota_root);
  fetch_free (r->fetch);
  for (guint i = 0; i < G_N_ELEMENTS (r->namespaces); i++)
    g_clear_pointer (&r->namespaces[i], g_ptr_array_unref);
  g_clear_pointer (&r->id_params, g_ptr_array_unref);
  g_free (r->raw);
  g_free (r);
}

/* ---- names ---- */

static const char * const status_names[] = {
  [ML_IMAP_STATUS_NONE]    = "",
  [ML_IMAP_STATUS_OK]      = "OK",
  [ML_IMAP_STATUS_NO]      = "NO",
  [ML_IMAP_STATUS_BAD]     = "BAD",
  [ML_IMAP_STATUS_PREAUTH] = "PREAUTH",
  [ML_IMAP_STATUS_BYE]     = "BYE",
};

static const char * const data_names[] = {
  [ML_IMAP_DATA_NONE]       = "",
  [ML_IMAP_DATA_CAPABILITY] = "CAPABILITY",
  [ML_IMAP_DATA_ENABLED]    = "ENABLED",
  [ML_IMAP_DATA_FLAGS]      = "FLAGS",
  [ML_IMAP_DATA_LIST]       = "LIST",
  [ML_IMAP_DATA_LSUB]       = "LSUB",
  [ML_IMAP_DATA_STATUS]     = "STATUS",
  [ML_IMAP_DATA_SEARCH]     = "SEARCH",
  [ML_IMAP_DATA_EXISTS]     = "EXISTS",
  [ML_IMAP_DATA_RECENT]     = "RECENT",
  [ML_IMAP_DATA_EXPUNGE]    = "EXPUNGE",
  [ML_IMAP_DATA_FETCH]      = "FETCH",
  [ML_IMAP_DATA_QUOTA]      = "QUOTA",
  [ML_IMAP_DATA_QUOTAROOT]  = "QUOTAROOT",
  [ML_IMAP_DATA_NAMESPACE]  = "NAMESPACE",
  [ML_IMAP_DATA_ID]         = "ID",
  [ML_IMAP_DATA_OTHER]      = "OTHER",
};

const char *
ml_imap_status_to_string (MlImapStatus status)
{
  if ((guint) status >= G_N_ELEMENTS (status_names))
    return "";
  return status_names[status];
}

const char *
ml_imap_data_kind_to_string (MlImapDataKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (data_names))
    return "";
  return data_names[kind];
}

char *
ml_imap_response_dup_explain_key (const MlImapResponse *r)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (r != NULL, NULL);

  if (r->kind == ML_IMAP_RESPONSE_KIND_CONTINUATION)
    return g_strdup ("imap.continuation");
  if (r->status != ML_IMAP_STATUS_NONE)
    lower = g_ascii_strdown (ml_imap_status_to_string (r->status), -1);
  else
    {
      lower = g_ascii_strdown (r->data_name != NULL ? r->data_name
                               : ml_imap_data_kind_to_string (r->data), -1);
      return g_strconcat ("imap.untagged.", lower, NULL);
    }
  return g_strconcat ("imap.", lower, NULL);
}

const MlImapFetchBody *
ml_imap_fetch_find_body (const MlImapFetch *fetch, const char *section)
{
  g_return_val_if_fail (fetch != NULL, NULL);
  g_return_val_if_fail (section != NULL, NULL);

  for (guint i = 0; i < fetch->bodies->len; i++)
    {
      const MlImapFetchBody *b = g_ptr_array_index (fetch->bodies, i);

      if (b->section != NULL ? g_ascii_strcasecmp (b->section, section) == 0
                             : g_ascii_strcasecmp (b->name, section) == 0)
        return b;
    }
  return NULL;
}

gboolean
ml_imap_response_get_item (const MlImapResponse *r, const char *name, guint64 *value_out)
{
  g_return_val_if_fail (r != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (r->items == NULL)
    return FALSE;
  for (guint i = 0; i < r->items->len; i++)
    {
      const MlImapItem *it = &g_array_index (r->items, MlImapItem, i);

      if (g_ascii_strcasecmp (it->name, name) == 0)
        {
          if (value_out != NULL)
            *value_out = it->value;
          return TRUE;
        }
    }
  return FALSE;
}

static MlImapDataKind
data_kind_for (const char *upper)
{
  static const MlImapDataKind named[] = {
    ML_IMAP_DATA_CAPABILITY, ML_IMAP_DATA_ENABLED, ML_IMAP_DATA_FLAGS, ML_IMAP_DATA_LIST,
    ML_IMAP_DATA_LSUB, ML_IMAP_DATA_STATUS, ML_IMAP_DATA_SEARCH, ML_IMAP_DATA_QUOTA,
    ML_IMAP_DATA_QUOTAROOT, ML_IMAP_DATA_NAMESPACE, ML_IMAP_DATA_ID,
  };

  for (guint i = 0; i < G_N_ELEMENTS (named); i++)
    if (strcmp (upper, data_names[named[i]]) == 0)
      return named[i];
  return ML_IMAP_DATA_OTHER;
}

static MlImapStatus
status_for (const char *upper)
{
  for (guint i = ML_IMAP_STATUS_OK; i < G_N_ELEMENTS (status_names); i++)
    if (strcmp (upper, status_names[i]) == 0)
      return (MlImapStatus) i;
  return ML_IMAP_STATUS_NONE;
}

/* ---- the parser ---- */

MlImapResponseParser *
ml_imap_response_parser_new (void)
{
  MlImapResponseParser *self = g_new0 (MlImapResponseParser, 1);

  self->tok = ml_imap_parser_new (ML_IMAP_RESPONSE_MAX_LINE, ML_IMAP_RESPONSE_MAX_LITERAL);
  return self;
}

void
ml_imap_response_parser_free (MlImapResponseParser *self)
{
  if (self == NULL)
    return;
  ml_imap_parser_free (self->tok);
  ml_imap_response_free (self->resp);
  g_free (self);
}

static void
start_over (MlImapResponseParser *self)
{
  ml_imap_parser_reset (self->tok);
  g_clear_pointer (&self->resp, ml_imap_response_free);
  self->stage = STAGE_TAG;
  self->n_literals = 0;
  self->literal_bytes = 0;
  self->search_modseq = FALSE;
  self->search_step = 0;
}

void
ml_imap_response_parser_reset (MlImapResponseParser *self)
{
  g_return_if_fail (self != NULL);

  ml_imap_parser_free (self->tok);
  self->tok = ml_imap_parser_new (ML_IMAP_RESPONSE_MAX_LINE, ML_IMAP_RESPONSE_MAX_LITERAL);
  self->broken = FALSE;
  start_over (self);
}

void
ml_imap_response_parser_push (MlImapResponseParser *self, const guint8 *data, gsize len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);

  if (self->broken)
    return;
  ml_imap_parser_feed (self->tok, data, len);
}

/* The response is malformed: report it and step over the rest of it. */
static MlImapResponseResult
malformed (MlImapResponseParser *self, GError **error, GError *why /* steals */)
{
  g_propagate_error (error, why);
  g_clear_pointer (&self->resp, ml_imap_response_free);
  self->stage = STAGE_SKIP;
  return ML_IMAP_RESPONSE_MALFORMED;
}

static MlImapResponseResult
tokenizer_failed (MlImapResponseParser *self, GError **error)
{
  MlImapResponseError code;
  const char *msg = ml_imap_parser_get_error_message (self->tok);

  switch (ml_imap_parser_get_error (self->tok))
    {
    case ML_IMAP_PARSE_ERROR_LINE_TOO_LONG:
      code = ML_IMAP_RESPONSE_ERROR_LINE_TOO_LONG;
      break;
    case ML_IMAP_PARSE_ERROR_LITERAL_TOO_BIG:
      code = ML_IMAP_RESPONSE_ERROR_LITERAL_TOO_LARGE;
      break;
    case ML_IMAP_PARSE_ERROR_TOO_DEEP:
      code = ML_IMAP_RESPONSE_ERROR_TOO_DEEP;
      break;
    case ML_IMAP_PARSE_ERROR_TOO_MANY_ARGS:
      code = ML_IMAP_RESPONSE_ERROR_TOO_MANY;
      break;
    default:
      code = ML_IMAP_RESPONSE_ERROR_SYNTAX;
      break;
    }
  if (code == ML_IMAP_RESPONSE_ERROR_LITERAL_TOO_LARGE)
    {
      guint64 size = 0;

      ml_imap_parser_get_literal (self->tok, &size, NULL);
      g_set_error (error, ML_IMAP_RESPONSE_ERROR, code,
                   "a literal of %" G_GUINT64_FORMAT " octets announced (the limit is %u)",
                   size, (guint) ML_IMAP_RESPONSE_MAX_LITERAL);
      self->broken = TRUE;
      g_clear_pointer (&self->resp, ml_imap_response_free);
      return ML_IMAP_RESPONSE_MALFORMED;
    }
  return malformed (self, error, g_error_new_literal (ML_IMAP_RESPONSE_ERROR, code, msg));
}

/* A literal was announced: the limits on literals in one response. */
static gboolean
literal_ok (MlImapResponseParser *self, GError **error)
{
  guint64 size = 0;

  ml_imap_parser_get_literal (self->tok, &size, NULL);
  self->n_literals++;
  self->literal_bytes += size;
  if (self->n_literals > ML_IMAP_RESPONSE_MAX_LITERALS
      || self->literal_bytes > ML_IMAP_RESPONSE_MAX_SIZE)
    {
      g_set_error (error, ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_LITERAL_TOO_LARGE,
                   "%u literals of %" G_GUINT64_FORMAT " octets in one response (the limits are %u and %u)",
                   self->n_literals, self->literal_bytes, (guint) ML_IMAP_RESPONSE_MAX_LITERALS,
                   (guint) ML_IMAP_RESPONSE_MAX_SIZE);
      self->broken = TRUE;
      g_clear_pointer (&self->resp, ml_imap_response_free);
      return FALSE;
    }
  return TRUE;
}

static void
count_literals (GPtrArray *args, guint *n, guint64 *bytes)
{
  for (guint i = 0; i < args->len; i++)
    {
      const MlImapArg *a = g_ptr_array_index (args, i);

      if (a->kind == ML_IMAP_TOKEN_LITERAL)
        {
          (*n)++;
          *bytes += a->len;
        }
      else if (a->children != NULL)
        count_literals (a->children, n, bytes);
    }
}

/* The same limits on the whole response, whose literals may have arrived
 * with their announcements and so were never reported one by one. */
static gboolean
literals_within_limits (GPtrArray *args, GError **error)
{
  guint n = 0;
  guint64 bytes = 0;

  count_literals (args, &n, &bytes);
  if (n > ML_IMAP_RESPONSE_MAX_LITERALS || bytes > ML_IMAP_RESPONSE_MAX_SIZE)
    {
      g_set_error (error, ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_LITERAL_TOO_LARGE,
                   "%u literals of %" G_GUINT64_FORMAT " octets in one response (the limits are %u and %u)",
                   n, bytes, (guint) ML_IMAP_RESPONSE_MAX_LITERALS, (guint) ML_IMAP_RESPONSE_MAX_SIZE);
      return FALSE;
    }
  return TRUE;
}

/* The raw response, CRLFs as "\n" and the last one dropped. */
static char *
raw_text (const guint8 *raw, gsize len)
{
  GString *s = g_string_sized_new (len);

  if (len > 0 && raw[len - 1] == '\n')
    len--;
  if (len > 0 && raw[len - 1] == '\r')
    len--;
  for (gsize i = 0; i < len; i++)
    {
      if (raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n')
        continue;
      g_string_append_c (s, (char) raw[i]);
    }
  return g_string_free (s, FALSE);
}

static MlImapResponseResult
finish (MlImapResponseParser *self, MlImapResponse **response_out, GError **error)
{
  gsize len = 0;
  const guint8 *raw = ml_imap_parser_get_raw (self->tok, &len);

  /* RFC 3501 9: CHAR8 is %x01-ff; a NUL is nowhere allowed. */
  if (memchr (raw, '\0', len) != NULL)
    {
      g_set_error_literal (error, ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_BAD_CHARACTER,
                           "a NUL octet in a response");
      start_over (self);
      return ML_IMAP_RESPONSE_MALFORMED;
    }
  self->resp->raw = raw_text (raw, len);
  self->resp->wire_size = len;
  *response_out = g_steal_pointer (&self->resp);
  start_over (self);
  return ML_IMAP_RESPONSE_READY;
}

/* Read a token; FALSE with *result set when the caller must return. */
static gboolean
read_token (MlImapResponseParser *self, MlImapReadFlags flags, MlImapToken *t,
            MlImapResponseResult *result, GError **error)
{
  for (;;)
    {
      MlImapParseStatus st = ml_imap_parser_next (self->tok, flags, t);

      switch (st)
        {
        case ML_IMAP_PARSE_OK:
          return TRUE;
        case ML_IMAP_PARSE_NEED_MORE:
          *result = ML_IMAP_RESPONSE_NEED_MORE;
          return FALSE;
        case ML_IMAP_PARSE_LITERAL:
          if (!literal_ok (self, error))
            {
              *result = ML_IMAP_RESPONSE_MALFORMED;
              return FALSE;
            }
          continue;
        default:
          *result = tokenizer_failed (self, error);
          return FALSE;
        }
    }
}

static gboolean
is_tag (const MlImapToken *t)
{
  /* RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+"> */
  if (t->kind != ML_IMAP_TOKEN_ATOM || t->len == 0)
    return FALSE;
  for (gsize i = 0; i < t->len; i++)
    if (t->data[i] == '+' || t->data[i] == '%' || t->data[i] == '*' || t->data[i] == '\\'
        || t->data[i] == '[')
      return FALSE;
  return TRUE;
}

MlImapResponseResult
ml_imap_response_parser_next (MlImapResponseParser *self, MlImapResponse **response_out,
                              GError **error)
{
  MlImapResponseResult result = ML_IMAP_RESPONSE_NEED_MORE;
  MlImapToken t;

  g_return_val_if_fail (self != NULL, ML_IMAP_RESPONSE_MALFORMED);
  g_return_val_if_fail (response_out != NULL, ML_IMAP_RESPONSE_MALFORMED);

  *response_out = NULL;
  if (self->broken)
    return ML_IMAP_RESPONSE_NEED_MORE;

  for (;;)
    {
      switch (self->stage)
        {
        case STAGE_SKIP:
          if (ml_imap_parser_skip_command (self->tok) != ML_IMAP_PARSE_OK)
            return ML_IMAP_RESPONSE_NEED_MORE;
          start_over (self);
          continue;

        case STAGE_TAG:
          if (!read_token (self, ML_IMAP_READ_DEFAULT, &t, &result, error))
            return result;
          self->resp = g_new0 (MlImapResponse, 1);
          if (t.kind == ML_IMAP_TOKEN_ATOM && strcmp (t.data, "*") == 0)
            {
              self->resp->kind = ML_IMAP_RESPONSE_KIND_UNTAGGED;
              self->stage = STAGE_WORD;
            }
          else if (t.kind == ML_IMAP_TOKEN_ATOM && strcmp (t.data, "+") == 0)
            {
              self->resp->kind = ML_IMAP_RESPONSE_KIND_CONTINUATION;
              self->stage = STAGE_TEXT;
            }
          else if (is_tag (&t))
            {
              self->resp->kind = ML_IMAP_RESPONSE_KIND_TAGGED;
              self->resp->tag = g_strndup (t.data, t.len);
              self->stage = STAGE_WORD;
            }
          else
            return malformed (self, error, g_error_new (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX,
                                                        t.kind == ML_IMAP_TOKEN_EOL
                                                          ? "an empty line"
                                                          : "a response starts with \"*\", \"+\" or a tag"));
          continue;

        case STAGE_WORD:
          {
            g_autofree char *upper = NULL;
            guint32 n;

            if (!read_token (self, ML_IMAP_READ_DEFAULT, &t, &result, error))
              return result;
            if (t.kind != ML_IMAP_TOKEN_ATOM && t.kind != ML_IMAP_TOKEN_NIL)
              return malformed (self, error, g_error_new (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX,
                                                          "a status or data name was expected after \"%s\"",
                                                          self->resp->tag ? self->resp->tag : "*"));
            upper = g_ascii_strup (t.data, -1);
            self->resp->status = status_for (upper);
            if (self->resp->kind == ML_IMAP_RESPONSE_KIND_TAGGED)
              {
                /* RFC 3501 7.1: only OK, NO and BAD complete a command. */
                if (self->resp->status != ML_IMAP_STATUS_OK && self->resp->status != ML_IMAP_STATUS_NO
                    && self->resp->status != ML_IMAP_STATUS_BAD)
                  return malformed (self, error, g_error_new (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX,
                                                              "a tagged response is OK, NO or BAD, not \"%s\"",
                                                              t.data));
                self->stage = STAGE_TEXT;
              }
            else if (self->resp->status != ML_IMAP_STATUS_NONE)
              self->stage = STAGE_TEXT;
            else if (g_ascii_isdigit (t.data[0]))
              {
                if (!ml_imap_parse_number (t.data, t.len, &n))
                  return malformed (self, error, g_error_new (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX,
                                                              "\"%s\" is not a 32-bit number", t.data));
                self->resp->number = n;
                self->stage = STAGE_NUMBERED;
              }
            else
              {
                self->resp->data = data_kind_for (upper);
                self->resp->data_name = g_steal_pointer (&upper);
                if (self->resp->data == ML_IMAP_DATA_SEARCH)
                  {
                    self->resp->numbers = g_array_new (FALSE, FALSE, sizeof (guint32));
                    self->stage = STAGE_SEARCH;
                  }
                else
                  self->stage = STAGE_ARGS;
              }
            continue;
          }

        case STAGE_NUMBERED:
          {
            MlImapResponse *r = self->resp;

            if (!read_token (self, ML_IMAP_READ_DEFAULT, &t, &result, error))
              return result;
            if (t.kind != ML_IMAP_TOKEN_ATOM)
              return malformed (self, error, g_error_new (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX,
                                                          "\"* %u\" must be followed by a data name", r->number));
            r->data_name = g_ascii_strup (t.data, -1);
            if (strcmp (r->data_name, "EXISTS") == 0)
              r->data = ML_IMAP_DATA_EXISTS;
            else if (strcmp (r->data_name, "RECENT") == 0)
              r->data = ML_IMAP_DATA_RECENT;
            else if (strcmp (r->data_name, "EXPUNGE") == 0)
              r->data = ML_IMAP_DATA_EXPUNGE;
            else if (strcmp (r->data_name, "FETCH") == 0)
              r->data = ML_IMAP_DATA_FETCH;
            else
              r->data = ML_IMAP_DATA_OTHER;
            if (r->data == ML_IMAP_DATA_EXPUNGE && r->number == 0)
              return malformed (self, error, g_error_new (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX,
                                                          "EXPUNGE of message 0: sequence numbers start at 1"));
            self->stage = (r->data == ML_IMAP_DATA_EXISTS || r->data == ML_IMAP_DATA_RECENT
                           || r->data == ML_IMAP_DATA_EXPUNGE) ? STAGE_EOL : STAGE_ARGS;
            continue;
          }

        case STAGE_TEXT:
          {
            g_autoptr(GError) why = NULL;
            MlImapParseStatus st = ml_imap_parser_next_text (self->tok, &t);

            if (st == ML_IMAP_PARSE_NEED_MORE)
              return ML_IMAP_RESPONSE_NEED_MORE;
            if (st != ML_IMAP_PARSE_OK)
              return tokenizer_failed (self, error);
            if (memchr (t.data, '\0', t.len) != NULL)
              return malformed (self, error, g_error_new_literal (ML_IMAP_RESPONSE_ERROR,
                                                                  ML_IMAP_RESPONSE_ERROR_BAD_CHARACTER,
                                                                  "a NUL octet in a response"));
            if (self->resp->kind == ML_IMAP_RESPONSE_KIND_CONTINUATION)
              /* RFC 3501 7.5: resp-text or base64; the text is kept whole. */
              self->resp->text = g_strndup (t.data, t.len);
            else if (!_ml_imap_response_parse_status_text (self->resp, t.data, &why))
              {
                /* The line is read up to its end, so only the EOL is left. */
                ml_imap_parser_next (self->tok, ML_IMAP_READ_DEFAULT, &t);
                g_propagate_error (error, g_steal_pointer (&why));
                start_over (self);
                return ML_IMAP_RESPONSE_MALFORMED;
              }
            self->stage = STAGE_EOL;
            continue;
          }

        case STAGE_EOL:
          if (!read_token (self, ML_IMAP_READ_DEFAULT, &t, &result, error))
            return result;
          if (t.kind != ML_IMAP_TOKEN_EOL)
            return malformed (self, error, g_error_new (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX,
                                                        "unexpected \"%s\" at the end of %s",
                                                        t.data, self->resp->data_name ? self->resp->data_name : "the response"));
          return finish (self, response_out, error);

        case STAGE_SEARCH:
          /* Token by token rather than as an argument tree: a SEARCH may
           * name more UIDs than one command may have arguments. */
          if (!read_token (self, ML_IMAP_READ_DEFAULT, &t, &result, error))
            return result;
          if (t.kind == ML_IMAP_TOKEN_EOL)
            {
              if (self->search_modseq && self->search_step != 3)
                return malformed (self, error, g_error_new_literal (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX,
                                                                    "SEARCH: unfinished (MODSEQ n)"));
              return finish (self, response_out, error);
            }
          if (!self->search_modseq)
            {
              guint32 n;

              if (t.kind == ML_IMAP_TOKEN_LIST_BEGIN && self->resp->numbers->len > 0)
                {
                  /* RFC 7162 3.1.5: search-sort-mod-seq after the numbers. */
                  self->search_modseq = TRUE;
                  self->search_step = 0;
                  continue;
                }
              if (!ml_imap_parse_number (t.data, t.len, &n) || n == 0 || t.kind != ML_IMAP_TOKEN_ATOM)
                return malformed (self, error, g_error_new (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX,
                                                            "SEARCH: \"%s\" is not a message number", t.data));
              if (self->resp->numbers->len >= ML_IMAP_RESPONSE_MAX_ITEMS)
                return malformed (self, error, g_error_new (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_TOO_MANY,
                                                            "SEARCH: more than %u numbers", (guint) ML_IMAP_RESPONSE_MAX_ITEMS));
              g_array_append_val (self->resp->numbers, n);
              continue;
            }
          /* "(" "MODSEQ" SP number ")" */
          if ((self->search_step == 0 && (t.kind != ML_IMAP_TOKEN_ATOM || g_ascii_strcasecmp (t.data, "MODSEQ") != 0))
              || (self->search_step == 1 && (t.kind != ML_IMAP_TOKEN_ATOM || !g_ascii_isdigit (t.data[0])))
              || (self->search_step == 2 && t.kind != ML_IMAP_TOKEN_LIST_END)
              || self->search_step >= 3)
            return malformed (self, error, g_error_new_literal (ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX,
                                                                "SEARCH: only (MODSEQ n) may follow the numbers"));
          self->search_step++;
          continue;

        case STAGE_ARGS:
          {
            GPtrArray *args = NULL;
            g_autoptr(GError) why = NULL;
            MlImapParseStatus st = ml_imap_parser_read_args (self->tok, &args);

            if (st == ML_IMAP_PARSE_NEED_MORE)
              return ML_IMAP_RESPONSE_NEED_MORE;
            if (st == ML_IMAP_PARSE_LITERAL)
              {
                if (!literal_ok (self, error))
                  return ML_IMAP_RESPONSE_MALFORMED;
                continue;
              }
            if (st != ML_IMAP_PARSE_OK)
              return tokenizer_failed (self, error);
            if (!literals_within_limits (args, &why))
              {
                /* As when the limit is passed at an announcement: the
                 * stream is given up, whatever the packet boundaries. */
                g_propagate_error (error, g_steal_pointer (&why));
                self->broken = TRUE;
                g_clear_pointer (&self->resp, ml_imap_response_free);
                return ML_IMAP_RESPONSE_MALFORMED;
              }
            if (!_ml_imap_response_interpret_args (self->resp, args, &why))
              {
                g_propagate_error (error, g_steal_pointer (&why));
                start_over (self);
                return ML_IMAP_RESPONSE_MALFORMED;
              }
            return finish (self, response_out, error);
          }
        }
    }
}

GArray *
ml_imap_uid_set_expand (const char *set, guint max)
{
  g_autoptr(MlImapSequenceSet) parsed = NULL;
  GArray *out;

  g_return_val_if_fail (set != NULL, NULL);

  parsed = ml_imap_sequence_set_parse (set, strlen (set));
  if (parsed == NULL || ml_imap_sequence_set_has_star (parsed))
    return NULL;
  out = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < ml_imap_sequence_set_get_n_ranges (parsed); i++)
    {
      const MlImapSeqRange *r = ml_imap_sequence_set_get_range (parsed, i);
      /* RFC 4315 4: a uid-range names every UID between its ends, in
       * whichever order they are written. */
      guint32 lo = MIN (r->first, r->last), hi = MAX (r->first, r->last);

      if ((guint64) out->len + (hi - lo) + 1 > max)
        {
          g_array_unref (out);
          return NULL;
        }
      for (guint64 u = lo; u <= hi; u++)
        {
          guint32 v = (guint32) u;

          g_array_append_val (out, v);
        }
    }
  return out;
}

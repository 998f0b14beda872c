#define G_LOG_DOMAIN "ml-imap-search"

#include <string.h>
#include <gmime/gmime.h>
#include "proto/imap-search.h"
#include "proto/imap-parser.h"
#include "proto/imap-sequence.h"

G_DEFINE_QUARK (ml-imap-search-error-quark, ml_imap_search_error)

typedef enum {
  KEY_ALL = 0,
  KEY_AND,          /* children */
  KEY_OR,           /* two children */
  KEY_NOT,          /* one child */
  KEY_FLAG_SET,     /* flags */
  KEY_FLAG_UNSET,
  KEY_KEYWORD,      /* text */
  KEY_UNKEYWORD,
  KEY_RECENT,
  KEY_HEADER,       /* field, text */
  KEY_BODY,
  KEY_TEXT,
  KEY_BEFORE,       /* date: internal date */
  KEY_ON,
  KEY_SINCE,
  KEY_SENTBEFORE,   /* date: Date: header */
  KEY_SENTON,
  KEY_SENTSINCE,
  KEY_LARGER,       /* number */
  KEY_SMALLER,
  KEY_SEQ,          /* set */
  KEY_UID,
} KeyKind;

typedef struct _Key Key;
struct _Key {
  KeyKind            kind;
  GPtrArray         *children;  /* Key* */
  MlMessageFlags     flags;
  char              *field;     /* HEADER field name */
  char              *text;      /* case-folded needle, or the keyword */
  GDate              date;
  guint32            number;
  MlImapSequenceSet *set;
};

struct _MlImapSearch {
  Key          *root;
  /* The message last parsed, kept while its keys are tried. */
  MlMessage    *cached_for;
  GMimeMessage *cached;
  char         *cached_body;    /* folded text of the text parts, or NULL */
  char         *cached_header;  /* folded, decoded header block, or NULL */
};

static void
key_free (gpointer data)
{
  Key *key = data;

  if (key == NULL)
    return;
  if (key->children != NULL)
    g_ptr_array_unref (key->children);
  g_free (key->field);
  g_free (key->text);
  if (key->set != NULL)
    ml_imap_sequence_set_free (key->set);
  g_free (key);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Key, key_free)

static Key *
key_new (KeyKind kind)
{
  Key *key = g_new0 (Key, 1);

  key->kind = kind;
  return key;
}

/* Case-insensitive matching (RFC 3501 6.4.4) on UTF-8 by case folding;
 * octets that are not UTF-8 fold as ASCII. */
static char *
fold (const char *s, gsize len)
{
  if (g_utf8_validate_len (s, len, NULL))
    return g_utf8_casefold (s, (gssize) len);
  return g_ascii_strdown (s, (gssize) len);
}

typedef struct {
  GPtrArray *args;
  guint      pos;
  guint      max_depth;
  GError   **error;
} Parse;

static gboolean
fail (Parse *p, MlImapSearchError code, const char *message)
{
  if (p->error != NULL && *p->error == NULL)
    g_set_error_literal (p->error, ML_IMAP_SEARCH_ERROR, code, message);
  return FALSE;
}

static const MlImapArg *
next_arg (Parse *p)
{
  if (p->pos >= p->args->len)
    return NULL;
  return g_ptr_array_index (p->args, p->pos++);
}

static gboolean
take_astring (Parse *p, char **out, gsize *len_out)
{
  const MlImapArg *arg = next_arg (p);
  const char *s = NULL;
  gsize len = 0;

  if (!ml_imap_arg_get_astring (arg, &s, &len))
    return fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Expected a string");
  *out = g_strndup (s, len);
  if (len_out != NULL)
    *len_out = len;
  return TRUE;
}

static gboolean
take_needle (Parse *p, Key *key)
{
  const MlImapArg *arg = next_arg (p);
  const char *s = NULL;
  gsize len = 0;

  if (!ml_imap_arg_get_astring (arg, &s, &len))
    return fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Expected a string");
  key->text = fold (s, len);
  return TRUE;
}

static gboolean
take_date (Parse *p, Key *key)
{
  const MlImapArg *arg = next_arg (p);
  const char *s = NULL;
  gsize len = 0;

  /* RFC 3501 9: date = date-text / DQUOTE date-text DQUOTE */
  if (!ml_imap_arg_get_astring (arg, &s, &len) || strlen (s) != len
      || !ml_imap_parse_date (s, &key->date))
    return fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Expected a date (1-Feb-1994)");
  return TRUE;
}

static gboolean
take_number (Parse *p, Key *key)
{
  if (!ml_imap_arg_get_number (next_arg (p), &key->number))
    return fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Expected a number");
  return TRUE;
}

static Key *parse_key (Parse *p, guint depth);

/* One or more keys, ANDed, up to the end of @args. */
static Key *
parse_keys (Parse *p, guint depth)
{
  g_autoptr (Key) and = key_new (KEY_AND);

  and->children = g_ptr_array_new_with_free_func (key_free);
  while (p->pos < p->args->len)
    {
      Key *key = parse_key (p, depth);

      if (key == NULL)
        return NULL;
      g_ptr_array_add (and->children, key);
    }
  if (and->children->len == 0)
    {
      fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Missing search criteria");
      return NULL;
    }
  if (and->children->len == 1)
    return g_ptr_array_steal_index (and->children, 0);
  return g_steal_pointer (&and);
}

static const struct {
  const char    *name;
  KeyKind        kind;
  MlMessageFlags flags;
} flag_keys[] = {
  { "ANSWERED",   KEY_FLAG_SET,   ML_FLAG_ANSWERED },
  { "DELETED",    KEY_FLAG_SET,   ML_FLAG_DELETED },
  { "DRAFT",      KEY_FLAG_SET,   ML_FLAG_DRAFT },
  { "FLAGGED",    KEY_FLAG_SET,   ML_FLAG_FLAGGED },
  { "SEEN",       KEY_FLAG_SET,   ML_FLAG_SEEN },
  { "UNANSWERED", KEY_FLAG_UNSET, ML_FLAG_ANSWERED },
  { "UNDELETED",  KEY_FLAG_UNSET, ML_FLAG_DELETED },
  { "UNDRAFT",    KEY_FLAG_UNSET, ML_FLAG_DRAFT },
  { "UNFLAGGED",  KEY_FLAG_UNSET, ML_FLAG_FLAGGED },
  { "UNSEEN",     KEY_FLAG_UNSET, ML_FLAG_SEEN },
};

static const struct {
  const char *name;
  const char *field;
} header_keys[] = {
  { "BCC", "Bcc" }, { "CC", "Cc" }, { "FROM", "From" }, { "SUBJECT", "Subject" }, { "TO", "To" },
};

static const struct {
  const char *name;
  KeyKind     kind;
} date_keys[] = {
  { "BEFORE", KEY_BEFORE }, { "ON", KEY_ON }, { "SINCE", KEY_SINCE },
  { "SENTBEFORE", KEY_SENTBEFORE }, { "SENTON", KEY_SENTON }, { "SENTSINCE", KEY_SENTSINCE },
};

static Key *
parse_key (Parse *p, guint depth)
{
  const MlImapArg *arg = next_arg (p);
  g_autoptr (Key) key = NULL;
  const char *name;
  gsize i;

  if (depth > p->max_depth)
    {
      fail (p, ML_IMAP_SEARCH_ERROR_TOO_DEEP, "Search criteria nested too deep");
      return NULL;
    }
  if (arg == NULL)
    {
      fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Missing search key");
      return NULL;
    }
  if (arg->kind == ML_IMAP_TOKEN_LIST)
    {
      /* RFC 3501 9: "(" search-key *(SP search-key) ")" */
      Parse sub = { arg->children, 0, p->max_depth, p->error };

      return parse_keys (&sub, depth + 1);
    }
  if (arg->kind != ML_IMAP_TOKEN_ATOM)
    {
      fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Expected a search key");
      return NULL;
    }
  name = arg->data;

  /* A sequence set is a key of its own (RFC 3501 9 search-key). */
  if (g_ascii_isdigit (name[0]) || name[0] == '*')
    {
      key = key_new (KEY_SEQ);
      key->set = ml_imap_sequence_set_parse (name, arg->len);
      if (key->set == NULL)
        {
          fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Invalid sequence set");
          return NULL;
        }
      return g_steal_pointer (&key);
    }

  for (i = 0; i < G_N_ELEMENTS (flag_keys); i++)
    if (g_ascii_strcasecmp (name, flag_keys[i].name) == 0)
      {
        key = key_new (flag_keys[i].kind);
        key->flags = flag_keys[i].flags;
        return g_steal_pointer (&key);
      }
  for (i = 0; i < G_N_ELEMENTS (header_keys); i++)
    if (g_ascii_strcasecmp (name, header_keys[i].name) == 0)
      {
        key = key_new (KEY_HEADER);
        key->field = g_strdup (header_keys[i].field);
        return take_needle (p, key) ? g_steal_pointer (&key) : NULL;
      }
  for (i = 0; i < G_N_ELEMENTS (date_keys); i++)
    if (g_ascii_strcasecmp (name, date_keys[i].name) == 0)
      {
        key = key_new (date_keys[i].kind);
        return take_date (p, key) ? g_steal_pointer (&key) : NULL;
      }

  if (g_ascii_strcasecmp (name, "ALL") == 0)
    return key_new (KEY_ALL);
  if (g_ascii_strcasecmp (name, "RECENT") == 0)
    return key_new (KEY_RECENT);
  if (g_ascii_strcasecmp (name, "NEW") == 0 || g_ascii_strcasecmp (name, "OLD") == 0)
    {
      Key *recent = key_new (KEY_RECENT);

      if (g_ascii_strcasecmp (name, "OLD") == 0)
        {
          /* OLD = NOT RECENT (RFC 3501 6.4.4) */
          key = key_new (KEY_NOT);
          key->children = g_ptr_array_new_with_free_func (key_free);
          g_ptr_array_add (key->children, recent);
        }
      else
        {
          /* NEW = RECENT UNSEEN */
          Key *unseen = key_new (KEY_FLAG_UNSET);

          unseen->flags = ML_FLAG_SEEN;
          key = key_new (KEY_AND);
          key->children = g_ptr_array_new_with_free_func (key_free);
          g_ptr_array_add (key->children, recent);
          g_ptr_array_add (key->children, unseen);
        }
      return g_steal_pointer (&key);
    }
  if (g_ascii_strcasecmp (name, "KEYWORD") == 0 || g_ascii_strcasecmp (name, "UNKEYWORD") == 0)
    {
      const MlImapArg *kw;

      key = key_new (g_ascii_strcasecmp (name, "KEYWORD") == 0 ? KEY_KEYWORD : KEY_UNKEYWORD);
      kw = next_arg (p);
      /* RFC 3501 9: flag-keyword = atom */
      if (kw == NULL || kw->kind != ML_IMAP_TOKEN_ATOM || kw->data[0] == '\\')
        {
          fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Expected a keyword");
          return NULL;
        }
      key->text = g_strdup (kw->data);
      return g_steal_pointer (&key);
    }
  if (g_ascii_strcasecmp (name, "HEADER") == 0)
    {
      key = key_new (KEY_HEADER);
      if (!take_astring (p, &key->field, NULL) || !take_needle (p, key))
        return NULL;
      return g_steal_pointer (&key);
    }
  if (g_ascii_strcasecmp (name, "BODY") == 0 || g_ascii_strcasecmp (name, "TEXT") == 0)
    {
      key = key_new (g_ascii_strcasecmp (name, "BODY") == 0 ? KEY_BODY : KEY_TEXT);
      return take_needle (p, key) ? g_steal_pointer (&key) : NULL;
    }
  if (g_ascii_strcasecmp (name, "LARGER") == 0 || g_ascii_strcasecmp (name, "SMALLER") == 0)
    {
      key = key_new (g_ascii_strcasecmp (name, "LARGER") == 0 ? KEY_LARGER : KEY_SMALLER);
      return take_number (p, key) ? g_steal_pointer (&key) : NULL;
    }
  if (g_ascii_strcasecmp (name, "UID") == 0)
    {
      const MlImapArg *set = next_arg (p);

      key = key_new (KEY_UID);
      if (set == NULL || set->kind != ML_IMAP_TOKEN_ATOM
          || (key->set = ml_imap_sequence_set_parse (set->data, set->len)) == NULL)
        {
          fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Expected a UID set");
          return NULL;
        }
      return g_steal_pointer (&key);
    }
  if (g_ascii_strcasecmp (name, "NOT") == 0)
    {
      Key *child = parse_key (p, depth + 1);

      if (child == NULL)
        return NULL;
      key = key_new (KEY_NOT);
      key->children = g_ptr_array_new_with_free_func (key_free);
      g_ptr_array_add (key->children, child);
      return g_steal_pointer (&key);
    }
  if (g_ascii_strcasecmp (name, "OR") == 0)
    {
      Key *a, *b;

      a = parse_key (p, depth + 1);
      if (a == NULL)
        return NULL;
      b = parse_key (p, depth + 1);
      if (b == NULL)
        {
          key_free (a);
          return NULL;
        }
      key = key_new (KEY_OR);
      key->children = g_ptr_array_new_with_free_func (key_free);
      g_ptr_array_add (key->children, a);
      g_ptr_array_add (key->children, b);
      return g_steal_pointer (&key);
    }

  fail (p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Unknown search key");
  return NULL;
}

MlImapSearch *
ml_imap_search_parse (GPtrArray *args, guint first, guint max_depth, GError **error)
{
  Parse p = { args, first, max_depth, error };
  const MlImapArg *arg = args->len > first ? g_ptr_array_index (args, first) : NULL;
  MlImapSearch *self;
  Key *root;

  g_return_val_if_fail (args != NULL, NULL);

  /* RFC 3501 6.4.4: [CHARSET SP astring SP] first. */
  if (arg != NULL && arg->kind == ML_IMAP_TOKEN_ATOM
      && g_ascii_strcasecmp (arg->data, "CHARSET") == 0)
    {
      const char *charset = NULL;
      gsize len = 0;

      p.pos++;
      if (!ml_imap_arg_get_astring (next_arg (&p), &charset, &len))
        {
          fail (&p, ML_IMAP_SEARCH_ERROR_SYNTAX, "Expected a charset name");
          return NULL;
        }
      if (g_ascii_strcasecmp (charset, "UTF-8") != 0 && g_ascii_strcasecmp (charset, "US-ASCII") != 0)
        {
          fail (&p, ML_IMAP_SEARCH_ERROR_BADCHARSET, "Unsupported charset");
          return NULL;
        }
    }
  root = parse_keys (&p, 0);
  if (root == NULL)
    return NULL;
  self = g_new0 (MlImapSearch, 1);
  self->root = root;
  return self;
}

static void
drop_cache (MlImapSearch *self)
{
  g_clear_object (&self->cached);
  g_clear_pointer (&self->cached_body, g_free);
  g_clear_pointer (&self->cached_header, g_free);
  self->cached_for = NULL;
}

void
ml_imap_search_free (MlImapSearch *self)
{
  if (self == NULL)
    return;
  drop_cache (self);
  key_free (self->root);
  g_free (self);
}

/* ---- matching ---- */

static GMimeMessage *
get_mime (MlImapSearch *self, MlMessage *message)
{
  static gsize init = 0;
  GBytes *data;
  GMimeStream *stream;
  GMimeParser *parser;

  if (self->cached_for == message && self->cached != NULL)
    return self->cached;
  if (g_once_init_enter (&init))
    {
      g_mime_init ();
      g_once_init_leave (&init, 1);
    }
  drop_cache (self);
  self->cached_for = message;
  data = ml_message_get_data (message);
  stream = g_mime_stream_mem_new_with_buffer (g_bytes_get_data (data, NULL),
                                              g_bytes_get_size (data));
  parser = g_mime_parser_new_with_stream (stream);
  self->cached = g_mime_parser_construct_message (parser, NULL);
  g_object_unref (parser);
  g_object_unref (stream);
  return self->cached;
}

static char *
decode_header_value (GMimeHeader *header)
{
  const char *raw = g_mime_header_get_raw_value (header);
  g_autofree char *unfolded = NULL;
  g_autofree char *decoded = NULL;

  if (raw == NULL)
    return g_strdup ("");
  unfolded = g_mime_utils_header_unfold (raw);
  decoded = g_mime_utils_header_decode_text (NULL, unfolded);
  return g_strdup (decoded != NULL ? decoded : unfolded);
}

static gboolean
match_header (MlImapSearch *self, MlMessage *message, const char *field, const char *needle)
{
  GMimeMessage *mime = get_mime (self, message);
  GMimeHeaderList *headers;
  int i, n;

  if (mime == NULL)
    return FALSE;
  headers = g_mime_object_get_header_list (GMIME_OBJECT (mime));
  n = g_mime_header_list_get_count (headers);
  for (i = 0; i < n; i++)
    {
      GMimeHeader *header = g_mime_header_list_get_header_at (headers, i);
      g_autofree char *value = NULL;
      g_autofree char *folded = NULL;

      if (g_ascii_strcasecmp (g_mime_header_get_name (header), field) != 0)
        continue;
      /* RFC 3501 6.4.4 HEADER: an empty string matches every message that
       * has the field. */
      if (needle[0] == '\0')
        return TRUE;
      value = decode_header_value (header);
      folded = fold (value, strlen (value));
      if (strstr (folded, needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
collect_text (GMimeObject *parent, GMimeObject *part, gpointer user_data)
{
  GString *out = user_data;
  GMimeContentType *type = g_mime_object_get_content_type (part);
  GMimeDataWrapper *content;
  GMimeStream *mem;
  GByteArray *bytes;

  /* RFC 3501 6.4.4: parts other than TEXT and MESSAGE may be left out. */
  if (!GMIME_IS_PART (part) || type == NULL || !g_mime_content_type_is_type (type, "text", "*"))
    return;
  content = g_mime_part_get_content (GMIME_PART (part));
  if (content == NULL)
    return;
  mem = g_mime_stream_mem_new ();
  g_mime_data_wrapper_write_to_stream (content, mem);
  bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
  g_string_append_len (out, (const char *) bytes->data, bytes->len);
  g_string_append_c (out, '\n');
  g_object_unref (mem);
}

static const char *
get_body_text (MlImapSearch *self, MlMessage *message)
{
  GMimeMessage *mime = get_mime (self, message);

  if (self->cached_body == NULL)
    {
      GString *text = g_string_new (NULL);

      if (mime != NULL)
        g_mime_message_foreach (mime, collect_text, text);
      self->cached_body = fold (text->str, text->len);
      g_string_free (text, TRUE);
    }
  return self->cached_body;
}

static const char *
get_header_text (MlImapSearch *self, MlMessage *message)
{
  GMimeMessage *mime = get_mime (self, message);

  if (self->cached_header == NULL)
    {
      GString *text = g_string_new (NULL);

      if (mime != NULL)
        {
          GMimeHeaderList *headers = g_mime_object_get_header_list (GMIME_OBJECT (mime));
          int i, n = g_mime_header_list_get_count (headers);

          for (i = 0; i < n; i++)
            {
              GMimeHeader *header = g_mime_header_list_get_header_at (headers, i);
              g_autofree char *value = decode_header_value (header);

              g_string_append_printf (text, "%s: %s\n", g_mime_header_get_name (header), value);
            }
        }
      self->cached_header = fold (text->str, text->len);
      g_string_free (text, TRUE);
    }
  return self->cached_header;
}

static int
compare_day (GDate *a, const GDate *b)
{
  return g_date_compare (a, b);
}

/* RFC 3501 6.4.4: BEFORE/ON/SINCE compare the internal date's day,
 * "disregarding time and timezone"; we keep it in UTC. */
static gboolean
internal_day (MlMessage *message, GDate *out)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (ml_message_get_internal_date (message));

  if (dt == NULL)
    return FALSE;
  g_date_clear (out, 1);
  g_date_set_dmy (out, (GDateDay) g_date_time_get_day_of_month (dt),
                  (GDateMonth) g_date_time_get_month (dt), (GDateYear) g_date_time_get_year (dt));
  return TRUE;
}

/* SENT*: the Date: header's day in its own zone. */
static gboolean
sent_day (MlImapSearch *self, MlMessage *message, GDate *out)
{
  GMimeMessage *mime = get_mime (self, message);
  GDateTime *dt;

  if (mime == NULL || (dt = g_mime_message_get_date (mime)) == NULL)
    return FALSE;
  g_date_clear (out, 1);
  g_date_set_dmy (out, (GDateDay) g_date_time_get_day_of_month (dt),
                  (GDateMonth) g_date_time_get_month (dt), (GDateYear) g_date_time_get_year (dt));
  return TRUE;
}

static gboolean
has_keyword (MlMessage *message, const char *keyword)
{
  return ml_message_has_keyword (message, keyword);
}

static gboolean
matches (MlImapSearch *self, Key *key, const MlImapSearchItem *item)
{
  MlMessage *message = item->message;
  GDate day;
  guint i;

  switch (key->kind)
    {
    case KEY_ALL:
      return TRUE;
    case KEY_AND:
      for (i = 0; i < key->children->len; i++)
        if (!matches (self, g_ptr_array_index (key->children, i), item))
          return FALSE;
      return TRUE;
    case KEY_OR:
      return matches (self, g_ptr_array_index (key->children, 0), item)
             || matches (self, g_ptr_array_index (key->children, 1), item);
    case KEY_NOT:
      return !matches (self, g_ptr_array_index (key->children, 0), item);
    case KEY_FLAG_SET:
      return (ml_message_get_flags (message) & key->flags) != 0;
    case KEY_FLAG_UNSET:
      return (ml_message_get_flags (message) & key->flags) == 0;
    case KEY_KEYWORD:
      return has_keyword (message, key->text);
    case KEY_UNKEYWORD:
      return !has_keyword (message, key->text);
    case KEY_RECENT:
      return item->recent;
    case KEY_HEADER:
      return match_header (self, message, key->field, key->text);
    case KEY_BODY:
      return strstr (get_body_text (self, message), key->text) != NULL;
    case KEY_TEXT:
      return strstr (get_header_text (self, message), key->text) != NULL
             || strstr (get_body_text (self, message), key->text) != NULL;
    case KEY_BEFORE:
      return internal_day (message, &day) && compare_day (&day, &key->date) < 0;
    case KEY_ON:
      return internal_day (message, &day) && compare_day (&day, &key->date) == 0;
    case KEY_SINCE:
      return internal_day (message, &day) && compare_day (&day, &key->date) >= 0;
    case KEY_SENTBEFORE:
      return sent_day (self, message, &day) && compare_day (&day, &key->date) < 0;
    case KEY_SENTON:
      return sent_day (self, message, &day) && compare_day (&day, &key->date) == 0;
    case KEY_SENTSINCE:
      return sent_day (self, message, &day) && compare_day (&day, &key->date) >= 0;
    case KEY_LARGER:
      /* RFC 3501 6.4.4: RFC822.SIZE larger / smaller than n. */
      return ml_message_get_size (message) > key->number;
    case KEY_SMALLER:
      return ml_message_get_size (message) < key->number;
    case KEY_SEQ:
      return ml_imap_sequence_set_contains (key->set, item->seq, item->n_messages);
    case KEY_UID:
      return ml_imap_sequence_set_contains (key->set, item->uid, item->max_uid);
    default:
      return FALSE;
    }
}

gboolean
ml_imap_search_matches (MlImapSearch *self, const MlImapSearchItem *item)
{
  gboolean result;

  g_return_val_if_fail (self != NULL && item != NULL && item->message != NULL, FALSE);
  result = matches (self, self->root, item);
  /* The cache serves the keys of one message; the next may reuse its
   * address. */
  drop_cache (self);
  return result;
}

/* message-mime.c — GMime parses, we record where things are.
 *
 * GMime 3.2 gives the tree (types, RFC 2231-decoded parameters,
 * dispositions) and, with a persistent stream, the exact bounds of every
 * leaf body in the original bytes (GMimeStream bound_start/bound_end of the
 * content substream). What it does not expose is where a multipart or an
 * embedded message ends, or where a part without headers begins; those we
 * find from the enclosing multipart's delimiter lines (RFC 2046 5.1.1: "The
 * boundary delimiter MUST occur at the beginning of a line" and "MUST NOT
 * appear inside any of the encapsulated parts"). Header blocks end at their
 * first empty line (RFC 5322 2.1). Everything IMAP returns then comes
 * straight from the stored bytes.
 */
#define G_LOG_DOMAIN "ml-mime"

#include <string.h>
#include "mail/message-mime.h"

typedef struct {
  GMimeMessage *mime;       /* only once ml_message_get_mime asked */
  MlMimePart   *structure;
  MlEnvelope   *envelope;
} MimeCache;

typedef struct {
  const char *data;
  gsize       len;
} Builder;

G_DEFINE_QUARK (ml-mime-error-quark, ml_mime_error)

/* ---- freeing ---- */

void
ml_address_free (MlAddress *address)
{
  if (address == NULL)
    return;
  g_free (address->name);
  g_free (address->adl);
  g_free (address->mailbox);
  g_free (address->host);
  g_free (address);
}

void
ml_envelope_free (MlEnvelope *envelope)
{
  if (envelope == NULL)
    return;
  g_free (envelope->date);
  g_free (envelope->subject);
  g_clear_pointer (&envelope->from, g_ptr_array_unref);
  g_clear_pointer (&envelope->sender, g_ptr_array_unref);
  g_clear_pointer (&envelope->reply_to, g_ptr_array_unref);
  g_clear_pointer (&envelope->to, g_ptr_array_unref);
  g_clear_pointer (&envelope->cc, g_ptr_array_unref);
  g_clear_pointer (&envelope->bcc, g_ptr_array_unref);
  g_free (envelope->in_reply_to);
  g_free (envelope->message_id);
  g_free (envelope);
}

static void
param_free (MlMimeParam *p)
{
  g_free (p->name);
  g_free (p->value);
  g_free (p);
}

static void
part_free (MlMimePart *part)
{
  if (part == NULL)
    return;
  g_free (part->type);
  g_free (part->subtype);
  g_ptr_array_unref (part->params);
  g_free (part->id);
  g_free (part->description);
  g_free (part->encoding);
  g_free (part->md5);
  g_free (part->disposition);
  g_ptr_array_unref (part->disposition_params);
  g_strfreev (part->language);
  g_free (part->location);
  g_clear_pointer (&part->children, g_ptr_array_unref);
  part_free (part->message);
  ml_envelope_free (part->envelope);
  g_free (part);
}

static void
cache_free (MimeCache *cache)
{
  g_clear_object (&cache->mime);
  part_free (cache->structure);
  ml_envelope_free (cache->envelope);
  g_free (cache);
}

static MimeCache *
get_cache (MlMessage *msg)
{
  MimeCache *cache = _ml_message_get_mime_cache (msg);

  if (cache == NULL)
    {
      cache = g_new0 (MimeCache, 1);
      _ml_message_set_mime_cache (msg, cache, (GDestroyNotify) cache_free);
    }
  return cache;
}

/* ---- raw lines and header fields ---- */

static gsize
line_end (const Builder *b, gsize pos, gsize limit)
{
  const char *nl = memchr (b->data + pos, '\n', limit - pos);

  return nl ? (gsize) (nl - b->data) + 1 : limit;
}

static gboolean
line_is_empty (const Builder *b, gsize pos, gsize end)
{
  gsize n = end - pos;

  return n == 0 || (n == 1 && b->data[pos] == '\n')
         || (n == 2 && b->data[pos] == '\r' && b->data[pos + 1] == '\n');
}

/* RFC 5322 2.1: the header ends at the first empty line, which belongs to
 * it (RFC 3501 6.4.5: "The blank line is included in all header
 * fetches"). Without one, everything up to @limit is header. */
static gsize
header_block_end (const Builder *b, gsize start, gsize limit)
{
  gsize pos = start;

  while (pos < limit)
    {
      gsize e = line_end (b, pos, limit);

      if (line_is_empty (b, pos, e) && e > pos)
        return e;
      pos = e;
    }
  return limit;
}

typedef struct {
  gsize start;      /* first byte of the field */
  gsize name_len;   /* 0 if the line has no ':' (not a field) */
  gsize value;      /* after the ':' */
  gsize end;        /* after the last line of the field, folding included */
} Field;

static gboolean
is_wsp (char c)
{
  return c == ' ' || c == '\t';
}

/* One field of the header block [*pos, limit): the line and its
 * continuation lines (RFC 5322 2.2.3). FALSE at the empty line or end. */
static gboolean
next_field (const Builder *b, gsize *pos, gsize limit, Field *f)
{
  gsize e, colon;

  if (*pos >= limit)
    return FALSE;
  e = line_end (b, *pos, limit);
  if (line_is_empty (b, *pos, e))
    return FALSE;
  f->start = *pos;
  f->name_len = 0;
  f->value = e;
  for (colon = *pos; colon < e && b->data[colon] != ':' && b->data[colon] != '\n'; colon++)
    ;
  if (colon < e && b->data[colon] == ':')
    {
      gsize n = colon;

      /* RFC 5322 4.5: obsolete WSP before the colon. */
      while (n > *pos && is_wsp (b->data[n - 1]))
        n--;
      f->name_len = n - *pos;
      f->value = colon + 1;
    }
  while (e < limit && is_wsp (b->data[e]))
    e = line_end (b, e, limit);
  f->end = e;
  *pos = e;
  return TRUE;
}

static gboolean
field_is (const Builder *b, const Field *f, const char *name)
{
  return f->name_len == strlen (name)
         && g_ascii_strncasecmp (b->data + f->start, name, f->name_len) == 0;
}

/* RFC 5322 2.2.3 unfolding, then leading/trailing white space trimmed. */
static char *
unfold (const char *s, gsize len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    if (s[i] != '\r' && s[i] != '\n')
      g_string_append_c (out, s[i]);
  g_strstrip (out->str);
  out->len = strlen (out->str);
  return g_string_free (out, FALSE);
}

/* The first field named @name in the header block [start, limit), raw,
 * unfolded; NULL if absent. */
static char *
dup_field (const Builder *b, gsize start, gsize limit, const char *name)
{
  gsize pos = start;
  Field f;

  while (next_field (b, &pos, limit, &f))
    if (field_is (b, &f, name))
      return unfold (b->data + f.value, f.end - f.value);
  return NULL;
}

/* ---- addresses (RFC 5322 3.4) ---- */

typedef enum { TOK_ATOM, TOK_QUOTED, TOK_DOMAIN_LITERAL, TOK_SPECIAL, TOK_COMMENT } TokKind;

typedef struct {
  TokKind     kind;
  const char *start;   /* raw, delimiters included */
  gsize       len;
  gsize       inner_len;  /* quoted, comment: without the delimiters */
  gboolean    space_before;
} Tok;

/* s[i] opens; returns the length of the token and sets *inner_len to
 * that of its content. Quoted pairs (RFC 5322 3.2.1) hide the closer;
 * comments nest (3.2.2). Unterminated: runs to the end. */
static gsize
skip_delimited (const char *s, gsize i, gsize len, char close, gboolean nests, gsize *inner_len)
{
  int depth = 1;
  gsize start = i;

  for (i++; i < len; i++)
    {
      if (s[i] == '\\' && i + 1 < len)
        i++;
      else if (nests && s[i] == '(')
        depth++;
      else if (s[i] == close && --depth == 0)
        {
          *inner_len = i - start - 1;
          return i + 1 - start;
        }
    }
  *inner_len = len - start - 1;
  return len - start;
}

static GArray *
tokenize (const char *s, gsize len)
{
  GArray *toks = g_array_new (FALSE, FALSE, sizeof (Tok));
  gboolean space = FALSE;
  gsize i = 0;

  while (i < len)
    {
      Tok t = { 0 };
      char c = s[i];

      if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        {
          space = TRUE;
          i++;
          continue;
        }
      t.start = s + i;
      t.space_before = space;
      space = FALSE;
      if (c == '(')
        {
          t.kind = TOK_COMMENT;
          t.len = skip_delimited (s, i, len, ')', TRUE, &t.inner_len);
          space = TRUE;  /* a comment separates words like white space */
        }
      else if (c == '"')
        {
          t.kind = TOK_QUOTED;
          t.len = skip_delimited (s, i, len, '"', FALSE, &t.inner_len);
        }
      else if (c == '[')
        {
          t.kind = TOK_DOMAIN_LITERAL;
          t.len = skip_delimited (s, i, len, ']', FALSE, &t.inner_len);
        }
      else if (strchr ("<>:;@,.\\)]", c) != NULL)
        {
          t.kind = TOK_SPECIAL;
          t.len = 1;
        }
      else
        {
          gsize j = i;

          while (j < len && strchr ("()<>[]:;@\\,.\" \t\r\n", s[j]) == NULL)
            j++;
          t.kind = TOK_ATOM;
          t.len = j - i;
        }
      i += t.len;
      g_array_append_val (toks, t);
    }
  return toks;
}

static gboolean
tok_is (const Tok *t, char special)
{
  return t->kind == TOK_SPECIAL && t->start[0] == special;
}

/* The content of a quoted string or comment, quoted pairs undone. */
static void
append_unquoted (GString *out, const Tok *t)
{
  const char *s = t->start + 1;

  for (gsize i = 0; i < t->inner_len; i++)
    {
      if (s[i] == '\\' && i + 1 < t->inner_len)
        i++;
      g_string_append_c (out, s[i]);
    }
}

/* The display name: words joined as written, quotes removed, encoded
 * words left alone (IMAP returns them so). NULL if there are none. */
static char *
phrase_text (const Tok *toks, guint from, guint to)
{
  GString *out = g_string_new (NULL);

  for (guint i = from; i < to; i++)
    {
      const Tok *t = &toks[i];

      if (t->kind == TOK_COMMENT)
        continue;
      if (out->len > 0 && t->space_before)
        g_string_append_c (out, ' ');
      if (t->kind == TOK_QUOTED)
        append_unquoted (out, t);
      else
        g_string_append_len (out, t->start, t->len);
    }
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

/* Local part or domain: tokens joined raw, without white space. */
static char *
raw_text (const Tok *toks, guint from, guint to)
{
  GString *out = g_string_new (NULL);

  for (guint i = from; i < to; i++)
    if (toks[i].kind != TOK_COMMENT)
      g_string_append_len (out, toks[i].start, toks[i].len);
  return g_string_free (out, FALSE);
}

static void
add_address (GPtrArray *list, char *name, char *adl, char *mailbox, char *host)
{
  MlAddress *a = g_new0 (MlAddress, 1);

  a->name = name;
  a->adl = adl;
  a->mailbox = mailbox;
  a->host = host;
  g_ptr_array_add (list, a);
}

/* addr-spec in [from, to): local "@" domain, split at the last '@'. A
 * missing domain gives host "" (not NULL, which would mean a group). */
static void
add_addr_spec (GPtrArray *list, const Tok *toks, guint from, guint to, char *name, char *adl)
{
  guint at = to;

  for (guint i = from; i < to; i++)
    if (tok_is (&toks[i], '@'))
      at = i;
  add_address (list, name, adl, raw_text (toks, from, at),
               at < to ? raw_text (toks, at + 1, to) : g_strdup (""));
}

GPtrArray *
ml_address_list_parse (const char *value, gssize len)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_address_free);
  g_autoptr(GArray) array = NULL;
  const Tok *toks;
  gboolean in_group = FALSE;
  guint i = 0, n;

  if (value == NULL)
    return list;
  array = tokenize (value, len < 0 ? strlen (value) : (gsize) len);
  toks = (const Tok *) array->data;
  n = array->len;
  while (i < n)
    {
      guint j, words = 0;
      gboolean has_at = FALSE;
      const Tok *comment = NULL;

      if (tok_is (&toks[i], ','))
        {
          i++;
          continue;
        }
      if (tok_is (&toks[i], ';'))
        {
          if (in_group)
            add_address (list, NULL, NULL, NULL, NULL);
          in_group = FALSE;
          i++;
          continue;
        }
      for (j = i; j < n && !tok_is (&toks[j], '<') && !tok_is (&toks[j], ':')
                  && !tok_is (&toks[j], ',') && !tok_is (&toks[j], ';'); j++)
        {
          if (toks[j].kind == TOK_COMMENT)
            comment = &toks[j];
          else
            words++;
          if (tok_is (&toks[j], '@'))
            has_at = TRUE;
        }

      if (j < n && tok_is (&toks[j], ':') && !has_at && !in_group)
        {
          /* RFC 5322 3.4 group: display-name ":" [group-list] ";". RFC 3501
           * 7.4.2: a start marker with the name in mailbox, host NIL. */
          char *name = phrase_text (toks, i, j);

          add_address (list, NULL, NULL, name ? name : g_strdup (""), NULL);
          in_group = TRUE;
          i = j + 1;
          continue;
        }
      if (j < n && tok_is (&toks[j], '<'))
        {
          guint k = j + 1, e, spec;
          char *adl = NULL;

          for (e = k; e < n && !tok_is (&toks[e], '>'); e++)
            ;
          spec = k;
          if (k < e && tok_is (&toks[k], '@'))
            {
              /* RFC 5322 4.4 obs-route "@a,@b:" before the addr-spec. */
              for (spec = k; spec < e && !tok_is (&toks[spec], ':'); spec++)
                ;
              if (spec < e)
                adl = raw_text (toks, k, spec++);
              else
                spec = k;
            }
          if (spec < e)
            add_addr_spec (list, toks, spec, e, phrase_text (toks, i, j), adl);
          else
            g_free (adl);  /* "<>" names nobody */
          /* Skip anything up to the next separator (comments, junk). */
          for (i = e + 1; i < n && !tok_is (&toks[i], ',') && !tok_is (&toks[i], ';'); i++)
            ;
          continue;
        }
      if (words > 0)
        {
          char *name = NULL;

          /* RFC 5322 3.4: "a@b (Name)" — the comment is the only name. */
          if (comment != NULL && comment->inner_len > 0)
            {
              GString *text = g_string_new (NULL);

              append_unquoted (text, comment);
              name = g_string_free (text, FALSE);
            }
          add_addr_spec (list, toks, i, j, name, NULL);
        }
      /* A stray ':' (after an '@', or inside a group) separates too. */
      i = (j < n && tok_is (&toks[j], ':')) ? j + 1 : j;
    }
  if (in_group)
    add_address (list, NULL, NULL, NULL, NULL);
  return list;
}

static GPtrArray *
dup_address_field (const Builder *b, gsize start, gsize limit, const char *name)
{
  g_autofree char *value = dup_field (b, start, limit, name);
  GPtrArray *list;

  if (value == NULL)
    return NULL;
  list = ml_address_list_parse (value, -1);
  if (list->len == 0)
    g_clear_pointer (&list, g_ptr_array_unref);
  return list;
}

static GPtrArray *
copy_addresses (GPtrArray *src)
{
  GPtrArray *out;

  if (src == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_address_free);
  for (guint i = 0; i < src->len; i++)
    {
      MlAddress *a = src->pdata[i];

      add_address (out, g_strdup (a->name), g_strdup (a->adl), g_strdup (a->mailbox),
                   g_strdup (a->host));
    }
  return out;
}

/* RFC 3501 7.4.2 from the header block [start, limit). */
static MlEnvelope *
build_envelope (const Builder *b, gsize start, gsize limit)
{
  MlEnvelope *env = g_new0 (MlEnvelope, 1);

  env->date = dup_field (b, start, limit, "Date");
  env->subject = dup_field (b, start, limit, "Subject");
  env->from = dup_address_field (b, start, limit, "From");
  env->sender = dup_address_field (b, start, limit, "Sender");
  env->reply_to = dup_address_field (b, start, limit, "Reply-To");
  env->to = dup_address_field (b, start, limit, "To");
  env->cc = dup_address_field (b, start, limit, "Cc");
  env->bcc = dup_address_field (b, start, limit, "Bcc");
  env->in_reply_to = dup_field (b, start, limit, "In-Reply-To");
  env->message_id = dup_field (b, start, limit, "Message-ID");
  /* RFC 3501 7.4.2: "If the Sender or Reply-To lines are absent in the
   * [RFC-2822] header, or are present but empty, the server sets the
   * corresponding member of the envelope to be the same value as the from
   * member". */
  if (env->sender == NULL)
    env->sender = copy_addresses (env->from);
  if (env->reply_to == NULL)
    env->reply_to = copy_addresses (env->from);
  return env;
}

/* ---- structure ---- */

static GPtrArray *
params_from_gmime (GMimeParamList *list)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) param_free);
  int n = list ? g_mime_param_list_length (list) : 0;

  for (int i = 0; i < n; i++)
    {
      GMimeParam *p = g_mime_param_list_get_parameter_at (list, i);
      MlMimeParam *mp = g_new0 (MlMimeParam, 1);

      mp->name = g_strdup (g_mime_param_get_name (p));
      mp->value = g_strdup (g_mime_param_get_value (p));
      g_ptr_array_add (out, mp);
    }
  return out;
}

static gboolean
has_param (GPtrArray *params, const char *name)
{
  for (guint i = 0; i < params->len; i++)
    if (g_ascii_strcasecmp (((MlMimeParam *) params->pdata[i])->name, name) == 0)
      return TRUE;
  return FALSE;
}

static char **
split_languages (char *raw)
{
  g_auto(GStrv) items = NULL;
  GPtrArray *out;

  if (raw == NULL)
    return NULL;
  items = g_strsplit (raw, ",", -1);
  out = g_ptr_array_new ();
  for (guint i = 0; items[i] != NULL; i++)
    {
      g_strstrip (items[i]);
      if (*items[i] != '\0')
        g_ptr_array_add (out, g_strdup (items[i]));
    }
  g_free (raw);
  if (out->len == 0)
    {
      g_ptr_array_free (out, TRUE);
      return NULL;
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static guint64
count_lines (const Builder *b, gsize start, gsize end)
{
  guint64 lines = 0;

  for (gsize i = start; i < end; i++)
    if (b->data[i] == '\n')
      lines++;
  /* The last line of a part ends with the CRLF that belongs to the next
   * boundary (RFC 2046 5.1.1); it is still a line. */
  if (end > start && b->data[end - 1] != '\n')
    lines++;
  return lines;
}

/* Delimiter line "--boundary" (optional "--" and white space after) at
 * @pos, which is a line start. */
static gboolean
is_delimiter (const Builder *b, gsize pos, gsize limit, const char *boundary, gsize blen,
              gboolean *close)
{
  gsize i = pos + 2 + blen;

  if (limit - pos < 2 + blen || b->data[pos] != '-' || b->data[pos + 1] != '-'
      || memcmp (b->data + pos + 2, boundary, blen) != 0)
    return FALSE;
  *close = i + 1 < limit && b->data[i] == '-' && b->data[i + 1] == '-';
  if (*close)
    i += 2;
  for (; i < limit && b->data[i] != '\r' && b->data[i] != '\n'; i++)
    if (!is_wsp (b->data[i]))
      return FALSE;
  return TRUE;
}

/* The line break before a delimiter belongs to it (RFC 2046 5.1.1). */
static gsize
before_delimiter (const Builder *b, gsize pos, gsize floor)
{
  if (pos > floor && b->data[pos - 1] == '\n')
    pos--;
  if (pos > floor && b->data[pos - 1] == '\r')
    pos--;
  return pos;
}

typedef struct {
  gsize start;
  gsize end;
} Region;

/* The encapsulated parts of a multipart body [start, end). */
static GArray *
find_part_regions (const Builder *b, gsize start, gsize end, const char *boundary)
{
  GArray *regions = g_array_new (FALSE, FALSE, sizeof (Region));
  gsize blen = boundary ? strlen (boundary) : 0;
  gboolean open = FALSE;
  gsize pos = start;

  if (blen == 0)
    return regions;
  while (pos < end)
    {
      gsize e = line_end (b, pos, end);
      gboolean close;

      if (is_delimiter (b, pos, e, boundary, blen, &close))
        {
          if (open)
            g_array_index (regions, Region, regions->len - 1).end =
              MAX (g_array_index (regions, Region, regions->len - 1).start,
                   before_delimiter (b, pos, start));
          if (close)
            return regions;
          {
            Region r = { e, end };
            g_array_append_val (regions, r);
            open = TRUE;
          }
        }
      pos = e;
    }
  return regions;
}

static MlMimePart *build_message (const Builder *b, GMimeMessage *message, gsize start,
                                  gsize end, guint depth, MlEnvelope **envelope_out);

static gboolean
is_rfc822 (GMimeObject *obj)
{
  GMimeContentType *ct;

  if (!GMIME_IS_MESSAGE_PART (obj))
    return FALSE;
  ct = g_mime_object_get_content_type (obj);
  return ct != NULL && g_ascii_strcasecmp (g_mime_content_type_get_media_subtype (ct), "rfc822") == 0;
}

static MlMimePart *
empty_text_part (gsize at)
{
  MlMimePart *part = g_new0 (MlMimePart, 1);
  MlMimeParam *charset = g_new0 (MlMimeParam, 1);

  part->type = g_strdup ("text");
  part->subtype = g_strdup ("plain");
  part->params = g_ptr_array_new_with_free_func ((GDestroyNotify) param_free);
  charset->name = g_strdup ("charset");
  charset->value = g_strdup ("us-ascii");
  g_ptr_array_add (part->params, charset);
  part->encoding = g_strdup ("7bit");
  part->disposition_params = g_ptr_array_new_with_free_func ((GDestroyNotify) param_free);
  part->header_start = part->body_start = part->end = at;
  return part;
}

/* One entity whose header starts at @start and which ends at @end; @obj is
 * GMime's view of it (may be NULL: then text/plain, RFC 2045 5.2). */
static MlMimePart *
build_part (const Builder *b, GMimeObject *obj, gsize start, gsize end, guint depth)
{
  MlMimePart *part = g_new0 (MlMimePart, 1);
  GMimeContentType *ct = obj ? g_mime_object_get_content_type (obj) : NULL;
  gboolean too_deep = depth >= ML_MIME_MAX_DEPTH
                      && obj != NULL && (GMIME_IS_MULTIPART (obj) || GMIME_IS_MESSAGE_PART (obj));
  g_autofree char *content_type = NULL;

  part->header_start = start;
  part->body_start = header_block_end (b, start, end);
  part->end = end;

  if (obj != NULL && GMIME_IS_PART (obj))
    {
      GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (obj));
      GMimeStream *stream = content ? g_mime_data_wrapper_get_stream (content) : NULL;

      /* The persistent stream's bounds are GMime's own word on where this
       * body sits; keep them when they fit the region we worked out. */
      if (stream != NULL && stream->bound_start >= (gint64) start
          && stream->bound_start <= stream->bound_end && stream->bound_end <= (gint64) end)
        {
          part->body_start = stream->bound_start;
          part->end = stream->bound_end;
        }
    }

  if (too_deep)
    {
      /* Not described further; stays a well-formed leaf for BODYSTRUCTURE. */
      part->type = g_strdup ("application");
      part->subtype = g_strdup ("octet-stream");
      part->params = g_ptr_array_new_with_free_func ((GDestroyNotify) param_free);
    }
  else
    {
      part->type = g_strdup (ct ? g_mime_content_type_get_media_type (ct) : "text");
      part->subtype = g_strdup (ct ? g_mime_content_type_get_media_subtype (ct) : "plain");
      part->params = params_from_gmime (ct ? g_mime_content_type_get_parameters (ct) : NULL);
    }
  /* RFC 2046 4.1.2: text without a charset is US-ASCII. */
  if (g_ascii_strcasecmp (part->type, "text") == 0 && !has_param (part->params, "charset"))
    {
      MlMimeParam *charset = g_new0 (MlMimeParam, 1);

      charset->name = g_strdup ("charset");
      charset->value = g_strdup ("us-ascii");
      g_ptr_array_add (part->params, charset);
    }

  part->id = dup_field (b, start, part->body_start, "Content-ID");
  part->description = dup_field (b, start, part->body_start, "Content-Description");
  part->encoding = dup_field (b, start, part->body_start, "Content-Transfer-Encoding");
  if (part->encoding == NULL || *part->encoding == '\0')
    {
      /* RFC 2045 6.1: "Content-Transfer-Encoding: 7BIT" is the default. */
      g_free (part->encoding);
      part->encoding = g_strdup ("7bit");
    }
  part->md5 = dup_field (b, start, part->body_start, "Content-MD5");
  part->location = dup_field (b, start, part->body_start, "Content-Location");
  part->language = split_languages (dup_field (b, start, part->body_start, "Content-Language"));
  if (obj != NULL && g_mime_object_get_content_disposition (obj) != NULL)
    {
      GMimeContentDisposition *d = g_mime_object_get_content_disposition (obj);

      part->disposition = g_strdup (g_mime_content_disposition_get_disposition (d));
      part->disposition_params = params_from_gmime (g_mime_content_disposition_get_parameters (d));
    }
  else
    part->disposition_params = g_ptr_array_new_with_free_func ((GDestroyNotify) param_free);

  if (!too_deep && obj != NULL && GMIME_IS_MULTIPART (obj))
    {
      GMimeMultipart *mp = GMIME_MULTIPART (obj);
      g_autoptr(GArray) regions = find_part_regions (b, part->body_start, part->end,
                                                     g_mime_multipart_get_boundary (mp));
      guint n = g_mime_multipart_get_count (mp);

      part->children = g_ptr_array_new_with_free_func ((GDestroyNotify) part_free);
      for (guint i = 0; i < n; i++)
        {
          Region r = { part->end, part->end };

          if (i < regions->len)
            r = g_array_index (regions, Region, i);
          g_ptr_array_add (part->children,
                           build_part (b, g_mime_multipart_get_part (mp, i), r.start, r.end, depth + 1));
        }
      /* RFC 3501 9 body-type-mpart needs at least one body; a multipart
       * whose boundary never appears (GMime: all prologue) gets an empty
       * text part, as Dovecot reports it. */
      if (part->children->len == 0)
        g_ptr_array_add (part->children, empty_text_part (part->end));
    }
  else if (!too_deep && obj != NULL && is_rfc822 (obj))
    {
      GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (obj));

      part->message = build_message (b, inner, part->body_start, part->end, depth + 1,
                                     &part->envelope);
    }

  part->size = part->end - part->body_start;
  if (g_ascii_strcasecmp (part->type, "text") == 0 || part->message != NULL)
    part->lines = count_lines (b, part->body_start, part->end);
  return part;
}

/* A message (top level or embedded) in [start, end): its header is the
 * message header, its type that of its body (RFC 3501 7.4.2). */
static MlMimePart *
build_message (const Builder *b, GMimeMessage *message, gsize start, gsize end, guint depth,
               MlEnvelope **envelope_out)
{
  GMimeObject *body = message ? g_mime_message_get_mime_part (message) : NULL;
  MlMimePart *part = build_part (b, body, start, end, depth);

  *envelope_out = build_envelope (b, start, part->body_start);
  return part;
}

static void
ensure_gmime (void)
{
  static gsize initialized = 0;

  /* Never shut down: the library lives as long as the process. */
  if (g_once_init_enter (&initialized))
    {
      g_mime_init ();
      g_once_init_leave (&initialized, 1);
    }
}

static GMimeMessage *
parse (MlMessage *msg)
{
  GBytes *data = ml_message_get_data (msg);
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  GMimeStream *stream;
  GMimeParser *parser;
  GMimeMessage *message;

  ensure_gmime ();
  /* An empty GBytes may hold NULL, which GMime refuses. */
  stream = g_mime_stream_mem_new_with_buffer (bytes ? (const char *) bytes : "", len);
  parser = g_mime_parser_new_with_stream (stream);
  /* Leaf bodies stay substreams of @stream, which is what gives us their
   * bounds in the original bytes. */
  g_mime_parser_set_persist_stream (parser, TRUE);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
  message = g_mime_parser_construct_message (parser, NULL);
  g_object_unref (parser);
  g_object_unref (stream);
  return message;
}

static void
ensure_structure (MlMessage *msg)
{
  MimeCache *cache = get_cache (msg);
  GMimeMessage *parsed = NULL;
  GMimeMessage *message;
  gsize len;
  Builder b;

  if (cache->structure != NULL)
    return;
  message = cache->mime;
  if (message == NULL)
    message = parsed = parse (msg);
  b.data = g_bytes_get_data (ml_message_get_data (msg), &len);
  b.len = len;
  if (b.data == NULL)
    b.data = "";
  /* GMime refuses a message without any header line; it is then all
   * body, text/plain (RFC 2045 5.2), which build_message handles. */
  cache->structure = build_message (&b, message, 0, b.len, 0, &cache->envelope);
  g_clear_object (&parsed);
}

GMimeMessage *
ml_message_get_mime (MlMessage *msg)
{
  MimeCache *cache;

  g_return_val_if_fail (msg != NULL, NULL);
  cache = get_cache (msg);
  if (cache->mime == NULL)
    cache->mime = parse (msg);
  return cache->mime;
}

void
ml_message_drop_mime (MlMessage *msg)
{
  g_return_if_fail (msg != NULL);
  _ml_message_set_mime_cache (msg, NULL, NULL);
}

MlMimePart *
ml_message_get_structure (MlMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  ensure_structure (msg);
  return get_cache (msg)->structure;
}

MlEnvelope *
ml_message_get_envelope (MlMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  ensure_structure (msg);
  return get_cache (msg)->envelope;
}

/* ---- sections (RFC 3501 6.4.5) ---- */

/* Walks @part; *at_message_out tells whether the result is a message
 * (the root, n_part == 0) rather than a part. */
static MlMimePart *
find_part (MlMimePart *root, const guint *part, guint n_part)
{
  MlMimePart *node = root;
  gboolean at_message = TRUE;

  for (guint i = 0; i < n_part; i++)
    {
      guint n = part[i];

      if (n == 0)
        return NULL;
      if (!at_message)
        {
          if (node->message != NULL)
            node = node->message;       /* numbers go on inside the message */
          else if (node->children == NULL)
            return NULL;                /* a leaf has no parts */
        }
      if (node->children != NULL)
        {
          if (n > node->children->len)
            return NULL;
          node = node->children->pdata[n - 1];
        }
      else if (n != 1)
        return NULL;                    /* "part 1 of a non-multipart is its body" */
      at_message = FALSE;
    }
  return node;
}

MlMimePart *
ml_mime_part_find (MlMimePart *root, const guint *part, guint n_part)
{
  g_return_val_if_fail (root != NULL, NULL);
  return find_part (root, part, n_part);
}

static gboolean
field_name_is_valid (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > ML_MIME_MAX_FIELD_NAME)
    return FALSE;
  /* RFC 5322 3.6.8: ftext is %d33-57 / %d59-126. */
  for (gsize i = 0; i < len; i++)
    if ((guchar) name[i] < 33 || (guchar) name[i] > 126 || name[i] == ':')
      return FALSE;
  return TRUE;
}

static gboolean
check_fields (const char *const *fields, GError **error)
{
  guint n = fields ? g_strv_length ((char **) fields) : 0;

  if (n == 0)
    {
      g_set_error (error, ML_MIME_ERROR, ML_MIME_ERROR_INVALID_FIELD,
                   "HEADER.FIELDS needs at least one field name (RFC 3501 9 header-list)");
      return FALSE;
    }
  if (n > ML_MIME_MAX_FIELDS)
    {
      g_set_error (error, ML_MIME_ERROR, ML_MIME_ERROR_TOO_MANY_FIELDS,
                   "Too many header field names (%u, at most %u)", n, ML_MIME_MAX_FIELDS);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    if (!field_name_is_valid (fields[i]))
      {
        g_set_error (error, ML_MIME_ERROR, ML_MIME_ERROR_INVALID_FIELD,
                     "“%.40s” is not a header field name (RFC 5322 3.6.8)", fields[i]);
        return FALSE;
      }
  return TRUE;
}

static GBytes *
slice (GBytes *data, gsize start, gsize end)
{
  if (end <= start)
    return g_bytes_new (NULL, 0);
  return g_bytes_new_from_bytes (data, start, end - start);
}

/* HEADER.FIELDS[.NOT]: matching fields in message order, folding as
 * stored, then the header's own blank line. */
static GBytes *
filter_header (const Builder *b, gsize start, gsize end, const char *const *fields, gboolean keep)
{
  GByteArray *out = g_byte_array_new ();
  gsize pos = start;
  Field f;

  while (next_field (b, &pos, end, &f))
    {
      gboolean listed = FALSE;

      for (guint i = 0; fields[i] != NULL && !listed && f.name_len > 0; i++)
        listed = field_is (b, &f, fields[i]);
      if (listed == keep)
        g_byte_array_append (out, (const guint8 *) b->data + f.start, f.end - f.start);
    }
  /* RFC 3501 6.4.5: "The blank line is included in all header fetches,
   * except in the case of a message which has no body and no blank line." */
  if (pos < end)
    g_byte_array_append (out, (const guint8 *) b->data + pos, end - pos);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
ml_message_get_section (MlMessage *msg, const guint *part, guint n_part, MlSectionText text,
                        const char *const *fields, GError **error)
{
  GBytes *data;
  MlMimePart *node, *message;
  Builder b;
  gsize len;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (n_part == 0 || part != NULL, NULL);

  if (text == ML_SECTION_TEXT_MIME && n_part == 0)
    {
      g_set_error (error, ML_MIME_ERROR, ML_MIME_ERROR_INVALID_SECTION,
                   "MIME needs a part number before it, as in 1.MIME (RFC 3501 6.4.5)");
      return NULL;
    }
  if ((text == ML_SECTION_TEXT_HEADER_FIELDS || text == ML_SECTION_TEXT_HEADER_FIELDS_NOT)
      && !check_fields (fields, error))
    return NULL;
  if (n_part > ML_MIME_MAX_DEPTH)
    return g_bytes_new (NULL, 0);

  data = ml_message_get_data (msg);
  b.data = g_bytes_get_data (data, &len);
  b.len = len;
  node = find_part (ml_message_get_structure (msg), part, n_part);
  if (node == NULL)
    return g_bytes_new (NULL, 0);

  if (n_part == 0)
    message = node;
  else if (text == ML_SECTION_TEXT_NONE)
    return slice (data, node->body_start, node->end);
  else if (text == ML_SECTION_TEXT_MIME)
    return slice (data, node->header_start, node->body_start);
  else
    message = node->message;  /* HEADER and TEXT need a message/rfc822 */

  if (message == NULL)
    return g_bytes_new (NULL, 0);
  switch (text)
    {
    case ML_SECTION_TEXT_NONE:
      return slice (data, 0, len);
    case ML_SECTION_TEXT_HEADER:
      return slice (data, message->header_start, message->body_start);
    case ML_SECTION_TEXT_TEXT:
      return slice (data, message->body_start, message->end);
    case ML_SECTION_TEXT_HEADER_FIELDS:
    case ML_SECTION_TEXT_HEADER_FIELDS_NOT:
      return filter_header (&b, message->header_start, message->body_start, fields,
                            text == ML_SECTION_TEXT_HEADER_FIELDS);
    case ML_SECTION_TEXT_MIME:
    default:
      break;
    }
  return g_bytes_new (NULL, 0);
}

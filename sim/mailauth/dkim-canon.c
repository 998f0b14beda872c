/* dkim-canon.c — the text side of DKIM: tag-lists (RFC 6376 3.2), the
 * signature and key record tags (3.5, 3.6.1), canonicalization (3.4) and
 * the data the hashes cover (3.7).
 */
#include "mailauth/dkim-private.h"

#include <string.h>
#include <openssl/sha.h>

G_DEFINE_QUARK (ml-dkim-error-quark, ml_dkim_error)

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')
/* FWS as the tag-list grammar sees it (3.2 uses [FWS] everywhere). */
#define IS_FWS(c) (IS_WSP (c) || (c) == '\r' || (c) == '\n')

const char *
ml_dkim_result_to_string (MlDkimResult result)
{
  static const char *const words[] = {
    "none", "pass", "fail", "policy", "neutral", "temperror", "permerror",
  };

  if ((guint) result < G_N_ELEMENTS (words))
    return words[result];
  return "permerror";
}

const char *
ml_dkim_algorithm_to_string (MlDkimAlgorithm alg)
{
  return alg == ML_DKIM_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

const char *
ml_dkim_canon_to_string (MlDkimCanon canon)
{
  return canon == ML_DKIM_CANON_RELAXED ? "relaxed" : "simple";
}

static void
tag_free (gpointer data)
{
  MlDkimTag *tag = data;

  g_free (tag->name);
  g_free (tag->value);
  g_free (tag);
}

void
ml_dkim_tags_free (GPtrArray *tags)
{
  if (tags != NULL)
    g_ptr_array_unref (tags);
}

GPtrArray *
ml_dkim_tags_parse (const char *text, gsize len, GError **error)
{
  g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func (tag_free);
  gsize pos = 0;

  if (len > ML_DKIM_MAX_TAG_LIST)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "tag-list longer than %d octets", ML_DKIM_MAX_TAG_LIST);
      return NULL;
    }
  while (pos < len)
    {
      gsize end = pos, a, b, eq, vs, ve;
      MlDkimTag *tag;

      while (end < len && text[end] != ';')
        end++;
      a = pos;
      b = end;
      while (a < b && IS_FWS (text[a]))
        a++;
      while (b > a && IS_FWS (text[b - 1]))
        b--;
      if (a == b)
        {
          /* 3.2: only the final ";" may be followed by nothing. */
          if (end < len)
            {
              g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                           "empty tag at offset %" G_GSIZE_FORMAT, a);
              return NULL;
            }
          break;
        }
      for (eq = a; eq < b && text[eq] != '='; eq++)
        ;
      if (eq == b)
        {
          g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                       "tag without \"=\" at offset %" G_GSIZE_FORMAT, a);
          return NULL;
        }
      ve = eq;
      while (ve > a && IS_FWS (text[ve - 1]))
        ve--;
      /* tag-name = ALPHA *ALNUMPUNC (3.2) */
      if (ve == a || !g_ascii_isalpha (text[a]))
        {
          g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                       "bad tag name at offset %" G_GSIZE_FORMAT, a);
          return NULL;
        }
      for (gsize i = a; i < ve; i++)
        if (!g_ascii_isalnum (text[i]) && text[i] != '_')
          {
            g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                         "bad tag name at offset %" G_GSIZE_FORMAT, a);
            return NULL;
          }
      vs = eq + 1;
      while (vs < b && IS_FWS (text[vs]))
        vs++;
      /* VALCHAR = %x21-3A / %x3C-7E, with WSP/FWS between tvals. */
      for (gsize i = vs; i < b; i++)
        {
          guchar c = (guchar) text[i];

          if (!IS_FWS (c) && (c < 0x21 || c > 0x7e))
            {
              g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                           "bad character 0x%02x in a tag value at offset %"
                           G_GSIZE_FORMAT, c, i);
              return NULL;
            }
        }
      if (tags->len >= ML_DKIM_MAX_TAGS)
        {
          g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                       "more than %d tags", ML_DKIM_MAX_TAGS);
          return NULL;
        }
      tag = g_new0 (MlDkimTag, 1);
      tag->name = g_strndup (text + a, ve - a);
      tag->value = g_strndup (text + vs, b - vs);
      tag->value_start = eq + 1;
      tag->value_end = end;
      g_ptr_array_add (tags, tag);
      /* 3.2: "Tags with duplicate names MUST NOT occur within a single
       * tag-list; if a tag name does occur more than once, the entire
       * tag-list is invalid." Names are case-sensitive. */
      for (guint i = 0; i + 1 < tags->len; i++)
        if (strcmp (((MlDkimTag *) tags->pdata[i])->name, tag->name) == 0)
          {
            g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                         "tag \"%s\" appears twice", tag->name);
            return NULL;
          }
      pos = end + 1;
    }
  return g_steal_pointer (&tags);
}

const char *
ml_dkim_tags_lookup (GPtrArray *tags, const char *name)
{
  for (guint i = 0; i < tags->len; i++)
    {
      MlDkimTag *tag = tags->pdata[i];

      if (strcmp (tag->name, name) == 0)
        return tag->value;
    }
  return NULL;
}

/* base64 values may be folded (3.5 b=): drop all whitespace. */
static char *
strip_fws (const char *value)
{
  GString *out = g_string_new (NULL);

  for (const char *p = value; *p; p++)
    if (!IS_FWS (*p))
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

char *
ml_dkim_canon_header (const char *field, gsize len, MlDkimCanon canon)
{
  GString *out;
  gboolean crlf = len >= 2 && field[len - 2] == '\r' && field[len - 1] == '\n';
  gsize colon, i;
  gboolean space = FALSE, started = FALSE;

  if (canon == ML_DKIM_CANON_SIMPLE)
    return g_strndup (field, len);   /* 3.4.1: no change at all */
  if (crlf)
    len -= 2;
  /* 3.4.2: lower-case the name, unfold, squeeze WSP to one SP, drop
   * WSP at the end of the value and around the colon. */
  out = g_string_sized_new (len + 2);
  for (colon = 0; colon < len && field[colon] != ':'; colon++)
    ;
  for (i = 0; i < colon; i++)
    if (!IS_WSP (field[i]))
      g_string_append_c (out, g_ascii_tolower (field[i]));
  g_string_append_c (out, ':');
  for (i = colon + 1; i < len; i++)
    {
      char c = field[i];

      if (c == '\r' && i + 1 < len && field[i + 1] == '\n')
        {
          i++;
          continue;
        }
      if (IS_WSP (c))
        {
          space = TRUE;
          continue;
        }
      if (space && started)
        g_string_append_c (out, ' ');
      space = FALSE;
      started = TRUE;
      g_string_append_c (out, c);
    }
  if (crlf)
    g_string_append (out, "\r\n");
  return g_string_free (out, FALSE);
}

GBytes *
ml_dkim_canon_body (const char *body, gsize len, MlDkimCanon canon)
{
  GString *out = g_string_sized_new (len + 2);
  gsize pos = 0;

  if (canon == ML_DKIM_CANON_SIMPLE)
    {
      g_string_append_len (out, body, len);
      /* 3.4.3: a missing final CRLF is added (also for an empty body). */
      if (out->len < 2 || memcmp (out->str + out->len - 2, "\r\n", 2) != 0)
        g_string_append (out, "\r\n");
    }
  else
    {
      while (pos < len)
        {
          gsize end = pos, line_start = out->len;
          gboolean space = FALSE;

          while (end < len && !(body[end] == '\r' && end + 1 < len && body[end + 1] == '\n'))
            end++;
          /* 3.4.4: WSP at the line end goes, inner runs become one SP. */
          for (gsize i = pos; i < end; i++)
            {
              if (IS_WSP (body[i]))
                {
                  space = TRUE;
                  continue;
                }
              if (space)
                g_string_append_c (out, ' ');
              space = FALSE;
              g_string_append_c (out, body[i]);
            }
          if (end < len || out->len > line_start)
            g_string_append (out, "\r\n");
          pos = end < len ? end + 2 : end;
        }
    }
  /* 3.4.3 / 3.4.4: empty lines at the end are ignored; relaxed makes a
   * body of only empty lines empty, simple keeps one CRLF. */
  while (out->len >= 4 && memcmp (out->str + out->len - 4, "\r\n\r\n", 4) == 0)
    g_string_truncate (out, out->len - 2);
  if (canon == ML_DKIM_CANON_RELAXED && out->len == 2)
    g_string_truncate (out, 0);
  return g_string_free_to_bytes (out);
}

GArray *
ml_dkim_split_message (const char *message, gsize len, gsize *body_out)
{
  GArray *fields = g_array_new (FALSE, TRUE, sizeof (MlDkimField));
  gsize pos = 0;

  *body_out = len;
  while (pos < len)
    {
      gsize end = pos;
      MlDkimField field = { 0 };

      if (len - pos >= 2 && message[pos] == '\r' && message[pos + 1] == '\n')
        {
          *body_out = pos + 2;   /* RFC 5322 2.1: the empty line */
          break;
        }
      /* a field runs until a line that does not start with WSP */
      for (;;)
        {
          while (end < len && !(message[end] == '\r' && end + 1 < len && message[end + 1] == '\n'))
            end++;
          end = MIN (end + 2, len);
          if (end >= len || !IS_WSP (message[end]))
            break;
        }
      field.start = message + pos;
      field.len = end - pos;
      while (field.name_len < field.len && field.start[field.name_len] != ':'
             && field.start[field.name_len] != '\r')
        field.name_len++;
      while (field.name_len > 0 && IS_WSP (field.start[field.name_len - 1]))
        field.name_len--;
      g_array_append_val (fields, field);
      pos = end;
    }
  return fields;
}

GByteArray *
ml_dkim_signed_data (GArray      *fields,
                     char       **h_list,
                     const char  *sig_field,
                     gsize        sig_len,
                     MlDkimCanon  canon)
{
  GByteArray *data = g_byte_array_new ();
  g_autofree gboolean *used = g_new0 (gboolean, fields->len + 1);
  g_autofree char *sig = NULL;
  gsize n;

  for (guint k = 0; h_list[k] != NULL; k++)
    {
      gsize name_len = strlen (h_list[k]);

      /* 5.4.2: several instances are signed from the bottom up; a name
       * listed more often than it occurs adds nothing (3.5 h=). */
      for (guint i = fields->len; i-- > 0;)
        {
          MlDkimField *f = &g_array_index (fields, MlDkimField, i);
          g_autofree char *canonical = NULL;

          if (used[i] || f->name_len != name_len
              || g_ascii_strncasecmp (f->start, h_list[k], name_len) != 0)
            continue;
          used[i] = TRUE;
          canonical = ml_dkim_canon_header (f->start, f->len, canon);
          g_byte_array_append (data, (const guint8 *) canonical, strlen (canonical));
          break;
        }
    }
  /* 3.7: the signature field itself last, without its final CRLF. */
  sig = ml_dkim_canon_header (sig_field, sig_len, canon);
  n = strlen (sig);
  if (n >= 2 && sig[n - 2] == '\r' && sig[n - 1] == '\n')
    n -= 2;
  g_byte_array_append (data, (const guint8 *) sig, n);
  return data;
}

char *
ml_dkim_body_hash (const char *body, gsize len, MlDkimCanon canon, gint64 limit)
{
  g_autoptr(GBytes) canonical = ml_dkim_canon_body (body, len, canon);
  gsize n;
  const guint8 *p = g_bytes_get_data (canonical, &n);
  guint8 digest[SHA256_DIGEST_LENGTH];

  if (limit >= 0)
    {
      if ((guint64) limit > n)
        return NULL;
      n = (gsize) limit;
    }
  SHA256 (p, n, digest);
  return g_base64_encode (digest, sizeof digest);
}

gboolean
ml_dkim_parse_canon (const char *text, MlDkimCanon *header_out, MlDkimCanon *body_out)
{
  g_auto(GStrv) parts = g_strsplit (text, "/", 3);
  MlDkimCanon c[2] = { ML_DKIM_CANON_SIMPLE, ML_DKIM_CANON_SIMPLE };
  guint n = g_strv_length (parts);

  if (n < 1 || n > 2)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      if (g_ascii_strcasecmp (parts[i], "relaxed") == 0)
        c[i] = ML_DKIM_CANON_RELAXED;
      else if (g_ascii_strcasecmp (parts[i], "simple") != 0)
        return FALSE;
    }
  *header_out = c[0];
  *body_out = c[1];
  return TRUE;
}

void
ml_dkim_sig_free (MlDkimSig *sig)
{
  if (sig == NULL)
    return;
  ml_dkim_tags_free (sig->tags);
  g_strfreev (sig->h_list);
  g_free (sig->bh);
  g_free (sig->b);
  g_free (sig->auid_domain);
  g_free (sig);
}

static gboolean
parse_number (const char *text, gint64 *out)
{
  guint64 v;

  /* 3.5: t=, x= and l= are at most 12 (l=: 76) decimal digits */
  if (text == NULL || *text == '\0' || strlen (text) > 12)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  v = g_ascii_strtoull (text, NULL, 10);
  *out = (gint64) v;
  return TRUE;
}

static gboolean
domain_within (const char *sub, const char *domain)
{
  gsize ls = strlen (sub), ld = strlen (domain);

  if (ls == ld)
    return g_ascii_strcasecmp (sub, domain) == 0;
  return ls > ld && sub[ls - ld - 1] == '.'
         && g_ascii_strcasecmp (sub + ls - ld, domain) == 0;
}

MlDkimSig *
ml_dkim_sig_parse (const char *value, gsize len, GError **error)
{
  MlDkimSig *sig = g_new0 (MlDkimSig, 1);
  static const char *const required[] = { "v", "a", "b", "bh", "d", "h", "s" };
  const char *v, *c, *q, *i, *l, *x;
  g_auto(GStrv) names = NULL;
  guint n = 0;
  gboolean has_from = FALSE;

  sig->length = -1;
  sig->expires = -1;
  sig->tags = ml_dkim_tags_parse (value, len, error);
  if (sig->tags == NULL)
    goto fail;
  /* 6.1.1: a signature missing a required tag is a permerror. */
  for (guint k = 0; k < G_N_ELEMENTS (required); k++)
    if (ml_dkim_tags_lookup (sig->tags, required[k]) == NULL)
      {
        g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                     "signature missing required tag %s=", required[k]);
        goto fail;
      }
  v = ml_dkim_tags_lookup (sig->tags, "v");
  if (strcmp (v, "1") != 0)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "incompatible version v=%s", v);
      goto fail;
    }
  if (g_ascii_strcasecmp (ml_dkim_tags_lookup (sig->tags, "a"), "rsa-sha256") == 0)
    sig->alg = ML_DKIM_RSA_SHA256;
  else if (g_ascii_strcasecmp (ml_dkim_tags_lookup (sig->tags, "a"), "ed25519-sha256") == 0)
    sig->alg = ML_DKIM_ED25519_SHA256;
  else
    {
      /* RFC 8301 3.1: rsa-sha1 MUST NOT be used for verifying */
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "unsupported algorithm a=%s", ml_dkim_tags_lookup (sig->tags, "a"));
      goto fail;
    }
  c = ml_dkim_tags_lookup (sig->tags, "c");
  if (c != NULL && !ml_dkim_parse_canon (c, &sig->header_canon, &sig->body_canon))
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "unknown canonicalization c=%s", c);
      goto fail;
    }
  q = ml_dkim_tags_lookup (sig->tags, "q");
  if (q != NULL && strstr (q, "dns/txt") == NULL)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "no supported query method in q=%s", q);
      goto fail;
    }
  sig->domain = ml_dkim_tags_lookup (sig->tags, "d");
  sig->selector = ml_dkim_tags_lookup (sig->tags, "s");
  if (*sig->domain == '\0' || *sig->selector == '\0')
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX, "empty d= or s=");
      goto fail;
    }
  names = g_strsplit (ml_dkim_tags_lookup (sig->tags, "h"), ":", -1);
  sig->h_list = g_new0 (char *, g_strv_length (names) + 1);
  for (guint k = 0; names[k] != NULL; k++)
    {
      char *name = strip_fws (names[k]);

      if (*name == '\0' || n >= ML_DKIM_MAX_SIGNED_FIELDS)
        {
          g_free (name);
          g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                       "empty field name or more than %d in h=",
                       ML_DKIM_MAX_SIGNED_FIELDS);
          goto fail;
        }
      has_from |= g_ascii_strcasecmp (name, "from") == 0;
      sig->h_list[n++] = name;
    }
  /* 6.1.1: "If the "h=" tag does not include the From header field, the
   * Verifier MUST ignore the DKIM-Signature header field". */
  if (!has_from)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "From field not signed (h= lacks from)");
      goto fail;
    }
  sig->bh = strip_fws (ml_dkim_tags_lookup (sig->tags, "bh"));
  sig->b = strip_fws (ml_dkim_tags_lookup (sig->tags, "b"));
  i = ml_dkim_tags_lookup (sig->tags, "i");
  if (i != NULL)
    {
      const char *at = strrchr (i, '@');

      /* 6.1.1: the i= domain must be d= or a subdomain of it */
      if (at == NULL || !domain_within (at + 1, sig->domain))
        {
          g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                       "i=%s is not within d=%s", i, sig->domain);
          goto fail;
        }
      sig->auid_domain = g_strdup (at + 1);
    }
  l = ml_dkim_tags_lookup (sig->tags, "l");
  x = ml_dkim_tags_lookup (sig->tags, "x");
  if ((l != NULL && !parse_number (l, &sig->length))
      || (x != NULL && !parse_number (x, &sig->expires)))
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX, "bad l= or x= value");
      goto fail;
    }
  return sig;

fail:
  ml_dkim_sig_free (sig);
  return NULL;
}

gboolean
ml_dkim_signature_validate (const char *value, gsize len, GError **error)
{
  MlDkimSig *sig = ml_dkim_sig_parse (value, len, error);

  ml_dkim_sig_free (sig);
  return sig != NULL;
}

void
ml_dkim_key_record_free (MlDkimKeyRecord *rec)
{
  if (rec == NULL)
    return;
  g_clear_pointer (&rec->key, g_bytes_unref);
  g_free (rec);
}

MlDkimKeyRecord *
ml_dkim_key_record_parse (const char *record, GError **error)
{
  gsize len = strlen (record);
  g_autoptr(GPtrArray) tags = NULL;
  const char *v, *k, *h, *p, *t, *s;
  g_autofree char *key64 = NULL;
  MlDkimKeyRecord *rec;

  if (len > ML_DKIM_MAX_KEY_RECORD)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "key record longer than %d octets", ML_DKIM_MAX_KEY_RECORD);
      return NULL;
    }
  tags = ml_dkim_tags_parse (record, len, error);
  if (tags == NULL)
    return NULL;
  v = ml_dkim_tags_lookup (tags, "v");
  /* 3.6.1 v=: if present it MUST be the first tag and "DKIM1" */
  if (v != NULL && (strcmp (v, "DKIM1") != 0
                    || strcmp (((MlDkimTag *) tags->pdata[0])->name, "v") != 0))
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "key record v= must come first and be DKIM1");
      return NULL;
    }
  p = ml_dkim_tags_lookup (tags, "p");
  if (p == NULL)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX, "key record without p=");
      return NULL;
    }
  h = ml_dkim_tags_lookup (tags, "h");
  if (h != NULL && strstr (h, "sha256") == NULL)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "key record h=%s does not allow sha256", h);
      return NULL;
    }
  s = ml_dkim_tags_lookup (tags, "s");
  if (s != NULL && strstr (s, "*") == NULL && strstr (s, "email") == NULL)
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX,
                   "key record s=%s is not for email", s);
      return NULL;
    }
  rec = g_new0 (MlDkimKeyRecord, 1);
  k = ml_dkim_tags_lookup (tags, "k");
  if (k == NULL || g_ascii_strcasecmp (k, "rsa") == 0)
    rec->alg = ML_DKIM_RSA_SHA256;
  else if (g_ascii_strcasecmp (k, "ed25519") == 0)
    rec->alg = ML_DKIM_ED25519_SHA256;
  else
    {
      g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX, "unknown key type k=%s", k);
      ml_dkim_key_record_free (rec);
      return NULL;
    }
  t = ml_dkim_tags_lookup (tags, "t");
  if (t != NULL)
    {
      g_auto(GStrv) flags = g_strsplit (t, ":", -1);

      for (guint i = 0; flags[i] != NULL; i++)
        {
          g_autofree char *flag = strip_fws (flags[i]);

          rec->testing |= strcmp (flag, "y") == 0;
          rec->strict |= strcmp (flag, "s") == 0;
        }
    }
  key64 = strip_fws (p);
  if (*key64 != '\0')
    {
      gsize n = 0;
      guchar *raw;

      for (const char *c = key64; *c; c++)
        if (!g_ascii_isalnum (*c) && *c != '+' && *c != '/' && *c != '=')
          {
            g_set_error (error, ML_DKIM_ERROR, ML_DKIM_ERROR_SYNTAX, "p= is not base64");
            ml_dkim_key_record_free (rec);
            return NULL;
          }
      raw = g_base64_decode (key64, &n);
      rec->key = g_bytes_new_take (raw, n);
    }
  return rec;
}

gboolean
ml_dkim_key_record_validate (const char *record, GError **error)
{
  MlDkimKeyRecord *rec = ml_dkim_key_record_parse (record, error);

  ml_dkim_key_record_free (rec);
  return rec != NULL;
}

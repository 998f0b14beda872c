#define G_LOG_DOMAIN "ml-imap-fetch"

#include <string.h>
#include "proto/imap-fetch.h"
#include "mail/message-mime.h"

/* ---- ENVELOPE (RFC 3501 7.4.2) ---- */

static void
append_nstring (GString *out, const char *s)
{
  ml_imap_append_nstring (out, s, s != NULL ? strlen (s) : 0);
}

/* "(" 1*address ")" / nil, address = "(" name SP adl SP mailbox SP host ")" */
static void
append_address_list (GString *out, GPtrArray *list)
{
  guint i;

  if (list == NULL || list->len == 0)
    {
      g_string_append (out, "NIL");
      return;
    }
  g_string_append_c (out, '(');
  for (i = 0; i < list->len; i++)
    {
      const MlAddress *a = g_ptr_array_index (list, i);

      g_string_append_c (out, '(');
      append_nstring (out, a->name);
      g_string_append_c (out, ' ');
      append_nstring (out, a->adl);
      g_string_append_c (out, ' ');
      append_nstring (out, a->mailbox);
      g_string_append_c (out, ' ');
      append_nstring (out, a->host);
      g_string_append_c (out, ')');
    }
  g_string_append_c (out, ')');
}

static void
append_envelope (GString *out, const MlEnvelope *env)
{
  if (env == NULL)
    {
      g_string_append (out, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
      return;
    }
  g_string_append_c (out, '(');
  append_nstring (out, env->date);
  g_string_append_c (out, ' ');
  append_nstring (out, env->subject);
  g_string_append_c (out, ' ');
  append_address_list (out, env->from);
  g_string_append_c (out, ' ');
  append_address_list (out, env->sender);
  g_string_append_c (out, ' ');
  append_address_list (out, env->reply_to);
  g_string_append_c (out, ' ');
  append_address_list (out, env->to);
  g_string_append_c (out, ' ');
  append_address_list (out, env->cc);
  g_string_append_c (out, ' ');
  append_address_list (out, env->bcc);
  g_string_append_c (out, ' ');
  append_nstring (out, env->in_reply_to);
  g_string_append_c (out, ' ');
  append_nstring (out, env->message_id);
  g_string_append_c (out, ')');
}

void
ml_imap_fetch_append_envelope (GString *out, MlMessage *message)
{
  g_return_if_fail (out != NULL && message != NULL);
  append_envelope (out, ml_message_get_envelope (message));
}

/* ---- BODYSTRUCTURE (RFC 3501 7.4.2, 9 "body") ---- */

/* Types, subtypes, parameter names and encodings upper-cased, as in RFC
 * 3501's own examples ("TEXT" "PLAIN" ("CHARSET" "US-ASCII")). */
static void
append_upper_string (GString *out, const char *s)
{
  g_autofree char *up = g_ascii_strup (s != NULL ? s : "", -1);

  ml_imap_append_string (out, up, strlen (up));
}

/* body-fld-param = "(" string SP string *(SP string SP string) ")" / nil */
static void
append_params (GString *out, GPtrArray *params)
{
  guint i;

  if (params == NULL || params->len == 0)
    {
      g_string_append (out, "NIL");
      return;
    }
  g_string_append_c (out, '(');
  for (i = 0; i < params->len; i++)
    {
      const MlMimeParam *p = g_ptr_array_index (params, i);

      if (i > 0)
        g_string_append_c (out, ' ');
      append_upper_string (out, p->name);
      g_string_append_c (out, ' ');
      ml_imap_append_string (out, p->value != NULL ? p->value : "",
                             p->value != NULL ? strlen (p->value) : 0);
    }
  g_string_append_c (out, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void
append_ext_tail (GString *out, const MlMimePart *part)
{
  g_string_append_c (out, ' ');
  if (part->disposition != NULL)
    {
      g_string_append_c (out, '(');
      append_upper_string (out, part->disposition);
      g_string_append_c (out, ' ');
      append_params (out, part->disposition_params);
      g_string_append_c (out, ')');
    }
  else
    g_string_append (out, "NIL");
  g_string_append_c (out, ' ');
  if (part->language != NULL && part->language[0] != NULL)
    {
      guint i;

      g_string_append_c (out, '(');
      for (i = 0; part->language[i] != NULL; i++)
        {
          if (i > 0)
            g_string_append_c (out, ' ');
          ml_imap_append_string (out, part->language[i], strlen (part->language[i]));
        }
      g_string_append_c (out, ')');
    }
  else
    g_string_append (out, "NIL");
  g_string_append_c (out, ' ');
  append_nstring (out, part->location);
}

static void
append_part (GString *out, const MlMimePart *part, gboolean extensible, guint depth)
{
  gboolean is_text, is_message;

  if (part->children != NULL)
    {
      guint i;

      /* "(" 1*body SP media-subtype [SP body-ext-mpart] ")" */
      g_string_append_c (out, '(');
      for (i = 0; i < part->children->len; i++)
        append_part (out, g_ptr_array_index (part->children, i), extensible, depth + 1);
      if (part->children->len == 0)
        /* RFC 3501 9 needs one body; an empty multipart reads as an
         * empty text part, as Dovecot writes it. */
        g_string_append (out, "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 0 0)");
      g_string_append_c (out, ' ');
      append_upper_string (out, part->subtype);
      if (extensible)
        {
          g_string_append_c (out, ' ');
          append_params (out, part->params);
          append_ext_tail (out, part);
        }
      g_string_append_c (out, ')');
      return;
    }

  is_text = g_ascii_strcasecmp (part->type, "text") == 0;
  is_message = g_ascii_strcasecmp (part->type, "message") == 0
               && g_ascii_strcasecmp (part->subtype, "rfc822") == 0 && part->message != NULL;

  /* body-type-1part: media SP body-fields [SP envelope SP body] [SP lines] */
  g_string_append_c (out, '(');
  append_upper_string (out, part->type);
  g_string_append_c (out, ' ');
  append_upper_string (out, part->subtype);
  g_string_append_c (out, ' ');
  append_params (out, part->params);
  g_string_append_c (out, ' ');
  append_nstring (out, part->id);
  g_string_append_c (out, ' ');
  append_nstring (out, part->description);
  g_string_append_c (out, ' ');
  append_upper_string (out, part->encoding != NULL ? part->encoding : "7bit");
  g_string_append_printf (out, " %" G_GUINT64_FORMAT, part->size);
  if (is_message)
    {
      g_string_append_c (out, ' ');
      append_envelope (out, part->envelope);
      g_string_append_c (out, ' ');
      append_part (out, part->message, extensible, depth + 1);
      g_string_append_printf (out, " %" G_GUINT64_FORMAT, part->lines);
    }
  else if (is_text)
    g_string_append_printf (out, " %" G_GUINT64_FORMAT, part->lines);
  if (extensible)
    {
      /* body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP lang [SP loc]]] */
      g_string_append_c (out, ' ');
      append_nstring (out, part->md5);
      append_ext_tail (out, part);
    }
  g_string_append_c (out, ')');
}

void
ml_imap_fetch_append_body_structure (GString *out, MlMessage *message, gboolean extensible)
{
  MlMimePart *root;

  g_return_if_fail (out != NULL && message != NULL);
  root = ml_message_get_structure (message);
  if (root == NULL)
    {
      g_string_append (out, "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)");
      return;
    }
  append_part (out, root, extensible, 0);
}

/* ---- sections ---- */

gsize
ml_imap_fetch_header_length (const char *data, gsize len)
{
  gsize i;

  /* RFC 5322 2.1: the header ends at the first empty line. */
  for (i = 0; i < len; i++)
    {
      if (data[i] != '\n')
        continue;
      if (i + 1 < len && data[i + 1] == '\n')
        return i + 2;
      if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n')
        return i + 3;
    }
  if (len >= 2 && data[0] == '\r' && data[1] == '\n')
    return 2;
  if (len >= 1 && data[0] == '\n')
    return 1;
  return len;
}

static gboolean
name_listed (GPtrArray *names, const char *name, gsize len)
{
  guint i;

  for (i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index (names, i);

      if (strlen (n) == len && g_ascii_strncasecmp (n, name, len) == 0)
        return TRUE;
    }
  return FALSE;
}

void
ml_imap_fetch_filter_header (GString *out, const char *header, gsize len,
                             GPtrArray *names, gboolean exclude)
{
  gsize pos = 0;
  gboolean keep = FALSE;

  while (pos < len)
    {
      const char *nl = memchr (header + pos, '\n', len - pos);
      gsize end = nl != NULL ? (gsize) (nl - header) + 1 : len;
      gsize content = end - pos;

      /* The empty line that ends the header: always kept (RFC 3501 6.4.5). */
      if ((content == 2 && header[pos] == '\r') || (content == 1 && header[pos] == '\n'))
        {
          g_string_append_len (out, header + pos, (gssize) content);
          break;
        }
      if (header[pos] != ' ' && header[pos] != '\t')
        {
          const char *colon = memchr (header + pos, ':', content);

          /* RFC 3501 6.4.5: names compare without case, otherwise exactly. */
          keep = colon != NULL
                 && name_listed (names, header + pos, (gsize) (colon - header - pos)) != exclude;
        }
      if (keep)
        g_string_append_len (out, header + pos, (gssize) content);
      pos = end;
    }
}

static MlSectionText
section_text (MlImapSectionKind kind)
{
  switch (kind)
    {
    case ML_IMAP_SECTION_HEADER:            return ML_SECTION_TEXT_HEADER;
    case ML_IMAP_SECTION_HEADER_FIELDS:     return ML_SECTION_TEXT_HEADER_FIELDS;
    case ML_IMAP_SECTION_HEADER_FIELDS_NOT: return ML_SECTION_TEXT_HEADER_FIELDS_NOT;
    case ML_IMAP_SECTION_TEXT:              return ML_SECTION_TEXT_TEXT;
    case ML_IMAP_SECTION_MIME:              return ML_SECTION_TEXT_MIME;
    case ML_IMAP_SECTION_FULL:
    default:                                return ML_SECTION_TEXT_NONE;
    }
}

GBytes *
ml_imap_fetch_dup_section (MlMessage *message, const MlImapSection *section)
{
  GBytes *data;
  gsize len = 0;
  const char *raw;

  g_return_val_if_fail (message != NULL && section != NULL, NULL);

  data = ml_message_get_data (message);
  raw = g_bytes_get_data (data, &len);
  if (section->n_parts == 0)
    {
      gsize hlen = ml_imap_fetch_header_length (raw, len);

      /* The message's own header and body: cut from the raw octets, no
       * MIME parse needed. */
      switch (section->kind)
        {
        case ML_IMAP_SECTION_HEADER:
          return g_bytes_new_from_bytes (data, 0, hlen);
        case ML_IMAP_SECTION_TEXT:
          return g_bytes_new_from_bytes (data, hlen, len - hlen);
        case ML_IMAP_SECTION_HEADER_FIELDS:
        case ML_IMAP_SECTION_HEADER_FIELDS_NOT:
          {
            GString *s = g_string_sized_new (256);

            ml_imap_fetch_filter_header (s, raw, hlen, section->fields,
                                         section->kind == ML_IMAP_SECTION_HEADER_FIELDS_NOT);
            return g_string_free_to_bytes (s);
          }
        default:
          return g_bytes_ref (data);
        }
    }

  {
    MlMimePart *root = ml_message_get_structure (message);
    g_autoptr (GPtrArray) fields = NULL;
    g_autoptr (GError) error = NULL;
    GBytes *bytes;

    /* RFC 3501 6.4.5 names parts that may not be there; we answer NIL. */
    if (root == NULL || ml_mime_part_find (root, section->parts, section->n_parts) == NULL)
      return NULL;
    if (section->fields != NULL)
      {
        guint i;

        fields = g_ptr_array_new ();
        for (i = 0; i < section->fields->len; i++)
          g_ptr_array_add (fields, g_ptr_array_index (section->fields, i));
        g_ptr_array_add (fields, NULL);
      }
    bytes = ml_message_get_section (message, section->parts, section->n_parts,
                                    section_text (section->kind),
                                    fields != NULL ? (const char * const *) fields->pdata : NULL,
                                    &error);
    return bytes;
  }
}

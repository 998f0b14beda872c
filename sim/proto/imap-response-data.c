/* Turning a tokenized response into MlImapResponse fields: the response
 * codes of RFC 3501 7.1 and RFC 4315 3, and the data of RFC 3501 7.2–7.4
 * (FETCH with ENVELOPE, BODYSTRUCTURE and body sections) and of the
 * extensions the lab meets (QUOTA, NAMESPACE, ID). The tokenizer has
 * already checked the lexical layer; here every item is checked against
 * the grammar of RFC 3501 9, and anything else is a syntax error.
 */
#define G_LOG_DOMAIN "ml-imap-response"

#include <string.h>
#include "proto/imap-response-private.h"
#include "proto/imap-sequence.h"

/* ---- reading arguments ---- */

static gboolean
syntax (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
syntax (GError **error, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, ML_IMAP_RESPONSE_ERROR, ML_IMAP_RESPONSE_ERROR_SYNTAX, msg);
  return FALSE;
}

static const MlImapArg *
child (const MlImapArg *list, guint i)
{
  if (list == NULL || list->children == NULL || i >= list->children->len)
    return NULL;
  return g_ptr_array_index (list->children, i);
}

static guint
n_children (const MlImapArg *list)
{
  return list != NULL && list->children != NULL ? list->children->len : 0;
}

/* RFC 3501 9 "number64" (RFC 9051 9): RFC822.SIZE, STATUS and QUOTA values. */
static gboolean
arg_get_number64 (const MlImapArg *arg, guint64 *out)
{
  if (arg == NULL || arg->kind != ML_IMAP_TOKEN_ATOM || arg->len == 0 || arg->len > 20)
    return FALSE;
  for (gsize i = 0; i < arg->len; i++)
    if (!g_ascii_isdigit (arg->data[i]))
      return FALSE;
  return g_ascii_string_to_unsigned (arg->data, 10, 0, G_MAXUINT64, out, NULL);
}

/* nstring, leniently also an atom (some servers send a bare word where the
 * grammar wants a string; nothing is lost by taking it). NIL gives NULL.
 * FALSE for a list. */
static gboolean
arg_dup_nstring (const MlImapArg *arg, char **out)
{
  const char *s = NULL;
  gsize len = 0;

  *out = NULL;
  if (arg == NULL)
    return FALSE;
  if (arg->kind == ML_IMAP_TOKEN_NIL)
    return TRUE;
  if (!ml_imap_arg_get_astring (arg, &s, &len))
    return FALSE;
  /* RFC 3501 9 CHAR8 excludes NUL: a C string can hold every legal one. */
  if (memchr (s, '\0', len) != NULL)
    return FALSE;
  *out = g_strndup (s, len);
  return TRUE;
}

static gboolean
arg_dup_astring (const MlImapArg *arg, char **out)
{
  const char *s = NULL;
  gsize len = 0;

  *out = NULL;
  if (!ml_imap_arg_get_astring (arg, &s, &len) || memchr (s, '\0', len) != NULL)
    return FALSE;
  *out = g_strndup (s, len);
  return TRUE;
}

/* RFC 3501 5.1: INBOX is case-insensitive; every other name is not. */
static char *
mailbox_name (char *name /* steals */)
{
  if (name != NULL && g_ascii_strcasecmp (name, "INBOX") == 0)
    {
      g_free (name);
      return g_strdup ("INBOX");
    }
  return name;
}

/* A list of atoms (flags, capabilities) from @args[from..]. */
static GStrv
atoms_from (GPtrArray *args, guint from, GError **error)
{
  GStrvBuilder *b = g_strv_builder_new ();
  GStrv out;

  for (guint i = from; args != NULL && i < args->len; i++)
    {
      const MlImapArg *a = g_ptr_array_index (args, i);
      const char *s;

      if (!ml_imap_arg_get_atom (a, &s))
        {
          g_strv_builder_unref (b);
          syntax (error, "an atom was expected");
          return NULL;
        }
      g_strv_builder_add (b, s);
    }
  out = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return out;
}

static const struct {
  const char     *name;
  MlImapCodeKind  kind;
} code_names[] = {
  { "ALERT",          ML_IMAP_CODE_ALERT },
  { "BADCHARSET",     ML_IMAP_CODE_BADCHARSET },
  { "CAPABILITY",     ML_IMAP_CODE_CAPABILITY },
  { "PARSE",          ML_IMAP_CODE_PARSE },
  { "PERMANENTFLAGS", ML_IMAP_CODE_PERMANENTFLAGS },
  { "READ-ONLY",      ML_IMAP_CODE_READ_ONLY },
  { "READ-WRITE",     ML_IMAP_CODE_READ_WRITE },
  { "TRYCREATE",      ML_IMAP_CODE_TRYCREATE },
  { "UIDNEXT",        ML_IMAP_CODE_UIDNEXT },
  { "UIDVALIDITY",    ML_IMAP_CODE_UIDVALIDITY },
  { "UNSEEN",         ML_IMAP_CODE_UNSEEN },
  { "APPENDUID",      ML_IMAP_CODE_APPENDUID },
  { "COPYUID",        ML_IMAP_CODE_COPYUID },
  { "UIDNOTSTICKY",   ML_IMAP_CODE_UIDNOTSTICKY },
};

/* ---- response codes (RFC 3501 7.1, RFC 4315 3) ---- */

/* The code's arguments are tokenized by a parser of their own: the text of
 * a status response is read raw (it is free text after the code), and the
 * code is the part of it up to the first "]" (RFC 3501 9 resp-text-code
 * never holds one outside its atom lists). */
static gboolean
parse_code_args (MlImapResponseCode *c, GError **error)
{
  g_autoptr(MlImapParser) p = ml_imap_parser_new (0, 0);
  GPtrArray *args = NULL;
  const MlImapArg *a0;
  guint32 n;

  ml_imap_parser_feed (p, (const guint8 *) c->args, strlen (c->args));
  ml_imap_parser_feed (p, (const guint8 *) "\r\n", 2);
  if (ml_imap_parser_read_args (p, &args) != ML_IMAP_PARSE_OK)
    return syntax (error, "[%s %s]: %s", c->name, c->args, ml_imap_parser_get_error_message (p));
  a0 = args->len > 0 ? g_ptr_array_index (args, 0) : NULL;

  switch (c->kind)
    {
    case ML_IMAP_CODE_UIDNEXT:
    case ML_IMAP_CODE_UIDVALIDITY:
    case ML_IMAP_CODE_UNSEEN:
      if (args->len != 1 || !ml_imap_arg_get_number (a0, &n))
        return syntax (error, "[%s] wants one number", c->name);
      c->number = n;
      return TRUE;

    case ML_IMAP_CODE_CAPABILITY:
      c->list = atoms_from (args, 0, error);
      return c->list != NULL;

    case ML_IMAP_CODE_PERMANENTFLAGS:
    case ML_IMAP_CODE_BADCHARSET:
      {
        GStrvBuilder *b;

        if (args->len != 1 || !ml_imap_arg_is_list (a0))
          return syntax (error, "[%s] wants a parenthesised list", c->name);
        b = g_strv_builder_new ();
        for (guint i = 0; i < n_children (a0); i++)
          {
            g_autofree char *s = NULL;

            if (!arg_dup_astring (child (a0, i), &s))
              {
                g_strv_builder_unref (b);
                return syntax (error, "[%s]: a list of words was expected", c->name);
              }
            g_strv_builder_add (b, s);
          }
        c->list = g_strv_builder_end (b);
        g_strv_builder_unref (b);
        return TRUE;
      }

    case ML_IMAP_CODE_APPENDUID:
    case ML_IMAP_CODE_COPYUID:
      {
        /* RFC 4315 4: "APPENDUID" SP nz-number SP append-uid,
         * "COPYUID" SP nz-number SP uid-set SP uid-set. */
        guint want = c->kind == ML_IMAP_CODE_COPYUID ? 3 : 2;
        const char *set;

        if (args->len != want || !ml_imap_arg_get_number (a0, &n) || n == 0)
          return syntax (error, "[%s] wants a UIDVALIDITY and %s", c->name,
                         want == 3 ? "two uid-sets" : "a uid-set");
        c->number = n;
        for (guint i = 1; i < want; i++)
          {
            g_autoptr(MlImapSequenceSet) s = NULL;
            const MlImapArg *a = g_ptr_array_index (args, i);

            if (!ml_imap_arg_get_atom (a, &set)
                || (s = ml_imap_sequence_set_parse (set, strlen (set))) == NULL
                || ml_imap_sequence_set_has_star (s))
              return syntax (error, "[%s]: \"%s\" is not a uid-set", c->name, a->data);
          }
        if (want == 3)
          {
            c->source_uids = g_strdup (((MlImapArg *) g_ptr_array_index (args, 1))->data);
            c->dest_uids = g_strdup (((MlImapArg *) g_ptr_array_index (args, 2))->data);
          }
        else
          c->dest_uids = g_strdup (((MlImapArg *) g_ptr_array_index (args, 1))->data);
        return TRUE;
      }

    default:
      return TRUE;
    }
}

gboolean
_ml_imap_response_parse_status_text (MlImapResponse *r, const char *text, GError **error)
{
  const char *end, *sp;
  MlImapResponseCode *c;
  g_autofree char *inner = NULL;

  if (text[0] != '[')
    {
      r->text = g_strdup (text);
      return TRUE;
    }
  end = strchr (text, ']');
  if (end == NULL)
    return syntax (error, "a response code without its \"]\"");
  inner = g_strndup (text + 1, (gsize) (end - text - 1));
  if (inner[0] == '\0' || inner[0] == ' ')
    return syntax (error, "an empty response code");

  c = g_new0 (MlImapResponseCode, 1);
  r->code = c;
  sp = strchr (inner, ' ');
  c->name = g_ascii_strup (inner, sp != NULL ? sp - inner : -1);
  if (sp != NULL)
    c->args = g_strdup (sp + 1);
  c->kind = ML_IMAP_CODE_OTHER;
  for (guint i = 0; i < G_N_ELEMENTS (code_names); i++)
    if (strcmp (c->name, code_names[i].name) == 0)
      c->kind = code_names[i].kind;

  end++;
  if (*end == ' ')
    end++;
  r->text = g_strdup (end);

  switch (c->kind)
    {
    case ML_IMAP_CODE_OTHER:
      /* RFC 3501 7.1: codes a client does not know are ignored. */
      return TRUE;
    case ML_IMAP_CODE_ALERT:
    case ML_IMAP_CODE_PARSE:
    case ML_IMAP_CODE_READ_ONLY:
    case ML_IMAP_CODE_READ_WRITE:
    case ML_IMAP_CODE_TRYCREATE:
    case ML_IMAP_CODE_UIDNOTSTICKY:
      if (c->args != NULL)
        return syntax (error, "[%s] takes no arguments", c->name);
      return TRUE;
    case ML_IMAP_CODE_BADCHARSET:
      /* RFC 3501 7.1: the list of charsets is optional. */
      if (c->args == NULL)
        return TRUE;
      break;
    default:
      if (c->args == NULL)
        return syntax (error, "[%s] needs arguments", c->name);
      break;
    }
  return parse_code_args (c, error);
}

/* ---- ENVELOPE and BODYSTRUCTURE (RFC 3501 7.4.2) ---- */

static gboolean
parse_addresses (const MlImapArg *arg, GPtrArray **out, GError **error)
{
  *out = NULL;
  if (arg != NULL && arg->kind == ML_IMAP_TOKEN_NIL)
    return TRUE;
  if (!ml_imap_arg_is_list (arg))
    return syntax (error, "ENVELOPE: an address list was expected");
  *out = g_ptr_array_new_with_free_func (_ml_imap_address_free);
  for (guint i = 0; i < n_children (arg); i++)
    {
      const MlImapArg *a = child (arg, i);
      MlImapAddress *addr;

      if (!ml_imap_arg_is_list (a) || n_children (a) != 4)
        return syntax (error, "ENVELOPE: an address has four fields");
      addr = g_new0 (MlImapAddress, 1);
      g_ptr_array_add (*out, addr);
      if (!arg_dup_nstring (child (a, 0), &addr->name)
          || !arg_dup_nstring (child (a, 1), &addr->adl)
          || !arg_dup_nstring (child (a, 2), &addr->mailbox)
          || !arg_dup_nstring (child (a, 3), &addr->host))
        return syntax (error, "ENVELOPE: an address field is not a string");
    }
  return TRUE;
}

static MlImapEnvelope *
parse_envelope (const MlImapArg *arg, GError **error)
{
  MlImapEnvelope *e;

  if (!ml_imap_arg_is_list (arg) || n_children (arg) != 10)
    {
      syntax (error, "ENVELOPE has ten fields");
      return NULL;
    }
  e = g_new0 (MlImapEnvelope, 1);
  if (!arg_dup_nstring (child (arg, 0), &e->date)
      || !arg_dup_nstring (child (arg, 1), &e->subject)
      || !arg_dup_nstring (child (arg, 8), &e->in_reply_to)
      || !arg_dup_nstring (child (arg, 9), &e->message_id))
    {
      _ml_imap_envelope_free (e);
      syntax (error, "ENVELOPE: a field is not a string");
      return NULL;
    }
  if (!parse_addresses (child (arg, 2), &e->from, error)
      || !parse_addresses (child (arg, 3), &e->sender, error)
      || !parse_addresses (child (arg, 4), &e->reply_to, error)
      || !parse_addresses (child (arg, 5), &e->to, error)
      || !parse_addresses (child (arg, 6), &e->cc, error)
      || !parse_addresses (child (arg, 7), &e->bcc, error))
    {
      _ml_imap_envelope_free (e);
      return NULL;
    }
  return e;
}

static gboolean
arg_get_lenient_number (const MlImapArg *arg, guint32 *out)
{
  /* Some servers quote numbers in BODYSTRUCTURE. */
  if (arg != NULL && (arg->kind == ML_IMAP_TOKEN_QUOTED))
    return ml_imap_parse_number (arg->data, arg->len, out);
  return ml_imap_arg_get_number (arg, out);
}

/* The tokenizer bounds nesting (ML_IMAP_MAX_LIST_DEPTH), so the recursion
 * here is bounded too. */
static MlImapBodyPart *
parse_body (const MlImapArg *arg, GError **error)
{
  g_autoptr(GError) local = NULL;
  MlImapBodyPart *b;
  guint n = n_children (arg), i;

  if (!ml_imap_arg_is_list (arg) || n == 0)
    {
      syntax (error, "a body structure is a non-empty list");
      return NULL;
    }
  b = g_new0 (MlImapBodyPart, 1);

  if (ml_imap_arg_is_list (child (arg, 0)))
    {
      /* RFC 3501 9 body-type-mpart = 1*body SP media-subtype [SP ext] */
      b->type = g_strdup ("MULTIPART");
      b->parts = g_ptr_array_new_with_free_func (_ml_imap_body_part_free);
      for (i = 0; i < n && ml_imap_arg_is_list (child (arg, i)); i++)
        {
          MlImapBodyPart *part = parse_body (child (arg, i), error);

          if (part == NULL)
            goto fail;
          g_ptr_array_add (b->parts, part);
        }
      if (!arg_dup_nstring (child (arg, i), &b->subtype) || b->subtype == NULL)
        {
          syntax (error, "a multipart body structure needs its subtype");
          goto fail;
        }
      return b;
    }

  /* RFC 3501 9 body-type-1part: type subtype params id description
   * encoding size, then lines for TEXT, envelope body lines for
   * MESSAGE/RFC822. */
  if (n < 7)
    {
      syntax (error, "a body part has at least seven fields");
      goto fail;
    }
  if (!arg_dup_nstring (child (arg, 0), &b->type) || b->type == NULL
      || !arg_dup_nstring (child (arg, 1), &b->subtype) || b->subtype == NULL
      || !arg_dup_nstring (child (arg, 3), &b->id)
      || !arg_dup_nstring (child (arg, 4), &b->description)
      || !arg_dup_nstring (child (arg, 5), &b->encoding)
      || !arg_get_lenient_number (child (arg, 6), &b->size))
    {
      syntax (error, "a body part field has the wrong type");
      goto fail;
    }
  if (ml_imap_arg_is_list (child (arg, 2)))
    {
      const MlImapArg *params = child (arg, 2);

      if (n_children (params) % 2 != 0)
        {
          syntax (error, "body parameters come in name/value pairs");
          goto fail;
        }
      b->params = g_ptr_array_new_with_free_func (g_free);
      for (i = 0; i < n_children (params); i++)
        {
          char *s = NULL;

          if (!arg_dup_nstring (child (params, i), &s) || s == NULL)
            {
              syntax (error, "a body parameter is not a string");
              goto fail;
            }
          g_ptr_array_add (b->params, s);
        }
    }
  else if (child (arg, 2) == NULL || child (arg, 2)->kind != ML_IMAP_TOKEN_NIL)
    {
      syntax (error, "body parameters are a list or NIL");
      goto fail;
    }

  if (g_ascii_strcasecmp (b->type, "MESSAGE") == 0 && g_ascii_strcasecmp (b->subtype, "RFC822") == 0)
    {
      if (n < 10)
        {
          syntax (error, "a MESSAGE/RFC822 part has ten fields");
          goto fail;
        }
      if ((b->envelope = parse_envelope (child (arg, 7), error)) == NULL
          || (b->body = parse_body (child (arg, 8), error)) == NULL)
        goto fail;
      if (!arg_get_lenient_number (child (arg, 9), &b->lines))
        {
          syntax (error, "body-fld-lines is a number");
          goto fail;
        }
    }
  else if (g_ascii_strcasecmp (b->type, "TEXT") == 0)
    {
      if (!arg_get_lenient_number (child (arg, 7), &b->lines))
        {
          syntax (error, "a TEXT part has its number of lines");
          goto fail;
        }
    }
  return b;

fail:
  _ml_imap_body_part_free (b);
  return NULL;
}

/* ---- FETCH (RFC 3501 7.4.2) ---- */

/* "BODY[HEADER]<0>", "BODY[HEADER.FIELDS" (list) "]", "RFC822.TEXT":
 * consumes the item's arguments from *@i on, value included. */
static gboolean
parse_fetch_section (MlImapFetch *f, const char *name, const MlImapArg *items, guint *i,
                     GError **error)
{
  MlImapSection section;
  MlImapFetchBody *body;
  const char *open = strchr (name, '['), *close = strchr (name, ']');
  const char *after = NULL;
  const char *value;
  gsize value_len = 0;
  g_autofree char *spec = NULL;
  gboolean ok;

  body = g_new0 (MlImapFetchBody, 1);
  body->origin = -1;
  g_ptr_array_add (f->bodies, body);

  if (open == NULL)
    body->name = g_strdup (name);  /* RFC822, RFC822.HEADER, RFC822.TEXT */
  else
    {
      if (close != NULL)
        {
          spec = g_strndup (open + 1, (gsize) (close - open - 1));
          after = close + 1;
          ok = ml_imap_section_parse_spec (spec, strlen (spec), &section);
        }
      else
        {
          /* The header list is an argument of its own, then "]…" (see
           * imap-parser.h). */
          const MlImapArg *fields = child (items, *i + 1), *tail = child (items, *i + 2);

          spec = g_strdup (open + 1);
          if (!ml_imap_section_parse_spec (spec, strlen (spec), &section))
            return syntax (error, "\"%s\" is not a body section", name);
          ok = TRUE;
          if ((section.fields == NULL || !ml_imap_arg_is_list (fields)
                     || tail == NULL || tail->kind != ML_IMAP_TOKEN_ATOM || tail->data[0] != ']'
                     || tail->spaced))
            {
              ml_imap_section_clear (&section);
              return syntax (error, "%s: a header list and \"]\" were expected", name);
            }
          for (guint k = 0; k < n_children (fields); k++)
            {
              const char *field;
              gsize field_len;

              if (!ml_imap_arg_get_astring (child (fields, k), &field, &field_len))
                {
                  ml_imap_section_clear (&section);
                  return syntax (error, "%s: a header field name was expected", name);
                }
              ml_imap_section_add_field (&section, field, field_len);
            }
          after = tail->data + 1;
          *i += 2;
        }
      if (!ok)
        return syntax (error, "\"%s\" is not a body section", name);
      if (section.fields != NULL && section.fields->len == 0 && close != NULL)
        {
          ml_imap_section_clear (&section);
          return syntax (error, "%s needs a header list", name);
        }
      body->section = ml_imap_section_to_string (&section);
      ml_imap_section_clear (&section);
      body->name = g_strdup_printf ("%.*s[%s]", (int) (open - name), name, body->section);
      if (after[0] != '\0')
        {
          guint32 origin;

          if (!ml_imap_parse_partial (after, strlen (after), FALSE, &origin, NULL))
            return syntax (error, "%s: \"%s\" is not an origin <n>", name, after);
          body->origin = origin;
        }
    }

  (*i)++;
  if (*i >= n_children (items))
    return syntax (error, "%s without its value", body->name);
  if (!ml_imap_arg_get_nstring (child (items, *i), &value, &value_len))
    return syntax (error, "%s: the value is a string or NIL", body->name);
  if (value != NULL)
    body->data = g_bytes_new (value, value_len);
  return TRUE;
}

static gboolean
parse_fetch (MlImapResponse *r, GPtrArray *args, GError **error)
{
  const MlImapArg *items;
  MlImapFetch *f;
  guint i;

  if (args->len != 1 || !ml_imap_arg_is_list (g_ptr_array_index (args, 0)))
    return syntax (error, "FETCH data is one parenthesised list");
  items = g_ptr_array_index (args, 0);
  if (r->number == 0)
    return syntax (error, "FETCH for message 0: sequence numbers start at 1");

  f = g_new0 (MlImapFetch, 1);
  f->bodies = g_ptr_array_new_with_free_func (_ml_imap_fetch_body_free);
  r->fetch = f;

  for (i = 0; i < n_children (items); i++)
    {
      const MlImapArg *a = child (items, i), *v;
      g_autofree char *name = NULL;

      if (a == NULL || a->kind != ML_IMAP_TOKEN_ATOM)
        return syntax (error, "FETCH: a data item name was expected");
      name = g_ascii_strup (a->data, -1);

      if (g_str_has_prefix (name, "BODY[") || g_str_has_prefix (name, "BINARY[")
          || strcmp (name, "RFC822") == 0 || strcmp (name, "RFC822.HEADER") == 0
          || strcmp (name, "RFC822.TEXT") == 0)
        {
          if (!parse_fetch_section (f, name, items, &i, error))
            return FALSE;
          continue;
        }

      v = child (items, ++i);
      if (v == NULL)
        return syntax (error, "FETCH: %s without its value", name);

      if (strcmp (name, "UID") == 0)
        {
          if (!ml_imap_arg_get_number (v, &f->uid) || f->uid == 0)
            return syntax (error, "FETCH: UID is a non-zero number");
        }
      else if (strcmp (name, "FLAGS") == 0)
        {
          if (!ml_imap_arg_is_list (v))
            return syntax (error, "FETCH: FLAGS is a list");
          g_strfreev (f->flags);
          if ((f->flags = atoms_from (v->children, 0, error)) == NULL)
            return FALSE;
        }
      else if (strcmp (name, "RFC822.SIZE") == 0)
        {
          if (!arg_get_number64 (v, &f->rfc822_size))
            return syntax (error, "FETCH: RFC822.SIZE is a number");
          f->has_size = TRUE;
        }
      else if (strcmp (name, "INTERNALDATE") == 0)
        {
          g_free (f->internal_date);
          if (!arg_dup_nstring (v, &f->internal_date) || f->internal_date == NULL)
            return syntax (error, "FETCH: INTERNALDATE is a quoted date-time");
        }
      else if (strcmp (name, "ENVELOPE") == 0)
        {
          _ml_imap_envelope_free (f->envelope);
          if ((f->envelope = parse_envelope (v, error)) == NULL)
            return FALSE;
        }
      else if (strcmp (name, "BODY") == 0 || strcmp (name, "BODYSTRUCTURE") == 0)
        {
          _ml_imap_body_part_free (f->body);
          if ((f->body = parse_body (v, error)) == NULL)
            return FALSE;
        }
      else if (strcmp (name, "MODSEQ") == 0)
        {
          /* RFC 7162 3.1.4.1: "MODSEQ" SP "(" mod-sequence-value ")" */
          if (!ml_imap_arg_is_list (v) || n_children (v) != 1
              || !arg_get_number64 (child (v, 0), &f->modseq))
            return syntax (error, "FETCH: MODSEQ is (number)");
        }
      /* Any other item is assumed to take one value and is skipped
       * (RFC 3501 7: unknown data is ignored). */
    }
  return TRUE;
}

/* ---- the other data ---- */

static gboolean
parse_list (MlImapResponse *r, GPtrArray *args, GError **error)
{
  const MlImapArg *attrs, *delim;
  char *name = NULL;

  /* RFC 3501 9 mailbox-list = "(" [mbx-list-flags] ")" SP
   * (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox; RFC 5258 may add
   * extended items after it, ignored here. */
  if (args->len < 3)
    return syntax (error, "%s: attributes, delimiter and name", r->data_name);
  attrs = g_ptr_array_index (args, 0);
  delim = g_ptr_array_index (args, 1);
  if (!ml_imap_arg_is_list (attrs))
    return syntax (error, "%s: the attributes are a list", r->data_name);
  if ((r->atoms = atoms_from (attrs->children, 0, error)) == NULL)
    return FALSE;
  if (delim->kind == ML_IMAP_TOKEN_QUOTED && delim->len == 1)
    r->delimiter = delim->data[0];
  else if (delim->kind != ML_IMAP_TOKEN_NIL)
    return syntax (error, "%s: the delimiter is one quoted character or NIL", r->data_name);
  if (!arg_dup_astring (g_ptr_array_index (args, 2), &name))
    return syntax (error, "%s: the mailbox name is a string", r->data_name);
  r->mailbox = mailbox_name (name);
  return TRUE;
}

static gboolean
parse_status_data (MlImapResponse *r, GPtrArray *args, GError **error)
{
  const MlImapArg *list;
  char *name = NULL;

  /* RFC 3501 9: "STATUS" SP mailbox SP "(" [status-att-list] ")" */
  if (args->len != 2 || !arg_dup_astring (g_ptr_array_index (args, 0), &name))
    return syntax (error, "STATUS: a mailbox and a list");
  r->mailbox = mailbox_name (name);
  list = g_ptr_array_index (args, 1);
  if (!ml_imap_arg_is_list (list) || n_children (list) % 2 != 0)
    return syntax (error, "STATUS: name/value pairs in a list");
  r->items = g_array_new (FALSE, TRUE, sizeof (MlImapItem));
  g_array_set_clear_func (r->items, _ml_imap_item_clear);
  for (guint i = 0; i < n_children (list); i += 2)
    {
      MlImapItem it = { 0 };
      const char *s;

      if (!ml_imap_arg_get_atom (child (list, i), &s)
          || !arg_get_number64 (child (list, i + 1), &it.value))
        return syntax (error, "STATUS: an item is a name and a number");
      it.name = g_ascii_strup (s, -1);
      g_array_append_val (r->items, it);
    }
  return TRUE;
}

static gboolean
parse_quota (MlImapResponse *r, GPtrArray *args, GError **error)
{
  const MlImapArg *list;

  /* RFC 9208 9: "QUOTA" SP quota-root-name SP quota-list */
  if (args->len != 2 || !arg_dup_astring (g_ptr_array_index (args, 0), &r->quota_root))
    return syntax (error, "QUOTA: a root and a list");
  list = g_ptr_array_index (args, 1);
  if (!ml_imap_arg_is_list (list) || n_children (list) % 3 != 0)
    return syntax (error, "QUOTA: resource, usage and limit in a list");
  r->items = g_array_new (FALSE, TRUE, sizeof (MlImapItem));
  g_array_set_clear_func (r->items, _ml_imap_item_clear);
  for (guint i = 0; i < n_children (list); i += 3)
    {
      MlImapItem it = { 0 };
      const char *s;

      if (!ml_imap_arg_get_atom (child (list, i), &s)
          || !arg_get_number64 (child (list, i + 1), &it.value)
          || !arg_get_number64 (child (list, i + 2), &it.limit))
        return syntax (error, "QUOTA: a resource is a name and two numbers");
      it.name = g_ascii_strup (s, -1);
      g_array_append_val (r->items, it);
    }
  return TRUE;
}

static gboolean
parse_quotaroot (MlImapResponse *r, GPtrArray *args, GError **error)
{
  GStrvBuilder *b;
  char *name = NULL;

  /* RFC 9208 9: "QUOTAROOT" SP mailbox *(SP quota-root-name) */
  if (args->len < 1 || !arg_dup_astring (g_ptr_array_index (args, 0), &name))
    return syntax (error, "QUOTAROOT: a mailbox first");
  r->mailbox = mailbox_name (name);
  b = g_strv_builder_new ();
  for (guint i = 1; i < args->len; i++)
    {
      g_autofree char *root = NULL;

      if (!arg_dup_astring (g_ptr_array_index (args, i), &root))
        {
          g_strv_builder_unref (b);
          return syntax (error, "QUOTAROOT: a root is a string");
        }
      g_strv_builder_add (b, root);
    }
  r->atoms = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return TRUE;
}

static gboolean
parse_namespace (MlImapResponse *r, GPtrArray *args, GError **error)
{
  /* RFC 2342 5: three namespaces, each NIL or a list of
   * ( prefix delimiter *(extension) ). */
  if (args->len != 3)
    return syntax (error, "NAMESPACE has three parts");
  for (guint k = 0; k < 3; k++)
    {
      const MlImapArg *a = g_ptr_array_index (args, k);

      if (a->kind == ML_IMAP_TOKEN_NIL)
        continue;
      if (!ml_imap_arg_is_list (a))
        return syntax (error, "NAMESPACE: a part is NIL or a list");
      r->namespaces[k] = g_ptr_array_new_with_free_func (_ml_imap_namespace_free);
      for (guint i = 0; i < n_children (a); i++)
        {
          const MlImapArg *ns = child (a, i), *d;
          MlImapNamespace *n;

          if (!ml_imap_arg_is_list (ns) || n_children (ns) < 2)
            return syntax (error, "NAMESPACE: (prefix delimiter)");
          n = g_new0 (MlImapNamespace, 1);
          g_ptr_array_add (r->namespaces[k], n);
          if (!arg_dup_nstring (child (ns, 0), &n->prefix) || n->prefix == NULL)
            return syntax (error, "NAMESPACE: the prefix is a string");
          d = child (ns, 1);
          if (d != NULL && d->kind == ML_IMAP_TOKEN_QUOTED && d->len == 1)
            n->delimiter = d->data[0];
          else if (d == NULL || d->kind != ML_IMAP_TOKEN_NIL)
            return syntax (error, "NAMESPACE: the delimiter is one character or NIL");
        }
    }
  return TRUE;
}

static gboolean
parse_id (MlImapResponse *r, GPtrArray *args, GError **error)
{
  const MlImapArg *a;

  /* RFC 2971 4: "ID" SP ( "(" #(string SP nstring) ")" / nil ) */
  if (args->len != 1)
    return syntax (error, "ID: one list or NIL");
  a = g_ptr_array_index (args, 0);
  if (a->kind == ML_IMAP_TOKEN_NIL)
    return TRUE;
  if (!ml_imap_arg_is_list (a) || n_children (a) % 2 != 0)
    return syntax (error, "ID: field/value pairs in a list");
  r->id_params = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_children (a); i++)
    {
      char *s = NULL;

      if (!arg_dup_nstring (child (a, i), &s) || (s == NULL && i % 2 == 0))
        return syntax (error, "ID: a field is a string, a value a string or NIL");
      g_ptr_array_add (r->id_params, s);
    }
  return TRUE;
}

gboolean
_ml_imap_response_interpret_args (MlImapResponse *r, GPtrArray *args, GError **error)
{
  switch (r->data)
    {
    case ML_IMAP_DATA_CAPABILITY:
    case ML_IMAP_DATA_ENABLED:
      r->atoms = atoms_from (args, 0, error);
      return r->atoms != NULL;
    case ML_IMAP_DATA_FLAGS:
      if (args->len != 1 || !ml_imap_arg_is_list (g_ptr_array_index (args, 0)))
        return syntax (error, "FLAGS: one list of flags");
      r->atoms = atoms_from (((MlImapArg *) g_ptr_array_index (args, 0))->children, 0, error);
      return r->atoms != NULL;
    case ML_IMAP_DATA_LIST:
    case ML_IMAP_DATA_LSUB:
      return parse_list (r, args, error);
    case ML_IMAP_DATA_STATUS:
      return parse_status_data (r, args, error);
    case ML_IMAP_DATA_FETCH:
      return parse_fetch (r, args, error);
    case ML_IMAP_DATA_QUOTA:
      return parse_quota (r, args, error);
    case ML_IMAP_DATA_QUOTAROOT:
      return parse_quotaroot (r, args, error);
    case ML_IMAP_DATA_NAMESPACE:
      return parse_namespace (r, args, error);
    case ML_IMAP_DATA_ID:
      return parse_id (r, args, error);
    default:
      return TRUE;
    }
}


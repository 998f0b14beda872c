/* imap-server-fetch.c — FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8, 7.4.2).
 *
 * The attributes are parsed once, then every message is written straight
 * into the output buffer: one response line per message, literals inside
 * it. Sequence number → UID is an array index, so "FETCH 1:* …" on a large
 * mailbox stays linear.
 */
#define G_LOG_DOMAIN "ml-imap-server"

#include <string.h>
#include "proto/imap-server-private.h"
#include "proto/imap-fetch.h"

typedef enum {
  ATT_UID = 0,
  ATT_FLAGS,
  ATT_INTERNALDATE,
  ATT_RFC822_SIZE,
  ATT_ENVELOPE,
  ATT_BODY,            /* non-extensible BODYSTRUCTURE */
  ATT_BODYSTRUCTURE,
  ATT_RFC822,          /* = BODY[] */
  ATT_RFC822_HEADER,   /* = BODY.PEEK[HEADER] */
  ATT_RFC822_TEXT,     /* = BODY[TEXT] */
  ATT_SECTION,         /* BODY[…]<…> and BODY.PEEK[…]<…> */
} AttKind;

typedef struct {
  AttKind       kind;
  gboolean      peek;
  MlImapSection section;
  char         *name;     /* ATT_SECTION: "BODY[HEADER.FIELDS (FROM)]" for the reply */
} Att;

static void
att_clear (gpointer data)
{
  Att *att = data;

  ml_imap_section_clear (&att->section);
  g_free (att->name);
}

static const struct {
  const char *name;
  AttKind     kind;
} simple_atts[] = {
  { "UID", ATT_UID },
  { "FLAGS", ATT_FLAGS },
  { "INTERNALDATE", ATT_INTERNALDATE },
  { "RFC822.SIZE", ATT_RFC822_SIZE },
  { "ENVELOPE", ATT_ENVELOPE },
  { "BODY", ATT_BODY },
  { "BODYSTRUCTURE", ATT_BODYSTRUCTURE },
  { "RFC822", ATT_RFC822 },
  { "RFC822.HEADER", ATT_RFC822_HEADER },
  { "RFC822.TEXT", ATT_RFC822_TEXT },
};

static void
add_simple (GArray *atts, AttKind kind)
{
  Att att = { 0 };

  att.kind = kind;
  g_array_append_val (atts, att);
}

/* BODY[<section>]<<partial>> — "BODY[HEADER.FIELDS" (LIST) "]<0.10>" when
 * there is a header list (see imap-parser.h). Consumes the arguments it
 * uses from @items starting at *i. */
static gboolean
parse_section_att (const char *word, GPtrArray *items, guint *i, Att *att)
{
  const char *open = strchr (word, '[');
  const char *close;
  const char *after;
  gsize spec_len;

  att->kind = ATT_SECTION;
  att->peek = g_ascii_strncasecmp (word, "BODY.PEEK[", 10) == 0;
  if (!att->peek && g_ascii_strncasecmp (word, "BODY[", 5) != 0)
    return FALSE;
  open++;
  close = strchr (open, ']');
  spec_len = close != NULL ? (gsize) (close - open) : strlen (open);
  if (!ml_imap_section_parse_spec (open, spec_len, &att->section))
    return FALSE;

  if (att->section.kind == ML_IMAP_SECTION_HEADER_FIELDS
      || att->section.kind == ML_IMAP_SECTION_HEADER_FIELDS_NOT)
    {
      const MlImapArg *list, *tail;
      guint k;

      /* RFC 3501 9: header-list = "(" header-fld-name *(SP header-fld-name) ")" */
      if (close != NULL || *i + 2 >= items->len)
        return FALSE;
      list = g_ptr_array_index (items, *i + 1);
      tail = g_ptr_array_index (items, *i + 2);
      if (list == NULL || list->kind != ML_IMAP_TOKEN_LIST || list->children->len == 0
          || tail == NULL || tail->kind != ML_IMAP_TOKEN_ATOM || tail->data[0] != ']'
          || tail->spaced)
        return FALSE;
      for (k = 0; k < list->children->len; k++)
        {
          const char *field = NULL;
          gsize len = 0;

          if (!ml_imap_arg_get_astring (g_ptr_array_index (list->children, k), &field, &len)
              || len == 0 || memchr (field, ':', len) != NULL || memchr (field, ' ', len) != NULL)
            return FALSE;
          ml_imap_section_add_field (&att->section, field, len);
        }
      *i += 2;
      after = tail->data + 1;
    }
  else
    {
      if (close == NULL)
        return FALSE;
      after = close + 1;
    }

  if (*after != '\0')
    {
      if (!ml_imap_parse_partial (after, strlen (after), TRUE, &att->section.partial_offset,
                                  &att->section.partial_length))
        return FALSE;
      att->section.has_partial = TRUE;
    }
  {
    g_autofree char *spec = ml_imap_section_to_string (&att->section);

    att->name = g_strdup_printf ("BODY[%s]", spec);
  }
  return TRUE;
}

/* Attributes from @items (the list's children, or the arguments after the
 * sequence set when there is no list). */
static gboolean
parse_atts (GPtrArray *items, guint start, GArray *atts)
{
  guint i;

  if (start >= items->len)
    return FALSE;
  for (i = start; i < items->len; i++)
    {
      const MlImapArg *arg = g_ptr_array_index (items, i);
      gsize k;
      gboolean found = FALSE;

      if (arg->kind != ML_IMAP_TOKEN_ATOM)
        return FALSE;
      for (k = 0; k < G_N_ELEMENTS (simple_atts); k++)
        if (g_ascii_strcasecmp (arg->data, simple_atts[k].name) == 0)
          {
            add_simple (atts, simple_atts[k].kind);
            found = TRUE;
            break;
          }
      if (found)
        continue;
      if (strchr (arg->data, '[') != NULL)
        {
          Att att = { 0 };

          if (!parse_section_att (arg->data, items, &i, &att))
            {
              att_clear (&att);
              return FALSE;
            }
          g_array_append_val (atts, att);
          continue;
        }
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_fetch_args (GPtrArray *args, guint first, GArray *atts)
{
  const MlImapArg *arg = args->len > first ? g_ptr_array_index (args, first) : NULL;

  if (arg == NULL)
    return FALSE;
  if (arg->kind == ML_IMAP_TOKEN_LIST)
    return args->len == first + 1 && parse_atts (arg->children, 0, atts);
  if (arg->kind == ML_IMAP_TOKEN_ATOM && args->len == first + 1)
    {
      /* RFC 3501 6.4.5 macros. */
      if (g_ascii_strcasecmp (arg->data, "ALL") == 0
          || g_ascii_strcasecmp (arg->data, "FAST") == 0
          || g_ascii_strcasecmp (arg->data, "FULL") == 0)
        {
          add_simple (atts, ATT_FLAGS);
          add_simple (atts, ATT_INTERNALDATE);
          add_simple (atts, ATT_RFC822_SIZE);
          if (g_ascii_strcasecmp (arg->data, "FAST") != 0)
            add_simple (atts, ATT_ENVELOPE);
          if (g_ascii_strcasecmp (arg->data, "FULL") == 0)
            add_simple (atts, ATT_BODY);
          return TRUE;
        }
    }
  return parse_atts (args, first, atts);
}

static void
append_literal (GString *out, const char *data, gsize len)
{
  /* RFC 3501 4.3: a literal is always safe, whatever the octets. */
  g_string_append_printf (out, "{%" G_GSIZE_FORMAT "}\r\n", len);
  g_string_append_len (out, data, (gssize) len);
}

/* A section's octets with the partial applied (RFC 3501 6.4.5): past the
 * end is empty, a long one is cut. */
static void
append_section_data (GString *out, GBytes *bytes, const MlImapSection *section)
{
  gsize len = 0;
  const char *data;

  if (bytes == NULL)
    {
      g_string_append (out, "NIL");
      return;
    }
  data = g_bytes_get_data (bytes, &len);
  if (section->has_partial)
    {
      gsize off = MIN ((gsize) section->partial_offset, len);
      gsize n = MIN ((gsize) section->partial_length, len - off);

      append_literal (out, data + off, n);
    }
  else
    append_literal (out, data, len);
}

static GBytes *
top_level_part (MlMessage *message, MlImapSectionKind kind)
{
  GBytes *data = ml_message_get_data (message);
  gsize len = 0;
  const char *raw = g_bytes_get_data (data, &len);
  gsize hlen = ml_imap_fetch_header_length (raw, len);

  if (kind == ML_IMAP_SECTION_HEADER)
    return g_bytes_new_from_bytes (data, 0, hlen);
  if (kind == ML_IMAP_SECTION_TEXT)
    return g_bytes_new_from_bytes (data, hlen, len - hlen);
  return g_bytes_ref (data);
}

static void
write_att (MlImapServer *self, GString *out, const Att *att, MlMessage *message, guint32 uid)
{
  switch (att->kind)
    {
    case ATT_UID:
      g_string_append_printf (out, "UID %u", uid);
      break;
    case ATT_FLAGS:
      _ml_imap_server_append_flags (self, out, message, uid);
      break;
    case ATT_INTERNALDATE:
      {
        g_autofree char *date = ml_imap_format_date_time (ml_message_get_internal_date (message), 0);

        g_string_append_printf (out, "INTERNALDATE \"%s\"", date);
      }
      break;
    case ATT_RFC822_SIZE:
      g_string_append_printf (out, "RFC822.SIZE %" G_GSIZE_FORMAT, ml_message_get_size (message));
      break;
    case ATT_ENVELOPE:
      g_string_append (out, "ENVELOPE ");
      ml_imap_fetch_append_envelope (out, message);
      break;
    case ATT_BODY:
    case ATT_BODYSTRUCTURE:
      g_string_append (out, att->kind == ATT_BODY ? "BODY " : "BODYSTRUCTURE ");
      ml_imap_fetch_append_body_structure (out, message, att->kind == ATT_BODYSTRUCTURE);
      break;
    case ATT_RFC822:
    case ATT_RFC822_HEADER:
    case ATT_RFC822_TEXT:
      {
        static const char *const names[] = { "RFC822", "RFC822.HEADER", "RFC822.TEXT" };
        MlImapSectionKind kind = att->kind == ATT_RFC822 ? ML_IMAP_SECTION_FULL
                               : att->kind == ATT_RFC822_HEADER ? ML_IMAP_SECTION_HEADER
                               : ML_IMAP_SECTION_TEXT;
        g_autoptr (GBytes) bytes = top_level_part (message, kind);
        gsize len = 0;
        const char *data = g_bytes_get_data (bytes, &len);

        g_string_append_printf (out, "%s ", names[att->kind - ATT_RFC822]);
        append_literal (out, data, len);
      }
      break;
    case ATT_SECTION:
      {
        g_autoptr (GBytes) bytes = NULL;

        bytes = ml_imap_fetch_dup_section (message, &att->section);
        g_string_append (out, att->name);
        /* RFC 3501 7.4.2: only the origin comes back, "BODY[]<0>". */
        if (att->section.has_partial)
          g_string_append_printf (out, "<%u>", att->section.partial_offset);
        g_string_append_c (out, ' ');
        append_section_data (out, bytes, &att->section);
      }
      break;
    default:
      break;
    }
}

static gboolean
att_sets_seen (const Att *att)
{
  /* RFC 3501 6.4.5: BODY[…], RFC822 and RFC822.TEXT set \Seen; the PEEK
   * form and RFC822.HEADER do not. */
  return att->kind == ATT_RFC822 || att->kind == ATT_RFC822_TEXT
         || (att->kind == ATT_SECTION && !att->peek);
}

void
_ml_imap_cmd_fetch (MlImapServer *self, GPtrArray *args, guint first)
{
  g_autoptr (MlImapSequenceSet) set = NULL;
  g_autoptr (GArray) atts = g_array_new (FALSE, TRUE, sizeof (Att));
  g_autoptr (GArray) seqs = g_array_new (FALSE, FALSE, sizeof (guint32));
  gboolean want_uid = FALSE, want_flags = FALSE, sets_seen = FALSE;
  guint i, j, missing = 0;

  g_array_set_clear_func (atts, att_clear);
  set = _ml_imap_server_get_sequence_set (self, args, first);
  if (set == NULL)
    return;
  if (!parse_fetch_args (args, first + 1, atts))
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid FETCH attributes");
      return;
    }
  for (i = 0; i < atts->len; i++)
    {
      const Att *att = &g_array_index (atts, Att, i);

      want_uid |= att->kind == ATT_UID;
      want_flags |= att->kind == ATT_FLAGS;
      sets_seen |= att_sets_seen (att);
    }
  /* RFC 3501 6.4.8: UID FETCH answers always carry UID, and first. */
  if (self->uid_command && !want_uid)
    {
      Att att = { 0 };

      att.kind = ATT_UID;
      g_array_prepend_val (atts, att);
    }
  if (!_ml_imap_server_resolve_set (self, set, self->uid_command, seqs))
    {
      _ml_imap_server_complete (self, ML_IMAP_BAD, NULL, "Invalid message sequence number");
      return;
    }
  if (self->view->read_only)
    sets_seen = FALSE;

  for (i = 0; i < seqs->len; i++)
    {
      guint seq = g_array_index (seqs, guint32, i);
      MlMessage *message = _ml_imap_server_get_message (self, seq);
      gboolean flags_changed = FALSE;
      guint32 uid;
      gsize start;

      if (message == NULL)
        {
          missing++;
          continue;
        }
      uid = ml_message_get_uid (message);
      if (sets_seen && !(ml_message_get_flags (message) & ML_FLAG_SEEN))
        {
          _ml_imap_server_begin_change (self);
          ml_mailbox_set_flags (self->view->mailbox, message,
                                ml_message_get_flags (message) | ML_FLAG_SEEN);
          _ml_imap_server_end_change (self);
          flags_changed = TRUE;
        }
      start = _ml_imap_server_line_begin (self);
      g_string_append_printf (self->output, "* %u FETCH (", seq);
      for (j = 0; j < atts->len; j++)
        {
          if (j > 0)
            g_string_append_c (self->output, ' ');
          write_att (self, self->output, &g_array_index (atts, Att, j), message, uid);
        }
      /* RFC 3501 6.4.5: when \Seen was set by this FETCH, the new flags
       * SHOULD be in the response. */
      if (flags_changed && !want_flags)
        {
          g_string_append_c (self->output, ' ');
          _ml_imap_server_append_flags (self, self->output, message, uid);
        }
      g_string_append_c (self->output, ')');
      _ml_imap_server_line_end (self, start, NULL, "FETCH", NULL, "imap.untagged.fetch");
    }

  if (missing > 0)
    /* RFC 2180 4.1.2, RFC 5530 EXPUNGEISSUED: another session expunged
     * them and we have not told the client yet. */
    _ml_imap_server_complete (self, ML_IMAP_NO, "EXPUNGEISSUED",
                              "Some messages were expunged by another session");
  else
    _ml_imap_server_complete (self, ML_IMAP_OK, NULL, "%s completed",
                              self->uid_command ? "UID FETCH" : "FETCH");
}

/* yaml-node.c — libyaml events into a bounded tree with positions. */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>
#include <yaml.h>

#include "lesson/yaml-node.h"
#include "lesson/lesson.h"

/* What a node costs against ML_LESSON_MAX_ALIAS_EXPANSION besides its text:
 * roughly its own size, so a list of a million empty aliases counts too. */
#define NODE_OVERHEAD 16

typedef struct {
  MlYamlNode *node;
  char       *anchor;   /* registered when the collection ends (no cycles) */
} Frame;

typedef struct {
  const char *data;
  gsize       len;
  const char *filename;
  GArray     *stack;    /* Frame */
  GHashTable *anchors;  /* name -> MlYamlNode (ref) */
  MlYamlNode *root;
  guint       n_nodes;
  guint64     alias_cost;
  guint       n_documents;
} Builder;

static void
set_error (GError    **error,
           const char *filename,
           guint       line,
           guint       column,
           const char *format,
           ...) G_GNUC_PRINTF (5, 6);

static void
set_error (GError    **error,
           const char *filename,
           guint       line,
           guint       column,
           const char *format,
           ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE,
               "%s:%u:%u: %s", filename, line, column, msg);
}

static guint64
add_cost (guint64 a, guint64 b)
{
  return (a > G_MAXUINT64 - b) ? G_MAXUINT64 : a + b;
}

static MlYamlNode *
node_new (MlYamlKind kind, const yaml_mark_t *mark)
{
  MlYamlNode *node = g_new0 (MlYamlNode, 1);

  node->ref_count = 1;
  node->kind = kind;
  node->line = (guint) MIN (mark->line, G_MAXUINT - 1) + 1;
  node->column = (guint) MIN (mark->column, G_MAXUINT - 1) + 1;
  node->cost = NODE_OVERHEAD;
  if (kind != ML_YAML_SCALAR)
    node->items = g_ptr_array_new_with_free_func ((GDestroyNotify) ml_yaml_node_unref);
  return node;
}

MlYamlNode *
ml_yaml_node_ref (MlYamlNode *node)
{
  g_return_val_if_fail (node != NULL, NULL);
  node->ref_count++;
  return node;
}

void
ml_yaml_node_unref (MlYamlNode *node)
{
  if (node == NULL || --node->ref_count > 0)
    return;
  g_free (node->text);
  if (node->items != NULL)
    g_ptr_array_unref (node->items);
  g_free (node);
}

const MlYamlNode *
ml_yaml_node_lookup (const MlYamlNode *mapping, const char *key)
{
  g_return_val_if_fail (mapping != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (mapping->kind != ML_YAML_MAPPING)
    return NULL;
  for (guint i = 0; i + 1 < mapping->items->len; i += 2)
    {
      const MlYamlNode *k = g_ptr_array_index (mapping->items, i);

      if (k->kind == ML_YAML_SCALAR && strcmp (k->text, key) == 0)
        return g_ptr_array_index (mapping->items, i + 1);
    }
  return NULL;
}

gboolean
ml_yaml_node_is_null (const MlYamlNode *node)
{
  g_return_val_if_fail (node != NULL, FALSE);

  /* YAML 1.1 null, as libyaml's readers resolve it: only when unquoted. */
  return node->kind == ML_YAML_SCALAR && node->plain &&
         (node->len == 0 || strcmp (node->text, "~") == 0 ||
          strcmp (node->text, "null") == 0 || strcmp (node->text, "Null") == 0 ||
          strcmp (node->text, "NULL") == 0);
}

const char *
ml_yaml_kind_describe (MlYamlKind kind)
{
  switch (kind)
    {
    case ML_YAML_SEQUENCE: return "a list";
    case ML_YAML_MAPPING:  return "a group of 'key: value' lines";
    case ML_YAML_SCALAR:
    default:               return "a single value";
    }
}

/* libyaml's line breaks are LF, CR LF and a lone CR; columns count
 * characters, not bytes. Reader errors only give a byte offset. */
static void
offset_to_position (const char *data, gsize len, gsize offset,
                    guint *line_out, guint *column_out)
{
  guint line = 1, column = 1;

  for (gsize i = 0; i < offset && i < len; i++)
    {
      guchar c = (guchar) data[i];

      if (c == '\n' || (c == '\r' && (i + 1 >= len || data[i + 1] != '\n')))
        {
          line++;
          column = 1;
        }
      else if (c != '\r' && (c & 0xC0) != 0x80)
        column++;
    }
  *line_out = line;
  *column_out = column;
}

/* The byte at a libyaml mark (0-based line and character column), or -1. */
static int
byte_at_mark (const char *data, gsize len, const yaml_mark_t *mark)
{
  gsize line = 0, column = 0;

  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) data[i];

      if (line == mark->line && column == mark->column && (c & 0xC0) != 0x80)
        return c;
      if (c == '\n' || (c == '\r' && (i + 1 >= len || data[i + 1] != '\n')))
        {
          if (line == mark->line)
            return -1;
          line++;
          column = 0;
        }
      else if (c != '\r' && (c & 0xC0) != 0x80)
        column++;
    }
  return -1;
}

/* libyaml speaks in grammar terms; a teacher needs to know what to fix. */
static const struct {
  const char *problem;
  const char *advice;
} yaml_advice[] = {
  { "found character that cannot start any token",
    "this character cannot start a value; put the value in quotes" },
  { "mapping values are not allowed in this context",
    "unexpected ':'; if the value contains ': ', put it in quotes, "
    "otherwise check the indentation" },
  { "did not find expected key",
    "expected another 'key: value' line at this indentation; "
    "check the indentation of this line" },
  { "could not find expected ':'",
    "expected a ':' after this key" },
  { "found unexpected end of stream",
    "the file ends in the middle of a value; is a quote or a bracket never closed?" },
  { "did not find expected ',' or ']'",
    "expected ',' or ']' inside this [ ] list" },
  { "did not find expected ',' or '}'",
    "expected ',' or '}' inside this { } group" },
  { "did not find expected '-' indicator",
    "expected a '- ' list item here; check the indentation" },
  { "block sequence entries are not allowed in this context",
    "a '- ' list item cannot start here; check the indentation" },
  { "did not find expected node content",
    "a value is missing here" },
  { "found a tab character that violates indentation",
    "a tab is used for indentation; YAML indentation must use spaces" },
  { "found a tab character where an indentation space is expected",
    "a tab is used for indentation; YAML indentation must use spaces" },
  { "found undefined alias",
    "this *alias names an &anchor that is not defined above it" },
  { "found unknown escape character",
    "unknown \\ escape inside \"double quotes\"; use 'single quotes' to keep a backslash" },
};

static void
set_parser_error (Builder *b, yaml_parser_t *parser, GError **error)
{
  const char *problem = parser->problem != NULL ? parser->problem : "unknown error";
  const char *advice = NULL;
  g_autofree char *context = NULL;
  guint line, column;

  if (parser->error == YAML_MEMORY_ERROR)
    {
      set_error (error, b->filename, 1, 1, "out of memory while reading the file");
      return;
    }

  if (parser->error == YAML_READER_ERROR)
    {
      gsize offset = MIN (parser->problem_offset, b->len);

      /* Reader errors carry a byte offset and no mark. A bad trailing
       * byte is reported where it is; the character starts earlier. */
      if (strcmp (problem, "control characters are not allowed") != 0)
        for (gsize back = 1; back <= 3 && back <= offset; back++)
          if (((guchar) b->data[offset - back] & 0xC0) == 0xC0)
            {
              offset -= back;
              break;
            }
      offset_to_position (b->data, b->len, offset, &line, &column);
      if (strcmp (problem, "control characters are not allowed") == 0)
        set_error (error, b->filename, line, column,
                   "not a text file: it contains the control character 0x%02X; "
                   "a lesson is plain UTF-8 text",
                   (guint) parser->problem_value & 0xFFFFFFu);
      else if (offset < b->len)
        set_error (error, b->filename, line, column,
                   "not a UTF-8 text file: the byte 0x%02X here does not start a "
                   "valid UTF-8 character (%s); save the lesson as UTF-8",
                   (guchar) b->data[offset], problem);
      else
        set_error (error, b->filename, line, column,
                   "not a UTF-8 text file (%s); save the lesson as UTF-8", problem);
      return;
    }

  line = (guint) MIN (parser->problem_mark.line, G_MAXUINT - 1) + 1;
  column = (guint) MIN (parser->problem_mark.column, G_MAXUINT - 1) + 1;

  for (gsize i = 0; i < G_N_ELEMENTS (yaml_advice); i++)
    if (strcmp (problem, yaml_advice[i].problem) == 0)
      advice = yaml_advice[i].advice;
  if (byte_at_mark (b->data, b->len, &parser->problem_mark) == '\t')
    advice = "a tab is used here; YAML indentation and separators must be spaces";

  if (parser->context != NULL)
    context = g_strdup_printf (" (%s at line %u, column %u)", parser->context,
                               (guint) MIN (parser->context_mark.line, G_MAXUINT - 1) + 1,
                               (guint) MIN (parser->context_mark.column, G_MAXUINT - 1) + 1);

  if (advice != NULL)
    set_error (error, b->filename, line, column, "not valid YAML: %s [%s%s]",
               advice, problem, context ? context : "");
  else
    set_error (error, b->filename, line, column, "not valid YAML: %s%s",
               problem, context ? context : "");
}

/* Hangs a finished node under the open collection (or makes it the root)
 * and charges its cost upwards. */
static gboolean
attach (Builder *b, MlYamlNode *node, GError **error)
{
  if (b->stack->len == 0)
    {
      g_clear_pointer (&b->root, ml_yaml_node_unref);
      b->root = node;
      return TRUE;
    }

  Frame *top = &g_array_index (b->stack, Frame, b->stack->len - 1);
  MlYamlNode *parent = top->node;

  if (parent->kind == ML_YAML_MAPPING && parent->items->len % 2 == 0 &&
      node->kind != ML_YAML_SCALAR)
    {
      set_error (error, b->filename, node->line, node->column,
                 "a key must be a plain name, not %s", ml_yaml_kind_describe (node->kind));
      ml_yaml_node_unref (node);
      return FALSE;
    }
  parent->cost = add_cost (parent->cost, node->cost);
  g_ptr_array_add (parent->items, node);
  return TRUE;
}

static gboolean
count_node (Builder *b, const yaml_mark_t *mark, GError **error)
{
  if (++b->n_nodes > ML_LESSON_MAX_NODES)
    {
      set_error (error, b->filename, (guint) mark->line + 1, (guint) mark->column + 1,
                 "the file has more than %u values; a lesson never needs that many",
                 (guint) ML_LESSON_MAX_NODES);
      return FALSE;
    }
  return TRUE;
}

/* Tags would let a file ask for types we never read; lessons don't use them. */
static gboolean
check_tag (Builder *b, const yaml_char_t *tag, gboolean implicit,
           const yaml_mark_t *mark, GError **error)
{
  if (tag == NULL || implicit)
    return TRUE;
  set_error (error, b->filename, (guint) mark->line + 1, (guint) mark->column + 1,
             "tags such as '%.40s' are not used in lessons; remove it", (const char *) tag);
  return FALSE;
}

static gboolean
handle_event (Builder *b, yaml_event_t *ev, GError **error)
{
  const yaml_mark_t *mark = &ev->start_mark;
  MlYamlNode *node;

  switch (ev->type)
    {
    case YAML_DOCUMENT_START_EVENT:
      if (++b->n_documents > 1)
        {
          set_error (error, b->filename, (guint) mark->line + 1, (guint) mark->column + 1,
                     "a second YAML document starts here; a lesson file holds one "
                     "(remove the '---' line)");
          return FALSE;
        }
      return TRUE;

    case YAML_SCALAR_EVENT:
      if (!count_node (b, mark, error) ||
          !check_tag (b, ev->data.scalar.tag,
                      ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit,
                      mark, error))
        return FALSE;
      if (ev->data.scalar.length > ML_LESSON_MAX_STRING)
        {
          set_error (error, b->filename, (guint) mark->line + 1, (guint) mark->column + 1,
                     "this text is %" G_GSIZE_FORMAT " bytes long; the limit is %u",
                     (gsize) ev->data.scalar.length, (guint) ML_LESSON_MAX_STRING);
          return FALSE;
        }
      node = node_new (ML_YAML_SCALAR, mark);
      node->len = ev->data.scalar.length;
      node->text = g_malloc (node->len + 1);
      if (node->len > 0)
        memcpy (node->text, ev->data.scalar.value, node->len);
      node->text[node->len] = '\0';
      node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      node->cost = add_cost (node->cost, node->len);
      if (ev->data.scalar.anchor != NULL)
        g_hash_table_replace (b->anchors, g_strdup ((const char *) ev->data.scalar.anchor),
                              ml_yaml_node_ref (node));
      return attach (b, node, error);

    case YAML_ALIAS_EVENT:
      {
        MlYamlNode *target = g_hash_table_lookup (b->anchors, ev->data.alias.anchor);

        if (!count_node (b, mark, error))
          return FALSE;
        if (target == NULL)
          {
            /* Also the case for an alias inside its own anchor: the anchor
             * is registered only once its node is complete, so a file can
             * never describe a cycle. */
            set_error (error, b->filename, (guint) mark->line + 1, (guint) mark->column + 1,
                       "'*%.40s' refers to an anchor '&%.40s' that is not defined above it",
                       (const char *) ev->data.alias.anchor,
                       (const char *) ev->data.alias.anchor);
            return FALSE;
          }
        /* The tree shares the node, but whoever walks it sees it expanded;
         * the budget keeps "billion laughs" files out. */
        b->alias_cost = add_cost (b->alias_cost, target->cost);
        if (b->alias_cost > ML_LESSON_MAX_ALIAS_EXPANSION)
          {
            set_error (error, b->filename, (guint) mark->line + 1, (guint) mark->column + 1,
                       "the aliases (*name) in this file expand to more than %u bytes; "
                       "write the values out or use fewer aliases",
                       (guint) ML_LESSON_MAX_ALIAS_EXPANSION);
            return FALSE;
          }
        return attach (b, ml_yaml_node_ref (target), error);
      }

    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      {
        gboolean is_seq = ev->type == YAML_SEQUENCE_START_EVENT;
        const yaml_char_t *tag = is_seq ? ev->data.sequence_start.tag
                                        : ev->data.mapping_start.tag;
        gboolean implicit = is_seq ? ev->data.sequence_start.implicit
                                   : ev->data.mapping_start.implicit;
        const yaml_char_t *anchor = is_seq ? ev->data.sequence_start.anchor
                                           : ev->data.mapping_start.anchor;
        Frame frame;

        if (!count_node (b, mark, error) || !check_tag (b, tag, implicit, mark, error))
          return FALSE;
        if (b->stack->len >= ML_LESSON_MAX_DEPTH)
          {
            set_error (error, b->filename, (guint) mark->line + 1, (guint) mark->column + 1,
                       "lists and groups are nested more than %u levels deep here",
                       (guint) ML_LESSON_MAX_DEPTH);
            return FALSE;
          }
        frame.node = node_new (is_seq ? ML_YAML_SEQUENCE : ML_YAML_MAPPING, mark);
        frame.anchor = g_strdup ((const char *) anchor);
        g_array_append_val (b->stack, frame);
        return TRUE;
      }

    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      {
        Frame *top, frame;

        g_return_val_if_fail (b->stack->len > 0, FALSE);
        top = &g_array_index (b->stack, Frame, b->stack->len - 1);
        frame = *top;
        top->node = NULL;
        top->anchor = NULL;
        g_array_set_size (b->stack, b->stack->len - 1);
        if (frame.anchor != NULL)
          g_hash_table_replace (b->anchors, g_steal_pointer (&frame.anchor),
                                ml_yaml_node_ref (frame.node));
        return attach (b, frame.node, error);
      }

    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    default:
      return TRUE;
    }
}

static void
frame_clear (gpointer data)
{
  Frame *frame = data;

  g_clear_pointer (&frame->node, ml_yaml_node_unref);
  g_clear_pointer (&frame->anchor, g_free);
}

gboolean
ml_yaml_parse (const char   *data,
               gsize         len,
               const char   *filename,
               MlYamlNode  **root_out,
               GError      **error)
{
  yaml_parser_t parser;
  Builder b = { 0 };
  gboolean done = FALSE, ok = TRUE;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (filename != NULL, FALSE);
  g_return_val_if_fail (root_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *root_out = NULL;
  if (len > ML_LESSON_MAX_FILE_SIZE)
    {
      set_error (error, filename, 1, 1,
                 "the file is %" G_GSIZE_FORMAT " bytes; a lesson may be at most %u",
                 len, (guint) ML_LESSON_MAX_FILE_SIZE);
      return FALSE;
    }

  b.data = data != NULL ? data : "";
  b.len = len;
  /* Editors on Windows start UTF-8 files with a byte order mark; it is not
   * part of the text, and no editor counts it as a column. */
  if (b.len >= 3 && memcmp (b.data, "\xEF\xBB\xBF", 3) == 0)
    {
      b.data += 3;
      b.len -= 3;
    }
  else if (b.len >= 2 && (memcmp (b.data, "\xFF\xFE", 2) == 0 ||
                          memcmp (b.data, "\xFE\xFF", 2) == 0))
    {
      set_error (error, filename, 1, 1, "the file is saved as UTF-16; save the lesson "
                 "as UTF-8");
      return FALSE;
    }
  b.filename = filename;
  b.stack = g_array_new (FALSE, FALSE, sizeof (Frame));
  g_array_set_clear_func (b.stack, frame_clear);
  b.anchors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) ml_yaml_node_unref);

  if (!yaml_parser_initialize (&parser))
    {
      set_error (error, filename, 1, 1, "out of memory while reading the file");
      ok = FALSE;
      goto out;
    }
  /* UTF-8 only: a teacher's editor saves it, and positions stay simple. */
  yaml_parser_set_encoding (&parser, YAML_UTF8_ENCODING);
  yaml_parser_set_input_string (&parser, (const unsigned char *) b.data, b.len);

  while (ok && !done)
    {
      yaml_event_t ev;

      if (!yaml_parser_parse (&parser, &ev))
        {
          set_parser_error (&b, &parser, error);
          ok = FALSE;
          break;
        }
      done = ev.type == YAML_STREAM_END_EVENT;
      ok = handle_event (&b, &ev, error);
      yaml_event_delete (&ev);
    }
  yaml_parser_delete (&parser);

out:
  if (ok)
    *root_out = g_steal_pointer (&b.root);
  g_clear_pointer (&b.root, ml_yaml_node_unref);
  g_array_unref (b.stack);
  g_hash_table_unref (b.anchors);
  return ok;
}

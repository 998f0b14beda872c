/* lesson.c — lessons/NAME.yaml into an MlLesson.
 *
 * Two passes. The first walks the YAML tree with one table per kind of
 * group (lesson, host, link, record, account, step): every key is known or
 * rejected, every value is checked for its own syntax. The second checks
 * what needs the whole file: names that refer to hosts, duplicates, and the
 * rules that tie one field to another (an MX record has a preference).
 * Each error points at the value that is wrong, in words for a teacher.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lesson/lesson.h"
#include "lesson/lesson-private.h"
#include "lesson/yaml-node.h"

G_DEFINE_QUARK (ml-lesson-error-quark, ml_lesson_error)

#define DEFAULT_SEED            1
#define DEFAULT_EPOCH_UNIX      G_GINT64_CONSTANT (1704067200)  /* 2024-01-01T00:00:00Z */
#define DEFAULT_LATENCY_US      1000
#define DEFAULT_BANDWIDTH_BPS   G_GUINT64_CONSTANT (100000000)
#define DEFAULT_MTU             1500
#define DEFAULT_TTL             3600

#define MIN_MTU                 576   /* RFC 791 3.1: every host accepts 576 */
#define MAX_MTU                 9000  /* the usual jumbo frame */
#define MAX_MINUTES             600
#define MAX_TTL                 G_GUINT64_CONSTANT (2147483647)  /* RFC 1035 2.3.4 */
#define MAX_FIELDS 40  /* the most keys one group (a step) may have */
#define MAX_ATTACHMENTS         16    /* files on one message */

typedef MlLessonLoader Loader;
typedef MlLessonField Field;
typedef MlLessonElementType ElementType;

/* The value parsers and message helpers live in lesson-values.c; the
 * tables below name them by their short names. */
#define fail             _ml_lesson_fail
#define quote            _ml_lesson_quote
#define did_you_mean     _ml_lesson_did_you_mean
#define join_path        _ml_lesson_join_path
#define set_string       _ml_lesson_set_string
#define parse_action             _ml_lesson_parse_action
#define parse_address            _ml_lesson_parse_address
#define parse_addresses          _ml_lesson_parse_addresses
#define parse_bandwidth          _ml_lesson_parse_bandwidth
#define parse_between            _ml_lesson_parse_between
#define parse_body               _ml_lesson_parse_body
#define parse_bool               _ml_lesson_parse_bool
#define parse_certificate        _ml_lesson_parse_certificate
#define parse_console_lines      _ml_lesson_parse_console_lines
#define parse_console_protocol   _ml_lesson_parse_console_protocol
#define parse_content_type       _ml_lesson_parse_content_type
#define parse_domains            _ml_lesson_parse_domains
#define parse_duration           _ml_lesson_parse_duration
#define parse_epoch              _ml_lesson_parse_epoch
#define parse_file_name          _ml_lesson_parse_file_name
#define parse_flags              _ml_lesson_parse_flags
#define parse_goals              _ml_lesson_parse_goals
#define parse_host_ip            _ml_lesson_parse_host_ip
#define parse_host_name          _ml_lesson_parse_host_name
#define parse_level              _ml_lesson_parse_level
#define parse_line               _ml_lesson_parse_line
#define parse_loss               _ml_lesson_parse_loss
#define parse_mechanisms         _ml_lesson_parse_mechanisms
#define parse_owner_name         _ml_lesson_parse_owner_name
#define parse_prerequisites      _ml_lesson_parse_prerequisites
#define parse_record_type        _ml_lesson_parse_record_type
#define parse_roles              _ml_lesson_parse_roles
#define parse_step_auth          _ml_lesson_parse_step_auth
#define parse_step_tls           _ml_lesson_parse_step_tls
#define parse_text               _ml_lesson_parse_text
#define parse_tristate           _ml_lesson_parse_tristate
#define parse_u16                _ml_lesson_parse_u16
#define parse_uint               _ml_lesson_parse_uint

static gboolean parse_group (Loader *ld, const MlYamlNode *node, const char *path,
                             const Field *fields, gsize n_fields, gpointer base,
                             GError **error);

static gboolean
parse_list (Loader *ld, const MlYamlNode *node, const char *path,
            const Field *field, gpointer dest, GError **error)
{
  const ElementType *type = field->element;
  GPtrArray *array = *(GPtrArray **) dest;

  if (node->kind != ML_YAML_SEQUENCE)
    return fail (ld, node, path, error, "expected a list (one '- ' line per item), found %s",
                 ml_yaml_kind_describe (node->kind));
  if (node->items->len < field->min)
    return fail (ld, node, path, error, "the list is empty; give at least one");
  for (guint i = 0; i < node->items->len; i++)
    {
      const MlYamlNode *item = g_ptr_array_index (node->items, i);
      g_autofree char *sub = g_strdup_printf ("%s[%u]", path, i + 1);
      gpointer element = type->alloc ();

      G_STRUCT_MEMBER (guint, element, type->line_offset) = item->line;
      G_STRUCT_MEMBER (guint, element, type->column_offset) = item->column;
      g_ptr_array_add (array, element);
      g_hash_table_insert (ld->origin, element, (gpointer) item);
      if (!parse_group (ld, item, sub, type->fields, type->n_fields, element, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- tables -------------------------------------------------------------- */

static gpointer
host_alloc (void)
{
  return g_new0 (MlLessonHost, 1);
}

static void
host_free (gpointer data)
{
  MlLessonHost *h = data;

  g_free (h->name);
  g_strfreev (h->domains);
  g_free (h->relay_to);
  g_free (h->submission);
  g_strfreev (h->auth_mechanisms);
  _ml_lesson_dkim_free (h->dkim);
  g_clear_pointer (&h->lists, g_ptr_array_unref);
  g_free (h);
}

static gpointer
link_alloc (void)
{
  MlLessonLink *l = g_new0 (MlLessonLink, 1);

  l->latency_us = DEFAULT_LATENCY_US;
  l->bandwidth_bps = DEFAULT_BANDWIDTH_BPS;
  l->mtu = DEFAULT_MTU;
  l->loss = 0.0;
  l->up = TRUE;
  return l;
}

static void
link_free (gpointer data)
{
  MlLessonLink *l = data;

  g_free (l->a);
  g_free (l->b);
  g_free (l);
}

static gpointer
record_alloc (void)
{
  MlLessonRecord *r = g_new0 (MlLessonRecord, 1);

  r->ttl = DEFAULT_TTL;
  return r;
}

static void
record_free (gpointer data)
{
  MlLessonRecord *r = data;

  g_free (r->name);
  g_free (r->type);
  g_free (r->value);
  g_free (r);
}

static gpointer
account_alloc (void)
{
  return g_new0 (MlLessonAccount, 1);
}

static void
account_free (gpointer data)
{
  MlLessonAccount *a = data;

  g_free (a->address);
  g_free (a->password);
  g_clear_pointer (&a->mailboxes, g_ptr_array_unref);
  g_free (a);
}

static gpointer
attachment_alloc (void)
{
  MlLessonAttachment *a = g_new0 (MlLessonAttachment, 1);

  /* RFC 2045 5.2: a body part without Content-Type is text/plain. */
  a->content_type = g_strdup ("text/plain");
  a->content = g_strdup ("");
  return a;
}

static void
attachment_free (gpointer data)
{
  MlLessonAttachment *a = data;

  g_free (a->name);
  g_free (a->content_type);
  g_free (a->content);
  g_free (a);
}

/* The list exists only when the key is given, so NULL means "none". */
static gboolean
parse_attachments (Loader *ld, const MlYamlNode *node, const char *path,
                   const Field *field, gpointer dest, GError **error)
{
  GPtrArray **slot = dest;

  if (node->kind == ML_YAML_SEQUENCE && node->items->len > MAX_ATTACHMENTS)
    return fail (ld, node, path, error, "a message in a lesson carries at most %u "
                 "attachments", MAX_ATTACHMENTS);
  if (*slot == NULL)
    *slot = g_ptr_array_new_with_free_func (attachment_free);
  return parse_list (ld, node, path, field, dest, error);
}

static gpointer
step_alloc (void)
{
  MlLessonStep *s = g_new0 (MlLessonStep, 1);

  s->count = 1;
  s->subject = g_strdup ("");
  s->body = g_strdup ("");
  s->set = TRUE;
  s->expunge = TRUE;
  s->timeout_us = ML_LESSON_DEFAULT_IDLE_TIMEOUT_US;
  return s;
}

static void
step_free (gpointer data)
{
  MlLessonStep *s = data;

  g_free (s->narrative);
  g_free (s->host);
  g_free (s->from);
  g_strfreev (s->to);
  g_free (s->subject);
  g_free (s->body);
  g_free (s->server);
  g_free (s->account);
  g_free (s->mailbox);
  g_free (s->message);
  g_strfreev (s->flags);
  g_free (s->folder);
  g_free (s->criteria);
  g_free (s->password);
  g_clear_pointer (&s->attachments, g_ptr_array_unref);
  g_strfreev (s->lines);
  g_clear_pointer (&s->faults, g_ptr_array_unref);
  g_free (s);
}

#define F(type, member) G_STRUCT_OFFSET (type, member)

static const Field host_fields[] = {
  { "name",       parse_host_name, F (MlLessonHost, name),       TRUE },
  { "roles",      parse_roles,     F (MlLessonHost, roles),      TRUE },
  { "ip",         parse_host_ip,   F (MlLessonHost, ipv4),       TRUE },
  { "domains",    parse_domains,   F (MlLessonHost, domains),    FALSE, 1 },
  { "relay_to",   parse_host_name, F (MlLessonHost, relay_to),   FALSE },
  { "submission", parse_host_name, F (MlLessonHost, submission), FALSE },
  /* Which roles may carry these is checked in the second pass. */
  { "starttls",       parse_bool,        F (MlLessonHost, starttls),        FALSE },
  { "implicit_tls",   parse_bool,        F (MlLessonHost, implicit_tls),    FALSE },
  { "certificate",    parse_certificate, F (MlLessonHost, certificate),     FALSE },
  { "auth",           parse_mechanisms,  F (MlLessonHost, auth_mechanisms), FALSE, 1 },
  { "plaintext_auth", parse_tristate,    F (MlLessonHost, plaintext_auth),  FALSE },
  { "require_auth",   parse_tristate,    F (MlLessonHost, require_auth),    FALSE },
  { "strip_starttls", parse_bool,        F (MlLessonHost, strip_starttls),  FALSE },
  /* Mail authentication (lesson-mailauth.c). */
  { "dkim",           _ml_lesson_parse_dkim,  F (MlLessonHost, dkim),        FALSE },
  { "verify_mail",    parse_bool,             F (MlLessonHost, verify_mail), FALSE },
  { "lists",          _ml_lesson_parse_lists, F (MlLessonHost, lists),       FALSE, 1, 0, &_ml_lesson_list_type },
  { "dsn",            parse_bool,        F (MlLessonHost, dsn),             FALSE },
  { "lmtp",           parse_bool,        F (MlLessonHost, lmtp),            FALSE },
  { "chunking",       parse_bool,        F (MlLessonHost, chunking),        FALSE },
  { "queue_lifetime", parse_duration,    F (MlLessonHost, queue_lifetime_us), FALSE, 0,
    G_GUINT64_CONSTANT (5) * 24 * 3600 * G_USEC_PER_SEC },
};

static const Field link_fields[] = {
  { "between",   parse_between,   F (MlLessonLink, a),             TRUE },
  { "latency",   parse_duration,  F (MlLessonLink, latency_us),    FALSE },
  { "bandwidth", parse_bandwidth, F (MlLessonLink, bandwidth_bps), FALSE },
  { "mtu",       parse_uint,      F (MlLessonLink, mtu),           FALSE, MIN_MTU, MAX_MTU },
  { "loss",      parse_loss,      F (MlLessonLink, loss),          FALSE },
  { "up",        parse_bool,      F (MlLessonLink, up),            FALSE },
};

/* The value's syntax depends on the type, which may come later in the
 * group: it is checked in the second pass. */
static const Field record_fields[] = {
  { "name",       parse_owner_name,  F (MlLessonRecord, name),       TRUE },
  { "type",       parse_record_type, F (MlLessonRecord, type),       TRUE },
  { "value",      parse_line,        F (MlLessonRecord, value),      TRUE },
  { "preference", parse_u16,         F (MlLessonRecord, preference), FALSE, 0, G_MAXUINT16 },
  { "ttl",        parse_uint,        F (MlLessonRecord, ttl),        FALSE, 0, MAX_TTL },
};

static const Field account_fields[] = {
  { "address",  parse_address, F (MlLessonAccount, address),  TRUE },
  { "password", parse_line,    F (MlLessonAccount, password), TRUE },
  { "quota",    parse_uint,    F (MlLessonAccount, quota),    FALSE, 0, G_MAXUINT },
  { "mailboxes", _ml_lesson_parse_mailboxes, F (MlLessonAccount, mailboxes), FALSE, 1, 0, &_ml_lesson_mailbox_type },
};

#define ELEMENT(type, fields, prefix) \
  { fields, G_N_ELEMENTS (fields), prefix##_alloc, prefix##_free, \
    F (type, line), F (type, column) }

static const Field attachment_fields[] = {
  { "name",    parse_file_name,    F (MlLessonAttachment, name),         TRUE },
  { "type",    parse_content_type, F (MlLessonAttachment, content_type), FALSE },
  { "content", parse_text,         F (MlLessonAttachment, content),      TRUE },
};

static const ElementType attachment_type = ELEMENT (MlLessonAttachment, attachment_fields,
                                                    attachment);

/* For lesson-mailboxes.c: a preloaded message's attachments, as a send
 * step's. */
gboolean
_ml_lesson_parse_attachments (Loader *ld, const MlYamlNode *node, const char *path,
                              const Field *field, gpointer dest, GError **error)
{
  Field f = *field;

  f.element = &attachment_type;
  return parse_attachments (ld, node, path, &f, dest, error);
}

static const Field step_fields[] = {
  { "action",    parse_action,    F (MlLessonStep, kind),      TRUE },
  { "narrative", parse_text,      F (MlLessonStep, narrative), FALSE },
  { "pause",     parse_bool,      F (MlLessonStep, pause),     FALSE },
  { "faults",    _ml_lesson_parse_faults, F (MlLessonStep, faults), FALSE, 1, 0, &_ml_lesson_fault_type },
  { "host",      parse_host_name, F (MlLessonStep, host),      TRUE },
  /* Which of these an action needs is checked in the second pass. */
  { "from",      parse_address,   F (MlLessonStep, from),      FALSE },
  { "to",        parse_addresses, F (MlLessonStep, to),        FALSE, 1 },
  { "subject",   parse_line,      F (MlLessonStep, subject),   FALSE },
  { "body",      parse_body,      F (MlLessonStep, body),      FALSE },
  { "count",     parse_uint,      F (MlLessonStep, count),     FALSE, 1, ML_LESSON_MAX_SEND_COUNT },
  { "server",    parse_host_name, F (MlLessonStep, server),    FALSE },
  { "account",   parse_address,   F (MlLessonStep, account),   FALSE },
  { "keep",      parse_bool,      F (MlLessonStep, keep),      FALSE },
  { "uidl",      parse_bool,      F (MlLessonStep, uidl),      FALSE },
  { "mailbox",   parse_line,      F (MlLessonStep, mailbox),   FALSE },
  { "uid",       parse_uint,      F (MlLessonStep, uid),       FALSE, 1, G_MAXUINT32 },
  { "message",   parse_line,      F (MlLessonStep, message),   FALSE },
  { "flags",     parse_flags,     F (MlLessonStep, flags),     FALSE, 1 },
  { "set",       parse_bool,      F (MlLessonStep, set),       FALSE },
  { "folder",    parse_line,      F (MlLessonStep, folder),    FALSE },
  { "criteria",  parse_line,      F (MlLessonStep, criteria),  FALSE },
  { "expunge",   parse_bool,      F (MlLessonStep, expunge),   FALSE },
  { "timeout",   parse_duration,  F (MlLessonStep, timeout_us), FALSE, 0, ML_LESSON_DEFAULT_IDLE_TIMEOUT_US },
  { "tls",       parse_step_tls,  F (MlLessonStep, tls),       FALSE },
  { "auth",      parse_step_auth, F (MlLessonStep, auth),      FALSE },
  { "password",  parse_line,      F (MlLessonStep, password),  FALSE },
  { "attachments", parse_attachments, F (MlLessonStep, attachments), FALSE, 1, 0, &attachment_type },
  { "protocol",  parse_console_protocol, F (MlLessonStep, protocol), FALSE },
  { "port",      parse_u16,       F (MlLessonStep, port),      FALSE, 1, G_MAXUINT16 },
  { "lines",     parse_console_lines, F (MlLessonStep, lines), FALSE, 1 },
};

static const ElementType host_type = ELEMENT (MlLessonHost, host_fields, host);
static const ElementType link_type = ELEMENT (MlLessonLink, link_fields, link);
static const ElementType record_type = ELEMENT (MlLessonRecord, record_fields, record);
static const ElementType account_type = ELEMENT (MlLessonAccount, account_fields, account);
static const ElementType step_type = ELEMENT (MlLessonStep, step_fields, step);

static const Field lesson_fields[] = {
  { "title",    parse_line,  F (MlLesson, title),      TRUE },
  { "level",    parse_level, F (MlLesson, level),      FALSE },
  { "minutes",  parse_uint,  F (MlLesson, minutes),    FALSE, 1, MAX_MINUTES },
  { "summary",  parse_text,  F (MlLesson, summary),    FALSE },
  { "goals",    parse_goals, F (MlLesson, goals),      FALSE, 1 },
  { "prerequisites", parse_prerequisites, F (MlLesson, prerequisites), FALSE, 1 },
  { "seed",     parse_uint,  F (MlLesson, seed),       FALSE, 0, G_MAXUINT32 },
  { "epoch",    parse_epoch, F (MlLesson, epoch_unix), FALSE },
  { "hosts",    parse_list,  F (MlLesson, hosts),      TRUE,  1, 0, &host_type },
  { "links",    parse_list,  F (MlLesson, links),      FALSE, 0, 0, &link_type },
  { "dns",      parse_list,  F (MlLesson, records),    FALSE, 0, 0, &record_type },
  { "accounts", parse_list,  F (MlLesson, accounts),   FALSE, 0, 0, &account_type },
  { "steps",    parse_list,  F (MlLesson, steps),      TRUE,  1, 0, &step_type },
  { "questions", parse_list, F (MlLesson, questions),  FALSE, 0, 0, &_ml_lesson_question_type },
  { "checks",   parse_list,  F (MlLesson, checks),     FALSE, 0, 0, &_ml_lesson_check_type },
};

#undef F
#undef ELEMENT

static gboolean
parse_group (Loader *ld, const MlYamlNode *node, const char *path,
             const Field *fields, gsize n_fields, gpointer base, GError **error)
{
  const MlYamlNode *seen[MAX_FIELDS] = { NULL };

  g_return_val_if_fail (n_fields <= MAX_FIELDS, FALSE);

  if (node->kind != ML_YAML_MAPPING)
    return fail (ld, node, path, error, "expected a group of 'key: value' lines, found %s",
                 ml_yaml_kind_describe (node->kind));

  for (guint i = 0; i + 1 < node->items->len; i += 2)
    {
      const MlYamlNode *key = g_ptr_array_index (node->items, i);
      const MlYamlNode *value = g_ptr_array_index (node->items, i + 1);
      g_autofree char *sub = NULL;
      gsize f;

      for (f = 0; f < n_fields; f++)
        if (strcmp (key->text, fields[f].key) == 0)
          break;
      if (f == n_fields)
        {
          const char *names[MAX_FIELDS];
          g_autofree char *q = quote (key);
          g_autofree char *hint = NULL;

          for (gsize k = 0; k < n_fields; k++)
            names[k] = fields[k].key;
          hint = did_you_mean (key->text, names, n_fields);
          return fail (ld, key, path, error, "unknown key %s%s", q, hint);
        }
      if (seen[f] != NULL)
        return fail (ld, key, path, error, "'%s' appears twice (first on line %u)",
                     fields[f].key, seen[f]->line);
      seen[f] = key;
      sub = join_path (path, fields[f].key);
      if (!fields[f].parse (ld, value, sub, &fields[f],
                            G_STRUCT_MEMBER_P (base, fields[f].offset), error))
        return FALSE;
    }

  for (gsize f = 0; f < n_fields; f++)
    if (fields[f].required && seen[f] == NULL)
      return fail (ld, node, path, error, "'%s' is missing", fields[f].key);
  return TRUE;
}

/* ---- second pass: lesson-check.c --------------------------------------- */

/* The node that holds @key in @element's group, or the group itself. */
static const MlYamlNode *
node_of (const Loader *ld, gconstpointer element, const char *key)
{
  const MlYamlNode *group = g_hash_table_lookup (ld->origin, element);
  const MlYamlNode *value = group ? ml_yaml_node_lookup (group, key) : NULL;

  return value ? value : group;
}

/* ---- public API ------------------------------------------------------- */

void
ml_lesson_free (MlLesson *lesson)
{
  if (lesson == NULL)
    return;
  g_free (lesson->path);
  g_free (lesson->id);
  g_free (lesson->title);
  g_free (lesson->level);
  g_free (lesson->summary);
  g_strfreev (lesson->goals);
  g_strfreev (lesson->prerequisites);
  g_clear_pointer (&lesson->questions, g_ptr_array_unref);
  g_clear_pointer (&lesson->checks, g_ptr_array_unref);
  g_clear_pointer (&lesson->hosts, g_ptr_array_unref);
  g_clear_pointer (&lesson->links, g_ptr_array_unref);
  g_clear_pointer (&lesson->records, g_ptr_array_unref);
  g_clear_pointer (&lesson->accounts, g_ptr_array_unref);
  g_clear_pointer (&lesson->steps, g_ptr_array_unref);
  g_free (lesson);
}

static char *
id_from_filename (const char *filename)
{
  g_autofree char *base = g_path_get_basename (filename);

  if (g_str_has_suffix (base, ".yaml"))
    base[strlen (base) - 5] = '\0';
  else if (g_str_has_suffix (base, ".yml"))
    base[strlen (base) - 4] = '\0';
  return g_steal_pointer (&base);
}

static MlLesson *
lesson_new (const char *filename)
{
  MlLesson *lesson = g_new0 (MlLesson, 1);

  lesson->path = g_strdup (filename);
  lesson->id = id_from_filename (filename);
  lesson->seed = DEFAULT_SEED;
  lesson->epoch_unix = DEFAULT_EPOCH_UNIX;
  lesson->hosts = g_ptr_array_new_with_free_func (host_free);
  lesson->links = g_ptr_array_new_with_free_func (link_free);
  lesson->records = g_ptr_array_new_with_free_func (record_free);
  lesson->accounts = g_ptr_array_new_with_free_func (account_free);
  lesson->steps = g_ptr_array_new_with_free_func (step_free);
  lesson->questions = g_ptr_array_new_with_free_func (_ml_lesson_question_free);
  lesson->checks = g_ptr_array_new_with_free_func (_ml_lesson_check_free);
  return lesson;
}

MlLesson *
ml_lesson_load_data (const char *data,
                     gsize       len,
                     const char *filename,
                     GError    **error)
{
  g_autoptr(MlYamlNode) root = NULL;
  g_autoptr(MlLesson) lesson = NULL;
  g_autoptr(GHashTable) origin = NULL;
  Loader ld;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (filename == NULL)
    filename = "<memory>";
  if (!ml_yaml_parse (data, len, filename, &root, error))
    return NULL;

  lesson = lesson_new (filename);
  origin = g_hash_table_new (g_direct_hash, g_direct_equal);
  ld.filename = filename;
  ld.lesson = lesson;
  ld.origin = origin;

  if (root == NULL || ml_yaml_node_is_null (root))
    {
      fail (&ld, root, NULL, error, "the file is empty; a lesson needs at least "
            "'title', 'hosts' and 'steps'");
      return NULL;
    }
  if (root->kind != ML_YAML_MAPPING)
    {
      fail (&ld, root, NULL, error, "a lesson is a group of 'key: value' lines "
            "(title: ..., hosts: ..., steps: ...), but this file is %s",
            ml_yaml_kind_describe (root->kind));
      return NULL;
    }
  if (!parse_group (&ld, root, NULL, lesson_fields, G_N_ELEMENTS (lesson_fields),
                    lesson, error) ||
      !_ml_lesson_check_world (&ld, error))
    return NULL;

  return g_steal_pointer (&lesson);
}

/* Reads at most one byte past the limit, so a huge file or an endless
 * device costs nothing before it is refused. */
static char *
read_limited (const char *path, gsize *len_out, GError **error)
{
  g_autoptr(GString) buf = g_string_new (NULL);
  FILE *f = g_fopen (path, "rb");
  char chunk[16384];
  int saved_errno;

  if (f == NULL)
    {
      saved_errno = errno;
      g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE,
                   "%s:1:1: cannot open the file: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  while (buf->len <= ML_LESSON_MAX_FILE_SIZE)
    {
      gsize want = MIN (sizeof chunk, ML_LESSON_MAX_FILE_SIZE + 1 - buf->len);
      gsize n = fread (chunk, 1, want, f);

      g_string_append_len (buf, chunk, (gssize) n);
      if (n < want)
        break;
    }
  if (ferror (f))
    {
      saved_errno = errno;
      fclose (f);
      g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE,
                   "%s:1:1: cannot read the file: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  fclose (f);
  if (buf->len > ML_LESSON_MAX_FILE_SIZE)
    {
      g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE,
                   "%s:1:1: the file is larger than %u bytes, the most a lesson may be",
                   path, (guint) ML_LESSON_MAX_FILE_SIZE);
      return NULL;
    }
  *len_out = buf->len;
  return g_string_free (g_steal_pointer (&buf), FALSE);
}

MlLesson *
ml_lesson_load_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = read_limited (path, &len, error);
  if (data == NULL)
    return NULL;
  return ml_lesson_load_data (data, len, path, error);
}

const MlLessonHost *
ml_lesson_find_host (const MlLesson *lesson, const char *name)
{
  g_return_val_if_fail (lesson != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  /* Host names are DNS names for the mail hosts, and DNS ignores case
   * (RFC 1035 2.3.3). */
  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *h = lesson->hosts->pdata[i];

      if (g_ascii_strcasecmp (h->name, name) == 0)
        return h;
    }
  return NULL;
}

/* ---- for the other parts of the loader (lesson-private.h) ---------------- */

const MlYamlNode *
_ml_lesson_node_of (const Loader *ld, gconstpointer element, const char *key)
{
  return node_of (ld, element, key);
}

gboolean
_ml_lesson_parse_list (Loader *ld, const MlYamlNode *node, const char *path,
                       const Field *field, gpointer dest, GError **error)
{
  return parse_list (ld, node, path, field, dest, error);
}

gboolean
ml_lesson_check_prerequisites (const MlLesson *lesson, const char *dir, GError **error)
{
  g_return_val_if_fail (lesson != NULL, FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  for (guint i = 0; lesson->prerequisites != NULL && lesson->prerequisites[i] != NULL; i++)
    {
      g_autofree char *file = g_strconcat (lesson->prerequisites[i], ".yaml", NULL);
      g_autofree char *path = g_build_filename (dir, file, NULL);

      if (strcmp (lesson->prerequisites[i], lesson->id) == 0)
        {
          g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID,
                       "%s:%u:%u: prerequisites[%u]: a lesson cannot come before itself",
                       lesson->path, lesson->prerequisites_line,
                       lesson->prerequisites_column, i + 1);
          return FALSE;
        }
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID,
                       "%s:%u:%u: prerequisites[%u]: there is no lesson '%s' (no %s)",
                       lesson->path, lesson->prerequisites_line,
                       lesson->prerequisites_column, i + 1, lesson->prerequisites[i], path);
          return FALSE;
        }
    }
  return TRUE;
}

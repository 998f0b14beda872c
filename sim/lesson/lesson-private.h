/* lesson-private.h — what the parts of the lesson loader share: the
 * table-driven first pass (fields, element types) and the helpers that
 * word an error at a FILE:LINE:COLUMN. Only sim/lesson/lesson*.c include it.
 */
#pragma once

#include "lesson/lesson.h"
#include "lesson/yaml-node.h"

G_BEGIN_DECLS

typedef struct {
  const char *filename;
  MlLesson   *lesson;
  GHashTable *origin;   /* element struct -> its mapping node (borrowed) */
} MlLessonLoader;

typedef struct _MlLessonField MlLessonField;
typedef struct _MlLessonElementType MlLessonElementType;

typedef gboolean (*MlLessonFieldParse) (MlLessonLoader      *ld,
                                        const MlYamlNode    *node,
                                        const char          *path,
                                        const MlLessonField *field,
                                        gpointer             dest,
                                        GError             **error);

struct _MlLessonField {
  const char                *key;
  MlLessonFieldParse         parse;
  gsize                      offset;
  gboolean                   required;
  guint64                    min, max;   /* numbers; number of items in lists */
  const MlLessonElementType *element;    /* lists of groups */
};

struct _MlLessonElementType {
  const MlLessonField *fields;
  gsize                n_fields;
  gpointer           (*alloc) (void);
  GDestroyNotify       free;
  gsize                line_offset, column_offset;
};

#define ML_LESSON_ELEMENT(type, fields, prefix) \
  { fields, G_N_ELEMENTS (fields), prefix##_alloc, prefix##_free, \
    G_STRUCT_OFFSET (type, line), G_STRUCT_OFFSET (type, column) }

/* Sets @error to "FILE:LINE:COLUMN: PATH: message" at @at; returns FALSE. */
gboolean _ml_lesson_fail (const MlLessonLoader *ld, const MlYamlNode *at, const char *path,
                          GError **error, const char *format, ...) G_GNUC_PRINTF (5, 6);
/* A value as a message may repeat it (transfer full). */
char    *_ml_lesson_quote (const MlYamlNode *node);
/* "; did you mean 'x'?" or "" (transfer full). */
char    *_ml_lesson_did_you_mean (const char *word, const char *const *candidates, gsize n);
/* The node that holds @key in @element's group, or the group (borrowed). */
const MlYamlNode *_ml_lesson_node_of (const MlLessonLoader *ld, gconstpointer element,
                                      const char *key);
/* One of @n @choices, no case: its index. */
gboolean _ml_lesson_check_choice (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                                  const char *const *choices, gsize n, const char *what,
                                  gsize *index_out, GError **error);
/* A reference to a host, rewritten as the host spells its name. */
gboolean _ml_lesson_resolve_host (MlLessonLoader *ld, const MlYamlNode *at, const char *path,
                                  char **ref, const MlLessonHost **host_out, GError **error);
/* A single flag, as imap-flag takes it (RFC 3501 2.3.2). */
gboolean _ml_lesson_check_flag (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                                char **out, GError **error);

/* Syntax helpers of lesson-values.c: NULL or why not (transfer full); a dotted quad. */
char    *_ml_lesson_quote_text       (const char *text, gsize len);
char    *_ml_lesson_dns_name_problem (const char *name, gboolean allow_underscore);
gboolean _ml_lesson_ipv4_parse       (const char *s, guint32 *out);

/* lesson-check.c: the second pass over the whole lesson. */
gboolean _ml_lesson_check_world (MlLessonLoader *ld, GError **error);

/* Value parsers, for field tables (see lesson-values.c for each one's syntax). */
gboolean _ml_lesson_parse_line      (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_text      (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_uint      (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_bool      (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_tristate  (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_list      (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_lines     (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_host_name (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_address   (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_loss      (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_between   (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
/* The rest of lesson-values.c's parsers, which lesson.c's tables name. */
gboolean _ml_lesson_parse_action (MlLessonLoader *, const MlYamlNode *, const char *,
                                  const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_addresses (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_bandwidth (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_body (MlLessonLoader *, const MlYamlNode *, const char *,
                                const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_certificate (MlLessonLoader *, const MlYamlNode *, const char *,
                                       const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_console_lines (MlLessonLoader *, const MlYamlNode *, const char *,
                                         const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_console_protocol (MlLessonLoader *, const MlYamlNode *, const char *,
                                            const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_content_type (MlLessonLoader *, const MlYamlNode *, const char *,
                                        const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_domains (MlLessonLoader *, const MlYamlNode *, const char *,
                                   const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_duration (MlLessonLoader *, const MlYamlNode *, const char *,
                                    const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_epoch (MlLessonLoader *, const MlYamlNode *, const char *,
                                 const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_file_name (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_flags (MlLessonLoader *, const MlYamlNode *, const char *,
                                 const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_goals (MlLessonLoader *, const MlYamlNode *, const char *,
                                 const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_host_ip (MlLessonLoader *, const MlYamlNode *, const char *,
                                   const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_level (MlLessonLoader *, const MlYamlNode *, const char *,
                                 const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_mechanisms (MlLessonLoader *, const MlYamlNode *, const char *,
                                      const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_owner_name (MlLessonLoader *, const MlYamlNode *, const char *,
                                      const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_prerequisites (MlLessonLoader *, const MlYamlNode *, const char *,
                                         const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_record_type (MlLessonLoader *, const MlYamlNode *, const char *,
                                       const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_roles (MlLessonLoader *, const MlYamlNode *, const char *,
                                 const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_step_auth (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_step_tls (MlLessonLoader *, const MlYamlNode *, const char *,
                                    const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_u16 (MlLessonLoader *, const MlYamlNode *, const char *,
                               const MlLessonField *, gpointer, GError **);
/* "PATH.KEY", or KEY at the top (transfer full). */
char    *_ml_lesson_join_path        (const char *path, const char *key);
/* Frees the string at @dest (a char **) and stores @value there (transfer full). */
void     _ml_lesson_set_string       (gpointer dest, char *value);

/* lesson-questions.c */
extern const MlLessonElementType _ml_lesson_question_type;
void     _ml_lesson_question_free   (gpointer question);
gboolean _ml_lesson_check_questions (MlLessonLoader *ld, GError **error);

/* lesson-checks.c */
extern const MlLessonElementType _ml_lesson_check_type;
void     _ml_lesson_check_free      (gpointer check);
gboolean _ml_lesson_check_checks    (MlLessonLoader *ld, GError **error);

/* lesson-mailauth.c: a host's dkim group and lists (lesson-mailauth.h). */
extern const MlLessonElementType _ml_lesson_list_type;
void     _ml_lesson_dkim_free       (gpointer dkim);
gboolean _ml_lesson_parse_dkim      (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_parse_lists     (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);

/* lesson-mailboxes.c: an account's mailboxes and the messages in them. */
extern const MlLessonElementType _ml_lesson_mailbox_type;
gboolean _ml_lesson_parse_mailboxes (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_check_mailboxes (MlLessonLoader *ld, GError **error);
/* lesson.c: a list of attachments as a send step has, for other messages. */
gboolean _ml_lesson_parse_attachments (MlLessonLoader *, const MlYamlNode *, const char *,
                                       const MlLessonField *, gpointer, GError **);

/* lesson-faults.c */
extern const MlLessonElementType _ml_lesson_fault_type;
gboolean _ml_lesson_parse_faults    (MlLessonLoader *, const MlYamlNode *, const char *,
                                     const MlLessonField *, gpointer, GError **);
gboolean _ml_lesson_check_faults    (MlLessonLoader *ld, GError **error);

G_END_DECLS

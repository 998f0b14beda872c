/* explain.h — the teaching-note catalog (lessons/explain/NAME.yaml).
 *
 * Every trace event carries an explanation key ("smtp.rcpt",
 * "smtp.reply.354", "tcp.syn", "imap.state.selected"); the catalog turns
 * it into a note for a student: a title, a few plain sentences and the RFC
 * section they come from. Teachers edit the files, so every problem in
 * one is a GError in ML_LESSON_ERROR whose message starts with
 * "FILE:LINE:COLUMN: " (ML_LESSON_ERROR_PARSE: not YAML;
 * ML_LESSON_ERROR_INVALID: YAML, but not a valid catalog).
 *
 * The file format is described in lessons/explain/README.md:
 *
 *   smtp.rcpt:
 *     title: RCPT TO — one recipient of the envelope
 *     rfc: RFC 5321 4.1.1.3
 *     text: >
 *       …
 */
#pragma once

#include <glib.h>
#include "lesson/lesson.h"

G_BEGIN_DECLS

/* Limits on the catalog. No RFC sets them: they keep a note readable
 * beside a ladder diagram, and a broken folder from costing without bound.
 * A file is also held to the lesson limits (ML_LESSON_MAX_FILE_SIZE …). */
#define ML_EXPLAIN_MAX_KEY       64     /* bytes in a key */
#define ML_EXPLAIN_MAX_TITLE     100    /* characters in a title */
#define ML_EXPLAIN_MIN_TEXT      40     /* characters: one real sentence */
#define ML_EXPLAIN_MAX_TEXT      1200   /* characters: about six sentences */
#define ML_EXPLAIN_MAX_RFC       120    /* characters in an rfc reference */
#define ML_EXPLAIN_MAX_ENTRIES   10000  /* notes in one catalog */
#define ML_EXPLAIN_MAX_FILES     256    /* *.yaml files in one folder */

/* One note. Everything is owned by the catalog and lives as long as it. */
typedef struct {
  char  *key;    /* "smtp.rcpt" */
  char  *title;  /* one line */
  char  *text;   /* plain sentences; "\n" only between paragraphs */
  char  *rfc;    /* "RFC 5321 4.1.1.3", or a list "RFC 5321 3.3; RFC 2920 3.1" */
  char  *file;   /* the file it came from, as given to the loader */
  guint  line;   /* 1-based line of its key in that file */
} MlExplanation;

typedef struct _MlExplainCatalog MlExplainCatalog;

MlExplainCatalog    *ml_explain_catalog_new       (void);
void                 ml_explain_catalog_free      (MlExplainCatalog *self);

/* Loads every "*.yaml" file of @dir in name order. A key may be explained
 * once in the whole catalog: a key already loaded, from this folder or
 * earlier, is an error. On error nothing of @dir is added. */
gboolean             ml_explain_catalog_load_dir  (MlExplainCatalog *self,
                                                   const char       *dir,
                                                   GError          **error);
/* One file's text; @filename names it in errors and in MlExplanation.file
 * (NULL means "<memory>"). On error nothing of it is added. */
gboolean             ml_explain_catalog_load_data (MlExplainCatalog *self,
                                                   const char       *data,
                                                   gsize             len,
                                                   const char       *filename,
                                                   GError          **error);

/* The note for exactly @key, or NULL (borrowed). */
const MlExplanation *ml_explain_catalog_lookup    (MlExplainCatalog *self,
                                                   const char       *key);
/* The most specific note for @key, or NULL (borrowed): @key itself; then,
 * when its last part is a three-digit reply code, the code's class
 * ("smtp.reply.451" → "smtp.reply.4xx"); then each shorter prefix that
 * still has two parts ("imap.untagged.foo" → "imap.untagged"). The area
 * alone ("smtp") is never a fallback, so an unknown key stays visible. */
const MlExplanation *ml_explain_catalog_find      (MlExplainCatalog *self,
                                                   const char       *key);
guint                ml_explain_catalog_get_size  (MlExplainCatalog *self);
/* Every note, sorted by key (transfer container: free the array; the
 * notes stay the catalog's). */
GPtrArray           *ml_explain_catalog_list      (MlExplainCatalog *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlExplainCatalog, ml_explain_catalog_free)

G_END_DECLS

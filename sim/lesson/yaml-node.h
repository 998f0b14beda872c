/* yaml-node.h — a small, bounded YAML tree for the lesson loader.
 *
 * libyaml's event parser feeds a tree of MlYamlNode; every node keeps the
 * 1-based line and column where it starts so the lesson loader can point a
 * teacher at the exact place of a mistake. Building the tree enforces the
 * limits in lesson.h (file size, nesting, string length, node count and
 * alias expansion), so nothing a file says can make us allocate without
 * bound. Aliases share the anchored node instead of copying it.
 *
 * Errors are GErrors in ML_LESSON_ERROR (ML_LESSON_ERROR_PARSE) whose
 * message starts with "FILE:LINE:COLUMN: ".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  ML_YAML_SCALAR = 0,
  ML_YAML_SEQUENCE,
  ML_YAML_MAPPING,
} MlYamlKind;

typedef struct _MlYamlNode MlYamlNode;

/* Read-only for callers. */
struct _MlYamlNode {
  int         ref_count;
  MlYamlKind  kind;
  guint       line, column;  /* 1-based, where the node starts */
  char       *text;          /* scalar: value, NUL-terminated (may hold NULs) */
  gsize       len;           /* scalar: length of text in bytes */
  gboolean    plain;         /* scalar: written without quotes or | > */
  GPtrArray  *items;         /* sequence: MlYamlNode*; mapping: key, value,
                                key, value, ... (keys are scalars) */
  guint64     cost;          /* bytes this node stands for, aliases expanded */
};

/* Parses one YAML document. On success *root_out is the document's root
 * (transfer full), or NULL when the input holds no document at all. */
gboolean          ml_yaml_parse          (const char   *data,
                                          gsize         len,
                                          const char   *filename,
                                          MlYamlNode  **root_out,
                                          GError      **error);

MlYamlNode       *ml_yaml_node_ref       (MlYamlNode *node);
void              ml_yaml_node_unref     (MlYamlNode *node);

/* The value of @key in @mapping, or NULL (borrowed). */
const MlYamlNode *ml_yaml_node_lookup    (const MlYamlNode *mapping,
                                          const char       *key);
/* An empty plain scalar, "~" or "null": YAML's way of saying nothing. */
gboolean          ml_yaml_node_is_null   (const MlYamlNode *node);
/* "a list", "a group of 'key: value' lines", "a single value". */
const char       *ml_yaml_kind_describe  (MlYamlKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlYamlNode, ml_yaml_node_unref)

G_END_DECLS

/* lesson-mailauth.h — a lesson host's mail authentication keys
 * (lessons/README.md "hosts"): `dkim` (sign what this MSA accepts),
 * `verify_mail` (check SPF, DKIM and DMARC on what port 25 receives) and
 * `lists` (mailing lists this host expands). Parsed by lesson-mailauth.c;
 * put to work by sim/world/host-mailauth.c and mailing-list.c.
 */
#pragma once

#include "lesson/lesson.h"

G_BEGIN_DECLS

/* RFC 6376 3.1: a selector is one or more DNS labels; 63 octets per label
 * (RFC 1035 2.3.4). Our bound on the whole selector. */
#define ML_LESSON_MAX_DKIM_SELECTOR 63
/* How many members one list may have in a lesson (no RFC limit). */
#define ML_LESSON_MAX_LIST_MEMBERS  50

typedef struct _MlLessonDkim MlLessonDkim;
typedef struct _MlLessonList MlLessonList;

typedef enum {
  ML_LESSON_DKIM_RSA_SHA256 = 0,   /* RFC 6376 3.3.1, the default */
  ML_LESSON_DKIM_ED25519_SHA256,   /* RFC 8463 3 */
} MlLessonDkimAlgorithm;

struct _MlLessonDkim {
  char    *selector;        /* s= (required) */
  char    *domain;          /* d=; NULL: the host's first domain */
  MlLessonDkimAlgorithm algorithm;
  gboolean header_relaxed;  /* c= header part; default relaxed */
  gboolean body_relaxed;    /* c= body part; default relaxed */
  GStrv    headers;         /* h= field names; NULL: the RFC 6376 5.4.1 set */
  guint    line, column;
};

struct _MlLessonList {
  char    *address;         /* "team@lists.example" */
  GStrv    members;         /* the addresses it re-sends to */
  char    *footer;          /* appended to the body; may be NULL */
  char    *subject_prefix;  /* "[team]"; may be NULL */
  guint    line, column;
};

/* The `header` check (lesson-checks.c): whether the message of @box whose
 * Subject contains check->subject has a check->name field containing
 * check->contains (no case), as check->present wants. *@observed_out
 * says what was seen (transfer full). */
struct _MlMailbox;
gboolean _ml_lesson_check_grade_header (const MlLessonCheck *check, struct _MlMailbox *box,
                                        char **observed_out);

G_END_DECLS

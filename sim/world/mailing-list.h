/* mailing-list.h — a mailing list served by a mail host (lesson key
 * `lists`, lesson-mailauth.h), as Mailman does it without any DMARC
 * mitigation: a message to the list address is re-sent to each member
 * with the envelope sender LIST-bounces@domain (RFC 5321 3.9.2: the
 * list takes over errors), "[prefix] " in front of the Subject, a footer
 * appended to the body, List-Id (RFC 2919) and List-Post (RFC 2369)
 * added, and From: unchanged — which is why a DKIM signature over the
 * body breaks and DMARC alignment is lost on the way.
 */
#pragma once

#include <glib.h>
#include "lesson/lesson-mailauth.h"

G_BEGIN_DECLS

typedef struct _MlMailingList MlMailingList;

/* @list is copied. Transfer full. */
MlMailingList *ml_mailing_list_new         (const MlLessonList *list);
void           ml_mailing_list_free        (MlMailingList *self);
/* The list address ("team@lists.example"), borrowed. */
const char    *ml_mailing_list_get_address (MlMailingList *self);
/* Whether @address is this list (no case, RFC 5321 2.4 for the domain;
 * the local part as Mailman compares it). */
gboolean       ml_mailing_list_matches     (MlMailingList *self, const char *address);
/* The members, NULL-terminated, borrowed. */
const char * const *ml_mailing_list_get_members (MlMailingList *self);
/* "team-bounces@lists.example" (transfer full). */
char          *ml_mailing_list_dup_bounce_address (MlMailingList *self);
/* The message as the list re-sends it (transfer full). @message has CRLF
 * line ends; trace fields above it stay (RFC 5321 3.9.1: a list is a
 * new submission, but keeps the trace). */
GBytes        *ml_mailing_list_rewrite     (MlMailingList *self, GBytes *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlMailingList, ml_mailing_list_free)

G_END_DECLS

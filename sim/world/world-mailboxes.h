/* world-mailboxes.h — the mailboxes a lesson's accounts start with
 * (`mailboxes:` in lessons/README.md), put in the MDAs' stores before
 * step 1.
 */
#pragma once

#include "lesson/lesson.h"
#include "world/world.h"

G_BEGIN_DECLS

/* Creates each account's listed mailboxes (with their RFC 6154 special
 * use and subscription) and appends their messages, composed as a MUA
 * would (RFC 5322, MIME with attachments) with the given flags. Call with
 * the store listeners attached: every message becomes an "append" store
 * event in the trace, and its flags a "flags" event, so a trace replayed
 * (the GUI's Mailboxes view) starts from the same state. A message
 * without a date is dated before the lesson's epoch, an hour apart in
 * file order. FALSE with @error (FILE:LINE:COLUMN) if the store refuses
 * one (a quota, a size). */
gboolean ml_world_fill_mailboxes (MlWorld *world, const MlLesson *lesson, GError **error);

G_END_DECLS

/* note-view.h — the teaching note for the player's current event: what
 * the catalog says about its key (title, text, RFC section) and, for an
 * engine, the state before and after.
 */
#pragma once

#include <gtk/gtk.h>
#include "lesson/explain.h"
#include "player.h"

G_BEGIN_DECLS

/* How far back the view looks for a session's last state change. */
#define ML_NOTE_STATE_MAX_SCAN 4096

#define ML_TYPE_NOTE_VIEW (ml_note_view_get_type ())
G_DECLARE_FINAL_TYPE (MlNoteView, ml_note_view, ML, NOTE_VIEW, GtkWidget)

GtkWidget  *ml_note_view_new         (void);
MlPlayer   *ml_note_view_get_player  (MlNoteView *self);   /* borrowed */
void        ml_note_view_set_player  (MlNoteView *self, MlPlayer *player);
/* Borrowed: the catalog must outlive the view (the window owns both). */
void        ml_note_view_set_catalog (MlNoteView *self, MlExplainCatalog *catalog);

/* What is shown, for tests (borrowed). */
const char *ml_note_view_get_title   (MlNoteView *self);
const char *ml_note_view_get_text    (MlNoteView *self);
const char *ml_note_view_get_rfc     (MlNoteView *self);
const char *ml_note_view_get_state   (MlNoteView *self);

G_END_DECLS

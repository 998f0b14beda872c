/* mailbox-view.h — the server's mailboxes and each device's holdings side
 * by side (server | phone | laptop), as of the player's position. */
#pragma once

#include <gtk/gtk.h>
#include "player.h"

G_BEGIN_DECLS

#define ML_TYPE_MAILBOX_VIEW (ml_mailbox_view_get_type ())
G_DECLARE_FINAL_TYPE (MlMailboxView, ml_mailbox_view, ML, MAILBOX_VIEW, GtkWidget)

GtkWidget *ml_mailbox_view_new        (void);
void       ml_mailbox_view_set_player (MlMailboxView *self, MlPlayer *player);
/* What the server column says when no store changed (a capture has
 * none); NULL for the default "nothing stored yet". Copied. */
void       ml_mailbox_view_set_placeholder (MlMailboxView *self, const char *text);
/* Number of columns shown (servers' mailboxes + devices). */
guint      ml_mailbox_view_get_n_columns (MlMailboxView *self);
/* The text of column @i (borrowed until the next position change). */
const char *ml_mailbox_view_get_column_text (MlMailboxView *self, guint i);

G_END_DECLS

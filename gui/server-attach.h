/* server-attach.h — File → Attach to Server…: a running `maillab-cli
 * serve` shown as its sessions happen.
 *
 * The window follows the server's trace socket (trace-follow.h) into a
 * trace of its own and tells the player a few times a second that it grew
 * (ml_player_trace_grew: the ladder extends by the new rows only, and the
 * cursor follows the newest line while it is on the last one). The header
 * says "Attached to NAME · N sessions"; when the server goes away the
 * trace stays on screen and the header says so.
 */
#pragma once

#include "window.h"
#include "trace-follow.h"

G_BEGIN_DECLS

/* How often the views catch up with the server: live to the eye, and a
 * burst of events costs one refresh rather than one per read. */
#define ML_ATTACH_REFRESH_MS 100

/* Attaches to the trace socket at @socket_path (what was shown before is
 * put away, as when a capture opens) and remembers the path for the
 * dialog. Connecting is asynchronous: a server that is not there shows as
 * "Detached" with the reason, and a toast. */
void           ml_window_attach_server      (MlWindow *self, const char *socket_path);
/* Stops following; the trace read so far stays. Harmless when not
 * attached. */
void           ml_window_detach_server      (MlWindow *self);
/* The follower (borrowed), NULL when the window never attached since the
 * last lesson or file. */
MlTraceFollow *ml_window_get_attached       (MlWindow *self);

/* The socket the dialog proposes: the last one attached to, else the
 * default of `maillab-cli serve` (~/.local/share/maillab/live/trace.sock).
 * Caller frees. */
char          *ml_attach_dup_default_path   (void);

/* The Attach to Server dialog, transient for @window (transfer none: it
 * destroys itself when closed). */
GtkWindow     *ml_attach_dialog_new         (MlWindow *window);
/* For tests: the path entry (borrowed), and what Attach does. */
GtkEditable   *ml_attach_dialog_get_path    (GtkWindow *dialog);
void           ml_attach_dialog_attach      (GtkWindow *dialog);

/* Forgets the follower (window.c, when something else is shown). */
void           _ml_window_attach_clear      (MlWindow *self);

G_END_DECLS

/* gui.h — what every user of the visualizer's library calls first. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Registers the GResource bundle (the .ui files, CSS and icon). Safe to
 * call more than once. The application and the GUI tests call it. */
void ml_gui_init (void);

G_END_DECLS

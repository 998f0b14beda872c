#define G_LOG_DOMAIN "ml-gui"

#include <gio/gio.h>
#include "gui.h"
#include "ml-resources.h"

void
ml_gui_init (void)
{
  static gsize done = 0;

  /* The bundle is linked from a static library, where a constructor
   * would be dropped with the object file nobody references. */
  if (g_once_init_enter (&done))
    {
      ml_register_resource ();
      g_once_init_leave (&done, 1);
    }
}

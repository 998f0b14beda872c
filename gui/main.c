/* maillab — the GTK 4 visualizer. */
#define G_LOG_DOMAIN "maillab"

#include "application.h"

int
main (int argc, char **argv)
{
  g_autoptr(MlApplication) app = ml_application_new ();
  int status;

  status = g_application_run (G_APPLICATION (app), argc, argv);
  return status != 0 ? status : ml_application_get_exit_status (app);
}

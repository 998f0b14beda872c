#include "ml-config.h"
#include <glib.h>

int
main (int argc, char **argv)
{
  g_print ("maillab-cli %s\n", ML_VERSION);
  return 0;
}

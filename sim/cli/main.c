/* maillab-cli — the simulation, lessons and captures from a terminal. */
#include "ml-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"

static const struct {
  const char *name;
  int (*func) (int argc, char **argv);
  const char *summary;
} commands[] = {
  { "run", ml_cli_run, "Run a lesson headless and print its transcript" },
  { "inspect", ml_cli_inspect, "Print the mail dialogues in a pcap or pcapng file" },
  { "capture", ml_cli_capture, "Capture live with libpcap and print the mail dialogues" },
  { "serve", ml_cli_serve, "Serve SMTP, POP3 and IMAP to real clients on loopback" },
  { "user", ml_cli_user, "Add, list or remove the users of maillab-cli serve" },
  { "lesson", ml_cli_lesson, "List lessons, work through one graded (run), or validate one (check)" },
  { "send", ml_cli_send, "Send a message to a real SMTP server with maillab's client" },
  { "fetch", ml_cli_fetch, "Download mail from a real POP3 or IMAP server with maillab's client" },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: maillab-cli COMMAND [OPTION…]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nOptions:\n  -h, --help     Show this help\n  --version      Show the version\n"
                "\nRun 'maillab-cli COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("maillab-cli %s\n", ML_VERSION);
      return 0;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        /* So GOptionContext's usage line reads "maillab-cli run …". */
        g_autofree char *prgname = g_strdup_printf ("maillab-cli %s", commands[i].name);
        g_set_prgname (prgname);
        return commands[i].func (argc - 1, argv + 1);
      }

  fprintf (stderr, "maillab-cli: unknown command '%s'\n\n", argv[1]);
  print_usage (stderr);
  return 2;
}

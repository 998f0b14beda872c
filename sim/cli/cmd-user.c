/* maillab-cli user add|list|del — the live server's users file. */
#include "ml-config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "cli/cli.h"
#include "live/users.h"

/* One line from @in without its line end; NULL at EOF or past the limit. */
static char *
read_password_line (FILE *in)
{
  char buffer[ML_USERS_MAX_PASSWORD + 3];
  gsize len;

  if (fgets (buffer, sizeof buffer, in) == NULL)
    return NULL;
  len = strcspn (buffer, "\r\n");
  if (buffer[len] == '\0' && !feof (in))
    {
      OPENSSL_cleanse (buffer, sizeof buffer);
      return NULL;   /* longer than a password may be */
    }
  buffer[len] = '\0';
  {
    char *copy = g_strdup (buffer);

    OPENSSL_cleanse (buffer, sizeof buffer);
    return copy;
  }
}

static char *
prompt_password (const char *prompt)
{
  struct termios old, quiet;
  char *password;

  fprintf (stderr, "%s", prompt);
  fflush (stderr);
  if (tcgetattr (STDIN_FILENO, &old) != 0)
    return NULL;
  quiet = old;
  quiet.c_lflag &= ~ECHO;
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  password = read_password_line (stdin);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &old);
  fprintf (stderr, "\n");
  return password;
}

static void
free_secret (char *password)
{
  if (password)
    {
      OPENSSL_cleanse (password, strlen (password));
      g_free (password);
    }
}

static int
usage (GOptionContext *ctx)
{
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);

  fprintf (stderr, "%s", help);
  return 2;
}

int
ml_cli_user (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  gboolean password_stdin = FALSE;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory of maillab-cli serve (default: ~/.local/share/maillab/live)", "DIR" },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin, "add: read the password from the first line of standard input", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("add ADDRESS | list | del ADDRESS — the live server's users");
  g_autoptr(GError) error = NULL;
  g_autoptr(MlUsers) users = NULL;
  g_autofree char *path = NULL;
  const char *action;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx,
    "The users file keeps SCRAM-SHA-256 keys (RFC 5803), never the password.\n"
    "A running server reads it again on SIGHUP (kill -HUP PID).");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "maillab-cli user: %s\n", error->message);
      return 2;
    }
  if (argc < 2)
    return usage (ctx);
  action = argv[1];
  if (data_dir == NULL)
    data_dir = g_build_filename (g_get_user_data_dir (), "maillab", "live", NULL);
  path = g_build_filename (data_dir, "users", NULL);
  users = ml_users_load (path, &error);
  if (users == NULL)
    {
      fprintf (stderr, "maillab-cli user: %s\n", error->message);
      return 1;
    }

  if (g_str_equal (action, "list") && argc == 2)
    {
      g_autoptr(GPtrArray) list = ml_users_list (users);

      for (guint i = 0; i < list->len; i++)
        printf ("%s\n", (char *) list->pdata[i]);
      return 0;
    }
  if ((g_str_equal (action, "del") || g_str_equal (action, "delete")) && argc == 3)
    {
      if (!ml_users_remove (users, argv[2], &error)
          || !ml_users_save (users, path, &error))
        {
          fprintf (stderr, "maillab-cli user: %s\n", error->message);
          return 1;
        }
      /* The maildir stays: mail is never deleted behind the user's back. */
      printf ("%s removed (its mail stays in %s/mail/%s)\n", argv[2], data_dir, argv[2]);
      return 0;
    }
  if (g_str_equal (action, "add") && argc == 3)
    {
      char *password = NULL;
      gboolean ok;

      if (password_stdin)
        password = read_password_line (stdin);
      else if (isatty (STDIN_FILENO))
        {
          char *again;

          password = prompt_password ("Password: ");
          again = prompt_password ("Again: ");
          if (password && (again == NULL || strcmp (password, again) != 0))
            {
              fprintf (stderr, "maillab-cli user: the passwords differ\n");
              free_secret (password);
              free_secret (again);
              return 1;
            }
          free_secret (again);
        }
      else
        {
          fprintf (stderr, "maillab-cli user: no terminal to ask for the password; use --password-stdin\n");
          return 2;
        }
      if (password == NULL)
        {
          fprintf (stderr, "maillab-cli user: no password read (at most %d octets)\n",
                   ML_USERS_MAX_PASSWORD);
          return 1;
        }
      if (g_mkdir_with_parents (data_dir, 0700) != 0)
        {
          fprintf (stderr, "maillab-cli user: cannot make %s\n", data_dir);
          free_secret (password);
          return 1;
        }
      ok = ml_users_add (users, argv[2], password, &error)
        && ml_users_save (users, path, &error);
      free_secret (password);
      if (!ok)
        {
          fprintf (stderr, "maillab-cli user: %s\n", error->message);
          return 1;
        }
      printf ("%s added to %s\n", argv[2], path);
      return 0;
    }
  return usage (ctx);
}

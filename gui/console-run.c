/* console-run.c — a world kept for typing into. */
#define G_LOG_DOMAIN "ml-console-run"

#include <string.h>
#include "console-run.h"
#include "world/world.h"
#include "net/network.h"
#include "net/scheduler.h"

struct _MlConsoleRun
{
  const MlLesson   *lesson;
  MlTrace          *trace;
  MlWorld          *world;
  GPtrArray        *targets;
  MlConsoleSession *session;
  MlProtocol        protocol;
  gboolean          closed;
  GString          *transcript;
  guint             n_lines;
};

static void
target_free (gpointer data)
{
  MlConsoleTarget *t = data;

  g_free (t->label);
  g_free (t->host);
  g_free (t);
}

static void
add_target (MlConsoleRun *self, const char *host, guint16 port, MlProtocol protocol)
{
  MlConsoleTarget *t = g_new0 (MlConsoleTarget, 1);

  t->host = g_strdup (host);
  t->port = port;
  t->protocol = protocol;
  t->label = g_strdup_printf ("%s — %s (%u)", host, ml_protocol_to_string (protocol), port);
  g_ptr_array_add (self->targets, t);
}

/* The ports each role serves: submission (RFC 6409 3.1), relay (RFC 5321
 * 4.5.4 … port 25), POP3 (RFC 1939 3) and IMAP (RFC 3501 2.1). */
static void
collect_targets (MlConsoleRun *self)
{
  for (guint i = 0; i < self->lesson->hosts->len; i++)
    {
      const MlLessonHost *h = g_ptr_array_index (self->lesson->hosts, i);

      if (h->roles & ML_ROLE_MSA)
        add_target (self, h->name, 587, ML_PROTO_SMTP);
      if (h->roles & ML_ROLE_MTA)
        add_target (self, h->name, 25, ML_PROTO_SMTP);
      if (h->roles & ML_ROLE_MDA)
        {
          add_target (self, h->name, 110, ML_PROTO_POP3);
          add_target (self, h->name, 143, ML_PROTO_IMAP);
        }
    }
}

static void
append_line (MlConsoleRun *self, const char *prefix, const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

  for (guint i = 0; lines[i]; i++)
    {
      g_string_append_printf (self->transcript, "%s%s\n", prefix, lines[i]);
      self->n_lines++;
    }
  /* Keep the newest lines. */
  while (self->n_lines > ML_CONSOLE_RUN_MAX_LINES)
    {
      const char *nl = strchr (self->transcript->str, '\n');

      if (nl == NULL)
        break;
      g_string_erase (self->transcript, 0, nl - self->transcript->str + 1);
      self->n_lines--;
    }
}

static void
on_response (MlConsoleSession *session, const MlConsoleResponse *response, gpointer user_data)
{
  MlConsoleRun *self = user_data;

  switch (response->kind)
    {
    case ML_CONSOLE_RESPONSE_CLOSED:
      append_line (self, "-- ", response->text ? response->text : "connection closed");
      self->closed = TRUE;
      break;
    case ML_CONSOLE_RESPONSE_MALFORMED:
      append_line (self, "!! ", response->text);
      break;
    case ML_CONSOLE_RESPONSE_DATA:
    case ML_CONSOLE_RESPONSE_COMPLETE:
    case ML_CONSOLE_RESPONSE_CONTINUE:
    default:
      append_line (self, "S: ", response->text);
      break;
    }
}

static void
run_slice (MlConsoleRun *self)
{
  MlScheduler *sched = ml_network_get_scheduler (ml_world_get_network (self->world));

  ml_scheduler_run (sched, ml_scheduler_now (sched) + ML_CONSOLE_RUN_SLICE_US);
}

MlConsoleRun *
ml_console_run_new (const MlLesson *lesson, guint32 seed, GError **error)
{
  MlConsoleRun *self;

  g_return_val_if_fail (lesson != NULL, NULL);

  self = g_new0 (MlConsoleRun, 1);
  self->lesson = lesson;
  self->trace = ml_trace_new ();
  self->targets = g_ptr_array_new_with_free_func (target_free);
  self->transcript = g_string_new (NULL);
  self->world = ml_world_new (lesson, seed, self->trace, error);
  if (self->world == NULL)
    {
      ml_console_run_free (self);
      return NULL;
    }
  ml_world_run (self->world);
  collect_targets (self);
  return self;
}

void
ml_console_run_free (MlConsoleRun *self)
{
  if (self == NULL)
    return;
  /* The session lives in the world's network: it goes first. */
  g_clear_pointer (&self->session, ml_console_session_close);
  g_clear_pointer (&self->world, ml_world_free);
  g_clear_object (&self->trace);
  g_ptr_array_unref (self->targets);
  g_string_free (self->transcript, TRUE);
  g_free (self);
}

MlTrace *
ml_console_run_get_trace (MlConsoleRun *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->trace;
}

GPtrArray *
ml_console_run_get_targets (MlConsoleRun *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->targets;
}

/* The first MUA of the lesson types; a lesson without one has no console. */
static MlHost *
client_host (MlConsoleRun *self)
{
  MlNetwork *net = ml_world_get_network (self->world);

  for (guint i = 0; i < self->lesson->hosts->len; i++)
    {
      const MlLessonHost *h = g_ptr_array_index (self->lesson->hosts, i);

      if (h->roles & ML_ROLE_MUA)
        return ml_network_find_host (net, h->name);
    }
  return NULL;
}

gboolean
ml_console_run_connect (MlConsoleRun *self, guint target, GError **error)
{
  MlNetwork *net;
  MlHost *client, *server;
  const MlConsoleTarget *t;

  g_return_val_if_fail (self != NULL, FALSE);

  if (target >= self->targets->len)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such server");
      return FALSE;
    }
  t = g_ptr_array_index (self->targets, target);
  net = ml_world_get_network (self->world);
  client = client_host (self);
  server = ml_network_find_host (net, t->host);
  if (client == NULL || server == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "the lesson has no mail program (MUA) to type from");
      return FALSE;
    }
  g_clear_pointer (&self->session, ml_console_session_close);
  run_slice (self);
  self->closed = FALSE;
  self->protocol = t->protocol;
  append_line (self, "-- ", t->label);
  self->session = ml_console_session_open (net, client, ml_host_get_ipv4 (server), t->port,
                                           t->protocol, on_response, self, NULL);
  run_slice (self);
  return TRUE;
}

gboolean
ml_console_run_is_connected (MlConsoleRun *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->session != NULL && !self->closed;
}

char *
ml_console_run_check_line (MlConsoleRun *self, const char *line)
{
  MlConsoleState state;

  g_return_val_if_fail (self != NULL, NULL);
  if (self->session == NULL)
    return g_strdup ("Connect to a server first");
  ml_console_session_get_state (self->session, &state);
  return ml_console_check_line (self->protocol, &state, line);
}

gboolean
ml_console_run_send_line (MlConsoleRun *self, const char *line, char **hint_out)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (line != NULL, FALSE);

  if (!ml_console_run_is_connected (self) || !ml_console_session_send_line (self->session, line))
    {
      if (hint_out)
        *hint_out = self->session && !self->closed
                    ? ml_console_run_check_line (self, line)
                    : g_strdup ("The connection is closed: connect again");
      if (hint_out && *hint_out == NULL)
        *hint_out = g_strdup ("The console could not send that line");
      return FALSE;
    }
  append_line (self, "C: ", line);
  run_slice (self);
  return TRUE;
}

const char *
ml_console_run_get_transcript (MlConsoleRun *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->transcript->str;
}

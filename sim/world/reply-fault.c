/* reply-fault.c — forced server replies (see reply-fault.h). */
#define G_LOG_DOMAIN "ml-world"

#include <string.h>

#include "world/reply-fault.h"
#include "world/session-record.h"

typedef struct {
  char  command[8];
  guint code;
  char  enhanced[16];
  char *text;
  guint times;      /* 0: always */
  guint answered;
} Fault;

struct _MlReplyFaults
{
  MlNetwork *network;
  char      *host_name;
  GPtrArray *faults;   /* Fault* */
};

static void
fault_free (gpointer data)
{
  Fault *f = data;

  g_free (f->text);
  g_free (f);
}

MlReplyFaults *
ml_reply_faults_new (MlNetwork *network, const char *host_name)
{
  MlReplyFaults *self = g_new0 (MlReplyFaults, 1);

  self->network = network;
  self->host_name = g_strdup (host_name);
  self->faults = g_ptr_array_new_with_free_func (fault_free);
  return self;
}

void
ml_reply_faults_free (MlReplyFaults *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->faults);
  g_free (self->host_name);
  g_free (self);
}

static gboolean
known_command (const char *command)
{
  return g_strcmp0 (command, "MAIL") == 0 || g_strcmp0 (command, "RCPT") == 0
         || g_strcmp0 (command, "DATA") == 0;
}

gboolean
ml_reply_faults_add (MlReplyFaults *self, const char *command, guint code,
                     const char *enhanced, const char *text, guint times)
{
  Fault *f;

  g_return_val_if_fail (self != NULL, FALSE);
  /* RFC 5321 4.2.1: only 4yz and 5yz refuse; a forced 2yz would take a
   * message nobody stores. */
  if (!known_command (command) || code < 400 || code > 599 || text == NULL
      || (enhanced != NULL && strlen (enhanced) >= sizeof f->enhanced))
    return FALSE;
  for (guint i = 0; i < self->faults->len; i++)
    if (strcmp (((Fault *) self->faults->pdata[i])->command, command) == 0)
      {
        g_ptr_array_remove_index (self->faults, i);
        break;
      }
  if (self->faults->len >= ML_REPLY_FAULTS_MAX)
    return FALSE;
  f = g_new0 (Fault, 1);
  g_strlcpy (f->command, command, sizeof f->command);
  f->code = code;
  g_strlcpy (f->enhanced, enhanced ? enhanced : "", sizeof f->enhanced);
  f->text = g_strdup (text);
  f->times = times;
  g_ptr_array_add (self->faults, f);
  return TRUE;
}

gboolean
ml_reply_faults_answer (MlReplyFaults *self, const char *command, MlSmtpVerdict *verdict)
{
  if (self == NULL)
    return FALSE;
  for (guint i = 0; i < self->faults->len; i++)
    {
      Fault *f = self->faults->pdata[i];
      g_autofree char *note = NULL;
      g_autofree char *left = NULL;

      if (strcmp (f->command, command) != 0 || (f->times != 0 && f->answered >= f->times))
        continue;
      f->answered++;
      ml_smtp_verdict_set (verdict, f->code, f->enhanced, "%s", f->text);
      note = g_strdup_printf ("%s answers %s with the lesson's %u (%u of %s)",
                              self->host_name, command, f->code, f->answered,
                              f->times == 0 ? "always" : (left = g_strdup_printf ("%u", f->times)));
      ml_network_note (self->network, self->host_name, "lesson.fault.reply-sent", note,
                       f->code < 500 ? "a 4yz is temporary: the client's queue tries again "
                                       "later (RFC 5321 4.2.1, 4.5.4.1)"
                                     : "a 5yz is permanent: the sender's MTA bounces the "
                                       "message (RFC 5321 4.2.1, 6.1)");
      return TRUE;
    }
  return FALSE;
}

/* smtp-server-defer.c — an owner's verdict at the end of the data that
 * comes later (smtp-server.h, ml_smtp_verdict_defer).
 *
 * A milter or OpenDMARC decides after the final dot, once its DNS
 * answers are back; until it does the client hears nothing and nothing
 * it pipelined is read (RFC 2920 3.1: replies keep the commands' order).
 * If the session ends first, nobody hears the verdict: the client got no
 * 250, still holds the message and will try again (RFC 5321 6.1), so the
 * owner is told to drop what it kept.
 */
#define G_LOG_DOMAIN "ml-smtp-server"

#include "proto/smtp-server-private.h"

void
ml_smtp_verdict_defer (MlSmtpVerdict *verdict)
{
  g_return_if_fail (verdict != NULL);
  verdict->deferred = TRUE;
}

void
_ml_smtp_server_drop_deferred (MlSmtpServer *self)
{
  if (self->deferred_id == NULL)
    return;
  g_clear_pointer (&self->deferred_id, g_free);
  if (self->policy.deferred_dropped != NULL)
    self->policy.deferred_dropped (self, self->policy_data);
}

void
ml_smtp_server_complete_message (MlSmtpServer *self, guint code, const char *enhanced,
                                 const char *text)
{
  MlSmtpVerdict verdict;
  g_autofree char *id = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->deferred_id != NULL);

  id = g_steal_pointer (&self->deferred_id);
  _ml_smtp_server_verdict_init (&verdict);
  verdict.code = code;
  g_strlcpy (verdict.enhanced, enhanced ? enhanced : "", sizeof verdict.enhanced);
  g_string_assign (verdict.text, text ? text : "");
  _ml_smtp_server_answer_message (self, &verdict, id);
  _ml_smtp_server_verdict_clear (&verdict);
  _ml_smtp_server_end_data_phase (self);
  /* RFC 2920 3.1: what the client pipelined after the data is read now,
   * in order, after the reply it had to wait for. */
  _ml_smtp_server_process_input (self);
  if (self->wake != NULL)
    self->wake (self->wake_data);
}

gboolean
ml_smtp_server_is_deferred (MlSmtpServer *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->deferred_id != NULL;
}

void
ml_smtp_server_set_wake_func (MlSmtpServer *self, void (*wake) (gpointer data), gpointer data)
{
  g_return_if_fail (self != NULL);
  self->wake = wake;
  self->wake_data = data;
}

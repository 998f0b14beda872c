/* smtp-server-lmtp.c — what LMTP (RFC 2033) changes in the server engine:
 * after the data, one reply per recipient instead of one per message.
 *
 * LMTP is spoken to the final delivery agent, which can tell, recipient by
 * recipient, whether the mailbox took the message (RFC 2033 1): one over
 * quota must not make the others' copies fail or be retried. LHLO and the
 * refusal of EHLO/HELO live with the other commands in
 * smtp-server-commands.c.
 */
#define G_LOG_DOMAIN "ml-smtp-server"

#include <string.h>
#include "proto/smtp-server-private.h"

void
_ml_smtp_server_reply_data_end (MlSmtpServer *self, guint code, const char *enhanced,
                                const char *text)
{
  /* RFC 2033 4.2: "one reply for each successful RCPT command", also when
   * the data itself is refused. */
  guint n = self->config.lmtp ? MAX (self->recipients->len, 1) : 1;

  for (guint i = 0; i < n; i++)
    _ml_smtp_server_reply (self, code, enhanced, text);
}

static void
push_recipient_event (MlSmtpServer *self, const char *recipient, guint code, const char *id)
{
  MlEngineEvent *event = _ml_smtp_server_event_new (ML_ENGINE_EVENT_TRANSACTION, FALSE);

  if (code / 100 == 2)
    {
      event->explain_key = g_strdup ("lmtp.recipient.delivered");
      event->detail = g_strdup_printf ("<%s>: delivered as %s", recipient, id);
    }
  else
    {
      event->explain_key = g_strdup ("lmtp.recipient.refused");
      event->detail = g_strdup_printf ("<%s>: refused with %u", recipient, code);
    }
  _ml_smtp_server_push_event (self, event);
}

void
_ml_smtp_server_lmtp_deliver (MlSmtpServer *self, const MlSmtpEnvelope *envelope,
                              GBytes *message)
{
  MlSmtpVerdict shared;

  /* Without a per-recipient callback, the message callback's one verdict
   * stands for every recipient. */
  _ml_smtp_server_verdict_init (&shared);
  if (self->policy.accept_for_recipient == NULL && self->policy.accept_message != NULL)
    self->policy.accept_message (self, envelope, message, &shared, self->policy_data);
  if (shared.deferred)
    {
      /* RFC 2033 4.2 wants a reply per recipient at once; a deferred
       * verdict is an SMTP-only feature (smtp-server.h): a local error. */
      g_warning ("accept_message deferred its verdict in LMTP mode");
      ml_smtp_verdict_set (&shared, 451, "4.3.0", "Local error in processing");
      shared.deferred = FALSE;
    }

  /* RFC 2033 4.2: in the order of the RCPT commands, one reply each, even
   * for a forward-path given twice. */
  for (guint i = 0; i < envelope->recipients->len; i++)
    {
      const char *recipient = g_ptr_array_index (envelope->recipients, i);
      g_autofree char *ok_text = g_strdup_printf ("<%s> Ok: delivered as %s",
                                                  recipient, envelope->id);
      MlSmtpVerdict verdict;
      guint code;

      _ml_smtp_server_verdict_init (&verdict);
      if (self->policy.accept_for_recipient != NULL)
        self->policy.accept_for_recipient (self, envelope, message, i, &verdict,
                                           self->policy_data);
      else
        {
          verdict.code = shared.code;
          memcpy (verdict.enhanced, shared.enhanced, sizeof verdict.enhanced);
          g_string_assign (verdict.text, shared.text->str);
        }
      code = _ml_smtp_server_reply_verdict (self, &verdict, 250, "2.0.0", ok_text);
      _ml_smtp_server_verdict_clear (&verdict);
      push_recipient_event (self, recipient, code, envelope->id);
    }
  _ml_smtp_server_verdict_clear (&shared);
}

/* reply-fault.h — a server that answers a chosen reply to a chosen
 * command: a lesson's `{host, command, reply, times}` fault.
 *
 * Greylisting is the classic case (RFC 6647): "451 4.7.1 Greylisted" to
 * the first RCPT from a new sender, then, when the client's queue tries
 * again after its backoff, the real answer. `times` says how many
 * commands get the forced reply (0: every one), so the retry passes as it
 * does with a real greylister once the delay is over (RFC 6647 2.1).
 */
#pragma once

#include "net/network.h"
#include "proto/smtp-server.h"

G_BEGIN_DECLS

/* Forced replies a host may hold at once: one per command and step,
 * and a lesson has at most 16 faults a step; this bounds a hand-built
 * list too. */
#define ML_REPLY_FAULTS_MAX  64

typedef struct _MlReplyFaults MlReplyFaults;

/* @host_name names the server in the trace notes (copied). */
MlReplyFaults *ml_reply_faults_new   (MlNetwork *network, const char *host_name);
void           ml_reply_faults_free  (MlReplyFaults *self);
/* @command "MAIL", "RCPT" or "DATA" (the reply to the final dot);
 * @code 4yz or 5yz; @enhanced "4.7.1" or NULL; @text the reply text;
 * @times 0 for always. A later fault for the same command replaces the
 * earlier one. FALSE (nothing added) for anything else. */
gboolean       ml_reply_faults_add   (MlReplyFaults *self, const char *command,
                                      guint code, const char *enhanced,
                                      const char *text, guint times);
/* Called at the top of a policy callback: TRUE when a fault answers
 * @command, with @verdict set and a lesson.fault.reply-sent note; FALSE
 * (verdict untouched) otherwise. @self may be NULL. */
gboolean       ml_reply_faults_answer (MlReplyFaults *self, const char *command,
                                       MlSmtpVerdict *verdict);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlReplyFaults, ml_reply_faults_free)

G_END_DECLS

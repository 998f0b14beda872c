/* console-session-private.h — what console-session.c (sending, the engine
 * ops, the handle) and console-response.c (reading the server's responses)
 * share. Not for other users: console-session.h is the API.
 */
#pragma once

#include "world/console-session.h"
#include "world/engine-session.h"
#include "proto/engine-event.h"
#include "proto/smtp-reply.h"
#include "proto/pop3-parser.h"
#include "proto/imap-response.h"

G_BEGIN_DECLS

/* The console is a client engine in the sense of engine-session.h: it is
 * fed the server's bytes, hands out the typed lines as output and their
 * COMMAND events, and says when it is finished. One struct is both that
 * engine and the owner's handle; it goes when neither needs it. */
struct _MlConsoleSession
{
  MlNetwork            *network;
  char                 *host;          /* the client host's name, for notes */
  MlProtocol            protocol;
  MlEngineSession      *session;       /* NULL once the connection ended */
  gboolean              handle_alive;  /* the owner has not closed it */
  gboolean              engine_alive;  /* the engine session still runs it */
  MlConsoleResponseFunc func;
  gpointer              user_data;
  GDestroyNotify        destroy;

  GQueue                events;        /* MlEngineEvent* */
  GByteArray           *out;
  GQueue                queued;        /* char*: typed, not sent yet */
  char                 *inflight;      /* the line whose response is due; NULL
                                          while the greeting is due */
  char                 *verb;          /* its verb, upper-cased: "MAIL", "UID FETCH" */
  guint                 n_args;        /* POP3: its arguments (multi-line or not) */
  gboolean              awaiting;      /* the greeting or a response is due */
  gboolean              in_feed;       /* inside feed(): the session pumps after */
  gboolean              done;          /* close once the output is flushed */
  gboolean              tls_pending;   /* go-ahead for TLS seen, handshake not done */
  gboolean              unsent_noted;
  MlConsoleState        state;

  GString              *content;       /* SMTP: the content sent since 354, as
                                          shown (lines joined by "\n") */
  gsize                 content_octets;
  gboolean              content_cut;   /* over ML_CONSOLE_MAX_CONTENT: shown cut */
  GString              *imap_command;  /* IMAP: a command cut by literals */
  char                 *tag;           /* IMAP: the tag of the command in flight */
  char                 *apop_timestamp; /* POP3: the greeting's <…> (RFC 1939 7);
                                          NULL if it had none */
  gboolean              tag_valid;

  MlSmtpReplyParser    *smtp;
  MlPop3ResponseParser *pop3;
  MlImapResponseParser *imap;
};

/* Queues an engine event of this session (owned by the queue). */
MlEngineEvent *_ml_console_session_push_event (MlConsoleSession *self, MlEngineEventKind kind,
                                               MlDirection direction, gboolean outgoing);
/* Calls the owner's callback, if the handle is still held; every string
 * is borrowed for the call. */
void _ml_console_session_deliver          (MlConsoleSession *self, MlConsoleResponseKind kind,
                                           const char *text, guint code, gboolean ok,
                                           const char *explain_key);

/* One whole response, framed by the protocol's parser: the session's state
 * follows it, and the owner hears of it (console-response.c). */
void _ml_console_session_on_smtp_reply    (MlConsoleSession *self, const MlSmtpReply *reply);
void _ml_console_session_on_pop3_response (MlConsoleSession *self, const MlPop3Response *response);
void _ml_console_session_on_imap_response (MlConsoleSession *self, const MlImapResponse *r);
/* The parser refused what came: said to the owner, and in the trace. */
void _ml_console_session_malformed        (MlConsoleSession *self, const GError *error);

G_END_DECLS

/* smtp-client-private.h — what smtp-client.c (the session, its command
 * queue and results) and smtp-client-content.c (DATA, BDAT and the content's
 * replies) share. Only sim/proto/smtp-client*.c include it.
 */
#pragma once

#include "proto/smtp-client.h"
#include "proto/smtp-client-auth.h"
#include "proto/smtp-dsn.h"

G_BEGIN_DECLS

typedef enum {
  CMD_GREETING = 0,  /* not a command: the reply the connection opens with */
  CMD_EHLO,
  CMD_HELO,
  CMD_RSET,
  CMD_MAIL,
  CMD_RCPT,
  CMD_DATA,
  CMD_CONTENT,       /* the content and its final "." */
  CMD_QUIT,
  CMD_STARTTLS,      /* RFC 3207; smtp-client-auth.c decides */
  CMD_AUTH,          /* RFC 4954: the AUTH line and each response line */
  CMD_BDAT,          /* RFC 3030: a chunk that is not the LAST (whose
                        replies are CMD_CONTENT's) */
} CmdKind;

typedef struct {
  CmdKind  kind;
  guint    rcpt;     /* CMD_RCPT: index of the recipient */
  gboolean empty;    /* CMD_CONTENT: the lone "." of RFC 2920 3.1; its reply
                        decides nothing */
} Pending;

typedef struct {
  char    *path;      /* "<a@b>", NULL if the address cannot be sent */
  gboolean accepted;  /* 250 to RCPT, waiting for the content's reply */
  char    *dsn_params; /* " NOTIFY=… ORCPT=…" (RFC 3461), "" if none */
} Rcpt;

typedef struct {
  MlSmtpClientResult result;
  char     *reverse_path;  /* "<a@b>" or "<>", NULL if it cannot be sent */
  Rcpt     *rcpts;
  GBytes   *message;       /* dropped once the transaction is over */
  gboolean  measured;
  gsize     size;          /* RFC 1870 5 message size */
  gboolean  eightbit;
  char     *dsn_params;    /* " RET=… ENVID=…" (RFC 3461), "" if none */
} Message;

/* A verdict for recipients that no reply of their own decided. */
typedef struct {
  MlSmtpOutcome outcome;
  guint         code;
  const char   *enhanced;
  const char   *text;
  gboolean      local;
  gboolean      try_next_host;
} Verdict;

struct _MlSmtpClient
{
  MlSmtpClientConfig  config;
  char               *helo_name;
  MlSmtpClientState   state;
  MlSmtpReplyParser  *parser;
  GByteArray         *out;
  GQueue              events;        /* MlEngineEvent*, owned */
  GArray             *pending;       /* Pending, from pending_head on */
  guint               pending_head;
  GPtrArray          *messages;      /* Message*, owned */
  guint               next_message;  /* first message not started */
  Message            *cur;           /* the open transaction, or NULL */
  MlSmtpCapabilities *caps;
  MlSmtpClientSecurity *sec;         /* STARTTLS and AUTH (smtp-client-auth.c) */

  gboolean            greeted;       /* EHLO or HELO answered 250 */
  gboolean            pipelining;    /* offered and wanted */
  gboolean            tried_helo;
  gboolean            rset_needed;
  gboolean            quit_requested;
  gboolean            quit_sent;
  gboolean            done;

  /* The open transaction. */
  gboolean            mail_ok;
  guint               n_accepted;
  guint               next_rcpt;     /* without pipelining: next to send */
  guint               lmtp_replies_left;  /* LMTP: replies still due after "." */
  gboolean            bdat;          /* this transaction goes by BDAT (RFC 3030) */
  gsize               bdat_offset;   /* octets of the message sent in chunks */
  guint               rcpt_replies_left;  /* pipelined BDAT: RCPT replies due */

  /* Why a message queued after the session ended is not sent. */
  gboolean            end_set;
  MlSmtpOutcome       end_outcome;
  guint               end_code;
  char               *end_enhanced;
  char               *end_text;
  gboolean            end_local;
  gboolean            end_try_next_host;
};

void           _ml_smtp_client_end_transaction (MlSmtpClient *self, gboolean rset, const char *reason);
void           _ml_smtp_client_pending_push (MlSmtpClient *self, CmdKind kind, guint rcpt, gboolean empty);
MlEngineEvent * _ml_smtp_client_push_event (MlSmtpClient *self, MlEngineEventKind kind, MlDirection direction, gboolean outgoing);
MlSmtpOutcome  _ml_smtp_client_refusal_outcome (const MlSmtpReply *reply);
void           _ml_smtp_client_set_outcome_from_reply (MlSmtpRecipientResult *r, MlSmtpOutcome outcome, const MlSmtpReply *reply);
void           _ml_smtp_client_set_state (MlSmtpClient *self, MlSmtpClientState state);
void           _ml_smtp_client_write_command (MlSmtpClient *self, CmdKind kind, char *line /* steals */);
void           _ml_smtp_client_begin_chunks (MlSmtpClient *self);
gsize          _ml_smtp_client_encode_content (const guint8 *p, gsize len, GByteArray *out, gboolean *eightbit_out);
void           _ml_smtp_client_on_data (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);
void           _ml_smtp_client_on_content (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);
void           _ml_smtp_client_on_bdat (MlSmtpClient *self, const Pending *cmd, const MlSmtpReply *reply);

G_END_DECLS

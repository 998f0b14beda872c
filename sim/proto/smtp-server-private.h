/* smtp-server-private.h — what smtp-server.c (bytes, DATA, replies, events)
 * and smtp-server-commands.c (the command table and its handlers) share.
 * Not installed, not for other modules.
 */
#pragma once

#include "proto/smtp-server.h"
#include "proto/line-buffer.h"

G_BEGIN_DECLS

struct _MlSmtpServer
{
  MlSmtpServerConfig config;      /* hostname and greeting owned */
  MlSmtpServerPolicy policy;
  gpointer           policy_data;

  MlSmtpServerState  state;
  gboolean           wants_close;
  MlLineBuffer      *input;
  GByteArray        *output;
  GQueue             events;      /* MlEngineEvent*, oldest first */

  char              *peer_name;
  char              *peer_address;
  gint64             now_usec;

  /* Session: set by EHLO/HELO (RFC 5321 4.1.1.1). */
  char              *helo_name;
  gboolean           esmtp;       /* EHLO rather than HELO */
  guint64            transactions;

  /* Transaction: MAIL, RCPT (RFC 5321 3.3); cleared by RSET, EHLO, the end
   * of DATA and QUIT. */
  char              *reverse_path;
  GPtrArray         *recipients;  /* char* */
  guint              rcpt_commands;  /* RCPT commands seen, accepted or not */
  guint64            declared_size;
  MlSmtpBody         body;
  MlDsnRet           dsn_ret;     /* RFC 3461 4.3 */
  char              *dsn_envid;   /* RFC 3461 4.4, decoded */
  GPtrArray         *recipient_dsn;  /* MlSmtpRecipientDsn*, parallel to recipients */

  /* DATA: the message as it arrives, already un-dot-stuffed. */
  GByteArray        *message;
  guint64            data_size;   /* RFC 1870 5 */
  guint64            data_lines;
  gboolean           data_too_big;
  gboolean           data_line_too_long;

  /* BDAT (RFC 3030 2): octets of the current chunk still to read, what
   * to answer once they are in, and the transaction's chunking state. */
  guint64            bdat_remaining;
  gboolean           bdat_reading;     /* a chunk's octets are being read */
  gboolean           bdat_last;        /* this chunk is the LAST one */
  guint              bdat_error_code;  /* 0: the chunk is taken */
  const char        *bdat_error_enhanced;
  const char        *bdat_error_text;
  gboolean           bdat_used;        /* this transaction has had a BDAT */
  gboolean           bdat_failed;      /* a BDAT failed: 503 until RSET */
  guint64            bdat_chunk_size;  /* octets of the chunk being read */

  /* TLS (RFC 3207): protected now; or 220 sent and the handshake not yet
   * done, every input byte discarded. */
  gboolean           tls_active;
  gboolean           tls_pending;
  gboolean           tls_unavailable;
  guint64            tls_discarded;
  /* AUTH (RFC 4954) */
  char              *auth_user;
  MlSaslServer      *sasl;        /* an exchange in progress */
  MlSaslMechanism    sasl_mechanism;
  gboolean           sasl_success_sent;  /* SCRAM's v= sent as a 334 */
  guint              auth_attempts;
  guint              auth_failures;
  guint              failure_delay_ms;

  /* A deferred end-of-data verdict (ml_smtp_verdict_defer): the id the
   * 250 will name; input waits while it is set. */
  char              *deferred_id;
  void             (*wake) (gpointer data);
  gpointer           wake_data;
};

/* A reply (RFC 5321 4.2): @text lines separated by "\n". @enhanced is the
 * RFC 3463 code, or NULL for replies that never carry one (the greeting,
 * the answers to EHLO/HELO, RFC 2034 3); it is dropped when
 * ENHANCEDSTATUSCODES is not offered and for 3yz. */
void  _ml_smtp_server_reply        (MlSmtpServer *self,
                                    guint         code,
                                    const char   *enhanced,
                                    const char   *text);
void  _ml_smtp_server_replyf       (MlSmtpServer *self,
                                    guint         code,
                                    const char   *enhanced,
                                    const char   *format,
                                    ...) G_GNUC_PRINTF (4, 5);

/* Sends the owner's verdict, filling in what it left out with the success
 * reply given here. Returns the code sent. */
guint _ml_smtp_server_reply_verdict (MlSmtpServer  *self,
                                     MlSmtpVerdict *verdict,
                                     guint          ok_code,
                                     const char    *ok_enhanced,
                                     const char    *ok_text);
void  _ml_smtp_server_verdict_init  (MlSmtpVerdict *verdict);
void  _ml_smtp_server_verdict_clear (MlSmtpVerdict *verdict);

void  _ml_smtp_server_set_state         (MlSmtpServer *self, MlSmtpServerState state);
void  _ml_smtp_server_reset_transaction (MlSmtpServer *self);
/* Enter DATA after the 354 (RFC 5321 4.1.1.4). */
void  _ml_smtp_server_begin_data        (MlSmtpServer *self);
/* Ends the session: state QUIT, CLOSE event, input dropped. */
void  _ml_smtp_server_close             (MlSmtpServer *self, const char *reason);
void  _ml_smtp_server_push_event        (MlSmtpServer *self, MlEngineEvent *event);
MlEngineEvent *_ml_smtp_server_event_new (MlEngineEventKind kind, gboolean outgoing);

/* The command line limit now: RFC 5321's, plus RFC 4954 3's 500 for
 * AUTH= when AUTH is offered. */
gsize _ml_smtp_server_command_line_max  (MlSmtpServer *self);

/* smtp-server-auth.c: STARTTLS and AUTH (RFC 3207, RFC 4954). */
void  _ml_smtp_server_cmd_starttls      (MlSmtpServer *self, const char *args);
void  _ml_smtp_server_cmd_auth          (MlSmtpServer *self, const char *args);
/* A line of the AUTH exchange (a response to a 334), CRLF removed; a
 * line over ML_SMTP_MAX_AUTH_LINE has @too_long. */
void  _ml_smtp_server_auth_line         (MlSmtpServer *self,
                                         const char   *line,
                                         gsize         len,
                                         gboolean      too_long);
/* EHLO keywords for STARTTLS and AUTH, each on its own "\n" line. */
void  _ml_smtp_server_append_ehlo_keywords (MlSmtpServer *self, GString *s);
/* MAIL: 530 when policy wants AUTH first (RFC 4954 6); FALSE if answered. */
gboolean _ml_smtp_server_auth_allows_mail (MlSmtpServer *self);
/* MAIL's AUTH= parameter (RFC 4954 5); FALSE if answered (501). */
gboolean _ml_smtp_server_check_auth_param (MlSmtpServer *self, const char *value);
void  _ml_smtp_server_auth_clear        (MlSmtpServer *self);

/* smtp-server-lmtp.c: LMTP (RFC 2033 4.2): after the final ".", one
 * reply per accepted recipient, in RCPT order. */
void  _ml_smtp_server_lmtp_deliver      (MlSmtpServer         *self,
                                         const MlSmtpEnvelope *envelope,
                                         GBytes               *message);
/* A reply for the whole transaction after its data: once in SMTP, once
 * per accepted recipient in LMTP (RFC 2033 4.2). */
void  _ml_smtp_server_reply_data_end    (MlSmtpServer *self,
                                         guint         code,
                                         const char   *enhanced,
                                         const char   *text);

/* smtp-server.c: reads what is buffered, in order, until it must wait
 * (TLS, a deferred verdict) or the input runs out. */
void  _ml_smtp_server_process_input     (MlSmtpServer *self);
/* The reply to the end of the data from the owner's verdict, with the
 * "queued as" event before a 2yz (smtp-server.c). */
void  _ml_smtp_server_answer_message    (MlSmtpServer  *self,
                                         MlSmtpVerdict *verdict,
                                         const char    *id);

/* smtp-server-defer.c: a deferred verdict that will never be heard
 * (session over): the owner's deferred_dropped, once. */
void  _ml_smtp_server_drop_deferred     (MlSmtpServer *self);

/* smtp-server.c: hands a complete message to the owner (DATA or BDAT
 * LAST) and answers. */
void  _ml_smtp_server_deliver           (MlSmtpServer *self);
/* The DATA event summarising the message ("n octets, m lines"). */
void  _ml_smtp_server_push_message_event (MlSmtpServer *self);
/* After the message: the transaction is over, back to READY. */
void  _ml_smtp_server_end_data_phase    (MlSmtpServer *self);

/* smtp-server-bdat.c: BDAT (RFC 3030). */
void  _ml_smtp_server_cmd_bdat          (MlSmtpServer *self, const char *args);
/* Reads chunk octets from the input while a chunk is open. */
void  _ml_smtp_server_bdat_read         (MlSmtpServer *self);

/* smtp-server-commands.c: one complete command line, CRLF removed. */
void  _ml_smtp_server_dispatch          (MlSmtpServer *self,
                                         const char   *line,
                                         gsize         len);

G_END_DECLS

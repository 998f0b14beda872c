/* pop3-server-private.h — what pop3-server.c (bytes, responses, events, the
 * maildrop) and pop3-server-commands.c (the command table and handlers)
 * share. Not for other modules.
 */
#pragma once

#include "proto/pop3-server.h"
#include "proto/line-buffer.h"

G_BEGIN_DECLS

/* One message of the maildrop as listed on entering TRANSACTION
 * (RFC 1939 4): its number is its index + 1 for the whole session. */
typedef struct {
  guint32  uid;
  guint64  size;     /* exact size as RETR sends it, RFC 1939 11 */
  GBytes  *data;     /* a reference taken at listing time */
  gboolean deleted;  /* marked by DELE, unmarked by RSET */
} MlPop3Message;

struct _MlPop3Server
{
  MlPop3ServerConfig config;     /* hostname, implementation owned */
  MlMailStore       *store;      /* borrowed */

  MlPop3ServerState  state;
  gboolean           wants_close;
  MlLineBuffer      *input;
  GByteArray        *output;
  GQueue             events;     /* MlEngineEvent*, oldest first */
  gint64             now_usec;
  char              *timestamp;  /* the APOP challenge, NULL without APOP */

  /* AUTHORIZATION: a USER accepted, waiting for PASS (RFC 1939 7). */
  char              *user;

  /* TLS (RFC 2595 4): on (implicit or after STLS), or asked for with
   * START_TLS and not yet started (input is dropped meanwhile). */
  gboolean           tls_active;
  gboolean           tls_pending;

  /* AUTH in progress (RFC 5034 4); sasl_final: SCRAM's server-final sent
   * as a last challenge, waiting for the empty response (RFC 4422 3.6). */
  MlSaslServer      *sasl;
  MlSaslMechanism    sasl_mechanism;
  gboolean           sasl_final;
  guint              auth_attempts;
  guint              auth_failures;
  guint              delay_ms;      /* for take_delay_ms() */

  /* TRANSACTION */
  MlAccount         *account;    /* borrowed from the store */
  MlMailbox         *inbox;
  guint32            uidvalidity;
  gboolean           locked;
  GArray            *messages;   /* MlPop3Message */
  guint              n_removed;
};

/* Responses. @text may be NULL. Controls in it become "?", and the line is
 * cut at ML_POP3_MAX_RESPONSE_LINE. @resp_code is RFC 2449 8's, without
 * brackets, or NULL. */
void  _ml_pop3_server_ok        (MlPop3Server *self,
                                 const char   *text);
void  _ml_pop3_server_okf       (MlPop3Server *self,
                                 const char   *format,
                                 ...) G_GNUC_PRINTF (2, 3);
void  _ml_pop3_server_err       (MlPop3Server *self,
                                 const char   *resp_code,
                                 const char   *text);
void  _ml_pop3_server_errf      (MlPop3Server *self,
                                 const char   *resp_code,
                                 const char   *format,
                                 ...) G_GNUC_PRINTF (3, 4);
/* "+OK text", then @body (already byte-stuffed, CRLF lines), then ".". */
void  _ml_pop3_server_multiline (MlPop3Server *self,
                                 const char   *text,
                                 GByteArray   *body);

MlEngineEvent *_ml_pop3_server_event_new  (MlEngineEventKind kind,
                                           gboolean          outgoing);
void           _ml_pop3_server_push_event (MlPop3Server  *self,
                                           MlEngineEvent *event);
void           _ml_pop3_server_set_state  (MlPop3Server      *self,
                                           MlPop3ServerState  state);
void           _ml_pop3_server_close      (MlPop3Server *self,
                                           const char   *reason);

/* Authentication succeeded for @account: lock and list the maildrop and
 * enter TRANSACTION, or answer why not (RFC 1939 4, RFC 2449 8.1.2). */
void           _ml_pop3_server_open_maildrop (MlPop3Server *self,
                                              MlAccount    *account);
/* QUIT in TRANSACTION (RFC 1939 6). */
void           _ml_pop3_server_update        (MlPop3Server *self);

/* "+ base64" (RFC 5034 4): @b64 "" for the empty challenge. */
void           _ml_pop3_server_challenge     (MlPop3Server *self,
                                              const char   *b64);

/* ---- pop3-server-auth.c: STLS, AUTH and the login policy ---- */

void           _ml_pop3_server_cmd_stls      (MlPop3Server        *self,
                                              const MlPop3Command *cmd);
void           _ml_pop3_server_cmd_auth      (MlPop3Server        *self,
                                              const MlPop3Command *cmd);
/* A line read while AUTH waits for the answer to a challenge. */
void           _ml_pop3_server_auth_line     (MlPop3Server *self,
                                              const char   *line,
                                              gsize         len);
/* The answer to a challenge passed ML_POP3_MAX_SASL_LINE. */
void           _ml_pop3_server_auth_abort    (MlPop3Server *self,
                                              const char   *why);
/* Plaintext logins allowed now: by configuration, or inside TLS. */
gboolean       _ml_pop3_server_plaintext_ok  (MlPop3Server *self);
/* USER/PASS and APOP credentials through the configured lookup, or the
 * store's accounts without one. *account_out is the store's account of
 * that name (borrowed), set only on TRUE. For APOP @digest is checked
 * instead of @password. */
gboolean       _ml_pop3_server_check_login   (MlPop3Server *self,
                                              const char   *user,
                                              const char   *password,
                                              const char   *apop_digest,
                                              MlAccount   **account_out);
/* -ERR [AUTH] (RFC 3206 4), and the delay asked of the owner. */
void           _ml_pop3_server_auth_failed   (MlPop3Server *self,
                                              const char   *how);
/* CAPA's STLS and SASL lines for the current state (RFC 2595 4, RFC 5034 3). */
void           _ml_pop3_server_append_auth_capabilities (MlPop3Server *self,
                                                         GByteArray   *body);

/* One command line, without its CRLF. */
void           _ml_pop3_server_dispatch      (MlPop3Server *self,
                                              const char   *line,
                                              gsize         len);

G_END_DECLS

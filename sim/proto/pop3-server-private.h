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

/* One command line, without its CRLF. */
void           _ml_pop3_server_dispatch      (MlPop3Server *self,
                                              const char   *line,
                                              gsize         len);

G_END_DECLS

/* pop3-client-private.h — what pop3-client.c (the queue, the fetch) and
 * pop3-client-auth.c (STLS, the login choice, AUTH) share. Not for other
 * modules.
 */
#pragma once

#include "proto/pop3-client.h"

G_BEGIN_DECLS

typedef enum {
  CMD_GREETING = 0,  /* not a command: the response the connection opens with */
  CMD_CAPA,
  CMD_USER,
  CMD_PASS,
  CMD_APOP,
  CMD_STAT,
  CMD_UIDL,
  CMD_LIST,
  CMD_RETR,
  CMD_DELE,
  CMD_QUIT,
  CMD_STLS,          /* RFC 2595 4 */
  CMD_AUTH,          /* RFC 5034 4: AUTH, and each answer to a challenge */
} CmdKind;

typedef struct {
  CmdKind  kind;
  guint    number;     /* RETR, DELE: the message-number */
  gboolean multiline;  /* a "+OK" is followed by a body */
} Pending;

typedef struct {
  MlPop3FetchedMessage pub;
  gboolean             dele_ok;  /* DELE answered "+OK"; removed only in UPDATE */
} Fetched;

struct _MlPop3Client
{
  char                 *user;
  char                 *password;
  gboolean              use_apop;
  MlPop3ClientAuth      auth;
  MlSaslMechanism       sasl_mechanism;
  guint64               nonce_seed;
  MlPop3ClientTls       tls;
  gboolean              keep;
  gboolean              use_capa;
  gboolean              use_pipelining;
  GHashTable           *known;          /* unique-ids this device holds */

  MlPop3ClientState     state;
  MlPop3ResponseParser *parser;
  GByteArray           *out;
  GQueue                events;         /* MlEngineEvent*, owned */
  GQueue                pending;        /* Pending*, owned */

  char                 *timestamp;      /* APOP challenge from the greeting */
  GPtrArray            *capabilities;   /* char*, NULL-terminated */
  gboolean              capa_known;     /* CAPA answered "+OK" */
  gboolean              pipelining;     /* offered and wanted */

  /* TLS (RFC 2595 4): on, or asked for with START_TLS and not started. */
  gboolean              tls_active;
  gboolean              tls_pending;
  /* AUTH in progress (RFC 5034 4); cancelled: "*" sent, -ERR awaited. */
  MlSaslClient         *sasl;
  gboolean              sasl_cancelled;
  char                 *sasl_error;

  guint                 stat_n;
  guint64               stat_size;
  GPtrArray            *server_uidls;   /* char*, NULL-terminated */
  GHashTable           *uidl_by_number; /* number → char* (in server_uidls) */
  GArray               *wanted;         /* guint message-numbers, in order */
  guint                 next_wanted;    /* without pipelining: next to RETR */
  GPtrArray            *fetched;        /* Fetched* */
  guint                 n_deleted;

  char                 *error;
  char                 *error_code;
  gboolean              quit_sent;
  gboolean              done;
};

/* ---- pop3-client.c ---- */

MlEngineEvent *_ml_pop3_client_push_event   (MlPop3Client      *self,
                                             MlEngineEventKind  kind,
                                             MlDirection        direction,
                                             gboolean           outgoing);
void           _ml_pop3_client_note         (MlPop3Client *self,
                                             const char   *explain_key,
                                             char         *detail);
/* One command line; its answer is awaited as @kind. */
void           _ml_pop3_client_send_command (MlPop3Client *self,
                                             CmdKind       kind,
                                             guint         number,
                                             const char   *format,
                                             ...) G_GNUC_PRINTF (4, 5);
void           _ml_pop3_client_send_quit    (MlPop3Client *self);
/* Takes @reason. The first error wins. */
void           _ml_pop3_client_set_error    (MlPop3Client *self,
                                             const char   *code,
                                             char         *reason);
/* The fetch cannot go on but the session is sound: QUIT. */
void           _ml_pop3_client_fail_and_quit (MlPop3Client         *self,
                                              const MlPop3Response *response,
                                              const char           *what);
gboolean       _ml_pop3_client_has_capability (MlPop3Client *self,
                                               const char   *tag);
/* Logged in: the fetch proper starts with STAT. */
void           _ml_pop3_client_logged_in    (MlPop3Client *self);

/* ---- pop3-client-auth.c ---- */

/* The greeting or CAPA is in: STLS if the TLS mode wants it, else log in. */
void           _ml_pop3_client_capabilities_known (MlPop3Client *self);
void           _ml_pop3_client_on_stls      (MlPop3Client         *self,
                                             const Pending        *cmd,
                                             const MlPop3Response *response);
void           _ml_pop3_client_on_sasl      (MlPop3Client         *self,
                                             const Pending        *cmd,
                                             const MlPop3Response *response);

G_END_DECLS

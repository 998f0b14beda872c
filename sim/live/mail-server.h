/* mail-server.h — the engines as real servers on real sockets.
 *
 * What `maillab-cli serve` runs: SMTP (mail for the local domains only, it
 * never relays out), submission, POP3 and IMAP, with the implicit-TLS
 * ports when there is a certificate, over one MlMailStore kept on disk as
 * Maildir++ (maildir.h) for the users of the users file (users.h). Every
 * connection is an MlLiveSession on the thread-default GMainContext, and
 * every dialogue line goes into one MlTrace.
 *
 * Data directory layout:
 *   DATA/users        the users file
 *   DATA/mail/<user>/ each user's Maildir++
 *   DATA/tls/         ca.pem, server.pem, server.key (made on first run)
 */
#pragma once

#include <gio/gio.h>
#include "trace/trace.h"

G_BEGIN_DECLS

/* Our defaults: at most this many connections at once, and from one
 * address (RFC 5321 4.5.3.2 asks servers to be careful with resources, not
 * for a number; Postfix's per-client default is 50). */
#define ML_MAIL_SERVER_MAX_CONNECTIONS     1000
#define ML_MAIL_SERVER_MAX_PER_ADDRESS     1000
/* Queue of connections the kernel holds before we accept them. */
#define ML_MAIL_SERVER_LISTEN_BACKLOG      1024
/* After SIGTERM, how long sessions get to say goodbye and flush. */
#define ML_MAIL_SERVER_STOP_GRACE_MS       5000

typedef enum {
  ML_LIVE_SERVICE_SMTP = 0,     /* 25-like: local domains only (RFC 5321) */
  ML_LIVE_SERVICE_SUBMISSION,   /* 587-like (RFC 6409) */
  ML_LIVE_SERVICE_SMTPS,        /* 465-like, implicit TLS (RFC 8314 3.3) */
  ML_LIVE_SERVICE_POP3,         /* RFC 1939 */
  ML_LIVE_SERVICE_POP3S,        /* implicit TLS, RFC 8314 */
  ML_LIVE_SERVICE_IMAP,         /* RFC 3501 */
  ML_LIVE_SERVICE_IMAPS,        /* implicit TLS, RFC 8314 */
  ML_LIVE_N_SERVICES
} MlLiveService;

/* "smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps". */
const char *ml_live_service_to_string (MlLiveService service);

typedef struct {
  const char  *data_dir;
  const char  *hostname;        /* in greetings and Received: ("localhost") */
  const char *const *domains;   /* local domains; NULL: the users' domains */
  const char  *listen_address;  /* "127.0.0.1" */
  /* Per service: the port, 0 for any free port (tests), -1 for off. */
  int          ports[ML_LIVE_N_SERVICES];
  guint        max_connections;
  guint        max_per_address;
  guint        smtp_timeout_ms;
  guint        pop3_timeout_ms;
  guint        imap_timeout_ms;
  guint        auth_failure_delay_ms;
  guint64      max_message_size;   /* SMTP SIZE (RFC 1870) */
  guint64      quota;              /* per account, octets; 0 = none */
  const char  *cert_file;          /* PEM chain; NULL: the data dir's own */
  const char  *key_file;
} MlMailServerConfig;

/* The defaults: the ports of issue 8 (2525, 2587, 2465, 1110, 1995, 1143,
 * 1993), 127.0.0.1, the RFC timeouts, a 1 s failed-login delay. */
void ml_mail_server_config_init (MlMailServerConfig *config);

typedef struct _MlMailServer MlMailServer;

/* Reads the users and their maildirs and makes or loads the certificate.
 * @trace is referenced (may be NULL). */
MlMailServer *ml_mail_server_new          (const MlMailServerConfig *config,
                                           MlTrace                  *trace,
                                           GError                  **error);
void          ml_mail_server_free         (MlMailServer *self);
/* Binds every service that is on. FALSE with @error if one cannot be. */
gboolean      ml_mail_server_start        (MlMailServer *self, GError **error);
/* The port a service listens on (after start), 0 if it is off. */
guint16       ml_mail_server_get_port     (MlMailServer *self, MlLiveService service);
/* Whether a service is listening (the TLS ones need a certificate). */
gboolean      ml_mail_server_has_service  (MlMailServer *self, MlLiveService service);
guint         ml_mail_server_get_n_sessions (MlMailServer *self);
/* PEM file of the CA that signed the server certificate, or NULL. */
const char   *ml_mail_server_get_ca_file  (MlMailServer *self);

/* Stops accepting, tells every session goodbye (SMTP 421, IMAP BYE; POP3
 * closes without UPDATE, RFC 1939 6) and calls @done once the last one is
 * gone (at once if none is open). Mail that got its 250 is on disk already. */
void          ml_mail_server_stop         (MlMailServer *self,
                                           void (*done) (gpointer user_data),
                                           gpointer user_data);
/* Reads DATA/users again (SIGHUP): new users get their maildir loaded and
 * can log in at once; a removed user can no longer log in, and keeps the
 * mail on disk. The local domains follow the users unless --domain named
 * them. Returns how many users there are now, or -1 with @error (the old
 * list stays). */
int           ml_mail_server_reload_users (MlMailServer *self, GError **error);
/* Drops every connection still open (the grace period is over). */
void          ml_mail_server_abort_sessions (MlMailServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlMailServer, ml_mail_server_free)

G_END_DECLS

/* smtp-session.h — an SMTP engine wired to an MlStream and the trace.
 *
 * The engines are sans-I/O; these two small objects are what feeds them:
 * bytes from the stream in, bytes to the stream out, events to the trace.
 * Each owns itself and goes away when its stream is finished.
 */
#pragma once

#include "net/network.h"
#include "proto/smtp-server.h"
#include "proto/smtp-client.h"
#include "world/engine-session.h"

G_BEGIN_DECLS

/* Serve one accepted connection. @stream is borrowed (the session refs it).
 * @policy_data must outlive the session. With config->tls IMPLICIT the
 * TLS handshake runs before the greeting (RFC 8314 3.3). Returns the
 * session (owned by itself; it may end at any later event). */
MlEngineSession *ml_smtp_server_session_start (MlNetwork                *network,
                                               MlStream                 *stream,
                                               const char               *host_name,
                                               const char               *peer_name,
                                               const char               *peer_address,
                                               const MlSmtpServerConfig *config,
                                               const MlSmtpServerPolicy *policy,
                                               gpointer                  policy_data);

/* Called once when a client session ends, however it ends. @client is
 * borrowed and freed right after; read its results here. @error is set when
 * the connection failed (refused, reset, timed out) before QUIT. */
typedef void (*MlSmtpClientDoneFunc) (MlSmtpClient *client,
                                      const GError *error,
                                      gpointer      user_data);

/* Connects from @host to @dst_ip:@port and runs @client (transfer full).
 * For implicit TLS, call ml_engine_session_start_tls on the result at
 * once. */
MlEngineSession *ml_smtp_client_session_start (MlNetwork           *network,
                                               MlHost              *host,
                                               guint32              dst_ip,
                                               guint16              port,
                                               MlSmtpClient        *client,
                                               MlSmtpClientDoneFunc done,
                                               gpointer             user_data);

G_END_DECLS

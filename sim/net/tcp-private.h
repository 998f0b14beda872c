/* tcp-private.h — between the TCP state machine (tcp.c) and its stream
 * object (tcp-stream.c); not for other folders. */
#pragma once

#include "net/tcp.h"

G_BEGIN_DECLS

typedef struct _MlTcpConn MlTcpConn;

/* tcp.c, for tcp-stream.c: the stream's vfuncs land here. */
void        _ml_tcp_conn_write            (MlTcpConn *conn, const guint8 *data, gsize len);
void        _ml_tcp_conn_close            (MlTcpConn *conn);
MlTcpState  _ml_tcp_conn_get_state        (MlTcpConn *conn);
guint       _ml_tcp_conn_get_mss          (MlTcpConn *conn);
guint       _ml_tcp_conn_get_retransmissions (MlTcpConn *conn);
guint64     _ml_tcp_conn_get_rto          (MlTcpConn *conn);

/* tcp-stream.c, for tcp.c. The connection holds a reference on its stream
 * until it detaches; after that the stream answers from what it kept. */
MlTcpStream *_ml_tcp_stream_new    (MlTcpConn *conn,
                                    MlHost    *host,
                                    guint16    local_port,
                                    guint32    remote_ip,
                                    guint16    remote_port,
                                    guint      conn_id);
void         _ml_tcp_stream_set_conn_id (MlTcpStream *self, guint conn_id);
void         _ml_tcp_stream_detach (MlTcpStream *self);

G_END_DECLS

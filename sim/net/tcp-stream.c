/* MlTcpStream: the MlStream face of one simulated TCP connection. It owns
 * nothing of the protocol; writes and closes are handed to the connection,
 * which outlives neither the network nor its own teardown. */
#define G_LOG_DOMAIN "ml-tcp"

#include "net/tcp-private.h"

struct _MlTcpStream
{
  MlStream   parent_instance;
  MlTcpConn *conn;          /* NULL once the connection state is freed */
  MlHost    *host;
  guint32    local_ip, remote_ip;
  guint16    local_port, remote_port;
  guint      conn_id;
  char      *description;
  /* What the connection said last, for after it is gone. */
  guint      mss;
  guint      retransmissions;
  guint64    rto;
};

G_DEFINE_FINAL_TYPE (MlTcpStream, ml_tcp_stream, ML_TYPE_STREAM)

static void
ml_tcp_stream_write (MlStream *stream, const guint8 *data, gsize len)
{
  MlTcpStream *self = ML_TCP_STREAM (stream);

  if (self->conn)
    _ml_tcp_conn_write (self->conn, data, len);
}

static void
ml_tcp_stream_close (MlStream *stream)
{
  MlTcpStream *self = ML_TCP_STREAM (stream);

  if (self->conn)
    _ml_tcp_conn_close (self->conn);
}

static const char *
ml_tcp_stream_describe (MlStream *stream)
{
  return ML_TCP_STREAM (stream)->description;
}

static void
ml_tcp_stream_finalize (GObject *object)
{
  MlTcpStream *self = ML_TCP_STREAM (object);

  g_free (self->description);
  G_OBJECT_CLASS (ml_tcp_stream_parent_class)->finalize (object);
}

static void
ml_tcp_stream_class_init (MlTcpStreamClass *klass)
{
  MlStreamClass *stream_class = ML_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ml_tcp_stream_finalize;
  stream_class->write = ml_tcp_stream_write;
  stream_class->close = ml_tcp_stream_close;
  stream_class->describe = ml_tcp_stream_describe;
}

static void
ml_tcp_stream_init (MlTcpStream *self)
{
  self->rto = ML_TCP_INITIAL_RTO_US;
}

MlTcpStream *
_ml_tcp_stream_new (MlTcpConn *conn,
                    MlHost    *host,
                    guint16    local_port,
                    guint32    remote_ip,
                    guint16    remote_port,
                    guint      conn_id)
{
  MlTcpStream *self = g_object_new (ML_TYPE_TCP_STREAM, NULL);
  g_autofree char *local = NULL, *remote = NULL;

  self->conn = conn;
  self->host = host;
  self->local_ip = ml_host_get_ipv4 (host);
  self->local_port = local_port;
  self->remote_ip = remote_ip;
  self->remote_port = remote_port;
  local = ml_ipv4_to_string (self->local_ip);
  remote = ml_ipv4_to_string (remote_ip);
  self->description = g_strdup_printf ("%s:%u → %s:%u", local, local_port, remote, remote_port);
  _ml_tcp_stream_set_conn_id (self, conn_id);
  return self;
}

void
_ml_tcp_stream_set_conn_id (MlTcpStream *self, guint conn_id)
{
  self->conn_id = conn_id;
  ml_stream_set_id (ML_STREAM (self), conn_id);
}

void
_ml_tcp_stream_detach (MlTcpStream *self)
{
  if (self->conn == NULL)
    return;
  self->mss = _ml_tcp_conn_get_mss (self->conn);
  self->retransmissions = _ml_tcp_conn_get_retransmissions (self->conn);
  self->rto = _ml_tcp_conn_get_rto (self->conn);
  self->conn = NULL;
}

guint32
ml_tcp_stream_get_local_ip (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), 0);
  return self->local_ip;
}

guint16
ml_tcp_stream_get_local_port (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), 0);
  return self->local_port;
}

guint32
ml_tcp_stream_get_remote_ip (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), 0);
  return self->remote_ip;
}

guint16
ml_tcp_stream_get_remote_port (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), 0);
  return self->remote_port;
}

MlHost *
ml_tcp_stream_get_host (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), NULL);
  return self->host;
}

MlHost *
ml_tcp_stream_get_peer_host (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), NULL);
  return ml_network_find_host_by_ip (ml_host_get_network (self->host), self->remote_ip);
}

guint
ml_tcp_stream_get_conn_id (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), 0);
  return self->conn_id;
}

MlTcpState
ml_tcp_stream_get_state (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), ML_TCP_CLOSED);
  return self->conn ? _ml_tcp_conn_get_state (self->conn) : ML_TCP_CLOSED;
}

guint
ml_tcp_stream_get_mss (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), 0);
  return self->conn ? _ml_tcp_conn_get_mss (self->conn) : self->mss;
}

guint
ml_tcp_stream_get_retransmissions (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), 0);
  return self->conn ? _ml_tcp_conn_get_retransmissions (self->conn) : self->retransmissions;
}

guint64
ml_tcp_stream_get_rto (MlTcpStream *self)
{
  g_return_val_if_fail (ML_IS_TCP_STREAM (self), 0);
  return self->conn ? _ml_tcp_conn_get_rto (self->conn) : self->rto;
}

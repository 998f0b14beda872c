#define G_LOG_DOMAIN "ml-stream"

#include "stream/stream.h"

typedef struct {
  MlStreamConnectedFunc connected;
  MlStreamDataFunc      data;
  MlStreamClosedFunc    closed;
  gpointer              user_data;
  gboolean              finished;
  guint                 id;
} MlStreamPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (MlStream, ml_stream, G_TYPE_OBJECT)

static void
ml_stream_class_init (MlStreamClass *klass)
{
}

static void
ml_stream_init (MlStream *self)
{
}

void
ml_stream_set_callbacks (MlStream              *self,
                         MlStreamConnectedFunc  connected,
                         MlStreamDataFunc       data,
                         MlStreamClosedFunc     closed,
                         gpointer               user_data)
{
  MlStreamPrivate *priv = ml_stream_get_instance_private (self);

  g_return_if_fail (ML_IS_STREAM (self));
  priv->connected = connected;
  priv->data = data;
  priv->closed = closed;
  priv->user_data = user_data;
}

void
ml_stream_write (MlStream *self, const guint8 *data, gsize len)
{
  g_return_if_fail (ML_IS_STREAM (self));
  if (len == 0)
    return;
  ML_STREAM_GET_CLASS (self)->write (self, data, len);
}

void
ml_stream_write_bytes (MlStream *self, GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  ml_stream_write (self, data, len);
}

void
ml_stream_close (MlStream *self)
{
  g_return_if_fail (ML_IS_STREAM (self));
  ML_STREAM_GET_CLASS (self)->close (self);
}

const char *
ml_stream_describe (MlStream *self)
{
  g_return_val_if_fail (ML_IS_STREAM (self), NULL);
  if (ML_STREAM_GET_CLASS (self)->describe == NULL)
    return G_OBJECT_TYPE_NAME (self);
  return ML_STREAM_GET_CLASS (self)->describe (self);
}

gboolean
ml_stream_is_closed (MlStream *self)
{
  MlStreamPrivate *priv = ml_stream_get_instance_private (self);

  return priv->finished;
}

void
ml_stream_emit_connected (MlStream *self)
{
  MlStreamPrivate *priv = ml_stream_get_instance_private (self);

  if (!priv->finished && priv->connected)
    priv->connected (self, priv->user_data);
}

void
ml_stream_emit_data (MlStream *self, const guint8 *data, gsize len)
{
  MlStreamPrivate *priv = ml_stream_get_instance_private (self);

  if (!priv->finished && priv->data)
    priv->data (self, data, len, priv->user_data);
}

void
ml_stream_emit_closed (MlStream *self, const GError *error)
{
  MlStreamPrivate *priv = ml_stream_get_instance_private (self);
  g_autoptr(MlStream) hold = g_object_ref (self);

  if (priv->finished)
    return;
  priv->finished = TRUE;
  if (priv->closed)
    priv->closed (self, error, priv->user_data);
}

guint
ml_stream_get_id (MlStream *self)
{
  MlStreamPrivate *priv = ml_stream_get_instance_private (self);

  return priv->id;
}

void
ml_stream_set_id (MlStream *self, guint id)
{
  MlStreamPrivate *priv = ml_stream_get_instance_private (self);

  priv->id = id;
}

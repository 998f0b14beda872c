#define G_LOG_DOMAIN "ml-packet-field"

#include "packet-field.h"

struct _MlPacketField
{
  GObject     parent_instance;
  char       *text;
  gsize       offset;
  gsize       length;
  MlPacketLayer layer;
  GListStore *children;
};

G_DEFINE_FINAL_TYPE (MlPacketField, ml_packet_field, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ml_packet_field_finalize (GObject *object)
{
  MlPacketField *self = ML_PACKET_FIELD (object);

  g_free (self->text);
  g_clear_object (&self->children);
  G_OBJECT_CLASS (ml_packet_field_parent_class)->finalize (object);
}

static void
ml_packet_field_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MlPacketField *self = ML_PACKET_FIELD (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_packet_field_class_init (MlPacketFieldClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ml_packet_field_finalize;
  object_class->get_property = ml_packet_field_get_property;

  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ml_packet_field_init (MlPacketField *self)
{
}

MlPacketField *
ml_packet_field_new (const char *text, gsize offset, gsize length)
{
  MlPacketField *self = g_object_new (ML_TYPE_PACKET_FIELD, NULL);

  self->text = g_strdup (text);
  self->offset = offset;
  self->length = length;
  return self;
}

const char *
ml_packet_field_get_text (MlPacketField *self)
{
  g_return_val_if_fail (ML_IS_PACKET_FIELD (self), NULL);
  return self->text;
}

MlPacketLayer
ml_packet_field_get_layer (MlPacketField *self)
{
  g_return_val_if_fail (ML_IS_PACKET_FIELD (self), ML_PACKET_LAYER_FIELD);
  return self->layer;
}

void
ml_packet_field_set_layer (MlPacketField *self, MlPacketLayer layer)
{
  g_return_if_fail (ML_IS_PACKET_FIELD (self));
  self->layer = layer;
}

gsize
ml_packet_field_get_offset (MlPacketField *self)
{
  g_return_val_if_fail (ML_IS_PACKET_FIELD (self), 0);
  return self->offset;
}

gsize
ml_packet_field_get_length (MlPacketField *self)
{
  g_return_val_if_fail (ML_IS_PACKET_FIELD (self), 0);
  return self->length;
}

GListModel *
ml_packet_field_get_children (MlPacketField *self)
{
  g_return_val_if_fail (ML_IS_PACKET_FIELD (self), NULL);
  return self->children ? G_LIST_MODEL (self->children) : NULL;
}

MlPacketField *
ml_packet_field_add (MlPacketField *self, const char *text, gsize offset, gsize length)
{
  g_autoptr(MlPacketField) child = NULL;

  g_return_val_if_fail (ML_IS_PACKET_FIELD (self), NULL);

  if (self->children == NULL)
    self->children = g_list_store_new (ML_TYPE_PACKET_FIELD);
  child = ml_packet_field_new (text, offset, length);
  g_list_store_append (self->children, child);
  return child;   /* the store holds the reference */
}

MlPacketField *
ml_packet_field_add_printf (MlPacketField *self, gsize offset, gsize length, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return ml_packet_field_add (self, text, offset, length);
}

#define G_LOG_DOMAIN "ml-frame-locate"

#include "frame-locate.h"
#include "net/frame.h"

static gboolean
carries_data (const MlTraceEvent *frame)
{
  MlFrameInfo info;
  gsize len;
  const guint8 *data;

  if (frame->bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (frame->bytes, &len);
  return ml_frame_parse (data, len, &info, NULL) && info.payload_len > 0;
}

static gboolean
find_carrier (MlTrace *trace, const MlTraceEvent *line, guint64 *frame_out)
{
  guint64 length = ml_trace_get_length (trace);

  for (guint64 i = line->index + 1; i < length && i <= line->index + ML_FRAME_LOCATE_MAX_SCAN; i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (e == NULL || e->kind != ML_TRACE_FRAME || e->conn_id != line->conn_id)
        continue;
      /* The first hop, leaving the sender. */
      if (e->hop == 0 && g_strcmp0 (e->host, line->host) == 0 && carries_data (e))
        {
          *frame_out = i;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
ml_frame_locate (MlTrace *trace, guint64 position, guint64 *frame_out)
{
  const MlTraceEvent *event;
  guint64 lowest;

  g_return_val_if_fail (ML_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (frame_out != NULL, FALSE);

  event = position < ml_trace_get_length (trace) ? ml_trace_get_event (trace, position) : NULL;
  if (event == NULL)
    return FALSE;
  if (event->kind == ML_TRACE_FRAME)
    {
      *frame_out = position;
      return TRUE;
    }
  if (event->kind == ML_TRACE_DIALOGUE && event->conn_id != 0
      && find_carrier (trace, event, frame_out))
    return TRUE;

  lowest = position > ML_FRAME_LOCATE_MAX_SCAN ? position - ML_FRAME_LOCATE_MAX_SCAN : 0;
  for (guint64 i = position; i-- > lowest;)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (e && e->kind == ML_TRACE_FRAME)
        {
          *frame_out = i;
          return TRUE;
        }
    }
  return FALSE;
}

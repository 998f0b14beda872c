#include <string.h>
#include "trace-fixture.h"
#include "net/frame.h"

GBytes *
ml_test_tcp_frame (const char *payload)
{
  MlFrameIp ip = {
    .dst_mac = { 2, 0, 0, 0, 0, 2 },
    .src_mac = { 2, 0, 0, 0, 0, 1 },
    .src_ip = 0x0a000001,
    .dst_ip = 0x0a000002,
    .ip_id = 7,
    .ttl = 64,
    .dont_fragment = TRUE,
  };
  MlTcpHeader tcp = {
    .src_port = 49152,
    .dst_port = 25,
    .seq = 1000,
    .ack = 2000,
    .flags = ML_TCP_PSH | ML_TCP_ACK,
    .window = 65535,
  };

  return ml_frame_build_tcp (&ip, &tcp, (const guint8 *) payload, payload ? strlen (payload) : 0);
}

static guint64
append (MlTrace *trace, MlTraceEvent *event)
{
  return ml_trace_append (trace, event)->index;
}

guint64
ml_test_add_note (MlTrace *trace, guint64 t, const char *host, const char *text)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_NOTE);

  e->time_us = t;
  e->host = g_strdup (host);
  e->text = g_strdup (text);
  e->explain_key = g_strdup ("lesson.step");
  return append (trace, e);
}

guint64
ml_test_add_frame (MlTrace *trace, guint64 t, const char *host, const char *peer,
                   guint conn_id, guint hop, const char *payload)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_FRAME);

  e->time_us = t;
  e->host = g_strdup (host);
  e->peer = g_strdup (peer);
  e->conn_id = conn_id;
  e->hop = hop;
  e->protocol = ML_PROTO_SMTP;
  e->text = g_strdup ("49152 → 25 [PSH, ACK]");
  e->explain_key = g_strdup ("tcp.data");
  e->bytes = ml_test_tcp_frame (payload);
  return append (trace, e);
}

guint64
ml_test_add_dialogue (MlTrace *trace, guint64 t, const char *host, const char *peer,
                      MlDirection dir, const char *text, const char *key)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_DIALOGUE);

  e->time_us = t;
  e->host = g_strdup (host);
  e->peer = g_strdup (peer);
  e->conn_id = 1;
  e->protocol = ML_PROTO_SMTP;
  e->direction = dir;
  e->text = g_strdup (text);
  e->explain_key = g_strdup (key);
  if (dir == ML_DIR_SERVER_TO_CLIENT)
    e->code = (guint) g_ascii_strtoull (text, NULL, 10);
  return append (trace, e);
}

guint64
ml_test_add_state (MlTrace *trace, guint64 t, const char *host, guint conn_id,
                   const char *from, const char *to)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_STATE);

  e->time_us = t;
  e->host = g_strdup (host);
  e->conn_id = conn_id;
  e->protocol = ML_PROTO_SMTP;
  e->state_from = g_strdup (from);
  e->state_to = g_strdup (to);
  e->explain_key = g_strdup_printf ("smtp.state.%s", to);
  return append (trace, e);
}

MlTrace *
ml_test_small_trace (void)
{
  MlTrace *trace = ml_trace_new ();

  ml_test_add_note (trace, 0, "client", "step 1 of 1");
  ml_test_add_frame (trace, 1000, "client", "rtr", 1, 0, NULL);
  ml_test_add_frame (trace, 2000, "rtr", "server", 1, 1, NULL);
  ml_test_add_dialogue (trace, 10000, "client", "server", ML_DIR_CLIENT_TO_SERVER,
                        "EHLO client", "smtp.ehlo");
  ml_test_add_state (trace, 10000, "client", 1, "greeting", "ehlo");
  ml_test_add_frame (trace, 10000, "client", "rtr", 1, 0, "EHLO client\r\n");
  ml_test_add_dialogue (trace, 30000, "server", "client", ML_DIR_SERVER_TO_CLIENT,
                        "250-server\n250-PIPELINING\n250 8BITMIME", "smtp.reply.250");
  ml_test_add_frame (trace, 30000, "server", "rtr", 1, 0, "250-server\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
  return trace;
}

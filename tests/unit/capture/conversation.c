#include "conversation.h"

#include <string.h>
#include <pcap/pcap.h>
#include "net/frame.h"

#define CLIENT_IP   0x0a00000au   /* 10.0.0.10 */
#define SERVER_IP   0x0a000019u   /* 10.0.0.25 */
#define CLIENT_PORT 49152

void
conversation_init (Conversation *c, guint16 server_port, const MlCaptureOptions *options)
{
  memset (c, 0, sizeof *c);
  c->trace = ml_trace_new ();
  c->reader = ml_capture_reader_new (c->trace, options);
  c->ip[ML_DIR_CLIENT_TO_SERVER] = CLIENT_IP;
  c->ip[ML_DIR_SERVER_TO_CLIENT] = SERVER_IP;
  c->port[ML_DIR_CLIENT_TO_SERVER] = CLIENT_PORT;
  c->port[ML_DIR_SERVER_TO_CLIENT] = server_port;
  c->seq[ML_DIR_CLIENT_TO_SERVER] = 1000;
  c->seq[ML_DIR_SERVER_TO_CLIENT] = 5000;
}

void
conversation_clear (Conversation *c)
{
  ml_capture_reader_free (c->reader);
  g_object_unref (c->trace);
}

static void
segment (Conversation *c, MlDirection dir, guint32 seq, guint8 flags, const guint8 *data,
         gsize len)
{
  MlFrameIp ip = { 0 };
  MlTcpHeader tcp = { 0 };
  g_autoptr(GBytes) frame = NULL;
  gsize flen;
  const guint8 *fdata;

  ip.src_ip = c->ip[dir];
  ip.dst_ip = c->ip[1 - dir];
  ip.ttl = 64;
  ip.src_mac[5] = (guint8) (dir + 1);
  ip.dst_mac[5] = (guint8) (2 - dir);
  tcp.src_port = c->port[dir];
  tcp.dst_port = c->port[1 - dir];
  tcp.seq = seq;
  tcp.ack = c->seq[1 - dir];
  tcp.flags = flags;
  tcp.window = 65535;
  frame = ml_frame_build_tcp (&ip, &tcp, data, len);
  fdata = g_bytes_get_data (frame, &flen);
  c->time_us += 1000;
  ml_capture_reader_add_packet (c->reader, c->time_us, DLT_EN10MB, fdata, flen, flen);
}

void
conversation_handshake (Conversation *c)
{
  segment (c, ML_DIR_CLIENT_TO_SERVER, c->seq[0]++, ML_TCP_SYN, NULL, 0);
  segment (c, ML_DIR_SERVER_TO_CLIENT, c->seq[1]++, ML_TCP_SYN | ML_TCP_ACK, NULL, 0);
  segment (c, ML_DIR_CLIENT_TO_SERVER, c->seq[0], ML_TCP_ACK, NULL, 0);
}

void
conversation_send (Conversation *c, MlDirection dir, const char *data)
{
  gsize len = strlen (data);

  segment (c, dir, c->seq[dir], ML_TCP_ACK | ML_TCP_PSH, (const guint8 *) data, len);
  c->seq[dir] += (guint32) len;
}

void
conversation_send_split (Conversation *c, MlDirection dir, const char *data, gsize piece)
{
  gsize len = strlen (data);

  for (gsize off = 0; off < len; off += piece)
    {
      gsize n = MIN (piece, len - off);
      segment (c, dir, c->seq[dir], ML_TCP_ACK, (const guint8 *) data + off, n);
      c->seq[dir] += (guint32) n;
    }
}

void
conversation_send_at (Conversation *c, MlDirection dir, guint32 seq, const char *data)
{
  segment (c, dir, seq, ML_TCP_ACK | ML_TCP_PSH, (const guint8 *) data, strlen (data));
}

void
conversation_close (Conversation *c)
{
  segment (c, ML_DIR_CLIENT_TO_SERVER, c->seq[0]++, ML_TCP_FIN | ML_TCP_ACK, NULL, 0);
  segment (c, ML_DIR_SERVER_TO_CLIENT, c->seq[1]++, ML_TCP_FIN | ML_TCP_ACK, NULL, 0);
  segment (c, ML_DIR_CLIENT_TO_SERVER, c->seq[0], ML_TCP_ACK, NULL, 0);
  ml_capture_reader_finish (c->reader);
}

GPtrArray *
conversation_lines (Conversation *c)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  for (guint64 i = 0; i < ml_trace_get_length (c->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (c->trace, i);
      switch (e->kind)
        {
        case ML_TRACE_DIALOGUE:
          g_ptr_array_add (out, g_strdup_printf ("%s: %s",
                                                 e->direction == ML_DIR_CLIENT_TO_SERVER ? "C" : "S",
                                                 e->text));
          break;
        case ML_TRACE_NOTE:
          g_ptr_array_add (out, g_strdup_printf ("note %s: %s", e->explain_key, e->text));
          break;
        case ML_TRACE_STATE:
          g_ptr_array_add (out, g_strdup_printf ("state %s → %s", e->state_from, e->state_to));
          break;
        default:
          break;
        }
    }
  return out;
}

char *
conversation_dialogue (Conversation *c)
{
  g_autoptr(GPtrArray) lines = conversation_lines (c);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < lines->len; i++)
    {
      const char *l = g_ptr_array_index (lines, i);
      if (l[0] != 'C' && l[0] != 'S')
        continue;
      if (s->len)
        g_string_append_c (s, '|');
      g_string_append (s, l);
    }
  return g_string_free (s, FALSE);
}

gboolean
conversation_has_note (Conversation *c, const char *explain_key)
{
  for (guint64 i = 0; i < ml_trace_get_length (c->trace); i++)
    {
      const MlTraceEvent *e = ml_trace_get_event (c->trace, i);
      if (e->kind == ML_TRACE_NOTE && g_strcmp0 (e->explain_key, explain_key) == 0)
        return TRUE;
    }
  return FALSE;
}

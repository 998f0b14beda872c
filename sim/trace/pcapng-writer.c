#define G_LOG_DOMAIN "ml-pcapng-writer"

#include "trace/pcapng-writer.h"
#include "trace/pcap-writer.h"
#include "ml-config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

/* Block types, pcapng 10.1 / 4.1-4.7. */
#define BLOCK_SHB  0x0A0D0D0Au
#define BLOCK_IDB  0x00000001u
#define BLOCK_EPB  0x00000006u
#define BLOCK_DSB  0x0000000Au
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du   /* pcapng 4.1 */

/* Option codes, pcapng 3.5, 4.1, 4.2. */
#define OPT_ENDOFOPT   0
#define OPT_COMMENT    1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME    2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9

#define LINKTYPE_ETHERNET 1

/* An option's length field is 16 bits (pcapng 3.5). */
#define ML_PCAPNG_MAX_OPTION_VALUE 65535
/* Lines waiting for their segment, per connection and sender. A comment is
 * for a person reading Wireshark: a few kilobytes say all there is to say,
 * and a sender that never sends its segment must not grow this forever. */
#define ML_PCAPNG_MAX_COMMENT 8192

#define ETHERTYPE_IPV4  0x0800
#define ETHERTYPE_VLAN  0x8100
#define IPPROTO_TCP_NUM 6

struct _MlPcapngWriter
{
  FILE       *file;          /* NULL once closed */
  char       *path;
  gint64      epoch_unix_usec;
  gboolean    all_hops;
  gboolean    header_written;
  GHashTable *pending;       /* "conn_id\nhost" → GString of lines */
  MlTraceSubscription sub;   /* while attached */
  GError     *error;         /* first write error, reported by close */
};

static void
put_u16 (GByteArray *b, guint16 v)
{
  guint16 le = GUINT16_TO_LE (v);

  g_byte_array_append (b, (const guint8 *) &le, 2);
}

static void
put_u32 (GByteArray *b, guint32 v)
{
  guint32 le = GUINT32_TO_LE (v);

  g_byte_array_append (b, (const guint8 *) &le, 4);
}

static void
put_padded (GByteArray *b, const guint8 *data, gsize len)
{
  static const guint8 zeros[4] = { 0 };

  g_byte_array_append (b, data, len);
  /* Everything is aligned to 32 bits (pcapng 3.6.2). */
  g_byte_array_append (b, zeros, (4 - len % 4) % 4);
}

static void
put_option (GByteArray *b, guint16 code, const void *value, gsize len)
{
  put_u16 (b, code);
  put_u16 (b, (guint16) len);
  put_padded (b, value, len);
}

/* @text is valid UTF-8; a too long one is cut on a character boundary so
 * the option stays valid UTF-8 (pcapng 3.6.3). */
static void
put_string_option (GByteArray *b, guint16 code, const char *text)
{
  gsize len = strlen (text);

  if (len > ML_PCAPNG_MAX_OPTION_VALUE)
    {
      len = ML_PCAPNG_MAX_OPTION_VALUE;
      while (len > 0 && ((guchar) text[len] & 0xC0) == 0x80)
        len--;
    }
  put_option (b, code, text, len);
}

static GByteArray *
block_begin (guint32 type)
{
  GByteArray *b = g_byte_array_new ();

  put_u32 (b, type);
  put_u32 (b, 0);            /* Block Total Length, set by block_end */
  return b;
}

static void
set_error_from_errno (MlPcapngWriter *self)
{
  int saved = errno;

  if (self->error == NULL)
    g_set_error (&self->error, G_IO_ERROR, g_io_error_from_errno (saved),
                 "Could not write %s: %s", self->path, g_strerror (saved));
}

/* The total length appears at both ends so a reader can walk backwards
 * (pcapng 3.1). */
static void
block_end_and_write (MlPcapngWriter *self, GByteArray *b)
{
  guint32 total;

  total = b->len + 4;
  put_u32 (b, total);
  total = GUINT32_TO_LE (total);
  memcpy (b->data + 4, &total, 4);

  if (self->error == NULL && self->file != NULL
      && fwrite (b->data, 1, b->len, self->file) != b->len)
    set_error_from_errno (self);
  g_byte_array_unref (b);
}

static void
ensure_header (MlPcapngWriter *self)
{
  GByteArray *b;
  const guint8 tsresol = 6;  /* 10^-6 s: the virtual clock's unit (pcapng 4.2) */

  if (self->header_written)
    return;
  self->header_written = TRUE;

  b = block_begin (BLOCK_SHB);
  put_u32 (b, BYTE_ORDER_MAGIC);
  put_u16 (b, 1);            /* major: MUST be 1 (pcapng 4.1) */
  put_u16 (b, 0);            /* minor: MUST be 0 */
  /* Section length unknown while streaming: -1 (pcapng 4.1). */
  put_u32 (b, 0xFFFFFFFFu);
  put_u32 (b, 0xFFFFFFFFu);
  put_string_option (b, OPT_SHB_USERAPPL, "maillab " ML_VERSION);
  put_option (b, OPT_ENDOFOPT, NULL, 0);
  block_end_and_write (self, b);

  b = block_begin (BLOCK_IDB);
  put_u16 (b, LINKTYPE_ETHERNET);
  put_u16 (b, 0);
  put_u32 (b, ML_PCAP_SNAPLEN);
  put_string_option (b, OPT_IF_NAME, "maillab");
  put_string_option (b, OPT_IF_DESCRIPTION,
                     self->all_hops
                     ? "simulated network, every hop of every frame"
                     : "simulated network, each frame as its sender sent it (hop 0)");
  put_option (b, OPT_IF_TSRESOL, &tsresol, 1);
  put_option (b, OPT_ENDOFOPT, NULL, 0);
  block_end_and_write (self, b);
}

gsize
ml_pcapng_frame_tcp_payload_length (const guint8 *frame, gsize len)
{
  gsize off = 12;
  guint16 ethertype;
  gsize ihl, ip_total, doff;
  const guint8 *ip;

  if (frame == NULL || len < 14)
    return 0;
  ethertype = (guint16) (frame[12] << 8 | frame[13]);
  if (ethertype == ETHERTYPE_VLAN)
    {
      if (len < 18)
        return 0;
      off += 4;
      ethertype = (guint16) (frame[16] << 8 | frame[17]);
    }
  off += 2;
  if (ethertype != ETHERTYPE_IPV4 || len - off < 20)
    return 0;

  /* RFC 791 3.1: IHL in 32-bit words, Total Length covers header + data;
   * a later fragment carries no TCP header. */
  ip = frame + off;
  if ((ip[0] >> 4) != 4)
    return 0;
  ihl = (gsize) (ip[0] & 0x0f) * 4;
  ip_total = (gsize) (ip[2] << 8 | ip[3]);
  if (ihl < 20 || ip[9] != IPPROTO_TCP_NUM || ((ip[6] & 0x1f) | ip[7]) != 0)
    return 0;
  /* Ethernet pads short frames, so the IP length, not the frame's, counts;
   * a frame shorter than its IP length was cut and counts what is there. */
  ip_total = MIN (ip_total, len - off);
  if (ip_total < ihl + 20)
    return 0;

  /* RFC 9293 3.1: Data Offset in 32-bit words. */
  doff = (gsize) (ip[ihl + 12] >> 4) * 4;
  if (doff < 20 || ip_total < ihl + doff)
    return 0;
  return ip_total - ihl - doff;
}

static void
string_free (gpointer data)
{
  g_string_free (data, TRUE);
}

static char *
pending_key (guint conn_id, const char *host)
{
  return g_strdup_printf ("%u\n%s", conn_id, host ? host : "");
}

static void
add_pending_line (MlPcapngWriter *self, const MlTraceEvent *event)
{
  g_autofree char *key = NULL;
  g_auto(GStrv) lines = NULL;
  const char *who = event->direction == ML_DIR_CLIENT_TO_SERVER ? "C" : "S";
  GString *text;

  if (event->conn_id == 0 || event->text == NULL)
    return;

  key = pending_key (event->conn_id, event->host);
  text = g_hash_table_lookup (self->pending, key);
  if (text == NULL)
    {
      text = g_string_new (NULL);
      g_hash_table_insert (self->pending, g_steal_pointer (&key), text);
    }

  lines = g_strsplit (event->text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *valid = g_utf8_make_valid (lines[i], -1);
      g_autofree char *line = g_strdup_printf ("%s %s: %s",
                                               ml_protocol_to_string (event->protocol),
                                               who, valid);

      if (text->len + 1 + strlen (line) > ML_PCAPNG_MAX_COMMENT)
        {
          if (!g_str_has_suffix (text->str, "…"))
            g_string_append (text, text->len > 0 ? "\n…" : "…");
          return;
        }
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, line);
    }
}

static char *
take_pending (MlPcapngWriter *self, const MlTraceEvent *frame)
{
  g_autofree char *key = NULL;
  gpointer stolen_key;
  const guint8 *data;
  gsize len;
  GString *text;

  if (frame->hop != 0 || frame->conn_id == 0 || frame->retransmission)
    return NULL;
  data = g_bytes_get_data (frame->bytes, &len);
  if (ml_pcapng_frame_tcp_payload_length (data, len) == 0)
    return NULL;

  key = pending_key (frame->conn_id, frame->host);
  if (!g_hash_table_steal_extended (self->pending, key, &stolen_key, (gpointer *) &text))
    return NULL;
  g_free (stolen_key);
  if (text->len == 0)
    {
      g_string_free (text, TRUE);
      return NULL;
    }
  return g_string_free (text, FALSE);
}

static void
write_frame (MlPcapngWriter *self, const MlTraceEvent *event)
{
  g_autofree char *comment = take_pending (self, event);
  const guint8 *data;
  gsize len, caplen;
  guint64 ts;
  GByteArray *b;

  data = g_bytes_get_data (event->bytes, &len);
  caplen = MIN (len, ML_PCAP_SNAPLEN);
  ts = (guint64) self->epoch_unix_usec + event->time_us;

  ensure_header (self);
  b = block_begin (BLOCK_EPB);
  put_u32 (b, 0);                          /* the one interface */
  put_u32 (b, (guint32) (ts >> 32));       /* pcapng 4.3: high word first */
  put_u32 (b, (guint32) (ts & 0xFFFFFFFFu));
  put_u32 (b, (guint32) caplen);
  put_u32 (b, (guint32) MIN (len, G_MAXUINT32));
  put_padded (b, data, caplen);
  if (comment != NULL)
    put_string_option (b, OPT_COMMENT, comment);
  if (event->dropped)
    {
      g_autofree char *lost = g_strdup_printf ("lost on link %s: the receiver never got this frame",
                                               event->link ? event->link : "?");
      g_autofree char *valid = g_utf8_make_valid (lost, -1);

      put_string_option (b, OPT_COMMENT, valid);
    }
  if (comment != NULL || event->dropped)
    put_option (b, OPT_ENDOFOPT, NULL, 0);
  block_end_and_write (self, b);
}

MlPcapngWriter *
ml_pcapng_writer_new (const char *path, gint64 epoch_unix_usec, GError **error)
{
  MlPcapngWriter *self;
  FILE *file;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (epoch_unix_usec >= 0, NULL);

  file = g_fopen (path, "wb");
  if (file == NULL)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not create %s: %s", path, g_strerror (saved));
      return NULL;
    }

  self = g_new0 (MlPcapngWriter, 1);
  self->file = file;
  self->path = g_strdup (path);
  self->epoch_unix_usec = epoch_unix_usec;
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         string_free);
  return self;
}

void
ml_pcapng_writer_set_all_hops (MlPcapngWriter *self, gboolean all_hops)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->header_written);
  self->all_hops = all_hops;
}

void
ml_pcapng_writer_write_event (MlPcapngWriter *self, const MlTraceEvent *event)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (event != NULL);

  if (self->file == NULL)
    return;
  if (event->kind == ML_TRACE_DIALOGUE)
    add_pending_line (self, event);
  else if (ml_pcap_writer_wants_frame (event, self->all_hops))
    write_frame (self, event);
}

void
ml_pcapng_writer_add_secrets (MlPcapngWriter *self, guint32 type, GBytes *data)
{
  const guint8 *bytes;
  gsize len;
  GByteArray *b;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL);

  if (self->file == NULL)
    return;
  bytes = g_bytes_get_data (data, &len);
  /* The block's 32-bit total length covers 20 octets of framing too. */
  g_return_if_fail (len <= G_MAXUINT32 - 32);

  ensure_header (self);
  b = block_begin (BLOCK_DSB);
  put_u32 (b, type);
  put_u32 (b, (guint32) len);      /* without padding, pcapng 4.7 */
  put_padded (b, bytes, len);
  block_end_and_write (self, b);
}

static void
on_trace_event (MlTrace *trace, const MlTraceEvent *event, gpointer user_data)
{
  ml_pcapng_writer_write_event (user_data, event);
}

void
ml_pcapng_writer_attach (MlPcapngWriter *self, MlTrace *trace)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (ML_IS_TRACE (trace));
  g_return_if_fail (!ml_trace_is_subscribed (&self->sub));

  ml_trace_subscribe (&self->sub, trace, on_trace_event, self);
}

gboolean
ml_pcapng_writer_close (MlPcapngWriter *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  ml_trace_unsubscribe (&self->sub);
  if (self->file != NULL)
    {
      ensure_header (self);
      if (fflush (self->file) != 0 || ferror (self->file))
        set_error_from_errno (self);
      if (fclose (self->file) != 0)
        set_error_from_errno (self);
      self->file = NULL;
    }
  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  return TRUE;
}

void
ml_pcapng_writer_free (MlPcapngWriter *self)
{
  if (self == NULL)
    return;
  ml_pcapng_writer_close (self, NULL);
  g_hash_table_unref (self->pending);
  g_free (self->path);
  g_clear_error (&self->error);
  g_free (self);
}

/* Fuzz target for the capture reader: libpcap's file parsing, the link
 * layers, TCP reassembly and the three dissectors, on hostile bytes.
 *
 * One input is read twice:
 *   - as a pcap or pcapng file (through libpcap from memory), to its end
 *     or to the error naming a damaged record;
 *   - as a stream of records for ml_capture_reader_add_packet directly:
 *     [link-type selector byte][length, 2 bytes big-endian][bytes]…, so
 *     the decoders see bytes libpcap would have refused.
 * Nothing may crash, assert, leak or loop; every event's strings are
 * UTF-8; a damaged file gives ML_CAPTURE_ERROR_CORRUPT (never another
 * error once the header was read); reading the same file twice gives the
 * same number of events.
 *
 * Without a fuzzing engine, tests/fuzz/fuzz-replay.c replays the corpus
 * (tests/fuzz/corpus/capture: the link-type and damage corpus of
 * tests/data/captures and lesson captures), so CI runs it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "capture/capture-reader.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const int link_types[] = {
  DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP,
};

static void
check_utf8 (const char *text)
{
  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    abort ();
}

static void
check_event (MlTrace *trace, const MlTraceEvent *e, gpointer user_data)
{
  guint64 *count = user_data;

  check_utf8 (e->host);
  check_utf8 (e->peer);
  check_utf8 (e->text);
  check_utf8 (e->verb);
  check_utf8 (e->args);
  check_utf8 (e->detail);
  check_utf8 (e->explain_key);
  (*count)++;
}

/* Reads @data as a capture file; returns the events made. */
static guint64
read_as_file (const uint8_t *data, size_t size)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlCaptureReader) reader = NULL;
  char errbuf[PCAP_ERRBUF_SIZE];
  guint64 count = 0;
  FILE *f;
  pcap_t *pcap;
  int rc;

  if (size == 0)
    return 0;
  ml_trace_set_keep_events (trace, FALSE);
  ml_trace_add_listener (trace, check_event, &count, NULL);
  reader = ml_capture_reader_new (trace, NULL);
  f = fmemopen ((void *) data, size, "rb");
  if (f == NULL)
    return 0;
  pcap = pcap_fopen_offline (f, errbuf);   /* takes the FILE */
  if (pcap == NULL)
    {
      fclose (f);
      return 0;
    }
  for (;;)
    {
      struct pcap_pkthdr *hdr;
      const u_char *pkt;

      rc = pcap_next_ex (pcap, &hdr, &pkt);
      if (rc != 1)
        break;
      ml_capture_reader_add_packet (reader,
                                    (guint64) hdr->ts.tv_sec * G_USEC_PER_SEC + (guint64) hdr->ts.tv_usec,
                                    pcap_datalink (pcap), pkt, hdr->caplen, hdr->len);
    }
  pcap_close (pcap);
  ml_capture_reader_finish (reader);
  return count;
}

static void
read_as_records (const uint8_t *data, size_t size)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlCaptureReader) reader = NULL;
  guint64 count = 0, t = 0;
  size_t off = 0;

  ml_trace_set_keep_events (trace, FALSE);
  ml_trace_add_listener (trace, check_event, &count, NULL);
  reader = ml_capture_reader_new (trace, NULL);
  while (off + 3 <= size)
    {
      int link = link_types[data[off] % G_N_ELEMENTS (link_types)];
      size_t len = (size_t) data[off + 1] << 8 | data[off + 2];
      off += 3;
      len = MIN (len, size - off);
      /* A copy of exactly @len bytes, so a read past it is caught by ASan. */
      {
        g_autofree guint8 *pkt = g_memdup2 (data + off, len);
        ml_capture_reader_add_packet (reader, t += 1000, link, pkt, len, len);
      }
      off += len;
    }
  ml_capture_reader_finish (reader);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  guint64 first = read_as_file (data, size);

  /* The same bytes, the same trace: no hidden state, no clock. */
  if (read_as_file (data, size) != first)
    abort ();
  read_as_records (data, size);
  return 0;
}

/* capture-private.h — what the reader and the protocol dissectors share.
 *
 * A dissector reads one flow's two reassembled byte streams with the
 * engines' own parsers and reports through an MlCaptureEmitter, which
 * turns each report into a trace event stamped with the flow's time, hosts
 * and conn_id, and counts it in the statistics. Dissectors never touch the
 * trace or the clock themselves.
 */
#pragma once

#include "capture/capture-reader.h"

G_BEGIN_DECLS

/* Bytes of each direction looked at before deciding a flow on an unknown
 * port is no mail protocol: a greeting line (RFC 5321 4.5.3.1.5: 512;
 * RFC 2449 4: 512) fits. */
#define ML_CAPTURE_DETECT_MAX      512
/* One message kept whole (a DATA body, a RETR, a FETCH BODY[]) for its
 * event and for --messages. RFC 5321 sets no size; SIZE limits are set by
 * servers (RFC 1870). Past this the text is cut and a note says so. */
#define ML_CAPTURE_MAX_MESSAGE     (32 * 1024 * 1024)
/* A command line as dissected. RFC 5321 4.5.3.1.4 says 512 octets, RFC
 * 4954 4 allows AUTH lines of 12288; IMAP lines grow with their sequence
 * sets (RFC 7162 4 suggests 8192); this takes the largest of them. */
#define ML_CAPTURE_MAX_COMMAND_LINE  12288
/* Commands awaiting their reply in one flow. RFC 2920 3.1 lets a client
 * pipeline a whole transaction; IMAP may have many tags outstanding. A
 * client past this is not following any reply any more. */
#define ML_CAPTURE_MAX_PENDING_COMMANDS  1024

typedef struct {
  MlTrace                *trace;
  const MlCaptureOptions *options;
  MlCaptureProtocolStats *stats;   /* this flow's protocol's, or NULL */
  guint                   conn_id;
  MlProtocol              protocol;
  const char             *client;  /* host names: the addresses (and ports) */
  const char             *server;
  guint64                 time_us; /* of the packet being read */
  gboolean                selected; /* FALSE when --flow filters this flow out */
  gboolean                emit;     /* selected, and dialogue events wanted */
  gboolean                encrypted;
  guint                   messages;
} MlCaptureEmitter;

/* A client request (counted as a command). */
void ml_capture_emit_command (MlCaptureEmitter *em, const char *text, const char *verb,
                              const char *args, const char *explain_key,
                              const char *detail);
/* A server reply answering a request (counted by @reply_class, see
 * MlCaptureProtocolStats). */
void ml_capture_emit_reply   (MlCaptureEmitter *em, const char *text, guint code,
                              const char *verb, const char *args,
                              const char *explain_key, const char *detail,
                              guint reply_class);
/* A dialogue line that is neither (DATA content, IMAP untagged data, a
 * SASL exchange line). */
void ml_capture_emit_line    (MlCaptureEmitter *em, MlDirection direction,
                              const char *text, const char *verb, const char *args,
                              const char *explain_key, const char *detail);
void ml_capture_emit_note    (MlCaptureEmitter *em, MlDirection direction,
                              const char *explain_key, const char *text,
                              const char *detail);
void ml_capture_emit_state   (MlCaptureEmitter *em, const char *from, const char *to,
                              const char *explain_key);
/* A message carried; @message is borrowed. */
void ml_capture_emit_message (MlCaptureEmitter *em, GBytes *message);
/* "credentials in clear": @how ("AUTH PLAIN", "USER/PASS", "LOGIN"). */
void ml_capture_emit_credentials (MlCaptureEmitter *em, const char *how,
                                  const char *user, const char *password);
/* From now on the flow is TLS: one note, then bytes are only counted. */
void ml_capture_emit_tls     (MlCaptureEmitter *em, const char *why);
void ml_capture_count_tls    (MlCaptureEmitter *em, gsize len);
/* A malformed line or reply: a note, the dissector resynchronises. */
void ml_capture_emit_malformed (MlCaptureEmitter *em, MlDirection direction,
                                const char *explain_key, const char *why);

/* Base64 as SASL uses it (RFC 4648 4), decoded leniently enough for a
 * capture (a peer's bad base64 is shown, not refused). NULL if it is not
 * base64 at all. */
GBytes *ml_capture_base64_decode (const char *text);
/* The bytes as text for a trace event: CRLF → "\n", invalid UTF-8
 * replaced. Caller frees. */
char   *ml_capture_dup_text      (const guint8 *data, gsize len);

/* A SASL exchange seen in a capture: PLAIN and LOGIN answers are
 * credentials in clear (capture-sasl.c). Zero-initialised before use. */
typedef struct {
  char  *mechanism;   /* as the client named it; NULL: no exchange yet */
  guint  step;        /* answers read so far */
  char  *user;        /* LOGIN: the user name, until the password comes */
} MlCaptureSasl;

void ml_capture_sasl_start  (MlCaptureSasl *sasl, const char *mechanism);
/* An answer (or an initial response) in base64; @command names the
 * protocol's verb in the note ("AUTH", "AUTHENTICATE"). */
void ml_capture_sasl_answer (MlCaptureSasl *sasl, MlCaptureEmitter *em,
                             const char *command, const char *b64);
void ml_capture_sasl_clear  (MlCaptureSasl *sasl);

/* ---- dissectors ---- */

typedef struct _MlCaptureDissector MlCaptureDissector;
struct _MlCaptureDissector {
  void (*feed)   (MlCaptureDissector *self, MlDirection direction,
                  const guint8 *data, gsize len);
  /* @len bytes of @direction were never captured. A partial line held
   * is dropped and the bytes after the hole are read as the start of a
   * line: mail clients and servers write whole lines, so a segment
   * usually starts one (Wireshark resumes the same way). */
  void (*gap)    (MlCaptureDissector *self, MlDirection direction, guint64 len);
  /* The flow ended (or the capture did). */
  void (*finish) (MlCaptureDissector *self);
  void (*free)   (MlCaptureDissector *self);
  MlCaptureEmitter *em;  /* borrowed: the flow's */
};

MlCaptureDissector *ml_smtp_dissector_new (MlCaptureEmitter *em, gboolean implicit_tls);
MlCaptureDissector *ml_pop3_dissector_new (MlCaptureEmitter *em, gboolean implicit_tls);
MlCaptureDissector *ml_imap_dissector_new (MlCaptureEmitter *em, gboolean implicit_tls);

/* ---- detection ---- */

/* The protocol of a port: the standard ones (RFC 6409 submission 587,
 * RFC 8314 implicit TLS 465/995/993) and the user's. ML_PROTO_NONE if
 * unknown. */
MlProtocol ml_capture_detect_port    (const MlCaptureOptions *options, guint16 port,
                                      gboolean *implicit_tls_out);
/* From the first bytes of a direction: a server's greeting ("220 ",
 * "+OK", "* OK", "* PREAUTH") or a client's first command (EHLO, HELO).
 * ML_PROTO_NONE when it says nothing (yet). */
MlProtocol ml_capture_detect_content (MlDirection direction, const guint8 *data,
                                      gsize len);

G_END_DECLS

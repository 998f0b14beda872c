/* pop3-parser.h — the one POP3 parser: commands, responses, framing.
 *
 * The server reads commands with it, the client reads responses with it,
 * and the capture dissector will read a recorded conversation with both,
 * so all three agree on every byte (RFC 1939 3, RFC 2449 3).
 *
 * Responses are incremental, Dovecot style: bytes are pushed, and
 * ml_pop3_response_parser_next() answers done / need more / error. Whether
 * a "+OK" is followed by a multi-line body depends on the command it
 * answers, which only the reader knows (RFC 1939 3: "clearly indicated
 * below"); the caller says so on every call, usually with
 * ml_pop3_command_is_multiline(). A "-ERR" is always one line.
 *
 * A peer's mistake is an error with a message a teacher can show, never a
 * crash; a multi-line body with a bad line is read to its final "." before
 * the error is reported, so the reader stays in step with the stream.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A command line with its CRLF (RFC 2449 4, raised from RFC 1939's 47). */
#define ML_POP3_MAX_COMMAND_LINE    255
/* One argument (RFC 1939 3). RFC 2449 4 lifts the command length but not
 * this; the server still enforces it, except for PASS, whose one argument
 * is the rest of the line (RFC 1939 7). */
#define ML_POP3_MAX_ARG             40
/* The first line of a response, greeting included, with CRLF (RFC 2449 4,
 * RFC 1939 3); also each CAPA line (RFC 2449 5). */
#define ML_POP3_MAX_RESPONSE_LINE   512
/* A unique-id (RFC 1939 7, UIDL): 1 to 70 characters 0x21–0x7E. */
#define ML_POP3_MAX_UNIQUE_ID       70
/* The "3*4VCHAR" keyword of RFC 2449 3. */
#define ML_POP3_MAX_KEYWORD         4
/* One line of a multi-line body, with CRLF and a stuffing dot. RFC 5322
 * 2.1.1 caps message lines at 1000, but maildrops hold older and stranger
 * mail; this is our own bound so a server cannot make us buffer without
 * end. */
#define ML_POP3_MAX_BODY_LINE       (64 * 1024)
/* A whole multi-line response (a RETR'd message). RFC 1939 sets none;
 * ours. */
#define ML_POP3_MAX_BODY_SIZE       (64 * 1024 * 1024)

/* ---- commands (RFC 1939 3, RFC 2449 3) ---- */

typedef enum {
  ML_POP3_COMMAND_OK = 0,
  ML_POP3_COMMAND_EMPTY,          /* nothing but blanks on the line */
  ML_POP3_COMMAND_BAD_CHARACTER,  /* a NUL or another control character */
} MlPop3CommandStatus;

typedef struct {
  char  *keyword;  /* upper-cased (keywords are case-insensitive, RFC 1939 3) */
  char  *rest;     /* everything after the keyword and one SP, as sent;
                      "" when there is nothing */
  GStrv  args;     /* @rest split at spaces; runs of spaces count as one */
} MlPop3Command;

/* Parses one line without its CRLF. On ML_POP3_COMMAND_OK @command_out is
 * filled (clear it with ml_pop3_command_clear()); otherwise it is left
 * zeroed. */
MlPop3CommandStatus ml_pop3_command_parse (const char    *line,
                                           gsize          len,
                                           MlPop3Command *command_out);
void                ml_pop3_command_clear (MlPop3Command *command);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MlPop3Command, ml_pop3_command_clear)

/* Whether a "+OK" to this command is followed by a multi-line body:
 * CAPA, LIST and UIDL without an argument, RETR, TOP (RFC 1939 5, 7;
 * RFC 2449 5). @keyword in any case. */
gboolean  ml_pop3_command_is_multiline (const char *keyword,
                                        guint       n_args);

/* A message-number or a line count: 1*DIGIT, decimal (RFC 1939 4), that
 * fits a guint. No sign, no blanks. */
gboolean  ml_pop3_parse_number         (const char *text,
                                        guint      *number_out);

/* ---- responses (RFC 1939 3, RFC 2449 3, 8) ---- */

typedef enum {
  ML_POP3_PARSE_NEED_MORE = 0,  /* no whole response buffered yet */
  ML_POP3_PARSE_DONE,           /* *response_out holds one response */
  ML_POP3_PARSE_ERROR,          /* malformed input; see the GError */
} MlPop3ParseStatus;

#define ML_POP3_RESPONSE_ERROR (ml_pop3_response_error_quark ())
typedef enum {
  ML_POP3_RESPONSE_ERROR_BAD_STATUS,     /* the line starts with neither
                                            "+OK" nor "-ERR" */
  ML_POP3_RESPONSE_ERROR_LINE_TOO_LONG,  /* over ML_POP3_MAX_RESPONSE_LINE,
                                            or a body line over
                                            ML_POP3_MAX_BODY_LINE */
  ML_POP3_RESPONSE_ERROR_TOO_BIG,        /* a body over ML_POP3_MAX_BODY_SIZE */
  ML_POP3_RESPONSE_ERROR_BAD_CHARACTER,  /* a NUL in a status line */
} MlPop3ResponseError;
GQuark ml_pop3_response_error_quark (void);

typedef struct {
  gboolean  ok;         /* "+OK" rather than "-ERR" */
  gboolean  challenge;  /* a SASL server challenge "+ base64" (RFC 5034 4):
                           ok is FALSE, text the base64 ("" for the empty
                           challenge "+ "), resp_code NULL */
  char     *text;       /* after the status and one SP, response code
                           included, "" if none */
  char     *resp_code;  /* "IN-USE", "SYS/TEMP", "AUTH" (RFC 2449 8,
                           RFC 3206) without brackets, NULL if none */
  char     *raw;        /* every line as received, stuffing and the final
                           "." included, joined by "\n", without CRLFs;
                           bytes that are not UTF-8 are replaced */
  gboolean  multiline;
  GBytes   *body;       /* multi-line: the lines un-stuffed, each ending in
                           CRLF, the final "." not included (RFC 1939 3);
                           NULL for a single-line response */
} MlPop3Response;

void    ml_pop3_response_free      (MlPop3Response *response);
/* The body split into lines without their CRLFs (for LIST, UIDL, CAPA);
 * an empty vector for a single-line response. Caller frees. */
GStrv   ml_pop3_response_dup_lines (const MlPop3Response *response);
/* The RFC 2449 8 response code at the start of @text ("[IN-USE] …"),
 * without brackets, NULL when there is none. Caller frees. */
char   *ml_pop3_dup_resp_code      (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlPop3Response, ml_pop3_response_free)

typedef struct _MlPop3ResponseParser MlPop3ResponseParser;

MlPop3ResponseParser *ml_pop3_response_parser_new   (void);
void                  ml_pop3_response_parser_free  (MlPop3ResponseParser *self);
void                  ml_pop3_response_parser_push  (MlPop3ResponseParser *self,
                                                     const guint8 *data,
                                                     gsize         len);
/* @multiline: whether a "+OK" to the command now awaiting its answer
 * starts a multi-line response. Consulted only when a status line is read,
 * so a call that returned NEED_MORE in the middle of a body may be repeated
 * with the same value. On DONE *response_out is set (transfer full); on
 * ERROR @error is set and the broken response has been dropped. Call again
 * until NEED_MORE. */
MlPop3ParseStatus     ml_pop3_response_parser_next  (MlPop3ResponseParser *self,
                                                     gboolean          multiline,
                                                     MlPop3Response  **response_out,
                                                     GError          **error);
/* Bytes pushed and not yet read (a server that talks out of turn). */
gsize                 ml_pop3_response_parser_get_pending (MlPop3ResponseParser *self);
void                  ml_pop3_response_parser_reset (MlPop3ResponseParser *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlPop3ResponseParser, ml_pop3_response_parser_free)

/* ---- framing and APOP, for both ends ---- */

/* Appends @data as the lines of a multi-line body (RFC 1939 3): every line
 * ends in CRLF (a bare LF becomes CRLF, a missing final CRLF is added), a
 * line starting with "." gets another. The final ".CRLF" is not added.
 * Returns the octets of @data as the client will have them after
 * un-stuffing, which is the "exact size" LIST and STAT report (RFC 1939
 * 11). @max_body_lines limits the lines after the header's blank line
 * (TOP, RFC 1939 7); -1 for all. */
guint64 ml_pop3_append_stuffed     (GByteArray   *out,
                                    const guint8 *data,
                                    gsize         len,
                                    gint64        max_body_lines);
/* The same count without writing anything. */
guint64 ml_pop3_measure            (const guint8 *data,
                                    gsize         len);

/* The APOP timestamp in a greeting's text: the first "<…>" holding an "@"
 * (RFC 1939 7, an RFC 822 msg-id), brackets included. NULL if none.
 * Caller frees. */
char   *ml_pop3_dup_timestamp      (const char *greeting_text);
/* MD5 over @timestamp followed by @secret, 32 lower-case hex digits
 * (RFC 1939 7). Caller frees. */
char   *ml_pop3_apop_digest        (const char *timestamp,
                                    const char *secret);

G_END_DECLS

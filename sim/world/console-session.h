/* console-session.h — "be the client": a student's typed lines sent to a
 * simulated server, one at a time.
 *
 * A console session is a client on a MUA host connected, through the
 * simulated network, to a server host and port, where our real server
 * engine answers. It sends the lines the student typed exactly as typed
 * (CRLF added), and sends the next line only when the response to the
 * previous one is complete by the protocol's own rules:
 *
 *   SMTP  the last line of a reply, "ddd " (RFC 5321 4.2.1); after 354 the
 *         lines are message content up to the lone "." (RFC 5321 4.1.1.4),
 *         and after 334 one line answers the SASL challenge (RFC 4954 4).
 *   POP3  "+OK"/"-ERR" on one line, or a multi-line body up to "." for
 *         LIST and UIDL without argument, RETR, TOP, CAPA (RFC 1939 3,
 *         RFC 2449 5); "+ " asks for the next SASL line (RFC 5034 4).
 *   IMAP  the tagged completion carrying the command's tag, or a "+"
 *         continuation request (RFC 3501 2.2.2, 7.5); untagged data in
 *         between is shown as it comes.
 *
 * Responses are framed with the engines' own parsers (smtp-reply.h,
 * pop3-parser.h, imap-response.h). The server records the replies it sends
 * in the trace; the console records the commands it sends, with the same
 * verbs, arguments and explanation keys our client engines use
 * ("smtp.mail", "pop3.retr", "imap.fetch"), so the ladder and the teaching
 * notes show a typed session like any other.
 *
 * Everything runs inside the network's scheduler: a queued line goes out,
 * and the callback is called, only while the owner runs the scheduler
 * (ml_scheduler_run on ml_network_get_scheduler()). Never from a thread.
 *
 * Two users: the lesson runner (a `console` step: every line queued at
 * once, run to completion, ml_console_session_start_step()) and the GUI
 * console (ml_console_session_open(), one line per Enter, the callback
 * for every response, ml_console_check_line() on every keystroke).
 */
#pragma once

#include "lesson/lesson.h"
#include "net/network.h"

G_BEGIN_DECLS

/* One typed line, CRLF included: the longest command line any of the three
 * protocols lets a client send. SMTP's text line is 1000 with CRLF
 * (RFC 5321 4.5.3.1.6), POP3's command 255 (RFC 2449 4), IMAP's at least
 * 8192 (RFC 7162 4). Longer input is refused with a hint, never cut. */
#define ML_CONSOLE_MAX_LINE     8192
/* Lines waiting for their turn. The student types faster than a lossy
 * link answers, but not without bound. No RFC: our limit. */
#define ML_CONSOLE_MAX_QUEUED   1000
/* Message content shown in the one DATA event of the trace; the lines
 * past it still go to the server. RFC 5321 4.5.3.1.7 asks servers to take
 * at least 64K octets, so a lesson's message fits. */
#define ML_CONSOLE_MAX_CONTENT  (64 * 1024)

/* What the next typed line is, as far as the console knows. */
typedef enum {
  ML_CONSOLE_INPUT_COMMAND = 0,  /* a command */
  ML_CONSOLE_INPUT_CONTENT,      /* SMTP message content, ended by "." */
  ML_CONSOLE_INPUT_CONTINUATION, /* the answer to a continuation request:
                                    a SASL response (SMTP 334, POP3 "+ ",
                                    IMAP "+"), an IMAP literal's octets, or
                                    IDLE's "DONE" (RFC 2177 3) */
  ML_CONSOLE_INPUT_CLOSED,       /* the connection is gone */
} MlConsoleInput;

/* The session as seen from the client's side, inferred from the replies
 * it got: enough for ml_console_check_line() to say "log in first". */
typedef struct {
  MlConsoleInput input;
  gboolean       greeted;        /* SMTP: EHLO/HELO answered 250 */
  gboolean       extended;       /* SMTP: it was EHLO (ESMTP parameters allowed) */
  gboolean       in_transaction; /* SMTP: MAIL answered 250, no RSET/"." since */
  gboolean       authenticated;  /* POP3: TRANSACTION state (RFC 1939 3);
                                    IMAP: authenticated or selected (RFC 3501 3) */
  gboolean       selected;       /* IMAP: selected state (RFC 3501 3.3) */
  gboolean       idling;         /* IMAP: inside IDLE (RFC 2177 3) */
} MlConsoleState;

/* One response from the server, as the console received it. */
typedef enum {
  ML_CONSOLE_RESPONSE_DATA = 0,    /* part of a response; the command is still
                                      running (IMAP untagged data) */
  ML_CONSOLE_RESPONSE_COMPLETE,    /* the response is complete: the greeting,
                                      or the final answer to a command; the
                                      next queued line goes now */
  ML_CONSOLE_RESPONSE_CONTINUE,    /* the server asks for more: SMTP 354 or
                                      334, POP3 "+ ", IMAP "+"; the next line
                                      goes now */
  ML_CONSOLE_RESPONSE_MALFORMED,   /* the parser refused what the server sent */
  ML_CONSOLE_RESPONSE_CLOSED,      /* the connection ended; nothing more */
} MlConsoleResponseKind;

typedef struct {
  MlConsoleResponseKind kind;
  MlProtocol   protocol;
  const char  *text;         /* as received, lines joined by "\n", no final
                                CRLF; CLOSED and MALFORMED: why */
  guint        code;         /* SMTP: the reply code; 0 otherwise */
  gboolean     ok;           /* SMTP 2yz/3yz, POP3 "+OK"/"+ ", IMAP OK,
                                PREAUTH and "+" */
  const char  *explain_key;  /* the catalog's key for it ("smtp.reply.250",
                                "pop3.reply.err", "imap.untagged.exists"),
                                NULL for CLOSED */
  const char  *command;      /* the typed line it answers; NULL for the
                                greeting and for unsolicited data */
  guint        unsent;       /* CLOSED: queued lines that never went */
} MlConsoleResponse;

typedef struct _MlConsoleSession MlConsoleSession;

/* Every field of @response is borrowed for the call. The session may be
 * closed from inside the callback (ml_console_session_close()). */
typedef void (*MlConsoleResponseFunc) (MlConsoleSession        *session,
                                       const MlConsoleResponse *response,
                                       gpointer                 user_data);

/* Connects from @client (a host of @network, borrowed) to @server_ip:@port
 * and expects @protocol's greeting. On 465, 993 and 995 the session starts
 * with a TLS handshake (RFC 8314 3.3), which needs the run's TLS context
 * registered on @network (ml_engine_session_register_tls; a world does);
 * elsewhere STARTTLS/STLS typed by the student upgrades it. @func may be NULL; @destroy, if not
 * NULL, frees @user_data when the session is closed. Returns the caller's
 * handle (transfer full: end it with ml_console_session_close()). The
 * connection is only attempted when the scheduler runs. */
MlConsoleSession *ml_console_session_open      (MlNetwork             *network,
                                                MlHost                *client,
                                                guint32                server_ip,
                                                guint16                port,
                                                MlProtocol             protocol,
                                                MlConsoleResponseFunc  func,
                                                gpointer               user_data,
                                                GDestroyNotify         destroy);
/* Queues one typed line (without CRLF; a trailing CR or LF is dropped). It
 * goes at once if the previous response is complete, else when it is.
 * FALSE, and nothing queued, when the line is over ML_CONSOLE_MAX_LINE,
 * holds a NUL/CR/LF inside, the queue is full, or the connection is gone:
 * a GUI shows ml_console_check_line()'s hint instead. */
gboolean          ml_console_session_send_line (MlConsoleSession *self,
                                                const char       *line);
/* What the console believes (see MlConsoleState). */
void              ml_console_session_get_state (MlConsoleSession *self,
                                                MlConsoleState   *state_out);
MlProtocol        ml_console_session_get_protocol (MlConsoleSession *self);
/* Lines typed and not yet sent. */
guint             ml_console_session_get_queued   (MlConsoleSession *self);
/* Lets go of the handle, as a telnet user reaching the end of input: the
 * queued lines still go, one per complete response, then the client
 * closes the connection (if the server has not). The callback is not
 * called again. NULL is fine. */
void              ml_console_session_close     (MlConsoleSession *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlConsoleSession, ml_console_session_close)

/* Runs a lesson's `console` step (@step->kind == ML_LESSON_ACTION_CONSOLE):
 * @step->host types @step->lines at @step->server on @step->port (0: the
 * protocol's port, 25, 110 or 143). A note says what went wrong when the
 * hosts are not in the network. The lines go as the scheduler runs; the
 * session ends itself. */
void              ml_console_session_start_step (MlNetwork          *network,
                                                 const MlLessonStep *step);

/* The syntax check as typed: NULL when @line looks like something the
 * protocol allows next, else a one-line hint for the student ("MAIL needs
 * FROM:<address>", "IMAP commands start with a tag"), transfer full.
 * @state may be NULL (syntax only); with it, the hint also says what the
 * session's state allows ("STAT is only allowed after PASS"). Uses the
 * engines' own parsers, so what it accepts our servers accept. */
char             *ml_console_check_line         (MlProtocol            protocol,
                                                 const MlConsoleState *state,
                                                 const char           *line);

G_END_DECLS

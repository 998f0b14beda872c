/* imap-parser.h — the one IMAP tokenizer, for commands and responses.
 *
 * IMAP's lexical layer is the same in both directions (RFC 3501 9): atoms,
 * quoted strings, literals, parenthesised lists, NIL, numbers, all on
 * CRLF-terminated lines that a literal may interrupt. The server reads
 * commands with it and the client (imap-response.c) reads responses with it,
 * so both agree on every byte.
 *
 * Incremental, Dovecot lib-imap style: bytes are pushed with _feed(), and
 * every reading call answers OK (done), NEED_MORE (feed more and call again:
 * the call is repeated from where the token started), LITERAL (a literal was
 * announced and its octets have not all arrived: a server decides here
 * whether to send "+" — RFC 3501 7.5 — or to refuse it) or ERROR.
 *
 *   parser = ml_imap_parser_new (0, 0);
 *   ml_imap_parser_feed (parser, bytes, len);
 *   switch (ml_imap_parser_read_args (parser, &args)) { … }
 *   …use args (borrowed)…
 *   ml_imap_parser_reset (parser);       // next command/response
 *
 * Token rules (RFC 3501 9, "atom", "string", "literal"):
 *   - An ATOM here is any run of bytes 0x21..0x7e except "(" ")" "{" and
 *     DQUOTE, so flags ("\Seen", "\*"), sequence sets ("1:*"), LIST
 *     patterns ("%", "INBOX.*"), "[Gmail]/Sent" (an astring, RFC 3501 9
 *     ASTRING-CHAR includes "]") and fetch attributes ("BODY.PEEK[1.2]<0.10>")
 *     are single atoms. ")" and "(" end an atom.
 *   - As in Dovecot, a section with a header list is three arguments:
 *     BODY[HEADER.FIELDS (From To)]<0.100> is ATOM "BODY[HEADER.FIELDS",
 *     LIST (From To), ATOM "]<0.100>". ml_imap_section_parse_spec() and
 *     ml_imap_parse_partial() take the pieces.
 *   - With ML_IMAP_READ_BRACKETS (for response codes, RFC 3501 7.1
 *     "[" resp-text-code "]"), "[" and "]" are tokens of their own and end
 *     atoms.
 *   - NIL in any case is a token of its own (ML_IMAP_TOKEN_NIL); where an
 *     astring is expected, ml_imap_arg_get_astring() gives "NIL" back, since
 *     a mailbox may be called NIL.
 *   - Literals: "{" number ["+"] "}" CRLF, then number octets (RFC 3501 4.3;
 *     "+" is LITERAL+, RFC 7888 3). The line goes on after the octets.
 *   - A bare LF is taken as a line end (people type at the lab's console);
 *     the EOL token says so.
 *
 * Every token's text is copied into storage owned by the parser and stays
 * valid until ml_imap_parser_reset() or _free(), so a command's arguments
 * can be used after more bytes were fed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 3501 sets no line length; RFC 7162 3 asks servers and clients to take
 * lines of at least 8192 octets. Counted without literal octets, with CRLF. */
#define ML_IMAP_MAX_LINE         8192
/* Default literal limit for one parser; a server lowers or raises it per
 * command (APPEND takes a message). RFC 3501 9 "number" is 32-bit. */
#define ML_IMAP_MAX_LITERAL      (64 * 1024 * 1024)
/* Bounds of our own (RFC 3501 has none) so a peer cannot make us recurse or
 * allocate without end: list nesting and arguments per command. */
#define ML_IMAP_MAX_LIST_DEPTH   32
#define ML_IMAP_MAX_ARGS         8192
/* "1.2.3.4" — RFC 3501 6.4.5 part numbers; deeper trees are refused. */
#define ML_IMAP_MAX_SECTION_PARTS 16

typedef struct _MlImapParser MlImapParser;

typedef enum {
  ML_IMAP_PARSE_OK = 0,
  ML_IMAP_PARSE_NEED_MORE,  /* feed more bytes, call again */
  ML_IMAP_PARSE_LITERAL,    /* a literal's announcement "{n}CRLF" is complete
                               and its octets are not: see
                               ml_imap_parser_get_literal(). Reported once per
                               literal; later calls say NEED_MORE until the
                               octets are in. */
  ML_IMAP_PARSE_ERROR,      /* see ml_imap_parser_get_error(); then
                               ml_imap_parser_skip_command() */
} MlImapParseStatus;

typedef enum {
  ML_IMAP_PARSE_ERROR_NONE = 0,
  ML_IMAP_PARSE_ERROR_SYNTAX,           /* a byte that cannot be there */
  ML_IMAP_PARSE_ERROR_LINE_TOO_LONG,    /* over the parser's max line */
  ML_IMAP_PARSE_ERROR_LITERAL_TOO_BIG,  /* announced over the max literal;
                                           the announcement is consumed */
  ML_IMAP_PARSE_ERROR_TOO_DEEP,         /* lists nested too deep */
  ML_IMAP_PARSE_ERROR_TOO_MANY_ARGS,
} MlImapParseError;

typedef enum {
  ML_IMAP_TOKEN_ATOM = 0,      /* also numbers, flags, sequence sets */
  ML_IMAP_TOKEN_NIL,
  ML_IMAP_TOKEN_QUOTED,        /* text without the quotes, escapes undone */
  ML_IMAP_TOKEN_LITERAL,       /* the octets; may hold any byte */
  ML_IMAP_TOKEN_LIST_BEGIN,    /* "(" */
  ML_IMAP_TOKEN_LIST_END,      /* ")" */
  ML_IMAP_TOKEN_BRACKET_BEGIN, /* "[" — only with ML_IMAP_READ_BRACKETS */
  ML_IMAP_TOKEN_BRACKET_END,   /* "]" — only with ML_IMAP_READ_BRACKETS */
  ML_IMAP_TOKEN_TEXT,          /* ml_imap_parser_next_text(): rest of line */
  ML_IMAP_TOKEN_EOL,           /* the line's end (CRLF, or a bare LF) */
  ML_IMAP_TOKEN_LIST,          /* only in argument trees (MlImapArg) */
} MlImapTokenKind;

typedef enum {
  ML_IMAP_READ_DEFAULT  = 0,
  ML_IMAP_READ_BRACKETS = 1 << 0,  /* "[" and "]" are tokens */
} MlImapReadFlags;

typedef struct {
  MlImapTokenKind kind;
  const char     *data;     /* NUL-terminated copy (LITERAL may also hold
                               NULs: use len); borrowed until reset. "" for
                               structural tokens. */
  gsize           len;
  gboolean        spaced;   /* one or more SP came before it; lets a reader
                               tell "BODY[]<0.5>" from "BODY[] <0.5>" */
  gboolean        nonsync;  /* LITERAL: announced "{n+}" (RFC 7888) */
  gboolean        bare_lf;  /* EOL: LF without CR */
  guint           depth;    /* lists open before this token */
  gsize           offset;   /* of its first byte in the raw command, see
                               ml_imap_parser_get_raw() */
} MlImapToken;

/* A parsed argument: a token, or a LIST with children. Borrowed from the
 * parser until reset. */
typedef struct _MlImapArg MlImapArg;
struct _MlImapArg {
  MlImapTokenKind kind;      /* ATOM, NIL, QUOTED, LITERAL or LIST */
  const char     *data;      /* as in MlImapToken; "" for LIST */
  gsize           len;
  gboolean        spaced;
  gboolean        nonsync;
  gsize           offset;
  GPtrArray      *children;  /* LIST: MlImapArg*, else NULL */
};

/* @max_line: 0 for ML_IMAP_MAX_LINE; @max_literal: 0 for
 * ML_IMAP_MAX_LITERAL. */
MlImapParser     *ml_imap_parser_new          (gsize max_line, guint64 max_literal);
void              ml_imap_parser_free         (MlImapParser *self);
void              ml_imap_parser_set_max_literal (MlImapParser *self, guint64 max_literal);

/* Copies @data. Returns nothing: the parser keeps what it is given, and a
 * reader bounds it by reading (a line stops at max_line, a literal at
 * max_literal). */
void              ml_imap_parser_feed         (MlImapParser *self, const guint8 *data, gsize len);
/* Bytes fed and not yet consumed by a finished command (pipelined input). */
gsize             ml_imap_parser_get_buffered (MlImapParser *self);

/* The next token of the current line. After EOL, every call answers EOL
 * again until ml_imap_parser_reset(). */
MlImapParseStatus ml_imap_parser_next         (MlImapParser *self, MlImapReadFlags flags,
                                               MlImapToken *token);
/* The rest of the line up to (not including) its end, raw, after a single
 * leading SP if there is one: response text (RFC 3501 7.1 "text"), a SASL
 * continuation line, "DONE". The EOL token follows. */
MlImapParseStatus ml_imap_parser_next_text    (MlImapParser *self, MlImapToken *token);
/* Reads arguments up to EOL (consumed) into a tree; lists must balance.
 * *args_out (borrowed) holds MlImapArg*. Resumable: on NEED_MORE/LITERAL
 * the arguments read so far are kept and reading goes on at the next call;
 * on LITERAL *args_out shows them (the literal not yet among them), so a
 * server can see which command asks (APPEND) before it answers "+". */
MlImapParseStatus ml_imap_parser_read_args    (MlImapParser *self, GPtrArray **args_out);

/* After LITERAL (or an ERROR of LITERAL_TOO_BIG): the announced size and
 * whether it is "{n+}". FALSE if no literal was announced. */
gboolean          ml_imap_parser_get_literal  (MlImapParser *self, guint64 *size,
                                               gboolean *nonsync);

MlImapParseError  ml_imap_parser_get_error    (MlImapParser *self);
const char       *ml_imap_parser_get_error_message (MlImapParser *self); /* borrowed, static */

/* Gives up the current command, e.g. after a syntax error or a refused
 * literal. A refused synchronizing literal ends the command right after its
 * announcement (the client must not send it, RFC 3501 7.5); otherwise bytes
 * are dropped up to the line's end, stepping over the octets of
 * non-synchronizing literals (RFC 7888 4 choice 1) without keeping them.
 * OK when the command is gone (call _reset() next), NEED_MORE while bytes
 * are still expected. */
MlImapParseStatus ml_imap_parser_skip_command (MlImapParser *self);

/* The raw bytes of the current command from its first byte to what has
 * been read (literal octets and CRLFs included). Borrowed, until the next
 * call on @self. */
const guint8     *ml_imap_parser_get_raw      (MlImapParser *self, gsize *len);

/* Forgets the finished (or skipped) command and its tokens; bytes fed past
 * it are kept for the next one. */
void              ml_imap_parser_reset        (MlImapParser *self);

/* --- reading arguments (all return FALSE on a type mismatch) ----------- */

/* atom, or NIL read as the atom "NIL" */
gboolean          ml_imap_arg_get_atom        (const MlImapArg *arg, const char **out);
/* RFC 3501 9 "string": quoted or literal */
gboolean          ml_imap_arg_get_string      (const MlImapArg *arg, const char **out, gsize *len);
/* RFC 3501 9 "astring": atom (incl. "NIL") or string */
gboolean          ml_imap_arg_get_astring     (const MlImapArg *arg, const char **out, gsize *len);
/* RFC 3501 9 "nstring": NIL gives *out = NULL */
gboolean          ml_imap_arg_get_nstring     (const MlImapArg *arg, const char **out, gsize *len);
/* RFC 3501 9 "number": unsigned 32-bit, digits only */
gboolean          ml_imap_arg_get_number      (const MlImapArg *arg, guint32 *out);
gboolean          ml_imap_arg_is_list         (const MlImapArg *arg);

/* Digits only, no sign, fits 32 bits (RFC 3501 9 "number"). */
gboolean          ml_imap_parse_number        (const char *text, gsize len, guint32 *out);

/* --- dates (RFC 3501 9) -------------------------------------------------- */

/* "date-text": "1-Feb-1994" (day 1 or 2 digits, month any case). */
gboolean          ml_imap_parse_date          (const char *text, GDate *out);
/* "date-time" without its quotes: "17-Jul-1996 02:44:25 -0700" (day may be
 * " 7"). Transfer full, NULL if malformed. */
GDateTime        *ml_imap_parse_date_time     (const char *text);
/* The quoted form's content for @unix_sec at zone @offset_minutes east of
 * UTC: "17-Jul-1996 02:44:25 -0700". Caller frees. */
char             *ml_imap_format_date_time    (gint64 unix_sec, int offset_minutes);

/* --- sections (RFC 3501 6.4.5 "BODY[<section>]<<partial>>") ---------------- */

typedef enum {
  ML_IMAP_SECTION_FULL = 0,          /* BODY[] or BODY[1.2]: the part's content */
  ML_IMAP_SECTION_HEADER,
  ML_IMAP_SECTION_HEADER_FIELDS,
  ML_IMAP_SECTION_HEADER_FIELDS_NOT,
  ML_IMAP_SECTION_TEXT,
  ML_IMAP_SECTION_MIME,              /* only after a part number */
} MlImapSectionKind;

typedef struct {
  guint             parts[ML_IMAP_MAX_SECTION_PARTS];
  guint             n_parts;         /* 0: the whole message */
  MlImapSectionKind kind;
  GPtrArray        *fields;          /* HEADER.FIELDS[.NOT]: char*, owned;
                                        NULL otherwise */
  gboolean          has_partial;
  guint32           partial_offset;
  guint32           partial_length;  /* commands only; responses carry just
                                        the origin */
} MlImapSection;

/* @spec is what stands between "[" and the "]" or the header list:
 * "", "1.2", "HEADER", "1.HEADER.FIELDS.NOT", "TEXT", "2.MIME" (any case).
 * Fills @out (call ml_imap_section_clear() after). The header list, when
 * the kind needs one, is added with ml_imap_section_add_field(). */
gboolean          ml_imap_section_parse_spec  (const char *spec, gsize len, MlImapSection *out);
void              ml_imap_section_add_field   (MlImapSection *self, const char *field, gsize len);
void              ml_imap_section_clear       (MlImapSection *self);
/* "<0.100>" (@has_length TRUE, as in commands, RFC 3501 6.4.5) or "<0>"
 * (the origin, as in FETCH responses, RFC 3501 7.4.2). Length must be > 0. */
gboolean          ml_imap_parse_partial       (const char *text, gsize len,
                                               gboolean has_length,
                                               guint32 *offset, guint32 *length);
/* "1.2.HEADER.FIELDS (FROM TO)" — the text between the brackets as a server
 * echoes it in a FETCH response (fields upper-cased, as Dovecot and
 * Cyrus do). Caller frees. */
char             *ml_imap_section_to_string   (const MlImapSection *self);

/* --- writing ---------------------------------------------------------------- */

/* Appends @s as an atom if it is one, else as a quoted string if it can be
 * one, else as a literal "{n}\r\n…" (RFC 3501 4.3: CR, LF, NUL and 8-bit
 * octets need a literal). Used for astrings (mailbox names) and strings. */
void              ml_imap_append_astring      (GString *out, const char *s, gsize len);
/* As above but never an atom: "string" positions (ENVELOPE fields). */
void              ml_imap_append_string       (GString *out, const char *s, gsize len);
/* NIL for NULL. */
void              ml_imap_append_nstring      (GString *out, const char *s, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlImapParser, ml_imap_parser_free)

G_END_DECLS

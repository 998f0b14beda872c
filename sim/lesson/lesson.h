/* lesson.h — a lesson file (lessons/NAME.yaml) loaded into plain structs.
 *
 * Loading never crashes on bad input: every problem is a GError whose
 * message starts with "FILE:LINE:COLUMN: ". Issue 5 grows the format
 * (questions, checks, faults); this is the part the foundation needs.
 */
#pragma once

#include <glib.h>
#include "ml-types.h"

G_BEGIN_DECLS

#define ML_LESSON_ERROR (ml_lesson_error_quark ())
typedef enum {
  ML_LESSON_ERROR_PARSE,    /* not YAML */
  ML_LESSON_ERROR_INVALID,  /* YAML, but not a valid lesson */
} MlLessonError;
GQuark ml_lesson_error_quark (void);

/* Limits on a lesson file. No RFC sets them: they keep a broken or hostile
 * file from making the loader allocate or recurse without bound. */
#define ML_LESSON_MAX_FILE_SIZE        (1024 * 1024)  /* bytes */
#define ML_LESSON_MAX_DEPTH            32             /* nested lists/groups */
#define ML_LESSON_MAX_STRING           (64 * 1024)    /* bytes in one value */
#define ML_LESSON_MAX_NODES            100000         /* values in the file */
#define ML_LESSON_MAX_ALIAS_EXPANSION  (1024 * 1024)  /* bytes *aliases add */
#define ML_LESSON_MAX_SEND_COUNT       1000           /* a send step's count */
/* RFC 2177 3: a client re-issues IDLE at least every 29 minutes. */
#define ML_LESSON_DEFAULT_IDLE_TIMEOUT_US (G_GUINT64_CONSTANT (29) * 60 * G_USEC_PER_SEC)

typedef enum {
  ML_LESSON_CERT_VALID = 0,
  ML_LESSON_CERT_WRONG_NAME,   /* issued by the run's CA for another name */
  ML_LESSON_CERT_EXPIRED,      /* issued by the run's CA, notAfter in the past */
  ML_LESSON_CERT_SELF_SIGNED,  /* not issued by the run's CA */
} MlLessonCertificate;

typedef enum {
  ML_LESSON_DEFAULT = 0,       /* not given: the documented default */
  ML_LESSON_NO,
  ML_LESSON_YES,
} MlLessonTristate;

/* A client's use of TLS (send, pop3-fetch, imap-* steps). */
typedef enum {
  ML_LESSON_TLS_OPPORTUNISTIC = 0, /* STARTTLS when offered, else go on in clear (default) */
  ML_LESSON_TLS_NONE,              /* never */
  ML_LESSON_TLS_REQUIRED,          /* STARTTLS, and stop (QUIT) when it is not offered */
  ML_LESSON_TLS_IMPLICIT,          /* connect to 465 / 995 / 993 and start with TLS */
} MlLessonTls;

/* A client's login (send, pop3-fetch, imap-* steps). */
typedef enum {
  ML_LESSON_AUTH_DEFAULT = 0,  /* send: AUTH PLAIN when the server offers AUTH;
                                  pop3: USER/PASS; imap: LOGIN */
  ML_LESSON_AUTH_NONE,         /* send: no AUTH */
  ML_LESSON_AUTH_PLAIN,
  ML_LESSON_AUTH_LOGIN,        /* SASL LOGIN (SMTP, POP3 AUTH); IMAP LOGIN command */
  ML_LESSON_AUTH_SCRAM_SHA_256,
  ML_LESSON_AUTH_USER,         /* POP3 USER/PASS */
  ML_LESSON_AUTH_APOP,         /* POP3 APOP */
} MlLessonAuth;

typedef struct {
  char    *name;        /* "smtp.a.example" */
  MlRole   roles;
  guint32  ipv4;        /* host byte order */
  GStrv    domains;     /* mail domains this host serves (MSA/MTA/MDA) */
  char    *relay_to;    /* MTA: host that takes its domains' mail (the MDA);
                           MSA without MTA role: its smarthost */
  char    *submission;  /* MUA: the MSA host name it submits to */
  /* TLS and authentication, server side (lessons/README.md "hosts").
   * Every key is optional; the defaults keep a lesson without them in
   * the clear. */
  gboolean starttls;          /* starttls: offer STARTTLS / STLS (default FALSE) */
  gboolean implicit_tls;      /* implicit_tls: also serve 465, 993, 995 (RFC 8314) */
  MlLessonCertificate certificate; /* certificate: valid | wrong-name | expired | self-signed */
  GStrv    auth_mechanisms;   /* auth: [PLAIN, LOGIN, SCRAM-SHA-256], upper case;
                                 NULL: PLAIN and LOGIN */
  MlLessonTristate plaintext_auth;  /* plaintext_auth: allow PLAIN, LOGIN,
                                 USER/PASS before TLS. Default: allowed
                                 only on a host that offers no TLS */
  MlLessonTristate require_auth;    /* require_auth (MSA): submission needs
                                 AUTH (RFC 6409 4.3). Default: required
                                 when the host offers TLS */
  gboolean strip_starttls;    /* strip_starttls (router): overwrite "STARTTLS"
                                 in SMTP replies it forwards with "XXXXXXXX",
                                 as some firewalls did — the downgrade attack */
  /* Mail authentication (lesson-mailauth.h): dkim (MSA signs), verify_mail
   * (port 25 checks SPF, DKIM, DMARC), lists (mailing lists). Off when absent. */
  struct _MlLessonDkim *dkim;
  gboolean verify_mail;
  GPtrArray *lists;           /* struct _MlLessonList*; NULL: none */
  /* Delivery (lessons/README.md "hosts"): dsn offers the DSN extension
   * (RFC 3461) on 25 and 587; lmtp (MDA) takes mail over LMTP on port 24
   * (RFC 2033) instead of SMTP on 25, and the MTA relaying to it speaks
   * LMTP; chunking offers CHUNKING (RFC 3030), which our clients then use. */
  gboolean dsn;
  gboolean lmtp;
  gboolean chunking;
  guint64  queue_lifetime_us; /* queue_lifetime: how long the queue keeps
                                 trying; 0: 5 days (Postfix's default) */
  guint    line, column;
} MlLessonHost;

typedef struct {
  char    *a, *b;       /* host names, spelled as the hosts spell them */
  guint64  latency_us;  /* one way */
  guint64  bandwidth_bps;
  guint    mtu;
  double   loss;        /* 0.0 – 1.0 */
  gboolean up;
  guint    line, column;
} MlLessonLink;

typedef struct {
  char    *name;        /* owner name, "b.example" */
  char    *type;        /* "A", "MX", "TXT" (always upper case) */
  guint32  ttl;         /* default 3600 */
  guint16  preference;  /* MX only */
  char    *value;       /* A: dotted quad; MX: exchange; TXT: text */
  guint    line, column;
} MlLessonRecord;

/* A message already in a mailbox when the lesson starts (lesson-mailboxes.c). */
typedef struct {
  char    *from;        /* addr-spec */
  char   **to;          /* addr-specs; NULL: the account's own address */
  char    *subject;     /* default "" */
  gboolean has_date;    /* date was given */
  gint64   date_unix;   /* Date: and the internal date (RFC 3501 2.3.3) */
  char    *body;        /* plain text; default "" */
  char   **flags;       /* \Seen, \Flagged, keywords; NULL: none */
  GPtrArray *attachments; /* MlLessonAttachment*; NULL: none */
  guint    line, column;
} MlLessonMessage;

/* A mailbox of an account, filled before step 1 (world-mailboxes.c). */
typedef struct {
  char    *name;        /* "INBOX", "Archive", "Work/2024" */
  char    *special_use; /* RFC 6154 2: \Archive …; NULL: none */
  gboolean subscribed;  /* RFC 3501 6.3.6; default TRUE */
  GPtrArray *messages;  /* MlLessonMessage*; NULL: none */
  guint    line, column;
} MlLessonMailbox;

typedef struct {
  char    *address;     /* "bob@b.example" */
  char    *password;
  guint    quota;       /* quota: storage limit in octets (RFC 9208); 0: none */
  GPtrArray *mailboxes;  /* MlLessonMailbox*; NULL: only the store's defaults */
  guint    line, column;
} MlLessonAccount;

/* Indexed like the names in lesson.c's action table. */
typedef enum {
  ML_LESSON_ACTION_SEND = 0,          /* a MUA submits a message */
  ML_LESSON_ACTION_POP3_FETCH,        /* download over POP3, keep or delete */
  ML_LESSON_ACTION_IMAP_SYNC,         /* LIST, SELECT, fetch what is new */
  ML_LESSON_ACTION_IMAP_READ,         /* fetch one message's body (sets \Seen) */
  ML_LESSON_ACTION_IMAP_FLAG,         /* set or clear flags */
  ML_LESSON_ACTION_IMAP_MOVE,         /* move to another mailbox */
  ML_LESSON_ACTION_IMAP_SEARCH,       /* server-side SEARCH */
  ML_LESSON_ACTION_IMAP_DELETE,       /* \Deleted, then EXPUNGE unless told not to */
  ML_LESSON_ACTION_IMAP_IDLE,         /* wait for the server to push news */
  ML_LESSON_ACTION_IMAP_CREATE_FOLDER,
  ML_LESSON_ACTION_IMAP_LOGOUT,
  ML_LESSON_ACTION_CONSOLE,           /* "be the client": typed lines, one
                                         per complete reply (protocol, port,
                                         lines) */
} MlLessonActionKind;

/* A file attached to a send step's message (multipart/mixed). */
typedef struct {
  char    *name;          /* filename parameter, RFC 2183 */
  char    *content_type;  /* "text/plain", "application/pdf", … */
  char    *content;       /* the content as text (lessons are text files) */
  guint    line, column;
} MlLessonAttachment;

/* A change to the network made just before a step's action (its `faults`
 * list): a cable cut or mended, a link that starts losing packets, a host
 * cut off from every link. */
typedef enum {
  ML_LESSON_FAULT_LINK = 0,   /* link: [a, b] with up and/or loss */
  ML_LESSON_FAULT_HOST,       /* host: NAME with up */
  ML_LESSON_FAULT_REPLY,      /* host: NAME, command, reply, times: the
                                 host's SMTP server answers so */
  ML_LESSON_FAULT_DNS,        /* dns: remove | add, name, type (, value,
                                 preference): the zone changes */
} MlLessonFaultKind;

typedef enum {
  ML_LESSON_DNS_REMOVE = 0,   /* every record of the type at the name */
  ML_LESSON_DNS_ADD,
} MlLessonDnsChange;

typedef struct {
  MlLessonFaultKind kind;
  char    *a, *b;       /* link: its ends; host: a is the host, b NULL
                           (spelled as the hosts spell themselves) */
  MlLessonTristate up;  /* DEFAULT: unchanged */
  gboolean set_loss;    /* loss was given */
  double   loss;        /* 0.0 – 1.0 */
  /* REPLY */
  char    *command;     /* "MAIL", "RCPT" or "DATA" (the final dot) */
  char    *reply;       /* as written: "451 4.7.1 Greylisted, try again later" */
  guint    reply_code;  /* 451 */
  char    *reply_enhanced; /* "4.7.1", or NULL */
  char    *reply_text;  /* "Greylisted, try again later" */
  guint    times;       /* how many commands get it (default 1); 0: all */
  /* DNS */
  char    *dns;         /* "remove" or "add", as written */
  MlLessonDnsChange dns_change;
  char    *name;        /* owner name */
  char    *type;        /* "A", "MX", "TXT" (upper case) */
  char    *value;       /* add: as a record's value */
  guint    preference;  /* add, MX: 0–65535 */
  guint    line, column;
} MlLessonFault;

typedef struct {
  MlLessonActionKind kind;
  char    *narrative;   /* shown before the step runs; may be NULL; the
                           Markdown subset of lessons/README.md */
  gboolean pause;       /* pause: the player stops after this step */
  GPtrArray *faults;    /* MlLessonFault*, applied before the action; NULL: none */
  char    *host;        /* the MUA host that acts, spelled as it spells itself */
  /* send */
  char    *from;        /* envelope and From: address */
  GStrv    to;          /* recipients (envelope and To:) */
  char    *subject;     /* "" when not given, never NULL */
  char    *body;        /* LF line ends, each line <= 998 bytes; "" when not given */
  guint    count;       /* send this message N times (default 1) */
  /* retrieval (pop3-*, imap-*) */
  char    *server;      /* the host serving the mailbox (an MDA) */
  char    *account;     /* whose mailbox; its password comes from accounts */
  gboolean keep;        /* pop3-fetch: leave messages on the server */
  gboolean uidl;        /* pop3-fetch: download only what this device has not seen */
  char    *mailbox;     /* imap-*: the mailbox acted in; "INBOX" by default */
  guint32  uid;         /* imap-*: the message by UID (0: not given) */
  char    *message;     /* imap-*: the message whose Subject: contains this */
  GStrv    flags;       /* imap-flag: "\Flagged", keywords */
  gboolean set;         /* imap-flag: TRUE sets, FALSE clears (default TRUE) */
  char    *folder;      /* imap-move destination, imap-create-folder name */
  char    *criteria;    /* imap-search: IMAP SEARCH keys, as typed */
  gboolean expunge;     /* imap-delete: EXPUNGE after \Deleted (default TRUE) */
  guint64  timeout_us;  /* imap-idle: give up after this long (default 29 min) */
  /* send, pop3-fetch, imap-*: how the client protects and logs in. */
  MlLessonTls  tls;     /* tls: opportunistic | none | required | implicit */
  MlLessonAuth auth;    /* auth: none | plain | login | scram-sha-256 | user | apop */
  char    *password;    /* password: given instead of the account's (a wrong
                           one shows a failed login); NULL: the account's */
  GPtrArray *attachments; /* send: MlLessonAttachment*, NULL when none */
  /* console: the student's typed session with a server */
  MlProtocol protocol;  /* protocol: smtp | pop3 | imap */
  guint16  port;        /* port: default the protocol's (25, 110, 143) */
  GStrv    lines;       /* lines: sent one at a time, each after the
                           previous command's complete response */
  guint    line, column;
} MlLessonStep;

const char *ml_lesson_action_to_string (MlLessonActionKind kind);

/* ---- questions ---------------------------------------------------------- */

typedef enum {
  ML_LESSON_QUESTION_CHOICE = 0, /* choices + answer (one of the choices) */
  ML_LESSON_QUESTION_NUMBER,     /* answer (a number) + tolerance */
  ML_LESSON_QUESTION_TEXT,       /* accept: answers taken, no case, trimmed */
  ML_LESSON_QUESTION_PREDICT,    /* predict: the next reply, graded on the trace */
} MlLessonQuestionKind;

typedef struct {
  char    *id;          /* unique in the lesson; "q1" when not given */
  MlLessonQuestionKind kind;
  char    *answer;      /* the key as written (CHOICE, NUMBER); NULL otherwise */
  char    *ask;         /* the question (Markdown subset) */
  guint    after_step;  /* asked after step N (1-based); 0: before the first.
                           PREDICT: ignored, asked before its reply */
  guint    points;      /* default 1 */
  GStrv    choices;     /* CHOICE */
  guint    answer_index;/* CHOICE: 0-based index into choices */
  double   number;      /* NUMBER */
  double   tolerance;   /* NUMBER: |given - number| <= tolerance; default 0 */
  GStrv    accept;      /* TEXT */
  guint    predict_step;    /* PREDICT: the step (1-based) whose reply it is */
  char    *predict_command; /* PREDICT: the reply to this command (upper
                               case); NULL: the step's first reply */
  char    *right;       /* feedback when right; may be NULL */
  char    *wrong;       /* feedback when wrong; may be NULL */
  guint    line, column;
} MlLessonQuestion;

const char *ml_lesson_question_kind_to_string (MlLessonQuestionKind kind);

/* ---- checks ------------------------------------------------------------- */

typedef enum {
  ML_LESSON_CHECK_MAILBOX_COUNT = 0, /* account, mailbox, count */
  ML_LESSON_CHECK_FLAG,              /* account, mailbox, subject, flag, present */
  ML_LESSON_CHECK_DEVICE_COUNT,      /* host, count */
  ML_LESSON_CHECK_ORDER,             /* protocol, first, then: in every session
                                        that sent `then`, `first` came earlier */
  ML_LESSON_CHECK_REPLY,             /* protocol, command, code (or status) */
  ML_LESSON_CHECK_STATE,             /* protocol, state: a session entered it */
  ML_LESSON_CHECK_DELETED_KEPT,      /* account, mailbox: a message is \Deleted
                                        but was not expunged */
  ML_LESSON_CHECK_HEADER,            /* account, mailbox, subject, name, contains,
                                        present: a header field of a message */
} MlLessonCheckKind;

typedef struct {
  char    *id;          /* unique in the lesson; "c1" when not given */
  MlLessonCheckKind kind;
  char    *description; /* for the student: what was checked */
  guint    points;      /* default 1 */
  char    *account;
  char    *mailbox;     /* default "INBOX" */
  guint    count;
  char    *subject;     /* a piece of the Subject: */
  char    *flag;        /* "\Seen", keywords */
  gboolean present;     /* FLAG: TRUE has, FALSE lacks (default TRUE) */
  char    *host;        /* DEVICE_COUNT: the MUA */
  MlProtocol protocol;  /* ORDER, REPLY, STATE */
  char    *first, *then;/* ORDER: command verbs, upper case */
  char    *command;     /* REPLY: verb, upper case */
  guint    code;        /* REPLY: SMTP code; 0 with status */
  char    *status;      /* REPLY: "+OK", "-ERR", "OK", "NO", "BAD" */
  char    *state;       /* STATE: as the engines name it ("update") */
  char    *name;        /* HEADER: the field name ("Authentication-Results") */
  char    *contains;    /* HEADER: text the field's value holds (no case) */
  guint    line, column;
} MlLessonCheck;

const char *ml_lesson_check_kind_to_string (MlLessonCheckKind kind);

typedef struct {
  char      *path;      /* the file it came from, or the name given */
  char      *id;        /* file name without ".yaml": "01-smtp-journey" */
  char      *title;
  char      *level;     /* "beginner", "intermediate", "advanced", or NULL */
  guint      minutes;   /* 0 when not given */
  char      *summary;   /* may be NULL */
  GStrv      goals;     /* learning goals, one line each; NULL when none */
  GStrv      prerequisites; /* lesson ids; NULL when none. That they exist is
                           checked by ml_lesson_check_prerequisites */
  guint      prerequisites_line, prerequisites_column;
  guint32    seed;      /* default seed; --seed overrides */
  gint64     epoch_unix; /* wall-clock time of virtual time 0 (UTC seconds) */
  GPtrArray *hosts;     /* MlLessonHost* */
  GPtrArray *links;     /* MlLessonLink* */
  GPtrArray *records;   /* MlLessonRecord* */
  GPtrArray *accounts;  /* MlLessonAccount* */
  GPtrArray *steps;     /* MlLessonStep* */
  GPtrArray *questions; /* MlLessonQuestion*, in file order; never NULL */
  GPtrArray *checks;    /* MlLessonCheck*, in file order; never NULL */
} MlLesson;

/* Both return a new lesson (transfer full) or NULL with @error set.
 * @filename names @data in messages and gives the id; NULL means "<memory>". */
MlLesson *ml_lesson_load_file (const char *path, GError **error);
MlLesson *ml_lesson_load_data (const char *data, gsize len,
                               const char *filename, GError **error);
void      ml_lesson_free      (MlLesson *lesson);

/* TRUE when every prerequisite names a lesson file (ID.yaml) in @dir; else
 * FALSE with an error at the prerequisite's FILE:LINE:COLUMN. */
gboolean  ml_lesson_check_prerequisites (const MlLesson *lesson, const char *dir,
                                         GError **error);

/* Host names compare without regard to case, as DNS names do (borrowed). */
const MlLessonHost *ml_lesson_find_host (const MlLesson *lesson, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlLesson, ml_lesson_free)

G_END_DECLS

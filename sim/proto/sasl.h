/* sasl.h — SASL mechanisms (RFC 4422), sans-I/O, for every engine.
 *
 * SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034) and IMAP AUTHENTICATE
 * (RFC 3501 6.2.2) all carry the same exchange: the client names a
 * mechanism, then both sides trade base64 messages until the server says
 * yes or no. The engines do the framing (334 / "+ " / continuation lines,
 * "*" to cancel, SASL-IR initial responses); the mechanisms live here,
 * working on decoded bytes, so each is written once and tested against its
 * RFC's vectors.
 *
 * Mechanisms: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login, what
 * every client still offers) and SCRAM-SHA-256 (RFC 5802, RFC 7677) — the
 * challenge-response example where the password never crosses the wire.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 4616 2: authzid, authcid and passwd up to 255 octets each. Our
 * bound on any one decoded SASL message, for every mechanism. */
#define ML_SASL_MAX_MESSAGE       1024
/* RFC 5802 5.1: the iteration count; RFC 7677 4 asks for at least 4096. */
#define ML_SASL_SCRAM_ITERATIONS  4096
#define ML_SASL_SCRAM_SALT_LEN    16
#define ML_SASL_SHA256_LEN        32

#define ML_SASL_ERROR (ml_sasl_error_quark ())
typedef enum {
  ML_SASL_ERROR_MALFORMED,   /* not valid base64, or not the mechanism's syntax:
                                501 5.5.2 / BAD / -ERR (RFC 4954 4) */
  ML_SASL_ERROR_UNSUPPORTED, /* unknown or not offered mechanism: 504 5.5.4 */
  ML_SASL_ERROR_FAILED,      /* wrong credentials: 535 5.7.8 / NO [AUTHENTICATIONFAILED] */
  ML_SASL_ERROR_SERVER,      /* a SCRAM server's proof did not verify (client side) */
} MlSaslError;
GQuark ml_sasl_error_quark (void);

typedef enum {
  ML_SASL_PLAIN = 0,
  ML_SASL_LOGIN,
  ML_SASL_SCRAM_SHA_256,
  ML_SASL_N_MECHANISMS
} MlSaslMechanism;

/* "PLAIN", "LOGIN", "SCRAM-SHA-256". */
const char *ml_sasl_mechanism_name      (MlSaslMechanism mechanism);
/* Case-insensitive (RFC 4422 3.1). FALSE for a name we do not implement. */
gboolean    ml_sasl_mechanism_from_name (const char      *name,
                                         MlSaslMechanism *mechanism_out);
/* Sends the password (or an equivalent of it) readable by anyone on the
 * path: PLAIN and LOGIN. Policy refuses these before TLS. */
gboolean    ml_sasl_mechanism_is_plaintext (MlSaslMechanism mechanism);

/* ---- base64 as SASL uses it (RFC 4648 4, no line breaks) ---- */

/* Strict: only the base64 alphabet, correct padding, nothing else; "="
 * alone is the empty message (RFC 4954 4). NULL with ML_SASL_ERROR_MALFORMED
 * otherwise, or when the result would exceed ML_SASL_MAX_MESSAGE. */
GBytes *ml_sasl_base64_decode (const char *text, gsize len, GError **error);
/* "=" for an empty message. */
char   *ml_sasl_base64_encode (const guint8 *data, gsize len);

/* ---- what a server knows about an account ---- */

/* The password itself when the owner knows it (the simulation does: APOP
 * and the lessons need it), and always the SCRAM keys (RFC 5802 3), which
 * a live server's user file stores instead of the password. PLAIN and
 * LOGIN are checked against the plaintext when present, otherwise by
 * deriving the salted password again and comparing StoredKey. */
typedef struct {
  char   *password;                              /* NULL when not known */
  guint8  salt[ML_SASL_SCRAM_SALT_LEN];
  guint   iterations;
  guint8  stored_key[ML_SASL_SHA256_LEN];        /* H(ClientKey) */
  guint8  server_key[ML_SASL_SHA256_LEN];        /* HMAC(SaltedPassword, "Server Key") */
} MlSaslSecret;

/* Fills @secret from a password: SaltedPassword = PBKDF2-HMAC-SHA-256
 * (OpenSSL) with @salt and @iterations, and keeps a copy of the password.
 * A simulation passes a salt derived from the lesson seed, so the trace
 * stays the same run after run. */
void     ml_sasl_secret_init_from_password (MlSaslSecret *secret,
                                            const char   *password,
                                            const guint8 *salt,
                                            guint         iterations);
void     ml_sasl_secret_clear              (MlSaslSecret *secret);
/* TRUE when @password is the account's (constant-time comparison). */
gboolean ml_sasl_secret_check_password     (const MlSaslSecret *secret,
                                            const char         *password);

/* The owner's account lookup: fills @secret_out and returns TRUE, or
 * FALSE when there is no such user. Called synchronously from step(). */
typedef gboolean (*MlSaslLookupFunc) (const char   *authcid,
                                      MlSaslSecret *secret_out,
                                      gpointer      user_data);

/* ---- server side ---- */

typedef struct _MlSaslServer MlSaslServer;

typedef enum {
  ML_SASL_STEP_CONTINUE = 0,  /* send *out as a challenge, wait for a response */
  ML_SASL_STEP_SUCCESS,       /* authenticated; *out (may be NULL) is the
                                 server's final data (SCRAM's "v="), sent
                                 with the success reply or as a last
                                 challenge per the protocol (RFC 4422 3.6) */
  ML_SASL_STEP_FAILURE,       /* @error says why */
} MlSaslStep;

/* @nonce_seed makes SCRAM's server nonce: a simulation gives one from its
 * seeded RNG so traces repeat; a live server gives real random bytes. */
MlSaslServer *ml_sasl_server_new      (MlSaslMechanism   mechanism,
                                       MlSaslLookupFunc  lookup,
                                       gpointer          user_data,
                                       guint64           nonce_seed);
void          ml_sasl_server_free     (MlSaslServer *self);
/* @response is the client's decoded message, or NULL when the client gave
 * no initial response (the server then starts with an empty challenge). */
MlSaslStep    ml_sasl_server_step     (MlSaslServer *self,
                                       GBytes       *response,
                                       GBytes      **out,
                                       GError      **error);
/* After SUCCESS: who logged in (the authcid; authzid must be empty or the
 * same, RFC 4616 2). Borrowed. */
const char   *ml_sasl_server_get_user (MlSaslServer *self);
/* The identity the client claimed so far, authenticated or not (for a
 * teaching note such as "PLAIN credentials for alice went in clear").
 * NULL before the client named one. Borrowed. */
const char   *ml_sasl_server_get_authcid (MlSaslServer *self);
/* Replaces the SCRAM server nonce part made from the seed (printable, no
 * ','): for tests that replay a published exchange (RFC 7677 3). */
void          ml_sasl_server_set_nonce (MlSaslServer *self,
                                        const char   *nonce);

/* ---- client side ---- */

typedef struct _MlSaslClient MlSaslClient;

MlSaslClient *ml_sasl_client_new      (MlSaslMechanism mechanism,
                                       const char     *user,
                                       const char     *password,
                                       guint64         nonce_seed);
void          ml_sasl_client_free     (MlSaslClient *self);
/* The initial response (PLAIN, SCRAM's client-first-message) or NULL for
 * a mechanism that waits for a challenge (LOGIN). */
GBytes       *ml_sasl_client_initial  (MlSaslClient *self);
/* The next response to @challenge, or NULL with @error (a SCRAM server
 * signature that does not verify: ML_SASL_ERROR_SERVER). */
GBytes       *ml_sasl_client_step     (MlSaslClient *self,
                                       GBytes       *challenge,
                                       GError      **error);
/* SCRAM: TRUE once the server's signature was verified. Other mechanisms:
 * always TRUE (they prove nothing about the server). */
gboolean      ml_sasl_client_server_verified (MlSaslClient *self);
/* Replaces the SCRAM client nonce made from the seed; call before
 * ml_sasl_client_initial (tests replaying RFC 7677 3). */
void          ml_sasl_client_set_nonce (MlSaslClient *self,
                                        const char   *nonce);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlSaslServer, ml_sasl_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlSaslClient, ml_sasl_client_free)

G_END_DECLS

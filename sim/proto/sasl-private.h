/* sasl-private.h — what sasl.c (names, base64, secrets, PLAIN, LOGIN,
 * the step dispatch) and sasl-scram.c (SCRAM-SHA-256, RFC 5802 and RFC
 * 7677) share. Not for other modules: they use sasl.h.
 */
#pragma once

#include "proto/sasl.h"

G_BEGIN_DECLS

/* RFC 7677 4 wants at least 4096 iterations; a client also bounds them
 * from above so a hostile server cannot make it spin (RFC 5802 9). */
#define ML_SASL_SCRAM_MAX_ITERATIONS 1000000

typedef enum {
  SERVER_START = 0,
  SERVER_LOGIN_PASSWORD,   /* LOGIN: user name given, waiting for the password */
  SERVER_SCRAM_FINAL,      /* SCRAM: server-first sent, waiting for client-final */
  SERVER_DONE,
} ServerPhase;

struct _MlSaslServer
{
  MlSaslMechanism  mechanism;
  MlSaslLookupFunc lookup;
  gpointer         user_data;
  ServerPhase      phase;
  char            *nonce;        /* SCRAM: our part of the nonce */
  char            *user;         /* authcid, once known */
  gboolean         authenticated;

  /* SCRAM state between the two client messages */
  MlSaslSecret     secret;
  gboolean         user_known;
  char            *gs2_header;   /* "n,," as the client sent it */
  char            *client_first_bare;
  char            *server_first;
  char            *full_nonce;
};

typedef enum {
  CLIENT_START = 0,
  CLIENT_LOGIN_USER,
  CLIENT_LOGIN_PASSWORD,
  CLIENT_SCRAM_FIRST_SENT,
  CLIENT_SCRAM_FINAL_SENT,
  CLIENT_DONE,
} ClientPhase;

struct _MlSaslClient
{
  MlSaslMechanism mechanism;
  char           *user;
  char           *password;
  char           *nonce;
  ClientPhase     phase;
  gboolean        server_verified;
  char           *client_first_bare;
  guint8          server_signature[ML_SASL_SHA256_LEN];
};

/* sasl.c: OpenSSL HMAC-SHA-256, PBKDF2 (RFC 5802 3 Hi) and the keys. */
void     _ml_sasl_hmac_sha256      (const guint8 *key,
                                    gsize         key_len,
                                    const void   *data,
                                    gsize         data_len,
                                    guint8        out[ML_SASL_SHA256_LEN]);
void     _ml_sasl_salted_password  (const char   *password,
                                    const guint8 *salt,
                                    gsize         salt_len,
                                    guint         iterations,
                                    guint8        out[ML_SASL_SHA256_LEN]);
void     _ml_sasl_keys_from_salted (const guint8 salted[ML_SASL_SHA256_LEN],
                                    guint8       client_key[ML_SASL_SHA256_LEN],
                                    guint8       stored_key[ML_SASL_SHA256_LEN],
                                    guint8       server_key[ML_SASL_SHA256_LEN]);
/* Transfer full; @s is consumed. */
GBytes  *_ml_sasl_bytes_from_string (GString *s);
/* RFC 5802 7 printable: %x21-2B / %x2D-7E, at least one. */
gboolean _ml_sasl_nonce_is_valid   (const char *s, gsize len);
/* No NUL, valid UTF-8 (an empty message is text). */
gboolean _ml_sasl_message_is_text  (GBytes *bytes);
char    *_ml_sasl_message_dup      (GBytes *bytes);
/* Ends the exchange with @code; returns ML_SASL_STEP_FAILURE / NULL. */
MlSaslStep _ml_sasl_server_fail    (MlSaslServer *self,
                                    GError      **error,
                                    MlSaslError   code,
                                    const char   *fmt,
                                    ...) G_GNUC_PRINTF (4, 5);
GBytes  *_ml_sasl_client_fail      (MlSaslClient *self,
                                    GError      **error,
                                    MlSaslError   code,
                                    const char   *message);

/* sasl-scram.c */
MlSaslStep _ml_sasl_scram_server_first  (MlSaslServer *self, GBytes *response,
                                         GBytes **out, GError **error);
MlSaslStep _ml_sasl_scram_server_final  (MlSaslServer *self, GBytes *response,
                                         GBytes **out, GError **error);
GBytes    *_ml_sasl_scram_client_first  (MlSaslClient *self);
GBytes    *_ml_sasl_scram_client_final  (MlSaslClient *self, GBytes *challenge,
                                         GError **error);
GBytes    *_ml_sasl_scram_client_verify (MlSaslClient *self, GBytes *challenge,
                                         GError **error);

G_END_DECLS

/* users.h — the live server's users file: who may log in, never how.
 *
 * One account a line, in the form of RFC 5803 (the LDAP authPassword for
 * SCRAM, which Dovecot also reads):
 *
 *   # comment
 *   alice@example.org:SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>
 *
 * salt, StoredKey and ServerKey are base64 (RFC 4648 4). SaltedPassword is
 * PBKDF2-HMAC-SHA-256 of the password (RFC 5802 3, RFC 7677), StoredKey =
 * SHA-256 (HMAC (SaltedPassword, "Client Key")), ServerKey = HMAC
 * (SaltedPassword, "Server Key"). The password itself is never stored, so
 * the file serves SCRAM-SHA-256 and checks PLAIN/LOGIN/USER-PASS by
 * deriving again; APOP (RFC 1939 7), which needs the plaintext, cannot be
 * offered by a live server.
 *
 * Addresses compare without case (the store folds them too). The file is
 * written whole to a temporary name and renamed, mode 0600.
 */
#pragma once

#include <glib.h>
#include "proto/sasl.h"

G_BEGIN_DECLS

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with its "<>". */
#define ML_USERS_MAX_ADDRESS   254
/* A users file line: address, scheme, iteration count and three base64
 * fields fit well inside this; a longer line is not ours. */
#define ML_USERS_MAX_LINE      1024
/* RFC 4616 2 bounds a PLAIN password at 255 octets; we take the same. */
#define ML_USERS_MAX_PASSWORD  255

#define ML_USERS_ERROR (ml_users_error_quark ())
typedef enum {
  ML_USERS_ERROR_PARSE,        /* a line is not address:SCRAM-SHA-256$… (message has file:line) */
  ML_USERS_ERROR_EXISTS,       /* add: the address is already there */
  ML_USERS_ERROR_NOT_FOUND,    /* remove: no such address */
  ML_USERS_ERROR_INVALID,      /* not an address we accept, or a bad password */
} MlUsersError;
GQuark ml_users_error_quark (void);

typedef struct _MlUsers MlUsers;

MlUsers    *ml_users_new            (void);
void        ml_users_free           (MlUsers *self);
/* A missing file is an empty list. */
MlUsers    *ml_users_load           (const char *path, GError **error);
gboolean    ml_users_save           (MlUsers *self, const char *path, GError **error);

/* Derives the SCRAM keys from @password with a fresh random salt and
 * ML_SASL_SCRAM_ITERATIONS. */
gboolean    ml_users_add            (MlUsers *self, const char *address,
                                     const char *password, GError **error);
/* The same with a given salt and iteration count (tests, imports). */
gboolean    ml_users_add_with_salt  (MlUsers *self, const char *address,
                                     const char *password, const guint8 *salt,
                                     guint iterations, GError **error);
gboolean    ml_users_remove         (MlUsers *self, const char *address, GError **error);
gboolean    ml_users_contains       (MlUsers *self, const char *address);
/* The addresses, sorted, as written (transfer container: free the array,
 * not the strings, which stay the users'). */
GPtrArray  *ml_users_list           (MlUsers *self);
guint       ml_users_get_count      (MlUsers *self);
/* TRUE when @password is @address's (constant-time comparison of the
 * derived StoredKey). */
gboolean    ml_users_check_password (MlUsers *self, const char *address,
                                     const char *password);
/* MlSaslLookupFunc over an MlUsers (@user_data): the SCRAM keys, no
 * password (secret_out->password stays NULL). */
gboolean    ml_users_lookup         (const char   *authcid,
                                     MlSaslSecret *secret_out,
                                     gpointer      user_data);
/* Replaces every user of @self with @other's, leaving @other empty: a
 * running server reloads its file while engines keep @self as their
 * lookup data. */
void        ml_users_take_all       (MlUsers *self, MlUsers *other);
/* One line of the file for @address (without newline), NULL if none. */
char       *ml_users_dup_line       (MlUsers *self, const char *address);

/* What a users file accepts as an address: local@domain, printable ASCII
 * without spaces, ':', '/' or '\\', not starting with '.' (it names the
 * user's maildir), at most ML_USERS_MAX_ADDRESS octets. */
gboolean    ml_users_address_is_valid (const char *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlUsers, ml_users_free)

G_END_DECLS

#define G_LOG_DOMAIN "ml-users"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include "live/users.h"

#define SCHEME "SCRAM-SHA-256"

typedef struct {
  char   *address;     /* as given */
  guint   iterations;
  guint8  salt[ML_SASL_SCRAM_SALT_LEN];
  guint8  stored_key[ML_SASL_SHA256_LEN];
  guint8  server_key[ML_SASL_SHA256_LEN];
} User;

struct _MlUsers
{
  GHashTable *by_key;   /* folded address → User* (owned) */
};

G_DEFINE_QUARK (ml-users-error-quark, ml_users_error)

static void
user_free (gpointer data)
{
  User *u = data;

  g_free (u->address);
  OPENSSL_cleanse (u, sizeof *u);
  g_free (u);
}

static char *
fold (const char *address)
{
  return g_ascii_strdown (address, -1);
}

MlUsers *
ml_users_new (void)
{
  MlUsers *self = g_new0 (MlUsers, 1);

  self->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, user_free);
  return self;
}

void
ml_users_free (MlUsers *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_key);
  g_free (self);
}

gboolean
ml_users_address_is_valid (const char *address)
{
  const char *at;
  gsize len;

  if (address == NULL)
    return FALSE;
  len = strlen (address);
  if (len == 0 || len > ML_USERS_MAX_ADDRESS)
    return FALSE;
  for (const char *p = address; *p; p++)
    if (*p <= ' ' || *p >= 0x7f || *p == ':' || *p == '<' || *p == '>'
        || *p == '/' || *p == '\\')
      return FALSE;
  at = strrchr (address, '@');
  /* The address names a maildir folder: nothing that walks the tree. */
  return at != NULL && at != address && at[1] != '\0' && strchr (address, '@') == at
    && address[0] != '.';
}

/* RFC 5802 3: SaltedPassword, then the two keys the server keeps. */
static gboolean
derive (User *u, const char *password)
{
  guint8 salted[ML_SASL_SHA256_LEN];
  guint8 client_key[ML_SASL_SHA256_LEN];
  unsigned int len = 0;
  gboolean ok;

  ok = PKCS5_PBKDF2_HMAC (password, strlen (password), u->salt, sizeof u->salt,
                          u->iterations, EVP_sha256 (), sizeof salted, salted) == 1
    && HMAC (EVP_sha256 (), salted, sizeof salted, (const guint8 *) "Client Key", 10,
             client_key, &len) != NULL
    && SHA256 (client_key, sizeof client_key, u->stored_key) != NULL
    && HMAC (EVP_sha256 (), salted, sizeof salted, (const guint8 *) "Server Key", 10,
             u->server_key, &len) != NULL;
  OPENSSL_cleanse (salted, sizeof salted);
  OPENSSL_cleanse (client_key, sizeof client_key);
  return ok;
}

gboolean
ml_users_add_with_salt (MlUsers *self, const char *address, const char *password,
                        const guint8 *salt, guint iterations, GError **error)
{
  g_autofree char *key = NULL;
  User *u;

  g_return_val_if_fail (self != NULL && salt != NULL, FALSE);
  if (!ml_users_address_is_valid (address))
    {
      g_set_error (error, ML_USERS_ERROR, ML_USERS_ERROR_INVALID,
                   "“%s” is not an address a users file takes (local@domain, "
                   "no spaces or ':')", address ? address : "");
      return FALSE;
    }
  if (password == NULL || *password == '\0' || strlen (password) > ML_USERS_MAX_PASSWORD)
    {
      g_set_error (error, ML_USERS_ERROR, ML_USERS_ERROR_INVALID,
                   "A password has 1 to %d octets", ML_USERS_MAX_PASSWORD);
      return FALSE;
    }
  key = fold (address);
  if (g_hash_table_contains (self->by_key, key))
    {
      g_set_error (error, ML_USERS_ERROR, ML_USERS_ERROR_EXISTS,
                   "%s is already a user", address);
      return FALSE;
    }
  u = g_new0 (User, 1);
  u->address = g_strdup (address);
  u->iterations = iterations;
  memcpy (u->salt, salt, sizeof u->salt);
  if (!derive (u, password))
    {
      user_free (u);
      g_set_error (error, ML_USERS_ERROR, ML_USERS_ERROR_INVALID,
                   "OpenSSL could not derive the keys");
      return FALSE;
    }
  g_hash_table_insert (self->by_key, g_steal_pointer (&key), u);
  return TRUE;
}

gboolean
ml_users_add (MlUsers *self, const char *address, const char *password, GError **error)
{
  guint8 salt[ML_SASL_SCRAM_SALT_LEN];

  if (RAND_bytes (salt, sizeof salt) != 1)
    {
      g_set_error (error, ML_USERS_ERROR, ML_USERS_ERROR_INVALID,
                   "OpenSSL has no random bytes for a salt");
      return FALSE;
    }
  return ml_users_add_with_salt (self, address, password, salt,
                                 ML_SASL_SCRAM_ITERATIONS, error);
}

void
ml_users_take_all (MlUsers *self, MlUsers *other)
{
  GHashTable *emptied = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, user_free);

  g_return_if_fail (self != NULL && other != NULL);
  g_hash_table_unref (self->by_key);
  self->by_key = other->by_key;
  other->by_key = emptied;
}

gboolean
ml_users_remove (MlUsers *self, const char *address, GError **error)
{
  g_autofree char *key = fold (address);

  if (!g_hash_table_remove (self->by_key, key))
    {
      g_set_error (error, ML_USERS_ERROR, ML_USERS_ERROR_NOT_FOUND,
                   "%s is not a user", address);
      return FALSE;
    }
  return TRUE;
}

static User *
find (MlUsers *self, const char *address)
{
  g_autofree char *key = NULL;

  if (address == NULL)
    return NULL;
  key = fold (address);
  return g_hash_table_lookup (self->by_key, key);
}

gboolean
ml_users_contains (MlUsers *self, const char *address)
{
  return find (self, address) != NULL;
}

guint
ml_users_get_count (MlUsers *self)
{
  return g_hash_table_size (self->by_key);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_ascii_strcasecmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
ml_users_list (MlUsers *self)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->by_key);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (list, ((User *) value)->address);
  g_ptr_array_sort (list, compare_strings);
  return list;
}

gboolean
ml_users_check_password (MlUsers *self, const char *address, const char *password)
{
  User *u = find (self, address);
  User probe = { 0 };
  gboolean ok;

  if (u == NULL || password == NULL || strlen (password) > ML_USERS_MAX_PASSWORD)
    return FALSE;
  probe.iterations = u->iterations;
  memcpy (probe.salt, u->salt, sizeof probe.salt);
  ok = derive (&probe, password)
    && CRYPTO_memcmp (probe.stored_key, u->stored_key, sizeof probe.stored_key) == 0;
  OPENSSL_cleanse (&probe, sizeof probe);
  return ok;
}

gboolean
ml_users_lookup (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  User *u = find (user_data, authcid);

  if (u == NULL)
    return FALSE;
  memset (secret_out, 0, sizeof *secret_out);
  memcpy (secret_out->salt, u->salt, sizeof u->salt);
  secret_out->iterations = u->iterations;
  memcpy (secret_out->stored_key, u->stored_key, sizeof u->stored_key);
  memcpy (secret_out->server_key, u->server_key, sizeof u->server_key);
  return TRUE;
}

/* ---- the file ---- */

static char *
format_line (const User *u)
{
  g_autofree char *salt = g_base64_encode (u->salt, sizeof u->salt);
  g_autofree char *stored = g_base64_encode (u->stored_key, sizeof u->stored_key);
  g_autofree char *server = g_base64_encode (u->server_key, sizeof u->server_key);

  return g_strdup_printf ("%s:" SCHEME "$%u:%s$%s:%s", u->address, u->iterations,
                          salt, stored, server);
}

char *
ml_users_dup_line (MlUsers *self, const char *address)
{
  User *u = find (self, address);

  return u ? format_line (u) : NULL;
}

/* Strict base64 of exactly @len octets. */
static gboolean
decode_exact (const char *text, guint8 *out, gsize len)
{
  g_autofree guchar *raw = NULL;
  gsize raw_len = 0;

  if (*text == '\0' || strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
      != strlen (text) || strlen (text) % 4 != 0)
    return FALSE;
  raw = g_base64_decode (text, &raw_len);
  if (raw_len != len)
    return FALSE;
  memcpy (out, raw, len);
  return TRUE;
}

static User *
parse_line (const char *line)
{
  g_autofree char *copy = g_strdup (line);
  g_auto(GStrv) parts = NULL;
  g_auto(GStrv) first = NULL;
  g_auto(GStrv) keys = NULL;
  char *scheme, *colon, *end;
  guint64 iterations;
  User *u;

  /* address:SCHEME$iter:salt$stored:server — the address has no ':'. */
  colon = strchr (copy, ':');
  if (colon == NULL)
    return NULL;
  *colon = '\0';
  scheme = colon + 1;
  if (!ml_users_address_is_valid (copy) || !g_str_has_prefix (scheme, SCHEME "$"))
    return NULL;
  parts = g_strsplit (scheme + strlen (SCHEME) + 1, "$", -1);
  if (g_strv_length (parts) != 2)
    return NULL;
  first = g_strsplit (parts[0], ":", -1);
  keys = g_strsplit (parts[1], ":", -1);
  if (g_strv_length (first) != 2 || g_strv_length (keys) != 2)
    return NULL;
  iterations = g_ascii_strtoull (first[0], &end, 10);
  /* RFC 7677 4: at least 4096; the upper bound keeps one login cheap. */
  if (*end != '\0' || end == first[0] || iterations < 4096 || iterations > 10000000)
    return NULL;
  u = g_new0 (User, 1);
  u->address = g_strdup (copy);
  u->iterations = iterations;
  if (!decode_exact (first[1], u->salt, sizeof u->salt)
      || !decode_exact (keys[0], u->stored_key, sizeof u->stored_key)
      || !decode_exact (keys[1], u->server_key, sizeof u->server_key))
    {
      user_free (u);
      return NULL;
    }
  return u;
}

MlUsers *
ml_users_load (const char *path, GError **error)
{
  g_autoptr(MlUsers) self = ml_users_new ();
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) local = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&self);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      User *u;
      char *key;

      if (*line == '\0' || *line == '#')
        continue;
      u = strlen (line) <= ML_USERS_MAX_LINE ? parse_line (line) : NULL;
      if (u == NULL)
        {
          g_set_error (error, ML_USERS_ERROR, ML_USERS_ERROR_PARSE,
                       "%s:%u: not address:" SCHEME "$iterations:salt$StoredKey:ServerKey",
                       path, i + 1);
          return NULL;
        }
      key = fold (u->address);
      if (g_hash_table_contains (self->by_key, key))
        {
          g_set_error (error, ML_USERS_ERROR, ML_USERS_ERROR_PARSE,
                       "%s:%u: %s is listed twice", path, i + 1, u->address);
          g_free (key);
          user_free (u);
          return NULL;
        }
      g_hash_table_insert (self->by_key, key, u);
    }
  return g_steal_pointer (&self);
}

gboolean
ml_users_save (MlUsers *self, const char *path, GError **error)
{
  g_autoptr(GString) text = g_string_new ("# maillab users: address:" SCHEME
                                          "$iterations:salt$StoredKey:ServerKey (RFC 5803)\n");
  g_autoptr(GPtrArray) list = ml_users_list (self);

  for (guint i = 0; i < list->len; i++)
    {
      g_autofree char *line = format_line (find (self, list->pdata[i]));

      g_string_append (text, line);
      g_string_append_c (text, '\n');
    }
  /* Written to a temporary name, fsynced and renamed: a crash leaves the
   * old file or the new one, never half of one. */
  return g_file_set_contents_full (path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT
                                   | G_FILE_SET_CONTENTS_DURABLE, 0600, error);
}

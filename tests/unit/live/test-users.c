/* The live server's users file: RFC 5803 lines, keys derived as RFC 5802
 * says, no plaintext anywhere. */
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include "live/users.h"

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("ml-users-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "users", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static const guint8 test_salt[ML_SASL_SCRAM_SALT_LEN] = {
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};

/* The expected keys were computed independently with Python's hashlib:
 * pbkdf2_hmac('sha256', b'pencil', bytes(range(16)), 4096), then
 * SHA-256(HMAC(sp, "Client Key")) and HMAC(sp, "Server Key"). */
static void
test_derive_vector (void)
{
  g_autoptr(MlUsers) users = ml_users_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  g_assert_true (ml_users_add_with_salt (users, "user@example.org", "pencil", test_salt, 4096, &error));
  g_assert_no_error (error);
  line = ml_users_dup_line (users, "user@example.org");
  g_assert_cmpstr (line, ==,
                   "user@example.org:SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw=="
                   "$zHCdol2044/ZyWzPLi7oxApCkamKw9Z+E4U/QApd/5Y="
                   ":dd5peBOitVnLNFu7VmwP+HiDaaw4OUCv396eVCWhYiE=");
}

static void
test_save_load (Fixture *f, gconstpointer data)
{
  g_autoptr(MlUsers) users = ml_users_new ();
  g_autoptr(MlUsers) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *text = NULL;
  GStatBuf st;

  g_assert_true (ml_users_add (users, "bob@example.org", "hunter2-bob", &error));
  g_assert_true (ml_users_add (users, "Alice@Example.org", "correct horse", &error));
  g_assert_no_error (error);
  g_assert_true (ml_users_save (users, f->path, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (f->path, &text, NULL, NULL));
  g_assert_null (strstr (text, "hunter2-bob"));
  g_assert_null (strstr (text, "correct horse"));
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  loaded = ml_users_load (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ml_users_get_count (loaded), ==, 2);
  list = ml_users_list (loaded);
  g_assert_cmpstr (list->pdata[0], ==, "Alice@Example.org");
  g_assert_cmpstr (list->pdata[1], ==, "bob@example.org");
  g_assert_true (ml_users_check_password (loaded, "alice@example.org", "correct horse"));
  g_assert_false (ml_users_check_password (loaded, "alice@example.org", "correct horsE"));
  g_assert_false (ml_users_check_password (loaded, "alice@example.org", "hunter2-bob"));
  g_assert_true (ml_users_check_password (loaded, "BOB@example.org", "hunter2-bob"));
  g_assert_false (ml_users_check_password (loaded, "carol@example.org", "x"));
}

static void
test_missing_file (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlUsers) users = ml_users_load (f->path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (ml_users_get_count (users), ==, 0);
}

static void
test_lookup (void)
{
  g_autoptr(MlUsers) users = ml_users_new ();
  MlSaslSecret secret;

  g_assert_true (ml_users_add_with_salt (users, "user@example.org", "pencil", test_salt, 4096, NULL));
  memset (&secret, 0xaa, sizeof secret);
  g_assert_true (ml_users_lookup ("USER@example.org", &secret, users));
  g_assert_null (secret.password);
  g_assert_cmpuint (secret.iterations, ==, 4096);
  g_assert_cmpmem (secret.salt, sizeof secret.salt, test_salt, sizeof test_salt);
  /* StoredKey's first octets, from the vector above (0xcc 0x70 …). */
  g_assert_cmphex (secret.stored_key[0], ==, 0xcc);
  g_assert_cmphex (secret.stored_key[1], ==, 0x70);
  g_assert_false (ml_users_lookup ("nobody@example.org", &secret, users));
}

static void
test_refusals (void)
{
  g_autoptr(MlUsers) users = ml_users_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *long_password = g_strnfill (ML_USERS_MAX_PASSWORD + 1, 'x');
  static const char *const bad[] = {
    "", "nodomain", "@example.org", "a@", "a@b@c", "a b@example.org", "a:b@example.org",
    "../x@example.org", "a/b@example.org", ".hidden@example.org", "é@example.org",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (ml_users_add (users, bad[i], "pw", &error));
      g_assert_error (error, ML_USERS_ERROR, ML_USERS_ERROR_INVALID);
      g_clear_error (&error);
    }
  g_assert_false (ml_users_add (users, "a@example.org", "", &error));
  g_assert_error (error, ML_USERS_ERROR, ML_USERS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ml_users_add (users, "a@example.org", long_password, &error));
  g_assert_error (error, ML_USERS_ERROR, ML_USERS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (ml_users_add (users, "a@example.org", "pw", &error));
  g_assert_false (ml_users_add (users, "A@EXAMPLE.ORG", "pw", &error));
  g_assert_error (error, ML_USERS_ERROR, ML_USERS_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (ml_users_remove (users, "b@example.org", &error));
  g_assert_error (error, ML_USERS_ERROR, ML_USERS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (ml_users_remove (users, "A@example.org", &error));
  g_assert_cmpuint (ml_users_get_count (users), ==, 0);
}

static void
test_parse_errors (Fixture *f, gconstpointer data)
{
  static const char *const bad_lines[] = {
    "alice@example.org:{PLAIN}secret",                       /* not SCRAM */
    "alice@example.org:SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$short:short",
    "alice@example.org:SCRAM-SHA-256$100:AAECAwQFBgcICQoLDA0ODw=="   /* too few rounds */
    "$zHCdol2044/ZyWzPLi7oxApCkamKw9Z+E4U/QApd/5Y=:dd5peBOitVnLNFu7VmwP+HiDaaw4OUCv396eVCWhYiE=",
    "alice@example.org",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad_lines); i++)
    {
      g_autofree char *text = g_strdup_printf ("# comment\n\n%s\n", bad_lines[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(MlUsers) users = NULL;

      g_assert_true (g_file_set_contents (f->path, text, -1, NULL));
      users = ml_users_load (f->path, &error);
      g_assert_null (users);
      g_assert_error (error, ML_USERS_ERROR, ML_USERS_ERROR_PARSE);
      /* The line number is the file's, comments and blanks counted. */
      g_assert_nonnull (strstr (error->message, ":3:"));
    }
}

/* A reload swaps the list in place: whoever holds the MlUsers (every
 * engine's lookup data) sees the new users. */
static void
test_take_all (void)
{
  g_autoptr(MlUsers) users = ml_users_new ();
  g_autoptr(MlUsers) fresh = ml_users_new ();
  MlSaslSecret secret;

  g_assert_true (ml_users_add (users, "old@example.org", "pw-old", NULL));
  g_assert_true (ml_users_add (fresh, "new@example.org", "pw-new", NULL));
  ml_users_take_all (users, fresh);
  g_assert_cmpuint (ml_users_get_count (fresh), ==, 0);
  g_assert_cmpuint (ml_users_get_count (users), ==, 1);
  g_assert_false (ml_users_lookup ("old@example.org", &secret, users));
  g_assert_true (ml_users_lookup ("new@example.org", &secret, users));
  g_assert_true (ml_users_check_password (users, "new@example.org", "pw-new"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/live/users/derive-vector", test_derive_vector);
  g_test_add ("/live/users/save-load", Fixture, NULL, fixture_setup, test_save_load, fixture_teardown);
  g_test_add ("/live/users/missing-file", Fixture, NULL, fixture_setup, test_missing_file, fixture_teardown);
  g_test_add_func ("/live/users/lookup", test_lookup);
  g_test_add_func ("/live/users/refusals", test_refusals);
  g_test_add_func ("/live/users/take-all", test_take_all);
  g_test_add ("/live/users/parse-errors", Fixture, NULL, fixture_setup, test_parse_errors, fixture_teardown);
  return g_test_run ();
}

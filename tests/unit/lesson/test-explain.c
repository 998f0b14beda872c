/* test-explain.c — the teaching-note catalog: good files, the fallback
 * lookup, and bad files that must fail with FILE:LINE:COLUMN. */
#include <string.h>
#include <glib/gstdio.h>

#include "lesson/explain.h"
#include "ml-config.h"

/* Line numbers in the tests below refer to this file. */
static const char good_catalog[] =
  "smtp.rcpt:\n"                                                       /* 1 */
  "  title: RCPT TO — one recipient of the envelope\n"                 /* 2 */
  "  rfc: RFC 5321 4.1.1.3\n"                                          /* 3 */
  "  text: >\n"                                                        /* 4 */
  "    The client names one recipient.\n"                              /* 5 */
  "    It may send RCPT many times.\n"                                 /* 6 */
  "\n"                                                                 /* 7 */
  "smtp.reply.4xx:\n"                                                  /* 8 */
  "  title: A temporary failure\n"                                     /* 9 */
  "  rfc: RFC 5321 4.2.1\n"                                            /* 10 */
  "  text: The server cannot do it now; the client tries again later.\n" /* 11 */
  "smtp.reply:\n"                                                      /* 12 */
  "  title: A reply\n"                                                 /* 13 */
  "  rfc: RFC 5321 4.2\n"                                              /* 14 */
  "  text: Every command gets a three-digit reply code and some text.\n" /* 15 */
  "imap.untagged:\n"                                                   /* 16 */
  "  title: Untagged data\n"                                           /* 17 */
  "  rfc: RFC 3501 7; RFC 2177 3\n"                                    /* 18 */
  "  text: |\n"                                                        /* 19 */
  "    Lines starting with a star carry data the client did not ask for.\n" /* 20 */
  "\n"                                                                 /* 21 */
  "    A second paragraph.\n";                                         /* 22 */

/* A note whose every field is valid, for tests that spoil one line. */
#define NOTE(key) \
  key ":\n" \
  "  title: A title\n" \
  "  rfc: RFC 5321 4.1.1.3\n" \
  "  text: Forty characters or more of explanation for a student.\n"

static MlExplainCatalog *
load_good (void)
{
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = ml_explain_catalog_load_data (catalog, good_catalog, strlen (good_catalog),
                                     "good.yaml", &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return g_steal_pointer (&catalog);
}

/* Loading @data must fail with a message starting with @where ("t.yaml:3:5: ")
 * and containing @what; the catalog must stay as it was. */
static void
assert_load_fails (const char *data, gint code, const char *where, const char *what)
{
  g_autoptr(MlExplainCatalog) catalog = load_good ();
  g_autoptr(GError) error = NULL;
  guint before = ml_explain_catalog_get_size (catalog);
  gboolean ok;

  ok = ml_explain_catalog_load_data (catalog, data, strlen (data), "t.yaml", &error);
  g_assert_false (ok);
  g_assert_error (error, ML_LESSON_ERROR, code);
  if (!g_str_has_prefix (error->message, where) || strstr (error->message, what) == NULL)
    g_error ("expected \"%s…%s…\", got \"%s\"", where, what, error->message);
  g_assert_cmpuint (ml_explain_catalog_get_size (catalog), ==, before);
}

static char *
source_path (const char *relative)
{
  const char *root = g_getenv ("ML_SOURCE_DIR");
  g_autofree char *fallback = g_path_get_dirname (ML_SOURCE_LESSONS_DIR);

  return g_build_filename (root ? root : fallback, relative, NULL);
}

/* ---- good files ---- */

static void
test_load_fields (void)
{
  g_autoptr(MlExplainCatalog) catalog = load_good ();
  const MlExplanation *e;

  g_assert_cmpuint (ml_explain_catalog_get_size (catalog), ==, 4);
  e = ml_explain_catalog_lookup (catalog, "smtp.rcpt");
  g_assert_nonnull (e);
  g_assert_cmpstr (e->key, ==, "smtp.rcpt");
  g_assert_cmpstr (e->title, ==, "RCPT TO — one recipient of the envelope");
  g_assert_cmpstr (e->rfc, ==, "RFC 5321 4.1.1.3");
  /* Folded: one line, no final newline. */
  g_assert_cmpstr (e->text, ==, "The client names one recipient. It may send RCPT many times.");
  g_assert_cmpstr (e->file, ==, "good.yaml");
  g_assert_cmpuint (e->line, ==, 1);

  e = ml_explain_catalog_lookup (catalog, "imap.untagged");
  g_assert_nonnull (e);
  g_assert_cmpstr (e->rfc, ==, "RFC 3501 7; RFC 2177 3");
  g_assert_cmpstr (e->text, ==, "Lines starting with a star carry data the client did not ask "
                   "for.\n\nA second paragraph.");
  g_assert_cmpuint (e->line, ==, 16);
}

static void
test_load_empty (void)
{
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autoptr(GError) error = NULL;
  const char *empty[] = { "", "# only a comment\n", "~\n" };

  for (gsize i = 0; i < G_N_ELEMENTS (empty); i++)
    {
      gboolean ok = ml_explain_catalog_load_data (catalog, empty[i], strlen (empty[i]),
                                                  NULL, &error);
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  g_assert_cmpuint (ml_explain_catalog_get_size (catalog), ==, 0);
}

static void
test_rfc_forms (void)
{
  const char *good[] = {
    "RFC 5321", "RFC 5321 4.1.1.3", "RFC 5321 3", "RFC 5321 F.6",
    "RFC 5321 3.3; RFC 2920 3.1", "RFC 9293 3.10.7.4; RFC 6298 5; RFC 5681",
  };
  const char *bad[] = {
    "5321 4.1", "rfc 5321", "RFC", "RFC 0321", "RFC 123456 1", "RFC 5321 4.", "RFC 5321 .4",
    "RFC 5321 4..1", "RFC 5321 section 4", "RFC 5321, RFC 2920", "RFC 5321;RFC 2920",
    "RFC 5321 3.3;", "RFC  5321", "RFC 5321 4.1 x",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *data = g_strdup_printf ("a.b:\n  title: T\n  rfc: %s\n"
                                               "  text: Forty characters or more of text "
                                               "for the student.\n", good[i]);

      ml_explain_catalog_load_data (catalog, data, strlen (data), "t.yaml", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (ml_explain_catalog_lookup (catalog, "a.b")->rfc, ==, good[i]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *data = g_strdup_printf ("a.b:\n  title: T\n  rfc: \"%s\"\n"
                                               "  text: Forty characters or more of text "
                                               "for the student.\n", bad[i]);

      assert_load_fails (data, ML_LESSON_ERROR_INVALID, "t.yaml:3:8: ", "is not a reference");
    }
}

/* ---- lookup ---- */

static void
test_find_fallback (void)
{
  g_autoptr(MlExplainCatalog) catalog = load_good ();
  const struct {
    const char *key;
    const char *found;   /* NULL: nothing */
  } cases[] = {
    { "smtp.rcpt",             "smtp.rcpt" },       /* exact */
    { "smtp.reply.451",        "smtp.reply.4xx" },  /* the code's class */
    { "smtp.reply.4xx",        "smtp.reply.4xx" },
    { "smtp.reply.550",        "smtp.reply" },      /* no 5xx: the prefix */
    { "smtp.reply.2",          "smtp.reply" },      /* not a code */
    { "smtp.reply.4510",       "smtp.reply" },
    { "smtp.reply",            "smtp.reply" },
    { "imap.untagged.foo",     "imap.untagged" },
    { "imap.untagged.foo.bar", "imap.untagged" },
    { "smtp.rcpt.extra",       "smtp.rcpt" },
    { "smtp",                  NULL },              /* the area alone */
    { "smtp.vrfy",             NULL },              /* "smtp" is no fallback */
    { "pop3.reply.451",        NULL },
    { "",                      NULL },
    { "smtp.",                 NULL },
    { ".rcpt",                 NULL },
    { "x.451",                 NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const MlExplanation *e = ml_explain_catalog_find (catalog, cases[i].key);

      g_test_message ("find (\"%s\")", cases[i].key);
      g_assert_cmpstr (e ? e->key : NULL, ==, cases[i].found);
    }
  /* lookup() is exact only. */
  g_assert_null (ml_explain_catalog_lookup (catalog, "smtp.reply.451"));
  g_assert_null (ml_explain_catalog_lookup (catalog, "imap.untagged.exists"));
}

static void
test_list_sorted (void)
{
  g_autoptr(MlExplainCatalog) catalog = load_good ();
  g_autoptr(GPtrArray) list = ml_explain_catalog_list (catalog);
  const char *expected[] = { "imap.untagged", "smtp.rcpt", "smtp.reply", "smtp.reply.4xx" };

  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < list->len; i++)
    g_assert_cmpstr (((MlExplanation *) list->pdata[i])->key, ==, expected[i]);
}

/* ---- bad files ---- */

static void
test_error_duplicate_in_file (void)
{
  assert_load_fails (NOTE ("a.b") NOTE ("c.d") NOTE ("a.b"), ML_LESSON_ERROR_INVALID,
                     "t.yaml:9:1: ", "'a.b' is explained twice (first on line 1)");
}

static void
test_error_duplicate_across_loads (void)
{
  /* "smtp.rcpt" is in good.yaml, which load_good() loaded first. */
  assert_load_fails (NOTE ("a.b") NOTE ("smtp.rcpt"), ML_LESSON_ERROR_INVALID,
                     "t.yaml:5:1: ", "'smtp.rcpt' is already explained in good.yaml, line 1");
}

static void
test_error_fields (void)
{
  assert_load_fails ("a.b:\n  title: T\n  rfc: RFC 5321\n  txt: x\n", ML_LESSON_ERROR_INVALID,
                     "t.yaml:4:3: ", "unknown field 'txt'");
  assert_load_fails ("a.b:\n  title: T\n  rfc: RFC 5321\n  title: U\n", ML_LESSON_ERROR_INVALID,
                     "t.yaml:4:3: ", "'title' appears twice (first on line 2)");
  assert_load_fails ("a.b:\n  title: T\n  rfc: RFC 5321\n", ML_LESSON_ERROR_INVALID,
                     "t.yaml:2:3: ", "a.b: 'text' is missing");
  assert_load_fails ("a.b:\n", ML_LESSON_ERROR_INVALID,
                     "t.yaml:1:1: ", "expected 'title:', 'rfc:' and 'text:' lines");
  assert_load_fails ("a.b: some text\n", ML_LESSON_ERROR_INVALID,
                     "t.yaml:1:6: ", "found a single value");
  assert_load_fails ("a.b:\n  title: [T]\n  rfc: RFC 5321\n  text: x\n", ML_LESSON_ERROR_INVALID,
                     "t.yaml:2:10: ", "a.b: title: expected a single value, found a list");
  assert_load_fails ("a.b:\n  title:\n  rfc: RFC 5321\n  text: x\n", ML_LESSON_ERROR_INVALID,
                     "t.yaml:2:9: ", "a.b: title is empty");
}

static void
test_error_lengths (void)
{
  g_autofree char *long_title = g_strnfill (ML_EXPLAIN_MAX_TITLE + 1, 'T');
  g_autofree char *long_text = g_strnfill (ML_EXPLAIN_MAX_TEXT + 1, 'x');
  g_autofree char *max_text = g_strnfill (ML_EXPLAIN_MAX_TEXT, 'x');
  g_autofree char *data = NULL;
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autoptr(GError) error = NULL;

  data = g_strdup_printf ("a.b:\n  title: %s\n  rfc: RFC 5321\n  text: %s\n", long_title, max_text);
  assert_load_fails (data, ML_LESSON_ERROR_INVALID, "t.yaml:2:10: ", "the title has 101 characters");
  g_free (data);
  data = g_strdup_printf ("a.b:\n  title: T\n  rfc: RFC 5321\n  text: %s\n", long_text);
  assert_load_fails (data, ML_LESSON_ERROR_INVALID, "t.yaml:4:9: ", "the text has 1201 characters");
  assert_load_fails ("a.b:\n  title: T\n  rfc: RFC 5321\n  text: Too short.\n",
                     ML_LESSON_ERROR_INVALID, "t.yaml:4:9: ", "the text has 10 characters");
  assert_load_fails ("a.b:\n  title: \"T\\nU\"\n  rfc: RFC 5321\n  text: x\n",
                     ML_LESSON_ERROR_INVALID, "t.yaml:2:10: ", "the title must be one line");
  assert_load_fails ("a.b:\n  title: T\n  rfc: RFC 5321\n"
                     "  text: \"Forty characters or more,\\tand a tab in them.\"\n",
                     ML_LESSON_ERROR_INVALID, "t.yaml:4:9: ", "the text contains a tab");

  /* The limits themselves are allowed; characters are counted, not bytes. */
  g_free (data);
  data = g_strdup_printf ("a.b:\n  title: %.*s\n  rfc: RFC 5321\n  text: %s\n",
                          ML_EXPLAIN_MAX_TITLE - 1, long_title, max_text);
  ml_explain_catalog_load_data (catalog, data, strlen (data), "t.yaml", &error);
  g_assert_no_error (error);
  g_free (data);
  {
    g_autoptr(GString) accents = g_string_new (NULL);

    for (guint i = 0; i < ML_EXPLAIN_MAX_TITLE; i++)
      g_string_append (accents, "é");
    data = g_strdup_printf ("c.d:\n  title: %s\n  rfc: RFC 5321\n  text: %s\n",
                            accents->str, max_text);
  }
  ml_explain_catalog_load_data (catalog, data, strlen (data), "t.yaml", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ml_explain_catalog_get_size (catalog), ==, 2);
}

static void
test_error_keys (void)
{
  const struct {
    const char *key;
    const char *what;
  } bad[] = {
    { "Smtp.rcpt",  "must start with a lower-case letter" },
    { "smtp.RCPT",  "keys are written in lower case" },
    { "smtp..rcpt", "'.' and '-' must stand between" },
    { "smtp.rcpt.", "'.' and '-' must stand between" },
    { "smtp.-x",    "'.' and '-' must stand between" },
    { "smtp_rcpt",  "only a-z, 0-9" },
    { "smtp rcpt",  "only a-z, 0-9" },
    { "4xx",        "must start with a lower-case letter" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *data = g_strdup_printf ("\"%s\":\n  title: T\n  rfc: RFC 5321\n"
                                               "  text: x\n", bad[i].key);

      g_test_message ("key \"%s\"", bad[i].key);
      assert_load_fails (data, ML_LESSON_ERROR_INVALID, "t.yaml:1:1: ", bad[i].what);
    }
  {
    g_autofree char *long_key = g_strnfill (ML_EXPLAIN_MAX_KEY + 1, 'k');
    g_autofree char *data = g_strdup_printf (NOTE ("a.b") "%s:\n  title: T\n", long_key);

    assert_load_fails (data, ML_LESSON_ERROR_INVALID, "t.yaml:5:1: ", "longer than 64 characters");
  }
}

static void
test_error_not_a_catalog (void)
{
  assert_load_fails ("- a\n- b\n", ML_LESSON_ERROR_INVALID, "t.yaml:1:1: ",
                     "this file is a list");
  assert_load_fails (NOTE ("a.b") "c.d:\n  title: [unclosed\n", ML_LESSON_ERROR_PARSE,
                     "t.yaml:7:", "not valid YAML");
  assert_load_fails (NOTE ("a.b") "\tc.d: x\n", ML_LESSON_ERROR_PARSE,
                     "t.yaml:5:1: ", "tab");
}

/* A file with an error adds nothing, not even the notes before it. */
static void
test_error_is_atomic (void)
{
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autoptr(GError) error = NULL;
  const char data[] = NOTE ("a.b") NOTE ("c.d") "e.f:\n  title: T\n";

  g_assert_false (ml_explain_catalog_load_data (catalog, data, strlen (data), "t.yaml", &error));
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
  g_assert_cmpuint (ml_explain_catalog_get_size (catalog), ==, 0);
  g_assert_null (ml_explain_catalog_lookup (catalog, "a.b"));
}

/* ---- folders ---- */

typedef struct {
  char *dir;
} TempDir;

static void
temp_dir_setup (TempDir *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-explain-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
temp_dir_teardown (TempDir *fixture, gconstpointer data)
{
  g_autoptr(GDir) d = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_assert_cmpint (g_remove (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->dir);
}

static char *
write_file (TempDir *fixture, const char *name, const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_dir_load (TempDir *fixture, gconstpointer data)
{
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *b = write_file (fixture, "b.yaml", NOTE ("b.one") NOTE ("b.two"));
  g_autofree char *a = write_file (fixture, "a.yaml", NOTE ("a.one"));
  g_autofree char *c = write_file (fixture, "c.yml", "not: [read\n");
  g_autofree char *d = write_file (fixture, ".#d.yaml", "not: [read\n");
  g_autofree char *e = write_file (fixture, "e.yaml~", "not: [read\n");
  const MlExplanation *x;

  g_assert_true (ml_explain_catalog_load_dir (catalog, fixture->dir, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ml_explain_catalog_get_size (catalog), ==, 3);
  x = ml_explain_catalog_lookup (catalog, "b.two");
  g_assert_nonnull (x);
  g_assert_cmpstr (x->file, ==, b);
  g_assert_cmpuint (x->line, ==, 5);
}

static void
test_dir_duplicate (TempDir *fixture, gconstpointer data)
{
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autoptr(GError) error = NULL;
  /* Read in name order, so the second mention is always in b.yaml. */
  g_autofree char *b = write_file (fixture, "b.yaml", NOTE ("x.one") NOTE ("same.key"));
  g_autofree char *a = write_file (fixture, "a.yaml", NOTE ("a.one") NOTE ("a.two") NOTE ("same.key"));
  g_autofree char *where = g_strdup_printf ("%s:5:1: ", b);
  g_autofree char *what = g_strdup_printf ("'same.key' is already explained in %s, line 9", a);

  g_assert_false (ml_explain_catalog_load_dir (catalog, fixture->dir, &error));
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, where));
  g_assert_nonnull (strstr (error->message, what));
  /* Nothing of the folder was added, not even a.yaml. */
  g_assert_cmpuint (ml_explain_catalog_get_size (catalog), ==, 0);
}

static void
test_dir_bad_file (TempDir *fixture, gconstpointer data)
{
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *a = write_file (fixture, "a.yaml", NOTE ("a.one"));
  g_autofree char *b = write_file (fixture, "b.yaml",
                                   NOTE ("b.one") "b.two:\n  title: T\n  rfc: 5321\n  text: x\n");
  g_autofree char *where = g_strdup_printf ("%s:7:8: ", b);

  g_assert_false (ml_explain_catalog_load_dir (catalog, fixture->dir, &error));
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, where));
  g_assert_cmpuint (ml_explain_catalog_get_size (catalog), ==, 0);
}

static void
test_dir_missing (void)
{
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (ml_explain_catalog_load_dir (catalog, "/nonexistent/maillab-explain", &error));
  g_assert_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_PARSE);
  g_assert_true (g_str_has_prefix (error->message, "/nonexistent/maillab-explain: "));
}

/* The catalog the project ships loads, and a few notes every lesson needs
 * are where a student expects them. */
static void
test_shipped (void)
{
  g_autoptr(MlExplainCatalog) catalog = ml_explain_catalog_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = source_path ("lessons/explain");
  const struct {
    const char *key;
    const char *found;
    const char *rfc;
  } expected[] = {
    { "smtp.rcpt",            "smtp.rcpt",            "RFC 5321 4.1.1.3" },
    { "smtp.reply.354",       "smtp.reply.354",       "RFC 5321 4.1.1.4" },
    { "smtp.reply.599",       "smtp.reply.5xx",       NULL },
    { "tcp.syn",              "tcp.syn",              NULL },
    { "dns.mx",               "dns.mx",               NULL },
    { "smtp.queue.next-mx",   "smtp.queue.next-mx",   NULL },
    { "imap.untagged.x-fancy", "imap.untagged",       NULL },
  };

  g_assert_true (ml_explain_catalog_load_dir (catalog, dir, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ml_explain_catalog_get_size (catalog), >=, 100);
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      const MlExplanation *e = ml_explain_catalog_find (catalog, expected[i].key);

      g_test_message ("find (\"%s\")", expected[i].key);
      g_assert_nonnull (e);
      g_assert_cmpstr (e->key, ==, expected[i].found);
      if (expected[i].rfc != NULL)
        g_assert_true (g_str_has_prefix (e->rfc, expected[i].rfc));
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/explain/load/fields", test_load_fields);
  g_test_add_func ("/explain/load/empty", test_load_empty);
  g_test_add_func ("/explain/load/rfc-forms", test_rfc_forms);
  g_test_add_func ("/explain/find/fallback", test_find_fallback);
  g_test_add_func ("/explain/list/sorted", test_list_sorted);
  g_test_add_func ("/explain/error/duplicate-in-file", test_error_duplicate_in_file);
  g_test_add_func ("/explain/error/duplicate-across-loads", test_error_duplicate_across_loads);
  g_test_add_func ("/explain/error/fields", test_error_fields);
  g_test_add_func ("/explain/error/lengths", test_error_lengths);
  g_test_add_func ("/explain/error/keys", test_error_keys);
  g_test_add_func ("/explain/error/not-a-catalog", test_error_not_a_catalog);
  g_test_add_func ("/explain/error/atomic", test_error_is_atomic);
  g_test_add ("/explain/dir/load", TempDir, NULL, temp_dir_setup, test_dir_load, temp_dir_teardown);
  g_test_add ("/explain/dir/duplicate", TempDir, NULL, temp_dir_setup, test_dir_duplicate,
              temp_dir_teardown);
  g_test_add ("/explain/dir/bad-file", TempDir, NULL, temp_dir_setup, test_dir_bad_file,
              temp_dir_teardown);
  g_test_add_func ("/explain/dir/missing", test_dir_missing);
  g_test_add_func ("/explain/shipped", test_shipped);

  return g_test_run ();
}

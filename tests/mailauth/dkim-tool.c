/* dkim-tool — our DKIM signer and verifier as a filter, so that
 * check-dkimpy.py can cross-check them against dkimpy.
 *
 *   dkim-tool sign rsa|ed25519 simple|relaxed/simple|relaxed SEED DOMAIN SELECTOR
 *     reads a message (CRLF) on stdin; prints the key's TXT record on one
 *     line, then the signed message.
 *   dkim-tool verify TXT
 *     reads a message on stdin, answers every key query with TXT and
 *     prints "<result> <reason>" per signature.
 */
#include <stdio.h>
#include <string.h>
#include "mailauth/dkim-private.h"

static GString *
read_stdin (void)
{
  GString *s = g_string_new (NULL);
  char buf[4096];
  size_t n;

  while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
    g_string_append_len (s, buf, (gssize) n);
  return s;
}

static int
sign (char **argv)
{
  MlDkimAlgorithm alg = strcmp (argv[2], "ed25519") == 0 ? ML_DKIM_ED25519_SHA256 : ML_DKIM_RSA_SHA256;
  g_autoptr(MlDkimPkey) key = ml_dkim_key_generate (alg, g_ascii_strtoull (argv[4], NULL, 10),
                                                    argv[5], argv[6]);
  MlDkimSignOptions opt = { argv[5], argv[6], 0, 0, NULL, 1795514400 };
  g_autoptr(GString) msg = read_stdin ();
  g_autoptr(GError) error = NULL;
  g_autofree char *txt = NULL, *field = NULL;

  if (key == NULL || !ml_dkim_parse_canon (argv[3], &opt.header_canon, &opt.body_canon))
    return 2;
  txt = ml_dkim_key_txt_record (key);
  field = ml_dkim_sign (msg->str, msg->len, &opt, key, &error);
  if (field == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  printf ("%s\n%s%s", txt, field, msg->str);
  return 0;
}

static int
verify (char **argv)
{
  g_autoptr(GString) msg = read_stdin ();
  g_autoptr(MlDkimVerify) v = ml_dkim_verify_new (msg->str, msg->len);
  const char *values[] = { argv[2], NULL };
  const char *name;

  while (!ml_dkim_verify_run (v, &name))
    ml_dkim_verify_add_answer (v, name, ML_DKIM_DNS_OK, values);
  for (guint i = 0; i < ml_dkim_verify_get_n_signatures (v); i++)
    printf ("%s %s\n", ml_dkim_result_to_string (ml_dkim_verify_get_result (v, i)),
            ml_dkim_verify_get_reason (v, i));
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 7 && strcmp (argv[1], "sign") == 0)
    return sign (argv);
  if (argc == 3 && strcmp (argv[1], "verify") == 0)
    return verify (argv);
  fprintf (stderr, "usage: dkim-tool sign ALG CANON SEED DOMAIN SELECTOR | verify TXT\n");
  return 2;
}

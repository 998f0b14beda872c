/* Fuzz target for DKIM: a hostile DKIM-Signature and key record.
 *
 * The input, cut at its first NUL, is a DKIM-Signature value (what
 * follows the colon) and the TXT record every key lookup answers; the
 * record is also parsed as a DMARC record (same tag-list grammar).
 * Nothing may crash, leak or loop, and:
 *   - verification asks at most one key per signature (RFC 6376 6.1.2);
 *   - a value that ml_dkim_signature_validate() rejects gives permerror
 *     (6.1.1), one it accepts never gives none;
 *   - the result is one of the words of RFC 8601 2.7.1.
 */
#include <stdint.h>
#include <string.h>
#include "mailauth/dkim.h"
#include "mailauth/dmarc.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const uint8_t *nul = memchr (data, 0, size);
  gsize sig_len = nul ? (gsize) (nul - data) : size;
  g_autofree char *sig = NULL, *record = NULL, *message = NULL;
  g_autoptr(MlDkimVerify) verify = NULL;
  g_autoptr(MlDmarcRecord) dmarc = NULL;
  const char *values[2] = { NULL, NULL };
  const char *name;
  gboolean valid;
  guint queries = 0;
  MlDkimResult result;

  if (size > 16384)
    return 0;
  sig = g_strndup ((const char *) data, sig_len);
  record = nul ? g_strndup ((const char *) nul + 1, size - sig_len - 1) : g_strdup ("");
  valid = ml_dkim_signature_validate (sig, strlen (sig), NULL);
  ml_dkim_key_record_validate (record, NULL);
  dmarc = ml_dmarc_record_parse (record, NULL);
  if (dmarc != NULL && (dmarc->pct > 100 || dmarc->p > ML_DMARC_POLICY_REJECT))
    abort ();

  /* The value as the one field of a message: a CRLF inside it must be
   * followed by WSP to stay in the field, so the fuzzer's bare line
   * breaks may end the field early (then the rest is more fields). */
  message = g_strconcat ("DKIM-Signature:", sig, "\r\nFrom: a@a.example\r\n\r\nbody\r\n", NULL);
  verify = ml_dkim_verify_new (message, strlen (message));
  values[0] = record;
  while (!ml_dkim_verify_run (verify, &name))
    {
      if (++queries > ML_DKIM_MAX_SIGNATURES)
        abort ();
      ml_dkim_verify_add_answer (verify, name, ML_DKIM_DNS_OK, values);
    }
  if (ml_dkim_verify_get_n_signatures (verify) > ML_DKIM_MAX_SIGNATURES)
    abort ();
  if (ml_dkim_verify_get_n_signatures (verify) == 0)
    return 0;
  result = ml_dkim_verify_get_result (verify, 0);
  if (result > ML_DKIM_PERMERROR || ml_dkim_verify_get_reason (verify, 0) == NULL)
    abort ();
  /* only when the value stayed one field is it what the verifier saw */
  if (strstr (sig, "\r\n") == NULL && strchr (sig, '\n') == NULL && strchr (sig, '\r') == NULL)
    {
      if (!valid && result != ML_DKIM_PERMERROR)
        abort ();
      if (valid && result == ML_DKIM_NONE)
        abort ();
    }
  return 0;
}

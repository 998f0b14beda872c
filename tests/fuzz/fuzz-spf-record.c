/* Fuzz target for SPF: a hostile domain's published record.
 *
 * The input, cut at its NUL bytes, is the TXT answer for every name
 * looked up (so includes and redirects recurse into fuzzed records too);
 * A lookups answer 192.0.2.1, MX and PTR one name each. Nothing may crash,
 * leak or loop, and:
 *   - the check finishes within the queries RFC 7208 4.6.4's limits allow;
 *   - the result is one of the seven of RFC 7208 2.6;
 *   - a first record that fails ml_spf_record_validate() gives permerror
 *     (4.6: a syntax error anywhere is a permerror), unless it is not an
 *     SPF record at all (none) or a second one made it ambiguous.
 */
#include <stdint.h>
#include <string.h>
#include "mailauth/spf.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Per DNS-querying term at most 1 + 10 names (4.6.4), times 11 terms,
 * plus the TXT of each level, a PTR set and the explanation: far below. */
#define MAX_QUERIES 400

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (g_free);
  const char *a[] = { "192.0.2.1", NULL };
  const char *name_list[] = { "mail.fuzz.example", NULL };
  g_autoptr(MlSpfCheck) check = NULL;
  const char *name;
  MlSpfRrType type;
  guint queries = 0;
  gsize start = 0;
  MlSpfResult result;

  if (size > 8192)
    return 0;
  for (gsize i = 0; i <= size; i++)
    if (i == size || data[i] == 0)
      {
        if (i > start && records->len < 4)
          g_ptr_array_add (records, g_strndup ((const char *) data + start, i - start));
        start = i + 1;
      }
  g_ptr_array_add (records, NULL);

  check = ml_spf_check_new ("192.0.2.1", "user@fuzz.example", "helo.fuzz.example", "mx.example");
  while (!ml_spf_check_run (check, &name, &type))
    {
      if (++queries > MAX_QUERIES)
        abort ();
      switch (type)
        {
        case ML_SPF_RR_TXT:
          ml_spf_check_add_answer (check, name, type, ML_SPF_DNS_OK, (const char *const *) records->pdata);
          break;
        case ML_SPF_RR_A:
        case ML_SPF_RR_AAAA:
          ml_spf_check_add_answer (check, name, type, ML_SPF_DNS_OK, a);
          break;
        default:
          ml_spf_check_add_answer (check, name, type, ML_SPF_DNS_OK, name_list);
          break;
        }
    }
  result = ml_spf_check_get_result (check);
  if (result > ML_SPF_PERMERROR)
    abort ();
  if (records->len == 2 && records->pdata[0] != NULL)
    {
      const char *first = records->pdata[0];
      gboolean is_spf = g_ascii_strncasecmp (first, "v=spf1", 6) == 0 && (first[6] == '\0' || first[6] == ' ');

      if (is_spf && !ml_spf_record_validate (first, NULL) && result != ML_SPF_PERMERROR)
        abort ();
      if (!is_spf && result != ML_SPF_NONE)
        abort ();
    }
  return 0;
}

/* Fuzz target for the SASL mechanisms (sasl.c), as a hostile peer sees
 * them.
 *
 * Input: the first byte picks the mechanism (modulo 3: PLAIN, LOGIN,
 * SCRAM-SHA-256); the rest is split at '\n' into messages. Each message
 * goes three ways:
 *   - as a client response into a server (the first one empty means "no
 *     initial response"), whose nonce is RFC 7677 3's so the vector's
 *     messages in the corpus reach the success path;
 *   - as a server challenge into a client ("user"/"pencil", the vector's
 *     client nonce);
 *   - as base64 text into ml_sasl_base64_decode.
 * Nothing may crash, assert, leak or loop, and:
 *   - a server step's outcome and its error agree (an error exactly on
 *     FAILURE), a CONTINUE has a challenge, nothing exceeds
 *     ML_SASL_MAX_MESSAGE, and after SUCCESS or FAILURE every further
 *     step fails;
 *   - a SUCCESS names a user the lookup knows;
 *   - base64 that decodes re-encodes to the very same text (the decoder is
 *     strict, RFC 4648 3.5), and what fails to decode has an error.
 *
 * Without a fuzzing engine, tests/fuzz/fuzz-replay.c replays the corpus
 * (tests/fuzz/corpus/sasl), so CI runs it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/sasl.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* RFC 7677 3 */
#define VEC_CLIENT_NONCE "rOprNGfwEbeRWgbNEkqO"
#define VEC_SERVER_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
static const guint8 vec_salt[ML_SASL_SCRAM_SALT_LEN] = {
  0x5b, 0x6d, 0x99, 0x68, 0x9d, 0x12, 0x35, 0x8e, 0xec, 0xa0, 0x4b, 0x14, 0x12, 0x36, 0xfa, 0x81,
};

static gboolean
lookup (const char *authcid, MlSaslSecret *secret_out, gpointer user_data)
{
  if (strcmp (authcid, "user") == 0)
    ml_sasl_secret_init_from_password (secret_out, "pencil", vec_salt, ML_SASL_SCRAM_ITERATIONS);
  else if (strcmp (authcid, "tim") == 0)
    ml_sasl_secret_init_from_password (secret_out, "tanstaaftanstaaf", vec_salt,
                                       ML_SASL_SCRAM_ITERATIONS);
  else
    return FALSE;
  return TRUE;
}

static void
check_base64 (const guint8 *text, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) decoded = ml_sasl_base64_decode ((const char *) text, len, &error);
  g_autofree char *again = NULL;

  if (decoded == NULL)
    {
      if (error == NULL)
        abort ();
      return;
    }
  if (error != NULL || g_bytes_get_size (decoded) > ML_SASL_MAX_MESSAGE)
    abort ();
  if (len == 0)
    return;
  again = ml_sasl_base64_encode (g_bytes_get_data (decoded, NULL), g_bytes_get_size (decoded));
  if (strlen (again) != len || memcmp (again, text, len) != 0)
    abort ();
}

static void
run_server (MlSaslMechanism mech, GPtrArray *messages)
{
  g_autoptr(MlSaslServer) server = ml_sasl_server_new (mech, lookup, NULL, 1);
  gboolean finished = FALSE;

  ml_sasl_server_set_nonce (server, VEC_SERVER_NONCE);
  for (guint i = 0; i < messages->len; i++)
    {
      GBytes *msg = g_ptr_array_index (messages, i);
      g_autoptr(GBytes) out = NULL;
      g_autoptr(GError) error = NULL;
      gboolean no_initial = i == 0 && g_bytes_get_size (msg) == 0;
      MlSaslStep step = ml_sasl_server_step (server, no_initial ? NULL : msg, &out, &error);

      if ((step == ML_SASL_STEP_FAILURE) != (error != NULL))
        abort ();
      if (finished && step != ML_SASL_STEP_FAILURE)
        abort ();
      if (step == ML_SASL_STEP_CONTINUE && out == NULL)
        abort ();
      if (out != NULL && g_bytes_get_size (out) > ML_SASL_MAX_MESSAGE)
        abort ();
      if (step == ML_SASL_STEP_SUCCESS)
        {
          const char *user = ml_sasl_server_get_user (server);

          if (user == NULL || (strcmp (user, "user") != 0 && strcmp (user, "tim") != 0))
            abort ();
        }
      if (step != ML_SASL_STEP_CONTINUE)
        finished = TRUE;
    }
}

static void
run_client (MlSaslMechanism mech, GPtrArray *messages)
{
  g_autoptr(MlSaslClient) client = ml_sasl_client_new (mech, "user", "pencil", 1);
  g_autoptr(GBytes) initial = NULL;

  ml_sasl_client_set_nonce (client, VEC_CLIENT_NONCE);
  initial = ml_sasl_client_initial (client);
  for (guint i = 0; i < messages->len; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) response = ml_sasl_client_step (client, g_ptr_array_index (messages, i), &error);

      if ((response == NULL) != (error != NULL))
        abort ();
      if (response != NULL && g_bytes_get_size (response) > ML_SASL_MAX_MESSAGE)
        abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  MlSaslMechanism mech;
  gsize start = 1;

  if (size == 0)
    return 0;
  mech = (MlSaslMechanism) (data[0] % ML_SASL_N_MECHANISMS);
  for (gsize i = 1; i <= size; i++)
    if (i == size || data[i] == '\n')
      {
        /* Bounded: a message far past the limit says nothing new. */
        gsize len = MIN (i - start, (gsize) ML_SASL_MAX_MESSAGE * 2);

        g_ptr_array_add (messages, g_bytes_new (data + start, len));
        check_base64 (data + start, len);
        start = i + 1;
        if (messages->len >= 8)
          break;
      }
  run_server (mech, messages);
  run_client (mech, messages);
  return 0;
}

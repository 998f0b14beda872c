/* A seeded random generator for one OSSL_LIB_CTX, as an OpenSSL 3 RAND
 * provider (provider-rand(7)). */
#define G_LOG_DOMAIN "ml-tls"

#include "tls/tls-rand.h"
#include "tls/tls-pki.h"

#include <string.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#define PROVIDER_NAME  "maillab-seeded"
#define RAND_NAME      "MAILLAB-SEEDED"
#define DIGEST_LEN     32
/* What one generate call may return; EVP splits larger requests. */
#define MAX_REQUEST    (1 << 16)
/* Claimed security strength, so OpenSSL accepts the generator for keys
 * of every size (NIST SP 800-90A 8.4). The bytes are predictable by
 * design; see the header. */
#define STRENGTH       256

/* The seed of each context, found by the provider from the context it is
 * loaded into, and the providers loaded there (unloaded before the
 * context is freed). Contexts are few and short-lived (one per world). */
typedef struct {
  guint64        seed;
  OSSL_PROVIDER *seeded;
  OSSL_PROVIDER *deflt;
} ContextEntry;

static GMutex      seeds_lock;
static GHashTable *seeds;   /* OSSL_LIB_CTX* → ContextEntry* */

typedef struct {
  guint64  seed;
  guint    next_instance;
} SeededProvider;

typedef struct {
  guint8   key[DIGEST_LEN];
  guint64  counter;
  int      state;
} SeededRand;

static void
derive_key (guint8 key[DIGEST_LEN], guint64 seed, guint instance)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint64 seed_le = GUINT64_TO_LE (seed);
  guint32 instance_le = GUINT32_TO_LE (instance);
  gsize len = DIGEST_LEN;

  g_checksum_update (sum, (const guchar *) "maillab tls-rand", 16);
  g_checksum_update (sum, (const guchar *) &seed_le, sizeof seed_le);
  g_checksum_update (sum, (const guchar *) &instance_le, sizeof instance_le);
  g_checksum_get_digest (sum, key, &len);
}

static void *
seeded_newctx (void *provctx, void *parent, const OSSL_DISPATCH *parent_calls)
{
  SeededProvider *prov = provctx;
  SeededRand *r = g_new0 (SeededRand, 1);

  /* Each generator of the context (primary, public, private) gets its
   * own stream; they are created in the same order every run. */
  derive_key (r->key, prov->seed, prov->next_instance++);
  r->state = EVP_RAND_STATE_UNINITIALISED;
  return r;
}

static void
seeded_freectx (void *vctx)
{
  SeededRand *r = vctx;

  if (r != NULL)
    memset (r->key, 0, sizeof r->key);
  g_free (r);
}

static int
seeded_instantiate (void *vctx, unsigned int strength, int prediction_resistance,
                    const unsigned char *pstr, size_t pstr_len, const OSSL_PARAM params[])
{
  SeededRand *r = vctx;

  r->state = EVP_RAND_STATE_READY;
  return 1;
}

static int
seeded_uninstantiate (void *vctx)
{
  SeededRand *r = vctx;

  r->state = EVP_RAND_STATE_UNINITIALISED;
  return 1;
}

static int
seeded_generate (void *vctx, unsigned char *out, size_t outlen, unsigned int strength,
                 int prediction_resistance, const unsigned char *adin, size_t adin_len)
{
  SeededRand *r = vctx;

  while (outlen > 0)
    {
      g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      guint64 counter_le = GUINT64_TO_LE (r->counter);
      guint8 block[DIGEST_LEN];
      gsize len = DIGEST_LEN;
      gsize take = MIN (outlen, (size_t) DIGEST_LEN);

      r->counter++;
      g_checksum_update (sum, r->key, sizeof r->key);
      g_checksum_update (sum, (const guchar *) &counter_le, sizeof counter_le);
      g_checksum_get_digest (sum, block, &len);
      memcpy (out, block, take);
      out += take;
      outlen -= take;
    }
  return 1;
}

static int
seeded_reseed (void *vctx, int prediction_resistance, const unsigned char *ent,
               size_t ent_len, const unsigned char *adin, size_t adin_len)
{
  /* Reseeding would pull in outside entropy: keep the stream. */
  return 1;
}

static int
seeded_enable_locking (void *vctx)
{
  /* One world runs in one thread; its context is not shared. */
  return 1;
}

static int
seeded_lock (void *vctx)
{
  return 1;
}

static void
seeded_unlock (void *vctx)
{
}

static const OSSL_PARAM *
seeded_gettable_ctx_params (void *vctx, void *provctx)
{
  static const OSSL_PARAM known[] = {
    OSSL_PARAM_int (OSSL_RAND_PARAM_STATE, NULL),
    OSSL_PARAM_uint (OSSL_RAND_PARAM_STRENGTH, NULL),
    OSSL_PARAM_size_t (OSSL_RAND_PARAM_MAX_REQUEST, NULL),
    OSSL_PARAM_END
  };
  return known;
}

static int
seeded_get_ctx_params (void *vctx, OSSL_PARAM params[])
{
  SeededRand *r = vctx;
  OSSL_PARAM *p;

  if ((p = OSSL_PARAM_locate (params, OSSL_RAND_PARAM_STATE)) != NULL
      && !OSSL_PARAM_set_int (p, r->state))
    return 0;
  if ((p = OSSL_PARAM_locate (params, OSSL_RAND_PARAM_STRENGTH)) != NULL
      && !OSSL_PARAM_set_uint (p, STRENGTH))
    return 0;
  if ((p = OSSL_PARAM_locate (params, OSSL_RAND_PARAM_MAX_REQUEST)) != NULL
      && !OSSL_PARAM_set_size_t (p, MAX_REQUEST))
    return 0;
  return 1;
}

static const OSSL_PARAM *
seeded_settable_ctx_params (void *vctx, void *provctx)
{
  static const OSSL_PARAM known[] = { OSSL_PARAM_END };
  return known;
}

static int
seeded_set_ctx_params (void *vctx, const OSSL_PARAM params[])
{
  /* The DRBG knobs OpenSSL sets (reseed intervals) mean nothing here. */
  return 1;
}

static int
seeded_verify_zeroization (void *vctx)
{
  return 1;
}

static const OSSL_DISPATCH seeded_rand_functions[] = {
  { OSSL_FUNC_RAND_NEWCTX, (void (*) (void)) seeded_newctx },
  { OSSL_FUNC_RAND_FREECTX, (void (*) (void)) seeded_freectx },
  { OSSL_FUNC_RAND_INSTANTIATE, (void (*) (void)) seeded_instantiate },
  { OSSL_FUNC_RAND_UNINSTANTIATE, (void (*) (void)) seeded_uninstantiate },
  { OSSL_FUNC_RAND_GENERATE, (void (*) (void)) seeded_generate },
  { OSSL_FUNC_RAND_RESEED, (void (*) (void)) seeded_reseed },
  { OSSL_FUNC_RAND_ENABLE_LOCKING, (void (*) (void)) seeded_enable_locking },
  { OSSL_FUNC_RAND_LOCK, (void (*) (void)) seeded_lock },
  { OSSL_FUNC_RAND_UNLOCK, (void (*) (void)) seeded_unlock },
  { OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, (void (*) (void)) seeded_gettable_ctx_params },
  { OSSL_FUNC_RAND_GET_CTX_PARAMS, (void (*) (void)) seeded_get_ctx_params },
  { OSSL_FUNC_RAND_SETTABLE_CTX_PARAMS, (void (*) (void)) seeded_settable_ctx_params },
  { OSSL_FUNC_RAND_SET_CTX_PARAMS, (void (*) (void)) seeded_set_ctx_params },
  { OSSL_FUNC_RAND_VERIFY_ZEROIZATION, (void (*) (void)) seeded_verify_zeroization },
  { 0, NULL }
};

static const OSSL_ALGORITHM seeded_rands[] = {
  { RAND_NAME, "provider=" PROVIDER_NAME, seeded_rand_functions, "maillab seeded generator" },
  { NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *
seeded_query (void *provctx, int operation_id, int *no_cache)
{
  *no_cache = 0;
  return operation_id == OSSL_OP_RAND ? seeded_rands : NULL;
}

static void
seeded_teardown (void *provctx)
{
  g_free (provctx);
}

static const OSSL_DISPATCH seeded_provider_functions[] = {
  { OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*) (void)) seeded_query },
  { OSSL_FUNC_PROVIDER_TEARDOWN, (void (*) (void)) seeded_teardown },
  { 0, NULL }
};

static int
seeded_provider_init (const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                      const OSSL_DISPATCH **out, void **provctx)
{
  OSSL_FUNC_core_get_libctx_fn *get_libctx = NULL;
  SeededProvider *prov;
  gpointer libctx = NULL;
  ContextEntry *entry;

  for (; in->function_id != 0; in++)
    if (in->function_id == OSSL_FUNC_CORE_GET_LIBCTX)
      get_libctx = OSSL_FUNC_core_get_libctx (in);
  if (get_libctx != NULL)
    libctx = get_libctx (handle);

  g_mutex_lock (&seeds_lock);
  entry = seeds ? g_hash_table_lookup (seeds, libctx) : NULL;
  prov = g_new0 (SeededProvider, 1);
  prov->seed = entry ? entry->seed : 0;
  g_mutex_unlock (&seeds_lock);
  if (entry == NULL)
    {
      g_free (prov);
      return 0;
    }
  *out = seeded_provider_functions;
  *provctx = prov;
  return 1;
}

OSSL_LIB_CTX *
ml_tls_rand_context_new (guint64 seed, GError **error)
{
  OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new ();
  ContextEntry *entry = g_new0 (ContextEntry, 1);
  char reason[256] = "unknown reason";

  if (libctx == NULL)
    {
      g_free (entry);
      g_set_error_literal (error, ML_TLS_PKI_ERROR, ML_TLS_PKI_ERROR_FAILED,
                           "cannot create an OpenSSL library context");
      return NULL;
    }
  entry->seed = seed;
  g_mutex_lock (&seeds_lock);
  if (seeds == NULL)
    seeds = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_hash_table_insert (seeds, libctx, entry);
  g_mutex_unlock (&seeds_lock);

  /* The generator must be chosen before anything draws from the context:
   * OpenSSL makes the context's DRBGs on first use (RAND_set_DRBG_type).
   * The entry is only written here, before any other thread can know
   * the context. */
  if (!OSSL_PROVIDER_add_builtin (libctx, PROVIDER_NAME, seeded_provider_init)
      || (entry->seeded = OSSL_PROVIDER_load (libctx, PROVIDER_NAME)) == NULL
      || (entry->deflt = OSSL_PROVIDER_load (libctx, "default")) == NULL
      || !RAND_set_DRBG_type (libctx, RAND_NAME, "provider=" PROVIDER_NAME, NULL, NULL))
    {
      ERR_error_string_n (ERR_get_error (), reason, sizeof reason);
      ERR_clear_error ();
      g_set_error (error, ML_TLS_PKI_ERROR, ML_TLS_PKI_ERROR_FAILED,
                   "cannot install the seeded random generator: %s", reason);
      ml_tls_rand_context_free (libctx);
      return NULL;
    }
  return libctx;
}

void
ml_tls_rand_context_free (OSSL_LIB_CTX *libctx)
{
  ContextEntry *entry;

  if (libctx == NULL)
    return;
  g_mutex_lock (&seeds_lock);
  entry = seeds ? g_hash_table_lookup (seeds, libctx) : NULL;
  g_mutex_unlock (&seeds_lock);
  if (entry != NULL)
    {
      if (entry->deflt)
        OSSL_PROVIDER_unload (entry->deflt);
      if (entry->seeded)
        OSSL_PROVIDER_unload (entry->seeded);
    }
  /* Freeing the context tears its providers down; the seed entry goes
   * after, so no provider of this context can look it up again. */
  OSSL_LIB_CTX_free (libctx);
  g_mutex_lock (&seeds_lock);
  if (seeds)
    g_hash_table_remove (seeds, libctx);
  g_mutex_unlock (&seeds_lock);
}

/* MlTlsStream, the run's PKI and key log: two TLS streams talking over an
 * in-memory pipe (whole chunks and one byte at a time) and over the
 * simulated TCP (clean and lossy links), every certificate failure with
 * the reason a student reads, close_notify, key-log lines, and repeatable
 * randomness. */
#include <string.h>
#include <openssl/x509_vfy.h>

#include "net/network.h"
#include "net/tcp.h"
#include "tls/tls-context.h"
#include "tls/tls-rand.h"

#define EPOCH        G_GINT64_CONSTANT (1704067200)   /* 2024-01-01 */
#define SERVER_NAME  "mail.example"

/* ---- a pipe of two MlStreams, delivered by hand ---- */

#define TEST_TYPE_PIPE_END (test_pipe_end_get_type ())
G_DECLARE_FINAL_TYPE (TestPipeEnd, test_pipe_end, TEST, PIPE_END, MlStream)

struct _TestPipeEnd
{
  MlStream     parent_instance;
  TestPipeEnd *peer;          /* not referenced */
  GByteArray  *outbox;        /* written, not yet delivered */
  GByteArray  *wire;          /* everything ever written: what a tap sees */
  gboolean     close_requested;
};

G_DEFINE_FINAL_TYPE (TestPipeEnd, test_pipe_end, ML_TYPE_STREAM)

static void
pipe_end_write (MlStream *stream, const guint8 *data, gsize len)
{
  TestPipeEnd *self = TEST_PIPE_END (stream);

  if (self->close_requested)
    return;
  g_byte_array_append (self->outbox, data, (guint) len);
  g_byte_array_append (self->wire, data, (guint) len);
}

static void
pipe_end_close (MlStream *stream)
{
  TEST_PIPE_END (stream)->close_requested = TRUE;
}

static void
pipe_end_finalize (GObject *object)
{
  TestPipeEnd *self = TEST_PIPE_END (object);

  g_byte_array_unref (self->outbox);
  g_byte_array_unref (self->wire);
  G_OBJECT_CLASS (test_pipe_end_parent_class)->finalize (object);
}

static void
test_pipe_end_class_init (TestPipeEndClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pipe_end_finalize;
  ML_STREAM_CLASS (klass)->write = pipe_end_write;
  ML_STREAM_CLASS (klass)->close = pipe_end_close;
}

static void
test_pipe_end_init (TestPipeEnd *self)
{
  self->outbox = g_byte_array_new ();
  self->wire = g_byte_array_new ();
}

/* Moves at most @chunk bytes (0: all) from @from to its peer. */
static gboolean
pipe_move (TestPipeEnd *from, gsize chunk)
{
  TestPipeEnd *to = from->peer;
  gsize n = from->outbox->len;
  g_autofree guint8 *copy = NULL;

  if (n == 0)
    {
      /* TCP: the FIN follows the data, the peer sees an orderly close. */
      if (from->close_requested && !ml_stream_is_closed (ML_STREAM (to)))
        {
          ml_stream_emit_closed (ML_STREAM (to), NULL);
          if (to->close_requested && !ml_stream_is_closed (ML_STREAM (from)))
            ml_stream_emit_closed (ML_STREAM (from), NULL);
          return TRUE;
        }
      return FALSE;
    }
  if (chunk != 0)
    n = MIN (n, chunk);
  copy = g_memdup2 (from->outbox->data, n);
  g_byte_array_remove_range (from->outbox, 0, (guint) n);
  ml_stream_emit_data (ML_STREAM (to), copy, n);
  return TRUE;
}

/* Delivers in both directions until nothing moves. */
static void
pipe_run (TestPipeEnd *a, TestPipeEnd *b, gsize chunk)
{
  gboolean moved;

  do
    {
      moved = pipe_move (a, chunk);
      moved = pipe_move (b, chunk) || moved;
    }
  while (moved);
}

/* ---- what each end's owner sees ---- */

typedef struct {
  GByteArray *data;
  guint       handshakes;
  GError     *handshake_error;
  guint       closed;
  GError     *closed_error;
} Owner;

static void
on_handshake (MlTlsStream *stream, const GError *error, gpointer user_data)
{
  Owner *o = user_data;

  o->handshakes++;
  if (error)
    o->handshake_error = g_error_copy (error);
}

static void
on_data (MlStream *stream, const guint8 *data, gsize len, gpointer user_data)
{
  Owner *o = user_data;

  g_byte_array_append (o->data, data, (guint) len);
}

static void
on_closed (MlStream *stream, const GError *error, gpointer user_data)
{
  Owner *o = user_data;

  o->closed++;
  if (error)
    o->closed_error = g_error_copy (error);
}

static void
owner_clear (Owner *o)
{
  g_clear_pointer (&o->data, g_byte_array_unref);
  g_clear_error (&o->handshake_error);
  g_clear_error (&o->closed_error);
}

/* ---- fixture: one context, a pipe, a client and a server TLS stream ---- */

typedef struct {
  MlTlsContext *ctx;
  TestPipeEnd  *cpipe, *spipe;
  MlTlsStream  *client, *server;
  Owner         c, s;
  GString      *keylog;
} Fixture;

static void
collect_keylog (const char *line, gpointer user_data)
{
  Fixture *fx = user_data;

  g_string_append_printf (fx->keylog, "%s\n", line);
}

static void
fixture_setup (Fixture *fx, MlTlsCertVariant variant, const char *client_name,
               guint64 seed, gint64 now)
{
  g_autoptr(GError) error = NULL;

  fx->ctx = ml_tls_context_new (EPOCH, seed, TRUE, &error);
  g_assert_no_error (error);
  fx->keylog = g_string_new (NULL);
  ml_tls_context_set_keylog_func (fx->ctx, collect_keylog, fx);
  g_assert_true (ml_tls_context_set_server_certificate (fx->ctx, SERVER_NAME, variant, &error));
  fx->cpipe = g_object_new (TEST_TYPE_PIPE_END, NULL);
  fx->spipe = g_object_new (TEST_TYPE_PIPE_END, NULL);
  fx->cpipe->peer = fx->spipe;
  fx->spipe->peer = fx->cpipe;
  fx->c.data = g_byte_array_new ();
  fx->s.data = g_byte_array_new ();
  fx->server = ml_tls_context_wrap_server (fx->ctx, SERVER_NAME, ML_STREAM (fx->spipe), &error);
  g_assert_no_error (error);
  fx->client = ml_tls_context_wrap_client (fx->ctx, client_name, now, ML_STREAM (fx->cpipe));
  ml_tls_stream_set_handshake_func (fx->server, on_handshake, &fx->s);
  ml_tls_stream_set_handshake_func (fx->client, on_handshake, &fx->c);
  ml_stream_set_callbacks (ML_STREAM (fx->server), NULL, on_data, on_closed, &fx->s);
  ml_stream_set_callbacks (ML_STREAM (fx->client), NULL, on_data, on_closed, &fx->c);
  ml_tls_stream_start (fx->server);
  ml_tls_stream_start (fx->client);
}

static void
fixture_teardown (Fixture *fx)
{
  g_clear_object (&fx->client);
  g_clear_object (&fx->server);
  g_clear_object (&fx->cpipe);
  g_clear_object (&fx->spipe);
  ml_tls_context_free (fx->ctx);
  owner_clear (&fx->c);
  owner_clear (&fx->s);
  g_string_free (fx->keylog, TRUE);
}

/* ---- PKI ---- */

static int
verify_at (MlTlsPki *pki, X509 *cert, gint64 when)
{
  X509_STORE *store = X509_STORE_new ();
  X509_STORE_CTX *vctx = X509_STORE_CTX_new ();
  int result;

  X509_STORE_add_cert (store, ml_tls_pki_get_ca_cert (pki));
  X509_STORE_CTX_init (vctx, store, cert, NULL);
  X509_STORE_CTX_set_time (vctx, 0, (time_t) when);
  X509_VERIFY_PARAM_set1_host (X509_STORE_CTX_get0_param (vctx), SERVER_NAME, 0);
  X509_verify_cert (vctx);
  result = X509_STORE_CTX_get_error (vctx);
  X509_STORE_CTX_free (vctx);
  X509_STORE_free (store);
  return result;
}

static void
test_pki_variants (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MlTlsPki) pki = ml_tls_pki_new (NULL, EPOCH, &error);
  g_autoptr(MlTlsIdentity) valid = NULL, wrong = NULL, expired = NULL, self_signed = NULL;

  g_assert_no_error (error);
  valid = ml_tls_pki_issue (pki, SERVER_NAME, ML_TLS_CERT_VALID, &error);
  wrong = ml_tls_pki_issue (pki, SERVER_NAME, ML_TLS_CERT_WRONG_NAME, &error);
  expired = ml_tls_pki_issue (pki, SERVER_NAME, ML_TLS_CERT_EXPIRED, &error);
  self_signed = ml_tls_pki_issue (pki, SERVER_NAME, ML_TLS_CERT_SELF_SIGNED, &error);
  g_assert_no_error (error);

  g_assert_cmpint (verify_at (pki, valid->cert, EPOCH), ==, X509_V_OK);
  /* A year and a day later the valid certificate has expired too: the
   * virtual clock, not the wall clock, decides. */
  g_assert_cmpint (verify_at (pki, valid->cert, EPOCH + ML_TLS_PKI_VALIDITY_SECONDS + 86400),
                   ==, X509_V_ERR_CERT_HAS_EXPIRED);
  g_assert_cmpint (verify_at (pki, wrong->cert, EPOCH), ==, X509_V_ERR_HOSTNAME_MISMATCH);
  g_assert_cmpint (verify_at (pki, expired->cert, EPOCH), ==, X509_V_ERR_CERT_HAS_EXPIRED);
  g_assert_cmpint (verify_at (pki, self_signed->cert, EPOCH), ==,
                   X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
}

/* ---- handshakes over the pipe ---- */

static void
check_exchange (Fixture *fx, gsize chunk)
{
  static const char hello[] = "EHLO client.example\r\n";
  static const char reply[] = "250 mail.example\r\n";

  /* Written before the handshake: held, then sent protected. */
  ml_stream_write (ML_STREAM (fx->client), (const guint8 *) hello, strlen (hello));
  pipe_run (fx->cpipe, fx->spipe, chunk);
  g_assert_cmpuint (fx->c.handshakes, ==, 1);
  g_assert_cmpuint (fx->s.handshakes, ==, 1);
  g_assert_no_error (fx->c.handshake_error);
  g_assert_no_error (fx->s.handshake_error);
  g_assert_true (ml_tls_stream_is_established (fx->client));
  g_assert_cmpstr (ml_tls_stream_get_version (fx->client), ==, "TLSv1.3");
  g_assert_cmpstr (ml_tls_stream_get_cipher (fx->client), ==,
                   ml_tls_stream_get_cipher (fx->server));
  g_assert_true (ml_tls_stream_get_peer_verified (fx->client));
  g_assert_cmpmem (fx->s.data->data, fx->s.data->len, hello, strlen (hello));

  ml_stream_write (ML_STREAM (fx->server), (const guint8 *) reply, strlen (reply));
  pipe_run (fx->cpipe, fx->spipe, chunk);
  g_assert_cmpmem (fx->c.data->data, fx->c.data->len, reply, strlen (reply));
  /* The tap sees records, never the plaintext. */
  g_assert_null (memmem (fx->cpipe->wire->data, fx->cpipe->wire->len, "EHLO", 4));
  g_assert_null (memmem (fx->spipe->wire->data, fx->spipe->wire->len, "250 ", 4));
  g_assert_cmpuint (fx->cpipe->wire->data[0], ==, 0x16);   /* handshake record */
}

static void
test_handshake_whole (void)
{
  Fixture fx = { 0 };

  fixture_setup (&fx, ML_TLS_CERT_VALID, SERVER_NAME, 1, EPOCH);
  check_exchange (&fx, 0);
  fixture_teardown (&fx);
}

static void
test_handshake_bytewise (void)
{
  Fixture fx = { 0 };

  fixture_setup (&fx, ML_TLS_CERT_VALID, SERVER_NAME, 2, EPOCH);
  check_exchange (&fx, 1);
  fixture_teardown (&fx);
}

static void
test_large_write (void)
{
  Fixture fx = { 0 };
  gsize len = 5 * ML_TLS_MAX_RECORD_PLAINTEXT + 123;
  g_autofree guint8 *big = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    big[i] = (guint8) (i * 13 + i / 255);
  fixture_setup (&fx, ML_TLS_CERT_VALID, SERVER_NAME, 3, EPOCH);
  pipe_run (fx.cpipe, fx.spipe, 0);
  ml_stream_write (ML_STREAM (fx.server), big, len);
  pipe_run (fx.cpipe, fx.spipe, 1000);
  g_assert_cmpmem (fx.c.data->data, fx.c.data->len, big, len);
  fixture_teardown (&fx);
}

/* The client refuses, says why, and both ends close. */
static void
check_failure (MlTlsCertVariant variant, const char *client_name, gint64 now,
               const char *reason, const char *server_reason)
{
  Fixture fx = { 0 };

  fixture_setup (&fx, variant, client_name, 4, now);
  ml_stream_write (ML_STREAM (fx.client), (const guint8 *) "secret\r\n", 8);
  pipe_run (fx.cpipe, fx.spipe, 0);
  g_assert_cmpuint (fx.c.handshakes, ==, 1);
  g_assert_error (fx.c.handshake_error, ML_TLS_ERROR, ML_TLS_ERROR_CERTIFICATE);
  g_assert_cmpstr (fx.c.handshake_error->message, ==, reason);
  g_assert_false (ml_tls_stream_is_established (fx.client));
  /* The server hears the client's alert (RFC 8446 6.2). */
  g_assert_cmpuint (fx.s.handshakes, ==, 1);
  g_assert_error (fx.s.handshake_error, ML_TLS_ERROR, ML_TLS_ERROR_HANDSHAKE);
  g_assert_cmpstr (fx.s.handshake_error->message, ==, server_reason);
  /* Both streams end with the reason; nothing the client wrote left it. */
  g_assert_cmpuint (fx.c.closed, ==, 1);
  g_assert_cmpuint (fx.s.closed, ==, 1);
  g_assert_cmpstr (fx.c.closed_error->message, ==, reason);
  g_assert_cmpuint (fx.s.data->len, ==, 0);
  g_assert_null (memmem (fx.cpipe->wire->data, fx.cpipe->wire->len, "secret", 6));
  fixture_teardown (&fx);
}

static void
test_fail_wrong_name (void)
{
  check_failure (ML_TLS_CERT_WRONG_NAME, SERVER_NAME, EPOCH,
                 "hostname mismatch", "sslv3 alert bad certificate");
}

static void
test_fail_client_name (void)
{
  /* A valid certificate, but not for the name the client dialled. */
  check_failure (ML_TLS_CERT_VALID, "other.example", EPOCH,
                 "hostname mismatch", "sslv3 alert bad certificate");
}

static void
test_fail_expired (void)
{
  check_failure (ML_TLS_CERT_EXPIRED, SERVER_NAME, EPOCH,
                 "certificate has expired", "sslv3 alert certificate expired");
}

static void
test_fail_self_signed (void)
{
  check_failure (ML_TLS_CERT_SELF_SIGNED, SERVER_NAME, EPOCH,
                 "self-signed certificate", "tlsv1 alert unknown ca");
}

static void
test_close_notify (void)
{
  Fixture fx = { 0 };

  fixture_setup (&fx, ML_TLS_CERT_VALID, SERVER_NAME, 5, EPOCH);
  pipe_run (fx.cpipe, fx.spipe, 0);
  g_assert_true (ml_tls_stream_is_established (fx.server));
  ml_stream_close (ML_STREAM (fx.client));
  pipe_run (fx.cpipe, fx.spipe, 0);
  g_assert_true (ml_tls_stream_got_close_notify (fx.server));
  g_assert_false (ml_tls_stream_got_close_notify (fx.client));
  g_assert_cmpuint (fx.s.closed, ==, 1);
  g_assert_no_error (fx.s.closed_error);
  /* The server answers with its own close_notify. */
  ml_stream_close (ML_STREAM (fx.server));
  pipe_run (fx.cpipe, fx.spipe, 0);
  g_assert_true (ml_tls_stream_got_close_notify (fx.client));
  g_assert_cmpuint (fx.c.closed, ==, 1);
  g_assert_no_error (fx.c.closed_error);
  fixture_teardown (&fx);
}

static void
test_keylog_format (void)
{
  Fixture fx = { 0 };
  g_auto(GStrv) lines = NULL;
  g_autoptr(GRegex) re = g_regex_new ("^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET"
                                      "|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET)"
                                      " ([0-9a-f]{64}) ([0-9a-f]{64}|[0-9a-f]{96})$", 0, 0, NULL);
  g_autofree char *random = NULL;
  guint n = 0;

  fixture_setup (&fx, ML_TLS_CERT_VALID, SERVER_NAME, 6, EPOCH);
  pipe_run (fx.cpipe, fx.spipe, 0);
  lines = g_strsplit (fx.keylog->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++, n++)
    {
      g_autoptr(GMatchInfo) m = NULL;
      g_autofree char *r = NULL;

      g_assert_true (g_regex_match (re, lines[i], 0, &m));
      r = g_match_info_fetch (m, 2);
      if (random == NULL)
        random = g_strdup (r);
      /* One connection: every line names the same ClientHello.random. */
      g_assert_cmpstr (r, ==, random);
    }
  /* TLS 1.3: five secrets, each logged by both ends. */
  g_assert_cmpuint (n, ==, 10);
  g_assert_cmpstr (ml_tls_context_get_keylog (fx.ctx)->str, ==, fx.keylog->str);
  fixture_teardown (&fx);
}

/* A writer that does not wait for the handshake is stopped at the named
 * limit, with an error, not an unbounded buffer. */
static void
test_pending_limit (void)
{
  Fixture fx = { 0 };
  g_autofree guint8 *chunk = g_malloc0 (ML_TLS_MAX_PENDING_PLAINTEXT / 2);

  fixture_setup (&fx, ML_TLS_CERT_VALID, SERVER_NAME, 9, EPOCH);
  ml_stream_write (ML_STREAM (fx.client), chunk, ML_TLS_MAX_PENDING_PLAINTEXT / 2);
  ml_stream_write (ML_STREAM (fx.client), chunk, ML_TLS_MAX_PENDING_PLAINTEXT / 2);
  g_assert_cmpuint (fx.c.handshakes, ==, 0);
  ml_stream_write (ML_STREAM (fx.client), chunk, 1);
  g_assert_cmpuint (fx.c.handshakes, ==, 1);
  g_assert_error (fx.c.handshake_error, ML_TLS_ERROR, ML_TLS_ERROR_OVERFLOW);
  g_assert_true (fx.cpipe->close_requested);
  fixture_teardown (&fx);
}

/* ---- repeatable randomness ---- */

static GBytes *
wire_for_seed (guint64 seed)
{
  Fixture fx = { 0 };
  GByteArray *all = g_byte_array_new ();

  fixture_setup (&fx, ML_TLS_CERT_VALID, SERVER_NAME, seed, EPOCH);
  ml_stream_write (ML_STREAM (fx.client), (const guint8 *) "NOOP\r\n", 6);
  pipe_run (fx.cpipe, fx.spipe, 0);
  g_byte_array_append (all, fx.cpipe->wire->data, fx.cpipe->wire->len);
  g_byte_array_append (all, fx.spipe->wire->data, fx.spipe->wire->len);
  fixture_teardown (&fx);
  return g_byte_array_free_to_bytes (all);
}

static void
test_deterministic (void)
{
  g_autoptr(GBytes) a = wire_for_seed (7);
  g_autoptr(GBytes) b = wire_for_seed (7);
  g_autoptr(GBytes) c = wire_for_seed (8);

  g_assert_cmpuint (g_bytes_get_size (a), >, 500);
  g_assert_true (g_bytes_equal (a, b));
  g_assert_false (g_bytes_equal (a, c));
}

/* ---- over the simulated TCP ---- */

#define IP_C 0x0a000001u
#define IP_S 0x0a000002u

typedef struct {
  MlTlsContext *ctx;
  MlTlsStream  *server;
  Owner        *owner;
} Accept;

static void
on_server_data_echo_close (MlStream *stream, const guint8 *data, gsize len, gpointer user_data)
{
  Owner *o = user_data;

  on_data (stream, data, len, user_data);
  if (o->data->len >= 20000)
    ml_stream_close (stream);
}

static void
on_accept (MlHost *host, MlStream *stream, gpointer user_data)
{
  Accept *a = user_data;

  a->server = ml_tls_context_wrap_server (a->ctx, SERVER_NAME, stream, NULL);
  ml_stream_set_callbacks (ML_STREAM (a->server), NULL, on_server_data_echo_close, on_closed, a->owner);
  ml_tls_stream_set_handshake_func (a->server, on_handshake, a->owner);
  ml_tls_stream_start (a->server);
}

static void
run_over_tcp (double loss, guint32 seed)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  MlNetwork *net = ml_network_new (seed, trace);
  MlHost *ch = ml_network_add_host (net, "client", IP_C, ML_ROLE_MUA);
  MlHost *sh = ml_network_add_host (net, SERVER_NAME, IP_S, ML_ROLE_MSA);
  MlLink *link = ml_network_add_link (net, ch, sh, NULL);
  g_autoptr(GError) error = NULL;
  MlTlsContext *ctx = ml_tls_context_new (EPOCH, seed, TRUE, &error);
  Owner c = { g_byte_array_new () }, s = { g_byte_array_new () };
  Accept acc = { ctx, NULL, &s };
  g_autoptr(MlStream) tcp = NULL;
  g_autoptr(MlTlsStream) client = NULL;
  g_autofree guint8 *msg = g_malloc (20000);

  g_assert_no_error (error);
  for (guint i = 0; i < 20000; i++)
    msg[i] = (guint8) ('a' + i % 26);
  ml_link_set_loss (link, loss);
  g_assert_true (ml_host_tcp_listen (sh, 465, on_accept, &acc, NULL, NULL));
  tcp = ml_host_tcp_connect (ch, IP_S, 465);
  client = ml_tls_context_wrap_client (ctx, SERVER_NAME, EPOCH, tcp);
  ml_tls_stream_set_handshake_func (client, on_handshake, &c);
  ml_stream_set_callbacks (ML_STREAM (client), NULL, on_data, on_closed, &c);
  ml_tls_stream_start (client);
  ml_stream_write (ML_STREAM (client), msg, 20000);
  ml_scheduler_run (ml_network_get_scheduler (net), G_MAXUINT64);

  g_assert_nonnull (acc.server);
  g_assert_cmpuint (c.handshakes, ==, 1);
  g_assert_no_error (c.handshake_error);
  g_assert_cmpuint (s.handshakes, ==, 1);
  g_assert_cmpmem (s.data->data, s.data->len, msg, 20000);
  /* The server closed with close_notify; the client saw it and the FIN. */
  g_assert_true (ml_tls_stream_got_close_notify (client));
  g_assert_cmpuint (c.closed, ==, 1);
  g_assert_no_error (c.closed_error);
  if (loss > 0)
    g_assert_cmpuint (ml_tcp_stream_get_retransmissions (ML_TCP_STREAM (tcp))
                      + ml_tcp_stream_get_retransmissions (ML_TCP_STREAM (ml_tls_stream_get_inner (acc.server))),
                      >, 0);

  ml_network_free (net);
  g_clear_object (&acc.server);
  g_clear_object (&client);
  ml_tls_context_free (ctx);
  owner_clear (&c);
  owner_clear (&s);
}

static void
test_tcp_clean (void)
{
  run_over_tcp (0.0, 11);
}

static void
test_tcp_lossy (void)
{
  /* A fifth of all frames lost: TCP retransmits, TLS sees ordered bytes. */
  run_over_tcp (0.2, 12);
  run_over_tcp (0.2, 13);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tls/pki/variants", test_pki_variants);
  g_test_add_func ("/tls/handshake/whole", test_handshake_whole);
  g_test_add_func ("/tls/handshake/bytewise", test_handshake_bytewise);
  g_test_add_func ("/tls/handshake/large-write", test_large_write);
  g_test_add_func ("/tls/failure/wrong-name", test_fail_wrong_name);
  g_test_add_func ("/tls/failure/client-name", test_fail_client_name);
  g_test_add_func ("/tls/failure/expired", test_fail_expired);
  g_test_add_func ("/tls/failure/self-signed", test_fail_self_signed);
  g_test_add_func ("/tls/close/close-notify", test_close_notify);
  g_test_add_func ("/tls/keylog/format", test_keylog_format);
  g_test_add_func ("/tls/limits/pending-plaintext", test_pending_limit);
  g_test_add_func ("/tls/rand/deterministic", test_deterministic);
  g_test_add_func ("/tls/tcp/clean", test_tcp_clean);
  g_test_add_func ("/tls/tcp/lossy", test_tcp_lossy);
  return g_test_run ();
}

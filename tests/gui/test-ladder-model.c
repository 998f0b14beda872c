/* What the ladder writes on each row, its tone, and which hosts get lanes. */
#include "ladder-label.h"
#include "ladder-lanes.h"
#include "trace-fixture.h"

static MlTraceEvent *
line (MlDirection dir, MlProtocol protocol, const char *text, guint code)
{
  MlTraceEvent *e = ml_trace_event_new (ML_TRACE_DIALOGUE);

  e->host = g_strdup ("a");
  e->peer = g_strdup ("b");
  e->direction = dir;
  e->protocol = protocol;
  e->text = g_strdup (text);
  e->code = code;
  return e;
}

static void
assert_label (const MlTraceEvent *e, const char *expected)
{
  g_autofree char *text = ml_ladder_label_format (e);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_label_command (void)
{
  g_autoptr(MlTraceEvent) e = line (ML_DIR_CLIENT_TO_SERVER, ML_PROTO_SMTP, "MAIL FROM:<alice@a.example>", 0);

  assert_label (e, "C: MAIL FROM:<alice@a.example>");
  g_assert_cmpint (ml_ladder_label_tone (e), ==, ML_LADDER_TONE_COMMAND);
}

static void
test_label_reply (void)
{
  g_autoptr(MlTraceEvent) e = line (ML_DIR_SERVER_TO_CLIENT, ML_PROTO_SMTP, "250 2.1.0 Ok", 250);

  assert_label (e, "S: 250 2.1.0 Ok");
  g_assert_cmpint (ml_ladder_label_tone (e), ==, ML_LADDER_TONE_REPLY);
}

static void
test_label_multiline (void)
{
  g_autoptr(MlTraceEvent) e = line (ML_DIR_SERVER_TO_CLIENT, ML_PROTO_SMTP,
                                    "250-smtp.a.example\n250-PIPELINING\n250-SIZE 10240000\n"
                                    "250-8BITMIME\n250 ENHANCEDSTATUSCODES", 250);
  g_autoptr(MlTraceEvent) trailing = line (ML_DIR_CLIENT_TO_SERVER, ML_PROTO_SMTP, "Subject: x\nbody\n", 0);

  assert_label (e, "S: 250-smtp.a.example …(5 lines)");
  /* A final newline closes the last line; it opens none. */
  assert_label (trailing, "C: Subject: x …(2 lines)");
}

static void
test_label_marks (void)
{
  g_autoptr(MlTraceEvent) state = ml_trace_event_new (ML_TRACE_STATE);
  g_autoptr(MlTraceEvent) dns = ml_trace_event_new (ML_TRACE_DNS);
  g_autoptr(MlTraceEvent) store = ml_trace_event_new (ML_TRACE_STORE);
  g_autoptr(MlTraceEvent) note = ml_trace_event_new (ML_TRACE_NOTE);

  state->protocol = ML_PROTO_POP3;
  state->state_from = g_strdup ("AUTHORIZATION");
  state->state_to = g_strdup ("TRANSACTION");
  assert_label (state, "POP3 AUTHORIZATION → TRANSACTION");
  g_assert_cmpint (ml_ladder_label_tone (state), ==, ML_LADDER_TONE_MARK);

  dns->text = g_strdup ("MX b.example");
  dns->detail = g_strdup ("10 mx.b.example\n20 mx2.b.example\n");
  assert_label (dns, "DNS MX b.example → 10 mx.b.example, 20 mx2.b.example");

  store->text = g_strdup ("append");
  store->mailbox = g_strdup ("INBOX");
  store->account = g_strdup ("bob@b.example");
  store->uid = 1;
  assert_label (store, "store append INBOX uid 1 · bob@b.example");

  note->text = g_strdup ("step 1 of 2\nmore");
  assert_label (note, "step 1 of 2");
}

static void
test_tones (void)
{
  struct {
    MlProtocol   protocol;
    const char  *text;
    guint        code;
    MlLadderTone tone;
  } cases[] = {
    { ML_PROTO_SMTP, "354 End data with <CR><LF>.<CR><LF>", 354, ML_LADDER_TONE_REPLY },
    { ML_PROTO_SMTP, "451 4.3.0 Try again later", 451, ML_LADDER_TONE_WARNING },
    { ML_PROTO_SMTP, "550 5.1.1 No such user", 550, ML_LADDER_TONE_ERROR },
    { ML_PROTO_POP3, "+OK 2 messages", 0, ML_LADDER_TONE_REPLY },
    { ML_PROTO_POP3, "-ERR no such message", 0, ML_LADDER_TONE_ERROR },
    { ML_PROTO_IMAP, "a1 OK LOGIN completed", 0, ML_LADDER_TONE_REPLY },
    { ML_PROTO_IMAP, "a2 NO [TRYCREATE] no such mailbox", 0, ML_LADDER_TONE_WARNING },
    { ML_PROTO_IMAP, "a3 BAD unknown command", 0, ML_LADDER_TONE_ERROR },
  };
  g_autoptr(MlTraceEvent) frame = ml_trace_event_new (ML_TRACE_FRAME);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MlTraceEvent) e = line (ML_DIR_SERVER_TO_CLIENT, cases[i].protocol, cases[i].text, cases[i].code);

      g_test_message ("%s", cases[i].text);
      g_assert_cmpint (ml_ladder_label_tone (e), ==, cases[i].tone);
    }

  g_assert_cmpint (ml_ladder_label_tone (frame), ==, ML_LADDER_TONE_PACKET);
  frame->retransmission = TRUE;
  g_assert_cmpint (ml_ladder_label_tone (frame), ==, ML_LADDER_TONE_WARNING);
  frame->dropped = TRUE;
  g_assert_cmpint (ml_ladder_label_tone (frame), ==, ML_LADDER_TONE_ERROR);
}

static void
assert_lanes (MlLadderLanes *lanes, const char * const *expected)
{
  guint n = g_strv_length ((char **) expected);

  g_assert_cmpuint (ml_ladder_lanes_get_n (lanes), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpstr (ml_ladder_lanes_get_name (lanes, i), ==, expected[i]);
      g_assert_cmpint (ml_ladder_lanes_lookup (lanes, expected[i]), ==, (int) i);
    }
}

static void
test_lanes_topology_order (void)
{
  g_autoptr(MlTrace) trace = ml_test_small_trace ();
  g_autoptr(MlStepIndex) dialogue = ml_step_index_new (trace, ML_STEP_MODE_DIALOGUE);
  g_autoptr(MlStepIndex) packets = ml_step_index_new (trace, ML_STEP_MODE_PACKETS);
  const char *hosts[] = { "server", "unused", "rtr", "client", NULL };
  const char *dialogue_lanes[] = { "server", "client", NULL };
  const char *packet_lanes[] = { "server", "rtr", "client", NULL };
  g_autoptr(MlLadderLanes) a = ml_ladder_lanes_new (trace, dialogue, hosts);
  g_autoptr(MlLadderLanes) b = ml_ladder_lanes_new (trace, packets, hosts);

  /* The router only forwards frames: no lane while stepping by dialogue. */
  assert_lanes (a, dialogue_lanes);
  assert_lanes (b, packet_lanes);
  g_assert_cmpint (ml_ladder_lanes_lookup (a, "rtr"), ==, -1);
  g_assert_cmpint (ml_ladder_lanes_lookup (a, "unused"), ==, -1);
  g_assert_cmpint (ml_ladder_lanes_lookup (a, NULL), ==, -1);
}

static void
test_lanes_unknown_hosts (void)
{
  g_autoptr(MlTrace) trace = ml_test_small_trace ();
  g_autoptr(MlStepIndex) packets = ml_step_index_new (trace, ML_STEP_MODE_PACKETS);
  const char *hosts[] = { "rtr", NULL };
  const char *expected[] = { "rtr", "client", "server", NULL };
  g_autoptr(MlLadderLanes) lanes = ml_ladder_lanes_new (trace, packets, hosts);

  /* Hosts the topology does not name follow in order of appearance. */
  assert_lanes (lanes, expected);
  /* DNS names compare without case. */
  g_assert_cmpint (ml_ladder_lanes_lookup (lanes, "CLIENT"), ==, 1);
}

static void
test_lanes_marks (void)
{
  g_autoptr(MlTrace) trace = ml_trace_new ();
  g_autoptr(MlStepIndex) index = NULL;
  g_autoptr(MlLadderLanes) topology = NULL;
  g_autoptr(MlLadderLanes) capture = NULL;
  MlTraceEvent *note = ml_trace_event_new (ML_TRACE_NOTE);
  MlTraceEvent *summary = ml_trace_event_new (ML_TRACE_NOTE);
  const char *hosts[] = { "mta", NULL };
  const char *expected[] = { "mta", NULL };
  const char *none[] = { NULL };

  note->host = g_strdup ("mta");
  note->peer = g_strdup ("client");
  note->text = g_strdup ("queued as 1");
  ml_trace_append (trace, note);
  /* A run's summary speaks for no host. */
  summary->host = g_strdup ("lesson");
  summary->text = g_strdup ("SMTP: 1 session");
  ml_trace_append (trace, summary);
  index = ml_step_index_new (trace, ML_STEP_MODE_DIALOGUE);

  /* A mark gives its host a lane when the topology names the host, never
   * to its peer, nor to a name outside the topology that never talks. */
  topology = ml_ladder_lanes_new (trace, index, hosts);
  assert_lanes (topology, expected);
  g_assert_cmpint (ml_ladder_lanes_lookup (topology, "lesson"), ==, -1);
  capture = ml_ladder_lanes_new (trace, index, NULL);
  assert_lanes (capture, none);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ladder/label/command", test_label_command);
  g_test_add_func ("/ladder/label/reply", test_label_reply);
  g_test_add_func ("/ladder/label/multiline", test_label_multiline);
  g_test_add_func ("/ladder/label/marks", test_label_marks);
  g_test_add_func ("/ladder/label/tones", test_tones);
  g_test_add_func ("/ladder/lanes/topology-order", test_lanes_topology_order);
  g_test_add_func ("/ladder/lanes/unknown-hosts", test_lanes_unknown_hosts);
  g_test_add_func ("/ladder/lanes/marks", test_lanes_marks);
  return g_test_run ();
}

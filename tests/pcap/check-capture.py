#!/usr/bin/env python3
"""Check a lesson's capture with tshark, as a student's Wireshark would see it.

usage: check-capture.py MAILLAB_CLI LESSON [--lossy]

1. With IP and TCP checksum checks on, `tshark -z expert` reports no error
   and no warning (a lossy lesson may show retransmission notes and the
   duplicate ACKs and out-of-order segments loss brings, nothing else).
2. tshark lists every SMTP, POP and IMAP client command in the transcript's order.
3. Each TCP stream, reassembled by tshark, equals the dialogue lines the
   trace recorded for that connection, byte for byte, in both directions.
4. DNS frames dissect as DNS, and every MX query is answered with MX records
   (or, once a lesson's fault removed an MX, with an empty NOERROR answer).
5. pcapng: tshark reads it and the dialogue lines are there as comments.
6. Two runs with the same seed give byte-identical pcap files.

Exits 77 (skip) when tshark is missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

TSHARK_CHECKS = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]
# Expert messages a lossy link brings with it, and nothing else.
LOSS_EXPERT = (
    "retransmission", "duplicate ack", "out-of-order", "previous segment",
    "spurious", "fast retransmission", "keep-alive", "ack'ed", "acked",
)

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def tshark(*args):
    res = subprocess.run(["tshark", *args], capture_output=True, text=True)
    if res.returncode != 0:
        fail(f"tshark {' '.join(args)} exited {res.returncode}: {res.stderr.strip()}")
    return res.stdout


def run_lesson(cli, lesson, outdir, tag):
    pcap = os.path.join(outdir, f"{tag}.pcap")
    pcapng = os.path.join(outdir, f"{tag}.pcapng")
    js = os.path.join(outdir, f"{tag}.jsonl")
    res = subprocess.run([cli, "run", lesson, "--quiet", "--pcap", pcap,
                          "--pcapng", pcapng, "--json", js],
                         capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stdout, res.stderr)
        sys.exit(f"maillab-cli run {lesson} exited {res.returncode}")
    with open(js, encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    return pcap, pcapng, events


def check_expert(pcap, lossy):
    out = tshark(*TSHARK_CHECKS, "-r", pcap, "-q", "-z", "expert")
    section = None
    for line in out.splitlines():
        stripped = line.strip()
        low = stripped.lower()
        if not stripped or stripped.startswith("="):
            continue
        for name in ("errors", "warns", "notes", "chats"):
            if low.startswith(name + " ("):
                section = name
                break
        else:
            if section in ("errors", "warns") and not low.startswith("frequency"):
                if lossy and any(k in low for k in LOSS_EXPERT):
                    continue
                fail(f"tshark expert {section}: {stripped}")
            if section == "notes" and not lossy and "retransmission" in low:
                fail(f"retransmission on a lossless lesson: {stripped}")


def dialogue_by_conn(events):
    """conn_id → {'c': bytes, 's': bytes} as the trace says they were sent."""
    conns = {}
    for e in events:
        if e.get("kind") != "dialogue" or not e.get("conn_id"):
            continue
        d = conns.setdefault(e["conn_id"], {"c": b"", "s": b"", "cmds": []})
        side = "c" if e.get("direction") == "client-to-server" else "s"
        text = e.get("text", "")
        d[side] += b"".join(l.encode("utf-8") + b"\r\n" for l in text.split("\n"))
        if side == "c" and e.get("verb"):
            d["cmds"].append(e["verb"])
    return conns


# protocol in the trace → tshark's field for a client command
COMMAND_FIELDS = {
    "SMTP": "smtp.req.command",
    "POP3": "pop.request.command",
    "IMAP": "imap.request.command",
}


def normalize(proto, verb):
    """A trace verb as tshark names the command."""
    word = verb.split()
    if proto == "IMAP" and word[0].upper() == "UID" and len(word) > 1:
        return word[1].upper()      # tshark: command FETCH, flag uid
    return word[0].upper()


def expected_per_frame(pcapng, events):
    """What tshark should list for each frame: the commands our pcapng says
    that frame carries. The pcapng's packet comment holds the dialogue
    lines each segment carries, so the trace's client lines can be
    assigned to frames exactly."""
    client = {}
    for e in events:
        if e.get("kind") == "dialogue" and e.get("direction") == "client-to-server" and e.get("conn_id"):
            client.setdefault(e["conn_id"], []).append(e)
    out = tshark("-r", pcapng, "-Y", "frame.comment", "-T", "fields",
                 "-e", "frame.number", "-e", "tcp.stream", "-e", "frame.comment")
    per_frame = {}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) < 3 or not cols[1]:
            continue
        frame, stream, comment = int(cols[0]), int(cols[1]), cols[2]
        n = sum(1 for l in comment.split("\\n") if " C: " in l[:8])
        queue = client.get(stream + 1, [])
        got = []
        while n > 0 and queue:
            e = queue.pop(0)
            n -= len(e.get("text", "").split("\n"))
            got.append(e)
        per_frame[frame] = got
    return per_frame


def tshark_reads_as_data(events):
    """Indexes of SMTP client lines tshark 4.0 takes for message content.
    After a pipelined DATA (RFC 2920 3.1) that is refused (554 "no valid
    recipients" once every RCPT failed), Wireshark's dissector stays in
    its data state and shows the client's next segment (the QUIT) as a
    "DATA fragment". The capture is right; only the command list skips
    those lines."""
    blind = set()
    by_conn = {}
    for e in events:
        if e.get("kind") == "dialogue" and e.get("protocol") == "SMTP" and e.get("conn_id"):
            by_conn.setdefault(e["conn_id"], []).append(e)
    for conn in by_conn.values():
        waiting, greeted, in_data = [], False, False
        for e in conn:
            if e.get("direction") == "client-to-server":
                if in_data:
                    blind.add(e["index"])
                elif e.get("verb"):
                    waiting.append(e["verb"].upper())
            elif not greeted:
                greeted = True
            elif waiting:
                verb = waiting.pop(0)
                in_data = verb == "DATA" and e.get("code") != 354 and not waiting
    return blind


def check_commands(pcap, pcapng, events):
    """Every client command of the trace, as tshark sees it frame by frame.
    tshark's POP dissector reads only a segment's first line, so for a
    pipelined POP3 batch it names the first command; SMTP and IMAP name
    every command of a segment. IMAP's DONE ends an IDLE and is no
    command (RFC 2177 3)."""
    total = 0
    per_frame = expected_per_frame(pcapng, events)
    blind = tshark_reads_as_data(events)
    for proto, field in COMMAND_FIELDS.items():
        expected = []
        for frame in sorted(per_frame):
            verbs = [normalize(proto, e["verb"]) for e in per_frame[frame]
                     if e.get("protocol") == proto and e.get("verb")
                     and not (proto == "IMAP" and e["verb"].upper() == "DONE")
                     and e.get("index") not in blind]
            if proto == "POP3":
                verbs = verbs[:1]
            expected.extend(verbs)
        out = tshark("-r", pcap, "-Y", field, "-T", "fields", "-e", field)
        got = []
        for line in out.splitlines():
            got.extend(c.split()[0].upper() for c in line.split(",") if c.strip())
        if got != expected:
            fail(f"tshark {proto} commands differ from the transcript:\n  tshark: {got[:40]}\n  trace:  {expected[:40]}")
        total += sum(1 for e in events if e.get("kind") == "dialogue" and e.get("protocol") == proto
                     and e.get("direction") == "client-to-server" and e.get("verb"))
    if total == 0:
        fail("no client command in the capture")
    return total


def check_streams(pcap, events):
    conns = dialogue_by_conn(events)
    out = tshark("-r", pcap, "-T", "fields", "-e", "tcp.stream", "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0")
    n_streams = len(set(out.split()))
    checked = 0
    # tshark numbers streams by first appearance; our conn ids count
    # connections in order of creation: both orders are the SYN order.
    for stream in range(n_streams):
        follow = tshark("-r", pcap, "-q", "-z", f"follow,tcp,raw,{stream}")
        client = b""
        server = b""
        for line in follow.splitlines():
            if line.startswith(("=", "Follow:", "Filter:", "Node 0:", "Node 1:")):
                continue
            raw = line.strip()
            if not raw:
                continue
            # Node 0 (the connecting side) unindented, node 1 after a tab.
            if line.startswith("\t"):
                server += bytes.fromhex(raw)
            else:
                client += bytes.fromhex(raw)
        conn_id = stream + 1
        if conn_id not in conns:
            continue
        want = conns[conn_id]
        if client != want["c"]:
            fail(f"stream {stream}: client bytes differ from the dialogue ({len(client)} vs {len(want['c'])} octets)\n"
                 f"  capture: {client[:200]!r}\n  trace:   {want['c'][:200]!r}")
        if server != want["s"]:
            fail(f"stream {stream}: server bytes differ from the dialogue ({len(server)} vs {len(want['s'])} octets)\n"
                 f"  capture: {server[:200]!r}\n  trace:   {want['s'][:200]!r}")
        checked += 1
    if checked == 0:
        fail("no TCP stream matched a dialogue")
    return checked


def check_dns(pcap, events=()):
    # A lesson whose fault removes an MX record gets empty (NODATA)
    # answers from then on, as RFC 5321 5.1's implicit MX needs.
    mx_removed = any(e.get("explain_key") == "lesson.fault.dns-remove" for e in events)
    out = tshark("-r", pcap, "-Y", "dns", "-T", "fields", "-e", "dns.flags.response",
                 "-e", "dns.qry.type", "-e", "dns.qry.name", "-e", "dns.mx.mail_exchange",
                 "-e", "dns.flags.rcode", "-e", "dns.count.answers")
    mx_queries = mx_answers = 0
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) < 4:
            continue
        response, qtype, name, mx = cols[:4]
        if qtype == "15":
            if response in ("0", "False"):
                mx_queries += 1
            elif mx:
                mx_answers += 1
            elif mx_removed and cols[4:6] == ["0", "0"]:
                mx_answers += 1
    if mx_queries == 0:
        fail("no DNS MX query in the capture")
    if mx_answers < mx_queries:
        fail(f"{mx_queries} MX queries but only {mx_answers} MX answers")


def check_pcapng(pcapng, events):
    out = tshark("-r", pcapng, "-Y", "frame.comment", "-T", "fields", "-e", "frame.comment")
    comments = [c for c in out.splitlines() if c.strip()]
    if not comments:
        fail("the pcapng carries no packet comments")
    first_cmd = next((e["text"] for e in events if e.get("kind") == "dialogue"
                      and e.get("direction") == "client-to-server"), None)
    if first_cmd and not any(first_cmd.split("\n")[0] in c for c in comments):
        fail(f"the first command {first_cmd!r} is in no packet comment")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cli, lesson = sys.argv[1], sys.argv[2]
    lossy = "--lossy" in sys.argv[3:]
    if shutil.which("tshark") is None:
        print("tshark is not installed: skipping")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        pcap, pcapng, events = run_lesson(cli, lesson, tmp, "a")
        check_expert(pcap, lossy)
        n_cmds = check_commands(pcap, pcapng, events)
        n_streams = check_streams(pcap, events)
        check_dns(pcap, events)
        check_pcapng(pcapng, events)
        pcap2, _, _ = run_lesson(cli, lesson, tmp, "b")
        with open(pcap, "rb") as a, open(pcap2, "rb") as b:
            if a.read() != b.read():
                fail("two runs with the same seed gave different pcap files")
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print(f"ok: {n_cmds} client commands, {n_streams} TCP streams match the dialogue")


main()

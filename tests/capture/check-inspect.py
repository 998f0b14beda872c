#!/usr/bin/env python3
"""Read a lesson's own capture back and check it against the simulation and tshark.

usage: check-inspect.py MAILLAB_CLI LESSON
       check-inspect.py MAILLAB_CLI FILE.pcap   (a capture of real traffic: step 2
                                                with the maillab-cli serve ports
                                                decoded as their protocols)

1. `maillab-cli run LESSON --json` (the simulation's own trace) and
   `maillab-cli inspect --json` of the pcapng and of the pcap it wrote give
   the same dialogue: per connection, the same lines in the same order
   (direction, protocol, text, verb, arguments, code, detail, explanation key),
   and the same server state changes.
2. The SMTP, POP and IMAP requests equal tshark's (`smtp.req.command`,
   `pop.request.command`, `imap.request`), frame by frame and per TCP flow.
   Wireshark reads only the first POP3 request of a segment, so a pipelined
   POP3 batch is compared by its first command (and the rest reported).
3. The same capture with its mail ports moved to non-standard ones (2525,
   2587, 1110, 1143; checksums fixed) is read with no --port at all
   (detection by content) and still agrees with tshark told with -d.

Exits 77 (skip) when tshark is missing.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

failures = []

# tshark fields that mark one client request each (several in one frame
# when the client pipelines).
REQUEST_FIELDS = ("smtp.req", "pop.request", "imap.request")
MOVED_PORTS = {25: 2525, 587: 2587, 110: 1110, 143: 1143}
DECODE_AS = ["-d", "tcp.port==2525,smtp", "-d", "tcp.port==2587,smtp",
             "-d", "tcp.port==1110,pop", "-d", "tcp.port==1143,imap"]


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        fail(f"{' '.join(cmd)} exited {res.returncode}: {res.stderr.strip()}")
    return res.stdout


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def dialogue(events):
    """[(conn_id, [line tuple, …]), …] in the order connections first speak."""
    by_conn = {}
    for e in events:
        if e["kind"] != "dialogue":
            continue
        by_conn.setdefault(e.get("conn_id", 0), []).append(
            (e.get("direction"), e.get("protocol"), e.get("text"), e.get("verb"),
             e.get("args"), e.get("code"), e.get("detail"), e.get("explain_key")))
    return [by_conn[k] for k in sorted(by_conn)]


def server_states(events):
    """[(conn_id, [(from, to, key), …])]: the servers' state changes."""
    by_conn = {}
    for e in events:
        if e["kind"] == "state" and ".client." not in e.get("explain_key", ""):
            by_conn.setdefault(e.get("conn_id", 0), []).append(
                (e.get("state_from"), e.get("state_to"), e.get("explain_key")))
    return [by_conn[k] for k in sorted(by_conn)]


def compare_dialogue(what, sim, cap):
    a, b = dialogue(sim), dialogue(cap)
    if len(a) != len(b):
        fail(f"{what}: {len(b)} connections with dialogue, the simulation had {len(a)}")
    for i, (x, y) in enumerate(zip(a, b), 1):
        if x == y:
            continue
        for j, (p, q) in enumerate(zip(x, y)):
            if p != q:
                fail(f"{what}: connection {i} line {j + 1}:\n  simulation {p}\n  capture    {q}")
                break
        else:
            fail(f"{what}: connection {i} has {len(y)} lines, the simulation {len(x)}")
    return sum(len(x) for x in b)


def our_requests(cli, path, extra=()):
    """{frame number: [request, …]}: each client command, at the frame that
    completed it (frames are numbered from 1 as tshark numbers them)."""
    events = json_lines(run([cli, "inspect", "--json", *extra, path]))
    frame, out = 0, {}
    for e in events:
        if e["kind"] == "frame":
            frame += 1
        # A request is a client line that is a command: SMTP content, SASL
        # answers and BDAT chunks carry no verb.
        elif (e["kind"] == "dialogue" and e.get("direction") == "client-to-server"
                and e.get("verb")):
            word = e["text"].split(" ", 1)[0] if e["protocol"] == "IMAP" else e["verb"]
            if e["protocol"] == "SMTP":
                word = word[:4]   # Wireshark keeps 4 letters: "STAR" for STARTTLS
            out.setdefault(frame, []).append((e["protocol"], word.upper()))
    return out


def tshark_requests(path, extra):
    """({frame: [request, …]}, {frame: tcp.stream})."""
    sep = "\x1f"
    out = run(["tshark", "-r", path, *extra, "-T", "fields", "-E", "separator=\t",
               "-E", "aggregator=" + sep, "-e", "frame.number", "-e", "tcp.stream",
               "-e", "smtp.req.command", "-e", "pop.request.command", "-e", "imap.request"])
    reqs, streams = {}, {}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) < 5:
            continue
        frame = int(cols[0])
        if cols[1]:
            streams[frame] = int(cols[1])
        for proto, col in (("SMTP", cols[2]), ("POP3", cols[3]), ("IMAP", cols[4])):
            for item in filter(None, col.split(sep)):
                word = item.split(" ", 1)[0] if proto == "IMAP" else item
                reqs.setdefault(frame, []).append((proto, word.upper()))
    return reqs, streams


def compare_requests(what, ours, theirs_and_streams):
    """Frame by frame, then per flow. Wireshark's packet-pop.c reads only the
    first request line of a segment, so for POP3 tshark's request is the
    first of ours in that frame and a pipelined rest is not counted by it."""
    theirs, streams = theirs_and_streams
    if not theirs:
        fail(f"{what}: tshark found no request at all")
    per_flow_ours, per_flow_theirs, pop_pipelined = {}, {}, 0
    for frame in sorted(set(ours) | set(theirs)):
        a, b = ours.get(frame, []), theirs.get(frame, [])
        if a and a[0][0] == "POP3" and b:
            pop_pipelined += len(a) - 1
            a = a[:1]
        if a != b:
            fail(f"{what}: frame {frame}: requests {a}, tshark {b}")
        stream = streams.get(frame, -1)
        per_flow_ours[stream] = per_flow_ours.get(stream, 0) + len(a)
        per_flow_theirs[stream] = per_flow_theirs.get(stream, 0) + len(b)
    for stream in sorted(per_flow_theirs):
        if per_flow_ours.get(stream) != per_flow_theirs[stream]:
            fail(f"{what}: tcp.stream {stream}: {per_flow_ours.get(stream)} requests, "
                 f"tshark {per_flow_theirs[stream]}")
    return sum(per_flow_theirs.values()), len(per_flow_theirs), pop_pipelined


def move_ports(src, dst):
    """Copy a classic pcap of Ethernet/IPv4/TCP frames with MOVED_PORTS applied,
    fixing the TCP checksum (RFC 9293 3.1) so tshark reads it as sent."""
    with open(src, "rb") as f:
        data = f.read()
    out = bytearray(data[:24])
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off = 24
    while off + 16 <= len(data):
        ts_s, ts_u, caplen, wirelen = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = bytearray(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
        if len(frame) >= 34 and frame[12:14] == b"\x08\x00" and frame[23] == 6:
            ihl = (frame[14] & 0x0f) * 4
            total = struct.unpack(">H", frame[16:18])[0]
            t = 14 + ihl
            sport, dport = struct.unpack(">HH", frame[t:t + 4])
            frame[t:t + 4] = struct.pack(">HH", MOVED_PORTS.get(sport, sport),
                                         MOVED_PORTS.get(dport, dport))
            seg = frame[t:14 + total]
            seg[16:18] = b"\0\0"
            pseudo = frame[26:34] + struct.pack(">BBH", 0, 6, len(seg))
            blob = pseudo + seg + (b"\0" if len(seg) % 2 else b"")
            s = sum(struct.unpack(">%dH" % (len(blob) // 2), blob))
            while s >> 16:
                s = (s & 0xffff) + (s >> 16)
            frame[t + 16:t + 18] = struct.pack(">H", ~s & 0xffff)
        out += struct.pack(endian + "IIII", ts_s, ts_u, len(frame), wirelen) + frame
    with open(dst, "wb") as f:
        f.write(out)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cli, lesson = sys.argv[1], sys.argv[2]
    if shutil.which("tshark") is None:
        print("SKIP: tshark is not installed")
        sys.exit(77)
    if lesson.endswith((".pcap", ".pcapng")):
        n, flows, extra = compare_requests(os.path.basename(lesson), our_requests(cli, lesson),
                                           tshark_requests(lesson, DECODE_AS))
        print(f"{os.path.basename(lesson)}: {n} requests in {flows} flows, frame by frame "
              f"as tshark counts them (and {extra} pipelined POP3 commands tshark does not see)")
        if failures:
            sys.exit(1)
        print("ok")
        return
    with tempfile.TemporaryDirectory() as tmp:
        pcap, pcapng, js = (os.path.join(tmp, n) for n in ("l.pcap", "l.pcapng", "l.jsonl"))
        run([cli, "run", lesson, "--quiet", "--pcap", pcap, "--pcapng", pcapng, "--json", js])
        with open(js, encoding="utf-8") as f:
            sim = json_lines(f.read())

        for path in (pcapng, pcap):
            cap = json_lines(run([cli, "inspect", "--json", path]))
            lines = compare_dialogue(os.path.basename(path), sim, cap)
            a, b = server_states(sim), server_states(cap)
            for i, (x, y) in enumerate(zip(a, b), 1):
                if x != y:
                    fail(f"{os.path.basename(path)}: connection {i} server states:\n"
                         f"  simulation {x}\n  capture    {y}")
            if len(a) != len(b):
                fail(f"{os.path.basename(path)}: server states on {len(b)} connections, "
                     f"the simulation's on {len(a)}")
            print(f"{os.path.basename(path)}: {lines} dialogue lines in "
                  f"{len(dialogue(cap))} connections, as the simulation's")

        n, flows, extra = compare_requests("pcapng", our_requests(cli, pcapng),
                                           tshark_requests(pcapng, []))
        print(f"pcapng: {n} requests in {flows} flows, frame by frame as tshark counts them"
              f" (and {extra} pipelined POP3 commands tshark does not see)")

        moved = os.path.join(tmp, "moved.pcap")
        move_ports(pcap, moved)
        n, flows, extra = compare_requests("moved ports", our_requests(cli, moved),
                                           tshark_requests(moved, DECODE_AS))
        cap = json_lines(run([cli, "inspect", "--json", moved]))
        if len(dialogue(cap)) != len(dialogue(sim)):
            fail(f"moved ports: {len(dialogue(cap))} connections detected by content, "
                 f"the simulation had {len(dialogue(sim))}")
        print(f"moved ports: {n} requests found by content detection, as tshark -d counts them")

    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

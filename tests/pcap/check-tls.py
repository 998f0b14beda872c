#!/usr/bin/env python3
"""Check a TLS lesson's capture with tshark: what maillab wrote decrypts,
and what TLS protects is not on the wire.

usage: check-tls.py MAILLAB_CLI LESSON --account USER:PASSWORD [--account ...]
                    [--text TEXT ...] [--expect-leak] [--expect-failure KEY ...]

1. The pcapng carries its own keys (Decryption Secrets Blocks): a plain
   `tshark -r out.pcapng` decodes every kind of SMTP, POP and IMAP command
   the trace recorded, including those sent inside TLS.
2. The pcap with the key log maillab wrote (`--keylog`), read with
   `-o tls.keylog_file:FILE`, shows the same commands as the pcapng;
   without the key log tshark sees fewer whenever the lesson used TLS.
3. Every key-log line is an NSS key-log line of TLS 1.3.
4. After a TLS handshake starts on a connection, none of the protected
   strings appears in that connection's bytes: the passwords (as typed, and
   as AUTH PLAIN / LOGIN put them in base64) and each --text.
5. --expect-leak: a password does appear in the clear somewhere in the
   capture (the cleartext half of the lesson: that is the point). Without
   it, no password appears in the clear at all.
6. Every TLS connection in the capture has its tls.handshake.done note,
   and each --expect-failure key is among the trace's notes.
7. Two runs with the same seed give byte-identical pcap, pcapng and key
   log.
8. With IP and TCP checksum checks on, tshark's expert info on the
   decrypted pcapng has no error and no warning. (check-capture.py
   compares reassembled streams with the dialogue, which ciphertext cannot
   match, so TLS lessons are checked here instead.)

Exits 77 (skip) when tshark is missing.
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

COMMAND_FIELDS = ("smtp.req.command", "pop.request.command", "imap.request.command")
KEYLOG_LINE = re.compile(
    r"^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET"
    r"|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET)"
    r" [0-9a-f]{64} [0-9a-f]{64,96}$")
# A TLS handshake record: content type 22, legacy version 3.x (RFC 8446 5.1).
TLS_HANDSHAKE = b"\x16\x03"

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def tshark(*args):
    res = subprocess.run(["tshark", *args], capture_output=True, text=True)
    if res.returncode != 0:
        fail(f"tshark {' '.join(args)} exited {res.returncode}: {res.stderr.strip()}")
    return res.stdout


# Checksums checked; SMTP AUTH parameters decoded, as a student would turn
# on to read them (otherwise tshark warns that it did not).
EXPERT_OPTIONS = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                  "-o", "smtp.decryption:TRUE"]


def check_expert(pcapng):
    out = tshark(*EXPERT_OPTIONS, "-r", pcapng, "-q", "-z", "expert")
    section = None
    for line in out.splitlines():
        low = line.strip().lower()
        if not low or low.startswith("="):
            continue
        for name in ("errors", "warns", "notes", "chats", "comments"):
            if low.startswith(name + " ("):
                section = name
                break
        else:
            if section in ("errors", "warns") and not low.startswith("frequency"):
                fail(f"tshark expert {section}: {line.strip()}")


def run_lesson(cli, lesson, outdir, tag):
    paths = {k: os.path.join(outdir, f"{tag}.{k}") for k in ("pcap", "pcapng", "keys", "jsonl")}
    res = subprocess.run([cli, "run", lesson, "--quiet", "--pcap", paths["pcap"],
                          "--pcapng", paths["pcapng"], "--keylog", paths["keys"],
                          "--json", paths["jsonl"]], capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stdout, res.stderr)
        sys.exit(f"maillab-cli run {lesson} exited {res.returncode}")
    with open(paths["jsonl"], encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    return paths, events


# Wireshark's SMTP dissector names a command by its first four
# characters ("STAR" for STARTTLS), so verbs are compared that far.
VERB_CHARS = 4


# IMAP's DONE ends IDLE (RFC 2177 3): a continuation, not a command, and
# tshark does not list it as one.
NOT_COMMANDS = ("DONE",)


def verb_key(verb):
    """"UID FETCH" and "UID" alike: the first word, four characters."""
    words = verb.strip().upper().split()
    if len(words) > 1 and words[0] == "UID":
        words = words[1:]
    return words[0][:VERB_CHARS] if words else ""


def commands(*args):
    """Every command verb tshark decodes, in frame order."""
    out = tshark(*args, "-T", "fields", *sum((["-e", f] for f in COMMAND_FIELDS), []))
    verbs = []
    for line in out.splitlines():
        for field in line.split("\t"):
            verbs += [verb_key(v) for v in field.split(",") if v.strip()]
    return verbs


def trace_commands(events):
    """Command verbs the trace recorded (client lines with a verb)."""
    return [verb_key(e["verb"]) for e in events
            if e.get("kind") == "dialogue" and e.get("verb")
            and e.get("direction") == "client-to-server"
            and e["verb"].upper() not in NOT_COMMANDS]


def streams(pcap):
    """(stream, source port) → bytes in sequence order, retransmissions once."""
    out = tshark("-r", pcap, "-o", "tcp.relative_sequence_numbers:TRUE",
                 "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport",
                 "-e", "tcp.seq", "-e", "tcp.payload")
    segs = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < 4 or not parts[3]:
            continue
        key = (int(parts[0]), int(parts[1]))
        segs.setdefault(key, {})[int(parts[2])] = bytes.fromhex(parts[3].replace(":", ""))
    result = {}
    for key, by_seq in segs.items():
        data = bytearray()
        for seq in sorted(by_seq):
            payload = by_seq[seq]
            start = seq - 1  # relative sequence numbers count the SYN
            if start + len(payload) > len(data):
                data[start:] = payload[max(0, len(data) - start):] if start <= len(data) \
                    else payload
        result[key] = bytes(data)
    return result


def secret_forms(accounts):
    forms = []
    for user, password in accounts:
        forms.append(password.encode())
        # AUTH PLAIN: base64 of authzid NUL authcid NUL passwd (RFC 4616 2).
        forms.append(base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()))
        # AUTH LOGIN sends the password alone in base64.
        forms.append(base64.b64encode(password.encode()))
    return forms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cli")
    parser.add_argument("lesson")
    parser.add_argument("--account", action="append", default=[])
    parser.add_argument("--text", action="append", default=[])
    parser.add_argument("--expect-leak", action="store_true")
    parser.add_argument("--expect-failure", action="append", default=[])
    args = parser.parse_args()
    if shutil.which("tshark") is None:
        print("tshark not found")
        return 77
    accounts = [tuple(a.split(":", 1)) for a in args.account]
    secrets = secret_forms(accounts)
    texts = [t.encode() for t in args.text]

    with tempfile.TemporaryDirectory() as tmp:
        paths, events = run_lesson(args.cli, args.lesson, tmp, "a")

        # 1. The pcapng decrypts with only what maillab wrote into it.
        recorded = trace_commands(events)
        with_dsb = commands("-r", paths["pcapng"])
        # tshark's POP dissector names only the first of several pipelined
        # commands in one segment, so kinds of command are compared, and
        # counts only as "at least as many as without keys".
        # A SASL response line ("Ym9i…") is no command, but tshark's POP
        # dissector names its first characters as one.
        responses = {verb_key(e.get("text") or "") for e in events
                     if e.get("kind") == "dialogue" and not e.get("verb")
                     and e.get("direction") == "client-to-server"}
        with_dsb = [v for v in with_dsb if v in recorded or v not in responses]
        if set(with_dsb) != set(recorded):
            fail(f"pcapng with its secrets: commands the trace has and tshark does not: "
                 f"{sorted(set(recorded) - set(with_dsb))}; the other way: "
                 f"{sorted(set(with_dsb) - set(recorded))}")
        else:
            print(f"# pcapng: tshark decodes {len(with_dsb)} commands of "
                  f"{len(set(recorded))} kinds, DSB only")

        # 2. The pcap with the key log; and without it less is readable.
        with_keylog = [v for v in commands("-o", f"tls.keylog_file:{paths['keys']}",
                                           "-r", paths["pcap"])
                       if v in recorded or v not in responses]
        if sorted(with_keylog) != sorted(with_dsb):
            fail(f"pcap with --keylog shows {len(with_keylog)} commands, "
                 f"the pcapng {len(with_dsb)}")
        without = [v for v in commands("-r", paths["pcap"])
                   if v in recorded or v not in responses]
        notes = [e for e in events if e.get("kind") == "note"]
        done = [e for e in notes if e.get("explain_key") == "tls.handshake.done"]
        if done and len(without) >= len(with_keylog):
            fail("without keys tshark still reads every command: nothing was encrypted")
        print(f"# pcap: {len(with_keylog)} commands with the key log, {len(without)} without")

        # 3. Key-log lines.
        with open(paths["keys"], encoding="ascii") as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
        for line in lines:
            if not KEYLOG_LINE.match(line):
                fail(f"not an NSS key-log line: {line[:60]}")
        if done and not lines:
            fail("TLS connections but an empty key log")

        # 4, 5. What the wire shows.
        leaked = []
        tls_streams = set()
        for (stream, port), data in sorted(streams(paths["pcap"]).items()):
            start = data.find(TLS_HANDSHAKE)
            clear = data if start < 0 else data[:start]
            protected = b"" if start < 0 else data[start:]
            if start >= 0:
                tls_streams.add(stream)
            for s in secrets + texts:
                if s in protected:
                    fail(f"tcp stream {stream} (from port {port}): {s!r} "
                         f"in the clear after the TLS handshake began")
            leaked += [(stream, s) for s in secrets if s in clear]
        if args.expect_leak and not leaked:
            fail("the cleartext part of the lesson shows no password: the lesson's point is missing")
        if not args.expect_leak:
            for stream, s in leaked:
                fail(f"tcp stream {stream}: credential {s!r} in the clear")
        print(f"# {len(tls_streams)} TLS connections, "
              f"{len(leaked)} cleartext credential sightings")

        # 6. Notes.
        if len(done) + sum(1 for e in notes if (e.get("explain_key") or "").startswith(
                ("tls.certificate.", "tls.handshake.failed", "tls.alert.")))  \
                < len(tls_streams):
            fail(f"{len(tls_streams)} TLS connections on the wire, "
                 f"{len(done)} tls.handshake.done notes")
        keys = {e.get("explain_key") for e in notes}
        for key in args.expect_failure:
            if key not in keys:
                fail(f"no {key} note in the trace")

        # 8. Wireshark finds nothing wrong in what it decrypted.
        check_expert(paths["pcapng"])

        # 7. Same seed, same bytes, TLS included.
        again, _ = run_lesson(args.cli, args.lesson, tmp, "b")
        for kind in ("pcap", "pcapng", "keys"):
            with open(paths[kind], "rb") as f1, open(again[kind], "rb") as f2:
                if f1.read() != f2.read():
                    fail(f"two runs with one seed gave different {kind} files")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

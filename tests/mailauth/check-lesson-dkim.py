#!/usr/bin/env python3
"""A message our MSA signed in a lesson verifies with dkimpy, read off the wire.

usage: check-lesson-dkim.py MAILLAB_CLI LESSON SIGNER_IP

The lesson runs with --pcap; tshark gives the DKIM key from the DNS TXT
answer in the capture and the bytes of every SMTP session on port 25.
The message that SIGNER_IP (the signing MSA) sends must verify with
dkim.verify(); a copy that a mailing list re-sent (another client on port
25, same signature, body changed) must not — the independent
implementation agrees with our verifier's dkim=fail.

Exits 77 (skip) without dkimpy (Debian python3-dkim) or tshark.
"""
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import dkim
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("SKIP: python3-dkim (dkimpy) is not installed")
    sys.exit(77)

if shutil.which("tshark") is None:
    print("SKIP: tshark is not installed")
    sys.exit(77)

CLI, LESSON, SIGNER = sys.argv[1:4]


def tshark(*args):
    res = subprocess.run(["tshark", *args], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"tshark {' '.join(args)} failed: {res.stderr}")
    return res.stdout


def key_records(pcap):
    """name → TXT text, from the DNS answers in the capture."""
    records = {}
    for line in tshark("-r", pcap, "-Y", "dns.flags.response == 1 && dns.txt",
                       "-T", "fields", "-e", "dns.qry.name", "-e", "dns.txt").splitlines():
        name, _, txt = line.partition("\t")
        # One TXT record split into character-strings (RFC 6376 3.6.2.2):
        # tshark lists them with commas, which a key record never holds.
        records[name.lower().rstrip(".")] = txt.replace(",", "")
    return records


def client_bytes(pcap, stream):
    """What the client of TCP stream @stream sent, reassembled."""
    out = tshark("-r", pcap, "-q", "-z", f"follow,tcp,raw,{stream}")
    data = b""
    for line in out.splitlines():
        # follow,raw: client data unindented, server data after a tab.
        if not line or line.startswith(("=", "Follow", "Filter", "Node")) or line.startswith("\t"):
            continue
        try:
            data += bytes.fromhex(line.strip())
        except ValueError:
            continue
    return data


def messages(data):
    """Each DATA's content (RFC 5321 4.1.1.4), dot-stuffing removed."""
    found = []
    pos = 0
    while True:
        start = data.find(b"DATA\r\n", pos)
        if start < 0:
            return found
        start += len(b"DATA\r\n")
        end = data.find(b"\r\n.\r\n", start)
        if end < 0:
            return found
        lines = data[start:end + 2].split(b"\r\n")
        found.append(b"\r\n".join(l[1:] if l.startswith(b"..") else l for l in lines))
        pos = end + 5


def main():
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "lesson.pcap")
        res = subprocess.run([CLI, "run", LESSON, "--quiet", "--pcap", pcap],
                             capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"maillab-cli run {LESSON} exited {res.returncode}: {res.stderr}")
        keys = key_records(pcap)

        def dns(name, timeout=5):
            text = keys.get(name.decode().lower().rstrip("."))
            return text.encode() if text else None

        streams = {}
        for line in tshark("-r", pcap, "-Y", "tcp.dstport == 25 && tcp.len > 0",
                           "-T", "fields", "-e", "tcp.stream", "-e", "ip.src").splitlines():
            stream, _, src = line.partition("\t")
            streams[int(stream)] = src

        signed_ok = relayed_broken = 0
        failures = []
        for stream, src in sorted(streams.items()):
            for msg in messages(client_bytes(pcap, stream)):
                if b"DKIM-Signature:" not in msg:
                    continue
                verified = dkim.verify(msg, dnsfunc=dns)
                if src == SIGNER:
                    if verified:
                        signed_ok += 1
                        print(f"ok: stream {stream} from {src}: dkimpy verifies our signature")
                    else:
                        failures.append(f"stream {stream} from {src}: dkimpy rejects the signature")
                elif b"List-Id:" in msg:
                    if verified:
                        failures.append(f"stream {stream} from {src}: the list's changed copy "
                                        "still verifies")
                    else:
                        relayed_broken += 1
                        print(f"ok: stream {stream} from {src}: the list's copy fails with "
                              "dkimpy too")
        if signed_ok == 0:
            failures.append(f"no signed message from {SIGNER} found on port 25")
        for f in failures:
            print("FAIL:", f)
        print(f"{signed_ok} signed, {relayed_broken} broken by a list, {len(failures)} failures")
        sys.exit(1 if failures else 0)


main()

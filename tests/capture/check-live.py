#!/usr/bin/env python3
"""Capture live on lo while Python's smtplib talks to a small SMTP server.

usage: check-live.py MAILLAB_CLI

1. `maillab-cli capture -i lo -f 'tcp port P' --json -w FILE` runs while
   smtplib sends one message to a minimal SMTP server on a free port P (not
   a mail port: the dialogue must be found by what the server says).
2. The dialogue printed live is the conversation, in order: the greeting,
   EHLO, MAIL, RCPT, DATA with 354, the content, 250, QUIT, 221.
3. The saved pcap read by `maillab-cli inspect --json` gives the same
   dialogue, and tshark (told -d tcp.port==P,smtp) counts the same requests.

Capturing needs root or CAP_NET_RAW: without it, exits 77 (skip) with a
message; CI runs as root.
"""
import json
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def smtp_server(sock, received):
    """One connection at a time, RFC 5321 replies, enough for smtplib."""
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        f = conn.makefile("rwb")
        f.write(b"220 live.test ESMTP\r\n")
        f.flush()
        in_data = False
        body = []
        for raw in f:
            line = raw.rstrip(b"\r\n")
            if in_data:
                if line == b".":
                    in_data = False
                    received.append(b"\r\n".join(body))
                    f.write(b"250 2.0.0 queued\r\n")
                else:
                    body.append(line)
            else:
                verb = line.split(b" ", 1)[0].upper()
                if verb == b"EHLO":
                    f.write(b"250-live.test\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    in_data = True
                    f.write(b"354 go ahead\r\n")
                elif verb == b"QUIT":
                    f.write(b"221 2.0.0 bye\r\n")
                    f.flush()
                    break
                else:
                    f.write(b"250 2.1.0 ok\r\n")
            f.flush()
        f.close()
        conn.close()


def dialogue(events):
    return [(e["direction"][0].upper(), e["text"]) for e in events if e["kind"] == "dialogue"]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    cli = sys.argv[1]
    listen = socket.socket()
    listen.bind(("127.0.0.1", 0))
    listen.listen(1)
    port = listen.getsockname()[1]
    received = []
    threading.Thread(target=smtp_server, args=(listen, received), daemon=True).start()

    with tempfile.TemporaryDirectory() as tmp:
        saved = os.path.join(tmp, "live.pcap")
        cap = subprocess.Popen([cli, "capture", "-i", "lo", "-f", f"tcp port {port}",
                                "--json", "-w", saved, "--duration", "20"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = cap.stderr.readline()
        if cap.poll() is not None or "capturing" not in first:
            out, err = cap.communicate()
            err = first + err
            if "CAP_NET_RAW" in err:
                print("SKIP: live capture needs root or CAP_NET_RAW:", err.strip())
                sys.exit(77)
            sys.exit(f"FAIL: maillab-cli capture did not start: {err.strip()}")
        time.sleep(0.5)

        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test") as s:
            s.sendmail("alice@a.test", ["bob@b.test"],
                       "Subject: live\r\n\r\nHello over lo.\r\n.leading dot\r\n")
        time.sleep(1.0)
        cap.send_signal(signal.SIGINT)
        out, err = cap.communicate(timeout=20)
        if cap.returncode != 0:
            fail(f"capture exited {cap.returncode}: {err.strip()}")
        live = [json.loads(line) for line in out.splitlines() if line.strip()]

        lines = dialogue(live)
        want = [
            ("S", "220 live.test ESMTP"),
            ("C", "ehlo client.test"),
            ("S", "250-live.test\n250 8BITMIME"),
            ("C", "mail FROM:<alice@a.test>"),
            ("S", "250 2.1.0 ok"),
            ("C", "rcpt TO:<bob@b.test>"),
            ("S", "250 2.1.0 ok"),
            ("C", "data"),
            ("S", "354 go ahead"),
            ("C", "Subject: live\n\nHello over lo.\n..leading dot\n."),
            ("S", "250 2.0.0 queued"),
            ("C", "QUIT"),
            ("S", "221 2.0.0 bye"),
        ]
        if lines != want:
            fail("live dialogue:\n  got  %s\n  want %s" % (lines, want))
        else:
            print(f"live: {len(lines)} dialogue lines on port {port}, found by content")
        if not received:
            fail("the server received no message")

        res = subprocess.run([cli, "inspect", "--json", saved], capture_output=True, text=True)
        if res.returncode != 0:
            fail(f"inspect {saved}: {res.stderr.strip()}")
        again = dialogue([json.loads(line) for line in res.stdout.splitlines() if line.strip()])
        if again != lines:
            fail("the saved capture reads differently:\n  %s\n  %s" % (again, lines))
        else:
            print("saved pcap: the same dialogue")

        if shutil.which("tshark"):
            t = subprocess.run(["tshark", "-r", saved, "-d", f"tcp.port=={port},smtp", "-T",
                                "fields", "-e", "smtp.req.command"], capture_output=True, text=True)
            theirs = sum(len(l.split(",")) for l in t.stdout.split() if l)
            ours = sum(1 for d, text in lines if d == "C" and not text.startswith("Subject"))
            if theirs != ours:
                fail(f"tshark counts {theirs} requests, we {ours}")
            else:
                print(f"tshark: {theirs} requests, as ours")
    listen.close()
    if failures:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

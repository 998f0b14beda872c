#!/usr/bin/env python3
"""maillab's clients against Postfix and Dovecot, and Postfix against serve.

usage: check-real-servers.py MAILLAB_CLI

Postfix 3.7 and Dovecot 2.3 run on loopback with private configurations
(realservers.py; they share one Maildir tree, and the test CA signs both
certificates).

1. `send` to Postfix in the clear and with STARTTLS: the message lands in
   the Maildir once (Received: says ESMTP / ESMTPS), dot-stuffing undone;
   the certificate is verified for the name dialled; a CA that did not sign
   it fails with exit 1 and nothing delivered.
2. `fetch --pop3` from Dovecot, messages put in its Maildir by the test: in
   the clear (USER/PASS), STLS, implicit TLS (pop3s), AUTH PLAIN and LOGIN;
   --keep leaves them, without it they are gone; --out writes each message
   byte for byte.
3. `fetch --imap` from Dovecot: LOGIN in the clear, STARTTLS with
   AUTHENTICATE PLAIN, imaps; --headers-only; without --keep the messages
   are expunged.
4. TLS names (RFC 7817): a certificate for another name fails with
   "hostname mismatch" (exit 1) and passes with --insecure, which says it
   was not verified.
5. Passwords never appear in the printout or the --trace file; a wrong
   password is exit 1; bad options are exit 2; the trace file is JSON lines
   with both directions of the dialogue.
6. Postfix as a client: relayhost=[127.0.0.1]:PORT hands mail for another
   domain to `maillab-cli serve`, which delivers it into its Maildir.
7. Round trip on our own serve: `send` with STARTTLS and AUTH PLAIN on the
   submission port, then `fetch --imap` and `fetch --pop3` get it back;
   AUTH LOGIN and SCRAM-SHA-256 masked too.
8. Dovecot's IMAP client (imapc through `doveadm fetch`) reads from serve,
   with STARTTLS (certificate verified) and in the clear.
9. A server that never speaks: --timeout and SIGINT end the run (exit 1),
   the recipient's outcome temporary.

Exits 77 (skip) when Postfix or Dovecot is not installed or not root.
"""
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_server import LiveServer, check, finish  # noqa: E402
import realservers  # noqa: E402
from realservers import Dovecot, Postfix, TestPKI  # noqa: E402

CLI = sys.argv[1]
ALICE, BOB = "alice@example.test", "bob@example.test"
PASSWORDS = realservers.USERS
CLI_TIMEOUT = 60


def cli(*args, stdin=None):
    try:
        return subprocess.run([CLI, *args, "--timeout", "20"], capture_output=True, text=True,
                              input=stdin, timeout=CLI_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        check(False, f"maillab-cli {' '.join(args[:3])} finished within {CLI_TIMEOUT} s")
        return subprocess.CompletedProcess(e.cmd, -1, e.stdout or "", e.stderr or "")


def show(res):
    return f"exit {res.returncode}\n--- stdout\n{res.stdout[-3000:]}\n--- stderr\n{res.stderr[-2000:]}"


def read(path):
    with open(path, "rb") as f:
        return f.read()


def message(subject, body="First line\r\n.A line that starts with a dot\r\nlast\r\n"):
    return (f"From: sender@remote.test\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@remote.test>\r\n\r\n{body}").encode()


# ---- 1. send to Postfix ----

def check_send_postfix(pf, pki):
    before = len(pf.messages(ALICE))
    res = cli("send", "--server", f"127.0.0.1:{pf.smtp_port}", "--tls", "none", "--from", "me@client.test",
              "--to", ALICE, "--subject", "clear", "--body", "one\n.two\n..three\n")
    check(res.returncode == 0, f"send to Postfix in the clear: exit 0\n{show(res)}")
    check("C: EHLO [127.0.0.1]" in res.stdout, "EHLO names our address literal (RFC 5321 4.1.3)")
    check("S: 250 2.0.0 Ok: queued as" in res.stdout, "Postfix's queue id in the printout")
    check(f"{ALICE}: delivered (250 2.0.0" in res.stdout, "the outcome line says delivered")
    files = pf.wait_delivered(ALICE, before + 1)
    check(len(files) == before + 1, f"Postfix delivered one message into the Maildir, found {len(files) - before}")
    if len(files) == before + 1:
        data = read(sorted(files, key=os.path.getmtime)[-1])
        check(b"Subject: clear\n" in data and b"with ESMTP id" in data,
              f"Subject kept, Received: says ESMTP: {data[:400]!r}")
        # Postfix stores LF lines (maildir(5) files are local text).
        check(data.endswith(b"\none\n.two\n..three\n"), f"dot-stuffing undone by Postfix: {data[-40:]!r}")

    before = len(pf.messages(ALICE))
    with tempfile.NamedTemporaryFile("wb", suffix=".eml", delete=False) as f:
        f.write(message("starttls"))
    res = cli("send", "--server", f"localhost:{pf.smtp_port}", "--ca", pki.ca_file, "--from", "me@client.test",
              "--to", ALICE, "--file", f.name)
    os.unlink(f.name)
    check(res.returncode == 0, f"send to Postfix with STARTTLS: exit 0\n{show(res)}")
    check("C: STARTTLS" in res.stdout and "S: 220 2.0.0 Ready to start TLS" in res.stdout,
          "STARTTLS asked and granted")
    check("certificate verified for localhost" in res.stdout, "the certificate verified for the name dialled")
    after_tls = res.stdout.split("certificate verified", 1)[-1]
    check("C: EHLO" in after_tls, "EHLO again after the handshake (RFC 3207 4.2)")
    files = pf.wait_delivered(ALICE, before + 1)
    check(len(files) == before + 1, "the STARTTLS message delivered")
    if len(files) == before + 1:
        data = read(sorted(files, key=os.path.getmtime)[-1])
        check(b"with ESMTPS id" in data, "Received: says ESMTPS (RFC 3848)")
        check(data.endswith(b"\nFirst line\n.A line that starts with a dot\nlast\n"), "the file's body unchanged")

    # A CA that did not sign Postfix's certificate.
    with TestPKI() as other:
        before = len(pf.messages(ALICE))
        res = cli("send", "--server", f"localhost:{pf.smtp_port}", "--ca", other.ca_file,
                  "--from", "me@client.test", "--to", ALICE, "--subject", "untrusted")
    check(res.returncode == 1, f"untrusted certificate: exit 1\n{show(res)}")
    check("certificate verify failed" in (res.stdout + res.stderr) or "unable to get local issuer" in (res.stdout + res.stderr),
          f"the verify error is shown\n{show(res)}")
    check("C: MAIL" not in res.stdout, "no MAIL after a failed handshake")
    check(len(pf.wait_delivered(ALICE, before + 1, timeout=2)) == before, "nothing delivered")


# ---- 2. and 3. fetch from Dovecot ----

def empty_inbox(dv, address):
    for path in dv.messages(address):
        os.unlink(path)


def check_fetch_pop3(dv, pki):
    cases = [
        ("clear USER/PASS", ["--tls", "none"], "C: USER"),
        ("STLS", ["--ca", pki.ca_file], "C: STLS"),
        ("pop3s", ["--tls", "implicit", "--ca", pki.ca_file], "certificate verified"),
        ("AUTH PLAIN after STLS", ["--ca", pki.ca_file, "--auth", "plain"], "C: AUTH PLAIN ********"),
        ("AUTH LOGIN in the clear", ["--tls", "none", "--auth", "login"], "C: AUTH LOGIN"),
    ]
    for name, extra, expect in cases:
        empty_inbox(dv, BOB)
        originals = [message(f"pop3 {name} {i}") for i in range(2)]
        for m in originals:
            dv.add_message(BOB, m)
        port = dv.pop3s_port if "implicit" in extra else dv.pop3_port
        with tempfile.TemporaryDirectory() as out:
            res = cli("fetch", "--pop3", f"localhost:{port}", "--user", BOB, "--password", PASSWORDS[BOB],
                      "--keep", "--out", out, *extra)
            check(res.returncode == 0, f"POP3 {name}: exit 0\n{show(res)}")
            check(expect in res.stdout, f"POP3 {name}: {expect!r} in the dialogue")
            check("downloaded 2, deleted 0" in res.stdout, f"POP3 {name}: two downloaded, none deleted")
            saved = sorted(os.listdir(out))
            check(saved == ["1.eml", "2.eml"], f"POP3 {name}: 1.eml and 2.eml written, got {saved}")
            got = sorted(read(os.path.join(out, n)) for n in saved)
            check(got == sorted(originals), f"POP3 {name}: the files equal the messages byte for byte")
        check(len(dv.messages(BOB)) == 2, f"POP3 {name}: --keep left both on the server")
        check(PASSWORDS[BOB] not in res.stdout + res.stderr, f"POP3 {name}: the password is not printed")

    res = cli("fetch", "--pop3", f"localhost:{dv.pop3_port}", "--user", BOB, "--password", PASSWORDS[BOB],
              "--ca", pki.ca_file, "--quiet")
    check(res.returncode == 0 and "deleted 2" in res.stdout, f"POP3 without --keep deletes\n{show(res)}")
    check("C: RETR" not in res.stdout, "--quiet prints no dialogue")
    check(dv.messages(BOB) == [], f"POP3: the Maildir is empty afterwards: {dv.messages(BOB)}")

    res = cli("fetch", "--pop3", f"localhost:{dv.pop3_port}", "--user", BOB, "--password", "wrong",
              "--ca", pki.ca_file)
    check(res.returncode == 1, f"POP3 wrong password: exit 1\n{show(res)}")
    check("-ERR" in res.stdout, "the server's -ERR is shown")


def check_fetch_imap(dv, pki):
    cases = [
        ("LOGIN in the clear", dv.imap_port, ["--tls", "none"], "LOGIN alice@example.test ********"),
        ("STARTTLS, AUTHENTICATE PLAIN", dv.imap_port, ["--ca", pki.ca_file, "--auth", "plain"],
         "AUTHENTICATE PLAIN ********"),
        ("imaps", dv.imaps_port, ["--tls", "implicit", "--ca", pki.ca_file], "certificate verified for localhost"),
    ]
    for name, port, extra, expect in cases:
        empty_inbox(dv, ALICE)
        originals = [message(f"imap {name} {i}") for i in range(3)]
        for m in originals:
            dv.add_message(ALICE, m)
        with tempfile.TemporaryDirectory() as out:
            res = cli("fetch", "--imap", f"localhost:{port}", "--user", ALICE, "--password", PASSWORDS[ALICE],
                      "--keep", "--out", out, *extra)
            check(res.returncode == 0, f"IMAP {name}: exit 0\n{show(res)}")
            check(expect in res.stdout, f"IMAP {name}: {expect!r} in the dialogue")
            check("INBOX: 3 messages when selected" in res.stdout and "downloaded 3" in res.stdout,
                  f"IMAP {name}: three downloaded")
            got = sorted(read(os.path.join(out, n)) for n in os.listdir(out))
            check(got == sorted(originals), f"IMAP {name}: the files equal the messages byte for byte")
        check(len(dv.messages(ALICE)) == 3, f"IMAP {name}: --keep left all three")

    res = cli("fetch", "--imap", f"localhost:{dv.imap_port}", "--user", ALICE, "--password", PASSWORDS[ALICE],
              "--ca", pki.ca_file, "--headers-only")
    check(res.returncode == 0 and "header only" in res.stdout, f"--headers-only\n{show(res)}")
    check("BODY[]" not in res.stdout.replace("BODY.PEEK[HEADER]", ""), "--headers-only fetches no body")
    check(len(dv.messages(ALICE)) == 3, "--headers-only deletes nothing")

    res = cli("fetch", "--imap", f"localhost:{dv.imap_port}", "--user", ALICE, "--password", PASSWORDS[ALICE],
              "--ca", pki.ca_file)
    check(res.returncode == 0 and "UID EXPUNGE" in res.stdout, f"IMAP without --keep expunges\n{show(res)}")
    check(dv.messages(ALICE) == [], "IMAP: the Maildir is empty afterwards")

    res = cli("fetch", "--imap", f"localhost:{dv.imap_port}", "--user", ALICE, "--password", "wrong",
              "--ca", pki.ca_file)
    check(res.returncode == 1 and "AUTHENTICATIONFAILED" in res.stdout, f"IMAP wrong password: exit 1\n{show(res)}")


# ---- 4. names ----

def check_names():
    with TestPKI(names=("elsewhere.test",), ip=False) as pki, Dovecot(pki=pki) as dv:
        dv.add_message(ALICE, message("names"))
        res = cli("fetch", "--imap", f"localhost:{dv.imaps_port}", "--tls", "implicit", "--ca", pki.ca_file,
                  "--user", ALICE, "--password", PASSWORDS[ALICE], "--keep")
        check(res.returncode == 1, f"a certificate for another name: exit 1\n{show(res)}")
        check("hostname mismatch" in res.stdout + res.stderr, "the reason is the host name (RFC 7817 3)")
        check("LOGIN" not in res.stdout, "no credential after a failed handshake")
        res = cli("fetch", "--imap", f"localhost:{dv.imaps_port}", "--tls", "implicit", "--ca", pki.ca_file,
                  "--user", ALICE, "--password", PASSWORDS[ALICE], "--keep", "--insecure")
        check(res.returncode == 0, f"--insecure goes on\n{show(res)}")
        check("certificate NOT verified for localhost" in res.stdout, "--insecure says it was not verified")


# ---- 5. masking, trace, exit codes ----

def check_trace_and_options(dv, pki):
    dv.add_message(ALICE, message("trace"))
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "fetch.jsonl")
        pw = os.path.join(tmp, "pw")
        with open(pw, "w") as f:
            f.write(PASSWORDS[ALICE] + "\n")
        res = cli("fetch", "--imap", f"localhost:{dv.imap_port}", "--ca", pki.ca_file, "--user", ALICE,
                  "--password-file", pw, "--keep", "--trace", trace)
        check(res.returncode == 0, f"--password-file and --trace\n{show(res)}")
        with open(trace, encoding="utf-8") as f:
            text = f.read()
        events = [json.loads(line) for line in text.splitlines() if line.strip()]
        check(PASSWORDS[ALICE] not in text, "the password is not in the trace file")
        dialogue = [e for e in events if e.get("kind") == "dialogue"]
        check(len(dialogue) > 5, f"dialogue events in the trace: {len(dialogue)}")
        senders = {e.get("host") for e in dialogue}
        check(len(senders) == 2, f"both directions recorded (two senders): {senders}")
        check(all(e.get("time_us", 0) > 1_500_000_000_000_000 for e in events),
              "real time in microseconds, as serve writes it")
    res = cli("fetch", "--imap", f"localhost:{dv.imap_port}", "--ca", pki.ca_file, "--user", ALICE,
              "--password", PASSWORDS[ALICE], "--mailbox", "NoSuchFolder")
    check(res.returncode == 1 and " NO " in res.stdout, f"a mailbox that does not exist: exit 1\n{show(res)}")
    res = cli("send", "--server", "localhost:25", "--from", "", "--to", ALICE)
    check(res.returncode == 2, f"the null reverse-path without --file: exit 2, got {res.returncode}")
    res = cli("fetch", "--pop3", "localhost:1", "--imap", "localhost:2", "--user", "x", "--password", "y")
    check(res.returncode == 2, f"--pop3 with --imap: exit 2, got {res.returncode}")
    res = cli("send", "--server", "localhost:25", "--from", "a@b.test")
    check(res.returncode == 2, f"send without --to: exit 2, got {res.returncode}")
    res = cli("send", "--server", f"127.0.0.1:{realservers.free_port()}", "--tls", "none",
              "--from", "a@b.test", "--to", ALICE)
    check(res.returncode == 1 and "refused" in res.stderr.lower(), f"connection refused: exit 1\n{show(res)}")


# ---- 6. Postfix relaying to serve, 7. round trip on serve ----

def check_postfix_to_serve(pki):
    with LiveServer(CLI) as srv, Postfix(pki=pki, relayhost=f"[127.0.0.1]:{srv.port('smtp')}") as pf:
        res = cli("send", "--server", f"127.0.0.1:{pf.smtp_port}", "--tls", "none", "--from", "me@client.test",
                  "--to", "bob@example.org", "--subject", "via postfix", "--body", "relayed\n")
        check(res.returncode == 0, f"Postfix took mail for example.org\n{show(res)}")
        sent = pf.sendmail("root@mx.example.test", ["carol@example.org"],
                           b"Subject: via sendmail\n\nfrom postdrop\n")
        check(sent.returncode == 0, f"sendmail -C: exit 0: {sent.stderr!r}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (srv.messages_on_disk("bob@example.org")
                                                   and srv.messages_on_disk("carol@example.org")):
            time.sleep(0.2)
        bob = srv.messages_on_disk("bob@example.org")
        carol = srv.messages_on_disk("carol@example.org")
        check(len(bob) == 1, f"Postfix relayed to serve: bob has 1 message, found {len(bob)}\n"
                             f"{realservers.tail(pf.log)}")
        check(len(carol) == 1, f"sendmail → pickup → smtp → serve: carol has 1, found {len(carol)}")
        if bob:
            data = read(bob[0])
            check(b"Subject: via postfix" in data and b"by mx.example.test (Postfix)" in data,
                  "the relayed message carries Postfix's Received:")
        check(pf.wait_queue_empty(), "Postfix's queue is empty afterwards")


def check_round_trip_serve():
    with LiveServer(CLI) as srv:
        res = cli("send", "--server", f"localhost:{srv.port('submission')}", "--ca", srv.ca_file,
                  "--auth", "plain", "--user", "alice@example.org", "--password", "alice-secret",
                  "--from", "alice@example.org", "--to", "bob@example.org", "--subject", "round trip",
                  "--body", "there and back\n")
        check(res.returncode == 0, f"send to serve's submission port with AUTH PLAIN\n{show(res)}")
        check("C: AUTH PLAIN ********" in res.stdout and "alice-secret" not in res.stdout,
              "AUTH PLAIN's initial response masked")
        res = cli("fetch", "--imap", f"localhost:{srv.port('imap')}", "--ca", srv.ca_file, "--keep",
                  "--user", "bob@example.org", "--password", "bob-secret")
        check(res.returncode == 0 and "Subject: round trip" in res.stdout, f"fetch --imap from serve\n{show(res)}")
        res = cli("fetch", "--pop3", f"localhost:{srv.port('pop3s')}", "--tls", "implicit", "--ca", srv.ca_file,
                  "--user", "bob@example.org", "--password", "bob-secret")
        check(res.returncode == 0 and "downloaded 1, deleted 1" in res.stdout, f"fetch --pop3 from serve\n{show(res)}")
        check(srv.messages_on_disk("bob@example.org") == [], "serve's Maildir is empty after POP3 without --keep")

        # The other mechanisms: neither the password nor its base64 shows.
        secret_b64 = base64.b64encode(b"alice-secret").decode()
        res = cli("send", "--server", f"localhost:{srv.port('submission')}", "--ca", srv.ca_file,
                  "--auth", "login", "--user", "alice@example.org", "--password", "alice-secret",
                  "--from", "alice@example.org", "--to", "bob@example.org", "--subject", "login")
        check(res.returncode == 0 and "C: AUTH LOGIN" in res.stdout, f"send with AUTH LOGIN\n{show(res)}")
        check("alice-secret" not in res.stdout and secret_b64 not in res.stdout,
              "AUTH LOGIN's password line masked")
        res = cli("fetch", "--imap", f"localhost:{srv.port('imaps')}", "--tls", "implicit", "--ca", srv.ca_file,
                  "--auth", "scram-sha-256", "--user", "bob@example.org", "--password", "bob-secret")
        check(res.returncode == 0 and "AUTHENTICATE SCRAM-SHA-256" in res.stdout
              and "Subject: login" in res.stdout, f"fetch --imap with SCRAM-SHA-256 from serve\n{show(res)}")
        check("********" in res.stdout, "SCRAM's responses masked")


def check_dovecot_imapc_to_serve():
    """Dovecot's own IMAP client (imapc, driven by `doveadm fetch`) reads
    from serve, over STARTTLS with serve's CA verified, then in the clear."""
    with LiveServer(CLI) as srv, Dovecot() as dv:
        res = cli("send", "--server", f"localhost:{srv.port('smtp')}", "--ca", srv.ca_file, "--from", "x@remote.test",
                  "--to", "bob@example.org", "--subject", "for dovecot", "--body", "hello imapc", "--quiet")
        check(res.returncode == 0, f"send to serve for imapc\n{show(res)}")
        # doveadm runs as the mail user: the CA must be readable by it.
        ca = os.path.join(dv.dir, "serve-ca.pem")
        with open(srv.ca_file, "rb") as src, open(ca, "wb") as dst:
            dst.write(src.read())
        os.chmod(ca, 0o644)
        for tls in (["-o", "imapc_ssl=starttls", "-o", "imapc_ssl_verify=yes", "-o", f"ssl_client_ca_file={ca}"],
                    ["-o", "imapc_ssl=no"]):
            res = dv.doveadm("-o", "mail_location=imapc:~/imapc", "-o", "imapc_host=localhost",
                             "-o", f"imapc_port={srv.port('imap')}", "-o", "imapc_user=bob@example.org",
                             "-o", "imapc_password=bob-secret", "-o", "imapc_features=", *tls,
                             "fetch", "-u", ALICE, "hdr.subject uid text", "mailbox", "INBOX", "all")
            check(res.returncode == 0 and "hdr.subject: for dovecot" in res.stdout and "hello imapc" in res.stdout,
                  f"Dovecot imapc ({tls[1]}) fetched from serve: exit {res.returncode}\n{res.stdout}\n{res.stderr}")


def check_silent_server():
    """A server that accepts and never speaks: --timeout ends the wait
    (exit 1), and so does SIGINT, long before it."""
    with socket.socket() as quiet:
        quiet.bind(("127.0.0.1", 0))
        quiet.listen(4)
        port = quiet.getsockname()[1]
        start = time.monotonic()
        res = subprocess.run([CLI, "fetch", "--pop3", f"127.0.0.1:{port}", "--tls", "none", "--user", "x",
                              "--password", "y", "--timeout", "2"], capture_output=True, text=True, timeout=30)
        took = time.monotonic() - start
        check(res.returncode == 1 and 1.5 < took < 10, f"--timeout 2 on a silent server: exit 1 in {took:.1f} s\n{show(res)}")
        check("inactivity timeout" in res.stdout, "the timeout is in the printout")
        proc = subprocess.Popen([CLI, "send", "--server", f"127.0.0.1:{port}", "--tls", "none", "--from", "a@b.test",
                                 "--to", ALICE], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        took = time.monotonic() - start
        check(proc.returncode == 1 and took < 5, f"SIGINT: exit 1 within 5 s, got {proc.returncode} in {took:.1f} s")
        check(f"{ALICE}: temporary" in out, f"the recipient's outcome is temporary (RFC 5321 3.8): {out[-300:]!r}")


def main():
    absent = realservers.missing()
    if absent:
        print(f"SKIP: not installed or not possible here: {', '.join(absent)} "
              "(script/bootstrap installs postfix dovecot-imapd dovecot-pop3d)")
        sys.exit(77)
    with TestPKI() as pki, Dovecot(pki=pki) as dv, \
            Postfix(pki=pki, mail_root=dv.mail_root, uid=dv.uid, gid=dv.gid) as pf:
        check_send_postfix(pf, pki)
        check_fetch_pop3(dv, pki)
        check_fetch_imap(dv, pki)
        check_trace_and_options(dv, pki)
        check_names()
        check_postfix_to_serve(pki)
    check_round_trip_serve()
    check_dovecot_imapc_to_serve()
    check_silent_server()
    finish("real-servers")


if __name__ == "__main__":
    main()

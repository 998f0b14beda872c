#!/usr/bin/env python3
"""`maillab-cli serve` against Python's smtplib and raw sockets: SMTP.

usage: check-smtp.py MAILLAB_CLI

1. Delivery to two local users (one copy each on disk, Return-Path and
   Received: added, dot-stuffing undone), relay refused (550 5.7.1),
   unknown user refused (550 5.1.1).
2. Pipelining (RFC 2920): a whole transaction in one write, every reply in
   order.
3. STARTTLS (RFC 3207) with the generated CA, AUTH after it, SMTPS on the
   implicit-TLS port (RFC 8314), the submission port refusing MAIL before
   AUTH (RFC 6409 4.3, 530 5.7.0), a wrong password (535 5.7.8), AUTH
   PLAIN refused in clear (538 5.7.11).
4. Robustness: a command line over 512 octets, a NUL in a command, a bare
   LF or bare CR in DATA each get the RFC's 5yz reply and nothing is
   delivered; the server still serves others. --cert/--key are used when
   given.
5. A message over --max-message-size gets 552 (RFC 1870 6.2); one past the
   account's quota (--quota) gets 552 5.2.2 and leaves nothing on disk.
6. kill -9 right after a 250: the message is on disk; SIGTERM exits 0.
7. --trace writes the dialogue, both directions, with real timestamps.
"""
import os
import smtplib
import ssl
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_server import LiveServer, Raw, check, finish  # noqa: E402

CLI = sys.argv[1]
MESSAGE = (b"From: sender@remote.test\r\nTo: alice@example.org\r\nSubject: interop\r\n\r\n"
           b"First line\r\n.A line that starts with a dot\r\n..two dots\r\nlast\r\n")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def check_delivery(srv):
    s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10)
    code, _ = s.ehlo("client.test")
    check(code == 250, f"EHLO: 250, got {code}")
    check(s.has_extn("pipelining") and s.has_extn("starttls"), "EHLO lists PIPELINING and STARTTLS")
    refused = s.sendmail("sender@remote.test", ["alice@example.org", "Bob@Example.org"], MESSAGE)
    check(refused == {}, f"both local recipients accepted, refused: {refused}")
    try:
        s.sendmail("sender@remote.test", ["someone@elsewhere.test"], MESSAGE)
        check(False, "relay to elsewhere.test refused")
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients["someone@elsewhere.test"]
        check(code == 550 and b"5.7.1" in text, f"relay: 550 5.7.1, got {code} {text}")
    try:
        s.sendmail("sender@remote.test", ["nobody@example.org"], MESSAGE)
        check(False, "unknown user refused")
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients["nobody@example.org"]
        check(code == 550 and b"5.1.1" in text, f"unknown user: 550 5.1.1, got {code} {text}")
    s.quit()

    for user in ("alice@example.org", "bob@example.org"):
        files = srv.messages_on_disk(user)
        check(len(files) == 1, f"{user}: one message on disk, found {len(files)}")
        if files:
            data = read(files[0])
            check(data.startswith(b"Return-Path: <sender@remote.test>\r\nReceived: from "),
                  f"{user}: Return-Path and Received: on top, got {data[:60]!r}")
            # smtplib stuffed the leading dots; the server must have undone it.
            check(data.endswith(MESSAGE), f"{user}: the body with dot-stuffing undone (RFC 5321 4.5.2)")
            check("/new/" in files[0], f"{user}: delivered into new/ (maildir(5)): {files[0]}")


def check_pipelining(srv):
    r = Raw(srv.port("smtp"))
    code, _ = r.smtp_reply()
    r.send(b"EHLO pipe.test\r\n")
    r.smtp_reply()
    r.send(b"MAIL FROM:<p@remote.test>\r\nRCPT TO:<carol@example.org>\r\n"
           b"RCPT TO:<nobody@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
    codes = [r.smtp_reply()[0] for _ in range(5)]
    check(codes == [250, 250, 550, 250, 354], f"pipelined replies in order: {codes}")
    r.send(b"Subject: pipelined\r\n\r\nhi\r\n.\r\nQUIT\r\n")
    code, lines = r.smtp_reply()
    check(code == 250 and "queued" in lines[0].lower(), f"end of data: 250 queued, got {lines}")
    check(r.smtp_reply()[0] == 221, "QUIT after the dot, same packet: 221")
    check(r.closed(), "the server closes after 221")
    check(len(srv.messages_on_disk("carol@example.org")) == 1, "carol got the pipelined message")


def check_tls(srv):
    ctx = ssl.create_default_context(cafile=srv.ca_file)
    s = smtplib.SMTP("localhost", srv.port("submission"), timeout=10)
    s.ehlo()
    check(not s.has_extn("auth") or "PLAIN" not in s.esmtp_features.get("auth", ""),
          "submission in clear does not offer AUTH PLAIN (RFC 4954 4)")
    code, text = s.mail("alice@example.org")
    check(code == 530 and b"5.7.0" in text, f"MAIL before AUTH on submission: 530 5.7.0, got {code} {text}")
    s.rset()
    code, _ = s.starttls(context=ctx)
    check(code == 220, f"STARTTLS: 220, got {code}")
    s.ehlo()
    check("PLAIN" in s.esmtp_features.get("auth", ""), "AUTH PLAIN offered under TLS")
    try:
        s.login("alice@example.org", "wrong password")
        check(False, "a wrong password is refused")
    except smtplib.SMTPAuthenticationError as e:
        check(e.smtp_code == 535, f"wrong password: 535, got {e.smtp_code}")
    code, _ = s.login("alice@example.org", "alice-secret")
    check(code == 235, f"AUTH with the right password: 235, got {code}")
    refused = s.sendmail("alice@example.org", ["bob@example.org"], b"Subject: submitted\r\n\r\nx\r\n")
    check(refused == {}, "submission after AUTH delivers locally")
    s.quit()
    check(any(b"ESMTPSA" in read(p) for p in srv.messages_on_disk("bob@example.org")),
          "Received: says ESMTPSA (RFC 3848) for the submitted message")

    s = smtplib.SMTP_SSL("localhost", srv.port("smtps"), context=ctx, timeout=10)
    code, _ = s.ehlo()
    check(code == 250, "SMTPS (implicit TLS, RFC 8314): EHLO 250")
    check(not s.has_extn("starttls"), "no STARTTLS inside implicit TLS")
    s.quit()

    r = Raw(srv.port("smtp"))
    r.smtp_reply()
    r.send(b"EHLO x\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNlLXNlY3JldA==\r\n")
    r.smtp_reply()
    code, lines = r.smtp_reply()
    check(code == 538 or code == 504, f"AUTH PLAIN in clear refused (538 5.7.11), got {lines}")
    r.close()


def check_robustness(srv):
    r = Raw(srv.port("smtp"))
    r.smtp_reply()
    r.send(b"EHLO x\r\n")
    r.smtp_reply()
    r.send(b"NOOP " + b"a" * 2000 + b"\r\n")
    code, lines = r.smtp_reply()
    check(code == 500, f"a 2000-octet command line (RFC 5321 4.5.3.1.4): 500, got {lines}")
    r.send(b"NOOP\x00\r\n")
    code, lines = r.smtp_reply()
    check(code is not None and code >= 500, f"NUL in a command: 5yz, got {lines}")
    r.send(b"NOOP\r\n")
    check(r.smtp_reply()[0] == 250, "the session goes on after those")
    r.send(b"MAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
    [r.smtp_reply() for _ in range(3)]
    before = len(srv.messages_on_disk("alice@example.org"))
    r.send(b"Subject: bare\r\n\r\nbare\nLF\r\n.\r\n")
    code, lines = r.smtp_reply()
    check(code is not None and code >= 500, f"bare LF in DATA (RFC 5321 2.3.8): 5yz, got {lines}")
    check(len(srv.messages_on_disk("alice@example.org")) == before, "the bare-LF message is not delivered")
    r.close()
    r = Raw(srv.port("smtp"))
    r.smtp_reply()
    r.send(b"EHLO x\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
    [r.smtp_reply() for _ in range(4)]
    r.send(b"Subject: bare\r\n\r\nbare\rCR\r\n.\r\n")
    code, lines = r.smtp_reply()
    check(code is not None and code >= 500, f"bare CR in DATA (RFC 5321 2.3.8): 5yz, got {lines}")
    check(len(srv.messages_on_disk("alice@example.org")) == before, "the bare-CR message is not delivered")
    r.close()
    s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10)
    check(s.noop()[0] == 250, "another client is still served")
    s.quit()


def check_limits(cli):
    with LiveServer(cli, "--max-message-size", "2000", "--quota", "3000") as srv:
        s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10)
        try:
            s.sendmail("a@remote.test", ["alice@example.org"], b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 40)
            check(False, "a message over SIZE is refused")
        except smtplib.SMTPSenderRefused as e:
            check(e.smtp_code == 552, f"over SIZE at MAIL (RFC 1870 6.1): 552, got {e.smtp_code}")
        except smtplib.SMTPDataError as e:
            check(e.smtp_code == 552, f"over SIZE at end of data: 552, got {e.smtp_code}")
        body = b"Subject: fill\r\n\r\n" + (b"y" * 70 + b"\r\n") * 20
        s.sendmail("a@remote.test", ["alice@example.org"], body)
        try:
            s.sendmail("a@remote.test", ["alice@example.org"], body)
            check(False, "a message past the quota is refused")
        except smtplib.SMTPDataError as e:
            check(e.smtp_code == 552 and b"5.2.2" in e.smtp_error,
                  f"past the quota (RFC 9208, RFC 3463 5.2.2): 552 5.2.2, got {e.smtp_code} {e.smtp_error}")
        check(len(srv.messages_on_disk("alice@example.org")) == 1,
              "the refused message left nothing on disk")
        s.quit()


def check_kill9(cli):
    srv = LiveServer(cli).start()
    try:
        s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10)
        accepted = 0
        for i in range(20):
            s.sendmail("a@remote.test", ["carol@example.org"], f"Subject: n{i}\r\n\r\n{i}\r\n".encode())
            accepted += 1
        srv.kill9()
        on_disk = len(srv.messages_on_disk("carol@example.org"))
        check(on_disk == accepted, f"kill -9: every message that got 250 is on disk ({on_disk}/{accepted})")
        srv2 = LiveServer(cli, data_dir=srv.data).start()
        s2 = smtplib.SMTP("127.0.0.1", srv2.port("smtp"), timeout=10)
        check(s2.noop()[0] == 250, "the server starts again on the same data after kill -9")
        s2.quit()
        status = srv2.stop()
        check(status == 0, f"SIGTERM: exit status 0, got {status}")
        check("stopped" in "".join(srv2.output), "the server says it stopped")
    finally:
        srv.cleanup()


def check_given_certificate(cli, srv):
    """--cert/--key instead of the data directory's own (here: another
    server's files, signed by its CA)."""
    tls = os.path.join(srv.data, "tls")
    with LiveServer(cli, "--cert", os.path.join(tls, "server.pem"),
                    "--key", os.path.join(tls, "server.key")) as other:
        check(not os.path.exists(other.ca_file), "with --cert no CA is generated")
        ctx = ssl.create_default_context(cafile=srv.ca_file)
        s = smtplib.SMTP_SSL("localhost", other.port("smtps"), context=ctx, timeout=10)
        check(s.noop()[0] == 250, "SMTPS with the given certificate verifies against its CA")
        s.quit()


def check_trace(cli):
    """--trace: the dialogue in both directions, real time, one conn_id."""
    import json
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "trace.jsonl")
        srv = LiveServer(cli, "--trace", path).start()
        try:
            t0 = time.time()
            s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10)
            s.noop()
            s.quit()
            check(srv.stop() == 0, "SIGTERM with --trace: exit 0")
            with open(path, encoding="utf-8") as f:
                events = [json.loads(line) for line in f if line.strip()]
        finally:
            srv.cleanup()
    lines = [(e["direction"], e["text"]) for e in events if e["kind"] == "dialogue"]
    check(("client-to-server", "noop") in [(d, t.lower()) for d, t in lines],
          f"the trace has the client's NOOP: {lines}")
    check(any(d == "server-to-client" and t.startswith("250 ") for d, t in lines),
          "the trace has the server's 250")
    check(len({e["conn_id"] for e in events}) == 1, "one conn_id for the session")
    check(all(abs(e["time_us"] / 1e6 - t0) < 60 for e in events), "events carry the real time")


def main():
    with LiveServer(CLI) as srv:
        check_delivery(srv)
        check_pipelining(srv)
        check_tls(srv)
        check_robustness(srv)
        check_given_certificate(CLI, srv)
    check_trace(CLI)
    check_limits(CLI)
    check_kill9(CLI)
    finish("check-smtp")


if __name__ == "__main__":
    main()

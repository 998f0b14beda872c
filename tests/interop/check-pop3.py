#!/usr/bin/env python3
"""`maillab-cli serve` against Python's poplib and raw sockets: POP3.

usage: check-pop3.py MAILLAB_CLI

1. CAPA without APOP (the users file keeps no plaintext), USER/PASS,
   STAT/LIST/UIDL/TOP/RETR with byte-stuffing (RFC 1939 3), DELE and QUIT:
   the file is unlinked only in UPDATE; a connection dropped after DELE
   deletes nothing (RFC 1939 6).
2. UIDL stays the same across a server restart (RFC 1939 7).
3. A wrong password: -ERR [AUTH] (RFC 3206), held back by the delay; a line
   over the limit gets -ERR and the session goes on.
4. STLS (RFC 2595) and POP3S with the generated CA; AUTH SCRAM-SHA-256
   through a raw exchange is offered in CAPA.
5. A POP3 session locks the maildrop (RFC 1939 8): a second one gets
   -ERR [IN-USE].
6. SIGHUP reads the users file again: a user added meanwhile logs in, a
   removed one can neither log in nor receive mail.
"""
import os
import poplib
import signal
import smtplib
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_server import LiveServer, Raw, check, finish  # noqa: E402

CLI = sys.argv[1]
BOB, BOB_PW = "bob@example.org", "bob-secret"


def send(srv, subject, body):
    s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10)
    s.sendmail("sender@remote.test", [BOB], f"Subject: {subject}\r\n\r\n{body}\r\n".encode())
    s.quit()


def login(srv):
    p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=10)
    p.user(BOB)
    p.pass_(BOB_PW)
    return p


def check_session(srv):
    send(srv, "one", "line\r\n.starts with a dot")
    send(srv, "two", "second")
    p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=10)
    capa = p.capa()
    check("USER" in capa and "UIDL" in capa and "TOP" in capa, f"CAPA: USER UIDL TOP, got {capa}")
    check(b"<" not in p.getwelcome(), f"no APOP timestamp in the greeting: {p.getwelcome()}")
    p.user(BOB)
    p.pass_(BOB_PW)
    count, size = p.stat()
    check(count == 2, f"STAT: 2 messages, got {count}")
    _, listing, _ = p.list()
    check(len(listing) == 2, f"LIST: 2 lines, got {listing}")
    _, uidls, _ = p.uidl()
    _, lines, _ = p.retr(1)
    check(b".starts with a dot" in lines, f"RETR: byte-stuffing undone by the client: {lines}")
    _, top, _ = p.top(2, 0)
    check(any(l.startswith(b"Subject: two") for l in top) and b"second" not in top,
          f"TOP 2 0: headers only, got {top}")
    p.dele(1)
    check(len(srv.messages_on_disk(BOB)) == 2, "DELE marks only; the file stays until UPDATE")
    # Dropped without QUIT: nothing is deleted (RFC 1939 6).
    p.close()
    time.sleep(0.3)
    p = login(srv)
    check(p.stat()[0] == 2, "after a dropped session both messages are still there")
    _, uidls2, _ = p.uidl()
    check(uidls == uidls2, f"UIDL stable between sessions: {uidls} / {uidls2}")
    p.dele(1)
    p.quit()
    check(len(srv.messages_on_disk(BOB)) == 1, "after QUIT (UPDATE) the file is unlinked")
    return uidls2


def check_restart(srv):
    p = login(srv)
    _, before, _ = p.uidl()
    p.quit()
    check(srv.stop() == 0, "SIGTERM: exit 0")
    srv.start()
    p = login(srv)
    _, after, _ = p.uidl()
    p.quit()
    check(before == after, f"UIDL survives a restart (RFC 1939 7): {before} / {after}")


def check_errors(srv):
    r = Raw(srv.port("pop3"))
    r.line()
    t0 = time.monotonic()
    r.send(f"USER {BOB}\r\nPASS wrong\r\n".encode())
    r.line()
    answer = r.line()
    check(answer.startswith("-ERR [AUTH]"), f"wrong password: -ERR [AUTH] (RFC 3206), got {answer}")
    check(time.monotonic() - t0 >= 0.09, "the failed login is answered after the delay")
    r.send(b"NOOP " + b"x" * 2000 + b"\r\n")
    answer = r.line()
    check(answer.startswith("-ERR"), f"an overlong line: -ERR, got {answer}")
    r.send(b"CAPA\r\n")
    check(r.line().startswith("+OK"), "the session goes on")
    r.close()

    first = login(srv)
    second = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=10)
    second.user(BOB)
    try:
        second.pass_(BOB_PW)
        check(False, "a second session on a locked maildrop is refused")
    except poplib.error_proto as e:
        check(b"IN-USE" in e.args[0], f"-ERR [IN-USE] (RFC 2449 8.1.1): {e}")
    first.quit()
    second.close()


def check_tls(srv):
    ctx = ssl.create_default_context(cafile=srv.ca_file)
    p = poplib.POP3("localhost", srv.port("pop3"), timeout=10)
    capa = p.capa()
    check("STLS" in capa, f"STLS in CAPA: {capa}")
    check("SCRAM-SHA-256" in capa.get("SASL", []), f"SASL SCRAM-SHA-256 in CAPA: {capa}")
    p.stls(context=ctx)
    p.user(BOB)
    p.pass_(BOB_PW)
    check(p.stat()[0] >= 1, "USER/PASS and STAT after STLS")
    p.quit()
    p = poplib.POP3_SSL("localhost", srv.port("pop3s"), context=ctx, timeout=10)
    p.user(BOB)
    p.pass_(BOB_PW)
    check(p.stat()[0] >= 1, "POP3S (RFC 8314) with the generated CA")
    p.quit()


def check_reload(srv):
    """SIGHUP reads the users file again (maillab-cli user add/del)."""
    res = subprocess.run([CLI, "user", "add", "dave@example.org", "--data", srv.data,
                          "--password-stdin"], input="dave-secret\n", capture_output=True, text=True)
    check(res.returncode == 0, f"user add while the server runs: {res.stderr}")
    srv.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=10)
    p.user("dave@example.org")
    p.pass_("dave-secret")
    check(p.stat()[0] == 0, "after SIGHUP the new user logs in (empty maildrop)")
    p.quit()
    check(os.path.isdir(srv.maildir("dave@example.org", "new")), "and has a maildir")

    res = subprocess.run([CLI, "user", "del", "dave@example.org", "--data", srv.data],
                         capture_output=True, text=True)
    check(res.returncode == 0, f"user del: {res.stderr}")
    srv.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=10)
    p.user("dave@example.org")
    try:
        p.pass_("dave-secret")
        check(False, "a removed user cannot log in after SIGHUP")
    except poplib.error_proto as e:
        check(b"[AUTH]" in e.args[0], f"removed user: -ERR [AUTH], got {e}")
    p.close()
    s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10)
    s.ehlo()
    s.mail("x@remote.test")
    code, _ = s.rcpt("dave@example.org")
    check(code == 550, f"mail for a removed user: 550, got {code}")
    s.quit()


def main():
    srv = LiveServer(CLI).start()
    try:
        check_session(srv)
        check_restart(srv)
        check_errors(srv)
        check_tls(srv)
        check_reload(srv)
    finally:
        srv.cleanup()
    finish("check-pop3")


if __name__ == "__main__":
    main()

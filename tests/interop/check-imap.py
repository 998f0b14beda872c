#!/usr/bin/env python3
"""`maillab-cli serve` against Python's imaplib and raw sockets: IMAP.

usage: check-imap.py MAILLAB_CLI

1. LOGIN, SELECT, FETCH (flags, whole and partial BODY[], RFC 3501 6.4.5),
   STORE +FLAGS with the file renamed to ":2,FS" on disk, SEARCH, APPEND
   into a folder, COPY, CREATE/RENAME/DELETE seen as Maildir++ folders.
2. Two sessions: a delivery and another session's EXPUNGE pushed to a
   client in IDLE (RFC 2177), an expunge seen by the other session at its
   next command (RFC 3501 7.4.1).
3. QUOTA (RFC 9208): GETQUOTAROOT reports the account's usage and limit.
4. A wrong password: NO [AUTHENTICATIONFAILED] (RFC 5530), held back by the
   failed-login delay.
5. STARTTLS and IMAPS with the generated CA; a 4 GB literal announced gets
   BAD [TOOBIG] without memory spent; flags and UIDs survive a restart.
6. An idle client is logged out after --imap-timeout with BYE while
   another session keeps working.
"""
import imaplib
import mailbox
import os
import re
import smtplib
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_server import LiveServer, Raw, check, finish  # noqa: E402

CLI = sys.argv[1]
ALICE, ALICE_PW = "alice@example.org", "alice-secret"


def send(srv, to, subject, body="hello"):
    s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10)
    s.sendmail("sender@remote.test", [to], f"Subject: {subject}\r\n\r\n{body}\r\n".encode())
    s.quit()


def login(srv):
    im = imaplib.IMAP4("127.0.0.1", srv.port("imap"), timeout=10)
    im.login(ALICE, ALICE_PW)
    return im


def check_basics(srv):
    send(srv, ALICE, "first", "0123456789abcdef")
    send(srv, ALICE, "second")
    im = login(srv)
    typ, data = im.select("INBOX")
    check(typ == "OK" and data[0] == b"2", f"SELECT INBOX: 2 messages, got {typ} {data}")
    typ, data = im.fetch("1", "(BODY.PEEK[TEXT]<4.6>)")
    check(typ == "OK" and data[0][1] == b"456789", f"partial FETCH <4.6>: '456789', got {data}")
    typ, data = im.fetch("1", "(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    check(b"Subject: first" in data[0][1], f"header fields: Subject: first, got {data}")
    typ, data = im.store("1", "+FLAGS", "(\\Seen \\Flagged)")
    check(typ == "OK" and b"\\Flagged" in data[0] and b"\\Seen" in data[0], f"STORE: {data}")
    names = [os.path.basename(p) for p in srv.messages_on_disk(ALICE)]
    check(any(n.endswith(":2,FS") for n in names), f"the flagged message is renamed :2,FS on disk: {names}")
    typ, data = im.search(None, "UNSEEN")
    check(data == [b"2"], f"SEARCH UNSEEN: 2, got {data}")
    typ, data = im.search(None, 'SUBJECT "first"')
    check(data == [b"1"], f"SEARCH SUBJECT first: 1, got {data}")

    typ, _ = im.create("Work/2024")
    check(typ == "OK", "CREATE Work/2024")
    check(os.path.isdir(srv.maildir(ALICE, ".Work.2024/cur")), "Maildir++ folder .Work.2024 made")
    typ, data = im.append("Work/2024", "(\\Seen)", None, b"Subject: appended\r\n\r\nbody\r\n")
    check(typ == "OK" and b"APPENDUID" in data[0], f"APPEND: OK [APPENDUID …], got {data}")
    check(len(srv.messages_on_disk(ALICE, ".Work.2024")) == 1, "the APPENDed message is on disk")
    typ, data = im.copy("1", "Work/2024")
    check(typ == "OK", f"COPY into Work/2024: {data}")
    typ, _ = im.rename("Work", "Archive2")
    check(typ == "OK" and os.path.isdir(srv.maildir(ALICE, ".Archive2.2024")), "RENAME moves the folder")
    typ, data = im.status("Archive2/2024", "(MESSAGES)")
    check(b"MESSAGES 2" in data[0], f"STATUS after RENAME: 2 messages, got {data}")
    im.logout()

    # Another Maildir reader (Python's mailbox module, as mutt would) sees
    # the same folders and flags.
    md = mailbox.Maildir(srv.maildir(ALICE), create=False)
    folders = md.list_folders()
    check("Archive2.2024" in folders and "Sent" in folders,
          f"mailbox.Maildir lists the Maildir++ folders: {folders}")
    flags = sorted(m.get_flags() for m in md)
    check("FS" in flags, f"mailbox.Maildir reads the flags FS: {flags}")
    sub = md.get_folder("Archive2.2024")
    check(len(sub) == 2, f"mailbox.Maildir reads the folder's 2 messages: {len(sub)}")


def check_two_sessions(srv):
    watcher = Raw(srv.port("imap"))
    watcher.line()
    watcher.send(f"a LOGIN {ALICE} {ALICE_PW}\r\nb SELECT INBOX\r\n".encode())
    watcher.until(lambda l: l.startswith("b "))
    watcher.send(b"c IDLE\r\n")
    check(watcher.line().startswith("+"), "IDLE: continuation")

    send(srv, ALICE, "pushed")
    pushed = watcher.line()
    check(re.match(r"\* \d+ EXISTS", pushed or "") is not None,
          f"a delivery is pushed to the client in IDLE (RFC 2177): {pushed}")

    other = login(srv)
    other.select("INBOX")
    other.store("2", "+FLAGS", "(\\Deleted)")
    other.expunge()
    lines = watcher.until(lambda l: "EXPUNGE" in l)
    check(any(re.match(r"\* 2 EXPUNGE", l) for l in lines),
          f"another session's EXPUNGE is pushed in IDLE: {lines}")
    watcher.send(b"DONE\r\n")
    watcher.until(lambda l: l.startswith("c "))
    watcher.send(b"d LOGOUT\r\n")
    watcher.close()

    typ, data = other.getquotaroot("INBOX")
    text = b" ".join(x for part in data for x in (part if isinstance(part, list) else [part]) if x)
    check(b"STORAGE" in text and b" 976)" in text,
          f"GETQUOTAROOT reports STORAGE usage and the limit in KiB (RFC 9208 5.1): {data}")
    other.logout()


def check_auth_failure(srv):
    im = imaplib.IMAP4("127.0.0.1", srv.port("imap"), timeout=10)
    t0 = time.monotonic()
    try:
        im.login(ALICE, "not the password")
        check(False, "a wrong password is refused")
    except imaplib.IMAP4.error as e:
        check("AUTHENTICATIONFAILED" in str(e), f"NO [AUTHENTICATIONFAILED] (RFC 5530): {e}")
    check(time.monotonic() - t0 >= 0.09, "the answer to a failed login is held back (--auth-delay 100)")
    im.logout()


def check_tls_and_limits(srv):
    ctx = ssl.create_default_context(cafile=srv.ca_file)
    im = imaplib.IMAP4("localhost", srv.port("imap"), timeout=10)
    check("STARTTLS" in im.capabilities, "STARTTLS advertised before TLS")
    im.starttls(ssl_context=ctx)
    im.login(ALICE, ALICE_PW)
    typ, _ = im.select()
    check(typ == "OK", "LOGIN and SELECT after STARTTLS")
    im.logout()
    im = imaplib.IMAP4_SSL("localhost", srv.port("imaps"), ssl_context=ctx, timeout=10)
    im.login(ALICE, ALICE_PW)
    typ, data = im.select()
    check(typ == "OK", f"IMAPS (RFC 8314 implicit TLS) with the generated CA: {data}")
    im.logout()

    r = Raw(srv.port("imap"))
    r.line()
    r.send(f"a LOGIN {ALICE} {ALICE_PW}\r\n".encode())
    r.line()
    r.send(b"b APPEND INBOX {4294967296}\r\n")
    answer = r.line()
    check(answer.startswith("b BAD") or answer.startswith("b NO"),
          f"a 4 GB literal announced is refused at once (RFC 7888 4): {answer}")
    r.send(b"c NOOP\r\n")
    check(r.until(lambda l: l.startswith("c ")) [-1].startswith("c OK"), "the session goes on")
    r.close()


def check_restart(srv):
    im = login(srv)
    im.select("INBOX")
    typ, before = im.fetch("1:*", "(UID FLAGS)")
    typ, validity = im.response("UIDVALIDITY")
    im.logout()
    status = srv.stop()
    check(status == 0, f"SIGTERM: exit 0, got {status}")
    srv.start()
    im = login(srv)
    typ, data = im.select("INBOX")
    _, validity_after = im.response("UIDVALIDITY")
    typ, after = im.fetch("1:*", "(UID FLAGS)")
    check(before == after, f"UIDs and flags survive a restart: {before} / {after}")
    im.logout()


def check_timeout(cli):
    with LiveServer(cli, "--imap-timeout", "1.5") as srv:
        idle = Raw(srv.port("imap"))
        idle.line()
        busy = login(srv)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2.5:
            busy.noop()
            time.sleep(0.3)
        bye = idle.line()
        check(bye is not None and bye.startswith("* BYE"), f"idle client: BYE (RFC 3501 5.4), got {bye}")
        check(idle.closed(5), "the idle client's connection is closed")
        typ, _ = busy.noop()
        check(typ == "OK", "the busy client was not harmed")
        busy.logout()


def main():
    srv = LiveServer(CLI, "--quota", "1000000").start()
    try:
        check_basics(srv)
        check_two_sessions(srv)
        check_auth_failure(srv)
        check_tls_and_limits(srv)
        check_restart(srv)
    finally:
        srv.cleanup()
    check_timeout(CLI)
    finish("check-imap")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""`maillab-cli serve` under load: many connections, limits, timeouts, and
kill -9 in the middle of deliveries.

usage: check-load.py MAILLAB_CLI

1. 1,000 connections held open at once (200 if this process cannot have
   the descriptors), spread over SMTP, POP3 and IMAP: every one gets its
   greeting and answers a NOOP; the server's memory is printed.
2. --max-connections and --max-per-address: the connection past the limit
   gets the protocol's refusal (SMTP 421, POP3 -ERR [SYS/TEMP], IMAP BYE)
   and a slot freed is usable again.
3. An idle SMTP client is timed out (421 4.4.2) while a busy one goes on.
4. Four clients deliver in parallel; kill -9 in the middle: every message
   that got its 250 is on disk.
5. A client pipelining 100 MB of FETCH answers without reading them: the
   server's memory stays bounded, and everything arrives once it reads.
   The same with 100 MB of POP3 RETR answers (RFC 2449 6.6 pipelining).
6. A disk that refuses writes (INBOX's tmp/ replaced by a file): SMTP
   answers 451 4.3.0 and IMAP APPEND NO [SERVERBUG], nothing is filed, and
   both work again once the disk does.
"""
import os
import resource
import smtplib
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_server import LiveServer, Raw, check, finish  # noqa: E402

CLI = sys.argv[1]


def server_rss_kib(srv):
    try:
        with open(f"/proc/{srv.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sanitized(cli):
    res = subprocess.run(["ldd", cli], capture_output=True, text=True)
    return "libasan" in res.stdout


def wanted_connections():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1000 + 64
    if soft < want and hard >= want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        soft = want
    return 1000 if soft >= want else 200


def check_many(srv):
    n = wanted_connections()
    rss_before = server_rss_kib(srv)
    services = ("smtp", "pop3", "imap")
    conns = []
    t0 = time.monotonic()
    for i in range(n):
        conns.append((services[i % 3], Raw(srv.port(services[i % 3]), timeout=30)))
    greeted = 0
    for svc, c in conns:
        line = c.line()
        if line and (line.startswith("220 ") or line.startswith("+OK") or line.startswith("* OK")):
            greeted += 1
    check(greeted == n, f"{n} connections held open: {greeted} greeted")
    for svc, c in conns:
        # POP3 has NOOP only in TRANSACTION (RFC 1939 5); CAPA works in any state.
        c.send({"smtp": b"NOOP\r\n", "pop3": b"CAPA\r\n", "imap": b"a NOOP\r\n"}[svc])
    answered = 0
    for svc, c in conns:
        line = c.line()
        if line and (line.startswith("250") or line.startswith("+OK") or line.startswith("a OK")):
            answered += 1
    elapsed = time.monotonic() - t0
    rss_after = server_rss_kib(srv)
    check(answered == n, f"every one of the {n} connections answers NOOP (CAPA): {answered}")
    print(f"  {n} connections: greeting and NOOP for all in {elapsed:.2f} s; "
          f"server RSS {rss_before} KiB idle, {rss_after} KiB with them open", flush=True)
    for _, c in conns:
        c.close()


def check_limits(cli):
    with LiveServer(cli, "--max-connections", "6", "--max-per-address", "4") as srv:
        held = [Raw(srv.port("smtp")) for _ in range(4)]
        for c in held:
            c.line()
        extra = Raw(srv.port("imap"))
        refusal = extra.line()
        check(refusal is not None and refusal.startswith("* BYE"),
              f"past --max-per-address, IMAP: * BYE (RFC 3501 7.1.5), got {refusal}")
        check(extra.closed(5), "the refused connection is closed")
        extra = Raw(srv.port("pop3"))
        refusal = extra.line()
        check(refusal is not None and refusal.startswith("-ERR [SYS/TEMP]"),
              f"past the limit, POP3: -ERR [SYS/TEMP] (RFC 3206), got {refusal}")
        extra = Raw(srv.port("smtp"))
        refusal = extra.line()
        check(refusal is not None and refusal.startswith("421 "),
              f"past the limit, SMTP: 421 (RFC 5321 3.1), got {refusal}")
        held[0].send(b"QUIT\r\n")
        held[0].closed(5)
        time.sleep(0.3)
        again = Raw(srv.port("smtp"))
        greeting = again.line()
        check(greeting is not None and greeting.startswith("220 "),
              f"a freed slot is usable again: {greeting}")


def check_timeout(cli):
    with LiveServer(cli, "--smtp-timeout", "1") as srv:
        idle = Raw(srv.port("smtp"))
        idle.line()
        busy = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.8:
            busy.noop()
            time.sleep(0.2)
        code, lines = idle.smtp_reply()
        check(code == 421 and "4.4.2" in lines[0],
              f"idle SMTP client: 421 4.4.2 after --smtp-timeout (RFC 5321 4.5.3.2.7), got {lines}")
        check(idle.closed(5), "the idle client is disconnected")
        check(busy.noop()[0] == 250, "the busy client is not harmed")
        busy.quit()


def check_kill9_under_load(cli):
    srv = LiveServer(cli).start()
    accepted = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(k):
        try:
            s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10)
            i = 0
            while not stop.is_set():
                subject = f"load-{k}-{i}"
                s.sendmail("load@remote.test", ["alice@example.org"],
                           f"Subject: {subject}\r\n\r\nx\r\n".encode())
                with lock:
                    accepted.append(subject)
                i += 1
        except (smtplib.SMTPException, OSError):
            pass

    try:
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        srv.kill9()
        stop.set()
        for t in threads:
            t.join(15)
        with lock:
            got_250 = list(accepted)
        on_disk = set()
        for path in srv.messages_on_disk("alice@example.org"):
            with open(path, "rb") as f:
                for line in f.read().split(b"\r\n"):
                    if line.startswith(b"Subject: "):
                        on_disk.add(line[9:].decode())
        missing = [s for s in got_250 if s not in on_disk]
        check(len(got_250) > 0, f"deliveries happened before the kill ({len(got_250)})")
        check(not missing, f"kill -9 under load: all {len(got_250)} messages that got 250 are on disk; "
                           f"missing {missing[:5]}")
        print(f"  kill -9 after {len(got_250)} accepted deliveries, {len(on_disk)} on disk", flush=True)
    finally:
        srv.cleanup()


def check_backpressure(cli):
    """A client that pipelines a hundred FETCHes of a 1 MB message and reads
    nothing: the server's memory stays bounded (the socket stops taking the
    engine's output, the engine stops at its backlog), then every answer
    arrives once the client reads."""
    with LiveServer(cli) as srv:
        s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30)
        s.sendmail("big@remote.test", ["alice@example.org"],
                   b"Subject: big\r\n\r\n" + (b"z" * 998 + b"\r\n") * 1000)
        s.quit()
        r = Raw(srv.port("imap"), timeout=60)
        r.line()
        r.send(b"a LOGIN alice@example.org alice-secret\r\nb SELECT INBOX\r\n")
        r.until(lambda l: l.startswith("b "))
        rss_before = server_rss_kib(srv)
        n = 100
        r.send(b"".join(b"f%d FETCH 1 BODY.PEEK[]\r\n" % i for i in range(n)))
        time.sleep(2)
        rss_peak = server_rss_kib(srv)
        if sanitized(cli):
            # ASan's quarantine keeps freed buffers resident: RSS says nothing.
            print("  (AddressSanitizer build: the memory bound is not checked)", flush=True)
        else:
            check(rss_peak - rss_before < 40 * 1024,
                  f"{n} MB asked for, not read: the server grew by {rss_peak - rss_before} KiB (< 40 MiB)")
        done = 0
        while done < n:
            line = r.line()
            if line is None:
                break
            if line.startswith("f") and " OK " in line:
                done += 1
        check(done == n, f"all {n} FETCH answers arrive once the client reads: {done}")
        print(f"  backpressure: server RSS {rss_before} KiB before, {rss_peak} KiB with "
              f"{n} MB of answers pending", flush=True)
        r.close()


def check_backpressure_pop3(cli):
    """POP3's engine answers every pipelined command it is fed (RFC 2449
    6.6); the session feeds it one line at a time while the client reads,
    so a hundred pipelined RETRs of a 1 MB message that are not read cost
    the high-water mark, not 100 MB."""
    with LiveServer(cli) as srv:
        s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30)
        s.sendmail("big@remote.test", ["alice@example.org"],
                   b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 1000)
        s.quit()
        r = Raw(srv.port("pop3"), timeout=60)
        r.line()
        r.send(b"USER alice@example.org\r\nPASS alice-secret\r\n")
        r.line()
        check(r.line().startswith("+OK"), "POP3 login for the backpressure check")
        rss_before = server_rss_kib(srv)
        n = 100
        r.send(b"RETR 1\r\n" * n)
        time.sleep(2)
        rss_peak = server_rss_kib(srv)
        if not sanitized(cli):
            check(rss_peak - rss_before < 40 * 1024,
                  f"{n} RETRs of 1 MB not read: the server grew by {rss_peak - rss_before} KiB (< 40 MiB)")
        done = 0
        while done < n:
            line = r.line()
            if line is None:
                break
            if line == ".":
                done += 1
        check(done == n, f"all {n} RETR answers arrive once the client reads: {done}")
        print(f"  POP3 backpressure: server RSS {rss_before} KiB before, {rss_peak} KiB with "
              f"{n} MB of answers pending", flush=True)
        r.close()


def check_write_failures(cli):
    """RFC 5321 4.2.5 / 6.1: no 250 for mail that is not on disk, 451 4.3.0
    (RFC 3463 X.3.0: other or undefined mail system status). RFC 3501
    6.3.11: a failed APPEND is a NO; RFC 5530 SERVERBUG: the fault is ours."""
    with LiveServer(cli) as srv:
        tmp = os.path.join(srv.maildir("alice@example.org"), "tmp")
        r = Raw(srv.port("imap"), timeout=30)
        r.line()
        r.send(b"a LOGIN alice@example.org alice-secret\r\n")
        r.until(lambda l: l.startswith("a "))
        # The maildir exists once the user is loaded; a file where tmp/
        # was makes every write fail, even for root.
        os.rmdir(tmp)
        with open(tmp, "w") as f:
            f.write("not a directory\n")
        try:
            s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30)
            s.ehlo("client.test")
            s.mail("x@remote.test")
            s.rcpt("alice@example.org")
            code, text = s.data(b"Subject: refused\r\n\r\nbody\r\n")
            check(code == 451 and text.startswith(b"4.3.0"),
                  f"SMTP delivery the disk refuses: 451 4.3.0, got {code} {text!r}")
            body = b"Subject: append\r\n\r\nbody\r\n"
            r.send(b"b APPEND INBOX {%d}\r\n" % len(body))
            check(r.line().startswith("+"), "APPEND literal continuation")
            r.send(body + b"\r\n")
            line = r.until(lambda l: l.startswith("b "))[-1:]
            line = line[0] if line else None
            check(line is not None and line.startswith("b NO [SERVERBUG]"),
                  f"APPEND the disk refuses: NO [SERVERBUG], got {line!r}")
            r.send(b"c STATUS INBOX (MESSAGES)\r\n")
            status = " ".join(r.until(lambda l: l.startswith("c ")))
        finally:
            os.unlink(tmp)
            os.mkdir(tmp, 0o700)
        check("(MESSAGES 0)" in status, f"nothing filed after the failures: {status!r}")
        s.mail("x@remote.test")
        s.rcpt("alice@example.org")
        code, text = s.data(b"Subject: accepted\r\n\r\nbody\r\n")
        check(code == 250, f"SMTP works again once the disk does: {code} {text!r}")
        s.quit()
        r.send(b"d APPEND INBOX {%d}\r\n" % len(body))
        r.line()
        r.send(body + b"\r\n")
        line = r.until(lambda l: l.startswith("d "))[-1]
        check(line.startswith("d OK"), f"APPEND works again: {line!r}")
        check(len(srv.messages_on_disk("alice@example.org")) == 2,
              "the two accepted messages are on disk")
        r.close()


def main():
    with LiveServer(CLI) as srv:
        check_many(srv)
        check(srv.stop() == 0, "SIGTERM after the load: exit 0")
    check_limits(CLI)
    check_timeout(CLI)
    check_kill9_under_load(CLI)
    check_backpressure(CLI)
    check_backpressure_pop3(CLI)
    check_write_failures(CLI)
    finish("check-load")


if __name__ == "__main__":
    main()

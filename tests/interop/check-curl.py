#!/usr/bin/env python3
"""`maillab-cli serve` against curl: smtp://, pop3://, imap://, in clear,
with STARTTLS (--ssl-reqd) and with implicit TLS (smtps://, pop3s://,
imaps://), trusting the generated CA (--cacert).

usage: check-curl.py MAILLAB_CLI

Exits 77 (skip) when curl is missing.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_server import LiveServer, check, finish, have  # noqa: E402

CLI = sys.argv[1]


def curl(*args, data=None):
    res = subprocess.run(["curl", "--silent", "--show-error", "--max-time", "20", *args],
                         input=data, capture_output=True)
    return res.returncode, res.stdout.decode("latin-1"), res.stderr.decode("latin-1")


def main():
    if not have("curl"):
        print("curl not installed: skipped")
        sys.exit(77)
    # curl says EHLO with the URL's path, or else with the uploaded file's
    # name: a temporary name such as "tmp_x1y2.eml" is no domain (RFC 5321
    # 4.1.1.1) and gets 501, so every SMTP URL names the client.
    with LiveServer(CLI) as srv, tempfile.NamedTemporaryFile(suffix=".eml") as msg:
        msg.write(b"From: curl@remote.test\r\nTo: alice@example.org\r\nSubject: via curl\r\n\r\n"
                  b"Sent by curl.\r\n.dot line\r\n")
        msg.flush()
        ca = ["--cacert", srv.ca_file]

        rc, _, err = curl(f"smtp://127.0.0.1:{srv.port('smtp')}/client.example", "--mail-from", "curl@remote.test",
                          "--mail-rcpt", "alice@example.org", "--upload-file", msg.name)
        check(rc == 0, f"curl smtp:// delivers (exit {rc}: {err.strip()})")
        rc, _, err = curl(f"smtp://127.0.0.1:{srv.port('smtp')}/client.example", "--mail-from", "curl@remote.test",
                          "--mail-rcpt", "x@elsewhere.test", "--upload-file", msg.name)
        check(rc != 0 and "550" in err, f"curl smtp:// to another domain fails with 550: {err.strip()}")
        rc, _, err = curl(f"smtp://localhost:{srv.port('submission')}/client.example", "--ssl-reqd", *ca,
                          "--user", "alice@example.org:alice-secret",
                          "--mail-from", "alice@example.org", "--mail-rcpt", "bob@example.org",
                          "--upload-file", msg.name)
        check(rc == 0, f"curl submission with STARTTLS and AUTH (exit {rc}: {err.strip()})")
        rc, _, err = curl(f"smtps://localhost:{srv.port('smtps')}/client.example", *ca,
                          "--mail-from", "curl@remote.test", "--mail-rcpt", "carol@example.org",
                          "--upload-file", msg.name)
        check(rc == 0, f"curl smtps:// (exit {rc}: {err.strip()})")

        rc, out, err = curl(f"pop3://127.0.0.1:{srv.port('pop3')}/1", "--user", "bob@example.org:bob-secret")
        check(rc == 0 and "Sent by curl." in out and "\n.dot line" in out,
              f"curl pop3:// RETR 1, dot-stuffing undone (exit {rc}: {err.strip()} {out[-80:]!r})")
        rc, out, err = curl(f"pop3://localhost:{srv.port('pop3')}/", "--ssl-reqd", *ca,
                            "--user", "bob@example.org:bob-secret")
        check(rc == 0 and out.startswith("1 "), f"curl pop3:// LIST over STLS (exit {rc}: {err.strip()} {out!r})")
        rc, out, err = curl(f"pop3s://localhost:{srv.port('pop3s')}/1", *ca,
                            "--user", "bob@example.org:bob-secret")
        check(rc == 0 and "via curl" in out, f"curl pop3s:// (exit {rc}: {err.strip()})")
        rc, _, err = curl(f"pop3://127.0.0.1:{srv.port('pop3')}/1", "--user", "bob@example.org:nope")
        check(rc != 0, f"curl pop3:// with a wrong password fails (exit {rc})")

        rc, out, err = curl(f"imap://127.0.0.1:{srv.port('imap')}/INBOX;UID=1",
                            "--user", "alice@example.org:alice-secret")
        check(rc == 0 and "Subject: via curl" in out, f"curl imap:// FETCH UID 1 (exit {rc}: {err.strip()})")
        rc, out, err = curl(f"imap://localhost:{srv.port('imap')}/INBOX", "--ssl-reqd", *ca,
                            "--user", "alice@example.org:alice-secret", "-X", "SEARCH SUBJECT curl")
        check(rc == 0 and "* SEARCH 1" in out, f"curl imap:// SEARCH over STARTTLS (exit {rc}: {out!r})")
        rc, out, err = curl(f"imaps://localhost:{srv.port('imaps')}/INBOX;UID=1", *ca,
                            "--user", "alice@example.org:alice-secret")
        check(rc == 0 and "Sent by curl." in out, f"curl imaps:// (exit {rc}: {err.strip()})")
        rc, out, err = curl(f"imap://127.0.0.1:{srv.port('imap')}/", "--user", "alice@example.org:alice-secret")
        check(rc == 0 and "INBOX" in out and "Sent" in out, f"curl imap:// LIST (exit {rc}: {out!r})")
    finish("check-curl")


if __name__ == "__main__":
    main()

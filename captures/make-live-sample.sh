#!/usr/bin/env bash
# Make captures/07-live-python-clients.pcap: Python's smtplib, poplib and
# imaplib talking to `maillab-cli serve` on loopback, captured with
# `maillab-cli capture -i lo`. Needs root or CAP_NET_RAW.
#   captures/make-live-sample.sh [BUILD_DIR]
# Real time and real ephemeral ports: unlike the lesson captures, two runs
# do not give the same bytes (and the STARTTLS part is real TLS).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
cli=$build/sim/cli/maillab-cli
out=captures/07-live-python-clients.pcap
data=$(mktemp -d)
trap 'kill $serve_pid $cap_pid 2>/dev/null || true; rm -rf "$data"' EXIT

echo bob-secret | "$cli" user add bob@example.org --data "$data" --password-stdin > /dev/null
echo alice-secret | "$cli" user add alice@example.org --data "$data" --password-stdin > /dev/null
"$cli" serve --data "$data" --smtps-port -1 --pop3s-port -1 --imaps-port -1 > "$data/serve.log" 2>&1 &
serve_pid=$!
"$cli" capture -i lo -f 'tcp port 2525 or tcp port 2587 or tcp port 1110 or tcp port 1143' \
  -w "$out" > "$data/capture.txt" 2> "$data/capture.err" &
cap_pid=$!
sleep 1.5

python3 - "$data/tls/ca.pem" <<'PY'
import imaplib, poplib, smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
# Plain SMTP on 2525, as an MTA would deliver: no login.
with smtplib.SMTP("127.0.0.1", 2525, local_hostname="client.example") as s:
    s.sendmail("carol@elsewhere.example", ["bob@example.org"],
               "Subject: over SMTP\r\n\r\nHello Bob, plain SMTP.\r\n")
# Submission with STARTTLS and AUTH: the capture only sees it start.
with smtplib.SMTP("localhost", 2587, local_hostname="client.example") as s:
    s.starttls(context=ctx)
    s.login("alice@example.org", "alice-secret")
    s.sendmail("alice@example.org", ["bob@example.org"],
               "Subject: over submission\r\n\r\nHello Bob, through TLS.\r\n")
# POP3 in clear: USER/PASS is readable on the wire.
p = poplib.POP3("127.0.0.1", 1110)
try:
    p.user("bob@example.org")
    p.pass_("bob-secret")
    p.stat()
    p.list()
    p.retr(1)
    p.quit()
except poplib.error_proto as e:
    print("POP3:", e)
    p.quit()
# IMAP in clear: LOGIN is readable too.
m = imaplib.IMAP4("127.0.0.1", 1143)
try:
    m.login("bob@example.org", "bob-secret")
    m.select("INBOX")
    m.fetch("1:*", "(FLAGS RFC822.SIZE)")
    m.fetch("2", "(BODY.PEEK[])")
    m.logout()
except imaplib.IMAP4.error as e:
    print("IMAP:", e)
PY
sleep 1
kill -INT $cap_pid
wait $cap_pid || true
kill -TERM $serve_pid
wait $serve_pid || true
cat "$data/capture.err" >&2
"$cli" inspect --stats "$out"

"""`maillab-cli serve` on loopback for the interop checks.

A LiveServer makes a temporary data directory, adds users with
`maillab-cli user add --password-stdin`, starts the server with every port
on 0 (the kernel picks free ones) and reads the ports from the lines the
server prints ("listening smtp 127.0.0.1:40123"). Checks report through
check()/fail(); finish() prints the summary and exits 1 on any failure.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

USERS = {
    "alice@example.org": "alice-secret",
    "bob@example.org": "bob-secret",
    "carol@example.org": "carol-secret",
}
SERVICES = ("smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps")

failures = []
checks = 0


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, flush=True)


def check(cond, msg):
    """One assertion; the message says what was expected."""
    global checks
    checks += 1
    if not cond:
        fail(msg)
    return cond


def finish(name):
    print(f"{name}: {checks - len(failures)} of {checks} checks passed", flush=True)
    sys.exit(1 if failures else 0)


class LiveServer:
    def __init__(self, cli, *extra, users=USERS, data_dir=None):
        self.cli = cli
        self.owns_dir = data_dir is None
        self.data = data_dir or tempfile.mkdtemp(prefix="ml-interop-")
        self.extra = list(extra)
        if self.owns_dir:
            for address, password in users.items():
                res = subprocess.run([cli, "user", "add", address, "--data", self.data,
                                      "--password-stdin"], input=password + "\n",
                                     capture_output=True, text=True)
                if res.returncode != 0:
                    sys.exit(f"user add {address}: {res.stderr}")
        self.proc = None
        self.ports = {}
        self.output = []

    def start(self):
        args = [self.cli, "serve", "--data", self.data, "--auth-delay", "100"]
        for svc in SERVICES:
            args += [f"--{svc}-port", "0"]
        args += self.extra
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                sys.exit(f"maillab-cli serve exited early: {''.join(self.output)}")
            self.output.append(line)
            m = re.match(r"listening (\S+)\s+[\d.]+:(\d+)", line)
            if m:
                self.ports[m.group(1)] = int(m.group(2))
            elif line.startswith("ready"):
                return self
        sys.exit("maillab-cli serve did not get ready in 20 s")

    @property
    def ca_file(self):
        return os.path.join(self.data, "tls", "ca.pem")

    def port(self, service):
        return self.ports[service]

    def maildir(self, address, folder=""):
        return os.path.join(self.data, "mail", address, folder)

    def messages_on_disk(self, address, folder=""):
        """Every message file of a folder, new/ and cur/."""
        names = []
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir(address, folder), sub)
            if os.path.isdir(d):
                names += [os.path.join(d, n) for n in sorted(os.listdir(d))]
        return names

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the server; returns its exit status."""
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rest, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rest, _ = self.proc.communicate()
        self.output.append(rest or "")
        status = self.proc.returncode
        self.proc = None
        return status

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        if self.proc is not None:
            self.stop()
        if self.owns_dir:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


class Raw:
    """A plain socket speaking lines, for what the client libraries hide."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                rest, self.buf = self.buf, b""
                return rest.decode("latin-1") if rest else None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def smtp_reply(self):
        """A whole SMTP reply: (code, [lines])."""
        lines = []
        while True:
            line = self.line()
            if line is None:
                return None, lines
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), lines

    def until(self, predicate):
        lines = []
        while True:
            line = self.line()
            if line is None:
                return lines
            lines.append(line)
            if predicate(line):
                return lines

    def closed(self, timeout=10):
        """True when the server closes the connection within @timeout;
        then closes ours, as a real client does."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.sock.close()
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            self.sock.close()
            return True

    def close(self):
        self.sock.close()


def have(program):
    return shutil.which(program) is not None

"""Postfix and Dovecot on loopback, each with a private configuration.

Used by the interop checks (our clients against production servers) and by
the benchmarks in tests/bench/ (the same load against maillab and against
them). Nothing outside a temporary directory is touched: the packages'
own configurations in /etc stay unused, no system service is started or
stopped, and every listener binds 127.0.0.1 on a port picked free by the
kernel (or given).

    from realservers import Postfix, Dovecot, TestPKI, missing

    if missing():                      # programs not installed
        sys.exit(77)                   # meson's "skipped"
    with TestPKI() as pki, \
         Dovecot(pki=pki, users={"alice@example.test": "pw"}) as dv, \
         Postfix(pki=pki, mail_root=dv.mail_root, uid=dv.uid, gid=dv.gid) as pf:
        ... smtp to pf.smtp_port; pf.wait_delivered("alice@example.test", 1)
        ... imap to dv.imap_port / dv.imaps_port, pop3 to dv.pop3_port ...

Both servers deliver into and read from one Maildir tree,
MAIL_ROOT/<domain>/<local-part>/ (cur, new, tmp), so what Postfix delivers
Dovecot serves, and a check may put messages there itself (add_message).

Privileges: Postfix's master must start as root (it drops to mail_owner
"postfix" for every daemon) and Dovecot started as root drops to its
"dovecot"/"dovenull" users and, for the mail, to the uid given (default:
nobody). The test machines run as root; as another user both classes raise
RealServerError, which the checks turn into a skip. No chroot (master.cf
column 5 is "n" everywhere), so no copy of /etc is needed.

Postfix: `postfix -c CONFDIR start-fg` keeps the master in the foreground
(Postfix 3.3+), with maillog_file in the directory (postlogd, no syslog);
the virtual(8) delivery agent writes the Maildir for the domain listed in
virtual_mailbox_domains. mydestination is empty, so nothing goes to local(8)
or /etc/aliases. `relayhost="[127.0.0.1]:2525"` (or relay_port=…) sends
every other domain to that host: Postfix as a client of `maillab-cli serve`.
Dovecot: `dovecot -F -c CONF` with base_dir, state_dir and log_path in the
directory, passdb and userdb from one passwd-file with plain passwords
(test users only), imap and pop3 with STARTTLS/STLS on the plain ports and
implicit TLS on imaps/pop3s.

Run by hand, `python3 realservers.py [--postfix] [--dovecot] [--relay PORT]`
starts them, prints the ports and the CA file, and waits for Ctrl-C.
"""
import grp
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DOMAIN = "example.test"
USERS = {
    f"alice@{DOMAIN}": "alice-secret",
    f"bob@{DOMAIN}": "bob-secret",
}
# Where the programs are on Debian 12 (postfix, dovecot-imapd, dovecot-pop3d).
POSTFIX = "/usr/sbin/postfix"
POSTFIX_DAEMONS = "/usr/lib/postfix/sbin"
DOVECOT = "/usr/sbin/dovecot"
START_TIMEOUT = 30
STOP_TIMEOUT = 20


# Unique Maildir file names within this process (maildir(5)).
_unique = itertools.count(1)


class RealServerError(Exception):
    """A server could not be set up or started (the message says why)."""


def missing():
    """The programs these servers need that are not installed, by name;
    empty when both can run. Being root is a requirement too."""
    absent = []
    if not os.access(POSTFIX, os.X_OK) or not os.path.isdir(POSTFIX_DAEMONS):
        absent.append("postfix")
    if not os.access(DOVECOT, os.X_OK):
        absent.append("dovecot")
    else:
        for proto in ("imap", "pop3"):
            if not os.access(f"/usr/lib/dovecot/{proto}", os.X_OK):
                absent.append(f"dovecot-{proto}d")
    if shutil.which("openssl") is None:
        absent.append("openssl")
    if os.geteuid() != 0:
        absent.append("root (Postfix's master and Dovecot start as root)")
    return absent


def free_port():
    """A loopback port the kernel has just handed out and taken back. Another
    program may take it before the server binds it; start() says so."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline, proc=None, log=None):
    """Waits until 127.0.0.1:@port accepts a connection."""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RealServerError(f"exited with {proc.returncode} before listening on {port}"
                                  + (f"\n{tail(log)}" if log else ""))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RealServerError(f"nothing listens on 127.0.0.1:{port} after {START_TIMEOUT} s"
                          + (f"\n{tail(log)}" if log else ""))


def tail(path, lines=30):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def write(path, text, mode=0o644):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def split_address(address):
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise ValueError(f"not an address: {address!r}")
    return local, domain.lower()


class TestPKI:
    """A CA and one server certificate for localhost and 127.0.0.1 (EC P-256,
    made with the openssl command), for both servers; @names and @ip change
    what it names (a check of RFC 7817 name matching wants another name). `ca_file` is what a
    client trusts (`maillab-cli send --ca`, curl --cacert)."""

    def __init__(self, directory=None, names=("localhost", "mail.example.test"), ip=True):
        self.owns_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix="ml-realpki-")
        os.chmod(self.dir, 0o755)
        self.names = names
        self.ip = ip
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.cert_file = os.path.join(self.dir, "server.pem")
        self.key_file = os.path.join(self.dir, "server.key")
        self._make()

    def _openssl(self, *args):
        res = subprocess.run(["openssl", *args], capture_output=True, text=True)
        if res.returncode != 0:
            raise RealServerError(f"openssl {' '.join(args[:2])}: {res.stderr.strip()}")

    def _make(self):
        ca_key = os.path.join(self.dir, "ca.key")
        csr = os.path.join(self.dir, "server.csr")
        ext = os.path.join(self.dir, "server.ext")
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", ca_key, "-out", self.ca_file, "-days", "30",
                      "-subj", "/CN=maillab interop test CA",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self._openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", self.key_file, "-out", csr,
                      "-subj", f"/CN={self.names[0]}")
        # RFC 6125 6.4.4: a client checks the subjectAltName, never the CN,
        # when there is one, so every name and the loopback address go there.
        sans = ",".join([f"DNS:{n}" for n in self.names] + (["IP:127.0.0.1"] if self.ip else []))
        write(ext, f"subjectAltName={sans}\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca_file, "-CAkey", ca_key,
                      "-CAcreateserial", "-out", self.cert_file, "-days", "30",
                      "-extfile", ext)
        # Dovecot reads the key as root before dropping privileges; Postfix's
        # smtpd reads it as root too (it opens it before chroot/setuid).
        os.chmod(self.key_file, 0o600)
        os.unlink(ca_key)

    def cleanup(self):
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


class MaildirTree:
    """MAIL_ROOT/<domain>/<local>/{cur,new,tmp}, owned by the mail uid."""

    def __init__(self, root, uid, gid):
        self.mail_root = root
        self.uid = uid
        self.gid = gid

    def maildir(self, address):
        local, domain = split_address(address)
        return os.path.join(self.mail_root, domain, local)

    def make_maildir(self, address):
        path = self.maildir(address)
        for part in ("", "cur", "new", "tmp"):
            d = os.path.join(path, part)
            os.makedirs(d, exist_ok=True)
            os.chown(d, self.uid, self.gid)
        os.chown(os.path.dirname(path), self.uid, self.gid)
        return path

    def messages(self, address):
        """Every message file of the INBOX (new/ and cur/), sorted by name."""
        names = []
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir(address), sub)
            if os.path.isdir(d):
                names += [os.path.join(d, n) for n in sorted(os.listdir(d))]
        return names

    def add_message(self, address, data, seen=False):
        """Puts @data (bytes, CRLF or LF) into the INBOX as maildir(5) says:
        written in tmp/, then renamed into new/ (or cur/ with :2,S)."""
        path = self.make_maildir(address)
        name = f"{int(time.time())}.M{next(_unique)}P{os.getpid()}.ml-interop"
        tmp = os.path.join(path, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chown(tmp, self.uid, self.gid)
        final = os.path.join(path, "cur", name + ":2,S") if seen else os.path.join(path, "new", name)
        os.rename(tmp, final)
        return final

    def wait_delivered(self, address, count, timeout=20):
        """Waits until the INBOX holds at least @count messages; returns the
        files (fewer when the time ran out)."""
        deadline = time.monotonic() + timeout
        while True:
            files = self.messages(address)
            if len(files) >= count or time.monotonic() >= deadline:
                return files
            time.sleep(0.1)


def mail_ids(user="nobody", group="nogroup"):
    return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid


class Dovecot(MaildirTree):
    """Dovecot 2.3 with IMAP (143-style plain + STARTTLS, and imaps) and POP3
    (plain + STLS, and pop3s) on loopback. @users maps address → password.
    Plain-text logins are allowed before TLS (disable_plaintext_auth = no)
    so that a check can show both; mechanisms PLAIN and LOGIN."""

    def __init__(self, pki=None, users=USERS, directory=None, mail_root=None,
                 uid=None, gid=None, extra_config=""):
        self.owns_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix="ml-dovecot-")
        os.chmod(self.dir, 0o755)
        if uid is None or gid is None:
            uid, gid = mail_ids()
        super().__init__(mail_root or os.path.join(self.dir, "mail"), uid, gid)
        os.makedirs(self.mail_root, exist_ok=True)
        os.chmod(self.mail_root, 0o755)
        os.chown(self.mail_root, uid, gid)
        self.pki = pki
        self.users = dict(users)
        self.extra_config = extra_config
        self.proc = None
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.log = os.path.join(self.dir, "dovecot.log")
        self.imap_port = self.imaps_port = self.pop3_port = self.pop3s_port = None

    @property
    def ca_file(self):
        return self.pki.ca_file if self.pki else None

    def _config(self):
        passwd = os.path.join(self.dir, "passwd")
        # passwd-file(5) lines: user:password:uid:gid::home::extra fields.
        lines = []
        for address, password in self.users.items():
            if ":" in password or "\n" in password:
                raise ValueError("a passwd-file password cannot hold ':' or a newline")
            lines.append(f"{address}:{{PLAIN}}{password}:{self.uid}:{self.gid}::"
                         f"{self.maildir(address)}::\n")
            self.make_maildir(address)
        # Read by the auth process as user "dovecot", never by the others.
        write(passwd, "".join(lines), 0o640)
        try:
            os.chown(passwd, 0, grp.getgrnam("dovecot").gr_gid)
        except KeyError:
            os.chmod(passwd, 0o644)
        base = os.path.join(self.dir, "run")
        state = os.path.join(self.dir, "state")
        for d in (base, state):
            os.makedirs(d, exist_ok=True)
        ssl = "ssl = no\n"
        if self.pki:
            ssl = (f"ssl = yes\nssl_cert = <{self.pki.cert_file}\nssl_key = <{self.pki.key_file}\n"
                   "ssl_min_protocol = TLSv1.2\n")
        return f"""# maillab interop: a private Dovecot, see tests/interop/realservers.py
base_dir = {base}
state_dir = {state}
instance_name = ml-dovecot-{os.getpid()}-{id(self)}
log_path = {self.log}
info_log_path = {self.log}
protocols = imap pop3
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {min(self.uid, 100) if self.uid else 1}
first_valid_gid = {min(self.gid, 100) if self.gid else 1}
mail_location = maildir:~
mail_uid = {self.uid}
mail_gid = {self.gid}
# Message UIDs/UIDVALIDITY kept in the Maildir's dovecot-uidlist.
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = {"yes" if self.pki else "no"}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {self.pop3s_port}
    ssl = {"yes" if self.pki else "no"}
  }}
}}
# No dict/stats/doveadm TCP listeners: only the unix sockets in base_dir.
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
{self.extra_config}
"""

    def start(self, imap_port=0, imaps_port=0, pop3_port=0, pop3s_port=0):
        self.imap_port = imap_port or free_port()
        self.imaps_port = imaps_port or free_port()
        self.pop3_port = pop3_port or free_port()
        self.pop3s_port = pop3s_port or free_port()
        write(self.conf, self._config())
        check = subprocess.run([DOVECOT, "-c", self.conf, "-n"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RealServerError(f"dovecot -n: {check.stderr.strip()}")
        with open(self.log + ".stderr", "w") as err:
            self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                         stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        for port in (self.imap_port, self.imaps_port, self.pop3_port, self.pop3s_port):
            wait_port(port, deadline, self.proc, self.log)
        return self

    def doveadm(self, *args):
        """Runs `doveadm -c CONF ARGS` and returns its CompletedProcess."""
        return subprocess.run(["doveadm", "-c", self.conf, *args], capture_output=True, text=True)

    def stop(self):
        """SIGTERM to the master (it stops its children); returns its status."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        status, self.proc = self.proc.returncode, None
        return status

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


# master.cf: the services Postfix 3.7 needs, none chrooted, smtpd on
# SMTP_LISTEN only. Columns: service type private unpriv chroot wakeup maxproc.
MASTER_CF = """\
{smtp_listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class Postfix(MaildirTree):
    """Postfix 3.7 taking mail on 127.0.0.1:smtp_port for @domains (virtual
    mailboxes for @users' addresses, delivered into MAIL_ROOT) and, when
    @relayhost is given ("[127.0.0.1]:2525"), relaying every other domain
    there. STARTTLS is offered when @pki is given (smtpd_tls_security_level
    may); Postfix as a client uses TLS opportunistically
    (smtp_tls_security_level may)."""

    def __init__(self, pki=None, users=USERS, domains=None, directory=None, mail_root=None,
                 uid=None, gid=None, relayhost=None, myhostname="mx.example.test", extra_main=None):
        if not os.access(POSTFIX, os.X_OK):
            raise RealServerError("postfix is not installed")
        self.owns_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix="ml-postfix-")
        os.chmod(self.dir, 0o755)
        if uid is None or gid is None:
            uid, gid = mail_ids()
        super().__init__(mail_root or os.path.join(self.dir, "mail"), uid, gid)
        os.makedirs(self.mail_root, exist_ok=True)
        os.chown(self.mail_root, uid, gid)
        self.pki = pki
        self.users = list(users)
        self.domains = sorted(set(domains or [split_address(a)[1] for a in self.users] or [DOMAIN]))
        self.relayhost = relayhost
        self.myhostname = myhostname
        self.extra_main = dict(extra_main or {})
        self.conf_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "queue")
        self.data_dir = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "maillog")
        self.smtp_port = None
        self.proc = None

    @property
    def ca_file(self):
        return self.pki.ca_file if self.pki else None

    def _main_cf(self):
        vmailbox = os.path.join(self.conf_dir, "vmailbox")
        # virtual(8): a value ending in "/" is a Maildir, relative to
        # virtual_mailbox_base.
        write(vmailbox, "".join(f"{a} {split_address(a)[1]}/{split_address(a)[0]}/\n"
                                for a in self.users))
        for a in self.users:
            self.make_maildir(a)
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": self.myhostname,
            "mydomain": self.domains[0],
            "myorigin": "$myhostname",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks reject_unauth_destination",
            "virtual_mailbox_domains": " ".join(self.domains),
            "virtual_mailbox_maps": f"texthash:{vmailbox}",
            "virtual_mailbox_base": self.mail_root,
            "virtual_minimum_uid": str(min(self.uid, 100) or 1),
            "virtual_uid_maps": f"static:{self.uid}",
            "virtual_gid_maps": f"static:{self.gid}",
            "maillog_file": self.log,
            "maillog_file_prefixes": self.dir,
            "smtputf8_enable": "no",
            # A test's mail must not wait for the default 5-minute queue scans.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "5s",
            "smtp_host_lookup": "native",
            "smtp_dns_support_level": "disabled",
            "biff": "no",
            "relayhost": self.relayhost or "",
            "smtp_tls_security_level": "may",
        }
        if self.pki:
            main.update({
                "smtpd_tls_cert_file": self.pki.cert_file,
                "smtpd_tls_key_file": self.pki.key_file,
                "smtpd_tls_security_level": "may",
                "smtp_tls_CAfile": self.pki.ca_file,
            })
        else:
            main["smtpd_tls_security_level"] = "none"
        main.update(self.extra_main)
        return "".join(f"{k} = {v}\n" for k, v in main.items())

    def start(self, smtp_port=0):
        self.smtp_port = smtp_port or free_port()
        os.makedirs(self.conf_dir, exist_ok=True)
        # Root-owned, as postfix(1) requires.
        os.makedirs(self.queue_dir, mode=0o755, exist_ok=True)
        write(os.path.join(self.conf_dir, "main.cf"), self._main_cf())
        write(os.path.join(self.conf_dir, "master.cf"),
              MASTER_CF.format(smtp_listen=f"127.0.0.1:{self.smtp_port}"))
        # start-fg runs `postfix check` first, which creates the queue's
        # subfolders with their owners (post-install create-missing); a
        # fatal error there ends it, and wait_port() shows the maillog.
        with open(os.path.join(self.dir, "start-fg.stderr"), "w") as err:
            self.proc = subprocess.Popen([POSTFIX, "-c", self.conf_dir, "start-fg"],
                                         stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True)
        wait_port(self.smtp_port, time.monotonic() + START_TIMEOUT, self.proc, self.log)
        return self

    def postfix(self, *args):
        return subprocess.run([POSTFIX, "-c", self.conf_dir, *args], capture_output=True, text=True)

    def sendmail(self, sender, recipients, data):
        """Submits @data through this instance's sendmail(1) (postdrop →
        pickup), as a local program would."""
        return subprocess.run(["/usr/sbin/sendmail", "-C", self.conf_dir, "-f", sender, "-i", "--",
                               *recipients], input=data, capture_output=True)

    def flush(self):
        """Asks the queue manager to try every deferred message now."""
        return self.postfix("flush")

    def queue_empty(self):
        for sub in ("incoming", "active", "deferred"):
            d = os.path.join(self.queue_dir, sub)
            for _, _, files in os.walk(d):
                if files:
                    return False
        return True

    def wait_queue_empty(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue_empty():
                return True
            time.sleep(0.1)
        return self.queue_empty()

    def log_text(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        """`postfix stop` (the master tells its daemons to finish), then waits
        for start-fg to return; returns its status (-15 or 143: the master
        ends on the SIGTERM that `stop` sends it)."""
        if self.proc is None:
            return None
        self.postfix("stop")
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.postfix("abort")
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        status, self.proc = self.proc.returncode, None
        return status

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Postfix and Dovecot on loopback, by hand.")
    ap.add_argument("--postfix", action="store_true")
    ap.add_argument("--dovecot", action="store_true")
    ap.add_argument("--relay", type=int, help="Postfix relays other domains to 127.0.0.1:PORT")
    ap.add_argument("--no-tls", action="store_true")
    args = ap.parse_args(argv)
    if not args.postfix and not args.dovecot:
        args.postfix = args.dovecot = True
    absent = missing()
    if absent:
        sys.exit("missing: " + ", ".join(absent))
    pki = None if args.no_tls else TestPKI()
    servers = []
    try:
        dv = Dovecot(pki=pki).start() if args.dovecot else None
        if dv:
            servers.append(dv)
            print(f"dovecot imap {dv.imap_port} imaps {dv.imaps_port} "
                  f"pop3 {dv.pop3_port} pop3s {dv.pop3s_port} log {dv.log}", flush=True)
        if args.postfix:
            pf = Postfix(pki=pki, mail_root=dv.mail_root if dv else None,
                         relayhost=f"[127.0.0.1]:{args.relay}" if args.relay else None).start()
            servers.append(pf)
            print(f"postfix smtp {pf.smtp_port} log {pf.log}", flush=True)
        if pki:
            print(f"ca {pki.ca_file}", flush=True)
        print("users: " + ", ".join(f"{a} / {p}" for a, p in USERS.items()), flush=True)
        print(f"mail root {servers[0].mail_root}; Ctrl-C stops", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except KeyboardInterrupt:
        pass
    finally:
        for s in reversed(servers):
            s.cleanup()
        if pki:
            pki.cleanup()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    main(sys.argv[1:])

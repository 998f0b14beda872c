#!/usr/bin/env python3
"""Cross-check our DKIM with an independent implementation, dkimpy.

usage: check-dkimpy.py DKIM_TOOL

1. For rsa-sha256 and ed25519-sha256 in all four canonicalizations, our
   signature verifies with dkim.verify() against our TXT record.
2. dkimpy's signatures (RFC 8463 Appendix A's keys) verify with ours.
3. Both sides agree that a footer appended in transit breaks the body hash.

Exits 77 (skip) when the dkim module (Debian python3-dkim) is missing;
it lives in the system Python, so a different python3 on PATH re-runs
this script with /usr/bin/python3 first.
"""
import os
import subprocess
import sys

try:
    import dkim
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("SKIP: python3-dkim (dkimpy) is not installed")
    sys.exit(77)

TOOL = sys.argv[1]
MESSAGE = (
    b"From: Alice <alice@a.example>\r\n"
    b"To: Bob <bob@b.example>\r\n"
    b"Subject: Lunch   on\r\n\tFriday?\r\n"
    b"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
    b"Message-ID: <1@a.example>\r\n"
    b"\r\n"
    b"Hi Bob,  \r\n\r\nshall we\tmeet at noon?\r\n\r\n\r\n"
)
FOOTER = b"--\r\nlunch-list mailing list\r\n"
# RFC 8463 A.1 and A.2
ED_SECRET = b"nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
ED_TXT = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
RSA_PEM = b"""-----BEGIN RSA PRIVATE KEY-----
MIICXQIBAAKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQi
Y/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqM
KrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB
AoGAH0cxOhFZDgzXWhDhnAJDw5s4roOXN4OhjiXa8W7Y3rhX3FJqmJSPuC8N9vQm
6SVbaLAE4SG5mLMueHlh4KXffEpuLEiNp9Ss3O4YfLiQpbRqE7Tm5SxKjvvQoZZe
zHorimOaChRL2it47iuWxzxSiRMv4c+j70GiWdxXnxe4UoECQQDzJB/0U58W7RZy
6enGVj2kWF732CoWFZWzi1FicudrBFoy63QwcowpoCazKtvZGMNlPWnC7x/6o8Gc
uSe0ga2xAkEA8C7PipPm1/1fTRQvj1o/dDmZp243044ZNyxjg+/OPN0oWCbXIGxy
WvmZbXriOWoSALJTjExEgraHEgnXssuk7QJBALl5ICsYMu6hMxO73gnfNayNgPxd
WFV6Z7ULnKyV7HSVYF0hgYOHjeYe9gaMtiJYoo0zGN+L3AAtNP9huqkWlzECQE1a
licIeVlo1e+qJ6Mgqr0Q7Aa7falZ448ccbSFYEPD6oFxiOl9Y9se9iYHZKKfIcst
o7DUw1/hz2Ck4N5JrgUCQQCyKveNvjzkkd8HjYs0SwM0fPjK16//5qDZ2UiDGnOe
uEzxBDAr518Z8VFbR41in3W4Y3yCDgQlLlcETrS+zYcL
-----END RSA PRIVATE KEY-----
"""
RSA_TXT = ("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
           "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
           "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
           "Ip3G+2kryOTIKT+l/K4w3QIDAQAB")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def ours_verify(message, txt):
    out = subprocess.run([TOOL, "verify", txt], input=message, capture_output=True, check=True)
    return out.stdout.decode().splitlines()


checked = 0
for alg in ("rsa", "ed25519"):
    for canon in ("simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"):
        out = subprocess.run([TOOL, "sign", alg, canon, "42", "a.example", "lab"],
                             input=MESSAGE, capture_output=True, check=True).stdout
        txt, signed = out.split(b"\n", 1)

        def dns(name, timeout=5, txt=txt):
            return txt if name == b"lab._domainkey.a.example." else None

        checked += 1
        if not dkim.verify(signed, dnsfunc=dns):
            fail(f"dkimpy rejects our {alg} {canon} signature")
        if dkim.verify(signed + FOOTER, dnsfunc=dns):
            fail(f"dkimpy accepts our {alg} {canon} signature after a footer")
        print(f"ok: ours -> dkimpy, {alg} {canon}")

for alg, key, txt in ((b"rsa-sha256", RSA_PEM, RSA_TXT), (b"ed25519-sha256", ED_SECRET, ED_TXT)):
    for hc in (b"simple", b"relaxed"):
        for bc in (b"simple", b"relaxed"):
            sig = dkim.sign(MESSAGE, b"lab", b"a.example", key, canonicalize=(hc, bc),
                            signature_algorithm=alg,
                            include_headers=[b"from", b"to", b"subject", b"date"])
            checked += 1
            got = ours_verify(sig + MESSAGE, txt)
            if got != ["pass good signature"]:
                fail(f"we reject dkimpy's {alg.decode()} {hc.decode()}/{bc.decode()}: {got}")
            got = ours_verify(sig + MESSAGE + FOOTER, txt)
            if got != ["fail body hash did not verify"]:
                fail(f"footer after dkimpy's {alg.decode()} signature: {got}")
            print(f"ok: dkimpy -> ours, {alg.decode()} {hc.decode()}/{bc.decode()}")

print(f"{checked} combinations checked, {len(failures)} failures")
sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""Write the capture corpus the unit tests read (tests/unit/capture/test-capture-file.c).

usage: make-corpus.py [DIR]     (default: this script's folder)

Every file carries the same short SMTP conversation (or a damaged copy of
it), so each test knows the dialogue it must find:

  link-*.pcap      one per link type: EN10MB, EN10MB with 802.1Q and
                   802.1ad+802.1Q tags, LINUX_SLL, LINUX_SLL2, RAW (IPv4),
                   RAW (IPv6 with hop-by-hop and destination-options
                   extension headers), NULL (little-endian), LOOP
  reordered.pcap   segments swapped and duplicated
  truncated.pcap   cut in the middle of the fifth record
  bogus-length.pcap  the fifth record claims 2^31 captured bytes
  zero-length.pcap   an empty file
  header-only.pcap   a pcap header and no record
  wrong-link.pcap    link type USER0 (147): frames kept, nothing dissected
  not-a-capture.pcap text

The bytes are fixed (no clock, no randomness): running it again gives the
same files.
"""
import os
import struct
import sys

CLIENT4, SERVER4 = bytes([192, 0, 2, 10]), bytes([192, 0, 2, 25])
CLIENT6 = bytes.fromhex("20010db8000000000000000000000010")
SERVER6 = bytes.fromhex("20010db8000000000000000000000025")
CPORT, SPORT = 49200, 25

# (sender, payload): the conversation every file carries.
DIALOGUE = [
    ("S", b"220 mx.example ESMTP\r\n"),
    ("C", b"EHLO c.example\r\n"),
    ("S", b"250 mx.example\r\n"),
    ("C", b"MAIL FROM:<a@c.example>\r\n"),
    ("S", b"250 2.1.0 Ok\r\n"),
    ("C", b"QUIT\r\n"),
    ("S", b"221 2.0.0 Bye\r\n"),
]

SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segments():
    """[(sender, seq, ack, flags, payload)] for the whole connection."""
    seq = {"C": 1000, "S": 5000}
    out = [("C", seq["C"], 0, SYN, b"")]
    seq["C"] += 1
    out.append(("S", seq["S"], seq["C"], SYN | ACK, b""))
    seq["S"] += 1
    out.append(("C", seq["C"], seq["S"], ACK, b""))
    for who, data in DIALOGUE:
        other = "S" if who == "C" else "C"
        out.append((who, seq[who], seq[other], PSH | ACK, data))
        seq[who] += len(data)
    for who in ("C", "S"):
        other = "S" if who == "C" else "C"
        out.append((who, seq[who], seq[other], FIN | ACK, b""))
        seq[who] += 1
    out.append(("C", seq["C"], seq["S"], ACK, b""))
    return out


def tcp(who, seq, ack, flags, payload, src, dst, proto_pseudo):
    sport, dport = (CPORT, SPORT) if who == "C" else (SPORT, CPORT)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    seg = hdr + payload
    c = checksum(proto_pseudo(len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ipv4(who, seq, ack, flags, payload):
    src, dst = (CLIENT4, SERVER4) if who == "C" else (SERVER4, CLIENT4)
    seg = tcp(who, seq, ack, flags, payload, src, dst,
              lambda n: src + dst + struct.pack("!BBH", 0, 6, n))
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0x4000, 64, 6, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + seg


def ipv6_ext(who, seq, ack, flags, payload):
    """IPv6 with a hop-by-hop and a destination-options header (RFC 8200 4.3, 4.6)."""
    src, dst = (CLIENT6, SERVER6) if who == "C" else (SERVER6, CLIENT6)
    seg = tcp(who, seq, ack, flags, payload, src, dst,
              lambda n: src + dst + struct.pack("!IxxxB", n, 6))
    hop = bytes([60, 0, 1, 4, 0, 0, 0, 0])          # next: dest opts; PadN
    dest = bytes([6, 1]) + bytes([1, 12]) + bytes(12)  # next: TCP; 16 bytes
    body = hop + dest + seg
    return struct.pack("!IHBB16s16s", 6 << 28, len(body), 0, 64, src, dst) + body


def eth(ip_packet, ethertype, tags=()):
    out = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01"
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid)
    out += struct.pack("!H", ethertype) + ip_packet
    return out + bytes(max(0, 60 - len(out)))  # Ethernet padding


def pcap(path, linktype, frames, records=None):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for i, frame in enumerate(frames):
            rec = struct.pack("<IIII", 1700000000, i * 1000, len(frame), len(frame)) + frame
            if records is not None:
                rec = records(i, rec)
            f.write(rec)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    segs = segments()
    v4 = [ipv4(*s) for s in segs]
    p = lambda name: os.path.join(out, name)

    pcap(p("link-en10mb.pcap"), 1, [eth(x, 0x0800) for x in v4])
    pcap(p("link-vlan.pcap"), 1, [eth(x, 0x0800, [(0x8100, 7)]) for x in v4[:5]]
         + [eth(x, 0x0800, [(0x88A8, 100), (0x8100, 7)]) for x in v4[5:]])
    # Linux cooked v1: packet type, ARPHRD_ETHER, address length, address, protocol.
    pcap(p("link-sll.pcap"), 113, [struct.pack("!HHH8sH", 0 if i % 2 else 4, 1, 6, b"\2\0\0\0\0\1", 0x0800) + x
                                   for i, x in enumerate(v4)])
    # v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address.
    pcap(p("link-sll2.pcap"), 276, [struct.pack("!HHIHBB8s", 0x0800, 0, 2, 1, 0, 6, b"\2\0\0\0\0\1") + x
                                    for x in v4])
    pcap(p("link-raw.pcap"), 101, v4)
    pcap(p("link-raw-ipv6-ext.pcap"), 101, [ipv6_ext(*s) for s in segs])
    pcap(p("link-null.pcap"), 0, [struct.pack("<I", 2) + x for x in v4])
    pcap(p("link-loop.pcap"), 108, [struct.pack("!I", 2) + x for x in v4])

    frames = [eth(x, 0x0800) for x in v4]
    # Server greeting after the client's EHLO, EHLO twice, MAIL before EHLO.
    order = [0, 1, 2, 4, 3, 3, 6, 5, 5, 7, 8, 9, 10, 11, 12]
    pcap(p("reordered.pcap"), 1, [frames[i] for i in order])

    pcap(p("truncated.pcap"), 1, frames)
    with open(p("truncated.pcap"), "rb") as f:
        data = f.read()
    cut = 24 + sum(16 + len(fr) for fr in frames[:4]) + 16 + 20
    with open(p("truncated.pcap"), "wb") as f:
        f.write(data[:cut])

    def bogus(i, rec):
        if i == 4:
            return rec[:8] + struct.pack("<II", 0x80000000, 0x80000000) + rec[16:]
        return rec
    pcap(p("bogus-length.pcap"), 1, frames, bogus)

    open(p("zero-length.pcap"), "wb").close()
    pcap(p("header-only.pcap"), 1, [])
    pcap(p("wrong-link.pcap"), 147, frames)
    with open(p("not-a-capture.pcap"), "w") as f:
        f.write("This is a README, not a capture.\n")


if __name__ == "__main__":
    main()

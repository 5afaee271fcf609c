#!/usr/bin/env python3
"""Writes the seed corpus of decapsulate_fuzzer: valid datagrams (IPv4 and
IPv6 inner packets carrying TCP, with and without an MPTCP option) and one of
each kind of bad input the receiver names (docs/udp-encapsulation.md)."""
import hashlib
import os
import struct

HEADER = b"PL\x01\x01"


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def tcp(src, dst, options=b"", payload=b"", v6=False):
    offset = (20 + len(options)) // 4
    seg = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, offset << 4, 0x02,
                      65535, 0, 0) + options + payload
    if v6:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
    else:
        pseudo = src + dst + struct.pack("!xBH", 6, len(seg))
    c = checksum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ipv4(payload, src=bytes([127, 0, 0, 1]), dst=bytes([127, 0, 0, 2])):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000,
                    64, 6, 0, src, dst)
    h = h[:10] + struct.pack("!H", checksum(h)) + h[12:]
    return h + payload


def ipv6(payload, src=bytes(15) + b"\1", dst=bytes(15) + b"\2"):
    return struct.pack("!IHBB", 0x60000000, len(payload), 6, 64) + src + dst \
        + payload


MP_CAPABLE = bytes([30, 4, 0x01, 0x01])  # kind 30, len 4, v1, flag H
v4src, v4dst = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2])
v6src, v6dst = bytes(15) + b"\1", bytes(15) + b"\2"
good4 = HEADER + ipv4(tcp(v4src, v4dst, MP_CAPABLE))
good6 = HEADER + ipv6(tcp(v6src, v6dst, MP_CAPABLE, b"data", v6=True))
seeds = [
    good4,
    good6,
    HEADER + ipv4(tcp(v4src, v4dst, payload=b"hello")),
    b"",
    HEADER,
    b"PX" + good4[2:],
    good4[:2] + b"\x02" + good4[3:],
    good4[:3] + b"\x00" + good4[4:],
    good4 + b"\0",
    good4[:-1],
    HEADER + b"\x65" + good4[5:],
]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)
for seed in seeds:
    name = hashlib.sha256(seed).hexdigest()[:16] + ".bin"
    with open(os.path.join(here, name), "wb") as f:
        f.write(seed)
print("wrote %d seeds to %s" % (len(seeds), here))

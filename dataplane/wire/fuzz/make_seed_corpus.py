#!/usr/bin/env python3
"""Writes the segment fuzzer's seed corpus into corpus/.

Two sources, standard library only:
  - every distinct segment shape (TCP flags and option kinds) from the real
    Linux kernel MPTCP captures in ../testdata/*.pcap;
  - synthesized IPv4 and IPv6 segments carrying each MPTCP option variant the
    captures lack (REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST,
    MP_EXPERIMENTAL, ADD_ADDR for IPv6 with a port, 32-bit DSS, DATA_FIN),
    with correct TCP checksums so that they reach the option parsers.
Run from anywhere: python3 dataplane/wire/fuzz/make_seed_corpus.py
"""
import glob
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def pcap_ip_packets(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    pos = 24
    while pos + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
        if linktype == 1:
            if len(frame) < 14 or frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
                continue
            frame = frame[14:]
        yield frame


def shape(packet):
    """TCP flags and the sequence of option kinds (MPTCP with subtype)."""
    ihl = (packet[0] & 0x0F) * 4
    tcp = packet[ihl:]
    offset = (tcp[12] >> 4) * 4
    options = tcp[20:offset]
    kinds = []
    i = 0
    while i < len(options):
        kind = options[i]
        if kind in (0, 1):
            i += 1
            continue
        length = options[i + 1]
        kinds.append((kind, options[i + 2] if kind == 30 else 0, length))
        i += max(length, 2)
    return (tcp[13], len(tcp) > offset, tuple(kinds))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_segment(src, dst, options, payload, v6, flags=0x10):
    while len(options) % 4:
        options += b"\x01"
    header = struct.pack("!HHIIBBHHH", 40000, 5201, 1000, 2000,
                         (5 + len(options) // 4) << 4, flags, 512, 0, 0)
    tcp = header + options + payload
    if v6:
        pseudo = src + dst + struct.pack("!IxxxB", len(tcp), 6)
        ip = struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + src + dst
    else:
        pseudo = src + dst + struct.pack("!xBH", 6, len(tcp))
        ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0) + src + dst
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    csum = checksum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    return ip + tcp


def mptcp(subtype_byte, body):
    return bytes([30, 2 + len(body) + 1, subtype_byte]) + body


def synthesized():
    v4 = (bytes([10, 1, 0, 1]), bytes([10, 1, 0, 2]))
    v6 = (bytes.fromhex("fd000000000000000000000000000001"),
          bytes.fromhex("fd000000000000000000000000000002"))
    ts = bytes.fromhex("0101080a0000000100000002")
    options = [
        mptcp(0x40, bytes([1, 2, 3])),                         # REMOVE_ADDR
        mptcp(0x51, b""),                                      # MP_PRIO backup
        mptcp(0x60, b"\0" + struct.pack("!Q", 12345)),         # MP_FAIL
        mptcp(0x70, b"\0" + struct.pack("!Q", 0x1122334455667788)),  # FASTCLOSE
        mptcp(0x81, bytes([6])),                               # MP_TCPRST T=1
        mptcp(0xF3, b"plait-exp"),                             # MP_EXPERIMENTAL
        mptcp(0x30, bytes([9]) + v6[0] + struct.pack("!H", 443) + bytes(8)),
        mptcp(0x31, bytes([9]) + v6[0]),                       # echo, IPv6
        mptcp(0x20, bytes([0x15]) + struct.pack("!IIIH", 7, 8, 1, 4)),  # 32-bit DSS + FIN
        mptcp(0x20, bytes([0x0F]) + struct.pack("!QQIHH", 7, 8, 1, 4, 0xBEEF)),
        mptcp(0x00, bytes([0x81]) + struct.pack("!QQH", 1, 2, 4)),     # MPC + data, no csum
        mptcp(0x10, bytes([3]) + struct.pack("!II", 0xDEADBEEF, 42)),  # MP_JOIN SYN
    ]
    packets = []
    for option in options:
        for src, dst, is_v6 in ((v4[0], v4[1], False), (v6[0], v6[1], True)):
            both = ts + option if len(ts + option) <= 40 else option
            packets.append(tcp_segment(src, dst, both, b"data", is_v6))
    # A SYN with SACK-permitted, window scale, TFO cookie request and MPC.
    syn = bytes.fromhex("020405b40402080a00000001000000000103030a2202") + mptcp(0x01, bytes([0x01]))
    packets.append(tcp_segment(v4[0], v4[1], syn, b"", False, flags=0x02))
    # SACK blocks.
    sack = bytes.fromhex("0101050a") + struct.pack("!II", 100, 200)
    packets.append(tcp_segment(v6[0], v6[1], sack, b"", True))
    return packets


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*")):
        os.remove(old)
    seen = set()
    chosen = []
    for path in sorted(glob.glob(os.path.join(HERE, "..", "testdata", "*.pcap"))):
        for packet in pcap_ip_packets(path):
            key = shape(packet)
            if key not in seen:
                seen.add(key)
                chosen.append(packet)
    chosen.extend(synthesized())
    for packet in chosen:
        name = hashlib.sha1(packet).hexdigest()[:16] + ".bin"
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(packet)
    print("wrote %d seeds to %s" % (len(chosen), OUT))


if __name__ == "__main__":
    main()

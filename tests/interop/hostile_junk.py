#!/usr/bin/env python3
"""Hostile-input generator for hostile_input_test.sh: malformed packets and
random bytes aimed at plaitd's UDP sockets or, over a veth, at a plait stack
behind a TUN device.

  hostile_junk.py udp --target INNER=HOST:PORT [...] --bind 127.0.0.50 [...]
      [--spoof-inner ADDR ...] [--seconds S] [--rate PPS] [--seed N]
  hostile_junk.py raw --ifname vb1 --dst-mac MAC --target ADDR [...]
      --source ADDR [...] [--live-port PORT ...] [--seconds S] [--rate PPS]

UDP mode sends from sockets bound to the --bind addresses (plaitd's default
peer learning, same-address, learns an inner source equal to the outer
source, so those packets reach the TCP/MPTCP stack itself) and reads what
plaitd answers: every SYN/ACK is answered with an ACK that carries random
options (sometimes a well-formed MP_CAPABLE), which drives the stack's
handshake and established-state code. Raw mode writes IPv4 packets with an
AF_PACKET socket (namespace B of deploy/lab): the kernel of the namespace
in between forwards whatever is a valid IPv4 header into the TUN device.

Categories (each one counted and printed as JSON at the end):
  random       random bytes (0..1600; a few up to 6000: truncated)
  magic        valid Plait header, random inner bytes (UDP only)
  header       Plait header with a wrong version or type, or too short
  tcp          a valid inner IPv4 header and TCP header with random flags,
               ports, sequence numbers, data offsets and options (standard
               and MPTCP, well-formed or not), valid TCP checksum mostly
  truncated    a crafted packet cut short, or its length field off
  spoofed      inner source of the live peer or a random address (UDP:
               fails the peer check; raw: sources other than the peer's)
  live_badsum  raw only: the live connection's 4-tuple with a wrong TCP
               checksum (an in-window segment with a valid checksum would be
               a blind injection that TCP cannot tell from data)
  ipv4_odd     IPv4 with options, fragments, other protocols, odd IHL
  ipv6         an inner IPv6 header with junk (UDP only)
  replies      ACKs answering the node's SYN/ACKs (UDP only)
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

MAGIC = b"PL\x01\x01"


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(addr):
    return socket.inet_aton(addr)


def ipv4_header(src, dst, payload_len, proto=6, options=b"", flags_frag=0x4000,
                total=None, ihl=None):
    hlen = 20 + len(options)
    if ihl is None:
        ihl = hlen // 4
    total = hlen + payload_len if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 0xF), 0, total & 0xFFFF,
                    random.getrandbits(16), flags_frag, 64, proto, 0, src, dst)
    h += options
    c = checksum(h)
    return h[:10] + struct.pack("!H", c) + h[12:]


# ---- TCP options ---------------------------------------------------------

def mptcp_option(rng):
    """One MPTCP option (kind 30): mostly well-formed layouts with random
    fields, sometimes a random subtype and length."""
    sub = rng.randrange(9)
    r = rng.random
    if rng.random() < 0.2:
        length = rng.randrange(0, 41)
        body = bytes([(rng.randrange(16) << 4) | rng.randrange(16)]) + \
            rng.randbytes(max(0, length - 3))
        return bytes([30, length]) + body
    if sub == 0:  # MP_CAPABLE: 4, 12, 20, 22, 24
        length = rng.choice([4, 12, 20, 22, 24])
        return bytes([30, length, 0x01, rng.getrandbits(8)]) + rng.randbytes(length - 4)
    if sub == 1:  # MP_JOIN: 12 (SYN), 16 (SYN/ACK), 24 (ACK)
        length = rng.choice([12, 16, 24])
        return bytes([30, length, 0x10 | rng.getrandbits(1), rng.getrandbits(8)]) + \
            rng.randbytes(length - 4)
    if sub == 2:  # DSS with random flags and the matching or a wrong length
        flags = rng.getrandbits(5)
        length = 4
        if flags & 0x01:
            length += 8 if flags & 0x02 else 4
        if flags & 0x04:
            length += (8 if flags & 0x08 else 4) + 4 + 2 + (2 if r() < 0.5 else 0)
        if r() < 0.2:
            length = rng.randrange(4, 30)
        return bytes([30, length, 0x20, flags]) + rng.randbytes(length - 4)
    if sub == 3:  # ADD_ADDR
        length = rng.choice([8, 10, 16, 18, 20, 22, 26, 28, 30])
        return bytes([30, length, 0x30 | rng.getrandbits(1), rng.getrandbits(8)]) + \
            rng.randbytes(length - 4)
    if sub == 4:  # REMOVE_ADDR
        length = rng.randrange(3, 12)
        return bytes([30, length, 0x40]) + rng.randbytes(length - 3)
    if sub == 5:  # MP_PRIO
        length = rng.choice([3, 4])
        return bytes([30, length, 0x50 | rng.getrandbits(1)]) + rng.randbytes(length - 3)
    if sub == 6:  # MP_FAIL
        return bytes([30, 12, 0x60, 0]) + rng.randbytes(8)
    if sub == 7:  # MP_FASTCLOSE
        return bytes([30, 12, 0x70, 0]) + rng.randbytes(8)
    return bytes([30, 4, 0x80 | rng.getrandbits(1), rng.getrandbits(8)])  # MP_TCPRST


def tcp_options(rng, max_len=40):
    out = b""
    while len(out) < max_len and rng.random() < 0.8:
        k = rng.randrange(12)
        if k < 5:
            opt = mptcp_option(rng)
        elif k == 5:
            opt = bytes([2, 4]) + struct.pack("!H", rng.getrandbits(16))  # MSS
        elif k == 6:
            opt = bytes([3, 3, rng.randrange(20)])  # window scale (even > 14)
        elif k == 7:
            opt = bytes([4, 2])  # SACK permitted
        elif k == 8:
            n = rng.randrange(0, 5)
            opt = bytes([5, 2 + 8 * n]) + rng.randbytes(8 * n)  # SACK
        elif k == 9:
            opt = bytes([8, 10]) + rng.randbytes(8)  # timestamps
        elif k == 10:
            opt = bytes([rng.choice([0, 1])])  # EOL / NOP
        else:  # unknown kind, random (possibly 0, 1 or overlong) length
            length = rng.randrange(0, 44)
            opt = bytes([rng.randrange(6, 256), length]) + rng.randbytes(max(0, length - 2))
        out += opt
    if len(out) > max_len:
        out = out[:max_len] if rng.random() < 0.5 else out[:max_len - (max_len % 4)]
    pad = (-len(out)) % 4
    return out + b"\x01" * pad


def tcp_segment(rng, src, dst, sport, dport, seq=None, ack=None, flags=None,
                options=None, payload=None, good_checksum=True, offset=None):
    if options is None:
        options = tcp_options(rng)
    if payload is None:
        payload = rng.randbytes(rng.choice([0, 0, 0, rng.randrange(1, 1300)]))
    if flags is None:
        flags = rng.choice([0x02, 0x10, 0x18, 0x12, 0x04, 0x14, 0x11, 0x01,
                            rng.getrandbits(9)])
    seq = rng.getrandbits(32) if seq is None else seq
    ack = rng.getrandbits(32) if ack is None else ack
    doff = (20 + len(options)) // 4 if offset is None else offset
    hdr = struct.pack("!HHIIHHHH", sport, dport, seq, ack,
                      ((doff & 0xF) << 12) | (flags & 0x1FF),
                      rng.choice([0, 1, 512, 65535, rng.getrandbits(16)]), 0,
                      rng.choice([0, 0, 0, rng.getrandbits(16)])) + options
    seg = hdr + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
    c = checksum(pseudo + seg)
    if not good_checksum:
        c ^= 1 + rng.getrandbits(15)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def crafted_ipv4(rng, src, dst, ports):
    sport = rng.choice([rng.randrange(1, 65536), 80, 47100])
    dport = rng.choice(ports + [rng.randrange(1, 65536)])
    seg = tcp_segment(rng, src, dst, sport, dport,
                      good_checksum=rng.random() < 0.9,
                      offset=None if rng.random() < 0.9 else rng.randrange(16))
    return ipv4_header(src, dst, len(seg)) + seg


def odd_ipv4(rng, src, dst, ports):
    kind = rng.randrange(5)
    seg = tcp_segment(rng, src, dst, rng.randrange(1, 65536), rng.choice(ports))
    if kind == 0:  # IP options (NOP, EOL, random)
        opts = rng.randbytes(rng.choice([4, 8, 20, 40]))
        return ipv4_header(src, dst, len(seg), options=opts) + seg
    if kind == 1:  # a fragment (MF or an offset)
        ff = rng.choice([0x2000, 0x2000 | rng.randrange(1, 100), rng.randrange(1, 0x1FFF)])
        return ipv4_header(src, dst, len(seg), flags_frag=ff) + seg
    if kind == 2:  # another protocol
        body = rng.randbytes(rng.randrange(0, 200))
        return ipv4_header(src, dst, len(body), proto=rng.choice([1, 17, 41, 47, 132, 255])) + body
    if kind == 3:  # IHL too small or larger than the packet
        h = ipv4_header(src, dst, len(seg), ihl=rng.choice([0, 1, 4, 15])) + seg
        return h
    # TCP shorter than its minimum header
    body = seg[:rng.randrange(0, 20)]
    return ipv4_header(src, dst, len(body)) + body


def truncate(rng, packet):
    if rng.random() < 0.5 and len(packet) > 1:
        return packet[:rng.randrange(1, len(packet))]
    # The IPv4 total length disagrees with the bytes.
    total = struct.unpack_from("!H", packet, 2)[0]
    total = (total + rng.choice([-40, -1, 1, 7, 1000])) & 0xFFFF
    return packet[:2] + struct.pack("!H", total) + packet[4:]


def ipv6_junk(rng):
    payload = rng.randbytes(rng.randrange(0, 200))
    plen = len(payload) if rng.random() < 0.7 else rng.getrandbits(16)
    h = struct.pack("!IHBB", 0x60000000, plen, rng.choice([6, 0, 17, 44, 59]), 64)
    return h + rng.randbytes(32) + payload


class Counts(dict):
    def add(self, key, n=1):
        self[key] = self.get(key, 0) + n


def run_udp(args, rng):
    targets = []
    for t in args.target:
        inner, outer = t.split("=")
        host, port = outer.rsplit(":", 1)
        targets.append((ip4(inner), (host, int(port))))
    socks = []
    for b in args.bind:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((b, 0))
        s.setblocking(False)
        socks.append((s, ip4(b)))
    spoof = [ip4(a) for a in args.spoof_inner]
    counts = Counts()
    deadline = time.time() + args.seconds
    interval = 1.0 / args.rate
    next_send = time.time()
    ports = args.port or [80]
    while time.time() < deadline:
        now = time.time()
        if now < next_send:
            ready, _, _ = select.select([s for s, _ in socks], [], [],
                                        next_send - now)
            for s in ready:
                answer(rng, s, dict((id(x), a) for x, a in socks)[id(s)], counts)
            continue
        next_send += interval
        if next_send < now - 1:
            next_send = now  # behind by more than a second: do not burst
        sock, src = rng.choice(socks)
        inner_dst, outer = rng.choice(targets)
        r = rng.random()
        if r < 0.10:
            cat = "random"
            n = rng.randrange(0, 1600) if rng.random() < 0.95 else rng.randrange(4097, 6000)
            data = rng.randbytes(n)
        elif r < 0.20:
            cat, data = "magic", MAGIC + rng.randbytes(rng.randrange(0, 1500))
        elif r < 0.25:
            cat = "header"
            data = rng.choice([b"P", b"PL", b"PL\x01", MAGIC,
                               b"PL" + bytes([rng.randrange(2, 256), 1]),
                               b"PL\x01" + bytes([rng.choice([0, 2, 255])]),
                               b"PX\x01\x01"]) + rng.randbytes(rng.randrange(0, 60))
        elif r < 0.65:
            cat = "tcp"
            data = MAGIC + crafted_ipv4(rng, src, inner_dst, ports)
        elif r < 0.75:
            cat = "truncated"
            data = MAGIC + truncate(rng, crafted_ipv4(rng, src, inner_dst, ports))
        elif r < 0.85:
            cat = "spoofed"
            fake = rng.choice(spoof + [rng.randbytes(4)]) if spoof else rng.randbytes(4)
            data = MAGIC + crafted_ipv4(rng, fake, inner_dst, ports)
        elif r < 0.95:
            cat = "ipv4_odd"
            data = MAGIC + odd_ipv4(rng, src, inner_dst, ports)
        else:
            cat = "ipv6"
            data = MAGIC + ipv6_junk(rng)
        try:
            sock.sendto(data, outer)
            counts.add(cat)
        except OSError as e:
            counts.add("send_error_" + (e.strerror or "?").replace(" ", "_"))
    return counts


def answer(rng, sock, local, counts):
    """Reads what the node sent back; answers each SYN/ACK with an ACK."""
    for _ in range(64):
        try:
            data, peer = sock.recvfrom(65536)
        except BlockingIOError:
            return
        except OSError:
            return
        counts.add("received")
        p = data[4:]
        if data[:4] != MAGIC or len(p) < 40 or p[0] >> 4 != 4 or p[9] != 6:
            continue
        ihl = (p[0] & 0xF) * 4
        src, dst = p[12:16], p[16:20]
        sport, dport, seq, ack, off_flags = struct.unpack_from("!HHIIH", p, ihl)
        if off_flags & 0x12 != 0x12:
            continue
        if rng.random() < 0.5:
            # A well-formed MP_CAPABLE third ACK: two random keys.
            opts = bytes([30, 20, 0x01, 0x01]) + rng.randbytes(16)
            if rng.random() < 0.5:
                opts += mptcp_option(rng)
            opts += b"\x01" * ((-len(opts)) % 4)
            opts = opts[:40]
        else:
            opts = tcp_options(rng)
        seg = tcp_segment(rng, dst, src, dport, sport, seq=ack, ack=(seq + 1) & 0xFFFFFFFF,
                          flags=rng.choice([0x10, 0x18, 0x11, 0x10]), options=opts)
        try:
            sock.sendto(MAGIC + ipv4_header(dst, src, len(seg)) + seg, peer)
            counts.add("replies")
        except OSError:
            pass


def run_raw(args, rng):
    ETH_P_IP = 0x0800
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    ifaces = args.ifname
    targets = [ip4(t) for t in args.target]
    sources = [ip4(s) for s in args.source]
    spoof = [ip4(a) for a in args.spoof_inner]
    counts = Counts()
    deadline = time.time() + args.seconds
    interval = 1.0 / args.rate
    next_send = time.time()
    ports = args.port or [80]
    last_read = 0
    macs = [bytes.fromhex(m.replace(":", "")) for m in args.dst_mac.split(",")]
    while time.time() < deadline:
        now = time.time()
        if now < next_send:
            time.sleep(next_send - now)
            continue
        next_send += interval
        if next_send < now - 1:
            next_send = now
        if args.live_port_file and now - last_read > 1:
            last_read = now
            try:
                a, b = open(args.live_port_file).read().split()
                args.live_port = [int(a), int(b)]
            except (OSError, ValueError):
                pass
        i = rng.randrange(len(ifaces))
        dst = targets[i % len(targets)]
        src = sources[i % len(sources)]
        r = rng.random()
        if r < 0.10:
            cat = "random"
            data = rng.randbytes(rng.randrange(0, 1500))
            if data and rng.random() < 0.5:
                data = bytes([0x45]) + data[1:]
        elif r < 0.55:
            cat, data = "tcp", crafted_ipv4(rng, src, dst, ports)
        elif r < 0.65:
            cat, data = "truncated", truncate(rng, crafted_ipv4(rng, src, dst, ports))
        elif r < 0.75:
            cat = "spoofed"
            fake = rng.choice(spoof + [rng.randbytes(4)]) if spoof else rng.randbytes(4)
            data = crafted_ipv4(rng, fake, dst, ports)
        elif r < 0.85 and args.live_port:
            # The live connection's 4-tuple, with a wrong TCP checksum.
            cat = "live_badsum"
            i, dst = 0, targets[0]
            lsrc = spoof[0] if spoof else src
            lport, rport = args.live_port[0], args.live_port[1]
            seg = tcp_segment(rng, lsrc, dst, rport, lport, good_checksum=False)
            data = ipv4_header(lsrc, dst, len(seg)) + seg
        else:
            cat, data = "ipv4_odd", odd_ipv4(rng, src, dst, ports)
        try:
            sock.sendto(data[:1500], (ifaces[i], ETH_P_IP, 0, 0, macs[i % len(macs)]))
            counts.add(cat)
        except OSError as e:
            counts.add("send_error_" + (e.strerror or "?").replace(" ", "_"))
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["udp", "raw"])
    parser.add_argument("--target", action="append", required=True)
    parser.add_argument("--bind", action="append", default=[])
    parser.add_argument("--spoof-inner", action="append", default=[])
    parser.add_argument("--port", action="append", type=int, default=[],
                        help="destination ports to favour (listeners)")
    parser.add_argument("--ifname", action="append", default=[])
    parser.add_argument("--dst-mac", default="")
    parser.add_argument("--source", action="append", default=[])
    parser.add_argument("--live-port", type=int, nargs=2, metavar=("PLAIT", "PEER"))
    parser.add_argument("--live-port-file",
                        help="re-read every second: 'PLAIT_PORT PEER_PORT' of the live connection")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=3000, help="packets per second")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--report", help="write the counts as JSON here")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    if args.mode == "udp":
        if not args.bind:
            parser.error("udp needs --bind")
        counts = run_udp(args, rng)
    else:
        if not args.ifname or not args.dst_mac or not args.source:
            parser.error("raw needs --ifname, --dst-mac and --source")
        counts = run_raw(args, rng)
    counts["seed"] = seed
    sent = sum(v for k, v in counts.items()
               if k not in ("seed", "received", "replies") and not k.startswith("send_error"))
    counts["injected"] = sent + counts.get("replies", 0)
    text = json.dumps(dict(sorted(counts.items())))
    if args.report:
        with open(args.report, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

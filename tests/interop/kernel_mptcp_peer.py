#!/usr/bin/env python3
"""The Linux kernel's side of tun_kernel_mptcp_test.sh: an MPTCP server,
or with --connect a client.

The server accepts one MPTCP connection, sends --bytes of random data while
reading everything the client sends until its DATA_FIN, then closes. The
client connects, waits (at most 5 s) until the kernel's path manager has
added --wait-subflows subflows, sends --bytes of random data while reading,
shuts its sending side down (DATA_FIN) and reads until the server's. While the
connection is open it asks the kernel for the connection's subflows
(getsockopt MPTCP_SUBFLOW_ADDRS) and MPTCP_INFO, and keeps every subflow
4-tuple it saw. Writes a JSON report to --report: SHA-256 of what it sent and
received, byte counts, the subflows, and whether the kernel used DSS
checksums. Prints "listening" on stdout once it listens.

For tun_kernel_paths_test.sh it also looks every 50 ms from a thread of
its own (so that a pause in the data is watched too) and reports: the
subflows at its last look before closing ("final_subflows"), a timeline of
the changes in the list of subflows, and each subflow's bytes as the
kernel counts them (getsockopt MPTCP_TCPINFO: tcpi_bytes_acked and
tcpi_bytes_received of each subflow's struct tcp_info, the most seen).
With --tcp it is a plain TCP peer (no MPTCP socket, nothing of the above).
"""
import argparse
import ctypes
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time

IPPROTO_MPTCP = 262
SOL_MPTCP = 284
MPTCP_INFO = 1
MPTCP_TCPINFO = 2
MPTCP_SUBFLOW_ADDRS = 3
# struct tcp_info (include/uapi/linux/tcp.h): u64 tcpi_bytes_acked at 120,
# tcpi_bytes_received at 128.
TCPI_BYTES_ACKED = 120
TCPI_BYTES_RECEIVED = 128
# struct mptcp_info (include/uapi/linux/mptcp.h): u8 subflows,
# add_addr_signal, add_addr_accepted, subflows_max, add_addr_signal_max,
# add_addr_accepted_max, u32 flags, token, u64 write_seq, snd_una, rcv_nxt,
# u8 local_addr_used, local_addr_max, csum_enabled, ...
MPTCP_INFO_CSUM_OFFSET = 6 + 2 + 4 + 4 + 24 + 2  # after the padding to u32


LIBC = ctypes.CDLL(None, use_errno=True)


def subflow_addrs(sock):
    """[(local, remote)] of the connection's subflows, as 'ip:port'.

    The kernel reads struct mptcp_subflow_data from the buffer first (its
    size and the caller's entry size), which socket.getsockopt cannot fill
    in: hence libc's getsockopt through ctypes."""
    size = 16 + 8 * 256
    buffer = ctypes.create_string_buffer(struct.pack("IIII", 16, 0, 0, 256),
                                         size)
    length = ctypes.c_uint32(size)
    if LIBC.getsockopt(sock.fileno(), SOL_MPTCP, MPTCP_SUBFLOW_ADDRS, buffer,
                       ctypes.byref(length)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, "MPTCP_SUBFLOW_ADDRS: " + os.strerror(errno))
    raw = buffer.raw[:length.value]
    _, count, size_kernel, size_user = struct.unpack_from("IIII", raw)
    step = min(size_kernel, size_user) or 256
    result = []
    for i in range(count):
        entry = raw[16 + i * step:16 + (i + 1) * step]
        half = step // 2
        result.append((sockaddr(entry[:half]), sockaddr(entry[half:])))
    return result


def subflow_tcpinfo(sock):
    """[(bytes_acked, bytes_received)] of each subflow, in the kernel's
    order (the order of MPTCP_SUBFLOW_ADDRS)."""
    entry = 256
    size = 16 + entry * 16
    buffer = ctypes.create_string_buffer(struct.pack("IIII", 16, 0, 0, entry),
                                         size)
    length = ctypes.c_uint32(size)
    if LIBC.getsockopt(sock.fileno(), SOL_MPTCP, MPTCP_TCPINFO, buffer,
                       ctypes.byref(length)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, "MPTCP_TCPINFO: " + os.strerror(errno))
    raw = buffer.raw[:length.value]
    _, count, size_kernel, size_user = struct.unpack_from("IIII", raw)
    step = min(size_kernel, size_user) or entry
    result = []
    for i in range(count):
        base = 16 + i * step
        if step < TCPI_BYTES_RECEIVED + 8 or base + step > len(raw):
            result.append((None, None))
            continue
        result.append(struct.unpack_from("QQ", raw, base + TCPI_BYTES_ACKED))
    return result


def sockaddr(raw):
    family = struct.unpack_from("H", raw)[0]
    if family == socket.AF_INET:
        port = struct.unpack_from("!H", raw, 2)[0]
        return f"{socket.inet_ntop(socket.AF_INET, raw[4:8])}:{port}"
    if family == socket.AF_INET6:
        port = struct.unpack_from("!H", raw, 2)[0]
        return f"[{socket.inet_ntop(socket.AF_INET6, raw[8:24])}]:{port}"
    return f"family {family}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5201)
    parser.add_argument("--bytes", type=int, required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--connect", help="server address: be the client")
    parser.add_argument("--wait-subflows", type=int, default=1,
                        help="client: extra subflows to wait for")
    parser.add_argument("--tcp", action="store_true",
                        help="plain TCP instead of MPTCP")
    args = parser.parse_args()
    protocol = socket.IPPROTO_TCP if args.tcp else IPPROTO_MPTCP
    start = time.monotonic()

    listener = None
    if args.connect:
        conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM, protocol)
        conn.settimeout(args.timeout)
        conn.connect((args.connect, args.port))
        peer = (args.connect, args.port)
        deadline = time.monotonic() + 5
        while not args.tcp and time.monotonic() < deadline:
            if conn.getsockopt(SOL_MPTCP, MPTCP_INFO, 256)[0] >= \
                    args.wait_subflows:
                break
            time.sleep(0.01)
    else:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                                 protocol)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", args.port))
        listener.listen(1)
        listener.settimeout(args.timeout)
        print("listening", flush=True)
        conn, peer = listener.accept()
        conn.settimeout(args.timeout)

    sent_hash = hashlib.sha256()
    sent = 0
    send_error = []

    def send():
        nonlocal sent
        try:
            left = args.bytes
            while left > 0:
                block = os.urandom(min(left, 1 << 20))
                sent_hash.update(block)
                conn.sendall(block)
                sent += len(block)
                left -= len(block)
            if args.connect:
                conn.shutdown(socket.SHUT_WR)
        except OSError as e:
            send_error.append(str(e))

    sender = threading.Thread(target=send)
    sender.start()

    seen = set()
    info_errors = []
    csum = None
    max_extra_subflows = 0
    final = []
    timeline = []
    subflow_bytes = {}
    lock = threading.Lock()

    def observe(background=False):
        if args.tcp:
            return
        with lock:
            observe_locked(background)

    # The looks from the background thread feed only the fields added for
    # tun_kernel_paths_test.sh ("final_subflows", "timeline",
    # "subflow_bytes"): "subflows" and "max_extra_subflows" come from the
    # looks every MiB received and at the end, as they always did.
    def observe_locked(background):
        nonlocal csum, max_extra_subflows, final
        try:
            pairs = subflow_addrs(conn)
            if not background:
                for pair in pairs:
                    seen.add(pair)
            if sorted(pairs) != final:
                final = sorted(pairs)
                timeline.append([round(time.monotonic() - start, 3),
                                 [list(p) for p in final]])
            counts = subflow_tcpinfo(conn)
            if len(counts) == len(pairs):
                for pair, (acked, received) in zip(pairs, counts):
                    if acked is None:
                        continue
                    key = f"{pair[0]}-{pair[1]}"
                    old = subflow_bytes.get(key, [0, 0])
                    subflow_bytes[key] = [max(old[0], acked),
                                          max(old[1], received)]
            if background:
                return
            info = conn.getsockopt(SOL_MPTCP, MPTCP_INFO, 256)
            # mptcpi_subflows: the subflows besides the initial one.
            max_extra_subflows = max(max_extra_subflows, info[0])
            if len(info) > MPTCP_INFO_CSUM_OFFSET:
                csum = bool(info[MPTCP_INFO_CSUM_OFFSET])
        except OSError as e:
            info_errors.append(str(e))

    looking = threading.Event()

    def look():
        while not looking.wait(0.05):
            observe(background=True)

    looker = threading.Thread(target=look, daemon=True)
    looker.start()

    received_hash = hashlib.sha256()
    received = 0
    next_look = 0
    while True:
        data = conn.recv(1 << 20)
        if not data:
            break
        received_hash.update(data)
        received += len(data)
        if received >= next_look:
            observe()
            next_look = received + (1 << 20)
    sender.join()
    looking.set()
    looker.join()
    observe()
    conn.close()
    if listener:
        listener.close()
    report = {
        "peer": f"{peer[0]}:{peer[1]}",
        "received_bytes": received,
        "received_sha256": received_hash.hexdigest(),
        "sent_bytes": sent,
        "sent_sha256": sent_hash.hexdigest(),
        "send_error": send_error,
        "subflows": sorted([list(p) for p in seen]),
        "csum_enabled": csum,
        "max_extra_subflows": max_extra_subflows,
        "info_errors": sorted(set(info_errors)),
        "protocol": "tcp" if args.tcp else "mptcp",
        "final_subflows": [list(p) for p in final],
        "timeline": timeline,
        "subflow_bytes": subflow_bytes,
    }
    with open(args.report, "w") as f:
        json.dump(report, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Helpers of plaitd_bench.sh.

  sink --port P --report F        (namespace B) the Linux kernel's MPTCP
        server: accepts one connection, reads to EOF with recv_into (no
        hashing), closes; reports bytes, seconds from accept to EOF and its
        own CPU seconds (getrusage).
  kclient --connect A --port P --bytes N
        (namespace A) the kernel MPTCP client: waits for its second subflow,
        sends N bytes of one constant buffer, half-closes and reads to EOF.
  run --report F -- CMD...
        runs CMD, prints {"wall_s", "cpu_s"} of it (getrusage of children:
        utime + stime of CMD and what it waited for) to F.
  memory --plaitd BIN --connections N
        two plaitd in UDP mode on loopback; N idle connections through the
        proxy; VmRSS / RssAnon of both plaitd before and after; the same N
        connections as plain kernel TCP sockets as the reference (the
        kernel's TCP slab objects, /proc/slabinfo, and socket memory,
        /proc/net/sockstat). Prints one JSON object.
"""
import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

IPPROTO_MPTCP = 262
SOL_MPTCP = 284
MPTCP_INFO = 1


def cmd_sink(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(4)
    print("listening", flush=True)
    ls.settimeout(a.timeout)
    conn, _ = ls.accept()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    buf = bytearray(1 << 20)
    n = 0
    while True:
        k = conn.recv_into(buf)
        if not k:
            break
        n += k
    t1 = time.monotonic()
    subflows = None
    try:
        subflows = conn.getsockopt(SOL_MPTCP, MPTCP_INFO, 256)[0] + 1
    except OSError:
        pass
    conn.close()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    json.dump({"bytes": n, "seconds": t1 - t0,
               "cpu_s": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
               "subflows_at_end": subflows}, open(a.report, "w"))


def cmd_kclient(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    s.connect((a.connect, a.port))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if s.getsockopt(SOL_MPTCP, MPTCP_INFO, 256)[0] >= 1:
            break
        time.sleep(0.005)
    block = os.urandom(1 << 20)
    left = a.bytes
    mv = memoryview(block)
    while left > 0:
        k = s.send(mv[:min(left, len(block))])
        left -= k
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()


def cmd_run(a):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    rc = subprocess.call(a.command, stdout=open(a.stdout, "w") if a.stdout else None)
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    json.dump({"rc": rc, "wall_s": t1 - t0,
               "cpu_s": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
               "user_s": r1.ru_utime - r0.ru_utime, "sys_s": r1.ru_stime - r0.ru_stime},
              open(a.report, "w"))
    sys.exit(rc)


# ---- memory per 1,000 idle connections --------------------------------------

def status_kib(pid, field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def slab_bytes():
    """Bytes in the kernel's TCP socket slabs (root only), else None."""
    try:
        lines = open("/proc/slabinfo").read().splitlines()
    except OSError:
        return None
    total = 0
    for line in lines[2:]:
        f = line.split()
        if f[0] in ("TCP", "MPTCP", "request_sock_TCP", "tcp_bind_bucket",
                    "sock_inode_cache", "skbuff_head_cache"):
            total += int(f[2]) * int(f[3])  # num_objs * objsize
    return total


def sockstat_pages():
    for line in open("/proc/net/sockstat"):
        if line.startswith("TCP:"):
            f = line.split()
            return int(f[f.index("mem") + 1])
    return 0


class Daemon:
    def __init__(self, binary, name, args, work):
        self.log_path = os.path.join(work, name + ".log")
        self.proc = subprocess.Popen([binary, "--log-format=json"] + args,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path, "w"))
        self.name = name

    def events(self, event):
        out = []
        for line in open(self.log_path):
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("event") == event:
                out.append(r)
        return out

    def wait_for(self, event, count=1, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            e = self.events(event)
            if len(e) >= count:
                return e
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        sys.exit("%s: no %d %r log lines (exit %s); log %s" % (
            self.name, count, event, self.proc.poll(), self.log_path))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "killed"


def kernel_reference(n):
    n = max(1, n)
    """n connected pairs of plain kernel TCP sockets on loopback (2n
    sockets, as the proxied path has at each end), idle."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(n)
    port = ls.getsockname()[1]
    time.sleep(0.5)
    s0, p0 = slab_bytes(), sockstat_pages()
    pairs = []
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(b"x")
        a, _ = ls.accept()
        a.recv(1)
        pairs.append((c, a))
    time.sleep(0.5)
    s1, p1 = slab_bytes(), sockstat_pages()
    for c, a in pairs:
        c.close()
        a.close()
    ls.close()
    return {"slab_bytes": None if s0 is None else s1 - s0,
            "sockstat_bytes": (p1 - p0) * 4096}


def cmd_memory(a):
    daemons = []
    try:
        memory(a, daemons)
    finally:
        for d in daemons:
            if d.proc.poll() is None:
                d.proc.kill()


def memory(a, daemons):
    n = a.connections
    work = a.work
    os.makedirs(work, exist_ok=True)
    app = socket.socket()
    app.bind(("127.0.0.1", 0))
    app.listen(n + 16)
    app_port = app.getsockname()[1]
    accepted = []

    def accept_loop():
        while True:
            try:
                c, _ = app.accept()
            except OSError:
                return
            accepted.append(c)

    threading.Thread(target=accept_loop, daemon=True).start()
    server = Daemon(a.plaitd, "server",
                    ["--path", "127.0.0.3", "--udp-port", "0", "--api", "none",
                     "--serve", "80=127.0.0.1:%d" % app_port, "--drain-timeout", "5",
                     # Buffers are reserved per connection (1 MiB a direction
                     # and level by default): the default 1 GiB budget holds
                     # about 200 connections, so it is raised; RSS is measured.
                     "--memory-budget-mib", "16384"], work)
    daemons.append(server)
    server_udp = server.wait_for("path")[0]["udp"]
    server.wait_for("started")
    client = Daemon(a.plaitd, "client",
                    ["--path", "127.0.0.1", "--path", "127.0.0.2", "--udp-port", "0", "--api", "none",
                     "--peer", "127.0.0.3=" + server_udp,
                     "--forward", "127.0.0.1:0=127.0.0.3:80", "--drain-timeout", "5",
                     "--memory-budget-mib", "16384"], work)
    daemons.append(client)
    client.wait_for("started")
    fport = int(client.events("forward")[0]["listen"].rsplit(":", 1)[1])

    # Warm-up: one connection opened and closed, so that one-time
    # allocations (the first connection's tables, the allocator's arenas)
    # are in the baseline.
    w = socket.create_connection(("127.0.0.1", fport))
    w.sendall(b"w")
    server.wait_for("conn_open")
    w.close()
    deadline = time.time() + 10
    while not accepted and time.time() < deadline:
        time.sleep(0.05)
    for c in accepted:
        c.close()
    client.wait_for("conn_close", timeout=30)
    time.sleep(1)
    accepted.clear()
    pids = {"client": client.proc.pid, "server": server.proc.pid}
    before = {k: (status_kib(p, "VmRSS"), status_kib(p, "RssAnon")) for k, p in pids.items()}

    socks = []
    t0 = time.time()
    connect_errors = 0
    for i in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", fport))
            s.sendall(b"x")  # each connection carries one byte, then idles
            socks.append(s)
        except OSError:
            connect_errors += 1
    # Until all arrived, or none more for 5 s (plaitd refuses connections
    # beyond its stack's max_buffer_bytes).
    deadline = time.time() + 120
    last, last_change = -1, time.time()
    while len(accepted) < n and time.time() < deadline:
        if len(accepted) != last:
            last, last_change = len(accepted), time.time()
        elif time.time() - last_change > 5:
            break
        time.sleep(0.05)
    reached = len(accepted)
    if reached == 0:
        sys.exit("no connection reached the application")
    # Every connection's byte arrived: the connections are up end to end.
    for c in accepted:
        c.settimeout(10)
        c.recv(1)
    open_s = time.time() - t0
    time.sleep(2)
    after = {k: (status_kib(p, "VmRSS"), status_kib(p, "RssAnon")) for k, p in pids.items()}
    subflows = None
    for s in socks:
        s.close()
    for c in accepted:
        c.close()
    closes = server.wait_for("conn_close", count=reached + 1, timeout=60)
    subflows = sum(c.get("subflows", 0) for c in closes[1:]) / max(1, len(closes) - 1)
    codes = {"client": client.stop(), "server": server.stop()}
    stack = {d.name: (d.events("stack_stats") or [{}])[-1] for d in (client, server)}
    app.close()
    ref = kernel_reference(reached)
    ref["connections"] = reached
    # Idle plaitd as a second reference: its whole RSS.
    result = {"connections": n, "reached_application": reached,
              "client_connect_errors": connect_errors,
              "refused_for_memory": {k: v.get("refused_for_memory") for k, v in stack.items()},
              "refused": {k: v.get("refused") for k, v in stack.items()},
              "open_seconds": round(open_s, 2),
              "subflows_per_connection": subflows, "exit_codes": codes,
              "kernel_tcp_reference": ref}
    for k in pids:
        result[k] = {"rss_kib_before": before[k][0], "rss_kib_after": after[k][0],
                     "anon_kib_before": before[k][1], "anon_kib_after": after[k][1],
                     "rss_bytes_per_conn": (after[k][0] - before[k][0]) * 1024 / reached,
                     "anon_bytes_per_conn": (after[k][1] - before[k][1]) * 1024 / reached}
    print(json.dumps(result))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sink")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--report", required=True)
    s.add_argument("--timeout", type=float, default=120)
    k = sub.add_parser("kclient")
    k.add_argument("--connect", required=True)
    k.add_argument("--port", type=int, required=True)
    k.add_argument("--bytes", type=int, required=True)
    r = sub.add_parser("run")
    r.add_argument("--report", required=True)
    r.add_argument("--stdout")
    r.add_argument("command", nargs=argparse.REMAINDER)
    m = sub.add_parser("memory")
    m.add_argument("--plaitd", required=True)
    m.add_argument("--connections", type=int, default=1000)
    m.add_argument("--work", required=True)
    a = p.parse_args()
    if a.cmd == "run" and a.command[:1] == ["--"]:
        a.command = a.command[1:]
    {"sink": cmd_sink, "kclient": cmd_kclient, "run": cmd_run,
     "memory": cmd_memory}[a.cmd](a)


if __name__ == "__main__":
    main()

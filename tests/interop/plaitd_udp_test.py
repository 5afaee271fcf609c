#!/usr/bin/env python3
"""Two plaitd in UDP mode on loopback, unprivileged, an application's TCP
streams through the proxy.

client app -> plaitd A (--forward, paths 127.0.0.1 and 127.0.0.2)
           -> MPTCP over UDP, two subflows
           -> plaitd B (--serve, path 127.0.0.3) -> sink/source on 127.0.0.1

64 MiB go each way at once; both directions' SHA-256 must match, and the
client's connection-close log must show two subflows (one from each path)
that both carried a real share of the bytes. Then iperf3 runs through the
proxy if it is installed (skipped with a reason otherwise). Finally SIGTERM
must drain both daemons (exit code 0, drain completed), the client's with
a connection open that the drain closes gracefully.
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

MIB = 1 << 20


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


class Daemon:
    """One plaitd with its JSON log in a file."""

    def __init__(self, binary, name, args, work):
        self.name = name
        self.log_path = os.path.join(work, name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "--log-format=json"] + args,
            stdout=subprocess.DEVNULL, stderr=self.log)

    def events(self, event=None):
        out = []
        with open(self.log_path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    fail("%s wrote a line that is not JSON: %r" % (self.name, line))
                if event is None or record.get("event") == event:
                    out.append(record)
        return out

    def wait_for(self, event, count=1, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.events(event)
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.dump()
        fail("%s: no %r log line (exit code %s)" % (self.name, event, self.proc.poll()))

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.dump()
            fail("%s did not exit within %d s of SIGTERM" % (self.name, timeout))

    def dump(self):
        print("---- %s log ----" % self.name)
        with open(self.log_path) as f:
            print(f.read()[-6000:])


def stream_blocks(total, seed):
    """`total` bytes: a random MiB, each copy stamped with its index."""
    base = bytearray(hashlib.sha256(seed).digest() * (MIB // 32))
    for i in range(total // MIB):
        base[0:8] = i.to_bytes(8, "big")
        yield bytes(base)


def expected_sha(total, seed):
    h = hashlib.sha256()
    for block in stream_blocks(total, seed):
        h.update(block)
    return h.hexdigest()


def send_and_receive(sock, total, seed, result):
    """Sends `total` bytes then half-closes, while reading to EOF."""
    def sender():
        try:
            for block in stream_blocks(total, seed):
                sock.sendall(block)
            sock.shutdown(socket.SHUT_WR)
            result["sent"] = True
        except OSError as e:
            result["send_error"] = str(e)

    t = threading.Thread(target=sender)
    t.start()
    h = hashlib.sha256()
    n = 0
    try:
        while True:
            data = sock.recv(1 << 18)
            if not data:
                break
            h.update(data)
            n += len(data)
    except OSError as e:
        result["recv_error"] = str(e)
    t.join()
    result["bytes"] = n
    result["sha"] = h.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plaitd", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--mib", type=int, default=64)
    args = parser.parse_args()
    total = args.mib * MIB
    os.makedirs(args.work, exist_ok=True)

    # The application server: a sink and source on a port the kernel picks.
    app = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    app.bind(("127.0.0.1", 0))
    app.listen(8)
    app_port = app.getsockname()[1]
    at_server = {}

    drain_app = {}
    first_done = threading.Event()

    def serve_one():
        conn, _ = app.accept()
        conn.settimeout(120)
        send_and_receive(conn, total, b"server", at_server)
        conn.close()
        first_done.set()
        # The drain check's connection: closes once its client's end
        # arrives.
        conn, _ = app.accept()
        conn.settimeout(30)
        drain_app["got"] = conn.recv(100)
        drain_app["eof"] = conn.recv(100)
        conn.close()

    server_thread = threading.Thread(target=serve_one, daemon=True)
    server_thread.start()

    # UDP and listener ports 0: the kernel picks free ones and plaitd logs
    # them, so that parallel runs cannot collide.
    iperf3 = shutil.which("iperf3")
    iperf_port = None
    server_args = ["--path", "127.0.0.3", "--udp-port", "0", "--api", "none",
                   "--serve", "80=127.0.0.1:%d" % app_port, "--drain-timeout", "10"]
    if iperf3:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        iperf_port = probe.getsockname()[1]
        probe.close()
        server_args += ["--serve", "5201=127.0.0.1:%d" % iperf_port]
    server = Daemon(args.plaitd, "server", server_args, args.work)
    server_udp = server.wait_for("path")[0]["udp"]
    server.wait_for("started")

    client_args = ["--path", "127.0.0.1", "--path", "127.0.0.2", "--udp-port", "0", "--api", "none",
                   "--peer", "127.0.0.3=" + server_udp,
                   "--forward", "127.0.0.1:0=127.0.0.3:80", "--drain-timeout", "10",
                   "--stats-interval", "0.1"]
    if iperf3:
        client_args += ["--forward", "127.0.0.1:0=127.0.0.3:5201"]
    client = Daemon(args.plaitd, "client", client_args, args.work)
    client.wait_for("started")
    forwards = client.events("forward")
    forward_port = int(forwards[0]["listen"].rsplit(":", 1)[1])

    # 64 MiB each way at once.
    at_client = {}
    sock = socket.create_connection(("127.0.0.1", forward_port), timeout=120)
    start = time.time()
    send_and_receive(sock, total, b"client", at_client)
    elapsed = time.time() - start
    sock.close()
    first_done.wait(120)

    ok = True
    for name, got, seed in (("client -> server", at_server, b"client"),
                            ("server -> client", at_client, b"server")):
        want = expected_sha(total, seed)
        print("%s: %d bytes, sha256 %s (expected %s)" % (
            name, got.get("bytes", 0), got.get("sha"), want))
        for key in ("send_error", "recv_error"):
            if key in got:
                print("  %s: %s" % (key, got[key]))
                ok = False
        if got.get("bytes") != total or got.get("sha") != want or not got.get("sent"):
            ok = False
    print("%d MiB each way in %.2f s: %.0f Mbit/s each way" % (
        args.mib, elapsed, total * 8 / elapsed / 1e6))
    if not ok:
        client.dump()
        server.dump()
        fail("the streams differ")

    # Both subflows carried bytes: the client's close line for this
    # connection (the bridge logs it once both DATA_FINs are acknowledged).
    closes = client.wait_for("conn_close")
    close = [c for c in closes if c["target"] == "127.0.0.3:80"][0]
    if close["reason"] != "normal" or close["bytes_to_mptcp"] != total or \
            close["bytes_to_socket"] != total:
        client.dump()
        fail("unexpected close: %r" % close)
    if close["subflows"] < 2:
        fail("only %d subflow(s): %r" % (close["subflows"], close))
    locals_seen = set()
    for i in range(close["subflows"]):
        local = close["sf%d_local" % i].rsplit(":", 1)[0]
        sent = close["sf%d_sent_bytes" % i]
        received = close["sf%d_received_bytes" % i]
        print("subflow %d from %s: sent %.1f MiB, received %.1f MiB" % (
            i, local, sent / MIB, received / MIB))
        # A real share, not just the handshake: at least 5% of the stream.
        if sent < total // 20 or received < total // 20:
            fail("subflow %d from %s carried too little: %r" % (i, local, close))
        locals_seen.add(local)
    if locals_seen != {"127.0.0.1", "127.0.0.2"}:
        fail("subflows from %s, expected 127.0.0.1 and 127.0.0.2" % sorted(locals_seen))
    # The periodic lines (--stats-interval) saw the transfer on both subflows.
    stats = [s for s in client.events("conn_stats") if s["id"] == close["id"]]
    if not stats:
        fail("no conn_stats line for the transfer")
    peak = max(s["up_mbps"] for s in stats)
    print("%d conn_stats lines, peak %.0f Mbit/s up; per subflow peaks %s Mbit/s" % (
        len(stats), peak,
        [round(max(s.get("sf%d_send_mbps" % i, 0) for s in stats)) for i in range(2)]))
    if peak <= 0:
        fail("conn_stats lines show no throughput: %r" % stats)

    if iperf3:
        iperf_server = subprocess.Popen(
            [iperf3, "-s", "-B", "127.0.0.1", "-p", str(iperf_port), "-1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        iperf_forward = int(forwards[1]["listen"].rsplit(":", 1)[1])
        run = subprocess.run(
            [iperf3, "-c", "127.0.0.1", "-p", str(iperf_forward), "-t", "3", "-J"],
            capture_output=True, text=True, timeout=60)
        iperf_server.wait(20)
        if run.returncode != 0:
            print(run.stdout[-3000:], run.stderr[-3000:])
            fail("iperf3 through the proxy failed (exit %d)" % run.returncode)
        report = json.loads(run.stdout)
        bps = report["end"]["sum_received"]["bits_per_second"]
        print("iperf3 through the proxy: %.0f Mbit/s" % (bps / 1e6))
        if bps <= 0:
            fail("iperf3 measured nothing")
    else:
        print("SKIPPED iperf3 part: iperf3 is not installed (Debian package iperf3)")

    # Graceful drain on SIGTERM with a connection open: the client's plaitd
    # closes it (DATA_FIN), the server's half-closes the application's
    # socket, the application closes, and both sides finish.
    idle = socket.create_connection(("127.0.0.1", forward_port), timeout=30)
    idle.sendall(b"ping")
    client.wait_for("conn_open", count=2)
    deadline = time.time() + 10
    while "got" not in drain_app and time.time() < deadline:
        time.sleep(0.05)
    if drain_app.get("got") != b"ping":
        fail("the drain check's bytes did not arrive: %r" % drain_app)
    client.proc.send_signal(signal.SIGTERM)
    if idle.recv(100) != b"":
        fail("the drained connection did not end with EOF")
    idle.close()
    if drain_app.get("eof") != b"":
        fail("the application did not see the drained connection's end")
    for daemon in (client, server):
        code = daemon.stop()
        drained = daemon.events("drain_end")
        if code != 0 or not drained or drained[0]["completed"] is not True:
            daemon.dump()
            fail("%s: exit code %s after SIGTERM, drain %r" % (daemon.name, code, drained))
    for p in server.events("path_stats") + client.events("path_stats"):
        print("path %s: %d datagrams sent, %d received" % (
            p["path"], p["sent_datagrams"], p["received_datagrams"]))
    print("PASS")


if __name__ == "__main__":
    main()

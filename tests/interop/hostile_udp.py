#!/usr/bin/env python3
"""Part (a) of hostile_input_test.sh: two plaitd in UDP mode on loopback
carry a live transfer through the proxy (both directions at once, for
--seconds) while hostile_junk.py sends junk datagrams to every UDP socket
of both nodes. Then both plaitd get SIGTERM. Checks: each direction's
SHA-256 equal, both plaitd alive until SIGTERM and exiting 0 (an ASan/LSan
or UBSan report exits non-zero and lands in --sanitizer-log-dir), and the
junk reached the nodes (received datagrams and drops counted). Prints the
counts.
"""
import argparse
import glob
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

MARK = b"HOSTILE-LIVE-TRANSFER-0123456789"  # the live connection's first bytes


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


class Daemon:
    def __init__(self, binary, name, args, work):
        self.name = name
        self.log_path = os.path.join(work, name + ".log")
        self.proc = subprocess.Popen([binary, "--log-format=json"] + args,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path, "w"))

    def events(self, event):
        out = []
        for line in open(self.log_path):
            try:
                r = json.loads(line)
            except ValueError:
                continue  # a sanitizer line: the log directory has those
            if r.get("event") == event:
                out.append(r)
        return out

    def wait_for(self, event, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            e = self.events(event)
            if e:
                return e
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.dump()
        fail("%s: no %r log line (exit %s)" % (self.name, event, self.proc.poll()))

    def dump(self):
        print("---- %s log (tail) ----" % self.name)
        print(open(self.log_path).read()[-4000:])


def stream(seed, n):
    block = hashlib.sha256(seed).digest() * 2048  # 64 KiB
    return block[:n] if n < len(block) else block


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--plaitd", required=True)
    p.add_argument("--junk", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--rate", type=float, default=3000)
    p.add_argument("--mbps", type=float, default=200,
                   help="the live transfer's rate limit each way, Mbit/s")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)

    app = socket.socket()
    app.bind(("127.0.0.1", 0))
    app.listen(64)
    app_port = app.getsockname()[1]
    server_result = {}
    junk_conns = [0]
    stop_sending = threading.Event()

    def paced_send(sock, seed, result):
        """Sends blocks at about --mbps until told to stop, then SHUT_WR."""
        h = hashlib.sha256()
        n = 0
        block = stream(seed, 65536)
        start = time.time()
        try:
            while not stop_sending.is_set():
                sock.sendall(block)
                h.update(block)
                n += len(block)
                ahead = n * 8 / (args.mbps * 1e6) - (time.time() - start)
                if ahead > 0:
                    time.sleep(ahead)
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            result["send_error"] = str(e)
        result["sent_bytes"], result["sent_sha"] = n, h.hexdigest()

    def receive(sock, result, first=b""):
        h = hashlib.sha256(first)
        n = len(first)
        try:
            while True:
                d = sock.recv(1 << 18)
                if not d:
                    break
                h.update(d)
                n += len(d)
        except OSError as e:
            result["recv_error"] = str(e)
        result["received_bytes"], result["received_sha"] = n, h.hexdigest()

    def handle(conn):
        conn.settimeout(args.seconds + 120)
        first = b""
        try:
            while len(first) < len(MARK):
                d = conn.recv(len(MARK) - len(first))
                if not d:
                    break
                first += d
        except OSError:
            pass
        if first != MARK:
            # A connection the junk opened: drain and close.
            junk_conns[0] += 1
            try:
                conn.settimeout(5)
                while conn.recv(65536):
                    pass
            except OSError:
                pass
            conn.close()
            return
        t = threading.Thread(target=paced_send, args=(conn, b"server", server_result))
        t.start()
        receive(conn, server_result, first)
        t.join()
        conn.close()
        server_result["done"] = True

    def accept_loop():
        while True:
            try:
                c, _ = app.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(c,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()

    server = Daemon(args.plaitd, "server",
                    ["--path", "127.0.0.3", "--udp-port", "0", "--api", "none",
                     "--serve", "80=127.0.0.1:%d" % app_port,
                     "--drain-timeout", "10"], args.work)
    server_udp = server.wait_for("path")[0]["udp"]
    server.wait_for("started")
    client = Daemon(args.plaitd, "client",
                    ["--path", "127.0.0.1", "--path", "127.0.0.2", "--udp-port", "0", "--api", "none",
                     "--peer", "127.0.0.3=" + server_udp,
                     "--forward", "127.0.0.1:0=127.0.0.3:80", "--drain-timeout", "10"],
                    args.work)
    client.wait_for("started")
    client_udp = {e["address"]: e["udp"] for e in client.events("path")}
    forward_port = int(client.events("forward")[0]["listen"].rsplit(":", 1)[1])

    # The live transfer: both ways at once for --seconds.
    sock = socket.create_connection(("127.0.0.1", forward_port), timeout=args.seconds + 120)
    sock.sendall(MARK)
    client_result = {}
    client_mark = hashlib.sha256(MARK)
    sender = threading.Thread(target=paced_send, args=(sock, b"client", client_result))
    receiver = threading.Thread(target=receive, args=(sock, client_result))
    sender.start()
    receiver.start()
    client.wait_for("conn_open")

    # Junk at all three UDP sockets, from addresses plaitd learns (the
    # packets reach the stack) and spoofing the live peers' inner sources
    # (dropped by the peer check).
    junk_report = os.path.join(args.work, "junk.json")
    targets = ["127.0.0.3=" + server_udp] + ["%s=%s" % kv for kv in client_udp.items()]
    cmd = [sys.executable, args.junk, "udp", "--seconds", str(args.seconds),
           "--rate", str(args.rate), "--report", junk_report, "--port", "80"]
    for t in targets:
        cmd += ["--target", t]
    for b in ("127.0.0.50", "127.0.0.51", "127.0.0.52", "127.0.0.1", "127.0.0.3"):
        cmd += ["--bind", b]
    for s in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
        cmd += ["--spoof-inner", s]
    start = time.time()
    junk = subprocess.run(cmd, capture_output=True, text=True)
    if junk.returncode != 0:
        print(junk.stdout, junk.stderr)
        fail("the junk generator failed")
    stop_sending.set()
    sender.join(60)
    receiver.join(120)
    deadline = time.time() + 60
    while "done" not in server_result and time.time() < deadline:
        time.sleep(0.1)
    elapsed = time.time() - start
    sock.close()

    problems = []
    for d in (client, server):
        if d.proc.poll() is not None:
            problems.append("%s exited during the run with %s" % (d.name, d.proc.returncode))
    # The client's stream was MARK + blocks.
    ok_up = (server_result.get("received_bytes") == client_result.get("sent_bytes", -1) + len(MARK))
    # Recompute the client's hash with the mark in front.
    up_sent = hashlib.sha256(MARK)
    blk = stream(b"client", 65536)
    for _ in range(client_result.get("sent_bytes", 0) // 65536):
        up_sent.update(blk)
    up_sha = up_sent.hexdigest()
    print("client -> server: sent %d bytes, sha256 %s; received %s bytes, sha256 %s" % (
        client_result.get("sent_bytes", 0) + len(MARK), up_sha[:16],
        server_result.get("received_bytes"), str(server_result.get("received_sha"))[:16]))
    print("server -> client: sent %s bytes, sha256 %s; received %s bytes, sha256 %s" % (
        server_result.get("sent_bytes"), str(server_result.get("sent_sha"))[:16],
        client_result.get("received_bytes"), str(client_result.get("received_sha"))[:16]))
    if not ok_up or server_result.get("received_sha") != up_sha:
        problems.append("client -> server stream differs")
    if (server_result.get("sent_sha") is None or
            server_result.get("sent_sha") != client_result.get("received_sha") or
            server_result.get("sent_bytes") != client_result.get("received_bytes")):
        problems.append("server -> client stream differs")
    for r in (client_result, server_result):
        for k in ("send_error", "recv_error"):
            if k in r:
                problems.append("%s: %s" % (k, r[k]))
    total = client_result.get("sent_bytes", 0) + (server_result.get("sent_bytes") or 0)
    print("live transfer: %.1f MiB both ways together in %.1f s (%.0f Mbit/s)" % (
        total / 2**20, elapsed, total * 8 / max(elapsed, 1e-3) / 1e6))
    if client_result.get("sent_bytes", 0) < 1 << 20:
        problems.append("the live transfer carried less than 1 MiB")

    codes = {}
    for d in (client, server):
        if d.proc.poll() is None:
            d.proc.send_signal(signal.SIGTERM)
        try:
            codes[d.name] = d.proc.wait(60)
        except subprocess.TimeoutExpired:
            d.proc.kill()
            codes[d.name] = "hung"
        if codes[d.name] != 0:
            d.dump()
            problems.append("%s exit status %s after SIGTERM" % (d.name, codes[d.name]))
    app.close()

    counts = json.load(open(junk_report))
    print("junk injected: %d datagrams (%s); %d replies received from plaitd, "
          "%d connections the junk opened reached the application" % (
              counts["injected"],
              ", ".join("%s %d" % (k, v) for k, v in counts.items()
                        if k not in ("injected", "seed", "received")),
              counts.get("received", 0), junk_conns[0]))
    print("junk seed: %d (hostile_junk.py --seed)" % counts["seed"])
    received = 0
    for d in (client, server):
        for e in d.events("path_stats"):
            received += e["received_datagrams"]
            print("%s path %s: %d datagrams received, %d sent" % (
                d.name, e["path"], e["received_datagrams"], e["sent_datagrams"]))
        for e in d.events("transport_stats"):
            fields = {k: v for k, v in e.items()
                      if k not in ("event", "level", "ts", "time", "msg")}
            print("%s transport_stats: %s" % (d.name, json.dumps(fields)))
        for e in d.events("stack_stats"):
            print("%s stack_stats: %s" % (d.name, json.dumps(e)))
    if received < counts["injected"] // 2:
        problems.append("plaitd received %d datagrams, fewer than half the %d injected" % (
            received, counts["injected"]))
    dropped = sum(e.get("dropped", 0) for d in (client, server)
                  for e in d.events("transport_stats"))
    if dropped == 0:
        problems.append("plaitd counted no dropped datagram")
    if problems:
        for m in problems:
            print("FAIL:", m)
        sys.exit(1)
    print("PASS (udp)")


if __name__ == "__main__":
    main()

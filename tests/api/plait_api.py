"""What the API tests share: plaitd processes with JSON logs, a UDP
loopback pair (client forwarding to a server that serves a local TCP
source/sink), gRPC stubs generated from the .proto files, and traffic.

The stubs come from //tests/api:python_client (Debian's protoc and
grpc_python_plugin); the interpreter is Debian's python3, which has
python3-grpcio (api_test.sh picks it).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import grpc

from proto.plait.v1 import dataplane_pb2 as pb
from proto.plait.v1 import dataplane_pb2_grpc as pb_grpc
from proto.plait.v1 import policy_pb2


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Daemon:
    """One plaitd with its JSON log in a file."""

    def __init__(self, binary, name, args, work):
        self.binary = binary
        self.name = name
        self.args = args
        self.work = work
        self.log_path = os.path.join(work, name + ".log")
        self.start()

    def start(self):
        self.log = open(self.log_path, "a")
        self.log_offset = self.log.tell()
        self.proc = subprocess.Popen(
            [self.binary, "--log-format=json"] + self.args,
            stdout=subprocess.DEVNULL, stderr=self.log)

    def events(self, event=None):
        out = []
        with open(self.log_path) as f:
            f.seek(self.log_offset)
            for line in f:
                line = line.strip()
                if not line:
                    continue
                record = json.loads(line)
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
        raise Failure("%s: no %r log line (exit code %s); log:\n%s" % (
            self.name, event, self.proc.poll(), self.tail()))

    def tail(self, lines=30):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:])

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("%s did not exit within %d s of SIGTERM" % (self.name, timeout))
        finally:
            self.log.close()


def channel(address, credentials=None, server_name=None):
    """A channel to a plaitd --api address ("unix:PATH" or "HOST:PORT")."""
    if credentials is None:
        return grpc.insecure_channel(address)
    options = []
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    return grpc.secure_channel(address, credentials, options=options)


def stub(address, **kwargs):
    return pb_grpc.DataplaneServiceStub(channel(address, **kwargs))


def code_of(call, *args, **kwargs):
    """The gRPC status code of a call that must fail, and its message."""
    try:
        call(*args, timeout=10, **kwargs)
    except grpc.RpcError as e:
        return e.code(), e.details()
    raise Failure("%s succeeded but should have failed" % getattr(call, "_method", call))


class Source:
    """A TCP server that sends bytes forever to each client and reads
    (discards) what it sends: both directions busy."""

    def __init__(self, host="127.0.0.1"):
        # Bytes per second per connection; None: as fast as it goes.
        self.rate = None
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        chunk = b"s" * 65536
        conn.settimeout(30)
        threading.Thread(target=self._drain, args=(conn,), daemon=True).start()
        try:
            while not self.stopping:
                rate = self.rate
                if rate:
                    conn.sendall(chunk[:max(1, rate // 20)])
                    time.sleep(0.05)
                else:
                    conn.sendall(chunk)
        except OSError:
            pass
        finally:
            conn.close()

    def _drain(self, conn):
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    def close(self):
        self.stopping = True
        self.sock.close()


class Client:
    """A TCP client that keeps sending (upload) and reading (download)."""

    def __init__(self, port, upload=True, rate=None):
        # Upload bytes per second; None: as fast as it goes.
        self.rate = rate
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.received = 0
        self.sent = 0
        self.error = None
        self.stopping = False
        threading.Thread(target=self._read, daemon=True).start()
        if upload:
            threading.Thread(target=self._write, daemon=True).start()

    def _read(self):
        try:
            while not self.stopping:
                data = self.sock.recv(65536)
                if not data:
                    return
                self.received += len(data)
        except OSError as e:
            if not self.stopping:
                self.error = e

    def _write(self):
        chunk = b"c" * 65536
        try:
            while not self.stopping:
                if self.rate:
                    piece = chunk[:max(1, self.rate // 20)]
                    self.sock.sendall(piece)
                    self.sent += len(piece)
                    time.sleep(0.05)
                    continue
                self.sock.sendall(chunk)
                self.sent += len(chunk)
        except OSError as e:
            if not self.stopping:
                self.error = e

    def close(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))


class Pair:
    """Two plaitd in UDP mode on loopback: the client (paths 127.0.0.1 and
    127.0.0.2) forwards a local port to the server (path 127.0.0.3), which
    serves it from a local Source. Each has its own API socket."""

    def __init__(self, plaitd, work, client_extra=(), server_extra=(),
                 client_name="client", server_name="server"):
        self.source = Source()
        self.server_api = "unix:" + os.path.join(work, server_name + ".sock")
        self.client_api = "unix:" + os.path.join(work, client_name + ".sock")
        self.server = Daemon(plaitd, server_name, [
            "--path", "127.0.0.3", "--udp-port", "0",
            "--serve", "5201=127.0.0.1:%d" % self.source.port,
            "--api", self.server_api, "--drain-timeout", "5"] + list(server_extra),
            work)
        started = self.server.wait_for("path")[0]
        server_udp = started["udp"]
        self.client = Daemon(plaitd, client_name, [
            "--path", "127.0.0.1", "--path", "127.0.0.2", "--udp-port", "0",
            "--peer", "127.0.0.3=" + server_udp,
            "--forward", "127.0.0.1:0=127.0.0.3:5201",
            "--api", self.client_api, "--drain-timeout", "5"] + list(client_extra),
            work)
        self.client.wait_for("started")
        self.server.wait_for("started")
        self.forward_port = int(
            self.client.wait_for("forward")[0]["listen"].rsplit(":", 1)[1])

    def stop(self):
        codes = (self.client.stop(), self.server.stop())
        self.source.close()
        return codes


def scrape(port):
    """The text of http://127.0.0.1:PORT/metrics."""
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.read().decode()


def histogram(text, name):
    """{le: cumulative count} of an unlabelled histogram in a scrape."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out[float(le)] = float(line.rsplit(" ", 1)[1])
    return out

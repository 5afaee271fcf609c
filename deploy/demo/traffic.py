#!/usr/bin/env python3
"""The demo's application traffic, both ways at once.

sink:   listens (plain TCP, or the kernel's MPTCP with --mptcp), prints
        "listening PORT", and for every connection reads and discards
        while sending random data back, until the client's end arrives.
client: connects, sends for --seconds (0: until killed) while reading,
        then half-closes and reads to the end; prints the byte counts.
"""
import argparse
import os
import socket
import sys
import threading
import time

IPPROTO_MPTCP = 262
BLOCK = os.urandom(1 << 18)


def pump_out(sock, stop):
    try:
        while not stop.is_set():
            sock.sendall(BLOCK)
    except OSError:
        pass


def serve(conn):
    stop = threading.Event()
    writer = threading.Thread(target=pump_out, args=(conn, stop), daemon=True)
    writer.start()
    try:
        while conn.recv(1 << 18):
            pass
    except OSError:
        pass
    stop.set()
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    writer.join(5)
    conn.close()


def sink(args):
    proto = IPPROTO_MPTCP if args.mptcp else 0
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.bind, args.port))
    listener.listen(16)
    print("listening", listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def client(args):
    host, port = args.connect.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.settimeout(None)
    sent = [0]

    def send():
        end = time.monotonic() + args.seconds if args.seconds > 0 else None
        try:
            while end is None or time.monotonic() < end:
                sock.sendall(BLOCK)
                sent[0] += len(BLOCK)
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            print("send:", e, file=sys.stderr)

    writer = threading.Thread(target=send, daemon=True)
    writer.start()
    received = 0
    try:
        while True:
            data = sock.recv(1 << 18)
            if not data:
                break
            received += len(data)
    except OSError as e:
        print("receive:", e, file=sys.stderr)
    writer.join()
    sock.close()
    print("client: sent %.1f MiB, received %.1f MiB" % (
        sent[0] / 2**20, received / 2**20), flush=True)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="role", required=True)
    s = sub.add_parser("sink")
    s.add_argument("--bind", default="0.0.0.0")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--mptcp", action="store_true")
    c = sub.add_parser("client")
    c.add_argument("--connect", required=True, help="HOST:PORT")
    c.add_argument("--seconds", type=float, default=0)
    args = parser.parse_args()
    sink(args) if args.role == "sink" else client(args)


if __name__ == "__main__":
    main()

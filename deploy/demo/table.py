#!/usr/bin/env python3
"""Follows a plaitd JSON log (--log-format=json --stats-interval 1) and
prints its throughput as a table, one row per connection per interval:
each subflow's local address with what it sent and received (Mbit/s), and
the connection's totals through the proxy. Connection openings and closings
(with each subflow's bytes) get a line of their own. Runs until killed.
"""
import json
import sys
import time


def mbit(v):
    return "%8.1f" % v


def header(subflows):
    cols = "".join("  %-22s %8s %8s" % ("subflow %d (local)" % i, "send", "recv")
                   for i in range(subflows))
    return "%8s %4s %8s %8s%s" % ("time", "conn", "up", "down", cols)


def main():
    path = sys.argv[1]
    f = None
    while f is None:
        try:
            f = open(path)
        except FileNotFoundError:
            time.sleep(0.1)
    shown_header = None
    start = None
    pending = ""
    while True:
        chunk = f.readline()
        if not chunk:
            time.sleep(0.1)
            continue
        pending += chunk
        if not pending.endswith("\n"):
            continue
        line, pending = pending.strip(), ""
        try:
            r = json.loads(line)
        except ValueError:
            continue
        event = r.get("event")
        if event == "conn_stats":
            now = time.time()
            start = start or now
            n = 0
            while "sf%d_local" % n in r:
                n += 1
            if shown_header != n:
                print(header(n) + "\n" + "%8s %4s %8s %8s" % (
                    "", "", "Mbit/s", "Mbit/s") +
                      "".join("  %-22s %8s %8s" % ("", "Mbit/s", "Mbit/s")
                              for _ in range(n)))
                shown_header = n
            row = "%7.0fs %4d %s %s" % (now - start, r["id"], mbit(r["up_mbps"]),
                                        mbit(r["down_mbps"]))
            for i in range(n):
                row += "  %-22s %s %s" % (r["sf%d_local" % i],
                                          mbit(r["sf%d_send_mbps" % i]),
                                          mbit(r["sf%d_recv_mbps" % i]))
            print(row, flush=True)
        elif event == "conn_open":
            print("conn %d open: %s -> %s" % (r["id"], r["client"], r["target"]),
                  flush=True)
            shown_header = None
        elif event == "conn_close":
            parts = ["subflow %d %s sent %.1f MiB received %.1f MiB" % (
                i, r["sf%d_local" % i], r["sf%d_sent_bytes" % i] / 2**20,
                r["sf%d_received_bytes" % i] / 2**20)
                for i in range(r.get("subflows", 0))]
            print("conn %d closed (%s) after %.1f s: %.1f MiB up, %.1f MiB down; %s"
                  % (r["id"], r["reason"], r["duration_s"],
                     r["bytes_to_mptcp"] / 2**20, r["bytes_to_socket"] / 2**20,
                     "; ".join(parts) or "no subflow"), flush=True)
            shown_header = None
        elif r.get("level") in ("warning", "error"):
            print("plaitd %s: %s" % (r["level"], line), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

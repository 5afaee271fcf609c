#!/usr/bin/env python3
"""Checks one run of tun_kernel_mptcp_test.sh.

Inputs: the JSON line of tun-mptcp-endpoint (plait, behind its TUN device),
the JSON report of kernel_mptcp_peer.py (the Linux kernel's side), and the
captures of both veth paths taken in the kernel's namespace. Checks:
  1. each direction's bytes arrived whole: the byte counts and SHA-256 of
     what one side sent equal those of what the other received;
  2. the kernel reports the expected subflows: getsockopt(MPTCP_SUBFLOW_ADDRS)
     listed exactly the --pairs of addresses, and MPTCP_INFO counted the
     extra ones; the captures hold SYNs from exactly the --syn-from
     addresses;
  3. DSS checksums are on in both ends exactly when asked for (plait's
     negotiated state and the kernel's MPTCP_INFO csum_enabled);
  4. each capture is clean for tshark (no malformed packet, no MPTCP,
     checksum or protocol expert info beyond tshark's documented quirks)
     and for plait-wire decode (every option parses, every token, HMAC and
     DSS checksum verifies): sim_capture_check.Checker does both.
Prints the numbers and exits 1 on any problem.
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sim_capture_check  # noqa: E402


def syn_tuples(tshark, pcap):
    """The (src, sport, dst, dport) of each SYN (without ACK) in `pcap`."""
    out = subprocess.run(
        [tshark, "-n", "-r", pcap, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0",
         "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst",
         "-e", "tcp.dstport"], capture_output=True, text=True, check=True)
    return {tuple(line.split("\t")) for line in out.stdout.splitlines() if line}


WINDOW_NOTE = ("segments beyond the kernel's data-level receive window "
               "(DATA_ACK + window, RFC 8684 3.3.4) are dropped by the kernel "
               "and come back only by plait's data-level retransmission timer")


def mptcp_mib(path):
    """{counter: value} of the MPTcpExt lines of a /proc/net/netstat copy."""
    lines = [l.split() for l in open(path) if l.startswith("MPTcpExt:")]
    if len(lines) < 2:
        return {}
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}


MANGLED_ZERO = "TCP Checksum 0xffff instead of 0x0000"
KERNEL_ADDRESSES = ("10.1.0.2", "10.2.0.2")


def kernel_mangled_zero(tshark, pcap, problem):
    """True for tshark's RFC 1624 warning on a segment the kernel sent.

    With transmit checksum offload off (lab.sh --no-offload), Linux
    completes the TCP checksum in skb_checksum_help(), which writes
    CSUM_MANGLED_0 (0xffff) where the folded sum is 0: the same value in
    one's complement, and valid for TCP, but tshark warns. About one segment
    in 65536 is hit. Accepted only for segments from the kernel's addresses.
    """
    m = re.search(r"frame (\d+): tshark expert info .*: " + MANGLED_ZERO,
                  problem)
    if not m:
        return False
    out = subprocess.run([tshark, "-n", "-r", pcap, "-Y",
                          f"frame.number == {m.group(1)}", "-T", "fields",
                          "-e", "ip.src"], capture_output=True, text=True)
    if out.stdout.strip() in KERNEL_ADDRESSES:
        print(f"  accepted: frame {m.group(1)} from the kernel "
              f"({out.stdout.strip()}) has checksum 0xffff (CSUM_MANGLED_0)")
        return True
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plait", required=True, help="the plait endpoint's JSON line")
    parser.add_argument("--kernel", required=True, help="kernel_mptcp_peer.py's report")
    parser.add_argument("--checksums", action="store_true")
    parser.add_argument("--pairs", nargs="+", required=True,
                        help="KERNEL_ADDR-PLAIT_ADDR of each subflow the "
                        "kernel must list")
    parser.add_argument("--syn-from", nargs="+", required=True,
                        help="the addresses the captured SYNs come from")
    parser.add_argument("--pcap", nargs="*", default=[])
    parser.add_argument("--tshark", default="tshark")
    parser.add_argument("--plait-wire", dest="plait_wire")
    parser.add_argument("--control-only", action="store_true",
                        help="the captures hold only SYN, FIN and RST "
                        "segments: list them instead of checking payloads")
    parser.add_argument("--kernel-mib", nargs=2, metavar=("BEFORE", "AFTER"),
                        help="the kernel's /proc/net/netstat before and "
                        "after the run")
    args = parser.parse_args()

    problems = []
    plait = json.load(open(args.plait))
    kernel = json.load(open(args.kernel))

    if not plait["ok"]:
        problems.append(f"plait: {plait['problems']}")
    for direction, (sb, ss), (rb, rs) in (
            ("plait -> kernel",
             (plait["sent_bytes"], plait["sent_sha256"]),
             (kernel["received_bytes"], kernel["received_sha256"])),
            ("kernel -> plait",
             (kernel["sent_bytes"], kernel["sent_sha256"]),
             (plait["received_bytes"], plait["received_sha256"]))):
        ok = sb == rb and ss == rs
        print(f"  {direction}: sent {sb} bytes sha256 {ss[:16]}..., "
              f"received {rb} bytes sha256 {rs[:16]}... "
              f"{'equal' if ok else 'DIFFERENT'}")
        if not ok:
            problems.append(f"{direction}: sent and received differ")
    if kernel["send_error"]:
        problems.append(f"kernel send error: {kernel['send_error']}")
    if kernel["info_errors"]:
        problems.append(f"kernel getsockopt errors: {kernel['info_errors']}")

    pairs = sorted({f"{k.rsplit(':', 1)[0]}-{p.rsplit(':', 1)[0]}"
                    for k, p in kernel["subflows"]})
    print(f"  kernel subflows: {kernel['subflows']} "
          f"(MPTCP_INFO extra subflows: {kernel['max_extra_subflows']})")
    if pairs != sorted(args.pairs):
        problems.append(f"the kernel's subflows join {pairs}, "
                        f"not {sorted(args.pairs)}")
    if kernel["max_extra_subflows"] != len(args.pairs) - 1:
        problems.append(f"MPTCP_INFO counted {kernel['max_extra_subflows']} "
                        f"extra subflows, not {len(args.pairs) - 1}")
    if plait["checksums"] != args.checksums:
        problems.append(f"plait negotiated checksums={plait['checksums']}")
    if kernel["csum_enabled"] != args.checksums:
        problems.append(f"the kernel has csum_enabled={kernel['csum_enabled']}")
    drops = {k: v for k, v in plait["tun_stats"]["drops"].items() if v}
    if drops:
        problems.append(f"TUN drops: {drops}")
    for name, value in plait["stack_stats"].items():
        # A segment for no connection is answered with RST: reported (with
        # the capture's RSTs) but not a failure of the transfer.
        if value and name == "no_connection":
            print(f"  WARNING plait stack no_connection = {value}")
        elif value:
            problems.append(f"plait stack {name} = {value}")
    for name in ("checksum_failures", "subflow_resets",
                 "fallbacks_after_handshake"):
        if plait["mptcp_stats"][name]:
            problems.append(f"plait {name} = {plait['mptcp_stats'][name]}")
    print(f"  plait: {plait['seconds']} s, goodput "
          f"{plait['goodput_mbit_s']['sent']} Mbit/s out and "
          f"{plait['goodput_mbit_s']['received']} Mbit/s in; subflows "
          + ", ".join(f"{s['local']} sent {s['bytes_sent']} "
                      f"(retransmitted {s['bytes_retransmitted']})"
                      for s in plait["subflows"])
          + f"; reinjected {plait['mptcp_stats']['bytes_reinjected']}, "
          f"data-level timeouts "
          f"{plait['mptcp_stats']['data_retransmit_timeouts']}")

    if args.kernel_mib:
        before, after = (mptcp_mib(path) for path in args.kernel_mib)
        delta = {k: v - before.get(k, 0) for k, v in after.items()
                 if v != before.get(k, 0)}
        print(f"  kernel MPTcpExt counters (this run): {delta}")
        # Not failures (the data arrives), but the kernel discarded data
        # plait sent: see WINDOW_NOTE.
        for name in ("NoDSSInWindow", "DuplicateData"):
            if delta.get(name):
                print(f"  WARNING kernel {name} = {delta[name]}: {WINDOW_NOTE}")

    if args.pcap:
        syns = set()
        for pcap in args.pcap:
            syns |= syn_tuples(args.tshark, pcap)
        syn_sources = sorted({s[0] for s in syns})
        print(f"  SYNs captured: {sorted(syns)}")
        if syn_sources != sorted(set(args.syn_from)):
            problems.append(f"captured SYNs from {syn_sources}")
        if args.control_only:
            for pcap in args.pcap:
                print(f"  {os.path.basename(pcap)} SYN/FIN/RST:")
                out = subprocess.run(
                    [args.tshark, "-n", "-r", pcap, "-T", "fields",
                     "-e", "frame.time_relative", "-e", "ip.src",
                     "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport",
                     "-e", "tcp.flags.str", "-e", "tcp.options.mptcp.subtype"],
                    capture_output=True, text=True, check=True)
                for line in out.stdout.splitlines():
                    print("    " + line.replace("\t", " "))
            args.pcap = []
    if args.pcap:
        # Both paths in one capture, so that plait-wire sees the MP_CAPABLE
        # keys that the MP_JOIN tokens and HMACs are checked against.
        merged = os.path.join(os.path.dirname(args.pcap[0]), "merged.pcap")
        subprocess.run(["mergecap", "-F", "pcap", "-w", merged] + args.pcap,
                       check=True)
        checker = sim_capture_check.Checker(args.tshark, args.plait_wire)
        checker.label = "  checker:"
        summary = checker.check_capture(merged)
        if summary is not None:
            if summary["join_tokens"]["known"] != len(args.pairs) - 1:
                problems.append(f"plait-wire matched {summary['join_tokens']}"
                                " MP_JOIN tokens to the MP_CAPABLE keys")
            if summary["hmacs"]["valid"] < 2 * (len(args.pairs) - 1):
                problems.append(f"plait-wire verified HMACs "
                                f"{summary['hmacs']}")
            if args.checksums and summary["checksums"]["valid"] == 0:
                problems.append("no DSS checksum verified")
        if checker.quirks:
            print(f"  tshark quirks accepted: {checker.quirks}")
        problems += [p for p in checker.problems
                     if not kernel_mangled_zero(args.tshark, merged, p)]
    for p in problems:
        print(f"PROBLEM {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

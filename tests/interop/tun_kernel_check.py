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

Options for tun_kernel_paths_test.sh (none changes the checks above unless
given): --fallback (plait fell back to TCP against a plain TCP peer: the
subflow checks give way to a check of the capture, where only plait's SYN
may carry an MPTCP option); --extra-subflows (MPTCP_INFO's count when it is
not one per extra pair); --min-subflow-bytes (every subflow the kernel
still lists at its last look carried that much each way, as both the
kernel's MPTCP_TCPINFO and plait count it); --plait-at-least and
--kernel-mib-at-least (counters that show an ADD_ADDR, its echo, a join);
--path-down (the link events, the pause and the subflow that returned);
--allow-icmp (ICMP errors to plait's addresses, which the stack counts as
malformed, are listed instead of failing).
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


def check_subflow_bytes(args, plait, kernel, problems):
    """Each subflow's bytes as the kernel and plait count them; with
    --min-subflow-bytes, every subflow the kernel lists at its last look
    carried that much each way (both counts)."""
    by_tuple = {}
    for s in plait["subflows"]:
        by_tuple[(s["remote"], s["local"])] = s
    for key, (acked, received) in sorted(kernel["subflow_bytes"].items()):
        k_end, p_end = key.split("-")
        s = by_tuple.get((k_end, p_end))
        mine = (f"plait sent {s['bytes_sent']} (acked {s['bytes_acked']}), "
                f"received {s['bytes_delivered']}" if s else "unknown to plait")
        print(f"  subflow {p_end} <-> {k_end}: kernel received {received}, "
              f"sent (acked) {acked}; {mine}")
    if not args.min_subflow_bytes:
        return
    least = args.min_subflow_bytes
    for k_end, p_end in kernel["final_subflows"]:
        acked, received = kernel["subflow_bytes"].get(f"{k_end}-{p_end}",
                                                      (0, 0))
        s = by_tuple.get((k_end, p_end))
        if s is None:
            problems.append(f"plait has no subflow {p_end} <-> {k_end}")
            continue
        for what, value in (("kernel received", received),
                            ("kernel sent", acked),
                            ("plait sent (acked)", s["bytes_acked"]),
                            ("plait received", s["bytes_delivered"])):
            if value < least:
                problems.append(f"subflow {p_end} <-> {k_end}: {what} "
                                f"{value} bytes, expected >= {least}")


def check_path_down(args, plait, kernel, problems):
    """The link went down while both directions were still transferring
    and came up while plait held its sending; the path manager re-created
    a subflow from the path's address once it was up, and the kernel lists
    it at its last look. The bytes the returned subflow carried are
    reported, not required: minrtt sends on it only once it has an RTT
    sample lower than the other subflow's or that one is full."""
    iface, _, address = args.path_down.partition("=")
    events = [e for e in plait["link_events"] if e["interface"] == iface]
    print(f"  link events: {events}; pause {plait['pause']}; path manager "
          f"{plait['pm_stats']}")
    if [e["up"] for e in events] != [False, True]:
        problems.append(f"{iface}: expected one down and one up event, "
                        f"saw {events}")
        return
    down, up = events
    total = plait["sent_bytes"]
    pause = plait["pause"]
    if not (down["sent"] < pause["at_bytes"] and
            down["received"] < kernel["sent_bytes"]):
        problems.append(f"{iface} went down at {down['sent']} sent / "
                        f"{down['received']} received: not during both "
                        "transfers")
    if not (pause["began"] >= 0 and up["t"] >= pause["began"] and
            pause["reason"] == "subflows"):
        problems.append(f"the pause {pause} did not end with the subflows "
                        f"back after {iface} came up at {up['t']}")
    before = [s for s in plait["subflows"] if s["local"].startswith(address + ":")
              and 0 <= s["established_at"] < down["t"]]
    after = [s for s in plait["subflows"] if s["local"].startswith(address + ":")
             and s["established_at"] >= up["t"]]
    print(f"  subflows from {address}: before the down {before}; "
          f"after the up {after}")
    if not before:
        problems.append(f"no subflow from {address} before {iface} went down")
    if not after:
        problems.append(f"no subflow from {address} after {iface} came up")
        return
    if plait["pm_stats"]["subflows_recreated"] < 1:
        problems.append("the path manager re-created no subflow")
    final = {p for _, p in kernel["final_subflows"]}
    if not any(s["local"] in final for s in after):
        problems.append(f"the kernel's last list {kernel['final_subflows']} "
                        "lacks the returned subflow")
    for s in after:
        acked, received = kernel["subflow_bytes"].get(
            f"{s['remote']}-{s['local']}", (0, 0))
        print(f"  returned subflow {s['local']}: plait sent {s['bytes_sent']} "
              f"(acked {s['bytes_acked']}), kernel received {received}")


def check_fallback_capture(args, problems):
    """Only plait's SYN carries MPTCP (MP_CAPABLE) when plait is the
    client; the plain TCP peer answers without, and no other segment either
    way has an MPTCP option (plait as the server answers a plain SYN
    without any)."""
    syns = 0
    for pcap in args.pcap:
        out = subprocess.run(
            [args.tshark, "-n", "-r", pcap, "-Y", "tcp.options.mptcp.subtype",
             "-T", "fields", "-e", "ip.src", "-e", "tcp.flags.syn",
             "-e", "tcp.flags.ack", "-e", "tcp.options.mptcp.subtype"],
            capture_output=True, text=True, check=True)
        lines = [l.split("\t") for l in out.stdout.splitlines() if l]
        total = subprocess.run(
            [args.tshark, "-n", "-r", pcap, "-Y", "tcp", "-T", "fields",
             "-e", "frame.number"], capture_output=True, text=True,
            check=True).stdout.count("\n")
        print(f"  {os.path.basename(pcap)}: {total} TCP segments, with an "
              f"MPTCP option: {lines}")
        syn = [l for l in lines if args.fallback == "client" and
               l[0] in args.syn_from and l[1] in ("1", "True") and
               l[2] in ("0", "False")]
        syns += len(syn)
        others = [l for l in lines if l not in syn]
        if others:
            problems.append(f"{pcap}: MPTCP options besides plait's SYN: "
                            f"{others}")
    if args.fallback == "client" and args.pcap and syns < 1:
        problems.append("plait's SYN carried no MP_CAPABLE")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fallback", choices=("client", "server"),
                        help="plait, the client or the server, must have "
                        "fallen back to TCP")
    parser.add_argument("--extra-subflows", metavar="N[-M]",
                        help="MPTCP_INFO's most extra subflows, or their "
                        "range (default: one per --pairs beyond the first)")
    parser.add_argument("--min-subflow-bytes", type=int, default=0)
    parser.add_argument("--plait-at-least", nargs="*", default=[],
                        metavar="SECTION.NAME=N")
    parser.add_argument("--kernel-mib-at-least", nargs="*", default=[],
                        metavar="NAME=N")
    parser.add_argument("--path-down", metavar="IFACE=ADDRESS",
                        help="the interface went down during the transfer "
                        "and up again, and a subflow from ADDRESS returned")
    parser.add_argument("--allow-icmp", action="store_true")
    parser.add_argument("--plait", required=True, help="the plait endpoint's JSON line")
    parser.add_argument("--kernel", required=True, help="kernel_mptcp_peer.py's report")
    parser.add_argument("--checksums", action="store_true")
    parser.add_argument("--pairs", nargs="*", default=[],
                        help="KERNEL_ADDR-PLAIT_ADDR of each subflow the "
                        "kernel must list")
    parser.add_argument("--syn-from", nargs="*", default=[],
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

    if args.fallback:
        print(f"  plait fallback: {plait.get('fallback')}, kernel socket: "
              f"{kernel.get('protocol')}")
        if not plait.get("fallback"):
            problems.append("plait did not fall back to TCP")
        if kernel.get("protocol") != "tcp":
            problems.append("the kernel peer was not a plain TCP socket")
    else:
        pairs = sorted({f"{k.rsplit(':', 1)[0]}-{p.rsplit(':', 1)[0]}"
                        for k, p in kernel["subflows"]})
        print(f"  kernel subflows: {kernel['subflows']} "
              f"(MPTCP_INFO extra subflows: {kernel['max_extra_subflows']})")
        if pairs != sorted(args.pairs):
            problems.append(f"the kernel's subflows join {pairs}, "
                            f"not {sorted(args.pairs)}")
        extra = (str(len(args.pairs) - 1) if args.extra_subflows is None
                 else args.extra_subflows)
        low, _, high = extra.partition("-")
        if not int(low) <= kernel["max_extra_subflows"] <= int(high or low):
            problems.append(f"MPTCP_INFO counted "
                            f"{kernel['max_extra_subflows']} extra subflows, "
                            f"not {extra}")
        if plait["checksums"] != args.checksums:
            problems.append(f"plait negotiated checksums={plait['checksums']}")
        if kernel["csum_enabled"] != args.checksums:
            problems.append(
                f"the kernel has csum_enabled={kernel['csum_enabled']}")
    if "final_subflows" in kernel and not args.fallback:
        check_subflow_bytes(args, plait, kernel, problems)
    for spec in args.plait_at_least:
        name, _, least = spec.partition("=")
        section, _, key = name.partition(".")
        value = plait.get(section, {}).get(key)
        print(f"  plait {name} = {value}")
        if value is None or value < int(least):
            problems.append(f"plait {name} = {value}, expected >= {least}")
    if args.path_down:
        check_path_down(args, plait, kernel, problems)
    drops = {k: v for k, v in plait["tun_stats"]["drops"].items() if v}
    if drops:
        problems.append(f"TUN drops: {drops}")
    icmp = sum(v for k, v in plait.get("non_tcp", {}).items()
               if k.startswith("icmp "))
    if plait.get("non_tcp"):
        print(f"  packets to plait that are not TCP: {plait['non_tcp']}")
    for name, value in plait["stack_stats"].items():
        if name == "malformed" and args.allow_icmp and value and \
                value == icmp == sum(plait["non_tcp"].values()):
            print(f"  accepted: plait stack malformed = {value}, all ICMP "
                  f"errors to plait's addresses (not TCP)")
            continue
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
        for spec in args.kernel_mib_at_least:
            name, _, least = spec.partition("=")
            if delta.get(name, 0) < int(least):
                problems.append(f"kernel MPTcpExt {name} = "
                                f"{delta.get(name, 0)}, expected >= {least}")

    if args.pcap and args.fallback:
        check_fallback_capture(args, problems)
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
        if summary is not None and not args.fallback:
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

#!/usr/bin/env python3
"""Checks the simulator's MPTCP captures with tshark and plait-wire.

Usage: sim_capture_check.py --plait-sim P --plait-wire W --work DIR
                            [--self-test] SCENARIO.textproto...

For each scenario: runs `plait-sim --pcap`, merges the two directions of each
link into one capture (mergecap), and checks every link's capture:

  1. tshark 4.0 (MPTCP analysis and mapping analysis on, TCP and IPv4
     checksum validation on, every TCP payload decoded as opaque data so that
     no application dissector misreads the random payload) dissects every
     frame with no malformed-packet marker, no expert info in the Malformed
     or Checksum groups, none of Error severity, and none in the Protocol
     group (MPTCP's own warnings are there: echoed key mismatch, missing or
     unsupported algorithm, infinite mapping, missing mapping) except the
     tshark quirks in KNOWN_TSHARK_QUIRKS, each accepted only under the
     condition that shows it is tshark's mistake. Expert infos in the
     Sequence group (lost, retransmitted, out-of-order segments) describe the
     simulated conversation and its impairments, not the encoding.
  2. tshark sees as many TCP frames as plait-wire, and the MPTCP options.
  3. `plait-wire decode` finds nothing malformed, no bad TCP or DSS checksum,
     no malformed MPTCP option, no wrong HMAC, and no MP_JOIN naming an
     unknown token where a connection's keys are in the capture.

Per scenario, across its links: each MPTCP flow that did not fall back and
opened N > 1 subflows must show, on some link, N - 1 MP_JOINs with a known
token and 2 (N - 1) verified HMACs (SYN/ACK and third ACK of each join); a
scenario with DSS checksums on must show verified checksums.

--self-test then corrupts copies of the start of a checked capture (an
MP_JOIN third-ACK HMAC, a byte of checksummed data with the TCP checksum
fixed, a byte of data without) and requires each copy to be reported, by
plait-wire for the first two and by tshark for the third: the checks can
fail.

Exits 0 when everything holds, 1 with one line per problem otherwise.
"""

import argparse
import json
import os
import re
import struct
import subprocess
import sys

# epan/expert.h
PI_CHECKSUM = 0x01000000
PI_SEQUENCE = 0x02000000
PI_MALFORMED = 0x07000000
PI_PROTOCOL = 0x09000000
PI_GROUP_MASK = 0xFF000000
PI_ERROR = 0x00800000
PI_SEVERITY_MASK = 0x00F00000

TCP_OPTION_NOP = 1
MPC_FLAG_C = 0x20

TSHARK_PREFS = [
    "-o", "tcp.check_checksum:TRUE",
    "-o", "ip.check_checksum:TRUE",
    "-o", "mptcp.analyze_mptcp:TRUE",
    "-o", "mptcp.analyze_mappings:TRUE",
    # The payload is random bytes from the simulator's applications: keep
    # every port-based and heuristic dissector (Thrift, say) from claiming
    # it and reporting it malformed.
    "-d", "tcp.port==1-65535,data",
]
FIELDS = ["frame.number", "tcp.len", "tcp.seq", "tcp.option_kind",
          "tcp.options.mptcp.subflowseqno", "tcp.options.mptcp.datalvllen",
          "tcp.options.mptcp.subtype", "tcp.options.mptcp.flags",
          "_ws.malformed", "_ws.expert.group", "_ws.expert.severity",
          "_ws.expert.message"]
AGGREGATOR = "|"


def nop_run_of_four(kinds):
    """True if four NOP options really follow each other."""
    run = 0
    for kind in kinds:
        run = run + 1 if kind == TCP_OPTION_NOP else 0
        if run >= 4:
            return True
    return False


def ints(text):
    return [int(v, 0) for v in text.split(AGGREGATOR) if v]


def own_mapping_covers(f):
    """The frame's own DSS mapping covers all of its payload (relative
    subflow sequence numbers, as tshark shows them by default)."""
    seq, length = int(f["tcp.seq"] or 0), int(f["tcp.len"] or 0)
    return any(ssn <= seq and seq + length <= ssn + dll
               for ssn, dll in zip(ints(f["tcp.options.mptcp.subflowseqno"]),
                                   ints(f["tcp.options.mptcp.datalvllen"])))


# Expert infos that tshark 4.0 raises on correct packets, by message ->
# (condition on the frame's fields that shows tshark is wrong, explanation).
# The first two are also in tshark_compare.py, with their analysis.
NOP_MESSAGE = "4 NOP in a row - a router may have removed some options"
KNOWN_TSHARK_QUIRKS = {
    NOP_MESSAGE: (
        lambda f: not nop_run_of_four(ints(f["tcp.option_kind"])),
        "tshark counts NOPs across intervening options (Linux's layout NOP "
        "NOP TS ... MPTCP NOP NOP); no four NOPs are adjacent"),
    "Unsupported algorithm": (
        lambda f: any((v & MPC_FLAG_C) and (v & 0x1F) == 0x01
                      for v in ints(f["tcp.options.mptcp.flags"])),
        "tshark's crypto mask 0x3F includes the C flag; RFC 8684 uses D-H"),
    # packet-tcp.c mptcp_analysis_dsn_lookup() looks up a mapping for every
    # segment's sequence number, payload or not, so a pure ACK sent after the
    # last mapped byte (after the FIN, say) has "no mapping". The kernel's
    # captures in dataplane/wire/testdata get the same warning on their pure
    # ACKs. Also, with retransmissions and replays in the capture, tshark
    # 4.0 sometimes fails to find the mapping that the very same frame
    # carries (it inserts each DSS mapping into an interval tree keyed by
    # subflow sequence number and looks the segment up in it; seen on
    # mptcp_replay: a retransmitted segment whose DSS maps exactly its 1424
    # bytes). Accepted only on segments without payload, or whose own DSS
    # mapping covers all of their payload.
    "No mapping available": (
        lambda f: f["tcp.len"] in ("", "0") or own_mapping_covers(f),
        "tshark wants a DSS mapping for segments without payload too, and "
        "misses some that the frame itself carries"),
}


class Checker:
    def __init__(self, tshark, plait_wire):
        self.tshark = tshark
        self.plait_wire = plait_wire
        self.problems = []
        self.quirks = {}
        # The scenario has a middlebox that overwrites options with NOPs.
        self.options_stripped = False
        self.stripped_nops = 0
        self.label = "PROBLEM"  # the self-test's problems are expected

    def problem(self, text):
        self.problems.append(text)
        print(f"{self.label} {text}")

    def tshark_frames(self, pcap):
        """Yields a dict of FIELDS per frame."""
        command = [self.tshark, "-n", "-r", pcap, "-T", "fields",
                   "-E", "separator=/t", "-E", "occurrence=a",
                   "-E", "aggregator=" + AGGREGATOR] + TSHARK_PREFS
        for field in FIELDS:
            command += ["-e", field]
        process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        for line in process.stdout:
            values = line.rstrip("\n").split("\t")
            values += [""] * (len(FIELDS) - len(values))
            yield dict(zip(FIELDS, values))
        stderr = process.stderr.read()
        if process.wait() != 0:
            self.problem(f"{pcap}: tshark exited {process.returncode}: "
                         f"{stderr.strip()}")

    def check_tshark(self, pcap):
        """Returns (TCP frames, frames with MPTCP options) tshark saw."""
        tcp_frames = mptcp_frames = 0
        for f in self.tshark_frames(pcap):
            where = f"{pcap} frame {f['frame.number']}"
            if f["tcp.len"] != "":
                tcp_frames += 1
            if f["tcp.options.mptcp.subtype"]:
                mptcp_frames += 1
            if f["_ws.malformed"]:
                self.problem(f"{where}: tshark: malformed packet")
            groups = ints(f["_ws.expert.group"])
            severities = ints(f["_ws.expert.severity"])
            messages = f["_ws.expert.message"].split(AGGREGATOR)
            for group, severity, message in zip(groups, severities, messages):
                if group == PI_SEQUENCE and severity < PI_ERROR:
                    continue
                # tshark is right: the scenario's middlebox removed them.
                if message == NOP_MESSAGE and self.options_stripped:
                    self.stripped_nops += 1
                    continue
                quirk = KNOWN_TSHARK_QUIRKS.get(message)
                if group == PI_PROTOCOL and quirk and quirk[0](f):
                    self.quirks[message] = self.quirks.get(message, 0) + 1
                    continue
                self.problem(f"{where}: tshark expert info "
                             f"(group 0x{group:08x}, severity "
                             f"0x{severity:08x}): {message}")
        return tcp_frames, mptcp_frames

    def check_plait_wire(self, pcap):
        """Returns plait-wire's summary of the capture."""
        process = subprocess.Popen([self.plait_wire, "decode", pcap],
                                   stdout=subprocess.PIPE, text=True)
        last = ""
        for line in process.stdout:
            last = line
        if process.wait() != 0 or not last.startswith('{"summary"'):
            self.problem(f"{pcap}: plait-wire decode failed "
                         f"({process.returncode})")
            return None
        s = json.loads(last)["summary"]
        for name in ("malformed", "bad_tcp_checksums", "option_problems",
                     "mptcp_option_errors"):
            if s[name] != 0:
                self.problem(f"{pcap}: plait-wire: {name} = {s[name]}")
        if s["checksums"]["invalid"] != 0:
            self.problem(f"{pcap}: plait-wire: {s['checksums']['invalid']} "
                         "wrong DSS checksums")
        if s["hmacs"]["invalid"] != 0:
            self.problem(f"{pcap}: plait-wire: {s['hmacs']['invalid']} "
                         "wrong HMACs")
        # A link that carries only joins (a client's second path) does not
        # see the MP_CAPABLE handshake whose keys give the tokens: an
        # unknown token is wrong only where a connection's keys were seen.
        if s["join_tokens"]["unknown"] != 0 and s["connections"]:
            self.problem(f"{pcap}: plait-wire: {s['join_tokens']['unknown']} "
                         "MP_JOINs with an unknown token")
        if not s["clean"]:
            self.problem(f"{pcap}: plait-wire: capture not clean")
        return s

    def check_capture(self, pcap):
        """Both checks on one capture; returns plait-wire's summary."""
        tcp_frames, mptcp_frames = self.check_tshark(pcap)
        summary = self.check_plait_wire(pcap)
        if summary is None:
            return None
        if tcp_frames != summary["tcp_segments"]:
            self.problem(f"{pcap}: tshark saw {tcp_frames} TCP frames, "
                         f"plait-wire {summary['tcp_segments']}")
        with_options = sum(summary["mptcp_options"].values())
        if (with_options > 0) != (mptcp_frames > 0):
            self.problem(f"{pcap}: tshark saw {mptcp_frames} frames with "
                         f"MPTCP options, plait-wire {with_options} options")
        print(f"  {os.path.basename(pcap)}: {tcp_frames} frames, "
              f"{mptcp_frames} with MPTCP options; "
              f"tokens {summary['join_tokens']}, HMACs {summary['hmacs']}, "
              f"DSS checksums {summary['checksums']}")
        return summary


def merge_links(report, pcap_dir):
    """{link name: merged pcap} for every link of the report."""
    directions = {}
    for link in report["links"]:
        name, ends = link["name"].split(":", 1)
        a, b = ends.split("->")
        directions.setdefault(name, []).append(
            os.path.join(pcap_dir, f"{name}_{a}_to_{b}.pcap"))
    merged = {}
    for name, files in directions.items():
        out = os.path.join(pcap_dir, f"{name}.merged.pcap")
        subprocess.run(["mergecap", "-F", "nsecpcap", "-w", out] + files,
                       check=True)
        merged[name] = out
    return merged


def check_scenario(checker, plait_sim, scenario, work, kept):
    """Checks every link of `scenario`; may keep one capture in `kept`."""
    name = os.path.basename(scenario).removesuffix(".textproto")
    pcap_dir = os.path.join(work, name)
    run = subprocess.run([plait_sim, "--scenario", scenario, "--pcap",
                          pcap_dir], stdout=subprocess.PIPE, text=True)
    if run.returncode != 0:
        checker.problem(f"{name}: plait-sim exited {run.returncode}")
        return
    report = json.loads(run.stdout)
    print(f"{name}:")
    with open(scenario) as f:
        text = f.read()
    checker.options_stripped = re.search(r"\bstrip_options\b", text) is not None
    summaries = {}
    for link, pcap in merge_links(report, pcap_dir).items():
        summaries[link] = checker.check_capture(pcap)
        # The captures are large: keep one merged capture in all, for the
        # self-test, the first with verified HMACs and DSS checksums.
        s = summaries[link]
        keep = (s is not None and s["hmacs"]["valid"] > 0 and
                s["checksums"]["valid"] > 0 and not kept)
        for f in os.listdir(pcap_dir):
            if f.startswith(link + "_") or (f.startswith(link + ".") and
                                            not keep):
                os.remove(os.path.join(pcap_dir, f))
        if keep:
            kept[name] = pcap
    summaries = {k: v for k, v in summaries.items() if v is not None}

    joins = sum(len(flow["mptcp"]["subflows"]) - 1
                for flow in report["flows"]
                if "mptcp" in flow and not flow["mptcp"]["fallback"])
    if joins > 0:
        known = max((s["join_tokens"]["known"] for s in summaries.values()),
                    default=0)
        hmacs = max((s["hmacs"]["valid"] for s in summaries.values()),
                    default=0)
        if known < joins or hmacs < 2 * joins:
            checker.problem(f"{name}: {joins} joins, but no link shows them "
                            f"all verified (tokens known {known}, HMACs "
                            f"valid {hmacs})")
    checksums = re.search(r"\bchecksums:\s*true\b", text) is not None
    # Without options from the start of the data, nothing carries one.
    stripped_early = checker.options_stripped and all(
        flow["mptcp"]["fallback"] for flow in report["flows"]
        if "mptcp" in flow)
    if checksums and not stripped_early:
        valid = max((s["checksums"]["valid"] for s in summaries.values()),
                    default=0)
        if valid == 0:
            checker.problem(f"{name}: checksums on, none verified")


# ------------------------------------------------------------ self-test


def read_pcap(path, limit):
    with open(path, "rb") as f:
        header = f.read(24)
        records = []
        while len(records) < limit:
            record = f.read(16)
            if len(record) < 16:
                break
            length = struct.unpack("<I", record[8:12])[0]
            records.append([record, bytearray(f.read(length))])
    if header[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") or \
            struct.unpack("<I", header[20:24])[0] != 101:
        sys.exit(f"{path}: expected a little-endian raw-IP pcap")
    return header, records


def write_pcap(path, header, records):
    with open(path, "wb") as f:
        f.write(header)
        for record, packet in records:
            f.write(record + bytes(packet))


def tcp_layout(packet):
    """(TCP header offset, payload offset) of an IPv4 TCP packet, or None."""
    if packet[0] >> 4 != 4 or packet[9] != 6:
        return None
    tcp = (packet[0] & 0x0F) * 4
    return tcp, tcp + (packet[tcp + 12] >> 4) * 4


def mptcp_options(packet, tcp, payload):
    """(offset, subtype, length, flags) of each MPTCP option."""
    i, found = tcp + 20, []
    while i < payload:
        kind = packet[i]
        if kind == 0:
            break
        if kind == TCP_OPTION_NOP:
            i += 1
            continue
        length = packet[i + 1]
        if kind == 30:
            found.append((i, packet[i + 2] >> 4, length, packet[i + 3]))
        i += length
    return found


def dss_length_for_flags(flags):
    """The DSS option's length without a checksum (RFC 8684 3.3)."""
    length = 4
    if flags & 0x01:
        length += 8 if flags & 0x02 else 4
    if flags & 0x04:
        length += (8 if flags & 0x08 else 4) + 6
    return length


def fix_tcp_checksum(packet, tcp):
    ip_total = struct.unpack(">H", packet[2:4])[0]
    packet[tcp + 16:tcp + 18] = b"\0\0"
    data = bytes(packet[12:20]) + struct.pack(">BBH", 0, 6, ip_total - tcp)
    data += bytes(packet[tcp:ip_total])
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    packet[tcp + 16:tcp + 18] = struct.pack(">H", ~total & 0xFFFF)


def corrupt(records, kind):
    """Corrupts the first packet `kind` applies to; False if none."""
    for _, packet in records:
        layout = tcp_layout(packet)
        if layout is None:
            continue
        tcp, payload = layout
        options = mptcp_options(packet, tcp, payload)
        if kind == "join_hmac":
            for at, subtype, length, _ in options:
                if subtype == 1 and length == 24:  # MP_JOIN third ACK
                    packet[at + 10] ^= 0x01
                    fix_tcp_checksum(packet, tcp)
                    return True
        elif len(packet) > payload:
            checksummed = any(subtype == 2 and flags & 0x04 and
                              length == dss_length_for_flags(flags) + 2
                              for _, subtype, length, flags in options)
            if kind == "dss_data" and checksummed:
                packet[payload] ^= 0x01
                fix_tcp_checksum(packet, tcp)
                return True
            if kind == "tcp_checksum":
                packet[payload] ^= 0x01
                return True
    return False


def self_test(checker, pcap, work):
    """Each corruption of the start of `pcap` must be reported."""
    header, records = read_pcap(pcap, 5000)
    cases = [("join_hmac", "wrong HMACs"),
             ("dss_data", "wrong DSS checksums"),
             ("tcp_checksum", "tshark expert info (group 0x01000000")]
    ok = True
    for kind, expected in cases:
        copy = [[r, bytearray(p)] for r, p in records]
        if not corrupt(copy, kind):
            print(f"FAIL: self-test: nothing to corrupt for {kind} in {pcap}")
            ok = False
            continue
        path = os.path.join(work, f"corrupted_{kind}.pcap")
        write_pcap(path, header, copy)
        before = len(checker.problems)
        print(f"self-test {kind}: expecting '{expected}'")
        checker.label = "reported (expected):"
        checker.check_capture(path)
        checker.label = "PROBLEM"
        found = checker.problems[before:]
        del checker.problems[before:]
        if not any(expected in p for p in found):
            print(f"FAIL: self-test: {kind} was not reported as '{expected}'")
            ok = False
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plait-sim", required=True)
    parser.add_argument("--plait-wire", required=True)
    parser.add_argument("--tshark", default="tshark")
    parser.add_argument("--work", required=True)
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("scenarios", nargs="+")
    args = parser.parse_args()
    checker = Checker(args.tshark, args.plait_wire)
    candidates = {}
    for scenario in args.scenarios:
        check_scenario(checker, args.plait_sim, scenario, args.work,
                       candidates)
    if checker.stripped_nops:
        print(f"'{NOP_MESSAGE}' accepted {checker.stripped_nops} time(s) in "
              "scenarios whose middlebox strips options (true there)")
    for message, count in sorted(checker.quirks.items()):
        print(f"known tshark quirk accepted {count} time(s): {message}: "
              f"{KNOWN_TSHARK_QUIRKS[message][1]}")
    failed = bool(checker.problems)
    if args.self_test:
        if not candidates:
            print("FAIL: self-test: no capture with both a verified join and "
                  "verified DSS checksums")
            failed = True
        elif not self_test(checker, sorted(candidates.values())[0],
                           args.work):
            failed = True
        else:
            print("PASS: self-test: every corruption was reported")
    if failed:
        print(f"FAIL: {len(checker.problems)} problem(s)")
        return 1
    print(f"PASS: {len(args.scenarios)} scenario(s), every link's capture "
          "clean for tshark and plait-wire")
    return 0


if __name__ == "__main__":
    sys.exit(main())

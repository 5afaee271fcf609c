#!/usr/bin/env python3
"""Checks tshark's dissection of the option corpus against the expectations.

Usage: tshark_compare.py CORPUS.pcap EXPECTED.tsv [--tshark PATH]

CORPUS.pcap and EXPECTED.tsv come from tshark_option_corpus (see
tshark_option_corpus_main.cc for the TSV format). This script runs
`tshark -T json` over the pcap with TCP/IPv4 checksum validation on and
relative sequence numbers off, and checks for every frame:

  1. every expected field occurs exactly as often as expected, with the
     expected values in the expected order (values compared as integers when
     both sides are numbers, so tshark's hex display of some fields does not
     matter; byte strings without separators; addresses as text);
  2. no malformed-packet marker (_ws.malformed) and no expert info in the
     Malformed or Checksum groups, nor of Error severity;
  3. no expert info in the Protocol group, except the documented tshark
     quirks in KNOWN_TSHARK_QUIRKS, each accepted only under the condition
     that shows it is tshark's mistake and not ours.

Expert infos in the Sequence group (SYN/RST chats, TCP analysis) describe the
TCP conversation, not the encoding, and are allowed.

Exits 0 when everything matches, 1 with one line per mismatch otherwise.
"""

import argparse
import collections
import hashlib
import json
import re
import subprocess
import sys

TSHARK_PREFS = [
    "-o", "tcp.check_checksum:TRUE",
    "-o", "ip.check_checksum:TRUE",
    "-o", "tcp.relative_sequence_numbers:FALSE",
    "-o", "mptcp.relative_sequence_numbers:FALSE",
    # tshark's MPTCP analysis stays on (the default): it checks that the keys
    # of the SYN/ACK are echoed in the third ACK of each handshake.
    "-o", "mptcp.analyze_mptcp:TRUE",
    # The payload is opaque test data: keep the HTTP dissector (port 8080)
    # from claiming it.
    "-d", "tcp.port==8080,data",
]

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


def nop_run_of_four(kinds):
    """True if four NOP options really follow each other."""
    run = 0
    for kind in kinds:
        run = run + 1 if kind == TCP_OPTION_NOP else 0
        if run >= 4:
            return True
    return False


def mpc_flags_c_and_h_only(flags):
    """MP_CAPABLE flags with C set and exactly H among the D-H crypto bits."""
    return any((f & MPC_FLAG_C) and (f & 0x1F) == 0x01 for f in flags)


# Expert infos that tshark 4.0 raises on packets that are correct by RFC 8684.
# Each entry: expert field -> (condition on the frame that proves tshark is
# wrong, explanation). The condition gets the frame's dissected fields.
KNOWN_TSHARK_QUIRKS = {
    # packet-tcp.c tcp_dissect_options(): nop_count is incremented for a NOP
    # at offset % 4 != 0 and reset only by a NOP at offset % 4 == 0, never by
    # the options in between. So Linux's own layout "NOP NOP TS ... MPTCP NOP
    # NOP" (two NOP pairs separated by options) counts as "4 NOP in a row".
    # Accepted only when the option kinds do not contain four NOPs in a row.
    "tcp.nop": (
        lambda fields: not nop_run_of_four(
            [int(k) for k in fields.get("tcp.option_kind", [])]),
        "tshark counts NOPs across intervening options (tcp_dissect_options "
        "resets nop_count only on an aligned NOP); no four NOPs are adjacent"),
    # packet-tcp.h: MPTCP_CAPABLE_CRYPTO_MASK is 0x3F, so the C flag (0x20,
    # "do not attempt to establish new subflows to the source address",
    # RFC 8684 section 3.1, IANA "MPTCP Handshake Algorithms") is taken for a
    # crypto algorithm bit and flags 0x21 / 0xA1 are reported as "Unsupported
    # algorithm". RFC 8684 assigns only D-H (0x1F) to crypto negotiation, H =
    # HMAC-SHA256; Linux masks with MPTCP_CAP_FLAG_MASK 0x1F. Accepted only
    # when C is set and the D-H bits are exactly H.
    "mptcp.connection.unsupported_algorithm": (
        lambda fields: mpc_flags_c_and_h_only(
            [int(f, 0) for f in fields.get("tcp.options.mptcp.flags", [])]),
        "tshark's crypto mask 0x3F includes the C flag; RFC 8684 uses D-H"),
}

# tshark 4.0 never shows a DSS checksum. packet-tcp.c, DSS case, after the
# Data-Level Length (offset points just past it):
#     if ((int)optlen >= offset-start_offset+4)
#         proto_tree_add_checksum(... hf_tcp_option_mptcp_checksum ...);
# The checksum is 2 bytes (RFC 8684 section 3.3: "Checksum (2 octets)"; Linux
# accepts the flag-implied length + 2), so the condition, which wants 4 bytes
# left, is never true. It is not a disagreement about the layout: tshark still
# delimits the option by our length byte and dissects every other field. For
# such frames the checksum is read from the DSS option's last two bytes as
# tshark delimits it (tcp.options bytes, walked with tshark's tcp.option_len),
# compared with ours, and recomputed independently (dss_checksum below).
DSS_CHECKSUM_QUIRK = ("tshark 4.0 never shows the DSS checksum (packet-tcp.c "
                      "wants optlen >= offset+4 for a 2-byte field); checked "
                      "in the option bytes instead")

# Expert infos that describe what the frame deliberately is.
EXPECTED_EXPERTS = {
    # A DSS with Data-Level Length 0 is the infinite mapping (RFC 8684 3.3.1).
    "mptcp.dss.infinite_mapping": lambda variant: "infinite_mapping" in variant,
}


def options_in_bytes(hex_options):
    """Splits tcp.options (hex, with colons) into whole options."""
    raw = bytes.fromhex(hex_options.replace(":", ""))
    options, i = [], 0
    while i < len(raw):
        if raw[i] == 0:
            break
        if raw[i] == TCP_OPTION_NOP:
            i += 1
            continue
        options.append(raw[i:i + raw[i + 1]])
        i += raw[i + 1]
    return options


def dss_length_for_flags(flags):
    length = 4
    if flags & 0x01:
        length += 8 if flags & 0x02 else 4
    if flags & 0x04:
        length += (8 if flags & 0x08 else 4) + 6
    return length


def dss_options_with_checksum(fields):
    """(dsn, ssn, dll, checksum) of every DSS option carrying a checksum."""
    result = []
    for option in options_in_bytes("".join(fields.get("tcp.options", []))):
        if option[0] != 30 or option[2] >> 4 != 2:
            continue
        flags = option[3]
        if not flags & 0x04 or len(option) != dss_length_for_flags(flags) + 2:
            continue
        at = 4 + ((8 if flags & 0x02 else 4) if flags & 0x01 else 0)
        dsn_len = 8 if flags & 0x08 else 4
        dsn = int.from_bytes(option[at:at + dsn_len], "big")
        ssn = int.from_bytes(option[at + dsn_len:at + dsn_len + 4], "big")
        dll = int.from_bytes(option[at + dsn_len + 4:at + dsn_len + 6], "big")
        result.append((dsn, ssn, dll, int.from_bytes(option[-2:], "big")))
    return result


def ones_complement_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def dss_checksum(dsn, ssn, dll, payload):
    """RFC 8684 section 3.3.1, written independently of wire::DssChecksum:
    the ones' complement of the ones' complement sum of the pseudo-header
    {DSN (64), subflow sequence number (32), Data-Level Length (16), zero
    (16)} and the payload."""
    header = (dsn.to_bytes(8, "big") + ssn.to_bytes(4, "big") +
              dll.to_bytes(2, "big") + b"\0\0")
    return ~ones_complement_sum(header + payload) & 0xFFFF


def idsn_from_key(key):
    """RFC 8684 section 3.1: the least significant 64 bits of SHA-256(key)."""
    return int.from_bytes(hashlib.sha256(key.to_bytes(8, "big")).digest()[-8:],
                          "big")


def load_expectations(path):
    """frame -> (variant, OrderedDict field -> [values])"""
    frames = {}
    with open(path) as f:
        for line_number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                sys.exit(f"{path}:{line_number}: expected 4 columns: {line!r}")
            frame, variant, field, value = parts
            entry = frames.setdefault(int(frame),
                                      (variant, collections.OrderedDict()))
            entry[1].setdefault(field, []).append(value)
    return frames


def run_tshark(tshark, pcap):
    command = [tshark, "-n", "-r", pcap, "-T", "json"] + TSHARK_PREFS
    result = subprocess.run(command, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        sys.exit("tshark failed (%d): %s" %
                 (result.returncode, result.stderr.decode(errors="replace")))
    # tshark's JSON repeats keys within an object (one per occurrence):
    # keep every (key, value) pair in order.
    return json.loads(result.stdout, object_pairs_hook=lambda pairs: pairs)


def flatten(node, fields, experts):
    """Collects every leaf (field, value) and every _ws.expert block."""
    if isinstance(node, list) and all(
            isinstance(p, tuple) and len(p) == 2 for p in node):
        for key, value in node:
            if key == "_ws.expert":
                info = dict(value) if isinstance(value, list) else {}
                names = [k for k in info if not k.startswith("_ws.expert")]
                experts.append({
                    "field": names[0] if names else "?",
                    "message": info.get("_ws.expert.message", ""),
                    "severity": int(info.get("_ws.expert.severity", "0")),
                    "group": int(info.get("_ws.expert.group", "0")),
                })
                continue
            if isinstance(value, str):
                fields[key].append(value)
            else:
                # A subtree: the key names the item that holds it (tree
                # nodes without a value show up only as "<field>_tree").
                if key.endswith("_tree"):
                    fields[key[:-len("_tree")] + "#tree"].append("")
                flatten(value, fields, experts)
    elif isinstance(node, list):
        for item in node:
            flatten(item, fields, experts)


def normalize(field, value):
    if value in ("present", ""):
        return value
    if re.fullmatch(r"0x[0-9a-fA-F]+", value):
        return int(value, 16)
    if re.fullmatch(r"[0-9]+", value):
        return int(value)
    if re.fullmatch(r"([0-9a-fA-F]{2}:)+[0-9a-fA-F]{2}", value):
        return value.replace(":", "").lower()
    return value


def expected_value(field, value):
    if field.endswith("checksum.status"):
        return {"good": 1, "bad": 0}[value]
    if field in BYTE_FIELDS:
        return value
    return normalize(field, value)


BYTE_FIELDS = {
    "tcp.payload", "tcp.options.tfo.cookie", "tcp.options.mptcp.sendhmac",
}


def check_frame(number, variant, expected, fields, experts, quirks_seen):
    problems = []

    def report(what):
        problems.append(f"frame {number} ({variant}): {what}")

    payload = bytes.fromhex("".join(fields.get("tcp.payload", [])).replace(
        ":", ""))
    subtypes = [int(v, 0) for v in fields.get("tcp.options.mptcp.subtype", [])]
    dss_checksums = dss_options_with_checksum(fields)
    if ("tcp.options.mptcp.checksum" in expected and
            not fields.get("tcp.options.mptcp.checksum") and
            0 not in subtypes and dss_checksums):
        quirks_seen["DSS checksum not shown"] += 1
        expected = collections.OrderedDict(expected)
        ours = expected.pop("tcp.options.mptcp.checksum")
        on_wire = [c for (_, _, _, c) in dss_checksums]
        if [int(v) for v in ours] != on_wire:
            report(f"DSS checksum: ours {ours}, in the option tshark "
                   f"delimits {on_wire}")
    # Independent recomputation of every data checksum in the frame, from the
    # values tshark dissected and the payload.
    for dsn, ssn, dll, checksum in dss_checksums:
        if dll == 0:
            continue  # infinite mapping: sent with checksum 0
        quirks_seen["#recomputed"] += 1
        if dss_checksum(dsn, ssn, dll, payload) != checksum:
            report(f"DSS checksum 0x{checksum:04x} is wrong: RFC 8684 3.3.1 "
                   f"gives 0x{dss_checksum(dsn, ssn, dll, payload):04x}")
    if 0 in subtypes and fields.get("tcp.options.mptcp.checksum"):
        # MP_CAPABLE with data: DSN = IDSN(sender's key) + 1, SSN = 1.
        key = int(fields["tcp.options.mptcp.sendkey"][0])
        dll = int(fields["tcp.options.mptcp.datalvllen"][0])
        want = dss_checksum((idsn_from_key(key) + 1) % 2**64, 1, dll, payload)
        got = int(fields["tcp.options.mptcp.checksum"][0], 0)
        quirks_seen["#recomputed"] += 1
        if want != got:
            report(f"MP_CAPABLE checksum 0x{got:04x} is wrong: RFC 8684 "
                   f"3.3.1 gives 0x{want:04x}")

    for field, values in expected.items():
        if values == ["present"] * len(values):
            got = len(fields.get(field, [])) or len(
                fields.get(field + "#tree", []))
            if got != len(values):
                report(f"{field}: expected present {len(values)} time(s), "
                       f"tshark shows it {got} time(s)")
            continue
        ours = [expected_value(field, v) for v in values]
        theirs = [normalize(field, v) for v in fields.get(field, [])]
        if field in BYTE_FIELDS:
            theirs = [t if isinstance(t, str) else f"{t:02x}" for t in theirs]
        if ours != theirs:
            if len(ours) != len(theirs):
                report(f"{field}: ours {values} ({len(ours)} occurrence(s)), "
                       f"tshark's {fields.get(field, [])} ({len(theirs)})")
            else:
                for i, (a, b) in enumerate(zip(ours, theirs)):
                    if a != b:
                        report(f"{field}[{i}]: ours {values[i]!r}, "
                               f"tshark's {fields[field][i]!r}")

    if fields.get("_ws.malformed") or fields.get("_ws.malformed#tree"):
        report("tshark marks the packet malformed")
    for e in experts:
        group = e["group"] & PI_GROUP_MASK
        severity = e["severity"] & PI_SEVERITY_MASK
        desc = f"expert {e['field']} ({e['message']})"
        if group in (PI_MALFORMED, PI_CHECKSUM) or severity >= PI_ERROR:
            report(f"{desc}: malformed/checksum/error expert info")
        elif group == PI_PROTOCOL:
            if e["field"] in EXPECTED_EXPERTS and EXPECTED_EXPERTS[
                    e["field"]](variant):
                continue
            quirk = KNOWN_TSHARK_QUIRKS.get(e["field"])
            if quirk and quirk[0](fields):
                continue
            report(f"{desc}: unexpected protocol expert info")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pcap")
    parser.add_argument("tsv")
    parser.add_argument("--tshark", default="tshark")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    expected = load_expectations(args.tsv)
    packets = run_tshark(args.tshark, args.pcap)
    dissected = {}
    for packet in packets:
        fields = collections.defaultdict(list)
        experts = []
        flatten(packet, fields, experts)
        dissected[int(fields["frame.number"][0])] = (fields, experts)

    problems = []
    if sorted(dissected) != sorted(expected):
        problems.append(f"frame numbers differ: expected {sorted(expected)}, "
                        f"tshark read {sorted(dissected)}")
    checked = 0
    quirks_seen = collections.Counter()
    for number in sorted(expected):
        variant, fields_expected = expected[number]
        if number not in dissected:
            continue
        fields, experts = dissected[number]
        problems += check_frame(number, variant, fields_expected, fields,
                                experts, quirks_seen)
        checked += sum(len(v) for v in fields_expected.values())
        for e in experts:
            if e["field"] in KNOWN_TSHARK_QUIRKS:
                quirks_seen[e["field"]] += 1
        if args.verbose:
            print(f"frame {number}: {variant}: "
                  f"{sum(len(v) for v in fields_expected.values())} values")

    version = subprocess.run([args.tshark, "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, check=False)
    print(version.stdout.decode(errors="replace").splitlines()[0])
    recomputed = quirks_seen.pop("#recomputed", 0)
    for field, count in sorted(quirks_seen.items()):
        why = (KNOWN_TSHARK_QUIRKS[field][1] if field in KNOWN_TSHARK_QUIRKS
               else DSS_CHECKSUM_QUIRK)
        print(f"known tshark quirk accepted {count} time(s): {field}: {why}")
    if problems:
        for p in problems:
            print("MISMATCH " + p)
        print(f"FAIL: {len(problems)} mismatch(es) in {len(expected)} frames")
        return 1
    print(f"PASS: {len(expected)} frames, {checked} expected values, all "
          f"dissected identically by tshark; {recomputed} data checksums "
          f"recomputed per RFC 8684 3.3.1 and correct")
    return 0


if __name__ == "__main__":
    sys.exit(main())

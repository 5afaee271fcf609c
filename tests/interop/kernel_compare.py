#!/usr/bin/env python3
"""Cross-checks `plait-wire decode` against tshark on a kernel MPTCP capture.

  kernel_compare.py compare --pcap F.pcap --decoded F.jsonl [--checksum]
      Exit 0 if every check passes, 1 otherwise (each failure on a line
      starting with FAIL). Checks:
      - Plait decodes every TCP frame tshark sees, with no malformed option,
        and every TCP checksum valid;
      - per frame, the raw TCP seq/ack and the list of MPTCP subtypes agree
        with tshark, and per option the fields (MP_CAPABLE version, flags,
        keys and tshark's token/IDSN derived from the key; MP_JOIN address
        id, backup, token, nonce, truncated and full HMACs; DSS flags, data
        ACK, DSN, subflow sequence, data-level length, checksum; ADD_ADDR
        echo, id, address, port, HMAC; REMOVE_ADDR ids; MP_PRIO backup;
        MP_FASTCLOSE key; MP_TCPRST reason);
      - the MP_JOIN SYN tokens are the tokens of the connection's keys (as
        Plait and, independently, tshark derive them), and are known;
      - every MP_JOIN SYN/ACK, ACK and ADD_ADDR HMAC verifies;
      - with --checksum: checksums were negotiated, every mapping carries
        one, and every mapping's checksum verifies; without: none is present.
  kernel_compare.py flip-join-hmac IN.pcap OUT.pcap
      Copies the capture with one bit of the first MP_JOIN SYN/ACK HMAC
      flipped (the TCP checksum fixed up), for the test's self-check.

Standard library only.
"""

import argparse
import json
import struct
import subprocess
import sys

SUBTYPES = {
    "MP_CAPABLE": 0, "MP_JOIN": 1, "DSS": 2, "ADD_ADDR": 3, "REMOVE_ADDR": 4,
    "MP_PRIO": 5, "MP_FAIL": 6, "MP_FASTCLOSE": 7, "MP_TCPRST": 8,
    "MP_EXPERIMENTAL": 15,
}


class Multi(list):
  """Values of a JSON key that tshark repeats within one object."""


def keep_duplicates(pairs):
  out = {}
  for key, value in pairs:
    if key in out:
      if isinstance(out[key], Multi):
        out[key].append(value)
      else:
        out[key] = Multi([out[key], value])
    else:
      out[key] = value
  return out


def as_list(value):
  if value is None:
    return []
  return list(value) if isinstance(value, Multi) else [value]


def flatten(tree, out=None):
  """The fields of one tshark option, nested *_tree objects merged."""
  out = {} if out is None else out
  for key, value in tree.items():
    if isinstance(value, dict):
      flatten(value, out)
    else:
      out.setdefault(key, value)
  return out


def tshark_frames(pcap):
  text = subprocess.run(
      ["tshark", "-r", pcap, "-T", "json", "-o",
       "mptcp.relative_sequence_numbers:FALSE", "-o",
       "tcp.relative_sequence_numbers:FALSE"],
      check=True, capture_output=True, text=True).stdout
  frames = {}
  for packet in json.loads(text, object_pairs_hook=keep_duplicates):
    layers = packet["_source"]["layers"]
    tcp = layers.get("tcp")
    if tcp is None:
      continue
    number = int(layers["frame"]["frame.number"])
    options_tree = tcp.get("tcp.options_tree", {})
    frames[number] = {
        "seq": int(tcp["tcp.seq_raw"]),
        "ack": int(tcp["tcp.ack_raw"]),
        "options_hex": tcp.get("tcp.options", "").replace(":", ""),
        "mptcp": [flatten(o) for o in as_list(options_tree.get("mptcp"))],
    }
  return frames


def raw_mptcp_options(options_hex):
  """The kind-30 options in tshark's bytes of the option space, in order."""
  data = bytes.fromhex(options_hex)
  out, i = [], 0
  while i < len(data):
    kind = data[i]
    if kind == 0:
      break
    if kind == 1:
      i += 1
      continue
    if i + 1 >= len(data) or data[i + 1] < 2:
      break
    length = data[i + 1]
    if kind == 30:
      out.append(data[i:i + length])
    i += length
  return out


def dss_wire_checksum(raw):
  """The checksum bytes at the end of a DSS option, or None."""
  flags = raw[3]
  length = 4
  if flags & 0x01:
    length += 8 if flags & 0x02 else 4
  if flags & 0x04:
    length += (8 if flags & 0x08 else 4) + 6
    if len(raw) == length + 2:
      return struct.unpack(">H", raw[length:length + 2])[0]
  return None


class Checker:

  def __init__(self):
    self.failures = []
    self.compared = 0

  def fail(self, message):
    self.failures.append(message)

  def expect(self, condition, message):
    if not condition:
      self.fail(message)

  def same(self, where, name, tshark_value, plait_value):
    if tshark_value is None and plait_value is None:
      return  # a field neither shows
    self.compared += 1
    if tshark_value != plait_value:
      self.fail(f"{where}: {name}: tshark {tshark_value!r} != plait "
                f"{plait_value!r}")


def hex_int(value):
  return None if value is None else int(value, 16)


def tint(option, key, base=10):
  value = option.get(key)
  return None if value is None else int(value, base)


def compare_option(c, where, t, p, raw):
  subtype = int(t["tcp.options.mptcp.subtype"])
  c.same(where, "subtype", subtype, SUBTYPES.get(p["subtype"]))
  c.same(where, "length", tint(t, "tcp.option_len"), p.get("length"))
  if subtype != SUBTYPES.get(p["subtype"]):
    return
  pairs = []  # (name, tshark value, plait value)
  if subtype == 0:
    pairs += [
        ("version", tint(t, "tcp.options.mptcp.version"), p.get("version")),
        ("flags", tint(t, "tcp.options.mptcp.flags", 16), p.get("flags")),
        ("sender_key", tint(t, "tcp.options.mptcp.sendkey"),
         hex_int(p.get("sender_key"))),
        ("receiver_key", tint(t, "tcp.options.mptcp.recvkey"),
         hex_int(p.get("receiver_key"))),
        ("data_level_length", tint(t, "tcp.options.mptcp.datalvllen"),
         p.get("data_level_length")),
    ]
    # tshark derives the token and IDSN of the sender's key itself.
    if "mptcp.expected_token" in t:
      pairs.append(("sender_token (derived)", tint(t, "mptcp.expected_token"),
                    hex_int(p.get("sender_token"))))
    if "mptcp.expected_idsn" in t:
      pairs.append(("sender_idsn (derived)", tint(t, "mptcp.expected_idsn"),
                    hex_int(p.get("sender_idsn"))))
  elif subtype == 1:
    pairs += [
        ("token", tint(t, "tcp.options.mptcp.recvtok"),
         hex_int(p.get("token"))),
        ("nonce", tint(t, "tcp.options.mptcp.sendrand"),
         hex_int(p.get("nonce"))),
    ]
    if p.get("variant") in ("SYN", "SYN/ACK"):
      pairs += [
          ("address_id", tint(t, "tcp.options.mptcp.addrid"),
           p.get("address_id")),
          ("backup", tint(t, "tcp.options.mptcp.backup.flag"),
           int(p.get("backup"))),
      ]
    if p.get("variant") == "SYN/ACK":
      pairs.append(("truncated hmac", tint(t, "tcp.options.mptcp.sendtrunchmac"),
                    hex_int(p.get("hmac"))))
    if p.get("variant") == "ACK":
      pairs.append(("hmac", t.get("tcp.options.mptcp.sendhmac", "").replace(
          ":", "") or None, p.get("hmac")))
  elif subtype == 2:
    pairs += [
        ("flags", tint(t, "tcp.options.mptcp.flags", 16), p.get("flags")),
        ("data_fin", tint(t, "tcp.options.mptcp.datafin.flag"),
         int(p.get("data_fin"))),
        ("data_ack", tint(t, "tcp.options.mptcp.rawdataack"),
         hex_int(p.get("data_ack"))),
        ("dsn", tint(t, "tcp.options.mptcp.rawdataseqno"),
         hex_int(p.get("dsn"))),
        ("subflow_seq", tint(t, "tcp.options.mptcp.subflowseqno"),
         p.get("subflow_seq")),
        ("data_level_length", tint(t, "tcp.options.mptcp.datalvllen"),
         p.get("data_level_length")),
    ]
    # tshark 4.0 does not show the DSS checksum field; its bytes of the
    # option are compared instead (and the field, when a tshark shows it).
    if "tcp.options.mptcp.checksum" in t:
      pairs.append(("checksum", tint(t, "tcp.options.mptcp.checksum", 16),
                    hex_int(p.get("checksum"))))
    pairs.append(("checksum (option bytes)", dss_wire_checksum(raw),
                  hex_int(p.get("checksum"))))
  elif subtype == 3:
    address = t.get("tcp.options.mptcp.ipv4") or t.get(
        "tcp.options.mptcp.ipv6")
    pairs += [
        ("echo", tint(t, "tcp.options.mptcp.echo"), int(p.get("echo"))),
        ("address_id", tint(t, "tcp.options.mptcp.addrid"),
         p.get("address_id")),
        ("address", address, p.get("address")),
        ("port", tint(t, "tcp.options.mptcp.port"), p.get("port")),
        ("hmac", tint(t, "tcp.options.mptcp.addaddrtrunchmac"),
         hex_int(p.get("hmac"))),
    ]
  elif subtype == 4:
    ids = [int(v) for v in as_list(t.get("tcp.options.mptcp.addrid"))]
    pairs.append(("address_ids", ids, p.get("address_ids")))
  elif subtype == 5:
    pairs.append(("backup", tint(t, "tcp.options.mptcp.backup.flag"),
                  int(p.get("backup"))))
  elif subtype == 7:
    pairs.append(("receiver_key", tint(t, "tcp.options.mptcp.recvkey"),
                  hex_int(p.get("receiver_key"))))
  elif subtype == 8:
    pairs.append(("reason", tint(t, "tcp.options.mptcp.rst_reason"),
                  p.get("reason")))
  for name, tshark_value, plait_value in pairs:
    c.same(where, name, tshark_value, plait_value)


def compare(args):
  c = Checker()
  decoded, summary = {}, None
  with open(args.decoded) as f:
    for number, line in enumerate(f, 1):
      try:
        obj = json.loads(line)
      except ValueError as e:
        c.fail(f"plait-wire decode line {number} is not JSON: {e}")
        continue
      if "summary" in obj:
        summary = obj["summary"]
      else:
        decoded[obj["frame"]] = obj
  c.expect(summary is not None, "no summary line in the decoded output")
  summary = summary or {}
  frames = tshark_frames(args.pcap)
  c.expect(len(frames) > 0, "tshark sees no TCP frame")
  c.same("capture", "TCP frames", sorted(frames), sorted(
      n for n, o in decoded.items() if o.get("decoded", True)))

  options = []  # (frame number, plait option)
  for number, t in sorted(frames.items()):
    p = decoded.get(number)
    if p is None:
      continue
    where = f"frame {number}"
    c.expect(p.get("decoded", True), f"{where}: not decoded: {p.get('error')}")
    c.expect("problems" not in p, f"{where}: problems {p.get('problems')}")
    c.expect(p.get("tcp_checksum_valid") is True,
             f"{where}: TCP checksum not valid")
    c.same(where, "tcp seq (raw)", t["seq"], p.get("seq"))
    c.same(where, "tcp ack (raw)", t["ack"], p.get("ack"))
    plait_options = p.get("mptcp", [])
    for o in plait_options:
      c.expect("error" not in o, f"{where}: MPTCP option error {o}")
    c.same(where, "MPTCP subtypes",
           [int(o["tcp.options.mptcp.subtype"]) for o in t["mptcp"]],
           [SUBTYPES.get(o["subtype"]) for o in plait_options])
    raws = raw_mptcp_options(t["options_hex"])
    c.same(where, "MPTCP options in tshark's option bytes", len(raws),
           len(t["mptcp"]))
    for i, (topt, popt) in enumerate(zip(t["mptcp"], plait_options)):
      raw = raws[i] if i < len(raws) else b""
      compare_option(c, f"{where} option {i}", topt, popt, raw)
      options.append((number, popt))

  # Tokens: from the MP_CAPABLE keys (Plait's derivation, checked against
  # tshark's above), and every MP_JOIN SYN names a known one.
  c.same("summary", "MPTCP option errors", 0,
         summary.get("mptcp_option_errors"))
  connections = summary.get("connections", [])
  c.expect(len(connections) == 1 and connections[0].get("client_key") and
           connections[0].get("server_key"),
           f"expected one connection with both keys: {connections}")
  tokens = {}
  for conn in connections:
    for side in ("client", "server"):
      if conn.get(side + "_token"):
        tokens[conn[side + "_token"]] = conn["index"]
  by_kind = lambda sub, var=None: [
      (n, o) for n, o in options
      if o["subtype"] == sub and (var is None or o.get("variant") == var)]
  c.expect(len(by_kind("MP_CAPABLE", "ACK")) + len(
      by_kind("MP_CAPABLE", "ACK+data")) >= 1, "no MP_CAPABLE third ACK")
  joins = by_kind("MP_JOIN", "SYN")
  c.expect(len(joins) >= 2, f"expected 2 MP_JOIN SYNs, saw {len(joins)}")
  for n, o in joins:
    c.expect(o.get("token_known") is True, f"frame {n}: MP_JOIN token unknown")
    c.expect(o.get("token") in tokens and
             o.get("connection") == tokens.get(o.get("token")),
             f"frame {n}: MP_JOIN token {o.get('token')} is not that of the "
             f"connection's keys {sorted(tokens)}")
  hmacs = by_kind("MP_JOIN", "SYN/ACK") + by_kind("MP_JOIN", "ACK") + [
      (n, o) for n, o in by_kind("ADD_ADDR") if not o.get("echo")]
  for n, o in hmacs:
    c.expect(o.get("hmac_valid") is True,
             f"frame {n}: {o['subtype']} {o.get('variant', '')} HMAC: "
             f"hmac_valid {o.get('hmac_valid')!r}")
  adds = [o for _, o in by_kind("ADD_ADDR") if not o.get("echo")]
  c.expect(len(adds) >= 1, "no ADD_ADDR with an HMAC")
  c.expect(len(hmacs) >= 2 * len(joins) + 1,
           f"only {len(hmacs)} HMACs for {len(joins)} joins")
  hmac_summary = summary.get("hmacs", {})
  c.expect(hmac_summary.get("invalid") == 0 and
           hmac_summary.get("unknown") == 0,
           f"summary hmacs {hmac_summary}")

  # Checksums.
  dss = [(n, o) for n, o in by_kind("DSS")]
  mappings = [(n, o) for n, o in dss if "dsn" in o]
  c.expect(len(mappings) > 0, "no DSS mapping")
  checksums = summary.get("checksums", {})
  if args.checksum:
    for n, o in by_kind("MP_CAPABLE"):
      c.expect(o.get("checksum_required") is True,
               f"frame {n}: MP_CAPABLE without the checksum flag")
    verdicts = {}
    for number, p in decoded.items():
      for v in p.get("checksum_verdicts", []):
        verdicts[(v["dsn"], v["subflow_seq"], v["data_level_length"])] = v
    for n, o in mappings:
      c.expect("checksum" in o, f"frame {n}: DSS mapping without checksum")
      c.expect(o.get("checksum_valid") is True or
               o.get("checksum_status") == "pending",
               f"frame {n}: DSS checksum {o.get('checksum_status')}")
      key = (o.get("dsn"), o.get("subflow_seq"), o.get("data_level_length"))
      v = verdicts.get(key)
      c.expect(v is not None and v.get("valid") is True,
               f"frame {n}: mapping {key}: verdict {v}")
    c.expect(checksums.get("valid", 0) > 0 and checksums.get("invalid") == 0
             and checksums.get("unchecked") == 0,
             f"summary checksums {checksums}")
  else:
    for n, o in mappings:
      c.expect("checksum" not in o, f"frame {n}: unexpected DSS checksum")
    c.expect(checksums.get("valid") == 0 and checksums.get("invalid") == 0,
             f"summary checksums {checksums}")

  for message in c.failures[:40]:
    print("FAIL:", message)
  if len(c.failures) > 40:
    print(f"FAIL: ... and {len(c.failures) - 40} more")
  print(f"{args.pcap}: {len(frames)} TCP frames, {len(options)} MPTCP "
        f"options, {c.compared} values compared with tshark; "
        f"{len(joins)} joins, {len(hmacs)} HMACs verified, "
        f"checksums {checksums}; {len(c.failures)} failures")
  return 1 if c.failures else 0


def ones_complement(data):
  if len(data) % 2:
    data += b"\0"
  total = sum(struct.unpack(f">{len(data) // 2}H", data))
  while total >> 16:
    total = (total & 0xFFFF) + (total >> 16)
  return total


def flip_join_hmac(args):
  data = bytearray(open(args.input, "rb").read())
  magic = data[:4]
  endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
  link = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
  link_header = {1: 14, 101: 0, 113: 16, 228: 0}.get(link)
  if link_header is None:
    sys.exit(f"flip-join-hmac: link type {link} not handled")
  pos = 24
  while pos + 16 <= len(data):
    caplen = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
    ip = pos + 16 + link_header
    pos += 16 + caplen
    if data[ip] >> 4 != 4 or data[ip + 9] != 6:
      continue
    ihl = (data[ip] & 0x0F) * 4
    total = struct.unpack(">H", data[ip + 2:ip + 4])[0]
    tcp = ip + ihl
    header = (data[tcp + 12] >> 4) * 4
    i = tcp + 20
    while i < tcp + header:
      kind = data[i]
      if kind == 0:
        break
      if kind == 1:
        i += 1
        continue
      length = data[i + 1]
      if kind == 30 and length == 16 and data[i + 2] >> 4 == 1:
        data[i + 4] ^= 0x01  # the HMAC's first byte
        data[tcp + 16:tcp + 18] = b"\0\0"
        segment = bytes(data[tcp:ip + total])
        pseudo = bytes(data[ip + 12:ip + 20]) + struct.pack(
            ">BBH", 0, 6, len(segment))
        checksum = 0xFFFF - ones_complement(pseudo + segment)
        data[tcp + 16:tcp + 18] = struct.pack(">H", checksum)
        open(args.output, "wb").write(data)
        return 0
      i += max(length, 2)
  sys.exit("flip-join-hmac: no MP_JOIN SYN/ACK in the capture")


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  sub = parser.add_subparsers(dest="command", required=True)
  p = sub.add_parser("compare")
  p.add_argument("--pcap", required=True)
  p.add_argument("--decoded", required=True, help="plait-wire decode output")
  p.add_argument("--checksum", action="store_true",
                 help="the capture was made with DSS checksums")
  p.set_defaults(run=compare)
  p = sub.add_parser("flip-join-hmac")
  p.add_argument("input")
  p.add_argument("output")
  p.set_defaults(run=flip_join_hmac)
  args = parser.parse_args()
  return args.run(args)


if __name__ == "__main__":
  sys.exit(main())

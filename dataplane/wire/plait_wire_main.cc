// plait-wire: decodes TCP/MPTCP packets from pcap files or raw IP packets
// (one per .bin file, or given as hex) with Plait's own parsers, and checks
// TCP and DSS checksums. With --check it exits 1 unless every packet is clean,
// so that tests can assert that a capture of Plait's traffic is well formed.
// Records cut by the capture's snap length are reported as truncated and do
// not make a capture unclean; a record whose frame cannot be unwrapped is
// reported (as malformed) and decoding goes on with the next one.
//
// `plait-wire decode FILE.pcap` prints one JSON object per line per record
// (TCP segments with every field and option decoded, MPTCP connections
// followed: derived tokens and IDSNs, join tokens, HMAC and DSS checksum
// verdicts), then one {"summary": ...} line. See kDecodeUsage.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dataplane/wire/pcap_file.h"
#include "dataplane/wire/trace_decoder.h"
#include "nlohmann/json.hpp"

namespace {

constexpr char kUsage[] =
    "usage: plait-wire [show] [--check] [--quiet] [--hex HEX]... [FILE]...\n"
    "       plait-wire decode [--no-summary] FILE.pcap\n"
    "  FILE      a classic pcap file (Ethernet, raw IP or Linux SLL frames),\n"
    "            or any other file holding one raw IP packet\n"
    "  --hex HEX one raw IP packet given in hexadecimal\n"
    "  --check   exit 1 if any packet is malformed, has a wrong TCP or DSS\n"
    "            checksum, or carries a malformed option\n"
    "  --quiet   print only the summary\n"
    "decode: see plait-wire decode --help\n";

constexpr char kDecodeUsage[] =
    "usage: plait-wire decode [--no-summary] FILE.pcap\n"
    "Prints one JSON object per line for each record of a classic pcap file,\n"
    "then {\"summary\": {...}} (unless --no-summary). A TCP segment has:\n"
    "  frame (record number, 1-based, as tshark counts), time (s since the\n"
    "  first record), time_epoch, ip_version, src, dst, src_port, dst_port,\n"
    "  seq, ack (raw), seq_relative, flags [\"SYN\",\"ACK\"], window,\n"
    "  payload_length, tcp_checksum_valid, tcp_options [{kind,name,...}],\n"
    "  mptcp [{subtype,length,...}], checksum_verdicts, connection, problems.\n"
    "Keys, tokens, nonces, HMACs, DSNs and data ACKs are fixed-width hex\n"
    "strings (16 digits for 64 bits, 8 for 32, 40 for the join ACK HMAC).\n"
    "MP_CAPABLE options carry the tokens and IDSNs derived from their keys;\n"
    "MP_JOIN SYNs token_known and connection; MP_JOIN SYN/ACK and ACK and\n"
    "ADD_ADDR hmac_valid (true, false, or null when a key or nonce is not in\n"
    "the capture). Checksummed DSS and MP_CAPABLE options carry\n"
    "checksum_valid: the verdict of their mapping if it is decided at this\n"
    "segment or was before, else null (checksum_status pending or\n"
    "unchecked); the segment at which a mapping is decided lists it in\n"
    "checksum_verdicts with its dsn, subflow_seq and valid.\n"
    "A record that is not a TCP segment: {frame, time, decoded: false,\n"
    "error}. Exit 0; 2 with one line on stderr if the file cannot be read or\n"
    "is not a whole classic pcap file.\n";

bool ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in),
              std::istreambuf_iterator<char>());
  return true;
}

bool LooksLikePcap(const std::vector<uint8_t>& bytes) {
  static constexpr uint8_t kMagics[][4] = {{0xd4, 0xc3, 0xb2, 0xa1},
                                           {0xa1, 0xb2, 0xc3, 0xd4},
                                           {0x4d, 0x3c, 0xb2, 0xa1},
                                           {0xa1, 0xb2, 0x3c, 0x4d},
                                           {0x0a, 0x0d, 0x0d, 0x0a}};
  if (bytes.size() < 4) return false;
  for (const auto& magic : kMagics) {
    if (std::equal(magic, magic + 4, bytes.begin())) return true;
  }
  return false;
}

int Decode(int argc, char** argv) {
  bool summary = true;
  std::string path;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--no-summary") {
      summary = false;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kDecodeUsage;
      return 0;
    } else if (absl::StartsWith(arg, "-")) {
      std::cerr << "plait-wire decode: unknown flag " << arg
                << " (usage: plait-wire decode [--no-summary] FILE.pcap)\n";
      return 2;
    } else if (!path.empty()) {
      std::cerr << "plait-wire decode: one file only (usage: plait-wire "
                   "decode [--no-summary] FILE.pcap)\n";
      return 2;
    } else {
      path = arg;
    }
  }
  if (path.empty()) {
    std::cerr << "plait-wire decode: no file (usage: plait-wire decode "
                 "[--no-summary] FILE.pcap)\n";
    return 2;
  }
  std::vector<uint8_t> bytes;
  std::error_code error;
  if (std::filesystem::is_directory(path, error) || !ReadFile(path, &bytes)) {
    std::cerr << "plait-wire decode: cannot read " << path << "\n";
    return 2;
  }
  auto reader = plait::wire::PcapReader::Open(bytes);
  if (!reader.ok()) {
    std::cerr << "plait-wire decode: " << path
              << ": not a classic pcap file: " << reader.status().message()
              << "\n";
    return 2;
  }
  if (!plait::wire::IsSupportedLinkType(reader->link_type())) {
    std::cerr << "plait-wire decode: " << path << ": pcap link type "
              << reader->link_type() << " is not supported\n";
    return 2;
  }
  plait::wire::TraceDecoder decoder;
  plait::wire::PcapRecord record;
  int64_t frame = 0;
  while (reader->Next(&record)) {
    ++frame;
    nlohmann::ordered_json json;
    if (record.data.size() < record.original_length) {
      json = decoder.TruncatedJson(record.data.size(), record.original_length,
                                   record.timestamp_ns, frame);
    } else {
      auto packet =
          plait::wire::IpPacketInFrame(reader->link_type(), record.data);
      if (packet.ok()) {
        json = decoder.DecodeJson(*packet, record.timestamp_ns, frame);
      } else if (absl::IsNotFound(packet.status())) {
        continue;  // ARP and the like: no IP packet
      } else {
        json = decoder.UndecodableJson(packet.status().message(),
                                       record.timestamp_ns, frame);
      }
    }
    std::cout << plait::wire::JsonLine(json) << '\n';
  }
  std::cout.flush();
  if (!reader->error().ok()) {
    std::cerr << "plait-wire decode: " << path << ": "
              << reader->error().message() << "\n";
    return 2;
  }
  if (summary)
    std::cout << plait::wire::JsonLine(decoder.SummaryJson()) << '\n';
  return std::cout.good() ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  using plait::wire::TraceDecoder;
  if (argc >= 2 && std::string(argv[1]) == "decode") {
    return Decode(argc - 2, argv + 2);
  }
  int first = 1;
  if (argc >= 2 && std::string(argv[1]) == "show") first = 2;
  bool check = false;
  bool quiet = false;
  std::vector<std::pair<std::string, bool>> inputs;  // (text, is_hex)
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--check") {
      check = true;
    } else if (arg == "--quiet") {
      quiet = true;
    } else if (arg == "--hex") {
      if (i + 1 >= argc) {
        std::cerr << "plait-wire: --hex needs a value\n" << kUsage;
        return 2;
      }
      inputs.emplace_back(argv[++i], true);
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (absl::StartsWith(arg, "-")) {
      std::cerr << "plait-wire: unknown flag " << arg << "\n" << kUsage;
      return 2;
    } else {
      inputs.emplace_back(arg, false);
    }
  }
  if (inputs.empty()) {
    std::cerr << "plait-wire: nothing to decode\n" << kUsage;
    return 2;
  }

  TraceDecoder decoder;
  bool damaged_input = false;  // a pcap file with a damaged record
  auto emit = [&](const std::string& line) {
    if (!quiet) std::cout << line << "\n";
  };
  for (const auto& [input, is_hex] : inputs) {
    std::vector<uint8_t> bytes;
    if (is_hex) {
      // absl::ascii_isxdigit takes any char (std::isxdigit is undefined for
      // negative values, i.e. non-ASCII bytes of a signed char).
      const bool is_hex_text =
          input.size() % 2 == 0 &&
          std::all_of(input.begin(), input.end(),
                      [](char c) { return absl::ascii_isxdigit(c); });
      if (!is_hex_text) {
        std::cerr << "plait-wire: --hex value is not an even number of hex "
                     "digits: "
                  << input << "\n";
        return 2;
      }
      // Abseil 20220623 (Debian bookworm) has only this form, which assumes
      // valid input: hence the check above. Newer Abseil has a bool-returning
      // two-argument overload.
      const std::string raw = absl::HexStringToBytes(input);
      bytes.assign(raw.begin(), raw.end());
      emit(decoder.Decode(bytes, 0));
      continue;
    }
    if (!ReadFile(input, &bytes)) {
      std::cerr << "plait-wire: cannot read " << input << "\n";
      return 2;
    }
    if (!LooksLikePcap(bytes)) {
      emit(decoder.Decode(bytes, 0));
      continue;
    }
    auto reader = plait::wire::PcapReader::Open(bytes);
    if (!reader.ok()) {
      std::cerr << "plait-wire: " << input << ": " << reader.status().message()
                << "\n";
      return 2;
    }
    if (!plait::wire::IsSupportedLinkType(reader->link_type())) {
      std::cerr << "plait-wire: " << input << ": pcap link type "
                << reader->link_type() << " is not supported\n";
      return 2;
    }
    if (!quiet) std::cout << "== " << input << "\n";
    plait::wire::PcapRecord record;
    while (reader->Next(&record)) {
      if (record.data.size() < record.original_length) {
        // Cut by the snap length: the packet cannot be decoded whole.
        emit(decoder.Truncated(record.data.size(), record.original_length,
                               record.timestamp_ns));
        continue;
      }
      auto packet =
          plait::wire::IpPacketInFrame(reader->link_type(), record.data);
      if (!packet.ok()) {
        if (absl::IsNotFound(packet.status())) continue;  // ARP and the like
        emit(decoder.Undecodable(packet.status().message(),
                                 record.timestamp_ns));
        continue;
      }
      emit(decoder.Decode(*packet, record.timestamp_ns));
    }
    if (!reader->error().ok()) {
      // A damaged or cut-off record ends this file; what was read is kept.
      std::cerr << "plait-wire: " << input << ": " << reader->error().message()
                << "; rest of the file skipped\n";
      damaged_input = true;
    }
  }
  std::cout << decoder.summary().ToString() << "\n";
  if (damaged_input) return 2;
  if (check && !decoder.summary().clean()) {
    std::cerr << "plait-wire: --check: the packets are not all clean\n";
    return 1;
  }
  return 0;
}

// plait-wire: decodes TCP/MPTCP packets from pcap files or raw IP packets
// (one per .bin file, or given as hex) with Plait's own parsers, and checks
// TCP and DSS checksums. With --check it exits 1 unless every packet is clean,
// so that tests can assert that a capture of Plait's traffic is well formed.
// Records cut by the capture's snap length are reported as truncated and do
// not make a capture unclean; a record whose frame cannot be unwrapped is
// reported (as malformed) and decoding goes on with the next one.
#include <algorithm>
#include <cstdio>
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

namespace {

constexpr char kUsage[] =
    "usage: plait-wire [--check] [--quiet] [--hex HEX]... [FILE]...\n"
    "  FILE      a classic pcap file (Ethernet, raw IP or Linux SLL frames),\n"
    "            or any other file holding one raw IP packet\n"
    "  --hex HEX one raw IP packet given in hexadecimal\n"
    "  --check   exit 1 if any packet is malformed, has a wrong TCP or DSS\n"
    "            checksum, or carries a malformed option\n"
    "  --quiet   print only the summary\n";

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

}  // namespace

int main(int argc, char** argv) {
  using plait::wire::TraceDecoder;
  bool check = false;
  bool quiet = false;
  std::vector<std::pair<std::string, bool>> inputs;  // (text, is_hex)
  for (int i = 1; i < argc; ++i) {
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

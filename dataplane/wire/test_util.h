// Helpers shared by the dataplane/wire tests (testonly).
#ifndef PLAIT_DATAPLANE_WIRE_TEST_UTIL_H_
#define PLAIT_DATAPLANE_WIRE_TEST_UTIL_H_

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "dataplane/wire/pcap_file.h"
#include "gtest/gtest.h"

namespace plait::wire::testing_util {

// "45 00 0a" -> {0x45, 0x00, 0x0a}. Lower-case hex digits only; every other
// character (spaces, newlines) is ignored, and an odd trailing digit is
// dropped.
inline std::vector<uint8_t> FromHex(absl::string_view hex) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      continue;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

// The bytes of a file (tests run in the runfiles tree, so paths are relative
// to the workspace root).
inline std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The IP packets of a capture in dataplane/wire/testdata, in file order
// (frames that carry no IP, such as ARP, left out).
inline std::vector<std::vector<uint8_t>> CapturePackets(
    const std::string& name) {
  const std::vector<uint8_t> file = ReadFile("dataplane/wire/testdata/" + name);
  std::vector<std::vector<uint8_t>> packets;
  auto reader = PcapReader::Open(file);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return packets;
  PcapRecord record;
  while (reader->Next(&record)) {
    auto packet = IpPacketInFrame(reader->link_type(), record.data);
    if (packet.ok()) packets.emplace_back(packet->begin(), packet->end());
  }
  return packets;
}

}  // namespace plait::wire::testing_util

#endif  // PLAIT_DATAPLANE_WIRE_TEST_UTIL_H_

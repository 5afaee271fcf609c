// libFuzzer target for the receive side of the UDP encapsulation: arbitrary
// datagrams into Decapsulate, and every inner packet it accepts into the
// segment parser, as UdpTransport and the stack do. Beyond "never crash,
// never read out of bounds" (ASan, UBSan), it checks that an accepted
// datagram is exactly header + inner packet: re-encapsulating the inner
// packet gives back the input byte for byte, and the addresses agree with
// the IP parser's.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/types/span.h"
#include "dataplane/io/udp/encapsulation.h"
#include "dataplane/wire/ip_header.h"
#include "dataplane/wire/segment.h"

namespace plait::io::udp {
namespace {

void Fail(const char* what) {
  std::fprintf(stderr, "decapsulate_fuzzer: property violated: %s\n", what);
  std::abort();
}

void Check(absl::Span<const uint8_t> datagram) {
  const Decapsulated d = Decapsulate(datagram);
  if (!d.ok) {
    if (!d.packet.empty()) Fail("rejected datagram with an inner packet");
    return;
  }
  if (d.packet.data() != datagram.data() + kHeaderSize ||
      d.packet.size() + kHeaderSize != datagram.size()) {
    Fail("inner packet is not the rest of the datagram");
  }
  std::vector<uint8_t> again(kHeaderSize);
  WriteHeader(absl::MakeSpan(again));
  again.insert(again.end(), d.packet.begin(), d.packet.end());
  if (again.size() != datagram.size() ||
      std::memcmp(again.data(), datagram.data(), again.size()) != 0) {
    Fail("re-encapsulation differs from the accepted datagram");
  }
  // The full IP parser may still refuse what the cheap check accepted (bad
  // extension headers, fragments); when it accepts, it must agree.
  auto ip = wire::ParseIpPacket(d.packet);
  if (ip.ok() && (ip->src != d.src || ip->dst != d.dst)) {
    Fail("addresses differ from the IP parser's");
  }
  (void)wire::ParseSegment(d.packet);
}

}  // namespace
}  // namespace plait::io::udp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  plait::io::udp::Check(absl::MakeConstSpan(data, size));
  return 0;
}

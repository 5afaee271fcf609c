// libFuzzer target for everything that parses bytes from the network. Beyond
// "never crash, never read out of bounds" (ASan and UBSan check that), it
// checks one property: every MPTCP option the parser accepts is re-encoded by
// the writer and parses back to the same value; the option writer lays out
// any accepted set of options into a layout the parsers accept again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/types/span.h"
#include "dataplane/wire/ip_header.h"
#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/option_writer.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/tcp_header.h"
#include "dataplane/wire/tcp_options.h"

namespace plait::wire {
namespace {

void Fail(const char* what) {
  std::fprintf(stderr, "segment_fuzzer: property violated: %s\n", what);
  std::abort();
}

void CheckMptcpRoundTrip(const MptcpOption& option) {
  uint8_t buffer[kMaxMptcpOptionLength];
  ByteWriter out(absl::MakeSpan(buffer));
  if (!WriteMptcpOption(option, out)) Fail("parsed MPTCP option not writable");
  auto back = ParseMptcpOption(absl::MakeConstSpan(buffer, out.written()));
  if (!back.ok()) Fail("re-encoded MPTCP option does not parse");
  if (!(*back == option)) Fail("MPTCP option changed in a round trip");
}

void CheckLayout(const Segment& segment) {
  OptionWriter writer;
  if (segment.options.timestamps)
    writer.Add(TcpOption{*segment.options.timestamps});
  if (segment.options.mss)
    writer.Add(TcpOption{MssOption{*segment.options.mss}});
  for (const MptcpOption& option : segment.mptcp_options()) writer.Add(option);
  auto layout = writer.Finish();
  if (!layout.ok()) Fail("option writer refused parsed options");
  auto reparsed = ParseTcpOptions(layout->option_bytes());
  if (!reparsed.ok()) Fail("option writer output does not parse");
  if (reparsed->problem_count != 0) Fail("option writer output has problems");
  for (auto bytes : reparsed->mptcp_options()) {
    if (!ParseMptcpOption(bytes).ok()) Fail("laid-out MPTCP option broken");
  }
}

}  // namespace
}  // namespace plait::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plait::wire;
  const absl::Span<const uint8_t> input(data, size);

  // The whole path, as packets from TUN or UDP take it.
  auto segment = ParseSegment(input);
  if (segment.ok()) {
    for (const MptcpOption& option : segment->mptcp_options()) {
      CheckMptcpRoundTrip(option);
    }
    CheckLayout(*segment);
  }

  // Each layer on its own, so that inputs need not carry a valid IP header
  // and checksum to reach the inner parsers.
  (void)ParseTcpHeader(input);
  (void)ParseTcpOptions(input.subspan(0, size < 40 ? size : 40));
  if (size >= 2 && size <= kMaxMptcpOptionLength) {
    std::array<uint8_t, kMaxMptcpOptionLength> option;
    std::copy(data, data + size, option.begin());
    option[0] = kMptcpOptionKind;
    option[1] = static_cast<uint8_t>(size);
    auto parsed = ParseMptcpOption(absl::MakeConstSpan(option.data(), size));
    if (parsed.ok()) CheckMptcpRoundTrip(*parsed);
  }
  return 0;
}

// libFuzzer target for everything that parses bytes from the network. Beyond
// "never crash, never read out of bounds" (ASan and UBSan check that), it
// checks two properties: every MPTCP option the parser accepts is re-encoded
// by the writer and parses back to the same value; and the option writer lays
// out every option a segment's parse found (TCP and MPTCP) into bytes that
// parse back to the same values, minus exactly what it reported omitted.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

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

bool SameBytes(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Lays out every option the parser found (the TCP ones and the MPTCP ones
// that parsed) and checks that parsing the layout gives back exactly what went
// in, minus what the writer reported as omitted (and SACK blocks beyond those
// it reported as written).
void CheckLayout(const Segment& segment) {
  const TcpOptions& in = segment.options;
  OptionWriter writer;
  constexpr size_t kNone = OptionLayout::kMaxOptions;
  size_t mss = kNone, window_scale = kNone, sack_permitted = kNone,
         sack = kNone, timestamps = kNone, fastopen = kNone;
  if (in.mss) mss = writer.Add(TcpOption{MssOption{*in.mss}});
  if (in.window_scale) {
    window_scale = writer.Add(TcpOption{WindowScaleOption{*in.window_scale}});
  }
  if (in.sack_permitted) {
    sack_permitted = writer.Add(TcpOption{SackPermittedOption{}});
  }
  if (in.sack_block_count > 0) {
    SackOption option;
    option.blocks = in.sack_blocks;
    option.count = in.sack_block_count;
    sack = writer.Add(TcpOption{option});
  }
  if (in.timestamps) timestamps = writer.Add(TcpOption{*in.timestamps});
  if (in.fastopen_cookie) {
    fastopen = writer.Add(TcpOption{FastOpenOption{*in.fastopen_cookie}});
  }
  std::array<size_t, Segment::kMaxMptcp> mptcp_index{};
  for (size_t i = 0; i < segment.mptcp_count; ++i) {
    mptcp_index[i] = writer.Add(segment.mptcp[i]);
  }
  auto layout = writer.Finish();
  if (!layout.ok()) Fail("option writer refused parsed options");
  std::array<bool, OptionLayout::kMaxOptions + 1> omitted{};
  for (uint8_t i : layout->omitted_indices()) {
    if (i >= OptionLayout::kMaxOptions) Fail("omitted index out of range");
    omitted[i] = true;
  }
  auto kept = [&](size_t index) { return index != kNone && !omitted[index]; };

  auto out = ParseTcpOptions(layout->option_bytes());
  if (!out.ok()) Fail("option writer output does not parse");
  if (out->problem_count != 0) Fail("option writer output has problems");
  if (out->unknown_count != 0) Fail("option writer output has unknown kinds");

  if (out->mss != (kept(mss) ? in.mss : std::nullopt)) Fail("MSS changed");
  if (out->window_scale !=
      (kept(window_scale) ? in.window_scale : std::nullopt))
    Fail("window scale changed");
  if (out->sack_permitted != kept(sack_permitted)) {
    Fail("SACK-permitted changed");
  }
  if (out->timestamps != (kept(timestamps) ? in.timestamps : std::nullopt)) {
    Fail("timestamps changed");
  }
  const size_t blocks = kept(sack) ? layout->sack_blocks_written : 0;
  if (kept(sack) && (blocks == 0 || blocks > in.sack_block_count)) {
    Fail("SACK kept with a wrong block count");
  }
  if (out->sack_block_count != blocks) Fail("SACK block count changed");
  for (size_t b = 0; b < blocks; ++b) {
    if (!(out->sack_blocks[b] == in.sack_blocks[b])) Fail("SACK block changed");
  }
  if (out->fastopen_cookie.has_value() != kept(fastopen)) {
    Fail("TFO presence changed");
  }
  if (kept(fastopen) &&
      !SameBytes(*out->fastopen_cookie, *in.fastopen_cookie)) {
    Fail("TFO cookie changed");
  }

  // MPTCP options come back in priority order: match them as a multiset.
  std::array<bool, Segment::kMaxMptcp> matched{};
  size_t expected = 0;
  for (size_t i = 0; i < segment.mptcp_count; ++i) {
    if (kept(mptcp_index[i])) ++expected;
  }
  if (out->mptcp_count != expected) Fail("MPTCP option count changed");
  for (auto bytes : out->mptcp_options()) {
    auto back = ParseMptcpOption(bytes);
    if (!back.ok()) Fail("laid-out MPTCP option broken");
    bool found = false;
    for (size_t i = 0; i < segment.mptcp_count && !found; ++i) {
      if (matched[i] || !kept(mptcp_index[i])) continue;
      if (segment.mptcp[i] == *back) found = matched[i] = true;
    }
    if (!found) Fail("laid-out MPTCP option is not one that went in");
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

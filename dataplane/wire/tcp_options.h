// TCP options: parsing the option space of a TCP header into TcpOptions, and
// encoding single options.
//
// Known kinds: EOL 0, NOP 1, MSS 2, window scale 3 (RFC 7323), SACK-permitted
// 4 and SACK 5 (RFC 2018), timestamps 8 (RFC 7323), MPTCP 30 (RFC 8684), TCP
// Fast Open 34 (RFC 7413). MPTCP options are not interpreted here: they are
// handed on as raw spans of the whole option (kind and length included) for
// the MPTCP parser. Other kinds are recorded as raw spans too and skipped.
//
// Error policy of ParseTcpOptions:
//  - A structural error that makes the rest of the option space unreadable
//    returns an InvalidArgument status naming the kind, offset and lengths:
//    a missing length byte, a length byte below 2, or a length running past
//    the end of the option space. So does an option space above 40 bytes.
//  - A known option with the wrong length, a duplicate of a non-repeatable
//    option (MSS, window scale, SACK-permitted, SACK, timestamps, TFO), or
//    more than kMaxMptcp MPTCP options is skipped and recorded in `problems`;
//    parsing continues. A window scale shift above 14 is recorded and clamped
//    to 14 (RFC 7323 section 2.3). Linux likewise ignores such options rather
//    than dropping the segment.
//  - EOL ends parsing; the bytes after it are padding and are not examined.
//
// The parser is zero-copy and allocation-free: spans point into the caller's
// buffer, and all lists are fixed arrays with counts.
#ifndef PLAIT_DATAPLANE_WIRE_TCP_OPTIONS_H_
#define PLAIT_DATAPLANE_WIRE_TCP_OPTIONS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/tcp_option_space.h"

namespace plait::wire {

inline constexpr uint8_t kTcpOptionEol = 0;
inline constexpr uint8_t kTcpOptionNop = 1;
inline constexpr uint8_t kTcpOptionMss = 2;
inline constexpr uint8_t kTcpOptionWindowScale = 3;
inline constexpr uint8_t kTcpOptionSackPermitted = 4;
inline constexpr uint8_t kTcpOptionSack = 5;
inline constexpr uint8_t kTcpOptionTimestamps = 8;
inline constexpr uint8_t kTcpOptionMptcp = 30;
inline constexpr uint8_t kTcpOptionFastOpen = 34;

// The largest window scale shift RFC 7323 allows.
inline constexpr uint8_t kTcpMaxWindowScale = 14;

// "MSS", "window scale", ... or "unknown" for kinds not listed above.
const char* TcpOptionName(uint8_t kind);

struct SackBlock {
  uint32_t left = 0;   // first sequence number of the block
  uint32_t right = 0;  // sequence number just after the block
  friend bool operator==(const SackBlock&, const SackBlock&) = default;
};

// An option that ParseTcpOptions skipped (see the error policy above).
struct OptionProblem {
  uint8_t kind = 0;
  uint8_t offset = 0;     // of the kind byte within the option space
  uint8_t length = 0;     // the option's length byte
  const char* what = "";  // static text, e.g. "expected length 4"
};

// "TCP option kind 2 (MSS) at offset 4, length 3: expected length 4".
std::string DescribeOptionProblem(const OptionProblem& problem);

// The writable options, one struct per kind (see TcpOption below).
struct MssOption {
  uint16_t mss = 0;
};
struct WindowScaleOption {
  uint8_t shift = 0;  // 0..14
};
struct SackPermittedOption {};
struct SackOption {
  std::array<SackBlock, 4> blocks{};
  uint8_t count = 0;  // 1..4
};
struct TimestampsOption {
  uint32_t tsval = 0;
  uint32_t tsecr = 0;
  friend bool operator==(const TimestampsOption&,
                         const TimestampsOption&) = default;
};
struct FastOpenOption {
  // Empty: a cookie request. Otherwise 4..16 bytes, even length.
  absl::Span<const uint8_t> cookie;
};
// An option that is already encoded, kind and length included (MPTCP).
struct RawOption {
  absl::Span<const uint8_t> bytes;
};

// Everything ParseTcpOptions found in one segment's option space.
struct TcpOptions {
  static constexpr size_t kMaxSackBlocks = 4;
  static constexpr size_t kMaxMptcp = 8;
  static constexpr size_t kMaxProblems = 8;
  // Every option takes at least 2 bytes of the 40, so this never overflows.
  static constexpr size_t kMaxUnknown = kTcpOptionSpace / 2;

  std::optional<uint16_t> mss;
  std::optional<uint8_t> window_scale;  // clamped to 14
  bool sack_permitted = false;
  std::array<SackBlock, kMaxSackBlocks> sack_blocks{};
  uint8_t sack_block_count = 0;
  std::optional<TimestampsOption> timestamps;
  // Present if a TFO option was seen; an empty span is a cookie request.
  std::optional<absl::Span<const uint8_t>> fastopen_cookie;
  // Whole MPTCP options (kind 30, length byte, then the rest), in order.
  std::array<absl::Span<const uint8_t>, kMaxMptcp> mptcp{};
  uint8_t mptcp_count = 0;
  // Whole options of unknown kinds, in order; the kind is bytes[0].
  std::array<absl::Span<const uint8_t>, kMaxUnknown> unknown{};
  uint8_t unknown_count = 0;
  // Options skipped as malformed; problems beyond kMaxProblems are only
  // counted in problems_dropped.
  std::array<OptionProblem, kMaxProblems> problems{};
  uint8_t problem_count = 0;
  uint8_t problems_dropped = 0;

  absl::Span<const SackBlock> sack() const {
    return absl::MakeConstSpan(sack_blocks.data(), sack_block_count);
  }
  absl::Span<const absl::Span<const uint8_t>> mptcp_options() const {
    return absl::MakeConstSpan(mptcp.data(), mptcp_count);
  }
  absl::Span<const absl::Span<const uint8_t>> unknown_options() const {
    return absl::MakeConstSpan(unknown.data(), unknown_count);
  }
  absl::Span<const OptionProblem> problem_list() const {
    return absl::MakeConstSpan(problems.data(), problem_count);
  }
};

// Parses a TCP option space (TcpHeader::options, at most 40 bytes) following
// the error policy at the top of this file.
absl::StatusOr<TcpOptions> ParseTcpOptions(absl::Span<const uint8_t> options);

// One option to write. WriteTcpOption writes exactly the option, no padding:
// the option writer arranges NOPs for alignment and the 4-byte multiple.
using TcpOption =
    std::variant<MssOption, WindowScaleOption, SackPermittedOption, SackOption,
                 TimestampsOption, FastOpenOption, RawOption>;

// OK if the option encodes to something ParseTcpOptions accepts without a
// problem: window shift <= 14, SACK count 1..4, TFO cookie empty or 4..16
// bytes of even length, raw option of 2..40 bytes whose length byte matches.
absl::Status ValidateTcpOption(const TcpOption& option);

// The number of bytes WriteTcpOption writes: MSS 4, window scale 3,
// SACK-permitted 2, SACK 2 + 8 * count, timestamps 10, TFO 2 + cookie size,
// raw: its size.
size_t EncodedLength(const TcpOption& option);

// Writes the option as given (kind, length, value); fields are not checked
// (use ValidateTcpOption), except that a SACK count above 4 writes 4 blocks.
// Running out of room marks `out` failed.
void WriteTcpOption(const TcpOption& option, ByteWriter& out);

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_TCP_OPTIONS_H_

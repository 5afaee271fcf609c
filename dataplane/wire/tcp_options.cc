#include "dataplane/wire/tcp_options.h"

#include <algorithm>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace plait::wire {
namespace {

absl::Status OptionError(uint8_t kind, size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("TCP option kind ", kind, " (", TcpOptionName(kind),
                   ") at offset ", offset, ": ", what));
}

void AddProblem(TcpOptions& opts, uint8_t kind, size_t offset, uint8_t length,
                const char* what) {
  if (opts.problem_count == TcpOptions::kMaxProblems) {
    ++opts.problems_dropped;
    return;
  }
  opts.problems[opts.problem_count++] =
      OptionProblem{kind, static_cast<uint8_t>(offset), length, what};
}

constexpr const char* kDuplicate = "duplicate ignored";

bool IsValidSackLength(size_t length) {
  return length >= 10 && length <= 34 && (length - 2) % 8 == 0;
}

bool IsValidFastOpenLength(size_t length) {
  return length == 2 || (length >= 6 && length <= 18 && length % 2 == 0);
}

}  // namespace

const char* TcpOptionName(uint8_t kind) {
  switch (kind) {
    case kTcpOptionEol:
      return "EOL";
    case kTcpOptionNop:
      return "NOP";
    case kTcpOptionMss:
      return "MSS";
    case kTcpOptionWindowScale:
      return "window scale";
    case kTcpOptionSackPermitted:
      return "SACK-permitted";
    case kTcpOptionSack:
      return "SACK";
    case kTcpOptionTimestamps:
      return "timestamps";
    case kTcpOptionMptcp:
      return "MPTCP";
    case kTcpOptionFastOpen:
      return "TCP Fast Open";
  }
  return "unknown";
}

std::string DescribeOptionProblem(const OptionProblem& problem) {
  return absl::StrCat("TCP option kind ", problem.kind, " (",
                      TcpOptionName(problem.kind), ") at offset ",
                      problem.offset, ": length ", problem.length, ", ",
                      problem.what);
}

absl::StatusOr<TcpOptions> ParseTcpOptions(absl::Span<const uint8_t> options) {
  if (options.size() > kTcpOptionSpace) {
    return absl::InvalidArgumentError(
        absl::StrCat("TCP options: ", options.size(),
                     " bytes exceed the maximum ", kTcpOptionSpace));
  }
  TcpOptions opts;
  ByteReader r(options);
  while (r.remaining() > 0) {
    const size_t offset = r.position();
    uint8_t kind = 0;
    r.ReadU8(&kind);
    if (kind == kTcpOptionEol) break;
    if (kind == kTcpOptionNop) continue;

    uint8_t length = 0;
    if (!r.ReadU8(&length)) {
      return OptionError(kind, offset,
                         "length byte missing at the end of the option space");
    }
    if (length < 2) {
      return OptionError(
          kind, offset,
          absl::StrCat("length ", length, " is below the minimum 2"));
    }
    absl::Span<const uint8_t> body;
    if (!r.ReadBytes(length - 2, &body)) {
      return OptionError(
          kind, offset,
          absl::StrCat("length ", length, " runs past the end of the ",
                       options.size(), "-byte option space (",
                       2 + r.remaining(), " bytes left)"));
    }
    const absl::Span<const uint8_t> whole = options.subspan(offset, length);
    ByteReader value(body);

    switch (kind) {
      case kTcpOptionMss: {
        if (length != 4) {
          AddProblem(opts, kind, offset, length, "expected 4");
        } else if (opts.mss.has_value()) {
          AddProblem(opts, kind, offset, length, kDuplicate);
        } else {
          uint16_t mss = 0;
          value.ReadU16(&mss);
          opts.mss = mss;
        }
        break;
      }
      case kTcpOptionWindowScale: {
        if (length != 3) {
          AddProblem(opts, kind, offset, length, "expected 3");
        } else if (opts.window_scale.has_value()) {
          AddProblem(opts, kind, offset, length, kDuplicate);
        } else {
          uint8_t shift = 0;
          value.ReadU8(&shift);
          if (shift > kTcpMaxWindowScale) {
            AddProblem(opts, kind, offset, length,
                       "shift above 14 clamped to 14");
            shift = kTcpMaxWindowScale;
          }
          opts.window_scale = shift;
        }
        break;
      }
      case kTcpOptionSackPermitted: {
        if (length != 2) {
          AddProblem(opts, kind, offset, length, "expected 2");
        } else if (opts.sack_permitted) {
          AddProblem(opts, kind, offset, length, kDuplicate);
        } else {
          opts.sack_permitted = true;
        }
        break;
      }
      case kTcpOptionSack: {
        if (!IsValidSackLength(length)) {
          AddProblem(opts, kind, offset, length, "expected 10, 18, 26 or 34");
        } else if (opts.sack_block_count != 0) {
          AddProblem(opts, kind, offset, length, kDuplicate);
        } else {
          const size_t count = (length - 2) / 8;
          for (size_t i = 0; i < count; ++i) {
            value.ReadU32(&opts.sack_blocks[i].left);
            value.ReadU32(&opts.sack_blocks[i].right);
          }
          opts.sack_block_count = static_cast<uint8_t>(count);
        }
        break;
      }
      case kTcpOptionTimestamps: {
        if (length != 10) {
          AddProblem(opts, kind, offset, length, "expected 10");
        } else if (opts.timestamps.has_value()) {
          AddProblem(opts, kind, offset, length, kDuplicate);
        } else {
          TimestampsOption ts;
          value.ReadU32(&ts.tsval);
          value.ReadU32(&ts.tsecr);
          opts.timestamps = ts;
        }
        break;
      }
      case kTcpOptionFastOpen: {
        if (!IsValidFastOpenLength(length)) {
          AddProblem(opts, kind, offset, length, "expected 2 or an even 6..18");
        } else if (opts.fastopen_cookie.has_value()) {
          AddProblem(opts, kind, offset, length, kDuplicate);
        } else {
          opts.fastopen_cookie = body;
        }
        break;
      }
      case kTcpOptionMptcp: {
        if (opts.mptcp_count == TcpOptions::kMaxMptcp) {
          AddProblem(opts, kind, offset, length,
                     "more than 8 MPTCP options, ignored");
        } else {
          opts.mptcp[opts.mptcp_count++] = whole;
        }
        break;
      }
      default:
        // At most 40 / 2 options fit, so there is always room.
        if (opts.unknown_count < TcpOptions::kMaxUnknown) {
          opts.unknown[opts.unknown_count++] = whole;
        }
        break;
    }
  }
  return opts;
}

absl::Status ValidateTcpOption(const TcpOption& option) {
  auto invalid = [](uint8_t kind, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TCP option kind ", kind, " (", TcpOptionName(kind), "): ", what));
  };
  if (const auto* ws = std::get_if<WindowScaleOption>(&option)) {
    if (ws->shift > kTcpMaxWindowScale) {
      return invalid(kTcpOptionWindowScale,
                     absl::StrCat("shift ", ws->shift, " exceeds 14"));
    }
  } else if (const auto* sack = std::get_if<SackOption>(&option)) {
    if (sack->count < 1 || sack->count > 4) {
      return invalid(kTcpOptionSack,
                     absl::StrCat(sack->count, " blocks, expected 1..4"));
    }
  } else if (const auto* tfo = std::get_if<FastOpenOption>(&option)) {
    const size_t n = tfo->cookie.size();
    if (n != 0 && (n < 4 || n > 16 || n % 2 != 0)) {
      return invalid(
          kTcpOptionFastOpen,
          absl::StrCat("cookie of ", n, " bytes, expected 0 or an even 4..16"));
    }
  } else if (const auto* raw = std::get_if<RawOption>(&option)) {
    const size_t n = raw->bytes.size();
    if (n < 2 || n > kTcpOptionSpace) {
      return absl::InvalidArgumentError(absl::StrCat(
          "raw TCP option of ", n, " bytes, expected 2..", kTcpOptionSpace));
    }
    if (raw->bytes[1] != n) {
      return invalid(raw->bytes[0],
                     absl::StrCat("length byte ", raw->bytes[1],
                                  " does not match the ", n, " bytes given"));
    }
  }
  return absl::OkStatus();
}

size_t EncodedLength(const TcpOption& option) {
  return std::visit(
      [](const auto& o) -> size_t {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, MssOption>) {
          return 4;
        } else if constexpr (std::is_same_v<T, WindowScaleOption>) {
          return 3;
        } else if constexpr (std::is_same_v<T, SackPermittedOption>) {
          return 2;
        } else if constexpr (std::is_same_v<T, SackOption>) {
          return 2 + 8 * std::min<size_t>(o.count, o.blocks.size());
        } else if constexpr (std::is_same_v<T, TimestampsOption>) {
          return 10;
        } else if constexpr (std::is_same_v<T, FastOpenOption>) {
          return 2 + o.cookie.size();
        } else {
          static_assert(std::is_same_v<T, RawOption>);
          return o.bytes.size();
        }
      },
      option);
}

void WriteTcpOption(const TcpOption& option, ByteWriter& out) {
  const size_t length = EncodedLength(option);
  std::visit(
      [&out, length](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        auto header = [&out, length](uint8_t kind) {
          out.WriteU8(kind);
          out.WriteU8(static_cast<uint8_t>(length));
        };
        if constexpr (std::is_same_v<T, MssOption>) {
          header(kTcpOptionMss);
          out.WriteU16(o.mss);
        } else if constexpr (std::is_same_v<T, WindowScaleOption>) {
          header(kTcpOptionWindowScale);
          out.WriteU8(o.shift);
        } else if constexpr (std::is_same_v<T, SackPermittedOption>) {
          header(kTcpOptionSackPermitted);
        } else if constexpr (std::is_same_v<T, SackOption>) {
          header(kTcpOptionSack);
          for (size_t i = 0; i < (length - 2) / 8; ++i) {
            out.WriteU32(o.blocks[i].left);
            out.WriteU32(o.blocks[i].right);
          }
        } else if constexpr (std::is_same_v<T, TimestampsOption>) {
          header(kTcpOptionTimestamps);
          out.WriteU32(o.tsval);
          out.WriteU32(o.tsecr);
        } else if constexpr (std::is_same_v<T, FastOpenOption>) {
          header(kTcpOptionFastOpen);
          out.WriteBytes(o.cookie);
        } else {
          static_assert(std::is_same_v<T, RawOption>);
          out.WriteBytes(o.bytes);
        }
      },
      option);
}

}  // namespace plait::wire

#include "dataplane/wire/option_writer.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dataplane/wire/byte_io.h"

namespace plait::wire {
namespace {

using Option = OptionWriter::Option;

// Which option a variant holds, for priorities and layout. The TCP kinds are
// declared in the order Linux writes them (tcp_options_write): LayoutRank uses
// the enumerator values as layout positions, so reordering them changes the
// layout. The static_asserts below pin that order.
enum class Kind {
  kMss,
  kSackPermitted,
  kTimestamps,
  kWindowScale,
  kSack,
  kFastOpen,
  kRaw,
  kMptcp,
};
static_assert(Kind::kMss < Kind::kSackPermitted &&
                  Kind::kSackPermitted < Kind::kTimestamps &&
                  Kind::kTimestamps < Kind::kWindowScale &&
                  Kind::kWindowScale < Kind::kSack &&
                  Kind::kSack < Kind::kFastOpen && Kind::kFastOpen < Kind::kRaw,
              "Kind must list TCP options in Linux's write order");
static_assert(static_cast<int>(Kind::kMptcp) < 100,
              "LayoutRank puts MPTCP options at 100 + priority, after TCP");

// The TCP option kind byte of a typed TCP option; 0 for kRaw and kMptcp
// (whose kind byte is in the option itself).
constexpr uint8_t KindByte(Kind kind) {
  switch (kind) {
    case Kind::kMss:
      return kTcpOptionMss;
    case Kind::kSackPermitted:
      return kTcpOptionSackPermitted;
    case Kind::kTimestamps:
      return kTcpOptionTimestamps;
    case Kind::kWindowScale:
      return kTcpOptionWindowScale;
    case Kind::kSack:
      return kTcpOptionSack;
    case Kind::kFastOpen:
      return kTcpOptionFastOpen;
    case Kind::kRaw:
    case Kind::kMptcp:
      break;
  }
  return 0;
}

Kind KindOf(const Option& option) {
  if (std::holds_alternative<MptcpOption>(option)) return Kind::kMptcp;
  const auto& tcp = std::get<TcpOption>(option);
  if (std::holds_alternative<MssOption>(tcp)) return Kind::kMss;
  if (std::holds_alternative<SackPermittedOption>(tcp)) {
    return Kind::kSackPermitted;
  }
  if (std::holds_alternative<TimestampsOption>(tcp)) return Kind::kTimestamps;
  if (std::holds_alternative<WindowScaleOption>(tcp)) return Kind::kWindowScale;
  if (std::holds_alternative<SackOption>(tcp)) return Kind::kSack;
  if (std::holds_alternative<FastOpenOption>(tcp)) return Kind::kFastOpen;
  return Kind::kRaw;
}

// The priority classes of the header comment; lower is chosen first.
int Priority(const Option& option) {
  switch (KindOf(option)) {
    case Kind::kMss:
      return 1;
    case Kind::kTimestamps:
      return 4;
    case Kind::kWindowScale:
    case Kind::kSackPermitted:
    case Kind::kFastOpen:
      return 6;
    case Kind::kSack:
      return 8;
    case Kind::kRaw:
      return 9;
    case Kind::kMptcp:
      break;
  }
  switch (SubtypeOf(std::get<MptcpOption>(option))) {
    case MptcpSubtype::kMpCapable:
    case MptcpSubtype::kMpJoin:
      return 2;
    case MptcpSubtype::kMpTcpRst:
    case MptcpSubtype::kMpFastclose:
    case MptcpSubtype::kMpFail:
      return 3;
    case MptcpSubtype::kDss:
      return 5;
    case MptcpSubtype::kAddAddr:
    case MptcpSubtype::kRemoveAddr:
    case MptcpSubtype::kMpPrio:
      return 7;
    case MptcpSubtype::kMpExperimental:
      return 9;
  }
  return 9;
}

// Position in the layout: TCP options as Linux orders them, then MPTCP ones
// by priority.
int LayoutRank(const Option& option) {
  const Kind kind = KindOf(option);
  if (kind == Kind::kMptcp) return 100 + Priority(option);
  return static_cast<int>(kind);
}

size_t Length(const Option& option) {
  if (const auto* tcp = std::get_if<TcpOption>(&option)) {
    return EncodedLength(*tcp);
  }
  return EncodedLength(std::get<MptcpOption>(option));
}

absl::Status Check(const Option& option) {
  if (const auto* tcp = std::get_if<TcpOption>(&option)) {
    return ValidateTcpOption(*tcp);
  }
  return CheckEncodable(std::get<MptcpOption>(option));
}

std::string NameOf(const Option& option) {
  if (const auto* mptcp = std::get_if<MptcpOption>(&option)) {
    return MptcpSubtypeName(*mptcp);
  }
  const Kind kind = KindOf(option);
  if (kind == Kind::kRaw) return "raw option";
  return TcpOptionName(KindByte(kind));
}

// The TCP kind byte an option goes on the wire with, if it is one of the kinds
// a segment may carry only once (MSS, window scale, SACK-permitted, SACK,
// timestamps, TFO; the parser skips a second one as a problem); 0 otherwise.
// Raw options count by their own kind byte.
uint8_t NonRepeatableKind(const Option& option) {
  const Kind kind = KindOf(option);
  if (kind == Kind::kMptcp) return 0;
  if (kind != Kind::kRaw) return KindByte(kind);
  const auto& raw = std::get<RawOption>(std::get<TcpOption>(option));
  if (raw.bytes.empty()) return 0;
  switch (raw.bytes[0]) {
    case kTcpOptionMss:
    case kTcpOptionWindowScale:
    case kTcpOptionSackPermitted:
    case kTcpOptionSack:
    case kTcpOptionTimestamps:
    case kTcpOptionFastOpen:
      return raw.bytes[0];
    default:
      return 0;
  }
}

void WriteNops(size_t n, ByteWriter& out) {
  for (size_t i = 0; i < n; ++i) out.WriteU8(kTcpOptionNop);
}

// False if the option could not be written whole (WriteMptcpOption then
// writes nothing, WriteTcpOption marks `out` failed).
bool WriteOption(const Option& option, ByteWriter& out) {
  if (const auto* tcp = std::get_if<TcpOption>(&option)) {
    WriteTcpOption(*tcp, out);
    return out.ok();
  }
  return WriteMptcpOption(std::get<MptcpOption>(option), out);
}

// One chosen option, as it will be written.
struct Placed {
  Option option;
  size_t index;
  size_t length;
};

// NOPs around an option in the aligned layout: TCP options are preceded by
// them (so that their values are 32-bit aligned, as Linux writes NOP NOP TS),
// except TFO, which Linux writes as kind, length, cookie and then two NOPs
// when the length is 2 mod 4; MPTCP options are followed by them.
// SACK-permitted directly followed by timestamps shares one 12-byte slot.
struct Padding {
  size_t before = 0;
  size_t after = 0;
};

Padding AlignedPadding(const Placed* previous, const Placed& placed,
                       const Placed* next) {
  const size_t pad = (4 - placed.length % 4) % 4;
  const Kind kind = KindOf(placed.option);
  if (kind == Kind::kSackPermitted && next != nullptr &&
      KindOf(next->option) == Kind::kTimestamps) {
    return {};
  }
  if (kind == Kind::kTimestamps && previous != nullptr &&
      KindOf(previous->option) == Kind::kSackPermitted) {
    return {};
  }
  if (kind == Kind::kMptcp || kind == Kind::kFastOpen) return {0, pad};
  return {pad, 0};
}

// Stable, in place and allocation-free (std::stable_sort takes a temporary
// buffer from the heap): this runs for every segment, on at most 16 items.
template <typename T, typename Less>
void InsertionSort(T* items, size_t n, Less less) {
  for (size_t i = 1; i < n; ++i) {
    T item = std::move(items[i]);
    size_t j = i;
    for (; j > 0 && less(item, items[j - 1]); --j) {
      items[j] = std::move(items[j - 1]);
    }
    items[j] = std::move(item);
  }
}

}  // namespace

size_t OptionWriter::Add(const TcpOption& option) {
  if (count_ < options_.size()) options_[count_++] = option;
  return added_++;
}

size_t OptionWriter::Add(const MptcpOption& option) {
  if (count_ < options_.size()) options_[count_++] = option;
  return added_++;
}

absl::StatusOr<OptionLayout> OptionWriter::Finish() const {
  if (added_ > options_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("option writer: ", added_, " options added, at most ",
                     options_.size(), " are supported"));
  }
  for (size_t i = 0; i < count_; ++i) {
    absl::Status status = Check(options_[i]);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("option writer: option ", i, " (", NameOf(options_[i]),
                       ") cannot be encoded: ", status.message()));
    }
  }
  // The parser would skip the second of these as a problem.
  std::array<size_t, 256> first_of_kind;
  first_of_kind.fill(OptionLayout::kMaxOptions);
  for (size_t i = 0; i < count_; ++i) {
    const uint8_t kind = NonRepeatableKind(options_[i]);
    if (kind == 0) continue;
    if (first_of_kind[kind] != OptionLayout::kMaxOptions) {
      return absl::InvalidArgumentError(absl::StrCat(
          "option writer: option ", i, " (", TcpOptionName(kind),
          ") duplicates option ", first_of_kind[kind],
          "; a segment carries at most one ", TcpOptionName(kind), " option"));
    }
    first_of_kind[kind] = i;
  }

  std::array<size_t, OptionLayout::kMaxOptions> order;
  for (size_t i = 0; i < count_; ++i) order[i] = i;
  InsertionSort(order.data(), count_, [&](size_t a, size_t b) {
    return Priority(options_[a]) < Priority(options_[b]);
  });

  OptionLayout layout;
  std::array<Placed, OptionLayout::kMaxOptions> placed;
  size_t placed_count = 0;
  size_t room = kTcpOptionSpace;
  for (size_t n = 0; n < count_; ++n) {
    const size_t i = order[n];
    Option option = options_[i];
    size_t length = Length(option);
    bool fits = length <= room;
    if (KindOf(option) == Kind::kSack) {  // shrink to the blocks that fit
      auto& sack = std::get<SackOption>(std::get<TcpOption>(option));
      const size_t fit = room >= 10 ? (room - 2) / 8 : 0;
      sack.count = static_cast<uint8_t>(std::min<size_t>(sack.count, fit));
      length = 2 + 8 * size_t{sack.count};
      if (sack.count > 0) layout.sack_blocks_written = sack.count;
      fits = sack.count > 0;
    }
    if (!fits) {
      layout.omitted[layout.omitted_count++] = static_cast<uint8_t>(i);
      continue;
    }
    room -= length;
    placed[placed_count++] = {option, i, length};
  }

  InsertionSort(placed.data(), placed_count,
                [](const Placed& a, const Placed& b) {
                  return LayoutRank(a.option) < LayoutRank(b.option);
                });

  size_t aligned_length = 0;
  for (size_t n = 0; n < placed_count; ++n) {
    const Placed* previous = n > 0 ? &placed[n - 1] : nullptr;
    const Placed* next = n + 1 < placed_count ? &placed[n + 1] : nullptr;
    const Padding pad = AlignedPadding(previous, placed[n], next);
    aligned_length += pad.before + placed[n].length + pad.after;
  }
  layout.aligned = aligned_length <= kTcpOptionSpace;

  ByteWriter out(absl::MakeSpan(layout.bytes));
  for (size_t n = 0; n < placed_count; ++n) {
    const Placed* previous = n > 0 ? &placed[n - 1] : nullptr;
    const Placed* next = n + 1 < placed_count ? &placed[n + 1] : nullptr;
    const Padding pad =
        layout.aligned ? AlignedPadding(previous, placed[n], next) : Padding{};
    WriteNops(pad.before, out);
    // Never drop an option silently: one that was chosen but cannot be
    // written fails the whole layout.
    if (!WriteOption(placed[n].option, out)) {
      return absl::InternalError(
          absl::StrCat("option writer: option ", placed[n].index, " (",
                       NameOf(placed[n].option), ") could not be written"));
    }
    WriteNops(pad.after, out);
  }
  WriteNops((4 - out.written() % 4) % 4, out);
  if (!out.ok()) {
    return absl::InternalError("option writer: layout overflowed 40 bytes");
  }
  layout.length = static_cast<uint8_t>(out.written());
  return layout;
}

}  // namespace plait::wire

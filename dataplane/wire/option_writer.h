// Fits a segment's TCP and MPTCP options into the 40-byte option space.
//
// Options are chosen in a fixed priority order, not in the order they were
// added, so that whatever the caller asks for, the options a segment cannot do
// without are the ones that survive:
//   1. MSS                      (SYN only; without it the peer assumes 536)
//   2. MP_CAPABLE, MP_JOIN      (the handshake cannot be repeated later)
//   3. MP_TCPRST, MP_FASTCLOSE, MP_FAIL   (ride on RSTs; nothing follows them)
//   4. timestamps               (RFC 7323: once negotiated, on every segment)
//   5. DSS                      (data without its mapping cannot be delivered)
//   6. window scale, SACK-permitted, TFO   (SYN negotiation)
//   7. ADD_ADDR, REMOVE_ADDR, MP_PRIO      (retransmitted until answered, so
//                                           they can wait for the next segment)
//   8. SACK blocks              (as many blocks as still fit, at least one)
//   9. MP_EXPERIMENTAL, raw options
// An option that does not fit is left out and reported; smaller ones after it
// are still tried. Choosing uses the options' exact lengths.
//
// A TCP option kind that a segment may carry only once (MSS, window scale,
// SACK-permitted, SACK, timestamps, TFO; raw options count by their kind
// byte) added twice is an error, as the parser would skip the second copy.
//
// Layout: TCP options first in the order Linux writes them (MSS, SACK-permitted
// with timestamps, window scale, SACK, TFO), then MPTCP options in priority
// order. When the chosen options fit that way, they are padded with NOPs as
// Linux lays them out, so that each option together with its padding fills
// whole 32-bit words and the 32-bit fields of the TCP options are 32-bit
// aligned: NOP NOP TS (the option itself starts at offset 2 mod 4, its values
// at 0 mod 4), SACK-permitted directly before TS in one 12-byte slot, NOP WS,
// NOP NOP SACK, and NOPs after MPTCP options. TFO is padded after the cookie
// (kind, length, cookie, NOP NOP), as Linux does. When padding would overflow
// the 40 bytes the options are packed back to back instead. Either way the
// total is padded with NOPs to a multiple of 4, as the data offset requires.
#ifndef PLAIT_DATAPLANE_WIRE_OPTION_WRITER_H_
#define PLAIT_DATAPLANE_WIRE_OPTION_WRITER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/tcp_options.h"

namespace plait::wire {

// What OptionWriter::Finish produced.
struct OptionLayout {
  static constexpr size_t kMaxOptions = 16;

  std::array<uint8_t, kTcpOptionSpace> bytes{};
  uint8_t length = 0;  // a multiple of 4, at most 40
  // True if the padded layout above was used (each option with its NOPs fills
  // whole 32-bit words; TCP options' 32-bit values are aligned), false if the
  // options were packed back to back. Not "every option starts on a 4-byte
  // boundary": in NOP NOP TS the option starts at offset 2 mod 4.
  bool aligned = false;
  // Indices (as returned by Add) of the options left out for lack of room.
  std::array<uint8_t, kMaxOptions> omitted{};
  uint8_t omitted_count = 0;
  // SACK blocks written, when a SACK option was added (may be fewer than
  // asked for; the first blocks are kept, as RFC 2018 wants the most recent
  // block first).
  uint8_t sack_blocks_written = 0;

  absl::Span<const uint8_t> option_bytes() const {
    return absl::MakeConstSpan(bytes.data(), length);
  }
  absl::Span<const uint8_t> omitted_indices() const {
    return absl::MakeConstSpan(omitted.data(), omitted_count);
  }
};

class OptionWriter {
 public:
  using Option = std::variant<TcpOption, MptcpOption>;

  // Adds an option and returns its index for OptionLayout::omitted. Fields are
  // checked in Finish. At most OptionLayout::kMaxOptions options; more is an
  // error reported by Finish. The spans inside options (cookies, raw bytes,
  // experimental payloads) must stay valid until Finish returns.
  size_t Add(const TcpOption& option);
  size_t Add(const MptcpOption& option);

  // Chooses and lays out the options. InvalidArgument (naming the option) if
  // one is not encodable, e.g. a window shift of 15 or a REMOVE_ADDR with no
  // IDs, if a non-repeatable TCP option was added twice, or if more than
  // kMaxOptions were added; Internal if a chosen option could not be written
  // (never silently dropped). Running out of room is not an error.
  absl::StatusOr<OptionLayout> Finish() const;

 private:
  std::array<Option, OptionLayout::kMaxOptions> options_;
  size_t count_ = 0;
  size_t added_ = 0;  // including those beyond kMaxOptions
};

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_OPTION_WRITER_H_

// 32-bit TCP sequence number arithmetic (RFC 1982 serial numbers, RFC 9293
// §3.4) and the conversion between wire sequence numbers and the engine's
// 64-bit stream offsets.
//
// The engine keeps unwrapped 64-bit offsets internally: offset 0 is the first
// data byte after the SYN, so for a direction whose initial sequence number is
// `isn`, data byte `offset` has the wire sequence number isn + 1 + offset
// (mod 2^32). The SYN itself sits at "offset -1", which the unsigned offset
// space cannot name; see Unwrap.
#ifndef PLAIT_DATAPLANE_TCP_SEQ_H_
#define PLAIT_DATAPLANE_TCP_SEQ_H_

#include <cstdint>

namespace plait::tcp {

// a - b as a signed distance, correct whenever the true distance is within
// (-2^31, 2^31). SeqDiff(1, 0xffffffff) == 2.
constexpr int32_t SeqDiff(uint32_t a, uint32_t b) {
  // Two's complement conversion is defined in C++20.
  return static_cast<int32_t>(a - b);
}

// RFC 1982 comparisons. Two numbers exactly 2^31 apart are incomparable in
// RFC 1982; here each is "less" than the other (the int32 difference is
// INT32_MIN), exactly like Linux's before()/after().
constexpr bool SeqLt(uint32_t a, uint32_t b) { return SeqDiff(a, b) < 0; }
constexpr bool SeqLeq(uint32_t a, uint32_t b) { return SeqDiff(a, b) <= 0; }
constexpr bool SeqGt(uint32_t a, uint32_t b) { return SeqDiff(a, b) > 0; }
constexpr bool SeqGeq(uint32_t a, uint32_t b) { return SeqDiff(a, b) >= 0; }

// The wire sequence number of stream offset `offset` (the SYN is isn, data
// offset 0 is isn + 1).
constexpr uint32_t Wrap(uint64_t offset, uint32_t isn) {
  return static_cast<uint32_t>(isn + 1 + offset);
}

// Maps a wire sequence number to the 64-bit stream offset nearest to
// `reference_offset` (typically rcv.nxt for incoming SEG.SEQ, snd.una for
// incoming SEG.ACK) among the offsets o with Wrap(o, isn) == wire. The
// nearest one is within [reference - 2^31, reference + 2^31).
//
// Offsets are never negative: when the nearest candidate would be below 0
// (only possible while reference_offset < 2^31, e.g. wire == isn, the SYN's
// own number, with reference 0), the candidate 2^32 higher is returned. Such
// a value lies far outside any window the engine checks against, so the
// segment is treated as out of window, and `offset + length` never wraps.
constexpr uint64_t Unwrap(uint32_t wire, uint64_t reference_offset,
                          uint32_t isn) {
  const uint32_t low = wire - isn - 1;  // offset mod 2^32
  const int32_t delta = SeqDiff(low, static_cast<uint32_t>(reference_offset));
  if (delta < 0 && reference_offset < static_cast<uint64_t>(-int64_t{delta})) {
    return reference_offset + static_cast<uint64_t>(int64_t{delta}) +
           (uint64_t{1} << 32);
  }
  return reference_offset + static_cast<uint64_t>(int64_t{delta});
}

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_SEQ_H_

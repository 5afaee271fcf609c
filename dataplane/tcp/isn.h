// Initial sequence numbers (RFC 6528 §3):
//
//   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
//
// M is a 4-microsecond timer taken from the `now` argument (no clock is
// read): floor(SinceEpoch(now) / 4 us) mod 2^32. F is the first 32 bits
// (big-endian) of SHA-256 over
//
//   families (1 byte: 0x44, 0x66; local family in the high nibble) || local
//   address (4 or 16 bytes) || local port (2, big-endian) || remote address ||
//   remote port || secret
//
// so the ISN of a given 4-tuple advances with time like the RFC 793 clock,
// while an off-path attacker cannot predict the offset of another tuple.
#ifndef PLAIT_DATAPLANE_TCP_ISN_H_
#define PLAIT_DATAPLANE_TCP_ISN_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "dataplane/base/time.h"
#include "dataplane/wire/ip_address.h"

namespace plait::tcp {

class IsnGenerator {
 public:
  static constexpr size_t kMinSecretSize = 16;
  static constexpr size_t kMaxSecretSize = 64;

  // `secret` must hold at least kMinSecretSize bytes (from a CSPRNG, e.g.
  // RAND_bytes); a shorter one aborts the process, since a guessable secret
  // would make every ISN predictable. Secrets longer than kMaxSecretSize are
  // hashed down to 32 bytes with SHA-256.
  explicit IsnGenerator(absl::Span<const uint8_t> secret);
  ~IsnGenerator();

  IsnGenerator(const IsnGenerator&) = default;
  IsnGenerator& operator=(const IsnGenerator&) = default;

  uint32_t Generate(const wire::IpAddress& local, uint16_t lport,
                    const wire::IpAddress& remote, uint16_t rport,
                    Time now) const;

  // The two terms, for tests and diagnostics.
  static uint32_t ClockTerm(Time now);
  uint32_t HashTerm(const wire::IpAddress& local, uint16_t lport,
                    const wire::IpAddress& remote, uint16_t rport) const;

 private:
  std::array<uint8_t, kMaxSecretSize> secret_{};
  size_t secret_size_ = 0;
};

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_ISN_H_

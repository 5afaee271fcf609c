// An IPv4 or IPv6 address as plain bytes in network order, used by the IP
// headers, ADD_ADDR, and everything that names a path endpoint.
#ifndef PLAIT_DATAPLANE_WIRE_IP_ADDRESS_H_
#define PLAIT_DATAPLANE_WIRE_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace plait::wire {

class IpAddress {
 public:
  enum class Family : uint8_t { kV4, kV6 };

  // 0.0.0.0
  IpAddress() = default;

  static IpAddress V4(uint32_t host_order);
  static IpAddress V4Bytes(absl::Span<const uint8_t> four);
  static IpAddress V6Bytes(absl::Span<const uint8_t> sixteen);
  // "10.1.0.1" or "fd00::1"; the error names the text it could not read.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  // 4 bytes for IPv4, 16 for IPv6, network order.
  absl::Span<const uint8_t> bytes() const {
    return absl::MakeConstSpan(bytes_.data(), is_v4() ? 4 : 16);
  }
  // Only meaningful for IPv4.
  uint32_t v4() const;
  std::string ToString() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) {
    return !(a == b);
  }
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  Family family_ = Family::kV4;
  std::array<uint8_t, 16> bytes_{};  // IPv4 uses the first 4, rest zero
};

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_IP_ADDRESS_H_

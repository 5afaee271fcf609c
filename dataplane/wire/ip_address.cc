#include "dataplane/wire/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dataplane/wire/byte_io.h"

namespace plait::wire {

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress a;
  StoreBe32(a.bytes_.data(), host_order);
  return a;
}

IpAddress IpAddress::V4Bytes(absl::Span<const uint8_t> four) {
  IpAddress a;
  // An empty span may have a null data(); memcpy from null is undefined even
  // for 0 bytes (UBSan's nonnull check).
  if (!four.empty()) {
    std::memcpy(a.bytes_.data(), four.data(),
                four.size() < 4 ? four.size() : 4);
  }
  return a;
}

IpAddress IpAddress::V6Bytes(absl::Span<const uint8_t> sixteen) {
  IpAddress a;
  a.family_ = Family::kV6;
  if (!sixteen.empty()) {  // see V4Bytes
    std::memcpy(a.bytes_.data(), sixteen.data(),
                sixteen.size() < 16 ? sixteen.size() : 16);
  }
  return a;
}

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  const std::string s(text);
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return V4Bytes({buf, 4});
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return V6Bytes({buf, 16});
  return absl::InvalidArgumentError(
      absl::StrCat("not an IPv4 or IPv6 address: \"", text, "\""));
}

uint32_t IpAddress::v4() const { return LoadBe32(bytes_.data()); }

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

}  // namespace plait::wire

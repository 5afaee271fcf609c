#include "dataplane/io/udp/udp_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace plait::io::udp {

std::string UdpEndpoint::ToString() const {
  if (address.is_v4()) return absl::StrCat(address.ToString(), ":", port);
  return absl::StrCat("[", address.ToString(), "]:", port);
}

socklen_t ToSockaddr(const UdpEndpoint& endpoint, sockaddr_storage* storage) {
  std::memset(storage, 0, sizeof(*storage));
  if (endpoint.address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(endpoint.port);
    std::memcpy(&sin->sin_addr, endpoint.address.bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(storage);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(endpoint.port);
  std::memcpy(&sin6->sin6_addr, endpoint.address.bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

absl::StatusOr<UdpEndpoint> FromSockaddr(const sockaddr_storage& storage,
                                         socklen_t length) {
  if (storage.ss_family == AF_INET && length >= sizeof(sockaddr_in)) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage);
    return UdpEndpoint{
        wire::IpAddress::V4Bytes(absl::MakeConstSpan(
            reinterpret_cast<const uint8_t*>(&sin->sin_addr), 4)),
        ntohs(sin->sin_port)};
  }
  if (storage.ss_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    return UdpEndpoint{
        wire::IpAddress::V6Bytes(absl::MakeConstSpan(
            reinterpret_cast<const uint8_t*>(&sin6->sin6_addr), 16)),
        ntohs(sin6->sin6_port)};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported socket address family ", storage.ss_family));
}

}  // namespace plait::io::udp

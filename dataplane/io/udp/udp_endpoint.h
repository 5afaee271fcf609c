// An outer UDP endpoint (address and port) and its conversion to and from the
// socket API's sockaddr, kept apart so that the encapsulation code stays free
// of socket headers.
#ifndef PLAIT_DATAPLANE_IO_UDP_UDP_ENDPOINT_H_
#define PLAIT_DATAPLANE_IO_UDP_UDP_ENDPOINT_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "dataplane/wire/ip_address.h"

namespace plait::io::udp {

struct UdpEndpoint {
  wire::IpAddress address;
  uint16_t port = 0;

  // "127.0.0.1:47100" or "[::1]:47100".
  std::string ToString() const;

  friend bool operator==(const UdpEndpoint& a, const UdpEndpoint& b) {
    return a.address == b.address && a.port == b.port;
  }
  friend bool operator!=(const UdpEndpoint& a, const UdpEndpoint& b) {
    return !(a == b);
  }
  template <typename H>
  friend H AbslHashValue(H h, const UdpEndpoint& e) {
    return H::combine(std::move(h), e.address, e.port);
  }
};

// Fills `storage` and returns the length to pass to the kernel.
socklen_t ToSockaddr(const UdpEndpoint& endpoint, sockaddr_storage* storage);
// InvalidArgument for a family other than AF_INET / AF_INET6. An IPv4-mapped
// IPv6 address (::ffff:a.b.c.d) stays IPv6: sockets here are IPV6_V6ONLY.
absl::StatusOr<UdpEndpoint> FromSockaddr(const sockaddr_storage& storage,
                                         socklen_t length);

}  // namespace plait::io::udp

#endif  // PLAIT_DATAPLANE_IO_UDP_UDP_ENDPOINT_H_

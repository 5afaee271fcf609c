// The few rtnetlink requests a TUN device needs: set a link up and add or
// delete a route through it. Spoken directly on a NETLINK_ROUTE socket
// rather than by running `ip`: plaitd then needs no iproute2 in its image,
// never forks from the event-loop thread, and each failure comes back as the
// kernel's errno for that one request instead of a parsed stderr. Blocking
// calls, meant for setup and teardown, not the packet path.
#ifndef PLAIT_DATAPLANE_IO_TUN_RTNETLINK_H_
#define PLAIT_DATAPLANE_IO_TUN_RTNETLINK_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/runtime/scoped_fd.h"
#include "dataplane/wire/ip_address.h"

namespace plait::io::tun {

// A route to `address`/`prefix_length` out of interface `ifindex`, on-link
// (no gateway), in the main table.
struct LinkRoute {
  wire::IpAddress address;
  uint8_t prefix_length = 32;
  int ifindex = 0;
};

class Rtnetlink {
 public:
  // Opens the NETLINK_ROUTE socket of the caller's network namespace.
  static absl::StatusOr<Rtnetlink> Open();

  // Sets IFF_UP on the link.
  absl::Status SetLinkUp(int ifindex);
  // AlreadyExists when the very route is there already (EEXIST): the
  // caller does not own it then and must not delete it.
  absl::Status AddRoute(const LinkRoute& route);
  absl::Status DeleteRoute(const LinkRoute& route);

 private:
  explicit Rtnetlink(runtime::ScopedFd fd) : fd_(std::move(fd)) {}
  // Sends one request of `length` bytes (a struct nlmsghdr first) and waits
  // for its acknowledgement; the kernel's error as a Status.
  absl::Status Transact(void* request, uint32_t length, const char* what);

  runtime::ScopedFd fd_;
  uint32_t sequence_ = 1;
};

}  // namespace plait::io::tun

#endif  // PLAIT_DATAPLANE_IO_TUN_RTNETLINK_H_

// What the host needs so that a path address lives behind the TUN device:
// the link up and a host route per path address through it. Addresses are
// deliberately NOT assigned to the device: the kernel would then own them
// and answer the peer's segments with RSTs (../shared/notes/machines.md);
// the userspace stack owns them, the kernel only routes to the device.
//
// RAII: everything Setup() added is removed when the object goes, including
// what an unfinished Setup() added before failing. A route that existed
// already is not ours and stays. The kernel also drops the device's routes
// when the (non-persistent) TUN device closes, so a crash leaves nothing.
#ifndef PLAIT_DATAPLANE_IO_TUN_TUN_ROUTING_H_
#define PLAIT_DATAPLANE_IO_TUN_TUN_ROUTING_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/io/tun/rtnetlink.h"
#include "dataplane/wire/ip_address.h"

namespace plait::io::tun {

class TunRouting {
 public:
  // Brings `ifindex` up and routes each of `path_addresses` (as /32 or
  // /128) through it. On error, whatever was added is removed again.
  static absl::StatusOr<std::unique_ptr<TunRouting>> Setup(
      int ifindex, absl::Span<const wire::IpAddress> path_addresses);
  // Removes the routes it added.
  ~TunRouting();
  TunRouting(const TunRouting&) = delete;
  TunRouting& operator=(const TunRouting&) = delete;

  const std::vector<LinkRoute>& added_routes() const { return added_; }
  // Removes the routes now; the first error (all are tried). Called by the
  // destructor too, where errors are dropped: the device may be gone, and
  // its routes with it.
  absl::Status Remove();

 private:
  explicit TunRouting(Rtnetlink netlink) : netlink_(std::move(netlink)) {}

  Rtnetlink netlink_;
  std::vector<LinkRoute> added_;
};

}  // namespace plait::io::tun

#endif  // PLAIT_DATAPLANE_IO_TUN_TUN_ROUTING_H_

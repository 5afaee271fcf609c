#include "dataplane/io/tun/tun_routing.h"

#include <utility>

namespace plait::io::tun {

absl::StatusOr<std::unique_ptr<TunRouting>> TunRouting::Setup(
    int ifindex, absl::Span<const wire::IpAddress> path_addresses) {
  absl::StatusOr<Rtnetlink> netlink = Rtnetlink::Open();
  if (!netlink.ok()) return netlink.status();
  std::unique_ptr<TunRouting> routing(new TunRouting(std::move(*netlink)));
  if (absl::Status up = routing->netlink_.SetLinkUp(ifindex); !up.ok()) {
    return up;
  }
  for (const wire::IpAddress& address : path_addresses) {
    const LinkRoute route{address, uint8_t(address.is_v4() ? 32 : 128),
                          ifindex};
    absl::Status added = routing->netlink_.AddRoute(route);
    // Returning drops `routing`, which removes the routes added so far.
    if (!added.ok()) return added;
    routing->added_.push_back(route);
  }
  return routing;
}

TunRouting::~TunRouting() { (void)Remove(); }

absl::Status TunRouting::Remove() {
  absl::Status first;
  for (const LinkRoute& route : added_) {
    first.Update(netlink_.DeleteRoute(route));
  }
  added_.clear();
  return first;
}

}  // namespace plait::io::tun

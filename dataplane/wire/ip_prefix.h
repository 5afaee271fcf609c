// An IPv4 or IPv6 prefix in CIDR notation ("10.1.0.0/16", "2001:db8::/32"),
// for policies and API filters that select connections by address.
#ifndef PLAIT_DATAPLANE_WIRE_IP_PREFIX_H_
#define PLAIT_DATAPLANE_WIRE_IP_PREFIX_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/wire/ip_address.h"

namespace plait::wire {

class IpPrefix {
 public:
  // "ADDR/LEN", or a bare address (a host prefix). InvalidArgument saying
  // what is wrong: not an address, a length beyond the family's, or host
  // bits set ("10.1.2.3/16": probably a typo for 10.1.0.0/16, so refused
  // rather than silently masked).
  static absl::StatusOr<IpPrefix> Parse(absl::string_view text);

  // False for an address of the other family.
  bool Contains(const IpAddress& address) const;
  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  std::string ToString() const;

 private:
  IpPrefix(IpAddress address, int length)
      : address_(address), length_(length) {}
  IpAddress address_;
  int length_;
};

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_IP_PREFIX_H_

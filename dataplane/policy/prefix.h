// CIDR prefixes ("10.1.0.0/16", "2001:db8::/32") as the policy's matches
// use them: parsed once when a policy is compiled, then tested against each
// new connection's destination with no parsing.
#ifndef PLAIT_DATAPLANE_POLICY_PREFIX_H_
#define PLAIT_DATAPLANE_POLICY_PREFIX_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/wire/ip_address.h"

namespace plait::policy {

class Prefix {
 public:
  // "ADDRESS/LENGTH", IPv4 (length 0 to 32) or IPv6 (0 to 128). A prefix
  // with host bits set ("10.0.0.1/8") is refused rather than masked: it is
  // more likely a typo for another prefix than a way to write 10.0.0.0/8.
  // InvalidArgument saying what is wrong (the caller adds the field path).
  static absl::StatusOr<Prefix> Parse(absl::string_view text);

  // True when `address` is of the prefix's family and inside it. An IPv4
  // address is never inside an IPv6 prefix (not even ::ffff:0:0/96): the
  // stack never hands out IPv4-mapped destinations.
  bool Contains(const wire::IpAddress& address) const;

  const wire::IpAddress& network() const { return network_; }
  int length() const { return length_; }
  std::string ToString() const;

 private:
  Prefix(const wire::IpAddress& network, int length)
      : network_(network), length_(length) {}

  wire::IpAddress network_;
  int length_ = 0;
};

}  // namespace plait::policy

#endif  // PLAIT_DATAPLANE_POLICY_PREFIX_H_

// Reads the source and destination addresses of an IP packet without
// validating the rest of it: what hosts and routers need to forward, at the
// cost of a version check and a length check. Full parsing (checksums,
// options, extension headers) is dataplane/wire's job.
#ifndef PLAIT_SIM_IP_PEEK_H_
#define PLAIT_SIM_IP_PEEK_H_

#include <cstdint>
#include <optional>

#include "absl/types/span.h"
#include "dataplane/wire/ip_address.h"

namespace plait::sim {

struct IpAddresses {
  wire::IpAddress src;
  wire::IpAddress dst;
};

// The addresses of an IPv4 packet (version 4, at least 20 bytes) or an IPv6
// packet (version 6, at least 40 bytes); nullopt for anything else.
std::optional<IpAddresses> PeekIpAddresses(absl::Span<const uint8_t> packet);

}  // namespace plait::sim

#endif  // PLAIT_SIM_IP_PEEK_H_

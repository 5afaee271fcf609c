// The whole parse of one TCP/IP packet off the network: IP header, TCP
// header, TCP options and every MPTCP option, with the TCP checksum checked.
// This is the single entry point for bytes from the network (TUN, UDP
// encapsulation, pcap files) and the target of the segment fuzzer.
#ifndef PLAIT_DATAPLANE_WIRE_SEGMENT_H_
#define PLAIT_DATAPLANE_WIRE_SEGMENT_H_

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/wire/ip_header.h"
#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/tcp_header.h"
#include "dataplane/wire/tcp_options.h"

namespace plait::wire {

struct Segment {
  static constexpr size_t kMaxMptcp = TcpOptions::kMaxMptcp;

  IpPacket ip;
  TcpHeader tcp;
  TcpOptions options;
  // The checksum over the pseudo-header. A segment with a bad checksum is
  // parsed all the same (tools show it); the stack drops it.
  bool checksum_valid = false;

  // MPTCP options that parsed, in the order they appeared.
  std::array<MptcpOption, kMaxMptcp> mptcp{};
  uint8_t mptcp_count = 0;
  // Those that did not, with the reason; options.mptcp[index] holds the bytes.
  struct MptcpError {
    uint8_t index = 0;
    absl::Status status;
  };
  std::array<MptcpError, kMaxMptcp> mptcp_errors{};
  uint8_t mptcp_error_count = 0;

  absl::Span<const MptcpOption> mptcp_options() const {
    return absl::MakeConstSpan(mptcp.data(), mptcp_count);
  }
  absl::Span<const MptcpError> mptcp_option_errors() const {
    return absl::MakeConstSpan(mptcp_errors.data(), mptcp_error_count);
  }
  // Malformed options of any kind: TCP ones skipped or MPTCP ones unreadable.
  bool has_option_problems() const {
    return options.problem_count > 0 || options.problems_dropped > 0 ||
           mptcp_error_count > 0;
  }
};

// Parses an IPv4 or IPv6 packet carrying TCP. Errors:
//  - InvalidArgument: a malformed IP or TCP header, or a TCP option space
//    whose structure cannot be read (the message says which and why);
//  - Unimplemented: a well-formed packet that is not for a TCP stack (another
//    protocol, or an IP fragment; Plait does not reassemble fragments).
// Malformed individual options do not fail the parse: they are listed in
// options.problems and mptcp_errors.
// checksum_valid uses the IPv6 fixed header's destination: a packet with a
// Routing header whose Segments Left is above 0 (captured mid-path) would need
// the final destination from the Routing header, which is not done (see
// TcpChecksum in tcp_header.h; endpoints always see Segments Left 0).
absl::StatusOr<Segment> ParseSegment(absl::Span<const uint8_t> packet);

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_SEGMENT_H_

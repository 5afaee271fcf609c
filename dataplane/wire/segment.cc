#include "dataplane/wire/segment.h"

#include "absl/strings/str_cat.h"

namespace plait::wire {

absl::StatusOr<Segment> ParseSegment(absl::Span<const uint8_t> packet) {
  Segment segment;
  absl::StatusOr<IpPacket> ip = ParseIpPacket(packet);
  if (!ip.ok()) return ip.status();
  segment.ip = *ip;
  if (segment.ip.fragment) {
    return absl::UnimplementedError(
        "IP fragment: Plait does not reassemble fragments");
  }
  if (segment.ip.protocol != kIpProtocolTcp) {
    return absl::UnimplementedError(
        absl::StrCat("IP protocol ", segment.ip.protocol, " is not TCP"));
  }
  absl::StatusOr<TcpHeader> tcp = ParseTcpHeader(segment.ip.payload);
  if (!tcp.ok()) return tcp.status();
  segment.tcp = *tcp;
  absl::StatusOr<TcpOptions> options = ParseTcpOptions(segment.tcp.options);
  if (!options.ok()) return options.status();
  segment.options = *options;
  segment.checksum_valid =
      VerifyTcpChecksum(segment.ip.src, segment.ip.dst, segment.ip.payload);

  for (size_t i = 0; i < segment.options.mptcp_count; ++i) {
    absl::StatusOr<MptcpOption> option =
        ParseMptcpOption(segment.options.mptcp[i]);
    if (option.ok()) {
      segment.mptcp[segment.mptcp_count++] = *option;
    } else {
      segment.mptcp_errors[segment.mptcp_error_count++] = {
          static_cast<uint8_t>(i), option.status()};
    }
  }
  return segment;
}

}  // namespace plait::wire

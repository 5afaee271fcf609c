// Turns a sequence of captured packets into readable lines, following each
// subflow so that it can show relative sequence numbers and verify DSS
// checksums over mappings that span several segments. plait-wire is a thin
// main around it; tests use it to check captures of Plait and the kernel.
#ifndef PLAIT_DATAPLANE_WIRE_TRACE_DECODER_H_
#define PLAIT_DATAPLANE_WIRE_TRACE_DECODER_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/segment.h"

namespace plait::wire {

struct TraceSummary {
  int packets = 0;
  int tcp_segments = 0;
  int not_tcp = 0;    // other protocols and fragments
  int malformed = 0;  // headers or option space unreadable
  int bad_tcp_checksums = 0;
  int option_problems = 0;  // segments with a malformed TCP or MPTCP option
  std::map<std::string, int> mptcp_options;  // by subtype name
  int dss_checksums_ok = 0;
  int dss_checksums_bad = 0;
  // Mappings whose bytes were not all seen in order (retransmission, loss in
  // the capture, or a mapping that started before the capture did).
  int dss_checksums_unchecked = 0;

  // Anything that a correct peer on a clean wire would not produce.
  bool clean() const {
    return malformed == 0 && bad_tcp_checksums == 0 && option_problems == 0 &&
           dss_checksums_bad == 0;
  }
  std::string ToString() const;
};

class TraceDecoder {
 public:
  // Decodes one IP packet and returns its description (one line, then one
  // indented line per problem).
  std::string Decode(absl::Span<const uint8_t> packet, uint64_t timestamp_ns);
  const TraceSummary& summary() const { return summary_; }

 private:
  // One direction of one subflow.
  using FlowKey = std::tuple<IpAddress, uint16_t, IpAddress, uint16_t>;
  struct Flow {
    bool have_isn = false;
    uint32_t isn = 0;
    // The DSS mapping with a checksum whose bytes are being collected.
    bool collecting = false;
    uint64_t dsn = 0;
    uint32_t subflow_seq = 0;  // relative
    uint16_t data_level_length = 0;
    uint16_t payload_length = 0;  // data bytes, without a DATA_FIN
    uint16_t checksum = 0;
    std::vector<uint8_t> bytes;
  };

  std::string CheckDss(const Segment& segment, Flow& flow);

  TraceSummary summary_;
  absl::flat_hash_map<FlowKey, Flow> flows_;
  uint64_t first_timestamp_ns_ = 0;
  bool have_first_ = false;
};

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_TRACE_DECODER_H_

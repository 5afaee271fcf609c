// Turns a sequence of captured packets into readable lines, following each
// subflow so that it can show relative sequence numbers and verify DSS
// checksums over mappings that span several segments. plait-wire is a thin
// main around it; tests use it to check captures of Plait and the kernel.
#ifndef PLAIT_DATAPLANE_WIRE_TRACE_DECODER_H_
#define PLAIT_DATAPLANE_WIRE_TRACE_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/segment.h"

namespace plait::wire {

struct TraceSummary {
  int packets = 0;
  int tcp_segments = 0;
  int not_tcp = 0;  // other protocols and fragments
  // Records cut short by the capture's snap length: a property of the
  // capture, not of the packets, so not counted as malformed nor unclean.
  int truncated = 0;
  int malformed = 0;  // headers or option space unreadable
  int bad_tcp_checksums = 0;
  int option_problems = 0;  // segments with a malformed TCP or MPTCP option
  std::map<std::string, int> mptcp_options;  // by subtype name
  // Checksummed mappings: those of DSS options and the implicit one of an
  // MP_CAPABLE carrying data (DSN = IDSN of the sender's key + 1, subflow
  // sequence 1), which RFC 8684 checksums the same way. Each mapping is
  // counted once, however many segments repeat it or retransmit it.
  int dss_checksums_ok = 0;
  int dss_checksums_bad = 0;
  // Mappings whose bytes were not all seen (loss in the capture, or a mapping
  // that started before the capture did), whose subflow's SYN is not in the
  // capture (so relative sequence numbers are unknown), with a 32-bit DSN, or
  // infinite.
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
  // Reports a captured record that holds only `captured` of the packet's
  // `original_length` bytes (cut by the snap length): one line, counted in
  // `truncated`; the packet is not decoded.
  std::string Truncated(size_t captured, size_t original_length,
                        uint64_t timestamp_ns);
  // Reports a frame in which no IP packet could be found (say, a link header
  // cut short): one line saying `why`, counted as malformed.
  std::string Undecodable(absl::string_view why, uint64_t timestamp_ns);
  const TraceSummary& summary() const { return summary_; }

 private:
  // One direction of one subflow.
  using FlowKey = std::tuple<IpAddress, uint16_t, IpAddress, uint16_t>;
  // A mapping as the wire names it.
  struct MappingId {
    uint64_t dsn = 0;
    uint32_t subflow_seq = 0;  // relative
    uint16_t data_level_length = 0;
    friend bool operator==(const MappingId&, const MappingId&) = default;
  };
  struct Flow {
    bool have_isn = false;
    uint32_t isn = 0;
    // The checksummed mapping whose bytes are being collected.
    bool collecting = false;
    bool from_mp_capable = false;  // the implicit mapping of MP_CAPABLE+data
    MappingId mapping;
    uint16_t payload_length = 0;  // data bytes, without a DATA_FIN
    uint16_t checksum = 0;
    std::vector<uint8_t> bytes;
    // The last mapping that was counted (checked, or counted unchecked):
    // segments repeating it, retransmissions included, are not counted again,
    // nor are mappings that start before it in the subflow.
    bool have_last = false;
    MappingId last;
  };

  // Follows checksummed mappings (DSS and MP_CAPABLE with data) and returns
  // the verdict to append to the segment's line, if any.
  // Counts one more packet and returns the start of its line: number and
  // time since the first packet.
  std::string StartLine(uint64_t timestamp_ns);
  std::string CheckMappings(const Segment& segment, Flow& flow);
  // Counts `flow`'s in-progress mapping as not checkable and stops collecting.
  void AbandonCollection(Flow& flow);

  TraceSummary summary_;
  absl::flat_hash_map<FlowKey, Flow> flows_;
  uint64_t first_timestamp_ns_ = 0;
  bool have_first_ = false;
};

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_TRACE_DECODER_H_

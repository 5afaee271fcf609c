// Turns a sequence of captured packets into readable lines, following each
// subflow so that it can show relative sequence numbers and verify DSS
// checksums over mappings that span several segments. plait-wire is a thin
// main around it; tests use it to check captures of Plait and the kernel.
//
// It also follows MPTCP connections (JSON mode, `plait-wire decode`): a
// connection is named by the two keys of its MP_CAPABLE exchange; MP_JOIN
// subflows are attached to it by the token in their SYN, and the MP_JOIN and
// ADD_ADDR HMACs are verified with the connection's keys and the nonces of
// each join (RFC 8684 §3.2, §3.4.1; notes A.5-A.9).
#ifndef PLAIT_DATAPLANE_WIRE_TRACE_DECODER_H_
#define PLAIT_DATAPLANE_WIRE_TRACE_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/segment.h"
#include "nlohmann/json.hpp"

namespace plait::wire {

// `value` as one line of compact JSON, as `plait-wire decode` prints it.
// Bytes that are not valid UTF-8 are replaced with U+FFFD rather than making
// the dump throw.
std::string JsonLine(const nlohmann::ordered_json& value);

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

  // MPTCP connection tracking (JSON mode; see TraceDecoder).
  int mptcp_option_errors = 0;  // MPTCP options that did not parse
  int join_tokens_known = 0;    // MP_JOIN SYNs naming a known connection
  int join_tokens_unknown = 0;
  // MP_JOIN SYN/ACK and ACK HMACs and non-echo ADD_ADDR HMACs: verified
  // correct, wrong, or not verifiable (a key or nonce not in the capture).
  int hmacs_valid = 0;
  int hmacs_invalid = 0;
  int hmacs_unknown = 0;

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

  // JSON mode: the same, as one object each, with `frame` the record's number
  // in the capture (1-based, counting records that are skipped, as tshark
  // does). The segment object's fields are documented at DecodeJson in
  // trace_decoder.cc and in `plait-wire --help`.
  nlohmann::ordered_json DecodeJson(absl::Span<const uint8_t> packet,
                                    uint64_t timestamp_ns, int64_t frame);
  nlohmann::ordered_json TruncatedJson(size_t captured, size_t original_length,
                                       uint64_t timestamp_ns, int64_t frame);
  nlohmann::ordered_json UndecodableJson(absl::string_view why,
                                         uint64_t timestamp_ns, int64_t frame);
  // {"summary": {...}}: the counts of summary() and the connections seen.
  nlohmann::ordered_json SummaryJson() const;

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
    std::optional<bool> last_verdict;  // of `last`, if it was checked
  };
  // What became of one checksummed mapping, reported by the segment at which
  // it was decided.
  struct MappingVerdict {
    enum class State { kValid, kInvalid, kUnchecked };
    MappingId mapping;
    bool from_mp_capable = false;
    State state = State::kUnchecked;
    const char* why = "";  // for kUnchecked
    bool shown_in_text = true;
  };
  // An MPTCP connection, named by its two keys. The client sent the
  // MP_CAPABLE SYN (and the third ACK, whose first key is its own).
  struct Connection {
    std::optional<uint64_t> client_key;
    std::optional<uint64_t> server_key;
    std::optional<uint32_t> client_token;  // derived from the keys
    std::optional<uint32_t> server_token;
    std::vector<FlowKey> subflows;  // client side -> server side
  };
  // A subflow of a connection, keyed by the direction client -> server.
  struct Subflow {
    int connection = -1;
    bool join = false;
    bool join_from_client = true;  // who sent the MP_JOIN SYN
    std::optional<uint32_t> initiator_nonce;
    std::optional<uint32_t> responder_nonce;
  };
  // The subflow a segment belongs to, and whether the client sent it.
  struct SubflowRef {
    Subflow* subflow = nullptr;
    bool from_client = true;
  };

  // Follows checksummed mappings (DSS and MP_CAPABLE with data) and returns
  // the verdict to append to the segment's line, if any.
  // Counts one more packet and returns the start of its line: number and
  // time since the first packet.
  std::string StartLine(uint64_t timestamp_ns);
  // Counts one more packet; the time since the first one, in ns.
  uint64_t StartRecord(uint64_t timestamp_ns);
  nlohmann::ordered_json StartJson(uint64_t timestamp_ns, int64_t frame);
  // The flow of one direction of the segment's subflow, its ISN tracked.
  Flow& TrackFlow(const Segment& segment);
  std::vector<MappingVerdict> CheckMappings(const Segment& segment, Flow& flow);
  static std::string VerdictText(const MappingVerdict& verdict);
  // Counts `flow`'s in-progress mapping as not checkable and stops collecting.
  MappingVerdict AbandonCollection(Flow& flow, const char* why);

  // MPTCP connection tracking.
  SubflowRef FindSubflow(const Segment& segment);
  int NewConnection();
  // Attaches the subflow `key` (client -> server) to `connection`.
  Subflow& AttachSubflow(const FlowKey& key, int connection);
  // The segment's MPTCP options as a JSON array in wire order, with the
  // derived values and verdicts of the connection tracking, which it updates.
  // `mappings` gets, per element, the checksummed mapping the option names.
  nlohmann::ordered_json MptcpJson(
      const Segment& segment, std::vector<std::optional<MappingId>>* mappings);
  nlohmann::ordered_json MptcpOptionJson(const Segment& segment,
                                         const MptcpOption& option,
                                         size_t length);
  void SetKey(Connection& connection, bool client, uint64_t key);
  nlohmann::ordered_json ConnectionJson(int index) const;

  TraceSummary summary_;
  absl::flat_hash_map<FlowKey, Flow> flows_;
  std::vector<Connection> connections_;
  absl::flat_hash_map<FlowKey, Subflow> subflows_;
  uint64_t first_timestamp_ns_ = 0;
  bool have_first_ = false;
};

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_TRACE_DECODER_H_

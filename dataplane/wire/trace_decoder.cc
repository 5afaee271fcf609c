#include "dataplane/wire/trace_decoder.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "dataplane/crypto/hmac.h"
#include "dataplane/crypto/keys.h"
#include "dataplane/wire/dss_checksum.h"

namespace plait::wire {

using ::nlohmann::ordered_json;

namespace {

std::string FlagsText(uint8_t flags) {
  static constexpr struct {
    uint8_t bit;
    char letter;
  } kFlags[] = {{TcpHeader::kSyn, 'S'}, {TcpHeader::kFin, 'F'},
                {TcpHeader::kRst, 'R'}, {TcpHeader::kPsh, 'P'},
                {TcpHeader::kAck, '.'}, {TcpHeader::kUrg, 'U'},
                {TcpHeader::kEce, 'E'}, {TcpHeader::kCwr, 'W'}};
  std::string text;
  for (const auto& f : kFlags) {
    if (flags & f.bit) text.push_back(f.letter);
  }
  return text;
}

std::string TcpOptionsText(const TcpOptions& options) {
  std::vector<std::string> parts;
  if (options.mss) parts.push_back(absl::StrCat("mss ", *options.mss));
  if (options.sack_permitted) parts.push_back("sackOK");
  if (options.timestamps) {
    parts.push_back(absl::StrCat("TS ", options.timestamps->tsval, ":",
                                 options.timestamps->tsecr));
  }
  if (options.window_scale) {
    parts.push_back(absl::StrCat("wscale ", *options.window_scale));
  }
  if (options.sack_block_count > 0) {
    std::vector<std::string> blocks;
    for (const SackBlock& b : options.sack()) {
      blocks.push_back(absl::StrCat(b.left, "-", b.right));
    }
    parts.push_back(absl::StrCat("sack ", absl::StrJoin(blocks, ",")));
  }
  if (options.fastopen_cookie) {
    parts.push_back(options.fastopen_cookie->empty()
                        ? std::string("tfo request")
                        : absl::StrCat("tfo cookie ",
                                       options.fastopen_cookie->size(), "B"));
  }
  for (auto unknown : options.unknown_options()) {
    parts.push_back(absl::StrCat("unknown-kind-", unknown[0]));
  }
  return absl::StrJoin(parts, ", ");
}

// Fixed-width lowercase hex: 16 digits for 64-bit values, 8 for 32, 4 for 16.
std::string Hex64(uint64_t v) { return absl::StrFormat("%016x", v); }
std::string Hex32(uint32_t v) { return absl::StrFormat("%08x", v); }
std::string Hex16(uint16_t v) { return absl::StrFormat("%04x", v); }
std::string HexBytes(absl::Span<const uint8_t> bytes) {
  std::string text;
  for (uint8_t b : bytes) absl::StrAppendFormat(&text, "%02x", b);
  return text;
}

// Seconds, as a JSON number: the double nearest to the exact decimal
// (nanosecond digits), so that a microsecond timestamp prints exactly.
double Seconds(uint64_t ns) {
  double seconds = 0;
  absl::SimpleAtod(absl::StrFormat("%d.%09d", ns / 1000000000, ns % 1000000000),
                   &seconds);
  return seconds;
}

ordered_json FlagsJson(uint8_t flags) {
  static constexpr struct {
    uint8_t bit;
    const char* name;
  } kFlags[] = {{TcpHeader::kFin, "FIN"}, {TcpHeader::kSyn, "SYN"},
                {TcpHeader::kRst, "RST"}, {TcpHeader::kPsh, "PSH"},
                {TcpHeader::kAck, "ACK"}, {TcpHeader::kUrg, "URG"},
                {TcpHeader::kEce, "ECE"}, {TcpHeader::kCwr, "CWR"}};
  ordered_json names = ordered_json::array();
  for (const auto& f : kFlags) {
    if (flags & f.bit) names.push_back(f.name);
  }
  return names;
}

// TCP options other than MPTCP, in a fixed order (the parser keeps no wire
// order across kinds): mss, window_scale, sack_permitted, sack, timestamps,
// tfo, then unknown kinds in wire order. Each is {"kind", "name", fields...}.
ordered_json TcpOptionsJson(const TcpOptions& options) {
  ordered_json list = ordered_json::array();
  if (options.mss) {
    list.push_back(
        {{"kind", kTcpOptionMss}, {"name", "mss"}, {"mss", *options.mss}});
  }
  if (options.window_scale) {
    list.push_back({{"kind", kTcpOptionWindowScale},
                    {"name", "window_scale"},
                    {"shift", *options.window_scale}});
  }
  if (options.sack_permitted) {
    list.push_back(
        {{"kind", kTcpOptionSackPermitted}, {"name", "sack_permitted"}});
  }
  if (options.sack_block_count > 0) {
    ordered_json blocks = ordered_json::array();
    for (const SackBlock& b : options.sack()) {
      blocks.push_back({{"left", b.left}, {"right", b.right}});
    }
    list.push_back({{"kind", kTcpOptionSack},
                    {"name", "sack"},
                    {"blocks", std::move(blocks)}});
  }
  if (options.timestamps) {
    list.push_back({{"kind", kTcpOptionTimestamps},
                    {"name", "timestamps"},
                    {"tsval", options.timestamps->tsval},
                    {"tsecr", options.timestamps->tsecr}});
  }
  if (options.fastopen_cookie) {
    list.push_back({{"kind", kTcpOptionFastOpen},
                    {"name", "tfo"},
                    {"cookie_request", options.fastopen_cookie->empty()},
                    {"cookie", HexBytes(*options.fastopen_cookie)}});
  }
  for (auto unknown : options.unknown_options()) {
    // The bytes after the kind and length bytes.
    list.push_back({{"kind", unknown[0]},
                    {"name", "unknown"},
                    {"length", unknown.size()},
                    {"data", HexBytes(unknown.subspan(2))}});
  }
  return list;
}

}  // namespace

std::string JsonLine(const ordered_json& value) {
  return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string TraceSummary::ToString() const {
  std::vector<std::string> kinds;
  for (const auto& [name, count] : mptcp_options) {
    kinds.push_back(absl::StrCat(name, " ", count));
  }
  return absl::StrCat(
      packets, " packets: ", tcp_segments, " TCP, ", not_tcp, " other, ",
      truncated, " truncated, ", malformed, " malformed, ", bad_tcp_checksums,
      " bad TCP checksums, ", option_problems,
      " with malformed options\nMPTCP options: ",
      kinds.empty() ? "none" : absl::StrJoin(kinds, ", "),
      "\nDSS checksums: ", dss_checksums_ok, " correct, ", dss_checksums_bad,
      " wrong, ", dss_checksums_unchecked, " not checkable");
}

uint64_t TraceDecoder::StartRecord(uint64_t timestamp_ns) {
  ++summary_.packets;
  if (!have_first_) {
    first_timestamp_ns_ = timestamp_ns;
    have_first_ = true;
  }
  return timestamp_ns >= first_timestamp_ns_
             ? timestamp_ns - first_timestamp_ns_
             : 0;
}

std::string TraceDecoder::StartLine(uint64_t timestamp_ns) {
  const uint64_t since = StartRecord(timestamp_ns);
  return absl::StrFormat("%4d %4d.%06d ", summary_.packets, since / 1000000000,
                         (since % 1000000000) / 1000);
}

std::string TraceDecoder::Truncated(size_t captured, size_t original_length,
                                    uint64_t timestamp_ns) {
  std::string line = StartLine(timestamp_ns);
  ++summary_.truncated;
  return absl::StrCat(line, "truncated capture: ", captured, " of ",
                      original_length,
                      " bytes captured (snap length), not decoded");
}

std::string TraceDecoder::Undecodable(absl::string_view why,
                                      uint64_t timestamp_ns) {
  std::string line = StartLine(timestamp_ns);
  ++summary_.malformed;
  return absl::StrCat(line, "not decoded: ", why);
}

std::string TraceDecoder::Decode(absl::Span<const uint8_t> packet,
                                 uint64_t timestamp_ns) {
  std::string line = StartLine(timestamp_ns);
  absl::StatusOr<Segment> parsed = ParseSegment(packet);
  if (!parsed.ok()) {
    if (absl::IsUnimplemented(parsed.status())) {
      ++summary_.not_tcp;
    } else {
      ++summary_.malformed;
    }
    return absl::StrCat(line, "not decoded: ", parsed.status().message());
  }
  const Segment& s = *parsed;
  ++summary_.tcp_segments;

  Flow& flow = TrackFlow(s);
  const auto reverse =
      flows_.find(FlowKey{s.ip.dst, s.tcp.dst_port, s.ip.src, s.tcp.src_port});
  const bool have_peer_isn =
      reverse != flows_.end() && reverse->second.have_isn;

  absl::StrAppend(&line, s.ip.src.ToString(), ":", s.tcp.src_port, " > ",
                  s.ip.dst.ToString(), ":", s.tcp.dst_port, " [",
                  FlagsText(s.tcp.flags), "]");
  if (flow.have_isn) {
    absl::StrAppend(&line, " seq ", s.tcp.seq - flow.isn);
  } else {
    absl::StrAppend(&line, " seq ", s.tcp.seq, " (raw)");
  }
  if (s.tcp.has(TcpHeader::kAck)) {
    absl::StrAppend(
        &line, " ack ",
        have_peer_isn ? s.tcp.ack - reverse->second.isn : s.tcp.ack);
  }
  absl::StrAppend(&line, " win ", s.tcp.window, " len ", s.tcp.payload.size());
  if (!s.checksum_valid) {
    ++summary_.bad_tcp_checksums;
    absl::StrAppend(&line, " BAD-TCP-CHECKSUM");
  }
  const std::string tcp_options = TcpOptionsText(s.options);
  if (!tcp_options.empty()) absl::StrAppend(&line, " | ", tcp_options);
  for (const MptcpOption& option : s.mptcp_options()) {
    ++summary_.mptcp_options[MptcpSubtypeName(option)];
    absl::StrAppend(&line, " | ", Describe(option));
  }
  for (const MappingVerdict& verdict : CheckMappings(s, flow)) {
    absl::StrAppend(&line, VerdictText(verdict));
  }
  // Keeps the connection tracking (and its summary counts) up to date.
  MptcpJson(s, nullptr);

  if (s.has_option_problems()) ++summary_.option_problems;
  for (const OptionProblem& problem : s.options.problem_list()) {
    absl::StrAppend(&line,
                    "\n       problem: ", DescribeOptionProblem(problem));
  }
  for (const Segment::MptcpError& error : s.mptcp_option_errors()) {
    absl::StrAppend(&line, "\n       problem: ", error.status.message());
  }
  return line;
}

TraceDecoder::Flow& TraceDecoder::TrackFlow(const Segment& s) {
  Flow& flow =
      flows_[FlowKey{s.ip.src, s.tcp.src_port, s.ip.dst, s.tcp.dst_port}];
  if (s.tcp.has(TcpHeader::kSyn)) {
    flow.have_isn = true;
    flow.isn = s.tcp.seq;
    flow.collecting = false;
    flow.have_last = false;
    flow.last_verdict.reset();
  }
  return flow;
}

TraceDecoder::MappingVerdict TraceDecoder::AbandonCollection(Flow& flow,
                                                             const char* why) {
  ++summary_.dss_checksums_unchecked;
  flow.collecting = false;
  flow.have_last = true;
  flow.last = flow.mapping;
  flow.last_verdict.reset();
  MappingVerdict verdict;
  verdict.mapping = flow.mapping;
  verdict.from_mp_capable = flow.from_mp_capable;
  verdict.why = why;
  return verdict;
}

std::string TraceDecoder::VerdictText(const MappingVerdict& verdict) {
  if (!verdict.shown_in_text) return "";
  switch (verdict.state) {
    case MappingVerdict::State::kUnchecked:
      return absl::StrCat(" (csum not checkable: ", verdict.why, ")");
    case MappingVerdict::State::kValid:
      return verdict.from_mp_capable ? " (mp_capable csum ok)"
                                     : " (dss csum ok)";
    case MappingVerdict::State::kInvalid:
      return verdict.from_mp_capable ? " (MP_CAPABLE CHECKSUM WRONG)"
                                     : " (DSS CHECKSUM WRONG)";
  }
  return "";
}

// Collects the payload of a checksummed mapping (DSS, or the implicit mapping
// of an MP_CAPABLE with data) across the segments that carry it, in order,
// and verifies the checksum once the mapping is complete. Each mapping is
// counted once: segments that repeat it (Linux puts the mapping on every
// segment carrying part of it) or retransmit it, or an older one, change
// nothing. Returns the mappings decided at this segment.
std::vector<TraceDecoder::MappingVerdict> TraceDecoder::CheckMappings(
    const Segment& s, Flow& flow) {
  std::vector<MappingVerdict> verdicts;
  for (const MptcpOption& option : s.mptcp_options()) {
    MappingId id;
    uint16_t checksum = 0;
    uint16_t payload_length = 0;
    bool from_mp_capable = false;
    const char* why_unchecked = nullptr;
    if (const Dss* dss = std::get_if<Dss>(&option)) {
      if (!dss->mapping || !dss->mapping->checksum) continue;
      const DssMapping& m = *dss->mapping;
      id = {m.dsn, m.subflow_seq, m.data_level_length};
      checksum = *m.checksum;
      payload_length = static_cast<uint16_t>(
          m.data_level_length - (dss->data_fin && m.data_level_length > 0));
      // An infinite mapping (length 0) carries checksum 0 and covers
      // nothing; a 32-bit DSN cannot be checked without the connection's
      // state.
      if (m.data_level_length == 0) why_unchecked = "infinite mapping";
      if (!m.dsn_64) why_unchecked = "32-bit DSN";
    } else if (const MpCapable* mpc = std::get_if<MpCapable>(&option)) {
      if (!mpc->checksum || !mpc->data_level_length || !mpc->sender_key) {
        continue;
      }
      // RFC 8684 section 3.1: the data of an MP_CAPABLE ACK is mapped at
      // DSN = IDSN + 1, subflow sequence 1, for the length in the option.
      id = {crypto::IdsnFromKey(*mpc->sender_key) + 1, 1,
            *mpc->data_level_length};
      checksum = *mpc->checksum;
      payload_length = *mpc->data_level_length;
      from_mp_capable = true;
      if (payload_length == 0) why_unchecked = "zero-length mapping";
    } else {
      continue;
    }

    if (flow.collecting && id == flow.mapping) continue;  // repeated
    if (flow.have_last && id == flow.last) continue;      // already counted
    if (!flow.have_isn) {
      // Without the SYN the relative subflow sequence of the segment is
      // unknown, so the mapping's bytes cannot be located.
      why_unchecked = "subflow SYN not captured";
    } else if (payload_length > 0) {
      // A retransmission of a mapping older than the one being collected (or
      // the last one counted) was counted when it was first seen.
      const bool have_ref =
          flow.collecting || (flow.have_last && flow.last.subflow_seq != 0);
      const uint32_t ref =
          flow.collecting ? flow.mapping.subflow_seq : flow.last.subflow_seq;
      if (have_ref && static_cast<int32_t>(id.subflow_seq - ref) < 0) continue;
    }
    if (flow.collecting) {
      // Superseded before all its bytes were seen.
      verdicts.push_back(
          AbandonCollection(flow, "superseded by a new mapping"));
      verdicts.back().shown_in_text = false;
    }
    if (why_unchecked != nullptr) {
      ++summary_.dss_checksums_unchecked;
      flow.have_last = true;
      flow.last = id;
      flow.last_verdict.reset();
      MappingVerdict verdict;
      verdict.mapping = id;
      verdict.from_mp_capable = from_mp_capable;
      verdict.why = why_unchecked;
      verdicts.push_back(verdict);
      continue;
    }
    flow.collecting = true;
    flow.from_mp_capable = from_mp_capable;
    flow.mapping = id;
    flow.payload_length = payload_length;
    flow.checksum = checksum;
    flow.bytes.clear();
  }
  if (!flow.collecting) return verdicts;
  // A DATA_FIN alone (length 1, SSN 0) covers no subflow bytes.
  if (flow.payload_length > 0) {
    const absl::Span<const uint8_t> payload = s.tcp.payload;
    if (payload.empty()) return verdicts;
    const uint32_t relative = s.tcp.seq - flow.isn;
    // Where the segment starts relative to the mapping's first byte, and how
    // much of the mapping has been collected.
    const int64_t offset =
        static_cast<int32_t>(relative - flow.mapping.subflow_seq);
    const int64_t collected = static_cast<int64_t>(flow.bytes.size());
    if (offset > collected) {
      verdicts.push_back(AbandonCollection(flow, "bytes missing"));
      return verdicts;
    }
    // Bytes at the start of the segment that were collected already (a
    // retransmission, possibly overlapping new bytes) are skipped.
    const int64_t skip = collected - offset;
    if (skip >= static_cast<int64_t>(payload.size())) return verdicts;
    const size_t take =
        std::min(payload.size() - static_cast<size_t>(skip),
                 size_t{flow.payload_length} - flow.bytes.size());
    const auto begin = payload.begin() + skip;
    flow.bytes.insert(flow.bytes.end(), begin, begin + take);
    if (flow.bytes.size() < flow.payload_length) return verdicts;
  }
  flow.collecting = false;
  flow.have_last = true;
  flow.last = flow.mapping;
  const bool ok = VerifyDssChecksum(flow.mapping.dsn, flow.mapping.subflow_seq,
                                    flow.mapping.data_level_length,
                                    flow.checksum, flow.bytes);
  flow.last_verdict = ok;
  ++(ok ? summary_.dss_checksums_ok : summary_.dss_checksums_bad);
  MappingVerdict verdict;
  verdict.mapping = flow.mapping;
  verdict.from_mp_capable = flow.from_mp_capable;
  verdict.state =
      ok ? MappingVerdict::State::kValid : MappingVerdict::State::kInvalid;
  verdicts.push_back(verdict);
  return verdicts;
}

// ---------------------------------------------------------------------------
// JSON mode

ordered_json TraceDecoder::StartJson(uint64_t timestamp_ns, int64_t frame) {
  const uint64_t since = StartRecord(timestamp_ns);
  ordered_json j = ordered_json::object();
  j["frame"] = frame;
  j["time"] = Seconds(since);
  j["time_epoch"] = Seconds(timestamp_ns);
  return j;
}

ordered_json TraceDecoder::TruncatedJson(size_t captured,
                                         size_t original_length,
                                         uint64_t timestamp_ns, int64_t frame) {
  ordered_json j = StartJson(timestamp_ns, frame);
  ++summary_.truncated;
  j["decoded"] = false;
  j["error"] = absl::StrCat("truncated capture: ", captured, " of ",
                            original_length, " bytes captured");
  return j;
}

ordered_json TraceDecoder::UndecodableJson(absl::string_view why,
                                           uint64_t timestamp_ns,
                                           int64_t frame) {
  ordered_json j = StartJson(timestamp_ns, frame);
  ++summary_.malformed;
  j["decoded"] = false;
  j["error"] = std::string(why);
  return j;
}

// One TCP segment:
//   frame, time (s since the first record), time_epoch, ip_version, src, dst,
//   src_port, dst_port, seq, ack (raw), seq_relative (when the subflow's SYN
//   was seen), flags ["SYN","ACK"], window, payload_length,
//   tcp_checksum_valid, tcp_options [...], mptcp [...] (wire order; an option
//   that does not parse is {"subtype", "length", "error", "raw"}),
//   checksum_verdicts [...] (the checksummed mappings decided at this
//   segment), connection (index of the MPTCP connection of the subflow, or
//   null), problems [...] (malformed options, as text).
// A packet that is not a TCP segment: frame, time, decoded false, error.
ordered_json TraceDecoder::DecodeJson(absl::Span<const uint8_t> packet,
                                      uint64_t timestamp_ns, int64_t frame) {
  ordered_json j = StartJson(timestamp_ns, frame);
  absl::StatusOr<Segment> parsed = ParseSegment(packet);
  if (!parsed.ok()) {
    if (absl::IsUnimplemented(parsed.status())) {
      ++summary_.not_tcp;
    } else {
      ++summary_.malformed;
    }
    j["decoded"] = false;
    j["error"] = std::string(parsed.status().message());
    return j;
  }
  const Segment& s = *parsed;
  ++summary_.tcp_segments;
  Flow& flow = TrackFlow(s);

  j["ip_version"] = s.ip.src.is_v4() ? 4 : 6;
  j["src"] = s.ip.src.ToString();
  j["dst"] = s.ip.dst.ToString();
  j["src_port"] = s.tcp.src_port;
  j["dst_port"] = s.tcp.dst_port;
  j["seq"] = s.tcp.seq;
  j["ack"] = s.tcp.ack;
  if (flow.have_isn) j["seq_relative"] = s.tcp.seq - flow.isn;
  j["flags"] = FlagsJson(s.tcp.flags);
  j["window"] = s.tcp.window;
  j["payload_length"] = s.tcp.payload.size();
  j["tcp_checksum_valid"] = s.checksum_valid;
  if (!s.checksum_valid) ++summary_.bad_tcp_checksums;
  j["tcp_options"] = TcpOptionsJson(s.options);

  std::vector<std::optional<MappingId>> mappings;
  ordered_json mptcp = MptcpJson(s, &mappings);
  const std::vector<MappingVerdict> verdicts = CheckMappings(s, flow);
  // The checksum verdict of each option that carries one: that of its
  // mapping when decided at this segment or before (a segment repeating a
  // decided mapping shows its verdict), null while the mapping's bytes are
  // still being collected or when it cannot be checked.
  ordered_json annotated = ordered_json::array();
  for (size_t i = 0; i < mptcp.size(); ++i) {
    ordered_json option = std::move(mptcp[i]);
    if (mappings[i]) {
      const MappingId& id = *mappings[i];
      ordered_json valid;
      const char* status = "unchecked";
      bool decided = false;
      for (const MappingVerdict& v : verdicts) {
        if (!(v.mapping == id)) continue;
        decided = true;
        if (v.state == MappingVerdict::State::kValid) {
          valid = true;
          status = "valid";
        } else if (v.state == MappingVerdict::State::kInvalid) {
          valid = false;
          status = "invalid";
        }
      }
      if (!decided) {
        if (flow.collecting && flow.mapping == id) {
          status = "pending";
        } else if (flow.have_last && flow.last == id && flow.last_verdict) {
          valid = *flow.last_verdict;
          status = *flow.last_verdict ? "valid" : "invalid";
        }
      }
      option["checksum_valid"] = std::move(valid);
      option["checksum_status"] = status;
    }
    annotated.push_back(std::move(option));
  }
  j["mptcp"] = std::move(annotated);
  if (!verdicts.empty()) {
    ordered_json list = ordered_json::array();
    for (const MappingVerdict& v : verdicts) {
      ordered_json o = ordered_json::object();
      o["mapping"] = v.from_mp_capable ? "MP_CAPABLE" : "DSS";
      o["dsn"] = Hex64(v.mapping.dsn);
      o["subflow_seq"] = v.mapping.subflow_seq;
      o["data_level_length"] = v.mapping.data_level_length;
      switch (v.state) {
        case MappingVerdict::State::kValid:
          o["valid"] = true;
          break;
        case MappingVerdict::State::kInvalid:
          o["valid"] = false;
          break;
        case MappingVerdict::State::kUnchecked:
          o["valid"] = ordered_json();
          o["why"] = v.why;
          break;
      }
      list.push_back(std::move(o));
    }
    j["checksum_verdicts"] = std::move(list);
  }
  const SubflowRef ref = FindSubflow(s);
  j["connection"] = ref.subflow != nullptr && ref.subflow->connection >= 0
                        ? ordered_json(ref.subflow->connection)
                        : ordered_json();
  if (s.has_option_problems()) {
    ++summary_.option_problems;
    ordered_json problems = ordered_json::array();
    for (const OptionProblem& problem : s.options.problem_list()) {
      problems.push_back(DescribeOptionProblem(problem));
    }
    for (const Segment::MptcpError& error : s.mptcp_option_errors()) {
      problems.push_back(std::string(error.status.message()));
    }
    j["problems"] = std::move(problems);
  }
  return j;
}

TraceDecoder::SubflowRef TraceDecoder::FindSubflow(const Segment& s) {
  auto it = subflows_.find(
      FlowKey{s.ip.src, s.tcp.src_port, s.ip.dst, s.tcp.dst_port});
  if (it != subflows_.end()) return {&it->second, true};
  it = subflows_.find(
      FlowKey{s.ip.dst, s.tcp.dst_port, s.ip.src, s.tcp.src_port});
  if (it != subflows_.end()) return {&it->second, false};
  return {};
}

int TraceDecoder::NewConnection() {
  connections_.emplace_back();
  return static_cast<int>(connections_.size()) - 1;
}

TraceDecoder::Subflow& TraceDecoder::AttachSubflow(const FlowKey& key,
                                                   int connection) {
  // A new handshake on a 4-tuple replaces what was known of it, whichever
  // way round it was recorded.
  const auto& [a, a_port, b, b_port] = key;
  subflows_.erase(FlowKey{b, b_port, a, a_port});
  Subflow& subflow = subflows_[key];
  subflow = Subflow();
  subflow.connection = connection;
  if (connection >= 0) {
    std::vector<FlowKey>& list = connections_[connection].subflows;
    if (std::find(list.begin(), list.end(), key) == list.end()) {
      list.push_back(key);
    }
  }
  return subflow;
}

void TraceDecoder::SetKey(Connection& connection, bool client, uint64_t key) {
  (client ? connection.client_key : connection.server_key) = key;
  (client ? connection.client_token : connection.server_token) =
      crypto::TokenFromKey(key);
}

ordered_json TraceDecoder::MptcpJson(
    const Segment& s, std::vector<std::optional<MappingId>>* mappings) {
  ordered_json list = ordered_json::array();
  const auto raw = s.options.mptcp_options();
  size_t next_parsed = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    const Segment::MptcpError* error = nullptr;
    for (const Segment::MptcpError& e : s.mptcp_option_errors()) {
      if (e.index == i) error = &e;
    }
    std::optional<MappingId> mapping;
    ordered_json o;
    if (error != nullptr || next_parsed >= s.mptcp_count) {
      ++summary_.mptcp_option_errors;
      o = ordered_json::object();
      o["subtype"] =
          raw[i].size() >= 3 ? MptcpSubtypeName(raw[i][2] >> 4) : "UNKNOWN";
      o["length"] = raw[i].size();
      o["error"] = error != nullptr ? std::string(error->status.message())
                                    : std::string("not parsed");
      o["raw"] = HexBytes(raw[i]);
    } else {
      const MptcpOption& option = s.mptcp[next_parsed++];
      if (mappings != nullptr)
        ++summary_.mptcp_options[MptcpSubtypeName(option)];
      o = MptcpOptionJson(s, option, raw[i].size());
      if (const Dss* dss = std::get_if<Dss>(&option)) {
        if (dss->mapping && dss->mapping->checksum) {
          mapping = MappingId{dss->mapping->dsn, dss->mapping->subflow_seq,
                              dss->mapping->data_level_length};
        }
      } else if (const MpCapable* mpc = std::get_if<MpCapable>(&option)) {
        if (mpc->checksum && mpc->data_level_length && mpc->sender_key) {
          mapping = MappingId{crypto::IdsnFromKey(*mpc->sender_key) + 1, 1,
                              *mpc->data_level_length};
        }
      }
    }
    list.push_back(std::move(o));
    if (mappings != nullptr) mappings->push_back(mapping);
  }
  return list;
}

ordered_json TraceDecoder::MptcpOptionJson(const Segment& s,
                                           const MptcpOption& option,
                                           size_t length) {
  ordered_json o = ordered_json::object();
  o["subtype"] = MptcpSubtypeName(option);
  o["length"] = length;
  const bool syn = s.tcp.has(TcpHeader::kSyn);
  const bool syn_ack = s.tcp.has(TcpHeader::kSyn | TcpHeader::kAck);
  const FlowKey forward{s.ip.src, s.tcp.src_port, s.ip.dst, s.tcp.dst_port};
  const FlowKey backward{s.ip.dst, s.tcp.dst_port, s.ip.src, s.tcp.src_port};
  auto hmac_verdict = [this](std::optional<bool> valid) {
    if (!valid) {
      ++summary_.hmacs_unknown;
      return ordered_json();
    }
    ++(*valid ? summary_.hmacs_valid : summary_.hmacs_invalid);
    return ordered_json(*valid);
  };

  if (const auto* mpc = std::get_if<MpCapable>(&option)) {
    const char* variant = "SYN";
    if (mpc->data_level_length) {
      variant = "ACK+data";
    } else if (mpc->receiver_key) {
      variant = "ACK";
    } else if (mpc->sender_key) {
      variant = syn && !syn_ack ? "SYN" : "SYN/ACK";  // a v0 SYN has a key
    }
    o["variant"] = variant;
    o["version"] = mpc->version;
    o["flags"] = mpc->flags;
    o["checksum_required"] = (mpc->flags & kMpcFlagA) != 0;
    o["extensibility"] = (mpc->flags & kMpcFlagB) != 0;
    o["no_new_subflows_to_source"] = (mpc->flags & kMpcFlagC) != 0;
    o["hmac_sha256"] = (mpc->flags & kMpcFlagH) != 0;
    auto put_key = [&o](const char* who, uint64_t key) {
      const crypto::KeyDerivation d = crypto::DeriveFromKey(key);
      o[absl::StrCat(who, "_key")] = Hex64(key);
      o[absl::StrCat(who, "_token")] = Hex32(d.token);
      o[absl::StrCat(who, "_idsn")] = Hex64(d.idsn);
    };
    if (mpc->sender_key) put_key("sender", *mpc->sender_key);
    if (mpc->receiver_key) put_key("receiver", *mpc->receiver_key);
    if (mpc->data_level_length) {
      o["data_level_length"] = *mpc->data_level_length;
    }
    if (mpc->checksum) o["checksum"] = Hex16(*mpc->checksum);

    // Tracking. The SYN starts a new subflow; the SYN/ACK names the server's
    // key; the third ACK (and the ACK with data) the client's, then the
    // server's.
    int connection = -1;
    if (!mpc->sender_key) {
      if (syn && !syn_ack) {
        subflows_.erase(forward);
        subflows_.erase(backward);
      }
    } else if (!mpc->receiver_key) {
      if (syn_ack) {
        const SubflowRef ref = FindSubflow(s);
        if (ref.subflow != nullptr && ref.subflow->connection >= 0 &&
            !ref.from_client &&
            connections_[ref.subflow->connection].server_key.value_or(
                *mpc->sender_key) == *mpc->sender_key) {
          connection = ref.subflow->connection;
        } else {
          connection = NewConnection();
          AttachSubflow(backward, connection);
        }
        SetKey(connections_[connection], false, *mpc->sender_key);
      }
    } else {
      const uint64_t client_key = *mpc->sender_key;
      const uint64_t server_key = *mpc->receiver_key;
      const SubflowRef ref = FindSubflow(s);
      if (ref.subflow != nullptr && ref.subflow->connection >= 0 &&
          ref.from_client) {
        const Connection& c = connections_[ref.subflow->connection];
        if (c.client_key.value_or(client_key) == client_key &&
            c.server_key.value_or(server_key) == server_key) {
          connection = ref.subflow->connection;
        }
      }
      if (connection < 0) {
        for (int i = static_cast<int>(connections_.size()) - 1; i >= 0; --i) {
          if (connections_[i].client_key == client_key &&
              connections_[i].server_key == server_key) {
            connection = i;
            break;
          }
        }
        if (connection < 0) connection = NewConnection();
        AttachSubflow(forward, connection);
      }
      SetKey(connections_[connection], true, client_key);
      SetKey(connections_[connection], false, server_key);
    }
    if (connection >= 0) o["connection"] = connection;
  } else if (const auto* join = std::get_if<MpJoinSyn>(&option)) {
    o["variant"] = "SYN";
    o["backup"] = join->backup;
    o["address_id"] = join->address_id;
    o["token"] = Hex32(join->token);
    o["nonce"] = Hex32(join->nonce);
    // The token is the receiver's: the server's if the client joins.
    int connection = -1;
    bool from_client = true;
    for (int i = static_cast<int>(connections_.size()) - 1; i >= 0; --i) {
      if (connections_[i].server_token == join->token) {
        connection = i;
        break;
      }
      if (connections_[i].client_token == join->token) {
        connection = i;
        from_client = false;
        break;
      }
    }
    ++(connection >= 0 ? summary_.join_tokens_known
                       : summary_.join_tokens_unknown);
    o["token_known"] = connection >= 0;
    o["connection"] =
        connection >= 0 ? ordered_json(connection) : ordered_json();
    if (syn && !syn_ack) {
      Subflow& subflow =
          AttachSubflow(from_client ? forward : backward, connection);
      subflow.join = true;
      subflow.join_from_client = from_client;
      subflow.initiator_nonce = join->nonce;
    }
  } else if (const auto* join = std::get_if<MpJoinSynAck>(&option)) {
    o["variant"] = "SYN/ACK";
    o["backup"] = join->backup;
    o["address_id"] = join->address_id;
    o["hmac"] = Hex64(join->truncated_hmac);
    o["nonce"] = Hex32(join->nonce);
    std::optional<bool> valid;
    const SubflowRef ref = FindSubflow(s);
    Subflow* subflow = ref.subflow;
    if (subflow != nullptr && subflow->join) {
      subflow->responder_nonce = join->nonce;
      if (subflow->connection >= 0) {
        o["connection"] = subflow->connection;
        const Connection& c = connections_[subflow->connection];
        const auto& initiator_key =
            subflow->join_from_client ? c.client_key : c.server_key;
        const auto& responder_key =
            subflow->join_from_client ? c.server_key : c.client_key;
        if (initiator_key && responder_key && subflow->initiator_nonce) {
          valid = crypto::VerifyJoinSynAckHmac(
              join->truncated_hmac, *responder_key, *initiator_key, join->nonce,
              *subflow->initiator_nonce);
          if (!*valid) {
            o["hmac_expected"] = Hex64(
                crypto::JoinSynAckHmac(*responder_key, *initiator_key,
                                       join->nonce, *subflow->initiator_nonce));
          }
        }
      }
    }
    o["hmac_valid"] = hmac_verdict(valid);
  } else if (const auto* join = std::get_if<MpJoinAck>(&option)) {
    o["variant"] = "ACK";
    o["hmac"] = HexBytes(join->hmac);
    std::optional<bool> valid;
    const SubflowRef ref = FindSubflow(s);
    const Subflow* subflow = ref.subflow;
    if (subflow != nullptr && subflow->join && subflow->connection >= 0) {
      o["connection"] = subflow->connection;
      const Connection& c = connections_[subflow->connection];
      const auto& initiator_key =
          subflow->join_from_client ? c.client_key : c.server_key;
      const auto& responder_key =
          subflow->join_from_client ? c.server_key : c.client_key;
      if (initiator_key && responder_key && subflow->initiator_nonce &&
          subflow->responder_nonce) {
        valid = crypto::VerifyJoinAckHmac(
            join->hmac, *initiator_key, *responder_key,
            *subflow->initiator_nonce, *subflow->responder_nonce);
        if (!*valid) {
          o["hmac_expected"] = HexBytes(crypto::JoinAckHmac(
              *initiator_key, *responder_key, *subflow->initiator_nonce,
              *subflow->responder_nonce));
        }
      }
    }
    o["hmac_valid"] = hmac_verdict(valid);
  } else if (const auto* dss = std::get_if<Dss>(&option)) {
    o["flags"] = dss->flags();
    o["data_fin"] = dss->data_fin;
    if (dss->data_ack) {
      o["data_ack"] = dss->data_ack_64
                          ? Hex64(*dss->data_ack)
                          : Hex32(static_cast<uint32_t>(*dss->data_ack));
      o["data_ack_64"] = dss->data_ack_64;
    }
    if (dss->mapping) {
      const DssMapping& m = *dss->mapping;
      o["dsn"] = m.dsn_64 ? Hex64(m.dsn) : Hex32(static_cast<uint32_t>(m.dsn));
      o["dsn_64"] = m.dsn_64;
      o["subflow_seq"] = m.subflow_seq;
      o["data_level_length"] = m.data_level_length;
      if (m.checksum) o["checksum"] = Hex16(*m.checksum);
    }
  } else if (const auto* add = std::get_if<AddAddr>(&option)) {
    o["echo"] = add->echo;
    o["address_id"] = add->address_id;
    o["address"] = add->address.ToString();
    o["ip_version"] = add->address.is_v4() ? 4 : 6;
    if (add->port) o["port"] = *add->port;
    if (add->truncated_hmac) {
      o["hmac"] = Hex64(*add->truncated_hmac);
      // RFC 8684 §3.4.1: keyed with the sender's key first; the sender is
      // whichever end of the subflow sent this segment.
      std::optional<bool> valid;
      const SubflowRef ref = FindSubflow(s);
      if (ref.subflow != nullptr && ref.subflow->connection >= 0) {
        o["connection"] = ref.subflow->connection;
        o["sender"] = ref.from_client ? "client" : "server";
        const Connection& c = connections_[ref.subflow->connection];
        const auto& sender_key = ref.from_client ? c.client_key : c.server_key;
        const auto& receiver_key =
            ref.from_client ? c.server_key : c.client_key;
        if (sender_key && receiver_key) {
          const uint16_t port = add->port.value_or(0);
          valid = crypto::VerifyAddAddrHmac(*add->truncated_hmac, *sender_key,
                                            *receiver_key, add->address_id,
                                            add->address.bytes(), port);
          if (!*valid) {
            o["hmac_expected"] = Hex64(
                crypto::AddAddrHmac(*sender_key, *receiver_key, add->address_id,
                                    add->address.bytes(), port));
          }
        }
      }
      o["hmac_valid"] = hmac_verdict(valid);
    }
  } else if (const auto* remove = std::get_if<RemoveAddr>(&option)) {
    ordered_json ids = ordered_json::array();
    for (uint8_t id : remove->id_span()) ids.push_back(id);
    o["address_ids"] = std::move(ids);
  } else if (const auto* prio = std::get_if<MpPrio>(&option)) {
    o["backup"] = prio->backup;
    if (prio->address_id) o["address_id"] = *prio->address_id;
  } else if (const auto* fail = std::get_if<MpFail>(&option)) {
    o["dsn"] = Hex64(fail->dsn);
  } else if (const auto* fastclose = std::get_if<MpFastclose>(&option)) {
    o["receiver_key"] = Hex64(fastclose->receiver_key);
    o["receiver_token"] = Hex32(crypto::TokenFromKey(fastclose->receiver_key));
  } else if (const auto* rst = std::get_if<MpTcpRst>(&option)) {
    o["transient"] = rst->transient;
    o["reason"] = rst->reason;
    o["reason_name"] = TcpRstReasonName(rst->reason);
  } else if (const auto* experimental = std::get_if<MpExperimental>(&option)) {
    o["nibble"] = experimental->nibble;
    o["data"] = HexBytes(experimental->payload);
  }
  return o;
}

ordered_json TraceDecoder::ConnectionJson(int index) const {
  const Connection& c = connections_[index];
  ordered_json o = ordered_json::object();
  o["index"] = index;
  auto put_key = [&o](const char* who, const std::optional<uint64_t>& key) {
    if (!key) {
      o[absl::StrCat(who, "_key")] = ordered_json();
      return;
    }
    const crypto::KeyDerivation d = crypto::DeriveFromKey(*key);
    o[absl::StrCat(who, "_key")] = Hex64(*key);
    o[absl::StrCat(who, "_token")] = Hex32(d.token);
    o[absl::StrCat(who, "_idsn")] = Hex64(d.idsn);
  };
  put_key("client", c.client_key);
  put_key("server", c.server_key);
  ordered_json subflows = ordered_json::array();
  for (const FlowKey& key : c.subflows) {
    const auto& [client, client_port, server, server_port] = key;
    ordered_json sf = ordered_json::object();
    sf["client"] = absl::StrCat(client.ToString(), ":", client_port);
    sf["server"] = absl::StrCat(server.ToString(), ":", server_port);
    const auto it = subflows_.find(key);
    if (it != subflows_.end() && it->second.connection == index) {
      sf["join"] = it->second.join;
    }
    subflows.push_back(std::move(sf));
  }
  o["subflows"] = std::move(subflows);
  return o;
}

ordered_json TraceDecoder::SummaryJson() const {
  const TraceSummary& t = summary_;
  ordered_json s = ordered_json::object();
  s["packets"] = t.packets;
  s["tcp_segments"] = t.tcp_segments;
  s["not_tcp"] = t.not_tcp;
  s["truncated"] = t.truncated;
  s["malformed"] = t.malformed;
  s["bad_tcp_checksums"] = t.bad_tcp_checksums;
  s["option_problems"] = t.option_problems;
  ordered_json kinds = ordered_json::object();
  for (const auto& [name, count] : t.mptcp_options) kinds[name] = count;
  s["mptcp_options"] = std::move(kinds);
  s["mptcp_option_errors"] = t.mptcp_option_errors;
  s["join_tokens"] = {{"known", t.join_tokens_known},
                      {"unknown", t.join_tokens_unknown}};
  s["hmacs"] = {{"valid", t.hmacs_valid},
                {"invalid", t.hmacs_invalid},
                {"unknown", t.hmacs_unknown}};
  s["checksums"] = {{"valid", t.dss_checksums_ok},
                    {"invalid", t.dss_checksums_bad},
                    {"unchecked", t.dss_checksums_unchecked}};
  s["clean"] = t.clean() && t.hmacs_invalid == 0;
  ordered_json connections = ordered_json::array();
  for (int i = 0; i < static_cast<int>(connections_.size()); ++i) {
    connections.push_back(ConnectionJson(i));
  }
  s["connections"] = std::move(connections);
  ordered_json summary = ordered_json::object();
  summary["summary"] = std::move(s);
  return summary;
}

}  // namespace plait::wire

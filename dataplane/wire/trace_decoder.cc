#include "dataplane/wire/trace_decoder.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "dataplane/wire/dss_checksum.h"

namespace plait::wire {
namespace {

// Mappings longer than this are not buffered for checking (the field is 16
// bits, so this only bounds memory per flow).
constexpr size_t kMaxMappingBytes = 65535;

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

}  // namespace

std::string TraceSummary::ToString() const {
  std::vector<std::string> kinds;
  for (const auto& [name, count] : mptcp_options) {
    kinds.push_back(absl::StrCat(name, " ", count));
  }
  return absl::StrCat(
      packets, " packets: ", tcp_segments, " TCP, ", not_tcp, " other, ",
      malformed, " malformed, ", bad_tcp_checksums, " bad TCP checksums, ",
      option_problems, " with malformed options\nMPTCP options: ",
      kinds.empty() ? "none" : absl::StrJoin(kinds, ", "),
      "\nDSS checksums: ", dss_checksums_ok, " correct, ", dss_checksums_bad,
      " wrong, ", dss_checksums_unchecked, " not checkable");
}

std::string TraceDecoder::Decode(absl::Span<const uint8_t> packet,
                                 uint64_t timestamp_ns) {
  ++summary_.packets;
  if (!have_first_) {
    first_timestamp_ns_ = timestamp_ns;
    have_first_ = true;
  }
  const uint64_t since = timestamp_ns >= first_timestamp_ns_
                             ? timestamp_ns - first_timestamp_ns_
                             : 0;
  std::string line =
      absl::StrFormat("%4d %4d.%06d ", summary_.packets, since / 1000000000,
                      (since % 1000000000) / 1000);
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

  Flow& flow =
      flows_[FlowKey{s.ip.src, s.tcp.src_port, s.ip.dst, s.tcp.dst_port}];
  if (s.tcp.has(TcpHeader::kSyn)) {
    flow.have_isn = true;
    flow.isn = s.tcp.seq;
    flow.collecting = false;
  }
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
  absl::StrAppend(&line, CheckDss(s, flow));

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

// Collects the payload of a checksummed DSS mapping across the segments that
// carry it, in order, and verifies the checksum once the mapping is complete.
std::string TraceDecoder::CheckDss(const Segment& s, Flow& flow) {
  std::string verdict;
  if (!flow.have_isn) return verdict;
  const uint32_t relative = s.tcp.seq - flow.isn;
  for (const MptcpOption& option : s.mptcp_options()) {
    const Dss* dss = std::get_if<Dss>(&option);
    if (dss == nullptr || !dss->mapping || !dss->mapping->checksum) continue;
    const DssMapping& m = *dss->mapping;
    // Linux repeats the mapping on every segment that carries part of it.
    if (flow.collecting && m.dsn == flow.dsn &&
        m.subflow_seq == flow.subflow_seq &&
        m.data_level_length == flow.data_level_length) {
      continue;
    }
    if (flow.collecting) ++summary_.dss_checksums_unchecked;  // superseded
    flow.collecting = false;
    // An infinite mapping (length 0) carries checksum 0 and covers nothing;
    // a 32-bit DSN cannot be checked without the connection's state.
    if (m.data_level_length == 0 || !m.dsn_64) {
      ++summary_.dss_checksums_unchecked;
      continue;
    }
    flow.collecting = true;
    flow.dsn = m.dsn;
    flow.subflow_seq = m.subflow_seq;
    flow.data_level_length = m.data_level_length;
    flow.payload_length = m.data_level_length - (dss->data_fin ? 1 : 0);
    flow.checksum = *m.checksum;
    flow.bytes.clear();
  }
  if (!flow.collecting) return verdict;
  // A DATA_FIN alone (length 1, SSN 0) covers no subflow bytes.
  if (flow.payload_length > 0) {
    if (s.tcp.payload.empty()) return verdict;
    const uint32_t expected = flow.subflow_seq + flow.bytes.size();
    if (relative != expected || flow.bytes.size() >= kMaxMappingBytes) {
      if (relative - flow.subflow_seq < flow.bytes.size()) return verdict;
      flow.collecting = false;
      ++summary_.dss_checksums_unchecked;
      return " (dss csum not checkable: bytes missing)";
    }
    const size_t take = std::min<size_t>(
        s.tcp.payload.size(), flow.payload_length - flow.bytes.size());
    flow.bytes.insert(flow.bytes.end(), s.tcp.payload.begin(),
                      s.tcp.payload.begin() + take);
    if (flow.bytes.size() < flow.payload_length) return verdict;
  }
  flow.collecting = false;
  if (VerifyDssChecksum(flow.dsn, flow.subflow_seq, flow.data_level_length,
                        flow.checksum, flow.bytes)) {
    ++summary_.dss_checksums_ok;
    return " (dss csum ok)";
  }
  ++summary_.dss_checksums_bad;
  return " (DSS CHECKSUM WRONG)";
}

}  // namespace plait::wire

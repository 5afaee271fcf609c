#include "dataplane/wire/trace_decoder.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "dataplane/crypto/keys.h"
#include "dataplane/wire/dss_checksum.h"

namespace plait::wire {
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

}  // namespace

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

std::string TraceDecoder::StartLine(uint64_t timestamp_ns) {
  ++summary_.packets;
  if (!have_first_) {
    first_timestamp_ns_ = timestamp_ns;
    have_first_ = true;
  }
  const uint64_t since = timestamp_ns >= first_timestamp_ns_
                             ? timestamp_ns - first_timestamp_ns_
                             : 0;
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

  Flow& flow =
      flows_[FlowKey{s.ip.src, s.tcp.src_port, s.ip.dst, s.tcp.dst_port}];
  if (s.tcp.has(TcpHeader::kSyn)) {
    flow.have_isn = true;
    flow.isn = s.tcp.seq;
    flow.collecting = false;
    flow.have_last = false;
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
  absl::StrAppend(&line, CheckMappings(s, flow));

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

void TraceDecoder::AbandonCollection(Flow& flow) {
  ++summary_.dss_checksums_unchecked;
  flow.collecting = false;
  flow.have_last = true;
  flow.last = flow.mapping;
}

// Collects the payload of a checksummed mapping (DSS, or the implicit mapping
// of an MP_CAPABLE with data) across the segments that carry it, in order,
// and verifies the checksum once the mapping is complete. Each mapping is
// counted once: segments that repeat it (Linux puts the mapping on every
// segment carrying part of it) or retransmit it, or an older one, change
// nothing.
std::string TraceDecoder::CheckMappings(const Segment& s, Flow& flow) {
  std::string verdict;
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
    if (flow.collecting) AbandonCollection(flow);  // superseded
    if (why_unchecked != nullptr) {
      ++summary_.dss_checksums_unchecked;
      flow.have_last = true;
      flow.last = id;
      absl::StrAppend(&verdict, " (csum not checkable: ", why_unchecked, ")");
      continue;
    }
    flow.collecting = true;
    flow.from_mp_capable = from_mp_capable;
    flow.mapping = id;
    flow.payload_length = payload_length;
    flow.checksum = checksum;
    flow.bytes.clear();
  }
  if (!flow.collecting) return verdict;
  // A DATA_FIN alone (length 1, SSN 0) covers no subflow bytes.
  if (flow.payload_length > 0) {
    const absl::Span<const uint8_t> payload = s.tcp.payload;
    if (payload.empty()) return verdict;
    const uint32_t relative = s.tcp.seq - flow.isn;
    // Where the segment starts relative to the mapping's first byte, and how
    // much of the mapping has been collected.
    const int64_t offset =
        static_cast<int32_t>(relative - flow.mapping.subflow_seq);
    const int64_t collected = static_cast<int64_t>(flow.bytes.size());
    if (offset > collected) {
      AbandonCollection(flow);
      return absl::StrCat(verdict, " (csum not checkable: bytes missing)");
    }
    // Bytes at the start of the segment that were collected already (a
    // retransmission, possibly overlapping new bytes) are skipped.
    const int64_t skip = collected - offset;
    if (skip >= static_cast<int64_t>(payload.size())) return verdict;
    const size_t take =
        std::min(payload.size() - static_cast<size_t>(skip),
                 size_t{flow.payload_length} - flow.bytes.size());
    const auto begin = payload.begin() + skip;
    flow.bytes.insert(flow.bytes.end(), begin, begin + take);
    if (flow.bytes.size() < flow.payload_length) return verdict;
  }
  flow.collecting = false;
  flow.have_last = true;
  flow.last = flow.mapping;
  const bool ok = VerifyDssChecksum(flow.mapping.dsn, flow.mapping.subflow_seq,
                                    flow.mapping.data_level_length,
                                    flow.checksum, flow.bytes);
  if (ok) {
    ++summary_.dss_checksums_ok;
    return absl::StrCat(verdict, flow.from_mp_capable ? " (mp_capable csum ok)"
                                                      : " (dss csum ok)");
  }
  ++summary_.dss_checksums_bad;
  return absl::StrCat(verdict, flow.from_mp_capable
                                   ? " (MP_CAPABLE CHECKSUM WRONG)"
                                   : " (DSS CHECKSUM WRONG)");
}

}  // namespace plait::wire

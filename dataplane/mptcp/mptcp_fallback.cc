// MptcpConnection's fallback to TCP (RFC 8684 3.7) after the handshake:
// when a middlebox strips MPTCP options (no DATA_ACK, data without a
// mapping, the peer's infinite mapping) or changes payload (a DSS checksum
// failure, answered with MP_FAIL). The connection falls back only while its
// data level is TCP in disguise; otherwise the affected subflow is reset.
#include <algorithm>

#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/mptcp/mptcp_subflow.h"
#include "dataplane/wire/option_writer.h"

namespace plait::mptcp {

using wire::TcpHeader;

// RFC 8684 3.7: falling back to TCP once MPTCP options stop arriving is
// safe only while the data level is TCP in disguise: one subflow that ever
// carried data, nothing reinjected, and what it delivered so far in order
// at the data level, so that its next byte is the next data-level byte.
bool MptcpConnection::CanFallBackOn(const Subflow& sf) const {
  if (!sf.initial || stats_.bytes_reinjected > 0) return false;
  for (const auto& other : subflows_) {
    if (other.get() != &sf && other->usable) return false;
  }
  return static_cast<int64_t>(recv_.contiguous_end()) ==
         static_cast<int64_t>(sf.read_offset) + sf.rx_delta;
}

void MptcpConnection::FallBackOn(Subflow& sf, Time now) {
  ++stats_.fallbacks_after_handshake;
  Fallback(now);
  // What this subflow was given is TCP's to deliver now; nothing else was
  // sent anywhere (CanFallBackOn).
  if (data_snd_nxt_ > data_una_) {
    send_.Release(data_snd_nxt_);
    data_una_ = data_snd_nxt_;
  }
  reinject_.clear();
  sf.chunks.clear();
  sf.rx.clear();
  signals_.clear();
  announces_.clear();
}

// RFC 8684 3.7, as Linux does it: a mapping whose checksum fails was
// changed on the way (a payload-rewriting middlebox). With other subflows,
// this one is reset with MP_FAIL and MP_TCPRST and its data is sent again
// elsewhere. Alone, and with the data level still in order, the connection
// falls back to TCP instead: the bytes as the path delivered them are the
// stream from here on, exactly what plain TCP would have given, and the
// MP_FAIL tells the peer to fall back too.
void MptcpConnection::ChecksumFailed(Subflow& sf, uint64_t dsn,
                                     absl::Span<const uint8_t> bytes,
                                     Time now) {
  ++stats_.checksum_failures;
  ++stats_.mp_fail_sent;
  sf.mp_fail_dsn = dsn;
  if (!CanFallBackOn(sf)) {
    sf.read_offset += bytes.size();
    sf.pending_reset = wire::TcpRstReason::kMiddleboxInterference;
    return;
  }
  // `bytes` are in scratch_, which FallBackOn does not touch.
  FallBackOn(sf, now);
  recv_.Insert(recv_.contiguous_end(), bytes);
  sf.read_offset += bytes.size();
  readable_pending_ = true;
  sf.ack_now = true;  // carries the MP_FAIL
}

void MptcpConnection::OnMpFail(Subflow& sf, const wire::MpFail& fail,
                               Time now) {
  ++stats_.mp_fail_received;
  // With several subflows the peer resets the one that failed (MP_FAIL on
  // its RST); an MP_FAIL on a live subflow asks for fallback, which only a
  // connection that is still TCP in disguise can do. Otherwise reset.
  if (!CanFallBackOn(sf)) {
    sf.pending_reset = wire::TcpRstReason::kMiddleboxInterference;
    return;
  }
  const uint64_t data_next = data_snd_nxt_;
  const uint64_t stream_next = sf.written;
  FallBackOn(sf, now);
  wire::DssMapping infinite;
  infinite.dsn = LocalDsn(data_next);
  infinite.subflow_seq = static_cast<uint32_t>(stream_next + 1);
  infinite.data_level_length = 0;
  if (checksums_) infinite.checksum = 0;
  sf.infinite_mapping = infinite;
  sf.mp_fail_echo = fail.dsn;
  sf.ack_now = true;
}

// After fallback, MPTCP options appear only to finish the fallback
// handshake: our MP_FAIL until the peer follows; or, answering the peer's
// MP_FAIL, the infinite mapping once and then the MP_FAIL echo once (as
// Linux does; they do not fit together beside timestamps).
void MptcpConnection::AddFallbackOptions(Subflow& sf,
                                         wire::OptionWriter& writer) {
  if (sf.infinite_mapping) {
    wire::Dss dss;
    dss.mapping = *sf.infinite_mapping;
    writer.Add(wire::MptcpOption{dss});
    sf.infinite_mapping.reset();
    return;
  }
  if (sf.mp_fail_echo) {
    writer.Add(wire::MptcpOption{wire::MpFail{.dsn = *sf.mp_fail_echo}});
    sf.mp_fail_echo.reset();
    return;
  }
  if (sf.mp_fail_dsn) {
    writer.Add(wire::MptcpOption{wire::MpFail{.dsn = *sf.mp_fail_dsn}});
  }
}

bool MptcpConnection::AcksNewData(const Subflow& sf, const wire::Segment& s) {
  const auto acked = static_cast<uint32_t>(s.tcp.ack - sf.tcp->isn() - 1);
  const auto known = static_cast<uint32_t>(sf.tcp->stats().bytes_acked);
  return s.tcp.has(TcpHeader::kAck) && static_cast<int32_t>(acked - known) > 0;
}

// Every fallback of a connection that tried MPTCP comes here: at the
// handshake (AcceptSyn, the client's SYN/ACK, the server's stripped third
// ACK) and after it (FallBackOn), so the event is reported once.
void MptcpConnection::Fallback(Time now) {
  const bool already = fallback_;
  fallback_ = true;
  mptcp_ = false;
  if (!already && config_.enabled) QueueEvent(QueuedEvent::Kind::kFallback);
}

}  // namespace plait::mptcp

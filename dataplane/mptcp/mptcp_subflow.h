// The per-subflow adapter of MptcpConnection (internal to dataplane/mptcp):
// the TcpOwner of one subflow's TCP engine, and what the connection keeps
// about that subflow.
#ifndef PLAIT_DATAPLANE_MPTCP_MPTCP_SUBFLOW_H_
#define PLAIT_DATAPLANE_MPTCP_MPTCP_SUBFLOW_H_

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "dataplane/base/time.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_owner.h"
#include "dataplane/wire/mptcp_option.h"

namespace plait::mptcp {

// A chunk's data-level length leaves room for the DATA_FIN's byte.
inline constexpr uint64_t kMaxChunk = 65534;

struct MptcpConnection::Subflow : public tcp::TcpOwner {
  // Bytes [begin, end) of the subflow's stream carry data-level offsets
  // [data_offset, data_offset + end - begin).
  struct Chunk {
    uint64_t begin = 0;
    uint64_t end = 0;
    uint64_t data_offset = 0;
    uint16_t checksum = 0;      // with the data-level length end - begin
    uint16_t checksum_fin = 0;  // with the DATA_FIN counted in the length
  };
  // A mapping received from the peer, keyed by its first stream offset.
  struct RxMapping {
    uint64_t end = 0;
    uint64_t data_offset = 0;
    uint64_t dsn = 0;
    uint32_t ssn = 0;
    uint16_t wire_length = 0;  // as on the wire (with the DATA_FIN)
    std::optional<uint16_t> checksum;
  };

  MptcpConnection* conn = nullptr;
  uint32_t id = 0;
  bool initial = false;
  bool join = false;
  std::unique_ptr<tcp::TcpConnection> tcp;

  std::deque<Chunk> chunks;
  uint64_t written = 0;  // stream offset after the last chunk
  // Data-level offset after the highest byte given to this subflow.
  uint64_t carried_end = 0;
  uint64_t sent_end = 0;  // stream offset after the highest byte sent
  std::map<uint64_t, RxMapping> rx;
  uint64_t read_offset = 0;  // next stream offset to read from the engine
  // Data-level offset minus stream offset of the bytes read last (0 before
  // any: MP_CAPABLE's implicit mapping puts stream byte 0 at offset 0).
  int64_t rx_delta = 0;

  bool usable = false;  // may carry data
  bool closed = false;
  bool fin_sent = false;
  bool join_failed = false;
  // Server: the third ACK of MP_JOIN verified; the fourth (a pure ACK with
  // a DATA_ACK) is to be sent once the engine has returned.
  bool ack_now = false;
  // Backup priority asked by this side (MP_JOIN B bit, MP_PRIO we sent) and
  // by the peer (its B bit or MP_PRIO); either makes it a backup subflow,
  // as in Linux (backup || request_bkup).
  bool backup = false;
  bool peer_backup = false;
  bool is_backup() const { return backup || peer_backup; }
  // Address ids (RFC 8684 3.4.1): ours as sent in MP_JOIN, the peer's.
  uint8_t local_address_id = 0;
  uint8_t remote_address_id = 0;
  // The path manager's id; absent for subflows opened by AddSubflow
  // directly, which it does not manage.
  std::optional<pm::SubflowId> pm_id;
  // The path manager closed it and has forgotten it: no report.
  bool pm_forgotten = false;
  // Its establishment was reported (the initial subflow's by the
  // connection's): only such a subflow's priority and end are events.
  bool reported = false;
  // This side closed or reset it (CloseSubflow, the path manager,
  // ResetSubflow): SubflowCloseReason::requested.
  bool close_requested = false;
  // Closing at the connection's request (FIN sent or about to be): no data.
  bool closing = false;
  // The peer closed it while the connection goes on: when this side closes
  // it too (MptcpConnection::ClosePeerClosedSubflows).
  Time peer_fin_close_at = kNever;
  // The MP_TCPRST that came with the peer's RST.
  std::optional<wire::MpTcpRst> peer_rst;
  tcp::CloseReason close_reason = tcp::CloseReason::kNormal;
  bool rst_transient = false;  // on our RST's MP_TCPRST
  // Client: when to send the MP_JOIN third ACK again if the fourth has not
  // come (a pure ACK is not retransmitted by the engine).
  Time join_ack_at = kNever;
  int join_ack_tries = 0;
  // A retransmission timeout with nothing acknowledged since: the subflow
  // takes no new data, and what it holds was reinjected on the others.
  bool stale = false;
  uint64_t rto_seen = 0;
  uint64_t acked_when_stale = 0;
  uint32_t local_nonce = 0;
  uint32_t remote_nonce = 0;
  std::optional<wire::TcpRstReason> pending_reset;
  std::optional<wire::TcpRstReason> rst_reason;  // on our RST
  // RFC 8684 3.7: the DSN of a mapping whose checksum failed, sent in an
  // MP_FAIL (on our RST when other subflows remain; else on every segment
  // until the peer shows it fell back too).
  std::optional<uint64_t> mp_fail_dsn;
  // The peer's MP_FAIL made us fall back: the next segment carries an
  // infinite mapping (this subflow's next byte is this data-level byte).
  std::optional<wire::DssMapping> infinite_mapping;
  // The peer's MP_FAIL, echoed once after the infinite mapping (both do not
  // fit beside timestamps in one segment).
  std::optional<uint64_t> mp_fail_echo;

  void OnEstablished(Time now) override {
    conn->SubflowEstablished(*this, now);
  }
  void OnReadable(Time now) override { conn->SubflowReadable(*this, now); }
  void OnClosed(Time now, tcp::CloseReason reason) override {
    close_reason = reason;
    conn->SubflowClosed(*this, now);
  }
  void AddOptions(const tcp::OutgoingSegment& segment,
                  wire::OptionWriter& writer) override {
    conn->SubflowAddOptions(*this, segment, writer);
  }
  void OnSegmentSent(const tcp::OutgoingSegment& segment) override {
    conn->SubflowSegmentSent(*this, segment);
  }
  void OnIncomingSegment(const wire::Segment& segment, Time now) override {
    conn->SubflowIncoming(*this, segment, now);
  }

  const Chunk* FindChunk(uint64_t offset) const {
    auto it = std::upper_bound(
        chunks.begin(), chunks.end(), offset,
        [](uint64_t o, const Chunk& c) { return o < c.begin; });
    if (it == chunks.begin()) return nullptr;
    --it;
    return offset < it->end ? &*it : nullptr;
  }
  // CLOSE_WAIT too (Linux __tcp_can_send): the peer's FIN on a subflow
  // ends only its direction, and our data may still need this subflow.
  bool CanSend() const {
    return usable && !closed && !fin_sent && !closing && !pending_reset &&
           (tcp->state() == tcp::TcpState::kEstablished ||
            tcp->state() == tcp::TcpState::kCloseWait);
  }
};

}  // namespace plait::mptcp

#endif  // PLAIT_DATAPLANE_MPTCP_MPTCP_SUBFLOW_H_

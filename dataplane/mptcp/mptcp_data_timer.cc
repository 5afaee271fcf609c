// MptcpConnection's data-level retransmission timer (Linux's
// mptcp_retransmit_timer): bytes a subflow acknowledged but whose DATA_ACK
// was lost, or a DATA_FIN that rode on a lost pure ACK, have no subflow that
// would send them again; and a closed data-level window needs a probe when
// the update that opens it is lost.
#include <algorithm>

#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/mptcp/mptcp_subflow.h"

namespace plait::mptcp {
namespace {

// The data-level timer backs off to 64 subflow RTOs at most.
constexpr int kMaxDataRtxBackoff = 6;

}  // namespace

bool MptcpConnection::DataLevelOutstanding() const {
  if (!mptcp_ || closed_ || aborting_) return false;
  return data_una_ < data_snd_nxt_ ||
         (close_requested_ && data_snd_nxt_ == fin_offset_ && !fin_acked_);
}

bool MptcpConnection::DataWindowClosed() const {
  return mptcp_ && !closed_ && !aborting_ && data_wnd_end_ &&
         data_una_ == data_snd_nxt_ && send_.end_offset() > data_snd_nxt_ &&
         data_snd_nxt_ >= *data_wnd_end_;
}

// The longest RTO of the subflows that could carry a retransmission: the
// data-level timer must not fire before a subflow's own recovery had its
// chance, or every subflow RTO would be doubled by a data-level copy.
Duration MptcpConnection::DataRetransmitTimeout() const {
  Duration rto{0};
  for (const auto& sf : subflows_) {
    if (sf->usable && !sf->closed) rto = std::max(rto, sf->tcp->rtt().rto());
  }
  return rto;
}

void MptcpConnection::ArmDataTimer(Time now) {
  if (!DataLevelOutstanding() && !DataWindowClosed()) {
    data_rtx_at_ = kNever;
    data_rtx_backoff_ = 0;
    return;
  }
  if (data_rtx_at_ != kNever) return;
  const Duration rto = DataRetransmitTimeout();
  if (rto > Duration{0}) data_rtx_at_ = now + rto * (1 << data_rtx_backoff_);
}

void MptcpConnection::DataTimerExpired(Time now) {
  data_rtx_at_ = kNever;
  if (DataWindowClosed()) {
    // The peer's window is closed and nothing is in flight: the update
    // that opens it may have been lost. One byte past the edge asks for a
    // fresh DATA_ACK and window (TCP's persist probe, at the data level).
    ++stats_.data_window_probes;
    data_rtx_backoff_ = std::min(data_rtx_backoff_ + 1, kMaxDataRtxBackoff);
    data_wnd_end_ = data_snd_nxt_ + 1;
    return;
  }
  if (!DataLevelOutstanding()) return;
  ++stats_.data_retransmit_timeouts;
  data_rtx_backoff_ = std::min(data_rtx_backoff_ + 1, kMaxDataRtxBackoff);
  if (data_una_ < data_snd_nxt_) {
    // The first bytes not DATA_ACKed go again, as one chunk, on whichever
    // subflow the scheduler picks; the receiver drops what it already has.
    // Its mapping carries the DATA_FIN if it ends the stream.
    if (reinject_.empty()) {
      const uint64_t end = std::min(data_snd_nxt_, data_una_ + kMaxChunk);
      reinject_.emplace_back(data_una_, end);
      stats_.bytes_reinjected += end - data_una_;
    }
    return;
  }
  // Only the DATA_FIN is missing its DATA_ACK: a pure ACK carries it.
  Subflow* best = nullptr;
  for (auto& sf : subflows_) {
    if (!sf->usable || sf->closed || sf->pending_reset) continue;
    if (best == nullptr || sf->tcp->rtt().srtt() < best->tcp->rtt().srtt()) {
      best = sf.get();
    }
  }
  if (best != nullptr) best->ack_now = true;
}

}  // namespace plait::mptcp

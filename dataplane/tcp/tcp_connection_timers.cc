// TcpConnection: deadlines, the retransmission timer, probes, pipe.
#include <algorithm>
#include <cstdint>

#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_connection_internal.h"

namespace plait::tcp {

// ---------------------------------------------------------------------------
// Timers.

Time TcpConnection::next_deadline() const {
  Time deadline = std::min({ack_deadline_, rto_deadline_, persist_deadline_,
                            keepalive_deadline_, time_wait_deadline_});
  if (pacing_waiting_) deadline = std::min(deadline, pacing_next_);
  return deadline;
}

void TcpConnection::OnTimer(Time now) {
  if (now >= time_wait_deadline_) {
    time_wait_deadline_ = kNever;
    CloseWith(CloseReason::kNormal, now);
    return;
  }
  if (now >= rto_deadline_) {
    OnRetransmissionTimeout(now);
    if (state_ == TcpState::kClosed) return;
  }
  if (now >= ack_deadline_) SendAck(now);
  if (now >= persist_deadline_) {
    persist_deadline_ = kNever;
    if (snd_wnd_ == 0 && 1 + send_buffer_.end_offset() > snd_nxt_) {
      // A zero-window probe: an old sequence number that makes the peer
      // answer with its current window.
      ++stats_.zero_window_probes;
      SendControlProbe(now);
      persist_backoff_ = std::min(persist_backoff_ * 2, config_.max_rto);
      persist_deadline_ = now + persist_backoff_;
    }
  }
  if (now >= keepalive_deadline_) {
    if (keepalive_sent_ >= config_.keepalive_probes) {
      CloseWith(CloseReason::kKeepaliveTimeout, now);
      return;
    }
    ++keepalive_sent_;
    ++stats_.keepalive_probes;
    SendControlProbe(now);
    keepalive_deadline_ = now + config_.keepalive_interval;
  }
  TrySend(now);
}

void TcpConnection::SendControlProbe(Time now) {
  if (!have_irs_ || snd_una_ == 0) return;
  SendSegment(now, snd_una_ - 1, 0, false, false, true);
}

void TcpConnection::ArmRetransmissionTimer(Time now) {
  rto_deadline_ = sent_.empty() ? kNever : now + rtt_.rto();
}

void TcpConnection::OnRetransmissionTimeout(Time now) {
  rto_deadline_ = kNever;
  if (sent_.empty()) return;
  ++stats_.rto_count;
  ++retransmissions_;
  const bool handshake =
      state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived;
  const int limit =
      handshake ? config_.max_syn_retransmissions : config_.max_retransmissions;
  if (retransmissions_ > limit) {
    if (!handshake)
      SendReset(now, isn_ + static_cast<uint32_t>(snd_nxt_), 0, false);
    CloseWith(CloseReason::kTimeout, now);
    return;
  }
  rtt_.Backoff();
  if (handshake) {
    // The SYN or SYN/ACK again; no congestion state exists yet.
    SendSegment(now, 0, 0, true, false, true);
    ArmRetransmissionTimer(now);
    return;
  }
  cc_->OnRetransmissionTimeout(now, Pipe());
  sent_.MarkAllLost();
  in_recovery_ = false;
  recover_ = snd_max_;
  dupacks_ = 0;
  pacing_next_ = now;
  owner_->OnLoss(snd_una_ > 0 ? snd_una_ - 1 : 0,
                 snd_max_ > 0 ? snd_max_ - 1 : 0, true, now);
  UpdateCongestionWindowTelemetry(now);
  TrySend(now);
  ArmRetransmissionTimer(now);
}

bool TcpConnection::HasSomethingToSend() const {
  return sent_.NextLost() != nullptr ||
         1 + send_buffer_.end_offset() > snd_nxt_ ||
         (fin_queued_ && !fin_sent_);
}

void TcpConnection::UpdateCongestionWindowTelemetry(Time now) {
  const uint64_t cwnd = cc_->congestion_window();
  if (cwnd != last_reported_cwnd_) {
    last_reported_cwnd_ = cwnd;
    owner_->OnCongestionWindowChange(cwnd, now);
  }
}

uint64_t TcpConnection::Pipe() const {
  // Without SACK, each duplicate ACK says a segment left the network; count
  // it as delivered, as Linux's SACK emulation for Reno does (this is RFC
  // 5681's window inflation seen from the pipe's side).
  const uint64_t pipe = sent_.pipe();
  if (sack_ok_) return pipe;
  const uint64_t delivered = uint64_t(dupacks_) * send_mss_;
  return pipe > delivered ? pipe - delivered : 0;
}

}  // namespace plait::tcp

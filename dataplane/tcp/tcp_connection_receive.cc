// TcpConnection: accepting segments, ACK and SACK processing, loss marking,
// recovery, received data and FIN.
#include <algorithm>
#include <cstdint>

#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_connection_internal.h"

namespace plait::tcp {

using internal::Has;
using internal::kAck;
using internal::kFin;
using internal::kRst;
using internal::kSyn;

// ---------------------------------------------------------------------------
// Receiving.

uint64_t TcpConnection::UnwrapRemote(uint32_t seq) const {
  const int32_t delta =
      static_cast<int32_t>(seq - (irs_ + static_cast<uint32_t>(rcv_nxt_)));
  const int64_t rel = static_cast<int64_t>(rcv_nxt_) + delta;
  return rel < 0 ? 0 : static_cast<uint64_t>(rel);
}

uint64_t TcpConnection::UnwrapLocal(uint32_t ack) const {
  const int32_t delta =
      static_cast<int32_t>(ack - (isn_ + static_cast<uint32_t>(snd_una_)));
  const int64_t rel = static_cast<int64_t>(snd_una_) + delta;
  return rel < 0 ? 0 : static_cast<uint64_t>(rel);
}

bool TcpConnection::AcceptableSegment(const wire::Segment& s, uint64_t seq_rel,
                                      size_t seg_len) const {
  // RFC 9293 3.10.7.4's four cases, with the window we advertised.
  const uint64_t window = rcv_adv_ > rcv_nxt_ ? rcv_adv_ - rcv_nxt_ : 0;
  const int32_t offset = static_cast<int32_t>(
      s.tcp.seq - (irs_ + static_cast<uint32_t>(rcv_nxt_)));
  if (seg_len == 0) {
    if (window == 0) return offset == 0;
    return offset >= 0 && static_cast<uint64_t>(offset) < window;
  }
  if (window == 0) return false;
  const int64_t first = offset;
  const int64_t last = first + static_cast<int64_t>(seg_len) - 1;
  const int64_t w = static_cast<int64_t>(window);
  return (first >= 0 && first < w) || (last >= 0 && last < w);
}

void TcpConnection::OnSegment(const wire::Segment& s, Time now) {
  ++stats_.segments_received;
  switch (state_) {
    case TcpState::kClosed:
    case TcpState::kListen:
      return;
    case TcpState::kSynSent:
      ProcessSynSent(s, now);
      return;
    default:
      break;
  }
  last_receive_ = now;
  keepalive_sent_ = 0;
  if (config_.keepalive && state_ != TcpState::kTimeWait) {
    keepalive_deadline_ = now + config_.keepalive_idle;
  }
  const size_t seg_len =
      s.tcp.payload.size() + (Has(s, kSyn) ? 1 : 0) + (Has(s, kFin) ? 1 : 0);
  const uint64_t seq_rel = UnwrapRemote(s.tcp.seq);

  // Our SYN/ACK was lost and the peer sent its SYN again: answer it again
  // (its sequence number, IRS, is below RCV.NXT, so the test below would
  // only answer with an ACK that a SYN-SENT peer ignores).
  if (state_ == TcpState::kSynReceived && Has(s, kSyn) && !Has(s, kAck) &&
      !Has(s, kRst) && s.tcp.seq == irs_) {
    SendSegment(now, 0, 0, true, false, true);
    return;
  }
  // RFC 1337: an RST must not cut TIME-WAIT short.
  if (state_ == TcpState::kTimeWait && Has(s, kRst)) return;
  // PAWS (RFC 7323 5.3): an old timestamp marks an old duplicate.
  if (ts_ok_ && s.options.timestamps && !Has(s, kRst) &&
      static_cast<int32_t>(s.options.timestamps->tsval - ts_recent_) < 0) {
    ++stats_.dropped_segments;
    SendAck(now);
    return;
  }
  if (!AcceptableSegment(s, seq_rel, seg_len)) {
    ++stats_.dropped_segments;
    if (Has(s, kRst)) return;
    if (state_ == TcpState::kTimeWait && Has(s, kFin)) {
      EnterTimeWait(now);  // the peer did not hear our last ACK
    }
    SendAck(now);
    return;
  }
  // RST (RFC 5961 3.2): only the exact sequence number resets; anything
  // else in the window gets a challenge ACK.
  if (Has(s, kRst)) {
    if (seq_rel == rcv_nxt_) {
      // The owner sees the RST's options first (MP_FASTCLOSE, MP_TCPRST).
      owner_->OnIncomingSegment(s, now);
      CloseWith(CloseReason::kReset, now);
    } else {
      ++stats_.challenge_acks;
      SendAck(now);
    }
    return;
  }
  // A SYN in a synchronized state (RFC 5961 4.2): challenge ACK.
  if (Has(s, kSyn)) {
    ++stats_.challenge_acks;
    SendAck(now);
    return;
  }
  if (!Has(s, kAck)) {
    ++stats_.dropped_segments;
    return;
  }
  // Timestamps to echo (RFC 7323 4.3): from the segment that is next in
  // sequence, not from one that arrived out of order.
  if (ts_ok_ && s.options.timestamps && seq_rel <= rcv_nxt_) {
    ts_recent_ = s.options.timestamps->tsval;
  }
  owner_->OnIncomingSegment(s, now);
  if (!ProcessAck(s, now)) return;
  if (state_ == TcpState::kClosed) return;
  ProcessData(s, seq_rel, now);
  if (state_ == TcpState::kClosed) return;
  TrySend(now);
}

void TcpConnection::ProcessSynSent(const wire::Segment& s, Time now) {
  if (Has(s, kAck)) {
    const uint32_t expected = isn_ + 1;
    if (s.tcp.ack != expected) {
      if (!Has(s, kRst)) SendReset(now, s.tcp.ack, 0, false);
      ++stats_.dropped_segments;
      return;
    }
    if (Has(s, kRst)) {
      CloseWith(CloseReason::kRefused, now);
      return;
    }
  } else if (Has(s, kRst)) {
    return;  // a RST without an acceptable ACK is ignored
  }
  if (!Has(s, kSyn)) return;
  irs_ = s.tcp.seq;
  have_irs_ = true;
  rcv_nxt_ = 1;
  ApplyPeerSynOptions(s);
  snd_wnd_ = s.tcp.window;  // unscaled in a SYN
  snd_wl1_ = 0;
  snd_wl2_ = 0;
  last_receive_ = now;
  owner_->OnIncomingSegment(s, now);
  if (Has(s, kAck)) {
    const auto result = sent_.Acknowledge(1, {});
    snd_una_ = 1;
    if (result.rtt_sample_sent_time) {
      rtt_.OnSample(now - *result.rtt_sample_sent_time);
      owner_->OnRttSample(rtt_.latest_rtt(), now);
    }
    retransmissions_ = 0;
    rtt_.ResetBackoff();
    rto_deadline_ = kNever;
    EnterState(TcpState::kEstablished, now);
    SendAck(now);  // the third ACK
    owner_->OnEstablished(now);
    TrySend(now);
  } else {
    // Simultaneous open: answer with SYN/ACK (our SYN again, now with ACK).
    EnterState(TcpState::kSynReceived, now);
    SendSegment(now, 0, 0, true, false, true);
  }
}

bool TcpConnection::ProcessAck(const wire::Segment& s, Time now) {
  const uint64_t ack = UnwrapLocal(s.tcp.ack);
  if (state_ == TcpState::kSynReceived) {
    if (ack <= snd_una_ || ack > snd_max_) {
      SendReset(now, s.tcp.ack, 0, false);
      ++stats_.dropped_segments;
      return false;
    }
    EnterState(fin_queued_ ? TcpState::kFinWait1 : TcpState::kEstablished, now);
    snd_wl1_ = UnwrapRemote(s.tcp.seq);
    snd_wl2_ = ack;
    snd_wnd_ = uint64_t{s.tcp.window} << snd_wscale_;
    owner_->OnEstablished(now);
  }
  if (ack > snd_max_) {
    // It acknowledges something not yet sent (RFC 9293): ACK and drop.
    ++stats_.dropped_segments;
    SendAck(now);
    return false;
  }
  // RFC 5961 5.2: an ACK too far in the past is ignored.
  if (ack + std::max<uint64_t>(max_snd_wnd_, send_mss_) < snd_una_) {
    ++stats_.dropped_segments;
    SendAck(now);
    return false;
  }

  const uint64_t seq = UnwrapRemote(s.tcp.seq);
  const uint64_t old_window = snd_wnd_;
  if (ack >= snd_una_ &&
      (snd_wl1_ < seq || (snd_wl1_ == seq && snd_wl2_ <= ack))) {
    snd_wnd_ = uint64_t{s.tcp.window} << snd_wscale_;
    snd_wl1_ = seq;
    snd_wl2_ = ack;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    if (snd_wnd_ > 0) persist_deadline_ = kNever;
  }
  if (ack < snd_una_) return true;  // old ACK: nothing more to learn

  SackRange blocks[4];
  size_t block_count = 0;
  if (sack_ok_) {
    for (const wire::SackBlock& b : s.options.sack()) {
      // Clipped to what is outstanding (a block may straddle SND.UNA).
      const uint64_t begin = std::max(UnwrapLocal(b.left), snd_una_);
      const uint64_t end = UnwrapLocal(b.right);
      if (end > begin && end <= snd_max_) blocks[block_count++] = {begin, end};
    }
  }
  const uint64_t prior_in_flight = Pipe();
  const auto result =
      sent_.Acknowledge(ack, absl::MakeConstSpan(blocks, block_count));
  const uint64_t old_una = snd_una_;
  snd_una_ = std::max(snd_una_, ack);
  if (snd_una_ > old_una) {
    // Stream offsets of acknowledged data; the FIN is past the buffer's end.
    const uint64_t data_acked =
        std::min(snd_una_ - 1, send_buffer_.end_offset());
    if (data_acked > send_buffer_.begin_offset()) {
      stats_.bytes_acked += send_buffer_.Release(data_acked);
    }
    retransmissions_ = 0;
    rtt_.ResetBackoff();
    dupacks_ = 0;
  } else if (s.tcp.payload.empty() && !Has(s, kFin) && !sent_.empty() &&
             snd_wnd_ == old_window) {
    ++dupacks_;  // RFC 5681's duplicate ACK
  }
  Duration sample{0};
  if (result.rtt_sample_sent_time) {
    sample = now - *result.rtt_sample_sent_time;
    rtt_.OnSample(sample);
    owner_->OnRttSample(sample, now);
  }

  // Recovery: leave it once the recovery point is acknowledged, then look
  // for new losses.
  if (in_recovery_ && snd_una_ >= recovery_point_) {
    in_recovery_ = false;
    cc_->OnRecoveryEnd(now);
  }
  MarkLosses(now);

  cc::AckEvent event;
  event.now = now;
  event.bytes_acked = result.newly_acked + result.newly_sacked;
  event.prior_bytes_in_flight = prior_in_flight;
  event.rtt_sample = sample;
  event.smoothed_rtt = rtt_.srtt();
  event.min_rtt = rtt_.has_sample() ? rtt_.min_rtt() : Duration{0};
  event.in_recovery = in_recovery_;
  // Linux's tcp_is_cwnd_limited: a sender that had at least half the window
  // in flight was using it, whatever stopped the last send (pacing, say).
  event.app_limited =
      !cwnd_limited_ && 2 * prior_in_flight < cc_->congestion_window();
  if (event.bytes_acked > 0) cc_->OnAck(event);
  UpdateCongestionWindowTelemetry(now);

  // Our FIN acknowledged?
  if (fin_sent_ && snd_una_ == snd_max_ && sent_.empty()) {
    switch (state_) {
      case TcpState::kFinWait1:
        EnterState(TcpState::kFinWait2, now);
        break;
      case TcpState::kClosing:
        EnterTimeWait(now);
        return true;
      case TcpState::kLastAck:
        CloseWith(CloseReason::kNormal, now);
        return true;
      default:
        break;
    }
  }
  if (sent_.empty()) {
    rto_deadline_ = kNever;
  } else if (snd_una_ > old_una) {
    ArmRetransmissionTimer(now);
  }
  if (wants_writable_ && send_buffer_.free_space() > 0 &&
      (state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait)) {
    wants_writable_ = false;
    owner_->OnWritable(now);
  }
  return true;
}

void TcpConnection::MarkLosses(Time now) {
  uint64_t newly_lost = 0;
  if (sack_ok_) newly_lost = sent_.MarkLostBySack(send_mss_);
  // Without SACK (or with SACK blocks too small to count): DupThresh
  // duplicate ACKs mark the first hole (RFC 5681 3.2, RFC 6675 5).
  if (dupacks_ >= SentSegments::kDupThresh && !in_recovery_) {
    newly_lost += sent_.MarkFirstLost();
  }
  // NewReno partial ACK (RFC 6582 3.2 step 3): the next hole is lost too.
  if (in_recovery_ && !sack_ok_ && dupacks_ == 0 &&
      snd_una_ < recovery_point_) {
    newly_lost += sent_.MarkFirstLost();
  }
  if (newly_lost == 0) return;
  const SentSegment* first = sent_.NextLost();
  if (first != nullptr) {
    owner_->OnLoss(first->begin > 0 ? first->begin - 1 : 0,
                   first->end > 0 ? first->end - 1 : 0, false, now);
  }
  if (!in_recovery_) EnterRecovery(now);
}

void TcpConnection::EnterRecovery(Time now) {
  // One window reduction per window of data (RFC 6582's "recover").
  if (snd_una_ < recover_) return;
  in_recovery_ = true;
  recovery_point_ = snd_max_;
  recover_ = snd_max_;
  ++stats_.fast_recoveries;
  retransmit_now_ = true;
  high_rxt_ = snd_una_;
  rescue_sent_ = false;
  cc_->OnCongestionEvent(now, Pipe());
  UpdateCongestionWindowTelemetry(now);
}

void TcpConnection::ProcessData(const wire::Segment& s, uint64_t seq_rel,
                                Time now) {
  const bool receiving = state_ == TcpState::kEstablished ||
                         state_ == TcpState::kFinWait1 ||
                         state_ == TcpState::kFinWait2;
  if (!receiving) {
    if (state_ == TcpState::kTimeWait && Has(s, kFin)) {
      SendAck(now);
      EnterTimeWait(now);
    }
    return;
  }
  absl::Span<const uint8_t> payload = s.tcp.payload;
  if (seq_rel == 0 && !payload.empty()) {
    // The segment starts at the SYN's sequence number: its first byte is
    // below the data; the rest may be new.
    seq_rel = 1;
    payload = payload.subspan(1);
  }
  // Noted before the ACK below goes out, so that its SACK block can cover
  // an out-of-order FIN.
  if (Has(s, kFin) && !fin_received_) {
    fin_pending_ = true;
    fin_seq_ = seq_rel + payload.size();
  }
  if (!payload.empty() && !fin_received_) {
    const uint64_t offset = seq_rel - 1;  // stream offset
    const uint64_t before = receive_buffer_.contiguous_end();
    const auto result = receive_buffer_.Insert(offset, payload);
    rcv_nxt_ = receive_buffer_.contiguous_end() + 1;
    const bool out_of_order = offset > before;
    if (out_of_order) last_sack_begin_ = seq_rel;
    if (result.advanced) owner_->OnReadable(now);
    // Immediate ACK for out-of-order data, for data that fills a hole, and
    // for duplicates; otherwise every second segment or the delay timer.
    const bool filled_hole =
        result.advanced && receive_buffer_.has_out_of_order();
    const bool closed_hole =
        result.advanced && rcv_nxt_ - 1 > before + payload.size();
    if (out_of_order || filled_hole || closed_hole || result.bytes_added == 0) {
      ScheduleAck(now, true);
    } else {
      ++unacked_segments_;
      ScheduleAck(now, unacked_segments_ >= 2);
    }
  }
  if (fin_pending_ && !fin_received_ && rcv_nxt_ == fin_seq_) {
    OnFinReceived(now);
  }
}

void TcpConnection::OnFinReceived(Time now) {
  fin_received_ = true;
  fin_pending_ = false;
  rcv_nxt_ = fin_seq_ + 1;
  SendAck(now);
  switch (state_) {
    case TcpState::kEstablished:
      EnterState(TcpState::kCloseWait, now);
      break;
    case TcpState::kFinWait1:
      if (fin_sent_ && sent_.empty()) {
        EnterTimeWait(now);
      } else {
        EnterState(TcpState::kClosing, now);
      }
      break;
    case TcpState::kFinWait2:
      EnterTimeWait(now);
      break;
    default:
      break;
  }
  owner_->OnReadable(now);
}

void TcpConnection::ScheduleAck(Time now, bool immediately) {
  if (immediately) {
    SendAck(now);
  } else if (ack_deadline_ == kNever) {
    ack_deadline_ = now + config_.delayed_ack_timeout;
  }
}

}  // namespace plait::tcp

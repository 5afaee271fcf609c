#include "dataplane/tcp/tcp_connection.h"

#include <algorithm>
#include <utility>

#include "dataplane/tcp/tcp_connection_internal.h"

namespace plait::tcp {
namespace {

using internal::kDefaultPeerMss;
using internal::kMaxPacket;
using internal::kMinimumMss;

RttEstimator::Options RttOptions(const TcpConfig& config) {
  RttEstimator::Options options;
  options.initial_rto = config.initial_rto;
  options.min_rto = config.min_rto;
  options.max_rto = config.max_rto;
  return options;
}

}  // namespace

TcpConnection::TcpConnection(const TcpConfig& config,
                             const TcpEndpoints& endpoints, uint32_t isn,
                             std::unique_ptr<cc::CongestionControl> cc,
                             TcpOwner* owner, TcpOutput* output)
    : config_(config),
      endpoints_(endpoints),
      cc_(std::move(cc)),
      owner_(owner),
      output_(output),
      isn_(isn),
      send_buffer_(config.send_buffer_bytes),
      rtt_(RttOptions(config)),
      receive_buffer_(config.receive_buffer_bytes),
      packet_buffer_(kMaxPacket) {}

// ---------------------------------------------------------------------------
// Opening.

void TcpConnection::Connect(Time now) {
  if (state_ != TcpState::kClosed) return;
  EnterState(TcpState::kSynSent, now);
  last_receive_ = now;
  SendSegment(now, 0, 0, /*syn=*/true, /*fin=*/false, /*retransmission=*/false);
}

void TcpConnection::AcceptSyn(const wire::Segment& syn, Time now) {
  if (state_ != TcpState::kClosed) return;
  irs_ = syn.tcp.seq;
  have_irs_ = true;
  rcv_nxt_ = 1;
  ApplyPeerSynOptions(syn);
  snd_wnd_ = syn.tcp.window;  // never scaled in a SYN
  snd_wl1_ = 0;
  last_receive_ = now;
  EnterState(TcpState::kSynReceived, now);
  owner_->OnIncomingSegment(syn, now);
  SendSegment(now, 0, 0, /*syn=*/true, /*fin=*/false, /*retransmission=*/false);
}

void TcpConnection::ApplyPeerSynOptions(const wire::Segment& syn) {
  const wire::TcpOptions& o = syn.options;
  const size_t peer_mss = o.mss ? *o.mss : kDefaultPeerMss;
  // A floor, as Linux has (TCP_MIN_MSS): a peer announcing a tiny MSS must
  // not leave segments whose options take all the room.
  send_mss_ = std::max(kMinimumMss, std::min<size_t>(config_.mss, peer_mss));
  if (o.window_scale) {
    snd_wscale_ = *o.window_scale;
    rcv_wscale_ = config_.window_scale;
  } else {
    snd_wscale_ = 0;
    rcv_wscale_ = 0;
  }
  ts_ok_ = config_.timestamps && o.timestamps.has_value();
  if (ts_ok_) ts_recent_ = o.timestamps->tsval;
  sack_ok_ = config_.sack && o.sack_permitted;
}

// ---------------------------------------------------------------------------
// The application side.

size_t TcpConnection::Write(absl::Span<const uint8_t> data, Time now) {
  const bool can_queue =
      state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived ||
      state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait;
  if (!can_queue || fin_queued_) return 0;
  const size_t written = send_buffer_.Write(data);
  if (written < data.size()) wants_writable_ = true;
  TrySend(now);
  return written;
}

size_t TcpConnection::Read(absl::Span<uint8_t> out, Time now) {
  const uint64_t old_edge = rcv_adv_;
  const size_t n = receive_buffer_.Read(out);
  stats_.bytes_delivered += n;
  // Tell the peer when reading opened the window enough to matter (the
  // receiver's side of silly window avoidance, RFC 1122 4.2.3.3).
  if (n > 0 && IsSynchronized(state_) && !fin_received_) {
    const uint64_t edge = rcv_nxt_ + receive_buffer_.window_end() -
                          receive_buffer_.contiguous_end();
    const uint64_t threshold =
        std::min<uint64_t>(receive_buffer_.capacity() / 2, 2 * send_mss_);
    if (edge >= old_edge + threshold) SendAck(now);
  }
  return n;
}

bool TcpConnection::AtEndOfStream() const {
  return fin_received_ && receive_buffer_.readable() == 0;
}

size_t TcpConnection::readable_bytes() const {
  return receive_buffer_.readable();
}

size_t TcpConnection::send_buffer_free() const {
  return send_buffer_.free_space();
}

bool TcpConnection::AllDataAcked() const {
  return send_buffer_.empty() && sent_.empty();
}

void TcpConnection::SetCongestionControl(
    std::unique_ptr<cc::CongestionControl> cc, Time now) {
  if (cc == nullptr) return;
  cc->InheritWindow(cc_->congestion_window(), cc_->slow_start_threshold());
  // The old controller goes only after the new one took its window: a
  // coupled group then never misses this subflow's window.
  cc_ = std::move(cc);
  UpdateCongestionWindowTelemetry(now);
  TrySend(now);
}

void TcpConnection::Close(Time now) {
  switch (state_) {
    case TcpState::kClosed:
    case TcpState::kListen:
      return;
    case TcpState::kSynSent:
      CloseWith(CloseReason::kNormal, now);
      return;
    case TcpState::kSynReceived:
      // RFC 9293 3.10.4: queued until the handshake completes; the ACK that
      // completes it moves us to FIN-WAIT-1 (ProcessAck).
      fin_queued_ = true;
      return;
    case TcpState::kEstablished:
      fin_queued_ = true;
      EnterState(TcpState::kFinWait1, now);
      break;
    case TcpState::kCloseWait:
      fin_queued_ = true;
      EnterState(TcpState::kLastAck, now);
      break;
    default:
      return;  // already closing
  }
  TrySend(now);
}

void TcpConnection::Abort(Time now) {
  if (state_ == TcpState::kClosed) return;
  if (state_ != TcpState::kSynSent && state_ != TcpState::kTimeWait) {
    SendReset(now, isn_ + static_cast<uint32_t>(snd_nxt_), 0,
              /*with_ack=*/false);
  }
  CloseWith(CloseReason::kAborted, now);
}

// ---------------------------------------------------------------------------
// Lifecycle.

void TcpConnection::EnterState(TcpState state, Time now) {
  state_ = state;
  if (state == TcpState::kEstablished && config_.keepalive) {
    keepalive_deadline_ = now + config_.keepalive_idle;
  }
}

void TcpConnection::EnterTimeWait(Time now) {
  EnterState(TcpState::kTimeWait, now);
  rto_deadline_ = kNever;
  ack_deadline_ = kNever;
  persist_deadline_ = kNever;
  keepalive_deadline_ = kNever;
  pacing_waiting_ = false;
  time_wait_deadline_ = now + config_.time_wait;
}

void TcpConnection::CloseWith(CloseReason reason, Time now) {
  state_ = TcpState::kClosed;
  rto_deadline_ = kNever;
  ack_deadline_ = kNever;
  persist_deadline_ = kNever;
  keepalive_deadline_ = kNever;
  time_wait_deadline_ = kNever;
  pacing_waiting_ = false;
  close_reason_ = reason;
  owner_->OnClosed(now, reason);
}

}  // namespace plait::tcp

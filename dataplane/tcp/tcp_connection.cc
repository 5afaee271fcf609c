#include "dataplane/tcp/tcp_connection.h"

#include <algorithm>
#include <utility>

#include "dataplane/tcp/packet_builder.h"
#include "dataplane/wire/tcp_header.h"

namespace plait::tcp {
namespace {

using wire::TcpHeader;

constexpr uint8_t kSyn = TcpHeader::kSyn;
constexpr uint8_t kAck = TcpHeader::kAck;
constexpr uint8_t kFin = TcpHeader::kFin;
constexpr uint8_t kRst = TcpHeader::kRst;
constexpr uint8_t kPsh = TcpHeader::kPsh;

// RFC 9293's default MSS when the peer sends none.
constexpr size_t kDefaultPeerMss = 536;
// Linux's TCP_MIN_MSS: room for 40 bytes of options and 48 of data.
constexpr size_t kMinimumMss = 88;
// Largest IP packet the engine builds: IPv6 header, 60 bytes of TCP header
// and a full MSS.
constexpr size_t kMaxPacket = 40 + 60 + 65535;

bool Has(const wire::Segment& s, uint8_t flag) { return s.tcp.has(flag); }

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
// Sending.

uint32_t TcpConnection::TsValue(Time now) const {
  // Milliseconds (RFC 7323 wants 1 ms to 1 s per tick, so that PAWS holds),
  // offset by the ISN so that the value says nothing about uptime.
  return static_cast<uint32_t>(
             std::chrono::duration_cast<std::chrono::milliseconds>(
                 SinceEpoch(now))
                 .count()) +
         isn_;
}

void TcpConnection::BuildTcpOptions(uint8_t flags, wire::OptionWriter& writer,
                                    Time now) {
  if (flags & kSyn) {
    const bool active = !have_irs_;  // our SYN, not a SYN/ACK
    writer.Add(wire::TcpOption{wire::MssOption{config_.mss}});
    if (active || rcv_wscale_ > 0 || snd_wscale_ > 0) {
      writer.Add(
          wire::TcpOption{wire::WindowScaleOption{config_.window_scale}});
    }
    if (config_.sack && (active || sack_ok_)) {
      writer.Add(wire::TcpOption{wire::SackPermittedOption{}});
    }
    if (config_.timestamps && (active || ts_ok_)) {
      writer.Add(wire::TcpOption{
          wire::TimestampsOption{TsValue(now), have_irs_ ? ts_recent_ : 0}});
    }
    return;
  }
  if (ts_ok_) {
    writer.Add(
        wire::TcpOption{wire::TimestampsOption{TsValue(now), ts_recent_}});
  }
  if (sack_ok_ && receive_buffer_.has_out_of_order() && !(flags & kRst)) {
    Range blocks[4];
    const uint64_t recent = last_sack_begin_ - 1;  // to a stream offset
    const size_t n = receive_buffer_.SackBlocks(recent, blocks);
    wire::SackOption sack;
    for (size_t i = 0; i < n; ++i) {
      // Stream offsets to wire sequence numbers: data byte k is irs + 1 + k.
      sack.blocks[i] = {irs_ + 1 + static_cast<uint32_t>(blocks[i].begin),
                        irs_ + 1 + static_cast<uint32_t>(blocks[i].end)};
    }
    sack.count = static_cast<uint8_t>(n);
    if (n > 0) writer.Add(wire::TcpOption{sack});
  }
}

uint16_t TcpConnection::AdvertisedWindow() {
  // The right edge never moves left (RFC 9293 3.8.6.2.2): what was offered
  // stays offered even if the application has not read since.
  const uint64_t free_edge = rcv_nxt_ + (receive_buffer_.window_end() -
                                         receive_buffer_.contiguous_end());
  uint64_t edge = std::max(free_edge, rcv_adv_);
  // Receiver silly window avoidance: offer a larger window only in steps of
  // at least min(buffer / 2, MSS).
  const uint64_t step =
      std::min<uint64_t>(receive_buffer_.capacity() / 2, send_mss_);
  if (rcv_adv_ > rcv_nxt_ && edge < rcv_adv_ + step) edge = rcv_adv_;
  uint64_t window = edge - rcv_nxt_;
  window = std::min<uint64_t>(window >> rcv_wscale_, 65535);
  rcv_adv_ = std::max(rcv_adv_, rcv_nxt_ + (window << rcv_wscale_));
  return static_cast<uint16_t>(window);
}

bool TcpConnection::SendSegment(Time now, uint64_t begin, size_t max_length,
                                bool syn, bool fin, bool retransmission) {
  uint8_t flags = 0;
  if (syn) flags |= kSyn;
  if (have_irs_) flags |= kAck;
  if (fin) flags |= kFin;

  wire::OptionWriter writer;
  BuildTcpOptions(flags, writer, now);
  // Room for payload: the MSS less the options (RFC 6691); timestamps are
  // the options known to be on every segment.
  const size_t base_options = ts_ok_ ? 12 : 0;
  size_t length = std::min(max_length, send_mss_ - base_options);
  const uint64_t data_begin = syn ? begin + 1 : begin;
  OutgoingSegment outgoing{.flags = flags,
                           .data_offset = data_begin - 1,
                           .data_length = length,
                           .retransmission = retransmission,
                           .fin = fin};
  owner_->AddOptions(outgoing, writer);
  auto layout = writer.Finish();
  if (!layout.ok()) {
    // An owner asked for an option that cannot be encoded: a bug above us.
    // Send without options rather than not at all.
    wire::OptionWriter fallback;
    BuildTcpOptions(flags, fallback, now);
    layout = fallback.Finish();
    if (!layout.ok()) return false;
  }
  if (length + layout->length > send_mss_) {
    length = send_mss_ > layout->length ? send_mss_ - layout->length : 0;
  }
  // The FIN goes only with the last byte of data.
  if (fin && data_begin + length != 1 + send_buffer_.end_offset()) {
    fin = false;
    flags &= ~kFin;
  }
  if (length > 0 && data_begin + length == 1 + send_buffer_.end_offset()) {
    flags |= kPsh;
  }
  outgoing.flags = flags;
  outgoing.data_length = length;
  outgoing.fin = fin;

  TcpPacketSpec spec;
  spec.src = endpoints_.local;
  spec.dst = endpoints_.remote;
  spec.src_port = endpoints_.local_port;
  spec.dst_port = endpoints_.remote_port;
  spec.seq = isn_ + static_cast<uint32_t>(begin);
  spec.ack = have_irs_ ? irs_ + static_cast<uint32_t>(rcv_nxt_) : 0;
  spec.flags = flags;
  spec.window = syn ? static_cast<uint16_t>(
                          std::min<size_t>(receive_buffer_.window(), 65535))
                    : AdvertisedWindow();
  if (syn) rcv_adv_ = rcv_nxt_ + spec.window;
  spec.options = layout->option_bytes();
  auto built = BuildTcpPacket(
      spec, length,
      [&](uint8_t* destination) {
        send_buffer_.CopyOut(data_begin - 1, length, destination);
      },
      absl::MakeSpan(packet_buffer_));
  if (!built.ok()) return false;
  output_->SendPacket(absl::MakeConstSpan(packet_buffer_.data(), *built));

  ++stats_.segments_sent;
  stats_.bytes_sent += length;
  const uint64_t end = data_begin + length + (fin ? 1 : 0);
  if (end > begin) {
    if (retransmission) {
      sent_.OnRetransmitted(begin, end, snd_max_, now);
      ++stats_.segments_retransmitted;
      stats_.bytes_retransmitted += length;
    } else {
      sent_.Add(begin, end, now);
      snd_nxt_ = end;
      snd_max_ = std::max(snd_max_, end);
      if (fin) fin_sent_ = true;
    }
    if (rto_deadline_ == kNever) ArmRetransmissionTimer(now);
  }
  if (flags & kAck) {
    unacked_segments_ = 0;
    ack_deadline_ = kNever;
  }
  owner_->OnSegmentSent(outgoing);
  if (config_.pacing && length > 0 && rtt_.has_sample()) {
    const uint64_t rate = cc_->PacingRate(rtt_.srtt());
    if (rate > 0) {
      const Duration gap = Nanoseconds(static_cast<int64_t>(
          (length + layout->length + 40) * 1'000'000'000ull / rate));
      pacing_next_ = std::max(pacing_next_, now) + gap;
    }
  }
  return true;
}

void TcpConnection::SendAckNow(Time now) {
  if (!IsSynchronized(state_) && state_ != TcpState::kSynReceived) return;
  SendAck(now);
}

void TcpConnection::SendAck(Time now) {
  if (!have_irs_) return;
  SendSegment(now, snd_nxt_, 0, false, false, false);
}

void TcpConnection::SendReset(Time now, uint32_t seq, uint32_t ack,
                              bool with_ack) {
  wire::OptionWriter writer;
  OutgoingSegment outgoing{
      .flags = static_cast<uint8_t>(kRst | (with_ack ? kAck : 0))};
  owner_->AddOptions(outgoing, writer);
  auto layout = writer.Finish();
  TcpPacketSpec spec;
  spec.src = endpoints_.local;
  spec.dst = endpoints_.remote;
  spec.src_port = endpoints_.local_port;
  spec.dst_port = endpoints_.remote_port;
  spec.seq = seq;
  spec.ack = ack;
  spec.flags = outgoing.flags;
  if (layout.ok()) spec.options = layout->option_bytes();
  auto built = BuildTcpPacket(
      spec, 0, [](uint8_t*) {}, absl::MakeSpan(packet_buffer_));
  if (!built.ok()) return;
  output_->SendPacket(absl::MakeConstSpan(packet_buffer_.data(), *built));
  ++stats_.segments_sent;
}

void TcpConnection::TrySend(Time now) {
  pacing_waiting_ = false;
  const bool can_send_data =
      state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait ||
      state_ == TcpState::kFinWait1 || state_ == TcpState::kLastAck ||
      state_ == TcpState::kClosing;
  if (!can_send_data) return;
  const uint64_t data_end = 1 + send_buffer_.end_offset();  // relative seq
  cwnd_limited_ = false;
  while (true) {
    if (config_.pacing && now < pacing_next_) {
      pacing_waiting_ = HasSomethingToSend();
      break;
    }
    const uint64_t cwnd = cc_->congestion_window();
    const uint64_t pipe = Pipe();
    // Entering recovery retransmits the first lost segment at once, whatever
    // the window says (RFC 5681 3.2 step 4, RFC 6675 5 step 3).
    if (pipe >= cwnd && !(retransmit_now_ && sent_.NextLost() != nullptr)) {
      cwnd_limited_ = true;
      break;
    }
    retransmit_now_ = false;
    const uint64_t room = cwnd > pipe ? cwnd - pipe : send_mss_;
    if (const SentSegment* lost = sent_.NextLost()) {
      const bool syn = lost->begin == 0;
      const bool fin = fin_sent_ && lost->end == data_end + 1;
      const uint64_t data_begin = syn ? 1 : lost->begin;
      const uint64_t data_stop = std::min(lost->end, data_end);
      const size_t data = data_stop > data_begin
                              ? static_cast<size_t>(data_stop - data_begin)
                              : 0;
      const uint64_t lost_begin = lost->begin;
      if (!SendSegment(now, lost_begin, data, syn, fin, true)) break;
      const SentSegment* next = sent_.NextLost();
      if (next != nullptr && next->begin == lost_begin) break;  // no progress
      continue;
    }
    // New data, within the peer's window.
    const uint64_t window_end = snd_una_ + snd_wnd_;
    const uint64_t available = data_end > snd_nxt_ ? data_end - snd_nxt_ : 0;
    const uint64_t window_room =
        window_end > snd_nxt_ ? window_end - snd_nxt_ : 0;
    uint64_t length = std::min(
        {available, window_room, room, static_cast<uint64_t>(send_mss_)});
    if (length == 0) {
      if (fin_queued_ && !fin_sent_ && snd_nxt_ == data_end) {
        SendSegment(now, snd_nxt_, 0, false, true, false);
      } else if (available > 0 && snd_wnd_ == 0 && sent_.empty() &&
                 persist_deadline_ == kNever) {
        persist_backoff_ = rtt_.rto();
        persist_deadline_ = now + persist_backoff_;
      } else if (available > 0 && window_room > 0) {
        cwnd_limited_ = true;  // limited by cwnd room below one segment
      }
      break;
    }
    // Sender silly window avoidance (RFC 9293 3.8.6.2.1): no small segment
    // while data is outstanding, unless it is all that is left to send.
    if (length < send_mss_ && length < available && !sent_.empty()) {
      if (room < send_mss_) cwnd_limited_ = true;
      break;
    }
    const bool fin = fin_queued_ && snd_nxt_ + length == data_end;
    const uint64_t before = snd_nxt_;
    if (!SendSegment(now, snd_nxt_, static_cast<size_t>(length), false, fin,
                     false) ||
        snd_nxt_ == before) {
      break;  // options left no room for data: never spin
    }
  }
}

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
  if (Has(s, kFin) && !fin_received_) {
    fin_pending_ = true;
    fin_seq_ = seq_rel + payload.size();
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

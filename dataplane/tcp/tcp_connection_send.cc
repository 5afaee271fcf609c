// TcpConnection: building and sending segments, the send loop.
#include <algorithm>
#include <cstdint>

#include "dataplane/tcp/packet_builder.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_connection_internal.h"

namespace plait::tcp {

using internal::kAck;
using internal::kFin;
using internal::kPsh;
using internal::kRst;
using internal::kSyn;

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
      // A block reaching an out-of-order FIN covers it too, as Linux's do
      // (end_seq counts the FIN): the sender's segment carrying it can
      // then be SACKed whole, and counts in its loss detection.
      const uint64_t end =
          blocks[i].end + (fin_pending_ && 1 + blocks[i].end == fin_seq_);
      sack.blocks[i] = {irs_ + 1 + static_cast<uint32_t>(blocks[i].begin),
                        irs_ + 1 + static_cast<uint32_t>(end)};
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
  if (length > 0 && send_mss_ > layout->length) {
    payload_per_segment_ = send_mss_ - layout->length;
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

bool TcpConnection::Retransmit(Time now, uint64_t begin, uint64_t end) {
  const uint64_t data_end = 1 + send_buffer_.end_offset();  // relative seq
  const bool syn = begin == 0;
  const bool fin = fin_sent_ && end == data_end + 1;
  const uint64_t data_begin = syn ? 1 : begin;
  const uint64_t data_stop = std::min(end, data_end);
  const size_t data =
      data_stop > data_begin ? static_cast<size_t>(data_stop - data_begin) : 0;
  return SendSegment(now, begin, data, syn, fin, true);
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
      const uint64_t lost_begin = lost->begin;
      if (!Retransmit(now, lost_begin, lost->end)) break;
      if (in_recovery_) high_rxt_ = std::max(high_rxt_, lost_begin + 1);
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
    const bool fin_due = fin_queued_ && !fin_sent_ && snd_nxt_ == data_end;
    if (length == 0 && !fin_due && in_recovery_ && sack_ok_) {
      // RFC 6675 NextSeg rules (3) and (4): with room in the window and no
      // new data to send, resend holes that are not (yet) deemed lost, below
      // the highest SACK, then once per recovery the highest unSACKed
      // segment. Without them a loss near the end of a transfer, with fewer
      // than DupThresh segments SACKed above it, waits for the RTO.
      const SentSegment* extra =
          sent_.NextUnsackedBelowHighestSacked(high_rxt_);
      const bool rescue = extra == nullptr && !rescue_sent_;
      if (rescue) extra = sent_.LastUnsacked();
      if (extra != nullptr) {
        const uint64_t extra_begin = extra->begin;
        if (!Retransmit(now, extra_begin, extra->end)) break;
        if (rescue) {
          // Rule (4): "HighRxt MUST NOT be updated", so the holes below
          // stay eligible for rule (3) once the rescue is SACKed.
          rescue_sent_ = true;
        } else {
          // SendSegment may have sent only the front: the rest is above.
          high_rxt_ = std::max(high_rxt_, extra_begin + 1);
        }
        continue;
      }
    }
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

}  // namespace plait::tcp

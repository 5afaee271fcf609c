// One TCP endpoint as pure logic: the RFC 9293 state machine with the
// extensions a modern stack needs (RFC 7323 window scaling, timestamps and
// PAWS; RFC 2018 SACK with RFC 6675 loss recovery, NewReno (RFC 6582) for
// peers without SACK; RFC 6298 retransmission timer; RFC 5961 RST and SYN
// validation; delayed ACKs; zero-window probing; keepalive; pacing).
//
// It is driven by OnSegment / OnTimer / Write / Read / Close and answers
// through TcpOutput (packets) and TcpOwner (events). It never reads a clock:
// every call is given the time. It is made to carry MPTCP subflows: see
// tcp_owner.h.
//
// Sequence numbers are kept as 64-bit offsets from the ISN ("relative"): the
// SYN is 0, data byte k is k + 1, and the FIN follows the last byte. Wire
// sequence numbers are 32-bit and converted at the edge.
#ifndef PLAIT_DATAPLANE_TCP_TCP_CONNECTION_H_
#define PLAIT_DATAPLANE_TCP_TCP_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "dataplane/base/time.h"
#include "dataplane/cc/congestion_control.h"
#include "dataplane/tcp/interval_set.h"
#include "dataplane/tcp/receive_buffer.h"
#include "dataplane/tcp/rtt_estimator.h"
#include "dataplane/tcp/send_buffer.h"
#include "dataplane/tcp/sent_segments.h"
#include "dataplane/tcp/tcp_config.h"
#include "dataplane/tcp/tcp_owner.h"
#include "dataplane/tcp/tcp_state.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/segment.h"

namespace plait::tcp {

struct TcpEndpoints {
  wire::IpAddress local;
  uint16_t local_port = 0;
  wire::IpAddress remote;
  uint16_t remote_port = 0;
};

struct TcpStats {
  uint64_t segments_sent = 0;
  uint64_t segments_received = 0;
  uint64_t bytes_sent = 0;  // payload, retransmissions included
  uint64_t bytes_retransmitted = 0;
  uint64_t segments_retransmitted = 0;
  uint64_t fast_recoveries = 0;   // recovery episodes entered by SACK/dupacks
  uint64_t rto_count = 0;         // retransmission timeouts
  uint64_t dropped_segments = 0;  // unacceptable, PAWS, bad ACK, ...
  uint64_t challenge_acks = 0;    // RFC 5961
  uint64_t zero_window_probes = 0;
  uint64_t keepalive_probes = 0;
  uint64_t bytes_delivered = 0;  // handed to the application by Read()
  uint64_t bytes_acked = 0;      // of ours, acknowledged by the peer
};

class TcpConnection {
 public:
  // `cc` decides the window; `owner` and `output` must outlive the
  // connection. `isn` comes from an IsnGenerator (RFC 6528).
  TcpConnection(const TcpConfig& config, const TcpEndpoints& endpoints,
                uint32_t isn, std::unique_ptr<cc::CongestionControl> cc,
                TcpOwner* owner, TcpOutput* output);

  // Active open: sends the SYN.
  void Connect(Time now);
  // Passive open: `syn` arrived at a listener for these endpoints; answers
  // with a SYN/ACK.
  void AcceptSyn(const wire::Segment& syn, Time now);

  // A segment for this connection's 4-tuple (checksum already verified).
  void OnSegment(const wire::Segment& segment, Time now);
  // Call when now >= next_deadline().
  void OnTimer(Time now);
  Time next_deadline() const;

  // Queues application bytes; returns how many fit in the send buffer.
  // Less than asked means OnWritable will be called when room frees up.
  size_t Write(absl::Span<const uint8_t> data, Time now);
  // Hands over received bytes in order; 0 when none are ready.
  size_t Read(absl::Span<uint8_t> out, Time now);
  // The peer sent FIN and every byte before it has been read.
  bool AtEndOfStream() const;
  size_t readable_bytes() const;
  size_t send_buffer_free() const;
  // Everything written was acknowledged.
  bool AllDataAcked() const;

  // Sends a pure ACK at once, with whatever options the owner adds: for an
  // owner that must signal something with no data to carry it (MPTCP's
  // DATA_ACK, the MP_JOIN fourth ACK). Nothing in states without a peer.
  void SendAckNow(Time now);

  // Replaces the congestion control mid-connection (null is ignored). The
  // new controller inherits the current cwnd and ssthresh
  // (cc::CongestionControl::InheritWindow). Loss recovery belongs to the
  // engine and carries on: an episode in progress still ends at its
  // recovery point, with the new controller's OnRecoveryEnd, and its ACKs
  // do not grow the window. A pacing gap already owed stays; later gaps use
  // the new controller's rate. Sends at once if the new window allows.
  void SetCongestionControl(std::unique_ptr<cc::CongestionControl> cc,
                            Time now);

  // Sends FIN once everything written is sent (half-close).
  void Close(Time now);
  // Sends RST and closes at once.
  void Abort(Time now);

  TcpState state() const { return state_; }
  const TcpEndpoints& endpoints() const { return endpoints_; }
  // The shift the peer applies to the windows it advertises (RFC 7323).
  uint8_t peer_window_shift() const { return snd_wscale_; }
  const TcpStats& stats() const { return stats_; }
  const cc::CongestionControl& congestion_control() const { return *cc_; }
  const RttEstimator& rtt() const { return rtt_; }
  uint64_t bytes_in_flight() const { return Pipe(); }
  size_t effective_mss() const { return send_mss_; }
  // The payload room of the last data segment sent (the MSS less its
  // options, the owner's included), or 0 before any: what a full segment
  // carries now.
  size_t payload_per_segment() const { return payload_per_segment_; }
  bool sack_enabled() const { return sack_ok_; }
  bool timestamps_enabled() const { return ts_ok_; }
  uint32_t isn() const { return isn_; }
  // Why the connection closed; meaningful once state() is kClosed.
  CloseReason close_reason() const { return close_reason_; }

 private:
  // --- sending ---
  void TrySend(Time now);
  // Sends the scoreboard's segment [begin, end) again (a SYN, data, a FIN).
  bool Retransmit(Time now, uint64_t begin, uint64_t end);
  bool SendSegment(Time now, uint64_t begin, size_t max_length, bool syn,
                   bool fin, bool retransmission);
  void SendAck(Time now);
  void SendReset(Time now, uint32_t seq, uint32_t ack, bool with_ack);
  // A segment with an old sequence number and no data, which the peer must
  // answer with an ACK: zero-window and keepalive probes.
  void SendControlProbe(Time now);
  bool HasSomethingToSend() const;
  uint16_t AdvertisedWindow();
  void BuildTcpOptions(uint8_t flags, wire::OptionWriter& writer, Time now);
  uint32_t TsValue(Time now) const;

  // --- receiving ---
  bool AcceptableSegment(const wire::Segment& s, uint64_t seq_rel,
                         size_t seg_len) const;
  void ProcessSynSent(const wire::Segment& s, Time now);
  // False when the segment is to be dropped after its ACK was looked at
  // (RFC 9293 3.10.7.4: an ACK for unsent data, or one too old).
  bool ProcessAck(const wire::Segment& s, Time now);
  void ProcessData(const wire::Segment& s, uint64_t seq_rel, Time now);
  void OnFinReceived(Time now);
  void ApplyPeerSynOptions(const wire::Segment& syn);
  uint64_t UnwrapRemote(uint32_t seq) const;
  uint64_t UnwrapLocal(uint32_t ack) const;
  void ScheduleAck(Time now, bool immediately);

  // --- recovery ---
  uint64_t Pipe() const;
  void MarkLosses(Time now);
  void EnterRecovery(Time now);
  void OnRetransmissionTimeout(Time now);
  void ArmRetransmissionTimer(Time now);
  void UpdateCongestionWindowTelemetry(Time now);

  // --- lifecycle ---
  void EnterState(TcpState state, Time now);
  void CloseWith(CloseReason reason, Time now);
  void EnterTimeWait(Time now);

  TcpConfig config_;
  TcpEndpoints endpoints_;
  std::unique_ptr<cc::CongestionControl> cc_;
  size_t payload_per_segment_ = 0;
  TcpOwner* owner_;
  TcpOutput* output_;
  TcpState state_ = TcpState::kClosed;
  TcpStats stats_;

  // Send side (relative sequence numbers, see the header comment).
  uint32_t isn_;
  uint64_t snd_una_ = 0;
  uint64_t snd_nxt_ = 0;  // next new sequence number to send
  uint64_t snd_max_ = 0;  // highest sequence number sent + 1
  uint64_t snd_wnd_ = 0;  // peer's window in bytes (scaled)
  uint64_t snd_wl1_ = 0;  // remote seq of the last window update
  uint64_t snd_wl2_ = 0;  // our seq acknowledged by the last window update
  bool fin_queued_ = false;
  bool fin_sent_ = false;
  SendBuffer send_buffer_;
  SentSegments sent_;
  RttEstimator rtt_;
  size_t send_mss_ = 536;   // RFC 9293's default until the peer says
  uint8_t snd_wscale_ = 0;  // shift the peer applies to its window
  uint8_t rcv_wscale_ = 0;  // shift we apply to ours
  bool ts_ok_ = false;
  bool sack_ok_ = false;
  bool wants_writable_ = false;
  uint64_t max_snd_wnd_ = 0;
  // The last TrySend stopped because the congestion window was full (the
  // window only grows on ACKs of a cwnd-limited sender).
  bool cwnd_limited_ = false;
  uint64_t last_reported_cwnd_ = 0;
  CloseReason close_reason_ = CloseReason::kNormal;

  // Receive side.
  uint32_t irs_ = 0;
  bool have_irs_ = false;
  ReceiveBuffer receive_buffer_;
  bool fin_received_ = false;
  uint64_t fin_seq_ = 0;      // relative remote seq of the peer's FIN
  bool fin_pending_ = false;  // FIN seen out of order
  uint64_t rcv_nxt_ = 0;      // relative remote seq
  uint64_t rcv_adv_ = 0;      // right edge advertised (relative remote seq)
  uint32_t ts_recent_ = 0;
  uint64_t last_sack_begin_ = 0;  // most recent out-of-order arrival
  int unacked_segments_ = 0;
  Time ack_deadline_ = kNever;

  // Recovery.
  bool in_recovery_ = false;
  uint64_t recovery_point_ = 0;
  // RFC 6582's "recover": no new window reduction until snd_una passes it.
  uint64_t recover_ = 0;
  int dupacks_ = 0;
  bool retransmit_now_ = false;  // first retransmission of a recovery
  // RFC 6675's HighRxt as a cursor: one past the start of the highest
  // segment retransmitted in this recovery; NextSeg rule (3) resends only
  // segments starting at or above it.
  uint64_t high_rxt_ = 0;
  // NextSeg rule (4)'s one rescue retransmission of this recovery was sent.
  bool rescue_sent_ = false;
  int retransmissions_ = 0;  // consecutive RTOs on the same data
  Time rto_deadline_ = kNever;
  Time persist_deadline_ = kNever;
  Duration persist_backoff_{0};
  Time pacing_next_ = Time();
  bool pacing_waiting_ = false;  // data waits for pacing_next_
  Time time_wait_deadline_ = kNever;
  Time keepalive_deadline_ = kNever;
  int keepalive_sent_ = 0;
  Time last_receive_ = Time();

  // One packet is built at a time; the buffer is reused (no allocation per
  // segment).
  std::vector<uint8_t> packet_buffer_;
};

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_TCP_CONNECTION_H_

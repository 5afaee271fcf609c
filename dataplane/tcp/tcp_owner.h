// The two sides a TcpConnection talks to: TcpOutput, where its packets go,
// and TcpOwner, the application or the MPTCP connection that uses it. The
// owner hooks are how MPTCP rides on a subflow without the engine knowing
// MPTCP: it adds options to each outgoing segment within the space left, sees
// every option that arrives, and hears of RTT samples, window changes and
// losses.
#ifndef PLAIT_DATAPLANE_TCP_TCP_OWNER_H_
#define PLAIT_DATAPLANE_TCP_TCP_OWNER_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "dataplane/base/time.h"
#include "dataplane/wire/option_writer.h"
#include "dataplane/wire/segment.h"

namespace plait::tcp {

class TcpOutput {
 public:
  virtual ~TcpOutput() = default;
  // A whole IP packet. The bytes are valid only during the call.
  virtual void SendPacket(absl::Span<const uint8_t> ip_packet) = 0;
};

enum class CloseReason {
  kNormal,            // both FINs exchanged and acknowledged
  kReset,             // the peer sent an acceptable RST
  kRefused,           // RST in answer to our SYN
  kTimeout,           // retransmission limit reached
  kKeepaliveTimeout,  // keepalive probes went unanswered
  kAborted,           // Abort() was called
};
const char* CloseReasonName(CloseReason reason);

// What the engine is about to send, for the owner's AddOptions.
struct OutgoingSegment {
  uint8_t flags = 0;         // wire::TcpHeader::kSyn | ...
  uint64_t data_offset = 0;  // stream offset of the first payload byte
  size_t data_length = 0;    // payload bytes (0 for a pure ACK)
  bool retransmission = false;
  bool fin = false;  // this segment carries our FIN
};

class TcpOwner {
 public:
  virtual ~TcpOwner() = default;

  virtual void OnEstablished(Time now) {}
  // Data (or the peer's FIN) can be read.
  virtual void OnReadable(Time now) {}
  // Write() accepted less than asked before; there is room again.
  virtual void OnWritable(Time now) {}
  // The connection will neither send nor receive again.
  virtual void OnClosed(Time now, CloseReason reason) {}

  // Options for an outgoing segment, added to `writer` (which already holds
  // the TCP options; the writer leaves out, by priority, what does not fit).
  // `data_length` may still shrink by the options' size; the owner is told
  // the final length through OnSegmentSent.
  virtual void AddOptions(const OutgoingSegment& segment,
                          wire::OptionWriter& writer) {}
  virtual void OnSegmentSent(const OutgoingSegment& segment) {}
  // Every segment accepted for this connection, before the engine acts on it,
  // including an acceptable RST (so that its MPTCP options can be read).
  virtual void OnIncomingSegment(const wire::Segment& segment, Time now) {}

  virtual void OnRttSample(Duration rtt, Time now) {}
  virtual void OnCongestionWindowChange(uint64_t cwnd_bytes, Time now) {}
  // [begin, end) stream offsets were declared lost; `timeout` when by RTO.
  virtual void OnLoss(uint64_t begin, uint64_t end, bool timeout, Time now) {}
};

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_TCP_OWNER_H_

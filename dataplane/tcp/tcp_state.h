// The states of RFC 9293 section 3.3.2.
#ifndef PLAIT_DATAPLANE_TCP_TCP_STATE_H_
#define PLAIT_DATAPLANE_TCP_TCP_STATE_H_

namespace plait::tcp {

enum class TcpState {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
};

// "ESTABLISHED", "SYN-SENT", ... as RFC 9293 spells them.
const char* TcpStateName(TcpState state);

// Both sides' SYNs have been exchanged (RFC 9293's synchronized states).
bool IsSynchronized(TcpState state);

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_TCP_STATE_H_
